/**
 * Interop matrix, record_size_limit (RFC 8449, issue #18 part 6) in TLS 1.2 and TLS 1.3, both roles: against GnuTLS
 * 3.7 (gnutls-serv / gnutls-cli `--recordsize`), which implements it, the limit is negotiated and each side's protected
 * records stay within the other's; OpenSSL 3.0 does not implement RFC 8449, so against s_server / s_client the
 * offered extension is ignored and the cell checks that (no answer, records of the protocol size, zero violations).
 *
 * A cell passes as those of spec/interop-breadth.spec.ts do: handshake, application data both ways (larger than
 * either limit, so the limit shows in the record sizes), the feature visibly happened (the extension in the
 * ServerHello / EncryptedExtensions, every protected record within the receiver's limit, rec.rsl-enforced passed) and
 * zero violations in the transcript decrypted with our key log.
 */
import { nodeProvider } from '../crypto';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { SERVER_NAME } from '../engine/fixtures';
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import { type Conversation, clientConversation, serverConversation } from '../testing/converse';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess, requireBinary } from '../testing/launch';
import { gnutlsClient, gnutlsServer, opensslClient, opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { extensionBody } from '../wire/extensions';
import { ExtensionType } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { cells, expectClean, waitAnd } from './support/interop-cells';

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
  files = await writePki(undefined, 'tlsprop-rsl-');
});

afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

type Feature = 'TLS 1.2 record_size_limit' | 'TLS 1.3 record_size_limit';
const FEATURES: readonly Feature[] = ['TLS 1.2 record_size_limit', 'TLS 1.3 record_size_limit'];
const versionOf = (f: Feature) => (f.startsWith('TLS 1.2') ? '1.2' : '1.3');
const SUITE = {
  '1.2': CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  '1.3': CipherSuite13.TLS_AES_128_GCM_SHA256,
} as const;

/** Our limit, and the peer's (GnuTLS 3.7 takes 512..4096 by default: smaller needs %ALLOW_SMALL_RECORDS). */
const OURS = 512;
const THEIRS = 1024;
/** A line longer than either limit, so both directions split it. */
const LONG = 'r'.repeat(3000);

function clientConfig(f: Feature): ClientConfig {
  const v = versionOf(f);
  return {
    provider,
    serverName: SERVER_NAME,
    trustAnchors: files.pki.anchors,
    versions: [VERSION_CODE[v]],
    cipherSuites: [SUITE[v]],
    recordSizeLimit: OURS,
  };
}

function serverConfig(f: Feature): ServerConfig {
  const v = versionOf(f);
  return {
    provider,
    identity: files.pki.identity('server', 'rsa'),
    versions: [VERSION_CODE[v]],
    cipherSuites: [SUITE[v]],
    recordSizeLimit: OURS,
  };
}

/** The extension the server answered with (ServerHello in TLS 1.2, EncryptedExtensions in TLS 1.3), if any. */
function answered(c: Conversation, f: Feature): number | undefined {
  const type = versionOf(f) === '1.3' ? 'encrypted_extensions' : 'server_hello';
  const b = c.transcript.messages.find((m) => m.type === type)?.decoded?.body;
  return extensionBody(b && 'extensions' in b ? b.extensions : undefined, ExtensionType.record_size_limit, 'record_size_limit')
    ?.limit;
}

/** Largest limited size of the protected records each way (TLS 1.3: TLSInnerPlaintext, content plus type byte). */
function largest(c: Conversation, f: Feature, dir: 'C->S' | 'S->C'): number {
  const extra = versionOf(f) === '1.3' ? 1 : 0;
  const sizes = c.transcript.records.filter((r) => r.dir === dir && r.encrypted && r.plaintext);
  return Math.max(...sizes.map((r) => r.plaintext!.fragment.length + extra));
}

async function expectNegotiated(f: Feature, c: Conversation, peerOutput: string, we: 'client' | 'server'): Promise<void> {
  const { session, verdicts } = await expectClean(c, peerOutput, { anchors: files.pki.anchors });
  // GnuTLS advertises one more in TLS 1.3: RFC 8449 §4, the value "includes the content type and padding added in
  // TLS 1.3", and --recordsize counts the content
  const theirs = versionOf(f) === '1.3' ? THEIRS + 1 : THEIRS;
  expect(session?.recordSizeLimit).toEqual({ ours: OURS, peer: theirs });
  expect(answered(c, f)).toBe(we === 'server' ? OURS : theirs);
  const toUs = largest(c, f, we === 'client' ? 'S->C' : 'C->S');
  const toThem = largest(c, f, we === 'client' ? 'C->S' : 'S->C');
  // the data was split at each receiver's limit: records reach it and never pass it
  expect([toUs <= OURS, toThem]).toEqual([true, theirs]);
  expect(verdicts.filter((v) => v.rule === 'rec.rsl-enforced').map((v) => v.status)).toEqual(['pass']);
}

async function expectIgnored(f: Feature, c: Conversation, peerOutput: string, we: 'client' | 'server'): Promise<void> {
  const { session } = await expectClean(c, peerOutput, { anchors: files.pki.anchors });
  expect(session?.recordSizeLimit).toBeUndefined();
  // "not negotiated" is seen on the wire: our server (offered one) answers nothing, our client gets no answer
  expect(answered(c, f)).toBeUndefined();
  // and no limit applies: our records of the long line are not split at the peer's (unsent) limit
  expect(largest(c, f, we === 'client' ? 'C->S' : 'S->C')).toBeGreaterThan(THEIRS);
}

const OPENSSL_NO_RSL = 'OpenSSL 3.0 does not implement RFC 8449';

describe('record_size_limit: our client vs gnutls-serv --recordsize', () => {
  cells(FEATURES, undefined, async (f) => {
    const port = await freePort();
    const peer = await group.launch(
      gnutlsServer({ port, files, key: 'rsa', version: versionOf(f), extra: [`--recordsize=${THEIRS}`] }),
    );
    try {
      const c = await clientConversation(clientConfig(f), port, { first: { send: enc.encode(`${LONG}\n`), expect: LONG } });
      await expectNegotiated(f, c, peer.output, 'client');
    } finally {
      await peer.stop();
    }
  });
});

describe('record_size_limit: our server vs gnutls-cli --recordsize', () => {
  cells(FEATURES, undefined, async (f) => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      peer = await group.launch(
        gnutlsClient({ port: listener.port, files, version: versionOf(f), extra: [`--recordsize=${THEIRS}`] }),
      );
      const p = peer;
      const c = await serverConversation(serverConfig(f), await listener.accept(), {
        // gnutls-cli sends one record of each stdin line and drops what does not fit our limit (a gnutls_record_send
        // partial write it does not finish): its line stays short
        first: { send: enc.encode(`${LONG}\n`), expect: 'ping', trigger: waitAnd(p, LONG, 'ping\n') },
      });
      await expectNegotiated(f, c, p.output, 'server');
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

describe(`record_size_limit: our client vs openssl s_server (${OPENSSL_NO_RSL}: ignored)`, () => {
  cells(FEATURES, undefined, async (f) => {
    const port = await freePort();
    const peer = await group.launch(opensslServer({ port, files, key: 'rsa', version: versionOf(f) }));
    try {
      const c = await clientConversation(clientConfig(f), port, {
        first: { send: enc.encode(`${LONG}\n`), expect: [...LONG].reverse().join('') },
      });
      await expectIgnored(f, c, peer.output, 'client');
    } finally {
      await peer.stop();
    }
  });
});

describe(`record_size_limit: our server vs openssl s_client (${OPENSSL_NO_RSL}: not offered)`, () => {
  cells(FEATURES, undefined, async (f) => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      const v = versionOf(f);
      peer = await group.launch(
        opensslClient({
          port: listener.port,
          files,
          version: v,
          cipher: v === '1.2' ? 'ECDHE-RSA-AES128-GCM-SHA256' : 'TLS_AES_128_GCM_SHA256',
          group: 'X25519',
        }),
      );
      const p = peer;
      const c = await serverConversation(serverConfig(f), await listener.accept(), {
        first: { send: enc.encode(`${LONG}\n`), expect: 'ping', trigger: waitAnd(p, LONG, 'ping\n') },
      });
      await expectIgnored(f, c, p.output, 'server');
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
