/**
 * JUnit XML: suite `rules` (one testcase per rule; a rule with violations
 * fails with its violations, a rule never applied is skipped), suite
 * `conversations` (one testcase per failing conversation), suite `mutation`
 * (one testcase per operator, failing when a mutant was missed).
 */
import type { CoverageReport } from '../model';
import { type SecretOptions, publishable } from '../redact';
import { escapeXml as x } from './escape';

export function toJunit(report: CoverageReport, opts: SecretOptions = {}): string {
  const r = publishable(report, opts);
  const suites: string[] = [];

  const ruleCases = r.rules.map((rule) => {
    const name = `${rule.id}: ${rule.title}`;
    const open = `    <testcase classname="${x(`tlsprop.rules.${rule.group || 'undeclared'}`)}" name="${x(name)}">`;
    if (rule.violated > 0) {
      const body = rule.violations
        .map(
          (v) =>
            `${v.transcript}${v.message !== undefined ? ` #${v.message}` : ''}: ${v.detail}${v.expected !== undefined ? ` (expected ${v.expected}` : ''}${v.actual !== undefined ? `${v.expected !== undefined ? ', ' : ' ('}actual ${v.actual})` : v.expected !== undefined ? ')' : ''}`,
        )
        .join('\n');
      const more =
        rule.violationCount > rule.violations.length ? `\n... and ${rule.violationCount - rule.violations.length} more` : '';
      return `${open}\n      <failure message="${x(`${rule.violationCount} violation(s) on ${rule.violated} transcript(s)`)}" type="violation">${x(body + more)}</failure>\n    </testcase>`;
    }
    if (rule.applied === 0) return `${open}\n      <skipped message="${x('never applied')}"/>\n    </testcase>`;
    return `${open}</testcase>`;
  });
  const ruleFailures = r.rules.filter((x) => x.violated > 0).length;
  const ruleSkipped = r.rules.filter((x) => x.violated === 0 && x.applied === 0).length;
  suites.push(
    `  <testsuite name="rules" tests="${r.rules.length}" failures="${ruleFailures}" errors="0" skipped="${ruleSkipped}" timestamp="${x(r.startedAt)}">\n${ruleCases.join('\n')}\n  </testsuite>`,
  );

  const conv = r.counterexamples.filter((c) => c.kind === 'conversation');
  const convCases = conv.map(
    (c) =>
      `    <testcase classname="${x(`tlsprop.conversations.${c.target ?? ''}`)}" name="${x(`${c.role ?? ''} ${c.id}`)}">\n      <failure message="${x(`${c.verdict}${c.rules.length ? ` (${c.rules.join(', ')})` : ''}`)}" type="${x(c.verdict)}">${x(
        [c.detail, ...c.ladder, c.seed !== undefined ? `seed ${c.seed}` : '', c.path !== undefined ? `path ${c.path}` : '']
          .filter(Boolean)
          .join('\n'),
      )}</failure>\n    </testcase>`,
  );
  suites.push(
    `  <testsuite name="conversations" tests="${conv.length}" failures="${conv.length}" errors="0" skipped="0">${convCases.length ? `\n${convCases.join('\n')}\n  ` : ''}</testsuite>`,
  );

  const ops = r.mutation.operators.map((o) => {
    const open = `    <testcase classname="tlsprop.mutation" name="${x(o.operator)}">`;
    if (!o.missed) return `${open}</testcase>`;
    const missed = r.mutation.missedMutants
      .filter((m) => m.operator === o.operator)
      .map(
        (m) =>
          `${m.id ?? '(mutant)'} declared [${m.declaredRules.join(', ')}]${m.seed !== undefined ? ` seed ${m.seed}` : ''}${m.path !== undefined ? ` path ${m.path}` : ''}`,
      )
      .join('\n');
    return `${open}\n      <failure message="${x(`${o.missed} of ${o.mutants} mutant(s) missed`)}" type="missed">${x(missed)}</failure>\n    </testcase>`;
  });
  const opFailures = r.mutation.operators.filter((o) => o.missed > 0).length;
  suites.push(
    `  <testsuite name="mutation" tests="${ops.length}" failures="${opFailures}" errors="0" skipped="0">${ops.length ? `\n${ops.join('\n')}\n  ` : ''}</testsuite>`,
  );

  const tests = r.rules.length + conv.length + ops.length;
  const failures = ruleFailures + conv.length + opFailures;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${x(`${r.tool.name} ${r.tool.version}`)}" tests="${tests}" failures="${failures}" errors="0">\n${suites.join('\n')}\n</testsuites>\n`;
}
