/**
 * Two corrections to how @chainsafe/libp2p-yamux 8 moves bulk data, applied to every stream a muxer
 * opens or accepts (measured with bench/delivery.bench.ts, docs/delivery.md §8):
 *
 * - **Data frames of at most one noise message.** yamux 8 sends as much as the peer's window allows
 *   in one data frame (its `maxMessageSize` option is not applied: every window update raises the
 *   stream's frame size to the whole window), and the receiving muxer hands nothing of a frame to
 *   the stream before all of it arrived. With a window of several MiB, delivery went stop-and-go
 *   (wait for a multi-MiB frame, then one window update lets the sender write the next) and a bulk
 *   stream settled in a fast or a slow mode at random. rust-yamux caps data frames for the same
 *   reason.
 * - **Window updates at half the window.** yamux 8 sends a window-update frame after every data
 *   frame it receives: with 64-KiB frames, 4,096 encrypted 12-byte frames and socket writes per
 *   256 MiB, 14 % of a paying client's CPU. Here a stream grants new window once half of its window
 *   is used (as go-yamux and rust-yamux do); the first update of a stream (SYN/ACK) and the updates
 *   after a pause still go out as yamux sends them.
 */
import type { Stream, StreamMuxerFactory } from "@libp2p/interface";
import { adjustMuxers } from "./muxer-hooks.js";

/**
 * One noise transport message carries at most 65,519 bytes of plaintext (65,535 minus the 16-byte
 * tag); a yamux frame's header is 12 bytes. A data frame of this payload fills one noise message.
 */
export const MAX_DATA_FRAME_BYTES = 65_535 - 16 - 12;

/** yamux 8's `StreamState` values (not exported by the package) in which a window update carries no flag. */
const SYN_SENT = 1;
const ESTABLISHED = 3;

/** What is used of a yamux stream: its send slice size, its receive window and its window-update step. */
interface YamuxStreamInternals {
  maxMessageSize?: number;
  state?: number;
  recvWindow?: number;
  recvWindowCapacity?: number;
  sendWindowUpdate?: () => void;
}

function tuneStream(stream: Stream, maxDataFrame: number): void {
  const internals = stream as unknown as YamuxStreamInternals;
  // the send queue slices writes by maxMessageSize, one data frame each; yamux resets it on every window update
  let size = Math.min(internals.maxMessageSize ?? maxDataFrame, maxDataFrame);
  Object.defineProperty(internals, "maxMessageSize", {
    configurable: true,
    enumerable: true,
    get: () => size,
    set: (value: number) => {
      size = Math.min(value, maxDataFrame);
    },
  });
  const sendWindowUpdate = internals.sendWindowUpdate?.bind(stream);
  if (!sendWindowUpdate) return;
  internals.sendWindowUpdate = () => {
    const plain = internals.state === SYN_SENT || internals.state === ESTABLISHED;
    if (plain && internals.recvWindowCapacity! * 2 > internals.recvWindow!) return; // more than half the window still open
    sendWindowUpdate();
  };
}

/** Wraps a yamux muxer factory: every stream it opens or accepts gets the corrections above. */
export function tunedYamuxFlow<C>(factory: (components: C) => StreamMuxerFactory, maxDataFrame = MAX_DATA_FRAME_BYTES): (components: C) => StreamMuxerFactory {
  return adjustMuxers(factory, (muxer) => {
    const createStream = muxer.createStream.bind(muxer);
    muxer.createStream = async (options) => {
      const stream = await createStream(options);
      tuneStream(stream, maxDataFrame);
      return stream;
    };
    // inbound streams: the muxer's hook for a stream the remote opened (AbstractStreamMuxer)
    const accepting = muxer as unknown as { onRemoteStream?: (stream: Stream) => void };
    const onRemoteStream = accepting.onRemoteStream?.bind(muxer);
    if (!onRemoteStream) throw new Error("the stream muxer has no onRemoteStream hook: its streams cannot be tuned");
    accepting.onRemoteStream = (stream) => {
      tuneStream(stream, maxDataFrame);
      onRemoteStream(stream);
    };
  });
}
