import { webcrypto } from 'node:crypto';
import fc from 'fast-check';
import { cipherSuites } from '../wire/registry';
import {
  type HandshakePlan,
  handshakePlanArb,
  kexOf,
  leafSlots,
  messageSequence,
  newRenderCache,
  normalizePlan,
  REFERENCE_PLANS,
  renderHandshake,
  schemesForKey,
  SUITES_12,
  SUITES_13,
} from './handshake';

const RUNS = Number(process.env['TLSPROP_RUNS'] ?? 25);

describe('handshakePlanArb', () => {
  it('gives valid plans: the server key fits the TLS 1.2 suite, ALPN lists overlap, keys in range, 32-byte randoms', () => {
    fc.assert(
      fc.property(handshakePlanArb(), (p) => {
        expect((p.version === '1.2' ? SUITES_12 : SUITES_13).includes(p.suite)).toBe(true);
        if (p.version === '1.2') expect(p.serverKey.type === 'rsa2048').toBe(kexOf(p.suite) !== 'ECDHE_ECDSA');
        if (p.alpn) expect(p.alpn.server.some((x) => p.alpn?.client.includes(x))).toBe(true);
        expect(p.extraGroups).not.toContain(p.group);
        for (const k of [p.serverKey, p.clientKey]) expect(k.index).toBeLessThan(leafSlots(k.type));
        expect(p.clientRandom).toHaveLength(32);
        expect(p.serverRandom).toHaveLength(32);
        expect(normalizePlan(p)).toEqual(p);
      }),
      { numRuns: 200 },
    );
  });

  it('can be restricted to a version and to client-auth modes', () => {
    fc.assert(
      fc.property(handshakePlanArb({ version: '1.3', clientAuth: ['required'] }), (p) => p.version === '1.3' && p.clientAuth === 'required'),
      { numRuns: 50 },
    );
  });

  it('shrinks to a small plan (no filter/chain in the arbitrary)', () => {
    // A deliberately failing predicate (any plan with client auth fails it): every other field shrinks to its smallest value.
    const r = fc.check(fc.property(handshakePlanArb(), (p) => p.clientAuth === 'none'), { seed: 7, numRuns: 200 });
    expect(r.failed).toBe(true);
    const p = r.counterexample?.[0] as HandshakePlan;
    expect(p.clientAuth).not.toBe('none');
    expect(p.version).toBe('1.2');
    expect(p.extraGroups).toEqual([]);
    expect(p.alpn).toBeNull();
    expect(p.sni).toBeNull();
    expect([...p.clientRandom].every((b) => b === 0)).toBe(true);
    expect(p.serverKey.index + p.clientKey.index).toBe(0);
  });

  it('the reference plans are the write-up: TLS 1.2 ECDHE_RSA AES_256_CBC_SHA384, RSA keys, mutual and one-way', () => {
    for (const p of [REFERENCE_PLANS.mutual, REFERENCE_PLANS.oneway]) {
      expect(cipherSuites.get(p.suite)?.name).toBe('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384');
      expect(p.serverKey.type).toBe('rsa2048');
      expect(normalizePlan(p)).toEqual(p);
    }
    expect(REFERENCE_PLANS.mutual.clientAuth).toBe('required');
    expect(REFERENCE_PLANS.oneway.clientAuth).toBe('none');
  });
});

describe('renderHandshake', () => {
  const cache = newRenderCache(webcrypto as unknown as Crypto);

  it('renders every plan to its expected sequence; the server signs with its first preferred scheme that fits its key', async () => {
    await fc.assert(
      fc.asyncProperty(handshakePlanArb(), async (p) => {
        const r = await renderHandshake(p, cache);
        expect(messageSequence(r.transcript)).toEqual(r.expected);
        const o = r.run.clientOutcome;
        if (o.kind !== 'connected' && o.kind !== 'closed') throw new Error(`client ${o.kind}`);
        const s = o.session;
        expect(s?.version).toBe(p.version === '1.2' ? 0x0303 : 0x0304);
        expect(s?.cipherSuite).toBe(p.suite);
        // A resumed session reuses the original's keys: no new group or server signature (PSK_DHE_KE has a group).
        if (p.resumption === 'psk_dhe_ke') expect(s?.group).toBe(p.group);
        if (p.resumption === 'none' && (p.version === '1.3' || kexOf(p.suite) !== 'RSA')) {
          expect(s?.group).toBe(p.group);
          const fit = schemesForKey(p.serverKey.type, p.version);
          expect(s?.serverScheme).toBe(p.serverSchemes.find((x) => fit.includes(x)));
        }
        expect(r.config.version).toBe(p.version);
        expect(r.config.clientAuth).toBe(p.clientAuth);
        expect(r.config.resumption).toBe(p.resumption);
        expect(r.earlier.map((e) => messageSequence(e.transcript))).toEqual(r.earlier.map((e) => e.expected));
        expect(r.earlier).toHaveLength(p.resumption === 'none' ? 0 : 1);
        expect(r.transcript.capturedAt).toBe(r.at.toISOString());
        expect(r.privateKeys).toHaveLength(2);
      }),
      { numRuns: RUNS },
    );
  });

  it('caches chains per key choice (same root and leaf objects across renders)', async () => {
    const before = cache.chains.size;
    const a = await renderHandshake(REFERENCE_PLANS.mutual, cache);
    const size = cache.chains.size;
    const b = await renderHandshake(REFERENCE_PLANS.oneway, cache);
    expect(cache.chains.size).toBe(size);
    expect(size).toBeGreaterThanOrEqual(before);
    expect(a.trustAnchors[0]).toBe(b.trustAnchors[0]);
  });
});
