/**
 * Hooks: a way to change what an endpoint sends or receives without forking
 * the engine. Every hook may return a replacement list (0, 1 or more items:
 * drop, change, inject; hold a message back and return it later to reorder)
 * or undefined to leave things as they are. Outgoing messages pass through
 * `beforeSend` as each is built, so the endpoint's own transcript hash and
 * signatures cover what was actually sent.
 */
import type { ProtectOptions } from '../crypto/record';
import type { ContentKind } from './types';

export type Side = 'client' | 'server';

export interface HookMessage {
  /** Which endpoint the hook runs in. */
  side: Side;
  kind: ContentKind;
  /** Handshake: RFC snake_case name (`client_hello`, ...); else the kind. */
  type: string;
  /** Handshake: header + body; CCS: its byte; alert: two bytes; application data: the plaintext. */
  raw: Uint8Array;
  /**
   * Which handshake of the connection the endpoint is in when the message is sent or received: 0 the initial one, n
   * the n-th TLS 1.2 renegotiation (so a hook can change the renegotiating ClientHello only). Set by the engine.
   */
  handshake?: number;
  /**
   * Outgoing messages only: frame `fragment` as a record of `contentType`, protect it with the write keys in use
   * right now (none: plaintext), and queue it ahead of this message (e.g. TLS 1.3 application data sealed under
   * the handshake traffic keys before the Finished). The record passes through `beforeSendRecord` like any other.
   */
  sendRecord?(contentType: number, fragment: Uint8Array): Promise<void>;
}

export interface HookRecord {
  side: Side;
  /** Whole record as it will go on the wire. */
  raw: Uint8Array;
  /** Inner content type and plaintext of a protected record. */
  plaintext?: { contentType: number; fragment: Uint8Array };
}

/**
 * A record's content as the endpoint is about to frame it (`beforeFrame`): one whole message (or a TLS 1.3 dummy
 * ChangeCipherSpec, an alert, application data) before it is split into records of at most 2^14 bytes (or the
 * negotiated max_fragment_length) and protected.
 */
export interface HookFrame {
  side: Side;
  /** The content type of the content (the inner type when it is protected). */
  contentType: number;
  content: Uint8Array;
  /** The content is protected with the write keys in use (false: it goes out in plaintext). */
  protected: boolean;
  /**
   * Protected under a TLS 1.2 CBC suite: the block size, the MAC length and whether the MAC covers the ciphertext
   * (RFC 7366), so a hook can size a record's padding (`FramePiece.protection`). Undefined otherwise.
   */
  cbc?: { blockSize: number; macLength: number; encryptThenMac: boolean };
  /**
   * End our side of the transport (a TCP FIN, without close_notify) once the records queued so far are sent: a
   * truncation. The socket driver (engine/socket.ts) sends nothing after it and reads until the peer closes.
   */
  closeTransport(): void;
}

/**
 * One record `beforeFrame` asks for, framed as given (not split: any size) and protected with the write keys in use
 * unless `plaintext` (or no keys are in use yet). Every one passes through `beforeSendRecord` afterwards.
 */
export interface FramePiece {
  /** The content type (inner type of a protected TLS 1.3 record). */
  contentType: number;
  fragment: Uint8Array;
  /** The record header's version (default 0x0303); of a protected record, the version its MAC or AEAD data covers too. */
  version?: number;
  /** TLS 1.3 protected records: zero bytes of padding after the inner content type (RFC 8446 §5.4). */
  padding?: number;
  /** Sent in plaintext although write keys are in use. */
  plaintext?: boolean;
  /**
   * Protected records: how the record protection builds it (TLS 1.2 CBC: the longest padding, or extra blocks of it;
   * any: an edit of exactly what is encrypted, under valid protection; crypto/record.ts ProtectOptions).
   */
  protection?: Pick<ProtectOptions, 'longestPadding' | 'extraPaddingBlocks' | 'replacePlaintext'>;
}

type MaybePromise<T> = T | Promise<T>;

/** What an endpoint's signature scheme choice is made from (`EngineHooks.signatureScheme`). */
export interface SchemeChoice {
  /** The message to be signed. */
  message: 'certificate_verify';
  /** The schemes the peer listed (a CertificateRequest's signature_algorithms). */
  offered: readonly number[];
  /** The endpoint's own choice (undefined: none of its schemes fits its key and the peer's list). */
  chosen: number | undefined;
}

export interface EngineHooks {
  /**
   * The signature scheme the endpoint signs its CertificateVerify with (the main handshake's): return another to sign
   * with it instead (the endpoint signs properly with its key under that scheme), undefined to keep its choice.
   */
  signatureScheme?(choice: SchemeChoice): number | undefined;
  /** A message built and about to be framed (and protected): return the raw contents to send instead. */
  beforeSend?(msg: HookMessage): MaybePromise<Uint8Array[] | undefined>;
  /**
   * Content about to be framed into records: return the records to frame instead (split, coalesce with content held
   * back from an earlier call, change the header, pad, or [] to hold it back). Undefined: the usual framing.
   */
  beforeFrame?(frame: HookFrame): MaybePromise<FramePiece[] | undefined>;
  /** A protected/framed record about to leave: return the records to send instead. */
  beforeSendRecord?(rec: HookRecord): MaybePromise<HookRecord[] | undefined>;
  /** A handshake message received and reassembled, before it is processed: return the raws to process instead. */
  beforeProcess?(msg: HookMessage): MaybePromise<Uint8Array[] | undefined>;
}
