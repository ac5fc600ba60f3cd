/**
 * Interop rows for certificate compression (RFC 8879, issue #18 part 6), in the style of spec/interop-breadth.spec.ts:
 * our client against gnutls-serv --compress-cert ALG (the server compresses its Certificate, our client decompresses
 * it) and our server against gnutls-cli --compress-cert ALG (our server compresses, the client decompresses), for the
 * algorithms node:zlib gives us (zlib 1, brotli 2; Node 20 has no zstd). A cell: handshake, application data both
 * ways, zero violations, and a CompressedCertificate of that algorithm in the transcript (compression visibly used).
 *
 * Which algorithms GnuTLS has is a build option: each cell asks gnutls-cli first, and is skipped, naming why, when it
 * answers "Unknown compression method" (Debian's GnuTLS 3.7.9 here is built without zlib, brotli and zstd). OpenSSL
 * 3.0 has no RFC 8879 (3.2 added it) and Node's tls none: their columns are skipped with that reason.
 */
import { spawnSync } from 'node:child_process';
import { nodeProvider } from '../crypto';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { type ConversationScript, clientConversation, serverConversation } from '../testing/converse';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess, requireBinary } from '../testing/launch';
import { gnutlsClient, gnutlsServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { decodeHandshake } from '../wire/handshake';
import { CertificateCompressionAlgorithm as A } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { cells, expectClean, waitAnd } from './support/interop-cells';
import type { Conversation } from '../testing/converse';

const provider = nodeProvider();
const enc = new TextEncoder();

type Feature = 'zlib' | 'brotli' | 'zstd';
const FEATURES: readonly Feature[] = ['zlib', 'brotli', 'zstd'];
const CODE: Record<Feature, number> = { zlib: A.zlib, brotli: A.brotli, zstd: A.zstd };
const NO_ZSTD = 'Node 20 zlib has no zstd, so neither has our engine (wire/compress.ts)';

/**
 * What gnutls-cli says about each algorithm once it is connected (it checks --compress-cert only then): a child Node
 * process listens on loopback, runs gnutls-cli against itself per algorithm and prints its output, so that the cells
 * can be registered (synchronously) with what this machine's GnuTLS was built with.
 */
const PROBE = `
const net = require('node:net');
const { execFile } = require('node:child_process');
const s = net.createServer((c) => setTimeout(() => c.destroy(), 300));
s.listen(0, '127.0.0.1', async () => {
  const out = {};
  for (const a of JSON.parse(process.argv[1])) {
    out[a] = await new Promise((r) =>
      execFile('gnutls-cli', ['--compress-cert=' + a, '--port', String(s.address().port), '127.0.0.1'], { timeout: 4000 },
        (_e, so, se) => r(String(so) + String(se))));
  }
  console.log(JSON.stringify(out));
  s.close();
});`;

/** Why this machine's GnuTLS cannot compress with each algorithm (absent: it can). */
function gnutlsLacks(fs: readonly Feature[]): Partial<Record<Feature, string>> {
  const r = spawnSync(process.execPath, ['-e', PROBE, JSON.stringify(fs)], { encoding: 'utf8', timeout: 20_000 });
  const out: Partial<Record<Feature, string>> = {};
  let said: Record<string, string>;
  try {
    said = JSON.parse(r.stdout) as Record<string, string>;
  } catch {
    for (const f of fs) out[f] = `gnutls-cli could not be asked (${r.error?.message ?? r.stderr.slice(0, 200)})`;
    return out;
  }
  for (const f of fs)
    if (/Unknown compression method/i.test(said[f] ?? ''))
      out[f] = `this GnuTLS is built without ${f}: gnutls-cli --compress-cert=${f} says "Unknown compression method"`;
  return out;
}

function unsupported(): Partial<Record<Feature, string>> {
  return { ...gnutlsLacks(FEATURES.filter((f) => f !== 'zstd')), zstd: NO_ZSTD };
}
const GNUTLS = unsupported();

let files: PkiFiles;
const group = new PeerGroup();
beforeAll(async () => {
  requireBinary('gnutls-cli', 'gnutls-bin');
  requireBinary('gnutls-serv', 'gnutls-bin');
  files = await writePki(undefined, 'tlsprop-cc-');
});
afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

const priority = 'NORMAL:-VERS-ALL:+VERS-TLS1.3';

/** The transcript shows the server's Certificate compressed with `f`, and no uncompressed one. */
function expectCompressed(c: Conversation, f: Feature): void {
  const cc = c.transcript.messages.filter((m) => m.dir === 'S->C' && m.type === 'compressed_certificate');
  expect(cc.length).toBe(1);
  const b = decodeHandshake(cc[0]!.raw!).message.body;
  expect(b.type === 'compressed_certificate' && b.algorithm).toBe(CODE[f]);
  expect(c.transcript.messages.some((m) => m.dir === 'S->C' && m.type === 'certificate')).toBe(false);
}

describe('certificate compression: our client vs gnutls-serv --compress-cert', () => {
  cells(FEATURES, GNUTLS, async (f) => {
    const port = await freePort();
    const peer = await group.launch(gnutlsServer({ port, files, key: 'rsa', priority, extra: [`--compress-cert=${f}`] }));
    try {
      const cfg: ClientConfig = {
        provider,
        versions: [VERSION_CODE['1.3']],
        certificateCompression: [CODE[f]],
        trustAnchors: files.pki.anchors,
        serverName: 'localhost',
      };
      const script: ConversationScript = { first: { send: enc.encode('hello compressed\n'), expect: 'hello compressed' } };
      const c = await clientConversation(cfg, port, script);
      await expectClean(c, peer.output, { anchors: files.pki.anchors });
      expectCompressed(c, f);
    } finally {
      await peer.stop();
    }
  });
});

describe('certificate compression: our server vs gnutls-cli --compress-cert', () => {
  cells(FEATURES, GNUTLS, async (f) => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      peer = await group.launch(gnutlsClient({ port: listener.port, files, priority, extra: [`--compress-cert=${f}`] }));
      const p = peer;
      const cfg: ServerConfig = {
        provider,
        versions: [VERSION_CODE['1.3']],
        identity: files.pki.identity('server', 'rsa'),
        certificateCompression: [CODE[f]],
      };
      const c = await serverConversation(cfg, await listener.accept(), {
        first: { send: enc.encode('pong\n'), expect: 'ping', trigger: waitAnd(p, 'pong', 'ping\n') },
      });
      await expectClean(c, p.output, { anchors: files.pki.anchors });
      expectCompressed(c, f);
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

describe('certificate compression: the peers without RFC 8879', () => {
  it.skip('openssl s_server / s_client: unsupported (OpenSSL 3.0 has no certificate compression; OpenSSL 3.2 added it)', () =>
    undefined);
  it.skip("node tls server / client: unsupported (Node's tls exposes no certificate compression)", () => undefined);
});

describe('cleanup', () => {
  it('leaves no child process running', async () => {
    await group.stopAll();
    expect(group.running().map((p) => `${p.name} pid ${p.pid}`)).toEqual([]);
  });
});
