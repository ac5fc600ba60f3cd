/**
 * What the crypto layer can do with each registered SignatureScheme and
 * NamedGroup (wire/registry), for a given provider: verify and sign, derive,
 * and through which implementation; or why not. `tlsprop rules --gaps`
 * reads this so that no verdict is "inconclusive: arithmetic missing" for a
 * scheme or group listed here as supported, and every unsupported one has
 * its reason (crypto/capabilities.test.ts checks both ways: every registry
 * entry is listed, and every supported entry really signs/verifies or
 * derives on every provider).
 */
import { nameOf, namedGroups, signatureSchemes } from '../wire/registry';
import { OID, type SpkiInfo } from './der';
import { ecdhGroupOf, ecdhViaSubtle, groupLabel } from './ecdh';
import { ffdheGroupOf } from './ffdhe';
import { KEM_GROUPS, kemGroupOf } from './kem';
import type { CryptoProvider } from './provider';
import { schemeInfo, sigAlgOfScheme, viaSubtle } from './signature';

export type Implementation = 'subtle' | 'node:crypto';

export interface SchemeCapability {
  code: number;
  name: string;
  supported: boolean;
  /** Which implementation verifies and signs with it on this provider. */
  via?: Implementation;
  /** Verified for judging only: a TLS 1.2 pair with MD5, SHA-1, SHA-224 or DSA, never offered by default (RFC 9155 §2). */
  legacy?: boolean;
  /** Why it is not supported, or a note on how it is. */
  reason?: string;
}

export interface GroupCapability {
  code: number;
  name: string;
  supported: boolean;
  via?: Implementation;
  reason?: string;
}

export interface CryptoCapabilities {
  provider: string;
  signatureSchemes: SchemeCapability[];
  groups: GroupCapability[];
}

/** A stand-in SPKI description of the key a scheme uses, to ask which implementation runs it. */
function keyShape(code: number): SpkiInfo | undefined {
  const s = schemeInfo(code);
  if (!s) return undefined;
  const curveOid: Record<string, string> = {
    'P-256': OID.prime256v1,
    'P-384': OID.secp384r1,
    'P-521': OID.secp521r1,
    brainpoolP256r1: OID.brainpoolP256r1,
    brainpoolP384r1: OID.brainpoolP384r1,
    brainpoolP512r1: OID.brainpoolP512r1,
  };
  switch (s.kind) {
    case 'rsa_pkcs1':
    case 'rsa_pss_rsae':
      return { algorithm: OID.rsaEncryption, publicKey: new Uint8Array(0) };
    case 'rsa_pss_pss':
      return { algorithm: OID.rsassaPss, publicKey: new Uint8Array(0) };
    case 'ecdsa':
      return { algorithm: OID.ecPublicKey, parameters: curveOid[s.curve ?? 'P-256']!, publicKey: new Uint8Array(0) };
    case 'ed25519':
      return { algorithm: OID.ed25519, publicKey: new Uint8Array(0) };
    case 'ed448':
      return { algorithm: OID.ed448, publicKey: new Uint8Array(0) };
    case 'dsa':
      return { algorithm: OID.dsa, publicKey: new Uint8Array(0) };
  }
}

/** Every registered signature scheme and named group, with what `p` does with it. */
export function cryptoCapabilities(p: CryptoProvider): CryptoCapabilities {
  const schemes: SchemeCapability[] = [];
  for (const [code, name] of signatureSchemes) {
    const s = schemeInfo(code);
    const shape = keyShape(code);
    if (!s || !shape) {
      schemes.push({ code, name, supported: false, reason: 'no arithmetic for this scheme' });
      continue;
    }
    const via: Implementation = viaSubtle(p, sigAlgOfScheme(s), shape) ? 'subtle' : 'node:crypto';
    const c: SchemeCapability = { code, name, supported: true, via };
    if (s.legacy) c.legacy = true;
    if (via === 'node:crypto' && p.asymImpl === 'subtle')
      c.reason = `${p.name}'s WebCrypto lacks it: node:crypto verifies and signs`;
    schemes.push(c);
  }
  const groups: GroupCapability[] = [];
  for (const [code, name] of namedGroups) {
    const eg = ecdhGroupOf(code);
    if (eg) {
      const via: Implementation = ecdhViaSubtle(p, eg) ? 'subtle' : 'node:crypto';
      const c: GroupCapability = { code, name, supported: true, via };
      if (via === 'node:crypto' && p.asymImpl === 'subtle')
        c.reason = `${p.name}'s WebCrypto has no ${groupLabel(eg)}: node:crypto derives`;
      groups.push(c);
      continue;
    }
    if (ffdheGroupOf(code)) {
      groups.push({
        code,
        name,
        supported: true,
        via: 'node:crypto',
        reason: 'WebCrypto has no finite-field DH: node:crypto derives',
      });
      continue;
    }
    const kg = kemGroupOf(code);
    if (kg) {
      const e = KEM_GROUPS[kg].ecdh;
      groups.push({
        code,
        name,
        supported: true,
        via: 'node:crypto',
        reason: `ML-KEM (FIPS 203) through @noble/post-quantum${e ? `; the ${groupLabel(e)} half through crypto/ecdh` : ''}`,
      });
      continue;
    }
    groups.push({ code, name, supported: false, reason: 'no arithmetic for this group' });
  }
  return { provider: p.name, signatureSchemes: schemes, groups };
}

/** The registered schemes and groups the arithmetic cannot do, each with its reason. */
export function arithmeticGaps(p: CryptoProvider): Array<{ kind: 'signature scheme' | 'group'; name: string; reason: string }> {
  const c = cryptoCapabilities(p);
  return [
    ...c.signatureSchemes
      .filter((s) => !s.supported)
      .map((s) => ({ kind: 'signature scheme' as const, name: s.name, reason: s.reason ?? 'unsupported' })),
    ...c.groups
      .filter((g) => !g.supported)
      .map((g) => ({ kind: 'group' as const, name: nameOf(namedGroups, g.code), reason: g.reason ?? 'unsupported' })),
  ];
}
