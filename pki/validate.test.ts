import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { SignatureScheme } from '../wire/registry';
import { chainFaultRule } from '../generators/mutations';
import { FAULT_KINDS, makeFault, type FaultKind } from './faults';
import { KeyPool } from './keypool';
import type { ParsedCertCache } from './parse';
import { pemBlocks } from './pem';
import { type ChainPlan, renderPlan } from './plan';
import { CERT_RULES } from './rules';
import { dnsMatches, validateChain } from './validate';

const crypto = webcrypto as unknown as Crypto;
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

describe('real test PKI in captures/pki', () => {
  const at = new Date('2027-06-01T00:00:00Z');
  const cache: ParsedCertCache = new Map();
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
      crypto,
      cache,
      ...(serverName ? { serverName } : {}),
    });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });
  it('the chain server leaf without its intermediate does not reach the root', async () => {
    const r = await validateChain({
      chain: capture('chain/server.crt'),
      trustAnchors: capture('chain/rootCA.crt'),
      at,
      purpose: 'server',
      crypto,
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
        crypto,
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
      crypto,
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

describe('each fault on a fixed plan is reported with exactly its rule', () => {
  const pool = new KeyPool({ crypto });
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
      const r = await renderPlan({ ...plan, includeRoot }, pool, crypto);
      const v = await validateChain({ chain: r.presented, trustAnchors: r.trustAnchors, ...r.context, crypto, cache: r.cache });
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
      const r = await renderPlan(p, pool, crypto, fault);
      const v = await validateChain({ chain: r.presented, trustAnchors: r.trustAnchors, ...r.context, crypto, cache: r.cache });
      expect(v.ok).toBe(false);
      expect([...new Set(v.problems.map((x) => x.rule))]).toEqual([chainFaultRule(fault.kind)]);
      for (const pr of v.problems) expect(pr.message.length).toBeGreaterThan(10);
    }
  });
});

describe('other validator paths', () => {
  const at = new Date('2027-06-01T00:00:00Z');
  const root = () => capture('rsa/rootCA.crt');
  it('an empty chain breaks cert.chain.server-nonempty', async () => {
    const r = await validateChain({ chain: [], trustAnchors: root(), at, purpose: 'server', crypto });
    expect(r.problems.map((p) => p.rule)).toEqual(['cert.chain.server-nonempty']);
  });
  it('undecodable DER is reported, not thrown', async () => {
    const r = await validateChain({
      chain: [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])],
      trustAnchors: root(),
      at,
      purpose: 'server',
      crypto,
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
      crypto,
    });
    expect(r.problems.map((p) => p.rule)).toEqual(['cert.leaf.key-usage']);
    const ok = await validateChain({
      chain: capture('rsa/server.crt'),
      trustAnchors: root(),
      at,
      purpose: 'server',
      leafKeyUse: 'keyEncipherment',
      crypto,
    });
    expect(ok.ok).toBe(true);
  });
  it('TLS 1.2 ecdsa schemes accept any curve, TLS 1.3 ones fix it', async () => {
    const chain = capture('ecdsa/server.crt');
    const trustAnchors = capture('ecdsa/rootCA.crt');
    const scheme = SignatureScheme.ecdsa_secp384r1_sha384;
    expect(
      (await validateChain({ chain, trustAnchors, at, purpose: 'server', scheme, crypto })).problems.map((p) => p.rule),
    ).toEqual(['cert.leaf.key-type']);
    expect((await validateChain({ chain, trustAnchors, at, purpose: 'server', scheme, tls12: true, crypto })).ok).toBe(true);
  });
  it('IP server names match iPAddress SANs', async () => {
    const r = await validateChain({
      chain: capture('rsa/server.crt'),
      trustAnchors: root(),
      at,
      purpose: 'server',
      serverName: '127.0.0.1',
      crypto,
    });
    expect(r.ok).toBe(true);
    const bad = await validateChain({
      chain: capture('rsa/server.crt'),
      trustAnchors: root(),
      at,
      purpose: 'server',
      serverName: '127.0.0.2',
      crypto,
    });
    expect(bad.problems.map((p) => p.rule)).toEqual(['cert.leaf.name']);
  });
});
