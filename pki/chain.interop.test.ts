import { execFileSync } from 'node:child_process';
import { type CertSpec, buildChain, chainPem, KeyUsage } from './chain';
import { type KeyType, KeyPool, keyPem } from './keypool';
import { OID, parseCert } from './parse';
import { pemBlocks } from './pem';
import { PROVIDERS } from '../crypto/testing/providers';

const now = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;

function spec(subject: string, type: KeyType, ca: boolean): CertSpec {
  return {
    subject,
    key: { type, index: 0 },
    serial: 'ff01',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    basicConstraints: ca ? { ca: true, pathLen: 1 } : { ca: false },
    keyUsage: ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature,
    extKeyUsage: ca ? null : ['serverAuth', 'clientAuth'],
    san: ca ? null : { dns: ['www.example.test'], ips: ['127.0.0.1', '::1'] },
  };
}

describe.each(PROVIDERS)('buildChain (%s)', (_name, make) => {
  const provider = make();
  const pool = new KeyPool({ provider });
  it('signs each certificate with the algorithm of its issuer key and keeps DER, parsed form and key', async () => {
    const certs = await buildChain(
      [
        spec('CN=leaf', 'rsa2048', false),
        spec('CN=i2', 'ed25519', true),
        spec('CN=i1', 'ecdsa-p384', true),
        spec('CN=root', 'ecdsa-p256', true),
      ],
      pool,
      provider,
    );
    // leaf signed by Ed25519, i2 by P-384, i1 by P-256, root by itself (P-256)
    expect(certs.map((c) => c.parsed.sigAlgOid)).toEqual([
      '1.3.101.112',
      '1.2.840.10045.4.3.3',
      '1.2.840.10045.4.3.2',
      '1.2.840.10045.4.3.2',
    ]);
    expect(certs.map((c) => c.parsed.keyAlgOid)).toEqual([OID.rsaEncryption, OID.ed25519, OID.ecPublicKey, OID.ecPublicKey]);
    for (let i = 0; i + 1 < certs.length; i++) {
      // @peculiar/x509 (another implementation than ours) agrees that each signature verifies
      expect(
        await certs[i]!.parsed.x509.verify({ publicKey: certs[i + 1]!.parsed.x509, signatureOnly: true }, provider.webcrypto),
      ).toBe(true);
      expect(certs[i]!.parsed.issuer).toBe(certs[i + 1]!.parsed.subject);
    }
    const leaf = certs[0]!.parsed;
    const serial = execFileSync('openssl', ['x509', '-noout', '-serial'], { input: certs[0]!.pem }).toString();
    expect(serial.trim()).toBe('serial=FF01'); // positive INTEGER 00 ff 01
    expect(leaf.san).toEqual({ dns: ['www.example.test'], ips: ['127.0.0.1', '::1'] });
    expect(leaf.extKeyUsage).toEqual([OID.serverAuth, OID.clientAuth]);
    expect(certs[1]!.parsed.basicConstraints).toEqual({ ca: true, pathLen: 1, critical: true });
    expect(certs[0]!.key.type).toBe('rsa2048');
    // PEM export round-trips, and openssl reads it
    const pem = chainPem(certs);
    expect(pemBlocks(pem, 'CERTIFICATE').map((d) => parseCert(d).hex)).toEqual(certs.map((c) => c.parsed.hex));
    const text = execFileSync('openssl', ['x509', '-noout', '-subject'], { input: certs[0]!.pem }).toString();
    expect(text).toContain('CN = leaf');
    const keyText = execFileSync('openssl', ['pkey', '-noout', '-text'], { input: keyPem(certs[0]!.key).privateKey }).toString();
    expect(keyText).toContain('2048 bit');
  });
});
