/**
 * `tlsprop check` over several connections judges the rules decided across them (oracles/across.ts): two transcripts
 * of a server that sends its first connection's random and ECDHE key again (the fault reuse-server-randomness) fail
 * the check, the violation naming the party, both files and the field, in text, JSON and the reports; two transcripts
 * of the healthy engine pass.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import type { ServerConfig } from '../engine/config';
import { drawnOnce } from '../engine/faults';
import { SERVER_NAME, type TestPki, testPki } from '../engine/fixtures';
import { runInMemory } from '../engine/memory';
import type { CoverageReport } from '../reports/model';
import { transcriptToJson } from '../transcript/json';
import { NamedGroup } from '../wire/registry';
import { type Io, main } from './main';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

function capture(): Io & { stdout: string[] } {
  const stdout: string[] = [];
  return { stdout, out: (s) => stdout.push(s), err: () => {}, readStdin: async () => '' };
}

/** Two connections of our engine (TLS 1.3), written as transcript files `a.json`, `b.json`. */
async function twoFiles(server: () => Partial<ServerConfig>): Promise<{ dir: string; files: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tlsprop-check-across-'));
  const files: string[] = [];
  for (const name of ['a.json', 'b.json']) {
    const r = await runInMemory(
      { provider: p, groups: [NamedGroup.x25519], serverName: SERVER_NAME, trustAnchors: pki.anchors },
      { provider: p, identity: pki.identity('server', 'rsa'), groups: [NamedGroup.x25519], ...server() },
    );
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(transcriptToJson(r.transcript)));
    files.push(f);
  }
  return { dir, files };
}

describe('check: the rules decided across the connections of its inputs', () => {
  it('a server random and key share sent again: the check fails, naming the party, both files and the field', async () => {
    const drawn = drawnOnce();
    const { dir, files } = await twoFiles(() => ({ faults: ['reuse-server-randomness'], drawnOnce: drawn }));
    const text = capture();
    expect(await main(['check', ...files], text)).toBe(1);
    const across = text.stdout.find((l) => l.startsWith('across connections:'))!;
    expect(across).toContain(
      `VIOLATION hello.random-fresh @1: The server sent the same ServerHello.random value in ${files[1]} as in ${files[0]} (ServerHello.random)`,
    );
    expect(across).toMatch(
      /VIOLATION kex\.ephemeral-fresh @1: The server sent the same ServerHello key_share value .*\[a SHOULD, not a MUST/,
    );
    // the connections themselves are clean
    expect(text.stdout.at(-1)).toMatch(/^total: 2 connection\(s\), 0 violation\(s\)/);
    const json = capture();
    expect(await main(['check', ...files, '--json'], json)).toBe(1);
    const doc = JSON.parse(json.stdout.join('\n')) as { across: Array<{ rule: string; status: string; connections: string[] }> };
    expect(doc.across.map((v) => `${v.rule} ${v.status} ${v.connections.join(' / ')}`)).toEqual([
      `hello.random-fresh violation ${files[0]} / ${files[1]}`,
      `kex.ephemeral-fresh violation ${files[0]} / ${files[1]}`,
    ]);
    // the reports: the run's own entry, its violations findings of the rules, which are marked as spanning connections
    const out = join(dir, 'report');
    expect(await main(['check', ...files, '--report', out], capture())).toBe(1);
    const r = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CoverageReport;
    const finding = r.findings.find((f) => f.rule === 'hello.random-fresh');
    expect(finding?.items[0]).toMatchObject({ verdict: 'violation', target: 'across connections' });
    expect(r.rules.find((x) => x.id === 'hello.random-fresh')).toMatchObject({ spans: 'connections', violated: 1 });
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('across connections');
  });

  it('the healthy engine: both rules pass over the two files, and the check passes', async () => {
    const { files } = await twoFiles(() => ({}));
    const json = capture();
    expect(await main(['check', ...files, '--json'], json)).toBe(0);
    const doc = JSON.parse(json.stdout.join('\n')) as { across: Array<{ rule: string; status: string }> };
    expect(doc.across.map((v) => `${v.rule} ${v.status}`)).toEqual(['hello.random-fresh pass', 'kex.ephemeral-fresh pass']);
  });
});
