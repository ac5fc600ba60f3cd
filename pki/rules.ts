/**
 * Catalogue ids (group "certificates" of fixtures/reference/tls-rules.json)
 * that the PKI layer reports. Spelled exactly as in the catalogue; a unit test
 * checks each against the file.
 */
export const CERT_RULES = [
  'cert.type-x509v3',
  'cert.path.signature',
  'cert.path.issuer-subject',
  'cert.path.validity',
  'cert.path.ca-flag',
  'cert.path.path-length',
  'cert.path.keycertsign',
  'cert.path.critical-extensions',
  'cert.path.trust-anchor',
  'cert.sig-alg-fields-match',
  'cert.leaf.key-usage',
  'cert.leaf.key-type',
  'cert.leaf.eku',
  'cert.leaf.name',
  'cert.weak-hash',
  'cert.chain.server-nonempty',
] as const;

export type CertRuleId = (typeof CERT_RULES)[number];
