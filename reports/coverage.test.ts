import { buildCoverage, itemFails, machinesFromOracles, mergeReports, transitionKey } from './coverage';
import { toJunit } from './writers/junit';
import type { CoverageReport, RuleCoverage } from './model';
import { rfcLinks } from './rfc';
import { sampleInput, sampleShards } from './testing/sample';

const rule = (r: CoverageReport, id: string): RuleCoverage => {
  const x = r.rules.find((y) => y.id === id);
  if (!x) throw new Error(`no rule ${id}`);
  return x;
};
const counts = (x: RuleCoverage) => ({
  applied: x.applied,
  passed: x.passed,
  violated: x.violated,
  inconclusive: x.inconclusive,
  notApplicable: x.notApplicable,
  passedByValid: x.passedByValid,
  mutantsDeclaring: x.mutantsDeclaring,
  mutantsProving: x.mutantsProving,
  proven: x.proven,
  violationCount: x.violationCount,
});

describe('buildCoverage', () => {
  const r = buildCoverage(sampleInput());

  it('counts each rule per transcript by its worst verdict', () => {
    expect(r.rules.map((x) => x.id)).toEqual([
      'rec.plaintext-max-len',
      't12.neg.suite-offered',
      't13.fin.verify-data',
      't13.order.server-first',
    ]);
    expect(counts(rule(r, 't13.order.server-first'))).toEqual({
      applied: 2,
      passed: 2,
      violated: 0,
      inconclusive: 0,
      notApplicable: 1,
      passedByValid: true,
      mutantsDeclaring: 2,
      mutantsProving: 1,
      proven: true,
      violationCount: 0,
    });
    expect(counts(rule(r, 't12.neg.suite-offered'))).toEqual({
      applied: 1,
      passed: 1,
      violated: 0,
      inconclusive: 0,
      notApplicable: 1,
      passedByValid: true,
      mutantsDeclaring: 2,
      mutantsProving: 1,
      proven: true,
      violationCount: 0,
    });
    expect(counts(rule(r, 'rec.plaintext-max-len'))).toEqual({
      applied: 3,
      passed: 1,
      violated: 1,
      inconclusive: 1,
      notApplicable: 0,
      passedByValid: true,
      mutantsDeclaring: 0,
      mutantsProving: 0,
      proven: false,
      violationCount: 1,
    });
    expect(counts(rule(r, 't13.fin.verify-data'))).toEqual({
      applied: 2,
      passed: 1,
      violated: 0,
      inconclusive: 1,
      notApplicable: 0,
      passedByValid: true,
      mutantsDeclaring: 0,
      mutantsProving: 0,
      proven: false,
      violationCount: 0,
    });
    expect(rule(r, 'rec.plaintext-max-len').violations).toEqual([
      { transcript: 't2', message: 3, detail: 'Record 3 is 16385 bytes: <too & "long">', expected: '<= 16384', actual: '16385' },
    ]);
    expect(rule(r, 'rec.plaintext-max-len').rfc).toEqual(['RFC 5246 §6.2.1', 'RFC 8446 §5.1']);
  });

  it('passedByValid ignores transcripts marked invalid, and undeclared rules show up', () => {
    const input = sampleInput();
    for (const t of input.transcripts) t.valid = false;
    input.transcripts[0]!.verdicts.push({ rule: 'rec.alert-format', status: 'violation', detail: 'd' });
    const r2 = buildCoverage(input);
    expect(rule(r2, 't13.order.server-first').passedByValid).toBe(false);
    expect(rule(r2, 'rec.alert-format')).toMatchObject({ declared: false, violated: 1 });
    expect(r2.summary.rules).toBe(4);
  });

  it('scores mutants: caught by the declared rule, caught otherwise, missed', () => {
    const m = r.mutation;
    expect(m.operators).toEqual([
      { operator: 'drop-message', mutants: 2, caught: 1, caughtOtherwise: 1, missed: 0 },
      { operator: 'swap-suite', mutants: 2, caught: 1, caughtOtherwise: 0, missed: 1 },
    ]);
    expect([m.mutants, m.caught, m.caughtOtherwise, m.missed, m.score, m.killRate]).toEqual([4, 2, 1, 1, 0.5, 0.75]);
    expect(m.missedMutants).toEqual([
      { id: 'm3', operator: 'swap-suite', declaredRules: ['t12.neg.suite-offered'], tripped: [], seed: 23, path: '4:4' },
    ]);
    expect(m.otherwiseMutants.map((x) => [x.id, x.tripped])).toEqual([['m2', ['t12.neg.suite-offered']]]);
  });

  it('covers state machines: exercised / total, unexercised, invalid tries', () => {
    expect(r.stateMachines.map((m) => [m.machine, m.exercised, m.total, m.invalidTried.length])).toEqual([
      ['t12-server', 1, 3, 2],
      ['t13-client', 3, 7, 0],
    ]);
    const t13 = r.stateMachines[1]!;
    expect(t13.transitions.find((t) => t.via === 'send client_hello' && t.from === 'START')!.count).toBe(2);
    expect(t13.unexercised.map(transitionKey).map((k) => k.split('\u0000').join(' '))).toEqual([
      'WAIT_CH2 send client_hello WAIT_SH',
      'WAIT_EE recv encrypted_extensions WAIT_FIN',
      'WAIT_FIN recv finished CONNECTED',
      'CONNECTED recv new_session_ticket CONNECTED',
    ]);
    expect(r.stateMachines[0]!.invalidTried).toEqual([
      { from: 'SENT_SH', to: 'CONNECTED', via: 'recv finished', count: 1 },
      { from: 'START', to: 'CONNECTED', via: 'recv finished', count: 1 },
    ]);
  });

  it('covers configuration dimensions with counts and missing enum values', () => {
    const d = (name: string) => r.configuration.dimensions.find((x) => x.dimension === name)!;
    expect(r.configuration.transcripts).toBe(3);
    expect(d('version').values).toEqual([
      { value: '1.2', count: 1 },
      { value: '1.3', count: 2 },
    ]);
    expect(d('cipherSuite').distinct).toBe(3);
    expect(d('signatureScheme').distinct).toBe(2);
    expect(d('clientAuth').missing).toEqual(['requested-sent', 'requested-empty']);
    expect(d('resumption').missing).toEqual(['session_id', 'psk_ke']);
    expect(d('helloRetry').values).toEqual([
      { value: 'false', count: 2 },
      { value: 'true', count: 1 },
    ]);
    // the breadth dimensions: a configuration point without them counts as none
    expect(d('earlyData')).toMatchObject({ values: [{ value: 'none', count: 3 }], missing: ['accepted', 'rejected'] });
    expect(d('renegotiation').missing).toEqual(['client', 'server']);
    expect(d('certCompression').values).toEqual([{ value: 'none', count: 3 }]);
    expect(d('postHandshakeAuth').missing).toEqual(['true']);
    expect(d('extensions').values).toEqual([
      { value: 'key_share', count: 2 },
      { value: 'pre_shared_key', count: 1 },
      { value: 'session_ticket', count: 1 },
      { value: 'supported_versions', count: 2 },
    ]);
  });

  it('lists counterexamples with ladder, seed and path, and sums up', () => {
    expect(r.counterexamples.map((c) => [c.kind, c.id, c.seed, c.path])).toEqual([
      ['conversation', 'gnutls client hangs', undefined, undefined],
      ['conversation', 'openssl server finished-before-cke <x>', 31, '7:0'],
      ['transcript', 't2', 12, '3:2:1'],
    ]);
    expect(r.counterexamples[1]!.ladder).toHaveLength(6);
    expect(r.counterexamples[2]!.rules).toEqual(['rec.plaintext-max-len']);
    expect(r.conversations).toEqual([
      { verdict: 'conforming', count: 1 },
      { verdict: 'accepted-invalid', count: 1 },
      { verdict: 'hung', count: 1 },
    ]);
    expect(r.summary).toEqual({
      rules: 4,
      rulesApplied: 4,
      rulesViolated: 1,
      rulesProven: 2,
      rulesPassedByValid: 4,
      transcripts: 3,
      verdicts: { pass: 7, violation: 1, inconclusive: 2, 'not-applicable': 2 },
      mutants: 4,
      mutantsCaught: 2,
      mutantsCaughtOtherwise: 1,
      mutantsMissed: 1,
      conversations: 3,
      conversationsFailing: 2,
      transitionsTotal: 10,
      transitionsExercised: 4,
      counterexamples: 3,
      failures: 3,
      ok: false,
    });
  });

  it('is deterministic whatever the input order', () => {
    const input = sampleInput();
    input.transcripts.reverse();
    input.mutants.reverse();
    input.conversations!.reverse();
    input.rules.reverse();
    expect(JSON.stringify(buildCoverage(input))).toBe(JSON.stringify(r));
  });
});

describe('a rule violation in a conversation the run counted as conforming', () => {
  // a TLS 1.2 server that closed without the alert RFC 5246 §7.2.2 requires: conforming under --strictness alert-or-close
  const input = sampleInput();
  input.conversations = [
    {
      target: 'openssl',
      role: 'server',
      name: 'client-cert-expired',
      verdict: 'conforming',
      ladder: ['C->S client_hello', 'S->C server_hello', 'closed without an alert'],
      seed: 4,
      path: '9',
      verdicts: [
        {
          rule: 't12.neg.suite-offered',
          status: 'violation',
          detail: 'The peer closed without an alert; RFC 5246 §7.2.2 requires the appropriate alert before closing.',
        },
      ],
    },
  ];
  const r = buildCoverage(input);

  it('is counted, marked accepted, and listed as a finding that does not fail the run', () => {
    const rule = r.rules.find((x) => x.id === 't12.neg.suite-offered')!;
    expect(rule.violationsAccepted).toBe(1);
    expect(rule.violations.find((v) => v.transcript.includes('client-cert-expired'))?.accepted).toMatch(/--strictness/);
    const items = r.findings.find((f) => f.rule === 't12.neg.suite-offered')!.items;
    const item = items.find((i) => i.name === 'client-cert-expired')!;
    expect(item).toMatchObject({ verdict: 'conforming', seed: 4, path: '9' });
    expect(item.accepted).toMatch(/counted this conversation as conforming/);
    expect(itemFails(item)).toBe(false);
  });

  it('JUnit: the rule testcase fails only for violations the run did not accept', () => {
    const junit = toJunit(r);
    const suiteCase =
      /<testcase classname="tlsprop\.rules\.negotiation" name="t12\.neg\.suite-offered[^"]*"[^>]*>([\s\S]*?)<\/testcase>/.exec(
        junit,
      );
    expect(suiteCase).not.toBeNull();
    // the sample's transcripts do not violate this rule: its one violation is the accepted one
    expect(suiteCase![1]).not.toContain('<failure');
    expect(suiteCase![1]).toContain('1 violation(s), each accepted by the run');
    // the failures counted are the sample transcript's own violation, not the accepted one
    expect(r.summary.failures).toBe(1);
    expect(r.findings.flatMap((f) => f.items).filter((i) => itemFails(i) && i.accepted !== undefined)).toEqual([]);
  });
});

describe('mergeReports', () => {
  it('merging two shards equals the report of the union, in either order', () => {
    const [a, b] = sampleShards();
    const union = buildCoverage(sampleInput());
    expect(mergeReports([buildCoverage(a), buildCoverage(b)])).toEqual(union);
    expect(mergeReports([buildCoverage(b), buildCoverage(a)])).toEqual(union);
  });
  it('does not modify its inputs and rejects other schemas', () => {
    const [a, b] = sampleShards();
    const ra = buildCoverage(a);
    const before = JSON.stringify(ra);
    mergeReports([ra, buildCoverage(b)]);
    expect(JSON.stringify(ra)).toBe(before);
    expect(() => mergeReports([{ ...ra, schema: 'other/2' } as unknown as CoverageReport])).toThrow(/schema/);
    expect(() => mergeReports([])).toThrow();
  });
  it('sums counts of a report merged with itself', () => {
    const r = buildCoverage(sampleInput());
    const twice = mergeReports([r, r]);
    expect(twice.summary.transcripts).toBe(6);
    expect(rule(twice, 'rec.plaintext-max-len').violationCount).toBe(2);
    expect(twice.counterexamples).toHaveLength(6);
    expect(twice.stateMachines[1]!.exercised).toBe(3);
    expect(twice.mutation.score).toBe(0.5);
  });
});

describe('machinesFromOracles', () => {
  it('gives four role machines with send/recv transitions', () => {
    const ms = machinesFromOracles();
    expect(ms.map((m) => m.machine)).toEqual(['t12-client', 't12-server', 't13-client', 't13-server']);
    const c = ms[0]!.transitions;
    expect(c).toContainEqual({ from: 'START', to: 'WAIT_SH', via: 'send client_hello' });
    expect(ms[1]!.transitions).toContainEqual({ from: 'START', to: 'WAIT_SH', via: 'recv client_hello' });
    expect(new Set(c.map(transitionKey)).size).toBe(c.length);
  });
});

describe('rfcLinks', () => {
  it('links sections and appendices', () => {
    expect(rfcLinks('RFC 5246 §7.4.1.3; RFC 8446 §4.1.3, §4.1.4, App. B, B.2').map((l) => l.href)).toEqual([
      'https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.3',
      'https://www.rfc-editor.org/rfc/rfc8446#section-4.1.3',
      'https://www.rfc-editor.org/rfc/rfc8446#section-4.1.4',
      'https://www.rfc-editor.org/rfc/rfc8446#appendix-B',
      'https://www.rfc-editor.org/rfc/rfc8446#appendix-B.2',
    ]);
    expect(rfcLinks(['RFC 7568', 'RFC 5246 §7.3 (Fig. 2)']).map((l) => l.href)).toEqual([
      'https://www.rfc-editor.org/rfc/rfc7568',
      'https://www.rfc-editor.org/rfc/rfc5246#section-7.3',
    ]);
  });
});
