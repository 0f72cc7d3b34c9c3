/**
 * The libp2p host every agent runs: TCP, noise, yamux, identify and ping, with explicit
 * connection and stream limits. Protocol services (fetch, probe, watchtower, gossip, DHT) are
 * added by the agent through `services`.
 */
import { createLibp2p, type Libp2pOptions } from "libp2p";
import { tcp } from "@libp2p/tcp";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { ping } from "@libp2p/ping";
import type { Libp2p, PrivateKey, ServiceMap } from "@libp2p/interface";

export interface HostOptions<S extends ServiceMap = ServiceMap> {
  privateKey: PrivateKey;
  /** Multiaddrs to listen on, e.g. ["/ip4/127.0.0.1/tcp/0"]; empty for a dial-only client. */
  listen: string[];
  /** Addresses to announce instead of the listen addresses (NAT, DNS). */
  announce?: string[];
  maxConnections?: number;
  /**
   * Address prefixes exempt from connection rate limits, e.g. ["/ip4/127.0.0.1"]: required when
   * many peers share one host on loopback (tests, devnet), else inbound limits reset dials.
   */
  allow?: string[];
  services?: Libp2pOptions<S>["services"];
}

export const DEFAULT_MAX_CONNECTIONS = 300;

export async function createHost<S extends ServiceMap = ServiceMap>(options: HostOptions<S>): Promise<Libp2p<S & { identify: unknown; ping: unknown }>> {
  const node = await createLibp2p({
    privateKey: options.privateKey,
    addresses: { listen: options.listen, announce: options.announce ?? [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      allow: options.allow ?? [],
    },
    services: {
      identify: identify(),
      ping: ping(),
      ...(options.services ?? {}),
    } as Libp2pOptions<S & { identify: unknown; ping: unknown }>["services"],
  });
  return node as unknown as Libp2p<S & { identify: unknown; ping: unknown }>;
}
