/**
 * A fresh clone with nothing beside it runs every test: no source names a
 * path outside the repository for its data (tests read fixtures/).
 */
import { join } from 'node:path';
import { ROOT, sourceFiles, stringsOf } from './source';

const OUTSIDE = [/^\/work\//, /(^|\/)\.\.\/shared(\/|$)/];
const outside = (files: string[], root = ROOT) =>
  files.flatMap((f) =>
    stringsOf(f, root)
      .filter((s) => OUTSIDE.some((re) => re.test(s)))
      .map((s) => `${f}: ${s}`),
  );

describe('self-contained', () => {
  it('no source file spells a path to data outside the repository', () => {
    expect(outside(sourceFiles())).toEqual([]);
  });

  it('the check names such a path in a string and in a template literal (fixtures/selfcontained)', () => {
    // (The paths are matched by their tails here, so that this file does not spell them itself.)
    const found = outside(['reads-outside.ts'], join(ROOT, 'fixtures', 'selfcontained')).sort();
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^reads-outside\.ts: \/\.\.\/.*vectors\/rfc8448-section3\/vectors\.json$/);
    expect(found[1]).toMatch(/^reads-outside\.ts: \/work\/.*captures\/openssl-t13-mutual\/capture\.pcap$/);
  });
});
