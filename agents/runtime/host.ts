/**
 * The libp2p host every agent runs: TCP, noise, yamux, identify and ping, with connection and
 * stream limits set on purpose (HOST_LIMITS; docs/threat-model.md says what each one stops).
 * Protocol services (fetch, probe, watchtower, gossip, DHT) are added by the agent through
 * `services`, each registering its own per-protocol stream limits.
 *
 * Beyond libp2p's own limits (total connections, pending upgrades, per-address connection rate,
 * protocol negotiation time, yamux streams per connection), a connection gater caps connections
 * per peer and per IP address (addresses under the `allow` prefixes are exempt from the per-IP
 * cap and the rate limit) and applies an operator deny list of peer ids, then the agent's own gater.
 */
import { createLibp2p, type Libp2pOptions } from "libp2p";
import { tcp } from "@libp2p/tcp";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { ping } from "@libp2p/ping";
import type { Connection, ConnectionGater, Libp2p, MultiaddrConnection, PeerId, PrivateKey, ServiceMap } from "@libp2p/interface";
import type { Datastore } from "interface-datastore";
import { PROTOCOL_FETCH, PROTOCOL_PROBE } from "../protocol/constants.js";
import { tunedYamuxFlow } from "./yamux-flow.js";
import { noiseWithoutReceiveCopy } from "./noise-receive.js";
import { eagerStreams, type EagerProtocol } from "./eager-streams.js";

export const HOST_LIMITS = {
  /** Open connections in total (libp2p prunes beyond it). */
  maxConnections: 300,
  /** Inbound connections still upgrading (noise, yamux) at once. */
  maxIncomingPendingConnections: 32,
  /** New inbound connections per second from one address outside the allow list. */
  inboundConnectionThreshold: 5,
  /** An inbound connection must finish its upgrade within this (ms). */
  inboundUpgradeTimeoutMs: 5_000,
  /** An inbound stream must name its protocol within this (ms): raw yamux streams do not linger. */
  protocolNegotiationTimeoutMs: 5_000,
  /** Connections one peer may hold to this host at once. */
  maxConnectionsPerPeer: 4,
  /** Connections from one IP address outside the allow list. */
  maxConnectionsPerIp: 32,
  /** Streams one connection may have open towards this host, all protocols together (yamux). */
  maxStreamsPerConnection: 256,
  /** Streams queued before the muxer's handler is attached (yamux). */
  maxEarlyStreams: 10,
};

export type HostLimits = typeof HOST_LIMITS;

/**
 * How often libp2p's connection monitor pings each open connection (a new `/ipfs/ping` stream,
 * negotiated, 32 bytes each way) and aborts the connection if the ping fails; libp2p's default is
 * 10 s. Every node connects to every other on a small mesh, so at 20 nodes the default made each
 * node open ~2 ping streams a second and answer as many while idle. At 30 s a dead connection (a
 * peer gone without a FIN) is dropped within ~30 s plus the ping's timeout instead of ~10 s; yamux's
 * own keepalive frame (every 30 s) keeps NAT mappings alive between pings (docs/mesh.md, "Idle work").
 */
export const CONNECTION_PING_INTERVAL_MS = 30_000;

/**
 * The most a yamux stream's receive window grows to (yamux's own default), and the most a paused
 * stream buffers: a reader that falls behind pauses its stream (agents/runtime/framed.ts), yamux
 * stops granting window, and the sender stalls with at most this much sent and unread. A paid
 * stream's credit window may be larger (`DEFAULT_CREDIT.maxWindow` in agents/protocol/credit.ts,
 * 64 MiB): the client pays ahead of it, and what a peer may leave buffered stays this bound.
 * libp2p's default read-buffer cap (4 MiB) is raised to match, else a paused stream whose sender
 * still had window left would be reset.
 */
export const STREAM_WINDOW_BYTES = 16 * 1024 * 1024;

/**
 * Protocols whose streams are opened without a negotiation round trip (agents/runtime/eager-streams.ts):
 * the fetch request leaves with the stream's protocol id, and the stream grants the node 1 MiB of
 * receive window at once, room for the header, up to 8,000 leaf hashes and the first leaf; a probe
 * leaves with its protocol id too (one round trip per probe round). An eager stream's writer must not
 * close its side before the answer arrived: multistream-select's listener resets a stream whose
 * writer closed before the negotiation finished.
 */
export const EAGER_PROTOCOLS: ReadonlyMap<string, EagerProtocol> = new Map<string, EagerProtocol>([
  [PROTOCOL_FETCH, { receiveWindow: 1024 * 1024 }],
  [PROTOCOL_PROBE, {}],
]);

export interface HostOptions<S extends ServiceMap = ServiceMap> {
  privateKey: PrivateKey;
  /** Multiaddrs to listen on, e.g. ["/ip4/127.0.0.1/tcp/0"]; empty for a dial-only client. */
  listen: string[];
  /** Addresses to announce instead of the listen addresses (NAT, DNS). */
  announce?: string[];
  maxConnections?: number;
  /**
   * Address prefixes exempt from connection rate limits and the per-IP cap, e.g. ["/ip4/127.0.0.1"]:
   * required when many peers share one host on loopback (tests, devnet), else inbound limits reset dials.
   */
  allow?: string[];
  /** Peer ids (strings) never dialled nor accepted: the operator's deny list. */
  denyPeers?: string[];
  /** The agent's own gater (e.g. the mesh's nodes-only mode), consulted after the host's checks. */
  gater?: ConnectionGater;
  /** libp2p's datastore (default in memory); the mesh passes one that filters DHT provider records. */
  datastore?: Datastore;
  limits?: Partial<HostLimits>;
  services?: Libp2pOptions<S>["services"];
}

export const DEFAULT_MAX_CONNECTIONS = HOST_LIMITS.maxConnections;

/** The IP address of a multiaddr (its second component), if it has one. */
function ipOf(addr: { toString(): string }): string | undefined {
  const parts = addr.toString().split("/");
  return parts[1] === "ip4" || parts[1] === "ip6" ? parts[2] : undefined;
}

/**
 * The host's connection gater: the deny list, at most `maxConnectionsPerPeer` connections per peer
 * and `maxConnectionsPerIp` per IP address (allow-listed prefixes exempt), then `inner`.
 * `connections` reads the host's open connections (the host is created after the gater).
 */
export function hostConnectionGater(options: { limits: HostLimits; allow: string[]; denyPeers: Set<string>; inner?: ConnectionGater }, connections: () => Connection[]): ConnectionGater {
  const { limits, allow, denyPeers, inner } = options;
  const allowed = (addr: { toString(): string }): boolean => allow.some((prefix) => addr.toString().startsWith(prefix));
  const denied = (peer: PeerId): boolean => denyPeers.has(peer.toString());
  return {
    ...inner,
    denyDialPeer: async (peer) => denied(peer) || ((await inner?.denyDialPeer?.(peer)) ?? false),
    denyInboundConnection: async (maConn: MultiaddrConnection) => {
      const ip = ipOf(maConn.remoteAddr);
      if (ip !== undefined && !allowed(maConn.remoteAddr)) {
        const fromIp = connections().filter((c) => ipOf(c.remoteAddr) === ip).length;
        if (fromIp >= limits.maxConnectionsPerIp) return true;
      }
      return (await inner?.denyInboundConnection?.(maConn)) ?? false;
    },
    denyInboundEncryptedConnection: async (peer, maConn) => {
      if (denied(peer)) return true;
      const key = peer.toString();
      if (connections().filter((c) => c.remotePeer.toString() === key).length >= limits.maxConnectionsPerPeer) return true;
      return (await inner?.denyInboundEncryptedConnection?.(peer, maConn)) ?? false;
    },
    denyOutboundEncryptedConnection: async (peer, maConn) => denied(peer) || ((await inner?.denyOutboundEncryptedConnection?.(peer, maConn)) ?? false),
  };
}

export async function createHost<S extends ServiceMap = ServiceMap>(options: HostOptions<S>): Promise<Libp2p<S & { identify: unknown; ping: unknown }>> {
  const limits: HostLimits = { ...HOST_LIMITS, ...(options.limits ?? {}), ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}) };
  const allow = options.allow ?? [];
  const created: { host?: Libp2p } = {};
  const connectionGater = hostConnectionGater({ limits, allow, denyPeers: new Set(options.denyPeers ?? []), inner: options.gater }, () => created.host?.getConnections() ?? []);
  const node = await createLibp2p({
    privateKey: options.privateKey,
    addresses: { listen: options.listen, announce: options.announce ?? [] },
    transports: [tcp()],
    connectionEncrypters: [noiseWithoutReceiveCopy(noise())],
    streamMuxers: [
      eagerStreams(
        tunedYamuxFlow(
          yamux({
            maxInboundStreams: limits.maxStreamsPerConnection,
            maxOutboundStreams: limits.maxStreamsPerConnection,
            maxEarlyStreams: limits.maxEarlyStreams,
            streamOptions: { maxStreamWindowSize: STREAM_WINDOW_BYTES, maxReadBufferLength: STREAM_WINDOW_BYTES },
          }),
        ),
        EAGER_PROTOCOLS,
      ),
    ],
    connectionGater,
    ...(options.datastore ? { datastore: options.datastore } : {}),
    connectionManager: {
      maxConnections: limits.maxConnections,
      maxIncomingPendingConnections: limits.maxIncomingPendingConnections,
      inboundConnectionThreshold: limits.inboundConnectionThreshold,
      inboundUpgradeTimeout: limits.inboundUpgradeTimeoutMs,
      inboundStreamProtocolNegotiationTimeout: limits.protocolNegotiationTimeoutMs,
      allow,
    },
    connectionMonitor: { pingInterval: CONNECTION_PING_INTERVAL_MS },
    services: {
      identify: identify(),
      ping: ping(),
      ...(options.services ?? {}),
    } as Libp2pOptions<S & { identify: unknown; ping: unknown }>["services"],
  });
  created.host = node as unknown as Libp2p;
  return node as unknown as Libp2p<S & { identify: unknown; ping: unknown }>;
}
