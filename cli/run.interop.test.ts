/**
 * `tlsprop run --target` against a real server: `openssl s_server` with
 * client certificates required (the MQTT write-up's mutual TLS), and the
 * four reports it writes for that target; and `--baseline` / `profile
 * --from` against the same server.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoverageReport } from '../reports/model';
import { freePort, launch, type PeerProcess } from '../testing/launch';
import { opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { type Io, main } from './main';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s), readStdin: async () => '' };
}

describe('tlsprop run --target: openssl s_server with client certificates required', () => {
  let files: PkiFiles;
  let server: PeerProcess;
  let port: number;
  beforeAll(async () => {
    files = await writePki();
    port = await freePort();
    server = await launch(opensslServer({ port, files, key: 'rsa', clientAuth: true }));
  });
  afterAll(async () => {
    await server?.stop();
    files?.cleanup();
  });

  it('writes report.json, junit.xml, summary.md and index.html for that server', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tlsprop-run-target-'));
    const io = capture();
    const args = ['run', '--target', `127.0.0.1:${port}`, '--cert', files.client.rsa.cert, '--key', files.client.rsa.key];
    const code = await main([...args, '--ca', files.ca, '--smoke', '--seed', '5', '--out', out], io);
    expect([0, 1]).toContain(code);
    for (const f of ['report.json', 'junit.xml', 'summary.md', 'index.html']) expect(existsSync(join(out, f))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CoverageReport;
    expect(report.schema).toBe('tlsprop-report/3');
    expect(report.run).toMatchObject({ command: 'run', seed: 5 });
    expect(report.run!.argv).toEqual(expect.arrayContaining(['--target', `127.0.0.1:${port}`]));
    expect(report.targets).toHaveLength(1);
    const t = report.targets[0]!;
    expect(t).toMatchObject({ name: `server 127.0.0.1:${port}`, role: 'server' });
    expect(t.probed?.certificateRequested).toBe(true);
    expect(t.probed?.versions).toEqual(['1.3', '1.2']);
    expect(t.sanity).toEqual({ first: true, last: true });
    expect(t.conversations).toBeGreaterThanOrEqual(10);
    // every conversation is a JUnit testcase with a time, under a classname without the address's dots
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    const cases = [...junit.matchAll(/<testcase classname="(tlsprop\.server-127-0-0-1-\d+)" name="[^"]*" time="\d+\.\d{3}"/g)];
    expect(cases).toHaveLength(t.conversations);
    expect(junit).not.toMatch(/classname="[^"]*\/tmp/);
    // the target's transcripts were judged by the rules: rules applied, by RFC section
    expect(report.summary.rulesApplied).toBeGreaterThan(20);
    expect(report.sections.some((s) => s.section.startsWith('RFC 8446') && s.applied > 0)).toBe(true);
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toContain(`server 127.0.0.1:${port}`);
    expect(md).toContain('seed 5');
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('id="findings"');
    expect(html).toContain(`$ tlsprop run --target 127.0.0.1:${port}`);
    expect(io.stdout.join('\n')).toMatch(/reports: .*index\.html/);
  });

  it('without a client certificate: the run says the server asked for one and what to pass', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tlsprop-run-nocert-'));
    const io = capture();
    const code = await main(['run', '--target', `127.0.0.1:${port}`, '--smoke', '--runs', '2', '--seed', '1', '--out', out], io);
    expect(code).toBe(1);
    expect(io.stdout.join('\n')).toMatch(/hint: the server asked for a client certificate.*--cert and --key/);
  });

  it('--baseline counts only new failures; profile --from writes them as expected failures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-run-baseline-'));
    // strictness exact: s_server closes some rejections without the RFC's alert, a failure to baseline
    const args = ['run', '--target', `127.0.0.1:${port}`, '--cert', files.client.rsa.cert, '--key', files.client.rsa.key];
    const common = [...args, '--ca', files.ca, '--smoke', '--seed', '3', '--strictness', 'exact'];
    const first = capture();
    const code1 = await main([...common, '--out', join(dir, 'a')], first);
    const a = JSON.parse(readFileSync(join(dir, 'a', 'report.json'), 'utf8')) as CoverageReport;
    const second = capture();
    const code2 = await main([...common, '--out', join(dir, 'b'), '--baseline', join(dir, 'a', 'report.json')], second);
    const b = JSON.parse(readFileSync(join(dir, 'b', 'report.json'), 'utf8')) as CoverageReport;
    expect(b.baseline).toBeDefined();
    // same seed, same target: nothing new, every failure of the first run unchanged or fixed
    expect(b.baseline!.newFailures).toEqual([]);
    expect(code2).toBe(0);
    expect(b.baseline!.unchanged.length + b.baseline!.fixed.length).toBe(a.summary.failures);
    expect(second.stdout.join('\n')).toMatch(/against the baseline .*: 0 new failure\(s\)/);
    if (code1 === 1) {
      const prof = capture();
      expect(await main(['profile', '--from', join(dir, 'a', 'report.json')], prof)).toBe(0);
      const profile = JSON.parse(prof.stdout.join('\n')) as { expectedFailures: Array<{ reason: string }> };
      expect(profile.expectedFailures.length).toBeGreaterThan(0);
      expect(profile.expectedFailures.every((e) => e.reason.startsWith('TODO'))).toBe(true);
      writeFileSync(join(dir, 'profile.json'), prof.stdout.join('\n'));
      const third = capture();
      await main([...common, '--out', join(dir, 'c'), '--profile', join(dir, 'profile.json')], third);
      const c = JSON.parse(readFileSync(join(dir, 'c', 'report.json'), 'utf8')) as CoverageReport;
      expect(c.profile?.expectedFailures).toBeGreaterThan(0);
    }
  });
});
