/**
 * Differential against the openssl command line (interop tier: it starts
 * openssl): fresh keys each run; what we sign, `openssl dgst -verify` /
 * `pkeyutl -verify` accepts, what openssl signs, we verify, and both sides
 * derive the same ECDH / DH secret from each other's public keys. Covers a
 * member of every family the crypto layer implements, on every provider.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pemToDer, derToPem } from '../pki/pem';
import { concatBytes, toHex } from '../wire/hex';
import { SignatureScheme as S } from '../wire/registry';
import { parseSpki, pkcs8ForEc, pkcs8ForOkp, privateKeyFromPkcs8, readTlv } from './der';
import { deriveEcdh, type EcdhGroup, generateEcdhKeyPair, sharedSecretLength } from './ecdh';
import { deriveDh, type FfdheGroup, generateDhKeyPair } from './ffdhe';
import { WEIERSTRASS, MONTGOMERY } from './curves';
import { type SigningKey, schemeInfo, sign, verifySignature } from './signature';
import { PROVIDERS } from './testing/providers';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsprop-openssl-diff-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f = (n: string) => join(dir, n);
const ssl = (...args: string[]): Buffer => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
const message = new TextEncoder().encode('tlsprop differential: signed by one side, checked by the other');

/** openssl genpkey arguments of a key fitting each scheme family. */
const KEYGEN: Array<[string, number, string[]]> = [
  ['rsa_pkcs1_sha224', S.rsa_pkcs1_sha224, ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']],
  ['rsa_pkcs1_sha1', S.rsa_pkcs1_sha1, ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']],
  ['rsa_md5', S.rsa_md5, ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']],
  ['rsa_pss_rsae_sha384', S.rsa_pss_rsae_sha384, ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']],
  [
    'rsa_pss_pss_sha512',
    S.rsa_pss_pss_sha512,
    [
      '-algorithm',
      'RSA-PSS',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-pkeyopt',
      'rsa_pss_keygen_md:sha512',
      '-pkeyopt',
      'rsa_pss_keygen_mgf1_md:sha512',
      '-pkeyopt',
      'rsa_pss_keygen_saltlen:64',
    ],
  ],
  ['ecdsa_sha224 (P-384 key)', S.ecdsa_sha224, ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']],
  ['ecdsa_secp521r1_sha512', S.ecdsa_secp521r1_sha512, ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521']],
  [
    'ecdsa_brainpoolP384r1tls13_sha384',
    S.ecdsa_brainpoolP384r1tls13_sha384,
    ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP384r1'],
  ],
  ['ed448', S.ed448, ['-algorithm', 'ED448']],
  ['ed25519', S.ed25519, ['-algorithm', 'ED25519']],
];

/** `openssl dgst` arguments that make / check the scheme's signature (EdDSA: pkeyutl -rawin). */
function dgstArgs(code: number): string[] {
  const s = schemeInfo(code)!;
  const h = s.hash?.toLowerCase().replace('-', '') ?? '';
  const salt = s.hash ? { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 }[s.hash as 'SHA-256'] : undefined;
  if (s.kind === 'rsa_pss_rsae' || s.kind === 'rsa_pss_pss')
    return [`-${h}`, '-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${salt}`];
  return [`-${h}`];
}

function opensslKey(name: string, gen: string[]): SigningKey & { pem: string } {
  ssl('genpkey', ...gen, '-out', f(`${name}.pem`));
  ssl('pkey', '-in', f(`${name}.pem`), '-pubout', '-outform', 'DER', '-out', f(`${name}.spki`));
  ssl('pkey', '-in', f(`${name}.pem`), '-pubout', '-out', f(`${name}.pub.pem`));
  const pem = readFileSync(f(`${name}.pem`), 'utf8');
  return { scheme: 0, pkcs8: pemToDer(pem, 'PRIVATE KEY'), spki: new Uint8Array(readFileSync(f(`${name}.spki`))), pem };
}

describe.each(PROVIDERS)('signatures: us against openssl (%s)', (pname, make) => {
  const p = make();
  test.each(KEYGEN)('%s', async (label, code, gen) => {
    const name = `${pname}-${label.replace(/\W+/g, '_')}`;
    const key = { ...opensslKey(name, gen), scheme: code };
    writeFileSync(f('msg'), message);
    const eddsa = code === S.ed25519 || code === S.ed448;
    const version = schemeInfo(code)!.legacy ? 12 : 13;
    // ours -> openssl
    const ours = await sign(p, key, message);
    writeFileSync(f(`${name}.ours`), ours);
    const check = eddsa
      ? ['pkeyutl', '-verify', '-rawin', '-pubin', '-inkey', f(`${name}.pub.pem`), '-in', f('msg'), '-sigfile', f(`${name}.ours`)]
      : ['dgst', ...dgstArgs(code), '-verify', f(`${name}.pub.pem`), '-signature', f(`${name}.ours`), f('msg')];
    expect(ssl(...check).toString()).toMatch(/Verified OK|Signature Verified Successfully/);
    // openssl -> ours
    const make = eddsa
      ? ['pkeyutl', '-sign', '-rawin', '-inkey', f(`${name}.pem`), '-in', f('msg'), '-out', f(`${name}.theirs`)]
      : ['dgst', ...dgstArgs(code), '-sign', f(`${name}.pem`), '-out', f(`${name}.theirs`), f('msg')];
    ssl(...make);
    const theirs = new Uint8Array(readFileSync(f(`${name}.theirs`)));
    expect(await verifySignature(p, code, key.spki, message, theirs, { version })).toEqual({ ok: true });
    const other = Uint8Array.from(message);
    other[0]! ^= 1;
    expect((await verifySignature(p, code, key.spki, other, theirs, { version })).ok).toBe(false);
  });
});

/** The raw private value in an openssl PKCS#8 key (EC scalar padded to the field, X25519/X448 string, DH exponent). */
function rawPrivate(pkcs8: Uint8Array, g: EcdhGroup | FfdheGroup): Uint8Array {
  if (g.startsWith('ffdhe')) {
    const seq = readTlv(pkcs8, 0, 'pkcs8');
    const alg = readTlv(pkcs8, readTlv(pkcs8, seq.contentStart, 'v').end, 'alg');
    const x = readTlv(pkcs8, readTlv(pkcs8, alg.end, 'oct').contentStart, 'x');
    const v = pkcs8.subarray(x.contentStart, x.end);
    return v[0] === 0 ? v.subarray(1) : v;
  }
  const d = privateKeyFromPkcs8(pkcs8);
  const n = sharedSecretLength(g as EcdhGroup);
  return d.length >= n ? d : concatBytes([new Uint8Array(n - d.length), d]);
}

const AGREEMENTS: Array<[EcdhGroup | FfdheGroup, string[]]> = [
  ['secp521r1', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521']],
  ['secp224r1', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-224']],
  ['brainpoolP512r1', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP512r1']],
  ['sect283k1', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:sect283k1']],
  ['x448', ['-algorithm', 'X448']],
  ['x25519', ['-algorithm', 'X25519']],
  ['ffdhe4096', ['-algorithm', 'DH', '-pkeyopt', 'group:ffdhe4096']],
];

describe.each(PROVIDERS)('key agreement: us against openssl pkeyutl -derive (%s)', (pname, make) => {
  const p = make();
  test.each(AGREEMENTS)('%s', async (g, gen) => {
    const name = `${pname}-${g}`;
    const theirs = opensslKey(name, gen);
    if (g.startsWith('ffdhe')) {
      // openssl derives between two of its keys; we derive the same from one's private exponent and the other's Y,
      // and agree with openssl's key from a key pair of ours.
      const fg = g as FfdheGroup;
      const other = opensslKey(`${name}-b`, gen);
      ssl('pkeyutl', '-derive', '-inkey', f(`${name}.pem`), '-peerkey', f(`${name}-b.pub.pem`), '-out', f(`${name}.z`));
      const yOf = (spki: Uint8Array) => {
        const pub = parseSpki(spki).publicKey;
        const t = readTlv(pub, 0, 'y');
        return pub.subarray(t.contentStart, t.end);
      };
      expect(await deriveDh(p, fg, rawPrivate(theirs.pkcs8, fg), yOf(other.spki), 'tls12')).toEqual({
        ok: true,
        value: new Uint8Array(readFileSync(f(`${name}.z`))),
      });
      const mine = await generateDhKeyPair(p, fg);
      const z1 = await deriveDh(p, fg, rawPrivate(theirs.pkcs8, fg), mine.publicKey, 'tls13');
      const z2 = await deriveDh(p, fg, mine.privateKey, yOf(theirs.spki), 'tls13');
      expect(z1.ok && z2.ok && toHex(z1.value) === toHex(z2.value)).toBe(true);
      return;
    }
    // our key pair, given to openssl as a PKCS#8 private key
    const eg = g as EcdhGroup;
    const mine = await generateEcdhKeyPair(p, eg);
    const ourPriv = mine.privateKey;
    const ourPkcs8 =
      eg === 'x25519' || eg === 'x448' ? pkcs8ForOkp(MONTGOMERY[eg].oid, ourPriv) : pkcs8ForEc(WEIERSTRASS[eg].oid, ourPriv);
    const theirPub = parseSpki(theirs.spki).publicKey;
    writeFileSync(f(`${name}.ours.pem`), derToPem(ourPkcs8, 'PRIVATE KEY'));
    ssl('pkeyutl', '-derive', '-inkey', f(`${name}.ours.pem`), '-peerkey', f(`${name}.pub.pem`), '-out', f(`${name}.z`));
    const expected = new Uint8Array(readFileSync(f(`${name}.z`)));
    expect(await deriveEcdh(p, eg, ourPriv, theirPub)).toEqual({ ok: true, value: expected });
    expect(await deriveEcdh(p, eg, rawPrivate(theirs.pkcs8, eg), mine.publicKey)).toEqual({ ok: true, value: expected });
  });
});
