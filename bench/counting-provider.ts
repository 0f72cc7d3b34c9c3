/**
 * A JSON-RPC provider that counts what it sends to the chain: HTTP requests (each a network round
 * trip; ethers batches the calls of one tick into one) and JSON-RPC calls (without ethers' own
 * `eth_chainId` network check, which rides in the same batch). Benchmarks read it before and after
 * a fetch's first verified byte.
 */
import { JsonRpcProvider, type JsonRpcApiProviderOptions, type JsonRpcPayload, type JsonRpcResult } from "ethers";

export class CountingProvider extends JsonRpcProvider {
  requests = 0;
  calls = 0;

  constructor(url: string, options: JsonRpcApiProviderOptions = {}) {
    super(url, undefined, options);
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    this.requests++;
    this.calls += list.filter((p) => p.method !== "eth_chainId").length;
    return super._send(payload);
  }

  /** The counts now, to subtract from a later reading. */
  snapshot(): { requests: number; calls: number } {
    return { requests: this.requests, calls: this.calls };
  }
}
