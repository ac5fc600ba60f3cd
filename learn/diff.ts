/**
 * A learned machine against the RFC machine. Both are walked together,
 * breadth first from the start (so each difference comes with the
 * shortest input word that shows it): for each learned transition the
 * reference (learn/reference.ts) says whether a conforming target must take
 * the input or reject it, and the learned output is judged against that:
 *
 * - `accepts-invalid`: the RFC machine rejects the input, the target goes
 *   on without an alert (or, later, completes);
 * - `wrong-alert`: it rejects, but with an alert the rules broken do not
 *   allow (oracles/reactions.ts);
 * - `no-alert`: it closes without the alert TLS 1.2 requires (RFC 5246
 *   §7.2.2; TLS 1.3 allows silence) or without the close_notify an orderly
 *   close requires;
 * - `rejects-valid`: the RFC machine takes the input, the target aborts
 *   (unless a modelled freedom allows it);
 * - `unexpected-output`: the target sends a message the RFC machine does not
 *   allow there;
 * - `missing-output`: the target stays silent where it owes a message;
 * - `continues-after-alert`: it goes on after our fatal alert;
 * - `open-after-alert`: it sent a fatal alert and kept the connection open
 *   (the next input is met with silence, not with a closed connection).
 *
 * The rule each difference breaks is named by the oracles (learn/rules.ts),
 * or is the content rule of the input (a bad Finished).
 */
import type { RuleId } from '../oracles/catalogue';
import { type AlertChoice, ALERT_DUTY, expectedReaction } from '../oracles/reactions';
import { describeExpected, expectedNext } from '../oracles/statemachine';
import type { Side, TlsVersion } from '../wire/vocabulary';
import { alertsOf, INPUT_INFO, type InputSymbol, isClosed, messagesOf, type Output, type TargetRole, tokensOf } from './alphabet';
import type { Mealy } from './mealy';
import { type Freedom, Reference, type RefState } from './reference';
import { rulesAt } from './rules';

export type DifferenceKind =
  | 'accepts-invalid'
  | 'wrong-alert'
  | 'no-alert'
  | 'rejects-valid'
  | 'unexpected-output'
  | 'missing-output'
  | 'continues-after-alert'
  | 'open-after-alert';

/** Both versions: a fatal alert ends the connection. */
const FATAL_CLOSES = {
  '1.2': {
    rfc: 'RFC 5246 §7.2.2',
    text: 'Upon transmission or receipt of a fatal alert message, both parties immediately close the connection.',
  },
  '1.3': {
    rfc: 'RFC 8446 §6.2',
    text: 'Whenever an implementation encounters a fatal error condition, it SHOULD send an appropriate fatal alert and MUST close the connection without sending or receiving any additional data.',
  },
} as const;

export interface Difference {
  kind: DifferenceKind;
  /** Learned state and input of the transition. */
  state: number;
  input: InputSymbol;
  output: Output;
  /** The shortest input word that shows it (ending with `input`), and the target's outputs along it. */
  word: InputSymbol[];
  outputs: Output[];
  /** Rules broken: by our input (accepts-invalid, wrong-alert, no-alert) or by the target (the others). */
  rules: RuleId[];
  /** What the RFC machine allows at that point. */
  expected: string;
  /** One sentence naming the party that broke which RFC sentence. */
  detail: string;
  /** Alerts a conforming target may send there (wrong-alert, no-alert). */
  allowedAlerts?: readonly AlertChoice[];
  /** accepts-invalid: from there the target still completes a handshake or exchanges application data. */
  proceeds?: boolean;
}

/** A transition where the target used a latitude the RFCs give it (not a difference). */
export interface FreedomNote {
  state: number;
  input: InputSymbol;
  output: Output;
  word: InputSymbol[];
  freedom: Freedom;
}

/** A transition of the RFC machine as the learned one used it (for the drawing). */
export interface RfcEdge {
  from: string;
  to: string;
  /** `C->S client_hello`, or for an extra one our input. */
  via: string;
  /** taken: the target followed it; missing: the RFC allows it, the target refused; extra: the target accepted what the RFC rejects here. */
  kind: 'taken' | 'missing' | 'extra';
}

export interface RfcDiff {
  version: TlsVersion;
  role: TargetRole;
  rfcEdges: RfcEdge[];
  differences: Difference[];
  freedoms: FreedomNote[];
  /** Learned transitions the walk judged (the rest lie past a point where the RFC machine ends the connection). */
  judged: Array<{ state: number; input: InputSymbol; verdict: 'match' | 'difference' | 'freedom' | 'unreadable' }>;
}

const targetName = (role: TargetRole): Side => role;

/**
 * Whether the connection is still open in `q`: some input there is met with silence or an answer rather than the
 * closed connection. A close that came after the window of the alert's answer shows as `closed` on the next input.
 */
function staysOpen(m: Mealy<InputSymbol>, q: number): boolean {
  return m.out[q]!.some((o) => !isClosed(o));
}

/** Whether from `q` the target still completes a handshake or exchanges application data. */
function proceeds(m: Mealy<InputSymbol>, q: number): boolean {
  const seen = new Set([q]);
  const queue = [q];
  while (queue.length) {
    const s = queue.shift()!;
    for (let i = 0; i < m.inputs.length; i++) {
      const msgs = messagesOf(m.out[s]![i]!);
      if (msgs.includes('finished') || msgs.includes('application_data')) return true;
      const t = m.next[s]![i]!;
      if (!seen.has(t)) {
        seen.add(t);
        queue.push(t);
      }
    }
  }
  return false;
}

export interface DiffOptions {
  version: TlsVersion;
  role: TargetRole;
  /** Server targets: the target asks for a client certificate. */
  clientAuth: boolean;
  /**
   * Server targets: the target requires one (it refuses a client without a certificate), so a client chain it cannot
   * validate is not one it may take "considering the client unauthenticated" (RFC 5246 §7.4.6, RFC 8446 §4.4.2.4).
   */
  clientAuthRequired?: boolean;
}

export async function diffAgainstRfc(m: Mealy<InputSymbol>, opts: DiffOptions): Promise<RfcDiff> {
  const ref = new Reference(opts.version, opts.role, opts.clientAuth);
  const who = targetName(opts.role);
  const out: RfcDiff = { version: opts.version, role: opts.role, rfcEdges: [], differences: [], freedoms: [], judged: [] };
  const edgeKeys = new Set<string>();
  const edge = (e: RfcEdge) => {
    const k = `${e.from}|${e.to}|${e.via}|${e.kind}`;
    if (!edgeKeys.has(k)) {
      edgeKeys.add(k);
      out.rfcEdges.push(e);
    }
  };
  const reported = new Set<string>();
  interface Item {
    q: number;
    ref: RefState;
    word: InputSymbol[];
    outputs: Output[];
  }
  const seen = new Set<string>();
  const keyOf = (it: Item) => `${it.q}|${[...it.ref.states].sort().join(',')}|${it.ref.mayAbort?.freedom.id ?? ''}`;
  const queue: Item[] = [{ q: 0, ref: ref.initial(), word: [], outputs: [] }];
  seen.add(keyOf(queue[0]!));
  const judged = (q: number, input: InputSymbol, verdict: RfcDiff['judged'][number]['verdict']) => {
    const k = `${q}|${input}`;
    const prev = out.judged.find((j) => `${j.state}|${j.input}` === k);
    if (!prev) out.judged.push({ state: q, input, verdict });
    else if (verdict === 'difference') prev.verdict = verdict;
  };
  const add = (d: Difference) => {
    const k = `${d.state}|${d.input}|${d.kind}`;
    judged(d.state, d.input, 'difference');
    if (reported.has(k)) return;
    reported.add(k);
    out.differences.push(d);
  };
  while (queue.length) {
    const it = queue.shift()!;
    for (const [i, input] of m.inputs.entries()) {
      const o = m.out[it.q]![i]!;
      const q2 = m.next[it.q]![i]!;
      const word = [...it.word, input];
      const outputs = [...it.outputs, o];
      const base = { state: it.q, input, output: o, word, outputs };
      const alerts = alertsOf(o);
      const fatal = alerts.find((a) => a.fatal);
      const closed = isClosed(o);
      if (tokensOf(o).includes('retired_keys')) {
        // a record only the target's retired handshake keys open, after its Finished (TLS 1.3)
        add({
          ...base,
          kind: 'unexpected-output',
          rules: ['rec.t13.app-keys-after-finished'],
          expected: 'records under the application traffic keys',
          detail: `The ${who} protected a record with its handshake traffic keys after its Finished (only the retired keys open it): RFC 8446 §4.4.4 "Any records following a Finished message MUST be encrypted under the appropriate application traffic key as described in Section 7.2."`,
        });
        continue;
      }
      if (o.includes('undecryptable')) {
        judged(it.q, input, 'unreadable');
        continue;
      }
      if (fatal && !closed && staysOpen(m, q2)) {
        const duty = FATAL_CLOSES[opts.version];
        add({
          ...base,
          kind: 'open-after-alert',
          rules: [],
          expected: 'the connection closes after the fatal alert',
          detail: `The ${who} sent the fatal alert ${fatal.name} and kept the connection open: ${duty.rfc} "${duty.text}"`,
        });
      }
      const j = ref.judge(it.ref, input);
      if (j.verdict === 'closing') {
        if (messagesOf(o).length || proceeds(m, q2)) {
          add({
            ...base,
            kind: 'continues-after-alert',
            rules: [],
            expected: 'the connection closes',
            detail: `The ${who} went on after ${j.reason}.`,
          });
        } else judged(it.q, input, 'match');
        continue;
      }
      if (j.verdict === 'reject') {
        const named = j.contentRules
          ? { rules: [...j.contentRules], detail: undefined }
          : await rulesAt(opts.version, opts.role, word, outputs, word.length - 1, 'input');
        const reaction = expectedReaction(named.rules, opts.version, opts.role, {
          clientAuthRequired: opts.clientAuthRequired === true,
        });
        const expected = `reject (${j.reason}) with ${reaction.alerts.length ? reaction.alerts.map((a) => a.alert).join(' or ') : 'an alert'}`;
        if (fatal) {
          if (reaction.alerts.length && !reaction.alerts.some((a) => a.alert === fatal.name))
            add({
              ...base,
              kind: 'wrong-alert',
              rules: named.rules,
              expected,
              allowedAlerts: reaction.alerts,
              detail: `Our ${input} breaks ${named.rules.join(', ')}; the ${who} rejected it with ${fatal.name}, which the rules do not name (${reaction.alerts.map((a) => `${a.alert}: ${a.rfc}`).join('; ')}).`,
            });
          else judged(it.q, input, 'match');
          continue;
        }
        // a close without an alert (and without an answer: a target that answered the input went on with it)
        if (closed && !messagesOf(o).length) {
          if (!reaction.silenceAllowed)
            add({
              ...base,
              kind: 'no-alert',
              rules: named.rules,
              expected,
              allowedAlerts: reaction.alerts,
              detail: `Our ${input} breaks ${named.rules.join(', ')}; the ${who} closed without an alert, but ${ALERT_DUTY[opts.version].rfc}: "${ALERT_DUTY[opts.version].text}"`,
            });
          else judged(it.q, input, 'match');
          continue;
        }
        if (j.refusal && !closed && !fatal && alerts.length && !messagesOf(o).length) {
          // refused as a whole with a warning alert (no_renegotiation): the connection stays as it was
          out.freedoms.push({ ...base, freedom: j.refusal });
          judged(it.q, input, 'freedom');
          enqueue({ q: q2, ref: it.ref, word, outputs });
          continue;
        }
        if (reaction.ignoreAllowed) {
          // every rule broken lets the receiver ignore the input and go on (oracles/reactions.ts)
          const t = reaction.ignoreBecause[0]!;
          out.freedoms.push({ ...base, freedom: { id: 'ignorable', rfc: t.rfc, text: t.text } });
          judged(it.q, input, 'freedom');
          continue;
        }
        const goesOn = proceeds(m, q2);
        const at = [...it.ref.states].sort()[0];
        if (at) edge({ from: at, to: at, via: `${input} (accepted)`, kind: 'extra' });
        add({
          ...base,
          kind: 'accepts-invalid',
          rules: named.rules,
          expected,
          proceeds: goesOn,
          detail: `The ${who} accepted our ${input}, which breaks ${named.rules.join(', ')} (${named.detail ?? j.reason})${goesOn ? ', and still completes the handshake or exchanges application data after it' : ''}.`,
        });
        continue;
      }
      // the RFC machine takes the input
      const walk = ref.walk(j.states, o);
      const freedom = j.freedom;
      if (freedom && freedom.freedom.id === 'compat-ccs') {
        if (fatal || closed || messagesOf(o).length) {
          add({
            ...base,
            kind: 'rejects-valid',
            rules: ['rec.t13.ccs-compat'],
            expected: 'drop the CCS and answer nothing',
            detail: `The ${who} did not drop our compatibility change_cipher_spec: ${freedom.freedom.rfc} "${freedom.freedom.text}"`,
          });
          continue;
        }
        judged(it.q, input, 'match');
        enqueue({ q: q2, ref: { ...it.ref, states: j.states }, word, outputs });
        continue;
      }
      if (fatal || closed || alerts.length) {
        const first = fatal ?? alerts[0];
        const allowed = freedom?.alerts ?? it.ref.mayAbort?.alerts;
        const took =
          freedom ?? (it.ref.mayAbort ? { freedom: it.ref.mayAbort.freedom, alerts: it.ref.mayAbort.alerts } : undefined);
        const connectedAfter = ref.connected(j.states) || (walk.ok && ref.connected(walk.states));
        if (connectedAfter && !alerts.length && closed) {
          // an orderly end of the connection, but without the close_notify both versions require
          add({
            ...base,
            kind: 'no-alert',
            rules: [],
            expected: 'close_notify before the close',
            detail: `The ${who} closed the connection without a close_notify: RFC 5246 §7.2.1 "each party is required to send a close_notify alert before closing the write side of the connection"; RFC 8446 §6.1 "Each party MUST send a close_notify alert before closing its write side of the connection, unless it has already sent some error alert."`,
          });
          continue;
        }
        const appClose = connectedAfter && alerts.length === 1 && alerts[0]!.name === 'close_notify' && !alerts[0]!.fatal;
        if (appClose) {
          out.freedoms.push({
            ...base,
            freedom: {
              id: 'application-close',
              rfc: 'RFC 5246 §7.2.1; RFC 8446 §6.1',
              text: 'Either party may initiate a close by sending a "close_notify" alert.',
            },
          });
          judged(it.q, input, 'freedom');
          continue;
        }
        if (took && first && allowed !== 'any' && allowed && !allowed.includes(first.name) && fatal) {
          // the latitude to abort was taken, with another alert than the one the RFC names for it
          add({
            ...base,
            kind: 'wrong-alert',
            rules: [],
            expected: `continue, or abort with ${allowed.join(' or ')}`,
            allowedAlerts: allowed.map((a) => ({
              alert: a as AlertChoice['alert'],
              rfc: took.freedom.rfc,
              text: took.freedom.text,
            })),
            detail: `The ${who} aborted with ${first.name} where ${took.freedom.rfc} lets it abort with ${allowed.join(' or ')}: "${took.freedom.text}"`,
          });
          continue;
        }
        if (took && first && (allowed === 'any' || allowed?.includes(first.name))) {
          out.freedoms.push({ ...base, freedom: took.freedom });
          judged(it.q, input, 'freedom');
          // a refused renegotiation with a warning alert leaves the connection as it was
          if (freedom?.stays && !closed && !fatal) enqueue({ q: q2, ref: it.ref, word, outputs });
          continue;
        }
        for (const e of ref.edges(it.ref.states, ref.inDir, INPUT_INFO[input].message, j.states))
          edge({ ...e, via: `${ref.inDir} ${INPUT_INFO[input].message}`, kind: 'missing' });
        add({
          ...base,
          kind: 'rejects-valid',
          rules: [],
          expected: `${describeExpected(expectedNext(ref.machine, j.states, ref.facts))} (the RFC machine takes our ${input} here)`,
          detail: `The ${who} aborted with ${first ? first.name : 'a close'} after our ${input}, which the RFC machine allows at this point${first && !fatal ? ' (a warning alert)' : ''}.`,
        });
        continue;
      }
      if (!walk.ok) {
        const named = await rulesAt(opts.version, opts.role, word, outputs, word.length - 1, 'output');
        add({
          ...base,
          kind: 'unexpected-output',
          rules: named.rules,
          expected: walk.error ?? '',
          detail: `The ${who} sent a message the RFC machine does not allow here (${walk.error}); it breaks ${named.rules.join(', ')}.`,
        });
        continue;
      }
      if (ref.owes(walk.states)) {
        add({
          ...base,
          kind: 'missing-output',
          rules: [],
          expected: describeExpected(expectedNext(ref.machine, walk.states, ref.facts)),
          detail: `The ${who} sent ${messagesOf(o).length ? `only ${o}` : 'nothing'} after our ${input}, where the RFC machine has it send ${describeExpected(expectedNext(ref.machine, walk.states, ref.facts))}.`,
        });
        continue;
      }
      judged(it.q, input, 'match');
      for (const e of ref.edges(it.ref.states, ref.inDir, INPUT_INFO[input].message, j.states))
        edge({ ...e, via: `${ref.inDir} ${INPUT_INFO[input].message}`, kind: 'taken' });
      let cur: ReadonlySet<string> = j.states;
      for (const t of messagesOf(o)) {
        if (opts.version === '1.3' && t === 'change_cipher_spec') continue;
        const w1 = ref.walk(cur, t);
        for (const e of ref.edges(cur, ref.outDir, t, w1.states)) edge({ ...e, via: `${ref.outDir} ${t}`, kind: 'taken' });
        cur = w1.states;
      }
      const next: RefState = { states: walk.states };
      if (freedom && freedom.alerts !== 'any') next.mayAbort = { freedom: freedom.freedom, alerts: freedom.alerts };
      else if (it.ref.mayAbort) next.mayAbort = it.ref.mayAbort;
      enqueue({ q: q2, ref: next, word, outputs });
    }
  }
  return out;

  function enqueue(it: Item): void {
    const k = keyOf(it);
    if (seen.has(k)) return;
    seen.add(k);
    queue.push(it);
  }
}
