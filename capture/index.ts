/**
 * Capture input: pcap / pcapng files -> TCP connections -> per-direction
 * byte streams, with the frame number that delivered every byte.
 *
 *   readCaptureRecords(src)      AsyncIterable<CaptureRecord>: packets, DSB secrets,
 *                                file info and file anomalies, in file order
 *   readCapture(src, {onSecrets}) AsyncIterable<Packet> (secrets via callback)
 *   readCaptureSync(bytes)       the same, in memory, synchronously (tests, fuzzing)
 *   decodeFrame(packet)          link/IP/TCP decoding -> TcpSegment (never throws)
 *   TcpReassembler               incremental: push(segment) -> data/gap/anomaly events
 *   reassemble(packets)          collects everything: connections in capture order,
 *                                each with `streams.client` / `streams.server`
 *                                (bytes sent by that side) as contiguous chunks
 *                                { offset, bytes, spans, frameAt(offset) } and gaps
 *   analyzeCapture(src)          readCaptureRecords + reassemble + key logs from DSBs
 *   looksLikeTls(firstBytes)     TLS record header sniffing (any port)
 *
 * Conventions:
 * - Frames are numbered from 1 as Wireshark does (pcapng custom/journal/Sysdig
 *   blocks take a number too). A TLS record or handshake message is
 *   "completed by frame N" when N = frameAt(offset of its last byte); that is
 *   the frame tshark shows it in.
 * - The client is the sender of the SYN (or the receiver of the SYN+ACK);
 *   without a handshake in the capture, the side with the port below 1024
 *   (if exactly one is), else the first sender (`conn.roleBasis`).
 * - Stream offset 0 is the first byte after the SYN, or without a SYN the
 *   first data byte seen. See reassembly.ts for retransmissions, overlaps,
 *   out-of-order data, gaps and the buffering cap.
 *
 * `src` is a file path (read in 64 KiB chunks; memory does not grow with the
 * file), a Uint8Array, or an (async) iterable of chunks. Malformed capture
 * files throw `DecodeError` (wire/errors) with an absolute file offset;
 * malformed frames inside a good file are counted and reported, not thrown.
 * A stream with a gap is never patched: the gap is reported and the
 * connection carries an `inconclusive` reason.
 */
import {
  type Packet,
  type CaptureRecord,
  type ParserOptions,
  type SecretsRecord,
  parseCaptureStream,
  parseCaptureSync,
  fileChunks,
} from './pcap';
import { decodeFrame } from './link';
import { concatBytes } from '../wire/hex';
import { type Connection, type Dir, type Gap, type ReassemblyOptions, TcpReassembler } from './reassembly';

export * from './pcap';
export * from './link';
export * from './reassembly';

export type CaptureSource = string | Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export async function* readCaptureRecords(src: CaptureSource, opts: ParserOptions = {}): AsyncGenerator<CaptureRecord> {
  if (src instanceof Uint8Array) {
    yield* parseCaptureSync(src, opts);
    return;
  }
  if (typeof src === 'string') {
    const { stat } = await import('node:fs/promises');
    const size = (await stat(src)).size;
    yield* parseCaptureStream(fileChunks(src), { ...opts, totalSize: size });
    return;
  }
  yield* parseCaptureStream(src, opts);
}

export async function* readCapture(
  src: CaptureSource,
  opts: ParserOptions & { onSecrets?: (s: SecretsRecord) => void } = {},
): AsyncGenerator<Packet> {
  for await (const r of readCaptureRecords(src, opts)) {
    if (r.type === 'packet') yield r.packet;
    else if (r.type === 'secrets') opts.onSecrets?.(r);
  }
}

export function readCaptureSync(bytes: Uint8Array): Packet[] {
  const out: Packet[] = [];
  for (const r of parseCaptureSync(bytes)) if (r.type === 'packet') out.push(r.packet);
  return out;
}

/** Bytes [offset, offset + length) of a stream were delivered by `frame`. */
export interface FrameSpan {
  offset: number;
  length: number;
  frame: number;
}

/** A maximal contiguous run of stream bytes. */
export interface StreamChunk {
  /** Stream offset of bytes[0]. */
  offset: number;
  bytes: Uint8Array;
  spans: FrameSpan[];
  /** Frame that delivered the byte at this stream offset (undefined outside the chunk). */
  frameAt(offset: number): number | undefined;
}

export interface StreamResult {
  /** Contiguous runs in stream order; more than one only around gaps. */
  chunks: StreamChunk[];
  gaps: Gap[];
  /** Total bytes present (gaps excluded). */
  byteCount: number;
  /** Frame that delivered the byte at this stream offset (undefined in a gap). */
  frameAt(offset: number): number | undefined;
}

export interface ConnectionResult {
  conn: Connection;
  streams: Record<Dir, StreamResult>;
}

export interface FrameStats {
  frames: number;
  tcp: number;
  other: number;
  unsupported: { frame: number; detail: string }[];
  malformed: { frame: number; detail: string }[];
}

export interface CaptureAnalysis {
  connections: ConnectionResult[];
  stats: FrameStats;
  /** Key log text from pcapng Decryption Secrets Blocks, in file order. */
  keyLogs: string[];
  secrets: SecretsRecord[];
  fileAnomalies: string[];
}

function makeChunk(offset: number, parts: Uint8Array[], spans: FrameSpan[]): StreamChunk {
  const bytes = concatBytes(parts);
  return {
    offset,
    bytes,
    spans,
    frameAt(o: number): number | undefined {
      let lo = 0;
      let hi = spans.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const s = spans[mid]!;
        if (o < s.offset) hi = mid - 1;
        else if (o >= s.offset + s.length) lo = mid + 1;
        else return s.frame;
      }
      return undefined;
    },
  };
}

class StreamCollector {
  chunks: StreamChunk[] = [];
  gaps: Gap[] = [];
  private parts: Uint8Array[] = [];
  private spans: FrameSpan[] = [];
  private start = 0;
  private end = 0;
  byteCount = 0;

  data(offset: number, bytes: Uint8Array, frame: number): void {
    if (this.parts.length > 0 && offset !== this.end) this.close();
    if (this.parts.length === 0) this.start = offset;
    this.parts.push(bytes);
    const last = this.spans[this.spans.length - 1];
    if (last && last.frame === frame && last.offset + last.length === offset) last.length += bytes.length;
    else this.spans.push({ offset, length: bytes.length, frame });
    this.end = offset + bytes.length;
    this.byteCount += bytes.length;
  }
  frameAt(offset: number): number | undefined {
    for (const c of this.chunks) if (offset >= c.offset && offset < c.offset + c.bytes.length) return c.frameAt(offset);
    return undefined;
  }
  close(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(makeChunk(this.start, this.parts, this.spans));
    this.parts = [];
    this.spans = [];
  }
}

/** Reassemble TCP streams from packets (any link type), collecting the results. */
export async function reassemble(
  packets: AsyncIterable<Packet> | Iterable<Packet>,
  opts: ReassemblyOptions = {},
): Promise<{ connections: ConnectionResult[]; stats: FrameStats }> {
  const re = new TcpReassembler(opts);
  const collectors = new Map<Connection, Record<Dir, StreamCollector>>();
  const order: ConnectionResult[] = [];
  const stats: FrameStats = { frames: 0, tcp: 0, other: 0, unsupported: [], malformed: [] };
  const apply = (evs: ReturnType<TcpReassembler['push']>): void => {
    for (const ev of evs) {
      if (ev.type === 'open') {
        const streams = { client: new StreamCollector(), server: new StreamCollector() };
        collectors.set(ev.conn, streams);
        order.push({ conn: ev.conn, streams });
        continue;
      }
      const col = collectors.get(ev.conn)!;
      if (ev.type === 'data') col[ev.dir].data(ev.offset, ev.bytes, ev.frame);
      else if (ev.type === 'gap') col[ev.gap.dir].gaps.push(ev.gap);
    }
  };
  for await (const p of packets) {
    stats.frames++;
    const f = decodeFrame(p);
    if (f.kind === 'tcp') {
      stats.tcp++;
      apply(re.push(f.segment));
    } else if (f.kind === 'other') stats.other++;
    else if (f.kind === 'unsupported') stats.unsupported.push({ frame: f.frame, detail: f.detail });
    else stats.malformed.push({ frame: f.frame, detail: f.error.message });
  }
  apply(re.finish());
  for (const c of collectors.values()) {
    c.client.close();
    c.server.close();
  }
  return { connections: order, stats };
}

/** Read a capture and reassemble all its TCP connections. */
export async function analyzeCapture(src: CaptureSource, opts: ReassemblyOptions & ParserOptions = {}): Promise<CaptureAnalysis> {
  const secrets: SecretsRecord[] = [];
  const fileAnomalies: string[] = [];
  async function* packets(): AsyncGenerator<Packet> {
    for await (const r of readCaptureRecords(src, opts)) {
      if (r.type === 'packet') yield r.packet;
      else if (r.type === 'secrets') secrets.push(r);
      else if (r.type === 'anomaly') fileAnomalies.push(`offset ${r.offset}: ${r.detail}`);
    }
  }
  const { connections, stats } = await reassemble(packets(), opts);
  const keyLogs = secrets.flatMap((s) => (s.keyLog === undefined ? [] : [s.keyLog]));
  return { connections, stats, keyLogs, secrets, fileAnomalies };
}

/**
 * Does this look like the start of a TLS stream? A record header with content
 * type 20-23 (change_cipher_spec, alert, handshake, application_data), major
 * version 3, minor 0-4, and a length up to 2^14 + 2048. With fewer than 5
 * bytes, only the bytes present are checked.
 */
export function looksLikeTls(first: Uint8Array): boolean {
  if (first.length === 0) return false;
  const t = first[0]!;
  if (t < 20 || t > 23) return false;
  if (first.length > 1 && first[1] !== 3) return false;
  if (first.length > 2 && first[2]! > 4) return false;
  if (first.length > 4 && ((first[3]! << 8) | first[4]!) > 16384 + 2048) return false;
  return true;
}
