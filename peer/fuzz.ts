/**
 * Live fuzzing: our client against a TLS server at host:port. A sanity
 * handshake first and last (a target that died mid-run is noticed), a short
 * probe of what the target accepts (TLS 1.2 / 1.3, a few suites, whether it
 * asks for a client certificate), then `count` conversations sampled with
 * fast-check from the seed: valid handshakes and client-side mutants. Each
 * is classified (peer/conversation.ts), and every transcript also goes
 * through the oracles: a rule violated by a message the target sent flags
 * the conversation.
 */
import fc from 'fast-check';
import { nodeProvider } from '../crypto';
import { TlsClient } from '../engine/client';
import type { Identity } from '../engine/config';
import type { TestPki } from '../engine/fixtures';
import { runClientOverSocket } from '../engine/socket';
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import { BASE_NAMES, BASES, type BaseName, type MutationOperator } from '../generators/mutations';
import { checkTranscript } from '../oracles/engine';
import type { ConversationRun } from '../reports/model';
import type { Transcript } from '../transcript/model';
import { NamedGroup } from '../wire/registry';
import {
  type ClientBase,
  type Conversation,
  allowedAlerts,
  classifyEnd,
  clientConfig,
  firingHooks,
  type LiveVersion,
  liveOperators,
  mutantHooks,
  needsOf,
  type Strictness,
} from './conversation';
import { describeEnd, flowLines, transcriptOfRun } from './live';
import { suiteName } from './peers';

export const PROBE_SUITES: Readonly<Record<LiveVersion, readonly number[]>> = {
  '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256, CipherSuite13.TLS_AES_256_GCM_SHA384, CipherSuite13.TLS_CHACHA20_POLY1305_SHA256],
  '1.2': [
    CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256,
  ],
};
const ECDHE_12 = new Set<number>(PROBE_SUITES['1.2'].filter((s) => s !== CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256));
const APP_DATA = new TextEncoder().encode('tlsprop fuzz\n');

export interface TargetProfile {
  suites: Record<LiveVersion, number[]>;
  /** The target sent a CertificateRequest. */
  certificateRequested: boolean;
}

export interface FuzzOptions {
  host: string;
  port: number;
  seed: number;
  count: number;
  strictness: Strictness;
  onProgress?: (line: string) => void;
  /** Our client certificate, for targets that ask for one (mutants of CertificateVerify need it). */
  identity?: Identity;
  /** DER trust anchors: our client validates the target's chain, and the certificate rules use them. */
  trustAnchors?: Uint8Array[];
  serverName?: string;
  /** For operators that need a test PKI to build their environment (default: engine/fixtures testPki()). */
  pki: TestPki;
  readTimeoutMs?: number;
  totalTimeoutMs?: number;
  /** Restrict the mutants to these operators (default: every live client-side operator). */
  operators?: readonly string[];
}

export interface ConversationResult {
  run: ConversationRun;
  conversation: Conversation;
  /** Alert the target sent (name), if any. */
  alert?: string;
  /** Violations of rules by messages the target sent. */
  targetViolations: string[];
  ms: number;
}

export interface FuzzResult {
  target: string;
  profile: TargetProfile;
  sanity: { first: boolean; last: boolean };
  results: ConversationResult[];
  /** Conversations whose mutation did not fire (they prove nothing and are not counted). */
  skipped: string[];
  ms: number;
}

interface Outcome {
  result: ConversationResult;
  fired: boolean;
  transcript?: Transcript;
}

async function runConversation(o: FuzzOptions, conv: Conversation): Promise<Outcome> {
  const t0 = Date.now();
  const target = `${o.host}:${o.port}`;
  const wrapped = conv.hooks ? firingHooks(conv.hooks) : undefined;
  const config = wrapped ? { ...conv.client, hooks: wrapped.hooks } : conv.client;
  const client = new TlsClient(config);
  const run = await runClientOverSocket(client, o.host, o.port, { readTimeoutMs: conv.readTimeoutMs, totalTimeoutMs: conv.totalTimeoutMs, appData: APP_DATA });
  const c = classifyEnd(conv.expect, run.end, o.strictness);
  let transcript: Transcript | undefined;
  let ladder: string[];
  let targetViolations: string[] = [];
  try {
    transcript = (await transcriptOfRun(run, client, 'client', target, config.provider)).transcript;
    ladder = flowLines(transcript);
  } catch (e) {
    // e.g. a mutant that leaves the target's records unreadable to the transcript builder: keep the raw record ladder
    ladder = [...run.records.map((r) => `${r.dir === 'sent' ? 'C->S' : 'S->C'}: record type ${r.raw[0] ?? '?'} (${r.raw.length} bytes)`), `-- transcript not built: ${e instanceof Error ? e.message : String(e)}`];
  }
  if (transcript) {
    const t = transcript;
    const { verdicts } = await checkTranscript(t, o.trustAnchors ? { trustAnchors: o.trustAnchors } : {});
    targetViolations = verdicts.filter((v) => v.status === 'violation' && v.message !== undefined && t.messages[v.message]?.dir === 'S->C').map((v) => `${v.rule} @${v.message}: ${v.detail}`);
  }
  let verdict = c.verdict;
  let detail = c.detail;
  let rule = conv.expect.kind === 'reject' ? conv.expect.rules[0] : undefined;
  if (verdict === 'conforming' && targetViolations.length) {
    verdict = 'flagged';
    detail = `target's messages violate ${targetViolations[0]}`;
    rule = targetViolations[0]!.split(' ')[0];
  }
  ladder.push(`-- ${describeEnd(run.end)}`);
  const cr: ConversationRun = { target, role: 'client', name: conv.name, verdict, detail, ladder, seed: conv.seed, path: conv.path };
  if (rule !== undefined && verdict !== 'conforming') cr.rule = rule;
  const result: ConversationResult = { run: cr, conversation: conv, targetViolations, ms: Date.now() - t0 };
  if (c.alert !== undefined) result.alert = c.alert;
  return { result, fired: wrapped ? wrapped.fired() : true, transcript };
}

function baseOf(o: FuzzOptions): ClientBase {
  const b: ClientBase = { provider: nodeProvider() };
  if (o.serverName !== undefined) b.serverName = o.serverName;
  if (o.identity) b.identity = o.identity;
  if (o.trustAnchors) b.trustAnchors = o.trustAnchors;
  return b;
}

function validConversation(o: FuzzOptions, version: LiveVersion, suite: number, group: number, random: Uint8Array, compat: boolean, name: string, path: string, onlyGroup = false): Conversation {
  return {
    name,
    version,
    suite,
    group,
    client: clientConfig(baseOf(o), version, suite, group, random, compat, onlyGroup),
    expect: { kind: 'complete' },
    readTimeoutMs: o.readTimeoutMs ?? 3000,
    totalTimeoutMs: o.totalTimeoutMs ?? 10_000,
    seed: o.seed,
    path,
  };
}

const RANDOM0 = new Uint8Array(32).fill(7);

/** Which versions and suites the target accepts, and whether it asks for a client certificate. */
export async function probeTarget(o: FuzzOptions): Promise<TargetProfile> {
  const profile: TargetProfile = { suites: { '1.2': [], '1.3': [] }, certificateRequested: false };
  for (const v of ['1.3', '1.2'] as const) {
    for (const s of PROBE_SUITES[v]) {
      const { result, transcript } = await runConversation(o, validConversation(o, v, s, NamedGroup.x25519, RANDOM0, true, `probe ${v} ${suiteName(s)}`, 'probe'));
      if (result.run.verdict === 'conforming' || result.run.verdict === 'flagged') profile.suites[v].push(s);
      if (transcript?.messages.some((m) => m.dir === 'S->C' && m.type === 'certificate_request')) profile.certificateRequested = true;
    }
  }
  return profile;
}

interface Pick {
  opIndex: number;
  suiteIndex: number;
  versionBit: boolean;
  random: Uint8Array;
  compat: boolean;
  groupIndex: number;
}

const pickArb: fc.Arbitrary<Pick> = fc.record({
  opIndex: fc.nat(1000),
  suiteIndex: fc.nat(1000),
  versionBit: fc.boolean(),
  random: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  compat: fc.boolean(),
  groupIndex: fc.nat(2),
});
const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

/** Operators the target can be fuzzed with, given its profile and our identity. */
export function applicableOperators(profile: TargetProfile, haveIdentity: boolean, only?: readonly string[]): MutationOperator[] {
  return liveOperators().filter((op) => {
    if (only && !only.includes(op.name)) return false;
    const n = needsOf(op);
    const suites = profile.suites[n.version].filter((s) => n.version === '1.3' || !n.ecdhe || ECDHE_12.has(s));
    if (!suites.length) return false;
    if (n.clientCert && !(profile.certificateRequested && haveIdentity)) return false;
    return true;
  });
}

function baseNameFor(op: MutationOperator, version: LiveVersion): BaseName {
  return BASE_NAMES.find((b) => op.bases.includes(b) && BASES[b].version === version) ?? op.bases[0]!;
}

/** The conversations of a run (deterministic in seed, count and the target's profile). */
export async function planConversations(o: FuzzOptions, profile: TargetProfile): Promise<Conversation[]> {
  const picks = fc.sample(pickArb, { seed: o.seed, numRuns: o.count });
  const ops = applicableOperators(profile, o.identity !== undefined, o.operators);
  const versions = (['1.2', '1.3'] as const).filter((v) => profile.suites[v].length);
  const out: Conversation[] = [];
  for (let i = 0; i < picks.length; i++) {
    const p = picks[i]!;
    const path = `${o.seed}:${i}`;
    const op = i % 3 === 0 || !ops.length ? undefined : ops[p.opIndex % ops.length];
    if (!op) {
      const v = versions[p.versionBit ? 1 % versions.length : 0]!;
      const suites = profile.suites[v];
      const suite = suites[p.suiteIndex % suites.length]!;
      const group = GROUPS[p.groupIndex]!;
      out.push(validConversation(o, v, suite, group, p.random, p.compat, `valid ${v} ${suiteName(suite)}`, path));
      continue;
    }
    const n = needsOf(op);
    const suites = profile.suites[n.version].filter((s) => n.version === '1.3' || !n.ecdhe || ECDHE_12.has(s));
    const suite = suites[p.suiteIndex % suites.length]!;
    const group = n.group ?? GROUPS[p.groupIndex]!;
    const conv = validConversation(o, n.version, suite, group, p.random, p.compat, `${op.name} ${suiteName(suite)}`, path, n.group !== undefined);
    conv.operator = op.name;
    conv.hooks = await mutantHooks(op, o.pki, conv.client, { base: baseNameFor(op, n.version), suiteIndex: 0, group, compat: p.compat, clientRandom: p.random, serverRandom: RANDOM0, seed: o.seed });
    conv.expect = { kind: 'reject', rules: op.declares, alerts: allowedAlerts(op.declares) };
    out.push(conv);
  }
  return out;
}

async function sanity(o: FuzzOptions, profile: TargetProfile | undefined, label: string): Promise<boolean> {
  const v: LiveVersion = profile && !profile.suites['1.3'].length && profile.suites['1.2'].length ? '1.2' : '1.3';
  const suite = profile?.suites[v][0] ?? CipherSuite13.TLS_AES_128_GCM_SHA256;
  const { result } = await runConversation(o, validConversation(o, v, suite, NamedGroup.x25519, RANDOM0, true, label, label));
  o.onProgress?.(`${label}: ${result.run.verdict} (${result.run.detail ?? ''})`);
  return result.run.verdict === 'conforming' || result.run.verdict === 'flagged';
}

export async function fuzzTarget(o: FuzzOptions): Promise<FuzzResult> {
  const t0 = Date.now();
  const target = `${o.host}:${o.port}`;
  const progress = o.onProgress ?? (() => undefined);
  const profile = await probeTarget(o);
  progress(`probe: TLS 1.3 [${profile.suites['1.3'].map(suiteName).join(', ')}], TLS 1.2 [${profile.suites['1.2'].map(suiteName).join(', ')}]${profile.certificateRequested ? ', asks for a client certificate' : ''}`);
  const first = (profile.suites['1.2'].length > 0 || profile.suites['1.3'].length > 0) && (await sanity(o, profile, 'sanity first'));
  const results: ConversationResult[] = [];
  const skipped: string[] = [];
  if (first) {
    const convs = await planConversations(o, profile);
    for (const [i, conv] of convs.entries()) {
      const { result, fired } = await runConversation(o, conv);
      if (!fired) {
        skipped.push(`${conv.path} ${conv.name}: mutation did not fire`);
        progress(`[${i + 1}/${convs.length}] ${conv.name}: skipped (mutation did not fire)`);
        continue;
      }
      results.push(result);
      progress(`[${i + 1}/${convs.length}] ${conv.name}: ${result.run.verdict}${result.alert ? ` (${result.alert})` : ''}`);
    }
  }
  const last = first && (await sanity(o, profile, 'sanity last'));
  return { target, profile, sanity: { first, last }, results, skipped, ms: Date.now() - t0 };
}

/** Ladder of a failing conversation, for printing. */
export function ladderText(r: ConversationRun): string[] {
  return [`${r.name} [${r.verdict}${r.rule ? ` ${r.rule}` : ''}] replay: --seed ${r.seed ?? '?'} (path ${r.path ?? '?'})`, ...(r.detail ? [`  ${r.detail}`] : []), ...r.ladder.map((l) => `  ${l}`)];
}
