/**
 * TLS 1.2 RSA key transport (RFC 5246 §7.4.7.1): PKCS#1 v1.5 encryption of
 * the 48-byte premaster (client_version first). WebCrypto has no RSAES-PKCS1-v1_5,
 * and Node 20 refuses PKCS#1 v1.5 private decryption (Marvin mitigation), so
 * the padding is built and checked here and node:crypto does raw RSA
 * (RSA_NO_PADDING). Decryption reports the failure kind (we are a test tool,
 * so the "oracle" is the point), never throws on bad ciphertext.
 */
import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt } from 'node:crypto';
import { concatBytes } from '../wire/hex';
import { randomBytes, type CryptoProvider } from './provider';
import { fail, type Result } from './result';

/** 48-byte premaster: client_version (2 bytes) + 46 random bytes. */
export function makePremaster(p: CryptoProvider, clientVersion: number): Uint8Array {
  const pm = randomBytes(p, 48);
  pm[0] = clientVersion >> 8;
  pm[1] = clientVersion & 0xff;
  return pm;
}

function modulusBytes(spki: Uint8Array): number {
  const k = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const bits = k.asymmetricKeyDetails?.modulusLength;
  if (k.asymmetricKeyType !== 'rsa' || !bits) throw new Error('not an RSA public key');
  return Math.ceil(bits / 8);
}

/** EME-PKCS1-v1_5 encoding 00 02 PS 00 M with PS non-zero random bytes from the provider. */
export function pkcs1v15Pad(p: CryptoProvider, message: Uint8Array, k: number): Uint8Array {
  const psLen = k - 3 - message.length;
  if (psLen < 8) throw new RangeError('message too long for PKCS#1 v1.5');
  const ps = randomBytes(p, psLen);
  for (let i = 0; i < ps.length; i++) while (ps[i] === 0) ps[i] = randomBytes(p, 1)[0]!;
  return concatBytes([Uint8Array.of(0, 2), ps, Uint8Array.of(0), message]);
}

/** Raw RSA public operation on an already encoded block of k bytes (for crafting bad paddings). */
export async function rsaEncryptRaw(_p: CryptoProvider, spki: Uint8Array, block: Uint8Array): Promise<Uint8Array> {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  return new Uint8Array(publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, block));
}

/** EncryptedPreMasterSecret body (without the TLS 1.2 2-byte length prefix). */
export async function encryptPremaster(p: CryptoProvider, spki: Uint8Array, premaster: Uint8Array): Promise<Uint8Array> {
  return rsaEncryptRaw(p, spki, pkcs1v15Pad(p, premaster, modulusBytes(spki)));
}

export type PremasterError =
  | 'wrong_ciphertext_length'
  | 'decrypt_error'
  | 'bad_padding_header'
  | 'no_separator'
  | 'short_padding'
  | 'wrong_premaster_length'
  | 'wrong_version';

export interface PremasterFailure {
  ok: false;
  reason: PremasterError;
  detail?: string;
  /** The decrypted message when the padding parsed (for wrong_premaster_length / wrong_version). */
  message?: Uint8Array;
}

/**
 * Decrypt and check an EncryptedPreMasterSecret with a PKCS#8 DER RSA private
 * key (node:crypto raw RSA; `_p` unused): length == k, 00 02, >= 8 non-zero padding bytes, 00, 48-byte message,
 * first two bytes == expected client_version.
 */
export async function decryptPremaster(
  _p: CryptoProvider,
  pkcs8: Uint8Array,
  ciphertext: Uint8Array,
  expectedVersion: number,
): Promise<Result<Uint8Array, PremasterError> | PremasterFailure> {
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || !bits) throw new Error('not an RSA private key');
  const k = Math.ceil(bits / 8);
  if (ciphertext.length !== k) return fail('wrong_ciphertext_length', `ciphertext is ${ciphertext.length} bytes, modulus ${k}`);
  let em: Uint8Array;
  try {
    em = new Uint8Array(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext));
  } catch (e) {
    return fail('decrypt_error', e instanceof Error ? e.message : String(e));
  }
  if (em.length < k) em = concatBytes([new Uint8Array(k - em.length), em]);
  if (em[0] !== 0 || em[1] !== 2) return fail('bad_padding_header', `starts ${em[0]} ${em[1]}`);
  let sep = -1;
  for (let i = 2; i < em.length; i++)
    if (em[i] === 0) {
      sep = i;
      break;
    }
  if (sep < 0) return fail('no_separator', 'no zero byte after the padding');
  if (sep - 2 < 8) return fail('short_padding', `${sep - 2} padding bytes (< 8)`);
  const message = em.slice(sep + 1);
  if (message.length !== 48) return { ok: false, reason: 'wrong_premaster_length', detail: `${message.length} bytes`, message };
  const v = (message[0]! << 8) | message[1]!;
  if (v !== expectedVersion)
    return { ok: false, reason: 'wrong_version', detail: `0x${v.toString(16)} != 0x${expectedVersion.toString(16)}`, message };
  return { ok: true, value: message };
}
