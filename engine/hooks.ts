/**
 * Hooks: a way to change what an endpoint sends or receives without forking
 * the engine. Every hook may return a replacement list (0, 1 or more items:
 * drop, change, inject; hold a message back and return it later to reorder)
 * or undefined to leave things as they are. Outgoing messages pass through
 * `beforeSend` as each is built, so the endpoint's own transcript hash and
 * signatures cover what was actually sent.
 */
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

type MaybePromise<T> = T | Promise<T>;

export interface EngineHooks {
  /** A message built and about to be framed (and protected): return the raw contents to send instead. */
  beforeSend?(msg: HookMessage): MaybePromise<Uint8Array[] | undefined>;
  /** A protected/framed record about to leave: return the records to send instead. */
  beforeSendRecord?(rec: HookRecord): MaybePromise<HookRecord[] | undefined>;
  /** A handshake message received and reassembled, before it is processed: return the raws to process instead. */
  beforeProcess?(msg: HookMessage): MaybePromise<Uint8Array[] | undefined>;
}

/** Hooks that change nothing. */
export const NO_HOOKS: EngineHooks = Object.freeze({});
