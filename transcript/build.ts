/**
 * Builds a Transcript from records in the order they were seen on the wire
 * (both directions interleaved). Handshake messages are reassembled across
 * records, decoded with what the handshake has negotiated so far (version
 * and key exchange from the ServerHello), and given their epoch. Protected
 * records come with their plaintext when the caller could decrypt them;
 * otherwise the transcript records a gap and the messages inside stay
 * unknown (rules on them are inconclusive, never passed).
 */
import { DecodeError, type Finding } from '../wire/errors';
import { type Extension, extensionBody } from '../wire/extensions';
import {
  type DecodeContext,
  type DecodedHandshake,
  decodeHandshake,
  handshakeTypeName,
  isHelloRetryRequest,
  type ServerHello,
} from '../wire/handshake';
import { ContentType, ExtensionType, cipherSuites } from '../wire/registry';
import { HandshakeAssembler, decodeAlert } from '../wire/record';
import { type MessageType, VERSION_CODE, messageTypeOf } from '../wire/vocabulary';
import type { Direction, Epoch, Gap, Provenance, RecordOpener, Transcript, TranscriptMessage, TranscriptRecord } from './model';
import { fingerprint } from '../wire/hex';

export interface RecordInput {
  dir: Direction;
  /** Whole record, header included. */
  raw: Uint8Array;
  frame?: number;
  /** Inner content type and fragment of a protected record that was decrypted. */
  plaintext?: { contentType: number; fragment: Uint8Array };
  /**
   * How the record was protected, when the caller knows better than the
   * builder's inference from the hellos (the decryptor that opened it, e.g.
   * 0-RTT data before the ServerHello, or a stray plaintext alert after the
   * keys changed). 'plaintext' means not protected.
   */
  epoch?: Epoch;
  /** The keys it was opened with (TranscriptRecord.openedWith). */
  openedWith?: RecordOpener;
}

/** What the handshake has negotiated so far, as seen in the plaintext hellos. */
export interface Negotiated {
  version?: number;
  cipherSuite?: number;
  clientRandom?: Uint8Array;
  serverRandom?: Uint8Array;
  helloRetry: boolean;
}

/** The version a ServerHello selects: supported_versions if present, else legacy_version. */
export function selectedVersion(legacyVersion: number, extensions: readonly Extension[] | undefined): number {
  return extensionBody(extensions, ExtensionType.supported_versions, 'supported_versions_server')?.version ?? legacyVersion;
}

/** How a handshake message is decoded at this point of the handshake: the version and TLS 1.2 key exchange so far. */
export function decodeContextOf(negotiated: Pick<Negotiated, 'version' | 'cipherSuite'>): DecodeContext {
  const ctx: DecodeContext = {};
  if (negotiated.version !== undefined) ctx.version = negotiated.version;
  const suite = negotiated.cipherSuite !== undefined ? cipherSuites.get(negotiated.cipherSuite) : undefined;
  if (suite && suite.kex !== 'TLS13') ctx.kex = suite.kex;
  return ctx;
}

/** What a ServerHello (or a HelloRetryRequest) settles of `negotiated`. */
export function learnFromServerHello(negotiated: Negotiated, b: ServerHello): 'server_hello' | 'hello_retry_request' {
  if (isHelloRetryRequest(b)) {
    negotiated.helloRetry = true;
    negotiated.version = selectedVersion(b.legacyVersion, b.extensions);
    return 'hello_retry_request';
  }
  negotiated.serverRandom = b.random;
  negotiated.cipherSuite = b.cipherSuite;
  negotiated.version = selectedVersion(b.legacyVersion, b.extensions);
  return 'server_hello';
}

/**
 * Decode again the handshake messages of a transcript this builder made
 * and that lost its decoded messages on the way (`decoded` left out, as the
 * capture check sends transcripts to its worker threads: transcript/pack.ts):
 * each handshake message with bytes is decoded with the context the builder
 * had when it decoded it (the hellos before it, in message order), so the
 * result is the builder's. Messages that do not decode stay without
 * `decoded`, as the builder left them; findings are not touched.
 */
export function redecodeMessages(messages: readonly TranscriptMessage[]): void {
  const negotiated: Negotiated = { helloRetry: false };
  for (const m of messages) {
    if (m.kind !== 'handshake' || !m.raw) continue;
    try {
      m.decoded = decodeHandshake(m.raw, decodeContextOf(negotiated)).message;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      continue;
    }
    const b = m.decoded.body;
    if (b.type === 'server_hello') learnFromServerHello(negotiated, b);
  }
}

/**
 * A handshake message someone else already decoded (the capture reader's
 * decryptor follows the handshake to switch keys, and decodes the same
 * messages first): the builder takes the result instead of decoding the
 * message again when it is for the same bytes with the same context (a
 * decoding is a function of the two); otherwise it decodes itself.
 */
export type DecodedElsewhere = (raw: Uint8Array, ctx: DecodeContext) => DecodedHandshake | DecodeError | undefined;

/** Whether two decode contexts decode alike: the same version and key exchange. */
export function sameDecodeContext(a: DecodeContext, b: DecodeContext): boolean {
  return a.version === b.version && a.kex === b.kex;
}

export class TranscriptBuilder {
  private readonly records: TranscriptRecord[] = [];
  private readonly messages: TranscriptMessage[] = [];
  private readonly gaps: Gap[] = [];
  private readonly assemblers = { 'C->S': new HandshakeAssembler(), 'S->C': new HandshakeAssembler() };
  private readonly protectedDir = { 'C->S': false, 'S->C': false };
  private readonly epochOf: Record<Direction, Epoch> = { 'C->S': 'plaintext', 'S->C': 'plaintext' };
  private readonly gapSaid = { 'C->S': false, 'S->C': false };
  readonly negotiated: Negotiated = { helloRetry: false };

  constructor(
    private readonly provenance: Provenance,
    private readonly decodedElsewhere?: DecodedElsewhere,
  ) {}

  private decodeContext(): DecodeContext {
    return decodeContextOf(this.negotiated);
  }

  get isTls13(): boolean {
    return this.negotiated.version === VERSION_CODE['1.3'];
  }

  /** Add one record as seen on the wire. Throws DecodeError only for a malformed record header. */
  addRecord(input: RecordInput): void {
    const { dir, raw } = input;
    if (raw.length < 5) throw new DecodeError('truncated', 0, 'record', 'a record needs a 5-byte header');
    const contentType = raw[0]!;
    const version = (raw[1]! << 8) | raw[2]!;
    const fragment = raw.subarray(5);
    // TLS 1.3 dummy ChangeCipherSpec records stay plaintext after the keys change.
    const inferred = this.protectedDir[dir] && !(this.isTls13 && contentType === ContentType.change_cipher_spec);
    const encrypted = input.epoch !== undefined ? input.epoch !== 'plaintext' : inferred;
    const epoch = input.epoch ?? (encrypted ? this.epochOf[dir] : 'plaintext');
    const rec: TranscriptRecord = { index: this.records.length, dir, contentType, version, raw, encrypted, epoch };
    if (input.frame !== undefined) rec.frame = input.frame;
    if (input.plaintext) rec.plaintext = input.plaintext;
    if (input.plaintext && input.openedWith)
      rec.openedWith = {
        ...input.openedWith,
        sums: { raw: fingerprint(raw), plaintext: fingerprint(input.plaintext.fragment) },
      };
    this.records.push(rec);

    if (encrypted && !input.plaintext) {
      this.unreadable(rec);
      return;
    }
    const inner = input.plaintext ?? { contentType, fragment };
    this.addContent(rec, inner.contentType, inner.fragment);
  }

  private unreadable(rec: TranscriptRecord): void {
    const { dir } = rec;
    if (!this.gapSaid[dir]) {
      this.gapSaid[dir] = true;
      this.gaps.push({
        dir,
        reason: `protected records ${dir} could not be decrypted (no key material)`,
        fromMessage: this.messages.length,
      });
    }
    if (rec.contentType === ContentType.application_data && !this.isTls13) {
      this.push(rec, { kind: 'application_data', type: 'application_data', encrypted: true });
    } else if (rec.contentType === ContentType.handshake) {
      this.push(rec, { kind: 'handshake', type: 'encrypted_handshake_message', encrypted: true });
    } else if (rec.contentType === ContentType.alert) {
      this.push(rec, { kind: 'alert', type: 'alert', encrypted: true });
    } else {
      this.push(rec, { kind: 'application_data', type: 'encrypted_record', encrypted: true });
    }
  }

  private push(rec: TranscriptRecord, m: Omit<TranscriptMessage, 'index' | 'dir' | 'epoch'>): TranscriptMessage {
    const msg: TranscriptMessage = { index: this.messages.length, dir: rec.dir, epoch: rec.epoch, ...m };
    if (!msg.records) msg.records = [rec.index];
    if (rec.frame !== undefined) msg.frame = rec.frame;
    this.messages.push(msg);
    return msg;
  }

  private addContent(rec: TranscriptRecord, contentType: number, fragment: Uint8Array): void {
    const { dir } = rec;
    switch (contentType) {
      case ContentType.handshake:
        for (const f of this.assemblers[dir].push(fragment, rec.index)) this.addHandshake(rec, f.raw, f.records);
        return;
      case ContentType.change_cipher_spec: {
        this.push(rec, { kind: 'change_cipher_spec', type: 'change_cipher_spec', raw: fragment, encrypted: rec.encrypted });
        // A client's CCS before any ServerHello is no TLS 1.2 key change: it is the TLS 1.3 compatibility CCS sent
        // "immediately after" a ClientHello that offers 0-RTT data (RFC 8446 App. D.4).
        if (!this.isTls13 && !(dir === 'C->S' && this.negotiated.version === undefined)) {
          this.protectedDir[dir] = true;
          this.epochOf[dir] = 'application';
        }
        return;
      }
      case ContentType.alert: {
        const m = this.push(rec, { kind: 'alert', type: 'alert', raw: fragment, encrypted: rec.encrypted });
        try {
          m.alert = decodeAlert(fragment);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          m.findings = [{ code: 'length-mismatch', offset: e.offset, path: 'alert', detail: e.message }];
        }
        return;
      }
      case ContentType.application_data:
        this.push(rec, { kind: 'application_data', type: 'application_data', raw: fragment, encrypted: rec.encrypted });
        return;
      default:
        this.push(rec, {
          kind: 'application_data',
          type: `content_type_${contentType}`,
          raw: fragment,
          encrypted: rec.encrypted,
        });
    }
  }

  private addHandshake(rec: TranscriptRecord, raw: Uint8Array, records: number[]): void {
    const type = messageTypeOf(handshakeTypeName(raw[0]!)) ?? 'encrypted_handshake_message';
    const m = this.push(rec, { kind: 'handshake', type, raw, encrypted: rec.encrypted, records });
    if (rec.index < 0) m.records = [];
    let findings: Finding[] = [];
    try {
      const ctx = this.decodeContext();
      const done = this.decodedElsewhere?.(raw, ctx);
      if (done instanceof DecodeError) throw done;
      const d = done ?? decodeHandshake(raw, ctx);
      m.decoded = d.message;
      findings = d.findings;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      findings = [{ code: 'bad-value', offset: e.offset, path: e.path, detail: e.message }];
    }
    if (findings.length) m.findings = findings;
    this.learn(m);
  }

  /** Update the negotiated state and the epochs from a decoded message. */
  private learn(m: TranscriptMessage): void {
    const b = m.decoded?.body;
    if (!b) return;
    if (b.type === 'client_hello' && !this.negotiated.clientRandom) this.negotiated.clientRandom = b.random;
    if (b.type === 'server_hello') {
      if (learnFromServerHello(this.negotiated, b) === 'hello_retry_request') return;
      if (this.isTls13) {
        for (const d of ['C->S', 'S->C'] as const) {
          this.protectedDir[d] = true;
          this.epochOf[d] = 'handshake';
        }
      }
    }
    if (this.isTls13 && b.type === 'finished') this.epochOf[m.dir] = 'application';
    if (this.isTls13 && b.type === 'end_of_early_data') this.epochOf[m.dir] = 'handshake';
  }

  /**
   * Add a message that comes without its records (a hand-written
   * transcript, or a sequence known only as messages). Handshake messages
   * with bytes are decoded like those from records.
   */
  addMessage(input: {
    dir: Direction;
    type: MessageType | 'handshake';
    raw?: Uint8Array;
    encrypted?: boolean;
    frame?: number;
  }): void {
    const { dir } = input;
    const encrypted = input.encrypted ?? (this.protectedDir[dir] && input.type !== 'change_cipher_spec');
    const epoch = encrypted ? this.epochOf[dir] : 'plaintext';
    const kind =
      input.type === 'change_cipher_spec' || input.type === 'alert' || input.type === 'application_data'
        ? input.type
        : 'handshake';
    if (kind === 'handshake' && input.raw) {
      const rec: TranscriptRecord = {
        index: -1,
        dir,
        contentType: ContentType.handshake,
        version: 0,
        raw: new Uint8Array(0),
        encrypted,
        epoch,
      };
      if (input.frame !== undefined) rec.frame = input.frame;
      this.addHandshake(rec, input.raw, []);
      return;
    }
    if (input.type === 'handshake')
      throw new Error('a handshake message without bytes needs its type (`handshake` stands for "read it from the bytes")');
    const m: TranscriptMessage = { index: this.messages.length, dir, kind, type: input.type, encrypted, epoch, records: [] };
    if (input.raw) m.raw = input.raw;
    if (input.frame !== undefined) m.frame = input.frame;
    if (kind === 'alert' && input.raw) {
      try {
        m.alert = decodeAlert(input.raw);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }
    this.messages.push(m);
    if (kind === 'change_cipher_spec' && !this.isTls13) {
      this.protectedDir[dir] = true;
      this.epochOf[dir] = 'application';
    }
    if (kind === 'handshake') {
      // Without bytes, only the type is known: follow the epochs all the same.
      if (this.isTls13 && input.type === 'finished') this.epochOf[dir] = 'application';
    }
  }

  /** Messages so far (the index the next message will get). */
  get messageCount(): number {
    return this.messages.length;
  }

  /** Report something that stops part of the transcript from being checked; `fromMessage` defaults to the next message. */
  addGap(gap: Gap): void {
    this.gaps.push(gap.fromMessage === undefined ? { ...gap, fromMessage: this.messages.length } : gap);
  }

  /** Partial handshake messages left at the end are reported as gaps. */
  finish(extra: Partial<Pick<Transcript, 'client' | 'server' | 'secrets' | 'capturedAt' | 'ends'>> = {}): Transcript {
    for (const dir of ['C->S', 'S->C'] as const) {
      const a = this.assemblers[dir];
      if (a.pending)
        this.gaps.push({ dir, reason: `${a.pendingBytes} byte(s) of an incomplete handshake message ${dir} at the end` });
    }
    return { provenance: this.provenance, ...extra, records: this.records, messages: this.messages, gaps: this.gaps };
  }
}
