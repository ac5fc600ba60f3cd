/**
 * TLS 1.3 0-RTT (RFC 8446 §2.3, §4.2.10, §4.5, §4.6.1): a first connection whose ticket allows 0-RTT data (the server
 * configured with max_early_data_size), then a resumption that sends early data, where one side breaks what the
 * RFC says about it: more 0-RTT data than the ticket allows, 0-RTT data without the early_data extension,
 * EndOfEarlyData missing, duplicated or sent after a rejection, early data accepted for another identity than the first,
 * 0-RTT data again after ClientHello2, a record that opens under no key spliced into the Finished after skipped 0-RTT
 * data (tlsfuzzer's test-tls13-0rtt-garbage); and the valid shapes of 0-RTT data the early family also runs.
 * Each needs a ticket from an earlier connection, so each runs in memory offline (where: 'configuration'); those
 * declaring `zeroRtt` run live too (the early family, fuzz/families.ts).
 */
import { binderKey, type CryptoProvider, digest, ecdhGroupOf, generateEcdhKeyPair, pskBinder } from '../../crypto';
import type { ClientConfig, ServerConfig } from '../../engine/config';
import type { EngineHooks, FramePiece } from '../../engine/hooks';
import { runInMemory } from '../../engine/memory';
import { type ClientSessionStore, newClientSessionStore, ServerSessionCache, type StoredTicket13 } from '../../engine/session';
import { engineSuite } from '../../engine/suites';
import { decodeHandshake, encodeBody, encodeHandshake } from '../../wire/handshake';
import { ContentType as CT, ExtensionType as X } from '../../wire/registry';
import type { RuleId } from '../../oracles/catalogue';
import type { Mutation } from './model';
import type { BaseEnv, BaseName, Prepared } from './support';
import { VERSION_CODE } from '../../wire/vocabulary';

const T13: readonly BaseName[] = ['t13-server-auth'];
/** The ticket's max_early_data_size in these runs. */
const MAX_EARLY = 1024;
const EARLY = new TextEncoder().encode('0-RTT request');
const EOED = encodeBody({ type: 'end_of_early_data' });

/**
 * A first connection from `env` whose ticket allows MAX_EARLY bytes of 0-RTT data (its transcript goes to the check),
 * then the configurations of a resumption that sends `earlyData`.
 */
async function zeroRtt(
  env: BaseEnv,
  opts: { server?: Partial<ServerConfig>; second?: Partial<ClientConfig>; earlyData?: Uint8Array } = {},
): Promise<Prepared & { store: ClientSessionStore }> {
  const store = newClientSessionStore();
  const cache = new ServerSessionCache(env.provider);
  const c1: ClientConfig = { ...env.client, sessionStore: store, pskModes: [1] };
  const s1: ServerConfig = { ...env.server, sessionCache: cache, maxEarlyDataSize: MAX_EARLY };
  const first = await runInMemory(c1, s1, {}, { seed: env.choice.seed, plan: `${env.spec.name}/first` });
  if (first.clientOutcome.kind !== 'connected' || !store.tls13[0]?.maxEarlyDataSize)
    throw new Error(`the first connection did not leave a 0-RTT ticket: ${first.clientOutcome.kind}`);
  const random = Uint8Array.from(env.client.random ?? new Uint8Array(32));
  random[0]! ^= 0x5a;
  return {
    client: { ...c1, random, earlyData: opts.earlyData ?? EARLY, ...opts.second },
    server: { ...s1, ...opts.server },
    check: { earlier: [first.transcript] },
    store,
  };
}

/**
 * A client hook that takes early_data out of the ClientHello and recomputes the binder of `ticket` (the first
 * identity), so the server accepts the PSK while the 0-RTT data that follows has no early_data before it.
 */
export function withoutEarlyDataExtension(ticket: StoredTicket13, P: CryptoProvider): EngineHooks {
  const h = engineSuite(ticket.cipherSuite)!.prfHash;
  return once('client_hello', async (raw) => {
    const m = decodeHandshake(raw, { version: VERSION_CODE['1.3'] });
    const b = m.message.body;
    if (b.type !== 'client_hello' || !b.extensions) return [raw];
    b.extensions = b.extensions.filter((e) => e.type !== X.early_data);
    const last = b.extensions[b.extensions.length - 1];
    if (last?.body.kind !== 'pre_shared_key_client') return [raw];
    const bare = encodeHandshake(m.message);
    const cut = 2 + last.body.binders.reduce((n, x) => n + 1 + x.length, 0);
    const th = await digest(P, h, bare.subarray(0, bare.length - cut));
    last.body.binders = [await pskBinder(P, h, await binderKey(P, h, ticket.psk, 'resumption'), th)];
    return [encodeHandshake(m.message)];
  });
}

/** A client hook that changes the first message of a type once (its output is what the client hashes and sends). */
export function once(type: string, f: (raw: Uint8Array) => Uint8Array[] | Promise<Uint8Array[]>): EngineHooks {
  let done = false;
  return {
    async beforeSend(m) {
      if (done || m.type !== type) return undefined;
      done = true;
      return f(m.raw);
    },
  };
}

/**
 * A replay (RFC 8446 §8): a client configuration that sends the same ClientHello and 0-RTT record each time it runs (a
 * fixed random, key share, clock, no compatibility session ID, a copy of the store holding the ticket), and its first
 * run against `server` (the original the second run replays).
 */
async function replayed(env: BaseEnv, p: Prepared & { store: ClientSessionStore }): Promise<Prepared> {
  const g = ecdhGroupOf(env.choice.group);
  if (!g) throw new Error(`group 0x${env.choice.group.toString(16)} is not an ECDH group`);
  const now = Date.now();
  const again = (): ClientConfig => ({
    ...p.client,
    sessionStore: { tls13: [...p.store.tls13], tls12: [] },
    now: () => now,
    middleboxCompat: false,
    keyShareGroups: [env.choice.group],
    ephemeral: [key],
  });
  const key = await generateEcdhKeyPair(env.provider, g);
  const original = await runInMemory(again(), p.server, {}, { seed: env.choice.seed, plan: `${env.spec.name}/original` });
  return {
    client: again(),
    server: p.server,
    check: { earlier: [...(p.check?.earlier ?? []), original.transcript], oneServerInstance: true },
  };
}

/** One more 0-RTT record (64 bytes) after the first: past a max_early_data_size the first fills. */
const overLimit = (): EngineHooks => once('application_data', (raw) => [raw, new Uint8Array(64).fill(0x62)]);
const eoedMissing = (): EngineHooks => once('end_of_early_data', () => []);
const eoedTwice = (): EngineHooks => once('end_of_early_data', (raw) => [raw, raw]);
/**
 * Live, the server reads the record after a missing EndOfEarlyData, or after the first of two, under keys it was not
 * protected with (the handshake keys instead of the early ones, or the other way round), and 0-RTT data after a
 * ClientHello without early_data under the handshake keys: RFC 8446 §5.2 "If the decryption fails, the receiver MUST
 * terminate the connection with a "bad_record_mac" alert" (t13.ks.traffic-keys declares it), as §4.2.10 says of a
 * 0-RTT record after an accepted early_data that does not decrypt.
 */
const UNOPENED: readonly RuleId[] = ['t13.ks.traffic-keys'];

/**
 * Valid shapes of 0-RTT data (the early family's valid members, fuzz/families.ts), after tlsfuzzer's
 * test-tls13-0rtt-garbage.py: the early data in two records (`fragmented`), or in two records with a dummy
 * ChangeCipherSpec between them (`ccs-between`: RFC 8446 §5, "An implementation may receive an unencrypted record of
 * type change_cipher_spec consisting of the single byte value 0x01 at any time after the first ClientHello message has
 * been sent or received and before the peer's Finished message has been received and MUST simply drop it without
 * further processing"). A server that accepts the 0-RTT data reads both records; one that rejected it skips them
 * (RFC 8446 §4.2.10); either way the handshake completes.
 */
export const EARLY_SHAPES = ['fragmented', 'ccs-between'] as const;
export type EarlyShape = (typeof EARLY_SHAPES)[number];

/** Our client's first 0-RTT record (at least 2 bytes of data) sent as two records, in the given shape. */
export function earlyDataShaped(shape: EarlyShape): EngineHooks {
  let done = false;
  return {
    beforeFrame(f) {
      if (done || !f.protected || f.contentType !== CT.application_data || f.content.length < 2) return undefined;
      done = true;
      const half = f.content.length >> 1;
      const between: FramePiece[] =
        shape === 'ccs-between' ? [{ contentType: CT.change_cipher_spec, fragment: Uint8Array.of(1), plaintext: true }] : [];
      return [
        { contentType: CT.application_data, fragment: f.content.subarray(0, half) },
        ...between,
        { contentType: CT.application_data, fragment: f.content.subarray(half) },
      ];
    },
  };
}

/**
 * ClientHello1 with an empty key_share (RFC 8446 §4.2.8: "This vector MAY be empty if the client is requesting a
 * HelloRetryRequest"): a server that shares a group with us answers with a HelloRetryRequest (§4.1.1).
 */
const RETRY: Pick<ClientConfig, 'keyShareGroups'> = { keyShareGroups: [] };

/**
 * The first 0-RTT record (sealed under the early keys of ClientHello1, which the server skips after its
 * HelloRetryRequest, RFC 8446 §4.2.10) sent once more after ClientHello2, whose hello has no early_data: before the
 * next record our client sends (its Finished, once the server's flight is in), as tlsfuzzer's "handshake with 0-RTT,
 * HRR and early data after 2nd Client Hello" sends its record in place of the Finished.
 */
export function earlyDataAfterClientHello2(): EngineHooks {
  let hellos = 0;
  let early: Uint8Array | undefined;
  let done = false;
  return {
    beforeSendRecord(r) {
      if (done) return undefined;
      if (hellos === 2 && early) {
        done = true;
        return [{ side: r.side, raw: early }, r];
      }
      if (r.raw[0] === CT.application_data && hellos === 1 && !early) early = r.raw;
      if (r.raw[0] === CT.handshake) hellos++;
      return undefined;
    },
  };
}

/** 64 bytes that open under no key: the "early data" the client splices into its Finished. */
const GARBAGE = Uint8Array.from({ length: 64 }, (_, i) => (i * 29 + 7) & 0xff);

/**
 * Our client's Finished split after its first 16 bytes, a plaintext record of outer type application_data that opens
 * under no key between the two parts (tlsfuzzer's "undecryptable record later in handshake together with early_data").
 */
export function undecryptableInFinished(): EngineHooks {
  let done = false;
  return {
    beforeFrame(f) {
      if (done || !f.protected || f.contentType !== CT.handshake || f.content[0] !== 20) return undefined;
      done = true;
      const pieces: FramePiece[] = [
        { contentType: CT.handshake, fragment: f.content.subarray(0, 16) },
        { contentType: CT.application_data, fragment: GARBAGE, plaintext: true },
        { contentType: CT.handshake, fragment: f.content.subarray(16) },
      ];
      return pieces;
    },
  };
}

/**
 * The ticket with one byte changed in its middle: the server cannot open it, negotiates a full handshake and rejects
 * the 0-RTT data, which it skips (RFC 8446 §4.2.10), as tlsfuzzer's probes do with an identity the server never issued.
 */
export function unopenableTicket(t: StoredTicket13): StoredTicket13 {
  const ticket = Uint8Array.from(t.ticket);
  ticket[ticket.length >> 1]! ^= 0x01;
  return { ...t, ticket };
}

export const EARLY_DATA_MUTATIONS: readonly Mutation[] = [
  {
    name: 't13-0rtt-replay-accepted',
    description:
      'the same ClientHello with 0-RTT data sent twice to one server instance, which accepts the early data both times (no anti-replay)',
    versions: ['1.3'],
    rules: ['t13.early.replay-once'],
    where: 'configuration',
    bases: T13,
    apply: async (env) => replayed(env, await zeroRtt(env, { server: { antiReplay: false } })),
    zeroRtt: { replay: true },
  },
  {
    name: 't13-0rtt-over-max-early-data-size',
    description: 'the client sends 0-RTT data past the max_early_data_size of the ticket it resumes (one more record)',
    versions: ['1.3'],
    rules: ['rec.t13.early-data-limit'],
    where: 'configuration',
    bases: T13,
    apply: async (env) => {
      const p = await zeroRtt(env, { earlyData: new Uint8Array(MAX_EARLY).fill(0x61) });
      return { ...p, hooks: { client: overLimit() } };
    },
    zeroRtt: { data: (max) => new Uint8Array(max).fill(0x61), hooks: () => overLimit() },
  },
  {
    name: 't13-0rtt-without-early-data-extension',
    description: 'the client sends 0-RTT data after a ClientHello without early_data (the binder recomputed)',
    versions: ['1.3'],
    rules: ['t13.order.early-data-window'],
    where: 'configuration',
    bases: T13,
    apply: async (env) => {
      const p = await zeroRtt(env);
      const hook = withoutEarlyDataExtension(p.store.tls13[0]!, env.provider);
      return { ...p, hooks: { client: hook } };
    },
    zeroRtt: { hooks: withoutEarlyDataExtension, invalidAt: 'application_data', reactionRules: UNOPENED },
  },
  {
    name: 't13-eoed-missing',
    description: 'the server accepts 0-RTT data and the client leaves out EndOfEarlyData',
    versions: ['1.3'],
    rules: ['t13.order.eoed'],
    where: 'configuration',
    bases: T13,
    apply: async (env) => ({ ...(await zeroRtt(env)), hooks: { client: eoedMissing() } }),
    zeroRtt: { hooks: () => eoedMissing(), reactionRules: UNOPENED },
  },
  {
    name: 't13-eoed-duplicated',
    description: 'the client sends EndOfEarlyData twice after accepted 0-RTT data',
    versions: ['1.3'],
    rules: ['t13.order.eoed'],
    where: 'configuration',
    bases: T13,
    apply: async (env) => ({ ...(await zeroRtt(env)), hooks: { client: eoedTwice() } }),
    zeroRtt: { hooks: () => eoedTwice(), reactionRules: UNOPENED },
  },
  {
    name: 't13-eoed-after-rejected-early-data',
    description: 'the server rejects the 0-RTT data and the client still sends EndOfEarlyData before its Finished',
    versions: ['1.3'],
    rules: ['t13.order.eoed'],
    where: 'configuration',
    bases: T13,
    apply: async (env) => ({
      ...(await zeroRtt(env, { server: { earlyData: 'reject' } })),
      hooks: { client: once('finished', (raw) => [EOED, raw]) },
    }),
  },
  {
    name: 't13-early-data-accepted-second-identity',
    description:
      'the client offers its ticket and an external PSK; the server, which cannot open the ticket, selects the external PSK (identity 1) and still accepts early data',
    versions: ['1.3'],
    rules: ['t13.neg.early-data'],
    where: 'configuration',
    bases: T13,
    apply: async (env) => {
      const psk = { identity: new TextEncoder().encode('device-13'), key: new Uint8Array(32).fill(0x13) };
      // another ticket key: the server cannot open the ticket, and takes the external PSK offered second
      const p = await zeroRtt(env, {
        second: { psk },
        server: { psks: [psk], sessionCache: new ServerSessionCache(env.provider) },
      });
      const ee = once('encrypted_extensions', (raw) => {
        const m = decodeHandshake(raw, { version: VERSION_CODE['1.3'] });
        const b = m.message.body;
        if (b.type !== 'encrypted_extensions') return [raw];
        b.extensions = [...b.extensions, { type: X.early_data, body: { kind: 'empty' } }];
        return [encodeHandshake(m.message)];
      });
      return { ...p, hooks: { server: ee } };
    },
  },
  {
    name: 't13-0rtt-after-client-hello2',
    description:
      'the server answers our 0-RTT ClientHello (empty key_share) with a HelloRetryRequest; the client sends its 0-RTT record again after ClientHello2 (which has no early_data), before its Finished',
    versions: ['1.3'],
    rules: ['rec.integrity'],
    where: 'configuration',
    bases: T13,
    apply: async (env) => ({ ...(await zeroRtt(env, { second: RETRY })), hooks: { client: earlyDataAfterClientHello2() } }),
    zeroRtt: { config: RETRY, hooks: () => earlyDataAfterClientHello2() },
  },
  {
    name: 't13-0rtt-rejected-undecryptable-in-finished',
    description:
      'the server cannot open our ticket and skips our 0-RTT data; a record that opens under no key is spliced into our Finished after its first 16 bytes',
    versions: ['1.3'],
    rules: ['rec.integrity'],
    where: 'configuration',
    bases: T13,
    apply: async (env) => {
      const p = await zeroRtt(env);
      p.store.tls13[0] = unopenableTicket(p.store.tls13[0]!);
      return { ...p, hooks: { client: undecryptableInFinished() } };
    },
    zeroRtt: { ticket: unopenableTicket, hooks: () => undecryptableInFinished() },
  },
];
