/**
 * The shape of a handshake as several rule files and the needs see it:
 * whether a TLS 1.2 handshake is abbreviated, the state-machine facts, the
 * steps of the first handshake, the TLS 1.3 flights, and small step
 * lookups. Read from the Context only.
 */
import { extensionBody } from '../wire/extensions';
import { bytesEqual } from '../wire/hex';
import { ExtensionType, alertDescriptions } from '../wire/registry';
import type { Direction, StepName } from '../wire/vocabulary';
import {
  type Context,
  type Step,
  hasExt,
  isUnreadableStep,
  kexAnonymous,
  kexForbidsSke,
  kexNeedsSke,
  kexUsesCertificate,
} from './context';
import type { Facts } from './statemachine';
import { type Outcome, inconclusive, notApplicable } from './rule';

type Tri = boolean | undefined;

/** The messages of the server's first flight of a full TLS 1.2 handshake after ServerHello. */
export const SERVER_FIRST_FLIGHT: ReadonlySet<StepName> = new Set<StepName>([
  'certificate',
  'certificate_status',
  'server_key_exchange',
  'certificate_request',
  'server_hello_done',
]);

/** TLS 1.2: is the handshake abbreviated (resumed)? From the session-ID echo, else one message of look-ahead. */
export function abbreviated(ctx: Context): Tri {
  const { ch, sh } = ctx;
  if (ch && sh) {
    if (ch.b.sessionId.length > 0 && bytesEqual(ch.b.sessionId, sh.b.sessionId)) return true;
    // Without an echoed session ID, only a ticket the client offered can be resumed (RFC 5077 §3.4).
    const ticket = extensionBody(ch.b.extensions, ExtensionType.session_ticket, 'session_ticket');
    if (!ticket || ticket.ticket.length === 0) return false;
  }
  const S = ctx.byDir['S->C'];
  const i = S.findIndex((s) => s.sym === 'server_hello');
  const next = i >= 0 ? S[i + 1] : undefined;
  if (next && (next.sym === 'new_session_ticket' || next.sym === 'change_cipher_spec')) return true;
  if (next && SERVER_FIRST_FLIGHT.has(next.sym)) return false;
  return undefined;
}

/** What the state machines' conditions read, from the hellos and the key exchange. */
export function factsOf(ctx: Context): Facts {
  const f: Facts = {};
  const ab = abbreviated(ctx);
  if (ab !== undefined) f.resumed = ab;
  if (ctx.kex) {
    f.certKex = kexUsesCertificate(ctx.kex);
    f.skeRequired = kexNeedsSke(ctx.kex) ? true : kexForbidsSke(ctx.kex) ? false : undefined;
    f.anon = kexAnonymous(ctx.kex);
  }
  if (ctx.ch && ctx.sh) {
    f.statusAgreed =
      hasExt(ctx.ch.b.extensions, ExtensionType.status_request) && hasExt(ctx.sh.b.extensions, ExtensionType.status_request);
    f.ticketExt = hasExt(ctx.sh.b.extensions, ExtensionType.session_ticket);
    f.psk = hasExt(ctx.sh.b.extensions, ExtensionType.pre_shared_key);
  }
  if (ctx.ch) {
    f.earlyFirst = hasExt(ctx.ch.b.extensions, ExtensionType.early_data);
    f.earlyOffered = f.earlyFirst && !ctx.hrr;
    f.postHandshakeAuth = hasExt(ctx.ch.b.extensions, ExtensionType.post_handshake_auth);
  }
  const ee = ctx.steps.find((s) => s.sym === 'encrypted_extensions');
  const eeBody = ee?.m.decoded?.body;
  if (eeBody?.type === 'encrypted_extensions') f.earlyAccepted = hasExt(eeBody.extensions, ExtensionType.early_data);
  else if (f.earlyOffered === false) f.earlyAccepted = false;
  f.renegotiation = ctx.previous !== undefined;
  return f;
}

/** `C->S certificate`, or `nothing`. */
export const stepName = (s: Step | undefined): string => (s ? `${s.dir} ${s.sym}` : 'nothing');

/** The steps of the first handshake (before a renegotiating ClientHello). */
export function firstHandshake(ctx: Context): { all: Step[]; C: Step[]; S: Step[] } {
  const all: Step[] = [];
  let hellos = 0;
  for (const s of ctx.steps) {
    if (s.dir === 'C->S' && s.sym === 'client_hello' && ++hellos > 1 && ctx.version === '1.2') break;
    all.push(s);
  }
  return { all, C: all.filter((s) => s.dir === 'C->S'), S: all.filter((s) => s.dir === 'S->C' && s.sym !== 'hello_request') };
}

export const find = (steps: readonly Step[], sym: StepName): Step | undefined => steps.find((s) => s.sym === sym);
export const before = (steps: readonly Step[], s: Step): Step | undefined => steps[steps.indexOf(s) - 1];
export const after = (steps: readonly Step[], s: Step): Step | undefined => steps[steps.indexOf(s) + 1];
export const unreadableIn = (steps: readonly Step[]): Step[] => steps.filter(isUnreadableStep);

/** The TLS 1.3 handshake split into flights (CCS left out). */
export interface Flights13 {
  /** Server handshake messages (no CCS). */
  S: Step[];
  /** Client handshake messages (no CCS). */
  C: Step[];
  all: Step[];
  /** Server flight of the main handshake: ServerHello .. Finished. */
  sflight: Step[];
  /** Client flight after its last ClientHello, up to Finished. */
  cflight: Step[];
}

export function flights13(ctx: Context): Flights13 {
  const all = ctx.steps.filter((s) => s.sym !== 'change_cipher_spec');
  const S = all.filter((s) => s.dir === 'S->C');
  const C = all.filter((s) => s.dir === 'C->S');
  const shI = S.findIndex((s) => s.sym === 'server_hello');
  const sfinI = S.findIndex((s, i) => i > shI && s.sym === 'finished');
  const sflight = shI < 0 ? [] : S.slice(shI, sfinI < 0 ? undefined : sfinI + 1);
  // The client's last ClientHello of the handshake: the one the ServerHello answers (the second after HRR).
  const shIndex = S[shI]?.m.index ?? Number.POSITIVE_INFINITY;
  let lastCh = -1;
  C.forEach((s, i) => {
    if (s.sym === 'client_hello' && s.m.index < shIndex) lastCh = i;
  });
  const cfinI = C.findIndex((s, i) => i > lastCh && s.sym === 'finished');
  const cflight = lastCh < 0 ? [] : C.slice(lastCh + 1, cfinI < 0 ? undefined : cfinI + 1);
  return { S, C, all, sflight, cflight };
}

/** The side that sends in this direction, as a word for details. */
export const who = (dir: Direction): 'client' | 'server' => (dir === 'S->C' ? 'server' : 'client');

/** A code point as four hex digits (`0x002f`). */
export const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** How a handshake ended before it completed: who stopped it and how. */
export interface Abort {
  by: 'client' | 'server';
  /** The fatal alert, when it ended with one. */
  at?: number;
  how: string;
}

/**
 * The handshake ended before both sides sent Finished: the first fatal
 * alert (readable; in TLS 1.3 every alert but close_notify and
 * user_canceled ends the connection, RFC 8446 §6.2), or else the first
 * FIN or RST of the transport, before both Finished. Undefined when the
 * handshake completed, or when the transcript cannot show it ended (it
 * simply stops, or the alerts could not be read).
 */
export function handshakeAbort(ctx: Context): Abort | undefined {
  const finished = (dir: Direction): boolean =>
    ctx.byDir[dir].some(
      (s, i, all) =>
        s.sym === 'finished' ||
        (ctx.version === '1.2' && isUnreadableStep(s) && all.slice(0, i).some((x) => x.sym === 'change_cipher_spec')),
    );
  if (finished('C->S') && finished('S->C')) return undefined;
  const alert = ctx.t.messages.find(
    (m) => m.alert && (m.alert.level === 2 || (ctx.version === '1.3' && m.alert.description !== 0 && m.alert.description !== 90)),
  );
  if (alert) {
    const by = alert.dir === 'C->S' ? 'client' : 'server';
    const name = alertDescriptions.get(alert.alert!.description) ?? `alert ${alert.alert!.description}`;
    return { by, at: alert.index, how: `the ${by} sent a fatal ${name} alert (message ${alert.index})` };
  }
  const end = ctx.t.ends?.[0];
  if (end)
    return {
      by: end.side,
      how: `the ${end.side} closed the connection (${end.kind === 'fin' ? 'FIN' : 'RST'}) before the handshake completed`,
    };
  return undefined;
}

/**
 * For a message a rule looks for and does not find: not-applicable when the
 * handshake ended before it could come (handshakeAbort), else inconclusive
 * with `missing` (the transcript may simply stop, or the message could not be read).
 */
export function missingOrEnded(ctx: Context, missing: string): Outcome {
  const a = handshakeAbort(ctx);
  return a
    ? notApplicable(`The handshake ended before it: ${a.how}.`, a.at !== undefined ? { message: a.at } : {})
    : inconclusive(missing);
}
