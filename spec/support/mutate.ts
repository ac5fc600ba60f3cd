/**
 * Hand-made violations: a real capture's messages (as tshark decrypted
 * them) turned into an editable list, mutated, and rebuilt as a transcript
 * from messages or from records. The oracles never see this module.
 */
import { TranscriptBuilder } from '../../transcript/build';
import type { Direction, Transcript } from '../../transcript/model';
import type { Extension, ExtensionBody } from '../../wire/extensions';
import { type DecodeContext, type HandshakeBody, decodeHandshake, encodeHandshake } from '../../wire/handshake';
import { fromHex } from '../../wire/hex';
import { encodeRecord } from '../../wire/record';
import { ContentType, HRR_RANDOM } from '../../wire/registry';
import { type SharedCase, sharedCases } from './shared';

export interface Entry {
  dir: Direction;
  /** handshake | change_cipher_spec | alert | application_data */
  kind: string;
  raw?: Uint8Array;
  encrypted: boolean;
}

export interface RecordInput {
  dir: Direction;
  raw: Uint8Array;
  plaintext?: { contentType: number; fragment: Uint8Array };
}

export function entriesOf(c: SharedCase, connection = 0): Entry[] {
  return c.expected.connections[connection]!.messages.map((m) => {
    if (m.hex) return { dir: m.dir, kind: 'handshake', raw: fromHex(m.hex), encrypted: m.encrypted };
    if (m.record_type === 'change_cipher_spec') return { dir: m.dir, kind: 'change_cipher_spec', encrypted: false };
    if (m.record_type === 'alert' || m.message?.startsWith('Alert')) return { dir: m.dir, kind: 'alert', encrypted: m.encrypted };
    return { dir: m.dir, kind: 'application_data', encrypted: m.encrypted };
  });
}

export function findCase(part: string): SharedCase | undefined {
  return sharedCases().find((c) => c.name.includes(part));
}

export function typeOf(e: Entry): string {
  return e.kind === 'handshake' && e.raw ? (HS_NAMES[e.raw[0]!] ?? `hs_${e.raw[0]}`) : e.kind;
}
const HS_NAMES: Record<number, string> = {
  0: 'hello_request', 1: 'client_hello', 2: 'server_hello', 4: 'new_session_ticket', 5: 'end_of_early_data', 8: 'encrypted_extensions', 11: 'certificate',
  12: 'server_key_exchange', 13: 'certificate_request', 14: 'server_hello_done', 15: 'certificate_verify', 16: 'client_key_exchange', 20: 'finished', 22: 'certificate_status', 24: 'key_update',
};

/** Index of the nth entry of a type (and direction). Throws when absent: a mutation must apply. */
export function at(E: Entry[], type: string, dir?: Direction, nth = 0): number {
  let n = 0;
  for (let i = 0; i < E.length; i++) if (typeOf(E[i]!) === type && (!dir || E[i]!.dir === dir) && n++ === nth) return i;
  throw new Error(`no ${dir ?? ''} ${type} #${nth} to mutate`);
}
export function drop(E: Entry[], type: string, dir?: Direction): void {
  E.splice(at(E, type, dir), 1);
}
/** Move entry `type` to just before entry `beforeType`. */
export function moveBefore(E: Entry[], type: string, dir: Direction | undefined, beforeType: string, beforeDir?: Direction): void {
  const [m] = E.splice(at(E, type, dir), 1);
  E.splice(at(E, beforeType, beforeDir), 0, m!);
}
export function hs(dir: Direction, hex: string, encrypted = false): Entry {
  return { dir, kind: 'handshake', raw: fromHex(hex), encrypted };
}

/** Decode, edit and re-encode a handshake message (test data only; the oracles never re-encode). */
export function edit<T extends HandshakeBody['type']>(E: Entry[], type: T, dir: Direction | undefined, ctx: DecodeContext, fn: (b: Extract<HandshakeBody, { type: T }>) => void, nth = 0): void {
  const i = at(E, type, dir, nth);
  const e = E[i]!;
  const d = decodeHandshake(e.raw!, ctx).message;
  fn(d.body as Extract<HandshakeBody, { type: T }>);
  E[i] = { ...e, raw: encodeHandshake(d) };
}

export function setExt(list: Extension[] | undefined, type: number, body: ExtensionBody, index?: number): Extension[] {
  const out = (list ?? []).filter((e) => e.type !== type);
  out.splice(index ?? out.length, 0, { type, body });
  return out;
}
export function delExt(list: Extension[] | undefined, type: number): Extension[] {
  return (list ?? []).filter((e) => e.type !== type);
}

/** A HelloRetryRequest (TLS 1.3) selecting `group`. */
export function hrr(suite: number, sessionId: Uint8Array, group: number, extra: Extension[] = []): Entry {
  const body: HandshakeBody = {
    type: 'server_hello',
    legacyVersion: 0x0303,
    random: HRR_RANDOM,
    sessionId,
    cipherSuite: suite,
    compressionMethod: 0,
    extensions: [{ type: 43, body: { kind: 'supported_versions_server', version: 0x0304 } }, { type: 51, body: { kind: 'key_share_hrr', selectedGroup: group } }, ...extra],
  };
  return { dir: 'S->C', kind: 'handshake', raw: encodeHandshake({ body }), encrypted: false };
}

export function buildFromMessages(E: Entry[]): Transcript {
  const b = new TranscriptBuilder({ kind: 'manual' });
  for (const e of E) {
    const input: Parameters<TranscriptBuilder['addMessage']>[0] = { dir: e.dir, type: e.kind === 'handshake' ? typeOf(e) : e.kind, encrypted: e.encrypted };
    if (e.raw) input.raw = e.raw;
    b.addMessage(input);
  }
  return b.finish();
}

const CT: Record<string, number> = { handshake: ContentType.handshake, change_cipher_spec: ContentType.change_cipher_spec, alert: ContentType.alert, application_data: ContentType.application_data };

/** One record per entry, as a TLS stack would frame them; protected ones carry their plaintext. */
export function recordsOf(E: Entry[], tls13: boolean): RecordInput[] {
  let firstCh = true;
  return E.map((e) => {
    const inner = CT[e.kind]!;
    const fragment = e.raw ?? (e.kind === 'change_cipher_spec' ? Uint8Array.of(1) : e.kind === 'alert' ? Uint8Array.of(1, 0) : new Uint8Array(24).fill(0x61));
    const isCh = e.raw?.[0] === 1 && firstCh;
    if (isCh) firstCh = false;
    if (!e.encrypted) return { dir: e.dir, raw: encodeRecord({ contentType: inner, version: isCh ? 0x0301 : 0x0303, fragment }) };
    const outer = tls13 ? ContentType.application_data : inner;
    return { dir: e.dir, raw: encodeRecord({ contentType: outer, version: 0x0303, fragment: new Uint8Array(fragment.length + 17).fill(0xee) }), plaintext: { contentType: inner, fragment } };
  });
}

export function buildFromRecords(R: RecordInput[]): Transcript {
  const b = new TranscriptBuilder({ kind: 'manual' });
  for (const r of R) b.addRecord(r);
  return b.finish();
}
