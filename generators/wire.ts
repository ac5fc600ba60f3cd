/**
 * fast-check arbitraries for wire values: every handshake message and
 * extension the codec models, in every context, always valid (so that
 * decode(encode(m)) gives back m). Lengths stay small so properties run
 * fast; the size limits of the syntax are exercised by the codec tests.
 */
import fc from 'fast-check';
import type { ExtContext, Extension, ExtensionBody } from '../wire/extensions';
import type { HandshakeBody } from '../wire/handshake';
import { ExtensionType as E, HRR_RANDOM, HandshakeType, type KeyExchange } from '../wire/registry';
import type { TlsVersion } from '../wire/vocabulary';

const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const list = <T>(a: fc.Arbitrary<T>, minLength: number, maxLength: number) => fc.array(a, { minLength, maxLength });

const knownExtensionTypes = new Set<number>(Object.values(E));
/** Extension types the codec does not model: they must round-trip as opaque bytes. */
export const unknownExtensionType = u16.filter((t) => !knownExtensionTypes.has(t));

function ext(type: number, body: fc.Arbitrary<ExtensionBody>): fc.Arbitrary<Extension> {
  return body.map((b) => ({ type, body: b }));
}
const empty = (type: number) => ext(type, fc.constant<ExtensionBody>({ kind: 'empty' }));
const keyShare = fc.record({ group: u16, keyExchange: bytes(1, 40) });

const x = {
  serverName: ext(
    E.server_name,
    list(fc.record({ nameType: u8, name: bytes(1, 20) }), 1, 2).map((names) => ({ kind: 'server_name' as const, names })),
  ),
  maxFragment: ext(
    E.max_fragment_length,
    u8.map((value) => ({ kind: 'max_fragment_length' as const, value })),
  ),
  statusRequest: ext(
    E.status_request,
    fc
      .record({ statusType: u8, responderIdList: bytes(0, 8), requestExtensions: bytes(0, 8) })
      .map((r) => ({ kind: 'status_request' as const, ...r })),
  ),
  certificateStatus: ext(
    E.status_request,
    fc.record({ statusType: u8, response: bytes(1, 30) }).map((r) => ({ kind: 'certificate_status' as const, ...r })),
  ),
  supportedGroups: ext(
    E.supported_groups,
    list(u16, 1, 6).map((groups) => ({ kind: 'supported_groups' as const, groups })),
  ),
  pointFormats: ext(
    E.ec_point_formats,
    list(u8, 1, 3).map((formats) => ({ kind: 'ec_point_formats' as const, formats })),
  ),
  sigAlgs: (type: number) =>
    ext(
      type,
      list(u16, 1, 8).map((schemes) => ({ kind: 'signature_algorithms' as const, schemes })),
    ),
  alpn: (min: number) =>
    ext(
      E.application_layer_protocol_negotiation,
      list(bytes(1, 8), min, 3).map((protocols) => ({ kind: 'application_layer_protocol_negotiation' as const, protocols })),
    ),
  recordSizeLimit: ext(
    E.record_size_limit,
    u16.map((limit) => ({ kind: 'record_size_limit' as const, limit })),
  ),
  sessionTicket: ext(
    E.session_ticket,
    bytes(0, 40).map((ticket) => ({ kind: 'session_ticket' as const, ticket })),
  ),
  renegotiationInfo: ext(
    E.renegotiation_info,
    bytes(0, 24).map((renegotiatedConnection) => ({ kind: 'renegotiation_info' as const, renegotiatedConnection })),
  ),
  versionsClient: ext(
    E.supported_versions,
    list(u16, 1, 6).map((versions) => ({ kind: 'supported_versions_client' as const, versions })),
  ),
  versionServer: ext(
    E.supported_versions,
    u16.map((version) => ({ kind: 'supported_versions_server' as const, version })),
  ),
  keyShareClient: ext(
    E.key_share,
    list(keyShare, 0, 3).map((shares) => ({ kind: 'key_share_client' as const, shares })),
  ),
  keyShareServer: ext(
    E.key_share,
    keyShare.map((share) => ({ kind: 'key_share_server' as const, share })),
  ),
  keyShareHrr: ext(
    E.key_share,
    u16.map((selectedGroup) => ({ kind: 'key_share_hrr' as const, selectedGroup })),
  ),
  pskModes: ext(
    E.psk_key_exchange_modes,
    list(u8, 1, 3).map((modes) => ({ kind: 'psk_key_exchange_modes' as const, modes })),
  ),
  pskClient: ext(
    E.pre_shared_key,
    fc
      .record({
        identities: list(fc.record({ identity: bytes(1, 20), obfuscatedTicketAge: u32 }), 1, 3),
        binders: list(bytes(32, 48), 1, 3),
      })
      .map((r) => ({ kind: 'pre_shared_key_client' as const, ...r })),
  ),
  pskServer: ext(
    E.pre_shared_key,
    u16.map((selectedIdentity) => ({ kind: 'pre_shared_key_server' as const, selectedIdentity })),
  ),
  earlyDataMax: ext(
    E.early_data,
    u32.map((maxEarlyDataSize) => ({ kind: 'early_data_max' as const, maxEarlyDataSize })),
  ),
  cookie: ext(
    E.cookie,
    bytes(1, 40).map((cookie) => ({ kind: 'cookie' as const, cookie })),
  ),
  certificateAuthorities: ext(
    E.certificate_authorities,
    list(bytes(1, 20), 1, 3).map((authorities) => ({ kind: 'certificate_authorities' as const, authorities })),
  ),
  padding: ext(
    E.padding,
    bytes(0, 32).map((data) => ({ kind: 'padding' as const, data })),
  ),
  unknown: fc.record({ type: unknownExtensionType, body: bytes(0, 24).map((data): ExtensionBody => ({ kind: 'opaque', data })) }),
};

/** The extensions each message may carry, with the body form of that context. */
export const extensionsByContext: Record<ExtContext, Array<fc.Arbitrary<Extension>>> = {
  client_hello: [
    x.serverName,
    x.maxFragment,
    x.statusRequest,
    x.supportedGroups,
    x.pointFormats,
    x.sigAlgs(E.signature_algorithms),
    x.sigAlgs(E.signature_algorithms_cert),
    x.alpn(1),
    x.recordSizeLimit,
    x.sessionTicket,
    x.renegotiationInfo,
    x.versionsClient,
    x.keyShareClient,
    x.pskModes,
    x.pskClient,
    empty(E.early_data),
    x.cookie,
    x.certificateAuthorities,
    x.padding,
    empty(E.extended_master_secret),
    empty(E.encrypt_then_mac),
    empty(E.post_handshake_auth),
    empty(E.signed_certificate_timestamp),
    x.unknown,
  ],
  server_hello: [
    empty(E.server_name),
    empty(E.status_request),
    x.pointFormats,
    x.alpn(1),
    x.sessionTicket,
    x.renegotiationInfo,
    x.versionServer,
    x.keyShareServer,
    x.pskServer,
    empty(E.extended_master_secret),
    empty(E.encrypt_then_mac),
    x.recordSizeLimit,
    x.maxFragment,
    x.unknown,
  ],
  hello_retry_request: [x.versionServer, x.keyShareHrr, x.cookie, x.unknown],
  encrypted_extensions: [
    empty(E.server_name),
    x.supportedGroups,
    x.alpn(1),
    x.maxFragment,
    x.recordSizeLimit,
    empty(E.early_data),
    x.unknown,
  ],
  certificate: [x.certificateStatus, x.unknown],
  certificate_request: [
    x.sigAlgs(E.signature_algorithms),
    x.sigAlgs(E.signature_algorithms_cert),
    x.certificateAuthorities,
    empty(E.status_request),
    empty(E.signed_certificate_timestamp),
    x.unknown,
  ],
  new_session_ticket: [x.earlyDataMax, x.unknown],
};

export function extensionList(ctx: ExtContext, maxLength = 6): fc.Arbitrary<Extension[]> {
  return fc.array(fc.oneof(...extensionsByContext[ctx]), { maxLength });
}

const random = bytes(32, 32);
const sessionId = bytes(0, 32);
const signed = fc.record({ scheme: u16, signature: bytes(0, 80) });

const clientHello = fc
  .record(
    {
      legacyVersion: u16,
      random,
      sessionId,
      cipherSuites: list(u16, 1, 8),
      compressionMethods: list(u8, 1, 2),
      extensions: extensionList('client_hello', 8),
    },
    { requiredKeys: ['legacyVersion', 'random', 'sessionId', 'cipherSuites', 'compressionMethods'] },
  )
  .map((r): HandshakeBody => ({ type: 'client_hello', ...r }));

const serverHelloFields = { legacyVersion: u16, sessionId, cipherSuite: u16, compressionMethod: u8 };
const serverHello = fc
  .record(
    { ...serverHelloFields, random: random.filter((r) => r[0] !== HRR_RANDOM[0]), extensions: extensionList('server_hello') },
    { requiredKeys: ['legacyVersion', 'random', 'sessionId', 'cipherSuite', 'compressionMethod'] },
  )
  .map((r): HandshakeBody => ({ type: 'server_hello', ...r }));
const helloRetryRequest = fc
  .record({ ...serverHelloFields, extensions: extensionList('hello_retry_request', 4) })
  .map((r): HandshakeBody => ({ type: 'server_hello', ...r, random: HRR_RANDOM.slice() }));

const certificate12 = list(bytes(1, 60), 0, 3).map(
  (certificates): HandshakeBody => ({ type: 'certificate', form: 'tls12', certificates }),
);
const certificate13 = fc
  .record({
    context: bytes(0, 8),
    entries: list(fc.record({ data: bytes(1, 60), extensions: extensionList('certificate', 2) }), 0, 3),
  })
  .map((r): HandshakeBody => ({ type: 'certificate', form: 'tls13', ...r }));
const certificateRequest12 = fc
  .record({
    certificateTypes: list(u8, 1, 4),
    signatureAlgorithms: list(u16, 1, 6),
    certificateAuthorities: list(bytes(1, 20), 0, 3),
  })
  .map((r): HandshakeBody => ({ type: 'certificate_request', form: 'tls12', ...r }));
const certificateRequest13 = fc
  .record({ context: bytes(0, 8), extensions: extensionList('certificate_request', 4) })
  .map((r): HandshakeBody => ({ type: 'certificate_request', form: 'tls13', ...r }));
const nst12 = fc
  .record({ lifetimeHint: u32, ticket: bytes(0, 60) })
  .map((r): HandshakeBody => ({ type: 'new_session_ticket', form: 'tls12', ...r }));
const nst13 = fc
  .record({
    lifetime: u32,
    ageAdd: u32,
    nonce: bytes(0, 8),
    ticket: bytes(1, 60),
    extensions: extensionList('new_session_ticket', 2),
  })
  .map((r): HandshakeBody => ({ type: 'new_session_ticket', form: 'tls13', ...r }));

const knownTypes = new Set<number>(Object.values(HandshakeType));

/** Messages whose syntax is the same in both versions and needs no key-exchange context. */
export const contextFreeMessage: fc.Arbitrary<HandshakeBody> = fc.oneof(
  fc.constant<HandshakeBody>({ type: 'hello_request' }),
  clientHello,
  serverHello,
  helloRetryRequest,
  fc.constant<HandshakeBody>({ type: 'end_of_early_data' }),
  extensionList('encrypted_extensions').map((extensions): HandshakeBody => ({ type: 'encrypted_extensions', extensions })),
  fc.constant<HandshakeBody>({ type: 'server_hello_done' }),
  signed.map((s): HandshakeBody => ({ type: 'certificate_verify', ...s })),
  bytes(0, 48).map((verifyData): HandshakeBody => ({ type: 'finished', verifyData })),
  u8.map((requestUpdate): HandshakeBody => ({ type: 'key_update', requestUpdate })),
  fc.record({ statusType: u8, response: bytes(1, 40) }).map((r): HandshakeBody => ({ type: 'certificate_status', ...r })),
  bytes(0, 48).map((hash): HandshakeBody => ({ type: 'message_hash', hash })),
  fc
    .record({ msgType: u8.filter((t) => !knownTypes.has(t)), body: bytes(0, 40) })
    .map((r): HandshakeBody => ({ type: 'unknown', ...r })),
);

/** Version-dependent messages in the form of `version`. */
export function versionedMessage(version: TlsVersion): fc.Arbitrary<HandshakeBody> {
  return version === '1.3'
    ? fc.oneof(certificate13, certificateRequest13, nst13)
    : fc.oneof(certificate12, certificateRequest12, nst12);
}

/** ServerKeyExchange and ClientKeyExchange bodies for a TLS 1.2 key exchange. */
export function keyExchangeMessage(kex: KeyExchange): fc.Arbitrary<HandshakeBody> {
  const anon = kex === 'ECDH_anon' || kex === 'DH_anon';
  const sig = anon ? fc.constant(undefined) : signed;
  switch (kex) {
    case 'ECDHE_RSA':
    case 'ECDHE_ECDSA':
    case 'ECDH_anon':
      return fc.oneof(
        fc
          .record({ namedCurve: u16, publicKey: bytes(1, 97), signed: sig })
          .map(
            ({ signed: s, ...r }): HandshakeBody =>
              s
                ? { type: 'server_key_exchange', kex: 'ecdhe', curveType: 3, ...r, signed: s }
                : { type: 'server_key_exchange', kex: 'ecdhe', curveType: 3, ...r },
          ),
        bytes(1, 97).map((publicKey): HandshakeBody => ({ type: 'client_key_exchange', kex: 'ecdhe', publicKey })),
      );
    case 'DHE_RSA':
    case 'DHE_DSS':
    case 'DH_anon':
      return fc.oneof(
        fc
          .record({ p: bytes(1, 64), g: bytes(1, 2), ys: bytes(1, 64), signed: sig })
          .map(
            ({ signed: s, ...r }): HandshakeBody =>
              s
                ? { type: 'server_key_exchange', kex: 'dhe', ...r, signed: s }
                : { type: 'server_key_exchange', kex: 'dhe', ...r },
          ),
        bytes(1, 64).map((publicKey): HandshakeBody => ({ type: 'client_key_exchange', kex: 'dhe', publicKey })),
      );
    case 'RSA':
      return bytes(0, 64).map(
        (encryptedPreMasterSecret): HandshakeBody => ({ type: 'client_key_exchange', kex: 'rsa', encryptedPreMasterSecret }),
      );
    default:
      return fc.oneof(
        bytes(0, 64).map((body): HandshakeBody => ({ type: 'server_key_exchange', kex: 'unparsed', body })),
        bytes(0, 64).map((body): HandshakeBody => ({ type: 'client_key_exchange', kex: 'unparsed', body })),
      );
  }
}
