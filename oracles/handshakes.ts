/**
 * The handshakes of one connection. A TLS 1.2 connection may run several
 * (renegotiation, RFC 5246 §7.4.1.1 and RFC 5746): each after the first
 * starts with a ClientHello sent once both sides' Finished of the handshake
 * before were seen, and runs under that handshake's keys until its own
 * ChangeCipherSpecs. The evaluator judges each handshake as a transcript of
 * its own, so every rule sees one handshake (its hellos, its key log line,
 * its Finished, its key exchange), and the renegotiation rules see the
 * handshake before it.
 *
 * Each part keeps the original message and record objects (their indices,
 * so verdicts point into the whole transcript). Messages go to the
 * handshake they belong to; a record goes to the handshake whose keys
 * protect it: in each direction, the records up to and including a
 * renegotiation's ChangeCipherSpec are still under the previous handshake's
 * keys (RFC 5246 §6.1, §7.1), so they stay with it, and its sequence
 * numbers run on. Key-exchange secrets that name a client random go to
 * that handshake; the others to the first.
 */
import { selectedVersion } from '../transcript/build';
import type { Direction, Transcript, TranscriptMessage } from '../transcript/model';
import { isHelloRetryRequest } from '../wire/handshake';
import { bytesEqual } from '../wire/hex';
import { AlertDescription, AlertLevel } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';

/** The version the first ServerHello (not a HelloRetryRequest) selects, when it is readable. */
function firstVersion(t: Transcript): number | undefined {
  for (const m of t.messages) {
    const b = m.decoded?.body;
    if (b?.type === 'server_hello' && !isHelloRetryRequest(b)) return selectedVersion(b.legacyVersion, b.extensions);
  }
  return undefined;
}

const isRefusal = (m: TranscriptMessage) =>
  m.dir === 'S->C' && m.alert?.level === AlertLevel.warning && m.alert.description === AlertDescription.no_renegotiation;

/**
 * Which handshake each message of the connection belongs to (index into the parts), or undefined when the
 * connection is not TLS 1.2 or has no renegotiation. A ClientHello the client sends once the current handshake has
 * both Finished starts the next handshake. A renegotiation the server refuses (the warning no_renegotiation before any
 * ServerHello, RFC 5246 §7.2.2) keeps its ClientHello and the refusal; what follows goes back to the handshake whose
 * keys are still in use (a later ClientHello starts a new attempt).
 */
function partOfEach(t: Transcript): number[] | undefined {
  if (firstVersion(t) !== VERSION_CODE['1.2']) return undefined;
  const of: number[] = [];
  let current = 0;
  let live = 0;
  let parts = 1;
  const fin: Record<Direction, boolean> = { 'C->S': false, 'S->C': false };
  let serverHello = false;
  let refused = false;
  for (const m of t.messages) {
    const hello = m.dir === 'C->S' && m.type === 'client_hello';
    if (hello && ((fin['C->S'] && fin['S->C']) || refused)) {
      current = parts++;
      fin['C->S'] = false;
      fin['S->C'] = false;
      serverHello = false;
      refused = false;
    }
    of.push(refused ? live : current);
    if (refused) continue;
    if (m.type === 'server_hello') serverHello = true;
    if (m.type === 'finished') fin[m.dir] = true;
    if (fin['C->S'] && fin['S->C']) live = current;
    if (current > 0 && !serverHello && isRefusal(m)) refused = true;
  }
  return parts > 1 ? of : undefined;
}

/** A renegotiation attempt the server refused: a ClientHello answered by the warning no_renegotiation, no ServerHello. */
export function refusedAttempt(part: Transcript): boolean {
  return !part.messages.some((m) => m.type === 'server_hello') && part.messages.some(isRefusal);
}

/** Indices (into t.messages) of the ClientHellos that start a TLS 1.2 renegotiation (attempt). */
export function renegotiationStarts(t: Transcript): number[] {
  const of = partOfEach(t);
  if (!of) return [];
  return of.flatMap((k, i) => (i > 0 && k > Math.max(...of.slice(0, i)) ? [i] : []));
}

/** The ClientHello random of a handshake part, when its ClientHello is decoded. */
function randomOf(messages: readonly TranscriptMessage[]): Uint8Array | undefined {
  const b = messages.find((m) => m.type === 'client_hello')?.decoded?.body;
  return b?.type === 'client_hello' ? b.random : undefined;
}

/** The connection's handshakes as transcripts of their own (one part when there is no renegotiation). */
export function splitHandshakes(t: Transcript): Transcript[] {
  const of = partOfEach(t);
  if (!of) return [t];
  const count = Math.max(...of) + 1;
  const parts = Array.from({ length: count }, (_, k) => t.messages.filter((_m, i) => of[i] === k));
  // Records: each direction switches to handshake k's keys after the ChangeCipherSpec it sends in handshake k (k >= 1).
  const switchAt: Record<Direction, number[]> = { 'C->S': [], 'S->C': [] };
  for (const [k, msgs] of parts.entries()) {
    if (k === 0) continue;
    for (const dir of ['C->S', 'S->C'] as const) {
      const ccs = msgs.find((m) => m.dir === dir && m.kind === 'change_cipher_spec');
      switchAt[dir][k] = ccs?.records?.length ? Math.max(...ccs.records) : Number.POSITIVE_INFINITY;
    }
  }
  const recordPart = (index: number, dir: Direction) => {
    let k = 0;
    for (let j = 1; j < count; j++) if (index > (switchAt[dir][j] ?? Number.POSITIVE_INFINITY)) k = j;
    return k;
  };
  const partOfMessage = (index: number) => of[Math.min(index, of.length - 1)] ?? 0;
  const randoms = parts.map(randomOf);
  // how the transport ended (FIN, RST) follows the connection's last message: it is that handshake's (the close_notify
  // before it is there too), not every handshake's
  const endedIn = of[of.length - 1] ?? 0;
  return parts.map((messages, k) => {
    const { ends, ...rest } = t;
    const part: Transcript = {
      ...rest,
      messages,
      records: t.records.filter((r) => recordPart(r.index, r.dir) === k),
      gaps: t.gaps.filter((g) => partOfMessage(g.fromMessage ?? 0) === k),
    };
    if (ends && k === endedIn) part.ends = ends;
    const eph = t.secrets?.ephemeral;
    if (t.secrets && eph) {
      const mine = eph.filter((e) => {
        if (!e.clientRandom) return k === 0;
        const r = randoms[k];
        return r !== undefined && bytesEqual(e.clientRandom, r);
      });
      part.secrets = { ...t.secrets, ephemeral: mine };
    }
    return part;
  });
}
