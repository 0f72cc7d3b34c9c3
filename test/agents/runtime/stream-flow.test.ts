import { expect } from "chai";
import { randomBytes } from "node:crypto";
import type { Connection, Libp2p, Stream } from "@libp2p/interface";
import { createHost, STREAM_WINDOW_BYTES } from "../../../agents/runtime/host.js";
import { FramedStream } from "../../../agents/runtime/framed.js";
import { MAX_DATA_FRAME_BYTES } from "../../../agents/runtime/yamux-flow.js";
import { identityFromSecret } from "../../../agents/runtime/keys.js";

const PROTOCOL = "/cdn/test-flow/1.0.0";
const FRAME = 64 * 1024;
const MIB = 1024 * 1024;

/** The yamux internals the tuning acts on (agents/runtime/yamux-flow.ts). */
interface YamuxInternals {
  maxMessageSize: number;
  sendFrame(header: { type: number }, data?: unknown): boolean;
}

/** Real hosts on 127.0.0.1: how a stream's bytes flow between a fast sender and a slow reader. */
describe("runtime › stream flow (real hosts on 127.0.0.1)", function () {
  this.timeout(60_000);
  const hosts: Libp2p[] = [];
  afterEach(async () => {
    await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  });
  async function host(): Promise<Libp2p> {
    const h = await createHost({ privateKey: identityFromSecret(new Uint8Array(randomBytes(32))).privateKey, listen: ["/ip4/127.0.0.1/tcp/0"], allow: ["/ip4/127.0.0.1"] });
    hosts.push(h as unknown as Libp2p);
    return h as unknown as Libp2p;
  }

  /** A server whose handler reads one frame, then nothing until `resume` is called; the frames it read in the end. */
  async function slowReader(server: Libp2p) {
    let resume!: () => void;
    const resumed = new Promise<void>((r) => (resume = r));
    const state: { stream?: Stream; framed?: FramedStream; frames: Uint8Array[]; done?: Promise<void> } = { frames: [] };
    await server.handle(PROTOCOL, async (stream: Stream) => {
      const framed = new FramedStream(stream, { readCap: FRAME, idleTimeoutMs: 60_000 });
      state.stream = stream;
      state.framed = framed;
      state.done = (async () => {
        state.frames.push((await framed.read())!);
        await resumed;
        for (let frame = await framed.read(); frame; frame = await framed.read()) state.frames.push(frame);
        await framed.close();
      })();
      await state.done;
    });
    return { state, resume };
  }

  it("a reader that falls behind pauses its stream: a flooding sender stalls after about one window instead of filling the reader's memory, and every frame arrives once reading resumes", async () => {
    const server = await host();
    const client = await host();
    const { state, resume } = await slowReader(server);
    const stream = await client.dialProtocol(server.getMultiaddrs()[0], PROTOCOL);
    const framed = new FramedStream(stream, { readCap: FRAME, idleTimeoutMs: 60_000 });
    const total = 64 * MIB;
    let written = 0;
    let lastProgress = Date.now();
    const writing = (async () => {
      for (let i = 0; written < total; i++) {
        await framed.write(new Uint8Array(FRAME - 8).fill(i & 0xff));
        written += FRAME;
        lastProgress = Date.now();
      }
      await framed.close();
    })();
    // wait until the writer is blocked (no write completed for 500 ms) or has written everything
    let finished = false;
    void writing.then(() => (finished = true));
    while (!finished && Date.now() - lastProgress < 500) await new Promise((r) => setTimeout(r, 50));
    // the bytes the sender got rid of: at most the stream's window, the reader's read-ahead and the two sockets' buffers
    expect(written, `${(written / MIB).toFixed(1)} MiB left the sender while nothing was read`).to.be.below(32 * MIB);
    expect(state.stream!.readBufferLength).to.be.at.most(STREAM_WINDOW_BYTES);
    resume();
    await writing;
    await state.done;
    expect(state.frames.length).to.equal(total / FRAME);
    state.frames.forEach((frame, i) => {
      expect(frame.length).to.equal(FRAME - 8);
      expect(frame[0]).to.equal(i & 0xff);
    });
  });

  it("bulk data goes in data frames of at most one noise message, and the receiver grants window once per half window, not after every frame", async () => {
    const server = await host();
    const client = await host();
    const { state, resume } = await slowReader(server);
    resume();
    const connection: Connection = await client.dial(server.getMultiaddrs()[0]);
    // count the frames each side's muxer sends: data frames from the client, window updates from the server
    const counted = (muxer: YamuxInternals) => {
      const sizes: number[] = [];
      const windowUpdates = { count: 0 };
      const sendFrame = muxer.sendFrame.bind(muxer);
      muxer.sendFrame = (header: { type: number; length?: number }, data?: unknown) => {
        if (header.type === 0) sizes.push(header.length ?? 0); // Data
        if (header.type === 1) windowUpdates.count++; // WindowUpdate
        return sendFrame(header, data);
      };
      return { sizes, windowUpdates };
    };
    const sent = counted((connection as unknown as { muxer: YamuxInternals }).muxer);
    while (server.getConnections(client.peerId).length === 0) await new Promise((r) => setTimeout(r, 10));
    const serverConnection = server.getConnections(client.peerId)[0];
    const received = counted((serverConnection as unknown as { muxer: YamuxInternals }).muxer);
    // after the spies: a yamux stream binds its muxer's sendFrame when it is created
    const stream = await connection.newStream(PROTOCOL);
    const framed = new FramedStream(stream, { readCap: FRAME, idleTimeoutMs: 60_000 });
    const total = 32 * MIB;
    for (let i = 0; i < total / FRAME; i++) await framed.write(new Uint8Array(FRAME - 8).fill(i & 0xff));
    await framed.close();
    while (!state.done) await new Promise((r) => setTimeout(r, 10));
    await state.done;
    expect(state.frames.length).to.equal(total / FRAME);
    expect(Math.max(...sent.sizes)).to.be.at.most(MAX_DATA_FRAME_BYTES);
    expect((stream as unknown as YamuxInternals).maxMessageSize).to.be.at.most(MAX_DATA_FRAME_BYTES);
    // one update per data frame would be ~520; per half window (256 KiB growing to 16 MiB) it is a few dozen
    expect(received.windowUpdates.count).to.be.below(sent.sizes.length / 4);
  });
  it("noise receives every length intact without copying a message that spans socket reads (agents/runtime/noise-receive.ts): only messages under 1,200 bytes get an in-place destination", async () => {
    const server = await host();
    const client = await host();
    const received: Uint8Array[] = [];
    let ended!: () => void;
    const done = new Promise<void>((r) => (ended = r));
    await server.handle(PROTOCOL, async (stream: Stream) => {
      const framed = new FramedStream(stream, { readCap: 2 * MIB, idleTimeoutMs: 60_000 });
      for (let frame = await framed.read(); frame; frame = await framed.read()) received.push(frame);
      await framed.close();
      ended();
    });
    const connection: Connection = await client.dial(server.getMultiaddrs()[0]);
    while (server.getConnections(client.peerId).length === 0) await new Promise((r) => setTimeout(r, 10));
    // the server's noise stream under its muxer: record what each message is decrypted into
    const noise = (server.getConnections(client.peerId)[0] as unknown as { muxer: { maConn: { handshake: { decrypt(c: { byteLength: number }, dst?: Uint8Array): unknown } } } }).muxer.maConn;
    const calls: { length: number; list: boolean; dst: boolean }[] = [];
    const decrypt = noise.handshake.decrypt.bind(noise.handshake);
    noise.handshake.decrypt = (ciphertext, dst) => {
      calls.push({ length: ciphertext.byteLength, list: !(ciphertext instanceof Uint8Array), dst: dst !== undefined });
      return decrypt(ciphertext, dst);
    };
    const stream = await connection.newStream(PROTOCOL);
    const framed = new FramedStream(stream, { readCap: 2 * MIB, idleTimeoutMs: 60_000 });
    const sent = [1, 1_183, 1_184, 1_199, 1_200, 65_000, 65_519, 65_520, 300_000, 2 * MIB - 8].map((n) => new Uint8Array(randomBytes(n)));
    for (const frame of sent) await framed.write(frame);
    await framed.close();
    await done;
    expect(received.map((f) => Buffer.from(f).toString("hex"))).to.deep.equal(sent.map((f) => Buffer.from(f).toString("hex")));
    expect(calls.filter((c) => c.list && c.length >= 1_200 && c.dst)).to.deep.equal([]); // no whole-message copy
    expect(calls.filter((c) => c.length < 1_200 && !c.dst)).to.deep.equal([]); // the WebAssembly cipher's destination
    expect(calls.some((c) => c.list && c.length >= 1_200)).to.equal(true); // the case exists in this run
  });
});
