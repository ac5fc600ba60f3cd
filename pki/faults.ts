/**
 * Faulty chain variants. Each fault names the one catalogue rule
 * (tls-rules.json, group "certificates") that a correct validator reports
 * for it, and nothing else.
 */
import type { CertRuleId } from './rules';

export const FAULT_RULES = {
  /** One bit of a (leaf or intermediate) signature flipped. */
  'bad-signature': 'cert.path.signature',
  /** Leaf issuer name differs from its signer's subject (signature still good). */
  'issuer-mismatch': 'cert.path.issuer-subject',
  'expired-leaf': 'cert.path.validity',
  'not-yet-valid-leaf': 'cert.path.validity',
  /** The intermediate next to the leaf is expired. */
  'expired-intermediate': 'cert.path.validity',
  /** The intermediate next to the leaf has basicConstraints cA=FALSE. */
  'ca-false-intermediate': 'cert.path.ca-flag',
  /** The intermediate next to the leaf has no basicConstraints. */
  'missing-basic-constraints': 'cert.path.ca-flag',
  /** The top intermediate has pathLen 0 but another intermediate follows. */
  'path-length-exceeded': 'cert.path.path-length',
  /** The intermediate next to the leaf has keyUsage without keyCertSign. */
  'missing-key-cert-sign': 'cert.path.keycertsign',
  /** clientAuth-only leaf used as server, serverAuth-only leaf used as client. */
  'wrong-eku': 'cert.leaf.eku',
  /** Leaf key does not fit the negotiated scheme (e.g. ECDSA leaf for rsa_pss_rsae_sha256). */
  'scheme-mismatch': 'cert.leaf.key-type',
  /** Server name is not in the leaf's subjectAltName. */
  'san-mismatch': 'cert.leaf.name',
  /** The chain leads to a root that is not a trust anchor. */
  'untrusted-root': 'cert.path.trust-anchor',
} as const satisfies Record<string, CertRuleId>;

export type FaultKind = keyof typeof FAULT_RULES;
export const FAULT_KINDS = Object.keys(FAULT_RULES) as FaultKind[];

type FaultParams<K extends FaultKind> = K extends 'bad-signature' ? { target: 'leaf' | 'intermediate' } : unknown;

export type ChainFault = { [K in FaultKind]: { kind: K; rules: readonly [(typeof FAULT_RULES)[K]] } & FaultParams<K> }[FaultKind];

/** The fault value for a kind (bad-signature needs a target; default leaf). */
export function makeFault(kind: FaultKind, target: 'leaf' | 'intermediate' = 'leaf'): ChainFault {
  const rules = [FAULT_RULES[kind]] as const;
  if (kind === 'bad-signature') return { kind, rules: [FAULT_RULES[kind]], target };
  return { kind, rules } as ChainFault;
}
