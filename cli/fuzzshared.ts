/**
 * Command-line pieces both fuzz commands share (`fuzz --target`, cli/fuzz.ts,
 * and `fuzz --listen`, cli/fuzz-listen.ts): reading `--profile`, the results
 * table with the profile's word on each conversation, and the saved-files
 * line of `--save`.
 */
import { readFileSync } from 'node:fs';
import type { ProfileStatus } from '../peer/fuzzcommon';
import { type FuzzProfile, ProfileError, parseProfile } from '../peer/profile';
import type { SavedFiles } from '../peer/save';
import type { ConversationRun } from '../reports/model';
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
  const cell = (x: TableRow) => (x.profile ? `${x.run.verdict} (${x.profile.status === 'expected-failure' ? 'expected' : 'UNEXPECTED PASS'})` : x.run.verdict);
  const cells = rows.map((x) => [x.run.path ?? '', cell(x), x.alert ?? '-', x.run.rule ?? '-', `${x.ms} ms`, x.run.name]);
  const head = ['path', 'verdict', 'alert', 'rule', 'time', 'conversation'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (c: readonly string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  return [line(head), ...cells.map(line)];
}

/** The line printed under a saved conversation. */
export function savedLine(s: SavedFiles): string {
  return `  saved: ${s.pcap} ${s.keylog}${s.json ? ` ${s.json}` : ''}`;
}
