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
 */
import { catalogueStatus } from '../oracles/catalogue';

export interface ProfileEntry {
  /** Conversation name: operator, state scenario or certificate fault. */
  name?: string;
  rule?: string;
  reason: string;
}

export interface FuzzProfile {
  target?: string;
  expectedFailures: ProfileEntry[];
  disabled: ProfileEntry[];
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

const KNOWN_KEYS = new Set(['target', 'expectedFailures', 'disabled', '$comment']);
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
      if (typeof o.name !== 'string' || !names.has(o.name))
        throw new ProfileError(`${at}.name`, `unknown conversation name ${JSON.stringify(o.name)}`);
      out.name = o.name;
    }
    if (o.rule !== undefined) {
      if (typeof o.rule !== 'string' || !ruleIds.has(o.rule))
        throw new ProfileError(`${at}.rule`, `unknown rule id ${JSON.stringify(o.rule)}`);
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
  return p;
}

/** What a conversation is, for matching profile entries. */
export interface Subject {
  /** Operator, state scenario(s) or certificate fault names (empty for a valid handshake). */
  names: readonly string[];
  rules: readonly string[];
}

export function matches(e: ProfileEntry, s: Subject): boolean {
  return (e.name === undefined || s.names.includes(e.name)) && (e.rule === undefined || s.rules.includes(e.rule));
}

/** The disabled entry that switches this conversation off, if any. */
export function disabledBy(p: FuzzProfile, s: Subject): ProfileEntry | undefined {
  return p.disabled.find((e) => matches(e, s));
}

export function expectedFailureOf(p: FuzzProfile, s: Subject): ProfileEntry | undefined {
  return p.expectedFailures.find((e) => matches(e, s));
}
