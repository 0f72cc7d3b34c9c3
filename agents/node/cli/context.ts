/** What most cdn-node commands need: config, keys, the chain and the store. */
import path from "node:path";
import { Wallet } from "ethers";
import { resolveConfirmations } from "../../chain/confirmations.js";
import type { Contracts } from "../../chain/contracts.js";
import { TxSender } from "../../chain/tx-sender.js";
import { txSenderOptions } from "../../runtime/config-fields.js";
import { loadKeyFile, type Identity } from "../../runtime/keys.js";
import type { Logger } from "../../runtime/logger.js";
import { loadNodeConfig, type NodeConfig } from "../config.js";
import { NodeStore } from "../store.js";
import type { GlobalFlags } from "../../runtime/cli.js";
import { connectAgent } from "../../runtime/context.js";

export { globals, type GlobalFlags } from "../../runtime/cli.js";

export interface NodeContext {
  config: NodeConfig;
  identity: Identity;
  /** Contracts connected to the node key's wallet. */
  contracts: Contracts;
  operator: Wallet;
  store: NodeStore;
  logger: Logger;
  close(): void;
}

/** `logs`: where JSON log lines go (stderr for one-shot commands; a running `start` logs on stdout). */
export async function nodeContext(flags: GlobalFlags & Record<string, unknown>, options: { logs?: "stdout" | "stderr" } = {}): Promise<NodeContext> {
  const config = loadNodeConfig(flags);
  const { identity, provider, contracts, logger } = await connectAgent("cdn-node", config, options);
  const operator = config.operatorKeyFile ? new Wallet(loadKeyFile(config.operatorKeyFile).wallet.privateKey, provider) : new Wallet(identity.wallet.privateKey, provider);
  const store = new NodeStore(path.join(config.dataDir, "node.db"));
  return {
    config,
    identity,
    contracts,
    operator,
    store,
    logger,
    close() {
      store.close();
      provider.destroy();
    },
  };
}

/** The operator account's transaction sender (registration, exit, withdrawing credit), with the node's fee cap and confirmations. */
export async function operatorSender(ctx: Pick<NodeContext, "config" | "contracts" | "operator" | "logger">): Promise<TxSender> {
  const confirmations = await resolveConfirmations(ctx.contracts.provider, ctx.config.confirmations, 2);
  return new TxSender({ ...txSenderOptions(ctx.config), confirmations }, { signer: ctx.operator as never, logger: ctx.logger.child({ module: "tx" }) });
}
