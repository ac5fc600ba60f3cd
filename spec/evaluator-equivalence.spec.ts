/**
 * The evaluator decides applicability once per transcript shape and runs the
 * checks that answer at once without a promise (oracles/evaluate.ts). Not one
 * verdict may differ from the plain path it replaced, kept here as the
 * reference: every gate evaluated for every rule (refused renegotiation,
 * declared versions, each need in order), a context copy for every check
 * whose needs add to it, every check awaited, the reaction rules seeing the
 * violations and notices in the order the awaited checks completed.
 *
 * Both run over the capture corpus and the capture fixtures (with and
 * without their key logs), generated handshakes of both versions, and
 * offline mutants (violations, so the reaction rules have something to
 * judge), with and without the reaction phase; the verdict lists (rule,
 * status, message, detail, expected, actual, in order), the notices and the
 * summaries must be equal.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { captureToTranscripts } from '../capture/tls';
import { nodeProvider } from '../crypto/provider';
import { testPki } from '../engine/fixtures';
import { newRenderCache, handshakePlanArb, normalizePlan, renderHandshake } from '../generators/handshake';
import { OFFLINE_MUTATIONS, baseChoiceArb, runMutant } from '../generators/mutations';
import { transcriptRules } from '../oracles/catalogue';
import type { Context } from '../oracles/context';
import { type CheckOptions, checkTranscript, handshakeContexts } from '../oracles/evaluate';
import { chainOf } from '../oracles/keyfacts';
import { encryptedExtensions, missingNeed, noServerHello } from '../oracles/needs';
import { type Need, type Notice, type Outcome, type Rule, type Verdict, countVerdicts } from '../oracles/rule';
import { newCertCache } from '../pki/parse';
import { pemBlocks } from '../pki/pem';
import type { Transcript } from '../transcript/model';
import type { TlsVersion } from '../wire/vocabulary';

// ---- The reference: the evaluator's plain path, as it was before the per-shape gates.

function versionGate(rule: Rule, ctx: Context): Outcome | undefined {
  if (!ctx.version)
    return {
      status: 'inconclusive',
      detail: 'The negotiated version is unknown (no decodable ServerHello and no version-specific message).',
    };
  if (rule.versions.includes(ctx.version)) return undefined;
  if (ctx.versionFrom === 'client_hello')
    return {
      status: 'not-applicable',
      detail: `The rule is for TLS ${rule.versions.join('/')}; the ClientHello offers only TLS ${(ctx.offered ?? [ctx.version]).join('/')} and no ServerHello followed.`,
    };
  return {
    status: 'not-applicable',
    detail: `The rule is for TLS ${rule.versions.join('/')}; this connection is TLS ${ctx.version}.`,
  };
}

function refusedGate(rule: Rule, ctx: Context): Outcome | undefined {
  if (!ctx.refused) return undefined;
  const chOnly = rule.needs.includes('client-hello') && !rule.needs.some((n) => n === 'server-hello' || n === 'hellos');
  if (chOnly || rule.needs.includes('renegotiation')) return undefined;
  return {
    status: 'not-applicable',
    detail:
      'The server refused this renegotiation with no_renegotiation before any ServerHello: only its ClientHello is judged here (its records, under the previous keys, with the handshake before).',
  };
}

function contextFor(rule: Rule, ctx: Context, byVersion: ReadonlyMap<TlsVersion, Context>): Context {
  if (!ctx.offered || ctx.offered.length < 2) return ctx;
  const v = [...ctx.offered].reverse().find((x) => rule.versions.includes(x));
  return (v && byVersion.get(v)) || ctx;
}

function given(rule: Rule, ctx: Context, violations: readonly Verdict[], notices: readonly Notice[]): Context {
  const provides: readonly Need[] = ['tls13-ee', 'violations', 'server-chain', 'client-chain'];
  if (!rule.needs.some((n) => provides.includes(n))) return ctx;
  const g: Context & Record<string, unknown> = { ...ctx };
  const ee = encryptedExtensions(ctx);
  if (ee) g.ee = ee;
  if (rule.needs.includes('violations')) {
    g.violations = violations;
    g.notices = notices;
  }
  for (const [need, dir] of [
    ['server-chain', 'S->C'],
    ['client-chain', 'C->S'],
  ] as const) {
    if (!rule.needs.includes(need)) continue;
    const c = chainOf(ctx, dir);
    if (c.ok) g[need === 'server-chain' ? 'serverChain' : 'clientChain'] = c.value;
  }
  return g;
}

interface Run {
  verdicts: Verdict[];
  notices: Notice[];
}

function ruleRun(rule: Rule, outs: readonly Outcome[]): Run {
  const found: Notice[] = [];
  const verdicts = outs.map(({ notice, ...o }) => {
    if (notice) found.push({ ...notice, rule: rule.id });
    return { rule: rule.id, ...o };
  });
  return { verdicts, notices: found };
}

async function referenceRun(rule: Rule, ctx: Context, violations: readonly Verdict[], notices: readonly Notice[]): Promise<Run> {
  const gate = refusedGate(rule, ctx) ?? versionGate(rule, ctx) ?? missingNeed(rule.needs, ctx);
  if (gate) return ruleRun(rule, [gate]);
  if (!rule.check)
    return ruleRun(rule, [
      { status: 'not-applicable', detail: 'The rule is decided by live conversations, not by a transcript.' },
    ]);
  let outs: Outcome[];
  try {
    const r = await rule.check(given(rule, ctx, violations, notices));
    outs = Array.isArray(r) ? r : [r];
    if (!outs.length) outs = [{ status: 'inconclusive', detail: 'The rule returned no verdict.' }];
  } catch (e) {
    outs = [{ status: 'inconclusive', detail: `The rule failed with an error: ${e instanceof Error ? e.message : String(e)}.` }];
  }
  return ruleRun(rule, outs);
}

async function referenceCheck(t: Transcript, opts: CheckOptions) {
  const judges = (r: Rule) => r.needs.includes('violations');
  const rules = transcriptRules.filter((r) => opts.judgeReactions !== false || !judges(r));
  // the contexts the evaluator builds (this spec compares how the rules are run in them, not how they are built)
  const handshakes = handshakeContexts(t, opts);
  const verdicts: Verdict[] = [];
  const notices: Notice[] = [];
  for (const context of handshakes) {
    const byVersion = new Map<TlsVersion, Context>(
      (context.offered ?? []).map((v) => [v, v === context.version ? context : { ...context, version: v, memo: new Map() }]),
    );
    const runs = new Map<Rule, Run>();
    const phase = async (list: readonly Rule[], violations: readonly Verdict[], noticed: readonly Notice[]) => {
      await Promise.all(
        list.map((r) => referenceRun(r, contextFor(r, context, byVersion), violations, noticed).then((x) => runs.set(r, x))),
      );
    };
    await phase(
      rules.filter((r) => !judges(r)),
      [],
      [],
    );
    const found = [...runs.values()].flatMap((x) => x.verdicts).filter((v) => v.status === 'violation');
    await phase(
      rules.filter(judges),
      found,
      [...runs.values()].flatMap((x) => x.notices),
    );
    const ended = context.versionFrom === 'client_hello' ? noServerHello(context) : undefined;
    for (const r of rules)
      for (const v of runs.get(r)?.verdicts ?? [])
        verdicts.push(
          ended?.status === 'not-applicable' && v.status === 'inconclusive'
            ? { ...v, status: 'not-applicable', detail: `${ended.detail} (${v.detail})` }
            : v,
        );
    for (const r of rules) notices.push(...(runs.get(r)?.notices ?? []));
  }
  return { verdicts, notices, summary: countVerdicts(verdicts) };
}

// ---- The comparison.

/** Fixed validation time, so "checked at the current time" details are equal. */
const AT = new Date('2026-06-01T00:00:00Z');
let verdictsCompared = 0;

async function expectSame(t: Transcript, opts: CheckOptions): Promise<void> {
  for (const judgeReactions of [true, false]) {
    const o = { at: AT, ...opts, judgeReactions };
    const ref = await referenceCheck(t, { ...o, provider: nodeProvider(), certCache: newCertCache() });
    const now = await checkTranscript(t, { ...o, provider: nodeProvider(), certCache: newCertCache() });
    expect({ verdicts: now.verdicts, notices: now.notices, summary: now.summary }).toEqual(ref);
    // toEqual ignores key order; the JSON output does not.
    expect(JSON.stringify(now.verdicts)).toBe(JSON.stringify(ref.verdicts));
    verdictsCompared += ref.verdicts.length;
  }
}

const FIXTURES = join(__dirname, '..', 'fixtures');

/** Every capture of the corpus and of fixtures/captures, with its key log and trust anchor. */
function captures(): Array<{ name: string; dir: string; trust: string }> {
  const out: Array<{ name: string; dir: string; trust: string }> = [];
  const corpus = join(FIXTURES, 'corpus');
  for (const c of readdirSync(corpus).sort()) {
    if (!existsSync(join(corpus, c, 'capture.pcap'))) continue;
    const e = JSON.parse(readFileSync(join(corpus, c, 'expected.json'), 'utf8')) as { trust: string };
    out.push({ name: `corpus/${c}`, dir: join(corpus, c), trust: join(corpus, e.trust) });
  }
  const caps = join(FIXTURES, 'captures');
  for (const c of readdirSync(caps).sort()) {
    if (!existsSync(join(caps, c, 'meta.json'))) continue;
    const m = JSON.parse(readFileSync(join(caps, c, 'meta.json'), 'utf8')) as { pki?: string };
    out.push({ name: `captures/${c}`, dir: join(caps, c), trust: join(caps, m.pki ?? 'pki/rsa', 'rootCA.crt') });
  }
  return out;
}

describe('the evaluator gives the verdicts of the plain path, one for one', () => {
  afterAll(() => {
    expect(verdictsCompared).toBeGreaterThan(10_000);
  });

  it('on every fixture capture, with and without its key log', async () => {
    const all = captures();
    expect(all.length).toBeGreaterThanOrEqual(40);
    for (const c of all) {
      const trustAnchors = pemBlocks(readFileSync(c.trust, 'utf8'), 'CERTIFICATE');
      const file = join(c.dir, 'keylog.txt');
      for (const keylog of existsSync(file) ? [readFileSync(file, 'utf8'), undefined] : [undefined]) {
        const provider = nodeProvider();
        const src = captureToTranscripts(join(c.dir, 'capture.pcap'), keylog === undefined ? { provider } : { keylog, provider });
        const earlier: Transcript[] = [];
        for await (const ct of src) {
          await expectSame(ct.transcript, { trustAnchors, earlier: [...earlier] });
          earlier.push(ct.transcript);
        }
      }
    }
  });

  it('on generated handshakes of both versions', async () => {
    const cache = newRenderCache(nodeProvider());
    for (const plan of fc.sample(handshakePlanArb(), { seed: 20261207, numRuns: 12 })) {
      const r = await renderHandshake(normalizePlan(plan), cache);
      await expectSame(r.transcript, { trustAnchors: r.trustAnchors, at: r.at, privateKeys: r.privateKeys });
    }
  });

  it('on offline mutants (violations, and the reactions to them)', async () => {
    const pki = await testPki(AT.getTime());
    let violations = 0;
    // Every fifth operator (a fixed spread over the catalogue), one base each.
    for (const m of OFFLINE_MUTATIONS.filter((_, i) => i % 5 === 0)) {
      const [choice] = fc.sample(baseChoiceArb(m), { seed: 7, numRuns: 1 });
      const r = await runMutant(m, pki, choice!);
      await expectSame(r.transcript, r.check);
      violations += (await checkTranscript(r.transcript, { at: AT, ...r.check })).summary.violation;
    }
    expect(violations).toBeGreaterThan(20);
  });
});
