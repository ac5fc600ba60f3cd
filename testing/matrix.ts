/**
 * The interop matrix: version x key exchange x cipher x group x client auth,
 * each row named from its parameters, and a covering subset (every suite,
 * every group with every key exchange, both auth modes) for peers where the
 * full product is too slow.
 */
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import type { KeyKind } from './pki';
import type { TlsVersion } from '../wire/vocabulary';

export type Kex = 'ECDHE_RSA' | 'ECDHE_ECDSA' | 'RSA' | 'TLS13';
export type GroupName = 'x25519' | 'secp256r1' | 'secp384r1';
export const GROUPS: readonly GroupName[] = ['x25519', 'secp256r1', 'secp384r1'];

export interface Row {
  name: string;
  version: TlsVersion;
  kex: Kex;
  /** IANA suite name. */
  suite: string;
  code: number;
  group: GroupName;
  mutual: boolean;
  /** Key type of the server certificate (and of the client's, when mutual). */
  key: KeyKind;
}

const S12 = CipherSuite12;
const SUITES_12: Record<'ECDHE_RSA' | 'ECDHE_ECDSA' | 'RSA', number[]> = {
  ECDHE_RSA: [
    S12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    S12.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    S12.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    S12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    S12.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  ],
  ECDHE_ECDSA: [
    S12.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    S12.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    S12.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    S12.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    S12.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  ],
  RSA: [
    S12.TLS_RSA_WITH_AES_128_GCM_SHA256,
    S12.TLS_RSA_WITH_AES_256_GCM_SHA384,
    S12.TLS_RSA_WITH_AES_128_CBC_SHA256,
    S12.TLS_RSA_WITH_AES_256_CBC_SHA256,
  ],
};
const SUITES_13 = [
  CipherSuite13.TLS_AES_128_GCM_SHA256,
  CipherSuite13.TLS_AES_256_GCM_SHA384,
  CipherSuite13.TLS_CHACHA20_POLY1305_SHA256,
];

/** Every suite code the matrix uses (for a server that should accept any of them). */
export const MATRIX_SUITES: readonly number[] = [
  ...SUITES_13,
  ...SUITES_12.ECDHE_ECDSA,
  ...SUITES_12.ECDHE_RSA,
  ...SUITES_12.RSA,
];

function row(version: TlsVersion, kex: Kex, suite: string, code: number, group: GroupName, mutual: boolean, key: KeyKind): Row {
  const short = suite.replace(/^TLS_/, '').replace(/^(ECDHE_RSA|ECDHE_ECDSA|RSA)_WITH_/, '');
  const kexPart = kex === 'TLS13' ? `${key.toUpperCase()} cert` : kex;
  const groupPart = kex === 'RSA' ? 'no ECDHE' : group;
  return {
    name: `TLS${version} ${kexPart} ${short} ${groupPart} ${mutual ? 'mutual' : 'one-way'}`,
    version,
    kex,
    suite,
    code,
    group,
    mutual,
    key,
  };
}

/** The full product. `suiteName` maps a code to its IANA name. */
export function fullMatrix(suiteName: (code: number) => string): Row[] {
  const rows: Row[] = [];
  for (const mutual of [false, true]) {
    for (const kex of ['ECDHE_RSA', 'ECDHE_ECDSA'] as const)
      for (const code of SUITES_12[kex])
        for (const g of GROUPS)
          rows.push(row('1.2', kex, suiteName(code), code, g, mutual, kex === 'ECDHE_RSA' ? 'rsa' : 'ecdsa'));
    for (const code of SUITES_12.RSA) rows.push(row('1.2', 'RSA', suiteName(code), code, 'x25519', mutual, 'rsa'));
    for (const key of ['rsa', 'ecdsa'] as const)
      for (const code of SUITES_13) for (const g of GROUPS) rows.push(row('1.3', 'TLS13', suiteName(code), code, g, mutual, key));
  }
  return rows;
}

/**
 * Covering subset: every (version, key exchange, suite, auth) once, the
 * group rotating so that each key exchange meets every group in each auth
 * mode.
 */
export function coveringMatrix(suiteName: (code: number) => string): Row[] {
  const rows: Row[] = [];
  for (const mutual of [false, true]) {
    let i = mutual ? 1 : 0;
    for (const kex of ['ECDHE_RSA', 'ECDHE_ECDSA'] as const)
      for (const code of SUITES_12[kex])
        rows.push(row('1.2', kex, suiteName(code), code, GROUPS[i++ % 3]!, mutual, kex === 'ECDHE_RSA' ? 'rsa' : 'ecdsa'));
    for (const code of SUITES_12.RSA) rows.push(row('1.2', 'RSA', suiteName(code), code, 'x25519', mutual, 'rsa'));
    for (const key of ['rsa', 'ecdsa'] as const)
      for (const code of SUITES_13) rows.push(row('1.3', 'TLS13', suiteName(code), code, GROUPS[i++ % 3]!, mutual, key));
  }
  return rows;
}

// ---------------------------------------------------------------------------
// Feature rows (spec/interop-features.spec.ts): one handshake feature per row,
// each in both roles against OpenSSL, Node tls and GnuTLS.

/** A handshake feature row. */
export type Feature =
  | 'DHE_RSA ffdhe2048'
  | 'DHE_RSA ffdhe3072'
  | 'HRR'
  | 'HRR + cookie'
  | 'PSK psk_dhe_ke'
  | 'PSK psk_ke'
  | 'TLS 1.2 session ID'
  | 'TLS 1.2 ticket'
  | 'KeyUpdate'
  | 'X25519MLKEM768';
export const FEATURES: readonly Feature[] = [
  'DHE_RSA ffdhe2048',
  'DHE_RSA ffdhe3072',
  'HRR',
  'HRR + cookie',
  'PSK psk_dhe_ke',
  'PSK psk_ke',
  'TLS 1.2 session ID',
  'TLS 1.2 ticket',
  'KeyUpdate',
  // draft-ietf-tls-ecdhe-mlkem: the hybrid ML-KEM key share (crypto/kem.ts); no local peer has it yet
  'X25519MLKEM768',
];
/** Peer and role: the peer's program or API (its role is the other end of ours). */
export type Column =
  | 'openssl s_server'
  | 'openssl s_client'
  | 'node server'
  | 'node client'
  | 'gnutls-serv'
  | 'gnutls-cli'
  | 'botan tls_server'
  | 'botan tls_client';

const BOTAN_NO_TLS13 = 'Botan 2.19 (the CLI and the library) implements TLS up to 1.2 only';
/**
 * Combination rows a peer cannot run, and why (each becomes a skipped test
 * carrying the reason). Columns not listed run every row.
 */
export const UNSUPPORTED_ROWS: Partial<Record<Column, ReadonlyArray<{ when: (r: Row) => boolean; why: string }>>> = {
  'botan tls_server': [
    { when: (r) => r.version === '1.3', why: BOTAN_NO_TLS13 },
    {
      when: (r) => r.mutual,
      why:
        'botan tls_server has no option for a CA file and its credentials manager gives no trusted CA for client certificates: with require_client_certificate_authentication it rejects every one with bad_certificate ' +
        '(checked: our RSA and ECDSA client chains, an OpenSSL-made ECDSA chain with clientAuth EKU, a self-signed certificate, its own server certificate)',
    },
  ],
  'botan tls_client': [
    { when: (r) => r.version === '1.3', why: BOTAN_NO_TLS13 },
    { when: (r) => r.mutual, why: 'botan tls_client has no option to load a client certificate and key' },
  ],
};

/** Why `column` cannot run `row`, or undefined when it can. */
export function unsupportedRow(column: Column, row: Row): string | undefined {
  return UNSUPPORTED_ROWS[column]?.find((u) => u.when(row))?.why;
}

const NO_MLKEM_OPENSSL = 'OpenSSL 3.0.x (here 3.0.22) has no ML-KEM: X25519MLKEM768 came with OpenSSL 3.5';
const NO_MLKEM_NODE = 'Node 20 links OpenSSL 3.0, which has no ML-KEM: its TLS cannot offer or select X25519MLKEM768';
const NO_MLKEM_GNUTLS = 'GnuTLS 3.7.9 has no ML-KEM: its X25519MLKEM768 group came in the 3.8 series';
const NO_MLKEM_BOTAN = 'Botan 2.19 has neither TLS 1.3 nor ML-KEM (both are Botan 3)';

/**
 * Feature cells a peer cannot run, and why (each becomes a skipped test carrying the reason). X25519MLKEM768: no
 * peer on this machine implements ML-KEM, so our engine proves it against itself (engine/mlkem.test.ts, with the
 * transcript's key schedule recomputed) and `tlsprop check` judges a capture of it (cli/check-mlkem.test.ts).
 */
export const UNSUPPORTED: Partial<Record<Column, Partial<Record<Feature, string>>>> = {
  'openssl s_server': { X25519MLKEM768: NO_MLKEM_OPENSSL },
  'openssl s_client': { X25519MLKEM768: NO_MLKEM_OPENSSL },
  'node server': {
    'HRR + cookie': 'Node exposes no stateless-server mode (OpenSSL SSL_stateless): its HelloRetryRequest never carries a cookie',
    X25519MLKEM768: NO_MLKEM_NODE,
  },
  'node client': { X25519MLKEM768: NO_MLKEM_NODE },
  'gnutls-serv': {
    'HRR + cookie':
      'gnutls-serv 3.7 keeps state and sends its HelloRetryRequest without a cookie (checked: the HRR row passes without one)',
    X25519MLKEM768: NO_MLKEM_GNUTLS,
  },
  'gnutls-cli': { X25519MLKEM768: NO_MLKEM_GNUTLS },
  'botan tls_server': { X25519MLKEM768: NO_MLKEM_BOTAN },
  'botan tls_client': { X25519MLKEM768: NO_MLKEM_BOTAN },
};
