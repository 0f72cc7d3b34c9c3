/** Adjusting a libp2p stream muxer as it is created (agents/runtime/eager-streams.ts, agents/runtime/yamux-flow.ts). */
import type { StreamMuxer, StreamMuxerFactory } from "@libp2p/interface";

/** Wraps a muxer factory: every muxer it creates is handed to `adjust` before use. */
export function adjustMuxers<C>(factory: (components: C) => StreamMuxerFactory, adjust: (muxer: StreamMuxer) => void): (components: C) => StreamMuxerFactory {
  return (components) => {
    const inner = factory(components);
    return {
      protocol: inner.protocol,
      createStreamMuxer(maConn): StreamMuxer {
        const muxer = inner.createStreamMuxer(maConn);
        adjust(muxer);
        return muxer;
      },
    };
  };
}
