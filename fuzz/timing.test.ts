/** fuzz/timing.ts: the waits follow the target's measured answer times, within the ceilings. */
import { adapted, ceilings, slowed } from './timing';

describe('timing', () => {
  const budget = {};
  const ceiling = ceilings(budget);

  it('adapts the waits to the sanity handshake round trip, within the floors and the ceiling', () => {
    expect(adapted(budget, 5)).toEqual({ answerMs: 250, quietMs: 60, totalMs: ceiling.totalMs, rttMs: 5 });
    expect(adapted(budget, 50)).toEqual({ answerMs: 1000, quietMs: 200, totalMs: ceiling.totalMs, rttMs: 50 });
    expect(adapted(budget, 1000).answerMs).toBe(ceiling.answerMs);
    expect(adapted(budget, undefined)).toEqual(ceiling);
  });

  it('raises the answer wait to cover an answer a re-run with the ceilings saw, never past the ceiling', () => {
    const t = adapted(budget, 5);
    // a server that sleeps a second between reads (openssl s_server -www): its answer took 1 s
    expect(slowed(t, 1000, ceiling)).toEqual({ ...t, answerMs: 1500 });
    expect(slowed(t, 2900, ceiling).answerMs).toBe(ceiling.answerMs);
    // an answer within the wait already leaves the waits as they are; the silence wait never moves
    expect(slowed(t, 200, ceiling)).toBe(t);
    const raised = slowed(t, 1000, ceiling);
    expect(slowed(raised, 900, ceiling)).toBe(raised);
    expect(slowed(raised, 1400, ceiling)).toBe(raised);
    expect(slowed(raised, 1600, ceiling)).toEqual({ ...t, answerMs: 2400 });
  });
});
