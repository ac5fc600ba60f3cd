/**
 * Handshake messages of TLS 1.2 (RFC 5246 §7.4, RFC 4492/8422, RFC 5077,
 * RFC 6066) and TLS 1.3 (RFC 8446 §4). A message is decoded from its raw
 * bytes (4-byte header included) and encodes back to exactly those bytes:
 * syntax problems the peer must be told about (trailing bytes, duplicate
 * extensions, malformed extension bodies) are kept as findings, and the
 * offending bytes are kept too.
 *
 * Some bodies depend on what was negotiated: the version (Certificate,
 * CertificateRequest, NewSessionTicket) and the key exchange
 * (ServerKeyExchange, ClientKeyExchange). The caller passes what it knows in
 * a DecodeContext; what is not known is guessed where the syntax allows it
 * unambiguously, or kept raw (`kex: 'unparsed'`).
 */
import { DecodeError, type Finding } from './errors';
import { bytesEqual } from './hex';
import { type ExtContext, type Extension, readExtensions, writeExtensions } from './extensions';
import { Reader } from './reader';
import { HRR_RANDOM, HandshakeType, type HandshakeTypeName, handshakeTypes, type KeyExchange, nameOf } from './registry';
import { Writer } from './writer';

export interface ClientHello {
  type: 'client_hello';
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuites: number[];
  compressionMethods: number[];
  /** undefined when the message has no extensions block at all (pre-TLS 1.2 style). */
  extensions?: Extension[];
}

/** ServerHello and, when `random` is HRR_RANDOM, HelloRetryRequest (same syntax). */
export interface ServerHello {
  type: 'server_hello';
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions?: Extension[];
}

export interface SignedParams {
  /** TLS 1.2 SignatureAndHashAlgorithm as a SignatureScheme code. */
  scheme: number;
  signature: Uint8Array;
}

/**
 * ServerKeyExchange. The PSK key exchanges (RFC 4279 §2-§4, RFC 5489 §2) put `psk_identity_hint` first and sign
 * nothing: PSK and RSA_PSK send only the hint (`psk`), DHE_PSK and ECDHE_PSK the hint then the (EC)DH parameters
 * (`pskIdentityHint` on `dhe` / `ecdhe`).
 */
export type ServerKeyExchange =
  | { type: 'server_key_exchange'; kex: 'unparsed'; body: Uint8Array }
  | {
      type: 'server_key_exchange';
      kex: 'ecdhe';
      pskIdentityHint?: Uint8Array;
      curveType: number;
      namedCurve: number;
      publicKey: Uint8Array;
      signed?: SignedParams;
    }
  | {
      type: 'server_key_exchange';
      kex: 'dhe';
      pskIdentityHint?: Uint8Array;
      p: Uint8Array;
      g: Uint8Array;
      ys: Uint8Array;
      signed?: SignedParams;
    }
  /** PSK / RSA_PSK: only the hint, nothing signed (`signed` never set, so readers of signed params see none). */
  | { type: 'server_key_exchange'; kex: 'psk'; pskIdentityHint: Uint8Array; signed?: never };

/**
 * ClientKeyExchange. The PSK key exchanges put `psk_identity` first (RFC 4279 §2-§4, RFC 5489 §2): PSK sends only
 * it (`psk`); DHE_PSK, RSA_PSK and ECDHE_PSK add their (EC)DH public value or encrypted premaster (`pskIdentity` on
 * `dhe` / `rsa` / `ecdhe`).
 */
export type ClientKeyExchange =
  | { type: 'client_key_exchange'; kex: 'unparsed'; body: Uint8Array }
  | { type: 'client_key_exchange'; kex: 'rsa'; pskIdentity?: Uint8Array; encryptedPreMasterSecret: Uint8Array }
  | { type: 'client_key_exchange'; kex: 'ecdhe'; pskIdentity?: Uint8Array; publicKey: Uint8Array }
  | { type: 'client_key_exchange'; kex: 'dhe'; pskIdentity?: Uint8Array; publicKey: Uint8Array }
  | { type: 'client_key_exchange'; kex: 'psk'; pskIdentity: Uint8Array };

export interface CertificateEntry13 {
  data: Uint8Array;
  extensions: Extension[];
}

export type Certificate =
  | { type: 'certificate'; form: 'tls12'; certificates: Uint8Array[] }
  | { type: 'certificate'; form: 'tls13'; context: Uint8Array; entries: CertificateEntry13[] };

export type CertificateRequest =
  | {
      type: 'certificate_request';
      form: 'tls12';
      certificateTypes: number[];
      signatureAlgorithms: number[];
      certificateAuthorities: Uint8Array[];
    }
  | { type: 'certificate_request'; form: 'tls13'; context: Uint8Array; extensions: Extension[] };

export type NewSessionTicket =
  | { type: 'new_session_ticket'; form: 'tls12'; lifetimeHint: number; ticket: Uint8Array }
  | {
      type: 'new_session_ticket';
      form: 'tls13';
      lifetime: number;
      ageAdd: number;
      nonce: Uint8Array;
      ticket: Uint8Array;
      extensions: Extension[];
    };

export type HandshakeBody =
  | { type: 'hello_request' }
  | ClientHello
  | ServerHello
  | NewSessionTicket
  | { type: 'end_of_early_data' }
  | { type: 'encrypted_extensions'; extensions: Extension[] }
  | Certificate
  | ServerKeyExchange
  | CertificateRequest
  | { type: 'server_hello_done' }
  | { type: 'certificate_verify'; scheme: number; signature: Uint8Array }
  | ClientKeyExchange
  | { type: 'finished'; verifyData: Uint8Array }
  | { type: 'key_update'; requestUpdate: number }
  /**
   * RFC 8879 §4: a TLS 1.3 Certificate message (header included) compressed with `algorithm`; `uncompressedLength` is
   * what the sender says its decompressed size is (wire/compress.ts decompresses and checks it).
   */
  | { type: 'compressed_certificate'; algorithm: number; uncompressedLength: number; compressed: Uint8Array }
  | { type: 'certificate_status'; statusType: number; response: Uint8Array }
  | { type: 'message_hash'; hash: Uint8Array }
  /** A message type this codec does not model (kept as bytes). */
  | { type: 'unknown'; msgType: number; body: Uint8Array };

/** A decoded handshake message. `trailing` holds bytes after the body's syntax, kept for exact re-encoding. */
export interface HandshakeMessage {
  body: HandshakeBody;
  trailing?: Uint8Array;
}

export interface DecodeContext {
  /** Negotiated version (0x0303 / 0x0304) when known. */
  version?: number;
  /** TLS 1.2 key exchange of the negotiated suite, when known. */
  kex?: KeyExchange;
}

export interface DecodedHandshake {
  message: HandshakeMessage;
  findings: Finding[];
}

export function msgTypeOf(body: HandshakeBody): number {
  return body.type === 'unknown' ? body.msgType : HandshakeType[body.type];
}

/** RFC snake_case name of a message type code, or hex for unknown codes. */
export function handshakeTypeName(code: number): string {
  return nameOf(handshakeTypes, code, 2);
}

export function isHelloRetryRequest(b: HandshakeBody): boolean {
  return b.type === 'server_hello' && bytesEqual(b.random, HRR_RANDOM);
}

/**
 * Decode one handshake message from `raw`, which must be exactly one message
 * (header included). `base` is the absolute offset of raw[0] for errors.
 */
export function decodeHandshake(raw: Uint8Array, ctx: DecodeContext = {}, base = 0): DecodedHandshake {
  const top = new Reader(raw, base, 'handshake');
  const msgType = top.u8('msg_type');
  const name = handshakeTypeName(msgType);
  const body = top.sub(3, 'length');
  top.end();
  const r = new Reader(body.peek(body.remaining), body.offset, name, top.findings);
  const decoded = decodeBody(msgType, r, ctx);
  const message: HandshakeMessage = { body: decoded };
  const trailing = r.trailing();
  if (trailing) message.trailing = trailing;
  return { message, findings: top.findings };
}

function decodeBody(msgType: number, r: Reader, ctx: DecodeContext): HandshakeBody {
  switch (msgType) {
    case HandshakeType.hello_request:
      return { type: 'hello_request' };
    case HandshakeType.client_hello:
      return readClientHello(r);
    case HandshakeType.server_hello:
      return readServerHello(r);
    case HandshakeType.new_session_ticket:
      return byVersion(r, ctx, readNst13, readNst12);
    case HandshakeType.end_of_early_data:
      return { type: 'end_of_early_data' };
    case HandshakeType.encrypted_extensions:
      return { type: 'encrypted_extensions', extensions: readExtensions(r, 'encrypted_extensions') };
    case HandshakeType.certificate:
      return byVersion(r, ctx, readCertificate13, readCertificate12);
    case HandshakeType.server_key_exchange:
      return readServerKeyExchange(r, ctx.kex);
    case HandshakeType.certificate_request:
      return byVersion(r, ctx, readCertificateRequest13, readCertificateRequest12);
    case HandshakeType.server_hello_done:
      return { type: 'server_hello_done' };
    case HandshakeType.certificate_verify:
      return { type: 'certificate_verify', scheme: r.u16('algorithm'), signature: r.vec(2, 'signature') };
    case HandshakeType.client_key_exchange:
      return readClientKeyExchange(r, ctx.kex);
    case HandshakeType.finished:
      return { type: 'finished', verifyData: r.rest() };
    case HandshakeType.key_update:
      return { type: 'key_update', requestUpdate: r.u8('request_update') };
    case HandshakeType.compressed_certificate:
      return {
        type: 'compressed_certificate',
        algorithm: r.u16('algorithm'),
        uncompressedLength: r.u24('uncompressed_length'),
        compressed: r.vec(3, 'compressed_certificate_message', 1),
      };
    case HandshakeType.certificate_status:
      return { type: 'certificate_status', statusType: r.u8('status_type'), response: r.vec(3, 'response', 1) };
    case HandshakeType.message_hash:
      return { type: 'message_hash', hash: r.rest() };
    default:
      return { type: 'unknown', msgType, body: r.rest() };
  }
}

/**
 * Messages whose syntax differs between versions. With a known version the
 * right form is read; without one, the form that consumes the whole body is
 * taken, the TLS 1.3 form first (it is the stricter of the two).
 */
function byVersion<T extends HandshakeBody>(r: Reader, ctx: DecodeContext, t13: (r: Reader) => T, t12: (r: Reader) => T): T {
  if (ctx.version === 0x0304) return t13(r);
  if (ctx.version !== undefined) return t12(r);
  const findings: Finding[] = [];
  const trial = new Reader(r.peek(r.remaining), r.offset, r.path, findings);
  try {
    const v = t13(trial);
    if (trial.atEnd) {
      r.take(r.remaining, '');
      r.findings.push(...findings);
      return v;
    }
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
  return t12(r);
}

function readClientHello(r: Reader): ClientHello {
  const legacyVersion = r.u16('legacy_version');
  const random = r.bytes(32, 'random');
  const sessionId = r.vec(1, 'legacy_session_id', 0, 32);
  const cipherSuites = r.uintList(2, 2, 'cipher_suites', 2);
  const compressionMethods = r.uintList(1, 1, 'legacy_compression_methods', 1);
  const ch: ClientHello = { type: 'client_hello', legacyVersion, random, sessionId, cipherSuites, compressionMethods };
  if (!r.atEnd) ch.extensions = readExtensions(r, 'client_hello');
  return ch;
}

function readServerHello(r: Reader): ServerHello {
  const legacyVersion = r.u16('legacy_version');
  const random = r.bytes(32, 'random');
  const sessionId = r.vec(1, 'legacy_session_id_echo', 0, 32);
  const cipherSuite = r.u16('cipher_suite');
  const compressionMethod = r.u8('legacy_compression_method');
  const sh: ServerHello = { type: 'server_hello', legacyVersion, random, sessionId, cipherSuite, compressionMethod };
  const ctx: ExtContext = bytesEqual(random, HRR_RANDOM) ? 'hello_retry_request' : 'server_hello';
  if (!r.atEnd) sh.extensions = readExtensions(r, ctx);
  return sh;
}

function readNst12(r: Reader): NewSessionTicket {
  return { type: 'new_session_ticket', form: 'tls12', lifetimeHint: r.u32('ticket_lifetime_hint'), ticket: r.vec(2, 'ticket') };
}

function readNst13(r: Reader): NewSessionTicket {
  return {
    type: 'new_session_ticket',
    form: 'tls13',
    lifetime: r.u32('ticket_lifetime'),
    ageAdd: r.u32('ticket_age_add'),
    nonce: r.vec(1, 'ticket_nonce'),
    ticket: r.vec(2, 'ticket', 1),
    extensions: readExtensions(r, 'new_session_ticket'),
  };
}

function readCertificate12(r: Reader): Certificate {
  const list = r.sub(3, 'certificate_list');
  const certificates: Uint8Array[] = [];
  while (!list.atEnd) certificates.push(list.vec(3, `[${certificates.length}]`, 1));
  return { type: 'certificate', form: 'tls12', certificates };
}

function readCertificate13(r: Reader): Certificate {
  const context = r.vec(1, 'certificate_request_context');
  const list = r.sub(3, 'certificate_list');
  const entries: CertificateEntry13[] = [];
  while (!list.atEnd) {
    const i = entries.length;
    const data = list.vec(3, `[${i}].cert_data`, 1);
    entries.push({ data, extensions: readExtensions(list, 'certificate', `[${i}].extensions`) });
  }
  return { type: 'certificate', form: 'tls13', context, entries };
}

function readCertificateRequest12(r: Reader): CertificateRequest {
  const certificateTypes = r.uintList(1, 1, 'certificate_types', 1);
  const signatureAlgorithms = r.uintList(2, 2, 'supported_signature_algorithms', 2);
  const cas = r.sub(2, 'certificate_authorities');
  const certificateAuthorities: Uint8Array[] = [];
  while (!cas.atEnd) certificateAuthorities.push(cas.vec(2, `[${certificateAuthorities.length}]`, 1));
  return { type: 'certificate_request', form: 'tls12', certificateTypes, signatureAlgorithms, certificateAuthorities };
}

function readCertificateRequest13(r: Reader): CertificateRequest {
  return {
    type: 'certificate_request',
    form: 'tls13',
    context: r.vec(1, 'certificate_request_context'),
    extensions: readExtensions(r, 'certificate_request'),
  };
}

function readSigned(r: Reader): SignedParams | undefined {
  if (r.atEnd) return undefined;
  return { scheme: r.u16('signed_params.algorithm'), signature: r.vec(2, 'signed_params.signature') };
}

function readServerKeyExchange(r: Reader, kex: KeyExchange | undefined): ServerKeyExchange {
  if (kex === 'PSK' || kex === 'RSA_PSK')
    return { type: 'server_key_exchange', kex: 'psk', pskIdentityHint: r.vec(2, 'psk_identity_hint') };
  const hint = kex === 'DHE_PSK' || kex === 'ECDHE_PSK' ? { pskIdentityHint: r.vec(2, 'psk_identity_hint') } : {};
  if (kex === 'ECDHE_RSA' || kex === 'ECDHE_ECDSA' || kex === 'ECDH_anon' || kex === 'ECDHE_PSK') {
    const curveType = r.u8('params.curve_type');
    if (curveType !== 3) r.fail('value', 'params.curve_type', `curve_type ${curveType} is not named_curve(3)`);
    const namedCurve = r.u16('params.named_curve');
    const publicKey = r.vec(1, 'params.public', 1);
    const signed = kex === 'ECDH_anon' || kex === 'ECDHE_PSK' ? undefined : readSigned(r);
    return signed
      ? { type: 'server_key_exchange', kex: 'ecdhe', ...hint, curveType, namedCurve, publicKey, signed }
      : { type: 'server_key_exchange', kex: 'ecdhe', ...hint, curveType, namedCurve, publicKey };
  }
  if (kex === 'DHE_RSA' || kex === 'DHE_DSS' || kex === 'DH_anon' || kex === 'DHE_PSK') {
    const p = r.vec(2, 'params.dh_p', 1);
    const g = r.vec(2, 'params.dh_g', 1);
    const ys = r.vec(2, 'params.dh_Ys', 1);
    const signed = kex === 'DH_anon' || kex === 'DHE_PSK' ? undefined : readSigned(r);
    return signed
      ? { type: 'server_key_exchange', kex: 'dhe', ...hint, p, g, ys, signed }
      : { type: 'server_key_exchange', kex: 'dhe', ...hint, p, g, ys };
  }
  return { type: 'server_key_exchange', kex: 'unparsed', body: r.rest() };
}

function readClientKeyExchange(r: Reader, kex: KeyExchange | undefined): ClientKeyExchange {
  switch (kex) {
    case 'PSK':
      return { type: 'client_key_exchange', kex: 'psk', pskIdentity: r.vec(2, 'psk_identity') };
    case 'RSA_PSK': {
      const pskIdentity = r.vec(2, 'psk_identity');
      return {
        type: 'client_key_exchange',
        kex: 'rsa',
        pskIdentity,
        encryptedPreMasterSecret: r.vec(2, 'encrypted_pre_master_secret'),
      };
    }
    case 'ECDHE_PSK': {
      const pskIdentity = r.vec(2, 'psk_identity');
      return { type: 'client_key_exchange', kex: 'ecdhe', pskIdentity, publicKey: r.vec(1, 'ecdh_Yc', 1) };
    }
    case 'DHE_PSK': {
      const pskIdentity = r.vec(2, 'psk_identity');
      return { type: 'client_key_exchange', kex: 'dhe', pskIdentity, publicKey: r.vec(2, 'dh_Yc', 1) };
    }
    case 'RSA':
      return { type: 'client_key_exchange', kex: 'rsa', encryptedPreMasterSecret: r.vec(2, 'encrypted_pre_master_secret') };
    case 'ECDHE_RSA':
    case 'ECDHE_ECDSA':
    case 'ECDH_anon':
      return { type: 'client_key_exchange', kex: 'ecdhe', publicKey: r.vec(1, 'ecdh_Yc', 1) };
    case 'DHE_RSA':
    case 'DHE_DSS':
    case 'DH_anon':
      return { type: 'client_key_exchange', kex: 'dhe', publicKey: r.vec(2, 'dh_Yc', 1) };
    default:
      return { type: 'client_key_exchange', kex: 'unparsed', body: r.rest() };
  }
}

/**
 * Length of the signed `params` at the start of a ServerKeyExchange body:
 * what TLS 1.2 signs together with the two randoms. Read from the raw body,
 * never from a re-encoding.
 */
export function serverKeyExchangeParamsLength(m: ServerKeyExchange): number {
  // the PSK key exchanges sign nothing: their "params" are the whole body (the hint first)
  const hint = m.kex !== 'unparsed' && m.pskIdentityHint ? 2 + m.pskIdentityHint.length : 0;
  switch (m.kex) {
    case 'ecdhe':
      return hint + 1 + 2 + 1 + m.publicKey.length;
    case 'dhe':
      return hint + 6 + m.p.length + m.g.length + m.ys.length;
    case 'psk':
      return hint;
    case 'unparsed':
      return m.body.length;
  }
}

function writeBody(w: Writer, b: HandshakeBody): void {
  switch (b.type) {
    case 'hello_request':
    case 'end_of_early_data':
    case 'server_hello_done':
      return;
    case 'client_hello':
      w.u16(b.legacyVersion)
        .bytes(b.random)
        .opaque(1, b.sessionId)
        .uintList(2, 2, b.cipherSuites)
        .uintList(1, 1, b.compressionMethods);
      if (b.extensions) writeExtensions(w, b.extensions);
      return;
    case 'server_hello':
      w.u16(b.legacyVersion).bytes(b.random).opaque(1, b.sessionId).u16(b.cipherSuite).u8(b.compressionMethod);
      if (b.extensions) writeExtensions(w, b.extensions);
      return;
    case 'new_session_ticket':
      if (b.form === 'tls12') w.u32(b.lifetimeHint).opaque(2, b.ticket);
      else {
        w.u32(b.lifetime).u32(b.ageAdd).opaque(1, b.nonce).opaque(2, b.ticket);
        writeExtensions(w, b.extensions);
      }
      return;
    case 'encrypted_extensions':
      writeExtensions(w, b.extensions);
      return;
    case 'certificate':
      if (b.form === 'tls12') {
        w.vec(3, (l) => {
          for (const c of b.certificates) l.opaque(3, c);
        });
      } else {
        w.opaque(1, b.context).vec(3, (l) => {
          for (const e of b.entries) {
            l.opaque(3, e.data);
            writeExtensions(l, e.extensions);
          }
        });
      }
      return;
    case 'server_key_exchange':
      if (b.kex === 'unparsed') w.bytes(b.body);
      else if (b.kex === 'psk') w.opaque(2, b.pskIdentityHint);
      else {
        if (b.pskIdentityHint) w.opaque(2, b.pskIdentityHint);
        if (b.kex === 'ecdhe') w.u8(b.curveType).u16(b.namedCurve).opaque(1, b.publicKey);
        else w.opaque(2, b.p).opaque(2, b.g).opaque(2, b.ys);
        if (b.signed) w.u16(b.signed.scheme).opaque(2, b.signed.signature);
      }
      return;
    case 'certificate_request':
      if (b.form === 'tls12') {
        w.uintList(1, 1, b.certificateTypes).uintList(2, 2, b.signatureAlgorithms);
        w.vec(2, (l) => {
          for (const ca of b.certificateAuthorities) l.opaque(2, ca);
        });
      } else {
        w.opaque(1, b.context);
        writeExtensions(w, b.extensions);
      }
      return;
    case 'certificate_verify':
      w.u16(b.scheme).opaque(2, b.signature);
      return;
    case 'client_key_exchange':
      if (b.kex === 'unparsed') w.bytes(b.body);
      else if (b.kex === 'psk') w.opaque(2, b.pskIdentity);
      else {
        if (b.pskIdentity) w.opaque(2, b.pskIdentity);
        if (b.kex === 'rsa') w.opaque(2, b.encryptedPreMasterSecret);
        else if (b.kex === 'ecdhe') w.opaque(1, b.publicKey);
        else w.opaque(2, b.publicKey);
      }
      return;
    case 'finished':
      w.bytes(b.verifyData);
      return;
    case 'key_update':
      w.u8(b.requestUpdate);
      return;
    case 'compressed_certificate':
      w.u16(b.algorithm).u24(b.uncompressedLength).opaque(3, b.compressed);
      return;
    case 'certificate_status':
      w.u8(b.statusType).opaque(3, b.response);
      return;
    case 'message_hash':
      w.bytes(b.hash);
      return;
    case 'unknown':
      w.bytes(b.body);
      return;
  }
}

/** Encode a message with its 4-byte header. */
export function encodeHandshake(m: HandshakeMessage): Uint8Array {
  const w = new Writer();
  w.u8(msgTypeOf(m.body)).vec(3, (b) => {
    writeBody(b, m.body);
    if (m.trailing) b.bytes(m.trailing);
  });
  return w.finish();
}

/** Encode a body with its header and no trailing bytes. */
export function encodeBody(b: HandshakeBody): Uint8Array {
  return encodeHandshake({ body: b });
}

export type { HandshakeTypeName };
