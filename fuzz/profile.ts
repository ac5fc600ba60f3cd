/**
 * Per-target fuzzing profiles (`--profile FILE.json`), in the spirit of
 * BoGo's DisabledTests / ErrorMap and tlsfuzzer's -x/-X: conversations the
 * target is known to fail (by conversation name -- operator, state scenario
 * or certificate fault -- and/or rule id, each with a reason) and
 * conversations or rules not to run at all (with a reason).
 *
 * {
 *   "target": "openssl s_server 3.0",
 *   "expectedFailures": [{ "name": "t12-cke-point-identity", "rule": "ecdh.point-format", "reason": "internal_error, not illegal_parameter" }],
 *   "disabled": [{ "rule": "t12.order.ccs-timing", "reason": "..." }]
 * }
 *
 * An expected failure that fails is reported as such and does not fail the
 * run; one that passes is an "unexpected pass" and fails the run.
 *
 * `name` and `rule` are glob patterns (`*` any run of characters, `?` one):
 * `"name": "t13-*"`, `"rule": "ecdh.*"`; a pattern that matches no
 * conversation name or rule id is an error (a typo would silently match
 * nothing). Alert maps, like BoGo's ErrorMap: where the RFC names an alert,
 * the target's different alert is accepted (the conversation is reported
 * `alert-mapped` and does not fail the run), globally
 * (`"alertMap": {"illegal_parameter": ["decode_error"]}`) or per rule
 * (`"alertMaps": [{"rule": "ecdh.*", "alertMap": {...}, "reason": "..."}]`).
 */
import { catalogueStatus } from '../oracles/catalogue';

export interface ProfileEntry {
  /** Conversation name: operator, state scenario or certificate fault. */
  name?: string;
  rule?: string;
  reason: string;
}

/** Alert name the RFC names -> alert names accepted instead. */
export type AlertMap = Readonly<Record<string, readonly string[]>>;

export interface RuleAlertMap {
  /** Rule id or glob. */
  rule: string;
  alertMap: AlertMap;
  reason: string;
}

export interface FuzzProfile {
  target?: string;
  expectedFailures: ProfileEntry[];
  disabled: ProfileEntry[];
  /** Accepted instead of the alert the RFC names, for every rule. */
  alertMap?: AlertMap;
  alertMaps?: RuleAlertMap[];
}

export const EMPTY_PROFILE: FuzzProfile = Object.freeze({ expectedFailures: [], disabled: [] }) as FuzzProfile;

/** A bad profile: where (JSON path, and byte offset for a syntax error) and what. */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  constructor(
    readonly where: string,
    readonly detail: string,
    readonly offset?: number,
  ) {
    super(`profile ${where}${offset !== undefined ? ` (byte ${offset})` : ''}: ${detail}`);
  }
}

const KNOWN_KEYS = new Set(['target', 'expectedFailures', 'disabled', 'alertMap', 'alertMaps', '$comment']);

/** A glob (`*`, `?`) as a whole-string regular expression. */
export function globRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** `value` matches the glob `pattern` (a pattern without `*`/`?` matches itself only). */
export function globMatch(pattern: string, value: string): boolean {
  return /[*?]/.test(pattern) ? globRegExp(pattern).test(value) : pattern === value;
}

function anyMatch(pattern: string, names: Iterable<string>): boolean {
  for (const n of names) if (globMatch(pattern, n)) return true;
  return false;
}

const ALERT_NAME = /^[a-z_0-9]+$/;

function alertMapOf(v: unknown, where: string): AlertMap {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ProfileError(where, 'must be an object of alert -> [alerts]');
  const out: Record<string, string[]> = {};
  for (const [k, list] of Object.entries(v as Record<string, unknown>)) {
    if (!ALERT_NAME.test(k)) throw new ProfileError(`${where}.${k}`, 'an alert name (e.g. illegal_parameter) is expected');
    if (!Array.isArray(list) || !list.every((a) => typeof a === 'string' && ALERT_NAME.test(a)))
      throw new ProfileError(`${where}.${k}`, 'must be an array of alert names');
    out[k] = [...(list as string[])];
  }
  return out;
}
const ENTRY_KEYS = new Set(['name', 'rule', 'reason']);

function entries(v: unknown, where: string, names: ReadonlySet<string>, ruleIds: ReadonlySet<string>): ProfileEntry[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ProfileError(where, 'must be an array');
  return v.map((e: unknown, i) => {
    const at = `${where}[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new ProfileError(at, 'must be an object');
    const o = e as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (!ENTRY_KEYS.has(k)) throw new ProfileError(`${at}.${k}`, `unknown key (known: ${[...ENTRY_KEYS].join(', ')})`);
    if (typeof o.reason !== 'string' || !o.reason.trim())
      throw new ProfileError(`${at}.reason`, 'a non-empty reason is required');
    const out: ProfileEntry = { reason: o.reason };
    if (o.name !== undefined) {
      if (typeof o.name !== 'string' || !anyMatch(o.name, names))
        throw new ProfileError(`${at}.name`, `unknown conversation name ${JSON.stringify(o.name)} (no name matches it)`);
      out.name = o.name;
    }
    if (o.rule !== undefined) {
      if (typeof o.rule !== 'string' || !anyMatch(o.rule, ruleIds))
        throw new ProfileError(`${at}.rule`, `unknown rule id ${JSON.stringify(o.rule)} (no rule matches it)`);
      out.rule = o.rule;
    }
    if (out.name === undefined && out.rule === undefined) throw new ProfileError(at, 'needs a name and/or a rule');
    return out;
  });
}

/** Parse and validate a profile's text; `names` are the conversation names that exist. */
export function parseProfile(text: string, names: Iterable<string>): FuzzProfile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(msg);
    throw new ProfileError('$', `not JSON: ${msg}`, m ? Buffer.byteLength(text.slice(0, Number(m[1]))) : undefined);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProfileError('$', 'must be an object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!KNOWN_KEYS.has(k)) throw new ProfileError(`$.${k}`, `unknown key (known: ${[...KNOWN_KEYS].join(', ')})`);
  if (o.target !== undefined && typeof o.target !== 'string') throw new ProfileError('$.target', 'must be a string');
  const known = new Set(names);
  const ruleIds = new Set(catalogueStatus().map((e) => e.id));
  const p: FuzzProfile = {
    expectedFailures: entries(o.expectedFailures, '$.expectedFailures', known, ruleIds),
    disabled: entries(o.disabled, '$.disabled', known, ruleIds),
  };
  if (typeof o.target === 'string') p.target = o.target;
  if (o.alertMap !== undefined) p.alertMap = alertMapOf(o.alertMap, '$.alertMap');
  if (o.alertMaps !== undefined) {
    if (!Array.isArray(o.alertMaps)) throw new ProfileError('$.alertMaps', 'must be an array');
    p.alertMaps = o.alertMaps.map((e: unknown, i) => {
      const at = `$.alertMaps[${i}]`;
      if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new ProfileError(at, 'must be an object');
      const x = e as Record<string, unknown>;
      for (const k of Object.keys(x))
        if (!['rule', 'alertMap', 'reason'].includes(k))
          throw new ProfileError(`${at}.${k}`, 'unknown key (known: rule, alertMap, reason)');
      if (typeof x.rule !== 'string' || !anyMatch(x.rule, ruleIds))
        throw new ProfileError(`${at}.rule`, `unknown rule id ${JSON.stringify(x.rule)} (no rule matches it)`);
      if (typeof x.reason !== 'string' || !x.reason.trim())
        throw new ProfileError(`${at}.reason`, 'a non-empty reason is required');
      return { rule: x.rule, alertMap: alertMapOf(x.alertMap, `${at}.alertMap`), reason: x.reason };
    });
  }
  return p;
}

/** What a conversation is, for matching profile entries. */
export interface Subject {
  /** Operator, state scenario(s) or certificate fault names (empty for a valid handshake). */
  names: readonly string[];
  rules: readonly string[];
  /** The alerts the RFC names for what the conversation broke (strictest first). */
  expectedAlerts?: readonly string[];
  /** The alert the peer sent. */
  alert?: string;
}

export function matches(e: ProfileEntry, s: Subject): boolean {
  const name = e.name;
  const rule = e.rule;
  return (
    (name === undefined || s.names.some((n) => globMatch(name, n))) &&
    (rule === undefined || s.rules.some((r) => globMatch(rule, r)))
  );
}

/**
 * The alert map that accepts the peer's alert for this conversation, with
 * its reason: a per-rule map of one of its rules first, then the global
 * one. Undefined when no map accepts it.
 */
export function alertMappedBy(p: FuzzProfile, s: Subject): { from: string; to: string; reason: string } | undefined {
  const got = s.alert;
  if (got === undefined || !s.expectedAlerts?.length || s.expectedAlerts.includes(got)) return undefined;
  const maps: Array<{ map: AlertMap; reason: string }> = [
    ...(p.alertMaps ?? [])
      .filter((m) => s.rules.some((r) => globMatch(m.rule, r)))
      .map((m) => ({ map: m.alertMap, reason: `${m.reason} (alertMaps, rule ${m.rule})` })),
    ...(p.alertMap ? [{ map: p.alertMap, reason: "the profile's alertMap" }] : []),
  ];
  for (const { map, reason } of maps)
    for (const want of s.expectedAlerts) if (map[want]?.includes(got)) return { from: want, to: got, reason };
  return undefined;
}

/** The disabled entry that switches this conversation off, if any. */
export function disabledBy(p: FuzzProfile, s: Subject): ProfileEntry | undefined {
  return p.disabled.find((e) => matches(e, s));
}

export function expectedFailureOf(p: FuzzProfile, s: Subject): ProfileEntry | undefined {
  return p.expectedFailures.find((e) => matches(e, s));
}
