import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TranscriptBuilder } from '../transcript/build';
import { allRules, catalogue, catalogueStatus } from './catalogue';
import { checkTranscript } from './engine';
import { type Rule, pass } from './rule';

function tls12Flow() {
  const b = new TranscriptBuilder({ kind: 'manual' });
  for (const [dir, type] of [
    ['C->S', 'client_hello'],
    ['S->C', 'server_hello'],
    ['S->C', 'server_hello_done'],
  ] as const)
    b.addMessage({ dir, type });
  return b.finish();
}

const base: Omit<Rule, 'id' | 'check'> = {
  title: 't',
  rfc: 'RFC 0',
  versions: ['1.2'],
  role: 'both',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'ordering',
};

describe('engine', () => {
  it('turns a throwing rule into an inconclusive verdict naming the error', async () => {
    const boom: Rule = {
      ...base,
      id: 'x.boom',
      check: () => {
        throw new Error('kaput');
      },
    };
    const r = await checkTranscript(tls12Flow(), { rules: [boom] });
    expect(r.verdicts).toEqual([{ rule: 'x.boom', status: 'inconclusive', detail: 'The rule failed with an error: kaput.' }]);
  });
  it('marks rules of the other version not-applicable and an unknown version inconclusive', async () => {
    const only13: Rule = { ...base, id: 'x.13', versions: ['1.3'], check: () => pass('never') };
    expect((await checkTranscript(tls12Flow(), { rules: [only13] })).verdicts[0]!.status).toBe('not-applicable');
    const b = new TranscriptBuilder({ kind: 'manual' });
    b.addMessage({ dir: 'C->S', type: 'client_hello' });
    expect((await checkTranscript(b.finish(), { rules: [only13] })).verdicts[0]!.status).toBe('inconclusive');
  });
  it('an empty verdict list is inconclusive, and the summary counts statuses', async () => {
    const none: Rule = { ...base, id: 'x.none', check: () => [] };
    const ok: Rule = { ...base, id: 'x.ok', check: () => pass('fine') };
    const r = await checkTranscript(tls12Flow(), { rules: [none, ok] });
    expect(r.summary).toEqual({ pass: 1, violation: 0, inconclusive: 1, 'not-applicable': 0 });
  });
  it('awaits async rules and turns a rejected promise into an inconclusive verdict', async () => {
    const later: Rule = { ...base, id: 'x.later', check: async () => pass('later') };
    const reject: Rule = {
      ...base,
      id: 'x.reject',
      check: async () => {
        throw new Error('nope');
      },
    };
    const r = await checkTranscript(tls12Flow(), { rules: [later, reject] });
    expect(r.verdicts).toEqual([
      { rule: 'x.later', status: 'pass', detail: 'later' },
      { rule: 'x.reject', status: 'inconclusive', detail: 'The rule failed with an error: nope.' },
    ]);
  });
  it('is deterministic', async () => {
    expect(JSON.stringify((await checkTranscript(tls12Flow())).verdicts)).toBe(
      JSON.stringify((await checkTranscript(tls12Flow())).verdicts),
    );
  });
});

describe('catalogue', () => {
  it('rule ids are unique and either catalogue ids or state-machine extras', () => {
    const ids = allRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const known = new Set(catalogue.map((c) => c.id));
    expect(ids.filter((id) => !known.has(id))).toEqual(['t12.order.state-machine', 't13.order.state-machine']);
  });
  it('declarations agree with the catalogue on group and versions', () => {
    for (const r of allRules) {
      const c = catalogue.find((x) => x.id === r.id);
      if (!c) continue;
      expect([r.id, r.group]).toEqual([r.id, c.group]);
      expect([r.id, [...r.versions].sort()]).toEqual([r.id, [...c.versions].sort()]);
    }
  });
  it('every missing rule has a reason', () => {
    const st = catalogueStatus();
    expect(st.filter((s) => !s.implemented && !s.reason)).toEqual([]);
    expect(st.filter((s) => !s.extra)).toHaveLength(catalogue.length);
  });
  const shared = join(__dirname, '..', 'fixtures', 'reference', 'tls-rules.json');
  (existsSync(shared) ? it : it.skip)('titles are our own words, not the catalogue statements', () => {
    const ref: Array<{ id: string; statement: string }> = JSON.parse(readFileSync(shared, 'utf8'));
    expect(ref.map((r) => r.id)).toEqual(catalogue.map((c) => c.id));
    for (const r of allRules) {
      const s = ref.find((x) => x.id === r.id)?.statement;
      if (s) expect([r.id, s.includes(r.title)]).toEqual([r.id, false]);
    }
  });
});
