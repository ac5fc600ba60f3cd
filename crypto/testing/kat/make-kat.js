#!/usr/bin/env node
/*
 * Regenerates crypto/testing/kat/kat.json: known answers made with the
 * openssl command line (never with our code), for the algorithms the crypto
 * layer verifies or derives beyond the common set. Run from anywhere:
 *   node crypto/testing/kat/make-kat.js
 * Every entry records the openssl commands that produced it; kat.json also
 * records `openssl version`. Keys are TEST-ONLY, generated here.
 */
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, writeFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const dir = mkdtempSync(join(tmpdir(), 'tlsprop-kat-'));
const f = (n) => join(dir, n);
const ssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
const cmd = (args) => `openssl ${args.join(' ').replaceAll(`${dir}/`, '')}`;
const hex = (n) => readFileSync(f(n)).toString('hex');
const pem = (n) => readFileSync(f(n), 'utf8');

const message = Buffer.from('tlsprop known-answer test: the bytes a TLS peer signed');
writeFileSync(f('msg.bin'), message);

const out = { openssl: ssl('version').toString().trim(), message: message.toString('hex'), signatures: [], agreements: [] };

function key(name, genArgs) {
  const args = ['genpkey', ...genArgs, '-out', f(`${name}.pem`)];
  ssl(...args);
  ssl('pkey', '-in', f(`${name}.pem`), '-pubout', '-out', f(`${name}.pub.pem`));
  ssl('pkey', '-pubin', '-in', f(`${name}.pub.pem`), '-outform', 'DER', '-out', f(`${name}.spki.der`));
  return cmd(args);
}

/** A signature made with `openssl dgst` (or pkeyutl -rawin for EdDSA). */
function sig(id, keyName, keyGen, signArgs) {
  const args = [...signArgs(f(`${keyName}.pem`)), '-out', f(`${id}.sig`), f('msg.bin')];
  ssl(...args);
  out.signatures.push({
    id,
    commands: [keyGen, cmd(args)],
    spki: hex(`${keyName}.spki.der`),
    privateKey: pem(`${keyName}.pem`),
    signature: hex(`${id}.sig`),
  });
}

const gen = {};
gen.rsa = key('rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
gen.p256 = key('p256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve']);
gen.p521 = key('p521', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521', '-pkeyopt', 'ec_param_enc:named_curve']);
for (const b of ['brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1'])
  gen[b] = key(b, ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${b}`, '-pkeyopt', 'ec_param_enc:named_curve']);
gen.ed448 = key('ed448', ['-algorithm', 'ED448']);
gen.ed25519 = key('ed25519', ['-algorithm', 'ED25519']);
for (const h of ['sha256', 'sha384', 'sha512'])
  gen[`pss-${h}`] = key(`pss-${h}`, [
    '-algorithm',
    'RSA-PSS',
    '-pkeyopt',
    'rsa_keygen_bits:2048',
    '-pkeyopt',
    `rsa_pss_keygen_md:${h}`,
    '-pkeyopt',
    `rsa_pss_keygen_mgf1_md:${h}`,
    '-pkeyopt',
    `rsa_pss_keygen_saltlen:${{ sha256: 32, sha384: 48, sha512: 64 }[h]}`,
  ]);
ssl(
  'genpkey',
  '-genparam',
  '-algorithm',
  'DSA',
  '-pkeyopt',
  'dsa_paramgen_bits:2048',
  '-pkeyopt',
  'dsa_paramgen_q_bits:256',
  '-out',
  f('dsaparam.pem'),
);
gen.dsa = `openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -pkeyopt dsa_paramgen_q_bits:256 -out dsaparam.pem; ${key('dsa', ['-paramfile', f('dsaparam.pem')])}`;

const dgst =
  (h, extra = []) =>
  (k) => ['dgst', `-${h}`, ...extra, '-sign', k];
// TLS 1.2 hash/signature pairs kept for judging (RFC 9155 forbids offering MD5/SHA-1)
for (const h of ['md5', 'sha1', 'sha224']) {
  sig(h === 'md5' ? 'rsa_md5' : `rsa_pkcs1_${h}`, 'rsa', gen.rsa, dgst(h));
  sig(`ecdsa_${h}`, 'p256', gen.p256, dgst(h));
  sig(`dsa_${h}`, 'dsa', gen.dsa, dgst(h));
}
for (const h of ['sha256', 'sha384', 'sha512']) sig(`dsa_${h}`, 'dsa', gen.dsa, dgst(h));
sig('ecdsa_secp521r1_sha512', 'p521', gen.p521, dgst('sha512'));
sig('ecdsa_brainpoolP256r1tls13_sha256', 'brainpoolP256r1', gen.brainpoolP256r1, dgst('sha256'));
sig('ecdsa_brainpoolP384r1tls13_sha384', 'brainpoolP384r1', gen.brainpoolP384r1, dgst('sha384'));
sig('ecdsa_brainpoolP512r1tls13_sha512', 'brainpoolP512r1', gen.brainpoolP512r1, dgst('sha512'));
for (const h of ['sha256', 'sha384', 'sha512']) {
  const salt = { sha256: 32, sha384: 48, sha512: 64 }[h];
  sig(
    `rsa_pss_pss_${h}`,
    `pss-${h}`,
    gen[`pss-${h}`],
    dgst(h, ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${salt}`]),
  );
  sig(`rsa_pss_rsae_${h}`, 'rsa', gen.rsa, dgst(h, ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${salt}`]));
}
// EdDSA signs the message itself (pkeyutl -rawin)
for (const e of ['ed448', 'ed25519']) {
  const args = ['pkeyutl', '-sign', '-rawin', '-inkey', f(`${e}.pem`), '-in', f('msg.bin'), '-out', f(`${e}.sig`)];
  ssl(...args);
  out.signatures.push({
    id: e,
    commands: [gen[e], cmd(args)],
    spki: hex(`${e}.spki.der`),
    privateKey: pem(`${e}.pem`),
    signature: hex(`${e}.sig`),
  });
}

/** An agreement: two keys, `openssl pkeyutl -derive` both ways (they must agree). */
function agree(id, genArgs) {
  const ga = key(`${id}-a`, genArgs);
  key(`${id}-b`, genArgs);
  const d1 = ['pkeyutl', '-derive', '-inkey', f(`${id}-a.pem`), '-peerkey', f(`${id}-b.pub.pem`), '-out', f(`${id}-ab.bin`)];
  const d2 = ['pkeyutl', '-derive', '-inkey', f(`${id}-b.pem`), '-peerkey', f(`${id}-a.pub.pem`), '-out', f(`${id}-ba.bin`)];
  ssl(...d1);
  ssl(...d2);
  if (hex(`${id}-ab.bin`) !== hex(`${id}-ba.bin`)) throw new Error(`${id}: openssl derived two different secrets`);
  out.agreements.push({
    id,
    commands: [ga, ga.replace(`${id}-a.pem`, `${id}-b.pem`), cmd(d1), cmd(d2)],
    privateKeyA: pem(`${id}-a.pem`),
    spkiA: hex(`${id}-a.spki.der`),
    spkiB: hex(`${id}-b.spki.der`),
    shared: hex(`${id}-ab.bin`),
  });
}
for (const [id, curve] of [
  ['secp192r1', 'P-192'],
  ['secp224r1', 'P-224'],
  ['secp521r1', 'P-521'],
  ['brainpoolP256r1', 'brainpoolP256r1'],
  ['brainpoolP384r1', 'brainpoolP384r1'],
  ['brainpoolP512r1', 'brainpoolP512r1'],
  ['sect163k1', 'sect163k1'],
  ['sect283k1', 'sect283k1'],
])
  agree(id, ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-pkeyopt', 'ec_param_enc:named_curve']);
agree('x448', ['-algorithm', 'X448']);
for (const g of ['ffdhe4096', 'ffdhe6144', 'ffdhe8192']) agree(g, ['-algorithm', 'DH', '-pkeyopt', `group:${g}`]);

writeFileSync(join(__dirname, 'kat.json'), `${JSON.stringify(out, null, 1)}\n`);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`kat.json: ${out.signatures.length} signatures, ${out.agreements.length} agreements (${out.openssl})\n`);
