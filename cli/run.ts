/**
 * `tlsprop run [--smoke] [--count N] [--mutants M] [--seed S] [--out DIR] [--include-secrets]`:
 * the main job. The conformance suite against the built-in default target,
 * our own TLS 1.2/1.3 client and server run in memory:
 *
 * 1. the reference flows of the MQTT-broker write-up (mutual and one-way),
 *    then N generated handshake plans across versions, suites, groups, key
 *    types, client-auth modes, HRR and resumption: each rendered to a real
 *    transcript and checked by every rule (zero violations expected);
 * 2. every mutation operator on M generated base handshakes: each mutant
 *    must trip the rules its operator declares;
 * 3. the coverage report (rules, state machines, configurations, mutation
 *    score, counterexamples) written as JSON, JUnit, Markdown and HTML.
 *
 * Progress goes to stderr; the seed is printed so that a run replays
 * (`--seed S`). Exit 0 when every valid transcript conforms and every
 * mutant is caught, 1 otherwise.
 */
import fc from 'fast-check';
import { nodeProvider } from '../crypto/provider';
import { testPki } from '../engine/fixtures';
import { type HandshakePlan, REFERENCE_PLANS, handshakePlanArb, newRenderCache, renderHandshake } from '../generators/handshake';
import { OFFLINE_MUTATIONS as OPERATORS, baseChoiceArb, runMutant } from '../generators/mutations';
import { checkTranscript } from '../oracles/evaluate';
import type { Verdict } from '../oracles/rule';
import { buildCoverage, machinesFromOracles } from '../reports/coverage';
import { ruleInfos } from '../reports/jest-reporter';
import type { MutantRun, RunInput, TranscriptRun } from '../reports/model';
import { renderReports } from '../reports/render';
import { walkedTransitions } from '../reports/transitions';
import type { Transcript } from '../transcript/model';
import { UsageError, option, parseArgs } from './args';
import { displayName } from './explain';
import type { Io } from './main';

/** Group consecutive messages of one direction into flights: `C->S: ClientHello` lines. */
export function ladder(t: Transcript): string[] {
  const lines: string[] = [];
  let cur: { dir: string; names: string[] } | undefined;
  for (const m of t.messages) {
    const name = displayName(m.type);
    if (cur && cur.dir === m.dir) cur.names.push(name);
    else {
      if (cur) lines.push(`${cur.dir}: ${cur.names.join(', ')}`);
      cur = { dir: m.dir, names: [name] };
    }
  }
  if (cur) lines.push(`${cur.dir}: ${cur.names.join(', ')}`);
  return lines;
}

function count(p: ReturnType<typeof parseArgs>, name: string, fallback: number): number {
  const v = option(p, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} needs a whole number, got ${JSON.stringify(v)}`);
  return n;
}

const violations = (vs: readonly Verdict[]): Verdict[] => vs.filter((v) => v.status === 'violation');

export async function runCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(args, { flags: ['smoke', 'include-secrets'], options: ['count', 'mutants', 'seed', 'out'] });
  const smoke = p.flags.has('smoke');
  const n = count(p, 'count', smoke ? 4 : 40);
  const perOperator = count(p, 'mutants', smoke ? 1 : 2);
  const seed = count(p, 'seed', Date.now() % 2 ** 31);
  const outDir = option(p, 'out') ?? 'out/suite';
  const started = Date.now();
  const progress = (s: string) => io.err(`[run ${((Date.now() - started) / 1000).toFixed(1)}s] ${s}`);
  io.out(`tlsprop run: the conformance suite against the built-in target (our TLS 1.2/1.3 client and server, in memory)`);
  io.out(
    `seed ${seed} (replay with --seed ${seed}), ${n} generated handshakes, ${perOperator} mutant(s) for each of ${OPERATORS.length} operators`,
  );

  const transcripts: TranscriptRun[] = [];
  const failures: string[] = [];
  const provider = nodeProvider();
  const cache = newRenderCache(provider);

  // 1. The reference flows, then generated plans.
  const plans: Array<[string, HandshakePlan]> = [
    ['reference mutual (MQTT broker + mosquitto_pub)', REFERENCE_PLANS.mutual],
    ['reference one-way (verify_none)', REFERENCE_PLANS.oneway],
    ...fc
      .sample(handshakePlanArb(), { seed, numRuns: n })
      .map((plan, i): [string, HandshakePlan] => [`plan ${i + 1}/${n}`, plan]),
  ];
  for (const [i, [label, plan]] of plans.entries()) {
    const r = await renderHandshake(plan, cache);
    const earlier: Transcript[] = r.earlier.map((e) => e.transcript);
    const checks = { trustAnchors: r.trustAnchors, at: r.at, privateKeys: r.privateKeys, certCache: cache.certCache, provider };
    for (const [k, e] of r.earlier.entries()) {
      const first = await checkTranscript(e.transcript, { ...checks, earlier: earlier.slice(0, k) });
      transcripts.push({
        id: `${label} (first connection)`,
        provenance: e.transcript.provenance,
        config: r.config,
        verdicts: first.verdicts,
        transitions: walkedTransitions(first.context),
        ladder: ladder(e.transcript),
      });
    }
    const res = await checkTranscript(r.transcript, { ...checks, earlier });
    const lines = ladder(r.transcript);
    transcripts.push({
      id: label,
      provenance: r.transcript.provenance,
      config: r.config,
      verdicts: res.verdicts,
      transitions: walkedTransitions(res.context),
      ladder: lines,
    });
    const bad = violations(res.verdicts);
    const completed = r.run.clientOutcome.kind === 'connected' || r.run.clientOutcome.kind === 'closed';
    if (!completed || bad.length)
      failures.push(
        `${label} [${r.config.version} ${r.config.cipherSuite}]: ${completed ? bad.map((v) => `${v.rule}: ${v.detail}`).join('; ') : `did not complete (${r.run.clientOutcome.kind})`}`,
      );
    if (i < 2) {
      io.out(`${label}:`);
      for (const l of lines) io.out(`  ${l}`);
    }
    progress(
      `valid ${i + 1}/${plans.length}: ${label}: TLS ${r.config.version} ${r.config.cipherSuite} ${bad.length ? `${bad.length} violation(s)` : 'ok'}`,
    );
  }

  // 2. Every mutation operator on generated bases.
  const pki = await testPki(Date.now(), provider);
  const mutants: MutantRun[] = [];
  let caught = 0;
  for (const [k, op] of OPERATORS.entries()) {
    for (const choice of fc.sample(baseChoiceArb(op), { seed: seed + k + 1, numRuns: perOperator })) {
      const m = await runMutant(op, pki, choice);
      const res = await checkTranscript(m.transcript, m.check);
      const tripped = [...new Set(violations(res.verdicts).map((v) => v.rule))].sort();
      const missing = op.rules.filter((d) => !tripped.includes(d));
      if (missing.length)
        failures.push(
          `mutant ${op.name} on ${choice.base} (engine seed ${choice.seed}): declared rule(s) not tripped: ${missing.join(', ')}`,
        );
      // Undecidable from a transcript: the named rules must say inconclusive, never pass.
      for (const u of op.undecidable ?? []) {
        const st = res.verdicts.filter((v) => v.rule === u).map((v) => v.status);
        if (!st.length || st.some((x) => x !== 'inconclusive'))
          failures.push(`mutant ${op.name}: ${u} should be inconclusive, was ${st.join('/') || 'absent'}`);
      }
      if (!op.rules.length) continue; // nothing to catch: not part of the mutation score
      if (!missing.length) caught++;
      mutants.push({
        id: `${op.name}/${choice.base}/${choice.seed}`,
        operator: op.name,
        declaredRules: [...op.rules],
        seed: choice.seed,
        path: `${choice.base}/${op.name}`,
        trippedRules: tripped,
        transitions: walkedTransitions(res.context),
      });
    }
    progress(`mutants ${k + 1}/${OPERATORS.length}: ${op.name}`);
  }

  // 3. The coverage report.
  const input: RunInput = {
    tool: { name: 'tlsprop', version: '0.1.0' },
    startedAt: new Date(started).toISOString(),
    rules: ruleInfos(),
    transcripts,
    mutants,
    stateMachines: machinesFromOracles(),
  };
  const report = buildCoverage(input);
  const written = renderReports(report, { outDir, includeSecrets: p.flags.has('include-secrets') });
  const s = report.summary;
  io.out('');
  io.out(
    `${s.transcripts} valid transcripts: ${s.verdicts.pass} pass, ${s.verdicts.violation} violation, ${s.verdicts.inconclusive} inconclusive, ${s.verdicts['not-applicable']} not applicable`,
  );
  io.out(
    `${mutants.length} mutants from ${OPERATORS.length} operators: ${caught} caught with their declared rules, ${mutants.length - caught} not (operators that declare no rule check inconclusiveness instead)`,
  );
  io.out(
    `rules: ${s.rulesApplied} of ${s.rules} applied, ${s.rulesProven} proven by a mutant, ${s.rulesPassedByValid} passed by a valid transcript`,
  );
  io.out(`state-machine transitions exercised: ${s.transitionsExercised} of ${s.transitionsTotal}`);
  for (const f of failures) io.out(`FAIL ${f}`);
  for (const w of written) io.out(`written: ${w}`);
  io.out(`${failures.length ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed})`);
  return failures.length ? 1 : 0;
}
