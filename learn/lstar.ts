/**
 * L* for Mealy machines (Angluin 1987; Shahbaz & Groz 2009 for Mealy
 * outputs) with Rivest–Schapire counterexample handling (1993): a
 * counterexample adds one distinguishing suffix, found by binary search,
 * to the columns E. Rows are the outputs of the suffix part of `u·e` for
 * each column e; E starts with every single input, so a hypothesis' outputs
 * come straight from the table. Rows of S stay pairwise distinct (a row is
 * only promoted when it is new), so the table is always consistent and only
 * closedness is checked.
 *
 * The table asks its cells in batches through the cached oracle (parallel
 * over the target's workers). When the oracle replaced an answer it had
 * given (non-determinism settled by majority), the rows are rebuilt from the
 * cache: S starts over, E is kept.
 */
import { type Mealy, minimize, run } from './mealy';
import type { Budget, CachedOracle } from './oracle';

export interface EquivalenceOracle<I extends string> {
  /** A word on which the target and the hypothesis differ, or undefined when none was found. */
  findCounterexample(h: Mealy<I>): Promise<I[] | undefined>;
}

export interface LStarResult<I extends string> {
  machine: Mealy<I>;
  /** Hypotheses checked by the equivalence oracle. */
  equivalenceQueries: number;
  /** Counterexamples processed. */
  counterexamples: I[][];
  /** Suffixes (columns) of the final table. */
  suffixes: I[][];
  /** Stopped by the budget before the equivalence oracle accepted a hypothesis. */
  stoppedByBudget: boolean;
  /** Tables rebuilt after the oracle changed an answer. */
  restarts: number;
}

const key = (w: readonly string[]): string => w.join('\u0000');

export class LStar<I extends string> {
  private S: I[][] = [[]];
  private E: I[][];
  private rows = new Map<string, string[]>();
  private revision: number;

  constructor(
    private readonly inputs: readonly I[],
    private readonly oracle: CachedOracle<I>,
  ) {
    this.E = inputs.map((a) => [a]);
    this.revision = oracle.revision;
  }

  private async fill(words: readonly I[][]): Promise<void> {
    const todo = words.filter((u) => !this.rows.has(key(u)));
    if (!todo.length) return;
    const queries: I[][] = [];
    for (const u of todo) for (const e of this.E) queries.push([...u, ...e]);
    const answers = await this.oracle.answer(queries);
    let k = 0;
    for (const u of todo) {
      const row: string[] = [];
      for (let j = 0; j < this.E.length; j++) row.push(answers[k++]!.slice(u.length).join(' '));
      this.rows.set(key(u), row);
    }
  }

  private rowKey(u: readonly I[]): string {
    return this.rows.get(key(u))!.join('\u0001');
  }

  private extensions(): I[][] {
    const out: I[][] = [];
    for (const s of this.S) for (const a of this.inputs) out.push([...s, a]);
    return out;
  }

  /** Make the table closed: every one-input extension of S has the row of some word of S. */
  private async close(): Promise<void> {
    for (;;) {
      await this.fill([...this.S, ...this.extensions()]);
      const known = new Set(this.S.map((s) => this.rowKey(s)));
      const fresh = this.extensions().find((u) => !known.has(this.rowKey(u)));
      if (!fresh) return;
      this.S.push(fresh);
    }
  }

  private hypothesis(): { machine: Mealy<I>; access: I[][] } {
    const index = new Map<string, number>();
    this.S.forEach((s, i) => {
      const k = this.rowKey(s);
      if (!index.has(k)) index.set(k, i);
    });
    const next: number[][] = [];
    const out: string[][] = [];
    for (const s of this.S) {
      const row = this.rows.get(key(s))!;
      next.push(this.inputs.map((a) => index.get(this.rowKey([...s, a]))!));
      // E starts with the single inputs, in alphabet order
      out.push(this.inputs.map((_, i) => row[i]!));
    }
    return { machine: { inputs: this.inputs, size: this.S.length, next, out }, access: this.S };
  }

  /**
   * Rivest–Schapire. With q_i the hypothesis' state after cex[0..i) and u_i its access word, alpha(i) says the
   * target, run on u_i·cex[i..], answers cex[i..] as the hypothesis predicts from q_i. alpha(0) is false (cex is a
   * counterexample), alpha(m) true (nothing left); a binary search finds alpha(i) false and alpha(i+1) true. The
   * outputs of cex[i] agree (the table has every single input as a column), so the rest v = cex[i+1..] tells apart
   * u_i·cex[i] and u_{i+1}, whose rows the table has equal: adding v as a column makes a new state.
   */
  private async suffixOf(cex: readonly I[], h: Mealy<I>, access: readonly I[][]): Promise<I[]> {
    const alpha = async (i: number): Promise<boolean> => {
      if (i >= cex.length) return true;
      const state = run(h, cex.slice(0, i)).state;
      const u = access[state]!;
      const o = (await this.oracle.answer([[...u, ...cex.slice(i)]]))[0]!;
      return o.slice(u.length).join(' ') === run(h, cex.slice(i), state).outputs.join(' ');
    };
    let lo = 0;
    let hi = cex.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (await alpha(mid)) hi = mid;
      else lo = mid;
    }
    return cex.slice(lo + 1) as I[];
  }

  /** Learn until the equivalence oracle finds no counterexample, or the budget ends. */
  async learn(eq: EquivalenceOracle<I>, budget: Budget): Promise<LStarResult<I>> {
    let equivalenceQueries = 0;
    let restarts = 0;
    const counterexamples: I[][] = [];
    for (;;) {
      await this.close();
      if (this.oracle.revision !== this.revision) {
        this.revision = this.oracle.revision;
        this.S = [[]];
        this.rows.clear();
        restarts++;
        continue;
      }
      const { machine, access } = this.hypothesis();
      if (budget.exceeded) return this.result(machine, equivalenceQueries, counterexamples, true, restarts);
      equivalenceQueries++;
      const cex = await eq.findCounterexample(machine);
      if (this.oracle.revision !== this.revision) continue;
      if (!cex) return this.result(machine, equivalenceQueries, counterexamples, budget.exceeded, restarts);
      counterexamples.push(cex);
      const v = await this.suffixOf(cex, machine, access);
      const known = new Set(this.E.map(key));
      const added = [v, ...Array.from({ length: cex.length }, (_, i) => cex.slice(i) as I[])].find(
        (s) => s.length && !known.has(key(s)),
      );
      if (!added) {
        // the target changed its answers under us: rebuild from the cache
        this.S = [[]];
        this.rows.clear();
        restarts++;
        continue;
      }
      this.E.push(added);
      this.rows.clear();
    }
  }

  private result(
    machine: Mealy<I>,
    equivalenceQueries: number,
    counterexamples: I[][],
    stoppedByBudget: boolean,
    restarts: number,
  ): LStarResult<I> {
    return {
      machine: minimize(machine),
      equivalenceQueries,
      counterexamples,
      suffixes: this.E.map((e) => [...e]),
      stoppedByBudget,
      restarts,
    };
  }
}
