/**
 * Setup file of the `pure` jest project (tools/tiers.ts): a pure test starts
 * no process. Every way `child_process` has to start one throws here, so a
 * pure test that reaches a process through any code path fails with the
 * name of the call, instead of quietly needing a binary. Such a test
 * belongs in `*.interop.test.ts`.
 */
const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

function guarded(actual: typeof import('node:child_process')): typeof import('node:child_process') {
  const copy = { ...actual };
  for (const name of STARTERS)
    Object.defineProperty(copy, name, {
      enumerable: true,
      value: () => {
        throw new Error(
          `child_process.${name}() called in a pure-tier test: a test that starts a process is named *.interop.test.ts (tools/tiers.ts)`,
        );
      },
    });
  return copy;
}

jest.mock('node:child_process', () => guarded(jest.requireActual('node:child_process')));
jest.mock('child_process', () => guarded(jest.requireActual('child_process')));
