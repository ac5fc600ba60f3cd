/**
 * Deviations from the RFC text that the real captures and vectors under
 * fixtures/ show: what the stacks that made them did, not false positives
 * of the oracles. Each names the case, the rule, the party and the RFC
 * sentence; the specs that hold a reference capture to "no violation"
 * allow exactly these (and fail when one of them is no longer found, so
 * the list cannot outlive what it excuses).
 */
export interface KnownDeviation {
  /** The case as spec/support/shared.ts names it (`captures/...`, `vectors/...`). */
  case: string;
  rule: string;
  party: string;
  rfc: string;
}

export const KNOWN_DEVIATIONS: readonly KnownDeviation[] = [
  {
    case: 'captures/gnutls-server-openssl-client-t12-mutual',
    rule: 'sig.t12.cr-no-md5-sha1',
    party: 'server (gnutls-serv 3.7.9): its CertificateRequest lists rsa_pkcs1_sha1 and ecdsa_sha1',
    rfc: 'RFC 9155 §3: "Servers SHOULD NOT include MD5 and SHA-1 in CertificateRequest messages."',
  },
  {
    case: 'vectors/illustrated-tls12',
    rule: 'sig.t12.sigalgs-no-md5-sha1',
    party: 'client: its signature_algorithms offers rsa_pkcs1_sha1 and ecdsa_sha1 (the capture predates RFC 9155)',
    rfc: 'RFC 9155 §2: "Clients MUST NOT include MD5 and SHA-1 in this extension."',
  },
  {
    case: 'vectors/illustrated-tls12',
    rule: 'alert.close-notify',
    party: 'server: it sends FIN after its application data without close_notify',
    rfc: 'RFC 5246 §7.2.1: "Unless some other fatal alert has been transmitted, each party is required to send a close_notify alert before closing the write side of the connection."',
  },
  {
    case: 'vectors/illustrated-tls13',
    rule: 'alert.close-notify',
    party: 'client and server: both send FIN after their application data without close_notify',
    rfc: 'RFC 8446 §6.1: "Each party MUST send a "close_notify" alert before closing its write side of the connection, unless it has already sent some error alert."',
  },
];

/** Whether a violation of `rule` in a source named after `source` (a case name, possibly with `#n (...)`) is a known deviation. */
export function knownDeviation(source: string, rule: string): boolean {
  return KNOWN_DEVIATIONS.some((k) => (source === k.case || source.startsWith(`${k.case}#`)) && k.rule === rule);
}

/** A rule a real peer's own messages break, wherever it shows (the interop and fuzz specs excuse exactly these). */
export interface PeerDeviation {
  rule: string;
  reason: string;
}

/** gnutls-serv 3.7.9 lists SHA-1 pairs in its TLS 1.2 CertificateRequest. */
export const GNUTLS_SERV: readonly PeerDeviation[] = [
  {
    rule: 'sig.t12.cr-no-md5-sha1',
    reason:
      'gnutls-serv 3.7.9 lists rsa_pkcs1_sha1 and ecdsa_sha1 in its CertificateRequest (RFC 9155 §3: "Servers SHOULD NOT include MD5 and SHA-1 in CertificateRequest messages.")',
  },
];

/** gnutls-cli 3.7.9 offering TLS 1.2 only offers SHA-1 pairs in signature_algorithms. */
export const GNUTLS_CLI: readonly PeerDeviation[] = [
  {
    rule: 'sig.t12.sigalgs-no-md5-sha1',
    reason:
      'gnutls-cli 3.7.9 (TLS 1.2 only) offers rsa_pkcs1_sha1 and ecdsa_sha1 (RFC 9155 §2: "Clients MUST NOT include MD5 and SHA-1 in this extension.")',
  },
];

/**
 * gnutls-cli 3.7.9 in its simple client mode exits on the server's close_notify ("Peer has closed the GnuTLS
 * connection") and closes its side with FIN, without a close_notify of its own: a capture shows it (the live cells,
 * which stop reading after our close_notify, do not).
 */
export const GNUTLS_CLI_CLOSE: readonly PeerDeviation[] = [
  {
    rule: 'alert.close-notify',
    reason:
      'gnutls-cli 3.7.9 closes its write side after the server\'s close_notify without sending one (RFC 8446 §6.1: "Each party MUST send a "close_notify" alert before closing its write side of the connection, unless it has already sent some error alert.")',
  },
];

/** openssl s_client 3.0 at security level 0 (which the anonymous suites need) offers SHA-1 pairs. */
export const OPENSSL_CLIENT_SECLEVEL0: readonly PeerDeviation[] = [
  {
    rule: 'sig.t12.sigalgs-no-md5-sha1',
    reason:
      'openssl s_client 3.0 with @SECLEVEL=0 offers ecdsa_sha1, rsa_pkcs1_sha1 and dsa_sha1 (RFC 9155 §2: "Clients MUST NOT include MD5 and SHA-1 in this extension.")',
  },
];

/**
 * Every deviation of a real peer the interop cells meet (spec/support/interop-cells.ts excuses exactly these, and only
 * in the peer's own messages: ours are never excused).
 */

/** OpenSSL 3.0 clients (s_client, Node, mosquitto_pub) offering TLS 1.3 and 1.2 also offer the SHA-224 and DSA pairs. */
export const OPENSSL_CLIENT: readonly PeerDeviation[] = [
  {
    rule: 't12.neg.no-weak-algorithms',
    reason:
      'OpenSSL 3.0 offers ecdsa_sha224, rsa_pkcs1_sha224 and the dsa_* pairs beside TLS 1.3 (RFC 8446 §4.2.3: "They MUST NOT be offered or negotiated by any implementation. In particular, MD5 [SLOTH], SHA-224, and DSA MUST NOT be used.")',
  },
];

/**
 * Our engine run over a socket (engine/socket.ts drive()) ends a completed
 * run with socket.end() and no close_notify: a capture of it shows the
 * truncation RFC 8446 §6.1 / RFC 5246 §7.2.1 forbid.
 */
export const ENGINE_SOCKET_RUN: readonly PeerDeviation[] = [
  {
    rule: 'alert.close-notify',
    reason:
      'engine/socket.ts ends a completed run with FIN and no close_notify (RFC 8446 §6.1: "Each party MUST send a "close_notify" alert before closing its write side of the connection")',
  },
];

/**
 * Every deviation of a real peer the breadth interop cells meet: spec/support/interop-cells.ts excuses exactly these,
 * and only in the peer's own messages (ours are never excused).
 */
export const REAL_PEER_DEVIATIONS: readonly PeerDeviation[] = [
  ...GNUTLS_SERV,
  ...GNUTLS_CLI,
  ...OPENSSL_CLIENT,
  ...OPENSSL_CLIENT_SECLEVEL0,
];
