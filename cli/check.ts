/**
 * `tlsprop check FILE... [--keylog FILE] [--trust CA.pem] [--at DATE] [--json]`:
 * run the rule oracles over transcript files (JSON) and captures (pcap,
 * pcapng) and print, per connection, the messages and verdicts. Exit 0
 * without violations, 1 with violations, 2 on unusable input.
 *
 * Captures are streamed: each connection is checked as soon as the capture
 * reader yields it, on worker threads (`--jobs N`, default: one per core;
 * see check-pool.ts), and printed in capture order as soon as it and every
 * connection before it are checked: `--json` writes the document one
 * connection object at a time, never the whole document as one string.
 * Only the handshake part of earlier connections is kept (as possible
 * originals of resumed sessions), at most MAX_KEPT_ORIGINALS of them.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { type RecordsOptions, transcriptFromRecords } from '../capture/records';
import { captureToTranscripts } from '../capture/tls';
import { readCaptureRecords } from '../capture/index';
import { KeyLogError, parseKeyLog } from '../crypto/keylog';
import { nodeProvider } from '../crypto/provider';
import { newCertCache } from '../pki/parse';
import { isRuleId, ruleById } from '../oracles/catalogue';
import { RunEvidence } from '../oracles/across';
import { type CheckOptions, checkTranscript } from '../oracles/evaluate';
import { type Notice, type Verdict, type VerdictCounts, emptyCounts } from '../oracles/rule';
import type { Transcript } from '../transcript/model';
import { packTranscript, unpackTranscript } from '../transcript/pack';
import type { Direction, MessageType, StepName, TlsVersion } from '../wire/vocabulary';
import { symbolOf } from '../oracles/context';
import { transcriptFromJson } from '../transcript/json';
import { DecodeError } from '../wire/errors';
import { toHex } from '../wire/hex';
import { ContentType, cipherSuiteNames, nameOf } from '../wire/registry';
import { pemBlocks } from '../pki/pem';
import { type Parsed, UsageError, option, parseArgs } from './args';
import { parsePsk } from './psk';
import { OrderedPool, defaultJobs, siblingModule } from './check-pool';
import type { Io } from './main';

export interface ConnectionOutput {
  source?: string;
  client?: string;
  server?: string;
  version?: TlsVersion;
  cipherSuite?: string;
  /**
   * The messages, named as the RFC's state machines name them: a
   * HelloRetryRequest is `hello_retry_request`, with `wireType:
   * "server_hello"` (it is a ServerHello on the wire, RFC 8446 §4.1.4).
   */
  messages: Array<{
    index: number;
    dir: Direction;
    type: StepName;
    wireType?: MessageType;
    raw?: string;
    encrypted: boolean;
    frame?: number;
  }>;
  /** What could not be read (missing key-log entries, TCP gaps, ...): the reason rules are inconclusive. */
  gaps?: string[];
  verdicts: Verdict[];
  /**
   * Informational findings (e.g. `chain-would-not-validate`): not verdicts,
   * never counted in the summary; the verdict on the party is under the rule named.
   */
  notices?: Notice[];
  summary: VerdictCounts;
}

export interface CheckOutput {
  connections: ConnectionOutput[];
  summary: VerdictCounts;
}

export interface SourcedTranscript {
  transcript: Transcript;
  /** Where it came from, e.g. `file.json` or `file.json#2`. */
  source?: string;
}

/** Check one transcript; `earlier` are the candidates for the original of a resumed session. */
export async function checkOne(
  { transcript: t, source }: SourcedTranscript,
  opts: CheckOptions,
  earlier: readonly Transcript[],
): Promise<{ output: ConnectionOutput; verdicts: Verdict[]; notices: Notice[] }> {
  const r = await checkTranscript(t, { ...opts, earlier: [...(opts.earlier ?? []), ...earlier] });
  const c: ConnectionOutput = {
    messages: t.messages.map((m) => {
      const type = symbolOf(m);
      const j: ConnectionOutput['messages'][number] = { index: m.index, dir: m.dir, type, encrypted: m.encrypted };
      if (type !== m.type) j.wireType = m.type;
      if (m.raw) j.raw = toHex(m.raw);
      if (m.frame !== undefined) j.frame = m.frame;
      return j;
    }),
    verdicts: r.verdicts.map((v) => ({ ...v })),
    summary: r.summary,
  };
  if (source !== undefined) c.source = source;
  if (t.client) c.client = t.client;
  if (t.server) c.server = t.server;
  if (r.context.version) c.version = r.context.version;
  if (r.context.suite !== undefined) c.cipherSuite = nameOf(cipherSuiteNames, r.context.suite);
  if (t.gaps.length) c.gaps = t.gaps.map((g) => g.reason);
  if (r.notices.length) c.notices = r.notices.map((n) => ({ ...n }));
  return { output: c, verdicts: r.verdicts, notices: r.notices };
}

/**
 * What a check hands back per connection: `json` (the connection object as
 * it stands in the `--json` document, indented for its place in
 * `connections`), `text` (its lines of the text output) or `objects` (the
 * output object and the verdicts, for explain and library callers).
 */
export type Render = 'json' | 'text' | 'objects';

export interface CheckedConnection {
  summary: VerdictCounts;
  /** Where the connection came from (`file.json`, `capture.pcap#3`), as its output names it. */
  source?: string;
  json?: string;
  text?: string;
  output?: ConnectionOutput;
  verdicts?: Verdict[];
}

export function renderChecked(output: ConnectionOutput, verdicts: Verdict[], render: Render): CheckedConnection {
  const source = output.source !== undefined ? { source: output.source } : {};
  if (render === 'json') return { summary: output.summary, json: indentedJson(output), ...source };
  if (render === 'text') return { summary: output.summary, text: connectionLines(output).join('\n'), ...source };
  return { summary: output.summary, output, verdicts, ...source };
}

/**
 * The connection object as it stands in `JSON.stringify({ connections }, null, 2)`:
 * its own `JSON.stringify(output, null, 2)` with every line indented by four
 * more spaces. Made in one native call: nested twice in arrays, the object is
 * rendered at that depth, and the arrays' brackets ("[\n  [\n" and "\n  ]\n]")
 * are cut off (no second pass over the text to indent it).
 */
export function indentedJson(output: ConnectionOutput): string {
  const s = JSON.stringify([[output]], null, 2);
  return s.slice(6, s.length - 6);
}

/** One connection of a capture to check: the transcript and the original of its resumed session, if kept. */
export interface CheckJob {
  transcript: Transcript;
  source: string;
  original?: Transcript;
}

/**
 * A job as posted to a worker: its transcripts packed (transcript/pack.ts: the bytes in one transferred buffer each,
 * the decoded messages left out and decoded again by the worker, `unpackJob`).
 */
export function packJob(job: CheckJob): { data: CheckJob; transfer: ArrayBuffer[] } {
  const t = packTranscript(job.transcript);
  const data: CheckJob = { transcript: t.transcript, source: job.source };
  const transfer = [t.buffer];
  if (job.original) {
    const o = packTranscript(job.original);
    data.original = o.transcript;
    transfer.push(o.buffer);
  }
  return { data, transfer };
}

/** A job posted by `packJob`, as the worker received it. */
export function unpackJob(job: CheckJob): CheckJob {
  unpackTranscript(job.transcript);
  if (job.original) unpackTranscript(job.original);
  return job;
}

/** What a check worker gets once (workerData.init): the options that can cross threads, and the rendering. */
export interface CheckWorkerInit {
  /** Every check option but the rule subset (functions) and this thread's provider and caches; a worker makes its own (runWide). */
  options: Omit<CheckOptions, 'rules' | 'certCache' | 'provider'>;
  render: Render;
}

/**
 * The options of a whole run on one thread: what the connections it checks
 * share: one crypto provider (its key store imports each key once) and one
 * bounded certificate cache (each certificate parsed once), since keys and
 * certificates repeat across connections. Each worker thread makes its own.
 */
export function runWide<T extends CheckOptions>(opts: T): T {
  return {
    ...opts,
    certCache: opts.certCache ?? newCertCache(MAX_CACHED_CERTIFICATES),
    provider: opts.provider ?? nodeProvider(),
  };
}

/** Run one job (on a worker or on this thread) with run-wide options (runWide). */
export async function runCheckJob(job: CheckJob, opts: CheckOptions, render: Render): Promise<CheckedConnection> {
  const { output, verdicts } = await checkOne(
    { transcript: job.transcript, source: job.source },
    opts,
    job.original ? [job.original] : [],
  );
  return renderChecked(output, verdicts, render);
}

/** The handshake part of a transcript: what a later resumed connection needs of it. */
function handshakeOnly(t: Transcript): Transcript {
  return {
    ...t,
    records: t.records.filter((r) => (r.plaintext?.contentType ?? r.contentType) !== ContentType.application_data),
    messages: t.messages.filter((m) => m.kind !== 'application_data'),
  };
}

const CAPTURE_MAGICS = new Set(['a1b2c3d4', 'd4c3b2a1', 'a1b23c4d', '4d3cb2a1', 'a1b2cd34', '34cdb2a1', '0a0d0d0a']);

/** A pcap or pcapng file, judged by its first four bytes. */
export function isCaptureFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && CAPTURE_MAGICS.has(head.toString('hex'));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface CaptureCheckOptions extends CheckOptions {
  /** NSS key-log text (besides any embedded in a pcapng). */
  keylog?: string;
  /** Checks in parallel on worker threads (default: one per core; 1: this thread only). */
  jobs?: number;
  /** Connections checked on this thread before workers start (default WORKER_THRESHOLD). */
  workerThreshold?: number;
}

export type OnConnection = (c: ConnectionOutput, verdicts: Verdict[], t: Transcript) => void;
/** Per connection, in order: what was asked for (Render) and the transcript. */
export type OnChecked = (c: CheckedConnection, t: Transcript) => void;

/** How many earlier handshakes a capture check keeps as possible originals of resumed sessions. */
export const MAX_KEPT_ORIGINALS = 256;
/** Checks at once per worker thread (and on the main thread): their crypto awaits overlap. */
export const CHECKS_PER_THREAD = 4;
/**
 * Connections checked on the main thread before worker threads are started:
 * a worker costs about a second of CPU to start (it loads the oracles and
 * the certificate library), the price of checking some 100 connections, so
 * a small capture never starts them; meanwhile the main thread checks.
 */
export const WORKER_THRESHOLD = 64;

/**
 * Stream the transcripts of a capture through the oracles, calling `each`
 * per connection in capture order as soon as it is checked (see the
 * header). Memory stays bounded: of earlier connections only the handshakes
 * that a later one resumes are needed (the capture reader links them), and
 * at most MAX_KEPT_ORIGINALS are kept (each sent along with the job of the
 * connection that resumes it, whichever thread checks it); a resumption of
 * an evicted one is checked without it (inconclusive). The capture reader
 * reads, reassembles and decrypts ahead while the checks run.
 */
export async function checkCaptureRendered(
  file: string,
  opts: CaptureCheckOptions,
  render: Render,
  each: OnChecked,
): Promise<CheckRunStats> {
  const kept = new Map<number, Transcript>();
  opts = runWide(opts);
  const provider = opts.provider ?? nodeProvider();
  const src =
    opts.keylog !== undefined
      ? captureToTranscripts(file, { file, keylog: opts.keylog, provider })
      : captureToTranscripts(file, { file, provider });
  // Functions (a rule subset) cannot cross threads: such a run stays on this one.
  const jobs = opts.rules ? 1 : Math.max(1, opts.jobs ?? defaultJobs());
  // What is not a check option stays here (a worker gets every check option that can cross threads).
  const {
    rules: _rules,
    certCache: _cache,
    provider: _provider,
    keylog: _keylog,
    jobs: _jobs,
    workerThreshold: _threshold,
    ...options
  } = opts;
  const init: CheckWorkerInit = { options, render };
  const pool = new OrderedPool<CheckJob, CheckedConnection>({
    workers: jobs > 1 ? jobs : 0,
    concurrency: CHECKS_PER_THREAD,
    threshold: opts.workerThreshold ?? WORKER_THRESHOLD,
    inline: (job) => runCheckJob(job, opts, render),
    message: packJob,
    workerModule: siblingModule('check-worker'),
    init,
    onResult: (r, job) => each(r, job.transcript),
  });
  try {
    for await (const ct of src) {
      const job: CheckJob = { transcript: ct.transcript, source: `${file}#${ct.connection + 1}` };
      const original = ct.resumes?.connection !== undefined ? kept.get(ct.resumes.connection) : undefined;
      if (original) job.original = original;
      if (issuesResumption(ct.transcript)) {
        kept.set(ct.connection, handshakeOnly(ct.transcript));
        if (kept.size > MAX_KEPT_ORIGINALS) kept.delete(kept.keys().next().value!);
      }
      await pool.push(job);
    }
    await pool.drain();
    return { workers: pool.started };
  } finally {
    await pool.close();
  }
}

/** How a check ran: worker threads started (0: everything on this thread). */
export interface CheckRunStats {
  workers: number;
}

/** Parsed certificates kept per thread (least recently used ones are dropped beyond it). */
export const MAX_CACHED_CERTIFICATES = 1024;

/** A connection that a later one could resume: a session ID or a ticket was issued. */
function issuesResumption(t: Transcript): boolean {
  return t.messages.some((m) => {
    const b = m.decoded?.body;
    return b?.type === 'new_session_ticket' || (b?.type === 'server_hello' && b.sessionId.length > 0);
  });
}

/**
 * Any mix of transcript JSON files and captures, in order, each connection
 * handed to `each` as soon as it and those before it are checked. Errors
 * that make an input unusable are found before anything is handed on where
 * they can be: every transcript file is read, and every capture's header
 * and key log parsed, first.
 */
export async function checkFilesRendered(
  files: readonly string[],
  opts: CaptureCheckOptions,
  render: Render,
  each: OnChecked,
): Promise<CheckRunStats> {
  opts = runWide(opts);
  const stats: CheckRunStats = { workers: 0 };
  const inputs: Array<{ file: string; capture: true } | { file: string; capture: false; transcripts: SourcedTranscript[] }> = [];
  for (const file of files) {
    if (isCaptureFile(file)) {
      await usableCapture(file, async () => {
        for await (const _ of readCaptureRecords(file)) break;
        if (opts.keylog !== undefined) parseKeyLog(opts.keylog, { ignoreUnknownLabels: true });
      });
      inputs.push({ file, capture: true });
    } else inputs.push({ file, capture: false, transcripts: readTranscriptFiles([file]) });
  }
  for (const input of inputs) {
    if (input.capture) {
      await usableCapture(input.file, async () => {
        const r = await checkCaptureRendered(input.file, opts, render, each);
        stats.workers = Math.max(stats.workers, r.workers);
      });
      continue;
    }
    const earlier: Transcript[] = [];
    for (const read of input.transcripts) {
      const st = { ...read, transcript: await decryptLikeCapture(read.transcript, opts.keylog) };
      const { output, verdicts } = await checkOne(st, opts, earlier);
      earlier.push(st.transcript);
      each(renderChecked(output, verdicts, render), st.transcript);
    }
  }
  return stats;
}

/** Run `f` over a capture, turning a bad capture or key log into a usage error. */
async function usableCapture(file: string, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (e instanceof KeyLogError) throw new UsageError(`the key log is not usable: ${e.message}`);
    if (e instanceof DecodeError) throw new UsageError(`${file} is not a usable capture: ${e.message}`);
    throw e;
  }
}

/** checkFilesRendered with the output objects and verdicts (explain, library callers). */
export async function checkFiles(
  files: readonly string[],
  opts: CaptureCheckOptions,
  each: OnConnection,
): Promise<CheckRunStats> {
  return await checkFilesRendered(files, opts, 'objects', (c, t) => each(c.output!, c.verdicts!, t));
}

/**
 * A transcript read from JSON with records, decrypted the way a capture is
 * when a key log is at hand (`--keylog`, and the file's own secrets): its
 * records go through the capture layer's decryptor (capture/records.ts), so
 * the same bytes give the same transcript as a pcap. Without a key log, or
 * without records (a hand-written message list), it is returned as read.
 */
export async function decryptLikeCapture(t: Transcript, keylog: string | undefined): Promise<Transcript> {
  const lines = [...(keylog ? [keylog] : []), ...(t.secrets?.keylog ?? [])];
  if (!t.records.length || !lines.length) return t;
  const extra: NonNullable<RecordsOptions['extra']> = {};
  if (t.client) extra.client = t.client;
  if (t.server) extra.server = t.server;
  if (t.capturedAt) extra.capturedAt = t.capturedAt;
  if (t.secrets) extra.secrets = t.secrets;
  if (t.ends) extra.ends = t.ends;
  try {
    return await transcriptFromRecords(
      t.records.map((r) => (r.frame !== undefined ? { dir: r.dir, raw: r.raw, frame: r.frame } : { dir: r.dir, raw: r.raw })),
      { keylog: lines.join('\n'), provenance: t.provenance, extra },
    );
  } catch (e) {
    if (e instanceof KeyLogError) throw new UsageError(`the key log is not usable: ${e.message}`);
    throw e;
  }
}

/** Known file types by their first bytes, to say what a file that is not checkable is. */
const KNOWN_MAGIC: ReadonlyArray<[string, string]> = [
  ['89504e47', 'a PNG image'],
  ['ffd8ff', 'a JPEG image'],
  ['25504446', 'a PDF document'],
  ['504b0304', 'a zip archive'],
  ['1f8b', 'gzip-compressed (gunzip it first)'],
  ['7f454c46', 'an ELF executable'],
];

/** The usage error for a file that is neither a capture nor transcript JSON. */
function notCheckable(file: string, e: unknown): string {
  let head = '';
  try {
    const fd = openSync(file, 'r');
    const b = Buffer.alloc(8);
    const n = readSync(fd, b, 0, 8, 0);
    closeSync(fd);
    head = b.subarray(0, n).toString('hex');
  } catch {
    // unreadable: the JSON error says enough
  }
  const kind = KNOWN_MAGIC.find(([m]) => head.startsWith(m))?.[1];
  const starts = head ? ` (it starts with ${head.match(/../g)!.join(' ')}${kind ? `: ${kind}` : ''})` : '';
  const why = kind ? '' : `; as JSON: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  return `${file} is neither pcap, pcapng nor transcript JSON${starts}${why}`;
}

/** Read transcript JSON files: each holds one transcript object or an array of them. */
export function readTranscriptFiles(files: readonly string[]): SourcedTranscript[] {
  const out: SourcedTranscript[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new UsageError(notCheckable(file, e));
    }
    const list = Array.isArray(value) ? value : [value];
    list.forEach((v, i) => {
      try {
        out.push({ transcript: transcriptFromJson(v, file), source: list.length > 1 ? `${file}#${i}` : file });
      } catch (e) {
        if (e instanceof DecodeError)
          throw new UsageError(
            `${file}${list.length > 1 ? `#${i}` : ''} is not a usable transcript: ${e.path ? `${e.path}: ` : ''}${e.detail}`,
          );
        throw e;
      }
    });
  }
  return out;
}

function summaryLine(s: VerdictCounts): string {
  return `${s.violation} violation(s), ${s.inconclusive} inconclusive, ${s.pass} pass, ${s['not-applicable']} not applicable`;
}

function noticeLine(n: number): string {
  return n ? `, ${n} notice(s)` : '';
}

/** One connection's lines of the text output. */
export function connectionLines(c: ConnectionOutput): string[] {
  const lines: string[] = [];
  lines.push(
    `${c.source ?? 'transcript'}: ${c.client ?? 'client'} -> ${c.server ?? 'server'}, TLS ${c.version ?? '?'}${c.cipherSuite ? `, ${c.cipherSuite}` : ''}`,
  );
  for (const m of c.messages)
    lines.push(
      `  [${m.index}] ${m.dir} ${m.type}${m.wireType ? ` (a ${m.wireType} on the wire)` : ''}${m.frame !== undefined ? ` (frame ${m.frame})` : ''}${m.encrypted ? ' (protected)' : ''}`,
    );
  for (const g of c.gaps ?? []) lines.push(`  gap: ${g}`);
  for (const n of c.notices ?? [])
    lines.push(`  NOTICE ${n.kind}${n.message !== undefined ? ` @${n.message}` : ''} (${n.rule}): ${n.detail}`);
  for (const v of c.verdicts) {
    if (v.status !== 'violation' && v.status !== 'inconclusive') continue;
    const at = v.message !== undefined ? ` @${v.message}` : '';
    const ea = [v.expected !== undefined && `expected ${v.expected}`, v.actual !== undefined && `got ${v.actual}`]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${v.status.toUpperCase()} ${v.rule}${at}: ${v.detail}${ea ? ` (${ea})` : ''}${strengthNote(v)}`);
  }
  lines.push(`  ${summaryLine(c.summary)}${noticeLine(c.notices?.length ?? 0)}`);
  return lines;
}

/**
 * A violation of a rule whose sentence is a SHOULD (NOT) says so: RFC 2119
 * §3/§4, "there may exist valid reasons in particular circumstances" to
 * differ, so the reader weighs it apart from a MUST. It is still counted as
 * a violation (the verdict kinds are four; the strength is the rule's).
 */
export function strengthNote(v: Pick<Verdict, 'rule' | 'status'>): string {
  return v.status === 'violation' && isRuleId(v.rule) && ruleById(v.rule).strength === 'SHOULD'
    ? ' [a SHOULD, not a MUST: RFC 2119 allows valid reasons to differ]'
    : '';
}

function totalLine(connections: number, s: VerdictCounts): string {
  return `total: ${connections} connection(s), ${summaryLine(s)}`;
}

/**
 * The run-level verdicts of a check (oracles/across.ts: rules whose evidence spans the connections of the inputs), in
 * text: every violation with both connections, then one line per rule.
 */
export function acrossCheckLines(verdicts: readonly Verdict[]): string[] {
  const lines = ['across connections:'];
  for (const v of verdicts) {
    const at = v.message !== undefined ? ` @${v.message}` : '';
    lines.push(`  ${v.status.toUpperCase()} ${v.rule}${at}: ${v.detail}${strengthNote(v)}`);
  }
  return lines;
}

/** The run-level verdicts compared something (not every rule not-applicable): only then are they shown. */
export function comparedAcross(verdicts: readonly Verdict[]): boolean {
  return verdicts.some((v) => v.status !== 'not-applicable');
}

/**
 * How `tlsprop check` names a connection in a run-level verdict: its source (a capture's `file#N`, a transcript file)
 * and the frame of its first message when a capture gave one.
 */
export function connectionLabel(t: Transcript, n: number, source?: string): string {
  const p = t.provenance;
  const where =
    source ??
    (p.kind === 'capture' ? `${p.file}#${p.connection + 1}` : p.kind === 'manual' && p.file ? p.file : `connection ${n + 1}`);
  const frame = t.messages[0]?.frame;
  return frame !== undefined ? `${where} (frame ${frame})` : where;
}

/**
 * The `check` output written as it comes: `--json` is exactly
 * `JSON.stringify({ connections, summary }, null, 2)`, written one
 * connection at a time (each `io.out` call is a line or a connection object,
 * so that an `io` joining its calls with newlines gets the same text);
 * nothing is written before the first connection, so an input found
 * unusable before it leaves stdout empty.
 */
export class CheckWriter {
  private readonly total = emptyCounts();
  private count = 0;
  private pending: string | undefined;

  constructor(
    private readonly io: Io,
    private readonly json: boolean,
  ) {}

  get summary(): VerdictCounts {
    return this.total;
  }

  connection(c: CheckedConnection): void {
    for (const k of Object.keys(this.total) as Array<keyof VerdictCounts>) this.total[k] += c.summary[k];
    this.count++;
    if (!this.json) {
      this.io.out(c.text!);
      return;
    }
    if (this.pending === undefined) this.io.out('{\n  "connections": [');
    else this.io.out(`${this.pending},`);
    this.pending = c.json!;
  }

  /**
   * `across`: the run-level verdicts (oracles/across.ts), after the connections (one call; JSON: `across`, before
   * `summary`), when the inputs had anything to compare (two connections with values): a single connection's output
   * is as before.
   */
  end(verdicts: readonly Verdict[] = []): void {
    const across = comparedAcross(verdicts) ? verdicts : [];
    if (!this.json) {
      if (across.length) this.io.out(acrossCheckLines(across).join('\n'));
      this.io.out(totalLine(this.count, this.total));
      return;
    }
    const summary = JSON.stringify(this.total, null, 2).replace(/\n/g, '\n  ');
    const runLevel = across.length ? `\n  "across": ${JSON.stringify(across, null, 2).replace(/\n/g, '\n  ')},` : '';
    if (this.pending === undefined) this.io.out(`{\n  "connections": [],${runLevel}\n  "summary": ${summary}\n}`);
    else this.io.out(`${this.pending}\n  ],${runLevel}\n  "summary": ${summary}\n}`);
  }
}

/** DER certificates of PEM files (`--trust ca.pem`, repeatable; a file may hold several). */
export function readTrustAnchors(files: readonly string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${f}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
    const blocks = pemBlocks(text, 'CERTIFICATE');
    if (!blocks.length) throw new UsageError(`${f} holds no PEM CERTIFICATE`);
    out.push(...blocks);
  }
  return out;
}

/** Options shared by `check` and `explain`. */
export function checkOptionsFrom(p: Parsed): CaptureCheckOptions {
  const opts: CaptureCheckOptions = {};
  const trust = p.options.get('trust');
  if (trust) opts.trustAnchors = readTrustAnchors(trust);
  const at = option(p, 'at');
  if (at !== undefined) {
    const d = new Date(at);
    if (Number.isNaN(d.getTime())) throw new UsageError(`--at needs an ISO date, got ${JSON.stringify(at)}`);
    opts.at = d;
  }
  // --psk IDENTITY:HEX (repeatable): the external PSKs no key log carries (the PSK key-schedule rules need them)
  const psks = p.options.get('psk');
  if (psks) opts.psks = psks.map(parsePsk);
  const keylog = option(p, 'keylog');
  if (keylog !== undefined) {
    try {
      opts.keylog = readFileSync(keylog, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${keylog}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  return opts;
}

export async function checkCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(args, { flags: ['json'], options: ['trust', 'at', 'keylog', 'jobs', 'report', 'psk'] });
  if (!p.positional.length) throw new UsageError('expects one or more transcript JSON files or captures');
  const opts = checkOptionsFrom(p);
  const jobs = option(p, 'jobs');
  if (jobs !== undefined) {
    if (!/^[1-9]\d*$/.test(jobs)) throw new UsageError(`--jobs needs a positive whole number, got ${JSON.stringify(jobs)}`);
    opts.jobs = Number(jobs);
  }
  const json = p.flags.has('json');
  const w = new CheckWriter(io, json);
  // the rules decided across the connections of the inputs (both parties: a capture shows both sides)
  const evidence = new RunEvidence();
  const provider = opts.provider ?? nodeProvider();
  let n = 0;
  const across = (t: Transcript, source?: string): void => {
    evidence.addTranscript(connectionLabel(t, n++, source), t, { provider });
  };
  const failed = (v: readonly Verdict[]): boolean => w.summary.violation > 0 || v.some((x) => x.status === 'violation');
  const reportDir = option(p, 'report');
  if (reportDir !== undefined) {
    // --report: the checked objects are collected for the reports, and rendered here as they come
    // loaded here only: the reports pull in the suite runner, which a check (and its worker threads) does not need
    const { CheckReport } = require('./reporting') as typeof import('./reporting');
    const report = new CheckReport('check', args, p.positional);
    await checkFiles(p.positional, opts, (c, verdicts, t) => {
      report.add(c, verdicts, t);
      across(t, c.source);
      w.connection(renderChecked(c, verdicts, json ? 'json' : 'text'));
    });
    const v = evidence.verdicts();
    if (comparedAcross(v)) report.addAcross(v);
    w.end(v);
    io.err(`reports: ${report.write(reportDir).join(', ')}`);
    return failed(v) ? 1 : 0;
  }
  await checkFilesRendered(p.positional, opts, json ? 'json' : 'text', (c, t) => {
    across(t, c.source);
    w.connection(c);
  });
  const v = evidence.verdicts();
  w.end(v);
  return failed(v) ? 1 : 0;
}
