/**
 * `tlsprop learn` end to end, in process, against the engine's server on
 * loopback (healthy, and with the accept-early-ccs fault): the report
 * directory (report.html with both drawings, learned.json, learned.dot, the
 * replay of each difference as pcap + key log + transcript), the exit codes,
 * `--replay WORD` and `--compare A.json B.json`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { derToPem } from '../pki/pem';
import { testPki, type TestPki } from '../engine/fixtures';
import type { Fault } from '../engine/faults';
import { type Serving, startFaultyServer } from '../engine/serve';
import { learnCommand } from './learn';
import type { Io } from './main';

let pki: TestPki;
let dir: string;
const servers: Serving[] = [];

beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), 'tlsprop-learn-cli-'));
  const client = pki.client.rsa[0]!;
  writeFileSync(join(dir, 'client.crt'), client.pem);
  writeFileSync(join(dir, 'client.key'), derToPem(client.key.pkcs8, 'PRIVATE KEY'));
  writeFileSync(
    join(dir, 'alphabet.txt'),
    'client_hello\ncertificate\nclient_key_exchange\ncertificate_verify\n# the fault\nchange_cipher_spec\nfinished\n',
  );
});
afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function io(): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (s) => lines.push(s), err: (s) => lines.push(s), readStdin: async () => '' };
}

async function target(faults: Fault[]): Promise<string> {
  const s = await startFaultyServer({
    identity: pki.identity('server', 'rsa'),
    versions: [0x0303],
    clientAuth: 'require',
    trustAnchors: pki.anchors,
    faults,
  });
  servers.push(s);
  return `127.0.0.1:${s.port}`;
}

const common = () => [
  '--version',
  '1.2',
  '--cert',
  join(dir, 'client.crt'),
  '--key',
  join(dir, 'client.key'),
  '--alphabet',
  join(dir, 'alphabet.txt'),
  '--silence-floor',
  '80',
  '--walks',
  '20',
];

describe('tlsprop learn', () => {
  it(
    'learns the faulty engine, reports the early CCS with its replay, and compares with the healthy engine',
    async () => {
      const faulty = await target(['accept-early-ccs']);
      const healthy = await target([]);
      const a = io();
      const codeFaulty = await learnCommand(
        [
          '--target',
          faulty,
          '--target',
          faulty,
          '--target',
          faulty,
          '--target',
          faulty,
          ...common(),
          '--report',
          join(dir, 'faulty'),
        ],
        a,
      );
      expect(codeFaulty).toBe(1);
      expect(a.lines.join('\n')).toMatch(/accepts-invalid at s\d+ on change_cipher_spec/);
      const report = readFileSync(join(dir, 'faulty', 'report.html'), 'utf8');
      expect(report).toContain('<svg');
      expect(report).toContain('data-machine="learned"');
      expect(report).toContain('data-machine="rfc"');
      expect(report).toContain('accepts-invalid');
      expect(readFileSync(join(dir, 'faulty', 'learned.dot'), 'utf8')).toContain('digraph');
      const learned = JSON.parse(readFileSync(join(dir, 'faulty', 'learned.json'), 'utf8')) as {
        format: string;
        differences: Array<{ kind: string; replay?: { pcap: string; keylog: string; reproduced: boolean } }>;
      };
      expect(learned.format).toBe('tlsprop-learned/1');
      const first = learned.differences[0]!;
      expect(first.kind).toBe('accepts-invalid');
      expect(first.replay?.reproduced).toBe(true);
      expect(existsSync(first.replay!.pcap)).toBe(true);
      // the early CCS comes before any key exchange: its key log is empty, its transcript has the records
      expect(existsSync(first.replay!.keylog)).toBe(true);
      expect(readFileSync(first.replay!.pcap).length).toBeGreaterThan(24);

      const b = io();
      expect(
        await learnCommand(['--target', healthy, '--target', healthy, ...common(), '--report', join(dir, 'healthy')], b),
      ).toBe(0);
      expect(b.lines.join('\n')).toContain('no difference from the RFC machine');

      const c = io();
      expect(
        await learnCommand(['--compare', join(dir, 'healthy', 'learned.json'), join(dir, 'faulty', 'learned.json')], c),
      ).toBe(1);
      expect(c.lines.join('\n')).toMatch(/disagreement\(s\)[\s\S]*change_cipher_spec/);
    },
    10 * 60_000,
  );

  it('replays one word as a ladder', async () => {
    const healthy = await target([]);
    const r = io();
    expect(await learnCommand(['--target', healthy, ...common(), '--replay', 'client_hello,finished'], r)).toBe(0);
    expect(r.lines).toEqual([
      'C->S: client_hello',
      'S->C: server_hello, certificate, server_key_exchange, certificate_request, server_hello_done',
      'C->S: finished',
      'S->C: alert(unexpected_message)',
      '(connection closed)',
    ]);
  });

  it('refuses bad usage with exit code 2', async () => {
    await expect(learnCommand(['--version', '1.4', '--target', '127.0.0.1:1'], io())).rejects.toThrow(/--version/);
    await expect(learnCommand(['--target', '10.0.0.1:443'], io())).rejects.toThrow(/loopback/);
    await expect(learnCommand(['--target', '127.0.0.1:1', '--replay', 'client_hello,nonsense'], io())).rejects.toThrow(
      /unknown input/,
    );
  });
});
