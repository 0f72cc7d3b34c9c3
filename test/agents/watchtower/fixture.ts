/**
 * Watchtower test helpers: register a node (its key doubles as its libp2p identity), open a
 * channel from a payer, sign vouchers, and start hosts and watchtowers on 127.0.0.1.
 */
import path from "node:path";
import { randomBytes } from "node:crypto";
import { hexlify, Wallet, ZeroAddress, type Provider } from "ethers";
import type { Contracts } from "../../../agents/chain/contracts.js";
import { signVoucher } from "../../../agents/protocol/signed.js";
import type { Eip712Domain } from "../../../agents/protocol/eip712-fast.js";
import { identityFromSecret, type Identity } from "../../../agents/runtime/keys.js";
import { createHost } from "../../../agents/runtime/host.js";
import { registerNode } from "../../../agents/node/registration.js";
import { Watchtower, type WatchtowerOptions } from "../../../agents/watchtower/watchtower.js";
import { WatchtowerStore } from "../../../agents/watchtower/store.js";
import type { WatchtowerChainView } from "../../../agents/watchtower/chain.js";

export const USDC = 1_000_000n;

export interface NodeKeys {
  identity: Identity;
  operator: Wallet;
  nodeId: bigint;
}

/** Registers a node whose operator is a separate account. `fund(address)` gives ETH and USDC. */
export async function registeredNode(contracts: (id: Identity) => Contracts, provider: Provider, fund: (address: string) => Promise<void>, multiaddr = "/ip4/127.0.0.1/tcp/1"): Promise<NodeKeys> {
  const identity = identityFromSecret(randomBytes(32));
  const operatorIdentity = identityFromSecret(randomBytes(32));
  const operator = new Wallet(operatorIdentity.wallet.privateKey, provider);
  await fund(identity.address);
  await fund(operator.address);
  const nodeId = await registerNode(contracts(identity), identity, operator, { capacityMbps: 100, region: 1, pricePerGiB: 1_000_000n, multiaddrs: [`${multiaddr}/p2p/${identity.peerId}`] });
  return { identity, operator, nodeId };
}

/** The payer opens a channel to `nodeKey` with `deposit`; returns its id. */
export async function openChannel(payer: Contracts, payerAddress: string, nodeKey: string, deposit: bigint): Promise<string> {
  const nonce = hexlify(randomBytes(32));
  await (await payer.usdc.approve(await payer.channels.getAddress(), deposit)).wait();
  await (await payer.channels.open(nodeKey, deposit, ZeroAddress, 0, nonce)).wait();
  return (await payer.channels.channelIdFor(payerAddress, nodeKey, nonce)).toLowerCase();
}

export function voucher(domain: Eip712Domain, channelId: string, amount: bigint, secretKey: Uint8Array) {
  return { channelId, cumulativeAmount: amount, signature: signVoucher(domain, { channelId, cumulativeAmount: amount }, secretKey) };
}

export async function dialOnlyHost(identity: Identity) {
  return createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"] });
}

export async function startWatchtower(identity: Identity, contracts: Contracts, dir: string, options: Partial<WatchtowerOptions> = {}, chain?: WatchtowerChainView) {
  const store = new WatchtowerStore(path.join(dir, "watchtower.db"));
  const tower = new Watchtower({ listen: ["/ip4/127.0.0.1/tcp/0"], allow: ["/ip4/127.0.0.1"], confirmations: 0, pollMs: 100, retryBaseMs: 200, ...options }, { identity, contracts, store, chain });
  await tower.start();
  const addr = tower
    .host!.getMultiaddrs()
    .map(String)
    .find((a) => a.includes("/p2p/"))!;
  return {
    tower,
    store,
    addr,
    async stop() {
      await tower.stop();
      store.close();
    },
  };
}

export async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
