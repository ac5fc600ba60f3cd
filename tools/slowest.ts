/**
 * `npm run test:slowest [N] [RESULTS.json] [--write-durations]`: the N (default 10) slowest test
 * files of the last jest run, from jest's JSON results (written to
 * out/jest/results.json by tools/results-reporter.js, or any `jest --json`
 * output), with their tier and wall time, the share of the run they took, and
 * the jest worker's CPU time in each file when tools/watchdog.ts recorded it
 * (cpu.jsonl beside the results). `--write-durations` also writes the wall time
 * of every file of 2 s or more to tools/test-durations.json, the table
 * tools/sequencer.js orders a run without jest's cache by (a clean clone, CI).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
  /** The jest worker's CPU seconds in this file (absent: not recorded). */
  cpu?: number;
}

/**
 * CPU seconds per file from cpu.jsonl lines (`{file, cpuMs, childMs, wallMs}`, tools/watchdog.ts): the jest worker's
 * own plus its reaped children's (peers, tools, the CLI). The last line of a file wins.
 */
export function readCpu(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { file: string; cpuMs: number; childMs?: number };
    m.set(r.file, (r.cpuMs + (r.childMs ?? 0)) / 1000);
  }
  return m;
}

export function slowest(results: JestJson, n: number, root = ROOT, cpu?: ReadonlyMap<string, number>): FileTime[] {
  return results.testResults
    .map((t) => {
      const file = rel(t.name, root);
      const c = cpu?.get(file);
      return {
        file,
        tier: tierOf(file) ?? '-',
        seconds: (t.endTime - t.startTime) / 1000,
        status: t.status,
        ...(c === undefined ? {} : { cpu: c }),
      };
    })
    .sort((a, b) => b.seconds - a.seconds || a.file.localeCompare(b.file))
    .slice(0, n);
}

/** tools/test-durations.json: wall seconds of every file that took 2 s or more, by path. */
export function durations(results: JestJson, root = ROOT): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of slowest(results, results.testResults.length, root)) if (t.seconds >= 2) out[t.file] = Math.round(t.seconds);
  return out;
}

/** jest's file status: `focused` is every test that ran passed, some did not run (skipped, todo). */
const NOTE: Readonly<Record<string, string>> = { passed: '', focused: '  (some skipped)', failed: '  (failed)' };

export function formatSlowest(results: JestJson, n: number, root = ROOT, cpu?: ReadonlyMap<string, number>): string {
  const rows = slowest(results, n, root, cpu);
  const total = results.testResults.reduce((s, t) => s + (t.endTime - t.startTime) / 1000, 0);
  const end = Math.max(results.startTime, ...results.testResults.map((t) => t.endTime));
  const width = Math.max(4, ...rows.map((r) => r.file.length));
  const lines = [
    `slowest ${rows.length} of ${results.testResults.length} test files (${total.toFixed(1)} s of test-file time, ${((end - results.startTime) / 1000).toFixed(1)} s wall):`,
    `${'file'.padEnd(width)}  ${'tier'.padEnd(11)}  ${'seconds'.padStart(8)}  share${cpu ? '   cpu s' : ''}`,
    ...rows.map(
      (r) =>
        `${r.file.padEnd(width)}  ${r.tier.padEnd(11)}  ${r.seconds.toFixed(1).padStart(8)}  ${((100 * r.seconds) / (total || 1)).toFixed(1).padStart(4)}%${cpu ? (r.cpu === undefined ? '        -' : r.cpu.toFixed(1).padStart(9)) : ''}${NOTE[r.status] ?? `  (${r.status})`}`,
    ),
    ...(cpu
      ? [
          `CPU of the files (workers and their processes): ${[...cpu.values()].reduce((a, b) => a + b, 0).toFixed(1)} s in ${cpu.size} files`,
        ]
      : []),
    // The plain closing line CI logs read.
    `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`,
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const write = args.includes('--write-durations');
  if (write) args.splice(args.indexOf('--write-durations'), 1);
  const n = args[0] !== undefined && /^\d+$/.test(args[0]) ? Number(args.shift()) : 10;
  const file = args[0] ?? join(ROOT, 'out', 'jest', 'results.json');
  if (!existsSync(file)) {
    process.stderr.write(`test:slowest: no jest results at ${file}; run the tests first (npm test)\n`);
    process.exit(2);
  }
  const results = JSON.parse(readFileSync(file, 'utf8')) as JestJson;
  const cpuFile = join(dirname(file), 'cpu.jsonl');
  const cpu = existsSync(cpuFile) ? readCpu(readFileSync(cpuFile, 'utf8')) : undefined;
  process.stdout.write(`${formatSlowest(results, n, ROOT, cpu)}\n`);
  if (write) {
    const target = join(ROOT, 'tools', 'test-durations.json');
    writeFileSync(target, `${JSON.stringify(durations(results), null, 2)}\n`);
    process.stdout.write(`wrote ${rel(target)}\n`);
  }
}
