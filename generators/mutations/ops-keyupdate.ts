/**
 * The KeyUpdate family (towards TLS 1.3 servers; tlsfuzzer's test-tls13-keyupdate): once the handshake is done our
 * client sends KeyUpdates (RFC 8446 §4.6.3) and switches its write keys after each (`keyUpdate.updates`), then
 * application data; the hooks here break one of them as it is sent:
 *
 * - request_update 2 (illegal_parameter, §4.6.3), a KeyUpdate with a byte too many or none (decode_error, §6);
 * - the KeyUpdate sent, then data protected with the old key (bad_record_mac, §5.2);
 * - two KeyUpdates in one record: the first does not end at the record boundary before the key change
 *   (unexpected_message, §5.1);
 * - a KeyUpdate split over two records, both under the old key: valid, the server goes on (§5.1);
 * - a KeyUpdate before our Finished (unexpected_message, §4.6.3).
 *
 * The mutations that also run offline (transcript edits in ops-wire.ts and ops-keys.ts) carry the live part from
 * here in their own declaration; the live-only ones are declared here.
 *
 * Towards TLS 1.3 clients (`server-sends`, fuzz/client-families.ts): our server sends KeyUpdate(update_requested)
 * once the handshake is done, then data; the client must go on (and answer with its own KeyUpdate before its next
 * data, t13.neg.keyupdate-values), or refuse the broken ones as above.
 */
import type { EngineHooks, HookMessage } from '../../engine/hooks';
import { concatBytes } from '../../wire/hex';
import { ContentType as CT, HandshakeType } from '../../wire/registry';
import { clientHooks, type KeyUpdateLive, type Mutation, serverHooks } from './model';

const KU = HandshakeType.key_update;
/** Data protected with the sender's old key after its KeyUpdate (what the receiver must not read). */
const OLD_KEY_DATA = new TextEncoder().encode('tlsprop data under the old key\n');

const isKeyUpdate = (m: HookMessage): boolean => m.kind === 'handshake' && m.type === 'key_update';

/** Our first KeyUpdate's bytes replaced by `raw` (header included). */
const replaceFirstKeyUpdate = (raw: Uint8Array): EngineHooks => {
  let done = false;
  return {
    beforeSend: (m) => {
      if (done || !isKeyUpdate(m)) return undefined;
      done = true;
      return [raw];
    },
  };
};

/** A KeyUpdate with request_update 2 (neither update_not_requested nor update_requested). */
const badValue = (): EngineHooks => replaceFirstKeyUpdate(Uint8Array.of(KU, 0, 0, 1, 2));
export const KU_BAD_VALUE: KeyUpdateLive = { updates: [false], hooks: badValue };

/**
 * Our first KeyUpdate goes out under the current key, and with it a record of application data under that same
 * (old) key; the engine switches its keys after the KeyUpdate as usual, but the server has the old-key record first.
 */
const oldKey = (): EngineHooks => {
  let done = false;
  return {
    beforeSend: async (m) => {
      if (done || !isKeyUpdate(m) || !m.sendRecord) return undefined;
      done = true;
      await m.sendRecord(CT.handshake, m.raw);
      await m.sendRecord(CT.application_data, OLD_KEY_DATA);
      return [];
    },
  };
};
export const KU_OLD_KEY: KeyUpdateLive = { updates: [false], hooks: oldKey };

/** A KeyUpdate(update_not_requested) under the handshake keys right before our Finished. */
export const KU_IN_CLIENT_FLIGHT: KeyUpdateLive = {
  updates: [],
  hooks: () => {
    let done = false;
    return {
      beforeSend: async (m) => {
        if (done || m.kind !== 'handshake' || m.type !== 'finished' || !m.sendRecord) return undefined;
        done = true;
        await m.sendRecord(CT.handshake, Uint8Array.of(KU, 0, 0, 1, 0));
        return [m.raw];
      },
    };
  },
};

/** The first KeyUpdate's protected content reframed by `pieces` (each a record under the current, old, key). */
const reframeFirstKeyUpdate = (pieces: (content: Uint8Array) => Uint8Array[]): EngineHooks => {
  let done = false;
  return {
    beforeFrame: (f) => {
      if (done || !f.protected || f.contentType !== CT.handshake || f.content[0] !== KU) return undefined;
      done = true;
      return pieces(f.content).map((fragment) => ({ contentType: CT.handshake, fragment }));
    },
  };
};

/** Our first KeyUpdate goes out as it is: the hook marks where the input under test starts (a valid one). */
const markFirstKeyUpdate = (): EngineHooks => {
  let done = false;
  return {
    beforeSend: (m) => {
      if (done || !isKeyUpdate(m)) return undefined;
      done = true;
      return [m.raw];
    },
  };
};

export const KEYUPDATE_MUTATIONS: readonly Mutation[] = [
  {
    name: 't13-keyupdate-trailing-byte',
    description: 'a KeyUpdate of two bytes (update_not_requested and a zero byte after it)',
    versions: ['1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: [],
    keyUpdate: { updates: [false] },
    ...clientHooks(() => replaceFirstKeyUpdate(Uint8Array.of(KU, 0, 0, 2, 0, 0))),
  },
  {
    name: 't13-keyupdate-empty',
    description: 'a KeyUpdate with an empty body (no request_update)',
    versions: ['1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: [],
    keyUpdate: { updates: [false] },
    ...clientHooks(() => replaceFirstKeyUpdate(Uint8Array.of(KU, 0, 0, 0))),
  },
  {
    name: 't13-keyupdate-two-in-one-record',
    description: 'two KeyUpdates in one record under the old key: the first does not end at the record boundary',
    versions: ['1.3'],
    rules: ['rec.t13.hs-key-change-boundary'],
    bases: [],
    keyUpdate: { updates: [false] },
    ...clientHooks(() => reframeFirstKeyUpdate((c) => [concatBytes([c, c])])),
  },
  {
    name: 't13-keyupdate-fragmented',
    description: 'a KeyUpdate split over two records under the old key (valid: the server reassembles it and goes on)',
    versions: ['1.3'],
    rules: ['rec.hs-fragmentation', 't13.ku.update-accepted'],
    bases: [],
    keyUpdate: { updates: [true] },
    ...clientHooks(() => reframeFirstKeyUpdate((c) => [c.subarray(0, 2), c.subarray(2)])),
  },
  // ---- towards clients
  {
    name: 't13-server-keyupdate-requested',
    description: 'our server sends KeyUpdate(update_requested) after the handshake, then data under its new keys',
    versions: ['1.3'],
    rules: ['t13.ku.update-accepted'],
    bases: [],
    keyUpdate: { updates: [true] },
    ...serverHooks(markFirstKeyUpdate),
  },
  {
    name: 't13-server-keyupdate-bad-value',
    description: 'our server sends a KeyUpdate with request_update 2 after the handshake',
    versions: ['1.3'],
    rules: ['t13.neg.keyupdate-values'],
    bases: [],
    keyUpdate: KU_BAD_VALUE,
    ...serverHooks(badValue),
  },
  {
    name: 't13-server-keyupdate-trailing-byte',
    description: 'our server sends a KeyUpdate of two bytes (update_not_requested and a zero byte after it)',
    versions: ['1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: [],
    keyUpdate: { updates: [false] },
    ...serverHooks(() => replaceFirstKeyUpdate(Uint8Array.of(KU, 0, 0, 2, 0, 0))),
  },
  {
    name: 't13-server-keyupdate-old-key',
    description: 'our server sends KeyUpdate, then protects application data with its old key',
    versions: ['1.3'],
    rules: ['t13.ks.key-update', 'rec.t13.keyupdate-keys'],
    bases: [],
    keyUpdate: KU_OLD_KEY,
    ...serverHooks(oldKey),
  },
];
