/** A Markdown summary for a CI job summary ($GITHUB_STEP_SUMMARY and the like). */
import { itemFails } from '../coverage';
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
  const run = r.run;
  L.push(
    run
      ? `\`tlsprop ${cell([run.command.split(' ')[0] ?? run.command, ...run.argv.filter((a) => a !== run.command.split(' ')[0])].join(' '))}\`, started ${cell(r.startedAt)}, ${(run.durationMs / 1000).toFixed(1)} s${run.seed !== undefined ? `, seed ${run.seed}` : ''}; ${cell(run.platform)}.`
      : `Started ${cell(r.startedAt)}.`,
    '',
  );
  if (r.targets.length) {
    L.push('| target | role | probed | conversations | failing | result |', '| --- | --- | --- | ---: | ---: | --- |');
    for (const t of r.targets) {
      const probed = t.probed
        ? `${t.probed.versions.map((v) => `TLS ${v}`).join(', ')}; ${t.probed.suites.length} suites${t.probed.certificateRequested ? '; asks for a client cert' : ''}`
        : '';
      const verdicts = t.verdicts.map((v) => `${v.count} ${v.verdict}`).join(', ');
      L.push(
        `| ${cell(t.name)} | ${t.role} | ${cell(probed)} | ${t.conversations}${verdicts ? ` (${cell(verdicts)})` : ''} | ${t.failing}${t.expectedFailures ? ` (+${t.expectedFailures} expected)` : ''} | ${t.error !== undefined ? `error: ${cell(t.error)}` : t.ok ? '✅' : '❌'} |`,
      );
    }
    L.push('');
    for (const t of r.targets) for (const h of t.hints ?? []) L.push(`> **hint (${cell(t.name)})**: ${cell(h)}`, '');
  }
  if (r.baseline) {
    const b = r.baseline;
    L.push(
      `**Against the baseline** \`${cell(b.file)}\`: ${b.newFailures.length} new failure(s), ${b.fixed.length} fixed, ${b.unchanged.length} unchanged.`,
      '',
    );
    for (const k of b.newFailures) L.push(`- 🆕 ${cell(k.key)}`);
    for (const k of b.fixed) L.push(`- ✔️ fixed: ${cell(k.key)}`);
    if (b.newFailures.length || b.fixed.length) L.push('');
  }
  const failing = r.findings.map((f) => ({ f, items: f.items.filter(itemFails) })).filter((x) => x.items.length);
  const accepted = r.findings.reduce((n, f) => n + f.items.filter((i) => i.accepted !== undefined).length, 0);
  if (failing.length) {
    L.push('### Findings', '');
    L.push('| rule | RFC | where | verdict | what | replay |', '| --- | --- | --- | --- | --- | --- |');
    for (const { f, items } of failing)
      for (const i of items.slice(0, 10))
        L.push(
          `| \`${cell(f.rule || '-')}\` | ${cell(f.rfc.join('; '))} | ${cell(`${i.target}: ${i.name}`)} | ${cell(i.verdict)}${i.alert ? ` (${cell(i.alert)})` : ''}${i.baseline === 'new' ? ' 🆕' : ''} | ${i.sent ? `${cell(`we sent: ${i.sent}`)}<br>` : ''}${cell(i.detail)} | ${i.replay ? `\`${cell(i.replay)}\`` : ''} |`,
        );
    L.push('');
  }
  if (accepted)
    L.push(
      `${accepted} rule violation(s) did not fail the run: their conversations conformed to what the run expected of the peer (--strictness, or silence allowed); index.html lists them.`,
      '',
    );
  if (r.profile) {
    const pu = r.profile;
    L.push(
      `Profile${pu.file ? ` \`${cell(pu.file)}\`` : ''}: ${pu.expectedFailures} expected failure(s), ${pu.alertMapped} alert(s) mapped, ${pu.unexpectedPasses} unexpected pass(es)${pu.disabled.length ? `; disabled: ${cell(pu.disabled.join('; '))}` : ''}.`,
      '',
    );
  }
  L.push('| | |', '| --- | --- |');
  L.push(`| rules declared | ${s.rules} |`);
  L.push(`| rules applied | ${s.rulesApplied} (${pct(s.rulesApplied, s.rules)}) |`);
  L.push(`| rules with violations | ${s.rulesViolated} |`);
  // what the run did not do is left out: no mutants (a capture check), no live conversation, no transition walked
  if (s.mutants > 0) L.push(`| rules proven by a mutant | ${s.rulesProven} (${pct(s.rulesProven, s.rules)}) |`);
  L.push(`| rules passed by a valid transcript | ${s.rulesPassedByValid} |`);
  L.push(`| transcripts | ${s.transcripts} |`);
  L.push(
    `| verdicts | ${s.verdicts.pass} pass, ${s.verdicts.violation} violation, ${s.verdicts.inconclusive} inconclusive, ${s.verdicts['not-applicable']} n/a |`,
  );
  if (s.mutants > 0)
    L.push(
      `| mutants | ${s.mutants}: ${s.mutantsCaught} caught, ${s.mutantsCaughtOtherwise} caught otherwise, ${s.mutantsMissed} missed |`,
    );
  if (s.conversations > 0) L.push(`| conversations | ${s.conversations} (${s.conversationsFailing} failing) |`);
  if (s.transitionsExercised > 0)
    L.push(
      `| transitions exercised | ${s.transitionsExercised} / ${s.transitionsTotal} (${pct(s.transitionsExercised, s.transitionsTotal)}) |`,
    );
  L.push(`| counterexamples | ${s.counterexamples} |`);
  L.push(`| failures | ${s.failures}${s.newFailures !== undefined ? ` (${s.newFailures} new)` : ''} |`, '');
  const weak = r.sections.filter((x) => x.violated > 0);
  if (weak.length) {
    L.push('### RFC sections with violated rules', '');
    L.push('| section | rules applied | held | violated | score |', '| --- | ---: | ---: | ---: | ---: |');
    for (const x of weak)
      L.push(
        `| [${cell(x.section)}](${x.href ?? ''}) | ${x.applied} | ${x.passed} | ${x.violated} | ${pct(x.passed, x.applied)} |`,
      );
    L.push('');
  }

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
  const machines = s.transitionsExercised > 0 ? r.stateMachines.filter((m) => m.unexercised.length) : [];
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
