/**
 * What every command that tests something does at its end: write the four
 * reports (report.json, junit.xml, summary.md, index.html) of its run into a
 * folder, compare with a baseline when asked, and print the summary a
 * person reads first (per target: what ran and what failed, the hints, where
 * the reports are).
 */
import { basename, resolve } from 'node:path';
import type { FuzzProfile } from '../fuzz/profile';
import type { Verdict } from '../oracles/rule';
import { applyBaseline } from '../reports/baseline';
import { buildCoverage, itemFails, machinesFromOracles } from '../reports/coverage';
import { ruleInfos } from '../reports/jest-reporter';
import type { CoverageReport, MessageBytes, RunInput, TranscriptRun } from '../reports/model';
import { readReportFile, renderReports } from '../reports/render';
import { toolInfo } from '../reports/version';
import { acrossRun, type Converted, messageBytes } from '../suite/convert';
import { platform, withHints } from '../suite/run';
import type { Transcript } from '../transcript/model';
import type { ConnectionOutput } from './check';
import { UsageError } from './args';
import type { Io } from './main';
import { duration } from './style';

export interface WriteOptions {
  dir: string;
  includeSecrets?: boolean;
  /** An earlier report.json: failures are reported as new, unchanged or fixed. */
  baseline?: string;
}

/** Read a baseline report, as a usage error when unusable. */
export function readBaseline(file: string): CoverageReport {
  try {
    return readReportFile(file);
  } catch (e) {
    throw new UsageError(`--baseline ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

/** Apply the baseline (if any), write the reports, and return the paths written. */
export function writeReports(report: CoverageReport, o: WriteOptions): string[] {
  if (o.baseline !== undefined) applyBaseline(report, readBaseline(o.baseline), o.baseline);
  return renderReports(report, { outDir: resolve(o.dir), includeSecrets: o.includeSecrets === true });
}

/** The summary lines of a report: per target, the findings by rule, the baseline, the files. */
export function summaryLines(report: CoverageReport, written: readonly string[], io: Io): string[] {
  const p = io.paint ?? ((_c: string, s: string) => s);
  const L: string[] = [''];
  for (const t of report.targets) {
    const verdicts = t.verdicts.map((v) => `${v.count} ${v.verdict}`).join(', ') || 'no conversation';
    const status = t.error !== undefined ? p('red', 'ERROR') : t.ok ? p('green', 'ok') : p('red', 'FAILED');
    L.push(
      `${status}  ${p('bold', t.name)} (${t.role}${t.address ? `, ${t.address}` : ''}): ${t.conversations} conversations in ${duration(t.durationMs ?? 0)}: ${verdicts}`,
    );
    if (t.probed)
      L.push(
        `      probed: ${t.probed.versions.map((v) => `TLS ${v}`).join(', ') || 'no version'}; ${t.probed.suites.length} suites${t.probed.groups ? `; groups ${t.probed.groups.join(', ')}` : ''}${t.probed.certificateRequested ? '; asks for a client certificate' : ''}`,
      );
    if (t.sanity && (!t.sanity.first || !t.sanity.last))
      L.push(`      sanity handshake: first ${t.sanity.first ? 'ok' : 'FAILED'}, last ${t.sanity.last ? 'ok' : 'FAILED'}`);
    if (t.failing)
      L.push(
        `      ${p('red', `${t.failing} failing`)}${t.expectedFailures ? `, ${t.expectedFailures} expected by the profile` : ''}`,
      );
    if (t.alertMapped) L.push(`      ${t.alertMapped} with an alert the profile's alert map accepts`);
    for (const d of t.disabled ?? []) L.push(`      disabled by the profile: ${d}`);
    if (t.error !== undefined) L.push(`      ${p('red', t.error)}`);
    for (const h of t.hints ?? []) L.push(`      ${p('yellow', 'hint:')} ${h}`);
  }
  const fails = report.findings.filter((f) => f.items.some(itemFails));
  if (fails.length) {
    L.push('', p('bold', 'findings (by rule):'));
    for (const f of fails) {
      const items = f.items.filter(itemFails);
      L.push(`  ${p('red', f.rule || '(no rule)')}  ${f.title}${f.rfc.length ? `  [${f.rfc.join('; ')}]` : ''}`);
      for (const i of items.slice(0, 5)) {
        const mark = i.baseline === 'new' ? p('red', ' NEW') : i.baseline === 'unchanged' ? p('dim', ' (in baseline)') : '';
        L.push(`    ${i.target}: ${i.name} [${i.verdict}${i.alert ? `, ${i.alert}` : ''}]${mark}: ${i.detail}`);
        if (i.sent) L.push(`      we sent: ${i.sent}`);
        if (i.replay) L.push(`      replay: ${i.replay}`);
      }
      if (items.length > 5) L.push(`    ... and ${items.length - 5} more (see the report)`);
    }
  }
  const accepted = report.findings.reduce((n, f) => n + f.items.filter((i) => i.accepted !== undefined).length, 0);
  if (accepted)
    L.push(
      '',
      p(
        'dim',
        `${accepted} rule violation(s) in conversations that conformed to what the run expected (--strictness, or silence allowed): see the report`,
      ),
    );
  const b = report.baseline;
  if (b)
    L.push(
      '',
      `against the baseline ${b.file}: ${p(b.newFailures.length ? 'red' : 'green', `${b.newFailures.length} new failure(s)`)}, ${b.fixed.length} fixed, ${b.unchanged.length} unchanged`,
      ...b.newFailures.map((k) => `  new:   ${k.key}`),
      ...b.fixed.map((k) => `  fixed: ${k.key}`),
    );
  if (written.length) L.push('', `reports: ${written.join(', ')}`);
  return L;
}

/** The exit code of a testing command: failures count, or with a baseline only the new ones. */
export function exitCode(report: CoverageReport): number {
  if (report.baseline) {
    // a target that could not be tested at all (no sanity handshake, an error) is never "nothing new"
    const untested = report.targets.some((t) => t.error !== undefined || (t.sanity !== undefined && !t.sanity.first));
    return report.baseline.newFailures.length > 0 || untested ? 1 : 0;
  }
  return report.summary.ok ? 0 : 1;
}

// ------------------------------------------------------------------ reports of fuzz, check and explain

/** The report of one fuzz run (`tlsprop fuzz --report DIR`), written; returns the summary lines. */
export function writeFuzzReport(
  converted: Converted,
  o: { dir: string; argv: readonly string[]; seed: number; startedAt: number; profile?: FuzzProfile; profileFile?: string },
  io: Io,
): string[] {
  const target = withHints(converted.target, converted.conversations, {});
  const input: RunInput = {
    tool: toolInfo(),
    startedAt: new Date(o.startedAt).toISOString(),
    rules: ruleInfos(),
    transcripts: converted.transcripts,
    mutants: [],
    conversations: converted.conversations,
    stateMachines: machinesFromOracles(),
    run: {
      command: 'fuzz',
      argv: [...o.argv],
      seed: o.seed,
      durationMs: Date.now() - o.startedAt,
      targets: [target.name],
      platform: platform(),
    },
    targets: [target],
  };
  if (o.profile) {
    const cs = converted.conversations;
    input.profile = {
      disabled: [...(target.disabled ?? [])],
      expectedFailures: cs.filter((c) => c.profile?.status === 'expected-failure').length,
      alertMapped: cs.filter((c) => c.profile?.status === 'alert-mapped').length,
      unexpectedPasses: cs.filter((c) => c.profile?.status === 'unexpected-pass').length,
      ...(o.profileFile !== undefined ? { file: o.profileFile } : {}),
    };
  }
  const report = buildCoverage(input);
  const written = writeReports(report, { dir: o.dir });
  const hints = (target.hints ?? []).map((h) => `${io.paint ? io.paint('yellow', 'hint:') : 'hint:'} ${h}`);
  return [...hints, `reports: ${written.join(', ')}`];
}

/** `C->S: ClientHello` lines of a checked connection. */
function checkedLadder(c: ConnectionOutput): string[] {
  return c.messages.map((m) => `${m.dir}: ${m.type}${m.frame !== undefined ? ` (frame ${m.frame})` : ''}`);
}

/**
 * What `check --report` and `explain --report` collect: per connection its
 * verdicts, ladder and the bytes of each violated message (not the whole
 * transcript: a large capture stays small in memory).
 */
export class CheckReport {
  private readonly transcripts: TranscriptRun[] = [];
  private readonly t0 = Date.now();

  constructor(
    private readonly command: 'check' | 'explain',
    private readonly argv: readonly string[],
    private readonly files: readonly string[],
  ) {}

  add(c: ConnectionOutput, verdicts: readonly Verdict[], t: Transcript): void {
    const source = c.source ?? basename(t.provenance.kind === 'capture' ? t.provenance.file : 'transcript');
    const bytes: MessageBytes[] = [];
    for (const v of verdicts)
      if (v.status === 'violation' && v.message !== undefined && !bytes.some((b) => b.index === v.message)) {
        const b = messageBytes(t, v.message);
        if (b) bytes.push(b);
      }
    const tr: TranscriptRun = {
      id: `${basename(source)}${c.client ? ` ${c.client} -> ${c.server ?? '?'}` : ''}`,
      provenance: t.provenance,
      verdicts: [...verdicts],
      ladder: checkedLadder(c),
      source: basename(source.replace(/#\d+$/, '')),
    };
    if (bytes.length) tr.bytes = bytes;
    this.transcripts.push(tr);
  }

  /** The run-level verdicts (oracles/across.ts), reported as the run's own entry beside the connections. */
  addAcross(verdicts: readonly Verdict[]): void {
    this.transcripts.push(...acrossRun(verdicts, { kind: 'manual' }));
  }

  write(dir: string): string[] {
    const input: RunInput = {
      tool: toolInfo(),
      startedAt: new Date(this.t0).toISOString(),
      rules: ruleInfos(),
      transcripts: this.transcripts,
      mutants: [],
      stateMachines: machinesFromOracles(),
      run: {
        command: this.command,
        argv: [...this.argv],
        durationMs: Date.now() - this.t0,
        targets: this.files.map((f) => basename(f)),
        platform: platform(),
      },
    };
    return writeReports(buildCoverage(input), { dir });
  }
}
