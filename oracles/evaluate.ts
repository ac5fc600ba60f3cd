/**
 * The evaluator: runs every declared rule that has a transcript check over
 * a transcript. Before a check runs, the evaluator looks at what the rule
 * declares: its versions (not-applicable for the other version,
 * inconclusive when the version is unknown) and its needs (needs.ts: the
 * first missing one gives the verdict). A rule that throws (or whose
 * promise rejects) gives an inconclusive verdict naming the error; the run
 * never crashes.
 *
 * Two phases: the rules first, then the rules that judge a reaction to
 * what the first phase found (need `violations`: the live rules' transcript
 * checks, e.g. the alert a receiver sent after the other side broke a
 * rule). Checks run concurrently within a phase, sharing derivations
 * through the Context memo; verdicts are kept in registry order, so the
 * output is deterministic.
 *
 * What applies is decided once per context (Gates: each need's outcome and
 * each declared version list's, shared by the rules), so a rule its gates
 * decide costs a few look-ups; spec/evaluator-equivalence.spec.ts checks
 * every verdict against the plain path (every gate per rule).
 */
import { type CryptoProvider, nodeProvider } from '../crypto/provider';
import type { ParsedCertCache } from '../pki/parse';
import type { PresharedKey, Transcript } from '../transcript/model';
import type { TlsVersion, VerdictStatus } from '../wire/vocabulary';
import { type RuleId, transcriptRules } from './catalogue';
import { type Context, type ContextOptions, buildContext } from './context';
import { refusedAttempt, splitHandshakes } from './handshakes';
import { NEEDS, encryptedExtensions, noServerHello } from './needs';
import { chainOf } from './keyfacts';
import {
  type ChainSeen,
  type EncryptedExtensionsSeen,
  type Need,
  type Notice,
  type CheckResult as RuleResult,
  type Outcome,
  type Rule,
  type Verdict,
  type VerdictCounts,
  countVerdicts,
} from './rule';

export interface CheckOptions {
  /** Restrict to these rules (default: every rule with a transcript check). */
  rules?: readonly Rule[];
  /**
   * Judge the reactions seen in the transcript (the rules that need the
   * other rules' violations: the alert a receiver sent after a violation).
   * Default true; the fuzzers pass false, since their conversation
   * classifier judges the reaction (oracles/live.ts gives those verdicts).
   */
  judgeReactions?: boolean;
  /** DER trust anchors for the certificate rules (not used by the plaintext rules). */
  trustAnchors?: readonly Uint8Array[];
  /** Earlier connections (oldest first), so resumed sessions can be compared with their original. */
  earlier?: readonly Transcript[];
  /** Validation time of the certificate rules (for captures: the capture time); default now. */
  at?: Date;
  /** The server is known to require client authentication (ContextOptions.clientAuthRequired). */
  clientAuthRequired?: boolean;
  /** This transcript and the earlier ones reached one server instance (ContextOptions.oneServerInstance). */
  oneServerInstance?: boolean;
  /** PKCS#8 DER private keys of certificate keys (generated runs), for the RSA premaster rule. */
  privateKeys?: readonly Uint8Array[];
  /** Parsed certificates shared across the transcripts of one run (see ContextOptions). */
  certCache?: ParsedCertCache;
  /**
   * The crypto provider for every check; pass one per run so that each key is
   * imported once across transcripts. Default: a fresh node provider (this is
   * the library's entry point).
   */
  provider?: CryptoProvider;
  /** External PSKs, by identity (the PSK key schedules need them; no key log has them). */
  psks?: readonly PresharedKey[];
}

export interface CheckResult {
  /** The context of the connection's first handshake. */
  context: Context;
  /** One context per handshake of the connection (TLS 1.2 renegotiations after the first; oracles/handshakes.ts). */
  handshakes: Context[];
  verdicts: Verdict[];
  /** Informational findings (rule.ts Notice): never verdicts, never counted in the summary. */
  notices: Notice[];
  summary: VerdictCounts;
}

/**
 * What the evaluator reads of a rule's declaration, derived once per rule (RULE_PLANS for the registry's rules):
 * its versions, needs, and which of the needs add to the context its check sees.
 */
interface Plan {
  rule: Rule;
  /** `rule.versions.join('/')`: the key of its version gate and the text of its detail. */
  versions: string;
  /** A refused renegotiation judges it (its needs are the ClientHello alone, or it is a renegotiation rule). */
  judgesRefused: boolean;
  /** Which provided needs it has (given()): 0 for none, else PROVIDES_ANY with the bits of the chains and violations. */
  provides: number;
  reaction: boolean;
}

const PROVIDES_ANY = 1;
const PROVIDES: ReadonlyArray<readonly [Need, number]> = [
  ['tls13-ee', PROVIDES_ANY],
  ['violations', 2],
  ['server-chain', 4],
  ['client-chain', 8],
];

function planOf(rule: Rule): Plan {
  let provides = 0;
  for (const [need, bit] of PROVIDES) if (rule.needs.includes(need)) provides |= PROVIDES_ANY | bit;
  const chOnly = rule.needs.includes('client-hello') && !rule.needs.some((n) => n === 'server-hello' || n === 'hellos');
  return {
    rule,
    versions: rule.versions.join('/'),
    judgesRefused: chOnly || rule.needs.includes('renegotiation'),
    provides,
    reaction: rule.needs.includes('violations'),
  };
}

/** The registry's transcript rules, planned once (a rule list of the caller's is planned per call). */
const RULE_PLANS: ReadonlyMap<Rule, Plan> = new Map(transcriptRules.map((r) => [r, planOf(r)]));

const planFor = (r: Rule): Plan => RULE_PLANS.get(r) ?? planOf(r);

const LIVE_ONLY: Outcome = {
  status: 'not-applicable',
  detail: 'The rule is decided by live conversations, not by a transcript.',
};

const ACROSS_ONLY: Outcome = {
  status: 'not-applicable',
  detail: 'The rule is decided across the connections of a run (oracles/across.ts), not by one transcript.',
};

/**
 * A renegotiation the server refused (ctx.refused) has only a ClientHello: the rules about the ClientHello alone
 * (need `client-hello` without the ServerHello) and the renegotiation rules judge it; for the others nothing of this
 * handshake happened.
 */
const REFUSED: Outcome = {
  status: 'not-applicable',
  detail:
    'The server refused this renegotiation with no_renegotiation before any ServerHello: only its ClientHello is judged here (its records, under the previous keys, with the handshake before).',
};

/**
 * The gates of one context, each decided once: whether a rule applies is a function of the context (the transcript's
 * shape: version, how it was learnt, which messages and evidence are there) and of the rule's declared versions and
 * needs, so a rule decided by its gates costs a few lookups. Kept for one phase of one handshake; the outcomes are
 * shared by the rules' verdicts (each verdict is an object of its own).
 */
class Gates {
  private readonly needs = new Map<Need, Outcome | undefined>();
  private readonly versions = new Map<string, Outcome | undefined>();
  private readonly givens = new Map<number, Context>();

  constructor(
    readonly ctx: Context,
    private readonly violations: readonly Verdict[],
    private readonly notices: readonly Notice[],
  ) {}

  /** The outcome that decides the rule before its check (refused renegotiation, version, first missing need, no check). */
  decided(p: Plan): Outcome | undefined {
    const ctx = this.ctx;
    if (ctx.refused && !p.judgesRefused) return REFUSED;
    const v = this.version(p);
    if (v) return v;
    for (const n of p.rule.needs) {
      const o = this.need(n);
      if (o) return o;
    }
    return p.rule.check ? undefined : p.rule.across ? ACROSS_ONLY : LIVE_ONLY;
  }

  /** The verdict of a rule's declared versions, before anything else. */
  private version(p: Plan): Outcome | undefined {
    const ctx = this.ctx;
    if (ctx.version && p.rule.versions.includes(ctx.version)) return undefined;
    if (this.versions.has(p.versions)) return this.versions.get(p.versions);
    let o: Outcome;
    if (!ctx.version)
      o = {
        status: 'inconclusive',
        detail: 'The negotiated version is unknown (no decodable ServerHello and no version-specific message).',
      };
    else if (ctx.versionFrom === 'client_hello')
      o = {
        status: 'not-applicable',
        detail: `The rule is for TLS ${p.versions}; the ClientHello offers only TLS ${(ctx.offered ?? [ctx.version]).join('/')} and no ServerHello followed.`,
      };
    else o = { status: 'not-applicable', detail: `The rule is for TLS ${p.versions}; this connection is TLS ${ctx.version}.` };
    this.versions.set(p.versions, o);
    return o;
  }

  private need(n: Need): Outcome | undefined {
    if (this.needs.has(n)) return this.needs.get(n);
    const o = NEEDS[n](this.ctx);
    this.needs.set(n, o);
    return o;
  }

  /** The context a check sees: what its needs provide added (one per combination of them). */
  given(p: Plan): Context {
    if (!p.provides) return this.ctx;
    let g = this.givens.get(p.provides);
    if (!g) {
      g = provided(this.ctx, p.provides, this.violations, this.notices);
      this.givens.set(p.provides, g);
    }
    return g;
  }
}

function provided(ctx: Context, provides: number, violations: readonly Verdict[], notices: readonly Notice[]): Context {
  const g: Context & {
    ee?: EncryptedExtensionsSeen;
    violations?: readonly Verdict[];
    notices?: readonly Notice[];
    serverChain?: ChainSeen;
    clientChain?: ChainSeen;
  } = { ...ctx };
  const ee = encryptedExtensions(ctx);
  if (ee) g.ee = ee;
  if (provides & 2) {
    g.violations = violations;
    g.notices = notices;
  }
  for (const [bit, dir] of [
    [4, 'S->C'],
    [8, 'C->S'],
  ] as const) {
    if (!(provides & bit)) continue;
    const c = chainOf(ctx, dir);
    if (c.ok) g[bit === 4 ? 'serverChain' : 'clientChain'] = c.value;
  }
  return g;
}

/**
 * The context a rule is judged in: the connection's, or, when the version
 * is only what the ClientHello offers and it offers several, the highest
 * offered version the rule is declared for (the client's duties in each
 * version it offered are judged; a rule of no offered version is not-applicable).
 */
function contextFor(rule: Rule, ctx: Context, byVersion: ReadonlyMap<TlsVersion, Context>): Context {
  if (!ctx.offered || ctx.offered.length < 2) return ctx;
  const v = [...ctx.offered].reverse().find((x) => rule.versions.includes(x));
  return (v && byVersion.get(v)) || ctx;
}

/** A rule's verdicts and the notices its check found. */
export interface RuleRun {
  verdicts: Verdict[];
  notices: Notice[];
}

export async function runRuleWithNotices(
  rule: Rule,
  ctx: Context,
  violations: readonly Verdict[] = [],
  notices: readonly Notice[] = [],
): Promise<RuleRun> {
  const gates = new Gates(ctx, violations, notices);
  const p = planFor(rule);
  const o = gates.decided(p);
  return o ? gatedRun(rule, o) : await checked(rule, gates.given(p));
}

const NO_NOTICES: readonly Notice[] = [];

/** The run of a rule decided before its check (its gates, or no transcript check): most not-applicable verdicts. */
function gatedRun(rule: Rule, o: Outcome): RuleRun {
  return { verdicts: [{ rule: rule.id, ...o }], notices: NO_NOTICES as Notice[] };
}

/** The run of a rule whose gates let its check run, on the context its needs give. */
async function checked(rule: Rule, g: Context): Promise<RuleRun> {
  let r: RuleResult;
  try {
    r = rule.check!(g);
  } catch (e) {
    return ruleRun(rule, [failed(e)]);
  }
  return thenable(r) ? await awaited(rule, r) : ruleRun(rule, outcomesOf(r));
}

/** The run of a check that gave a promise (or another thenable), once it settles. */
async function awaited(rule: Rule, r: PromiseLike<Outcome | Outcome[]>): Promise<RuleRun> {
  let outs: Outcome[];
  try {
    outs = outcomesOf(await r);
  } catch (e) {
    outs = [failed(e)];
  }
  return ruleRun(rule, outs);
}

const thenable = (r: RuleResult): r is Promise<Outcome | Outcome[]> => typeof (r as { then?: unknown }).then === 'function';

function outcomesOf(r: Outcome | Outcome[]): Outcome[] {
  const outs = Array.isArray(r) ? r : [r];
  return outs.length ? outs : [{ status: 'inconclusive', detail: 'The rule returned no verdict.' }];
}

const failed = (e: unknown): Outcome => ({
  status: 'inconclusive',
  detail: `The rule failed with an error: ${e instanceof Error ? e.message : String(e)}.`,
});

function ruleRun(rule: Rule, outs: readonly Outcome[]): RuleRun {
  let found: Notice[] | undefined;
  const verdicts = outs.map((x): Verdict => {
    if (!('notice' in x)) return { rule: rule.id, ...x };
    const { notice, ...o } = x;
    if (notice) {
      found ??= [];
      found.push({ ...notice, rule: rule.id });
    }
    return { rule: rule.id, ...o };
  });
  return { verdicts, notices: found ?? (NO_NOTICES as Notice[]) };
}

/** Whether a run can matter to the reaction rules (which see the violations and notices in completion order). */
const seenByReactions = (run: RuleRun): boolean => run.notices.length > 0 || run.verdicts.some((v) => v.status === 'violation');

/**
 * Run the rules of one phase. Every check starts in rule order before any is
 * awaited; a rule decided by its gates (about half of them on a connection:
 * other version, missing needs) takes no promise, nor does a check that
 * answers at once (most of them). `runs` gets the runs in the order in which
 * they completed when every check was an awaited async call: the gated rules
 * first, in rule order, then the checks: one that answered at once two
 * microtask ticks on (its `await`, then its promise's reaction), one that
 * gave a promise two ticks after that promise settled. The next phase sees
 * that order as the order of the violations and notices, so a run with a
 * violation or a notice is put in at that tick; a run with neither (most)
 * is put in at once, as nothing sees where it stands.
 */
async function runPhase(plans: readonly Plan[], runs: Map<Rule, RuleRun>, gatesOf: (p: Plan) => Gates): Promise<void> {
  const pending: Array<Promise<unknown>> = [];
  const tick = Promise.resolve();
  for (const p of plans) {
    const rule = p.rule;
    const gates = gatesOf(p);
    const o = gates.decided(p);
    if (o) {
      runs.set(rule, gatedRun(rule, o));
      continue;
    }
    let r: RuleResult;
    try {
      r = rule.check!(gates.given(p));
    } catch (e) {
      runs.set(rule, ruleRun(rule, [failed(e)]));
      continue;
    }
    if (thenable(r)) {
      pending.push(awaited(rule, r).then((x) => runs.set(rule, x)));
      continue;
    }
    const run = ruleRun(rule, outcomesOf(r));
    if (!seenByReactions(run)) runs.set(rule, run);
    else pending.push(tick.then(() => tick.then(() => runs.set(rule, run))));
  }
  if (pending.length) await Promise.all(pending);
}

/**
 * The contexts of a transcript's handshakes, in order: each handshake of the connection (a TLS 1.2 renegotiation is a
 * handshake of its own) is judged on its own, linked to the one before and after it.
 */
export function handshakeContexts(t: Transcript, opts: CheckOptions = {}): Context[] {
  const options: ContextOptions = { provider: opts.provider ?? nodeProvider() };
  if (opts.trustAnchors) options.trustAnchors = opts.trustAnchors;
  if (opts.at) options.at = opts.at;
  if (opts.clientAuthRequired) options.clientAuthRequired = true;
  if (opts.oneServerInstance) options.oneServerInstance = true;
  if (opts.privateKeys) options.privateKeys = opts.privateKeys;
  if (opts.certCache) options.certCache = opts.certCache;
  if (opts.psks) options.psks = opts.psks;
  const handshakes: Context[] = [];
  for (const part of splitHandshakes(t)) {
    const context = buildContext(part, opts.earlier ?? [], options, handshakes.at(-1));
    if (context.previous && refusedAttempt(part)) context.refused = true;
    const prev = handshakes.at(-1);
    if (prev) prev.next = context;
    handshakes.push(context);
  }
  return handshakes;
}

/** Run the rules (concurrently; verdicts stay in rule order). Async because the crypto and certificate rules are. */
export async function checkTranscript(t: Transcript, opts: CheckOptions = {}): Promise<CheckResult> {
  const plans = (opts.rules ?? transcriptRules).map(planFor).filter((p) => opts.judgeReactions !== false || !p.reaction);
  const first = plans.filter((p) => !p.reaction);
  const reactions = plans.filter((p) => p.reaction);
  const handshakes = handshakeContexts(t, opts);
  const verdicts: Verdict[] = [];
  const notices: Notice[] = [];
  for (const context of handshakes) {
    const byVersion = new Map<TlsVersion, Context>(
      (context.offered ?? []).map((v) => [v, v === context.version ? context : { ...context, version: v, memo: new Map() }]),
    );
    const runs = new Map<Rule, RuleRun>();
    // The gates of each context the rules are judged in (one unless the ClientHello alone offers several versions), per phase.
    const phaseGates = (violations: readonly Verdict[], noticed: readonly Notice[]) => {
      const byContext = new Map<Context, Gates>();
      return (p: Plan): Gates => {
        const ctx = contextFor(p.rule, context, byVersion);
        let g = byContext.get(ctx);
        if (!g) {
          g = new Gates(ctx, violations, noticed);
          byContext.set(ctx, g);
        }
        return g;
      };
    };
    await runPhase(first, runs, phaseGates([], []));
    if (reactions.length) {
      const found: Verdict[] = [];
      const noticed: Notice[] = [];
      for (const run of runs.values()) {
        for (const v of run.verdicts) if (v.status === 'violation') found.push(v);
        for (const n of run.notices) noticed.push(n);
      }
      await runPhase(reactions, runs, phaseGates(found, noticed));
    }
    const ended = context.versionFrom === 'client_hello' ? noServerHello(context) : undefined;
    for (const p of plans) {
      const run = runs.get(p.rule);
      if (!run) continue;
      for (const v of run.verdicts) verdicts.push(beforeServerHello(v, ended));
      for (const n of run.notices) notices.push(n);
    }
  }
  return { context: handshakes[0]!, handshakes, verdicts, notices, summary: countVerdicts(verdicts) };
}

/**
 * A handshake that ended before a ServerHello (noServerHello not-applicable)
 * has nothing of the server's handshake or keys to judge: what a rule could
 * not decide there is not-applicable, said with the reason. Only when the
 * ClientHello was read (the version comes from it), so nothing missing from
 * the client is covered up.
 */
function beforeServerHello(v: Verdict, ended: Outcome | undefined): Verdict {
  if (ended?.status !== 'not-applicable' || v.status !== 'inconclusive') return v;
  return { ...v, status: 'not-applicable', detail: `${ended.detail} (${v.detail})` };
}

/** The worst status per rule: violation > inconclusive > pass > not-applicable. */
export function ruleStatus(verdicts: readonly Verdict[], rule: RuleId): VerdictStatus | undefined {
  const order: VerdictStatus[] = ['violation', 'inconclusive', 'pass', 'not-applicable'];
  const mine = verdicts.filter((v) => v.rule === rule).map((v) => order.indexOf(v.status));
  return mine.length ? order[Math.min(...mine)] : undefined;
}
