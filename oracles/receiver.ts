/**
 * What a receiver did after a message it had to judge, as a transcript
 * shows it: it went on (the step that shows it, e.g. its ChangeCipherSpec
 * or application data), it aborted with an alert, it closed its side of
 * the transport without one (a capture's FIN or RST), or the transcript
 * cannot tell (it ends first, or what came next could not be read). Rules
 * that judge a receiver (the certificate path rules, the signature-hash
 * rules, record integrity) read their verdicts from this.
 */
import type { TranscriptMessage, TransportEnd } from '../transcript/model';
import type { AlertName, Side } from '../wire/vocabulary';
import { otherSide, senderOf } from '../wire/vocabulary';
import { alertNameOf } from './alert-choices';
import { type Context, isUnreadable } from './context';

export type ReceiverReaction =
  /** It went on: `m` is the first message that shows it, `what` says how (`its ChangeCipherSpec`). */
  | { kind: 'went-on'; m: TranscriptMessage; what: string }
  /** It aborted with an error alert (`alert` undefined: the alert could not be read). */
  | { kind: 'alert'; m: TranscriptMessage; alert?: AlertName; code?: number }
  /** It closed without an error alert: a FIN or RST, or a close_notify, before going on. */
  | { kind: 'closed'; how: string; end?: TransportEnd; m?: TranscriptMessage }
  /** The transcript does not show what it did. */
  | { kind: 'unknown'; why: string };

/** Whether a message shows its sender going on (a description) or not (undefined). */
export type WentOn = (m: TranscriptMessage) => string | undefined;

/** The place of a message in wire order among the records (its first record), when it came from records. */
function recordOf(m: TranscriptMessage): number | undefined {
  return m.records?.length ? Math.min(...m.records) : undefined;
}

const the = (s: Side): string => `the ${s}`;

/**
 * `FIN` / `RST`. Details name messages by index, not capture frames: the
 * output's messages[] carry the frames, and a detail reads the same for a
 * connection wherever it sits in a capture.
 */
export const endName = (e: TransportEnd): string => (e.kind === 'fin' ? 'FIN' : 'RST');

/**
 * The reaction of the side that received `at`: the first of its messages
 * after `at` that went on or aborted, or its FIN/RST if that came first.
 * Close_notify and warnings are not errors: close_notify counts as
 * closing, a warning (RFC 5246 §7.2: it may go on) is skipped.
 */
export function receiverReaction(ctx: Context, at: TranscriptMessage, wentOn: WentOn): ReceiverReaction {
  const receiver = otherSide(senderOf(at.dir));
  const ends = ctx.t.ends;
  const myEnd = ends?.find((e) => e.side === receiver);
  const senderEnd = ends?.find((e) => e.side !== receiver);
  const before = (m: TranscriptMessage, e: TransportEnd | undefined): boolean => {
    const r = recordOf(m);
    return e === undefined || r === undefined || r < e.beforeRecord;
  };
  for (const m of ctx.t.messages) {
    if (m.index <= at.index || senderOf(m.dir) !== receiver) continue;
    if (!before(m, myEnd)) break;
    if (m.kind === 'alert') {
      if (!m.alert) return { kind: 'alert', m };
      const name = alertNameOf(m.alert.description);
      const closure = m.alert.description === 0 || m.alert.description === 90;
      if (closure) return { kind: 'closed', how: `${name ?? 'close_notify'} (message ${m.index})`, m };
      const fatal = m.alert.level === 2 || ctx.version === '1.3';
      if (!fatal) continue;
      const r: ReceiverReaction = { kind: 'alert', m, code: m.alert.description };
      if (name) r.alert = name;
      return r;
    }
    // A client's 0-RTT data (its early epoch, RFC 8446 §2.3) was written before it read the server's flight, whenever it
    // arrived: it is no reaction to a server message (capture/decrypt.ts gives an unread record that may be 0-RTT data
    // the early epoch too). Its EndOfEarlyData ("after receiving the server Finished", RFC 8446 §4.5) and alerts are.
    if (zeroRttData(m)) continue;
    // In a TLS 1.2 renegotiation every record is protected under the previous handshake's keys (RFC 5246 §7.4.1.1):
    // one that does not open may be the receiver's alert as well as its next flight, so it shows nothing either way.
    const how = ctx.handshake > 0 && isUnreadable(m) ? undefined : wentOn(m);
    if (how) return { kind: 'went-on', m, what: how };
    if (isUnreadable(m))
      return {
        kind: 'unknown',
        why: `${the(receiver)}'s next record (message ${m.index}) could not be read, so whether it went on or aborted is not known`,
      };
  }
  if (myEnd) return { kind: 'closed', how: `${endName(myEnd)} without an alert`, end: myEnd };
  if (senderEnd)
    return {
      kind: 'unknown',
      why: `${the(otherSide(receiver))} closed the connection (${endName(senderEnd)}) before ${the(receiver)} showed whether it went on`,
    };
  return {
    kind: 'unknown',
    why: ends
      ? `the capture ends before ${the(receiver)} went on or aborted`
      : `the transcript ends before ${the(receiver)} went on or aborted`,
  };
}

/** Client 0-RTT application data, read or not (see receiverReaction). */
function zeroRttData(m: TranscriptMessage): boolean {
  return m.dir === 'C->S' && m.epoch === 'early' && m.kind === 'application_data';
}

/**
 * What going on looks like for the receiver of a certificate chain, per
 * version: TLS 1.2: its ChangeCipherSpec, Finished or application data
 * (RFC 5246 §7.3: the receiver's next flight after validating); TLS 1.3:
 * a client's Finished or application data, a server's application data
 * (its Finished came before the client's Certificate, RFC 8446 §2).
 */
export function goesOnAfterChain(ctx: Context, receiver: Side): WentOn {
  return (m) => {
    if (m.kind === 'application_data' && !isUnreadable(m)) return `application data, message ${m.index}`;
    if (ctx.version === '1.2') {
      if (m.kind === 'change_cipher_spec') return `its ChangeCipherSpec, message ${m.index}`;
      if (m.type === 'finished' || m.type === 'encrypted_handshake_message') return `its Finished, message ${m.index}`;
      if (m.kind === 'application_data') return `application data, message ${m.index}`;
      return undefined;
    }
    if (receiver === 'client' && m.type === 'finished') return `its Finished, message ${m.index}`;
    // RFC 8446 §4.6.1: "At any time after the server has received the client Finished message, it MAY send a
    // NewSessionTicket message": a ticket after the client's chain shows the server took the client's whole flight
    if (receiver === 'server' && m.type === 'new_session_ticket') return `its NewSessionTicket, message ${m.index}`;
    return undefined;
  };
}
