/**
 * Certificates for engine tests and demos: a root and server/client leaves
 * from the committed pool keys (no key generation), valid around `now`.
 */
import { type CryptoProvider, nodeProvider } from '../crypto/provider';
import { schemeKeyMismatch } from '../crypto/signature';
import { SignatureScheme } from '../wire/registry';
import { type BuiltCert, buildCert, type CertSpec, KeyUsage } from '../pki/chain';
import { KeyPool, type KeyType } from '../pki/keypool';
import { type Identity, identityOf } from './config';
import { keyKindOf } from './core';

const DAY = 86_400_000;
export const SERVER_NAME = 'server.tlsprop.test';

/**
 * The leaves of `TestPki.more`: EdDSA (RFC 8410) and RSASSA-PSS (id-RSASSA-PSS, RFC 4055) keys, the latter with SHA-256,
 * SHA-384 and SHA-512 parameters (rsa_pss_pss_sha256 / sha384 / sha512, RFC 8446 §4.2.3).
 */
export const MORE_KEY_KINDS = ['ed25519', 'ed448', 'rsa-pss', 'rsa-pss-sha384', 'rsa-pss-sha512'] as const;
export type MoreKeyKind = (typeof MORE_KEY_KINDS)[number];
/** Every leaf key kind of the test PKI, for server and client. */
export type TestKeyKind = 'rsa' | 'ecdsa' | MoreKeyKind;

export interface TestPki {
  root: BuiltCert;
  server: Record<'rsa' | 'ecdsa', BuiltCert[]>;
  client: Record<'rsa' | 'ecdsa', BuiltCert[]>;
  /**
   * Ed25519, Ed448 and RSASSA-PSS leaves ('rsa-pss': rsa_pss_pss_sha256, its key's parameters SHA-256; 'rsa-pss-sha384' and
   * 'rsa-pss-sha512': rsa_pss_pss_sha384 / sha512)
   * under the same root, kept apart from `server`/`client` so their users that iterate the RSA / ECDSA leaves see the same.
   */
  more: Record<'server' | 'client', Record<MoreKeyKind, BuiltCert[]>>;
  /** The identity of a leaf (made once per role and kind). */
  identity(role: 'server' | 'client', key: TestKeyKind): Identity;
  anchors: Uint8Array[];
  /** The provider and key pool the certificates were built with (for more certificates under the same root). */
  provider: CryptoProvider;
  pool: KeyPool;
}

function spec(subject: string, type: KeyType, index: number, ca: boolean, now: number, serial: string): CertSpec {
  return {
    subject,
    key: { type, index },
    serial,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    basicConstraints: ca ? { ca: true } : { ca: false },
    keyUsage: ca
      ? KeyUsage.keyCertSign | KeyUsage.cRLSign
      : KeyUsage.digitalSignature | (type === 'rsa2048' ? KeyUsage.keyEncipherment : 0),
    extKeyUsage: ca ? null : ['serverAuth', 'clientAuth'],
    san: ca ? null : { dns: [SERVER_NAME, 'localhost'], ips: ['127.0.0.1'] },
  };
}

/**
 * Root (ECDSA P-256) and RSA / ECDSA leaves for server and client, root
 * included last in each chain. Built with `provider` (default: a fresh node
 * provider; this is a test and demo entry point).
 */
export async function testPki(now = Date.now(), provider: CryptoProvider = nodeProvider()): Promise<TestPki> {
  const pool = new KeyPool({ provider });
  const root = await buildCert(
    spec('CN=tlsprop engine root, O=tlsprop', 'ecdsa-p256', 2, true, now, '01'),
    undefined,
    pool,
    provider,
  );
  const leaf = async (cn: string, type: KeyType, index: number, serial: string) => [
    await buildCert(spec(`CN=${cn}, O=tlsprop`, type, index, false, now, serial), root, pool, provider),
    root,
  ];
  const server = { rsa: await leaf('server rsa', 'rsa2048', 0, '10'), ecdsa: await leaf('server ecdsa', 'ecdsa-p256', 0, '11') };
  const client = { rsa: await leaf('client rsa', 'rsa2048', 1, '20'), ecdsa: await leaf('client ecdsa', 'ecdsa-p384', 0, '21') };
  const moreOf = async (role: 'server' | 'client', index: number, serial: number) => ({
    ed25519: await leaf(`${role} ed25519`, 'ed25519', index, String(serial)),
    ed448: await leaf(`${role} ed448`, 'ed448', index, String(serial + 1)),
    'rsa-pss': await leaf(`${role} rsa-pss`, 'rsa-pss2048', index, String(serial + 2)),
    'rsa-pss-sha384': await leaf(`${role} rsa-pss-sha384`, 'rsa-pss2048-sha384', index, String(serial + 50)),
    'rsa-pss-sha512': await leaf(`${role} rsa-pss-sha512`, 'rsa-pss2048-sha512', index, String(serial + 51)),
  });
  const more = { server: await moreOf('server', 0, 13), client: await moreOf('client', 1, 23) };
  const identities = new Map<string, Identity>();
  const chainOf = (role: 'server' | 'client', key: TestKeyKind): BuiltCert[] =>
    key === 'rsa' || key === 'ecdsa' ? (role === 'server' ? server : client)[key] : more[role][key];
  return {
    root,
    server,
    client,
    more,
    identity: (role, key) => {
      const id = `${role}/${key}`;
      let i = identities.get(id);
      if (!i) {
        i = identityOf(chainOf(role, key));
        identities.set(id, i);
      }
      return i;
    },
    anchors: [root.der],
    provider,
    pool,
  };
}

/**
 * Ed25519 server and client leaves under `pki`'s root (committed pool keys 0
 * and 1), each chain leaf first with the root last, like the others. Kept
 * apart from TestPki so its users that iterate the RSA / ECDSA leaves see the same.
 */
export async function ed25519Leaves(pki: TestPki, now = Date.now()): Promise<Record<'server' | 'client', BuiltCert[]>> {
  const { pool, provider } = pki;
  const leaf = async (cn: string, index: number, serial: string) => [
    await buildCert(spec(`CN=${cn}, O=tlsprop`, 'ed25519', index, false, now, serial), pki.root, pool, provider),
    pki.root,
  ];
  return { server: await leaf('server ed25519', 0, '12'), client: await leaf('client ed25519', 1, '22') };
}

/**
 * A client identity whose chain leads to a root no target trusts: an RSA
 * leaf (clientAuth) under its own "tlsprop untrusted root" (committed pool
 * keys, ECDSA P-256 index 1 and RSA index 1), root last. The learner's
 * `certificate(untrusted)` input sends it (RFC 5246 §7.4.6, RFC 8446 §4.4.2.4:
 * a server that requires a trusted client certificate aborts).
 */
export async function untrustedClientIdentity(pki: TestPki, now = Date.now()): Promise<Identity> {
  const { pool, provider } = pki;
  const root = await buildCert(
    spec('CN=tlsprop untrusted root, O=tlsprop', 'ecdsa-p256', 1, true, now, '03'),
    undefined,
    pool,
    provider,
  );
  const leaf = await buildCert(
    spec('CN=client rsa under the untrusted root, O=tlsprop', 'rsa2048', 1, false, now, '30'),
    root,
    pool,
    provider,
  );
  return identityOf([leaf, root]);
}

/** The test PKI key kind of a certificate key (its SubjectPublicKeyInfo), or undefined for another (DSA, ...). */
export function testKeyKindOf(spki: Uint8Array): TestKeyKind | undefined {
  const k = keyKindOf(spki);
  if (k === 'rsa' || k === 'ed25519' || k === 'ed448') return k;
  // an id-RSASSA-PSS key by the hash its parameters restrict it to (none: any, taken as the SHA-256 one)
  if (k === 'rsa-pss')
    return schemeKeyMismatch(SignatureScheme.rsa_pss_pss_sha256, spki, 13) === undefined
      ? 'rsa-pss'
      : schemeKeyMismatch(SignatureScheme.rsa_pss_pss_sha384, spki, 13) === undefined
        ? 'rsa-pss-sha384'
        : schemeKeyMismatch(SignatureScheme.rsa_pss_pss_sha512, spki, 13) === undefined
          ? 'rsa-pss-sha512'
          : undefined;
  return k === 'ec-p256' || k === 'ec-p384' || k === 'ec-p521' ? 'ecdsa' : undefined;
}
