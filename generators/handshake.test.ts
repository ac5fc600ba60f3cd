import { nodeProvider } from '../crypto/provider';
import fc from 'fast-check';
import { CipherSuite13, CipherSuiteDhe12 } from '../engine/suites';
import { CertificateCompressionAlgorithm, cipherSuites, NamedGroup, SignatureScheme } from '../wire/registry';
import {
  cornerPlans,
  describePlan,
  EARLY_DATA,
  expectedSequence,
  isDhePlan,
  PLAN_CERT_COMPRESSION,
  PLAN_PSK_IDENTITY,
  pskPlan,
  PLAN_FFDHE_GROUPS,
  PLAN_GROUPS,
  PLAN_KEM_GROUPS,
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
import { VERSION_CODE } from '../wire/vocabulary';

const RUNS = Number(process.env['TLSPROP_RUNS'] ?? 25);

describe('handshakePlanArb', () => {
  it('gives valid plans: the server key fits the TLS 1.2 suite, ALPN lists overlap, keys in range, 32-byte randoms', () => {
    fc.assert(
      fc.property(handshakePlanArb(), (p) => {
        expect((p.version === '1.2' ? SUITES_12 : SUITES_13).includes(p.suite)).toBe(true);
        // PSK, DHE_PSK and ECDHE_PSK send no certificate (RFC 4279 §2, §3; RFC 5489 §2), nor do DH_anon and
        // ECDH_anon (RFC 5246 §7.4.2): any key there
        const certless = ['PSK', 'DHE_PSK', 'ECDHE_PSK', 'DH_anon', 'ECDH_anon'].includes(kexOf(p.suite));
        const rsaKey = p.serverKey.type === 'rsa2048' || p.serverKey.type === 'rsa-pss2048';
        if (p.version === '1.2' && !certless) expect(rsaKey).toBe(kexOf(p.suite) !== 'ECDHE_ECDSA');
        // an id-RSASSA-PSS key signs (ECDHE_RSA, DHE_RSA) but never decrypts (RFC 4055 §1.2)
        if (p.version === '1.2' && !certless && p.serverKey.type === 'rsa-pss2048')
          expect(['ECDHE_RSA', 'DHE_RSA']).toContain(kexOf(p.suite));
        if (p.alpn) expect(p.alpn.server.some((x) => p.alpn?.client.includes(x))).toBe(true);
        expect(p.extraGroups).not.toContain(p.group);
        // DHE_RSA takes an RFC 7919 group, everything else a curve.
        expect(PLAN_FFDHE_GROUPS.includes(p.group)).toBe(isDhePlan(p));
        expect([...PLAN_GROUPS, ...PLAN_KEM_GROUPS].includes(p.group)).toBe(!isDhePlan(p));
        // the ML-KEM groups are TLS 1.3 only (draft-ietf-tls-ecdhe-mlkem §1.1)
        if (PLAN_KEM_GROUPS.includes(p.group)) expect(p.version).toBe('1.3');
        for (const cas of [p.intermediates.server, p.intermediates.client]) {
          expect(cas.length).toBeLessThanOrEqual(2);
          expect(new Set(cas).size).toBe(cas.length);
          expect(cas).not.toContain(p.rootKey);
        }
        // TLS 1.2: an Ed25519 server key only with ECDHE_ECDSA (RFC 8422 §5.10), never with an RSA suite.
        if (p.version === '1.2' && (p.serverKey.type === 'ed25519' || p.serverKey.type === 'ed448') && !certless)
          expect(kexOf(p.suite)).toBe('ECDHE_ECDSA');
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
      fc.property(
        handshakePlanArb({ version: '1.3', clientAuth: ['required'] }),
        (p) => p.version === '1.3' && p.clientAuth === 'required',
      ),
      { numRuns: 50 },
    );
  });

  it('shrinks to a small plan (no filter/chain in the arbitrary)', () => {
    // A deliberately failing predicate (any plan with client auth fails it): every other field shrinks to its smallest value.
    const r = fc.check(
      fc.property(handshakePlanArb(), (p) => p.clientAuth === 'none'),
      { seed: 7, numRuns: 200 },
    );
    expect(r.failed).toBe(true);
    const p = r.counterexample?.[0] as HandshakePlan;
    expect(p.clientAuth).not.toBe('none');
    expect(p.version).toBe('1.2');
    expect(p.extraGroups).toEqual([]);
    expect(p.alpn).toBeNull();
    expect(p.sni).toBeNull();
    expect([...p.clientRandom].every((b) => b === 0)).toBe(true);
    expect(p.serverKey.index + p.clientKey.index).toBe(0);
    expect(p.intermediates).toEqual({ server: [], client: [] });
  });

  it('draws every registered group and key type the engine runs (issue #18 part 5): secp521r1, x448, ffdhe2048..8192, P-521, Ed448 and RSASSA-PSS keys in both versions and both roles', () => {
    const plans = fc.sample(handshakePlanArb(), { numRuns: 600, seed: 18 });
    for (const g of [...PLAN_GROUPS, ...PLAN_KEM_GROUPS, ...PLAN_FFDHE_GROUPS])
      expect([g, plans.some((p) => p.group === g)]).toEqual([g, true]);
    for (const type of ['ecdsa-p521', 'ed448', 'rsa-pss2048'] as const)
      for (const version of ['1.2', '1.3'] as const) {
        const server = plans.some((p) => p.version === version && p.serverKey.type === type && !pskPlan(p));
        const client = plans.some((p) => p.version === version && p.clientAuth === 'required' && p.clientKey.type === type);
        expect([type, version, server, client]).toEqual([type, version, true, true]);
      }
    expect(plans.some((p) => p.rootKey === 'ed448')).toBe(true);
    expect(plans.some((p) => p.rootKey === 'rsa-pss2048')).toBe(true);
  });

  it('draws every dimension added to the plan space: DHE_RSA with both RFC 7919 groups, Ed25519 keys on both sides (TLS 1.2 ECDHE_ECDSA too), 0-2 intermediates per chain', () => {
    const plans = fc.sample(handshakePlanArb(), { numRuns: 400, seed: 11 });
    const dheGroups = new Set(plans.filter(isDhePlan).map((p) => p.group));
    expect([...dheGroups].sort()).toEqual([...PLAN_FFDHE_GROUPS].sort());
    expect(plans.some((p) => p.version === '1.3' && p.serverKey.type === 'ed25519')).toBe(true);
    expect(plans.some((p) => p.version === '1.2' && p.serverKey.type === 'ed25519')).toBe(true);
    expect(plans.some((p) => p.version === '1.2' && p.clientAuth === 'required' && p.clientKey.type === 'ed25519')).toBe(true);
    expect(plans.some((p) => p.rootKey === 'ed25519')).toBe(true);
    for (const n of [0, 1, 2])
      expect(plans.some((p) => p.intermediates.server.length === n && p.intermediates.client.length === n)).toBe(true);
  });

  it('draws RFC 8879 certificate compression (TLS 1.3; zlib and brotli, both sides or the client only) and 0-RTT (resumed TLS 1.3 only; accepted or rejected)', () => {
    const plans = fc.sample(handshakePlanArb(), { numRuns: 400, seed: 19 });
    for (const p of plans) {
      if (p.version === '1.2') expect(p.certCompression).toBeNull();
      if (p.version === '1.2' || p.resumption === 'none') expect(p.earlyData).toBe('none');
    }
    for (const algorithm of PLAN_CERT_COMPRESSION)
      for (const server of [true, false])
        expect([
          algorithm,
          server,
          plans.some((p) => p.certCompression?.algorithm === algorithm && p.certCompression.server === server),
        ]).toEqual([algorithm, server, true]);
    for (const mode of ['accept', 'reject'] as const)
      for (const resumption of ['psk_ke', 'psk_dhe_ke'] as const)
        expect([mode, resumption, plans.some((p) => p.earlyData === mode && p.resumption === resumption)]).toEqual([
          mode,
          resumption,
          true,
        ]);
    // the corners have each: a compressed client certificate (with a chain, and empty), the client-only offer, 0-RTT
    // accepted (EndOfEarlyData) and rejected
    const corners = cornerPlans().map((p) => ({ p, e: expectedSequence(p) }));
    expect(corners.some(({ p, e }) => e.includes('C->S compressed_certificate') && p.clientAuth === 'required')).toBe(true);
    expect(corners.some(({ p, e }) => e.includes('C->S compressed_certificate') && p.clientAuth === 'requested-empty')).toBe(
      true,
    );
    expect(corners.some(({ p, e }) => p.certCompression?.server === false && e.includes('C->S certificate'))).toBe(true);
    expect(corners.some(({ e }) => e.includes('C->S end_of_early_data'))).toBe(true);
    expect(corners.some(({ p, e }) => p.earlyData === 'reject' && e.includes('C->S application_data'))).toBe(true);
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
  const cache = newRenderCache(nodeProvider());

  it('renders every plan to its expected sequence; the server signs with its first preferred scheme that fits its key', async () => {
    await fc.assert(
      fc.asyncProperty(handshakePlanArb(), async (p) => {
        const r = await renderHandshake(p, cache);
        expect(messageSequence(r.transcript)).toEqual(r.expected);
        const o = r.run.clientOutcome;
        if (o.kind !== 'connected' && o.kind !== 'closed') throw new Error(`client ${o.kind}`);
        const s = o.session;
        expect(s?.version).toBe(p.version === '1.2' ? VERSION_CODE['1.2'] : VERSION_CODE['1.3']);
        expect(s?.cipherSuite).toBe(p.suite);
        // A resumed session reuses the original's keys: no new group or server signature (PSK_DHE_KE has a group).
        if (p.resumption === 'psk_dhe_ke') expect(s?.group).toBe(p.group);
        // A PSK handshake signs nothing; its group only with (EC)DHE (psk_dhe_ke, DHE_PSK, ECDHE_PSK).
        if (pskPlan(p)) {
          if (p.resumption === 'none') expect(s?.pskIdentity).toEqual(PLAN_PSK_IDENTITY);
          expect(s?.serverScheme).toBeUndefined();
          const dh = p.version === '1.3' ? p.psk.external === 'psk_dhe_ke' : ['DHE_PSK', 'ECDHE_PSK'].includes(kexOf(p.suite));
          if (p.resumption === 'none') expect(s?.group).toBe(dh ? p.group : undefined);
        } else if (p.version === '1.2' && ['DH_anon', 'ECDH_anon'].includes(kexOf(p.suite))) {
          // an anonymous key exchange signs nothing (RFC 5246 §7.4.3, RFC 8422 §2.3)
          expect(s?.serverScheme).toBeUndefined();
          if (p.resumption === 'none') expect(s?.group).toBe(p.group);
        } else if (p.resumption === 'none' && (p.version === '1.3' || kexOf(p.suite) !== 'RSA')) {
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

  it('renders TLS 1.2 DHE_RSA (ffdhe3072), TLS 1.3 and TLS 1.2 client auth with Ed25519, and chains through two intermediates', async () => {
    const base = { ...REFERENCE_PLANS.mutual, name: undefined };
    const dhe = normalizePlan({
      ...base,
      suite: CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
      group: NamedGroup.ffdhe3072,
      clientKey: { type: 'ed25519', index: 0 },
    });
    const ed13 = normalizePlan({
      ...base,
      version: '1.3',
      suite: CipherSuite13.TLS_AES_128_GCM_SHA256,
      serverKey: { type: 'ed25519', index: 0 },
      clientKey: { type: 'ed25519', index: 0 },
      rootKey: 'ecdsa-p384',
      intermediates: { server: ['ed25519', 'rsa2048'], client: ['ecdsa-p256'] },
    });
    for (const p of [dhe, ed13]) {
      const r = await renderHandshake(p, cache);
      expect(messageSequence(r.transcript)).toEqual(r.expected);
      const o = r.run.clientOutcome;
      if (o.kind !== 'connected' && o.kind !== 'closed') throw new Error(`client ${o.kind}`);
      expect(o.session?.group).toBe(p.group);
      expect(o.session?.serverScheme).toBe(p.serverSchemes.find((x) => schemesForKey(p.serverKey.type, p.version).includes(x)));
      // Certificate messages: the leaf, then the intermediates (the root left out).
      const certs = r.transcript.messages.filter((m) => m.type === 'certificate').map((m) => m.decoded?.body);
      const lengths = certs.map((b) =>
        b?.type !== 'certificate' ? -1 : b.form === 'tls12' ? b.certificates.length : b.entries.length,
      );
      expect(lengths).toEqual([1 + p.intermediates.server.length, 1 + p.intermediates.client.length]);
      // The client's CertificateVerify is signed with Ed25519.
      const cv = r.transcript.messages.find((m) => m.dir === 'C->S' && m.type === 'certificate_verify')?.decoded?.body;
      expect(cv?.type === 'certificate_verify' ? cv.scheme : undefined).toBe(SignatureScheme.ed25519);
    }
    expect(describePlan(ed13)).toContain('intermediates=2/1');
  });

  it('renders certificate compression and 0-RTT: CompressedCertificates both ways, 0-RTT data after the ClientHello, EndOfEarlyData only when accepted', async () => {
    const base = normalizePlan({
      ...REFERENCE_PLANS.mutual,
      name: undefined,
      version: '1.3',
      suite: CipherSuite13.TLS_AES_128_GCM_SHA256,
      certCompression: { algorithm: CertificateCompressionAlgorithm.brotli, server: true },
    });
    const both = await renderHandshake(base, cache);
    const sequence = messageSequence(both.transcript);
    expect(sequence).toEqual(both.expected);
    expect(sequence.filter((x) => x.endsWith('compressed_certificate'))).toEqual([
      'S->C compressed_certificate',
      'C->S compressed_certificate',
    ]);
    expect(describePlan(base)).toContain('cert-compression=brotli');
    expect(both.config.certCompression).toEqual(['server brotli', 'client brotli']);
    expect(both.config.earlyData).toBeUndefined();
    // the client's offer alone: both Certificates plain
    const clientOnly = await renderHandshake({ ...base, certCompression: { ...base.certCompression!, server: false } }, cache);
    expect(messageSequence(clientOnly.transcript)).toEqual(clientOnly.expected);
    expect(messageSequence(clientOnly.transcript).filter((x) => x.endsWith('certificate'))).toEqual([
      'S->C certificate',
      'C->S certificate',
    ]);
    expect(clientOnly.config.certCompression).toBeUndefined();
    for (const earlyData of ['accept', 'reject'] as const) {
      const p = normalizePlan({ ...base, resumption: 'psk_dhe_ke', earlyData });
      const r = await renderHandshake(p, cache);
      const seq = messageSequence(r.transcript);
      expect(seq).toEqual(r.expected);
      expect(seq.slice(0, 2)).toEqual(['C->S client_hello', 'C->S application_data']);
      expect(seq.includes('C->S end_of_early_data')).toBe(earlyData === 'accept');
      expect(r.run.server.earlyData).toEqual({
        offered: true,
        accepted: earlyData === 'accept',
        received: earlyData === 'accept' ? EARLY_DATA.length : 0,
      });
      expect(describePlan(p)).toContain(`0-rtt=${earlyData}`);
      expect(r.config.earlyData).toBe(earlyData === 'accept' ? 'accepted' : 'rejected');
    }
    // post-handshake authentication shows in the configuration point (a CertificateRequest under the application keys)
    const pha = normalizePlan({ ...base, certCompression: null, clientAuth: 'none', postHandshakeAuth: true });
    expect(pha.postHandshakeAuth).toBe(true);
    expect((await renderHandshake(pha, cache)).config.postHandshakeAuth).toBe(true);
    expect(both.config.postHandshakeAuth).toBeUndefined();
    // a HelloRetryRequest rejects the 0-RTT data (RFC 8446 §4.2.10), and the plan's name says so
    const withHrr = normalizePlan({
      ...base,
      resumption: 'psk_dhe_ke',
      earlyData: 'accept',
      helloRetry: { on: true, cookie: false },
    });
    expect([withHrr.earlyData, withHrr.helloRetry.on]).toEqual(['accept', true]);
    expect(describePlan(withHrr)).toContain('0-rtt=rejected-by-hrr');
    expect(describePlan(withHrr)).not.toContain('0-rtt=accept');
    // a full handshake has no 0-RTT
    expect(normalizePlan({ ...base, earlyData: 'accept' }).earlyData).toBe('none');
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
