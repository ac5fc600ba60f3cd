/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// Two projects: the unit tests that sit beside each layer's code, and the
// conformance suite in spec/. `npx jest --selectProjects conformance` runs
// the suite alone.
const transform: Config['transform'] = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};
const common = {
  transform,
  setupFiles: ['<rootDir>/jest.setup.ts'],
  testEnvironment: 'node',
};

const config: Config = {
  testTimeout: 120_000,
  // The conformance reports (JSON, JUnit, Markdown, HTML) of what the specs
  // recorded are written to out/report; see reports/jest-reporter.ts.
  reporters: ['default', ['<rootDir>/reports/jest-reporter-entry.js', { outDir: 'out/report' }]],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{wire,crypto,pki,engine,capture,peer,cli,oracles,generators,reports,transcript}/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'conformance',
      testMatch: ['<rootDir>/spec/**/*.spec.ts'],
    },
  ],
};
export default config;
