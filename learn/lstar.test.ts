/**
 * The learner on known machines: L* with Rivest–Schapire counterexamples
 * and the Wp equivalence oracle must learn random Mealy machines exactly
 * (checked by a separating-word search against the target), use the cache
 * and the closed-connection shortcut, and settle a non-deterministic answer
 * by majority while reporting it.
 */
import fc from 'fast-check';
import { CLOSED } from './alphabet';
import { DEFAULT_EQUIVALENCE, prng, WpEquivalence } from './equivalence';
import { LStar } from './lstar';
import { fromJson, type Mealy, minimize, run, separatingWord, toDot, toJson } from './mealy';
import { Budget, CachedOracle, type QueryTarget } from './oracle';

type In = 'a' | 'b' | 'c' | 'd';
const INPUTS: In[] = ['a', 'b', 'c', 'd'];

/** A random complete machine; state `size-1` is a closed sink reached with a `closed` output. */
function randomMachine(seed: number, size: number): Mealy<In> {
  const rnd = prng(seed);
  const sink = size - 1;
  const next: number[][] = [];
  const out: string[][] = [];
  for (let q = 0; q < size; q++) {
    if (q === sink) {
      next.push(INPUTS.map(() => sink));
      out.push(INPUTS.map(() => CLOSED));
      continue;
    }
    const n: number[] = [];
    const o: string[] = [];
    for (let i = 0; i < INPUTS.length; i++) {
      const t = Math.floor(rnd() * size);
      n.push(t);
      o.push(t === sink ? `alert(unexpected_message)+${CLOSED}` : `o${Math.floor(rnd() * 3)}`);
    }
    next.push(n);
    out.push(o);
  }
  return { inputs: INPUTS, size, next, out };
}

function targetOf(m: Mealy<In>, workers = 3): QueryTarget<In> & { asked: number } {
  const t = {
    workers,
    asked: 0,
    async query(word: readonly In[]): Promise<string[]> {
      t.asked++;
      return run(m, word).outputs;
    },
  };
  return t;
}

async function learn(m: Mealy<In>, depth = 1) {
  const target = targetOf(m);
  const oracle = new CachedOracle<In>(target, { repeats: 4 });
  const budget = Budget.unlimited();
  const eq = new WpEquivalence(oracle, { ...DEFAULT_EQUIVALENCE, depth, randomWalks: 50 }, budget);
  const r = await new LStar(INPUTS, oracle).learn(eq, budget);
  return { r, oracle, target, eq };
}

describe('L* with Rivest–Schapire and the Wp equivalence oracle', () => {
  it('learns random machines of up to 8 states exactly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 2, max: 8 }), async (seed, size) => {
        const m = minimize(randomMachine(seed, size));
        const { r } = await learn(m, 2);
        expect(separatingWord(r.machine, 0, m, 0)).toBeUndefined();
        expect(r.machine.size).toBe(m.size);
        expect(r.stoppedByBudget).toBe(false);
      }),
      { numRuns: Number(process.env['TLSPROP_LEARN_RUNS'] ?? 25) },
    );
  });

  it('answers words past a closed output without asking the target', async () => {
    const m = minimize(randomMachine(7, 5));
    const target = targetOf(m);
    const oracle = new CachedOracle<In>(target, { repeats: 2 });
    // find a word that closes
    const closing = (['a', 'b', 'c', 'd'] as In[]).flatMap((x) => (['a', 'b', 'c', 'd'] as In[]).map((y) => [x, y]));
    const w = closing.find((x) => run(m, x).outputs.some((o) => o.endsWith(CLOSED)));
    expect(w).toBeDefined();
    await oracle.answer([w!]);
    const asked = target.asked;
    const longer = [...w!, 'a', 'b', 'c'] as In[];
    const o = await oracle.answer([longer]);
    expect(target.asked).toBe(asked);
    expect(o[0]!.slice(-3)).toEqual([CLOSED, CLOSED, CLOSED]);
  });

  it('asks a batch once per word that no other word of the batch extends', async () => {
    const m = minimize(randomMachine(11, 6));
    const target = targetOf(m);
    const oracle = new CachedOracle<In>(target, { repeats: 2 });
    await oracle.answer([['a'], ['a', 'b'], ['a', 'b', 'c'], ['b']]);
    expect(oracle.stats.queries).toBeLessThanOrEqual(2);
  });

  it('settles a non-deterministic answer by majority and reports it', async () => {
    const m = minimize(randomMachine(3, 5));
    let flips = 0;
    const target: QueryTarget<In> = {
      workers: 1,
      async query(word) {
        const o = run(m, word).outputs;
        // the 2nd query ever answers its first output wrongly (a late answer, say)
        flips++;
        if (flips === 2 && o.length) o[0] = 'late';
        return o;
      },
    };
    const oracle = new CachedOracle<In>(target, { repeats: 4 });
    await oracle.answer([['a', 'b']]);
    await oracle.answer([['a', 'c']]);
    // the second answer contradicted the first on 'a': settled, majority is the machine's answer
    expect(oracle.events).toHaveLength(1);
    expect(oracle.events[0]!.kept).toEqual([run(m, ['a']).outputs[0]]);
    expect(oracle.lookup(['a'])).toEqual(run(m, ['a']).outputs);
  });

  it('rechecks words again, settles the ones that changed, and skips the answers a settlement dropped', async () => {
    const m = minimize(randomMachine(3, 5));
    let phase = 0;
    const target: QueryTarget<In> = {
      workers: 1,
      async query(word) {
        const o = run(m, word).outputs;
        // from the recheck on, the first output of every word is another one (the target changed)
        if (phase > 0 && o.length) o[0] = 'changed';
        return o;
      },
    };
    const oracle = new CachedOracle<In>(target, { repeats: 2 });
    const words: In[][] = [['a'], ['a', 'b'], ['a', 'c'], ['b']];
    await oracle.answer(words);
    phase = 1;
    const differed = await oracle.recheck(words);
    expect(differed).toBeGreaterThan(0);
    expect(oracle.lookup(['a'])).toEqual(['changed']);
    expect(oracle.revision).toBeGreaterThan(0);
  });

  it('round-trips a machine through JSON and draws it as DOT', () => {
    const m = minimize(randomMachine(5, 4));
    const back = fromJson(JSON.parse(JSON.stringify(toJson(m))));
    expect(separatingWord(back, 0, m, 0)).toBeUndefined();
    const dot = toDot(m);
    expect(dot).toContain('digraph');
    expect(dot.match(/->/g)!.length).toBeGreaterThanOrEqual(m.size);
  });
});
