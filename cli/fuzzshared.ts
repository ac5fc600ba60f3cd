/**
 * Command-line pieces both fuzz commands share (`fuzz --target`, cli/fuzz.ts,
 * and `fuzz --listen`, cli/fuzz-listen.ts): reading `--profile`, the results
 * table with the profile's word on each conversation, and the saved-files
 * line of `--save`.
 */
import { readFileSync } from 'node:fs';
import { acrossFails } from '../fuzz/core';
import { ladderText, type ProfileStatus } from '../fuzz/judge';
import { isRuleId, ruleById } from '../oracles/catalogue';
import { type FuzzProfile, ProfileError, parseProfile } from '../fuzz/profile';
import type { SavedFiles } from '../fuzz/save';
import type { ConversationRun } from '../oracles/live';
import type { Verdict } from '../oracles/rule';
import { UsageError } from './args';

/** The profile file of `--profile`, checked against the conversation names a run can have; a usage error when unreadable or invalid. */
export function readProfileFile(file: string, names: Iterable<string>): FuzzProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --profile ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return parseProfile(text, names);
  } catch (e) {
    if (e instanceof ProfileError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

export interface TableRow {
  run: ConversationRun;
  alert?: string;
  ms: number;
  profile?: { status: ProfileStatus };
}

/** One row per conversation: path, verdict (with the profile's word), alert, rule, time, name. */
export function fuzzResultsTable(rows: readonly TableRow[]): string[] {
  const cell = (x: TableRow) =>
    x.profile ? `${x.run.verdict} (${x.profile.status === 'expected-failure' ? 'expected' : 'UNEXPECTED PASS'})` : x.run.verdict;
  const cells = rows.map((x) => [x.run.path ?? '', cell(x), x.alert ?? '-', x.run.rule ?? '-', `${x.ms} ms`, x.run.name]);
  const head = ['path', 'verdict', 'alert', 'rule', 'time', 'conversation'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (c: readonly string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(head), ...cells.map(line)];
}

/** The line printed under a saved conversation. */
export function savedLine(s: SavedFiles): string {
  return `  saved: ${s.pcap} ${s.keylog}${s.json ? ` ${s.json}` : ''}${s.output ? ` ${s.output}` : ''}`;
}

/** One distinct failure of a run, as both fuzzers report it (fuzz/core.ts FailureReport). */
export interface FindingGroup {
  original: { run: ConversationRun; saved?: SavedFiles };
  shrunk?: { run: ConversationRun; saved?: SavedFiles };
  count: number;
  reproduced: boolean;
  shrinkRuns: number;
}

/**
 * The findings of a run grouped by (verdict, rule): a heading with the count and what the rule says, then one
 * representative ladder (shrunk when it could be), with the options that replay it.
 */
/** The run-level findings (rules decided across the conversations, oracles/across.ts): each names both conversations. */
export function acrossLines(verdicts: readonly Verdict[]): string[] {
  const bad = verdicts.filter(acrossFails);
  if (!bad.length) return [];
  const out = ['', `findings across conversations: ${bad.length}`];
  for (const v of bad) {
    const r = ruleById(v.rule);
    out.push(`${v.status} ${v.rule} (${r.strength}; ${r.rfc.join(', ')}): ${v.detail}`);
  }
  return out;
}

export function findingLines(groups: readonly FindingGroup[]): string[] {
  const out: string[] = [];
  if (groups.length) out.push('', `findings: ${groups.length} distinct (verdict, rule)`);
  for (const g of groups) {
    const x = g.shrunk ?? g.original;
    const rule = g.original.run.rule;
    const about = rule !== undefined && isRuleId(rule) ? ` — ${ruleById(rule).title} (${ruleById(rule).rfc.join(', ')})` : '';
    out.push(
      '',
      `${g.original.run.verdict} ${rule ?? '(no rule)'}: ${g.count} conversation${g.count === 1 ? '' : 's'}${about}`,
      g.shrunk
        ? `representative, shrunk from ${g.original.run.path} (${g.original.run.name}) in ${g.shrinkRuns} runs:`
        : g.reproduced
          ? 'representative:'
          : 'representative (not replayed, or not reproduced on replay: a flaky target?):',
    );
    for (const l of ladderText(x.run)) out.push(l);
    if (x.saved) out.push(savedLine(x.saved));
  }
  return out;
}

/** An integer option (`--runs`, `--seed`, ...): `dflt` when absent, a usage error unless an integer >= `min`. */
export function intOption(text: string | undefined, name: string, dflt: number, min: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} needs an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

interface ProfiledRow {
  run: ConversationRun;
  profile?: { status: ProfileStatus; reason: string };
}

/** Conversations the profile expected to fail that passed. */
export function unexpectedPasses<T extends ProfiledRow>(rows: readonly T[]): T[] {
  return rows.filter((x) => x.profile?.status === 'unexpected-pass');
}

/** The `profileOutcome` lists of the JSON output: expected failures and unexpected passes, each with path, name and the profile's reason. */
export function profileOutcomeLists(rows: readonly ProfiledRow[]): {
  expectedFailures: { path?: string; name: string; reason: string }[];
  unexpectedPasses: { path?: string; name: string; reason: string }[];
} {
  const entry = (x: ProfiledRow) => ({ path: x.run.path, name: x.run.name, reason: x.profile?.reason ?? '' });
  return {
    expectedFailures: rows.filter((x) => x.profile?.status === 'expected-failure').map(entry),
    unexpectedPasses: unexpectedPasses(rows).map(entry),
  };
}

/** The lines under the table for what the profile said: unexpected passes and disabled names. */
export function profileLines(rows: readonly ProfiledRow[], disabled: readonly string[]): string[] {
  return [
    ...unexpectedPasses(rows).map((x) => `unexpected pass: ${x.run.path} ${x.run.name} (profile: ${x.profile?.reason ?? ''})`),
    ...disabled.map((d) => `disabled by the profile: ${d}`),
  ];
}

/** `3 conforming, 1 accepted-invalid`: conversations per verdict, in order of first appearance ('none' for no conversation). */
export function verdictCounts(rows: readonly { run: ConversationRun }[]): string {
  const counts = new Map<string, number>();
  for (const x of rows) counts.set(x.run.verdict, (counts.get(x.run.verdict) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
}
