/**
 * The TLS layer over the capture reader: capture -> TCP connections -> TLS
 * records (decrypted with a key log where it allows) -> Transcripts.
 *
 *   captureToTranscripts(src, opts)   AsyncIterable<CaptureTranscript>, one per
 *                                     TLS connection, in capture order; its
 *                                     `summary` fills in as the capture is read
 *   readCaptureTranscripts(src, opts) the same, collected
 *
 * - TLS is detected on any port (`looksLikeTls` on the first 5 bytes of the
 *   first direction that sends data); other connections are skipped and
 *   counted in `summary.skipped`. When the TCP roles were only guessed (no
 *   SYN), a ClientHello / ServerHello decides which side is the client.
 * - Records are split per direction (RecordStream) and fed to one
 *   TranscriptBuilder per connection in the order reassembly completes them
 *   (capture order across both directions; a retransmission that fills a
 *   hole delivers its bytes at its own position). A record's `frame` is the
 *   frame that delivered its last byte (tshark's frame for it).
 * - Decryption: see decrypt.ts. Key log entries come from `opts.keylog`
 *   (NSS text or parsed entries; malformed text throws KeyLogError before
 *   anything is read) and from pcapng Decryption Secrets Blocks met so far.
 *   Unreadable protected records leave the builder's gap for that direction
 *   with the reason: the missing key-log entry, or the frame and failure.
 * - A TCP gap stops the reading of that direction (records cannot be
 *   re-aligned after missing bytes without guessing); the transcript gets a
 *   gap with reassembly's description. Incomplete records at the end are
 *   reported the same way.
 * - Resumption: a connection whose abbreviated TLS 1.2 handshake resumes a
 *   session ID or ticket issued earlier in the capture, or whose TLS 1.3
 *   ServerHello selects a PSK identity equal to an earlier NewSessionTicket's
 *   ticket, gets `resumes`.
 *
 * Memory: packets are read in chunks and not kept. Per connection: the
 * transcript being built (every record's bytes, which is the output), a
 * partial record per direction, and reassembly's own buffers (out-of-order
 * bytes up to `maxBufferedBytes`, up to `historyBytes` of delivered bytes per
 * direction). A connection settles when TcpReassembler.isSettled says so
 * (FIN both ways with every byte delivered, or a RST) and every earlier
 * connection has settled; then the reassembler releases it (a tombstone
 * absorbs its late segments) and, once its last record is decrypted, its
 * transcript is yielded and nothing of it is kept but, when it issued a
 * session ID or ticket, that key (at most MAX_RESUMPTION_KEYS). A
 * long-lived early connection holds back the transcripts of later ones;
 * connections never closed wait for the end of the capture.
 *
 * Concurrency: each connection's events are handled in order by a pump of
 * its own, so while one connection waits for a crypto job the others go on,
 * and reading runs ahead of decryption by at most `readAhead` (default
 * READ_AHEAD: 8 MiB of queued bytes, 64 settled connections). What crosses
 * connections is made independent of that timing: resumption links go
 * through the Linker in capture order, and a key-log entry from a pcapng
 * DSB applies only to what follows it in the file; the transcripts are those
 * of a sequential pass (capture/stream.test.ts compares the two).
 * `stats` counts what is held.
 */
import { parseKeyLog, type KeyLogEntry } from '../crypto/keylog';
import { type CryptoProvider, defaultProvider } from '../crypto/provider';
import { TranscriptBuilder } from '../transcript/build';
import type { Direction, Transcript, TransportEnd } from '../transcript/model';
import { senderOf } from '../wire/vocabulary';
import { DecodeError } from '../wire/errors';
import { concatBytes, toHex } from '../wire/hex';
import { RecordStream } from '../wire/record';
import { ContentType } from '../wire/registry';
import { ConnectionDecryptor, KeyStore, offeredTicket, selectedPskIdentity } from './decrypt';
import { applyProblems, type DecryptProblem, noteProblem, openRecord } from './records';
import { type CaptureSource, type FrameSpan, type FrameStats, looksLikeTls, readCaptureRecords } from './index';
import { decodeFrame, type Endpoint } from './link';
import type { ParserOptions } from './pcap';
import { type Connection, type Dir, type ReassemblyEvent, type ReassemblyOptions, TcpReassembler } from './reassembly';

export interface CaptureTranscriptOptions extends ReassemblyOptions, ParserOptions {
  /** NSS key log text, or parsed entries. pcapng DSB key logs are used as well. */
  keylog?: string | readonly KeyLogEntry[];
  /** Name for the provenance (default: the path when `src` is one, else "<capture>"). */
  file?: string;
  provider?: CryptoProvider;
  /**
   * How far reading may run ahead of decryption (default READ_AHEAD): bytes
   * queued for connections still being decrypted, and settled connections
   * waiting for theirs. 0 and 0: each connection is yielded as soon as it
   * settles, before anything after it is read.
   */
  readAhead?: { bytes: number; connections: number };
}

export type ResumptionVia = 'session_id' | 'ticket' | 'psk';

export interface CaptureTranscript {
  transcript: Transcript;
  /** 0-based among the TLS connections of the capture (= transcript.provenance.connection). */
  connection: number;
  /** 0-based among all TCP connections (Wireshark's tcp.stream). */
  tcpStream: number;
  frames: { first: number; last: number; records: Record<Direction, number>; bytes: Record<Direction, number> };
  /** Decryption outcome over the protected records. */
  decryption: { protectedRecords: number; decrypted: number };
  /** Things worth knowing that are not gaps (role decided by the TLS hellos, TCP anomalies, ...). */
  notes: string[];
  /** The earlier connection whose session this one resumes. */
  resumes?: { connection: number | undefined; tcpStream: number; via: ResumptionVia };
}

export interface CaptureSummary {
  stats: FrameStats;
  tcpConnections: number;
  tlsConnections: number;
  skipped: { tcpStream: number; client: string; server: string; reason: string }[];
  fileAnomalies: string[];
  /** Client randoms with key-log entries (option + DSBs). */
  keyLogRandoms: number;
}

/** What the reader holds while it reads (counts, not bytes): state is released as connections settle. */
export interface CaptureStateStats {
  /** TLS-layer connection states held now: open, or settled and waiting for their turn to be yielded. */
  connections: number;
  /** The most held at once. */
  peakConnections: number;
  /** TCP connections the reassembler holds (see TcpReassembler.stats). */
  tcpConnections: number;
  peakTcpConnections: number;
  /** Released TCP 4-tuples remembered to absorb late segments. */
  tcpTombstones: number;
  /** Session IDs and tickets remembered for resumption links. */
  resumptionKeys: number;
}

export interface CaptureTranscripts extends AsyncIterable<CaptureTranscript> {
  /** Complete once iteration has finished. */
  readonly summary: CaptureSummary;
  /** Live during iteration; after it, what is still held (nothing but the bounded tombstones and resumption keys). */
  readonly stats: CaptureStateStats;
}

const label = (e: Endpoint): string => `${e.ip}:${e.port}`;

interface DirFeed {
  rs: RecordStream;
  spans: FrameSpan[];
  stopped: boolean;
  /** Stream bytes seen before TLS was detected. */
  pre: { bytes: Uint8Array; frame: number; offset: number }[];
  /** Reassembly's description when the stream starts after missing bytes. */
  startsWithGap: string | undefined;
  /** A gap came while TLS was undecided: read the bytes before it, nothing after. */
  gapAfterPre?: string;
  records: number;
  bytes: number;
}

interface Candidate {
  owner: Owner;
  via: ResumptionVia;
}

/** A reassembly event for a known connection. */
type ConnEvent = Exclude<ReassemblyEvent, { type: 'open' }>;

class ConnTls {
  state: 'unknown' | 'tls' | 'other' = 'unknown';
  skipReason = '';
  readonly feeds: Record<Dir, DirFeed>;
  readonly toDir: Record<Dir, Direction> = { client: 'C->S', server: 'S->C' };
  readonly provenance: { kind: 'capture'; file: string; connection: number };
  readonly builder: TranscriptBuilder;
  readonly decryptor: ConnectionDecryptor;
  readonly problems: DecryptProblem[] = [];
  readonly notes: string[] = [];
  recordCount = 0;
  protectedRecords = 0;
  decrypted = 0;
  registeredTickets = 0;
  sessionChecked = false;
  candidate: Candidate | undefined;
  /** Events waiting to be handled, with their reader position. */
  readonly events: { ev: ConnEvent; seq: number }[] = [];
  /** The handler of `events` while it runs. */
  pumping: Promise<void> | undefined;
  /** Reader position of the event being handled. */
  at = 0;
  /** Reader position when the connection settled, between two events (what was known then applies to its end). */
  asOf = 0;
  readonly owner: Owner;

  constructor(
    readonly conn: Connection,
    file: string,
    provider: CryptoProvider,
    keys: KeyStore,
  ) {
    const feed = (): DirFeed => ({
      rs: new RecordStream(),
      spans: [],
      stopped: false,
      pre: [],
      startsWithGap: undefined,
      records: 0,
      bytes: 0,
    });
    this.feeds = { client: feed(), server: feed() };
    this.provenance = { kind: 'capture', file, connection: -1 };
    this.decryptor = new ConnectionDecryptor(provider, keys);
    // The decryptor decodes each handshake message first (to follow the keys): the builder takes its result.
    const decryptor = this.decryptor;
    this.builder = new TranscriptBuilder(this.provenance, (raw, ctx) => decryptor.takeDecoded(raw, ctx));
    this.owner = { tcpStream: conn.id - 1 };
  }

  get tcpStream(): number {
    return this.conn.id - 1;
  }
}

function frameAt(spans: readonly FrameSpan[], offset: number): number | undefined {
  for (const s of spans) if (offset >= s.offset && offset < s.offset + s.length) return s.frame;
  return undefined;
}

/** Read a capture and turn its TLS connections into transcripts (see the header). */
export function captureToTranscripts(src: CaptureSource, opts: CaptureTranscriptOptions = {}): CaptureTranscripts {
  const keys = new KeyStore();
  if (typeof opts.keylog === 'string') keys.add(parseKeyLog(opts.keylog, { ignoreUnknownLabels: true }));
  else if (opts.keylog) keys.add(opts.keylog);
  const summary: CaptureSummary = {
    stats: { frames: 0, tcp: 0, other: 0, unsupported: [], malformed: [] },
    tcpConnections: 0,
    tlsConnections: 0,
    skipped: [],
    fileAnomalies: [],
    keyLogRandoms: keys.size,
  };
  const file = opts.file ?? (typeof src === 'string' ? src : '<capture>');
  const provider = opts.provider ?? defaultProvider();
  const stats: CaptureStateStats = {
    connections: 0,
    peakConnections: 0,
    tcpConnections: 0,
    peakTcpConnections: 0,
    tcpTombstones: 0,
    resumptionKeys: 0,
  };
  return {
    summary,
    stats,
    [Symbol.asyncIterator]: () => run(src, opts, file, provider, keys, summary, stats)[Symbol.asyncIterator](),
  };
}

/** All transcripts of a capture, in capture order. */
export async function readCaptureTranscripts(
  src: CaptureSource,
  opts: CaptureTranscriptOptions = {},
): Promise<CaptureTranscript[]> {
  const out: CaptureTranscript[] = [];
  for await (const t of captureToTranscripts(src, opts)) out.push(t);
  return out;
}

/** Default read-ahead (see CaptureTranscriptOptions.readAhead). */
export const READ_AHEAD = { bytes: 8 * 1024 * 1024, connections: 64 };
/** Session IDs and tickets remembered as possible originals of resumed sessions (the oldest go first). */
export const MAX_RESUMPTION_KEYS = 4096;

/** A resumption request, handled in capture order (see Linker). */
type LinkRequest =
  | { seq: number; kind: 'issue'; key: string; owner: Owner }
  | { seq: number; kind: 'find'; keys: string[]; owner: Owner; done: (hit: Owner | undefined, key: string | undefined) => void };

/** The connection behind an issued session ID or ticket (its TLS index is known once it has been yielded). */
interface Owner {
  tcpStream: number;
  tls?: number;
}

/**
 * Resumption links in capture order while connections are decrypted
 * concurrently: a connection posts "issued K" and "which earlier connection
 * issued K?" stamped with the reader position of the record that led to
 * them; requests are handled in that order, each once every record read
 * before it has been handled (`watermark`), exactly as one sequential pass
 * would. The first issuer of a key wins; at most MAX_RESUMPTION_KEYS
 * keys are remembered, the oldest dropped first.
 */
class Linker {
  private readonly issued = new Map<string, Owner>();
  private readonly requests: LinkRequest[] = [];

  get size(): number {
    return this.issued.size;
  }

  get pending(): boolean {
    return this.requests.length > 0;
  }

  post(r: LinkRequest): void {
    let i = this.requests.length;
    while (i > 0 && this.requests[i - 1]!.seq > r.seq) i--;
    this.requests.splice(i, 0, r);
  }

  /** Handle the requests whose every earlier record has been handled (`watermark`: the oldest record not yet handled). */
  run(watermark: number): void {
    while (this.requests.length > 0 && this.requests[0]!.seq <= watermark) {
      const r = this.requests.shift()!;
      if (r.kind === 'issue') {
        if (this.issued.has(r.key)) continue;
        this.issued.set(r.key, r.owner);
        if (this.issued.size > MAX_RESUMPTION_KEYS) this.issued.delete(this.issued.keys().next().value!);
        continue;
      }
      let hit: Owner | undefined;
      let key: string | undefined;
      for (const k of r.keys) {
        const o = this.issued.get(k);
        if (o && o !== r.owner) {
          hit = o;
          key = k;
          break;
        }
      }
      r.done(hit, key);
    }
  }
}

async function* run(
  src: CaptureSource,
  opts: CaptureTranscriptOptions,
  file: string,
  provider: CryptoProvider,
  keys: KeyStore,
  summary: CaptureSummary,
  stats: CaptureStateStats,
): AsyncGenerator<CaptureTranscript> {
  const re = new TcpReassembler(opts);
  const byConn = new Map<Connection, ConnTls>();
  /** Connections in capture order, until they settle. */
  const queue: ConnTls[] = [];
  /** Settled connections in capture order, until their last record is read and they are yielded. */
  const settled: ConnTls[] = [];
  /** Connections with queued events. */
  const busy = new Set<ConnTls>();
  const linker = new Linker();
  const readAhead = opts.readAhead ?? READ_AHEAD;
  /** Reader position: every event, and every key log from a DSB, gets the next number. */
  let nextSeq = 0;
  let queuedBytes = 0;
  let failure: { error: unknown } | undefined;
  /** Resolved whenever a connection finishes an event (reading waits on it when its budget is spent). */
  let progress: { promise: Promise<void>; resolve: () => void } | undefined;

  const held = (): number => queue.length + settled.length;
  const updateStats = (): void => {
    stats.connections = held();
    if (stats.connections > stats.peakConnections) stats.peakConnections = stats.connections;
    const r = re.stats;
    stats.tcpConnections = r.connections;
    stats.peakTcpConnections = r.peakConnections;
    stats.tcpTombstones = r.tombstones;
    stats.resumptionKeys = linker.size;
  };
  /** The oldest event not yet handled (Infinity when none is queued). */
  const watermark = (): number => {
    let w = Number.POSITIVE_INFINITY;
    for (const c of busy) if (c.events[0]!.seq < w) w = c.events[0]!.seq;
    return w;
  };

  const register = async (c: ConnTls): Promise<void> => {
    const f = c.decryptor.facts;
    while (c.registeredTickets < f.tickets.length) {
      const t = f.tickets[c.registeredTickets++]!;
      const via: ResumptionVia = c.decryptor.isTls13 ? 'psk' : 'ticket';
      linker.post({ seq: c.at, kind: 'issue', key: `${via === 'psk' ? 'psk' : 'ticket'}:${toHex(t)}`, owner: c.owner });
    }
    if (!c.sessionChecked && f.serverHello && f.clientHello) {
      c.sessionChecked = true;
      const ch = f.clientHello;
      const sh = f.serverHello;
      const find = (keys: string[]): Promise<{ hit: Owner | undefined; key: string | undefined }> =>
        new Promise((resolve) => {
          linker.post({ seq: c.at, kind: 'find', keys, owner: c.owner, done: (hit, key) => resolve({ hit, key }) });
          linker.run(watermark());
        });
      if (c.decryptor.isTls13) {
        const id = selectedPskIdentity(ch, sh);
        if (id) {
          const { hit } = await find([`psk:${toHex(id)}`]);
          if (hit) c.candidate = { owner: hit, via: 'psk' };
          else
            c.notes.push(`the ServerHello selects PSK identity ${toHex(id.subarray(0, 8))}… not issued earlier in this capture`);
        }
        return;
      }
      const ticket = offeredTicket(ch);
      const echoed = ch.sessionId.length > 0 && toHex(ch.sessionId) === toHex(sh.sessionId);
      const wanted = [...(ticket ? [`ticket:${toHex(ticket)}`] : []), ...(echoed ? [`session_id:${toHex(sh.sessionId)}`] : [])];
      if (wanted.length) {
        const { hit, key } = await find(wanted);
        if (hit) c.candidate = { owner: hit, via: key!.startsWith('ticket:') ? 'ticket' : 'session_id' };
      }
      if (!echoed && sh.sessionId.length > 0)
        linker.post({ seq: c.at, kind: 'issue', key: `session_id:${toHex(sh.sessionId)}`, owner: c.owner });
    }
  };

  const feedRecord = async (c: ConnTls, side: Dir, raw: Uint8Array, offset: number): Promise<void> => {
    const feed = c.feeds[side];
    const dir = c.toDir[side];
    const frame = frameAt(feed.spans, offset + raw.length - 1);
    const o = await openRecord(c.decryptor, dir, raw, frame);
    if (o.protected) c.protectedRecords++;
    if (o.decrypted) c.decrypted++;
    if (o.unreadable !== undefined) noteProblem(c.problems, dir, frame, o.unreadable);
    const input = o.input;
    feed.records++;
    try {
      c.builder.addRecord(input);
      c.recordCount++;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      feed.stopped = true;
      c.builder.addGap({ dir, reason: `frame ${frame ?? '?'}: ${e.message}; the rest of the ${dir} stream is not read` });
    } finally {
      c.decryptor.decoded.length = 0;
    }
    await register(c);
  };

  const feedData = async (c: ConnTls, side: Dir, offset: number, bytes: Uint8Array, frame: number): Promise<void> => {
    const feed = c.feeds[side];
    if (feed.stopped) return;
    feed.spans.push({ offset, length: bytes.length, frame });
    feed.bytes += bytes.length;
    for (const r of feed.rs.push(bytes)) {
      if (feed.stopped) break;
      await feedRecord(c, side, r.raw, r.offset);
    }
    const keepFrom = feed.rs.offset;
    while (feed.spans.length > 0 && feed.spans[0]!.offset + feed.spans[0]!.length <= keepFrom) feed.spans.shift();
  };

  /** Decide TLS or not from a direction's first bytes; feed what was held back. */
  const decide = async (c: ConnTls, side: Dir, atEnd: boolean): Promise<void> => {
    const first = c.feeds[side].pre;
    const head = concatBytes(first.map((p) => p.bytes)).subarray(0, 6);
    const total = first.reduce((n, p) => n + p.bytes.length, 0);
    if (total < 6 && !atEnd) return;
    if (!looksLikeTls(head.subarray(0, 5))) {
      c.state = 'other';
      c.skipReason = `not TLS: the ${side} stream starts with ${toHex(head.subarray(0, 8))}`;
      return;
    }
    c.state = 'tls';
    if (c.conn.roleBasis === 'port' || c.conn.roleBasis === 'first-sender') {
      const hsType = head[0] === ContentType.handshake ? head[5] : undefined;
      const swap = (hsType === 1 && side === 'server') || (hsType === 2 && side === 'client');
      if (swap) {
        c.toDir.client = 'S->C';
        c.toDir.server = 'C->S';
        c.notes.push(`TCP roles were guessed (${c.conn.roleBasis}); the TLS hellos show the other side is the client`);
      }
    }
    for (const s of ['client', 'server'] as const) {
      const held = c.feeds[s].pre;
      c.feeds[s].pre = [];
      const startGap = c.feeds[s].startsWithGap;
      if (startGap !== undefined) stopDir(c, s, startGap);
      for (const p of held) await feedData(c, s, p.offset, p.bytes, p.frame);
      const later = c.feeds[s].gapAfterPre;
      if (later !== undefined) stopDir(c, s, later);
    }
  };

  const stopDir = (c: ConnTls, side: Dir, why: string): void => {
    const feed = c.feeds[side];
    if (feed.stopped) return;
    feed.stopped = true;
    const dir = c.toDir[side];
    const partial = feed.rs.buffered > 0 ? ` (${feed.rs.buffered} byte(s) of a partial record before it dropped)` : '';
    c.builder.addGap({
      dir,
      reason: `${why}${partial}; the rest of the ${dir} stream is not read (records cannot be re-aligned without guessing)`,
    });
  };

  /** One reassembly event of one connection (in that connection's order, see pump). */
  const handle = async (c: ConnTls, ev: ConnEvent): Promise<void> => {
    if (c.state === 'other') return;
    if (ev.type === 'anomaly') {
      if (c.notes.length < 50) c.notes.push(`frame ${ev.anomaly.frame}: ${ev.anomaly.detail}`);
      return;
    }
    if (ev.type === 'gap') {
      if (c.state === 'unknown') {
        const feed = c.feeds[ev.gap.dir];
        if (feed.pre.length === 0) feed.startsWithGap ??= ev.gap.detail;
        else feed.gapAfterPre ??= ev.gap.detail;
        return;
      }
      stopDir(c, ev.gap.dir, ev.gap.detail);
      return;
    }
    if (c.state === 'unknown') {
      const feed = c.feeds[ev.dir];
      if (feed.startsWithGap !== undefined || feed.gapAfterPre !== undefined) return;
      feed.pre.push({ bytes: ev.bytes, frame: ev.frame, offset: ev.offset });
      await decide(c, ev.dir, false);
      return;
    }
    await feedData(c, ev.dir, ev.offset, ev.bytes, ev.frame);
  };

  /** Handle a connection's queued events in order; several connections do so at once. */
  const pump = async (c: ConnTls): Promise<void> => {
    while (c.events.length > 0) {
      const e = c.events[0]!;
      c.at = e.seq;
      c.decryptor.asOf = e.seq;
      await handle(c, e.ev);
      c.events.shift();
      if (e.ev.type === 'data') queuedBytes -= e.ev.bytes.length;
      if (c.events.length === 0) busy.delete(c);
      if (linker.pending) linker.run(watermark());
      if (progress) {
        progress.resolve();
        progress = undefined;
      }
    }
  };

  const startPump = (c: ConnTls): void => {
    c.pumping = pump(c)
      .catch((error: unknown) => {
        failure ??= { error };
        c.events.length = 0;
        busy.delete(c);
        progress?.resolve();
      })
      .finally(() => {
        c.pumping = undefined;
      });
  };

  /** Route an event of the reassembler: a new connection, or an event queued for its connection. */
  const route = (ev: ReassemblyEvent): void => {
    if (ev.type === 'open') {
      const c = new ConnTls(ev.conn, file, provider, keys);
      byConn.set(ev.conn, c);
      queue.push(c);
      summary.tcpConnections++;
      return;
    }
    const c = byConn.get(ev.conn);
    if (!c) return;
    c.events.push({ ev, seq: nextSeq++ });
    if (ev.type === 'data') queuedBytes += ev.bytes.length;
    busy.add(c);
    if (!c.pumping) startPump(c);
  };

  const waitForProgress = async (): Promise<void> => {
    progress ??= (() => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      return { promise, resolve };
    })();
    await progress.promise;
  };

  const finalize = async (c: ConnTls): Promise<CaptureTranscript | undefined> => {
    c.at = c.asOf;
    c.decryptor.asOf = c.asOf;
    if (c.state === 'unknown') {
      const side: Dir | undefined = c.feeds.client.pre.length ? 'client' : c.feeds.server.pre.length ? 'server' : undefined;
      if (side) await decide(c, side, true);
      else {
        c.state = 'other';
        c.skipReason =
          c.feeds.client.startsWithGap !== undefined || c.feeds.server.startsWithGap !== undefined
            ? 'the captured streams start after missing bytes'
            : 'no payload';
      }
    }
    if (c.state !== 'tls') {
      summary.skipped.push({
        tcpStream: c.tcpStream,
        client: label(c.conn.client),
        server: label(c.conn.server),
        reason: c.skipReason,
      });
      return undefined;
    }
    const index = summary.tlsConnections++;
    c.provenance.connection = index;
    c.owner.tls = index;
    for (const side of ['client', 'server'] as const) {
      const feed = c.feeds[side];
      if (!feed.stopped && feed.rs.buffered > 0) {
        c.builder.addGap({
          dir: c.toDir[side],
          reason: `${feed.rs.buffered} byte(s) of an incomplete record at the end of the ${c.toDir[side]} stream`,
        });
      }
    }
    const clientSide: Dir = c.toDir.client === 'C->S' ? 'client' : 'server';
    const serverSide: Dir = clientSide === 'client' ? 'server' : 'client';
    const extra: Parameters<TranscriptBuilder['finish']>[0] = {
      client: label(c.conn[clientSide]),
      server: label(c.conn[serverSide]),
    };
    const lines = c.decryptor.facts.clientRandoms.flatMap((cr) => keys.linesFor(cr, c.asOf));
    if (lines.length) extra.secrets = { keylog: lines };
    if (c.conn.firstTsNs !== undefined) extra.capturedAt = new Date(Number(c.conn.firstTsNs / 1_000_000n)).toISOString();
    const t = c.builder.finish(extra);
    applyProblems(t, c.problems);
    t.ends = transportEnds(c, t);
    for (const d of c.decryptor.notes) c.notes.push(d);
    const out: CaptureTranscript = {
      transcript: t,
      connection: index,
      tcpStream: c.tcpStream,
      frames: {
        first: c.conn.firstFrame,
        last: c.conn.lastFrame,
        records: { [c.toDir.client]: c.feeds.client.records, [c.toDir.server]: c.feeds.server.records } as Record<
          Direction,
          number
        >,
        bytes: { [c.toDir.client]: c.feeds.client.bytes, [c.toDir.server]: c.feeds.server.bytes } as Record<Direction, number>,
      },
      decryption: { protectedRecords: c.protectedRecords, decrypted: c.decrypted },
      notes: c.notes,
    };
    if (c.candidate) {
      const f = c.decryptor.facts;
      const abbreviated =
        c.decryptor.isTls13 ||
        (!f.types['S->C'].includes('certificate') && !f.types['S->C'].includes('server_hello_done') && f.ccs['S->C']);
      if (abbreviated)
        out.resumes = {
          connection: c.candidate.owner.tls,
          tcpStream: c.candidate.owner.tcpStream,
          via: c.candidate.via,
        };
      else
        c.notes.push(
          `offers the ${c.candidate.via === 'ticket' ? 'ticket' : 'session ID'} of TCP stream ${c.candidate.owner.tcpStream}, but the server did a full handshake`,
        );
    }
    return out;
  };

  /** Settle the connections at the head of the queue whose TCP connection settled (all: every one, at the end). */
  const settle = (all: boolean): void => {
    while (queue.length > 0 && (all || re.isSettled(queue[0]!.conn))) {
      const c = queue.shift()!;
      byConn.delete(c.conn);
      re.release(c.conn);
      // After every event read so far, before any read from now on (a DSB read next takes the next position).
      c.asOf = nextSeq - 0.5;
      settled.push(c);
    }
  };

  /** Yield the settled connections at the head whose events are all handled; wait for them when `wait`. */
  async function* ready(wait: boolean): AsyncGenerator<CaptureTranscript> {
    while (settled.length > 0) {
      const c = settled[0]!;
      if (c.pumping) {
        if (!wait) return;
        await c.pumping;
      }
      if (failure) throw failure.error;
      settled.shift();
      const t = await finalize(c);
      updateStats();
      if (t) yield t;
    }
  }

  for await (const r of readCaptureRecords(src, opts)) {
    if (failure) throw failure.error;
    if (r.type === 'secrets') {
      if (r.keyLog !== undefined) {
        try {
          keys.add(parseKeyLog(r.keyLog, { ignoreUnknownLabels: true }), nextSeq++);
        } catch (e) {
          summary.fileAnomalies.push(
            `offset ${r.offset}: key log in a Decryption Secrets Block: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        summary.keyLogRandoms = keys.size;
      }
      continue;
    }
    if (r.type === 'anomaly') {
      summary.fileAnomalies.push(`offset ${r.offset}: ${r.detail}`);
      continue;
    }
    if (r.type !== 'packet') continue;
    summary.stats.frames++;
    const f = decodeFrame(r.packet);
    if (f.kind === 'tcp') {
      summary.stats.tcp++;
      for (const ev of re.push(f.segment)) route(ev);
      if (held() > stats.peakConnections) updateStats();
      settle(false);
      if (settled.length > 0 && !settled[0]!.pumping) yield* ready(false);
      // Read ahead while earlier connections are still being decrypted, within bounds.
      while (!failure && (queuedBytes > readAhead.bytes || settled.length > readAhead.connections)) {
        if (settled.length > readAhead.connections) yield* ready(true);
        else await waitForProgress();
      }
    } else if (f.kind === 'other') summary.stats.other++;
    else if (f.kind === 'unsupported') summary.stats.unsupported.push({ frame: f.frame, detail: f.detail });
    else summary.stats.malformed.push({ frame: f.frame, detail: f.error.message });
  }
  for (const ev of re.finish()) route(ev);
  settle(true);
  yield* ready(true);
  if (failure) throw failure.error;
  updateStats();
}

/** The FINs and RSTs of a connection, each placed among the transcript's records by frame (see TransportEnd). */
function transportEnds(c: ConnTls, t: Transcript): TransportEnd[] {
  const ends: TransportEnd[] = [];
  for (const side of ['client', 'server'] as const)
    for (const [kind, frame] of [
      ['fin', c.conn.finFrame[side]],
      ['rst', c.conn.rstFrame[side]],
    ] as const) {
      if (frame === undefined) continue;
      const after = t.records.findIndex((r) => r.frame !== undefined && r.frame > frame);
      ends.push({ side: senderOf(c.toDir[side]), kind, frame, beforeRecord: after < 0 ? t.records.length : after });
    }
  return ends.sort((a, b) => a.frame! - b.frame!);
}
