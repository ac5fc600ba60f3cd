/**
 * `tlsprop profile --from REPORT.json`: today's failures of a report as a
 * profile (fuzz/profile.ts), each an expected failure by its conversation
 * name(s) and rule with a reason to fill in, printed on stdout. Passed back
 * with --profile, the run then fails only on what is new or on an expected
 * failure that passes.
 */
import { itemFails } from '../reports/coverage';
import { readReportFile } from '../reports/render';
import { option, type Parsed, UsageError } from './args';
import type { Io } from './main';

export const REASON_PLACEHOLDER = 'TODO: why this target fails it (or a link to the bug)';

interface Entry {
  name?: string;
  rule?: string;
  reason: string;
}

export async function profileCommand(p: Parsed, io: Io): Promise<number> {
  const from = option(p, 'from');
  if (from === undefined) throw new UsageError('--from REPORT.json is required');
  let report: ReturnType<typeof readReportFile>;
  try {
    report = readReportFile(from);
  } catch (e) {
    throw new UsageError(`--from ${from}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const only = option(p, 'target-name');
  const entries = new Map<string, Entry>();
  for (const f of report.findings)
    for (const i of f.items) {
      if (!itemFails(i) || i.verdict === 'conforming' || (only !== undefined && i.target !== only)) continue;
      // a valid handshake has no name a profile matches: it is expected by its rule alone
      const names = i.subjects?.length ? i.subjects : [undefined];
      for (const name of names) {
        const e: Entry = { reason: REASON_PLACEHOLDER };
        if (name !== undefined) e.name = name;
        if (f.rule) e.rule = f.rule;
        if (e.name === undefined && e.rule === undefined) continue;
        entries.set(`${e.name ?? ''}|${e.rule ?? ''}`, e);
      }
    }
  const targets = [...new Set(report.targets.map((t) => t.name))].filter((t) => only === undefined || t === only);
  const profile = {
    $comment: `written by tlsprop profile --from ${from} (${report.startedAt}); replace each reason`,
    ...(targets.length === 1 ? { target: targets[0] } : {}),
    expectedFailures: [...entries.values()].sort((a, b) => `${a.name}${a.rule}`.localeCompare(`${b.name}${b.rule}`)),
    disabled: [],
  };
  io.out(JSON.stringify(profile, null, 2));
  io.err(`${entries.size} expected failure(s) from ${from}; replace each "reason" before committing the profile`);
  return 0;
}
