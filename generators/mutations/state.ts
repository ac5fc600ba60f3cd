/**
 * State-machine mutations of our client's flight, as data: a step changes
 * what our engine sends, in order: drop a message, send it twice, hold it
 * back until after another one, inject a copy of an earlier message, or
 * inject a record (ChangeCipherSpec, application data) next to one the
 * engine sends. `stateHooks` turns a step list into engine hooks (the how);
 * `stateModel` decides, with the handshake tables of oracles/statemachine.ts,
 * whether the resulting client flow is out of order (the target must reject
 * it) or merely incomplete (the target must not complete: silence until the
 * timeout is fine too). The named step lists are declarations of the
 * mutation catalogue (ops-state.ts).
 */
import type { EngineHooks, HookRecord } from '../../engine/hooks';
import { describeExpected, type Facts, machineFor, type StateMachine, walk } from '../../oracles/statemachine';
import type { Direction, HandshakeTypeName, StepName, TlsVersion } from '../../wire/vocabulary';
import { encodeRecord } from '../../wire/record';
import { ContentType, ProtocolVersion } from '../../wire/registry';

/** What our client sends that a step can name: a handshake message, or the TLS 1.2 ChangeCipherSpec. */
export type SentType = HandshakeTypeName | 'change_cipher_spec';

export type StateStep =
  /** Do not send this message. */
  | { op: 'drop'; msg: SentType }
  /** Send this message twice in a row. */
  | { op: 'repeat'; msg: SentType }
  /** Hold this message back and send it right after `after`. */
  | { op: 'hold'; msg: SentType; after: SentType }
  /** Send a copy of the earlier message `copy` right before `before`. */
  | { op: 'inject'; copy: SentType; before: SentType }
  /** A plaintext record of another content type right after (`where: 'after'`) or before the record carrying `at`. */
  | { op: 'record'; content: 'change_cipher_spec' | 'application_data'; where: 'before' | 'after'; at: SentType }
  /** An application data record protected with the write keys in use (TLS 1.3: the handshake traffic keys) right before `before`. */
  | { op: 'sealed'; content: 'application_data'; before: SentType };

/** A message on its way out: its name (as the engine gives it, or as the model walks it) and bytes. */
interface Item<T extends string = string> {
  type: T;
  raw: Uint8Array;
}

/** One outgoing message through the steps: what goes out instead (in order). State (held / copied messages) lives in `mem`. */
function transform<T extends string>(steps: readonly StateStep[], item: Item<T>, mem: Map<string, Item<T>>): Item<T>[] {
  let items: Item<T>[] = [item];
  for (const [i, s] of steps.entries()) {
    const next: Item<T>[] = [];
    for (const it of items) {
      if (s.op === 'drop' && it.type === s.msg) continue;
      if (s.op === 'repeat' && it.type === s.msg) next.push(it, it);
      else if (s.op === 'hold' && it.type === s.msg && !mem.has(`held${i}`)) mem.set(`held${i}`, it);
      else if (s.op === 'hold' && it.type === s.after && mem.has(`held${i}`)) next.push(it, mem.get(`held${i}`)!);
      else if (s.op === 'inject' && it.type === s.before && mem.has(`copy${i}`)) next.push(mem.get(`copy${i}`)!, it);
      else next.push(it);
      if (s.op === 'inject' && it.type === s.copy && !mem.has(`copy${i}`)) mem.set(`copy${i}`, it);
    }
    items = next;
  }
  return items;
}

const CCS_RECORD = (): Uint8Array =>
  encodeRecord({ contentType: ContentType.change_cipher_spec, version: ProtocolVersion.TLS1_2, fragment: Uint8Array.of(1) });
const APPDATA = new TextEncoder().encode('early application data\n');
const APPDATA_RECORD = (): Uint8Array =>
  encodeRecord({ contentType: ContentType.application_data, version: ProtocolVersion.TLS1_2, fragment: APPDATA });

/** The record-level steps applied to the type sequence (for the model). */
function recordSteps(steps: readonly StateStep[], items: readonly FlowItem[]): FlowItem[] {
  let out = [...items];
  for (const s of steps) {
    if (s.op !== 'record' && s.op !== 'sealed') continue;
    const at = s.op === 'record' ? s.at : s.before;
    const where = s.op === 'record' ? s.where : 'before';
    const next: FlowItem[] = [];
    let done = false;
    for (const t of out) {
      const hit = !done && t === at;
      if (hit) done = true;
      if (hit && where === 'before') next.push(s.content);
      next.push(t);
      if (hit && where === 'after') next.push(s.content);
    }
    out = next;
  }
  return out;
}

/** What the unprotected record is, for matching `record` steps: handshake type name, CCS, or nothing. */
function plainRecordType(r: HookRecord): SentType | undefined {
  if (r.plaintext)
    return r.plaintext.contentType === ContentType.handshake
      ? HS_NAMES[r.plaintext.fragment[0] ?? 0]
      : r.plaintext.contentType === ContentType.change_cipher_spec
        ? 'change_cipher_spec'
        : undefined;
  const ct = r.raw[0];
  if (ct === ContentType.change_cipher_spec) return 'change_cipher_spec';
  if (ct === ContentType.handshake) return HS_NAMES[r.raw[5] ?? 0];
  return undefined;
}
/** The handshake messages our client sends, by type code. */
const HS_NAMES: Readonly<Record<number, SentType>> = {
  1: 'client_hello',
  11: 'certificate',
  15: 'certificate_verify',
  16: 'client_key_exchange',
  20: 'finished',
};

/** The client hooks carrying out the steps. */
export function stateHooks(steps: readonly StateStep[]): EngineHooks {
  const mem = new Map<string, Item>();
  const msgSteps = steps.filter((s) => s.op !== 'record' && s.op !== 'sealed');
  const recSteps = steps.filter((s): s is Extract<StateStep, { op: 'record' }> => s.op === 'record');
  const sealedSteps = steps.filter((s): s is Extract<StateStep, { op: 'sealed' }> => s.op === 'sealed');
  const doneRec = new Set<number>();
  const doneSealed = new Set<number>();
  const hooks: EngineHooks = {};
  if (msgSteps.length || sealedSteps.length) {
    hooks.beforeSend = async (m) => {
      if (m.kind !== 'handshake' && m.kind !== 'change_cipher_spec') return undefined;
      let injected = false;
      for (const [i, s] of sealedSteps.entries()) {
        if (doneSealed.has(i) || s.before !== m.type || !m.sendRecord) continue;
        doneSealed.add(i);
        await m.sendRecord(ContentType.application_data, APPDATA);
        injected = true;
      }
      const out = transform(msgSteps, { type: m.type, raw: m.raw }, mem);
      // an injected record changes what goes out even when the message itself stays (a returned list marks it fired)
      if (out.length === 1 && out[0]!.raw === m.raw && !injected) return undefined;
      return out.map((x) => x.raw);
    };
  }
  if (recSteps.length) {
    hooks.beforeSendRecord = (r) => {
      const t = plainRecordType(r);
      if (t === undefined) return undefined;
      let out: HookRecord[] = [r];
      let changed = false;
      for (const [i, s] of recSteps.entries()) {
        if (doneRec.has(i) || s.at !== t) continue;
        doneRec.add(i);
        changed = true;
        const extra: HookRecord = { side: r.side, raw: s.content === 'change_cipher_spec' ? CCS_RECORD() : APPDATA_RECORD() };
        out = s.where === 'before' ? [extra, ...out] : [...out, extra];
      }
      return changed ? out : undefined;
    };
  }
  return hooks;
}

/** The handshake our client has with the target, as the flow without steps. */
export interface FlowShape {
  version: TlsVersion;
  /** The target asks for a client certificate (and we send one). */
  clientCert: boolean;
  /** TLS 1.2: ECDHE (ServerKeyExchange present). */
  ecdhe: boolean;
}

type Msg = { dir: Direction; type: StepName };
/** A step of the client's flow as the model walks it; `|` marks the end of its first flight. */
type FlowItem = StepName | '|';
const C = 'C->S' as const;
const S = 'S->C' as const;

function nominal(f: FlowShape): { first: SentType[]; server: HandshakeTypeName[]; second: SentType[] } {
  if (f.version === '1.2') {
    return {
      first: ['client_hello'],
      server: [
        'server_hello',
        'certificate',
        ...(f.ecdhe ? (['server_key_exchange'] as const) : []),
        ...(f.clientCert ? (['certificate_request'] as const) : []),
        'server_hello_done',
      ],
      second: [
        ...(f.clientCert ? (['certificate'] as const) : []),
        'client_key_exchange',
        ...(f.clientCert ? (['certificate_verify'] as const) : []),
        'change_cipher_spec',
        'finished',
      ],
    };
  }
  return {
    first: ['client_hello'],
    server: [
      'server_hello',
      'encrypted_extensions',
      ...(f.clientCert ? (['certificate_request'] as const) : []),
      'certificate',
      'certificate_verify',
      'finished',
    ],
    second: [...(f.clientCert ? (['certificate', 'certificate_verify'] as const) : []), 'finished'],
  };
}

/** The table of a version, our client's certificate being non-empty whenever it sends one. */
function machineOf(version: TlsVersion): StateMachine {
  const m = machineFor(version);
  return {
    ...m,
    transitions: m.transitions
      .filter((t) => t.note !== 'empty client certificate')
      .map((t) => (t.note === 'non-empty client certificate' ? { from: t.from, to: t.to, dir: t.dir!, type: t.type! } : t)),
  };
}

const FACTS: Record<TlsVersion, Facts> = {
  '1.2': { resumed: false, certKex: true, anon: false, statusAgreed: false, ticketExt: false },
  '1.3': { psk: false, earlyAccepted: false, earlyOffered: false, postHandshakeAuth: false },
};

export interface StateModel {
  /** The flow our client produces with the steps (the target's first flight as in a normal handshake). */
  flow: Msg[];
  /** The first message of our client that the table does not allow, with what it expected. */
  outOfOrder?: { index: number; detail: string };
  /** The flow ends before the handshake is complete (no violation: the target just must not finish). */
  incomplete: boolean;
}

/** Walk the flow our client sends with the steps through the version's table. */
export function stateModel(steps: readonly StateStep[], shape: FlowShape): StateModel {
  const n = nominal({ ...shape, ecdhe: shape.version === '1.2' && shape.ecdhe });
  const mem = new Map<string, Item<SentType>>();
  const msgSteps = steps.filter((s) => s.op !== 'record' && s.op !== 'sealed');
  const through = (ts: readonly SentType[]) =>
    ts.flatMap((t) => transform(msgSteps, { type: t, raw: new Uint8Array(0) }, mem).map((x) => x.type));
  const first = through(n.first);
  const second = through(n.second);
  // the record steps act on the whole client sequence; split it again at the first flight's end
  const all = recordSteps(steps, [...first, '|', ...second]);
  const cut = all.indexOf('|');
  const named = (xs: readonly FlowItem[]): StepName[] => xs.filter((t): t is StepName => t !== '|');
  const firstOut = named(all.slice(0, cut));
  let secondOut = named(all.slice(cut + 1));
  // TLS 1.3: our client counts as connected once it has built its Finished, and sends application data
  if (shape.version === '1.3') secondOut = [...secondOut, 'application_data'];
  // TLS 1.3 sends no ChangeCipherSpec in the table's sense; TLS 1.2 CCS is in the table
  const flow: Msg[] = [
    ...firstOut.map((t) => ({ dir: C, type: t })),
    ...n.server.map((t) => ({ dir: S, type: t })),
    ...secondOut.map((t) => ({ dir: C, type: t })),
  ];
  const machine = machineOf(shape.version);
  const w = walk(
    machine,
    flow.map((m, index) => ({ ...m, index })),
    FACTS[shape.version],
  );
  if (w.violation)
    return {
      flow,
      outOfOrder: {
        index: w.violation.index,
        detail: `${w.violation.got} out of order: expected one of ${describeExpected(w.violation.expected)}`,
      },
      incomplete: true,
    };
  // after our second flight a conforming exchange goes on with the server's final flight (1.2) or is connected (1.3)
  const finalFlight: Msg[] =
    shape.version === '1.2'
      ? [
          { dir: S, type: 'change_cipher_spec' },
          { dir: S, type: 'finished' },
        ]
      : [];
  const w2 = walk(
    machine,
    [...flow, ...finalFlight].map((m, index) => ({ ...m, index })),
    FACTS[shape.version],
  );
  const connected = !w2.violation && machine.connected.some((s) => w2.states.has(s));
  return { flow, incomplete: !connected };
}
