/**
 * The one chain-error decoder of every agent and task: a failed call or transaction (ethers'
 * CALL_EXCEPTION, a JSON-RPC error, Hardhat's in-process SolidityError, a node's "insufficient
 * funds") becomes one sentence with the way forward. Custom errors of every project contract are
 * decoded from their ABIs; the USDC token's revert strings ("ERC20: transfer amount exceeds
 * balance", "Blacklistable: account is blacklisted", "Pausable: paused", …) are matched by text.
 */
import { AbiCoder, Interface, decodeBytes32String, formatUnits, type ErrorDescription, type ErrorFragment } from "ethers";
import {
  CdnGovernor__factory,
  CdnTimelock__factory,
  CdnToken__factory,
  ContentBlacklist__factory,
  NodeRegistry__factory,
  OriginRegistry__factory,
  PaymentChannel__factory,
  ProtocolParams__factory,
} from "../../types/ethers-contracts/index.js";
import { CdnError, errorClass } from "../protocol/errors.js";

/** A contract refused a call or a transaction; `message` says why and what to do; `reason` is the custom error's name, or the revert string, or "" for a bare revert. */
export class ChainRevertError extends errorClass(CdnError, "ERR_CHAIN_REVERT", (message: string, reason: string, args: readonly unknown[] = [], options?: ErrorOptions) => [
  message,
  { reason, args },
  options,
]) {}

/** The chain could not be asked (unreachable RPC, timeout) or refused for a reason that is not a revert. */
export class ChainRequestError extends CdnError {
  readonly code = "ERR_CHAIN_REQUEST";
}

/** The account cannot pay the gas. */
export class NoEthError extends CdnError {
  readonly code = "ERR_NO_ETH";
}

/** The revert data of a failed call ("0x" for a bare revert), or undefined when `error` is not a revert. */
export function revertData(error: unknown, depth = 0): string | undefined {
  if (depth > 6 || error === null || typeof error !== "object") return undefined;
  const e = error as Record<string, unknown>;
  if (typeof e.data === "string" && /^0x([0-9a-fA-F]{2})*$/.test(e.data)) return e.data;
  for (const key of ["revert", "error", "info", "cause", "data"]) {
    const found = revertData(e[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Whether `error` is the chain refusing a call (a revert, an unknown function, an empty answer)
 * rather than the RPC failing.
 */
export function isRevert(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  if (e.code === "CALL_EXCEPTION" || e.code === "BAD_DATA" || e.code === 3 || e.name === "SolidityError") return true;
  return revertData(error) !== undefined;
}

/** Every custom error of every project contract (and what they inherit), one interface. */
const PROJECT_ERRORS: Interface = (() => {
  const seen = new Map<string, ErrorFragment>();
  for (const factory of [
    NodeRegistry__factory,
    PaymentChannel__factory,
    ProtocolParams__factory,
    OriginRegistry__factory,
    ContentBlacklist__factory,
    CdnGovernor__factory,
    CdnTimelock__factory,
    CdnToken__factory,
  ]) {
    factory.createInterface().forEachError((fragment) => seen.set(fragment.selector, fragment));
  }
  return new Interface([...seen.values()]);
})();

const ERROR_STRING = "0x08c379a0";
const PANIC = "0x4e487b71";

export interface DescribeOptions {
  /** Formats a protocol parameter's value (tasks print units: "36h", "150 USDC"); default: the number. */
  formatParam?: (key: string, value: bigint) => string;
}

const usdc = (v: unknown) => `${formatUnits(v as bigint, 6)} USDC`;
const when = (t: unknown) => new Date(Number(t) * 1000).toISOString();
const keyName = (key: unknown) => {
  try {
    return decodeBytes32String(key as string);
  } catch {
    return String(key);
  }
};
const NODE_STATUS = ["None", "Registered", "Unbonding", "Exited"];
const CHANNEL_STATUS = ["None", "Open", "Closing", "Closed"];

type Describe = (a: readonly unknown[], f: (key: string, value: bigint) => string) => string;

/** One sentence per custom error of the project's contracts; the rest fall back to a generic sentence. */
const SENTENCES: Record<string, Describe> = {
  // ---- NodeRegistry
  NodeRegistryBadMultiaddrCount: (a) => `A node publishes 1 to ${a[1]} multiaddrs, not ${a[0]}: shorten the multiaddrs list in the node's configuration.`,
  NodeRegistryBadMultiaddrLength: (a) => `Multiaddr #${a[0]} is ${a[1]} bytes long, over the ${a[2]}-byte limit: shorten it in the node's configuration.`,
  NodeRegistryBadPublicKeyLength: (a) => `The node's public key is ${a[0]} bytes, not 64: the node key file is damaged.`,
  NodeRegistryBondTooLow: (a) => `The bond of ${usdc(a[0])} is below the ${usdc(a[1])} this capacity requires: bond more or declare less capacity.`,
  NodeRegistryCapacityOutOfBounds: (a) => `A capacity of ${a[0]} Mbps is outside [${a[1]}, ${a[2]}] Mbps: change capacityMbps.`,
  NodeRegistryCapacityUnchanged: (a) => `Node ${a[0]} already declares ${a[1]} Mbps: nothing to change.`,
  NodeRegistryInvalidSignature: (a) => `The registration was signed by ${a[1]}, not by the node key ${a[0]}: sign with the node's own key.`,
  NodeRegistryKeyAlreadyUsed: (a) => `The node key ${a[0]} is already used by node ${a[1]}: use a fresh key (cdn-node init).`,
  NodeRegistryNotOperator: (a) => `${a[1]} is not the operator of node ${a[0]}: send from the operator's account (operatorKeyFile).`,
  NodeRegistryNothingToWithdraw: (a) => `Node ${a[0]} has no bond left to withdraw.`,
  NodeRegistryPriceTooHigh: (a) => `A price of ${usdc(a[0])} per GiB is above the ${usdc(a[1])} maximum: lower pricePerGiB.`,
  NodeRegistryPublicKeyMismatch: (a) => `The published public key belongs to ${a[1]}, not to the node key ${a[0]}: the node key file is inconsistent.`,
  NodeRegistrySignatureExpired: (a) => `The node key's signature expired at ${when(a[0])} (chain time ${when(a[1])}): run the command again to sign a fresh one.`,
  NodeRegistryStillUnbonding: (a) => `Node ${a[0]} is unbonding until ${when(a[1])}: withdraw after that.`,
  NodeRegistryUnknownNode: (a) => `There is no node ${a[0]}: check the node id (npx hardhat node:list).`,
  NodeRegistryWrongStatus: (a) => `Node ${a[0]} is ${NODE_STATUS[Number(a[1])] ?? a[1]}, but this needs it ${NODE_STATUS[Number(a[2])] ?? a[2]}.`,
  NodeRegistryZeroAddress: () => `An address given to the registry is zero: pass a real address.`,
  NodeRegistryZeroAmount: () => `The amount is zero: give a positive amount.`,
  NodeRegistryNotSlasher: (a) => `${a[0]} is not the registry's slasher (only PaymentChannel slashes).`,
  NodeRegistryBadSlashBps: (a) => `A slash of ${a[0]} bps is out of range.`,
  NodeRegistrySlasherLocked: (a) => `The registry's slasher is already wired to ${a[1]}; ${a[0]} cannot change it.`,
  NodeRegistrySlasherNotContract: (a) => `The slasher ${a[0]} is not a contract.`,
  // ---- PaymentChannel
  PaymentChannelAlreadyExists: (a) => `Channel ${a[0]} already exists: open with a fresh nonce.`,
  PaymentChannelAlreadySlashed: (a) =>
    `Node ${a[0]} was already slashed for blacklist entry ${a[1]} on evidence committed in block ${a[3]}; this evidence, committed in block ${a[2]}, is not earlier, so it changes nothing.`,
  PaymentChannelSlashRewardFinal: (a) => `Node ${a[0]} was already slashed for blacklist entry ${a[1]} and its reporter's reward became final at ${when(a[2])}: this evidence changes nothing.`,
  PaymentChannelNotSlashed: (a) => `Node ${a[0]} was never slashed for blob key ${a[1]} under blacklist entry ${a[2]}: there is no reward to claim.`,
  PaymentChannelSlashRewardAlreadyCredited: (a) =>
    `The reward for slashing node ${a[0]} (blacklist entry ${a[1]}) was already credited: ${usdc(a[3])} to ${a[2]}, who collects it from PaymentChannel with withdraw.`,
  PaymentChannelBlobNotBlacklisted: (a) => `Blob key ${a[0]} was never on the content blacklist: there is nothing to slash.`,
  PaymentChannelBlobDelisted: (a) => `Blob key ${a[0]} was removed from the content blacklist (entry ${a[1]}): serving it is no longer slashable.`,
  PaymentChannelDepositTooLow: (a) => `A deposit of ${usdc(a[0])} is below the ${usdc(a[1])} minimum channel deposit: deposit more.`,
  PaymentChannelDisputeWindowOver: (a) => `The dispute window closed at ${when(a[0])} (chain time ${when(a[1])}): the channel can only be settled now.`,
  PaymentChannelDisputeWindowRunning: (a) => `The dispute window runs until ${when(a[0])} (chain time ${when(a[1])}): settle after that.`,
  PaymentChannelEvidenceAlreadyCommitted: (a) => `Evidence ${a[0]} is already committed: reveal it instead.`,
  PaymentChannelEvidenceExpired: (a) => `The evidence is too old (committed ${when(a[0])}, deadline ${when(a[1])}): it can no longer slash.`,
  PaymentChannelEvidenceNotCommitted: (a) => `Evidence ${a[0]} was never committed: commit it first, then reveal.`,
  PaymentChannelEvidenceWrongSigner: (a) => `The serve commitment was signed by ${a[0]}, not by the node's key at the time: it is not evidence against this node.`,
  PaymentChannelEvidenceKeyRetired: (a) =>
    `The serve commitment was signed by ${a[0]}, a key the node retired in block ${a[1]}, at or before its anchor block ${a[2]}: it is not evidence against this node.`,
  PaymentChannelInvalidSignature: () => `The signature is malformed: sign again.`,
  PaymentChannelInvalidSignerExpiry: (a) => `A session key expiring at ${when(a[0])} is already expired at chain time ${when(a[1])}: choose a later expiry.`,
  PaymentChannelInvalidVoucherSigner: (a) => `The voucher was signed by ${a[0]}, who may not sign for this channel.`,
  PaymentChannelInvalidWatchtowerAuth: (a) => `The watchtower authorization was signed by ${a[0]}, not by the node key ${a[1]}.`,
  PaymentChannelNodeNotActive: (a) => `Node key ${a[0]} is not an active node (unregistered, unbonding or under-bonded): pick another node.`,
  PaymentChannelNothingSlashed: (a) => `Node ${a[0]} has no bond left to slash.`,
  PaymentChannelSlashRewardNotFinal: (a) => `The reporter's reward is not final until ${when(a[0])} (an earlier commit may still be revealed): claim it after that.`,
  PaymentChannelNothingToWithdraw: (a) => `${a[0]} has no withdrawable credit in PaymentChannel: there is nothing to withdraw.`,
  PaymentChannelNotNodeOperator: (a) => `${a[1]} is not the operator recorded for node ${a[0]}: only that operator may withdraw the node's credit.`,
  PaymentChannelOpenedBeforeEffective: (a) => `The channel opened at ${when(a[0])}, before the blacklist entry bound nodes (${when(a[1])}): not evidence.`,
  PaymentChannelRevealTooEarly: (a) => `The evidence was committed in block ${a[0]}: reveal it in a later block.`,
  PaymentChannelRevealWindowOver: (a) => `The reveal window ended at ${when(a[0])} (chain time ${when(a[1])}): commit the evidence again.`,
  PaymentChannelSessionKeyExpired: (a) => `The session key ${a[0]} expired at ${when(a[1])}: vouchers must now be signed by the payer.`,
  PaymentChannelSignerIsPayee: (a) => `${a[0]} is the node's own key and cannot sign vouchers for its channel.`,
  PaymentChannelUnauthorized: (a) => `${a[0]} may not do this on the channel (only its payer or its node's operator/key).`,
  PaymentChannelUnknown: (a) => `There is no channel ${a[0]}.`,
  PaymentChannelVoucherTooLow: (a) => `A voucher for ${usdc(a[0])} adds nothing: the channel has already paid ${usdc(a[1])}.`,
  PaymentChannelWrongStatus: (a) => `Channel ${a[0]} is ${CHANNEL_STATUS[Number(a[1])] ?? a[1]}, so this is not possible now.`,
  PaymentChannelZeroAddress: () => `An address given to PaymentChannel is zero: pass a real address.`,
  PaymentChannelZeroAmount: () => `The amount is zero: give a positive amount.`,
  // ---- ProtocolParams
  ProtocolParamsBelowMinimum: (a, f) => `${keyName(a[0])} = ${f(keyName(a[0]), a[1] as bigint)} is below its hard minimum ${f(keyName(a[0]), a[2] as bigint)}.`,
  ProtocolParamsAboveMaximum: (a, f) => `${keyName(a[0])} = ${f(keyName(a[0]), a[1] as bigint)} is above its hard maximum ${f(keyName(a[0]), a[2] as bigint)}.`,
  ProtocolParamsStepTooLarge: (a, f) =>
    `${keyName(a[0])} may move by at most ${f(keyName(a[0]), a[3] as bigint)} in one change (from ${f(keyName(a[0]), a[1] as bigint)}); ${f(keyName(a[0]), a[2] as bigint)} is too far.`,
  ProtocolParamsCooldown: (a) => `${keyName(a[0])} changed less than 7 days ago; it may change again from ${when(a[1])}.`,
  ProtocolParamsCurveCooldown: (a) => `The bond curve changed less than 14 days ago; it may change again from ${when(a[0])}.`,
  ProtocolParamsCurveStepTooLarge: (a, f) =>
    a[0] === 0n
      ? `This moves the minimum bond from ${f("minBond", a[1] as bigint)} to ${f("minBond", a[2] as bigint)}, more than ±50 % in one change.`
      : `This moves the bond curve (k × mbps^alpha) at ${a[0]} Mbps from ${f("minBond", a[1] as bigint)} to ${f("minBond", a[2] as bigint)}, more than ±50 % in one change.`,
  ProtocolParamsOffGrid: (a, f) => `${keyName(a[0])} must be a multiple of ${f(keyName(a[0]), a[2] as bigint)}; ${f(keyName(a[0]), a[1] as bigint)} is not.`,
  ProtocolParamsSplitCheaper: (a, f) =>
    `Under this curve 100 nodes of 10 Mbps would bond ${f("minBond", a[0] as bigint)} in all, less than one node of 1,000 Mbps (${f("minBond", a[1] as bigint)}): splitting would pay.`,
  ProtocolParamsUnbondingTooShort: (a, f) =>
    `unbondingPeriod (${f("unbondingPeriod", a[0] as bigint)}) must be at least evidenceMaxAge (${f("evidenceMaxAge", a[1] as bigint)}) + revealWindow (${f("revealWindow", a[2] as bigint)}).`,
  ProtocolParamsComplianceWindowTooShort: (a, f) =>
    `complianceWindow (${f("complianceWindow", a[0] as bigint)}) must exceed the nodes' staleness bound plus confirmations (${f("complianceWindow", a[1] as bigint)}).`,
  ProtocolParamsOperatorShareBelowFloor: (a) => `That fee leaves operators ${Number(a[0]) / 100} %, below the hard floor of ${Number(a[1]) / 100} %.`,
  ProtocolParamsUnknownKey: (a) => `${keyName(a[0])} is not a protocol parameter.`,
  ProtocolParamsUnauthorized: (a) => `${a[0]} may not change protocol parameters: only the DAO's timelock can (propose it with gov:propose).`,
  // ---- OriginRegistry
  OriginRegistryAlreadyRecognized: (a) => `Node ${a[0]} is already a recognized origin.`,
  OriginRegistryBadEpoch: (a) => `Epoch ${a[1]} is not valid for node ${a[0]} (current epoch ${a[2]}).`,
  OriginRegistryKeyReused: (a) => `Content key ${a[1]} was already used by node ${a[0]}: use a fresh content key.`,
  OriginRegistryNodeNotRegistered: (a) => `Node ${a[0]} is not registered.`,
  OriginRegistryNotOperator: (a) => `${a[1]} is not the operator of node ${a[0]}.`,
  OriginRegistryNotRecognized: (a) => `Node ${a[0]} is not a recognized origin: the DAO must recognize it first (origin-recognize).`,
  OriginRegistryNotTimelock: (a) => `${a[0]} is not the DAO's timelock: recognizing origins takes a proposal (gov:propose --action origin-recognize).`,
  OriginRegistryZeroAddress: () => `An address given to OriginRegistry is zero: pass a real address.`,
  // ---- ContentBlacklist
  ContentBlacklistAlreadyListed: (a) => `That blob is already blacklisted (entry ${a[1]}).`,
  ContentBlacklistNotListed: () => `That blob is not blacklisted.`,
  ContentBlacklistNotTimelock: (a) => `${a[0]} is not the DAO's timelock: this takes a proposal (gov:propose).`,
  ContentBlacklistRoleUnchanged: (a) => `${a[0]} ${a[1] ? "already holds" : "does not hold"} the compliance role.`,
  ContentBlacklistUnauthorized: (a) => `${a[0]} holds no compliance role: only the DAO or a compliance account can list blobs.`,
  ContentBlacklistZeroAddress: () => `An address given to ContentBlacklist is zero: pass a real address.`,
  // ---- governance
  CdnGovernorSettingOutOfBounds: (a) => `${keyName(a[0])} = ${a[1]} is outside its hard bounds [${a[2]}, ${a[3]}].`,
  CdnGovernorUnknownSetting: (a) => `${keyName(a[0])} is not a governance setting.`,
  CdnTimelockDelayOutOfBounds: (a) => `A timelock delay of ${a[0]} s is outside its hard bounds [${a[1]}, ${a[2]}] s.`,
  GovernorAlreadyCastVote: (a) => `${a[0]} has already voted on this proposal.`,
  GovernorInsufficientProposerVotes: (a) =>
    `${a[0]} has ${formatUnits(a[1] as bigint, 18)} votes, below the proposal threshold of ${formatUnits(a[2] as bigint, 18)}: delegate to yourself (gov:delegate) or gather more votes.`,
  GovernorNonexistentProposal: (a) => `There is no proposal ${a[0]} (npx hardhat gov:list).`,
  GovernorUnexpectedProposalState: (a) => `Proposal ${a[0]} is not in a state that allows this (see npx hardhat gov:status --id ${a[0]}).`,
  TimelockUnexpectedOperationState: () => `The timelock operation is not ready: wait for its delay (gov:status shows the eta).`,
  TimelockInsufficientDelay: (a) => `A delay of ${a[0]} s is below the timelock's minimum ${a[1]} s.`,
  ERC20InsufficientBalance: (a) => `${a[0]} holds ${formatUnits(a[1] as bigint, 18)} CDN, less than the ${formatUnits(a[2] as bigint, 18)} needed.`,
  ERC20InsufficientAllowance: (a) => `${a[0]} may spend ${formatUnits(a[1] as bigint, 18)} CDN, less than the ${formatUnits(a[2] as bigint, 18)} needed.`,
  ReentrancyGuardReentrantCall: () => `The contract refused a re-entrant call.`,
  SafeERC20FailedOperation: (a) => `The token ${a[0]} refused the transfer.`,
};

/** The USDC token's revert strings (FiatTokenV2_2), each with the way forward. */
const TOKEN_SENTENCES: Record<string, string> = {
  "ERC20: transfer amount exceeds balance": "The USDC transfer failed: the account holds less USDC than it needs; add USDC and try again.",
  "ERC20: transfer amount exceeds allowance":
    "The USDC transfer failed: the contract may not spend that much (the permit was not accepted: expired, already used or signed for another domain); run the command again to sign a fresh permit.",
  "Blacklistable: account is blacklisted":
    "USDC refused: an account in this transfer is blacklisted by the token's issuer, so it can neither send nor receive USDC; a payout owed to it stays in PaymentChannel as withdrawable credit.",
  "Pausable: paused": "USDC is paused by its issuer: no transfer, approval or permit works until it is unpaused; nothing was spent, try again later.",
  "FiatTokenV2: permit is expired": "The USDC permit expired before it was mined: run the command again to sign a fresh one.",
  "EIP2612: invalid signature": "USDC rejected the permit's signature (signed for another domain, owner or nonce): run the command again.",
};

/** One sentence for a decoded custom error of the project's contracts (or a generic one). */
export function describeCustomError(error: Pick<ErrorDescription, "name" | "args">, options: DescribeOptions = {}): string {
  const describe = SENTENCES[error.name];
  if (describe) return describe([...error.args], options.formatParam ?? ((_k, v) => v.toString()));
  const args = [...error.args].map((a) => String(a)).join(", ");
  return `The contract refused with ${error.name}(${args}).`;
}

/**
 * One sentence for a revert (custom error of ours, token revert string, panic, bare revert), or
 * undefined when `error` is not a revert. D's TxSender takes this as `describeRevert`.
 */
export function describeRevert(error: unknown, options: DescribeOptions = {}): string | undefined {
  return decodeRevert(error, options)?.message;
}

/** The revert as a ChainRevertError (message = one sentence), or undefined when `error` is not a revert. */
export function decodeRevert(error: unknown, options: DescribeOptions = {}): ChainRevertError | undefined {
  const data = revertData(error);
  const cause = { cause: error };
  if (data !== undefined && data.startsWith(ERROR_STRING)) {
    const [text] = AbiCoder.defaultAbiCoder().decode(["string"], "0x" + data.slice(10)) as unknown as [string];
    return new ChainRevertError(TOKEN_SENTENCES[text] ?? `The contract refused: "${text}".`, text, [], cause);
  }
  if (data !== undefined && data.startsWith(PANIC)) {
    const [code] = AbiCoder.defaultAbiCoder().decode(["uint256"], "0x" + data.slice(10)) as unknown as [bigint];
    return new ChainRevertError(`The contract failed an internal check (panic 0x${code.toString(16)}): this is a bug; please report it.`, "Panic", [code], cause);
  }
  if (data !== undefined && data.length >= 10) {
    let parsed: ErrorDescription | null = null;
    try {
      parsed = PROJECT_ERRORS.parseError(data);
    } catch {
      parsed = null;
    }
    if (parsed) return new ChainRevertError(describeCustomError(parsed, options), parsed.name, [...parsed.args], cause);
    return new ChainRevertError(
      `The contract refused with an error this version does not know (${data.slice(0, 10)}): check that the deployment file matches the chain.`,
      data.slice(0, 10),
      [],
      cause,
    );
  }
  // a string revert that only ethers decoded (no data kept)
  const reason = (error as { reason?: unknown } | null)?.reason;
  if (typeof reason === "string" && reason) return new ChainRevertError(TOKEN_SENTENCES[reason] ?? `The contract refused: "${reason}".`, reason, [], cause);
  if (isRevert(error)) return new ChainRevertError("The contract refused without a reason: check the address and the arguments.", "", [], cause);
  return undefined;
}

function firstLine(error: unknown): string {
  const e = error as { shortMessage?: unknown; message?: unknown } | null;
  const text = typeof e?.shortMessage === "string" ? e.shortMessage : typeof e?.message === "string" ? e.message : String(error);
  return text.split("\n")[0];
}

/**
 * Any error of a chain call or transaction as one CdnError: a CdnError as it is; a revert decoded;
 * a node's "insufficient funds" as NoEthError; anything else (unreachable RPC, timeout) as a
 * ChainRequestError that says what was being done. `action` completes "Could not …".
 */
export function chainError(error: unknown, action: string, options: DescribeOptions = {}): CdnError {
  if (error instanceof CdnError) return error;
  const reverted = decodeRevert(error, options);
  if (reverted) return reverted;
  const code = (error as { code?: unknown } | null)?.code;
  const text = firstLine(error);
  if (code === "INSUFFICIENT_FUNDS" || /insufficient funds|enough funds/i.test(text)) {
    return new NoEthError(`Could not ${action}: the account has too little ETH to pay for gas; send it ETH and try again.`, { cause: error });
  }
  if (code === "NETWORK_ERROR" || code === "TIMEOUT" || /ECONNREFUSED|fetch failed|socket hang up/i.test(text)) {
    return new ChainRequestError(`Could not ${action}: the chain's RPC endpoint did not answer (${text}); check rpcUrl and that the node is running.`, { cause: error });
  }
  return new ChainRequestError(`Could not ${action}: ${text}`, { cause: error });
}
