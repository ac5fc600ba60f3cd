/**
 * The deliberate faults of the engine (engine/faults.ts keeps their ids and
 * the sides each can be switched on in; the one guard per fault lives at
 * the place in the engine where the check it breaks is made), declared in
 * the mutation model: what the faulty endpoint does, the rules a fuzzer
 * must report when it meets it (per version: the rules of that version),
 * and the fatal alert the healthy engine sends instead (one the rules name).
 * The faulty target (engine/serve.ts startFaultyServer) and the faulty client
 * (`tlsprop connect --fault`) are the live peers these describe.
 */
import type { RuleId } from '../../oracles/catalogue';
import type { Fault } from '../../engine/faults';
import type { AlertName, TlsVersion } from '../../wire/vocabulary';
import type { EngineFault } from './model';

function fault(
  fault: Fault,
  description: string,
  versions: readonly TlsVersion[],
  rules: readonly RuleId[],
  healthyAlert: AlertName | undefined,
): EngineFault {
  const f: EngineFault = { name: fault, description, versions, rules, where: 'engine-fault', fault, bases: [] };
  if (healthyAlert !== undefined) f.healthyAlert = healthyAlert;
  return f;
}

export const ENGINE_FAULT_MUTATIONS: readonly EngineFault[] = [
  fault(
    'accept-missing-cv',
    'server: a non-empty client Certificate without CertificateVerify is accepted (1.2: the CCS comes instead; 1.3: the Finished), the client counts as authenticated (CVE-2015-0205 class)',
    ['1.2', '1.3'],
    ['t12.order.cv-iff-signing-cert', 't13.order.client-cv-iff-nonempty'],
    'unexpected_message',
  ),
  fault(
    'accept-cv-wrong-transcript',
    'server: a well-formed client CertificateVerify whose signature does not verify over the handshake transcript is accepted (the verification result is not acted on)',
    ['1.2', '1.3'],
    ['t12.cv.signature-valid', 't13.cv.signature-valid'],
    'decrypt_error',
  ),
  fault(
    'accept-early-ccs',
    'a ChangeCipherSpec that arrives before any keys are in use and before the point where one is due is ignored instead of fatal (CVE-2014-0224 class); in 1.3 only a server has such a CCS: one before the first ClientHello (RFC 8446 §5 lets a client drop a CCS as soon as its ClientHello is out)',
    ['1.2', '1.3'],
    ['t12.order.ccs-timing', 'rec.t13.ccs-compat'],
    'unexpected_message',
  ),
  fault(
    'skip-finished-check',
    "the peer's Finished verify_data is not compared with the expected value",
    ['1.2', '1.3'],
    ['t12.fin.verify-data', 't13.fin.verify-data'],
    'decrypt_error',
  ),
  fault(
    'accept-unoffered-suite',
    "client: a ServerHello (or HelloRetryRequest) cipher suite that was not offered is accepted when the engine implements it; server: its suite choice ignores the client's cipher_suites list",
    ['1.2', '1.3'],
    ['t12.neg.suite-offered', 't13.neg.suite-offered'],
    'illegal_parameter',
  ),
  fault(
    'accept-invalid-ecdh-point',
    'a peer ECDH value that fails validation is used anyway: a NIST-curve point from its X coordinate alone (as an x-only ladder would), anything else (identity, bad length, X off the curve, X25519 small order) as an all-zero shared secret',
    ['1.2', '1.3'],
    ['ecdh.point-on-curve', 'ecdh.point-format'],
    'illegal_parameter',
  ),
  fault(
    'accept-expired-client-cert',
    'server: cert.path.validity problems of the client chain (expired or not yet valid) are ignored when trust anchors are configured',
    ['1.2', '1.3'],
    ['cert.path.validity'],
    'certificate_expired',
  ),
  fault(
    'accept-wrongly-signed-client-cert',
    'server: cert.path.signature problems of the client chain (a certificate whose signature does not verify with its issuer key) are ignored',
    ['1.2', '1.3'],
    ['cert.path.signature'],
    'bad_certificate',
  ),
  fault(
    'ske-unoffered-scheme',
    "server (1.2): the ServerKeyExchange is signed with the first of the server's schemes that fits its key and that the client did NOT offer (the client's list is used only when it offered every fitting scheme)",
    ['1.2'],
    ['t12.neg.ske-sigalg'],
    'illegal_parameter',
  ),
  fault(
    'accept-any-client-cert',
    'server: a client certificate is requested and any chain is accepted (untrusted, expired, badly signed), while a client without one is refused',
    ['1.2', '1.3'],
    ['cert.path.trust-anchor', 'cert.path.validity', 'cert.path.signature'],
    'unknown_ca',
  ),
  fault(
    'silent-close-bad-signature',
    'server: a client CertificateVerify whose signature does not verify ends the connection without any alert',
    ['1.2', '1.3'],
    // the alert duty it breaks, and the signature rules whose alert it withholds
    ['alert.t12.must-send', 'alert.t13.should-send', 't12.cv.signature-valid', 't13.cv.signature-valid'],
    'decrypt_error',
  ),
  fault(
    'crash-on-invalid-key-share',
    'server: an invalid peer ECDH value (a TLS 1.3 key share or TLS 1.2 ClientKeyExchange point) kills the server: it stops listening',
    ['1.2', '1.3'],
    ['ecdh.point-on-curve', 'ecdh.point-format', 'ecdh.x25519-zero'],
    'illegal_parameter',
  ),
  fault(
    'alert-handshake-keys',
    'server (1.3): a fatal alert after its Finished (e.g. for a bad client Finished) is sealed with its handshake write keys instead of its application keys',
    ['1.3'],
    ['rec.t13.app-keys-after-finished'],
    'bad_record_mac',
  ),
  fault(
    'ignore-key-update-request',
    'server (1.3): a KeyUpdate with update_requested is taken as update_not_requested: the server goes on sending application data under its old keys without a KeyUpdate of its own (RFC 8446 §4.6.3)',
    ['1.3'],
    ['t13.neg.keyupdate-values'],
    'illegal_parameter',
  ),
  fault(
    'hrr-missing-key-share',
    'server (1.3): a ClientHello with supported_groups but without key_share is answered with a HelloRetryRequest instead of missing_extension (RFC 8446 §9.2)',
    ['1.3'],
    ['t13.neg.mandatory-extensions'],
    'missing_extension',
  ),
  fault(
    'accept-ccs-after-finished',
    "1.3: a ChangeCipherSpec record after the peer's Finished is dropped like a compatibility CCS instead of being an unexpected record (RFC 8446 §5)",
    ['1.3'],
    ['rec.t13.ccs-compat'],
    'unexpected_message',
  ),
  fault(
    'accept-cv-unoffered-scheme',
    'server: a client CertificateVerify signed with a scheme the CertificateRequest did not list (e.g. rsa_md5; in 1.3 also RSASSA-PKCS1-v1_5) is verified with that scheme and accepted',
    ['1.2', '1.3'],
    ['t12.neg.cv-sigalg', 't13.neg.cv-sigalg'],
    'illegal_parameter',
  ),
  fault(
    'null-suite-no-common',
    'server: a ClientHello with no cipher suite in common is answered with a ServerHello naming TLS_NULL_WITH_NULL_NULL (0x0000), then a close without an alert, instead of handshake_failure',
    ['1.2', '1.3'],
    // the rule the live ClientHello family (ch-only-unknown-suites) names for this duty, RFC 5246 §7.4.1.2
    ['t12.neg.no-common-parameters', 't13.neg.no-common-parameters', 't12.neg.suite-offered', 't13.neg.suite-offered'],
    'handshake_failure',
  ),
  fault(
    'accept-tls12-from-t13-only',
    'client: offering only TLS 1.3 (supported_versions lists 0x0304 alone, no TLS 1.2 suite), it takes a TLS 1.2 ServerHello (no supported_versions) and goes on in TLS 1.2 with the TLS 1.2 suite the server picked, as a client whose TLS 1.2 code stays reachable would',
    ['1.3'],
    // RFC 8446 App. D.1: "If the version chosen by the server is not supported by the client (or is not acceptable), the
    // client MUST abort the handshake with a "protocol_version" alert." (A ServerHello whose supported_versions selects
    // TLS 1.2 is §4.2.1's illegal_parameter; the healthy engine refuses that one too, and with a TLS 1.3 suite no client
    // can go on in TLS 1.2, so the fault is about the legacy ServerHello.)
    ['ver.client-accepts-version'],
    'protocol_version',
  ),
  fault(
    'accept-renegotiation-without-ri',
    'server: on a connection with secure renegotiation, a renegotiating ClientHello without renegotiation_info is renegotiated (the RFC 5746 §3.7 check is skipped; the renegotiation family finds it)',
    ['1.2'],
    ['ext.reneg.secure'],
    'handshake_failure',
  ),
  fault(
    'accept-etm-downgrade',
    'server: on a connection that negotiated encrypt-then-MAC, a renegotiation that selects a CBC suite without encrypt_then_mac is completed (the RFC 7366 §3.1 check is skipped; the renegotiation family finds it)',
    ['1.2'],
    // RFC 7366 §3.1: "implementations MUST NOT renegotiate a downgrade from encrypt-then-MAC to MAC-then-encrypt"
    ['ext.etm.no-downgrade'],
    'handshake_failure',
  ),
  fault(
    'resume-unoffered-suite',
    "server: a TLS 1.2 session is resumed although the resuming ClientHello does not offer the session's cipher suite (its ServerHello selects a suite that was not offered; the resumption family finds it)",
    ['1.2'],
    ['t12.neg.suite-offered', 't12.neg.resume-consistency'],
    'illegal_parameter',
  ),
  // no alert: within one connection nothing is wrong; the run-level evaluator (oracles/across.ts) compares connections
  fault(
    'reuse-server-randomness',
    'server: every connection sends the ServerHello.random and the ephemeral (EC)DHE key pairs (TLS 1.2 ServerKeyExchange, TLS 1.3 key_share) its first connection drew, instead of drawing them anew',
    ['1.2', '1.3'],
    ['hello.random-fresh', 'kex.ephemeral-fresh'],
    undefined,
  ),
  // no alert: the healthy engine takes the record (rec.appdata-up-to-limit expects the connection to go on)
  fault(
    'record-limit-off-by-one',
    'a protected record of exactly 2^14 bytes of plaintext (the largest allowed, RFC 5246 §6.2.1, RFC 8446 §5.1) is refused with record_overflow: the limit taken as exclusive (CVE-2016-7054 class of record-size bugs)',
    ['1.2', '1.3'],
    ['rec.appdata-up-to-limit'],
    undefined,
  ),
  // the healthy engine answers nothing before the client's Finished, then bad_record_mac (its Finished record does not
  // open under the random premaster's keys)
  fault(
    'alert-on-bad-premaster',
    'server: an RSA premaster that does not decrypt to 48 bytes of the offered version is answered at once with decrypt_error, before the Finished of the client, instead of going on with a random premaster (RFC 5246 §7.4.7.1; a Bleichenbacher oracle)',
    ['1.2'],
    ['t12.rsa.no-oracle'],
    'bad_record_mac',
  ),
];
