/**
 * Every mutation of the catalogue that runs in memory, over generated base
 * handshakes (engine configurations; fast-check picks the base, suite,
 * group, compat mode and randoms), trips every rule it declares; the
 * unmutated bases are clean; every implemented transcript rule is tripped by
 * a mutation or by a named hand-made row; a mutation score table is printed
 * at the end. The catalogue itself is checked first: every declaration valid
 * (generators/mutations/model.ts `checkMutation`), names unique.
 */
import fc from 'fast-check';
import { type TestPki, testPki } from '../engine/fixtures';
import {
  BASE_GROUPS,
  BASE_NAMES,
  MUTATIONS,
  OFFLINE_MUTATIONS as OPERATORS,
  baseChoiceArb,
  runBase,
  runMutant,
} from '../generators/mutations';
import { checkMutation, rulesIn } from '../generators/mutations/model';
import { BASES } from '../generators/mutations/support';
import { type RuleId, allRules, isRuleId } from '../oracles/catalogue';
import { checkTranscript, ruleStatus } from '../oracles/evaluate';
import type { Verdict } from '../oracles/rule';
import { recordFragment, runDir } from '../reports/collect';

const RUNS = Math.max(1, Number(process.env['TLSPROP_RUNS'] ?? 2));

/**
 * Implemented transcript rules no operator declares, each with the hand-made
 * row (spec file, rule, base capture) that trips them and the reason a
 * mutation of a generated handshake cannot. Empty: every implemented rule
 * has an operator (a new rule must get one, or an entry here with its reason).
 */
const HAND_MADE_ONLY: Readonly<Partial<Record<RuleId, string>>> = {
  // A record a key does not open while it opens the others is rec.integrity (the flipped-record operators); the key
  // rules are broken only by keys that open nothing, i.e. a key log that does not belong to the handshake, which is
  // not part of a handshake's bytes: spec/crypto-cert.spec.ts rows with a wrong key log.
  't12.ks.key-block': 'spec/crypto-cert.spec.ts: the TLS 1.2 key log with a wrong master secret (no record opens)',
  't13.ks.traffic-keys': 'spec/crypto-cert.spec.ts: the TLS 1.3 key log with wrong traffic secrets (no record opens)',
  // How a side closed the transport (FIN/RST) is not in a generated in-memory handshake: captures only.
  'alert.close-notify': 'spec/rule-violations.spec.ts: a capture whose server FIN comes before its close_notify',
  // a record sealed with the sender's handshake key after its Finished: the engine's keys move on with its Finished,
  // so no hook of ours can seal one; the rule has a hand-made row (spec/rule-violations.spec.ts) and the faulty
  // target's hs-keys-after-finished fault shows it live (spec/faulty-target.spec.ts)
  'rec.t13.app-keys-after-finished':
    'sealed by hand in spec/rule-violations.spec.ts, and live by the faulty target (engine fault hs-keys-after-finished)',
  'rec.rsl-enforced':
    "a record over the peer's record_size_limit must be sealed by a record layer that ignores the limit its own handshake negotiated: a hook edits messages before sealing, an offline edit cannot re-seal; engine/record-size-limit.test.ts runs such a server (our client answers record_overflow) and finds the record with this rule",
  't12.ks.pms-psk':
    'a premaster that breaks RFC 4279 §2 needs both endpoints to form it alike (one side alone fails the Finished first, t12.fin.verify-data): no hook on one endpoint makes it; spec/crypto-cert.spec.ts row t12.ks.pms-psk judges an ECDHE_PSK handshake with another key under its identity',
};

const violated = (vs: readonly Verdict[]): RuleId[] =>
  [...new Set(vs.filter((v) => v.status === 'violation').map((v) => v.rule))].sort();

interface Score {
  runs: number;
  caught: number;
  caughtOtherwise: number;
  missed: number;
  also: Set<string>;
}

describe('mutation operators', () => {
  let pki: TestPki;
  const scores = new Map<string, Score>();
  const mutants: { operator: string; declaredRules: RuleId[]; seed: number; path: string; trippedRules: RuleId[] }[] = [];
  beforeAll(async () => {
    pki = await testPki();
  });
  afterAll(() => {
    if (mutants.length) recordFragment(runDir(), { mutants });
    const rows = OPERATORS.map((op) => {
      const s = scores.get(op.name);
      const tripped = !s ? 'not run' : s.missed ? 'NO' : s.caught ? 'yes' : s.caughtOtherwise ? 'otherwise' : 'n/a';
      return [op.name, op.rules.join(',') || '(none)', tripped, s ? [...s.also].sort().join(',') : ''] as const;
    });
    const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 8));
    const total = { caught: 0, otherwise: 0, missed: 0 };
    for (const s of scores.values()) {
      total.caught += s.caught;
      total.otherwise += s.caughtOtherwise;
      total.missed += s.missed;
    }
    const lines = [
      '',
      'mutation score (operator | declared rules | tripped | also tripped)',
      ...rows.map((r) => `${r[0].padEnd(w[0]!)} | ${r[1].padEnd(w[1]!)} | ${r[2].padEnd(w[2]!)} | ${r[3]}`),
    ];
    lines.push(
      `mutants: ${total.caught} caught with a declared rule, ${total.otherwise} caught otherwise, ${total.missed} missed (${OPERATORS.length} operators)`,
      '',
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  });

  it('the catalogue: every declaration valid, unique names, at least 40 run in memory with declared rules the oracles have', () => {
    expect(MUTATIONS.flatMap((m) => checkMutation(m).map((p) => `${m.name}: ${p}`))).toEqual([]);
    expect(new Set(MUTATIONS.map((m) => m.name)).size).toBe(MUTATIONS.length);
    expect(OPERATORS.length).toBeGreaterThanOrEqual(40);
    // typed RuleId, and checked at run time as well (a declaration may be built from strings)
    expect(
      OPERATORS.flatMap((o) => [...o.rules, ...(o.undecidable ?? []), ...(o.oracleGaps ?? [])]).filter((r) => !isRuleId(r)),
    ).toEqual([]);
  });

  it.each(BASE_NAMES.map((b) => [b]))('the unmutated base %s connects and shows no violation', async (base) => {
    const r = await runBase(pki, {
      base,
      suiteIndex: 0,
      group: BASE_GROUPS[0]!,
      compat: true,
      clientRandom: new Uint8Array(32).fill(7),
      serverRandom: new Uint8Array(32).fill(9),
      seed: 0,
    });
    expect([r.run.clientOutcome.kind, r.run.serverOutcome.kind]).toEqual(['connected', 'connected']);
    expect(violated((await checkTranscript(r.transcript, r.check)).verdicts)).toEqual([]);
  });

  it.each(OPERATORS.map((o) => [o.name, o] as const))('%s trips every rule it declares', async (name, op) => {
    const score: Score = { runs: 0, caught: 0, caughtOtherwise: 0, missed: 0, also: new Set() };
    scores.set(name, score);
    await fc.assert(
      fc.asyncProperty(baseChoiceArb(op), async (choice) => {
        const r = await runMutant(op, pki, choice);
        const verdicts = (await checkTranscript(r.transcript, r.check)).verdicts;
        const tripped = violated(verdicts);
        score.runs++;
        // a declaration of both versions may name rules of one version each: those of the base's version must trip
        const declared = rulesIn(op, BASES[choice.base].version);
        const missing = declared.filter((d) => !tripped.includes(d));
        if (op.rules.length && !missing.length) score.caught++;
        else if (tripped.length) score.caughtOtherwise++;
        else if (op.rules.length) score.missed++;
        for (const t of tripped) if (!op.rules.includes(t)) score.also.add(t);
        if (op.rules.length)
          mutants.push({
            operator: name,
            declaredRules: [...op.rules],
            seed: choice.seed,
            path: `${choice.base}/${name}`,
            trippedRules: tripped,
          });
        expect({ base: choice.base, missing }).toEqual({ base: choice.base, missing: [] });
        for (const u of op.undecidable ?? []) expect([u, ruleStatus(verdicts, u)]).toEqual([u, 'inconclusive']);
      }),
      { numRuns: RUNS },
    );
  });

  it('every implemented transcript rule is tripped by an operator or by a named hand-made row', () => {
    const byOps = new Set(OPERATORS.flatMap((o) => o.rules));
    const implemented = allRules.filter((r) => r.evidence !== 'live' && !r.across).map((r) => r.id);
    expect(implemented.filter((id) => !byOps.has(id) && !HAND_MADE_ONLY[id])).toEqual([]);
    // a rule decided across the connections of a run (oracles/across.ts) no single transcript trips: an engine fault
    // breaks it (reuse-server-randomness, found by spec/faulty-target.spec.ts; oracles/across.test.ts)
    const byFaults = new Set(MUTATIONS.filter((m) => m.where === 'engine-fault').flatMap((m) => m.rules));
    expect(allRules.filter((r) => r.across && !byFaults.has(r.id)).map((r) => r.id)).toEqual([]);
    // the allow-list stays tight: no entry an operator already covers, none for a rule that is gone
    const known = new Set<string>(implemented);
    expect(Object.keys(HAND_MADE_ONLY).filter((id) => !isRuleId(id) || byOps.has(id) || !known.has(id))).toEqual([]);
  });
});
