/**
 * Record decryption for one TLS connection from an NSS key log.
 *
 * `ConnectionDecryptor.open(dir, record)` is called for every record of a
 * connection in wire order (both directions interleaved, as the
 * TranscriptBuilder gets them). It returns the record's plaintext content
 * when the record was protected and could be decrypted, `plain` when the
 * record was not protected, or `unreadable` with the reason. It follows the
 * handshake itself (its own handshake framing over the readable content) to
 * switch keys:
 *
 * - TLS 1.2: each direction after its ChangeCipherSpec, with the key block
 *   from the master secret (CLIENT_RANDOM of the latest ClientHello's random,
 *   which also covers resumed sessions); AES-CBC MAC-then-encrypt, AES-CBC
 *   encrypt_then_mac (when both hellos carry it), AES-GCM, ChaCha20-Poly1305.
 * - TLS 1.3: both directions to the handshake traffic secrets at the
 *   ServerHello (not at a HelloRetryRequest), each direction to
 *   *_TRAFFIC_SECRET_0 after its Finished, to the next secret after its
 *   KeyUpdate. 0-RTT: with CLIENT_EARLY_TRAFFIC_SECRET, client records after
 *   a ClientHello offering early_data are trial-decrypted with the early key
 *   until the client's own sequence leaves it (RFC 8446 §2.3, §4.2.10): its
 *   EndOfEarlyData, or its first record under the handshake key. When the
 *   records arrive (before or after the server's flight, and whatever the
 *   server's EncryptedExtensions said: a client may have sent them before it
 *   read a refusal) does not change the key they were protected with. The
 *   early key is that of the PSK's cipher suite, which the capture does not
 *   name before a server accepts it: each offered TLS 1.3 suite is tried
 *   (the ServerHello's first) until one opens. Without the secret, such
 *   records stay unreadable and are said to be early.
 *
 * Sequence numbers advance for every record of an epoch, including one that
 * fails to decrypt (a tampered copy then costs only that record), except for
 * client records that may be 0-RTT data (a server that refused it skips
 * them, RFC 8446 §4.2.10; they are not in the handshake key's sequence).
 * Nothing here throws for bad input: failures are reasons, said per record.
 */
import type { CryptoProvider } from '../crypto/provider';
import type { KeyLogEntry, KeyLogLabel, KeyLogSecrets } from '../crypto/keylog';
import { createRecordProtection, keyMaterial, type RecordProtection, tls12Params, tls13Params } from '../crypto/record';
import { type KeyBlock, keyBlock } from '../crypto/tls12';
import { nextTrafficSecret, tls13KeyLength, trafficKeys } from '../crypto/tls13';
import { decodeContextOf, sameDecodeContext, selectedVersion } from '../transcript/build';
import type { Direction, RecordOpener } from '../transcript/model';
import { DecodeError } from '../wire/errors';
import { extensionBody, findExtension } from '../wire/extensions';
import {
  type ClientHello,
  type DecodeContext,
  type DecodedHandshake,
  decodeHandshake,
  type HandshakeBody,
  isHelloRetryRequest,
  type ServerHello,
} from '../wire/handshake';
import { toHex } from '../wire/hex';
import { type CipherSuiteInfo, ContentType, cipherSuites, ExtensionType } from '../wire/registry';
import { HandshakeAssembler } from '../wire/record';
import { VERSION_CODE } from '../wire/vocabulary';

/**
 * Key log entries indexed by client random (one store per capture; nothing global).
 *
 * Each entry remembers when it was added (`at`: a position in the reader's
 * event order; 0 for a key log given up front). A pcapng Decryption Secrets
 * Block applies to what comes after it in the file, so a lookup made for a
 * record at position `asOf` sees only the entries added at or before it,
 * whenever the lookup actually runs (the capture reader decrypts several
 * connections at once, some behind the read position).
 */
export class KeyStore {
  private readonly byRandom = new Map<string, Array<{ at: number; label: KeyLogLabel; secret: Uint8Array; line: string }>>();

  add(entries: readonly KeyLogEntry[], at = 0): void {
    for (const e of entries) {
      const cr = toHex(e.clientRandom);
      let list = this.byRandom.get(cr);
      if (!list) {
        list = [];
        this.byRandom.set(cr, list);
      }
      list.push({ at, label: e.label, secret: e.secret, line: `${e.label} ${cr} ${toHex(e.secret)}` });
    }
  }

  get size(): number {
    return this.byRandom.size;
  }

  /** The secrets of a client random known at `asOf` (the latest entry per label wins). */
  lookup(clientRandom: Uint8Array, asOf = Number.POSITIVE_INFINITY): KeyLogSecrets | undefined {
    const list = this.byRandom.get(toHex(clientRandom));
    let s: KeyLogSecrets | undefined;
    for (const e of list ?? []) {
      if (e.at > asOf) continue;
      s ??= {};
      s[e.label] = e.secret;
    }
    return s;
  }

  /** NSS key log lines of one client random known at `asOf`, in the order they were added. */
  linesFor(clientRandom: Uint8Array, asOf = Number.POSITIVE_INFINITY): string[] {
    return (this.byRandom.get(toHex(clientRandom)) ?? []).filter((e) => e.at <= asOf).map((e) => e.line);
  }
}

export type OpenResult =
  | { kind: 'plain' }
  | {
      kind: 'decrypted';
      contentType: number;
      fragment: Uint8Array;
      epoch: 'early' | 'handshake' | 'application';
      /** The keys and sequence number it opened with (TranscriptRecord.openedWith). */
      openedWith?: RecordOpener;
    }
  /** `epoch`: 'early' when the record may be client 0-RTT data (the client had not yet left its early epoch). */
  | { kind: 'unreadable'; reason: string; epoch?: 'early' };

/** What the decryptor saw of the handshake (also used for resumption linking). */
export interface HandshakeFacts {
  /** The latest ClientHello (a renegotiation replaces the first). */
  clientHello?: ClientHello;
  /** Every distinct client random seen (initial handshake, renegotiations). */
  clientRandoms: Uint8Array[];
  serverHello?: ServerHello;
  helloRetry: boolean;
  version?: number;
  suite?: CipherSuiteInfo;
  /** Tickets of NewSessionTicket messages (TLS 1.2 and 1.3). */
  tickets: Uint8Array[];
  /** Handshake message types per direction, as read. */
  types: Record<Direction, string[]>;
  /** ChangeCipherSpec seen per direction. */
  ccs: Record<Direction, boolean>;
}

interface Epoch {
  name: 'early' | 'handshake' | 'application';
  protection: RecordProtection;
  seq: bigint;
  /** TLS 1.3 traffic secret (for KeyUpdate). */
  secret?: Uint8Array;
  label: string;
  /** keyMaterial of the protection, made once (shared by the records it opens). */
  material?: { form: string; keys: Uint8Array[] };
  /** TLS 1.3: the cipher suite the keys were made for. */
  suite?: number;
}

/** The keys an epoch opens with and the sequence number `seq` (TranscriptRecord.openedWith). */
function openerOf(ep: Epoch, seq: bigint): RecordOpener {
  ep.material ??= keyMaterial(ep.protection.params);
  return { form: ep.material.form, keys: ep.material.keys, seq: Number(seq) };
}

interface DirState {
  /** Keys in force; undefined while the direction is plaintext. */
  current?: Epoch;
  /** Why the direction cannot be read, once it is protected without keys. */
  missing?: string;
  /**
   * TLS 1.3 client: the early key, one per offered TLS 1.3 suite until a record opens with one (then only that one),
   * tried before the handshake key.
   */
  early: Epoch[];
  /**
   * TLS 1.3 client: the early key after EndOfEarlyData, tried last: a record still under it (a second EndOfEarlyData,
   * 0-RTT data after it) is a sender's fault the oracles judge, so it is read rather than left unreadable.
   */
  earlyAfterEnd?: Epoch;
  /** Client 0-RTT records are possible: offered, and the client has not left its early epoch (see the header). */
  earlyPossible: boolean;
  assembler: HandshakeAssembler;
  broken: boolean;
}

/** Byte equality through node's native compare (a handshake message is kilobytes: a certificate chain). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.byteLength === b.byteLength &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  );
}

const hex6 = (b: Uint8Array): string => `${toHex(b.subarray(0, 6))}…`;

export class ConnectionDecryptor {
  readonly facts: HandshakeFacts = {
    helloRetry: false,
    clientRandoms: [],
    tickets: [],
    types: { 'C->S': [], 'S->C': [] },
    ccs: { 'C->S': false, 'S->C': false },
  };
  private readonly dirs: Record<Direction, DirState> = {
    'C->S': { early: [], earlyPossible: false, assembler: new HandshakeAssembler(), broken: false },
    'S->C': { early: [], earlyPossible: false, assembler: new HandshakeAssembler(), broken: false },
  };
  /** Problems found while reading handshake content (not thrown). */
  readonly notes: string[] = [];
  /** Key-log entries added after this position of the reader are not used (see KeyStore). */
  asOf = Number.POSITIVE_INFINITY;
  /** The TLS 1.2 key block of the current master secret and randoms (both directions' ChangeCipherSpec use it). */
  private keyBlock12: { of: string; kb: Promise<KeyBlock> } | undefined;

  constructor(
    private readonly provider: CryptoProvider,
    private readonly keys: KeyStore,
  ) {}

  get isTls13(): boolean {
    return this.facts.version === VERSION_CODE['1.3'];
  }

  /** The client random the key log is searched with. */
  get clientRandom(): Uint8Array | undefined {
    return this.facts.clientHello?.random;
  }

  /** Open one record (header + fragment as on the wire) sent in `dir`. */
  async open(dir: Direction, contentType: number, version: number, fragment: Uint8Array): Promise<OpenResult> {
    const st = this.dirs[dir];
    const protectedNow = st.current !== undefined || st.missing !== undefined || st.early.length > 0;
    // TLS 1.3: only application_data records are protected (CCS and stray plaintext alerts are not).
    const isProtected = protectedNow && !((this.isTls13 || st.earlyPossible) && contentType !== ContentType.application_data);
    const clientEarlyWindow =
      dir === 'C->S' && st.earlyPossible && this.facts.serverHello === undefined && contentType === ContentType.application_data;
    if (!isProtected && !clientEarlyWindow) {
      await this.observe(dir, contentType, fragment);
      return { kind: 'plain' };
    }
    if (clientEarlyWindow && st.early.length === 0) return { kind: 'unreadable', reason: this.missingEarly(), epoch: 'early' };
    const candidates: Epoch[] = [];
    if (st.earlyPossible) candidates.push(...st.early);
    if (st.current) candidates.push(st.current);
    if (candidates.length === 0) return { kind: 'unreadable', reason: st.missing ?? 'no keys' };
    let firstError = '';
    for (const ep of candidates) {
      const r = await ep.protection.unprotect(ep.seq, contentType, version, fragment);
      if (r.ok) {
        const openedWith = openerOf(ep, ep.seq);
        ep.seq++;
        if (ep.name === 'early') st.early = [ep];
        else if (st.earlyPossible) {
          // The client moved on to its handshake keys: its early epoch is over (RFC 8446 §2.3).
          st.early = [];
          st.earlyPossible = false;
        }
        const name = ep.name;
        await this.observe(dir, r.type, r.content);
        return { kind: 'decrypted', contentType: r.type, fragment: r.content, epoch: name, openedWith };
      }
      if (!firstError) firstError = `${r.reason}${r.detail ? ` (${r.detail})` : ''}`;
    }
    const late = st.earlyAfterEnd;
    if (late) {
      const r = await late.protection.unprotect(late.seq, contentType, version, fragment);
      if (r.ok) {
        late.seq++;
        this.notes.push(`${dir}: a record under the client early traffic key after EndOfEarlyData`);
        await this.observe(dir, r.type, r.content);
        return { kind: 'decrypted', contentType: r.type, fragment: r.content, epoch: 'early' };
      }
    }
    const switched = await this.openAsNextEpoch(dir, contentType, version, fragment);
    if (switched) return switched;
    const maybeEarly = dir === 'C->S' && st.earlyPossible;
    if (maybeEarly && st.early.length === 0) return { kind: 'unreadable', reason: this.missingEarly(), epoch: 'early' };
    const tried = [...new Set(candidates.map((c) => c.label))].join(' or ');
    if (!maybeEarly) for (const c of candidates) c.seq++;
    const reason = `does not decrypt with the ${tried}: ${firstError}`;
    return maybeEarly
      ? { kind: 'unreadable', reason: `${reason} (0-RTT data the server may have skipped)`, epoch: 'early' }
      : { kind: 'unreadable', reason };
  }

  /**
   * TLS 1.3: a record that does not open with the handshake key may be the
   * first one under the sender's application key, when the record that held
   * its Finished did not open (altered, or not protected as RFC 8446 §5.2
   * defines): the keys switch there, so the records after it are read and
   * only the one that failed stays unreadable.
   */
  private async openAsNextEpoch(
    dir: Direction,
    contentType: number,
    version: number,
    fragment: Uint8Array,
  ): Promise<OpenResult | undefined> {
    const st = this.dirs[dir];
    if (!this.isTls13 || st.current?.name !== 'handshake' || contentType !== ContentType.application_data) return undefined;
    const label: KeyLogLabel = dir === 'C->S' ? 'CLIENT_TRAFFIC_SECRET_0' : 'SERVER_TRAFFIC_SECRET_0';
    const secret = this.secret(label);
    if (!secret) return undefined;
    const ep = await this.epoch13('application', secret, `${dir === 'C->S' ? 'client' : 'server'} application traffic key`);
    if (typeof ep === 'string') return undefined;
    const r = await ep.protection.unprotect(0n, contentType, version, fragment);
    if (!r.ok) return undefined;
    ep.seq = 1n;
    st.current = ep;
    st.missing = undefined;
    this.notes.push(`${dir}: a handshake record did not open and the next opens with the application key`);
    await this.observe(dir, r.type, r.content);
    return { kind: 'decrypted', contentType: r.type, fragment: r.content, epoch: 'application' };
  }

  private missingEarly(): string {
    const cr = this.clientRandom;
    return cr
      ? `0-RTT data or EndOfEarlyData: no CLIENT_EARLY_TRAFFIC_SECRET in the key log for client random ${hex6(cr)}`
      : '0-RTT data without a ClientHello';
  }

  private missing(labels: KeyLogLabel[]): string {
    const cr = this.clientRandom;
    if (!cr) return 'no ClientHello was read, so no key-log entry can be looked up';
    const have = this.keys.lookup(cr, this.asOf);
    if (!have) return `no key-log entry for client random ${hex6(cr)}`;
    return `the key log has no ${labels.filter((l) => !have[l]).join(', ')} for client random ${hex6(cr)}`;
  }

  private secret(label: KeyLogLabel): Uint8Array | undefined {
    const cr = this.clientRandom;
    return cr ? this.keys.lookup(cr, this.asOf)?.[label] : undefined;
  }

  private async epoch13(
    name: Epoch['name'],
    secret: Uint8Array,
    label: string,
    suite = this.facts.suite,
  ): Promise<Epoch | string> {
    if (!suite) return 'no cipher suite';
    try {
      const keys = await trafficKeys(this.provider, suite.prfHash, secret, tls13KeyLength(suite));
      const protection = await createRecordProtection(this.provider, tls13Params(suite, keys));
      return { name, protection, seq: 0n, secret, label, suite: suite.code };
    } catch (e) {
      return `cannot use ${suite.name}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /** The client early traffic key of `secret` for one candidate suite of the PSK. */
  private earlyEpoch(secret: Uint8Array, suite: CipherSuiteInfo): Promise<Epoch | string> {
    return this.epoch13('early', secret, 'client early traffic key', suite);
  }

  private async set13(dir: Direction, name: Epoch['name'], label: KeyLogLabel, secret: Uint8Array | undefined): Promise<void> {
    const st = this.dirs[dir];
    const what = `${dir === 'C->S' ? 'client' : 'server'} ${name} traffic key`;
    if (!secret) {
      st.current = undefined;
      st.missing = this.missing([label]);
      return;
    }
    const ep = await this.epoch13(name, secret, what);
    if (typeof ep === 'string') {
      st.current = undefined;
      st.missing = ep;
    } else {
      st.current = ep;
      st.missing = undefined;
    }
  }

  private async set12(dir: Direction): Promise<void> {
    const st = this.dirs[dir];
    const { clientHello: ch, serverHello: sh, suite } = this.facts;
    st.current = undefined;
    if (!ch || !sh || !suite) {
      st.missing = 'ChangeCipherSpec before both hellos were read';
      return;
    }
    const master = this.secret('CLIENT_RANDOM');
    if (!master) {
      st.missing = this.missing(['CLIENT_RANDOM']);
      return;
    }
    const etm =
      suite.mac !== 'AEAD' &&
      findExtension(ch.extensions, ExtensionType.encrypt_then_mac) !== undefined &&
      findExtension(sh.extensions, ExtensionType.encrypt_then_mac) !== undefined;
    try {
      const of = `${suite.code}:${toHex(master)}:${toHex(ch.random)}:${toHex(sh.random)}`;
      if (this.keyBlock12?.of !== of) this.keyBlock12 = { of, kb: keyBlock(this.provider, suite, master, ch.random, sh.random) };
      const kb = await this.keyBlock12.kb;
      const writer = dir === 'C->S' ? 'client' : 'server';
      const protection = await createRecordProtection(this.provider, tls12Params(suite, kb, writer, etm));
      st.current = {
        name: 'application',
        protection,
        seq: 0n,
        label: `${writer} write key (${suite.name}${etm ? ', encrypt_then_mac' : ''})`,
      };
      st.missing = undefined;
    } catch (e) {
      st.missing = `cannot decrypt ${suite.name}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /** Follow readable content: handshake messages and TLS 1.2 ChangeCipherSpec. */
  private async observe(dir: Direction, contentType: number, fragment: Uint8Array): Promise<void> {
    const st = this.dirs[dir];
    if (contentType === ContentType.change_cipher_spec) {
      this.facts.ccs[dir] = true;
      if (this.isTls13) return;
      if (this.facts.serverHello) await this.set12(dir);
      else {
        // (A client offering TLS 1.3 may send this CCS for middlebox compatibility, e.g. before 0-RTT data; early keys still apply.)
        const st = this.dirs[dir];
        st.current = undefined;
        st.missing = 'ChangeCipherSpec before any ServerHello was read, so the version and keys are unknown';
      }
      return;
    }
    if (contentType !== ContentType.handshake || st.broken) return;
    let framed: ReturnType<HandshakeAssembler['push']>;
    try {
      framed = st.assembler.push(fragment, 0);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      st.broken = true;
      this.notes.push(`${dir} handshake framing: ${e.message}`);
      return;
    }
    for (const f of framed) await this.message(dir, f.raw);
  }

  /**
   * The handshake messages this decryptor decoded since `takeDecoded` last
   * found one, with their context and result: a TranscriptBuilder fed the
   * same records takes them (DecodedElsewhere) instead of decoding the
   * same bytes again. The reader clears it after each record.
   */
  readonly decoded: Array<{ raw: Uint8Array; ctx: DecodeContext; result: DecodedHandshake | DecodeError }> = [];

  /** A message decoded here with the same bytes and context (see `decoded`), for TranscriptBuilder. */
  takeDecoded(raw: Uint8Array, ctx: DecodeContext): DecodedHandshake | DecodeError | undefined {
    for (let i = 0; i < this.decoded.length; i++) {
      const d = this.decoded[i]!;
      if (sameDecodeContext(d.ctx, ctx) && sameBytes(d.raw, raw)) {
        this.decoded.splice(0, i + 1);
        return d.result;
      }
    }
    return undefined;
  }

  private async message(dir: Direction, raw: Uint8Array): Promise<void> {
    let body: HandshakeBody;
    // The context a TranscriptBuilder decodes with (version, TLS 1.2 key exchange), so that it can take the result.
    const ctx = decodeContextOf({ version: this.facts.version, cipherSuite: this.facts.serverHello?.cipherSuite });
    try {
      const d = decodeHandshake(raw, ctx);
      this.decoded.push({ raw, ctx, result: d });
      body = d.message.body;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.decoded.push({ raw, ctx, result: e });
      this.facts.types[dir].push(`type_${raw[0]}`);
      return;
    }
    this.facts.types[dir].push(body.type);
    switch (body.type) {
      case 'client_hello': {
        if (dir !== 'C->S') return;
        this.facts.clientHello = body;
        if (!this.facts.clientRandoms.some((r) => toHex(r) === toHex(body.random))) this.facts.clientRandoms.push(body.random);
        const offersEarly = findExtension(body.extensions, ExtensionType.early_data) !== undefined;
        const c = this.dirs['C->S'];
        c.early = [];
        c.earlyPossible = offersEarly && !this.facts.helloRetry;
        const early = this.secret('CLIENT_EARLY_TRAFFIC_SECRET');
        if (c.earlyPossible && early) {
          for (const suite of earlySuites(body)) {
            const ep = await this.earlyEpoch(early, suite);
            if (typeof ep !== 'string') c.early.push(ep);
            else this.notes.push(`0-RTT: ${ep}`);
          }
        }
        return;
      }
      case 'server_hello': {
        if (dir !== 'S->C') return;
        this.facts.version = selectedVersion(body.legacyVersion, body.extensions);
        this.facts.suite = cipherSuites.get(body.cipherSuite);
        if (isHelloRetryRequest(body)) {
          this.facts.helloRetry = true;
          return;
        }
        this.facts.serverHello = body;
        if (this.isTls13) {
          await this.set13(
            'C->S',
            'handshake',
            'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
            this.secret('CLIENT_HANDSHAKE_TRAFFIC_SECRET'),
          );
          await this.set13(
            'S->C',
            'handshake',
            'SERVER_HANDSHAKE_TRAFFIC_SECRET',
            this.secret('SERVER_HANDSHAKE_TRAFFIC_SECRET'),
          );
          // A server that accepts 0-RTT selected the PSK's suite (RFC 8446 §4.2.10): its early key is tried first. The
          // client's early records stay possible whatever the server answered: they follow the client's sequence.
          const c = this.dirs['C->S'];
          const selected = body.cipherSuite;
          c.early.sort((a, b) => Number(b.suite === selected) - Number(a.suite === selected));
        }
        return;
      }
      case 'end_of_early_data': {
        const c = this.dirs['C->S'];
        c.earlyPossible = false;
        if (c.early.length === 1) c.earlyAfterEnd = c.early[0];
        c.early = [];
        return;
      }
      case 'finished': {
        if (!this.isTls13) return;
        const st = this.dirs[dir];
        if (st.current?.name !== 'handshake') return;
        const label: KeyLogLabel = dir === 'C->S' ? 'CLIENT_TRAFFIC_SECRET_0' : 'SERVER_TRAFFIC_SECRET_0';
        await this.set13(dir, 'application', label, this.secret(label));
        return;
      }
      case 'key_update': {
        const st = this.dirs[dir];
        const cur = st.current;
        const suite = this.facts.suite;
        if (!this.isTls13 || !cur?.secret || !suite) return;
        const next = await nextTrafficSecret(this.provider, suite.prfHash, cur.secret);
        const ep = await this.epoch13(
          'application',
          next,
          `${dir === 'C->S' ? 'client' : 'server'} application traffic key after KeyUpdate`,
        );
        if (typeof ep === 'string') {
          st.current = undefined;
          st.missing = ep;
        } else st.current = ep;
        return;
      }
      case 'new_session_ticket':
        if (dir === 'S->C') this.facts.tickets.push(body.ticket);
        return;
      default:
        return;
    }
  }
}

/**
 * The suites 0-RTT data may use: the PSK's suite is not in the capture (the ticket's connection chose it), so every
 * offered TLS 1.3 suite, in the client's order.
 */
function earlySuites(ch: ClientHello): CipherSuiteInfo[] {
  return ch.cipherSuites.flatMap((c) => {
    const s = cipherSuites.get(c);
    return s?.kex === 'TLS13' ? [s] : [];
  });
}

/** The PSK identity a TLS 1.3 ServerHello selected, if any. */
export function selectedPskIdentity(ch: ClientHello | undefined, sh: ServerHello | undefined): Uint8Array | undefined {
  const sel = extensionBody(sh?.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_server')?.selectedIdentity;
  if (sel === undefined) return undefined;
  return extensionBody(ch?.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_client')?.identities[sel]?.identity;
}

/** The session ticket a ClientHello offers (TLS 1.2 session_ticket extension), if non-empty. */
export function offeredTicket(ch: ClientHello | undefined): Uint8Array | undefined {
  const t = extensionBody(ch?.extensions, ExtensionType.session_ticket, 'session_ticket')?.ticket;
  return t && t.length > 0 ? t : undefined;
}
