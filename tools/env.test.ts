/**
 * Every environment variable the code reads is documented in README.md's
 * "Environment variables" table, and every variable documented there is
 * read (reads found in swc's syntax tree: `process.env.X`, `process.env['X']`,
 * and any `TLSPROP_*` name spelt out).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envReadsOf, ROOT, sourceFiles } from './source';

/** Set outside the code: read by jest itself. */
const EXTERNAL = new Set(['CI']);

function documented(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Environment variables\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...l.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!));
}

function reads(): Map<string, string[]> {
  const where = new Map<string, string[]>();
  // This file names variables to test the search: it reads none.
  for (const f of sourceFiles(ROOT, ['.ts', '.js']).filter((f) => f !== 'tools/env.test.ts'))
    for (const name of envReadsOf(f)) where.set(name, [...(where.get(name) ?? []), f]);
  return where;
}

describe('environment variables (README.md)', () => {
  const docs = documented();
  const read = reads();

  it('every variable the code reads is documented', () => {
    const missing = [...read].filter(([name]) => !docs.includes(name)).map(([name, files]) => `${name} (${files.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('every documented variable is read (no dead ones)', () => {
    expect(docs.filter((name) => !read.has(name) && !EXTERNAL.has(name))).toEqual([]);
    expect(docs).toEqual(expect.arrayContaining(['BENCH_SECONDS', 'CI', 'TLSPROP_REPORT_DIR']));
  });

  it('reads are found however they are spelt', () => {
    expect(read.get('TLSPROP_CODEC_RUNS')).toEqual(['wire/codec.test.ts', 'wire/record.test.ts']);
    expect(read.get('PKI_RUNS')).toEqual(['generators/pki.test.ts']);
    expect(read.get('TLSPROP_REPORT_DIR')).toEqual(expect.arrayContaining(['reports/collect.ts']));
  });
});
