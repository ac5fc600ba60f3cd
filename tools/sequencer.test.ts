import { join } from 'node:path';
import type { Test } from '@jest/test-result';

// tools/sequencer.js is CommonJS (jest loads it as it is); its default export is the class.
const Sequencer = require('./sequencer') as new (o: {
  contexts: unknown[];
  globalConfig: unknown;
}) => {
  sort(tests: Test[]): Test[];
};

const ROOT = join(__dirname, '..');
const durations = require('./test-durations.json') as Record<string, number>;

/** A test the sequencer sees: no jest cache (the context's cache directory does not exist), a haste size of 0. */
function test(file: string): Test {
  const context = {
    config: { cacheDirectory: '/nonexistent/tlsprop-sequencer-test', name: 'seq', id: 'seq' },
    hasteFS: { getSize: () => 0 },
  };
  return { path: join(ROOT, file), context, duration: undefined } as unknown as Test;
}

describe('test sequencer', () => {
  const seq = new Sequencer({ contexts: [], globalConfig: {} });

  it('starts the slowest files of the durations table first, learners interleaved with the others', () => {
    const learners = Object.keys(durations)
      .filter((f) => f.includes('learn'))
      .sort((a, b) => (durations[b] ?? 0) - (durations[a] ?? 0));
    const others = Object.keys(durations)
      .filter((f) => !f.includes('learn'))
      .sort((a, b) => (durations[b] ?? 0) - (durations[a] ?? 0));
    expect(learners.length).toBeGreaterThan(2);
    const files = ['wire/unknown-new.test.ts', ...learners, ...others];
    const order = seq.sort(files.map(test)).map((t) => t.path.slice(ROOT.length + 1));
    expect(order.slice(0, 4)).toEqual([others[0], learners[0], others[1], learners[1]]);
    // a file the table does not know counts 1 s: after every file that took 2 s or more
    expect(order[order.length - 1]).toBe('wire/unknown-new.test.ts');
    for (let i = 1; i < order.length - 1 && i < 2 * Math.min(learners.length, others.length); i++)
      expect(order[i - 1]?.includes('learn') && order[i]?.includes('learn')).toBe(false);
  });
});
