/**
 * What the client and server state machines share: the record layer (framing,
 * protection per direction, handshake reassembly), alerts, hooks, the
 * transcript of raw handshake bytes, key log entries, ephemeral keys and
 * signing keys. Handlers throw EngineFailure to stop with a fatal alert.
 */
import {
  type CryptoProvider,
  cbcLayout,
  createRecordProtection,
  defaultProvider,
  type DhKeyPair,
  type FfdheGroup,
  generateDhKeyPair,
  nextTrafficSecret,
  tls13KeyLength,
  tls13Params,
  trafficKeys,
  transcriptWithHrr,
  digest,
  randomBytes,
  deriveDh,
  deriveEcdh,
  isMontgomery,
  pointFromX,
  sharedSecretLength,
  type EcdhGroup,
  type EcdhKeyPair,
  ecdhGroupOf,
  ffdheGroupOf,
  type Result,
  validateDhPublic,
  generateEcdhKeyPair,
  decapsulateKemShare,
  encapsulateKemShare,
  generateKemClientShare,
  type KemKeyPair,
  kemErrorAlert,
  kemGroupOf,
  type HashName,
  RunningHash,
  importSigningKey,
  type KeyLogEntry,
  type KeyLogLabel,
  parseSpki,
  OID,
  RecordDirection,
  type SigningKey,
  schemeInfo,
  schemeKeyMismatch,
  type Tls13Schedule,
  type Tls13ScheduleFrom,
  type Tls13ScheduleInput,
  tls13Schedule,
} from '../crypto';
import { type ParsedCertCache, parseCert } from '../pki/parse';
import { validateChain } from '../pki/validate';
import { DecodeError } from '../wire/errors';
import { type DecodeContext, decodeHandshake, type HandshakeBody, encodeBody, handshakeTypeName } from '../wire/handshake';
import { bytesEqual, concatBytes } from '../wire/hex';
import {
  type Alert,
  CCS_FRAGMENT,
  decodeAlert,
  decodeChangeCipherSpec,
  encodeAlert,
  encodeRecord,
  HandshakeAssembler,
  MAX_CIPHERTEXT_12,
  MAX_PLAINTEXT,
  RecordStream,
} from '../wire/record';
import {
  AlertDescription,
  AlertLevel,
  type AlertName,
  type CipherSuiteInfo,
  ContentType,
  contentTypes,
  HandshakeType,
  type HandshakeTypeName,
  handshakeTypes,
  type KeyExchange,
  NamedGroup,
  nameOf,
} from '../wire/registry';
import { canCompress, compressCertificate, decompressCertificate } from '../wire/compress';
import type { Extension } from '../wire/extensions';
import { VERSION_CODE } from '../wire/vocabulary';
import type { CommonConfig } from './config';
import { type Fault, FaultCrash, faultSet } from './faults';
import type { EngineHooks, FramePiece, HookRecord, Side } from './hooks';
import type { ContentKind, Outcome, SessionInfo, StepResult, WireRecord } from './types';

/** Thrown by handlers: the endpoint sends this fatal alert and stops. */
export class EngineFailure extends Error {
  override readonly name = 'EngineFailure';
  constructor(
    readonly alert: AlertName,
    readonly reason: string,
    /** Fault silent-close-bad-signature: stop without sending the alert (the transport is closed). */
    readonly silent = false,
  ) {
    super(`${alert}: ${reason}`);
  }
}

/** RFC 5246 §6.2.1/§6.2.3, RFC 8446 §5.1/§5.2: unknown content types and oversized records are fatal. */
function checkRecordHeader(contentType: number, length: number): void {
  if (contentType < ContentType.change_cipher_spec || contentType > ContentType.application_data)
    throw failure('unexpected_message', `record of unknown content type ${contentType}`);
  if (length > MAX_CIPHERTEXT_12) throw failure('record_overflow', `record of ${length} bytes announced`);
}

export function failure(alert: AlertName, reason: string): EngineFailure {
  return new EngineFailure(alert, reason);
}

const TLS12 = VERSION_CODE['1.2'];
const TLS13 = VERSION_CODE['1.3'];

type CertificateBody = Extract<HandshakeBody, { type: 'certificate' }>;
type CompressedBody = Extract<HandshakeBody, { type: 'compressed_certificate' }>;

/**
 * RFC 8879 §4: a TLS 1.3 Certificate as it goes out, compressed with the first of `ours` the peer listed in its
 * compress_certificate (`theirs`: the ClientHello's for a server, the CertificateRequest's for a client), or as it is
 * when there is none ("The algorithm MUST be one of the algorithms listed in the peer's compress_certificate
 * extension"). The CompressedCertificate is what the transcript then hashes.
 */
export function compressedFor(
  cert: CertificateBody,
  ours: readonly number[] | undefined,
  theirs: readonly number[] | undefined,
): CertificateBody | CompressedBody {
  const algorithm = (ours ?? []).find((a) => theirs?.includes(a) && canCompress(a));
  if (algorithm === undefined) return cert;
  const body = encodeBody(cert).subarray(4);
  return {
    type: 'compressed_certificate',
    algorithm,
    uncompressedLength: body.length,
    compressed: compressCertificate(algorithm, body),
  };
}

/**
 * RFC 8879 §4: the Certificate inside a peer's CompressedCertificate (`offered`: the algorithms we listed). "The
 * algorithm MUST be one of the algorithms listed in the peer's compress_certificate extension"; "If the received
 * CompressedCertificate message cannot be decompressed, the connection MUST be terminated with the "bad_certificate"
 * alert"; "If the length of the resulting uncompressed certificate differs from the length specified in the
 * uncompressed_length field, the receiving party MUST abort the connection with the "bad_certificate" alert." Without
 * our extension it is a message we cannot expect (unexpected_message).
 */
export function decompressedCertificate(body: CompressedBody, offered: readonly number[]): CertificateBody {
  if (!offered.length) throw failure('unexpected_message', 'a CompressedCertificate, but compress_certificate was not offered');
  if (!offered.includes(body.algorithm))
    throw failure('illegal_parameter', `CompressedCertificate with algorithm ${body.algorithm}, which was not offered`);
  const r = decompressCertificate(body.algorithm, body.compressed, body.uncompressedLength);
  if (!r.ok) throw failure('bad_certificate', `the CompressedCertificate: ${r.why}`);
  const n = r.body.length;
  let decoded: HandshakeBody;
  try {
    decoded = decodeHandshake(
      concatBytes([Uint8Array.of(HandshakeType.certificate, n >> 16, (n >> 8) & 0xff, n & 0xff), r.body]),
      {
        version: TLS13,
      },
    ).message.body;
  } catch {
    throw failure('bad_certificate', 'the decompressed CompressedCertificate is no Certificate message');
  }
  if (decoded.type !== 'certificate')
    throw failure('bad_certificate', 'the decompressed CompressedCertificate is no Certificate');
  return decoded;
}

/**
 * The alert for a peer signature (CertificateVerify, ServerKeyExchange) that failed verification. RFC 8446 §4.4.3:
 * "If the verification fails, the receiver MUST terminate the handshake with a "decrypt_error" alert"; RFC 5246
 * §7.2.2 decrypt_error: "being unable to correctly verify a signature". A signature that cannot even be parsed (a
 * malformed ECDSA DER, an Ed25519 signature that is not 64 bytes) is a signature that does not verify: decrypt_error
 * too. A scheme that does not fit the certificate's key is a parameter the peer chose wrongly: illegal_parameter.
 */
export function signatureFailureAlert(reason: string): AlertName {
  return reason === 'bad_signature' || reason === 'bad_encoding' ? 'decrypt_error' : 'illegal_parameter';
}

/**
 * Extensions whose extension_data is empty by definition: RFC 7627 §5.1 (extended_master_secret) and RFC 7366 §2
 * (encrypt_then_mac): "The "extension_data" field of this extension SHALL be empty." A body is a malformed message:
 * decode_error (RFC 8446 §6.2, RFC 5246 §7.2.2: "A message could not be decoded because some field was out of the
 * specified range or the length of the message was incorrect").
 */
export function requireEmptyExtensions(exts: readonly Extension[] | undefined, types: readonly number[], where: string): void {
  for (const e of exts ?? []) {
    if (types.includes(e.type) && e.body.kind !== 'empty')
      throw failure('decode_error', `${where}: extension ${e.type} must have empty extension_data`);
  }
}

/**
 * RFC 8446 §4.2.10: records skipped while 0-RTT data is rejected, "up to the configured max_early_data_size". A server
 * configured without one (ServerConfig.maxEarlyDataSize) uses 2^14 bytes (as OpenSSL's and BoringSSL's default receive
 * limit), counting each skipped record as the most 0-RTT data it can carry (its length less the AEAD tag and the
 * inner content type byte).
 */
export const EARLY_DATA_SKIP_LIMIT = 1 << 14;

const KIND_TYPE: Record<ContentKind, number> = {
  handshake: ContentType.handshake,
  change_cipher_spec: ContentType.change_cipher_spec,
  alert: ContentType.alert,
  application_data: ContentType.application_data,
};

export type KeyKind = 'rsa' | 'rsa-pss' | 'ec-p256' | 'ec-p384' | 'ec-p521' | 'ed25519' | 'ed448' | 'other';

export function keyKindOf(spki: Uint8Array): KeyKind {
  const info = parseSpki(spki);
  if (info.algorithm === OID.rsaEncryption) return 'rsa';
  if (info.algorithm === OID.rsassaPss) return 'rsa-pss';
  if (info.algorithm === OID.ed25519) return 'ed25519';
  if (info.algorithm === OID.ed448) return 'ed448';
  if (info.algorithm === OID.ecPublicKey) {
    if (info.parameters === OID.prime256v1) return 'ec-p256';
    if (info.parameters === OID.secp384r1) return 'ec-p384';
    if (info.parameters === OID.secp521r1) return 'ec-p521';
  }
  return 'other';
}

/** The NamedGroup of an ECDSA key's curve (RFC 8422 §5.1: a TLS 1.2 peer must have listed it), or undefined. */
export function ecdsaKeyGroup(kind: KeyKind): number | undefined {
  if (kind === 'ec-p256') return NamedGroup.secp256r1;
  if (kind === 'ec-p384') return NamedGroup.secp384r1;
  if (kind === 'ec-p521') return NamedGroup.secp521r1;
  return undefined;
}

/** A key that signs for ECDHE_ECDSA: ECDSA, or EdDSA (RFC 8422 §5.1.1, §5.10: Ed25519 and Ed448). */
export function ecdsaSuiteKey(kind: KeyKind): boolean {
  return ecdsaKeyGroup(kind) !== undefined || kind === 'ed25519' || kind === 'ed448';
}

/**
 * A key that signs for ECDHE_RSA / DHE_RSA: rsaEncryption, or id-RSASSA-PSS (RFC 8446 §4.2.3 makes rsa_pss_pss_*
 * usable in TLS 1.2 too). Not for RSA key transport: an id-RSASSA-PSS key "is only to be used for RSASSA-PSS
 * signatures" (RFC 4055 §1.2).
 */
export function rsaSigningKey(kind: KeyKind): boolean {
  return kind === 'rsa' || kind === 'rsa-pss';
}

/** Whether a key can sign with a scheme (TLS 1.3 also binds ECDSA curves and forbids PKCS#1). */
export function schemeFitsKey(scheme: number, kind: KeyKind, tls13: boolean): boolean {
  const s = schemeInfo(scheme);
  if (!s) return false;
  switch (s.kind) {
    case 'rsa_pkcs1':
      return kind === 'rsa' && !tls13 && s.hash !== 'SHA-1';
    case 'rsa_pss_rsae':
      return kind === 'rsa';
    case 'rsa_pss_pss':
      return kind === 'rsa-pss';
    case 'ecdsa':
      if (s.hash === 'SHA-1') return false;
      return (
        (kind === 'ec-p256' && s.curve === 'P-256') ||
        (kind === 'ec-p384' && s.curve === 'P-384') ||
        (kind === 'ec-p521' && s.curve === 'P-521')
      );
    case 'ed25519':
      return kind === 'ed25519';
    case 'ed448':
      return kind === 'ed448';
    default:
      // dsa: keys this engine does not sign with (RFC 8446 §4.2.3 removed DSA; RFC 9155 §2 deprecates it in 1.2).
      return false;
  }
}

/** First scheme of `ours` that the peer offered and the key fits. */
export function pickScheme(
  ours: readonly number[],
  offered: readonly number[],
  spki: Uint8Array,
  tls13: boolean,
): number | undefined {
  const kind = keyKindOf(spki);
  // an id-RSASSA-PSS key with parameters signs only with the scheme they name (RFC 8446 §4.2.3): as verification checks
  return ours.find(
    (s) => offered.includes(s) && schemeFitsKey(s, kind, tls13) && schemeKeyMismatch(s, spki, tls13 ? 13 : 12) === undefined,
  );
}

/**
 * The leaf's SubjectPublicKeyInfo, after parsing every entry of the chain: each must be an X.509 certificate
 * (RFC 5246 §7.4.2, RFC 8446 §4.4.2; a corrupt entry is bad_certificate, RFC 8446 §6.2), also when no trust
 * anchors are configured and the chain is not validated.
 */
export function leafSpki(chain: readonly Uint8Array[], cache?: ParsedCertCache): Uint8Array {
  let spki: Uint8Array | undefined;
  for (const [i, der] of chain.entries()) {
    try {
      const c = parseCert(der, cache);
      spki ??= c.spkiDer;
    } catch (e) {
      throw failure(
        'bad_certificate',
        `${i === 0 ? 'leaf certificate' : `certificate ${i} of the chain`} does not parse: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  if (!spki) throw failure('bad_certificate', 'no certificate in the chain');
  return spki;
}

export abstract class Endpoint {
  protected readonly p: CryptoProvider;
  protected readonly hooks: EngineHooks;
  private readonly stream = new RecordStream();
  private readonly assembler = new HandshakeAssembler();
  protected readDir: RecordDirection | undefined;
  protected writeDir: RecordDirection | undefined;
  private out: WireRecord[] = [];
  private appIn: Uint8Array[] = [];
  private sentAlert: Alert | undefined;
  /** Raw handshake messages of this connection as sent and received (for transcript hashes). */
  protected readonly transcript: Uint8Array[] = [];
  protected outcomeValue: Outcome;
  protected state: string;
  /** Negotiated version, once known. */
  protected version: number | undefined;
  protected kex: KeyExchange | undefined;
  /** What was negotiated, as both sides record it (SessionInfo is built from it). */
  protected suite: CipherSuiteInfo | undefined;
  protected group: number | undefined;
  protected serverScheme: number | undefined;
  protected clientScheme: number | undefined;
  protected ems = false;
  protected etm = false;
  protected alpn: string | undefined;
  /** Negotiated RFC 6066 max_fragment_length code (1..4): records sent and received keep to 2^(8+code) bytes of plaintext. */
  protected mfl: number | undefined;
  /**
   * RFC 8449 record_size_limit once both sides sent it: `peer` bounds the protected records we send, `ours` the ones
   * we receive (TLS 1.3: TLSInnerPlaintext; TLS 1.2: plaintext).
   */
  protected recordLimit: { ours: number; peer: number } | undefined;
  /** Stapled OCSP response received (client) with the server certificate. */
  protected ocsp: Uint8Array | undefined;
  /** The external PSK identity the handshake authenticated with, when it did. */
  protected pskIdentity: Uint8Array | undefined;
  protected master: Uint8Array = new Uint8Array(0);
  protected readonly keylogEntries: KeyLogEntry[] = [];
  protected readonly ephemeralKeys: EcdhKeyPair[] = [];
  protected readonly dhKeys: DhKeyPair[] = [];
  /** TLS 1.3 ML-KEM key shares (crypto/kem): the client's decapsulation keys, the server's m || ECDH private keys. */
  protected readonly kemKeys: KemKeyPair[] = [];
  /** TLS 1.3 0-RTT: the write direction under client_early_traffic_secret while it is in use (records are marked early). */
  protected earlyWrite: RecordDirection | undefined;
  /** TLS 1.3 application traffic secrets in use (for KeyUpdate), set when the handshake completes. */
  protected app13: { suite: CipherSuiteInfo; read: Uint8Array; write: Uint8Array } | undefined;
  /** Warning alerts received and let pass (TLS 1.2, RFC 5246 §7.2), in order. */
  readonly warningsReceived: Alert[] = [];
  /** Warning alerts sent (TLS 1.2: no_renegotiation, RFC 5246 §7.2.2), in order; close_notify is not among them. */
  readonly warningsSent: Alert[] = [];
  /** We sent close_notify (ours, or the answer to the peer's). */
  private closeSent = false;
  /** A hook asked to end our side of the transport (HookFrame.closeTransport). */
  private transportEnd = false;
  private keyUpdatesSent = 0;
  private keyUpdatesReceived = 0;
  /**
   * Which handshake of the connection is running or ran last: 0 the initial one, n the n-th renegotiation (TLS 1.2,
   * RFC 5746). Hooks see it on every message (HookMessage.handshake).
   */
  protected handshakeIndex = 0;
  /** A TLS 1.2 renegotiation is under way: handshake messages are expected although the endpoint is connected. */
  protected renegotiating = false;
  /**
   * RFC 5746 §3.1 secure_renegotiation: the initial handshake signalled renegotiation_info (or the SCSV) on both
   * sides, so a renegotiation must carry the previous verify_data.
   */
  protected secureRenegotiation = false;
  /**
   * RFC 7366 §3.1: a handshake of this connection negotiated encrypt-then-MAC (a CBC suite with encrypt_then_mac). The
   * state outlives handshakes with AEAD suites ("these rules apply across potentially many rehandshakes"), and no later
   * renegotiation may end in MAC-then-encrypt (checkEtmDowngrade).
   */
  protected etmEstablished = false;
  /**
   * RFC 5746 §3.1 client_verify_data / server_verify_data: the verify_data of the last TLS 1.2 Finished each side sent
   * (set as each Finished is sent or checked; a renegotiation's hellos read them before its own Finished replace them).
   */
  protected clientVerifyData: Uint8Array = new Uint8Array(0);
  protected serverVerifyData: Uint8Array = new Uint8Array(0);
  private renegotiationsDone = 0;
  /** The ClientHello random of each handshake of the connection (index: handshakeIndex). */
  protected readonly handshakeRandoms: Uint8Array[] = [];
  /** Which handshake each ephemeral key pair was made for. */
  private readonly keyHandshake = new WeakMap<object, number>();
  private readonly signingKeys = new Map<number, Promise<SigningKey>>();
  private readonly faults: ReadonlySet<Fault>;
  /** The last TLS 1.3 key schedule of this connection with its input: the next one derives only what changed. */
  private lastSchedule: Tls13ScheduleFrom | undefined;

  constructor(
    readonly side: Side,
    protected readonly common: CommonConfig,
    initialState: string,
  ) {
    this.p = common.provider ?? defaultProvider();
    this.hooks = common.hooks ?? {};
    this.faults = faultSet(common.faults, side);
    this.state = initialState;
    this.outcomeValue = { kind: 'handshaking', state: initialState };
  }

  /** The TLS 1.3 key schedule of `input` (crypto/tls13.ts), reusing the secrets this connection's last one shares with it. */
  protected async schedule13(input: Tls13ScheduleInput): Promise<Tls13Schedule> {
    const schedule = await tls13Schedule(this.p, input, this.lastSchedule);
    this.lastSchedule = { input, schedule };
    return schedule;
  }

  /** Whether a test-only fault (engine/faults.ts) is switched on: the one guard at each check a fault breaks. */
  /**
   * TLS 1.3 is the only version this endpoint can still end up with although none is negotiated yet (a client that
   * offered only TLS 1.3 and has sent its ClientHello): RFC 8446 §5 then has a dummy ChangeCipherSpec dropped.
   */
  protected onlyTls13Pending(): boolean {
    return false;
  }

  /**
   * Nothing but a ChangeCipherSpec may come next, so a handshake record is out of order whatever its bytes say:
   * unexpected_message at once, before its header's length is read (e.g. a peer's encrypted Finished without the CCS
   * reads as a plaintext message of random type and length; the alert must not depend on those random bytes).
   */
  protected onlyCcsDue(): boolean {
    return false;
  }

  protected faulty(f: Fault): boolean {
    return this.faults.has(f);
  }

  /**
   * Compare a received Finished with the expected verify_data (RFC 5246 §7.4.9, RFC 8446 §4.4.4). The length is
   * checked before the content: verify_data is exactly verify_data_length (12) bytes in TLS 1.2 and Hash.length
   * bytes in TLS 1.3, so another length is a message that does not decode (decode_error, RFC 8446 §6.2: "the length
   * of the message was incorrect"), not a Finished that fails to verify (decrypt_error).
   */
  protected checkFinished(expected: Uint8Array, received: Uint8Array, peer: Side): void {
    if (received.length !== expected.length && !this.faulty('skip-finished-check'))
      throw failure('decode_error', `${peer} Finished of ${received.length} bytes, expected ${expected.length}`);
    if (bytesEqual(expected, received) || this.faulty('skip-finished-check')) return;
    throw failure('decrypt_error', `${peer} Finished verify_data does not match`);
  }

  /**
   * Whether a handshake message of this type may come in the current state (before its body is decoded). RFC 8446
   * §4: "A peer which receives a handshake message in an unexpected order MUST abort the handshake with an
   * "unexpected_message" alert"; RFC 5246 §7.3 likewise. The state is checked first, so a message of the wrong
   * type is unexpected_message whatever its body holds (not decode_error for a body that would not decode).
   */
  protected abstract expects(type: HandshakeTypeName | undefined): boolean;

  get outcome(): Outcome {
    return this.outcomeValue;
  }

  get terminal(): boolean {
    const k = this.outcomeValue.kind;
    return k === 'alert_sent' || k === 'alert_received' || k === 'closed';
  }

  get connected(): boolean {
    return this.outcomeValue.kind === 'connected';
  }

  /** Current state name (explicit state machine). */
  get currentState(): string {
    return this.state;
  }

  /**
   * What was negotiated so far, also when the handshake did not complete (for logs: a version is known once the
   * hellos are processed, a group once a key exchange was chosen).
   */
  get negotiated(): { version?: number; cipherSuite?: number; group?: number; alpn?: string } {
    const n: { version?: number; cipherSuite?: number; group?: number; alpn?: string } = {};
    if (this.version !== undefined) n.version = this.version;
    if (this.suite !== undefined) n.cipherSuite = this.suite.code;
    if (this.group !== undefined) n.group = this.group;
    if (this.alpn !== undefined) n.alpn = this.alpn;
    return n;
  }

  /** A hook asked to end our side of the transport after what is queued (a truncation, HookFrame.closeTransport). */
  get transportClosed(): boolean {
    return this.transportEnd;
  }

  /** NSS key log entries this endpoint derived. */
  get keylog(): readonly KeyLogEntry[] {
    return this.keylogEntries;
  }

  /** Ephemeral ECDH key pairs this endpoint used. */
  get ephemeral(): readonly EcdhKeyPair[] {
    return this.ephemeralKeys;
  }

  /**
   * The ClientHello random of the handshake an ephemeral key pair (of `ephemeral` / `ephemeralDh`) was used in, and
   * that handshake's index (0: the initial one; a TLS 1.2 renegotiation makes new keys).
   */
  keyPairHandshake(kp: EcdhKeyPair | DhKeyPair | KemKeyPair): { index: number; clientRandom?: Uint8Array } {
    const index = this.keyHandshake.get(kp) ?? 0;
    const clientRandom = this.handshakeRandoms[index];
    return clientRandom ? { index, clientRandom } : { index };
  }

  /** ML-KEM (pure or hybrid) key shares this endpoint used (TLS 1.3). */
  get ephemeralKem(): readonly KemKeyPair[] {
    return this.kemKeys;
  }

  /** Ephemeral finite-field DH key pairs this endpoint used (TLS 1.2 DHE). */
  get ephemeralDh(): readonly DhKeyPair[] {
    return this.dhKeys;
  }

  /** TLS 1.2 renegotiations completed on this connection (RFC 5746). */
  get renegotiations(): number {
    return this.renegotiationsDone;
  }

  /** Whether the connection established secure renegotiation (RFC 5746 §3.1 secure_renegotiation flag). */
  get secureRenegotiationEstablished(): boolean {
    return this.secureRenegotiation;
  }

  /** Whether a TLS 1.2 renegotiation is under way. */
  get renegotiationInProgress(): boolean {
    return this.renegotiating;
  }

  /**
   * Start the handshake state of a TLS 1.2 renegotiation (RFC 5246 §7.4.1.1, RFC 5746): the handshake transcript and
   * what the last handshake negotiated are dropped; the record layer keeps the current keys until the new
   * ChangeCipherSpec. The version stays TLS 1.2 (RFC 8446 §4.1.2: "it MUST retain the previous protocol version").
   */
  protected beginRenegotiation(): void {
    this.transcript.splice(0);
    this.handshakeIndex++;
    this.renegotiating = true;
    this.kex = undefined;
    this.suite = undefined;
    this.group = undefined;
    this.serverScheme = undefined;
    this.clientScheme = undefined;
    this.ems = false;
    this.etm = false;
    this.alpn = undefined;
    this.ocsp = undefined;
    this.pskIdentity = undefined;
    this.helloRetry = false;
  }

  /**
   * The hello random of a renegotiation (beginRenegotiation has counted it): fresh, or derived from a configured
   * random (SHA-256 of it and the handshake's number) so runs with given randoms stay reproducible.
   */
  protected async renegotiationRandom(): Promise<Uint8Array> {
    const given = this.common.random;
    if (!given) return randomBytes(this.p, 32);
    return digest(this.p, 'SHA-256', concatBytes([given, Uint8Array.of(this.handshakeIndex)]));
  }

  /**
   * RFC 7366 §3.1: "implementations MUST NOT renegotiate a downgrade from encrypt-then-MAC to MAC-then-encrypt" (the
   * table's "Error"; the RFC names no alert: handshake_failure, RFC 5246 §7.2.2 "unable to negotiate an acceptable set
   * of security parameters given the options available"). A renegotiation that selects a CBC suite without
   * encrypt_then_mac on a connection that had encrypt-then-MAC is refused. `allow`: the faulty server's
   * accept-etm-downgrade.
   */
  protected checkEtmDowngrade(suite: CipherSuiteInfo, etm: boolean, allow = false): void {
    if (!this.renegotiating || !this.etmEstablished || etm || !suite.cipher.endsWith('_CBC') || allow) return;
    throw failure(
      'handshake_failure',
      `the renegotiation selects ${suite.name} without encrypt_then_mac on a connection that negotiated encrypt-then-MAC (RFC 7366 §3.1)`,
    );
  }

  /** A renegotiation the peer refused (no_renegotiation warning): the connection goes on with the current session. */
  protected abandonRenegotiation(): void {
    this.renegotiating = false;
    this.state = 'CONNECTED';
  }

  /** KeyUpdate messages sent and received after the handshake (TLS 1.3). */
  get keyUpdates(): { sent: number; received: number } {
    return { sent: this.keyUpdatesSent, received: this.keyUpdatesReceived };
  }

  /**
   * TLS 1.3 KeyUpdate (RFC 8446 §4.6.3): send one (under the current keys),
   * then switch our write keys to the next application traffic secret.
   * With `requestUpdate` the peer answers with its own KeyUpdate.
   */
  async keyUpdate(requestUpdate = false): Promise<WireRecord[]> {
    if (!this.connected || this.version !== TLS13 || !this.app13)
      throw new Error(`KeyUpdate needs a connected TLS 1.3 endpoint (state ${this.state})`);
    await this.guard(() => this.sendKeyUpdate(requestUpdate));
    return this.flush().send;
  }

  private async sendKeyUpdate(requestUpdate: boolean): Promise<void> {
    const a = this.app13!;
    await this.sendPostHandshake({ type: 'key_update', requestUpdate: requestUpdate ? 1 : 0 });
    a.write = await nextTrafficSecret(this.p, a.suite.prfHash, a.write);
    this.writeDir = await this.direction13(a.suite, a.write);
    this.keyUpdatesSent++;
  }

  /** A KeyUpdate from the peer: new read keys, and an answer when asked. */
  protected async onKeyUpdate(requestUpdate: number): Promise<void> {
    const a = this.app13;
    if (!a || !this.connected) throw this.unexpected('key_update');
    if (requestUpdate > 1) throw failure('illegal_parameter', `KeyUpdate request_update ${requestUpdate}`);
    a.read = await nextTrafficSecret(this.p, a.suite.prfHash, a.read);
    this.readDir = await this.direction13(a.suite, a.read);
    this.keyUpdatesReceived++;
    // fault ignore-key-update-request: update_requested is read like update_not_requested (RFC 8446 §4.6.3 broken)
    if (requestUpdate === 1 && !this.faulty('ignore-key-update-request')) await this.sendKeyUpdate(false);
  }

  protected async direction13(suite: CipherSuiteInfo, secret: Uint8Array): Promise<RecordDirection> {
    return new RecordDirection(
      await createRecordProtection(
        this.p,
        tls13Params(suite, await trafficKeys(this.p, suite.prfHash, secret, tls13KeyLength(suite))),
      ),
    );
  }

  /** TLS 1.3 post-handshake client authentications completed on this connection (RFC 8446 §4.6.2). */
  protected postHandshakeAuthsDone = 0;
  get postHandshakeAuths(): number {
    return this.postHandshakeAuthsDone;
  }

  /**
   * A post-handshake authentication message (RFC 8446 §4.6.2): sent like any post-handshake message, its bytes as sent
   * (after hooks) appended to `context`, the handshake context of this authentication ("ClientHello ... client
   * Finished + CertificateRequest", §4.4).
   */
  protected async sendAuthMessage(body: HandshakeBody, context: Uint8Array[]): Promise<void> {
    const before = this.transcript.length;
    await this.sendHandshake(body);
    context.push(...this.transcript.slice(before));
    this.transcript.splice(before);
  }

  /** A handshake message that is not part of the handshake transcript (NewSessionTicket, KeyUpdate). */
  protected async sendPostHandshake(body: HandshakeBody): Promise<void> {
    const before = this.transcript.length;
    await this.sendHandshake(body);
    this.transcript.splice(before);
  }

  /** Raw handshake messages in transcript order. */
  get handshakeMessages(): readonly Uint8Array[] {
    return this.transcript;
  }

  protected setState(s: string): void {
    this.state = s;
    if (this.outcomeValue.kind === 'handshaking') this.outcomeValue = { kind: 'handshaking', state: s };
  }

  protected complete(session: SessionInfo): void {
    if (this.etm) this.etmEstablished = true;
    if (this.renegotiating) this.renegotiationsDone++;
    this.renegotiating = false;
    this.state = 'CONNECTED';
    this.outcomeValue = { kind: 'connected', session };
  }

  protected session(): SessionInfo | undefined {
    const o = this.outcomeValue;
    return o.kind === 'connected' ? o.session : undefined;
  }

  /** Feed bytes from the peer (any split); returns what to send back. */
  async receive(bytes: Uint8Array): Promise<StepResult> {
    if (!this.terminal) {
      for (const rec of this.stream.push(bytes)) {
        await this.guard(() => this.handleRecord(rec.contentType, rec.version, rec.fragment));
        if (this.terminal) break;
      }
      // Judge a record by its header as soon as it is in: garbage (an HTTP
      // reply, say) or an oversized length must not leave us waiting for a body.
      const h = this.terminal ? undefined : this.stream.pendingHeader();
      if (h) await this.guard(async () => checkRecordHeader(h.contentType, h.length));
    }
    return this.flush();
  }

  /**
   * TLS 1.3 with CommonConfig.halfClose: the peer closed its write side (close_notify) after the handshake and ours is
   * still open, until close().
   */
  get halfOpen(): boolean {
    return (
      this.common.halfClose === true &&
      this.version === TLS13 &&
      this.outcomeValue.kind === 'closed' &&
      this.outcomeValue.session !== undefined &&
      !this.closeSent
    );
  }

  /**
   * Send application data (after the handshake; also when half-open). `padding` (TLS 1.3): the data goes out as one
   * record with that many zero bytes of padding after its inner content type (RFC 8446 §5.4), whatever its size.
   */
  async sendApplicationData(data: Uint8Array, opts: { padding?: number } = {}): Promise<WireRecord[]> {
    if ((!this.connected && !this.halfOpen) || this.closeSent)
      throw new Error(`cannot send application data in state ${this.state}${this.closeSent ? ' after close_notify' : ''}`);
    if (opts.padding === undefined) await this.sendMessage('application_data', 'application_data', data);
    else {
      if (this.version !== TLS13) throw new Error('record padding is TLS 1.3 only (RFC 8446 §5.4)');
      await this.writeRecord({ contentType: KIND_TYPE.application_data, fragment: data, padding: opts.padding }, false);
    }
    return this.flush().send;
  }

  /**
   * Send close_notify: once, and not after a fatal alert either way (RFC 8446 §6.1: "unless it has already sent some
   * error alert"; RFC 5246 §7.2.2: "Upon transmission or receipt of a fatal alert message, both parties immediately
   * close the connection").
   */
  async close(): Promise<WireRecord[]> {
    await this.sendCloseNotify();
    return this.flush().send;
  }

  private async sendCloseNotify(): Promise<void> {
    const k = this.outcomeValue.kind;
    if (this.closeSent || k === 'alert_sent' || k === 'alert_received') return;
    this.closeSent = true;
    await this.sendMessage(
      'alert',
      'alert',
      encodeAlert({ level: AlertLevel.warning, description: AlertDescription.close_notify }),
    );
  }

  protected async guard(f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (e) {
      if (e instanceof EngineFailure) await this.fail(e.alert, e.reason, e.silent);
      else if (e instanceof DecodeError) await this.fail('decode_error', e.message);
      else throw e;
    }
  }

  protected flush(): StepResult {
    const r: StepResult = {
      send: this.out,
      done: this.terminal || this.connected,
      outcome: this.outcomeValue,
      appData: this.appIn,
    };
    if (this.sentAlert) r.alert = this.sentAlert;
    this.out = [];
    this.appIn = [];
    this.sentAlert = undefined;
    return r;
  }

  /** The session as negotiated, with the peer's chain as received. */
  protected sessionInfo(peerCertificates: Uint8Array[], resumed: boolean): SessionInfo {
    const session: SessionInfo = {
      version: this.version!,
      cipherSuite: this.suite!.code,
      extendedMasterSecret: this.ems,
      encryptThenMac: this.etm,
      peerCertificates,
      masterSecret: this.master,
    };
    if (this.group !== undefined) session.group = this.group;
    if (this.serverScheme !== undefined) session.serverScheme = this.serverScheme;
    if (this.clientScheme !== undefined) session.clientScheme = this.clientScheme;
    if (this.alpn !== undefined) session.alpn = this.alpn;
    if (resumed) session.resumed = true;
    if (this.mfl !== undefined) session.maxFragmentLength = this.mfl;
    if (this.recordLimit !== undefined) session.recordSizeLimit = { ...this.recordLimit };
    if (this.ocsp !== undefined) session.ocspResponse = this.ocsp;
    if (this.pskIdentity !== undefined) session.pskIdentity = this.pskIdentity;
    return session;
  }

  /** Send a warning alert and go on (e.g. no_renegotiation, RFC 5246 §7.2.2). */
  protected async sendWarning(name: AlertName): Promise<void> {
    const alert: Alert = { level: AlertLevel.warning, description: AlertDescription[name] };
    this.warningsSent.push(alert);
    await this.sendMessage('alert', 'alert', encodeAlert(alert));
  }

  protected async fail(name: AlertName, reason: string, silent = false): Promise<void> {
    if (this.terminal) return;
    const alert: Alert = { level: AlertLevel.fatal, description: AlertDescription[name] };
    if (silent) {
      // fault silent-close-bad-signature: the endpoint stops and its transport is closed, the alert never sent
      this.outcomeValue = { kind: 'alert_sent', alert, reason: `${reason} (not sent: fault)`, state: this.state };
      return;
    }
    this.sentAlert = alert;
    this.outcomeValue = { kind: 'alert_sent', alert, reason, state: this.state };
    const handshakeKeys = this.alertDirection();
    if (!handshakeKeys) {
      await this.sendMessage('alert', 'alert', encodeAlert(alert));
      return;
    }
    // fault alert-handshake-keys: the alert goes out under the handshake write keys the endpoint no longer uses
    const current = this.writeDir;
    this.writeDir = handshakeKeys;
    try {
      await this.sendMessage('alert', 'alert', encodeAlert(alert));
    } finally {
      this.writeDir = current;
    }
  }

  /** Fault alert-handshake-keys: the write direction a fatal alert is sealed with instead of the current one. */
  protected alertDirection(): RecordDirection | undefined {
    return undefined;
  }

  /**
   * Server: RFC 8446 §4.2.10 has this record skipped as rejected 0-RTT data (true: drop it). `keysInUse`: the record
   * failed deprotection under the handshake keys (trial decryption); otherwise it is an application_data record that
   * came before any keys (after a HelloRetryRequest). A client never skips.
   */
  protected skipsEarlyData(_length: number, _keysInUse: boolean): boolean {
    return false;
  }

  /**
   * Server: application data that came before the handshake completed is accepted 0-RTT data (RFC 8446 §4.2.10), of
   * `length` bytes (true: deliver it). A client never receives early data.
   */
  protected earlyDataIn(_length: number): boolean {
    return false;
  }

  /** A TLS 1.2 warning alert received and let pass (e.g. no_renegotiation in answer to our renegotiation). */
  protected onWarning(_alert: Alert): void {}

  /** A protected record opened (the end of 0-RTT skipping, RFC 8446 §4.2.10). */
  protected recordOpened(): void {}

  /** Whether TLS 1.2 rules apply to what arrives now: TLS 1.2 negotiated, or still possible. */
  protected abstract mayBeTls12(): boolean;

  private async handleRecord(outerType: number, recVersion: number, fragment: Uint8Array): Promise<void> {
    if (fragment.length > MAX_CIPHERTEXT_12) throw failure('record_overflow', `record of ${fragment.length} bytes`);
    let type = outerType;
    let content = fragment;
    if (type === ContentType.change_cipher_spec && (this.version === TLS13 || this.onlyTls13Pending())) {
      // RFC 8446 §5: a dummy CCS (single 0x01) before the Finished is dropped.
      if (fragment.length !== 1 || fragment[0] !== 1)
        throw failure('unexpected_message', 'TLS 1.3 change_cipher_spec must be the single byte 0x01');
      // RFC 8446 §5: "If an implementation detects a change_cipher_spec record received ... after the peer's Finished
      // message, it MUST be treated as an unexpected record type". Fault accept-ccs-after-finished: it is dropped.
      if (this.connected && !this.faulty('accept-ccs-after-finished'))
        throw failure('unexpected_message', 'change_cipher_spec after the handshake');
      return;
    }
    if (this.readDir && type === ContentType.alert && fragment.length === 2 && this.version === TLS13) {
      // RFC 8446 §5.2: once keys are in use every TLS 1.3 record is protected (outer type application_data), so a
      // 2-byte alert record is not valid TLS. It is what a peer that aborts before switching to its handshake keys
      // sends (OpenSSL does): for a test tool the outcome says which alert arrived (unprotected: true), rather
      // than a bad_record_mac of our own. Nothing is sent back; what we send elsewhere is unchanged.
      const alert = decodeAlert(fragment);
      this.outcomeValue = { kind: 'alert_received', alert, state: this.state, unprotected: true };
      return;
    }
    if (this.readDir && this.version === TLS13 && type !== ContentType.application_data)
      // RFC 8446 §5.2: "The outer opaque_type field of a TLSCiphertext record is always set to the value 23
      // (application_data)"; §5: "If a TLS implementation receives an unexpected record type, it MUST terminate the
      // connection with an "unexpected_message" alert." A plaintext handshake record once keys are in use is such a
      // record: it is not a protected record that failed to open (bad_record_mac).
      throw failure(
        'unexpected_message',
        `unprotected ${nameOf(contentTypes, type, 2)} record while TLS 1.3 record protection is in use`,
      );
    if (!this.readDir && type === ContentType.application_data && this.skipsEarlyData(fragment.length, false)) return;
    if (this.readDir) {
      const r = await this.readDir.open(type, recVersion, fragment);
      if (!r.ok && r.reason !== 'record_overflow' && this.skipsEarlyData(fragment.length, true)) return;
      if (!r.ok)
        throw failure(
          r.reason === 'record_overflow'
            ? 'record_overflow'
            : r.reason === 'no_content_type'
              ? 'unexpected_message'
              : 'bad_record_mac',
          `record ${r.reason}${r.detail ? `: ${r.detail}` : ''}`,
        );
      this.recordOpened();
      type = r.type;
      content = r.content;
      this.checkRecordLimit(fragment.length, content.length);
      // record-limit-off-by-one: the limit taken as exclusive, so a record of exactly 2^14 bytes is refused
      if (content.length >= MAX_PLAINTEXT && this.faulty('record-limit-off-by-one'))
        throw failure('record_overflow', `protected record of ${content.length} bytes (the fault's limit: under 2^14)`);
    } else if (content.length > MAX_PLAINTEXT) {
      throw failure('record_overflow', `plaintext record of ${content.length} bytes`);
    }
    // RFC 6066 §4: a fragment over the negotiated maximum is record_overflow.
    if (this.mfl !== undefined && content.length > 1 << (8 + this.mfl))
      throw failure(
        'record_overflow',
        `record of ${content.length} bytes of plaintext over the negotiated max_fragment_length ${1 << (8 + this.mfl)}`,
      );
    switch (type) {
      case ContentType.handshake: {
        if (content.length === 0) throw failure('unexpected_message', 'empty handshake record');
        if (this.onlyCcsDue()) throw this.unexpected('handshake record');
        // The type of a message that starts here is judged before the rest of it arrives (a hook that rewrites
        // received messages sees them whole first).
        if (!this.assembler.pending && !this.hooks.beforeProcess) this.checkExpected(content[0]!);
        const framed = this.assembler.push(content, 0);
        for (const [i, f] of framed.entries()) {
          const keys = this.readDir;
          const raws = (await this.hooks.beforeProcess?.({
            side: this.side,
            kind: 'handshake',
            type: handshakeTypeName(f.msgType),
            raw: f.raw,
            // a ClientHello that arrives after a TLS 1.2 handshake opens the next one (a renegotiation attempt)
            handshake: this.connected && !this.renegotiating && f.msgType === 1 ? this.handshakeIndex + 1 : this.handshakeIndex,
          })) ?? [f.raw];
          for (const raw of raws) {
            await this.dispatch(raw);
            if (this.terminal) return;
          }
          // RFC 8446 §5.1: "Handshake messages MUST NOT span key changes. Implementations MUST verify that all
          // messages immediately preceding a key change align with a record boundary; if not, then they MUST
          // terminate the connection with an "unexpected_message" alert."
          if (this.readDir !== keys && (i < framed.length - 1 || this.assembler.pending))
            throw failure(
              'unexpected_message',
              `${handshakeTypeName(f.msgType)} is followed by more handshake data in its record, across a key change`,
            );
        }
        return;
      }
      case ContentType.change_cipher_spec:
        decodeChangeCipherSpec(content);
        if (this.assembler.pending)
          throw failure('unexpected_message', 'change_cipher_spec inside a fragmented handshake message');
        await this.onChangeCipherSpec();
        return;
      case ContentType.alert: {
        const alert = decodeAlert(content);
        if (alert.description === AlertDescription.close_notify) {
          const session = this.session();
          this.outcomeValue = session ? { kind: 'closed', session } : { kind: 'closed' };
          // RFC 5246 §7.2.1: "The other party MUST respond with a close_notify alert of its own and close down the
          // connection immediately"; RFC 8446 §6.1: "Each party MUST send a "close_notify" alert before closing its
          // write side of the connection, unless it has already sent some error alert." This endpoint answers at
          // once (once: not when the close_notify answers ours), except a TLS 1.3 endpoint configured for a
          // half-close: its owner may still send, then close() (RFC 8446 §6.1 allows it; TLS 1.2 does not).
          if (!this.halfOpen) await this.sendCloseNotify();
          return;
        }
        // RFC 5246 §7.2: "If an alert with a level of warning is sent and received, generally the connection can
        // continue normally": a TLS 1.2 warning (no_renegotiation, user_canceled, an unknown one, ...) is not the
        // end of a handshake or a connection. RFC 8446 §6: every alert but the closure alerts "MUST be treated as
        // error alerts when received regardless of the AlertLevel in the message": in TLS 1.3 no warning is ignored.
        if (alert.level === AlertLevel.warning && this.mayBeTls12()) {
          this.warningsReceived.push(alert);
          this.onWarning(alert);
          return;
        }
        this.outcomeValue = { kind: 'alert_received', alert, state: this.state };
        return;
      }
      case ContentType.application_data:
        if (!this.connected && !this.earlyDataIn(content.length))
          throw failure('unexpected_message', `application data in state ${this.state}`);
        // RFC 5246 §7.4.9: "A Finished message is always sent immediately after a change cipher spec message": in a
        // renegotiation, application data may come until the peer's ChangeCipherSpec (§6.2.1), not between it and its
        // Finished.
        if (this.renegotiating && this.state === 'WAIT_FINISHED' && this.version === TLS12)
          throw failure(
            'unexpected_message',
            'application data between the ChangeCipherSpec and the Finished of a renegotiation',
          );
        this.appIn.push(content);
        return;
      default:
        throw failure('unexpected_message', `record content type ${type}`);
    }
  }

  private async dispatch(raw: Uint8Array): Promise<void> {
    this.checkExpected(raw[0]!);
    const d = decodeHandshake(raw, this.decodeContext());
    const f = d.findings[0];
    if (f) throw failure('decode_error', `${handshakeTypeName(raw[0]!)}: ${f.detail} (at ${f.path}, offset ${f.offset})`);
    await this.onHandshake(d.message.body, raw);
  }

  private checkExpected(msgType: number): void {
    const name = handshakeTypes.get(msgType) as HandshakeTypeName | undefined;
    if (!this.expects(name)) throw this.unexpected(handshakeTypeName(msgType));
  }

  protected decodeContext(): DecodeContext {
    const ctx: DecodeContext = {};
    if (this.version !== undefined) ctx.version = this.version;
    if (this.kex !== undefined && this.kex !== 'TLS13') ctx.kex = this.kex;
    return ctx;
  }

  /** A handshake message from the peer; the handler adds it to the transcript at the right moment. */
  protected abstract onHandshake(body: HandshakeBody, raw: Uint8Array): Promise<void>;
  /** TLS 1.2 ChangeCipherSpec from the peer. */
  protected abstract onChangeCipherSpec(): Promise<void>;

  protected unexpected(what: string): EngineFailure {
    return failure('unexpected_message', `${what} in state ${this.state}`);
  }

  /** Build, hook, frame and queue a message. Handshake messages go into the transcript as sent. */
  protected async sendMessage(kind: ContentKind, type: string, raw: Uint8Array, forcePlain = false): Promise<Uint8Array[]> {
    const sendRecord = (contentType: number, fragment: Uint8Array): Promise<void> =>
      this.writeRecords(contentType, fragment, forcePlain);
    const raws = (await this.hooks.beforeSend?.({
      side: this.side,
      kind,
      type,
      raw,
      sendRecord,
      handshake: this.handshakeIndex,
    })) ?? [raw];
    for (const r of raws) {
      if (kind === 'handshake') this.transcript.push(r);
      await this.writeRecords(KIND_TYPE[kind], r, forcePlain);
    }
    return raws;
  }

  protected async sendHandshake(body: HandshakeBody): Promise<void> {
    await this.sendMessage('handshake', body.type, encodeBody(body));
  }

  /**
   * A ChangeCipherSpec: the TLS 1.3 compatibility one always in plaintext (RFC 8446 §5); a TLS 1.2 one under the keys
   * in use, which are none but in a renegotiation (RFC 5246 §6.1: the current state protects every record until the
   * ChangeCipherSpec switches it).
   */
  protected async sendCcs(): Promise<void> {
    const protectedCcs = this.renegotiating && this.version === TLS12;
    await this.sendMessage('change_cipher_spec', 'change_cipher_spec', CCS_FRAGMENT, !protectedCcs);
  }

  /**
   * RFC 8449 §4: "an endpoint MUST NOT generate a protected record with plaintext that is larger than the
   * RecordSizeLimit value it receives from its peer. Unprotected messages are not subject to this limit." The value
   * "includes the content type and padding added in TLS 1.3 (that is, the complete length of TLSInnerPlaintext)": a
   * TLS 1.3 record carries one byte less of content (we add no padding). "Even if a larger record size limit is
   * provided by a peer, an endpoint MUST NOT send records larger than the protocol-defined limit".
   */
  private recordContentLimit(protectedRecord: boolean): number {
    const mfl = this.mfl !== undefined ? 1 << (8 + this.mfl) : MAX_PLAINTEXT;
    if (!protectedRecord || this.recordLimit === undefined) return mfl;
    const rsl = this.version === TLS13 ? this.recordLimit.peer - 1 : this.recordLimit.peer;
    return Math.max(1, Math.min(mfl, rsl));
  }

  /**
   * RFC 8449 §4: "A TLS endpoint that receives a record larger than its advertised limit MUST generate a fatal
   * "record_overflow" alert". TLS 1.3 counts the TLSInnerPlaintext (the protected fragment less the AEAD tag, padding
   * and content type included); TLS 1.2 the plaintext.
   */
  private checkRecordLimit(fragmentLength: number, contentLength: number): void {
    if (this.recordLimit === undefined) return;
    const tag = this.suite?.cipher.endsWith('CCM_8') ? 8 : 16;
    const size = this.version === TLS13 ? fragmentLength - tag : contentLength;
    if (size > this.recordLimit.ours)
      throw failure('record_overflow', `protected record of ${size} bytes over our record_size_limit ${this.recordLimit.ours}`);
  }

  /**
   * Our record_size_limit and the peer's, once the peer's is read (RFC 8449 §4: "Endpoints MUST NOT send a
   * "record_size_limit" extension with a value smaller than 64. An endpoint MUST treat receipt of a smaller value as
   * a fatal error and generate an "illegal_parameter" alert."). A limit over the version's maximum (2^14, TLS 1.3
   * 2^14+1) is not enforced: records stay within the protocol's own limit ("A server MUST NOT enforce this
   * restriction; a client might advertise a higher limit").
   */
  protected setRecordLimit(ours: number, peer: number): void {
    if (peer < 64) throw failure('illegal_parameter', `record_size_limit ${peer} is below 64`);
    const max = this.version === TLS13 ? MAX_PLAINTEXT + 1 : MAX_PLAINTEXT;
    this.recordLimit = { ours, peer: Math.min(peer, max) };
  }

  private async writeRecords(type: number, content: Uint8Array, forcePlain: boolean): Promise<void> {
    const protect = this.writeDir !== undefined && !forcePlain;
    const cbc = this.writeDir && !forcePlain ? cbcLayout(this.writeDir.protection.params) : undefined;
    const asked = await this.hooks.beforeFrame?.({
      side: this.side,
      contentType: type,
      content,
      protected: protect,
      ...(cbc ? { cbc } : {}),
      closeTransport: () => {
        this.transportEnd = true;
      },
    });
    if (asked) {
      for (const piece of asked) await this.writeRecord(piece, forcePlain);
      return;
    }
    const chunks: Uint8Array[] = [];
    const max = this.recordContentLimit(this.writeDir !== undefined && !forcePlain);
    for (let at = 0; at < content.length; at += max) chunks.push(content.subarray(at, at + max));
    if (chunks.length === 0) chunks.push(content);
    for (const chunk of chunks) await this.writeRecord({ contentType: type, fragment: chunk }, forcePlain);
  }

  /** Frame one record (protected with the write keys in use unless plaintext), pass it to beforeSendRecord, queue it. */
  private async writeRecord(piece: FramePiece, forcePlain: boolean): Promise<void> {
    const { contentType: type, fragment: chunk } = piece;
    const version = piece.version ?? TLS12;
    let rec: HookRecord;
    if (this.writeDir && !forcePlain && !piece.plaintext) {
      const opts = { ...(piece.padding ? { padding: piece.padding } : {}), ...piece.protection };
      const pr = await this.writeDir.seal(type, version, chunk, opts);
      rec = {
        side: this.side,
        raw: encodeRecord({ contentType: pr.type, version: pr.version, fragment: pr.fragment }),
        plaintext: { contentType: type, fragment: chunk },
      };
    } else {
      rec = { side: this.side, raw: encodeRecord({ contentType: type, version, fragment: chunk }) };
    }
    const early = this.earlyWrite !== undefined && this.writeDir === this.earlyWrite && !forcePlain && !piece.plaintext;
    const recs = (await this.hooks.beforeSendRecord?.(rec)) ?? [rec];
    for (const r of recs) {
      const w: WireRecord = r.plaintext ? { raw: r.raw, plaintext: r.plaintext } : { raw: r.raw };
      if (early && r.plaintext) w.epoch = 'early';
      this.out.push(w);
    }
  }

  /** TLS 1.3: a HelloRetryRequest happened, so ClientHello1 enters transcript hashes as message_hash (RFC 8446 §4.4.1). */
  protected helloRetry = false;

  /** The running hash of `transcript`, per hash (each message is hashed once as the transcript grows). */
  private readonly running = new Map<HashName, RunningHash>();

  protected async hashOf(h: HashName, messages: readonly Uint8Array[] = this.transcript): Promise<Uint8Array> {
    if (messages === this.transcript && !this.helloRetry) {
      let r = this.running.get(h);
      if (!r) {
        r = new RunningHash(this.p, h);
        this.running.set(h, r);
      }
      return r.of(messages);
    }
    // a post-handshake authentication context starts with the handshake transcript: the same message_hash substitution
    const list =
      this.helloRetry && messages[0] === this.transcript[0] ? await transcriptWithHrr(this.p, h, messages, true) : messages;
    return digest(this.p, h, concatBytes(list));
  }

  protected log(label: KeyLogLabel, clientRandom: Uint8Array, secret: Uint8Array): void {
    this.keylogEntries.push({ label, clientRandom, secret });
  }

  /** An ephemeral key pair for a group: a configured one when given, else fresh. */
  protected async ecdhKeyPair(groupCode: number): Promise<EcdhKeyPair> {
    const g: EcdhGroup | undefined = ecdhGroupOf(groupCode);
    if (!g) throw failure('internal_error', `group 0x${groupCode.toString(16)} not implemented`);
    const given = this.common.ephemeral?.find((k) => k.group === g && !this.ephemeralKeys.includes(k));
    // reuse-server-randomness: the key pair the target's first connection drew for the group, sent again
    const drawn = this.faulty('reuse-server-randomness') ? this.common.drawnOnce : undefined;
    const kp = given ?? drawn?.ecdh.find((k) => k.group === g) ?? (await generateEcdhKeyPair(this.p, g));
    if (drawn && !drawn.ecdh.includes(kp)) drawn.ecdh.push(kp);
    this.ephemeralKeys.push(kp);
    this.keyHandshake.set(kp, this.handshakeIndex);
    return kp;
  }

  /**
   * A TLS 1.3 client key share key pair: ECDH, FFDHE (RFC 7919) for the ffdhe groups, or an ML-KEM encapsulation key
   * (with its ECDH share for a hybrid group, crypto/kem).
   */
  protected async shareKeyPair(code: number): Promise<{ privateKey: Uint8Array; publicKey: Uint8Array }> {
    const kg = kemGroupOf(code);
    if (kg) {
      const kp = await generateKemClientShare(this.p, kg);
      this.kemKeys.push(kp);
      this.keyHandshake.set(kp, this.handshakeIndex);
      return kp;
    }
    const fg = ffdheGroupOf(code);
    return fg ? this.dhKeyPair(fg) : this.ecdhKeyPair(code);
  }

  /**
   * The server's TLS 1.3 key share for the client's share of a group, and the shared secret. (EC)DHE: a key pair of
   * ours and the agreement; ML-KEM: the encapsulation to the client's key (draft-ietf-tls-ecdhe-mlkem §3.1.2,
   * draft-ietf-tls-mlkem §4.2: the encapsulation key check fails with illegal_parameter, as does the ECDH half).
   */
  protected async serverShare(code: number, clientShare: Uint8Array): Promise<{ keyExchange: Uint8Array; secret: Uint8Array }> {
    const kg = kemGroupOf(code);
    if (kg) {
      const r = await encapsulateKemShare(this.p, kg, clientShare);
      if (!r.ok) throw failure(kemErrorAlert(r.reason), `client key share: ${r.reason}${r.detail ? ` (${r.detail})` : ''}`);
      const kp: KemKeyPair = { group: kg, privateKey: r.value.privateKey, publicKey: r.value.keyExchange };
      this.kemKeys.push(kp);
      this.keyHandshake.set(kp, this.handshakeIndex);
      return { keyExchange: r.value.keyExchange, secret: r.value.sharedSecret };
    }
    const kp = await this.shareKeyPair(code);
    const shared = await this.shareSecret(code, kp.privateKey, clientShare);
    if (!shared.ok)
      throw failure('illegal_parameter', `client key share: ${shared.reason}${shared.detail ? ` (${shared.detail})` : ''}`);
    return { keyExchange: kp.publicKey, secret: shared.value };
  }

  /** The alert for a failed TLS 1.3 shared secret: internal_error for an ML-KEM decapsulation failure, else illegal_parameter. */
  protected static shareFailureAlert(reason: string): 'illegal_parameter' | 'internal_error' {
    return reason === 'decapsulation_failed' ? kemErrorAlert(reason) : 'illegal_parameter';
  }

  /** The (EC)DHE shared secret of a TLS 1.3 key share; an FFDHE share must be exactly as long as p (RFC 8446 §4.2.8.1). */
  protected async shareSecret(code: number, privateKey: Uint8Array, peer: Uint8Array): Promise<Result<Uint8Array>> {
    // the client's side of an ML-KEM group: the server share's length, its ECDH half, then decapsulation
    const kg = kemGroupOf(code);
    if (kg) return decapsulateKemShare(this.p, kg, privateKey, peer);
    const fg = ffdheGroupOf(code);
    if (fg) {
      const v = validateDhPublic(fg, peer, true);
      if (!v.ok) return v;
      return deriveDh(this.p, fg, privateKey, peer, 'tls13');
    }
    const g = ecdhGroupOf(code);
    if (!g) return { ok: false, reason: 'unsupported_group', detail: `group 0x${code.toString(16)}` };
    return this.ecdhSecret(g, privateKey, peer);
  }

  /**
   * The ECDH shared secret with a peer's public value (TLS 1.2 key exchange,
   * TLS 1.3 key share), after validating it (crypto/ecdh). With the
   * accept-invalid-ecdh-point fault an invalid value is used anyway.
   */
  protected async ecdhSecret(g: EcdhGroup, privateKey: Uint8Array, peer: Uint8Array): Promise<Result<Uint8Array>> {
    const r = await deriveEcdh(this.p, g, privateKey, peer);
    // Fault crash-on-invalid-key-share: the endpoint's process dies on an invalid peer value (engine/serve.ts).
    if (!r.ok && this.faulty('crash-on-invalid-key-share')) throw new FaultCrash(`invalid peer ECDH value: ${r.reason}`);
    if (r.ok || !this.faulty('accept-invalid-ecdh-point')) return r;
    const size = sharedSecretLength(g);
    if (!isMontgomery(g) && peer.length === 1 + 2 * size) {
      // An x-only computation never looks at Y: recover a point from X alone (either Y gives the same shared X).
      // undefined: X is not on the curve either.
      const fixed = pointFromX(g, peer.subarray(1, 1 + size));
      if (fixed) {
        const again = await deriveEcdh(this.p, g, privateKey, fixed);
        if (again.ok) return again;
      }
    }
    return { ok: true, value: new Uint8Array(size) };
  }

  /** Whether a group can be used for a TLS 1.3 key share. */
  protected static shareGroupImplemented(code: number): boolean {
    return ecdhGroupOf(code) !== undefined || ffdheGroupOf(code) !== undefined || kemGroupOf(code) !== undefined;
  }

  /** An ephemeral finite-field DH key pair: a configured one when given, else fresh. */
  protected async dhKeyPair(group: FfdheGroup): Promise<DhKeyPair> {
    const given = this.common.ephemeralDh?.find((k) => k.group === group && !this.dhKeys.includes(k));
    const drawn = this.faulty('reuse-server-randomness') ? this.common.drawnOnce : undefined;
    const kp = given ?? drawn?.dh.find((k) => k.group === group) ?? (await generateDhKeyPair(this.p, group));
    if (drawn && !drawn.dh.includes(kp)) drawn.dh.push(kp);
    this.dhKeys.push(kp);
    this.keyHandshake.set(kp, this.handshakeIndex);
    return kp;
  }

  protected signingKey(scheme: number): Promise<SigningKey> {
    const id = this.common.identity;
    if (!id) throw failure('internal_error', 'no identity to sign with');
    let k = this.signingKeys.get(scheme);
    if (!k) {
      k = importSigningKey(this.p, scheme, id.pkcs8, id.spki);
      this.signingKeys.set(scheme, k);
    }
    return k;
  }

  /** Validate the peer's chain against the trust anchors, when some are configured. */
  protected async checkPeerChain(chain: readonly Uint8Array[], purpose: 'server' | 'client', serverName?: string): Promise<void> {
    const anchors = this.common.trustAnchors;
    if (!anchors) return;
    const input: Parameters<typeof validateChain>[0] = {
      chain,
      trustAnchors: anchors,
      at: this.common.validationTime ?? new Date(),
      purpose,
      tls12: this.version !== TLS13,
      provider: this.p,
    };
    if (this.common.certCache) input.cache = this.common.certCache;
    if (serverName !== undefined) input.serverName = serverName;
    const v = await validateChain(input);
    // Faults accept-expired-client-cert / accept-wrongly-signed-client-cert: those problems of a client chain are not acted on.
    const ignored = new Set<string>();
    if (purpose === 'client' && this.faulty('accept-expired-client-cert')) ignored.add('cert.path.validity');
    if (purpose === 'client' && this.faulty('accept-wrongly-signed-client-cert')) ignored.add('cert.path.signature');
    // Fault accept-any-client-cert: no problem of a client chain is acted on (the certificate is still requested).
    const anyClient = purpose === 'client' && this.faulty('accept-any-client-cert');
    const problems = v.ok || anyClient ? [] : v.problems.filter((p) => !ignored.has(p.rule));
    if (problems.length) {
      const first = problems[0];
      const alert: AlertName =
        first?.rule === 'cert.path.trust-anchor'
          ? 'unknown_ca'
          : first?.rule === 'cert.path.validity'
            ? 'certificate_expired'
            : 'bad_certificate';
      throw failure(alert, `peer chain: ${problems.map((p) => `${p.rule}: ${p.message}`).join('; ')}`);
    }
  }
}
