/**
 * jest's test sequencer for `npm test` (jest.config.ts `testSequencer`).
 *
 * jest's own sequencer runs the files that failed last time first, then the slowest first by the durations in its
 * cache, and with no cache (every CI run starts from a clean clone) the largest files first. Our slowest files are
 * small: the four learner specs are a few lines each (spec/learn-faulty.ts does the work) and took 80-220 s, so on CI
 * they started last and the run waited 200 s for them at the end with two idle workers.
 *
 * So the expected duration of a file is, in this order: jest's cache, then tools/test-durations.json (seconds per
 * file of a recent whole run, written by `npm run test:slowest -- --write-durations`), then 1 s. Failed files still
 * go first. The files that learn a state machine (`learn` in the name) spend most of their time waiting for a
 * target's silence, and a learner's silence windows adapt to load but grow with it: they are interleaved with the
 * CPU-heavy files instead of all starting together.
 */
const { readFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const ROOT = join(__dirname, '..');

function table() {
  try {
    return JSON.parse(readFileSync(join(__dirname, 'test-durations.json'), 'utf8'));
  } catch {
    return {};
  }
}

class DurationSequencer extends Sequencer {
  sort(tests) {
    const known = table();
    const seconds = (t) => {
      const cached = this.time(t);
      if (cached != null) return cached / 1000;
      return known[relative(ROOT, t.path).split('\\').join('/')] ?? 1;
    };
    const weighed = tests.map((t) => ({ t, s: seconds(t), failed: this.hasFailed(t) }));
    const byTime = (a, b) => b.s - a.s || (a.t.path < b.t.path ? -1 : 1);
    const failed = weighed.filter((w) => w.failed).sort(byTime);
    const rest = weighed.filter((w) => !w.failed);
    const learners = rest.filter((w) => /learn/.test(w.t.path)).sort(byTime);
    const others = rest.filter((w) => !/learn/.test(w.t.path)).sort(byTime);
    const merged = [];
    // other, learner, other, learner, ...: never two learners started one after the other while others remain
    while (learners.length || others.length) {
      if (others.length) merged.push(others.shift());
      if (learners.length) merged.push(learners.shift());
    }
    return [...failed, ...merged].map((w) => w.t);
  }
}

module.exports = DurationSequencer;
