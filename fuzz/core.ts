/**
 * The core both live fuzzers share, whichever role tlsprop plays (fuzz/target.ts:
 * our client against a server; fuzz/client.ts: our server against a client):
 *
 *   probe → conversations → run → judge → shrink → save
 *
 * A driver probes its peer and says what its conversations are (a
 * fast-check arbitrary, the coverage-first examples, how to run and judge
 * one spec); `campaign` runs the sanity handshake first, then every
 * conversation (the predicate only records, so all of them run), shrinks
 * each distinct failure live, saves what `--save` asks for, and ends with a
 * second sanity handshake (a peer that died mid-run is noticed). A replayed
 * path (`--seed S --path P`) runs exactly that conversation.
 */
import fc from 'fast-check';
import type { CryptoProvider } from '../crypto/provider';
import { RunEvidence } from '../oracles/across';
import type { ConversationRun } from '../oracles/live';
import type { Verdict } from '../oracles/rule';
import type { Side } from '../wire/vocabulary';
import type { Transcript } from '../transcript/model';
import { failsRun, type ProfileStatus } from './judge';
import type { SavedFiles } from './save';
import { shrinkAtPath } from './shrink';

/** Random conversations after the one-per-name ones when the run count is not given. */
export const DEFAULT_RANDOM_RUNS = 20;

/** The run count: `runs` when given, else every coverage example once and then `random` (default DEFAULT_RANDOM_RUNS) random conversations. */
export function runCount(runs: number | undefined, coverage: number, random: number = DEFAULT_RANDOM_RUNS): number {
  return runs ?? coverage + random;
}

/**
 * Coverage first, the order both fuzzers run their one-per-name conversations in: each group (one kind of
 * conversation: mutants, state scenarios, valid handshakes, ...) shuffled by the run's seed (Fisher-Yates over a
 * linear congruential sequence), then the groups taking turns, so a short run still spans every kind. The groups
 * are shuffled in place. Deterministic in the seed and the groups.
 */
export function coverageOrder<T>(groups: T[][], seed: number): T[] {
  let x = (seed * 2654435761 + 0x9e3779b9) >>> 0;
  for (const list of groups) {
    for (let i = list.length - 1; i > 0; i--) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      const j = x % (i + 1);
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
  }
  const out: T[] = [];
  for (let i = 0; groups.some((g) => i < g.length); i++) for (const g of groups) if (i < g.length) out.push(g[i]!);
  return out;
}

/** A judged conversation, as both fuzzers report it. */
export interface Judged {
  run: ConversationRun;
  /** Alert the peer sent, by name. */
  alert?: string;
  /** What the profile said about it (absent: not in the profile). */
  profile?: { status: ProfileStatus; reason: string };
  /** Files written by --save. */
  saved?: SavedFiles;
  /** The conversation as a transcript (absent when the records could not be read), for reports. */
  transcript?: Transcript;
  /** Every rule's verdicts on that transcript (the peer's messages and ours), for reports. */
  verdicts?: Verdict[];
}

/** One conversation as a driver ran it. */
export interface Attempt<R extends Judged> {
  result: R;
  /** Why it proves nothing (the mutation did not fire, did not apply, broke no declared rule): not counted. */
  skip?: string;
  /**
   * The target is gone after this conversation and did not come back (fuzz/health.ts): the run stops, the
   * conversations not run yet are counted as such, never as skipped or failed.
   */
  stop?: string;
  /** Writes the conversation for --save (the `n`th file of the run). */
  save?(dir: string, n: number): SavedFiles;
}

/** What a driver tells the core about its conversations. */
export interface Driver<S, R extends Judged> {
  arbitrary: fc.Arbitrary<S>;
  /** The coverage-first conversations (fast-check examples: they count towards `runs`, and paths replay them). */
  examples: readonly S[];
  /** Conversations generated. */
  runs: number;
  /** Run one conversation live; `path` is its fast-check path. */
  run(spec: S, path: string): Promise<Attempt<R>>;
  /** The sanity handshake (first and last): does the peer still do a valid handshake? */
  sanity(label: string): Promise<boolean>;
  /** Failures that are shrunk once: the same key is the same failure. */
  failureKey(r: R): string;
  /** A shrink candidate fails the same way as the original (the name may shrink, e.g. fewer state steps). */
  sameFailure(original: R, candidate: R): boolean;
  /** Live conversations spent on shrinking one failure, its replay included (the replay always runs). */
  shrinkBudget: number;
  /** Distinct failures replayed and shrunk (the rest are reported as they ran; 0: none). */
  maxShrunk: number;
  /** `--save`: every failing conversation (shrunk when it was), or one per distinct failure. */
  saveEveryFailure: boolean;
  /** The progress line of a replayed path: `[1/1] name: verdict` (counter) or `replay P name: verdict` (replay). */
  replayLine: 'counter' | 'replay';
  /**
   * Conversations run at once (absent: 1), asked once the first sanity handshake worked (a driver may measure the
   * target then). The values are drawn first, in fast-check's order (the same values and paths as one after
   * another), so verdicts and seed/path replays do not depend on it.
   */
  jobs?(): Promise<number>;
  /** A shrunk conversation is reported under the path that replays it. */
  repath(r: R, path: string): void;
  /**
   * The side the peer plays: the run-level rules (oracles/across.ts) judge its values across the conversations (ours
   * are the conversations' own choice), with this provider.
   */
  peer: { side: Side; provider: CryptoProvider };
}

export interface FailureReport<R> {
  /** The conversation as generated: the first of its group (same verdict and rule). */
  original: R;
  /** Conversations of the run that failed the same way (same verdict and rule), the original included. */
  count: number;
  /** The smallest conversation found that fails the same way (same verdict and rule). */
  shrunk?: R;
  /** The replay of the original failed again (a flaky peer does not). */
  reproduced: boolean;
  /** Live conversations run while shrinking. */
  shrinkRuns: number;
}

export interface Campaign<R> {
  sanity: { first: boolean; last: boolean };
  /** Every generated conversation, in order (the shrinking runs are not here). */
  results: R[];
  /** Conversations that prove nothing, `path name: why`. */
  skipped: string[];
  /** One per distinct failure shrunk: the original and its shrunk counterexample. */
  failures: FailureReport<R>[];
  /** Time of the generated conversations alone (no probe, sanity or shrinking): the fuzzing rate's denominator. */
  generationMs: number;
  /** The run stopped early: the target was gone after the conversation at `after` and did not come back. */
  stopped?: { after: string; reason: string; notRun: number };
  /**
   * The run-level verdicts (rules decided across connections, oracles/across.ts) over the generated conversations'
   * transcripts: the peer's values that came back in another conversation, naming both.
   */
  across: Verdict[];
}

/** The label a run-level verdict names a conversation by: its path (the replay index) and name. */
export const conversationLabel = (r: Judged): string => `conversation ${r.run.path ?? '?'} (${r.run.name})`;

/** A run-level verdict found a fault of the peer: a violation (at any strength, as the conversations' flagged rules). */
export const acrossFails = (v: Verdict): boolean => v.status === 'violation';

function line<R extends Judged>(r: R): string {
  return `${r.run.verdict}${r.alert ? ` (${r.alert})` : ''}${r.profile ? ` [${r.profile.status}]` : ''}`;
}

/** Run a driver's conversations (see the header). `first` false: the peer failed before anything ran (no sanity, no run). */
export async function campaign<S, R extends Judged>(
  d: Driver<S, R>,
  o: { seed: number; path?: string; save?: string; progress: (line: string) => void; first?: boolean },
): Promise<Campaign<R>> {
  const out: Campaign<R> = {
    sanity: { first: false, last: false },
    results: [],
    skipped: [],
    failures: [],
    generationMs: 0,
    across: [],
  };
  if (o.first === false) return out;
  out.sanity.first = await d.sanity('sanity first');
  if (!out.sanity.first) return out;
  const attempts = new Map<R, Attempt<R>>();
  const examples: [S][] = d.examples.map((e) => [e]);
  const total = o.path !== undefined ? 1 : d.runs;
  const report = (a: Attempt<R>, path: string, where: string): void => {
    const name = a.result.run.name;
    if (a.skip !== undefined) {
      out.skipped.push(`${path} ${name}: ${a.skip}`);
      o.progress(`${where}: skipped (${a.skip})`);
      return;
    }
    attempts.set(a.result, a);
    o.progress(`${where}: ${line(a.result)}`);
  };
  const g0 = Date.now();
  if (o.path !== undefined) {
    // a replayed path is one conversation (fast-check may go on to the shrink candidates after it: not run)
    const path = o.path;
    let ran = false;
    const details = await fc.check(
      fc.asyncProperty(d.arbitrary, async (spec) => {
        if (ran) return true;
        ran = true;
        const a = await d.run(spec, path);
        const where = d.replayLine === 'replay' ? `replay ${path} ${a.result.run.name}` : `[1/1] ${a.result.run.name}`;
        report(a, path, where);
        if (a.skip === undefined) out.results.push(a.result);
        return true;
      }),
      { seed: o.seed, path, numRuns: 1, endOnFailure: true, examples },
    );
    if (details.failed) throw asError(details);
  } else {
    // the values first, in fast-check's order (its run index is the path), then run them `jobs` at a time
    const values: S[] = [];
    const details = fc.check(
      fc.property(d.arbitrary, (spec) => {
        values.push(spec);
        return true;
      }),
      { seed: o.seed, numRuns: total, examples },
    );
    if (details.failed) throw asError(details);
    const done: (Attempt<R> | undefined)[] = new Array(values.length);
    let next = 0;
    let finished = 0;
    const worker = async (): Promise<void> => {
      while (next < values.length && out.stopped === undefined) {
        const i = next++;
        const path = String(i);
        const a = await d.run(values[i]!, path);
        done[i] = a;
        finished++;
        report(a, path, `[${finished}/${total}] ${a.result.run.name}`);
        if (a.stop !== undefined && out.stopped === undefined) out.stopped = { after: path, reason: a.stop, notRun: 0 };
      }
    };
    const jobs = d.jobs ? await d.jobs() : 1;
    await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, values.length)) }, worker));
    for (const a of done) if (a && a.skip === undefined) out.results.push(a.result);
    if (out.stopped) {
      out.stopped.notRun = done.filter((a) => a === undefined).length;
      o.progress(`stopped after ${out.stopped.after}: ${out.stopped.reason}; ${out.stopped.notRun} conversation(s) not run`);
    }
  }
  out.generationMs = Date.now() - g0;
  // the rules decided across the conversations of the run (the peer's randoms and ephemeral keys are never sent twice)
  const evidence = new RunEvidence({ parties: [d.peer.side] });
  for (const r of out.results)
    if (r.transcript) evidence.addTranscript(conversationLabel(r), r.transcript, { provider: d.peer.provider });
  out.across = evidence.verdicts();
  for (const v of out.across.filter(acrossFails)) o.progress(`across conversations: ${v.rule} ${v.status}: ${v.detail}`);
  const failing = out.results.filter(failsRun);
  if (o.path !== undefined)
    for (const r of failing) out.failures.push({ original: r, count: 1, reproduced: true, shrinkRuns: 0 });
  else {
    // one representative per distinct failure (same verdict and rule), shrunk
    const groups = new Map<string, R[]>();
    for (const r of failing) {
      const key = d.failureKey(r);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const members of groups.values()) {
      const first = members[0]!;
      if (out.failures.length >= d.maxShrunk || out.stopped)
        out.failures.push({ original: first, count: members.length, reproduced: false, shrinkRuns: 0 });
      else out.failures.push({ ...(await shrink(d, o, first, attempts)), count: members.length });
    }
  }
  if (o.save !== undefined) {
    const shrunkFrom = new Map(out.failures.map((f) => [f.original, f.shrunk ?? f.original]));
    const toSave = d.saveEveryFailure
      ? failing.map((r) => shrunkFrom.get(r) ?? r)
      : out.failures.map((f) => f.shrunk ?? f.original);
    for (const [n, r] of toSave.entries()) {
      const a = attempts.get(r);
      if (!a?.save) continue;
      r.saved = a.save(o.save, n);
      o.progress(`saved ${r.run.path}: ${r.saved.pcap}`);
    }
  }
  out.sanity.last = await d.sanity('sanity last');
  return out;
}

/** Replay a failure by its path and shrink it with the real predicate, within the driver's budget. */
function asError(details: { errorInstance: unknown; counterexamplePath: string | null }): Error {
  // the recording predicate only fails by throwing (a bug, not a finding): surface it
  return details.errorInstance instanceof Error
    ? details.errorInstance
    : new Error(`fuzz run ${details.counterexamplePath ?? '?'} failed: ${String(details.errorInstance)}`);
}

async function shrink<S, R extends Judged>(
  d: Driver<S, R>,
  o: { seed: number; progress: (line: string) => void },
  original: R,
  attempts: Map<R, Attempt<R>>,
): Promise<Omit<FailureReport<R>, 'count'>> {
  const from = original.run.path ?? '0';
  const found = await shrinkAtPath(
    d.arbitrary,
    { seed: o.seed, path: from, examples: d.examples.map((e) => [e]), budget: d.shrinkBudget },
    async (spec) => {
      const a = await d.run(spec, `shrinking ${from}`);
      return a.skip === undefined && failsRun(a.result) && d.sameFailure(original, a.result) ? a : undefined;
    },
  );
  const report: Omit<FailureReport<R>, 'count'> = { original, reproduced: found.reproduced, shrinkRuns: found.runs };
  if (found.smallest) {
    const { result: last, path } = found.smallest;
    const shrunk = last.result;
    d.repath(shrunk, path);
    attempts.set(shrunk, last);
    report.shrunk = shrunk;
    o.progress(`shrunk ${from} ${original.run.name} -> ${path} ${shrunk.run.name} [${shrunk.run.verdict}] (${found.runs} runs)`);
  } else o.progress(`${from} ${original.run.name}: failure not reproduced on replay`);
  return report;
}
