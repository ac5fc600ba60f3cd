/**
 * JUnit XML, as CI test views render it:
 * - one testsuite per target with one testcase per conversation, conforming
 *   ones too (`time` from the conversation; a failing one carries its
 *   verdict, detail, ladder and replay command; one its profile accepts is
 *   a pass with the reason in system-out);
 * - `transcripts`: one testcase per checked capture connection or
 *   transcript file (conforming ones too), and per other transcript that
 *   violated a rule (failing with its violations);
 * - `rules`: one testcase per rule (failing with its violations, skipped
 *   when never applied);
 * - `mutation`: one testcase per mutation operator of the self-test.
 * Classnames are `tlsprop.<target>` with the target's name made a single
 * token (no dots from IP addresses or versions, no folders), so CI views
 * group by target and do not split an address into packages.
 */
import type { CoverageReport } from '../model';
import { type SecretOptions, publishable } from '../redact';
import { escapeXml as x } from './escape';

/** One classname token: letters, digits, `-` and `_` only. */
export function classToken(s: string): string {
  return (
    s
      .replace(/^.*\//, '')
      .replace(/#.*$/, '')
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'unnamed'
  );
}

const secs = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(3);

interface Case {
  classname: string;
  name: string;
  ms?: number;
  failure?: { message: string; type: string; body: string };
  skipped?: string;
  out?: string;
}

function caseXml(c: Case): string {
  const open = `    <testcase classname="${x(c.classname)}" name="${x(c.name)}" time="${secs(c.ms)}">`;
  const inner: string[] = [];
  if (c.failure)
    inner.push(`      <failure message="${x(c.failure.message)}" type="${x(c.failure.type)}">${x(c.failure.body)}</failure>`);
  if (c.skipped !== undefined) inner.push(`      <skipped message="${x(c.skipped)}"/>`);
  if (c.out) inner.push(`      <system-out>${x(c.out)}</system-out>`);
  return inner.length ? `${open}\n${inner.join('\n')}\n    </testcase>` : `${open}</testcase>`;
}

function suiteXml(name: string, cases: readonly Case[], timestamp: string): string {
  const failures = cases.filter((c) => c.failure).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const time = secs(cases.reduce((n, c) => n + (c.ms ?? 0), 0));
  return `  <testsuite name="${x(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}" timestamp="${x(timestamp)}">${cases.length ? `\n${cases.map(caseXml).join('\n')}\n  ` : ''}</testsuite>`;
}

export function toJunit(report: CoverageReport, opts: SecretOptions = {}): string {
  const r = publishable(report, opts);
  const ts = r.startedAt;
  const suites: string[] = [];
  const all: Case[] = [];
  const add = (name: string, cases: Case[]) => {
    suites.push(suiteXml(name, cases, ts));
    all.push(...cases);
  };

  // conversations, by target; the failing ones carry their finding (the shrunk counterexample when there is one)
  const findingOf = new Map<string, { rule: string; item: CoverageReport['findings'][number]['items'][number] }>();
  for (const f of r.findings)
    for (const i of f.items) findingOf.set(`${i.target}\u0000${i.shrunkFrom ?? i.path ?? ''}\u0000`, { rule: f.rule, item: i });
  const byTarget = new Map<string, CoverageReport['conversationList']>();
  for (const c of r.conversationList) byTarget.set(c.target, [...(byTarget.get(c.target) ?? []), c]);
  for (const [target, list] of byTarget) {
    const cls = `tlsprop.${classToken(target)}`;
    add(
      target,
      list.map((c) => {
        const k: Case = { classname: cls, name: `${c.path !== undefined ? `${c.path} ` : ''}${c.name}`, ms: c.ms ?? 0 };
        const accepted = c.profile && c.profile.status !== 'unexpected-pass';
        if (c.verdict === 'conforming' && c.profile?.status !== 'unexpected-pass') return k;
        if (accepted) {
          k.out = `${c.verdict}${c.alert ? ` (${c.alert})` : ''}: accepted by the profile (${c.profile!.status}): ${c.profile!.reason}`;
          return k;
        }
        const f = findingOf.get(`${target}\u0000${c.path ?? ''}\u0000`);
        const i = f?.item;
        const body = [
          c.detail ?? '',
          ...(i?.shrunkFrom !== undefined ? [`shrunk to path ${i.path}: ${i.name}`] : []),
          ...(i?.ladder ?? []),
          i?.replay ? `replay: ${i.replay}` : c.seed !== undefined ? `seed ${c.seed} path ${c.path ?? ''}` : '',
          i?.saved ? `saved: ${i.saved.pcap} ${i.saved.keylog}` : '',
        ]
          .filter(Boolean)
          .join('\n');
        const message =
          c.profile?.status === 'unexpected-pass'
            ? `unexpected pass: the profile expected a failure (${c.profile.reason})`
            : `${c.verdict}${c.rule ? ` ${c.rule}` : ''}${c.alert ? ` (${c.alert})` : ''}`;
        k.failure = { message, type: c.verdict, body };
        return k;
      }),
    );
  }

  // transcripts and capture connections (not live conversations): every checked one (conforming ones too), and the
  // other transcripts that violated a rule
  const transcriptItems = r.findings.flatMap((f) =>
    f.items.filter((i) => i.verdict === 'violation').map((i) => ({ rule: f.rule, i })),
  );
  const byName = new Map<string, typeof transcriptItems>();
  for (const t of transcriptItems) byName.set(t.i.name, [...(byName.get(t.i.name) ?? []), t]);
  const failure = (list: typeof transcriptItems, rules: readonly string[]): NonNullable<Case['failure']> => ({
    message: `${list.length || rules.length} violation(s): ${[...new Set([...rules, ...list.map((t) => t.rule)])].join(', ')}`,
    type: 'violation',
    body: list.map((t) => `${t.rule}${t.i.bytes ? ` @${t.i.bytes.index}` : ''}: ${t.i.detail}`).join('\n'),
  });
  const checked = r.checkedList ?? [];
  const checkedIds = new Set(checked.map((c) => c.id));
  const transcriptCases: Case[] = checked.map((c) => {
    const k: Case = { classname: `tlsprop.transcripts.${classToken(c.source)}`, name: c.id.replace(/^.*\//, ''), ms: 0 };
    if (c.violated.length) k.failure = failure(byName.get(c.id) ?? [], c.violated);
    else
      k.out = `${c.verdicts.pass} pass, ${c.verdicts.inconclusive} inconclusive, ${c.verdicts['not-applicable']} not applicable`;
    return k;
  });
  for (const [name, list] of byName)
    if (!checkedIds.has(name))
      transcriptCases.push({
        classname: `tlsprop.transcripts.${classToken(list[0]!.i.target)}`,
        name: name.replace(/^.*\//, ''),
        ms: 0,
        failure: failure(list, []),
      });
  if (transcriptCases.length) add('transcripts', transcriptCases);

  const ruleCases = r.rules.map((rule): Case => {
    const k: Case = { classname: `tlsprop.rules.${rule.group || 'undeclared'}`, name: `${rule.id}: ${rule.title}`, ms: 0 };
    if (rule.violated > 0) {
      const body = rule.violations
        .map(
          (v) =>
            `${v.transcript}${v.message !== undefined ? ` #${v.message}` : ''}: ${v.detail}${v.expected !== undefined ? ` (expected ${v.expected}` : ''}${v.actual !== undefined ? `${v.expected !== undefined ? ', ' : ' ('}actual ${v.actual})` : v.expected !== undefined ? ')' : ''}${v.accepted ? ` [accepted: ${v.accepted}]` : ''}`,
        )
        .join('\n');
      const more =
        rule.violationCount > rule.violations.length ? `\n... and ${rule.violationCount - rule.violations.length} more` : '';
      const accepted = rule.violationsAccepted ?? 0;
      // a testcase fails as the run does: violations the run accepted (strictness, profile) are listed, not failed
      if (rule.violationCount > accepted)
        k.failure = {
          message: `${rule.violationCount} violation(s) on ${rule.violated} transcript(s)${accepted ? `, ${accepted} of them accepted by the run` : ''}`,
          type: 'violation',
          body: body + more,
        };
      else k.out = `${rule.violationCount} violation(s), each accepted by the run (not failing it):\n${body}${more}`;
    } else if (rule.applied === 0) k.skipped = 'never applied';
    return k;
  });
  add('rules', ruleCases);

  if (r.mutation.operators.length) {
    add(
      'mutation',
      r.mutation.operators.map((o): Case => {
        const k: Case = { classname: 'tlsprop.mutation', name: o.operator, ms: 0 };
        if (!o.missed) return k;
        const missed = r.mutation.missedMutants
          .filter((m) => m.operator === o.operator)
          .map(
            (m) =>
              `${m.id ?? '(mutant)'} declared [${m.declaredRules.join(', ')}]${m.seed !== undefined ? ` seed ${m.seed}` : ''}${m.path !== undefined ? ` path ${m.path}` : ''}`,
          )
          .join('\n');
        k.failure = { message: `${o.missed} of ${o.mutants} mutant(s) missed`, type: 'missed', body: missed };
        return k;
      }),
    );
  }

  const failures = all.filter((c) => c.failure).length;
  const time = secs(r.run?.durationMs ?? all.reduce((n, c) => n + (c.ms ?? 0), 0));
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${x(`${r.tool.name} ${r.tool.version}`)}" tests="${all.length}" failures="${failures}" errors="0" time="${time}">\n${suites.join('\n')}\n</testsuites>\n`;
}
