/**
 * One learning run: the live target behind the mapper (learn/sul.ts), the
 * cached oracle, L* with Rivest–Schapire (learn/lstar.ts) and the Wp /
 * random-walk equivalence oracle (learn/equivalence.ts), a final
 * determinism check (every transition of the learned machine asked once
 * more), and the figures of the run. The result is plain data: the
 * machine, what it cost, and every non-determinism seen.
 */
import { type AlphabetName, alphabet, type InputSymbol, type TargetRole } from './alphabet';
import { DEFAULT_EQUIVALENCE, type EquivalenceOptions, WpEquivalence } from './equivalence';
import { LStar } from './lstar';
import { accessWords, type Mealy, toJson, type MealyJson } from './mealy';
import { Budget, CachedOracle, type NondeterminismEvent } from './oracle';
import { LiveSul, type SulOptions, timingCause } from './sul';
import type { TlsVersion } from '../wire/vocabulary';

export interface LearnOptions {
  /** What the target is, for the report (e.g. `127.0.0.1:4433` or the client command). */
  target: string;
  sul: SulOptions;
  /** The input alphabet (default: the default alphabet of the role and version). */
  inputs?: InputSymbol[];
  /** Wall-clock budget (ms). */
  budgetMs: number;
  /** Stop after this many queries to the target (tests bound learning by queries, not time). */
  maxQueries?: number;
  equivalence?: Partial<EquivalenceOptions>;
  /** Answers asked again to settle a contradiction (default 4). */
  repeats?: number;
  /** Ask every transition of the learned machine once more at the end (default true). */
  recheck?: boolean;
  log?: (line: string) => void;
}

export interface LearnStats {
  states: number;
  /** Queries sent to the target (each one reset: a new connection / client process). */
  membershipQueries: number;
  /** Inputs sent in them. */
  symbols: number;
  /** Words answered from the cache or a closed prefix without asking. */
  cacheHits: number;
  /** Queries repeated to settle or check non-determinism. */
  repeats: number;
  /** Hypotheses submitted to the equivalence oracle. */
  equivalenceQueries: number;
  /** Test words the equivalence oracle asked. */
  equivalenceTests: number;
  counterexamples: number;
  wallSeconds: number;
  queriesPerSecond: number;
  /** The silence window at the end (ms) and the largest answer latency seen (ms). */
  silenceMs: number;
  maxLatencyMs: number;
  workers: number;
}

export interface LearnResult {
  target: string;
  role: TargetRole;
  version: TlsVersion;
  inputs: InputSymbol[];
  machine: Mealy<InputSymbol>;
  stats: LearnStats;
  /** The equivalence oracle accepted the final hypothesis within the budget. */
  complete: boolean;
  deterministic: boolean;
  nondeterminism: NondeterminismEvent[];
  /** Transitions whose answer changed in the final determinism check. */
  recheckDiffered: number;
  counterexamples: InputSymbol[][];
}

/** A learned machine on disk (`--report DIR` writes it; `--compare A.json B.json` reads two). */
export interface LearnedJson {
  format: 'tlsprop-learned/1';
  target: string;
  role: TargetRole;
  version: TlsVersion;
  complete: boolean;
  deterministic: boolean;
  stats: LearnStats;
  machine: MealyJson;
}

export function learnedJson(r: LearnResult): LearnedJson {
  return {
    format: 'tlsprop-learned/1',
    target: r.target,
    role: r.role,
    version: r.version,
    complete: r.complete,
    deterministic: r.deterministic,
    stats: r.stats,
    machine: toJson(r.machine),
  };
}

export function defaultInputs(role: TargetRole, version: TlsVersion, withIdentity: boolean, name: AlphabetName = 'default') {
  return alphabet(name, role, version, withIdentity);
}

export async function learnTarget(o: LearnOptions): Promise<LearnResult> {
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const sul = await LiveSul.start(o.sul);
  try {
    const inputs = o.inputs ?? defaultInputs(o.sul.role, o.sul.version, o.sul.mapper.identity !== undefined);
    const oracle = new CachedOracle<InputSymbol>(
      { workers: sul.workers, query: async (w, worker) => (await sul.query(w, worker)).outputs },
      {
        repeats: o.repeats ?? 4,
        onConflict: (variants) => {
          const cause = timingCause(variants);
          if (cause) sul.timing.widen(cause);
        },
        onNondeterminism: (e) =>
          log(
            `non-determinism on ${e.word.join(' ')}: ${e.answers.map((a) => `${a.outputs.at(-1)} x${a.count}`).join(', ')}; kept ${e.kept.at(-1)}${e.unclear ? ' (no clear majority)' : ''}`,
          ),
      },
    );
    const budget = new Budget(started + o.budgetMs, o.maxQueries).watch(oracle);
    const eq = new WpEquivalence(oracle, { ...DEFAULT_EQUIVALENCE, ...o.equivalence }, budget);
    const learner = new LStar(inputs, oracle);
    const progress = setInterval(
      () =>
        log(
          `${((Date.now() - started) / 1000).toFixed(0)} s: ${oracle.stats.queries} queries, ${eq.tests} tests, silence ${sul.timing.silenceMs} ms`,
        ),
      15_000,
    );
    let r: Awaited<ReturnType<LStar<InputSymbol>['learn']>>;
    try {
      r = await learner.learn(eq, budget);
    } finally {
      clearInterval(progress);
    }
    let machine = r.machine;
    let differed = 0;
    if ((o.recheck ?? true) && !budget.exceeded) {
      // the determinism check: every transition of the learned machine once more
      const acc = accessWords(machine);
      const words = acc.flatMap((a) => inputs.map((i) => [...a, i]));
      differed = await oracle.recheck(words);
      if (differed) {
        log(`${differed} transition(s) answered differently when asked again: learning again from the settled answers`);
        r = await learner.learn(eq, budget);
        machine = r.machine;
      }
    }
    const wallSeconds = (Date.now() - started) / 1000;
    const stats: LearnStats = {
      states: machine.size,
      membershipQueries: oracle.stats.queries,
      symbols: oracle.stats.symbols,
      cacheHits: oracle.stats.cacheHits,
      repeats: oracle.stats.repeats,
      equivalenceQueries: r.equivalenceQueries,
      equivalenceTests: eq.tests,
      counterexamples: r.counterexamples.length,
      wallSeconds,
      queriesPerSecond: oracle.stats.queries / Math.max(wallSeconds, 0.001),
      silenceMs: sul.timing.silenceMs,
      maxLatencyMs: Math.round(sul.timing.maxLatencyMs * 10) / 10,
      workers: sul.workers,
    };
    return {
      target: o.target,
      role: o.sul.role,
      version: o.sul.version,
      inputs,
      machine,
      stats,
      complete: !r.stoppedByBudget && !eq.incomplete,
      deterministic: oracle.events.length === 0,
      nondeterminism: oracle.events,
      recheckDiffered: differed,
      counterexamples: r.counterexamples,
    };
  } finally {
    await sul.close();
  }
}
