/**
 * Interop matrix, pre-shared key rows (issue #18 part 1): the TLS 1.2 PSK key exchanges (RFC 4279 PSK, DHE_PSK,
 * RSA_PSK; RFC 5489 ECDHE_PSK) with a psk_identity_hint, and TLS 1.3 external PSKs (RFC 8446 §4.2.11) with psk_dhe_ke
 * and psk_ke, each in both roles against OpenSSL (s_server -psk / s_client -psk), Node's tls (pskCallback) and GnuTLS
 * (gnutls-serv --pskpasswd / gnutls-cli --pskusername). The MQTT case (mosquitto's psk_hint listener, mosquitto_pub
 * --psk) is in spec/interop-mosquitto.spec.ts.
 *
 * A cell: the handshake completes, application data goes both ways, the session authenticated with the PSK identity
 * (and our TLS 1.2 client saw the peer's hint), and the transcript, judged with our key log and the PSK, has zero
 * violations, the PSK key schedule decided (t12.ks.pms-psk, or t13.psk.binder and t13.ks.schedule). Cells a peer
 * cannot run are skipped tests naming the reason.
 */
import { execFileSync } from 'node:child_process';
import { constants as cryptoConstants } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import { TlsClient } from '../engine/client';
import type { ClientConfig, ExternalPsk, ServerConfig } from '../engine/config';
import { CipherSuitePsk12 as P } from '../engine/suites';
import { type Conversation, type ConversationScript, clientConversation, serverConversation } from '../testing/converse';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess, requireBinary } from '../testing/launch';
import { gnutlsClient, gnutlsServer, nodeAnsweringClient, nodeTlsServer, opensslClient, opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { PskKeyExchangeMode } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { cells, expectClean, waitAnd } from './support/interop-cells';

const provider = nodeProvider();
const enc = new TextEncoder();
const IDENTITY = 'tlsprop-device-7';
const HEX = '0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778';
const PSK: ExternalPsk = { identity: enc.encode(IDENTITY), key: Uint8Array.from(Buffer.from(HEX, 'hex')) };
const HINT = 'tlsprop-hint';

let files: PkiFiles;
let dhparam = '';
let pskFile = '';
const group = new PeerGroup();

beforeAll(async () => {
  for (const [bin, pkg] of [
    ['openssl', 'openssl'],
    ['gnutls-serv', 'gnutls-bin'],
    ['gnutls-cli', 'gnutls-bin'],
  ] as const)
    requireBinary(bin, pkg);
  files = await writePki(undefined, 'tlsprop-psk-');
  // RFC 7919 ffdhe2048 for the DHE_PSK servers (our engine takes only RFC 7919 groups in TLS 1.2 DHE)
  dhparam = join(files.dir, 'ffdhe2048.pem');
  writeFileSync(dhparam, execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048']));
  pskFile = join(files.dir, 'gnutls-psk.txt');
  writeFileSync(pskFile, `${IDENTITY}:${HEX}\n`);
});

afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

type Feature =
  | 'TLS 1.2 PSK'
  | 'TLS 1.2 DHE_PSK'
  | 'TLS 1.2 RSA_PSK'
  | 'TLS 1.2 ECDHE_PSK'
  | 'TLS 1.3 PSK psk_dhe_ke'
  | 'TLS 1.3 PSK psk_ke';
const FEATURES: readonly Feature[] = [
  'TLS 1.2 PSK',
  'TLS 1.2 DHE_PSK',
  'TLS 1.2 RSA_PSK',
  'TLS 1.2 ECDHE_PSK',
  'TLS 1.3 PSK psk_dhe_ke',
  'TLS 1.3 PSK psk_ke',
];
type Column = 'openssl s_server' | 'openssl s_client' | 'node server' | 'node client' | 'gnutls-serv' | 'gnutls-cli';

const GNUTLS_CLI_CRASH =
  'gnutls-cli 3.7.9 dies with SIGSEGV right after a TLS 1.2 (EC)DHE-PSK handshake, whatever the server (checked against openssl s_server too): the handshake completes on our side, no application data can follow';
const UNSUPPORTED: Partial<Record<Column, Partial<Record<Feature, string>>>> = {
  'gnutls-cli': { 'TLS 1.2 DHE_PSK': GNUTLS_CLI_CRASH, 'TLS 1.2 ECDHE_PSK': GNUTLS_CLI_CRASH },
};

/** The TLS 1.2 suite of a row (IANA code, OpenSSL name, GnuTLS key exchange), or undefined for TLS 1.3. */
const SUITES: Record<Feature, { code: number; openssl: string; gnutls: string } | undefined> = {
  'TLS 1.2 PSK': { code: P.TLS_PSK_WITH_AES_128_GCM_SHA256, openssl: 'PSK-AES128-GCM-SHA256', gnutls: 'PSK' },
  'TLS 1.2 DHE_PSK': { code: P.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256, openssl: 'DHE-PSK-AES128-GCM-SHA256', gnutls: 'DHE-PSK' },
  'TLS 1.2 RSA_PSK': { code: P.TLS_RSA_PSK_WITH_AES_256_GCM_SHA384, openssl: 'RSA-PSK-AES256-GCM-SHA384', gnutls: 'RSA-PSK' },
  'TLS 1.2 ECDHE_PSK': {
    code: P.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256,
    openssl: 'ECDHE-PSK-AES128-CBC-SHA256',
    gnutls: 'ECDHE-PSK',
  },
  'TLS 1.3 PSK psk_dhe_ke': undefined,
  'TLS 1.3 PSK psk_ke': undefined,
};
const tls13 = (f: Feature) => f.startsWith('TLS 1.3');
const pskKe = (f: Feature) => f === 'TLS 1.3 PSK psk_ke';
const modes = (f: Feature) => [pskKe(f) ? PskKeyExchangeMode.psk_ke : PskKeyExchangeMode.psk_dhe_ke];

function clientConfig(f: Feature): ClientConfig {
  const s = SUITES[f];
  return s
    ? { provider, versions: [VERSION_CODE['1.2']], cipherSuites: [s.code], psk: PSK, trustAnchors: files.pki.anchors }
    : { provider, versions: [VERSION_CODE['1.3']], psk: PSK, pskModes: modes(f), trustAnchors: files.pki.anchors };
}

function serverConfig(f: Feature): ServerConfig {
  const s = SUITES[f];
  const base: ServerConfig = { provider, identity: files.pki.identity('server', 'rsa'), psks: [PSK] };
  return s
    ? { ...base, versions: [VERSION_CODE['1.2']], cipherSuites: [s.code], pskIdentityHint: enc.encode(HINT) }
    : { ...base, versions: [VERSION_CODE['1.3']], pskModes: modes(f) };
}

/** What a PSK cell must show beyond a clean conversation (see the header). */
async function expectPsk(f: Feature, c: Conversation, peerOutput: string, hintSeen?: string): Promise<void> {
  // the server key (every server here has the test PKI's) lets the RSA_PSK premaster be recomputed
  const { session, verdicts } = await expectClean(c, peerOutput, {
    anchors: files.pki.anchors,
    psks: [PSK],
    privateKeys: [files.pki.identity('server', 'rsa').pkcs8],
  });
  expect(session).toMatchObject({
    version: VERSION_CODE[tls13(f) ? '1.3' : '1.2'],
    pskIdentity: PSK.identity,
    ...(SUITES[f] ? { cipherSuite: SUITES[f]!.code } : {}),
  });
  if (tls13(f)) expect(session?.group === undefined).toBe(pskKe(f));
  const decided = tls13(f) ? ['t13.psk.binder', 't13.ks.schedule'] : ['t12.ks.pms-psk'];
  for (const rule of decided)
    expect([rule, verdicts.filter((v) => v.rule === rule).map((v) => v.status)]).toEqual([rule, ['pass']]);
  // the server's identity hint (RFC 4279 §5.2) as our TLS 1.2 client received it
  if (!tls13(f) && c.endpoint instanceof TlsClient && hintSeen !== undefined)
    expect(new TextDecoder().decode(c.endpoint.pskIdentityHint)).toBe(hintSeen);
}

const clientScript = (reverse: boolean): ConversationScript => ({
  first: { send: enc.encode('hello psk\n'), expect: reverse ? 'ksp olleh' : 'hello psk' },
});

// ------------------------------------------------------------------ OpenSSL

describe('psk: our client vs openssl s_server', () => {
  cells(FEATURES, UNSUPPORTED['openssl s_server'], async (f) => {
    const port = await freePort();
    const s = SUITES[f];
    const extra = ['-psk', HEX, '-psk_identity', IDENTITY, '-psk_hint', HINT];
    if (f === 'TLS 1.2 DHE_PSK') extra.push('-dhparam', dhparam);
    if (pskKe(f)) extra.push('-allow_no_dhe_kex');
    const peer = await group.launch(
      opensslServer({ port, files, key: 'rsa', version: tls13(f) ? '1.3' : '1.2', ...(s ? { cipher: s.openssl } : {}), extra }),
    );
    try {
      const c = await clientConversation(clientConfig(f), port, clientScript(true));
      await expectPsk(f, c, peer.output, HINT);
    } finally {
      await peer.stop();
    }
  });
});

describe('psk: our server vs openssl s_client', () => {
  cells(FEATURES, UNSUPPORTED['openssl s_client'], async (f) => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      const s = SUITES[f];
      peer = await group.launch(
        opensslClient({
          port: listener.port,
          files,
          version: tls13(f) ? '1.3' : '1.2',
          cipher: s ? s.openssl : 'TLS_AES_128_GCM_SHA256',
          group: 'X25519',
          extra: ['-psk', HEX, '-psk_identity', IDENTITY, ...(pskKe(f) ? ['-allow_no_dhe_kex'] : [])],
        }),
      );
      const p = peer;
      const c = await serverConversation(serverConfig(f), await listener.accept(), {
        first: { send: enc.encode('pong\n'), expect: 'ping', trigger: waitAnd(p, 'pong', 'ping\n') },
      });
      await expectPsk(f, c, p.output);
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

// --------------------------------------------------------------------- Node

const nodeCiphers = (f: Feature) => SUITES[f]?.openssl;

describe('psk: our client vs Node tls.createServer (pskCallback)', () => {
  cells(FEATURES, UNSUPPORTED['node server'], async (f) => {
    // Node's pskCallback is OpenSSL's TLS 1.2-style PSK, bound to SHA-256 in TLS 1.3; Node's server prefers
    // TLS_AES_256_GCM_SHA384 and then ignores the PSK (RFC 8446 §4.2.11 lets a server decline a PSK, and a PSK of
    // another hash cannot be used with the suite): our client offers TLS_AES_128_GCM_SHA256 only here
    const ciphers = nodeCiphers(f);
    const server = await nodeTlsServer({
      files,
      key: 'rsa',
      version: tls13(f) ? '1.3' : '1.2',
      psk: { identity: IDENTITY, key: PSK.key, hint: HINT },
      ...(ciphers ? { ciphers } : {}),
      ...(f === 'TLS 1.2 DHE_PSK' ? { dhparam } : {}),
      ...(pskKe(f) ? { secureOptions: cryptoConstants.SSL_OP_ALLOW_NO_DHE_KEX } : {}),
    });
    try {
      const cfg = clientConfig(f);
      if (tls13(f)) cfg.cipherSuites = [0x1301];
      const c = await clientConversation(cfg, server.port, clientScript(false));
      await expectPsk(f, c, server.errors.join('\n'), HINT);
    } finally {
      await server.close();
    }
  });
});

describe('psk: our server vs Node tls.connect (pskCallback)', () => {
  cells(FEATURES, UNSUPPORTED['node client'], async (f) => {
    const listener = await LoopbackListener.open();
    try {
      const ciphers = nodeCiphers(f);
      const peer = nodeAnsweringClient({
        port: listener.port,
        files,
        version: tls13(f) ? '1.3' : '1.2',
        groups: 'X25519',
        psk: { identity: IDENTITY, key: PSK.key },
        ...(ciphers ? { ciphers } : {}),
        ...(pskKe(f) ? { secureOptions: cryptoConstants.SSL_OP_ALLOW_NO_DHE_KEX } : {}),
      });
      const c = await serverConversation(serverConfig(f), await listener.accept(), {
        first: { send: enc.encode('pong\n'), expect: 'ping' },
      });
      const node = await peer;
      await expectPsk(f, c, JSON.stringify({ ...node, sessions: node.sessions.length }));
      if (!tls13(f)) expect(node.pskHint).toBe(HINT);
    } finally {
      await listener.close();
    }
  });
});

// ------------------------------------------------------------------- GnuTLS

/** The GnuTLS priority of a row: one version, one key exchange (TLS 1.3: +PSK gives psk_ke, +ECDHE-PSK psk_dhe_ke). */
function gnutlsPriority(f: Feature): string {
  const s = SUITES[f];
  if (s) return `NORMAL:+SHA256:+SHA384:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+${s.gnutls}`;
  return `NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+${pskKe(f) ? 'PSK' : 'ECDHE-PSK'}`;
}

describe('psk: our client vs gnutls-serv --pskpasswd', () => {
  cells(FEATURES, UNSUPPORTED['gnutls-serv'], async (f) => {
    const port = await freePort();
    const peer = await group.launch(
      gnutlsServer({ port, files, key: 'rsa', priority: gnutlsPriority(f), extra: ['--pskpasswd', pskFile, '--pskhint', HINT] }),
    );
    try {
      const c = await clientConversation(clientConfig(f), port, clientScript(false));
      await expectPsk(f, c, peer.output, HINT);
    } finally {
      await peer.stop();
    }
  });
});

describe('psk: our server vs gnutls-cli --pskusername', () => {
  cells(FEATURES, UNSUPPORTED['gnutls-cli'], async (f) => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      peer = await group.launch(
        gnutlsClient({
          port: listener.port,
          files,
          priority: gnutlsPriority(f),
          extra: ['--pskusername', IDENTITY, '--pskkey', HEX],
        }),
      );
      const p = peer;
      const c = await serverConversation(serverConfig(f), await listener.accept(), {
        first: { send: enc.encode('pong\n'), expect: 'ping', trigger: waitAnd(p, 'pong', 'ping\n') },
      });
      await expectPsk(f, c, p.output);
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
