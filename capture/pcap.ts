/**
 * Capture file readers: classic pcap (microsecond a1b2c3d4, nanosecond
 * a1b23c4d, modified/Kuznetzov a1b2cd34; both byte orders) and pcapng
 * (SHB in both byte orders, several sections, IDB with link type and
 * if_tsresol / if_tsoffset, EPB, SPB, obsolete PB, DSB; other blocks skipped).
 *
 * The core is a push parser (`CaptureParser`): bytes are fed in chunks of any
 * size and complete records come out. It never allocates on the strength of a
 * length field: a length is checked against the format rules, against the
 * bytes left in the file (when the size is known) and against a hard cap
 * before the parser waits for that many bytes, and the bytes are only
 * gathered once they have actually arrived. Every malformed input throws a
 * `DecodeError` with an absolute file offset. Every block consumes at least
 * 12 bytes (pcapng) or 16 bytes (pcap), so the parser always terminates.
 */
import { DecodeError } from '../wire/errors';

/** One captured frame, numbered from 1 in file order as Wireshark does. */
export interface Packet {
  frame: number;
  /** Capture time in nanoseconds since the epoch; undefined for pcapng Simple Packet Blocks. */
  tsNs: bigint | undefined;
  /** LINKTYPE_* value of the interface the packet was captured on. */
  linkType: number;
  /** Interface index within its pcapng section (0 for classic pcap). */
  interfaceId: number;
  /** Captured bytes (a private copy). */
  data: Uint8Array;
  /** Length of the packet on the wire (may exceed data.length if the capture was snapped). */
  origLen: number;
  /** Absolute file offset of data[0]. */
  dataOffset: number;
}

/** Secrets embedded in a pcapng Decryption Secrets Block. */
export interface SecretsRecord {
  type: 'secrets';
  /** Secrets type, e.g. 0x544c534b (`TLSK`) for an NSS key log. */
  secretsType: number;
  data: Uint8Array;
  /** The key log text when secretsType is TLSK, else undefined. */
  keyLog: string | undefined;
  /** Number of frames numbered before this block (it applies from frame afterFrame + 1). */
  afterFrame: number;
  offset: number;
}

/** A non-fatal oddity of the capture file itself. */
export interface FileAnomaly {
  type: 'anomaly';
  offset: number;
  detail: string;
}

export interface FileInfo {
  type: 'file';
  format: 'pcap' | 'pcap-nsec' | 'pcap-modified' | 'pcapng';
  littleEndian: boolean;
  offset: number;
}

/**
 * A pcapng block that is not a packet but that Wireshark 4.0 numbers as a
 * frame (custom blocks, systemd journal entries, Sysdig events), reported so
 * that frame numbers stay aligned with Wireshark's.
 */
export interface NonPacketFrame {
  type: 'non-packet-frame';
  frame: number;
  blockType: number;
  offset: number;
}

export type CaptureRecord = { type: 'packet'; packet: Packet } | SecretsRecord | FileAnomaly | FileInfo | NonPacketFrame;

/** pcapng block types that tshark 4.0 counts as frames without being packets. */
const FRAME_BLOCK_TYPES = new Set([0x00000bad, 0x40000bad, 0x00000009, 0x00000204, 0x00000216]);

export const SECRETS_TYPE_TLS_KEYLOG = 0x544c534b;

export interface ParserOptions {
  /** Total file size if known: lengths running past it are rejected at once. */
  totalSize?: number;
  /** Hard cap on a single record/block (default 64 MiB). */
  maxBlockBytes?: number;
}

const DEFAULT_MAX_BLOCK = 64 * 1024 * 1024;
const PCAPNG_SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;

interface Interface {
  linkType: number;
  snaplen: number;
  /** Timestamp unit: value * mul / div nanoseconds. */
  mul: bigint;
  div: bigint;
  offsetNs: bigint;
}

type State =
  | { kind: 'magic' }
  | { kind: 'pcap'; le: boolean; nsec: boolean; modified: boolean; linkType: number }
  | { kind: 'pcapng'; le: boolean; interfaces: Interface[] }
  | { kind: 'done' };

function u32(buf: Uint8Array, at: number, le: boolean): number {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(at, le);
}
function u16(buf: Uint8Array, at: number, le: boolean): number {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint16(at, le);
}

/** Push parser for pcap and pcapng. */
export class CaptureParser {
  private chunks: Uint8Array[] = [];
  private head = 0; // bytes already consumed from chunks[0]
  private avail = 0;
  /** Absolute offset of the next unconsumed byte. */
  private pos = 0;
  private frame = 0;
  private state: State = { kind: 'magic' };
  private readonly maxBlock: number;
  private readonly totalSize: number | undefined;

  constructor(opts: ParserOptions = {}) {
    this.maxBlock = opts.maxBlockBytes ?? DEFAULT_MAX_BLOCK;
    this.totalSize = opts.totalSize;
  }

  /** Bytes received but not yet consumed (at most one record plus one chunk). */
  get bufferedBytes(): number {
    return this.avail;
  }

  get framesRead(): number {
    return this.frame;
  }

  /** Feed more bytes; returns the records completed by them. */
  feed(chunk: Uint8Array): CaptureRecord[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.avail += chunk.length;
    }
    const out: CaptureRecord[] = [];
    while (this.step(out)) {
      /* keep parsing */
    }
    return out;
  }

  /** Signal end of input: throws if a record was cut short. */
  end(): CaptureRecord[] {
    const out = this.feed(new Uint8Array(0));
    if (this.state.kind === 'magic') {
      throw new DecodeError(
        'truncated',
        this.pos,
        'capture',
        this.avail === 0 ? 'empty file' : `only ${this.avail} byte(s), no capture header`,
      );
    }
    if (this.avail > 0) {
      throw new DecodeError(
        'truncated',
        this.pos,
        this.state.kind === 'pcapng' ? 'pcapng.block' : 'pcap.record',
        `file ends ${this.avail} byte(s) into a record`,
      );
    }
    return out;
  }

  /** Copy (or view) of the next n bytes without consuming; caller checked avail >= n. */
  private peekBytes(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const out = new Uint8Array(n);
    let at = 0;
    let i = 0;
    let off = this.head;
    while (at < n) {
      const c = this.chunks[i]!;
      const k = Math.min(n - at, c.length - off);
      out.set(c.subarray(off, off + k), at);
      at += k;
      i++;
      off = 0;
    }
    return out;
  }

  private consume(n: number): void {
    this.avail -= n;
    this.pos += n;
    while (n > 0) {
      const c = this.chunks[0]!;
      const k = Math.min(n, c.length - this.head);
      n -= k;
      this.head += k;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
  }

  /** Validate a claimed length before waiting for it. */
  private checkLength(len: number, min: number, path: string, at: number): void {
    if (len < min) throw new DecodeError('length', at, path, `length ${len} below minimum ${min}`);
    if (this.totalSize !== undefined && this.pos + len > this.totalSize) {
      throw new DecodeError(
        'truncated',
        at,
        path,
        `length ${len} runs past the end of the file (${this.totalSize - this.pos} byte(s) left)`,
      );
    }
    if (len > this.maxBlock) throw new DecodeError('limit', at, path, `length ${len} exceeds the ${this.maxBlock}-byte limit`);
  }

  /** One parse step; false when more input is needed. */
  private step(out: CaptureRecord[]): boolean {
    const st = this.state;
    switch (st.kind) {
      case 'done':
        return false;
      case 'magic':
        return this.stepMagic(out);
      case 'pcap':
        return this.stepPcap(st, out);
      case 'pcapng':
        return this.stepPcapng(st, out);
    }
  }

  private stepMagic(out: CaptureRecord[]): boolean {
    if (this.avail < 4) return false;
    const m = this.peekBytes(4);
    const be = u32(m, 0, false);
    const le = u32(m, 0, true);
    if (be === PCAPNG_SHB) {
      this.state = { kind: 'pcapng', le: false, interfaces: [] };
      return true;
    }
    const kinds = new Map<number, FileInfo['format']>([
      [0xa1b2c3d4, 'pcap'],
      [0xa1b23c4d, 'pcap-nsec'],
      [0xa1b2cd34, 'pcap-modified'],
    ]);
    const fmtBe = kinds.get(be);
    const fmtLe = kinds.get(le);
    const format = fmtBe ?? fmtLe;
    if (!format)
      throw new DecodeError(
        'value',
        this.pos,
        'capture.magic',
        `not a pcap or pcapng file (magic ${be.toString(16).padStart(8, '0')})`,
      );
    const isLe = fmtBe === undefined;
    if (this.avail < 24) {
      if (this.totalSize !== undefined && this.totalSize < 24)
        throw new DecodeError('truncated', this.pos, 'pcap.header', 'file shorter than the 24-byte pcap header');
      return false;
    }
    const h = this.peekBytes(24);
    const major = u16(h, 4, isLe);
    if (major !== 2) out.push({ type: 'anomaly', offset: this.pos + 4, detail: `pcap version major ${major}, expected 2` });
    const linkType = u32(h, 20, isLe) & 0xffff;
    out.push({ type: 'file', format, littleEndian: isLe, offset: this.pos });
    this.consume(24);
    this.state = { kind: 'pcap', le: isLe, nsec: format === 'pcap-nsec', modified: format === 'pcap-modified', linkType };
    return true;
  }

  private stepPcap(st: Extract<State, { kind: 'pcap' }>, out: CaptureRecord[]): boolean {
    const hdrLen = st.modified ? 24 : 16;
    if (this.avail < hdrLen) {
      if (this.avail > 0 && this.totalSize !== undefined && this.pos + hdrLen > this.totalSize) {
        throw new DecodeError(
          'truncated',
          this.pos,
          'pcap.record',
          `file ends inside a record header (${this.totalSize - this.pos} byte(s) left)`,
        );
      }
      return false;
    }
    const h = this.peekBytes(hdrLen);
    const sec = u32(h, 0, st.le);
    const frac = u32(h, 4, st.le);
    const incl = u32(h, 8, st.le);
    const orig = u32(h, 12, st.le);
    const start = this.pos;
    this.checkLength(hdrLen + incl, hdrLen, `pcap.record[${this.frame + 1}].incl_len`, start + 8);
    if (this.avail < hdrLen + incl) return false;
    this.consume(hdrLen);
    const data = this.peekBytes(incl).slice();
    this.consume(incl);
    const limit = st.nsec ? 1_000_000_000 : 1_000_000;
    if (frac >= limit)
      out.push({ type: 'anomaly', offset: start + 4, detail: `frame ${this.frame + 1}: sub-second field ${frac} out of range` });
    if (incl > orig)
      out.push({ type: 'anomaly', offset: start + 8, detail: `frame ${this.frame + 1}: incl_len ${incl} > orig_len ${orig}` });
    const tsNs = BigInt(sec) * 1_000_000_000n + BigInt(frac) * (st.nsec ? 1n : 1000n);
    this.frame++;
    out.push({
      type: 'packet',
      packet: { frame: this.frame, tsNs, linkType: st.linkType, interfaceId: 0, data, origLen: orig, dataOffset: start + hdrLen },
    });
    return true;
  }

  private stepPcapng(st: Extract<State, { kind: 'pcapng' }>, out: CaptureRecord[]): boolean {
    if (this.avail < 12) {
      if (this.avail > 0 && this.totalSize !== undefined && this.pos + 12 > this.totalSize) {
        throw new DecodeError(
          'truncated',
          this.pos,
          'pcapng.block',
          `file ends inside a block header (${this.totalSize - this.pos} byte(s) left)`,
        );
      }
      return false;
    }
    const h = this.peekBytes(12);
    const start = this.pos;
    let type = u32(h, 0, st.le);
    if (u32(h, 0, false) === PCAPNG_SHB) {
      // A Section Header Block sets the byte order for everything up to the next one.
      const bomBe = u32(h, 8, false);
      if (bomBe === BOM) st.le = false;
      else if (u32(h, 8, true) === BOM) st.le = true;
      else throw new DecodeError('value', start + 8, 'pcapng.shb.byte_order_magic', `bad byte-order magic ${bomBe.toString(16)}`);
      type = PCAPNG_SHB;
    }
    const len = u32(h, 4, st.le);
    const path = `pcapng.block@${start}`;
    if (len % 4 !== 0) throw new DecodeError('length', start + 4, path, `block length ${len} is not a multiple of 4`);
    this.checkLength(len, type === PCAPNG_SHB ? 28 : 12, path, start + 4);
    if (this.avail < len) return false;
    const block = this.peekBytes(len);
    const trailer = u32(block, len - 4, st.le);
    if (trailer !== len) throw new DecodeError('length', start + len - 4, path, `trailing block length ${trailer} != ${len}`);
    const body = block.subarray(8, len - 4);
    const bodyAt = start + 8;
    switch (type) {
      case PCAPNG_SHB: {
        const major = u16(body, 4, st.le);
        if (major !== 1)
          throw new DecodeError('value', bodyAt + 4, `${path}.major_version`, `unsupported pcapng major version ${major}`);
        st.interfaces = [];
        out.push({ type: 'file', format: 'pcapng', littleEndian: st.le, offset: start });
        break;
      }
      case 1:
        st.interfaces.push(this.parseIdb(body, bodyAt, st.le, path));
        break;
      case 6:
      case 2: {
        // Enhanced Packet Block / obsolete Packet Block.
        if (body.length < 20)
          throw new DecodeError('length', start, path, `packet block body of ${body.length} bytes is shorter than 20`);
        const ifId = type === 6 ? u32(body, 0, st.le) : u16(body, 0, st.le);
        const hi = u32(body, 4, st.le);
        const lo = u32(body, 8, st.le);
        const cap = u32(body, 12, st.le);
        const orig = u32(body, 16, st.le);
        if (cap > body.length - 20)
          throw new DecodeError(
            'length',
            bodyAt + 12,
            `${path}.captured_len`,
            `captured length ${cap} exceeds the ${body.length - 20} byte(s) of the block`,
          );
        const iface = st.interfaces[ifId];
        if (!iface)
          throw new DecodeError('value', bodyAt, `${path}.interface_id`, `interface ${ifId} not described in this section`);
        const raw = (BigInt(hi) << 32n) | BigInt(lo);
        const tsNs = (raw * iface.mul) / iface.div + iface.offsetNs;
        this.frame++;
        out.push({
          type: 'packet',
          packet: {
            frame: this.frame,
            tsNs,
            linkType: iface.linkType,
            interfaceId: ifId,
            data: body.slice(20, 20 + cap),
            origLen: orig,
            dataOffset: bodyAt + 20,
          },
        });
        break;
      }
      case 3: {
        // Simple Packet Block: interface 0, no timestamp.
        if (body.length < 4) throw new DecodeError('length', start, path, 'simple packet block too short');
        const iface = st.interfaces[0];
        if (!iface) throw new DecodeError('value', start, path, 'simple packet block without interface 0');
        const orig = u32(body, 0, st.le);
        // Captured length: the original length, cut to interface 0's snap length.
        const cap = iface.snaplen !== 0 ? Math.min(orig, iface.snaplen) : orig;
        if (cap > body.length - 4)
          throw new DecodeError(
            'length',
            bodyAt,
            `${path}.original_len`,
            `simple packet of ${cap} byte(s) does not fit its ${body.length - 4}-byte block`,
          );
        this.frame++;
        out.push({
          type: 'packet',
          packet: {
            frame: this.frame,
            tsNs: undefined,
            linkType: iface.linkType,
            interfaceId: 0,
            data: body.slice(4, 4 + cap),
            origLen: orig,
            dataOffset: bodyAt + 4,
          },
        });
        break;
      }
      case 10: {
        // Decryption Secrets Block.
        if (body.length < 8) throw new DecodeError('length', start, path, 'decryption secrets block too short');
        const secretsType = u32(body, 0, st.le);
        const slen = u32(body, 4, st.le);
        if (slen > body.length - 8)
          throw new DecodeError(
            'length',
            bodyAt + 4,
            `${path}.secrets_length`,
            `secrets length ${slen} exceeds the ${body.length - 8} byte(s) of the block`,
          );
        const data = body.slice(8, 8 + slen);
        const keyLog = secretsType === SECRETS_TYPE_TLS_KEYLOG ? new TextDecoder('utf-8').decode(data) : undefined;
        out.push({ type: 'secrets', secretsType, data, keyLog, afterFrame: this.frame, offset: start });
        break;
      }
      default:
        if (FRAME_BLOCK_TYPES.has(type)) {
          this.frame++;
          out.push({ type: 'non-packet-frame', frame: this.frame, blockType: type, offset: start });
        }
        // Name resolution, interface statistics and unknown blocks: skipped.
        break;
    }
    this.consume(len);
    return true;
  }

  private parseIdb(body: Uint8Array, at: number, le: boolean, path: string): Interface {
    if (body.length < 8) throw new DecodeError('length', at, path, 'interface description block too short');
    const iface: Interface = { linkType: u16(body, 0, le), snaplen: u32(body, 4, le), mul: 1000n, div: 1n, offsetNs: 0n };
    let p = 8;
    while (p + 4 <= body.length) {
      const code = u16(body, p, le);
      const olen = u16(body, p + 2, le);
      if (code === 0) break;
      if (p + 4 + olen > body.length)
        throw new DecodeError('length', at + p + 2, `${path}.options[${code}]`, `option length ${olen} runs past the block`);
      const v = body.subarray(p + 4, p + 4 + olen);
      if (code === 9 && olen >= 1) {
        const r = v[0]!;
        const exp = r & 0x7f;
        if (r & 0x80) {
          if (exp > 63) throw new DecodeError('value', at + p + 4, `${path}.if_tsresol`, `resolution 2^-${exp} not supported`);
          iface.mul = 1_000_000_000n;
          iface.div = 1n << BigInt(exp);
        } else {
          if (exp > 18) throw new DecodeError('value', at + p + 4, `${path}.if_tsresol`, `resolution 10^-${exp} not supported`);
          if (exp <= 9) {
            iface.mul = 10n ** BigInt(9 - exp);
            iface.div = 1n;
          } else {
            iface.mul = 1n;
            iface.div = 10n ** BigInt(exp - 9);
          }
        }
      } else if (code === 14 && olen === 8) {
        const dv = new DataView(v.buffer, v.byteOffset, 8);
        iface.offsetNs = dv.getBigInt64(0, le) * 1_000_000_000n;
      }
      p += 4 + ((olen + 3) & ~3);
    }
    return iface;
  }
}

/** Parse a whole capture held in memory. Throws DecodeError on malformed input. */
export function parseCaptureSync(bytes: Uint8Array, opts: Omit<ParserOptions, 'totalSize'> = {}): CaptureRecord[] {
  const p = new CaptureParser({ ...opts, totalSize: bytes.length });
  const out = p.feed(bytes);
  return out.concat(p.end());
}

/** Iterate a capture from an async source of chunks (e.g. a file or stdin). */
export async function* parseCaptureStream(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: ParserOptions = {},
): AsyncGenerator<CaptureRecord> {
  const p = new CaptureParser(opts);
  for await (const c of chunks) yield* p.feed(c);
  yield* p.end();
}

/** Read a file in fixed-size chunks, each a fresh buffer (so views into them stay valid). */
export async function* fileChunks(path: string, chunkSize = 64 * 1024): AsyncGenerator<Uint8Array> {
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'r');
  try {
    for (;;) {
      const buf = new Uint8Array(chunkSize);
      const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
      if (bytesRead === 0) return;
      yield bytesRead === chunkSize ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
