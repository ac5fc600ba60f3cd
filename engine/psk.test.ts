/**
 * External pre-shared keys in memory: the TLS 1.2 PSK key exchanges (RFC 4279 PSK, DHE_PSK, RSA_PSK; RFC 5489
 * ECDHE_PSK) with and without a psk_identity_hint, an unknown identity refused with unknown_psk_identity, and TLS 1.3
 * external PSKs (RFC 8446 §4.2.11, "ext binder") with psk_ke and psk_dhe_ke, beside a ticket. Each transcript is
 * judged by the oracles with the PSK (the transcript's secrets carry it) and without it.
 */
import { nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import type { Transcript } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import { AlertDescription, ExtensionType, PskKeyExchangeMode } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import type { ClientConfig, ExternalPsk, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { runInMemory } from './memory';
import { newClientSessionStore, ServerSessionCache } from './session';
import { CipherSuite13, CipherSuitePsk12 as P } from './suites';

const p = nodeProvider();
const enc = new TextEncoder();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const PSK: ExternalPsk = { identity: enc.encode('mqtt-device-7'), key: Uint8Array.from({ length: 32 }, (_, i) => i) };
const V12 = VERSION_CODE['1.2'];
const V13 = VERSION_CODE['1.3'];
const types = (t: Transcript) => t.messages.filter((m) => m.kind === 'handshake').map((m) => `${m.dir} ${m.type}`);

async function judged(t: Transcript, withPsk = true) {
  const tt = withPsk ? t : { ...t, secrets: { ...t.secrets, psks: [] } };
  const { verdicts } = await checkTranscript(tt, { trustAnchors: pki.anchors, privateKeys: [pki.server.rsa[0]!.key.pkcs8] });
  return {
    violations: verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`),
    status: (rule: string) => verdicts.filter((v) => v.rule === rule).map((v) => v.status),
  };
}

function configs(client: Partial<ClientConfig>, server: Partial<ServerConfig>): [ClientConfig, ServerConfig] {
  return [
    { provider: p, serverName: SERVER_NAME, trustAnchors: pki.anchors, psk: PSK, ...client },
    { provider: p, identity: pki.identity('server', 'rsa'), psks: [PSK], ...server },
  ];
}

const APP = { appData: { client: enc.encode('PUBLISH'), server: enc.encode('PUBACK') } };

describe('TLS 1.2 PSK key exchanges (RFC 4279, RFC 5489)', () => {
  const cases: Array<[string, number, string[]]> = [
    ['PSK', P.TLS_PSK_WITH_AES_128_GCM_SHA256, []],
    ['DHE_PSK', P.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256, ['S->C server_key_exchange']],
    ['RSA_PSK', P.TLS_RSA_PSK_WITH_AES_256_GCM_SHA384, ['S->C certificate']],
    ['ECDHE_PSK', P.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256, ['S->C server_key_exchange']],
    ['PSK ChaCha20', P.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256, []],
    ['PSK CCM_8', P.TLS_PSK_WITH_AES_128_CCM_8, []],
  ];
  for (const [name, suite, mustHave] of cases)
    for (const hint of [undefined, enc.encode('broker.example')])
      it(`${name} ${hint ? 'with' : 'without'} an identity hint`, async () => {
        const [c, s] = configs({ versions: [V12], cipherSuites: [suite] }, hint ? { pskIdentityHint: hint } : {});
        const r = await runInMemory(c, s, {}, APP);
        expect(r.clientOutcome).toMatchObject({ kind: 'connected', session: { cipherSuite: suite, pskIdentity: PSK.identity } });
        expect(r.serverOutcome).toMatchObject({ kind: 'connected', session: { pskIdentity: PSK.identity } });
        expect(new TextDecoder().decode(r.received.server[0])).toBe('PUBLISH');
        const seq = types(r.transcript);
        for (const m of mustHave) expect(seq).toContain(m);
        // RFC 4279 §2: no server Certificate but for RSA_PSK; a ServerKeyExchange for PSK and RSA_PSK only with a hint
        expect(seq.includes('S->C certificate')).toBe(name === 'RSA_PSK');
        if (name === 'PSK' || name === 'RSA_PSK') expect(seq.includes('S->C server_key_exchange')).toBe(hint !== undefined);
        expect(r.client.pskIdentityHint).toEqual(
          hint ?? (name.startsWith('DHE') || name.startsWith('ECDHE') ? new Uint8Array(0) : undefined),
        );
        const j = await judged(r.transcript);
        expect(j.violations).toEqual([]);
        expect(j.status('t12.ks.pms-psk')).toEqual(['pass']);
        expect(j.status('t12.psk.identity-utf8')).toContain('pass');
        // without the PSK the premaster cannot be recomputed: inconclusive, never a pass
        expect((await judged(r.transcript, false)).status('t12.ks.pms-psk')).toEqual(['inconclusive']);
      });

  it('an unknown identity is refused with unknown_psk_identity (RFC 4279 §2)', async () => {
    const [c, s] = configs(
      { versions: [V12], cipherSuites: [P.TLS_PSK_WITH_AES_128_GCM_SHA256], psk: { ...PSK, identity: enc.encode('stranger') } },
      {},
    );
    const r = await runInMemory(c, s);
    expect(r.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.unknown_psk_identity } });
  });

  it('another key under the same identity fails the Finished', async () => {
    const [c, s] = configs(
      { versions: [V12], cipherSuites: [P.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256], psk: { ...PSK, key: new Uint8Array(32) } },
      {},
    );
    const r = await runInMemory(c, s);
    expect(r.serverOutcome.kind).toBe('alert_sent');
  });

  it('a client without a PSK does not offer PSK suites; a server without PSKs does not choose them', async () => {
    const [c, s] = configs({ versions: [V12], cipherSuites: [P.TLS_PSK_WITH_AES_128_GCM_SHA256, 0xc02f] }, {});
    delete c.psk;
    const r = await runInMemory(c, s);
    expect(r.clientOutcome).toMatchObject({ kind: 'connected', session: { cipherSuite: 0xc02f } });
    const [c2, s2] = configs({ versions: [V12], cipherSuites: [P.TLS_PSK_WITH_AES_128_GCM_SHA256, 0xc02f] }, {});
    delete s2.psks;
    const r2 = await runInMemory(c2, s2);
    expect(r2.clientOutcome).toMatchObject({ kind: 'connected', session: { cipherSuite: 0xc02f } });
  });
});

describe('TLS 1.3 external PSKs (RFC 8446 §4.2.11)', () => {
  for (const [mode, code] of [
    ['psk_ke', PskKeyExchangeMode.psk_ke],
    ['psk_dhe_ke', PskKeyExchangeMode.psk_dhe_ke],
  ] as const)
    it(`${mode}: no certificates, the "ext binder", a key share only with psk_dhe_ke`, async () => {
      const [c, s] = configs({ versions: [V13], pskModes: [code] }, { pskModes: [code] });
      const r = await runInMemory(c, s, {}, APP);
      expect(r.clientOutcome).toMatchObject({ kind: 'connected', session: { version: V13, pskIdentity: PSK.identity } });
      expect(r.client.resumedSession).toBe(false);
      expect(types(r.transcript)).not.toContain('S->C certificate');
      const sh = r.transcript.messages.find((m) => m.type === 'server_hello')?.decoded?.body;
      const ks =
        sh?.type === 'server_hello' ? extensionBody(sh.extensions, ExtensionType.key_share, 'key_share_server') : undefined;
      expect(ks !== undefined).toBe(mode === 'psk_dhe_ke');
      const ch = r.transcript.messages.find((m) => m.type === 'client_hello')?.decoded?.body;
      const offer =
        ch?.type === 'client_hello'
          ? extensionBody(ch.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_client')
          : undefined;
      expect(offer?.identities).toEqual([{ identity: PSK.identity, obfuscatedTicketAge: 0 }]);
      const j = await judged(r.transcript);
      expect(j.violations).toEqual([]);
      expect(j.status('t13.psk.binder')).toEqual(['pass']);
      expect(j.status('t13.ks.schedule')).toEqual(['pass']);
      const without = await judged(r.transcript, false);
      expect(without.violations).toEqual([]);
      expect(without.status('t13.psk.binder')).toEqual(['inconclusive']);
    });

  it('a SHA-384 external PSK is used with a SHA-384 suite only', async () => {
    const psk384: ExternalPsk = { ...PSK, hash: 'SHA-384' };
    const [c, s] = configs({ versions: [V13], psk: psk384 }, { psks: [psk384] });
    const r = await runInMemory(c, s, {}, APP);
    expect(r.clientOutcome).toMatchObject({
      kind: 'connected',
      session: { cipherSuite: CipherSuite13.TLS_AES_256_GCM_SHA384, pskIdentity: PSK.identity },
    });
    expect((await judged(r.transcript)).violations).toEqual([]);
  });

  it('a ticket and the external PSK offered together: each binder verifies, the server takes the first it knows', async () => {
    const store = newClientSessionStore();
    const cache = new ServerSessionCache(p);
    const [c, s] = configs({ versions: [V13], sessionStore: store }, { sessionCache: cache });
    const first = await runInMemory(c, s, {}, APP);
    expect(first.client.tickets.length).toBe(1);
    const r = await runInMemory(c, s, {}, APP);
    const ch = r.transcript.messages.find((m) => m.type === 'client_hello')?.decoded?.body;
    const offer =
      ch?.type === 'client_hello'
        ? extensionBody(ch.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_client')
        : undefined;
    expect(offer?.identities).toHaveLength(2);
    expect(r.client.resumedSession).toBe(true);
    const { verdicts } = await checkTranscript(r.transcript, { trustAnchors: pki.anchors, earlier: [first.transcript] });
    expect(verdicts.filter((v) => v.status === 'violation')).toEqual([]);
    expect(verdicts.filter((v) => v.rule === 't13.psk.binder').map((v) => v.status)).toEqual(['pass', 'pass']);
  });

  it('a wrong external binder is refused with decrypt_error', async () => {
    const [c, s] = configs({ versions: [V13] }, {});
    const flip: EngineHooks = {
      beforeSend(m) {
        if (m.type !== 'client_hello') return undefined;
        const r = m.raw.slice();
        r[r.length - 1]! ^= 1;
        return [r];
      },
    };
    const r = await runInMemory(c, s, { client: flip });
    expect(r.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.decrypt_error } });
  });

  it('a server that does not know the identity makes a certificate handshake', async () => {
    const [c, s] = configs({ versions: [V13] }, { psks: [{ ...PSK, identity: enc.encode('someone else') }] });
    const r = await runInMemory(c, s, {}, APP);
    expect(r.clientOutcome).toMatchObject({ kind: 'connected' });
    expect(types(r.transcript)).toContain('S->C certificate');
    expect((await judged(r.transcript)).violations).toEqual([]);
  });
});
