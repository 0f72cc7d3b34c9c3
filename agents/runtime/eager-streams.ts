/**
 * Streams that do not wait for protocol negotiation (optimistic multistream-select). For the
 * protocols named, the dialler writes the multistream header and the protocol id and goes on at
 * once with its own data, so a request leaves with them instead of one round trip later; the
 * listener's two echoes are read and checked before the stream's first byte reaches the reader (an
 * "na" or anything else aborts the stream). The listener side is plain multistream-select, which
 * already reads data pipelined after the protocol id.
 *
 * libp2p 3 runs multistream-select itself (one round trip per stream) unless the muxer pre-negotiates
 * the protocol (`CreateStreamOptions.protocol`); yamux does not, so `eagerStreams` wraps the yamux
 * factory to do it. A protocol may also grant the listener a larger yamux receive window when the
 * stream opens: yamux starts every stream at 256 KiB, and a fetch answer's header, leaf hashes and
 * first leaf together are larger, so without the grant the first leaf waits a round trip for a
 * window update.
 *
 * The caller's first bytes may go out with the protocol id (`newStream(protocol, { firstBytes })`,
 * see `EagerStreamOptions`): libp2p's `newStream` still has work to do after the muxer opened the
 * stream (a peer-store write, middleware; ~1 ms, several under load), and the request need not
 * wait for it.
 */
import type { Stream, StreamMuxerFactory } from "@libp2p/interface";
import { adjustMuxers } from "./muxer-hooks.js";
import { Uint8ArrayList } from "uint8arraylist";
import * as varint from "uint8-varint";

const MULTISTREAM = "/multistream/1.0.0";
/** Longest echo accepted (multistream-select's own limit on a protocol id). */
const MAX_ECHO_BYTES = 1024;

export interface EagerProtocol {
  /** Receive window (bytes) granted to the listener as the stream opens, when above yamux's initial 256 KiB. */
  receiveWindow?: number;
}

/** Options of `connection.newStream` for an eager protocol (libp2p passes its options on to the muxer's createStream). */
export interface EagerStreamOptions {
  /** Bytes sent right after the protocol id, before `newStream` returns (only if the stream opens eagerly: check `sentFirstBytes`). */
  firstBytes?: Uint8Array;
}

/** Streams opened eagerly (their protocol was not negotiated before the first write). */
const eager = new WeakSet<Stream>();
/** Eager streams whose `firstBytes` were sent with the protocol id. */
const withFirstBytes = new WeakSet<Stream>();

/** Whether `stream` was opened without waiting for protocol negotiation (no round trip of its own). */
export const openedEagerly = (stream: Stream): boolean => eager.has(stream);

/** Whether the `firstBytes` given to `newStream` went out with the protocol id (else the caller still sends them). */
export const sentFirstBytes = (stream: Stream): boolean => withFirstBytes.has(stream);

/** What is used of a muxed stream: its inbound data hook (AbstractMessageStream) and, on yamux, its receive window. */
interface MuxedStream {
  protocol: string;
  send(data: Uint8Array): boolean;
  abort(error: Error): void;
  onData(data: Uint8Array | Uint8ArrayList): void;
  recvWindow?: number;
  sendWindowUpdate?: () => void;
}

const lengthPrefixed = (text: string): Uint8Array => {
  const body = new TextEncoder().encode(`${text}\n`);
  return new Uint8ArrayList(varint.encode(body.length), body).subarray();
};

/** Wraps a muxer factory: streams opened for one of `protocols` are pre-negotiated optimistically. */
export function eagerStreams<C>(factory: (components: C) => StreamMuxerFactory, protocols: ReadonlyMap<string, EagerProtocol>): (components: C) => StreamMuxerFactory {
  return adjustMuxers(factory, (muxer) => {
    const createStream = muxer.createStream.bind(muxer);
    muxer.createStream = async (options) => {
      const stream = await createStream(options);
      const wanted = options?.protocol === undefined ? undefined : protocols.get(options.protocol);
      if (wanted && options?.protocol) {
        selectEagerly(stream as unknown as MuxedStream, options.protocol, wanted);
        eager.add(stream);
        const { firstBytes } = options as EagerStreamOptions;
        if (firstBytes !== undefined) {
          stream.send(firstBytes);
          withFirstBytes.add(stream);
        }
      }
      return stream;
    };
  });
}

/** Writes the header and protocol id, marks the stream negotiated, and checks the echoes as they arrive. */
function selectEagerly(stream: MuxedStream, protocol: string, options: EagerProtocol): void {
  if (options.receiveWindow !== undefined && typeof stream.recvWindow === "number" && typeof stream.sendWindowUpdate === "function" && options.receiveWindow > stream.recvWindow) {
    stream.recvWindow = options.receiveWindow;
    stream.sendWindowUpdate(); // one window-update frame, ahead of the data
  }
  stream.send(new Uint8ArrayList(lengthPrefixed(MULTISTREAM), lengthPrefixed(protocol)).subarray());
  stream.protocol = protocol;
  const expected = [MULTISTREAM, protocol];
  const received = new Uint8ArrayList();
  stream.onData = (data) => {
    received.append(data);
    while (expected.length > 0) {
      const prefix = lengthPrefix(received);
      if (prefix === "invalid" || (prefix && prefix.length > MAX_ECHO_BYTES)) return stream.abort(new Error(`protocol negotiation for ${protocol} failed: malformed answer`));
      if (!prefix || received.byteLength < prefix.size + prefix.length) return; // not complete yet
      const echo = new TextDecoder().decode(received.subarray(prefix.size, prefix.size + prefix.length));
      received.consume(prefix.size + prefix.length);
      if (echo !== `${expected[0]}\n`) return stream.abort(new Error(`the peer does not speak ${protocol} (it answered "${echo.trim()}")`));
      expected.shift();
    }
    delete (stream as Partial<MuxedStream>).onData; // the muxer's own handler again
    if (received.byteLength > 0) stream.onData(received);
  };
}

/** The unsigned-varint length prefix at the start of `buf` (at most 2 bytes: echoes are short), undefined while incomplete. */
function lengthPrefix(buf: Uint8ArrayList): { length: number; size: number } | "invalid" | undefined {
  let length = 0;
  for (let i = 0; i < 2; i++) {
    if (i >= buf.byteLength) return undefined;
    const b = buf.get(i);
    length |= (b & 0x7f) << (7 * i);
    if (b < 0x80) return { length, size: i + 1 };
  }
  return "invalid";
}
