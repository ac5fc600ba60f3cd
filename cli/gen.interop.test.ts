import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kexOf } from '../generators/handshake';
import { knownRules } from '../spec/support/known-findings';
import { transcriptFromJson } from '../transcript/json';
import { type GeneratedFile, generate } from './gen';
import { type Io, main } from './main';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s), readStdin: async () => '' };
}

/** tshark's handshake types of the frames that carry a Finished (20): only visible when decrypted. */
function tsharkFinished(f: GeneratedFile, keylog: boolean): string {
  const args = [
    '-r',
    f.pcap,
    ...(keylog ? ['-o', `tls.keylog_file:${f.keylog}`] : []),
    '-Y',
    'tls.handshake.type==20',
    '-T',
    'fields',
    '-e',
    'tls.handshake.type',
  ];
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

describe('tlsprop gen', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tlsprop-gen-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['1.2', '1.3'] as const)(
    'TLS %s: tshark decrypts the pcap with the key log, and check finds zero violations',
    async (version) => {
      const io = capture();
      const out = join(dir, `v${version}`);
      expect(
        await main(
          ['gen', '--out', out, '--count', '2', '--seed', '11', '--version', version, ...(version === '1.2' ? ['--mutual'] : [])],
          io,
        ),
      ).toBe(0);
      expect(io.stdout.at(-1)).toMatch(/2 handshake\(s\) written .* \(seed 11\); the \.json files contain secrets/);
      const files = await generate(
        join(dir, `again${version}`),
        2,
        11,
        version === '1.2' ? { version, clientAuth: ['requested-sent', 'required'], resumed: false } : { version, resumed: false },
      );
      const resumed = await generate(join(dir, `resumed${version}`), 1, 11, { version, resumed: true });
      for (const f of [...files, ...resumed]) await decryptedAndConforming(f);
      for (const f of files) {
        // The JSON is the same handshake, with its secrets.
        const t = transcriptFromJson(JSON.parse(readFileSync(f.json, 'utf8')));
        expect(t.messages.map((m) => `${m.dir} ${m.type}`)).toEqual(f.sequence);
        expect(t.secrets?.keylog?.length).toBeGreaterThan(0);
        if (version === '1.3' || kexOf(f.planData.suite) !== 'RSA') expect(t.secrets?.ephemeral?.length).toBeGreaterThan(0);
        if (version === '1.2') expect(f.sequence).toContain('C->S certificate_verify');
      }
    },
  );

  /** tshark decrypts the Finished messages; `tlsprop check` on the pcap gives zero violations. */
  async function decryptedAndConforming(f: GeneratedFile): Promise<void> {
    const connections = f.planData.resumption === 'none' ? 1 : 2;
    // a TLS 1.2 plan may renegotiate (breadth): a second handshake on its connection, with its own two Finished
    const handshakes = connections + (f.planData.renegotiation !== 'none' ? 1 : 0);
    // Finished (20) appears only once decrypted: one per side and handshake.
    expect(tsharkFinished(f, false).trim()).toBe('');
    const finished = tsharkFinished(f, true).trim().split('\n');
    expect(finished).toHaveLength(2 * handshakes);
    for (const line of finished) expect(line.split(',')).toContain('20');
    const check = capture();
    const code = await main(['check', f.pcap, '--keylog', f.keylog, '--trust', f.ca, '--json'], check);
    const report = JSON.parse(check.stdout.join('')) as {
      connections: { verdicts: { rule: string; status: string; detail: string }[] }[];
    };
    expect(report.connections).toHaveLength(connections);
    const violations = report.connections.flatMap((c) => c.verdicts.filter((v) => v.status === 'violation'));
    // Zero violations, except a known finding for exactly this plan (spec/support/known-findings.ts).
    const known = knownRules(f.planData);
    expect(violations.filter((v) => !known.has(v.rule))).toEqual([]);
    expect(code).toBe(violations.length ? 1 : 0);
  }

  it('the same seed gives the same plans and message sequences; another seed others', async () => {
    const a = await generate(join(dir, 'a'), 6, 42);
    const b = await generate(join(dir, 'b'), 6, 42);
    const c = await generate(join(dir, 'c'), 6, 43);
    expect(b.map((f) => [f.plan, f.sequence])).toEqual(a.map((f) => [f.plan, f.sequence]));
    expect(c.map((f) => f.plan)).not.toEqual(a.map((f) => f.plan));
  });

  it('rejects bad usage with exit code 2', async () => {
    for (const args of [
      ['gen'],
      ['gen', '--out', dir, '--count', '0'],
      ['gen', '--out', dir, '--version', '1.1'],
      ['gen', '--out', dir, '--seed', 'x'],
      ['gen', '--out', dir, 'extra'],
    ]) {
      const io = capture();
      expect(await main(args, io)).toBe(2);
      expect(io.stderr.join('')).toMatch(/^tlsprop gen: /);
    }
    const help = capture();
    expect(await main(['gen', '--help'], help)).toBe(0);
    expect(help.stdout.join('')).toMatch(/INCLUDING its secrets/);
  });
});
