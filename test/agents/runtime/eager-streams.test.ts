import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { Libp2p, Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { createHost } from "../../../agents/runtime/host.js";
import { openedEagerly, sentFirstBytes, type EagerStreamOptions } from "../../../agents/runtime/eager-streams.js";
import { identityFromSecret } from "../../../agents/runtime/keys.js";
import { PROTOCOL_FETCH, PROTOCOL_PROBE } from "../../../agents/protocol/constants.js";

type Direction = "toListener" | "toDialler";

/** A TCP relay that can hold back one direction (buffered, in order) until released: what crossed the wire, and when, is the test's to decide. */
class GateRelay {
  private server: Server | undefined;
  private readonly held = new Set<Direction>();
  private readonly queued: { direction: Direction; to: Socket; data: Buffer }[] = [];
  private readonly sockets = new Set<Socket>();

  constructor(private readonly targetPort: number) {}

  async listen(): Promise<number> {
    this.server = createServer((inbound) => {
      const outbound = connect(this.targetPort, "127.0.0.1");
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => (inbound.destroy(), outbound.destroy()));
      }
      inbound.on("data", (data: Buffer) => this.pass("toListener", outbound, data));
      outbound.on("data", (data: Buffer) => this.pass("toDialler", inbound, data));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as { port: number }).port;
  }

  hold(direction: Direction): void {
    this.held.add(direction);
  }

  release(direction: Direction): void {
    this.held.delete(direction);
    for (const q of this.queued.filter((x) => x.direction === direction)) q.to.write(q.data);
    this.queued.splice(0, this.queued.length, ...this.queued.filter((x) => x.direction !== direction));
  }

  private pass(direction: Direction, to: Socket, data: Buffer): void {
    if (this.held.has(direction)) this.queued.push({ direction, to, data });
    else to.write(data);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const text = (s: string) => new TextEncoder().encode(s);

/** Every byte the stream delivers until it ends. */
async function readAll(stream: Stream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk instanceof Uint8Array ? chunk : chunk.subarray());
  return Buffer.concat(parts);
}

/** Real hosts on 127.0.0.1, a holding relay in between. */
describe("runtime › eager streams (the request leaves with the protocol id)", function () {
  this.timeout(30_000);
  const stops: (() => unknown)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await Promise.resolve(stop()).catch(() => undefined);
  });

  async function pair(): Promise<{ listener: Libp2p; dialler: Libp2p; relay: GateRelay; dial(): ReturnType<Libp2p["dial"]> }> {
    const host = (listen: string[]) => createHost({ privateKey: identityFromSecret(new Uint8Array(randomBytes(32))).privateKey, listen, allow: ["/ip4/127.0.0.1"] }) as unknown as Promise<Libp2p>;
    const listener = await host(["/ip4/127.0.0.1/tcp/0"]);
    stops.push(() => listener.stop());
    const dialler = await host([]);
    stops.push(() => dialler.stop());
    const port = Number(listener.getMultiaddrs()[0].toString().split("/")[4]);
    const relay = new GateRelay(port);
    const relayPort = await relay.listen();
    stops.push(() => relay.close());
    const dial = () => dialler.dial(multiaddr(`/ip4/127.0.0.1/tcp/${relayPort}/p2p/${listener.peerId.toString()}`), { signal: AbortSignal.timeout(10_000) });
    return { listener, dialler, relay, dial };
  }

  /** A handler of `protocol` that answers "pong" to the first bytes it reads; `got`: them, as text. */
  async function answerPong(listener: Libp2p, protocol: string): Promise<{ got: Promise<string> }> {
    let resolveGot!: (request: string) => void;
    const got = new Promise<string>((resolve) => (resolveGot = resolve));
    await listener.handle(protocol, async (stream) => {
      for await (const chunk of stream) {
        resolveGot(new TextDecoder().decode(chunk instanceof Uint8Array ? chunk : chunk.subarray()));
        break;
      }
      stream.send(text("pong"));
      await stream.close();
    });
    return { got };
  }

  for (const [name, protocol] of [
    ["a fetch stream", PROTOCOL_FETCH],
    ["a probe stream", PROTOCOL_PROBE],
  ])
    it(`${name}: the listener reads the first request while every answer to the dialler is held back, and the dialler reads only the answer (the echoes checked and removed)`, async () => {
      const { listener, relay, dial } = await pair();
      const { got } = await answerPong(listener, protocol);
      const connection = await dial();
      relay.hold("toDialler"); // from here on the dialler hears nothing until released
      const stream = await connection.newStream(protocol, { signal: AbortSignal.timeout(10_000) });
      expect(openedEagerly(stream)).to.equal(true);
      stream.send(text("ping"));
      expect(await got).to.equal("ping");
      relay.release("toDialler");
      expect(new TextDecoder().decode(await readAll(stream))).to.equal("pong");
    });

  it("firstBytes go out with the protocol id, before newStream returns: the listener reads them while every answer to the dialler is held back; a stream that negotiates does not send them", async () => {
    const { listener, relay, dial } = await pair();
    const { got } = await answerPong(listener, PROTOCOL_FETCH);
    await listener.handle("/other/1.0.0", async (stream) => {
      for await (const _ of stream) break;
      await stream.close();
    });
    const connection = await dial();
    const otherOptions: EagerStreamOptions & { signal: AbortSignal } = { signal: AbortSignal.timeout(10_000), firstBytes: text("early") };
    const other = await connection.newStream("/other/1.0.0", otherOptions);
    expect(sentFirstBytes(other)).to.equal(false);
    other.abort(new Error("done"));
    relay.hold("toDialler");
    const options: EagerStreamOptions & { signal: AbortSignal } = { signal: AbortSignal.timeout(10_000), firstBytes: text("request") };
    const stream = await connection.newStream(PROTOCOL_FETCH, options);
    expect(sentFirstBytes(stream)).to.equal(true);
    expect(await got).to.equal("request"); // the test itself sent nothing on the stream
    relay.release("toDialler");
    expect(new TextDecoder().decode(await readAll(stream))).to.equal("pong");
  });

  it("a fetch stream grants the listener 1 MiB of receive window as it opens: 900 KiB arrive while nothing from the dialler reaches the listener", async () => {
    const { listener, relay, dial } = await pair();
    const answer = new Uint8Array(randomBytes(900 * 1024));
    await listener.handle(PROTOCOL_FETCH, async (stream) => {
      for await (const _ of stream) break; // the request
      relay.hold("toListener"); // no window update from the dialler can arrive now
      for (let i = 0; i < answer.length; i += 64 * 1024) if (!stream.send(answer.subarray(i, i + 64 * 1024))) await stream.onDrain();
      await stream.close();
    });
    const connection = await dial();
    const stream = await connection.newStream(PROTOCOL_FETCH, { signal: AbortSignal.timeout(10_000) });
    stream.send(text("request"));
    let received = 0;
    for await (const chunk of stream) {
      received += chunk.byteLength;
      if (received >= answer.length) break;
    }
    expect(received).to.equal(answer.length);
    relay.release("toListener");
  });

  it("a listener that does not speak the protocol: reading the stream fails with a sentence that says so", async () => {
    const { dial } = await pair(); // no fetch handler on the listener
    const connection = await dial();
    const stream = await connection.newStream(PROTOCOL_FETCH, { signal: AbortSignal.timeout(10_000) });
    stream.send(text("request"));
    let failure: Error | undefined;
    try {
      await readAll(stream);
    } catch (error) {
      failure = error as Error;
    }
    expect(failure?.message).to.match(new RegExp(`does not speak ${PROTOCOL_FETCH}`));
  });
});
