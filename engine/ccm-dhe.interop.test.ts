/**
 * AES-CCM and DHE_RSA-CBC suites against OpenSSL 3.0, both ways: `openssl s_client` against `tlsprop serve` (a
 * process) and our client against `openssl s_server`, each restricted to one suite, with application data. The peers
 * come from the OS (CI installs them); a missing one fails the test.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import { launch, type PeerProcess, freePort } from '../testing/launch';
import { runOurClient } from '../fuzz/live';
import { type KeyKind, type PkiFiles, writePki } from '../testing/pki';
import { opensslClient, opensslServer } from '../testing/peers';
import { pemBlocks } from '../pki/pem';
import { startServe, summariesOf, summaryAt } from '../spec/support/serve';
import { cipherSuiteNames, codeOf } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';

const TIMEOUT = 30_000;
const p = nodeProvider();

/** IANA name, OpenSSL name, server key. */
const CASES: Array<[string, string, KeyKind]> = [
  ['TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_SHA256', 'rsa'],
  ['TLS_AES_128_CCM_8_SHA256', 'TLS_AES_128_CCM_8_SHA256', 'rsa'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CCM', 'ECDHE-ECDSA-AES128-CCM', 'ecdsa'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8', 'ECDHE-ECDSA-AES256-CCM8', 'ecdsa'],
  ['TLS_RSA_WITH_AES_128_CCM_8', 'AES128-CCM8', 'rsa'],
  ['TLS_RSA_WITH_AES_256_CCM', 'AES256-CCM', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_128_CCM', 'DHE-RSA-AES128-CCM', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_256_CCM_8', 'DHE-RSA-AES256-CCM8', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 'DHE-RSA-AES128-SHA', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_256_CBC_SHA', 'DHE-RSA-AES256-SHA', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 'DHE-RSA-AES128-SHA256', 'rsa'],
  ['TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', 'DHE-RSA-AES256-SHA256', 'rsa'],
];
const tls13 = (name: string) => !name.includes('_WITH_');

let files: PkiFiles;
let dhparam: string;
const peers: PeerProcess[] = [];
beforeAll(async () => {
  files = await writePki();
  // OpenSSL 3.0's s_server picks its DHE group itself (no RFC 7919 negotiation in TLS 1.2); the engine runs DHE with
  // the RFC 7919 groups only, so the server is given ffdhe2048
  dhparam = join(files.dir, 'ffdhe2048.pem');
  writeFileSync(dhparam, execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048']));
});
afterAll(async () => {
  for (const x of peers) await x.stop();
  files?.cleanup();
});

/** One `tlsprop serve` per server key, every suite of the engine offered: the client's one suite is the one chosen. */
const serving = new Map<KeyKind, Promise<{ proc: PeerProcess; port: number }>>();
function serverFor(key: KeyKind) {
  let s = serving.get(key);
  if (!s) {
    s = startServe(['--cert', files.server[key].cert, '--key', files.server[key].key]).then((r) => {
      peers.push(r.proc);
      return r;
    });
    serving.set(key, s);
  }
  return s;
}

describe('openssl s_client against tlsprop serve', () => {
  it.each(CASES)('%s', async (iana, openssl, key) => {
    const { proc, port } = await serverFor(key);
    const before = summariesOf(proc).length;
    const client = await launch(
      opensslClient({
        port,
        files,
        version: tls13(iana) ? '1.3' : '1.2',
        cipher: openssl,
        group: 'X25519:P-256:ffdhe2048',
      }),
    );
    peers.push(client);
    client.write('GET / HTTP/1.0\r\n\r\n');
    const answered = await client.waitForOutput(`tlsprop serve: TLS ${tls13(iana) ? '1.3' : '1.2'} ${iana}`, TIMEOUT);
    await client.waitForExit(TIMEOUT);
    expect({ answered, output: answered ? '' : client.output.slice(-1500) }).toEqual({ answered: true, output: '' });
    expect(await summaryAt(proc, before, TIMEOUT)).toMatchObject({ handshake: 'completed', suite: iana });
  });
});

describe('our client against openssl s_server', () => {
  it.each(CASES)('%s', async (iana, openssl, key) => {
    const port = await freePort();
    const server = await launch(
      opensslServer({
        port,
        files,
        key,
        version: tls13(iana) ? '1.3' : '1.2',
        ...(tls13(iana) ? { ciphersuites: openssl } : { cipher: openssl }),
        ...(iana.includes('_DHE_') ? { extra: ['-dhparam', dhparam] } : {}),
      }),
    );
    peers.push(server);
    try {
      const code = codeOf(cipherSuiteNames, iana)!;
      const anchors = pemBlocks(readFileSync(files.ca, 'utf8'), 'CERTIFICATE');
      const r = await runOurClient(
        {
          provider: p,
          versions: [tls13(iana) ? VERSION_CODE['1.3'] : VERSION_CODE['1.2']],
          cipherSuites: [code],
          serverName: 'localhost',
          trustAnchors: anchors,
        },
        port,
        { appData: new TextEncoder().encode('ping\n'), readTimeoutMs: TIMEOUT },
      );
      const o = r.run.end.outcome;
      expect(o.kind === 'connected' || o.kind === 'closed' ? o.session?.cipherSuite : o).toBe(code);
      expect(r.receivedText).toBe('gnip\n'); // s_server -rev answers the line reversed
    } finally {
      await server.stop();
    }
  });
});
