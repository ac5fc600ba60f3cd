/**
 * Chain plans: small plain data (what fast-check generates and shrinks)
 * compiled into certificate specs plus a validation context, and rendered
 * into real certificates with a KeyPool. A plan is always valid; a fault
 * turns it into the variant that breaks exactly one catalogue rule.
 */
import type { CryptoProvider } from '../crypto/provider';
import { SignatureScheme } from '../wire/registry';
import {
  type BuiltCert,
  buildCert,
  buildChain,
  type CertSpec,
  cacheOf,
  type EkuPurpose,
  flipSignatureBit,
  KeyUsage,
} from './chain';
import type { ChainFault } from './faults';
import type { KeyPool, KeyRef, KeyType } from './keypool';
import { newCertCache, type ParsedCertCache } from './parse';
import type { Purpose } from './validate';

const DAY = 86_400_000;
/** Day 0 of ChainPlan.atDay: 2026-01-01T12:00:00Z. */
export const PLAN_EPOCH = Date.UTC(2026, 0, 1, 12);

export interface ValidityPlan {
  /** notBefore = at - daysBefore days (>= 1). */
  daysBefore: number;
  /** notAfter = at + daysAfter days (>= 1). */
  daysAfter: number;
}

export interface CaPlan {
  key: KeyRef;
  /** null: no pathLenConstraint; else pathLen = intermediates below + slack. */
  pathLenSlack: number | null;
  validity: ValidityPlan;
}

export interface LeafPlan {
  key: KeyRef;
  dns: readonly string[];
  ips: readonly string[];
  /** 'purpose': only the EKU of ChainPlan.purpose; 'both': serverAuth+clientAuth; 'none': no EKU extension. */
  eku: 'purpose' | 'both' | 'none';
  /** 'ds+ke' adds keyEncipherment for RSA keys only. */
  keyUsage: 'ds' | 'ds+ke' | 'none';
  validity: ValidityPlan;
  serial: number;
  nameTag: number;
}

export interface ChainPlan {
  /** Validation time = PLAN_EPOCH + atDay days. */
  atDay: number;
  purpose: Purpose;
  root: CaPlan;
  /** Intermediates, the one under the root first. 0..3 of them. */
  intermediates: readonly CaPlan[];
  leaf: LeafPlan;
  /** Whether the presented chain carries the root (gnutls-serv sends the leaf only). */
  includeRoot: boolean;
  /** Picks the server name among leaf.dns (wildcards get a `svc` label). */
  serverNameIndex: number;
  /** Picks the negotiated scheme among those that fit the leaf key. */
  schemeIndex: number;
}

export interface FaultyPlan {
  plan: ChainPlan;
  fault: ChainFault;
}

export interface ValidationContext {
  at: Date;
  purpose: Purpose;
  serverName?: string;
  scheme: number;
}

export interface CompiledPlan {
  /** Leaf first; last is the self-signed root. */
  specs: CertSpec[];
  context: ValidationContext;
  includeRoot: boolean;
  /** Index (leaf-first) of a certificate whose signature gets a flipped bit. */
  flipIndex?: number;
  /** Spec of a different root to use as the only trust anchor. */
  otherRoot?: CertSpec;
}

export const ROOT_NAME = 'CN=tlsprop Root CA, O=tlsprop';
export const OTHER_ROOT_NAME = 'CN=tlsprop Other Root CA, O=tlsprop';
export const WRONG_ISSUER_NAME = 'CN=tlsprop Unrelated CA, O=tlsprop';
export const UNMATCHED_SERVER_NAME = 'unrelated.invalid';

const S = SignatureScheme;
/** Schemes a key of each type can sign with (TLS 1.3 view). */
export const SCHEMES_FOR_KEY: Record<KeyType, readonly number[]> = {
  rsa2048: [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pkcs1_sha256],
  'ecdsa-p256': [S.ecdsa_secp256r1_sha256],
  'ecdsa-p384': [S.ecdsa_secp384r1_sha384],
  ed25519: [S.ed25519],
  'ecdsa-p521': [S.ecdsa_secp521r1_sha512],
  ed448: [S.ed448],
  // The pool's RSASSA-PSS keys are restricted to SHA-256 (their SPKI parameters).
  'rsa-pss2048': [S.rsa_pss_pss_sha256],
  'rsa-pss2048-sha384': [S.rsa_pss_pss_sha384],
  'rsa-pss2048-sha512': [S.rsa_pss_pss_sha512],
};
/** A scheme the key type cannot sign with. */
export const MISMATCHED_SCHEME: Record<KeyType, number> = {
  rsa2048: S.ecdsa_secp256r1_sha256,
  'ecdsa-p256': S.rsa_pss_rsae_sha256,
  'ecdsa-p384': S.ecdsa_secp256r1_sha256, // curve mismatch (TLS 1.3 fixes the curve)
  ed25519: S.rsa_pss_rsae_sha256,
  'ecdsa-p521': S.ecdsa_secp384r1_sha384, // curve mismatch
  ed448: S.ed25519,
  'rsa-pss2048': S.rsa_pss_rsae_sha256, // rsae needs an rsaEncryption key (RFC 8446 §4.2.3)
  // RFC 8446 §4.2.3: "the parameters in the signature MUST be identical to those in the public key"
  'rsa-pss2048-sha384': S.rsa_pss_pss_sha256,
  'rsa-pss2048-sha512': S.rsa_pss_pss_sha384,
};

function window(at: number, v: ValidityPlan): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(at - v.daysBefore * DAY), notAfter: new Date(at + v.daysAfter * DAY) };
}

export function serverNameOf(plan: ChainPlan): string | undefined {
  if (plan.leaf.dns.length === 0) return undefined;
  const d = plan.leaf.dns[plan.serverNameIndex % plan.leaf.dns.length]!;
  return d.startsWith('*.') ? `svc${d.slice(1)}` : d;
}

/** Pad a plan to at least n intermediates (copies of the root's plan, added next to the leaf). */
function withIntermediates(plan: ChainPlan, n: number): ChainPlan {
  if (plan.intermediates.length >= n) return plan;
  const extra: CaPlan[] = [];
  for (let i = plan.intermediates.length; i < n; i++)
    extra.push({
      key: { ...plan.root.key, index: plan.root.key.index + 1 + i },
      pathLenSlack: null,
      validity: plan.root.validity,
    });
  return { ...plan, intermediates: [...plan.intermediates, ...extra] };
}

/** Plan (+ optional fault) -> certificate specs and validation context. Pure. */
export function compilePlan(plan0: ChainPlan, fault?: ChainFault): CompiledPlan {
  let plan = plan0;
  const k = fault?.kind;
  if (k === 'path-length-exceeded') plan = withIntermediates(plan, 2);
  else if (
    k === 'expired-intermediate' ||
    k === 'ca-false-intermediate' ||
    k === 'missing-basic-constraints' ||
    k === 'missing-key-cert-sign'
  )
    plan = withIntermediates(plan, 1);
  else if (fault?.kind === 'bad-signature' && fault.target === 'intermediate') plan = withIntermediates(plan, 1);
  if (k === 'san-mismatch') plan = { ...plan, purpose: 'server' };

  const at = PLAN_EPOCH + plan.atDay * DAY;
  const n = plan.intermediates.length;
  const caKu = KeyUsage.keyCertSign | KeyUsage.cRLSign;
  const caSpec = (p: CaPlan, subject: string, below: number, serial: string): CertSpec => ({
    subject,
    key: p.key,
    serial,
    ...window(at, p.validity),
    basicConstraints: p.pathLenSlack === null ? { ca: true } : { ca: true, pathLen: below + p.pathLenSlack },
    keyUsage: caKu,
    extKeyUsage: null,
    san: null,
  });
  const root = caSpec(plan.root, ROOT_NAME, n, '01');
  // inters[i] is plan.intermediates[i] (root side first)
  const inters = plan.intermediates.map((p, i) =>
    caSpec(p, `CN=tlsprop Intermediate CA ${i + 1}, O=tlsprop`, n - 1 - i, `1${i + 1}`),
  );

  const l = plan.leaf;
  const own: EkuPurpose = plan.purpose === 'server' ? 'serverAuth' : 'clientAuth';
  const other: EkuPurpose = plan.purpose === 'server' ? 'clientAuth' : 'serverAuth';
  let eku: EkuPurpose[] | null = l.eku === 'none' ? null : l.eku === 'both' ? ['serverAuth', 'clientAuth'] : [own];
  if (k === 'wrong-eku') eku = [other];
  const ku =
    l.keyUsage === 'none'
      ? null
      : l.keyUsage === 'ds+ke' && l.key.type === 'rsa2048'
        ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment
        : KeyUsage.digitalSignature;
  let leafWindow = window(at, l.validity);
  if (k === 'expired-leaf') leafWindow = window(at, { daysBefore: 400, daysAfter: -1 });
  if (k === 'not-yet-valid-leaf') leafWindow = window(at, { daysBefore: -1, daysAfter: 400 });
  const leaf: CertSpec = {
    subject: `CN=tlsprop leaf ${l.nameTag}, O=tlsprop`,
    key: l.key,
    serial: (0x1000 + l.serial).toString(16),
    ...leafWindow,
    basicConstraints: { ca: false },
    keyUsage: ku,
    extKeyUsage: eku,
    san: { dns: l.dns, ips: l.ips },
  };
  if (k === 'issuer-mismatch') leaf.issuerOverride = WRONG_ISSUER_NAME;

  // Faults on the intermediate next to the leaf (last in root-side-first order).
  const near = inters[inters.length - 1];
  if (near) {
    if (k === 'expired-intermediate') Object.assign(near, window(at, { daysBefore: 800, daysAfter: -1 }));
    if (k === 'ca-false-intermediate') near.basicConstraints = { ca: false };
    if (k === 'missing-basic-constraints') near.basicConstraints = null;
    if (k === 'missing-key-cert-sign') near.keyUsage = KeyUsage.digitalSignature | KeyUsage.cRLSign;
  }
  if (k === 'path-length-exceeded') inters[0]!.basicConstraints = { ca: true, pathLen: 0 };

  const specs = [leaf, ...[...inters].reverse(), root];
  let serverName = plan.purpose === 'server' ? serverNameOf(plan) : undefined;
  if (k === 'san-mismatch') serverName = UNMATCHED_SERVER_NAME;
  const schemes = SCHEMES_FOR_KEY[l.key.type];
  const scheme = k === 'scheme-mismatch' ? MISMATCHED_SCHEME[l.key.type] : schemes[plan.schemeIndex % schemes.length]!;
  const context: ValidationContext = { at: new Date(at), purpose: plan.purpose, scheme };
  if (serverName !== undefined) context.serverName = serverName;
  const out: CompiledPlan = { specs, context, includeRoot: plan.includeRoot };
  if (fault?.kind === 'bad-signature') out.flipIndex = fault.target === 'leaf' ? 0 : 1;
  if (k === 'untrusted-root')
    out.otherRoot = {
      ...root,
      subject: OTHER_ROOT_NAME,
      key: { ...plan.root.key, index: plan.root.key.index + 1 },
      serial: '02',
    };
  return out;
}

export interface RenderedChain {
  plan: ChainPlan;
  fault?: ChainFault;
  /** Every built certificate, leaf first, root last (after any fault was applied). */
  certs: BuiltCert[];
  /** What a peer would send: leaf first, the root only when plan.includeRoot. */
  presented: Uint8Array[];
  /** Trust anchors for validation (the root, or another root for untrusted-root). */
  anchors: BuiltCert[];
  trustAnchors: Uint8Array[];
  context: ValidationContext;
  /** Parsed forms of all certificates above, for validateChain's cache. */
  cache: ParsedCertCache;
}

/** Build the certificates of a plan (with an optional fault). */
export async function renderPlan(
  plan: ChainPlan,
  pool: KeyPool,
  provider: CryptoProvider,
  fault?: ChainFault,
): Promise<RenderedChain> {
  const compiled = compilePlan(plan, fault);
  const cache: ParsedCertCache = newCertCache();
  const certs = await buildChain(compiled.specs, pool, provider, cache);
  if (compiled.flipIndex !== undefined) certs[compiled.flipIndex] = flipSignatureBit(certs[compiled.flipIndex]!, cache);
  const anchors = compiled.otherRoot
    ? [await buildCert(compiled.otherRoot, undefined, pool, provider, cache)]
    : [certs[certs.length - 1]!];
  const presentedCerts = compiled.includeRoot ? certs : certs.slice(0, -1);
  const out: RenderedChain = {
    plan,
    certs,
    presented: presentedCerts.map((c) => c.der),
    anchors,
    trustAnchors: anchors.map((c) => c.der),
    context: compiled.context,
    cache: cacheOf([...certs, ...anchors], cache),
  };
  if (fault) out.fault = fault;
  return out;
}
