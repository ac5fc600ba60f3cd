import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Io, main } from './main';

function capture(stdin = ''): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s), readStdin: async () => stdin };
}

const SHD = '0e000000';
const CCS_AND_ALERT = '140303000101' + '15030300020228';

describe('tlsprop decode', () => {
  it('prints a handshake message as JSON with reencodedEqual', async () => {
    const io = capture();
    expect(await main(['decode', SHD], io)).toBe(0);
    expect(JSON.parse(io.stdout.join(''))).toEqual({
      type: 'server_hello_done',
      length: 0,
      message: { type: 'server_hello_done' },
      reencodedEqual: true,
      findings: [],
    });
  });

  it('reads hex from stdin with -, and decodes records with --record', async () => {
    const io = capture(`${CCS_AND_ALERT}\n`);
    expect(await main(['decode', '--record', '-'], io)).toBe(0);
    const out = JSON.parse(io.stdout.join(''));
    expect(out.records.map((r: { contentType: string }) => r.contentType)).toEqual(['change_cipher_spec', 'alert']);
    expect(out.records[1].alert).toEqual({ level: 'fatal', description: 'handshake_failure' });
  });

  it('reports findings, e.g. trailing bytes, and exit code 2 with one line for bad input', async () => {
    const io = capture();
    expect(await main(['decode', '0e000001ff'], io)).toBe(0);
    expect(JSON.parse(io.stdout.join('')).findings[0].code).toBe('trailing-bytes');
    const bad = capture();
    expect(await main(['decode', '0b00ffff00'], bad)).toBe(2);
    expect(bad.stderr.join('')).toMatch(/^tlsprop decode: cannot decode input: truncated at offset 1 \(handshake.length\)/);
    const usage = capture();
    expect(await main(['decode', '--nope', SHD], usage)).toBe(2);
    expect(await main(['frobnicate'], usage)).toBe(2);
  });
});

describe('tlsprop run --self', () => {
  it('runs the self-test of our engine and oracles: reference flows, generated handshakes, mutants, reports', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tlsprop-run-'));
    const io = capture();
    expect(await main(['run', '--self', '--smoke', '--count', '1', '--mutants', '1', '--seed', '7', '--out', out], io)).toBe(0);
    expect(io.stdout).toContain('  C->S: Certificate, ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished');
    expect(io.stdout).toContain('  C->S: ClientKeyExchange, ChangeCipherSpec, Finished');
    expect(io.stdout.join('\n')).toMatch(/mutants from \d+ operators: (\d+) caught with their declared rules, 0 not/);
    expect(io.stderr.some((l) => /\[run [\d.]+s\] valid 3\/3/.test(l))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.summary.transcripts).toBeGreaterThanOrEqual(3);
    expect(report.summary.verdicts.violation).toBe(0);
    expect(report.run).toMatchObject({ command: 'run --self', seed: 7 });
    expect(readdirSync(out).sort()).toEqual(['index.html', 'junit.xml', 'report.json', 'summary.md']);
  });

  it('refuses a malformed count, and --count without --self', async () => {
    expect(await main(['run', '--self', '--count', 'many'], capture())).toBe(2);
    expect(await main(['run', '--count', '3'], capture())).toBe(2);
  });
});

describe('tlsprop run (no target): Node.js tls in this process, both roles', () => {
  it('tests its server and its client and writes the four reports', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tlsprop-run-node-'));
    const io = capture();
    const code = await main(['run', '--smoke', '--runs', '4', '--seed', '11', '--out', out], io);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/against Node\.js v\d+\.\d+\.\d+ tls .*its server and its client/);
    expect(
      readdirSync(out)
        .filter((f) => !f.startsWith('conversations'))
        .sort(),
    ).toEqual(['index.html', 'junit.xml', 'report.json', 'summary.md']);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.targets.map((t: { role: string }) => t.role).sort()).toEqual(['client', 'server']);
    for (const t of report.targets) {
      expect(t.sanity).toEqual({ first: true, last: true });
      expect(t.conversations).toBeGreaterThanOrEqual(3);
      expect(t.probed.versions).toEqual(['1.3', '1.2']);
    }
    expect(report.run).toMatchObject({ command: 'run', seed: 11 });
    expect(report.conversationList.length).toBe(report.summary.conversations);
    // Node's tls is a real implementation judged at the default strictness: the exit code says whether it failed,
    // and every failure is a finding under a declared rule with its RFC section (Node 20's client, for one, offers
    // SHA-224 and DSA in signature_algorithms beside TLS 1.3, which RFC 8446 §4.2.3 says "MUST NOT be offered")
    expect(code).toBe(report.summary.failures > 0 ? 1 : 0);
    expect(report.summary.ok).toBe(code === 0);
    for (const f of report.findings) {
      expect(typeof f.rule).toBe('string');
      expect(f.rfc).toBeTruthy();
      expect(f.items.length).toBeGreaterThan(0);
    }
  });
});
