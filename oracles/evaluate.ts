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
 */
import { type CryptoProvider, nodeProvider } from '../crypto/provider';
import type { ParsedCertCache } from '../pki/parse';
import type { PresharedKey, Transcript } from '../transcript/model';
import type { TlsVersion, VerdictStatus } from '../wire/vocabulary';
import { type RuleId, transcriptRules } from './catalogue';
import { type Context, type ContextOptions, buildContext } from './context';
import { refusedAttempt, splitHandshakes } from './handshakes';
import { encryptedExtensions, missingNeed, noServerHello } from './needs';
import { chainOf } from './keyfacts';
import {
  type ChainSeen,
  type EncryptedExtensionsSeen,
  type Need,
  type Notice,
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

/** The verdict of a rule's declared versions, before anything else. */
function versionGate(rule: Rule, ctx: Context): Outcome | undefined {
  if (!ctx.version) {
    return {
      status: 'inconclusive',
      detail: 'The negotiated version is unknown (no decodable ServerHello and no version-specific message).',
    };
  }
  if (!rule.versions.includes(ctx.version)) {
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
  return undefined;
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

/**
 * A renegotiation the server refused (ctx.refused) has only a ClientHello: the rules about the ClientHello alone
 * (need `client-hello` without the ServerHello) and the renegotiation rules judge it; for the others nothing of this
 * handshake happened.
 */
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

/** The context a check sees: what its needs provide added. */
function given(rule: Rule, ctx: Context, violations: readonly Verdict[], notices: readonly Notice[]): Context {
  const provides: readonly Need[] = ['tls13-ee', 'violations', 'server-chain', 'client-chain'];
  if (!rule.needs.some((n) => provides.includes(n))) return ctx;
  const g: Context & {
    ee?: EncryptedExtensionsSeen;
    violations?: readonly Verdict[];
    notices?: readonly Notice[];
    serverChain?: ChainSeen;
    clientChain?: ChainSeen;
  } = { ...ctx };
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
  return gated(rule, ctx) ?? (await checked(rule, ctx, violations, notices));
}

/** The run of a rule decided before its check (its gates, or no transcript check): most not-applicable verdicts. */
function gated(rule: Rule, ctx: Context): RuleRun | undefined {
  const gate = refusedGate(rule, ctx) ?? versionGate(rule, ctx) ?? missingNeed(rule.needs, ctx);
  if (gate) return ruleRun(rule, [gate]);
  if (!rule.check)
    return ruleRun(rule, [
      rule.across
        ? {
            status: 'not-applicable',
            detail: 'The rule is decided across the connections of a run (oracles/across.ts), not by one transcript.',
          }
        : { status: 'not-applicable', detail: 'The rule is decided by live conversations, not by a transcript.' },
    ]);
  return undefined;
}

/** The run of a rule whose gates let its check run. */
async function checked(rule: Rule, ctx: Context, violations: readonly Verdict[], notices: readonly Notice[]): Promise<RuleRun> {
  let outs: Outcome[];
  try {
    const r = await rule.check!(given(rule, ctx, violations, notices));
    outs = Array.isArray(r) ? r : [r];
    if (!outs.length) outs = [{ status: 'inconclusive', detail: 'The rule returned no verdict.' }];
  } catch (e) {
    outs = [{ status: 'inconclusive', detail: `The rule failed with an error: ${e instanceof Error ? e.message : String(e)}.` }];
  }
  return ruleRun(rule, outs);
}

function ruleRun(rule: Rule, outs: readonly Outcome[]): RuleRun {
  const found: Notice[] = [];
  const verdicts = outs.map(({ notice, ...o }) => {
    if (notice) found.push({ ...notice, rule: rule.id });
    return { rule: rule.id, ...o };
  });
  return { verdicts, notices: found };
}

/**
 * Run the rules of one phase. Every check starts in rule order before any is
 * awaited, as before; a rule decided by its gates (about half of them on a
 * connection: other version, missing needs) takes no promise. `runs` gets the
 * gated rules first, in rule order, then the checked ones as they complete:
 * the order in which they completed when every rule was awaited (a gated
 * rule's run resolved a tick before any check's), which the next phase sees
 * as the order of the violations.
 */
async function runPhase(
  rules: readonly Rule[],
  runs: Map<Rule, RuleRun>,
  ctxOf: (r: Rule) => Context,
  violations: readonly Verdict[],
  notices: readonly Notice[],
): Promise<void> {
  const pending: Array<Promise<unknown>> = [];
  for (const r of rules) {
    const ctx = ctxOf(r);
    const run = gated(r, ctx);
    if (run) runs.set(r, run);
    else pending.push(checked(r, ctx, violations, notices).then((x) => runs.set(r, x)));
  }
  if (pending.length) await Promise.all(pending);
}

const judgesReaction = (r: Rule): boolean => r.needs.includes('violations');

/** Run the rules (concurrently; verdicts stay in rule order). Async because the crypto and certificate rules are. */
export async function checkTranscript(t: Transcript, opts: CheckOptions = {}): Promise<CheckResult> {
  const options: ContextOptions = { provider: opts.provider ?? nodeProvider() };
  if (opts.trustAnchors) options.trustAnchors = opts.trustAnchors;
  if (opts.at) options.at = opts.at;
  if (opts.clientAuthRequired) options.clientAuthRequired = true;
  if (opts.oneServerInstance) options.oneServerInstance = true;
  if (opts.privateKeys) options.privateKeys = opts.privateKeys;
  if (opts.certCache) options.certCache = opts.certCache;
  if (opts.psks) options.psks = opts.psks;
  const rules = (opts.rules ?? transcriptRules).filter((r) => opts.judgeReactions !== false || !judgesReaction(r));
  // Each handshake of the connection (a TLS 1.2 renegotiation is a handshake of its own) is judged on its own.
  const handshakes: Context[] = [];
  for (const part of splitHandshakes(t)) {
    const context = buildContext(part, opts.earlier ?? [], options, handshakes.at(-1));
    if (context.previous && refusedAttempt(part)) context.refused = true;
    const prev = handshakes.at(-1);
    if (prev) prev.next = context;
    handshakes.push(context);
  }
  const verdicts: Verdict[] = [];
  const notices: Notice[] = [];
  for (const context of handshakes) {
    const byVersion = new Map<TlsVersion, Context>(
      (context.offered ?? []).map((v) => [v, v === context.version ? context : { ...context, version: v, memo: new Map() }]),
    );
    const runs = new Map<Rule, RuleRun>();
    const ctxOf = (r: Rule) => contextFor(r, context, byVersion);
    await runPhase(
      rules.filter((r) => !judgesReaction(r)),
      runs,
      ctxOf,
      [],
      [],
    );
    const found = [...runs.values()].flatMap((x) => x.verdicts).filter((v) => v.status === 'violation');
    const noticed = [...runs.values()].flatMap((x) => x.notices);
    await runPhase(rules.filter(judgesReaction), runs, ctxOf, found, noticed);
    const ended = context.versionFrom === 'client_hello' ? noServerHello(context) : undefined;
    verdicts.push(...rules.flatMap((r) => (runs.get(r)?.verdicts ?? []).map((v) => beforeServerHello(v, ended))));
    notices.push(...rules.flatMap((r) => runs.get(r)?.notices ?? []));
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
