/**
 * Crypto section: our layer's signature and key-exchange rates on both
 * WebCrypto providers, next to `openssl speed` measured in the same run.
 */
import { deriveEcdh, generateEcdhKeyPair } from '../crypto/ecdh';
import { type CryptoProvider, nodeProvider, peculiarProvider } from '../crypto/provider';
import { generateSigningKey, sign, verifySignature } from '../crypto/signature';
import { SignatureScheme } from '../wire/registry';
import { type Figure, opensslSpeed, rate, withBaseline } from './harness';

export async function cryptoSection(seconds: number, log: (s: string) => void): Promise<Figure[]> {
  log('crypto: openssl speed baseline');
  const ossl = opensslSpeed(Math.max(1, Math.round(seconds)));
  const content = new Uint8Array(200).fill(7);
  const figures: Figure[] = [];
  const providers: Array<[string, CryptoProvider]> = [
    ['node', nodeProvider()],
    ['peculiar', peculiarProvider()],
  ];
  for (const [pname, p] of providers) {
    log(`crypto: ${pname} provider`);
    const sec = `crypto (${pname})`;
    for (const [name, scheme, base] of [
      ['RSA-2048 sign (rsa_pkcs1_sha256)', SignatureScheme.rsa_pkcs1_sha256, 'rsa2048'],
      ['ECDSA P-256 sign', SignatureScheme.ecdsa_secp256r1_sha256, 'ecdsap256'],
    ] as const) {
      const key = await generateSigningKey(p, scheme);
      const sig = await sign(p, key, content);
      const b = ossl[base];
      figures.push(
        withBaseline({
          section: sec,
          name,
          value: await rate(() => sign(p, key, content), seconds),
          unit: 'ops/s',
          ...(b ? { baseline: { tool: 'openssl speed', value: b.sign } } : {}),
        }),
      );
      figures.push(
        withBaseline({
          section: sec,
          name: name.replace('sign', 'verify'),
          value: await rate(() => verifySignature(p, scheme, key.spki, content, sig), seconds),
          unit: 'ops/s',
          ...(b ? { baseline: { tool: 'openssl speed', value: b.verify } } : {}),
        }),
      );
    }
    for (const [name, group, base] of [
      ['ECDH P-256 derive', 'secp256r1', 'ecdhp256'],
      ['X25519 derive', 'x25519', 'ecdhx25519'],
    ] as const) {
      const a = await generateEcdhKeyPair(p, group);
      const b = await generateEcdhKeyPair(p, group);
      const bl = ossl[base];
      figures.push(
        withBaseline({
          section: sec,
          name,
          value: await rate(() => deriveEcdh(p, group, a.privateKey, b.publicKey), seconds),
          unit: 'ops/s',
          ...(bl ? { baseline: { tool: 'openssl speed', value: bl } } : {}),
          note: 'includes our public-value validation; openssl speed counts keygen+derive',
        }),
      );
    }
  }
  return figures;
}
