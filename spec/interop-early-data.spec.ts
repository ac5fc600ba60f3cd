/**
 * Interop matrix, TLS 1.3 0-RTT rows (issue #18; RFC 8446 §2.3, §4.2.10, §4.5): our client resumes a ticket of
 * `openssl s_server -early_data` and sends early data; `openssl s_client -sess_in FILE -early_data FILE` resumes a
 * ticket of our server (issued with max_early_data_size) and sends early data.
 *
 * A cell passes as those of spec/interop-breadth.spec.ts do: each connection completes its handshake and exchanges
 * application data both ways, the transcript (decrypted with our key log, CLIENT_EARLY_TRAFFIC_SECRET included) has
 * zero oracle violations; and the early data is visibly accepted: early_data in the server's EncryptedExtensions, the
 * 0-RTT record and EndOfEarlyData under the early keys, the data received on the other side, and the oracles' 0-RTT
 * rules pass with the first connection given (its NewSessionTicket carries max_early_data_size).
 *
 * GnuTLS 3.7: our client resumes a ticket of `gnutls-serv --earlydata --maxearlydata N` (echo mode) the same way; and
 * `gnutls-cli --resume --waitresumption --earlydata FILE` (one process, two connections) resumes a ticket of our
 * server and sends early data, which our server accepts or (`earlyData: 'reject'`) refuses. gnutls-cli offers
 * AES-256-GCM first while the ticket's suite is our server's AES-128-GCM, and its 0-RTT record may reach our server
 * after our flight went out: the transcript rebuilt from the wire reads it under the early key of the PSK's suite all
 * the same (capture/decrypt.ts; capture/early-order.test.ts puts the records in that order deliberately). A refused
 * 0-RTT record is skipped by our server (RFC 8446 §4.2.10) and read from the key log as early data (our server logs
 * CLIENT_EARLY_TRAFFIC_SECRET for the first offered PSK it took, accepted or not). Both gnutls-cli connections are also
 * captured with tcpdump: `check` over the pcap and our key log finds zero violations but gnutls-cli's own truncation
 * (it answers our close_notify with a FIN alone, RFC 8446 §6.1; known-deviations.ts GNUTLS_CLI_CLOSE), and tshark with
 * the same key log reads the 0-RTT data.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { SERVER_NAME } from '../engine/fixtures';
import { newClientSessionStore, ServerSessionCache } from '../engine/session';
import type { TlsClient } from '../engine/client';
import type { TlsServer } from '../engine/server';
import { checkTranscript } from '../oracles/evaluate';
import { type Conversation, clientConversation, serverConversation } from '../testing/converse';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess, requireBinary } from '../testing/launch';
import { gnutlsClient, gnutlsServer, opensslClient, opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { checkFiles } from '../cli/check';
import type { Verdict } from '../oracles/rule';
import { formatVerdicts } from '../fuzz/live';
import { GNUTLS_CLI_CLOSE } from './support/known-deviations';
import { expectClean, waitAnd } from './support/interop-cells';
import { ExtensionType } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';

const provider = nodeProvider();
const enc = new TextEncoder();
const EARLY_TEXT = 'early hello from the client';

let files: PkiFiles;
const group = new PeerGroup();

beforeAll(async () => {
  requireBinary('openssl', 'openssl');
  files = await writePki(undefined, 'tlsprop-early-');
});

afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

/** The second connection resumed with 0-RTT data that the server accepted, and the oracles' 0-RTT rules pass. */
async function expectEarlyAccepted(first: Conversation, second: Conversation): Promise<void> {
  const seq = second.transcript.messages.map((m) => `${m.dir} ${m.type}`);
  const ee = second.transcript.messages.find((m) => m.type === 'encrypted_extensions')?.decoded?.body;
  expect(ee?.type === 'encrypted_extensions' && ee.extensions.some((e) => e.type === ExtensionType.early_data)).toBe(true);
  const early = second.transcript.messages.filter((m) => m.dir === 'C->S' && m.epoch === 'early');
  expect(early.map((m) => m.type)).toEqual([...early.slice(0, -1).map(() => 'application_data'), 'end_of_early_data']);
  expect(new TextDecoder().decode(early[0]?.raw)).toContain(EARLY_TEXT);
  expect(seq.indexOf('C->S end_of_early_data')).toBeGreaterThan(seq.indexOf('S->C finished'));
  const { verdicts } = await checkTranscript(second.transcript, {
    trustAnchors: files.pki.anchors,
    judgeReactions: false,
    earlier: [first.transcript],
  });
  const status = (rule: string) => verdicts.filter((v) => v.rule === rule).map((v) => v.status);
  expect(verdicts.filter((v) => v.status === 'violation')).toEqual([]);
  expect(status('t13.order.eoed')).toEqual(['pass']);
  expect(status('t13.order.early-data-window')).toEqual(['pass']);
  expect(status('t13.neg.early-data')).toEqual(['pass']);
  expect(status('rec.t13.early-data-limit')).toEqual(['pass']);
}

/** Our TLS 1.3 client, keeping its tickets in `store` (the second connection resumes from it). */
const clientConfig = (store: ClientConfig['sessionStore']): ClientConfig => ({
  provider,
  serverName: SERVER_NAME,
  trustAnchors: files.pki.anchors,
  versions: [VERSION_CODE['1.3']],
  ...(store ? { sessionStore: store } : {}),
});

describe('0-RTT: our client vs openssl s_server -early_data', () => {
  it('resumes a ticket and sends early data, accepted (EndOfEarlyData), data both ways, zero violations', async () => {
    const port = await freePort();
    // plain mode (-quiet, no -rev): s_server prints what it reads, early data included, and sends its stdin lines
    const peer = await group.launch(
      opensslServer({ port, files, key: 'rsa', version: '1.3', echo: false, extra: ['-early_data'] }),
    );
    try {
      const store = newClientSessionStore();
      const cfg = clientConfig(store);
      const script = (n: number) => ({
        first: { send: enc.encode(`ping ${n}\n`), expect: `pong ${n}`, trigger: waitAnd(peer, `ping ${n}`, `pong ${n}\n`) },
      });
      const first = await clientConversation(cfg, port, script(1));
      await expectClean(first, peer.output, { anchors: files.pki.anchors });
      expect(store.tls13.some((t) => (t.maxEarlyDataSize ?? 0) > 0)).toBe(true);
      const second = await clientConversation({ ...cfg, earlyData: enc.encode(`${EARLY_TEXT}\n`) }, port, script(2));
      await expectClean(second, peer.output, { anchors: files.pki.anchors });
      const client = second.endpoint as TlsClient;
      expect(client.resumedSession).toBe(true);
      expect(client.earlyData).toEqual({ offered: true, sent: EARLY_TEXT.length + 1, accepted: true });
      expect(await peer.waitForOutput(EARLY_TEXT, 3000)).toBe(true);
      await expectEarlyAccepted(first, second);
    } finally {
      await peer.stop();
    }
  });
});

describe('0-RTT: our client vs gnutls-serv --earlydata', () => {
  it('resumes a ticket and sends early data, accepted (EndOfEarlyData), data both ways, zero violations', async () => {
    requireBinary('gnutls-serv', 'gnutls-bin');
    const port = await freePort();
    const peer = await group.launch(
      gnutlsServer({ port, files, key: 'rsa', version: '1.3', extra: ['--earlydata', '--maxearlydata=16384'] }),
    );
    try {
      const store = newClientSessionStore();
      const cfg = clientConfig(store);
      // gnutls-serv --echo sends back what it reads
      const first = await clientConversation(cfg, port, { first: { send: enc.encode('ping 1\n'), expect: 'ping 1' } });
      await expectClean(first, peer.output, { anchors: files.pki.anchors });
      expect(store.tls13.some((t) => (t.maxEarlyDataSize ?? 0) > 0)).toBe(true);
      const second = await clientConversation({ ...cfg, earlyData: enc.encode(`${EARLY_TEXT}\n`) }, port, {
        first: { send: enc.encode('ping 2\n'), expect: 'ping 2' },
      });
      await expectClean(second, peer.output, { anchors: files.pki.anchors });
      const client = second.endpoint as TlsClient;
      expect(client.resumedSession).toBe(true);
      expect(client.earlyData).toEqual({ offered: true, sent: EARLY_TEXT.length + 1, accepted: true });
      await expectEarlyAccepted(first, second);
    } finally {
      await peer.stop();
    }
  });
});

describe('0-RTT: our server vs openssl s_client -sess_in -early_data', () => {
  it('issues a ticket with max_early_data_size, accepts the early data, data both ways, zero violations', async () => {
    const cfg: ServerConfig = {
      provider,
      identity: files.pki.identity('server', 'rsa'),
      versions: [VERSION_CODE['1.3']],
      sessionCache: new ServerSessionCache(provider),
      maxEarlyDataSize: 16384,
    };
    const sess = join(files.dir, 'sess-early.pem');
    const earlyFile = join(files.dir, 'early.txt');
    writeFileSync(earlyFile, `${EARLY_TEXT}\n`);
    const conns: Conversation[] = [];
    for (const [n, extra] of [
      [1, ['-sess_out', sess]],
      [2, ['-sess_in', sess, '-early_data', earlyFile]],
    ] as const) {
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
            extra: [...extra],
          }),
        );
        const p = peer;
        const c = await serverConversation(cfg, await listener.accept(), {
          first: { send: enc.encode(`pong ${n}\n`), expect: `ping ${n}`, trigger: waitAnd(p, `pong ${n}`, `ping ${n}\n`) },
        });
        // s_client writes -sess_out when it gets the session; it exits once we closed
        await p.waitForExit(3000);
        await expectClean(c, p.output, { anchors: files.pki.anchors });
        conns.push(c);
      } finally {
        await peer?.stop();
        await listener.close();
      }
    }
    const [first, second] = conns as [Conversation, Conversation];
    const server = second.endpoint as TlsServer;
    expect(server.resumedSession).toBe(true);
    expect(server.earlyData).toEqual({ offered: true, accepted: true, received: EARLY_TEXT.length + 1 });
    expect(second.receivedText.startsWith(`${EARLY_TEXT}\n`)).toBe(true);
    await expectEarlyAccepted(first, second);
  });
});

/** tcpdump on lo for one port (tests run it as root or with CAP_NET_RAW, as spec/interop.spec.ts does). */
async function startCapture(port: number, pcap: string): Promise<PeerProcess> {
  const dump = await group.launch({
    name: 'tcpdump',
    command: 'tcpdump',
    package: 'tcpdump',
    args: ['-i', 'lo', '-n', '-s', '0', '-U', '--immediate-mode', '-w', pcap, `tcp port ${port}`],
  });
  if (!(await dump.waitForOutput('listening on', 5000)))
    throw new Error(`tcpdump did not start (it needs root or CAP_NET_RAW): ${dump.output}`);
  return dump;
}

/**
 * The capture of both connections with our key log: `tlsprop check` finds zero violations in either but gnutls-cli's
 * listed truncation (GNUTLS_CLI_CLOSE, in its own messages only), and tshark, given the same key log, reads the 0-RTT
 * data too.
 */
async function expectCaptureClean(pcap: string, keylog: readonly string[]): Promise<void> {
  const keylogFile = `${pcap}.keylog`;
  writeFileSync(keylogFile, `${keylog.join('\n')}\n`);
  const violations: Verdict[] = [];
  let connections = 0;
  await checkFiles([pcap], { keylog: readFileSync(keylogFile, 'utf8'), trustAnchors: files.pki.anchors }, (_c, verdicts, t) => {
    connections++;
    for (const v of verdicts.filter((x) => x.status === 'violation')) {
      const byClient = v.message !== undefined && t.messages[v.message]?.dir === 'C->S';
      if (!(byClient && GNUTLS_CLI_CLOSE.some((d) => d.rule === v.rule))) violations.push(v);
    }
  });
  expect(connections).toBe(2);
  expect(formatVerdicts(violations)).toBe('');
  const follow = execFileSync('tshark', ['-r', pcap, '-o', `tls.keylog_file:${keylogFile}`, '-q', '-z', 'follow,tls,ascii,1'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  expect(follow).toContain(EARLY_TEXT);
}

describe('0-RTT: our server vs gnutls-cli --resume --waitresumption --earlydata', () => {
  for (const mode of ['accept', 'reject'] as const) {
    it(`issues a ticket with max_early_data_size, ${mode}s the early data, data both ways, zero violations`, async () => {
      for (const [bin, pkg] of [
        ['gnutls-cli', 'gnutls-bin'],
        ['tcpdump', 'tcpdump'],
        ['tshark', 'tshark'],
      ] as const)
        requireBinary(bin, pkg);
      const cfg: ServerConfig = {
        provider,
        identity: files.pki.identity('server', 'rsa'),
        versions: [VERSION_CODE['1.3']],
        sessionCache: new ServerSessionCache(provider),
        maxEarlyDataSize: 16384,
        earlyData: mode,
      };
      const earlyFile = join(files.dir, `early-gnutls-${mode}.txt`);
      writeFileSync(earlyFile, `${EARLY_TEXT}\n`);
      const listener = await LoopbackListener.open();
      const pcap = join(files.dir, `gnutls-early-${mode}.pcap`);
      const dump = await startCapture(listener.port, pcap);
      let peer: PeerProcess | undefined;
      try {
        // one process: a full handshake (it waits for our ticket), then a resumption that sends the file as 0-RTT data
        peer = await group.launch(
          gnutlsClient({
            port: listener.port,
            files,
            version: '1.3',
            extra: ['--resume', '--waitresumption', `--earlydata=${earlyFile}`],
          }),
        );
        const p = peer;
        // gnutls-cli reads no stdin on the first connection: our line goes out, nothing is awaited back
        const first = await serverConversation(cfg, await listener.accept(), {
          first: { send: enc.encode('hello 1\n'), expect: '' },
        });
        await expectClean(first, p.output, { anchors: files.pki.anchors });
        const second = await serverConversation(cfg, await listener.accept(), {
          first: { send: enc.encode('pong 2\n'), expect: 'ping 2', trigger: waitAnd(p, 'pong 2', 'ping 2\n') },
        });
        await expectClean(second, p.output, { anchors: files.pki.anchors });
        const server = second.endpoint as TlsServer;
        expect(server.resumedSession).toBe(true);
        const early = second.transcript.messages.filter((m) => m.dir === 'C->S' && m.epoch === 'early');
        // the 0-RTT record is read (key log) whichever way our server decided, and it is gnutls-cli's file
        expect(new TextDecoder().decode(early[0]?.raw)).toBe(`${EARLY_TEXT}\n`);
        if (mode === 'accept') {
          expect(server.earlyData).toEqual({ offered: true, accepted: true, received: EARLY_TEXT.length + 1 });
          expect(second.receivedText.startsWith(`${EARLY_TEXT}\n`)).toBe(true);
          await expectEarlyAccepted(first, second);
        } else {
          expect(server.earlyData).toEqual({ offered: true, accepted: false, received: 0 });
          expect(second.receivedText).not.toContain(EARLY_TEXT);
          expect(early.map((m) => m.type)).toEqual(['application_data']);
          const ee = second.transcript.messages.find((m) => m.type === 'encrypted_extensions')?.decoded?.body;
          expect(ee?.type === 'encrypted_extensions' && ee.extensions.some((e) => e.type === ExtensionType.early_data)).toBe(
            false,
          );
        }
        // the capture holds both connections to their end: gnutls-cli exits once we closed
        await p.waitForExit(3000);
        await new Promise((r) => setTimeout(r, 300));
        await dump.stop(3000, 'SIGINT');
        await expectCaptureClean(pcap, [...first.keylog, ...second.keylog]);
      } finally {
        await dump.stop(3000, 'SIGINT');
        await peer?.stop();
        await listener.close();
      }
    });
  }
});
