/**
 * Interop matrix, protocol breadth rows (issue #18): TLS 1.2 renegotiation (RFC 5746) started by the client, by
 * the server, and refused by the server with the warning no_renegotiation, each in both roles against OpenSSL (s_server / s_client), Node's tls and GnuTLS (gnutls-serv /
 * gnutls-cli).
 *
 * A cell passes as those of spec/interop-features.spec.ts do: every connection completes its handshake, exchanges
 * application data both ways (again after the feature, under its keys), shows the feature (a second handshake with
 * renegotiation_info carrying the previous verify_data, its own key log line) and its transcript, decrypted with our
 * key log, has zero oracle violations. Cells a peer cannot run are skipped tests naming the reason.
 */
import { constants as cryptoConstants } from 'node:crypto';
import { nodeProvider } from '../crypto';
import { TlsClient } from '../engine/client';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { SERVER_NAME } from '../engine/fixtures';
import { CipherSuite12 } from '../engine/suites';
import { checkTranscript } from '../oracles/evaluate';
import { type Conversation, type ConversationScript, clientConversation, serverConversation } from '../testing/converse';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess, requireBinary } from '../testing/launch';
import { gnutlsClient, gnutlsServer, nodeAnsweringClient, nodeTlsServer, opensslClient, opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { cells, expectClean, waitAnd } from './support/interop-cells';
import { extensionBody } from '../wire/extensions';
import { AlertDescription, ExtensionType } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';

const provider = nodeProvider();
const enc = new TextEncoder();

let files: PkiFiles;
const group = new PeerGroup();

beforeAll(async () => {
  for (const [bin, pkg] of [
    ['openssl', 'openssl'],
    ['gnutls-serv', 'gnutls-bin'],
    ['gnutls-cli', 'gnutls-bin'],
  ] as const)
    requireBinary(bin, pkg);
  files = await writePki(undefined, 'tlsprop-breadth-');
});

afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

/** The rows of this matrix. */
type Feature = 'renegotiation by the client' | 'renegotiation by the server' | 'renegotiation refused';
const FEATURES: readonly Feature[] = ['renegotiation by the client', 'renegotiation by the server', 'renegotiation refused'];
type Column = 'openssl s_server' | 'openssl s_client' | 'node server' | 'node client' | 'gnutls-serv' | 'gnutls-cli';

/** Cells a peer cannot run, and why. */
const UNSUPPORTED: Partial<Record<Column, Partial<Record<Feature, string>>>> = {
  'gnutls-serv': {
    'renegotiation by the server':
      'gnutls-serv 3.7 has no command or option that makes it send a HelloRequest (it only answers a client that renegotiates)',
    'renegotiation refused':
      'gnutls-serv 3.7 accepts every safe renegotiation; its only switch (%DISABLE_SAFE_RENEGOTIATION) drops renegotiation_info from the first handshake too, so no secure renegotiation is ever asked for',
  },
};

// ------------------------------------------------------------------ judging

/** A renegotiation happened: two ClientHellos, the second protected and carrying the first client Finished's verify_data. */
async function expectRenegotiated(c: Conversation, by: 'client' | 'server'): Promise<void> {
  expect(c.endpoint.renegotiations).toBe(1);
  const hellos = c.transcript.messages.filter((m) => m.type === 'client_hello');
  expect(hellos).toHaveLength(2);
  expect(hellos[1]?.encrypted).toBe(true);
  const b = hellos[1]?.decoded?.body;
  const ri =
    b?.type === 'client_hello' ? extensionBody(b.extensions, ExtensionType.renegotiation_info, 'renegotiation_info') : undefined;
  const cfin = c.transcript.messages.find((m) => m.type === 'finished' && m.dir === 'C->S');
  expect(ri?.renegotiatedConnection).toEqual(cfin?.raw?.subarray(4));
  expect(c.transcript.messages.some((m) => m.type === 'hello_request')).toBe(by === 'server');
  // the oracles judged the renegotiation as a handshake of its own, with its own key log line
  const { handshakes, verdicts } = await checkTranscript(c.transcript, {
    trustAnchors: files.pki.anchors,
    judgeReactions: false,
  });
  expect(handshakes).toHaveLength(2);
  expect(verdicts.filter((v) => v.rule === 'ext.reneg.secure').map((v) => v.status)).toContain('pass');
  expect(verdicts.filter((v) => v.rule === 't12.fin.verify-data' && v.status === 'pass').length).toBeGreaterThanOrEqual(2);
}

async function expectFeature(f: Feature, c: Conversation, peerOutput: string): Promise<void> {
  // RFC 5246 §7.2.2 no_renegotiation: "At that point, the original requester can decide whether to proceed with the
  // connection": a peer whose renegotiation our server refused may end it with an alert of its own
  await expectClean(c, peerOutput, {
    anchors: files.pki.anchors,
    peerMayAbort: f === 'renegotiation refused' && !(c.endpoint instanceof TlsClient),
  });
  if (f === 'renegotiation refused') return expectRefused(c);
  await expectRenegotiated(c, f === 'renegotiation by the client' ? 'client' : 'server');
}

/** The client's renegotiation was refused with the warning no_renegotiation (RFC 5246 §7.2.2); the first keys stay. */
async function expectRefused(c: Conversation): Promise<void> {
  expect(c.endpoint.renegotiations).toBe(0);
  const warnings = c.endpoint instanceof TlsClient ? c.endpoint.warningsReceived : c.endpoint.warningsSent;
  expect(warnings.map((a) => a.description)).toContain(AlertDescription.no_renegotiation);
  const hellos = c.transcript.messages.filter((m) => m.type === 'client_hello');
  expect(hellos.length).toBeGreaterThanOrEqual(2);
  expect(c.transcript.messages.filter((m) => m.type === 'server_hello')).toHaveLength(1);
  const { handshakes, verdicts } = await checkTranscript(c.transcript, {
    trustAnchors: files.pki.anchors,
    judgeReactions: false,
  });
  expect(handshakes[0]?.refused).toBeUndefined();
  expect(handshakes.length).toBeGreaterThanOrEqual(2);
  expect(handshakes.slice(1).every((h) => h.refused)).toBe(true);
  expect(verdicts.filter((v) => v.rule === 'ext.reneg.secure').map((v) => v.status)).toContain('pass');
}

/** The renegotiation cells of one column. */
function reneg(column: Column, run: (f: Feature) => Promise<void>): void {
  cells(FEATURES, UNSUPPORTED[column], run);
}

// ------------------------------------------------------------ configurations

const V12 = VERSION_CODE['1.2'];
const SUITE12 = CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;

function clientConfig(): ClientConfig {
  return {
    provider,
    serverName: SERVER_NAME,
    trustAnchors: files.pki.anchors,
    versions: [V12],
    cipherSuites: [SUITE12],
    renegotiation: 'secure',
  };
}

/** Our server: it renegotiates (secure), or refuses with no_renegotiation in the refusal row. */
function serverConfig(f: Feature): ServerConfig {
  return {
    provider,
    identity: files.pki.identity('server', 'rsa'),
    trustAnchors: files.pki.anchors,
    versions: [V12],
    cipherSuites: [SUITE12],
    renegotiation: f === 'renegotiation refused' ? 'refuse' : 'secure',
  };
}

// ------------------------------------------------------------------ OpenSSL

/** The renegotiation step of a feature: who starts it, whether it is refused, the exchange after it. */
function renegotiationStep(
  f: Feature,
  byOurSide: boolean,
  after: ConversationScript['first'] | undefined,
  start?: NonNullable<ConversationScript['renegotiation']>['start'],
): NonNullable<ConversationScript['renegotiation']> {
  const step: NonNullable<ConversationScript['renegotiation']> = { by: byOurSide ? 'us' : 'peer' };
  if (f === 'renegotiation refused') step.refused = true;
  if (start) step.start = start;
  if (after) step.after = after;
  return step;
}

describe('breadth: our client vs openssl s_server', () => {
  reneg('openssl s_server', async (f) => {
    const port = await freePort();
    const byServer = f === 'renegotiation by the server';
    // OpenSSL 3.0 refuses a client's renegotiation (no_renegotiation) unless -client_renegotiation; a HelloRequest
    // comes from its stdin command `r`, read in plain mode without -quiet.
    const peer = await group.launch(
      opensslServer({
        port,
        files,
        key: 'rsa',
        version: '1.2',
        extra: f === 'renegotiation by the client' ? ['-client_renegotiation'] : [],
        echo: !byServer,
        commands: byServer,
      }),
    );
    try {
      const line = (text: string) =>
        byServer
          ? { send: enc.encode(`${text}\n`), expect: text, trigger: waitAnd(peer, text, `${text}\n`) }
          : { send: enc.encode(`${text}\n`), expect: [...text].reverse().join('') };
      const script: ConversationScript = {
        first: line('before renegotiation'),
        renegotiation: renegotiationStep(f, !byServer, line('after renegotiation'), () => peer.write('r\n')),
      };
      const c = await clientConversation(clientConfig(), port, script);
      await expectFeature(f, c, peer.output);
    } finally {
      await peer.stop();
    }
  });
});

describe('breadth: our server vs openssl s_client', () => {
  reneg('openssl s_client', async (f) => {
    const byServer = f === 'renegotiation by the server';
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      // s_client renegotiates on its stdin command `R` (read without -quiet), and answers our HelloRequest by itself.
      peer = await group.launch(
        opensslClient({
          port: listener.port,
          files,
          version: '1.2',
          cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
          group: 'X25519',
          commands: !byServer,
        }),
      );
      const p = peer;
      // OpenSSL's client gives up the connection when its renegotiation is refused (RFC 5246 §7.2.2 lets "the original
      // requester ... decide whether to proceed"): no exchange after a refusal.
      const after =
        f === 'renegotiation refused'
          ? undefined
          : { send: enc.encode('pong2\n'), expect: 'ping2', trigger: waitAnd(p, 'pong2', 'ping2\n') };
      const script: ConversationScript = {
        first: { send: enc.encode('pong\n'), expect: 'ping', trigger: waitAnd(p, 'pong', 'ping\n') },
        renegotiation: renegotiationStep(f, byServer, after, () => p.write('R\n')),
      };
      const c = await serverConversation(serverConfig(f), await listener.accept(), script);
      await expectFeature(f, c, p.output);
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

// --------------------------------------------------------------------- Node

describe('breadth: our client vs Node tls.createServer', () => {
  reneg('node server', async (f) => {
    const server = await nodeTlsServer({
      files,
      key: 'rsa',
      version: '1.2',
      renegotiateOn: 'renegotiate now',
      ...(f === 'renegotiation refused' ? { secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION } : {}),
    });
    try {
      // the server renegotiates when it reads `renegotiate now`: our client sends that line to start it
      const script: ConversationScript = {
        first: { send: enc.encode('before renegotiation\n'), expect: 'before renegotiation' },
        renegotiation: renegotiationStep(
          f,
          f !== 'renegotiation by the server',
          { send: enc.encode('after renegotiation\n'), expect: 'after renegotiation' },
          (sendData) => sendData(enc.encode('renegotiate now\n')),
        ),
      };
      const c = await clientConversation(clientConfig(), server.port, script);
      await expectFeature(f, c, server.errors.join('\n'));
    } finally {
      await server.close();
    }
  });
});

describe('breadth: our server vs Node tls.connect', () => {
  reneg('node client', async (f) => {
    const byServer = f === 'renegotiation by the server';
    const listener = await LoopbackListener.open();
    try {
      const peer = nodeAnsweringClient({
        port: listener.port,
        files,
        version: '1.2',
        groups: 'X25519',
        ...(byServer ? {} : { renegotiateOn: 'renegotiate now' }),
      });
      // the client renegotiates when it reads `renegotiate now`: our server sends that line to start it; like OpenSSL's,
      // Node's client gives up the connection when its renegotiation is refused
      const after = f === 'renegotiation refused' ? undefined : { send: enc.encode('pong2\n'), expect: 'ping2' };
      const script: ConversationScript = {
        first: { send: enc.encode('pong\n'), expect: 'ping' },
        renegotiation: renegotiationStep(f, byServer, after, (sendData) => sendData(enc.encode('renegotiate now\n'))),
      };
      const c = await serverConversation(serverConfig(f), await listener.accept(), script);
      const node = await peer;
      await expectFeature(f, c, JSON.stringify({ ...node, sessions: node.sessions.length }));
    } finally {
      await listener.close();
    }
  });
});

// ------------------------------------------------------------------- GnuTLS

describe('breadth: our client vs gnutls-serv', () => {
  reneg('gnutls-serv', async (f) => {
    const port = await freePort();
    const peer = await group.launch(gnutlsServer({ port, files, key: 'rsa', priority: 'NORMAL:-VERS-ALL:+VERS-TLS1.2' }));
    try {
      const script: ConversationScript = {
        first: { send: enc.encode('before renegotiation\n'), expect: 'before renegotiation' },
        renegotiation: renegotiationStep(f, true, { send: enc.encode('after renegotiation\n'), expect: 'after renegotiation' }),
      };
      const c = await clientConversation(clientConfig(), port, script);
      await expectFeature(f, c, peer.output);
    } finally {
      await peer.stop();
    }
  });
});

describe('breadth: our server vs gnutls-cli', () => {
  reneg('gnutls-cli', async (f) => {
    const byServer = f === 'renegotiation by the server';
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      // gnutls-cli renegotiates on its inline command ^renegotiate^, and answers our HelloRequest by itself.
      peer = await group.launch(
        gnutlsClient({
          port: listener.port,
          files,
          priority: 'NORMAL:-VERS-ALL:+VERS-TLS1.2',
          extra: byServer ? [] : ['--inline-commands'],
        }),
      );
      const p = peer;
      // refused, gnutls-cli tries once more and then gives up the connection (internal_error): no exchange after it
      const after =
        f === 'renegotiation refused'
          ? undefined
          : { send: enc.encode('pong2\n'), expect: 'ping2', trigger: waitAnd(p, 'pong2', 'ping2\n') };
      const script: ConversationScript = {
        first: { send: enc.encode('pong\n'), expect: 'ping', trigger: waitAnd(p, 'pong', 'ping\n') },
        renegotiation: renegotiationStep(f, byServer, after, () => p.write('^renegotiate^\n')),
      };
      const c = await serverConversation(serverConfig(f), await listener.accept(), script);
      await expectFeature(f, c, p.output);
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
