/**
 * AES-CCM suites (TLS 1.3: TLS_AES_128_CCM_SHA256 and TLS_AES_128_CCM_8_SHA256; TLS 1.2: RFC 6655 RSA / DHE_RSA and
 * RFC 7251 ECDHE_ECDSA, 16- and 8-byte tags) and DHE_RSA with AES-CBC, in both roles: our client and our server
 * complete and exchange data, the oracles find nothing in the transcript (which the capture decryptor opens with
 * the key log), the record overhead is the suite's, and a tampered record is bad_record_mac.
 */
import { nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import { cipherSuites, NamedGroup } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks, HookRecord } from './hooks';
import { runInMemory } from './memory';
import { CipherSuiteCcm, CipherSuiteDheCbc12, engineSuite } from './suites';
import { describeOutcome } from './types';

const p = nodeProvider();
const enc = new TextEncoder();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const SUITES = [...Object.values(CipherSuiteCcm), ...Object.values(CipherSuiteDheCbc12)].map(
  (code) => [cipherSuites.get(code)!.name, code] as const,
);

function configs(code: number, extra: Partial<ClientConfig> = {}): { c: ClientConfig; s: ServerConfig } {
  const s = engineSuite(code)!;
  const version = s.kex === 'TLS13' ? VERSION_CODE['1.3'] : VERSION_CODE['1.2'];
  const key = s.kex === 'ECDHE_ECDSA' ? 'ecdsa' : 'rsa';
  return {
    c: { provider: p, versions: [version], cipherSuites: [code], serverName: SERVER_NAME, trustAnchors: pki.anchors, ...extra },
    s: {
      provider: p,
      versions: [version],
      cipherSuites: [code],
      identity: pki.identity('server', key),
      groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.ffdhe2048],
    },
  };
}

describe('AES-CCM and DHE_RSA-CBC suites, our client against our server', () => {
  it('every one of them is implemented', () => {
    expect(SUITES.filter(([, code]) => engineSuite(code) === undefined)).toEqual([]);
  });

  it.each(SUITES)('%s: handshake, data both ways, no violation', async (_name, code) => {
    const { c, s } = configs(code);
    const r = await runInMemory(c, s, {}, { appData: { client: enc.encode('to server'), server: enc.encode('to client') } });
    if (r.clientOutcome.kind !== 'connected') throw new Error(describeOutcome(r.clientOutcome));
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
    expect(r.clientOutcome.kind === 'connected' && r.clientOutcome.session.cipherSuite).toBe(code);
    expect(new TextDecoder().decode(r.received.server[0])).toBe('to server');
    expect(new TextDecoder().decode(r.received.client[0])).toBe('to client');
    const { verdicts } = await checkTranscript(r.transcript, { trustAnchors: pki.anchors });
    expect(verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`)).toEqual([]);
    // the application data was read back from the wire with the key log (the capture decryptor knows the suite)
    expect(r.transcript.messages.filter((m) => m.kind === 'application_data').length).toBe(2);
  });

  it.each([
    ['TLS_AES_128_CCM_SHA256', 16 + 1, CipherSuiteCcm.TLS_AES_128_CCM_SHA256],
    ['TLS_AES_128_CCM_8_SHA256', 8 + 1, CipherSuiteCcm.TLS_AES_128_CCM_8_SHA256],
    ['TLS_ECDHE_ECDSA_WITH_AES_128_CCM', 8 + 16, CipherSuiteCcm.TLS_ECDHE_ECDSA_WITH_AES_128_CCM],
    ['TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8', 8 + 8, CipherSuiteCcm.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8],
  ])('%s: a record of application data is %d bytes longer than its content', async (_n, overhead, code) => {
    const { c, s } = configs(code);
    const r = await runInMemory(c, s, {}, { appData: { client: new Uint8Array(100) } });
    const rec = r.transcript.records.find((x) => x.dir === 'C->S' && x.plaintext?.contentType === 23);
    expect(rec?.raw.length).toBe(5 + 100 + overhead);
  });

  it.each([
    ['TLS_AES_128_CCM_8_SHA256', CipherSuiteCcm.TLS_AES_128_CCM_8_SHA256],
    ['TLS_RSA_WITH_AES_256_CCM_8', CipherSuiteCcm.TLS_RSA_WITH_AES_256_CCM_8],
    ['TLS_DHE_RSA_WITH_AES_128_CBC_SHA', CipherSuiteDheCbc12.TLS_DHE_RSA_WITH_AES_128_CBC_SHA],
  ])('%s: a client record with one bit changed is bad_record_mac', async (_n, code) => {
    const tamper: EngineHooks = {
      beforeSendRecord: (rec: HookRecord) => {
        if (rec.plaintext?.contentType !== 22) return undefined;
        const raw = rec.raw.slice();
        raw[raw.length - 1]! ^= 0x01;
        return [{ side: rec.side, raw }];
      },
    };
    const { c, s } = configs(code, { hooks: tamper });
    const r = await runInMemory(c, s);
    expect(r.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: 20 } });
  });
});
