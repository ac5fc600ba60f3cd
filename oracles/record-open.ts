/**
 * Opening the protected records of a transcript again with keys derived
 * from the key log (TLS 1.2 key block; TLS 1.3 traffic keys and the
 * KeyUpdate chain), for the record-protection rules
 * (rules/record-protection.ts, whose header says how failures are read).
 */
import { createDecipheriv, createHmac } from 'node:crypto';
import {
  type ProtectionParams,
  type RecordProtection,
  type UnprotectResult,
  createRecordProtection,
  keyBlock,
  keyMaterial,
  nextTrafficSecret,
  tls12Params,
  tls13KeyLength,
  tls13Params,
  trafficKeys,
} from '../crypto';
import type { Epoch, TranscriptMessage, TranscriptRecord } from '../transcript/model';
import type { Direction } from '../wire/vocabulary';
import { bytesEqual, fingerprint } from '../wire/hex';
import { ContentType, HandshakeType, ExtensionType as X } from '../wire/registry';
import { type Context, bodyOf, hasExt, memo } from './context';
import { who } from './flow';
import { type Got, keylog, provider, recomputedMaster12 } from './keyfacts';
import { type Outcome, inconclusive, notApplicable, pass, violation } from './rule';

export interface Opened {
  r: TranscriptRecord;
  /** Which secret should open it (e.g. "SERVER_HANDSHAKE_TRAFFIC_SECRET", "client application traffic secret 1"). */
  key: string;
  /** Its position under that key: the sequence number it should be protected with. */
  seq: number;
  /** It opened with the expected key (at its own sequence number or, see otherSeq, another one). */
  ok: boolean;
  why?: string;
  /** The record followed a KeyUpdate of its sender. */
  afterKeyUpdate: boolean;
  /** It carries a KeyUpdate message. */
  keyUpdate?: boolean;
  /** It opens with the expected key only under this other sequence number. */
  otherSeq?: number;
  /** It opens under the previous (old) or the next key generation instead of the expected one. */
  wrongGen?: 'old' | 'next';
  /**
   * TLS 1.3: a record after its sender's Finished that opens with the sender's handshake traffic key instead of its
   * application key (continuing that key's sequence numbers), with the content type and first bytes it held.
   */
  handshakeKey?: { type: number; content: Uint8Array };
  /** TLS 1.3 inner plaintext problem (all zeros, unknown content type, too long). */
  inner?: string;
  /** TLS 1.2 CBC: the MAC verifies but the padding bytes do not all equal the padding length. */
  padding?: string;
}

function protectedRecords(ctx: Context, dir: Direction, epoch: Epoch): TranscriptRecord[] {
  return ctx.t.records.filter((r) => r.dir === dir && r.encrypted && r.epoch === epoch);
}

/** TLS 1.2 MAC-then-encrypt CBC record decrypted without the strict padding check: the padding problem when the MAC still verifies. */
function lenientCbc(params: ProtectionParams, seq: number, r: TranscriptRecord): string | undefined {
  if (params.version !== 'tls12' || !('macKey' in params)) return undefined;
  const frag = r.raw.subarray(5);
  const macLen = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-384': 48 }[params.mac];
  const hashName = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384' }[params.mac];
  const header = (n: number) => {
    const b = new Uint8Array(13);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(seq));
    b[8] = r.raw[0]!;
    b[9] = r.raw[1]!;
    b[10] = r.raw[2]!;
    dv.setUint16(11, n);
    return b;
  };
  const padBytes = (pt: Uint8Array, n: number): string | undefined => {
    const len = pt[pt.length - 1]!;
    const bad = [...pt.subarray(pt.length - 1 - len, pt.length - 1)].filter((x) => x !== len);
    return bad.length
      ? `padding length ${len} but ${bad.length} of the ${len} padding bytes differ from it (record ${n})`
      : undefined;
  };
  const algo = { AES_128_CBC: 'aes-128-cbc', AES_256_CBC: 'aes-256-cbc', '3DES_EDE_CBC': 'des-ede3-cbc' }[params.cipher];
  const bs = params.cipher === '3DES_EDE_CBC' ? 8 : 16;
  const decrypt = (iv: Uint8Array, ct: Uint8Array): Uint8Array | undefined => {
    if (ct.length === 0 || ct.length % bs) return undefined;
    const d = createDecipheriv(algo, params.key, iv);
    d.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([d.update(ct), d.final()]));
  };
  try {
    if (params.encryptThenMac) {
      // the MAC over the ciphertext verified already (bad_padding comes after it)
      const body = frag.subarray(0, frag.length - macLen);
      const pt = decrypt(body.subarray(0, bs), body.subarray(bs));
      return pt ? padBytes(pt, r.index) : undefined;
    }
    const pt = decrypt(frag.subarray(0, bs), frag.subarray(bs));
    if (!pt) return undefined;
    const len = pt[pt.length - 1]!;
    if (len + 1 + macLen > pt.length) return undefined;
    const end = pt.length - 1 - len;
    const content = pt.subarray(0, end - macLen);
    const mac = createHmac(hashName, params.macKey).update(header(content.length)).update(content).digest();
    return bytesEqual(new Uint8Array(mac), pt.subarray(end - macLen, end)) ? padBytes(pt, r.index) : undefined;
  } catch {
    return undefined;
  }
}

const INNER_TYPES = new Set<number>([ContentType.alert, ContentType.handshake, ContentType.application_data]);

/**
 * Handshake message boundaries across the records of one direction: a handshake message may span records (a
 * NewSessionTicket under a record_size_limit of 64 does), so a record's first byte is a message type only when no
 * message is still open. RFC 8446 §5.1: "Handshake messages MUST NOT span key changes", so a KeyUpdate that
 * completes in a record is the last message under its key. (Exported for its test.)
 */
export class HandshakeCursor {
  /** Bytes of the current message still to come (its header's too, while `header` fills). */
  private remaining = 0;
  private header: number[] = [];
  /** No message is open: the next handshake byte is a message type. */
  get atBoundary(): boolean {
    return this.remaining === 0 && this.header.length === 0;
  }
  /** Feed one record's handshake content; whether a KeyUpdate (type 24) completed in it. */
  feed(content: Uint8Array): boolean {
    let keyUpdate = false;
    let i = 0;
    while (i < content.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, content.length - i);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0 && this.header[0] === HandshakeType.key_update) keyUpdate = true;
        if (this.remaining === 0) this.header = [];
        continue;
      }
      this.header.push(content[i]!);
      i++;
      if (this.header.length === 4) {
        this.remaining = (this.header[1]! << 16) | (this.header[2]! << 8) | this.header[3]!;
        if (this.remaining === 0) {
          if (this.header[0] === HandshakeType.key_update) keyUpdate = true;
          this.header = [];
        }
      }
    }
    return keyUpdate;
  }
}
/**
 * The capture reader's result for a record, when the reader opened it with
 * the keys these rules derived (same form, byte-identical key, MAC key and
 * IV bytes) at the same sequence number: record protection is a function
 * of those and the record's bytes, so opening it again would give the
 * plaintext the reader got, byte for byte. The keys are still derived here
 * from the key log, independently of the reader; the record is decrypted
 * again whenever they differ from the reader's (or the reader did not open
 * it, or opened it at another position), which is exactly when these rules
 * have something to say about it.
 */
function readersResult(
  r: TranscriptRecord,
  own: { form: string; keys: readonly Uint8Array[] },
  seq: number,
): UnprotectResult | undefined {
  const w = r.openedWith;
  if (!w || !r.plaintext || w.seq !== seq || w.form !== own.form || w.keys.length !== own.keys.length) return undefined;
  // the record and its plaintext are still the bytes the reader opened and got (nothing edited them since)
  if (!w.sums || w.sums.raw !== fingerprint(r.raw) || w.sums.plaintext !== fingerprint(r.plaintext.fragment)) return undefined;
  for (let i = 0; i < w.keys.length; i++) if (!bytesEqual(w.keys[i]!, own.keys[i]!)) return undefined;
  return { ok: true, type: r.plaintext.contentType, content: r.plaintext.fragment };
}

/** How far around its position a failing record is tried with other sequence numbers. */
const SEQ_WINDOW = 8;

/**
 * Open the records of one direction and epoch in order, with the key of
 * generation `g` (0 first; a KeyUpdate moves to the next when `keyUpdates`)
 * and sequence numbers counted from 0 per key. A record that does not open
 * is tried under other sequence numbers near its position and under the
 * neighbouring key generations, so the rules can say what went wrong.
 */
async function openAll(
  list: readonly TranscriptRecord[],
  gen: (g: number) => Promise<RecordProtection>,
  name: (g: number) => string,
  keyUpdates: boolean,
  tls13: boolean,
): Promise<Opened[]> {
  const out: Opened[] = [];
  let g = 0;
  let seq = 0;
  /** Records sealed under the previous generation (its last sequence number + 1). */
  let prevCount = 0;
  const cursor = new HandshakeCursor();
  const material = new Map<RecordProtection, { form: string; keys: Uint8Array[] }>();
  const materialOf = (prot: RecordProtection) => {
    let m = material.get(prot);
    if (!m) {
      m = keyMaterial(prot.params);
      material.set(prot, m);
    }
    return m;
  };
  for (const r of list) {
    const type = r.raw[0]!;
    const version = (r.raw[1]! << 8) | r.raw[2]!;
    const frag = r.raw.subarray(5);
    const prot = await gen(g);
    const o: Opened = { r, key: name(g), seq, ok: false, afterKeyUpdate: g > 0 };
    let res = readersResult(r, materialOf(prot), seq) ?? (await prot.unprotect(BigInt(seq), type, version, frag));
    if (!res.ok && res.reason === 'bad_padding') {
      const p = lenientCbc(prot.params, seq, r);
      if (p) {
        o.ok = true;
        o.padding = p;
        out.push(o);
        seq++;
        continue;
      }
    }
    if (
      !res.ok &&
      tls13 &&
      (res.reason === 'no_content_type' || res.reason === 'record_overflow') &&
      res.detail?.startsWith('inner')
    ) {
      o.ok = true;
      o.inner = res.detail;
      out.push(o);
      seq++;
      continue;
    }
    if (!res.ok && (res.reason === 'bad_record_mac' || res.reason === 'bad_padding')) {
      // another sequence number under the same key?
      for (let k = Math.max(0, seq - SEQ_WINDOW); k <= seq + SEQ_WINDOW && !o.otherSeq; k++) {
        if (k === seq) continue;
        const t = await prot.unprotect(BigInt(k), type, version, frag);
        if (t.ok) {
          o.otherSeq = k;
          res = t;
        }
      }
      if (o.otherSeq === undefined && keyUpdates) {
        if (g > 0) {
          const old = await (await gen(g - 1)).unprotect(BigInt(prevCount + seq), type, version, frag);
          if (old.ok) o.wrongGen = 'old';
        }
        if (!o.wrongGen) {
          const next = await (await gen(g + 1)).unprotect(0n, type, version, frag);
          if (next.ok) {
            o.wrongGen = 'next';
            o.keyUpdate =
              next.type === ContentType.handshake && cursor.atBoundary && next.content[0] === HandshakeType.key_update;
          }
        }
      }
    }
    if (!res.ok) {
      o.why = `${res.reason}${res.detail ? ` (${res.detail})` : ''}${o.wrongGen ? `; it opens with the ${o.wrongGen === 'old' ? 'previous' : 'next'} key generation` : ''}`;
      out.push(o);
      // The sequence number counts every record (RFC 5246 §6.1, RFC 8446 §5.3), the one that did not open too: the
      // next records are tried at their own positions (capture/decrypt.ts follows the same count), so one record that
      // does not open costs only itself and its neighbours tell a key problem from a record problem.
      seq++;
      continue;
    }
    if (tls13 && !INNER_TYPES.has(res.type)) {
      o.ok = true;
      o.inner = `the last non-zero byte of the inner plaintext is ${res.type}, not a content type of an encrypted record (padding must be zeros)`;
      out.push(o);
      seq++;
      continue;
    }
    if (r.plaintext && (r.plaintext.contentType !== res.type || !bytesEqual(r.plaintext.fragment, res.content))) {
      o.why = 'it opens to other content than the transcript holds';
      out.push(o);
      seq++;
      continue;
    }
    o.ok = true;
    out.push(o);
    seq++;
    if (res.type === ContentType.handshake && cursor.feed(res.content) && keyUpdates) {
      o.keyUpdate = true;
      g++;
      prevCount = seq;
      seq = 0;
    }
  }
  return out;
}

/** TLS 1.3: every handshake and application record reopened with keys from the logged traffic secrets. */
export function opened13(ctx: Context): Promise<Got<Opened[]>> {
  return memo(ctx, 'records13', async (): Promise<Got<Opened[]>> => {
    if (!ctx.t.records.some((r) => r.encrypted))
      return {
        ok: false,
        why: ctx.t.records.length
          ? NOTHING_PROTECTED
          : 'the transcript has no records (only messages), so there is no ciphertext to open',
      };
    const kl = keylog(ctx);
    if (!kl.ok) return kl;
    const suite = ctx.suiteInfo;
    if (!suite) return { ok: false, why: 'the cipher suite is unknown' };
    const h = suite.prfHash;
    const P = provider(ctx);
    const klen = tls13KeyLength(suite);
    const mk = async (secret: Uint8Array) => createRecordProtection(P, tls13Params(suite, await trafficKeys(P, h, secret, klen)));
    const out: Opened[] = [];
    const labels = {
      'C->S': { handshake: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', application: 'CLIENT_TRAFFIC_SECRET_0' },
      'S->C': { handshake: 'SERVER_HANDSHAKE_TRAFFIC_SECRET', application: 'SERVER_TRAFFIC_SECRET_0' },
    } as const;
    let missing = '';
    for (const dir of ['C->S', 'S->C'] as const) {
      for (const epoch of ['handshake', 'application'] as const) {
        const list = protectedRecords(ctx, dir, epoch);
        if (!list.length) continue;
        const label = labels[dir][epoch];
        const secret = kl.value[label];
        if (!secret) {
          missing = label;
          continue;
        }
        // key generations: the logged secret, then "traffic upd" of the previous one (application epoch only)
        const secrets: Uint8Array[] = [secret];
        const prots = new Map<number, Promise<RecordProtection>>();
        const gen = (g: number): Promise<RecordProtection> => {
          let p = prots.get(g);
          if (!p) {
            p = (async () => {
              while (secrets.length <= g) secrets.push(await nextTrafficSecret(P, h, secrets[secrets.length - 1]!));
              return mk(secrets[g]!);
            })();
            prots.set(g, p);
          }
          return p;
        };
        const opened = await openAll(
          list,
          gen,
          (g) => (g ? `${who(dir)} application traffic secret ${g}` : label),
          epoch === 'application',
          true,
        );
        // a record after the Finished that does not open with the application key: protected with the handshake key?
        const hsSecret = kl.value[labels[dir].handshake];
        const stuck = opened.find((o) => !o.ok && !o.wrongGen && o.otherSeq === undefined);
        if (epoch === 'application' && stuck && hsSecret) {
          const hsProt = await mk(hsSecret);
          const sent = protectedRecords(ctx, dir, 'handshake').length;
          const type = stuck.r.raw[0]!;
          const version = (stuck.r.raw[1]! << 8) | stuck.r.raw[2]!;
          // its sequence number goes on from the handshake records (and any earlier record it also sealed so)
          for (let k = sent; k <= sent + stuck.seq + SEQ_WINDOW && !stuck.handshakeKey; k++) {
            const t = await hsProt.unprotect(BigInt(k), type, version, stuck.r.raw.subarray(5));
            if (t.ok) {
              stuck.handshakeKey = { type: t.type, content: t.content };
              stuck.why = `${stuck.why ?? 'it does not open'}; it opens with the ${labels[dir].handshake} key`;
            }
          }
        }
        out.push(...opened);
      }
    }
    // 0-RTT records (RFC 8446 §2.3: the client's early epoch, up to its EndOfEarlyData, whenever they arrived), when the
    // server accepted them: then the selected suite is the PSK's ("the selected cipher suite" is one of the values the
    // server "MUST verify ... are the same as those associated with the selected PSK", §4.2.10), so the key is known.
    // Refused 0-RTT data may be under another suite, and the server skips what does not open: it is not judged here.
    const early = protectedRecords(ctx, 'C->S', 'early');
    const earlySecret = kl.value.CLIENT_EARLY_TRAFFIC_SECRET;
    if (early.length && earlySecret && earlyAccepted(ctx)) {
      const prot = mk(earlySecret);
      out.push(
        ...(await openAll(
          early,
          () => prot,
          () => 'CLIENT_EARLY_TRAFFIC_SECRET',
          false,
          true,
        )),
      );
    }
    if (!out.length)
      return { ok: false, why: missing ? `the key log has no ${missing} line` : 'no protected handshake or application records' };
    return { ok: true, value: out };
  });
}

/** TLS 1.3: the server's EncryptedExtensions carries early_data (it accepted the client's 0-RTT data). */
function earlyAccepted(ctx: Context): boolean {
  return ctx.steps.some((s) => {
    const b = bodyOf(s.m);
    return s.dir === 'S->C' && b?.type === 'encrypted_extensions' && hasExt(b.extensions, X.early_data);
  });
}

/** TLS 1.2: the records after ChangeCipherSpec reopened with the key block of the logged master secret. */
export function opened12(ctx: Context): Promise<Got<Opened[]>> {
  return memo(ctx, 'records12', async (): Promise<Got<Opened[]>> => {
    if (!ctx.t.records.some((r) => r.encrypted))
      return {
        ok: false,
        why: ctx.t.records.length
          ? NOTHING_PROTECTED
          : 'the transcript has no records (only messages), so there is no ciphertext to open',
      };
    const suite = ctx.suiteInfo;
    if (!suite || !ctx.ch || !ctx.sh) return { ok: false, why: 'the cipher suite or hello randoms are unknown' };
    const kl = keylog(ctx);
    let master = kl.ok ? kl.value.CLIENT_RANDOM : undefined;
    let from = 'CLIENT_RANDOM';
    if (!master) {
      const rec = await recomputedMaster12(ctx);
      if (!rec.ok) return { ok: false, why: kl.ok ? 'the key log has no CLIENT_RANDOM line' : kl.why };
      master = rec.value.master;
      from = 'recomputed master secret';
    }
    const P = provider(ctx);
    let kb: Awaited<ReturnType<typeof keyBlock>>;
    try {
      kb = await keyBlock(P, suite, master, ctx.ch.b.random, ctx.sh.b.random);
    } catch (e) {
      return { ok: false, why: e instanceof Error ? e.message : String(e) };
    }
    const etm =
      suite.mac !== 'AEAD' && hasExt(ctx.ch.b.extensions, X.encrypt_then_mac) && hasExt(ctx.sh.b.extensions, X.encrypt_then_mac);
    const out: Opened[] = [];
    for (const dir of ['C->S', 'S->C'] as const) {
      const list = protectedRecords(ctx, dir, 'application');
      if (!list.length) continue;
      let params: ReturnType<typeof tls12Params>;
      try {
        params = tls12Params(suite, kb, dir === 'C->S' ? 'client' : 'server', etm);
      } catch (e) {
        return { ok: false, why: e instanceof Error ? e.message : String(e) };
      }
      const prot = createRecordProtection(P, params);
      out.push(
        ...(await openAll(
          list,
          () => prot,
          () => `${who(dir)} write keys from ${from}`,
          false,
          false,
        )),
      );
    }
    if (!out.length) return { ok: false, why: 'no protected records' };
    return { ok: true, value: out };
  });
}

/** Nothing protected to open: the rules about protected records do not apply. */
const NOTHING_PROTECTED = 'the transcript has no protected records';

export function report(g: Got<Opened[]>, what: string, filter: (o: Opened) => boolean = () => true): Outcome | Outcome[] {
  if (!g.ok && g.why === NOTHING_PROTECTED) return notApplicable(`No protected record: ${what} has nothing to open.`);
  if (!g.ok) return inconclusive(`${what} not checked: ${g.why}.`);
  const mine = g.value.filter(filter);
  if (!mine.length) return notApplicable(`No record ${what === 'KeyUpdate' ? 'after a KeyUpdate' : 'to open'}.`);
  const bad = mine.filter((o) => !o.ok);
  // A key that opens other records of its direction is right: a record it does not open is that record's problem
  // (rec.integrity), not the key derivation's.
  const keyBad = bad.filter((o) => !opensOthers(g.value, o));
  if (keyBad.length)
    return keyBad.map((o) =>
      violation(
        `The ${who(o.r.dir)} record ${o.r.index} (${o.r.epoch}) does not open with the keys from ${o.key}, which open no other record of that direction: ${o.why}.`,
        { expected: 'record opens', actual: o.why ?? 'failure' },
      ),
    );
  const others = bad.length
    ? `; ${bad.length} other record(s) (${bad.map((o) => o.r.index).join(', ')}) do not open although their keys open their neighbours (see rec.integrity)`
    : '';
  return pass(
    `${mine.length - bad.length} protected record(s) open with ${what === 'KeyUpdate' ? 'the updated application secrets' : 'the keys derived from the key log'}${others}.`,
  );
}

/** Whether the key that should open `o` opens another record (its neighbours): then `o` alone is wrong. */
export function opensOthers(all: readonly Opened[], o: Opened): boolean {
  return all.some((x) => x !== o && x.ok && x.key === o.key);
}

/** The transcript message a record carried (the first, when it carried several). */
export function messageOfRecord(ctx: Context, r: TranscriptRecord): TranscriptMessage | undefined {
  return ctx.t.messages.find((m) => m.records?.includes(r.index));
}

/**
 * A per-record property of the records that opened with their key: a
 * violation for each record that shows it, pass when none does; records
 * that did not open at all are left to the key rules (inconclusive when
 * nothing opened).
 */
export function recordProperty(
  g: Got<Opened[]>,
  what: string,
  bad: (o: Opened) => string | undefined,
  passing: (n: number) => string,
): Outcome | Outcome[] {
  if (!g.ok && g.why === NOTHING_PROTECTED) return notApplicable(`No protected record: ${what} has nothing to open.`);
  if (!g.ok) return inconclusive(`${what} not checked: ${g.why}.`);
  const opened = g.value.filter((o) => o.ok);
  if (!opened.length)
    return inconclusive(`${what} not checked: no record opened with the keys from the key log (see the key rules).`);
  const out = opened.flatMap((o) => {
    const why = bad(o);
    return why ? [violation(`The ${who(o.r.dir)} record ${o.r.index} (${o.r.epoch}): ${why}.`, { actual: why })] : [];
  });
  return out.length ? out : pass(passing(opened.length));
}
