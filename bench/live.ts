import 'reflect-metadata';
/**
 * Live section: our client's full-handshake rate against `openssl s_server`
 * on loopback (TLS 1.2 with the reference suite, ECDHE-RSA-AES256-SHA384,
 * and TLS 1.3 with TLS_AES_256_GCM_SHA384; RSA server key, x25519, server
 * authentication, a new session each time), next to `openssl s_time -new`
 * against the same server in the same run. Both validate the server chain.
 * A missing tool or a failing server is reported in the figure, not thrown.
 *
 * Also the fuzzing rate: conversations per second of `tlsprop fuzz`
 * (fuzz/target.ts: valid, mutant, state-machine and certificate
 * conversations, each with its transcript checked by every oracle, at the
 * default strictness and --jobs) against the same server (it echoes data),
 * against `s_server -www` (it never answers our application data), and the
 * whole default run against a server that requires a client certificate
 * (probe, sanity, conversations and shrinking: its wall time is the goal of
 * under a minute), each next to the TLS 1.3 `openssl s_time -new` rate of
 * the same run. Incomplete-flow state conversations wait for the target's
 * silence (a wait adapted to its measured answer time), so this is the rate
 * a real run has, not a handshake rate.
 */
import { spawn } from 'node:child_process';
import { nodeProvider } from '../crypto';
import { TlsClient } from '../engine/client';
import type { ClientConfig } from '../engine/config';
import { runClientOverSocket } from '../engine/socket';
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import { freePort, launch, LOOPBACK, MissingPeerError, type PeerProcess } from '../testing/launch';
import { opensslServer } from '../testing/peers';
import { DEFAULT_STRICTNESS } from '../fuzz/judge';
import { fuzzClient } from '../fuzz/client';
import { fuzzTarget } from '../fuzz/target';
import { newCertCache } from '../pki/parse';
import { type PkiFiles, writePki } from '../testing/pki';
import { NamedGroup } from '../wire/registry';
import { type Figure, rateAndCpu, table, withBaseline } from './harness';
import { VERSION_CODE } from '../wire/vocabulary';

/** Seconds `openssl s_time` collects for (its `-time`, whole seconds): 5 at the default BENCH_SECONDS=2, 1 for a smoke. */
const sTimeSeconds = (seconds: number): number => Math.max(1, Math.round(2.5 * seconds));

interface LiveCase {
  version: '1.2' | '1.3';
  label: string;
  suite: number;
  /** s_time arguments selecting the same version and suite. */
  sTime: string[];
}

const CASES: readonly LiveCase[] = [
  {
    version: '1.2',
    label: 'TLS 1.2 ECDHE_RSA AES_256_CBC_SHA384',
    suite: CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    sTime: ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-SHA384'],
  },
  {
    version: '1.3',
    label: 'TLS 1.3 AES_256_GCM_SHA384',
    suite: CipherSuite13.TLS_AES_256_GCM_SHA384,
    sTime: ['-tls1_3', '-ciphersuites', 'TLS_AES_256_GCM_SHA384'],
  },
];

/**
 * Our client's configuration: one provider (its key store imports each key once) and one parsed-certificate cache
 * for the run, as `tlsprop fuzz` runs its conversations (fuzz/target.ts RunShared) and as s_time keeps one SSL_CTX
 * (trust store loaded once) for all its connections.
 */
function clientConfig(c: LiveCase, files: PkiFiles, shared: Pick<ClientConfig, 'provider' | 'certCache'>): ClientConfig {
  return {
    ...shared,
    versions: [VERSION_CODE[c.version]],
    cipherSuites: [c.suite],
    groups: [NamedGroup.x25519],
    trustAnchors: files.pki.anchors,
    serverName: 'localhost',
  };
}

/** One full handshake of our client; throws unless it connected. */
async function handshake(config: ClientConfig, port: number): Promise<void> {
  const client = new TlsClient(config);
  const run = await runClientOverSocket(client, LOOPBACK, port, { readTimeoutMs: 5000, totalTimeoutMs: 10_000 });
  const o = run.end.outcome;
  if (run.end.kind !== 'done' || (o.kind !== 'connected' && o.kind !== 'closed'))
    throw new Error(`handshake did not complete: ${run.end.kind} / ${o.kind}`);
}

/** Run a command to completion without blocking the event loop (the s_server's output pipes keep draining). */
function runAsync(
  command: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ stdout: string; status: number | null; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ stdout, status: null, error: e.code === 'ENOENT' ? `${command} not installed` : e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(
        signal
          ? {
              stdout,
              status: code,
              error: `${command} killed (${signal}) after ${timeoutMs} ms: ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`,
            }
          : { stdout: stdout + stderr, status: code },
      );
    });
  });
}

/**
 * `openssl s_time -new` connections per second (real time), or the reason there is none. `select` picks the
 * version and suite (e.g. `-tls1_2 -cipher ...`); `extra` adds arguments (a client certificate).
 */
export async function sTime(
  port: number,
  select: readonly string[],
  files: PkiFiles,
  time: number,
  extra: readonly string[] = [],
): Promise<{ value: number; userMs?: number } | { error: string }> {
  const args = [
    's_time',
    '-connect',
    `${LOOPBACK}:${port}`,
    '-new',
    '-time',
    String(time),
    '-CAfile',
    files.ca,
    '-verify',
    '2',
    ...select,
    ...extra,
  ];
  const r = await runAsync('openssl', args, (time + 30) * 1000);
  if (r.error) return { error: r.error };
  // "N connections in T real seconds, B bytes read per connection"
  const m = /(\d+) connections in (\d+(?:\.\d+)?) real seconds/.exec(r.stdout);
  if (!m) return { error: `s_time exited ${r.status}: ${r.stdout.trim().split('\n').slice(-2).join(' / ')}` };
  const n = Number(m[1]);
  const secs = Number(m[2]);
  if (!(n > 0) || !(secs > 0)) return { error: `s_time made no connections (${m[0]})` };
  // "N connections in U.UUs; R connections/user sec": s_time's own CPU (user) per connection
  const u = /(\d+) connections in (\d+(?:\.\d+)?)s; [\d.]+ connections\/user sec/.exec(r.stdout);
  const userMs = u && Number(u[1]) > 0 && Number(u[2]) > 0 ? (1000 * Number(u[2])) / Number(u[1]) : undefined;
  return userMs !== undefined ? { value: n / secs, userMs } : { value: n / secs };
}

const message = (e: unknown): string =>
  e instanceof MissingPeerError ? 'openssl not installed' : e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);

interface FuzzCase {
  name: string;
  port: number;
  /** Our client presents a certificate (the server requires one). */
  mutual?: boolean;
  /**
   * The one-command run (`tlsprop fuzz --target H:P --cert C --key K --ca CA`): default runs, shrinking and
   * strictness, its wall time from the probe to the last sanity handshake; else `runs` conversations, no shrinking.
   */
  whole?: boolean;
}

/** Fuzzing conversations per second against the server, with the TLS 1.3 s_time rate as baseline. */
async function fuzzFigure(
  c: FuzzCase,
  files: PkiFiles,
  seconds: number,
  sTime13: number | undefined,
  log: (s: string) => void,
): Promise<Figure> {
  const runs = Math.max(20, Math.round(seconds * 20));
  log(`live: tlsprop fuzz, ${c.name}${c.whole ? ' (default run)' : `, ${runs} conversations`}`);
  try {
    const t0 = Date.now();
    const c0 = process.cpuUsage();
    const r = await fuzzTarget({
      target: { host: LOOPBACK, port: c.port },
      identity: {
        pki: files.pki,
        trustAnchors: files.pki.anchors,
        serverName: 'localhost',
        ...(c.mutual ? { identity: files.pki.identity('client', 'rsa') } : {}),
      },
      budget: c.whole ? { seed: 1 } : { seed: 1, runs, maxShrinkRuns: 0 },
      profile: { strictness: DEFAULT_STRICTNESS },
    });
    const wall = (Date.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    const cpuPerConv = (cpu.user + cpu.system) / 1000 / Math.max(1, r.results.length);
    // conversations the target kept waiting (e.g. s_server's sleep(1) after refusing a renegotiation): their share of the time
    const slow = r.results.filter((x) => x.ms >= 100);
    const slowMs = slow.reduce((t, x) => t + x.ms, 0);
    const cost = `; CPU ${cpuPerConv.toFixed(1)} ms per conversation (the whole call, probe and sanity included); ${slow.length} conversation(s) of 100 ms or more took ${(slowMs / 1000).toFixed(2)} s`;
    if (!r.results.length || r.generationMs <= 0)
      return {
        section: 'live',
        name: `${c.name}: not measured (no conversation ran)`,
        value: 0,
        unit: 'conv/s',
        note: 'sanity failed',
      };
    const value = c.whole ? r.results.length / wall : r.results.length / (r.generationMs / 1000);
    const findings = r.failures.length;
    const note = c.whole
      ? `the whole default run: ${r.results.length} conversations, ${findings} finding group(s), jobs ${r.jobs}, ${wall.toFixed(1)} s wall (goal: under 60 s), probe and shrinking included${cost}`
      : `${r.results.length} conversations (valid, mutants, state steps, certificates) with every oracle on every transcript, jobs ${r.jobs}; baseline: openssl s_time -new TLS 1.3, same run${cost}`;
    return sTime13 !== undefined
      ? withBaseline({
          section: 'live',
          name: c.name,
          value,
          unit: 'conv/s',
          baseline: { tool: 'openssl s_time -new (TLS 1.3)', value: sTime13 },
          note,
        })
      : { section: 'live', name: `${c.name} (no baseline)`, value, unit: 'conv/s', note };
  } catch (e) {
    return { section: 'live', name: `${c.name}: not measured (${message(e)})`, value: 0, unit: 'conv/s', note: message(e) };
  }
}

/** Fuzzing figures against two more servers of the same kind: one that never answers data, one that requires a client certificate. */
async function moreFuzzFigures(
  files: PkiFiles,
  seconds: number,
  sTime13: number | undefined,
  log: (s: string) => void,
): Promise<Figure[]> {
  const out: Figure[] = [];
  const servers: PeerProcess[] = [];
  try {
    // s_server -www answers only an HTTP GET: our application data gets no answer (the conversation must not wait on it)
    const www = await freePort();
    servers.push(await launch(opensslServer({ port: www, files, key: 'rsa', echo: false, extra: ['-www'] })));
    out.push(
      await fuzzFigure(
        { name: 'fuzzing conversations vs openssl s_server -www (never answers data)', port: www },
        files,
        seconds,
        sTime13,
        log,
      ),
    );
    const mutual = await freePort();
    servers.push(await launch(opensslServer({ port: mutual, files, key: 'rsa', clientAuth: true })));
    out.push(
      await fuzzFigure(
        {
          name: 'whole default run vs openssl s_server -Verify (tlsprop fuzz --target --cert --key --ca)',
          port: mutual,
          mutual: true,
          whole: true,
        },
        files,
        seconds,
        sTime13,
        log,
      ),
    );
  } catch (e) {
    out.push({ section: 'live', name: `fuzzing: not measured (${message(e)})`, value: 0, unit: 'conv/s', note: message(e) });
  } finally {
    for (const s of servers) await s.stop();
  }
  return out;
}

/**
 * Client mode: `tlsprop fuzz --listen --client-cmd 'openssl s_client ...'`, each conversation a new s_client. The
 * floor is the client's own start-up (spawn to connection, median); the figure is the rate of whole conversations
 * (spawn to exit, median) against the rate of start-ups alone: the ratio is floor / conversation (goal >= 0.67, i.e.
 * a conversation within 1.5x of the start-up).
 */
async function clientFigure(files: PkiFiles, seconds: number, log: (s: string) => void): Promise<Figure> {
  const name = 'client mode: conversations vs the client start-up (openssl s_client per conversation)';
  const runs = Math.max(10, Math.round(seconds * 6));
  log(`live: tlsprop fuzz --listen, openssl s_client, ${runs} conversations`);
  try {
    const r = await fuzzClient({
      target: {
        host: LOOPBACK,
        port: 0,
        command: `openssl s_client -connect {host}:{port} -servername localhost -CAfile ${files.ca} -verify_return_error`,
      },
      identity: { pki: files.pki, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors },
      budget: { seed: 1, runs, maxShrinkRuns: 0 },
      profile: { strictness: DEFAULT_STRICTNESS },
    });
    const { floorMs, conversationMs } = r.startup;
    if (!(floorMs > 0) || !(conversationMs > 0))
      return { section: 'live', name: `${name}: not measured`, value: 0, unit: 'conv/s', note: 'no start-up measured' };
    return withBaseline({
      section: 'live',
      name,
      value: 1000 / conversationMs,
      unit: 'conv/s',
      baseline: { tool: 'client start-ups/s (floor)', value: 1000 / floorMs },
      note: `${r.results.length} conversations; start-up ${floorMs.toFixed(0)} ms, conversation ${conversationMs.toFixed(0)} ms (median)`,
    });
  } catch (e) {
    return { section: 'live', name: `${name}: not measured (${message(e)})`, value: 0, unit: 'conv/s', note: message(e) };
  }
}

export async function liveSection(seconds: number, log: (s: string) => void): Promise<Figure[]> {
  const figures: Figure[] = [];
  const notMeasured = (c: LiveCase, why: string): Figure => ({
    section: 'live',
    name: `${c.label} full handshakes vs openssl s_server: not measured (${why})`,
    value: 0,
    unit: 'hs/s',
    note: why,
  });
  let files: PkiFiles | undefined;
  let server: PeerProcess | undefined;
  try {
    files = await writePki(undefined, 'tlsprop-bench-live-');
    const port = await freePort();
    log(`live: openssl s_server on ${LOOPBACK}:${port}`);
    // One server for both versions: RSA key, the reference TLS 1.2 suite and OpenSSL's TLS 1.3 suites.
    server = await launch(
      opensslServer({ port, files, key: 'rsa', cipher: 'ECDHE-RSA-AES256-SHA384', groups: 'X25519', extra: ['-quiet'] }),
    );
    const baselines = new Map<LiveCase, number>();
    const shared = { provider: nodeProvider(), certCache: newCertCache() };
    for (const c of CASES) {
      log(`live: ${c.label}: our client`);
      const config = clientConfig(c, files, shared);
      let ours: number;
      let cpuMs: number;
      let userMs: number;
      try {
        await handshake(config, port);
        ({ rate: ours, cpuMs, userMs } = await rateAndCpu(() => handshake(config, port), seconds));
      } catch (e) {
        figures.push(notMeasured(c, `our client: ${message(e)}`));
        continue;
      }
      log(`live: ${c.label}: openssl s_time -new -time ${sTimeSeconds(seconds)}`);
      const base = await sTime(port, c.sTime, files, sTimeSeconds(seconds));
      if ('value' in base) baselines.set(c, base.value);
      const name = `${c.label} full handshakes vs openssl s_server`;
      if ('value' in base)
        figures.push(
          withBaseline({
            section: 'live',
            name,
            value: ours,
            unit: 'hs/s',
            baseline: { tool: 'openssl s_time -new', value: base.value },
            note: `our client (engine over a TCP socket, one provider and certificate cache for the run) vs OpenSSL's client, same server; CPU per handshake: ours ${cpuMs.toFixed(2)} ms (user+sys, this process; user ${userMs.toFixed(2)} ms), s_time ${base.userMs !== undefined ? `${base.userMs.toFixed(2)} ms (user)` : '?'}`,
          }),
        );
      else
        figures.push({
          section: 'live',
          name: `${name} (no baseline: ${base.error})`,
          value: ours,
          unit: 'hs/s',
          note: base.error,
        });
    }
    if (files) {
      const base = baselines.get(CASES[1]!);
      figures.push(
        await fuzzFigure({ name: 'fuzzing conversations vs openssl s_server (echo)', port }, files, seconds, base, log),
      );
      figures.push(...(await moreFuzzFigures(files, seconds, base, log)));
      figures.push(await clientFigure(files, seconds, log));
    }
  } catch (e) {
    const why = message(e);
    for (const c of CASES) if (!figures.some((f) => f.name.startsWith(c.label))) figures.push(notMeasured(c, why));
  } finally {
    await server?.stop();
    files?.cleanup();
  }
  return figures;
}

if (require.main === module) {
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  liveSection(Number(process.env['BENCH_SECONDS'] ?? 2), log).then(
    (f) => process.stdout.write(`${table(f)}\n\n${f.map((x) => `${x.name}: ${x.note ?? ''}`).join('\n')}\n`),
    (e: unknown) => {
      process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
