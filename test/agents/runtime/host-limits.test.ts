import { expect } from "chai";
import { randomBytes } from "node:crypto";
import type { Libp2p, Stream } from "@libp2p/interface";
import { createHost } from "../../../agents/runtime/host.js";
import { FramedStream } from "../../../agents/runtime/framed.js";
import { StreamTimeoutError } from "../../../agents/runtime/errors.js";
import { identityFromSecret, type Identity } from "../../../agents/runtime/keys.js";

const newIdentity = (): Identity => identityFromSecret(new Uint8Array(randomBytes(32)));
const PROTOCOL = "/cdn/test-framed/1.0.0";

/** Real hosts on 127.0.0.1: the limits and timeouts a hostile peer meets. */
describe("runtime › host limits and stream timeouts (real hosts on 127.0.0.1)", function () {
  this.timeout(30_000);
  const hosts: Libp2p[] = [];
  afterEach(async () => {
    await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  });
  async function host(options: Partial<Parameters<typeof createHost>[0]> = {}): Promise<Libp2p> {
    const h = await createHost({ privateKey: newIdentity().privateKey, listen: ["/ip4/127.0.0.1/tcp/0"], allow: ["/ip4/127.0.0.1"], ...options });
    hosts.push(h as unknown as Libp2p);
    return h as unknown as Libp2p;
  }

  it("a peer on the operator's deny list can neither connect nor be dialled", async () => {
    const attacker = await host();
    const server = await host({ denyPeers: [attacker.peerId.toString()] });
    let refused = false;
    try {
      await attacker.dial(server.getMultiaddrs()[0], { signal: AbortSignal.timeout(5000) });
      // the gater runs after the encryption handshake: the dial may resolve, then the connection closes
      await new Promise((r) => setTimeout(r, 300));
      refused = server.getConnections(attacker.peerId).length === 0;
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
    let dialled = true;
    try {
      await server.dial(attacker.getMultiaddrs()[0], { signal: AbortSignal.timeout(5000) });
    } catch {
      dialled = false;
    }
    expect(dialled).to.equal(false);
  });

  it("one peer holds at most maxConnectionsPerPeer connections", async () => {
    const server = await host({ limits: { maxConnectionsPerPeer: 2 } });
    const attacker = await host();
    for (let i = 0; i < 5; i++) {
      try {
        await attacker.dial(server.getMultiaddrs()[0], { force: true, signal: AbortSignal.timeout(5000) });
      } catch {
        // refused beyond the cap
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(server.getConnections(attacker.peerId).length).to.be.at.most(2);
    expect(server.getConnections(attacker.peerId).length).to.be.at.least(1);
  });

  it("an idle stream is aborted by our own timer (libp2p 3 ignores inactivityTimeout)", async () => {
    const server = await host();
    const client = await host();
    const outcome = new Promise<Error | undefined>((resolve) => {
      void server.handle(PROTOCOL, async (stream: Stream) => {
        const framed = new FramedStream(stream, { readCap: 1024, idleTimeoutMs: 300 });
        try {
          await framed.read();
          resolve(undefined);
        } catch (e) {
          resolve(e as Error);
        }
      });
    });
    const stream = await client.dialProtocol(server.getMultiaddrs()[0], PROTOCOL);
    const error = await outcome;
    expect(error).to.be.instanceOf(StreamTimeoutError);
    stream.abort(new Error("done"));
  });

  it("a slow reader is cut off: a write that waits for the remote longer than writeTimeoutMs aborts the stream", async () => {
    // a stream whose remote never drains (what a peer that stops reading looks like to the writer)
    let aborted: Error | undefined;
    // a stream whose remote never drains: send() is refused and no 'drain' event ever comes
    const listeners = new Map<string, Set<(event: { error?: Error }) => void>>();
    const stalled = {
      status: "open",
      writableNeedsDrain: true,
      addEventListener: (type: string, listener: (event: { error?: Error }) => void) => listeners.set(type, (listeners.get(type) ?? new Set()).add(listener)),
      removeEventListener: (type: string, listener: (event: { error?: Error }) => void) => listeners.get(type)?.delete(listener),
      send: () => false,
      abort(error: Error) {
        aborted = error;
        this.status = "aborted";
        for (const listener of listeners.get("close") ?? []) listener({ error });
      },
    };
    const framed = new FramedStream(stalled as unknown as Stream, { readCap: 1024, idleTimeoutMs: 60_000, writeTimeoutMs: 200 });
    let error: Error | undefined;
    try {
      await framed.write(new Uint8Array(64 * 1024));
    } catch (e) {
      error = e as Error;
    }
    expect(error).to.be.instanceOf(StreamTimeoutError);
    expect(error!.message).to.match(/slow reader/);
    expect(aborted).to.be.instanceOf(StreamTimeoutError);
  });

  it("a refused stream is closed both ways: junk sent after the refusal is not read, and the stream ends", async () => {
    const server = await host();
    const client = await host();
    let serverStream: Stream | undefined;
    void server.handle(PROTOCOL, async (stream: Stream) => {
      serverStream = stream;
      const framed = new FramedStream(stream, { readCap: 1024, idleTimeoutMs: 10_000 });
      await framed.write(new TextEncoder().encode("refused"));
      await framed.closeAfterRefusal(500);
    });
    const stream = await client.dialProtocol(server.getMultiaddrs()[0], PROTOCOL);
    // keep sending junk and never close, for up to 5 s
    const junk = new Uint8Array(64 * 1024);
    const started = Date.now();
    try {
      while (stream.status === "open" && Date.now() - started < 5000) {
        if (!stream.send(junk)) await stream.onDrain({ signal: AbortSignal.timeout(3000) });
        await new Promise((r) => setImmediate(r)); // one process: let the server run
      }
    } catch {
      // reset by the server
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(serverStream?.status).to.be.oneOf(["aborted", "closed"]);
    expect(stream.status).to.not.equal("open");
  });
});
