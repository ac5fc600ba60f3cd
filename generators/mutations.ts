/**
 * The mutation catalogue: operators that break a real handshake in one
 * named way, each declaring the rules a conforming oracle must report.
 * Operators live in generators/mutations/operators.ts (which also gathers
 * ops-wire.ts: record layer, order, negotiation, extensions; and ops-keys.ts:
 * crypto, certificates, resumption); the machinery (base handshakes, hook
 * tracking, transcript and record edits) in generators/mutations/support.ts.
 */
import fc from 'fast-check';
import type { TestPki } from '../engine/fixtures';
import { type MutationOperator, OPERATORS } from './mutations/operators';
import { BASE_GROUPS, BASES, type BaseChoice, type BaseName, type MutantRun, baseEnv, runPrepared } from './mutations/support';

export { OPERATORS } from './mutations/operators';
export type { Mechanism, MutationOperator } from './mutations/operators';
export {
  BASE_GROUPS,
  BASE_NAMES,
  BASES,
  type BaseChoice,
  type BaseName,
  type BaseSpec,
  type CheckInputs,
  type MutantRun,
} from './mutations/support';

export function operator(name: string): MutationOperator {
  const op = OPERATORS.find((o) => o.name === name);
  if (!op) throw new RangeError(`no mutation operator ${name}`);
  return op;
}

/** The bases an operator applies to (restricted to its versions). */
export function basesFor(op: MutationOperator): BaseName[] {
  return op.bases.filter((b) => op.versions.includes(BASES[b].version));
}

/** Run the base handshake of `choice` with the operator applied (the operator's group overrides the choice's). */
export async function runMutant(op: MutationOperator, pki: TestPki, choice: BaseChoice): Promise<MutantRun> {
  const c = op.group !== undefined ? { ...choice, group: op.group } : choice;
  const env = baseEnv(pki, c);
  return runPrepared(env, await op.apply(env), op.name);
}

/** The unmutated base handshake (the control). */
export function runBase(pki: TestPki, choice: BaseChoice): Promise<MutantRun> {
  const env = baseEnv(pki, choice);
  return runPrepared(env, { client: env.client, server: env.server }, 'base');
}

/** The base handshakes an operator runs on, with randoms and the engine seed, as a fast-check arbitrary. */
export function baseChoiceArb(op: MutationOperator): fc.Arbitrary<BaseChoice> {
  return fc.record({
    base: fc.constantFrom(...basesFor(op)),
    suiteIndex: fc.nat(2),
    group: fc.constantFrom(...BASE_GROUPS),
    compat: fc.boolean(),
    clientRandom: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    serverRandom: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    seed: fc.nat(),
  });
}
