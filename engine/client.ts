/**
 * TLS client state machine (TLS 1.2: RSA, ECDHE_RSA/ECDSA and DHE_RSA (RFC 7919
 * groups) key exchange, EMS, EtM, client certificates, session-ID and RFC 5077
 * ticket resumption; TLS 1.3: (EC)DHE full handshake, HelloRetryRequest (with
 * cookie), PSK resumption (psk_dhe_ke / psk_ke) from a ClientSessionStore,
 * client certificates, middlebox compatibility, KeyUpdate). Both versions:
 * RFC 6066 max_fragment_length and OCSP status_request (the stapled response
 * is kept, not validated); TLS 1.2 ECDHE_ECDSA also with Ed25519 server keys
 * (RFC 8422 §5.10).
 *
 * States: START -> WAIT_SERVER_HELLO, then
 *   1.2: WAIT_CERTIFICATE [CertificateStatus, when agreed] -> WAIT_SERVER_KEY_EXCHANGE (ECDHE/DHE) -> WAIT_CERT_REQUEST_OR_DONE
 *        -> WAIT_SERVER_HELLO_DONE -> [WAIT_NEW_SESSION_TICKET] -> WAIT_CCS -> WAIT_FINISHED -> CONNECTED
 *   1.2 resumed: [WAIT_NEW_SESSION_TICKET] -> WAIT_CCS -> WAIT_FINISHED (then CCS, Finished sent) -> CONNECTED
 *   1.3 HRR: WAIT_SERVER_HELLO -(HelloRetryRequest, [CCS], ClientHello2)-> WAIT_SERVER_HELLO
 *   1.3: WAIT_ENCRYPTED_EXTENSIONS -> WAIT_CERT_OR_CERT_REQUEST -> WAIT_CERTIFICATE
 *        -> WAIT_CERTIFICATE_VERIFY -> WAIT_FINISHED -> CONNECTED (PSK: WAIT_ENCRYPTED_EXTENSIONS -> WAIT_FINISHED)
 */
import {
  AlertDescription,
  type CipherSuiteInfo,
  cipherSuites,
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  ECPointFormat,
  ExtensionType,
  extensionTypes,
  type HandshakeTypeName,
  nameOf,
  ProtocolVersion,
  PskKeyExchangeMode,
  SCSV,
} from '../wire/registry';
import { type ExtensionPlace, misplacedExtension } from '../wire/placement';
import { VERSION_CODE } from '../wire/vocabulary';
import {
  binderKey,
  certificateVerifyContent12,
  deriveDh,
  digest,
  type FfdheGroup,
  ffdheGroupOf,
  ffdheParams,
  pskBinder,
  resumptionPsk,
  certificateVerifyContent13,
  encryptPremaster,
  extendedMasterSecret,
  finished12,
  finished13,
  keyBlock,
  makePremaster,
  masterSecret,
  pskPremaster,
  randomBytes,
  RecordDirection,
  createRecordProtection,
  serverKeyExchangeContent12,
  sign,
  tls12Params,
  tls13KeyLength,
  tls13Params,
  tls13Schedule,
  trafficKeys,
  transcriptWithHrr,
  verifySignature,
  type Tls13Schedule,
} from '../crypto';
import { type Extension, extensionBody, findExtension } from '../wire/extensions';
import {
  type ClientHello,
  encodeBody,
  type HandshakeBody,
  isHelloRetryRequest,
  type ServerHello,
  serverKeyExchangeParamsLength,
} from '../wire/handshake';
import { bytesEqual, concatBytes } from '../wire/hex';
import { type ClientConfig, DEFAULT_GROUPS, DEFAULT_SCHEMES, DEFAULT_SUITES, type ExternalPsk, type Identity } from './config';
import {
  compressedFor,
  decompressedCertificate,
  Endpoint,
  ecdsaKeyGroup,
  ecdsaSuiteKey,
  failure,
  keyKindOf,
  leafSpki,
  pickScheme,
  requireEmptyExtensions,
  rsaSigningKey,
  signatureFailureAlert,
} from './core';
import type { StoredSession12, StoredTicket13 } from './session';
import { ANON_KEX, engineSuite, PSK_KEX } from './suites';
import type { StepResult, WireRecord } from './types';
import type { Alert } from '../wire/record';

const enc = new TextEncoder();
const dec = new TextDecoder();
const TLS12 = VERSION_CODE['1.2'];
const TLS13 = VERSION_CODE['1.3'];

function isIpLiteral(name: string): boolean {
  return /^[0-9.]+$/.test(name) || name.includes(':');
}

/** A TLS 1.3 PSK a ClientHello offers (RFC 8446 §4.2.11). */
interface PskOffer {
  identity: Uint8Array;
  obfuscatedTicketAge: number;
  psk: Uint8Array;
  hash: 'SHA-256' | 'SHA-384';
  /** Which binder key: "res binder" (a ticket) or "ext binder" (an external PSK). */
  label: 'resumption' | 'external';
}

export class TlsClient extends Endpoint {
  private readonly versions: number[];
  private readonly suites: number[];
  private readonly groups: number[];
  private readonly schemes: number[];
  /** The ClientHello random of the current (or last) handshake; a renegotiation draws a new one. */
  private helloRandom: Uint8Array;
  private sessionId: Uint8Array;
  private readonly now: () => number;
  /** TLS 1.3 ticket offered as PSK (dropped from ClientHello2 when the HRR suite has another hash). */
  private offer13: StoredTicket13 | undefined;
  /** TLS 1.3 external PSK offered (after the ticket, when there is one; RFC 8446 §4.2.11). */
  private external13: ExternalPsk | undefined;
  /** TLS 1.2 session offered for resumption. */
  private offer12: StoredSession12 | undefined;
  /**
   * TLS 1.2: a ticket offered with an empty session ID (config ticketSessionId false) and a ServerHello read: whether
   * the server resumed is told by what follows it (RFC 5077 §3.4).
   */
  private ticketUndecided: { sh: ServerHello; session: StoredSession12 } | undefined;
  private ch1: ClientHello | undefined;
  private hrrSuite: number | undefined;
  private ccsSent = false;
  private psk: Uint8Array | undefined;
  private resumptionMaster: Uint8Array | undefined;
  private resumed = false;
  private ticketExpected = false;
  /** TLS 1.2: the ServerHello answered our status_request, so a CertificateStatus may follow the Certificate. */
  private statusAgreed = false;
  private newTicket12: Uint8Array | undefined;
  private serverSessionId: Uint8Array = new Uint8Array(0);
  private pendingWrite: RecordDirection | undefined;
  private dhGroup: FfdheGroup | undefined;
  private readonly offeredExtensions = new Set<number>();
  private readonly shares = new Map<number, { privateKey: Uint8Array; publicKey: Uint8Array }>();
  private serverRandom: Uint8Array = new Uint8Array(0);
  private serverChain: Uint8Array[] = [];
  private serverSpki: Uint8Array | undefined;
  private serverPublic: Uint8Array | undefined;
  /** The server's CertificateRequest: its context, schemes and (TLS 1.3, RFC 8879 §3) the algorithms it decompresses. */
  private certRequest: { context: Uint8Array; schemes: number[]; compression?: number[] } | undefined;
  private pendingRead: RecordDirection | undefined;
  private schedule: Tls13Schedule | undefined;
  private sharedSecret: Uint8Array | undefined;
  private serverHelloHash: Uint8Array = new Uint8Array(0);
  /** TLS 1.2: the server's psk_identity_hint (RFC 4279 §5.2), when it gave one. */
  private pskHint: Uint8Array | undefined;
  /** TLS 1.3 NewSessionTicket messages received after the handshake. */
  readonly tickets: Uint8Array[] = [];
  /**
   * TLS 1.3 0-RTT (RFC 8446 §4.2.10): offered in the ClientHello with the ticket's suite, how many bytes were sent under
   * client_early_traffic_secret, and (once the EncryptedExtensions are in) whether the server accepted them.
   */
  private early: { suite: CipherSuiteInfo; sent: number; accepted?: boolean } | undefined;
  /** The client handshake write keys, held back while 0-RTT keys are in use (until EndOfEarlyData, or a rejection). */
  private handshakeWrite13: RecordDirection | undefined;
  /** The identity the server selected in its pre_shared_key (RFC 8446 §4.2.11), when it selected one. */
  private selectedIdentity: number | undefined;

  constructor(readonly config: ClientConfig = {}) {
    super('client', config, 'START');
    this.versions = config.versions ?? [TLS13, TLS12];
    const offers13 = this.versions.includes(TLS13);
    const offers12 = this.versions.includes(TLS12);
    // PSK suites only with an external PSK to use (RFC 4279): without one the client could not finish them.
    this.suites = (config.cipherSuites ?? [...DEFAULT_SUITES]).filter((c) => {
      const s = engineSuite(c);
      return s !== undefined && (s.kex === 'TLS13' ? offers13 : offers12) && (!PSK_KEX.has(s.kex) || config.psk !== undefined);
    });
    this.groups = TlsClient.groupsFor(config.groups ?? [...DEFAULT_GROUPS], offers12 ? config.identity : undefined);
    this.schemes = config.signatureSchemes ?? [...DEFAULT_SCHEMES];
    this.helloRandom = config.random ?? randomBytes(this.p, 32);
    this.now = config.now ?? Date.now;
    const store = config.sessionStore;
    const resume = store !== undefined && (config.resume ?? true);
    if (resume && offers13) {
      const hashes = new Set(
        this.suites
          .map((c) => engineSuite(c)!)
          .filter((x) => x.kex === 'TLS13')
          .map((x) => x.prfHash),
      );
      this.offer13 = [...store.tls13].reverse().find((t) => {
        const ts = engineSuite(t.cipherSuite);
        return (
          ts !== undefined &&
          hashes.has(ts.prfHash) &&
          t.serverName === config.serverName &&
          this.now() - t.receivedAt < t.lifetime * 1000
        );
      });
    }
    // RFC 8446 §4.2.11: an external PSK is bound to its hash (default SHA-256); offered only with a suite of that hash.
    if (config.psk && offers13) {
      const h = config.psk.hash ?? 'SHA-256';
      if (this.suites.some((c) => engineSuite(c)?.kex === 'TLS13' && engineSuite(c)?.prfHash === h)) this.external13 = config.psk;
    }
    if (resume && offers12)
      this.offer12 = [...store.tls12]
        .reverse()
        .find((x) => x.serverName === config.serverName && this.suites.includes(x.cipherSuite));
    if (this.offer12?.ticket && config.ticketSessionId === false && !offers13) this.sessionId = new Uint8Array(0);
    else if (this.offer12?.sessionId.length) this.sessionId = this.offer12.sessionId;
    else if ((this.offer12?.ticket && (config.ticketSessionId ?? true)) || (offers13 && (config.middleboxCompat ?? true)))
      this.sessionId = randomBytes(this.p, 32);
    else this.sessionId = new Uint8Array(0);
  }

  /**
   * The groups to list: the configured ones, plus (appended last) the curve
   * of our ECDSA client certificate when TLS 1.2 is offered and the list
   * lacks it. TLS 1.2 servers check a client certificate's curve against the
   * client's supported_groups (RFC 8422 §2.2, §5.1; OpenSSL rejects the
   * CertificateVerify otherwise). Being listed, the curve is also accepted
   * for ECDHE and HelloRetryRequest; it never gets a key share of its own.
   */
  static groupsFor(configured: readonly number[], identity: Identity | undefined): number[] {
    const groups = [...configured];
    if (!identity) return groups;
    let curve: number | undefined;
    try {
      curve = ecdsaKeyGroup(keyKindOf(identity.spki));
    } catch {
      curve = undefined; // an unparsable key shows when it is used to sign
    }
    if (curve !== undefined && !groups.includes(curve)) groups.push(curve);
    return groups;
  }

  /** Whether this connection resumed a session (TLS 1.2 abbreviated handshake or TLS 1.3 PSK). */
  get resumedSession(): boolean {
    // an external PSK (pskIdentity set) authenticates a new session; only a ticket resumes one
    return this.resumed || (this.psk !== undefined && this.pskIdentity === undefined);
  }

  /**
   * TLS 1.3 0-RTT (RFC 8446 §4.2.10): whether the ClientHello offered early_data, the bytes of 0-RTT data sent, and
   * whether the server accepted them (early_data in its EncryptedExtensions; undefined until they arrive).
   */
  get earlyData(): { offered: boolean; sent: number; accepted?: boolean } {
    const e = this.early;
    if (!e) return { offered: false, sent: 0 };
    return e.accepted === undefined ? { offered: true, sent: e.sent } : { offered: true, sent: e.sent, accepted: e.accepted };
  }

  /** The ClientHello random of the current handshake (the last renegotiation's, after one). */
  get random(): Uint8Array {
    return this.helloRandom;
  }

  /** TLS 1.2: the psk_identity_hint the server gave in its ServerKeyExchange (RFC 4279 §5.2), if it gave one. */
  get pskIdentityHint(): Uint8Array | undefined {
    return this.pskHint;
  }

  /**
   * Start a TLS 1.2 renegotiation (RFC 5246 §7.4.1.1, RFC 5746): a new full handshake under the current keys, its
   * ClientHello carrying renegotiation_info with the last client verify_data (secure), or the SCSV (legacy, only with
   * `renegotiation: 'legacy'`). Returns the records to send; the handshake then runs as the peer answers (a
   * no_renegotiation warning ends it, the connection going on). Also what a HelloRequest triggers when `renegotiation`
   * allows it.
   */
  async renegotiate(): Promise<WireRecord[]> {
    if (!this.connected || this.version !== TLS12 || this.renegotiating)
      throw new Error(`renegotiation needs a connected TLS 1.2 client that is not renegotiating (state ${this.state})`);
    if (!this.mayRenegotiate())
      throw new Error(
        this.secureRenegotiation
          ? 'renegotiation is refused by configuration (renegotiation: refuse)'
          : 'the connection has no secure renegotiation (RFC 5746) and renegotiation is not legacy',
      );
    await this.guard(() => this.startRenegotiation());
    return this.flush().send;
  }

  /** Whether this client renegotiates on this connection: by policy, and RFC 5746 §4.2 for an insecure one. */
  /** The CertificateVerify scheme: ours (`chosen`), unless the signatureScheme hook names another (engine/hooks.ts). */
  private cvScheme(offered: readonly number[], chosen: number | undefined): number | undefined {
    return this.hooks.signatureScheme?.({ message: 'certificate_verify', offered, chosen }) ?? chosen;
  }

  private mayRenegotiate(): boolean {
    const policy = this.config.renegotiation ?? 'refuse';
    return policy === 'legacy' || (policy === 'secure' && this.secureRenegotiation);
  }

  private async startRenegotiation(): Promise<void> {
    // RFC 5246 §7.4.1.2: the session_id of a ClientHello may be "the value of a session ID from an earlier connection,
    // this connection, or from another currently active connection": with renegotiationResumes, this connection's
    const id = this.resumed ? this.sessionId : this.serverSessionId;
    const own: StoredSession12 | undefined =
      this.config.renegotiationResumes && id.length > 0 && this.suite
        ? {
            sessionId: id,
            masterSecret: this.master,
            cipherSuite: this.suite.code,
            extendedMasterSecret: this.ems,
            peerCertificates: this.serverChain,
          }
        : undefined;
    this.beginRenegotiation();
    this.pskHint = undefined;
    this.helloRandom = await this.renegotiationRandom();
    this.offer12 = own;
    this.sessionId = own?.sessionId ?? new Uint8Array(0);
    this.ticketUndecided = undefined;
    this.offer13 = undefined;
    this.external13 = undefined;
    this.offeredExtensions.clear();
    this.shares.clear();
    this.resumed = false;
    this.ticketExpected = false;
    this.statusAgreed = false;
    this.newTicket12 = undefined;
    this.serverSessionId = new Uint8Array(0);
    this.pendingWrite = undefined;
    this.pendingRead = undefined;
    this.dhGroup = undefined;
    this.serverChain = [];
    this.serverSpki = undefined;
    this.serverPublic = undefined;
    this.certRequest = undefined;
    await this.sendHandshake(await this.buildClientHello());
    this.setState('WAIT_SERVER_HELLO');
  }

  /** The server declined our renegotiation (RFC 5246 §7.2.2 no_renegotiation): go on with the current session. */
  protected override onWarning(alert: Alert): void {
    if (this.renegotiating && this.state === 'WAIT_SERVER_HELLO' && alert.description === AlertDescription.no_renegotiation)
      this.abandonRenegotiation();
  }

  /** Build and send the ClientHello. */
  async start(): Promise<StepResult> {
    if (this.state !== 'START') throw new Error('start() called twice');
    await this.guard(async () => {
      const ch = await this.buildClientHello();
      // RFC 8446 §C.4: a ticket is offered once.
      const store = this.config.sessionStore;
      if (this.offer13 && store?.tls13.includes(this.offer13)) store.tls13.splice(store.tls13.indexOf(this.offer13), 1);
      await this.sendHandshake(ch);
      if (this.earlySuite()) await this.sendEarlyData();
      this.setState('WAIT_SERVER_HELLO');
    });
    return this.flush();
  }

  /**
   * The suite of 0-RTT data this ClientHello can carry, or undefined: configured early data, and a ticket offered first
   * (RFC 8446 §4.2.10: "the PSK used to encrypt the early data MUST be the first PSK listed") whose NewSessionTicket
   * allowed 0-RTT (§4.6.1 early_data), with its suite offered (the early keys use the ticket's suite).
   */
  private earlySuite(): CipherSuiteInfo | undefined {
    const t = this.offer13;
    if (this.renegotiating || this.config.earlyData === undefined || !t?.maxEarlyDataSize) return undefined;
    return this.suites.includes(t.cipherSuite) ? engineSuite(t.cipherSuite) : undefined;
  }

  /**
   * RFC 8446 §2.3, §4.2.10: 0-RTT data right after the ClientHello, under keys from client_early_traffic_secret =
   * Derive-Secret(Early Secret of the ticket's PSK, "c e traffic", ClientHello), at most max_early_data_size bytes
   * (§4.6.1). App. D.4: with compatibility mode the dummy ChangeCipherSpec goes "immediately after" this ClientHello.
   */
  private async sendEarlyData(): Promise<void> {
    const t = this.offer13!;
    const suite = this.earlySuite()!;
    const h = suite.prfHash;
    const chHash = await this.hashOf(h);
    const s = await tls13Schedule(this.p, { hash: h, psk: t.psk, serverHelloHash: chHash, clientHelloHash: chHash });
    const cets = s.clientEarlyTrafficSecret!;
    this.log('CLIENT_EARLY_TRAFFIC_SECRET', this.random, cets);
    if (this.sessionId.length > 0 && !this.ccsSent) {
      await this.sendCcs();
      this.ccsSent = true;
    }
    this.earlyWrite = await this.direction13(suite, cets);
    this.writeDir = this.earlyWrite;
    const data = this.config.earlyData!.subarray(0, t.maxEarlyDataSize);
    if (data.length) await this.sendMessage('application_data', 'application_data', data);
    this.early = { suite, sent: data.length };
  }

  private async buildClientHello(): Promise<ClientHello> {
    // A renegotiation keeps TLS 1.2 (RFC 8446 §4.1.2: the server "MUST retain the previous protocol version"): its
    // ClientHello offers TLS 1.2 only.
    const offers13 = !this.renegotiating && this.versions.includes(TLS13);
    const offers12 = this.versions.includes(TLS12);
    const suites = this.renegotiating ? this.suites.filter((x) => engineSuite(x)?.kex !== 'TLS13') : this.suites;
    const c = this.config;
    const exts: Extension[] = [];
    if (c.serverName && !isIpLiteral(c.serverName))
      exts.push({
        type: ExtensionType.server_name,
        body: { kind: 'server_name', names: [{ nameType: 0, name: enc.encode(c.serverName) }] },
      });
    // RFC 8422 §4: no ECC extensions when neither an ECC suite nor TLS 1.3 is offered (RFC 7919 FFDHE groups may still be listed).
    const ecc = offers13 || suites.some((x) => engineSuite(x)?.kex.startsWith('ECDHE') || engineSuite(x)?.kex === 'ECDH_anon');
    const groups = ecc ? this.groups : this.groups.filter((g) => ffdheGroupOf(g) !== undefined);
    if (groups.length) exts.push({ type: ExtensionType.supported_groups, body: { kind: 'supported_groups', groups } });
    if (offers12 && ecc) exts.push({ type: ExtensionType.ec_point_formats, body: { kind: 'ec_point_formats', formats: [0] } });
    exts.push({ type: ExtensionType.signature_algorithms, body: { kind: 'signature_algorithms', schemes: this.schemes } });
    if (c.signatureSchemesCert)
      exts.push({
        type: ExtensionType.signature_algorithms_cert,
        body: { kind: 'signature_algorithms', schemes: [...c.signatureSchemesCert] },
      });
    if (c.alpn?.length)
      exts.push({
        type: ExtensionType.application_layer_protocol_negotiation,
        body: { kind: 'application_layer_protocol_negotiation', protocols: c.alpn.map((a) => enc.encode(a)) },
      });
    if (c.statusRequest)
      exts.push({
        type: ExtensionType.status_request,
        body: { kind: 'status_request', statusType: 1, responderIdList: new Uint8Array(0), requestExtensions: new Uint8Array(0) },
      });
    if (c.maxFragmentLength !== undefined)
      exts.push({ type: ExtensionType.max_fragment_length, body: { kind: 'max_fragment_length', value: c.maxFragmentLength } });
    // RFC 8446 §4.2.6: "The "post_handshake_auth" extension is used to indicate that a client is willing to perform
    // post-handshake authentication" (its extension_data is empty)
    if (offers13 && c.postHandshakeAuth) exts.push({ type: ExtensionType.post_handshake_auth, body: { kind: 'empty' } });
    if (c.recordSizeLimit !== undefined)
      exts.push({ type: ExtensionType.record_size_limit, body: { kind: 'record_size_limit', limit: c.recordSizeLimit } });
    // RFC 8879 §3: "compress_certificate" in the ClientHello, the algorithms the client can decompress (TLS 1.3 only)
    if (offers13 && c.certificateCompression?.length)
      exts.push({
        type: ExtensionType.compress_certificate,
        body: { kind: 'compress_certificate', algorithms: [...c.certificateCompression] },
      });
    if (offers12 && (c.encryptThenMac ?? true)) exts.push({ type: ExtensionType.encrypt_then_mac, body: { kind: 'empty' } });
    if (offers12 && (c.extendedMasterSecret ?? true))
      exts.push({ type: ExtensionType.extended_master_secret, body: { kind: 'empty' } });
    // RFC 5746 §3.4: the initial ClientHello carries an empty renegotiation_info; §3.5: a secure renegotiation "MUST
    // include the "renegotiation_info" extension in the ClientHello, containing the saved client_verify_data. The SCSV
    // MUST NOT be included."; §4.2: a legacy renegotiation provides "either the TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV
    // or "renegotiation_info" ... it is permissible for the client to simply send the SCSV" (done here, below).
    const legacyRenegotiation = this.renegotiating && !this.secureRenegotiation;
    if (offers12 && !legacyRenegotiation)
      exts.push({
        type: ExtensionType.renegotiation_info,
        body: {
          kind: 'renegotiation_info',
          renegotiatedConnection: this.renegotiating ? this.clientVerifyData : new Uint8Array(0),
        },
      });
    if (offers12 && (c.sessionTickets12 ?? c.sessionStore !== undefined))
      exts.push({
        type: ExtensionType.session_ticket,
        body: { kind: 'session_ticket', ticket: this.offer12?.ticket ?? new Uint8Array(0) },
      });
    if (offers13) {
      exts.push({
        type: ExtensionType.supported_versions,
        body: { kind: 'supported_versions_client', versions: this.versions.filter((v) => v >= TLS12) },
      });
      const shareGroups = c.keyShareGroups ?? this.groups.slice(0, 1);
      const shares = [];
      for (const g of shareGroups) {
        const kp = await this.shareKeyPair(g);
        this.shares.set(g, kp);
        shares.push({ group: g, keyExchange: kp.publicKey });
      }
      exts.push({ type: ExtensionType.key_share, body: { kind: 'key_share_client', shares } });
      exts.push({ type: ExtensionType.psk_key_exchange_modes, body: { kind: 'psk_key_exchange_modes', modes: this.pskModes() } });
      // RFC 8446 §4.2.10: "If the client opts to do so, it MUST supply both the "pre_shared_key" and "early_data" extensions."
      if (this.earlySuite()) exts.push({ type: ExtensionType.early_data, body: { kind: 'empty' } });
      const offer = this.pskOffer();
      if (offer) exts.push(offer);
    }
    for (const e of exts) this.offeredExtensions.add(e.type);
    // RFC 5746 §3.6: a server answers the SCSV with renegotiation_info, so it is not an unsolicited extension here.
    if (legacyRenegotiation) this.offeredExtensions.add(ExtensionType.renegotiation_info);
    const ch: ClientHello = {
      type: 'client_hello',
      legacyVersion: TLS12,
      random: this.random,
      sessionId: this.sessionId,
      cipherSuites: legacyRenegotiation ? [...suites, SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV] : suites,
      compressionMethods: [0],
      extensions: exts,
    };
    this.ch1 = ch;
    this.handshakeRandoms[this.handshakeIndex] = this.helloRandom;
    return this.bindPsk(ch, []);
  }

  private pskModes(): number[] {
    return this.config.pskModes ?? [PskKeyExchangeMode.psk_dhe_ke];
  }

  /** The PSKs this ClientHello offers, in order: the ticket (resumption), then the external PSK. */
  private pskOffers(): PskOffer[] {
    const out: PskOffer[] = [];
    const t = this.offer13;
    if (t) {
      const age = Math.max(0, Math.round(this.now() - t.receivedAt));
      out.push({
        identity: t.ticket,
        obfuscatedTicketAge: (age + t.ageAdd) >>> 0,
        psk: t.psk,
        hash: engineSuite(t.cipherSuite)!.prfHash,
        label: 'resumption',
      });
    }
    const e = this.external13;
    // RFC 8446 §4.2.11: "For identities established externally, an obfuscated_ticket_age of 0 SHOULD be used"
    if (e) out.push({ identity: e.identity, obfuscatedTicketAge: 0, psk: e.key, hash: e.hash ?? 'SHA-256', label: 'external' });
    return out;
  }

  /** pre_shared_key with each offered identity and a placeholder binder of its hash's length (RFC 8446 §4.2.11). */
  private pskOffer(): Extension | undefined {
    const offers = this.pskOffers();
    if (!offers.length) return undefined;
    return {
      type: ExtensionType.pre_shared_key,
      body: {
        kind: 'pre_shared_key_client',
        identities: offers.map((o) => ({ identity: o.identity, obfuscatedTicketAge: o.obfuscatedTicketAge })),
        binders: offers.map((o) => new Uint8Array(o.hash === 'SHA-384' ? 48 : 32)),
      },
    };
  }

  /**
   * Fill in the binders (RFC 8446 §4.2.11.2): each an HMAC, under its PSK's binder key ("res binder" for a ticket,
   * "ext binder" for an external PSK), over the hello cut before the binders, after `before` (ClientHello1, HRR).
   */
  private async bindPsk(ch: ClientHello, before: Uint8Array[]): Promise<ClientHello> {
    const offers = this.pskOffers();
    const exts = ch.extensions ?? [];
    const last = exts[exts.length - 1];
    if (!offers.length || !last || last.body.kind !== 'pre_shared_key_client') return ch;
    const raw = encodeBody(ch);
    const cut = 2 + last.body.binders.reduce((n, b) => n + 1 + b.length, 0);
    const truncated = raw.subarray(0, raw.length - cut);
    const binders: Uint8Array[] = [];
    for (const o of offers) {
      const msgs = before.length ? await transcriptWithHrr(this.p, o.hash, [...before, truncated], true) : [truncated];
      binders.push(
        await pskBinder(
          this.p,
          o.hash,
          await binderKey(this.p, o.hash, o.psk, o.label),
          await digest(this.p, o.hash, concatBytes(msgs)),
        ),
      );
    }
    return { ...ch, extensions: [...exts.slice(0, -1), { type: last.type, body: { ...last.body, binders } }] };
  }

  /** ClientHello2 (RFC 8446 §4.1.2): the first one with the new key share, the cookie, and the PSK binder recomputed. */
  private async buildClientHello2(group: number | undefined, cookie: Uint8Array | undefined): Promise<ClientHello> {
    const ch1 = this.ch1!;
    let share: { group: number; keyExchange: Uint8Array } | undefined;
    if (group !== undefined) {
      const kp = await this.shareKeyPair(group);
      this.shares.clear();
      this.shares.set(group, kp);
      share = { group, keyExchange: kp.publicKey };
    }
    const cookieExt: Extension[] = cookie ? [{ type: ExtensionType.cookie, body: { kind: 'cookie', cookie } }] : [];
    const exts: Extension[] = [];
    for (const e of ch1.extensions ?? []) {
      if (e.type === ExtensionType.key_share && share)
        exts.push({ type: e.type, body: { kind: 'key_share_client', shares: [share] } });
      // RFC 8446 §4.1.2: ClientHello2 drops early_data ("Removing the "early_data" extension ... if one was present")
      else if (e.type === ExtensionType.pre_shared_key || e.type === ExtensionType.early_data) continue;
      else exts.push(e);
    }
    exts.push(...cookieExt);
    const offer = this.pskOffer();
    if (offer) exts.push(offer);
    return this.bindPsk({ ...ch1, extensions: exts }, [this.transcript[0]!, this.transcript[1]!]);
  }

  private async onHelloRetryRequest(hrr: ServerHello, raw: Uint8Array): Promise<void> {
    if (this.helloRetry) throw failure('unexpected_message', 'a second HelloRetryRequest');
    const sv = extensionBody(hrr.extensions, ExtensionType.supported_versions, 'supported_versions_server');
    if (!this.versions.includes(TLS13) || sv?.version !== TLS13)
      throw failure('illegal_parameter', 'HelloRetryRequest that does not select TLS 1.3');
    const suite = cipherSuites.get(hrr.cipherSuite);
    if (suite?.kex !== 'TLS13' || !this.offeredSuite(hrr.cipherSuite))
      throw failure(
        'illegal_parameter',
        `HelloRetryRequest selects cipher suite 0x${hrr.cipherSuite.toString(16)} that was not offered`,
      );
    if (hrr.compressionMethod !== 0) throw failure('illegal_parameter', 'non-null compression method');
    if (!bytesEqual(hrr.sessionId, this.sessionId))
      throw failure('illegal_parameter', 'legacy_session_id_echo differs from the ClientHello');
    for (const e of hrr.extensions ?? []) {
      if (e.type === ExtensionType.cookie) continue;
      if (!this.offeredExtensions.has(e.type))
        throw failure('unsupported_extension', `HelloRetryRequest carries extension ${e.type} that the client did not offer`);
      if (e.type !== ExtensionType.supported_versions && e.type !== ExtensionType.key_share)
        throw failure('illegal_parameter', `extension ${e.type} is not allowed in a HelloRetryRequest`);
    }
    const ks = extensionBody(hrr.extensions, ExtensionType.key_share, 'key_share_hrr');
    const cookie = extensionBody(hrr.extensions, ExtensionType.cookie, 'cookie');
    if (ks) {
      if (!this.groups.includes(ks.selectedGroup))
        throw failure(
          'illegal_parameter',
          `HelloRetryRequest selects group 0x${ks.selectedGroup.toString(16)} that is not in supported_groups`,
        );
      if (this.shares.has(ks.selectedGroup))
        throw failure(
          'illegal_parameter',
          `HelloRetryRequest selects group 0x${ks.selectedGroup.toString(16)} that already had a key share`,
        );
    }
    if (!ks && !cookie) throw failure('illegal_parameter', 'HelloRetryRequest that would not change the ClientHello');
    this.version = TLS13;
    this.kex = 'TLS13';
    this.suite = suite;
    this.hrrSuite = suite.code;
    this.transcript.push(raw);
    this.helloRetry = true;
    // RFC 8446 §4.2.10: a HelloRetryRequest rejects the 0-RTT data; ClientHello2 goes out in plaintext, without early data.
    if (this.early) {
      this.early.accepted = false;
      this.earlyWrite = undefined;
      this.writeDir = undefined;
    }
    // RFC 8446 §4.1.4: no PSK of another hash than the selected suite's in ClientHello2.
    if (this.offer13 && engineSuite(this.offer13.cipherSuite)?.prfHash !== suite.prfHash) this.offer13 = undefined;
    if (this.external13 && (this.external13.hash ?? 'SHA-256') !== suite.prfHash) this.external13 = undefined;
    // RFC 8446 D.4: in compatibility mode the client's dummy CCS goes before its second flight, here ClientHello2.
    if (this.sessionId.length > 0) {
      await this.sendCcs();
      this.ccsSent = true;
    }
    await this.sendHandshake(await this.buildClientHello2(ks?.selectedGroup, cookie?.cookie));
    this.setState('WAIT_SERVER_HELLO');
  }

  /** Whether we offered a suite; fault accept-unoffered-suite: any suite the engine implements passes. */
  private offeredSuite(code: number): boolean {
    return this.suites.includes(code) || (this.faulty('accept-unoffered-suite') && engineSuite(code) !== undefined);
  }

  protected mayBeTls12(): boolean {
    return this.version === undefined ? this.versions.includes(TLS12) : this.version === TLS12;
  }

  protected expects(type: HandshakeTypeName | undefined): boolean {
    if (this.connected && !this.renegotiating)
      return this.version === TLS13
        ? type === 'new_session_ticket' ||
            type === 'key_update' ||
            (type === 'certificate_request' && !!this.config.postHandshakeAuth)
        : type === 'hello_request';
    if (type === 'hello_request') return this.mayBeTls12() && this.state !== 'START';
    // judged by onCertificateStatus: only right after the server Certificate, when agreed
    if (type === 'certificate_status' && this.version === TLS12) return true;
    if (type === 'new_session_ticket' && this.ticketUndecided !== undefined) return true;
    switch (this.state) {
      case 'WAIT_SERVER_HELLO':
        return type === 'server_hello';
      case 'WAIT_CERTIFICATE':
        return type === 'certificate' || (type === 'compressed_certificate' && this.version === TLS13);
      case 'WAIT_SERVER_KEY_EXCHANGE':
        return type === 'server_key_exchange';
      case 'WAIT_CERT_REQUEST_OR_DONE':
        return type === 'certificate_request' || type === 'server_hello_done';
      case 'WAIT_PSK_HINT_OR_DONE':
        return type === 'server_key_exchange' || type === 'server_hello_done';
      case 'WAIT_SERVER_HELLO_DONE':
        // a CertificateRequest from an anonymous server is judged below (handshake_failure, RFC 5246 §7.4.4)
        return type === 'server_hello_done' || (type === 'certificate_request' && ANON_KEX.has(this.kex ?? ''));
      case 'WAIT_NEW_SESSION_TICKET':
        return type === 'new_session_ticket';
      case 'WAIT_ENCRYPTED_EXTENSIONS':
        return type === 'encrypted_extensions';
      case 'WAIT_CERT_OR_CERT_REQUEST':
        return type === 'certificate_request' || type === 'certificate' || type === 'compressed_certificate';
      case 'WAIT_CERTIFICATE_VERIFY':
        return type === 'certificate_verify';
      case 'WAIT_FINISHED':
        return type === 'finished';
      default:
        return false;
    }
  }

  /**
   * TLS 1.2 HelloRequest (RFC 5246 §7.4.1.1): "This message will be ignored by the client if the client is currently
   * negotiating a session. This message MAY be ignored by the client if it does not wish to renegotiate a session,
   * or the client may, if it wishes, respond with a no_renegotiation alert." This client does not renegotiate: once
   * connected it answers with the no_renegotiation warning (RFC 5246 §7.2.2: "This message is always a warning"), or
   * ignores it when configured so. A HelloRequest is never part of the handshake transcript.
   */
  private async onHelloRequest(): Promise<void> {
    if (!this.connected || this.renegotiating) return;
    if (this.mayRenegotiate()) return this.startRenegotiation();
    // RFC 5746 §4.2: "Clients that do so [refuse an insecure renegotiation] MUST respond to such requests with a
    // "no_renegotiation" alert": ignoring is left for a connection with secure renegotiation.
    if ((this.config.helloRequest ?? 'no_renegotiation') === 'no_renegotiation' || !this.secureRenegotiation)
      await this.sendWarning('no_renegotiation');
  }

  protected async onHandshake(body: HandshakeBody, raw: Uint8Array): Promise<void> {
    if (body.type === 'hello_request' && this.mayBeTls12()) return this.onHelloRequest();
    if (this.connected && !this.renegotiating) return this.postHandshake(body, raw);
    if (body.type === 'certificate_status' && this.version === TLS12) return this.onCertificateStatus(body, raw);
    // a ticket offered with an empty session ID: the message after the ServerHello tells whether it was taken
    const u = this.ticketUndecided;
    this.ticketUndecided = undefined;
    if (u && body.type === 'new_session_ticket') {
      await this.resumeAbbreviated(u.sh, u.session);
      return this.onHandshake(body, raw);
    }
    switch (this.state) {
      case 'WAIT_SERVER_HELLO':
        if (body.type !== 'server_hello') throw this.unexpected(body.type);
        return this.onServerHello(body, raw);
      case 'WAIT_CERTIFICATE':
        if (body.type === 'compressed_certificate' && this.version === TLS13)
          return this.onCertificate(decompressedCertificate(body, this.config.certificateCompression ?? []), raw);
        if (body.type !== 'certificate') throw this.unexpected(body.type);
        return this.onCertificate(body, raw);
      case 'WAIT_SERVER_KEY_EXCHANGE':
        if (body.type !== 'server_key_exchange') throw this.unexpected(body.type);
        return this.onServerKeyExchange(body, raw);
      case 'WAIT_CERT_REQUEST_OR_DONE':
        if (body.type === 'certificate_request' && body.form === 'tls12') {
          this.transcript.push(raw);
          this.certRequest = { context: new Uint8Array(0), schemes: body.signatureAlgorithms };
          this.setState('WAIT_SERVER_HELLO_DONE');
          return;
        }
        if (body.type !== 'server_hello_done') throw this.unexpected(body.type);
        this.transcript.push(raw);
        return this.sendFlight12();
      case 'WAIT_SERVER_HELLO_DONE':
        if (body.type === 'certificate_request' && ANON_KEX.has(this.kex ?? ''))
          // RFC 5246 §7.4.4: "It is a fatal handshake_failure alert for an anonymous server to request client authentication."
          throw failure('handshake_failure', `the ${this.kex} server requests client authentication`);
        if (body.type !== 'server_hello_done') throw this.unexpected(body.type);
        this.transcript.push(raw);
        return this.sendFlight12();
      case 'WAIT_PSK_HINT_OR_DONE':
        // RFC 4279 §2, §4: PSK and RSA_PSK send a ServerKeyExchange only to give a psk_identity_hint
        if (body.type === 'server_key_exchange') {
          if (body.kex !== 'psk') throw failure('decode_error', 'ServerKeyExchange of a PSK suite is not a psk_identity_hint');
          this.transcript.push(raw);
          this.pskHint = body.pskIdentityHint;
          this.setState('WAIT_SERVER_HELLO_DONE');
          return;
        }
        if (body.type !== 'server_hello_done') throw this.unexpected(body.type);
        this.transcript.push(raw);
        return this.sendFlight12();
      case 'WAIT_NEW_SESSION_TICKET':
        if (body.type !== 'new_session_ticket' || body.form !== 'tls12') throw this.unexpected(body.type);
        this.transcript.push(raw);
        this.newTicket12 = body.ticket;
        this.setState('WAIT_CCS');
        return;
      case 'WAIT_ENCRYPTED_EXTENSIONS':
        if (body.type !== 'encrypted_extensions') throw this.unexpected(body.type);
        this.transcript.push(raw);
        this.checkServerExtensions(body.extensions, 'encrypted_extensions');
        TlsClient.checkPlacement(body.extensions, 'EE');
        this.readAlpn(body.extensions);
        this.readMfl(body.extensions);
        this.readRecordLimit(body.extensions);
        this.earlyAnswer(findExtension(body.extensions, ExtensionType.early_data) !== undefined);
        this.setState(this.psk ? 'WAIT_FINISHED' : 'WAIT_CERT_OR_CERT_REQUEST');
        return;
      case 'WAIT_CERT_OR_CERT_REQUEST':
        if (body.type === 'certificate_request' && body.form === 'tls13') {
          this.transcript.push(raw);
          TlsClient.checkPlacement(body.extensions, 'CR');
          const sa = extensionBody(body.extensions, ExtensionType.signature_algorithms, 'signature_algorithms');
          if (!sa) throw failure('missing_extension', 'TLS 1.3 CertificateRequest without signature_algorithms');
          this.certRequest = { context: body.context, schemes: sa.schemes };
          const cc = extensionBody(body.extensions, ExtensionType.compress_certificate, 'compress_certificate');
          if (cc) this.certRequest.compression = cc.algorithms;
          this.setState('WAIT_CERTIFICATE');
          return;
        }
        if (body.type === 'compressed_certificate')
          return this.onCertificate(decompressedCertificate(body, this.config.certificateCompression ?? []), raw);
        if (body.type !== 'certificate') throw this.unexpected(body.type);
        return this.onCertificate(body, raw);
      case 'WAIT_CERTIFICATE_VERIFY':
        if (body.type !== 'certificate_verify') throw this.unexpected(body.type);
        return this.onCertificateVerify13(body.scheme, body.signature, raw);
      case 'WAIT_FINISHED':
        if (body.type !== 'finished') throw this.unexpected(body.type);
        return this.version === TLS13 ? this.onFinished13(body.verifyData, raw) : this.onFinished12(body.verifyData, raw);
      default:
        throw this.unexpected(body.type);
    }
  }

  /**
   * The server's answer to our 0-RTT offer, read from its EncryptedExtensions (RFC 8446 §4.2.10). Accepted: "the client
   * MUST verify that the server's selected_identity is 0. If any other value is returned, the client MUST abort the
   * handshake with an "illegal_parameter" alert"; the early keys stay in use until EndOfEarlyData. Not accepted: the
   * handshake keys take over at once (no EndOfEarlyData, §4.5). early_data not offered (or offered in a ClientHello a
   * HelloRetryRequest replaced): an extension the client did not request, unsupported_extension (§4.2).
   */
  private earlyAnswer(accepted: boolean): void {
    const e = this.early;
    if (accepted && (!e || this.helloRetry))
      throw failure('unsupported_extension', 'EncryptedExtensions accepts early data that this ClientHello did not offer');
    if (!e || e.accepted !== undefined) return;
    if (accepted && this.selectedIdentity !== 0)
      throw failure(
        'illegal_parameter',
        `early data accepted with selected_identity ${this.selectedIdentity ?? 'none (no PSK selected)'}, not 0`,
      );
    e.accepted = accepted;
    if (!accepted) this.leaveEarlyKeys();
  }

  /** Back to the handshake write keys after 0-RTT (after EndOfEarlyData, or at once when the server rejected it). */
  private leaveEarlyKeys(): void {
    if (this.handshakeWrite13) this.writeDir = this.handshakeWrite13;
    this.handshakeWrite13 = undefined;
    this.earlyWrite = undefined;
  }

  private async postHandshake(body: HandshakeBody, raw: Uint8Array): Promise<void> {
    if (this.version === TLS13 && body.type === 'new_session_ticket' && body.form === 'tls13') {
      TlsClient.checkPlacement(body.extensions, 'NST');
      this.tickets.push(raw);
      const store = this.config.sessionStore;
      if (store && this.resumptionMaster && body.lifetime > 0) {
        const suite = this.suite!;
        const t: StoredTicket13 = {
          ticket: body.ticket,
          nonce: body.nonce,
          // RFC 8446 §4.6.1: "Clients MUST NOT cache tickets for longer than 7 days, regardless of the ticket_lifetime"
          lifetime: Math.min(body.lifetime, 604800),
          ageAdd: body.ageAdd,
          resumptionMasterSecret: this.resumptionMaster,
          psk: await resumptionPsk(this.p, suite.prfHash, this.resumptionMaster, body.nonce),
          cipherSuite: suite.code,
          receivedAt: this.now(),
        };
        if (this.config.serverName !== undefined) t.serverName = this.config.serverName;
        if (this.alpn !== undefined) t.alpn = this.alpn;
        // RFC 8446 §4.6.1: the ticket's early_data extension says how much 0-RTT data it allows
        const ed = extensionBody(body.extensions, ExtensionType.early_data, 'early_data_max');
        if (ed && ed.maxEarlyDataSize > 0) t.maxEarlyDataSize = ed.maxEarlyDataSize;
        store.tls13.push(t);
      }
      return;
    }
    if (this.version === TLS13 && body.type === 'key_update') return this.onKeyUpdate(body.requestUpdate);
    // RFC 8446 §4.6.2: "A client that receives a CertificateRequest message without having sent the
    // "post_handshake_auth" extension MUST send an "unexpected_message" fatal alert."
    if (this.version === TLS13 && body.type === 'certificate_request' && body.form === 'tls13' && this.config.postHandshakeAuth)
      return this.onPostHandshakeRequest(body, raw);
    throw this.unexpected(`post-handshake ${body.type}`);
  }

  /**
   * RFC 8446 §4.6.2: "If the client has sent the "post_handshake_auth" extension ... the client MUST send Certificate,
   * CertificateVerify, and Finished messages" (no CertificateVerify with an empty Certificate, §4.4.3), under the
   * current client application traffic keys; their handshake context is the handshake through the client Finished
   * plus this CertificateRequest, the Finished key comes from client_application_traffic_secret_N (§4.4).
   */
  private async onPostHandshakeRequest(
    body: Extract<HandshakeBody, { type: 'certificate_request'; form: 'tls13' }>,
    raw: Uint8Array,
  ): Promise<void> {
    TlsClient.checkPlacement(body.extensions, 'CR');
    const sa = extensionBody(body.extensions, ExtensionType.signature_algorithms, 'signature_algorithms');
    if (!sa) throw failure('missing_extension', 'post-handshake CertificateRequest without signature_algorithms');
    const a = this.app13!;
    const h = a.suite.prfHash;
    const context = [...this.transcript, raw];
    const id = this.config.identity;
    const chain = id ? id.chain : [];
    await this.sendAuthMessage(
      { type: 'certificate', form: 'tls13', context: body.context, entries: chain.map((data) => ({ data, extensions: [] })) },
      context,
    );
    if (chain.length > 0 && id) {
      const scheme = pickScheme(this.schemes, sa.schemes, id.spki, true);
      if (scheme === undefined)
        throw failure('handshake_failure', 'no signature scheme in the post-handshake CertificateRequest fits the client key');
      const sig = await sign(
        this.p,
        await this.signingKey(scheme),
        certificateVerifyContent13('client', await this.hashOf(h, context)),
      );
      await this.sendAuthMessage({ type: 'certificate_verify', scheme, signature: sig }, context);
    }
    const vd = await finished13(this.p, h, a.write, await this.hashOf(h, context));
    await this.sendAuthMessage({ type: 'finished', verifyData: vd }, context);
    this.postHandshakeAuthsDone++;
  }

  private checkServerExtensions(exts: readonly Extension[] | undefined, where: string): void {
    for (const e of exts ?? []) {
      if (!this.offeredExtensions.has(e.type))
        throw failure('unsupported_extension', `${where} carries extension ${e.type} that the client did not offer`);
    }
  }

  /**
   * RFC 8446 §4.4.2: extensions in a server CertificateEntry must answer ones
   * of our ClientHello (unsupported_extension otherwise, §4.2), and only
   * status_request and signed_certificate_timestamp belong there
   * (illegal_parameter for another offered one, §4.2).
   */
  private checkEntryExtensions(entries: readonly { extensions: readonly Extension[] }[]): void {
    for (const [i, entry] of entries.entries()) {
      for (const e of entry.extensions) {
        if (!this.offeredExtensions.has(e.type))
          throw failure(
            'unsupported_extension',
            `CertificateEntry ${i} carries extension ${e.type} that the client did not offer`,
          );
        if (e.type !== ExtensionType.status_request && e.type !== ExtensionType.signed_certificate_timestamp)
          throw failure('illegal_parameter', `extension ${e.type} is not allowed in a CertificateEntry`);
      }
    }
  }

  /** RFC 6066 §4: the server's max_fragment_length must echo ours; from here on both directions keep to it. */
  private readMfl(exts: readonly Extension[] | undefined): void {
    const m = extensionBody(exts, ExtensionType.max_fragment_length, 'max_fragment_length');
    if (!m) return;
    if (m.value !== this.config.maxFragmentLength)
      throw failure(
        'illegal_parameter',
        `max_fragment_length ${m.value} differs from the requested ${this.config.maxFragmentLength ?? 'none'}`,
      );
    this.mfl = m.value;
  }

  /**
   * RFC 8449: the server's record_size_limit (TLS 1.2 ServerHello, TLS 1.3 EncryptedExtensions; one we did not offer
   * is refused by checkServerExtensions). §5: "A client MUST treat receipt of both "max_fragment_length" and
   * "record_size_limit" as a fatal error, and it SHOULD generate an "illegal_parameter" alert."
   */
  private readRecordLimit(exts: readonly Extension[] | undefined): void {
    const r = extensionBody(exts, ExtensionType.record_size_limit, 'record_size_limit');
    if (!r || this.config.recordSizeLimit === undefined) return;
    if (extensionBody(exts, ExtensionType.max_fragment_length, 'max_fragment_length'))
      throw failure('illegal_parameter', 'the server sent both max_fragment_length and record_size_limit');
    this.setRecordLimit(this.config.recordSizeLimit, r.limit);
  }

  private readAlpn(exts: readonly Extension[] | undefined): void {
    const a = extensionBody(exts, ExtensionType.application_layer_protocol_negotiation, 'application_layer_protocol_negotiation');
    if (!a) return;
    const p = a.protocols.length === 1 ? dec.decode(a.protocols[0]) : undefined;
    if (p === undefined || !(this.config.alpn ?? []).includes(p))
      throw failure('illegal_parameter', 'server selected an ALPN protocol that was not offered');
    this.alpn = p;
  }

  private async onServerHello(sh: ServerHello, raw: Uint8Array): Promise<void> {
    // RFC 8446 App. D.5: "Any endpoint receiving a Hello message with ClientHello.legacy_version or
    // ServerHello.legacy_version set to 0x0300 MUST abort the handshake with a "protocol_version" alert."
    if (sh.legacyVersion <= ProtocolVersion.SSL3)
      throw failure('protocol_version', `ServerHello legacy_version 0x${sh.legacyVersion.toString(16).padStart(4, '0')}`);
    const sv = extensionBody(sh.extensions, ExtensionType.supported_versions, 'supported_versions_server');
    // RFC 8446 §4.1.3: "A legacy TLS client performing renegotiation with TLS 1.2 or prior and which receives a TLS 1.3
    // ServerHello during renegotiation MUST abort the handshake with a "protocol_version" alert."
    if (this.renegotiating && (sv || isHelloRetryRequest(sh) || sh.legacyVersion !== TLS12))
      throw failure(
        'protocol_version',
        `renegotiation of a TLS 1.2 connection answered with ${sv || isHelloRetryRequest(sh) ? 'a TLS 1.3 ServerHello' : `version 0x${sh.legacyVersion.toString(16)}`}`,
      );
    if (isHelloRetryRequest(sh)) return this.onHelloRetryRequest(sh, raw);
    const version = sv ? sv.version : sh.legacyVersion;
    if (sv && !this.versions.includes(TLS13))
      throw failure('unsupported_extension', 'supported_versions in ServerHello, but TLS 1.3 was not offered');
    // RFC 8446 §4.2.1: "If the "supported_versions" extension in the ServerHello contains a version not offered by the
    // client or contains a version prior to TLS 1.3, the client MUST abort the handshake with an "illegal_parameter"
    // alert." Without the extension, a version not offered is App. D.1's protocol_version.
    if (sv && version < TLS13) throw failure('illegal_parameter', 'supported_versions selects a version below TLS 1.3');
    if (sv && !this.versions.includes(version))
      throw failure('illegal_parameter', `supported_versions selects 0x${version.toString(16)}, which was not offered`);
    // fault accept-tls12-from-t13-only: a TLS 1.3-only client takes a legacy TLS 1.2 ServerHello (and its TLS 1.2 suite)
    const faultTls12 = !sv && version === TLS12 && this.faulty('accept-tls12-from-t13-only');
    if (!this.versions.includes(version) && !faultTls12)
      throw failure('protocol_version', `server selected version 0x${version.toString(16)}`);
    // RFC 8446 App. D.3: "A client that attempts to send 0-RTT data MUST fail a connection if it receives a ServerHello
    // with TLS 1.2 or older." (No alert is named; protocol_version is the one for a version the client cannot go on with.)
    if (this.early && version !== TLS13)
      throw failure('protocol_version', `0-RTT data was sent, and the server selected version 0x${version.toString(16)}`);
    // RFC 8446 §4.1.3: a client offering TLS 1.3 checks for both sentinels (DOWNGRD 01 from a TLS 1.3 server
    // that negotiated TLS 1.2, DOWNGRD 00 from one that negotiated TLS 1.1 or below) in any lower-version ServerHello.
    if (version < TLS13 && this.versions.includes(TLS13) && !this.renegotiating) {
      const tail = sh.random.subarray(24);
      if (bytesEqual(tail, DOWNGRADE_TLS12))
        throw failure(
          'illegal_parameter',
          'TLS 1.2 ServerHello carries the TLS 1.2 downgrade sentinel (DOWNGRD 01) of a TLS 1.3 server',
        );
      if (bytesEqual(tail, DOWNGRADE_TLS11))
        throw failure(
          'illegal_parameter',
          'TLS 1.2 ServerHello carries the TLS 1.1 downgrade sentinel (DOWNGRD 00) of a TLS 1.3 server',
        );
    }
    const suite = cipherSuites.get(sh.cipherSuite);
    if (
      !suite ||
      !(this.offeredSuite(sh.cipherSuite) || (faultTls12 && suite.kex !== 'TLS13')) ||
      (suite.kex === 'TLS13') !== (version === TLS13)
    )
      throw failure(
        'illegal_parameter',
        `server selected cipher suite 0x${sh.cipherSuite.toString(16)} that was not offered for this version`,
      );
    if (sh.compressionMethod !== 0) throw failure('illegal_parameter', 'non-null compression method');
    if (this.helloRetry && (version !== TLS13 || sh.cipherSuite !== this.hrrSuite))
      throw failure('illegal_parameter', 'ServerHello after HelloRetryRequest changes the version or cipher suite');
    this.checkServerExtensions(sh.extensions, 'server_hello');
    this.version = version;
    this.suite = suite;
    this.kex = suite.kex;
    this.serverRandom = sh.random;
    this.transcript.push(raw);
    if (version === TLS13) return this.serverHello13(sh, suite);
    requireEmptyExtensions(sh.extensions, [ExtensionType.extended_master_secret, ExtensionType.encrypt_then_mac], 'ServerHello');
    this.checkRenegotiationInfo(extensionBody(sh.extensions, ExtensionType.renegotiation_info, 'renegotiation_info'));
    // RFC 8422 §5.2 (as RFC 4492 §5.2): the server's Supported Point Formats Extension, "when used, MUST contain the value 0
    // (uncompressed)";
    // a list without it leaves no format both sides can use: illegal_parameter, as RFC 8422 §5.1.2 has the server send.
    const pf = extensionBody(sh.extensions, ExtensionType.ec_point_formats, 'ec_point_formats');
    if (pf && !pf.formats.includes(ECPointFormat.uncompressed))
      throw failure('illegal_parameter', 'ServerHello ec_point_formats without uncompressed');
    this.ems = extensionBody(sh.extensions, ExtensionType.extended_master_secret, 'empty') !== undefined;
    const isCbc = suite.cipher === 'AES_128_CBC' || suite.cipher === 'AES_256_CBC';
    this.etm = extensionBody(sh.extensions, ExtensionType.encrypt_then_mac, 'empty') !== undefined;
    if (this.etm && !isCbc) throw failure('illegal_parameter', 'encrypt_then_mac selected with an AEAD suite');
    this.checkEtmDowngrade(suite, this.etm);
    this.readAlpn(sh.extensions);
    this.readMfl(sh.extensions);
    this.readRecordLimit(sh.extensions);
    this.statusAgreed = extensionBody(sh.extensions, ExtensionType.status_request, 'empty') !== undefined;
    this.ticketExpected = extensionBody(sh.extensions, ExtensionType.session_ticket, 'session_ticket') !== undefined;
    const o = this.offer12;
    if (o && sh.sessionId.length > 0 && bytesEqual(sh.sessionId, this.sessionId)) return this.resumeAbbreviated(sh, o);
    // RFC 5077 §3.4: a ticket offered with an empty session ID leaves no echo to read; what follows the ServerHello
    // tells (a NewSessionTicket or ChangeCipherSpec: the ticket was accepted; a Certificate: a full handshake)
    this.ticketUndecided = o?.ticket !== undefined && this.sessionId.length === 0 ? { sh, session: o } : undefined;
    this.serverSessionId = sh.sessionId;
    // RFC 4279 §2, §3, RFC 5489 §2: PSK, DHE_PSK and ECDHE_PSK have no server Certificate; RSA_PSK has one (§4).
    this.setState(
      this.kex === 'PSK'
        ? 'WAIT_PSK_HINT_OR_DONE'
        : this.kex === 'DHE_PSK' || this.kex === 'ECDHE_PSK' || ANON_KEX.has(this.kex!)
          ? 'WAIT_SERVER_KEY_EXCHANGE'
          : 'WAIT_CERTIFICATE',
    );
  }

  /**
   * The ServerHello's renegotiation_info (RFC 5746). Initial handshake, §3.4: "The client MUST then verify that the
   * length of the "renegotiated_connection" field is zero, and if it is not, MUST abort the handshake (by sending a
   * fatal handshake_failure alert)"; present, it sets secure_renegotiation. Secure renegotiation, §3.5: "the client
   * MUST verify that the "renegotiation_info" extension is present; if it is not, the client MUST abort the
   * handshake. The client MUST then verify that the first half of the "renegotiated_connection" field is equal to the
   * saved client_verify_data value, and the second half is equal to the saved server_verify_data value. If they are
   * not, the client MUST abort the handshake." Legacy renegotiation, §4.2: "the client MUST verify that it does not
   * contain the "renegotiation_info" extension. If it does, the client MUST abort the handshake." §3.5 and §4.2 name
   * no alert: handshake_failure, the alert §3.4 uses for the same extension.
   */
  private checkRenegotiationInfo(ri: { renegotiatedConnection: Uint8Array } | undefined): void {
    if (!this.renegotiating) {
      if (ri && ri.renegotiatedConnection.length > 0)
        throw failure('handshake_failure', 'renegotiation_info of the initial ServerHello is not empty');
      this.secureRenegotiation = ri !== undefined;
      return;
    }
    if (!this.secureRenegotiation) {
      if (ri) throw failure('handshake_failure', 'renegotiation_info in the ServerHello of a legacy (insecure) renegotiation');
      return;
    }
    if (!ri) throw failure('handshake_failure', 'the ServerHello of a secure renegotiation has no renegotiation_info');
    const expected = concatBytes([this.clientVerifyData, this.serverVerifyData]);
    if (!bytesEqual(ri.renegotiatedConnection, expected))
      throw failure(
        'handshake_failure',
        `renegotiation_info of the renegotiating ServerHello is not client_verify_data || server_verify_data (${ri.renegotiatedConnection.length} bytes, expected ${expected.length})`,
      );
  }

  /**
   * RFC 8446 §4.2: "If an implementation receives an extension which it recognizes and which is not specified for the
   * message in which it appears, it MUST abort the handshake with an "illegal_parameter" alert" (after the
   * unsupported_extension check of what was not offered, for the messages that answer the ClientHello).
   */
  private static checkPlacement(exts: readonly Extension[] | undefined, where: ExtensionPlace): void {
    const bad = misplacedExtension(exts, where);
    if (bad !== undefined)
      throw failure('illegal_parameter', `extension ${nameOf(extensionTypes, bad)} is not allowed in a TLS 1.3 ${where}`);
  }

  private async serverHello13(sh: ServerHello, suite: CipherSuiteInfo): Promise<void> {
    if (!bytesEqual(sh.sessionId, this.sessionId))
      throw failure('illegal_parameter', 'legacy_session_id_echo differs from the ClientHello');
    TlsClient.checkPlacement(sh.extensions, 'SH');
    // RFC 8446 §4.2: max_fragment_length goes in EncryptedExtensions, not in a TLS 1.3 ServerHello.
    if (extensionBody(sh.extensions, ExtensionType.max_fragment_length, 'max_fragment_length'))
      throw failure('illegal_parameter', 'max_fragment_length in a TLS 1.3 ServerHello');
    const pskExt = extensionBody(sh.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_server');
    if (pskExt) {
      const offers = this.pskOffers();
      if (!offers.length) throw failure('illegal_parameter', 'ServerHello selects a PSK that the ClientHello did not offer');
      // RFC 8446 §4.2.11: "Clients MUST verify that the server's selected_identity is within the range supplied by the
      // client, that the server selected a cipher suite indicating a Hash associated with the PSK" (illegal_parameter)
      const o = offers[pskExt.selectedIdentity];
      if (!o) throw failure('illegal_parameter', `selected_identity ${pskExt.selectedIdentity} was not offered`);
      if (o.hash !== suite.prfHash) throw failure('illegal_parameter', "the selected suite's hash differs from the PSK's");
      this.psk = o.psk;
      this.selectedIdentity = pskExt.selectedIdentity;
      if (o.label === 'external') this.pskIdentity = o.identity;
      this.serverChain = [];
    }
    const ks = extensionBody(sh.extensions, ExtensionType.key_share, 'key_share_server');
    const modes = this.pskModes();
    if (!ks) {
      if (!this.psk) throw failure('missing_extension', 'TLS 1.3 ServerHello without key_share or pre_shared_key');
      // RFC 8446 §4.2.11: the client MUST verify "that a server "key_share" extension is present if required by the
      // ClientHello "psk_key_exchange_modes" extension. If these values are not consistent, the client MUST abort the
      // handshake with an "illegal_parameter" alert."
      if (!modes.includes(PskKeyExchangeMode.psk_ke))
        throw failure('illegal_parameter', 'PSK without key_share, but psk_ke was not offered');
    } else {
      if (this.psk && !modes.includes(PskKeyExchangeMode.psk_dhe_ke))
        throw failure('illegal_parameter', 'key_share with a PSK, but psk_dhe_ke was not offered');
      const mine = this.shares.get(ks.share.group);
      if (!mine)
        throw failure(
          'illegal_parameter',
          `server key_share for group 0x${ks.share.group.toString(16)} that the client did not send`,
        );
      const shared = await this.shareSecret(ks.share.group, mine.privateKey, ks.share.keyExchange);
      if (!shared.ok)
        throw failure(
          TlsClient.shareFailureAlert(shared.reason),
          `server key share: ${shared.reason}${shared.detail ? ` (${shared.detail})` : ''}`,
        );
      this.group = ks.share.group;
      this.serverPublic = ks.share.keyExchange;
      this.sharedSecret = shared.value;
    }
    const h = suite.prfHash;
    this.serverHelloHash = await this.hashOf(h);
    this.schedule = await this.schedule13(this.scheduleInput(h, { serverHelloHash: this.serverHelloHash }));
    const len = tls13KeyLength(suite);
    this.readDir = new RecordDirection(
      await createRecordProtection(
        this.p,
        tls13Params(suite, await trafficKeys(this.p, h, this.schedule.serverHandshakeTrafficSecret, len)),
      ),
    );
    const handshakeWrite = new RecordDirection(
      await createRecordProtection(
        this.p,
        tls13Params(suite, await trafficKeys(this.p, h, this.schedule.clientHandshakeTrafficSecret, len)),
      ),
    );
    // RFC 8446 §4.2.10: while 0-RTT may have been accepted the client writes with the early keys (until EndOfEarlyData)
    if (this.early && this.early.accepted === undefined) this.handshakeWrite13 = handshakeWrite;
    else this.writeDir = handshakeWrite;
    this.log('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.random, this.schedule.clientHandshakeTrafficSecret);
    this.log('SERVER_HANDSHAKE_TRAFFIC_SECRET', this.random, this.schedule.serverHandshakeTrafficSecret);
    this.setState('WAIT_ENCRYPTED_EXTENSIONS');
  }

  private async onCertificate(body: Extract<HandshakeBody, { type: 'certificate' }>, raw: Uint8Array): Promise<void> {
    let chain: Uint8Array[];
    if (body.form === 'tls13') {
      if (body.context.length !== 0)
        throw failure('illegal_parameter', 'server Certificate with a non-empty certificate_request_context');
      chain = body.entries.map((e) => e.data);
      if (chain.length === 0) throw failure('decode_error', 'empty server Certificate');
      this.checkEntryExtensions(body.entries);
      const status = extensionBody(body.entries[0]!.extensions, ExtensionType.status_request, 'certificate_status');
      if (status) {
        if (status.statusType !== 1)
          throw failure('illegal_parameter', `CertificateEntry status_request of status_type ${status.statusType}, not ocsp`);
        this.ocsp = status.response;
      }
    } else {
      chain = body.certificates;
      // RFC 5246 §7.4.2 names no alert for an empty server Certificate; decode_error as TLS 1.3 requires (RFC 8446 §4.4.2.4).
      if (chain.length === 0) throw failure('decode_error', 'empty server Certificate');
    }
    this.transcript.push(raw);
    const spki = leafSpki(chain, this.common.certCache);
    const kind = keyKindOf(spki);
    // RFC 8422 §5.10 / §2: ECDHE_ECDSA suites also carry EdDSA (Ed25519, Ed448) server keys, signed with scheme ed25519/ed448.
    if (this.kex === 'ECDHE_ECDSA' && !ecdsaSuiteKey(kind))
      throw failure('unsupported_certificate', 'ECDHE_ECDSA suite but the server key is neither ECDSA nor EdDSA');
    // ECDHE_RSA / DHE_RSA sign: an rsaEncryption or an id-RSASSA-PSS key (rsa_pss_pss_*, RFC 8446 §4.2.3). RSA and
    // RSA_PSK encrypt the premaster secret to the key: rsaEncryption only (RFC 4055 §1.2: a PSS key only signs).
    if ((this.kex === 'ECDHE_RSA' || this.kex === 'DHE_RSA') && !rsaSigningKey(kind))
      throw failure('unsupported_certificate', `${this.kex} suite but the server key is not RSA`);
    if ((this.kex === 'RSA' || this.kex === 'RSA_PSK') && kind !== 'rsa')
      throw failure('unsupported_certificate', `${this.kex} suite but the server key is not an rsaEncryption key`);
    await this.checkPeerChain(chain, 'server', this.config.serverName);
    this.serverChain = chain;
    this.serverSpki = spki;
    if (this.version === TLS13) this.setState('WAIT_CERTIFICATE_VERIFY');
    else
      this.setState(
        this.kex === 'RSA'
          ? 'WAIT_CERT_REQUEST_OR_DONE'
          : this.kex === 'RSA_PSK'
            ? 'WAIT_PSK_HINT_OR_DONE'
            : 'WAIT_SERVER_KEY_EXCHANGE',
      );
  }

  private async onServerKeyExchange(
    body: Extract<HandshakeBody, { type: 'server_key_exchange' }>,
    raw: Uint8Array,
  ): Promise<void> {
    if (body.kex === 'dhe' && body.signed && this.kex === 'DHE_RSA') return this.onServerKeyExchangeDhe(body, body.signed, raw);
    // RFC 4279 §3 / RFC 5489 §2: DHE_PSK and ECDHE_PSK parameters follow the psk_identity_hint and are not signed
    // RFC 5246 §7.4.3 / RFC 8422 §5.4: DH_anon and ECDH_anon parameters are not signed
    if (body.kex === 'dhe' && !body.signed && (this.kex === 'DHE_PSK' || this.kex === 'DH_anon'))
      return this.onServerKeyExchangeDhe(body, undefined, raw);
    if (body.kex === 'ecdhe' && !body.signed && (this.kex === 'ECDHE_PSK' || this.kex === 'ECDH_anon')) {
      if (!this.groups.includes(body.namedCurve))
        throw failure('illegal_parameter', `ServerKeyExchange group 0x${body.namedCurve.toString(16)} was not offered`);
      this.transcript.push(raw);
      if (body.pskIdentityHint) this.pskHint = body.pskIdentityHint;
      this.group = body.namedCurve;
      this.serverPublic = body.publicKey;
      this.setState('WAIT_SERVER_HELLO_DONE');
      return;
    }
    if (body.kex !== 'ecdhe' || !body.signed) throw failure('decode_error', 'ServerKeyExchange is not a signed ECDHE one');
    if (!this.groups.includes(body.namedCurve))
      throw failure('illegal_parameter', `ServerKeyExchange group 0x${body.namedCurve.toString(16)} was not offered`);
    const scheme = body.signed.scheme;
    if (!this.schemes.includes(scheme))
      throw failure('illegal_parameter', `ServerKeyExchange signed with scheme 0x${scheme.toString(16)} that was not offered`);
    const params = raw.subarray(4, 4 + serverKeyExchangeParamsLength(body));
    const content = serverKeyExchangeContent12(this.random, this.serverRandom, params);
    const v = await verifySignature(this.p, scheme, this.serverSpki!, content, body.signed.signature, { version: 12 });
    if (!v.ok)
      throw failure(
        signatureFailureAlert(v.reason),
        `ServerKeyExchange signature: ${v.reason}${v.detail ? ` (${v.detail})` : ''}`,
      );
    this.transcript.push(raw);
    this.serverScheme = scheme;
    this.group = body.namedCurve;
    this.serverPublic = body.publicKey;
    this.setState('WAIT_CERT_REQUEST_OR_DONE');
  }

  /**
   * TLS 1.2 CertificateStatus (RFC 6066 §8): only when we offered status_request and the ServerHello agreed, and
   * only right after the server Certificate (the server may also leave it out).
   */
  private async onCertificateStatus(
    body: Extract<HandshakeBody, { type: 'certificate_status' }>,
    raw: Uint8Array,
  ): Promise<void> {
    const last = this.transcript[this.transcript.length - 1];
    if (!this.statusAgreed || this.ocsp !== undefined || last?.[0] !== 11 || this.serverChain.length === 0)
      throw this.unexpected('certificate_status');
    if (body.statusType !== 1)
      throw failure('illegal_parameter', `CertificateStatus of status_type ${body.statusType}, not ocsp`);
    this.transcript.push(raw);
    this.ocsp = body.response;
  }

  /** DHE ServerKeyExchange: only the RFC 7919 groups are accepted (identified by p and g). */
  private async onServerKeyExchangeDhe(
    body: Extract<HandshakeBody, { type: 'server_key_exchange'; kex: 'dhe' }>,
    signed: { scheme: number; signature: Uint8Array } | undefined,
    raw: Uint8Array,
  ): Promise<void> {
    const strip = (b: Uint8Array) => b.subarray(b.findIndex((x) => x !== 0) < 0 ? b.length : b.findIndex((x) => x !== 0));
    const group = (['ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'] as const).find((g) => {
      const params = ffdheParams(g);
      return bytesEqual(strip(body.p), params.p) && bytesEqual(strip(body.g), Uint8Array.of(params.g));
    });
    if (!group) throw failure('insufficient_security', 'DHE parameters are not an RFC 7919 group');
    const code = ffdheParams(group).code;
    const offeredFf = this.groups.filter((g) => ffdheGroupOf(g) !== undefined);
    if (offeredFf.length && !offeredFf.includes(code))
      throw failure('illegal_parameter', `DHE group ${group} was not offered in supported_groups`);
    if (signed) {
      if (!this.schemes.includes(signed.scheme))
        throw failure(
          'illegal_parameter',
          `ServerKeyExchange signed with scheme 0x${signed.scheme.toString(16)} that was not offered`,
        );
      const params = raw.subarray(4, 4 + serverKeyExchangeParamsLength(body));
      const v = await verifySignature(
        this.p,
        signed.scheme,
        this.serverSpki!,
        serverKeyExchangeContent12(this.random, this.serverRandom, params),
        signed.signature,
        { version: 12 },
      );
      if (!v.ok)
        throw failure(
          signatureFailureAlert(v.reason),
          `ServerKeyExchange signature: ${v.reason}${v.detail ? ` (${v.detail})` : ''}`,
        );
      this.serverScheme = signed.scheme;
    }
    this.transcript.push(raw);
    if (body.pskIdentityHint) this.pskHint = body.pskIdentityHint;
    this.dhGroup = group;
    this.group = code;
    this.serverPublic = body.ys;
    this.setState(signed ? 'WAIT_CERT_REQUEST_OR_DONE' : 'WAIT_SERVER_HELLO_DONE');
  }

  private async sendFlight12(): Promise<void> {
    const suite = this.suite!;
    const id = this.config.identity;
    let sendCv = false;
    if (this.certRequest) {
      const chain = id ? id.chain : [];
      await this.sendHandshake({ type: 'certificate', form: 'tls12', certificates: chain });
      sendCv = chain.length > 0;
    }
    let premaster: Uint8Array;
    // RFC 4279 §2-§4, RFC 5489 §2: the PSK key exchanges send psk_identity first and mix the PSK into the premaster
    const psk = this.kex && PSK_KEX.has(this.kex) ? this.config.psk : undefined;
    if (this.kex && PSK_KEX.has(this.kex) && !psk) throw failure('internal_error', 'a PSK suite without a PSK');
    const identity = psk ? { pskIdentity: psk.identity } : {};
    if (psk) this.pskIdentity = psk.identity;
    if (this.kex === 'PSK') {
      premaster = pskPremaster(psk!.key);
      await this.sendHandshake({ type: 'client_key_exchange', kex: 'psk', pskIdentity: psk!.identity });
    } else if (this.kex === 'RSA' || this.kex === 'RSA_PSK') {
      premaster = makePremaster(this.p, TLS12);
      await this.sendHandshake({
        type: 'client_key_exchange',
        kex: 'rsa',
        ...identity,
        encryptedPreMasterSecret: await encryptPremaster(this.p, this.serverSpki!, premaster),
      });
      if (psk) premaster = pskPremaster(psk.key, premaster);
    } else if (this.kex === 'DHE_RSA' || this.kex === 'DHE_PSK' || this.kex === 'DH_anon') {
      const kp = await this.dhKeyPair(this.dhGroup!);
      const shared = await deriveDh(this.p, kp.group, kp.privateKey, this.serverPublic!, 'tls12');
      if (!shared.ok)
        throw failure(
          'illegal_parameter',
          `server DH public value: ${shared.reason}${shared.detail ? ` (${shared.detail})` : ''}`,
        );
      premaster = psk ? pskPremaster(psk.key, shared.value) : shared.value;
      await this.sendHandshake({ type: 'client_key_exchange', kex: 'dhe', ...identity, publicKey: kp.publicKey });
    } else {
      const kp = await this.ecdhKeyPair(this.group!);
      const shared = await this.ecdhSecret(kp.group, kp.privateKey, this.serverPublic!);
      if (!shared.ok)
        throw failure(
          'illegal_parameter',
          `server ECDH public value: ${shared.reason}${shared.detail ? ` (${shared.detail})` : ''}`,
        );
      premaster = psk ? pskPremaster(psk.key, shared.value) : shared.value;
      await this.sendHandshake({ type: 'client_key_exchange', kex: 'ecdhe', ...identity, publicKey: kp.publicKey });
    }
    const h = suite.prfHash;
    this.master = this.ems
      ? await extendedMasterSecret(this.p, h, premaster, await this.hashOf(h))
      : await masterSecret(this.p, h, premaster, this.random, this.serverRandom);
    this.log('CLIENT_RANDOM', this.random, this.master);
    if (sendCv && id) {
      const scheme = this.cvScheme(
        this.certRequest!.schemes,
        pickScheme(this.schemes, this.certRequest!.schemes, id.spki, false),
      );
      if (scheme === undefined)
        throw failure('handshake_failure', 'no signature scheme in the CertificateRequest fits the client key');
      const sig = await sign(this.p, await this.signingKey(scheme), certificateVerifyContent12(this.transcript));
      this.clientScheme = scheme;
      await this.sendHandshake({ type: 'certificate_verify', scheme, signature: sig });
    }
    const kb = await keyBlock(this.p, suite, this.master, this.random, this.serverRandom);
    const writeProt = await createRecordProtection(this.p, tls12Params(suite, kb, 'client', this.etm));
    this.pendingRead = new RecordDirection(await createRecordProtection(this.p, tls12Params(suite, kb, 'server', this.etm)));
    await this.sendCcs();
    this.writeDir = new RecordDirection(writeProt);
    const vd = await finished12(this.p, h, this.master, 'client', await this.hashOf(h));
    await this.sendHandshake({ type: 'finished', verifyData: vd });
    this.clientVerifyData = vd;
    this.setState(this.ticketExpected ? 'WAIT_NEW_SESSION_TICKET' : 'WAIT_CCS');
  }

  /**
   * RFC 8446 §5: a client MUST drop an unprotected CCS (the single byte 0x01) received any time after its first
   * ClientHello was sent and before the server's Finished. Before the ServerHello that applies only when TLS 1.3 is
   * all this client offered. A client that also offered TLS 1.2 still rejects a CCS before the ServerHello: it may yet
   * negotiate TLS 1.2, where that CCS is the CVE-2014-0224 early CCS (RFC 5246 §7.1, t12.order.ccs-timing), and a
   * conforming TLS 1.3 server never sends one there (its compatibility CCS follows its ServerHello or
   * HelloRetryRequest, RFC 8446 D.4; after a HelloRetryRequest this.version is already TLS 1.3).
   */
  protected override onlyTls13Pending(): boolean {
    return this.version === undefined && this.state !== 'START' && this.versions.every((v) => v >= TLS13);
  }

  /** The abbreviated handshake of a TLS 1.2 resumption (RFC 5246 §7.3; RFC 5077 §3.4 for a ticket) of `o`. */
  private async resumeAbbreviated(sh: ServerHello, o: StoredSession12): Promise<void> {
    this.ticketUndecided = undefined;
    // Abbreviated handshake (RFC 5246 §7.3; RFC 5077 §3.4 for a ticket).
    if (sh.cipherSuite !== o.cipherSuite)
      throw failure('illegal_parameter', "resumed session with another cipher suite than the session's");
    if (this.ems !== o.extendedMasterSecret)
      throw failure(
        'handshake_failure',
        'resumed session with another extended_master_secret status than the original (RFC 7627 §5.3)',
      );
    this.resumed = true;
    this.master = o.masterSecret;
    this.serverChain = o.peerCertificates;
    this.log('CLIENT_RANDOM', this.random, this.master);
    const kb = await keyBlock(this.p, this.suite!, this.master, this.random, this.serverRandom);
    this.pendingRead = new RecordDirection(
      await createRecordProtection(this.p, tls12Params(this.suite!, kb, 'server', this.etm)),
    );
    this.pendingWrite = new RecordDirection(
      await createRecordProtection(this.p, tls12Params(this.suite!, kb, 'client', this.etm)),
    );
    this.setState(this.ticketExpected ? 'WAIT_NEW_SESSION_TICKET' : 'WAIT_CCS');
  }

  protected async onChangeCipherSpec(): Promise<void> {
    const u = this.ticketUndecided;
    if (u) await this.resumeAbbreviated(u.sh, u.session);
    if (this.state !== 'WAIT_CCS' || !this.pendingRead) {
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
    const expected = await finished12(this.p, h, this.master, 'server', await this.hashOf(h));
    this.checkFinished(expected, verifyData, 'server');
    this.transcript.push(raw);
    this.serverVerifyData = verifyData;
    if (this.resumed) {
      await this.sendCcs();
      this.writeDir = this.pendingWrite;
      this.pendingWrite = undefined;
      const vd = await finished12(this.p, h, this.master, 'client', await this.hashOf(h));
      await this.sendHandshake({ type: 'finished', verifyData: vd });
      this.clientVerifyData = vd;
    }
    this.finish();
  }

  private scheduleInput(
    h: 'SHA-256' | 'SHA-384',
    hashes: { serverHelloHash: Uint8Array; serverFinishedHash?: Uint8Array; clientFinishedHash?: Uint8Array },
  ): Parameters<typeof tls13Schedule>[1] {
    const input: Parameters<typeof tls13Schedule>[1] = { hash: h, ...hashes };
    if (this.psk) input.psk = this.psk;
    if (this.sharedSecret) input.sharedSecret = this.sharedSecret;
    return input;
  }

  private async onCertificateVerify13(scheme: number, signature: Uint8Array, raw: Uint8Array): Promise<void> {
    if (!this.schemes.includes(scheme))
      throw failure('illegal_parameter', `CertificateVerify scheme 0x${scheme.toString(16)} was not offered`);
    // rsa_pkcs1_* (0x0201, 0x0401, 0x0501, 0x0601) are not allowed in a TLS 1.3 CertificateVerify.
    if ((scheme & 0xff) === 0x01) throw failure('illegal_parameter', 'RSASSA-PKCS1-v1_5 in a TLS 1.3 CertificateVerify');
    const h = this.suite!.prfHash;
    const content = certificateVerifyContent13('server', await this.hashOf(h));
    const v = await verifySignature(this.p, scheme, this.serverSpki!, content, signature, { version: 13 });
    if (!v.ok)
      throw failure(signatureFailureAlert(v.reason), `server CertificateVerify: ${v.reason}${v.detail ? ` (${v.detail})` : ''}`);
    this.transcript.push(raw);
    this.serverScheme = scheme;
    this.setState('WAIT_FINISHED');
  }

  private async onFinished13(verifyData: Uint8Array, raw: Uint8Array): Promise<void> {
    const suite = this.suite!;
    const h = suite.prfHash;
    const s = this.schedule!;
    const expected = await finished13(this.p, h, s.serverHandshakeTrafficSecret, await this.hashOf(h));
    this.checkFinished(expected, verifyData, 'server');
    this.transcript.push(raw);
    const serverFinishedHash = await this.hashOf(h);
    const full = await this.schedule13(this.scheduleInput(h, { serverHelloHash: this.serverHelloHash, serverFinishedHash }));
    this.schedule = full;
    const len = tls13KeyLength(suite);
    const cApp = full.clientApplicationTrafficSecret0!;
    const sApp = full.serverApplicationTrafficSecret0!;
    this.log('CLIENT_TRAFFIC_SECRET_0', this.random, cApp);
    this.log('SERVER_TRAFFIC_SECRET_0', this.random, sApp);
    this.log('EXPORTER_SECRET', this.random, full.exporterMasterSecret!);
    this.readDir = new RecordDirection(
      await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, sApp, len))),
    );
    if (this.sessionId.length > 0 && !this.ccsSent) {
      await this.sendCcs();
      this.ccsSent = true;
    }
    // RFC 8446 §4.5: "If the server sent an "early_data" extension in EncryptedExtensions, the client MUST send an
    // EndOfEarlyData message after receiving the server Finished" (under the early keys); then the handshake keys.
    if (this.early?.accepted) await this.sendHandshake({ type: 'end_of_early_data' });
    this.leaveEarlyKeys();
    const id = this.config.identity;
    if (this.certRequest) {
      const chain = id ? id.chain : [];
      await this.sendHandshake(
        compressedFor(
          {
            type: 'certificate',
            form: 'tls13',
            context: this.certRequest.context,
            entries: chain.map((data) => ({ data, extensions: [] })),
          },
          this.config.certificateCompression,
          this.certRequest.compression,
        ),
      );
      if (chain.length > 0 && id) {
        const offered = this.certRequest.schemes;
        const scheme = this.cvScheme(offered, pickScheme(this.schemes, offered, id.spki, true));
        if (scheme === undefined)
          throw failure('handshake_failure', 'no signature scheme in the CertificateRequest fits the client key');
        const sig = await sign(this.p, await this.signingKey(scheme), certificateVerifyContent13('client', await this.hashOf(h)));
        this.clientScheme = scheme;
        await this.sendHandshake({ type: 'certificate_verify', scheme, signature: sig });
      }
    }
    const vd = await finished13(this.p, h, s.clientHandshakeTrafficSecret, await this.hashOf(h));
    await this.sendHandshake({ type: 'finished', verifyData: vd });
    this.writeDir = new RecordDirection(
      await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, cApp, len))),
    );
    this.master = full.masterSecret;
    this.resumptionMaster = (
      await this.schedule13(
        this.scheduleInput(h, {
          serverHelloHash: this.serverHelloHash,
          serverFinishedHash,
          clientFinishedHash: await this.hashOf(h),
        }),
      )
    ).resumptionMasterSecret;
    this.app13 = { suite, read: sApp, write: cApp };
    this.finish();
  }

  private finish(): void {
    this.complete(this.sessionInfo(this.serverChain, this.resumedSession));
    this.saveSession12();
  }

  /** TLS 1.2: keep the session (ID and/or ticket) in the store, replacing the one resumed. */
  private saveSession12(): void {
    const store = this.config.sessionStore;
    if (!store || this.version !== TLS12) return;
    const sessionId = this.resumed ? this.sessionId : this.serverSessionId;
    const ticket = this.newTicket12 ?? (this.resumed ? this.offer12?.ticket : undefined);
    // (a session resumed in a renegotiation, this connection's own, is in no store)
    if (this.resumed && this.offer12 && store.tls12.includes(this.offer12))
      store.tls12.splice(store.tls12.indexOf(this.offer12), 1);
    if (!sessionId.length && !ticket?.length) return;
    const s: StoredSession12 = {
      sessionId,
      masterSecret: this.master,
      cipherSuite: this.suite!.code,
      extendedMasterSecret: this.ems,
      peerCertificates: this.serverChain,
    };
    if (ticket?.length) s.ticket = ticket;
    if (this.config.serverName !== undefined) s.serverName = this.config.serverName;
    store.tls12.push(s);
  }
}
