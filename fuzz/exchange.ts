/**
 * One live conversation over a socket, ended as soon as its outcome is
 * decided: our endpoint stopped (it sent or received a fatal alert, or the
 * peer's close_notify), the peer closed or reset the connection, or the
 * handshake completed and what follows it is settled by `afterConnect`:
 *
 * - `stop`: the completed handshake decides (TLS 1.2: the peer's Finished
 *   came after all of ours; our server: the client's Finished verified);
 * - `listen`: the peer owes nothing more, but may still refuse what it got
 *   last (TLS 1.3: a server's answer to our client certificate comes after
 *   its Finished): whatever it sends within `quietMs` decides, silence ends
 *   the conversation;
 * - `await`: our last flight completed the handshake on our side but the peer
 *   has yet to judge it (our server's TLS 1.2 Finished, the last message of
 *   a full handshake): its first word within `answerMs` decides (an alert:
 *   it refused; data or close_notify: it went on), silence ends it;
 * - `probe`: the peer owes an answer to our last flight (TLS 1.3: our
 *   invalid Finished flight): what it sends decides (an alert: it refused;
 *   a ticket or data: it went on); after `quietMs` of silence, or after
 *   words that may answer only our Finished (a ticket), our application
 *   data invites an answer, then `answerMs` more.
 *
 * While handshaking the peer owes its next flight or an alert within
 * `answerMs`, or `quietMs` when silence is a right answer (an incomplete
 * flow). No fixed settle or read time is spent once the peer has spoken.
 */
import { connect, type Socket } from 'node:net';
import type { TlsClient } from '../engine/client';
import type { TlsServer } from '../engine/server';
import { SocketReader, type SocketRun } from '../engine/socket';
import type { WireRecord } from '../engine/types';
import { concatBytes } from '../wire/hex';
import { AlertDescription, ContentType } from '../wire/registry';

const HANDSHAKE: number = ContentType.handshake;

export type AfterConnect = 'stop' | 'listen' | 'await' | 'probe';

export interface ExchangePolicy {
  /** How long the peer may take when it owes an answer (its flight, an alert, the answer to our data). */
  answerMs: number;
  /** While handshaking, how long the peer may take for its next flight or an alert (default `answerMs`; fuzz/timing.ts). */
  handshakeMs?: number;
  /** How long silence is waited for where silence is a right answer. */
  quietMs: number;
  /** Deadline of the whole conversation. */
  totalMs: number;
  /**
   * What follows a completed handshake; a function is told how many bytes we had sent before the peer's answer
   * that completed it, and of those how many up to the end of our last record carrying a handshake message (an
   * invalid input within them was answered by the peer's Finished; a record after our flight was not).
   */
  afterConnect: AfterConnect | ((sentBeforeAnswer: number, flightBeforeAnswer: number) => AfterConnect);
  /** Sent by `probe` after quietMs of silence. */
  appData?: Uint8Array;
  /** While handshaking, silence is a right answer (an incomplete flow): wait quietMs, not answerMs. */
  silenceOk?: boolean;
  /** Once decided, say goodbye with close_notify when the connection is still up (default true). */
  closeNotify?: boolean;
  /**
   * Bytes of ours sent before our invalid input (undefined: none yet). When it went out after the handshake completed
   * on our side (a post-handshake message, e.g. a broken NewSessionTicket), the peer's first word may have crossed it
   * on the wire (its data, sent before it read ours): `await` then listens `quietMs` more for its answer to it.
   */
  invalidFrom?: () => number | undefined;
  /**
   * TLS 1.2: once the first handshake is done, renegotiate (RFC 5746; our client sends a ClientHello, our server a
   * HelloRequest) and treat the renegotiation as handshaking; `afterConnect` then settles what follows it (or the
   * peer's no_renegotiation warning, which leaves our endpoint connected without a new handshake).
   */
  renegotiate?: boolean;
  /**
   * `probe` only: what our endpoint sends right before its application data (TLS 1.3 KeyUpdates, fuzz/families.ts
   * `keyupdate`), once the peer has been silent for answerMs after the handshake: what it sent unasked before (tickets,
   * a greeting) is in, and what follows answers these records and the data.
   */
  afterHandshake?: (endpoint: TlsClient | TlsServer) => Promise<WireRecord[]>;
  /**
   * While handshaking, the first flight of ours with a record this matches (given its place in the flight) is split
   * before each record it matches: the part before the first goes out at once, each further part once the peer has
   * been silent for quietMs after the part before it (what the peer sends before then answers the parts out alone,
   * e.g. an alert to our TLS 1.2 ClientKeyExchange before our ChangeCipherSpec, or to our ChangeCipherSpec before our
   * Finished).
   */
  holdFrom?: (r: WireRecord, i: number, flight: readonly WireRecord[]) => boolean;
}

export interface Exchanged extends SocketRun {
  /** Time from our first bytes to the peer's first answer (the conversation's round trip, server work included). */
  firstAnswerMs?: number;
  /** Time of the whole exchange. */
  ms: number;
  /** While handshaking, the longest the peer took for bytes it owed (one read, from its start to the bytes). */
  slowestFlightMs?: number;
  /** With `renegotiate`: whether our endpoint started the renegotiation, or why it could not. */
  renegotiation?: { started: true } | { started: false; why: string };
}

/** Connect our client to host:port; undefined when the connection is refused or fails (the reason given). */
export async function connectTo(host: string, port: number): Promise<{ socket: Socket } | { error: string }> {
  const socket = connect({ host, port });
  socket.setNoDelay(true);
  const r = await new Promise<true | string>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('error', (e) => resolve(e.message));
  });
  if (r !== true) {
    socket.destroy();
    return { error: r };
  }
  return { socket };
}

/** How long a decided conversation waits for the peer to close after our FIN before the socket is destroyed. */
const LINGER_MS = 200;

/** Tickets our client has received (our server receives none). */
const ticketCount = (e: TlsClient | TlsServer): number => ('tickets' in e ? e.tickets.length : 0);

/**
 * Our endpoint is in a handshake: the first one, or a TLS 1.2 renegotiation, which counts from our request on
 * (`asked`: our server's HelloRequest leaves it connected until the client's ClientHello comes) until it completed or
 * the peer declined it with the warning no_renegotiation.
 */
const handshaking = (e: TlsClient | TlsServer, asked: boolean): boolean =>
  !e.connected ||
  e.renegotiationInProgress ||
  (asked && e.renegotiations === 0 && !e.warningsReceived.some((a) => a.description === AlertDescription.no_renegotiation));

/** Start a TLS 1.2 renegotiation: our client's ClientHello, or our server's HelloRequest. */
async function startRenegotiation(e: TlsClient | TlsServer): Promise<WireRecord[]> {
  return 'renegotiate' in e ? e.renegotiate() : e.requestRenegotiation();
}

/**
 * `afterHandshake` of a conversation with TLS 1.3 KeyUpdates (the keyupdate families): our endpoint's KeyUpdates once
 * connected (true: update_requested), each switching its write keys (RFC 8446 §4.6.3).
 */
export function keyUpdatesOf(updates: readonly boolean[]): (e: TlsClient | TlsServer) => Promise<WireRecord[]> {
  return async (e) => {
    const out: WireRecord[] = [];
    for (const requested of updates) {
      if (e.terminal) break;
      out.push(...(await e.keyUpdate(requested)));
    }
    return out;
  };
}

/** Run an endpoint over a connected socket until the outcome is decided (see the header). */
export async function exchange(
  endpoint: TlsClient | TlsServer,
  socket: Socket,
  policy: ExchangePolicy,
  reader: SocketReader = new SocketReader(socket),
): Promise<Exchanged> {
  try {
    return await exchangeOn(endpoint, socket, policy, reader);
  } catch (e) {
    // an error that is no TLS outcome (a mutation hook that throws, a bug): the connection does not outlive it
    socket.destroy();
    throw e;
  }
}

async function exchangeOn(
  endpoint: TlsClient | TlsServer,
  socket: Socket,
  policy: ExchangePolicy,
  reader: SocketReader,
): Promise<Exchanged> {
  const t0 = performance.now();
  const deadline = Date.now() + policy.totalMs;
  const run: Exchanged = { end: { kind: 'done', outcome: endpoint.outcome }, records: [], received: [], ms: 0 };
  let sentAt: number | undefined;
  let sentBytes = 0;
  /** Bytes sent up to the end of our last record that carried handshake content. */
  let flightBytes = 0;
  // a hook ended our side of the transport (a truncation, HookFrame.closeTransport): nothing more is sent or recorded
  // after the records queued with it, and the peer's answer is still read (as engine/socket.ts drive does)
  let finSent = false;
  /** The parts of a flight held back by `holdFrom` (once per conversation), each sent after quietMs of the peer's silence. */
  let heldBack: WireRecord[][] = [];
  let holding = policy.holdFrom !== undefined;
  const send = (all: readonly WireRecord[]) => {
    if (finSent) return;
    let recs = all;
    const hold = holding ? policy.holdFrom : undefined;
    const cuts = hold ? all.flatMap((r, i) => (hold(r, i, all) ? [i] : [])) : [];
    if (cuts.length) {
      holding = false;
      heldBack = cuts.map((from, j) => all.slice(from, cuts[j + 1] ?? all.length));
      recs = all.slice(0, cuts[0]);
    }
    for (const r of recs) {
      run.records.push(r.plaintext ? { dir: 'sent', raw: r.raw, plaintext: r.plaintext } : { dir: 'sent', raw: r.raw });
      sentBytes += r.raw.length;
      if ((r.plaintext?.contentType ?? r.raw[0]) === HANDSHAKE) flightBytes = sentBytes;
    }
    if (recs.length && !socket.destroyed && socket.writable) {
      socket.write(concatBytes(recs.map((r) => r.raw)));
      sentAt ??= performance.now();
    }
    if (endpoint.transportClosed && !socket.destroyed) {
      finSent = true;
      socket.end();
    }
  };
  const finish = (): Exchanged => {
    run.ms = performance.now() - t0;
    return run;
  };
  send((await endpoint.start()).send);
  /** Bytes came after the handshake completed: the peer answered what completed it. */
  let spokeAfterConnect = false;
  let listened = false;
  let appSent = false;
  /** Probing: what came after our data was only tickets. */
  let ticketOnly = false;
  let mode: AfterConnect | undefined;
  let sentBeforeAnswer = 0;
  let flightBeforeAnswer = 0;
  /** Bytes of ours sent when the handshake completed on our side. */
  let connectedAt: number | undefined;
  /** `await` listened once more after the peer's first word (our invalid input came after the handshake). */
  let held = false;
  /** Probing: `afterHandshake`'s records, then our data; false when our endpoint stopped before the data. */
  const sendData = async (data: Uint8Array): Promise<boolean> => {
    if (policy.afterHandshake) {
      send(await policy.afterHandshake(endpoint));
      if (endpoint.terminal) return false;
    }
    send(await endpoint.sendApplicationData(data));
    return true;
  };
  const invalidAfterConnect = (): boolean => {
    const from = policy.invalidFrom?.();
    return from !== undefined && connectedAt !== undefined && from >= connectedAt;
  };
  for (;;) {
    if (endpoint.terminal) break;
    if (policy.renegotiate && !run.renegotiation && endpoint.connected) {
      try {
        const recs = await startRenegotiation(endpoint);
        run.renegotiation = { started: true };
        send(recs);
      } catch (e) {
        // our endpoint may not renegotiate on this connection (e.g. our server's policy, RFC 5746 §4.4): nothing to judge
        run.renegotiation = { started: false, why: e instanceof Error ? e.message : String(e) };
        break;
      }
      if (endpoint.terminal) break;
    }
    let wait: number;
    if (!handshaking(endpoint, run.renegotiation?.started === true)) {
      mode ??=
        typeof policy.afterConnect === 'function'
          ? policy.afterConnect(sentBeforeAnswer, flightBeforeAnswer)
          : policy.afterConnect;
      if (mode === 'stop') break;
      if (spokeAfterConnect) {
        // probe: what the peer said may answer our Finished (a TLS 1.3 ticket) and not what we sent after it (a record
        // pipelined after our Finished): our data asks for the answer that shows whether it read past that
        if (mode === 'await' && !held && !finSent && invalidAfterConnect()) {
          // the peer's word may have crossed our post-handshake input: its answer to that input is still owed
          held = true;
          spokeAfterConnect = false;
          wait = policy.quietMs;
        } else if (mode !== 'probe' || appSent || !policy.appData || finSent) break;
        else if (policy.afterHandshake) {
          // what the peer sends unasked after the handshake (tickets, a greeting) is in before our KeyUpdates: listen on
          // until it is silent, so that its words after them answer them (RFC 8446 §4.6.3: data already in flight
          // when the peer reads our update_requested need not follow its KeyUpdate). Silent for answerMs, not quietMs:
          // a loaded peer's greeting can come later than quietMs after its tickets, and crossing our update_requested
          // it would read as data before the peer's KeyUpdate (t13.neg.keyupdate-values)
          spokeAfterConnect = false;
          listened = true;
          wait = policy.answerMs;
        } else {
          appSent = true;
          listened = true;
          spokeAfterConnect = false;
          if (!(await sendData(policy.appData))) break;
          wait = policy.answerMs;
        }
      } else if (!listened) {
        listened = true;
        // before KeyUpdates: as long as for an owed answer (see above), for words the peer sends unasked
        wait = mode === 'await' || policy.afterHandshake ? policy.answerMs : policy.quietMs;
      } else if (mode === 'await') break;
      else if (mode === 'probe' && !appSent && policy.appData) {
        appSent = true;
        if (!(await sendData(policy.appData))) break;
        wait = policy.answerMs;
      } else if (mode === 'listen') break;
      else if (mode === 'probe' && ticketOnly) {
        // only a ticket came since our data: its answer is still owed
        ticketOnly = false;
        wait = policy.answerMs;
      } else {
        run.end = { kind: 'timed_out', afterMs: policy.quietMs + policy.answerMs, overall: false, outcome: endpoint.outcome };
        socket.destroy();
        return finish();
      }
    } else wait = heldBack.length || policy.silenceOk ? policy.quietMs : (policy.handshakeMs ?? policy.answerMs);
    const left = deadline - Date.now();
    const connectedBefore = !handshaking(endpoint, run.renegotiation?.started === true);
    /** The peer owes its next flight (or an alert): how long it takes for it is measured. */
    const owed = !connectedBefore && !policy.silenceOk && !heldBack.length;
    const readAt = performance.now();
    const r = left > 0 ? await reader.read(Math.min(wait, left)) : ({ kind: 'timed_out' } as const);
    if (r instanceof Uint8Array) {
      const took = performance.now() - readAt;
      if (owed && took > (run.slowestFlightMs ?? 0)) run.slowestFlightMs = took;
    } else {
      if (r.kind === 'timed_out' && connectedBefore && left > wait) continue; // the next phase of afterConnect
      if (r.kind === 'timed_out' && heldBack.length && left > wait) {
        // the peer said nothing to what of our flight is out: its next part goes out
        const [next = [], ...rest] = heldBack;
        heldBack = rest;
        send(next);
        continue;
      }
      const overall = Date.now() >= deadline;
      run.end =
        r.kind === 'timed_out'
          ? { kind: 'timed_out', afterMs: overall ? policy.totalMs : wait, overall, outcome: endpoint.outcome }
          : r.kind === 'reset'
            ? { kind: 'reset', error: r.error, outcome: endpoint.outcome }
            : { kind: 'closed', outcome: endpoint.outcome };
      socket.destroy();
      return finish();
    }
    if (run.firstAnswerMs === undefined && sentAt !== undefined) run.firstAnswerMs = performance.now() - sentAt;
    run.records.push({ dir: 'received', raw: r });
    if (!connectedBefore) {
      sentBeforeAnswer = sentBytes;
      flightBeforeAnswer = flightBytes;
    }
    const ticketsBefore = ticketCount(endpoint);
    const res = await endpoint.receive(r);
    run.received.push(...res.appData);
    if (!connectedBefore && endpoint.connected) connectedAt = sentBytes;
    send(res.send);
    // probing after our data: a TLS 1.3 ticket answers our Finished (a server may send several, apart), not our data
    const onlyTickets = ticketCount(endpoint) > ticketsBefore && res.appData.length === 0 && !endpoint.terminal;
    if (connectedBefore && mode === 'probe' && appSent && onlyTickets) ticketOnly = true;
    else if (connectedBefore) spokeAfterConnect = true;
  }
  run.end = { kind: 'done', outcome: endpoint.outcome };
  // decided: a completed connection is closed politely (close_notify), a failed one just ends (our alert is out)
  if (endpoint.connected && !endpoint.terminal && policy.closeNotify !== false && !finSent) send(await endpoint.close());
  // the socket is closed before the exchange returns (a run returns with none of its sockets open): once the peer
  // closes too, or after a short linger
  const out = finish();
  socket.end();
  await new Promise<void>((resolve) => {
    if (socket.destroyed) return resolve();
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => {
      clearTimeout(linger);
      resolve();
    });
  });
  return out;
}
