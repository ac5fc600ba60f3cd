/**
 * A jest reporter that turns what the specs recorded into the reports.
 *
 * Specs record data with `recordFragment(runDir(), fragment)` (reports/collect.ts):
 * JSON lines of partial RunInputs under `TLSPROP_REPORT_DIR` (default
 * `out/run`). At `onRunStart` the reporter removes stale fragment files of
 * that directory; at `onRunComplete` it merges the fragments into one
 * RunInput (rule declarations default to oracles' `allRules`, machines to
 * oracles/statemachine.ts), builds the CoverageReport and writes
 * report.json, junit.xml, summary.md and index.html into `out/report`
 * (option `outDir`). Under `jest --shard=i/n` the names get a suffix
 * (`report.shard-1-of-3.json`, ...); `tlsprop report merge` (mergeReportFiles)
 * combines the shard reports. Shards running on one machine at the same
 * time need distinct TLSPROP_REPORT_DIR values.
 *
 * Registering (jest.config.ts, top level `reporters`):
 *
 *     reporters: ['default', ['<rootDir>/reports/jest-reporter-entry.js', { outDir: 'out/report', formats: ['json', 'junit', 'markdown', 'html'] }]],
 *
 * (`jest-reporter-entry.js` loads this file through esbuild-register, as bin/tlsprop.js does.)
 * Options: outDir, runDir, formats, includeSecrets (default false), allRules (default true).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allRules } from '../oracles/catalogue';
import { clearFragments, combineFragments, readFragments, runDir } from './collect';
import { buildCoverage } from './coverage';
import type { CoverageReport, RuleInfo } from './model';
import { type Format, renderReports } from './render';

/** The part of jest's GlobalConfig this reporter reads. */
export interface ReporterGlobalConfig {
  rootDir: string;
  shard?: { shardIndex: number; shardCount: number } | null;
}

export interface ReporterOptions {
  outDir?: string;
  runDir?: string;
  formats?: Format[];
  includeSecrets?: boolean;
  /** Declare every rule of oracles/catalogue.ts, so rules never applied show (default true). */
  allRules?: boolean;
}

/** The minimal jest Reporter interface (structurally compatible with @jest/reporters' Reporter). */
export interface MinimalReporter {
  onRunStart?(results: unknown, options: unknown): void | Promise<void>;
  onRunComplete?(testContexts: unknown, results: { numFailedTests?: number } | unknown): void | Promise<void>;
  getLastError?(): Error | undefined;
}

export function ruleInfos(): RuleInfo[] {
  // a rule decided across connections is listed with `spans` (its `values` function is no report data)
  return allRules.map(({ check: _check, across, ...info }) => (across ? { ...info, spans: 'connections' as const } : info));
}

export class TlspropReporter implements MinimalReporter {
  private readonly root: string;
  private readonly options: ReporterOptions;
  private readonly shard: ReporterGlobalConfig['shard'];
  private readonly startedAt: string;
  private error: Error | undefined;
  /** Files written by the last onRunComplete. */
  written: string[] = [];
  report: CoverageReport | undefined;

  constructor(globalConfig: ReporterGlobalConfig, options: ReporterOptions = {}) {
    this.root = globalConfig.rootDir;
    this.options = options;
    this.shard = globalConfig.shard;
    this.startedAt = new Date().toISOString();
  }

  private dir(): string {
    return this.options.runDir ? resolve(this.root, this.options.runDir) : runDir(process.env, this.root);
  }

  suffix(): string {
    return this.shard && this.shard.shardCount > 1 ? `shard-${this.shard.shardIndex}-of-${this.shard.shardCount}` : '';
  }

  onRunStart(): void {
    clearFragments(this.dir());
    // the folder's presence tells tlsprop/jest (in the test workers) to record for this reporter
    mkdirSync(this.dir(), { recursive: true });
  }

  onRunComplete(): void {
    try {
      let version = '0.0.0';
      try {
        version = (JSON.parse(readFileSync(join(this.root, 'package.json'), 'utf8')) as { version?: string }).version ?? version;
      } catch {
        // no package.json: keep 0.0.0
      }
      const fragments = readFragments(this.dir());
      if (this.options.allRules !== false) fragments.unshift({ rules: ruleInfos() });
      const input = combineFragments(fragments, { tool: { name: 'tlsprop', version }, startedAt: this.startedAt });
      input.run = {
        command: 'jest',
        argv: process.argv.slice(2),
        durationMs: Date.now() - Date.parse(this.startedAt),
        targets: [...new Set((input.conversations ?? []).map((c) => c.targetName ?? c.target))].sort(),
        platform: `node ${process.version}, OpenSSL ${process.versions.openssl}, ${process.platform}-${process.arch}`,
      };
      this.report = buildCoverage(input);
      const opts: Parameters<typeof renderReports>[1] = {
        outDir: resolve(this.root, this.options.outDir ?? join('out', 'report')),
        includeSecrets: this.options.includeSecrets === true,
        suffix: this.suffix(),
      };
      if (this.options.formats) opts.formats = this.options.formats;
      this.written = renderReports(this.report, opts);
    } catch (e) {
      this.error = e instanceof Error ? e : new Error(String(e));
    }
  }

  getLastError(): Error | undefined {
    return this.error;
  }
}

export default TlspropReporter;
