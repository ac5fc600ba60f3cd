/**
 * Benchmark plumbing: measure an async operation's rate, run baselines as
 * child processes, and print figures next to their baseline as ratios.
 * Figures are reported, never asserted.
 */
import { execFileSync } from 'node:child_process';

// The figures and their table live in figures.ts (no process there, so its tests are pure).
export { type Figure, incomplete, table, withBaseline } from './figures';

/** Ops/s of `op`, run sequentially for about `seconds` after a short warm-up. */
export async function rate(op: () => Promise<unknown>, seconds: number): Promise<number> {
  const warm = performance.now() + Math.min(200, seconds * 100);
  while (performance.now() < warm) await op();
  let n = 0;
  const start = performance.now();
  const stop = start + seconds * 1000;
  while (performance.now() < stop) {
    await op();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Like `rate`, with this process's CPU time per operation, in ms: user + system (thread-pool work included), and user alone. */
export async function rateAndCpu(
  op: () => Promise<unknown>,
  seconds: number,
): Promise<{ rate: number; cpuMs: number; userMs: number }> {
  const warm = performance.now() + Math.min(200, seconds * 100);
  while (performance.now() < warm) await op();
  let n = 0;
  const c0 = process.cpuUsage();
  const start = performance.now();
  const stop = start + seconds * 1000;
  while (performance.now() < stop) {
    await op();
    n++;
  }
  const c = process.cpuUsage(c0);
  return { rate: n / ((performance.now() - start) / 1000), cpuMs: (c.user + c.system) / 1000 / n, userMs: c.user / 1000 / n };
}

/** `openssl speed -mr` rates: sign/verify per second for RSA/ECDSA, ops per second for ECDH. */
export interface OpensslSpeed {
  rsa2048?: { sign: number; verify: number };
  ecdsap256?: { sign: number; verify: number };
  ecdhp256?: number;
  ecdhx25519?: number;
}

export function opensslSpeed(seconds: number): OpensslSpeed {
  let out: string;
  try {
    out = execFileSync(
      'openssl',
      ['speed', '-mr', '-seconds', String(seconds), 'rsa2048', 'ecdsap256', 'ecdhp256', 'ecdhx25519'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 120_000,
      },
    );
  } catch {
    return {};
  }
  const speed: OpensslSpeed = {};
  for (const line of out.split('\n')) {
    const f = line.split(':');
    if (f[0] === '+F2' && f[2] === '2048') speed.rsa2048 = { sign: Number(f[3]), verify: Number(f[4]) };
    if (f[0] === '+F4' && f[2] === '256') speed.ecdsap256 = { sign: Number(f[3]), verify: Number(f[4]) };
    if (f[0] === '+F5' && f[2] === '256') speed.ecdhp256 = Number(f[3]);
    if (f[0] === '+F5' && f[2] === '253') speed.ecdhx25519 = Number(f[3]);
  }
  return speed;
}
