/** What most cdn-node commands need: config, keys, the chain and the store. */
import path from "node:path";
import { Wallet } from "ethers";
import { resolveConfirmations } from "../../chain/confirmations.js";
import { TxSender } from "../../chain/tx-sender.js";
import { txSenderOptions } from "../../runtime/config-fields.js";
import { loadKeyFile } from "../../runtime/keys.js";
import { loadNodeConfig, type NodeConfig } from "../config.js";
import { NodeStore } from "../store.js";
import type { GlobalFlags } from "../../runtime/cli.js";
import { openAgent, type AgentContext } from "../../runtime/context.js";

export { globals, type GlobalFlags } from "../../runtime/cli.js";

export interface NodeContext extends AgentContext<NodeConfig, NodeStore> {
  /** The operator account (registration, exit, withdrawing credit): its own key file, or the node key. */
  operator: Wallet;
}

/** `logs`: where JSON log lines go (stderr for one-shot commands; a running `start` logs on stdout). */
export async function nodeContext(flags: GlobalFlags & Record<string, unknown>, options: { logs?: "stdout" | "stderr" } = {}): Promise<NodeContext> {
  const ctx = await openAgent("cdn-node", loadNodeConfig(flags), (config) => new NodeStore(path.join(config.dataDir, "node.db")), options);
  const operatorKey = ctx.config.operatorKeyFile ? loadKeyFile(ctx.config.operatorKeyFile).wallet.privateKey : ctx.identity.wallet.privateKey;
  return { ...ctx, operator: new Wallet(operatorKey, ctx.provider) };
}

/** The operator account's transaction sender (registration, exit, withdrawing credit), with the node's fee cap and confirmations. */
export async function operatorSender(ctx: Pick<NodeContext, "config" | "contracts" | "operator" | "logger">): Promise<TxSender> {
  const confirmations = await resolveConfirmations(ctx.contracts.provider, ctx.config.confirmations, 2);
  return new TxSender({ ...txSenderOptions(ctx.config), confirmations }, { signer: ctx.operator as never, logger: ctx.logger.child({ module: "tx" }) });
}
