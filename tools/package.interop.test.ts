/**
 * The npm package as someone who does not clone gets it: `npm pack` (its
 * prepack builds dist/), the tarball installed into an empty folder without
 * dev dependencies, then `npx tlsprop --version`, `tlsprop run --smoke`
 * (Node.js tls, both roles), `tlsprop check` on a capture, a library example
 * run with plain node, and a TypeScript consumer type-checked against the
 * package's .d.ts through its `exports`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const CAPTURE = join(ROOT, 'fixtures', 'captures', 'mosquitto-t12-ecdhe-rsa-aes256-sha384-mutual');

describe('the packed tarball, installed into an empty folder', () => {
  let dir: string;
  let tarball: string;
  const run = (cmd: string, args: string[], cwd = dir) =>
    execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tlsprop-pack-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], ROOT)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarball = join(dir, packed[0]!.filename);
    const files = packed[0]!.files.map((f) => f.path);
    writeFileSync(join(dir, 'files.json'), JSON.stringify(files));
    const app = join(dir, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
    dir = app;
  });
  afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('holds the compiled code, its types and the bin, and no tests, fixtures or sources', () => {
    const files = JSON.parse(readFileSync(join(dir, '..', 'files.json'), 'utf8')) as string[];
    expect(files).toEqual(
      expect.arrayContaining(['bin/tlsprop.js', 'dist/api/index.js', 'dist/api/index.d.ts', 'dist/cli/entry.js', 'package.json']),
    );
    expect(files.filter((f) => /\.test\.|^spec\/|^fixtures\/|^examples\/|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    // no dev dependency came along
    expect(existsSync(join(dir, 'node_modules', 'esbuild-register'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', 'fast-check'))).toBe(true);
  });

  it('npx tlsprop --version and --help run the compiled command', () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    expect(run('npx', ['--no-install', 'tlsprop', '--version']).trim()).toBe(`tlsprop ${version}`);
    expect(run('npx', ['--no-install', 'tlsprop', 'run', '--help'])).toMatch(/^usage: tlsprop run/);
  });

  it('tlsprop run --smoke tests Node.js tls in both roles and writes the four reports', () => {
    // exit 0, or 1 when Node's OpenSSL has findings (it does on Node.js 20): both are a run that worked
    const r = spawnSync('npx', ['--no-install', 'tlsprop', 'run', '--smoke', '--runs', '3', '--seed', '4', '--out', 'out'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    if (r.status !== 0 && r.status !== 1) throw new Error(`tlsprop run exited ${r.status}: ${r.stderr}`);
    for (const f of ['report.json', 'junit.xml', 'summary.md', 'index.html']) expect(existsSync(join(dir, 'out', f))).toBe(true);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.targets.map((t: { role: string }) => t.role).sort()).toEqual(['client', 'server']);
  });

  it('tlsprop check reads a capture with its key log', () => {
    const out = run('npx', [
      '--no-install',
      'tlsprop',
      'check',
      join(CAPTURE, 'capture.pcap'),
      '--keylog',
      join(CAPTURE, 'keylog.txt'),
    ]);
    expect(out).toMatch(/total: 1 connection\(s\), 0 violation\(s\)/);
  });

  it('a library example runs with plain node, and a TypeScript consumer type-checks against the .d.ts', () => {
    copyFileSync(join(ROOT, 'examples', 'library.mjs'), join(dir, 'library.mjs'));
    expect(run(process.execPath, ['library.mjs'])).toMatch(/C->S certificate_verify[\s\S]*\d+ pass, 0 violation/);
    writeFileSync(
      join(dir, 'consumer.ts'),
      [
        "import { checkTranscript, handshakePlanArb, type RuleId, renderReports } from 'tlsprop';",
        "import { test } from 'tlsprop/jest';",
        "const rule: RuleId = 't12.order.cv-after-cke';",
        'export const used = [checkTranscript, handshakePlanArb, renderReports, test.prop, rule];',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
  });
});
