/**
 * Client-certificate faults as live conversations: our client presents a
 * certificate the target must not accept (expired, signed by the wrong key,
 * issued by a CA the target does not know). The faulty leaves are built from
 * the test PKI's root key (the CA the target is told to trust), so only the
 * fault differs from a good client certificate. Each fault names its
 * certificate rule (pki/faults.ts vocabulary) and the alerts a conforming
 * target sends, from the catalogue.
 */
import { type Identity, identityOf } from '../engine/config';
import type { TestPki } from '../engine/fixtures';
import { type BuiltCert, buildCert, type CertSpec, flipSignatureBit, KeyUsage } from '../pki/chain';
import { FAULT_RULES } from '../pki/faults';
import type { CryptoProvider } from '../crypto/provider';
import type { KeyPool } from '../pki/keypool';
import { allowedAlerts } from './conversation';

export const CERT_FAULTS = ['client-cert-expired', 'client-cert-wrong-key', 'client-cert-unknown-ca'] as const;
export type CertFault = (typeof CERT_FAULTS)[number];

/** The rule a target breaks by accepting the certificate. */
export const CERT_FAULT_RULES: Record<CertFault, string> = {
  'client-cert-expired': FAULT_RULES['expired-leaf'],
  'client-cert-wrong-key': FAULT_RULES['bad-signature'],
  'client-cert-unknown-ca': FAULT_RULES['untrusted-root'],
};

/**
 * Alerts a conforming target may send: the catalogue's for the rule; for a
 * bad signature also decrypt_error (RFC 5246 §7.2.2: "unable to correctly
 * verify a signature"), which OpenSSL and others send for it.
 */
export function certFaultAlerts(f: CertFault): string[] {
  // decrypt_error for a wrong signature comes from the RFC-backed alternates of peer/conversation.ts
  return allowedAlerts([CERT_FAULT_RULES[f]]);
}

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

/** Our client's identity for a fault (leaf only in the chain). `client-cert-wrong-key`: a signature that the issuer's key does not verify (one bit flipped), the same check as a signature by another key, without the authority key id pointing elsewhere. */
export async function faultyClientIdentity(pki: TestPki, fault: CertFault, now = Date.now()): Promise<Identity> {
  const { pool, provider } = pki;
  const root = pki.root;
  let leaf: BuiltCert;
  switch (fault) {
    case 'client-cert-expired':
      leaf = await buildCert(leafSpec('CN=tlsprop expired client, O=tlsprop', now, { from: -60, to: -30 }), root, pool, provider);
      break;
    case 'client-cert-wrong-key':
      // issued by the real root (issuer name and authority key id match), but its signature does not verify under the root's key
      leaf = flipSignatureBit(
        await buildCert(leafSpec('CN=tlsprop wrong-key client, O=tlsprop', now, { from: -1, to: 30 }), root, pool, provider),
      );
      break;
    case 'client-cert-unknown-ca':
      leaf = await buildCert(
        leafSpec('CN=tlsprop unknown-ca client, O=tlsprop', now, { from: -1, to: 30 }),
        await otherCa(root, 'CN=tlsprop unknown CA, O=elsewhere', pool, provider, now),
        pool,
        provider,
      );
      break;
  }
  return identityOf([leaf]);
}
