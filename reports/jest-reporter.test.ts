import type { Reporter } from '@jest/reporters';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combineFragments, readFragments, recordFragment, runDir } from './collect';
import { buildCoverage } from './coverage';
import { TlspropReporter } from './jest-reporter';
import { mergeReportFiles } from './render';
import { sampleShards } from './testing/sample';

function root(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tlsprop-reporter-'));
  writeFileSync(join(dir, 'package.json'), '{"version":"9.8.7"}');
  return dir;
}

describe('collect', () => {
  it('runDir reads TLSPROP_REPORT_DIR, else out/run', () => {
    expect(runDir({}, '/r')).toBe('/r/out/run');
    expect(runDir({ TLSPROP_REPORT_DIR: 'x/y' }, '/r')).toBe('/r/x/y');
    expect(runDir({ TLSPROP_REPORT_DIR: '/abs' }, '/r')).toBe('/abs');
  });
  it('appends fragments per worker and reads them back, skipping a torn line', () => {
    const dir = join(root(), 'run');
    const [a, b] = sampleShards();
    recordFragment(dir, { transcripts: a.transcripts }, { JEST_WORKER_ID: '1' });
    recordFragment(dir, { mutants: a.mutants }, { JEST_WORKER_ID: '1' });
    const f = recordFragment(dir, { transcripts: b.transcripts }, { JEST_WORKER_ID: '2' });
    writeFileSync(f, `${readFileSync(f, 'utf8')}{"transcr`);
    expect(readdirSync(dir)).toHaveLength(2);
    const frags = readFragments(dir);
    expect(frags).toHaveLength(3);
    const input = combineFragments(frags, { tool: { name: 't', version: '1' }, startedAt: '2026-01-01T00:00:00Z' });
    expect(input.transcripts.map((t) => t.id).sort()).toEqual(['t1', 't2', 't3']);
    expect(input.stateMachines!.map((m) => m.machine)).toEqual(['t12-client', 't12-server', 't13-client', 't13-server']);
  });
});

describe('TlspropReporter', () => {
  it('is a jest Reporter', () => {
    const r: Reporter = new TlspropReporter({ rootDir: root() });
    expect(typeof r.onRunComplete).toBe('function');
  });

  it('merges the fragments into the four reports at the end of the run', () => {
    const dir = root();
    const stale = recordFragment(join(dir, 'out', 'run'), {
      transcripts: [{ id: 'stale', provenance: { kind: 'manual' }, verdicts: [] }],
    });
    const rep = new TlspropReporter({ rootDir: dir }, { allRules: false });
    rep.onRunStart();
    expect(existsSync(stale)).toBe(false);
    const [a, b] = sampleShards();
    const run = runDir({}, dir);
    const { tool: _tool, startedAt: _at, ...rest } = a;
    recordFragment(run, { ...rest, conversations: [] }, { JEST_WORKER_ID: '1' });
    recordFragment(
      run,
      { transcripts: b.transcripts, mutants: b.mutants, conversations: [...a.conversations!, ...b.conversations!] },
      { JEST_WORKER_ID: '2' },
    );
    rep.onRunComplete();
    expect(rep.getLastError()).toBeUndefined();
    const out = join(dir, 'out', 'report');
    expect(readdirSync(out).sort()).toEqual(['index.html', 'junit.xml', 'report.json', 'summary.md']);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.tool).toEqual({ name: 'tlsprop', version: '9.8.7' });
    expect(report.summary.transcripts).toBe(3);
    expect(report.summary.mutants).toBe(4);
    expect(report.summary.conversationsFailing).toBe(2);
    expect(report.stateMachines).toHaveLength(2);
    expect(JSON.stringify(report)).not.toContain('CLIENT_HANDSHAKE_TRAFFIC_SECRET 0011');
  });

  it('names shard reports, and the shards merge', () => {
    const dir = root();
    const [a, b] = sampleShards();
    const paths: string[] = [];
    for (const [i, part] of [a, b].entries()) {
      const run = join(dir, `run-${i}`);
      const rep = new TlspropReporter(
        { rootDir: dir, shard: { shardIndex: i + 1, shardCount: 2 } },
        { runDir: `run-${i}`, formats: ['json'], includeSecrets: true, allRules: false },
      );
      rep.onRunStart();
      recordFragment(run, part);
      rep.onRunComplete();
      expect(rep.getLastError()).toBeUndefined();
      paths.push(...rep.written);
    }
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual([
      'out/report/report.shard-1-of-2.json',
      'out/report/report.shard-2-of-2.json',
    ]);
    const merged = mergeReportFiles(paths);
    const expected = buildCoverage({
      ...a,
      transcripts: [...a.transcripts, ...b.transcripts],
      mutants: [...a.mutants, ...b.mutants],
      conversations: [...a.conversations!, ...b.conversations!],
    });
    expect(merged.rules).toEqual(expected.rules);
    expect(merged.summary).toEqual(expected.summary);
    expect(merged.counterexamples).toEqual(expected.counterexamples);
  });

  it('declares every catalogue rule by default', () => {
    const dir = root();
    const rep = new TlspropReporter({ rootDir: dir }, { formats: ['json'] });
    rep.onRunStart();
    rep.onRunComplete();
    expect(rep.getLastError()).toBeUndefined();
    expect(rep.report!.summary.rules).toBeGreaterThan(10);
    expect(rep.report!.summary.rulesApplied).toBe(0);
    expect(rep.report!.stateMachines).toHaveLength(4);
  });
});
