/**
 * The valid-transcript conformance property: over the whole plan space of
 * generators/handshake.ts, every rendered handshake completes with the
 * message sequence its plan prescribes, every rule gives zero
 * violations, and no rule is inconclusive except for the reasons listed in
 * spec/support/known-findings.ts (EXPECTED_INCONCLUSIVE): a generated
 * transcript carries all the evidence (key log, ephemeral and certificate
 * keys, trust anchors, time). Every checked transcript goes to the coverage report
 * (configuration point, verdicts, state machine transitions).
 *
 * TLSPROP_RUNS sets the property's run count (default 25); TLSPROP_SEED and
 * TLSPROP_PATH replay a failure that fast-check printed.
 *
 * Known findings (KNOWN in spec/support/known-findings.ts) are engine bugs or oracle false positives
 * the property found: a plan
 * that hits one may show exactly that rule's violation and nothing else,
 * and an `it.failing` case pins each one, so fixing the engine turns that
 * case red until its entry here is removed.
 */
import { readFileSync } from 'node:fs';
import { nodeProvider } from '../crypto/provider';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  cornerPlans,
  describePlan,
  handshakePlanArb,
  messageSequence,
  newRenderCache,
  REFERENCE_PLANS,
  type RenderCache,
  type RenderedHandshake,
  renderHandshake,
} from '../generators/handshake';
import { checkTranscript } from '../oracles/evaluate';
import type { Verdict } from '../oracles/rule';
import { recordFragment, runDir } from '../reports/collect';
import { describeOutcome } from '../engine/types';
import type { TranscriptJson } from '../transcript/json';
import { expectedInconclusive, KNOWN, knownRules } from './support/known-findings';
import { walkedTransitions } from '../reports/transitions';

const RUNS = Number(process.env['TLSPROP_RUNS'] ?? 25);
const SEED = process.env['TLSPROP_SEED'] === undefined ? undefined : Number(process.env['TLSPROP_SEED']);
const PATH = process.env['TLSPROP_PATH'];
const REPORT_DIR = runDir();

let cache: RenderCache;
beforeAll(() => {
  cache = newRenderCache(nodeProvider());
});

interface Judged {
  rendered: RenderedHandshake;
  verdicts: Verdict[];
  /** Violations not explained by a known finding for this plan. */
  unexpected: Verdict[];
  known: Verdict[];
  /** Why the run does not conform (outcome, sequence, unexpected violations); empty when it does. */
  problems: string[];
}

const show = (v: Verdict) =>
  `${v.rule} (message ${v.message ?? '-'}): ${v.detail}${v.expected !== undefined ? ` expected ${v.expected}` : ''}${v.actual !== undefined ? ` actual ${v.actual}` : ''}`;

async function judge(rendered: RenderedHandshake, id: string, opts: { valid?: boolean; record?: boolean } = {}): Promise<Judged> {
  const { plan, transcript } = rendered;
  const options = {
    trustAnchors: rendered.trustAnchors,
    at: rendered.at,
    privateKeys: rendered.privateKeys,
    certCache: cache.certCache,
  };
  const res = await checkTranscript(transcript, { ...options, earlier: rendered.earlier.map((e) => e.transcript) });
  const known = knownRules(plan);
  const violations = res.verdicts.filter((v) => v.status === 'violation');
  const unexpected = violations.filter((v) => !known.has(v.rule));
  const problems: string[] = [];
  const done = (k: string) => k === 'connected' || k === 'closed';
  const conforms = (
    label: string,
    r: Pick<RenderedHandshake, 'run' | 'expected' | 'transcript'>,
    verdicts: readonly Verdict[],
    okInconclusive: ReadonlySet<string>,
  ) => {
    const o = r.run;
    if (!done(o.clientOutcome.kind) || !done(o.serverOutcome.kind))
      problems.push(
        `${label}handshake failed: client ${describeOutcome(o.clientOutcome)}; server ${describeOutcome(o.serverOutcome)}`,
      );
    const got = messageSequence(r.transcript);
    if (JSON.stringify(got) !== JSON.stringify(r.expected))
      problems.push(`${label}message sequence\n    got      ${got.join(', ')}\n    expected ${r.expected.join(', ')}`);
    for (const v of verdicts) {
      if (v.status === 'violation' && !known.has(v.rule)) problems.push(`${label}violation ${show(v)}`);
      if (v.status === 'inconclusive' && !okInconclusive.has(v.rule)) problems.push(`${label}inconclusive ${show(v)}`);
    }
  };
  // The first connection of a resumption plan is a full handshake and must conform too.
  for (const [n, e] of rendered.earlier.entries()) {
    const first = await checkTranscript(e.transcript, options);
    conforms('first connection: ', e, first.verdicts, expectedInconclusive({ ...plan, resumption: 'none' }));
    const config = { ...rendered.config, resumption: 'none' as const };
    const ladder = messageSequence(e.transcript);
    if (opts.record !== false)
      recordFragment(REPORT_DIR, {
        transcripts: [
          {
            id: `${id}/first-${n}`,
            provenance: e.transcript.provenance,
            config,
            verdicts: first.verdicts,
            transitions: walkedTransitions(first.context),
            ladder,
          },
        ],
      });
  }
  conforms('', rendered, res.verdicts, expectedInconclusive(plan));
  const seq = messageSequence(transcript);
  if (opts.record !== false) {
    const run = {
      id,
      provenance: transcript.provenance,
      config: rendered.config,
      verdicts: res.verdicts,
      transitions: walkedTransitions(res.context),
      ladder: seq,
    };
    recordFragment(REPORT_DIR, { transcripts: [opts.valid === false ? { ...run, valid: false } : run] });
  }
  return { rendered, verdicts: res.verdicts, unexpected, known: violations.filter((v) => known.has(v.rule)), problems };
}

function failIfProblems(j: Judged): void {
  if (j.problems.length) throw new Error(`${describePlan(j.rendered.plan)}\n  ${j.problems.join('\n  ')}`);
}

const fixtureSequence = (name: string): string[] => {
  const j = JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8')) as TranscriptJson;
  return (j.messages ?? []).map((m) => `${m.dir} ${m.type}`);
};

describe('valid handshakes conform', () => {
  it.each([
    ['reference-mutual', REFERENCE_PLANS.mutual],
    ['reference-oneway', REFERENCE_PLANS.oneway],
  ] as const)('%s (the MQTT write-up) renders to its exact message sequence with zero violations', async (name, plan) => {
    const j = await judge(await renderHandshake(plan, cache), `valid/${name}`);
    expect(messageSequence(j.rendered.transcript)).toEqual(fixtureSequence(name));
    expect(j.verdicts.filter((v) => v.status === 'violation').map(show)).toEqual([]);
    expect(j.problems).toEqual([]);
    // Certificate and key-schedule rules really ran (they need the anchors and the key log).
    expect(j.verdicts.filter((v) => v.status === 'pass').length).toBeGreaterThan(50);
  });

  it(`property: every plan completes as planned with zero violations and only expected inconclusive verdicts (${RUNS} runs)`, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(handshakePlanArb(), async (plan) => {
        failIfProblems(await judge(await renderHandshake(plan, cache), `valid/property/${n++}`));
      }),
      { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), ...(PATH !== undefined ? { path: PATH } : {}) },
    );
  });

  // every suite, auth mode, group, key type, scheme order, HRR and resumption at least once (generators/handshake.ts)
  const corners = cornerPlans();
  it.each(corners.map((p) => [describePlan(p), p] as const))('corner: %s', async (_n, plan) => {
    failIfProblems(await judge(await renderHandshake(plan, cache), `valid/corner/${describePlan(plan)}`));
  });

  it('the judge fails a transcript that does not conform (a dropped client CertificateVerify)', async () => {
    const r = await renderHandshake(REFERENCE_PLANS.mutual, cache);
    const messages = r.transcript.messages
      .filter((m) => m.type !== 'certificate_verify' || m.dir !== 'C->S')
      .map((m, index) => ({ ...m, index }));
    const j = await judge({ ...r, transcript: { ...r.transcript, records: [], messages } }, 'valid/self-test', { valid: false });
    expect(j.unexpected.map((v) => v.rule)).toContain('t12.order.state-machine');
    expect(() => failIfProblems(j)).toThrow(/violation t12\.order\.state-machine/);
  });

  // Only while there are open findings (jest refuses an empty table).
  (KNOWN.length ? describe : describe.skip)(
    'known findings (engine bugs / oracle false positives; each case turns red once fixed: then delete its KNOWN entry)',
    () => {
      it.each(KNOWN.map((k) => [k.id, k] as const))('%s', async (_id, k) => {
        expect(k.applies(k.example)).toBe(true);
        const j = await judge(await renderHandshake(k.example, cache), `valid/known/${k.id}`);
        // Only the known rule is violated ...
        expect(j.unexpected.map(show)).toEqual([]);
        expect(j.known.map((v) => v.rule)).toEqual([k.rule]);
      });
      it.failing.each(KNOWN.map((k) => [k.id, k] as const))('%s: zero violations (fails until fixed)', async (_id, k) => {
        const j = await judge(await renderHandshake(k.example, cache), `valid/known-fixed/${k.id}`, { record: false });
        expect(j.verdicts.filter((v) => v.status === 'violation').map(show)).toEqual([]);
      });
    },
  );
});
