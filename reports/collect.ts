/**
 * How specs hand data to the jest reporter (reports/jest-reporter.ts): each
 * call appends one JSON line (a `RunFragment`, a part of a RunInput) to
 * `<dir>/fragments-<pid>-<worker>.jsonl`; the reporter reads every such file
 * of the directory at the end of the run and merges the fragments.
 *
 *     import { recordFragment, runDir } from '../reports/collect';
 *     const dir = runDir();                       // TLSPROP_REPORT_DIR or out/run
 *     recordFragment(dir, { transcripts: [{ id, provenance, verdicts, config }] });
 *     recordFragment(dir, { mutants: [{ operator: 'drop', declaredRules: [...], verdicts }] });
 *
 * Appends of one line are atomic enough for one writer per file: each jest
 * worker writes its own file (pid + JEST_WORKER_ID).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { machinesFromOracles } from './coverage';
import type { MachineTable, RunInput } from './model';

export type RunFragment = Partial<RunInput>;

export const DEFAULT_RUN_DIR = join('out', 'run');
export const FRAGMENT_PREFIX = 'fragments-';

/** The fragment directory: `TLSPROP_REPORT_DIR`, else `out/run` under `cwd`. */
export function runDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return resolve(cwd, env['TLSPROP_REPORT_DIR'] || DEFAULT_RUN_DIR);
}

export function recordFragment(dir: string, fragment: RunFragment, env: NodeJS.ProcessEnv = process.env): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${FRAGMENT_PREFIX}${process.pid}-${env['JEST_WORKER_ID'] ?? '0'}.jsonl`);
  appendFileSync(file, `${JSON.stringify(fragment)}\n`);
  return file;
}

export function fragmentFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(FRAGMENT_PREFIX) && f.endsWith('.jsonl'))
    .sort()
    .map((f) => join(dir, f));
}

export function readFragments(dir: string): RunFragment[] {
  const out: RunFragment[] = [];
  for (const f of fragmentFiles(dir)) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as RunFragment);
      } catch {
        // a torn last line of a crashed worker: skipped
      }
    }
  }
  return out;
}

export function clearFragments(dir: string): void {
  for (const f of fragmentFiles(dir)) rmSync(f, { force: true });
}

/**
 * One RunInput from fragments: lists concatenated, rules and state machine
 * tables deduplicated by id (first wins); the oracles' machines when no
 * fragment gave any.
 */
export function combineFragments(fragments: readonly RunFragment[], defaults: Pick<RunInput, 'tool' | 'startedAt'>): RunInput {
  const rules = new Map<string, RunInput['rules'][number]>();
  const machines = new Map<string, MachineTable>();
  const input: RunInput = {
    tool: defaults.tool,
    startedAt: defaults.startedAt,
    rules: [],
    transcripts: [],
    mutants: [],
    conversations: [],
  };
  for (const f of fragments) {
    if (f.tool) input.tool = f.tool;
    if (f.startedAt && f.startedAt < input.startedAt) input.startedAt = f.startedAt;
    for (const r of f.rules ?? []) if (!rules.has(r.id)) rules.set(r.id, r);
    for (const m of f.stateMachines ?? []) if (!machines.has(m.machine)) machines.set(m.machine, m);
    input.transcripts.push(...(f.transcripts ?? []));
    input.mutants.push(...(f.mutants ?? []));
    input.conversations!.push(...(f.conversations ?? []));
  }
  input.rules = [...rules.values()];
  input.stateMachines = machines.size ? [...machines.values()] : machinesFromOracles();
  return input;
}
