import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignatureScheme, signatureSchemes } from '../wire/registry';
import { chainFaultRule } from '../generators/mutations';
import { FAULT_KINDS, makeFault, type FaultKind } from './faults';
import { buildChain, type CertSpec, flipSignatureBit, KeyUsage, plainCertSpec } from './chain';
import { KeyPool, type KeyType } from './keypool';
import { PROVIDERS } from '../crypto/testing/providers';
import { newCertCache, OID, type ParsedCertCache, parseCert } from './parse';
import { pemBlocks } from './pem';
import { type ChainPlan, MISMATCHED_SCHEME, renderPlan, SCHEMES_FOR_KEY } from './plan';
import { CERT_RULES } from './rules';
import { dnsMatches, keyMismatch, validateChain } from './validate';

const FIXTURES = join(__dirname, '..', 'fixtures');
const CAPTURES = join(FIXTURES, 'captures', 'pki');
const capture = (p: string) => pemBlocks(readFileSync(join(CAPTURES, p), 'utf8'), 'CERTIFICATE');

describe('catalogue ids', () => {
  it('every rule id used exists in tls-rules.json group certificates', () => {
    const rules = JSON.parse(readFileSync(join(FIXTURES, 'reference', 'tls-rules.json'), 'utf8')) as Array<{
      id: string;
      group: string;
    }>;
    const certIds = new Set(rules.filter((r) => r.group === 'certificates').map((r) => r.id));
    for (const id of CERT_RULES) expect(certIds).toContain(id);
    for (const k of FAULT_KINDS) expect(certIds).toContain(chainFaultRule(k));
  });
});

describe.each(PROVIDERS)('real test PKI in captures/pki (%s)', (_name, make) => {
  const provider = make();
  const at = new Date('2027-06-01T00:00:00Z');
  const cache: ParsedCertCache = newCertCache();
  const cases: Array<[string, string[], string, 'server' | 'client', number]> = [
    ['rsa server', ['rsa/server.crt'], 'rsa/rootCA.crt', 'server', SignatureScheme.rsa_pss_rsae_sha256],
    ['rsa client', ['rsa/client.crt'], 'rsa/rootCA.crt', 'client', SignatureScheme.rsa_pkcs1_sha256],
    ['ecdsa server', ['ecdsa/server.crt'], 'ecdsa/rootCA.crt', 'server', SignatureScheme.ecdsa_secp256r1_sha256],
    ['ecdsa client', ['ecdsa/client.crt'], 'ecdsa/rootCA.crt', 'client', SignatureScheme.ecdsa_secp256r1_sha256],
    [
      'chain server (leaf + intermediate file)',
      ['chain/server-chain.pem'],
      'chain/rootCA.crt',
      'server',
      SignatureScheme.rsa_pss_rsae_sha256,
    ],
    [
      'chain client (leaf + intermediate file)',
      ['chain/client-chain.pem'],
      'chain/rootCA.crt',
      'client',
      SignatureScheme.rsa_pss_rsae_sha256,
    ],
    [
      'chain server (separate files + root)',
      ['chain/server.crt', 'chain/intermediateCA.crt', 'chain/rootCA.crt'],
      'chain/rootCA.crt',
      'server',
      SignatureScheme.rsa_pss_rsae_sha256,
    ],
  ];
  it.each(cases)('%s validates', async (_name, files, root, purpose, scheme) => {
    const chain = files.flatMap(capture);
    const serverName = purpose === 'server' ? 'localhost' : undefined;
    const r = await validateChain({
      chain,
      trustAnchors: capture(root),
      at,
      purpose,
      scheme,
      provider,
      cache,
      ...(serverName ? { serverName } : {}),
    });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });
  it('a chain validated again reuses its certificate signature checks (same cache and provider), with the same verdicts', async () => {
    const own = newCertCache();
    const chain = capture('chain/server-chain.pem');
    const input = { chain, trustAnchors: capture('chain/rootCA.crt'), at, purpose: 'server' as const, provider, cache: own };
    const first = await validateChain(input);
    expect(first.ok).toBe(true);
    // the intermediate under the root: checked once when the anchor is looked for, reused by the path check
    expect(own.signatureChecks.hits).toBe(1);
    expect(await validateChain(input)).toEqual(first);
    expect(own.signatureChecks.hits).toBe(1 + 3);
    // a leaf whose signature is altered is another certificate: checked, and it fails every time
    const bad = Uint8Array.from(chain[0]!);
    bad[bad.length - 1]! ^= 1;
    for (let i = 0; i < 2; i++) {
      const r = await validateChain({ ...input, chain: [bad, ...chain.slice(1)] });
      expect(r.problems.map((p) => p.rule)).toEqual(['cert.path.signature']);
    }
  });
  it('the chain server leaf without its intermediate does not reach the root', async () => {
    const r = await validateChain({
      chain: capture('chain/server.crt'),
      trustAnchors: capture('chain/rootCA.crt'),
      at,
      purpose: 'server',
      provider,
      cache,
    });
    expect(r.problems.map((p) => p.rule)).toEqual(['cert.path.trust-anchor']);
  });
  it('captured certificates are expired in 2040 and not yet valid in 2020', async () => {
    for (const when of ['2040-01-01', '2020-01-01']) {
      const r = await validateChain({
        chain: capture('rsa/server.crt'),
        trustAnchors: capture('rsa/rootCA.crt'),
        at: new Date(when),
        purpose: 'server',
        provider,
        cache,
      });
      expect(new Set(r.problems.map((p) => p.rule))).toEqual(new Set(['cert.path.validity']));
    }
  });
  it('a client certificate is refused for server use (EKU), a server leaf does not fit ECDSA', async () => {
    const r = await validateChain({
      chain: capture('rsa/client.crt'),
      trustAnchors: capture('rsa/rootCA.crt'),
      at,
      purpose: 'server',
      scheme: SignatureScheme.ecdsa_secp256r1_sha256,
      provider,
      cache,
    });
    expect(r.problems.map((p) => p.rule).sort()).toEqual(['cert.leaf.eku', 'cert.leaf.key-type']);
  });
});

describe('hostname matching', () => {
  it.each([
    ['a.example.test', 'a.example.test', true],
    ['A.Example.Test', 'a.example.test.', true],
    ['*.example.test', 'www.example.test', true],
    ['*.example.test', 'example.test', false],
    ['*.example.test', 'a.b.example.test', false],
    ['*.test', 'example.test', false],
    ['www.*.test', 'www.a.test', false],
  ])('%s vs %s -> %s', (pattern, name, want) => {
    expect(dnsMatches(pattern.toLowerCase(), name.toLowerCase().replace(/\.$/, ''))).toBe(want);
  });
});

describe.each(PROVIDERS)('each fault on a fixed plan is reported with exactly its rule (%s)', (_name, make) => {
  const provider = make();
  const pool = new KeyPool({ provider });
  const plan: ChainPlan = {
    atDay: 100,
    purpose: 'server',
    root: { key: { type: 'ecdsa-p256', index: 0 }, pathLenSlack: 1, validity: { daysBefore: 30, daysAfter: 3000 } },
    intermediates: [{ key: { type: 'rsa2048', index: 0 }, pathLenSlack: 0, validity: { daysBefore: 30, daysAfter: 1000 } }],
    leaf: {
      key: { type: 'ecdsa-p384', index: 0 },
      dns: ['www.example.test', '*.api.example.test'],
      ips: ['127.0.0.1'],
      eku: 'purpose',
      keyUsage: 'ds',
      validity: { daysBefore: 1, daysAfter: 90 },
      serial: 7,
      nameTag: 1,
    },
    includeRoot: true,
    serverNameIndex: 1,
    schemeIndex: 0,
  };
  it('the base plan validates, with and without the root', async () => {
    for (const includeRoot of [true, false]) {
      const r = await renderPlan({ ...plan, includeRoot }, pool, provider);
      const v = await validateChain({ chain: r.presented, trustAnchors: r.trustAnchors, ...r.context, provider, cache: r.cache });
      expect(v.problems).toEqual([]);
    }
  });
  const kinds: Array<[FaultKind, 'leaf' | 'intermediate', boolean]> = [];
  for (const k of FAULT_KINDS) for (const includeRoot of [true, false]) kinds.push([k, 'leaf', includeRoot]);
  kinds.push(['bad-signature', 'intermediate', true], ['bad-signature', 'intermediate', false]);
  it.each(kinds)('%s (%s) includeRoot=%s', async (kind, target, includeRoot) => {
    const fault = makeFault(kind, target);
    for (const p of [
      { ...plan, includeRoot },
      { ...plan, includeRoot, intermediates: [] },
      { ...plan, includeRoot, purpose: 'client' as const },
    ]) {
      const r = await renderPlan(p, pool, provider, fault);
      const v = await validateChain({ chain: r.presented, trustAnchors: r.trustAnchors, ...r.context, provider, cache: r.cache });
      expect(v.ok).toBe(false);
      expect([...new Set(v.problems.map((x) => x.rule))]).toEqual([chainFaultRule(fault.kind)]);
      for (const pr of v.problems) expect(pr.message.length).toBeGreaterThan(10);
    }
  });
});

describe.each(PROVIDERS)('other validator paths (%s)', (_name, make) => {
  const provider = make();
  const at = new Date('2027-06-01T00:00:00Z');
  const root = () => capture('rsa/rootCA.crt');
  it('an empty chain breaks cert.chain.server-nonempty', async () => {
    const r = await validateChain({ chain: [], trustAnchors: root(), at, purpose: 'server', provider });
    expect(r.problems.map((p) => p.rule)).toEqual(['cert.chain.server-nonempty']);
  });
  it('undecodable DER is reported, not thrown', async () => {
    const r = await validateChain({
      chain: [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])],
      trustAnchors: root(),
      at,
      purpose: 'server',
      provider,
    });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.rule)).toEqual(['cert.type-x509v3']);
  });
  it('leafKeyUse keyAgreement is refused for a digitalSignature+keyEncipherment leaf', async () => {
    const r = await validateChain({
      chain: capture('rsa/server.crt'),
      trustAnchors: root(),
      at,
      purpose: 'server',
      leafKeyUse: 'keyAgreement',
      provider,
    });
    expect(r.problems.map((p) => p.rule)).toEqual(['cert.leaf.key-usage']);
    const ok = await validateChain({
      chain: capture('rsa/server.crt'),
      trustAnchors: root(),
      at,
      purpose: 'server',
      leafKeyUse: 'keyEncipherment',
      provider,
    });
    expect(ok.ok).toBe(true);
  });
  it('TLS 1.2 ecdsa schemes accept any curve, TLS 1.3 ones fix it', async () => {
    const chain = capture('ecdsa/server.crt');
    const trustAnchors = capture('ecdsa/rootCA.crt');
    const scheme = SignatureScheme.ecdsa_secp384r1_sha384;
    expect(
      (await validateChain({ chain, trustAnchors, at, purpose: 'server', scheme, provider })).problems.map((p) => p.rule),
    ).toEqual(['cert.leaf.key-type']);
    expect((await validateChain({ chain, trustAnchors, at, purpose: 'server', scheme, tls12: true, provider })).ok).toBe(true);
  });
  it('IP server names match iPAddress SANs', async () => {
    const r = await validateChain({
      chain: capture('rsa/server.crt'),
      trustAnchors: root(),
      at,
      purpose: 'server',
      serverName: '127.0.0.1',
      provider,
    });
    expect(r.ok).toBe(true);
    const bad = await validateChain({
      chain: capture('rsa/server.crt'),
      trustAnchors: root(),
      at,
      purpose: 'server',
      serverName: '127.0.0.2',
      provider,
    });
    expect(bad.problems.map((p) => p.rule)).toEqual(['cert.leaf.name']);
  });
});

describe.each(PROVIDERS)('chains of every pool key type (%s)', (_name, make) => {
  const provider = make();
  const pool = new KeyPool({ provider });
  const at = new Date(Date.UTC(2026, 5, 1));
  const spec = (subject: string, type: KeyType, ca: boolean): CertSpec =>
    plainCertSpec(subject, {
      key: { type, index: ca ? 1 : 0 },
      notBefore: new Date(Date.UTC(2026, 0, 1)),
      notAfter: new Date(Date.UTC(2027, 0, 1)),
      basicConstraints: { ca },
      keyUsage: ca ? KeyUsage.keyCertSign : KeyUsage.digitalSignature,
      san: ca ? null : { dns: ['p.example.test'], ips: [] },
    });
  // Each type signs the next one down, so every type is both a signer and a subject.
  // (the id-RSASSA-PSS keys with SHA-384 / SHA-512 parameters: rsa_pss_pss_sha384 / sha512 fit, rsa_pss_pss_sha256 /
  // sha384 do not, RFC 8446 §4.2.3)
  const order: KeyType[] = [
    'ecdsa-p521',
    'ed448',
    'rsa-pss2048',
    'rsa-pss2048-sha384',
    'ed25519',
    'rsa-pss2048-sha512',
    'ecdsa-p384',
    'rsa2048',
    'ecdsa-p256',
  ];
  it.each(order.map((t, i) => [t, order[(i + 1) % order.length]!] as const))(
    '%s issues %s; the chain validates, a flipped signature bit does not, and the keys are imported once',
    async (issuerType, leafType) => {
      const cache = newCertCache();
      const [leaf, root] = await buildChain(
        [spec('CN=leaf', leafType, false), spec('CN=root', issuerType, true)],
        pool,
        provider,
        cache,
      );
      const input = {
        chain: [leaf!.der],
        trustAnchors: [root!.der],
        at,
        purpose: 'server' as const,
        serverName: 'p.example.test',
        provider,
        cache,
      };
      expect((await validateChain(input)).problems).toEqual([]);
      const imported = provider.keys.imports;
      expect((await validateChain(input)).ok).toBe(true);
      expect(provider.keys.imports).toBe(imported);
      const bad = flipSignatureBit(leaf!, cache);
      expect((await validateChain({ ...input, chain: [bad.der] })).problems.map((p) => p.rule)).toEqual(['cert.path.signature']);
      // the TLS scheme that fits each new key type is accepted for the leaf, a mismatched one reported
      for (const scheme of SCHEMES_FOR_KEY[leafType]) expect((await validateChain({ ...input, scheme })).ok).toBe(true);
      expect((await validateChain({ ...input, scheme: MISMATCHED_SCHEME[leafType] })).problems.map((p) => p.rule)).toEqual([
        'cert.leaf.key-type',
      ]);
    },
  );
});

describe('keyMismatch knows every registered scheme', () => {
  const base = parseCert(capture('ecdsa/server.crt')[0]!);
  const ec = (curve: string) => ({ ...base, keyAlgOid: OID.ecPublicKey, keyCurveOid: curve });
  it('brainpool TLS 1.3 schemes (RFC 8734) need their curve; the legacy ECDSA and DSA pairs need the key type only', () => {
    const S = SignatureScheme;
    expect(keyMismatch(ec(OID.brainpoolP256r1), S.ecdsa_brainpoolP256r1tls13_sha256, false)).toBeNull();
    expect(keyMismatch(ec(OID.secp256r1), S.ecdsa_brainpoolP256r1tls13_sha256, false)).toMatch(/curve/);
    expect(keyMismatch(ec(OID.brainpoolP384r1), S.ecdsa_brainpoolP384r1tls13_sha384, false)).toBeNull();
    expect(keyMismatch(ec(OID.brainpoolP512r1), S.ecdsa_brainpoolP512r1tls13_sha512, false)).toBeNull();
    expect(keyMismatch(ec(OID.secp521r1), S.ecdsa_md5, false)).toBeNull();
    expect(keyMismatch({ ...base, keyAlgOid: OID.dsa }, S.dsa_md5, false)).toBeNull();
    for (const code of signatureSchemes.keys()) expect(keyMismatch(base, code, false) ?? '').not.toMatch(/not a known/);
  });
});
