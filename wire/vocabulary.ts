/**
 * The protocol vocabulary every layer speaks: versions, directions, sides,
 * message and alert names, client-auth and resumption modes, and the kinds
 * of verdict. Declared once here, at the bottom layer, so that the codec,
 * the engine, the oracles, the fuzzers and the reports use the same names
 * (and tsc catches a misspelt one). Wire code points stay in registry.ts;
 * this file names the concepts built on them.
 */
import { type AlertName, type ExtensionName, HandshakeType, type HandshakeTypeName, ProtocolVersion } from './registry';

export type { AlertName, ExtensionName, HandshakeTypeName };

// ------------------------------------------------------------------ versions

/** The protocol versions tlsprop speaks and judges. */
export type TlsVersion = '1.2' | '1.3';
export const TLS_VERSIONS: readonly TlsVersion[] = ['1.2', '1.3'];

/** The ProtocolVersion code point of a version (RFC 5246 §6.2.1, RFC 8446 §4.2.1). */
export const VERSION_CODE: Readonly<Record<TlsVersion, number>> = {
  '1.2': ProtocolVersion.TLS1_2,
  '1.3': ProtocolVersion.TLS1_3,
};

/** The version of a ProtocolVersion code point, when it is one tlsprop speaks. */
export function versionOfCode(code: number): TlsVersion | undefined {
  if (code === ProtocolVersion.TLS1_2) return '1.2';
  if (code === ProtocolVersion.TLS1_3) return '1.3';
  return undefined;
}

// ------------------------------------------------------------ who sends what

/** Which way a record or message travels. */
export type Direction = 'C->S' | 'S->C';
/** One endpoint of a connection. */
export type Side = 'client' | 'server';
/** Who a rule binds: one side, or both. */
export type Role = Side | 'both';

/** The side that sends in this direction. */
export const senderOf = (d: Direction): Side => (d === 'C->S' ? 'client' : 'server');
/** The side that receives in this direction. */
export const receiverOf = (d: Direction): Side => (d === 'C->S' ? 'server' : 'client');
export const otherSide = (s: Side): Side => (s === 'client' ? 'server' : 'client');

// ------------------------------------------------------------------ messages

/** What a transcript message is, by record content type. */
export type MessageKind = 'handshake' | 'change_cipher_spec' | 'alert' | 'application_data';

/**
 * A message as the transcript names it: a handshake type (RFC snake_case),
 * or the content type of a non-handshake record. Protected messages that
 * could not be read are `encrypted_handshake_message` / `encrypted_record`.
 */
export type MessageType =
  | HandshakeTypeName
  | 'change_cipher_spec'
  | 'alert'
  | 'application_data'
  | 'encrypted_handshake_message'
  | 'encrypted_record'
  | UnknownMessageType;

/**
 * A message the registries do not name, kept as what it was on the wire:
 * a handshake type by its code (`0x63`), a record of an unknown content
 * type by its number (`content_type_99`).
 */
export type UnknownMessageType = `0x${string}` | `content_type_${number}`;

const NON_HANDSHAKE_TYPES: readonly string[] = [
  'change_cipher_spec',
  'alert',
  'application_data',
  'encrypted_handshake_message',
  'encrypted_record',
];

/** A message type read from a file (a hand-written transcript): a name above, or undefined. */
export function messageTypeOf(s: string): MessageType | undefined {
  if (s in HandshakeType || NON_HANDSHAKE_TYPES.includes(s)) return s as MessageType;
  if (/^0x[0-9a-f]{2}$/.test(s)) return s as `0x${string}`;
  if (/^content_type_\d+$/.test(s)) return s as `content_type_${number}`;
  return undefined;
}

/**
 * A message as the state machines and ladders name it: a HelloRetryRequest
 * is a ServerHello on the wire (RFC 8446 §4.1.4) but its own step here.
 */
export type StepName = MessageType | 'hello_retry_request';

// ------------------------------------------------------------- configuration

/** What a server asks of the client's certificate (engine configuration). */
export type ClientAuthMode = 'none' | 'request' | 'require';
/** What happened with client authentication in one handshake (observed). */
export type ClientAuthSeen = 'none' | 'requested-sent' | 'requested-empty' | 'required';
/** How a handshake resumed an earlier session, if it did. */
export type ResumptionMode = 'none' | 'session_id' | 'ticket' | 'psk_ke' | 'psk_dhe_ke';
/** Who started a TLS 1.2 renegotiation (RFC 5746) on a connection: its client, its server (HelloRequest), or nobody. */
export type RenegotiationMode = 'none' | 'client' | 'server';

/** One point of the configuration space a generated handshake was drawn from (names as the registry spells them). */
export interface ConfigPoint {
  version: TlsVersion;
  cipherSuite: string;
  group?: string;
  signatureScheme?: string;
  /** Scheme of the client's CertificateVerify, when the client authenticated. */
  clientSignatureScheme?: string;
  /** Intermediate CAs in each chain as sent (absent: not known, e.g. a capture). */
  intermediates?: { server: number; client: number };
  clientAuth: ClientAuthSeen;
  resumption: ResumptionMode;
  helloRetry: boolean;
  /** A TLS 1.2 renegotiation followed the handshake (absent: none). */
  renegotiation?: RenegotiationMode;
  /** A TLS 1.3 external PSK authenticated the handshake, with this key exchange mode (absent: none). */
  externalPsk?: 'psk_ke' | 'psk_dhe_ke';
  /** The sides that sent a CompressedCertificate (RFC 8879), each with its algorithm: `server zlib` (absent: none). */
  certCompression?: string[];
  /** 0-RTT data was offered and the server accepted or rejected it (RFC 8446 §4.2.10; absent: not offered). */
  earlyData?: 'accepted' | 'rejected';
  /** A post-handshake client authentication took place (RFC 8446 §4.6.2; absent: none). */
  postHandshakeAuth?: boolean;
  extensions: string[];
}

// ------------------------------------------------------------------ verdicts

/** A rule's verdict on one place it looked at. Never a silent pass. */
export type VerdictStatus = 'pass' | 'violation' | 'inconclusive' | 'not-applicable';
export const VERDICT_STATUSES: readonly VerdictStatus[] = ['pass', 'violation', 'inconclusive', 'not-applicable'];

/** RFC 2119 strength of a rule. */
export type Strength = 'MUST' | 'SHOULD' | 'MAY';

/**
 * How a live peer reacted to one conversation, judged against what the RFC
 * requires of it:
 * - `conforming`: it did what the RFC requires;
 * - `accepted-invalid`: it went on (its Finished, application data) after input it must reject;
 * - `wrong-alert`: it rejected, with an alert the RFC does not allow there;
 * - `no-alert`: it closed without the alert the RFC requires;
 * - `flagged`: a message it sent itself broke a rule;
 * - `hung`: no decision within the timeout; `reset`: the connection was reset;
 * - `target-crashed` / `target-hung`: after this conversation the target no longer accepts / answers connections.
 */
export type ConversationVerdict =
  | 'conforming'
  | 'accepted-invalid'
  | 'wrong-alert'
  | 'no-alert'
  | 'flagged'
  | 'hung'
  | 'reset'
  | 'target-crashed'
  | 'target-hung';
export const CONVERSATION_VERDICTS: readonly ConversationVerdict[] = [
  'conforming',
  'accepted-invalid',
  'wrong-alert',
  'no-alert',
  'flagged',
  'hung',
  'reset',
  'target-crashed',
  'target-hung',
];

/** How strictly a live peer's rejection is judged. */
export type Strictness = 'exact' | 'alert-or-close' | 'any-abort';
