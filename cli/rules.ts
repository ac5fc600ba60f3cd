/**
 * `tlsprop rules [--json] [--missing | --gaps]`: the rule catalogue and what
 * is implemented; `--gaps` lists where the rules cannot check a registered
 * scheme, group, suite or certificate algorithm (oracles/gaps.ts), with the
 * rules that are then inconclusive.
 */
import { type CatalogueStatus, catalogueStatus } from '../oracles/catalogue';
import { ruleGaps } from '../oracles/gaps';
import type { Evidence } from '../oracles/rule';
import type { Parsed } from './args';
import type { Io } from './main';

export interface MissingStats {
  total: number;
  missing: number;
  /** Per evidence kind of the catalogue rules: how many, how many missing, % missing. */
  byEvidence: Record<Evidence, { total: number; missing: number; percentMissing: number }>;
}

export function missingStats(list: readonly CatalogueStatus[]): MissingStats {
  const cat = list.filter((r) => !r.extra);
  const byEvidence = {} as MissingStats['byEvidence'];
  for (const e of ['plaintext', 'keys', 'live'] as const) {
    const all = cat.filter((r) => r.evidence === e);
    const missing = all.filter((r) => !r.implemented).length;
    byEvidence[e] = {
      total: all.length,
      missing,
      percentMissing: all.length ? Math.round((1000 * missing) / all.length) / 10 : 0,
    };
  }
  return { total: cat.length, missing: cat.filter((r) => !r.implemented).length, byEvidence };
}

export async function rulesCommand(p: Parsed, io: Io): Promise<number> {
  if (p.flags.has('gaps')) {
    const gaps = ruleGaps();
    const arithmetic = gaps.filter((g) => g.kind === 'arithmetic').length;
    if (p.flags.has('json')) {
      io.out(JSON.stringify({ gaps, stats: { total: gaps.length, arithmetic, platform: gaps.length - arithmetic } }, null, 2));
      return 0;
    }
    for (const g of gaps) io.out(`${g.kind.padEnd(10)} ${g.subject}: ${g.reason} (${g.rules.join(', ')})`);
    io.out(
      `${gaps.length} gap(s): ${arithmetic} arithmetic (the platform has it, our code does not), ${gaps.length - arithmetic} platform`,
    );
    return 0;
  }
  const all = catalogueStatus();
  const list = p.flags.has('missing') ? all.filter((r) => !r.implemented) : all;
  const stats = missingStats(all);
  if (p.flags.has('json')) {
    io.out(JSON.stringify({ rules: list, stats }, null, 2));
    return 0;
  }
  for (const r of list) {
    const state = r.implemented
      ? `${r.extra ? 'implemented (not in catalogue)' : 'implemented'}${r.spans ? ', across the connections of a run' : ''}`
      : `missing: ${r.reason}`;
    io.out(`${r.id.padEnd(40)} ${r.group.padEnd(12)} ${r.versions.join('+').padEnd(7)} ${r.evidence.padEnd(9)} ${state}`);
  }
  const e = stats.byEvidence;
  io.out(
    `${stats.missing} of ${stats.total} catalogue rules missing; plaintext: ${e.plaintext.missing}/${e.plaintext.total} missing (${e.plaintext.percentMissing}%), keys: ${e.keys.missing}/${e.keys.total} missing (${e.keys.percentMissing}%), live: ${e.live.missing}/${e.live.total} missing (${e.live.percentMissing}%)`,
  );
  return 0;
}
