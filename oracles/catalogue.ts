/**
 * The registry of our rule declarations, and the rule catalogue
 * (`catalogue-ids.json`, copied from the shared reference `tls-rules.json`:
 * ids, group, versions, evidence; no statements) with, for each catalogue
 * rule we do not implement, the reason.
 */
import catalogueData from './catalogue-ids.json';
import { certificateRules } from './certificates';
import { cryptoRules } from './crypto';
import { negotiationRules } from './negotiation';
import { orderingRules } from './ordering';
import { readableRules } from './readable';
import { recordKeyRules } from './recordkeys';
import { recordRules } from './record';
import { resumptionRules } from './resumption';
import type { Evidence, Rule, RuleGroup } from './rule';

export interface CatalogueEntry {
  id: string;
  group: RuleGroup;
  versions: string[];
  role: string;
  strength: string;
  rfc: string;
  alert: string | null;
  /** Letters: a = plaintext, b = keys, c = live peer; the first says how a sender's violation is detected. */
  evidence: string[];
}

export const catalogue: readonly CatalogueEntry[] = catalogueData as CatalogueEntry[];

/** Every rule we declare, in a fixed order. */
export const allRules: readonly Rule[] = [
  ...recordRules,
  ...orderingRules,
  ...negotiationRules,
  ...readableRules,
  ...resumptionRules,
  ...cryptoRules,
  ...recordKeyRules,
  ...certificateRules,
];

export function evidenceOf(e: CatalogueEntry): Evidence {
  const first = e.evidence[0];
  return first === 'a' ? 'plaintext' : first === 'b' ? 'keys' : 'live';
}

const SPECIFIC: Record<string, string> = {
  'alert.close-notify': 'needs to know when each side closed its TCP direction, which the transcript does not carry',
  't13.neg.hrr-when-needed':
    "needs the server's group preferences (live peer): a transcript cannot show that it could have retried",
  'ext.ffdhe.group-selection':
    'needs the dh_p of ServerKeyExchange compared with all RFC 7919 primes (crypto/ffdhe has only two of five): not implemented yet',
  'ext.sigalgs-cert-scope': 'a scoping definition; it is checked through cert.sigalgs.server-chain and cert.sigalgs.client-chain',
  'ver.t13.0rtt-needs-13': 'needs 0-RTT records recognised in a TLS 1.2 answer: not implemented yet',
  'rec.t13.early-data-limit': 'needs decrypted 0-RTT byte counts and a live peer',
  'ext.reneg.secure': 'renegotiation handshakes are encrypted: needs keys and the previous verify_data',
  'ext.reneg.legacy': 'renegotiation handshakes are encrypted: needs keys',
  'ver.t13.no-13-in-renegotiation': 'renegotiation handshakes are encrypted: needs keys',
  'cert.path.revocation': 'needs CRLs or OCSP responses, which a transcript does not carry (stapled OCSP is not parsed)',
};

/** Why a catalogue rule has no declaration. */
export function missingReason(e: CatalogueEntry): string {
  const s = SPECIFIC[e.id];
  if (s) return s;
  if (evidenceOf(e) === 'live')
    return 'needs a live peer (how a receiver reacts to a bad message): not checkable from a transcript file';
  if (e.group === 'crypto')
    return evidenceOf(e) === 'keys'
      ? 'needs keys: crypto oracles not implemented yet'
      : 'crypto oracles (signatures, key exchange values) not implemented yet';
  if (e.group === 'certificates') return 'certificate oracles (pki/) not implemented yet';
  return 'not implemented yet';
}

export interface CatalogueStatus {
  id: string;
  group: RuleGroup;
  versions: string[];
  evidence: Evidence;
  implemented: boolean;
  reason?: string;
  /** Declared by us but not in the catalogue. */
  extra?: boolean;
}

export function catalogueStatus(rules: readonly Rule[] = allRules): CatalogueStatus[] {
  const declared = new Map(rules.map((r) => [r.id, r]));
  const out: CatalogueStatus[] = catalogue.map((e) => {
    const s: CatalogueStatus = {
      id: e.id,
      group: e.group,
      versions: e.versions,
      evidence: evidenceOf(e),
      implemented: declared.has(e.id),
    };
    if (!s.implemented) s.reason = missingReason(e);
    return s;
  });
  const known = new Set(catalogue.map((e) => e.id));
  for (const r of rules)
    if (!known.has(r.id))
      out.push({ id: r.id, group: r.group, versions: r.versions, evidence: r.evidence, implemented: true, extra: true });
  return out;
}
