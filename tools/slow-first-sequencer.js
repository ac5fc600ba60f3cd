/**
 * A jest test sequencer that starts the files known to take longest first, so that no long file is left for the end
 * of a run (most of their time is waiting on a peer or a learner's silence window, so they overlap well with the
 * rest). Jest's own order (failed first, then by the durations it cached, then by file size) applies to everything
 * else; in a clean clone there is no cache and size alone would start the 3-line learn-faulty-live files last.
 * The list is what `npm run test:slowest` printed for a clean CI run (2026-12-07); keep it to the ten slowest.
 */
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = [
  'spec/learn-faulty-live-tls13.spec.ts',
  'spec/learn-peers.spec.ts',
  'spec/learn-faulty-tls13.spec.ts',
  'spec/learn-faulty-live-tls12.spec.ts',
  'spec/learn-faulty-tls12.spec.ts',
  'crypto/ffdhe.test.ts',
  'spec/faulty-clients.spec.ts',
  'spec/families-stacks.spec.ts',
  'spec/interop.spec.ts',
  'spec/faulty-target.spec.ts',
];

class SlowFirstSequencer extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    const rank = (t) => {
      const i = FIRST.findIndex((f) => t.path.endsWith(`/${f}`));
      return i < 0 ? FIRST.length : i;
    };
    // Array.prototype.sort is stable: jest's order stays within each rank
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowFirstSequencer;
