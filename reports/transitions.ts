/**
 * The role-machine transitions a transcript walks, for the coverage report:
 * the same walk as the `t1x.order.state-machine` rules (oracles/statemachine
 * `step` over the walkable messages with the facts of the hellos), each
 * message transition recorded once for the client's machine (`send`/`recv`
 * via `viaOf`) and once for the server's, plus the epsilon transitions that
 * led to it. A walk that fails stops there (the transitions up to it count).
 */
import { type Context, isUnreadable } from '../oracles/context';
import { factsOf } from '../oracles/flow';
import {
  type MachineId,
  type MachineTransition,
  type StateMachine,
  type Transition,
  WILDCARD,
  type WalkType,
  closure,
  machineFor,
  step,
  walkable,
} from '../oracles/statemachine';
import type { Direction, Side, StepName, TlsVersion } from '../wire/vocabulary';
import { EPSILON, viaOf } from './coverage';

/** Epsilon transitions from `from` (a set) to `target` (shortest path, breadth first). */
function epsilonPath(machine: StateMachine, from: ReadonlySet<string>, target: string): Transition[] {
  if (from.has(target)) return [];
  const prev = new Map<string, Transition>();
  const todo = [...from];
  const seen = new Set(from);
  while (todo.length) {
    const s = todo.shift() as string;
    for (const tr of machine.transitions) {
      if (tr.from !== s || tr.dir || seen.has(tr.to)) continue;
      seen.add(tr.to);
      prev.set(tr.to, tr);
      if (tr.to === target) {
        const path: Transition[] = [];
        for (let t = prev.get(target); t; t = from.has(t.from) ? undefined : prev.get(t.from)) path.unshift(t);
        return path;
      }
      todo.push(tr.to);
    }
  }
  return [];
}

function ids(version: TlsVersion): Record<Side, MachineId> {
  return version === '1.2' ? { client: 't12-client', server: 't12-server' } : { client: 't13-client', server: 't13-server' };
}

/** Transitions of both role machines walked by the transcript of a checked context. */
export function walkedTransitions(ctx: Context): MachineTransition[] {
  const version = ctx.version;
  if (!version) return [];
  const machine = machineFor(version);
  const facts = factsOf(ctx);
  const id = ids(version);
  const out: MachineTransition[] = [];
  const add = (tr: Transition, dir: Direction | undefined, type: StepName | undefined) => {
    for (const role of ['client', 'server'] as const) {
      const mine: Direction = role === 'client' ? 'C->S' : 'S->C';
      const via = dir && type ? viaOf(dir === mine ? 'send' : 'recv', type) : EPSILON;
      out.push({ machine: id[role], from: tr.from, to: tr.to, via });
    }
  };
  let states = new Set([machine.initial]);
  for (const m of ctx.t.messages) {
    if (!walkable(m, version)) continue;
    const type: WalkType = isUnreadable(m) ? WILDCARD : (ctx.steps.find((s) => s.m === m)?.sym ?? m.type);
    const r = step(machine, states, { dir: m.dir, type, m }, facts);
    if (!r.ok) break;
    const reach = closure(machine, states, facts);
    const taken = machine.transitions.find(
      (tr) => tr.dir === m.dir && tr.type === type && reach.has(tr.from) && r.states.has(tr.to) && tr.when?.(facts, m) !== false,
    );
    if (taken?.type) {
      for (const e of epsilonPath(machine, states, taken.from)) add(e, undefined, undefined);
      add(taken, m.dir, taken.type);
    }
    states = r.states;
  }
  return out;
}
