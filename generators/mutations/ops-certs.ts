/**
 * Certificate chains with a fault, declared in the mutation model:
 *
 * - presented by the server (offline): the pki/faults chain faults, each a
 *   chain built by pki/plan.ts with one fault; the rule a correct validator
 *   reports for each fault is declared here (pki/ builds the chains, it does
 *   not know the rules);
 * - presented by our client (live, against servers that ask for a client
 *   certificate and trust the test root): an expired leaf, a leaf whose
 *   signature does not verify, a leaf of an unknown CA. The faulty leaves
 *   are built from the test PKI's root key (the CA the target is told to
 *   trust), so only the fault differs from a good client certificate.
 */
import type { RuleId } from '../../oracles/catalogue';
import { type Identity, identityOf } from '../../engine/config';
import type { TestPki } from '../../engine/fixtures';
import { type BuiltCert, buildCert, type CertSpec, flipSignatureBit, KeyUsage } from '../../pki/chain';
import { type FaultKind, makeFault } from '../../pki/faults';
import type { CryptoProvider } from '../../crypto/provider';
import type { KeyPool } from '../../pki/keypool';
import { type ChainPlan, renderPlan } from '../../pki/plan';
import type { CertRuleId } from '../../pki/rules';
import type { ClientCertificate, Mutation, ServerCertificate } from './model';

// ------------------------------------------------------------------ server chains (pki/faults)

function faultPlan(): ChainPlan {
  const v = { daysBefore: 30, daysAfter: 300 };
  return {
    atDay: 10,
    purpose: 'server',
    root: { key: { type: 'ecdsa-p256', index: 3 }, pathLenSlack: null, validity: v },
    intermediates: [{ key: { type: 'ecdsa-p256', index: 4 }, pathLenSlack: null, validity: v }],
    leaf: {
      key: { type: 'rsa2048', index: 2 },
      dns: ['localhost', 'example.test'],
      ips: [],
      eku: 'purpose',
      keyUsage: 'ds+ke',
      validity: v,
      serial: 77,
      nameTag: 1,
    },
    includeRoot: false,
    serverNameIndex: 0,
    schemeIndex: 0,
  };
}

/** A chain with one pki/faults fault, and the one certificate rule a correct validator reports for it (nothing else). */
function chainFault(kind: Exclude<FaultKind, 'scheme-mismatch'>, rule: CertRuleId): ServerCertificate {
  return {
    name: `cert-${kind}`,
    description: `server chain replaced by one with the pki/faults fault "${kind}"${kind === 'path-length-exceeded' ? ' (two intermediates)' : ''}`,
    versions: ['1.2', '1.3'],
    rules: [rule],
    chainFault: kind,
    where: 'certificate',
    presentedBy: 'server',
    bases: ['t12-rsa-kex', 't13-server-auth'],
    async apply(env) {
      const plan = faultPlan();
      const p: ChainPlan =
        kind === 'path-length-exceeded'
          ? {
              ...plan,
              intermediates: [{ ...plan.intermediates[0]!, key: { type: 'ecdsa-p256', index: 5 } }, ...plan.intermediates],
            }
          : plan;
      const r = await renderPlan(p, env.pki.pool, env.provider, makeFault(kind, 'leaf'));
      const leaf = r.certs[0]!;
      // the client does not validate (no trust anchors), so the handshake runs on and the transcript carries the whole chain
      const client = { ...env.client, serverName: r.context.serverName ?? 'localhost' };
      delete client.trustAnchors;
      return {
        client,
        server: { ...env.server, identity: { chain: r.presented, pkcs8: leaf.key.pkcs8, spki: leaf.key.spki } },
        check: { trustAnchors: r.trustAnchors, at: r.context.at, privateKeys: [leaf.key.pkcs8] },
      };
    },
  };
}

// scheme-mismatch is shown by t12-ske-scheme-key-mismatch (a ServerKeyExchange hook, operators.ts): the engine signs
// with a scheme that fits its key, so no chain alone makes a handshake show it
export const CHAIN_MUTATIONS: readonly Mutation[] = [
  chainFault('bad-signature', 'cert.path.signature'),
  chainFault('issuer-mismatch', 'cert.path.issuer-subject'),
  chainFault('expired-leaf', 'cert.path.validity'),
  chainFault('not-yet-valid-leaf', 'cert.path.validity'),
  chainFault('expired-intermediate', 'cert.path.validity'),
  chainFault('ca-false-intermediate', 'cert.path.ca-flag'),
  chainFault('missing-basic-constraints', 'cert.path.ca-flag'),
  chainFault('path-length-exceeded', 'cert.path.path-length'),
  chainFault('missing-key-cert-sign', 'cert.path.keycertsign'),
  chainFault('wrong-eku', 'cert.leaf.eku'),
  chainFault('san-mismatch', 'cert.leaf.name'),
  chainFault('untrusted-root', 'cert.path.trust-anchor'),
];

// ------------------------------------------------------------------ client certificates (live)

const DAY = 86_400_000;

function leafSpec(subject: string, now: number, validity: { from: number; to: number }): CertSpec {
  return {
    subject,
    key: { type: 'rsa2048', index: 1 },
    serial: '7001',
    notBefore: new Date(now + validity.from * DAY),
    notAfter: new Date(now + validity.to * DAY),
    basicConstraints: { ca: false },
    keyUsage: KeyUsage.digitalSignature | KeyUsage.keyEncipherment,
    extKeyUsage: ['clientAuth'],
    san: { dns: ['localhost'], ips: ['127.0.0.1'] },
  };
}

/** A CA certificate with `subject` on another pool key than the test root's. */
async function otherCa(
  root: BuiltCert,
  subject: string,
  pool: KeyPool,
  provider: CryptoProvider,
  now: number,
): Promise<BuiltCert> {
  const index = (root.spec.key.index + 1) % pool.perType;
  return buildCert(
    {
      ...root.spec,
      subject,
      key: { type: root.spec.key.type, index },
      serial: '7f',
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 30 * DAY),
    },
    undefined,
    pool,
    provider,
  );
}

/** A client certificate fault: our client's identity (leaf only in the chain) built from the test PKI. */
function clientCertificate(
  name: string,
  description: string,
  rule: RuleId,
  leaf: (pki: TestPki, pool: KeyPool, provider: CryptoProvider, now: number) => Promise<BuiltCert>,
): ClientCertificate {
  return {
    name,
    description,
    versions: ['1.2', '1.3'],
    rules: [rule],
    where: 'certificate',
    presentedBy: 'client',
    bases: [],
    needs: { clientCert: true },
    async identity(pki: TestPki, now = Date.now()): Promise<Identity> {
      return identityOf([await leaf(pki, pki.pool, pki.provider, now)]);
    },
  };
}

export const CLIENT_CERTIFICATE_MUTATIONS: readonly Mutation[] = [
  clientCertificate(
    'client-cert-expired',
    'our client presents a leaf issued by the test root that expired 30 days ago',
    'cert.path.validity',
    (pki, pool, provider, now) =>
      buildCert(leafSpec('CN=tlsprop expired client, O=tlsprop', now, { from: -60, to: -30 }), pki.root, pool, provider),
  ),
  // issued by the real root (issuer name and authority key id match), but its signature does not verify under the root's
  // key (one bit flipped): the same check as a signature by another key, without the authority key id pointing elsewhere
  clientCertificate(
    'client-cert-wrong-key',
    'our client presents a leaf naming the test root as issuer whose signature does not verify with the root key',
    'cert.path.signature',
    async (pki, pool, provider, now) =>
      flipSignatureBit(
        await buildCert(leafSpec('CN=tlsprop wrong-key client, O=tlsprop', now, { from: -1, to: 30 }), pki.root, pool, provider),
      ),
  ),
  // no client certificate at all: RFC 5246 §7.4.6 / RFC 8446 §4.4.2.4 let the server go on without client
  // authentication or abort (handshake_failure / certificate_required); whether it "requires" one is its policy,
  // unknown to us, so the input breaks no rule and the reaction is cert.chain.client-empty's
  {
    name: 'client-cert-empty',
    description: 'our client answers the CertificateRequest with an empty Certificate (no client certificate at all)',
    versions: ['1.2', '1.3'],
    rules: [],
    reactionRules: ['cert.chain.client-empty'],
    where: 'certificate',
    presentedBy: 'client',
    bases: [],
    needs: { clientCert: true },
    identity: async () => undefined,
  },
  clientCertificate(
    'client-cert-unknown-ca',
    'our client presents a leaf issued by a CA the target was not told to trust',
    'cert.path.trust-anchor',
    async (pki, pool, provider, now) =>
      buildCert(
        leafSpec('CN=tlsprop unknown-ca client, O=tlsprop', now, { from: -1, to: 30 }),
        await otherCa(pki.root, 'CN=tlsprop unknown CA, O=elsewhere', pool, provider, now),
        pool,
        provider,
      ),
  ),
];
