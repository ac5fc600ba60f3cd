/**
 * What every rule needs to know about one transcript, computed once: the
 * negotiated version, suite and key exchange, the decoded hellos, the
 * handshake sequence per direction, and which evidence is available.
 * Only the Transcript is read; nothing is re-encoded.
 */
import type { CryptoProvider } from '../crypto/provider';
import type { ParsedCertCache } from '../pki/parse';
import { selectedVersion } from '../transcript/build';
import type { PresharedKey, Transcript, TranscriptMessage } from '../transcript/model';
import { type Extension, extensionBody } from '../wire/extensions';
import { decompressCertificate } from '../wire/compress';
import { type ClientHello, decodeHandshake, type HandshakeBody, type ServerHello, isHelloRetryRequest } from '../wire/handshake';
import { concatBytes } from '../wire/hex';
import { type CipherSuiteInfo, ExtensionType, HandshakeType, type KeyExchange, cipherSuites } from '../wire/registry';
import {
  type Direction,
  type MessageType,
  type StepName,
  TLS_VERSIONS,
  type TlsVersion,
  VERSION_CODE,
  versionOfCode,
} from '../wire/vocabulary';

export interface Hello<B> {
  m: TranscriptMessage;
  b: B;
}

/** A message of the handshake-level sequence (handshake messages and CCS), with its ordering symbol. */
export interface Step {
  m: TranscriptMessage;
  dir: Direction;
  /**
   * The message type; `hello_retry_request` for an HRR; for a message that
   * could not be read, its transcript type (`encrypted_handshake_message`,
   * `encrypted_record`: see isUnreadableStep).
   */
  sym: StepName;
}

export interface Context {
  t: Transcript;
  version?: TlsVersion;
  /** How the version was learnt. */
  versionFrom?: 'server_hello' | 'hello_retry_request' | 'message types' | 'client_hello';
  /**
   * The versions the ClientHello offers, when the version is learnt from it
   * (no ServerHello): with more than one, the evaluator judges each rule in
   * the highest offered version it is declared for (evaluate.ts).
   */
  offered?: TlsVersion[];
  suite?: number;
  suiteInfo?: CipherSuiteInfo;
  kex?: KeyExchange;
  ch?: Hello<ClientHello>;
  /** The second ClientHello (after a HelloRetryRequest). */
  ch2?: Hello<ClientHello>;
  hrr?: Hello<ServerHello>;
  sh?: Hello<ServerHello>;
  /** Handshake messages and CCS in wire order. */
  steps: Step[];
  /** Same, per direction. */
  byDir: Record<Direction, Step[]>;
  /** Messages that were protected and could not be read. */
  unreadable: TranscriptMessage[];
  evidence: { plaintext: true; keys: boolean; live: false };
  /** The transcript has records (not only hand-written messages). */
  hasRecords: boolean;
  /** Contexts of earlier connections (for resumption rules), oldest first. */
  earlier: Context[];
  /**
   * Which handshake of the connection this is: 0 the initial one, n the n-th TLS 1.2 renegotiation (the evaluator
   * judges each handshake as a transcript of its own, oracles/handshakes.ts).
   */
  handshake: number;
  /** The handshake before this one on the same connection (a renegotiation's: the one it renegotiates). */
  previous?: Context;
  /** The handshake after this one on the same connection (the renegotiation that follows it). */
  next?: Context;
  /**
   * A renegotiation the server refused with the warning no_renegotiation (RFC 5246 §7.2.2) before any ServerHello:
   * only its ClientHello is there to judge; its records, under the keys of the handshake before, are judged there.
   */
  refused?: true;
  /** What the caller gave beside the transcript (trust anchors, validation time, private keys). */
  options: ContextOptions;
  /** Results computed once per transcript and shared by rules (async crypto), keyed by name. */
  memo: Map<string, Promise<unknown>>;
  /**
   * Values read from the transcript alone, computed once per transcript and shared by the rules (synchronous: the key
   * log's secrets), keyed by name; the same for every version a context is judged in.
   */
  once: Map<string, unknown>;
  /** Parsed certificates of this transcript, keyed by DER hex. */
  certCache: ParsedCertCache;
  /** The crypto provider every signature, key-exchange and certificate check of this transcript uses. */
  provider: CryptoProvider;
}

export interface ContextOptions {
  /** The crypto provider (one per run, so that its key store imports each key once). */
  provider: CryptoProvider;
  /** DER trust anchors for the certificate rules; absent = none given. */
  trustAnchors?: readonly Uint8Array[];
  /** Validation time of the certificate rules (for captures: the capture time); absent = now. */
  at?: Date;
  /**
   * The server is known to require client authentication (the user says so, or its configuration does): it cannot
   * have gone on with an unacceptable client chain considering the client unauthenticated (Tolerance).
   */
  clientAuthRequired?: boolean;
  /**
   * The transcript and the earlier ones reached one and the same server instance (a live run against one process):
   * RFC 8446 §8 ("The server MUST ensure that any instance of it ... would accept 0-RTT for the same 0-RTT handshake
   * at most once") then binds it. Absent: unknown (a capture may show a cluster).
   */
  oneServerInstance?: boolean;
  /** PKCS#8 DER private keys of the endpoints' certificates (generated runs), matched to leaves by public key. */
  privateKeys?: readonly Uint8Array[];
  /**
   * Parsed certificates shared by the transcripts of one run (parsing costs
   * more than the handshake crypto); the caller owns it and bounds it.
   * Absent: one cache per transcript.
   */
  certCache?: ParsedCertCache;
  /** External PSKs (TLS 1.2 PSK suites, TLS 1.3 external PSKs): no key log carries them (`tlsprop check --psk`). */
  psks?: readonly PresharedKey[];
}

/** Compute `fn` once per context under `key` (the rules share derivations such as verified signatures). */
export function memo<T>(ctx: Context, key: string, fn: () => Promise<T>): Promise<T> {
  let p = ctx.memo.get(key) as Promise<T> | undefined;
  if (!p) {
    p = fn();
    ctx.memo.set(key, p);
  }
  return p;
}

/** Transcript types of protected messages that could not be read. */
export const UNREADABLE_TYPES: ReadonlySet<StepName> = new Set<StepName>(['encrypted_handshake_message', 'encrypted_record']);

export function isUnreadable(m: TranscriptMessage): boolean {
  return UNREADABLE_TYPES.has(m.type);
}

/** A step whose message could not be read (protected, no key log): its place is known, its type not. */
export function isUnreadableStep(s: Step): boolean {
  return UNREADABLE_TYPES.has(s.sym);
}

/**
 * Whether unreadable records may hold the messages of the handshake itself
 * (Certificate, CertificateRequest, ServerKeyExchange, CertificateVerify):
 * in TLS 1.3 everything after ServerHello is encrypted (RFC 8446 §2); in
 * TLS 1.2 the handshake is sent in the clear up to ChangeCipherSpec (RFC
 * 5246 §7.1, §7.4), so an unreadable record is a Finished, application
 * data, an alert or a renegotiation's message, and a rule about those
 * messages that finds none in the clear has nothing to judge (an
 * abbreviated handshake has none at all).
 */
export function handshakeHidden(ctx: Context): boolean {
  return ctx.unreadable.length > 0 && ctx.version !== '1.2';
}

/**
 * Why an encrypted message could not be read, for a detail: no key log at
 * all, or a key log that does not open its record (no line for this
 * connection, or the record fails to open: see the gaps).
 */
export function notOpened(ctx: Context): string {
  return ctx.t.secrets?.keylog?.length ? 'the key log given does not open it (see the gaps)' : 'no key log was given';
}

/** Why protected records could not be read: no key log at all, or one that does not open them (see the gaps). */
export function unreadableWhy(ctx: Context): string {
  return ctx.t.secrets?.keylog?.length ? 'the key log does not open them' : 'no key log';
}

/**
 * A message's decoded body; a CompressedCertificate's is the Certificate it carries (RFC 8879 §4: it "replaces" the
 * Certificate message), when it decompresses to exactly uncompressed_length bytes and decodes (else undefined: the
 * certificate rules are then inconclusive, and ext.cc.decompress names why). Rules that judge the compression itself
 * read `m.decoded` (oracles/rules/cert-compression.ts); hashes always take `m.raw`, the CompressedCertificate as sent.
 */
export function bodyOf(m: TranscriptMessage | undefined): HandshakeBody | undefined {
  const b = m?.decoded?.body;
  if (b?.type !== 'compressed_certificate') return b;
  return certificateOfCompressed(b);
}

/** The TLS 1.3 Certificate body inside a CompressedCertificate, or undefined when it does not come out whole. */
export function certificateOfCompressed(
  b: Extract<HandshakeBody, { type: 'compressed_certificate' }>,
): Extract<HandshakeBody, { type: 'certificate' }> | undefined {
  const r = decompressCertificate(b.algorithm, b.compressed, b.uncompressedLength);
  if (!r.ok) return undefined;
  const n = r.body.length;
  try {
    const inner = decodeHandshake(
      concatBytes([Uint8Array.of(HandshakeType.certificate, n >> 16, (n >> 8) & 0xff, n & 0xff), r.body]),
      {
        version: VERSION_CODE['1.3'],
      },
    );
    const c = inner.message.body;
    return c.type === 'certificate' && !inner.message.trailing ? c : undefined;
  } catch {
    return undefined;
  }
}

export function symbolOf(m: TranscriptMessage): StepName {
  if (isUnreadable(m)) return m.type;
  const b = m.decoded?.body;
  if (b && isHelloRetryRequest(b)) return 'hello_retry_request';
  // RFC 8879 §4: a CompressedCertificate stands where the Certificate it replaces belongs
  if (m.type === 'compressed_certificate') return 'certificate';
  return m.type;
}

const ONLY_12: ReadonlySet<MessageType> = new Set<MessageType>([
  'server_key_exchange',
  'client_key_exchange',
  'server_hello_done',
  'certificate_status',
  'hello_request',
]);
const ONLY_13: ReadonlySet<MessageType> = new Set<MessageType>(['encrypted_extensions', 'end_of_early_data', 'key_update']);

export function buildContext(
  t: Transcript,
  earlier: readonly Transcript[],
  options: ContextOptions,
  previous?: Context,
): Context {
  const steps: Step[] = [];
  const unreadable: TranscriptMessage[] = [];
  for (const m of t.messages) {
    if (isUnreadable(m)) unreadable.push(m);
    if (m.kind === 'handshake' || m.kind === 'change_cipher_spec') steps.push({ m, dir: m.dir, sym: symbolOf(m) });
  }
  const ctx: Context = {
    t,
    steps,
    byDir: { 'C->S': steps.filter((s) => s.dir === 'C->S'), 'S->C': steps.filter((s) => s.dir === 'S->C') },
    unreadable,
    evidence: { plaintext: true, keys: unreadable.length === 0 && t.gaps.length === 0, live: false },
    hasRecords: t.records.length > 0,
    earlier: earlier.map((e) => buildContext(e, [], options)),
    handshake: previous ? previous.handshake + 1 : 0,
    options,
    memo: new Map(),
    once: new Map(),
    certCache: options.certCache ?? new Map(),
    provider: options.provider,
  };
  if (previous) ctx.previous = previous;
  for (const s of steps) {
    const b = bodyOf(s.m);
    if (!b) continue;
    if (b.type === 'client_hello') {
      if (!ctx.ch) ctx.ch = { m: s.m, b };
      else if (ctx.hrr && !ctx.ch2 && !ctx.sh) ctx.ch2 = { m: s.m, b };
    } else if (b.type === 'server_hello') {
      if (isHelloRetryRequest(b)) {
        if (!ctx.hrr && !ctx.sh) ctx.hrr = { m: s.m, b };
      } else if (!ctx.sh) ctx.sh = { m: s.m, b };
    }
  }
  if (ctx.sh) {
    const v = versionOfCode(selectedVersion(ctx.sh.b.legacyVersion, ctx.sh.b.extensions));
    if (v) {
      ctx.version = v;
      ctx.versionFrom = 'server_hello';
    }
    ctx.suite = ctx.sh.b.cipherSuite;
    const info = cipherSuites.get(ctx.suite);
    if (info) {
      ctx.suiteInfo = info;
      ctx.kex = info.kex;
    }
  } else if (ctx.hrr) {
    ctx.version = '1.3';
    ctx.versionFrom = 'hello_retry_request';
  }
  if (!ctx.version && !ctx.sh) {
    const types = new Set(t.messages.map((m) => m.type));
    const t12 = [...types].some((x) => ONLY_12.has(x));
    const t13 = [...types].some((x) => ONLY_13.has(x));
    if (t12 !== t13) {
      ctx.version = t12 ? '1.2' : '1.3';
      ctx.versionFrom = 'message types';
    } else if (!t12 && !ctx.hrr && ctx.ch) {
      // No ServerHello (the handshake stopped before one, or the capture ends): the ClientHello says which versions
      // the connection could have had, and the rules about what was sent are judged in those.
      const sv = extensionBody(ctx.ch.b.extensions, ExtensionType.supported_versions, 'supported_versions_client')?.versions;
      const offered = TLS_VERSIONS.filter((v) =>
        sv ? sv.includes(VERSION_CODE[v]) : v === '1.2' && ctx.ch!.b.legacyVersion >= VERSION_CODE['1.2'],
      );
      if (offered.length) {
        ctx.version = offered[offered.length - 1]!;
        ctx.versionFrom = 'client_hello';
        ctx.offered = offered;
      }
    }
  }
  return ctx;
}

/** Extensions of a decoded hello, [] when it has none. */
export function exts(h: Hello<ClientHello | ServerHello> | undefined): Extension[] {
  return h?.b.extensions ?? [];
}

export function hasExt(list: readonly Extension[] | undefined, type: number): boolean {
  return !!list?.some((e) => e.type === type);
}

/**
 * Certificate-authenticated key exchanges of TLS 1.2: all but anonymous and the PSK ones without a server certificate
 * (RFC 4279 §2, §3, RFC 5489 §2; RSA_PSK has one, RFC 4279 §4).
 */
export function kexUsesCertificate(k: KeyExchange): boolean {
  return !['DH_anon', 'ECDH_anon', 'PSK', 'DHE_PSK', 'ECDHE_PSK', 'NULL', 'TLS13'].includes(k);
}
/** Key exchanges whose ServerKeyExchange is always sent (PSK and RSA_PSK send one only with a psk_identity_hint). */
export function kexNeedsSke(k: KeyExchange): boolean {
  return ['DHE_RSA', 'DHE_DSS', 'DH_anon', 'ECDHE_RSA', 'ECDHE_ECDSA', 'ECDH_anon', 'ECDHE_PSK', 'DHE_PSK'].includes(k);
}
export function kexForbidsSke(k: KeyExchange): boolean {
  return ['RSA', 'DH_RSA', 'DH_DSS', 'ECDH_RSA', 'ECDH_ECDSA'].includes(k);
}
export function kexAnonymous(k: KeyExchange): boolean {
  return k === 'DH_anon' || k === 'ECDH_anon';
}
