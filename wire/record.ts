/**
 * The record layer (RFC 5246 §6.2, RFC 8446 §5): TLSPlaintext /
 * TLSCiphertext framing, the size limits, Alert and ChangeCipherSpec bodies,
 * and handshake framing across records (a message may be split over several
 * records, and one record may carry several messages).
 */
import { DecodeError, type Finding } from './errors';
import { concatBytes } from './hex';
import { Reader } from './reader';
import { ContentType } from './registry';
import { Writer } from './writer';

export const RECORD_HEADER = 5;
/** 2^14: largest plaintext fragment. */
export const MAX_PLAINTEXT = 16384;
/** TLS 1.2 TLSCiphertext limit: 2^14 + 2048. */
export const MAX_CIPHERTEXT_12 = MAX_PLAINTEXT + 2048;
/** TLS 1.3 TLSCiphertext limit: 2^14 + 256. */
export const MAX_CIPHERTEXT_13 = MAX_PLAINTEXT + 256;

export interface TlsRecord {
  contentType: number;
  /** legacy_record_version on the wire. */
  version: number;
  fragment: Uint8Array;
}

export function encodeRecord(r: TlsRecord): Uint8Array {
  const w = new Writer(RECORD_HEADER + r.fragment.length);
  w.u8(r.contentType).u16(r.version).opaque(2, r.fragment);
  return w.finish();
}

/**
 * Decode a sequence of whole records. Records larger than the largest
 * ciphertext TLS 1.2 allows are kept and reported as a finding (the record
 * layer of a receiver must answer record_overflow, a checker must say so).
 */
export function decodeRecords(bytes: Uint8Array, base = 0): { records: TlsRecord[]; findings: Finding[] } {
  const r = new Reader(bytes, base, 'records');
  const records: TlsRecord[] = [];
  while (!r.atEnd) records.push(readRecord(r, records.length));
  return { records, findings: r.findings };
}

function readRecord(r: Reader, i: number): TlsRecord {
  const at = r.offset;
  const contentType = r.u8(`[${i}].type`);
  const version = r.u16(`[${i}].legacy_record_version`);
  const fragment = r.vec(2, `[${i}].fragment`);
  if (fragment.length > MAX_CIPHERTEXT_12) {
    r.finding('length-mismatch', `[${i}].length`, `record of ${fragment.length} bytes exceeds 2^14 + 2048`, at + 3);
  }
  return { contentType, version, fragment };
}

/**
 * Incremental record splitter for a byte stream (a TCP direction, a socket):
 * push bytes as they come, take whole records out. Holds at most one
 * partial record.
 */
export class RecordStream {
  private pending: Uint8Array = new Uint8Array(0);
  private consumed = 0;

  /** Absolute stream offset of the next record's first byte. */
  get offset(): number {
    return this.consumed;
  }
  get buffered(): number {
    return this.pending.length;
  }

  /**
   * The header of the record still waiting for its body, once its 5 bytes
   * are in: a receiver can refuse an unknown content type or an oversized
   * length at once instead of waiting for bytes that may never come.
   */
  pendingHeader(): { contentType: number; version: number; length: number; offset: number } | undefined {
    if (this.pending.length < RECORD_HEADER) return undefined;
    const b = this.pending;
    return { contentType: b[0]!, version: (b[1]! << 8) | b[2]!, length: (b[3]! << 8) | b[4]!, offset: this.consumed };
  }

  push(chunk: Uint8Array): Array<TlsRecord & { offset: number; raw: Uint8Array }> {
    this.pending = this.pending.length ? concatBytes([this.pending, chunk]) : chunk;
    const out: Array<TlsRecord & { offset: number; raw: Uint8Array }> = [];
    let pos = 0;
    while (this.pending.length - pos >= RECORD_HEADER) {
      const len = (this.pending[pos + 3]! << 8) | this.pending[pos + 4]!;
      if (this.pending.length - pos < RECORD_HEADER + len) break;
      const raw = this.pending.slice(pos, pos + RECORD_HEADER + len);
      out.push({
        contentType: raw[0]!,
        version: (raw[1]! << 8) | raw[2]!,
        fragment: raw.subarray(RECORD_HEADER),
        offset: this.consumed + pos,
        raw,
      });
      pos += RECORD_HEADER + len;
    }
    this.consumed += pos;
    this.pending = this.pending.slice(pos);
    return out;
  }
}

export interface Alert {
  level: number;
  description: number;
}

export function decodeAlert(fragment: Uint8Array, base = 0): Alert {
  const r = new Reader(fragment, base, 'alert');
  const a = { level: r.u8('level'), description: r.u8('description') };
  r.end();
  return a;
}

export function encodeAlert(a: Alert): Uint8Array {
  return Uint8Array.of(a.level, a.description);
}

/** ChangeCipherSpec carries a single byte of value 1. */
export function decodeChangeCipherSpec(fragment: Uint8Array, base = 0): { value: number } {
  const r = new Reader(fragment, base, 'change_cipher_spec');
  const value = r.u8('type');
  r.end();
  if (value !== 1) throw new DecodeError('value', base, 'change_cipher_spec.type', `value ${value}, must be 1`);
  return { value };
}

export const CCS_FRAGMENT = Uint8Array.of(1);

/** A complete handshake message reassembled from one or more records. */
export interface FramedHandshake {
  /** Header + body, exactly as on the wire. */
  raw: Uint8Array;
  msgType: number;
  /** Indices (as given to push) of the records that carried its bytes. */
  records: number[];
}

/**
 * Handshake framing: feed the fragments of consecutive handshake records,
 * get whole messages. The RFC allows a message to span records and a record
 * to hold several messages; both are handled. A length field is never
 * trusted to allocate: bytes are only concatenated as they arrive, and a
 * message over `maxMessage` bytes is a DecodeError.
 */
export class HandshakeAssembler {
  private buf: Uint8Array = new Uint8Array(0);
  private bufRecords: number[] = [];
  private streamOffset = 0;

  constructor(private readonly maxMessage = 1 << 20) {}

  /** True when part of a message is waiting for more records. */
  get pending(): boolean {
    return this.buf.length > 0;
  }

  /** Bytes of a partial message waiting for the rest. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  push(fragment: Uint8Array, recordIndex: number): FramedHandshake[] {
    if (fragment.length === 0) return [];
    this.buf = this.buf.length ? concatBytes([this.buf, fragment]) : fragment;
    if (!this.bufRecords.includes(recordIndex)) this.bufRecords.push(recordIndex);
    const out: FramedHandshake[] = [];
    let pos = 0;
    while (this.buf.length - pos >= 4) {
      const len = (this.buf[pos + 1]! << 16) | (this.buf[pos + 2]! << 8) | this.buf[pos + 3]!;
      if (len > this.maxMessage) {
        throw new DecodeError(
          'limit',
          this.streamOffset + pos + 1,
          'handshake.length',
          `message of ${len} bytes exceeds the limit of ${this.maxMessage}`,
        );
      }
      if (this.buf.length - pos < 4 + len) break;
      out.push({ raw: this.buf.slice(pos, pos + 4 + len), msgType: this.buf[pos]!, records: [...this.bufRecords] });
      pos += 4 + len;
      this.bufRecords = [recordIndex];
    }
    this.streamOffset += pos;
    this.buf = this.buf.slice(pos);
    if (this.buf.length === 0) this.bufRecords = [];
    return out;
  }
}

/** Split a handshake message stream into records of at most `max` bytes each. */
export function fragmentHandshake(messages: readonly Uint8Array[], max = MAX_PLAINTEXT, version = 0x0303): TlsRecord[] {
  const all = concatBytes(messages);
  const out: TlsRecord[] = [];
  for (let i = 0; i < all.length; i += max)
    out.push({ contentType: ContentType.handshake, version, fragment: all.slice(i, i + max) });
  return out;
}
