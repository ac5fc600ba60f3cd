/**
 * TLS server state machine (same coverage as the client).
 *
 * States: WAIT_CLIENT_HELLO, then
 *   1.2: (flight SH..SHD) -> WAIT_CLIENT_CERTIFICATE (when requested) -> WAIT_CLIENT_KEY_EXCHANGE
 *        -> WAIT_CERTIFICATE_VERIFY (client cert given) -> WAIT_CCS -> WAIT_FINISHED -> CONNECTED
 *   1.3: (flight SH [CCS] EE [CR] Cert CV Fin) -> WAIT_CLIENT_CERTIFICATE (when requested)
 *        -> WAIT_CERTIFICATE_VERIFY (client cert given) -> WAIT_FINISHED -> CONNECTED (NewSessionTicket sent)
 */
import { type Extension, extensionBody, findExtension } from '../wire/extensions';
import { type ClientHello, encodeBody, type HandshakeBody } from '../wire/handshake';
import { bytesEqual } from '../wire/hex';
import { type CipherSuiteInfo, DOWNGRADE_TLS12, ExtensionType, SCSV } from '../wire/registry';
import {
  certificateVerifyContent12,
  certificateVerifyContent13,
  createRecordProtection,
  decryptPremaster,
  deriveEcdh,
  ecdhGroupOf,
  extendedMasterSecret,
  finished12,
  finished13,
  keyBlock,
  masterSecret,
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
} from './crypto-imports';
import { type ClientAuthMode, DEFAULT_GROUPS, DEFAULT_SCHEMES, DEFAULT_SUITES, type ServerConfig } from './config';
import { Endpoint, failure, keyKindOf, leafSpki, pickScheme } from './core';
import { engineSuite } from './suites';
import type { SessionInfo, StepResult } from './types';

const enc = new TextEncoder();
const dec = new TextDecoder();

export class TlsServer extends Endpoint {
  private readonly versions: number[];
  private readonly suites: number[];
  private readonly groups: number[];
  private readonly schemes: number[];
  private readonly clientAuth: ClientAuthMode;
  readonly random: Uint8Array;
  private clientRandom: Uint8Array = new Uint8Array(0);
  private clientLegacyVersion = 0;
  private suite: CipherSuiteInfo | undefined;
  private group: number | undefined;
  private serverScheme: number | undefined;
  private clientScheme: number | undefined;
  private ems = false;
  private etm = false;
  private alpn: string | undefined;
  private master: Uint8Array = new Uint8Array(0);
  private clientChain: Uint8Array[] = [];
  private clientSpki: Uint8Array | undefined;
  private ecdhPrivate: { group: number; privateKey: Uint8Array } | undefined;
  private pendingRead: RecordDirection | undefined;
  private pendingWrite: RecordDirection | undefined;
  private schedule: Tls13Schedule | undefined;
  private certRequestContext = new Uint8Array(0);
  private requested = false;
  /** Why a TLS 1.2 RSA premaster was replaced by random bytes (RFC 5246 §7.4.7.1), if it was. */
  premasterFailure: string | undefined;

  constructor(readonly config: ServerConfig) {
    super('server', config, 'WAIT_CLIENT_HELLO');
    this.versions = config.versions ?? [0x0304, 0x0303];
    this.suites = (config.cipherSuites ?? [...DEFAULT_SUITES]).filter((c) => engineSuite(c) !== undefined);
    this.groups = config.groups ?? [...DEFAULT_GROUPS];
    this.schemes = config.signatureSchemes ?? [...DEFAULT_SCHEMES];
    this.clientAuth = config.clientAuth ?? 'none';
    this.random = (config.random ?? randomBytes(this.p, 32)).slice();
  }

  /** The server sends nothing first; provided for symmetry with the client. */
  async start(): Promise<StepResult> {
    return this.flush();
  }

  protected async onHandshake(body: HandshakeBody, raw: Uint8Array): Promise<void> {
    if (this.connected) throw this.unexpected(`post-handshake ${body.type}`);
    switch (this.state) {
      case 'WAIT_CLIENT_HELLO':
        if (body.type !== 'client_hello') throw this.unexpected(body.type);
        return this.onClientHello(body, raw);
      case 'WAIT_CLIENT_CERTIFICATE':
        if (body.type !== 'certificate') throw this.unexpected(body.type);
        return this.onClientCertificate(body, raw);
      case 'WAIT_CLIENT_KEY_EXCHANGE':
        if (body.type !== 'client_key_exchange') throw this.unexpected(body.type);
        return this.onClientKeyExchange(body, raw);
      case 'WAIT_CERTIFICATE_VERIFY':
        if (body.type !== 'certificate_verify') throw this.unexpected(body.type);
        return this.onCertificateVerify(body.scheme, body.signature, raw);
      case 'WAIT_FINISHED':
        if (body.type !== 'finished') throw this.unexpected(body.type);
        return this.version === 0x0304 ? this.onFinished13(body.verifyData, raw) : this.onFinished12(body.verifyData, raw);
      default:
        throw this.unexpected(body.type);
    }
  }

  private chooseAlpn(exts: readonly Extension[] | undefined): Extension | undefined {
    const a = extensionBody(exts, ExtensionType.application_layer_protocol_negotiation, 'application_layer_protocol_negotiation');
    if (!a || !this.config.alpn?.length) return undefined;
    const offered = a.protocols.map((p) => dec.decode(p));
    const pick = this.config.alpn.find((p) => offered.includes(p));
    if (pick === undefined) throw failure('no_application_protocol', `no common ALPN protocol (client offered ${offered.join(', ')})`);
    this.alpn = pick;
    return { type: ExtensionType.application_layer_protocol_negotiation, body: { kind: 'application_layer_protocol_negotiation', protocols: [enc.encode(pick)] } };
  }

  private async onClientHello(ch: ClientHello, raw: Uint8Array): Promise<void> {
    this.transcript.push(raw);
    this.clientRandom = ch.random;
    this.clientLegacyVersion = ch.legacyVersion;
    if (!ch.compressionMethods.includes(0)) throw failure('illegal_parameter', 'ClientHello does not offer the null compression method');
    const sv = extensionBody(ch.extensions, ExtensionType.supported_versions, 'supported_versions_client');
    let version: number | undefined;
    if (sv) version = this.versions.find((v) => sv.versions.includes(v));
    else if (ch.legacyVersion >= 0x0303 && this.versions.includes(0x0303)) version = 0x0303;
    if (version === undefined) throw failure('protocol_version', 'no common protocol version');
    this.version = version;
    const sigs = extensionBody(ch.extensions, ExtensionType.signature_algorithms, 'signature_algorithms')?.schemes ?? [];
    const groups = extensionBody(ch.extensions, ExtensionType.supported_groups, 'supported_groups')?.groups ?? [];
    if (version === 0x0304) return this.clientHello13(ch, sigs);
    return this.clientHello12(ch, sigs, groups);
  }

  private async clientHello12(ch: ClientHello, sigs: number[], clientGroups: number[]): Promise<void> {
    const id = this.config.identity;
    const kind = keyKindOf(id.spki);
    const group = this.groups.find((g) => clientGroups.length === 0 || clientGroups.includes(g));
    const scheme = pickScheme(this.schemes, sigs, id.spki, false);
    const suite = this.suites
      .map((c) => engineSuite(c)!)
      .find((s) => {
        if (!ch.cipherSuites.includes(s.code) || s.kex === 'TLS13') return false;
        if (s.kex === 'RSA') return kind === 'rsa';
        if (group === undefined || scheme === undefined) return false;
        return s.kex === 'ECDHE_RSA' ? kind === 'rsa' : kind === 'ec-p256' || kind === 'ec-p384';
      });
    if (!suite) throw failure('handshake_failure', 'no common TLS 1.2 cipher suite for this certificate');
    this.suite = suite;
    this.kex = suite.kex;
    if (this.versions.includes(0x0304)) this.random.set(DOWNGRADE_TLS12, 24);
    const isCbc = suite.cipher === 'AES_128_CBC' || suite.cipher === 'AES_256_CBC';
    this.ems = (this.config.extendedMasterSecret ?? true) && findExtension(ch.extensions, ExtensionType.extended_master_secret) !== undefined;
    this.etm = isCbc && (this.config.encryptThenMac ?? true) && findExtension(ch.extensions, ExtensionType.encrypt_then_mac) !== undefined;
    const exts: Extension[] = [];
    if (findExtension(ch.extensions, ExtensionType.renegotiation_info) || ch.cipherSuites.includes(SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV))
      exts.push({ type: ExtensionType.renegotiation_info, body: { kind: 'renegotiation_info', renegotiatedConnection: new Uint8Array(0) } });
    if (this.ems) exts.push({ type: ExtensionType.extended_master_secret, body: { kind: 'empty' } });
    if (this.etm) exts.push({ type: ExtensionType.encrypt_then_mac, body: { kind: 'empty' } });
    if (suite.kex !== 'RSA' && findExtension(ch.extensions, ExtensionType.ec_point_formats)) exts.push({ type: ExtensionType.ec_point_formats, body: { kind: 'ec_point_formats', formats: [0] } });
    const alpn = this.chooseAlpn(ch.extensions);
    if (alpn) exts.push(alpn);
    await this.sendHandshake({ type: 'server_hello', legacyVersion: 0x0303, random: this.random, sessionId: new Uint8Array(0), cipherSuite: suite.code, compressionMethod: 0, extensions: exts });
    await this.sendHandshake({ type: 'certificate', form: 'tls12', certificates: id.chain });
    if (suite.kex !== 'RSA') {
      const kp = await this.ecdhKeyPair(group!);
      this.group = group!;
      this.ecdhPrivate = { group: group!, privateKey: kp.privateKey };
      const unsigned = { type: 'server_key_exchange' as const, kex: 'ecdhe' as const, curveType: 3, namedCurve: group!, publicKey: kp.publicKey };
      const params = encodeBody(unsigned).subarray(4);
      const signature = await sign(this.p, await this.signingKey(scheme!), serverKeyExchangeContent12(this.clientRandom, this.random, params));
      this.serverScheme = scheme!;
      await this.sendHandshake({ ...unsigned, signed: { scheme: scheme!, signature } });
    }
    if (this.clientAuth !== 'none') {
      this.requested = true;
      await this.sendHandshake({ type: 'certificate_request', form: 'tls12', certificateTypes: [1, 64], signatureAlgorithms: this.schemes, certificateAuthorities: [] });
    }
    await this.sendHandshake({ type: 'server_hello_done' });
    this.setState(this.requested ? 'WAIT_CLIENT_CERTIFICATE' : 'WAIT_CLIENT_KEY_EXCHANGE');
  }

  private async clientHello13(ch: ClientHello, sigs: number[]): Promise<void> {
    const id = this.config.identity;
    const suite = this.suites.map((c) => engineSuite(c)!).find((s) => s.kex === 'TLS13' && ch.cipherSuites.includes(s.code));
    if (!suite) throw failure('handshake_failure', 'no common TLS 1.3 cipher suite');
    this.suite = suite;
    this.kex = 'TLS13';
    const ks = extensionBody(ch.extensions, ExtensionType.key_share, 'key_share_client');
    if (!ks) throw failure('missing_extension', 'TLS 1.3 ClientHello without key_share');
    const share = this.groups.map((g) => ks.shares.find((s) => s.group === g && ecdhGroupOf(g) !== undefined)).find((s) => s !== undefined);
    if (!share) throw failure('handshake_failure', 'no key share for a common group (HelloRetryRequest is not implemented)');
    const scheme = pickScheme(this.schemes, sigs, id.spki, true);
    if (scheme === undefined) throw failure('handshake_failure', 'no common signature scheme for this certificate');
    const kp = await this.ecdhKeyPair(share.group);
    const shared = await deriveEcdh(this.p, kp.group, kp.privateKey, share.keyExchange);
    if (!shared.ok) throw failure('illegal_parameter', `client key share: ${shared.reason}${shared.detail ? ` (${shared.detail})` : ''}`);
    this.group = share.group;
    const exts: Extension[] = [
      { type: ExtensionType.supported_versions, body: { kind: 'supported_versions_server', version: 0x0304 } },
      { type: ExtensionType.key_share, body: { kind: 'key_share_server', share: { group: share.group, keyExchange: kp.publicKey } } },
    ];
    await this.sendHandshake({ type: 'server_hello', legacyVersion: 0x0303, random: this.random, sessionId: ch.sessionId, cipherSuite: suite.code, compressionMethod: 0, extensions: exts });
    if (ch.sessionId.length > 0 && (this.config.middleboxCompat ?? true)) await this.sendCcs();
    const h = suite.prfHash;
    const len = tls13KeyLength(suite);
    const shHash = await this.hashOf(h);
    let s = await tls13Schedule(this.p, { hash: h, sharedSecret: shared.value, serverHelloHash: shHash });
    this.log('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.clientRandom, s.clientHandshakeTrafficSecret);
    this.log('SERVER_HANDSHAKE_TRAFFIC_SECRET', this.clientRandom, s.serverHandshakeTrafficSecret);
    this.writeDir = new RecordDirection(await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, s.serverHandshakeTrafficSecret, len))));
    this.readDir = new RecordDirection(await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, s.clientHandshakeTrafficSecret, len))));
    const ee: Extension[] = [];
    const alpn = this.chooseAlpn(ch.extensions);
    if (alpn) ee.push(alpn);
    await this.sendHandshake({ type: 'encrypted_extensions', extensions: ee });
    if (this.clientAuth !== 'none') {
      this.requested = true;
      await this.sendHandshake({
        type: 'certificate_request',
        form: 'tls13',
        context: this.certRequestContext,
        extensions: [{ type: ExtensionType.signature_algorithms, body: { kind: 'signature_algorithms', schemes: this.schemes } }],
      });
    }
    await this.sendHandshake({ type: 'certificate', form: 'tls13', context: new Uint8Array(0), entries: id.chain.map((data) => ({ data, extensions: [] })) });
    const signature = await sign(this.p, await this.signingKey(scheme), certificateVerifyContent13('server', await this.hashOf(h)));
    this.serverScheme = scheme;
    await this.sendHandshake({ type: 'certificate_verify', scheme, signature });
    await this.sendHandshake({ type: 'finished', verifyData: await finished13(this.p, h, s.serverHandshakeTrafficSecret, await this.hashOf(h)) });
    s = await tls13Schedule(this.p, { hash: h, sharedSecret: shared.value, serverHelloHash: shHash, serverFinishedHash: await this.hashOf(h) });
    this.schedule = s;
    this.log('CLIENT_TRAFFIC_SECRET_0', this.clientRandom, s.clientApplicationTrafficSecret0!);
    this.log('SERVER_TRAFFIC_SECRET_0', this.clientRandom, s.serverApplicationTrafficSecret0!);
    this.log('EXPORTER_SECRET', this.clientRandom, s.exporterMasterSecret!);
    // RFC 8446 §4.4.4: the server writes with its application keys right after its Finished.
    this.writeDir = new RecordDirection(await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, s.serverApplicationTrafficSecret0!, len))));
    this.pendingRead = new RecordDirection(await createRecordProtection(this.p, tls13Params(suite, await trafficKeys(this.p, h, s.clientApplicationTrafficSecret0!, len))));
    this.master = s.masterSecret;
    this.setState(this.requested ? 'WAIT_CLIENT_CERTIFICATE' : 'WAIT_FINISHED');
  }

  private async onClientCertificate(body: Extract<HandshakeBody, { type: 'certificate' }>, raw: Uint8Array): Promise<void> {
    let chain: Uint8Array[];
    if (body.form === 'tls13') {
      if (!bytesEqual(body.context, this.certRequestContext)) throw failure('illegal_parameter', 'client Certificate context differs from the CertificateRequest');
      chain = body.entries.map((e) => e.data);
    } else chain = body.certificates;
    this.transcript.push(raw);
    const tls13 = this.version === 0x0304;
    if (chain.length === 0) {
      if (this.clientAuth === 'require') throw failure(tls13 ? 'certificate_required' : 'handshake_failure', 'client sent no certificate but one is required');
      this.setState(tls13 ? 'WAIT_FINISHED' : 'WAIT_CLIENT_KEY_EXCHANGE');
      return;
    }
    this.clientSpki = leafSpki(chain);
    await this.checkPeerChain(chain, 'client');
    this.clientChain = chain;
    this.setState(tls13 ? 'WAIT_CERTIFICATE_VERIFY' : 'WAIT_CLIENT_KEY_EXCHANGE');
  }

  private async onClientKeyExchange(body: Extract<HandshakeBody, { type: 'client_key_exchange' }>, raw: Uint8Array): Promise<void> {
    let premaster: Uint8Array;
    if (body.kex === 'rsa') {
      const r = await decryptPremaster(this.p, this.config.identity.pkcs8, body.encryptedPreMasterSecret, this.clientLegacyVersion);
      if (r.ok) premaster = r.value;
      else {
        // RFC 5246 §7.4.7.1: continue with a random premaster; the Finished check then fails.
        this.premasterFailure = `${r.reason}${r.detail ? `: ${r.detail}` : ''}`;
        premaster = randomBytes(this.p, 48);
      }
    } else if (body.kex === 'ecdhe') {
      const e = this.ecdhPrivate!;
      const g = ecdhGroupOf(e.group)!;
      const shared = await deriveEcdh(this.p, g, e.privateKey, body.publicKey);
      if (!shared.ok) throw failure('illegal_parameter', `client ECDH public value: ${shared.reason}${shared.detail ? ` (${shared.detail})` : ''}`);
      premaster = shared.value;
    } else throw failure('decode_error', 'ClientKeyExchange does not fit the key exchange');
    this.transcript.push(raw);
    const suite = this.suite!;
    const h = suite.prfHash;
    this.master = this.ems ? await extendedMasterSecret(this.p, h, premaster, await this.hashOf(h)) : await masterSecret(this.p, h, premaster, this.clientRandom, this.random);
    this.log('CLIENT_RANDOM', this.clientRandom, this.master);
    const kb = await keyBlock(this.p, suite, this.master, this.clientRandom, this.random);
    this.pendingRead = new RecordDirection(await createRecordProtection(this.p, tls12Params(suite, kb, 'client', this.etm)));
    this.pendingWrite = new RecordDirection(await createRecordProtection(this.p, tls12Params(suite, kb, 'server', this.etm)));
    this.setState(this.clientChain.length > 0 ? 'WAIT_CERTIFICATE_VERIFY' : 'WAIT_CCS');
  }

  private async onCertificateVerify(scheme: number, signature: Uint8Array, raw: Uint8Array): Promise<void> {
    const tls13 = this.version === 0x0304;
    if (!this.schemes.includes(scheme)) throw failure('illegal_parameter', `client CertificateVerify scheme 0x${scheme.toString(16)} was not requested`);
    if (tls13 && (scheme & 0xff) === 0x01) throw failure('illegal_parameter', 'RSASSA-PKCS1-v1_5 in a TLS 1.3 CertificateVerify');
    const content = tls13 ? certificateVerifyContent13('client', await this.hashOf(this.suite!.prfHash)) : certificateVerifyContent12(this.transcript);
    const v = await verifySignature(this.p, scheme, this.clientSpki!, content, signature, { version: tls13 ? 13 : 12 });
    if (!v.ok) throw failure(v.reason === 'bad_signature' ? 'decrypt_error' : 'illegal_parameter', `client CertificateVerify: ${v.reason}${v.detail ? ` (${v.detail})` : ''}`);
    this.transcript.push(raw);
    this.clientScheme = scheme;
    this.setState(tls13 ? 'WAIT_FINISHED' : 'WAIT_CCS');
  }

  protected async onChangeCipherSpec(): Promise<void> {
    if (this.state !== 'WAIT_CCS' || !this.pendingRead) throw this.unexpected('change_cipher_spec');
    this.readDir = this.pendingRead;
    this.pendingRead = undefined;
    this.setState('WAIT_FINISHED');
  }

  private async onFinished12(verifyData: Uint8Array, raw: Uint8Array): Promise<void> {
    const h = this.suite!.prfHash;
    const expected = await finished12(this.p, h, this.master, 'client', await this.hashOf(h));
    if (!bytesEqual(expected, verifyData)) throw failure('decrypt_error', 'client Finished verify_data does not match');
    this.transcript.push(raw);
    await this.sendCcs();
    this.writeDir = this.pendingWrite;
    this.pendingWrite = undefined;
    await this.sendHandshake({ type: 'finished', verifyData: await finished12(this.p, h, this.master, 'server', await this.hashOf(h)) });
    this.finish();
  }

  private async onFinished13(verifyData: Uint8Array, raw: Uint8Array): Promise<void> {
    const h = this.suite!.prfHash;
    const s = this.schedule!;
    const expected = await finished13(this.p, h, s.clientHandshakeTrafficSecret, await this.hashOf(h));
    if (!bytesEqual(expected, verifyData)) throw failure('decrypt_error', 'client Finished verify_data does not match');
    this.transcript.push(raw);
    this.readDir = this.pendingRead;
    this.pendingRead = undefined;
    this.finish();
    const n = this.config.newSessionTickets ?? 1;
    for (let i = 0; i < n; i++) {
      // The ticket is opaque random bytes: resumption is not implemented, no PSK is kept.
      const ageAdd = randomBytes(this.p, 4);
      await this.sendHandshakeNoTranscript({
        type: 'new_session_ticket',
        form: 'tls13',
        lifetime: 7200,
        ageAdd: new DataView(ageAdd.buffer).getUint32(0),
        nonce: Uint8Array.of(i),
        ticket: randomBytes(this.p, 32),
        extensions: [],
      });
    }
  }

  private async sendHandshakeNoTranscript(body: HandshakeBody): Promise<void> {
    const before = this.transcript.length;
    await this.sendHandshake(body);
    this.transcript.splice(before);
  }

  private finish(): void {
    const session: SessionInfo = {
      version: this.version!,
      cipherSuite: this.suite!.code,
      extendedMasterSecret: this.ems,
      encryptThenMac: this.etm,
      peerCertificates: this.clientChain,
      masterSecret: this.master,
    };
    if (this.group !== undefined) session.group = this.group;
    if (this.serverScheme !== undefined) session.serverScheme = this.serverScheme;
    if (this.clientScheme !== undefined) session.clientScheme = this.clientScheme;
    if (this.alpn !== undefined) session.alpn = this.alpn;
    this.complete(session);
  }
}
