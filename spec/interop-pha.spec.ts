/**
 * Interop matrix, TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2, issue #18 part 4), both roles:
 * our client (post_handshake_auth offered) with openssl s_server, which asks on its stdin command `c`; our server
 * (TlsServer.requestPostHandshakeAuth) with openssl s_client -enable_pha and gnutls-cli --post-handshake-auth.
 * gnutls-serv 3.7 has no command that asks for it: that cell is skipped with the reason.
 *
 * A cell: handshake, application data both ways before and after, the authentication visibly happened (a
 * CertificateRequest after the server Finished, the client's Certificate / CertificateVerify / Finished under its
 * application keys, counted by both ends of ours), zero violations in the transcript decrypted with our key log.
 */
import { nodeProvider } from '../crypto';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { SERVER_NAME } from '../engine/fixtures';
import { type Conversation, clientConversation, serverConversation } from '../testing/converse';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess, requireBinary } from '../testing/launch';
import { gnutlsClient, opensslClient, opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { VERSION_CODE } from '../wire/vocabulary';
import { cells, expectClean, waitAnd } from './support/interop-cells';

const provider = nodeProvider();
const enc = new TextEncoder();
let files: PkiFiles;
const group = new PeerGroup();

beforeAll(async () => {
  for (const [bin, pkg] of [
    ['openssl', 'openssl'],
    ['gnutls-cli', 'gnutls-bin'],
  ] as const)
    requireBinary(bin, pkg);
  files = await writePki(undefined, 'tlsprop-pha-');
});

afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

type Feature = 'post-handshake client authentication';
const FEATURES: readonly Feature[] = ['post-handshake client authentication'];
const V13 = [VERSION_CODE['1.3']];

/** The authentication happened after the handshake, under application keys, and the transcript is clean. */
async function expectAuthenticated(c: Conversation, peerOutput: string): Promise<void> {
  await expectClean(c, peerOutput, { anchors: files.pki.anchors });
  expect(c.endpoint.postHandshakeAuths).toBe(1);
  const m = c.transcript.messages;
  const sfin = m.findIndex((x) => x.type === 'finished' && x.dir === 'S->C');
  const after = m.slice(sfin + 1).filter((x) => x.kind === 'handshake' && x.type !== 'new_session_ticket');
  // the client Finished of the handshake, then the authentication
  expect(after.map((x) => `${x.dir} ${x.type}`)).toEqual([
    'C->S finished',
    'S->C certificate_request',
    'C->S certificate',
    'C->S certificate_verify',
    'C->S finished',
  ]);
  expect(after.every((x) => x.encrypted)).toBe(true);
}

describe('post-handshake auth: our client vs openssl s_server (command c)', () => {
  cells(FEATURES, undefined, async () => {
    const port = await freePort();
    // plain mode without -quiet: s_server prints what it gets, sends its stdin, and takes `c` as a command
    const peer = await group.launch(opensslServer({ port, files, key: 'rsa', version: '1.3', echo: false, commands: true }));
    try {
      const config: ClientConfig = {
        provider,
        serverName: SERVER_NAME,
        trustAnchors: files.pki.anchors,
        versions: V13,
        identity: files.pki.identity('client', 'ecdsa'),
        postHandshakeAuth: true,
      };
      const c = await clientConversation(config, port, {
        first: { send: enc.encode('before\n'), expect: 'from server', trigger: waitAnd(peer, 'before', 'from server\n') },
        postHandshakeAuth: {
          by: 'peer',
          start: () => peer.write('c\n'),
          after: { send: enc.encode('after\n'), expect: 'again', trigger: waitAnd(peer, 'after', 'again\n') },
        },
      });
      await expectAuthenticated(c, peer.output);
    } finally {
      await peer.stop();
    }
  });
});

function serverConfig(): ServerConfig {
  return { provider, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors, versions: V13 };
}

describe('post-handshake auth: our server vs openssl s_client -enable_pha', () => {
  cells(FEATURES, undefined, async () => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      peer = await group.launch(
        opensslClient({
          port: listener.port,
          files,
          version: '1.3',
          cipher: 'TLS_AES_128_GCM_SHA256',
          group: 'X25519',
          identity: files.client.ecdsa,
          extra: ['-enable_pha'],
        }),
      );
      const p = peer;
      const c = await serverConversation(serverConfig(), await listener.accept(), {
        first: { send: enc.encode('pong\n'), expect: 'ping', trigger: waitAnd(p, 'pong', 'ping\n') },
        postHandshakeAuth: {
          by: 'us',
          after: { send: enc.encode('pong2\n'), expect: 'ping2', trigger: waitAnd(p, 'pong2', 'ping2\n') },
        },
      });
      await expectAuthenticated(c, p.output);
      const o = c.endpoint.outcome;
      expect(o.kind === 'connected' || o.kind === 'closed' ? o.session?.peerCertificates.length : 0).toBeGreaterThan(0);
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

describe('post-handshake auth: our server vs gnutls-cli --post-handshake-auth', () => {
  cells(FEATURES, undefined, async () => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      peer = await group.launch(
        gnutlsClient({
          port: listener.port,
          files,
          version: '1.3',
          identity: files.client.ecdsa,
          extra: ['--post-handshake-auth'],
        }),
      );
      const p = peer;
      const c = await serverConversation(serverConfig(), await listener.accept(), {
        first: { send: enc.encode('pong\n'), expect: 'ping', trigger: waitAnd(p, 'pong', 'ping\n') },
        postHandshakeAuth: {
          by: 'us',
          after: { send: enc.encode('pong2\n'), expect: 'ping2', trigger: waitAnd(p, 'pong2', 'ping2\n') },
        },
      });
      await expectAuthenticated(c, p.output);
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

describe('post-handshake auth: our client vs gnutls-serv', () => {
  cells(
    FEATURES,
    {
      'post-handshake client authentication':
        'gnutls-serv 3.7 has no command or option that sends a post-handshake CertificateRequest (only gnutls_reauth() in the library)',
    },
    async () => undefined,
  );
});

describe('cleanup', () => {
  it('leaves no child process running', async () => {
    await group.stopAll();
    expect(group.running().map((p) => `${p.name} pid ${p.pid}`)).toEqual([]);
  });
});
