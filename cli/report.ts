/**
 * `tlsprop report merge --out DIR [--include-secrets] REPORT.json...`:
 * combine the reports of jest shards (`report.shard-i-of-n.json`) into one,
 * written as report.json, junit.xml, summary.md and index.html.
 */
import { mergeReportFiles, renderReports } from '../reports/render';
import { option, type Parsed, UsageError } from './args';
import type { Io } from './main';

export async function reportCommand(p: Parsed, io: Io): Promise<number> {
  const [sub, ...files] = p.positional;
  if (sub !== 'merge') throw new UsageError('usage: tlsprop report merge --out DIR REPORT.json...');
  const out = option(p, 'out');
  if (!out) throw new UsageError('report merge needs --out DIR');
  if (!files.length) throw new UsageError('report merge needs one or more report JSON files');
  let report: ReturnType<typeof mergeReportFiles>;
  try {
    report = mergeReportFiles(files);
  } catch (e) {
    throw new UsageError(`cannot merge: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  for (const f of renderReports(report, { outDir: out, includeSecrets: p.flags.has('include-secrets') })) io.out(`written: ${f}`);
  return 0;
}
