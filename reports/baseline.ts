/**
 * Baselines, like tlsfuzzer's -x/-X lists and BoGo's DisabledTests: a run
 * compared with an earlier report of the same target reports its failures
 * as new (the earlier run did not have them), unchanged, or fixed (the
 * earlier run had them, this one does not), and only new failures fail the
 * run (`--baseline old/report.json`). A failure is identified by target,
 * conversation name and rule (`FailureKey.key`), which do not depend on the
 * seed: the same mutation against the same target is the same failure
 * whatever path generated it.
 */
import { finalize, itemFails } from './coverage';
import type { BaselineDiff, CoverageReport, FailureKey, FindingItem } from './model';

function keyOf(rule: string, i: FindingItem): FailureKey {
  const k: FailureKey = { key: `${i.target} | ${i.name} | ${rule}`, target: i.target, name: i.name, verdict: i.verdict };
  if (rule) k.rule = rule;
  return k;
}

/** The failures of a report (findings that fail the run, not those its profile accepted), one per key. */
export function failureKeys(r: CoverageReport): FailureKey[] {
  const out = new Map<string, FailureKey>();
  for (const f of r.findings)
    for (const i of f.items) {
      if (!itemFails(i)) continue;
      const k = keyOf(f.rule, i);
      if (!out.has(k.key)) out.set(k.key, k);
    }
  return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Compare `report` with `baseline` (read from `file`): sets `report.baseline`
 * and each failing finding's `baseline` mark, and recomputes the summary
 * (summary.newFailures). Returns the diff.
 */
export function applyBaseline(report: CoverageReport, baseline: CoverageReport, file: string): BaselineDiff {
  const before = new Map(failureKeys(baseline).map((k) => [k.key, k]));
  const now = failureKeys(report);
  const nowKeys = new Set(now.map((k) => k.key));
  const diff: BaselineDiff = {
    file,
    newFailures: now.filter((k) => !before.has(k.key)),
    unchanged: now.filter((k) => before.has(k.key)),
    fixed: [...before.values()].filter((k) => !nowKeys.has(k.key)),
  };
  for (const f of report.findings)
    for (const i of f.items) if (itemFails(i)) i.baseline = before.has(keyOf(f.rule, i).key) ? 'unchanged' : 'new';
  report.baseline = diff;
  finalize(report);
  return diff;
}
