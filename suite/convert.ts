/**
 * A fuzz run as the reports see it: each conversation becomes a
 * LiveConversation (the verdict, the live rules it decides through
 * oracles/live.ts liveVerdicts, the bytes its verdict rests on, the files
 * that replay it, the shrunk counterexample of a failure) and, when its
 * records were readable, a TranscriptRun holding every rule's verdicts on
 * the messages the target sent (on a mutated conversation our own messages
 * break rules on purpose: those verdicts are not the target's and are left
 * out); the run's probe, sanity handshakes and profile become the target's
 * TargetInfo.
 */
import { relative } from 'node:path';
import type { ClientFuzzResult, ClientConversationResult } from '../fuzz/client';
import type { Judged } from '../fuzz/core';
import type { Expectation } from '../fuzz/judge';
import type { SavedFiles } from '../fuzz/save';
import type { ConversationResult, FuzzResult } from '../fuzz/target';
import { suiteName } from '../fuzz/names';
import { MUTATIONS } from '../generators/mutations/catalogue';
import { alertNameOf } from '../oracles/alert-choices';
import { liveVerdicts } from '../oracles/live';
import type { Verdict } from '../oracles/rule';
import type { LiveConversation, MessageBytes, SavedLinks, TargetInfo, TranscriptRun } from '../reports/model';
import type { Transcript } from '../transcript/model';
import { describe, type JsonValue } from '../wire/describe';
import { toHex } from '../wire/hex';
import { alertDescriptions, codeOf, namedGroups, nameOf, signatureSchemes } from '../wire/registry';
import type { Direction, Side, TlsVersion } from '../wire/vocabulary';

/** How a target is named in reports and replayed on the command line. */
export interface TargetLabel {
  /** The reports' name for it: no temp paths. */
  name: string;
  /** The side the target plays. */
  role: Side;
  address: string;
  /** Options that select this target again (the replay command is `tlsprop COMMAND` these `--seed S --path P`). */
  replayArgs: string;
  /** The command that replays (default run). */
  command?: 'run' | 'fuzz';
}

/** At most this many decoded fields per message in a report. */
const MAX_FIELDS = 80;

function flatten(v: JsonValue, path: string, out: Array<{ path: string; value: string }>): void {
  if (out.length >= MAX_FIELDS) return;
  if (v !== null && typeof v === 'object') {
    const entries: Array<[string, JsonValue]> = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    if (!entries.length) out.push({ path, value: Array.isArray(v) ? '[]' : '{}' });
    for (const [k, x] of entries) flatten(x, path ? `${path}${Array.isArray(v) ? `[${k}]` : `.${k}`}` : k, out);
    return;
  }
  const text = String(v);
  out.push({ path, value: text.length > 120 ? `${text.slice(0, 117)}...` : text });
}

/** A transcript message's bytes and decoded fields (field paths as the codec names them). */
export function messageBytes(t: Transcript, index: number): MessageBytes | undefined {
  const m = t.messages[index];
  if (!m?.raw) return undefined;
  const b: MessageBytes = { index, dir: m.dir, type: m.type, hex: toHex(m.raw) };
  if (m.frame !== undefined) b.frame = m.frame;
  const fields: Array<{ path: string; value: string }> = [];
  if (m.decoded) flatten(describe(m.decoded.body), 'body', fields);
  else if (m.alert)
    fields.push({
      path: 'alert',
      value: `${m.alert.level === 2 ? 'fatal' : 'warning'} ${nameOf(alertDescriptions, m.alert.description, 2)}`,
    });
  if (fields.length) b.fields = fields;
  return b;
}

/** The message a conversation's verdict rests on: the target's first violating message, else the last one it sent. */
function verdictMessage(
  t: Transcript | undefined,
  verdicts: readonly Verdict[] | undefined,
  peer: Direction,
): MessageBytes | undefined {
  if (!t) return undefined;
  const bad = verdicts?.find((v) => v.status === 'violation' && v.message !== undefined && t.messages[v.message]?.dir === peer);
  if (bad?.message !== undefined) return messageBytes(t, bad.message);
  for (let i = t.messages.length - 1; i >= 0; i--)
    if (t.messages[i]!.dir === peer && t.messages[i]!.raw) return messageBytes(t, i);
  return undefined;
}

function links(saved: SavedFiles | undefined, reportDir: string | undefined): SavedLinks | undefined {
  if (!saved) return undefined;
  const rel = (f: string) => (reportDir ? relative(reportDir, f) : f);
  const l: SavedLinks = { pcap: rel(saved.pcap), keylog: rel(saved.keylog) };
  if (saved.json) l.json = rel(saved.json);
  return l;
}

interface ConvInfo {
  version: TlsVersion;
  expect: Expectation;
  /** What a profile matches it by. */
  subjects: string[];
}

/**
 * What our side did unlike a valid handshake, for a reader of the findings: the catalogue's description of each
 * mutation, state-machine step list or certificate fault the conversation applied (all are mutation declarations).
 */
export function sentText(subjects: readonly string[]): string | undefined {
  const parts = subjects.map((n) => MUTATIONS.find((m) => m.name === n)?.description ?? n);
  return parts.length ? parts.join('; and ') : undefined;
}

/** One judged conversation as a LiveConversation and (when readable) a TranscriptRun of the target's messages. */
function convert(
  r: Judged & { ms: number },
  conv: ConvInfo,
  label: TargetLabel,
  reportDir: string | undefined,
): { conversation: LiveConversation; transcript?: TranscriptRun } {
  const peer: Direction = label.role === 'server' ? 'S->C' : 'C->S';
  const rules = conv.expect.kind === 'reject' ? [...conv.expect.rules] : [];
  const alertCode = r.alert !== undefined ? codeOf(alertDescriptions, r.alert) : undefined;
  const alert = alertCode !== undefined ? alertNameOf(alertCode) : undefined;
  const c: LiveConversation = {
    ...r.run,
    // the side the target played, whichever driver ran it
    role: label.role,
    targetName: label.name,
    ms: r.ms,
    // the live verdicts the fuzzer decided with its judgement, when it keeps them; else decided here the same way
    verdicts:
      r.run.verdicts ??
      liveVerdicts({
        verdict: r.run.verdict,
        rules,
        version: conv.version,
        ...(alert ? { alert } : {}),
      }),
    replay: `tlsprop ${label.command ?? 'run'} ${label.replayArgs} --seed ${r.run.seed ?? '?'} --path ${r.run.path ?? '?'}`,
  };
  if (conv.subjects.length) {
    c.subjects = [...conv.subjects];
    const sent = sentText(conv.subjects);
    if (sent) c.sent = sent;
  }
  if (r.alert !== undefined) c.alert = r.alert;
  if (conv.expect.kind === 'reject') c.expectedAlerts = [...conv.expect.alerts];
  if (r.profile) c.profile = { ...r.profile };
  if (r.run.verdict !== 'conforming') {
    const b = verdictMessage(r.transcript, r.verdicts, peer);
    if (b) c.bytes = b;
  }
  const l = links(r.saved, reportDir);
  if (l) c.saved = l;
  if (!r.transcript || !r.verdicts) return { conversation: c };
  const t = r.transcript;
  const valid = conv.expect.kind === 'complete';
  const theirs = r.verdicts.filter((v) => valid || (v.message !== undefined && t.messages[v.message]?.dir === peer));
  const bytes: MessageBytes[] = [];
  for (const v of theirs)
    if (v.status === 'violation' && v.message !== undefined && !bytes.some((b) => b.index === v.message)) {
      const b = messageBytes(t, v.message);
      if (b) bytes.push(b);
    }
  const tr: TranscriptRun = {
    id: `${label.name} ${r.run.path ?? ''} ${r.run.name}`.replace(/\s+/g, ' '),
    provenance: t.provenance,
    verdicts: theirs,
    valid,
    ladder: [...r.run.ladder],
    source: label.name,
  };
  if (bytes.length) tr.bytes = bytes;
  return { conversation: c, transcript: tr };
}

export interface Converted {
  conversations: LiveConversation[];
  transcripts: TranscriptRun[];
  target: TargetInfo;
}

const groupName = (g: number) => nameOf(namedGroups, g);
const schemeName = (s: number) => nameOf(signatureSchemes, s);

/** Attach a shrunk counterexample to the conversation it was shrunk from. */
function attachShrunk(
  c: LiveConversation,
  shrunk: Judged & { ms: number },
  conv: ConvInfo,
  label: TargetLabel,
  reportDir: string | undefined,
): void {
  const s = convert(shrunk, conv, label, reportDir).conversation;
  const x: NonNullable<LiveConversation['shrunk']> = { path: s.path ?? '', name: s.name, ladder: s.ladder };
  if (s.detail !== undefined) x.detail = s.detail;
  if (s.sent !== undefined) x.sent = s.sent;
  if (s.bytes) x.bytes = s.bytes;
  if (s.saved) x.saved = s.saved;
  if (s.replay) x.replay = s.replay;
  c.shrunk = x;
}

function serverInfo(x: ConversationResult): ConvInfo {
  const c = x.conversation;
  return { version: c.version, expect: c.expect, subjects: c.subject ? c.subject.split('+') : [] };
}

function clientInfo(x: ClientConversationResult): ConvInfo {
  const c = x.conversation;
  return { version: c.version, expect: c.expect, subjects: c.mutant ? [c.mutant.name] : [] };
}

/**
 * The run-level verdicts of a check or fuzz run (rules whose evidence spans connections, oracles/across.ts) as one
 * entry of the report's transcripts, `<name> across connections`: its violations name both connections in their
 * detail; none when there are no verdicts.
 */
export function acrossRun(verdicts: readonly Verdict[], provenance: TranscriptRun['provenance'], name?: string): TranscriptRun[] {
  return verdicts.length ? [{ id: `${name ? `${name} ` : ''}across connections`, provenance, verdicts: [...verdicts] }] : [];
}

/** `tlsprop fuzz --target` / `run --target`: our client against a server. */
export function convertServerRun(r: FuzzResult, label: TargetLabel, reportDir?: string): Converted {
  const out: Converted = { conversations: [], transcripts: [], target: serverTarget(r, label) };
  const byResult = new Map<ConversationResult, LiveConversation>();
  for (const x of r.results) {
    const { conversation, transcript } = convert(x, serverInfo(x), label, reportDir);
    byResult.set(x, conversation);
    out.conversations.push(conversation);
    if (transcript) out.transcripts.push(transcript);
  }
  out.transcripts.push(...acrossRun(r.across, { kind: 'live', target: label.address ?? label.name, role: 'server' }, label.name));
  for (const f of r.failures) {
    const c = byResult.get(f.original);
    if (c && f.shrunk) attachShrunk(c, f.shrunk, serverInfo(f.shrunk), label, reportDir);
    else if (c && (f.original.saved || !c.saved)) {
      const l = links(f.original.saved, reportDir);
      if (l) c.saved = l;
    }
  }
  return out;
}

function serverTarget(r: FuzzResult, label: TargetLabel): TargetInfo {
  const p = r.profile;
  const versions = (['1.3', '1.2'] as const).filter((v) => p.suites[v].length > 0);
  const t: TargetInfo = {
    name: label.name,
    role: 'server',
    address: label.address,
    probed: {
      versions: [...versions],
      suites: [...p.suites['1.3'], ...p.suites['1.2']].map(suiteName),
      certificateRequested: p.certificateRequested,
    },
    sanity: { ...r.sanity },
    durationMs: r.ms,
    disabled: [...r.disabled],
    skipped: r.skipped.length,
  };
  if (p.groups) t.probed!.groups = p.groups.map(groupName);
  if (p.schemes) t.probed!.schemes = p.schemes.map(schemeName);
  return t;
}

/** `tlsprop fuzz --listen` / `run --client-cmd` / the Node client: our server against a client. */
export function convertClientRun(r: ClientFuzzResult, label: TargetLabel, reportDir?: string): Converted {
  const out: Converted = { conversations: [], transcripts: [], target: clientTarget(r, label) };
  const byResult = new Map<ClientConversationResult, LiveConversation>();
  for (const x of r.results) {
    const { conversation, transcript } = convert(x, clientInfo(x), label, reportDir);
    byResult.set(x, conversation);
    out.conversations.push(conversation);
    if (transcript) out.transcripts.push(transcript);
  }
  out.transcripts.push(...acrossRun(r.across, { kind: 'live', target: label.address ?? label.name, role: 'client' }, label.name));
  for (const s of r.shrunk) {
    const original = r.results.find((x) => x.run.path === s.from);
    const c = original ? byResult.get(original) : undefined;
    if (c) attachShrunk(c, s.result, clientInfo(s.result), label, reportDir);
  }
  return out;
}

function clientTarget(r: ClientFuzzResult, label: TargetLabel): TargetInfo {
  const p = r.profile;
  return {
    name: label.name,
    role: 'client',
    address: label.address,
    probed: {
      versions: [...p.versions],
      suites: [...p.suites['1.3'], ...p.suites['1.2']].map(suiteName),
      groups: p.groups.map(groupName),
    },
    sanity: { ...r.sanity },
    durationMs: r.ms,
    disabled: [...r.disabled],
    skipped: r.skipped.length,
  };
}
