/**
 * Every registered group and signature scheme the crypto layer implements, used by the engine in both roles
 * (issue #18 part 5): secp521r1, x448 and ffdhe4096/6144/8192 as TLS 1.3 key shares and TLS 1.2 (EC)DHE groups;
 * ECDSA P-521, Ed448 and RSASSA-PSS (id-RSASSA-PSS) certificate keys for the server and the client, signing with
 * ecdsa_secp521r1_sha512, ed448 and rsa_pss_pss_*. Each run: handshake, data both ways, the negotiated group and
 * schemes as asked, and the transcript judged by the oracles with zero violations and no verdict left inconclusive
 * for an unsupported scheme or group.
 */
import { nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import { type BuiltCert, buildCert, KeyUsage } from '../pki/chain';
import type { KeyType } from '../pki/keypool';
import { AlertDescription, NamedGroup, namedGroups, nameOf, SignatureScheme, signatureSchemes } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { type ClientConfig, identityOf, type ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import { runInMemory } from './memory';
import { CipherSuite12, CipherSuite13, CipherSuiteDhe12 } from './suites';
import { describeOutcome } from './types';

const p = nodeProvider();
const enc = new TextEncoder();
const DAY = 86_400_000;
let pki: TestPki;
const leaves = new Map<string, BuiltCert[]>();

/** A leaf of a pool key type under the test root (leaf first, root last). */
async function leafOf(role: 'server' | 'client', type: KeyType): Promise<BuiltCert[]> {
  const id = `${role}/${type}`;
  let chain = leaves.get(id);
  if (!chain) {
    const now = Date.now();
    const cert = await buildCert(
      {
        subject: `CN=${role} ${type}, O=tlsprop`,
        key: { type, index: role === 'server' ? 0 : 1 },
        serial: `7${role === 'server' ? 1 : 2}${type.length}${type.charCodeAt(0)}`,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + 30 * DAY),
        basicConstraints: { ca: false },
        keyUsage: KeyUsage.digitalSignature,
        extKeyUsage: ['serverAuth', 'clientAuth'],
        san: { dns: [SERVER_NAME], ips: ['127.0.0.1'] },
      },
      pki.root,
      pki.pool,
      p,
    );
    chain = [cert, pki.root];
    leaves.set(id, chain);
  }
  return chain;
}

beforeAll(async () => {
  pki = await testPki(Date.now(), p);
});

interface Case {
  version: '1.2' | '1.3';
  suite: number;
  group: number;
  serverKey: KeyType | 'rsa' | 'ecdsa';
  clientKey?: KeyType;
  serverScheme?: number;
  clientScheme?: number;
}

async function identity(role: 'server' | 'client', key: Case['serverKey']) {
  return key === 'rsa' || key === 'ecdsa' ? pki.identity(role, key) : identityOf(await leafOf(role, key));
}

async function run(c: Case) {
  const version = VERSION_CODE[c.version];
  const client: ClientConfig = {
    provider: p,
    versions: [version],
    cipherSuites: [c.suite],
    groups: [c.group],
    serverName: SERVER_NAME,
    trustAnchors: pki.anchors,
    ...(c.clientKey ? { identity: await identity('client', c.clientKey) } : {}),
  };
  const server: ServerConfig = {
    provider: p,
    versions: [version],
    cipherSuites: [c.suite],
    groups: [c.group],
    identity: await identity('server', c.serverKey),
    ...(c.clientKey ? { clientAuth: 'require' as const, trustAnchors: pki.anchors } : {}),
  };
  const r = await runInMemory(
    client,
    server,
    {},
    { appData: { client: enc.encode('to server'), server: enc.encode('to client') } },
  );
  if (r.clientOutcome.kind !== 'connected') throw new Error(`client: ${describeOutcome(r.clientOutcome)}`);
  if (r.serverOutcome.kind !== 'connected') throw new Error(`server: ${describeOutcome(r.serverOutcome)}`);
  const session = r.clientOutcome.session;
  expect(session.group === undefined ? undefined : nameOf(namedGroups, session.group)).toBe(nameOf(namedGroups, c.group));
  if (c.serverScheme !== undefined)
    expect(nameOf(signatureSchemes, session.serverScheme ?? 0)).toBe(nameOf(signatureSchemes, c.serverScheme));
  if (c.clientScheme !== undefined)
    expect(nameOf(signatureSchemes, session.clientScheme ?? 0)).toBe(nameOf(signatureSchemes, c.clientScheme));
  expect(new TextDecoder().decode(r.received.server[0])).toBe('to server');
  expect(new TextDecoder().decode(r.received.client[0])).toBe('to client');
  const { verdicts } = await checkTranscript(r.transcript, { trustAnchors: pki.anchors, at: new Date() });
  expect(verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`)).toEqual([]);
  // the oracles verified every signature and derived every secret: nothing inconclusive for want of arithmetic
  expect(
    verdicts
      .filter((v) => v.status === 'inconclusive' && /unsupported|not implemented|cannot verify/i.test(v.detail))
      .map((v) => `${v.rule}: ${v.detail}`),
  ).toEqual([]);
}

const S = SignatureScheme;
const G = NamedGroup;
const T13 = CipherSuite13.TLS_AES_128_GCM_SHA256;

describe('groups: key shares and (EC)DHE with every implemented registered group', () => {
  it.each([
    ['TLS 1.3 secp521r1', { version: '1.3', suite: T13, group: G.secp521r1, serverKey: 'ecdsa' }],
    ['TLS 1.3 x448', { version: '1.3', suite: T13, group: G.x448, serverKey: 'ecdsa' }],
    ['TLS 1.3 ffdhe4096', { version: '1.3', suite: T13, group: G.ffdhe4096, serverKey: 'ecdsa' }],
    ['TLS 1.3 ffdhe6144', { version: '1.3', suite: T13, group: G.ffdhe6144, serverKey: 'ecdsa' }],
    ['TLS 1.3 ffdhe8192', { version: '1.3', suite: T13, group: G.ffdhe8192, serverKey: 'ecdsa' }],
    [
      'TLS 1.2 ECDHE secp521r1',
      { version: '1.2', suite: CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, group: G.secp521r1, serverKey: 'rsa' },
    ],
    [
      'TLS 1.2 ECDHE x448',
      { version: '1.2', suite: CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, group: G.x448, serverKey: 'rsa' },
    ],
    [
      'TLS 1.2 DHE ffdhe4096',
      { version: '1.2', suite: CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, group: G.ffdhe4096, serverKey: 'rsa' },
    ],
    [
      'TLS 1.2 DHE ffdhe6144',
      { version: '1.2', suite: CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, group: G.ffdhe6144, serverKey: 'rsa' },
    ],
    [
      'TLS 1.2 DHE ffdhe8192',
      { version: '1.2', suite: CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, group: G.ffdhe8192, serverKey: 'rsa' },
    ],
  ] as Array<[string, Case]>)('%s: handshake, data both ways, zero violations', async (_n, c) => {
    await run(c);
  });
});

describe('schemes: P-521, Ed448 and RSASSA-PSS certificate keys sign in both roles', () => {
  const ECDSA12 = CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
  const RSA12 = CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
  it.each([
    ['TLS 1.3 ecdsa_secp521r1_sha512', 'ecdsa-p521', S.ecdsa_secp521r1_sha512, '1.3', T13],
    ['TLS 1.3 ed448', 'ed448', S.ed448, '1.3', T13],
    ['TLS 1.3 rsa_pss_pss_sha256', 'rsa-pss2048', S.rsa_pss_pss_sha256, '1.3', T13],
    ['TLS 1.2 ECDHE_ECDSA with ecdsa_secp521r1_sha512', 'ecdsa-p521', S.ecdsa_secp521r1_sha512, '1.2', ECDSA12],
    ['TLS 1.2 ECDHE_ECDSA with ed448 (RFC 8422 §5.10)', 'ed448', S.ed448, '1.2', ECDSA12],
    ['TLS 1.2 ECDHE_RSA with rsa_pss_pss_sha256', 'rsa-pss2048', S.rsa_pss_pss_sha256, '1.2', RSA12],
  ] as Array<[string, KeyType, number, '1.2' | '1.3', number]>)(
    '%s: the server signs with it, and so does the client certificate',
    async (_n, key, scheme, version, suite) => {
      await run({ version, suite, group: G.x25519, serverKey: key, clientKey: key, serverScheme: scheme, clientScheme: scheme });
    },
  );

  it('TLS 1.2 DHE_RSA with an id-RSASSA-PSS server key: rsa_pss_pss_sha256 signs the ServerKeyExchange', async () => {
    await run({
      version: '1.2',
      suite: CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
      group: G.ffdhe2048,
      serverKey: 'rsa-pss2048',
      serverScheme: S.rsa_pss_pss_sha256,
    });
  });

  it('an id-RSASSA-PSS key never serves RSA key transport (RFC 4055 §1.2): no common suite, handshake_failure', async () => {
    const r = await runInMemory(
      {
        provider: p,
        versions: [VERSION_CODE['1.2']],
        cipherSuites: [CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256],
        serverName: SERVER_NAME,
        trustAnchors: pki.anchors,
      },
      {
        provider: p,
        versions: [VERSION_CODE['1.2']],
        cipherSuites: [CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256],
        identity: identityOf(await leafOf('server', 'rsa-pss2048')),
      },
    );
    expect(r.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.handshake_failure } });
  });
});
