/**
 * Where each TLS 1.3 extension may appear (RFC 8446 §4.2, the table of §4.2 with the message codes it uses): CH
 * ClientHello, SH ServerHello, HRR HelloRetryRequest, EE EncryptedExtensions, CT Certificate (entry), CR
 * CertificateRequest, NST NewSessionTicket. "If an implementation receives an extension which it recognizes and which
 * is not specified for the message in which it appears, it MUST abort the handshake with an "illegal_parameter"
 * alert." Extensions not listed here are not recognized by tlsprop. Declared once: the engine and the oracles read it.
 */
import { ExtensionType as X } from './registry';

/** A message that carries TLS 1.3 extensions, by its RFC 8446 §4.2 code. */
export type ExtensionPlace = 'CH' | 'SH' | 'HRR' | 'EE' | 'CT' | 'CR' | 'NST';

export const EXTENSION_PLACEMENT: Readonly<Record<number, readonly ExtensionPlace[]>> = {
  [X.server_name]: ['CH', 'EE'],
  [X.max_fragment_length]: ['CH', 'EE'],
  [X.status_request]: ['CH', 'CR', 'CT'],
  [X.supported_groups]: ['CH', 'EE'],
  [X.signature_algorithms]: ['CH', 'CR'],
  [X.use_srtp]: ['CH', 'EE'],
  [X.heartbeat]: ['CH', 'EE'],
  [X.application_layer_protocol_negotiation]: ['CH', 'EE'],
  [X.signed_certificate_timestamp]: ['CH', 'CR', 'CT'],
  [X.client_certificate_type]: ['CH', 'EE'],
  [X.server_certificate_type]: ['CH', 'EE'],
  [X.padding]: ['CH'],
  [X.key_share]: ['CH', 'SH', 'HRR'],
  [X.pre_shared_key]: ['CH', 'SH'],
  [X.psk_key_exchange_modes]: ['CH'],
  [X.early_data]: ['CH', 'EE', 'NST'],
  [X.cookie]: ['CH', 'HRR'],
  [X.supported_versions]: ['CH', 'SH', 'HRR'],
  [X.certificate_authorities]: ['CH', 'CR'],
  [X.oid_filters]: ['CR'],
  [X.post_handshake_auth]: ['CH'],
  [X.signature_algorithms_cert]: ['CH', 'CR'],
  [X.record_size_limit]: ['CH', 'EE'],
  // RFC 8879 §3: "in the ClientHello and CertificateRequest messages"
  [X.compress_certificate]: ['CH', 'CR'],
};

/** The first extension of the list that RFC 8446 §4.2 recognizes but does not allow in this message. */
export function misplacedExtension(exts: readonly { type: number }[] | undefined, where: ExtensionPlace): number | undefined {
  return exts?.find((e) => {
    const allowed = EXTENSION_PLACEMENT[e.type];
    return allowed !== undefined && !allowed.includes(where);
  })?.type;
}
