/**
 * Client and server configurations of the handshake engine. Everything has a
 * default except the server's identity; randoms and ephemeral keys can be
 * given for deterministic runs.
 */
import type { BuiltCert } from '../pki/chain';
import type { ParsedCertCache } from '../pki/parse';
import type { CryptoProvider, DhKeyPair, EcdhKeyPair } from '../crypto';
import { CipherSuite12, CipherSuite13 } from './suites';
import { NamedGroup, SignatureScheme } from '../wire/registry';
import type { EngineHooks } from './hooks';
import type { ClientSessionStore, ServerSessionCache } from './session';
import type { DrawnOnce, Fault } from './faults';

export type ClientAuthMode = 'none' | 'request' | 'require';

/**
 * An external pre-shared key: TLS 1.2 PSK key exchanges (RFC 4279 PSK, DHE_PSK, RSA_PSK; RFC 5489 ECDHE_PSK) and TLS
 * 1.3 external PSKs (RFC 8446 §4.2.11, binders with the "ext binder" label).
 */
export interface ExternalPsk {
  /** The identity as it goes on the wire (TLS 1.2 psk_identity, TLS 1.3 PskIdentity.identity; RFC 4279 §5.1: UTF-8). */
  identity: Uint8Array;
  key: Uint8Array;
  /**
   * TLS 1.3: the hash the PSK is bound to. RFC 8446 §4.2.11: "For externally established PSKs, the Hash algorithm MUST
   * be set when the PSK is established or default to SHA-256 if no such algorithm is defined." Default SHA-256.
   */
  hash?: 'SHA-256' | 'SHA-384';
}

/** What an endpoint does with TLS 1.2 renegotiation (CommonConfig.renegotiation). */
export type RenegotiationPolicy = 'refuse' | 'secure' | 'legacy';

/** A certificate chain (leaf first, as sent) and the leaf's private key. */
export interface Identity {
  chain: Uint8Array[];
  /** PKCS#8 DER of the leaf's private key. */
  pkcs8: Uint8Array;
  /** SubjectPublicKeyInfo DER of the leaf's key. */
  spki: Uint8Array;
}

/** Identity from a pki/chain build (leaf first); the root is left out unless asked for. */
export function identityOf(certs: readonly BuiltCert[], includeRoot = false): Identity {
  const leaf = certs[0];
  if (!leaf) throw new RangeError('identityOf needs at least one certificate');
  const sent = includeRoot || certs.length === 1 ? certs : certs.slice(0, -1);
  return { chain: sent.map((c) => c.der), pkcs8: leaf.key.pkcs8, spki: leaf.key.spki };
}

export interface CommonConfig {
  /** Default: crypto's defaultProvider(). Pass one per run: its key store imports each key once. */
  provider?: CryptoProvider;
  /** Parsed certificates shared across connections (the peer's chain is parsed once); the caller owns and bounds it. */
  certCache?: ParsedCertCache;
  /** Versions enabled, e.g. [0x0304, 0x0303] (default both). */
  versions?: number[];
  /** Suites in preference order (TLS 1.2 and 1.3 codes mixed). */
  cipherSuites?: number[];
  /** Named groups in preference order (default DEFAULT_GROUPS: x25519, secp256r1, secp384r1, secp521r1, x448). */
  groups?: number[];
  /** Signature schemes in preference order. */
  signatureSchemes?: number[];
  /**
   * Client: the signature_algorithms_cert our ClientHello offers (RFC 8446 §4.2.3: the schemes for signatures in
   * certificates; absent: no such extension, and signature_algorithms applies to certificates too).
   */
  signatureSchemesCert?: number[];
  /** Our certificate chain and key (the server needs one; a client only for client auth). */
  identity?: Identity;
  /** DER trust anchors; when given, the peer's chain is validated with pki/validate. */
  trustAnchors?: Uint8Array[];
  /** Validation time (default: now). */
  validationTime?: Date;
  /** ALPN protocols (client: offered in order; server: preference order). */
  alpn?: string[];
  /** TLS 1.2 extended_master_secret (RFC 7627). Default true. */
  extendedMasterSecret?: boolean;
  /** TLS 1.2 encrypt_then_mac (RFC 7366), for CBC suites. Default true. */
  encryptThenMac?: boolean;
  /**
   * 32-byte hello random (default: fresh). A TLS 1.2 renegotiation's random is then derived from it (SHA-256 of it and
   * the handshake's number), so a run with given randoms stays reproducible.
   */
  random?: Uint8Array;
  /** Ephemeral ECDH key pairs to use instead of fresh ones (the first of the needed group is taken). */
  ephemeral?: EcdhKeyPair[];
  /** Ephemeral finite-field DH key pairs (TLS 1.2 DHE) to use instead of fresh ones. */
  ephemeralDh?: DhKeyPair[];
  /**
   * TLS 1.3 middlebox compatibility mode (RFC 8446 D.4), default true. A
   * client in this mode sends a session id and a dummy CCS; a server follows
   * the client (it sends its dummy CCS whenever the client sent a session id,
   * as D.4 requires), so on a server this setting has no effect.
   */
  middleboxCompat?: boolean;
  hooks?: EngineHooks;
  /**
   * TLS 1.2 renegotiation (RFC 5746). `refuse` (default): a renegotiation the peer asks for is declined with the warning
   * no_renegotiation (RFC 5246 §7.2.2); `secure`: renegotiate when the initial handshake established secure
   * renegotiation (renegotiation_info on both sides, RFC 5746 §3), decline otherwise (RFC 5746 §4.2/§4.4: "It is
   * RECOMMENDED that clients refuse this renegotiation request", "It is RECOMMENDED that servers not permit legacy
   * renegotiation"); `legacy`: also renegotiate without it (insecure, CVE-2009-3555; for testing peers). A client
   * starts one with TlsClient.renegotiate(), a server asks for one with TlsServer.requestRenegotiation().
   */
  renegotiation?: RenegotiationPolicy;
  /**
   * TLS 1.3: when the peer's close_notify arrives after the handshake, keep our write side open (half-close, RFC 8446
   * §6.1) until close() instead of answering at once; sendApplicationData still works meanwhile. Default false.
   * TLS 1.2 always answers at once (RFC 5246 §7.2.1).
   */
  halfClose?: boolean;
  /**
   * RFC 8449 record_size_limit: the largest protected record (TLS 1.3: the whole TLSInnerPlaintext, content type and
   * padding included; TLS 1.2: the plaintext) this endpoint accepts. A client offers it; a server answers a client
   * that offered one (TLS 1.2 ServerHello, TLS 1.3 EncryptedExtensions). Once both sent it, each side keeps its
   * protected records within the other's limit, and a larger record received is record_overflow. A server then
   * ignores a max_fragment_length beside it (RFC 8449 §5). Default: not offered, not answered.
   */
  recordSizeLimit?: number;
  /**
   * RFC 8879 certificate compression (TLS 1.3 only), algorithms in preference order among those wire/compress.ts has
   * (zlib 1, brotli 2): a client offers them in compress_certificate and decompresses a server's CompressedCertificate;
   * a server that got the extension sends its Certificate compressed with the first of them the client offered.
   * Default: not offered, never sent.
   */
  certificateCompression?: number[];
  /**
   * TEST ONLY: named faults that make this endpoint a deliberately faulty
   * target (engine/faults.ts documents each). A fault that does not apply to
   * the endpoint's side is refused at construction (FaultConfigError).
   */
  faults?: readonly Fault[];
  /**
   * TEST ONLY, with the fault `reuse-server-randomness`: the hello random and ephemeral key pairs the target's first
   * connection drew, shared by its connections (engine/faults.ts DrawnOnce).
   */
  drawnOnce?: DrawnOnce;
}

export interface ClientConfig extends CommonConfig {
  /**
   * An external PSK: TLS 1.2 PSK suites (in `cipherSuites`, offered only with it) take it, whatever identity hint the
   * server gives (RFC 4279 §5.2: the hint may help pick one; this client has one); TLS 1.3 offers it in pre_shared_key
   * (after a ticket, when one is offered too) with psk_key_exchange_modes from `pskModes`.
   */
  psk?: ExternalPsk;
  /** SNI host name; also the name the server certificate is checked against. */
  serverName?: string;
  /** Groups to send TLS 1.3 key shares for (default: the first of `groups`). */
  keyShareGroups?: number[];
  /**
   * Where tickets (TLS 1.3) and sessions (TLS 1.2) are kept and resumed from.
   * With a store the client saves what it receives and offers the newest fitting entry.
   */
  sessionStore?: ClientSessionStore;
  /** Offer a stored session/ticket when one fits (default true when a store is given). */
  resume?: boolean;
  /** TLS 1.3 psk_key_exchange_modes to offer, in order (0 psk_ke, 1 psk_dhe_ke; default [1]). */
  pskModes?: number[];
  /** TLS 1.2: offer the RFC 5077 session_ticket extension (default true when a store is given). */
  sessionTickets12?: boolean;
  /**
   * TLS 1.2: with a ticket to offer, also send a random session ID (RFC 5077 §3.4: "When presenting a ticket, the client
   * MAY generate and include a Session ID in the TLS ClientHello"). false: an empty session ID; the client then tells a
   * resumption from a full handshake by what follows the ServerHello. Default true.
   */
  ticketSessionId?: boolean;
  /**
   * TLS 1.2: a renegotiating ClientHello offers this connection's session (its session ID; RFC 5246 §7.4.1.2: "the
   * value of a session ID from an earlier connection, this connection, or from another currently active connection"),
   * so the server may renegotiate with an abbreviated handshake. Default false (a full handshake is asked for).
   */
  renegotiationResumes?: boolean;
  /**
   * TLS 1.3 0-RTT (RFC 8446 §2.3, §4.2.10): application data sent right after the ClientHello, under keys from
   * client_early_traffic_secret, when the ticket offered first allows it (its NewSessionTicket carried early_data with
   * a max_early_data_size; at most that many bytes are sent, RFC 8446 §4.6.1). The ClientHello then offers early_data;
   * EndOfEarlyData follows the server Finished when the server accepted it (§4.5). Default: none.
   */
  earlyData?: Uint8Array;
  /** Clock in ms for ticket ages (default Date.now). */
  now?: () => number;
  /**
   * RFC 6066 §4 max_fragment_length to request: 1..4 for 2^9..2^12 bytes of plaintext per record.
   * Once the server echoes it, both directions keep to it (TLS 1.2: from the ServerHello on; TLS 1.3: from the
   * EncryptedExtensions on). Default: not requested.
   */
  maxFragmentLength?: 1 | 2 | 3 | 4;
  /**
   * TLS 1.3 post_handshake_auth (RFC 8446 §4.2.6): offered, so a server may send a CertificateRequest after the
   * handshake; the client answers with Certificate (its identity, or empty), CertificateVerify and Finished under its
   * application traffic keys (§4.6.2). Default false: such a CertificateRequest is unexpected_message.
   */
  postHandshakeAuth?: boolean;
  /**
   * Offer status_request (OCSP, RFC 6066 §8; RFC 8446 §4.4.2.1) and take a stapled response: TLS 1.2
   * CertificateStatus after the server Certificate, TLS 1.3 status_request in the leaf CertificateEntry. The
   * response is kept as received (SessionInfo.ocspResponse), not validated. Default false.
   */
  statusRequest?: boolean;
  /**
   * A TLS 1.2 HelloRequest after the handshake (RFC 5246 §7.4.1.1) that this client does not renegotiate for (see
   * `renegotiation`): answered with the warning no_renegotiation (default) or ignored. During a handshake it is always
   * ignored. RFC 5746 §4.2: a client refusing an insecure renegotiation "MUST respond to such requests with a
   * "no_renegotiation" alert", so `ignore` applies only to a connection with secure renegotiation.
   */
  helloRequest?: 'no_renegotiation' | 'ignore';
}

export interface ServerConfig extends CommonConfig {
  identity: Identity;
  /**
   * External PSKs this server knows, by identity: TLS 1.2 PSK suites (in `cipherSuites`) are chosen only with some;
   * TLS 1.3 accepts an offered identity among them (binder with the "ext binder" label) before a ticket. An unknown
   * TLS 1.2 psk_identity is refused with unknown_psk_identity (RFC 4279 §2: "it MAY respond with an
   * "unknown_psk_identity" alert message").
   */
  psks?: readonly ExternalPsk[];
  /**
   * TLS 1.2 psk_identity_hint (RFC 4279 §2, §5.2). PSK and RSA_PSK send a ServerKeyExchange only with a hint ("If no
   * hint is provided, the ServerKeyExchange message is omitted"); DHE_PSK and ECDHE_PSK always send one (empty hint).
   */
  pskIdentityHint?: Uint8Array;
  /** Client authentication. Default 'none'. */
  clientAuth?: ClientAuthMode;
  /** TLS 1.3 NewSessionTicket messages sent after the client's Finished. Default 1. */
  newSessionTickets?: number;
  /**
   * Resumption state (TLS 1.2 session IDs, ticket key for TLS 1.2 and 1.3 tickets).
   * Without it TLS 1.3 tickets are random bytes that cannot be resumed and TLS 1.2 sessions are not cached.
   */
  sessionCache?: ServerSessionCache;
  /** TLS 1.2: issue RFC 5077 tickets to clients that offer session_ticket (default true with a cache). */
  sessionTickets12?: boolean;
  /** TLS 1.3 PSK modes the server accepts, preferred first (default [1, 0]: psk_dhe_ke, then psk_ke). */
  pskModes?: number[];
  /**
   * TLS 1.3 0-RTT: the max_early_data_size put in the early_data extension of our NewSessionTickets (RFC 8446 §4.6.1),
   * and the limit of rejected 0-RTT data skipped (§4.2.10, "up to the configured max_early_data_size"; default 2^14
   * bytes). Default: no early_data extension, so tickets allow no 0-RTT.
   */
  maxEarlyDataSize?: number;
  /**
   * TLS 1.3 0-RTT offered with a ticket we issued with max_early_data_size: 'accept' (default; when the conditions of
   * RFC 8446 §4.2.10 hold: identity 0, the ticket's suite and ALPN, no HelloRetryRequest, the ClientHello not seen
   * before) or 'reject' (skipped by trial decryption).
   */
  earlyData?: 'accept' | 'reject';
  /**
   * RFC 8446 §8: "The server MUST ensure that any instance of it ... would accept 0-RTT for the same 0-RTT handshake
   * at most once". Default true: the session cache remembers the binders of the ClientHellos whose 0-RTT it accepted
   * and refuses 0-RTT for a replay (ClientHello recording, §8.2). false (a test target only): replays are accepted.
   */
  antiReplay?: boolean;
  /** TLS 1.3 ticket_lifetime in seconds (default 7200). */
  ticketLifetime?: number;
  /**
   * TLS 1.3: send a HelloRetryRequest whenever the first group of `groups` that the client
   * supports has no key share (default false: an HRR only when no offered share is usable).
   */
  helloRetryForPreferredGroup?: boolean;
  /** TLS 1.3: put a cookie in every HelloRetryRequest (true: random 32 bytes). The second ClientHello must echo it. */
  helloRetryCookie?: boolean | Uint8Array;
  /**
   * RFC 6066 §4: honour a client's max_fragment_length (echo it in the ServerHello (TLS 1.2) or
   * EncryptedExtensions (TLS 1.3) and keep to it from the ServerHello on; a value outside 1..4 is
   * illegal_parameter). Default false: the request is ignored, as a server without the extension does.
   */
  maxFragmentLength?: boolean;
  /**
   * DER OCSPResponse to staple when the client offers status_request of type ocsp (RFC 6066 §8): TLS 1.2 empty
   * status_request in the ServerHello and a CertificateStatus after the Certificate; TLS 1.3 status_request in
   * the leaf CertificateEntry (RFC 8446 §4.4.2.1). Sent as configured. Default: none (the request is ignored).
   */
  ocspResponse?: Uint8Array;
}

export const DEFAULT_SUITES: readonly number[] = [
  CipherSuite13.TLS_AES_128_GCM_SHA256,
  CipherSuite13.TLS_AES_256_GCM_SHA384,
  CipherSuite13.TLS_CHACHA20_POLY1305_SHA256,
  CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  CipherSuite12.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  CipherSuite12.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
  CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
  CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
  CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite12.TLS_RSA_WITH_AES_256_GCM_SHA384,
  CipherSuite12.TLS_RSA_WITH_AES_128_CBC_SHA256,
];

/**
 * Groups offered and accepted by default, in preference order: the common three, then secp521r1 and x448 (RFC 8446
 * §4.2.7, RFC 8422 §5.1.1), which get no key share of their own unless configured first. The RFC 7919 groups
 * (ffdhe2048..8192) are configured explicitly (`groups`): TLS 1.2 DHE_* uses them, a TLS 1.3 key share can.
 */
export const DEFAULT_GROUPS: readonly number[] = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
  NamedGroup.x448,
];

const S = SignatureScheme;
export const DEFAULT_SCHEMES: readonly number[] = [
  S.ecdsa_secp256r1_sha256,
  S.ecdsa_secp384r1_sha384,
  S.ed25519,
  S.rsa_pss_rsae_sha256,
  S.rsa_pss_rsae_sha384,
  S.rsa_pss_rsae_sha512,
  S.rsa_pkcs1_sha256,
  S.rsa_pkcs1_sha384,
  S.rsa_pkcs1_sha512,
  // after the common ones, so a key that fits one of those keeps it; each fits only its own key type
  S.ecdsa_secp521r1_sha512,
  S.ed448,
  S.rsa_pss_pss_sha256,
  S.rsa_pss_pss_sha384,
  S.rsa_pss_pss_sha512,
];
