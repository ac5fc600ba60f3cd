/**
 * Record-key rules: the protected records of a transcript (as captured,
 * `records[].raw`) are opened again with keys derived here from the key
 * log, following the RFC formulas (TLS 1.2 key block; TLS 1.3 traffic keys
 * and the KeyUpdate chain). A record that does not open, or opens to other
 * bytes than the transcript says, is a violation. Transcripts without
 * records or without a key log are inconclusive.
 */
import { RecordDirection, createRecordProtection, keyBlock, nextTrafficSecret, tls12Params, tls13KeyLength, tls13Params, trafficKeys } from '../crypto';
import type { Direction, Epoch, TranscriptRecord } from '../transcript/model';
import { bytesEqual } from '../wire/hex';
import { ContentType, ExtensionType as X } from '../wire/registry';
import { type Context, hasExt, memo } from './context';
import { type Got, keylog, provider, recomputedMaster12 } from './keyfacts';
import { type Outcome, type Rule, inconclusive, notApplicable, pass, violation } from './rule';

interface Opened {
  r: TranscriptRecord;
  /** Which secret opened it (e.g. "SERVER_HANDSHAKE_TRAFFIC_SECRET", "client application secret 1"). */
  key: string;
  ok: boolean;
  why?: string;
  /** The record followed a KeyUpdate of its sender. */
  afterKeyUpdate: boolean;
}

const who = (d: Direction): string => (d === 'C->S' ? 'client' : 'server');

function protectedRecords(ctx: Context, dir: Direction, epoch: Epoch): TranscriptRecord[] {
  return ctx.t.records.filter((r) => r.dir === dir && r.encrypted && r.epoch === epoch);
}

async function openAll(list: readonly TranscriptRecord[], dirOf: (i: number) => Promise<RecordDirection>, key: string, keyUpdates: boolean, nextKey?: () => Promise<{ dir: RecordDirection; key: string }>): Promise<Opened[]> {
  const out: Opened[] = [];
  let rd = await dirOf(0);
  let name = key;
  let after = false;
  for (const r of list) {
    const res = await rd.open(r.raw[0]!, (r.raw[1]! << 8) | r.raw[2]!, r.raw.subarray(5));
    if (!res.ok) {
      out.push({ r, key: name, ok: false, why: `${res.reason}${res.detail ? ` (${res.detail})` : ''}`, afterKeyUpdate: after });
      // without the right keys the rest of this direction cannot be followed
      break;
    }
    if (r.plaintext && (r.plaintext.contentType !== res.type || !bytesEqual(r.plaintext.fragment, res.content))) {
      out.push({ r, key: name, ok: false, why: 'it opens to other content than the transcript holds', afterKeyUpdate: after });
      break;
    }
    out.push({ r, key: name, ok: true, afterKeyUpdate: after });
    if (keyUpdates && nextKey && res.type === ContentType.handshake && res.content[0] === 24) {
      const n = await nextKey();
      rd = n.dir;
      name = n.key;
      after = true;
    }
  }
  return out;
}

/** TLS 1.3: every handshake and application record reopened with keys from the logged traffic secrets. */
function opened13(ctx: Context): Promise<Got<Opened[]>> {
  return memo(ctx, 'records13', async (): Promise<Got<Opened[]>> => {
    if (!ctx.t.records.some((r) => r.encrypted)) return { ok: false, why: ctx.t.records.length ? 'the transcript has no protected records' : 'the transcript has no records (only messages), so there is no ciphertext to open' };
    const kl = keylog(ctx);
    if (!kl.ok) return kl;
    const suite = ctx.suiteInfo;
    if (!suite) return { ok: false, why: 'the cipher suite is unknown' };
    const h = suite.prfHash;
    const P = provider();
    const klen = tls13KeyLength(suite);
    const mk = async (secret: Uint8Array) => new RecordDirection(await createRecordProtection(P, tls13Params(suite, await trafficKeys(P, h, secret, klen))));
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
        let current = secret;
        let n = 0;
        out.push(
          ...(await openAll(list, () => mk(secret), label, epoch === 'application', async () => {
            current = await nextTrafficSecret(P, h, current);
            n++;
            return { dir: await mk(current), key: `${who(dir)} application traffic secret ${n}` };
          })),
        );
      }
    }
    if (!out.length) return { ok: false, why: missing ? `the key log has no ${missing} line` : 'no protected handshake or application records' };
    return { ok: true, value: out };
  });
}

/** TLS 1.2: the records after ChangeCipherSpec reopened with the key block of the logged master secret. */
function opened12(ctx: Context): Promise<Got<Opened[]>> {
  return memo(ctx, 'records12', async (): Promise<Got<Opened[]>> => {
    if (!ctx.t.records.some((r) => r.encrypted)) return { ok: false, why: ctx.t.records.length ? 'the transcript has no protected records' : 'the transcript has no records (only messages), so there is no ciphertext to open' };
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
    const P = provider();
    let kb: Awaited<ReturnType<typeof keyBlock>>;
    try {
      kb = await keyBlock(P, suite, master, ctx.ch.b.random, ctx.sh.b.random);
    } catch (e) {
      return { ok: false, why: e instanceof Error ? e.message : String(e) };
    }
    const etm = suite.mac !== 'AEAD' && hasExt(ctx.ch.b.extensions, X.encrypt_then_mac) && hasExt(ctx.sh.b.extensions, X.encrypt_then_mac);
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
      out.push(...(await openAll(list, async () => new RecordDirection(await createRecordProtection(P, params)), `${who(dir)} write keys from ${from}`, false)));
    }
    if (!out.length) return { ok: false, why: 'no protected records' };
    return { ok: true, value: out };
  });
}

function report(g: Got<Opened[]>, what: string, filter: (o: Opened) => boolean = () => true): Outcome | Outcome[] {
  if (!g.ok) return inconclusive(`${what} not checked: ${g.why}.`);
  const mine = g.value.filter(filter);
  if (!mine.length) return notApplicable(`No record ${what === 'KeyUpdate' ? 'after a KeyUpdate' : 'to open'}.`);
  const bad = mine.filter((o) => !o.ok);
  if (bad.length) return bad.map((o) => violation(`The ${who(o.r.dir)} record ${o.r.index} (${o.r.epoch}) does not open with the keys from ${o.key}: ${o.why}.`, { expected: 'record opens', actual: o.why ?? 'failure' }));
  return pass(`${mine.length} protected record(s) open with ${what === 'KeyUpdate' ? 'the updated application secrets' : 'the keys derived from the key log'}.`);
}

export const recordKeyRules: Rule[] = [
  {
    id: 't12.ks.key-block',
    title: 'TLS 1.2 record keys are cut from the key-expansion PRF output in the RFC order (MAC keys, keys, IVs; client first).',
    rfc: 'RFC 5246 §6.3',
    versions: ['1.2'],
    role: 'both',
    strength: 'MUST',
    alert: 'bad_record_mac',
    evidence: 'keys',
    group: 'crypto',
    check: async (ctx) => report(await opened12(ctx), 'The key block'),
  },
  {
    id: 't13.ks.traffic-keys',
    title: 'TLS 1.3 record key and IV are expanded from the traffic secret of the epoch ("key", "iv").',
    rfc: 'RFC 8446 §7.3',
    versions: ['1.3'],
    role: 'both',
    strength: 'MUST',
    alert: 'bad_record_mac',
    evidence: 'keys',
    group: 'crypto',
    check: async (ctx) => report(await opened13(ctx), 'The traffic keys', (o) => !o.afterKeyUpdate),
  },
  {
    id: 't13.ks.key-update',
    title: 'After a KeyUpdate the sender protects its records with the next application secret ("traffic upd").',
    rfc: 'RFC 8446 §7.2',
    versions: ['1.3'],
    role: 'both',
    strength: 'MUST',
    alert: 'bad_record_mac',
    evidence: 'keys',
    group: 'crypto',
    check: async (ctx) => report(await opened13(ctx), 'KeyUpdate', (o) => o.afterKeyUpdate),
  },
];
