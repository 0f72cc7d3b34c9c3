/**
 * Proposal actions for `gov:propose`. Each action turns task options into calls, validating them
 * against the chain first so that a proposal that can only fail is never created. Adding an
 * action (a later contract's governance) is one entry in ACTIONS.
 */
import { encodeBytes32String, decodeBytes32String, type BaseContract } from "ethers";
import { UserError } from "../lib/errors.js";
import { PARAM_UNITS, formatParamValue, parseParamValue } from "../lib/units.js";
import { parseAddress, parseBlobId, resolveNode, type TaskContext } from "../lib/context.js";

export interface ProposeOptions {
  key: string;
  value: string;
  node: string;
  account: string;
  blob: string;
}

export interface ProposalCall {
  target: string;
  data: string;
  /** One line for humans, e.g. "ProtocolParams.setParameter(disputeWindow, 36h)". */
  summary: string;
}

export interface ActionSpec {
  summary: string;
  example: string;
  build(options: ProposeOptions, ctx: TaskContext): Promise<{ calls: ProposalCall[]; warnings: string[] }>;
  /** Checks the proposal's description (e.g. that it does not reveal a blacklisted blob id). */
  checkDescription?(options: ProposeOptions, description: string): void;
}

/** blacklist-add and blacklist-remove: ContentBlacklist.add or .remove of the blob's key, refused when the entry already is (or is not) there. */
function blacklistAction(method: "add" | "remove", text: Pick<ActionSpec, "summary" | "example">): ActionSpec {
  return {
    ...text,
    checkDescription: keepBlobIdPrivate,
    async build(o, ctx) {
      const blobId = parseBlobId(o.blob);
      const listed = await ctx.blacklist.isBlacklisted(blobId);
      if (listed === (method === "add")) throw new UserError(listed ? "That blob is already blacklisted." : "That blob is not blacklisted.");
      const key = await ctx.blacklist.blobKeyOf(blobId);
      return single(ctx.blacklist, "ContentBlacklist", method, [key], `${method}(key ${key})`);
    },
  };
}

async function single(contract: BaseContract, name: string, method: string, args: unknown[], summary: string) {
  const target = await contract.getAddress();
  return { calls: [{ target, data: contract.interface.encodeFunctionData(method, args), summary: `${name}.${summary}` }], warnings: [] };
}

/** Refuses a blacklist proposal whose text would publish the blob id (only its key goes on-chain). */
function keepBlobIdPrivate({ blob }: ProposeOptions, description: string) {
  if (blob && description.toLowerCase().includes(blob.trim().toLowerCase().replace(/^0x/, ""))) {
    throw new UserError("The description contains the blob id; only its blacklist key goes on-chain. Describe the entry without the id.");
  }
}

const requireOption = (value: string, name: string, action: string) => {
  if (!value) throw new UserError(`--action ${action} needs --${name}.`);
  return value;
};

/** Earliest unix time a proposal created now could execute (delay + period in blocks, plus the timelock delay). */
async function earliestExecution(ctx: TaskContext): Promise<bigint> {
  const latest = await ctx.ethers.provider.getBlock("latest");
  const blocks = (await ctx.governor.votingDelay()) + (await ctx.governor.votingPeriod()) + 2n;
  const older = await ctx.ethers.provider.getBlock(Math.max(0, latest!.number - 100));
  const span = BigInt(latest!.number - older!.number);
  // Average block time over the last 100 blocks (a local chain mines on demand: count 1 s).
  const blockTime = span > 0n ? BigInt(latest!.timestamp - older!.timestamp) / span || 1n : 1n;
  return BigInt(latest!.timestamp) + blocks * blockTime + (await ctx.timelock.getMinDelay());
}

const FAR_FUTURE = 365n * 86400n;

/**
 * The chain-error decoder, loaded on first use: hardhat.config.ts imports this file before the first
 * compile, when the contract bindings the decoder is built from do not exist yet.
 */
async function describeRevert(...args: Parameters<typeof import("../../agents/chain/errors.js").describeRevert>): Promise<string | undefined> {
  const decoder = await import("../../agents/chain/errors.js");
  return decoder.describeRevert(...args);
}

async function validateParamChange(ctx: TaskContext, key: string, value: bigint): Promise<string[]> {
  const bytesKey = encodeBytes32String(key);
  const explain = (error: unknown) => describeRevert(error, { formatParam: formatParamValue });
  const eta = await earliestExecution(ctx);
  // Far in the future every cooldown has passed: what fails there can never execute.
  try {
    await ctx.params.validateChange(bytesKey, value, eta + FAR_FUTURE);
  } catch (error) {
    const sentence = await explain(error);
    if (sentence) throw new UserError(`Refusing to propose: ${sentence}`);
    throw error;
  }
  try {
    await ctx.params.validateChange(bytesKey, value, eta);
    return [];
  } catch (error) {
    const sentence = await explain(error);
    if (sentence) return [`${sentence} The proposal can pass, but execute will revert until then.`];
    throw error;
  }
}

function safeDecode(key: string): string {
  try {
    return decodeBytes32String(key);
  } catch {
    return key;
  }
}

const GOVERNOR_SETTINGS: Record<string, { contract: "governor" | "timelock"; method: string }> = {
  votingDelay: { contract: "governor", method: "setVotingDelay" },
  votingPeriod: { contract: "governor", method: "setVotingPeriod" },
  proposalThreshold: { contract: "governor", method: "setProposalThreshold" },
  quorumPercent: { contract: "governor", method: "updateQuorumNumerator" },
  timelockDelay: { contract: "timelock", method: "updateDelay" },
};

export const ACTIONS: Record<string, ActionSpec> = {
  param: {
    summary: "set a protocol parameter (ProtocolParams)",
    example: 'npx hardhat gov:propose --action param --key disputeWindow --value 36h --description "Longer disputes" --network localhost',
    async build({ key, value }, ctx) {
      requireOption(key, "key", "param");
      const parsed = parseParamValue(key, requireOption(value, "value", "param"));
      const warnings = await validateParamChange(ctx, key, parsed);
      return {
        calls: [
          {
            target: await ctx.params.getAddress(),
            data: ctx.params.interface.encodeFunctionData("setParameter", [encodeBytes32String(key), parsed]),
            summary: `ProtocolParams.setParameter(${key}, ${formatParamValue(key, parsed)})`,
          },
        ],
        warnings,
      };
    },
  },
  governance: {
    summary: `change a setting of the DAO itself (${Object.keys(GOVERNOR_SETTINGS).join(", ")})`,
    example: "npx hardhat gov:propose --action governance --key quorumPercent --value 5 --network localhost",
    async build({ key, value }, ctx) {
      const setting = GOVERNOR_SETTINGS[requireOption(key, "key", "governance")];
      if (!setting) throw new UserError(`Unknown DAO setting "${key}". Known: ${Object.keys(GOVERNOR_SETTINGS).join(", ")}.`);
      if (!/^\d+$/.test(requireOption(value, "value", "governance"))) {
        throw new UserError(`--value for ${key} must be a whole number (blocks, seconds, percent or token base units).`);
      }
      const contract: BaseContract = setting.contract === "governor" ? ctx.governor : ctx.timelock;
      const target = await contract.getAddress();
      const data = contract.interface.encodeFunctionData(setting.method, [BigInt(value)]);
      if (setting.contract === "governor") {
        // Governor setters run only inside an executed proposal (onlyGovernance), so they cannot be
        // simulated: check the value against the governor's own bounds view instead.
        const name = key === "quorumPercent" ? "quorumNumerator" : key;
        const [min, max] = await ctx.governor.settingBounds(encodeBytes32String(name));
        if (BigInt(value) < min || BigInt(value) > max) {
          throw new UserError(`Refusing to propose: ${key} = ${value} is outside its hard bounds [${min}, ${max}].`);
        }
      } else {
        // The timelock's updateDelay only checks its caller, so simulate it as the timelock.
        try {
          await ctx.ethers.provider.call({ to: target, data, from: await ctx.timelock.getAddress() });
        } catch (error) {
          const sentence = await describeRevert(error);
          if (sentence) throw new UserError(`Refusing to propose: ${sentence}`);
          throw error;
        }
      }
      return { calls: [{ target, data, summary: `${setting.contract === "governor" ? "CdnGovernor" : "CdnTimelock"}.${setting.method}(${value})` }], warnings: [] };
    },
  },

  "origin-recognize": {
    summary: "recognize a registered node as an origin with a content-signing key (OriginRegistry)",
    example: 'npx hardhat gov:propose --action origin-recognize --node 1 --account 0xContentKey… --description "Recognize origin 1" --network localhost',
    async build(o, ctx) {
      const nodeId = await resolveNode(ctx, o.node);
      const contentKey = parseAddress(o.account, "account");
      if (await ctx.origins.isRecognized(nodeId)) throw new UserError(`Node ${nodeId} is already a recognized origin (revoke it first to replace it).`);
      return single(ctx.origins, "OriginRegistry", "recognize", [nodeId, contentKey], `recognize(node ${nodeId}, content key ${contentKey})`);
    },
  },
  "origin-revoke": {
    summary: "stop recognizing an origin (all its epochs become void)",
    example: 'npx hardhat gov:propose --action origin-revoke --node 1 --description "Origin 1 misbehaved" --network localhost',
    async build(o, ctx) {
      const nodeId = await resolveNode(ctx, o.node);
      if (!(await ctx.origins.isRecognized(nodeId))) throw new UserError(`Node ${nodeId} is not a recognized origin.`);
      return single(ctx.origins, "OriginRegistry", "revoke", [nodeId], `revoke(node ${nodeId})`);
    },
  },
  "origin-revoke-epoch": {
    summary: "revoke one content-key epoch of an origin (a leaked key); --value is the epoch",
    example: 'npx hardhat gov:propose --action origin-revoke-epoch --node 1 --value 2 --description "Key of epoch 2 leaked" --network localhost',
    async build(o, ctx) {
      const nodeId = await resolveNode(ctx, o.node);
      if (!/^\d+$/.test(o.value)) throw new UserError("--value must be the epoch number to revoke.");
      const epoch = BigInt(o.value);
      const origin = await ctx.origins.originOf(nodeId);
      if (epoch === 0n || epoch > origin.currentEpoch) throw new UserError(`Origin ${nodeId} has no epoch ${epoch} (current: ${origin.currentEpoch}).`);
      const [, revoked] = await ctx.origins.contentKeyOf(nodeId, epoch);
      if (revoked) throw new UserError(`Epoch ${epoch} of origin ${nodeId} is already revoked.`);
      return single(ctx.origins, "OriginRegistry", "revokeEpoch", [nodeId, epoch], `revokeEpoch(node ${nodeId}, epoch ${epoch})`);
    },
  },
  "blacklist-add": blacklistAction("add", {
    summary: "blacklist a blob (only keccak256 of its id goes on-chain); binds nodes after the compliance window",
    example: 'npx hardhat gov:propose --action blacklist-add --blob 0x…32 bytes… --description "Court order 2026-17" --network localhost',
  }),
  "blacklist-remove": blacklistAction("remove", {
    summary: "remove a blob's blacklist entry",
    example: 'npx hardhat gov:propose --action blacklist-remove --blob 0x… --description "Order lifted" --network localhost',
  }),
  "compliance-grant": {
    summary: "let an account add and remove blacklist entries directly (fast takedowns)",
    example: 'npx hardhat gov:propose --action compliance-grant --account 0x… --description "Compliance desk" --network localhost',
    async build(o, ctx) {
      const account = parseAddress(o.account, "account");
      if (await ctx.blacklist.hasComplianceRole(account)) throw new UserError(`${account} already has the compliance role.`);
      return single(ctx.blacklist, "ContentBlacklist", "grantComplianceRole", [account], `grantComplianceRole(${account})`);
    },
  },
  "compliance-revoke": {
    summary: "take the compliance role away from an account",
    example: 'npx hardhat gov:propose --action compliance-revoke --account 0x… --description "Rotate desk" --network localhost',
    async build(o, ctx) {
      const account = parseAddress(o.account, "account");
      if (!(await ctx.blacklist.hasComplianceRole(account))) throw new UserError(`${account} does not have the compliance role.`);
      return single(ctx.blacklist, "ContentBlacklist", "revokeComplianceRole", [account], `revokeComplianceRole(${account})`);
    },
  },
};

/** Describes a proposal call for `gov:status`, decoding calls to known contracts. */
export async function describeCall(ctx: TaskContext, target: string, data: string): Promise<string> {
  const known: [string, BaseContract][] = [
    ["ProtocolParams", ctx.params],
    ["CdnGovernor", ctx.governor],
    ["CdnTimelock", ctx.timelock],
    ["CdnToken", ctx.token],
    ["OriginRegistry", ctx.origins],
    ["ContentBlacklist", ctx.blacklist],
  ];
  for (const [name, contract] of known) {
    if ((await contract.getAddress()).toLowerCase() !== target.toLowerCase()) continue;
    const parsed = contract.interface.parseTransaction({ data });
    if (!parsed) break;
    if (name === "ProtocolParams" && parsed.name === "setParameter") {
      const key = safeDecode(parsed.args[0]);
      return `ProtocolParams.setParameter(${key}, ${PARAM_UNITS[key] ? formatParamValue(key, parsed.args[1]) : parsed.args[1]})`;
    }
    return `${name}.${parsed.name}(${parsed.args.map(String).join(", ")})`;
  }
  return `${target} calldata ${data.slice(0, 10)}… (unknown contract)`;
}
