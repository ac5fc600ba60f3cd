/**
 * TLS 1.3 key schedule (RFC 8446 §7.1–7.5, §4.2.11.2 binders, §4.4.1 HRR
 * message_hash substitution, §4.4.4 Finished, §7.2 KeyUpdate), on HKDF
 * (RFC 5869) built from the provider's HMAC.
 */
import { bytesEqual, concatBytes } from '../wire/hex';
import type { CipherSuiteInfo } from '../wire/registry';
import { digest, type HashName, hashLength, hmac } from './hash';
import type { CryptoProvider } from './provider';

const enc = new TextEncoder();

/** HKDF-Extract(salt, IKM); an empty salt means HashLen zero bytes. */
export async function hkdfExtract(p: CryptoProvider, h: HashName, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
  return hmac(p, h, salt.length === 0 ? new Uint8Array(hashLength(h)) : salt, ikm);
}

/** HKDF-Expand(PRK, info, L). */
export async function hkdfExpand(
  p: CryptoProvider,
  h: HashName,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const hl = hashLength(h);
  if (length > 255 * hl) throw new RangeError(`HKDF-Expand length ${length} > 255*HashLen`);
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++, at += hl) {
    t = await hmac(p, h, prk, concatBytes([t, info, Uint8Array.of(i)]));
    out.set(t.subarray(0, Math.min(hl, length - at)), at);
  }
  return out;
}

/** The HkdfLabel structure: uint16 length, opaque label<7..255> = "tls13 " + label, opaque context<0..255>. */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const l = enc.encode(`tls13 ${label}`);
  if (l.length > 255 || context.length > 255 || length > 0xffff) throw new RangeError('HkdfLabel field too long');
  return concatBytes([Uint8Array.of(length >> 8, length & 0xff, l.length), l, Uint8Array.of(context.length), context]);
}

export async function hkdfExpandLabel(
  p: CryptoProvider,
  h: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return hkdfExpand(p, h, secret, hkdfLabel(label, context, length), length);
}

/** Derive-Secret(Secret, Label, Messages) given Transcript-Hash(Messages). */
export async function deriveSecret(
  p: CryptoProvider,
  h: HashName,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  return hkdfExpandLabel(p, h, secret, label, transcriptHash, hashLength(h));
}

/** Transcript-Hash of no messages (used by the "derived" and binder steps). */
export async function emptyHash(p: CryptoProvider, h: HashName): Promise<Uint8Array> {
  return digest(p, h, new Uint8Array(0));
}

/**
 * HelloRetryRequest (RFC 8446 §4.4.1): ClientHello1 is replaced in the
 * transcript by the synthetic message_hash message 254 00 00 HashLen Hash(CH1).
 */
export async function messageHashSubstitute(p: CryptoProvider, h: HashName, clientHello1: Uint8Array): Promise<Uint8Array> {
  const d = await digest(p, h, clientHello1);
  return concatBytes([Uint8Array.of(254, 0, 0, d.length), d]);
}

/**
 * Transcript messages with the HRR rule applied: when `messages[1]` is a
 * HelloRetryRequest (`hrr` true), messages[0] (ClientHello1) is replaced by message_hash.
 */
export async function transcriptWithHrr(
  p: CryptoProvider,
  h: HashName,
  messages: readonly Uint8Array[],
  hrr: boolean,
): Promise<Uint8Array[]> {
  if (!hrr || messages.length === 0) return [...messages];
  return [await messageHashSubstitute(p, h, messages[0]!), ...messages.slice(1)];
}

export interface Tls13ScheduleInput {
  hash: HashName;
  /** PSK (resumption or external); absent = HashLen zeros. */
  psk?: Uint8Array;
  /** (EC)DHE shared secret; absent = HashLen zeros (psk_ke). */
  sharedSecret?: Uint8Array;
  /** Transcript-Hash(ClientHello); needed for the early traffic/exporter secrets. */
  clientHelloHash?: Uint8Array;
  /** Transcript-Hash(ClientHello..ServerHello). */
  serverHelloHash: Uint8Array;
  /** Transcript-Hash(ClientHello..server Finished). */
  serverFinishedHash?: Uint8Array;
  /** Transcript-Hash(ClientHello..client Finished). */
  clientFinishedHash?: Uint8Array;
}

export interface Tls13Schedule {
  earlySecret: Uint8Array;
  extBinderKey: Uint8Array;
  resBinderKey: Uint8Array;
  clientEarlyTrafficSecret?: Uint8Array;
  earlyExporterMasterSecret?: Uint8Array;
  derivedForHandshake: Uint8Array;
  handshakeSecret: Uint8Array;
  clientHandshakeTrafficSecret: Uint8Array;
  serverHandshakeTrafficSecret: Uint8Array;
  /** finished_key of the client/server handshake traffic secrets. */
  clientFinishedKey: Uint8Array;
  serverFinishedKey: Uint8Array;
  derivedForMaster: Uint8Array;
  masterSecret: Uint8Array;
  clientApplicationTrafficSecret0?: Uint8Array;
  serverApplicationTrafficSecret0?: Uint8Array;
  exporterMasterSecret?: Uint8Array;
  resumptionMasterSecret?: Uint8Array;
}

/** An earlier schedule and the input it was computed from (tls13Schedule reuses what both inputs determine alike). */
export interface Tls13ScheduleFrom {
  input: Tls13ScheduleInput;
  schedule: Tls13Schedule;
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && bytesEqual(a, b));

/**
 * The whole RFC 8446 §7.1 schedule from its inputs; secrets whose transcript hash is not given are absent.
 *
 * With `from` (an earlier schedule of the same connection, e.g. the handshake secrets computed at the ServerHello),
 * the secrets that depend only on inputs both have with the same bytes (hash, PSK, shared secret, ClientHello and
 * ServerHello hashes; then the server and client Finished hashes) are taken from it instead of derived again; the
 * result is the one of a schedule from scratch.
 */
export async function tls13Schedule(
  p: CryptoProvider,
  input: Tls13ScheduleInput,
  from?: Tls13ScheduleFrom,
): Promise<Tls13Schedule> {
  const prev = from?.input;
  if (
    from &&
    prev &&
    prev.hash === input.hash &&
    sameBytes(prev.psk, input.psk) &&
    sameBytes(prev.sharedSecret, input.sharedSecret) &&
    sameBytes(prev.clientHelloHash, input.clientHelloHash) &&
    sameBytes(prev.serverHelloHash, input.serverHelloHash)
  ) {
    const h = input.hash;
    const {
      clientApplicationTrafficSecret0: _c,
      serverApplicationTrafficSecret0: _s,
      exporterMasterSecret: _e,
      resumptionMasterSecret: _r,
      ...base
    } = from.schedule;
    const s: Tls13Schedule = base;
    const sf = input.serverFinishedHash;
    if (sf) {
      const old = from.schedule;
      if (
        sameBytes(prev.serverFinishedHash, sf) &&
        old.clientApplicationTrafficSecret0 &&
        old.serverApplicationTrafficSecret0 &&
        old.exporterMasterSecret
      ) {
        s.clientApplicationTrafficSecret0 = old.clientApplicationTrafficSecret0;
        s.serverApplicationTrafficSecret0 = old.serverApplicationTrafficSecret0;
        s.exporterMasterSecret = old.exporterMasterSecret;
      } else {
        s.clientApplicationTrafficSecret0 = await deriveSecret(p, h, s.masterSecret, 'c ap traffic', sf);
        s.serverApplicationTrafficSecret0 = await deriveSecret(p, h, s.masterSecret, 's ap traffic', sf);
        s.exporterMasterSecret = await deriveSecret(p, h, s.masterSecret, 'exp master', sf);
      }
    }
    const cf = input.clientFinishedHash;
    if (cf)
      s.resumptionMasterSecret =
        sameBytes(prev.clientFinishedHash, cf) && from.schedule.resumptionMasterSecret
          ? from.schedule.resumptionMasterSecret
          : await deriveSecret(p, h, s.masterSecret, 'res master', cf);
    return s;
  }
  const h = input.hash;
  const zeros = new Uint8Array(hashLength(h));
  const empty = await emptyHash(p, h);
  const earlySecret = await hkdfExtract(p, h, zeros, input.psk ?? zeros);
  const extBinderKey = await deriveSecret(p, h, earlySecret, 'ext binder', empty);
  const resBinderKey = await deriveSecret(p, h, earlySecret, 'res binder', empty);
  const derivedForHandshake = await deriveSecret(p, h, earlySecret, 'derived', empty);
  const handshakeSecret = await hkdfExtract(p, h, derivedForHandshake, input.sharedSecret ?? zeros);
  const clientHandshakeTrafficSecret = await deriveSecret(p, h, handshakeSecret, 'c hs traffic', input.serverHelloHash);
  const serverHandshakeTrafficSecret = await deriveSecret(p, h, handshakeSecret, 's hs traffic', input.serverHelloHash);
  const derivedForMaster = await deriveSecret(p, h, handshakeSecret, 'derived', empty);
  const masterSecret = await hkdfExtract(p, h, derivedForMaster, zeros);
  const s: Tls13Schedule = {
    earlySecret,
    extBinderKey,
    resBinderKey,
    derivedForHandshake,
    handshakeSecret,
    clientHandshakeTrafficSecret,
    serverHandshakeTrafficSecret,
    clientFinishedKey: await finishedKey(p, h, clientHandshakeTrafficSecret),
    serverFinishedKey: await finishedKey(p, h, serverHandshakeTrafficSecret),
    derivedForMaster,
    masterSecret,
  };
  if (input.clientHelloHash) {
    s.clientEarlyTrafficSecret = await deriveSecret(p, h, earlySecret, 'c e traffic', input.clientHelloHash);
    s.earlyExporterMasterSecret = await deriveSecret(p, h, earlySecret, 'e exp master', input.clientHelloHash);
  }
  if (input.serverFinishedHash) {
    s.clientApplicationTrafficSecret0 = await deriveSecret(p, h, masterSecret, 'c ap traffic', input.serverFinishedHash);
    s.serverApplicationTrafficSecret0 = await deriveSecret(p, h, masterSecret, 's ap traffic', input.serverFinishedHash);
    s.exporterMasterSecret = await deriveSecret(p, h, masterSecret, 'exp master', input.serverFinishedHash);
  }
  if (input.clientFinishedHash)
    s.resumptionMasterSecret = await deriveSecret(p, h, masterSecret, 'res master', input.clientFinishedHash);
  return s;
}

/** finished_key = HKDF-Expand-Label(BaseKey, "finished", "", HashLen). */
export async function finishedKey(p: CryptoProvider, h: HashName, baseKey: Uint8Array): Promise<Uint8Array> {
  return hkdfExpandLabel(p, h, baseKey, 'finished', new Uint8Array(0), hashLength(h));
}

/** verify_data = HMAC(finished_key(BaseKey), Transcript-Hash(messages before this Finished)). */
export async function finished13(
  p: CryptoProvider,
  h: HashName,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  return hmac(p, h, await finishedKey(p, h, baseKey), transcriptHash);
}

/** PSK binder = HMAC(finished_key(binder_key), Transcript-Hash(Truncate(ClientHello)) [with earlier HRR messages]). */
export async function pskBinder(
  p: CryptoProvider,
  h: HashName,
  binderKey: Uint8Array,
  truncatedTranscriptHash: Uint8Array,
): Promise<Uint8Array> {
  return finished13(p, h, binderKey, truncatedTranscriptHash);
}

/** binder_key = Derive-Secret(early_secret(psk), "ext binder" | "res binder", ""). */
export async function binderKey(
  p: CryptoProvider,
  h: HashName,
  psk: Uint8Array,
  kind: 'external' | 'resumption',
): Promise<Uint8Array> {
  const early = await hkdfExtract(p, h, new Uint8Array(hashLength(h)), psk);
  return deriveSecret(p, h, early, kind === 'external' ? 'ext binder' : 'res binder', await emptyHash(p, h));
}

/** Resumption PSK of a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, HashLen). */
export async function resumptionPsk(
  p: CryptoProvider,
  h: HashName,
  resumptionMasterSecret: Uint8Array,
  ticketNonce: Uint8Array,
): Promise<Uint8Array> {
  return hkdfExpandLabel(p, h, resumptionMasterSecret, 'resumption', ticketNonce, hashLength(h));
}

/** KeyUpdate: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", HashLen). */
export async function nextTrafficSecret(p: CryptoProvider, h: HashName, secret: Uint8Array): Promise<Uint8Array> {
  return hkdfExpandLabel(p, h, secret, 'traffic upd', new Uint8Array(0), hashLength(h));
}

/** TLS-Exporter(label, context, length) from an (early) exporter master secret (RFC 8446 §7.5). */
export async function exporter13(
  p: CryptoProvider,
  h: HashName,
  exporterMasterSecret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const s = await deriveSecret(p, h, exporterMasterSecret, label, await emptyHash(p, h));
  return hkdfExpandLabel(p, h, s, 'exporter', await digest(p, h, context), length);
}

/** AEAD key length of a TLS 1.3 suite. */
export function tls13KeyLength(suite: CipherSuiteInfo): number {
  switch (suite.cipher) {
    case 'AES_128_GCM':
    case 'AES_128_CCM':
    case 'AES_128_CCM_8':
      return 16;
    case 'AES_256_GCM':
    case 'CHACHA20_POLY1305':
      return 32;
    default:
      throw new Error(`not a TLS 1.3 AEAD: ${suite.name}`);
  }
}

export interface TrafficKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

/** [sender]_write_key / _iv from a traffic secret (RFC 8446 §7.3); iv is 12 bytes. */
export async function trafficKeys(p: CryptoProvider, h: HashName, secret: Uint8Array, keyLength: number): Promise<TrafficKeys> {
  const key = await hkdfExpandLabel(p, h, secret, 'key', new Uint8Array(0), keyLength);
  const iv = await hkdfExpandLabel(p, h, secret, 'iv', new Uint8Array(0), 12);
  return { key, iv };
}
