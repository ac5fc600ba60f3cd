/**
 * Our client's mapper, for learning a server target. It keeps what a TLS
 * client knows at each point (our random and key shares, the server's
 * random, certificate, key exchange values, the negotiated suite, the
 * secrets derived so far, the read and write protection) and builds each
 * abstract input from it:
 *
 * - TLS 1.2: the ClientKeyExchange uses the group and public value of the
 *   server's ServerKeyExchange (RSA: its certificate key); the master secret
 *   (extended when negotiated, RFC 7627) is derived as it is sent; our
 *   ChangeCipherSpec switches our write keys to the pending ones; our
 *   Finished is computed over the transcript so far; the server's CCS
 *   switches the read keys. A connected session renegotiates with a
 *   ClientHello carrying the previous client verify_data (RFC 5746 §3.5).
 * - TLS 1.3: the ServerHello's key share gives the handshake secrets (read
 *   and write switch at once), the server's Finished the application
 *   secrets (read switches then, write after our Finished); a
 *   HelloRetryRequest makes the next ClientHello the second one (its group,
 *   its cookie, ClientHello1 hashed as message_hash).
 */
import {
  certificateVerifyContent12,
  certificateVerifyContent13,
  createRecordProtection,
  deriveEcdh,
  ecdhGroupOf,
  type EcdhKeyPair,
  encryptPremaster,
  extendedMasterSecret,
  finished12,
  finished13,
  generateEcdhKeyPair,
  importSigningKey,
  keyBlock,
  makePremaster,
  masterSecret,
  nextTrafficSecret,
  randomBytes,
  RecordDirection,
  sign,
  tls12Params,
  tls13KeyLength,
  tls13Params,
  type Tls13Schedule,
  tls13Schedule,
  trafficKeys,
} from '../../crypto';
import type { Identity } from '../../engine/config';
import { leafSpki, pickScheme } from '../../engine/core';
import { CipherSuite12, engineSuite } from '../../engine/suites';
import { type Extension, extensionBody } from '../../wire/extensions';
import { type ClientHello, encodeBody, type HandshakeBody, isHelloRetryRequest } from '../../wire/handshake';
import { type CipherSuiteInfo, cipherSuites, ContentType, ExtensionType, PskKeyExchangeMode } from '../../wire/registry';
import { CCS_FRAGMENT } from '../../wire/record';
import { VERSION_CODE } from '../../wire/vocabulary';
import { INPUT_INFO, type InputSymbol } from '../alphabet';
import { flipped, MapperError, MapperSession, ZERO_MASTER, ZERO_RANDOM } from './session';

const enc = new TextEncoder();

/** Offered by `client_hello(rsa)` when the configuration has no RSA key exchange suite. */
/** Offered by `client_hello(no_common_suite)`: GREASE values (RFC 8701), which no server implements or selects. */
const UNKNOWN_SUITES: readonly number[] = [0x0a0a, 0x1a1a];

/** Schemes for `certificate_verify(unoffered_scheme)`, in order: the first one our key fits and the request did not list. */
const UNOFFERED_CANDIDATES: Record<'1.2' | '1.3', readonly number[]> = {
  // RFC 8446 §4.4.3: "RSA signatures MUST use an RSASSA-PSS algorithm, regardless of whether RSASSA-PKCS1-v1_5
  // algorithms appear in "signature_algorithms"", and SHA-1 is not a TLS 1.3 CertificateVerify scheme either
  '1.3': [0x0401, 0x0501, 0x0201, 0x0203],
  '1.2': [0x0201, 0x0203, 0x0401, 0x0804, 0x0403, 0x0503],
};

const RSA_SUITES: readonly number[] = [
  CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite12.TLS_RSA_WITH_AES_256_GCM_SHA384,
  CipherSuite12.TLS_RSA_WITH_AES_128_CBC_SHA256,
];

export class ClientMapper extends MapperSession {
  private clientRandom: Uint8Array = ZERO_RANDOM;
  private serverRandom: Uint8Array = ZERO_RANDOM;
  private sessionId: Uint8Array = new Uint8Array(0);
  /** Suites offered in the last ClientHello. */
  private offered: number[] = [];
  private suite: CipherSuiteInfo | undefined;
  private ems = false;
  private serverSpki: Uint8Array | undefined;
  private ske: { group: number; publicKey: Uint8Array } | undefined;
  private certRequest: { context: Uint8Array; schemes: number[] } | undefined;
  /** The identity of the last Certificate we sent (ours, or the untrusted one): a CertificateVerify signs with its key. */
  private signer: Identity | undefined;
  private master: Uint8Array | undefined;
  private pendingRead: RecordDirection | undefined;
  /** verify_data of both Finished messages of the last completed handshake (renegotiation_info, RFC 5746). */
  private verifyData: { client?: Uint8Array; server?: Uint8Array } = {};
  private ourFinished = false;
  private theirFinished = false;
  // TLS 1.3
  private shares = new Map<number, EcdhKeyPair>();
  private ch1: ClientHello | undefined;
  private hrr: { group?: number; cookie?: Uint8Array } | undefined;
  private ch2Sent = false;
  private schedule: Tls13Schedule | undefined;
  private sharedSecret: Uint8Array | undefined;
  private serverHelloHash: Uint8Array | undefined;
  private app: { client: Uint8Array; server: Uint8Array } | undefined;
  private writeApp: Uint8Array | undefined;
  private readApp: Uint8Array | undefined;

  get connected(): boolean {
    return this.ourFinished && this.theirFinished;
  }

  private get hash(): 'SHA-256' | 'SHA-384' {
    return (this.suite ?? this.defaultSuite()).prfHash;
  }

  private defaultSuite(): CipherSuiteInfo {
    const first = this.cfg.suites.map((c) => engineSuite(c)).find((s) => s !== undefined);
    if (!first) throw new MapperError('no implemented suite configured');
    return first;
  }

  async send(input: InputSymbol): Promise<void> {
    const info = INPUT_INFO[input];
    if (info.alert) return this.emitAlert(info.alert.name, info.alert.fatal);
    switch (input) {
      case 'client_hello':
      case 'client_hello(rsa)':
      case 'client_hello(no_share)':
      case 'client_hello(no_key_share)':
      case 'client_hello(no_common_suite)':
        return this.tls13
          ? this.clientHello13(
              input === 'client_hello(no_share)' ? 'empty' : input === 'client_hello(no_key_share)' ? 'absent' : 'one',
              input === 'client_hello(no_common_suite)',
            )
          : this.clientHello12(input === 'client_hello(rsa)', input === 'client_hello(no_common_suite)');
      case 'certificate':
      case 'certificate(empty)':
      case 'certificate(untrusted)':
        return this.certificate(
          input === 'certificate(empty)' ? 'empty' : input === 'certificate(untrusted)' ? 'untrusted' : 'ours',
        );
      case 'client_key_exchange':
        return this.clientKeyExchange();
      case 'certificate_verify':
      case 'certificate_verify(bad)':
      case 'certificate_verify(unoffered_scheme)':
        return this.certificateVerify(input === 'certificate_verify(bad)', input === 'certificate_verify(unoffered_scheme)');
      case 'change_cipher_spec':
        return this.changeCipherSpec();
      case 'finished':
      case 'finished(bad)':
        return this.tls13 ? this.finished13(input === 'finished(bad)') : this.finished12(input === 'finished(bad)');
      case 'application_data':
        return this.emit(ContentType.application_data, this.cfg.appData);
      case 'application_data(empty)':
        return this.emit(ContentType.application_data, new Uint8Array(0));
      case 'key_update':
        return this.keyUpdate();
      case 'end_of_early_data':
        return this.emitHandshake(encodeBody({ type: 'end_of_early_data' }));
      default:
        throw new MapperError(`${input} is not an input of our client`);
    }
  }

  // ---------------------------------------------------------------- TLS 1.2

  private baseExtensions(): Extension[] {
    const exts: Extension[] = [];
    if (this.cfg.serverName && !/^[0-9.]+$/.test(this.cfg.serverName) && !this.cfg.serverName.includes(':'))
      exts.push({
        type: ExtensionType.server_name,
        body: { kind: 'server_name', names: [{ nameType: 0, name: enc.encode(this.cfg.serverName) }] },
      });
    exts.push({ type: ExtensionType.supported_groups, body: { kind: 'supported_groups', groups: [...this.cfg.groups] } });
    exts.push({
      type: ExtensionType.signature_algorithms,
      body: { kind: 'signature_algorithms', schemes: [...this.cfg.schemes] },
    });
    return exts;
  }

  /** A new TLS 1.2 handshake (renegotiation when the session is connected): the per-handshake state starts over. */
  private async clientHello12(rsaOnly: boolean, noCommon: boolean): Promise<void> {
    const renegotiating = this.connected;
    this.clientRandom = randomBytes(this.p, 32);
    this.serverRandom = ZERO_RANDOM;
    this.transcript = [];
    this.suite = undefined;
    this.ems = false;
    this.serverSpki = undefined;
    this.ske = undefined;
    this.certRequest = undefined;
    this.signer = undefined;
    this.master = undefined;
    this.pendingRead = undefined;
    this.ourFinished = false;
    this.theirFinished = false;
    this.offered = this.cfg.suites.filter((c) => {
      const s = engineSuite(c);
      return s !== undefined && s.kex !== 'TLS13' && (s.kex === 'RSA') === rsaOnly;
    });
    if (!this.offered.length && rsaOnly) this.offered = [...RSA_SUITES];
    if (noCommon) this.offered = [...UNKNOWN_SUITES];
    const exts = this.baseExtensions();
    exts.push({ type: ExtensionType.ec_point_formats, body: { kind: 'ec_point_formats', formats: [0] } });
    exts.push({ type: ExtensionType.extended_master_secret, body: { kind: 'empty' } });
    // RFC 5746 §3.4 / §3.5: empty renegotiation_info in an initial handshake, the saved client_verify_data in a renegotiation.
    exts.push({
      type: ExtensionType.renegotiation_info,
      body: {
        kind: 'renegotiation_info',
        renegotiatedConnection: renegotiating && this.verifyData.client ? this.verifyData.client : new Uint8Array(0),
      },
    });
    const ch: ClientHello = {
      type: 'client_hello',
      legacyVersion: VERSION_CODE['1.2'],
      random: this.clientRandom,
      sessionId: new Uint8Array(0),
      cipherSuites: this.offered,
      compressionMethods: [0],
      extensions: exts,
    };
    await this.emitHandshake(encodeBody(ch));
  }

  private async certificate(which: 'ours' | 'empty' | 'untrusted'): Promise<void> {
    if (which === 'untrusted' && !this.cfg.untrusted)
      throw new MapperError('certificate(untrusted) needs a chain the target does not trust (mapper `untrusted`)');
    this.signer = which === 'untrusted' ? this.cfg.untrusted : which === 'ours' ? this.cfg.identity : this.signer;
    const chain = which === 'empty' ? [] : ((which === 'untrusted' ? this.cfg.untrusted : this.cfg.identity)?.chain ?? []);
    const body: HandshakeBody = this.tls13
      ? {
          type: 'certificate',
          form: 'tls13',
          context: this.certRequest?.context ?? new Uint8Array(0),
          entries: chain.map((data) => ({ data, extensions: [] })),
        }
      : { type: 'certificate', form: 'tls12', certificates: chain };
    await this.emitHandshake(encodeBody(body));
  }

  private async clientKeyExchange(): Promise<void> {
    const suite = this.suite ?? cipherSuites.get(this.offered[0] ?? -1) ?? this.defaultSuite();
    let premaster: Uint8Array;
    let body: HandshakeBody;
    if (suite.kex === 'RSA') {
      premaster = makePremaster(this.p, VERSION_CODE['1.2']);
      const encrypted = this.serverSpki ? await encryptPremaster(this.p, this.serverSpki, premaster) : randomBytes(this.p, 256); // no server certificate yet: nothing to encrypt to
      body = { type: 'client_key_exchange', kex: 'rsa', encryptedPreMasterSecret: encrypted };
    } else {
      const code = this.ske?.group ?? this.cfg.groups[0]!;
      const g = ecdhGroupOf(code);
      if (!g) throw new MapperError(`group 0x${code.toString(16)} is not implemented`);
      const kp = await generateEcdhKeyPair(this.p, g);
      const shared = this.ske ? await deriveEcdh(this.p, g, kp.privateKey, this.ske.publicKey) : undefined;
      premaster = shared?.ok ? shared.value : new Uint8Array(g === 'secp384r1' ? 48 : 32);
      body = { type: 'client_key_exchange', kex: 'ecdhe', publicKey: kp.publicKey };
    }
    await this.emitHandshake(encodeBody(body));
    const h = suite.prfHash;
    this.master = this.ems
      ? await extendedMasterSecret(this.p, h, premaster, await this.hashOf(h))
      : await masterSecret(this.p, h, premaster, this.clientRandom, this.serverRandom);
    this.log('CLIENT_RANDOM', this.clientRandom, this.master);
  }

  private async signature(
    content: Uint8Array,
    bad: boolean,
    unoffered = false,
  ): Promise<{ scheme: number; signature: Uint8Array }> {
    const id = this.signer ?? this.cfg.identity;
    if (!id) throw new MapperError('a CertificateVerify needs our identity (--cert/--key)');
    const offered = this.certRequest?.schemes ?? [...this.cfg.schemes];
    if (unoffered) {
      for (const scheme of UNOFFERED_CANDIDATES[this.cfg.version]) {
        if (!this.tls13 && offered.includes(scheme)) continue;
        const key = await importSigningKey(this.p, scheme, id.pkcs8, id.spki).catch(() => undefined);
        if (key) return { scheme, signature: await sign(this.p, key, content) };
      }
      throw new MapperError('no scheme our key fits is outside the CertificateRequest');
    }
    const scheme =
      pickScheme(this.cfg.schemes, offered, id.spki, this.tls13) ??
      pickScheme(this.cfg.schemes, this.cfg.schemes, id.spki, this.tls13);
    if (scheme === undefined) throw new MapperError('no signature scheme fits our key');
    const key = await importSigningKey(this.p, scheme, id.pkcs8, id.spki);
    // a well-formed signature over other bytes than the ones the receiver checks
    const signed = bad ? Uint8Array.from([...content, 0x01]) : content;
    return { scheme, signature: await sign(this.p, key, signed) };
  }

  private async certificateVerify(bad: boolean, unoffered: boolean): Promise<void> {
    const content = this.tls13
      ? certificateVerifyContent13('client', await this.hashOf(this.hash))
      : certificateVerifyContent12(this.transcript);
    const s = await this.signature(content, bad, unoffered);
    await this.emitHandshake(encodeBody({ type: 'certificate_verify', scheme: s.scheme, signature: s.signature }));
  }

  private async pendingDirection(writer: 'client' | 'server'): Promise<RecordDirection> {
    const suite = this.suite ?? this.defaultSuite();
    const kb = await keyBlock(this.p, suite, this.master ?? ZERO_MASTER, this.clientRandom, this.serverRandom);
    return new RecordDirection(await createRecordProtection(this.p, tls12Params(suite, kb, writer, false)));
  }

  private async changeCipherSpec(): Promise<void> {
    if (this.tls13) {
      // RFC 8446 §5 / D.4: the compatibility record, always unprotected.
      await this.emit(ContentType.change_cipher_spec, CCS_FRAGMENT, true);
      return;
    }
    await this.emit(ContentType.change_cipher_spec, CCS_FRAGMENT);
    this.write = await this.pendingDirection('client');
  }

  private async finished12(bad: boolean): Promise<void> {
    const h = this.hash;
    const vd = await finished12(this.p, h, this.master ?? ZERO_MASTER, 'client', await this.hashOf(h));
    await this.emitHandshake(encodeBody({ type: 'finished', verifyData: bad ? flipped(vd) : vd }));
    this.verifyData.client = vd;
    this.ourFinished = true;
  }

  protected async onChangeCipherSpec(): Promise<void> {
    this.read = this.pendingRead ?? (await this.pendingDirection('server'));
    this.pendingRead = undefined;
  }

  protected async onHandshake(body: HandshakeBody | undefined, raw: Uint8Array): Promise<void> {
    if (!body) return;
    if (this.tls13) return this.onHandshake13(body, raw);
    switch (body.type) {
      case 'server_hello': {
        this.serverRandom = body.random;
        const s = engineSuite(body.cipherSuite);
        if (s) this.suite = s;
        this.kex = s?.kex;
        this.ems = extensionBody(body.extensions, ExtensionType.extended_master_secret, 'empty') !== undefined;
        return;
      }
      case 'certificate':
        if (body.form === 'tls12' && body.certificates.length) this.serverSpki = this.spkiOf(body.certificates);
        return;
      case 'server_key_exchange':
        if (body.kex === 'ecdhe') this.ske = { group: body.namedCurve, publicKey: body.publicKey };
        return;
      case 'certificate_request':
        if (body.form === 'tls12') this.certRequest = { context: new Uint8Array(0), schemes: body.signatureAlgorithms };
        return;
      case 'finished':
        this.verifyData.server = body.verifyData;
        this.theirFinished = true;
        return;
      default:
        return;
    }
  }

  private spkiOf(chain: readonly Uint8Array[]): Uint8Array | undefined {
    try {
      return leafSpki(chain);
    } catch {
      return undefined;
    }
  }

  // ---------------------------------------------------------------- TLS 1.3

  /** `shares`: one key share, an empty list (`no_share`), or no key_share extension at all (`no_key_share`). */
  private async clientHello13(shares: 'one' | 'empty' | 'absent', noCommon: boolean): Promise<void> {
    if (this.hrr && !this.ch2Sent && this.ch1) return this.clientHello2();
    this.clientRandom = randomBytes(this.p, 32);
    this.sessionId = randomBytes(this.p, 32);
    this.transcript = [];
    this.helloRetry = false;
    this.hrr = undefined;
    this.ch2Sent = false;
    this.schedule = undefined;
    this.sharedSecret = undefined;
    this.app = undefined;
    this.certRequest = undefined;
    this.serverSpki = undefined;
    this.shares.clear();
    this.signer = undefined;
    this.offered = noCommon ? [...UNKNOWN_SUITES] : this.cfg.suites.filter((c) => engineSuite(c)?.kex === 'TLS13');
    const keyShares = [];
    if (shares === 'one') {
      const code = this.cfg.groups[0]!;
      const g = ecdhGroupOf(code);
      if (!g) throw new MapperError(`group 0x${code.toString(16)} is not implemented`);
      const kp = await generateEcdhKeyPair(this.p, g);
      this.shares.set(code, kp);
      keyShares.push({ group: code, keyExchange: kp.publicKey });
    }
    const exts = this.baseExtensions();
    exts.push({
      type: ExtensionType.supported_versions,
      body: { kind: 'supported_versions_client', versions: [VERSION_CODE['1.3']] },
    });
    if (shares !== 'absent') exts.push({ type: ExtensionType.key_share, body: { kind: 'key_share_client', shares: keyShares } });
    exts.push({
      type: ExtensionType.psk_key_exchange_modes,
      body: { kind: 'psk_key_exchange_modes', modes: [PskKeyExchangeMode.psk_dhe_ke] },
    });
    const ch: ClientHello = {
      type: 'client_hello',
      legacyVersion: VERSION_CODE['1.2'],
      random: this.clientRandom,
      sessionId: this.sessionId,
      cipherSuites: this.offered,
      compressionMethods: [0],
      extensions: exts,
    };
    this.ch1 = ch;
    await this.emitHandshake(encodeBody(ch));
  }

  /** ClientHello2 (RFC 8446 §4.1.2): the first one with a share of the HelloRetryRequest's group and its cookie. */
  private async clientHello2(): Promise<void> {
    const ch1 = this.ch1!;
    const hrr = this.hrr!;
    /** The one key share of the group the HelloRetryRequest asks for (our only share from now on). */
    const share = async (group: number): Promise<Extension> => {
      const g = ecdhGroupOf(group);
      if (!g) throw new MapperError(`HelloRetryRequest group 0x${group.toString(16)} is not implemented`);
      const kp = await generateEcdhKeyPair(this.p, g);
      this.shares.clear();
      this.shares.set(group, kp);
      return {
        type: ExtensionType.key_share,
        body: { kind: 'key_share_client', shares: [{ group, keyExchange: kp.publicKey }] },
      };
    };
    const exts: Extension[] = [];
    for (const e of ch1.extensions ?? [])
      exts.push(e.type === ExtensionType.key_share && hrr.group !== undefined ? await share(hrr.group) : e);
    // a ClientHello1 without key_share (a server that retried it anyway): the second one carries the share asked for
    if (hrr.group !== undefined && !exts.some((e) => e.type === ExtensionType.key_share)) exts.push(await share(hrr.group));
    if (hrr.cookie) exts.push({ type: ExtensionType.cookie, body: { kind: 'cookie', cookie: hrr.cookie } });
    this.ch2Sent = true;
    await this.emitHandshake(encodeBody({ ...ch1, extensions: exts }));
  }

  private async direction13(suite: CipherSuiteInfo, secret: Uint8Array): Promise<RecordDirection> {
    const keys = await trafficKeys(this.p, suite.prfHash, secret, tls13KeyLength(suite));
    return new RecordDirection(await createRecordProtection(this.p, tls13Params(suite, keys)));
  }

  private async onHandshake13(body: HandshakeBody, _raw: Uint8Array): Promise<void> {
    switch (body.type) {
      case 'server_hello': {
        const s = engineSuite(body.cipherSuite);
        if (isHelloRetryRequest(body)) {
          this.helloRetry = true;
          if (s) this.suite = s;
          const ks = extensionBody(body.extensions, ExtensionType.key_share, 'key_share_hrr');
          const cookie = extensionBody(body.extensions, ExtensionType.cookie, 'cookie');
          this.hrr = {};
          if (ks) this.hrr.group = ks.selectedGroup;
          if (cookie) this.hrr.cookie = cookie.cookie;
          return;
        }
        if (s?.kex !== 'TLS13') throw new MapperError(`ServerHello suite 0x${body.cipherSuite.toString(16)}`);
        this.suite = s;
        this.kex = 'TLS13';
        this.serverRandom = body.random;
        const ks = extensionBody(body.extensions, ExtensionType.key_share, 'key_share_server');
        const mine = ks ? this.shares.get(ks.share.group) : undefined;
        const g = ks ? ecdhGroupOf(ks.share.group) : undefined;
        if (!ks || !mine || !g) throw new MapperError('ServerHello key share does not match ours');
        const shared = await deriveEcdh(this.p, g, mine.privateKey, ks.share.keyExchange);
        if (!shared.ok) throw new MapperError(`server key share: ${shared.reason}`);
        this.sharedSecret = shared.value;
        this.serverHelloHash = await this.hashOf(s.prfHash);
        this.schedule = await tls13Schedule(this.p, {
          hash: s.prfHash,
          sharedSecret: this.sharedSecret,
          serverHelloHash: this.serverHelloHash,
        });
        this.log('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.clientRandom, this.schedule.clientHandshakeTrafficSecret);
        this.log('SERVER_HANDSHAKE_TRAFFIC_SECRET', this.clientRandom, this.schedule.serverHandshakeTrafficSecret);
        this.retiredRead = undefined;
        this.read = await this.direction13(s, this.schedule.serverHandshakeTrafficSecret);
        this.write = await this.direction13(s, this.schedule.clientHandshakeTrafficSecret);
        return;
      }
      case 'certificate_request':
        if (body.form === 'tls13') {
          const sa = extensionBody(body.extensions, ExtensionType.signature_algorithms, 'signature_algorithms');
          this.certRequest = { context: body.context, schemes: sa?.schemes ?? [...this.cfg.schemes] };
        }
        return;
      case 'certificate':
        if (body.form === 'tls13' && body.entries.length) this.serverSpki = this.spkiOf(body.entries.map((e) => e.data));
        return;
      case 'finished': {
        this.theirFinished = true;
        const s = this.suite;
        if (!s || !this.schedule || !this.serverHelloHash || !this.sharedSecret) return;
        const full = await tls13Schedule(this.p, {
          hash: s.prfHash,
          sharedSecret: this.sharedSecret,
          serverHelloHash: this.serverHelloHash,
          serverFinishedHash: await this.hashOf(s.prfHash),
        });
        this.app = { client: full.clientApplicationTrafficSecret0!, server: full.serverApplicationTrafficSecret0! };
        this.log('CLIENT_TRAFFIC_SECRET_0', this.clientRandom, this.app.client);
        this.log('SERVER_TRAFFIC_SECRET_0', this.clientRandom, this.app.server);
        this.readApp = this.app.server;
        this.retiredRead = this.read;
        this.read = await this.direction13(s, this.app.server);
        return;
      }
      case 'key_update':
        if (this.suite && this.readApp) {
          this.readApp = await nextTrafficSecret(this.p, this.suite.prfHash, this.readApp);
          this.read = await this.direction13(this.suite, this.readApp);
        }
        return;
      default:
        return;
    }
  }

  private async finished13(bad: boolean): Promise<void> {
    const h = this.hash;
    const base = this.schedule?.clientHandshakeTrafficSecret ?? new Uint8Array(h === 'SHA-384' ? 48 : 32);
    const vd = await finished13(this.p, h, base, await this.hashOf(h));
    await this.emitHandshake(encodeBody({ type: 'finished', verifyData: bad ? flipped(vd) : vd }));
    this.ourFinished = true;
    if (this.app && this.suite && !this.writeApp) {
      this.writeApp = this.app.client;
      this.write = await this.direction13(this.suite, this.app.client);
    }
  }

  private async keyUpdate(): Promise<void> {
    await this.emitHandshake(encodeBody({ type: 'key_update', requestUpdate: 0 }), false);
    if (this.writeApp && this.suite) {
      this.writeApp = await nextTrafficSecret(this.p, this.suite.prfHash, this.writeApp);
      this.write = await this.direction13(this.suite, this.writeApp);
    }
  }
}
