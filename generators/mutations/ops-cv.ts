/**
 * The CertificateVerify family (our client's, towards servers that ask for
 * a client certificate), tlsfuzzer's certificate-verify scripts as
 * declarations:
 *
 * - a signature scheme the CertificateRequest did not list, properly signed
 *   (RFC 5246 §7.4.8, RFC 8446 §4.4.3): a modern one, and MD5, SHA-1 and
 *   SHA-224 ones (RFC 9155; RFC 8446 §4.2.3: legacy schemes "are not
 *   defined for use in signed TLS handshake messages");
 * - rsa_pss_pss_* with an rsaEncryption key (RFC 8446 §4.2.3), and
 *   rsa_pkcs1_* in TLS 1.3;
 * - signatures padded, truncated, empty, and length fields that do not match
 *   the bytes (decode_error) — RFC 8446 §4.4.3, §6.2;
 * - signatures over the wrong content: the server's context string, a
 *   transcript without our Certificate;
 * - client certificate keys (Needs.clientKeys: the run's own, else the test
 *   PKI's when the target trusts the test root): an Ed25519 / Ed448
 *   CertificateVerify under a scheme the CertificateRequest did not list, or
 *   labelled with the other curve's scheme, ed25519 over an RSA / ECDSA
 *   signature, rsa_pss_rsae_* with an id-RSASSA-PSS key (RFC 8446 §4.2.3,
 *   RFC 8422 §5.10); the signature-bytes mutations also run with EdDSA keys.
 *
 * Each hook reads the CertificateRequest the target sent (a scheme it did
 * list is not a violation: such a conversation does not fire and is not
 * counted) and signs with our client's real key, so only the named fault is
 * in the message.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { schemeInfo } from '../../crypto';
import { keyKindOf, schemeFitsKey } from '../../engine/core';
import type { ClientConfig, Identity } from '../../engine/config';
import { type TestKeyKind, testKeyKindOf } from '../../engine/fixtures';
import type { EngineHooks } from '../../engine/hooks';
import { decodeHandshake } from '../../wire/handshake';
import { bumpLength } from './bytes';
import { concatBytes } from '../../wire/hex';
import { ExtensionType as X, SignatureScheme as SS } from '../../wire/registry';
import { type TlsVersion, VERSION_CODE } from '../../wire/vocabulary';
import { type ClientSends, EDDSA_TOO, type Mutation } from './model';
import {
  type BaseEnv,
  type BaseName,
  certificateVerify,
  clientIdentity,
  cv12,
  cv13,
  hsMessage,
  type MessageLog,
  schemeOfCv,
  suiteOfServerHello,
  tracked,
  u16,
} from './support';

const T12: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm'];
const T12_RSA: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual'];
const T13: readonly BaseName[] = ['t13-mutual'];
const CLIENT_CERT = { clientCert: true } as const;

/** The signature schemes a CertificateRequest lists (TLS 1.2 field, TLS 1.3 signature_algorithms extension). */
export function requestedSchemes(raw: Uint8Array, version: TlsVersion): number[] {
  const b = decodeHandshake(raw, { version: VERSION_CODE[version] }).message.body;
  if (b.type !== 'certificate_request') return [];
  if (b.form === 'tls12') return b.signatureAlgorithms ?? [];
  const e = b.extensions.find((x) => x.type === X.signature_algorithms)?.body;
  return e?.kind === 'signature_algorithms' ? e.schemes : [];
}

const versionOf = (env: BaseEnv): TlsVersion => env.spec.version;

/** MD5, SHA-1 and SHA-224 pairs: what a mutation uses for the hash alone, whatever the version allows. */
const LEGACY: readonly number[] = [
  SS.rsa_md5,
  SS.ecdsa_md5,
  SS.rsa_pkcs1_sha1,
  SS.ecdsa_sha1,
  SS.rsa_pkcs1_sha224,
  SS.ecdsa_sha224,
];

/**
 * Candidate schemes our client's key can sign with: by the version's rules (TLS 1.3 binds ECDSA curves and forbids
 * PKCS#1), except that TLS 1.2 lets ECDSA use any hash (RFC 5246 §7.4.1.4.1) and a legacy pair fits its key type in
 * either version (the mutation is about the hash).
 */
function fitting(env: BaseEnv, candidates: readonly number[]): number[] {
  const kind = keyKindOf(clientIdentity(env).spki);
  const v13 = versionOf(env) === '1.3';
  const ecdsa = kind === 'ec-p256' || kind === 'ec-p384';
  return candidates.filter((s) => {
    const info = schemeInfo(s);
    if (!info) return false;
    const byType =
      (kind === 'rsa' && (info.kind === 'rsa_pkcs1' || info.kind === 'rsa_pss_rsae')) || (ecdsa && info.kind === 'ecdsa');
    if (LEGACY.includes(s)) return byType;
    if (schemeFitsKey(s, kind, v13)) return true;
    return !v13 && ecdsa && info.kind === 'ecdsa';
  });
}

/** A CertificateVerify of ours signed with `scheme` over the transcript so far (TLS 1.2 messages, TLS 1.3 context). */
async function signedCv(
  env: BaseEnv,
  log: MessageLog,
  scheme: number,
  role: 'client' | 'server' = 'client',
): Promise<Uint8Array> {
  const id = clientIdentity(env);
  if (versionOf(env) === '1.2') return cv12(env.provider, id, scheme, log.raws);
  const sh = log.find('server_hello');
  if (!sh) throw new Error('no ServerHello before our CertificateVerify');
  return cv13(env.provider, id, scheme, suiteOfServerHello(sh), role, log.raws);
}

type Choose = (env: BaseEnv, requested: readonly number[]) => number | undefined;
/**
 * Our CertificateVerify signed with the scheme `choose` picks from what the CertificateRequest listed (undefined:
 * nothing fits this target, the message goes out unchanged and the conversation proves nothing).
 */
const signedWith =
  (choose: Choose) =>
  (env: BaseEnv): EngineHooks => {
    let requested: number[] = [];
    let done = false;
    return tracked(
      async (m, log) => {
        if (done || m.kind !== 'handshake' || m.type !== 'certificate_verify') return undefined;
        done = true;
        const scheme = choose(env, requested);
        return scheme === undefined ? undefined : [await signedCv(env, log, scheme)];
      },
      (m) => {
        if (m.type === 'certificate_request') requested = requestedSchemes(m.raw, versionOf(env));
        return undefined;
      },
    );
  };

/** The first fitting scheme of `candidates` the CertificateRequest did not list. */
const notRequested =
  (candidates: readonly number[], always13 = false): Choose =>
  (env, requested) =>
    fitting(env, candidates).find((s) => (always13 && versionOf(env) === '1.3') || !requested.includes(s));

/** Our CertificateVerify's raw bytes changed by `edit` (scheme and signature as signed). */
const cvEdit = (edit: (raw: Uint8Array) => Uint8Array) => (): EngineHooks => {
  let done = false;
  return {
    beforeSend: (m) => {
      if (done || m.kind !== 'handshake' || m.type !== 'certificate_verify') return undefined;
      done = true;
      return [edit(m.raw)];
    },
  };
};
/** Our client's Certificate message's raw bytes changed by `edit` (given where its certificate_list length is). */
const certEdit =
  (edit: (raw: Uint8Array, listAt: number) => Uint8Array) =>
  (env: BaseEnv): EngineHooks => {
    let done = false;
    return {
      beforeSend: (m) => {
        if (done || m.kind !== 'handshake' || m.type !== 'certificate') return undefined;
        done = true;
        // TLS 1.3 (RFC 8446 §4.4.2) puts certificate_request_context<0..2^8-1> before the list; TLS 1.2 starts with it
        const listAt = versionOf(env) === '1.3' ? 5 + m.raw[4]! : 4;
        return [edit(m.raw, listAt)];
      },
    };
  };
/** The certificate_list length of our Certificate `delta` off its bytes. */
const certListLength = (delta: number) => certEdit((raw, at) => bumpLength(raw, at, 3, delta));
/** The first entry's certificate length (cert_data in TLS 1.3, ASN.1Cert in TLS 1.2) one more than its bytes. */
const certEntryLength = (delta: number) => certEdit((raw, at) => bumpLength(raw, at + 3, 3, delta));
/** The signature bytes of a CertificateVerify (scheme(2) length(2) signature). */
const sigOf = (raw: Uint8Array): Uint8Array => raw.subarray(8);

const hooks = (h: (env: BaseEnv) => EngineHooks): Pick<ClientSends, 'where' | 'mutate'> => ({
  where: 'client-sends',
  mutate: (env) => ({ config: { ...env.client, versions: [VERSION_CODE[env.spec.version]] }, hooks: h(env) }),
});

/** In memory our server asks only for schemes none of `candidates` is (so the mutation has one to use). */
const serverAsksOnly = (schemes: readonly number[]) => (env: BaseEnv) => ({
  server: { ...env.server, signatureSchemes: [...schemes] },
});
const MODERN_ONLY = [SS.rsa_pss_rsae_sha256, SS.ecdsa_secp256r1_sha256, SS.ecdsa_secp384r1_sha384];

const MODERN: readonly number[] = [
  SS.rsa_pss_rsae_sha512,
  SS.rsa_pss_rsae_sha384,
  SS.rsa_pss_rsae_sha256,
  SS.rsa_pkcs1_sha512,
  SS.rsa_pkcs1_sha384,
  SS.rsa_pkcs1_sha256,
  SS.ecdsa_secp521r1_sha512,
  SS.ecdsa_secp384r1_sha384,
  SS.ecdsa_secp256r1_sha256,
];

/** rsa_pss_pss_* label over an rsa_pss_rsae_* signature of the same hash (the math is the same; the key type is not). */
const PSS_PSS_OF: Readonly<Record<number, number>> = {
  [SS.rsa_pss_rsae_sha256]: SS.rsa_pss_pss_sha256,
  [SS.rsa_pss_rsae_sha384]: SS.rsa_pss_pss_sha384,
  [SS.rsa_pss_rsae_sha512]: SS.rsa_pss_pss_sha512,
};
const pssPssLabel = (env: BaseEnv): EngineHooks => {
  let done = false;
  return tracked(async (m, log) => {
    if (done || m.kind !== 'handshake' || m.type !== 'certificate_verify') return undefined;
    done = true;
    if (keyKindOf(clientIdentity(env).spki) !== 'rsa') return undefined;
    const signed = await signedCv(env, log, SS.rsa_pss_rsae_sha256);
    return [certificateVerify(PSS_PSS_OF[SS.rsa_pss_rsae_sha256]!, sigOf(signed))];
  });
};

/** A TLS 1.3 CertificateVerify of ours over the transcript without our Certificate (the content is wrong, the key right). */
const withoutOwnCertificate = (env: BaseEnv): EngineHooks => {
  let done = false;
  return tracked(async (m, log) => {
    if (done || m.kind !== 'handshake' || m.type !== 'certificate_verify') return undefined;
    done = true;
    const id = clientIdentity(env);
    const sh = log.find('server_hello')!;
    // every message but our Certificate, the last one before this CertificateVerify
    const last = log.types.lastIndexOf('certificate');
    const msgs = log.raws.filter((_r, i) => i !== last);
    return [await cv13(env.provider, id, schemeOfCv(m.raw), suiteOfServerHello(sh), 'client', msgs)];
  });
};

const serverContext = (env: BaseEnv): EngineHooks => {
  let done = false;
  return tracked(async (m, log) => {
    if (done || m.kind !== 'handshake' || m.type !== 'certificate_verify') return undefined;
    done = true;
    return [await signedCv(env, log, schemeOfCv(m.raw), 'server')];
  });
};

// ---- client certificate keys (test-eddsa-in-certificate-verify, test-tls13-eddsa-in-certificate-verify,
// test-tls13-rsapss-signatures)

const EDDSA_KEYS: readonly TestKeyKind[] = ['ed25519', 'ed448'];
/** The scheme of each EdDSA key (RFC 8446 §4.2.3: ed25519, ed448). */
const EDDSA_SCHEME: Readonly<Partial<Record<TestKeyKind, number>>> = { ed25519: SS.ed25519, ed448: SS.ed448 };

/**
 * Our client's configuration with an identity whose key is one of `kinds`: its own when it is (live, the family chose
 * it by the mutation's Needs.clientKeys), else the test PKI's leaf of the first kind (in memory, on a base).
 */
function keyed(env: BaseEnv, kinds: readonly TestKeyKind[]): ClientConfig {
  const own = env.client.identity;
  const kind = own ? testKeyKindOf(own.spki) : undefined;
  const identity = own && kind && kinds.includes(kind) ? own : env.pki.identity('client', kinds[0]!);
  return { ...env.client, versions: [VERSION_CODE[env.spec.version]], identity };
}
/** A mutation of our client with a key of `kinds` (see keyed), its hooks made with that identity. */
const keyedHooks = (kinds: readonly TestKeyKind[], h: (env: BaseEnv) => EngineHooks): Pick<ClientSends, 'where' | 'mutate'> => ({
  where: 'client-sends',
  mutate: (env) => {
    const config = keyed(env, kinds);
    return { config, hooks: h({ ...env, client: config }) };
  },
});
const keyKind = (env: BaseEnv): TestKeyKind | undefined => testKeyKindOf(clientIdentity(env).spki);

/** Our CertificateVerify signed properly with our EdDSA key's scheme, which the CertificateRequest did not list. */
const eddsaUnrequested = (env: BaseEnv): EngineHooks => {
  const kind = keyKind(env);
  const scheme = kind === undefined ? undefined : EDDSA_SCHEME[kind];
  return {
    // listed: the conversation proves nothing (the hook does not fire)
    signatureScheme: ({ offered }) => (scheme === undefined || offered.includes(scheme) ? undefined : scheme),
  };
};

/** Our CertificateVerify signed with our key's `signAs` scheme, sent under the `label` scheme (same signature bytes). */
const relabelled =
  (signAs: (kind: TestKeyKind | undefined) => number | undefined, label: (kind: TestKeyKind | undefined) => number | undefined) =>
  (env: BaseEnv): EngineHooks => {
    let done = false;
    return tracked(async (m, log) => {
      if (done || m.kind !== 'handshake' || m.type !== 'certificate_verify') return undefined;
      done = true;
      const kind = keyKind(env);
      const as = signAs(kind);
      const to = label(kind);
      if (to === undefined) return undefined;
      const signed = as === undefined ? m.raw : await signedCv(env, log, as);
      return [certificateVerify(to, sigOf(signed))];
    });
  };

/** The DER element (tag, length, contents) at `at`: its contents' offset and its end. */
function derElement(der: Uint8Array, at: number): { body: number; end: number } {
  let len = der[at + 1]!;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[body + i]!;
    body += n;
  }
  return { body, end: body + len };
}

/**
 * The rsaEncryption twin of an id-RSASSA-PSS identity: the same RSAPrivateKey (the OCTET STRING of its PKCS#8
 * PrivateKeyInfo, RFC 5208 §5) without the parameters that restrict it, so a signature the key's parameters forbid can
 * be made (its chain is the original one).
 */
function unrestricted(id: Identity): Identity {
  const top = derElement(id.pkcs8, 0);
  const version = derElement(id.pkcs8, top.body);
  const algorithm = derElement(id.pkcs8, version.end);
  const octets = derElement(id.pkcs8, algorithm.end);
  const key = createPrivateKey({ key: Buffer.from(id.pkcs8.subarray(octets.body, octets.end)), format: 'der', type: 'pkcs1' });
  return {
    chain: id.chain,
    pkcs8: new Uint8Array(key.export({ format: 'der', type: 'pkcs8' })),
    spki: new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' })),
  };
}

/**
 * Our CertificateVerify labelled `label` (rsa_pss_pss_*), its signature RSASSA-PSS with that scheme's hash, MGF1 and
 * salt made with our id-RSASSA-PSS key although its parameters name another hash (RFC 8446 §4.2.3: "If the
 * corresponding public key's parameters are present, then the parameters in the signature MUST be identical to those in
 * the public key"; RFC 4055 §3.1 restricts such a key to them). rsa_pss_rsae_* with the same hash is the same signature.
 */
const pssOtherHash =
  (label: number, signAs: number) =>
  (env: BaseEnv): EngineHooks => {
    let done = false;
    return tracked(async (m, log) => {
      if (done || m.kind !== 'handshake' || m.type !== 'certificate_verify') return undefined;
      done = true;
      const twin = unrestricted(clientIdentity(env));
      const signed = await signedCv({ ...env, client: { ...env.client, identity: twin } }, log, signAs);
      return [certificateVerify(label, sigOf(signed))];
    });
  };

const KEY_MUTATIONS: readonly Mutation[] = [
  {
    name: 'cv-eddsa-not-requested',
    description:
      'our CertificateVerify properly signed with our Ed25519 (Ed448) key under ed25519 (ed448), a scheme the CertificateRequest did not list',
    versions: ['1.2', '1.3'],
    rules: ['t12.neg.cv-sigalg', 't13.neg.cv-sigalg'],
    bases: [...T12, ...T13],
    needs: { clientCert: true, clientKeys: EDDSA_KEYS, unrequestedKeyScheme: true },
    ...keyedHooks(EDDSA_KEYS, eddsaUnrequested),
    inMemory: serverAsksOnly(MODERN_ONLY),
  },
  {
    name: 'cv-eddsa-other-curve',
    description:
      'our CertificateVerify signed with our Ed25519 (Ed448) key, labelled ed448 (ed25519): the scheme of the other curve (RFC 8446 §4.2.3, RFC 8422 §5.1.3)',
    versions: ['1.2', '1.3'],
    rules: ['cert.leaf.key-type', 't13.neg.cv-sigalg'],
    bases: [...T12, ...T13],
    needs: { clientCert: true, clientKeys: EDDSA_KEYS },
    ...keyedHooks(
      EDDSA_KEYS,
      relabelled(
        () => undefined,
        (k) => (k === 'ed25519' ? SS.ed448 : k === 'ed448' ? SS.ed25519 : undefined),
      ),
    ),
  },
  {
    name: 'cv-ed25519-with-non-eddsa-key',
    description:
      'our CertificateVerify signed with our RSA (ECDSA) key as the engine chose, labelled ed25519 (RFC 8422 §5.10: ed25519 is for Ed25519 keys)',
    versions: ['1.2', '1.3'],
    rules: ['sig.eddsa-usage', 'cert.leaf.key-type', 't13.neg.cv-sigalg'],
    bases: [...T12, ...T13],
    needs: { clientCert: true, clientKeys: ['rsa', 'ecdsa'] },
    ...keyedHooks(
      ['rsa', 'ecdsa'],
      relabelled(
        () => undefined,
        (k) => (k === 'rsa' || k === 'ecdsa' ? SS.ed25519 : undefined),
      ),
    ),
  },
  {
    name: 'cv-rsa-pss-rsae-with-pss-key',
    description:
      'our CertificateVerify signed with our id-RSASSA-PSS key (rsa_pss_pss_sha256), labelled rsa_pss_rsae_sha256 (RFC 8446 §4.2.3: rsae needs an rsaEncryption key)',
    versions: ['1.2', '1.3'],
    rules: ['cert.leaf.key-type', 't13.neg.cv-sigalg'],
    bases: [...T12_RSA, ...T13],
    needs: { clientCert: true, clientKeys: ['rsa-pss'] },
    ...keyedHooks(
      ['rsa-pss'],
      relabelled(
        (k) => (k === 'rsa-pss' ? SS.rsa_pss_pss_sha256 : undefined),
        (k) => (k === 'rsa-pss' ? SS.rsa_pss_rsae_sha256 : undefined),
      ),
    ),
  },
  {
    name: 'cv-rsa-pss-pss-sha256-with-sha384-key',
    description:
      'our CertificateVerify under rsa_pss_pss_sha256 (SHA-256, MGF1-SHA-256, salt 32) made with our id-RSASSA-PSS key whose parameters restrict it to SHA-384 (RFC 8446 §4.2.3, RFC 4055 §3.1; test-tls13-rsapss-signatures)',
    versions: ['1.2', '1.3'],
    rules: ['cert.leaf.key-type', 't13.neg.cv-sigalg'],
    // a verifier that applies the key's parameters (RFC 4055 §3.1) finds a signature that does not verify: RFC 8446
    // §4.4.3 / RFC 5246 §7.4.8 decrypt_error fits as well
    reactionRules: ['t12.cv.signature-valid', 't13.cv.signature-valid'],
    bases: [...T12_RSA, ...T13],
    needs: { clientCert: true, clientKeys: ['rsa-pss-sha384'] },
    ...keyedHooks(['rsa-pss-sha384'], pssOtherHash(SS.rsa_pss_pss_sha256, SS.rsa_pss_rsae_sha256)),
  },
];

export const CV_MUTATIONS: readonly Mutation[] = [
  ...KEY_MUTATIONS,
  // ---- schemes
  {
    name: 'cv-scheme-not-requested',
    description: 'our CertificateVerify, properly signed, with a scheme the CertificateRequest did not list',
    versions: ['1.2', '1.3'],
    rules: ['t12.neg.cv-sigalg', 't13.neg.cv-sigalg'],
    bases: [...T12, ...T13],
    needs: CLIENT_CERT,
    ...hooks(signedWith(notRequested(MODERN))),
    inMemory: serverAsksOnly(MODERN_ONLY),
  },
  {
    name: 'cv-md5',
    description:
      'our TLS 1.2 CertificateVerify signed with MD5 (rsa_md5 / ecdsa_md5), which no CertificateRequest may list (RFC 9155)',
    versions: ['1.2'],
    rules: ['t12.neg.cv-sigalg', 'sig.t12.cv-no-md5-sha1'],
    bases: T12,
    needs: CLIENT_CERT,
    ...hooks(signedWith(notRequested([SS.rsa_md5, SS.ecdsa_md5]))),
    inMemory: serverAsksOnly(MODERN_ONLY),
  },
  {
    name: 'cv-sha1',
    description:
      'our CertificateVerify signed with SHA-1 (rsa_pkcs1_sha1 / ecdsa_sha1): TLS 1.2 when not requested, TLS 1.3 always (RFC 8446 §4.2.3)',
    versions: ['1.2', '1.3'],
    rules: ['t12.neg.cv-sigalg', 't13.neg.cv-sigalg'],
    bases: [...T12, ...T13],
    needs: CLIENT_CERT,
    ...hooks(signedWith(notRequested([SS.rsa_pkcs1_sha1, SS.ecdsa_sha1], true))),
    inMemory: serverAsksOnly(MODERN_ONLY),
  },
  {
    name: 'cv-sha224',
    description:
      'our CertificateVerify signed with SHA-224 (rsa_pkcs1_sha224 / ecdsa_sha224): TLS 1.2 when not requested, TLS 1.3 always',
    versions: ['1.2', '1.3'],
    rules: ['t12.neg.cv-sigalg', 't13.neg.cv-sigalg'],
    bases: [...T12, ...T13],
    needs: CLIENT_CERT,
    ...hooks(signedWith(notRequested([SS.rsa_pkcs1_sha224, SS.ecdsa_sha224], true))),
    inMemory: serverAsksOnly(MODERN_ONLY),
  },
  {
    name: 'cv-rsa-pss-pss-with-rsae-key',
    description:
      'our CertificateVerify labelled rsa_pss_pss_sha256 for an rsaEncryption key (RFC 8446 §4.2.3: the key must be id-RSASSA-PSS)',
    versions: ['1.2', '1.3'],
    rules: ['cert.leaf.key-type', 't13.neg.cv-sigalg'],
    bases: [...T12_RSA, ...T13],
    needs: { ...CLIENT_CERT, clientKeys: ['rsa'] },
    ...hooks(pssPssLabel),
  },
  {
    name: 't13-client-cv-rsa-pkcs1',
    description: 'our TLS 1.3 CertificateVerify signed with rsa_pkcs1_sha256 (RFC 8446 §4.4.3: RSA signatures use RSASSA-PSS)',
    versions: ['1.3'],
    rules: ['t13.cv.rsa-pss', 't13.neg.cv-sigalg'],
    bases: T13,
    needs: CLIENT_CERT,
    ...hooks((env) => signedWith(() => (keyKindOf(clientIdentity(env).spki) === 'rsa' ? SS.rsa_pkcs1_sha256 : undefined))(env)),
  },
  // ---- signature bytes
  {
    name: 'cv-sig-padded',
    description: 'our CertificateVerify signature with one zero byte appended (its length follows): it does not verify',
    versions: ['1.2', '1.3'],
    rules: ['t12.cv.signature-valid', 't13.cv.signature-valid'],
    bases: [...T12, ...T13],
    needs: { ...CLIENT_CERT, clientKeys: EDDSA_TOO },
    ...hooks(cvEdit((raw) => certificateVerify(schemeOfCv(raw), concatBytes([sigOf(raw), Uint8Array.of(0)])))),
  },
  {
    name: 't13-client-cv-sig-truncated',
    description: 'our TLS 1.3 CertificateVerify signature shortened by one byte (its length follows)',
    versions: ['1.3'],
    rules: ['t13.cv.signature-valid'],
    bases: T13,
    needs: { ...CLIENT_CERT, clientKeys: EDDSA_TOO },
    ...hooks(cvEdit((raw) => certificateVerify(schemeOfCv(raw), sigOf(raw).subarray(0, sigOf(raw).length - 1)))),
  },
  {
    name: 'cv-sig-empty',
    description: 'our CertificateVerify with a zero-length signature (syntactically valid: it does not verify)',
    versions: ['1.2', '1.3'],
    rules: ['t12.cv.signature-valid', 't13.cv.signature-valid'],
    bases: [...T12, ...T13],
    needs: { ...CLIENT_CERT, clientKeys: EDDSA_TOO },
    ...hooks(cvEdit((raw) => certificateVerify(schemeOfCv(raw), new Uint8Array(0)))),
  },
  {
    name: 'cv-trailing-byte',
    description:
      'a byte after the signature of our CertificateVerify (the message length follows, the signature length does not)',
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: [...T12, ...T13],
    needs: CLIENT_CERT,
    ...hooks(cvEdit((raw) => hsMessage(15, concatBytes([raw.subarray(4), Uint8Array.of(0)])))),
  },
  {
    name: 'cv-sig-length-long',
    description: 'the signature length of our CertificateVerify one more than its bytes (test-certificate-verify-malformed)',
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: [...T12, ...T13],
    needs: CLIENT_CERT,
    ...hooks(cvEdit((raw) => hsMessage(15, concatBytes([raw.subarray(4, 6), u16(sigOf(raw).length + 1), sigOf(raw)])))),
  },
  // ---- our Certificate message (test-certificate-malformed)
  {
    name: 'client-cert-list-length-plus-one',
    description: 'the certificate_list length of our Certificate one more than its bytes (the message length stays)',
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: [...T12, ...T13],
    needs: CLIENT_CERT,
    ...hooks(certListLength(1)),
  },
  {
    name: 'client-cert-list-length-minus-one',
    description: 'the certificate_list length of our Certificate one less than its bytes (a byte left after the list)',
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: [...T12, ...T13],
    needs: CLIENT_CERT,
    ...hooks(certListLength(-1)),
  },
  {
    name: 'client-cert-entry-length-plus-one',
    description: "the first certificate's length in our Certificate one more than its bytes (the list length stays)",
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: [...T12, ...T13],
    needs: CLIENT_CERT,
    ...hooks(certEntryLength(1)),
  },
  {
    name: 'client-cert-entry-length-minus-one',
    description: "the first certificate's length in our Certificate one less than its bytes (the list length stays)",
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: [...T12, ...T13],
    needs: CLIENT_CERT,
    ...hooks(certEntryLength(-1)),
  },
  // ---- content
  {
    name: 't13-client-cv-server-context',
    description: 'our TLS 1.3 CertificateVerify signed with the server context string (RFC 8446 §4.4.3)',
    versions: ['1.3'],
    rules: ['t13.cv.context-string', 't13.cv.signature-valid'],
    bases: T13,
    needs: CLIENT_CERT,
    ...hooks(serverContext),
  },
  {
    name: 't13-client-cv-without-certificate',
    description: 'our TLS 1.3 CertificateVerify signed over the transcript without our Certificate',
    versions: ['1.3'],
    rules: ['t13.cv.signed-content', 't13.cv.signature-valid'],
    bases: T13,
    needs: CLIENT_CERT,
    ...hooks(withoutOwnCertificate),
  },
];
