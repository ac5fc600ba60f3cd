/**
 * The engine's test PKI written to a temporary directory as PEM, for real
 * peers: the root as CA file, and for server and client an RSA, an ECDSA, an
 * Ed25519, an Ed448 and an RSASSA-PSS leaf (certificate file holds the leaf
 * only; the root is the trust anchor).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestKeyKind, type TestPki, testPki } from '../engine/fixtures';
import { chainPem } from '../pki/chain';
import { keyPem } from '../pki/keypool';

/** A leaf's key kind: RSA, ECDSA, Ed25519, Ed448 or RSASSA-PSS (engine/fixtures.ts `TestPki.more`). */
export type KeyKind = TestKeyKind;

export interface PemPair {
  cert: string;
  key: string;
}

export interface PkiFiles {
  dir: string;
  pki: TestPki;
  /** Root certificate (PEM). */
  ca: string;
  server: Record<KeyKind, PemPair>;
  client: Record<KeyKind, PemPair>;
  /** Remove the directory. */
  cleanup(): void;
}

/** Write `pki` (default: a fresh testPki()) under a new temp directory. */
export async function writePki(pki?: TestPki, prefix = 'tlsprop-peer-'): Promise<PkiFiles> {
  const p = pki ?? (await testPki());
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Readable by peers that drop privileges (mosquitto started as root runs as user mosquitto).
  // The keys are the committed test pool keys, not secrets.
  chmodSync(dir, 0o755);
  const ca = join(dir, 'rootCA.crt');
  writeFileSync(ca, p.root.pem, { mode: 0o644 });
  const pair = (role: 'server' | 'client', kind: KeyKind): PemPair => {
    const leaf = (kind === 'rsa' || kind === 'ecdsa' ? p[role][kind] : p.more[role][kind])[0];
    if (!leaf) throw new Error(`test PKI has no ${role} ${kind} leaf`);
    const cert = join(dir, `${role}-${kind}.crt`);
    const key = join(dir, `${role}-${kind}.key`);
    writeFileSync(cert, chainPem([leaf]), { mode: 0o644 });
    writeFileSync(key, keyPem(leaf.key).privateKey, { mode: 0o644 });
    return { cert, key };
  };
  const pairs = (role: 'server' | 'client'): Record<KeyKind, PemPair> => ({
    rsa: pair(role, 'rsa'),
    ecdsa: pair(role, 'ecdsa'),
    ed25519: pair(role, 'ed25519'),
    ed448: pair(role, 'ed448'),
    'rsa-pss': pair(role, 'rsa-pss'),
    'rsa-pss-sha384': pair(role, 'rsa-pss-sha384'),
    'rsa-pss-sha512': pair(role, 'rsa-pss-sha512'),
  });
  return {
    dir,
    pki: p,
    ca,
    server: pairs('server'),
    client: pairs('client'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
