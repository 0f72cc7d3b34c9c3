/**
 * Delivery fixture: the whole protocol deployed on an in-process Hardhat chain (the devnet
 * Ignition module), real libp2p hosts on 127.0.0.1, a registered (and optionally recognized
 * origin) node agent, and funded clients. The timelock is impersonated to recognize origins and
 * blacklist blobs (test-only shortcut for a governance proposal).
 */
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Wallet, type Provider } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import { multiaddr as multiaddrOf } from "@multiformats/multiaddr";
import { deployGovernance, type GovernanceContext } from "../helpers/governance.js";
import type { TestToken } from "../../deploy/modules/Devnet.js";
import { connectContracts, type Contracts } from "../../agents/chain/contracts.js";
import type { Deployment } from "../../agents/chain/deployment.js";
import { identityFromSecret, type Identity } from "../../agents/runtime/keys.js";
import { createHost } from "../../agents/runtime/host.js";
import { NodeStore } from "../../agents/node/store.js";
import { NodeAgent, type NodeAgentOptions } from "../../agents/node/agent.js";
import { registerNode } from "../../agents/node/registration.js";
import type { NodeChainView } from "../../agents/node/chain.js";
import { ClientStore } from "../../agents/client/store.js";
import { createClient, type Client, type ClientOptions } from "../../agents/client/client.js";
import { clientChainView } from "../../agents/client/chain.js";
import { viaTxSender } from "../../agents/client/channels.js";
import { TxSender } from "../../agents/chain/tx-sender.js";
import { createLogger, silentLogger, type Logger } from "../../agents/runtime/logger.js";
import { runSession } from "../../agents/client/session.js";
import { tmpDir } from "../helpers/tmp.js";

/** CDN_TEST_LOG=debug prints the agents' logs (human-readable) while a test runs. */
export function testLogger(name: string): Logger {
  return process.env.CDN_TEST_LOG ? createLogger({ name, level: process.env.CDN_TEST_LOG, pretty: true }) : silentLogger();
}

export const USDC = 1_000_000n;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export function randomFile(dir: string, size: number, name = "blob.bin"): { file: string; data: Buffer } {
  const data = randomBytes(size);
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return { file, data };
}

export interface DeliveryWorld {
  gov: GovernanceContext;
  connection: NetworkConnection;
  deployment: Deployment;
  provider: Provider;
  treasury: string;
  contractsFor(identity: Identity): Contracts;
  fund(address: string, usdc?: bigint): Promise<void>;
  asTimelock<T>(fn: (timelock: Awaited<ReturnType<NetworkConnection["ethers"]["getSigner"]>>) => Promise<T>): Promise<T>;
}

/** `usdcPermitDomain`: the agents' configured permit domain (for a token that publishes none). */
export async function deliveryWorld(connection: NetworkConnection, options: { token?: TestToken; usdcPermitDomain?: { name: string; version: string } } = {}): Promise<DeliveryWorld> {
  const gov = await deployGovernance(connection, options.token);
  const { ethers, networkHelpers } = connection;
  const addr = (c: { getAddress(): Promise<string> }) => c.getAddress();
  const deployment: Deployment = {
    chainId: Number((await ethers.provider.getNetwork()).chainId),
    network: "hardhat",
    deploymentBlock: 0,
    deployedAt: new Date().toISOString(),
    usdc: await addr(gov.usdc),
    contracts: {
      CdnToken: await addr(gov.token),
      CdnTimelock: await addr(gov.timelock),
      CdnGovernor: await addr(gov.governor),
      ProtocolParams: await addr(gov.params),
      NodeRegistry: await addr(gov.registry),
      OriginRegistry: await addr(gov.origins),
      ContentBlacklist: await addr(gov.blacklist),
      PaymentChannel: await addr(gov.channels),
    },
  };
  const provider = ethers.provider as unknown as Provider;
  const timelockAddress = await addr(gov.timelock);
  return {
    gov,
    connection,
    deployment,
    provider,
    treasury: timelockAddress,
    contractsFor: (identity) => connectContracts(deployment, new Wallet(identity.wallet.privateKey, provider), { usdcPermitDomain: options.usdcPermitDomain }),
    async fund(address, usdc = 10_000n * USDC) {
      await networkHelpers.setBalance(address, 10n ** 20n);
      if (usdc > 0n) await gov.usdc.mint(address, usdc);
    },
    async asTimelock(fn) {
      await networkHelpers.impersonateAccount(timelockAddress);
      await networkHelpers.setBalance(timelockAddress, 10n ** 20n);
      const signer = await ethers.getSigner(timelockAddress);
      try {
        return await fn(signer);
      } finally {
        await networkHelpers.stopImpersonatingAccount(timelockAddress);
      }
    },
  };
}

export interface TestNode {
  agent: NodeAgent;
  identity: Identity;
  store: NodeStore;
  nodeId: bigint;
  dir: string;
  multiaddr: string;
}

export async function startNode(
  world: DeliveryWorld,
  opts: {
    pricePerGiB?: bigint;
    region?: number;
    origin?: boolean;
    options?: Partial<NodeAgentOptions>;
    tamper?: NodeAgent["deps"]["tamper"];
    chain?: (contracts: Contracts) => NodeChainView;
    identity?: Identity;
    dir?: string;
  } = {},
): Promise<TestNode> {
  const identity = opts.identity ?? identityFromSecret(randomBytes(32));
  const dir = opts.dir ?? tmpDir("cdn-node-");
  const port = await freePort();
  const multiaddr = `/ip4/127.0.0.1/tcp/${port}`;
  await world.fund(identity.address);
  const contracts = world.contractsFor(identity);
  let nodeId = await contracts.registry.nodeIdOf(identity.address);
  if (nodeId === 0n) {
    nodeId = await registerNode(contracts, identity, new Wallet(identity.wallet.privateKey, world.provider), {
      capacityMbps: 100,
      region: opts.region ?? 1,
      pricePerGiB: opts.pricePerGiB ?? 1_000_000n, // 1 USDC per GiB: visible amounts on small blobs
      multiaddrs: [`${multiaddr}/p2p/${identity.peerId.toString()}`],
    });
  }
  if (opts.origin ?? true) {
    const recognized = await world.gov.origins.isRecognized(nodeId);
    if (!recognized)
      await world.asTimelock((tl) =>
        world.gov.origins
          .connect(tl)
          .recognize(nodeId, identity.address)
          .then((tx) => tx.wait()),
      );
  }
  const store = new NodeStore(path.join(dir, "node.db"));
  const agent = new NodeAgent(
    { listen: [multiaddr], backendDir: path.join(dir, "backend"), confirmations: 0, pollMs: 200, sweepMs: 0, allow: ["/ip4/127.0.0.1"], ...(opts.options ?? {}) },
    { identity, contracts, store, tamper: opts.tamper, chain: opts.chain?.(contracts), logger: testLogger(`node-${nodeId}`) },
  );
  await agent.start();
  return { agent, identity, store, nodeId, dir, multiaddr };
}

export interface TestClient {
  client: Client;
  identity: Identity;
  store: ClientStore;
  contracts: Contracts;
  /** The account's one transaction sender (an agent that sends transactions of its own shares it). */
  sender: TxSender;
  stop(): Promise<void>;
}

export async function startClient(world: DeliveryWorld, options: ClientOptions = {}, identity?: Identity): Promise<TestClient> {
  identity ??= identityFromSecret(randomBytes(32));
  await world.fund(identity.address);
  const contracts = world.contractsFor(identity);
  const host = await createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"] });
  const store = new ClientStore(path.join(tmpDir("cdn-client-"), "client.db"));
  const sender = new TxSender({}, { signer: contracts.channels.runner as Wallet, logger: silentLogger() });
  const client = createClient({ probeTimeoutMs: 5000, ...options }, { host, identity, chain: clientChainView(contracts), contracts, store, logger: testLogger("client"), sender: viaTxSender(sender) });
  return {
    client,
    identity,
    store,
    contracts,
    sender,
    async stop() {
      await host.stop();
      store.close();
    },
  };
}

export async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(Buffer.from(b));
  return Buffer.concat(parts);
}

/** Stops what a test started through `useDeliveryWorld`: clients first, then nodes and their stores. */
async function stopAll(nodes: TestNode[], clients: TestClient[]): Promise<void> {
  for (const c of clients.splice(0)) await c.stop();
  for (const n of nodes.splice(0)) {
    await n.agent.stop();
    n.store.close();
  }
}

export interface DeliveryWorldHandle {
  /** The world (created by the suite's `before` hook). */
  readonly world: DeliveryWorld;
  /** Starts a node in the world; it is stopped after the suite. */
  node(opts?: Parameters<typeof startNode>[1]): Promise<TestNode>;
  /** Starts a funded client in the world; it is stopped after the suite. */
  client(options?: ClientOptions, identity?: Identity): Promise<TestClient>;
}

/** One delivery world per `describe`: created in `before`; every node and client started through it is stopped in `after`. */
export function useDeliveryWorld(options?: Parameters<typeof deliveryWorld>[1]): DeliveryWorldHandle {
  const nodes: TestNode[] = [];
  const clients: TestClient[] = [];
  let world: DeliveryWorld | undefined;
  before(async () => {
    world = await deliveryWorld(await network.create(), options);
  });
  after(() => stopAll(nodes, clients));
  const started = (): DeliveryWorld => {
    if (!world) throw new Error("the delivery world is created in the suite's before hook");
    return world;
  };
  return {
    get world() {
      return started();
    },
    async node(opts) {
      const n = await startNode(started(), opts);
      nodes.push(n);
      return n;
    },
    async client(clientOptions, identity) {
      const c = await startClient(started(), clientOptions, identity);
      clients.push(c);
      return c;
    },
  };
}

/** Node `n` publishes a random blob of `size` bytes and a new client of `world` opens a 1 USDC channel to it: where most paid-session tests start. */
export async function blobWithPayer(world: Pick<DeliveryWorldHandle, "client">, n: TestNode, size: number) {
  const { file, data } = randomFile(tmpDir(), size);
  const [blob] = await n.agent.publish([file]);
  const c = await world.client();
  const channel = await c.client.openChannel(n.identity.address.toLowerCase(), 1_000_000n);
  return { blob, data, c, channel };
}

/** One session of client `c` with node `n` directly (no discovery, no provider switching). */
export function directSession(
  c: Pick<TestClient, "client" | "store" | "identity">,
  n: Pick<TestNode, "multiaddr" | "identity" | "agent">,
  channelId: string,
  blobId: string,
  handlers: Parameters<typeof runSession>[2],
  chain = c.client.deps.chain,
): ReturnType<typeof runSession> {
  return runSession(
    { peer: multiaddrOf(`${n.multiaddr}/p2p/${n.identity.peerId}`), nodeKey: n.identity.address.toLowerCase(), maxPricePerGiB: n.agent.pricePerGiB, channelId, blobId, offset: 0, length: 0 },
    { host: c.client.deps.host, chain, store: c.store, address: c.client.address, secretKey: c.identity.secretKey },
    handlers,
  );
}
