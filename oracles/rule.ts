/**
 * Rule declarations and verdicts. A rule reads a Transcript (through the
 * Context built once per transcript) and says, for each place it looked at,
 * pass / violation; when it could not look it says inconclusive and why;
 * when it does not apply it says not-applicable. Never a silent pass.
 */
import type { Context } from './context';

export type TlsVersion = '1.2' | '1.3';
export type Role = 'client' | 'server' | 'both';
export type Strength = 'MUST' | 'SHOULD' | 'MAY';
/** What a rule needs to be decided: plaintext bytes, key material, or a live peer. */
export type Evidence = 'plaintext' | 'keys' | 'live';
export type RuleGroup = 'record' | 'ordering' | 'negotiation' | 'crypto' | 'certificates';
export type Status = 'pass' | 'violation' | 'inconclusive' | 'not-applicable';

export interface Verdict {
  rule: string;
  status: Status;
  /** Index of the message the verdict is about, when there is one. */
  message?: number;
  /** One plain sentence. */
  detail: string;
  expected?: string;
  actual?: string;
}

/** A verdict before the engine stamps the rule id on it. */
export type Outcome = Omit<Verdict, 'rule'>;

export interface Rule {
  id: string;
  /** Our own short statement of the rule. */
  title: string;
  rfc: string | string[];
  versions: TlsVersion[];
  role: Role;
  strength: Strength;
  /** The alert a conforming receiver sends. */
  alert?: string;
  evidence: Evidence;
  group: RuleGroup;
  /** Synchronous for plaintext rules; crypto and certificate rules return a promise. */
  check(ctx: Context): Outcome | Outcome[] | Promise<Outcome | Outcome[]>;
}

export interface Extra {
  message?: number;
  expected?: string;
  actual?: string;
}

function outcome(status: Status, detail: string, extra: Extra = {}): Outcome {
  const o: Outcome = { status, detail };
  if (extra.message !== undefined) o.message = extra.message;
  if (extra.expected !== undefined) o.expected = extra.expected;
  if (extra.actual !== undefined) o.actual = extra.actual;
  return o;
}

export const pass = (detail: string, extra?: Extra): Outcome => outcome('pass', detail, extra);
export const violation = (detail: string, extra?: Extra): Outcome => outcome('violation', detail, extra);
export const inconclusive = (detail: string, extra?: Extra): Outcome => outcome('inconclusive', detail, extra);
export const notApplicable = (detail: string, extra?: Extra): Outcome => outcome('not-applicable', detail, extra);

/** What a rule file writes for each rule: the declaration, with its file's defaults left out. */
export type RuleDecl = Pick<Rule, 'id' | 'title' | 'rfc' | 'check'> & Partial<Omit<Rule, 'id' | 'title' | 'rfc' | 'check'>>;

/**
 * A declaration helper for one rule file: the fields every rule of the file
 * shares (its group, usual versions, role, evidence, strength) are given
 * once; each rule gives the rest and may override any default.
 */
export function ruleDeclarer(
  defaults: Omit<Rule, 'id' | 'title' | 'rfc' | 'check' | 'alert'> & { alert?: string },
): (d: RuleDecl) => Rule {
  return (d) => {
    const r: Rule = { ...defaults, ...d } as Rule;
    if (r.alert === undefined) delete r.alert;
    return r;
  };
}
