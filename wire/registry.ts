/**
 * IANA registries used on the wire. Every protocol number type is open: a
 * value not listed here is kept as its number and printed as hex, and it
 * round-trips like any other. Names keep their IANA spelling so that they
 * can be grepped against the RFCs.
 */

export type Registry = ReadonlyMap<number, string>;

function registry(entries: Record<string, number>): Registry {
  const m = new Map<number, string>();
  for (const [name, code] of Object.entries(entries)) m.set(code, name);
  return m;
}

function inverse(r: Registry): ReadonlyMap<string, number> {
  const m = new Map<string, number>();
  for (const [code, name] of r) m.set(name, code);
  return m;
}

/** Name of a code point, or `0x..` hex of the given width for unknown ones. */
export function nameOf(r: Registry, code: number, hexDigits = 4): string {
  return r.get(code) ?? `0x${code.toString(16).padStart(hexDigits, '0')}`;
}

/** Code of a name, or of a `0x..` hex string; undefined when neither. */
export function codeOf(r: Registry, name: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(name)) return Number.parseInt(name.slice(2), 16);
  let inv = inverses.get(r);
  if (!inv) {
    inv = inverse(r);
    inverses.set(r, inv);
  }
  return inv.get(name);
}
// Registries are immutable module constants, so their inverses are too.
const inverses = new WeakMap<Registry, ReadonlyMap<string, number>>();

export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
  heartbeat: 24,
} as const;
export const contentTypes = registry(ContentType);

export const ProtocolVersion = {
  SSL3: 0x0300,
  TLS1_0: 0x0301,
  TLS1_1: 0x0302,
  TLS1_2: 0x0303,
  TLS1_3: 0x0304,
} as const;
export const protocolVersions = registry({
  'SSL 3.0': 0x0300,
  'TLS 1.0': 0x0301,
  'TLS 1.1': 0x0302,
  'TLS 1.2': 0x0303,
  'TLS 1.3': 0x0304,
});

export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  hello_verify_request: 3,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  certificate_url: 21,
  certificate_status: 22,
  supplemental_data: 23,
  key_update: 24,
  /** RFC 8879 §4: a TLS 1.3 Certificate sent compressed. */
  compressed_certificate: 25,
  message_hash: 254,
} as const;
export type HandshakeTypeName = keyof typeof HandshakeType;
export const handshakeTypes = registry(HandshakeType);

export const AlertLevel = { warning: 1, fatal: 2 } as const;
export const alertLevels = registry(AlertLevel);

export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  decryption_failed_RESERVED: 21,
  record_overflow: 22,
  decompression_failure_RESERVED: 30,
  handshake_failure: 40,
  no_certificate_RESERVED: 41,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  export_restriction_RESERVED: 60,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  missing_extension: 109,
  unsupported_extension: 110,
  certificate_unobtainable_RESERVED: 111,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  bad_certificate_hash_value_RESERVED: 114,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
export type AlertName = keyof typeof AlertDescription;
export const alertDescriptions = registry(AlertDescription);

export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  client_certificate_url: 2,
  trusted_ca_keys: 3,
  truncated_hmac: 4,
  status_request: 5,
  user_mapping: 6,
  client_authz: 7,
  server_authz: 8,
  cert_type: 9,
  supported_groups: 10,
  ec_point_formats: 11,
  srp: 12,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  status_request_v2: 17,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  token_binding: 24,
  cached_info: 25,
  compress_certificate: 27,
  record_size_limit: 28,
  delegated_credential: 34,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  transparency_info: 52,
  application_settings: 17513,
  encrypted_client_hello: 0xfe0d,
  renegotiation_info: 0xff01,
} as const;
export type ExtensionName = keyof typeof ExtensionType;
export const extensionTypes = registry(ExtensionType);

export const NamedGroup = {
  sect163k1: 1,
  sect283k1: 9,
  secp192r1: 19,
  secp224r1: 21,
  secp256k1: 22,
  secp256r1: 23,
  secp384r1: 24,
  secp521r1: 25,
  brainpoolP256r1: 26,
  brainpoolP384r1: 27,
  brainpoolP512r1: 28,
  x25519: 29,
  x448: 30,
  // RFC 8734: the brainpool curves for TLS 1.3 (the same curves as 26-28)
  brainpoolP256r1tls13: 31,
  brainpoolP384r1tls13: 32,
  brainpoolP512r1tls13: 33,
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  ffdhe4096: 0x0102,
  ffdhe6144: 0x0103,
  ffdhe8192: 0x0104,
  // draft-ietf-tls-mlkem §4.1: the pure ML-KEM groups (TLS 1.3 only)
  MLKEM512: 0x0200,
  MLKEM768: 0x0201,
  MLKEM1024: 0x0202,
  // draft-ietf-tls-ecdhe-mlkem §5: the PQ/T hybrid groups (TLS 1.3 only)
  SecP256r1MLKEM768: 0x11eb,
  X25519MLKEM768: 0x11ec,
  SecP384r1MLKEM1024: 0x11ed,
} as const;
/**
 * RFC 8446 §4.2.7 obsolete_reserved(0x0001..0x0016), (0x001A..0x001C), (0xFF01..0xFF02): "Values within
 * "obsolete_reserved" ranges are used in previous versions of TLS and MUST NOT be offered or negotiated by TLS 1.3
 * implementations."
 */
export const isObsoleteGroup = (g: number): boolean =>
  (g >= 0x0001 && g <= 0x0016) || (g >= 0x001a && g <= 0x001c) || g === 0xff01 || g === 0xff02;
/** Every obsolete_reserved value of RFC 8446 §4.2.7, in order. */
export const OBSOLETE_GROUPS: readonly number[] = [
  ...Array.from({ length: 0x16 }, (_, i) => i + 1),
  0x001a,
  0x001b,
  0x001c,
  0xff01,
  0xff02,
];
export type NamedGroupName = keyof typeof NamedGroup;
export const namedGroups = registry(NamedGroup);

export const SignatureScheme = {
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
  rsa_pkcs1_sha256: 0x0401,
  ecdsa_secp256r1_sha256: 0x0403,
  rsa_pkcs1_sha384: 0x0501,
  ecdsa_secp384r1_sha384: 0x0503,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
  // RFC 8734
  ecdsa_brainpoolP256r1tls13_sha256: 0x081a,
  ecdsa_brainpoolP384r1tls13_sha384: 0x081b,
  ecdsa_brainpoolP512r1tls13_sha512: 0x081c,
  // TLS 1.2 hash/signature pairs that have no TLS 1.3 scheme name
  dsa_sha1: 0x0202,
  rsa_pkcs1_sha224: 0x0301,
  dsa_sha224: 0x0302,
  ecdsa_sha224: 0x0303,
  dsa_sha256: 0x0402,
  dsa_sha384: 0x0502,
  dsa_sha512: 0x0602,
  rsa_md5: 0x0101,
  dsa_md5: 0x0102,
  ecdsa_md5: 0x0103,
} as const;
export type SignatureSchemeName = keyof typeof SignatureScheme;
export const signatureSchemes = registry(SignatureScheme);

export const ECPointFormat = { uncompressed: 0, ansiX962_compressed_prime: 1, ansiX962_compressed_char2: 2 } as const;
export const ecPointFormats = registry(ECPointFormat);

export const PskKeyExchangeMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;
export const pskKeyExchangeModes = registry(PskKeyExchangeMode);

/** RFC 8879 §3, §7.3: CertificateCompressionAlgorithm. */
export const CertificateCompressionAlgorithm = { zlib: 1, brotli: 2, zstd: 3 } as const;
export const certificateCompressionAlgorithms = registry(CertificateCompressionAlgorithm);

export const CertificateStatusType = { ocsp: 1 } as const;
export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;
export const ClientCertificateType = {
  rsa_sign: 1,
  dss_sign: 2,
  rsa_fixed_dh: 3,
  dss_fixed_dh: 4,
  ecdsa_sign: 64,
  rsa_fixed_ecdh: 65,
  ecdsa_fixed_ecdh: 66,
} as const;
export const clientCertificateTypes = registry(ClientCertificateType);
export const MaxFragmentLength = { '2^9': 1, '2^10': 2, '2^11': 3, '2^12': 4 } as const;

/** How a TLS 1.2 cipher suite exchanges keys (decides the ServerKeyExchange and ClientKeyExchange bodies). */
export type KeyExchange =
  | 'RSA'
  | 'DHE_RSA'
  | 'DHE_DSS'
  | 'DH_anon'
  | 'ECDHE_RSA'
  | 'ECDHE_ECDSA'
  | 'ECDH_anon'
  | 'ECDH_RSA'
  | 'ECDH_ECDSA'
  | 'DH_RSA'
  | 'DH_DSS'
  | 'PSK'
  | 'DHE_PSK'
  | 'RSA_PSK'
  | 'ECDHE_PSK'
  | 'TLS13'
  | 'NULL';

export interface CipherSuiteInfo {
  code: number;
  name: string;
  /** Key exchange of a TLS 1.2 suite; 'TLS13' for the TLS 1.3 suites. */
  kex: KeyExchange;
  /** Bulk cipher, 'NULL' for none. */
  cipher:
    | 'AES_128_GCM'
    | 'AES_256_GCM'
    | 'AES_128_CBC'
    | 'AES_256_CBC'
    | 'CHACHA20_POLY1305'
    | 'AES_128_CCM'
    | 'AES_128_CCM_8'
    | 'AES_256_CCM'
    | 'AES_256_CCM_8'
    | '3DES_EDE_CBC'
    | 'RC4_128'
    | 'NULL'
    | 'EXPORT';
  /** MAC of CBC suites ('AEAD' for AEAD suites). */
  mac: 'SHA' | 'SHA256' | 'SHA384' | 'MD5' | 'AEAD';
  /** Hash of the PRF (TLS 1.2) or HKDF (TLS 1.3). */
  prfHash: 'SHA-256' | 'SHA-384';
  /** Export-grade (FREAK/Logjam era) suite. */
  export?: boolean;
}

function suite(code: number, name: string): CipherSuiteInfo {
  const tls13 = name.match(/^TLS_(AES_128_GCM|AES_256_GCM|CHACHA20_POLY1305|AES_128_CCM(?:_8)?)_(SHA256|SHA384)$/);
  if (tls13) {
    const cipher = tls13[1] as CipherSuiteInfo['cipher'];
    return { code, name, kex: 'TLS13', cipher, mac: 'AEAD', prfHash: tls13[2] === 'SHA384' ? 'SHA-384' : 'SHA-256' };
  }
  const m = name.match(/^TLS_(.+?)_WITH_(.+)$/);
  if (!m) return { code, name, kex: 'NULL', cipher: 'NULL', mac: 'SHA', prfHash: 'SHA-256' };
  const exp = m[1]!.endsWith('_EXPORT');
  // RFC 6655 names two DHE_PSK CCM_8 suites TLS_PSK_DHE_WITH_...
  const kex = m[1]!.replace(/_EXPORT$/, '').replace(/^PSK_DHE$/, 'DHE_PSK') as KeyExchange;
  const rest = m[2]!;
  let cipher: CipherSuiteInfo['cipher'] = 'NULL';
  if (rest.startsWith('AES_128_GCM')) cipher = 'AES_128_GCM';
  else if (rest.startsWith('AES_256_GCM')) cipher = 'AES_256_GCM';
  else if (rest.startsWith('AES_128_CBC')) cipher = 'AES_128_CBC';
  else if (rest.startsWith('AES_256_CBC')) cipher = 'AES_256_CBC';
  else if (rest.startsWith('CHACHA20_POLY1305')) cipher = 'CHACHA20_POLY1305';
  else if (rest.startsWith('AES_128_CCM')) cipher = rest.startsWith('AES_128_CCM_8') ? 'AES_128_CCM_8' : 'AES_128_CCM';
  else if (rest.startsWith('AES_256_CCM')) cipher = rest.startsWith('AES_256_CCM_8') ? 'AES_256_CCM_8' : 'AES_256_CCM';
  else if (rest.startsWith('3DES_EDE_CBC')) cipher = '3DES_EDE_CBC';
  else if (rest.startsWith('RC4_128') || rest.startsWith('RC4_40')) cipher = exp ? 'EXPORT' : 'RC4_128';
  else if (rest.startsWith('DES40') || rest.startsWith('RC2')) cipher = 'EXPORT';
  const aead = /GCM|CHACHA20|CCM/.test(rest);
  const mac: CipherSuiteInfo['mac'] = aead
    ? 'AEAD'
    : rest.endsWith('SHA384')
      ? 'SHA384'
      : rest.endsWith('SHA256')
        ? 'SHA256'
        : rest.endsWith('MD5')
          ? 'MD5'
          : 'SHA';
  const prfHash = rest.endsWith('SHA384') ? 'SHA-384' : 'SHA-256';
  const info: CipherSuiteInfo = { code, name, kex, cipher, mac, prfHash };
  if (exp) info.export = true;
  return info;
}

const suiteList: Array<[number, string]> = [
  [0x0000, 'TLS_NULL_WITH_NULL_NULL'],
  [0x0003, 'TLS_RSA_EXPORT_WITH_RC4_40_MD5'],
  [0x0004, 'TLS_RSA_WITH_RC4_128_MD5'],
  [0x0005, 'TLS_RSA_WITH_RC4_128_SHA'],
  [0x0008, 'TLS_RSA_EXPORT_WITH_DES40_CBC_SHA'],
  [0x000a, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0x0014, 'TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA'],
  [0x0016, 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA'],
  [0x0032, 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA'],
  [0x0033, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA'],
  [0x0034, 'TLS_DH_anon_WITH_AES_128_CBC_SHA'],
  [0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA'],
  [0x0038, 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA'],
  [0x0039, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA'],
  [0x003a, 'TLS_DH_anon_WITH_AES_256_CBC_SHA'],
  [0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256'],
  [0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256'],
  [0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256'],
  [0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256'],
  [0x006c, 'TLS_DH_anon_WITH_AES_128_CBC_SHA256'],
  [0x006d, 'TLS_DH_anon_WITH_AES_256_CBC_SHA256'],
  // RFC 4279 (PSK, DHE_PSK, RSA_PSK with AES-CBC) and RFC 5487 (with AES-GCM and SHA-256/384)
  [0x008c, 'TLS_PSK_WITH_AES_128_CBC_SHA'],
  [0x008d, 'TLS_PSK_WITH_AES_256_CBC_SHA'],
  [0x0090, 'TLS_DHE_PSK_WITH_AES_128_CBC_SHA'],
  [0x0091, 'TLS_DHE_PSK_WITH_AES_256_CBC_SHA'],
  [0x0094, 'TLS_RSA_PSK_WITH_AES_128_CBC_SHA'],
  [0x0095, 'TLS_RSA_PSK_WITH_AES_256_CBC_SHA'],
  [0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384'],
  [0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0x00a6, 'TLS_DH_anon_WITH_AES_128_GCM_SHA256'],
  [0x00a7, 'TLS_DH_anon_WITH_AES_256_GCM_SHA384'],
  [0x00a8, 'TLS_PSK_WITH_AES_128_GCM_SHA256'],
  [0x00a9, 'TLS_PSK_WITH_AES_256_GCM_SHA384'],
  [0x00aa, 'TLS_DHE_PSK_WITH_AES_128_GCM_SHA256'],
  [0x00ab, 'TLS_DHE_PSK_WITH_AES_256_GCM_SHA384'],
  [0x00ac, 'TLS_RSA_PSK_WITH_AES_128_GCM_SHA256'],
  [0x00ad, 'TLS_RSA_PSK_WITH_AES_256_GCM_SHA384'],
  [0x00ae, 'TLS_PSK_WITH_AES_128_CBC_SHA256'],
  [0x00af, 'TLS_PSK_WITH_AES_256_CBC_SHA384'],
  [0x00b2, 'TLS_DHE_PSK_WITH_AES_128_CBC_SHA256'],
  [0x00b3, 'TLS_DHE_PSK_WITH_AES_256_CBC_SHA384'],
  [0x00b6, 'TLS_RSA_PSK_WITH_AES_128_CBC_SHA256'],
  [0x00b7, 'TLS_RSA_PSK_WITH_AES_256_CBC_SHA384'],
  [0x00ff, 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV'],
  [0x1301, 'TLS_AES_128_GCM_SHA256'],
  [0x1302, 'TLS_AES_256_GCM_SHA384'],
  [0x1303, 'TLS_CHACHA20_POLY1305_SHA256'],
  [0x1304, 'TLS_AES_128_CCM_SHA256'],
  [0x1305, 'TLS_AES_128_CCM_8_SHA256'],
  [0x5600, 'TLS_FALLBACK_SCSV'],
  [0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA'],
  [0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA'],
  [0xc012, 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'],
  [0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA'],
  [0xc018, 'TLS_ECDH_anon_WITH_AES_128_CBC_SHA'],
  [0xc019, 'TLS_ECDH_anon_WITH_AES_256_CBC_SHA'],
  [0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256'],
  [0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384'],
  [0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256'],
  [0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384'],
  [0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  [0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  // RFC 5489 (ECDHE_PSK with AES-CBC)
  [0xc035, 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA'],
  [0xc036, 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA'],
  [0xc037, 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256'],
  [0xc038, 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384'],
  // RFC 6655 (RSA and DHE_RSA with AES-CCM) and RFC 7251 (ECDHE_ECDSA with AES-CCM)
  [0xc09c, 'TLS_RSA_WITH_AES_128_CCM'],
  [0xc09d, 'TLS_RSA_WITH_AES_256_CCM'],
  [0xc09e, 'TLS_DHE_RSA_WITH_AES_128_CCM'],
  [0xc09f, 'TLS_DHE_RSA_WITH_AES_256_CCM'],
  [0xc0a0, 'TLS_RSA_WITH_AES_128_CCM_8'],
  [0xc0a1, 'TLS_RSA_WITH_AES_256_CCM_8'],
  [0xc0a2, 'TLS_DHE_RSA_WITH_AES_128_CCM_8'],
  [0xc0a3, 'TLS_DHE_RSA_WITH_AES_256_CCM_8'],
  // RFC 6655 (PSK and DHE_PSK with AES-CCM)
  [0xc0a4, 'TLS_PSK_WITH_AES_128_CCM'],
  [0xc0a5, 'TLS_PSK_WITH_AES_256_CCM'],
  [0xc0a6, 'TLS_DHE_PSK_WITH_AES_128_CCM'],
  [0xc0a7, 'TLS_DHE_PSK_WITH_AES_256_CCM'],
  [0xc0a8, 'TLS_PSK_WITH_AES_128_CCM_8'],
  [0xc0a9, 'TLS_PSK_WITH_AES_256_CCM_8'],
  [0xc0aa, 'TLS_PSK_DHE_WITH_AES_128_CCM_8'],
  [0xc0ab, 'TLS_PSK_DHE_WITH_AES_256_CCM_8'],
  [0xc0ac, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM'],
  [0xc0ad, 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM'],
  [0xc0ae, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8'],
  [0xc0af, 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8'],
  [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  // RFC 7905 (the PSK key exchanges with ChaCha20-Poly1305) and RFC 8442 (ECDHE_PSK with AES-GCM and AES-CCM)
  [0xccab, 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccac, 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccad, 'TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccae, 'TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256'],
  [0xd001, 'TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256'],
  [0xd002, 'TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384'],
  [0xd003, 'TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256'],
  [0xd005, 'TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256'],
];

export const cipherSuites: ReadonlyMap<number, CipherSuiteInfo> = new Map(suiteList.map(([c, n]) => [c, suite(c, n)]));
export const cipherSuiteNames = registry(Object.fromEntries(suiteList.map(([c, n]) => [n, c])));

/** Signalling values that appear in cipher_suites but are not suites. */
export const SCSV = { TLS_EMPTY_RENEGOTIATION_INFO_SCSV: 0x00ff, TLS_FALLBACK_SCSV: 0x5600 } as const;

/** GREASE values (RFC 8701): 0x?A?A for 16-bit code points. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

/** HelloRetryRequest's ServerHello.random: SHA-256("HelloRetryRequest"), RFC 8446 §4.1.3. */
export const HRR_RANDOM = Uint8Array.from(Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'));
/** Downgrade sentinels in the last 8 bytes of ServerHello.random, RFC 8446 §4.1.3. */
export const DOWNGRADE_TLS12 = Uint8Array.from(Buffer.from('444f574e47524401', 'hex'));
export const DOWNGRADE_TLS11 = Uint8Array.from(Buffer.from('444f574e47524400', 'hex'));
