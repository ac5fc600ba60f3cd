/** A Markdown summary for a CI job summary ($GITHUB_STEP_SUMMARY and the like). */
import type { CoverageReport } from '../model';
import { type SecretOptions, publishable } from '../redact';
import { pct } from './escape';

/** Table cells: no pipes or newlines, no HTML. */
function cell(s: string | number): string {
  return String(s)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export interface MarkdownOptions extends SecretOptions {
  /** How many unexercised transitions to list per machine (default 10). */
  topUnexercised?: number;
}

export function toMarkdown(report: CoverageReport, opts: MarkdownOptions = {}): string {
  const r = publishable(report, opts);
  const s = r.summary;
  const L: string[] = [];
  L.push(`## ${s.ok ? '✅' : '❌'} ${cell(r.tool.name)} ${cell(r.tool.version)} conformance report`, '');
  L.push(`Started ${cell(r.startedAt)}.`, '');
  L.push('| | |', '| --- | --- |');
  L.push(`| rules declared | ${s.rules} |`);
  L.push(`| rules applied | ${s.rulesApplied} (${pct(s.rulesApplied, s.rules)}) |`);
  L.push(`| rules with violations | ${s.rulesViolated} |`);
  L.push(`| rules proven by a mutant | ${s.rulesProven} (${pct(s.rulesProven, s.rules)}) |`);
  L.push(`| rules passed by a valid transcript | ${s.rulesPassedByValid} |`);
  L.push(`| transcripts | ${s.transcripts} |`);
  L.push(
    `| verdicts | ${s.verdicts.pass} pass, ${s.verdicts.violation} violation, ${s.verdicts.inconclusive} inconclusive, ${s.verdicts['not-applicable']} n/a |`,
  );
  L.push(
    `| mutants | ${s.mutants}: ${s.mutantsCaught} caught, ${s.mutantsCaughtOtherwise} caught otherwise, ${s.mutantsMissed} missed |`,
  );
  L.push(`| conversations | ${s.conversations} (${s.conversationsFailing} failing) |`);
  L.push(
    `| transitions exercised | ${s.transitionsExercised} / ${s.transitionsTotal} (${pct(s.transitionsExercised, s.transitionsTotal)}) |`,
  );
  L.push(`| counterexamples | ${s.counterexamples} |`, '');

  if (r.mutation.operators.length) {
    L.push('### Mutation score', '');
    L.push('| operator | mutants | caught | caught otherwise | missed | score |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const o of r.mutation.operators)
      L.push(
        `| ${cell(o.operator)} | ${o.mutants} | ${o.caught} | ${o.caughtOtherwise} | ${o.missed} | ${pct(o.caught, o.mutants)} |`,
      );
    const m = r.mutation;
    L.push(`| **total** | ${m.mutants} | ${m.caught} | ${m.caughtOtherwise} | ${m.missed} | ${pct(m.caught, m.mutants)} |`, '');
  }

  const bad = r.rules.filter((x) => x.violated > 0);
  if (bad.length) {
    L.push('### Rules with violations', '');
    L.push('| rule | transcripts | violations | expected alert | first |', '| --- | ---: | ---: | --- | --- |');
    for (const x of bad) {
      const v = x.violations[0];
      const alerts = x.alerts.map((a, i) => (i === 0 ? a.alert : `or ${a.alert} (${a.rfc})`)).join(', ');
      L.push(
        `| \`${cell(x.id)}\` | ${x.violated} | ${x.violationCount} | ${cell(alerts)} | ${v ? cell(`${v.transcript}: ${v.detail}`) : ''} |`,
      );
    }
    L.push('');
  }

  const conv = r.counterexamples.filter((c) => c.kind === 'conversation');
  if (conv.length) {
    L.push('### Failing conversations', '');
    L.push('| conversation (target role name) | verdict | rule | replay |', '| --- | --- | --- | --- |');
    for (const c of conv) {
      const replay = [c.seed !== undefined ? `seed ${c.seed}` : '', c.path !== undefined ? `path ${c.path}` : '']
        .filter(Boolean)
        .join(', ');
      L.push(`| ${cell(c.id)} | ${cell(c.verdict)} | ${cell(c.rules.join(', '))} | ${cell(replay)} |`);
    }
    L.push('');
  }

  const top = opts.topUnexercised ?? 10;
  const machines = r.stateMachines.filter((m) => m.unexercised.length);
  if (machines.length) {
    L.push('### Unexercised transitions', '');
    for (const m of machines) {
      L.push(`**${cell(m.machine)}**: ${m.exercised} / ${m.total} exercised`, '');
      for (const t of m.unexercised.slice(0, top)) L.push(`- \`${cell(t.from)}\` --${cell(t.via)}--> \`${cell(t.to)}\``);
      if (m.unexercised.length > top) L.push(`- … and ${m.unexercised.length - top} more`);
      L.push('');
    }
  }
  return `${L.join('\n')}\n`;
}
