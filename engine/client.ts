/**
 * TLS client state machine (TLS 1.2: RSA and ECDHE_RSA/ECDSA key exchange,
 * EMS, EtM, client certificates; TLS 1.3: (EC)DHE full handshake, client
 * certificates, middlebox compatibility, NewSessionTicket accepted).
 *
 * States: START -> WAIT_SERVER_HELLO, then
 *   1.2: WAIT_CERTIFICATE -> WAIT_SERVER_KEY_EXCHANGE (ECDHE) -> WAIT_CERT_REQUEST_OR_DONE
 *        -> WAIT_SERVER_HELLO_DONE -> WAIT_CCS -> WAIT_FINISHED -> CONNECTED
 *   1.3: WAIT_ENCRYPTED_EXTENSIONS -> WAIT_CERT_OR_CERT_REQUEST -> WAIT_CERTIFICATE
 *        -> WAIT_CERTIFICATE_VERIFY -> WAIT_FINISHED -> CONNECTED
 */
import {
  type CipherSuiteInfo,
  cipherSuites,
  DOWNGRADE_TLS12,
  ExtensionType,
} from '../wire/registry';
import {
  certificateVerifyContent12,
  certificateVerifyContent13,
  deriveEcdh,
  encryptPremaster,
  type EcdhKeyPair,
  extendedMasterSecret,
  finished12,
  finished13,
  keyBlock,
  makePremaster,
  masterSecret,
  randomBytes,
  RecordDirection,
  createRecordProtection,
  serverKeyExchangeContent12,
  serverKeyExchangeParamsLength,
  sign,
  tls12Params,
  tls13KeyLength,
  tls13Params,
  tls13Schedule,
  trafficKeys,
  verifySignature,
  type Tls13Schedule,
} from './crypto-imports';
import { type Extension, extensionBody } from '../wire/extensions';
import { type ClientHello, type HandshakeBody, isHelloRetryRequest, type ServerHello } from '../wire/handshake';
import { bytesEqual } from '../wire/hex';
import { type ClientConfig, DEFAULT_GROUPS, DEFAULT_SCHEMES, DEFAULT_SUITES } from './config';
import { Endpoint, failure, keyKindOf, leafSpki, pickScheme } from './core';
import { engineSuite } from './suites';
import type { SessionInfo, StepResult } from './types';

const enc = new TextEncoder();
const dec = new TextDecoder();

function isIpLiteral(name: string): boolean {
  return /^[0-9.]+$/.test(name) || name.includes(':');
}

export class TlsClient extends Endpoint {
  private readonly versions: number[];
  private readonly suites: number[];
  private readonly groups: number[];
  private readonly schemes: number[];
  readonly random: Uint8Array;
  private readonly sessionId: Uint8Array;
  private readonly offeredExtensions = new Set<number>();
  private readonly shares = new Map<number, EcdhKeyPair>();
  private suite: CipherSuiteInfo | undefined;
  private serverRandom: Uint8Array = new Uint8Array(0);
  private serverChain: Uint8Array[] = [];
  private serverSpki: Uint8Array | undefined;
  private serverScheme: number | undefined;
  private clientScheme: number | undefined;
  private group: number | undefined;
  private serverPublic: Uint8Array | undefined;
  private certRequest: { context: Uint8Array; schemes: number[] } | undefined;
  private ems = false;
  private etm = false;
  private alpn: string | undefined;
  private master: Uint8Array = new Uint8Array(0);
  private pendingRead: RecordDirection | undefined;
  private schedule: Tls13Schedule | undefined;
  private sharedSecret: Uint8Array = new Uint8Array(0);
  private serverHelloHash: Uint8Array = new Uint8Array(0);
  /** TLS 1.3 NewSessionTicket messages received after the handshake. */
  readonly tickets: Uint8Array[] = [];

  constructor(readonly config: ClientConfig = {}) {
    super('client', config, 'START');
    this.versions = config.versions ?? [0x0304, 0x0303];
    const offers13 = this.versions.includes(0x0304);
    const offers12 = this.versions.includes(0x0303);
    this.suites = (config.cipherSuites ?? [...DEFAULT_SUITES]).filter((c) => {
      const s = engineSuite(c);
      return s !== undefined && (s.kex === 'TLS13' ? offers13 : offers12);
    });
    this.groups = config.groups ?? [...DEFAULT_GROUPS];
    this.schemes = config.signatureSchemes ?? [...DEFAULT_SCHEMES];
    this.random = config.random ?? randomBytes(this.p, 32);
    this.sessionId = offers13 && (config.middleboxCompat ?? true) ? randomBytes(this.p, 32) : new Uint8Array(0);
  }

  /** Build and send the ClientHello. */
  async start(): Promise<StepResult> {
    if (this.state !== 'START') throw new Error('start() called twice');
    await this.guard(async () => {
      const ch = await this.buildClientHello();
      await this.sendHandshake(ch);
      this.setState('WAIT_SERVER_HELLO');
    });
    return this.flush();
  }

  private async buildClientHello(): Promise<ClientHello> {
    const offers13 = this.versions.includes(0x0304);
    const offers12 = this.versions.includes(0x0303);
    const c = this.config;
    const exts: Extension[] = [];
    if (c.serverName && !isIpLiteral(c.serverName)) exts.push({ type: ExtensionType.server_name, body: { kind: 'server_name', names: [{ nameType: 0, name: enc.encode(c.serverName) }] } });
    exts.push({ type: ExtensionType.supported_groups, body: { kind: 'supported_groups', groups: this.groups } });
    if (offers12) exts.push({ type: ExtensionType.ec_point_formats, body: { kind: 'ec_point_formats', formats: [0] } });
    exts.push({ type: ExtensionType.signature_algorithms, body: { kind: 'signature_algorithms', schemes: this.schemes } });
    if (c.alpn?.length) exts.push({ type: ExtensionType.application_layer_protocol_negotiation, body: { kind: 'application_layer_protocol_negotiation', protocols: c.alpn.map((a) => enc.encode(a)) } });
    if (offers12 && (c.encryptThenMac ?? true)) exts.push({ type: ExtensionType.encrypt_then_mac, body: { kind: 'empty' } });
    if (offers12 && (c.extendedMasterSecret ?? true)) exts.push({ type: ExtensionType.extended_master_secret, body: { kind: 'empty' } });
    if (offers12) exts.push({ type: ExtensionType.renegotiation_info, body: { kind: 'renegotiation_info', renegotiatedConnection: new Uint8Array(0) } });
    if (offers13) {
      exts.push({ type: ExtensionType.supported_versions, body: { kind: 'supported_versions_client', versions: this.versions.filter((v) => v >= 0x0303) } });
      const shareGroups = c.keyShareGroups ?? this.groups.slice(0, 1);
      const shares = [];
      for (const g of shareGroups) {
        const kp = await this.ecdhKeyPair(g);
        this.shares.set(g, kp);
        shares.push({ group: g, keyExchange: kp.publicKey });
      }
      exts.push({ type: ExtensionType.key_share, body: { kind: 'key_share_client', shares } });
      exts.push({ type: ExtensionType.psk_key_exchange_modes, body: { kind: 'psk_key_exchange_modes', modes: [1] } });
    }
    for (const e of exts) this.offeredExtensions.add(e.type);
    return { type: 'client_hello', legacyVersion: 0x0303, random: this.random, sessionId: this.sessionId, cipherSuites: this.suites, compressionMethods: [0], extensions: exts };
  }

  protected async onHandshake(body: HandshakeBody, raw: Uint8Array): Promise<void> {
    if (this.connected) return this.postHandshake(body, raw);
    switch (this.state) {
      case 'WAIT_SERVER_HELLO':
        if (body.type !== 'server_hello') throw this.unexpected(body.type);
        return this.onServerHello(body, raw);
      case 'WAIT_CERTIFICATE':
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
        if (body.type !== 'server_hello_done') throw this.unexpected(body.type);
        this.transcript.push(raw);
        return this.sendFlight12();
      case 'WAIT_ENCRYPTED_EXTENSIONS':
        if (body.type !== 'encrypted_extensions') throw this.unexpected(body.type);
        this.transcript.push(raw);
        this.checkServerExtensions(body.extensions, 'encrypted_extensions');
        this.readAlpn(body.extensions);
        this.setState('WAIT_CERT_OR_CERT_REQUEST');
        return;
      case 'WAIT_CERT_OR_CERT_REQUEST':
        if (body.type === 'certificate_request' && body.form === 'tls13') {
          this.transcript.push(raw);
          const sa = extensionBody(body.extensions, ExtensionType.signature_algorithms, 'signature_algorithms');
          if (!sa) throw failure('missing_extension', 'TLS 1.3 CertificateRequest without signature_algorithms');
          this.certRequest = { context: body.context, schemes: sa.schemes };
          this.setState('WAIT_CERTIFICATE');
          return;
        }
        if (body.type !== 'certificate') throw this.unexpected(body.type);
        return this.onCertificate(body, raw);
      case 'WAIT_CERTIFICATE_VERIFY':
        if (body.type !== 'certificate_verify') throw this.unexpected(body.type);
        return this.onCertificateVerify13(body.scheme, body.signature, raw);
      case 'WAIT_FINISHED':
        if (body.type !== 'finished') throw this.unexpected(body.type);
        return this.version === 0x0304 ? this.onFinished13(body.verifyData, raw) : this.onFinished12(body.verifyData, raw);
      default:
        throw this.unexpected(body.type);
    }
  }

  private async postHandshake(body: HandshakeBody, raw: Uint8Array): Promise<void> {
    if (this.version === 0x0304 && body.type === 'new_session_ticket') {
      this.tickets.push(raw);
      return;
    }
    throw this.unexpected(`post-handshake ${body.type}`);
  }

  private checkServerExtensions(exts: readonly Extension[] | undefined, where: string): void {
    for (const e of exts ?? []) {
      if (!this.offeredExtensions.has(e.type)) throw failure('unsupported_extension', `${where} carries extension ${e.type} that the client did not offer`);
    }
  }

  private readAlpn(exts: readonly Extension[] | undefined): void {
    const a = extensionBody(exts, ExtensionType.application_layer_protocol_negotiation, 'application_layer_protocol_negotiation');
    if (!a) return;
    const p = a.protocols.length === 1 ? dec.decode(a.protocols[0]) : undefined;
    if (p === undefined || !(this.config.alpn ?? []).includes(p)) throw failure('illegal_parameter', 'server selected an ALPN protocol that was not offered');
    this.alpn = p;
  }

  private async onServerHello(sh: ServerHello, raw: Uint8Array): Promise<void> {
    if (isHelloRetryRequest(sh)) throw failure('handshake_failure', 'HelloRetryRequest is not implemented by this client');
    const sv = extensionBody(sh.extensions, ExtensionType.supported_versions, 'supported_versions_server');
    const version = sv ? sv.version : sh.legacyVersion;
    if (sv && !this.versions.includes(0x0304)) throw failure('unsupported_extension', 'supported_versions in ServerHello, but TLS 1.3 was not offered');
    if (!this.versions.includes(version)) throw failure('protocol_version', `server selected version 0x${version.toString(16)}`);
    if (sv && version < 0x0304) throw failure('illegal_parameter', 'supported_versions selects a version below TLS 1.3');
    if (version === 0x0303 && this.versions.includes(0x0304) && bytesEqual(sh.random.subarray(24), DOWNGRADE_TLS12)) throw failure('illegal_parameter', 'TLS 1.2 ServerHello carries the TLS 1.3 downgrade sentinel');
    const suite = cipherSuites.get(sh.cipherSuite);
    if (!suite || !this.suites.includes(sh.cipherSuite) || (suite.kex === 'TLS13') !== (version === 0x0304)) throw failure('illegal_parameter', `server selected cipher suite 0x${sh.cipherSuite.toString(16)} that was not offered for this version`);
    if (sh.compressionMethod !== 0) throw failure('illegal_parameter', 'non-null compression method');
    this.checkServerExtensions(sh.extensions, 'server_hello');
    this.version = version;
    this.suite = suite;
    this.kex = suite.kex;
    this.serverRandom = sh.random;
    this.transcript.push(raw);
    if (version === 0x0304) return this.serverHello13(sh, suite);
    this.ems = extensionBody(sh.extensions, ExtensionType.extended_master_secret, 'empty') !== undefined;
    const isCbc = suite.cipher === 'AES_128_CBC' || suite.cipher === 'AES_256_CBC';
    this.etm = extensionBody(sh.extensions, ExtensionType.encrypt_then_mac, 'empty') !== undefined;
    if (this.etm && !isCbc) throw failure('illegal_parameter', 'encrypt_then_mac selected with an AEAD suite');
    this.readAlpn(sh.extensions);
    this.setState('WAIT_CERTIFICATE');
  }

  private async serverHello13(sh: ServerHello, suite: CipherSuiteInfo): Promise<void> {
    if (!bytesEqual(sh.sessionId, this.sessionId)) throw failure('illegal_parameter', 'legacy_session_id_echo differs from the ClientHello');
    const ks = extensionBody(sh.extensions, ExtensionType.key_share, 'key_share_server');
    if (!ks) throw failure('missing_extension', 'TLS 1.3 ServerHello without key_share (PSK is not offered)');
    const mine = this.shares.get(ks.share.group);
    if (!mine) throw failure('illegal_parameter', `server key_share for group 0x${ks.share.group.toString(16)} that the client did not send`);
    const shared = await deriveEcdh(this.p, mine.group, mine.privateKey, ks.share.keyExchange);
    if (!shared.ok) throw failure('illegal_parameter', `server key share: ${shared.reason}${shared.detail ? ` (${shared.detail})` : ''}`);
    this.group = ks.share.group;
    this.serverPublic = ks.share.keyExchange;
    const h = suite.prfHash;
    this.sharedSecret = shared.value;
    this.serverHelloHash = await this.hashOf(h);
    this.schedule = await tls13Schedule(this.p, { hash: h, sharedSecret: shared.value, serverHelloHash: this.serverHelloHash });
    const len = tls13KeyLength(suite);
    this.readDir = new RecordDirection(await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, this.schedule.serverHandshakeTrafficSecret, len))));
    this.writeDir = new RecordDirection(await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, this.schedule.clientHandshakeTrafficSecret, len))));
    this.log('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.random, this.schedule.clientHandshakeTrafficSecret);
    this.log('SERVER_HANDSHAKE_TRAFFIC_SECRET', this.random, this.schedule.serverHandshakeTrafficSecret);
    this.setState('WAIT_ENCRYPTED_EXTENSIONS');
  }

  private async onCertificate(body: Extract<HandshakeBody, { type: 'certificate' }>, raw: Uint8Array): Promise<void> {
    let chain: Uint8Array[];
    if (body.form === 'tls13') {
      if (body.context.length !== 0) throw failure('illegal_parameter', 'server Certificate with a non-empty certificate_request_context');
      chain = body.entries.map((e) => e.data);
      if (chain.length === 0) throw failure('decode_error', 'empty server Certificate');
    } else {
      chain = body.certificates;
      if (chain.length === 0) throw failure('bad_certificate', 'empty server Certificate');
    }
    this.transcript.push(raw);
    const spki = leafSpki(chain);
    const kind = keyKindOf(spki);
    if (this.kex === 'ECDHE_ECDSA' && kind !== 'ec-p256' && kind !== 'ec-p384') throw failure('unsupported_certificate', 'ECDHE_ECDSA suite but the server key is not ECDSA');
    if ((this.kex === 'ECDHE_RSA' || this.kex === 'RSA') && kind !== 'rsa') throw failure('unsupported_certificate', `${this.kex} suite but the server key is not RSA`);
    await this.checkPeerChain(chain, 'server', this.config.serverName);
    this.serverChain = chain;
    this.serverSpki = spki;
    if (this.version === 0x0304) this.setState('WAIT_CERTIFICATE_VERIFY');
    else this.setState(this.kex === 'RSA' ? 'WAIT_CERT_REQUEST_OR_DONE' : 'WAIT_SERVER_KEY_EXCHANGE');
  }

  private async onServerKeyExchange(body: Extract<HandshakeBody, { type: 'server_key_exchange' }>, raw: Uint8Array): Promise<void> {
    if (body.kex !== 'ecdhe' || !body.signed) throw failure('decode_error', 'ServerKeyExchange is not a signed ECDHE one');
    if (!this.groups.includes(body.namedCurve)) throw failure('illegal_parameter', `ServerKeyExchange group 0x${body.namedCurve.toString(16)} was not offered`);
    const scheme = body.signed.scheme;
    if (!this.schemes.includes(scheme)) throw failure('illegal_parameter', `ServerKeyExchange signed with scheme 0x${scheme.toString(16)} that was not offered`);
    const params = raw.subarray(4, 4 + serverKeyExchangeParamsLength(body));
    const content = serverKeyExchangeContent12(this.random, this.serverRandom, params);
    const v = await verifySignature(this.p, scheme, this.serverSpki!, content, body.signed.signature, { version: 12 });
    if (!v.ok) throw failure(v.reason === 'bad_signature' ? 'decrypt_error' : 'illegal_parameter', `ServerKeyExchange signature: ${v.reason}${v.detail ? ` (${v.detail})` : ''}`);
    this.transcript.push(raw);
    this.serverScheme = scheme;
    this.group = body.namedCurve;
    this.serverPublic = body.publicKey;
    this.setState('WAIT_CERT_REQUEST_OR_DONE');
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
    if (this.kex === 'RSA') {
      premaster = makePremaster(this.p, 0x0303);
      await this.sendHandshake({ type: 'client_key_exchange', kex: 'rsa', encryptedPreMasterSecret: await encryptPremaster(this.p, this.serverSpki!, premaster) });
    } else {
      const kp = await this.ecdhKeyPair(this.group!);
      const shared = await deriveEcdh(this.p, kp.group, kp.privateKey, this.serverPublic!);
      if (!shared.ok) throw failure('illegal_parameter', `server ECDH public value: ${shared.reason}${shared.detail ? ` (${shared.detail})` : ''}`);
      premaster = shared.value;
      await this.sendHandshake({ type: 'client_key_exchange', kex: 'ecdhe', publicKey: kp.publicKey });
    }
    const h = suite.prfHash;
    this.master = this.ems ? await extendedMasterSecret(this.p, h, premaster, await this.hashOf(h)) : await masterSecret(this.p, h, premaster, this.random, this.serverRandom);
    this.log('CLIENT_RANDOM', this.random, this.master);
    if (sendCv && id) {
      const scheme = pickScheme(this.schemes, this.certRequest!.schemes, id.spki, false);
      if (scheme === undefined) throw failure('handshake_failure', 'no signature scheme in the CertificateRequest fits the client key');
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
    this.setState('WAIT_CCS');
  }

  protected async onChangeCipherSpec(): Promise<void> {
    if (this.state !== 'WAIT_CCS' || !this.pendingRead) throw this.unexpected('change_cipher_spec');
    this.readDir = this.pendingRead;
    this.pendingRead = undefined;
    this.setState('WAIT_FINISHED');
  }

  private async onFinished12(verifyData: Uint8Array, raw: Uint8Array): Promise<void> {
    const h = this.suite!.prfHash;
    const expected = await finished12(this.p, h, this.master, 'server', await this.hashOf(h));
    if (!bytesEqual(expected, verifyData)) throw failure('decrypt_error', 'server Finished verify_data does not match');
    this.transcript.push(raw);
    this.finish();
  }

  private async onCertificateVerify13(scheme: number, signature: Uint8Array, raw: Uint8Array): Promise<void> {
    if (!this.schemes.includes(scheme)) throw failure('illegal_parameter', `CertificateVerify scheme 0x${scheme.toString(16)} was not offered`);
    // rsa_pkcs1_* (0x0201, 0x0401, 0x0501, 0x0601) are not allowed in a TLS 1.3 CertificateVerify.
    if ((scheme & 0xff) === 0x01) throw failure('illegal_parameter', 'RSASSA-PKCS1-v1_5 in a TLS 1.3 CertificateVerify');
    const h = this.suite!.prfHash;
    const content = certificateVerifyContent13('server', await this.hashOf(h));
    const v = await verifySignature(this.p, scheme, this.serverSpki!, content, signature, { version: 13 });
    if (!v.ok) throw failure(v.reason === 'bad_signature' ? 'decrypt_error' : 'illegal_parameter', `server CertificateVerify: ${v.reason}${v.detail ? ` (${v.detail})` : ''}`);
    this.transcript.push(raw);
    this.serverScheme = scheme;
    this.setState('WAIT_FINISHED');
  }

  private async onFinished13(verifyData: Uint8Array, raw: Uint8Array): Promise<void> {
    const suite = this.suite!;
    const h = suite.prfHash;
    const s = this.schedule!;
    const expected = await finished13(this.p, h, s.serverHandshakeTrafficSecret, await this.hashOf(h));
    if (!bytesEqual(expected, verifyData)) throw failure('decrypt_error', 'server Finished verify_data does not match');
    this.transcript.push(raw);
    const full = await tls13Schedule(this.p, { hash: h, sharedSecret: this.sharedSecret, serverHelloHash: this.serverHelloHash, serverFinishedHash: await this.hashOf(h) });
    this.schedule = full;
    const len = tls13KeyLength(suite);
    const cApp = full.clientApplicationTrafficSecret0!;
    const sApp = full.serverApplicationTrafficSecret0!;
    this.log('CLIENT_TRAFFIC_SECRET_0', this.random, cApp);
    this.log('SERVER_TRAFFIC_SECRET_0', this.random, sApp);
    this.log('EXPORTER_SECRET', this.random, full.exporterMasterSecret!);
    this.readDir = new RecordDirection(await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, sApp, len))));
    if (this.sessionId.length > 0) await this.sendCcs();
    const id = this.config.identity;
    if (this.certRequest) {
      const chain = id ? id.chain : [];
      await this.sendHandshake({ type: 'certificate', form: 'tls13', context: this.certRequest.context, entries: chain.map((data) => ({ data, extensions: [] })) });
      if (chain.length > 0 && id) {
        const scheme = pickScheme(this.schemes, this.certRequest.schemes, id.spki, true);
        if (scheme === undefined) throw failure('handshake_failure', 'no signature scheme in the CertificateRequest fits the client key');
        const sig = await sign(this.p, await this.signingKey(scheme), certificateVerifyContent13('client', await this.hashOf(h)));
        this.clientScheme = scheme;
        await this.sendHandshake({ type: 'certificate_verify', scheme, signature: sig });
      }
    }
    const vd = await finished13(this.p, h, s.clientHandshakeTrafficSecret, await this.hashOf(h));
    await this.sendHandshake({ type: 'finished', verifyData: vd });
    this.writeDir = new RecordDirection(await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, cApp, len))));
    this.master = full.masterSecret;
    this.finish();
  }

  private finish(): void {
    const session: SessionInfo = {
      version: this.version!,
      cipherSuite: this.suite!.code,
      extendedMasterSecret: this.ems,
      encryptThenMac: this.etm,
      peerCertificates: this.serverChain,
      masterSecret: this.master,
    };
    if (this.group !== undefined) session.group = this.group;
    if (this.serverScheme !== undefined) session.serverScheme = this.serverScheme;
    if (this.clientScheme !== undefined) session.clientScheme = this.clientScheme;
    if (this.alpn !== undefined) session.alpn = this.alpn;
    this.complete(session);
  }
}
