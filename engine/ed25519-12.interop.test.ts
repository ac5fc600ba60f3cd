/**
 * TLS 1.2 ECDHE_ECDSA with Ed25519 certificates (RFC 8422 §5.1.1, §5.10:
 * EdDSA keys under the ECDHE_ECDSA suites, signature scheme ed25519 0x0807
 * for ServerKeyExchange and CertificateVerify), both roles: in memory (the
 * transcript judged by the oracles) and against openssl s_server / s_client
 * on 127.0.0.1, each stopped by PID.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import { LoopbackListener, PeerGroup, type PeerProcess, freePort } from '../testing/launch';
import { runOurClient, runOurServer } from '../fuzz/live';
import { opensslClient, opensslServer } from '../testing/peers';
import { type PemPair, type PkiFiles, writePki } from '../testing/pki';
import type { BuiltCert } from '../pki/chain';
import { chainPem } from '../pki/chain';
import { keyPem } from '../pki/keypool';
import { AlertDescription, NamedGroup, SignatureScheme } from '../wire/registry';
import { type ClientConfig, identityOf, type ServerConfig } from './config';
import { ed25519Leaves, SERVER_NAME } from './fixtures';
import { runInMemory } from './memory';
import { CipherSuite12 as CS } from './suites';
import { describeOutcome } from './types';
import { verifyTranscriptSecrets } from './verify';

const p = nodeProvider();
const peers = new PeerGroup();
let files: PkiFiles;
let ed: Record<'server' | 'client', BuiltCert[]>;
let edPem: Record<'server' | 'client', PemPair>;

beforeAll(async () => {
  files = await writePki();
  ed = await ed25519Leaves(files.pki);
  const write = (role: 'server' | 'client'): PemPair => {
    const leaf = ed[role][0]!;
    const cert = join(files.dir, `${role}-ed25519.crt`);
    const key = join(files.dir, `${role}-ed25519.key`);
    writeFileSync(cert, chainPem([leaf]), { mode: 0o644 });
    writeFileSync(key, keyPem(leaf.key).privateKey, { mode: 0o644 });
    return { cert, key };
  };
  edPem = { server: write('server'), client: write('client') };
}, 20_000);
afterAll(async () => {
  await peers.stopAll();
  expect(peers.running()).toEqual([]);
  files.cleanup();
});

const SUITE = CS.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
const clientCfg = (extra: Partial<ClientConfig> = {}): ClientConfig => ({
  provider: p,
  versions: [0x0303],
  cipherSuites: [SUITE],
  serverName: SERVER_NAME,
  trustAnchors: files.pki.anchors,
  ...extra,
});
const serverCfg = (extra: Partial<ServerConfig> = {}): ServerConfig => ({
  provider: p,
  versions: [0x0303],
  cipherSuites: [SUITE],
  identity: identityOf(ed.server),
  trustAnchors: files.pki.anchors,
  ...extra,
});
const PING = new TextEncoder().encode('ping\n');

describe('TLS 1.2 ECDHE_ECDSA with Ed25519 in memory', () => {
  it.each([
    ['server Ed25519, no client auth', false],
    ['server and client Ed25519, client auth required', true],
  ])('%s: connects with scheme ed25519, secrets verify and the oracles find no violation', async (_n, mutual) => {
    const r = await runInMemory(
      clientCfg(mutual ? { identity: identityOf(ed.client) } : {}),
      serverCfg(mutual ? { clientAuth: 'require' } : {}),
      {},
      { appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) }, closeNotify: true },
    );
    const co = r.clientOutcome;
    const so = r.serverOutcome;
    if (co.kind !== 'closed' || so.kind !== 'closed')
      throw new Error(`client ${describeOutcome(co)}; server ${describeOutcome(so)}`);
    expect(co.session?.cipherSuite).toBe(SUITE);
    expect(co.session?.serverScheme).toBe(SignatureScheme.ed25519);
    expect(so.session?.clientScheme).toBe(mutual ? SignatureScheme.ed25519 : undefined);
    expect(await verifyTranscriptSecrets(p, r.transcript)).toEqual([]);
    const v = await checkTranscript(r.transcript, { trustAnchors: files.pki.anchors, at: new Date() });
    expect(v.verdicts.filter((x) => x.status === 'violation').map((x) => `${x.rule}: ${x.detail}`)).toEqual([]);
  });

  it('the server does not pick ECDHE_ECDSA for an Ed25519 key when the client did not offer the ed25519 scheme', async () => {
    const r = await runInMemory(
      clientCfg({ signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256] }),
      serverCfg(),
    );
    const so = r.serverOutcome;
    if (so.kind !== 'alert_sent') throw new Error(`server ${describeOutcome(so)}`);
    expect(so.alert.description).toBe(AlertDescription.handshake_failure);
  });

  it('Ed25519 needs no curve in supported_groups: the client lists x25519 only', async () => {
    const r = await runInMemory(clientCfg({ groups: [NamedGroup.x25519] }), serverCfg());
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
  });
});

describe('TLS 1.2 ECDHE_ECDSA with Ed25519 against OpenSSL', () => {
  it('our client to openssl s_server with an Ed25519 certificate', async () => {
    const port = await freePort();
    // the later -cert/-key replace the RSA pair opensslServer puts first
    const server = await peers.launch(
      opensslServer({
        port,
        files,
        key: 'rsa',
        version: '1.2',
        cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256',
        extra: ['-cert', edPem.server.cert, '-key', edPem.server.key],
      }),
    );
    try {
      const live = await runOurClient(clientCfg(), port, { appData: PING });
      const o = live.run.end.outcome;
      if (o.kind !== 'connected') throw new Error(`client ${describeOutcome(o)}`);
      expect(o.session.serverScheme).toBe(SignatureScheme.ed25519);
      expect(o.session.peerCertificates[0]).toEqual(ed.server[0]!.der);
      expect(live.receivedText).toBe('gnip\n');
    } finally {
      await server.stop();
    }
  });

  it('openssl s_client with an Ed25519 client certificate to our Ed25519 server (client auth required)', async () => {
    const listener = await LoopbackListener.open();
    let proc: PeerProcess | undefined;
    try {
      proc = await peers.launch(
        opensslClient({
          port: listener.port,
          files,
          version: '1.2',
          cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256',
          group: 'X25519:P-256',
          identity: edPem.client,
          servername: SERVER_NAME,
        }),
      );
      const socket = await listener.accept();
      const serving = runOurServer(serverCfg({ clientAuth: 'require' }), socket, {
        appData: new TextEncoder().encode('pong\n'),
        readTimeoutMs: 5000,
      });
      // s_client sends its stdin once it has printed our data: its handshake is over by then
      if (await proc.waitForOutput('pong', 5000)) proc.write('ping\n');
      const live = await serving;
      const o = live.run.end.outcome;
      if (o.kind !== 'connected') throw new Error(`server ${describeOutcome(o)}`);
      expect(o.session.cipherSuite).toBe(SUITE);
      expect(o.session.serverScheme).toBe(SignatureScheme.ed25519);
      expect(o.session.clientScheme).toBe(SignatureScheme.ed25519);
      expect(live.receivedText).toBe('ping\n');
    } finally {
      await proc?.stop();
      await listener.close();
    }
  });
});
