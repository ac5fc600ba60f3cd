/**
 * The reports layer's data: what a run hands over (`RunInput`: rule
 * declarations, verdicts per transcript, mutants, live conversations,
 * the state machine tables) and what it becomes (`CoverageReport`, the
 * versioned document every writer renders; `schema/report-v2.schema.json`
 * describes its JSON form).
 *
 * A report keeps only summable raw data (counts, per-transition counts,
 * sorted capped lists); the derived fields (booleans, ratios, summary) are
 * recomputed by `finalize` in coverage.ts, so merging shard reports gives
 * the same report as one run over the union of their inputs.
 */
import type { ConversationRun } from '../oracles/live';
import type { AlertChoice, Evidence, RuleGroup, RuleId, Tolerance, Verdict, VerdictCounts } from '../oracles/rule';
import type { MachineId, MachineTransition, TransitionRef } from '../oracles/statemachine';
import type { Provenance } from '../transcript/model';
import type { ConfigPoint, ConversationVerdict, Role, Side, Strength, TlsVersion } from '../wire/vocabulary';

export const REPORT_SCHEMA = 'tlsprop-report/2' as const;

/** What a report keeps of a rule declaration (no check, no evaluator fields). */
export interface RuleInfo {
  id: RuleId;
  title: string;
  rfc: readonly string[];
  versions: readonly TlsVersion[];
  role: Role;
  strength: Strength;
  evidence: Evidence;
  group: RuleGroup;
  /** What a conforming receiver sends when the rule is broken (strictest first), each with its RFC sentence. */
  alerts: readonly AlertChoice[];
  /** The receiver may instead ignore the input, with the sentence. */
  ignorable?: Tolerance;
}

export interface MachineTable {
  machine: MachineId;
  /** The initial state (default: the `from` of the first transition). */
  initial?: string;
  transitions: TransitionRef[];
}

export interface TranscriptRun {
  id: string;
  provenance: Provenance;
  config?: ConfigPoint;
  verdicts: Verdict[];
  /** Transitions walked (in the machine's table: exercised; not in it: an invalid try; machines without a table: ignored). */
  transitions?: MachineTransition[];
  /** False for a transcript known to be non-conforming input (default true: expected to conform). */
  valid?: boolean;
  /** The message flow, `C->S client_hello` / `S->C server_hello` / free notes, for counterexamples. */
  ladder?: string[];
  /** NSS key-log lines to replay it; only written with `includeSecrets`. */
  keylog?: string[];
}

export interface MutantRun {
  id?: string;
  operator: string;
  /** The rules this mutation is meant to break. */
  declaredRules: RuleId[];
  seed?: number;
  path?: string;
  /** Either the verdicts on the mutated transcript, or the rules it tripped (violation), or both. */
  verdicts?: Verdict[];
  trippedRules?: RuleId[];
  transitions?: MachineTransition[];
}

export interface RunInput {
  tool: { name: string; version: string };
  /** ISO 8601. */
  startedAt: string;
  rules: RuleInfo[];
  transcripts: TranscriptRun[];
  mutants: MutantRun[];
  conversations?: ConversationRun[];
  stateMachines?: MachineTable[];
}

// ---------------------------------------------------------------- report

export interface ViolationRef {
  transcript: string;
  detail: string;
  message?: number;
  expected?: string;
  actual?: string;
}

export interface RuleCoverage {
  id: RuleId;
  title: string;
  rfc: string[];
  versions: TlsVersion[];
  role: Role | '';
  strength: Strength | '';
  /** What a conforming receiver sends when the rule is broken, strictest first, each with its RFC sentence. */
  alerts: AlertChoice[];
  /** The receiver may instead ignore the input. */
  ignorable?: Tolerance;
  evidence: Evidence | '';
  group: RuleGroup | '';
  /** False when verdicts named a rule no declaration describes. */
  declared: boolean;
  /**
   * Transcripts and live conversations (not mutants: they count in
   * mutantsDeclaring/Proving) where the rule gave a verdict other than
   * not-applicable.
   */
  applied: number;
  /** Transcripts by the rule's worst verdict on them. */
  passed: number;
  violated: number;
  inconclusive: number;
  notApplicable: number;
  /** Valid transcripts where the rule passed. */
  validPasses: number;
  passedByValid: boolean;
  /** Mutants declaring this rule, and those of them that tripped it. */
  mutantsDeclaring: number;
  mutantsProving: number;
  proven: boolean;
  /** Total violation verdicts, and the first `VIOLATIONS_KEPT` of them (sorted). */
  violationCount: number;
  violations: ViolationRef[];
}

export interface TransitionCount extends TransitionRef {
  count: number;
}

export interface MachineCoverage {
  machine: MachineId;
  initial: string;
  /** Every transition of the table with how often it was walked. */
  transitions: TransitionCount[];
  total: number;
  exercised: number;
  unexercised: TransitionRef[];
  /** Transitions not in the table that mutants, conversations or transcripts tried. */
  invalidTried: TransitionCount[];
}

export interface ValueCount {
  value: string;
  count: number;
}
export interface DimensionCoverage {
  dimension: string;
  values: ValueCount[];
  distinct: number;
  /** Values of an enumerated dimension never drawn. */
  missing: string[];
}
export interface ConfigurationCoverage {
  transcripts: number;
  dimensions: DimensionCoverage[];
}

export interface MutantRef {
  id?: string;
  operator: string;
  declaredRules: RuleId[];
  tripped: RuleId[];
  seed?: number;
  path?: string;
}
export interface OperatorScore {
  operator: string;
  mutants: number;
  caught: number;
  caughtOtherwise: number;
  missed: number;
}
export interface MutationScore {
  operators: OperatorScore[];
  mutants: number;
  caught: number;
  caughtOtherwise: number;
  missed: number;
  /** caught / mutants (0 when none). */
  score: number;
  /** (caught + caughtOtherwise) / mutants. */
  killRate: number;
  missedMutants: MutantRef[];
  otherwiseMutants: MutantRef[];
}

export interface Counterexample {
  kind: 'transcript' | 'conversation';
  id: string;
  /** Rules violated (transcript) or the conversation's rule. */
  rules: RuleId[];
  verdict: ConversationVerdict | 'violation';
  detail: string;
  ladder: string[];
  seed?: number;
  path?: string;
  target?: string;
  role?: Side;
  provenance?: Provenance;
  keylog?: string[];
}

export interface ConversationCount {
  verdict: ConversationVerdict;
  count: number;
}

/** The summary of a coverage report (per-transcript counts are VerdictCounts). */
export interface ReportSummary {
  rules: number;
  rulesApplied: number;
  rulesViolated: number;
  rulesProven: number;
  rulesPassedByValid: number;
  transcripts: number;
  verdicts: VerdictCounts;
  mutants: number;
  mutantsCaught: number;
  mutantsCaughtOtherwise: number;
  mutantsMissed: number;
  conversations: number;
  conversationsFailing: number;
  transitionsTotal: number;
  transitionsExercised: number;
  counterexamples: number;
  /** No violation, no failing conversation, no missed mutant. */
  ok: boolean;
}

export interface CoverageReport {
  schema: typeof REPORT_SCHEMA;
  tool: { name: string; version: string };
  startedAt: string;
  summary: ReportSummary;
  rules: RuleCoverage[];
  stateMachines: MachineCoverage[];
  configuration: ConfigurationCoverage;
  mutation: MutationScore;
  conversations: ConversationCount[];
  counterexamples: Counterexample[];
}
