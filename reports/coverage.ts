/**
 * RunInput -> CoverageReport, and the merge of reports (jest shards,
 * `tlsprop report merge`). Everything is sorted so that equal inputs give
 * byte-identical reports whatever the order the data arrived in.
 */
import { type RuleId, type Verdict, emptyCounts } from '../oracles/rule';
import {
  type MachineId,
  type MachineTransition,
  type StateMachine,
  TLS12,
  TLS13,
  type TransitionRef,
  roleView,
} from '../oracles/statemachine';
import type { ConfigPoint } from '../wire/vocabulary';
import {
  CONVERSATION_VERDICTS,
  type ConversationVerdict,
  type Side,
  type StepName,
  VERDICT_STATUSES,
  type VerdictStatus,
} from '../wire/vocabulary';
import { rfcLinks } from './rfc';
import {
  type ConfigurationCoverage,
  type ConversationCount,
  type CheckedEntry,
  type ConversationEntry,
  type Finding,
  type FindingItem,
  type LiveConversation,
  type SectionScore,
  type TargetInfo,
  type TargetSummary,
  type Counterexample,
  type CoverageReport,
  type DimensionCoverage,
  type MachineCoverage,
  type MachineTable,
  type MutantRef,
  type MutationScore,
  type OperatorScore,
  REPORT_SCHEMA,
  type ReportSummary,
  type RuleCoverage,
  type RuleInfo,
  type RunInput,
  type TranscriptRun,
  type TransitionCount,
  type ValueCount,
  type ViolationRef,
} from './model';

/** Violations kept per rule (the count is always exact). */
export const VIOLATIONS_KEPT = 20;

/** Enumerated configuration dimensions and their domains (for `missing`). */
const DOMAINS: Record<string, readonly string[]> = {
  version: ['1.2', '1.3'],
  clientAuth: ['none', 'requested-sent', 'requested-empty', 'required'],
  resumption: ['none', 'session_id', 'ticket', 'psk_ke', 'psk_dhe_ke'],
  helloRetry: ['false', 'true'],
  renegotiation: ['none', 'client', 'server'],
  externalPsk: ['none', 'psk_ke', 'psk_dhe_ke'],
  earlyData: ['none', 'accepted', 'rejected'],
  postHandshakeAuth: ['false', 'true'],
};
const DIMENSIONS = [
  'version',
  'cipherSuite',
  'group',
  'signatureScheme',
  'clientSignatureScheme',
  'intermediates',
  'clientAuth',
  'resumption',
  'helloRetry',
  'renegotiation',
  'externalPsk',
  'certCompression',
  'earlyData',
  'postHandshakeAuth',
  'extensions',
] as const;

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const cmpNum = (a: number | undefined, b: number | undefined): number => (a ?? -1) - (b ?? -1);

/** `send client_hello` / `recv server_hello`: the `via` of a role machine's message transition. */
export function viaOf(action: 'send' | 'recv', type: StepName): string {
  return `${action} ${type}`;
}
export const EPSILON = 'ε';

export function transitionKey(t: TransitionRef): string {
  return `${t.from}\u0000${t.via}\u0000${t.to}`;
}

/** The four role machines of oracles/statemachine.ts as tables. */
export function machinesFromOracles(): MachineTable[] {
  const view = (m: StateMachine, role: Side, id: MachineId): MachineTable => {
    const seen = new Set<string>();
    const transitions: TransitionRef[] = [];
    for (const tr of roleView(m, role)) {
      const ref = { from: tr.from, to: tr.to, via: tr.action && tr.type ? viaOf(tr.action, tr.type) : EPSILON };
      const k = transitionKey(ref);
      if (!seen.has(k)) {
        seen.add(k);
        transitions.push(ref);
      }
    }
    return { machine: id, initial: m.initial, transitions };
  };
  return [
    view(TLS12, 'client', 't12-client'),
    view(TLS12, 'server', 't12-server'),
    view(TLS13, 'client', 't13-client'),
    view(TLS13, 'server', 't13-server'),
  ];
}

// ------------------------------------------------------------ per rule

const WORST: VerdictStatus[] = ['violation', 'inconclusive', 'pass', 'not-applicable'];
function worst(vs: readonly Verdict[]): VerdictStatus {
  return WORST[Math.min(...vs.map((v) => WORST.indexOf(v.status)))]!;
}

function emptyRule(info: RuleInfo | undefined, id: RuleId): RuleCoverage {
  const r: RuleCoverage = {
    id,
    title: info?.title ?? id,
    rfc: info ? [...info.rfc] : [],
    versions: info ? [...info.versions] : [],
    role: info?.role ?? '',
    strength: info?.strength ?? '',
    alerts: info ? info.alerts.map((a) => ({ ...a })) : [],
    evidence: info?.evidence ?? '',
    group: info?.group ?? '',
    declared: info !== undefined,
    applied: 0,
    passed: 0,
    violated: 0,
    inconclusive: 0,
    notApplicable: 0,
    validPasses: 0,
    passedByValid: false,
    mutantsDeclaring: 0,
    mutantsProving: 0,
    proven: false,
    violationCount: 0,
    violations: [],
  };
  if (info?.ignorable) r.ignorable = { ...info.ignorable };
  if (info?.spans) r.spans = info.spans;
  return r;
}

function cmpViolation(a: ViolationRef, b: ViolationRef): number {
  return cmp(a.transcript, b.transcript) || cmpNum(a.message, b.message) || cmp(a.detail, b.detail);
}

function trippedBy(m: RunInput['mutants'][number]): RuleId[] {
  const s = new Set<RuleId>(m.trippedRules ?? []);
  for (const v of m.verdicts ?? []) if (v.status === 'violation') s.add(v.rule);
  return [...s].sort(cmp);
}

// ------------------------------------------------------------ build

export function buildCoverage(input: RunInput): CoverageReport {
  const infos = new Map(input.rules.map((r) => [r.id, r]));
  const rules = new Map<RuleId, RuleCoverage>();
  const rule = (id: RuleId): RuleCoverage => {
    let r = rules.get(id);
    if (!r) {
      r = emptyRule(infos.get(id), id);
      rules.set(id, r);
    }
    return r;
  };
  for (const r of input.rules) rule(r.id);

  const verdictCounts = emptyCounts();
  const counterexamples: Counterexample[] = [];
  /** One transcript's (or live conversation's) verdicts, per rule, counted by its worst verdict. */
  const countRules = (id: string, verdicts: readonly Verdict[], valid: boolean, accepted?: string) => {
    const byRule = new Map<RuleId, Verdict[]>();
    for (const v of verdicts) {
      verdictCounts[v.status]++;
      const list = byRule.get(v.rule) ?? [];
      list.push(v);
      byRule.set(v.rule, list);
    }
    for (const [rid, vs] of byRule) {
      const r = rule(rid);
      const w = worst(vs);
      if (w !== 'not-applicable') r.applied++;
      if (w === 'pass') {
        r.passed++;
        if (valid) r.validPasses++;
      } else if (w === 'violation') r.violated++;
      else if (w === 'inconclusive') r.inconclusive++;
      else r.notApplicable++;
      for (const v of vs) {
        if (v.status !== 'violation') continue;
        r.violationCount++;
        const ref: ViolationRef = { transcript: id, detail: v.detail };
        if (accepted !== undefined) {
          ref.accepted = accepted;
          r.violationsAccepted = (r.violationsAccepted ?? 0) + 1;
        }
        if (v.message !== undefined) ref.message = v.message;
        if (v.expected !== undefined) ref.expected = v.expected;
        if (v.actual !== undefined) ref.actual = v.actual;
        r.violations.push(ref);
      }
    }
  };
  const transcriptItems: Array<{ rule: RuleId | ''; item: FindingItem }> = [];
  for (const t of input.transcripts) {
    countRules(t.id, t.verdicts, t.valid !== false);
    const violated = t.verdicts.filter((v) => v.status === 'violation');
    // a live conversation's violations are its conversation's finding (flagged); a transcript's are its own
    if (t.provenance.kind !== 'live')
      for (const v of violated) {
        const item: FindingItem = {
          id: `${t.id}${v.message !== undefined ? ` #${v.message}` : ''}`,
          target: t.source ?? t.id,
          name: t.id,
          verdict: 'violation',
          detail: v.detail,
          ladder: [...(t.ladder ?? [])],
        };
        const b = v.message !== undefined ? t.bytes?.find((x) => x.index === v.message) : undefined;
        if (b) item.bytes = b;
        if (t.provenance.kind === 'generated') {
          if (t.provenance.seed !== undefined) item.seed = t.provenance.seed;
          if (t.provenance.path !== undefined) item.path = t.provenance.path;
        }
        transcriptItems.push({ rule: v.rule, item });
      }
    if (violated.length) {
      const cx: Counterexample = {
        kind: 'transcript',
        id: t.id,
        rules: [...new Set(violated.map((v) => v.rule))].sort(cmp),
        verdict: 'violation',
        detail: violated.map((v) => `${v.rule}: ${v.detail}`).join('\n'),
        ladder: [...(t.ladder ?? [])],
        provenance: t.provenance,
      };
      if (t.provenance.kind === 'generated') {
        if (t.provenance.seed !== undefined) cx.seed = t.provenance.seed;
        if (t.provenance.path !== undefined) cx.path = t.provenance.path;
      }
      if (t.keylog?.length) cx.keylog = [...t.keylog];
      counterexamples.push(cx);
    }
  }

  // mutants
  const operators = new Map<string, OperatorScore>();
  const missedMutants: MutantRef[] = [];
  const otherwiseMutants: MutantRef[] = [];
  for (const m of input.mutants) {
    const tripped = trippedBy(m);
    const op = operators.get(m.operator) ?? { operator: m.operator, mutants: 0, caught: 0, caughtOtherwise: 0, missed: 0 };
    operators.set(m.operator, op);
    op.mutants++;
    const declared = [...new Set(m.declaredRules)].sort(cmp);
    for (const id of declared) {
      const r = rule(id);
      r.mutantsDeclaring++;
      if (tripped.includes(id)) r.mutantsProving++;
    }
    const ref: MutantRef = { operator: m.operator, declaredRules: declared, tripped };
    if (m.id !== undefined) ref.id = m.id;
    if (m.seed !== undefined) ref.seed = m.seed;
    if (m.path !== undefined) ref.path = m.path;
    // Caught: every rule the operator declares was tripped (a partial catch counts as caught otherwise).
    if (declared.length && declared.every((id) => tripped.includes(id))) op.caught++;
    else if (tripped.length) {
      op.caughtOtherwise++;
      otherwiseMutants.push(ref);
    } else {
      op.missed++;
      missedMutants.push(ref);
    }
  }

  // conversations
  const convCounts = new Map<ConversationVerdict, number>();
  const conversationList: ConversationEntry[] = [];
  const items: Array<{ rule: RuleId | ''; item: FindingItem }> = [];
  for (const c of input.conversations ?? []) {
    conversationList.push(entryOf(c));
    const f = findingOf(c);
    if (f) items.push(f);
    else items.push(...acceptedFindings(c));
    convCounts.set(c.verdict, (convCounts.get(c.verdict) ?? 0) + 1);
    // the live rules a conversation decides count like a transcript's verdicts (a valid pass when it conformed)
    if (c.verdicts?.length) countRules(`${c.target} ${c.role} ${c.name}`, c.verdicts, c.verdict === 'conforming', acceptedWhy(c));
    if (c.verdict === 'conforming') continue;
    const cx: Counterexample = {
      kind: 'conversation',
      id: `${c.target} ${c.role} ${c.name}`,
      rules: c.rule ? [c.rule] : [],
      verdict: c.verdict,
      detail: c.detail ?? '',
      ladder: [...c.ladder],
      target: c.target,
      role: c.role,
    };
    if (c.seed !== undefined) cx.seed = c.seed;
    if (c.path !== undefined) cx.path = c.path;
    counterexamples.push(cx);
  }

  // state machines
  const machines = new Map<MachineId, MachineCoverage>();
  for (const table of input.stateMachines ?? []) addTable(machines, table);
  const walked: MachineTransition[] = [
    ...input.transcripts.flatMap((t) => t.transitions ?? []),
    ...input.mutants.flatMap((m) => m.transitions ?? []),
    ...(input.conversations ?? []).flatMap((c) => c.transitions ?? []),
  ];
  for (const t of walked) {
    const mc = machines.get(t.machine);
    if (!mc) continue;
    const found = mc.transitions.find((x) => transitionKey(x) === transitionKey(t));
    if (found) found.count++;
    else addCount(mc.invalidTried, { from: t.from, to: t.to, via: t.via, count: 1 });
  }

  const configuration: ConfigurationCoverage = { transcripts: 0, dimensions: [] };
  const dims = new Map<string, Map<string, number>>(DIMENSIONS.map((d) => [d, new Map()]));
  for (const t of input.transcripts) {
    if (!t.config) continue;
    configuration.transcripts++;
    for (const [d, values] of configValues(t.config)) {
      const m = dims.get(d)!;
      for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
    }
  }
  configuration.dimensions = DIMENSIONS.map((d) =>
    dimension(
      d,
      [...dims.get(d)!].map(([value, count]) => ({ value, count })),
    ),
  );

  const mutation: MutationScore = {
    operators: [...operators.values()],
    mutants: 0,
    caught: 0,
    caughtOtherwise: 0,
    missed: 0,
    score: 0,
    killRate: 0,
    missedMutants,
    otherwiseMutants,
  };

  const report: CoverageReport = {
    schema: REPORT_SCHEMA,
    tool: { ...input.tool },
    startedAt: input.startedAt,
    targets: (input.targets ?? []).map((t) => targetSummary(t, input.conversations ?? [])),
    sections: [],
    findings: groupFindings([...transcriptItems, ...items], input.rules),
    conversationList,
    summary: { ...emptySummary(), transcripts: input.transcripts.length, verdicts: verdictCounts },
    rules: [...rules.values()],
    stateMachines: [...machines.values()],
    configuration,
    mutation,
    conversations: [...convCounts].map(([verdict, count]) => ({ verdict, count })),
    counterexamples,
  };
  const checked = input.transcripts.filter((t) => t.provenance.kind === 'capture' || t.provenance.kind === 'manual');
  if (checked.length) report.checkedList = checked.map(checkedEntry);
  if (input.run) report.run = { ...input.run, argv: [...input.run.argv], targets: [...input.run.targets] };
  if (input.profile) report.profile = { ...input.profile, disabled: [...input.profile.disabled] };
  return finalize(report);
}

// ------------------------------------------------------------ conversations, targets, findings, sections

const ACCEPTED = new Set(['expected-failure', 'alert-mapped']);

/** A conversation fails the run: not conforming and not accepted by the profile, or an expected failure that passed. */
export function failing(c: Pick<LiveConversation, 'verdict' | 'profile'>): boolean {
  if (c.profile?.status === 'unexpected-pass') return true;
  return c.verdict !== 'conforming' && !ACCEPTED.has(c.profile?.status ?? '');
}

function targetOf(c: LiveConversation): string {
  return c.targetName ?? c.target;
}

function entryOf(c: LiveConversation): ConversationEntry {
  const e: ConversationEntry = {
    id: `${targetOf(c)} ${c.path ?? ''} ${c.name}`.replace(/\s+/g, ' '),
    target: targetOf(c),
    role: c.role,
    name: c.name,
    verdict: c.verdict,
  };
  if (c.ms !== undefined) e.ms = c.ms;
  if (c.rule !== undefined) e.rule = c.rule;
  if (c.alert !== undefined) e.alert = c.alert;
  if (c.detail !== undefined) e.detail = c.detail;
  if (c.seed !== undefined) e.seed = c.seed;
  if (c.path !== undefined) e.path = c.path;
  if (c.profile) e.profile = { ...c.profile };
  return e;
}

/**
 * A conversation the run does not fail on may still have broken a live rule as the RFC states it: the default
 * strictness (alert-or-close) accepts a TLS 1.2 receiver that closes without the alert RFC 5246 §7.2.2 says it
 * MUST send, or a TLS 1.3 alert other than the one named. Such violations are counted, marked with why the run
 * accepted them, and listed as findings that do not fail the run: never a violation without a finding.
 */
export const STRICTNESS_ACCEPTED =
  'The run counted this conversation as conforming: what it expected of the peer accepts how the peer ended it (--strictness, or silence where the peer must only not complete); this live rule, judged on the ending alone, was not met.';

function acceptedWhy(c: LiveConversation): string | undefined {
  if (failing(c)) return undefined;
  if (c.verdict === 'conforming') return STRICTNESS_ACCEPTED;
  return `Accepted by the profile (${c.profile?.status ?? 'accepted'})${c.profile?.reason ? `: ${c.profile.reason}` : ''}.`;
}

/** The violated live rules of a conversation the run counted as conforming, one finding item each (not failing). */
function acceptedFindings(c: LiveConversation): Array<{ rule: RuleId | ''; item: FindingItem }> {
  if (c.verdict !== 'conforming' || failing(c)) return [];
  return (c.verdicts ?? [])
    .filter((v) => v.status === 'violation')
    .map((v) => {
      const item: FindingItem = {
        id: `${targetOf(c)} ${c.path ?? ''} ${c.name} ${v.rule}`.replace(/\s+/g, ' '),
        target: targetOf(c),
        role: c.role,
        name: c.name,
        verdict: c.verdict,
        detail: v.detail,
        accepted: STRICTNESS_ACCEPTED,
        ladder: [...c.ladder],
      };
      if (c.subjects?.length) item.subjects = [...c.subjects];
      if (c.alert !== undefined) item.alert = c.alert;
      if (c.expectedAlerts?.length) item.expectedAlerts = [...c.expectedAlerts];
      if (c.sent !== undefined) item.sent = c.sent;
      if (c.seed !== undefined) item.seed = c.seed;
      if (c.path !== undefined) item.path = c.path;
      if (c.replay !== undefined) item.replay = c.replay;
      if (c.bytes) item.bytes = c.bytes;
      if (c.saved) item.saved = { ...c.saved };
      return { rule: v.rule, item };
    });
}

/** A checked capture connection or transcript file as listed in the report. */
function checkedEntry(t: TranscriptRun): CheckedEntry {
  const verdicts = emptyCounts();
  for (const v of t.verdicts) verdicts[v.status]++;
  const p = t.provenance;
  const source = t.source ?? (p.kind === 'capture' ? p.file : p.kind === 'manual' ? (p.file ?? t.id) : t.id);
  const e: CheckedEntry = {
    id: t.id,
    source,
    verdicts,
    violated: [...new Set(t.verdicts.filter((v) => v.status === 'violation').map((v) => v.rule))].sort(cmp),
  };
  // 1-based, as `tlsprop explain` numbers them (the provenance counts from 0)
  if (p.kind === 'capture') e.connection = p.connection + 1;
  return e;
}

function findingOf(c: LiveConversation): { rule: RuleId | ''; item: FindingItem } | undefined {
  if (c.verdict === 'conforming' && c.profile?.status !== 'unexpected-pass') return undefined;
  const item: FindingItem = {
    id: `${targetOf(c)} ${c.path ?? ''} ${c.name}`.replace(/\s+/g, ' '),
    target: targetOf(c),
    role: c.role,
    name: c.name,
    verdict: c.verdict,
    detail: c.detail ?? '',
    ladder: [...c.ladder],
  };
  if (c.subjects?.length) item.subjects = [...c.subjects];
  if (c.alert !== undefined) item.alert = c.alert;
  if (c.expectedAlerts?.length) item.expectedAlerts = [...c.expectedAlerts];
  if (c.sent !== undefined) item.sent = c.sent;
  if (c.seed !== undefined) item.seed = c.seed;
  if (c.path !== undefined) item.path = c.path;
  if (c.replay !== undefined) item.replay = c.replay;
  if (c.bytes) item.bytes = c.bytes;
  if (c.saved) item.saved = { ...c.saved };
  if (c.profile) item.profile = { ...c.profile };
  const s = c.shrunk;
  if (s) {
    // the smallest conversation that fails the same way is what a reader replays
    if (c.path !== undefined) item.shrunkFrom = c.path;
    item.path = s.path;
    item.name = s.name;
    item.ladder = [...s.ladder];
    if (s.detail !== undefined) item.detail = s.detail;
    if (s.sent !== undefined) item.sent = s.sent;
    else delete item.sent;
    if (s.bytes) item.bytes = s.bytes;
    if (s.saved) item.saved = { ...s.saved };
    if (s.replay !== undefined) item.replay = s.replay;
  }
  return { rule: c.rule ?? '', item };
}

function targetSummary(t: TargetInfo, conversations: readonly LiveConversation[]): TargetSummary {
  const mine = conversations.filter((c) => targetOf(c) === t.name);
  const counts = new Map<ConversationVerdict, number>();
  for (const c of mine) counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
  const fails = mine.filter(failing).length;
  const summary: TargetSummary = {
    ...structuredClone(t),
    conversations: mine.length,
    verdicts: [...counts]
      .map(([verdict, count]) => ({ verdict, count }))
      .sort((a, b) => CONVERSATION_VERDICTS.indexOf(a.verdict) - CONVERSATION_VERDICTS.indexOf(b.verdict)),
    failing: fails,
    expectedFailures: mine.filter((c) => c.profile?.status === 'expected-failure').length,
    alertMapped: mine.filter((c) => c.profile?.status === 'alert-mapped').length,
    unexpectedPasses: mine.filter((c) => c.profile?.status === 'unexpected-pass').length,
    ok: fails === 0 && t.error === undefined && (t.sanity === undefined || (t.sanity.first && t.sanity.last)),
  };
  return summary;
}

function groupFindings(items: ReadonlyArray<{ rule: RuleId | ''; item: FindingItem }>, infos: readonly RuleInfo[]): Finding[] {
  const byRule = new Map<RuleId | '', Finding>();
  for (const { rule, item } of items) {
    let f = byRule.get(rule);
    if (!f) {
      const info = rule ? infos.find((r) => r.id === rule) : undefined;
      f = {
        rule,
        title: info?.title ?? (rule ? rule : 'no rule named (the peer hung, reset or could not be judged)'),
        rfc: info ? [...info.rfc] : [],
        alerts: info ? info.alerts.map((a) => ({ ...a })) : [],
        items: [],
      };
      byRule.set(rule, f);
    }
    f.items.push(item);
  }
  return [...byRule.values()];
}

const cmpFindingItem = (a: FindingItem, b: FindingItem): number =>
  cmp(a.target, b.target) || cmp(a.path ?? '', b.path ?? '') || cmp(a.id, b.id) || cmp(a.detail, b.detail);

/** A finding item that fails the run (not accepted by the profile). */
export function itemFails(i: FindingItem): boolean {
  return failing({ verdict: i.verdict === 'violation' ? 'flagged' : i.verdict, ...(i.profile ? { profile: i.profile } : {}) });
}

/** Rules grouped by the RFC section each cites, with the share of applied rules that held (TLS-Anvil's per-section score). */
export function sectionScores(rules: readonly RuleCoverage[]): SectionScore[] {
  const sections = new Map<string, SectionScore>();
  for (const r of rules) {
    if (!r.declared) continue;
    for (const ref of r.rfc) {
      let s = sections.get(ref);
      if (!s) {
        s = { section: ref, rules: [], applied: 0, passed: 0, violated: 0, inconclusive: 0, score: 0 };
        const link = rfcLinks(ref)[0];
        if (link) s.href = link.href;
        sections.set(ref, s);
      }
      s.rules.push(r.id);
      if (r.applied === 0) continue;
      s.applied++;
      if (r.violated > 0) s.violated++;
      else if (r.passed > 0) s.passed++;
      else s.inconclusive++;
    }
  }
  const key = (s: string) => s.replace(/(\d+)/g, (d) => d.padStart(5, '0'));
  return [...sections.values()]
    .map((s) => ({ ...s, rules: [...s.rules].sort(cmp), score: s.applied ? s.passed / s.applied : 0 }))
    .sort((a, b) => cmp(key(a.section), key(b.section)));
}

function configValues(c: ConfigPoint): Array<[string, string[]]> {
  const one = (v: string | undefined): string[] => (v === undefined ? [] : [v]);
  return [
    ['version', [c.version]],
    ['cipherSuite', [c.cipherSuite]],
    ['group', one(c.group)],
    ['signatureScheme', one(c.signatureScheme)],
    ['clientSignatureScheme', one(c.clientSignatureScheme)],
    ['intermediates', c.intermediates ? [`server ${c.intermediates.server}`, `client ${c.intermediates.client}`] : []],
    ['clientAuth', [c.clientAuth]],
    ['resumption', [c.resumption]],
    ['helloRetry', [String(c.helloRetry)]],
    ['renegotiation', [c.renegotiation ?? 'none']],
    ['externalPsk', [c.externalPsk ?? 'none']],
    ['certCompression', c.certCompression?.length ? c.certCompression : ['none']],
    ['earlyData', [c.earlyData ?? 'none']],
    ['postHandshakeAuth', [String(c.postHandshakeAuth ?? false)]],
    ['extensions', [...new Set(c.extensions)]],
  ];
}

function dimension(d: string, values: ValueCount[]): DimensionCoverage {
  const merged = new Map<string, number>();
  for (const v of values) merged.set(v.value, (merged.get(v.value) ?? 0) + v.count);
  const sorted = [...merged].map(([value, count]) => ({ value, count })).sort((a, b) => cmp(a.value, b.value));
  const domain = DOMAINS[d] ?? [];
  return { dimension: d, values: sorted, distinct: sorted.length, missing: domain.filter((v) => !merged.has(v)) };
}

function addTable(machines: Map<MachineId, MachineCoverage>, table: MachineTable): void {
  let mc = machines.get(table.machine);
  if (!mc) {
    mc = {
      machine: table.machine,
      initial: table.initial ?? table.transitions[0]?.from ?? '',
      transitions: [],
      total: 0,
      exercised: 0,
      unexercised: [],
      invalidTried: [],
    };
    machines.set(table.machine, mc);
  }
  const have = new Set(mc.transitions.map(transitionKey));
  for (const t of table.transitions) {
    if (have.has(transitionKey(t))) continue;
    have.add(transitionKey(t));
    mc.transitions.push({ from: t.from, to: t.to, via: t.via, count: 0 });
  }
}

function addCount(list: TransitionCount[], t: TransitionCount): void {
  const found = list.find((x) => transitionKey(x) === transitionKey(t));
  if (found) found.count += t.count;
  else list.push({ ...t });
}

function emptySummary(): ReportSummary {
  return {
    rules: 0,
    rulesApplied: 0,
    rulesViolated: 0,
    rulesProven: 0,
    rulesPassedByValid: 0,
    transcripts: 0,
    verdicts: emptyCounts(),
    mutants: 0,
    mutantsCaught: 0,
    mutantsCaughtOtherwise: 0,
    mutantsMissed: 0,
    conversations: 0,
    conversationsFailing: 0,
    transitionsTotal: 0,
    transitionsExercised: 0,
    counterexamples: 0,
    failures: 0,
    ok: true,
  };
}

/** Paths `3`, `3:0:1` and free text, numbers compared as numbers. */
function cmpPath(a: string | undefined, b: string | undefined): number {
  const pa = (a ?? '').split(':').map(Number);
  const pb = (b ?? '').split(':').map(Number);
  if (pa.every(Number.isFinite) && pb.every(Number.isFinite) && a && b) {
    for (let i = 0; i < Math.max(pa.length, pb.length); i++)
      if ((pa[i] ?? -1) !== (pb[i] ?? -1)) return (pa[i] ?? -1) - (pb[i] ?? -1);
    return 0;
  }
  return cmp(a ?? '', b ?? '');
}

const cmpTransition = (a: TransitionRef, b: TransitionRef): number => cmp(a.from, b.from) || cmp(a.via, b.via) || cmp(a.to, b.to);
const cmpMutant = (a: MutantRef, b: MutantRef): number =>
  cmp(a.operator, b.operator) ||
  cmp(a.id ?? '', b.id ?? '') ||
  cmpNum(a.seed, b.seed) ||
  cmp(a.path ?? '', b.path ?? '') ||
  cmp(a.declaredRules.join(), b.declaredRules.join());
const cmpCounterexample = (a: Counterexample, b: Counterexample): number =>
  cmp(a.kind, b.kind) || cmp(a.id, b.id) || cmpNum(a.seed, b.seed) || cmp(a.path ?? '', b.path ?? '') || cmp(a.detail, b.detail);

/** Recompute every derived field (booleans, totals, ratios, summary) and sort. */
export function finalize(r: CoverageReport): CoverageReport {
  for (const x of r.rules) {
    x.violations.sort(cmpViolation);
    x.violations = x.violations.slice(0, VIOLATIONS_KEPT);
    x.passedByValid = x.validPasses > 0;
    x.proven = x.mutantsProving > 0;
  }
  r.rules.sort((a, b) => cmp(a.id, b.id));
  for (const m of r.stateMachines) {
    m.total = m.transitions.length;
    m.exercised = m.transitions.filter((t) => t.count > 0).length;
    m.unexercised = m.transitions.filter((t) => t.count === 0).map(({ from, to, via }) => ({ from, to, via }));
    m.invalidTried.sort(cmpTransition);
  }
  r.stateMachines.sort((a, b) => cmp(a.machine, b.machine));
  const mu = r.mutation;
  mu.operators.sort((a, b) => cmp(a.operator, b.operator));
  mu.mutants = mu.operators.reduce((s, o) => s + o.mutants, 0);
  mu.caught = mu.operators.reduce((s, o) => s + o.caught, 0);
  mu.caughtOtherwise = mu.operators.reduce((s, o) => s + o.caughtOtherwise, 0);
  mu.missed = mu.operators.reduce((s, o) => s + o.missed, 0);
  mu.score = mu.mutants ? mu.caught / mu.mutants : 0;
  mu.killRate = mu.mutants ? (mu.caught + mu.caughtOtherwise) / mu.mutants : 0;
  mu.missedMutants.sort(cmpMutant);
  mu.otherwiseMutants.sort(cmpMutant);
  r.conversations.sort((a, b) => CONVERSATION_VERDICTS.indexOf(a.verdict) - CONVERSATION_VERDICTS.indexOf(b.verdict));
  r.counterexamples.sort(cmpCounterexample);
  r.sections = sectionScores(r.rules);
  for (const f of r.findings) f.items.sort(cmpFindingItem);
  r.findings.sort((a, b) => cmp(a.rule, b.rule));
  r.conversationList.sort((a, b) => cmp(a.target, b.target) || cmpPath(a.path, b.path) || cmp(a.name, b.name));
  r.checkedList?.sort((a, b) => cmp(a.source, b.source) || (a.connection ?? 0) - (b.connection ?? 0) || cmp(a.id, b.id));
  r.targets.sort((a, b) => cmp(a.name, b.name));
  r.configuration.dimensions = DIMENSIONS.map((d) =>
    dimension(d, r.configuration.dimensions.find((x) => x.dimension === d)?.values ?? []),
  );

  const s = r.summary;
  s.rules = r.rules.filter((x) => x.declared).length;
  s.rulesApplied = r.rules.filter((x) => x.applied > 0).length;
  s.rulesViolated = r.rules.filter((x) => x.violated > 0).length;
  s.rulesProven = r.rules.filter((x) => x.proven).length;
  s.rulesPassedByValid = r.rules.filter((x) => x.passedByValid).length;
  s.mutants = mu.mutants;
  s.mutantsCaught = mu.caught;
  s.mutantsCaughtOtherwise = mu.caughtOtherwise;
  s.mutantsMissed = mu.missed;
  s.conversations = r.conversations.reduce((n, c) => n + c.count, 0);
  s.conversationsFailing = r.conversations.filter((c) => c.verdict !== 'conforming').reduce((n, c) => n + c.count, 0);
  s.transitionsTotal = r.stateMachines.reduce((n, m) => n + m.total, 0);
  s.transitionsExercised = r.stateMachines.reduce((n, m) => n + m.exercised, 0);
  s.counterexamples = r.counterexamples.length;
  s.failures = r.findings.reduce((n, f) => n + f.items.filter(itemFails).length, 0);
  if (r.baseline) s.newFailures = r.baseline.newFailures.length;
  else delete s.newFailures;
  s.ok = s.failures === 0 && s.mutantsMissed === 0 && r.targets.every((t) => t.ok);
  return r;
}

/** Combine reports (shards): sums counts, unions tables and sets, keeps every counterexample. */
export function mergeReports(reports: readonly CoverageReport[]): CoverageReport {
  if (!reports.length) throw new Error('mergeReports: no report to merge');
  for (const r of reports)
    if (r.schema !== REPORT_SCHEMA) throw new Error(`mergeReports: unsupported report schema ${String(r.schema)}`);
  const copy = reports.map((r) => structuredClone(r));
  const first = copy[0]!;
  const out: CoverageReport = {
    schema: REPORT_SCHEMA,
    tool: first.tool,
    startedAt: copy.map((r) => r.startedAt).sort(cmp)[0]!,
    targets: copy.flatMap((r) => r.targets),
    sections: [],
    findings: [],
    conversationList: copy.flatMap((r) => r.conversationList),
    ...(copy.some((r) => r.checkedList?.length) ? { checkedList: copy.flatMap((r) => r.checkedList ?? []) } : {}),
    summary: emptySummary(),
    rules: [],
    stateMachines: [],
    configuration: { transcripts: 0, dimensions: [] },
    mutation: {
      operators: [],
      mutants: 0,
      caught: 0,
      caughtOtherwise: 0,
      missed: 0,
      score: 0,
      killRate: 0,
      missedMutants: [],
      otherwiseMutants: [],
    },
    conversations: [],
    counterexamples: [],
  };
  const rules = new Map<RuleId, RuleCoverage>();
  const machines = new Map<MachineId, MachineCoverage>();
  const dims = new Map<string, ValueCount[]>();
  const ops = new Map<string, OperatorScore>();
  const convs = new Map<ConversationVerdict, ConversationCount>();
  for (const r of copy) {
    out.summary.transcripts += r.summary.transcripts;
    for (const k of VERDICT_STATUSES) out.summary.verdicts[k] += r.summary.verdicts[k];
    for (const x of r.rules) {
      const have = rules.get(x.id);
      if (!have) {
        rules.set(x.id, x);
        continue;
      }
      if (!have.declared && x.declared) {
        const {
          applied,
          passed,
          violated,
          inconclusive,
          notApplicable,
          validPasses,
          mutantsDeclaring,
          mutantsProving,
          violationCount,
          violations,
          violationsAccepted,
        } = have;
        Object.assign(have, x, {
          applied,
          passed,
          violated,
          inconclusive,
          notApplicable,
          validPasses,
          mutantsDeclaring,
          mutantsProving,
          violationCount,
          violations,
        });
        if (violationsAccepted === undefined) delete have.violationsAccepted;
        else have.violationsAccepted = violationsAccepted;
      }
      have.applied += x.applied;
      have.passed += x.passed;
      have.violated += x.violated;
      have.inconclusive += x.inconclusive;
      have.notApplicable += x.notApplicable;
      have.validPasses += x.validPasses;
      have.mutantsDeclaring += x.mutantsDeclaring;
      have.mutantsProving += x.mutantsProving;
      have.violationCount += x.violationCount;
      if (x.violationsAccepted) have.violationsAccepted = (have.violationsAccepted ?? 0) + x.violationsAccepted;
      have.violations.push(...x.violations);
    }
    for (const m of r.stateMachines) {
      addTable(machines, { machine: m.machine, initial: m.initial, transitions: m.transitions });
      const mc = machines.get(m.machine)!;
      for (const t of m.transitions) mc.transitions.find((x) => transitionKey(x) === transitionKey(t))!.count += t.count;
      for (const t of m.invalidTried) addCount(mc.invalidTried, t);
    }
    out.configuration.transcripts += r.configuration.transcripts;
    for (const d of r.configuration.dimensions) dims.set(d.dimension, [...(dims.get(d.dimension) ?? []), ...d.values]);
    for (const o of r.mutation.operators) {
      const have = ops.get(o.operator);
      if (!have) ops.set(o.operator, o);
      else {
        have.mutants += o.mutants;
        have.caught += o.caught;
        have.caughtOtherwise += o.caughtOtherwise;
        have.missed += o.missed;
      }
    }
    out.mutation.missedMutants.push(...r.mutation.missedMutants);
    out.mutation.otherwiseMutants.push(...r.mutation.otherwiseMutants);
    for (const c of r.conversations) {
      const have = convs.get(c.verdict);
      if (have) have.count += c.count;
      else convs.set(c.verdict, c);
    }
    out.counterexamples.push(...r.counterexamples);
    for (const f of r.findings) {
      const have = out.findings.find((x) => x.rule === f.rule);
      if (have) have.items.push(...f.items);
      else out.findings.push(f);
    }
  }
  if (first.run)
    out.run = {
      ...first.run,
      command: copy.length > 1 ? 'merge' : first.run.command,
      durationMs: copy.reduce((n, r) => n + (r.run?.durationMs ?? 0), 0),
      targets: [...new Set(copy.flatMap((r) => r.run?.targets ?? []))],
    };
  out.rules = [...rules.values()];
  out.stateMachines = [...machines.values()];
  out.configuration.dimensions = [...dims].map(([d, values]) => dimension(d, values));
  out.mutation.operators = [...ops.values()];
  out.conversations = [...convs.values()];
  return finalize(out);
}
