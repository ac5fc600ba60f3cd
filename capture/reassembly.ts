/**
 * TCP reassembly per connection (4-tuple) and per direction.
 *
 * - Sequence numbers are compared with 32-bit modular arithmetic relative to
 *   the next expected byte, so ISNs near 2^32 and streams past 4 GiB work.
 * - Stream offset 0 is ISN + 1 when the SYN is seen; without a SYN it is the
 *   sequence number of the first segment of that direction carrying data (or
 *   FIN). Data seen later that lies before offset 0 is dropped with an anomaly.
 * - TCP keep-alives (one byte at next - 1) are ignored.
 * - Retransmitted bytes are dropped; overlapping bytes keep the first-seen
 *   copy; if a later copy differs, an anomaly is recorded (compared against a
 *   bounded history of recently delivered bytes and against buffered data).
 * - Out-of-order data is buffered until the hole fills. If the buffered bytes
 *   of one direction exceed `maxBufferedBytes`, the hole is declared missing
 *   and the stream jumps over it. At `finish()`, holes that never filled
 *   (before buffered data, before a FIN, or before bytes the peer
 *   acknowledged; without a FIN in the capture, the last acknowledged
 *   sequence number may be a FIN, so it is not counted) are reported as gaps, and the connection gets an
 *   `inconclusive` reason. Nothing is ever guessed.
 * - Client/server: the sender of a SYN (without ACK) is the client; the
 *   sender of a SYN+ACK is the server. Without a handshake in the capture:
 *   if exactly one port is below 1024, that side is the server; otherwise the
 *   first sender is taken as the client (`roleBasis` says which rule was used;
 *   the TLS layer may know better from the ClientHello).
 * - A SYN (without ACK) with a new ISN on a known 4-tuple starts a new
 *   connection (port reuse).
 *
 * Data is emitted incrementally: each `data` event is one piece of one
 * segment, with the frame number that delivered it (for a segment that
 * filled a hole, that is the frame of the buffered segment, since those are
 * the bytes it carried; the frame that completed a message is the frame of
 * its last byte).
 *
 * Memory: a connection's state (out-of-order pieces, the history of
 * delivered bytes for retransmission checks) lives until the end of the
 * capture, or until the stream layer `release()`s it once it is done with
 * the connection (typically when `isSettled`). A released connection leaves
 * a tombstone under its 4-tuple (the client's address and initial sequence
 * number, whether it was reset): its late segments (the last ACK, a
 * retransmitted FIN) are absorbed as before instead of opening a connection
 * of their own, and a SYN that starts a new connection on the same 4-tuple
 * is still told apart. Tombstones expire after TIME_WAIT_NS of capture time
 * (2 MSL, RFC 9293 §3.4.2: "the Maximum Segment Lifetime (MSL) ... is
 * arbitrarily defined to be 2 minutes"; §3.6.1: TIME-WAIT lasts 2 MSL, after
 * which the 4-tuple may be reused) and at most MAX_TOMBSTONES are kept
 * (oldest dropped first): memory does not grow with the capture.
 */
import { type Endpoint, endpointKey, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from './link';

/** Which side sent the bytes of a stream. */
export type Dir = 'client' | 'server';

export interface Gap {
  dir: Dir;
  offset: number;
  length: number;
  /** Frame of the last byte delivered before the gap, if any. */
  afterFrame: number | undefined;
  detail: string;
}

export interface Anomaly {
  frame: number;
  dir: Dir | undefined;
  detail: string;
}

/** Live description of a connection (fields update as segments arrive). */
export interface Connection {
  /** 1-based, in order of the connection's first packet in the capture. */
  id: number;
  client: Endpoint;
  server: Endpoint;
  roleBasis: 'syn' | 'syn-ack' | 'port' | 'first-sender';
  firstFrame: number;
  /** Capture time of the first frame, in ns since the epoch, when the file records it. */
  firstTsNs?: bigint;
  lastFrame: number;
  /** Why a check over this connection cannot be conclusive (missing bytes...). */
  inconclusive: string[];
  anomalies: Anomaly[];
  gaps: Gap[];
  synSeen: Record<Dir, boolean>;
  /** Frame of the FIN of each direction, if seen. */
  finFrame: Record<Dir, number | undefined>;
  rstFrame: Record<Dir, number | undefined>;
  /** Bytes delivered so far per direction (gaps excluded). */
  bytes: Record<Dir, number>;
}

export type ReassemblyEvent =
  | { type: 'open'; conn: Connection }
  | { type: 'data'; conn: Connection; dir: Dir; offset: number; bytes: Uint8Array; frame: number }
  | { type: 'gap'; conn: Connection; gap: Gap }
  | { type: 'anomaly'; conn: Connection; anomaly: Anomaly };

export interface ReassemblyOptions {
  /** Cap on out-of-order bytes buffered per direction (default 8 MiB; also at most 16384 segments). */
  maxBufferedBytes?: number;
  /** Delivered bytes kept per direction to check retransmissions (default 1 MiB). */
  historyBytes?: number;
}

interface Piece {
  offset: number;
  bytes: Uint8Array;
  frame: number;
}

class Half {
  base: number | undefined;
  next = 0;
  pending: Piece[] = [];
  pendingBytes = 0;
  history: Piece[] = [];
  historyBytes = 0;
  finOffset: number | undefined;
  maxAck: number | undefined;
  lastFrame: number | undefined;

  offsetOf(seq: number): number {
    const expected = (this.base! + this.next) >>> 0;
    return this.next + ((seq - expected) | 0);
  }
}

interface ConnState {
  kind: 'held';
  conn: Connection;
  halves: Record<Dir, Half>;
  flushed: boolean;
}

/** What is kept of a released connection under its 4-tuple (see the header). */
interface Tombstone {
  kind: 'released';
  key: string;
  /** endpointKey of the client. */
  client: string;
  /** The client's stream base (ISN + 1, or the first data sequence number without a SYN). */
  clientBase: number | undefined;
  reset: boolean;
  /** Capture time of the latest segment that reached it. */
  lastTsNs: bigint | undefined;
}

/** Bounds on list lengths, so that hostile captures of tiny segments stay linear. */
const MAX_PENDING_PIECES = 16384;
const MAX_HISTORY_PIECES = 1024;
/** How long (capture time) a released connection's 4-tuple absorbs late segments: 2 MSL = 4 minutes (RFC 9293). */
export const TIME_WAIT_NS = 240_000_000_000n;
/** At most this many released 4-tuples are remembered (about 200 bytes each); the oldest go first. */
export const MAX_TOMBSTONES = 65536;

/** What a TcpReassembler holds, for tests and the bench (counts, not bytes). */
export interface ReassemblyStats {
  /** Connections whose state is held (seen and not released). */
  connections: number;
  /** The most held at once so far. */
  peakConnections: number;
  /** Released connections whose 4-tuple is remembered. */
  tombstones: number;
}

const other = (d: Dir): Dir => (d === 'client' ? 'server' : 'client');

export class TcpReassembler {
  private readonly conns = new Map<string, ConnState | Tombstone>();
  /** Held connections in capture order (a Set keeps insertion order; released ones leave it). */
  private readonly all = new Set<ConnState>();
  private readonly byConn = new Map<Connection, ConnState>();
  /** Released connections' 4-tuples, oldest first. */
  private readonly tombstones: Tombstone[] = [];
  private tombstoneHead = 0;
  /** Tombstones still in `conns` (the list may hold replaced ones until they reach its head). */
  private liveTombstones = 0;
  private opened = 0;
  private peak = 0;
  private readonly maxBuffered: number;
  private readonly maxHistory: number;
  private out: ReassemblyEvent[] = [];

  constructor(opts: ReassemblyOptions = {}) {
    this.maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.maxHistory = opts.historyBytes ?? 1024 * 1024;
  }

  /** Connections seen so far and not released, in capture order. */
  get connections(): Connection[] {
    return [...this.all].map((s) => s.conn);
  }

  get stats(): ReassemblyStats {
    return { connections: this.all.size, peakConnections: this.peak, tombstones: this.liveTombstones };
  }

  /**
   * Forget a connection the stream layer is done with (see the header): its
   * buffers go, its 4-tuple stays as a tombstone. Events of its late
   * segments are no longer produced.
   */
  release(conn: Connection): void {
    const st = this.byConn.get(conn);
    if (!st) return;
    this.byConn.delete(conn);
    this.all.delete(st);
    const sk = endpointKey(conn.client);
    const dk = endpointKey(conn.server);
    const key = sk < dk ? `${sk}|${dk}` : `${dk}|${sk}`;
    if (this.conns.get(key) !== st) return;
    const t: Tombstone = {
      kind: 'released',
      key,
      client: sk,
      clientBase: st.halves.client.base,
      reset: st.conn.rstFrame.client !== undefined || st.conn.rstFrame.server !== undefined,
      lastTsNs: this.lastTsNs,
    };
    this.conns.set(key, t);
    this.tombstones.push(t);
    this.liveTombstones++;
    this.expire();
  }

  private lastTsNs: bigint | undefined;

  /** Drop tombstones past TIME_WAIT (capture time) or beyond MAX_TOMBSTONES. */
  private expire(): void {
    const now = this.lastTsNs;
    while (this.tombstoneHead < this.tombstones.length) {
      const t = this.tombstones[this.tombstoneHead]!;
      const live = this.tombstones.length - this.tombstoneHead;
      const old = now !== undefined && t.lastTsNs !== undefined && now - t.lastTsNs > TIME_WAIT_NS;
      if (!old && live <= MAX_TOMBSTONES) break;
      this.tombstoneHead++;
      if (this.conns.get(t.key) === t) {
        this.conns.delete(t.key);
        this.liveTombstones--;
      }
    }
    if (this.tombstoneHead > 1024 && this.tombstoneHead * 2 > this.tombstones.length) {
      this.tombstones.splice(0, this.tombstoneHead);
      this.tombstoneHead = 0;
    }
  }

  push(seg: TcpSegment): ReassemblyEvent[] {
    this.out = [];
    if (seg.tsNs !== undefined && (this.lastTsNs === undefined || seg.tsNs > this.lastTsNs)) this.lastTsNs = seg.tsNs;
    if (this.tombstoneHead < this.tombstones.length) this.expire();
    const sk = endpointKey(seg.src);
    const dk = endpointKey(seg.dst);
    const key = sk < dk ? `${sk}|${dk}` : `${dk}|${sk}`;
    const found = this.conns.get(key);
    const pureSyn = (seg.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    let st: ConnState | undefined;
    if (found?.kind === 'released') {
      // A late segment of a released connection is absorbed, as it would have been by the connection
      // (its events could no longer change anything); only a SYN that starts a new connection opens one.
      const newConnection =
        pureSyn &&
        (found.reset || sk !== found.client || (found.clientBase !== undefined && found.clientBase !== (seg.seq + 1) >>> 0));
      if (!newConnection) {
        if (seg.tsNs !== undefined) found.lastTsNs = seg.tsNs;
        return this.out;
      }
      this.conns.delete(key);
      this.liveTombstones--;
    } else st = found;
    if (st?.flushed && st.conn.rstFrame.client === undefined && st.conn.rstFrame.server === undefined) {
      // flushed for another reason (port reuse handled below)
    } else if (st?.flushed) {
      // The connection was reset: a new SYN opens a new one; anything else is late and ignored.
      if (!pureSyn) {
        // Duplicated or late empty segments (the RST itself, ACKs) say nothing; late data is worth a note.
        if (seg.payload.length > 0)
          this.anomaly(st, seg.frame, undefined, `frame ${seg.frame} carries data after the connection was reset; ignored`);
        return this.out;
      }
      st = undefined;
    }
    if (st && pureSyn) {
      const srcIsClient = endpointKey(st.conn.client) === sk;
      const ch = st.halves.client;
      if (!srcIsClient || (ch.base !== undefined && ch.base !== (seg.seq + 1) >>> 0)) {
        this.flush(st);
        st = undefined;
      }
    }
    if (!st) {
      st = this.open(seg);
      this.conns.set(key, st);
    }
    const conn = st.conn;
    conn.lastFrame = seg.frame;
    const dir: Dir = endpointKey(conn.client) === sk ? 'client' : 'server';
    this.segment(st, dir, seg);
    // A reset ends the connection at once: holes left now will never fill.
    if (seg.flags & TCP_RST) this.flush(st);
    return this.out;
  }

  /**
   * True once a connection can produce no more data or gap events: it was
   * flushed (port reuse or finish), or both directions sent a FIN and every
   * byte up to each FIN has been delivered (nothing buffered), or it was
   * reset (a RST flushes it at once, reporting its holes; later segments of
   * it are ignored as anomalies). A stream layer may then hand the
   * connection's results on.
   */
  isSettled(conn: Connection): boolean {
    const st = this.byConn.get(conn);
    if (!st) return false;
    if (st.flushed) return true;
    for (const dir of ['client', 'server'] as const) {
      const h = st.halves[dir];
      if (h.finOffset === undefined || h.pending.length > 0 || h.next !== h.finOffset) return false;
    }
    return true;
  }

  /** End of capture: report holes that never filled. */
  finish(): ReassemblyEvent[] {
    this.out = [];
    for (const st of this.all) this.flush(st);
    return this.out;
  }

  private open(seg: TcpSegment): ConnState {
    let srcIsClient: boolean;
    let roleBasis: Connection['roleBasis'];
    if (seg.flags & TCP_SYN) {
      srcIsClient = !(seg.flags & TCP_ACK);
      roleBasis = srcIsClient ? 'syn' : 'syn-ack';
    } else if (seg.src.port < 1024 !== seg.dst.port < 1024) {
      srcIsClient = seg.dst.port < 1024;
      roleBasis = 'port';
    } else {
      srcIsClient = true;
      roleBasis = 'first-sender';
    }
    const conn: Connection = {
      id: ++this.opened,
      client: srcIsClient ? seg.src : seg.dst,
      server: srcIsClient ? seg.dst : seg.src,
      roleBasis,
      firstFrame: seg.frame,
      ...(seg.tsNs !== undefined ? { firstTsNs: seg.tsNs } : {}),
      lastFrame: seg.frame,
      inconclusive: [],
      anomalies: [],
      gaps: [],
      synSeen: { client: false, server: false },
      finFrame: { client: undefined, server: undefined },
      rstFrame: { client: undefined, server: undefined },
      bytes: { client: 0, server: 0 },
    };
    const st: ConnState = { kind: 'held', conn, halves: { client: new Half(), server: new Half() }, flushed: false };
    this.all.add(st);
    this.byConn.set(conn, st);
    if (this.all.size > this.peak) this.peak = this.all.size;
    this.out.push({ type: 'open', conn });
    return st;
  }

  private anomaly(st: ConnState, frame: number, dir: Dir | undefined, detail: string): void {
    const anomaly = { frame, dir, detail };
    st.conn.anomalies.push(anomaly);
    this.out.push({ type: 'anomaly', conn: st.conn, anomaly });
  }

  private segment(st: ConnState, dir: Dir, seg: TcpSegment): void {
    const h = st.halves[dir];
    const conn = st.conn;
    if (seg.flags & TCP_RST) conn.rstFrame[dir] ??= seg.frame;
    let dataSeq = seg.seq;
    if (seg.flags & TCP_SYN) {
      dataSeq = (seg.seq + 1) >>> 0;
      if (h.base === undefined) {
        h.base = dataSeq;
        conn.synSeen[dir] = true;
      } else if (!conn.synSeen[dir]) {
        this.anomaly(st, seg.frame, dir, 'SYN seen after data of the same direction; ignored');
      } else if (h.base !== dataSeq) {
        this.anomaly(st, seg.frame, dir, 'SYN with a different ISN on the same connection; ignored');
      }
    }
    if (h.base === undefined && (seg.payload.length > 0 || seg.flags & TCP_FIN) && !(seg.flags & TCP_RST)) h.base = dataSeq;
    // What the peer has acknowledged of our stream.
    const peer = st.halves[other(dir)];
    if (seg.flags & TCP_ACK && peer.base !== undefined) {
      const a = peer.offsetOf(seg.ack);
      if (a >= 0 && (peer.maxAck === undefined || a > peer.maxAck)) peer.maxAck = a;
    }
    if (h.base === undefined) return;
    const off = h.offsetOf(dataSeq);
    if (seg.missingTail > 0)
      this.anomaly(
        st,
        seg.frame,
        dir,
        `frame holds ${seg.payload.length} of ${seg.payload.length + seg.missingTail} payload bytes (snapped)`,
      );
    if (seg.flags & TCP_FIN) {
      const fo = off + seg.payload.length + seg.missingTail;
      if (h.finOffset === undefined) {
        h.finOffset = fo;
        conn.finFrame[dir] = seg.frame;
      } else if (h.finOffset !== fo) {
        this.anomaly(st, seg.frame, dir, `FIN at stream offset ${fo} after an earlier FIN at ${h.finOffset}`);
      }
    }
    if (seg.payload.length === 0) return;
    if (h.finOffset !== undefined && off + seg.payload.length > h.finOffset) {
      this.anomaly(st, seg.frame, dir, `data beyond the FIN (stream offset ${h.finOffset})`);
    }
    let bytes = seg.payload;
    let at = off;
    if (at < 0) {
      this.anomaly(st, seg.frame, dir, `${Math.min(-at, bytes.length)} byte(s) before the start of the captured stream dropped`);
      if (at + bytes.length <= 0) return;
      bytes = bytes.subarray(-at);
      at = 0;
    }
    if (bytes.length === 1 && at === h.next - 1 && !(seg.flags & (TCP_FIN | TCP_SYN))) {
      // TCP keep-alive: one (usually garbage) byte just below the next expected one.
      return;
    }
    if (at < h.next) {
      const n = Math.min(h.next - at, bytes.length);
      this.compareHistory(st, dir, h, at, bytes.subarray(0, n), seg.frame);
      bytes = bytes.subarray(n);
      at += n;
    }
    if (bytes.length > 0) this.insert(st, dir, h, { offset: at, bytes, frame: seg.frame });
    this.drain(st, dir, h);
    while ((h.pendingBytes > this.maxBuffered || h.pending.length > MAX_PENDING_PIECES) && h.pending.length > 0) {
      const first = h.pending[0]!;
      this.gap(
        st,
        dir,
        h,
        first.offset,
        `more than ${this.maxBuffered} out-of-order bytes (or ${MAX_PENDING_PIECES} segments) buffered`,
      );
      this.drain(st, dir, h);
    }
  }

  /** Compare a retransmitted range with what was delivered. */
  private compareHistory(st: ConnState, dir: Dir, h: Half, at: number, bytes: Uint8Array, frame: number): void {
    for (const p of h.history) {
      const s = Math.max(at, p.offset);
      const e = Math.min(at + bytes.length, p.offset + p.bytes.length);
      for (let i = s; i < e; i++) {
        if (bytes[i - at] !== p.bytes[i - p.offset]) {
          this.anomaly(st, frame, dir, `retransmitted bytes at stream offset ${i} differ from frame ${p.frame}; first copy kept`);
          return;
        }
      }
    }
  }

  /** Insert into the sorted, non-overlapping pending list; first-seen bytes win. */
  private insert(st: ConnState, dir: Dir, h: Half, piece: Piece): void {
    let s = piece.offset;
    const e = piece.offset + piece.bytes.length;
    const fresh: Piece[] = [];
    let differs = false;
    for (const p of h.pending) {
      const ps = p.offset;
      const pe = p.offset + p.bytes.length;
      if (pe <= s) continue;
      if (ps >= e) break;
      if (ps > s) fresh.push({ offset: s, bytes: piece.bytes.subarray(s - piece.offset, ps - piece.offset), frame: piece.frame });
      const os = Math.max(s, ps);
      const oe = Math.min(e, pe);
      for (let i = os; i < oe && !differs; i++) if (piece.bytes[i - piece.offset] !== p.bytes[i - ps]) differs = true;
      s = Math.max(s, pe);
      if (s >= e) break;
    }
    if (s < e) fresh.push({ offset: s, bytes: piece.bytes.subarray(s - piece.offset), frame: piece.frame });
    if (differs)
      this.anomaly(
        st,
        piece.frame,
        dir,
        `overlapping bytes differ from buffered data near stream offset ${piece.offset}; first copy kept`,
      );
    for (const f of fresh) {
      let i = h.pending.length;
      while (i > 0 && h.pending[i - 1]!.offset > f.offset) i--;
      h.pending.splice(i, 0, f);
      h.pendingBytes += f.bytes.length;
    }
  }

  private drain(st: ConnState, dir: Dir, h: Half): void {
    while (h.pending.length > 0 && h.pending[0]!.offset === h.next) {
      const p = h.pending.shift()!;
      h.pendingBytes -= p.bytes.length;
      this.deliver(st, dir, h, p);
    }
  }

  private deliver(st: ConnState, dir: Dir, h: Half, p: Piece): void {
    h.next = p.offset + p.bytes.length;
    h.lastFrame = p.frame;
    st.conn.bytes[dir] += p.bytes.length;
    h.history.push(p);
    h.historyBytes += p.bytes.length;
    while (
      h.history.length > 1 &&
      (h.historyBytes - h.history[0]!.bytes.length >= this.maxHistory || h.history.length > MAX_HISTORY_PIECES)
    ) {
      h.historyBytes -= h.history.shift()!.bytes.length;
    }
    this.out.push({ type: 'data', conn: st.conn, dir, offset: p.offset, bytes: p.bytes, frame: p.frame });
  }

  /** Declare [h.next, end) missing and move past it. */
  private gap(st: ConnState, dir: Dir, h: Half, end: number, why: string): void {
    const length = end - h.next;
    if (length <= 0) return;
    const role = dir === 'client' ? 'client' : 'server';
    const detail = `bytes ${h.next}-${end - 1} of the ${role} stream are missing from the capture${h.lastFrame !== undefined ? ` (after frame ${h.lastFrame})` : ''}; ${why}`;
    const gap: Gap = { dir, offset: h.next, length, afterFrame: h.lastFrame, detail };
    st.conn.gaps.push(gap);
    st.conn.inconclusive.push(detail);
    this.out.push({ type: 'gap', conn: st.conn, gap });
    h.next = end;
  }

  private flush(st: ConnState): void {
    if (st.flushed) return;
    st.flushed = true;
    for (const dir of ['client', 'server'] as const) {
      const h = st.halves[dir];
      if (h.base === undefined) continue;
      while (h.pending.length > 0) {
        this.gap(st, dir, h, h.pending[0]!.offset, 'never retransmitted');
        this.drain(st, dir, h);
      }
      if (h.finOffset !== undefined && h.finOffset > h.next) this.gap(st, dir, h, h.finOffset, 'the FIN came later');
      if (h.maxAck !== undefined) {
        if (h.finOffset !== undefined) {
          this.gap(st, dir, h, Math.min(h.maxAck, h.finOffset), 'the peer acknowledged them');
        } else if (h.maxAck > h.next) {
          // Without the FIN in the capture, the last acknowledged sequence
          // number may be a FIN or a data byte: report only what is certain.
          this.gap(st, dir, h, h.maxAck - 1, 'the peer acknowledged them, and one more sequence number (a data byte or a FIN)');
          this.anomaly(
            st,
            st.conn.lastFrame,
            dir,
            `the peer acknowledged stream offset ${h.maxAck}; the capture holds data up to ${h.next} and no FIN`,
          );
        }
      }
      h.history = [];
      h.historyBytes = 0;
    }
  }
}
