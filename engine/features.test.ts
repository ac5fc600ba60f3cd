/**
 * HelloRetryRequest, TLS 1.3 PSK resumption, TLS 1.2 resumption (session ID
 * and RFC 5077 tickets), KeyUpdate and DHE_RSA: message flows, independent
 * key recomputation (verifyTranscriptSecrets) and zero oracle violations.
 */
import { nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import type { Transcript } from '../transcript/model';
import { decodeHandshake, encodeBody } from '../wire/handshake';
import { AlertDescription, cipherSuites, ExtensionType, NamedGroup } from '../wire/registry';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { type MemoryRun, runInMemory } from './memory';
import { newClientSessionStore, ServerSessionCache } from './session';
import { CipherSuite12, CipherSuiteDhe12 } from './suites';
import { describeOutcome } from './types';
import { verifyTranscriptSecrets } from './verify';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const appData = { client: Uint8Array.of(1, 2), server: Uint8Array.of(3) };
const seq = (t: Transcript) => t.messages.map((m) => `${m.dir} ${m.type}`);

function cfg(c: Partial<ClientConfig> = {}, s: Partial<ServerConfig> = {}): { c: ClientConfig; s: ServerConfig } {
  return {
    c: { provider: p, serverName: SERVER_NAME, trustAnchors: pki.anchors, ...c },
    s: { provider: p, identity: pki.identity('server', 'ecdsa'), ...s },
  };
}

function connected(run: MemoryRun): void {
  if (run.clientOutcome.kind !== 'connected' || run.serverOutcome.kind !== 'connected')
    throw new Error(`client ${describeOutcome(run.clientOutcome)}; server ${describeOutcome(run.serverOutcome)}`);
}

/** Violations the oracles find, as "rule: detail" lines. */
async function violations(t: Transcript, earlier: Transcript[] = []): Promise<string[]> {
  const r = await checkTranscript(t, { trustAnchors: pki.anchors, earlier });
  return r.verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`);
}

async function clean(run: MemoryRun, earlier: Transcript[] = []): Promise<void> {
  connected(run);
  expect(run.transcript.gaps).toEqual([]);
  expect(run.transcript.messages.filter((m) => m.findings?.length)).toEqual([]);
  expect(await verifyTranscriptSecrets(p, run.transcript, { earlier })).toEqual([]);
  expect(await violations(run.transcript, earlier)).toEqual([]);
}

/** Rewrite the HelloRetryRequest the server sends (decode, change, encode). */
function rewriteHrr(f: (selected: number) => number): EngineHooks {
  return {
    beforeSend: (m) => {
      if (m.type !== 'server_hello') return undefined;
      const b = decodeHandshake(m.raw).message.body;
      if (b.type !== 'server_hello' || !b.extensions?.some((e) => e.body.kind === 'key_share_hrr')) return undefined;
      const extensions = b.extensions.map((e) =>
        e.body.kind === 'key_share_hrr'
          ? { type: e.type, body: { kind: 'key_share_hrr' as const, selectedGroup: f(e.body.selectedGroup) } }
          : e,
      );
      return [encodeBody({ ...b, extensions })];
    },
  };
}

describe('TLS 1.3 HelloRetryRequest', () => {
  const HRR_FLOW = [
    'C->S client_hello',
    'S->C server_hello',
    'S->C change_cipher_spec',
    'C->S change_cipher_spec',
    'C->S client_hello',
    'S->C server_hello',
    'S->C encrypted_extensions',
    'S->C certificate',
    'S->C certificate_verify',
    'S->C finished',
    'C->S finished',
    'S->C new_session_ticket',
    'C->S application_data',
    'S->C application_data',
  ];

  it('server prefers a group the client has no share for: HRR with cookie, ClientHello2, message_hash transcript', async () => {
    const { c, s } = cfg(
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] },
      { groups: [NamedGroup.secp256r1, NamedGroup.x25519], helloRetryForPreferredGroup: true, helloRetryCookie: true },
    );
    const run = await runInMemory(c, s, {}, { appData });
    await clean(run);
    expect(seq(run.transcript)).toEqual(HRR_FLOW);
    expect(run.server.sentHelloRetryRequest).toBe(true);
    if (run.clientOutcome.kind === 'connected') expect(run.clientOutcome.session.group).toBe(NamedGroup.secp256r1);
    const ch2 = run.transcript.messages[4]!.decoded!.body;
    if (ch2.type !== 'client_hello') throw new Error('no ClientHello2');
    expect(ch2.extensions?.find((e) => e.type === ExtensionType.cookie)).toBeDefined();
    const r = await checkTranscript(run.transcript, { trustAnchors: pki.anchors });
    expect(r.verdicts.filter((v) => v.rule === 't13.ks.hrr-message-hash').map((v) => v.status)).toContain('pass');
  });

  it('no usable key share triggers an HRR without compatibility mode (no CCS), no cookie', async () => {
    const { c, s } = cfg(
      { groups: [NamedGroup.secp384r1, NamedGroup.x25519], keyShareGroups: [NamedGroup.secp384r1], middleboxCompat: false },
      { groups: [NamedGroup.x25519] },
    );
    const run = await runInMemory(c, s, {}, { appData });
    await clean(run);
    expect(seq(run.transcript).slice(0, 4)).toEqual([
      'C->S client_hello',
      'S->C server_hello',
      'C->S client_hello',
      'S->C server_hello',
    ]);
  });

  it.each([
    ['a group the client already sent a share for', () => NamedGroup.x25519],
    ['a group not in supported_groups', () => NamedGroup.x448],
  ])('the client rejects an HRR selecting %s with illegal_parameter', async (_n, f) => {
    const { c, s } = cfg(
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] },
      { groups: [NamedGroup.secp256r1, NamedGroup.x25519], helloRetryForPreferredGroup: true },
    );
    const run = await runInMemory(c, s, { server: rewriteHrr(f) });
    expect(run.clientOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.illegal_parameter } });
    expect(run.serverOutcome).toMatchObject({ kind: 'alert_received' });
  });

  it('the server rejects a ClientHello2 that drops the cookie', async () => {
    const { c, s } = cfg(
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] },
      { groups: [NamedGroup.secp256r1], helloRetryCookie: Uint8Array.of(9, 9, 9) },
    );
    let n = 0;
    const strip: EngineHooks = {
      beforeSend: (m) => {
        if (m.type !== 'client_hello' || n++ === 0) return undefined;
        const b = decodeHandshake(m.raw).message.body;
        if (b.type !== 'client_hello') return undefined;
        return [encodeBody({ ...b, extensions: (b.extensions ?? []).filter((e) => e.type !== ExtensionType.cookie) })];
      },
    };
    const run = await runInMemory(c, s, { client: strip });
    expect(run.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.illegal_parameter } });
  });
});

describe('TLS 1.3 PSK resumption', () => {
  async function twice(
    c: ClientConfig,
    s: ServerConfig,
    second: Partial<ClientConfig> = {},
    hooks: { client?: EngineHooks; server?: EngineHooks } = {},
  ) {
    const store = newClientSessionStore();
    const cache = new ServerSessionCache(p);
    const first = await runInMemory({ ...c, sessionStore: store }, { ...s, sessionCache: cache }, {}, { appData });
    await clean(first);
    expect(store.tls13).toHaveLength(1);
    const again = await runInMemory({ ...c, ...second, sessionStore: store }, { ...s, sessionCache: cache }, hooks, { appData });
    return { first, again, store };
  }

  it('psk_dhe_ke: ticket -> pre_shared_key (last, binder, obfuscated age) -> no Certificate/CertificateVerify', async () => {
    const { c, s } = cfg();
    const { first, again } = await twice(c, s);
    await clean(again, [first.transcript]);
    expect(again.client.resumedSession).toBe(true);
    expect(again.server.resumedSession).toBe(true);
    expect(again.clientOutcome).toMatchObject({ session: { resumed: true, peerCertificates: [] } });
    expect(seq(again.transcript)).toEqual([
      'C->S client_hello',
      'S->C server_hello',
      'S->C change_cipher_spec',
      'S->C encrypted_extensions',
      'S->C finished',
      'C->S change_cipher_spec',
      'C->S finished',
      'S->C new_session_ticket',
      'C->S application_data',
      'S->C application_data',
    ]);
    const ch = again.transcript.messages[0]!.decoded!.body;
    if (ch.type !== 'client_hello') throw new Error('no ClientHello');
    expect(ch.extensions!.at(-1)!.type).toBe(ExtensionType.pre_shared_key);
    const sh = again.transcript.messages[1]!.decoded!.body;
    if (sh.type !== 'server_hello') throw new Error('no ServerHello');
    expect(sh.extensions!.map((e) => e.type)).toEqual([
      ExtensionType.supported_versions,
      ExtensionType.key_share,
      ExtensionType.pre_shared_key,
    ]);
    const r = await checkTranscript(again.transcript, { trustAnchors: pki.anchors, earlier: [first.transcript] });
    for (const id of ['t13.psk.binder', 't13.psk.obfuscated-age', 't13.ks.resumption-psk'])
      expect([id, r.verdicts.filter((v) => v.rule === id).map((v) => v.status)]).toEqual([id, ['pass']]);
    // Without the original the resumed transcript cannot be recomputed.
    expect(await verifyTranscriptSecrets(p, again.transcript)).not.toEqual([]);
  });

  it('psk_ke: ServerHello without key_share; a resumed connection can itself be resumed', async () => {
    const { c, s } = cfg({ pskModes: [0] }, { clientAuth: 'none' });
    const { first, again, store } = await twice(c, s);
    await clean(again, [first.transcript]);
    const sh = again.transcript.messages[1]!.decoded!.body;
    if (sh.type !== 'server_hello') throw new Error('no ServerHello');
    expect(sh.extensions!.map((e) => e.type)).toEqual([ExtensionType.supported_versions, ExtensionType.pre_shared_key]);
    expect(store.tls13).toHaveLength(1); // the used ticket is gone, the new one is kept
    const third = await runInMemory(
      { ...c, sessionStore: store },
      { ...s, sessionCache: again.server.config.sessionCache! },
      {},
      { appData },
    );
    await clean(third, [first.transcript, again.transcript]);
    expect(third.client.resumedSession).toBe(true);
  });

  it('PSK after a HelloRetryRequest: binder recomputed over message_hash, HRR and ClientHello2', async () => {
    const { c, s } = cfg(
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] },
      { groups: [NamedGroup.secp256r1, NamedGroup.x25519] },
    );
    const store = newClientSessionStore();
    const cache = new ServerSessionCache(p);
    const first = await runInMemory({ ...c, sessionStore: store }, { ...s, sessionCache: cache }, {}, { appData });
    await clean(first);
    const again = await runInMemory(
      { ...c, sessionStore: store },
      { ...s, sessionCache: cache, helloRetryForPreferredGroup: true },
      {},
      { appData },
    );
    await clean(again, [first.transcript]);
    expect(again.server.sentHelloRetryRequest).toBe(true);
    expect(again.client.resumedSession).toBe(true);
  });

  it('a corrupted binder is answered with decrypt_error', async () => {
    const { c, s } = cfg();
    const corrupt: EngineHooks = {
      beforeSend: (m) => {
        if (m.type !== 'client_hello') return undefined;
        const r = m.raw.slice();
        r[r.length - 1]! ^= 1;
        return [r];
      },
    };
    const { again } = await twice(c, s, {}, { client: corrupt });
    expect(again.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.decrypt_error } });
  });

  it('a ticket whose lifetime exceeds seven days is kept seven days at most (RFC 8446 §4.6.1); lifetime 0 is not kept', async () => {
    const { c, s } = cfg({ versions: [0x0304] }, { versions: [0x0304] });
    const keep = async (ticketLifetime: number) => {
      const store = newClientSessionStore();
      connected(
        await runInMemory(
          { ...c, sessionStore: store },
          { ...s, sessionCache: new ServerSessionCache(p), ticketLifetime },
          {},
          {
            appData,
          },
        ),
      );
      return store.tls13.map((t) => t.lifetime);
    };
    expect(await keep(7200)).toEqual([7200]);
    expect(await keep(604800 * 4)).toEqual([604800]);
    expect(await keep(0)).toEqual([]);
  });

  it('a ticket from another server (unknown key) falls back to a full handshake', async () => {
    const { c, s } = cfg();
    const store = newClientSessionStore();
    const first = await runInMemory({ ...c, sessionStore: store }, { ...s, sessionCache: new ServerSessionCache(p) });
    connected(first);
    const again = await runInMemory(
      { ...c, sessionStore: store },
      { ...s, sessionCache: new ServerSessionCache(p) },
      {},
      { appData },
    );
    await clean(again, [first.transcript]);
    expect(again.client.resumedSession).toBe(false);
    expect(seq(again.transcript)).toContain('S->C certificate');
  });
});

describe('TLS 1.2 resumption', () => {
  const suite = CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
  const ABBREVIATED = [
    'C->S client_hello',
    'S->C server_hello',
    'S->C change_cipher_spec',
    'S->C finished',
    'C->S change_cipher_spec',
    'C->S finished',
    'C->S application_data',
    'S->C application_data',
  ];

  it.each([
    ['session ID', false, true],
    ['RFC 5077 ticket', true, true],
    // RFC 5077 §3.4: no session ID beside the ticket, so no echo to read: the NewSessionTicket after the ServerHello tells
    ['RFC 5077 ticket with an empty session ID', true, false],
  ])('%s: full handshake, then the abbreviated one', async (_n, tickets, ticketSessionId) => {
    const { c, s } = cfg(
      { versions: [0x0303], cipherSuites: [suite], sessionTickets12: tickets, ticketSessionId },
      { versions: [0x0303], sessionTickets12: tickets },
    );
    const store = newClientSessionStore();
    const cache = new ServerSessionCache(p);
    const first = await runInMemory({ ...c, sessionStore: store }, { ...s, sessionCache: cache }, {}, { appData });
    await clean(first);
    expect(seq(first.transcript).includes('S->C new_session_ticket')).toBe(tickets);
    expect(store.tls12).toHaveLength(1);
    expect(store.tls12[0]!.ticket !== undefined).toBe(tickets);
    const again = await runInMemory({ ...c, sessionStore: store }, { ...s, sessionCache: cache }, {}, { appData });
    await clean(again, [first.transcript]);
    expect(again.client.resumedSession).toBe(true);
    const hello = again.transcript.messages.find((m) => m.type === 'client_hello')?.decoded?.body;
    expect(hello?.type === 'client_hello' && hello.sessionId.length).toBe(ticketSessionId ? 32 : 0);
    expect(seq(again.transcript)).toEqual(
      tickets ? [...ABBREVIATED.slice(0, 2), 'S->C new_session_ticket', ...ABBREVIATED.slice(2)] : ABBREVIATED,
    );
    if (first.clientOutcome.kind === 'connected' && again.clientOutcome.kind === 'connected')
      expect(again.clientOutcome.session.masterSecret).toEqual(first.clientOutcome.session.masterSecret);
    const r = await checkTranscript(again.transcript, { trustAnchors: pki.anchors, earlier: [first.transcript] });
    for (const id of ['t12.neg.resume-consistency', 'ext.ems.resumption'])
      expect([id, r.verdicts.filter((v) => v.rule === id).map((v) => v.status)]).toEqual([id, ['pass']]);
  });

  it('a ticket with an empty session ID the server cannot open: the Certificate after the ServerHello means a full handshake (RFC 5077 §3.4)', async () => {
    const { c, s } = cfg(
      { versions: [0x0303], cipherSuites: [suite], sessionTickets12: true, ticketSessionId: false },
      { versions: [0x0303], sessionTickets12: true },
    );
    const store = newClientSessionStore();
    connected(await runInMemory({ ...c, sessionStore: store }, { ...s, sessionCache: new ServerSessionCache(p) }));
    // another server instance: another ticket key, so the ticket does not open
    const again = await runInMemory(
      { ...c, sessionStore: store },
      { ...s, sessionCache: new ServerSessionCache(p) },
      {},
      { appData },
    );
    await clean(again);
    expect(again.client.resumedSession).toBe(false);
    expect(seq(again.transcript).slice(0, 3)).toEqual(['C->S client_hello', 'S->C server_hello', 'S->C certificate']);
  });

  it('an EMS session is not resumed without EMS (handshake_failure); a non-EMS session is not resumed with EMS (full handshake)', async () => {
    const { c, s } = cfg({ versions: [0x0303], cipherSuites: [suite] }, { versions: [0x0303] });
    const store = newClientSessionStore();
    const cache = new ServerSessionCache(p);
    connected(await runInMemory({ ...c, sessionStore: store }, { ...s, sessionCache: cache }));
    // The client drops EMS and forgets that its session had it (as a confused client would).
    store.tls12[0]!.extendedMasterSecret = false;
    const noEms = await runInMemory({ ...c, sessionStore: store, extendedMasterSecret: false }, { ...s, sessionCache: cache });
    expect(noEms.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.handshake_failure } });

    const store2 = newClientSessionStore();
    const cache2 = new ServerSessionCache(p);
    const first = await runInMemory({ ...c, sessionStore: store2, extendedMasterSecret: false }, { ...s, sessionCache: cache2 });
    connected(first);
    const again = await runInMemory({ ...c, sessionStore: store2 }, { ...s, sessionCache: cache2 }, {}, { appData });
    await clean(again, [first.transcript]);
    expect(again.client.resumedSession).toBe(false);
  });

  it('a client sees a resumption with a different EMS status and aborts', async () => {
    const { c, s } = cfg({ versions: [0x0303], cipherSuites: [suite] }, { versions: [0x0303] });
    const store = newClientSessionStore();
    const cache = new ServerSessionCache(p);
    connected(await runInMemory({ ...c, sessionStore: store }, { ...s, sessionCache: cache }));
    store.tls12[0]!.extendedMasterSecret = false;
    const run = await runInMemory({ ...c, sessionStore: store }, { ...s, sessionCache: cache });
    expect(run.clientOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.handshake_failure } });
  });
});

describe('TLS 1.3 KeyUpdate', () => {
  it('client asks for an update, server answers; later the server updates on its own', async () => {
    const { c, s } = cfg();
    const run = await runInMemory(
      c,
      s,
      {},
      {
        appData,
        keyUpdates: [
          { side: 'client', requestUpdate: true },
          { side: 'server', requestUpdate: false },
          { side: 'client', requestUpdate: false },
        ],
      },
    );
    await clean(run);
    expect(run.client.keyUpdates).toEqual({ sent: 2, received: 2 });
    expect(run.server.keyUpdates).toEqual({ sent: 2, received: 2 });
    expect(run.received.server).toEqual([appData.client, Uint8Array.of(0x6b, 0x75), Uint8Array.of(0x6b, 0x75)]);
    expect(run.received.client).toEqual([appData.server, Uint8Array.of(0x6b, 0x75)]);
    expect(seq(run.transcript).slice(-7)).toEqual([
      'C->S key_update',
      'C->S application_data',
      'S->C key_update',
      'S->C key_update',
      'S->C application_data',
      'C->S key_update',
      'C->S application_data',
    ]);
    expect(run.transcript.secrets!.keylog!.filter((l) => l.startsWith('CLIENT_TRAFFIC_SECRET'))).toHaveLength(1);
    const r = await checkTranscript(run.transcript, { trustAnchors: pki.anchors });
    expect(r.verdicts.filter((v) => v.rule === 't13.ks.key-update').map((v) => v.status)).toEqual(['pass']);
  });

  it('KeyUpdate with request_update 2 is illegal_parameter', async () => {
    const { c, s } = cfg();
    const run = await runInMemory(
      c,
      s,
      {
        client: {
          beforeSend: (m) => (m.type === 'key_update' ? [Uint8Array.of(24, 0, 0, 1, 2)] : undefined),
        },
      },
      { keyUpdates: [{ side: 'client', requestUpdate: false }] },
    );
    expect(run.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.illegal_parameter } });
  });
});

describe('TLS 1.2 DHE_RSA with RFC 7919 groups', () => {
  const DHE_CASES: ReadonlyArray<readonly [number, number[]]> = [
    [CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, []],
    [CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, [NamedGroup.x25519, NamedGroup.ffdhe3072]],
    [0x0067 /* TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 */, []],
    [0xccaa /* TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 */, []],
  ];
  it.each(
    DHE_CASES.map(
      ([suite, groups]) => [`${cipherSuites.get(suite)!.name}, client groups [${groups.join(',')}]`, suite, groups] as const,
    ),
  )('%s', async (_name, suite, groups) => {
    const { c, s } = cfg(
      { versions: [0x0303], cipherSuites: [suite], ...(groups.length ? { groups } : {}) },
      {
        versions: [0x0303],
        cipherSuites: [suite],
        identity: pki.identity('server', 'rsa'),
        groups: [NamedGroup.x25519, NamedGroup.ffdhe2048, NamedGroup.ffdhe3072],
      },
    );
    const run = await runInMemory(c, s, {}, { appData });
    await clean(run);
    if (run.clientOutcome.kind === 'connected')
      expect(run.clientOutcome.session).toMatchObject({
        cipherSuite: suite,
        group: groups.length ? NamedGroup.ffdhe3072 : NamedGroup.ffdhe2048,
      });
    expect(seq(run.transcript)).toContain('S->C server_key_exchange');
  });
});

describe('TLS 1.3 FFDHE key shares (RFC 7919)', () => {
  it('ffdhe2048 directly, and ffdhe3072 through an HRR', async () => {
    const { c, s } = cfg({ groups: [NamedGroup.ffdhe2048, NamedGroup.x25519] }, { groups: [NamedGroup.ffdhe2048] });
    const run = await runInMemory(c, s, {}, { appData });
    await clean(run);
    if (run.clientOutcome.kind === 'connected') expect(run.clientOutcome.session.group).toBe(NamedGroup.ffdhe2048);
    const retry = await runInMemory(
      { ...c, groups: [NamedGroup.x25519, NamedGroup.ffdhe3072] },
      { ...s, groups: [NamedGroup.ffdhe3072, NamedGroup.x25519], helloRetryForPreferredGroup: true },
      {},
      { appData },
    );
    await clean(retry);
    expect(retry.server.sentHelloRetryRequest).toBe(true);
    if (retry.clientOutcome.kind === 'connected') expect(retry.clientOutcome.session.group).toBe(NamedGroup.ffdhe3072);
  });
});
