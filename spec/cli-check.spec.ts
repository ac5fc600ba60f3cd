/** `tlsprop check` and `tlsprop rules` through the command table. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureTranscripts } from '../capture/tls';
import { type Io, main } from '../cli/main';
import { transcriptToJson } from '../transcript/json';
import { buildFromRecords, drop, entriesOf, findCase, recordsOf } from './support/mutate';

function io(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s), readStdin: async () => '' };
}
const fixture = (n: string) => join(__dirname, 'fixtures', `${n}.json`);
const tmp = mkdtempSync(join(tmpdir(), 'tlsprop-check-'));

describe('tlsprop check', () => {
  it('passes the reference flows with exit 0 and gives the JSON shape', async () => {
    const c = io();
    expect(await main(['check', '--json', fixture('reference-mutual'), fixture('reference-oneway')], c)).toBe(0);
    const out = JSON.parse(c.stdout.join('\n'));
    expect(out.connections).toHaveLength(2);
    const first = out.connections[0];
    expect(first).toMatchObject({ client: 'mosquitto_pub', version: '1.2' });
    expect(first.messages[0]).toEqual({ index: 0, dir: 'C->S', type: 'client_hello', encrypted: false });
    expect(first.verdicts.find((v: { rule: string }) => v.rule === 't12.order.cv-after-cke')).toMatchObject({
      status: 'pass',
      message: 8,
    });
    expect(Object.keys(out.summary).sort()).toEqual(['inconclusive', 'not-applicable', 'pass', 'violation']);
    expect(out.summary.violation).toBe(0);
  });

  it('exits 1 on violations and names them in text', async () => {
    const j = JSON.parse(require('node:fs').readFileSync(fixture('reference-mutual'), 'utf8'));
    j.messages = j.messages.filter((m: { type: string }) => m.type !== 'client_key_exchange');
    const f = join(tmp, 'no-cke.json');
    writeFileSync(f, JSON.stringify(j));
    const c = io();
    expect(await main(['check', f], c)).toBe(1);
    expect(c.stdout.join('\n')).toMatch(/VIOLATION t12\.order\.cke-position @\d+: /);
  });

  const real = findCase('openssl-t12');
  it('checks a record-level transcript with raw hex and exits 1 for a dropped ServerKeyExchange', async () => {
    const E = entriesOf(real!);
    const ok = join(tmp, 'ok.json');
    writeFileSync(ok, JSON.stringify(transcriptToJson(buildFromRecords(recordsOf(E, false)))));
    const c = io();
    expect(await main(['check', '--json', ok], c)).toBe(0);
    const conn = JSON.parse(c.stdout.join('\n')).connections[0];
    expect(conn.cipherSuite).toBe('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384');
    expect(conn.messages[0].raw).toMatch(/^01/);
    drop(E, 'server_key_exchange', 'S->C');
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify(transcriptToJson(buildFromRecords(recordsOf(E, false)))));
    expect(await main(['check', bad], io())).toBe(1);
  });

  it('--trust and --at reach the certificate rules; the key log in the JSON reaches the crypto rules', async () => {
    const [ct] = await readCaptureTranscripts(real!.capture, { keylog: readFileSync(real!.keylog!, 'utf8') });
    const f = join(tmp, 'pcap.json');
    writeFileSync(f, JSON.stringify(transcriptToJson(ct!.transcript, { includeSecrets: true })));
    const root = join(__dirname, '..', 'fixtures', 'captures', String(real!.meta['pki']), 'rootCA.crt');
    const c = io();
    expect(await main(['check', '--json', '--trust', root, '--at', String(real!.meta['generated_utc']), f], c)).toBe(0);
    const v = JSON.parse(c.stdout.join('\n')).connections[0].verdicts as Array<{
      rule: string;
      status: string;
      detail: string;
    }>;
    for (const id of [
      'cert.path.trust-anchor',
      'cert.path.validity',
      't12.fin.verify-data',
      't12.ks.key-block',
      't12.ske.signature-valid',
    ])
      expect([id, v.find((x) => x.rule === id)?.status]).toEqual([id, 'pass']);
    expect(v.find((x) => x.rule === 'cert.path.validity')!.detail).toMatch(/given validation time/);
    const n = io();
    expect(await main(['check', '--json', f], n)).toBe(0);
    const w = JSON.parse(n.stdout.join('\n')).connections[0].verdicts as Array<{
      rule: string;
      status: string;
      detail: string;
    }>;
    expect(w.find((x) => x.rule === 'cert.path.trust-anchor')).toMatchObject({
      status: 'inconclusive',
      detail: expect.stringMatching(/no trust anchors given/),
    });
    expect(await main(['check', '--trust', join(tmp, 'missing.pem'), f], io())).toBe(2);
  });

  it('exits 2 with one line on unusable input', async () => {
    const f = join(tmp, 'broken.json');
    writeFileSync(f, '{"messages": [{"dir": "X", "type": "client_hello"}]}');
    for (const args of [['check', f], ['check', join(tmp, 'missing.json')], ['check']]) {
      const c = io();
      expect(await main(args, c)).toBe(2);
      expect(c.stderr).toHaveLength(1);
      expect(c.stderr[0]!.split('\n')).toHaveLength(1);
    }
  });
});

describe('tlsprop rules', () => {
  it('lists all catalogue rules and the missing share', async () => {
    const c = io();
    expect(await main(['rules', '--json'], c)).toBe(0);
    const out = JSON.parse(c.stdout.join('\n'));
    expect(out.rules.filter((r: { extra?: boolean }) => !r.extra)).toHaveLength(220);
    expect(out.stats.byEvidence.plaintext.total).toBeGreaterThan(100);
    const m = io();
    await main(['rules', '--missing'], m);
    expect(m.stdout.slice(0, -1).every((l) => l.includes(' missing: '))).toBe(true);
    expect(m.stdout.length).toBeGreaterThan(1); // the missing rules (NOT_DECLARED in oracles/catalogue.ts), then the summary
    expect(m.stdout.at(-1)).toMatch(/^\d+ of 220 catalogue rules missing; plaintext: \d+\/\d+ missing \([\d.]+%\), keys: /);
  });
});
