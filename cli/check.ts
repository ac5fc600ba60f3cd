/**
 * `tlsprop check FILE... [--keylog FILE] [--trust CA.pem] [--at DATE] [--json]`:
 * run the rule oracles over transcript files (JSON) and captures (pcap,
 * pcapng) and print, per connection, the messages and verdicts. Exit 0
 * without violations, 1 with violations, 2 on unusable input.
 *
 * Captures are streamed: each connection is checked as soon as the capture
 * reader yields it, and only the handshake part of earlier connections is
 * kept (as possible originals of resumed sessions).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { captureToTranscripts } from '../capture/tls';
import { KeyLogError } from '../crypto/keylog';
import type { ParsedCertCache } from '../pki/parse';
import { type CheckOptions, checkTranscript } from '../oracles/evaluate';
import { type Verdict, type VerdictCounts, countVerdicts, emptyCounts } from '../oracles/rule';
import type { Transcript } from '../transcript/model';
import type { Direction, MessageType, TlsVersion } from '../wire/vocabulary';
import { transcriptFromJson } from '../transcript/json';
import { DecodeError } from '../wire/errors';
import { toHex } from '../wire/hex';
import { ContentType, cipherSuiteNames, nameOf } from '../wire/registry';
import { pemBlocks } from '../pki/pem';
import { type Parsed, UsageError, option, parseArgs } from './args';
import type { Io } from './main';

export interface ConnectionOutput {
  source?: string;
  client?: string;
  server?: string;
  version?: TlsVersion;
  cipherSuite?: string;
  messages: Array<{ index: number; dir: Direction; type: MessageType; raw?: string; encrypted: boolean; frame?: number }>;
  /** What could not be read (missing key-log entries, TCP gaps, ...): the reason rules are inconclusive. */
  gaps?: string[];
  verdicts: Verdict[];
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
): Promise<{ output: ConnectionOutput; verdicts: Verdict[] }> {
  const r = await checkTranscript(t, { ...opts, earlier: [...(opts.earlier ?? []), ...earlier] });
  const c: ConnectionOutput = {
    messages: t.messages.map((m) => {
      const j: ConnectionOutput['messages'][number] = { index: m.index, dir: m.dir, type: m.type, encrypted: m.encrypted };
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
  return { output: c, verdicts: r.verdicts };
}

export async function checkTranscripts(transcripts: readonly SourcedTranscript[], opts: CheckOptions = {}): Promise<CheckOutput> {
  const total = emptyCounts();
  const connections: ConnectionOutput[] = [];
  for (let i = 0; i < transcripts.length; i++) {
    const { output, verdicts } = await checkOne(
      transcripts[i]!,
      opts,
      transcripts.slice(0, i).map((x) => x.transcript),
    );
    countVerdicts(verdicts, total);
    connections.push(output);
  }
  return { connections, summary: total };
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
}

export type OnConnection = (c: ConnectionOutput, verdicts: Verdict[], t: Transcript) => void;

/**
 * Stream the transcripts of a capture through the oracles, calling `each`
 * per connection as soon as it is checked. Earlier connections are kept
 * only as handshakes, for resumption.
 */
/** How many earlier handshakes a capture check keeps as possible originals of resumed sessions. */
export const MAX_KEPT_ORIGINALS = 256;

/**
 * Stream the transcripts of a capture through the oracles, calling `each`
 * per connection as soon as it is checked. Memory stays bounded: of earlier
 * connections only the handshakes that a later one resumes are needed (the
 * capture reader links them), and at most MAX_KEPT_ORIGINALS are kept; a
 * resumption of an evicted one is checked without it (inconclusive).
 */
export async function checkCapture(file: string, opts: CaptureCheckOptions, each: OnConnection): Promise<void> {
  const kept = new Map<number, Transcript>();
  // Certificates repeat across connections: parse each once per run, within a bound.
  const certCache: ParsedCertCache = opts.certCache ?? new Map();
  opts = { ...opts, certCache };
  const src =
    opts.keylog !== undefined ? captureToTranscripts(file, { file, keylog: opts.keylog }) : captureToTranscripts(file, { file });
  for await (const ct of src) {
    const source = `${file}#${ct.connection + 1}`;
    const original = ct.resumes?.connection !== undefined ? kept.get(ct.resumes.connection) : undefined;
    const { output, verdicts } = await checkOne({ transcript: ct.transcript, source }, opts, original ? [original] : []);
    if (issuesResumption(ct.transcript)) {
      kept.set(ct.connection, handshakeOnly(ct.transcript));
      if (kept.size > MAX_KEPT_ORIGINALS) kept.delete(kept.keys().next().value!);
    }
    if (certCache.size > MAX_CACHED_CERTIFICATES) certCache.clear();
    each(output, verdicts, ct.transcript);
  }
}

const MAX_CACHED_CERTIFICATES = 1024;

/** A connection that a later one could resume: a session ID or a ticket was issued. */
function issuesResumption(t: Transcript): boolean {
  return t.messages.some((m) => {
    const b = m.decoded?.body;
    return b?.type === 'new_session_ticket' || (b?.type === 'server_hello' && b.sessionId.length > 0);
  });
}

/** Any mix of transcript JSON files and captures, in order, checked one connection at a time. */
export async function checkFiles(files: readonly string[], opts: CaptureCheckOptions, each: OnConnection): Promise<void> {
  opts = { ...opts, certCache: opts.certCache ?? new Map() };
  for (const file of files) {
    if (isCaptureFile(file)) {
      try {
        await checkCapture(file, opts, each);
      } catch (e) {
        if (e instanceof KeyLogError) throw new UsageError(`the key log is not usable: ${e.message}`);
        if (e instanceof DecodeError) throw new UsageError(`${file} is not a usable capture: ${e.message}`);
        throw e;
      }
      continue;
    }
    const earlier: Transcript[] = [];
    for (const st of readTranscriptFiles([file])) {
      const { output, verdicts } = await checkOne(st, opts, earlier);
      earlier.push(st.transcript);
      each(output, verdicts, st.transcript);
    }
  }
}

/** Read transcript JSON files: each holds one transcript object or an array of them. */
export function readTranscriptFiles(files: readonly string[]): SourcedTranscript[] {
  const out: SourcedTranscript[] = [];
  for (const file of files) {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
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

export function formatText(o: CheckOutput): string[] {
  const lines: string[] = [];
  for (const c of o.connections) {
    lines.push(
      `${c.source ?? 'transcript'}: ${c.client ?? 'client'} -> ${c.server ?? 'server'}, TLS ${c.version ?? '?'}${c.cipherSuite ? `, ${c.cipherSuite}` : ''}`,
    );
    for (const m of c.messages)
      lines.push(
        `  [${m.index}] ${m.dir} ${m.type}${m.frame !== undefined ? ` (frame ${m.frame})` : ''}${m.encrypted ? ' (protected)' : ''}`,
      );
    for (const g of c.gaps ?? []) lines.push(`  gap: ${g}`);
    for (const v of c.verdicts) {
      if (v.status !== 'violation' && v.status !== 'inconclusive') continue;
      const at = v.message !== undefined ? ` @${v.message}` : '';
      const ea =
        v.expected !== undefined || v.actual !== undefined ? ` (expected ${v.expected ?? '?'}, got ${v.actual ?? '?'})` : '';
      lines.push(`  ${v.status.toUpperCase()} ${v.rule}${at}: ${v.detail}${ea}`);
    }
    lines.push(`  ${summaryLine(c.summary)}`);
  }
  lines.push(`total: ${o.connections.length} connection(s), ${summaryLine(o.summary)}`);
  return lines;
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
  const p = parseArgs(args, { flags: ['json'], options: ['trust', 'at', 'keylog'] });
  if (!p.positional.length) throw new UsageError('expects one or more transcript JSON files or captures');
  const opts = checkOptionsFrom(p);
  const out: CheckOutput = { connections: [], summary: emptyCounts() };
  await checkFiles(p.positional, opts, (c, verdicts) => {
    countVerdicts(verdicts, out.summary);
    out.connections.push(c);
  });
  if (p.flags.has('json')) io.out(JSON.stringify(out, null, 2));
  else for (const l of formatText(out)) io.out(l);
  return out.summary.violation > 0 ? 1 : 0;
}
