/**
 * Every mutation operator, over generated base handshakes (engine
 * configurations; fast-check picks the base, suite, group, compat mode and
 * randoms), trips every rule it declares; the unmutated bases are clean;
 * every implemented transcript rule is tripped by an operator or by a named
 * hand-made row; a mutation score table is printed at the end.
 */
import fc from 'fast-check';
import { type TestPki, testPki } from '../engine/fixtures';
import { BASE_GROUPS, BASE_NAMES, OPERATORS, baseChoiceArb, runBase, runMutant } from '../generators/mutations';
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
const HAND_MADE_ONLY: Readonly<Record<string, string>> = {};

const violated = (vs: readonly Verdict[]): string[] =>
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
      return [op.name, op.declares.join(',') || '(none)', tripped, s ? [...s.also].sort().join(',') : ''] as const;
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

  it('the catalogue has at least 40 operators, unique names, declared rules that exist', () => {
    const ids = new Set<string>(allRules.map((r) => r.id));
    expect(OPERATORS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(OPERATORS.map((o) => o.name)).size).toBe(OPERATORS.length);
    expect(
      OPERATORS.flatMap((o) => [...o.declares, ...(o.undecidable ?? []), ...(o.oracleGaps ?? [])]).filter((r) => !ids.has(r)),
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
        const missing = op.declares.filter((d) => !tripped.includes(d));
        if (op.declares.length && !missing.length) score.caught++;
        else if (tripped.length) score.caughtOtherwise++;
        else if (op.declares.length) score.missed++;
        for (const t of tripped) if (!op.declares.includes(t)) score.also.add(t);
        if (op.declares.length)
          mutants.push({
            operator: name,
            declaredRules: op.declares.filter(isRuleId),
            seed: choice.seed,
            path: `${choice.base}/${name}`,
            trippedRules: tripped.filter(isRuleId),
          });
        expect({ base: choice.base, missing }).toEqual({ base: choice.base, missing: [] });
        for (const u of op.undecidable ?? []) expect([u, isRuleId(u) && ruleStatus(verdicts, u)]).toEqual([u, 'inconclusive']);
      }),
      { numRuns: RUNS },
    );
  });

  it('every implemented transcript rule is tripped by an operator or by a named hand-made row', () => {
    const byOps = new Set(OPERATORS.flatMap((o) => o.declares));
    const implemented = allRules.filter((r) => r.evidence !== 'live').map((r) => r.id);
    expect(implemented.filter((id) => !byOps.has(id) && !HAND_MADE_ONLY[id])).toEqual([]);
    // the allow-list stays tight: no entry an operator already covers, none for a rule that is gone
    expect(Object.keys(HAND_MADE_ONLY).filter((id) => byOps.has(id) || !new Set<string>(implemented).has(id))).toEqual([]);
  });
});
