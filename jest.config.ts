/** @jest-config-loader esbuild-register */
import { availableParallelism } from 'node:os';
import type { Config } from 'jest';
import { JEST_MATCH } from './tools/tiers';

// Three projects, one per test tier (tools/tiers.ts says what belongs where):
// `pure` (*.test.ts beside the code: no process started), `interop`
// (*.interop.test.ts: real peers and tools as processes) and `conformance`
// (spec/**/*.spec.ts). `npm test` runs all three; `npm run test:pure`,
// `test:interop` and `test:conformance` run one (`jest --selectProjects NAME`).
const transform: Config['transform'] = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  // @noble/post-quantum (ML-KEM, crypto/kem.ts) and its @noble dependencies are ES modules only: jest's CommonJS
  // runtime gets them through swc like our own sources (Node itself loads them with require(esm), Node >= 20.19).
  '^.+/node_modules/@noble/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
const common = {
  transform,
  transformIgnorePatterns: ['/node_modules/(?!@noble/)'],
  testEnvironment: 'node',
  // the package's own name, as examples/ and users import it: the library's sources here
  moduleNameMapper: { '^tlsprop$': '<rootDir>/api/index.ts', '^tlsprop/jest$': '<rootDir>/api/jest.ts' },
  // CPU per file (out/jest/cpu.jsonl) and the stall watchdog: see tools/watchdog.ts
  setupFilesAfterEnv: ['<rootDir>/tools/watchdog.ts'],
};
const setup = '<rootDir>/jest.setup.ts';

const config: Config = {
  testTimeout: 120_000,
  // Longest first with the learners interleaved, from jest's cache or tools/test-durations.json (tools/sequencer.js).
  testSequencer: '<rootDir>/tools/sequencer.js',
  // Two workers more than cores (jest's default is one less): most of the suite's time is waiting on a peer, a socket
  // or a learner's silence window (on 2 cores a clean run used ~50% of the CPU with two workers; the five learner
  // files spend ~765 s of wall time for ~155 s of CPU), and with three workers a clean run still summed 1,947 s of
  // file time, 649 s at best on three workers: the fourth overlaps the learners' waiting with the others' CPU.
  maxWorkers: availableParallelism() + 2,
  // The conformance reports (JSON, JUnit, Markdown, HTML) of what the specs
  // recorded are written to out/report; see reports/jest-reporter.ts.
  // out/jest/results.json is jest's JSON result of the last run (`npm run test:slowest` reads it).
  reporters: [
    'default',
    ['<rootDir>/reports/jest-reporter-entry.js', { outDir: 'out/report' }],
    '<rootDir>/tools/results-reporter.js',
  ],
  projects: [
    // A pure test that starts a process anyway fails at the call (tools/pure-guard.ts).
    { ...common, displayName: 'pure', setupFiles: [setup, '<rootDir>/tools/pure-guard.ts'], ...JEST_MATCH.pure },
    { ...common, displayName: 'interop', setupFiles: [setup], ...JEST_MATCH.interop },
    { ...common, displayName: 'conformance', setupFiles: [setup], ...JEST_MATCH.conformance },
  ],
};
export default config;
