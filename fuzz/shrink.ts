/**
 * Shrink: a failure of a live run replayed by its fast-check path (with the
 * run's seed and coverage examples, so the path means the same as in the
 * run) and shrunk with the real predicate, each candidate a live
 * conversation, within a budget.
 */
import fc from 'fast-check';

/** What shrinkAtPath found: whether the value at the path failed again, and the smallest failing value's result and path. */
export interface Shrunk<R> {
  /** The replay of the value at the path failed the same way (a flaky peer does not). */
  reproduced: boolean;
  /** The last (smallest) failing attempt's result and the fast-check path that replays it; absent when nothing failed. */
  smallest?: { result: R; path: string };
  /** Live conversations run, the replay included. */
  runs: number;
}

/**
 * Shrink a failure of a run live: fast-check replays the value at `path` (with the run's seed and coverage
 * examples, so the path means the same as in the run) and shrinks it, `attempt` running each candidate and
 * returning its result when it fails the same way (undefined: it does not). At most `budget` attempts, the
 * replay included (it always runs). A candidate that throws (cannot be built or run) is not the same failure.
 */
export async function shrinkAtPath<V, R>(
  arb: fc.Arbitrary<V>,
  at: { seed: number; path: string; examples: [V][]; budget: number },
  attempt: (value: V) => Promise<R | undefined>,
): Promise<Shrunk<R>> {
  let runs = 0;
  let first = true;
  let reproduced = false;
  let last: R | undefined;
  const predicate = async (value: V): Promise<boolean> => {
    if (!first && runs >= at.budget) return true;
    const replay = first;
    first = false;
    runs++;
    let failed: R | undefined;
    try {
      failed = await attempt(value);
    } catch {
      return true;
    }
    if (replay) reproduced = failed !== undefined;
    if (failed !== undefined) last = failed;
    return failed === undefined;
  };
  const details = await fc.check(fc.asyncProperty(arb, predicate), {
    seed: at.seed,
    path: at.path,
    numRuns: 1,
    examples: at.examples,
  });
  const out: Shrunk<R> = { reproduced, runs };
  if (details.failed && last !== undefined && details.counterexamplePath)
    out.smallest = { result: last, path: details.counterexamplePath };
  return out;
}
