/**
 * ML-KEM (FIPS 203) key establishment for TLS 1.3: the hybrid groups of
 * draft-ietf-tls-ecdhe-mlkem (X25519MLKEM768 0x11EC, SecP256r1MLKEM768
 * 0x11EB, SecP384r1MLKEM1024 0x11ED) and the pure ML-KEM groups of
 * draft-ietf-tls-mlkem (MLKEM512/768/1024 = 0x0200/0x0201/0x0202).
 *
 * The lattice arithmetic is @noble/post-quantum's (ML-KEM keygen,
 * encapsulation, decapsulation); every random input it takes (the 64-byte
 * key generation seed d||z, the 32-byte encapsulation message m) comes from
 * the provider passed in. The ECDH halves are crypto/ecdh's (with its peer
 * value validation). What a receiver must check on the wire is done here,
 * not by the library, so that the oracles can ask the same questions:
 *
 * - draft-ietf-tls-ecdhe-mlkem §3.1.2 / draft-ietf-tls-mlkem §4.2: "the server
 *   MUST perform the encapsulation key check described in Section 7.2 of
 *   [FIPS203] on the client's encapsulation key, and abort with an
 *   illegal_parameter alert if it fails" (the type check: the length; the
 *   modulus check: every 12-bit coefficient of ek[0:384k] is below q = 3329).
 * - "the client MUST check if the ciphertext length matches the selected
 *   group, and abort with an illegal_parameter alert if it fails. If ML-KEM
 *   decapsulation fails for any other reason, the connection MUST be aborted
 *   with an internal_error alert."
 * - "both client and server MUST process the ECDH part as described in
 *   Section 4.2.8.2 of [RFC8446], including all validity checks, and abort
 *   with an illegal_parameter alert if it fails" (crypto/ecdh).
 *
 * Layouts (draft-ietf-tls-ecdhe-mlkem §3.1.1-§3.1.3): X25519MLKEM768 puts the
 * ML-KEM part FIRST in the client share (ek || X25519), the server share
 * (ct || X25519) and the shared secret (ML-KEM ss || X25519 ss); the NIST
 * curve groups put the ECDH part first everywhere.
 *
 * Private keys are bytes, so that transcripts can carry them like ECDH keys:
 * the client's is the ML-KEM decapsulation key (FIPS 203 expanded form,
 * dk_PKE || ek || H(ek) || z) followed by the ECDH private key; the server's
 * is the 32-byte encapsulation randomness m followed by its ECDH private key
 * (ML-KEM.Encaps_internal(ek, m) is deterministic, so an oracle given it
 * recomputes the server's ciphertext and shared secret).
 */
import { createHash } from 'node:crypto';
import { ml_kem512, ml_kem768, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { bytesEqual, concatBytes } from '../wire/hex';
import { NamedGroup } from '../wire/registry';
import { type EcdhError, type EcdhGroup, deriveEcdh, generateEcdhKeyPair, publicValueLength, sharedSecretLength } from './ecdh';
import { type CryptoProvider, randomBytes } from './provider';
import { type Check, fail, type Result } from './result';

export type MlKemSet = 'ML-KEM-512' | 'ML-KEM-768' | 'ML-KEM-1024';

/** FIPS 203 Table 3 sizes, and k (the module rank). */
export const MLKEM_SIZES: Readonly<
  Record<MlKemSet, { k: number; encapsulationKey: number; decapsulationKey: number; ciphertext: number; sharedSecret: 32 }>
> = {
  'ML-KEM-512': { k: 2, encapsulationKey: 800, decapsulationKey: 1632, ciphertext: 768, sharedSecret: 32 },
  'ML-KEM-768': { k: 3, encapsulationKey: 1184, decapsulationKey: 2400, ciphertext: 1088, sharedSecret: 32 },
  'ML-KEM-1024': { k: 4, encapsulationKey: 1568, decapsulationKey: 3168, ciphertext: 1568, sharedSecret: 32 },
};

const IMPL = { 'ML-KEM-512': ml_kem512, 'ML-KEM-768': ml_kem768, 'ML-KEM-1024': ml_kem1024 } as const;

export type KemGroupName = 'X25519MLKEM768' | 'SecP256r1MLKEM768' | 'SecP384r1MLKEM1024' | 'MLKEM512' | 'MLKEM768' | 'MLKEM1024';

export interface KemGroupInfo {
  name: KemGroupName;
  code: number;
  kem: MlKemSet;
  /** The ECDH half of a hybrid group; none for a pure ML-KEM group. */
  ecdh?: EcdhGroup;
  /** Whether the ML-KEM part comes first in both shares and in the shared secret (X25519MLKEM768 only). */
  kemFirst: boolean;
  /** The document that defines the group and its section on the shares. */
  spec: string;
}

export const KEM_GROUPS: Readonly<Record<KemGroupName, KemGroupInfo>> = {
  X25519MLKEM768: {
    name: 'X25519MLKEM768',
    code: NamedGroup.X25519MLKEM768,
    kem: 'ML-KEM-768',
    ecdh: 'x25519',
    kemFirst: true,
    spec: 'draft-ietf-tls-ecdhe-mlkem §3.1',
  },
  SecP256r1MLKEM768: {
    name: 'SecP256r1MLKEM768',
    code: NamedGroup.SecP256r1MLKEM768,
    kem: 'ML-KEM-768',
    ecdh: 'secp256r1',
    kemFirst: false,
    spec: 'draft-ietf-tls-ecdhe-mlkem §3.1',
  },
  SecP384r1MLKEM1024: {
    name: 'SecP384r1MLKEM1024',
    code: NamedGroup.SecP384r1MLKEM1024,
    kem: 'ML-KEM-1024',
    ecdh: 'secp384r1',
    kemFirst: false,
    spec: 'draft-ietf-tls-ecdhe-mlkem §3.1',
  },
  MLKEM512: { name: 'MLKEM512', code: NamedGroup.MLKEM512, kem: 'ML-KEM-512', kemFirst: true, spec: 'draft-ietf-tls-mlkem §4.2' },
  MLKEM768: { name: 'MLKEM768', code: NamedGroup.MLKEM768, kem: 'ML-KEM-768', kemFirst: true, spec: 'draft-ietf-tls-mlkem §4.2' },
  MLKEM1024: {
    name: 'MLKEM1024',
    code: NamedGroup.MLKEM1024,
    kem: 'ML-KEM-1024',
    kemFirst: true,
    spec: 'draft-ietf-tls-mlkem §4.2',
  },
};

export const KEM_GROUP_NAMES = Object.keys(KEM_GROUPS) as KemGroupName[];

const BY_CODE: ReadonlyMap<number, KemGroupName> = new Map(KEM_GROUP_NAMES.map((g) => [KEM_GROUPS[g].code, g]));

/** The ML-KEM (pure or hybrid) group of a NamedGroup code, if it is one. */
export function kemGroupOf(code: number): KemGroupName | undefined {
  return BY_CODE.get(code);
}

const ecdhPart = (g: KemGroupName): number => {
  const e = KEM_GROUPS[g].ecdh;
  return e ? publicValueLength(e) : 0;
};

/** The client's key_exchange length (draft-ietf-tls-ecdhe-mlkem §3.1.1: 1216, 1249, 1665; draft-ietf-tls-mlkem: ek). */
export function kemClientShareLength(g: KemGroupName): number {
  return MLKEM_SIZES[KEM_GROUPS[g].kem].encapsulationKey + ecdhPart(g);
}

/** The server's key_exchange length (§3.1.2: 1120, 1153, 1665; draft-ietf-tls-mlkem: ct). */
export function kemServerShareLength(g: KemGroupName): number {
  return MLKEM_SIZES[KEM_GROUPS[g].kem].ciphertext + ecdhPart(g);
}

/** The shared secret length (§3.1.3: 64, 64, 80; pure ML-KEM: 32). */
export function kemSharedSecretLength(g: KemGroupName): number {
  const e = KEM_GROUPS[g].ecdh;
  return 32 + (e ? sharedSecretLength(e) : 0);
}

/** Split a share into its ML-KEM part and its ECDH part, in the group's order (the length must be right). */
function split(g: KemGroupName, share: Uint8Array, kemLen: number): { kem: Uint8Array; ecdh: Uint8Array } {
  const info = KEM_GROUPS[g];
  const eLen = ecdhPart(g);
  if (info.kemFirst) return { kem: share.subarray(0, kemLen), ecdh: share.subarray(kemLen, kemLen + eLen) };
  return { ecdh: share.subarray(0, eLen), kem: share.subarray(eLen, eLen + kemLen) };
}

function join(g: KemGroupName, kem: Uint8Array, ecdh: Uint8Array): Uint8Array {
  return KEM_GROUPS[g].kemFirst ? concatBytes([kem, ecdh]) : concatBytes([ecdh, kem]);
}

export type EncapsulationKeyError = 'wrong_length' | 'modulus';

/**
 * FIPS 203 §7.2 input checking of an encapsulation key: the type check (its
 * length is 384k + 32) and the modulus check (ByteEncode12(ByteDecode12(
 * ek[0:384k])) == ek[0:384k], i.e. every 12-bit coefficient is below q).
 */
export function checkEncapsulationKey(set: MlKemSet, ek: Uint8Array): Check<EncapsulationKeyError> {
  const { k, encapsulationKey } = MLKEM_SIZES[set];
  if (ek.length !== encapsulationKey)
    return fail('wrong_length', `${set} encapsulation key must be ${encapsulationKey} bytes, got ${ek.length}`);
  for (let i = 0; i < 384 * k; i += 3) {
    const b0 = ek[i]!;
    const b1 = ek[i + 1]!;
    const b2 = ek[i + 2]!;
    const c0 = b0 | ((b1 & 0x0f) << 8);
    const c1 = (b1 >> 4) | (b2 << 4);
    if (c0 >= 3329 || c1 >= 3329)
      return fail('modulus', `coefficient ${c0 >= 3329 ? c0 : c1} >= q = 3329 at byte ${i} (FIPS 203 §7.2 modulus check)`);
  }
  return { ok: true };
}

export interface KemKeyPair {
  group: KemGroupName;
  /** Client: the decapsulation key followed by the ECDH private key; server: m (32 bytes) followed by the ECDH private key. */
  privateKey: Uint8Array;
  /** The key_exchange value sent. */
  publicKey: Uint8Array;
}

/** The client's key share: a fresh ML-KEM key pair (seed from the provider) and, for a hybrid, an ECDH key pair. */
export async function generateKemClientShare(p: CryptoProvider, g: KemGroupName): Promise<KemKeyPair> {
  const info = KEM_GROUPS[g];
  const kp = IMPL[info.kem].keygen(randomBytes(p, 64));
  const ecdh = info.ecdh ? await generateEcdhKeyPair(p, info.ecdh) : undefined;
  return {
    group: g,
    privateKey: concatBytes([kp.secretKey, ecdh?.privateKey ?? new Uint8Array(0)]),
    publicKey: join(g, kp.publicKey, ecdh?.publicKey ?? new Uint8Array(0)),
  };
}

/** Why a share cannot be used: its length, the encapsulation key check, the ECDH half, or a failed decapsulation. */
export type KemError = 'wrong_length' | 'modulus' | EcdhError | 'decapsulation_failed';

/** The alert the drafts name for a KemError: internal_error for "decapsulation fails for any other reason", else illegal_parameter. */
export function kemErrorAlert(e: KemError): 'illegal_parameter' | 'internal_error' {
  return e === 'decapsulation_failed' ? 'internal_error' : 'illegal_parameter';
}

function combine(g: KemGroupName, kemSecret: Uint8Array, ecdhSecret: Uint8Array): Uint8Array {
  return join(g, kemSecret, ecdhSecret);
}

/**
 * The server's side: check the client share (length, FIPS 203 §7.2, the ECDH
 * half), encapsulate to its key with a fresh m from the provider and a fresh
 * ECDH key pair, and return the server's key_exchange value, the shared
 * secret and the server private key (m || ECDH private key).
 */
export async function encapsulateKemShare(
  p: CryptoProvider,
  g: KemGroupName,
  clientShare: Uint8Array,
): Promise<Result<{ keyExchange: Uint8Array; sharedSecret: Uint8Array; privateKey: Uint8Array }, KemError>> {
  const info = KEM_GROUPS[g];
  const ecdh = info.ecdh ? await generateEcdhKeyPair(p, info.ecdh) : undefined;
  const m = randomBytes(p, 32);
  const r = await encapsulateWith(p, g, clientShare, m, ecdh?.privateKey ?? new Uint8Array(0));
  if (!r.ok) return r;
  return {
    ok: true,
    value: {
      keyExchange: join(g, r.value.ciphertext, ecdh?.publicKey ?? new Uint8Array(0)),
      sharedSecret: r.value.sharedSecret,
      privateKey: concatBytes([m, ecdh?.privateKey ?? new Uint8Array(0)]),
    },
  };
}

/**
 * A recorded server's encapsulation again, from its private key (m || ECDH
 * private key) and the client share: the ML-KEM ciphertext it must have sent
 * and the shared secret (for the oracles, given the server's keys).
 */
export async function recomputeKemEncapsulation(
  p: CryptoProvider,
  g: KemGroupName,
  clientShare: Uint8Array,
  serverPrivate: Uint8Array,
): Promise<Result<{ ciphertext: Uint8Array; sharedSecret: Uint8Array }, KemError>> {
  const info = KEM_GROUPS[g];
  const eLen = info.ecdh ? sharedSecretLength(info.ecdh) : 0;
  if (serverPrivate.length !== 32 + eLen)
    return fail('bad_private_key', `${g} server private key must be ${32 + eLen} bytes, got ${serverPrivate.length}`);
  return encapsulateWith(p, g, clientShare, serverPrivate.subarray(0, 32), serverPrivate.slice(32));
}

async function encapsulateWith(
  p: CryptoProvider,
  g: KemGroupName,
  clientShare: Uint8Array,
  m: Uint8Array,
  ecdhPriv: Uint8Array,
): Promise<Result<{ ciphertext: Uint8Array; sharedSecret: Uint8Array }, KemError>> {
  const info = KEM_GROUPS[g];
  const want = kemClientShareLength(g);
  if (clientShare.length !== want)
    return fail('wrong_length', `${g} client share must be ${want} bytes, got ${clientShare.length}`);
  const parts = split(g, clientShare, MLKEM_SIZES[info.kem].encapsulationKey);
  const check = checkEncapsulationKey(info.kem, parts.kem);
  if (!check.ok) return check;
  let ecdhSecret: Uint8Array = new Uint8Array(0);
  if (info.ecdh) {
    const z = await deriveEcdh(p, info.ecdh, ecdhPriv, parts.ecdh);
    if (!z.ok) return z;
    ecdhSecret = z.value;
  }
  let enc: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    enc = IMPL[info.kem].encapsulate(parts.kem, m);
  } catch (e) {
    return fail('modulus', e instanceof Error ? e.message : String(e));
  }
  return { ok: true, value: { ciphertext: enc.cipherText, sharedSecret: combine(g, enc.sharedSecret, ecdhSecret) } };
}

/** The ML-KEM ciphertext of a server share of the right length (for comparing a recomputed encapsulation). */
export function kemCiphertextOf(g: KemGroupName, serverShare: Uint8Array): Uint8Array | undefined {
  if (serverShare.length !== kemServerShareLength(g)) return undefined;
  return split(g, serverShare, MLKEM_SIZES[KEM_GROUPS[g].kem].ciphertext).kem;
}

/**
 * The client's side: check the server share's length ("the client MUST check
 * if the ciphertext length matches the selected group"), the ECDH half, then
 * decapsulate with our decapsulation key.
 */
export async function decapsulateKemShare(
  p: CryptoProvider,
  g: KemGroupName,
  clientPrivate: Uint8Array,
  serverShare: Uint8Array,
): Promise<Result<Uint8Array, KemError>> {
  const info = KEM_GROUPS[g];
  const sizes = MLKEM_SIZES[info.kem];
  const want = kemServerShareLength(g);
  if (serverShare.length !== want)
    return fail('wrong_length', `${g} server share must be ${want} bytes, got ${serverShare.length}`);
  const eLen = info.ecdh ? sharedSecretLength(info.ecdh) : 0;
  if (clientPrivate.length !== sizes.decapsulationKey + eLen)
    return fail('bad_private_key', `${g} client private key must be ${sizes.decapsulationKey + eLen} bytes`);
  const dk = clientPrivate.subarray(0, sizes.decapsulationKey);
  const parts = split(g, serverShare, sizes.ciphertext);
  let ecdhSecret: Uint8Array = new Uint8Array(0);
  if (info.ecdh) {
    const z = await deriveEcdh(p, info.ecdh, clientPrivate.slice(sizes.decapsulationKey), parts.ecdh);
    if (!z.ok) return z;
    ecdhSecret = z.value;
  }
  let kemSecret: Uint8Array;
  try {
    kemSecret = IMPL[info.kem].decapsulate(parts.kem, dk);
  } catch (e) {
    return fail('decapsulation_failed', e instanceof Error ? e.message : String(e));
  }
  return { ok: true, value: combine(g, kemSecret, ecdhSecret) };
}

/**
 * Whether decapsulating the server's ciphertext with this client key took
 * FIPS 203's implicit rejection path (Algorithm 18: the re-encryption did
 * not give back the ciphertext, so the result is K̄ = J(z || c)): the
 * ciphertext was not an encapsulation to the client's key. undefined when
 * the lengths are wrong.
 */
export function kemImplicitlyRejected(g: KemGroupName, clientPrivate: Uint8Array, serverShare: Uint8Array): boolean | undefined {
  const info = KEM_GROUPS[g];
  const sizes = MLKEM_SIZES[info.kem];
  const ct = kemCiphertextOf(g, serverShare);
  if (!ct || clientPrivate.length < sizes.decapsulationKey) return undefined;
  const dk = clientPrivate.subarray(0, sizes.decapsulationKey);
  let k: Uint8Array;
  try {
    k = IMPL[info.kem].decapsulate(ct, dk);
  } catch {
    return undefined;
  }
  const z = dk.subarray(sizes.decapsulationKey - 32);
  const rejected = new Uint8Array(createHash('shake256', { outputLength: 32 }).update(z).update(ct).digest());
  return bytesEqual(k, rejected);
}

/** The encapsulation key inside a client share of the right length. */
export function kemEncapsulationKeyOf(g: KemGroupName, clientShare: Uint8Array): Uint8Array | undefined {
  if (clientShare.length !== kemClientShareLength(g)) return undefined;
  return split(g, clientShare, MLKEM_SIZES[KEM_GROUPS[g].kem].encapsulationKey).kem;
}

/** The ECDH half of a hybrid share of the right length (client: ek side excluded; server: ct side excluded). */
export function kemEcdhPartOf(g: KemGroupName, share: Uint8Array, side: 'client' | 'server'): Uint8Array | undefined {
  const info = KEM_GROUPS[g];
  if (!info.ecdh) return undefined;
  const kemLen = side === 'client' ? MLKEM_SIZES[info.kem].encapsulationKey : MLKEM_SIZES[info.kem].ciphertext;
  if (share.length !== kemLen + ecdhPart(g)) return undefined;
  return split(g, share, kemLen).ecdh;
}
