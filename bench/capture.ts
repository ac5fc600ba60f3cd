/**
 * Capture section: `tlsprop check --keylog --json` (read, reassemble,
 * decrypt, every rule with signature and chain checks, the JSON document
 * written out) on captures of N mutual TLS 1.2 connections (the mosquitto
 * reference capture replicated), next to tshark dissecting and decrypting
 * the same file with the same key log in the same run; and the peak RSS at
 * two sizes, to show that memory does not grow with the capture.
 *
 * Sizes: 20, 200 and 2,000 connections (the goal of issue #17 is at 2,000:
 * >= 1x tshark); the 2,000 figure is the median of 3 runs of each tool. The
 * 10,000-connection capture (memory within 1.3x of the 2,000 case) runs
 * with BENCH_CAPTURE_LARGE=1 (a few minutes). Below BENCH_SECONDS=1 (the
 * CI smoke) 20 and 100 connections, once each, and no memory figure.
 *
 * Each run is a process of its own, as a user runs it: ours is the CLI's
 * `main(['check', FILE, '--keylog', KEYLOG, '--json'])` in a fresh node
 * (start-up included, output written to /dev/null), reporting its own peak
 * RSS (worker threads included); tshark's peak RSS comes from /usr/bin/time
 * when it is there. The CLI runs as the installed package runs it: the
 * compiled JavaScript of dist/ (`npm run build` first, as the start section
 * does). A checkout's `bin/tlsprop.js` runs the TypeScript sources through
 * esbuild-register instead, which compiles them at each start (about a
 * CPU-second more, on the main thread); when the build fails the section
 * runs the sources that way and says so in its figures.
 *
 * `node -r esbuild-register bench/capture.ts` runs this section alone.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replicateCapture } from '../capture/synth';
import { type Figure, table } from './harness';

const FIXTURES = join(__dirname, '..', 'fixtures');
const CASE = join(FIXTURES, 'captures', 'mosquitto-t12-ecdhe-rsa-aes256-sha384-mutual');
const SERVER_PORT = 45001;

/**
 * `copies` back-to-back copies of the reference capture's one connection,
 * each with its own client port and one second later, so that every copy
 * is a connection of its own.
 */
export function replicate(pcap: Uint8Array, copies: number): Uint8Array {
  return replicateCapture(pcap, copies, { serverPorts: [SERVER_PORT], shiftSeconds: 1 });
}

interface Run {
  ms: number;
  /** CPU time of the process (every thread), user + system. */
  cpuMs: number;
  maxRssMiB: number;
}

const ROOT = join(__dirname, '..');

/** How the CLI is run: the compiled dist/ (as installed), or the sources through esbuild-register (a checkout). */
type Cli = 'dist' | 'sources';

/** Build dist/ (`npm run build`); the sources when that fails. */
function buildCli(log: (s: string) => void): Cli {
  log('capture: building dist/ (npm run build), the JavaScript the installed CLI runs');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  if (build.status === 0 && existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) return 'dist';
  log('capture: npm run build failed: running the TypeScript sources through esbuild-register (compile time included)');
  return 'sources';
}

/** One `tlsprop check --keylog --json` in a fresh process. */
function runCheck(
  cli: Cli,
  file: string,
  keylog: string,
  extra: string[] = [],
): Run & { connections: number; outputMiB: number } {
  const load =
    cli === 'dist'
      ? "const { main } = require('./dist/cli/main.js');"
      : "require('esbuild-register/dist/node').register({ target: 'node20' }); const { main } = require('./cli/main.ts');";
  const script = `
    const t0 = performance.now();
    require('reflect-metadata');
    const { writeSync, openSync } = require('node:fs');
    ${load}
    const fd = openSync('/dev/null', 'w');
    let bytes = 0;
    let connections = 0;
    const io = {
      out: (s) => { bytes += Buffer.byteLength(s) + 1; if (s.startsWith('    {')) connections++; writeSync(fd, s); writeSync(fd, '\\n'); },
      err: (s) => process.stderr.write(s + '\\n'),
      readStdin: async () => '',
    };
    const args = ['check', ${JSON.stringify(file)}, '--keylog', ${JSON.stringify(keylog)}, '--json', ...${JSON.stringify(extra)}];
    main(args, io).then((code) => {
      // exit 1 is violations found: the replicated captures repeat one handshake, so the server random and ECDHE key
      // come back in every copy (hello.random-fresh, kex.ephemeral-fresh); 2 is an error
      if (code !== 0 && code !== 1) { process.stderr.write('exit ' + code + '\\n'); process.exitCode = 2; return; }
      const cpu = process.cpuUsage();
      process.stdout.write(JSON.stringify({ ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, connections, outputMiB: bytes / 2 ** 20 }));
    });`;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out);
}

const TIME = '/usr/bin/time';

/** tshark dissecting and decrypting every record (the handshake messages as fields), in ms; its CPU time and peak RSS when /usr/bin/time is there. */
function runTshark(file: string, keylog: string): Run | undefined {
  const args = ['-n', '-r', file, '-o', `tls.keylog_file:${keylog}`, '-Y', 'tls.handshake', '-T', 'fields', '-e', 'frame.number'];
  args.push('-e', 'tls.handshake.type');
  const timed = existsSync(TIME);
  const t0 = performance.now();
  const r = timed
    ? spawnSync(TIME, ['-f', '%M %U %S', 'tshark', ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    : spawnSync('tshark', args, { stdio: ['ignore', 'ignore', 'ignore'] });
  const ms = performance.now() - t0;
  if (r.error || r.status !== 0) return undefined;
  const [kb, user, sys] = timed ? String(r.stderr).trim().split('\n').pop()!.split(' ').map(Number) : [];
  return {
    ms,
    cpuMs: user !== undefined && sys !== undefined ? (user + sys) * 1000 : Number.NaN,
    maxRssMiB: (kb ?? Number.NaN) / 1024,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Captures of 20, 200 and 2,000 connections; below BENCH_SECONDS=1 (a smoke run, as in CI) 20 and 100. */
export const captureSizes = (seconds: number): number[] => (seconds >= 1 ? [20, 200, 2000] : [20, 100]);

export async function captureSection(seconds: number, log: (s: string) => void): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tlsprop-bench-'));
  try {
    const pcap = new Uint8Array(readFileSync(join(CASE, 'capture.pcap')));
    const keylog = join(CASE, 'keylog.txt');
    const figures: Figure[] = [];
    const mem = new Map<number, Run>();
    const sizes = captureSizes(seconds);
    const large = process.env['BENCH_CAPTURE_LARGE'] === '1';
    const cli = buildCli(log);
    for (const n of large ? [...sizes, 10000] : sizes) {
      const file = join(dir, `mosquitto-x${n}.pcap`);
      writeFileSync(file, replicate(pcap, n));
      const mib = statSync(file).size / 2 ** 20;
      const repeat = n === 2000 ? 3 : 1;
      log(`capture: ${n} connections (${mib.toFixed(1)} MiB), ${repeat} run(s) of each`);
      const ours: Array<Run & { connections: number; outputMiB: number }> = [];
      const theirs: Run[] = [];
      for (let i = 0; i < repeat; i++) {
        const o = runCheck(cli, file, keylog);
        if (o.connections !== n) throw new Error(`expected ${n} connections, checked ${o.connections}`);
        ours.push(o);
        const t = runTshark(file, keylog);
        if (t) theirs.push(t);
        const cpu = (x: Run) => (Number.isFinite(x.cpuMs) ? ` (${(x.cpuMs / 1000).toFixed(1)} CPU-s)` : '');
        log(
          `  tlsprop ${(o.ms / 1000).toFixed(2)} s${cpu(o)}, ${o.maxRssMiB.toFixed(0)} MiB, ${o.outputMiB.toFixed(0)} MiB of JSON; tshark ${t ? `${(t.ms / 1000).toFixed(2)} s${cpu(t)}, ${t.maxRssMiB.toFixed(0)} MiB` : 'not run'}`,
        );
      }
      const ms = median(ours.map((o) => o.ms));
      const rate = n / (ms / 1000);
      const f: Figure = {
        section: 'capture',
        name: `check --keylog --json, ${n} mutual TLS 1.2 connections (${mib.toFixed(1)} MiB; decrypt + every rule)`,
        value: rate,
        unit: 'conn/s',
        note: `${cli === 'dist' ? 'compiled CLI (dist/)' : 'CLI from the sources (esbuild-register)'}, ${(mib / (ms / 1000)).toFixed(2)} MiB/s, ${(median(ours.map((o) => o.cpuMs)) / 1000).toFixed(1)} CPU-s, peak RSS ${median(ours.map((o) => o.maxRssMiB)).toFixed(0)} MiB`,
      };
      if (theirs.length) {
        const tms = median(theirs.map((t) => t.ms));
        f.baseline = { tool: 'tshark with the key log (decrypting)', value: n / (tms / 1000) };
        f.ratio = rate / f.baseline.value;
        const trss = median(theirs.map((t) => t.maxRssMiB));
        const tcpu = median(theirs.map((t) => t.cpuMs));
        f.note += `; tshark ${(mib / (tms / 1000)).toFixed(2)} MiB/s${Number.isFinite(tcpu) ? `, ${(tcpu / 1000).toFixed(1)} CPU-s` : ''}${Number.isFinite(trss) ? `, ${trss.toFixed(0)} MiB` : ''}`;
      }
      figures.push(f);
      mem.set(n, { ms, cpuMs: median(ours.map((o) => o.cpuMs)), maxRssMiB: median(ours.map((o) => o.maxRssMiB)) });
    }
    // Both sizes large enough to start the worker threads (a small capture is checked on the main thread alone).
    const pairs: Array<[number, number]> = sizes.includes(2000) ? [[200, 2000]] : [];
    if (large) pairs.push([2000, 10000]);
    for (const [a, b] of pairs) {
      const small = mem.get(a)!;
      const big = mem.get(b)!;
      figures.push({
        section: 'capture',
        name: `peak RSS at ${b} vs ${a} connections`,
        value: big.maxRssMiB,
        unit: 'MiB',
        baseline: { tool: `tlsprop at ${a} connections`, value: small.maxRssMiB },
        ratio: big.maxRssMiB / small.maxRssMiB,
        note: 'memory does not grow with the capture: ratio near 1 (goal: <= 1.3 at 10,000 vs 2,000)',
      });
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  captureSection(Number(process.env['BENCH_SECONDS'] ?? 2), log).then(
    (f) => process.stdout.write(`${table(f)}\n`),
    (e: unknown) => {
      process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
