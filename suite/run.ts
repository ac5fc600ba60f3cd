/**
 * The conformance suite against an implementation (`tlsprop run`): for each
 * target, the live fuzz pipeline of fuzz/ (probe, every applicable
 * conversation family, judge, shrink, save), its results converted for the
 * reports (suite/convert.ts), and one coverage report for all of them with
 * the run's metadata. Targets: a TLS server (our client plays against it), a
 * TLS client command (our server plays against it), or the built-in default,
 * Node.js's own tls in both roles, in this process (suite/node.ts).
 */
import { testPki, type TestPki } from '../engine/fixtures';
import type { ExternalPsk, Identity } from '../engine/config';
import { fuzzClient } from '../fuzz/client';
import type { FuzzProfile } from '../fuzz/profile';
import type { ClientFuzzOptions, ServerFuzzOptions } from '../fuzz/options';
import { fuzzTarget } from '../fuzz/target';
import { buildCoverage, machinesFromOracles } from '../reports/coverage';
import { ruleInfos } from '../reports/jest-reporter';
import type {
  CoverageReport,
  LiveConversation,
  ProfileUse,
  RunInput,
  RunMeta,
  TargetInfo,
  TranscriptRun,
} from '../reports/model';
import { toolInfo } from '../reports/version';
import type { Side, Strictness } from '../wire/vocabulary';
import { type Converted, convertClientRun, convertServerRun, type TargetLabel } from './convert';
import { NODE_CLIENT_NAME, NODE_SERVER_NAME, nodeClientLauncher, startNodeServer } from './node';

export type Tier = 'smoke' | 'default' | 'full';

export type SuiteTarget =
  /** A TLS server at host:port: our client plays against it. */
  | { kind: 'server'; host: string; port: number; name?: string }
  /** A TLS client command, run once per conversation: our server plays against it on `listen`. */
  | { kind: 'client'; command: string; host: string; port: number; name?: string }
  /** The built-in default: Node.js's tls in this process, in these roles. */
  | { kind: 'node'; roles: readonly Side[] };

export interface SuiteOptions {
  targets: readonly SuiteTarget[];
  seed: number;
  tier: Tier;
  /** Conversations per target (overrides the tier). */
  runs?: number;
  /** Replay one conversation (with the seed) of each target. */
  path?: string;
  /** Targets run at once (default 2). */
  jobs?: number;
  strictness: Strictness;
  readTimeoutMs?: number;
  /** Our certificate and key: the client certificate against servers; our server's against clients. */
  identity?: Identity;
  /** Anchors for the peer's chain (default for client targets: the test root, which our test certificates chain to). */
  trustAnchors?: Uint8Array[];
  serverName?: string;
  /** An external PSK a server target knows (`tlsprop run --psk`): our client offers it (fuzz/options.ts IdentityOptions.psk). */
  psk?: ExternalPsk;
  /** Present faulty client certificates to servers (the Node target trusts the test root: always on there). */
  certFaults?: boolean;
  /** Only these mutation names. */
  only?: readonly string[];
  profile?: FuzzProfile;
  profileFile?: string;
  /** Failing conversations are saved (pcap + key log + JSON) under DIR/conversations/<target>. */
  outDir: string;
  /** The test PKI (default: a fresh one). */
  pki?: TestPki;
  /** Progress of one target's run (the fuzz pipeline's lines). */
  onProgress?: (target: string, line: string) => void;
  /** For the report's metadata. */
  argv?: readonly string[];
  command?: string;
}

export interface SuiteResult {
  input: RunInput;
  report: CoverageReport;
  targets: TargetInfo[];
}

/** Budgets per tier: conversations per target (undefined: every applicable name once, then random ones). */
function budget(o: SuiteOptions): { runs?: number; randomRuns?: number; maxShrinkRuns: number } {
  if (o.runs !== undefined) return { runs: o.runs, maxShrinkRuns: o.tier === 'smoke' ? 4 : 30 };
  if (o.tier === 'smoke') return { runs: 12, maxShrinkRuns: 4 };
  if (o.tier === 'full') return { randomRuns: 200, maxShrinkRuns: 60 };
  return { maxShrinkRuns: 30 };
}

/** A label for reports and file names: no dots (JUnit classnames), no temp paths. */
export function slug(s: string): string {
  return s
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
}

/** The reports' name of a client command: its program and first word, never its paths. */
export function commandName(command: string): string {
  const words = command.trim().split(/\s+/);
  const prog = (words.find((w) => !/^[A-Z_]+=/.test(w)) ?? 'client').split('/').pop() ?? 'client';
  const sub = words[words.indexOf(words.find((w) => w.endsWith(prog)) ?? '') + 1];
  return sub && /^[a-z_]+$/.test(sub) ? `${prog} ${sub}` : prog;
}

const quote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

interface Job {
  label: TargetLabel;
  run: () => Promise<Converted>;
}

async function pool<T>(jobs: number, tasks: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, tasks.length)) }, worker));
  return out;
}

/** Run the suite against every target and build the report (see the header). */
export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const pki = o.pki ?? (await testPki());
  const b = budget(o);
  const saveDir = (name: string) => `${o.outDir}/conversations/${slug(name)}`;
  const progress = (name: string) => (l: string) => o.onProgress?.(name, l);
  const common = (name: string) => ({
    budget: {
      seed: o.seed,
      ...(b.runs !== undefined ? { runs: b.runs } : {}),
      ...(b.randomRuns !== undefined ? { randomRuns: b.randomRuns } : {}),
      maxShrinkRuns: b.maxShrinkRuns,
      ...(o.readTimeoutMs !== undefined ? { readTimeoutMs: o.readTimeoutMs } : {}),
      ...(o.path !== undefined ? { path: o.path } : {}),
    },
    output: { save: saveDir(name), onProgress: progress(name) },
  });
  const profileOf = (): ServerFuzzOptions['profile'] => ({
    strictness: o.strictness,
    ...(o.profile ? { file: o.profile } : {}),
    ...(o.only ? { only: o.only } : {}),
  });
  const cleanups: Array<() => Promise<void>> = [];
  const jobs: Job[] = [];
  const base = replayBase(o.argv ?? []);

  const serverJob = (
    host: string,
    port: number,
    label: TargetLabel,
    identity: ServerFuzzOptions['identity'],
    certFaults: boolean,
  ) => ({
    label,
    run: async () => {
      const opts: ServerFuzzOptions = {
        target: { host, port },
        identity,
        ...common(label.name),
        profile: { ...profileOf(), ...(certFaults ? { certFaults: true } : {}) },
      };
      return convertServerRun(await fuzzTarget(opts), label, o.outDir);
    },
  });
  const clientJob = (target: ClientFuzzOptions['target'], label: TargetLabel, identity: ClientFuzzOptions['identity']): Job => ({
    label,
    run: async () => {
      const opts: ClientFuzzOptions = { target, identity, ...common(label.name), profile: profileOf() };
      return convertClientRun(await fuzzClient(opts), label, o.outDir);
    },
  });

  try {
    for (const t of o.targets) {
      if (t.kind === 'server') {
        const address = `${t.host}:${t.port}`;
        const name = t.name ?? `server ${address}`;
        const identity: ServerFuzzOptions['identity'] = { pki };
        if (o.identity) identity.identity = o.identity;
        if (o.trustAnchors) identity.trustAnchors = o.trustAnchors;
        if (o.serverName !== undefined) identity.serverName = o.serverName;
        if (o.psk) identity.psk = o.psk;
        const label: TargetLabel = {
          name,
          role: 'server',
          address,
          replayArgs: base || `--target ${address}`,
        };
        jobs.push(serverJob(t.host, t.port, label, identity, o.certFaults === true));
      } else if (t.kind === 'client') {
        const name = t.name ?? commandName(t.command);
        const label: TargetLabel = {
          name,
          role: 'client',
          address: t.command,
          replayArgs: base || `--client-cmd ${quote(t.command)}`,
        };
        jobs.push(
          clientJob({ host: t.host, port: t.port, command: t.command }, label, {
            pki,
            identity: o.identity ?? pki.identity('server', 'rsa'),
            trustAnchors: o.trustAnchors ?? pki.anchors,
          }),
        );
      } else {
        if (t.roles.includes('server')) {
          const server = await startNodeServer(pki);
          cleanups.push(() => server.close());
          const label: TargetLabel = {
            name: NODE_SERVER_NAME,
            role: 'server',
            address: `${server.host}:${server.port}`,
            replayArgs: `${base} --role server`.trim(),
          };
          jobs.push(
            serverJob(
              server.host,
              server.port,
              label,
              { pki, identity: pki.identity('client', 'rsa'), trustAnchors: pki.anchors, serverName: 'localhost' },
              true,
            ),
          );
        }
        if (t.roles.includes('client')) {
          const label: TargetLabel = {
            name: NODE_CLIENT_NAME,
            role: 'client',
            address: 'tls.connect in this process',
            replayArgs: `${base} --role client`.trim(),
          };
          jobs.push(
            clientJob({ host: '127.0.0.1', port: 0, command: NODE_CLIENT_NAME, launch: nodeClientLauncher(pki) }, label, {
              pki,
              identity: pki.identity('server', 'rsa'),
              trustAnchors: pki.anchors,
            }),
          );
        }
      }
    }
    const converted = await pool(
      o.jobs ?? 2,
      jobs.map((j) => async (): Promise<Converted> => {
        try {
          return await j.run();
        } catch (e) {
          // a target that could not be run at all (its client never connected, ...): reported, not thrown
          const msg = e instanceof Error ? e.message : String(e);
          o.onProgress?.(j.label.name, `error: ${msg}`);
          return {
            conversations: [],
            transcripts: [],
            target: { name: j.label.name, role: j.label.role, address: j.label.address, error: msg },
          };
        }
      }),
    );
    const conversations: LiveConversation[] = converted.flatMap((c) => c.conversations);
    const transcripts: TranscriptRun[] = converted.flatMap((c) => c.transcripts);
    const targets = converted.map((c) => withHints(c.target, c.conversations, o));
    const run: RunMeta = {
      command: o.command ?? 'run',
      argv: [...(o.argv ?? [])],
      seed: o.seed,
      durationMs: Date.now() - t0,
      targets: targets.map((t) => t.name),
      platform: platform(),
    };
    const input: RunInput = {
      tool: toolInfo(),
      startedAt,
      rules: ruleInfos(),
      transcripts,
      mutants: [],
      conversations,
      stateMachines: machinesFromOracles(),
      run,
      targets,
    };
    const use = profileUse(o, targets, conversations);
    if (use) input.profile = use;
    return { input, report: buildCoverage(input), targets };
  } finally {
    for (const c of cleanups) await c();
  }
}

/** Options of a run that select what it tests (not its size, seed, path or outputs), for replay commands. */
const NOT_REPLAYED = new Set(['seed', 'path', 'runs', 'smoke', 'full', 'baseline', 'out', 'report', 'role', 'jobs']);
const FLAGS = new Set(['smoke', 'full', 'self', 'cert-faults', 'allow-remote', 'include-secrets']);

export function replayBase(argv: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([^=]+)(=.*)?$/.exec(a);
    if (!m) {
      out.push(quote(a));
      continue;
    }
    const name = m[1]!;
    const takesValue = !FLAGS.has(name) && m[2] === undefined;
    if (NOT_REPLAYED.has(name)) {
      if (takesValue) i++;
      continue;
    }
    out.push(quote(a));
    if (takesValue && i + 1 < argv.length) out.push(quote(argv[++i]!));
  }
  return out.join(' ');
}

export function platform(): string {
  return `node ${process.version}, OpenSSL ${process.versions.openssl}, ${process.platform}-${process.arch}`;
}

function profileUse(o: SuiteOptions, targets: readonly TargetInfo[], cs: readonly LiveConversation[]): ProfileUse | undefined {
  if (!o.profile) return undefined;
  const u: ProfileUse = {
    disabled: [...new Set(targets.flatMap((t) => t.disabled ?? []))],
    expectedFailures: cs.filter((c) => c.profile?.status === 'expected-failure').length,
    alertMapped: cs.filter((c) => c.profile?.status === 'alert-mapped').length,
    unexpectedPasses: cs.filter((c) => c.profile?.status === 'unexpected-pass').length,
  };
  if (o.profileFile !== undefined) u.file = o.profileFile;
  if (o.profile.target !== undefined) u.target = o.profile.target;
  return u;
}

/** The alerts a server refusing a client certificate sends (RFC 8446 §4.4.2.4, §6.2; RFC 5246 §7.2.2). */
const CERTIFICATE_ALERTS: ReadonlySet<string> = new Set([
  'bad_certificate',
  'unsupported_certificate',
  'certificate_revoked',
  'certificate_expired',
  'certificate_unknown',
  'unknown_ca',
  'access_denied',
  'certificate_required',
]);

/** Advice a reader acts on: what the probe saw and how the conversations ended. */
export function withHints(t: TargetInfo, cs: readonly LiveConversation[], o: Pick<SuiteOptions, 'identity'>): TargetInfo {
  const hints: string[] = [];
  const blocked = !t.sanity?.first || !t.probed?.suites.length;
  // a TLS 1.3 server checks the client certificate after our side completed: a certificate alert where none was due
  // (not the answer a certificate fault or an empty Certificate asks for) says the server refused the test certificate,
  // just as a failed probe does
  const refused = cs.some(
    (c) =>
      c.verdict !== 'conforming' &&
      c.alert !== undefined &&
      CERTIFICATE_ALERTS.has(c.alert) &&
      !(c.expectedAlerts ?? []).includes(c.alert),
  );
  if (t.role === 'server' && t.probed?.certificateRequested && !o.identity && (blocked || refused))
    hints.push(
      "the server asked for a client certificate and tlsprop presented its test certificate, which the server may not trust: pass --cert and --key (and --ca for the server's chain)",
    );
  if (t.role === 'server' && t.probed && !t.probed.suites.length)
    hints.push(
      'no probe handshake completed: is it a TLS server on that port, does it need a client certificate (--cert/--key) or an SNI (--servername)?',
    );
  const silent = cs.filter((c) => c.verdict === 'hung' && /\((connected|closed)\)/.test(c.detail ?? '')).length;
  if (silent > 0)
    hints.push(
      `the peer did not answer application data after a completed handshake in ${silent} conversation(s) within the read timeout: if it is slow, try --timeout MS; a server that never answers (e.g. it waits for a request) cannot show whether it accepted what it must reject`,
    );
  if (t.sanity && !t.sanity.first && t.role === 'client')
    hints.push(
      'the client did not complete a valid handshake with our server: does it trust the test root (--write-ca FILE) or your --cert?',
    );
  return hints.length ? { ...t, hints } : t;
}
