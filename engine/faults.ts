/**
 * Named faults: switches that turn the engine into a deliberately faulty
 * target, for testing the fuzzer and the oracles (never for anything else).
 * Each fault is one known class of implementation bug, lives at the one
 * place in the engine where the check it breaks is made (`Endpoint.faulty`),
 * and names the catalogue rules a fuzzer must report when it finds it.
 *
 * The set is closed: a fault is a string literal id, so configurations and
 * CLI options are checked against FAULTS.
 */
import type { AlertName } from '../wire/registry';
import type { Side } from './hooks';

export const FAULT_IDS = [
  'accept-missing-cv',
  'accept-cv-wrong-transcript',
  'accept-early-ccs',
  'skip-finished-check',
  'accept-unoffered-suite',
  'accept-invalid-ecdh-point',
  'accept-expired-client-cert',
  'accept-wrongly-signed-client-cert',
  'ske-unoffered-scheme',
] as const;

export type Fault = (typeof FAULT_IDS)[number];
export type FaultVersion = '1.2' | '1.3';

export interface FaultInfo {
  id: Fault;
  /** What the faulty endpoint does (one line). */
  doc: string;
  /** The endpoints the fault can be switched on in. */
  sides: readonly Side[];
  /**
   * Catalogue rule ids a fuzzer must report when it finds the fault, per protocol version it exists in:
   * at least one of them (with several, which one depends on the input the fault let through).
   */
  rules: Readonly<Partial<Record<FaultVersion, readonly string[]>>>;
  /** The fatal alert a healthy engine sends for what the fault lets through (the peer's, for a sending fault). */
  healthyAlert: AlertName;
}

export const FAULTS: Readonly<Record<Fault, FaultInfo>> = {
  'accept-missing-cv': {
    id: 'accept-missing-cv',
    doc: 'server: a non-empty client Certificate without CertificateVerify is accepted (1.2: the CCS comes instead; 1.3: the Finished), the client counts as authenticated (CVE-2015-0205 class)',
    sides: ['server'],
    rules: { '1.2': ['t12.order.cv-iff-signing-cert'], '1.3': ['t13.order.client-cv-iff-nonempty'] },
    healthyAlert: 'unexpected_message',
  },
  'accept-cv-wrong-transcript': {
    id: 'accept-cv-wrong-transcript',
    doc: 'server: a well-formed client CertificateVerify whose signature does not verify over the handshake transcript is accepted (the verification result is not acted on)',
    sides: ['server'],
    rules: { '1.2': ['t12.cv.signature-valid'], '1.3': ['t13.cv.signature-valid'] },
    healthyAlert: 'decrypt_error',
  },
  'accept-early-ccs': {
    id: 'accept-early-ccs',
    doc: 'a ChangeCipherSpec that arrives before any keys are in use and before the point where one is due is ignored instead of fatal (CVE-2014-0224 class); in 1.3 only a server has such a CCS: one before the first ClientHello (RFC 8446 §5 lets a client drop a CCS as soon as its ClientHello is out)',
    sides: ['client', 'server'],
    rules: { '1.2': ['t12.order.ccs-timing'], '1.3': ['rec.t13.ccs-compat'] },
    healthyAlert: 'unexpected_message',
  },
  'skip-finished-check': {
    id: 'skip-finished-check',
    doc: "the peer's Finished verify_data is not compared with the expected value",
    sides: ['client', 'server'],
    rules: { '1.2': ['t12.fin.verify-data'], '1.3': ['t13.fin.verify-data'] },
    healthyAlert: 'decrypt_error',
  },
  'accept-unoffered-suite': {
    id: 'accept-unoffered-suite',
    doc: "client: a ServerHello (or HelloRetryRequest) cipher suite that was not offered is accepted when the engine implements it; server: its suite choice ignores the client's cipher_suites list",
    sides: ['client', 'server'],
    rules: { '1.2': ['t12.neg.suite-offered'], '1.3': ['t13.neg.suite-offered'] },
    healthyAlert: 'illegal_parameter',
  },
  'accept-invalid-ecdh-point': {
    id: 'accept-invalid-ecdh-point',
    doc: 'a peer ECDH value that fails validation is used anyway: a NIST-curve point from its X coordinate alone (as an x-only ladder would), anything else (identity, bad length, X off the curve, X25519 small order) as an all-zero shared secret',
    sides: ['client', 'server'],
    rules: { '1.2': ['ecdh.point-on-curve', 'ecdh.point-format'], '1.3': ['ecdh.point-on-curve', 'ecdh.point-format'] },
    healthyAlert: 'illegal_parameter',
  },
  'accept-expired-client-cert': {
    id: 'accept-expired-client-cert',
    doc: 'server: cert.path.validity problems of the client chain (expired or not yet valid) are ignored when trust anchors are configured',
    sides: ['server'],
    rules: { '1.2': ['cert.path.validity'], '1.3': ['cert.path.validity'] },
    healthyAlert: 'certificate_expired',
  },
  'accept-wrongly-signed-client-cert': {
    id: 'accept-wrongly-signed-client-cert',
    doc: 'server: cert.path.signature problems of the client chain (a certificate whose signature does not verify with its issuer key) are ignored',
    sides: ['server'],
    rules: { '1.2': ['cert.path.signature'], '1.3': ['cert.path.signature'] },
    healthyAlert: 'bad_certificate',
  },
  'ske-unoffered-scheme': {
    id: 'ske-unoffered-scheme',
    doc: "server (1.2): the ServerKeyExchange is signed with the first of the server's schemes that fits its key and that the client did NOT offer (the client's list is used only when it offered every fitting scheme)",
    sides: ['server'],
    rules: { '1.2': ['t12.neg.ske-sigalg'] },
    healthyAlert: 'illegal_parameter',
  },
};

/** A fault name that is not one of FAULT_IDS, or a fault switched on in an endpoint it does not apply to. */
export class FaultConfigError extends Error {
  override readonly name = 'FaultConfigError';
  constructor(
    readonly fault: string,
    readonly reason: string,
  ) {
    super(`fault ${JSON.stringify(fault)}: ${reason}`);
  }
}

export function isFault(s: string): s is Fault {
  return (FAULT_IDS as readonly string[]).includes(s);
}

/** Fault names from text (repeated options, each possibly a comma list); throws FaultConfigError on an unknown name. */
export function parseFaults(items: readonly string[]): Fault[] {
  const out: Fault[] = [];
  for (const name of items
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    if (!isFault(name)) throw new FaultConfigError(name, `unknown fault (known: ${FAULT_IDS.join(', ')})`);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** The faults switched on in one endpoint, checked against the side they apply to. */
export function faultSet(faults: readonly string[] | undefined, side: Side): ReadonlySet<Fault> {
  const set = new Set<Fault>();
  for (const f of faults ?? []) {
    if (!isFault(f)) throw new FaultConfigError(f, 'unknown fault');
    if (!FAULTS[f].sides.includes(side))
      throw new FaultConfigError(f, `applies to the ${FAULTS[f].sides.join(' and ')}, not the ${side}`);
    set.add(f);
  }
  return set;
}

/** Rules a fuzzer must report for a fault found in a handshake of this version (empty when the fault does not exist there). */
export function faultRules(f: Fault, version: FaultVersion): readonly string[] {
  return FAULTS[f].rules[version] ?? [];
}
