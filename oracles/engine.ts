/**
 * Runs every declared rule over a transcript. A rule that throws (or whose
 * promise rejects) gives an inconclusive verdict naming the error; the run
 * never crashes. Rule checks may be async (signatures, key schedules,
 * certificate validation); they run concurrently, sharing derivations
 * through the Context memo, and their verdicts are kept in registry order,
 * so the output is deterministic.
 */
import type { ParsedCertCache } from '../pki/parse';
import type { Transcript } from '../transcript/model';
import { allRules } from './catalogue';
import { type Context, type ContextOptions, buildContext } from './context';
import type { Outcome, Rule, Status, Verdict } from './rule';

export interface CheckOptions {
  /** Restrict to these rules (default: all declared). */
  rules?: readonly Rule[];
  /** DER trust anchors for the certificate rules (not used by the plaintext rules). */
  trustAnchors?: readonly Uint8Array[];
  /** Earlier connections (oldest first), so resumed sessions can be compared with their original. */
  earlier?: readonly Transcript[];
  /** Validation time of the certificate rules (for captures: the capture time); default now. */
  at?: Date;
  /** PKCS#8 DER private keys of certificate keys (generated runs), for the RSA premaster rule. */
  privateKeys?: readonly Uint8Array[];
  /** Parsed certificates shared across the transcripts of one run (see ContextOptions). */
  certCache?: ParsedCertCache;
}

export type Summary = Record<Status, number>;

export interface CheckResult {
  context: Context;
  verdicts: Verdict[];
  summary: Summary;
}

export function emptySummary(): Summary {
  return { pass: 0, violation: 0, inconclusive: 0, 'not-applicable': 0 };
}

export function summarize(verdicts: readonly Verdict[], into: Summary = emptySummary()): Summary {
  for (const v of verdicts) into[v.status]++;
  return into;
}

function applicability(rule: Rule, ctx: Context): Outcome | undefined {
  if (!ctx.version) {
    return {
      status: 'inconclusive',
      detail: 'The negotiated version is unknown (no decodable ServerHello and no version-specific message).',
    };
  }
  if (!rule.versions.includes(ctx.version)) {
    return {
      status: 'not-applicable',
      detail: `The rule is for TLS ${rule.versions.join('/')}; this connection is TLS ${ctx.version}.`,
    };
  }
  return undefined;
}

export async function runRule(rule: Rule, ctx: Context): Promise<Verdict[]> {
  let outs: Outcome[];
  const gate = applicability(rule, ctx);
  if (gate) outs = [gate];
  else {
    try {
      const r = await rule.check(ctx);
      outs = Array.isArray(r) ? r : [r];
      if (!outs.length) outs = [{ status: 'inconclusive', detail: 'The rule returned no verdict.' }];
    } catch (e) {
      outs = [
        { status: 'inconclusive', detail: `The rule failed with an error: ${e instanceof Error ? e.message : String(e)}.` },
      ];
    }
  }
  return outs.map((o) => ({ rule: rule.id, ...o }));
}

/** Run the rules (concurrently; verdicts stay in rule order). Async because the crypto and certificate rules are. */
export async function checkTranscript(t: Transcript, opts: CheckOptions = {}): Promise<CheckResult> {
  const options: ContextOptions = {};
  if (opts.trustAnchors) options.trustAnchors = opts.trustAnchors;
  if (opts.at) options.at = opts.at;
  if (opts.privateKeys) options.privateKeys = opts.privateKeys;
  if (opts.certCache) options.certCache = opts.certCache;
  const context = buildContext(t, opts.earlier, options);
  const verdicts = (await Promise.all((opts.rules ?? allRules).map((r) => runRule(r, context)))).flat();
  return { context, verdicts, summary: summarize(verdicts) };
}

/** The worst status per rule: violation > inconclusive > pass > not-applicable. */
export function ruleStatus(verdicts: readonly Verdict[], rule: string): Status | undefined {
  const order: Status[] = ['violation', 'inconclusive', 'pass', 'not-applicable'];
  const mine = verdicts.filter((v) => v.rule === rule).map((v) => order.indexOf(v.status));
  return mine.length ? order[Math.min(...mine)] : undefined;
}
