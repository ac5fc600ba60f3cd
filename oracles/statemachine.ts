/**
 * The TLS 1.2 and TLS 1.3 handshake state machines as data (RFC 5246 §7.3
 * figures 1-2, RFC 5077 §3.1, RFC 6066 §8, RFC 8446 App. A), one table per
 * version seen from the connection: each transition names the direction
 * (`C->S` = the client sends, the server receives), the message type and the
 * condition under which it is allowed. `roleView` gives the same table as
 * the client's or the server's machine (send / recv). Epsilon transitions
 * (no message) express optional messages.
 *
 * Conditions read `Facts` (what the hellos negotiated). A fact that is not
 * known (hand-written transcript without bytes) leaves both branches open,
 * so the walk is over a set of states. A live fuzzer can use `expectedNext`
 * and `step` with the facts it knows.
 *
 * Not in the tables: alerts (allowed anywhere, see the alert rules) and, in
 * TLS 1.3, the unprotected dummy change_cipher_spec records (see
 * `rec.t13.ccs-compat`).
 */
import type { TranscriptMessage } from '../transcript/model';
import type { Direction, Side, StepName, TlsVersion } from '../wire/vocabulary';
import { type Context, bodyOf, isUnreadable, unreadableWhy } from './context';
import { factsOf } from './flow';
import { type Outcome, inconclusive, pass, violation } from './rule';

/** What the hellos negotiated; undefined = not known. */
export interface Facts {
  /** TLS 1.2: the ServerHello resumes a session (abbreviated handshake). */
  resumed?: boolean;
  /** TLS 1.2: the key exchange is authenticated with a server certificate. */
  certKex?: boolean;
  /** TLS 1.2: the key exchange needs a ServerKeyExchange (ephemeral or anonymous). */
  skeRequired?: boolean;
  /** TLS 1.2: anonymous key exchange. */
  anon?: boolean;
  /** status_request in both ClientHello and ServerHello. */
  statusAgreed?: boolean;
  /** TLS 1.2: ServerHello carries the SessionTicket extension. */
  ticketExt?: boolean;
  /** TLS 1.3: the server accepted a PSK (pre_shared_key in ServerHello). */
  psk?: boolean;
  /** TLS 1.3: the server accepted early data (early_data in EncryptedExtensions). */
  earlyAccepted?: boolean;
  /** TLS 1.3: the ClientHello offered early_data (and no HelloRetryRequest rejected it). */
  earlyOffered?: boolean;
  /**
   * TLS 1.3: the first ClientHello offered early_data, whatever came next: its 0-RTT data follows it also when a
   * HelloRetryRequest then rejects it (RFC 8446 §4.2.10: the server "ignores early data by skipping all records with an
   * external content type of "application_data"").
   */
  earlyFirst?: boolean;
  /** TLS 1.3: the client offered post_handshake_auth. */
  postHandshakeAuth?: boolean;
  /** TLS 1.2: this handshake is a renegotiation (application data goes on under the previous keys). */
  renegotiation?: boolean;
}

type Tri = boolean | undefined;
/** A condition: true allowed, false not allowed, undefined unknown (allowed, the walk keeps both branches). */
export type Condition = (f: Facts, m?: TranscriptMessage) => Tri;

export interface Transition {
  from: string;
  to: string;
  /** Absent for an epsilon transition (an optional message that is not there). */
  dir?: Direction;
  /** Handshake type, `hello_retry_request`, `change_cipher_spec` or `application_data`. */
  type?: StepName;
  when?: Condition;
  /** The condition in words. */
  note?: string;
}

export interface StateMachine {
  name: string;
  version: TlsVersion;
  initial: string;
  /** States where the handshake is complete. */
  connected: string[];
  transitions: Transition[];
}

const not = (x: Tri): Tri => (x === undefined ? undefined : !x);

/** A Certificate message with at least one certificate; undefined when not decoded. */
export function certificateNonEmpty(m: TranscriptMessage | undefined): Tri {
  const b = bodyOf(m);
  if (b?.type !== 'certificate') return undefined;
  return b.form === 'tls12' ? b.certificates.length > 0 : b.entries.length > 0;
}

const S = 'S->C' as const;
const C = 'C->S' as const;
const t = (from: string, dir: Direction, type: StepName, to: string, when?: Condition, note?: string): Transition => {
  const tr: Transition = { from, to, dir, type };
  if (when) tr.when = when;
  if (note) tr.note = note;
  return tr;
};
const eps = (from: string, to: string, when: Condition, note: string): Transition => ({ from, to, when, note });

/**
 * TLS 1.3: a client record of the early epoch after a server that did not accept early data: 0-RTT data the client
 * sent before it read the refusal (it stops at the server's answer; until then its records are early ones, RFC 8446
 * §2.3), which the server skips: "ignore the extension and return a regular 1-RTT response. The server then skips past
 * early data by attempting to deprotect received records using the handshake traffic key, discarding records which
 * fail deprotection (up to the configured max_early_data_size)" (RFC 8446 §4.2.10).
 */
const refusedEarly: Condition = (f, m) => {
  if (m?.epoch !== 'early') return false;
  if (!f.earlyOffered) return f.earlyOffered === undefined ? undefined : false;
  return not(f.earlyAccepted);
};

/** TLS 1.2 states of a renegotiation before either side's ChangeCipherSpec (full and abbreviated handshakes). */
const RENEGOTIATION_BOTH = [
  'WAIT_SH',
  'WAIT_CERT',
  'WAIT_CS',
  'WAIT_SKE',
  'WAIT_CR_OR_SHD',
  'WAIT_SHD',
  'C_CERT',
  'C_CKE',
  'C_CKE_THEN_CV',
  'C_CV',
  'C_CCS',
  'R_WAIT_NST_OR_CCS',
  'R_S_CCS',
];

export const TLS12: StateMachine = {
  name: 'TLS 1.2 handshake',
  version: '1.2',
  initial: 'START',
  connected: ['CONNECTED'],
  transitions: [
    t('START', C, 'client_hello', 'WAIT_SH'),
    t('WAIT_SH', S, 'hello_request', 'WAIT_SH', undefined, 'ignored while a handshake is in progress'),
    t('WAIT_SH', S, 'server_hello', 'WAIT_CERT', (f) => not(f.resumed), 'new session (full handshake)'),
    t('WAIT_SH', S, 'server_hello', 'R_WAIT_NST_OR_CCS', (f) => f.resumed, 'session resumed (abbreviated handshake)'),
    // full handshake, server flight
    t('WAIT_CERT', S, 'certificate', 'WAIT_CS', (f) => f.certKex, 'key exchange authenticated by certificate'),
    eps('WAIT_CERT', 'WAIT_SKE', (f) => not(f.certKex), 'anonymous key exchange: no Certificate'),
    t('WAIT_CS', S, 'certificate_status', 'WAIT_SKE', (f) => f.statusAgreed, 'status_request in ClientHello and ServerHello'),
    eps('WAIT_CS', 'WAIT_SKE', () => true, 'no CertificateStatus'),
    t('WAIT_SKE', S, 'server_key_exchange', 'WAIT_CR_OR_SHD', (f) => f.skeRequired, 'ephemeral or anonymous key exchange'),
    eps('WAIT_SKE', 'WAIT_CR_OR_SHD', (f) => not(f.skeRequired), 'static key exchange: no ServerKeyExchange'),
    t('WAIT_CR_OR_SHD', S, 'certificate_request', 'WAIT_SHD', (f) => not(f.anon), 'non-anonymous suite'),
    t('WAIT_CR_OR_SHD', S, 'server_hello_done', 'C_CKE'),
    t('WAIT_SHD', S, 'server_hello_done', 'C_CERT'),
    // full handshake, client flight
    t('C_CERT', C, 'certificate', 'C_CKE_THEN_CV', (_f, m) => certificateNonEmpty(m), 'non-empty client certificate'),
    t('C_CERT', C, 'certificate', 'C_CKE', (_f, m) => not(certificateNonEmpty(m)), 'empty client certificate'),
    t('C_CKE', C, 'client_key_exchange', 'C_CCS'),
    t('C_CKE_THEN_CV', C, 'client_key_exchange', 'C_CV'),
    t('C_CV', C, 'certificate_verify', 'C_CCS'),
    t('C_CCS', C, 'change_cipher_spec', 'C_FIN'),
    t('C_FIN', C, 'finished', 'S_NST_OR_CCS'),
    t('S_NST_OR_CCS', S, 'new_session_ticket', 'S_CCS', (f) => f.ticketExt, 'ServerHello had SessionTicket'),
    t('S_NST_OR_CCS', S, 'change_cipher_spec', 'S_FIN', (f) => not(f.ticketExt), 'ServerHello had no SessionTicket'),
    t('S_CCS', S, 'change_cipher_spec', 'S_FIN'),
    t('S_FIN', S, 'finished', 'CONNECTED'),
    // abbreviated handshake
    t('R_WAIT_NST_OR_CCS', S, 'new_session_ticket', 'R_S_CCS', (f) => f.ticketExt, 'ServerHello had SessionTicket'),
    t('R_WAIT_NST_OR_CCS', S, 'change_cipher_spec', 'R_S_FIN', (f) => not(f.ticketExt), 'ServerHello had no SessionTicket'),
    t('R_S_CCS', S, 'change_cipher_spec', 'R_S_FIN'),
    t('R_S_FIN', S, 'finished', 'R_C_CCS'),
    t('R_C_CCS', C, 'change_cipher_spec', 'R_C_FIN'),
    t('R_C_FIN', C, 'finished', 'CONNECTED'),
    // a renegotiation: each side's application data goes on under the previous keys until its own ChangeCipherSpec
    // (RFC 5246 §6.2.1 keeps the protocols apart; §7.4.1.1: renegotiation happens within the connection; tlsfuzzer's
    // test-interleaved-application-data-in-renegotiation)
    ...[...RENEGOTIATION_BOTH, 'R_S_FIN', 'R_C_CCS'].map((s) =>
      t(s, C, 'application_data', s, (f) => f.renegotiation === true, 'renegotiation: before the client ChangeCipherSpec'),
    ),
    ...[...RENEGOTIATION_BOTH, 'C_FIN', 'S_NST_OR_CCS', 'S_CCS'].map((s) =>
      t(s, S, 'application_data', s, (f) => f.renegotiation === true, 'renegotiation: before the server ChangeCipherSpec'),
    ),
    // connected
    t('CONNECTED', C, 'application_data', 'CONNECTED'),
    t('CONNECTED', S, 'application_data', 'CONNECTED'),
    t('CONNECTED', S, 'hello_request', 'CONNECTED', undefined, 'the client may renegotiate or decline'),
    t('CONNECTED', C, 'client_hello', 'WAIT_SH', undefined, 'renegotiation'),
  ],
};

export const TLS13: StateMachine = {
  name: 'TLS 1.3 handshake',
  version: '1.3',
  initial: 'START',
  connected: ['CONNECTED'],
  transitions: [
    t('START', C, 'client_hello', 'WAIT_SH'),
    t('WAIT_SH', C, 'application_data', 'WAIT_SH', (f) => f.earlyFirst, '0-RTT data after a ClientHello with early_data'),
    t('WAIT_SH', S, 'hello_retry_request', 'WAIT_CH2'),
    t('WAIT_CH2', C, 'application_data', 'WAIT_CH2', (f) => f.earlyFirst, '0-RTT data sent before the HelloRetryRequest arrived'),
    t('WAIT_CH2', C, 'client_hello', 'WAIT_SH2'),
    t('WAIT_SH', S, 'server_hello', 'WAIT_EE'),
    t('WAIT_SH2', S, 'server_hello', 'WAIT_EE'),
    t('WAIT_EE', C, 'application_data', 'WAIT_EE', (f) => f.earlyOffered, '0-RTT data'),
    t('WAIT_EE', S, 'encrypted_extensions', 'WAIT_S_FIN', (f) => f.psk, 'PSK accepted: no certificates'),
    t('WAIT_EE', S, 'encrypted_extensions', 'WAIT_CERT_CR', (f) => not(f.psk), 'certificate authentication'),
    t('WAIT_CERT_CR', S, 'certificate_request', 'WAIT_CERT+CR'),
    t('WAIT_CERT_CR', S, 'certificate', 'WAIT_CV'),
    t('WAIT_CERT+CR', S, 'certificate', 'WAIT_CV+CR'),
    t('WAIT_CV', S, 'certificate_verify', 'WAIT_S_FIN'),
    t('WAIT_CV+CR', S, 'certificate_verify', 'WAIT_S_FIN+CR'),
    ...['WAIT_CERT_CR', 'WAIT_CERT+CR', 'WAIT_CV', 'WAIT_CV+CR', 'WAIT_S_FIN', 'WAIT_S_FIN+CR'].map((s) =>
      t(s, C, 'application_data', s, (f) => f.earlyOffered, '0-RTT data'),
    ),
    t('WAIT_S_FIN', S, 'finished', 'C_FLIGHT'),
    t('WAIT_S_FIN+CR', S, 'finished', 'C_FLIGHT+CR'),
    // client's second flight; the server may already send 0.5-RTT data
    t('C_FLIGHT', C, 'application_data', 'C_FLIGHT', (f) => f.earlyAccepted, '0-RTT data before EndOfEarlyData'),
    t('C_FLIGHT+CR', C, 'application_data', 'C_FLIGHT+CR', (f) => f.earlyAccepted, '0-RTT data before EndOfEarlyData'),
    t('C_FLIGHT', C, 'end_of_early_data', 'C_FIN', (f) => f.earlyAccepted, 'EncryptedExtensions had early_data'),
    eps('C_FLIGHT', 'C_FIN', (f) => not(f.earlyAccepted), 'no early data accepted'),
    t('C_FLIGHT+CR', C, 'end_of_early_data', 'C_CERT', (f) => f.earlyAccepted, 'EncryptedExtensions had early_data'),
    eps('C_FLIGHT+CR', 'C_CERT', (f) => not(f.earlyAccepted), 'no early data accepted'),
    ...['C_CERT', 'C_FIN'].map((s) => t(s, C, 'application_data', s, refusedEarly, '0-RTT data the server refused and skips')),
    t('C_CERT', C, 'certificate', 'C_CV', (_f, m) => certificateNonEmpty(m), 'non-empty client certificate'),
    t('C_CERT', C, 'certificate', 'C_FIN', (_f, m) => not(certificateNonEmpty(m)), 'empty client certificate'),
    t('C_CV', C, 'certificate_verify', 'C_FIN'),
    t('C_FIN', C, 'finished', 'CONNECTED'),
    ...['C_FLIGHT', 'C_FLIGHT+CR', 'C_CERT', 'C_CV', 'C_FIN'].flatMap((s) => [
      t(s, S, 'application_data', s, undefined, '0.5-RTT data after the server Finished'),
      t(s, S, 'key_update', s, undefined, 'after the server Finished'),
    ]),
    // RFC 8446 §4.6.1 note: without client authentication the server may send tickets right after its Finished.
    ...['C_FLIGHT', 'C_FIN'].map((s) => t(s, S, 'new_session_ticket', s, undefined, 'no client authentication requested')),
    // connected
    t('CONNECTED', C, 'application_data', 'CONNECTED'),
    t('CONNECTED', S, 'application_data', 'CONNECTED'),
    t('CONNECTED', S, 'new_session_ticket', 'CONNECTED'),
    t('CONNECTED', C, 'key_update', 'CONNECTED'),
    t('CONNECTED', S, 'key_update', 'CONNECTED'),
    t('CONNECTED', S, 'certificate_request', 'PH_CERT', (f) => f.postHandshakeAuth, 'client offered post_handshake_auth'),
    t('PH_CERT', C, 'certificate', 'PH_CV', (_f, m) => certificateNonEmpty(m), 'non-empty client certificate'),
    t('PH_CERT', C, 'certificate', 'PH_FIN', (_f, m) => not(certificateNonEmpty(m)), 'empty client certificate'),
    t('PH_CV', C, 'certificate_verify', 'PH_FIN'),
    t('PH_FIN', C, 'finished', 'CONNECTED'),
    ...['PH_CERT', 'PH_CV', 'PH_FIN'].flatMap((s) => [
      t(s, S, 'application_data', s),
      t(s, S, 'new_session_ticket', s),
      t(s, S, 'key_update', s),
      t(s, C, 'application_data', s),
    ]),
  ],
};

/** The four role machines, as the coverage report and the fuzzers name them. */
export type MachineId = 't12-client' | 't12-server' | 't13-client' | 't13-server';

/**
 * A transition of a role's machine as walked. `via` is `send <type>` /
 * `recv <type>` for a message, `ε` for an epsilon transition.
 */
export interface TransitionRef {
  from: string;
  to: string;
  via: string;
}
export interface MachineTransition extends TransitionRef {
  machine: MachineId;
}

export function machineFor(version: TlsVersion): StateMachine {
  return version === '1.2' ? TLS12 : TLS13;
}

/** The machine of one party: its own messages are `send`, the peer's `recv`. */
export function roleView(machine: StateMachine, role: Side): Array<Transition & { action?: 'send' | 'recv' }> {
  const mine: Direction = role === 'client' ? 'C->S' : 'S->C';
  return machine.transitions.map((tr) => (tr.dir ? { ...tr, action: tr.dir === mine ? 'send' : 'recv' } : { ...tr }));
}

function allowed(tr: Transition, facts: Facts, m?: TranscriptMessage): boolean {
  return tr.when?.(facts, m) !== false;
}

/** The states reachable through epsilon transitions. */
export function closure(machine: StateMachine, states: Iterable<string>, facts: Facts): Set<string> {
  const out = new Set(states);
  const todo = [...out];
  while (todo.length) {
    const s = todo.pop()!;
    for (const tr of machine.transitions) {
      if (tr.from === s && !tr.dir && allowed(tr, facts) && !out.has(tr.to)) {
        out.add(tr.to);
        todo.push(tr.to);
      }
    }
  }
  return out;
}

export interface Expectation {
  dir: Direction;
  type: StepName;
}

/** The messages allowed next from a state (or set of states), sorted. */
export function expectedNext(machine: StateMachine, state: string | Iterable<string>, facts: Facts = {}): Expectation[] {
  const states = closure(machine, typeof state === 'string' ? [state] : state, facts);
  const seen = new Set<string>();
  const out: Expectation[] = [];
  for (const tr of machine.transitions) {
    if (!states.has(tr.from) || !tr.dir || !tr.type || !allowed(tr, facts)) continue;
    const key = `${tr.dir} ${tr.type}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ dir: tr.dir, type: tr.type });
    }
  }
  return out.sort((a, b) => `${a.dir} ${a.type}`.localeCompare(`${b.dir} ${b.type}`));
}

export type StepResult = { ok: true; states: Set<string> } | { ok: false; expected: Expectation[]; got: string; error: string };

export function describeExpected(e: readonly Expectation[]): string {
  return `[${e.map((x) => `${x.dir} ${x.type}`).join(', ')}]`;
}

/** A message that could not be read: it matches any transition of its direction. */
export const WILDCARD = '?';
/**
 * A protected record that could not be read (no key log): not a message. It
 * may hold any number of handshake messages of its direction (RFC 8446 §5.1
 * lets one record carry several), or none (application data, an alert), so
 * the walk goes on from every state reachable by zero or more transitions
 * of that direction.
 */
export const UNREADABLE_RECORD = '*';
/** What a walk consumes: a message type, the wildcard, or an unreadable record. */
export type WalkType = StepName | typeof WILDCARD | typeof UNREADABLE_RECORD;
/**
 * A message as `step` and `walk` take it. The type is a WalkType; plain
 * strings are accepted for the fuzzers' message lists (a name that is no
 * StepName matches no transition).
 */
export interface WalkMessage {
  dir: Direction;
  type: WalkType | (string & {});
  m?: TranscriptMessage;
}

/**
 * Consume one message. `type` `?` (WILDCARD) stands for a message that
 * could not be read: it matches any transition of its direction.
 */
export function step(machine: StateMachine, state: string | Iterable<string>, msg: WalkMessage, facts: Facts = {}): StepResult {
  const states = closure(machine, typeof state === 'string' ? [state] : state, facts);
  const next = new Set<string>();
  for (const tr of machine.transitions) {
    if (!states.has(tr.from) || tr.dir !== msg.dir || !tr.type) continue;
    if (msg.type !== WILDCARD && tr.type !== msg.type) continue;
    if (!allowed(tr, facts, msg.m)) continue;
    next.add(tr.to);
  }
  if (next.size) return { ok: true, states: next };
  const expected = expectedNext(machine, states, facts);
  const got = `${msg.dir} ${msg.type}`;
  return { ok: false, expected, got, error: `expected one of ${describeExpected(expected)}, got ${got}` };
}

export interface WalkResult {
  /** The first message that no transition accepts. */
  violation?: { index: number; expected: Expectation[]; got: string; error: string };
  /** States after the last message accepted. */
  states: Set<string>;
  /** Messages that could not be read and were matched as wildcards, and unreadable records. */
  wildcards: number;
  /** Messages walked. */
  walked: number;
}

/** The message kinds a walk looks at for a version (alerts never; TLS 1.3 dummy CCS neither). */
export function walkable(m: TranscriptMessage, version: TlsVersion): boolean {
  if (m.kind === 'alert') return false;
  if (m.kind === 'change_cipher_spec') return version === '1.2';
  return true;
}

/** The states reachable from `states` through any number (zero included) of transitions of one direction. */
function anyOf(machine: StateMachine, states: Iterable<string>, dir: Direction, facts: Facts): Set<string> {
  const out = closure(machine, states, facts);
  const todo = [...out];
  while (todo.length) {
    const s = todo.pop()!;
    for (const tr of machine.transitions) {
      if (tr.from !== s || (tr.dir !== undefined && tr.dir !== dir) || !allowed(tr, facts) || out.has(tr.to)) continue;
      out.add(tr.to);
      todo.push(tr.to);
    }
  }
  return out;
}

export function walk(machine: StateMachine, messages: readonly (WalkMessage & { index: number })[], facts: Facts): WalkResult {
  let states = new Set([machine.initial]);
  let wildcards = 0;
  let walked = 0;
  for (const msg of messages) {
    if (msg.type === UNREADABLE_RECORD) {
      states = anyOf(machine, states, msg.dir, facts);
      walked++;
      wildcards++;
      continue;
    }
    const r = step(machine, states, msg, facts);
    if (!r.ok)
      return { violation: { index: msg.index, expected: r.expected, got: r.got, error: r.error }, states, wildcards, walked };
    states = r.states;
    walked++;
    if (msg.type === WILDCARD) wildcards++;
  }
  return { states: closure(machine, states, facts), wildcards, walked };
}

/** The check of the state-machine rules: the transcript's messages walked through the version's machine. */
export function machineOutcome(ctx: Context, version: TlsVersion): Outcome {
  const msgs = ctx.t.messages
    .filter((m) => walkable(m, version))
    .map((m): { dir: Direction; type: WalkType; m: TranscriptMessage; index: number } => ({
      dir: m.dir,
      type: isUnreadable(m) ? UNREADABLE_RECORD : (ctx.steps.find((s) => s.m === m)?.sym ?? m.type),
      m,
      index: m.index,
    }));
  const r = walk(machineFor(version), msgs, factsOf(ctx));
  if (r.violation) {
    return violation(`Message ${r.violation.index} is out of order: ${r.violation.error}.`, {
      message: r.violation.index,
      expected: describeExpected(r.violation.expected),
      actual: r.violation.got,
    });
  }
  if (version === '1.3' && ctx.t.gaps.length)
    return inconclusive(
      `Part of the transcript could not be read (${ctx.t.gaps[0]!.reason}); the readable messages are in order.`,
    );
  if (r.wildcards > 0) {
    return inconclusive(
      `${r.wildcards} protected message(s) could not be read (${unreadableWhy(ctx)}), so their place in the state machine is unknown; the readable ones are in order.`,
    );
  }
  return pass(`All ${r.walked} messages follow the state machine (ending in ${[...r.states].sort().join(' or ')}).`);
}
