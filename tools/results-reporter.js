/**
 * A jest reporter that writes jest's JSON results (the document `jest --json`
 * prints: `formatTestResults` of the run) to out/jest/results.json after
 * every run, whichever tier or files ran. `npm run test:slowest` reads it.
 * Option `outputFile` (relative to rootDir) moves it.
 */
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const { formatTestResults } = require('@jest/test-result');

class ResultsReporter {
  constructor(globalConfig, options = {}) {
    this.file = resolve(globalConfig.rootDir, options.outputFile ?? 'out/jest/results.json');
  }

  // tools/watchdog.ts appends each file's CPU time to cpu.jsonl beside the results: a run starts it anew.
  onRunStart() {
    rmSync(join(dirname(this.file), 'cpu.jsonl'), { force: true });
  }

  onRunComplete(_contexts, results) {
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, `${JSON.stringify(formatTestResults(results))}\n`);
  }
}

module.exports = ResultsReporter;
