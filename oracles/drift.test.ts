/**
 * The drift test: the reference catalogue (fixtures/reference/tls-rules.json)
 * is only a checklist; our declarations are the source of truth. Every
 * disagreement between a declaration and its checklist entry (RFC
 * sections, alerts, role, evidence, versions, strength, group), every
 * checklist id without a declaration (it must be in NOT_DECLARED, with its
 * reason) and every declaration the checklist lacks must be zero, or a
 * reasoned override written beside the rule (`overrides`), and no override
 * may outlive its disagreement. The failure lists every disagreement.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlertDescription } from '../wire/registry';
import { NOT_DECLARED, allRules } from './catalogue';
import { type DriftField, type Evidence, type Rule, splitRfc } from './rule';

interface ChecklistEntry {
  id: string;
  versions: string[];
  role: string;
  strength: string;
  rfc: string;
  alert: string | null;
  evidence: string[];
  group: string;
}

const checklist: ChecklistEntry[] = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'reference', 'tls-rules.json'), 'utf8'),
);

/** `RFC 5280 §6.1.3 (a)(1)` -> `RFC 5280 §6.1.3`: sections are compared, not the sub-item qualifiers. */
const sections = (refs: string | readonly string[]): string[] =>
  [...new Set(splitRfc(refs).map((r) => r.replace(/\s*\(.*$/, '').trim()))].sort();

/** The alert names a prose alert field mentions (`bad_certificate or unknown_ca`, `none at ... (decrypt_error later)`). */
const alertNames = (prose: string | null): string[] =>
  [...new Set((prose ?? '').split(/[^a-z0-9_]+/).filter((w) => w in AlertDescription))].sort();

const evidenceOf = (letters: string[]): Evidence => (letters[0] === 'a' ? 'plaintext' : letters[0] === 'b' ? 'keys' : 'live');

interface Disagreement {
  id: string;
  field: DriftField;
  ours: string;
  checklist: string;
}

function compare(r: Rule, c: ChecklistEntry): Disagreement[] {
  const out: Disagreement[] = [];
  const add = (field: DriftField, ours: string, theirs: string) => {
    if (ours !== theirs) out.push({ id: r.id, field, ours, checklist: theirs });
  };
  add('rfc', sections(r.rfc).join('; '), sections(c.rfc).join('; '));
  add('alerts', [...new Set(r.alerts.map((a) => a.alert))].sort().join(', '), alertNames(c.alert).join(', '));
  add('role', r.role, c.role);
  add('strength', r.strength, c.strength);
  add('versions', [...r.versions].sort().join('+'), [...c.versions].sort().join('+'));
  add('evidence', r.evidence, evidenceOf(c.evidence));
  add('group', r.group, c.group);
  return out;
}

/** Every disagreement, and whether an override covers it. */
function drift(): { open: Disagreement[]; stale: string[]; missing: string[] } {
  const byId = new Map(checklist.map((c) => [c.id, c]));
  const open: Disagreement[] = [];
  const stale: string[] = [];
  for (const r of allRules) {
    const c = byId.get(r.id);
    const found = c ? compare(r, c) : [{ id: r.id, field: 'checklist' as const, ours: 'declared', checklist: 'absent' }];
    const overridden = new Set(Object.keys(r.overrides ?? {}));
    for (const d of found) if (!overridden.has(d.field)) open.push(d);
    for (const f of overridden)
      if (!found.some((d) => d.field === f)) stale.push(`${r.id}: override of ${f} without a disagreement`);
  }
  const declared = new Set<string>(allRules.map((r) => r.id));
  const missing: string[] = [];
  for (const c of checklist) {
    if (declared.has(c.id)) continue;
    const n = NOT_DECLARED.find((x) => x.id === c.id);
    if (!n) missing.push(`${c.id}: in the checklist, neither declared nor in NOT_DECLARED`);
    else if (
      n.group !== c.group ||
      [...n.versions].sort().join() !== [...c.versions].sort().join() ||
      n.evidence !== evidenceOf(c.evidence)
    )
      missing.push(`${c.id}: NOT_DECLARED group/versions/evidence differ from the checklist`);
  }
  for (const n of NOT_DECLARED) {
    if (!byId.has(n.id)) missing.push(`${n.id}: in NOT_DECLARED but not in the checklist`);
    if (declared.has(n.id)) missing.push(`${n.id}: in NOT_DECLARED but declared`);
  }
  return { open, stale, missing };
}

describe('drift between the rule declarations and the reference checklist', () => {
  const d = drift();
  it('every disagreement is zero or a reasoned override beside the rule', () => {
    expect(d.open.map((x) => `${x.id} ${x.field}: ours "${x.ours}", checklist "${x.checklist}"`)).toEqual([]);
  });
  it('no override outlives its disagreement, and each says why with its RFC', () => {
    expect(d.stale).toEqual([]);
    for (const r of allRules)
      for (const [field, why] of Object.entries(r.overrides ?? {}))
        expect([r.id, field, why.length >= 40 && /RFC \d+|checklist/.test(why)]).toEqual([r.id, field, true]);
  });
  it('every checklist id is declared or listed as not declared with its reason', () => {
    expect(d.missing).toEqual([]);
  });
});
