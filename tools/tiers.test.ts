import { join } from 'node:path';
import { ROOT, sourceFiles } from './source';
import { TierCheck } from './tier-check';
import { tierOf } from './tiers';

describe('test tiers (tools/tiers.ts)', () => {
  it('every test file of the repository is in the tier its name says', () => {
    expect(new TierCheck().problems()).toEqual([]);
  });

  it('the repository has tests in all three tiers', () => {
    const tiers = sourceFiles().map(tierOf);
    expect(tiers.filter((t) => t === 'pure').length).toBeGreaterThan(30);
    expect(tiers.filter((t) => t === 'interop').length).toBeGreaterThan(10);
    expect(tiers.filter((t) => t === 'conformance').length).toBeGreaterThan(15);
  });

  it('catches each kind of misfiled test in fixtures/tiercheck', () => {
    expect(new TierCheck(join(ROOT, 'fixtures', 'tiercheck')).problems()).toEqual([
      'lib/direct.test.ts: pure, but imports node:child_process: name it *.interop.test.ts',
      'lib/idle.interop.test.ts: interop, but starts no process: name it *.test.ts',
      'lib/launches.test.ts: pure, but imports start from lib/launcher.ts, which imports node:child_process: name it *.interop.test.ts',
      'lib/stray.spec.ts: no tier runs it (*.test.ts beside the code, *.spec.ts in spec/)',
      'lib/via-helper.test.ts: pure, but imports startPeer from spec/support/peer.ts, which imports start from lib/launcher.ts, which imports node:child_process: name it *.interop.test.ts',
      'spec/stray.test.ts: no tier runs it (*.test.ts beside the code, *.spec.ts in spec/)',
    ]);
  });
});
