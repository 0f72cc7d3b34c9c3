/** What the cdn-slasher commands share: config, key, chain, stores, a dial-only host, the client library, the slasher. */
import { resolveConfirmations } from "../../chain/confirmations.js";
import { TxSender } from "../../chain/tx-sender.js";
import { txSenderOptions } from "../../runtime/config-fields.js";
import { clientChainView } from "../../client/chain.js";
import { viaTxSender } from "../../client/channels.js";
import { createClient } from "../../client/client.js";
import { ClientStore } from "../../client/store.js";
import { createHost } from "../../runtime/host.js";
import { loadSlasherConfig, type SlasherConfig } from "../config.js";
import { Slasher } from "../slasher.js";
import { SlasherStore } from "../store.js";
import type { GlobalFlags } from "../../runtime/cli.js";
import { openAgent } from "../../runtime/context.js";

export { globals, type GlobalFlags } from "../../runtime/cli.js";

export interface SlasherContext {
  config: SlasherConfig;
  slasher: Slasher;
  store: SlasherStore;
  close(): Promise<void>;
}

/** `logs`: where JSON log lines go (stderr for one-shot commands; a running `start` logs on stdout). */
export async function slasherContext(flags: GlobalFlags & Record<string, unknown>, options: { logs?: "stdout" | "stderr" } = {}): Promise<SlasherContext> {
  const agent = await openAgent("cdn-slasher", loadSlasherConfig(flags), (c) => new SlasherStore(c.dbFile), options);
  const { config, identity, provider, contracts, logger, store } = agent;
  const channels = new ClientStore(config.clientDbFile);
  const host = await createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"] });
  // one sender for the account: probe channels (through the client library) and commit-reveal
  const sender = new TxSender(
    { ...txSenderOptions(config), confirmations: await resolveConfirmations(provider, config.confirmations, 2) },
    { signer: contracts.channels.runner as never, logger: logger.child({ module: "tx" }) },
  );
  const client = createClient({}, { host, identity, chain: clientChainView(contracts), contracts, store: channels, logger: logger.child({ module: "client" }), sender: viaTxSender(sender) });
  const slasher = new Slasher(
    { noticeFiles: config.notices, intervalMs: config.intervalMs, deposit: config.deposit, probeTimeoutMs: config.probeTimeoutMs },
    {
      client,
      contracts,
      store,
      logger,
      sender,
    },
  );
  return {
    config,
    slasher,
    store,
    async close() {
      await host.stop();
      channels.close();
      agent.close();
    },
  };
}
