/**
 * Derivations shared by the crypto and certificate rules, computed once per
 * transcript (memoised on the Context): the handshake messages to hash
 * (their raw bytes, never re-encoded), the key log lines of this
 * connection, the leaf certificates, verified signatures, Finished values
 * and key schedules. Every helper says why it could not compute something.
 */
import { createDiffieHellman, createPrivateKey, createPublicKey } from 'node:crypto';
import {
  type CryptoProvider,
  type HashName,
  type KeyLogSecrets,
  type VerifyError,
  certificateVerifyContent12,
  certificateVerifyContent13,
  deriveDh,
  deriveEcdh,
  digest,
  pskPremaster,
  ecdhGroupOf,
  extendedMasterSecret,
  ffdheGroupOf,
  decapsulateKemShare,
  kemGroupOf,
  recomputeKemEncapsulation,
  finished12,
  finished13,
  lookupKeyLog,
  masterSecret,
  parseKeyLog,
  resumptionPsk,
  decryptPremaster,
  serverKeyExchangeContent12,
  tls13Schedule,
  transcriptWithHrr,
  verifySignature,
} from '../crypto';
import { type ParsedCert, type ParsedCertCache, parseCert } from '../pki/parse';
import type { Direction, PresharedKey, TranscriptMessage } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import type { ClientHello } from '../wire/handshake';
import { bytesEqual, concatBytes, toHex } from '../wire/hex';
import { ExtensionType as X } from '../wire/registry';
import { type Context, type Hello, bodyOf, hasExt, memo, notOpened } from './context';
import { handshakeAbort } from './flow';
import { type Outcome, inconclusive, notApplicable } from './rule';

/** The crypto provider the caller passed in (one per run: its key store imports each key once). */
export const provider = (ctx: Context): CryptoProvider => ctx.provider;
export const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** finishedChecks' reason when neither side's Finished is in the transcript (and nothing of it is unreadable). */
const NO_FINISHED = 'no Finished message in the transcript';
/** ephemeral()'s reason when a key-exchange public value was never sent (TLS 1.2: no ClientKeyExchange). */
const NO_PUBLIC_VALUES = 'the public key-exchange values are not in the transcript';

/**
 * The verdict of a key-schedule rule whose input is missing (`why`, from
 * finishedChecks, ephemeral or what builds on them; `text` the sentence to
 * give). Not-applicable when the handshake ended (a fatal alert, a FIN or
 * an RST: handshakeAbort) before the input existed and nothing of the
 * transcript is missing: no Finished was sent by either side, or, in TLS
 * 1.2, no ClientKeyExchange, so no premaster and no Finished were ever
 * computed and there is nothing to recompute (as NewSessionTicket rules on
 * an aborted handshake). Inconclusive otherwise: the capture may simply
 * stop, or bytes are missing.
 */
export function keyInputMissing(ctx: Context, why: string, text: string): Outcome {
  const abort = handshakeAbort(ctx);
  const never =
    why.endsWith(NO_FINISHED) ||
    (ctx.version === '1.2' && why.endsWith(NO_PUBLIC_VALUES) && !stepsOf(ctx, 'client_key_exchange', 'C->S').length);
  if (abort && never && !ctx.t.gaps.length && !ctx.unreadable.length)
    return notApplicable(
      `The handshake ended before it: ${abort.how}, before ${why.endsWith(NO_FINISHED) ? 'any Finished' : 'a ClientKeyExchange'}.`,
      abort.at !== undefined ? { message: abort.at } : {},
    );
  return inconclusive(text);
}

/** Either a value or the reason it is not available. */
export type Got<T> = { ok: true; value: T } | { ok: false; why: string };
const got = <T>(value: T): Got<T> => ({ ok: true, value });
const miss = <T>(why: string): Got<T> => ({ ok: false, why });

export function certCache(ctx: Context): ParsedCertCache {
  return ctx.certCache;
}

/** Messages that enter the handshake transcript (RFC 5246 §7.4.9 / RFC 8446 §4.4.1), in wire order. */
export function transcriptMessages(ctx: Context): TranscriptMessage[] {
  const skip = ctx.version === '1.3' ? new Set(['new_session_ticket', 'key_update']) : new Set(['hello_request']);
  return ctx.t.messages.filter((m) => m.kind === 'handshake' && !skip.has(m.type));
}

/** Raw bytes of the transcript messages before `index` (or up to and including it). */
export function prefix(ctx: Context, index: number, inclusive = false): Got<Uint8Array[]> {
  // A protected record that could not be read before it may hold handshake messages (TLS 1.3 hides the type):
  // the transcript up to here is then not known.
  const hidden = ctx.unreadable.find((m) => (inclusive ? m.index <= index : m.index < index) && m.epoch !== 'application');
  if (hidden) return miss(`protected record ${hidden.records?.[0] ?? '?'} (message ${hidden.index}) before it could not be read`);
  const out: Uint8Array[] = [];
  for (const m of transcriptMessages(ctx)) {
    if (m.index > index || (!inclusive && m.index === index)) break;
    if (!m.raw || !m.decoded) return miss(`handshake message ${m.index} (${m.type}) has no readable bytes`);
    out.push(m.raw);
  }
  return got(out);
}

export function hashOf(ctx: Context): Got<'SHA-256' | 'SHA-384'> {
  if (!ctx.suiteInfo) return miss('the cipher suite is unknown');
  return got(ctx.suiteInfo.prfHash);
}

/** Transcript-Hash over the messages (TLS 1.3: with the HelloRetryRequest message_hash substitution). */
export async function thash(ctx: Context, h: HashName, msgs: readonly Uint8Array[]): Promise<Uint8Array> {
  const list = ctx.version === '1.3' && ctx.hrr ? await transcriptWithHrr(provider(ctx), h, msgs, true) : [...msgs];
  return digest(provider(ctx), h, concatBytes(list));
}

/** This connection's key log secrets (looked up by the ClientHello random); parsed once per context. */
export function keylog(ctx: Context): Got<KeyLogSecrets> {
  let k = ctx.once.get('keylog') as Got<KeyLogSecrets> | undefined;
  if (!k) {
    k = readKeylog(ctx);
    ctx.once.set('keylog', k);
  }
  return k;
}

function readKeylog(ctx: Context): Got<KeyLogSecrets> {
  const lines = ctx.t.secrets?.keylog;
  if (!lines?.length) return miss('no key log was given');
  if (!ctx.ch) return miss('the ClientHello random is unknown');
  let entries: ReturnType<typeof parseKeyLog>;
  try {
    entries = parseKeyLog(lines.join('\n'), { ignoreUnknownLabels: true });
  } catch (e) {
    return miss(`the key log is malformed (${e instanceof Error ? e.message : String(e)})`);
  }
  const s = lookupKeyLog(entries, ctx.ch.b.random);
  if (!Object.keys(s).length) return miss(`the key log has no line for client random ${toHex(ctx.ch.b.random).slice(0, 16)}..`);
  return got(s);
}

export function stepsOf(ctx: Context, type: string, dir?: Direction): TranscriptMessage[] {
  return ctx.steps.filter((s) => s.m.type === type && (!dir || s.dir === dir)).map((s) => s.m);
}

/** Certificate DERs of the first Certificate message sent in `dir` (a CompressedCertificate's: the one inside it, RFC 8879). */
export function chainOf(ctx: Context, dir: Direction): Got<{ m: TranscriptMessage; certs: Uint8Array[] }> {
  const m = ctx.steps.find((s) => s.sym === 'certificate' && s.dir === dir)?.m;
  if (!m) {
    if (ctx.unreadable.length && ctx.version === '1.3') return miss(`the Certificate is encrypted and ${notOpened(ctx)}`);
    return miss(`no ${dir === 'S->C' ? 'server' : 'client'} Certificate in the transcript`);
  }
  const b = bodyOf(m);
  if (b?.type !== 'certificate') return miss(`Certificate message ${m.index} is not decoded`);
  return got({ m, certs: b.form === 'tls12' ? b.certificates : b.entries.map((e) => e.data) });
}

export function leafOf(ctx: Context, dir: Direction): Got<{ m: TranscriptMessage; leaf: ParsedCert }> {
  const c = chainOf(ctx, dir);
  if (!c.ok) return c;
  if (!c.value.certs.length) return miss('the Certificate message is empty');
  try {
    return got({ m: c.value.m, leaf: parseCert(c.value.certs[0]!, certCache(ctx)) });
  } catch (e) {
    return miss(`the leaf certificate does not parse (${e instanceof Error ? e.message : String(e)})`);
  }
}

export interface SigCheck {
  m: TranscriptMessage;
  scheme: number;
  signature: Uint8Array;
  leaf: ParsedCert;
  result: { ok: true } | { ok: false; reason: VerifyError; detail?: string };
  /** What the signature covers, in words, e.g. "the 3862 bytes of the 8 handshake messages before it". */
  covers: string;
}

function coverage(pre: readonly Uint8Array[], hashed?: string): string {
  const n = pre.reduce((a, b) => a + b.length, 0);
  const what = `the ${n} bytes of the ${pre.length} handshake message(s) before it`;
  return hashed ? `the ${hashed} hash of ${what}` : what;
}

/** TLS 1.2 ServerKeyExchange signature over client_random + server_random + params as sent. */
export function skeSignature(ctx: Context): Promise<Got<SigCheck>> {
  return memo(ctx, 'ske-sig', async () => {
    const m = stepsOf(ctx, 'server_key_exchange', 'S->C')[0];
    if (!m) return miss<SigCheck>('no ServerKeyExchange');
    const b = bodyOf(m);
    if (b?.type !== 'server_key_exchange' || b.kex === 'unparsed' || !m.raw)
      return miss<SigCheck>('the ServerKeyExchange is not decoded');
    if (!b.signed) return miss<SigCheck>('the ServerKeyExchange carries no signature');
    if (!ctx.ch || !ctx.sh) return miss<SigCheck>('the hello randoms are unknown');
    const leaf = leafOf(ctx, 'S->C');
    if (!leaf.ok) return miss<SigCheck>(leaf.why);
    const body = m.raw.subarray(4, m.raw.length - (m.decoded?.trailing?.length ?? 0));
    const params = body.subarray(0, body.length - 4 - b.signed.signature.length);
    const content = serverKeyExchangeContent12(ctx.ch.b.random, ctx.sh.b.random, params);
    const result = await verifySignature(provider(ctx), b.signed.scheme, leaf.value.leaf.spkiDer, content, b.signed.signature, {
      version: 12,
    });
    const covers = `client_random + server_random + the ${params.length} bytes of params`;
    return got<SigCheck>({ m, scheme: b.signed.scheme, signature: b.signed.signature, leaf: leaf.value.leaf, result, covers });
  });
}

/** A CertificateVerify checked with the leaf of the same sender (TLS 1.2: over the raw messages; TLS 1.3: the §4.4.3 content). */
export function cvSignature(ctx: Context, dir: Direction): Promise<Got<SigCheck & { otherRole?: boolean }>> {
  return memo(ctx, `cv-sig ${dir}`, async () => {
    type R = SigCheck & { otherRole?: boolean };
    const m = stepsOf(ctx, 'certificate_verify', dir)[0];
    if (!m)
      return miss<R>(
        ctx.version === '1.3' && ctx.unreadable.length
          ? `the CertificateVerify is encrypted and ${notOpened(ctx)}`
          : 'no CertificateVerify',
      );
    const b = bodyOf(m);
    if (b?.type !== 'certificate_verify') return miss<R>('the CertificateVerify is not decoded');
    const leaf = leafOf(ctx, dir);
    if (!leaf.ok) return miss<R>(leaf.why);
    const pre = prefix(ctx, m.index);
    if (!pre.ok) return miss<R>(pre.why);
    const spki = leaf.value.leaf.spkiDer;
    if (ctx.version === '1.2') {
      const result = await verifySignature(provider(ctx), b.scheme, spki, certificateVerifyContent12(pre.value), b.signature, {
        version: 12,
      });
      return got<R>({ m, scheme: b.scheme, signature: b.signature, leaf: leaf.value.leaf, result, covers: coverage(pre.value) });
    }
    const h = hashOf(ctx);
    if (!h.ok) return miss<R>(h.why);
    const th = await thash(ctx, h.value, pre.value);
    const role = dir === 'S->C' ? 'server' : 'client';
    const result = await verifySignature(provider(ctx), b.scheme, spki, certificateVerifyContent13(role, th), b.signature, {
      version: 13,
    });
    const out: R = {
      m,
      scheme: b.scheme,
      signature: b.signature,
      leaf: leaf.value.leaf,
      result,
      covers: coverage(pre.value, h.value),
    };
    if (!result.ok)
      out.otherRole = (
        await verifySignature(
          provider(ctx),
          b.scheme,
          spki,
          certificateVerifyContent13(role === 'server' ? 'client' : 'server', th),
          b.signature,
          { version: 13 },
        )
      ).ok;
    return got<R>(out);
  });
}

export interface FinCheck {
  m: TranscriptMessage;
  dir: Direction;
  expected: Uint8Array;
  actual: Uint8Array;
}

/** Finished values recomputed from the key log (or from the recomputed secrets when the ephemeral keys are given). */
export function finishedChecks(ctx: Context): Promise<Got<{ checks: FinCheck[]; from: string }>> {
  return memo(ctx, 'finished', async () => {
    type R = { checks: FinCheck[]; from: string };
    const h = hashOf(ctx);
    if (!h.ok) return miss<R>(h.why);
    const fins = stepsOf(ctx, 'finished');
    if (!fins.length)
      return miss<R>(ctx.unreadable.length ? `the Finished messages are encrypted and ${notOpened(ctx)}` : NO_FINISHED);
    const kl = keylog(ctx);
    const checks: FinCheck[] = [];
    let from = 'the key log';
    if (ctx.version === '1.2') {
      let master = kl.ok ? kl.value.CLIENT_RANDOM : undefined;
      if (!master) {
        const rec = await recomputedMaster12(ctx);
        if (!rec.ok) return miss<R>(kl.ok ? 'the key log has no CLIENT_RANDOM line' : `${kl.why} and ${rec.why}`);
        master = rec.value.master;
        from = 'the master secret recomputed from the ephemeral keys';
      }
      for (const m of fins) {
        const pre = prefix(ctx, m.index);
        if (!pre.ok) return miss<R>(pre.why);
        const hh = await digest(provider(ctx), h.value, concatBytes(pre.value));
        const expected = await finished12(provider(ctx), h.value, master, m.dir === 'C->S' ? 'client' : 'server', hh);
        checks.push({ m, dir: m.dir, expected, actual: m.raw!.subarray(4) });
      }
      return got<R>({ checks, from });
    }
    let chts = kl.ok ? kl.value.CLIENT_HANDSHAKE_TRAFFIC_SECRET : undefined;
    let shts = kl.ok ? kl.value.SERVER_HANDSHAKE_TRAFFIC_SECRET : undefined;
    if (!chts || !shts) {
      const rec = await schedule13(ctx);
      if (rec.ok) {
        chts = rec.value.clientHandshakeTrafficSecret;
        shts = rec.value.serverHandshakeTrafficSecret;
        from = 'the secrets recomputed from the ephemeral keys';
      } else if (!chts && !shts)
        return miss<R>(kl.ok ? 'the key log has no handshake traffic secrets' : `${kl.why} and ${rec.why}`);
    }
    const sfin = fins.find((m) => m.dir === 'S->C');
    for (const m of fins) {
      // Post-handshake Finished (after the client Finished) uses the application secret: not checked here.
      if (m.dir === 'C->S' && sfin && m !== fins.find((x) => x.dir === 'C->S')) continue;
      if (m.dir === 'S->C' && m !== sfin) continue;
      // A peer that aborts logs only the secrets it derived (e.g. a client rejecting the server's chain logs only
      // SERVER_HANDSHAKE_TRAFFIC_SECRET): each Finished is checked with its own sender's secret when that is there.
      const secret = m.dir === 'C->S' ? chts : shts;
      if (!secret)
        return miss<R>(
          `the key log has no ${m.dir === 'C->S' ? 'CLIENT' : 'SERVER'}_HANDSHAKE_TRAFFIC_SECRET for the ${m.dir === 'C->S' ? 'client' : 'server'} Finished`,
        );
      const pre = prefix(ctx, m.index);
      if (!pre.ok) return miss<R>(pre.why);
      const th = await thash(ctx, h.value, pre.value);
      const expected = await finished13(provider(ctx), h.value, secret, th);
      checks.push({ m, dir: m.dir, expected, actual: m.raw!.subarray(4) });
    }
    return got<R>({ checks, from });
  });
}

export interface Ephemeral {
  group: number;
  clientPrivate?: Uint8Array;
  serverPrivate?: Uint8Array;
  clientPublic: Uint8Array;
  serverPublic: Uint8Array;
}

/** The key exchange's public values and any ephemeral private keys the transcript carries. */
export function ephemeral(ctx: Context): Got<Ephemeral> {
  const eph = ctx.t.secrets?.ephemeral;
  let group: number | undefined;
  let clientPublic: Uint8Array | undefined;
  let serverPublic: Uint8Array | undefined;
  if (ctx.version === '1.3') {
    const ss = extensionBody(ctx.sh?.b.extensions, X.key_share, 'key_share_server');
    if (!ss && hasExt(ctx.sh?.b.extensions, X.pre_shared_key))
      return miss('the key exchange is not ephemeral: psk_ke resumption (the ServerHello has no key_share)');
    if (!ss) return miss('the ServerHello has no key_share');
    group = ss.share.group;
    serverPublic = ss.share.keyExchange;
    const ch = (ctx.ch2 ?? ctx.ch)?.b;
    clientPublic = extensionBody(ch?.extensions, X.key_share, 'key_share_client')?.shares.find(
      (s) => s.group === group,
    )?.keyExchange;
  } else {
    const ske = bodyOf(stepsOf(ctx, 'server_key_exchange', 'S->C')[0]);
    const cke = bodyOf(stepsOf(ctx, 'client_key_exchange', 'C->S')[0]);
    if (ske?.type === 'server_key_exchange' && ske.kex === 'ecdhe') {
      group = ske.namedCurve;
      serverPublic = ske.publicKey;
    } else if (ske?.type === 'server_key_exchange' && ske.kex === 'dhe') {
      group = -1;
      serverPublic = ske.ys;
    } else return miss('the key exchange is not ephemeral (EC)DH or its ServerKeyExchange is not decoded');
    if (cke?.type === 'client_key_exchange' && (cke.kex === 'ecdhe' || cke.kex === 'dhe')) clientPublic = cke.publicKey;
  }
  if (!clientPublic || !serverPublic || group === undefined) return miss(NO_PUBLIC_VALUES);
  const out: Ephemeral = { group, clientPublic, serverPublic };
  const e =
    eph?.find(
      (x) => x.group === group || (group === -1 && ffdheGroupOf(x.group) === undefined && ecdhGroupOf(x.group) === undefined),
    ) ?? (group === -1 ? eph?.[0] : undefined);
  if (e?.clientPrivate) out.clientPrivate = e.clientPrivate;
  if (e?.serverPrivate) out.serverPrivate = e.serverPrivate;
  return got(out);
}

/**
 * (EC)DH shared secret from one private key and the other side's public value; computed once per context for the
 * same group, side and values (the key schedule, ecdh.symmetry and the zero-secret checks all need it).
 */
export function sharedSecret(ctx: Context, e: Ephemeral, side: 'client' | 'server'): Promise<Got<Uint8Array>> {
  const priv = side === 'client' ? e.clientPrivate : e.serverPrivate;
  const peer = side === 'client' ? e.serverPublic : e.clientPublic;
  if (!priv) return Promise.resolve(miss(`no ${side} ephemeral private key`));
  return memo(ctx, `shared ${side} ${e.group} ${toHex(priv)} ${toHex(peer)}`, () => computeShared(ctx, e, side, priv, peer));
}

async function computeShared(
  ctx: Context,
  e: Ephemeral,
  side: 'client' | 'server',
  priv: Uint8Array,
  peer: Uint8Array,
): Promise<Got<Uint8Array>> {
  const kg = kemGroupOf(e.group);
  if (kg) {
    // ML-KEM (draft-ietf-tls-ecdhe-mlkem, draft-ietf-tls-mlkem): the client decapsulates the server's share; the
    // server's private key (m || ECDH key, crypto/kem) re-encapsulates to the client's share
    if (side === 'client') {
      const r = await decapsulateKemShare(provider(ctx), kg, priv, peer);
      return r.ok ? got(r.value) : miss(`ML-KEM decapsulation failed: ${r.reason}${r.detail ? ` (${r.detail})` : ''}`);
    }
    const r = await recomputeKemEncapsulation(provider(ctx), kg, peer, priv);
    return r.ok ? got(r.value.sharedSecret) : miss(`ML-KEM encapsulation failed: ${r.reason}${r.detail ? ` (${r.detail})` : ''}`);
  }
  const eg = ecdhGroupOf(e.group);
  if (eg) {
    const r = await deriveEcdh(provider(ctx), eg, priv, peer);
    return r.ok ? got(r.value) : miss(`ECDH failed: ${r.reason}${r.detail ? ` (${r.detail})` : ''}`);
  }
  const fg = ffdheGroupOf(e.group);
  if (fg) {
    const r = await deriveDh(provider(ctx), fg, priv, peer, ctx.version === '1.3' ? 'tls13' : 'tls12');
    return r.ok ? got(r.value) : miss(`DH failed: ${r.reason}`);
  }
  if (e.group === -1) {
    const ske = bodyOf(stepsOf(ctx, 'server_key_exchange', 'S->C')[0]);
    if (ske?.type !== 'server_key_exchange' || ske.kex !== 'dhe') return miss('no DH parameters');
    try {
      const dh = createDiffieHellman(Buffer.from(ske.p), Buffer.from(ske.g));
      dh.setPrivateKey(Buffer.from(priv));
      const z = new Uint8Array(dh.computeSecret(Buffer.from(peer)));
      let i = 0;
      while (i < z.length - 1 && z[i] === 0) i++;
      return got(z.subarray(i));
    } catch (err) {
      return miss(`DH failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return miss(`group ${hex4(e.group)} is not implemented by the crypto layer`);
}

async function anyShared(ctx: Context): Promise<Got<Uint8Array>> {
  const e = ephemeral(ctx);
  if (!e.ok) return e;
  if (!e.value.clientPrivate && !e.value.serverPrivate) return miss('no ephemeral private keys were given');
  return sharedSecret(ctx, e.value, e.value.clientPrivate ? 'client' : 'server');
}

export const emsNegotiated = (ctx: Context): boolean =>
  hasExt(ctx.ch?.b.extensions, X.extended_master_secret) && hasExt(ctx.sh?.b.extensions, X.extended_master_secret);

/** The TLS 1.2 PSK key exchanges (RFC 4279, RFC 5489): their premaster mixes in an external PSK. */
export const PSK_KEX12: ReadonlySet<string> = new Set(['PSK', 'DHE_PSK', 'RSA_PSK', 'ECDHE_PSK']);

/** The external PSK of an identity: one given to the check (`--psk`), or one the transcript's secrets carry. */
export function externalPsk(ctx: Context, identity: Uint8Array): PresharedKey | undefined {
  return [...(ctx.options.psks ?? []), ...(ctx.t.secrets?.psks ?? [])].find((k) => bytesEqual(k.identity, identity));
}

const identityText = (id: Uint8Array): string => JSON.stringify(new TextDecoder().decode(id));

/**
 * The premaster of a TLS 1.2 PSK key exchange (RFC 4279 §2-§4, RFC 5489 §2): the other secret ((EC)DH Z, the RSA
 * premaster, or zeros for plain PSK) framed with the PSK of the ClientKeyExchange's psk_identity.
 */
async function pskPremaster12(ctx: Context): Promise<Got<Uint8Array>> {
  const cke = bodyOf(stepsOf(ctx, 'client_key_exchange', 'C->S')[0]);
  const id = cke?.type === 'client_key_exchange' && cke.kex !== 'unparsed' ? cke.pskIdentity : undefined;
  if (!id) return miss('the ClientKeyExchange psk_identity is not decoded');
  const k = externalPsk(ctx, id);
  if (!k)
    return miss(
      `the premaster mixes in the pre-shared key of identity ${identityText(id)}, which no key log carries (give it with --psk)`,
    );
  if (ctx.kex === 'PSK') return got(pskPremaster(k.key));
  const other = ctx.kex === 'RSA_PSK' ? await rsaPremaster(ctx) : await anyShared(ctx);
  return other.ok ? got(pskPremaster(k.key, other.value)) : other;
}

/** TLS 1.2 master secret recomputed from the premaster (ephemeral keys needed). */
export function recomputedMaster12(ctx: Context): Promise<Got<{ master: Uint8Array; premaster: Uint8Array; ems: boolean }>> {
  return memo(ctx, 'master12', async () => {
    type R = { master: Uint8Array; premaster: Uint8Array; ems: boolean };
    const h = hashOf(ctx);
    if (!h.ok) return miss<R>(h.why);
    if (!ctx.ch || !ctx.sh) return miss<R>('the hellos are not decoded');
    const z =
      ctx.kex && PSK_KEX12.has(ctx.kex)
        ? await pskPremaster12(ctx)
        : ctx.kex === 'RSA'
          ? await rsaPremaster(ctx)
          : await anyShared(ctx);
    if (!z.ok) return miss<R>(z.why);
    const ems = emsNegotiated(ctx);
    if (ems) {
      const cke = stepsOf(ctx, 'client_key_exchange', 'C->S')[0];
      if (!cke) return miss<R>('no ClientKeyExchange');
      const pre = prefix(ctx, cke.index, true);
      if (!pre.ok) return miss<R>(pre.why);
      const sh = await digest(provider(ctx), h.value, concatBytes(pre.value));
      return got<R>({ master: await extendedMasterSecret(provider(ctx), h.value, z.value, sh), premaster: z.value, ems });
    }
    return got<R>({
      master: await masterSecret(provider(ctx), h.value, z.value, ctx.ch.b.random, ctx.sh.b.random),
      premaster: z.value,
      ems,
    });
  });
}

/** The TLS 1.3 schedule recomputed from the (EC)DHE secret (ephemeral keys needed; not for PSK handshakes). */
export function schedule13(ctx: Context): Promise<Got<Awaited<ReturnType<typeof tls13Schedule>>>> {
  return memo(ctx, 'schedule13', async () => {
    type R = Awaited<ReturnType<typeof tls13Schedule>>;
    const h = hashOf(ctx);
    if (!h.ok) return miss<R>(h.why);
    if (!ctx.sh) return miss<R>('no ServerHello');
    let psk: Uint8Array | undefined;
    if (hasExt(ctx.sh.b.extensions, X.pre_shared_key)) {
      const p = await selectedPsk(ctx);
      if (!p.ok) return miss<R>(`the handshake uses a PSK and ${p.why}`);
      psk = p.value;
    }
    // psk_ke: no (EC)DHE input (RFC 8446 §7.1: zeros)
    let shared: Uint8Array | undefined;
    if (!psk || hasExt(ctx.sh.b.extensions, X.key_share)) {
      const z = await anyShared(ctx);
      if (!z.ok) return miss<R>(z.why);
      shared = z.value;
    }
    const toSh = prefix(ctx, ctx.sh.m.index, true);
    if (!toSh.ok) return miss<R>(toSh.why);
    const input: Parameters<typeof tls13Schedule>[1] = { hash: h.value, serverHelloHash: await thash(ctx, h.value, toSh.value) };
    if (shared) input.sharedSecret = shared;
    if (psk) input.psk = psk;
    const sfin = stepsOf(ctx, 'finished', 'S->C')[0];
    if (sfin) {
      const p = prefix(ctx, sfin.index, true);
      if (p.ok) input.serverFinishedHash = await thash(ctx, h.value, p.value);
    }
    const cfin = stepsOf(ctx, 'finished', 'C->S')[0];
    if (cfin) {
      const p = prefix(ctx, cfin.index, true);
      if (p.ok) input.clientFinishedHash = await thash(ctx, h.value, p.value);
    }
    return got<R>(await tls13Schedule(provider(ctx), input));
  });
}

/** Public values of the key exchange as sent: every key share, the ServerKeyExchange and ClientKeyExchange points. */
export interface PublicValue {
  m: TranscriptMessage;
  where: string;
  /** Named group; -1 for a TLS 1.2 custom DH group (p from the ServerKeyExchange). */
  group: number;
  value: Uint8Array;
}

export function publicValues(ctx: Context): PublicValue[] {
  const out: PublicValue[] = [];
  const hellos: Array<[Hello<ClientHello> | undefined, string]> = [
    [ctx.ch, 'ClientHello key_share'],
    [ctx.ch2, 'second ClientHello key_share'],
  ];
  for (const [h, where] of hellos) {
    const ks = extensionBody(h?.b.extensions, X.key_share, 'key_share_client');
    if (h && ks) for (const s of ks.shares) out.push({ m: h.m, where, group: s.group, value: s.keyExchange });
  }
  const ss = extensionBody(ctx.sh?.b.extensions, X.key_share, 'key_share_server');
  if (ctx.sh && ss) out.push({ m: ctx.sh.m, where: 'ServerHello key_share', group: ss.share.group, value: ss.share.keyExchange });
  const skeM = stepsOf(ctx, 'server_key_exchange', 'S->C')[0];
  const ske = bodyOf(skeM);
  let g12: number | undefined;
  if (skeM && ske?.type === 'server_key_exchange' && ske.kex === 'ecdhe') {
    g12 = ske.namedCurve;
    out.push({ m: skeM, where: 'ServerKeyExchange', group: g12, value: ske.publicKey });
  } else if (skeM && ske?.type === 'server_key_exchange' && ske.kex === 'dhe') {
    g12 = -1;
    out.push({ m: skeM, where: 'ServerKeyExchange dh_Ys', group: -1, value: ske.ys });
  }
  const ckeM = stepsOf(ctx, 'client_key_exchange', 'C->S')[0];
  const cke = bodyOf(ckeM);
  if (ckeM && g12 !== undefined && cke?.type === 'client_key_exchange' && (cke.kex === 'ecdhe' || cke.kex === 'dhe'))
    out.push({ m: ckeM, where: g12 === -1 ? 'ClientKeyExchange dh_Yc' : 'ClientKeyExchange', group: g12, value: cke.publicKey });
  return out;
}

/** PKCS#8 key among the given private keys whose public half is this SubjectPublicKeyInfo. */
export function privateKeyFor(ctx: Context, spki: Uint8Array): Uint8Array | undefined {
  for (const k of ctx.options.privateKeys ?? []) {
    try {
      const pub = createPublicKey(createPrivateKey({ key: Buffer.from(k), format: 'der', type: 'pkcs8' })).export({
        format: 'der',
        type: 'spki',
      });
      if (bytesEqual(new Uint8Array(pub), spki)) return k;
    } catch {
      // not a usable key: skip
    }
  }
  return undefined;
}

/** The earlier connection whose readable TLS 1.3 NewSessionTicket issued this PSK identity, with the ticket nonce. */
export function ticketIssuer(ctx: Context, identity: Uint8Array): { e: Context; nonce: Uint8Array } | undefined {
  let issuer: { e: Context; nonce: Uint8Array } | undefined;
  for (const e of ctx.earlier)
    for (const s of e.steps) {
      const b = bodyOf(s.m);
      if (b?.type === 'new_session_ticket' && b.form === 'tls13' && bytesEqual(b.ticket, identity))
        issuer = { e, nonce: b.nonce };
    }
  return issuer;
}

/** The resumption PSK of a ticket (RFC 8446 §4.6.1), from the resumption_master_secret of the connection that issued it. */
export async function ticketPsk(ctx: Context, identity: Uint8Array): Promise<Got<Uint8Array>> {
  const issuer = ticketIssuer(ctx, identity);
  if (!issuer)
    return miss(
      "no earlier connection's readable NewSessionTicket issued the identity (the original connection was not given) and no external PSK was given for it (--psk)",
    );
  const h = hashOf(issuer.e);
  const sched = await schedule13(issuer.e);
  if (!h.ok || !sched.ok || !sched.value.resumptionMasterSecret)
    return miss(
      `the original connection's resumption_master_secret cannot be recomputed (${!h.ok ? h.why : !sched.ok ? sched.why : 'no client Finished'})`,
    );
  return got(await resumptionPsk(provider(ctx), h.value, sched.value.resumptionMasterSecret, issuer.nonce));
}

/** The PSK of the identity the ServerHello selected (TLS 1.3): an external PSK given or carried, else a ticket's. */
async function selectedPsk(ctx: Context): Promise<Got<Uint8Array>> {
  const sel = extensionBody(ctx.sh?.b.extensions, X.pre_shared_key, 'pre_shared_key_server');
  const offered = extensionBody((ctx.ch2 ?? ctx.ch)?.b.extensions, X.pre_shared_key, 'pre_shared_key_client');
  const id = sel && offered?.identities[sel.selectedIdentity];
  if (!id) return miss('the selected PSK identity is not readable in the ClientHello');
  const ext = externalPsk(ctx, id.identity);
  if (ext) return got(ext.key);
  return ticketPsk(ctx, id.identity);
}

/** RSA key exchange: the premaster decrypted with the server's private key (generated runs give it). */
async function rsaPremaster(ctx: Context): Promise<Got<Uint8Array>> {
  const m = stepsOf(ctx, 'client_key_exchange', 'C->S')[0];
  const b = bodyOf(m);
  if (!m || b?.type !== 'client_key_exchange' || b.kex !== 'rsa') return miss('the RSA ClientKeyExchange is not decoded');
  const leaf = leafOf(ctx, 'S->C');
  if (!leaf.ok) return leaf;
  const key = privateKeyFor(ctx, leaf.value.leaf.spkiDer);
  if (!key) return miss("the server's RSA private key was not given");
  const r = await decryptPremaster(provider(ctx), key, b.encryptedPreMasterSecret, ctx.ch!.b.legacyVersion);
  if (r.ok) return got(r.value);
  return miss(`the RSA premaster does not decrypt to a well-formed value (${r.reason}; see t12.ks.pms-rsa)`);
}
