/**
 * The shape of a libp2p service that answers one stream protocol (js-libp2p's Startable): start
 * registers the handler with its stream limits, stop removes it. Fetch, probe and watchtower all
 * follow it, so each service holds only its own handler.
 */
import type { Connection, Startable, Stream } from "@libp2p/interface";

export interface StreamLimits {
  maxInboundStreams?: number;
  maxOutboundStreams?: number;
}

/** The registrar subset a protocol service needs. */
export interface ProtocolRegistrar {
  handle(protocol: string, handler: (stream: Stream, connection: Connection) => void | Promise<void>, options?: StreamLimits): Promise<void>;
  unhandle(protocol: string): Promise<void>;
}

export abstract class ProtocolService implements Startable {
  abstract readonly protocol: string;
  private started = false;
  private answering = false;

  constructor(private readonly registrar: ProtocolRegistrar) {}

  /** The handler's stream limits, or undefined when this peer only asks and never answers (a client's probe). */
  protected abstract streamLimits(): StreamLimits | undefined;

  /** Serves one inbound stream of `protocol`. */
  protected abstract handle(stream: Stream, connection: Connection): Promise<void>;

  async start(): Promise<void> {
    const limits = this.streamLimits();
    if (limits) {
      await this.registrar.handle(this.protocol, (stream, connection) => this.handle(stream, connection), limits);
      this.answering = true;
    }
    this.started = true;
  }

  async stop(): Promise<void> {
    if (this.answering) await this.registrar.unhandle(this.protocol);
    this.answering = false;
    this.started = false;
  }

  isStarted(): boolean {
    return this.started;
  }
}
