/** What cdn-client commands need: config, key, chain, store, a dial-only libp2p host, the client. */
import { resolveConfirmations } from "../../chain/confirmations.js";
import { TxSender } from "../../chain/tx-sender.js";
import { txSenderOptions } from "../../runtime/config-fields.js";
import { viaTxSender } from "../channels.js";
import path from "node:path";
import { Wallet } from "ethers";
import { connectContracts, connectRpc, type Contracts } from "../../chain/contracts.js";
import { createHost } from "../../runtime/host.js";
import { loadKeyFile, type Identity } from "../../runtime/keys.js";
import { createLogger } from "../../runtime/logger.js";
import { clientChainView } from "../chain.js";
import { createClient, type Client } from "../client.js";
import { loadClientConfig, type ClientConfig } from "../config.js";
import { ClientStore } from "../store.js";
import { ClientMesh } from "../mesh.js";
export { globals, type GlobalFlags } from "../../runtime/cli.js";

export interface ClientContext {
  config: ClientConfig;
  client: Client;
  store: ClientStore;
  identity: Identity;
  /** Contracts connected to the client key's wallet. */
  contracts: Contracts;
  /** The account's one transaction sender (the client's channel transactions, withdrawing credit). */
  sender: TxSender;
  close(): Promise<void>;
}

/** `flags` may carry config fields too (camelCase, e.g. maxPricePerGiB): they override the file and environment. */
export async function clientContext(flags: { config?: string; dataDir?: string } & Record<string, unknown>, options: { host?: boolean } = {}): Promise<ClientContext> {
  const config = loadClientConfig(flags);
  const identity = loadKeyFile(config.keyFile);
  const { provider, deployment } = await connectRpc(config.rpcUrl, config.deploymentsDir);
  const contracts = connectContracts(deployment, new Wallet(identity.wallet.privateKey, provider), { usdcPermitDomain: config.usdcPermitDomain });
  const store = new ClientStore(path.join(config.dataDir, "client.db"));
  // the client-mode mesh (DHT lookups after a probe miss, gossip as a subscriber), only when the host is used
  // (loopback: keep private addresses in DHT answers; the client only learns *who* provides and dials the registry's addresses)
  const mesh = options.host === false ? undefined : new ClientMesh({ regions: [config.region], loopback: true }, contracts);
  await mesh?.prepare();
  const host = await createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"], services: mesh?.services() as never });
  if (options.host === false) await host.stop();
  const dht = mesh ? await mesh.attach(host as never) : undefined;
  const logger = createLogger({ name: "cdn-client", level: config.logLevel, pretty: true });
  // the account's one transaction sender: fee cap from the config; opens and top-ups are used once confirmed
  const sender = new TxSender({ ...txSenderOptions(config), confirmations: await resolveConfirmations(provider, config.confirmations, 2) }, { signer: contracts.channels.runner as never });
  const client = createClient(
    { maxPricePerGiB: config.maxPricePerGiB, deposit: config.deposit, maxProbes: config.maxProbes },
    { host, identity, chain: clientChainView(contracts), contracts, store, logger, dht, sender: viaTxSender(sender) },
  );
  return {
    config,
    client,
    store,
    identity,
    contracts,
    sender,
    async close() {
      await mesh?.stop();
      await host.stop();
      store.close();
      provider.destroy();
    },
  };
}
