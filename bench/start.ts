/**
 * Start: how fast the `tlsprop` command starts (issue #17 goal 5: within 3x
 * of `node -e 0`). The package is built first (`npm run build`: the
 * compiled JavaScript the installed package runs), then `tlsprop --version`
 * and `tlsprop run --help` (the command table, no command loaded) are
 * started again and again, interleaved with `node -e 0`, for `seconds` each;
 * the figure is starts per second from the median wall time of one start.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type Figure, withBaseline } from './harness';

const ROOT = join(__dirname, '..');

function once(args: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function startSection(seconds: number, log: (s: string) => void): Promise<Figure[]> {
  log('start: building dist/ (npm run build)');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  if (build.status !== 0)
    return [{ section: 'start', name: 'tlsprop --version', value: 0, unit: 'starts/s', note: 'npm run build failed' }];
  const entry = join(ROOT, 'dist', 'cli', 'entry.js');
  const cases: Array<[string, string[]]> = [
    ['tlsprop --version (compiled)', [entry, '--version']],
    ['tlsprop run --help (compiled)', [entry, 'run', '--help']],
  ];
  const times = new Map<string, number[]>([['node -e 0', []], ...cases.map(([n]) => [n, []] as [string, number[]])]);
  const until = Date.now() + Math.max(1, seconds * 3) * 1000;
  // interleaved, so that load on the machine falls on both alike; at least 5 starts each
  while (Date.now() < until || times.get('node -e 0')!.length < 5) {
    times.get('node -e 0')!.push(once(['-e', '0']));
    for (const [name, args] of cases) times.get(name)!.push(once(args));
  }
  const base = 1000 / median(times.get('node -e 0')!);
  return cases.map(([name]) => {
    const ms = median(times.get(name)!);
    return withBaseline({
      section: 'start',
      name,
      value: 1000 / ms,
      unit: 'starts/s',
      baseline: { tool: 'node -e 0', value: base },
      note: `median ${ms.toFixed(0)} ms vs ${(1000 / base).toFixed(0)} ms over ${times.get(name)!.length} starts; goal: ratio >= 0.33 (within 3x)`,
    });
  });
}
