/**
 * Membership queries with a cache. Every answer the target gave is kept in
 * a prefix tree (a query answers all its prefixes too); a word whose prefix
 * ended in `closed` is answered without asking (nothing can follow a closed
 * connection); a batch is cut down to the words no other word of the batch
 * extends, and run over the target's workers in parallel.
 *
 * Non-determinism: when a new answer contradicts the tree, the word up to
 * the contradiction is asked again `repeats` more times and the majority is
 * kept (the tree below a replaced answer is dropped, and `revision` moves,
 * so a learner knows its table is stale); every such event is reported with
 * the answers seen and their counts. `recheck` asks words again on purpose
 * (the learner's final determinism check).
 */
import { CLOSED, isClosed } from './alphabet';
import { pool } from './sul';

/** What answers queries: a live target (with its workers) or a model. */
export interface QueryTarget<I extends string> {
  readonly workers: number;
  query(word: readonly I[], worker: number): Promise<string[]>;
}

interface Node<I extends string> {
  out?: string;
  /** The answer here was settled by a vote: a contradiction is asked again before a new vote. */
  settled?: boolean;
  children: Map<I, Node<I>>;
}

export interface NondeterminismEvent {
  word: string[];
  /** Each distinct answer (outputs joined by ` | `) and how often it came. */
  answers: Array<{ outputs: string[]; count: number }>;
  /** The answer kept (the majority). */
  kept: string[];
  /** The majority was not clear (less than two thirds). */
  unclear: boolean;
}

export interface OracleStats {
  /** Queries sent to the target (resets). */
  queries: number;
  /** Inputs in them. */
  symbols: number;
  /** Words answered from the cache (or a closed prefix) without asking. */
  cacheHits: number;
  /** Queries repeated to settle non-determinism or to check determinism. */
  repeats: number;
}

/** When learning stops: a deadline (`--budget MINUTES`) and, for tests, a number of queries. */
export class Budget {
  private queries: () => number = () => 0;
  constructor(
    readonly deadline: number,
    readonly maxQueries = Number.POSITIVE_INFINITY,
  ) {}
  /** Count the queries of this oracle against `maxQueries`. */
  watch(oracle: { stats: OracleStats }): this {
    this.queries = () => oracle.stats.queries;
    return this;
  }
  get exceeded(): boolean {
    return Date.now() > this.deadline || this.queries() >= this.maxQueries;
  }
  static unlimited(): Budget {
    return new Budget(Number.POSITIVE_INFINITY);
  }
}

export class CachedOracle<I extends string> {
  private root: Node<I> = { children: new Map() };
  readonly stats: OracleStats = { queries: 0, symbols: 0, cacheHits: 0, repeats: 0 };
  readonly events: NondeterminismEvent[] = [];
  /** Moves when an answer in the cache was replaced: tables built from the old answers are stale. */
  revision = 0;

  constructor(
    private readonly target: QueryTarget<I>,
    private readonly opts: {
      repeats: number;
      /** Two answers disagree (called before the word is asked again: e.g. to widen the target's timing). */
      onConflict?: (variants: readonly (readonly string[])[]) => void;
      onNondeterminism?: (e: NondeterminismEvent) => void;
    } = { repeats: 4 },
  ) {}

  /** The cached outputs of a word, or undefined when some are unknown. */
  lookup(word: readonly I[]): string[] | undefined {
    const out: string[] = [];
    let n: Node<I> | undefined = this.root;
    let closed = false;
    for (const a of word) {
      if (closed) {
        out.push(CLOSED);
        continue;
      }
      n = n?.children.get(a);
      if (n?.out === undefined) return undefined;
      out.push(n.out);
      closed = isClosed(n.out);
    }
    return out;
  }

  /** Store an answer; returns the index of the first output that contradicts the cache, if any. */
  private insert(word: readonly I[], outputs: readonly string[]): number | undefined {
    const at = this.conflictAt(word, outputs);
    if (at !== undefined) return at;
    let n = this.root;
    for (const [i, a] of word.entries()) {
      let c = n.children.get(a);
      if (!c) {
        c = { children: new Map() };
        n.children.set(a, c);
      }
      const o = outputs[i]!;
      if (c.out === undefined) c.out = o;
      else if (c.out !== o) return i;
      if (isClosed(o)) return undefined;
      n = c;
    }
    return undefined;
  }

  /** The first output of an answer that contradicts the cache (nothing is stored). */
  private conflictAt(word: readonly I[], outputs: readonly string[]): number | undefined {
    let n: Node<I> | undefined = this.root;
    for (const [i, a] of word.entries()) {
      n = n?.children.get(a);
      if (n?.out === undefined) return undefined;
      if (n.out !== outputs[i]) return i;
      if (isClosed(n.out)) return undefined;
    }
    return undefined;
  }

  private settledAt(word: readonly I[]): boolean {
    let n: Node<I> | undefined = this.root;
    for (const a of word) n = n?.children.get(a);
    return !!n?.settled;
  }

  /** Replace the answer of `word` (its outputs along the path); the tree below a changed node goes. */
  private replace(word: readonly I[], outputs: readonly string[]): void {
    let n = this.root;
    for (const [i, a] of word.entries()) {
      let c = n.children.get(a);
      if (!c) {
        c = { children: new Map() };
        n.children.set(a, c);
      }
      if (c.out !== outputs[i]) {
        c.out = outputs[i]!;
        c.children = new Map();
      }
      n = c;
    }
    this.revision++;
  }

  private async ask(words: readonly I[][]): Promise<string[][]> {
    this.stats.queries += words.length;
    this.stats.symbols += words.reduce((s, w) => s + w.length, 0);
    return pool(words, this.target.workers, (w, worker) => this.target.query(w, worker));
  }

  /** Answer every word (from the cache where it can). */
  async answer(words: readonly (readonly I[])[]): Promise<string[][]> {
    this.stats.cacheHits += words.filter((w) => this.lookup(w) !== undefined).length;
    for (let round = 0; ; round++) {
      const missing: I[][] = [];
      const seen = new Set<string>();
      for (const w of words) {
        if (this.lookup(w) !== undefined) continue;
        const k = w.join('\u0000');
        if (!seen.has(k)) {
          seen.add(k);
          missing.push([...w]);
        }
      }
      if (!missing.length || round > 8) break;
      // a word that another missing word extends is answered by that one
      missing.sort((a, b) => b.length - a.length);
      const keep: I[][] = [];
      const prefixes = new Set<string>();
      for (const w of missing) {
        const k = w.join('\u0000');
        if (prefixes.has(k)) continue;
        keep.push(w);
        for (let i = 1; i <= w.length; i++) prefixes.add(w.slice(0, i).join('\u0000'));
      }
      const answers = await this.ask(keep);
      for (const [i, w] of keep.entries()) {
        let got = answers[i]!;
        let conflict = this.insert(w, got);
        // a word already voted on: ask again (a rare late answer should not cost a new vote)
        for (let retry = 0; conflict !== undefined && retry < 2 && this.settledAt(w.slice(0, conflict + 1)); retry++) {
          this.stats.repeats++;
          got = (await this.ask([w]))[0]!;
          conflict = this.insert(w, got);
        }
        if (conflict !== undefined) await this.settle(w.slice(0, conflict + 1), got.slice(0, conflict + 1));
      }
    }
    const out: string[][] = [];
    for (const w of words) {
      const o = this.lookup(w);
      if (!o) throw new Error(`no stable answer for ${w.join(' ')} (the target keeps changing its answers)`);
      out.push(o);
    }
    return out;
  }

  /** A contradiction on `word`: ask again, keep the majority of the new answers, report. */
  private async settle(word: readonly I[], fresh: readonly string[]): Promise<void> {
    const before = [fresh.slice(), this.cachedPath(word)];
    this.opts.onConflict?.(before);
    const again = await this.ask(Array.from({ length: this.opts.repeats }, () => [...word]));
    this.stats.repeats += again.length;
    this.record(word, again, before);
  }

  private cachedPath(word: readonly I[]): string[] {
    const out: string[] = [];
    let n: Node<I> | undefined = this.root;
    for (const a of word) {
      n = n?.children.get(a);
      out.push(n?.out ?? '?');
    }
    return out;
  }

  /** Keep the majority of `samples` (ties: the answer with more in it, an answer seen beats silence); report all. */
  private record(word: readonly I[], samples: readonly string[][], earlier: readonly string[][] = []): void {
    const tally = (list: readonly string[][]) => {
      const counts = new Map<string, { outputs: string[]; count: number }>();
      for (const s of list) {
        const k = s.join(' | ');
        const c = counts.get(k) ?? { outputs: s, count: 0 };
        c.count++;
        counts.set(k, c);
      }
      return [...counts.values()].sort((a, b) => b.count - a.count || b.outputs.join('+').length - a.outputs.join('+').length);
    };
    const best = tally(samples)[0]!;
    const event: NondeterminismEvent = {
      word: [...word],
      answers: tally([...earlier, ...samples]),
      kept: best.outputs,
      unclear: best.count * 3 < samples.length * 2,
    };
    this.events.push(event);
    this.opts.onNondeterminism?.(event);
    if (best.outputs.join(' | ') !== this.cachedPath(word).join(' | ')) this.replace(word, best.outputs);
    let n: Node<I> | undefined = this.root;
    for (const a of word) n = n?.children.get(a);
    if (n) n.settled = true;
  }

  /**
   * Ask these words again, bypassing the cache; a word whose answer differs from the cache is settled as above.
   * Returns how many differed.
   */
  async recheck(words: readonly (readonly I[])[]): Promise<number> {
    const known = words.filter((w) => this.lookup(w) !== undefined).map((w) => [...w]);
    const answers = await this.ask(known);
    this.stats.repeats += known.length;
    let differed = 0;
    for (const [i, w] of known.entries()) {
      // an earlier settlement in this loop may have dropped this word's answer: the learner asks it again
      const cached = this.lookup(w);
      if (!cached) continue;
      const got = answers[i]!;
      const at = cached.findIndex((o, j) => o !== got[j]);
      if (at < 0) continue;
      differed++;
      await this.settle(w.slice(0, at + 1), got.slice(0, at + 1));
    }
    return differed;
  }
}
