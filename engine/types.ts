/** Types shared by the client and server state machines. */
import type { Alert } from '../wire/record';

export type ContentKind = 'handshake' | 'change_cipher_spec' | 'alert' | 'application_data';

/** A record to put on the wire, with its plaintext when it is protected. */
export interface WireRecord {
  raw: Uint8Array;
  plaintext?: { contentType: number; fragment: Uint8Array };
  /** TLS 1.3: protected with keys from client_early_traffic_secret (0-RTT data, EndOfEarlyData; RFC 8446 §4.2.10, §4.5). */
  epoch?: 'early';
}

export interface SessionInfo {
  version: number;
  cipherSuite: number;
  /** ECDHE group; undefined for RSA key exchange. */
  group?: number;
  /** Scheme the server signed with (ServerKeyExchange / CertificateVerify). */
  serverScheme?: number;
  /** Scheme the client signed its CertificateVerify with, when it did. */
  clientScheme?: number;
  alpn?: string;
  extendedMasterSecret: boolean;
  encryptThenMac: boolean;
  /** The peer's certificate chain as received (may be empty). */
  peerCertificates: Uint8Array[];
  /** TLS 1.2 master secret, or TLS 1.3 master secret. */
  masterSecret: Uint8Array;
  /** Set (true) when the session was resumed: TLS 1.2 abbreviated handshake or TLS 1.3 PSK. */
  resumed?: boolean;
  /** RFC 8449 record_size_limit, when both sides sent one: ours (what we accept) and the peer's (what we send). */
  recordSizeLimit?: { ours: number; peer: number };
  /** Negotiated RFC 6066 max_fragment_length code (1..4), when one was. */
  maxFragmentLength?: number;
  /** Client: the OCSP response the server stapled (RFC 6066 §8 / RFC 8446 §4.4.2.1), as received. */
  ocspResponse?: Uint8Array;
  /** The external PSK identity the handshake authenticated with (TLS 1.2 PSK suite, TLS 1.3 external PSK). */
  pskIdentity?: Uint8Array;
}

/** Where an endpoint stands; the last three are terminal. */
export type Outcome =
  | { kind: 'handshaking'; state: string }
  | { kind: 'connected'; session: SessionInfo }
  /** We detected a violation, sent this fatal alert and stopped. */
  | { kind: 'alert_sent'; alert: Alert; reason: string; state: string }
  /** The peer sent a fatal alert (or a warning other than close_notify while handshaking). */
  | {
      kind: 'alert_received';
      alert: Alert;
      state: string;
      /**
       * Set when the alert came as a plaintext 2-byte record while TLS 1.3 protected records were expected (a peer
       * that aborted before switching to its handshake keys, RFC 8446 §5.2 has no such record): it is reported as
       * received, not as bad_record_mac, so the peer's reaction can be classified.
       */
      unprotected?: true;
    }
  /** The peer sent close_notify after the handshake. */
  | { kind: 'closed'; session?: SessionInfo };

export interface StepResult {
  /** Records to send to the peer, in order. */
  send: WireRecord[];
  /** True when the handshake is complete or the endpoint has stopped. */
  done: boolean;
  outcome: Outcome;
  /** An alert we sent in this step. */
  alert?: Alert;
  /** Application data received in this step. */
  appData: Uint8Array[];
}

/** One-line description of an outcome (for test messages and logs). */
export function describeOutcome(o: Outcome): string {
  switch (o.kind) {
    case 'handshaking':
      return `handshaking (${o.state})`;
    case 'connected':
      return `connected 0x${o.session.version.toString(16)} suite 0x${o.session.cipherSuite.toString(16)}`;
    case 'alert_sent':
      return `sent alert ${o.alert.description} in ${o.state}: ${o.reason}`;
    case 'alert_received':
      return `received${o.unprotected ? ' unprotected' : ''} alert ${o.alert.description} in ${o.state}`;
    case 'closed':
      return 'closed';
  }
}
