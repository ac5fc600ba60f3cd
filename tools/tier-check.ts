/**
 * The check that every test file is in the tier its name says
 * (tools/tiers.ts), from the imports swc reads (tools/source.ts):
 *
 * - a test file no tier runs (a `*.test.ts` in spec/, a `*.spec.ts` outside it) is misplaced;
 * - a pure test imports neither child_process nor a launcher, directly or
 *   through a test helper (spec/support/, testing/, tools/);
 * - an interop test does (else it costs an interop slot for nothing).
 *
 * A launcher is a module that imports child_process, or a test helper that
 * uses a launcher. A launcher's exports that start no process (loopback
 * sockets in this process) may be imported by a pure test. What a pure test
 * reaches through production code is caught at run time (tools/pure-guard.ts).
 */
import { type ImportRef, importsOf, ROOT, sourceFiles } from './source';
import { tierOf } from './tiers';

/** Exports of a launcher module that start no process: testing/launch.ts keeps its loopback helpers beside the launchers. */
export const IN_PROCESS_HELPERS: ReadonlySet<string> = new Set([
  'LOOPBACK',
  'LoopbackListener',
  'freePort',
  'portAccepts',
  'MissingPeerError',
]);

const isChildProcess = (r: ImportRef) => r.specifier === 'child_process' || r.specifier === 'node:child_process';
/** Test-only helper modules: what they start, the test that imports them starts. */
const isSupport = (f: string) => /^(spec\/support|testing|tools)\//.test(f);

export class TierCheck {
  private readonly memo = new Map<string, string | undefined>();
  constructor(readonly root: string = ROOT) {}

  private values(f: string): ImportRef[] {
    return importsOf(f, this.root).filter((r) => !r.typeOnly);
  }

  /** Why a module starts processes (imports child_process, or is a helper using a launcher), or undefined. */
  launcher(f: string, seen = new Set<string>()): string | undefined {
    if (this.memo.has(f)) return this.memo.get(f);
    if (seen.has(f)) return undefined;
    seen.add(f);
    let why: string | undefined;
    for (const r of this.values(f)) {
      why = isChildProcess(r) ? `imports ${r.specifier}` : isSupport(f) ? this.through(r, seen) : undefined;
      if (why) break;
    }
    this.memo.set(f, why);
    return why;
  }

  /** Why importing `r` can start a process, or undefined. */
  through(r: ImportRef, seen = new Set<string>()): string | undefined {
    if (isChildProcess(r)) return `imports ${r.specifier}`;
    if (r.resolved === undefined || !/\.[cm]?[jt]s$/.test(r.resolved)) return undefined;
    const why = this.launcher(r.resolved, seen);
    if (!why) return undefined;
    const starting = r.names.filter((n) => !IN_PROCESS_HELPERS.has(n));
    if (starting.length === 0) return undefined;
    return `imports ${starting.join(', ')} from ${r.resolved}, which ${why}`;
  }

  /** Why a test file can start a process, or undefined. */
  startsProcess(test: string): string | undefined {
    for (const r of this.values(test)) {
      const why = this.through(r, new Set([test]));
      if (why) return why;
    }
    return undefined;
  }

  /** Every test file in the wrong tier, one line each. */
  problems(): string[] {
    const out: string[] = [];
    for (const f of sourceFiles(this.root)) {
      const tier = tierOf(f);
      if (tier === 'misplaced') out.push(`${f}: no tier runs it (*.test.ts beside the code, *.spec.ts in spec/)`);
      if (tier === 'pure') {
        const why = this.startsProcess(f);
        if (why) out.push(`${f}: pure, but ${why}: name it *.interop.test.ts`);
      }
      if (tier === 'interop' && this.startsProcess(f) === undefined)
        out.push(`${f}: interop, but starts no process: name it *.test.ts`);
    }
    return out;
  }
}
