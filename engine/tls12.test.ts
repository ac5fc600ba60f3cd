import {
  deriveEcdh,
  ecdhGroupOf,
  extendedMasterSecret,
  finished12,
  lookupKeyLog,
  nodeProvider,
  parseKeyLog,
  transcriptHash,
} from '../crypto';
import type { Transcript, TranscriptMessage } from '../transcript/model';
import { toHex } from '../wire/hex';
import { AlertDescription } from '../wire/registry';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import { runInMemory } from './memory';
import { CipherSuite12 as CS } from './suites';

const p = nodeProvider();
const enc = new TextEncoder();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

function seq(t: Transcript): string[] {
  return t.messages.map((m) => `${m.dir} ${m.type}`);
}

function body<T extends string>(m: TranscriptMessage | undefined, type: T) {
  const b = m?.decoded?.body;
  if (!b || b.type !== type) throw new Error(`expected ${type}, got ${m?.type}`);
  return b as Extract<NonNullable<TranscriptMessage['decoded']>['body'], { type: T }>;
}

/** Recompute both Finished values and the master secret from the transcript's raw bytes, key log and ephemeral keys. */
async function checkTls12Crypto(t: Transcript, h: 'SHA-256' | 'SHA-384', ems: boolean, ecdhe: boolean) {
  const hs = t.messages.filter((m) => m.kind === 'handshake');
  const ch = body(hs[0], 'client_hello');
  const sh = body(hs[1], 'server_hello');
  const entries = parseKeyLog(t.secrets!.keylog!.join('\n'));
  const master = lookupKeyLog(entries, ch.random).CLIENT_RANDOM!;
  expect(master).toHaveLength(48);
  const raws = hs.map((m) => m.raw!);
  const fins = hs.map((m, i) => [m, i] as const).filter(([m]) => m.type === 'finished');
  expect(fins).toHaveLength(2);
  const [cf, cfi] = fins[0]!;
  const [sf, sfi] = fins[1]!;
  expect(cf.dir).toBe('C->S');
  expect(body(cf, 'finished').verifyData).toEqual(
    await finished12(p, h, master, 'client', await transcriptHash(p, h, raws.slice(0, cfi))),
  );
  expect(body(sf, 'finished').verifyData).toEqual(
    await finished12(p, h, master, 'server', await transcriptHash(p, h, raws.slice(0, sfi))),
  );
  if (ecdhe) {
    const ske = body(
      hs.find((m) => m.type === 'server_key_exchange'),
      'server_key_exchange',
    );
    const ckeIndex = hs.findIndex((m) => m.type === 'client_key_exchange');
    const cke = body(hs[ckeIndex], 'client_key_exchange');
    if (ske.kex !== 'ecdhe' || cke.kex !== 'ecdhe') throw new Error('not ECDHE');
    const g = ecdhGroupOf(ske.namedCurve)!;
    const eph = t.secrets!.ephemeral!.find((e) => e.group === ske.namedCurve)!;
    const a = await deriveEcdh(p, g, eph.clientPrivate!, ske.publicKey);
    const b = await deriveEcdh(p, g, eph.serverPrivate!, cke.publicKey);
    if (!a.ok || !b.ok) throw new Error('ECDH failed');
    expect(toHex(a.value)).toBe(toHex(b.value));
    if (ems)
      expect(await extendedMasterSecret(p, h, a.value, await transcriptHash(p, h, raws.slice(0, ckeIndex + 1)))).toEqual(master);
  }
  expect(sh.random).toHaveLength(32);
}

const REFERENCE_MUTUAL = [
  'C->S client_hello',
  'S->C server_hello',
  'S->C certificate',
  'S->C server_key_exchange',
  'S->C certificate_request',
  'S->C server_hello_done',
  'C->S certificate',
  'C->S client_key_exchange',
  'C->S certificate_verify',
  'C->S change_cipher_spec',
  'C->S finished',
  'S->C change_cipher_spec',
  'S->C finished',
  'C->S application_data',
  'S->C application_data',
];

function ref12(
  suite: number,
  clientAuth: ServerConfig['clientAuth'],
  key: 'rsa' | 'ecdsa' = 'rsa',
): { c: ClientConfig; s: ServerConfig } {
  const c: ClientConfig = {
    provider: p,
    versions: [0x0303],
    cipherSuites: [suite],
    serverName: SERVER_NAME,
    trustAnchors: pki.anchors,
    identity: pki.identity('client', key),
  };
  const s: ServerConfig = {
    provider: p,
    versions: [0x0303],
    cipherSuites: [suite],
    identity: pki.identity('server', key),
    clientAuth,
    trustAnchors: pki.anchors,
  };
  return { c, s };
}

const appData = { client: enc.encode('PUBLISH test/topic hello'), server: enc.encode('PUBACK') };

describe('TLS 1.2 reference flow (ECDHE_RSA, AES_256_CBC_SHA384)', () => {
  it('mutual authentication: exact message sequence, same master secret, Finished values verify from the transcript', async () => {
    const { c, s } = ref12(CS.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, 'require');
    const run = await runInMemory(c, s, {}, { appData });
    expect(run.clientOutcome.kind).toBe('connected');
    expect(run.serverOutcome.kind).toBe('connected');
    expect(seq(run.transcript)).toEqual(REFERENCE_MUTUAL);
    expect(run.transcript.gaps).toEqual([]);
    expect(run.transcript.messages.filter((m) => m.findings?.length)).toEqual([]);
    if (run.clientOutcome.kind !== 'connected' || run.serverOutcome.kind !== 'connected') throw new Error('not connected');
    expect(toHex(run.clientOutcome.session.masterSecret)).toBe(toHex(run.serverOutcome.session.masterSecret));
    expect(run.serverOutcome.session.peerCertificates).toHaveLength(1);
    expect(run.received.server).toEqual([appData.client]);
    expect(run.received.client).toEqual([appData.server]);
    // Encrypted records carry their plaintext; the application data is readable in the transcript.
    expect(run.transcript.messages.at(-2)!.raw).toEqual(appData.client);
    await checkTls12Crypto(run.transcript, 'SHA-384', true, true);
  });

  it('one-way authentication has no CertificateRequest, client Certificate or CertificateVerify', async () => {
    const { c, s } = ref12(CS.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, 'none');
    const run = await runInMemory({ ...c, identity: undefined } as ClientConfig, s, {}, { appData });
    expect(seq(run.transcript)).toEqual(
      REFERENCE_MUTUAL.filter((m) => !/certificate_request|C->S certificate$|certificate_verify/.test(m)),
    );
    await checkTls12Crypto(run.transcript, 'SHA-384', true, true);
  });

  it('without EMS and EtM the classic master secret and MAC-then-encrypt are used', async () => {
    const { c, s } = ref12(CS.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, 'request');
    const run = await runInMemory({ ...c, extendedMasterSecret: false, encryptThenMac: false }, s, {}, { appData });
    if (run.clientOutcome.kind !== 'connected') throw new Error(JSON.stringify(run.clientOutcome));
    expect(run.clientOutcome.session.extendedMasterSecret).toBe(false);
    expect(run.clientOutcome.session.encryptThenMac).toBe(false);
    await checkTls12Crypto(run.transcript, 'SHA-384', false, true);
  });

  it('a server that requires a certificate rejects a client without one (handshake_failure)', async () => {
    const { c, s } = ref12(CS.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, 'require');
    const run = await runInMemory({ ...c, identity: undefined } as ClientConfig, s);
    expect(run.serverOutcome).toMatchObject({
      kind: 'alert_sent',
      alert: { level: 2, description: AlertDescription.handshake_failure },
    });
    expect(run.clientOutcome).toMatchObject({
      kind: 'alert_received',
      alert: { description: AlertDescription.handshake_failure },
    });
    expect(seq(run.transcript).at(-1)).toBe('S->C alert');
  });

  it('a tampered client Finished (hook) is answered with decrypt_error', async () => {
    const { c, s } = ref12(CS.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, 'none');
    const run = await runInMemory({ ...c, identity: undefined } as ClientConfig, s, {
      client: {
        beforeSend: (m) => {
          if (m.type !== 'finished') return undefined;
          const r = m.raw.slice();
          r[r.length - 1]! ^= 1;
          return [r];
        },
      },
    });
    expect(run.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.decrypt_error } });
    // The server has not switched its write keys yet: the alert is plaintext and readable in the transcript.
    const last = run.transcript.messages.at(-1)!;
    expect(last.type).toBe('alert');
    expect(last.alert?.description).toBe(AlertDescription.decrypt_error);
  });

  it('a client that does not trust the server root answers unknown_ca', async () => {
    const { c, s } = ref12(CS.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, 'none');
    const run = await runInMemory({ ...c, trustAnchors: [pki.server.ecdsa[0]!.der] }, s);
    expect(run.clientOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.unknown_ca } });
  });

  it('hooks can drop and reorder messages: ServerHelloDone before ServerKeyExchange is unexpected_message', async () => {
    const { c, s } = ref12(CS.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, 'none');
    let held: Uint8Array | undefined;
    const run = await runInMemory({ ...c, identity: undefined } as ClientConfig, s, {
      server: {
        beforeSend: (m) => {
          if (m.type === 'server_key_exchange') {
            held = m.raw;
            return [];
          }
          if (m.type === 'server_hello_done' && held) return [m.raw, held];
          return undefined;
        },
      },
    });
    expect(seq(run.transcript).slice(1, 5)).toEqual([
      'S->C server_hello',
      'S->C certificate',
      'S->C server_hello_done',
      'S->C server_key_exchange',
    ]);
    expect(run.clientOutcome).toMatchObject({
      kind: 'alert_sent',
      alert: { description: AlertDescription.unexpected_message },
      state: 'WAIT_SERVER_KEY_EXCHANGE',
    });
  });
});
