/**
 * Mealy machines over string inputs and outputs: the hypotheses of the
 * learner and the learned model. States are numbers, 0 is the initial
 * state; every state has a transition for every input (the machine is
 * complete, as a learned machine is). Access sequences, separating words
 * and a DOT export are computed here; nothing depends on TLS.
 */

export interface Mealy<I extends string = string> {
  inputs: readonly I[];
  /** Number of states; states are 0..size-1. */
  size: number;
  /** next[state][input index] */
  next: number[][];
  /** out[state][input index] */
  out: string[][];
}

/** The machine in JSON form (a learned model on disk, `tlsprop learn --compare A.json B.json`). */
export interface MealyJson {
  inputs: string[];
  states: number;
  /** One row per state: input -> [next state, output]. */
  transitions: Array<Record<string, [number, string]>>;
}

export function toJson<I extends string>(m: Mealy<I>): MealyJson {
  return {
    inputs: [...m.inputs],
    states: m.size,
    transitions: m.next.map((row, q) => Object.fromEntries(m.inputs.map((a, i) => [a, [row[i]!, m.out[q]![i]!]]))),
  };
}

export function fromJson(j: MealyJson): Mealy {
  if (
    !Array.isArray(j.inputs) ||
    typeof j.states !== 'number' ||
    !Array.isArray(j.transitions) ||
    j.transitions.length !== j.states
  )
    throw new Error('not a learned machine (inputs, states, transitions)');
  const next: number[][] = [];
  const out: string[][] = [];
  for (const row of j.transitions) {
    const n: number[] = [];
    const o: string[] = [];
    for (const a of j.inputs) {
      const t = row[a];
      if (!t || typeof t[0] !== 'number' || t[0] < 0 || t[0] >= j.states || typeof t[1] !== 'string')
        throw new Error(`transition on ${a} missing or malformed`);
      n.push(t[0]);
      o.push(t[1]);
    }
    next.push(n);
    out.push(o);
  }
  return { inputs: j.inputs, size: j.states, next, out };
}

/** Outputs of a word from a state. */
export function run<I extends string>(m: Mealy<I>, word: readonly I[], from = 0): { outputs: string[]; state: number } {
  let q = from;
  const outputs: string[] = [];
  for (const a of word) {
    const i = m.inputs.indexOf(a);
    if (i < 0) throw new Error(`input ${a} is not in the machine's alphabet`);
    outputs.push(m.out[q]![i]!);
    q = m.next[q]![i]!;
  }
  return { outputs, state: q };
}

/** Shortest access word of each state (breadth first, inputs in alphabet order), index = state. */
export function accessWords<I extends string>(m: Mealy<I>): I[][] {
  const acc: (I[] | undefined)[] = new Array(m.size).fill(undefined);
  acc[0] = [];
  const queue = [0];
  while (queue.length) {
    const q = queue.shift()!;
    m.inputs.forEach((a, i) => {
      const t = m.next[q]![i]!;
      if (acc[t] === undefined) {
        acc[t] = [...acc[q]!, a];
        queue.push(t);
      }
    });
  }
  return acc.map((w) => w ?? []);
}

/** States reachable from the initial state. */
export function reachable(m: Mealy): number[] {
  const seen = new Set([0]);
  const queue = [0];
  while (queue.length) {
    const q = queue.shift()!;
    for (const t of m.next[q]!)
      if (!seen.has(t)) {
        seen.add(t);
        queue.push(t);
      }
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * A shortest word on which states p and q (of machines a and b) give different outputs, or undefined when they
 * are equivalent. Breadth first over pairs.
 */
export function separatingWord<I extends string>(a: Mealy<I>, p: number, b: Mealy<I>, q: number): I[] | undefined {
  const key = (x: number, y: number) => x * 1_000_003 + y;
  const prev = new Map<number, { from: number; input: I } | null>([[key(p, q), null]]);
  const queue: Array<[number, number]> = [[p, q]];
  const path = (k: number): I[] => {
    const w: I[] = [];
    for (let e = prev.get(k); e; e = prev.get(e.from)) w.unshift(e.input);
    return w;
  };
  while (queue.length) {
    const [x, y] = queue.shift()!;
    const k = key(x, y);
    for (const [i, inp] of a.inputs.entries()) {
      const j = b.inputs.indexOf(inp);
      if (j < 0) continue;
      if (a.out[x]![i] !== b.out[y]![j]) return [...path(k), inp];
      const nk = key(a.next[x]![i]!, b.next[y]![j]!);
      if (!prev.has(nk)) {
        prev.set(nk, { from: k, input: inp });
        queue.push([a.next[x]![i]!, b.next[y]![j]!]);
      }
    }
  }
  return undefined;
}

/** The minimal machine with the same behaviour (unreachable states dropped, equivalent states merged). */
export function minimize<I extends string>(m: Mealy<I>): Mealy<I> {
  const states = reachable(m);
  // partition refinement: start from the output rows
  let block = new Map<number, number>();
  const sig0 = new Map<string, number>();
  for (const q of states) {
    const s = m.out[q]!.join('\u0000');
    if (!sig0.has(s)) sig0.set(s, sig0.size);
    block.set(q, sig0.get(s)!);
  }
  for (;;) {
    const sig = new Map<string, number>();
    const nb = new Map<number, number>();
    for (const q of states) {
      const s = `${block.get(q)}|${m.next[q]!.map((t) => block.get(t)).join(',')}`;
      if (!sig.has(s)) sig.set(s, sig.size);
      nb.set(q, sig.get(s)!);
    }
    const stable = sig.size === new Set(block.values()).size;
    block = nb;
    if (stable) break;
  }
  // renumber blocks in breadth-first order from the initial state
  const order = new Map<number, number>();
  const queue = [0];
  order.set(block.get(0)!, 0);
  const rep = new Map<number, number>([[block.get(0)!, 0]]);
  while (queue.length) {
    const q = queue.shift()!;
    for (const t of m.next[q]!) {
      const b = block.get(t)!;
      if (!order.has(b)) {
        order.set(b, order.size);
        rep.set(b, t);
        queue.push(t);
      }
    }
  }
  const size = order.size;
  const next: number[][] = new Array(size);
  const out: string[][] = new Array(size);
  for (const [b, n] of order) {
    const q = rep.get(b)!;
    next[n] = m.next[q]!.map((t) => order.get(block.get(t)!)!);
    out[n] = [...m.out[q]!];
  }
  return { inputs: m.inputs, size, next, out };
}

/** Graphviz DOT: one edge per (state, target) with the `input / output` labels joined. */
export function toDot<I extends string>(
  m: Mealy<I>,
  opts: { name?: string; stateLabel?: (q: number) => string; edgeColour?: (q: number, input: I) => string | undefined } = {},
): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const lines = [`digraph "${esc(opts.name ?? 'learned')}" {`, '  rankdir=TB;', '  node [shape=circle, fontname="monospace"];'];
  lines.push('  __start [shape=point];', '  __start -> s0;');
  for (let q = 0; q < m.size; q++) lines.push(`  s${q} [label="${esc(opts.stateLabel?.(q) ?? `s${q}`)}"];`);
  for (let q = 0; q < m.size; q++) {
    const groups = new Map<string, { to: number; labels: string[]; colour?: string }>();
    m.inputs.forEach((a, i) => {
      const to = m.next[q]![i]!;
      const colour = opts.edgeColour?.(q, a);
      const k = `${to}|${colour ?? ''}`;
      const g = groups.get(k) ?? { to, labels: [], ...(colour ? { colour } : {}) };
      g.labels.push(`${a} / ${m.out[q]![i]}`);
      groups.set(k, g);
    });
    for (const g of groups.values())
      lines.push(
        `  s${q} -> s${g.to} [label="${g.labels.map(esc).join('\\n')}"${g.colour ? `, color="${g.colour}", fontcolor="${g.colour}"` : ''}];`,
      );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
