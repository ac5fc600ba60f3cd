/**
 * Benchmark plumbing: measure an async operation's rate, run baselines as
 * child processes, and print figures next to their baseline as ratios.
 * Figures are reported, never asserted.
 */
import { execFileSync } from 'node:child_process';

export interface Figure {
  section: string;
  name: string;
  /** Our rate (operations per second) or other figure. */
  value: number;
  unit: string;
  /** The same thing measured by a reference tool in the same run. */
  baseline?: { tool: string; value: number };
  /** value / baseline.value for rates (higher is better). */
  ratio?: number;
  note?: string;
}

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

/** Figures that are not a result: not measured (no positive finite value), or without their baseline and ratio. */
export function incomplete(figures: readonly Figure[]): string[] {
  return figures.flatMap((f) => {
    if (!(Number.isFinite(f.value) && f.value > 0))
      return [`${f.section}: ${f.name}: not measured${f.note ? ` (${f.note})` : ''}`];
    if (!f.baseline || !(f.baseline.value > 0) || f.ratio === undefined) return [`${f.section}: ${f.name}: no baseline`];
    return [];
  });
}

export function withBaseline(f: Omit<Figure, 'ratio'>): Figure {
  return f.baseline && f.baseline.value > 0 ? { ...f, ratio: f.value / f.baseline.value } : f;
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

export function table(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.section,
    f.name,
    `${f.value.toFixed(f.value < 10 ? 2 : 0)} ${f.unit}`,
    f.baseline ? `${f.baseline.value.toFixed(0)} (${f.baseline.tool})` : '-',
    f.ratio !== undefined ? `${f.ratio.toFixed(3)}x` : '-',
  ]);
  const head = ['section', 'figure', 'tlsprop', 'baseline', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}
