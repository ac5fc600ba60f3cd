/**
 * The learner's windows (learn/sul.ts `Timing`): the answers to a query's first input (a hello, answered by the
 * costliest work of a handshake) set the first input's window and not the window of every later input.
 */
import { Timing } from './sul';

const OPTS = { floorMs: 20, capMs: 3000, factor: 4, initialMs: 300 };

describe('Timing', () => {
  it('waits the initial window until eight latencies are known', () => {
    const t = new Timing(OPTS);
    for (let i = 0; i < 7; i++) t.observe(5);
    expect(t.silenceMs).toBe(300);
    t.observe(5);
    expect(t.silenceMs).toBe(20);
  });

  it('keeps slow first answers out of the later inputs window, and gives the first input its own', () => {
    const t = new Timing(OPTS);
    for (let i = 0; i < 32; i++) {
      t.observe(400, true);
      t.observe(10);
    }
    // factor x p90 of the later inputs' latencies, not of the hellos'
    expect(t.silenceMs).toBe(40);
    // factor x p90 of the first answers: 1,600 ms, above twice the later window
    expect(t.firstSilenceMs).toBe(1600);
    expect(t.maxLatencyMs).toBe(400);
  });

  it('gives the first input at least twice the later window, and never more than the cap', () => {
    const t = new Timing(OPTS);
    for (let i = 0; i < 16; i++) {
      t.observe(1, true);
      t.observe(50);
    }
    expect(t.silenceMs).toBe(200);
    expect(t.firstSilenceMs).toBe(400);
    for (let i = 0; i < 64; i++) t.observe(2000, true);
    expect(t.firstSilenceMs).toBe(3000);
  });
});
