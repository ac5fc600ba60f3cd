/**
 * Interop matrix, TLS 1.2 anonymous key exchanges (issue #18 part 7): DH_anon (RFC 5246, with an RFC 7919 group) and
 * ECDH_anon (RFC 8422 §2.3), both roles, against OpenSSL 3.0 (`aNULL` at @SECLEVEL=0) and GnuTLS 3.7 (+ANON-DH,
 * +ANON-ECDH). They exist for the meta-test's t12.ske.anon-unsigned: a conforming anonymous transcript shows an
 * unsigned ServerKeyExchange and no certificate.
 *
 * A cell: handshake, application data both ways, no Certificate and no CertificateRequest, the ServerKeyExchange
 * unsigned (t12.ske.anon-unsigned passed), zero violations in the transcript decrypted with our key log.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { SERVER_NAME } from '../engine/fixtures';
import { CipherSuiteAnon12 } from '../engine/suites';
import type { SessionInfo } from '../engine/types';
import { checkTranscript } from '../oracles/evaluate';
import type { Verdict } from '../oracles/rule';
import { type Conversation, clientConversation, serverConversation } from '../testing/converse';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess, requireBinary } from '../testing/launch';
import { gnutlsClient, gnutlsServer, opensslClient, opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { NamedGroup } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { cells, expectClean, waitAnd } from './support/interop-cells';

const provider = nodeProvider();
const enc = new TextEncoder();
let files: PkiFiles;
let dhparam: string;
const group = new PeerGroup();

beforeAll(async () => {
  for (const [bin, pkg] of [
    ['openssl', 'openssl'],
    ['gnutls-serv', 'gnutls-bin'],
    ['gnutls-cli', 'gnutls-bin'],
  ] as const)
    requireBinary(bin, pkg);
  files = await writePki(undefined, 'tlsprop-anon-');
  // OpenSSL 3.0 sends the DH parameters it is given: the RFC 7919 group our engine runs DH with
  dhparam = join(files.dir, 'ffdhe2048.pem');
  writeFileSync(dhparam, execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048']));
});

afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

type Feature = 'DH_anon AES_128_GCM_SHA256' | 'ECDH_anon AES_128_CBC_SHA';
const FEATURES: readonly Feature[] = ['DH_anon AES_128_GCM_SHA256', 'ECDH_anon AES_128_CBC_SHA'];
const SUITE: Record<Feature, number> = {
  'DH_anon AES_128_GCM_SHA256': CipherSuiteAnon12.TLS_DH_anon_WITH_AES_128_GCM_SHA256,
  'ECDH_anon AES_128_CBC_SHA': CipherSuiteAnon12.TLS_ECDH_anon_WITH_AES_128_CBC_SHA,
};
const OPENSSL: Record<Feature, string> = {
  'DH_anon AES_128_GCM_SHA256': 'ADH-AES128-GCM-SHA256:@SECLEVEL=0',
  'ECDH_anon AES_128_CBC_SHA': 'AECDH-AES128-SHA:@SECLEVEL=0',
};
const GNUTLS: Record<Feature, string> = {
  'DH_anon AES_128_GCM_SHA256':
    'NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ANON-DH:-CIPHER-ALL:+AES-128-GCM:-GROUP-ALL:+GROUP-FFDHE2048',
  'ECDH_anon AES_128_CBC_SHA': 'NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ANON-ECDH:-CIPHER-ALL:+AES-128-CBC:+SHA1',
};
const GROUPS = [NamedGroup.x25519, NamedGroup.ffdhe2048];
const V12 = [VERSION_CODE['1.2']];

function clientConfig(f: Feature): ClientConfig {
  return { provider, serverName: SERVER_NAME, versions: V12, cipherSuites: [SUITE[f]], groups: GROUPS };
}

function serverConfig(f: Feature): ServerConfig {
  return { provider, identity: files.pki.identity('server', 'rsa'), versions: V12, cipherSuites: [SUITE[f]], groups: GROUPS };
}

async function expectAnonymous(f: Feature, c: Conversation, peerOutput: string): Promise<void> {
  const { session, verdicts } = await expectClean(c, peerOutput, { anchors: files.pki.anchors });
  expectAnonymousFlow(f, c, session, verdicts);
}

function expectAnonymousFlow(f: Feature, c: Conversation, session: SessionInfo | undefined, verdicts: readonly Verdict[]): void {
  expect(session).toMatchObject({ cipherSuite: SUITE[f], peerCertificates: [] });
  expect(session?.serverScheme).toBeUndefined();
  const types = c.transcript.messages.map((m) => m.type);
  expect(types).toContain('server_key_exchange');
  expect(types.filter((t) => t === 'certificate' || t === 'certificate_request')).toEqual([]);
  expect(verdicts.filter((v) => v.rule === 't12.ske.anon-unsigned').map((v) => v.status)).toEqual(['pass']);
}

describe('anonymous suites: our client vs openssl s_server', () => {
  cells(FEATURES, undefined, async (f) => {
    const port = await freePort();
    const peer = await group.launch(
      opensslServer({ port, files, key: 'rsa', version: '1.2', cipher: OPENSSL[f], extra: ['-nocert', '-dhparam', dhparam] }),
    );
    try {
      const c = await clientConversation(clientConfig(f), port, {
        first: { send: enc.encode('anonymous\n'), expect: 'suomynona' },
      });
      await expectAnonymous(f, c, peer.output);
    } finally {
      await peer.stop();
    }
  });
});

describe('anonymous suites: our server vs openssl s_client', () => {
  cells(FEATURES, undefined, async (f) => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      // -verify_return_error needs a certificate to verify: an anonymous server has none, so s_client runs without it
      peer = await group.launch({
        ...opensslClient({ port: listener.port, files, version: '1.2', cipher: OPENSSL[f], group: 'X25519:ffdhe2048' }),
      });
      const p = peer;
      const c = await serverConversation(serverConfig(f), await listener.accept(), {
        first: { send: enc.encode('pong\n'), expect: 'ping', trigger: waitAnd(p, 'pong', 'ping\n') },
      });
      await expectAnonymous(f, c, p.output);
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

describe('anonymous suites: our client vs gnutls-serv', () => {
  cells(FEATURES, undefined, async (f) => {
    const port = await freePort();
    const peer = await group.launch(gnutlsServer({ port, files, key: 'rsa', priority: GNUTLS[f] }));
    try {
      const c = await clientConversation(clientConfig(f), port, {
        first: { send: enc.encode('anonymous\n'), expect: 'anonymous' },
      });
      await expectAnonymous(f, c, peer.output);
    } finally {
      await peer.stop();
    }
  });
});

describe('anonymous suites: our server vs gnutls-cli', () => {
  cells(FEATURES, undefined, async (f) => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      peer = await group.launch(gnutlsClient({ port: listener.port, files, priority: GNUTLS[f] }));
      const p = peer;
      const c = await serverConversation(serverConfig(f), await listener.accept(), {
        first: { send: enc.encode('pong\n'), expect: 'ping', trigger: waitAnd(p, 'pong', 'ping\n') },
      });
      if (f !== 'DH_anon AES_128_GCM_SHA256') return await expectAnonymous(f, c, p.output);
      // a real peer finding: gnutls-cli 3.7.9 offering only DH_anon (and only the FFDHE group) still sends
      // ec_point_formats, which RFC 8422 §4 leaves to clients that propose ECC suites: ext.ecc.no-ecc-ext-without-ecc
      // names the client; so does its SHA-1 offer (known-deviations.ts GNUTLS_CLI, RFC 9155 §2); the rest of the
      // handshake is clean
      const { verdicts } = await checkTranscript(c.transcript, { trustAnchors: files.pki.anchors, judgeReactions: false });
      expect(
        verdicts
          .filter((v) => v.status === 'violation')
          .map((v) => `${v.rule} @${v.message}`)
          .sort(),
      ).toEqual(['ext.ecc.no-ecc-ext-without-ecc @0', 'sig.t12.sigalgs-no-md5-sha1 @0']);
      const out = c.endpoint.outcome;
      expectAnonymousFlow(f, c, out.kind === 'connected' || out.kind === 'closed' ? out.session : undefined, verdicts);
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
