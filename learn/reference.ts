/**
 * The RFC machine as a reference for a learned one: the transition tables
 * of oracles/statemachine.ts, read for the abstract alphabet. For one
 * input in a set of table states it says whether a conforming target must
 * take it (and where the table goes) or must reject it; for one output it
 * walks the target's messages through the table.
 *
 * The tables describe message order only. What they leave out, and a
 * learned machine meets, is modelled here, each with the RFC sentence it
 * rests on (FREEDOMS): content that is wrong although in order (a bad
 * Finished), alerts we send, the TLS 1.3 compatibility CCS, an empty client
 * Certificate a server may refuse, renegotiation a server may refuse, an
 * application closing the connection with close_notify.
 */
import { type Facts, machineFor, type StateMachine, closure, step } from '../oracles/statemachine';
import type { RuleId } from '../oracles/catalogue';
import type { TranscriptMessage } from '../transcript/model';
import type { Direction, Side, TlsVersion } from '../wire/vocabulary';
import { alertsOf, CLOSED, INPUT_INFO, type InputSymbol, type Output, type TargetRole, tokensOf } from './alphabet';

/** A latitude the RFCs give a target that the message tables do not show, with the sentence it rests on. */
export interface Freedom {
  /** `ignorable`: the rules the input breaks let a receiver ignore it and go on (their declaration says so). */
  id: 'empty-client-certificate' | 'renegotiation-refused' | 'application-close' | 'compat-ccs' | 'ignorable';
  rfc: string;
  text: string;
}

export const FREEDOMS: Readonly<Record<Exclude<Freedom['id'], 'ignorable'>, Freedom>> = {
  'empty-client-certificate': {
    id: 'empty-client-certificate',
    rfc: 'RFC 5246 §7.4.6; RFC 8446 §4.4.2.4',
    text: 'If the client does not send any certificates, the server MAY at its discretion either continue the handshake without client authentication, or respond with a fatal handshake_failure alert (TLS 1.3: abort the handshake with a "certificate_required" alert).',
  },
  'renegotiation-refused': {
    id: 'renegotiation-refused',
    rfc: 'RFC 5246 §7.2.2; RFC 5746 §5',
    text: 'no_renegotiation: ... when that is not appropriate, the recipient should respond with this alert. Many servers can mitigate this attack simply by refusing to renegotiate at all.',
  },
  'application-close': {
    id: 'application-close',
    rfc: 'RFC 5246 §7.2.1; RFC 8446 §6.1',
    text: 'Either party may initiate a close by sending a "close_notify" alert.',
  },
  'compat-ccs': {
    id: 'compat-ccs',
    rfc: 'RFC 8446 §5',
    text: "An implementation may receive an unencrypted record of type change_cipher_spec consisting of the single byte value 0x01 at any time after the first ClientHello message has been sent or received and before the peer's Finished message has been received and MUST simply drop it without further processing.",
  },
};

/** Where the reference stands after a word: table states, and what the target may still do. */
export interface RefState {
  states: ReadonlySet<string>;
  /** The target may abort from here on with one of these alerts (a freedom taken up later, e.g. at the Finished). */
  mayAbort?: { freedom: Freedom; alerts: readonly string[] };
}

export type Judgement =
  | { verdict: 'accept'; states: Set<string>; freedom?: { freedom: Freedom; alerts: readonly string[] | 'any'; stays?: boolean } }
  /** The input breaks the order (or its content breaks `contentRules`): a conforming target rejects it. */
  | {
      verdict: 'reject';
      reason: string;
      contentRules?: readonly RuleId[];
      /** The input may also be refused as a whole (a renegotiation whose ClientHello is bad: no_renegotiation). */
      refusal?: Freedom;
    }
  /** We sent an alert: a fatal one (or a close_notify) ends the connection. */
  | { verdict: 'closing'; reason: string; fatal: boolean };

export interface WalkResult {
  ok: boolean;
  states: Set<string>;
  /** The first message the table does not allow, with what it expected. */
  error?: string;
  /** The target closed (or announced closing with close_notify). */
  closed: boolean;
  alerts: Array<{ name: string; fatal: boolean }>;
}

/** What the learned machine is compared with: the table of a version, seen from the target's side. */
export class Reference {
  readonly machine: StateMachine;
  /** The direction our inputs travel in. */
  readonly inDir: Direction;
  readonly outDir: Direction;
  readonly facts: Facts;
  readonly targetSide: Side;

  constructor(
    readonly version: TlsVersion,
    readonly role: TargetRole,
    /** Whether the target asks for a client certificate (server targets) / we ask (client targets). */
    readonly clientAuth: boolean,
  ) {
    this.machine = machineFor(version);
    this.targetSide = role;
    this.inDir = role === 'server' ? 'C->S' : 'S->C';
    this.outDir = role === 'server' ? 'S->C' : 'C->S';
    // our side offers no resumption, no session ticket, no status_request, no early data, no post-handshake auth
    this.facts =
      version === '1.2'
        ? { resumed: false, certKex: true, skeRequired: true, anon: false, statusAgreed: false, ticketExt: false }
        : { psk: false, earlyAccepted: false, earlyOffered: false, postHandshakeAuth: false };
  }

  /** The reference before the first input: a client target's ClientHello (its greeting) already read. */
  initial(): RefState {
    const start = closure(this.machine, [this.machine.initial], this.facts);
    if (this.role === 'server') return { states: start };
    const r = step(this.machine, start, { dir: 'C->S', type: 'client_hello' }, this.facts);
    return { states: r.ok ? closure(this.machine, r.states, this.facts) : start };
  }

  connected(s: ReadonlySet<string>): boolean {
    return this.machine.connected.some((c) => s.has(c));
  }

  /** A minimal transcript message for the table's conditions (the Certificate's emptiness). */
  private messageOf(input: InputSymbol, dir: Direction): TranscriptMessage | undefined {
    const info = INPUT_INFO[input];
    if (info.message !== 'certificate') return undefined;
    const certificates = info.empty ? [] : [Uint8Array.of(0x30)];
    return {
      index: 0,
      dir,
      kind: 'handshake',
      type: 'certificate',
      encrypted: false,
      epoch: 'plaintext',
      decoded: {
        body:
          this.version === '1.2'
            ? { type: 'certificate', form: 'tls12', certificates }
            : {
                type: 'certificate',
                form: 'tls13',
                context: new Uint8Array(0),
                entries: certificates.map((data) => ({ data, extensions: [] })),
              },
      },
    };
  }

  /** Whether the target has received the first ClientHello / the client's Finished (TLS 1.3 CCS window). */
  private ccsWindow(s: ReadonlySet<string>): boolean {
    const beforeHello = s.has(this.machine.initial);
    // the peer's Finished: for a server target the client's (then CONNECTED), for a client target the server's
    const peerFinished =
      this.role === 'server'
        ? this.connected(s) || [...s].some((x) => x.startsWith('PH_'))
        : [...s].some((x) => x.startsWith('C_') || x === 'CONNECTED' || x.startsWith('PH_'));
    return !beforeHello && !peerFinished;
  }

  judge(ref: RefState, input: InputSymbol): Judgement {
    const info = INPUT_INFO[input];
    if (info.alert) {
      return {
        verdict: 'closing',
        fatal: info.alert.fatal,
        reason: info.alert.fatal
          ? 'we sent a fatal alert: "Upon transmission or receipt of a fatal alert message, both parties MUST immediately close the connection." (RFC 5246 §7.2.2; RFC 8446 §6)'
          : 'we sent close_notify: the target must not go on with the connection (RFC 5246 §7.2.1; RFC 8446 §6.1)',
      };
    }
    if (this.version === '1.3' && info.message === 'change_cipher_spec') {
      if (this.ccsWindow(ref.states))
        return { verdict: 'accept', states: new Set(ref.states), freedom: { freedom: FREEDOMS['compat-ccs'], alerts: [] } };
      return { verdict: 'reject', reason: 'a TLS 1.3 change_cipher_spec outside the window of RFC 8446 §5' };
    }
    const m = this.messageOf(input, this.inDir);
    const r = step(
      this.machine,
      ref.states,
      m ? { dir: this.inDir, type: info.message, m } : { dir: this.inDir, type: info.message },
      this.facts,
    );
    if (!r.ok) return { verdict: 'reject', reason: r.error };
    const next = closure(this.machine, r.states, this.facts);
    const content = info.contentRules?.[this.version];
    const renegotiation =
      this.version === '1.2' && this.role === 'server' && info.message === 'client_hello' && this.connected(ref.states);
    if (content?.length)
      return {
        verdict: 'reject',
        reason: `${input}: its content breaks ${content.join(', ')}`,
        contentRules: content,
        ...(renegotiation ? { refusal: FREEDOMS['renegotiation-refused'] } : {}),
      };
    // freedoms on inputs the table takes
    if (this.role === 'server' && input === 'certificate(empty)' && this.clientAuth)
      return {
        verdict: 'accept',
        states: next,
        freedom: {
          freedom: FREEDOMS['empty-client-certificate'],
          alerts: this.version === '1.2' ? ['handshake_failure'] : ['certificate_required'],
        },
      };
    if (renegotiation)
      return {
        verdict: 'accept',
        states: next,
        freedom: { freedom: FREEDOMS['renegotiation-refused'], alerts: 'any', stays: true },
      };
    if (this.version === '1.2' && this.role === 'client' && input === 'hello_request' && this.connected(ref.states))
      return {
        verdict: 'accept',
        states: next,
        freedom: { freedom: FREEDOMS['renegotiation-refused'], alerts: 'any', stays: true },
      };
    return { verdict: 'accept', states: next };
  }

  /** Walk the target's output (its messages; alerts and `closed` are reported, not walked). */
  walk(states: ReadonlySet<string>, output: Output): WalkResult {
    let cur = new Set(states);
    const alerts = alertsOf(output);
    let closed = false;
    for (const t of tokensOf(output)) {
      if (t === CLOSED) {
        closed = true;
        continue;
      }
      if (t.startsWith('alert(') || t === 'undecryptable' || t === 'retired_keys') continue;
      // TLS 1.3 compatibility CCS records are not in the table (rec.t13.ccs-compat judges them)
      if (this.version === '1.3' && t === 'change_cipher_spec') continue;
      const r = step(this.machine, cur, { dir: this.outDir, type: t }, this.facts);
      if (!r.ok) return { ok: false, states: cur, error: `${this.outDir} ${t}: ${r.error}`, closed, alerts };
      cur = closure(this.machine, r.states, this.facts);
    }
    return { ok: true, states: cur, closed: closed || alerts.some((a) => a.fatal || a.name === 'close_notify'), alerts };
  }

  /** The table transitions a message takes from `states` (to one of `next` when given). */
  edges(
    states: ReadonlySet<string>,
    dir: Direction,
    type: string,
    next?: ReadonlySet<string>,
  ): Array<{ from: string; to: string }> {
    const from = closure(this.machine, states, this.facts);
    return this.machine.transitions
      .filter((tr) => tr.dir === dir && tr.type === type && from.has(tr.from) && tr.when?.(this.facts) !== false)
      .filter((tr) => !next || next.has(tr.to))
      .map((tr) => ({ from: tr.from, to: tr.to }));
  }

  /** The target owes a message here: nothing from our side is allowed until it sends (the handshake is not done). */
  owes(states: ReadonlySet<string>): boolean {
    if (this.connected(states)) return false;
    for (const tr of this.machine.transitions) {
      if (!states.has(tr.from) || !tr.dir) continue;
      if (tr.dir === this.inDir && tr.when?.(this.facts) !== false) return false;
    }
    return true;
  }
}
