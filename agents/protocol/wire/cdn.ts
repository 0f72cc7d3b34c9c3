import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ProbeRequest {
  blobId: Uint8Array<ArrayBuffer>
}

export namespace ProbeRequest {
  let _codec: Codec<ProbeRequest>

  export const codec = (): Codec<ProbeRequest> => {
    if (_codec == null) {
      _codec = message<ProbeRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.blobId != null && obj.blobId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.blobId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          blobId: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.blobId = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.blobId`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ProbeRequestBlobIdFieldEvent {
    field: '$.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ProbeRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ProbeRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ProbeRequest>): ProbeRequest {
    return decodeMessage(buf, ProbeRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ProbeRequest>): Generator<ProbeRequestBlobIdFieldEvent> {
    return streamMessage(buf, ProbeRequest.codec(), opts)
  }
}

export interface ProbeResponse {
  status: ProbeResponse.Status
  size: bigint
  pricePerGiB: Uint8Array<ArrayBuffer>
  load: number
}

export namespace ProbeResponse {
  export enum Status {
    STATUS_UNSPECIFIED = 'STATUS_UNSPECIFIED',
    HAVE = 'HAVE',
    MISS = 'MISS',
    BUSY = 'BUSY'
  }

  enum __StatusValues {
    STATUS_UNSPECIFIED = 0,
    HAVE = 1,
    MISS = 2,
    BUSY = 3
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<ProbeResponse>

  export const codec = (): Codec<ProbeResponse> => {
    if (_codec == null) {
      _codec = message<ProbeResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          ProbeResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.size != null && obj.size !== 0n)) {
          w.uint32(16)
          w.uint64(obj.size)
        }

        if ((obj.pricePerGiB != null && obj.pricePerGiB.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.pricePerGiB)
        }

        if ((obj.load != null && obj.load !== 0)) {
          w.uint32(32)
          w.uint32(obj.load)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.STATUS_UNSPECIFIED,
          size: 0n,
          pricePerGiB: uint8ArrayAlloc(0),
          load: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = ProbeResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.size = reader.uint64()
              break
            }
            case 3: {
              obj.pricePerGiB = reader.bytes()
              break
            }
            case 4: {
              obj.load = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: ProbeResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.size`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.pricePerGiB`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.load`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ProbeResponseStatusFieldEvent {
    field: '$.status'
    value: ProbeResponse.Status
  }

  export interface ProbeResponseSizeFieldEvent {
    field: '$.size'
    value: bigint
  }

  export interface ProbeResponsePricePerGiBFieldEvent {
    field: '$.pricePerGiB'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ProbeResponseLoadFieldEvent {
    field: '$.load'
    value: number
  }

  export function encode (obj: Partial<ProbeResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ProbeResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ProbeResponse>): ProbeResponse {
    return decodeMessage(buf, ProbeResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ProbeResponse>): Generator<ProbeResponseStatusFieldEvent | ProbeResponseSizeFieldEvent | ProbeResponsePricePerGiBFieldEvent | ProbeResponseLoadFieldEvent> {
    return streamMessage(buf, ProbeResponse.codec(), opts)
  }
}

export interface Voucher {
  channelId: Uint8Array<ArrayBuffer>
  cumulativeAmount: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace Voucher {
  let _codec: Codec<Voucher>

  export const codec = (): Codec<Voucher> => {
    if (_codec == null) {
      _codec = message<Voucher>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.channelId != null && obj.channelId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.channelId)
        }

        if ((obj.cumulativeAmount != null && obj.cumulativeAmount.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.cumulativeAmount)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          channelId: uint8ArrayAlloc(0),
          cumulativeAmount: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.channelId = reader.bytes()
              break
            }
            case 2: {
              obj.cumulativeAmount = reader.bytes()
              break
            }
            case 3: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.channelId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.cumulativeAmount`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface VoucherChannelIdFieldEvent {
    field: '$.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface VoucherCumulativeAmountFieldEvent {
    field: '$.cumulativeAmount'
    value: Uint8Array<ArrayBuffer>
  }

  export interface VoucherSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Voucher>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Voucher.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Voucher>): Voucher {
    return decodeMessage(buf, Voucher.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Voucher>): Generator<VoucherChannelIdFieldEvent | VoucherCumulativeAmountFieldEvent | VoucherSignatureFieldEvent> {
    return streamMessage(buf, Voucher.codec(), opts)
  }
}

export interface ServeCommitment {
  blobId: Uint8Array<ArrayBuffer>
  client: Uint8Array<ArrayBuffer>
  channelId: Uint8Array<ArrayBuffer>
  timestamp: bigint
  signature: Uint8Array<ArrayBuffer>
  anchorBlock: bigint
  anchorHash: Uint8Array<ArrayBuffer>
}

export namespace ServeCommitment {
  let _codec: Codec<ServeCommitment>

  export const codec = (): Codec<ServeCommitment> => {
    if (_codec == null) {
      _codec = message<ServeCommitment>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.blobId != null && obj.blobId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.blobId)
        }

        if ((obj.client != null && obj.client.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.client)
        }

        if ((obj.channelId != null && obj.channelId.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.channelId)
        }

        if ((obj.timestamp != null && obj.timestamp !== 0n)) {
          w.uint32(32)
          w.uint64(obj.timestamp)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.signature)
        }

        if ((obj.anchorBlock != null && obj.anchorBlock !== 0n)) {
          w.uint32(48)
          w.uint64(obj.anchorBlock)
        }

        if ((obj.anchorHash != null && obj.anchorHash.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.anchorHash)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          blobId: uint8ArrayAlloc(0),
          client: uint8ArrayAlloc(0),
          channelId: uint8ArrayAlloc(0),
          timestamp: 0n,
          signature: uint8ArrayAlloc(0),
          anchorBlock: 0n,
          anchorHash: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.blobId = reader.bytes()
              break
            }
            case 2: {
              obj.client = reader.bytes()
              break
            }
            case 3: {
              obj.channelId = reader.bytes()
              break
            }
            case 4: {
              obj.timestamp = reader.uint64()
              break
            }
            case 5: {
              obj.signature = reader.bytes()
              break
            }
            case 6: {
              obj.anchorBlock = reader.uint64()
              break
            }
            case 7: {
              obj.anchorHash = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.blobId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.client`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.channelId`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.timestamp`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.anchorBlock`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.anchorHash`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ServeCommitmentBlobIdFieldEvent {
    field: '$.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ServeCommitmentClientFieldEvent {
    field: '$.client'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ServeCommitmentChannelIdFieldEvent {
    field: '$.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ServeCommitmentTimestampFieldEvent {
    field: '$.timestamp'
    value: bigint
  }

  export interface ServeCommitmentSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ServeCommitmentAnchorBlockFieldEvent {
    field: '$.anchorBlock'
    value: bigint
  }

  export interface ServeCommitmentAnchorHashFieldEvent {
    field: '$.anchorHash'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ServeCommitment>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ServeCommitment.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ServeCommitment>): ServeCommitment {
    return decodeMessage(buf, ServeCommitment.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ServeCommitment>): Generator<ServeCommitmentBlobIdFieldEvent | ServeCommitmentClientFieldEvent | ServeCommitmentChannelIdFieldEvent | ServeCommitmentTimestampFieldEvent | ServeCommitmentSignatureFieldEvent | ServeCommitmentAnchorBlockFieldEvent | ServeCommitmentAnchorHashFieldEvent> {
    return streamMessage(buf, ServeCommitment.codec(), opts)
  }
}

export interface ContentRecord {
  blobId: Uint8Array<ArrayBuffer>
  size: bigint
  origin: Uint8Array<ArrayBuffer>
  epoch: bigint
  timestamp: bigint
  signature: Uint8Array<ArrayBuffer>
}

export namespace ContentRecord {
  let _codec: Codec<ContentRecord>

  export const codec = (): Codec<ContentRecord> => {
    if (_codec == null) {
      _codec = message<ContentRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.blobId != null && obj.blobId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.blobId)
        }

        if ((obj.size != null && obj.size !== 0n)) {
          w.uint32(16)
          w.uint64(obj.size)
        }

        if ((obj.origin != null && obj.origin.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.origin)
        }

        if ((obj.epoch != null && obj.epoch !== 0n)) {
          w.uint32(32)
          w.uint64(obj.epoch)
        }

        if ((obj.timestamp != null && obj.timestamp !== 0n)) {
          w.uint32(40)
          w.uint64(obj.timestamp)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          blobId: uint8ArrayAlloc(0),
          size: 0n,
          origin: uint8ArrayAlloc(0),
          epoch: 0n,
          timestamp: 0n,
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.blobId = reader.bytes()
              break
            }
            case 2: {
              obj.size = reader.uint64()
              break
            }
            case 3: {
              obj.origin = reader.bytes()
              break
            }
            case 4: {
              obj.epoch = reader.uint64()
              break
            }
            case 5: {
              obj.timestamp = reader.uint64()
              break
            }
            case 6: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.blobId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.size`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.origin`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.timestamp`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ContentRecordBlobIdFieldEvent {
    field: '$.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContentRecordSizeFieldEvent {
    field: '$.size'
    value: bigint
  }

  export interface ContentRecordOriginFieldEvent {
    field: '$.origin'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContentRecordEpochFieldEvent {
    field: '$.epoch'
    value: bigint
  }

  export interface ContentRecordTimestampFieldEvent {
    field: '$.timestamp'
    value: bigint
  }

  export interface ContentRecordSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ContentRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ContentRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContentRecord>): ContentRecord {
    return decodeMessage(buf, ContentRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContentRecord>): Generator<ContentRecordBlobIdFieldEvent | ContentRecordSizeFieldEvent | ContentRecordOriginFieldEvent | ContentRecordEpochFieldEvent | ContentRecordTimestampFieldEvent | ContentRecordSignatureFieldEvent> {
    return streamMessage(buf, ContentRecord.codec(), opts)
  }
}

export interface WatchtowerAuth {
  nodeId: Uint8Array<ArrayBuffer>
  beneficiary: Uint8Array<ArrayBuffer>
  maxBps: number
  signature: Uint8Array<ArrayBuffer>
  watchtower: Uint8Array<ArrayBuffer>
  expiry: bigint
}

export namespace WatchtowerAuth {
  let _codec: Codec<WatchtowerAuth>

  export const codec = (): Codec<WatchtowerAuth> => {
    if (_codec == null) {
      _codec = message<WatchtowerAuth>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.nodeId != null && obj.nodeId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.nodeId)
        }

        if ((obj.beneficiary != null && obj.beneficiary.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.beneficiary)
        }

        if ((obj.maxBps != null && obj.maxBps !== 0)) {
          w.uint32(24)
          w.uint32(obj.maxBps)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.signature)
        }

        if ((obj.watchtower != null && obj.watchtower.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.watchtower)
        }

        if ((obj.expiry != null && obj.expiry !== 0n)) {
          w.uint32(48)
          w.uint64(obj.expiry)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          nodeId: uint8ArrayAlloc(0),
          beneficiary: uint8ArrayAlloc(0),
          maxBps: 0,
          signature: uint8ArrayAlloc(0),
          watchtower: uint8ArrayAlloc(0),
          expiry: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.nodeId = reader.bytes()
              break
            }
            case 2: {
              obj.beneficiary = reader.bytes()
              break
            }
            case 3: {
              obj.maxBps = reader.uint32()
              break
            }
            case 4: {
              obj.signature = reader.bytes()
              break
            }
            case 5: {
              obj.watchtower = reader.bytes()
              break
            }
            case 6: {
              obj.expiry = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.nodeId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.beneficiary`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.maxBps`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.watchtower`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.expiry`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface WatchtowerAuthNodeIdFieldEvent {
    field: '$.nodeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerAuthBeneficiaryFieldEvent {
    field: '$.beneficiary'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerAuthMaxBpsFieldEvent {
    field: '$.maxBps'
    value: number
  }

  export interface WatchtowerAuthSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerAuthWatchtowerFieldEvent {
    field: '$.watchtower'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerAuthExpiryFieldEvent {
    field: '$.expiry'
    value: bigint
  }

  export function encode (obj: Partial<WatchtowerAuth>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, WatchtowerAuth.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WatchtowerAuth>): WatchtowerAuth {
    return decodeMessage(buf, WatchtowerAuth.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WatchtowerAuth>): Generator<WatchtowerAuthNodeIdFieldEvent | WatchtowerAuthBeneficiaryFieldEvent | WatchtowerAuthMaxBpsFieldEvent | WatchtowerAuthSignatureFieldEvent | WatchtowerAuthWatchtowerFieldEvent | WatchtowerAuthExpiryFieldEvent> {
    return streamMessage(buf, WatchtowerAuth.codec(), opts)
  }
}

export interface NodeAnnouncement {
  nodeKey: Uint8Array<ArrayBuffer>
  region: number
  pricePerGiB: Uint8Array<ArrayBuffer>
  load: number
  sequence: bigint
  timestamp: bigint
  multiaddrs: string[]
  signature: Uint8Array<ArrayBuffer>
}

export namespace NodeAnnouncement {
  let _codec: Codec<NodeAnnouncement>

  export const codec = (): Codec<NodeAnnouncement> => {
    if (_codec == null) {
      _codec = message<NodeAnnouncement>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.nodeKey != null && obj.nodeKey.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.nodeKey)
        }

        if ((obj.region != null && obj.region !== 0)) {
          w.uint32(16)
          w.uint32(obj.region)
        }

        if ((obj.pricePerGiB != null && obj.pricePerGiB.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.pricePerGiB)
        }

        if ((obj.load != null && obj.load !== 0)) {
          w.uint32(32)
          w.uint32(obj.load)
        }

        if ((obj.sequence != null && obj.sequence !== 0n)) {
          w.uint32(40)
          w.uint64(obj.sequence)
        }

        if ((obj.timestamp != null && obj.timestamp !== 0n)) {
          w.uint32(48)
          w.uint64(obj.timestamp)
        }

        if (obj.multiaddrs != null && obj.multiaddrs.length > 0) {
          for (const value of obj.multiaddrs) {
            w.uint32(58)
            w.string(value)
          }
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          nodeKey: uint8ArrayAlloc(0),
          region: 0,
          pricePerGiB: uint8ArrayAlloc(0),
          load: 0,
          sequence: 0n,
          timestamp: 0n,
          multiaddrs: [],
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.nodeKey = reader.bytes()
              break
            }
            case 2: {
              obj.region = reader.uint32()
              break
            }
            case 3: {
              obj.pricePerGiB = reader.bytes()
              break
            }
            case 4: {
              obj.load = reader.uint32()
              break
            }
            case 5: {
              obj.sequence = reader.uint64()
              break
            }
            case 6: {
              obj.timestamp = reader.uint64()
              break
            }
            case 7: {
              if (opts.limits?.multiaddrs != null && obj.multiaddrs.length === opts.limits.multiaddrs) {
                throw new MaxLengthError('Decode error - repeated field "multiaddrs" had too many elements')
              }

              obj.multiaddrs.push(reader.string())
              break
            }
            case 8: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          multiaddrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.nodeKey`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.region`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.pricePerGiB`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.load`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.sequence`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.timestamp`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              if (opts.limits?.multiaddrs != null && obj.multiaddrs === opts.limits.multiaddrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "multiaddrs" had too many elements')
              }

              yield {
                field: `${prefix}.multiaddrs[]`,
                index: obj.multiaddrs,
                value: reader.string()
              }

              obj.multiaddrs++

              break
            }
            case 8: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface NodeAnnouncementNodeKeyFieldEvent {
    field: '$.nodeKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface NodeAnnouncementRegionFieldEvent {
    field: '$.region'
    value: number
  }

  export interface NodeAnnouncementPricePerGiBFieldEvent {
    field: '$.pricePerGiB'
    value: Uint8Array<ArrayBuffer>
  }

  export interface NodeAnnouncementLoadFieldEvent {
    field: '$.load'
    value: number
  }

  export interface NodeAnnouncementSequenceFieldEvent {
    field: '$.sequence'
    value: bigint
  }

  export interface NodeAnnouncementTimestampFieldEvent {
    field: '$.timestamp'
    value: bigint
  }

  export interface NodeAnnouncementMultiaddrsFieldEvent {
    field: '$.multiaddrs[]'
    index: number
    value: string
  }

  export interface NodeAnnouncementSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<NodeAnnouncement>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, NodeAnnouncement.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NodeAnnouncement>): NodeAnnouncement {
    return decodeMessage(buf, NodeAnnouncement.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<NodeAnnouncement>): Generator<NodeAnnouncementNodeKeyFieldEvent | NodeAnnouncementRegionFieldEvent | NodeAnnouncementPricePerGiBFieldEvent | NodeAnnouncementLoadFieldEvent | NodeAnnouncementSequenceFieldEvent | NodeAnnouncementTimestampFieldEvent | NodeAnnouncementMultiaddrsFieldEvent | NodeAnnouncementSignatureFieldEvent> {
    return streamMessage(buf, NodeAnnouncement.codec(), opts)
  }
}

export interface FetchRequest {
  blobId: Uint8Array<ArrayBuffer>
  channelId: Uint8Array<ArrayBuffer>
  offset: bigint
  length: bigint
}

export namespace FetchRequest {
  let _codec: Codec<FetchRequest>

  export const codec = (): Codec<FetchRequest> => {
    if (_codec == null) {
      _codec = message<FetchRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.blobId != null && obj.blobId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.blobId)
        }

        if ((obj.channelId != null && obj.channelId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.channelId)
        }

        if ((obj.offset != null && obj.offset !== 0n)) {
          w.uint32(24)
          w.uint64(obj.offset)
        }

        if ((obj.length != null && obj.length !== 0n)) {
          w.uint32(32)
          w.uint64(obj.length)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          blobId: uint8ArrayAlloc(0),
          channelId: uint8ArrayAlloc(0),
          offset: 0n,
          length: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.blobId = reader.bytes()
              break
            }
            case 2: {
              obj.channelId = reader.bytes()
              break
            }
            case 3: {
              obj.offset = reader.uint64()
              break
            }
            case 4: {
              obj.length = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.blobId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.channelId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.offset`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.length`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface FetchRequestBlobIdFieldEvent {
    field: '$.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchRequestChannelIdFieldEvent {
    field: '$.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchRequestOffsetFieldEvent {
    field: '$.offset'
    value: bigint
  }

  export interface FetchRequestLengthFieldEvent {
    field: '$.length'
    value: bigint
  }

  export function encode (obj: Partial<FetchRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FetchRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchRequest>): FetchRequest {
    return decodeMessage(buf, FetchRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchRequest>): Generator<FetchRequestBlobIdFieldEvent | FetchRequestChannelIdFieldEvent | FetchRequestOffsetFieldEvent | FetchRequestLengthFieldEvent> {
    return streamMessage(buf, FetchRequest.codec(), opts)
  }
}

export interface FetchClientMessage {
  request?: FetchRequest
  voucher?: Voucher
}

export namespace FetchClientMessage {
  let _codec: Codec<FetchClientMessage>

  export const codec = (): Codec<FetchClientMessage> => {
    if (_codec == null) {
      _codec = message<FetchClientMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        obj = { ...obj }

        if (obj.voucher != null) {
          obj.request = undefined
        }

        if (obj.request != null) {
          obj.voucher = undefined
        }

        if (obj.request != null) {
          w.uint32(10)
          FetchRequest.codec().encode(obj.request, w)
        }

        if (obj.voucher != null) {
          w.uint32(18)
          Voucher.codec().encode(obj.voucher, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.request = FetchRequest.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.request
              })
              break
            }
            case 2: {
              obj.voucher = Voucher.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.voucher
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        if (obj.voucher != null) {
          delete obj.request
        }

        if (obj.request != null) {
          delete obj.voucher
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * FetchRequest.codec().stream(reader, reader.uint32(), `${prefix}.request`, {
                limits: opts.limits?.request
              })

              break
            }
            case 2: {
              yield * Voucher.codec().stream(reader, reader.uint32(), `${prefix}.voucher`, {
                limits: opts.limits?.voucher
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface FetchClientMessageRequestBlobIdFieldEvent {
    field: '$.request.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchClientMessageRequestChannelIdFieldEvent {
    field: '$.request.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchClientMessageRequestOffsetFieldEvent {
    field: '$.request.offset'
    value: bigint
  }

  export interface FetchClientMessageRequestLengthFieldEvent {
    field: '$.request.length'
    value: bigint
  }

  export interface FetchClientMessageVoucherChannelIdFieldEvent {
    field: '$.voucher.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchClientMessageVoucherCumulativeAmountFieldEvent {
    field: '$.voucher.cumulativeAmount'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchClientMessageVoucherSignatureFieldEvent {
    field: '$.voucher.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<FetchClientMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FetchClientMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchClientMessage>): FetchClientMessage {
    return decodeMessage(buf, FetchClientMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchClientMessage>): Generator<FetchClientMessageRequestBlobIdFieldEvent | FetchClientMessageRequestChannelIdFieldEvent | FetchClientMessageRequestOffsetFieldEvent | FetchClientMessageRequestLengthFieldEvent | FetchClientMessageVoucherChannelIdFieldEvent | FetchClientMessageVoucherCumulativeAmountFieldEvent | FetchClientMessageVoucherSignatureFieldEvent> {
    return streamMessage(buf, FetchClientMessage.codec(), opts)
  }
}

export interface FetchHeader {
  commitment?: ServeCommitment
  record?: ContentRecord
  firstLeaf: number
  leafCount: number
  pricePerGiB: Uint8Array<ArrayBuffer>
  owed: Uint8Array<ArrayBuffer>
}

export namespace FetchHeader {
  let _codec: Codec<FetchHeader>

  export const codec = (): Codec<FetchHeader> => {
    if (_codec == null) {
      _codec = message<FetchHeader>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.commitment != null) {
          w.uint32(10)
          ServeCommitment.codec().encode(obj.commitment, w)
        }

        if (obj.record != null) {
          w.uint32(18)
          ContentRecord.codec().encode(obj.record, w)
        }

        if ((obj.firstLeaf != null && obj.firstLeaf !== 0)) {
          w.uint32(24)
          w.uint32(obj.firstLeaf)
        }

        if ((obj.leafCount != null && obj.leafCount !== 0)) {
          w.uint32(32)
          w.uint32(obj.leafCount)
        }

        if ((obj.pricePerGiB != null && obj.pricePerGiB.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.pricePerGiB)
        }

        if ((obj.owed != null && obj.owed.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.owed)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          firstLeaf: 0,
          leafCount: 0,
          pricePerGiB: uint8ArrayAlloc(0),
          owed: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.commitment = ServeCommitment.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.commitment
              })
              break
            }
            case 2: {
              obj.record = ContentRecord.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.record
              })
              break
            }
            case 3: {
              obj.firstLeaf = reader.uint32()
              break
            }
            case 4: {
              obj.leafCount = reader.uint32()
              break
            }
            case 5: {
              obj.pricePerGiB = reader.bytes()
              break
            }
            case 6: {
              obj.owed = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * ServeCommitment.codec().stream(reader, reader.uint32(), `${prefix}.commitment`, {
                limits: opts.limits?.commitment
              })

              break
            }
            case 2: {
              yield * ContentRecord.codec().stream(reader, reader.uint32(), `${prefix}.record`, {
                limits: opts.limits?.record
              })

              break
            }
            case 3: {
              yield {
                field: `${prefix}.firstLeaf`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.leafCount`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.pricePerGiB`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.owed`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface FetchHeaderCommitmentBlobIdFieldEvent {
    field: '$.commitment.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderCommitmentClientFieldEvent {
    field: '$.commitment.client'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderCommitmentChannelIdFieldEvent {
    field: '$.commitment.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderCommitmentTimestampFieldEvent {
    field: '$.commitment.timestamp'
    value: bigint
  }

  export interface FetchHeaderCommitmentSignatureFieldEvent {
    field: '$.commitment.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderCommitmentAnchorBlockFieldEvent {
    field: '$.commitment.anchorBlock'
    value: bigint
  }

  export interface FetchHeaderCommitmentAnchorHashFieldEvent {
    field: '$.commitment.anchorHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderRecordBlobIdFieldEvent {
    field: '$.record.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderRecordSizeFieldEvent {
    field: '$.record.size'
    value: bigint
  }

  export interface FetchHeaderRecordOriginFieldEvent {
    field: '$.record.origin'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderRecordEpochFieldEvent {
    field: '$.record.epoch'
    value: bigint
  }

  export interface FetchHeaderRecordTimestampFieldEvent {
    field: '$.record.timestamp'
    value: bigint
  }

  export interface FetchHeaderRecordSignatureFieldEvent {
    field: '$.record.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderFirstLeafFieldEvent {
    field: '$.firstLeaf'
    value: number
  }

  export interface FetchHeaderLeafCountFieldEvent {
    field: '$.leafCount'
    value: number
  }

  export interface FetchHeaderPricePerGiBFieldEvent {
    field: '$.pricePerGiB'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchHeaderOwedFieldEvent {
    field: '$.owed'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<FetchHeader>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FetchHeader.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchHeader>): FetchHeader {
    return decodeMessage(buf, FetchHeader.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchHeader>): Generator<FetchHeaderCommitmentBlobIdFieldEvent | FetchHeaderCommitmentClientFieldEvent | FetchHeaderCommitmentChannelIdFieldEvent | FetchHeaderCommitmentTimestampFieldEvent | FetchHeaderCommitmentSignatureFieldEvent | FetchHeaderCommitmentAnchorBlockFieldEvent | FetchHeaderCommitmentAnchorHashFieldEvent | FetchHeaderRecordBlobIdFieldEvent | FetchHeaderRecordSizeFieldEvent | FetchHeaderRecordOriginFieldEvent | FetchHeaderRecordEpochFieldEvent | FetchHeaderRecordTimestampFieldEvent | FetchHeaderRecordSignatureFieldEvent | FetchHeaderFirstLeafFieldEvent | FetchHeaderLeafCountFieldEvent | FetchHeaderPricePerGiBFieldEvent | FetchHeaderOwedFieldEvent> {
    return streamMessage(buf, FetchHeader.codec(), opts)
  }
}

export interface LeafHashes {
  firstLeaf: number
  hashes: Uint8Array<ArrayBuffer>
  proof: Uint8Array<ArrayBuffer>
}

export namespace LeafHashes {
  let _codec: Codec<LeafHashes>

  export const codec = (): Codec<LeafHashes> => {
    if (_codec == null) {
      _codec = message<LeafHashes>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.firstLeaf != null && obj.firstLeaf !== 0)) {
          w.uint32(8)
          w.uint32(obj.firstLeaf)
        }

        if ((obj.hashes != null && obj.hashes.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.hashes)
        }

        if ((obj.proof != null && obj.proof.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.proof)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          firstLeaf: 0,
          hashes: uint8ArrayAlloc(0),
          proof: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.firstLeaf = reader.uint32()
              break
            }
            case 2: {
              obj.hashes = reader.bytes()
              break
            }
            case 3: {
              obj.proof = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.firstLeaf`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.hashes`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.proof`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface LeafHashesFirstLeafFieldEvent {
    field: '$.firstLeaf'
    value: number
  }

  export interface LeafHashesHashesFieldEvent {
    field: '$.hashes'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LeafHashesProofFieldEvent {
    field: '$.proof'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<LeafHashes>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LeafHashes.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LeafHashes>): LeafHashes {
    return decodeMessage(buf, LeafHashes.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LeafHashes>): Generator<LeafHashesFirstLeafFieldEvent | LeafHashesHashesFieldEvent | LeafHashesProofFieldEvent> {
    return streamMessage(buf, LeafHashes.codec(), opts)
  }
}

export interface Chunk {
  leafIndex: number
  data: Uint8Array<ArrayBuffer>
}

export namespace Chunk {
  let _codec: Codec<Chunk>

  export const codec = (): Codec<Chunk> => {
    if (_codec == null) {
      _codec = message<Chunk>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.leafIndex != null && obj.leafIndex !== 0)) {
          w.uint32(8)
          w.uint32(obj.leafIndex)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.data)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          leafIndex: 0,
          data: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.leafIndex = reader.uint32()
              break
            }
            case 2: {
              obj.data = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.leafIndex`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.data`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ChunkLeafIndexFieldEvent {
    field: '$.leafIndex'
    value: number
  }

  export interface ChunkDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Chunk>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Chunk.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Chunk>): Chunk {
    return decodeMessage(buf, Chunk.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Chunk>): Generator<ChunkLeafIndexFieldEvent | ChunkDataFieldEvent> {
    return streamMessage(buf, Chunk.codec(), opts)
  }
}

export interface Refusal {
  code: Refusal.Code
  message: string
  retryAfterMs: number
}

export namespace Refusal {
  export enum Code {
    CODE_UNSPECIFIED = 'CODE_UNSPECIFIED',
    NOT_FOUND = 'NOT_FOUND',
    BLACKLISTED = 'BLACKLISTED',
    BUSY = 'BUSY',
    CHANNEL_INSUFFICIENT = 'CHANNEL_INSUFFICIENT',
    NOT_CHANNEL_OWNER = 'NOT_CHANNEL_OWNER',
    BAD_VOUCHER = 'BAD_VOUCHER',
    BAD_REQUEST = 'BAD_REQUEST'
  }

  enum __CodeValues {
    CODE_UNSPECIFIED = 0,
    NOT_FOUND = 1,
    BLACKLISTED = 2,
    BUSY = 3,
    CHANNEL_INSUFFICIENT = 4,
    NOT_CHANNEL_OWNER = 5,
    BAD_VOUCHER = 6,
    BAD_REQUEST = 7
  }

  export namespace Code {
    export const codec = (): Codec<Code> => {
      return enumeration<Code>(__CodeValues)
    }
  }

  let _codec: Codec<Refusal>

  export const codec = (): Codec<Refusal> => {
    if (_codec == null) {
      _codec = message<Refusal>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.code != null && __CodeValues[obj.code] !== 0) {
          w.uint32(8)
          Refusal.Code.codec().encode(obj.code, w)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(18)
          w.string(obj.message)
        }

        if ((obj.retryAfterMs != null && obj.retryAfterMs !== 0)) {
          w.uint32(24)
          w.uint32(obj.retryAfterMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          code: Code.CODE_UNSPECIFIED,
          message: '',
          retryAfterMs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.code = Refusal.Code.codec().decode(reader)
              break
            }
            case 2: {
              obj.message = reader.string()
              break
            }
            case 3: {
              obj.retryAfterMs = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.code`,
                value: Refusal.Code.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.retryAfterMs`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RefusalCodeFieldEvent {
    field: '$.code'
    value: Refusal.Code
  }

  export interface RefusalMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface RefusalRetryAfterMsFieldEvent {
    field: '$.retryAfterMs'
    value: number
  }

  export function encode (obj: Partial<Refusal>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Refusal.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Refusal>): Refusal {
    return decodeMessage(buf, Refusal.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Refusal>): Generator<RefusalCodeFieldEvent | RefusalMessageFieldEvent | RefusalRetryAfterMsFieldEvent> {
    return streamMessage(buf, Refusal.codec(), opts)
  }
}

export interface FetchServerMessage {
  header?: FetchHeader
  leafHashes?: LeafHashes
  chunk?: Chunk
  refusal?: Refusal
}

export namespace FetchServerMessage {
  let _codec: Codec<FetchServerMessage>

  export const codec = (): Codec<FetchServerMessage> => {
    if (_codec == null) {
      _codec = message<FetchServerMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        obj = { ...obj }

        if (obj.refusal != null) {
          obj.chunk = undefined
          obj.leafHashes = undefined
          obj.header = undefined
        }

        if (obj.chunk != null) {
          obj.refusal = undefined
          obj.leafHashes = undefined
          obj.header = undefined
        }

        if (obj.leafHashes != null) {
          obj.refusal = undefined
          obj.chunk = undefined
          obj.header = undefined
        }

        if (obj.header != null) {
          obj.refusal = undefined
          obj.chunk = undefined
          obj.leafHashes = undefined
        }

        if (obj.header != null) {
          w.uint32(10)
          FetchHeader.codec().encode(obj.header, w)
        }

        if (obj.leafHashes != null) {
          w.uint32(18)
          LeafHashes.codec().encode(obj.leafHashes, w)
        }

        if (obj.chunk != null) {
          w.uint32(26)
          Chunk.codec().encode(obj.chunk, w)
        }

        if (obj.refusal != null) {
          w.uint32(34)
          Refusal.codec().encode(obj.refusal, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.header = FetchHeader.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.header
              })
              break
            }
            case 2: {
              obj.leafHashes = LeafHashes.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.leafHashes
              })
              break
            }
            case 3: {
              obj.chunk = Chunk.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.chunk
              })
              break
            }
            case 4: {
              obj.refusal = Refusal.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.refusal
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        if (obj.refusal != null) {
          delete obj.chunk
          delete obj.leafHashes
          delete obj.header
        }

        if (obj.chunk != null) {
          delete obj.refusal
          delete obj.leafHashes
          delete obj.header
        }

        if (obj.leafHashes != null) {
          delete obj.refusal
          delete obj.chunk
          delete obj.header
        }

        if (obj.header != null) {
          delete obj.refusal
          delete obj.chunk
          delete obj.leafHashes
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * FetchHeader.codec().stream(reader, reader.uint32(), `${prefix}.header`, {
                limits: opts.limits?.header
              })

              break
            }
            case 2: {
              yield * LeafHashes.codec().stream(reader, reader.uint32(), `${prefix}.leafHashes`, {
                limits: opts.limits?.leafHashes
              })

              break
            }
            case 3: {
              yield * Chunk.codec().stream(reader, reader.uint32(), `${prefix}.chunk`, {
                limits: opts.limits?.chunk
              })

              break
            }
            case 4: {
              yield * Refusal.codec().stream(reader, reader.uint32(), `${prefix}.refusal`, {
                limits: opts.limits?.refusal
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface FetchServerMessageHeaderCommitmentBlobIdFieldEvent {
    field: '$.header.commitment.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageHeaderCommitmentClientFieldEvent {
    field: '$.header.commitment.client'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageHeaderCommitmentChannelIdFieldEvent {
    field: '$.header.commitment.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageHeaderCommitmentTimestampFieldEvent {
    field: '$.header.commitment.timestamp'
    value: bigint
  }

  export interface FetchServerMessageHeaderCommitmentSignatureFieldEvent {
    field: '$.header.commitment.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageHeaderCommitmentAnchorBlockFieldEvent {
    field: '$.header.commitment.anchorBlock'
    value: bigint
  }

  export interface FetchServerMessageHeaderCommitmentAnchorHashFieldEvent {
    field: '$.header.commitment.anchorHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageHeaderRecordBlobIdFieldEvent {
    field: '$.header.record.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageHeaderRecordSizeFieldEvent {
    field: '$.header.record.size'
    value: bigint
  }

  export interface FetchServerMessageHeaderRecordOriginFieldEvent {
    field: '$.header.record.origin'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageHeaderRecordEpochFieldEvent {
    field: '$.header.record.epoch'
    value: bigint
  }

  export interface FetchServerMessageHeaderRecordTimestampFieldEvent {
    field: '$.header.record.timestamp'
    value: bigint
  }

  export interface FetchServerMessageHeaderRecordSignatureFieldEvent {
    field: '$.header.record.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageHeaderFirstLeafFieldEvent {
    field: '$.header.firstLeaf'
    value: number
  }

  export interface FetchServerMessageHeaderLeafCountFieldEvent {
    field: '$.header.leafCount'
    value: number
  }

  export interface FetchServerMessageHeaderPricePerGiBFieldEvent {
    field: '$.header.pricePerGiB'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageHeaderOwedFieldEvent {
    field: '$.header.owed'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageLeafHashesFirstLeafFieldEvent {
    field: '$.leafHashes.firstLeaf'
    value: number
  }

  export interface FetchServerMessageLeafHashesHashesFieldEvent {
    field: '$.leafHashes.hashes'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageLeafHashesProofFieldEvent {
    field: '$.leafHashes.proof'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageChunkLeafIndexFieldEvent {
    field: '$.chunk.leafIndex'
    value: number
  }

  export interface FetchServerMessageChunkDataFieldEvent {
    field: '$.chunk.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface FetchServerMessageRefusalCodeFieldEvent {
    field: '$.refusal.code'
    value: Refusal.Code
  }

  export interface FetchServerMessageRefusalMessageFieldEvent {
    field: '$.refusal.message'
    value: string
  }

  export interface FetchServerMessageRefusalRetryAfterMsFieldEvent {
    field: '$.refusal.retryAfterMs'
    value: number
  }

  export function encode (obj: Partial<FetchServerMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FetchServerMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchServerMessage>): FetchServerMessage {
    return decodeMessage(buf, FetchServerMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FetchServerMessage>): Generator<FetchServerMessageHeaderCommitmentBlobIdFieldEvent | FetchServerMessageHeaderCommitmentClientFieldEvent | FetchServerMessageHeaderCommitmentChannelIdFieldEvent | FetchServerMessageHeaderCommitmentTimestampFieldEvent | FetchServerMessageHeaderCommitmentSignatureFieldEvent | FetchServerMessageHeaderCommitmentAnchorBlockFieldEvent | FetchServerMessageHeaderCommitmentAnchorHashFieldEvent | FetchServerMessageHeaderRecordBlobIdFieldEvent | FetchServerMessageHeaderRecordSizeFieldEvent | FetchServerMessageHeaderRecordOriginFieldEvent | FetchServerMessageHeaderRecordEpochFieldEvent | FetchServerMessageHeaderRecordTimestampFieldEvent | FetchServerMessageHeaderRecordSignatureFieldEvent | FetchServerMessageHeaderFirstLeafFieldEvent | FetchServerMessageHeaderLeafCountFieldEvent | FetchServerMessageHeaderPricePerGiBFieldEvent | FetchServerMessageHeaderOwedFieldEvent | FetchServerMessageLeafHashesFirstLeafFieldEvent | FetchServerMessageLeafHashesHashesFieldEvent | FetchServerMessageLeafHashesProofFieldEvent | FetchServerMessageChunkLeafIndexFieldEvent | FetchServerMessageChunkDataFieldEvent | FetchServerMessageRefusalCodeFieldEvent | FetchServerMessageRefusalMessageFieldEvent | FetchServerMessageRefusalRetryAfterMsFieldEvent> {
    return streamMessage(buf, FetchServerMessage.codec(), opts)
  }
}

export interface WatchtowerRequest {
  auth?: WatchtowerAuth
  update?: WatchtowerUpdate
}

export namespace WatchtowerRequest {
  let _codec: Codec<WatchtowerRequest>

  export const codec = (): Codec<WatchtowerRequest> => {
    if (_codec == null) {
      _codec = message<WatchtowerRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        obj = { ...obj }

        if (obj.update != null) {
          obj.auth = undefined
        }

        if (obj.auth != null) {
          obj.update = undefined
        }

        if (obj.auth != null) {
          w.uint32(10)
          WatchtowerAuth.codec().encode(obj.auth, w)
        }

        if (obj.update != null) {
          w.uint32(18)
          WatchtowerUpdate.codec().encode(obj.update, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.auth = WatchtowerAuth.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.auth
              })
              break
            }
            case 2: {
              obj.update = WatchtowerUpdate.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.update
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        if (obj.update != null) {
          delete obj.auth
        }

        if (obj.auth != null) {
          delete obj.update
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * WatchtowerAuth.codec().stream(reader, reader.uint32(), `${prefix}.auth`, {
                limits: opts.limits?.auth
              })

              break
            }
            case 2: {
              yield * WatchtowerUpdate.codec().stream(reader, reader.uint32(), `${prefix}.update`, {
                limits: opts.limits?.update
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface WatchtowerRequestAuthNodeIdFieldEvent {
    field: '$.auth.nodeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerRequestAuthBeneficiaryFieldEvent {
    field: '$.auth.beneficiary'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerRequestAuthMaxBpsFieldEvent {
    field: '$.auth.maxBps'
    value: number
  }

  export interface WatchtowerRequestAuthSignatureFieldEvent {
    field: '$.auth.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerRequestAuthWatchtowerFieldEvent {
    field: '$.auth.watchtower'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerRequestAuthExpiryFieldEvent {
    field: '$.auth.expiry'
    value: bigint
  }

  export interface WatchtowerRequestUpdateVoucherChannelIdFieldEvent {
    field: '$.update.voucher.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerRequestUpdateVoucherCumulativeAmountFieldEvent {
    field: '$.update.voucher.cumulativeAmount'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerRequestUpdateVoucherSignatureFieldEvent {
    field: '$.update.voucher.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<WatchtowerRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, WatchtowerRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WatchtowerRequest>): WatchtowerRequest {
    return decodeMessage(buf, WatchtowerRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WatchtowerRequest>): Generator<WatchtowerRequestAuthNodeIdFieldEvent | WatchtowerRequestAuthBeneficiaryFieldEvent | WatchtowerRequestAuthMaxBpsFieldEvent | WatchtowerRequestAuthSignatureFieldEvent | WatchtowerRequestAuthWatchtowerFieldEvent | WatchtowerRequestAuthExpiryFieldEvent | WatchtowerRequestUpdateVoucherChannelIdFieldEvent | WatchtowerRequestUpdateVoucherCumulativeAmountFieldEvent | WatchtowerRequestUpdateVoucherSignatureFieldEvent> {
    return streamMessage(buf, WatchtowerRequest.codec(), opts)
  }
}

export interface WatchtowerUpdate {
  voucher?: Voucher
}

export namespace WatchtowerUpdate {
  let _codec: Codec<WatchtowerUpdate>

  export const codec = (): Codec<WatchtowerUpdate> => {
    if (_codec == null) {
      _codec = message<WatchtowerUpdate>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.voucher != null) {
          w.uint32(10)
          Voucher.codec().encode(obj.voucher, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.voucher = Voucher.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.voucher
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * Voucher.codec().stream(reader, reader.uint32(), `${prefix}.voucher`, {
                limits: opts.limits?.voucher
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface WatchtowerUpdateVoucherChannelIdFieldEvent {
    field: '$.voucher.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerUpdateVoucherCumulativeAmountFieldEvent {
    field: '$.voucher.cumulativeAmount'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WatchtowerUpdateVoucherSignatureFieldEvent {
    field: '$.voucher.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<WatchtowerUpdate>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, WatchtowerUpdate.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WatchtowerUpdate>): WatchtowerUpdate {
    return decodeMessage(buf, WatchtowerUpdate.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WatchtowerUpdate>): Generator<WatchtowerUpdateVoucherChannelIdFieldEvent | WatchtowerUpdateVoucherCumulativeAmountFieldEvent | WatchtowerUpdateVoucherSignatureFieldEvent> {
    return streamMessage(buf, WatchtowerUpdate.codec(), opts)
  }
}

export interface WatchtowerResponse {
  status: WatchtowerResponse.Status
  message: string
}

export namespace WatchtowerResponse {
  export enum Status {
    STATUS_UNSPECIFIED = 'STATUS_UNSPECIFIED',
    OK = 'OK',
    STALE = 'STALE',
    REJECTED = 'REJECTED'
  }

  enum __StatusValues {
    STATUS_UNSPECIFIED = 0,
    OK = 1,
    STALE = 2,
    REJECTED = 3
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<WatchtowerResponse>

  export const codec = (): Codec<WatchtowerResponse> => {
    if (_codec == null) {
      _codec = message<WatchtowerResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          WatchtowerResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(18)
          w.string(obj.message)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.STATUS_UNSPECIFIED,
          message: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = WatchtowerResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.message = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: WatchtowerResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface WatchtowerResponseStatusFieldEvent {
    field: '$.status'
    value: WatchtowerResponse.Status
  }

  export interface WatchtowerResponseMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export function encode (obj: Partial<WatchtowerResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, WatchtowerResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WatchtowerResponse>): WatchtowerResponse {
    return decodeMessage(buf, WatchtowerResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WatchtowerResponse>): Generator<WatchtowerResponseStatusFieldEvent | WatchtowerResponseMessageFieldEvent> {
    return streamMessage(buf, WatchtowerResponse.codec(), opts)
  }
}

export interface GossipMessage {
  announcement?: NodeAnnouncement
  contentRecord?: ContentRecord
}

export namespace GossipMessage {
  let _codec: Codec<GossipMessage>

  export const codec = (): Codec<GossipMessage> => {
    if (_codec == null) {
      _codec = message<GossipMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        obj = { ...obj }

        if (obj.contentRecord != null) {
          obj.announcement = undefined
        }

        if (obj.announcement != null) {
          obj.contentRecord = undefined
        }

        if (obj.announcement != null) {
          w.uint32(10)
          NodeAnnouncement.codec().encode(obj.announcement, w)
        }

        if (obj.contentRecord != null) {
          w.uint32(18)
          ContentRecord.codec().encode(obj.contentRecord, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.announcement = NodeAnnouncement.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.announcement
              })
              break
            }
            case 2: {
              obj.contentRecord = ContentRecord.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.contentRecord
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        if (obj.contentRecord != null) {
          delete obj.announcement
        }

        if (obj.announcement != null) {
          delete obj.contentRecord
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * NodeAnnouncement.codec().stream(reader, reader.uint32(), `${prefix}.announcement`, {
                limits: opts.limits?.announcement
              })

              break
            }
            case 2: {
              yield * ContentRecord.codec().stream(reader, reader.uint32(), `${prefix}.contentRecord`, {
                limits: opts.limits?.contentRecord
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface GossipMessageAnnouncementNodeKeyFieldEvent {
    field: '$.announcement.nodeKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GossipMessageAnnouncementRegionFieldEvent {
    field: '$.announcement.region'
    value: number
  }

  export interface GossipMessageAnnouncementPricePerGiBFieldEvent {
    field: '$.announcement.pricePerGiB'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GossipMessageAnnouncementLoadFieldEvent {
    field: '$.announcement.load'
    value: number
  }

  export interface GossipMessageAnnouncementSequenceFieldEvent {
    field: '$.announcement.sequence'
    value: bigint
  }

  export interface GossipMessageAnnouncementTimestampFieldEvent {
    field: '$.announcement.timestamp'
    value: bigint
  }

  export interface GossipMessageAnnouncementMultiaddrsFieldEvent {
    field: '$.announcement.multiaddrs[]'
    index: number
    value: string
  }

  export interface GossipMessageAnnouncementSignatureFieldEvent {
    field: '$.announcement.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GossipMessageContentRecordBlobIdFieldEvent {
    field: '$.contentRecord.blobId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GossipMessageContentRecordSizeFieldEvent {
    field: '$.contentRecord.size'
    value: bigint
  }

  export interface GossipMessageContentRecordOriginFieldEvent {
    field: '$.contentRecord.origin'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GossipMessageContentRecordEpochFieldEvent {
    field: '$.contentRecord.epoch'
    value: bigint
  }

  export interface GossipMessageContentRecordTimestampFieldEvent {
    field: '$.contentRecord.timestamp'
    value: bigint
  }

  export interface GossipMessageContentRecordSignatureFieldEvent {
    field: '$.contentRecord.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<GossipMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GossipMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GossipMessage>): GossipMessage {
    return decodeMessage(buf, GossipMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GossipMessage>): Generator<GossipMessageAnnouncementNodeKeyFieldEvent | GossipMessageAnnouncementRegionFieldEvent | GossipMessageAnnouncementPricePerGiBFieldEvent | GossipMessageAnnouncementLoadFieldEvent | GossipMessageAnnouncementSequenceFieldEvent | GossipMessageAnnouncementTimestampFieldEvent | GossipMessageAnnouncementMultiaddrsFieldEvent | GossipMessageAnnouncementSignatureFieldEvent | GossipMessageContentRecordBlobIdFieldEvent | GossipMessageContentRecordSizeFieldEvent | GossipMessageContentRecordOriginFieldEvent | GossipMessageContentRecordEpochFieldEvent | GossipMessageContentRecordTimestampFieldEvent | GossipMessageContentRecordSignatureFieldEvent> {
    return streamMessage(buf, GossipMessage.codec(), opts)
  }
}
