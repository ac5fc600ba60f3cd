/**
 * How long a live conversation waits, adapted to the peer. The probe and the
 * first sanity handshake run with the ceilings (`--timeout`, default 3 s per
 * answer; 10 s per conversation); from the sanity handshake on, its round
 * trip (the whole handshake on the wire, the peer's own work included; for
 * a client, its answer to our first flight) sets the waits:
 *
 * - `answerMs`: how long a peer that owes an answer (its next flight, an
 *   alert, the answer to our data) may take: 20 round trips, at least
 *   250 ms, at most the ceiling. A conversation that ends `hung` on it is
 *   run again with the ceilings before it is reported, so a peer slowed
 *   down for a moment (a loaded machine) is not a finding;
 * - `quietMs`: how long silence is waited for where silence is a right
 *   answer (an incomplete flow; after a completed TLS 1.3 handshake, before
 *   our data invites an answer): 4 round trips, at least 60 ms, at most
 *   `answerMs`.
 *
 * A target may answer later than its sanity handshake said, and not for a
 * moment only: `openssl s_server -www` and `-rev` sleep a second whenever a
 * read finds nothing (after a refused renegotiation, the next connection
 * waits for it). When a `hung` conversation's re-run with the ceilings then
 * decides it, and the target took longer than the handshake wait for a
 * flight it owed in it, `handshakeMs` (the wait for the peer's next flight
 * while handshaking; `answerMs` until then) becomes 1.5 times that time (at
 * most the ceiling) for the rest of the run (`slowed`): the next
 * conversations get the flight on their own waits instead of hanging and
 * running again with the ceilings. A flight owed while handshaking is never
 * a right silence, so a longer wait for it only sees what the ceilings would
 * have seen; the waits after the handshake (`answerMs`, `quietMs`), where a
 * peer that never answers is common, stay as measured.
 */
import type { BudgetOptions } from './options';

export interface Timing {
  answerMs: number;
  quietMs: number;
  totalMs: number;
  /** While handshaking, the wait for the peer's next flight when longer than `answerMs` (`slowed`). */
  handshakeMs?: number;
  /** The measured round trip the waits derive from (absent: the ceilings). */
  rttMs?: number;
}

export const DEFAULT_READ_TIMEOUT_MS = 3000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 10_000;

/** The ceilings: what the probe and the first sanity handshake use, and what a `hung` conversation is re-run with. */
export function ceilings(b: Pick<BudgetOptions, 'readTimeoutMs' | 'totalTimeoutMs'>): Timing {
  const answerMs = b.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  return { answerMs, quietMs: Math.min(1000, answerMs), totalMs: b.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS };
}

/** The waits for a peer whose first answer took `rttMs` (see the header). */
export function adapted(b: Pick<BudgetOptions, 'readTimeoutMs' | 'totalTimeoutMs'>, rttMs: number | undefined): Timing {
  const c = ceilings(b);
  if (rttMs === undefined || !(rttMs >= 0)) return c;
  const answerMs = Math.min(c.answerMs, Math.max(250, Math.ceil(20 * rttMs)));
  const quietMs = Math.min(answerMs, Math.max(60, Math.ceil(4 * rttMs)));
  return { answerMs, quietMs, totalMs: c.totalMs, rttMs };
}

/**
 * The waits after a re-run with the ceilings decided a conversation in which the target took `flightMs` for a flight
 * it owed while handshaking: `handshakeMs` covers 1.5 times that (at most the ceiling), never less than before (see
 * the header).
 */
export function slowed(t: Timing, flightMs: number, ceiling: Pick<Timing, 'answerMs'>): Timing {
  const now = t.handshakeMs ?? t.answerMs;
  if (!(flightMs > now)) return t;
  return { ...t, handshakeMs: Math.max(now, Math.min(ceiling.answerMs, Math.ceil(1.5 * flightMs))) };
}

/** The waits of a conversation's exchange (fuzz/exchange.ts ExchangePolicy) from the run's timing. */
export function waitsOf(t: Timing): { answerMs: number; quietMs: number; totalMs: number; handshakeMs?: number } {
  const w = { answerMs: t.answerMs, quietMs: t.quietMs, totalMs: t.totalMs };
  return t.handshakeMs !== undefined ? { ...w, handshakeMs: t.handshakeMs } : w;
}
