/**
 * fast-check arbitraries for whole handshakes: a `HandshakePlan` is plain
 * data (version, suite, group, keys, scheme preferences, client-auth mode,
 * extensions, randoms) built from records/tuples/maps only (no filter/chain),
 * so shrinking reaches small plans. Every plan is valid by construction: the
 * normalisation in `handshakePlanArb` makes the server key fit a TLS 1.2
 * suite and makes the ALPN lists overlap, and both sides know every scheme,
 * so the handshake always completes.
 *
 * `renderHandshake` (async) turns a plan into a real transcript: it builds
 * the certificate chains from the committed pool keys (cached per key choice
 * in a `RenderCache` the caller owns), configures the engine's client and
 * server and runs them in memory.
 */
import fc from 'fast-check';
import { type ClientConfig, DEFAULT_SCHEMES, type ExternalPsk, identityOf, type ServerConfig } from '../engine/config';
import { type CryptoProvider, nodeProvider } from '../crypto';
import { newClientSessionStore, ServerSessionCache } from '../engine/session';
import { type MemoryOptions, type MemoryRun, runInMemory } from '../engine/memory';
import {
  CipherSuite12,
  CipherSuite13,
  CipherSuiteCcm,
  CipherSuiteDhe12,
  ANON_KEX,
  CipherSuiteAnon12,
  CipherSuiteDheCbc12,
  CipherSuitePsk12,
  engineSuite,
  PSK_KEX,
} from '../engine/suites';
import { type BuiltCert, buildCert, type CertSpec, KeyUsage } from '../pki/chain';
import { KEY_TYPES, KeyPool, type KeyType } from '../pki/keypool';
import { newCertCache, type ParsedCertCache } from '../pki/parse';
import { PLAN_EPOCH } from '../pki/plan';
import { bodyOf } from '../oracles/context';
import type { Transcript } from '../transcript/model';
import {
  type ClientAuthSeen,
  type ConfigPoint,
  type RenegotiationMode,
  type ResumptionMode,
  type TlsVersion,
  VERSION_CODE,
} from '../wire/vocabulary';
import {
  CertificateCompressionAlgorithm,
  certificateCompressionAlgorithms,
  cipherSuites,
  extensionTypes,
  NamedGroup,
  namedGroups,
  nameOf,
  SignatureScheme,
  signatureSchemes,
} from '../wire/registry';

/**
 * Certificate key types the plans use: the pool's key types with committed keys (pki/testkeys; the PSS keys of
 * SHA-384/512 parameters are generated when a test asks for them).
 */
export type PlanKeyType = Exclude<KeyType, 'rsa-pss2048-sha384' | 'rsa-pss2048-sha512'>;

/**
 * Committed pool keys per type (pki/testkeys): the last slot signs the root,
 * the others are leaf keys, so a leaf never shares its key with its issuer.
 */
const COMMITTED: Record<PlanKeyType, number> = {
  rsa2048: 3,
  'ecdsa-p256': 3,
  'ecdsa-p384': 2,
  ed25519: 2,
  'ecdsa-p521': 3,
  ed448: 3,
  'rsa-pss2048': 3,
};
/** In the pool's order (pki/keypool.ts KEY_TYPES). */
export const PLAN_KEY_TYPES: readonly PlanKeyType[] = KEY_TYPES.filter((k): k is PlanKeyType => k in COMMITTED);
/** Keys that sign for TLS 1.2 ECDHE_ECDSA (RFC 8422 §5.1.1, §5.10: ECDSA and EdDSA). */
const ECDSA_SUITE_KEYS: readonly PlanKeyType[] = ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'ed25519', 'ed448'];
/** Keys that sign for TLS 1.2 ECDHE_RSA / DHE_RSA (rsaEncryption; id-RSASSA-PSS with rsa_pss_pss_*, RFC 8446 §4.2.3). */
const RSA_SIGN_KEYS: readonly PlanKeyType[] = ['rsa2048', 'rsa-pss2048'];
/** The NamedGroup of an ECDSA plan key's curve (RFC 8422 §5.1: a TLS 1.2 client lists it). */
export function planKeyCurve(type: PlanKeyType): number | undefined {
  if (type === 'ecdsa-p256') return NamedGroup.secp256r1;
  if (type === 'ecdsa-p384') return NamedGroup.secp384r1;
  if (type === 'ecdsa-p521') return NamedGroup.secp521r1;
  return undefined;
}
export const leafSlots = (t: PlanKeyType): number => COMMITTED[t] - 1;
const rootSlot = (t: PlanKeyType): number => COMMITTED[t] - 1;

/**
 * Which versions each side enables: `exact` both only the plan's version;
 * `client-both` the client offers 1.3 and 1.2 (and suites of both), the
 * server only the plan's version; `server-both` the reverse (a TLS 1.2 plan
 * then carries the downgrade sentinel in the server random).
 */
export type VersionsOffered = 'exact' | 'client-both' | 'server-both';

export interface PlanKey {
  type: PlanKeyType;
  /** Leaf slot, below `leafSlots(type)`. */
  index: number;
}

export interface HandshakePlan {
  version: TlsVersion;
  versionsOffered: VersionsOffered;
  /** The suite both sides put first (the negotiated one). */
  suite: number;
  /**
   * The negotiated group: TLS 1.3 key share; TLS 1.2 ECDHE curve; TLS 1.2
   * DHE_RSA: an RFC 7919 group (ffdhe2048/3072, the only kind it takes);
   * unused by RSA key exchange.
   */
  group: number;
  /** Further groups the client offers after `group` (no key shares for them). */
  extraGroups: number[];
  serverKey: PlanKey;
  clientKey: PlanKey;
  rootKey: PlanKeyType;
  /**
   * Intermediate CAs between each leaf and the root, the leaf's issuer
   * first (none: the root issues the leaf). Each is a pool key type other
   * than the root's, its key the type's CA slot, all distinct.
   */
  intermediates: { server: PlanKeyType[]; client: PlanKeyType[] };
  /** The server also sends the root certificate. */
  includeRoot: boolean;
  /** Signature schemes in preference order: a permutation of the engine's schemes (so one always fits). */
  serverSchemes: number[];
  clientSchemes: number[];
  clientAuth: ClientAuthSeen;
  /** extended_master_secret (TLS 1.2) enabled per side. */
  ems: { client: boolean; server: boolean };
  /** encrypt_then_mac (TLS 1.2 CBC suites) enabled per side. */
  etm: { client: boolean; server: boolean };
  /** SNI (one of the leaf's names) or none. */
  sni: string | null;
  /** ALPN lists (they overlap) or none. */
  alpn: { client: string[]; server: string[] } | null;
  /** TLS 1.3 middlebox compatibility mode per side. */
  middleboxCompat: { client: boolean; server: boolean };
  /**
   * TLS 1.3 HelloRetryRequest: the client sends its only key share for the
   * first of `extraGroups` and the server, preferring `group`, asks for it
   * again (`cookie`: with a cookie the second ClientHello echoes).
   * Ignored for TLS 1.2.
   */
  helloRetry: { on: boolean; cookie: boolean };
  /**
   * Resumption: `none` is one full handshake; otherwise a first full
   * handshake (randoms derived from the plan's) fills the client's session
   * store and the server's cache, and the transcript is the second,
   * resumed, connection: TLS 1.2 by `session_id` or RFC 5077 `ticket`,
   * TLS 1.3 by a ticket PSK with `psk_ke` or `psk_dhe_ke`.
   */
  resumption: ResumptionMode;
  /**
   * TLS 1.2 secure renegotiation (RFC 5746) after the handshake and its application data: started by the client, or
   * asked for by the server with a HelloRequest; a full handshake under the first one's keys, then application data
   * each way under the new keys. `none` for TLS 1.3.
   */
  renegotiation: RenegotiationMode;
  /**
   * External pre-shared keys (RFC 4279 / RFC 8446 §4.2.11): the key both sides are given (identity `tlsprop-plan`),
   * used by a TLS 1.2 PSK suite (`suite`), and with a TLS 1.3 plan that resumes nothing by `external` (psk_ke or
   * psk_dhe_ke; `none`: a certificate handshake); `hint`: the TLS 1.2 server sends a psk_identity_hint.
   */
  psk: { key: Uint8Array; external: 'none' | 'psk_ke' | 'psk_dhe_ke'; hint: boolean };
  /**
   * RFC 8449 record_size_limit: the limit each side sends (none: not offered), and whether the client also requests
   * max_fragment_length 2^10 (the server, answering record_size_limit, must ignore it: RFC 8449 §5).
   */
  recordSizeLimit: { client: number; server: number; alsoMfl: boolean } | null;
  /**
   * TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2): the client offers post_handshake_auth and the
   * server asks once after the application data (the client answers with its certificate, or an empty one under
   * `requested-empty`). Only for certificate handshakes without client authentication in the handshake: false
   * otherwise (and for TLS 1.2).
   */
  postHandshakeAuth: boolean;
  /**
   * RFC 8879 certificate compression (TLS 1.3 only: null for TLS 1.2, and when not offered). The client offers
   * `algorithm` first (then the other one) in compress_certificate. With `server` the server has `algorithm` too: it
   * sends its Certificate as a CompressedCertificate and lists `algorithm` in its CertificateRequest, so the client's
   * Certificate of the handshake is compressed too (RFC 8879 §3, §4); without, the server has none and both
   * Certificates go plain. A post-handshake CertificateRequest lists none, so that Certificate stays plain.
   */
  certCompression: { algorithm: CertCompressionAlgorithm; server: boolean } | null;
  /**
   * TLS 1.3 0-RTT (RFC 8446 §2.3, §4.2.10) on a resumed connection (`resumption` psk_ke / psk_dhe_ke): the first
   * connection's server issues its ticket with max_early_data_size (PLAN_MAX_EARLY_DATA), the resumed connection's
   * client sends EARLY_DATA right after its ClientHello, and the server accepts or rejects it. A HelloRetryRequest
   * rejects it whatever the server would do (RFC 8446 §4.1.2: "Early data is not permitted after a
   * HelloRetryRequest"). `none` otherwise (and for TLS 1.2 and full handshakes).
   */
  earlyData: EarlyDataPlan;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  /** Time of the handshake (and of certificate validation): PLAN_EPOCH + atDay days. */
  atDay: number;
  /** Application data each way after the handshake. */
  appData: boolean;
  /** close_notify both ways at the end (needs appData to be meaningful but works without). */
  closeNotify: boolean;
  /** A name for reports (the reference plans have one). */
  name?: string;
}

/** The RFC 8879 algorithms the plans draw (those wire/compress.ts implements). */
export type CertCompressionAlgorithm =
  | typeof CertificateCompressionAlgorithm.zlib
  | typeof CertificateCompressionAlgorithm.brotli;
export const PLAN_CERT_COMPRESSION: readonly CertCompressionAlgorithm[] = [
  CertificateCompressionAlgorithm.zlib,
  CertificateCompressionAlgorithm.brotli,
];
/** What the server of a resumed TLS 1.3 plan does with the client's 0-RTT data (`none`: no 0-RTT). */
export type EarlyDataPlan = 'none' | 'accept' | 'reject';
/** The max_early_data_size of the plans' tickets (RFC 8446 §4.6.1). */
export const PLAN_MAX_EARLY_DATA = 4096;

// ----------------------------------------------------------------- domains

const PLAN_KEX: ReadonlySet<string> = new Set(['RSA', 'ECDHE_RSA', 'ECDHE_ECDSA', 'DHE_RSA', ...PSK_KEX, ...ANON_KEX]);
/** TLS 1.2 suites the engine implements with a key exchange the plans cover (AES-CCM and the PSK key exchanges too). */
export const SUITES_12: readonly number[] = [
  ...Object.values(CipherSuite12),
  ...Object.values(CipherSuiteDhe12),
  ...Object.values(CipherSuiteDheCbc12),
  ...Object.values(CipherSuiteCcm),
  ...Object.values(CipherSuitePsk12),
  ...Object.values(CipherSuiteAnon12),
].filter((c) => PLAN_KEX.has(engineSuite(c)?.kex ?? ''));
export const SUITES_13: readonly number[] = [...Object.values(CipherSuite13), ...Object.values(CipherSuiteCcm)].filter(
  (c) => engineSuite(c)?.kex === 'TLS13',
);
/** The identity of the plans' external PSK. */
export const PLAN_PSK_IDENTITY = new TextEncoder().encode('tlsprop-plan');
export const PLAN_GROUPS: readonly number[] = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
  NamedGroup.x448,
];
/**
 * TLS 1.3-only groups the plans draw beside PLAN_GROUPS: the hybrid ML-KEM group OpenSSL 3.5+, BoringSSL, Go 1.24+,
 * Chrome and Firefox offer by default (draft-ietf-tls-ecdhe-mlkem §1.1: "for hybrid post-quantum key agreements in
 * TLS 1.3"); a TLS 1.2 plan that draws it gets a curve instead (normalizePlan).
 */
export const PLAN_KEM_GROUPS: readonly number[] = [NamedGroup.X25519MLKEM768];
/** RFC 7919 groups of the TLS 1.2 DHE_RSA plans. */
export const PLAN_FFDHE_GROUPS: readonly number[] = [
  NamedGroup.ffdhe2048,
  NamedGroup.ffdhe3072,
  NamedGroup.ffdhe4096,
  NamedGroup.ffdhe6144,
  NamedGroup.ffdhe8192,
];
export const PLAN_SCHEMES: readonly number[] = DEFAULT_SCHEMES;
export const SERVER_NAMES = ['server.tlsprop.test', 'localhost', 'mqtt.tlsprop.test'] as const;
export const ALPN_PROTOCOLS = ['mqtt', 'h2', 'http/1.1'] as const;
export const AUTH_MODES: readonly ClientAuthSeen[] = ['none', 'requested-sent', 'requested-empty', 'required'];
/** Validity of every plan certificate: PLAN_EPOCH - 1 day .. PLAN_EPOCH + MAX_AT_DAY + 1 days. */
export const MAX_AT_DAY = 3650;
const DAY = 86_400_000;

export function kexOf(suite: number): string {
  return cipherSuites.get(suite)?.kex ?? 'unknown';
}
export function isCbc(suite: number): boolean {
  return (cipherSuites.get(suite)?.cipher ?? '').endsWith('CBC');
}

/**
 * TLS 1.2 binds the server key to the suite; TLS 1.3 takes any. ECDHE_ECDSA
 * takes an ECDSA or an EdDSA key (RFC 8422 §5.1.1, §5.10), ECDHE_RSA / DHE_RSA
 * an RSA or RSASSA-PSS one, RSA key transport rsaEncryption only; a key that
 * does not fit becomes a P-256 or an RSA one.
 */
function fitServerKey(version: TlsVersion, suite: number, key: PlanKey): PlanKey {
  if (version === '1.3') return key;
  const kex = kexOf(suite);
  // PSK, DHE_PSK and ECDHE_PSK send no certificate (RFC 4279 §2, §3; RFC 5489 §2): any key; RSA_PSK needs RSA (§4);
  // nor do the anonymous key exchanges (RFC 5246 §7.4.2)
  if (kex === 'PSK' || kex === 'DHE_PSK' || kex === 'ECDHE_PSK' || ANON_KEX.has(kex)) return key;
  if (kex === 'ECDHE_ECDSA')
    return ECDSA_SUITE_KEYS.includes(key.type) ? key : { type: 'ecdsa-p256', index: key.index % leafSlots('ecdsa-p256') };
  // RSA and RSA_PSK encrypt to the key: rsaEncryption only (an id-RSASSA-PSS key only signs, RFC 4055 §1.2)
  const fits = kex === 'ECDHE_RSA' || kex === 'DHE_RSA' ? RSA_SIGN_KEYS.includes(key.type) : key.type === 'rsa2048';
  return fits ? key : { type: 'rsa2048', index: key.index % leafSlots('rsa2048') };
}

// -------------------------------------------------------------- arbitraries

const random32 = () => fc.uint8Array({ minLength: 32, maxLength: 32 });
const permutation = (xs: readonly number[]) => fc.shuffledSubarray([...xs], { minLength: xs.length, maxLength: xs.length });

export function planKeyArb(): fc.Arbitrary<PlanKey> {
  return fc
    .record({ type: fc.constantFrom(...PLAN_KEY_TYPES), index: fc.nat(1) })
    .map(({ type, index }) => ({ type, index: index % leafSlots(type) }));
}

export interface PlanArbOptions {
  /** Only this version (default both). */
  version?: TlsVersion;
  /** Only these client-auth modes (default all). */
  clientAuth?: readonly ClientAuthSeen[];
  /** true: only resumed handshakes; false: only full ones (default both). */
  resumed?: boolean;
}

/** The whole valid plan space. */
export function handshakePlanArb(opts: PlanArbOptions = {}): fc.Arbitrary<HandshakePlan> {
  const versions: TlsVersion[] = opts.version ? [opts.version] : ['1.2', '1.3'];
  // a PSK handshake requests no client certificate: restricted to client-auth modes without 'none', no PSK is drawn
  const noPsk = opts.clientAuth !== undefined && !opts.clientAuth.includes('none');
  const suites12 = noPsk ? SUITES_12.filter((c) => !PSK_KEX.has(kexOf(c)) && !ANON_KEX.has(kexOf(c))) : SUITES_12;
  const sides = fc.record({ client: fc.boolean(), server: fc.boolean() });
  return fc
    .record({
      version: fc.constantFrom(...versions),
      versionsOffered: fc.constantFrom<VersionsOffered>('exact', 'client-both', 'server-both'),
      suite12: fc.constantFrom(...suites12),
      suite13: fc.constantFrom(...SUITES_13),
      group: fc.constantFrom(...PLAN_GROUPS, ...PLAN_KEM_GROUPS),
      dheGroup: fc.constantFrom(...PLAN_FFDHE_GROUPS),
      extraGroups: fc.shuffledSubarray([...PLAN_GROUPS]),
      serverKey: planKeyArb(),
      clientKey: planKeyArb(),
      rootKey: fc.constantFrom(...PLAN_KEY_TYPES),
      intermediates: fc.record({ server: intermediatesArb(), client: intermediatesArb() }),
      includeRoot: fc.boolean(),
      serverSchemes: permutation(PLAN_SCHEMES),
      clientSchemes: permutation(PLAN_SCHEMES),
      clientAuth: fc.constantFrom(...(opts.clientAuth ?? AUTH_MODES)),
      ems: sides,
      etm: sides,
      sni: fc.option(fc.constantFrom(...SERVER_NAMES), { nil: null }),
      alpn: fc.option(
        fc.record({
          client: fc.shuffledSubarray([...ALPN_PROTOCOLS], { minLength: 1 }),
          server: fc.shuffledSubarray([...ALPN_PROTOCOLS], { minLength: 1 }),
        }),
        { nil: null },
      ),
      middleboxCompat: sides,
      helloRetry: fc.record({ on: fc.boolean(), cookie: fc.boolean() }),
      resumption12: fc.constantFrom<ResumptionMode>(...pick<ResumptionMode>(opts.resumed, 'none', ['session_id', 'ticket'])),
      resumption13: fc.constantFrom<ResumptionMode>(...pick<ResumptionMode>(opts.resumed, 'none', ['psk_dhe_ke', 'psk_ke'])),
      renegotiation: fc.constantFrom<RenegotiationMode>('none', 'none', 'client', 'server'),
      psk: fc.record({
        key: fc.uint8Array({ minLength: 16, maxLength: 48 }),
        external: noPsk
          ? fc.constant<HandshakePlan['psk']['external']>('none')
          : fc.constantFrom<HandshakePlan['psk']['external']>('none', 'none', 'psk_ke', 'psk_dhe_ke'),
        hint: fc.boolean(),
      }),
      recordSizeLimit: fc.option(
        fc.record({
          client: fc.constantFrom(64, 512, 4096, (1 << 14) + 1),
          server: fc.constantFrom(64, 1000, 1 << 14),
          alsoMfl: fc.boolean(),
        }),
        { nil: null, freq: 2 },
      ),
      postHandshakeAuth: fc.boolean(),
      certCompression: fc.option(fc.record({ algorithm: fc.constantFrom(...PLAN_CERT_COMPRESSION), server: fc.boolean() }), {
        nil: null,
        freq: 2,
      }),
      earlyData: fc.constantFrom<EarlyDataPlan>('none', 'accept', 'reject'),
      clientRandom: random32(),
      serverRandom: random32(),
      atDay: fc.nat(MAX_AT_DAY),
      appData: fc.boolean(),
      closeNotify: fc.boolean(),
    })
    .map(({ suite12, suite13, resumption12, resumption13, dheGroup, ...r }) => {
      const suite = r.version === '1.2' ? suite12 : suite13;
      const group = isDhePlan({ version: r.version, suite }) ? dheGroup : r.group;
      return normalizePlan({ ...r, suite, group, resumption: r.version === '1.2' ? resumption12 : resumption13 });
    });
}

/** Up to two intermediate CA key types (normalizePlan drops the root's type). */
function intermediatesArb(): fc.Arbitrary<PlanKeyType[]> {
  return fc.shuffledSubarray([...PLAN_KEY_TYPES], { maxLength: 2 });
}

/** Whether the plan's key exchange is TLS 1.2 DHE_RSA, DHE_PSK or DH_anon (its group is an RFC 7919 one). */
export function isDhePlan(plan: Pick<HandshakePlan, 'version' | 'suite'>): boolean {
  const kex = kexOf(plan.suite);
  return plan.version === '1.2' && (kex === 'DHE_RSA' || kex === 'DHE_PSK' || kex === 'DH_anon');
}

/** Whether the plan authenticates with its external PSK: a TLS 1.2 PSK suite, or a TLS 1.3 external PSK. */
export function pskPlan(plan: Pick<HandshakePlan, 'version' | 'suite' | 'psk'>): boolean {
  return plan.version === '1.2' ? PSK_KEX.has(kexOf(plan.suite)) : plan.psk.external !== 'none';
}

/** The values a three-way option allows: undefined all, false the first only, true the rest. */
function pick<T>(only: boolean | undefined, off: T, on: readonly T[]): T[] {
  return only === undefined ? [off, ...on] : only ? [...on] : [off];
}

/**
 * Make a plan valid (idempotent): the server key fits a TLS 1.2 suite, the
 * ALPN lists overlap, the extra groups exclude the negotiated one, key
 * indices are in range. Use it on hand-edited plans too.
 */
export function normalizePlan(plan: HandshakePlan): HandshakePlan {
  const a = plan.alpn;
  const alpn = a && {
    client: a.client,
    server: a.server.some((p) => a.client.includes(p)) ? a.server : [...a.server, a.client[0] as string],
  };
  const inRange = (k: PlanKey): PlanKey => ({ type: k.type, index: k.index % leafSlots(k.type) });
  // DHE_RSA takes an RFC 7919 group, everything else an elliptic-curve one.
  const dhe = isDhePlan(plan);
  // (a group of the wrong kind maps by position, so hand-made plans reach both kinds' groups)
  const fitGroup = (g: number, to: readonly number[], from: readonly number[]) =>
    to.includes(g) ? g : (to[Math.max(0, from.indexOf(g)) % to.length] as number);
  const kem = plan.version === '1.3' && PLAN_KEM_GROUPS.includes(plan.group);
  const group = dhe
    ? fitGroup(plan.group, PLAN_FFDHE_GROUPS, PLAN_GROUPS)
    : kem
      ? plan.group
      : fitGroup(plan.group, PLAN_GROUPS, PLAN_FFDHE_GROUPS);
  const extra = plan.extraGroups.filter((g) => g !== group && PLAN_GROUPS.includes(g));
  const cas = (xs: readonly PlanKeyType[]) => [...new Set(xs)].filter((t) => t !== plan.rootKey).slice(0, 2);
  // A HelloRetryRequest needs a second group for the client's first key share.
  const hrrGroup = PLAN_GROUPS.find((g) => g !== group) as number;
  const r = plan.resumption;
  const resumption: ResumptionMode =
    plan.version === '1.2'
      ? r === 'session_id' || r === 'ticket'
        ? r
        : 'none'
      : r === 'psk_ke' || r === 'psk_dhe_ke'
        ? r
        : 'none';
  // A TLS 1.3 external PSK only for a connection that resumes nothing (a ticket would be offered first)
  const psk = plan.psk ?? { key: new Uint8Array(32), external: 'none', hint: false };
  const external = plan.version === '1.3' && resumption === 'none' ? psk.external : 'none';
  const usesPsk = plan.version === '1.2' ? PSK_KEX.has(kexOf(plan.suite)) : external !== 'none';
  return {
    ...plan,
    resumption,
    psk: { key: psk.key.length ? psk.key : new Uint8Array(32), external, hint: psk.hint },
    // RFC 4279 §2: no CertificateRequest with a PSK suite; RFC 8446 §4.3.2: "Servers which are authenticating with a
    // PSK MUST NOT send the CertificateRequest message in the main handshake"; RFC 5246 §7.4.4: "It is a fatal
    // handshake_failure alert for an anonymous server to request client authentication."
    clientAuth: usesPsk || (plan.version === '1.2' && ANON_KEX.has(kexOf(plan.suite))) ? 'none' : plan.clientAuth,
    renegotiation: plan.version === '1.2' ? (plan.renegotiation ?? 'none') : 'none',
    recordSizeLimit: plan.recordSizeLimit ?? null,
    // a server that authenticated the client in the handshake, or with a PSK, does not ask again here
    postHandshakeAuth:
      plan.version === '1.3' &&
      !usesPsk &&
      resumption === 'none' &&
      plan.clientAuth === 'none' &&
      (plan.postHandshakeAuth ?? false),
    certCompression: plan.version === '1.3' ? (plan.certCompression ?? null) : null,
    earlyData: plan.version === '1.3' && resumption !== 'none' ? (plan.earlyData ?? 'none') : 'none',
    group,
    extraGroups: hrrOf(plan) && extra.length === 0 ? [hrrGroup] : extra,
    serverKey: fitServerKey(plan.version, plan.suite, inRange(plan.serverKey)),
    clientKey: inRange(plan.clientKey),
    intermediates: { server: cas(plan.intermediates.server), client: cas(plan.intermediates.client) },
    alpn,
  };
}

/** Whether the plan's handshake has a HelloRetryRequest. */
export function hrrOf(plan: HandshakePlan): boolean {
  return plan.version === '1.3' && plan.helloRetry.on;
}

// ----------------------------------------------------------- reference plans

const zeros = (fill: number) => new Uint8Array(32).fill(fill);

function referencePlan(name: string, clientAuth: ClientAuthSeen): HandshakePlan {
  return {
    name,
    version: '1.2',
    versionsOffered: 'exact',
    suite: CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    group: NamedGroup.x25519,
    extraGroups: [NamedGroup.secp256r1, NamedGroup.secp384r1],
    serverKey: { type: 'rsa2048', index: 0 },
    clientKey: { type: 'rsa2048', index: 1 },
    rootKey: 'rsa2048',
    intermediates: { server: [], client: [] },
    includeRoot: false,
    serverSchemes: [...PLAN_SCHEMES],
    clientSchemes: [...PLAN_SCHEMES],
    clientAuth,
    ems: { client: true, server: true },
    etm: { client: true, server: true },
    sni: 'mqtt.tlsprop.test',
    alpn: null,
    middleboxCompat: { client: false, server: false },
    helloRetry: { on: false, cookie: false },
    resumption: 'none',
    renegotiation: 'none',
    psk: { key: zeros(0x33), external: 'none', hint: false },
    recordSizeLimit: null,
    postHandshakeAuth: false,
    certCompression: null,
    earlyData: 'none',
    clientRandom: zeros(0x11),
    serverRandom: zeros(0x22),
    atDay: 0,
    appData: true,
    closeNotify: false,
  };
}

/**
 * The project's origin story: mosquitto_pub against an MQTT broker over
 * TLS 1.2, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, with and without a client
 * certificate (spec/fixtures/reference-*.json are the hand-written flows).
 */
export const REFERENCE_PLANS = {
  mutual: referencePlan('reference-mutual (mosquitto_pub, TLS 1.2 ECDHE_RSA AES_256_CBC_SHA384, client certificate)', 'required'),
  oneway: referencePlan('reference-oneway (mosquitto_pub, TLS 1.2 ECDHE_RSA AES_256_CBC_SHA384)', 'none'),
} as const;

// ------------------------------------------------------------------- render

/**
 * Per-run caches the caller owns (no module state): the crypto provider (its
 * key store imports each key once), pool keys, built chains, parsed
 * certificates (bounded).
 */
export interface RenderCache {
  provider: CryptoProvider;
  pool: KeyPool;
  chains: Map<string, Promise<BuiltCert[]>>;
  certCache: ParsedCertCache;
}

export function newRenderCache(provider: CryptoProvider): RenderCache {
  return { provider, pool: new KeyPool({ provider }), chains: new Map(), certCache: newCertCache() };
}

export interface RenderedHandshake {
  plan: HandshakePlan;
  transcript: Transcript;
  run: MemoryRun;
  /** DER of the root that issued both leaves. */
  trustAnchors: Uint8Array[];
  at: Date;
  /** PKCS#8 of the server and client leaf keys. */
  privateKeys: Uint8Array[];
  config: ConfigPoint;
  /** The expected message sequence (`C->S client_hello`, ...), from the plan alone. */
  expected: string[];
  /** With resumption: the first (full) connection that the transcript resumes, and its expected sequence. */
  earlier: { transcript: Transcript; run: MemoryRun; expected: string[] }[];
}

function certSpec(subject: string, type: PlanKeyType, index: number, ca: boolean, serial: string): CertSpec {
  return {
    subject,
    key: { type, index },
    serial,
    notBefore: new Date(PLAN_EPOCH - DAY),
    notAfter: new Date(PLAN_EPOCH + (MAX_AT_DAY + 1) * DAY),
    basicConstraints: { ca },
    keyUsage: ca
      ? KeyUsage.keyCertSign | KeyUsage.cRLSign
      : KeyUsage.digitalSignature | (type === 'rsa2048' ? KeyUsage.keyEncipherment : 0),
    extKeyUsage: ca ? null : ['serverAuth', 'clientAuth'],
    san: ca ? null : { dns: [...SERVER_NAMES], ips: ['127.0.0.1'] },
  };
}

const SERIAL_OF_TYPE: Record<PlanKeyType, number> = {
  rsa2048: 1,
  'ecdsa-p256': 2,
  'ecdsa-p384': 3,
  ed25519: 4,
  'ecdsa-p521': 5,
  ed448: 6,
  'rsa-pss2048': 7,
};

/** A leaf under the plan's root (its last slot), through the given intermediates; leaf first, root last. */
function chainFor(
  cache: RenderCache,
  role: 'server' | 'client',
  root: PlanKeyType,
  key: PlanKey,
  cas: readonly PlanKeyType[],
): Promise<BuiltCert[]> {
  const id = `${role}/${root}/${cas.join('>')}/${key.type}/${key.index}`;
  let p = cache.chains.get(id);
  if (!p) {
    p = (async () => {
      const issuers = await caChain(cache, root, cas);
      const serial = `${role === 'server' ? 1 : 2}${SERIAL_OF_TYPE[root]}${SERIAL_OF_TYPE[key.type]}${key.index}`;
      const leaf = await buildCert(
        certSpec(`CN=${role} ${key.type} ${key.index}, O=tlsprop`, key.type, key.index, false, serial),
        issuers[0],
        cache.pool,
        cache.provider,
        cache.certCache,
      );
      return [leaf, ...issuers];
    })();
    cache.chains.set(id, p);
  }
  return p;
}

/** The chain a plan's side presents (leaf first, root last), as render builds it (from the cache when built already). */
export function planChain(cache: RenderCache, plan: HandshakePlan, role: 'server' | 'client'): Promise<BuiltCert[]> {
  return chainFor(cache, role, plan.rootKey, role === 'server' ? plan.serverKey : plan.clientKey, plan.intermediates[role]);
}

/** The CA certificates from `cas[0]` (the leaf's issuer) up to the root; each intermediate uses its type's CA slot. */
function caChain(cache: RenderCache, root: PlanKeyType, cas: readonly PlanKeyType[]): Promise<BuiltCert[]> {
  const [first, ...above] = cas;
  if (first === undefined) return rootOf(cache, root).then((r) => [r]);
  const id = `ca/${root}/${cas.join('>')}`;
  let p = cache.chains.get(id);
  if (!p) {
    p = (async () => {
      const issuers = await caChain(cache, root, above);
      const serial = `9${SERIAL_OF_TYPE[root]}${cas.map((t) => SERIAL_OF_TYPE[t]).join('')}`;
      const subject = `CN=tlsprop plan CA ${cas.join(' via ')} via root ${root}, O=tlsprop`;
      const ca = await buildCert(
        certSpec(subject, first, rootSlot(first), true, serial),
        issuers[0],
        cache.pool,
        cache.provider,
        cache.certCache,
      );
      return [ca, ...issuers];
    })();
    cache.chains.set(id, p);
  }
  return p;
}

function rootOf(cache: RenderCache, root: PlanKeyType): Promise<BuiltCert> {
  const id = `root/${root}`;
  let p = cache.chains.get(id);
  if (!p) {
    p = buildCert(
      certSpec(`CN=tlsprop plan root ${root}, O=tlsprop`, root, rootSlot(root), true, `0${SERIAL_OF_TYPE[root]}`),
      undefined,
      cache.pool,
      cache.provider,
      cache.certCache,
    ).then((c) => [c]);
    cache.chains.set(id, p);
  }
  return p.then((c) => c[0] as BuiltCert);
}

const enc = new TextEncoder();

/** Engine configurations of a plan (the identities come from the built chains). */
export function engineConfigs(
  plan: HandshakePlan,
  server: BuiltCert[],
  client: BuiltCert[],
  anchors: Uint8Array[],
  at: Date,
): { client: ClientConfig; server: ServerConfig } {
  const v = VERSION_CODE[plan.version];
  const both = [VERSION_CODE['1.3'], VERSION_CODE['1.2']];
  const otherSuites = plan.version === '1.2' ? SUITES_13 : SUITES_12;
  const clientBoth = plan.versionsOffered === 'client-both';
  const groups = [plan.group, ...plan.extraGroups];
  const dhe = isDhePlan(plan);
  // A DHE plan's group is a finite-field one: a client that also offers TLS 1.3 needs an elliptic-curve group for its key share.
  const ecGroups = groups.filter((g) => PLAN_GROUPS.includes(g));
  if (dhe && clientBoth && ecGroups.length === 0) {
    groups.push(NamedGroup.x25519);
    ecGroups.push(NamedGroup.x25519);
  }
  // TLS 1.2: an ECDSA server certificate's curve must be among the client's groups (RFC 8422 §5.1).
  const certCurve = planKeyCurve(plan.serverKey.type);
  if (plan.version === '1.2' && certCurve !== undefined && !groups.includes(certCurve)) groups.push(certCurve);
  const c: ClientConfig = {
    versions: clientBoth ? both : [v],
    cipherSuites: clientBoth ? [plan.suite, ...otherSuites] : [plan.suite],
    groups,
    keyShareGroups: [hrrOf(plan) ? (plan.extraGroups[0] as number) : dhe ? (ecGroups[0] as number) : plan.group],
    signatureSchemes: plan.clientSchemes,
    trustAnchors: anchors,
    validationTime: at,
    extendedMasterSecret: plan.ems.client,
    encryptThenMac: plan.etm.client,
    middleboxCompat: plan.middleboxCompat.client,
    random: plan.clientRandom,
  };
  if (plan.clientAuth !== 'requested-empty') c.identity = identityOf(client);
  if (plan.sni !== null) c.serverName = plan.sni;
  if (plan.alpn) c.alpn = plan.alpn.client;
  const s: ServerConfig = {
    versions: plan.versionsOffered === 'server-both' ? both : [v],
    cipherSuites: [plan.suite, ...(plan.version === '1.2' ? SUITES_12 : SUITES_13).filter((x) => x !== plan.suite)],
    groups: [plan.group, ...PLAN_GROUPS.filter((g) => g !== plan.group)],
    signatureSchemes: plan.serverSchemes,
    identity: identityOf(server, plan.includeRoot),
    clientAuth: plan.clientAuth === 'none' ? 'none' : plan.clientAuth === 'required' ? 'require' : 'request',
    trustAnchors: anchors,
    validationTime: at,
    extendedMasterSecret: plan.ems.server,
    encryptThenMac: plan.etm.server,
    middleboxCompat: plan.middleboxCompat.server,
    random: plan.serverRandom,
  };
  if (plan.alpn) s.alpn = plan.alpn.server;
  if (plan.renegotiation !== 'none') {
    c.renegotiation = 'secure';
    s.renegotiation = 'secure';
  }
  if (plan.postHandshakeAuth) c.postHandshakeAuth = true;
  const cc = plan.certCompression;
  if (cc) {
    c.certificateCompression = [cc.algorithm, ...PLAN_CERT_COMPRESSION.filter((a) => a !== cc.algorithm)];
    if (cc.server) s.certificateCompression = [cc.algorithm];
  }
  const rsl = plan.recordSizeLimit;
  if (rsl) {
    c.recordSizeLimit = rsl.client;
    s.recordSizeLimit = rsl.server;
    if (rsl.alsoMfl) {
      c.maxFragmentLength = 2;
      s.maxFragmentLength = true;
    }
  }
  if (pskPlan(plan)) {
    // a TLS 1.3 external PSK is bound to the hash of the plan's suite (RFC 8446 §4.2.11), so SHA-384 ones are drawn too
    const hash = plan.version === '1.3' ? engineSuite(plan.suite)?.prfHash : undefined;
    const psk: ExternalPsk = { identity: PLAN_PSK_IDENTITY, key: plan.psk.key, ...(hash ? { hash } : {}) };
    c.psk = psk;
    s.psks = [psk];
    if (plan.version === '1.2' && plan.psk.hint) s.pskIdentityHint = new TextEncoder().encode('tlsprop-hint');
    if (plan.version === '1.3') {
      const mode = plan.psk.external === 'psk_ke' ? 0 : 1;
      c.pskModes = [mode];
      s.pskModes = [mode];
    }
  }
  if (hrrOf(plan)) {
    s.helloRetryForPreferredGroup = true;
    s.helloRetryCookie = plan.helloRetry.cookie;
  }
  return { client: c, server: s };
}

/**
 * The message sequence a plan must produce (what the RFC flows say for it):
 * of the transcript (`main`), or of the first full connection of a plan with
 * resumption (`initial`).
 */
export function expectedSequence(plan: HandshakePlan, connection: 'main' | 'initial' = 'main'): string[] {
  const resumed = connection === 'main' && plan.resumption !== 'none';
  const auth = plan.clientAuth !== 'none' && !resumed;
  const sent = (plan.clientAuth === 'requested-sent' || plan.clientAuth === 'required') && !resumed;
  const s = ['C->S client_hello', 'S->C server_hello'];
  /** A full TLS 1.2 handshake after its ClientHello and ServerHello. */
  const full12 = () => {
    const kex = kexOf(plan.suite);
    // RFC 4279 §2-§4, RFC 5489 §2: only RSA_PSK of the PSK key exchanges sends a Certificate; PSK and RSA_PSK send a
    // ServerKeyExchange only for a psk_identity_hint
    const ske = kex === 'PSK' || kex === 'RSA_PSK' ? plan.psk.hint : kex !== 'RSA';
    const auth12 = plan.clientAuth !== 'none';
    const sent12 = plan.clientAuth === 'requested-sent' || plan.clientAuth === 'required';
    const out = kex === 'PSK' || kex === 'DHE_PSK' || kex === 'ECDHE_PSK' || ANON_KEX.has(kex) ? [] : ['S->C certificate'];
    if (ske) out.push('S->C server_key_exchange');
    if (auth12) out.push('S->C certificate_request');
    out.push('S->C server_hello_done');
    if (auth12) out.push('C->S certificate');
    out.push('C->S client_key_exchange');
    if (sent12) out.push('C->S certificate_verify');
    out.push('C->S change_cipher_spec', 'C->S finished');
    if (plan.resumption === 'ticket') out.push('S->C new_session_ticket');
    out.push('S->C change_cipher_spec', 'S->C finished');
    return out;
  };
  if (plan.version === '1.2' && resumed) {
    // Abbreviated handshake (RFC 5246 §7.3; RFC 5077 §3.1: a ticket server may issue a new ticket).
    if (plan.resumption === 'ticket') s.push('S->C new_session_ticket');
    s.push('S->C change_cipher_spec', 'S->C finished', 'C->S change_cipher_spec', 'C->S finished');
  } else if (plan.version === '1.2') {
    s.push(...full12());
  } else {
    // The server sends its dummy CCS (after its first message) only when the client sent a session id
    // (the client's compat mode); the client sends its one before its second flight: the second
    // ClientHello after a HelloRetryRequest, else its Certificate/Finished flight.
    const compatC = plan.middleboxCompat.client;
    // A PSK handshake (a ticket, or an external PSK) authenticates without certificates.
    const pskAuth = resumed || (connection === 'main' && plan.psk.external !== 'none');
    // A psk_ke handshake needs no key share, so the server has nothing to retry for.
    const hrr =
      hrrOf(plan) && !(resumed && plan.resumption === 'psk_ke') && !(connection === 'main' && plan.psk.external === 'psk_ke');
    // RFC 8879 §4: with both sides' compress_certificate the Certificates of the handshake are CompressedCertificates.
    const certificate = plan.certCompression?.server ? 'compressed_certificate' : 'certificate';
    // 0-RTT (resumed connection): the early data follows the ClientHello (RFC 8446 §2.3); accepted only without a
    // HelloRetryRequest (§4.1.2), and then the client's EndOfEarlyData follows the server Finished (§4.5).
    const early = resumed && plan.earlyData !== 'none';
    const accepted = early && plan.earlyData === 'accept' && !hrr;
    // RFC 8446 D.4: "If offering early data, the record is placed immediately after the first ClientHello" (the
    // client's dummy CCS, in compatibility mode); our client sends one before a ClientHello2 all the same ("Either side
    // can send change_cipher_spec at any time during the handshake"), none before its Finished flight.
    if (early) s.splice(1, 0, ...(compatC ? ['C->S change_cipher_spec'] : []), 'C->S application_data');
    // The server answers a client's compatibility mode with its dummy CCS (RFC 8446 D.4).
    if (compatC) s.push('S->C change_cipher_spec');
    if (hrr) {
      if (compatC) s.push('C->S change_cipher_spec');
      s.push('C->S client_hello', 'S->C server_hello');
    }
    s.push('S->C encrypted_extensions');
    // A PSK handshake has no CertificateRequest, Certificate or CertificateVerify (RFC 8446 §2.2).
    if (auth) s.push('S->C certificate_request');
    if (!pskAuth) s.push(`S->C ${certificate}`, 'S->C certificate_verify');
    s.push('S->C finished');
    if (accepted) s.push('C->S end_of_early_data');
    if (compatC && !hrr && !early) s.push('C->S change_cipher_spec');
    if (auth) s.push(`C->S ${certificate}`);
    if (sent) s.push('C->S certificate_verify');
    s.push('C->S finished', 'S->C new_session_ticket');
  }
  if (plan.appData) s.push('C->S application_data', 'S->C application_data');
  // A renegotiation (main connection only): a full handshake (a ticket server issues a new ticket), then data each way.
  if (connection === 'main' && plan.version === '1.2' && plan.renegotiation !== 'none') {
    if (plan.renegotiation === 'server') s.push('S->C hello_request');
    s.push('C->S client_hello', 'S->C server_hello', ...full12(), 'C->S application_data', 'S->C application_data');
  }
  // a post-handshake authentication (main connection): the request, the client's certificate (and CertificateVerify
  // but for an empty Certificate) and Finished
  if (connection === 'main' && plan.postHandshakeAuth) {
    s.push('S->C certificate_request', 'C->S certificate');
    if (plan.clientAuth !== 'requested-empty') s.push('C->S certificate_verify');
    s.push('C->S finished');
  }
  if (plan.closeNotify) s.push('C->S alert', 'S->C alert');
  return s;
}

export function messageSequence(t: Transcript): string[] {
  return t.messages.map((m) => `${m.dir} ${m.type}`);
}

/** Application data of the reference flows (an MQTT PUBLISH and its PUBACK, as text). */
export const APP_DATA = { client: enc.encode('PUBLISH test/topic hello'), server: enc.encode('PUBACK') };
/** The 0-RTT data of a plan with `earlyData` (within PLAN_MAX_EARLY_DATA). */
export const EARLY_DATA = enc.encode('PUBLISH test/topic early');

/** A short one-line description of a plan (for test names, provenance and file names). */
export function describePlan(plan: HandshakePlan): string {
  if (plan.name) return plan.name;
  const suite = cipherSuites.get(plan.suite)?.name ?? `0x${plan.suite.toString(16)}`;
  const cas = plan.intermediates;
  const chain = cas.server.length || cas.client.length ? `intermediates=${cas.server.length}/${cas.client.length}` : '';
  return [
    `TLS ${plan.version}`,
    suite,
    nameOf(namedGroups, plan.group),
    `server=${plan.serverKey.type}`,
    `auth=${plan.clientAuth}`,
    plan.clientAuth !== 'none' && plan.clientAuth !== 'requested-empty' ? `client=${plan.clientKey.type}` : '',
    chain,
    `versions=${plan.versionsOffered}`,
    hrrOf(plan) ? `hrr${plan.helloRetry.cookie ? '+cookie' : ''}` : '',
    plan.resumption !== 'none' ? `resumed=${plan.resumption}` : '',
    plan.renegotiation !== 'none' ? `renegotiation=${plan.renegotiation}` : '',
    plan.psk.external !== 'none' ? `external-psk=${plan.psk.external}` : '',
    plan.version === '1.2' && PSK_KEX.has(kexOf(plan.suite)) && plan.psk.hint ? 'psk-hint' : '',
    plan.recordSizeLimit
      ? `record-size-limit=${plan.recordSizeLimit.client}/${plan.recordSizeLimit.server}${plan.recordSizeLimit.alsoMfl ? '+mfl' : ''}`
      : '',
    plan.postHandshakeAuth ? 'post-handshake-auth' : '',
    plan.certCompression
      ? `cert-compression=${nameOf(certificateCompressionAlgorithms, plan.certCompression.algorithm)}${plan.certCompression.server ? '' : '(client only)'}`
      : '',
    // RFC 8446 §4.2.10: a server that answers with a HelloRetryRequest rejects the 0-RTT data, whatever it is set to
    plan.earlyData === 'none' ? '' : hrrOf(plan) ? '0-rtt=rejected-by-hrr' : `0-rtt=${plan.earlyData}`,
  ]
    .filter((x) => x)
    .join(' ');
}

function configPoint(plan: HandshakePlan, t: Transcript, run: MemoryRun): ConfigPoint {
  const session =
    run.clientOutcome.kind === 'connected' || run.clientOutcome.kind === 'closed' ? run.clientOutcome.session : undefined;
  const extensions = new Set<string>();
  for (const m of t.messages) {
    const b = m.decoded?.body;
    if (m.dir !== 'S->C' || !b || (b.type !== 'server_hello' && b.type !== 'encrypted_extensions')) continue;
    for (const e of b.extensions ?? []) extensions.add(nameOf(extensionTypes, e.type));
  }
  if (plan.version === '1.3' && t.messages.some((m) => m.type === 'change_cipher_spec')) extensions.add('middlebox_compat');
  const cp: ConfigPoint = {
    version: plan.version,
    cipherSuite: cipherSuites.get(plan.suite)?.name ?? `0x${plan.suite.toString(16)}`,
    clientAuth: plan.clientAuth,
    resumption: plan.resumption,
    helloRetry: hrrOf(plan) && plan.resumption !== 'psk_ke' && plan.psk.external !== 'psk_ke',
    extensions: [...extensions].sort(),
  };
  if (plan.renegotiation !== 'none') cp.renegotiation = plan.renegotiation;
  if (plan.psk.external !== 'none') cp.externalPsk = plan.psk.external;
  const group = session?.group;
  if (group !== undefined) cp.group = nameOf(namedGroups, group);
  const scheme = session?.serverScheme;
  if (scheme !== undefined) cp.signatureScheme = nameOf(signatureSchemes, scheme);
  const clientScheme = session?.clientScheme;
  if (clientScheme !== undefined) cp.clientSignatureScheme = nameOf(signatureSchemes, clientScheme);
  const sentChain = { server: 0, client: 0 };
  for (const m of t.messages) {
    // a CompressedCertificate counts as the Certificate it carries (RFC 8879 §4)
    const b = bodyOf(m);
    if (b?.type !== 'certificate') continue;
    const n = b.form === 'tls12' ? b.certificates.length : b.entries.length;
    sentChain[m.dir === 'S->C' ? 'server' : 'client'] = Math.max(0, n - 1);
  }
  cp.intermediates = sentChain;
  const compressed: string[] = [];
  for (const m of t.messages) {
    const b = m.decoded?.body;
    if (b?.type !== 'compressed_certificate') continue;
    compressed.push(`${m.dir === 'S->C' ? 'server' : 'client'} ${nameOf(certificateCompressionAlgorithms, b.algorithm)}`);
  }
  if (compressed.length) cp.certCompression = [...new Set(compressed)];
  const early = run.server.earlyData;
  if (early.offered) cp.earlyData = early.accepted ? 'accepted' : 'rejected';
  if (t.messages.some((m) => m.type === 'certificate_request' && m.dir === 'S->C' && m.epoch === 'application'))
    cp.postHandshakeAuth = true;
  return cp;
}

export interface RenderOptions {
  /** Provenance seed (e.g. the fast-check seed or the gen seed). */
  seed?: number;
}

/** Build the chains, configure both sides and run the handshake in memory. */
export async function renderHandshake(
  plan: HandshakePlan,
  cache: RenderCache,
  opts: RenderOptions = {},
): Promise<RenderedHandshake> {
  const at = new Date(PLAN_EPOCH + plan.atDay * DAY);
  const [server, client, root] = await Promise.all([
    planChain(cache, plan, 'server'),
    planChain(cache, plan, 'client'),
    rootOf(cache, plan.rootKey),
  ]);
  const anchors = [root.der];
  const cfg = engineConfigs(plan, server, client, anchors, at);
  for (const side of [cfg.client, cfg.server]) {
    side.provider = cache.provider;
    side.certCache = cache.certCache;
  }
  const memOpts: MemoryOptions = { plan: describePlan(plan), closeNotify: plan.closeNotify };
  if (plan.appData) memOpts.appData = APP_DATA;
  const renegotiations: MemoryOptions['renegotiations'] = plan.renegotiation === 'none' ? [] : [plan.renegotiation];
  if (opts.seed !== undefined) memOpts.seed = opts.seed;
  const earlier: RenderedHandshake['earlier'] = [];
  if (plan.resumption !== 'none') {
    addResumption(plan, cfg, at);
    // The first connection gets other randoms, so that one key log serves both connections.
    const other = (r: Uint8Array) => r.map((b) => b ^ 0x5a);
    const first = await runInMemory(
      { ...cfg.client, random: other(plan.clientRandom) },
      { ...cfg.server, random: other(plan.serverRandom) },
      {},
      { ...memOpts, plan: `${memOpts.plan} (first connection)` },
    );
    earlier.push({
      transcript: { ...first.transcript, capturedAt: at.toISOString() },
      run: first,
      expected: expectedSequence(plan, 'initial'),
    });
  }
  const run = await runInMemory(
    cfg.client,
    cfg.server,
    {},
    {
      ...memOpts,
      renegotiations,
      ...(plan.postHandshakeAuth ? { postHandshakeAuths: 1 } : {}),
    },
  );
  const transcript: Transcript = { ...run.transcript, capturedAt: at.toISOString() };
  const privateKeys = [server[0]?.key.pkcs8, client[0]?.key.pkcs8].filter((k): k is Uint8Array => k !== undefined);
  return {
    plan,
    transcript,
    run,
    trustAnchors: anchors,
    at,
    privateKeys,
    config: configPoint(plan, transcript, run),
    expected: expectedSequence(plan),
    earlier,
  };
}

/** Session store, session cache and modes of a plan with resumption (both runs share them). */
function addResumption(plan: HandshakePlan, cfg: { client: ClientConfig; server: ServerConfig }, at: Date): void {
  const now = () => at.getTime();
  cfg.client.sessionStore = newClientSessionStore();
  cfg.client.now = now;
  cfg.server.sessionCache = new ServerSessionCache(cfg.server.provider ?? nodeProvider(), { now });
  const tickets12 = plan.resumption === 'ticket';
  cfg.client.sessionTickets12 = tickets12;
  cfg.server.sessionTickets12 = tickets12;
  if (plan.version === '1.3') {
    const mode = plan.resumption === 'psk_ke' ? 0 : 1;
    cfg.client.pskModes = [mode];
    cfg.server.pskModes = [mode];
    // 0-RTT: the first connection's ticket allows it; the resumed client sends it, the server accepts or rejects it
    if (plan.earlyData !== 'none') {
      cfg.server.maxEarlyDataSize = PLAN_MAX_EARLY_DATA;
      cfg.server.earlyData = plan.earlyData;
      cfg.client.earlyData = EARLY_DATA;
    }
  }
}

/** Convenience: the signature schemes a key type can sign with in a version (for tests). */
export function schemesForKey(type: PlanKeyType, version: TlsVersion): number[] {
  const S = SignatureScheme;
  if (type === 'ecdsa-p256') return [S.ecdsa_secp256r1_sha256];
  if (type === 'ecdsa-p384') return [S.ecdsa_secp384r1_sha384];
  if (type === 'ed25519') return [S.ed25519];
  if (type === 'ecdsa-p521') return [S.ecdsa_secp521r1_sha512];
  if (type === 'ed448') return [S.ed448];
  // the pool's RSASSA-PSS keys carry SHA-256 parameters: rsa_pss_pss_sha256 only (RFC 8446 §4.2.3)
  if (type === 'rsa-pss2048') return [S.rsa_pss_pss_sha256];
  const pss = [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512];
  return version === '1.3' ? pss : [...pss, S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha384, S.rsa_pkcs1_sha512];
}

/**
 * Corner plans: every TLS 1.2 suite once and every TLS 1.3 suite with each
 * client-auth mode, rotating group, client-auth mode, key types, scheme
 * preference, version offers, HRR, resumption and (TLS 1.2) renegotiation, so that a run covers the
 * whole configuration space whatever its sample size.
 */
/** Certificate compression of the corners, rotated: none, each algorithm on both sides, one offered by the client only. */
const CORNER_CERT_COMPRESSION: readonly HandshakePlan['certCompression'][] = [
  null,
  { algorithm: CertificateCompressionAlgorithm.zlib, server: true },
  { algorithm: CertificateCompressionAlgorithm.brotli, server: true },
  { algorithm: CertificateCompressionAlgorithm.brotli, server: false },
];

export function cornerPlans(): HandshakePlan[] {
  const suites = [
    ...SUITES_12.map((s) => ['1.2', s] as const),
    ...AUTH_MODES.flatMap(() => SUITES_13.map((s) => ['1.3', s] as const)),
  ];
  const rotated = suites.map(([version, suite], i) => {
    const [base] = fc.sample(handshakePlanArb(), { numRuns: 1, seed: 1000 + i });
    const rot = (i * 2) % PLAN_SCHEMES.length;
    return normalizePlan({
      ...(base as HandshakePlan),
      version,
      suite,
      group: PLAN_GROUPS[i % PLAN_GROUPS.length] as number,
      clientAuth: AUTH_MODES[i % AUTH_MODES.length] as HandshakePlan['clientAuth'],
      serverKey: { type: PLAN_KEY_TYPES[i % PLAN_KEY_TYPES.length] as HandshakePlan['serverKey']['type'], index: i },
      clientKey: { type: PLAN_KEY_TYPES[(i + 1) % PLAN_KEY_TYPES.length] as HandshakePlan['serverKey']['type'], index: i },
      serverSchemes: [...PLAN_SCHEMES.slice(rot), ...PLAN_SCHEMES.slice(0, rot)],
      versionsOffered: (['exact', 'client-both', 'server-both'] as const)[i % 3] as HandshakePlan['versionsOffered'],
      helloRetry: { on: i % 2 === 1, cookie: i % 4 === 3 },
      resumption: (version === '1.2' ? (['none', 'session_id', 'ticket'] as const) : (['none', 'psk_dhe_ke', 'psk_ke'] as const))[
        Math.floor(i / 3) % 3
      ] as HandshakePlan['resumption'],
      renegotiation: (['none', 'client', 'server'] as const)[(i + 1) % 3] as HandshakePlan['renegotiation'],
      psk: {
        key: (base as HandshakePlan).psk.key,
        external: (['none', 'psk_dhe_ke', 'none', 'psk_ke'] as const)[i % 4] as HandshakePlan['psk']['external'],
        hint: i % 2 === 0,
      },
      recordSizeLimit: (
        [null, { client: 512, server: 1000, alsoMfl: false }, { client: 64, server: 1 << 14, alsoMfl: true }] as const
      )[i % 3] as HandshakePlan['recordSizeLimit'],
      postHandshakeAuth: i % 2 === 0,
      certCompression: CORNER_CERT_COMPRESSION[Math.floor(i / 2) % CORNER_CERT_COMPRESSION.length] ?? null,
      earlyData: (['accept', 'reject', 'none'] as const)[Math.floor(i / 2) % 3] as EarlyDataPlan,
    });
  });
  // The rotation's TLS 1.3 certificate handshakes never send a client certificate: each compression setting once more
  // on a full handshake whose client sends its chain (compressed only when the server offered the algorithm too).
  const compressed = CORNER_CERT_COMPRESSION.filter((c) => c !== null).map((certCompression, i) => {
    const [base] = fc.sample(handshakePlanArb({ version: '1.3', clientAuth: ['required', 'requested-sent'], resumed: false }), {
      numRuns: 1,
      seed: 2000 + i,
    });
    const plan = base as HandshakePlan;
    const clientAuth: ClientAuthSeen = i % 2 === 0 ? 'required' : 'requested-sent';
    return normalizePlan({ ...plan, clientAuth, certCompression, psk: { ...plan.psk, external: 'none' } });
  });
  return [...rotated, ...compressed];
}
