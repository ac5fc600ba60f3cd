/**
 * TLS server state machine (same coverage as the client: HelloRetryRequest
 * with optional cookie, TLS 1.3 PSK resumption and tickets sealed by a
 * ServerSessionCache, TLS 1.2 session-ID and RFC 5077 ticket resumption,
 * DHE_RSA with RFC 7919 groups, KeyUpdate, ECDHE_ECDSA with Ed25519 keys
 * (RFC 8422 §5.10), TLS_FALLBACK_SCSV refusal (RFC 7507), RFC 6066
 * max_fragment_length (when enabled) and OCSP stapling (when configured)).
 *
 * States: WAIT_CLIENT_HELLO, then
 *   1.2: (flight SH..SHD) -> WAIT_CLIENT_CERTIFICATE (when requested) -> WAIT_CLIENT_KEY_EXCHANGE
 *        -> WAIT_CERTIFICATE_VERIFY (client cert given) -> WAIT_CCS -> WAIT_FINISHED -> CONNECTED
 *   1.3: (flight SH [CCS] EE [CR] Cert CV Fin) -> WAIT_CLIENT_CERTIFICATE (when requested)
 *        -> WAIT_CERTIFICATE_VERIFY (client cert given) -> WAIT_FINISHED -> CONNECTED (NewSessionTicket sent)
 *   1.3 HRR: WAIT_CLIENT_HELLO -(HelloRetryRequest, [CCS])-> WAIT_CLIENT_HELLO2 -> as above
 *   1.2 resumed: (flight SH [NST] CCS Fin) -> WAIT_CCS -> WAIT_FINISHED -> CONNECTED
 */
import { type Extension, extensionBody, findExtension } from '../wire/extensions';
import { type ClientHello, encodeBody, type HandshakeBody } from '../wire/handshake';
import { bytesEqual, concatBytes } from '../wire/hex';
import {
  type CipherSuiteInfo,
  DOWNGRADE_TLS12,
  ExtensionType,
  ECPointFormat,
  extensionTypes,
  type HandshakeTypeName,
  nameOf,
  HRR_RANDOM,
  NamedGroup,
  ProtocolVersion,
  PskKeyExchangeMode,
  SCSV,
} from '../wire/registry';
import { misplacedExtension } from '../wire/placement';
import { VERSION_CODE } from '../wire/vocabulary';
import {
  binderKey,
  deriveDh,
  type DhKeyPair,
  digest,
  ffdheGroupOf,
  ffdheParams,
  pskBinder,
  resumptionPsk,
  transcriptWithHrr,
  certificateVerifyContent12,
  certificateVerifyContent13,
  createRecordProtection,
  decryptPremaster,
  ecdhGroupOf,
  extendedMasterSecret,
  finished12,
  finished13,
  keyBlock,
  masterSecret,
  pskPremaster,
  randomBytes,
  RecordDirection,
  serverKeyExchangeContent12,
  sign,
  tls12Params,
  tls13KeyLength,
  tls13Params,
  tls13Schedule,
  type Tls13Schedule,
  trafficKeys,
  verifySignature,
} from '../crypto';
import { type ClientAuthMode, DEFAULT_GROUPS, DEFAULT_SCHEMES, DEFAULT_SUITES, type ServerConfig } from './config';
import {
  compressedFor,
  decompressedCertificate,
  EARLY_DATA_SKIP_LIMIT,
  Endpoint,
  EngineFailure,
  failure,
  ecdsaKeyGroup,
  keyKindOf,
  leafSpki,
  pickScheme,
  rsaSigningKey,
  requireEmptyExtensions,
  signatureFailureAlert,
} from './core';
import type { ServerSessionState } from './session';
import { ANON_KEX, CipherSuitePsk12, engineSuite, PSK_KEX } from './suites';
import type { StepResult, WireRecord } from './types';

const enc = new TextEncoder();
const dec = new TextDecoder();
const TLS12 = VERSION_CODE['1.2'];
const TLS13 = VERSION_CODE['1.3'];
/** The curves RFC 8422 defines (§5.1.1): secp256r1, secp384r1, secp521r1, x25519, x448. */
const RFC8422_CURVES: readonly number[] = [
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
  NamedGroup.x25519,
  NamedGroup.x448,
];

/** RFC 7919 §4: the FFDHE codepoints, 256 to 511 ("even if unknown to the server"). */
const isFfdheCodepoint = (g: number): boolean => g >= 0x0100 && g <= 0x01ff;
/** The TLS 1.2 key exchanges over an RFC 7919 group. */
const FFDHE_KEX: ReadonlySet<string> = new Set(['DHE_RSA', 'DHE_PSK', 'DH_anon']);

export class TlsServer extends Endpoint {
  private readonly versions: number[];
  private readonly suites: number[];
  private readonly groups: number[];
  private readonly schemes: number[];
  private readonly clientAuth: ClientAuthMode;
  /** The ServerHello random of the current (or last) handshake; a renegotiation draws a new one. */
  private helloRandom: Uint8Array;
  private clientRandom: Uint8Array = new Uint8Array(0);
  private clientLegacyVersion = 0;
  private clientChain: Uint8Array[] = [];
  private clientSpki: Uint8Array | undefined;
  private ecdhPrivate: { group: number; privateKey: Uint8Array } | undefined;
  private pendingRead: RecordDirection | undefined;
  private pendingWrite: RecordDirection | undefined;
  /** TLS 1.3: the handshake write keys after the switch to application keys (fault alert-handshake-keys only). */
  private handshakeWrite: RecordDirection | undefined;
  private schedule: Tls13Schedule | undefined;
  private certRequestContext = new Uint8Array(0);
  private requested = false;
  private readonly now: () => number;
  private sni: string | undefined;
  private ch1: ClientHello | undefined;
  private hrrSuite: number | undefined;
  private hrrGroup: number | undefined;
  private hrrCookie: Uint8Array | undefined;
  private ccsSent = false;
  private psk: Uint8Array | undefined;
  private sharedSecret13: Uint8Array | undefined;
  private shHash: Uint8Array = new Uint8Array(0);
  private resumed = false;
  private ticketExt = false;
  private sessionId12: Uint8Array = new Uint8Array(0);
  private dhPrivate: DhKeyPair | undefined;
  /** The client's max_fragment_length when we honour it; in force (this.mfl) once our ServerHello is out. */
  private mflAnswer: number | undefined;
  /** Our record_size_limit answering the client's (RFC 8449), when we answer one. */
  private recordLimitAnswer: number | undefined;
  /** Rejected 0-RTT data being skipped (RFC 8446 §4.2.10): how, and how many bytes may still be skipped. */
  private earlySkip: { mode: 'trial' | 'hrr'; left: number } | undefined;
  /**
   * Accepted 0-RTT data being read (RFC 8446 §4.2.10), until EndOfEarlyData: how many bytes the ticket's
   * max_early_data_size still allows, and the client handshake read keys that take over after it.
   */
  private earlyIn: { left: number; handshakeRead: RecordDirection } | undefined;
  private earlyState: { offered: boolean; accepted: boolean; received: number } = {
    offered: false,
    accepted: false,
    received: 0,
  };
  /** Why a TLS 1.2 RSA premaster was replaced by random bytes (RFC 5246 §7.4.7.1), if it was. */
  premasterFailure: string | undefined;

  constructor(readonly config: ServerConfig) {
    super('server', config, 'WAIT_CLIENT_HELLO');
    this.versions = config.versions ?? [TLS13, TLS12];
    // With PSKs and no suite list, the PSK suites follow the certificate ones (the server's preference order).
    const suites = config.cipherSuites ?? [...DEFAULT_SUITES, ...(config.psks?.length ? Object.values(CipherSuitePsk12) : [])];
    this.suites = suites.filter((c) => engineSuite(c) !== undefined);
    this.groups = config.groups ?? [...DEFAULT_GROUPS];
    this.schemes = config.signatureSchemes ?? [...DEFAULT_SCHEMES];
    this.clientAuth = config.clientAuth ?? 'none';
    // reuse-server-randomness: every connection of the target sends the random its first connection drew
    const drawn = this.faulty('reuse-server-randomness') ? config.drawnOnce : undefined;
    this.helloRandom = (config.random ?? drawn?.random ?? randomBytes(this.p, 32)).slice();
    if (drawn && !drawn.random) drawn.random = this.helloRandom.slice();
    this.now = config.sessionCache?.now ?? Date.now;
  }

  /** Whether this connection resumed a session (TLS 1.2 abbreviated handshake or TLS 1.3 PSK). */
  get resumedSession(): boolean {
    // an external PSK (pskIdentity set) authenticates a new session; only a ticket resumes one
    return this.resumed || (this.psk !== undefined && this.pskIdentity === undefined);
  }

  /** TLS 1.3 0-RTT (RFC 8446 §4.2.10): whether the ClientHello offered it, whether we accepted it, the bytes read. */
  get earlyData(): { offered: boolean; accepted: boolean; received: number } {
    return { ...this.earlyState };
  }

  /** The ServerHello random of the current handshake (the last renegotiation's, after one). */
  get random(): Uint8Array {
    return this.helloRandom;
  }

  /**
   * Ask the client to renegotiate (TLS 1.2 HelloRequest, RFC 5246 §7.4.1.1; not part of any handshake transcript).
   * Returns the records to send. The client answers with a ClientHello (the renegotiation then runs as the records
   * come in; with `renegotiation: 'refuse'` this server would decline it, so a request needs `secure` or `legacy`),
   * with the warning no_renegotiation, or not at all.
   */
  async requestRenegotiation(): Promise<WireRecord[]> {
    if (!this.connected || this.version !== TLS12 || this.renegotiating)
      throw new Error(`a HelloRequest needs a connected TLS 1.2 server that is not renegotiating (state ${this.state})`);
    if (!this.mayRenegotiate())
      throw new Error('this server would refuse the renegotiation it asks for (renegotiation policy, RFC 5746 §4.4)');
    await this.guard(() => this.sendPostHandshake({ type: 'hello_request' }));
    return this.flush().send;
  }

  /** The client offered post_handshake_auth (RFC 8446 §4.2.6). */
  private clientOffersPha = false;
  /** A post-handshake authentication under way: its request context, handshake context and the next message due. */
  private pha:
    | {
        requestContext: Uint8Array;
        context: Uint8Array[];
        due: 'certificate' | 'certificate_verify' | 'finished';
        spki?: Uint8Array;
        chain: Uint8Array[];
        scheme?: number;
      }
    | undefined;

  /**
   * TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2): a CertificateRequest (a fresh 32-byte
   * certificate_request_context, our signature_algorithms) under the server application keys; the client's
   * Certificate, CertificateVerify and Finished are then checked as they arrive (postHandshakeAuths counts the
   * completed ones; with clientAuth 'require' an empty Certificate is certificate_required). "Servers MUST NOT send a
   * post-handshake CertificateRequest to clients which do not offer this extension": refused unless `unsolicited`
   * (for testing what a client does with one: RFC 8446 §4.6.2, unexpected_message).
   */
  async requestPostHandshakeAuth(o: { unsolicited?: boolean } = {}): Promise<WireRecord[]> {
    if (!this.connected || this.version !== TLS13 || !this.app13)
      throw new Error(`a post-handshake CertificateRequest needs a connected TLS 1.3 server (state ${this.state})`);
    if (!this.clientOffersPha && !o.unsolicited)
      throw new Error('the client did not offer post_handshake_auth (RFC 8446 §4.6.2)');
    if (this.pha) throw new Error('a post-handshake authentication is already under way');
    await this.guard(async () => {
      const context = [...this.transcript];
      const requestContext = randomBytes(this.p, 32);
      await this.sendAuthMessage(
        {
          type: 'certificate_request',
          form: 'tls13',
          context: requestContext,
          extensions: [
            { type: ExtensionType.signature_algorithms, body: { kind: 'signature_algorithms', schemes: this.schemes } },
          ],
        },
        context,
      );
      this.pha = { requestContext, context, due: 'certificate', chain: [] };
    });
    return this.flush().send;
  }

  /** The client's answer to our post-handshake CertificateRequest, message by message (RFC 8446 §4.6.2, §4.4). */
  private async onPostHandshakeAuth(body: HandshakeBody, raw: Uint8Array): Promise<void> {
    const pha = this.pha!;
    if (body.type !== pha.due) throw this.unexpected(`post-handshake ${body.type} (${pha.due} due)`);
    const h = this.suite!.prfHash;
    if (body.type === 'certificate') {
      if (body.form !== 'tls13') throw this.unexpected('certificate');
      // RFC 8446 §4.4.2: "certificate_request_context: If this message is in response to a CertificateRequest, the
      // value of certificate_request_context in that message."
      if (!bytesEqual(body.context, pha.requestContext))
        throw failure('illegal_parameter', 'post-handshake Certificate context differs from the CertificateRequest');
      const chain = body.entries.map((e) => e.data);
      pha.context.push(raw);
      if (chain.length === 0) {
        // RFC 8446 §4.4.2.4: with no certificate the server "MAY at its discretion either continue the handshake
        // without client authentication or abort the handshake with a "certificate_required" alert"
        if (this.clientAuth === 'require')
          throw failure('certificate_required', 'the client sent no certificate after the handshake');
        pha.due = 'finished';
        return;
      }
      pha.spki = leafSpki(chain, this.common.certCache);
      await this.checkPeerChain(chain, 'client');
      pha.chain = chain;
      pha.due = 'certificate_verify';
      return;
    }
    if (body.type === 'certificate_verify') {
      if (!this.schemes.includes(body.scheme))
        throw failure(
          'illegal_parameter',
          `post-handshake CertificateVerify scheme 0x${body.scheme.toString(16)} was not requested`,
        );
      const content = certificateVerifyContent13('client', await this.hashOf(h, pha.context));
      const v = await verifySignature(this.p, body.scheme, pha.spki!, content, body.signature, { version: 13 });
      if (!v.ok)
        throw failure(
          signatureFailureAlert(v.reason),
          `post-handshake CertificateVerify: ${v.reason}${v.detail ? ` (${v.detail})` : ''}`,
        );
      pha.context.push(raw);
      pha.scheme = body.scheme;
      pha.due = 'finished';
      return;
    }
    if (body.type === 'finished') {
      // RFC 8446 §4.4: the post-handshake Finished key comes from client_application_traffic_secret_N
      const expected = await finished13(this.p, h, this.app13!.read, await this.hashOf(h, pha.context));
      this.checkFinished(expected, body.verifyData, 'client');
      if (pha.chain.length) this.clientChain = pha.chain;
      if (pha.scheme !== undefined) this.clientScheme = pha.scheme;
      this.pha = undefined;
      this.postHandshakeAuthsDone++;
      // the session now names the client that authenticated
      const o = this.outcomeValue;
      if (o.kind === 'connected' && pha.chain.length)
        this.outcomeValue = {
          kind: 'connected',
          session: { ...o.session, peerCertificates: pha.chain, clientScheme: pha.scheme! },
        };
    }
  }

  /** Whether this server renegotiates on this connection: by policy, and RFC 5746 §4.4 for an insecure one. */
  private mayRenegotiate(): boolean {
    const policy = this.config.renegotiation ?? 'refuse';
    return policy === 'legacy' || (policy === 'secure' && this.secureRenegotiation);
  }

  /** A renegotiating ClientHello (RFC 5746): a new handshake under the current keys. */
  private async onRenegotiation(ch: ClientHello, raw: Uint8Array): Promise<void> {
    this.beginRenegotiation();
    this.helloRandom = await this.renegotiationRandom();
    this.clientChain = [];
    this.clientSpki = undefined;
    this.ecdhPrivate = undefined;
    this.pendingRead = undefined;
    this.pendingWrite = undefined;
    this.schedule = undefined;
    this.requested = false;
    this.ch1 = undefined;
    this.resumed = false;
    this.ticketExt = false;
    this.sessionId12 = new Uint8Array(0);
    this.dhPrivate = undefined;
    this.mflAnswer = undefined;
    this.premasterFailure = undefined;
    this.setState('WAIT_CLIENT_HELLO');
    return this.onClientHello(ch, raw);
  }

  /** Whether a HelloRetryRequest was sent. */
  get sentHelloRetryRequest(): boolean {
    return this.helloRetry;
  }

  /** The server sends nothing first; provided for symmetry with the client. */
  async start(): Promise<StepResult> {
    return this.flush();
  }

  protected mayBeTls12(): boolean {
    return this.version === undefined ? this.versions.includes(TLS12) : this.version === TLS12;
  }

  protected expects(type: HandshakeTypeName | undefined): boolean {
    if (this.connected && !this.renegotiating)
      return this.version === TLS13
        ? type === 'key_update' ||
            (this.pha !== undefined && (type === 'certificate' || type === 'certificate_verify' || type === 'finished'))
        : type === 'client_hello';
    switch (this.state) {
      case 'WAIT_CLIENT_HELLO':
      case 'WAIT_CLIENT_HELLO2':
        return type === 'client_hello';
      case 'WAIT_CLIENT_CERTIFICATE':
        return type === 'certificate' || (type === 'compressed_certificate' && this.version === TLS13);
      case 'WAIT_CLIENT_KEY_EXCHANGE':
        return type === 'client_key_exchange';
      case 'WAIT_CERTIFICATE_VERIFY':
        return (
          type === 'certificate_verify' || (type === 'finished' && this.version === TLS13 && this.faulty('accept-missing-cv'))
        );
      case 'WAIT_FINISHED':
        return type === 'finished';
      case 'WAIT_END_OF_EARLY_DATA':
        return type === 'end_of_early_data';
      default:
        return false;
    }
  }

  /**
   * RFC 8446 §4.2.10: accepted 0-RTT data, counted against the ticket's max_early_data_size ("Only Application Data
   * payload (i.e., plaintext but not padding or the inner content type byte) is counted"); §4.6.1: "A server receiving
   * more than max_early_data_size bytes of 0-RTT data SHOULD terminate the connection with an "unexpected_message"
   * alert."
   */
  protected override earlyDataIn(length: number): boolean {
    const e = this.earlyIn;
    if (!e || this.state !== 'WAIT_END_OF_EARLY_DATA') return false;
    e.left -= length;
    if (e.left < 0) throw failure('unexpected_message', `0-RTT data over the ticket's max_early_data_size by ${-e.left} bytes`);
    this.earlyState.received += length;
    return true;
  }

  protected override skipsEarlyData(length: number, keysInUse: boolean): boolean {
    const e = this.earlySkip;
    if (!e || (e.mode === 'trial') !== keysInUse) return false;
    e.left -= Math.max(0, length - 17);
    // RFC 8446 §4.6.1: "A server receiving more than max_early_data_size bytes of 0-RTT data SHOULD terminate the
    // connection with an "unexpected_message" alert."
    if (e.left < 0)
      throw failure('unexpected_message', `more than ${this.earlySkipLimit()} bytes of rejected 0-RTT data skipped`);
    return true;
  }

  /** RFC 8446 §4.2.10: rejected 0-RTT data is skipped "up to the configured max_early_data_size". */
  private earlySkipLimit(): number {
    return this.config.maxEarlyDataSize ?? EARLY_DATA_SKIP_LIMIT;
  }

  protected override recordOpened(): void {
    // RFC 8446 §4.2.10: "Once a record is deprotected successfully, it is treated as the start of the client's second
    // flight and the server proceeds as with an ordinary 1-RTT handshake."
    if (this.earlySkip?.mode === 'trial') this.earlySkip = undefined;
  }

  protected async onHandshake(body: HandshakeBody, raw: Uint8Array): Promise<void> {
    if (this.connected && !this.renegotiating) {
      if (this.version === TLS13 && body.type === 'key_update') return this.onKeyUpdate(body.requestUpdate);
      if (this.version === TLS13 && this.pha) return this.onPostHandshakeAuth(body, raw);
      if (this.version === TLS12 && body.type === 'client_hello') {
        if (this.mayRenegotiate()) return this.onRenegotiation(body, raw);
        // RFC 5246 §7.2.2 no_renegotiation: "Sent ... by the server in response to a client hello after initial
        // handshaking. ... when that is not appropriate, the recipient should respond with this alert. At that point,
        // the original requester can decide whether to proceed with the connection." RFC 5746 §4.4: "It is
        // RECOMMENDED that servers not permit legacy renegotiation."
        return this.sendWarning('no_renegotiation');
      }
      throw this.unexpected(`post-handshake ${body.type}`);
    }
    switch (this.state) {
      case 'WAIT_CLIENT_HELLO':
        if (body.type !== 'client_hello') throw this.unexpected(body.type);
        return this.onClientHello(body, raw);
      case 'WAIT_CLIENT_HELLO2':
        if (body.type !== 'client_hello') throw this.unexpected(body.type);
        return this.onClientHello2(body, raw);
      case 'WAIT_CLIENT_CERTIFICATE':
        // RFC 8879 §4: the client's Certificate compressed, with an algorithm of our CertificateRequest's
        if (body.type === 'compressed_certificate' && this.version === TLS13)
          return this.onClientCertificate(decompressedCertificate(body, this.config.certificateCompression ?? []), raw);
        if (body.type !== 'certificate') throw this.unexpected(body.type);
        return this.onClientCertificate(body, raw);
      case 'WAIT_CLIENT_KEY_EXCHANGE':
        if (body.type !== 'client_key_exchange') throw this.unexpected(body.type);
        return this.onClientKeyExchange(body, raw);
      case 'WAIT_CERTIFICATE_VERIFY':
        // Fault accept-missing-cv (TLS 1.3): the Finished is taken in place of the CertificateVerify.
        if (body.type === 'finished' && this.version === TLS13 && this.faulty('accept-missing-cv'))
          return this.onFinished13(body.verifyData, raw);
        if (body.type !== 'certificate_verify') throw this.unexpected(body.type);
        return this.onCertificateVerify(body.scheme, body.signature, raw);
      case 'WAIT_FINISHED':
        if (body.type !== 'finished') throw this.unexpected(body.type);
        return this.version === TLS13 ? this.onFinished13(body.verifyData, raw) : this.onFinished12(body.verifyData, raw);
      case 'WAIT_END_OF_EARLY_DATA':
        // RFC 8446 §4.5: EndOfEarlyData "indicates that all 0-RTT application_data messages, if any, have been
        // transmitted and that the following records are protected under handshake traffic keys".
        if (body.type !== 'end_of_early_data') throw this.unexpected(body.type);
        this.transcript.push(raw);
        this.readDir = this.earlyIn!.handshakeRead;
        this.earlyIn = undefined;
        this.setState('WAIT_FINISHED');
        return;
      default:
        throw this.unexpected(body.type);
    }
  }

  /** Whether the client offered a suite; fault accept-unoffered-suite: the server does not look. */
  private offeredSuite(ch: ClientHello, code: number): boolean {
    return ch.cipherSuites.includes(code) || this.faulty('accept-unoffered-suite');
  }

  /** Fault ske-unoffered-scheme: our first scheme fitting the key that the client did not offer (else the normal choice). */
  private unofferedScheme(offered: readonly number[], spki: Uint8Array): number | undefined {
    const fitting = this.schemes.filter((s) => pickScheme([s], [s], spki, false) !== undefined);
    return fitting.find((s) => !offered.includes(s)) ?? pickScheme(this.schemes, offered, spki, false);
  }

  private chooseAlpn(exts: readonly Extension[] | undefined): Extension | undefined {
    const a = extensionBody(exts, ExtensionType.application_layer_protocol_negotiation, 'application_layer_protocol_negotiation');
    if (!a || !this.config.alpn?.length) return undefined;
    const offered = a.protocols.map((p) => dec.decode(p));
    const pick = this.config.alpn.find((p) => offered.includes(p));
    if (pick === undefined)
      throw failure('no_application_protocol', `no common ALPN protocol (client offered ${offered.join(', ')})`);
    this.alpn = pick;
    return {
      type: ExtensionType.application_layer_protocol_negotiation,
      body: { kind: 'application_layer_protocol_negotiation', protocols: [enc.encode(pick)] },
    };
  }

  private async onClientHello(ch: ClientHello, raw: Uint8Array): Promise<void> {
    this.transcript.push(raw);
    this.clientRandom = ch.random;
    this.handshakeRandoms[this.handshakeIndex] = ch.random;
    this.clientLegacyVersion = ch.legacyVersion;
    // RFC 8446 App. D.5: "Any endpoint receiving a Hello message with ClientHello.legacy_version or
    // ServerHello.legacy_version set to 0x0300 MUST abort the handshake with a "protocol_version" alert." (SSL 3.0 and
    // anything older: whichever version the hello goes on to offer in supported_versions.)
    if (ch.legacyVersion <= ProtocolVersion.SSL3)
      throw failure('protocol_version', `ClientHello legacy_version 0x${ch.legacyVersion.toString(16).padStart(4, '0')}`);
    if (!ch.compressionMethods.includes(0))
      throw failure('illegal_parameter', 'ClientHello does not offer the null compression method');
    requireEmptyExtensions(ch.extensions, [ExtensionType.extended_master_secret, ExtensionType.encrypt_then_mac], 'ClientHello');
    const sv = extensionBody(ch.extensions, ExtensionType.supported_versions, 'supported_versions_client');
    let version: number | undefined;
    if (this.renegotiating) {
      // RFC 8446 §4.1.2: "If a server established a TLS connection with a previous version of TLS and receives a TLS
      // 1.3 ClientHello in a renegotiation, it MUST retain the previous protocol version. In particular, it MUST NOT
      // negotiate TLS 1.3."
      if (sv ? sv.versions.includes(TLS12) : ch.legacyVersion >= TLS12) version = TLS12;
    } else if (sv) version = this.versions.find((v) => sv.versions.includes(v));
    else if (ch.legacyVersion >= TLS12 && this.versions.includes(TLS12)) version = TLS12;
    if (version === undefined) throw failure('protocol_version', 'no common protocol version');
    // RFC 7507 §3: "If TLS_FALLBACK_SCSV appears in ClientHello.cipher_suites and the highest protocol version
    // supported by the server is higher than the version indicated in ClientHello.client_version, the server MUST
    // respond with a fatal inappropriate_fallback alert." Read with RFC 8446 §4.2.1 ("If this extension is not present,
    // servers which are compliant with this specification and which also support TLS 1.2 MUST negotiate TLS 1.2 or
    // prior ..., even if ClientHello.legacy_version is 0x0304 or later"), the version a ClientHello indicates is the
    // version it lets us negotiate: a legacy_version of 0x0304 without supported_versions indicates TLS 1.2. So the
    // check compares the version negotiated with our highest, and such a ClientHello with the SCSV is refused by a
    // TLS 1.3 server (as OpenSSL and BoringSSL do: they compare the negotiated version).
    // In a renegotiation the highest version this connection supports is the one it runs (RFC 8446 §4.1.2, above).
    const ourMax = this.renegotiating ? TLS12 : Math.max(...this.versions);
    if (ch.cipherSuites.includes(SCSV.TLS_FALLBACK_SCSV) && version < ourMax)
      throw failure(
        'inappropriate_fallback',
        `TLS_FALLBACK_SCSV in a ClientHello that negotiates 0x${version.toString(16)}, below our highest 0x${ourMax.toString(16)}`,
      );
    this.version = version;
    const mfl = extensionBody(ch.extensions, ExtensionType.max_fragment_length, 'max_fragment_length');
    const rsl = extensionBody(ch.extensions, ExtensionType.record_size_limit, 'record_size_limit');
    this.recordLimitAnswer = undefined;
    if (rsl && this.config.recordSizeLimit !== undefined) {
      // RFC 8449 §4: "an endpoint MUST NOT send a value higher than the protocol-defined maximum record size"
      const ours = Math.min(this.config.recordSizeLimit, version === TLS13 ? (1 << 14) + 1 : 1 << 14);
      this.setRecordLimit(ours, rsl.limit);
      this.recordLimitAnswer = ours;
    }
    // RFC 8449 §5: "A server that supports the "record_size_limit" extension MUST ignore a "max_fragment_length" that
    // appears in a ClientHello if both extensions appear."
    if (mfl && this.config.maxFragmentLength && this.recordLimitAnswer === undefined) {
      // RFC 6066 §4: a value other than 1..4 is illegal_parameter.
      if (mfl.value < 1 || mfl.value > 4) throw failure('illegal_parameter', `max_fragment_length ${mfl.value} is not 1..4`);
      this.mflAnswer = mfl.value;
    }
    const sn = extensionBody(ch.extensions, ExtensionType.server_name, 'server_name')?.names.find((n) => n.nameType === 0);
    if (sn) this.sni = dec.decode(sn.name);
    const sigs = extensionBody(ch.extensions, ExtensionType.signature_algorithms, 'signature_algorithms')?.schemes ?? [];
    const groups = extensionBody(ch.extensions, ExtensionType.supported_groups, 'supported_groups')?.groups ?? [];
    if (version === TLS13) return this.clientHello13(ch, sigs);
    return this.clientHello12(ch, sigs, groups);
  }

  /**
   * The ClientHello's renegotiation_info and SCSV (RFC 5746). Initial handshake, §3.6: with the SCSV or the extension
   * "set secure_renegotiation flag to TRUE. The server MUST then verify that the length of the "renegotiated_connection"
   * field is zero, and if it is not, MUST abort the handshake (by sending a fatal handshake_failure alert)." Secure
   * renegotiation, §3.7: "the server MUST verify that it does not contain the TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV.
   * If the SCSV is present, the server MUST abort the handshake. The server MUST verify that the "renegotiation_info"
   * extension is present; if it is not, the server MUST abort the handshake. The server MUST verify that the value of
   * the "renegotiated_connection" field is equal to the saved client_verify_data value; if it is not, the server MUST
   * abort the handshake." Legacy renegotiation, §4.4: "When a ClientHello is received, the server MUST verify that it
   * does not contain the TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV. If the SCSV is present, the server MUST abort the
   * handshake. The server MUST verify that the "renegotiation_info" extension is not present; if it is, the server MUST
   * abort the handshake." (A client that signalled nothing in the initial handshake signals nothing now: either
   * signal is a broken client or an attack.) §3.7 and §4.4 name no alert: handshake_failure, the alert §3.6 uses for
   * the same extension.
   */
  private checkRenegotiationInfo(ch: ClientHello): void {
    const ri = extensionBody(ch.extensions, ExtensionType.renegotiation_info, 'renegotiation_info');
    const scsv = ch.cipherSuites.includes(SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    if (!this.renegotiating) {
      if (ri && ri.renegotiatedConnection.length > 0)
        throw failure('handshake_failure', 'renegotiation_info of an initial ClientHello is not empty');
      this.secureRenegotiation = ri !== undefined || scsv;
      return;
    }
    if (!this.secureRenegotiation) {
      if (scsv) throw failure('handshake_failure', 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV in a legacy (insecure) renegotiation');
      if (ri) throw failure('handshake_failure', 'renegotiation_info in the ClientHello of a legacy (insecure) renegotiation');
      return;
    }
    if (scsv) throw failure('handshake_failure', 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV in a secure renegotiation ClientHello');
    if (!ri) {
      if (this.faulty('accept-renegotiation-without-ri')) return;
      throw failure('handshake_failure', 'the ClientHello of a secure renegotiation has no renegotiation_info');
    }
    if (!bytesEqual(ri.renegotiatedConnection, this.clientVerifyData))
      throw failure(
        'handshake_failure',
        `renegotiation_info of the renegotiating ClientHello is not the saved client_verify_data (${ri.renegotiatedConnection.length} bytes)`,
      );
  }

  /** TLS 1.2 session to resume (RFC 5246 §7.4.1.2, RFC 5077 §3.1), or undefined for a full handshake. */
  private async findSession12(ch: ClientHello): Promise<ServerSessionState | undefined> {
    const cache = this.config.sessionCache;
    if (!cache) return undefined;
    const t = extensionBody(ch.extensions, ExtensionType.session_ticket, 'session_ticket');
    let st = t?.ticket.length ? await cache.open(t.ticket) : undefined;
    st ??= cache.lookup(ch.sessionId);
    if (st?.version !== TLS12 || this.now() - st.issuedAt > st.lifetime * 1000) return undefined;
    // RFC 5246 §7.4.1.3: a resumed session keeps its cipher suite, which the ClientHello must offer (§7.4.1.2); fault
    // resume-unoffered-suite resumes it whatever the ClientHello offers
    const offered = ch.cipherSuites.includes(st.cipherSuite) || this.faulty('resume-unoffered-suite');
    if (!offered || !this.suites.includes(st.cipherSuite) || !engineSuite(st.cipherSuite)) return undefined;
    if (st.serverName !== this.sni) return undefined;
    const chEms =
      (this.config.extendedMasterSecret ?? true) &&
      findExtension(ch.extensions, ExtensionType.extended_master_secret) !== undefined;
    // RFC 7627 §5.3: an EMS session is not resumed without EMS (abort); a non-EMS session is not resumed with EMS (full handshake).
    if (st.extendedMasterSecret && !chEms)
      throw failure('handshake_failure', 'the session used extended_master_secret but the ClientHello does not offer it');
    if (!st.extendedMasterSecret && chEms) return undefined;
    return st;
  }

  private serverExtensions12(ch: ClientHello, suite: CipherSuiteInfo): Extension[] {
    const isCbc = suite.cipher === 'AES_128_CBC' || suite.cipher === 'AES_256_CBC';
    this.etm =
      isCbc && (this.config.encryptThenMac ?? true) && findExtension(ch.extensions, ExtensionType.encrypt_then_mac) !== undefined;
    this.checkEtmDowngrade(suite, this.etm, this.faulty('accept-etm-downgrade'));
    const exts: Extension[] = [];
    // RFC 5746 §3.6: an empty renegotiation_info in the initial ServerHello when the client signalled it; §3.7: "The
    // server MUST include a "renegotiation_info" extension containing the saved client_verify_data and
    // server_verify_data in the ServerHello"; §4.4 (legacy renegotiation): none.
    if (this.secureRenegotiation)
      exts.push({
        type: ExtensionType.renegotiation_info,
        body: {
          kind: 'renegotiation_info',
          renegotiatedConnection: this.renegotiating
            ? concatBytes([this.clientVerifyData, this.serverVerifyData])
            : new Uint8Array(0),
        },
      });
    if (this.ems) exts.push({ type: ExtensionType.extended_master_secret, body: { kind: 'empty' } });
    if (this.etm) exts.push({ type: ExtensionType.encrypt_then_mac, body: { kind: 'empty' } });
    if (this.ticketExt)
      exts.push({ type: ExtensionType.session_ticket, body: { kind: 'session_ticket', ticket: new Uint8Array(0) } });
    if (this.mflAnswer !== undefined) exts.push(this.mflExtension(this.mflAnswer));
    if (this.recordLimitAnswer !== undefined) exts.push(this.recordLimitExtension(this.recordLimitAnswer));
    return exts;
  }

  /** The configured OCSP response, when the client asked for OCSP status (RFC 6066 §8 status_type 1). */
  /**
   * The server's TLS 1.3 Certificate, compressed (RFC 8879 §4) with the first of our algorithms the client offered in
   * compress_certificate ("The algorithm MUST be one of the algorithms listed in the peer's compress_certificate
   * extension"); sent as it is otherwise. The CompressedCertificate is what the transcript hashes.
   */
  private async sendCertificate13(cert: Extract<HandshakeBody, { type: 'certificate' }>, ch: ClientHello): Promise<void> {
    const offered = extensionBody(ch.extensions, ExtensionType.compress_certificate, 'compress_certificate')?.algorithms;
    await this.sendHandshake(compressedFor(cert, this.config.certificateCompression, offered));
  }

  private stapleFor(ch: ClientHello): Uint8Array | undefined {
    const r = this.config.ocspResponse;
    const asked = extensionBody(ch.extensions, ExtensionType.status_request, 'status_request');
    return r !== undefined && asked?.statusType === 1 ? r : undefined;
  }

  private recordLimitExtension(limit: number): Extension {
    return { type: ExtensionType.record_size_limit, body: { kind: 'record_size_limit', limit } };
  }

  private mflExtension(value: number): Extension {
    return { type: ExtensionType.max_fragment_length, body: { kind: 'max_fragment_length', value } };
  }

  private state12(): ServerSessionState {
    const st: ServerSessionState = {
      version: TLS12,
      cipherSuite: this.suite!.code,
      secret: this.master,
      extendedMasterSecret: this.ems,
      issuedAt: this.now(),
      ageAdd: 0,
      lifetime: this.config.ticketLifetime ?? 7200,
    };
    if (this.sni !== undefined) st.serverName = this.sni;
    if (this.alpn !== undefined) st.alpn = this.alpn;
    return st;
  }

  private async sendTicket12(): Promise<void> {
    const st = this.state12();
    await this.sendHandshake({
      type: 'new_session_ticket',
      form: 'tls12',
      lifetimeHint: st.lifetime,
      ticket: await this.config.sessionCache!.seal(st),
    });
  }

  /** Abbreviated handshake: ServerHello, [NewSessionTicket], ChangeCipherSpec, Finished. */
  private async resume12(ch: ClientHello, st: ServerSessionState): Promise<void> {
    const suite = engineSuite(st.cipherSuite)!;
    this.suite = suite;
    this.kex = suite.kex;
    this.resumed = true;
    this.ems = st.extendedMasterSecret;
    this.master = st.secret;
    if (this.versions.includes(TLS13)) this.random.set(DOWNGRADE_TLS12, 24);
    const exts = this.serverExtensions12(ch, suite);
    const alpn = this.chooseAlpn(ch.extensions);
    if (alpn) exts.push(alpn);
    this.sessionId12 = ch.sessionId;
    await this.sendHandshake({
      type: 'server_hello',
      legacyVersion: TLS12,
      random: this.random,
      sessionId: ch.sessionId,
      cipherSuite: suite.code,
      compressionMethod: 0,
      extensions: exts,
    });
    this.mfl = this.mflAnswer;
    this.log('CLIENT_RANDOM', this.clientRandom, this.master);
    const kb = await keyBlock(this.p, suite, this.master, this.clientRandom, this.random);
    this.pendingRead = new RecordDirection(await createRecordProtection(this.p, tls12Params(suite, kb, 'client', this.etm)));
    if (this.ticketExt) await this.sendTicket12();
    await this.sendCcs();
    this.writeDir = new RecordDirection(await createRecordProtection(this.p, tls12Params(suite, kb, 'server', this.etm)));
    const h = suite.prfHash;
    this.serverVerifyData = await finished12(this.p, h, this.master, 'server', await this.hashOf(h));
    await this.sendHandshake({ type: 'finished', verifyData: this.serverVerifyData });
    this.setState('WAIT_CCS');
  }

  /**
   * RFC 7919 group for DHE: a common one when the client lists FFDHE codepoints (RFC 7919 §4: "any codepoint between 256
   * and 511, inclusive, even if unknown to the server"), none when it lists only ones we do not know ("If none of the
   * client-proposed FFDHE groups are known and acceptable to the server, then the server MUST NOT select an FFDHE cipher
   * suite"), else our first.
   */
  private dheGroup(clientGroups: number[]): number | undefined {
    const ours = this.groups.filter((g) => ffdheGroupOf(g) !== undefined);
    const prefs = ours.length ? ours : [NamedGroup.ffdhe2048, NamedGroup.ffdhe3072];
    if (!clientGroups.some(isFfdheCodepoint)) return prefs[0];
    return prefs.find((g) => clientGroups.includes(g));
  }

  private async clientHello12(ch: ClientHello, sigs: number[], clientGroups: number[]): Promise<void> {
    // RFC 5746 §3.6: "If the extension is present, set secure_renegotiation flag to TRUE. The server MUST then verify
    // that the length of the "renegotiated_connection" field is zero, and if it is not, MUST abort the handshake (by
    // sending a fatal handshake_failure alert)."
    this.checkRenegotiationInfo(ch);
    // RFC 8422 §5.1.2: "If the client sends the extension and the extension does not contain the uncompressed point
    // format, and the client has used the Supported Groups extension to indicate support for any of the curves
    // defined in this specification, then the server MUST abort the handshake and return an illegal_parameter alert."
    const pf = extensionBody(ch.extensions, ExtensionType.ec_point_formats, 'ec_point_formats');
    if (pf && !pf.formats.includes(ECPointFormat.uncompressed) && clientGroups.some((g) => RFC8422_CURVES.includes(g)))
      throw failure('illegal_parameter', 'ec_point_formats without uncompressed from a client that lists elliptic curves');
    const id = this.config.identity;
    const kind = keyKindOf(id.spki);
    const cache = this.config.sessionCache;
    this.ticketExt =
      cache !== undefined &&
      (this.config.sessionTickets12 ?? true) &&
      findExtension(ch.extensions, ExtensionType.session_ticket) !== undefined;
    const resumable = await this.findSession12(ch);
    if (resumable) return this.resume12(ch, resumable);
    const group = this.groups.find(
      (g) => ecdhGroupOf(g) !== undefined && (clientGroups.length === 0 || clientGroups.includes(g)),
    );
    const dheGroup = this.dheGroup(clientGroups);
    const scheme = this.faulty('ske-unoffered-scheme')
      ? this.unofferedScheme(sigs, id.spki)
      : pickScheme(this.schemes, sigs, id.spki, false);
    const suite = this.suites
      .map((c) => engineSuite(c)!)
      .find((s) => {
        if (s.kex === 'TLS13' || !this.offeredSuite(ch, s.code)) return false;
        // RFC 4279 / RFC 5489: a PSK suite needs PSKs; RSA_PSK an RSA certificate, DHE_PSK / ECDHE_PSK a group
        if (PSK_KEX.has(s.kex)) {
          if (!this.config.psks?.length) return false;
          if (s.kex === 'RSA_PSK') return kind === 'rsa';
          if (s.kex === 'DHE_PSK') return dheGroup !== undefined;
          if (s.kex === 'ECDHE_PSK') return group !== undefined;
          return true;
        }
        // RFC 5246 App. A.5 / RFC 8422 §2.3: anonymous suites need only a group (chosen only when configured)
        if (s.kex === 'DH_anon') return dheGroup !== undefined;
        if (s.kex === 'ECDH_anon') return group !== undefined;
        if (s.kex === 'RSA') return kind === 'rsa';
        // an id-RSASSA-PSS key signs (rsa_pss_pss_*, RFC 8446 §4.2.3) but never decrypts (RFC 4055 §1.2): not for RSA
        if (s.kex === 'DHE_RSA') return rsaSigningKey(kind) && scheme !== undefined && dheGroup !== undefined;
        if (group === undefined || scheme === undefined) return false;
        if (s.kex === 'ECDHE_RSA') return rsaSigningKey(kind);
        // RFC 8422 §5.1.1/§5.10: an Ed25519 or Ed448 certificate serves ECDHE_ECDSA when the client offered its scheme
        // (pickScheme above only returns a scheme the client offered and the key fits); no curve to check.
        if (kind === 'ed25519' || kind === 'ed448') return true;
        // RFC 8422 §5.1/§5.3: an ECDSA certificate's curve must be one the client listed in supported_groups.
        const curve = ecdsaKeyGroup(kind);
        return curve !== undefined && (clientGroups.length === 0 || clientGroups.includes(curve));
      });
    // RFC 7919 §4: "If the extension is present with FFDHE groups, none of the client's offered groups are acceptable by
    // the server, and none of the client's proposed non-FFDHE cipher suites are acceptable to the server, the server
    // MUST end the connection with a fatal TLS alert of type insufficient_security(71)."
    if (
      !suite &&
      dheGroup === undefined &&
      clientGroups.some(isFfdheCodepoint) &&
      ch.cipherSuites.some((c) => this.suites.includes(c) && FFDHE_KEX.has(engineSuite(c)?.kex ?? ''))
    )
      throw failure('insufficient_security', 'none of the FFDHE groups the client lists is one we know and accept');
    if (!suite) return this.noCommonSuite(ch, 'no common TLS 1.2 cipher suite for this certificate');
    this.suite = suite;
    this.kex = suite.kex;
    if (this.versions.includes(TLS13)) this.random.set(DOWNGRADE_TLS12, 24);
    this.ems =
      (this.config.extendedMasterSecret ?? true) &&
      findExtension(ch.extensions, ExtensionType.extended_master_secret) !== undefined;
    const exts = this.serverExtensions12(ch, suite);
    if (cache) this.sessionId12 = randomBytes(this.p, 32);
    const staple = this.stapleFor(ch);
    if (staple) exts.push({ type: ExtensionType.status_request, body: { kind: 'empty' } });
    if (
      (suite.kex === 'ECDHE_RSA' || suite.kex === 'ECDHE_ECDSA') &&
      findExtension(ch.extensions, ExtensionType.ec_point_formats)
    )
      exts.push({ type: ExtensionType.ec_point_formats, body: { kind: 'ec_point_formats', formats: [0] } });
    const alpn = this.chooseAlpn(ch.extensions);
    if (alpn) exts.push(alpn);
    await this.sendHandshake({
      type: 'server_hello',
      legacyVersion: TLS12,
      random: this.random,
      sessionId: this.sessionId12,
      cipherSuite: suite.code,
      compressionMethod: 0,
      extensions: exts,
    });
    this.mfl = this.mflAnswer;
    // RFC 4279 §2, §3, RFC 5489 §2: PSK, DHE_PSK and ECDHE_PSK send no Certificate; nor do the anonymous key
    // exchanges (RFC 5246 §7.4.2: "The server MUST send a Certificate message whenever the agreed-upon key exchange
    // method uses certificates for authentication (this includes all key exchange methods defined in this document
    // except DH_anon)")
    const certless = suite.kex === 'PSK' || suite.kex === 'DHE_PSK' || suite.kex === 'ECDHE_PSK' || ANON_KEX.has(suite.kex);
    if (!certless) {
      await this.sendHandshake({ type: 'certificate', form: 'tls12', certificates: id.chain });
      if (staple) await this.sendHandshake({ type: 'certificate_status', statusType: 1, response: staple });
    }
    const hint = this.config.pskIdentityHint;
    if (suite.kex === 'PSK' || suite.kex === 'RSA_PSK') {
      // RFC 4279 §2: "If no hint is provided, the ServerKeyExchange message is omitted."
      if (hint) await this.sendHandshake({ type: 'server_key_exchange', kex: 'psk', pskIdentityHint: hint });
    } else if (suite.kex === 'DHE_PSK' || suite.kex === 'ECDHE_PSK') {
      // RFC 4279 §3 / RFC 5489 §2: the hint (empty when none), then the (EC)DH parameters, not signed
      const pskIdentityHint = hint ?? new Uint8Array(0);
      if (suite.kex === 'DHE_PSK') {
        const fg = ffdheGroupOf(dheGroup!)!;
        const kp = await this.dhKeyPair(fg);
        this.dhPrivate = kp;
        this.group = dheGroup!;
        const params = ffdheParams(fg);
        await this.sendHandshake({
          type: 'server_key_exchange',
          kex: 'dhe',
          pskIdentityHint,
          p: params.p,
          g: Uint8Array.of(params.g),
          ys: kp.publicKey,
        });
      } else {
        const kp = await this.ecdhKeyPair(group!);
        this.group = group!;
        this.ecdhPrivate = { group: group!, privateKey: kp.privateKey };
        await this.sendHandshake({
          type: 'server_key_exchange',
          kex: 'ecdhe',
          pskIdentityHint,
          curveType: 3,
          namedCurve: group!,
          publicKey: kp.publicKey,
        });
      }
    } else if (suite.kex === 'DH_anon') {
      // RFC 5246 §7.4.3: "case dh_anon: ServerDHParams params;" (no signature)
      const fg = ffdheGroupOf(dheGroup!)!;
      const kp = await this.dhKeyPair(fg);
      this.dhPrivate = kp;
      this.group = dheGroup!;
      const params = ffdheParams(fg);
      await this.sendHandshake({
        type: 'server_key_exchange',
        kex: 'dhe',
        p: params.p,
        g: Uint8Array.of(params.g),
        ys: kp.publicKey,
      });
    } else if (suite.kex === 'ECDH_anon') {
      // RFC 8422 §2.3 (ECDH_anon): "The server MUST send an ephemeral ECDH public key and a specification of the
      // corresponding curve in the ServerKeyExchange message. These parameters MUST NOT be signed."
      const kp = await this.ecdhKeyPair(group!);
      this.group = group!;
      this.ecdhPrivate = { group: group!, privateKey: kp.privateKey };
      await this.sendHandshake({
        type: 'server_key_exchange',
        kex: 'ecdhe',
        curveType: 3,
        namedCurve: group!,
        publicKey: kp.publicKey,
      });
    } else if (suite.kex === 'DHE_RSA') {
      const fg = ffdheGroupOf(dheGroup!)!;
      const kp = await this.dhKeyPair(fg);
      this.dhPrivate = kp;
      this.group = dheGroup!;
      const params = ffdheParams(fg);
      const unsigned = {
        type: 'server_key_exchange' as const,
        kex: 'dhe' as const,
        p: params.p,
        g: Uint8Array.of(params.g),
        ys: kp.publicKey,
      };
      const signature = await sign(
        this.p,
        await this.signingKey(scheme!),
        serverKeyExchangeContent12(this.clientRandom, this.random, encodeBody(unsigned).subarray(4)),
      );
      this.serverScheme = scheme!;
      await this.sendHandshake({ ...unsigned, signed: { scheme: scheme!, signature } });
    } else if (suite.kex !== 'RSA') {
      const kp = await this.ecdhKeyPair(group!);
      this.group = group!;
      this.ecdhPrivate = { group: group!, privateKey: kp.privateKey };
      const unsigned = {
        type: 'server_key_exchange' as const,
        kex: 'ecdhe' as const,
        curveType: 3,
        namedCurve: group!,
        publicKey: kp.publicKey,
      };
      const params = encodeBody(unsigned).subarray(4);
      const signature = await sign(
        this.p,
        await this.signingKey(scheme!),
        serverKeyExchangeContent12(this.clientRandom, this.random, params),
      );
      this.serverScheme = scheme!;
      await this.sendHandshake({ ...unsigned, signed: { scheme: scheme!, signature } });
    }
    // RFC 4279 §2: with a PSK suite "the Certificate and CertificateRequest payloads are omitted from the response"
    // RFC 5246 §7.4.4: "It is a fatal handshake_failure alert for an anonymous server to request client authentication."
    if (this.clientAuth !== 'none' && !PSK_KEX.has(suite.kex) && !ANON_KEX.has(suite.kex)) {
      this.requested = true;
      await this.sendHandshake({
        type: 'certificate_request',
        form: 'tls12',
        certificateTypes: [1, 64],
        signatureAlgorithms: this.schemes,
        certificateAuthorities: [],
      });
    }
    await this.sendHandshake({ type: 'server_hello_done' });
    this.setState(this.requested ? 'WAIT_CLIENT_CERTIFICATE' : 'WAIT_CLIENT_KEY_EXCHANGE');
  }

  /** ClientHello2 after our HelloRetryRequest: the first one with only the changes HRR allows (RFC 8446 §4.1.2). */
  private async onClientHello2(ch: ClientHello, raw: Uint8Array): Promise<void> {
    const ch1 = this.ch1!;
    this.transcript.push(raw);
    this.earlySkip = undefined;
    if (ch.legacyVersion !== ch1.legacyVersion || !bytesEqual(ch.random, ch1.random) || !bytesEqual(ch.sessionId, ch1.sessionId))
      throw failure('illegal_parameter', 'ClientHello2 changes legacy_version, random or legacy_session_id');
    if (ch.cipherSuites.join() !== ch1.cipherSuites.join() || ch.compressionMethods.join() !== ch1.compressionMethods.join())
      throw failure('illegal_parameter', 'ClientHello2 changes the cipher suites or compression methods');
    const sv = extensionBody(ch.extensions, ExtensionType.supported_versions, 'supported_versions_client');
    if (!sv?.versions.includes(TLS13)) throw failure('illegal_parameter', 'ClientHello2 does not offer TLS 1.3');
    if (findExtension(ch.extensions, ExtensionType.early_data))
      throw failure('illegal_parameter', 'ClientHello2 offers early_data');
    const cookie = extensionBody(ch.extensions, ExtensionType.cookie, 'cookie');
    if (this.hrrCookie && (!cookie || !bytesEqual(cookie.cookie, this.hrrCookie)))
      throw failure('illegal_parameter', 'ClientHello2 does not echo the HelloRetryRequest cookie');
    if (!this.hrrCookie && cookie)
      throw failure('illegal_parameter', 'ClientHello2 has a cookie the HelloRetryRequest did not send');
    const ks = extensionBody(ch.extensions, ExtensionType.key_share, 'key_share_client');
    if (this.hrrGroup !== undefined && (ks?.shares.length !== 1 || ks.shares[0]!.group !== this.hrrGroup))
      throw failure(
        'illegal_parameter',
        `ClientHello2 does not carry exactly one key share for group 0x${this.hrrGroup.toString(16)}`,
      );
    const sigs = extensionBody(ch.extensions, ExtensionType.signature_algorithms, 'signature_algorithms')?.schemes ?? [];
    return this.clientHello13(ch, sigs);
  }

  /**
   * The first offered identity we can use (RFC 8446 §4.2.11): an external PSK we know (its hash fixes the suite), or a
   * ticket we can open; undefined when none.
   */
  private async findPsk(
    ch: ClientHello,
    offered: CipherSuiteInfo[],
  ): Promise<
    { index: number; state: ServerSessionState; suite: CipherSuiteInfo; external?: { identity: Uint8Array } } | undefined
  > {
    const cache = this.config.sessionCache;
    const psk = extensionBody(ch.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_client');
    if (!psk) return undefined;
    const exts = ch.extensions ?? [];
    if (exts[exts.length - 1]?.type !== ExtensionType.pre_shared_key)
      throw failure('illegal_parameter', 'pre_shared_key is not the last ClientHello extension');
    if (!findExtension(exts, ExtensionType.psk_key_exchange_modes))
      throw failure('missing_extension', 'pre_shared_key without psk_key_exchange_modes');
    if (psk.binders.length !== psk.identities.length)
      throw failure('illegal_parameter', 'pre_shared_key has not one binder per identity');
    const pick = (h: string) =>
      this.hrrSuite !== undefined
        ? offered.find((s) => s.code === this.hrrSuite && s.prfHash === h)
        : offered.find((s) => s.prfHash === h);
    // the first identity we can use, in the client's order
    for (const [index, id] of psk.identities.entries()) {
      // RFC 8446 §4.2.11: "For externally established PSKs, the Hash algorithm MUST be set when the PSK is established or
      // default to SHA-256"; the server "MUST ignore" the obfuscated_ticket_age of an external identity.
      const ext = this.config.psks?.find((k) => bytesEqual(k.identity, id.identity));
      if (ext) {
        const suite = pick(ext.hash ?? 'SHA-256');
        if (!suite) continue;
        const state: ServerSessionState = {
          version: TLS13,
          cipherSuite: suite.code,
          secret: ext.key,
          extendedMasterSecret: false,
          issuedAt: this.now(),
          ageAdd: 0,
          lifetime: 0,
        };
        return { index, state, suite, external: { identity: ext.identity } };
      }
      if (!cache) continue;
      const state = await cache.open(id.identity);
      if (state?.version !== TLS13) continue;
      const serverAge = this.now() - state.issuedAt;
      const clientAge = (id.obfuscatedTicketAge - state.ageAdd + 2 ** 32) % 2 ** 32;
      if (serverAge > state.lifetime * 1000 || Math.abs(serverAge - clientAge) > 10_000) continue;
      if (state.serverName !== this.sni) continue;
      const suite = pick(engineSuite(state.cipherSuite)?.prfHash ?? '');
      if (suite) return { index, state, suite };
    }
    return undefined;
  }

  private async clientHello13(ch: ClientHello, sigs: number[]): Promise<void> {
    this.clientOffersPha = findExtension(ch.extensions, ExtensionType.post_handshake_auth) !== undefined;
    // RFC 8446 §4.1.2: "For every TLS 1.3 ClientHello, this vector MUST contain exactly one byte, set to zero ... If a
    // TLS 1.3 ClientHello is received with any other value in this field, the server MUST abort the handshake with an
    // "illegal_parameter" alert." (onClientHello only required the null method among others, as TLS 1.2 does.)
    if (ch.compressionMethods.length !== 1)
      throw failure('illegal_parameter', `TLS 1.3 ClientHello with compression methods [${ch.compressionMethods.join(', ')}]`);
    // RFC 8446 §4.2: a recognized extension not specified for the ClientHello is illegal_parameter
    const bad = misplacedExtension(ch.extensions, 'CH');
    if (bad !== undefined)
      throw failure('illegal_parameter', `extension ${nameOf(extensionTypes, bad)} is not allowed in a TLS 1.3 ClientHello`);
    const id = this.config.identity;
    const offered = this.suites.map((c) => engineSuite(c)!).filter((s) => s.kex === 'TLS13' && this.offeredSuite(ch, s.code));
    let suite = this.hrrSuite !== undefined ? offered.find((s) => s.code === this.hrrSuite) : offered[0];
    if (!suite) return this.noCommonSuite(ch, 'no common TLS 1.3 cipher suite');
    const clientModes = extensionBody(ch.extensions, ExtensionType.psk_key_exchange_modes, 'psk_key_exchange_modes')?.modes ?? [];
    let pskChoice = await this.findPsk(ch, offered);
    const hasShares = findExtension(ch.extensions, ExtensionType.key_share) !== undefined;
    const mode = pskChoice
      ? (this.config.pskModes ?? [PskKeyExchangeMode.psk_dhe_ke, PskKeyExchangeMode.psk_ke]).find(
          (m) => clientModes.includes(m) && (m !== PskKeyExchangeMode.psk_dhe_ke || hasShares),
        )
      : undefined;
    if (mode === undefined) pskChoice = undefined;
    if (pskChoice) suite = pskChoice.suite;
    this.suite = suite;
    this.kex = 'TLS13';
    const h = suite.prfHash;
    const ks = extensionBody(ch.extensions, ExtensionType.key_share, 'key_share_client');
    const clientGroups = extensionBody(ch.extensions, ExtensionType.supported_groups, 'supported_groups')?.groups;
    if (ks) TlsServer.checkClientShares(ks.shares, clientGroups);
    let share: { group: number; keyExchange: Uint8Array } | undefined;
    if (mode !== PskKeyExchangeMode.psk_ke) {
      // Fault hrr-missing-key-share: a ClientHello with supported_groups but no key_share gets a HelloRetryRequest, where
      // RFC 8446 §9.2 ("If containing a "supported_groups" extension, it MUST also contain a "key_share" extension, and
      // vice versa") has the server abort with missing_extension. (An empty client_shares vector is allowed and retried.)
      if (!ks && clientGroups && !this.helloRetry && this.faulty('hrr-missing-key-share')) {
        const g = this.groups.find((x) => TlsServer.shareGroupImplemented(x) && clientGroups.includes(x));
        if (g !== undefined) return this.sendHelloRetryRequest(ch, suite, g);
      }
      if (!ks || !clientGroups) throw failure('missing_extension', 'TLS 1.3 ClientHello without key_share');
      const usable = this.groups.filter((g) => TlsServer.shareGroupImplemented(g) && clientGroups.includes(g));
      share = this.groups
        .map((g) => ks.shares.find((s) => s.group === g && TlsServer.shareGroupImplemented(g)))
        .find((s) => s !== undefined);
      const preferred = usable[0];
      const retry =
        !this.helloRetry &&
        preferred !== undefined &&
        (!share || (this.config.helloRetryForPreferredGroup === true && !ks.shares.some((s) => s.group === preferred)));
      if (retry) {
        // RFC 8446 §4.2.10: after a HelloRetryRequest "the server then ignores early data by skipping all records
        // with an external content type of "application_data" (indicating that they are encrypted), up to the
        // configured max_early_data_size."
        if (findExtension(ch.extensions, ExtensionType.early_data)) this.earlySkip = { mode: 'hrr', left: this.earlySkipLimit() };
        return this.sendHelloRetryRequest(ch, suite, preferred);
      }
      if (!share) throw failure(this.helloRetry ? 'illegal_parameter' : 'handshake_failure', 'no key share for a common group');
    }
    if (pskChoice) {
      // RFC 8446 §4.2.11.2: the binder covers the ClientHello cut before the binders (after ClientHello1 and HRR when retried).
      const psk = extensionBody(ch.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_client')!;
      const raw = this.transcript[this.transcript.length - 1]!;
      const cut = 2 + psk.binders.reduce((n, b) => n + 1 + b.length, 0);
      const truncated = raw.subarray(0, raw.length - cut);
      const msgs = this.helloRetry
        ? await transcriptWithHrr(this.p, h, [...this.transcript.slice(0, -1), truncated], true)
        : [truncated];
      const expected = await pskBinder(
        this.p,
        h,
        await binderKey(this.p, h, pskChoice.state.secret, pskChoice.external ? 'external' : 'resumption'),
        await digest(this.p, h, concatBytes(msgs)),
      );
      if (!bytesEqual(expected, psk.binders[pskChoice.index]!))
        throw failure('decrypt_error', `the binder of PSK identity ${pskChoice.index} does not verify`);
      this.psk = pskChoice.state.secret;
      if (pskChoice.external) this.pskIdentity = pskChoice.external.identity;
    }
    // RFC 8446 §4.2.10: early data not accepted (no early_data in our EncryptedExtensions; acceptEarly below may still
    // accept it). "The server then skips past early data by attempting to deprotect received records using the
    // handshake traffic key, discarding records which fail deprotection (up to the configured max_early_data_size)."
    const offersEarly = findExtension(ch.extensions, ExtensionType.early_data) !== undefined;
    if (offersEarly) this.earlyState.offered = true;
    if (!this.helloRetry && offersEarly) this.earlySkip = { mode: 'trial', left: this.earlySkipLimit() };
    const scheme = this.psk ? undefined : pickScheme(this.schemes, sigs, id.spki, true);
    if (!this.psk && scheme === undefined) throw failure('handshake_failure', 'no common signature scheme for this certificate');
    const exts: Extension[] = [
      { type: ExtensionType.supported_versions, body: { kind: 'supported_versions_server', version: TLS13 } },
    ];
    if (share) {
      const ours = await this.serverShare(share.group, share.keyExchange);
      this.group = share.group;
      this.sharedSecret13 = ours.secret;
      exts.push({
        type: ExtensionType.key_share,
        body: { kind: 'key_share_server', share: { group: share.group, keyExchange: ours.keyExchange } },
      });
    }
    if (pskChoice && this.psk)
      exts.push({
        type: ExtensionType.pre_shared_key,
        body: { kind: 'pre_shared_key_server', selectedIdentity: pskChoice.index },
      });
    await this.sendHandshake({
      type: 'server_hello',
      legacyVersion: TLS12,
      random: this.random,
      sessionId: ch.sessionId,
      cipherSuite: suite.code,
      compressionMethod: 0,
      extensions: exts,
    });
    // RFC 8446 D.4: one dummy CCS, right after the server's first handshake message (ServerHello or HelloRetryRequest).
    if (ch.sessionId.length > 0 && !this.ccsSent) await this.sendCcs();
    const len = tls13KeyLength(suite);
    this.shHash = await this.hashOf(h);
    let s = await this.schedule13(this.scheduleInput(h, { serverHelloHash: this.shHash }));
    this.log('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.clientRandom, s.clientHandshakeTrafficSecret);
    this.log('SERVER_HANDSHAKE_TRAFFIC_SECRET', this.clientRandom, s.serverHandshakeTrafficSecret);
    this.writeDir = new RecordDirection(
      await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, s.serverHandshakeTrafficSecret, len))),
    );
    this.readDir = new RecordDirection(
      await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, s.clientHandshakeTrafficSecret, len))),
    );
    const ee: Extension[] = [];
    const alpn = this.chooseAlpn(ch.extensions);
    if (alpn) ee.push(alpn);
    // RFC 6066 §4 in TLS 1.3: echoed in EncryptedExtensions, in force from the ServerHello on (EncryptedExtensions included).
    if (this.mflAnswer !== undefined) {
      ee.push(this.mflExtension(this.mflAnswer));
      this.mfl = this.mflAnswer;
    }
    // RFC 8449 §4: "In TLS 1.3, the server sends the "record_size_limit" extension in the EncryptedExtensions message."
    if (this.recordLimitAnswer !== undefined) ee.push(this.recordLimitExtension(this.recordLimitAnswer));
    // The client's 0-RTT data is protected with the first offered PSK (RFC 8446 §4.2.10): when that is the one taken,
    // its key is logged whether the data is accepted or refused (refused records are skipped, and a capture reader
    // with the key log can still read them as the early data they are).
    const cets =
      offersEarly && !this.helloRetry && pskChoice?.index === 0
        ? (
            await tls13Schedule(this.p, {
              hash: h,
              psk: this.psk!,
              serverHelloHash: this.shHash,
              clientHelloHash: await this.hashOf(h, [this.transcript[0]!]),
            })
          ).clientEarlyTrafficSecret!
        : undefined;
    if (cets) this.log('CLIENT_EARLY_TRAFFIC_SECRET', this.clientRandom, cets);
    if (cets && pskChoice && (await this.acceptEarly(ch, pskChoice, suite))) {
      ee.push({ type: ExtensionType.early_data, body: { kind: 'empty' } });
      this.earlySkip = undefined;
      this.earlyIn = { left: pskChoice.state.maxEarlyDataSize ?? 0, handshakeRead: this.readDir };
      this.readDir = await this.direction13(suite, cets);
      this.earlyState.accepted = true;
    }
    await this.sendHandshake({ type: 'encrypted_extensions', extensions: ee });
    if (!this.psk && scheme !== undefined) {
      if (this.clientAuth !== 'none') {
        this.requested = true;
        await this.sendHandshake({
          type: 'certificate_request',
          form: 'tls13',
          context: this.certRequestContext,
          extensions: [
            { type: ExtensionType.signature_algorithms, body: { kind: 'signature_algorithms', schemes: this.schemes } },
            // RFC 8879 §3: the algorithms we decompress a client's CompressedCertificate with
            ...(this.config.certificateCompression?.length
              ? [
                  {
                    type: ExtensionType.compress_certificate,
                    body: { kind: 'compress_certificate' as const, algorithms: [...this.config.certificateCompression] },
                  },
                ]
              : []),
          ],
        });
      }
      // RFC 8446 §4.4.2.1: a stapled OCSP response goes in the leaf's CertificateEntry.
      const staple = this.stapleFor(ch);
      const entries = id.chain.map((data, i): { data: Uint8Array; extensions: Extension[] } => ({
        data,
        extensions:
          i === 0 && staple
            ? [{ type: ExtensionType.status_request, body: { kind: 'certificate_status', statusType: 1, response: staple } }]
            : [],
      }));
      await this.sendCertificate13({ type: 'certificate', form: 'tls13', context: new Uint8Array(0), entries }, ch);
      const signature = await sign(
        this.p,
        await this.signingKey(scheme),
        certificateVerifyContent13('server', await this.hashOf(h)),
      );
      this.serverScheme = scheme;
      await this.sendHandshake({ type: 'certificate_verify', scheme, signature });
    }
    await this.sendHandshake({
      type: 'finished',
      verifyData: await finished13(this.p, h, s.serverHandshakeTrafficSecret, await this.hashOf(h)),
    });
    s = await this.schedule13(this.scheduleInput(h, { serverHelloHash: this.shHash, serverFinishedHash: await this.hashOf(h) }));
    this.schedule = s;
    this.log('CLIENT_TRAFFIC_SECRET_0', this.clientRandom, s.clientApplicationTrafficSecret0!);
    this.log('SERVER_TRAFFIC_SECRET_0', this.clientRandom, s.serverApplicationTrafficSecret0!);
    this.log('EXPORTER_SECRET', this.clientRandom, s.exporterMasterSecret!);
    // RFC 8446 §4.4.4: the server writes with its application keys right after its Finished.
    this.handshakeWrite = this.writeDir;
    this.writeDir = new RecordDirection(
      await createRecordProtection(
        this.p,
        tls13Params(suite, await trafficKeys(this.p, h, s.serverApplicationTrafficSecret0!, len)),
      ),
    );
    this.pendingRead = new RecordDirection(
      await createRecordProtection(
        this.p,
        tls13Params(suite, await trafficKeys(this.p, h, s.clientApplicationTrafficSecret0!, len)),
      ),
    );
    this.master = s.masterSecret;
    this.setState(this.earlyIn ? 'WAIT_END_OF_EARLY_DATA' : this.requested ? 'WAIT_CLIENT_CERTIFICATE' : 'WAIT_FINISHED');
  }

  /**
   * Whether to accept the 0-RTT data of a ClientHello (RFC 8446 §4.2.10): "In order to accept early data, the server
   * MUST have accepted a PSK cipher suite and selected the first key offered in the client's "pre_shared_key"
   * extension. In addition, it MUST verify that the following values are the same as those associated with the
   * selected PSK: The TLS version number, The selected cipher suite, The selected ALPN [RFC7301] protocol, if any."
   * Only a ticket of ours issued with max_early_data_size qualifies, and (§8) only the first time its ClientHello asks.
   */
  private async acceptEarly(
    ch: ClientHello,
    choice: { index: number; state: ServerSessionState; external?: { identity: Uint8Array } },
    suite: CipherSuiteInfo,
  ): Promise<boolean> {
    const st = choice.state;
    if ((this.config.earlyData ?? 'accept') !== 'accept' || choice.external || choice.index !== 0 || !st.maxEarlyDataSize)
      return false;
    if (st.version !== TLS13 || st.cipherSuite !== suite.code || st.alpn !== this.alpn) return false;
    const binder = extensionBody(ch.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_client')?.binders[0];
    const cache = this.config.sessionCache;
    if (!binder || !cache) return false;
    // RFC 8446 §8: "The server MUST ensure that any instance of it ... would accept 0-RTT for the same 0-RTT handshake
    // at most once"
    return this.config.antiReplay === false || cache.firstEarlyUse(binder);
  }

  /**
   * RFC 8446 §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same group. Clients MUST NOT offer
   * any KeyShareEntry values for groups not listed in the client's "supported_groups" extension. Servers MAY check for
   * violations of these rules and abort the handshake with an "illegal_parameter" alert if one is violated." This
   * server checks (and so never answers with a share for a group the client did not list, which §4.2.8 forbids it:
   * "Servers MUST NOT send a KeyShareEntry for any group not indicated in the client's "supported_groups""). Each
   * "KeyShareEntry value MUST correspond to a group offered in the "supported_groups" extension and MUST appear in the
   * same order": the order is checked too. §9.2: a ClientHello with key_share "MUST also contain a
   * "supported_groups" extension" (missing_extension).
   */
  private static checkClientShares(shares: readonly { group: number }[], listed: readonly number[] | undefined): void {
    if (!listed) throw failure('missing_extension', 'TLS 1.3 ClientHello with key_share but without supported_groups');
    let last = -1;
    const seen = new Set<number>();
    for (const { group } of shares) {
      const hexGroup = `0x${group.toString(16).padStart(4, '0')}`;
      if (seen.has(group)) throw failure('illegal_parameter', `two key shares for group ${hexGroup}`);
      seen.add(group);
      const at = listed.indexOf(group);
      if (at < 0) throw failure('illegal_parameter', `key share for group ${hexGroup} that supported_groups does not list`);
      if (at < last) throw failure('illegal_parameter', `key share for group ${hexGroup} out of supported_groups order`);
      last = at;
    }
  }

  private scheduleInput(
    h: 'SHA-256' | 'SHA-384',
    hashes: { serverHelloHash: Uint8Array; serverFinishedHash?: Uint8Array; clientFinishedHash?: Uint8Array },
  ): Parameters<typeof tls13Schedule>[1] {
    const input: Parameters<typeof tls13Schedule>[1] = { hash: h, ...hashes };
    if (this.psk) input.psk = this.psk;
    if (this.sharedSecret13) input.sharedSecret = this.sharedSecret13;
    return input;
  }

  private async sendHelloRetryRequest(ch: ClientHello, suite: CipherSuiteInfo, group: number): Promise<void> {
    const exts: Extension[] = [
      { type: ExtensionType.supported_versions, body: { kind: 'supported_versions_server', version: TLS13 } },
      { type: ExtensionType.key_share, body: { kind: 'key_share_hrr', selectedGroup: group } },
    ];
    const c = this.config.helloRetryCookie;
    if (c) {
      this.hrrCookie = c === true ? randomBytes(this.p, 32) : c;
      exts.push({ type: ExtensionType.cookie, body: { kind: 'cookie', cookie: this.hrrCookie } });
    }
    await this.sendHandshake({
      type: 'server_hello',
      legacyVersion: TLS12,
      random: HRR_RANDOM,
      sessionId: ch.sessionId,
      cipherSuite: suite.code,
      compressionMethod: 0,
      extensions: exts,
    });
    this.helloRetry = true;
    this.hrrSuite = suite.code;
    this.hrrGroup = group;
    this.ch1 = ch;
    if (ch.sessionId.length > 0) {
      await this.sendCcs();
      this.ccsSent = true;
    }
    this.setState('WAIT_CLIENT_HELLO2');
  }

  private async onClientCertificate(body: Extract<HandshakeBody, { type: 'certificate' }>, raw: Uint8Array): Promise<void> {
    let chain: Uint8Array[];
    if (body.form === 'tls13') {
      if (!bytesEqual(body.context, this.certRequestContext))
        throw failure('illegal_parameter', 'client Certificate context differs from the CertificateRequest');
      // RFC 8446 §4.4.2: CertificateEntry extensions answer ones of our CertificateRequest, which asks for none that belong there.
      const extra = body.entries.flatMap((e, i) => e.extensions.map((x) => `${x.type} (entry ${i})`));
      if (extra.length)
        throw failure(
          'unsupported_extension',
          `client CertificateEntry carries extension ${extra[0]} that the CertificateRequest did not ask for`,
        );
      chain = body.entries.map((e) => e.data);
    } else chain = body.certificates;
    this.transcript.push(raw);
    const tls13 = this.version === TLS13;
    if (chain.length === 0) {
      if (this.clientAuth === 'require')
        throw failure(tls13 ? 'certificate_required' : 'handshake_failure', 'client sent no certificate but one is required');
      this.setState(tls13 ? 'WAIT_FINISHED' : 'WAIT_CLIENT_KEY_EXCHANGE');
      return;
    }
    this.clientSpki = leafSpki(chain, this.common.certCache);
    await this.checkPeerChain(chain, 'client');
    this.clientChain = chain;
    this.setState(tls13 ? 'WAIT_CERTIFICATE_VERIFY' : 'WAIT_CLIENT_KEY_EXCHANGE');
  }

  private async onClientKeyExchange(
    body: Extract<HandshakeBody, { type: 'client_key_exchange' }>,
    raw: Uint8Array,
  ): Promise<void> {
    let premaster: Uint8Array;
    // RFC 4279 §2-§4, RFC 5489 §2: the PSK key exchanges name their PSK first; an unknown one is refused: "If the
    // server does not recognize the PSK identity, it MAY respond with an "unknown_psk_identity" alert message."
    let psk: Uint8Array | undefined;
    if (this.kex && PSK_KEX.has(this.kex)) {
      const id = body.kex !== 'unparsed' ? body.pskIdentity : undefined;
      if (!id) throw failure('decode_error', 'ClientKeyExchange of a PSK suite without psk_identity');
      const known = this.config.psks?.find((k) => bytesEqual(k.identity, id));
      if (!known) throw failure('unknown_psk_identity', `psk_identity ${JSON.stringify(dec.decode(id))} is not known`);
      psk = known.key;
      this.pskIdentity = id;
    }
    if (body.kex === 'psk' && this.kex === 'PSK') {
      premaster = new Uint8Array(0);
    } else if (body.kex === 'rsa') {
      const r = await decryptPremaster(
        this.p,
        this.config.identity.pkcs8,
        body.encryptedPreMasterSecret,
        this.clientLegacyVersion,
      );
      if (r.ok) premaster = r.value;
      else {
        // RFC 5246 §7.4.7.1: continue with a random premaster; the Finished check then fails.
        this.premasterFailure = `${r.reason}${r.detail ? `: ${r.detail}` : ''}`;
        // alert-on-bad-premaster: the failure answered at once, before the client's Finished (a Bleichenbacher oracle)
        if (this.faulty('alert-on-bad-premaster')) throw failure('decrypt_error', `RSA premaster: ${this.premasterFailure}`);
        premaster = randomBytes(this.p, 48);
      }
    } else if (body.kex === 'dhe' && this.dhPrivate) {
      const e = this.dhPrivate;
      const shared = await deriveDh(this.p, e.group, e.privateKey, body.publicKey, 'tls12');
      if (!shared.ok)
        throw failure(
          'illegal_parameter',
          `client DH public value: ${shared.reason}${shared.detail ? ` (${shared.detail})` : ''}`,
        );
      premaster = shared.value;
    } else if (body.kex === 'ecdhe') {
      const e = this.ecdhPrivate!;
      const g = ecdhGroupOf(e.group)!;
      const shared = await this.ecdhSecret(g, e.privateKey, body.publicKey);
      if (!shared.ok)
        throw failure(
          'illegal_parameter',
          `client ECDH public value: ${shared.reason}${shared.detail ? ` (${shared.detail})` : ''}`,
        );
      premaster = shared.value;
    } else throw failure('decode_error', 'ClientKeyExchange does not fit the key exchange');
    if (psk) premaster = this.kex === 'PSK' ? pskPremaster(psk) : pskPremaster(psk, premaster);
    this.transcript.push(raw);
    const suite = this.suite!;
    const h = suite.prfHash;
    this.master = this.ems
      ? await extendedMasterSecret(this.p, h, premaster, await this.hashOf(h))
      : await masterSecret(this.p, h, premaster, this.clientRandom, this.random);
    this.log('CLIENT_RANDOM', this.clientRandom, this.master);
    const kb = await keyBlock(this.p, suite, this.master, this.clientRandom, this.random);
    this.pendingRead = new RecordDirection(await createRecordProtection(this.p, tls12Params(suite, kb, 'client', this.etm)));
    this.pendingWrite = new RecordDirection(await createRecordProtection(this.p, tls12Params(suite, kb, 'server', this.etm)));
    this.setState(this.clientChain.length > 0 ? 'WAIT_CERTIFICATE_VERIFY' : 'WAIT_CCS');
  }

  private async onCertificateVerify(scheme: number, signature: Uint8Array, raw: Uint8Array): Promise<void> {
    const tls13 = this.version === TLS13;
    // Fault accept-cv-unoffered-scheme: the scheme is not checked against the CertificateRequest (e.g. MD5), nor
    // RSASSA-PKCS1-v1_5 refused in TLS 1.3; the signature is still verified with the scheme the client named.
    const anyScheme = this.faulty('accept-cv-unoffered-scheme');
    if (!this.schemes.includes(scheme) && !anyScheme)
      throw failure('illegal_parameter', `client CertificateVerify scheme 0x${scheme.toString(16)} was not requested`);
    if (tls13 && (scheme & 0xff) === 0x01 && !anyScheme)
      throw failure('illegal_parameter', 'RSASSA-PKCS1-v1_5 in a TLS 1.3 CertificateVerify');
    const content = tls13
      ? certificateVerifyContent13('client', await this.hashOf(this.suite!.prfHash))
      : certificateVerifyContent12(this.transcript);
    const v = await verifySignature(this.p, scheme, this.clientSpki!, content, signature, { version: tls13 ? 13 : 12 });
    // Fault accept-cv-wrong-transcript: a well-formed signature that does not verify over the transcript passes.
    if (!v.ok && !(v.reason === 'bad_signature' && this.faulty('accept-cv-wrong-transcript'))) {
      const why = `client CertificateVerify: ${v.reason}${v.detail ? ` (${v.detail})` : ''}`;
      // Fault silent-close-bad-signature: the connection is closed without the alert RFC 5246 §7.2.2 / RFC 8446 §6.2 ask for.
      throw new EngineFailure(signatureFailureAlert(v.reason), why, this.faulty('silent-close-bad-signature'));
    }
    this.transcript.push(raw);
    this.clientScheme = scheme;
    this.setState(tls13 ? 'WAIT_FINISHED' : 'WAIT_CCS');
  }

  /**
   * No cipher suite in common: handshake_failure (RFC 5246 §7.4.1.3: "If it cannot find such a match, it will respond
   * with a handshake failure alert"; RFC 8446 §4.1.1). Fault null-suite-no-common: a ServerHello naming
   * TLS_NULL_WITH_NULL_NULL (0x0000) instead, then the connection is closed without an alert.
   */
  private async noCommonSuite(ch: ClientHello, why: string): Promise<void> {
    if (!this.faulty('null-suite-no-common')) throw failure('handshake_failure', why);
    await this.sendHandshake({
      type: 'server_hello',
      legacyVersion: TLS12,
      random: this.random,
      sessionId: ch.sessionId,
      cipherSuite: 0x0000,
      compressionMethod: 0,
      extensions: [],
    });
    throw new EngineFailure('handshake_failure', `${why}: answered with suite 0x0000 (fault)`, true);
  }

  /**
   * Fault alert-handshake-keys (TLS 1.3): after its Finished the server seals a fatal alert with its handshake keys,
   * where RFC 8446 §4.4.4 / §7 has it write with its application traffic keys.
   */
  protected override alertDirection(): RecordDirection | undefined {
    return this.faulty('alert-handshake-keys') ? this.handshakeWrite : undefined;
  }

  /** TLS 1.2, the client's flight read up to its ChangeCipherSpec: a handshake record now is out of order (RFC 5246 §7.1). */
  protected override onlyCcsDue(): boolean {
    return this.version === TLS12 && this.state === 'WAIT_CCS' && this.pendingRead !== undefined;
  }

  protected async onChangeCipherSpec(): Promise<void> {
    // Fault accept-missing-cv (TLS 1.2): the CCS is taken in place of the CertificateVerify.
    const cvSkipped =
      this.state === 'WAIT_CERTIFICATE_VERIFY' && this.pendingRead !== undefined && this.faulty('accept-missing-cv');
    if ((this.state !== 'WAIT_CCS' || !this.pendingRead) && !cvSkipped) {
      // Fault accept-early-ccs: a CCS before any keys are in use is ignored.
      if (this.readDir === undefined && !this.pendingRead && this.faulty('accept-early-ccs')) return;
      throw this.unexpected('change_cipher_spec');
    }
    this.readDir = this.pendingRead;
    this.pendingRead = undefined;
    this.setState('WAIT_FINISHED');
  }

  private async onFinished12(verifyData: Uint8Array, raw: Uint8Array): Promise<void> {
    const h = this.suite!.prfHash;
    const expected = await finished12(this.p, h, this.master, 'client', await this.hashOf(h));
    this.checkFinished(expected, verifyData, 'client');
    this.transcript.push(raw);
    this.clientVerifyData = verifyData;
    if (this.resumed) {
      this.finish();
      return;
    }
    if (this.ticketExt) await this.sendTicket12();
    await this.sendCcs();
    this.writeDir = this.pendingWrite;
    this.pendingWrite = undefined;
    this.serverVerifyData = await finished12(this.p, h, this.master, 'server', await this.hashOf(h));
    await this.sendHandshake({ type: 'finished', verifyData: this.serverVerifyData });
    this.finish();
  }

  private async onFinished13(verifyData: Uint8Array, raw: Uint8Array): Promise<void> {
    const suite = this.suite!;
    const h = suite.prfHash;
    const s = this.schedule!;
    const expected = await finished13(this.p, h, s.clientHandshakeTrafficSecret, await this.hashOf(h));
    this.checkFinished(expected, verifyData, 'client');
    const serverFinishedHash = await this.hashOf(h);
    this.transcript.push(raw);
    this.readDir = this.pendingRead;
    this.pendingRead = undefined;
    this.app13 = { suite, read: s.clientApplicationTrafficSecret0!, write: s.serverApplicationTrafficSecret0! };
    this.finish();
    const cache = this.config.sessionCache;
    const rms = cache
      ? (
          await this.schedule13(
            this.scheduleInput(h, { serverHelloHash: this.shHash, serverFinishedHash, clientFinishedHash: await this.hashOf(h) }),
          )
        ).resumptionMasterSecret
      : undefined;
    const n = this.config.newSessionTickets ?? 1;
    const lifetime = this.config.ticketLifetime ?? 7200;
    for (let i = 0; i < n; i++) {
      const ageAdd = new DataView(randomBytes(this.p, 4).buffer).getUint32(0);
      const nonce = Uint8Array.of(i);
      let ticket: Uint8Array;
      if (cache && rms) {
        // RFC 8446 §4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", nonce); sealed into the ticket.
        const st: ServerSessionState = {
          version: TLS13,
          cipherSuite: suite.code,
          secret: await resumptionPsk(this.p, h, rms, nonce),
          extendedMasterSecret: false,
          issuedAt: this.now(),
          ageAdd,
          lifetime,
        };
        if (this.config.maxEarlyDataSize) st.maxEarlyDataSize = this.config.maxEarlyDataSize;
        if (this.sni !== undefined) st.serverName = this.sni;
        if (this.alpn !== undefined) st.alpn = this.alpn;
        ticket = await cache.seal(st);
      } else ticket = randomBytes(this.p, 32); // no cache: opaque bytes that cannot be resumed
      await this.sendPostHandshake({
        type: 'new_session_ticket',
        form: 'tls13',
        lifetime,
        ageAdd,
        nonce,
        ticket,
        // RFC 8446 §4.6.1: early_data "indicating that the ticket may be used to send 0-RTT data"
        extensions: this.config.maxEarlyDataSize
          ? [{ type: ExtensionType.early_data, body: { kind: 'early_data_max', maxEarlyDataSize: this.config.maxEarlyDataSize } }]
          : [],
      });
    }
  }

  private finish(): void {
    this.complete(this.sessionInfo(this.clientChain, this.resumedSession));
    const cache = this.config.sessionCache;
    if (cache && this.version === TLS12 && !this.resumed && this.sessionId12.length)
      cache.store(this.sessionId12, this.state12());
  }
}
