/**
 * The test tiers, by cost. The tier of a test file is visible in its name;
 * jest.config.ts builds its projects from these patterns and
 * tools/tiers.test.ts checks that every test file is where it belongs.
 *
 * - `pure`: `*.test.ts` beside the code. Runs entirely inside the jest
 *   worker: no child process of any kind (no external binary, no shell, no
 *   second node), sockets only on loopback to servers in the same process
 *   (our engine, Node's `tls`). Needs nothing but `npm ci`.
 * - `interop`: `*.interop.test.ts` beside the code. Starts processes: real
 *   peers (openssl, gnutls-serv/-cli, botan, mosquitto), tshark/editcap,
 *   tcpdump, a shell command, or our own CLI as a process. Needs the
 *   packages README.md lists.
 * - `conformance`: `spec/**\/*.spec.ts`, the conformance suite; it may do
 *   both (real peers are started by the specs that need them).
 */

export type Tier = 'pure' | 'interop' | 'conformance';
export const TIERS: readonly Tier[] = ['pure', 'interop', 'conformance'];

/** Folders that hold no test of ours: dependencies, outputs, data (fixtures/depcheck has a `*.test.ts` on purpose). */
export const NO_TESTS = ['node_modules', 'out', 'coverage', 'bench/out', 'fixtures', 'dist'];

/** jest's `testMatch` and `testPathIgnorePatterns` of each tier (paths under `<rootDir>`). */
export const JEST_MATCH: Readonly<Record<Tier, { testMatch: string[]; testPathIgnorePatterns: string[] }>> = {
  pure: {
    testMatch: ['<rootDir>/**/*.test.ts'],
    testPathIgnorePatterns: [...NO_TESTS.map((d) => `<rootDir>/${d}/`), '<rootDir>/spec/', '\\.interop\\.test\\.ts$'],
  },
  interop: {
    testMatch: ['<rootDir>/**/*.interop.test.ts'],
    testPathIgnorePatterns: [...NO_TESTS.map((d) => `<rootDir>/${d}/`), '<rootDir>/spec/'],
  },
  conformance: {
    testMatch: ['<rootDir>/spec/**/*.spec.ts'],
    testPathIgnorePatterns: NO_TESTS.map((d) => `<rootDir>/${d}/`),
  },
};

/**
 * The tier of a repository-relative file: a tier, `misplaced` for a test
 * file no tier runs (a `*.test.ts` in spec/, a `*.spec.ts` outside it), or
 * undefined for a file that is not a test.
 */
export function tierOf(file: string): Tier | 'misplaced' | undefined {
  if (NO_TESTS.some((d) => file.startsWith(`${d}/`))) return undefined;
  const inSpec = file.startsWith('spec/');
  if (file.endsWith('.spec.ts')) return inSpec ? 'conformance' : 'misplaced';
  if (file.endsWith('.test.ts')) return inSpec ? 'misplaced' : file.endsWith('.interop.test.ts') ? 'interop' : 'pure';
  return undefined;
}
