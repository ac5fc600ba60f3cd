/**
 * Two learned machines side by side (`tlsprop learn --compare A.json
 * B.json`): both are walked together from their initial states over the
 * inputs they share; every pair of transitions that answers differently is
 * a disagreement, with the shortest word that shows it and both outputs
 * along it. Behaviour after the first disagreement on a path is not
 * explored further (the two are no longer in comparable states).
 */
import type { Mealy } from './mealy';

export interface Disagreement {
  word: string[];
  /** Outputs of A and B along the word (the last one differs). */
  a: string[];
  b: string[];
}

export interface MachineComparison {
  sharedInputs: string[];
  onlyA: string[];
  onlyB: string[];
  statesA: number;
  statesB: number;
  /** Equivalent on the shared inputs. */
  equivalent: boolean;
  disagreements: Disagreement[];
}

export function compareMachines(a: Mealy, b: Mealy): MachineComparison {
  const shared = a.inputs.filter((i) => b.inputs.includes(i));
  const out: MachineComparison = {
    sharedInputs: [...shared],
    onlyA: a.inputs.filter((i) => !b.inputs.includes(i)),
    onlyB: b.inputs.filter((i) => !a.inputs.includes(i)),
    statesA: a.size,
    statesB: b.size,
    equivalent: true,
    disagreements: [],
  };
  const seen = new Set<string>(['0|0']);
  const queue: Array<{ p: number; q: number; word: string[]; oa: string[]; ob: string[] }> = [
    { p: 0, q: 0, word: [], oa: [], ob: [] },
  ];
  const reported = new Set<string>();
  while (queue.length) {
    const it = queue.shift()!;
    for (const input of shared) {
      const i = a.inputs.indexOf(input);
      const j = b.inputs.indexOf(input);
      const x = a.out[it.p]![i]!;
      const y = b.out[it.q]![j]!;
      const word = [...it.word, input];
      const oa = [...it.oa, x];
      const ob = [...it.ob, y];
      if (x !== y) {
        out.equivalent = false;
        const k = `${it.p}|${it.q}|${input}`;
        if (!reported.has(k)) {
          reported.add(k);
          out.disagreements.push({ word, a: oa, b: ob });
        }
        continue;
      }
      const p2 = a.next[it.p]![i]!;
      const q2 = b.next[it.q]![j]!;
      const k = `${p2}|${q2}`;
      if (!seen.has(k)) {
        seen.add(k);
        queue.push({ p: p2, q: q2, word, oa, ob });
      }
    }
  }
  return out;
}
