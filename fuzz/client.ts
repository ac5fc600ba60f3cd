/**
 * `tlsprop fuzz --listen --client-cmd CMD`: our server against a TLS client,
 * running the client command (fuzz/clientcmd.ts) once per conversation.
 *
 * probe (one permissive handshake: the ClientHello tells which versions,
 * suites, groups and ALPN the client offers, fuzz/probe.ts `profileOf`) →
 * conversations (fuzz/client-families.ts: valid handshakes, and mutants of
 * what our server sends, declared in the mutation model; coverage first,
 * then random, from the seed) → run (here: our engine's server on one
 * accepted connection) → judge (fuzz/judge.ts: a conforming client completes
 * the valid handshakes and aborts every mutant with an alert its rules name;
 * the oracles judge every message the client sent) → shrink → save
 * (fuzz/core.ts, shared with the server fuzzer).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { type CryptoProvider, nodeProvider } from '../crypto';
import { DEFAULT_SUITES, type ServerConfig } from '../engine/config';
import type { Mutation } from '../generators/mutations/model';
import { keyKindOf } from '../engine/core';
import { TlsServer } from '../engine/server';
import { ruleById } from '../oracles/catalogue';
import type { Verdict } from '../oracles/rule';
import type { ConversationRun } from '../oracles/live';
import { newCertCache, type ParsedCertCache } from '../pki/parse';
import type { Transcript } from '../transcript/model';
import { NamedGroup } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import {
  applicableMutants,
  type ClientConversation,
  type ConvPick,
  conversationOf,
  coveragePicks,
  disabledMutants,
  pickArb,
  SERVER_CERTIFICATE_COMPRESSION,
  serverSide,
} from './client-families';
import { ClientCommand, type ClientCommandResult, describeCommandEnd, type LaunchedClient } from './clientcmd';
import { type Attempt, campaign, type FailureReport, type Judged, runCount } from './core';
import { exchange, keyUpdatesOf } from './exchange';
import {
  disabledRules,
  evidenceRules,
  firingHooks,
  judgeConversation,
  judgeRun,
  type ProfileStatus,
  profileStatusOf,
} from './judge';
import { describeEnd, transcriptOfRun } from './live';
import { suiteName } from './names';
import type { ClientFuzzOptions } from './options';
import { type ClientProfile, keyFits, profileOf, serverPskSuites } from './probe';
import { disabledBy, EMPTY_PROFILE, type Subject } from './profile';
import { type SavedFiles, saveRun } from './save';
import { adapted, ceilings, DEFAULT_TOTAL_TIMEOUT_MS, type Timing } from './timing';

const DEFAULT_STDIN = 'tlsprop client fuzz\n';
/** Our server's data after its KeyUpdates (what a client that must answer them first may answer). */
const KEY_UPDATE_DATA = new TextEncoder().encode('tlsprop server data after KeyUpdate\n');

/** Accept exactly one connection per conversation; anything else that connects is closed. */
class OneByOne {
  private waiting: ((s: Socket) => void) | undefined;
  readonly server: Server;
  constructor() {
    this.server = createServer({ pauseOnConnect: false }, (s) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(s);
      else s.destroy();
    });
  }
  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, exclusive: true }, () => resolve());
    });
    const a = this.server.address();
    if (!a || typeof a === 'string') throw new Error('listener has no TCP address');
    return a.port;
  }
  /** The next connection, or undefined when `until` settles (the client exited) or `timeoutMs` passes first. */
  next(until: Promise<unknown>, timeoutMs: number): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const give = (s: Socket | undefined) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(s);
      };
      this.waiting = give;
      timer = setTimeout(() => give(undefined), timeoutMs);
      void until.then(() => {
        if (this.waiting === give) give(undefined);
      });
    });
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface ClientConversationResult extends Judged {
  conversation: ClientConversation;
  /** Violations of rules by messages the client sent. */
  clientViolations: string[];
  command: ClientCommandResult;
  ms: number;
  /** What the profile said about it (absent: not in the profile). */
  profile?: { status: ProfileStatus; reason: string };
  /** Files written by --save. */
  saved?: SavedFiles;
}

/** What a conversation is, for matching profile entries: its mutant's name and rules (and the rule it was judged on). */
function subjectOf(conv: ClientConversation, rule?: string, alert?: string): Subject {
  const rules: string[] = [...(conv.expect.rules ?? [])];
  if (rule !== undefined && !rules.includes(rule)) rules.push(rule);
  const s: Subject = { names: conv.mutant ? [conv.mutant.name] : [], rules };
  if (conv.expect.kind === 'reject') s.expectedAlerts = conv.expect.alerts;
  if (alert !== undefined) s.alert = alert;
  return s;
}

interface Session {
  o: ClientFuzzOptions;
  listener: OneByOne;
  port: number;
  /** What reports call the peer: the client command. */
  target: string;
  provider: CryptoProvider;
  certCache: ParsedCertCache;
  /** The client's measured start-up (spawn to its connection, ms) and the waits derived from it. */
  clientTiming: ClientTiming;
}

/**
 * How long a client command gets. The probe waits long for the first connection (a JVM's first start takes
 * seconds); from then on the measured start-up sets the connection wait (4x it, at least 2 s), and the time the
 * client took to answer our first flight the answer waits (fuzz/timing.ts, as for servers). Once our side is done
 * the command gets a short grace to exit by itself before it is stopped (its own exit after our close, at least
 * 100 ms): the client's start-up is the floor of a conversation, and the run stays near it.
 */
interface ClientTiming {
  connectMs: number;
  exitGraceMs: number;
  answer: Timing;
  /** Start-up of each conversation's client (spawn to connection), for the floor. */
  startups: number[];
}

const PROBE_CONNECT_MS = 30_000;

function startCommand(s: Session, waitMs: number): LaunchedClient {
  const { target: t } = s.o;
  if (t.launch) return t.launch(t.host, s.port);
  return new ClientCommand({
    command: t.command,
    vars: { host: t.host, port: String(s.port), ...(t.vars ?? {}) },
    stdin: t.stdin ?? DEFAULT_STDIN,
    timeoutMs: waitMs + s.clientTiming.answer.totalMs + 5000,
  });
}

/**
 * Run the client command for one connection: start it, take its connection, play our side on it, and stop the
 * command whatever happens (the command's own timeout timer, its process group and the socket never outlive the
 * conversation, also when playing our side throws). Without a connection (the client exited or never connected
 * within `waitMs`) the command is stopped at once. `startupMs`: spawn to connection.
 */
async function withCommand<R>(
  s: Session,
  waitMs: number,
  play: (sock: Socket) => Promise<R>,
): Promise<{ run?: R; command: ClientCommandResult; startupMs?: number }> {
  const t0 = performance.now();
  const cmd = startCommand(s, waitMs);
  let sock: Socket | undefined;
  let finished: Promise<ClientCommandResult> | undefined;
  try {
    sock = await s.listener.next(cmd.done, waitMs);
    if (!sock) {
      finished = cmd.finish(0);
      return { command: await finished };
    }
    const startupMs = performance.now() - t0;
    const run = await play(sock);
    sock.destroy();
    finished = cmd.finish(s.o.target.exitGraceMs ?? s.clientTiming.exitGraceMs);
    return { run, command: await finished, startupMs };
  } finally {
    sock?.destroy();
    // a conversation that threw before the command was finished: stop it now, and wait until its group is gone
    if (!finished) await cmd.finish(0);
  }
}

/** The psk_identity_hint our server sends in TLS 1.2 PSK key exchanges without `--psk-hint`. */
export const DEFAULT_PSK_HINT = new TextEncoder().encode('tlsprop');

/** Our server's base configuration (our identity, the anchors for the client's chain, the external PSK it shares). */
function serverBase(s: Session): ServerConfig {
  // RFC 8879: our Certificate goes out compressed to a client whose compress_certificate lists an algorithm of ours
  const c: ServerConfig = {
    provider: s.provider,
    identity: s.o.identity.identity,
    certificateCompression: [...SERVER_CERTIFICATE_COMPRESSION],
  };
  if (s.o.identity.trustAnchors) c.trustAnchors = s.o.identity.trustAnchors;
  const psk = s.o.identity.psk;
  if (psk) {
    c.psks = [psk];
    c.pskIdentityHint = s.o.identity.pskHint ?? DEFAULT_PSK_HINT;
  }
  return c;
}

/** One conversation as run: the judged result, why it proves nothing (if so), and what --save writes. */
interface Outcome extends Attempt<ClientConversationResult> {
  records?: { dir: 'sent' | 'received'; raw: Uint8Array }[];
  keylog?: string[];
  transcript?: Transcript;
  /** Our first flight to the client's first answer, in ms. */
  firstAnswerMs?: number;
}

/** The last lines of the client command's output (stdout and stderr), for the ladder. */
function outputLines(command: ClientCommandResult, n = 8): string[] {
  const lines = command.output
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.slice(-n).map((l) => `   | ${l}`);
}

/**
 * A reaction rule of the mutation that judges the receiver applied on the wire (passed or was broken): it applies only
 * when the input it reacts to is there, so the mutation happened. E.g. a TLS 1.2 ServerHello without the downgrade
 * sentinel to a client that offered only TLS 1.3 breaks no server rule (ver.t13.server-selection: a TLS 1.2 server is
 * not bound by RFC 8446 §4.2.1), while ver.client-accepts-version (RFC 8446 App. D.1) judges the client's answer.
 */
function receiverDutyApplied(m: { reactionRules?: Mutation['reactionRules'] }, verdicts: readonly Verdict[]): boolean {
  const duties = m.reactionRules ?? [];
  return verdicts.some(
    (v) =>
      duties.includes(v.rule) && ruleById(v.rule).judgesReceiver === true && (v.status === 'pass' || v.status === 'violation'),
  );
}

/** Run one conversation: start the client, accept its connection, play our server, stop the client. */
async function runConversation(s: Session, conv: ClientConversation, profile: ClientProfile | undefined): Promise<Outcome> {
  const { o } = s;
  const t0 = Date.now();
  const timing = s.clientTiming.answer;
  const { config, hooks, applicable } = await serverSide(conv, serverBase(s), o.identity.pki, profile);
  const w = hooks ? firingHooks(hooks) : undefined;
  const server = new TlsServer(w ? { ...config, hooks: w.hooks } : config);
  const base: ConversationRun = {
    target: o.target.command,
    role: 'client',
    name: conv.name,
    verdict: 'hung',
    ladder: [],
    seed: conv.seed,
    path: conv.path,
  };
  // our server counts itself connected once its TLS 1.2 Finished is out (the client has yet to check it) or the client's
  // TLS 1.3 Finished verified: the client's first word after that (an alert, its data, its close) decides
  const played = await withCommand(s, s.clientTiming.connectMs, (sock) =>
    exchange(server, sock, {
      answerMs: timing.answerMs,
      quietMs: timing.quietMs,
      totalMs: timing.totalMs,
      afterConnect: 'await',
      invalidFrom: () => w?.firedAt(),
      ...(conv.renegotiate ? { renegotiate: true } : {}),
      // KeyUpdates: once the client is silent after the handshake, ours and our data; its answer to them decides
      ...(conv.keyUpdates
        ? { afterConnect: 'probe' as const, appData: KEY_UPDATE_DATA, afterHandshake: keyUpdatesOf(conv.keyUpdates) }
        : {}),
    }),
  );
  if (played.startupMs !== undefined) s.clientTiming.startups.push(played.startupMs);
  if (!played.run) {
    const { command } = played;
    const detail = `client never connected (${describeCommandEnd(command)})`;
    return {
      result: {
        run: { ...base, detail, ladder: ['-- client output:', ...outputLines(command)] },
        conversation: conv,
        clientViolations: [],
        command,
        ms: Date.now() - t0,
      },
    };
  }
  const { run, command } = played;
  const prof = o.profile.file ?? EMPTY_PROFILE;
  const judged = await judgeRun(run, server, 'server', s.target, config.provider ?? s.provider, {
    peer: 'C->S',
    ignoredRules: disabledRules(prof),
    certCache: s.certCache,
    ...(o.identity.trustAnchors ? { trustAnchors: o.identity.trustAnchors } : {}),
  });
  const { transcript, ladder, verdicts } = judged;
  const clientViolations = judged.peerViolations;
  const at = w?.firedAt();
  const j = judgeConversation(
    conv.expect,
    judged,
    {
      version: conv.version,
      ours: 'S->C',
      from: w ? { bytes: at ?? Number.POSITIVE_INFINITY } : undefined,
      end: run.end,
      ...(conv.renegotiate ? { renegotiated: server.renegotiations > 0 } : {}),
    },
    o.profile.strictness,
  );
  ladder.push(
    `-- server: ${describeEnd(run.end)} (${Math.round(run.ms)} ms)`,
    `-- client command: ${describeCommandEnd(command)}${played.startupMs !== undefined ? `, connected ${Math.round(played.startupMs)} ms after its start` : ''}`,
  );
  if (command.output.trim()) ladder.push('-- client output:', ...outputLines(command));
  const cr: ConversationRun = { ...base, verdict: j.verdict, detail: j.detail, ladder, verdicts: j.live };
  if (j.rule !== undefined && j.verdict !== 'conforming') cr.rule = j.rule;
  const result: ClientConversationResult = { run: cr, conversation: conv, clientViolations, command, ms: Date.now() - t0 };
  if (j.alert !== undefined) result.alert = j.alert;
  if (transcript) result.transcript = transcript;
  result.verdicts = verdicts;
  const status = profileStatusOf(prof, subjectOf(conv, cr.rule, j.alert), j.verdict);
  if (status) result.profile = status;
  let skip: string | undefined = applicable ? undefined : 'not applicable: the client itself offers what the mutation injects';
  if (conv.mutant && skip === undefined) {
    const disabled = disabledBy(prof, { names: [conv.mutant.name], rules: conv.mutant.rules });
    // a reordering may be caught by the generic state-machine rule before the specific order rule decides
    const evidence = evidenceRules(conv.mutant.rules, conv.version);
    // a rule decided by the live outcome alone (no transcript check, e.g. conn.transport-close): that it fired is the evidence
    const onWire = evidence.some((r) => ruleById(r).check !== undefined);
    if (disabled) skip = `disabled by the profile: ${disabled.reason}`;
    else if (!w?.fired()) skip = j.verdict === 'flagged' ? undefined : 'mutation did not fire';
    // (a post-handshake input: a client that sends its data and close_notify at once never reads our ticket)
    else if (j.observation.closedBefore && j.verdict !== 'flagged')
      skip = 'the client closed (close_notify) before our invalid input went out';
    // a mutant the client must accept (valid input) breaks no rule on the wire: that it fired is the evidence
    else if (conv.expect.kind === 'complete') skip = undefined;
    else if (
      onWire &&
      !verdicts.some((v) => v.status === 'violation' && evidence.includes(v.rule)) &&
      !receiverDutyApplied(conv.mutant.mutation, verdicts)
    ) {
      const seen = verdicts.filter((v) => evidence.includes(v.rule)).map((v) => `${v.rule} ${v.status}`);
      const other = verdicts.filter((v) => v.status === 'violation').map((v) => v.rule);
      skip = `no declared rule broken on the wire (${seen.join(', ') || 'no verdict'}; violations: ${other.join(', ') || 'none'})`;
    }
  }
  const records = run.records.map((r) => ({ dir: r.dir, raw: r.raw }));
  const out: Outcome = {
    result,
    records,
    keylog: judged.keylog,
    save: (dir, n) =>
      saveRun(dir, {
        path: result.run.path ?? 'x',
        name: conv.mutant?.name ?? conv.name,
        role: 'server',
        records,
        keylog: judged.keylog,
        ...(transcript ? { transcript } : {}),
        serverPort: s.port,
        clientPort: 40000 + (n % 20000),
        peerOutput: command.output,
      }),
  };
  if (transcript) out.transcript = transcript;
  if (skip !== undefined) out.skip = skip;
  if (run.firstAnswerMs !== undefined) out.firstAnswerMs = run.firstAnswerMs;
  return out;
}

export interface ShrinkResult {
  /** Path of the failing conversation in the run, and of the smallest one fast-check found failing the same way. */
  from: string;
  path: string;
  /** Conversations run while shrinking. */
  runs: number;
  result: ClientConversationResult;
}

export interface ClientFuzzResult {
  listen: string;
  command: string;
  profile: ClientProfile;
  mutants: string[];
  sanity: { first: boolean; last: boolean };
  results: ClientConversationResult[];
  /** Mutants that did not apply to this client, changed nothing on the wire, or that the profile disabled: not counted. */
  skipped: string[];
  shrunk: ShrinkResult[];
  /** One per distinct failure (verdict and rule): the first of its group, how many, and its shrunk counterexample. */
  failures: FailureReport<ClientConversationResult>[];
  /** The run-level verdicts over the conversations (oracles/across.ts): the client's randoms and keys never repeat. */
  across: Verdict[];
  /** Mutants the profile switched off, with the reason. */
  disabled: string[];
  /** Conversations the run generates (given, or one per applicable mutant and offered version plus the random ones); a replayed path is one of them. */
  runs: number;
  ms: number;
  /**
   * The floor of a conversation against a client: its start-up (spawn to connection; median over the run), and
   * the median conversation (spawn to the command's end) next to it.
   */
  startup: { floorMs: number; conversationMs: number };
}

function fullProbeConversation(
  o: ClientFuzzOptions,
  version: ClientConversation['version'],
  suite: number,
  group: number,
  name: string,
): ClientConversation {
  return {
    name,
    version,
    suite,
    group,
    clientAuth: o.profile.clientCertRequired ? 'require' : 'none',
    serverRandom: new Uint8Array(32).fill(0x5a),
    expect: { kind: 'complete' },
    seed: o.budget.seed,
    path: name,
  };
}

/** The probe: a permissive server (both versions, every suite our key can run); the ClientHello gives the profile. */
async function probe(s: Session): Promise<ClientProfile> {
  const { o } = s;
  const key = keyKindOf(o.identity.identity.spki);
  const config: ServerConfig = {
    ...serverBase(s),
    versions: [VERSION_CODE['1.3'], VERSION_CODE['1.2']],
    // with an external PSK, the TLS 1.2 PSK suites too (after the certificate ones: the probe sees what the client offers)
    cipherSuites: [
      ...DEFAULT_SUITES.filter((x) => keyFits(x, key)),
      ...(o.identity.psk ? serverPskSuites(o.identity.identity) : []),
    ],
    clientAuth: o.profile.clientCertRequired ? 'require' : 'none',
  };
  const server = new TlsServer(config);
  const ceiling = s.clientTiming.answer;
  const played = await withCommand(s, Math.max(PROBE_CONNECT_MS, o.budget.totalTimeoutMs ?? 0), (sock) =>
    exchange(server, sock, {
      answerMs: ceiling.answerMs,
      quietMs: ceiling.quietMs,
      totalMs: ceiling.totalMs,
      afterConnect: 'await',
    }),
  );
  const ended = played.command;
  if (!played.run)
    throw new Error(
      `probe: the client never connected to ${s.target} (${describeCommandEnd(ended)}): ${ended.output.trim().split('\n').slice(-5).join(' | ')}`,
    );
  const run = played.run;
  // the client's start-up sets how long later conversations wait for its connection; its answer time the answer waits
  if (played.startupMs !== undefined) {
    s.clientTiming.connectMs = Math.max(2000, Math.ceil(4 * played.startupMs));
    s.clientTiming.exitGraceMs = Math.max(100, Math.ceil(played.startupMs));
  }
  if (run.firstAnswerMs !== undefined) s.clientTiming.answer = adapted(o.budget, run.firstAnswerMs);
  const { transcript } = await transcriptOfRun(run, server, 'server', s.target, s.provider);
  const chMsg = transcript.messages.find((m) => m.dir === 'C->S' && m.type === 'client_hello');
  const ch = chMsg?.decoded?.body;
  if (ch?.type !== 'client_hello')
    throw new Error(`probe: no readable ClientHello from the client (${describeEnd(run.end)}; ${describeCommandEnd(ended)})`);
  const completed =
    run.end.outcome.kind === 'connected' || (run.end.outcome.kind === 'closed' && run.end.outcome.session !== undefined);
  return {
    ...profileOf(ch, o.identity.identity, o.identity.psk),
    completed,
    detail: `${describeEnd(run.end)}; client ${describeCommandEnd(ended)}${played.startupMs !== undefined ? `; connected ${Math.round(played.startupMs)} ms after its start` : ''}`,
  };
}

const median = (xs: readonly number[]): number => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

export async function fuzzClient(o: ClientFuzzOptions): Promise<ClientFuzzResult> {
  const t0 = Date.now();
  const progress = o.output?.onProgress ?? (() => undefined);
  const listener = new OneByOne();
  const port = await listener.listen(o.target.host, o.target.port);
  const s: Session = {
    o,
    listener,
    port,
    target: o.target.command,
    provider: nodeProvider(),
    certCache: newCertCache(),
    clientTiming: {
      connectMs: o.budget.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS,
      exitGraceMs: 1000,
      answer: ceilings(o.budget),
      startups: [],
    },
  };
  try {
    const profile = await probe(s);
    const pskLine = profile.psk
      ? `; our external PSK offered in ${profile.psk.versions.map((v) => `TLS ${v}`).join(' and ') || 'no version (the PSK mutations do not run)'}`
      : '';
    progress(
      `probe on ${o.target.host}:${port}: client offers ${profile.versions.map((v) => `TLS ${v}`).join(', ') || 'no version we run'}; TLS 1.3 [${profile.suites['1.3'].map(suiteName).join(', ')}], TLS 1.2 [${profile.suites['1.2'].map(suiteName).join(', ')}]${pskLine}${profile.completed ? '' : `; probe did not complete: ${profile.detail}`}`,
    );
    progress(
      `timing: the client connects ${s.clientTiming.connectMs} ms at most after its start, answers within ${s.clientTiming.answer.answerMs} ms, exits within ${s.o.target.exitGraceMs ?? s.clientTiming.exitGraceMs} ms of our close`,
    );
    // generated from every applicable mutant; the profile filters what runs (paths mean the same with and without it)
    const filter = o.profile.only ? { only: o.profile.only } : {};
    const mutants = applicableMutants(profile, filter);
    const examples = coveragePicks(profile, mutants, o.budget.seed);
    const runs = runCount(o.budget.runs, examples.length, o.budget.randomRuns);
    const convOf = (p: ConvPick, path: string) =>
      conversationOf(
        p,
        profile,
        mutants,
        { seed: o.budget.seed, clientCertRequired: o.profile.clientCertRequired ?? false },
        path,
      );
    const budget = o.budget.maxShrinkRuns ?? 20;
    const c = await campaign<ConvPick, ClientConversationResult>(
      {
        arbitrary: pickArb(mutants.length),
        examples,
        runs,
        run: (p, path) => runConversation(s, convOf(p, path), profile),
        sanity: async (label) => {
          const v = profile.versions.find((x) => profile.suites[x].length > 0);
          if (!v) return false;
          const conv = fullProbeConversation(o, v, profile.suites[v][0]!, profile.groups[0] ?? NamedGroup.x25519, label);
          const { result } = await runConversation(s, conv, profile);
          progress(`${label}: ${result.run.verdict} (${result.run.detail ?? ''})`);
          // a flagged sanity handshake completed (the client's own messages broke a rule): the run goes on, as against servers
          return result.run.verdict === 'conforming' || result.run.verdict === 'flagged';
        },
        failureKey: (r) => `${r.run.verdict} ${r.run.rule ?? ''}`,
        sameFailure: (a, b) => a.run.verdict === b.run.verdict && a.run.rule === b.run.rule,
        shrinkBudget: budget,
        // the two first distinct failures (each shrink costs client starts)
        maxShrunk: budget > 0 ? 2 : 0,
        saveEveryFailure: true,
        replayLine: 'replay',
        repath: (r, path) => {
          r.run = { ...r.run, path };
          r.conversation = { ...r.conversation, path };
        },
        peer: { side: 'client', provider: s.provider },
      },
      {
        seed: o.budget.seed,
        ...(o.budget.path !== undefined ? { path: o.budget.path } : {}),
        ...(o.output?.save !== undefined ? { save: o.output.save } : {}),
        progress,
      },
    );
    const shrunk: ShrinkResult[] =
      o.budget.path !== undefined
        ? []
        : c.failures
            .filter((f) => f.shrunk !== undefined || f.reproduced)
            .map((f) => {
              const result = f.shrunk ?? f.original;
              return { from: f.original.run.path ?? '', path: result.run.path ?? '', runs: f.shrinkRuns, result };
            });
    return {
      listen: `${o.target.host}:${port}`,
      command: o.target.command,
      profile,
      mutants: mutants.map((m) => m.name),
      sanity: c.sanity,
      results: c.results,
      skipped: c.skipped,
      shrunk,
      failures: c.failures,
      across: c.across,
      disabled: disabledMutants(profile, o.profile.file ? { ...filter, file: o.profile.file } : filter),
      runs,
      ms: Date.now() - t0,
      startup: {
        floorMs: median(s.clientTiming.startups),
        conversationMs: median(c.results.map((x) => x.command.ms)),
      },
    };
  } finally {
    await listener.close();
  }
}
