/**
 * Interop matrix: our client and our server against real peers on
 * 127.0.0.1 (OpenSSL 3.0 s_server/s_client, Node tls in process, GnuTLS,
 * Botan). Every row completes a handshake, exchanges application data, and
 * its transcript (decrypted with the key log our side wrote) passes every
 * rule with the trust anchor: zero violations. One OpenSSL session is also
 * captured with tcpdump and decrypted by tshark and by `check`.
 *
 * Rows: the full product (testing/matrix fullMatrix, 104 rows) for OpenSSL in
 * both roles; the same full product for Node in both roles (the covering
 * subset, coveringMatrix: 40 rows, every suite and auth mode and each key
 * exchange meeting every group, with TLSPROP_INTEROP_FULL=0); GnuTLS
 * (gnutls-serv, gnutls-cli): the covering subset, both auth modes; Botan
 * (tls_server, tls_client): the covering subset, where the TLS 1.3 and the
 * mutual rows are skipped tests naming why (testing/matrix UNSUPPORTED_ROWS:
 * Botan 2 has no TLS 1.3, its tls_server trusts no CA for client
 * certificates, its tls_client cannot send one).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFiles } from '../cli/check';
import { nodeProvider } from '../crypto';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { SERVER_NAME } from '../engine/fixtures';
import type { Verdict } from '../oracles/rule';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess, requireBinary, runToExit } from '../testing/launch';
import { describeEnd, formatVerdicts, handshakeFlow, type LiveRun, runOurClient, runOurServer, violationsOf } from '../fuzz/live';
import { type Column, coveringMatrix, fullMatrix, MATRIX_SUITES, type Row, unsupportedRow } from '../testing/matrix';
import { ENGINE_SOCKET_RUN, GNUTLS_CLI, GNUTLS_SERV, type PeerDeviation } from './support/known-deviations';
import {
  botanClient,
  botanServer,
  gnutlsClient,
  gnutlsServer,
  nodeTlsClient,
  nodeTlsServer,
  OPENSSL_CIPHER,
  OPENSSL_GROUP,
  opensslClient,
  opensslServer,
  writeBotanPolicy,
} from '../testing/peers';
import { type KeyKind, type PkiFiles, writePki } from '../testing/pki';
import { GROUP_CODE, suiteName } from '../fuzz/names';

const provider = nodeProvider();
const enc = new TextEncoder();
const FULL = fullMatrix(suiteName);
const COVER = coveringMatrix(suiteName);
/** Node runs the full product in both roles by default; TLSPROP_INTEROP_FULL=0 cuts it to the covering subset. */
const NODE_ROWS = process.env['TLSPROP_INTEROP_FULL'] === '0' ? COVER : FULL;

let files: PkiFiles;
const group = new PeerGroup();

beforeAll(async () => {
  for (const [bin, pkg] of [
    ['openssl', 'openssl'],
    ['gnutls-serv', 'gnutls-bin'],
    ['gnutls-cli', 'gnutls-bin'],
    ['botan', 'botan'],
    ['tcpdump', 'tcpdump'],
    ['tshark', 'tshark'],
  ] as const)
    requireBinary(bin, pkg);
  files = await writePki();
});

afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

/**
 * Groups the client lists, the row's first. In TLS 1.2 supported_groups also
 * names the curves of acceptable ECDSA certificates (RFC 8422 §5.1), and
 * OpenSSL checks the client certificate's curve against it too: the ECDSA
 * rows add P-256 (server key) and, when mutual, P-384 (client key).
 */
function groupsOf(row: Row): string[] {
  const gs = [row.group as string];
  if (row.version === '1.2' && row.kex === 'ECDHE_ECDSA') {
    gs.push('secp256r1');
    if (row.mutual) gs.push('secp384r1');
  }
  return [...new Set(gs)];
}

function clientConfig(row: Row, mutual = row.mutual): ClientConfig {
  const c: ClientConfig = {
    provider,
    versions: [row.version === '1.2' ? 0x0303 : 0x0304],
    cipherSuites: [row.code],
    groups: groupsOf(row).map((g) => GROUP_CODE[g]!),
    keyShareGroups: [GROUP_CODE[row.group]!],
    serverName: SERVER_NAME,
    trustAnchors: files.pki.anchors,
  };
  if (mutual) c.identity = files.pki.identity('client', row.key);
  return c;
}

/** Our server: any matrix suite (the peer picks by what it offers), only the row's group. */
function serverConfig(row: Row): ServerConfig {
  return {
    provider,
    identity: files.pki.identity('server', row.key),
    clientAuth: row.mutual ? 'require' : 'none',
    trustAnchors: files.pki.anchors,
    cipherSuites: [...MATRIX_SUITES],
    groups: [GROUP_CODE[row.group]!],
  };
}

/** Connected with the row's parameters, application data as expected, zero violations. */
async function expectClean(
  live: LiveRun,
  row: Row | undefined,
  peerOutput = '',
  excused: readonly PeerDeviation[] = [],
): Promise<void> {
  const where = `${describeEnd(live.run.end)}\nflow: ${handshakeFlow(live.transcript).join(', ')}\npeer: ${peerOutput.slice(-1500)}`;
  if (live.run.end.outcome.kind !== 'connected') throw new Error(`handshake did not complete: ${where}`);
  const s = live.run.end.outcome.session;
  if (row) {
    expect({ version: s.version, suite: suiteName(s.cipherSuite) }).toEqual({
      version: row.version === '1.2' ? 0x0303 : 0x0304,
      suite: row.suite,
    });
    if (row.kex !== 'RSA') expect(s.group).toBe(GROUP_CODE[row.group]);
    const clientCertSent = live.transcript.messages.some((m) => m.dir === 'C->S' && m.type === 'certificate_verify');
    expect(clientCertSent).toBe(row.mutual);
  }
  const { violations: all } = await violationsOf(live.transcript, files.pki.anchors);
  // a real peer's own deviations from the RFC text (spec/support/known-deviations.ts), each with its reason
  const violations = all.filter((v) => !excused.some((x) => x.rule === v.rule));
  if (violations.length) throw new Error(`violations:\n${formatVerdicts(violations)}\n${where}`);
  // Everything was readable with our key log, Finished of both sides included.
  expect(live.transcript.gaps).toEqual([]);
  const finished = live.transcript.messages.filter((m) => m.type === 'finished');
  expect(finished.map((m) => m.dir).sort()).toEqual(['C->S', 'S->C']);
}

// ---------------------------------------------------------------------------

describe('our client vs openssl s_server (full matrix)', () => {
  const servers = new Map<string, number>();
  async function portFor(key: KeyKind, mutual: boolean): Promise<number> {
    const id = `${key}/${mutual}`;
    const known = servers.get(id);
    if (known) return known;
    const port = await freePort();
    await group.launch(opensslServer({ port, files, key, clientAuth: mutual }));
    servers.set(id, port);
    return port;
  }
  it.each(FULL.map((r) => [r.name, r] as const))('%s', async (_n, row) => {
    const port = await portFor(row.key, row.mutual);
    const live = await runOurClient(clientConfig(row), port, { appData: enc.encode('hello interop\n') });
    await expectClean(live, row);
    expect(live.receivedText).toBe('poretni olleh\n');
  });
});

describe('our server vs openssl s_client (full matrix)', () => {
  it.each(FULL.map((r) => [r.name, r] as const))('%s', async (_n, row) => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      const cipher = row.version === '1.2' ? OPENSSL_CIPHER[row.suite]! : row.suite;
      peer = await group.launch(
        opensslClient({
          port: listener.port,
          files,
          version: row.version,
          cipher,
          group: groupsOf(row)
            .map((g) => OPENSSL_GROUP[g]!)
            .join(':'),
          ...(row.mutual ? { identity: files.client[row.key] } : {}),
        }),
      );
      const socket = await listener.accept();
      const serving = runOurServer(serverConfig(row), socket, { appData: enc.encode('pong\n') });
      // s_client sends its stdin once it has printed our data: the handshake is surely over then.
      if (await peer.waitForOutput('pong', 8000)) peer.write('ping\n');
      const live = await serving;
      await expectClean(live, row, peer.output);
      expect(live.receivedText).toBe('ping\n');
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

describe(`our client vs Node tls.createServer (${NODE_ROWS === FULL ? 'full matrix' : 'covering subset'})`, () => {
  const servers = new Map<string, Awaited<ReturnType<typeof nodeTlsServer>>>();
  afterAll(async () => {
    for (const s of servers.values()) await s.close();
  });
  it.each(NODE_ROWS.map((r) => [r.name, r] as const))('%s', async (_n, row) => {
    // Node picks the group by its own preference: one server per preferred group.
    const id = `${row.key}/${row.mutual}/${row.group}`;
    let server = servers.get(id);
    if (!server) {
      server = await nodeTlsServer({ files, key: row.key, clientAuth: row.mutual, preferredGroup: row.group });
      servers.set(id, server);
    }
    const live = await runOurClient(clientConfig(row), server.port, { appData: enc.encode('hello node\n') });
    await expectClean(live, row, server.errors.join('\n'));
    expect(live.receivedText).toBe('hello node\n');
  });
});

describe(`our server vs Node tls.connect (${NODE_ROWS === FULL ? 'full matrix' : 'covering subset'})`, () => {
  it.each(NODE_ROWS.map((r) => [r.name, r] as const))('%s', async (_n, row) => {
    const listener = await LoopbackListener.open();
    try {
      const cipher = row.version === '1.2' ? OPENSSL_CIPHER[row.suite]! : row.suite;
      const peer = nodeTlsClient({
        port: listener.port,
        files,
        version: row.version,
        cipher,
        group: groupsOf(row)
          .map((g) => OPENSSL_GROUP[g]!)
          .join(':'),
        ...(row.mutual ? { identity: files.client[row.key] } : {}),
        send: 'ping\n',
        expect: 'pong',
      });
      const socket = await listener.accept();
      const live = await runOurServer(serverConfig(row), socket, { appData: enc.encode('pong\n') });
      const node = await peer;
      await expectClean(live, row, JSON.stringify(node));
      expect(node).toMatchObject({ ok: true, cipher: row.suite });
      expect(live.receivedText).toBe('ping\n');
    } finally {
      await listener.close();
    }
  });
});

// ---------------------------------------------------------------------------

/** GnuTLS: the covering subset, both auth modes (one-way: gnutls-serv sends no CertificateRequest, gnutls-cli no certificate). */
const GNUTLS_ROWS = COVER;

describe('GnuTLS (covering subset)', () => {
  it.each(GNUTLS_ROWS.map((r) => [r.name, r] as const))('our client vs gnutls-serv: %s', async (_n, row) => {
    const port = await freePort();
    const serv = await group.launch(
      gnutlsServer({
        port,
        files,
        key: row.key,
        version: row.version,
        clientAuth: row.mutual,
        ...(row.mutual ? {} : { extra: ['--disable-client-cert'] }),
      }),
    );
    try {
      const live = await runOurClient(clientConfig(row), port, { appData: enc.encode('hello gnutls\n') });
      await expectClean(live, row, serv.output, GNUTLS_SERV);
      expect(live.receivedText).toBe('hello gnutls\n');
      // One-way means no CertificateRequest at all (not an empty client Certificate).
      expect(live.transcript.messages.some((m) => m.type === 'certificate_request')).toBe(row.mutual);
    } finally {
      await serv.stop();
    }
  });

  it.each(GNUTLS_ROWS.map((r) => [r.name, r] as const))('our server vs gnutls-cli: %s', async (_n, row) => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      peer = await group.launch(
        gnutlsClient({
          port: listener.port,
          files,
          version: row.version,
          groups: groupsOf(row),
          ...(row.mutual ? { identity: files.client[row.key] } : {}),
        }),
      );
      const socket = await listener.accept();
      // gnutls-cli offers its own suites: our server is restricted to the row's.
      const cfg: ServerConfig = { ...serverConfig(row), cipherSuites: [row.code] };
      const serving = runOurServer(cfg, socket, { appData: enc.encode('pong\n') });
      if (await peer.waitForOutput('pong', 8000)) peer.write('ping\n');
      const live = await serving;
      await expectClean(live, row, peer.output, GNUTLS_CLI);
      expect(live.receivedText).toBe('ping\n');
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

/**
 * Register one test per row of a column: rows the peer cannot run (testing/matrix
 * UNSUPPORTED_ROWS) become skipped tests naming the reason.
 */
function columnRows(column: Column, rows: readonly Row[], run: (row: Row) => Promise<void>): void {
  const runnable: Array<readonly [string, Row]> = [];
  for (const row of rows) {
    const why = unsupportedRow(column, row);
    if (why === undefined) runnable.push([row.name, row]);
    else it.skip(`${row.name}: unsupported (${why})`, () => undefined);
  }
  if (runnable.length) it.each(runnable)('%s', (_n, row) => run(row));
}

describe('our client vs botan tls_server (covering subset)', () => {
  const servers = new Map<string, { port: number; peer: PeerProcess }>();
  columnRows('botan tls_server', COVER, async (row) => {
    // Botan picks the group by its policy's order: one server per (key, preferred group).
    const id = `${row.key}/${row.group}`;
    let s = servers.get(id);
    if (!s) {
      const port = await freePort();
      const peer = await group.launch(botanServer({ port, files, key: row.key, policy: writeBotanPolicy(files.dir, row.group) }));
      s = { port, peer };
      servers.set(id, s);
    }
    const live = await runOurClient(clientConfig(row), s.port, { appData: enc.encode('hello botan\n') });
    await expectClean(live, row, s.peer.output);
    expect(live.receivedText).toContain('hello botan');
  });
});

describe('our server vs botan tls_client (covering subset)', () => {
  columnRows('botan tls_client', COVER, async (row) => {
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      peer = await group.launch(botanClient({ port: listener.port, files, policy: writeBotanPolicy(files.dir, row.group) }));
      const socket = await listener.accept();
      // Botan offers every suite of its policy: our server is restricted to the row's suite and group.
      const cfg: ServerConfig = { ...serverConfig(row), cipherSuites: [row.code] };
      // Botan's stdout is block-buffered on a pipe, so its line cannot wait for ours: it reads stdin once connected.
      peer.write('ping\n');
      const live = await runOurServer(cfg, socket, { appData: enc.encode('pong\n') });
      await expectClean(live, row, peer.output);
      expect(live.receivedText).toBe('ping\n');
      // Our line reached Botan (printed once it exits on end of input).
      peer.endInput();
      await peer.waitForExit(3000);
      expect(peer.output).toContain('pong');
      // Botan's CLI goes on whatever the verdict: the status line shows it accepted our chain.
      expect(peer.output).toContain('Certificate validation status: Verified');
    } finally {
      await peer?.stop();
      await listener.close();
    }
  });
});

// ---------------------------------------------------------------------------

describe('capture of a session with our key log', () => {
  it('tcpdump on lo; tshark decrypts both Finished; check on pcap + key log: zero violations', async () => {
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'rsa', clientAuth: true }));
    const pcap = join(files.dir, 'interop.pcap');
    const keylogFile = join(files.dir, 'interop.keylog');
    const dump = await group.launch({
      name: 'tcpdump',
      command: 'tcpdump',
      package: 'tcpdump',
      args: ['-i', 'lo', '-n', '-s', '0', '-U', '--immediate-mode', '-w', pcap, `tcp port ${port}`],
    });
    try {
      if (!(await dump.waitForOutput('listening on', 5000)))
        throw new Error(`tcpdump did not start (it needs root or CAP_NET_RAW): ${dump.output}`);
      const row = FULL.find((r) => r.suite === 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384' && r.mutual && r.group === 'x25519')!;
      const row13 = FULL.find((r) => r.version === '1.3' && r.key === 'rsa' && r.mutual && r.group === 'secp256r1')!;
      const lines: string[] = [];
      for (const r of [row, row13]) {
        const live = await runOurClient(clientConfig(r), port, { appData: enc.encode('captured\n') });
        await expectClean(live, r);
        lines.push(...live.keylog);
      }
      writeFileSync(keylogFile, `${lines.join('\n')}\n`);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await dump.stop(3000, 'SIGINT');
      await server.stop();
    }
    const tshark = await runToExit(
      {
        name: 'tshark',
        command: 'tshark',
        package: 'tshark',
        args: [
          '-n',
          '-r',
          pcap,
          '-o',
          `tls.keylog_file:${keylogFile}`,
          '-Y',
          'tls.handshake.type == 20',
          '-T',
          'fields',
          '-e',
          'tcp.stream',
          '-e',
          'ip.src',
          '-e',
          'tcp.srcport',
        ],
      },
      30_000,
    );
    expect(tshark.exit.code).toBe(0);
    const finished = tshark.output.split('\n').filter((l) => /^\d+\t/.test(l));
    // Two connections, a Finished each way in each.
    expect(finished).toHaveLength(4);
    const seen: Array<{ source: string; violations: number; inconclusive: number }> = [];
    const violations: Verdict[] = [];
    await checkFiles([pcap], { keylog: readFileSync(keylogFile, 'utf8'), trustAnchors: files.pki.anchors }, (c, verdicts) => {
      violations.push(...verdicts.filter((v) => v.status === 'violation'));
      seen.push({
        source: c.source ?? '?',
        violations: verdicts.filter((v) => v.status === 'violation').length,
        inconclusive: verdicts.filter((v) => v.status === 'inconclusive').length,
      });
    });
    expect(seen).toHaveLength(2);
    // our client's socket run ends without close_notify: the capture shows that truncation (known-deviations.ts)
    expect(formatVerdicts(violations.filter((v) => !ENGINE_SOCKET_RUN.some((x) => x.rule === v.rule)))).toBe('');
  });
});

describe('cleanup', () => {
  it('leaves no child process running', async () => {
    await group.stopAll();
    expect(group.running().map((p) => `${p.name} pid ${p.pid}`)).toEqual([]);
  });
});
