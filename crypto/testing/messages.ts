/**
 * Field access to handshake messages for the crypto tests, on top of the
 * wire codec (wire/handshake.ts decodeHandshake). Kept as one small adapter
 * so the crypto tests depend on the codec in one place only.
 */
import { X509Certificate } from 'node:crypto';
import { decodeHandshake, type HandshakeBody, serverKeyExchangeParamsLength } from '../../wire/handshake';
import { fromHex } from '../../wire/hex';
import { VERSION_CODE } from '../../wire/vocabulary';

export interface RawMessage {
  type: number;
  body: Uint8Array;
  bytes: Uint8Array;
}

export function splitMessage(bytes: Uint8Array): RawMessage {
  const len = (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!;
  if (len + 4 !== bytes.length) throw new Error(`handshake length ${len} vs ${bytes.length - 4} bytes`);
  return { type: bytes[0]!, body: bytes.subarray(4), bytes };
}

function decode<T extends HandshakeBody['type']>(m: RawMessage, type: T, version?: number): Extract<HandshakeBody, { type: T }> {
  const ctx = version === undefined ? {} : { version, kex: 'ECDHE_RSA' as const };
  const body = decodeHandshake(m.bytes, ctx).message.body;
  if (body.type !== type) throw new Error(`expected ${type}, got ${body.type}`);
  return body as Extract<HandshakeBody, { type: T }>;
}

export interface Hello {
  random: Uint8Array;
  cipherSuite?: number;
  /** Extension type codes present. */
  extensions: Set<number>;
}

/** ClientHello (type 1) or ServerHello (type 2) random, suite and extension types. */
export function parseHello(m: RawMessage): Hello {
  if (m.type === 1) {
    const ch = decode(m, 'client_hello');
    return { random: ch.random, extensions: new Set((ch.extensions ?? []).map((e) => e.type)) };
  }
  const sh = decode(m, 'server_hello');
  return { random: sh.random, cipherSuite: sh.cipherSuite, extensions: new Set((sh.extensions ?? []).map((e) => e.type)) };
}

/** Certificate (type 11) DER list. */
export function parseCertificates(m: RawMessage, tls13: boolean): Uint8Array[] {
  const c = decode(m, 'certificate', tls13 ? VERSION_CODE['1.3'] : VERSION_CODE['1.2']);
  return c.form === 'tls13' ? c.entries.map((e) => e.data) : c.certificates;
}

/** SubjectPublicKeyInfo DER of a certificate. */
export function spkiOf(certDer: Uint8Array): Uint8Array {
  return new Uint8Array(new X509Certificate(Buffer.from(certDer)).publicKey.export({ type: 'spki', format: 'der' }));
}

export interface DigitallySigned {
  scheme: number;
  signature: Uint8Array;
}

/** CertificateVerify (type 15). */
export function parseCertificateVerify(m: RawMessage): DigitallySigned {
  const cv = decode(m, 'certificate_verify');
  return { scheme: cv.scheme, signature: cv.signature };
}

/** ECDHE ServerKeyExchange (type 12): the signed params bytes, the public point and the signature. */
export function parseEcdheServerKeyExchange(m: RawMessage): {
  params: Uint8Array;
  namedCurve: number;
  publicKey: Uint8Array;
  signed: DigitallySigned;
} {
  const ske = decode(m, 'server_key_exchange', VERSION_CODE['1.2']);
  if (ske.kex !== 'ecdhe' || !ske.signed) throw new Error('not a signed ECDHE ServerKeyExchange');
  return {
    params: m.body.slice(0, serverKeyExchangeParamsLength(ske)),
    namedCurve: ske.namedCurve,
    publicKey: ske.publicKey,
    signed: ske.signed,
  };
}

/** Finished (type 20) verify_data. */
export function finishedVerifyData(m: RawMessage): Uint8Array {
  return decode(m, 'finished').verifyData;
}

export function messagesFromHex(hexes: readonly string[]): RawMessage[] {
  return hexes.map((h) => splitMessage(fromHex(h)));
}
