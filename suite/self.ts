/**
 * `tlsprop run --self`: the self-test of our own engine and oracles, in
 * memory, no live peer:
 *
 * 1. the reference flows of the MQTT-broker write-up (mutual and one-way),
 *    then N generated handshake plans across versions, suites, groups, key
 *    types, client-auth modes, HRR and resumption: each rendered to a real
 *    transcript and checked by every rule (zero violations expected);
 * 2. every offline mutation on M generated base handshakes: each mutant
 *    must trip the rules its declaration names;
 * 3. the coverage report (rules, state machines, configurations, mutation
 *    score, counterexamples).
 */
import fc from 'fast-check';
import { nodeProvider } from '../crypto/provider';
import { testPki } from '../engine/fixtures';
import { type HandshakePlan, REFERENCE_PLANS, handshakePlanArb, newRenderCache, renderHandshake } from '../generators/handshake';
import { OFFLINE_MUTATIONS as OPERATORS, baseChoiceArb, runMutant } from '../generators/mutations';
import { BASES } from '../generators/mutations/support';
import { ruleById } from '../oracles/catalogue';
import { checkTranscript } from '../oracles/evaluate';
import type { Verdict } from '../oracles/rule';
import { buildCoverage, machinesFromOracles } from '../reports/coverage';
import { ruleInfos } from '../reports/jest-reporter';
import type { MutantRun, RunInput, TranscriptRun } from '../reports/model';
import { walkedTransitions } from '../reports/transitions';
import type { Transcript } from '../transcript/model';
import type { CoverageReport } from '../reports/model';
import { toolInfo } from '../reports/version';
import { platform } from './run';

/** `client_key_exchange` -> `ClientKeyExchange`. */
function displayName(type: string): string {
  return type
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

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

const violations = (vs: readonly Verdict[]): Verdict[] => vs.filter((v) => v.status === 'violation');

export interface SelfOptions {
  smoke: boolean;
  /** Generated handshakes (default 40, smoke 4). */
  count?: number;
  /** Mutants per operator (default 2, smoke 1). */
  mutants?: number;
  seed: number;
  /** Lines for the reader (stdout). */
  out: (s: string) => void;
  /** Progress lines (stderr). */
  progress: (s: string) => void;
  argv?: readonly string[];
}

export interface SelfResult {
  report: CoverageReport;
  /** What failed, one line each (empty: passed). */
  failures: string[];
  caught: number;
  mutants: number;
  operators: number;
}

/** The self-test (see the header). */
export async function runSelf(o: SelfOptions): Promise<SelfResult> {
  const smoke = o.smoke;
  const n = o.count ?? (smoke ? 4 : 40);
  const perOperator = o.mutants ?? (smoke ? 1 : 2);
  const seed = o.seed;
  const started = Date.now();
  const io = { out: o.out };
  const progress = o.progress;
  io.out(`tlsprop run --self: the self-test of our TLS 1.2/1.3 engine and oracles, in memory`);
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
      // a declaration of both versions may name rules of one version each: those of the base's version must trip
      const version = BASES[choice.base].version;
      const declared = op.rules.filter((d) => ruleById(d).versions.includes(version));
      const missing = declared.filter((d) => !tripped.includes(d));
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
        declaredRules: declared,
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
    tool: toolInfo(),
    startedAt: new Date(started).toISOString(),
    rules: ruleInfos(),
    transcripts,
    mutants,
    stateMachines: machinesFromOracles(),
  };
  input.run = {
    command: 'run --self',
    argv: [...(o.argv ?? [])],
    seed,
    durationMs: Date.now() - started,
    targets: ['tlsprop engine (in memory)'],
    platform: platform(),
  };
  const report = buildCoverage(input);
  return { report, failures, caught, mutants: mutants.length, operators: OPERATORS.length };
}
