/**
 * Hardhat tasks for DAO members and operators: `npx hardhat <task> --help` for each.
 * Every task reads the deployment file of the connected chain (deployments/chain-<id>.json).
 */
import { task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";
import { ACTIONS } from "./gov/actions.js";

const from = { name: "from", description: "Account to send from: index among the network's accounts, or address", defaultValue: "0" } as const;
const proposalId = { name: "id", description: "Proposal id (from gov:propose or gov:list)", defaultValue: "" } as const;

export const tasks = [
  task("gov:propose", `Create a proposal, validated against the on-chain bounds first. Example: ${ACTIONS.param.example}`)
    .addOption({ name: "action", description: `What to propose (${Object.keys(ACTIONS).join(", ")})`, defaultValue: "" })
    .addOption({ name: "key", description: "Parameter or setting name, e.g. disputeWindow (see params:show)", defaultValue: "" })
    .addOption({ name: "value", description: 'New value, with units: "36h", "150 USDC", "5%", "1.25", or base units', defaultValue: "" })
    .addOption({ name: "node", description: "Node id or node key (origin actions)", defaultValue: "" })
    .addOption({ name: "account", description: "Address: content key (origin-recognize) or compliance account", defaultValue: "" })
    .addOption({ name: "blob", description: "Blob id, 0x + 64 hex (blacklist actions; only its key goes on-chain)", defaultValue: "" })
    .addOption({ name: "description", description: "Proposal text (first line is its title)", defaultValue: "" })
    .addOption(from)
    .setAction(() => import("./gov/propose.js"))
    .build(),
  task("gov:delegate", "Delegate your CDN voting power (to yourself by default); needed once before voting or proposing")
    .addOption({ name: "to", description: 'Delegate address, or "self"', defaultValue: "self" })
    .addOption(from)
    .setAction(() => import("./gov/delegate.js"))
    .build(),
  task("gov:vote", "Vote on an active proposal")
    .addOption(proposalId)
    .addOption({ name: "support", description: "for, against or abstain", defaultValue: "for" })
    .addOption({ name: "reason", description: "Optional reason recorded on-chain", defaultValue: "" })
    .addOption(from)
    .setAction(() => import("./gov/vote.js"))
    .build(),
  task("gov:queue", "Queue a succeeded proposal in the timelock")
    .addOption(proposalId)
    .addOption(from)
    .setAction(() => import("./gov/queue.js"))
    .build(),
  task("gov:execute", "Execute a queued proposal once its timelock delay has passed")
    .addOption(proposalId)
    .addOption(from)
    .setAction(() => import("./gov/execute.js"))
    .build(),
  task("gov:status", "Show a proposal: state, votes, quorum, voting blocks, eta and decoded actions")
    .addOption(proposalId)
    .setAction(() => import("./gov/status.js"))
    .build(),
  task("gov:list", "List every proposal with its state")
    .setAction(async () => import("./gov/list.js"))
    .build(),
  task("params:show", "Show every protocol parameter with value, hard bounds, last change and next allowed change")
    .addFlag({ name: "json", description: "Print JSON instead of a table" })
    .setAction(() => import("./params/show.js"))
    .build(),
  task("treasury:withdraw", "Pay the protocol fees and slash shares PaymentChannel holds for the treasury to the treasury (anyone may send it)")
    .addOption(from)
    .setAction(() => import("./channels/treasury.js"))
    .build(),
  task("node:show", "Show a node: identity, operator, status, bond vs required, offer, origin status, dial data")
    .addPositionalArgument({ name: "node", description: "Node id or node key address" })
    .addFlag({ name: "json", description: "Print JSON" })
    .setAction(() => import("./registry/node-show.js"))
    .build(),
  task("node:list", "List the active node set (paged through NodeRegistry.activeNodes)")
    .addOption({ name: "pageSize", description: "Node ids scanned per call (1-500)", type: ArgumentType.INT, defaultValue: 200 })
    .addFlag({ name: "json", description: "Print JSON" })
    .setAction(() => import("./registry/node-list.js"))
    .build(),
  task("origin:show", "Show an origin's recognition and content-key epochs")
    .addPositionalArgument({ name: "node", description: "Node id or node key address" })
    .setAction(() => import("./registry/origin-show.js"))
    .build(),
  task("blacklist:check", "Is a blob blacklisted, and since when does the entry bind nodes?")
    .addPositionalArgument({ name: "blob", description: "Blob id (0x + 64 hex)" })
    .setAction(async () => ({ default: (await import("./registry/blacklist.js")).check }))
    .build(),
  task("blacklist:add", "Compliance role only: blacklist a blob now (binds after the compliance window)")
    .addOption({ name: "blob", description: "Blob id (0x + 64 hex); only its key goes on-chain", defaultValue: "" })
    .addOption(from)
    .setAction(async () => ({ default: (await import("./registry/blacklist.js")).add }))
    .build(),
  task("blacklist:remove", "Compliance role only: remove a blob's blacklist entry")
    .addOption({ name: "blob", description: "Blob id (0x + 64 hex)", defaultValue: "" })
    .addOption(from)
    .setAction(async () => ({ default: (await import("./registry/blacklist.js")).remove }))
    .build(),
  task("channel:show", "Show a payment channel: parties, snapshot operator and fee, deposit, paid, dispute window")
    .addPositionalArgument({ name: "id", description: "Channel id (0x + 64 hex)" })
    .addFlag({ name: "json", description: "Print JSON" })
    .setAction(async () => ({ default: (await import("./channels/channels.js")).show }))
    .build(),
  task("channel:list", "List the channels of a payer (--payer) or of a node (--node)")
    .addOption({ name: "payer", description: "Payer address", defaultValue: "" })
    .addOption({ name: "node", description: "Node id or node key", defaultValue: "" })
    .addFlag({ name: "json", description: "Print JSON" })
    .setAction(async () => ({ default: (await import("./channels/channels.js")).list }))
    .build(),
  task("chain:advance", "Local chain only: mine blocks and/or move time forward (a proposal cycle in seconds)")
    .addOption({ name: "blocks", description: "Blocks to mine", type: ArgumentType.INT, defaultValue: 0 })
    .addOption({ name: "seconds", description: "Seconds to move time forward", type: ArgumentType.INT, defaultValue: 0 })
    .setAction(() => import("./chain/advance.js"))
    .build(),
  task("devnet:fund", "Local chain only: give an address test USDC and ETH. Example: devnet:fund --to 0x… --usdc 100 --eth 1")
    .addOption({ name: "to", description: "Address to fund", defaultValue: "" })
    .addOption({ name: "usdc", description: "USDC to mint to it (e.g. 100 or 2.5)", defaultValue: "0" })
    .addOption({ name: "eth", description: "ETH to add to its balance (e.g. 1)", defaultValue: "0" })
    .setAction(() => import("./devnet/fund.js"))
    .build(),
  task("protocol:deploy", "Deploy the DAO and the protocol on the chain's USDC; writes deployments/chain-<id>.json (docs/deploy.md)")
    .addOption({ name: "parameters", description: "Parameters: a name under deploy/parameters/ or a .json path (default: the network name)", defaultValue: "" })
    .addOption({ name: "deploymentId", description: "Ignition journal id under ignition/deployments/ (default: chain-<chain id>)", defaultValue: "" })
    .setAction(() => import("./deploy/deploy.js"))
    .build(),
];
