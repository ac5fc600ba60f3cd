import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCoverage } from '../reports/coverage';
import { sampleInput, sampleShards } from '../reports/testing/sample';
import { parseReport, toJson } from '../reports/writers/json';
import { type Io, main } from './main';

function io(): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (s) => lines.push(s), err: (s) => lines.push(s), readStdin: async () => '' };
}

describe('tlsprop report merge', () => {
  it('merges shard reports into the report of the whole run, in every format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-merge-'));
    const [a, b] = sampleShards();
    writeFileSync(join(dir, 'report.shard-1-of-2.json'), toJson(buildCoverage(a)));
    writeFileSync(join(dir, 'report.shard-2-of-2.json'), toJson(buildCoverage(b)));
    const o = io();
    const out = join(dir, 'merged');
    expect(
      await main(
        ['report', 'merge', '--out', out, join(dir, 'report.shard-1-of-2.json'), join(dir, 'report.shard-2-of-2.json')],
        o,
      ),
    ).toBe(0);
    expect(o.lines.map((l) => l.replace(out, 'OUT'))).toEqual([
      'written: OUT/report.json',
      'written: OUT/junit.xml',
      'written: OUT/summary.md',
      'written: OUT/index.html',
    ]);
    const merged = parseReport(readFileSync(join(out, 'report.json'), 'utf8'));
    const whole = buildCoverage(sampleInput());
    expect(merged.summary).toEqual(whole.summary);
  });

  it('refuses missing arguments and non-reports with exit 2', async () => {
    expect(await main(['report', 'merge', 'x.json'], io())).toBe(2);
    expect(await main(['report', 'frob'], io())).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-merge-'));
    writeFileSync(join(dir, 'no.json'), '{"schema":"other"}');
    const o = io();
    expect(await main(['report', 'merge', '--out', dir, join(dir, 'no.json')], o)).toBe(2);
    expect(o.lines.join('')).toMatch(/not a tlsprop-report\/3 document/);
  });
});
