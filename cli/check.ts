/**
 * `tlsprop check FILE.json... [--json]`: run the rule oracles over
 * transcript files and print, per connection, the messages and verdicts.
 * Exit 0 without violations, 1 with violations, 2 on unusable input.
 *
 * `checkTranscripts` is the reusable part: any source of transcripts
 * (JSON files here, captures later) goes through it.
 */
import { readFileSync } from 'node:fs';
import { type CheckOptions, type Summary, checkTranscript, emptySummary, summarize } from '../oracles/engine';
import type { Transcript } from '../transcript/model';
import { transcriptFromJson } from '../transcript/json';
import { DecodeError } from '../wire/errors';
import { toHex } from '../wire/hex';
import { cipherSuiteNames, nameOf } from '../wire/registry';
import { pemBlocks } from '../pki/pem';
import { UsageError, option, parseArgs } from './args';
import type { Io } from './main';

export interface ConnectionOutput {
  source?: string;
  client?: string;
  server?: string;
  version?: string;
  cipherSuite?: string;
  messages: Array<{ index: number; dir: string; type: string; raw?: string; encrypted: boolean }>;
  verdicts: Array<{ rule: string; status: string; message?: number; detail: string; expected?: string; actual?: string }>;
  summary: Summary;
}

export interface CheckOutput {
  connections: ConnectionOutput[];
  summary: Summary;
}

export interface SourcedTranscript {
  transcript: Transcript;
  /** Where it came from, e.g. `file.json` or `file.json#2`. */
  source?: string;
}

export async function checkTranscripts(transcripts: readonly SourcedTranscript[], opts: CheckOptions = {}): Promise<CheckOutput> {
  const total = emptySummary();
  const connections: ConnectionOutput[] = [];
  for (const [i, { transcript: t, source }] of transcripts.entries()) {
    // Earlier connections in the list are the candidates for the original of a resumed session.
    const r = await checkTranscript(t, { ...opts, earlier: [...(opts.earlier ?? []), ...transcripts.slice(0, i).map((x) => x.transcript)] });
    const c: ConnectionOutput = {
      messages: t.messages.map((m) => {
        const j: ConnectionOutput['messages'][number] = { index: m.index, dir: m.dir, type: m.type, encrypted: m.encrypted };
        if (m.raw) j.raw = toHex(m.raw);
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
    summarize(r.verdicts, total);
    connections.push(c);
  }
  return { connections, summary: total };
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
        if (e instanceof DecodeError) throw new UsageError(`${file}${list.length > 1 ? `#${i}` : ''} is not a usable transcript: ${e.path ? `${e.path}: ` : ''}${e.detail}`);
        throw e;
      }
    });
  }
  return out;
}

function summaryLine(s: Summary): string {
  return `${s.violation} violation(s), ${s.inconclusive} inconclusive, ${s.pass} pass, ${s['not-applicable']} not applicable`;
}

export function formatText(o: CheckOutput): string[] {
  const lines: string[] = [];
  for (const c of o.connections) {
    lines.push(`${c.source ?? 'transcript'}: ${c.client ?? 'client'} -> ${c.server ?? 'server'}, TLS ${c.version ?? '?'}${c.cipherSuite ? `, ${c.cipherSuite}` : ''}`);
    for (const m of c.messages) lines.push(`  [${m.index}] ${m.dir} ${m.type}${m.encrypted ? ' (protected)' : ''}`);
    for (const v of c.verdicts) {
      if (v.status !== 'violation' && v.status !== 'inconclusive') continue;
      const at = v.message !== undefined ? ` @${v.message}` : '';
      const ea = v.expected !== undefined || v.actual !== undefined ? ` (expected ${v.expected ?? '?'}, got ${v.actual ?? '?'})` : '';
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

export async function checkCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(args, { flags: ['json'], options: ['trust', 'at'] });
  if (!p.positional.length) throw new UsageError('expects one or more transcript JSON files');
  const opts: CheckOptions = {};
  const trust = p.options.get('trust');
  if (trust) opts.trustAnchors = readTrustAnchors(trust);
  const at = option(p, 'at');
  if (at !== undefined) {
    const d = new Date(at);
    if (Number.isNaN(d.getTime())) throw new UsageError(`--at needs an ISO date, got ${JSON.stringify(at)}`);
    opts.at = d;
  }
  const out = await checkTranscripts(readTranscriptFiles(p.positional), opts);
  if (p.flags.has('json')) io.out(JSON.stringify(out, null, 2));
  else for (const l of formatText(out)) io.out(l);
  return out.summary.violation > 0 ? 1 : 0;
}
