/**
 * What the peer did in a live conversation, read from the wire (the
 * transcript of the conversation, both directions in the order they crossed
 * the socket) rather than from how the socket happened to end:
 *
 * - `wentOn`: after our invalid input the peer sent what only a peer that
 *   accepted it sends: its Finished, a NewSessionTicket, application data,
 *   (TLS 1.2) its ChangeCipherSpec, or (TLS 1.3, our invalid input being a
 *   plaintext hello) protected records we cannot open: its keys come from
 *   what we sent, e.g. an invalid key share, so it went past our hello.
 *   Only a message that answers one of ours sent at or after our invalid
 *   input counts: a flight answering our ClientHello (or a TLS 1.2
 *   ChangeCipherSpec answering our Finished) that we pipelined a record
 *   after may leave the peer before it reads that record;
 * - `alert`: the first error alert it sent after our invalid input (a TLS
 *   1.2 warning and close_notify are not error alerts);
 * - whether our endpoint aborted first, and how the transport ended.
 *
 * fuzz/judge.ts turns this and the expectation into a verdict. Everything
 * here is pure: the drivers build the transcript and pass it in.
 */
import type { SocketEnd } from '../engine/socket';
import type { Outcome } from '../engine/types';
import type { Transcript, TranscriptMessage } from '../transcript/model';
import { alertDescriptions, ContentType, cipherSuites, nameOf } from '../wire/registry';
import type { Direction, MessageKind, MessageType, TlsVersion } from '../wire/vocabulary';

/** Where our invalid input starts: after this many bytes of our records, or at our first message of this type. */
export type InvalidFrom = { bytes: number } | { message: MessageType };

export interface Observation {
  version: TlsVersion;
  /** What the peer sent after our invalid input that shows it went on (the first such message), when it did. */
  wentOn?: string;
  /** The first error alert the peer sent after our invalid input (for a valid conversation: at all), by name. */
  alert?: string;
  /** The peer ended with close_notify (an orderly closure, not an error alert) before any error alert. */
  closeNotify?: boolean;
  /** How the transport ended (engine/socket.ts kinds; `done`: we ended it once the outcome was decided). */
  end: SocketEnd['kind'];
  /** For a timeout, how long we waited; for a reset, the error. */
  afterMs?: number;
  error?: string;
  /** The handshake completed on our side (our endpoint connected). */
  completed: boolean;
  /** Our endpoint sent a fatal alert before the peer decided anything: its alert and reason. */
  ourAbort?: string;
  /** Messages of the peer the verdict rests on (transcript indices), for the ladder. */
  at?: number;
  /** The peer sent application data (at any point). */
  peerData?: true;
  /**
   * The peer closed (close_notify) before our invalid input went out, or (a post-handshake input) right after data
   * that may have crossed it: the conversation shows nothing about that input.
   */
  closedBefore?: true;
  /**
   * TLS 1.2: the peer declined a renegotiation with the warning no_renegotiation (RFC 5246 §7.2.2) after our invalid
   * input (for a valid conversation: at all), before any error alert.
   */
  declined?: string;
  /**
   * The peer's error alert came before our Finished was on the wire (it answered the rest of our flight alone, our
   * ChangeCipherSpec included or not; our client held them back: fuzz/exchange.ts holdFrom).
   */
  alertBeforeOurFinished?: true;
  /**
   * TLS 1.3, after our invalid plaintext hello: what showed the peer going on (`wentOn`) was a protected record too
   * short to hold any handshake message (its inner plaintext at most 3 bytes: an alert and its content type), under
   * keys it derived from our hello, so we cannot read it. The peer went past our hello (it derived keys from it) and
   * then aborted: acceptance of an input it should have refused at the hello, but the expected rejection of one that
   * shows only when a record does not open (e.g. an ML-KEM ciphertext, implicitly rejected: RFC 8446 §6, its alert
   * is protected under the keys it has).
   */
  sealedAlert?: true;
}

export const alertName = (d: number): string => nameOf(alertDescriptions, d, 2);

/** The first record of ours that carries the invalid input (undefined: none, or no transcript). */
function firstInvalidRecord(t: Transcript, ours: Direction, from: InvalidFrom | undefined): number | undefined {
  if (!from) return undefined;
  if ('message' in from) {
    const m = t.messages.find((x) => x.dir === ours && x.type === from.message);
    return m?.records?.[0];
  }
  let sent = 0;
  for (const r of t.records) {
    if (r.dir !== ours) continue;
    if (sent >= from.bytes) return r.index;
    sent += r.raw.length;
  }
  return undefined;
}

const firstRecord = (m: TranscriptMessage): number => m.records?.[0] ?? -1;

/**
 * The first record at or after `from` that carries a handshake message or application data of ours (a message a
 * peer answers), or undefined. A message that started before `from` and ends at or after it counts at `from` (our
 * invalid input is inside it). An alert, a ChangeCipherSpec, an empty or unknown record is no message a peer
 * answers with its next flight.
 */
function firstMessageRecordFrom(
  t: Transcript,
  ours: Direction,
  from: number,
  kinds: readonly MessageKind[] = ['handshake', 'application_data'],
): number | undefined {
  let best: number | undefined;
  for (const m of t.messages) {
    if (m.dir !== ours || !kinds.includes(m.kind)) continue;
    const recs = m.records ?? [];
    // a record of an unknown or unnegotiated content type (heartbeat, 42) is kept as data: no message a peer answers
    if (m.kind === 'application_data' && recs.some((r) => t.records[r]?.contentType !== ContentType.application_data)) continue;
    const r = recs.find((x) => x >= from);
    if (r === undefined) continue;
    const at = recs[0]! < from ? from : r;
    if (best === undefined || at < best) best = at;
  }
  return best;
}

/** The AEAD tag length of the suite the ServerHello of `t` selected: 8 for the CCM_8 suites, else 16. */
function tagLengthOf(t: Transcript): number {
  const raw = t.messages.find((m) => m.type === 'server_hello')?.raw;
  // header 4, legacy_version 2, random 32, then the session id and the cipher suite
  const sid = raw?.[4 + 2 + 32];
  if (raw === undefined || sid === undefined || raw.length < 4 + 2 + 32 + 1 + sid + 2) return 16;
  const at = 4 + 2 + 32 + 1 + sid;
  return cipherSuites.get((raw[at]! << 8) | raw[at + 1]!)?.cipher.endsWith('_8') ? 8 : 16;
}

/**
 * A protected TLS 1.3 record too short for any handshake message (4-byte header, then the content type and the tag):
 * what it can carry is an alert (2 bytes) or at most 2 bytes of data.
 */
function tooShortForHandshake(t: Transcript, m: TranscriptMessage): boolean {
  const recs = m.records ?? [];
  if (recs.length !== 1) return false;
  const r = t.records[recs[0]!];
  return r?.encrypted === true && r.raw.length - 5 <= 3 + tagLengthOf(t);
}

/** A peer alert's name and whether it is an error alert (RFC 8446 §6: every TLS 1.3 alert but the closure alerts; TLS 1.2: fatal level). */
function alertOf(m: TranscriptMessage, version: TlsVersion): { name: string; error: boolean; closure: boolean } | undefined {
  const a = m.alert ?? (m.raw?.length === 2 ? { level: m.raw[0]!, description: m.raw[1]! } : undefined);
  if (!a) return undefined;
  const closure = a.description === 0 || a.description === 90;
  return { name: alertName(a.description), error: version === '1.3' ? !closure : a.level === 2, closure: a.description === 0 };
}

/**
 * Did the peer go on: the message that shows it (see the header), or undefined. `weak`: a message a peer may
 * send in answer to the valid part of our flight before it reads the invalid part (a TLS 1.3 server's
 * NewSessionTicket once our Finished is in, a ServerHello it may still follow with an alert): it shows acceptance
 * only when no error alert of the peer follows it.
 */
function wentOnBy(
  m: TranscriptMessage,
  version: TlsVersion,
  fromPlaintextHello: boolean,
  postHandshake = false,
  renegotiation = false,
): { what: string; weak: boolean } | undefined {
  const strong = (what: string) => ({ what, weak: false });
  if (m.type === 'finished') return strong('its Finished');
  if (m.type === 'new_session_ticket') return { what: 'a NewSessionTicket', weak: true };
  // our invalid input came after both Finished messages (a post-handshake message): the peer's data may have been
  // sent before it read ours (nothing it sends after the handshake answers our post-handshake message), so its error
  // alert after the data still decides
  if (postHandshake && m.kind === 'application_data' && m.type === 'application_data')
    return { what: 'application data (and no alert after it)', weak: true };
  // a ServerHello after our invalid ClientHello: the server chose parameters from it (a HelloRetryRequest too: it
  // asked for a retry instead of refusing it)
  if (m.type === 'server_hello' && fromPlaintextHello) return { what: 'its ServerHello', weak: true };
  // during a renegotiation application data goes on under the previous keys (RFC 5246 §7.4.1.1, e.g. a server's
  // greeting racing our renegotiating ClientHello): only the new handshake's progress shows acceptance
  if (m.kind === 'application_data' && m.type === 'application_data' && !renegotiation) return strong('application data');
  if (version === '1.2' && m.kind === 'change_cipher_spec') return strong('its ChangeCipherSpec');
  if (version === '1.3' && fromPlaintextHello && (m.type === 'encrypted_record' || m.type === 'encrypted_handshake_message'))
    return strong('protected records we cannot open (its keys come from our invalid input)');
  return undefined;
}

/**
 * What the peer did (see the header). `ours`: the direction we send in; `from`: where our invalid input starts
 * (undefined for a valid conversation); `explained`: peer messages whose unreadability a rule already explains (a
 * record protected with the wrong epoch's keys is the peer's own violation, not a sign that it went on).
 */
export function observe(
  t: Transcript | undefined,
  o: {
    version: TlsVersion;
    ours: Direction;
    from: InvalidFrom | undefined;
    end: SocketEnd;
    explained?: ReadonlySet<number>;
    /** The conversation renegotiates: whether the renegotiation completed on our side (the handshake it is judged by). */
    renegotiated?: boolean;
  },
): Observation {
  const { end, version } = o;
  const out: Observation = {
    version,
    end: end.kind,
    completed: completedOutcome(end.outcome) && o.renegotiated !== false,
  };
  if (end.kind === 'timed_out') out.afterMs = end.afterMs;
  if (end.kind === 'reset') out.error = end.error;
  const ourAbort =
    end.outcome.kind === 'alert_sent' ? `${alertName(end.outcome.alert.description)}: ${end.outcome.reason}` : undefined;
  if (!t) {
    // no transcript (records that would not split): what our endpoint saw
    if (end.outcome.kind === 'alert_received') out.alert = alertName(end.outcome.alert.description);
    else if (ourAbort) out.ourAbort = ourAbort;
    return out;
  }
  const peer: Direction = o.ours === 'C->S' ? 'S->C' : 'C->S';
  const invalid = firstInvalidRecord(t, o.ours, o.from);
  // a valid conversation: everything the peer sent counts; a mutant whose input never went out: nothing does
  const after = (m: TranscriptMessage): boolean =>
    o.from === undefined ? true : invalid !== undefined && firstRecord(m) >= invalid;
  // what shows that the peer went on answers a message we sent at or after our invalid input: a peer's flight may
  // answer the messages of ours before it (e.g. its flight answering our ClientHello, read before a record we
  // pipelined after it), so going on counts from the first handshake message or application data of ours that our
  // invalid input is part of or precedes (none: nothing the peer sends shows it went on)
  const answers = invalid === undefined ? undefined : firstMessageRecordFrom(t, o.ours, invalid);
  // a handshake message of the peer answers a handshake message of ours (a TLS 1.3 server's whole first flight
  // answers our ClientHello, RFC 8446 §2), never our application data: data of ours pipelined after the ClientHello
  // is answered by the peer's data or its alert, not by its flight
  const answersHandshake = invalid === undefined ? undefined : firstMessageRecordFrom(t, o.ours, invalid, ['handshake']);
  const answering = (m: TranscriptMessage): boolean => {
    if (o.from === undefined) return true;
    const mine = m.kind === 'handshake' ? answersHandshake : answers;
    return mine !== undefined && firstRecord(m) > mine;
  };
  const fromPlaintextHello = invalid !== undefined && t.records[invalid]?.epoch === 'plaintext';
  // a NewSessionTicket answers our Finished (RFC 8446 §4.6.1: "after the server has received the client Finished"):
  // it shows acceptance only of an invalid input at or before our Finished
  const ourFinished = t.messages.filter((m) => m.dir === o.ours && m.type === 'finished').at(-1);
  const ticketAnswers = (m: TranscriptMessage): boolean =>
    m.type !== 'new_session_ticket' ||
    o.from === undefined ||
    (answers !== undefined && ourFinished !== undefined && answers <= firstRecord(ourFinished));
  // our server's invalid input went out after both Finished messages were on the wire (TLS 1.3 post-handshake
  // messages to a client, e.g. a NewSessionTicket; against servers the probe policy of fuzz/exchange.ts asks for an
  // answer to our data instead)
  const peerFinished = t.messages.filter((m) => m.dir === peer && m.type === 'finished').at(-1);
  const postHandshake =
    version === '1.3' &&
    o.ours === 'S->C' &&
    invalid !== undefined &&
    ourFinished !== undefined &&
    peerFinished !== undefined &&
    firstRecord(ourFinished) < invalid &&
    firstRecord(peerFinished) < invalid;
  const ourAlert = t.messages.find((m) => m.dir === o.ours && m.kind === 'alert');
  if (
    invalid !== undefined &&
    t.messages.some(
      (m) => m.dir === peer && m.kind === 'alert' && alertOf(m, version)?.closure === true && firstRecord(m) < invalid,
    )
  )
    out.closedBefore = true;
  let weak = false;
  if (t.messages.some((m) => m.dir === peer && m.kind === 'application_data')) out.peerData = true;
  for (const m of t.messages) {
    if (m.dir !== peer || !after(m)) continue;
    // our fatal alert came first: what the peer sends after it is no answer to our input
    if (ourAlert && ourAbort && firstRecord(m) > firstRecord(ourAlert)) break;
    if (m.kind === 'alert' || (m.type === 'alert' && m.raw)) {
      const a = alertOf(m, version);
      if (!a) continue;
      if (a.closure) {
        out.closeNotify = true;
        out.at = m.index;
        // data then close_notify after our post-handshake input: the peer may have sent both before it read our input
        // (a client that sends its data and closes at once), so neither shows what it made of it
        if (weak && postHandshake) {
          delete out.wentOn;
          out.closedBefore = true;
        }
        break;
      }
      if (!a.error) {
        // a TLS 1.2 warning that declines a renegotiation (RFC 5246 §7.2.2): the peer refused the new handshake
        if (version === '1.2' && a.name === 'no_renegotiation') out.declined ??= a.name;
        continue;
      }
      out.alert = a.name;
      if (
        !t.messages.some(
          (x) =>
            x.dir === o.ours &&
            (x.type === 'finished' || x.type === 'encrypted_handshake_message') &&
            firstRecord(x) >= 0 &&
            firstRecord(x) < firstRecord(m),
        )
      )
        out.alertBeforeOurFinished = true;
      // an error alert after a message that only may show acceptance (see wentOnBy): the alert decides
      if (weak) delete out.wentOn;
      if (out.wentOn === undefined) out.at = m.index;
      break;
    }
    if ((out.wentOn === undefined || weak) && !o.explained?.has(m.index) && answering(m) && ticketAnswers(m)) {
      let w = wentOnBy(m, version, fromPlaintextHello, postHandshake, o.renegotiated !== undefined);
      // a protected record that can hold no handshake message: the peer's alert, under keys it derived from our hello
      // (fuzz/judge.ts takes it as the rejection only where the rules expect a record that does not open)
      if (
        w &&
        !w.weak &&
        version === '1.3' &&
        fromPlaintextHello &&
        (m.type === 'encrypted_record' || m.type === 'encrypted_handshake_message') &&
        tooShortForHandshake(t, m)
      ) {
        out.sealedAlert = true;
        w = {
          what: 'a protected record too short for any handshake message (an alert under keys it derived from our hello)',
          weak: false,
        };
      }
      if (w && (out.wentOn === undefined || !w.weak)) {
        out.wentOn = w.what;
        out.at = m.index;
        weak = w.weak;
      }
    }
  }
  // a plaintext alert record the transcript kept unread (a TLS 1.3 peer that aborted before its handshake keys)
  if (out.alert === undefined && out.wentOn === undefined && !out.closeNotify) {
    const r = t.records.find(
      (x) =>
        x.dir === peer &&
        x.contentType === ContentType.alert &&
        x.raw.length === 7 &&
        (invalid === undefined || x.index >= invalid),
    );
    if (r) out.alert = alertName(r.raw[6]!);
    else if (end.outcome.kind === 'alert_received') out.alert = alertName(end.outcome.alert.description);
  }
  // (also after the peer went on: for valid input going on is right, and our abort says the peer's message stopped us)
  if (ourAbort && out.alert === undefined && !out.closeNotify) out.ourAbort = ourAbort;
  return out;
}

/** Our endpoint finished the handshake (connected, or closed after it). */
export function completedOutcome(o: Outcome): boolean {
  return o.kind === 'connected' || (o.kind === 'closed' && o.session !== undefined);
}
