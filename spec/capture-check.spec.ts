/**
 * `tlsprop check` and `tlsprop explain` on real captures: what tshark saw,
 * message for message and frame for frame, with zero violations; and the
 * same captures tampered with on the wire are caught with the right rule.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Io, main } from '../cli/main';
import { fromHex } from '../wire/hex';
import { KNOWN_DEVIATIONS, knownDeviation } from './support/known-deviations';
import { SHARED, type SharedCase, sharedCases, snake } from './support/shared';

function io(): Io & { text: () => string } {
  const out: string[] = [];
  return { out: (s) => out.push(s), err: (s) => out.push(s), readStdin: async () => '', text: () => out.join('\n') };
}

function trustFor(c: SharedCase): string[] {
  const pki = c.meta['pki'];
  return typeof pki === 'string' ? ['--trust', join(c.dir, '..', pki, 'rootCA.crt')] : [];
}

interface Out {
  connections: Array<{
    messages: Array<{ dir: string; type: string; frame?: number; raw?: string }>;
    verdicts: Array<{ rule: string; status: string; detail: string }>;
  }>;
}

async function check(args: string[]): Promise<{ code: number; out: Out }> {
  const o = io();
  const code = await main(['check', ...args, '--json'], o);
  return { code, out: JSON.parse(o.text()) };
}

const withKeylog = sharedCases().filter((c) => c.keylog);

describe('check on real captures', () => {
  it.each(withKeylog.map((c) => [c.name, c] as const))("%s: tshark's messages and frames, zero violations", async (_n, c) => {
    const { code, out } = await check([c.capture, '--keylog', c.keylog!, ...trustFor(c)]);
    const found = out.connections.flatMap((x) => x.verdicts.filter((v) => v.status === 'violation'));
    // the stacks' own deviations from the RFC text (spec/support/known-deviations.ts), each still found
    expect(found.filter((v) => !knownDeviation(c.name, v.rule))).toEqual([]);
    const known = KNOWN_DEVIATIONS.filter((k) => k.case === c.name).map((k) => k.rule);
    expect([...new Set(found.map((v) => v.rule))].sort()).toEqual([...new Set(known)].sort());
    expect(code).toBe(known.length ? 1 : 0);
    expect(out.connections).toHaveLength(c.expected.connections.length);
    c.expected.connections.forEach((exp, i) => {
      const want = exp.messages
        .filter((m) => m.hex && m.message)
        .map((m) => ({ dir: m.dir, type: snake(m.message!), frame: m.frame, raw: m.hex }));
      const got = out.connections[i]!.messages.filter(
        (m) => m.raw && !['change_cipher_spec', 'alert', 'application_data'].includes(m.type),
      ).map((m) => ({ dir: m.dir, type: m.type, frame: m.frame, raw: m.raw }));
      expect(got).toEqual(want);
    });
  });
});

describe('explain', () => {
  it('tells the reference mosquitto handshake flight by flight, with frames and verdicts', async () => {
    const c = withKeylog.find((x) => x.name.includes('mosquitto'))!;
    const o = io();
    expect(await main(['explain', c.capture, '--keylog', c.keylog!, ...trustFor(c)], o)).toBe(0);
    const text = o.text();
    expect(text).toContain('C->S: ClientHello');
    expect(text).toContain('S->C: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone');
    expect(text).toContain('C->S: Certificate, ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished');
    // mosquitto issues a session ticket before its ChangeCipherSpec.
    expect(text).toContain('S->C: NewSessionTicket, ChangeCipherSpec, Finished');
    expect(text).toMatch(/\[8\] CertificateVerify \(frame \d+, \d+ bytes\)/);
    expect(text).toMatch(
      /ok {3}t12\.cv\.signature-valid: The client CertificateVerify signature \(rsa_pss_rsae_sha256\) over the \d+ bytes of the 8 handshake message\(s\) before it verifies with the key of certificate "[^"]*CN=client"/,
    );
  });

  it('without the key log, says what it could not check instead of passing it', async () => {
    const c = withKeylog.find((x) => x.name.includes('openssl-t13'))!;
    const o = io();
    expect(await main(['explain', c.capture], o)).toBe(0);
    expect(o.text()).toMatch(
      /gap: \d+ protected record\(s\) S->C from frame \d+ could not be decrypted: no key-log entry for client random/,
    );
    expect(o.text()).toMatch(/\?\? {3}t13\.order\.\S+/);
  });
});

describe('tampered captures are caught (tshark flags none of these)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tlsprop-tamper-'));
  /** Flip one byte of a handshake message inside the capture file, found by its bytes. */
  function tamper(c: SharedCase, message: string, fromEnd: number): string {
    const file = new Uint8Array(readFileSync(c.capture));
    const m = c.expected.connections[0]!.messages.find((x) => x.message === message && !x.encrypted)!;
    const needle = Buffer.from(fromHex(m.hex!));
    const at = Buffer.from(file).indexOf(needle);
    expect(at).toBeGreaterThan(0);
    file[at + needle.length - fromEnd]! ^= 0x01;
    const out = join(dir, `${c.name.replace(/\W/g, '_')}-${message}.pcap`);
    writeFileSync(out, file);
    return out;
  }

  it.each([
    ['mosquitto', 'CertificateVerify', 5, ['t12.cv.signature-valid', 't12.fin.verify-data']],
    ['openssl-t12', 'ServerKeyExchange', 5, ['t12.ske.signature-valid', 't12.fin.verify-data']],
    ['gnutls', 'ServerKeyExchange', 5, ['t12.ske.signature-valid', 't12.fin.verify-data']],
    ['openssl-t13', 'ClientHello', 3, ['t13.fin.verify-data', 't13.cv.signature-valid']],
  ])('%s: one bit of the %s flipped', async (name, message, fromEnd, rules) => {
    const c = withKeylog.find((x) => x.name.includes(name as string))!;
    const { code, out } = await check([tamper(c, message as string, fromEnd as number), '--keylog', c.keylog!, ...trustFor(c)]);
    expect(code).toBe(1);
    const violated = new Set(
      out.connections.flatMap((x) => x.verdicts.filter((v) => v.status === 'violation').map((v) => v.rule)),
    );
    for (const r of rules as string[]) expect(violated).toContain(r);
  });

  it('unusable input exits 2 with one line', async () => {
    const o = io();
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, 2, 0));
    expect(await main(['check', bad], o)).toBe(2);
    expect(o.text()).toMatch(/^tlsprop check: .*bad\.pcap is not a usable capture/);
    const k = io();
    expect(await main(['check', join(SHARED, 'captures', 'openssl-t13-mutual', 'capture.pcap'), '--keylog', bad], k)).toBe(2);
  });
});
