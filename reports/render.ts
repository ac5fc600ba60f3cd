/**
 * For the CLI: write a report in the chosen formats, and merge report
 * files (`tlsprop report merge a.json b.json`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeReports } from './coverage';
import type { CoverageReport } from './model';
import { toHtml } from './writers/html';
import { parseReport, toJson } from './writers/json';
import { toJunit } from './writers/junit';
import { toMarkdown } from './writers/markdown';

export type Format = 'json' | 'junit' | 'markdown' | 'html';
export const FORMATS: readonly Format[] = ['json', 'junit', 'markdown', 'html'];

export interface RenderOptions {
  outDir: string;
  formats?: readonly Format[];
  includeSecrets?: boolean;
  /** Inserted before the extension: `report.shard-1-of-3.json`. */
  suffix?: string;
}

const FILES: Record<Format, string> = { json: 'report.json', junit: 'junit.xml', markdown: 'summary.md', html: 'index.html' };

export function fileName(format: Format, suffix = ''): string {
  const f = FILES[format];
  const dot = f.lastIndexOf('.');
  return suffix ? `${f.slice(0, dot)}.${suffix}${f.slice(dot)}` : f;
}

/** Writes the formats (default all) and returns the paths written, in FORMATS order. */
export function renderReports(report: CoverageReport, opts: RenderOptions): string[] {
  const formats = FORMATS.filter((f) => (opts.formats ?? FORMATS).includes(f));
  const secret = { includeSecrets: opts.includeSecrets === true };
  mkdirSync(opts.outDir, { recursive: true });
  return formats.map((f) => {
    const text =
      f === 'json'
        ? toJson(report, secret)
        : f === 'junit'
          ? toJunit(report, secret)
          : f === 'markdown'
            ? toMarkdown(report, secret)
            : toHtml(report, secret);
    const path = join(opts.outDir, fileName(f, opts.suffix));
    writeFileSync(path, text);
    return path;
  });
}

export function readReportFile(path: string): CoverageReport {
  return parseReport(readFileSync(path, 'utf8'), path);
}

export function mergeReportFiles(paths: readonly string[]): CoverageReport {
  return mergeReports(paths.map(readReportFile));
}
