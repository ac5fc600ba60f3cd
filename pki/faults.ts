/**
 * Faulty chain variants: each fault is one way a chain is wrong. The rule a
 * correct validator reports for each (and nothing else) is declared with the
 * chain mutations of the mutation model (generators/mutations/ops-certs.ts);
 * pki/ builds the chains.
 */

export const FAULT_KINDS = [
  /** One bit of a (leaf or intermediate) signature flipped. */
  'bad-signature',
  /** Leaf issuer name differs from its signer's subject (signature still good). */
  'issuer-mismatch',
  'expired-leaf',
  'not-yet-valid-leaf',
  /** The intermediate next to the leaf is expired. */
  'expired-intermediate',
  /** The intermediate next to the leaf has basicConstraints cA=FALSE. */
  'ca-false-intermediate',
  /** The intermediate next to the leaf has no basicConstraints. */
  'missing-basic-constraints',
  /** The top intermediate has pathLen 0 but another intermediate follows. */
  'path-length-exceeded',
  /** The intermediate next to the leaf has keyUsage without keyCertSign. */
  'missing-key-cert-sign',
  /** clientAuth-only leaf used as server, serverAuth-only leaf used as client. */
  'wrong-eku',
  /** Leaf key does not fit the negotiated scheme (e.g. ECDSA leaf for rsa_pss_rsae_sha256). */
  'scheme-mismatch',
  /** Server name is not in the leaf's subjectAltName. */
  'san-mismatch',
  /** The chain leads to a root that is not a trust anchor. */
  'untrusted-root',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export type ChainFault =
  | { kind: Exclude<FaultKind, 'bad-signature'> }
  | { kind: 'bad-signature'; target: 'leaf' | 'intermediate' };

/** The fault value for a kind (bad-signature needs a target; default leaf). */
export function makeFault(kind: FaultKind, target: 'leaf' | 'intermediate' = 'leaf'): ChainFault {
  return kind === 'bad-signature' ? { kind, target } : { kind };
}
