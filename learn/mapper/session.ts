/**
 * What both mappers share: the record layer of one connection seen from our
 * side (the write and read protection in use, with their sequence numbers),
 * the handshake transcript as raw bytes in the order they crossed, the key
 * log, and every record as it crossed the wire (for pcap + key log saving).
 *
 * A mapper is a stateful abstraction layer (like StateLearner's and
 * tlsfuzzer's): `send(input)` builds the concrete records of an abstract
 * input from the session state as it is now (a Finished over the transcript
 * so far with the current secrets, a CertificateVerify over the messages so
 * far), and `absorb(bytes)` turns what the target sent into abstract output
 * tokens, decrypting with the keys our side has and updating the state from
 * what the target's messages carry (randoms, key shares, certificates).
 *
 * Where a message needs a secret that does not exist yet (a Finished before
 * any key exchange), the mapper uses a well-defined stand-in (all-zero
 * secrets), so every input can be sent in every state; the target must
 * reject it, and the learner records how.
 */
import {
  type CryptoProvider,
  digest,
  formatKeyLog,
  type HashName,
  type KeyLogEntry,
  type KeyLogLabel,
  type RecordDirection,
  transcriptWithHrr,
} from '../../crypto';
import type { Identity } from '../../engine/config';
import { DecodeError } from '../../wire/errors';
import {
  type DecodeContext,
  decodeHandshake,
  type HandshakeBody,
  handshakeTypeName,
  isHelloRetryRequest,
} from '../../wire/handshake';
import { concatBytes } from '../../wire/hex';
import { decodeAlert, encodeRecord, HandshakeAssembler, MAX_PLAINTEXT, RecordStream } from '../../wire/record';
import { AlertDescription, AlertLevel, alertDescriptions, ContentType, type KeyExchange, nameOf } from '../../wire/registry';
import type { StepName, TlsVersion } from '../../wire/vocabulary';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { InputSymbol, OutputToken } from '../alphabet';

/** One record as it crossed the socket, from our side; `plaintext` for protected records we could open or sealed. */
export interface WireEvent {
  dir: 'sent' | 'received';
  raw: Uint8Array;
  plaintext?: { contentType: number; fragment: Uint8Array };
}

export interface MapperConfig {
  provider: CryptoProvider;
  version: TlsVersion;
  /** Suites: offered in order (our client) or preferred in order (our server). */
  suites: readonly number[];
  /** Named groups in preference order. */
  groups: readonly number[];
  /** Signature schemes in preference order. */
  schemes: readonly number[];
  /** Our certificate chain and key (the server needs one; the client for client authentication). */
  identity?: Identity;
  /**
   * A chain (with its key) that does not lead to the target's trust anchors, for `certificate(untrusted)` (our
   * client); the learner's specs give one built under another root.
   */
  untrusted?: Identity;
  /** SNI host name (our client). */
  serverName?: string;
  /** The payload of an `application_data` input. */
  appData: Uint8Array;
}

export const ZERO_RANDOM = new Uint8Array(32);
export const ZERO_MASTER = new Uint8Array(48);

/** An output token for a handshake message received. */
function tokenOf(body: HandshakeBody | undefined, msgType: number): OutputToken {
  if (body && isHelloRetryRequest(body)) return 'hello_retry_request';
  return handshakeTypeName(msgType) as StepName;
}

export abstract class MapperSession {
  protected readonly p: CryptoProvider;
  /** Protection of what we send now (undefined: plaintext). */
  protected write: RecordDirection | undefined;
  /** Protection of what we receive now (undefined: plaintext). */
  protected read: RecordDirection | undefined;
  /**
   * TLS 1.3: the target's handshake keys once its application keys are in use. A record that does not open with the
   * current keys is tried with these: a target that still uses them is told apart from one we cannot read at all.
   */
  protected retiredRead: RecordDirection | undefined;
  /** Raw handshake messages of the current handshake, in the order they crossed (for hashes and signatures). */
  protected transcript: Uint8Array[] = [];
  /** TLS 1.3: a HelloRetryRequest is in the transcript (ClientHello1 then hashes as message_hash). */
  protected helloRetry = false;
  /** Negotiated (or, before a hello, configured) version code. */
  protected versionCode: number;
  protected kex: KeyExchange | undefined;
  readonly wire: WireEvent[] = [];
  readonly keylogEntries: KeyLogEntry[] = [];
  private readonly stream = new RecordStream();
  private assembler = new HandshakeAssembler();
  private out: Uint8Array[] = [];
  /** A record could not be opened: the read sequence is lost, nothing more of the target's can be read. */
  private desync = false;

  constructor(protected readonly cfg: MapperConfig) {
    this.p = cfg.provider;
    this.versionCode = VERSION_CODE[cfg.version];
  }

  get tls13(): boolean {
    return this.cfg.version === '1.3';
  }

  /** Both Finished messages of a handshake have crossed: the target may now send application data unasked. */
  abstract get connected(): boolean;

  /** Build the records of one abstract input (they are queued; `takeOutgoing` hands them to the socket). */
  abstract send(input: InputSymbol): Promise<void>;

  /** Update the session from one handshake message of the target's (already in the transcript when it belongs there). */
  protected abstract onHandshake(body: HandshakeBody | undefined, raw: Uint8Array): Promise<void>;

  /** The target's ChangeCipherSpec (TLS 1.2): its write keys switch. */
  protected abstract onChangeCipherSpec(): Promise<void>;

  /** Whether a received handshake message enters the transcript (not HelloRequest, NewSessionTicket 1.3, KeyUpdate). */
  protected inTranscript(type: string): boolean {
    if (type === 'hello_request' || type === 'key_update') return false;
    if (this.tls13 && type === 'new_session_ticket') return false;
    return true;
  }

  /** Bytes queued for the socket since the last call. */
  takeOutgoing(): Uint8Array {
    const b = concatBytes(this.out);
    this.out = [];
    return b;
  }

  /** A partial record or handshake message is waiting for more bytes. */
  get pendingBytes(): boolean {
    return this.stream.buffered > 0 || this.assembler.pending;
  }

  /** The NSS key log of this connection. */
  keylog(): string[] {
    return formatKeyLog(this.keylogEntries)
      .split('\n')
      .filter((l) => l !== '');
  }

  protected log(label: KeyLogLabel, clientRandom: Uint8Array, secret: Uint8Array): void {
    this.keylogEntries.push({ label, clientRandom, secret });
  }

  protected decodeContext(): DecodeContext {
    const ctx: DecodeContext = { version: this.versionCode };
    if (this.kex && this.kex !== 'TLS13') ctx.kex = this.kex;
    return ctx;
  }

  protected async hashOf(h: HashName): Promise<Uint8Array> {
    const list = this.helloRetry ? await transcriptWithHrr(this.p, h, this.transcript, true) : this.transcript;
    return digest(this.p, h, concatBytes(list));
  }

  // -------------------------------------------------------------- sending

  /** Frame (and protect, with the write keys in use) a record of `contentType`. */
  protected async emit(contentType: number, fragment: Uint8Array, plain = false): Promise<void> {
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < fragment.length; at += MAX_PLAINTEXT) chunks.push(fragment.subarray(at, at + MAX_PLAINTEXT));
    if (!chunks.length) chunks.push(fragment);
    for (const chunk of chunks) {
      if (this.write && !plain) {
        const r = await this.write.seal(contentType, VERSION_CODE['1.2'], chunk);
        const raw = encodeRecord({ contentType: r.type, version: r.version, fragment: r.fragment });
        this.out.push(raw);
        this.wire.push({ dir: 'sent', raw, plaintext: { contentType, fragment: chunk } });
      } else {
        const raw = encodeRecord({ contentType, version: VERSION_CODE['1.2'], fragment: chunk });
        this.out.push(raw);
        this.wire.push({ dir: 'sent', raw });
      }
    }
  }

  /** Send a handshake message (raw: header + body); into the transcript unless it is a post-handshake one. */
  protected async emitHandshake(raw: Uint8Array, transcript = true): Promise<void> {
    if (transcript) this.transcript.push(raw);
    await this.emit(ContentType.handshake, raw);
  }

  protected async emitAlert(name: keyof typeof AlertDescription, fatal: boolean): Promise<void> {
    await this.emit(ContentType.alert, Uint8Array.of(fatal ? AlertLevel.fatal : AlertLevel.warning, AlertDescription[name]));
  }

  // ------------------------------------------------------------ receiving

  /** What the target sent, as abstract tokens (in order); the session state follows it. */
  async absorb(bytes: Uint8Array): Promise<OutputToken[]> {
    const tokens: OutputToken[] = [];
    for (const rec of this.stream.push(bytes)) {
      if (this.desync) {
        this.wire.push({ dir: 'received', raw: rec.raw });
        continue;
      }
      let type = rec.contentType;
      let content = rec.fragment;
      // TLS 1.3 compatibility CCS records and plaintext alerts of a peer that aborted early stay unprotected.
      const plainInTls13 =
        this.tls13 && (type === ContentType.change_cipher_spec || (type === ContentType.alert && content.length === 2));
      if (this.read && !plainInTls13) {
        let r = await this.read.open(type, rec.version, content);
        if (!r.ok && this.retiredRead) {
          r = await this.retiredRead.open(type, rec.version, content);
          if (r.ok) tokens.push('retired_keys');
        }
        if (!r.ok) {
          this.wire.push({ dir: 'received', raw: rec.raw });
          this.desync = true;
          tokens.push('undecryptable');
          continue;
        }
        type = r.type;
        content = r.content;
        this.wire.push({ dir: 'received', raw: rec.raw, plaintext: { contentType: type, fragment: content } });
      } else {
        this.wire.push({ dir: 'received', raw: rec.raw });
      }
      await this.absorbRecord(type, content, tokens);
    }
    return tokens;
  }

  private async absorbRecord(type: number, content: Uint8Array, tokens: OutputToken[]): Promise<void> {
    switch (type) {
      case ContentType.handshake: {
        let frames: ReturnType<HandshakeAssembler['push']>;
        try {
          frames = this.assembler.push(content, 0);
        } catch {
          this.assembler = new HandshakeAssembler();
          tokens.push('undecryptable');
          return;
        }
        for (const f of frames) {
          let body: HandshakeBody | undefined;
          try {
            const d = decodeHandshake(f.raw, this.decodeContext());
            body = d.message.body;
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
            body = undefined;
          }
          const token = tokenOf(body, f.msgType);
          tokens.push(token);
          if (this.inTranscript(token)) this.transcript.push(f.raw);
          try {
            await this.onHandshake(body, f.raw);
          } catch (e) {
            if (!(e instanceof MapperError)) throw e;
            // the message did not fit what our side can follow (e.g. an unknown group): the tokens still say what came
          }
        }
        return;
      }
      case ContentType.change_cipher_spec:
        tokens.push('change_cipher_spec');
        if (!this.tls13) await this.onChangeCipherSpec();
        return;
      case ContentType.alert: {
        if (content.length !== 2) {
          tokens.push('undecryptable');
          return;
        }
        const a = decodeAlert(content);
        const name = nameOf(alertDescriptions, a.description, 2);
        tokens.push((a.level === AlertLevel.warning ? `alert(warning:${name})` : `alert(${name})`) as OutputToken);
        return;
      }
      case ContentType.application_data:
        tokens.push('application_data');
        return;
      default:
        tokens.push('undecryptable');
    }
  }
}

/** A target message our side cannot follow (its content is recorded as received, the session state stays). */
export class MapperError extends Error {
  override readonly name = 'MapperError';
}

/** The bits of `b` flipped (a wrong verify_data of the right length). */
export function flipped(b: Uint8Array): Uint8Array {
  return b.map((x) => x ^ 0xff);
}
