/**
 * The ClientHello family (what our client sends first, towards servers):
 * every way tlsfuzzer's ClientHello scripts shape or break it that applies
 * to TLS 1.2/1.3, each with the rules it breaks (or, for valid but unusual
 * hellos, the live rules that say the server must go on):
 *
 * - no extensions at all, or an empty block (RFC 5246 §7.4.1.2);
 * - no cipher suite in common: only unknown, or only forbidden ones; unknown
 *   and GREASE values next to real ones (RFC 5246 §7.4.1.2, RFC 8446 §4.1.1,
 *   §9.3, RFC 8701);
 * - malformed vector lengths: off by one each way, truncated, trailing
 *   bytes (RFC 8446 §4.1.2, §6.2 decode_error);
 * - duplicate extensions, compression methods without null, a 33-byte
 *   session id;
 * - legacy_version and supported_versions edge values, TLS_FALLBACK_SCSV
 *   (RFC 5246 App. E.1, RFC 8446 §4.2.1, App. D.5, RFC 7507);
 * - TLS 1.3 key_share omitted, empty, for an unlisted group, duplicated,
 *   for an unknown group only (RFC 8446 §4.1.1, §4.2.8, §9.2);
 * - signature_algorithms leaving nothing to sign with (RFC 8446 §4.2.3,
 *   RFC 9155);
 * - a very large ClientHello over several records, and one split into
 *   1-byte records (RFC 5246 §6.2.1, RFC 8446 §5.1).
 *
 * A mutation that breaks a rule our server checks runs offline on its
 * bases too (the mutant spec proves the oracles see it); those that must
 * be accepted are live only (the oracles find nothing wrong in them).
 */
import { type ClientConfig, DEFAULT_SCHEMES } from '../../engine/config';
import type { EngineHooks } from '../../engine/hooks';
import type { Extension } from '../../wire/extensions';
import { concatBytes } from '../../wire/hex';
import {
  ExtensionType as X,
  isObsoleteGroup,
  cipherSuites,
  NamedGroup,
  OBSOLETE_GROUPS,
  SCSV,
  SignatureScheme as SS,
} from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import { bumpLength, chunks, fixLength, helloLayout, insertAt, removeAt } from './bytes';
import type { ClientSends, Mutation, Needs } from './model';
import { type BaseEnv, type BaseName, editRaw, getExt, setExt, u16 } from './support';

const T12: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm'];
const T13: readonly BaseName[] = ['t13-server-auth', 't13-mutual'];
const ALL: readonly BaseName[] = [...T12, ...T13];
const V12 = { version: VERSION_CODE['1.2'] };
const V13 = { version: VERSION_CODE['1.3'] };

/** Cipher suite values no registry assigns (0x0100-0x12ff is unassigned, RFC 8446 App. B.4 / IANA). */
export const UNKNOWN_SUITES: readonly number[] = [0x0111, 0x0222, 0x0333, 0x0444];
/** GREASE values (RFC 8701 §2): 0x?A?A. */
export const GREASE: readonly number[] = [0x0a0a, 0x3a3a, 0x7a7a, 0xcaca];
/** Suites RFC 7465 (RC4), RFC 5246 App. A.5 / RFC 4346 (export) and RFC 5246 App. A.5 (NULL_WITH_NULL) forbid negotiating. */
export const FORBIDDEN_SUITES: readonly number[] = [
  0x0000, // TLS_NULL_WITH_NULL_NULL: "MUST NOT be negotiated" (RFC 5246 App. A.5)
  0x0003, // TLS_RSA_EXPORT_WITH_RC4_40_MD5: export, RC4 (RFC 4346 §A.5, RFC 7465 §2)
  0x0004, // TLS_RSA_WITH_RC4_128_MD5 (RFC 7465 §2)
  0x0005, // TLS_RSA_WITH_RC4_128_SHA (RFC 7465 §2)
  0x0008, // TLS_RSA_EXPORT_WITH_DES40_CBC_SHA (RFC 4346 §A.5)
  0xc011, // TLS_ECDHE_RSA_WITH_RC4_128_SHA (RFC 7465 §2)
];
/** A named group no registry assigns (not GREASE either). */
const UNKNOWN_GROUP = 0x0a1b;

const isHello = (m: { kind: string; type: string }) => m.kind === 'handshake' && m.type === 'client_hello';

/**
 * Our client's hooks that replace every ClientHello it sends (the first and, after a HelloRetryRequest, the second:
 * RFC 8446 §4.1.2 wants them alike, so an edit made to one is made to both).
 */
const everyHello = (fn: (raw: Uint8Array, second: boolean) => Uint8Array | undefined): EngineHooks => {
  let n = 0;
  return {
    beforeSend: (m) => {
      if (!isHello(m)) return undefined;
      const out = fn(m.raw, n++ > 0);
      return out ? [out] : undefined;
    },
  };
};

/** The first ClientHello only (a malformed one is all the server sees). */
const firstHello = (fn: (raw: Uint8Array) => Uint8Array | undefined): EngineHooks => {
  let done = false;
  return {
    beforeSend: (m) => {
      if (done || !isHello(m)) return undefined;
      done = true;
      const out = fn(m.raw);
      return out ? [out] : undefined;
    },
  };
};

/** The ClientHello as configured (a mutation that is all configuration still says when it went out). */
const asConfigured = (): EngineHooks => firstHello((raw) => raw);

type Sends = Pick<ClientSends, 'where' | 'mutate'>;
/**
 * Our client offers the base's version only (live it already does: a conversation is of one version), so that a
 * refused ClientHello still shows the version it was for (oracles/context.ts infers it from a ClientHello that
 * offers one version).
 */
const oneVersion = (env: BaseEnv): ClientConfig => ({ ...env.client, versions: [VERSION_CODE[env.spec.version]] });
/** A mutation of our client's hooks (and the one-version offer). */
const hooks = (h: (env: BaseEnv) => EngineHooks): Sends => ({
  where: 'client-sends',
  mutate: (env) => ({ config: oneVersion(env), hooks: h(env) }),
});
/** A mutation of our client's configuration and hooks. */
const configured = (c: (env: BaseEnv) => ClientConfig, h: (env: BaseEnv) => EngineHooks = asConfigured): Sends => ({
  where: 'client-sends',
  mutate: (env) => ({ config: c(env), hooks: h(env) }),
});

/** Edit the decoded ClientHello (extensions as a list). */
const structural =
  (
    fn: (b: {
      cipherSuites: number[];
      extensions?: Extension[];
      compressionMethods: number[];
      legacyVersion: number;
      sessionId: Uint8Array;
    }) => void,
  ) =>
  (raw: Uint8Array): Uint8Array => {
    const tls13 = helloLayout(raw).entries.some((e) => e.type === X.supported_versions);
    return editRaw(raw, tls13 ? V13 : V12, 'client_hello', fn);
  };
const withExts = (fn: (exts: Extension[]) => Extension[]) =>
  structural((b) => {
    b.extensions = fn(b.extensions ?? []);
  });

// ------------------------------------------------------------------ byte edits

/** The cipher_suites length field one more or less (the bytes stay: every field after it is read out of place). */
const suitesLength = (delta: number) => (raw: Uint8Array) => bumpLength(raw, helloLayout(raw).suites, 2, delta);
const sessionIdLength = (delta: number) => (raw: Uint8Array) => bumpLength(raw, helloLayout(raw).sessionId, 1, delta);
const compressionLength = (delta: number) => (raw: Uint8Array) => bumpLength(raw, helloLayout(raw).compression, 1, delta);
const extensionsLength = (delta: number) => (raw: Uint8Array) => {
  const at = helloLayout(raw).extensions;
  if (at === undefined) throw new Error('ClientHello without extensions');
  return bumpLength(raw, at, 2, delta);
};
/** The first extension's length one more or less. */
const firstExtensionLength = (delta: number) => (raw: Uint8Array) => {
  const e = helloLayout(raw).entries[0];
  if (!e) throw new Error('ClientHello without extensions');
  return bumpLength(raw, e.at + 2, 2, delta);
};
/** The last `n` bytes cut off (the handshake length follows: the message is short, not the record). */
const truncated = (n: number) => (raw: Uint8Array) => fixLength(raw.subarray(0, raw.length - n));
/** `n` bytes after the extensions block (the handshake length follows). */
const trailing = (n: number) => (raw: Uint8Array) => fixLength(concatBytes([raw, new Uint8Array(n)]));
/** The handshake header's length one less than the body: the last byte reads as the start of the next message. */
const headerLength = (delta: number) => (raw: Uint8Array) => bumpLength(raw, 1, 3, delta);
/** A 33-byte legacy_session_id (the limit is 32, RFC 5246 §7.4.1.2 / RFC 8446 §4.1.2 `opaque legacy_session_id<0..32>`). */
const sessionId33 = (raw: Uint8Array) => {
  const l = helloLayout(raw);
  const have = raw[l.sessionId]!;
  const out = removeAt(raw, l.sessionId + 1, have, [{ at: l.sessionId, size: 1 }]);
  return insertAt(out, l.sessionId + 1, new Uint8Array(33).fill(0x33), [{ at: l.sessionId, size: 1 }]);
};
/** The whole extensions block removed (a TLS 1.0-style ClientHello). */
const noExtensions = (raw: Uint8Array) => {
  const at = helloLayout(raw).extensions;
  return at === undefined ? raw : fixLength(raw.subarray(0, at));
};
/** An extensions block of length 0. */
const emptyExtensions = (raw: Uint8Array) => {
  const at = helloLayout(raw).extensions;
  return at === undefined ? raw : fixLength(concatBytes([raw.subarray(0, at), u16(0)]));
};

// ------------------------------------------------------------------ structural edits

const suitesOnly = (suites: readonly number[]) =>
  structural((b) => {
    b.cipherSuites = [...suites];
  });
const suitesBefore = (extra: readonly number[]) =>
  structural((b) => {
    b.cipherSuites = [...extra, ...b.cipherSuites];
  });
const legacyVersion = (v: number) =>
  structural((b) => {
    b.legacyVersion = v;
  });
const supportedVersions = (versions: readonly number[]) =>
  withExts((exts) =>
    setExt(
      exts,
      X.supported_versions,
      { kind: 'supported_versions_client', versions: [...versions] },
      exts.findIndex((e) => e.type === X.supported_versions),
    ),
  );
/**
 * An extension sent twice (the copy right after the original); a hello without it (a TLS 1.2 PSK-only offer has no
 * supported_groups) has its first extension sent twice instead.
 */
const duplicated = (type: number) =>
  withExts((exts) => {
    const found = exts.findIndex((e) => e.type === type);
    const i = found < 0 && exts.length ? 0 : found;
    if (i < 0) throw new Error(`no extension ${type} to duplicate`);
    return [...exts.slice(0, i + 1), exts[i]!, ...exts.slice(i + 1)];
  });
/** GREASE (RFC 8701): a suite, extensions (empty and one byte), a group, a signature algorithm, a version, a key share. */
const greased = withExts((exts) => {
  const out = [...exts];
  const groups = getExt(out, X.supported_groups, 'supported_groups');
  if (groups) groups.groups = [GREASE[0]!, ...groups.groups];
  const sigs = getExt(out, X.signature_algorithms, 'signature_algorithms');
  if (sigs) sigs.schemes = [GREASE[1]!, ...sigs.schemes];
  const sv = getExt(out, X.supported_versions, 'supported_versions_client');
  if (sv) sv.versions = [GREASE[2]!, ...sv.versions];
  const ks = getExt(out, X.key_share, 'key_share_client');
  if (ks) ks.shares = [{ group: GREASE[0]!, keyExchange: Uint8Array.of(0) }, ...ks.shares];
  // before pre_shared_key, which must stay last (RFC 8446 §4.2.11)
  const last = out.findIndex((e) => e.type === X.pre_shared_key);
  const at = last < 0 ? out.length : last;
  out.splice(
    at,
    0,
    { type: GREASE[3]!, body: { kind: 'opaque', data: new Uint8Array(0) } },
    { type: GREASE[0]!, body: { kind: 'opaque', data: Uint8Array.of(0) } },
  );
  return [{ type: GREASE[1]!, body: { kind: 'opaque', data: new Uint8Array(0) } }, ...out];
});
const greasedSuites = suitesBefore([GREASE[0]!]);
/** A ClientHello grown by an extension of `size` bytes of type `type` (a padding extension, RFC 7685, or an unknown one). */
const grownBy = (type: number, size: number) =>
  withExts((exts) => {
    const out = [...exts];
    const last = out.findIndex((e) => e.type === X.pre_shared_key);
    out.splice(last < 0 ? out.length : last, 0, { type, body: { kind: 'opaque', data: new Uint8Array(size) } });
    return out;
  });

/** The key_share extension removed (supported_groups stays). */
const keyShareOmitted = withExts((exts) => exts.filter((e) => e.type !== X.key_share));
/** key_share with an empty body (not even the client_shares length). */
const keyShareEmptyBody = withExts((exts) =>
  exts.map((e) => (e.type === X.key_share ? { type: e.type, body: { kind: 'opaque' as const, data: new Uint8Array(0) } } : e)),
);
/** The first key share sent twice. */
const keyShareDuplicated = withExts((exts) => {
  const ks = getExt(exts, X.key_share, 'key_share_client');
  if (ks?.shares[0]) ks.shares = [ks.shares[0], ...ks.shares];
  return exts;
});
/** A share for a group supported_groups does not list, next to the real one (a real secp384r1 or x25519 value). */
const keyShareUnlisted = withExts((exts) => {
  const ks = getExt(exts, X.key_share, 'key_share_client');
  const groups = getExt(exts, X.supported_groups, 'supported_groups');
  const own = ks?.shares[0];
  if (!ks || !groups || !own) return exts;
  const other = own.group === NamedGroup.x25519 ? NamedGroup.secp256r1 : NamedGroup.x25519;
  groups.groups = groups.groups.filter((g) => g !== other);
  // a well-formed value of the other group (x25519: 9, the base point; secp256r1: its generator)
  const value =
    other === NamedGroup.x25519
      ? Uint8Array.of(9, ...new Array<number>(31).fill(0))
      : Uint8Array.from(
          Buffer.from(
            '046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5',
            'hex',
          ),
        );
  ks.shares = [...ks.shares, { group: other, keyExchange: value }];
  return exts;
});
/** The only key share is for an unknown group (listed first in supported_groups): the server must retry for a real one. */
const keyShareUnknownOnly = withExts((exts) => {
  const ks = getExt(exts, X.key_share, 'key_share_client');
  const groups = getExt(exts, X.supported_groups, 'supported_groups');
  if (!ks || !groups) return exts;
  groups.groups = [UNKNOWN_GROUP, ...groups.groups.filter((g) => g !== UNKNOWN_GROUP)];
  ks.shares = [{ group: UNKNOWN_GROUP, keyExchange: new Uint8Array(32).fill(0x42) }];
  return exts;
});
/** A share of 32 bytes of 0xab for an obsolete_reserved group (RFC 8446 §4.2.7), as tlsfuzzer sends for a group it cannot make one for. */
const OBSOLETE_SHARE = { group: NamedGroup.secp256k1, keyExchange: new Uint8Array(32).fill(0xab) };
/** supported_groups lists only the obsolete_reserved groups; key_share holds one share for one of them (or none). */
const obsoleteOnly = (share: boolean) =>
  withExts((exts) => {
    const ks = getExt(exts, X.key_share, 'key_share_client');
    const groups = getExt(exts, X.supported_groups, 'supported_groups');
    if (!ks || !groups) return exts;
    groups.groups = [...OBSOLETE_GROUPS];
    ks.shares = share ? [{ ...OBSOLETE_SHARE }] : [];
    return exts;
  });
/** The obsolete_reserved groups listed before our client's own; with `share`, a share for one of them before ours. */
const obsoleteListed = (share: boolean) =>
  withExts((exts) => {
    const ks = getExt(exts, X.key_share, 'key_share_client');
    const groups = getExt(exts, X.supported_groups, 'supported_groups');
    if (!ks || !groups) return exts;
    groups.groups = [...OBSOLETE_GROUPS, ...groups.groups.filter((g) => !isObsoleteGroup(g))];
    if (share) ks.shares = [{ ...OBSOLETE_SHARE }, ...ks.shares];
    return exts;
  });
const compressionOnly = (methods: readonly number[]) =>
  structural((b) => {
    b.compressionMethods = [...methods];
  });
const signatureAlgorithms = (schemes: readonly number[]) =>
  withExts((exts) =>
    setExt(
      exts,
      X.signature_algorithms,
      { kind: 'signature_algorithms', schemes: [...schemes] },
      exts.findIndex((e) => e.type === X.signature_algorithms),
    ),
  );

// ------------------------------------------------------------------ extension bodies

/** The extension of this type with these raw bytes as its extension_data (added before pre_shared_key when absent). */
const rawExtension = (type: number, data: Uint8Array) =>
  withExts((exts) => {
    const body = { kind: 'opaque' as const, data };
    const i = exts.findIndex((e) => e.type === type);
    if (i >= 0) return exts.map((e, j) => (j === i ? { type, body } : e));
    const last = exts.findIndex((e) => e.type === X.pre_shared_key);
    const out = [...exts];
    out.splice(last < 0 ? out.length : last, 0, { type, body });
    return out;
  });
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
/** A host_name entry of server_name_list (name_type 0). */
const hostName = (s: string): number[] => [0, ...u16(s.length), ...ascii(s)];
/** A vector of `bytes` behind a 2-byte length `delta` off its size. */
const vec16 = (bytes: readonly number[], delta = 0): Uint8Array => Uint8Array.from([...u16(bytes.length + delta), ...bytes]);
/** ProtocolName entries (one-byte lengths) of an ALPN list. */
const protocolNames = (...names: string[]): number[] => names.flatMap((n) => [n.length, ...ascii(n)]);

// ------------------------------------------------------------------ records

/** The ClientHello record split into records of `size` bytes (the content is whole: only its framing changes). */
const helloInRecordsOf = (size: number): EngineHooks => ({
  beforeFrame: (f) =>
    !f.protected && f.contentType === 22 && f.content[0] === 1
      ? chunks(f.content, size).map((fragment) => ({ contentType: 22, fragment }))
      : undefined,
});
/** Every ClientHello grown by `size` bytes of an extension, framed as usual (records of 2^14 bytes). */
const large = (type: number, size: number): EngineHooks => everyHello(grownBy(type, size));

// ------------------------------------------------------------------ declarations

/** The target answers TLS 1.3 (a fallback ClientHello of TLS 1.2 is one below its highest version). */
const TARGET_13: Needs = { serverDoes13: true };

/** A malformed first ClientHello: decode_error (RFC 8446 §6.2: "the length of the message was incorrect"). */
const malformed = (
  name: string,
  description: string,
  edit: (raw: Uint8Array) => Uint8Array,
  rules: ClientSends['rules'] = ['rec.hs-length-consistent'],
  // offline only where the transcript can tell: a ClientHello that does not decode leaves the version unknown
  bases: readonly BaseName[] = [],
): ClientSends => ({
  name,
  description,
  versions: ['1.2', '1.3'],
  rules,
  bases,
  ...hooks(() => firstHello(edit)),
});

/** Our client accepts what a server may answer an unusual offer with: SHA-1 signatures (RFC 5246 §7.4.1.4.1 defaults). */
const withSha1Defaults = (env: BaseEnv): ClientConfig => ({
  ...env.client,
  signatureSchemes: [
    ...(env.client.signatureSchemes ?? []),
    SS.rsa_pss_rsae_sha256,
    SS.rsa_pkcs1_sha256,
    SS.ecdsa_secp256r1_sha256,
    SS.rsa_pkcs1_sha1,
    SS.ecdsa_sha1,
  ],
});

// ------------------------------------------------------------------ key exchange offers

/** supported_groups replaced by `groups` (its place kept). */
const groupsOnly = (groups: readonly number[]) =>
  withExts((exts) =>
    setExt(
      exts,
      X.supported_groups,
      { kind: 'supported_groups', groups: [...groups] },
      exts.findIndex((e) => e.type === X.supported_groups),
    ),
  );
/** `extra` listed first in supported_groups, before what our client offers. */
const groupsFirst = (extra: readonly number[]) =>
  withExts((exts) => {
    const listed = getExt(exts, X.supported_groups, 'supported_groups')?.groups ?? [];
    return setExt(
      exts,
      X.supported_groups,
      { kind: 'supported_groups', groups: [...extra, ...listed] },
      exts.findIndex((e) => e.type === X.supported_groups),
    );
  });

/** The ML-KEM groups, pure and hybrid (draft-ietf-tls-mlkem §4.1, draft-ietf-tls-ecdhe-mlkem §5): TLS 1.3 only. */
const MLKEM_GROUPS: readonly number[] = [
  NamedGroup.X25519MLKEM768,
  NamedGroup.SecP256r1MLKEM768,
  NamedGroup.SecP384r1MLKEM1024,
  NamedGroup.MLKEM512,
  NamedGroup.MLKEM768,
  NamedGroup.MLKEM1024,
];

/** The RFC 7919 groups (RFC 7919 App. A). */
const FFDHE_GROUPS: readonly (keyof typeof NamedGroup)[] = ['ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'];
/** FFDHE codepoints no server can know: RFC 7919 §5 reserves 0x01FC-0x01FF for private use. */
const FFDHE_PRIVATE_USE: readonly number[] = [0x01fc, 0x01fd];

/** Our client offers `groups` only in a TLS 1.2 hello (live: the conversation's one DHE suite). */
const dheOffer =
  (groups: readonly number[]) =>
  (env: BaseEnv): ClientConfig => ({ ...oneVersion(env), groups: [...groups] });

/** One FFDHE group offered alone with DHE suites only (test-ffdhe-negotiation): the server takes it or aborts. */
const ffdheAlone = (name: keyof typeof NamedGroup): Mutation => ({
  name: `t12-dhe-${name}-alone`,
  description: `a TLS 1.2 ClientHello offering DHE suites only and ${name} alone in supported_groups (test-ffdhe-negotiation)`,
  versions: ['1.2'],
  rules: ['t12.neg.ffdhe-group-alone'],
  bases: [],
  needs: { kex: 'DHE' },
  ...configured(dheOffer([NamedGroup[name]])),
});

/**
 * The TLS 1.2 schemes offered one at a time in a DHE_RSA hello (test-dhe-rsa-key-exchange-signatures): PKCS#1 with
 * SHA-1 (RFC 9155 §2 forbids clients to offer it and §4 servers to sign with it), SHA-224, SHA-256, SHA-384 and SHA-512,
 * and RSA-PSS (rsaEncryption keys) with SHA-256, SHA-384 and SHA-512.
 */
const DHE_SCHEMES: readonly (keyof typeof SS)[] = [
  'rsa_pkcs1_sha1',
  'rsa_pkcs1_sha224',
  'rsa_pkcs1_sha256',
  'rsa_pkcs1_sha384',
  'rsa_pkcs1_sha512',
  'rsa_pss_rsae_sha256',
  'rsa_pss_rsae_sha384',
  'rsa_pss_rsae_sha512',
];

/** Whether a scheme signs with an RSA key (PKCS#1 v1.5: signature byte 1; RSA-PSS rsae and pss, RFC 8446 §4.2.3). */
const isRsaScheme = (x: number): boolean => (x & 0xff) === 0x01 || (x >= 0x0804 && x <= 0x0806) || (x >= 0x0809 && x <= 0x080b);
/** signature_algorithms with `scheme` as its only RSA scheme; the others (ECDSA, EdDSA: a certificate chain's) stay. */
const onlyRsaScheme = (scheme: number) =>
  withExts((exts) => {
    const listed = getExt(exts, X.signature_algorithms, 'signature_algorithms')?.schemes ?? [];
    return setExt(
      exts,
      X.signature_algorithms,
      { kind: 'signature_algorithms', schemes: [scheme, ...listed.filter((x) => !isRsaScheme(x))] },
      exts.findIndex((e) => e.type === X.signature_algorithms),
    );
  });

/**
 * signature_algorithms offering one RSA scheme alone in a DHE_RSA hello: the only one a DHE_RSA ServerKeyExchange may be
 * signed with (RFC 5246 §7.4.3); the non-RSA schemes stay, as a certificate chain may be signed with them (§7.4.2). Our
 * client's configuration keeps its own schemes next to it (its CertificateVerify uses one the CertificateRequest lists,
 * RFC 5246 §7.4.8, and it verifies what the server signs with); only the hello on the wire is edited, and the rules
 * judge it as sent.
 */
const dheSchemeAlone = (name: keyof typeof SS): Mutation => ({
  name: `t12-dhe-sigalg-${name.replace(/_/g, '-')}-alone`,
  description: `a TLS 1.2 DHE_RSA ClientHello whose signature_algorithms offers ${name} as its only RSA scheme (test-dhe-rsa-key-exchange-signatures)`,
  versions: ['1.2'],
  rules: ['t12.neg.ske-sigalg-alone'],
  bases: [],
  needs: { kex: 'DHE' },
  ...configured(
    (env) => ({ ...oneVersion(env), signatureSchemes: [SS[name], ...(env.client.signatureSchemes ?? DEFAULT_SCHEMES)] }),
    () => everyHello(onlyRsaScheme(SS[name])),
  ),
});

/** The curves RFC 8422 §5.1.1 keeps for ECDHE (and X25519, X448 of RFC 8422 §5.1.1 / RFC 7748). */
const ECDHE_CURVES: readonly number[] = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
  NamedGroup.x448,
];

/** The TLS 1.3 ECDSA schemes, each bound to its curve (RFC 8446 §4.2.3). */
const ECDSA13_SCHEMES: readonly (keyof typeof SS)[] = [
  'ecdsa_secp256r1_sha256',
  'ecdsa_secp384r1_sha384',
  'ecdsa_secp521r1_sha512',
];

/**
 * A TLS 1.3 ClientHello whose signature_algorithms offers one ECDSA scheme alone and whose signature_algorithms_cert
 * offers every scheme our client knows, so that any chain may be sent as it is (test-tls13-ecdsa-support). Our client's
 * configuration keeps its own schemes (its CertificateVerify, if asked for one, uses one the CertificateRequest lists);
 * only the hello on the wire is edited, and the rules judge it as sent: a server with a key on the scheme's curve
 * completes with it, one without aborts (t13.neg.ecdsa-scheme-alone), and whatever CertificateVerify comes is judged
 * against the hello (t13.neg.cv-sigalg: offered, and the leaf key on that curve).
 */
const ecdsaSchemeAlone13 = (name: keyof typeof SS): Mutation => ({
  name: `t13-ch-sigalg-${name.replace(/_/g, '-')}-alone`,
  description: `a TLS 1.3 ClientHello whose signature_algorithms offers ${name} alone, signature_algorithms_cert every scheme (test-tls13-ecdsa-support)`,
  versions: ['1.3'],
  rules: ['t13.neg.ecdsa-scheme-alone'],
  bases: [],
  // a PSK handshake signs nothing
  needs: { certificateAuth: true },
  ...configured(
    (env) => {
      const own = env.client.signatureSchemes ?? DEFAULT_SCHEMES;
      return {
        ...oneVersion(env),
        signatureSchemes: [SS[name], ...own.filter((x) => x !== SS[name])],
        signatureSchemesCert: [...DEFAULT_SCHEMES],
      };
    },
    () => everyHello(signatureAlgorithms([SS[name]])),
  ),
});

/** Suites RFC 5288 / RFC 5289 define for TLS 1.2 only (AEAD, SHA-256/384 PRF): "MUST NOT be negotiated in older versions". */
const TLS12_ONLY_SUITES: readonly number[] = [0xc02f, 0xc030, 0xc02b, 0xc02c, 0x009e, 0x009c, 0xc027, 0x003c];

/**
 * The AES-CCM suites of RFC 6655 (RSA, DHE_RSA) and RFC 7251 (ECDHE_ECDSA): AEAD suites, which have a record format
 * only from TLS 1.2 on (RFC 5246 §6.2.3.3; RFC 6655 §1 "utilizes the AEAD facility within TLS 1.2").
 */
const TLS12_CCM_SUITES: readonly number[] = [...cipherSuites.values()]
  .filter((c) => c.cipher.includes('CCM') && ['RSA', 'DHE_RSA', 'ECDHE_ECDSA'].includes(c.kex))
  .map((c) => c.code);

/** A TLS 1.1 ClientHello: legacy_version 0x0302, no supported_versions, no signature_algorithms (RFC 5246 §7.4.1.4.1). */
const tls11Hello = (suites: readonly number[]) =>
  structural((b) => {
    b.legacyVersion = 0x0302;
    b.cipherSuites = [...suites];
    b.extensions = (b.extensions ?? []).filter((e) => e.type !== X.supported_versions && e.type !== X.signature_algorithms);
  });

/**
 * The DHE_RSA offers (issue #14): each RFC 7919 group alone, only private-use FFDHE codepoints, one RSA scheme at a
 * time; they run against servers whose probe completed a DHE_RSA handshake with ffdhe2048.
 */
export const KEX_DHE_OFFERS: readonly Mutation[] = [
  ...FFDHE_GROUPS.map(ffdheAlone),
  {
    name: 't12-dhe-ffdhe-private-use-only',
    description:
      'a TLS 1.2 ClientHello offering DHE suites only and only FFDHE codepoints of the private-use range (0x01FC, 0x01FD: RFC 7919 §5) in supported_groups',
    versions: ['1.2'],
    rules: ['t12.neg.ffdhe-no-known-group'],
    bases: [],
    needs: { kex: 'DHE' },
    // our client can still run ffdhe2048, so a server that picks it anyway is seen going on
    ...configured(dheOffer([NamedGroup.ffdhe2048]), () => everyHello(groupsOnly(FFDHE_PRIVATE_USE))),
  },
  ...DHE_SCHEMES.map(dheSchemeAlone),
];

export const HELLO_MUTATIONS: readonly Mutation[] = [
  // ---- extensions block
  {
    name: 'ch-no-extensions',
    description: 'a TLS 1.2 ClientHello without an extensions block (test-empty-extensions)',
    versions: ['1.2'],
    rules: ['t12.neg.extensionless-hello'],
    bases: [],
    ...configured(withSha1Defaults, () => firstHello(noExtensions)),
  },
  {
    name: 'ch-empty-extensions',
    description: 'a TLS 1.2 ClientHello whose extensions block is present and empty',
    versions: ['1.2'],
    rules: ['t12.neg.extensionless-hello'],
    bases: [],
    ...configured(withSha1Defaults, () => firstHello(emptyExtensions)),
  },
  // ---- cipher suites
  {
    name: 'ch-only-unknown-suites',
    description: 'cipher_suites holds only unassigned values (test-invalid-cipher-suites, test-tls13-invalid-ciphers)',
    versions: ['1.2', '1.3'],
    rules: ['t12.neg.no-common-parameters', 't13.neg.no-common-parameters'],
    bases: [],
    ...hooks(() => firstHello(suitesOnly(UNKNOWN_SUITES))),
  },
  {
    name: 'ch-only-forbidden-suites',
    description: 'cipher_suites holds only suites that must not be negotiated: NULL_WITH_NULL_NULL, export, RC4',
    versions: ['1.2'],
    rules: ['t12.neg.no-common-parameters'],
    bases: [],
    ...hooks(() => firstHello(suitesOnly(FORBIDDEN_SUITES))),
  },
  {
    name: 't13-ch-only-tls12-suites',
    description: 'a TLS 1.3-only ClientHello offering only TLS 1.2 cipher suites (test-tls13-nociphers)',
    versions: ['1.3'],
    rules: ['t13.neg.no-common-parameters'],
    bases: [],
    ...hooks(() => firstHello(suitesOnly([0xc02f, 0xc030, 0x009c]))),
  },
  {
    name: 'ch-unknown-suites-first',
    description: 'unassigned and GREASE cipher suites listed before the real one (RFC 8446 §9.3: ignored)',
    versions: ['1.2', '1.3'],
    rules: ['ext.ignore-unknown'],
    bases: [],
    ...hooks(() => everyHello(suitesBefore([...UNKNOWN_SUITES, GREASE[2]!]))),
  },
  // ---- malformed vectors (decode_error)
  malformed('ch-suites-length-plus-one', 'cipher_suites length one more than its bytes (odd)', suitesLength(1)),
  malformed('ch-suites-length-minus-one', 'cipher_suites length one less than its bytes (odd)', suitesLength(-1)),
  malformed('ch-session-id-length-plus-one', 'legacy_session_id length one more than its bytes', sessionIdLength(1)),
  malformed('ch-compression-length-plus-one', 'legacy_compression_methods length one more than its bytes', compressionLength(1)),
  malformed('ch-extensions-length-plus-one', 'extensions block length one more than its bytes', extensionsLength(1), [
    'ext.block-well-formed',
  ]),
  malformed('ch-extensions-length-minus-one', 'extensions block length one less than its bytes', extensionsLength(-1), [
    'ext.block-well-formed',
  ]),
  malformed('ch-extension-length-plus-one', "the first extension's length one more than its body", firstExtensionLength(1), [
    'ext.block-well-formed',
  ]),
  malformed('ch-truncated', 'the ClientHello cut one byte short (its handshake length follows)', truncated(1), [
    'ext.block-well-formed',
  ]),
  malformed(
    'ch-trailing-bytes',
    'two zero bytes after the extensions block (test-truncating-of-client-hello)',
    trailing(2),
    ['ext.block-well-formed'],
    ALL,
  ),
  malformed('ch-header-length-short', 'the handshake header says one byte less than the ClientHello has', headerLength(-1)),
  malformed('ch-session-id-33', 'a 33-byte legacy_session_id (test-invalid-session-id)', sessionId33),
  // ---- duplicates, compression
  {
    name: 'ch-duplicate-extension',
    description: 'supported_groups (in a hello without it, its first extension) sent twice in the ClientHello',
    versions: ['1.2', '1.3'],
    rules: ['ext.no-duplicates'],
    bases: ALL,
    ...hooks(() => firstHello(duplicated(X.supported_groups))),
  },
  {
    name: 'ch-compression-without-null',
    description: 'legacy_compression_methods lists DEFLATE only, not null (test-invalid-compression-methods)',
    versions: ['1.2', '1.3'],
    rules: ['t12.neg.compression', 't13.neg.compression'],
    bases: [], // refused before a ServerHello: the transcript cannot tell which rule (or version) the refusal is for
    ...hooks(() => firstHello(compressionOnly([1]))),
  },
  // ---- versions
  {
    name: 't12-ch-version-ssl3',
    description: 'a ClientHello of legacy_version 0x0300 (SSL 3.0) without supported_versions',
    versions: ['1.2'],
    rules: ['ver.no-ssl3'],
    bases: [], // refused before a ServerHello: the transcript cannot tell which rule (or version) the refusal is for
    ...hooks(() => firstHello(legacyVersion(0x0300))),
  },
  {
    name: 't12-ch-version-0000',
    description: 'a ClientHello of legacy_version 0x0000 (test-invalid-version, test-legacy-version)',
    versions: ['1.2'],
    rules: ['ver.no-ssl3'],
    bases: [], // refused before a ServerHello: the transcript cannot tell which rule (or version) the refusal is for
    ...hooks(() => firstHello(legacyVersion(0x0000))),
  },
  {
    name: 't12-ch-version-0305',
    description: 'a ClientHello of legacy_version 0x0305 without supported_versions: the server answers TLS 1.2',
    versions: ['1.2'],
    rules: ['ver.no-intolerance'],
    bases: [],
    ...hooks(() => everyHello(legacyVersion(0x0305))),
  },
  {
    name: 't12-ch-version-fefe',
    description: 'a ClientHello of legacy_version 0xfefe without supported_versions (test-version-numbers)',
    versions: ['1.2'],
    rules: ['ver.no-intolerance'],
    bases: [],
    ...hooks(() => everyHello(legacyVersion(0xfefe))),
  },
  {
    name: 't12-ch-version-0304-without-supported-versions',
    description: 'a ClientHello of legacy_version 0x0304 without supported_versions: TLS 1.2 (RFC 8446 §4.2.1)',
    versions: ['1.2'],
    rules: ['ver.no-intolerance'],
    bases: [],
    ...hooks(() => everyHello(legacyVersion(VERSION_CODE['1.3']))),
  },
  {
    name: 't13-ch-legacy-version-0300',
    description: 'a TLS 1.3 ClientHello of legacy_version 0x0300 (RFC 8446 App. D.5: protocol_version)',
    versions: ['1.3'],
    rules: ['ver.no-ssl3'],
    bases: T13,
    ...hooks(() => firstHello(legacyVersion(0x0300))),
  },
  {
    name: 't13-ch-legacy-version-0301',
    description: 'a TLS 1.3 ClientHello of legacy_version 0x0301: supported_versions alone decides (RFC 8446 §4.2.1)',
    versions: ['1.3'],
    rules: ['ver.no-intolerance'],
    bases: [],
    ...hooks(() => everyHello(legacyVersion(0x0301))),
  },
  {
    name: 't13-ch-supported-versions-unknown-only',
    description: 'supported_versions lists only unknown versions (0x0305, 0x7f1c): no version in common',
    versions: ['1.3'],
    rules: ['ver.t13.server-selection'],
    bases: [], // refused before a ServerHello: the transcript cannot tell which rule (or version) the refusal is for
    ...hooks(() => firstHello(supportedVersions([0x0305, 0x7f1c]))),
  },
  {
    name: 't13-ch-supported-versions-ssl3-only',
    description: 'supported_versions lists only 0x0300 (test-tls13-version-negotiation)',
    versions: ['1.3'],
    rules: ['ver.no-ssl3'],
    bases: [], // refused before a ServerHello: the transcript cannot tell which rule (or version) the refusal is for
    ...hooks(() => firstHello(supportedVersions([0x0300]))),
  },
  {
    name: 't13-ch-supported-versions-empty',
    description: 'supported_versions with an empty list (versions<2..254>): malformed, and no version in common',
    versions: ['1.3'],
    // decode_error for the vector below its minimum (RFC 8446 §6.2), protocol_version for no version in common (App. D.1)
    rules: ['rec.hs-length-consistent', 'ver.t13.server-selection'],
    bases: [], // refused before a ServerHello: the transcript cannot tell which rule (or version) the refusal is for
    ...hooks(() => firstHello(supportedVersions([]))),
  },
  {
    name: 't13-ch-supported-versions-unknown-first',
    description: 'unknown versions (0x0305, GREASE) listed before TLS 1.3 in supported_versions (ignored)',
    versions: ['1.3'],
    rules: ['ver.no-intolerance'],
    bases: [],
    ...hooks(() => everyHello(supportedVersions([0x0305, GREASE[1]!, VERSION_CODE['1.3']]))),
  },
  {
    name: 't12-fallback-scsv',
    description: 'a TLS 1.2 ClientHello with TLS_FALLBACK_SCSV to a server that does TLS 1.3 (RFC 7507 §3)',
    versions: ['1.2'],
    rules: ['ver.fallback-scsv'],
    bases: T12,
    needs: TARGET_13,
    ...hooks(() => firstHello(suitesBefore([SCSV.TLS_FALLBACK_SCSV]))),
    // in memory our server does TLS 1.3 too, so TLS 1.2 is a fallback; it processes the ClientHello without the SCSV
    // and goes on, so the transcript shows a server that did not refuse the fallback
    inMemory: (env) => ({
      server: { ...env.server, versions: [VERSION_CODE['1.3'], VERSION_CODE['1.2']] },
      processesOriginal: ['client_hello'],
    }),
  },
  // ---- GREASE and size
  {
    name: 'ch-grease',
    description: 'GREASE in cipher_suites, extensions, supported_groups, signature_algorithms, supported_versions and key_share',
    versions: ['1.2', '1.3'],
    rules: ['ext.ignore-unknown'],
    bases: [],
    ...hooks(() => everyHello((raw) => greasedSuites(greased(raw)))),
  },
  {
    name: 'ch-large-padding',
    description: 'a ClientHello grown to about 20 KiB by a padding extension (RFC 7685), so it spans two records',
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-fragmentation'],
    bases: [],
    ...hooks(() => large(X.padding, 20_000)),
  },
  {
    // test-cve-2016-6309 ("Large incorrect ClientHello length"): the length bytes set to 0x55 0x55 made OpenSSL 1.1.0
    // and 1.1.0a abort; the server must wait for the rest (or close), and must still answer the next connection
    name: 'ch-length-overstated',
    description: 'the ClientHello announces 0x005555 (21845) bytes in its handshake header and carries only its own',
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: [],
    unfinished: true,
    ...hooks(() => firstHello((raw) => Uint8Array.of(raw[0]!, 0, 0x55, 0x55, ...raw.subarray(4)))),
  },
  {
    name: 'ch-large-unknown-extension',
    description: 'a ClientHello with a 40 KiB unassigned extension (test-large-hello): spans three records',
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-fragmentation', 'ext.ignore-unknown'],
    bases: [],
    ...hooks(() => large(0xfe11, 40_000)),
  },
  {
    name: 'ch-one-byte-records',
    description: 'the ClientHello split into records of one byte each (RFC 5246 §6.2.1, RFC 8446 §5.1)',
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-fragmentation'],
    bases: [],
    ...hooks(() => helloInRecordsOf(1)),
  },
  {
    name: 'ch-large-one-byte-records',
    description: 'a 5 KiB ClientHello (padding extension) split into records of one byte each',
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-fragmentation'],
    bases: [],
    ...hooks(() => ({ ...everyHello(grownBy(X.padding, 5000)), ...helloInRecordsOf(1) })),
  },
  // ---- TLS 1.3 key shares
  {
    name: 't13-ch-keyshare-omitted',
    description: 'a TLS 1.3 ClientHello with supported_groups but no key_share (RFC 8446 §9.2: missing_extension)',
    versions: ['1.3'],
    rules: ['t13.neg.mandatory-extensions'],
    bases: T13,
    ...hooks(() => firstHello(keyShareOmitted)),
  },
  {
    name: 't13-ch-keyshare-body-empty',
    description: 'key_share with an empty body, not even the client_shares length (test-tls13-keyshare-omitted)',
    versions: ['1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: T13,
    ...hooks(() => firstHello(keyShareEmptyBody)),
  },
  {
    name: 't13-ch-keyshare-empty',
    description: 'an empty client_shares list: the server asks for a share with HelloRetryRequest (test-tls13-hrr)',
    versions: ['1.3'],
    rules: ['t13.neg.hrr-for-missing-share'],
    bases: [],
    ...configured((env) => ({ ...env.client, keyShareGroups: [] })),
  },
  {
    name: 't13-ch-keyshare-unknown-group',
    description:
      'the only key share is for an unassigned group listed first: HelloRetryRequest for a real one (test-tls13-unrecognised-groups)',
    versions: ['1.3'],
    rules: ['t13.neg.hrr-for-missing-share', 'ext.ignore-unknown'],
    bases: [],
    // the engine sends no share of its own, so the retry it answers is for a group it has no share for
    ...configured(
      (env) => ({ ...env.client, keyShareGroups: [] }),
      () => firstHello(keyShareUnknownOnly),
    ),
  },
  {
    name: 't13-ch-keyshare-unlisted-group',
    description: 'an extra key share for a group supported_groups does not list (RFC 8446 §4.2.8: servers MAY check)',
    versions: ['1.3'],
    rules: ['t13.neg.keyshare-client'],
    bases: T13,
    ...hooks(() => firstHello(keyShareUnlisted)),
  },
  // ---- obsolete_reserved groups (RFC 8446 §4.2.7; test-tls13-obsolete-curves)
  {
    name: 't13-ch-obsolete-groups-only',
    description:
      'supported_groups lists only the obsolete_reserved groups, key_share one share (32 bytes of 0xab) for secp256k1 (test-tls13-obsolete-curves)',
    versions: ['1.3'],
    rules: ['t13.neg.obsolete-groups', 't13.neg.no-common-parameters'],
    bases: [],
    ...hooks(() => firstHello(obsoleteOnly(true))),
  },
  {
    name: 't13-ch-obsolete-groups-only-no-share',
    description:
      'supported_groups lists only the obsolete_reserved groups, key_share is empty: no group the server may retry for (test-tls13-obsolete-curves)',
    versions: ['1.3'],
    rules: ['t13.neg.obsolete-groups', 't13.neg.no-common-parameters'],
    bases: [],
    ...hooks(() => firstHello(obsoleteOnly(false))),
  },
  {
    name: 't13-ch-obsolete-groups-listed',
    description:
      'the obsolete_reserved groups listed in supported_groups before our own, our key share unchanged: the server negotiates our group or aborts (test-tls13-obsolete-curves)',
    versions: ['1.3'],
    rules: ['t13.neg.obsolete-groups'],
    bases: T13,
    ...hooks(() => everyHello(obsoleteListed(false))),
  },
  {
    name: 't13-ch-obsolete-group-share',
    description:
      'the obsolete_reserved groups listed before our own and a share (32 bytes of 0xab) for secp256k1 before our key share (test-tls13-obsolete-curves)',
    versions: ['1.3'],
    rules: ['t13.neg.obsolete-groups'],
    bases: T13,
    ...hooks(() => everyHello(obsoleteListed(true))),
  },
  {
    name: 't13-ch-keyshare-duplicated',
    description: 'the key share sent twice for the same group (RFC 8446 §4.2.8: servers MAY check)',
    versions: ['1.3'],
    rules: ['t13.neg.keyshare-client'],
    bases: T13,
    ...hooks(() => firstHello(keyShareDuplicated)),
  },
  // ---- signature algorithms
  {
    name: 't13-ch-sigalgs-pkcs1-only',
    description:
      'signature_algorithms offers only rsa_pkcs1_* schemes: nothing a TLS 1.3 CertificateVerify may use (test-tls13-pkcs-signature)',
    versions: ['1.3'],
    rules: ['t13.neg.no-common-parameters'],
    bases: [],
    // a PSK handshake signs nothing: the schemes leave nothing to negotiate only for a certificate
    needs: { certificateAuth: true },
    ...hooks(() =>
      everyHello(signatureAlgorithms([SS.rsa_pkcs1_sha256, SS.rsa_pkcs1_sha384, SS.rsa_pkcs1_sha512, SS.rsa_pkcs1_sha1])),
    ),
  },
  {
    name: 't13-ch-sigalgs-eddsa-only',
    description:
      'signature_algorithms offers only ed25519 and ed448 to a server that signed with neither when offered alone (it has no EdDSA certificate; test-tls13-eddsa)',
    versions: ['1.3'],
    rules: ['t13.neg.no-common-parameters'],
    bases: [],
    needs: { certificateAuth: true, serverLacks13: 'eddsa' },
    ...hooks(() => everyHello(signatureAlgorithms([SS.ed25519, SS.ed448]))),
  },
  {
    name: 't13-ch-sigalgs-ecdsa-only',
    description:
      'signature_algorithms offers only ECDSA schemes (the TLS 1.3 ones, ecdsa_sha1, ecdsa_sha224) to a server that signed with none of the TLS 1.3 ones (it has no ECDSA certificate; test-tls13-eddsa)',
    versions: ['1.3'],
    rules: ['t13.neg.no-common-parameters'],
    bases: [],
    needs: { certificateAuth: true, serverLacks13: 'ecdsa' },
    ...hooks(() =>
      everyHello(
        signatureAlgorithms([
          SS.ecdsa_secp256r1_sha256,
          SS.ecdsa_secp384r1_sha384,
          SS.ecdsa_secp521r1_sha512,
          SS.ecdsa_sha1,
          SS.ecdsa_sha224,
        ]),
      ),
    ),
  },
  ...ECDSA13_SCHEMES.map(ecdsaSchemeAlone13),
  {
    name: 't12-ch-sigalgs-md5-only',
    description: 'signature_algorithms offers only rsa_md5 and ecdsa_md5 (test-clienthello-md5; RFC 9155 §2)',
    versions: ['1.2'],
    rules: ['t12.neg.no-common-parameters'],
    bases: [],
    needs: { kex: 'ECDHE' },
    ...hooks(() => everyHello(signatureAlgorithms([SS.rsa_md5, SS.ecdsa_md5]))),
  },
  {
    name: 't12-ch-sigalgs-unknown-only',
    description: 'signature_algorithms offers only unassigned pairs (test-sig-algs)',
    versions: ['1.2'],
    rules: ['t12.neg.no-common-parameters'],
    bases: [],
    needs: { kex: 'ECDHE' },
    ...hooks(() => everyHello(signatureAlgorithms([0x0c0b, 0x0e07, 0x4501]))),
  },
  // ---- key exchange offers: FFDHE groups (test-ffdhe-negotiation), one scheme at a time with DHE_RSA
  // (test-dhe-rsa-key-exchange-signatures), ML-KEM groups in TLS 1.2 (test-no-mlkem-in-old-tls)
  ...KEX_DHE_OFFERS,
  {
    name: 't12-ch-ecdhe-no-supported-groups',
    description:
      'a TLS 1.2 ClientHello offering ECDHE suites without supported_groups and ec_point_formats: the server picks any curve (RFC 8422 §4; test-ecdhe-rsa-key-exchange "ECDHE w/o extension")',
    versions: ['1.2'],
    rules: ['t12.neg.ecdhe-without-groups'],
    bases: [],
    needs: { kex: 'ECDHE' },
    // our client can run every curve RFC 8422 §5.1.1 keeps, so whichever the server picks, the handshake goes on
    ...configured(
      (env) => ({ ...oneVersion(env), groups: [...ECDHE_CURVES] }),
      () => everyHello(withExts((exts) => exts.filter((e) => e.type !== X.supported_groups && e.type !== X.ec_point_formats))),
    ),
  },
  {
    name: 't12-ch-mlkem-groups-listed',
    description:
      'a TLS 1.2-only ClientHello listing the ML-KEM groups (pure and hybrid) before its elliptic curves in supported_groups',
    versions: ['1.2'],
    rules: ['t12.neg.mlkem-groups-listed'],
    bases: [],
    ...hooks(() => everyHello(groupsFirst(MLKEM_GROUPS))),
  },
  {
    name: 't12-ch-mlkem-groups-only',
    description: 'a TLS 1.2-only ClientHello offering ECDHE suites whose supported_groups lists only ML-KEM groups',
    versions: ['1.2'],
    // RFC 8422 §5.1: "servers MUST NOT negotiate the use of an ECC cipher suite unless they can complete the handshake
    // while respecting the choice of curves specified by the client"; ML-KEM groups are no curves in TLS 1.2
    rules: ['t12.neg.no-common-parameters'],
    bases: [],
    needs: { kex: 'ECDHE' },
    ...hooks(() => everyHello(groupsOnly(MLKEM_GROUPS))),
  },
  // ---- a TLS 1.1 ClientHello offering only suites defined for TLS 1.2 (test-TLSv1_2-rejected-without-TLSv1_2)
  {
    name: 't12-ch-tls11-only-tls12-suites',
    description:
      'a ClientHello of legacy_version 0x0302 (TLS 1.1) without supported_versions offering only AEAD and SHA-256/384 suites',
    versions: ['1.2'],
    rules: ['ver.t12.older-hello-rejected'],
    bases: [], // refused before a ServerHello: the transcript cannot tell which rule the refusal is for
    ...configured(
      (env) => ({ ...withSha1Defaults(env), versions: [VERSION_CODE['1.2']] }),
      () => everyHello(tls11Hello(TLS12_ONLY_SUITES)),
    ),
  },
  // ---- the same with only AES-CCM suites (test-aesccm "AES-CCM in TLS1.1")
  {
    name: 't12-ch-tls11-only-ccm-suites',
    description:
      'a ClientHello of legacy_version 0x0302 (TLS 1.1) without supported_versions offering only the AES-CCM suites of RFC 6655 and RFC 7251',
    versions: ['1.2'],
    rules: ['ver.t12.older-hello-rejected'],
    bases: [],
    ...configured(
      (env) => ({ ...withSha1Defaults(env), versions: [VERSION_CODE['1.2']] }),
      () => everyHello(tls11Hello(TLS12_CCM_SUITES)),
    ),
  },
  // ---- extension bodies our client sends malformed (test-extended-master-secret-extension, test-encrypt-then-mac,
  // test-signature-algorithms, test-invalid-server-name-extension, test-alpn-negotiation)
  {
    name: 'ch-ems-with-body',
    description: 'extended_master_secret with one byte of extension_data (RFC 7627 §5.1: empty)',
    versions: ['1.2'],
    rules: ['ext.empty-extension-data'],
    bases: T12,
    ...hooks(() => firstHello(rawExtension(X.extended_master_secret, Uint8Array.of(0)))),
  },
  {
    name: 'ch-etm-with-body',
    description: 'encrypt_then_mac with one byte of extension_data (RFC 7366 §2: empty)',
    versions: ['1.2'],
    rules: ['ext.empty-extension-data'],
    bases: T12,
    ...hooks(() => firstHello(rawExtension(X.encrypt_then_mac, Uint8Array.of(0)))),
  },
  malformed(
    'ch-sigalgs-empty',
    'signature_algorithms with an empty list (supported_signature_algorithms<2..2^16-2>)',
    rawExtension(X.signature_algorithms, vec16([])),
    ['rec.hs-length-consistent'],
    ALL,
  ),
  malformed(
    'ch-sigalgs-odd-length',
    'signature_algorithms list of three bytes (a scheme and a half)',
    rawExtension(X.signature_algorithms, vec16([0x04, 0x03, 0x05])),
    ['rec.hs-length-consistent'],
    ALL,
  ),
  malformed(
    'ch-sni-empty-list',
    'server_name with an empty server_name_list (ServerName server_name_list<1..2^16-1>)',
    rawExtension(X.server_name, vec16([])),
    ['rec.hs-length-consistent'],
    ALL,
  ),
  {
    name: 'ch-sni-two-host-names',
    description: 'server_name_list with two host_name entries, localhost first (RFC 6066 §3: at most one per name_type)',
    versions: ['1.2', '1.3'],
    rules: ['ext.sni.format'],
    bases: ALL,
    ...hooks(() => firstHello(rawExtension(X.server_name, vec16([...hostName('localhost'), ...hostName('example.com')])))),
  },
  {
    name: 'ch-sni-nul-in-host-name',
    description: 'a host_name with a NUL byte inside (localhost\\0.example.com): not a DNS name, so not one the server knows',
    versions: ['1.2', '1.3'],
    rules: ['ext.sni.format'],
    // RFC 6066 §3: "If the server understood the ClientHello extension but does not recognize the server name, the
    // server SHOULD take one of two actions: either abort the handshake by sending a fatal-level unrecognized_name(112)
    // alert or continue the handshake."
    reactionRules: ['ext.sni.unrecognized'],
    bases: ALL,
    ...hooks(() => firstHello(rawExtension(X.server_name, vec16(hostName('localhost\0.example.com'))))),
  },
  {
    name: 'ch-alpn-unknown-only',
    description:
      'ALPN offering only protocols no registry names: no_application_protocol, or no ALPN answer (RFC 7301 §3.1, §3.2)',
    versions: ['1.2', '1.3'],
    // valid input: what the server owes is rule ext.alpn.selected-offered's (select nothing it was not offered, or
    // abort with no_application_protocol; leave the extension unanswered: its tolerance)
    rules: ['ext.alpn.selected-offered'],
    bases: [],
    ...hooks(() =>
      everyHello(
        rawExtension(X.application_layer_protocol_negotiation, vec16(protocolNames('tlsprop/unknown-1', 'tlsprop/unknown-2'))),
      ),
    ),
  },
  malformed(
    'ch-alpn-empty-name',
    'ALPN list holding one empty protocol name (ProtocolName<1..2^8-1>)',
    rawExtension(X.application_layer_protocol_negotiation, vec16([0])),
    ['ext.alpn.format'],
    ALL,
  ),
  malformed(
    'ch-alpn-empty-list',
    'ALPN with an empty protocol_name_list (ProtocolName protocol_name_list<2..2^16-1>)',
    rawExtension(X.application_layer_protocol_negotiation, vec16([])),
    ['ext.alpn.format'],
    ALL,
  ),
  malformed(
    'ch-alpn-list-length-plus-one',
    'ALPN protocol_name_list length one more than its bytes (h2, http/1.1)',
    rawExtension(X.application_layer_protocol_negotiation, vec16(protocolNames('h2', 'http/1.1'), 1)),
    ['ext.alpn.format'],
    ALL,
  ),
  malformed(
    'ch-alpn-list-length-minus-one',
    'ALPN protocol_name_list length one less than its bytes (h2, http/1.1)',
    rawExtension(X.application_layer_protocol_negotiation, vec16(protocolNames('h2', 'http/1.1'), -1)),
    ['ext.alpn.format'],
    ALL,
  ),
];
