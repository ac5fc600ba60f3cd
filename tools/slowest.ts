/**
 * `npm run test:slowest [N] [RESULTS.json]`: the N (default 10) slowest test
 * files of the last jest run, from jest's JSON results (written to
 * out/jest/results.json by tools/results-reporter.js, or any `jest --json`
 * output), with their tier and wall time, and the share of the run they took.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rel, ROOT } from './source';
import { tierOf } from './tiers';

/** The part of jest's JSON results this reads. */
export interface JestJson {
  startTime: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: Array<{ name: string; startTime: number; endTime: number; status: string }>;
}

export interface FileTime {
  file: string;
  tier: string;
  seconds: number;
  status: string;
}

export function slowest(results: JestJson, n: number, root = ROOT): FileTime[] {
  return results.testResults
    .map((t) => {
      const file = rel(t.name, root);
      return { file, tier: tierOf(file) ?? '-', seconds: (t.endTime - t.startTime) / 1000, status: t.status };
    })
    .sort((a, b) => b.seconds - a.seconds || a.file.localeCompare(b.file))
    .slice(0, n);
}

/** jest's file status: `focused` is every test that ran passed, some did not run (skipped, todo). */
const NOTE: Readonly<Record<string, string>> = { passed: '', focused: '  (some skipped)', failed: '  (failed)' };

export function formatSlowest(results: JestJson, n: number, root = ROOT): string {
  const rows = slowest(results, n, root);
  const total = results.testResults.reduce((s, t) => s + (t.endTime - t.startTime) / 1000, 0);
  const end = Math.max(results.startTime, ...results.testResults.map((t) => t.endTime));
  const width = Math.max(4, ...rows.map((r) => r.file.length));
  const lines = [
    `slowest ${rows.length} of ${results.testResults.length} test files (${total.toFixed(1)} s of test-file time, ${((end - results.startTime) / 1000).toFixed(1)} s wall):`,
    `${'file'.padEnd(width)}  ${'tier'.padEnd(11)}  ${'seconds'.padStart(8)}  share`,
    ...rows.map(
      (r) =>
        `${r.file.padEnd(width)}  ${r.tier.padEnd(11)}  ${r.seconds.toFixed(1).padStart(8)}  ${((100 * r.seconds) / (total || 1)).toFixed(1).padStart(4)}%${NOTE[r.status] ?? `  (${r.status})`}`,
    ),
    // The plain closing line CI logs read.
    `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`,
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const n = args[0] !== undefined && /^\d+$/.test(args[0]) ? Number(args.shift()) : 10;
  const file = args[0] ?? join(ROOT, 'out', 'jest', 'results.json');
  if (!existsSync(file)) {
    process.stderr.write(`test:slowest: no jest results at ${file}; run the tests first (npm test)\n`);
    process.exit(2);
  }
  process.stdout.write(`${formatSlowest(JSON.parse(readFileSync(file, 'utf8')) as JestJson, n)}\n`);
}
