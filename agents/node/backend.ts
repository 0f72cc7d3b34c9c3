/**
 * Origin backend: a private local directory of blobs. Used only while this node is a recognized
 * origin on chain (OriginRegistry); never named on the wire or on chain: peers see blob ids,
 * content records and bytes only. `publish` imports files (copied in, hashed into a blob id) and
 * signs a content record with the origin's content key for its current epoch.
 */
import { createReadStream } from "node:fs";
import { copyFile, mkdir, open, rename, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { LEAF_SIZE } from "../protocol/constants.js";
import { BlobIdBuilder, leafLength } from "../protocol/merkle.js";
import { toHex } from "../protocol/bytes.js";
import { signContentRecord } from "../protocol/signed.js";
import type { Eip712Domain } from "../protocol/eip712-fast.js";
import type { ContentRecordValue } from "../protocol/eip712.js";
import { AgentError } from "../runtime/errors.js";
import type { NodeStore, StoredBlob } from "./store.js";

export class BackendError extends AgentError {}

export interface PublishedBlob {
  blobId: string;
  size: number;
  file: string;
}

export interface OriginIdentity {
  nodeId: bigint;
  epoch: bigint;
  contentSecretKey: Uint8Array;
  domain: Eip712Domain;
}

export class OriginBackend {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(
    readonly dir: string,
    private readonly store: NodeStore,
  ) {}

  /** Imports a file: hashes it, copies it into the backend, signs and indexes its content record. */
  async publish(file: string, origin: OriginIdentity, timestamp: bigint, options: { signal?: AbortSignal } = {}): Promise<PublishedBlob> {
    let size: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new BackendError("ERR_PUBLISH", `${file} is not a regular file; publish files one by one (e.g. ${path.join(file, "*")}).`);
      size = info.size;
    } catch (cause) {
      if (cause instanceof BackendError) throw cause;
      throw new BackendError("ERR_PUBLISH", `Cannot read ${file}.`, { cause });
    }
    const builder = new BlobIdBuilder();
    for await (const piece of createReadStream(file, { highWaterMark: LEAF_SIZE, signal: options.signal })) builder.update(piece as Buffer);
    const tree = builder.digest();
    if (tree.size !== size) throw new BackendError("ERR_PUBLISH", `${file} changed while it was being published.`);
    const blobId = toHex(tree.blobId);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const name = `${blobId.slice(2)}.blob`;
    const tmp = path.join(this.dir, `.${name}.${process.pid}.tmp`);
    await copyFile(file, tmp);
    await rename(tmp, path.join(this.dir, name));
    const record: ContentRecordValue = { blobId, size: BigInt(size), origin: origin.nodeId, epoch: origin.epoch, timestamp };
    const signature = signContentRecord(origin.domain, record, origin.contentSecretKey);
    this.store.saveBlob({ blobId, size, file: name, leafLayer: tree.leafLayer, origin: origin.nodeId, epoch: origin.epoch, recordTimestamp: timestamp, recordSignature: signature });
    return { blobId, size, file: name };
  }

  has(blobId: string): StoredBlob | undefined {
    return this.store.blob(blobId);
  }

  /** Reads leaf `index` of a published blob. */
  async readLeaf(blob: StoredBlob, index: number, buffer?: Uint8Array): Promise<Uint8Array> {
    const length = leafLength(blob.size, index);
    let handle = this.handles.get(blob.blobId);
    if (!handle) {
      handle = open(path.join(this.dir, path.basename(blob.file)), "r");
      this.handles.set(blob.blobId, handle);
      handle.catch(() => this.handles.delete(blob.blobId));
    }
    const out = buffer && buffer.length >= length ? buffer.subarray(0, length) : new Uint8Array(length);
    const { bytesRead } = await (await handle).read(out, 0, length, index * LEAF_SIZE);
    if (bytesRead !== length) throw new BackendError("ERR_BACKEND_READ", `The backend file of ${blob.blobId} is shorter than its record.`);
    return out;
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.allSettled(all.map(async (h) => (await h).close()));
  }
}
