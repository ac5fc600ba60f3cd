/**
 * The reports layer's data: what a run hands over (`RunInput`: rule
 * declarations, verdicts per transcript, mutants, live conversations,
 * the state machine tables) and what it becomes (`CoverageReport`, the
 * versioned document every writer renders; `schema/report-v3.schema.json`
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
import type { ConfigPoint, ConversationVerdict, Direction, Role, Side, Strength, TlsVersion } from '../wire/vocabulary';

export const REPORT_SCHEMA = 'tlsprop-report/3' as const;

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
  /** The evidence spans the connections of a run (oracles/across.ts): its verdicts name two connections. */
  spans?: 'connections';
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
  /** Where it was read from (a capture file), for findings. */
  source?: string;
  /** The bytes of the messages its violations are about. */
  bytes?: MessageBytes[];
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

// ---------------------------------------------------------------- run metadata, targets, findings

/** What ran: the command line, seed, time; every report file carries it. */
export interface RunMeta {
  /** `run`, `run --self`, `fuzz`, `check`, `explain`, `jest`, `merge`. */
  command: string;
  /** The arguments as given after `tlsprop` (empty for jest). */
  argv: string[];
  seed?: number;
  /** Wall time of the whole command, ms. */
  durationMs: number;
  /** Names of the targets tested (or the inputs checked). */
  targets: string[];
  /** `node vX.Y.Z` and the OpenSSL inside it. */
  platform: string;
}

/** One message's bytes as they crossed the wire, with its decoded fields. */
export interface MessageBytes {
  /** Index in the transcript. */
  index: number;
  dir: Direction;
  type: string;
  /** Frame of the capture that completed it. */
  frame?: number;
  hex: string;
  /** The decoded message as `path = value` lines (`body.cipherSuite = TLS_...`); absent when it did not decode. */
  fields?: Array<{ path: string; value: string }>;
}

/** Files that replay a conversation in Wireshark, relative to the report's folder when inside it. */
export interface SavedLinks {
  pcap: string;
  keylog: string;
  json?: string;
}

export type ProfileWord = 'expected-failure' | 'unexpected-pass' | 'alert-mapped';

/** A live conversation with what the reports show of it besides the ConversationRun. */
export interface LiveConversation extends ConversationRun {
  /** What the reports call the target (a label without temp paths). */
  targetName?: string;
  /** The names a profile matches it by (mutation, state scenario or certificate fault; none for a valid handshake). */
  subjects?: string[];
  ms?: number;
  /** The alert the peer sent, by name. */
  alert?: string;
  /** The alerts the RFC names for what the conversation broke, strictest first. */
  expectedAlerts?: string[];
  /** What our side did unlike a valid handshake (the descriptions of its mutations); none for a valid one. */
  sent?: string;
  profile?: { status: ProfileWord; reason: string };
  /** The message the verdict rests on. */
  bytes?: MessageBytes;
  saved?: SavedLinks;
  /** The command line that replays it. */
  replay?: string;
  /** A failure shrunk to the smallest conversation that fails the same way: what the findings show. */
  shrunk?: {
    path: string;
    name: string;
    ladder: string[];
    detail?: string;
    sent?: string;
    bytes?: MessageBytes;
    saved?: SavedLinks;
    replay?: string;
  };
}

/** What a target is and how its run went. */
export interface TargetInfo {
  name: string;
  /** The side the target plays. */
  role: Side;
  /** host:port, or the client command. */
  address?: string;
  /** What the probe found. */
  probed?: {
    versions: TlsVersion[];
    suites: string[];
    groups?: string[];
    schemes?: string[];
    certificateRequested?: boolean;
  };
  sanity?: { first: boolean; last: boolean };
  durationMs?: number;
  /** Conversation names the profile switched off, with the reason. */
  disabled?: string[];
  /** Conversations that proved nothing (`path name: why`). */
  skipped?: number;
  /** Advice for the user (a client certificate asked for, a peer that never answers application data). */
  hints?: string[];
  /** A problem that stopped the run of this target. */
  error?: string;
}

export interface TargetSummary extends TargetInfo {
  conversations: number;
  verdicts: ConversationCount[];
  /** Conversations that fail the run (not conforming, not accepted by the profile). */
  failing: number;
  expectedFailures: number;
  alertMapped: number;
  unexpectedPasses: number;
  ok: boolean;
}

/** Every conversation of the run, for JUnit testcases and the conversation table. */
export interface ConversationEntry {
  id: string;
  target: string;
  role: Side;
  name: string;
  verdict: ConversationVerdict;
  ms?: number;
  rule?: RuleId;
  alert?: string;
  detail?: string;
  seed?: number;
  path?: string;
  profile?: { status: ProfileWord; reason: string };
}

/** A capture connection or transcript file the run checked (`tlsprop check`/`explain`), for JUnit testcases and the HTML. */
export interface CheckedEntry {
  id: string;
  /** The file it was read from. */
  source: string;
  /** Its connection number in a capture (1-based, in capture order, as `tlsprop explain` prints it). */
  connection?: number;
  verdicts: VerdictCounts;
  /** The rules it violated (empty: it conformed). */
  violated: RuleId[];
}

/** One failure: a conversation that did not conform, or a rule violated in a transcript. */
export interface FindingItem {
  id: string;
  /** The target, or the input file. */
  target: string;
  role?: Side;
  name: string;
  /** The names a profile matches it by. */
  subjects?: string[];
  verdict: ConversationVerdict | 'violation';
  detail: string;
  alert?: string;
  expectedAlerts?: string[];
  /** What our side did unlike a valid handshake (the mutations, state-machine steps or certificate fault). */
  sent?: string;
  /**
   * A rule violation the run did not fail on, and why (a conversation that conformed under the run's strictness,
   * e.g. a TLS 1.2 close without the alert RFC 5246 §7.2.2 requires, accepted by the default alert-or-close).
   */
  accepted?: string;
  ladder: string[];
  seed?: number;
  path?: string;
  replay?: string;
  bytes?: MessageBytes;
  saved?: SavedLinks;
  shrunkFrom?: string;
  profile?: { status: ProfileWord; reason: string };
  /** Against a baseline: a failure it did not have, or one it had. */
  baseline?: 'new' | 'unchanged';
}

/** The findings of one rule (rule '' for failures no rule names, e.g. a hung peer). */
export interface Finding {
  rule: RuleId | '';
  title: string;
  rfc: string[];
  alerts: AlertChoice[];
  items: FindingItem[];
}

/** Results grouped by RFC section, scored like TLS-Anvil: rules that held of the rules applied. */
export interface SectionScore {
  /** `RFC 8446 §4.1.2`. */
  section: string;
  href?: string;
  rules: RuleId[];
  applied: number;
  passed: number;
  violated: number;
  inconclusive: number;
  /** passed / applied (0 when none applied). */
  score: number;
}

/** A failure, as baselines compare them. */
export interface FailureKey {
  /** `target | conversation name | rule`: stable across seeds. */
  key: string;
  target: string;
  name: string;
  rule?: string;
  verdict: string;
}

export interface BaselineDiff {
  /** The baseline report file. */
  file: string;
  newFailures: FailureKey[];
  fixed: FailureKey[];
  unchanged: FailureKey[];
}

export interface ProfileUse {
  file?: string;
  target?: string;
  /** `name: reason` of what the profile switched off. */
  disabled: string[];
  expectedFailures: number;
  alertMapped: number;
  unexpectedPasses: number;
}

export interface RunInput {
  tool: { name: string; version: string };
  /** ISO 8601. */
  startedAt: string;
  rules: RuleInfo[];
  transcripts: TranscriptRun[];
  mutants: MutantRun[];
  conversations?: LiveConversation[];
  stateMachines?: MachineTable[];
  run?: RunMeta;
  targets?: TargetInfo[];
  profile?: ProfileUse;
}

// ---------------------------------------------------------------- report

export interface ViolationRef {
  transcript: string;
  detail: string;
  message?: number;
  expected?: string;
  actual?: string;
  /** The run did not fail on it, and why: the conversation conformed under the run's strictness, or its profile accepted it. */
  accepted?: string;
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
  /** The evidence spans the connections of a run (oracles/across.ts): its verdicts name two connections. */
  spans?: 'connections';
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
  /** Of violationCount, those the run did not fail on (ViolationRef.accepted); absent: none. */
  violationsAccepted?: number;
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
  /** Failures (findings not accepted by a profile); with a baseline, newFailures counts only the new ones. */
  failures: number;
  newFailures?: number;
  /** No violation, no failing conversation, no missed mutant. */
  ok: boolean;
}

export interface CoverageReport {
  schema: typeof REPORT_SCHEMA;
  tool: { name: string; version: string };
  startedAt: string;
  run?: RunMeta;
  targets: TargetSummary[];
  sections: SectionScore[];
  findings: Finding[];
  conversationList: ConversationEntry[];
  /** Every capture connection and transcript file checked (not generated or live ones); absent when none. */
  checkedList?: CheckedEntry[];
  baseline?: BaselineDiff;
  profile?: ProfileUse;
  summary: ReportSummary;
  rules: RuleCoverage[];
  stateMachines: MachineCoverage[];
  configuration: ConfigurationCoverage;
  mutation: MutationScore;
  conversations: ConversationCount[];
  counterexamples: Counterexample[];
}
