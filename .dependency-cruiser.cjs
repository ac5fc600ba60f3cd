/**
 * The import rules of docs/architecture.md, checked by dependency-cruiser
 * (`npm run lint:deps`, run by .ci/run and by tools/deps.interop.test.ts,
 * which also shows the rules failing on fixtures/depcheck/).
 *
 * Every path below is relative to the folder the check runs in (the
 * repository root; the fixture test runs it inside fixtures/depcheck/).
 *
 * - A production folder imports only from folders of a lower rank (a folder
 *   may import itself). Two folders of the same rank never import each other,
 *   so the folder graph has no cycle; `no-folder-cycle` says so directly.
 * - oracles/ never imports engine/, generators/, fuzz/, learn/.
 * - Test code may import anything: `*.test.ts` anywhere, and the test-only
 *   folders. Production code never imports test code.
 * - A production folder missing from RANKS is an error: a new folder gets a rank.
 *
 * Imports are read by swc's parser (`parser: 'swc'`): type-only imports,
 * re-exports, require() and import() all count. dependency-cruiser's own
 * TypeScript parser supports TypeScript < 7 only; 17.x is its last line that
 * runs on Node 20.
 */

/** Rank of each production folder (docs/architecture.md, "Layers"). */
const RANKS = {
  wire: 0,
  crypto: 1,
  transcript: 1,
  pki: 2,
  capture: 2,
  engine: 3,
  oracles: 3,
  generators: 4,
  reports: 4,
  fuzz: 5,
  learn: 5,
  // The conformance suite against a target (`tlsprop run`): it runs the fuzz/ pipeline per target, so it
  // ranks above fuzz/ (and learn/) and below cli/.
  suite: 5.5,
  cli: 6,
  // The library API (`import ... from 'tlsprop'`, `tlsprop/jest`): re-exports of the layers below.
  api: 6,
  // The `tlsprop` executable: loads cli/.
  bin: 7,
};

/** Folders that hold only test code, tools and data; they may import anything. */
const TEST_FOLDERS = ['spec', 'testing', 'bench', 'examples', 'tools', 'fixtures'];

/** A test file outside the test folders (unit tests sit beside their code). */
const TEST_FILE = '\\.test\\.ts$';

const folders = Object.keys(RANKS);
const under = (names) => `^(${names.join('|')})/`;
const production = { pathNot: [TEST_FILE, under(TEST_FOLDERS)] };

const layerRules = folders.map((folder) => {
  const rank = RANKS[folder];
  const notBelow = folders.filter((f) => f !== folder && RANKS[f] >= rank);
  const allowed = folders.filter((f) => RANKS[f] < rank);
  return {
    name: `layer/${folder}`,
    severity: 'error',
    comment: `${folder}/ (rank ${rank}) imports only from ${allowed.length ? allowed.map((f) => `${f}/`).join(', ') : 'itself'}`,
    from: { path: `^${folder}/`, ...production },
    to: { path: under(notBelow) },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'oracles-independent',
      severity: 'error',
      comment: 'the oracles judge what they are given: they never import the engine, the generators or the live fuzzing',
      from: { path: '^oracles/', ...production },
      to: { path: under(['engine', 'generators', 'fuzz', 'learn']) },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'an import cycle that leaves its folder (cycles inside one folder are allowed)',
      from: { path: under(folders), ...production },
      to: { circular: true, via: { pathNot: '^$1/' } },
    },
    {
      name: 'production-imports-no-test-code',
      severity: 'error',
      comment: 'production code never imports a test file or a test-only folder',
      from: { path: under(folders), ...production },
      to: { path: [TEST_FILE, under(TEST_FOLDERS)] },
    },
    {
      name: 'unranked-folder',
      severity: 'error',
      comment: 'every production folder has a rank in .dependency-cruiser.cjs (RANKS) and docs/architecture.md',
      from: { path: '^[^/]+/', pathNot: [under([...folders, ...TEST_FOLDERS, 'node_modules']), TEST_FILE] },
      to: {},
    },
    {
      name: 'not-resolvable',
      severity: 'error',
      comment: 'an import that does not resolve hides its target from every other rule',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    // `tlsprop` and `tlsprop/jest` (the package's own name, as examples/ import it) resolve through tsconfig.json's paths
    tsConfig: { fileName: require('node:path').join(__dirname, 'tsconfig.json') },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|out|bench/out|coverage|fixtures|dist)/|(^|/)\\.' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.cjs', '.mjs', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
