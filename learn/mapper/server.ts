/**
 * Our server's mapper, for learning a client target. The client speaks
 * first: its ClientHello (the reset's greeting) gives the random, the
 * offered suites, groups, key shares and extensions the mapper answers
 * from. Each abstract input is built from the session as it is now:
 *
 * - TLS 1.2: the ServerHello picks our first preferred suite the client
 *   offered (ECDHE when it can) and echoes extended_master_secret and
 *   renegotiation_info; the ServerKeyExchange signs a fresh ECDHE key over
 *   both randoms; the client's ClientKeyExchange gives the premaster and
 *   the master secret (extended when agreed, RFC 7627); our CCS switches our
 *   write keys, the client's its read keys; our Finished is computed over
 *   the transcript so far.
 * - TLS 1.3: the ServerHello answers the client's key share (the handshake
 *   secrets switch both directions at once); our Finished gives the
 *   application secrets (our write keys switch then, the read keys after
 *   the client's Finished); a HelloRetryRequest asks for another group and
 *   makes the client's next ClientHello the second one.
 */
import {
  certificateVerifyContent12,
  certificateVerifyContent13,
  createRecordProtection,
  deriveEcdh,
  ecdhGroupOf,
  type EcdhKeyPair,
  extendedMasterSecret,
  finished12,
  finished13,
  generateEcdhKeyPair,
  importSigningKey,
  keyBlock,
  masterSecret,
  nextTrafficSecret,
  randomBytes,
  RecordDirection,
  serverKeyExchangeContent12,
  sign,
  tls12Params,
  tls13KeyLength,
  tls13Params,
  type Tls13Schedule,
  tls13Schedule,
  trafficKeys,
} from '../../crypto';
import { keyKindOf, pickScheme } from '../../engine/core';
import { engineSuite } from '../../engine/suites';
import { type Extension, extensionBody, findExtension } from '../../wire/extensions';
import { type ClientHello, encodeBody, type HandshakeBody, serverKeyExchangeParamsLength } from '../../wire/handshake';
import { concatBytes } from '../../wire/hex';
import { CCS_FRAGMENT } from '../../wire/record';
import { type CipherSuiteInfo, ClientCertificateType, ContentType, ExtensionType, HRR_RANDOM, SCSV } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import { INPUT_INFO, type InputSymbol } from '../alphabet';
import { flipped, MapperError, MapperSession, ZERO_MASTER, ZERO_RANDOM } from './session';

export class ServerMapper extends MapperSession {
  private ch: ClientHello | undefined;
  private clientRandom: Uint8Array = ZERO_RANDOM;
  private serverRandom: Uint8Array = ZERO_RANDOM;
  private suite: CipherSuiteInfo | undefined;
  private ems = false;
  private ecdhe: EcdhKeyPair | undefined;
  private master: Uint8Array | undefined;
  private certRequestContext: Uint8Array = new Uint8Array(0);
  private verifyData: { client?: Uint8Array; server?: Uint8Array } = {};
  private ourFinished = false;
  private theirFinished = false;
  // TLS 1.3
  private hrrSent = false;
  private schedule: Tls13Schedule | undefined;
  private sharedSecret: Uint8Array | undefined;
  private serverHelloHash: Uint8Array | undefined;
  private app: { client: Uint8Array; server: Uint8Array } | undefined;
  private writeApp: Uint8Array | undefined;
  private readApp: Uint8Array | undefined;

  get connected(): boolean {
    return this.ourFinished && this.theirFinished;
  }

  /** Whether the client's ClientHello has come (the greeting of every connection). */
  get greeted(): boolean {
    return this.ch !== undefined;
  }

  private get hash(): 'SHA-256' | 'SHA-384' {
    return (this.suite ?? this.chooseSuite()).prfHash;
  }

  private clientGroups(): number[] {
    return extensionBody(this.ch?.extensions, ExtensionType.supported_groups, 'supported_groups')?.groups ?? [];
  }

  private clientSchemes(): number[] {
    return (
      extensionBody(this.ch?.extensions, ExtensionType.signature_algorithms, 'signature_algorithms')?.schemes ?? [
        ...this.cfg.schemes,
      ]
    );
  }

  private clientShares(): Array<{ group: number; keyExchange: Uint8Array }> {
    return extensionBody(this.ch?.extensions, ExtensionType.key_share, 'key_share_client')?.shares ?? [];
  }

  /** Our first preferred suite of this version the client offered and our key can serve (else our first). */
  private chooseSuite(): CipherSuiteInfo {
    const id = this.cfg.identity;
    const kind = id ? keyKindOf(id.spki) : 'rsa';
    const fits = (s: CipherSuiteInfo): boolean =>
      this.tls13 ? s.kex === 'TLS13' : s.kex === 'ECDHE_RSA' ? kind === 'rsa' : s.kex === 'ECDHE_ECDSA' ? kind !== 'rsa' : false;
    const ours = this.cfg.suites.map((c) => engineSuite(c)).filter((s): s is CipherSuiteInfo => s !== undefined && fits(s));
    const offered = this.ch?.cipherSuites ?? [];
    const pick = ours.find((s) => offered.includes(s.code)) ?? ours[0];
    if (!pick) throw new MapperError(`no TLS ${this.cfg.version} suite configured for our key`);
    return pick;
  }

  async send(input: InputSymbol): Promise<void> {
    const info = INPUT_INFO[input];
    if (info.alert) return this.emitAlert(info.alert.name, info.alert.fatal);
    switch (input) {
      case 'server_hello':
        return this.tls13 ? this.serverHello13() : this.serverHello12();
      case 'hello_retry_request':
        return this.helloRetryRequest();
      case 'encrypted_extensions':
        return this.emitHandshake(encodeBody({ type: 'encrypted_extensions', extensions: [] }));
      case 'certificate':
      case 'certificate(empty)':
        return this.certificate(input === 'certificate(empty)');
      case 'server_key_exchange':
        return this.serverKeyExchange();
      case 'certificate_request':
        return this.certificateRequest();
      case 'server_hello_done':
        return this.emitHandshake(encodeBody({ type: 'server_hello_done' }));
      case 'certificate_verify':
      case 'certificate_verify(bad)':
        return this.certificateVerify(input === 'certificate_verify(bad)');
      case 'change_cipher_spec':
        return this.changeCipherSpec();
      case 'finished':
      case 'finished(bad)':
        return this.tls13 ? this.finished13(input === 'finished(bad)') : this.finished12(input === 'finished(bad)');
      case 'application_data':
        return this.emit(ContentType.application_data, this.cfg.appData);
      case 'application_data(empty)':
        return this.emit(ContentType.application_data, new Uint8Array(0));
      case 'hello_request':
        return this.emitHandshake(encodeBody({ type: 'hello_request' }), false);
      case 'new_session_ticket':
        return this.newSessionTicket();
      case 'key_update':
        return this.keyUpdate();
      default:
        throw new MapperError(`${input} is not an input of our server`);
    }
  }

  // ---------------------------------------------------------------- TLS 1.2

  private async serverHello12(): Promise<void> {
    const ch = this.ch;
    this.suite = this.chooseSuite();
    this.kex = this.suite.kex;
    this.serverRandom = randomBytes(this.p, 32);
    this.ems = !!findExtension(ch?.extensions, ExtensionType.extended_master_secret);
    const exts: Extension[] = [];
    if (
      findExtension(ch?.extensions, ExtensionType.renegotiation_info) ||
      ch?.cipherSuites.includes(SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
    ) {
      // RFC 5746 §3.6 / §3.7: empty in the initial handshake, both verify_data in a renegotiation.
      const reneg =
        this.verifyData.client && this.verifyData.server
          ? concatBytes([this.verifyData.client, this.verifyData.server])
          : new Uint8Array(0);
      exts.push({ type: ExtensionType.renegotiation_info, body: { kind: 'renegotiation_info', renegotiatedConnection: reneg } });
    }
    if (this.ems) exts.push({ type: ExtensionType.extended_master_secret, body: { kind: 'empty' } });
    if (findExtension(ch?.extensions, ExtensionType.ec_point_formats))
      exts.push({ type: ExtensionType.ec_point_formats, body: { kind: 'ec_point_formats', formats: [0] } });
    await this.emitHandshake(
      encodeBody({
        type: 'server_hello',
        legacyVersion: VERSION_CODE['1.2'],
        random: this.serverRandom,
        sessionId: new Uint8Array(0),
        cipherSuite: this.suite.code,
        compressionMethod: 0,
        extensions: exts,
      }),
    );
  }

  private async certificate(empty: boolean): Promise<void> {
    const chain = empty ? [] : (this.cfg.identity?.chain ?? []);
    const body: HandshakeBody = this.tls13
      ? {
          type: 'certificate',
          form: 'tls13',
          context: new Uint8Array(0),
          entries: chain.map((data) => ({ data, extensions: [] })),
        }
      : { type: 'certificate', form: 'tls12', certificates: chain };
    await this.emitHandshake(encodeBody(body));
  }

  private async signature(content: Uint8Array, bad = false): Promise<{ scheme: number; signature: Uint8Array }> {
    const id = this.cfg.identity;
    if (!id) throw new MapperError('our server needs an identity');
    const scheme =
      pickScheme(this.cfg.schemes, this.clientSchemes(), id.spki, this.tls13) ??
      pickScheme(this.cfg.schemes, this.cfg.schemes, id.spki, this.tls13);
    if (scheme === undefined) throw new MapperError('no signature scheme fits our key');
    const key = await importSigningKey(this.p, scheme, id.pkcs8, id.spki);
    return { scheme, signature: await sign(this.p, key, bad ? Uint8Array.from([...content, 0x01]) : content) };
  }

  private async serverKeyExchange(): Promise<void> {
    const clientGroups = this.clientGroups();
    const code = this.cfg.groups.find((g) => clientGroups.includes(g) && ecdhGroupOf(g)) ?? this.cfg.groups[0]!;
    const g = ecdhGroupOf(code);
    if (!g) throw new MapperError(`group 0x${code.toString(16)} is not implemented`);
    this.ecdhe = await generateEcdhKeyPair(this.p, g);
    const unsigned: HandshakeBody = {
      type: 'server_key_exchange',
      kex: 'ecdhe',
      curveType: 3,
      namedCurve: code,
      publicKey: this.ecdhe.publicKey,
    };
    const params = encodeBody(unsigned).subarray(4, 4 + serverKeyExchangeParamsLength(unsigned));
    const s = await this.signature(serverKeyExchangeContent12(this.clientRandom, this.serverRandom, params));
    await this.emitHandshake(encodeBody({ ...unsigned, signed: s }));
  }

  private async certificateRequest(): Promise<void> {
    const body: HandshakeBody = this.tls13
      ? {
          type: 'certificate_request',
          form: 'tls13',
          context: this.certRequestContext,
          extensions: [
            { type: ExtensionType.signature_algorithms, body: { kind: 'signature_algorithms', schemes: [...this.cfg.schemes] } },
          ],
        }
      : {
          type: 'certificate_request',
          form: 'tls12',
          certificateTypes: [ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign],
          signatureAlgorithms: [...this.cfg.schemes],
          certificateAuthorities: [],
        };
    await this.emitHandshake(encodeBody(body));
  }

  private async certificateVerify(bad: boolean): Promise<void> {
    const content = this.tls13
      ? certificateVerifyContent13('server', await this.hashOf(this.hash))
      : certificateVerifyContent12(this.transcript);
    const s = await this.signature(content, bad);
    await this.emitHandshake(encodeBody({ type: 'certificate_verify', scheme: s.scheme, signature: s.signature }));
  }

  private async pendingDirection(writer: 'client' | 'server'): Promise<RecordDirection> {
    const suite = this.suite ?? this.chooseSuite();
    const kb = await keyBlock(this.p, suite, this.master ?? ZERO_MASTER, this.clientRandom, this.serverRandom);
    return new RecordDirection(await createRecordProtection(this.p, tls12Params(suite, kb, writer, false)));
  }

  private async changeCipherSpec(): Promise<void> {
    if (this.tls13) return this.emit(ContentType.change_cipher_spec, CCS_FRAGMENT, true);
    await this.emit(ContentType.change_cipher_spec, CCS_FRAGMENT);
    this.write = await this.pendingDirection('server');
  }

  private async finished12(bad: boolean): Promise<void> {
    const h = this.hash;
    const vd = await finished12(this.p, h, this.master ?? ZERO_MASTER, 'server', await this.hashOf(h));
    await this.emitHandshake(encodeBody({ type: 'finished', verifyData: bad ? flipped(vd) : vd }));
    this.verifyData.server = vd;
    this.ourFinished = true;
  }

  private async newSessionTicket(): Promise<void> {
    const ticket = randomBytes(this.p, 32);
    const body: HandshakeBody = this.tls13
      ? { type: 'new_session_ticket', form: 'tls13', lifetime: 7200, ageAdd: 0, nonce: Uint8Array.of(0), ticket, extensions: [] }
      : { type: 'new_session_ticket', form: 'tls12', lifetimeHint: 7200, ticket };
    await this.emitHandshake(encodeBody(body), !this.tls13);
  }

  protected async onChangeCipherSpec(): Promise<void> {
    this.read = await this.pendingDirection('client');
  }

  protected async onHandshake(body: HandshakeBody | undefined, raw: Uint8Array): Promise<void> {
    if (!body) return;
    switch (body.type) {
      case 'client_hello':
        return this.onClientHello(body, raw);
      case 'client_key_exchange':
        return this.onClientKeyExchange(body);
      case 'finished':
        this.theirFinished = true;
        this.verifyData.client = body.verifyData;
        if (this.tls13 && this.app && this.suite) {
          this.readApp = this.app.client;
          this.read = await this.direction13(this.suite, this.app.client);
        }
        return;
      case 'key_update':
        if (this.tls13 && this.suite && this.readApp) {
          this.readApp = await nextTrafficSecret(this.p, this.suite.prfHash, this.readApp);
          this.read = await this.direction13(this.suite, this.readApp);
        }
        return;
      default:
        return;
    }
  }

  private async onClientHello(ch: ClientHello, raw: Uint8Array): Promise<void> {
    if (this.tls13 && this.hrrSent && this.ch && !this.schedule) {
      // ClientHello2: the transcript goes on (ClientHello1, HelloRetryRequest, ClientHello2)
      this.ch = ch;
      return;
    }
    // a first ClientHello, or a renegotiation (TLS 1.2): a new handshake with this hello first
    this.ch = ch;
    this.clientRandom = ch.random;
    this.transcript = [raw];
    this.helloRetry = false;
    this.hrrSent = false;
    this.ourFinished = false;
    this.theirFinished = false;
    this.master = undefined;
  }

  private async onClientKeyExchange(body: Extract<HandshakeBody, { type: 'client_key_exchange' }>): Promise<void> {
    const suite = this.suite ?? this.chooseSuite();
    const h = suite.prfHash;
    let premaster: Uint8Array = new Uint8Array(32);
    if (body.kex === 'ecdhe' && this.ecdhe) {
      const shared = await deriveEcdh(this.p, this.ecdhe.group, this.ecdhe.privateKey, body.publicKey);
      if (shared.ok) premaster = shared.value;
    }
    // the ClientKeyExchange is already in the transcript: the session hash of RFC 7627 §3 ends with it
    this.master = this.ems
      ? await extendedMasterSecret(this.p, h, premaster, await this.hashOf(h))
      : await masterSecret(this.p, h, premaster, this.clientRandom, this.serverRandom);
    this.log('CLIENT_RANDOM', this.clientRandom, this.master);
  }

  // ---------------------------------------------------------------- TLS 1.3

  private async direction13(suite: CipherSuiteInfo, secret: Uint8Array): Promise<RecordDirection> {
    const keys = await trafficKeys(this.p, suite.prfHash, secret, tls13KeyLength(suite));
    return new RecordDirection(await createRecordProtection(this.p, tls13Params(suite, keys)));
  }

  private async helloRetryRequest(): Promise<void> {
    const suite = this.chooseSuite();
    this.suite = suite;
    const shared = new Set(this.clientShares().map((s) => s.group));
    const supported = this.clientGroups();
    const group =
      this.cfg.groups.find((g) => supported.includes(g) && !shared.has(g) && ecdhGroupOf(g)) ??
      this.cfg.groups.find((g) => !shared.has(g) && ecdhGroupOf(g)) ??
      this.cfg.groups[0]!;
    this.hrrSent = true;
    this.helloRetry = true;
    await this.emitHandshake(
      encodeBody({
        type: 'server_hello',
        legacyVersion: VERSION_CODE['1.2'],
        random: HRR_RANDOM,
        sessionId: this.ch?.sessionId ?? new Uint8Array(0),
        cipherSuite: suite.code,
        compressionMethod: 0,
        extensions: [
          { type: ExtensionType.supported_versions, body: { kind: 'supported_versions_server', version: VERSION_CODE['1.3'] } },
          { type: ExtensionType.key_share, body: { kind: 'key_share_hrr', selectedGroup: group } },
        ],
      }),
    );
  }

  private async serverHello13(): Promise<void> {
    const suite = this.suite ?? this.chooseSuite();
    this.suite = suite;
    this.kex = 'TLS13';
    const shares = this.clientShares();
    const share = this.cfg.groups
      .map((g) => shares.find((s) => s.group === g))
      .find((s) => s !== undefined && ecdhGroupOf(s.group));
    const code = share?.group ?? this.cfg.groups[0]!;
    const g = ecdhGroupOf(code);
    if (!g) throw new MapperError(`group 0x${code.toString(16)} is not implemented`);
    const kp = await generateEcdhKeyPair(this.p, g);
    const secret = share ? await deriveEcdh(this.p, g, kp.privateKey, share.keyExchange) : undefined;
    this.sharedSecret = secret?.ok ? secret.value : new Uint8Array(g === 'secp384r1' ? 48 : 32);
    this.serverRandom = randomBytes(this.p, 32);
    await this.emitHandshake(
      encodeBody({
        type: 'server_hello',
        legacyVersion: VERSION_CODE['1.2'],
        random: this.serverRandom,
        sessionId: this.ch?.sessionId ?? new Uint8Array(0),
        cipherSuite: suite.code,
        compressionMethod: 0,
        extensions: [
          { type: ExtensionType.supported_versions, body: { kind: 'supported_versions_server', version: VERSION_CODE['1.3'] } },
          {
            type: ExtensionType.key_share,
            body: { kind: 'key_share_server', share: { group: code, keyExchange: kp.publicKey } },
          },
        ],
      }),
    );
    this.serverHelloHash = await this.hashOf(suite.prfHash);
    this.schedule = await tls13Schedule(this.p, {
      hash: suite.prfHash,
      sharedSecret: this.sharedSecret,
      serverHelloHash: this.serverHelloHash,
    });
    this.log('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.clientRandom, this.schedule.clientHandshakeTrafficSecret);
    this.log('SERVER_HANDSHAKE_TRAFFIC_SECRET', this.clientRandom, this.schedule.serverHandshakeTrafficSecret);
    this.write = await this.direction13(suite, this.schedule.serverHandshakeTrafficSecret);
    this.read = await this.direction13(suite, this.schedule.clientHandshakeTrafficSecret);
  }

  private async finished13(bad: boolean): Promise<void> {
    const h = this.hash;
    const base = this.schedule?.serverHandshakeTrafficSecret ?? new Uint8Array(h === 'SHA-384' ? 48 : 32);
    const vd = await finished13(this.p, h, base, await this.hashOf(h));
    await this.emitHandshake(encodeBody({ type: 'finished', verifyData: bad ? flipped(vd) : vd }));
    this.ourFinished = true;
    const suite = this.suite;
    if (!suite || !this.schedule || !this.serverHelloHash || !this.sharedSecret || this.app) return;
    const full = await tls13Schedule(this.p, {
      hash: suite.prfHash,
      sharedSecret: this.sharedSecret,
      serverHelloHash: this.serverHelloHash,
      serverFinishedHash: await this.hashOf(suite.prfHash),
    });
    this.app = { client: full.clientApplicationTrafficSecret0!, server: full.serverApplicationTrafficSecret0! };
    this.log('CLIENT_TRAFFIC_SECRET_0', this.clientRandom, this.app.client);
    this.log('SERVER_TRAFFIC_SECRET_0', this.clientRandom, this.app.server);
    this.writeApp = this.app.server;
    this.write = await this.direction13(suite, this.app.server);
  }

  private async keyUpdate(): Promise<void> {
    await this.emitHandshake(encodeBody({ type: 'key_update', requestUpdate: 0 }), false);
    if (this.writeApp && this.suite) {
      this.writeApp = await nextTrafficSecret(this.p, this.suite.prfHash, this.writeApp);
      this.write = await this.direction13(this.suite, this.writeApp);
    }
  }
}
