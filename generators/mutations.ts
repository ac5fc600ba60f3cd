/**
 * The mutation catalogue and how to run a mutation in memory. Every way
 * tlsprop breaks a handshake is one declaration of the mutation model
 * (generators/mutations/model.ts), gathered in generators/mutations/
 * catalogue.ts; the machinery (base handshakes, hook tracking, transcript
 * and record edits) is in generators/mutations/support.ts. The live fuzzers
 * (fuzz/) read the same declarations.
 */
import fc from 'fast-check';
import type { Fault } from '../engine/faults';
import type { TestPki } from '../engine/fixtures';
import type { FaultKind } from '../pki/faults';
import type { TlsVersion } from '../wire/vocabulary';
import { ENGINE_FAULTS, MUTATIONS } from './mutations/catalogue';
import { type EngineFault, inMemory, type Mutation, rulesIn } from './mutations/model';
import {
  BASE_GROUPS,
  BASES,
  type BaseChoice,
  type BaseName,
  baseEnv,
  type MutatedHandshake,
  runPrepared,
} from './mutations/support';

export { ENGINE_FAULTS, MUTATIONS, OFFLINE_MUTATIONS } from './mutations/catalogue';
export type { Mutation, Where } from './mutations/model';
export { isOffline, liveSide, reactionOf, rulesIn } from './mutations/model';
export {
  BASE_GROUPS,
  BASE_NAMES,
  BASES,
  type BaseChoice,
  type BaseName,
  type BaseSpec,
  type CheckInputs,
  type MutatedHandshake,
} from './mutations/support';

/** The declaration of a name (a RangeError for an unknown one). */
export function mutation(name: string): Mutation {
  const m = MUTATIONS.find((o) => o.name === name);
  if (!m) throw new RangeError(`no mutation ${name}`);
  return m;
}

/** The declaration of an engine fault. */
export function engineFault(f: Fault): EngineFault {
  const m = ENGINE_FAULTS.find((x) => x.fault === f);
  if (!m) throw new RangeError(`no declaration of engine fault ${f}`);
  return m;
}

/** The rules a fuzzer must report for an engine fault met in a handshake of this version (empty: the fault does not exist there). */
export function faultRules(f: Fault, version: TlsVersion): string[] {
  const m = engineFault(f);
  return m.versions.includes(version) ? rulesIn(m, version) : [];
}

/** The rule a correct validator reports for a pki/faults chain fault (from the mutation that shows the fault). */
export function chainFaultRule(kind: FaultKind): string {
  const m = MUTATIONS.find((x) => x.chainFault === kind);
  if (!m?.rules[0]) throw new RangeError(`no mutation shows the chain fault ${kind}`);
  return m.rules[0];
}

/** The bases a mutation runs on in memory (restricted to its versions). */
export function basesFor(m: Mutation): BaseName[] {
  return m.bases.filter((b) => m.versions.includes(BASES[b].version));
}

/** Run the base handshake of `choice` with the mutation applied (a group the mutation needs overrides the choice's). */
export async function runMutant(m: Mutation, pki: TestPki, choice: BaseChoice): Promise<MutatedHandshake> {
  const run = inMemory(m);
  if (!run) throw new RangeError(`${m.name} does not run in memory (${m.where})`);
  const groups = m.needs?.groups;
  const c = groups && !groups.includes(choice.group) ? { ...choice, group: groups[0]! } : choice;
  const env = baseEnv(pki, c);
  return runPrepared(env, await run(env), m.name);
}

/** The unmutated base handshake (the control). */
export function runBase(pki: TestPki, choice: BaseChoice): Promise<MutatedHandshake> {
  const env = baseEnv(pki, choice);
  return runPrepared(env, { client: env.client, server: env.server }, 'base');
}

/** The base handshakes a mutation runs on, with randoms and the engine seed, as a fast-check arbitrary. */
export function baseChoiceArb(m: Mutation): fc.Arbitrary<BaseChoice> {
  return fc.record({
    base: fc.constantFrom(...basesFor(m)),
    suiteIndex: fc.nat(2),
    group: fc.constantFrom(...BASE_GROUPS),
    compat: fc.boolean(),
    clientRandom: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    serverRandom: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    seed: fc.nat(),
  });
}
