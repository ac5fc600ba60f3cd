/**
 * Interop matrix, feature rows: TLS 1.2 DHE_RSA (RFC 7919 ffdhe2048 and
 * ffdhe3072), TLS 1.3 HelloRetryRequest (the server rejects the client's key
 * share; with a cookie where the server side can send one), TLS 1.3 PSK
 * resumption (psk_dhe_ke, psk_ke), TLS 1.2 session-ID and RFC 5077 ticket
 * resumption, and TLS 1.3 KeyUpdate, each in both roles against OpenSSL
 * (s_server / s_client), Node's tls and GnuTLS (gnutls-serv / gnutls-cli).
 *
 * A cell passes when every connection of it (two for resumption) completes
 * the handshake, exchanges application data both ways (again under the new
 * keys after a KeyUpdate), shows the feature (an HRR, a resumed session, the
 * DHE group, both KeyUpdates) and its transcript, decrypted with our key
 * log, has zero oracle violations. Cells a peer cannot run are listed in
 * UNSUPPORTED with the reason and show up as skipped tests naming it.
 */
import { execFileSync } from 'node:child_process';
import { constants as cryptoConstants } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { SERVER_NAME } from '../engine/fixtures';
import { newClientSessionStore, ServerSessionCache } from '../engine/session';
import { CipherSuite12, CipherSuiteDhe12 } from '../engine/suites';
import type { SessionInfo } from '../engine/types';
import { type Conversation, type ConversationScript, clientConversation, serverConversation } from '../testing/converse';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess, requireBinary } from '../testing/launch';
import { describeEnd, formatVerdicts, handshakeFlow, violationsOf } from '../fuzz/live';
import { type Column, FEATURES, type Feature, UNSUPPORTED } from '../testing/matrix';
import { gnutlsClient, gnutlsServer, nodeAnsweringClient, nodeTlsServer, opensslClient, opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { GNUTLS_CLI, GNUTLS_SERV, type PeerDeviation } from './support/known-deviations';
import { ExtensionType, NamedGroup } from '../wire/registry';

const provider = nodeProvider();
const enc = new TextEncoder();

let files: PkiFiles;
const group = new PeerGroup();
const dhparam: Record<'ffdhe2048' | 'ffdhe3072', string> = { ffdhe2048: '', ffdhe3072: '' };

beforeAll(async () => {
  for (const [bin, pkg] of [
    ['openssl', 'openssl'],
    ['gnutls-serv', 'gnutls-bin'],
    ['gnutls-cli', 'gnutls-bin'],
  ] as const)
    requireBinary(bin, pkg);
  files = await writePki();
  // RFC 7919 groups as DH parameters: OpenSSL 3.0 does not negotiate FFDHE groups in TLS 1.2 and would pick its own primes.
  for (const g of ['ffdhe2048', 'ffdhe3072'] as const) {
    dhparam[g] = join(files.dir, `${g}.pem`);
    writeFileSync(dhparam[g], execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', `group:${g}`]));
  }
});

afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

// ------------------------------------------------------------------ judging

/** A known deviation of a peer (a rule its own messages break), excused in the cells where it shows, with the reason. */

/**
 * gnutls-cli 3.7 offering only DHE_RSA suites still sends ec_point_formats (RFC 8422 §4: "The client MUST NOT include
 * these extensions in the ClientHello message if it does not propose any ECC cipher suites"). The oracle could not
 * tell before the registry knew the DHE_RSA CCM suites it also offers (an unknown suite might have been an ECC one).
 */
const GNUTLS_CLI_DHE: readonly PeerDeviation[] = [
  { rule: 'ext.ecc.no-ecc-ext-without-ecc', reason: 'gnutls-cli 3.7 sends ec_point_formats with DHE-only suites' },
];

/** The conversation ran to its end, the transcript is fully readable and has zero violations; returns the session. */
async function expectClean(c: Conversation, peerOutput: string, excused: readonly PeerDeviation[] = []): Promise<SessionInfo> {
  const where = () =>
    `${describeEnd(c.run.end)}\nflow: ${handshakeFlow(c.transcript).join(', ')}\nreceived: ${JSON.stringify(c.receivedText.slice(-200))}\npeer: ${peerOutput.slice(-1500)}`;
  if (c.failedStep !== '') throw new Error(`${c.failedStep} not reached: ${where()}`);
  const o = c.endpoint.outcome;
  const session = o.kind === 'connected' || o.kind === 'closed' ? o.session : undefined;
  if (!session) throw new Error(`no session: ${where()}`);
  const { violations: all } = await violationsOf(c.transcript, files.pki.anchors);
  const violations = all.filter((v) => !excused.some((x) => x.rule === v.rule));
  if (violations.length) throw new Error(`violations:\n${formatVerdicts(violations)}\n${where()}`);
  expect(c.transcript.gaps).toEqual([]);
  expect(
    c.transcript.messages
      .filter((m) => m.type === 'finished')
      .map((m) => m.dir)
      .sort(),
  ).toEqual(['C->S', 'S->C']);
  return session;
}

const count = (c: Conversation, dir: string, type: string) =>
  c.transcript.messages.filter((m) => m.dir === dir && m.type === type).length;

/** A HelloRetryRequest happened (two ClientHellos); whether the second ClientHello echoed a cookie. */
function hrrOf(c: Conversation): { hrr: boolean; cookie: boolean } {
  const hellos = c.transcript.messages.filter((m) => m.dir === 'C->S' && m.type === 'client_hello');
  const second = hellos[1]?.decoded?.body;
  const cookie = second?.type === 'client_hello' && (second.extensions ?? []).some((e) => e.type === ExtensionType.cookie);
  return { hrr: hellos.length === 2, cookie };
}

/** What a feature must show, per connection (the last one is the resumed one). */
async function expectFeature(
  f: Feature,
  conns: readonly Conversation[],
  peerOutput: string,
  excused: readonly PeerDeviation[] = [],
): Promise<void> {
  const sessions: SessionInfo[] = [];
  for (const c of conns) sessions.push(await expectClean(c, peerOutput, excused));
  const last = conns.at(-1) as Conversation;
  const s = sessions.at(-1) as SessionInfo;
  switch (f) {
    case 'DHE_RSA ffdhe2048':
    case 'DHE_RSA ffdhe3072':
      expect(s.group).toBe(f.endsWith('2048') ? NamedGroup.ffdhe2048 : NamedGroup.ffdhe3072);
      expect(count(last, 'S->C', 'server_key_exchange')).toBe(1);
      break;
    case 'HRR':
    case 'HRR + cookie':
      expect(hrrOf(last)).toEqual({ hrr: true, cookie: f === 'HRR + cookie' });
      expect(s.group).toBe(NamedGroup.secp256r1);
      break;
    case 'PSK psk_dhe_ke':
    case 'PSK psk_ke':
    case 'TLS 1.2 session ID':
    case 'TLS 1.2 ticket':
      expect(conns).toHaveLength(2);
      expect(last.endpoint.resumedSession).toBe(true);
      expect(conns[0]?.endpoint.resumedSession).toBe(false);
      // A resumed handshake has no server Certificate.
      expect(count(last, 'S->C', 'certificate')).toBe(0);
      if (f === 'PSK psk_dhe_ke') expect(s.group).toBeDefined();
      if (f === 'PSK psk_ke') expect(s.group).toBeUndefined();
      if (f === 'TLS 1.2 ticket') expect(count(conns[0] as Conversation, 'S->C', 'new_session_ticket')).toBe(1);
      if (f === 'TLS 1.2 session ID') expect(count(conns[0] as Conversation, 'S->C', 'new_session_ticket')).toBe(0);
      break;
    case 'KeyUpdate':
      expect(last.endpoint.keyUpdates).toEqual({ sent: 1, received: 1 });
      expect(count(last, 'C->S', 'key_update') + count(last, 'S->C', 'key_update')).toBe(2);
      break;
    case 'X25519MLKEM768':
      expect(s.group).toBe(NamedGroup.X25519MLKEM768);
      break;
  }
}

// ------------------------------------------------------------ configurations

const V12 = 0x0303;
const V13 = 0x0304;
const isResumption = (f: Feature) => f.startsWith('PSK') || f.startsWith('TLS 1.2 s') || f === 'TLS 1.2 ticket';
const ffdheOf = (f: Feature): 'ffdhe2048' | 'ffdhe3072' => (f.endsWith('3072') ? 'ffdhe3072' : 'ffdhe2048');
const dheSuite = (f: Feature) =>
  ffdheOf(f) === 'ffdhe2048'
    ? CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
    : CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384;
const OPENSSL_DHE: Record<'ffdhe2048' | 'ffdhe3072', string> = {
  ffdhe2048: 'DHE-RSA-AES128-GCM-SHA256',
  ffdhe3072: 'DHE-RSA-AES256-GCM-SHA384',
};
const versionOf = (f: Feature): '1.2' | '1.3' => (f.startsWith('DHE') || f.startsWith('TLS 1.2') ? '1.2' : '1.3');

/** Our client's configuration for a feature (a fresh session store per cell). */
function clientConfig(f: Feature): ClientConfig {
  const c: ClientConfig = { provider, serverName: SERVER_NAME, trustAnchors: files.pki.anchors };
  switch (f) {
    case 'DHE_RSA ffdhe2048':
    case 'DHE_RSA ffdhe3072':
      return { ...c, versions: [V12], cipherSuites: [dheSuite(f)], groups: [NamedGroup[ffdheOf(f)]] };
    case 'HRR':
    case 'HRR + cookie':
      // Key share for X25519 only; the servers accept only P-256.
      return { ...c, versions: [V13], groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] };
    case 'PSK psk_dhe_ke':
      return { ...c, versions: [V13], sessionStore: newClientSessionStore(), pskModes: [1] };
    case 'PSK psk_ke':
      return { ...c, versions: [V13], sessionStore: newClientSessionStore(), pskModes: [0] };
    case 'TLS 1.2 session ID':
      return {
        ...c,
        versions: [V12],
        cipherSuites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
        sessionStore: newClientSessionStore(),
        sessionTickets12: false,
      };
    case 'TLS 1.2 ticket':
      return {
        ...c,
        versions: [V12],
        cipherSuites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
        sessionStore: newClientSessionStore(),
        sessionTickets12: true,
      };
    case 'KeyUpdate':
      return { ...c, versions: [V13] };
    case 'X25519MLKEM768':
      return { ...c, versions: [V13], groups: [NamedGroup.X25519MLKEM768] };
  }
}

/** Our server's configuration for a feature (a fresh session cache per cell). */
function serverConfig(f: Feature): ServerConfig {
  const c: ServerConfig = { provider, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors };
  switch (f) {
    case 'DHE_RSA ffdhe2048':
    case 'DHE_RSA ffdhe3072':
      return { ...c, versions: [V12], cipherSuites: [dheSuite(f)], groups: [NamedGroup[ffdheOf(f)]] };
    case 'HRR':
    case 'HRR + cookie':
      return {
        ...c,
        versions: [V13],
        groups: [NamedGroup.secp256r1, NamedGroup.x25519],
        helloRetryForPreferredGroup: true,
        helloRetryCookie: f === 'HRR + cookie',
      };
    case 'PSK psk_dhe_ke':
      return { ...c, versions: [V13], sessionCache: new ServerSessionCache(provider), pskModes: [1] };
    case 'PSK psk_ke':
      return { ...c, versions: [V13], sessionCache: new ServerSessionCache(provider), pskModes: [0, 1] };
    case 'TLS 1.2 session ID':
      return { ...c, versions: [V12], sessionCache: new ServerSessionCache(provider), sessionTickets12: false };
    case 'TLS 1.2 ticket':
      return { ...c, versions: [V12], sessionCache: new ServerSessionCache(provider), sessionTickets12: true };
    case 'KeyUpdate':
      return { ...c, versions: [V13] };
    case 'X25519MLKEM768':
      return { ...c, versions: [V13], groups: [NamedGroup.X25519MLKEM768] };
  }
}

/** Our client against an echoing server (`reverse`: openssl s_server -rev answers each line reversed). */
function clientScript(f: Feature, reverse: boolean): ConversationScript {
  const answer = (s: string) => (reverse ? [...s].reverse().join('') : s);
  const script: ConversationScript = { first: { send: enc.encode('hello features\n'), expect: answer('hello features') } };
  if (f === 'KeyUpdate') script.keyUpdate = { send: enc.encode('after key update\n'), expect: answer('after key update') };
  return script;
}

/** Our server against a client that answers `pong<N>` with `ping<N>` (triggered by `answer` for stdin-driven clients). */
function serverScript(f: Feature, answer?: (line: string) => Promise<void>): ConversationScript {
  const script: ConversationScript = { first: { send: enc.encode('pong\n'), expect: 'ping' } };
  if (answer) script.first.trigger = () => answer('ping\n');
  if (f === 'KeyUpdate') {
    script.keyUpdate = { send: enc.encode('pong2\n'), expect: 'ping2' };
    if (answer) script.keyUpdate.trigger = () => answer('ping2\n');
  }
  return script;
}

/** Our client: one connection, or two sharing the session store for resumption. */
async function ourClientCell(
  f: Feature,
  port: number,
  reverse: boolean,
  peerOutput: () => string,
  answer?: () => Promise<void>,
  overrides: Partial<ClientConfig> = {},
  excused: readonly PeerDeviation[] = [],
): Promise<void> {
  const cfg = { ...clientConfig(f), ...overrides };
  const script = () => {
    const s = clientScript(f, reverse);
    if (answer) s.first.trigger = answer;
    return s;
  };
  const conns = [await clientConversation(cfg, port, script())];
  if (isResumption(f)) conns.push(await clientConversation(cfg, port, script()));
  await expectFeature(f, conns, peerOutput(), excused);
}

/** Register the feature cells of one column: a test per feature, a skipped one naming the reason where unsupported. */
function cells(column: Column, run: (f: Feature) => Promise<void>): void {
  for (const f of FEATURES) {
    const why = UNSUPPORTED[column]?.[f];
    if (why !== undefined) it.skip(`${f}: unsupported (${why})`, () => undefined);
    else it(f, () => run(f), 30_000);
  }
}

// ------------------------------------------------------------------ OpenSSL

/** s_server arguments of a feature. */
function sServerArgs(f: Feature): { version: '1.2' | '1.3'; cipher?: string; groups?: string; extra: string[]; plain?: boolean } {
  switch (f) {
    case 'DHE_RSA ffdhe2048':
    case 'DHE_RSA ffdhe3072':
      return { version: '1.2', cipher: OPENSSL_DHE[ffdheOf(f)], extra: ['-dhparam', dhparam[ffdheOf(f)]] };
    case 'HRR':
      return { version: '1.3', groups: 'P-256', extra: [] };
    case 'HRR + cookie':
      // -stateless: s_server requires a TLS 1.3 cookie, so its HelloRetryRequest carries one (only its plain
      // stdin/stdout mode runs SSL_stateless, not -rev).
      return { version: '1.3', groups: 'P-256', extra: ['-stateless'], plain: true };
    case 'PSK psk_ke':
      return { version: '1.3', extra: ['-allow_no_dhe_kex'] };
    case 'TLS 1.2 session ID':
      return { version: '1.2', extra: ['-no_ticket'] };
    case 'X25519MLKEM768':
      return { version: '1.3', groups: 'X25519MLKEM768', extra: [] };
    default:
      return { version: versionOf(f), extra: [] };
  }
}

describe('features: our client vs openssl s_server', () => {
  cells('openssl s_server', async (f) => {
    const port = await freePort();
    const a = sServerArgs(f);
    const peer = await group.launch(
      opensslServer({
        port,
        files,
        key: 'rsa',
        version: a.version,
        ...(a.cipher ? { cipher: a.cipher } : {}),
        ...(a.groups ? { groups: a.groups } : {}),
        extra: a.extra,
        echo: !a.plain,
      }),
    );
    try {
      // OpenSSL's limitation, not ours: s_server -stateless calls SSL_stateless() again for the second flight, which
      // first runs SSL_clear() (hello_retry_request back to none), so the record layer no longer drops the client's
      // compatibility CCS (RFC 8446 D.4: right before ClientHello2; §4.2.2: a stateless server MUST ignore it);
      // tls_get_message_header() returns an error for a CCS when stateless, SSL_stateless() then returns -1 and
      // s_server prints ERROR and closes (OpenSSL PR #18453 calls the option "broken since a very long time").
      // Its own s_client fails the same way unless -no_middlebox (test below). So this cell runs without compat.
      const compat = f === 'HRR + cookie' ? { middleboxCompat: false } : {};
      // Plain s_server does not echo: it prints what it got and sends its stdin, written once it printed our line.
      const answer = a.plain
        ? async () => void ((await peer.waitForOutput('hello features', 5000)) && peer.write('hello features\n'))
        : undefined;
      await ourClientCell(f, port, !a.plain, () => peer.output, answer, compat);
    } finally {
      await peer.stop();
    }
  });
});

describe('openssl s_server -stateless and the middlebox-compatibility CCS', () => {
  // Why the 'HRR + cookie' cell above runs our client with middleboxCompat off: OpenSSL's own client hits the same
  // wall. Should a later OpenSSL accept the CCS, the first expectation fails: turn compatibility mode back on there.
  it('rejects its own s_client in compatibility mode, accepts it with -no_middlebox', async () => {
    const port = await freePort();
    const server = await group.launch(
      opensslServer({ port, files, key: 'rsa', version: '1.3', groups: 'P-256', extra: ['-stateless'], echo: false }),
    );
    try {
      const outcomes: Array<{ compat: boolean; connected: boolean }> = [];
      for (const compat of [true, false]) {
        const client = await group.launch(
          opensslClient({
            port,
            files,
            version: '1.3',
            cipher: 'TLS_AES_128_GCM_SHA256',
            group: 'X25519:P-256',
            extra: compat ? [] : ['-no_middlebox'],
          }),
        );
        const line = `stateless ${compat ? 'compat' : 'plain'}`;
        client.write(`${line}\n`);
        // The plain s_server prints what it decrypted: the line arrives only over a completed handshake. A refused
        // s_client exits as soon as the server closes.
        await Promise.race([server.waitForOutput(line, 5000), client.waitForExit(5000)]);
        const connected = server.output.includes(line);
        await client.stop();
        outcomes.push({ compat, connected });
      }
      expect(outcomes).toEqual([
        { compat: true, connected: false },
        { compat: false, connected: true },
      ]);
    } finally {
      await server.stop();
    }
  }, 30_000);
});

/** s_client arguments of a feature (session files for resumption added by the caller). */
function sClientArgs(f: Feature): { version: '1.2' | '1.3'; cipher: string; group: string; extra: string[] } {
  switch (f) {
    case 'DHE_RSA ffdhe2048':
    case 'DHE_RSA ffdhe3072':
      return { version: '1.2', cipher: OPENSSL_DHE[ffdheOf(f)], group: ffdheOf(f), extra: [] };
    case 'HRR':
    case 'HRR + cookie':
      return { version: '1.3', cipher: 'TLS_AES_128_GCM_SHA256', group: 'X25519:P-256', extra: [] };
    case 'PSK psk_ke':
      return { version: '1.3', cipher: 'TLS_AES_128_GCM_SHA256', group: 'X25519', extra: ['-allow_no_dhe_kex'] };
    case 'TLS 1.2 session ID':
    case 'TLS 1.2 ticket':
      return {
        version: '1.2',
        cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
        group: 'X25519',
        extra: f === 'TLS 1.2 session ID' ? ['-no_ticket'] : [],
      };
    case 'X25519MLKEM768':
      return { version: '1.3', cipher: 'TLS_AES_128_GCM_SHA256', group: 'X25519MLKEM768', extra: [] };
    default:
      return { version: versionOf(f), cipher: 'TLS_AES_128_GCM_SHA256', group: 'X25519', extra: [] };
  }
}

describe('features: our server vs openssl s_client', () => {
  cells('openssl s_client', async (f) => {
    const cfg = serverConfig(f);
    const a = sClientArgs(f);
    const sess = join(files.dir, `sess-${f.replace(/\W+/g, '_')}.pem`);
    const conns: Conversation[] = [];
    let output = '';
    for (const extra of isResumption(f)
      ? [
          ['-sess_out', sess],
          ['-sess_in', sess],
        ]
      : [[]]) {
      const listener = await LoopbackListener.open();
      let peer: PeerProcess | undefined;
      try {
        peer = await group.launch(
          opensslClient({
            port: listener.port,
            files,
            version: a.version,
            cipher: a.cipher,
            group: a.group,
            extra: [...a.extra, ...extra],
          }),
        );
        const p = peer;
        const socket = await listener.accept();
        // Answer once s_client printed our line: it has then read what came before it (our KeyUpdate).
        conns.push(
          await serverConversation(
            cfg,
            socket,
            serverScript(
              f,
              async (line) => void ((await p.waitForOutput(line.replace('ping', 'pong').trim(), 5000)) && p.write(line)),
            ),
          ),
        );
        // s_client writes -sess_out when it gets the session; it exits once we closed.
        await p.waitForExit(3000);
        output += p.output;
      } finally {
        await peer?.stop();
        await listener.close();
      }
    }
    await expectFeature(f, conns, output);
  });
});

// --------------------------------------------------------------------- Node

describe('features: our client vs Node tls.createServer', () => {
  cells('node server', async (f) => {
    const base = { files, key: 'rsa' as const, version: versionOf(f) };
    const server = await nodeTlsServer(
      f.startsWith('DHE')
        ? { ...base, ciphers: OPENSSL_DHE[ffdheOf(f)], dhparam: dhparam[ffdheOf(f)] }
        : f === 'HRR'
          ? { ...base, groups: 'P-256' }
          : f === 'PSK psk_ke'
            ? { ...base, secureOptions: cryptoConstants.SSL_OP_ALLOW_NO_DHE_KEX }
            : f === 'TLS 1.2 session ID'
              ? { ...base, secureOptions: cryptoConstants.SSL_OP_NO_TICKET, sessionCache: true }
              : base,
    );
    try {
      await ourClientCell(f, server.port, false, () => server.errors.join('\n'));
    } finally {
      await server.close();
    }
  });
});

describe('features: our server vs Node tls.connect', () => {
  cells('node client', async (f) => {
    const cfg = serverConfig(f);
    const v = versionOf(f);
    const opts = {
      files,
      version: v,
      groups: f.startsWith('DHE') ? 'X25519' : f.startsWith('HRR') ? 'X25519:P-256' : 'X25519',
      ...(f.startsWith('DHE') ? { ciphers: OPENSSL_DHE[ffdheOf(f)] } : {}),
      ...(f === 'PSK psk_ke' ? { secureOptions: cryptoConstants.SSL_OP_ALLOW_NO_DHE_KEX } : {}),
    };
    const conns: Conversation[] = [];
    const outputs: string[] = [];
    let session: Buffer | undefined;
    for (let i = 0; i < (isResumption(f) ? 2 : 1); i++) {
      const listener = await LoopbackListener.open();
      try {
        const peer = nodeAnsweringClient({ ...opts, port: listener.port, ...(session ? { session } : {}) });
        const socket = await listener.accept();
        conns.push(await serverConversation(cfg, socket, serverScript(f)));
        const node = await peer;
        outputs.push(JSON.stringify({ ...node, sessions: node.sessions.length }));
        expect(node.error).toBeUndefined();
        if (i === 1) expect(node.reused).toBe(true);
        session = node.sessions.at(-1);
      } finally {
        await listener.close();
      }
    }
    await expectFeature(f, conns, outputs.join('\n'));
  });
});

// ------------------------------------------------------------------- GnuTLS

/** gnutls priority strings of a feature. */
function gnutlsPriorityOf(f: Feature): string {
  switch (f) {
    case 'DHE_RSA ffdhe2048':
    case 'DHE_RSA ffdhe3072':
      return `NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA:-GROUP-ALL:+GROUP-${ffdheOf(f).toUpperCase()}`;
    case 'HRR':
    case 'HRR + cookie':
      return 'NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP256R1';
    case 'PSK psk_ke':
      // Without +PSK gnutls-serv 3.7 answers a psk_ke-only offer with a full handshake.
      return 'NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK';
    case 'X25519MLKEM768':
      return 'NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519-MLKEM768';
    default:
      return `NORMAL:-VERS-ALL:+VERS-TLS${versionOf(f)}`;
  }
}

describe('features: our client vs gnutls-serv', () => {
  cells('gnutls-serv', async (f) => {
    const port = await freePort();
    const peer = await group.launch(
      gnutlsServer({
        port,
        files,
        key: 'rsa',
        priority: gnutlsPriorityOf(f),
        extra: f === 'TLS 1.2 session ID' ? ['--noticket'] : [],
      }),
    );
    try {
      await ourClientCell(f, port, false, () => peer.output, undefined, {}, GNUTLS_SERV);
    } finally {
      await peer.stop();
    }
  });
});

/** gnutls-cli priority of a feature: as gnutls-serv's, but HRR shares P-384 first (gnutls-cli sends one share per key type). */
function gnutlsCliPriorityOf(f: Feature): string {
  if (f === 'HRR' || f === 'HRR + cookie') return 'NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP384R1:+GROUP-SECP256R1';
  return gnutlsPriorityOf(f);
}

describe('features: our server vs gnutls-cli', () => {
  cells('gnutls-cli', async (f) => {
    const cfg = serverConfig(f);
    const resume = isResumption(f);
    const listener = await LoopbackListener.open();
    let peer: PeerProcess | undefined;
    try {
      // --resume: gnutls-cli connects, closes, and connects again with the session; only the second connection reads stdin.
      const extra = [...(resume ? ['--resume'] : []), ...(f === 'TLS 1.2 session ID' ? ['--noticket'] : [])];
      // gnutls-cli offers psk_ke only with +PSK in its priority, and then wants PSK credentials: an external
      // identity our server does not know (it must skip it and take the ticket's).
      if (f === 'PSK psk_ke') extra.push('--pskusername', 'unknown-to-tlsprop', '--pskkey', '00112233445566778899aabbccddeeff');
      peer = await group.launch(gnutlsClient({ port: listener.port, files, priority: gnutlsCliPriorityOf(f), extra }));
      const p = peer;
      const answer = async (line: string) =>
        void ((await p.waitForOutput(line.replace('ping', 'pong').trim(), 5000)) && p.write(line));
      const conns: Conversation[] = [];
      if (resume) {
        // The first connection: we send our line and close; gnutls-cli does not answer on it.
        const first = serverScript(f);
        first.first.expect = '';
        conns.push(await serverConversation(cfg, await listener.accept(), first));
      }
      conns.push(await serverConversation(cfg, await listener.accept(), serverScript(f, answer)));
      await expectFeature(f, conns, p.output, [
        ...GNUTLS_CLI,
        ...(f === 'DHE_RSA ffdhe2048' || f === 'DHE_RSA ffdhe3072' ? GNUTLS_CLI_DHE : []),
      ]);
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
