import fc from 'fast-check';
import { PROVIDERS } from '../crypto/testing/providers';
import { FAULT_KINDS } from '../pki/faults';
import { KeyPool } from '../pki/keypool';
import { compilePlan } from '../pki/plan';
import { validateChain } from '../pki/validate';
import { chainPlanArb, faultyPlanArb, renderChain } from './pki';
import { chainFaultRule } from './mutations';

describe.each(PROVIDERS)('pki arbitraries (%s)', (_name, make) => {
  const provider = make();
  const pool = new KeyPool({ provider });

  it('valid generated chains validate OK', async () => {
    await fc.assert(
      fc.asyncProperty(chainPlanArb(), async (plan) => {
        const r = await renderChain(plan, pool, provider);
        expect(r.certs).toHaveLength(plan.intermediates.length + 2);
        expect(r.presented).toHaveLength(plan.intermediates.length + (plan.includeRoot ? 2 : 1));
        const v = await validateChain({
          chain: r.presented,
          trustAnchors: r.trustAnchors,
          ...r.context,
          provider,
          cache: r.cache,
        });
        expect(v.problems).toEqual([]);
      }),
      { numRuns: Number(process.env.PKI_RUNS ?? 15) },
    );
  });

  it('faulty chains are reported with exactly the rule their fault names', async () => {
    await fc.assert(
      fc.asyncProperty(faultyPlanArb(), async (fp) => {
        const r = await renderChain(fp, pool, provider);
        const v = await validateChain({
          chain: r.presented,
          trustAnchors: r.trustAnchors,
          ...r.context,
          provider,
          cache: r.cache,
        });
        expect(v.ok).toBe(false);
        expect([...new Set(v.problems.map((p) => p.rule))]).toEqual([chainFaultRule(fp.fault.kind)]);
      }),
      { numRuns: Number(process.env.PKI_RUNS ?? 30) },
    );
  });

  it('every fault kind is reachable from the fault arbitrary', () => {
    const seen = new Set(fc.sample(faultyPlanArb(), { numRuns: 300, seed: 7 }).map((f) => f.fault.kind));
    expect([...seen].sort()).toEqual([...FAULT_KINDS].sort());
  });

  it('plans are pure data: compiling twice gives the same specs', () => {
    fc.assert(
      fc.property(faultyPlanArb(), (fp) => {
        expect(compilePlan(fp.plan, fp.fault)).toEqual(compilePlan(fp.plan, fp.fault));
      }),
      { numRuns: 50 },
    );
  });

  it('shrinking reaches small plans', () => {
    // A property that fails once there is any intermediate must shrink to
    // exactly one intermediate with minimal leaf settings.
    const out = fc.check(
      fc.property(chainPlanArb(), (p) => p.intermediates.length === 0),
      { seed: 42, numRuns: 200 },
    );
    expect(out.failed).toBe(true);
    const [p] = out.counterexample!;
    expect(p.intermediates).toHaveLength(1);
    expect(p.leaf.dns).toHaveLength(1);
    expect(p.leaf.ips).toHaveLength(0);
    expect(p.atDay).toBe(0);
    expect(p.leaf.key.index).toBe(0);
  });
});
