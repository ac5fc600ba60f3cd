/** The versioned JSON report (`schema: 'tlsprop-report/3'`, see schema/report-v3.schema.json). */
import { type CoverageReport, REPORT_SCHEMA } from '../model';
import { type SecretOptions, publishable } from '../redact';

export function toJson(report: CoverageReport, opts: SecretOptions = {}): string {
  return `${JSON.stringify(publishable(report, opts), null, 2)}\n`;
}

export function parseReport(text: string, source = 'report'): CoverageReport {
  const v: unknown = JSON.parse(text);
  if (!v || typeof v !== 'object' || (v as { schema?: unknown }).schema !== REPORT_SCHEMA) {
    throw new Error(`${source}: not a ${REPORT_SCHEMA} document`);
  }
  return v as CoverageReport;
}
