/**
 * `npm run bench`: every benchmark section in one run, each figure next to
 * a baseline measured in the same run. Writes bench/out/results.json and
 * prints a table. BENCH_SECONDS sets the time per figure (default 2; CI runs
 * a smoke with 0.2). A figure that could not be measured, or lacks its
 * baseline, makes the run exit 1 after the table: a ratio is the result.
 */
// @peculiar/x509 (certificate building in the generation and live sections) needs the reflect polyfill first.
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureSection } from './capture';
import { cryptoSection } from './crypto';
import { generationSection } from './generation';
import { type Figure, incomplete, table } from './harness';
import { learnSection } from './learn';
import { liveSection } from './live';
import { startSection } from './start';

async function main(): Promise<void> {
  const seconds = Number(process.env['BENCH_SECONDS'] ?? 2);
  if (!(seconds > 0)) throw new Error(`BENCH_SECONDS must be a positive number of seconds, not ${process.env['BENCH_SECONDS']}`);
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const started = Date.now();
  const figures: Figure[] = [
    ...(await cryptoSection(seconds, log)),
    ...(await generationSection(seconds, log)),
    ...(await liveSection(seconds, log)),
    ...(await captureSection(seconds, log)),
    ...(await startSection(seconds, log)),
  ];
  const learn = await learnSection(seconds, log);
  figures.push(...learn.figures);
  const outDir = join(__dirname, 'out');
  mkdirSync(outDir, { recursive: true });
  const results = {
    version: 1,
    date: new Date().toISOString(),
    node: process.version,
    secondsPerFigure: seconds,
    elapsedSeconds: (Date.now() - started) / 1000,
    figures,
    learn: learn.lines,
  };
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${table(figures)}\n\n${learn.lines.join('\n')}\n\nwritten: ${join(outDir, 'results.json')}\n`);
  const missing = incomplete(figures);
  if (missing.length) {
    process.stderr.write(`bench: ${missing.length} figure(s) without a result:\n${missing.map((m) => `  ${m}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
