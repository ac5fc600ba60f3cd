/**
 * A benchmark figure next to its baseline, the check that it is a result,
 * and the table that prints them. Figures are reported, never asserted.
 */

export interface Figure {
  section: string;
  name: string;
  /** Our rate (operations per second) or other figure. */
  value: number;
  unit: string;
  /** The same thing measured by a reference tool in the same run. */
  baseline?: { tool: string; value: number };
  /** value / baseline.value for rates (higher is better). */
  ratio?: number;
  note?: string;
}

/** Figures that are not a result: not measured (no positive finite value), or without their baseline and ratio. */
export function incomplete(figures: readonly Figure[]): string[] {
  return figures.flatMap((f) => {
    if (!(Number.isFinite(f.value) && f.value > 0))
      return [`${f.section}: ${f.name}: not measured${f.note ? ` (${f.note})` : ''}`];
    if (!f.baseline || !(f.baseline.value > 0) || f.ratio === undefined) return [`${f.section}: ${f.name}: no baseline`];
    return [];
  });
}

export function withBaseline(f: Omit<Figure, 'ratio'>): Figure {
  return f.baseline && f.baseline.value > 0 ? { ...f, ratio: f.value / f.baseline.value } : f;
}

export function table(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.section,
    f.name,
    `${f.value.toFixed(f.value < 10 ? 2 : 0)} ${f.unit}`,
    f.baseline ? `${f.baseline.value.toFixed(0)} (${f.baseline.tool})` : '-',
    f.ratio !== undefined ? `${f.ratio.toFixed(3)}x` : '-',
  ]);
  const head = ['section', 'figure', 'tlsprop', 'baseline', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}
