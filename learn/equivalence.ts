/**
 * The equivalence oracle: a conformance test suite from the hypothesis,
 * run against the target through the cached oracle.
 *
 * - Wp-method (Fujiwara et al. 1991) to a bounded depth k: the state cover
 *   followed by the characterizing set W, then every word of the state cover
 *   followed by up to k inputs and one more input, followed by the
 *   identification set W_q of the state q it reaches (the separating words
 *   between q and each other state). It finds every faulty target with at
 *   most k more states than the hypothesis.
 * - Random walks from random states (seeded), for what lies deeper.
 *
 * A test is cut where the hypothesis answers `closed`: past a closed
 * connection the target can only answer `closed` too, so nothing further
 * can disagree. Tests run shortest first, in batches over the workers, and
 * the first batch with a disagreement returns its shortest counterexample.
 */
import { isClosed } from './alphabet';
import type { EquivalenceOracle } from './lstar';
import { accessWords, type Mealy, run, separatingWord } from './mealy';
import type { Budget, CachedOracle } from './oracle';

export interface EquivalenceOptions {
  /** Extra states the Wp-method allows for (the middle words' length). */
  depth: number;
  /** Random walks per equivalence query. */
  randomWalks: number;
  /** Mean length of a random walk (geometric). */
  walkLength: number;
  seed: number;
  /** Tests asked per batch. */
  batch: number;
}

export const DEFAULT_EQUIVALENCE: EquivalenceOptions = { depth: 1, randomWalks: 100, walkLength: 8, seed: 1, batch: 96 };

/** Small seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class WpEquivalence<I extends string> implements EquivalenceOracle<I> {
  /** Test words asked over all equivalence queries. */
  tests = 0;
  /** The last equivalence query ran out of budget before its suite was done. */
  incomplete = false;
  private round = 0;

  constructor(
    private readonly oracle: CachedOracle<I>,
    private readonly opts: EquivalenceOptions,
    private readonly budget: Budget,
  ) {}

  /** The test words for a hypothesis, cut at its first `closed`, without duplicates, shortest first. */
  suite(h: Mealy<I>): I[][] {
    const cut = (w: I[]): I[] => {
      const o = run(h, w).outputs;
      const i = o.findIndex(isClosed);
      return i < 0 ? w : w.slice(0, i + 1);
    };
    const access = accessWords(h);
    const pairs = new Map<string, I[]>();
    const sep = (p: number, q: number): I[] | undefined => {
      const k = p < q ? `${p},${q}` : `${q},${p}`;
      if (!pairs.has(k)) pairs.set(k, separatingWord(h, p, h, q) ?? []);
      const w = pairs.get(k)!;
      return w.length ? w : undefined;
    };
    const ident: I[][][] = [];
    for (let q = 0; q < h.size; q++) {
      const ws: I[][] = [];
      for (let r = 0; r < h.size; r++) {
        if (r === q) continue;
        const w = sep(q, r);
        if (w && !ws.some((x) => x.join() === w.join())) ws.push(w);
      }
      ident.push(ws.length ? ws : [[]]);
    }
    const W = new Map<string, I[]>();
    for (const ws of ident) for (const w of ws) W.set(w.join('\u0000'), w);
    const tests = new Map<string, I[]>();
    const add = (w: I[]) => {
      const c = cut(w);
      if (c.length) tests.set(c.join('\u0000'), c);
    };
    // phase 1: state cover x W
    for (const p of access) for (const w of W.values()) add([...p, ...w]);
    // phase 2: state cover x I^(0..k) x I x W_q
    const middles: I[][] = [[]];
    for (let d = 1; d <= this.opts.depth; d++)
      for (const m of middles.filter((x) => x.length === d - 1)) for (const a of h.inputs) middles.push([...m, a]);
    for (const p of access) {
      for (const m of middles) {
        const pm = [...p, ...m];
        // past a closed connection every continuation is `closed`: no need to extend it
        if (run(h, pm).outputs.some(isClosed)) continue;
        for (const a of h.inputs) {
          const u = [...pm, a];
          const q = run(h, u).state;
          for (const w of ident[q]!) add([...u, ...w]);
        }
      }
    }
    return [...tests.values()].sort((a, b) => a.length - b.length);
  }

  private walks(h: Mealy<I>): I[][] {
    const rnd = prng(this.opts.seed * 7919 + this.round);
    const access = accessWords(h);
    const out: I[][] = [];
    for (let i = 0; i < this.opts.randomWalks; i++) {
      const w = [...access[Math.floor(rnd() * access.length)]!];
      do w.push(h.inputs[Math.floor(rnd() * h.inputs.length)]!);
      while (rnd() > 1 / this.opts.walkLength);
      const o = run(h, w).outputs;
      const c = o.findIndex(isClosed);
      out.push(c < 0 ? w : w.slice(0, c + 1));
    }
    return out;
  }

  private async check(h: Mealy<I>, words: readonly I[][]): Promise<I[] | undefined> {
    for (let i = 0; i < words.length; i += this.opts.batch) {
      if (this.budget.exceeded) {
        this.incomplete = true;
        return undefined;
      }
      const chunk = words.slice(i, i + this.opts.batch);
      const answers = await this.oracle.answer(chunk);
      this.tests += chunk.length;
      let best: I[] | undefined;
      for (const [j, w] of chunk.entries()) {
        const expected = run(h, w).outputs;
        const got = answers[j]!;
        const at = got.findIndex((o, k) => o !== expected[k]);
        if (at >= 0 && (!best || at + 1 < best.length)) best = w.slice(0, at + 1);
      }
      if (best) return best;
    }
    return undefined;
  }

  async findCounterexample(h: Mealy<I>): Promise<I[] | undefined> {
    this.round++;
    this.incomplete = false;
    return (await this.check(h, this.suite(h))) ?? (await this.check(h, this.walks(h)));
  }
}
