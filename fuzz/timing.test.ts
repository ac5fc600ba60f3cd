/** fuzz/timing.ts: the waits follow the target's measured answer times, within the ceilings. */
import { adapted, ceilings, slowed, waitsOf } from './timing';

describe('timing', () => {
  const budget = {};
  const ceiling = ceilings(budget);

  it('adapts the waits to the sanity handshake round trip, within the floors and the ceiling', () => {
    expect(adapted(budget, 5)).toEqual({ answerMs: 250, quietMs: 60, totalMs: ceiling.totalMs, rttMs: 5 });
    expect(adapted(budget, 50)).toEqual({ answerMs: 1000, quietMs: 200, totalMs: ceiling.totalMs, rttMs: 50 });
    expect(adapted(budget, 1000).answerMs).toBe(ceiling.answerMs);
    expect(adapted(budget, undefined)).toEqual(ceiling);
  });

  it('raises the handshake wait to cover a flight a re-run with the ceilings saw, never past the ceiling', () => {
    const t = adapted(budget, 5);
    // a server that sleeps a second between reads (openssl s_server -rev after a refused renegotiation): its flight took 1 s
    expect(slowed(t, 1000, ceiling)).toEqual({ ...t, handshakeMs: 1500 });
    expect(slowed(t, 2900, ceiling).handshakeMs).toBe(ceiling.answerMs);
    // a flight within the wait leaves the waits as they are; the waits after the handshake never move
    expect(slowed(t, 200, ceiling)).toBe(t);
    const raised = slowed(t, 1000, ceiling);
    expect(raised.answerMs).toBe(t.answerMs);
    expect(raised.quietMs).toBe(t.quietMs);
    expect(slowed(raised, 900, ceiling)).toBe(raised);
    expect(slowed(raised, 1400, ceiling)).toBe(raised);
    expect(slowed(raised, 1600, ceiling)).toEqual({ ...t, handshakeMs: 2400 });
  });

  it('gives an exchange the handshake wait only once it was raised', () => {
    const t = adapted(budget, 5);
    expect(waitsOf(t)).toEqual({ answerMs: 250, quietMs: 60, totalMs: ceiling.totalMs });
    expect(waitsOf(slowed(t, 1000, ceiling))).toEqual({
      answerMs: 250,
      quietMs: 60,
      totalMs: ceiling.totalMs,
      handshakeMs: 1500,
    });
  });
});
