/**
 * Real TLS clients complete handshakes with application data against `tlsprop serve` (a process on 127.0.0.1):
 * OpenSSL s_client, gnutls-cli and Node's tls.connect, in TLS 1.2 and 1.3, without and with a client certificate,
 * and the write-up's reference suite TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 with mutual authentication. Each client
 * sends an HTTP/1.0 request and must print the answer; the server's JSON line for the connection must say what was
 * negotiated. The peers come from the OS (CI installs them); a missing one fails the test.
 */
import { type PkiFiles, writePki } from '../testing/pki';
import { gnutlsClient, gnutlsPriority, nodeTlsClient, opensslClient } from '../testing/peers';
import { launch, type PeerProcess } from '../testing/launch';
import { startServe, summariesOf, summaryAt } from '../spec/support/serve';
import type { TlsVersion } from '../wire/vocabulary';

const REQUEST = 'GET / HTTP/1.0\r\n\r\n';
const TIMEOUT = 30_000;

let files: PkiFiles;
const servers: PeerProcess[] = [];
beforeAll(async () => {
  files = await writePki();
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  files?.cleanup();
});

type Client = 'openssl' | 'gnutls' | 'node';
interface Case {
  version: TlsVersion;
  mutual: boolean;
  /** IANA name the server offers alone (default: everything it implements, a client's default choice). */
  suite?: string;
}

const OPENSSL_TLS12_DEFAULT = 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384';
const REFERENCE = 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384';

/** Serve processes by configuration, started on first use. */
const serving = new Map<string, Promise<{ proc: PeerProcess; port: number }>>();
function serverFor(c: Case): Promise<{ proc: PeerProcess; port: number }> {
  const key = `${c.version}/${c.mutual}/${c.suite ?? ''}`;
  let s = serving.get(key);
  if (!s) {
    const args = ['--version', c.version, '--cert', files.server.rsa.cert, '--key', files.server.rsa.key];
    if (c.mutual) args.push('--ca', files.ca, '--client-auth', 'require');
    if (c.suite) args.push('--suites', c.suite);
    s = startServe(args).then((r) => {
      servers.push(r.proc);
      return r;
    });
    serving.set(key, s);
  }
  return s;
}

/** Run one client against the server; the text it printed (or its failure) and whether the request was answered. */
async function talk(client: Client, port: number, c: Case): Promise<{ answered: boolean; detail: string }> {
  const identity = c.mutual ? files.client.rsa : undefined;
  if (client === 'node') {
    const r = await nodeTlsClient({
      port,
      files,
      version: c.version,
      cipher:
        c.version === '1.3'
          ? 'TLS_AES_128_GCM_SHA256'
          : c.suite === REFERENCE
            ? 'ECDHE-RSA-AES256-SHA384'
            : OPENSSL_TLS12_DEFAULT,
      group: 'X25519',
      ...(identity ? { identity } : {}),
      send: REQUEST,
      expect: 'tlsprop serve: TLS',
      timeoutMs: TIMEOUT,
    });
    return { answered: r.ok, detail: `${r.protocol ?? ''} ${r.cipher ?? ''} ${r.error ?? ''} ${r.received}` };
  }
  const spec =
    client === 'openssl'
      ? opensslClient({
          port,
          files,
          version: c.version,
          cipher:
            c.version === '1.3'
              ? 'TLS_AES_128_GCM_SHA256'
              : c.suite === REFERENCE
                ? 'ECDHE-RSA-AES256-SHA384'
                : OPENSSL_TLS12_DEFAULT,
          group: 'X25519:P-256',
          ...(identity ? { identity } : {}),
        })
      : gnutlsClient({
          port,
          files,
          ...(identity ? { identity } : {}),
          priority:
            c.suite === REFERENCE
              ? `${gnutlsPriority('1.2')}:-CIPHER-ALL:+AES-256-CBC:-MAC-ALL:+SHA384:-KX-ALL:+ECDHE-RSA`
              : gnutlsPriority(c.version),
        });
  // the request is written, and the input closed only once the answer is in: a TLS 1.2 server must not write after
  // the client's close_notify (RFC 5246 §7.2.1), which gnutls-cli sends as soon as its input ends
  const peer = await launch(spec);
  try {
    peer.write(REQUEST);
    const answered = await peer.waitForOutput('tlsprop serve: TLS', TIMEOUT);
    peer.endInput();
    // the server closes after its answer: the client exits on its own
    const exit = await peer.waitForExit(TIMEOUT);
    return {
      answered: answered && peer.output.includes('HTTP/1.0 200 OK') && exit !== undefined,
      detail: peer.output.slice(-1500),
    };
  } finally {
    await peer.stop();
  }
}

const CASES: Array<[string, Client, Case]> = [];
for (const client of ['openssl', 'gnutls', 'node'] as const)
  for (const version of ['1.2', '1.3'] as const)
    for (const mutual of [false, true])
      CASES.push([`${client} TLS ${version}${mutual ? ' with a client certificate' : ''}`, client, { version, mutual }]);
for (const client of ['openssl', 'gnutls', 'node'] as const)
  CASES.push([
    `${client} TLS 1.2 ${REFERENCE} mutual (the write-up's reference)`,
    client,
    { version: '1.2', mutual: true, suite: REFERENCE },
  ]);

describe('real clients against tlsprop serve', () => {
  it.each(CASES)('%s', async (_name, client, c) => {
    const { proc, port } = await serverFor(c);
    const before = summariesOf(proc).length;
    const r = await talk(client, port, c);
    expect({ answered: r.answered, detail: r.answered ? '' : r.detail }).toEqual({ answered: true, detail: '' });
    const line = await summaryAt(proc, before, TIMEOUT);
    expect(line).toMatchObject({ handshake: 'completed', version: c.version });
    // a client may send its chain with the root
    expect(c.mutual ? (line?.clientCertificates ?? 0) > 0 : line?.clientCertificates === 0).toBe(true);
    if (c.suite) expect(line?.suite).toBe(c.suite);
  });
});
