/**
 * Session resumption state, kept in objects the caller passes in the
 * configurations (no global caches):
 * - ClientSessionStore: TLS 1.3 tickets (with the resumption PSK) and TLS 1.2
 *   sessions (session ID and/or RFC 5077 ticket, master secret).
 * - ServerSessionCache: TLS 1.2 session-ID cache, and the key that seals the
 *   session state into TLS 1.2 (RFC 5077 §4) and TLS 1.3 tickets, so tickets
 *   are stateless: the server recovers the state by opening the ticket.
 */
import { createHash } from 'node:crypto';
import { buf, type CryptoProvider, randomBytes } from '../crypto';
import { concatBytes, toHex } from '../wire/hex';

/** A TLS 1.3 ticket as the client keeps it (RFC 8446 §4.6.1). */
export interface StoredTicket13 {
  ticket: Uint8Array;
  nonce: Uint8Array;
  lifetime: number;
  ageAdd: number;
  /** resumption_master_secret of the connection that received the ticket. */
  resumptionMasterSecret: Uint8Array;
  /** PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", nonce). */
  psk: Uint8Array;
  /** Suite of the original connection (its hash must be kept on resumption). */
  cipherSuite: number;
  /** Client clock (ms) when the ticket arrived. */
  receivedAt: number;
  serverName?: string;
  alpn?: string;
  /**
   * The ticket's early_data extension (RFC 8446 §4.6.1): max_early_data_size, "the maximum amount of 0-RTT data that
   * the client is allowed to send when using this ticket"; absent when the ticket allows no 0-RTT data.
   */
  maxEarlyDataSize?: number;
}

/** A TLS 1.2 session as the client keeps it. */
export interface StoredSession12 {
  sessionId: Uint8Array;
  /** RFC 5077 ticket, when the server issued one. */
  ticket?: Uint8Array;
  masterSecret: Uint8Array;
  cipherSuite: number;
  extendedMasterSecret: boolean;
  serverName?: string;
  peerCertificates: Uint8Array[];
}

/** Where a client keeps what it may resume. Newest last; resumption takes the newest that fits. */
export interface ClientSessionStore {
  tls13: StoredTicket13[];
  tls12: StoredSession12[];
}

export function newClientSessionStore(): ClientSessionStore {
  return { tls13: [], tls12: [] };
}

/** Session state the server recovers from a session ID or a ticket. */
export interface ServerSessionState {
  version: number;
  cipherSuite: number;
  /** TLS 1.2 master secret, or TLS 1.3 resumption PSK. */
  secret: Uint8Array;
  extendedMasterSecret: boolean;
  /** Server clock (ms) at issue. */
  issuedAt: number;
  /** TLS 1.3 ticket_age_add. */
  ageAdd: number;
  /** Lifetime in seconds. */
  lifetime: number;
  serverName?: string;
  alpn?: string;
  /** TLS 1.3: the max_early_data_size the ticket was issued with (0: no early_data extension, no 0-RTT). */
  maxEarlyDataSize?: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function u32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

function encodeState(s: ServerSessionState): Uint8Array {
  const t = new Uint8Array(8);
  new DataView(t.buffer).setFloat64(0, s.issuedAt);
  const sn = enc.encode(s.serverName ?? '');
  const al = enc.encode(s.alpn ?? '');
  return concatBytes([
    Uint8Array.of(s.version >> 8, s.version & 0xff, s.cipherSuite >> 8, s.cipherSuite & 0xff, s.extendedMasterSecret ? 1 : 0),
    t,
    u32(s.ageAdd),
    u32(s.lifetime),
    Uint8Array.of(s.secret.length),
    s.secret,
    Uint8Array.of(s.serverName === undefined ? 0 : 1, sn.length),
    sn,
    Uint8Array.of(s.alpn === undefined ? 0 : 1, al.length),
    al,
    u32(s.maxEarlyDataSize ?? 0),
  ]);
}

function decodeState(b: Uint8Array): ServerSessionState | undefined {
  try {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let at = 0;
    const version = dv.getUint16(at);
    const cipherSuite = dv.getUint16(at + 2);
    const extendedMasterSecret = b[at + 4] === 1;
    at += 5;
    const issuedAt = dv.getFloat64(at);
    at += 8;
    const ageAdd = dv.getUint32(at);
    const lifetime = dv.getUint32(at + 4);
    at += 8;
    const sl = b[at++]!;
    const secret = b.slice(at, at + sl);
    at += sl;
    const hasSn = b[at++] === 1;
    const snl = b[at++]!;
    const sn = dec.decode(b.subarray(at, at + snl));
    at += snl;
    const hasAl = b[at++] === 1;
    const all = b[at++]!;
    const al = dec.decode(b.subarray(at, at + all));
    at += all;
    const maxEarly = dv.getUint32(at);
    at += 4;
    if (at !== b.length || secret.length !== sl) return undefined;
    const s: ServerSessionState = { version, cipherSuite, secret, extendedMasterSecret, issuedAt, ageAdd, lifetime };
    if (hasSn) s.serverName = sn;
    if (hasAl) s.alpn = al;
    if (maxEarly > 0) s.maxEarlyDataSize = maxEarly;
    return s;
  } catch {
    return undefined;
  }
}

export interface ServerSessionCacheOptions {
  /** 32-byte AES-256-GCM key sealing tickets (default: fresh); caches with the same key open each other's tickets. */
  ticketKey?: Uint8Array;
  /** Clock in ms (default Date.now). */
  now?: () => number;
}

/**
 * Server-side resumption state: a session-ID cache (TLS 1.2) and the ticket
 * key. Tickets are key_name(16) || iv(12) || AES-256-GCM(state) (RFC 5077 §4 layout,
 * with an AEAD instead of CBC+HMAC).
 */
export class ServerSessionCache {
  readonly sessions = new Map<string, ServerSessionState>();
  readonly ticketKey: Uint8Array;
  readonly keyName: Uint8Array;
  readonly now: () => number;
  private key: Promise<CryptoKey> | undefined;

  constructor(
    private readonly p: CryptoProvider,
    opts: ServerSessionCacheOptions = {},
  ) {
    this.ticketKey = opts.ticketKey ?? randomBytes(p, 32);
    // key_name follows from the key, so caches given the same key (a restarted server) accept each other's tickets.
    this.keyName = new Uint8Array(createHash('sha256').update(this.ticketKey).digest().subarray(0, 16));
    this.now = opts.now ?? Date.now;
  }

  private aesKey(): Promise<CryptoKey> {
    this.key ??= this.p.subtle.importKey('raw', buf(this.ticketKey), 'AES-GCM', false, ['encrypt', 'decrypt']);
    return this.key;
  }

  /** Remember a TLS 1.2 session under its ID. */
  store(sessionId: Uint8Array, s: ServerSessionState): void {
    this.sessions.set(toHex(sessionId), s);
  }

  lookup(sessionId: Uint8Array): ServerSessionState | undefined {
    return sessionId.length ? this.sessions.get(toHex(sessionId)) : undefined;
  }

  /** Binders of the ClientHellos whose 0-RTT data was accepted (RFC 8446 §8.2 ClientHello recording). */
  private readonly earlySeen = new Set<string>();

  /**
   * RFC 8446 §8: the server accepts "0-RTT for the same 0-RTT handshake at most once". True the first time a
   * ClientHello (known by its PSK binder, which covers the whole ClientHello) asks for 0-RTT, false for a replay.
   */
  firstEarlyUse(binder: Uint8Array): boolean {
    const k = toHex(binder);
    if (this.earlySeen.has(k)) return false;
    this.earlySeen.add(k);
    return true;
  }

  /** Forget a session (e.g. after a fatal alert). */
  remove(sessionId: Uint8Array): void {
    this.sessions.delete(toHex(sessionId));
  }

  async seal(s: ServerSessionState): Promise<Uint8Array> {
    const iv = randomBytes(this.p, 12);
    const ct = new Uint8Array(
      await this.p.subtle.encrypt(
        { name: 'AES-GCM', iv: buf(iv), additionalData: buf(this.keyName) },
        await this.aesKey(),
        buf(encodeState(s)),
      ),
    );
    return concatBytes([this.keyName, iv, ct]);
  }

  /** The state sealed in a ticket, or undefined when it is not one of ours or was tampered with. */
  async open(ticket: Uint8Array): Promise<ServerSessionState | undefined> {
    if (ticket.length < 16 + 12 + 16) return undefined;
    if (toHex(ticket.subarray(0, 16)) !== toHex(this.keyName)) return undefined;
    try {
      const pt = await this.p.subtle.decrypt(
        { name: 'AES-GCM', iv: buf(ticket.slice(16, 28)), additionalData: buf(this.keyName) },
        await this.aesKey(),
        buf(ticket.slice(28)),
      );
      return decodeState(new Uint8Array(pt));
    } catch {
      return undefined;
    }
  }
}
