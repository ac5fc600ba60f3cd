/**
 * Differential testing: the same conversations run against several
 * implementations, and every conversation where they disagree. This module
 * is the comparison (the runs come from the fuzzers' seeded conversations,
 * cli/diff.ts): what each implementation did with a conversation is an
 * `Observation` (it completed the handshake, answered with an alert, closed,
 * reset, or did not answer; for completed handshakes what was negotiated),
 * and a disagreement is a conversation whose observations differ:
 *
 * - `accept-reject`: one completed (or went on) where another rejected;
 * - `alert`: all rejected, with different alerts (or one without any);
 * - `negotiated`: all completed, with different parameters for the same offer (version, suite, group,
 *   signature scheme, extended master secret, HelloRetryRequest; not the server's configuration, such as
 *   asking for a client certificate or how many tickets it issues).
 *
 * Disagreements are grouped by family and by who answered what, each group
 * with the ladders of one conversation; the matrix counts, per
 * implementation and conversation family, how the conversations went.
 */
import type { Transcript } from '../transcript/model';
import { selectedVersion } from '../transcript/build';
import { extensionBody } from '../wire/extensions';
import { isHelloRetryRequest } from '../wire/handshake';
import { cipherSuites, ExtensionType, namedGroups, nameOf, signatureSchemes } from '../wire/registry';
import { type ConversationVerdict, versionOfCode } from '../wire/vocabulary';

export type ObservedOutcome = 'completed' | `alert(${string})` | 'closed' | 'reset' | 'no-answer';

export interface Observation {
  implementation: string;
  outcome: ObservedOutcome;
  /** What a completed handshake negotiated (version, suite, group, signature scheme, ...). */
  negotiated?: Record<string, string>;
  /** The fuzzer's verdict on it (conforming, accepted-invalid, wrong-alert, ...). */
  verdict: ConversationVerdict;
  ladder: string[];
  /** The conversation's change took effect (a mutation that did not fire proves nothing). */
  fired: boolean;
}

export interface ConversationObservations {
  index: number;
  name: string;
  /** Conversation family: kind and version (`mutant 1.2`, `state 1.3`, `valid 1.2`, ...). */
  family: string;
  /** The generated value, in words (replayable with the seed). */
  spec: string;
  observations: Observation[];
}

export type DisagreementKind = 'accept-reject' | 'alert' | 'negotiated';

export interface Disagreement {
  conversation: ConversationObservations;
  kind: DisagreementKind;
  /** Who answered what: each distinct answer with the implementations that gave it. */
  answers: Array<{ answer: string; implementations: string[] }>;
}

export interface DisagreementGroup {
  family: string;
  kind: DisagreementKind;
  /** The answers pattern shared by the group (`A: completed | B, C: alert(decode_error)`). */
  pattern: string;
  disagreements: Disagreement[];
}

export interface DiffMatrix {
  implementations: string[];
  families: string[];
  /** cells[implementation][family] = verdict -> count. */
  cells: Record<string, Record<string, Record<string, number>>>;
  /** Disagreements per family. */
  disagreements: Record<string, number>;
}

export interface DifferentialResult {
  conversations: ConversationObservations[];
  /** Conversations left out: a change did not take effect on some implementation, so they are not comparable. */
  notComparable: Array<{ name: string; why: string }>;
  disagreements: Disagreement[];
  groups: DisagreementGroup[];
  matrix: DiffMatrix;
}

const nm = (reg: ReadonlyMap<number, string>, code: number) => nameOf(reg, code);

/** What a completed handshake negotiated, from its transcript (the target's hello and key exchange). */
export function negotiatedOf(t: Transcript | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!t) return out;
  for (const m of t.messages) {
    const b = m.decoded?.body;
    if (!b) continue;
    if (b.type === 'server_hello') {
      if (isHelloRetryRequest(b)) {
        out['hello_retry_request'] = 'yes';
        continue;
      }
      const v = versionOfCode(selectedVersion(b.legacyVersion, b.extensions));
      out['version'] = v ?? `0x${b.legacyVersion.toString(16)}`;
      out['suite'] = cipherSuites.get(b.cipherSuite)?.name ?? `0x${b.cipherSuite.toString(16)}`;
      const ks = extensionBody(b.extensions, ExtensionType.key_share, 'key_share_server');
      if (ks) out['group'] = nm(namedGroups, ks.share.group);
      out['extended_master_secret'] = extensionBody(b.extensions, ExtensionType.extended_master_secret, 'empty') ? 'yes' : 'no';
    }
    if (b.type === 'server_key_exchange' && b.kex === 'ecdhe') {
      out['group'] = nm(namedGroups, b.namedCurve);
      if (b.signed) out['server_signature'] = nm(signatureSchemes, b.signed.scheme);
    }
    if (b.type === 'certificate_verify' && m.dir === 'S->C') out['server_signature'] = nm(signatureSchemes, b.scheme);
  }
  // whether the server asks for a client certificate, or how many tickets it issues, is its configuration, not
  // what it negotiated for the offer: not compared
  return out;
}

function answerOf(o: Observation, withParams: boolean): string {
  if (!withParams || o.outcome !== 'completed' || !o.negotiated) return o.outcome;
  return `completed (${Object.entries(o.negotiated)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')})`;
}

function groupAnswers(obs: readonly Observation[], withParams: boolean): Array<{ answer: string; implementations: string[] }> {
  const m = new Map<string, string[]>();
  for (const o of obs) {
    const a = answerOf(o, withParams);
    m.set(a, [...(m.get(a) ?? []), o.implementation]);
  }
  return [...m.entries()].map(([answer, implementations]) => ({ answer, implementations }));
}

/** The disagreement of one conversation, if its implementations disagree. */
export function disagreementOf(c: ConversationObservations): Disagreement | undefined {
  const outcomes = new Set(c.observations.map((o) => o.outcome));
  if (outcomes.size > 1) {
    const kind: DisagreementKind = outcomes.has('completed') ? 'accept-reject' : 'alert';
    return { conversation: c, kind, answers: groupAnswers(c.observations, false) };
  }
  if (outcomes.has('completed')) {
    const answers = groupAnswers(c.observations, true);
    if (answers.length > 1) return { conversation: c, kind: 'negotiated', answers };
  }
  return undefined;
}

export function compareObservations(
  conversations: readonly ConversationObservations[],
  implementations: readonly string[],
): DifferentialResult {
  const comparable: ConversationObservations[] = [];
  const notComparable: DifferentialResult['notComparable'] = [];
  for (const c of conversations) {
    const unfired = c.observations.filter((o) => !o.fired).map((o) => o.implementation);
    if (unfired.length) notComparable.push({ name: c.name, why: `the change did not take effect on ${unfired.join(', ')}` });
    else comparable.push(c);
  }
  const disagreements = comparable.map(disagreementOf).filter((d): d is Disagreement => d !== undefined);
  const groups = new Map<string, DisagreementGroup>();
  for (const d of disagreements) {
    const pattern = d.answers.map((a) => `${a.implementations.join(', ')}: ${a.answer}`).join(' | ');
    const k = `${d.conversation.family}\u0000${d.kind}\u0000${d.kind === 'negotiated' ? pattern : d.answers.map((a) => a.implementations.join(',')).join('|')}`;
    const g = groups.get(k) ?? { family: d.conversation.family, kind: d.kind, pattern, disagreements: [] };
    g.disagreements.push(d);
    groups.set(k, g);
  }
  const families = [...new Set(conversations.map((c) => c.family))].sort();
  const cells: DiffMatrix['cells'] = {};
  for (const impl of implementations) {
    cells[impl] = {};
    for (const f of families) cells[impl]![f] = {};
  }
  for (const c of comparable)
    for (const o of c.observations) {
      const cell = cells[o.implementation]?.[c.family];
      if (cell) cell[o.verdict] = (cell[o.verdict] ?? 0) + 1;
    }
  const perFamily: Record<string, number> = Object.fromEntries(families.map((f) => [f, 0]));
  for (const d of disagreements) perFamily[d.conversation.family] = (perFamily[d.conversation.family] ?? 0) + 1;
  return {
    conversations: [...conversations],
    notComparable,
    disagreements,
    groups: [...groups.values()].sort((a, b) => a.family.localeCompare(b.family) || a.kind.localeCompare(b.kind)),
    matrix: { implementations: [...implementations], families, cells, disagreements: perFamily },
  };
}

/** The report as text lines: the matrix, then each group with one conversation's ladders. */
export function differentialLines(r: DifferentialResult): string[] {
  const lines: string[] = [];
  const m = r.matrix;
  const head = ['implementation', ...m.families];
  const rows = m.implementations.map((impl) => [
    impl,
    ...m.families.map((f) =>
      Object.entries(m.cells[impl]?.[f] ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([v, n]) => `${v} ${n}`)
        .join(', '),
    ),
  ]);
  rows.push(['disagreements', ...m.families.map((f) => String(m.disagreements[f] ?? 0))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  lines.push(fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt), '');
  lines.push(`${r.disagreements.length} conversation(s) where the implementations disagree, in ${r.groups.length} group(s):`);
  for (const [i, g] of r.groups.entries()) {
    lines.push('', `${i + 1}. ${g.family}, ${g.kind} (${g.disagreements.length} conversation(s)): ${g.pattern}`);
    lines.push(`   conversations: ${g.disagreements.map((d) => d.conversation.name).join(', ')}`);
    const first = g.disagreements[0]!.conversation;
    lines.push(`   e.g. #${first.index} ${first.spec}`);
    for (const o of first.observations) {
      lines.push(`   -- ${o.implementation}: ${answerOf(o, g.kind === 'negotiated')} (${o.verdict})`);
      for (const l of o.ladder) lines.push(`      ${l}`);
    }
  }
  if (r.notComparable.length) {
    lines.push('', `${r.notComparable.length} conversation(s) not compared:`);
    for (const n of r.notComparable) lines.push(`   ${n.name}: ${n.why}`);
  }
  return lines;
}
