/**
 * Pieces the live fuzzers share, whichever role tlsprop plays: judging a
 * socket run through the transcript and the oracles, what a profile says
 * about a conversation's outcome, writing a conversation for `--save`, and
 * the printed ladder of a failing conversation, and the coverage-first order
 * of a run. peer/fuzz.ts (tlsprop plays the client) and peer/fuzzclient.ts
 * (tlsprop plays the server) both use them.
 */
import fc from 'fast-check';
import { type CryptoProvider, formatKeyLog } from '../crypto';
import type { TlsClient } from '../engine/client';
import type { TlsServer } from '../engine/server';
import type { SocketRun } from '../engine/socket';
import { checkTranscript } from '../oracles/evaluate';
import type { Verdict } from '../oracles/rule';
import type { ConversationRun } from '../oracles/live';
import type { ConversationVerdict } from '../wire/vocabulary';
import type { Direction, Transcript } from '../transcript/model';
import { flowLines, transcriptOfRun } from './live';
import { expectedFailureOf, type FuzzProfile, type Subject } from './profile';
import { type SavedFiles, saveConversation, stemOf } from './save';

export type ProfileStatus = 'expected-failure' | 'unexpected-pass';

export interface JudgedRun {
  /** Absent when the records could not be turned into a transcript (the ladder says why). */
  transcript?: Transcript;
  /** Our endpoint's NSS key log lines. */
  keylog: string[];
  /** `C->S: ...` lines (or raw record lines when no transcript was built). */
  ladder: string[];
  verdicts: Verdict[];
  /** Violations by messages the peer sent (`rule @index: detail`), without the rules `ignoredRules` names. */
  peerViolations: string[];
}

/**
 * The transcript of a socket run from our endpoint's side, its ladder, the
 * oracles' verdicts and the peer's violations. `peer` is the direction of
 * the messages the peer under test sent.
 */
export async function judgeRun(
  run: SocketRun,
  endpoint: TlsClient | TlsServer,
  role: 'client' | 'server',
  target: string,
  provider: CryptoProvider,
  opts: { trustAnchors?: Uint8Array[]; peer: Direction; ignoredRules?: ReadonlySet<string> },
): Promise<JudgedRun> {
  const ours = role === 'client' ? 'C->S' : 'S->C';
  let transcript: Transcript | undefined;
  let keylog: string[] = [];
  let ladder: string[];
  try {
    ({ transcript, keylog } = await transcriptOfRun(run, endpoint, role, target, provider));
    ladder = flowLines(transcript);
  } catch (e) {
    // the key log is still worth saving (the records may decrypt in Wireshark)
    keylog = formatKeyLog(endpoint.keylog)
      .split('\n')
      .filter((l) => l !== '');
    // e.g. a mutant that leaves the peer's records unreadable to the transcript builder: keep the raw record ladder
    const theirs = ours === 'C->S' ? 'S->C' : 'C->S';
    ladder = [
      ...run.records.map((r) => `${r.dir === 'sent' ? ours : theirs}: record type ${r.raw[0] ?? '?'} (${r.raw.length} bytes)`),
      `-- transcript not built: ${e instanceof Error ? e.message : String(e)}`,
    ];
  }
  let verdicts: Verdict[] = [];
  let peerViolations: string[] = [];
  if (transcript) {
    const t = transcript;
    // the conversation's own classifier judges the peer's reaction (its live verdicts: oracles/live.ts liveVerdicts)
    verdicts = (
      await checkTranscript(t, {
        judgeReactions: false,
        provider,
        ...(opts.trustAnchors ? { trustAnchors: opts.trustAnchors } : {}),
      })
    ).verdicts;
    peerViolations = verdicts
      .filter(
        (v) =>
          v.status === 'violation' &&
          v.message !== undefined &&
          t.messages[v.message]?.dir === opts.peer &&
          !opts.ignoredRules?.has(v.rule),
      )
      .map((v) => `${v.rule} @${v.message}: ${v.detail}`);
  }
  const out: JudgedRun = { keylog, ladder, verdicts, peerViolations };
  if (transcript) out.transcript = transcript;
  return out;
}

/** Rules a profile disables outright (entries with a rule and no name): their violations are not reported. */
export function disabledRules(p: FuzzProfile): ReadonlySet<string> {
  return new Set(p.disabled.filter((d) => d.name === undefined && d.rule !== undefined).map((d) => d.rule!));
}

/** What the profile says about a conversation that ended with `verdict`: an expected failure, an unexpected pass, or nothing. */
export function profileStatusOf(
  p: FuzzProfile,
  s: Subject,
  verdict: ConversationVerdict,
): { status: ProfileStatus; reason: string } | undefined {
  const e = expectedFailureOf(p, s);
  return e ? { status: verdict === 'conforming' ? 'unexpected-pass' : 'expected-failure', reason: e.reason } : undefined;
}

/** A conversation that fails the run: not conforming and not an expected failure. */
export function failsRun(r: { run: ConversationRun; profile?: { status: ProfileStatus } }): boolean {
  return r.run.verdict !== 'conforming' && r.profile?.status !== 'expected-failure';
}

/**
 * `--save`: one conversation as pcap + key log + transcript JSON. `records`
 * are as our endpoint saw them (`sent` by us); the capture is written from
 * the client's side whichever role we played.
 */
export function saveRun(
  dir: string,
  x: {
    path: string;
    name: string;
    role: 'client' | 'server';
    records: readonly { dir: 'sent' | 'received'; raw: Uint8Array }[];
    keylog: readonly string[];
    transcript?: Transcript;
    serverPort: number;
    clientPort: number;
  },
): SavedFiles {
  const records =
    x.role === 'client'
      ? x.records
      : x.records.map((r) => ({ dir: r.dir === 'sent' ? ('received' as const) : ('sent' as const), raw: r.raw }));
  const input = { records, keylog: x.keylog, serverPort: x.serverPort, clientPort: x.clientPort };
  return saveConversation(dir, stemOf(x.path, x.name), x.transcript ? { ...input, transcript: x.transcript } : input);
}

/** Ladder of a failing conversation, for printing, with the options that replay it. */
export function ladderText(r: ConversationRun): string[] {
  return [
    `${r.name} [${r.verdict}${r.rule ? ` ${r.rule}` : ''}] replay: --seed ${r.seed ?? '?'} --path ${r.path ?? '?'}`,
    ...(r.detail ? [`  ${r.detail}`] : []),
    ...r.ladder.map((l) => `  ${l}`),
  ];
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

/** Random conversations after the one-per-name ones when the run count is not given. */
export const DEFAULT_RANDOM_RUNS = 20;

/** The run count: `runs` when given, else every coverage example once and then `random` (default DEFAULT_RANDOM_RUNS) random conversations. */
export function runCount(runs: number | undefined, coverage: number, random: number = DEFAULT_RANDOM_RUNS): number {
  return runs ?? coverage + random;
}

/** What shrinkAtPath found: whether the value at the path failed again, and the smallest failing value's result and path. */
export interface Shrunk<R> {
  /** The replay of the value at the path failed the same way (a flaky peer does not). */
  reproduced: boolean;
  /** The last (smallest) failing attempt's result and the fast-check path that replays it; absent when nothing failed. */
  smallest?: { result: R; path: string };
  /** Live conversations run, the replay included. */
  runs: number;
}

/**
 * Shrink a failure of a run live: fast-check replays the value at `path` (with the run's seed and coverage
 * examples, so the path means the same as in the run) and shrinks it, `attempt` running each candidate and
 * returning its result when it fails the same way (undefined: it does not). At most `budget` attempts, the
 * replay included (it always runs). A candidate that throws (cannot be built or run) is not the same failure.
 */
export async function shrinkAtPath<V, R>(
  arb: fc.Arbitrary<V>,
  at: { seed: number; path: string; examples: [V][]; budget: number },
  attempt: (value: V) => Promise<R | undefined>,
): Promise<Shrunk<R>> {
  let runs = 0;
  let first = true;
  let reproduced = false;
  let last: R | undefined;
  const predicate = async (value: V): Promise<boolean> => {
    if (!first && runs >= at.budget) return true;
    const replay = first;
    first = false;
    runs++;
    let failed: R | undefined;
    try {
      failed = await attempt(value);
    } catch {
      return true;
    }
    if (replay) reproduced = failed !== undefined;
    if (failed !== undefined) last = failed;
    return failed === undefined;
  };
  const details = await fc.check(fc.asyncProperty(arb, predicate), {
    seed: at.seed,
    path: at.path,
    numRuns: 1,
    examples: at.examples,
  });
  const out: Shrunk<R> = { reproduced, runs };
  if (details.failed && last !== undefined && details.counterexamplePath)
    out.smallest = { result: last, path: details.counterexamplePath };
  return out;
}
