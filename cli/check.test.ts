/**
 * `tlsprop check` reads a transcript JSON with records the way it reads a
 * capture: the RFC 8448 §3 records with their key log, as JSON (key log
 * given with --keylog, or inside the file) and as a pcap of the same bytes,
 * give the same messages and no violation; without a key log nothing that
 * could not be read is judged as a message.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tcpConversationPcap } from '../capture/synth';
import { fromHex } from '../wire/hex';
import type { CheckOutput } from './check';
import { type Io, main } from './main';

const DIR = join(__dirname, '..', 'fixtures', 'vectors', 'rfc8448-section3');
const KEYLOG = join(DIR, 'keylog.txt');
const vectors = JSON.parse(readFileSync(join(DIR, 'vectors.json'), 'utf8')) as { records: Record<string, string> };
const ORDER: ReadonlyArray<readonly [string, 'C->S' | 'S->C']> = [
  ['Record_ClientHello_1', 'C->S'],
  ['Record_ServerHello', 'S->C'],
  ['Record_ServerHandshakeMessages', 'S->C'],
  ['Record_ClientFinished', 'C->S'],
  ['Record_NewSessionTicket', 'S->C'],
  ['Record_Client_AppData', 'C->S'],
  ['Record_Server_AppData', 'S->C'],
  ['Record_Client_CloseNotify', 'C->S'],
  ['Record_Server_CloseNotify', 'S->C'],
];
const records = ORDER.map(([k, dir]) => ({ dir, raw: vectors.records[k]! }));

function io(): Io & { text: () => string } {
  const out: string[] = [];
  return { out: (s) => out.push(s), err: (s) => out.push(s), readStdin: async () => '', text: () => out.join('\n') };
}

async function check(args: string[]): Promise<{ code: number; out: CheckOutput }> {
  const o = io();
  const code = await main(['check', '--json', ...args], o);
  return { code, out: JSON.parse(o.text()) as CheckOutput };
}

const tmp = mkdtempSync(join(tmpdir(), 'tlsprop-check-'));
const plain = join(tmp, 'rfc8448.json');
const withSecrets = join(tmp, 'rfc8448-secrets.json');
const pcap = join(tmp, 'rfc8448.pcap');
writeFileSync(plain, JSON.stringify({ format: 'tlsprop-transcript/1', records }));
writeFileSync(
  withSecrets,
  JSON.stringify({
    format: 'tlsprop-transcript/1',
    records,
    secrets: { keylog: readFileSync(KEYLOG, 'utf8').split('\n').filter(Boolean) },
  }),
);
writeFileSync(pcap, tcpConversationPcap(records.map((r) => ({ dir: r.dir, data: fromHex(r.raw) }))));

const shape = (o: CheckOutput) => o.connections[0]!.messages.map((m) => `${m.dir} ${m.type}${m.raw ? ` ${m.raw}` : ''}`);
const violations = (o: CheckOutput) => o.connections.flatMap((c) => c.verdicts.filter((v) => v.status === 'violation'));

describe('a transcript JSON with records is read like a capture', () => {
  it('RFC 8448 §3 records + key log: the pcap and the JSON (--keylog or secrets) give the same messages, no violation', async () => {
    const fromPcap = await check([pcap, '--keylog', KEYLOG]);
    const fromJson = await check([plain, '--keylog', KEYLOG]);
    const inline = await check([withSecrets]);
    for (const r of [fromPcap, fromJson, inline]) {
      expect(violations(r.out)).toEqual([]);
      expect(r.code).toBe(0);
    }
    expect(shape(fromJson.out)).toEqual(shape(fromPcap.out));
    expect(shape(inline.out)).toEqual(shape(fromPcap.out));
    expect(fromJson.out.connections[0]!.messages.map((m) => m.type)).toEqual([
      'client_hello',
      'server_hello',
      'encrypted_extensions',
      'certificate',
      'certificate_verify',
      'finished',
      'finished',
      'new_session_ticket',
      'application_data',
      'application_data',
      'alert',
      'alert',
    ]);
    for (const id of ['t13.ks.traffic-keys', 't13.fin.verify-data', 't13.order.state-machine'])
      expect([id, fromJson.out.connections[0]!.verdicts.find((v) => v.rule === id)?.status]).toEqual([id, 'pass']);
  });

  it('without a key log, a record that holds several messages is not taken for one: inconclusive, not out of order', async () => {
    const { code, out } = await check([plain]);
    expect(violations(out)).toEqual([]);
    expect(code).toBe(0);
    expect(out.connections[0]!.verdicts.find((v) => v.rule === 't13.order.state-machine')?.status).toBe('inconclusive');
  });
});

describe('a HelloRetryRequest is named as one', () => {
  const hrr = join(__dirname, '..', 'capture', 'testdata', 'tls13-hrr-0rtt-keyupdate.pcap');
  const keylog = join(__dirname, '..', 'capture', 'testdata', 'tls13-hrr-0rtt-keyupdate.keylog');
  it('hello_retry_request in messages[], with the type it has on the wire', async () => {
    const { out } = await check([hrr, '--keylog', keylog]);
    const m = out.connections[0]!.messages.filter((x) => x.dir === 'S->C' && x.raw?.startsWith('02'));
    expect(m.map((x) => [x.type, x.wireType])).toEqual([
      ['hello_retry_request', 'server_hello'],
      ['server_hello', undefined],
    ]);
  });
  it('explain names it HelloRetryRequest and says it is a ServerHello on the wire', async () => {
    const o = io();
    await main(['explain', hrr, '--keylog', keylog, '--quiet'], o);
    expect(o.text()).toContain('S->C: HelloRetryRequest, ChangeCipherSpec');
    expect(o.text()).toMatch(/\[1\] HelloRetryRequest \(frame \d+, \d+ bytes, a ServerHello on the wire\)/);
  });
});

describe('a violation of a SHOULD says so', () => {
  // RFC 9155 §3 "Servers SHOULD NOT include MD5 and SHA-1 in CertificateRequest messages" beside §4/§5's MUST NOTs
  const sha1 = join(__dirname, '..', 'fixtures', 'corpus', 't12-openssl-cv-rsa-pkcs1-sha1');
  const args = [join(sha1, 'capture.pcap'), '--keylog', join(sha1, 'keylog.txt')];
  const should = '[a SHOULD, not a MUST: RFC 2119 allows valid reasons to differ]';
  it('check: the SHOULD rule is marked, the MUST rules are not, and a missing expected value is not printed as "?"', async () => {
    const o = io();
    expect(await main(['check', ...args], o)).toBe(1);
    const lines = o.text().split('\n');
    const cr = lines.find((l) => l.includes('VIOLATION sig.t12.cr-no-md5-sha1'));
    const cv = lines.find((l) => l.includes('VIOLATION sig.t12.cv-no-md5-sha1'));
    expect(cr).toContain(should);
    expect(cv).toBeDefined();
    expect(cv).not.toContain(should);
    expect(o.text()).not.toContain('expected ?');
  });
  it('explain: the same mark under the CertificateRequest', async () => {
    const o = io();
    await main(['explain', ...args, '--quiet'], o);
    expect(o.text()).toMatch(/FAIL sig\.t12\.cr-no-md5-sha1: .*\[a SHOULD, not a MUST/);
    expect(o.text()).not.toMatch(/FAIL sig\.t12\.cv-no-md5-sha1: .*\[a SHOULD/);
  });
});

describe('explain names alerts', () => {
  it('a fatal alert by its RFC name, not its number', async () => {
    const d = join(__dirname, '..', 'fixtures', 'corpus', 't12-openssl-client-cert-expired');
    const o = io();
    await main(['explain', join(d, 'capture.pcap'), '--keylog', join(d, 'keylog.txt'), '--quiet'], o);
    expect(o.text()).toMatch(/\] Alert fatal\(certificate_expired\) \(frame \d+/);
  });
});
