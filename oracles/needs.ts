/**
 * Declarative applicability: what a rule needs before its check can run
 * (rule.ts `Need`), checked by the evaluator in the declared order. A
 * missing need gives the rule's verdict at once: not-applicable when the
 * thing the rule is about did not happen (no HelloRetryRequest, a resumed
 * handshake), inconclusive when the evidence to decide is missing (a hello
 * not decoded, no key log), with what was missing.
 */
import { ExtensionType } from '../wire/registry';
import { type Context, bodyOf, hasExt, isUnreadableStep, notOpened } from './context';
import { abbreviated, handshakeAbort } from './flow';
import { chainOf } from './keyfacts';
import { type EncryptedExtensionsSeen, type Need, type Outcome, inconclusive, notApplicable } from './rule';

/** What the transcript lacks, as the verdict of a rule that needs it; undefined when the need is met. */
export type NeedCheck = (ctx: Context) => Outcome | undefined;

const NO_RECORDS = 'The transcript has messages only, no records as seen on the wire.';
const NO_CH = 'The ClientHello is not in the transcript or could not be decoded.';
const NO_SH = 'The ServerHello is not in the transcript or could not be decoded.';

/**
 * Why there is no ServerHello: not-applicable when the handshake ended
 * before one (a fatal alert, or the transport closed, with nothing of the
 * server's stream missing), so a rule about the ServerHello or what follows
 * it has nothing to judge; inconclusive otherwise (the capture ends, bytes
 * are missing, it could not be decoded).
 */
export function noServerHello(ctx: Context): Outcome {
  const abort = handshakeAbort(ctx);
  const gap = ctx.t.gaps.some((g) => g.dir !== 'C->S');
  const serverHello = ctx.t.messages.some((m) => m.dir === 'S->C' && m.type === 'server_hello');
  if (abort && !gap && !serverHello && !ctx.hrr)
    return notApplicable(
      `The handshake ended before a ServerHello: ${abort.how}.`,
      abort.at !== undefined ? { message: abort.at } : {},
    );
  return inconclusive(NO_SH);
}

/** The TLS 1.3 EncryptedExtensions, decoded, when it is in the transcript. */
export function encryptedExtensions(ctx: Context): EncryptedExtensionsSeen | undefined {
  const s = ctx.steps.find((x) => x.sym === 'encrypted_extensions');
  const b = bodyOf(s?.m);
  return s && b?.type === 'encrypted_extensions' ? { m: s.m, exts: b.extensions } : undefined;
}

/** Why the protected part of the transcript cannot be read (no key log, a gap), or undefined when all of it can. */
export function unreadableReason(ctx: Context): Outcome | undefined {
  if (ctx.unreadable.length)
    return inconclusive(
      ctx.t.secrets?.keylog?.length
        ? `${ctx.unreadable.length} protected record(s) could not be read although a key log was given (${ctx.t.gaps[0]?.reason ?? 'see the gaps'}).`
        : `The messages after ServerHello are encrypted and ${notOpened(ctx)} (${ctx.unreadable.length} protected record(s) unreadable).`,
      { message: ctx.unreadable[0]!.index },
    );
  const g = ctx.t.gaps[0];
  if (g) {
    const o = inconclusive(`Part of the handshake is missing from the transcript: ${g.reason}.`);
    if (g.fromMessage !== undefined) o.message = g.fromMessage;
    return o;
  }
  return undefined;
}

function fullHandshake(ctx: Context): Outcome | undefined {
  if (ctx.version !== '1.2') return undefined;
  if (!ctx.sh && noServerHello(ctx).status === 'not-applicable') return noServerHello(ctx);
  const ab = abbreviated(ctx);
  if (ab === true) return notApplicable('The handshake is abbreviated (session resumption).');
  if (ab === undefined)
    return inconclusive(
      'Whether the handshake is full or abbreviated cannot be told (ServerHello not decoded and no message after it).',
    );
  return undefined;
}

function chain(ctx: Context, dir: 'C->S' | 'S->C'): Outcome | undefined {
  const who = dir === 'S->C' ? 'server' : 'client';
  const c = chainOf(ctx, dir);
  if (c.ok) return undefined;
  return c.why.startsWith('no ')
    ? notApplicable(`The ${who} sent no Certificate message.`)
    : inconclusive(`The ${who} Certificate cannot be read: ${c.why}.`);
}

export const NEEDS: Readonly<Record<Need, NeedCheck>> = {
  records: (ctx) => (ctx.hasRecords ? undefined : inconclusive(NO_RECORDS)),
  'client-hello': (ctx) => (ctx.ch ? undefined : inconclusive(NO_CH)),
  'server-hello': (ctx) => (ctx.sh ? undefined : noServerHello(ctx)),
  hellos: (ctx) => (!ctx.ch ? inconclusive(NO_CH) : !ctx.sh ? noServerHello(ctx) : undefined),
  hrr: (ctx) => (ctx.hrr ? undefined : notApplicable('No HelloRetryRequest.')),
  kex: (ctx) =>
    ctx.kex
      ? undefined
      : !ctx.sh && noServerHello(ctx).status === 'not-applicable'
        ? noServerHello(ctx)
        : inconclusive('The key exchange is not known (ServerHello not decoded or unknown cipher suite).'),
  'full-handshake': fullHandshake,
  'first-handshake': (ctx) => {
    if (!ctx.sh) return noServerHello(ctx);
    if (ctx.version === '1.2') return fullHandshake(ctx);
    return hasExt(ctx.sh.b.extensions, ExtensionType.pre_shared_key)
      ? notApplicable('The server accepted a PSK: a resumed session, not a first handshake.')
      : undefined;
  },
  keys: unreadableReason,
  'tls13-ee': (ctx) => {
    if (encryptedExtensions(ctx)) return undefined;
    if (!ctx.evidence.keys) return inconclusive(`EncryptedExtensions is encrypted and ${notOpened(ctx)}.`);
    return inconclusive('EncryptedExtensions is not in the transcript or has no bytes.');
  },
  'server-chain': (ctx) => chain(ctx, 'S->C'),
  'client-chain': (ctx) => chain(ctx, 'C->S'),
  // Given by the evaluator's second phase, never missing there.
  violations: () => undefined,
  renegotiation: (ctx) => {
    if (ctx.previous) return undefined;
    if (ctx.next) return notApplicable("The connection's initial handshake: the renegotiation after it is judged on its own.");
    // Without keys a TLS 1.2 renegotiation is a run of encrypted handshake records after each side's Finished.
    const hidden = (['C->S', 'S->C'] as const).some((d) => ctx.byDir[d].filter(isUnreadableStep).length > 1);
    return hidden
      ? inconclusive(
          'Encrypted handshake records follow the Finished messages and no key log was given: a renegotiation cannot be told.',
        )
      : notApplicable("The handshake is the connection's first and no renegotiation follows it.");
  },
};

/** The first missing need of a rule, as its verdict. */
export function missingNeed(needs: readonly Need[], ctx: Context): Outcome | undefined {
  for (const n of needs) {
    const o = NEEDS[n](ctx);
    if (o) return o;
  }
  return undefined;
}
