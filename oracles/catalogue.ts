/**
 * Our rule catalogue: every rule declaration, in one fixed order (verdict
 * order is part of reproducibility), the `RuleId` union derived from the
 * declarations, and the checklist ids we do not declare, each with its
 * reason. The reference catalogue (fixtures/reference/tls-rules.json) is
 * read only by oracles/drift.test.ts.
 */
import type { TlsVersion } from '../wire/vocabulary';
import type { Evidence, Rule, RuleGroup } from './rule';
import { alertRules } from './rules/alerts';
import { certCompressionRules } from './rules/cert-compression';
import { certConstraintRules } from './rules/cert-constraints';
import { certificateMessageRules } from './rules/certificate-messages';
import { certificatePathRules } from './rules/certificates';
import { extensionRules } from './rules/extensions';
import { freshnessRules } from './rules/freshness';
import { groupRules } from './rules/groups';
import { keyExchangeRules } from './rules/key-exchange';
import { keyScheduleRules } from './rules/key-schedule';
import { mlkemRules } from './rules/mlkem';
import { receiverDutyRules } from './rules/receiver-duties';
import { recordRules } from './rules/record';
import { recordProtectionRules } from './rules/record-protection';
import { pskRules } from './rules/psk';
import { renegotiationRules } from './rules/renegotiation';
import { resumptionRules } from './rules/resumption';
import { signatureHashRules } from './rules/signature-hashes';
import { signatureRules } from './rules/signatures';
import { t12FinishRules } from './rules/t12-finish';
import { t12NegotiationRules } from './rules/t12-negotiation';
import { t12OrderRules } from './rules/t12-order';
import { t13FlightRules } from './rules/t13-flights';
import { t13NegotiationRules } from './rules/t13-negotiation';
import { t13OrderRules } from './rules/t13-order';
import { t13ProtectedRules } from './rules/t13-protected';
import { t13RetryPskRules } from './rules/t13-retry-psk';
import { t13SignatureRules } from './rules/t13-signatures';
import { versionRules } from './rules/versions';

const DECLARED = [
  ...recordRules,
  ...alertRules,
  ...t12OrderRules,
  ...t12FinishRules,
  ...t13OrderRules,
  ...t13FlightRules,
  ...t12NegotiationRules,
  ...signatureHashRules,
  ...t13NegotiationRules,
  ...t13RetryPskRules,
  ...versionRules,
  ...extensionRules,
  ...renegotiationRules,
  ...pskRules,
  ...certCompressionRules,
  ...groupRules,
  ...t13ProtectedRules,
  ...resumptionRules,
  ...signatureRules,
  ...t13SignatureRules,
  ...keyScheduleRules,
  ...keyExchangeRules,
  ...freshnessRules,
  ...mlkemRules,
  ...recordProtectionRules,
  ...certificatePathRules,
  ...certificateMessageRules,
  ...certConstraintRules,
  ...receiverDutyRules,
];

/**
 * The id of a declared rule: the union of the declarations' literal ids.
 * A check that itself names or reads RuleIds (ruleById, expectedReaction,
 * liveVerdicts) makes the rule's type depend on RuleId: annotate such a
 * check's return type (`: Outcome[]`) or TypeScript reports a circular
 * inference (TS7022/TS7023).
 */
export type RuleId = (typeof DECLARED)[number]['id'];

/** Every rule we declare, in a fixed order. */
export const allRules: readonly Rule[] = DECLARED;

/** The rules a transcript can decide (those with a check), in the same order: what the evaluator runs. */
export const transcriptRules: readonly Rule[] = allRules.filter((r) => r.check !== undefined);

const BY_ID: ReadonlyMap<string, Rule> = new Map(allRules.map((r) => [r.id, r]));

/** A rule id from a file or the command line: is it one we declare? */
export function isRuleId(s: string): s is RuleId {
  return BY_ID.has(s);
}

/** The declaration of a rule. */
export function ruleById(id: RuleId): Rule {
  const r = BY_ID.get(id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
}

/** A checklist rule we do not declare, with the checklist's group, versions and evidence, and why. */
export interface NotDeclared {
  id: string;
  group: RuleGroup;
  versions: readonly TlsVersion[];
  evidence: Evidence;
  reason: string;
}

/** The checklist ids with no declaration, each with its reason (`tlsprop rules --missing`). */
export const NOT_DECLARED: readonly NotDeclared[] = [
  {
    id: 't13.neg.hrr-when-needed',
    group: 'negotiation',
    versions: ['1.3'],
    evidence: 'plaintext',
    reason: "needs the server's group preferences (live peer): a transcript cannot show that it could have retried",
  },
  {
    id: 'ext.sigalgs-cert-scope',
    group: 'negotiation',
    versions: ['1.2', '1.3'],
    evidence: 'plaintext',
    reason: 'a scoping definition; it is checked through cert.sigalgs.server-chain and cert.sigalgs.client-chain',
  },
  {
    id: 'cert.path.revocation',
    group: 'certificates',
    versions: ['1.2', '1.3'],
    evidence: 'plaintext',
    reason: 'needs CRLs or OCSP responses, which a transcript does not carry (stapled OCSP is not parsed)',
  },
];

/** One line of `tlsprop rules`: a declared rule, or a checklist rule we do not declare. */
export interface CatalogueStatus {
  id: string;
  group: RuleGroup;
  versions: readonly TlsVersion[];
  evidence: Evidence;
  implemented: boolean;
  reason?: string;
  /** Declared by us but not in the reference checklist (the declaration's `overrides.checklist` says why). */
  extra?: true;
  /** The evidence spans the connections of a run, not one transcript (rule.ts `across`; oracles/across.ts decides it). */
  spans?: 'connections';
}

/** Declared rules (registry order), then the checklist rules we do not declare. */
export function catalogueStatus(rules: readonly Rule[] = allRules): CatalogueStatus[] {
  const out: CatalogueStatus[] = rules.map((r) => {
    const s: CatalogueStatus = { id: r.id, group: r.group, versions: r.versions, evidence: r.evidence, implemented: true };
    if (r.overrides?.checklist) s.extra = true;
    if (r.across) s.spans = 'connections';
    return s;
  });
  for (const n of NOT_DECLARED)
    out.push({ id: n.id, group: n.group, versions: n.versions, evidence: n.evidence, implemented: false, reason: n.reason });
  return out;
}
