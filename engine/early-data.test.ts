/**
 * TLS 1.3 0-RTT in memory (RFC 8446 §2.3, §4.2.10, §4.5, §4.6.1, §8): a server that issues tickets with
 * max_early_data_size, a client that resumes one with early data under client_early_traffic_secret, EndOfEarlyData
 * when accepted and not when rejected, the limit, the anti-replay of a ClientHello, the key log entry, and the
 * capture layer opening the 0-RTT records from the key log alone.
 */
import { ConnectionDecryptor, KeyStore } from '../capture/decrypt';
import { generateEcdhKeyPair, nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import type { Transcript } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import { decodeHandshake, encodeHandshake } from '../wire/handshake';
import { RecordStream } from '../wire/record';
import { AlertDescription, ContentType, ExtensionType, NamedGroup } from '../wire/registry';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { runInMemory } from './memory';
import { TlsServer } from './server';
import { type ClientSessionStore, newClientSessionStore, ServerSessionCache } from './session';

const p = nodeProvider();
const enc = new TextEncoder();
const dec = new TextDecoder();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const EARLY = enc.encode('GET /early HTTP/1.1\r\n\r\n');
const APP = { appData: { client: enc.encode('after'), server: enc.encode('answer') } };
const types = (t: Transcript) =>
  t.messages.filter((m) => m.kind === 'handshake' || m.kind === 'application_data').map((m) => `${m.dir} ${m.type}`);

interface Setup {
  store: ClientSessionStore;
  cache: ServerSessionCache;
  first: Transcript;
  client: (c?: Partial<ClientConfig>) => ClientConfig;
  server: (s?: Partial<ServerConfig>) => ServerConfig;
}

/** A first full handshake whose ticket allows `maxEarly` bytes of 0-RTT data (none when undefined). */
async function setup(maxEarly: number | undefined, extra: Partial<ServerConfig> = {}): Promise<Setup> {
  const store = newClientSessionStore();
  const cache = new ServerSessionCache(p);
  const client = (c: Partial<ClientConfig> = {}): ClientConfig => ({
    provider: p,
    serverName: SERVER_NAME,
    trustAnchors: pki.anchors,
    versions: [0x0304],
    sessionStore: store,
    ...c,
  });
  const server = (s: Partial<ServerConfig> = {}): ServerConfig => ({
    provider: p,
    identity: pki.identity('server', 'rsa'),
    sessionCache: cache,
    ...(maxEarly !== undefined ? { maxEarlyDataSize: maxEarly } : {}),
    ...extra,
    ...s,
  });
  const first = await runInMemory(client(), server(), {}, APP);
  expect(first.clientOutcome.kind).toBe('connected');
  return { store, cache, first: first.transcript, client, server };
}

async function judged(t: Transcript, earlier: Transcript) {
  const { verdicts } = await checkTranscript(t, { trustAnchors: pki.anchors, earlier: [earlier] });
  return {
    violations: verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`),
    status: (rule: string) => verdicts.filter((v) => v.rule === rule).map((v) => v.status),
  };
}

describe('TLS 1.3 0-RTT (RFC 8446 §4.2.10)', () => {
  it('the ticket carries early_data with max_early_data_size; the client stores it', async () => {
    const s = await setup(4096);
    const nst = s.first.messages.find((m) => m.type === 'new_session_ticket')?.decoded?.body;
    const ext =
      nst?.type === 'new_session_ticket' && nst.form === 'tls13'
        ? extensionBody(nst.extensions, ExtensionType.early_data, 'early_data_max')
        : undefined;
    expect(ext?.maxEarlyDataSize).toBe(4096);
    expect(s.store.tls13[0]?.maxEarlyDataSize).toBe(4096);
    // without the knob the ticket allows no 0-RTT, and a client with early data does not offer it
    const none = await setup(undefined);
    expect(none.store.tls13[0]?.maxEarlyDataSize).toBeUndefined();
    const r = await runInMemory(none.client({ earlyData: EARLY }), none.server());
    expect(r.client.earlyData).toEqual({ offered: false, sent: 0 });
    const ch = r.transcript.messages.find((m) => m.type === 'client_hello')?.decoded?.body;
    expect(ch?.type === 'client_hello' && ch.extensions?.some((e) => e.type === ExtensionType.early_data)).toBe(false);
  });

  it('accepted: 0-RTT data under the early keys, EndOfEarlyData, zero violations, the key log entry', async () => {
    const s = await setup(4096);
    const r = await runInMemory(s.client({ earlyData: EARLY }), s.server(), {}, APP);
    expect(r.clientOutcome).toMatchObject({ kind: 'connected', session: { resumed: true } });
    expect(r.client.earlyData).toEqual({ offered: true, sent: EARLY.length, accepted: true });
    expect(r.server.earlyData).toEqual({ offered: true, accepted: true, received: EARLY.length });
    // the server delivers the 0-RTT data first, then the 1-RTT data
    expect(r.received.server.map((d) => dec.decode(d))).toEqual([dec.decode(EARLY), 'after']);
    const seq = types(r.transcript);
    expect(seq.slice(0, 2)).toEqual(['C->S client_hello', 'C->S application_data']);
    expect(seq).toContain('C->S end_of_early_data');
    expect(seq.indexOf('C->S end_of_early_data')).toBe(seq.indexOf('S->C finished') + 1);
    const eoed = r.transcript.messages.find((m) => m.type === 'end_of_early_data')!;
    expect(eoed.epoch).toBe('early');
    expect(r.transcript.messages.find((m) => m.kind === 'application_data')!.epoch).toBe('early');
    expect(r.transcript.secrets?.keylog?.some((l) => l.startsWith('CLIENT_EARLY_TRAFFIC_SECRET '))).toBe(true);
    // both sides derived the same early traffic secret
    const label = (e: { label: string }) => e.label === 'CLIENT_EARLY_TRAFFIC_SECRET';
    expect(r.server.keylog.find(label)?.secret).toEqual(r.client.keylog.find(label)?.secret);
    const j = await judged(r.transcript, s.first);
    expect(j.violations).toEqual([]);
    expect(j.status('t13.order.eoed')).toEqual(['pass']);
    expect(j.status('t13.order.early-data-window')).toEqual(['pass']);
    expect(j.status('t13.neg.early-data')).toEqual(['pass']);
    expect(j.status('rec.t13.early-data-limit')).toEqual(['pass']);
    // without the earlier connection the ticket's limit is unknown: inconclusive, never a pass
    const { verdicts } = await checkTranscript(r.transcript, { trustAnchors: pki.anchors });
    expect(verdicts.filter((v) => v.rule === 'rec.t13.early-data-limit').map((v) => v.status)).toEqual(['inconclusive']);
  });

  it('rejected by the server: no early_data in EncryptedExtensions, the data skipped, no EndOfEarlyData', async () => {
    const s = await setup(4096);
    const r = await runInMemory(s.client({ earlyData: EARLY }), s.server({ earlyData: 'reject' }), {}, APP);
    expect(r.clientOutcome).toMatchObject({ kind: 'connected', session: { resumed: true } });
    expect(r.client.earlyData).toEqual({ offered: true, sent: EARLY.length, accepted: false });
    expect(r.server.earlyData).toEqual({ offered: true, accepted: false, received: 0 });
    expect(r.received.server.map((d) => dec.decode(d))).toEqual(['after']);
    expect(types(r.transcript)).not.toContain('C->S end_of_early_data');
    const j = await judged(r.transcript, s.first);
    expect(j.violations).toEqual([]);
    expect(j.status('t13.order.eoed')).toEqual(['not-applicable']);
  });

  it('rejected after a HelloRetryRequest: ClientHello2 without early_data, in plaintext', async () => {
    const s = await setup(4096, { groups: [NamedGroup.secp256r1, NamedGroup.x25519], helloRetryForPreferredGroup: true });
    const r = await runInMemory(
      s.client({ earlyData: EARLY, groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] }),
      s.server(),
      {},
      APP,
    );
    expect(r.clientOutcome).toMatchObject({ kind: 'connected' });
    expect(r.client.earlyData).toMatchObject({ offered: true, accepted: false });
    const hellos = r.transcript.messages.filter((m) => m.type === 'client_hello');
    expect(hellos).toHaveLength(2);
    const ch2 = hellos[1]!.decoded?.body;
    expect(ch2?.type === 'client_hello' && ch2.extensions?.some((e) => e.type === ExtensionType.early_data)).toBe(false);
    expect((await judged(r.transcript, s.first)).violations).toEqual([]);
  });

  it('more than max_early_data_size bytes: the server ends with unexpected_message (RFC 8446 §4.6.1)', async () => {
    const s = await setup(64);
    // the client keeps to the limit; a hook sends a second 0-RTT record past it
    const more: EngineHooks = {
      beforeSend(m) {
        return m.kind === 'application_data' && m.handshake === 0 ? [m.raw, new Uint8Array(32)] : undefined;
      },
    };
    const r = await runInMemory(s.client({ earlyData: new Uint8Array(64) }), s.server(), { client: more });
    expect(r.client.earlyData.sent).toBe(64);
    expect(r.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.unexpected_message } });
    // the oracle names the client (96 bytes over 64); the server terminated, so it is not named
    const j = await judged(r.transcript, s.first);
    expect(j.violations.filter((v) => v.startsWith('rec.t13.early-data-limit'))).toEqual([
      expect.stringMatching(
        /^rec\.t13\.early-data-limit: The client sent 96 bytes of 0-RTT data, over the max_early_data_size 64/,
      ),
    ]);
  });

  it('EndOfEarlyData dropped: the client Finished does not open under the early keys (bad_record_mac)', async () => {
    const s = await setup(4096);
    const drop: EngineHooks = { beforeSend: (m) => (m.type === 'end_of_early_data' ? [] : undefined) };
    const r = await runInMemory(s.client({ earlyData: EARLY }), s.server(), { client: drop });
    expect(r.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.bad_record_mac } });
  });

  it('a replayed ClientHello with 0-RTT: accepted once (RFC 8446 §8), again only with antiReplay off', async () => {
    for (const antiReplay of [true, false]) {
      const s = await setup(4096);
      const cfg = s.client({ earlyData: EARLY });
      const first = await runInMemory(cfg, s.server({ antiReplay }));
      expect(first.server.earlyData.accepted).toBe(true);
      // replay: the same ClientHello and 0-RTT records, to a new server instance with the same ticket key and memory
      const replayed = first.transcript.records.filter((x) => x.dir === 'C->S').slice(0, 3);
      const again = new TlsServer(s.server({ antiReplay }));
      await again.start();
      const res = await again.receive(Uint8Array.from(replayed.flatMap((x) => [...x.raw])));
      expect(again.earlyData.accepted).toBe(!antiReplay);
      expect(res.appData.map((d) => dec.decode(d))).toEqual(antiReplay ? [] : [dec.decode(EARLY)]);
    }
  });

  it('t13.early.replay-once: a violation when one server instance accepts a replay, else a notice (RFC 8446 §8)', async () => {
    for (const antiReplay of [true, false]) {
      const s = await setup(4096);
      const key = await generateEcdhKeyPair(p, 'x25519');
      const now = Date.now();
      const tickets = [...s.store.tls13];
      const again = () =>
        s.client({
          earlyData: EARLY,
          random: new Uint8Array(32).fill(3),
          now: () => now,
          middleboxCompat: false,
          keyShareGroups: [NamedGroup.x25519],
          ephemeral: [key],
          sessionStore: { tls13: [...tickets], tls12: [] },
        });
      const original = await runInMemory(again(), s.server({ antiReplay }));
      const replay = await runInMemory(again(), s.server({ antiReplay }));
      const ch = (r: typeof replay) => r.transcript.messages.find((m) => m.type === 'client_hello')!.raw;
      expect(ch(replay)).toEqual(ch(original));
      expect([original.server.earlyData.accepted, replay.server.earlyData.accepted]).toEqual([true, !antiReplay]);
      const earlier = [s.first, original.transcript];
      const one = await checkTranscript(replay.transcript, { trustAnchors: pki.anchors, earlier, oneServerInstance: true });
      const any = await checkTranscript(replay.transcript, { trustAnchors: pki.anchors, earlier });
      const status = (c: typeof one) => c.verdicts.filter((v) => v.rule === 't13.early.replay-once').map((v) => v.status);
      expect(status(one)).toEqual([antiReplay ? 'pass' : 'violation']);
      expect(status(any)).toEqual([antiReplay ? 'pass' : 'inconclusive']);
      expect(any.notices.map((n) => n.kind)).toEqual(antiReplay ? [] : ['early-data-replay-accepted']);
    }
  });

  describe('the client checks the answer to its 0-RTT offer', () => {
    const eeWithEarlyData: EngineHooks = {
      beforeSend(m) {
        if (m.type !== 'encrypted_extensions') return undefined;
        const d = decodeHandshake(m.raw, { version: 0x0304 });
        const b = d.message.body;
        if (b.type !== 'encrypted_extensions') return undefined;
        b.extensions = [...b.extensions, { type: ExtensionType.early_data, body: { kind: 'empty' } }];
        return [encodeHandshake(d.message)];
      },
    };

    it('early data accepted for identity 1: illegal_parameter (RFC 8446 §4.2.10)', async () => {
      const s = await setup(4096);
      const psk = { identity: enc.encode('device-1'), key: new Uint8Array(32).fill(1) };
      // the server cannot open the ticket (another ticket key), takes the external PSK offered second, and a hook
      // puts early_data in its EncryptedExtensions all the same
      const r = await runInMemory(
        s.client({ earlyData: EARLY, psk }),
        s.server({ psks: [psk], sessionCache: new ServerSessionCache(p) }),
        { server: eeWithEarlyData },
      );
      expect(r.clientOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.illegal_parameter } });
    });

    it('early_data in EncryptedExtensions without an offer: unsupported_extension (RFC 8446 §4.2)', async () => {
      const s = await setup(4096);
      const r = await runInMemory(s.client(), s.server(), { server: eeWithEarlyData });
      expect(r.client.earlyData.offered).toBe(false);
      expect(r.clientOutcome).toMatchObject({
        kind: 'alert_sent',
        alert: { description: AlertDescription.unsupported_extension },
      });
    });

    it('a TLS 1.2 ServerHello after 0-RTT data: the client fails the connection (RFC 8446 App. D.3)', async () => {
      const s = await setup(4096);
      const r = await runInMemory(s.client({ earlyData: EARLY, versions: [0x0304, 0x0303] }), s.server({ versions: [0x0303] }));
      expect(r.client.earlyData).toMatchObject({ offered: true });
      expect(r.clientOutcome).toMatchObject({
        kind: 'alert_sent',
        alert: { description: AlertDescription.protocol_version },
        reason: expect.stringMatching(/^0-RTT data was sent/),
      });
      // the oracles see the 0-RTT record before the TLS 1.2 ServerHello and the client's abort after it
      const { verdicts } = await checkTranscript(r.transcript, { trustAnchors: pki.anchors, earlier: [s.first] });
      expect(verdicts.filter((v) => v.rule === 'ver.t13.0rtt-needs-13').map((v) => v.status)).toEqual(['pass']);
    });
  });

  it('the capture layer opens 0-RTT data and EndOfEarlyData with CLIENT_EARLY_TRAFFIC_SECRET from the key log', async () => {
    const s = await setup(4096);
    const r = await runInMemory(s.client({ earlyData: EARLY }), s.server(), {}, APP);
    const keys = new KeyStore();
    keys.add(r.client.keylog);
    const d = new ConnectionDecryptor(p, keys);
    const opened: Array<{ epoch: string; type: number; first: number }> = [];
    const streams = { 'C->S': new RecordStream(), 'S->C': new RecordStream() };
    for (const rec of r.transcript.records)
      for (const x of streams[rec.dir].push(rec.raw)) {
        const o = await d.open(rec.dir, x.contentType, x.version, x.fragment);
        if (o.kind === 'decrypted' && rec.dir === 'C->S')
          opened.push({ epoch: o.epoch, type: o.contentType, first: o.fragment[0]! });
      }
    expect(opened.slice(0, 2)).toEqual([
      { epoch: 'early', type: ContentType.application_data, first: EARLY[0]! },
      { epoch: 'early', type: ContentType.handshake, first: 5 },
    ]);
    // without the entry the 0-RTT record stays unreadable (and says why), the rest still opens
    const noEarly = new KeyStore();
    noEarly.add(r.client.keylog.filter((e) => e.label !== 'CLIENT_EARLY_TRAFFIC_SECRET'));
    const d2 = new ConnectionDecryptor(p, noEarly);
    const s2 = new RecordStream();
    const c2s = r.transcript.records.filter((x) => x.dir === 'C->S');
    const firstFlight = c2s.slice(0, 3).flatMap((x) => s2.push(x.raw));
    expect(firstFlight.map((x) => x.contentType)).toEqual([
      ContentType.handshake,
      ContentType.change_cipher_spec,
      ContentType.application_data,
    ]);
    let o: Awaited<ReturnType<ConnectionDecryptor['open']>> | undefined;
    for (const x of firstFlight) o = await d2.open('C->S', x.contentType, x.version, x.fragment);
    expect(o).toMatchObject({ kind: 'unreadable' });
    expect(o?.kind === 'unreadable' && o.reason).toMatch(/CLIENT_EARLY_TRAFFIC_SECRET/);
  });
});
