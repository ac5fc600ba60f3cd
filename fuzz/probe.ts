/**
 * Probe: what the peer supports, before any conversation is generated.
 *
 * - A server (`probeTarget`): a valid handshake per probed suite of each
 *   version (and whether it asks for a client certificate), then each
 *   group offered alone, then each TLS 1.2 signature scheme offered alone.
 * - A client (`profileOf`): what its ClientHello offers, restricted to what
 *   our server can run with our key (fuzz/client.ts runs the one probe
 *   handshake and reads the ClientHello).
 */
import { DEFAULT_SCHEMES, DEFAULT_SUITES, type Identity } from '../engine/config';
import { ecdsaSuiteKey, type KeyKind, keyKindOf, pickScheme, rsaSigningKey } from '../engine/core';
import {
  CipherSuite12,
  CipherSuite13,
  CipherSuiteCcm,
  CipherSuiteDhe12,
  CipherSuitePsk12,
  engineSuite,
  PSK_KEX,
} from '../engine/suites';
import { parseCert } from '../pki/parse';
import type { Transcript } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import { type ClientHello, decodeHandshake } from '../wire/handshake';
import { ExtensionType, NamedGroup, SignatureScheme as SS } from '../wire/registry';
import { type TlsVersion, VERSION_CODE, versionOfCode } from '../wire/vocabulary';
import { type Conversation, type ConversationContext, restrict, validConversation } from './conversation';
import { type Classification, expectationOf } from './judge';
import { bytesEqual } from '../wire/hex';
import { suiteName } from './names';

// ------------------------------------------------------------------ servers

const PROBE_SUITES: Readonly<Record<TlsVersion, readonly number[]>> = {
  '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256, CipherSuite13.TLS_AES_256_GCM_SHA384, CipherSuite13.TLS_CHACHA20_POLY1305_SHA256],
  '1.2': [
    CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256,
    // finite-field DHE (RFC 7919 groups): the DHE key exchange family needs a server that does it
    CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
  ],
};

/**
 * AES-CCM suites probed for a version only when none of PROBE_SUITES was accepted in it: a target of constrained
 * devices may do CCM alone (TLS 1.3 TLS_AES_128_CCM_SHA256 and _CCM_8_, RFC 8446 §B.4; TLS 1.2 RFC 7251 ECDHE_ECDSA and
 * RFC 6655 RSA with AES-128-CCM and AES-128-CCM_8). A target that takes a PROBE_SUITES suite is probed as before, so
 * its profile, and the seeded draws over it, do not change.
 */
const PROBE_CCM_SUITES: Readonly<Record<TlsVersion, readonly number[]>> = {
  '1.3': [CipherSuiteCcm.TLS_AES_128_CCM_SHA256, CipherSuiteCcm.TLS_AES_128_CCM_8_SHA256],
  '1.2': [
    CipherSuiteCcm.TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
    CipherSuiteCcm.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
    CipherSuiteCcm.TLS_RSA_WITH_AES_128_CCM,
    CipherSuiteCcm.TLS_RSA_WITH_AES_128_CCM_8,
  ],
};

/**
 * TLS 1.2 PSK suites probed when our client has an external PSK (`--psk`): plain PSK (RFC 4279 §2), ECDHE_PSK (RFC
 * 5489) and DHE_PSK (RFC 4279 §3, counted only when it completes, as DHE_RSA). RSA_PSK needs the target's certificate
 * and our client's RSA encryption to it: the certificate suites cover that.
 */
const PROBE_PSK_SUITES: readonly number[] = [
  CipherSuitePsk12.TLS_PSK_WITH_AES_128_GCM_SHA256,
  CipherSuitePsk12.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256,
  CipherSuitePsk12.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256,
];

/** The groups our client offers (each alone when probed). */
export const GROUPS: readonly number[] = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.ffdhe2048,
  // draft-ietf-tls-ecdhe-mlkem: what OpenSSL 3.5+, BoringSSL, Go 1.24+, Chrome and Firefox offer by default (TLS 1.3)
  NamedGroup.X25519MLKEM768,
];

/** Schemes probed one at a time (TLS 1.2 ServerKeyExchange): RSA-PSS, PKCS#1 and ECDSA, SHA-256 and SHA-384. */
const PROBE_SCHEMES: readonly number[] = [
  SS.rsa_pss_rsae_sha256,
  SS.rsa_pkcs1_sha256,
  SS.ecdsa_secp256r1_sha256,
  SS.ecdsa_secp384r1_sha384,
  SS.rsa_pss_rsae_sha384,
  SS.rsa_pkcs1_sha384,
];

/**
 * Handshakes a server probe runs at most (for progress): each probed suite, without a client certificate and with one
 * from our test root, a TLS 1.3 ticket, a session and its resumption per version, each EdDSA scheme alone and the
 * ECDSA ones (TLS 1.3), each group alone, the chain, each scheme alone.
 */
export const PROBE_HANDSHAKES =
  5 +
  PROBE_SUITES['1.3'].length +
  3 +
  PROBE_SUITES['1.2'].length +
  PROBE_PSK_SUITES.length +
  PROBE_CCM_SUITES['1.3'].length +
  PROBE_CCM_SUITES['1.2'].length +
  3 +
  GROUPS.length +
  1 +
  PROBE_SCHEMES.length;

export interface TargetProfile {
  suites: Record<TlsVersion, number[]>;
  /** The target sent a CertificateRequest. */
  certificateRequested: boolean;
  /**
   * Asked for a client certificate, the target refused a handshake where our client sent none (an empty Certificate):
   * its policy requires client authentication (absent: not probed). RFC 5246 §7.4.6 and RFC 8446 §4.4.2.4 let a
   * server go on "considering the client unauthenticated" after an unacceptable chain; one that refuses
   * unauthenticated clients cannot be doing that, so going on after a bad chain accepted it (fuzz/families.ts).
   */
  clientCertRequired?: boolean;
  /**
   * The target accepts a valid client certificate issued by our test root (the root every certificate fault chains
   * to; `tlsprop fuzz --write-ca` writes it). false: it does not trust that root, so each faulty chain is also an
   * untrusted one, and the trust-anchor rule's alerts (unknown_ca, ...) answer it as well (absent: not probed).
   */
  testRootTrusted?: boolean;
  /** Key-exchange groups the target completes a handshake with when offered alone (absent: not probed, all assumed). */
  groups?: number[];
  /**
   * TLS 1.2 signature schemes the target does not refuse when our client offers each alone (an ECDHE handshake
   * completes, or our client aborts on what the target sent); absent: not probed. Restricted offers use them.
   */
  schemes?: number[];
  /**
   * Schemes the signatures of the target's TLS 1.2 certificate chain are made with (one per certificate that is not
   * self-issued): a restricted offer keeps them, or the chain itself breaks RFC 5246 §7.4.2 (cert.sigalgs.server-chain).
   */
  chainSchemes?: number[];
  /**
   * The versions in which the target accepted our client's external PSK (`--psk`): TLS 1.3, its ServerHello selected
   * it (pre_shared_key, RFC 8446 §4.2.11); TLS 1.2, a PSK suite completed (RFC 4279). Absent: our client has none.
   */
  psk?: TlsVersion[];
  /**
   * What the target's CertificateRequest listed, per version (the first one the probe saw): its signature_algorithms
   * (RFC 5246 §7.4.4 supported_signature_algorithms; RFC 8446 §4.3.2 the extension) and, in TLS 1.3, its
   * signature_algorithms_cert. Our client's CertificateVerify must use one of `schemes` (RFC 5246 §7.4.8, RFC 8446
   * §4.4.3): the families pick the client certificate keys that can (fuzz/families.ts). Absent: no request seen.
   */
  certificateRequest?: Partial<Record<TlsVersion, { schemes: number[]; certSchemes?: number[] }>>;
  /**
   * TLS 1.3: the EdDSA schemes (ed25519, ed448) the target signed its CertificateVerify with when our client's
   * signature_algorithms offered that one alone (RFC 8446 §4.4.3: "The signature algorithm used MUST be one offered in
   * the client's signature_algorithms"): it has an EdDSA certificate. Absent: not probed.
   */
  eddsa13?: number[];
  /**
   * TLS 1.3: the ECDSA scheme the target signed its CertificateVerify with when our client's signature_algorithms
   * offered only the TLS 1.3 ECDSA schemes (ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512):
   * empty, it has no ECDSA certificate. Absent: not probed.
   */
  ecdsa13?: number[];
  /**
   * The max_early_data_size of the early_data extension in the target's TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1):
   * its tickets allow 0-RTT data, and the early family runs (fuzz/families.ts). 0: a ticket without early_data;
   * absent: no ticket came, or not probed.
   */
  maxEarlyData?: number;
  /**
   * The record_size_limit (RFC 8449) the target answered our client's offer with, in the version probed (its first):
   * it implements RFC 8449, so its duties on the extension bind it (the record_size_limit mutations run). Absent: no
   * answer, or not probed.
   */
  recordSizeLimit?: { version: TlsVersion; limit: number };
  /**
   * The versions in which the target resumed a session of ours in the probe (a TLS 1.2 session ID or RFC 5077 ticket,
   * a TLS 1.3 ticket): the resumption family runs there. Empty: it never resumed; absent: not probed.
   */
  resumes?: TlsVersion[];
}

/** A valid connection taking a session, then one resuming it: whether the target resumed it. */
export type ResumeRun = (conv: Conversation) => Promise<boolean>;

/** A valid TLS 1.3 connection taking a ticket: the max_early_data_size of the ticket (0: none), undefined without one. */
export type TicketRun = (conv: Conversation) => Promise<number | undefined>;

/** Whether a TLS 1.2 suite is one of the PSK key exchanges (RFC 4279, RFC 5489). */
export const isPsk12 = (suite: number): boolean => {
  const k = engineSuite(suite)?.kex;
  return k !== undefined && PSK_KEX.has(k);
};

/** Whether the target's TLS 1.3 ServerHello in a transcript selected a PSK (its pre_shared_key extension). */
function pskSelected13(t: Transcript | undefined): boolean {
  const m = t?.messages.find((x) => x.dir === 'S->C' && x.type === 'server_hello' && x.raw);
  if (!m?.raw) return false;
  try {
    const body = decodeHandshake(m.raw, { version: VERSION_CODE['1.3'] }).message.body;
    return body.type === 'server_hello' && (body.extensions ?? []).some((e) => e.type === ExtensionType.pre_shared_key);
  } catch {
    return false;
  }
}

const isEcdhe12 = (suite: number): boolean => {
  const k = engineSuite(suite)?.kex;
  return k === 'ECDHE_RSA' || k === 'ECDHE_ECDSA';
};

/**
 * The signature_algorithms our client offers for a restricted offer of `scheme`: it alone, plus (when our client
 * certificate's key does not fit it, or the target's CertificateRequest does not list it) the first default scheme that
 * fits that key and the CertificateRequest lists, so our CertificateVerify can be signed.
 */
export function restrictedSchemes(
  scheme: number,
  identity: Identity | undefined,
  chainSchemes: readonly number[] = [],
  requested?: readonly number[],
): number[] {
  const out = [scheme];
  // our CertificateVerify must use a scheme the target's CertificateRequest lists (RFC 5246 §7.4.8), when it is known
  const listed = requested ?? DEFAULT_SCHEMES;
  if (identity && (pickScheme([scheme], [scheme], identity.spki, false) === undefined || !listed.includes(scheme))) {
    const own = pickScheme(DEFAULT_SCHEMES, listed, identity.spki, false);
    if (own !== undefined && own !== scheme) out.push(own);
  }
  for (const c of chainSchemes) if (!out.includes(c)) out.push(c);
  return out;
}

/** Signature algorithm OIDs of certificates and the TLS scheme that names each (RFC 8446 §4.2.3; PSS: the SHA-256 one). */
const OID_SCHEME: Readonly<Record<string, number>> = {
  '1.2.840.113549.1.1.11': SS.rsa_pkcs1_sha256,
  '1.2.840.113549.1.1.12': SS.rsa_pkcs1_sha384,
  '1.2.840.113549.1.1.13': SS.rsa_pkcs1_sha512,
  '1.2.840.113549.1.1.10': SS.rsa_pss_rsae_sha256,
  '1.2.840.10045.4.3.2': SS.ecdsa_secp256r1_sha256,
  '1.2.840.10045.4.3.3': SS.ecdsa_secp384r1_sha384,
  '1.2.840.10045.4.3.4': SS.ecdsa_secp521r1_sha512,
  '1.3.101.112': SS.ed25519,
};

/** The scheme of the TLS 1.2 ECDHE ServerKeyExchange signature in a transcript. */
function skeSchemeOf(t: Transcript | undefined): number | undefined {
  const m = t?.messages.find((x) => x.dir === 'S->C' && x.type === 'server_key_exchange' && x.raw);
  if (!m?.raw) return undefined;
  try {
    const body = decodeHandshake(m.raw, { version: VERSION_CODE['1.2'], kex: 'ECDHE_RSA' }).message.body;
    return body.type === 'server_key_exchange' && body.kex === 'ecdhe' ? body.signed?.scheme : undefined;
  } catch {
    return undefined;
  }
}

/** The record_size_limit the server answered with (TLS 1.2 ServerHello, TLS 1.3 EncryptedExtensions), if any. */
function recordSizeLimitOf(t: Transcript | undefined, v: TlsVersion): number | undefined {
  const type = v === '1.3' ? 'encrypted_extensions' : 'server_hello';
  const m = t?.messages.find((x) => x.dir === 'S->C' && x.type === type && x.raw);
  if (!m?.raw) return undefined;
  try {
    const b = decodeHandshake(m.raw, { version: VERSION_CODE[v] }).message.body;
    const exts = b.type === 'encrypted_extensions' || b.type === 'server_hello' ? b.extensions : undefined;
    return extensionBody(exts, ExtensionType.record_size_limit, 'record_size_limit')?.limit;
  } catch {
    return undefined;
  }
}

/** The EdDSA schemes (RFC 8446 §4.2.3, RFC 8422 §5.1.3). */
export const EDDSA: readonly number[] = [SS.ed25519, SS.ed448];
/** The TLS 1.3 ECDSA schemes (RFC 8446 §4.2.3: each bound to its curve). */
export const ECDSA13: readonly number[] = [SS.ecdsa_secp256r1_sha256, SS.ecdsa_secp384r1_sha384, SS.ecdsa_secp521r1_sha512];

/**
 * A TLS 1.3 conversation whose signature_algorithms offers only `schemes`; signature_algorithms_cert offers our
 * default schemes, so any certificate chain the target has may be sent as it is (RFC 8446 §4.2.3).
 */
export function offerOnly(conv: Conversation, schemes: readonly number[]): Conversation {
  restrict(conv, schemes);
  conv.client.signatureSchemesCert = [...DEFAULT_SCHEMES];
  return conv;
}

/** The signature_algorithms (and TLS 1.3 signature_algorithms_cert) of the target's CertificateRequest in a transcript. */
function certificateRequestOf(
  t: Transcript | undefined,
  v: TlsVersion,
): { schemes: number[]; certSchemes?: number[] } | undefined {
  const m = t?.messages.find((x) => x.dir === 'S->C' && x.type === 'certificate_request' && x.raw);
  if (!m?.raw) return undefined;
  try {
    const b = decodeHandshake(m.raw, { version: VERSION_CODE[v] }).message.body;
    if (b.type !== 'certificate_request') return undefined;
    if (b.form === 'tls12') return { schemes: [...b.signatureAlgorithms] };
    const schemes = extensionBody(b.extensions, ExtensionType.signature_algorithms, 'signature_algorithms')?.schemes ?? [];
    const cert = extensionBody(b.extensions, ExtensionType.signature_algorithms_cert, 'signature_algorithms')?.schemes;
    return cert ? { schemes: [...schemes], certSchemes: [...cert] } : { schemes: [...schemes] };
  } catch {
    return undefined;
  }
}

/** The scheme of the target's TLS 1.3 CertificateVerify in a transcript. */
function cvSchemeOf(t: Transcript | undefined): number | undefined {
  const m = t?.messages.find((x) => x.dir === 'S->C' && x.type === 'certificate_verify' && x.raw);
  if (!m?.raw) return undefined;
  try {
    const b = decodeHandshake(m.raw, { version: VERSION_CODE['1.3'] }).message.body;
    return b.type === 'certificate_verify' ? b.scheme : undefined;
  } catch {
    return undefined;
  }
}

/** The schemes of the target's TLS 1.2 certificate chain in a transcript (empty when there is none or it does not parse). */
function chainSchemesOf(t: Transcript | undefined): number[] {
  const m = t?.messages.find((x) => x.dir === 'S->C' && x.type === 'certificate' && x.raw);
  if (!m?.raw) return [];
  try {
    const body = decodeHandshake(m.raw, { version: VERSION_CODE['1.2'] }).message.body;
    if (body.type !== 'certificate' || body.form !== 'tls12') return [];
    const out: number[] = [];
    for (const der of body.certificates) {
      const c = parseCert(der);
      const s = OID_SCHEME[c.sigAlgOid];
      if (!c.selfIssued && s !== undefined && !out.includes(s)) out.push(s);
    }
    return out;
  } catch {
    return [];
  }
}

/**
 * One probe handshake: how it was classified, its transcript, and for an invalid input whether the target went on
 * after it (`wentOn`) or refused it with an alert or a close (`refused`).
 */
export type ProbeRun = (
  conv: Conversation,
) => Promise<{ c: Classification; transcript?: Transcript; wentOn?: boolean; refused?: boolean }>;

const RANDOM0 = new Uint8Array(32).fill(7);
const went = (c: Classification): boolean => c.verdict === 'conforming' || c.verdict === 'flagged';

/** Which versions, suites, groups and TLS 1.2 schemes the target accepts, and whether it asks for a client certificate. */
export async function probeTarget(
  ctx: ConversationContext & { identity?: Identity; testIdentity?: Identity },
  run: ProbeRun,
  ticket?: TicketRun,
  resume?: ResumeRun,
): Promise<TargetProfile> {
  const profile: TargetProfile = { suites: { '1.2': [], '1.3': [] }, certificateRequested: false };
  const psk = ctx.base.psk !== undefined;
  if (psk) profile.psk = [];
  const conv = (v: TlsVersion, s: number, g: number, name: string, onlyGroup = false) =>
    validConversation(ctx, v, s, g, RANDOM0, true, name, 'probe', onlyGroup);
  for (const v of ['1.3', '1.2'] as const) {
    const first = v === '1.2' && psk ? [...PROBE_SUITES[v], ...PROBE_PSK_SUITES] : PROBE_SUITES[v];
    for (const s of [...first, ...PROBE_CCM_SUITES[v]]) {
      // the CCM fallback: only when no suite of the first list was taken
      if (s === PROBE_CCM_SUITES[v][0] && profile.suites[v].length) break;
      const { c, transcript } = await run(conv(v, s, NamedGroup.x25519, `probe ${v} ${suiteName(s)}`));
      // a DHE suite counts only when the handshake completes: our client takes the RFC 7919 groups alone, and a server
      // that picks its own prime (not one it must refuse: RFC 7919 §4 binds servers that implement it) is not a target
      // our DHE conversations can run against
      const kex = engineSuite(s)?.kex;
      const ok = kex === 'DHE_RSA' || kex === 'DHE_PSK' ? c.verdict === 'conforming' : went(c);
      if (ok) profile.suites[v].push(s);
      // our external PSK was accepted: a TLS 1.2 PSK suite completed, or the TLS 1.3 ServerHello selected it
      const accepted = v === '1.2' ? ok && isPsk12(s) : went(c) && pskSelected13(transcript);
      if (accepted && profile.psk && !profile.psk.includes(v)) profile.psk.push(v);
      const cr = certificateRequestOf(transcript, v);
      if (cr) {
        profile.certificateRequested = true;
        profile.certificateRequest ??= {};
        profile.certificateRequest[v] ??= cr;
      }
    }
  }
  const v: TlsVersion | undefined = profile.suites['1.3'].length ? '1.3' : profile.suites['1.2'].length ? '1.2' : undefined;
  // whether the target's TLS 1.3 tickets allow 0-RTT data (the early family)
  const s13 = profile.suites['1.3'][0];
  if (ticket && s13 !== undefined) {
    const max = await ticket(conv('1.3', s13, NamedGroup.x25519, 'probe ticket'));
    if (max !== undefined) profile.maxEarlyData = max;
  }
  // whether the target implements record_size_limit (RFC 8449): our client offers the largest limit, which changes
  // nothing, and the target's answer (ServerHello or EncryptedExtensions) says it takes part
  if (v) {
    const c = conv(v, profile.suites[v][0]!, NamedGroup.x25519, `probe record_size_limit ${v}`);
    c.client = { ...c.client, recordSizeLimit: v === '1.3' ? (1 << 14) + 1 : 1 << 14 };
    const limit = recordSizeLimitOf((await run(c)).transcript, v);
    if (limit !== undefined) profile.recordSizeLimit = { version: v, limit };
  }
  // whether the target resumes a session of ours, per version (the resumption family)
  if (resume) {
    profile.resumes = [];
    for (const rv of ['1.2', '1.3'] as const) {
      const s = profile.suites[rv][0];
      if (s !== undefined && (await resume(conv(rv, s, NamedGroup.x25519, `probe resumption ${rv}`)))) profile.resumes.push(rv);
    }
  }
  // whether a handshake without a client certificate is refused (our client answers the CertificateRequest with none):
  // TLS 1.2 first, where the server's Finished comes after our Certificate and shows it went on without one; in TLS 1.3
  // the conversation waits, as for a mutant, for the server's answer to our flight (a ticket, data, an alert, a close)
  const cv: TlsVersion | undefined = profile.suites['1.2'].length ? '1.2' : v;
  if (profile.certificateRequested && ctx.identity && cv) {
    const { identity: _ours, ...anonymous } = ctx.base;
    const c = validConversation(
      { ...ctx, base: anonymous },
      cv,
      profile.suites[cv][0]!,
      NamedGroup.x25519,
      RANDOM0,
      true,
      'probe no client certificate',
      'probe',
    );
    c.expect = expectationOf({ rules: [], reactionRules: ['cert.chain.client-empty'] }, cv, 'server');
    c.invalidAt = 'certificate';
    const r = await run(c);
    // neither (a silent TLS 1.3 server): not known
    if (r.refused || r.wentOn) profile.clientCertRequired = r.refused === true;
  }
  // whether the target trusts our test root: our own certificate is from it, or a valid one from it completes
  const test = ctx.testIdentity;
  if (profile.certificateRequested && test && cv) {
    const ours = ctx.identity?.chain[0];
    if (ours !== undefined && bytesEqual(ours, test.chain[0]!)) profile.testRootTrusted = true;
    else {
      const c = validConversation(
        { ...ctx, base: { ...ctx.base, identity: test } },
        cv,
        profile.suites[cv][0]!,
        NamedGroup.x25519,
        RANDOM0,
        true,
        'probe test-root client certificate',
        'probe',
      );
      c.expect = expectationOf({ rules: [], reactionRules: ['cert.chain.client-empty'] }, cv, 'server');
      c.invalidAt = 'certificate';
      const r = await run(c);
      if (r.refused || r.wentOn) profile.testRootTrusted = r.wentOn === true;
    }
  }
  // TLS 1.3: which EdDSA scheme the target signs with when our client offers it alone, and which ECDSA one when it
  // offers only those (signature_algorithms_cert
  // keeps every scheme, so its chain may be signed as it is: RFC 8446 §4.2.3). Our client sends no certificate: the
  // target's CertificateVerify comes before it, whatever the target then does with an empty Certificate.
  if (s13 !== undefined) {
    profile.eddsa13 = [];
    const { identity: _ours, ...anonymous } = ctx.base;
    const alone = (schemes: readonly number[], name: string) =>
      offerOnly(
        validConversation({ ...ctx, base: anonymous }, '1.3', s13, NamedGroup.x25519, RANDOM0, true, name, 'probe'),
        schemes,
      );
    for (const sc of EDDSA)
      if (cvSchemeOf((await run(alone([sc], `probe 1.3 scheme 0x${sc.toString(16)}`))).transcript) === sc)
        profile.eddsa13.push(sc);
    const ec = cvSchemeOf((await run(alone(ECDSA13, 'probe 1.3 ECDSA schemes'))).transcript);
    profile.ecdsa13 = ec !== undefined && ECDSA13.includes(ec) ? [ec] : [];
  }
  // groups, each offered alone, with the first version and suite that worked
  const suite = v ? profile.suites[v].find((s) => v === '1.3' || isEcdhe12(s)) : undefined;
  if (v && suite !== undefined) {
    profile.groups = [];
    for (const g of GROUPS) if (went((await run(conv(v, suite, g, `probe group ${g}`, true))).c)) profile.groups.push(g);
  }
  // TLS 1.2 signature schemes, each offered alone (plus what our CertificateVerify needs) with an ECDHE suite
  const ecdhe12 = profile.suites['1.2'].find(isEcdhe12);
  if (ecdhe12 !== undefined) {
    profile.schemes = [];
    const first = await run(conv('1.2', ecdhe12, NamedGroup.x25519, 'probe chain'));
    profile.chainSchemes = chainSchemesOf(first.transcript);
    for (const sc of PROBE_SCHEMES) {
      const c = restrict(
        conv('1.2', ecdhe12, NamedGroup.x25519, `probe scheme 0x${sc.toString(16)}`),
        restrictedSchemes(sc, ctx.identity, profile.chainSchemes, profile.certificateRequest?.['1.2']?.schemes),
      );
      c.client.cipherSuites = profile.suites['1.2'].filter(isEcdhe12);
      const r = await run(c);
      // accepted: the target signed its ServerKeyExchange with it, or our client aborted on what the target sent
      if (r.c.verdict === 'flagged' || (r.c.verdict === 'conforming' && skeSchemeOf(r.transcript) === sc))
        profile.schemes.push(sc);
    }
  }
  return profile;
}

// ------------------------------------------------------------------ clients

export interface ClientProfile {
  /** Versions the client offers and our engine runs, newest first. */
  versions: TlsVersion[];
  /** Offered suites our engine runs with our server's key. */
  suites: Record<TlsVersion, number[]>;
  /** Offered groups our engine runs. */
  groups: number[];
  /** Everything offered, for deciding whether a mutant's injected choice really was not offered. */
  offered: { suites: number[]; groups: number[]; alpn: string[] };
  /** The certificate compression algorithms its compress_certificate lists (RFC 8879; absent extension: none). */
  certificateCompression?: number[];
  /**
   * With our server's external PSK (`tlsprop fuzz --listen --psk`): the versions in which the client offers it (TLS
   * 1.3: our identity in its pre_shared_key; TLS 1.2: a PSK suite our engine runs), and the psk_key_exchange_modes it
   * lists (RFC 8446 §4.2.9).
   */
  psk?: { versions: TlsVersion[]; modes: number[]; hash: 'SHA-256' | 'SHA-384' };
  /** The probe handshake completed. */
  completed: boolean;
  detail: string;
}

const ENGINE_GROUPS: readonly number[] = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.X25519MLKEM768,
];

/**
 * Whether our server can run a suite with a key of this kind: ECDHE_ECDSA with an ECDSA or EdDSA key (RFC 8422 §5.1.1,
 * §5.10), ECDHE_RSA with an rsaEncryption or id-RSASSA-PSS key (rsa_pss_pss_*, RFC 8446 §4.2.3), RSA key transport
 * with an rsaEncryption key only (RFC 4055 §1.2).
 */
export function keyFits(suite: number, key: KeyKind): boolean {
  const s = engineSuite(suite);
  if (!s) return false;
  if (s.kex === 'TLS13') return true;
  if (s.kex === 'ECDHE_ECDSA') return ecdsaSuiteKey(key);
  if (s.kex === 'ECDHE_RSA') return rsaSigningKey(key);
  return key === 'rsa' && s.kex !== 'DHE_RSA';
}

/** Whether our server can run a TLS 1.2 PSK suite (RFC 4279, RFC 5489) with a key of this kind (RSA_PSK: an RSA one). */
function pskSuiteFits(suite: number, key: string): boolean {
  const s = engineSuite(suite);
  return s !== undefined && PSK_KEX.has(s.kex) && (s.kex !== 'RSA_PSK' || key === 'rsa');
}

/** The TLS 1.2 PSK suites our server offers a client when it has an external PSK, in the engine's order. */
export function serverPskSuites(identity: Identity): number[] {
  const key = keyKindOf(identity.spki);
  return Object.values(CipherSuitePsk12).filter((c) => pskSuiteFits(c, key));
}

/**
 * What a ClientHello offers, restricted to what our server can run with `identity` (and, given, the external PSK
 * `psk` our server shares with the client: its TLS 1.2 PSK suites, its TLS 1.3 identity).
 */
export function profileOf(
  ch: ClientHello,
  identity: Identity,
  psk?: { identity: Uint8Array; hash?: 'SHA-256' | 'SHA-384' },
): Omit<ClientProfile, 'completed' | 'detail'> {
  const key = keyKindOf(identity.spki);
  const sv = extensionBody(ch.extensions, ExtensionType.supported_versions, 'supported_versions_client')?.versions ?? [
    ch.legacyVersion,
  ];
  const groups = extensionBody(ch.extensions, ExtensionType.supported_groups, 'supported_groups')?.groups ?? [];
  const alpn = (
    extensionBody(ch.extensions, ExtensionType.application_layer_protocol_negotiation, 'application_layer_protocol_negotiation')
      ?.protocols ?? []
  ).map((p) => new TextDecoder().decode(p));
  const offered = sv.map(versionOfCode);
  const versions = (['1.3', '1.2'] as const).filter((v) => offered.includes(v));
  const usable = ch.cipherSuites.filter(
    (s) => (keyFits(s, key) && DEFAULT_SUITES.includes(s)) || (psk !== undefined && pskSuiteFits(s, key)),
  );
  const out: Omit<ClientProfile, 'completed' | 'detail'> = {
    versions,
    suites: {
      '1.3': usable.filter((s) => engineSuite(s)?.kex === 'TLS13'),
      '1.2': usable.filter((s) => engineSuite(s)?.kex !== 'TLS13'),
    },
    groups: groups.filter((g) => ENGINE_GROUPS.includes(g)),
    offered: { suites: ch.cipherSuites, groups, alpn },
  };
  const compression = extensionBody(ch.extensions, ExtensionType.compress_certificate, 'compress_certificate')?.algorithms;
  if (compression?.length) out.certificateCompression = [...compression];
  if (psk) {
    const ids = extensionBody(ch.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_client')?.identities ?? [];
    const modes = extensionBody(ch.extensions, ExtensionType.psk_key_exchange_modes, 'psk_key_exchange_modes')?.modes ?? [];
    const pv: TlsVersion[] = [];
    if (versions.includes('1.3') && ids.some((i) => bytesEqual(i.identity, psk.identity))) pv.push('1.3');
    if (versions.includes('1.2') && out.suites['1.2'].some((s) => pskSuiteFits(s, key))) pv.push('1.2');
    // RFC 8446 §4.2.11: an external PSK's hash is SHA-256 unless set when it was established
    const hash = psk.hash ?? 'SHA-256';
    out.psk = { versions: pv, modes, hash };
    // every conversation of a version in which the client offers our PSK is a PSK handshake (a PSK client need not
    // trust any certificate): TLS 1.3 suites of the PSK's hash ("the server selected a cipher suite indicating a Hash
    // associated with the PSK", RFC 8446 §4.2.11), TLS 1.2 PSK suites
    if (pv.includes('1.3')) out.suites['1.3'] = out.suites['1.3'].filter((s) => engineSuite(s)?.prfHash === hash);
    if (pv.includes('1.2')) out.suites['1.2'] = out.suites['1.2'].filter((s) => pskSuiteFits(s, key));
  }
  return out;
}
