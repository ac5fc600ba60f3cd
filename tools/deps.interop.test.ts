/**
 * The import rules (.dependency-cruiser.cjs, docs/architecture.md) hold on
 * the repository, and the same check fails on fixtures/depcheck/, a small
 * tree with one import of each kind it must catch. Runs dependency-cruiser
 * as `npm run lint:deps` does (a node process of its own: interop tier).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './source';

const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  type: string;
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

/** dependency-cruiser in `cwd` with the repository's rules: its output and exit status (the number of errors). */
function depcruise(cwd: string, outputType: 'json' | 'err-long'): { status: number; stdout: string } {
  try {
    const stdout = execFileSync(process.execPath, [DEPCRUISE, '--config', CONFIG, '--output-type', outputType, '.'], {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    return { status: 0, stdout };
  } catch (e) {
    const { status, stdout } = e as { status: number; stdout: string };
    return { status, stdout };
  }
}

function cruise(cwd: string): { violations: Violation[]; modules: number } {
  const result = JSON.parse(depcruise(cwd, 'json').stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  return { violations: result.summary.violations, modules: result.summary.totalCruised };
}

describe('import rules (npm run lint:deps)', () => {
  it('hold on the repository', () => {
    const r = cruise(ROOT);
    expect(r.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
    expect(r.modules).toBeGreaterThan(200);
  });

  it('fail on a back-up import (value or type-only), a same-rank cycle, test code in production and an unranked folder (fixtures/depcheck)', () => {
    const r = cruise(join(ROOT, 'fixtures', 'depcheck'));
    const found = r.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    expect(found).toEqual([
      'layer/crypto: crypto/prf.ts -> transcript/hash.ts',
      'layer/oracles: oracles/verdict.ts -> engine/run.ts',
      'layer/transcript: transcript/hash.ts -> crypto/prf.ts',
      'layer/transcript: transcript/shape.ts -> engine/run.ts',
      'no-folder-cycle: crypto/prf.ts -> transcript/hash.ts',
      'oracles-independent: oracles/verdict.ts -> engine/run.ts',
      'production-imports-no-test-code: wire/codec.ts -> spec/helper.ts',
      'unranked-folder: misc/extra.ts -> wire/codec.ts',
    ]);
    expect(r.violations.every((v) => v.rule.severity === 'error')).toBe(true);
    // As `npm run lint:deps` reports it: non-zero exit, each violation with its rule, file and why.
    const text = depcruise(join(ROOT, 'fixtures', 'depcheck'), 'err-long');
    expect(text.status).toBe(found.length);
    expect(text.stdout).toContain('error layer/oracles: oracles/verdict.ts → engine/run.ts');
    expect(text.stdout).toContain('oracles/ (rank 3) imports only from wire/');
  });
});
