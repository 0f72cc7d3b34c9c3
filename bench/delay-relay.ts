/**
 * A delaying TCP relay for benchmarks: latency that loopback hides (no kernel netem on these
 * machines). It listens on its own port and forwards every connection to a target port, holding
 * each chunk for `oneWayMs` in each direction (order kept), so a request/response costs one
 * round trip of 2 × oneWayMs. The delay can change while connections are open.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export class DelayRelay {
  /** One-way delay added to every chunk (ms). */
  oneWayMs = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly targetPort: number) {}

  /** Starts listening on `port` (0 = any free port); resolves to the port. */
  async listen(port = 0): Promise<number> {
    const server = createServer((inbound) => this.pipe(inbound));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    return (server.address() as { port: number }).port;
  }

  private pipe(inbound: Socket): void {
    const outbound = connect(this.targetPort, "127.0.0.1");
    for (const s of [inbound, outbound]) {
      s.setNoDelay(true);
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
      s.on("error", () => undefined);
    }
    this.forward(inbound, outbound);
    this.forward(outbound, inbound);
  }

  /** from → to, each chunk released oneWayMs after it arrived, in order; ends and errors propagate after the data. */
  private forward(from: Socket, to: Socket): void {
    const queue: { at: number; data?: Buffer; end?: boolean }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const drain = () => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && queue[0].at <= now) {
        const item = queue.shift()!;
        if (item.end) to.end();
        else if (!to.destroyed) to.write(item.data!);
      }
      if (queue.length > 0) timer = setTimeout(drain, Math.max(0, queue[0].at - now));
    };
    const push = (item: { data?: Buffer; end?: boolean }) => {
      queue.push({ at: performance.now() + this.oneWayMs, ...item });
      if (this.oneWayMs === 0 && queue.length === 1) return drain();
      timer ??= setTimeout(drain, Math.max(0, queue[0].at - performance.now()));
    };
    from.on("data", (data: Buffer) => push({ data }));
    from.on("end", () => push({ end: true }));
    from.on("close", () => {
      // a reset (not a clean end): tear the other side down once the queued data is out
      if (!from.readableEnded) push({ end: true });
    });
    to.on("close", () => {
      if (timer) clearTimeout(timer);
      from.destroy();
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
