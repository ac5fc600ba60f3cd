/**
 * The diff against the RFC machine on hand-made machines: a TLS 1.2 server
 * that follows the RFC machine has no difference; one that ignores an early
 * ChangeCipherSpec, answers with another alert, closes without an alert,
 * refuses a valid input or stays silent where it owes its flight shows
 * exactly that, with the shortest word and the rule the oracles name; one
 * that keeps the connection open after its fatal alert shows that; the
 * latitudes (empty client Certificate refused, renegotiation refused) are
 * listed, not reported. Two machines compare, and the differential
 * comparison groups disagreements.
 */
import { CLOSED, type InputSymbol } from './alphabet';
import { compareMachines } from './compare';
import { diffAgainstRfc } from './diff';
import { compareObservations, type ConversationObservations, type Observation } from './differential';
import type { Mealy } from './mealy';

const IN: InputSymbol[] = [
  'client_hello',
  'certificate',
  'certificate(empty)',
  'client_key_exchange',
  'certificate_verify',
  'change_cipher_spec',
  'finished',
];
const FLIGHT = 'server_hello+certificate+server_key_exchange+certificate_request+server_hello_done';
const REJECT = `alert(unexpected_message)+${CLOSED}`;

/**
 * A mutual-TLS 1.2 server as the RFC machine has it: s0 -CH-> s1 -cert-> s2 -CKE-> s3 -CV-> s4 -CCS-> s5 -Fin-> s6;
 * everything else alerts and closes (state 7 is the closed sink). `patch` changes transitions.
 */
function server12(patch: (t: Map<string, [number, string]>) => void = () => undefined): Mealy<InputSymbol> {
  const sink = 7;
  const t = new Map<string, [number, string]>();
  const path: Array<[number, InputSymbol, number, string]> = [
    [0, 'client_hello', 1, FLIGHT],
    [1, 'certificate', 2, '-'],
    [1, 'certificate(empty)', sink, `alert(handshake_failure)+${CLOSED}`],
    [2, 'client_key_exchange', 3, '-'],
    [3, 'certificate_verify', 4, '-'],
    [4, 'change_cipher_spec', 5, '-'],
    [5, 'finished', 6, 'change_cipher_spec+finished'],
    [6, 'client_hello', 6, 'alert(warning:no_renegotiation)'],
  ];
  for (const [q, a, n, o] of path) t.set(`${q}|${a}`, [n, o]);
  patch(t);
  const next: number[][] = [];
  const out: string[][] = [];
  for (let q = 0; q <= sink; q++) {
    next.push(IN.map((a) => (q === sink ? sink : (t.get(`${q}|${a}`)?.[0] ?? sink))));
    out.push(IN.map((a) => (q === sink ? CLOSED : (t.get(`${q}|${a}`)?.[1] ?? REJECT))));
  }
  return { inputs: IN, size: sink + 1, next, out };
}

const opts = { version: '1.2' as const, role: 'server' as const, clientAuth: true };
const brief = (d: Awaited<ReturnType<typeof diffAgainstRfc>>) => d.differences.map((x) => `${x.kind} ${x.word.join(',')}`);

describe('the diff against the RFC machine', () => {
  it('finds no difference in a server that follows the RFC machine, and lists the latitudes it takes', async () => {
    const d = await diffAgainstRfc(server12(), opts);
    expect(brief(d)).toEqual([]);
    expect(d.freedoms.map((f) => f.freedom.id).sort()).toEqual(['empty-client-certificate', 'renegotiation-refused']);
    expect(d.judged.every((j) => j.verdict !== 'difference')).toBe(true);
  });

  it('reports an ignored early ChangeCipherSpec as accepts-invalid with t12.order.ccs-timing and the shortest word', async () => {
    const d = await diffAgainstRfc(
      server12((t) => t.set('1|change_cipher_spec', [1, '-'])),
      opts,
    );
    expect(brief(d)).toEqual(['accepts-invalid client_hello,change_cipher_spec']);
    expect(d.differences[0]!.rules).toContain('t12.order.ccs-timing');
    expect(d.differences[0]!.proceeds).toBe(true);
    expect(d.rfcEdges.some((e) => e.kind === 'extra')).toBe(true);
  });

  it('reports an alert the broken rule does not name, and a close without any alert (TLS 1.2 requires one)', async () => {
    const d = await diffAgainstRfc(
      server12((t) => {
        t.set('3|finished', [7, `alert(decode_error)+${CLOSED}`]);
        t.set('3|client_key_exchange', [7, CLOSED]);
      }),
      opts,
    );
    expect(brief(d).sort()).toEqual([
      'no-alert client_hello,certificate,client_key_exchange,client_key_exchange',
      'wrong-alert client_hello,certificate,client_key_exchange,finished',
    ]);
    const wrong = d.differences.find((x) => x.kind === 'wrong-alert')!;
    expect(wrong.allowedAlerts?.map((a) => a.alert)).toContain('unexpected_message');
  });

  it('reports a valid input refused, a flight not sent, and an empty Certificate refused with another alert', async () => {
    const refused = await diffAgainstRfc(
      server12((t) => {
        t.set('1|certificate(empty)', [7, `alert(decode_error)+${CLOSED}`]);
        t.set('2|client_key_exchange', [7, `alert(internal_error)+${CLOSED}`]);
      }),
      opts,
    );
    expect(brief(refused).sort()).toEqual([
      'rejects-valid client_hello,certificate,client_key_exchange',
      'wrong-alert client_hello,certificate(empty)',
    ]);
    const silent = await diffAgainstRfc(
      server12((t) => t.set('5|finished', [6, '-'])),
      opts,
    );
    expect(brief(silent)).toEqual([
      'missing-output client_hello,certificate,client_key_exchange,certificate_verify,change_cipher_spec,finished',
    ]);
  });

  it('reports a fatal alert after which the connection stays open, and not one whose close came late', async () => {
    const FULL = ['client_hello', 'certificate', 'client_key_exchange', 'certificate_verify', 'change_cipher_spec', 'finished'];
    // state 8: the connection open and silent after the alert
    const withOpen = (m: Mealy<InputSymbol>): Mealy<InputSymbol> => ({
      ...m,
      size: m.size + 1,
      next: [...m.next, IN.map(() => m.size)],
      out: [...m.out, IN.map(() => '-')],
    });
    const open = await diffAgainstRfc(withOpen(server12((t) => t.set('6|certificate', [8, 'alert(unexpected_message)']))), opts);
    expect(brief(open)).toEqual([`open-after-alert ${[...FULL, 'certificate'].join(',')}`]);
    expect(open.differences[0]!.detail).toContain('RFC 5246 §7.2.2');
    // the close came after the alert's answer window: the next input meets the closed connection
    const late = await diffAgainstRfc(
      server12((t) => t.set('6|certificate', [7, 'alert(unexpected_message)'])),
      opts,
    );
    expect(brief(late)).toEqual([]);
  });
});

describe('two learned machines and the differential comparison', () => {
  it('compares two machines by their shortest disagreeing words', () => {
    const a = server12();
    const b = server12((t) => t.set('1|change_cipher_spec', [1, '-']));
    expect(compareMachines(a, a).equivalent).toBe(true);
    const c = compareMachines(a, b);
    expect(c.equivalent).toBe(false);
    expect(c.disagreements.map((x) => x.word.join(','))).toEqual(['client_hello,change_cipher_spec']);
  });

  it('groups conversations where implementations disagree, and leaves out what did not take effect', () => {
    const obs = (implementation: string, outcome: string, fired = true): Observation => ({
      implementation,
      outcome: outcome as Observation['outcome'],
      verdict: outcome === 'completed' ? 'accepted-invalid' : 'conforming',
      ladder: ['C->S: client_hello'],
      fired,
    });
    const conv = (index: number, o: ConversationObservations['observations']): ConversationObservations => ({
      index,
      name: `c${index}`,
      family: 'mutant 1.2',
      spec: `c${index}`,
      observations: o,
    });
    const r = compareObservations(
      [
        conv(0, [obs('a', 'alert(illegal_parameter)'), obs('b', 'alert(internal_error)')]),
        conv(1, [obs('a', 'alert(illegal_parameter)'), obs('b', 'alert(internal_error)')]),
        conv(2, [obs('a', 'completed'), obs('b', 'alert(decode_error)')]),
        conv(3, [obs('a', 'alert(decode_error)'), obs('b', 'alert(decode_error)')]),
        conv(4, [obs('a', 'completed', false), obs('b', 'alert(decode_error)')]),
      ],
      ['a', 'b'],
    );
    expect(r.disagreements.map((d) => `${d.kind} ${d.conversation.name}`)).toEqual(['alert c0', 'alert c1', 'accept-reject c2']);
    expect(r.groups.map((g) => g.disagreements.length).sort()).toEqual([1, 2]);
    expect(r.notComparable.map((n) => n.name)).toEqual(['c4']);
    expect(r.matrix.disagreements['mutant 1.2']).toBe(3);
  });
});
