/**
 * fast-check arbitraries for certificate chains. Plans are plain data built
 * from records/tuples/maps only (no filter/chain), so shrinking reaches small
 * plans: no intermediates, one SAN, the first key of each type. Rendering is
 * async and separate (`renderChain`).
 */
import fc from 'fast-check';
import type { CryptoProvider } from '../crypto/provider';
import type { ChainFault, FaultKind } from '../pki/faults';
import { FAULT_KINDS, makeFault } from '../pki/faults';
import { KEY_TYPES, type KeyPool, type KeyRef } from '../pki/keypool';
import {
  type CaPlan,
  type ChainPlan,
  type FaultyPlan,
  type LeafPlan,
  type RenderedChain,
  renderPlan,
  type ValidityPlan,
} from '../pki/plan';

export const DNS_NAMES = [
  'localhost',
  'example.test',
  'www.example.test',
  '*.api.example.test',
  'mail.example.test',
  'a-1.example.test',
] as const;
export const IP_ADDRESSES = ['127.0.0.1', '10.0.0.7', '::1'] as const;

/** Largest key index generated; the pool takes indices modulo its perType. */
export const MAX_KEY_INDEX = 7;

export function keyRefArb(): fc.Arbitrary<KeyRef> {
  return fc.record({ type: fc.constantFrom(...KEY_TYPES), index: fc.nat(MAX_KEY_INDEX) });
}

export function validityArb(): fc.Arbitrary<ValidityPlan> {
  return fc.record({ daysBefore: fc.integer({ min: 1, max: 3650 }), daysAfter: fc.integer({ min: 1, max: 3650 }) });
}

export function caPlanArb(): fc.Arbitrary<CaPlan> {
  return fc.record({ key: keyRefArb(), pathLenSlack: fc.option(fc.nat(2), { nil: null }), validity: validityArb() });
}

export function leafPlanArb(): fc.Arbitrary<LeafPlan> {
  return fc.record({
    key: keyRefArb(),
    dns: fc.uniqueArray(fc.constantFrom(...DNS_NAMES), { minLength: 1, maxLength: 3 }),
    ips: fc.uniqueArray(fc.constantFrom(...IP_ADDRESSES), { maxLength: 2 }),
    eku: fc.constantFrom('purpose', 'both', 'none'),
    keyUsage: fc.constantFrom('ds', 'ds+ke', 'none'),
    validity: validityArb(),
    serial: fc.nat(0xffffff),
    nameTag: fc.nat(999),
  });
}

/** A valid chain plan: 0..3 intermediates. */
export function chainPlanArb(opts: { maxIntermediates?: number } = {}): fc.Arbitrary<ChainPlan> {
  return fc.record({
    atDay: fc.nat(3650),
    purpose: fc.constantFrom('server', 'client'),
    root: caPlanArb(),
    intermediates: fc.array(caPlanArb(), { maxLength: opts.maxIntermediates ?? 3 }),
    leaf: leafPlanArb(),
    includeRoot: fc.boolean(),
    serverNameIndex: fc.nat(2),
    schemeIndex: fc.nat(2),
  });
}

export function faultArb(kinds: readonly FaultKind[] = FAULT_KINDS): fc.Arbitrary<ChainFault> {
  return fc
    .tuple(fc.constantFrom(...kinds), fc.constantFrom('leaf' as const, 'intermediate' as const))
    .map(([k, t]) => makeFault(k, t));
}

/** A plan plus one fault. */
export function faultyPlanArb(opts: { maxIntermediates?: number; kinds?: readonly FaultKind[] } = {}): fc.Arbitrary<FaultyPlan> {
  return fc.record({ plan: chainPlanArb(opts), fault: faultArb(opts.kinds) });
}

/** Build the certificates of a plan (optionally with a fault) using pool keys. */
export function renderChain(plan: ChainPlan | FaultyPlan, pool: KeyPool, provider: CryptoProvider): Promise<RenderedChain> {
  if ('fault' in plan) return renderPlan(plan.plan, pool, provider, plan.fault);
  return renderPlan(plan, pool, provider);
}
