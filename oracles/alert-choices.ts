/**
 * The alerts of RFC 5246 §7.2.2 and RFC 8446 §6.2 with their definition
 * sentences: what a rule declaration's `alerts` point to when the RFC text
 * of the rule itself names no alert (or names it only through these
 * definitions). A rule whose own section names the alert ("abort the
 * handshake with an X alert") gives that sentence instead (`because`).
 */
import { alertDescriptions } from '../wire/registry';
import type { AlertName, TlsVersion } from '../wire/vocabulary';

/** One alert a conforming receiver may send, with the RFC sentence it rests on. */
export interface AlertChoice {
  alert: AlertName;
  /** Section, e.g. `RFC 8446 §6.2`. */
  rfc: string;
  /** The sentence, quoted. */
  text: string;
  /** Only in these versions (absent: every version of the rule). */
  versions?: readonly TlsVersion[];
}

/** RFC 5246 §7.2.2 (TLS 1.2) definitions. */
const T12: Partial<Record<AlertName, string>> = {
  unexpected_message:
    'unexpected_message: An inappropriate message was received. This alert is always fatal and should never be observed in communication between proper implementations.',
  bad_record_mac:
    "bad_record_mac: This alert is returned if a record is received with an incorrect MAC. This alert also MUST be returned if an alert is sent because a TLSCiphertext decrypted in an invalid way: either it wasn't an even multiple of the block length, or its padding values, when checked, weren't correct.",
  record_overflow:
    'record_overflow: A TLSCiphertext record was received that had a length more than 2^14+2048 bytes, or a record decrypted to a TLSCompressed record with more than 2^14+1024 bytes.',
  handshake_failure:
    'handshake_failure: Reception of a handshake_failure alert message indicates that the sender was unable to negotiate an acceptable set of security parameters given the options available. This is a fatal error.',
  bad_certificate: 'bad_certificate: A certificate was corrupt, contained signatures that did not verify correctly, etc.',
  unsupported_certificate: 'unsupported_certificate: A certificate was of an unsupported type.',
  certificate_revoked: 'certificate_revoked: A certificate was revoked by its signer.',
  certificate_expired: 'certificate_expired: A certificate has expired or is not currently valid.',
  certificate_unknown:
    'certificate_unknown: Some other (unspecified) issue arose in processing the certificate, rendering it unacceptable.',
  illegal_parameter:
    'illegal_parameter: A field in the handshake was out of range or inconsistent with other fields. This message is always fatal.',
  unknown_ca:
    "unknown_ca: A valid certificate chain or partial chain was received, but the certificate was not accepted because the CA certificate could not be located or couldn't be matched with a known, trusted CA.",
  access_denied:
    'access_denied: A valid certificate was received, but when access control was applied, the sender decided not to proceed with negotiation.',
  decode_error:
    'decode_error: A message could not be decoded because some field was out of the specified range or the length of the message was incorrect.',
  decrypt_error:
    'decrypt_error: A handshake cryptographic operation failed, including being unable to correctly verify a signature or validate a Finished message.',
  protocol_version:
    'protocol_version: The protocol version the client has attempted to negotiate is recognized but not supported. (For example, old protocol versions might be avoided for security reasons.)',
  insufficient_security:
    'insufficient_security: Returned instead of handshake_failure when a negotiation has failed specifically because the server requires ciphers more secure than those supported by the client.',
  internal_error:
    'internal_error: An internal error unrelated to the peer or the correctness of the protocol (such as a memory allocation failure) makes it impossible to continue.',
  no_renegotiation:
    'no_renegotiation: Sent by the client in response to a hello request or by the server in response to a client hello after initial handshaking. [...] This message is always a warning.',
  unsupported_extension:
    'unsupported_extension: sent by clients that receive an extended server hello containing an extension that they did not put in the corresponding client hello.',
};

/** RFC 8446 §6.2 (TLS 1.3) definitions. */
const T13: Partial<Record<AlertName, string>> = {
  unexpected_message:
    'unexpected_message: An inappropriate message (e.g., the wrong handshake message, premature Application Data, etc.) was received.',
  bad_record_mac:
    'bad_record_mac: This alert is returned if a record is received which cannot be deprotected. Because AEAD algorithms combine decryption and verification, and also to avoid side-channel attacks, this alert is used for all deprotection failures.',
  record_overflow:
    'record_overflow: A TLSCiphertext record was received that had a length more than 2^14 + 256 bytes, or a record decrypted to a TLSPlaintext record with more than 2^14 bytes (or some other negotiated limit).',
  handshake_failure:
    'handshake_failure: Receipt of a "handshake_failure" alert message indicates that the sender was unable to negotiate an acceptable set of security parameters given the options available.',
  bad_certificate: 'bad_certificate: A certificate was corrupt, contained signatures that did not verify correctly, etc.',
  unsupported_certificate: 'unsupported_certificate: A certificate was of an unsupported type.',
  certificate_revoked: 'certificate_revoked: A certificate was revoked by its signer.',
  certificate_expired: 'certificate_expired: A certificate has expired or is not currently valid.',
  certificate_unknown:
    'certificate_unknown: Some other (unspecified) issue arose in processing the certificate, rendering it unacceptable.',
  illegal_parameter:
    'illegal_parameter: A field in the handshake was incorrect or inconsistent with other fields. This alert is used for errors which conform to the formal protocol syntax but are otherwise incorrect.',
  unknown_ca:
    'unknown_ca: A valid certificate chain or partial chain was received, but the certificate was not accepted because the CA certificate could not be located or could not be matched with a known trust anchor.',
  access_denied:
    'access_denied: A valid certificate or PSK was received, but when access control was applied, the sender decided not to proceed with negotiation.',
  decode_error:
    'decode_error: A message could not be decoded because some field was out of the specified range or the length of the message was incorrect. This alert is used for errors where the message does not conform to the formal protocol syntax.',
  decrypt_error:
    'decrypt_error: A handshake (not record layer) cryptographic operation failed, including being unable to correctly verify a signature or validate a Finished message or a PSK binder.',
  protocol_version:
    'protocol_version: The protocol version the peer has attempted to negotiate is recognized but not supported (see Appendix D).',
  insufficient_security:
    'insufficient_security: Returned instead of "handshake_failure" when a negotiation has failed specifically because the server requires parameters more secure than those supported by the client.',
  internal_error:
    'internal_error: An internal error unrelated to the peer or the correctness of the protocol (such as a memory allocation failure) makes it impossible to continue.',
  inappropriate_fallback:
    'inappropriate_fallback: Sent by a server in response to an invalid connection retry attempt from a client (see [RFC7507]).',
  missing_extension:
    'missing_extension: Sent by endpoints that receive a handshake message not containing an extension that is mandatory to send for the offered TLS version or other negotiated parameters.',
  unsupported_extension:
    'unsupported_extension: Sent by endpoints receiving any handshake message containing an extension known to be prohibited for inclusion in the given handshake message, or including any extensions in a ServerHello or Certificate not first offered in the corresponding ClientHello.',
  unrecognized_name:
    'unrecognized_name: Sent by servers when no server exists identified by the name provided by the client via the "server_name" extension (see [RFC6066]).',
  bad_certificate_status_response:
    'bad_certificate_status_response: Sent by clients when an invalid or unacceptable OCSP response is provided by the server via the "status_request" extension (see [RFC6066]).',
  unknown_psk_identity:
    'unknown_psk_identity: Sent by servers when PSK key establishment is desired but no acceptable PSK identity is provided by the client.',
  certificate_required:
    'certificate_required: Sent by servers when a client certificate is desired but none was provided by the client.',
  no_application_protocol:
    'no_application_protocol: Sent by servers when a client "application_layer_protocol_negotiation" extension advertises only protocols that the server does not support (see [RFC7301]).',
};

/** Alerts defined by other RFCs than the two alert sections (their own definition sentences). */
const OTHER: Partial<Record<AlertName, { rfc: string; text: string }>> = {
  // RFC 7507 §3 defines inappropriate_fallback for TLS 1.2 and earlier.
  inappropriate_fallback: {
    rfc: 'RFC 7507 §3',
    text: 'If TLS_FALLBACK_SCSV appears in ClientHello.cipher_suites and the highest protocol version supported by the server is higher than the version indicated by the client, the server MUST respond with a fatal inappropriate_fallback alert (unless it responds with a fatal protocol_version alert because the version indicated by the client is not supported).',
  },
  unrecognized_name: {
    rfc: 'RFC 6066 §3',
    text: 'If the server understood the ClientHello extension but does not recognize the server name, the server SHOULD take one of two actions: either abort the handshake by sending a fatal-level unrecognized_name(112) alert or continue the handshake.',
  },
  bad_certificate_status_response: {
    rfc: 'RFC 6066 §8',
    text: 'Clients requesting an OCSP response and receiving an OCSP response in a "CertificateStatus" message MUST check the OCSP response and abort the handshake if the response is not satisfactory with bad_certificate_status_response(113) alert.',
  },
  no_application_protocol: {
    rfc: 'RFC 7301 §3.2',
    text: 'In the event that the server supports no protocols that the client advertises, then the server SHALL respond with a fatal "no_application_protocol" alert.',
  },
  missing_extension: {
    rfc: 'RFC 8446 §6.2',
    text: 'missing_extension: Sent by endpoints that receive a handshake message not containing an extension that is mandatory to send for the offered TLS version or other negotiated parameters.',
  },
  certificate_required: {
    rfc: 'RFC 8446 §6.2',
    text: 'certificate_required: Sent by servers when a client certificate is desired but none was provided by the client.',
  },
};

/**
 * The definition of an alert for a rule of these versions: RFC 5246 §7.2.2
 * for TLS 1.2 only, RFC 8446 §6.2 for TLS 1.3 (and for both versions, when
 * RFC 5246 defines the alert too: the sentences say the same).
 */
export function definition(alert: AlertName, versions: readonly TlsVersion[]): AlertChoice {
  const has12 = versions.includes('1.2');
  const has13 = versions.includes('1.3');
  const t12 = T12[alert];
  const t13 = T13[alert];
  if (has12 && !has13 && t12) return { alert, rfc: 'RFC 5246 §7.2.2', text: t12 };
  if (has13 && !has12 && t13) return { alert, rfc: 'RFC 8446 §6.2', text: t13 };
  if (t12 && t13) return { alert, rfc: 'RFC 5246 §7.2.2; RFC 8446 §6.2', text: t13 };
  const other = OTHER[alert];
  if (other) return { alert, ...other };
  if (t13) return { alert, rfc: 'RFC 8446 §6.2', text: t13 };
  if (t12) return { alert, rfc: 'RFC 5246 §7.2.2', text: t12 };
  throw new Error(`no RFC definition of the ${alert} alert`);
}

/** The definition of an alert, for these versions only (a rule's version-specific alternative). */
export function definitionIn(alert: AlertName, versions: readonly TlsVersion[]): AlertChoice {
  return { ...definition(alert, versions), versions };
}

/** An alert with the sentence of the rule's own section that names it. */
export function because(alert: AlertName, rfc: string, text: string, versions?: readonly TlsVersion[]): AlertChoice {
  return versions ? { alert, rfc, text, versions } : { alert, rfc, text };
}

/** The certificate-related alerts (RFC 5246 §7.2.2, RFC 8446 §6.2): what cert.reject-alert accepts. */
/**
 * RFC 8446 §4.1.1: what a TLS 1.3 server that can negotiate nothing sends, either alert (no common parameters; an
 * external PSK it does not know with nothing else left to negotiate).
 */
const NO_OVERLAP_13 =
  'If the server is unable to negotiate a supported set of parameters (i.e., there is no overlap between the client and server parameters), it MUST abort the handshake with either a "handshake_failure" or "insufficient_security" fatal alert (see Section 6).';
export const NO_OVERLAP_ALERTS_13: readonly AlertChoice[] = [
  because('handshake_failure', 'RFC 8446 §4.1.1', NO_OVERLAP_13),
  because('insufficient_security', 'RFC 8446 §4.1.1', NO_OVERLAP_13),
];

/** RFC 8446 §4.4.4: a TLS 1.3 Finished that does not verify. */
export const FINISHED_DECRYPT_ERROR_13: AlertChoice = because(
  'decrypt_error',
  'RFC 8446 §4.4.4',
  'Recipients of Finished messages MUST verify that the contents are correct and if incorrect MUST terminate the connection with a "decrypt_error" alert.',
);

export const CERTIFICATE_ALERTS: readonly AlertName[] = [
  'bad_certificate',
  'unsupported_certificate',
  'certificate_revoked',
  'certificate_expired',
  'certificate_unknown',
  'unknown_ca',
  'access_denied',
];

/** The name of an alert description code, when the registry names it. */
export function alertNameOf(code: number): AlertName | undefined {
  return alertDescriptions.get(code) as AlertName | undefined;
}
