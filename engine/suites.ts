/** Cipher suite codes the engine implements, by name. */
import { cipherSuites, type CipherSuiteInfo } from '../wire/registry';

export const CipherSuite13 = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;

export const CipherSuite12 = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 0x002f,
  TLS_RSA_WITH_AES_256_CBC_SHA: 0x0035,
  TLS_RSA_WITH_AES_128_CBC_SHA256: 0x003c,
  TLS_RSA_WITH_AES_256_CBC_SHA256: 0x003d,
  TLS_RSA_WITH_AES_128_GCM_SHA256: 0x009c,
  TLS_RSA_WITH_AES_256_GCM_SHA384: 0x009d,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 0xc009,
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 0xc00a,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 0xc013,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 0xc014,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 0xc023,
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: 0xc024,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 0xc027,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: 0xc028,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
} as const;

/** TLS 1.2 DHE_RSA suites (RFC 5288) the engine runs with RFC 7919 groups; kept apart from CipherSuite12 so its users see the same list. */
export const CipherSuiteDhe12 = {
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: 0x009e,
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: 0x009f,
} as const;

/**
 * AES-CCM suites (TLS 1.3: RFC 8446 §B.4; TLS 1.2: RFC 6655 with RSA and DHE_RSA, RFC 7251 with ECDHE_ECDSA; the PSK
 * ones are in CipherSuitePsk12). Kept apart from CipherSuite13 / CipherSuite12 so the
 * default lists and the plan space stay as they are; configure them by code (or `tlsprop serve`, which offers every
 * suite the engine implements).
 */
export const CipherSuiteCcm = {
  TLS_AES_128_CCM_SHA256: 0x1304,
  TLS_AES_128_CCM_8_SHA256: 0x1305,
  TLS_RSA_WITH_AES_128_CCM: 0xc09c,
  TLS_RSA_WITH_AES_256_CCM: 0xc09d,
  TLS_DHE_RSA_WITH_AES_128_CCM: 0xc09e,
  TLS_DHE_RSA_WITH_AES_256_CCM: 0xc09f,
  TLS_RSA_WITH_AES_128_CCM_8: 0xc0a0,
  TLS_RSA_WITH_AES_256_CCM_8: 0xc0a1,
  TLS_DHE_RSA_WITH_AES_128_CCM_8: 0xc0a2,
  TLS_DHE_RSA_WITH_AES_256_CCM_8: 0xc0a3,
  TLS_ECDHE_ECDSA_WITH_AES_128_CCM: 0xc0ac,
  TLS_ECDHE_ECDSA_WITH_AES_256_CCM: 0xc0ad,
  TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8: 0xc0ae,
  TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8: 0xc0af,
} as const;

/** TLS 1.2 DHE_RSA with AES-CBC and HMAC (RFC 5246 App. A.5), run with RFC 7919 groups like the DHE_RSA GCM suites. */
export const CipherSuiteDheCbc12 = {
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA: 0x0033,
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA: 0x0039,
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA256: 0x0067,
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA256: 0x006b,
} as const;

/**
 * TLS 1.2 suites of the PSK key exchanges (RFC 4279 PSK, DHE_PSK, RSA_PSK; RFC 5489 / RFC 8442 ECDHE_PSK) with the
 * ciphers the engine has: offered by a client only with an external PSK (ClientConfig.psk), chosen by a server only
 * with PSKs (ServerConfig.psks).
 */
export const CipherSuitePsk12 = {
  TLS_PSK_WITH_AES_128_CBC_SHA: 0x008c,
  TLS_PSK_WITH_AES_256_CBC_SHA: 0x008d,
  TLS_DHE_PSK_WITH_AES_128_CBC_SHA: 0x0090,
  TLS_DHE_PSK_WITH_AES_256_CBC_SHA: 0x0091,
  TLS_RSA_PSK_WITH_AES_128_CBC_SHA: 0x0094,
  TLS_RSA_PSK_WITH_AES_256_CBC_SHA: 0x0095,
  TLS_PSK_WITH_AES_128_GCM_SHA256: 0x00a8,
  TLS_PSK_WITH_AES_256_GCM_SHA384: 0x00a9,
  TLS_DHE_PSK_WITH_AES_128_GCM_SHA256: 0x00aa,
  TLS_DHE_PSK_WITH_AES_256_GCM_SHA384: 0x00ab,
  TLS_RSA_PSK_WITH_AES_128_GCM_SHA256: 0x00ac,
  TLS_RSA_PSK_WITH_AES_256_GCM_SHA384: 0x00ad,
  TLS_PSK_WITH_AES_128_CBC_SHA256: 0x00ae,
  TLS_PSK_WITH_AES_256_CBC_SHA384: 0x00af,
  TLS_DHE_PSK_WITH_AES_128_CBC_SHA256: 0x00b2,
  TLS_DHE_PSK_WITH_AES_256_CBC_SHA384: 0x00b3,
  TLS_RSA_PSK_WITH_AES_128_CBC_SHA256: 0x00b6,
  TLS_RSA_PSK_WITH_AES_256_CBC_SHA384: 0x00b7,
  TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA: 0xc035,
  TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA: 0xc036,
  TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256: 0xc037,
  TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384: 0xc038,
  TLS_PSK_WITH_AES_128_CCM: 0xc0a4,
  TLS_PSK_WITH_AES_256_CCM: 0xc0a5,
  TLS_DHE_PSK_WITH_AES_128_CCM: 0xc0a6,
  TLS_DHE_PSK_WITH_AES_256_CCM: 0xc0a7,
  TLS_PSK_WITH_AES_128_CCM_8: 0xc0a8,
  TLS_PSK_WITH_AES_256_CCM_8: 0xc0a9,
  TLS_PSK_DHE_WITH_AES_128_CCM_8: 0xc0aa,
  TLS_PSK_DHE_WITH_AES_256_CCM_8: 0xc0ab,
  TLS_PSK_WITH_CHACHA20_POLY1305_SHA256: 0xccab,
  TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256: 0xccac,
  TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256: 0xccad,
  TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256: 0xccae,
  TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256: 0xd001,
  TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384: 0xd002,
  TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256: 0xd003,
  TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256: 0xd005,
} as const;

/**
 * TLS 1.2 anonymous suites (RFC 5246 App. A.5 DH_anon; RFC 8422 §2.3 ECDH_anon, ephemeral): no server certificate,
 * an unsigned ServerKeyExchange, no client authentication. Never offered or chosen unless configured (RFC 5246
 * App. F.1.1.1: "completely anonymous sessions ... are vulnerable to man-in-the-middle attacks"); the engine runs
 * DH_anon with the RFC 7919 groups.
 */
export const CipherSuiteAnon12 = {
  TLS_DH_anon_WITH_AES_128_CBC_SHA256: 0x006c,
  TLS_DH_anon_WITH_AES_256_CBC_SHA256: 0x006d,
  TLS_DH_anon_WITH_AES_128_GCM_SHA256: 0x00a6,
  TLS_DH_anon_WITH_AES_256_GCM_SHA384: 0x00a7,
  TLS_ECDH_anon_WITH_AES_128_CBC_SHA: 0xc018,
  TLS_ECDH_anon_WITH_AES_256_CBC_SHA: 0xc019,
} as const;

/** The anonymous TLS 1.2 key exchanges. */
export const ANON_KEX: ReadonlySet<string> = new Set(['DH_anon', 'ECDH_anon']);

/** The TLS 1.2 key exchanges that authenticate with a pre-shared key (RFC 4279, RFC 5489). */
export const PSK_KEX: ReadonlySet<string> = new Set(['PSK', 'DHE_PSK', 'RSA_PSK', 'ECDHE_PSK']);

/** Whether a suite's key exchange uses a pre-shared key (TLS 1.2 PSK suites). */
export function isPskSuite(code: number): boolean {
  return PSK_KEX.has(cipherSuites.get(code)?.kex ?? '');
}

const IMPLEMENTED_CIPHERS: ReadonlySet<string> = new Set([
  'AES_128_GCM',
  'AES_256_GCM',
  'AES_128_CBC',
  'AES_256_CBC',
  'CHACHA20_POLY1305',
  'AES_128_CCM',
  'AES_128_CCM_8',
  'AES_256_CCM',
  'AES_256_CCM_8',
]);
const IMPLEMENTED_KEX: ReadonlySet<string> = new Set([
  'RSA',
  'ECDHE_RSA',
  'ECDHE_ECDSA',
  'DHE_RSA',
  'TLS13',
  ...PSK_KEX,
  ...ANON_KEX,
]);

/** Registry info of a suite the engine can run, or undefined. */
export function engineSuite(code: number): CipherSuiteInfo | undefined {
  const s = cipherSuites.get(code);
  if (!s || !IMPLEMENTED_CIPHERS.has(s.cipher) || !IMPLEMENTED_KEX.has(s.kex)) return undefined;
  return s;
}
