/**
 * The Transcript: what every source of handshakes becomes (a generator's
 * in-memory run, a capture, a live conversation, a hand-written JSON file)
 * and the only thing the oracles read.
 *
 * Raw bytes are always kept when they exist: hashes and signatures are
 * computed over them, never over a re-encoding. A hand-written transcript
 * may give only `dir` and `type` for a message; rules that need bytes are
 * then inconclusive for it.
 */
import type { Finding } from '../wire/errors';
import type { HandshakeMessage } from '../wire/handshake';
import type { Alert } from '../wire/record';
import type { Direction, MessageKind, MessageType, Side } from '../wire/vocabulary';

export type { Direction, MessageKind, MessageType } from '../wire/vocabulary';

/** Which keys protected a message on the wire (RFC 8446 §2 terms; TLS 1.2 has plaintext and application). */
export type Epoch = 'plaintext' | 'early' | 'handshake' | 'application';

export type Provenance =
  | { kind: 'generated'; seed?: number; path?: string; plan?: string }
  | { kind: 'capture'; file: string; connection: number }
  | { kind: 'live'; target: string; role: Side }
  | { kind: 'manual'; file?: string };

export interface TranscriptRecord {
  index: number;
  dir: Direction;
  contentType: number;
  version: number;
  /** The whole record as on the wire, header included. */
  raw: Uint8Array;
  /** Protected on the wire. */
  encrypted: boolean;
  /** For protected records that could be decrypted: the plaintext content type and fragment. */
  plaintext?: { contentType: number; fragment: Uint8Array };
  epoch: Epoch;
  /** Capture frame that completed this record (1-based, as Wireshark counts). */
  frame?: number;
  /**
   * The keys the capture reader opened this record with (never written to
   * transcript JSON): the record-key rules derive their own keys from the
   * key log and take `plaintext` as their result only when theirs are the
   * same bytes for the same sequence number (oracles/record-open.ts).
   */
  openedWith?: RecordOpener;
}

/** Record keys as crypto/record.ts `keyMaterial` gives them, and the sequence number a record opened at. */
export interface RecordOpener {
  /** Version, cipher, MAC and encrypt_then_mac. */
  form: string;
  /** Key, MAC key, IV bytes (those the form has), in that order. */
  keys: readonly Uint8Array[];
  seq: number;
  /**
   * Fingerprints (wire/hex.ts) of the record's raw bytes and of its plaintext fragment when it was opened, taken by
   * the transcript builder: a record or plaintext edited since (a test, a mutation) no longer matches, and the rules
   * open it again themselves.
   */
  sums?: { raw: number; plaintext: number };
}

export interface TranscriptMessage {
  index: number;
  dir: Direction;
  kind: MessageKind;
  /** RFC snake_case name: `client_hello`, ..., or `change_cipher_spec`, `alert`, `application_data` (vocabulary MessageType). */
  type: MessageType;
  /** Handshake: header + body; CCS: its byte; alert: its two bytes; application data: the plaintext when known. */
  raw?: Uint8Array;
  /** Sent protected (inside an encrypted record). */
  encrypted: boolean;
  epoch: Epoch;
  /** Records (indices into `records`) that carried it. */
  records?: number[];
  /** Capture frame of the packet that completed the message. */
  frame?: number;
  decoded?: HandshakeMessage;
  alert?: Alert;
  /** Syntax findings of the codec (trailing bytes, duplicate extensions, ...). */
  findings?: Finding[];
}

/** Ephemeral key-exchange secrets of a generated run, so oracles can recompute everything. */
export interface EphemeralKeys {
  group: number;
  clientPrivate?: Uint8Array;
  serverPrivate?: Uint8Array;
  /**
   * The ClientHello random of the handshake that used these keys, when a connection has several (TLS 1.2
   * renegotiation): the oracles give each handshake its own. Absent: the connection's first handshake.
   */
  clientRandom?: Uint8Array;
}

/** An external pre-shared key of the connection (TLS 1.2 PSK suites, TLS 1.3 external PSK): not in any key log. */
export interface PresharedKey {
  identity: Uint8Array;
  key: Uint8Array;
  /** TLS 1.3: the hash it is bound to (default SHA-256, RFC 8446 §4.2.11). */
  hash?: 'SHA-256' | 'SHA-384';
}

export interface TranscriptSecrets {
  /** NSS key log lines for this connection. */
  keylog?: string[];
  ephemeral?: EphemeralKeys[];
  /** External PSKs the endpoints used (a generated run knows them; for a capture, `tlsprop check --psk`). */
  psks?: PresharedKey[];
}

/** Something that stops a part of the transcript from being checked, said once. */
export interface Gap {
  dir?: Direction;
  /** e.g. "no key log entry for client random 4d77..", "bytes 1200-1800 of the server stream are missing". */
  reason: string;
  /** First message index affected, when known. */
  fromMessage?: number;
}

/**
 * How one side ended its direction of the transport (a capture's TCP FIN or
 * RST), and where that falls among the records: what the closure rules read
 * (who closed, with or without close_notify, after how much data).
 */
export interface TransportEnd {
  /** The side that sent the FIN or RST. */
  side: Side;
  kind: 'fin' | 'rst';
  /** Capture frame of the FIN or RST. */
  frame?: number;
  /** Index of the first record (either direction) after it in wire order; records.length when none is. */
  beforeRecord: number;
}

export interface Transcript {
  provenance: Provenance;
  /** Endpoint labels, e.g. `127.0.0.1:51234`. */
  client?: string;
  server?: string;
  /** When the handshake happened (ISO 8601), e.g. the capture time of its first frame: certificates are judged at this time. */
  capturedAt?: string;
  records: TranscriptRecord[];
  messages: TranscriptMessage[];
  secrets?: TranscriptSecrets;
  gaps: Gap[];
  /**
   * How the transport ended, when the source shows it (a capture: every FIN
   * and RST of the connection, [] when the capture holds none, i.e. it ends
   * before either side closed); absent when the source cannot tell (a
   * generated or hand-written transcript).
   */
  ends?: TransportEnd[];
}

export function handshakeMessages(t: Transcript): TranscriptMessage[] {
  return t.messages.filter((m) => m.kind === 'handshake');
}
