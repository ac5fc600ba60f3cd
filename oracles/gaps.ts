/**
 * Where the rules say "not checked: unsupported" for a reason that is the
 * tool's, not the capture's: a registered signature scheme, named group or
 * cipher suite, or a certificate signature algorithm, that the crypto layer
 * (through which the rules verify and derive) does not handle. `tlsprop
 * rules --gaps` lists them; each is found by asking the crypto layer the
 * same question the rules ask (cryptoCapabilities for schemes and groups,
 * the record-protection parameters for suites, sigAlgOfAlgorithmIdentifier
 * for certificate signatures), so a gap the crypto layer closes leaves this
 * list by itself.
 *
 * Kinds: `arithmetic` when the platform (node:crypto on Node 20, OpenSSL
 * 3.0) has the algorithm and only our code lacks it (a gap to close);
 * `platform` when the platform has no implementation at all (e.g. RC4,
 * MD2): the rules stay inconclusive there, with this
 * reason.
 */
import { getCiphers, getCurves, getHashes } from 'node:crypto';
import {
  type CryptoProvider,
  cryptoCapabilities,
  nodeProvider,
  oidHex,
  sigAlgOfAlgorithmIdentifier,
  tls12Params,
  tls13Params,
} from '../crypto';
import type { KeyBlock } from '../crypto/tls12';
import { type CipherSuiteInfo, cipherSuites } from '../wire/registry';
import type { RuleId } from './rule';

export type GapKind = 'arithmetic' | 'platform';

export interface RuleGap {
  kind: GapKind;
  /** What is not handled, e.g. `signature scheme rsa_pkcs1_sha224 (0x0301)`. */
  subject: string;
  /** The rules that are inconclusive where it is used. */
  rules: RuleId[];
  reason: string;
}

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

const SIGNATURE_RULES: RuleId[] = [
  't12.ske.signature-valid',
  't12.ske.signature-input',
  't12.cv.signature-valid',
  't12.cv.signature-input',
  't13.cv.signature-valid',
  't13.cv.signed-content',
];
const GROUP_RULES: RuleId[] = ['ecdh.point-on-curve', 'ecdh.shared-secret-encoding', 'ecdh.symmetry', 't12.ks.pms-ecdh'];
const FFDHE_RULES: RuleId[] = ['dh.pubkey-range', 't12.ks.pms-dh', 't13.ks.schedule'];
const RECORD_RULES_12: RuleId[] = ['t12.ks.key-block', 'rec.integrity', 'rec.t12.seq-reset', 'rec.t12.cbc-padding'];
const RECORD_RULES_13: RuleId[] = ['t13.ks.traffic-keys', 'rec.integrity', 'rec.t13.nonce-seq', 'rec.t13.inner-plaintext'];

/** node:crypto's name of a scheme's hash, when a TLS 1.2 pair or TLS 1.3 scheme names one. */
function hashOfScheme(name: string): string | undefined {
  const m = /(md5|sha1|sha224|sha256|sha384|sha512)$/.exec(name);
  return m?.[1];
}

function signatureGaps(p: CryptoProvider, hashes: ReadonlySet<string>): RuleGap[] {
  const out: RuleGap[] = [];
  for (const c of cryptoCapabilities(p).signatureSchemes) {
    if (c.supported) continue;
    const hash = hashOfScheme(c.name);
    const platform = c.name === 'ed448' ? true : hash !== undefined && hashes.has(hash);
    out.push({
      kind: platform ? 'arithmetic' : 'platform',
      subject: `signature scheme ${c.name} (${hex4(c.code)})`,
      rules: SIGNATURE_RULES,
      reason: `${c.reason ?? 'crypto/signature has no verification for this scheme'}${platform ? ', which node:crypto can do' : ' on this platform'}: signatures with it are not checked`,
    });
  }
  return out;
}

/** The named curves of the EC groups by NamedGroup name, as node:crypto names them. */
const NODE_CURVE: Readonly<Record<string, string>> = {
  sect163k1: 'sect163k1',
  sect283k1: 'sect283k1',
  secp192r1: 'prime192v1',
  secp224r1: 'secp224r1',
  secp256r1: 'prime256v1',
  secp384r1: 'secp384r1',
  secp521r1: 'secp521r1',
  brainpoolP256r1: 'brainpoolP256r1',
  brainpoolP384r1: 'brainpoolP384r1',
  brainpoolP512r1: 'brainpoolP512r1',
};

function groupGaps(p: CryptoProvider, curves: ReadonlySet<string>): RuleGap[] {
  const out: RuleGap[] = [];
  for (const c of cryptoCapabilities(p).groups) {
    if (c.supported) continue;
    const ff = c.name.startsWith('ffdhe');
    const curve = NODE_CURVE[c.name];
    // X448 and the RFC 7919 groups: node:crypto has them (crypto.diffieHellman with X448 keys, createDiffieHellman(p, g))
    const platform = ff || c.name === 'x448' || (curve !== undefined && curves.has(curve));
    out.push({
      kind: platform ? 'arithmetic' : 'platform',
      subject: `named group ${c.name} (${hex4(c.code)})`,
      rules: ff ? FFDHE_RULES : GROUP_RULES,
      reason: platform
        ? `crypto/${ff ? 'ffdhe' : 'ecdh'} has no arithmetic for this group, which node:crypto has: its public values are not validated and its shared secrets not derived`
        : `${c.reason ?? 'no implementation of this group on this platform'}: its shared secrets are not derived`,
    });
  }
  return out;
}

/** The node:crypto cipher of a suite's bulk cipher. */
const NODE_CIPHER: Readonly<Record<string, string>> = {
  AES_128_GCM: 'aes-128-gcm',
  AES_256_GCM: 'aes-256-gcm',
  AES_128_CBC: 'aes-128-cbc',
  AES_256_CBC: 'aes-256-cbc',
  CHACHA20_POLY1305: 'chacha20-poly1305',
  AES_128_CCM: 'aes-128-ccm',
  AES_128_CCM_8: 'aes-128-ccm',
  AES_256_CCM: 'aes-256-ccm',
  AES_256_CCM_8: 'aes-256-ccm',
  '3DES_EDE_CBC': 'des-ede3-cbc',
  CAMELLIA_128_CBC: 'camellia-128-cbc',
  CAMELLIA_256_CBC: 'camellia-256-cbc',
  ARIA_128_GCM: 'aria-128-gcm',
  ARIA_256_GCM: 'aria-256-gcm',
};

function protects(suite: CipherSuiteInfo): boolean {
  const k = new Uint8Array(32);
  try {
    if (suite.kex === 'TLS13') tls13Params(suite, { key: k, iv: new Uint8Array(12) });
    else {
      const kb: KeyBlock = {
        clientMacKey: k,
        serverMacKey: k,
        clientKey: k,
        serverKey: k,
        clientIv: new Uint8Array(4),
        serverIv: new Uint8Array(4),
      };
      tls12Params(suite, kb, 'client');
    }
    return true;
  } catch {
    return false;
  }
}

function suiteGaps(ciphers: ReadonlySet<string>): RuleGap[] {
  const out: RuleGap[] = [];
  for (const suite of cipherSuites.values()) {
    // Suites without encryption or from export grades are refused by the rules (t12.neg.no-weak-algorithms), not decrypted.
    if (suite.cipher === 'NULL' || suite.export || protects(suite)) continue;
    const node = NODE_CIPHER[suite.cipher];
    const platform = node !== undefined && ciphers.has(node);
    out.push({
      kind: platform ? 'arithmetic' : 'platform',
      subject: `cipher suite ${suite.name} (${hex4(suite.code)})`,
      rules:
        suite.kex === 'TLS13'
          ? RECORD_RULES_13
          : RECORD_RULES_12.filter((r) => r !== 'rec.t12.cbc-padding' || suite.cipher.endsWith('_CBC')),
      reason: platform
        ? `crypto/record has no record protection for ${suite.cipher}, which node:crypto has: its records are neither decrypted nor reopened`
        : `no implementation of ${suite.cipher} on this platform: its records are neither decrypted nor reopened`,
    });
  }
  return out;
}

/**
 * The certificate signature algorithms (RFC 3279, RFC 4055, RFC 5758,
 * RFC 8410) by OID, with the hash node:crypto would need. pki/validate
 * verifies certificate signatures through crypto/signature
 * (sigAlgOfAlgorithmIdentifier, then verifyWith); the ones it has no
 * algorithm for are gaps (cert.path.signature is inconclusive for a
 * certificate signed with one: oracles/rules/certificates.ts).
 */
const CERT_SIGNATURE_ALGORITHMS: ReadonlyArray<{ oid: string; name: string; hash?: string }> = [
  { oid: '1.2.840.113549.1.1.2', name: 'md2WithRSAEncryption', hash: 'md2' },
  { oid: '1.2.840.113549.1.1.4', name: 'md5WithRSAEncryption', hash: 'md5' },
  { oid: '1.2.840.113549.1.1.5', name: 'sha1WithRSAEncryption', hash: 'sha1' },
  { oid: '1.2.840.113549.1.1.14', name: 'sha224WithRSAEncryption', hash: 'sha224' },
  { oid: '1.2.840.113549.1.1.11', name: 'sha256WithRSAEncryption', hash: 'sha256' },
  { oid: '1.2.840.113549.1.1.12', name: 'sha384WithRSAEncryption', hash: 'sha384' },
  { oid: '1.2.840.113549.1.1.13', name: 'sha512WithRSAEncryption', hash: 'sha512' },
  { oid: '1.2.840.10045.4.1', name: 'ecdsa-with-SHA1', hash: 'sha1' },
  { oid: '1.2.840.10045.4.3.1', name: 'ecdsa-with-SHA224', hash: 'sha224' },
  { oid: '1.2.840.10045.4.3.2', name: 'ecdsa-with-SHA256', hash: 'sha256' },
  { oid: '1.2.840.10045.4.3.3', name: 'ecdsa-with-SHA384', hash: 'sha384' },
  { oid: '1.2.840.10045.4.3.4', name: 'ecdsa-with-SHA512', hash: 'sha512' },
  { oid: '1.2.840.10040.4.3', name: 'dsa-with-sha1', hash: 'sha1' },
  { oid: '2.16.840.1.101.3.4.3.1', name: 'dsa-with-sha224', hash: 'sha224' },
  { oid: '2.16.840.1.101.3.4.3.2', name: 'dsa-with-sha256', hash: 'sha256' },
  { oid: '2.16.840.1.101.3.4.3.3', name: 'dsa-with-sha384', hash: 'sha384' },
  { oid: '2.16.840.1.101.3.4.3.4', name: 'dsa-with-sha512', hash: 'sha512' },
  { oid: '1.3.101.112', name: 'Ed25519' },
  { oid: '1.3.101.113', name: 'Ed448' },
];

function certificateGaps(hashes: ReadonlySet<string>): RuleGap[] {
  return CERT_SIGNATURE_ALGORITHMS.flatMap((a) => {
    const alg = sigAlgOfAlgorithmIdentifier(oidHex(a.oid));
    if (!('unsupported' in alg)) return [];
    const platform = a.hash === undefined || hashes.has(a.hash);
    return [
      {
        kind: platform ? ('arithmetic' as const) : ('platform' as const),
        subject: `certificate signature ${a.name} (${a.oid})`,
        rules: ['cert.path.signature' as const],
        reason: platform
          ? `crypto/signature has no algorithm for it, which node:crypto has: such a certificate signature is not checked`
          : `no implementation of ${a.hash ?? a.name} on this platform: such a certificate signature is not checked`,
      },
    ];
  });
}

/** Every gap, signature schemes first, then groups, cipher suites and certificate signatures. */
export function ruleGaps(p: CryptoProvider = nodeProvider()): RuleGap[] {
  const hashes = new Set(getHashes().map((h) => h.toLowerCase().replace(/-/g, '')));
  return [
    ...signatureGaps(p, hashes),
    ...groupGaps(p, new Set(getCurves())),
    ...suiteGaps(new Set(getCiphers())),
    ...certificateGaps(hashes),
  ];
}
