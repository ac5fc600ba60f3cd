/**
 * Interop matrix, every registered group and signature scheme the peers here implement (issue #18 part 5): the
 * groups secp521r1, x448 and ffdhe4096/6144/8192 (TLS 1.3 key shares; TLS 1.2 ECDHE and DHE), brainpoolP256r1 and
 * brainpoolP512r1 (TLS 1.2 ECDHE, RFC 7027; OpenSSL only), and certificates with
 * ECDSA P-521, Ed448 and RSASSA-PSS (id-RSASSA-PSS) keys signing with ecdsa_secp521r1_sha512, ed448 and
 * rsa_pss_pss_sha256, in TLS 1.3 and TLS 1.2, for the server and (mutual authentication) the client. Both roles
 * against OpenSSL 3.0 (s_server / s_client) and GnuTLS 3.7 (gnutls-serv / gnutls-cli).
 *
 * A cell passes as those of spec/interop-breadth.spec.ts do: the handshake completes, application data goes both
 * ways, the feature visibly happened (the negotiated group, the schemes both sides signed with, as on the wire) and
 * the transcript, decrypted with our key log, has zero oracle violations and no verdict inconclusive for want of
 * arithmetic. Cells a peer cannot run are skipped tests naming the reason.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import { type ClientConfig, identityOf, type ServerConfig } from '../engine/config';
import { SERVER_NAME } from '../engine/fixtures';
import { CipherSuite12, CipherSuite13, CipherSuiteDhe12 } from '../engine/suites';
import { type BuiltCert, buildCert, chainPem, KeyUsage } from '../pki/chain';
import { keyPem } from '../pki/keypool';
import { type Conversation, type ConversationScript, clientConversation, serverConversation } from '../testing/converse';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess, requireBinary } from '../testing/launch';
import { gnutlsClient, gnutlsServer, opensslClient, opensslServer } from '../testing/peers';
import { type PemPair, type PkiFiles, writePki } from '../testing/pki';
import { NamedGroup, namedGroups, nameOf, SignatureScheme, signatureSchemes } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { cells, expectClean, waitAnd } from './support/interop-cells';

const provider = nodeProvider();
const enc = new TextEncoder();
const DAY = 86_400_000;

let files: PkiFiles;
const group = new PeerGroup();
/** Leaves of the new key types under the test root: engine chains and PEM files for the peers. */
const leaves = new Map<string, { chain: BuiltCert[]; pem: PemPair }>();
/** DH parameter files of the RFC 7919 groups (an OpenSSL 3.0 TLS 1.2 server sends the ones it is given). */
const dhparams = new Map<string, string>();

const KEY_TYPES = ['ecdsa-p521', 'ed448', 'rsa-pss2048'] as const;
type NewKey = (typeof KEY_TYPES)[number];

beforeAll(async () => {
  for (const [bin, pkg] of [
    ['openssl', 'openssl'],
    ['gnutls-serv', 'gnutls-bin'],
    ['gnutls-cli', 'gnutls-bin'],
  ] as const)
    requireBinary(bin, pkg);
  files = await writePki(undefined, 'tlsprop-groups-');
  const { pki } = files;
  const now = Date.now();
  for (const role of ['server', 'client'] as const)
    for (const [i, type] of KEY_TYPES.entries()) {
      const leaf = await buildCert(
        {
          subject: `CN=${role} ${type}, O=tlsprop`,
          key: { type, index: role === 'server' ? 0 : 1 },
          serial: `8${role === 'server' ? 1 : 2}${i}`,
          notBefore: new Date(now - DAY),
          notAfter: new Date(now + 30 * DAY),
          basicConstraints: { ca: false },
          keyUsage: KeyUsage.digitalSignature,
          extKeyUsage: ['serverAuth', 'clientAuth'],
          san: { dns: [SERVER_NAME, 'localhost'], ips: ['127.0.0.1'] },
        },
        pki.root,
        pki.pool,
        provider,
      );
      const cert = join(files.dir, `${role}-${type}.crt`);
      const key = join(files.dir, `${role}-${type}.key`);
      writeFileSync(cert, chainPem([leaf]));
      writeFileSync(key, keyPem(leaf.key).privateKey);
      leaves.set(`${role}/${type}`, { chain: [leaf, pki.root], pem: { cert, key } });
    }
  for (const g of ['ffdhe4096']) {
    const file = join(files.dir, `${g}.pem`);
    writeFileSync(file, execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', `group:${g}`]));
    dhparams.set(g, file);
  }
});

afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

function leaf(role: 'server' | 'client', type: NewKey): { chain: BuiltCert[]; pem: PemPair } {
  const l = leaves.get(`${role}/${type}`);
  if (!l) throw new Error(`no ${role} ${type} leaf`);
  return l;
}

/** The PKI files with a server leaf of another key type in the place of the RSA one (the peers' launch specs read it). */
function withServerLeaf(type: NewKey | 'rsa'): PkiFiles {
  return type === 'rsa' ? files : { ...files, server: { ...files.server, rsa: leaf('server', type).pem } };
}

// ------------------------------------------------------------------ the rows

interface Row {
  version: '1.2' | '1.3';
  suite: number;
  group: number;
  /** Certificate key of the server; with `mutual`, of the client too. */
  key: NewKey | 'rsa';
  mutual?: boolean;
  /** The scheme each certificate signs with (the CertificateVerify / ServerKeyExchange). */
  scheme?: number;
  /**
   * The schemes the peer may sign with instead, where the version lets it choose: a TLS 1.2 ECDSA pair does not bind
   * the curve (RFC 5246 §7.4.1.4.1, RFC 8422 §5.1.1), so OpenSSL and GnuTLS sign with a P-521 key and SHA-256.
   */
  peerSchemes?: number[];
}

const G = NamedGroup;
const S = SignatureScheme;
const T13 = CipherSuite13.TLS_AES_128_GCM_SHA256;
const ECDHE_RSA = CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
const ECDHE_ECDSA = CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
const DHE_RSA = CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;

const ROWS = {
  'TLS 1.3 key share secp521r1': { version: '1.3', suite: T13, group: G.secp521r1, key: 'rsa' },
  'TLS 1.3 key share x448': { version: '1.3', suite: T13, group: G.x448, key: 'rsa' },
  'TLS 1.3 key share ffdhe4096': { version: '1.3', suite: T13, group: G.ffdhe4096, key: 'rsa' },
  'TLS 1.3 key share ffdhe6144': { version: '1.3', suite: T13, group: G.ffdhe6144, key: 'rsa' },
  'TLS 1.3 key share ffdhe8192': { version: '1.3', suite: T13, group: G.ffdhe8192, key: 'rsa' },
  'TLS 1.2 ECDHE secp521r1': { version: '1.2', suite: ECDHE_RSA, group: G.secp521r1, key: 'rsa' },
  'TLS 1.2 ECDHE x448': { version: '1.2', suite: ECDHE_RSA, group: G.x448, key: 'rsa' },
  'TLS 1.2 DHE ffdhe4096': { version: '1.2', suite: DHE_RSA, group: G.ffdhe4096, key: 'rsa' },
  'TLS 1.2 ECDHE brainpoolP256r1': { version: '1.2', suite: ECDHE_RSA, group: G.brainpoolP256r1, key: 'rsa' },
  'TLS 1.2 ECDHE brainpoolP512r1': { version: '1.2', suite: ECDHE_RSA, group: G.brainpoolP512r1, key: 'rsa' },
  'TLS 1.3 ecdsa_secp521r1_sha512 both sides': {
    version: '1.3',
    suite: T13,
    group: G.x25519,
    key: 'ecdsa-p521',
    mutual: true,
    scheme: S.ecdsa_secp521r1_sha512,
  },
  'TLS 1.3 ed448 both sides': { version: '1.3', suite: T13, group: G.x25519, key: 'ed448', mutual: true, scheme: S.ed448 },
  'TLS 1.3 rsa_pss_pss_sha256 both sides': {
    version: '1.3',
    suite: T13,
    group: G.x25519,
    key: 'rsa-pss2048',
    mutual: true,
    scheme: S.rsa_pss_pss_sha256,
  },
  // RFC 8422 §5.1: a TLS 1.2 ECDSA certificate's curve is one the peer listed in supported_groups
  'TLS 1.2 ECDHE_ECDSA ecdsa_secp521r1_sha512 both sides': {
    version: '1.2',
    suite: ECDHE_ECDSA,
    group: G.secp521r1,
    key: 'ecdsa-p521',
    mutual: true,
    scheme: S.ecdsa_secp521r1_sha512,
    peerSchemes: [S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384, S.ecdsa_secp521r1_sha512],
  },
  'TLS 1.2 ECDHE_ECDSA ed448 both sides': {
    version: '1.2',
    suite: ECDHE_ECDSA,
    group: G.x25519,
    key: 'ed448',
    mutual: true,
    scheme: S.ed448,
  },
  'TLS 1.2 ECDHE_RSA rsa_pss_pss_sha256 both sides': {
    version: '1.2',
    suite: ECDHE_RSA,
    group: G.x25519,
    key: 'rsa-pss2048',
    mutual: true,
    scheme: S.rsa_pss_pss_sha256,
  },
} satisfies Record<string, Row>;
type Feature = keyof typeof ROWS;
const FEATURES = Object.keys(ROWS) as Feature[];
const rowOf = (f: Feature): Row => ROWS[f];

type Column = 'openssl s_server' | 'openssl s_client' | 'gnutls-serv' | 'gnutls-cli';

/** Cells a peer cannot run, and why. */
const NO_BRAINPOOL = 'GnuTLS 3.7 has no brainpool curves (gnutls-cli --list names none)';
const UNSUPPORTED: Partial<Record<Column, Partial<Record<Feature, string>>>> = {
  'gnutls-serv': { 'TLS 1.2 ECDHE brainpoolP256r1': NO_BRAINPOOL, 'TLS 1.2 ECDHE brainpoolP512r1': NO_BRAINPOOL },
  'gnutls-cli': { 'TLS 1.2 ECDHE brainpoolP256r1': NO_BRAINPOOL, 'TLS 1.2 ECDHE brainpoolP512r1': NO_BRAINPOOL },
};

// ------------------------------------------------------------------ judging

async function expectFeature(row: Row, c: Conversation, peerOutput: string, we: 'client' | 'server'): Promise<void> {
  const { session, verdicts } = await expectClean(c, peerOutput, { anchors: files.pki.anchors });
  if (!session) throw new Error('no session');
  const name = (code: number | undefined) => (code === undefined ? 'none' : nameOf(namedGroups, code));
  const scheme = (code: number | undefined) => (code === undefined ? 'none' : nameOf(signatureSchemes, code));
  expect([session.version, name(session.group)]).toEqual([VERSION_CODE[row.version], name(row.group)]);
  if (row.scheme !== undefined) {
    const ours = we === 'server' ? session.serverScheme : session.clientScheme;
    const theirs = we === 'server' ? session.clientScheme : session.serverScheme;
    // our side signs with the row's scheme (the server always; the client when mutual), the peer with it or a
    // scheme the version lets it choose for the same key
    if (we === 'server' || row.mutual) expect(scheme(ours)).toBe(scheme(row.scheme));
    if (we === 'client' || row.mutual) expect((row.peerSchemes ?? [row.scheme]).map(scheme)).toContain(scheme(theirs));
  }
  // every signature verified and every secret derived: nothing inconclusive for want of arithmetic
  expect(
    verdicts
      .filter((v) => v.status === 'inconclusive' && /unsupported|not implemented|cannot verify/i.test(v.detail))
      .map((v) => `${v.rule}: ${v.detail}`),
  ).toEqual([]);
}

// ------------------------------------------------------------ configurations

function clientConfig(row: Row): ClientConfig {
  return {
    provider,
    serverName: SERVER_NAME,
    trustAnchors: files.pki.anchors,
    versions: [VERSION_CODE[row.version]],
    cipherSuites: [row.suite],
    groups: [row.group],
    ...(row.mutual && row.key !== 'rsa' ? { identity: identityOf(leaf('client', row.key).chain) } : {}),
  };
}

function serverConfig(row: Row): ServerConfig {
  return {
    provider,
    identity: row.key === 'rsa' ? files.pki.identity('server', 'rsa') : identityOf(leaf('server', row.key).chain),
    trustAnchors: files.pki.anchors,
    versions: [VERSION_CODE[row.version]],
    cipherSuites: [row.suite],
    groups: [row.group],
    clientAuth: row.mutual ? 'require' : 'none',
  };
}

/** OpenSSL names of the rows' groups, suites and schemes. */
const OPENSSL_GROUP: Record<number, string> = {
  [G.x25519]: 'X25519',
  [G.secp521r1]: 'P-521',
  [G.x448]: 'X448',
  [G.ffdhe4096]: 'ffdhe4096',
  [G.ffdhe6144]: 'ffdhe6144',
  [G.ffdhe8192]: 'ffdhe8192',
  [G.brainpoolP256r1]: 'brainpoolP256r1',
  [G.brainpoolP512r1]: 'brainpoolP512r1',
};
const OPENSSL_SUITE: Record<number, string> = {
  [T13]: 'TLS_AES_128_GCM_SHA256',
  [ECDHE_RSA]: 'ECDHE-RSA-AES128-GCM-SHA256',
  [ECDHE_ECDSA]: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  [DHE_RSA]: 'DHE-RSA-AES128-GCM-SHA256',
};
/** GnuTLS priority strings of a row: its version, group and (with a scheme) signature algorithm only. */
const GNUTLS_GROUP: Record<number, string> = {
  [G.x25519]: 'GROUP-X25519',
  [G.secp521r1]: 'GROUP-SECP521R1',
  [G.x448]: 'GROUP-X448',
  [G.ffdhe4096]: 'GROUP-FFDHE4096',
  [G.ffdhe6144]: 'GROUP-FFDHE6144',
  [G.ffdhe8192]: 'GROUP-FFDHE8192',
};
const GNUTLS_SIGN: Record<number, string> = {
  [S.ecdsa_secp521r1_sha512]: 'SIGN-ECDSA-SECP521R1-SHA512',
  [S.ed448]: 'SIGN-EdDSA-Ed448',
  [S.rsa_pss_pss_sha256]: 'SIGN-RSA-PSS-SHA256',
};
function gnutlsPriorityOf(row: Row): string {
  let p = `NORMAL:-VERS-ALL:+VERS-TLS${row.version}:-GROUP-ALL:+${GNUTLS_GROUP[row.group]}`;
  if (row.suite === DHE_RSA) p += ':+DHE-RSA';
  // the row's scheme enabled, the others kept: the chains are signed by the P-256 root (ecdsa_secp256r1_sha256), which
  // a certificate's signature must be among the signature_algorithms for (RFC 8446 §4.2.3, RFC 5246 §7.4.2)
  if (row.scheme !== undefined) p += `:+${GNUTLS_SIGN[row.scheme]}`;
  return p;
}

const line = (text: string) => enc.encode(`${text}\n`);

// ------------------------------------------------------------------ OpenSSL

describe('groups and schemes: our client vs openssl s_server', () => {
  cells(FEATURES, UNSUPPORTED['openssl s_server'], async (f) => {
    const row = rowOf(f);
    const port = await freePort();
    const dh = row.suite === DHE_RSA ? dhparams.get(nameOf(namedGroups, row.group)) : undefined;
    const peer = await group.launch(
      opensslServer({
        port,
        files: withServerLeaf(row.key),
        key: 'rsa',
        version: row.version,
        cipher: row.version === '1.2' ? OPENSSL_SUITE[row.suite] : 'ALL',
        groups: OPENSSL_GROUP[row.group] ?? '',
        clientAuth: row.mutual ?? false,
        extra: dh ? ['-dhparam', dh] : [],
      }),
    );
    try {
      const c = await clientConversation(clientConfig(row), port, {
        first: { send: line('groups and schemes'), expect: 'semehcs dna spuorg' },
      });
      await expectFeature(row, c, peer.output, 'client');
    } finally {
      await peer.stop();
    }
  });
});

describe('groups and schemes: our server vs openssl s_client', () => {
  cells(FEATURES, UNSUPPORTED['openssl s_client'], async (f) => {
    const row = rowOf(f);
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      peer = await group.launch(
        opensslClient({
          port: listener.port,
          files,
          version: row.version,
          cipher: OPENSSL_SUITE[row.suite] ?? '',
          group: OPENSSL_GROUP[row.group] ?? '',
          ...(row.mutual && row.key !== 'rsa' ? { identity: leaf('client', row.key).pem } : {}),
        }),
      );
      const p = peer;
      const script: ConversationScript = {
        first: { send: line('pong'), expect: 'ping', trigger: waitAnd(p, 'pong', 'ping\n') },
      };
      const c = await serverConversation(serverConfig(row), await listener.accept(), script);
      await expectFeature(row, c, p.output, 'server');
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

// ------------------------------------------------------------------- GnuTLS

describe('groups and schemes: our client vs gnutls-serv', () => {
  cells(FEATURES, UNSUPPORTED['gnutls-serv'], async (f) => {
    const row = rowOf(f);
    const port = await freePort();
    const peer = await group.launch(
      gnutlsServer({
        port,
        files: withServerLeaf(row.key),
        key: 'rsa',
        clientAuth: row.mutual ?? false,
        priority: gnutlsPriorityOf(row),
      }),
    );
    try {
      const c = await clientConversation(clientConfig(row), port, {
        first: { send: line('groups and schemes'), expect: 'groups and schemes' },
      });
      await expectFeature(row, c, peer.output, 'client');
    } finally {
      await peer.stop();
    }
  });
});

describe('groups and schemes: our server vs gnutls-cli', () => {
  cells(FEATURES, UNSUPPORTED['gnutls-cli'], async (f) => {
    const row = rowOf(f);
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      peer = await group.launch(
        gnutlsClient({
          port: listener.port,
          files,
          priority: gnutlsPriorityOf(row),
          ...(row.mutual && row.key !== 'rsa' ? { identity: leaf('client', row.key).pem } : {}),
        }),
      );
      const p = peer;
      const script: ConversationScript = {
        first: { send: line('pong'), expect: 'ping', trigger: waitAnd(p, 'pong', 'ping\n') },
      };
      const c = await serverConversation(serverConfig(row), await listener.accept(), script);
      await expectFeature(row, c, p.output, 'server');
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

describe('cleanup', () => {
  it('leaves no child process running', async () => {
    await group.stopAll();
    expect(group.running().map((p) => `${p.name} pid ${p.pid}`)).toEqual([]);
  });
});
