/**
 * Hand-made violations: a real capture's messages (as tshark decrypted
 * them) turned into an editable list, mutated, and rebuilt as a transcript
 * from messages or from records. The oracles never see this module.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readCaptureTranscripts } from '../../capture/tls';
import {
  type KeyBlock,
  type RecordProtection,
  createRecordProtection,
  defaultProvider,
  keyBlock,
  lookupKeyLog,
  nextTrafficSecret,
  parseKeyLog,
  tls12Params,
  tls13KeyLength,
  tls13Params,
  trafficKeys,
} from '../../crypto';
import { TranscriptBuilder } from '../../transcript/build';
import type { Direction, Epoch, Transcript, TranscriptMessage, TranscriptRecord } from '../../transcript/model';
import type { Extension, ExtensionBody } from '../../wire/extensions';
import { type DecodeContext, type HandshakeBody, decodeHandshake, encodeHandshake } from '../../wire/handshake';
import { fromHex } from '../../wire/hex';
import { encodeRecord } from '../../wire/record';
import { type CipherSuiteInfo, ContentType, HRR_RANDOM, cipherSuites } from '../../wire/registry';
import { messageTypeOf } from '../../wire/vocabulary';
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

/** The vendored case whose name contains `part`; a missing case is an error, never a skipped test. */
export function findCase(part: string): SharedCase {
  const c = sharedCases().find((x) => x.name.includes(part));
  if (!c) throw new Error(`no case named *${part}* under fixtures/captures or fixtures/vectors`);
  return c;
}

export function typeOf(e: Entry): string {
  return e.kind === 'handshake' && e.raw ? (HS_NAMES[e.raw[0]!] ?? `hs_${e.raw[0]}`) : e.kind;
}
const HS_NAMES: Record<number, string> = {
  0: 'hello_request',
  1: 'client_hello',
  2: 'server_hello',
  4: 'new_session_ticket',
  5: 'end_of_early_data',
  8: 'encrypted_extensions',
  11: 'certificate',
  12: 'server_key_exchange',
  13: 'certificate_request',
  14: 'server_hello_done',
  15: 'certificate_verify',
  16: 'client_key_exchange',
  20: 'finished',
  22: 'certificate_status',
  24: 'key_update',
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
export function moveBefore(
  E: Entry[],
  type: string,
  dir: Direction | undefined,
  beforeType: string,
  beforeDir?: Direction,
): void {
  const [m] = E.splice(at(E, type, dir), 1);
  E.splice(at(E, beforeType, beforeDir), 0, m!);
}
export function hs(dir: Direction, hex: string, encrypted = false): Entry {
  return { dir, kind: 'handshake', raw: fromHex(hex), encrypted };
}

/** Decode, edit and re-encode a handshake message (test data only; the oracles never re-encode). */
export function edit<T extends HandshakeBody['type']>(
  E: Entry[],
  type: T,
  dir: Direction | undefined,
  ctx: DecodeContext,
  fn: (b: Extract<HandshakeBody, { type: T }>) => void,
  nth = 0,
): void {
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
    extensions: [
      { type: 43, body: { kind: 'supported_versions_server', version: 0x0304 } },
      { type: 51, body: { kind: 'key_share_hrr', selectedGroup: group } },
      ...extra,
    ],
  };
  return { dir: 'S->C', kind: 'handshake', raw: encodeHandshake({ body }), encrypted: false };
}

export function buildFromMessages(E: Entry[]): Transcript {
  const b = new TranscriptBuilder({ kind: 'manual' });
  for (const e of E) {
    const input: Parameters<TranscriptBuilder['addMessage']>[0] = {
      dir: e.dir,
      type: e.kind === 'handshake' ? 'handshake' : (messageTypeOf(e.kind) ?? 'encrypted_record'),
      encrypted: e.encrypted,
    };
    if (e.raw) input.raw = e.raw;
    b.addMessage(input);
  }
  return b.finish();
}

const CT: Record<string, number> = {
  handshake: ContentType.handshake,
  change_cipher_spec: ContentType.change_cipher_spec,
  alert: ContentType.alert,
  application_data: ContentType.application_data,
};

/** One record per entry, as a TLS stack would frame them; protected ones carry their plaintext. */
export function recordsOf(E: Entry[], tls13: boolean): RecordInput[] {
  let firstCh = true;
  // a stand-in ciphertext begins with its direction's record count, as a TLS 1.2 AEAD nonce_explicit would (RFC 5288 §3)
  const sealed: Record<Direction, number> = { 'C->S': 0, 'S->C': 0 };
  return E.map((e) => {
    const inner = CT[e.kind]!;
    const fragment =
      e.raw ??
      (e.kind === 'change_cipher_spec'
        ? Uint8Array.of(1)
        : e.kind === 'alert'
          ? Uint8Array.of(1, 0)
          : new Uint8Array(24).fill(0x61));
    const isCh = e.raw?.[0] === 1 && firstCh;
    if (isCh) firstCh = false;
    if (!e.encrypted) return { dir: e.dir, raw: encodeRecord({ contentType: inner, version: isCh ? 0x0301 : 0x0303, fragment }) };
    const outer = tls13 ? ContentType.application_data : inner;
    const ciphertext = new Uint8Array(fragment.length + 17).fill(0xee);
    new DataView(ciphertext.buffer).setBigUint64(0, BigInt(sealed[e.dir]++));
    return {
      dir: e.dir,
      raw: encodeRecord({ contentType: outer, version: 0x0303, fragment: ciphertext }),
      plaintext: { contentType: inner, fragment },
    };
  });
}

export function buildFromRecords(R: RecordInput[]): Transcript {
  const b = new TranscriptBuilder({ kind: 'manual' });
  for (const r of R) b.addRecord(r);
  return b.finish();
}

// ---- protected records (transcripts read from a capture file with its key log) ----

/** A shared capture read from its pcap with its key log: records with ciphertext and decrypted plaintext. */
export async function pcapTranscript(c: SharedCase): Promise<Transcript> {
  const ts = await readCaptureTranscripts(c.capture, { keylog: readFileSync(c.keylog!, 'utf8') });
  return ts[0]!.transcript;
}

/** The protected records of one direction and epoch, in order. */
export function protectedOf(t: Transcript, dir: Direction, epoch: Epoch): TranscriptRecord[] {
  return t.records.filter((r) => r.dir === dir && r.encrypted && r.epoch === epoch);
}

function secretsOf(t: Transcript): ReturnType<typeof lookupKeyLog> {
  const ch = t.messages.find((m) => m.type === 'client_hello')!.raw!;
  return lookupKeyLog(parseKeyLog(t.secrets!.keylog!.join('\n')), ch.subarray(6, 38));
}
const suiteOf = (t: Transcript): CipherSuiteInfo => {
  const sh = t.messages.find((m) => m.type === 'server_hello')!.raw!;
  const sidLen = sh[38]!;
  return cipherSuites.get((sh[39 + sidLen]! << 8) | sh[40 + sidLen]!)!;
};
const hasExtIn = (m: TranscriptMessage | undefined, type: number): boolean => {
  const b = m?.decoded?.body;
  return !!b && (b.type === 'client_hello' || b.type === 'server_hello') && !!b.extensions?.some((e) => e.type === type);
};

/** TLS 1.3 record protection of a direction's application traffic secret of generation `gen`. */
export async function appProtection13(t: Transcript, dir: Direction, gen = 0): Promise<RecordProtection> {
  const P = defaultProvider();
  const suite = suiteOf(t);
  let secret = secretsOf(t)[dir === 'C->S' ? 'CLIENT_TRAFFIC_SECRET_0' : 'SERVER_TRAFFIC_SECRET_0']!;
  for (let i = 0; i < gen; i++) secret = await nextTrafficSecret(P, suite.prfHash, secret);
  return createRecordProtection(P, tls13Params(suite, await trafficKeys(P, suite.prfHash, secret, tls13KeyLength(suite))));
}

/**
 * A TLS 1.3 alert record appended after a direction's Finished but protected with that direction's handshake traffic
 * key (continuing its sequence numbers), as a sender that forgot to switch keys sends it (unreadable: no plaintext).
 */
export async function appendHandshakeKeyAlert(t: Transcript, dir: Direction, description: number): Promise<void> {
  const P = defaultProvider();
  const suite = suiteOf(t);
  const secret = secretsOf(t)[dir === 'C->S' ? 'CLIENT_HANDSHAKE_TRAFFIC_SECRET' : 'SERVER_HANDSHAKE_TRAFFIC_SECRET']!;
  const prot = await createRecordProtection(
    P,
    tls13Params(suite, await trafficKeys(P, suite.prfHash, secret, tls13KeyLength(suite))),
  );
  const seq = protectedOf(t, dir, 'handshake').length;
  const rec = await prot.protect(BigInt(seq), ContentType.alert, 0x0303, Uint8Array.of(2, description));
  t.records.push({
    index: t.records.length,
    dir,
    contentType: rec.type,
    version: rec.version,
    raw: encodeRecord({ contentType: rec.type, version: rec.version, fragment: rec.fragment }),
    encrypted: true,
    epoch: 'application',
  });
}

/** TLS 1.2 key block of the transcript's logged master secret, and whether encrypt_then_mac was negotiated. */
export async function keys12(t: Transcript): Promise<{ kb: KeyBlock; suite: CipherSuiteInfo; etm: boolean }> {
  const suite = suiteOf(t);
  const ch = t.messages.find((m) => m.type === 'client_hello')!;
  const sh = t.messages.find((m) => m.type === 'server_hello')!;
  const kb = await keyBlock(
    defaultProvider(),
    suite,
    secretsOf(t).CLIENT_RANDOM!,
    ch.raw!.subarray(6, 38),
    sh.raw!.subarray(6, 38),
  );
  return { kb, suite, etm: suite.mac !== 'AEAD' && hasExtIn(ch, 22) && hasExtIn(sh, 22) };
}

/** Replace a record's bytes (header kept: type and version) with a new protected fragment. */
export function replaceFragment(r: TranscriptRecord, fragment: Uint8Array): void {
  r.raw = encodeRecord({ contentType: r.raw[0]!, version: (r.raw[1]! << 8) | r.raw[2]!, fragment });
}

/**
 * A TLS 1.2 MAC-then-encrypt / encrypt-then-MAC CBC record sealed by hand
 * with padding whose byte `bad` (0 = first padding byte) is not the padding
 * length, and a correct MAC.
 */
export async function badPaddingRecord(t: Transcript, r: TranscriptRecord, seq: number): Promise<Uint8Array> {
  const { kb, suite, etm } = await keys12(t);
  const writer = r.dir === 'C->S' ? 'client' : 'server';
  const key = writer === 'client' ? kb.clientKey : kb.serverKey;
  const macKey = writer === 'client' ? kb.clientMacKey : kb.serverMacKey;
  const hash = suite.mac === 'SHA384' ? 'sha384' : suite.mac === 'SHA256' ? 'sha256' : 'sha1';
  const header = (n: number) => {
    const b = Buffer.alloc(13);
    b.writeBigUInt64BE(BigInt(seq));
    b[8] = r.raw[0]!;
    b[9] = r.raw[1]!;
    b[10] = r.raw[2]!;
    b.writeUInt16BE(n, 11);
    return b;
  };
  const content = r.plaintext!.fragment;
  const iv = new Uint8Array(16).fill(0x3c);
  const pad = (len: number) => {
    const n = 15 - (len % 16) + 16;
    const p = new Uint8Array(n + 1).fill(n);
    p[0] = n ^ 0x55;
    return p;
  };
  const enc = (pt: Uint8Array) => {
    const c = createCipheriv(suite.cipher === 'AES_128_CBC' ? 'aes-128-cbc' : 'aes-256-cbc', key, iv);
    c.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([c.update(pt), c.final()]));
  };
  if (etm) {
    const ct = enc(Uint8Array.from([...content, ...pad(content.length)]));
    const body = Uint8Array.from([...iv, ...ct]);
    const mac = createHmac(hash, macKey).update(header(body.length)).update(body).digest();
    return Uint8Array.from([...body, ...mac]);
  }
  const mac = createHmac(hash, macKey).update(header(content.length)).update(content).digest();
  const data = Uint8Array.from([...content, ...mac]);
  return Uint8Array.from([...iv, ...enc(Uint8Array.from([...data, ...pad(data.length)]))]);
}

/** TLS 1.2: a record re-protected with the right keys and another sequence number. */
export async function resealed12(t: Transcript, r: TranscriptRecord, seq: number): Promise<Uint8Array> {
  const { kb, suite, etm } = await keys12(t);
  const prot = await createRecordProtection(
    defaultProvider(),
    tls12Params(suite, kb, r.dir === 'C->S' ? 'client' : 'server', etm),
  );
  return (await prot.protect(BigInt(seq), r.raw[0]!, (r.raw[1]! << 8) | r.raw[2]!, r.plaintext!.fragment)).fragment;
}

/** Append a client KeyUpdate and an application record; `right`: the latter under the next secret, else still under the old one. */
export async function appendKeyUpdate(t: Transcript, right: boolean): Promise<void> {
  const n = protectedOf(t, 'C->S', 'application').length;
  const old = await appProtection13(t, 'C->S');
  const add = (rec: { type: number; version: number; fragment: Uint8Array }, inner: number, fragment: Uint8Array) =>
    t.records.push({
      index: t.records.length,
      dir: 'C->S',
      contentType: rec.type,
      version: rec.version,
      raw: encodeRecord({ contentType: rec.type, version: rec.version, fragment: rec.fragment }),
      encrypted: true,
      plaintext: { contentType: inner, fragment },
      epoch: 'application',
    });
  const ku = Uint8Array.of(24, 0, 0, 1, 0);
  add(await old.protect(BigInt(n), ContentType.handshake, 0x0303, ku), ContentType.handshake, ku);
  const data = new TextEncoder().encode('after the update');
  add(
    right
      ? await (await appProtection13(t, 'C->S', 1)).protect(0n, ContentType.application_data, 0x0303, data)
      : await old.protect(BigInt(n + 1), ContentType.application_data, 0x0303, data),
    ContentType.application_data,
    data,
  );
}
