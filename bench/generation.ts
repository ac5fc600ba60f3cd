/**
 * Generation section: how many handshakes per second the suite generates
 * (render: build both engine configurations and run client and server in
 * memory) and generates-and-verifies (render + every rule of
 * checkTranscript), for TLS 1.2 ECDHE_RSA mutual (the reference mutual plan
 * with fresh randoms each time) and TLS 1.3 ECDSA (server auth); next to the
 * crypto-only cost of the same handshake measured in the same run: the
 * signatures, ECDH key pairs and derivations, certificate signature checks
 * and PRF/HKDF calls one handshake needs on both sides, through our crypto
 * layer on the node provider, with no engine, codec, transcript or oracle.
 * The floor, like the render, imports each static key (certificate and
 * signing keys) once, in the provider's key store; ephemeral keys are fresh
 * per handshake in both.
 *
 * Rates are per CPU-second of this process (bench/crypto.ts cpuRate), so
 * that other jobs on a shared machine do not move the ratio.
 *
 * The ratio (rate / crypto-only rate) is the fraction of the time that is
 * essential crypto; render + check does the crypto roughly twice (the
 * oracles re-verify signatures, re-derive the key schedule and decrypt), so
 * it cannot approach 1.
 */
import {
  type CryptoProvider,
  type EcdhGroup,
  certificateVerifyContent12,
  certificateVerifyContent13,
  deriveEcdh,
  digest,
  extendedMasterSecret,
  finished12,
  finished13,
  generateEcdhKeyPair,
  keyBlock,
  nodeProvider,
  randomBytes,
  serverKeyExchangeContent12,
  sign,
  tls13Schedule,
  verifySignature,
} from '../crypto';
import { importSigningKey, type SigAlg, type SigningKey, sigAlgOfAlgorithmIdentifier, verifyWith } from '../crypto/signature';
import { CipherSuite13 } from '../engine/suites';
import {
  type HandshakePlan,
  REFERENCE_PLANS,
  type RenderCache,
  newRenderCache,
  normalizePlan,
  planChain,
  renderHandshake,
} from '../generators/handshake';
import { checkTranscript } from '../oracles/evaluate';
import { cipherSuites, NamedGroup } from '../wire/registry';
import { cpuRate } from './crypto';
import { type Figure, withBaseline } from './harness';

/** The TLS 1.3 ECDSA plan: server auth, P-256 leaf under a P-256 root, x25519, AES-128-GCM, no HRR or resumption. */
export function tls13EcdsaPlan(): HandshakePlan {
  return normalizePlan({
    ...REFERENCE_PLANS.oneway,
    name: 'bench TLS 1.3 ECDSA',
    version: '1.3',
    suite: CipherSuite13.TLS_AES_128_GCM_SHA256,
    group: NamedGroup.x25519,
    serverKey: { type: 'ecdsa-p256', index: 0 },
    rootKey: 'ecdsa-p256',
    clientAuth: 'none',
    middleboxCompat: { client: false, server: false },
  });
}

/** The same plan with fresh randoms (every rendered handshake differs). */
function withRandoms(p: CryptoProvider, plan: HandshakePlan): HandshakePlan {
  return { ...plan, clientRandom: randomBytes(p, 32), serverRandom: randomBytes(p, 32) };
}

async function renderAndCheck(plan: HandshakePlan, cache: RenderCache): Promise<number> {
  const r = await renderHandshake(plan, cache);
  const res = await checkTranscript(r.transcript, {
    trustAnchors: r.trustAnchors,
    at: r.at,
    privateKeys: r.privateKeys,
    certCache: cache.certCache,
    provider: cache.provider,
  });
  if (res.summary.violation) throw new Error(`bench plan ${plan.name}: ${res.summary.violation} violation(s)`);
  return res.verdicts.length;
}

/** What one rendered handshake used: schemes, group, keys, and the signed bytes' sizes. */
interface Sample {
  serverKey: SigningKey;
  clientKey?: SigningKey;
  /** The key that signed the leaf certificates (the root), and one leaf's to-be-signed size and signature. */
  rootSpki: Uint8Array;
  certAlg: SigAlg;
  certTbs: Uint8Array;
  certSig: Uint8Array;
  group: EcdhGroup;
  hash: 'SHA-256' | 'SHA-384';
  /** Concatenated handshake messages up to the client Finished (for transcript hashes and CertificateVerify content). */
  handshake: Uint8Array;
}

async function sampleOf(plan: HandshakePlan, cache: RenderCache, p: CryptoProvider): Promise<Sample> {
  const r = await renderHandshake(plan, cache);
  const o = r.run.clientOutcome;
  if (o.kind !== 'connected' && o.kind !== 'closed') throw new Error(`bench plan ${plan.name} did not complete (${o.kind})`);
  const s = o.session;
  if (!s) throw new Error(`bench plan ${plan.name}: no session`);
  const [server, client] = r.privateKeys;
  const chain = await planChain(cache, plan, 'server');
  const leaf = chain?.[0];
  const root = chain?.[1];
  if (!server || !leaf || !root || s.serverScheme === undefined) throw new Error('bench: rendered handshake lacks keys');
  const serverKey = await importSigningKey(p, s.serverScheme, server, leaf.parsed.spkiDer);
  let clientKey: SigningKey | undefined;
  if (plan.clientAuth === 'required' && client && s.clientScheme !== undefined) {
    const cchain = await planChain(cache, plan, 'client');
    const cleaf = cchain?.[0];
    if (!cleaf) throw new Error('bench: no client chain');
    clientKey = await importSigningKey(p, s.clientScheme, client, cleaf.parsed.spkiDer);
  }
  const info = cipherSuites.get(plan.suite);
  const certAlg = sigAlgOfAlgorithmIdentifier(leaf.parsed.sigAlgOidHex, leaf.parsed.sigAlgParamsDer);
  if ('unsupported' in certAlg) throw new Error(`bench: ${certAlg.unsupported}`);
  const handshake = concat(r.transcript.messages.filter((m) => m.kind === 'handshake' && m.raw).map((m) => m.raw as Uint8Array));
  return {
    serverKey,
    ...(clientKey ? { clientKey } : {}),
    rootSpki: root.parsed.spkiDer,
    certAlg,
    certTbs: leaf.parsed.tbsDer,
    certSig: leaf.parsed.signatureValue,
    group: plan.group === NamedGroup.x25519 ? 'x25519' : plan.group === NamedGroup.secp256r1 ? 'secp256r1' : 'secp384r1',
    hash: info?.prfHash === 'SHA-384' || info?.name.endsWith('SHA384') ? 'SHA-384' : 'SHA-256',
    handshake,
  };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Verify the root's signature on a leaf (what each side's chain validation costs in signatures). */
async function certCheck(p: CryptoProvider, s: Sample): Promise<void> {
  const r = await verifyWith(p, s.certAlg, s.rootSpki, s.certTbs, s.certSig);
  if (!r.ok) throw new Error(`bench: leaf signature does not verify (${r.reason})`);
}

async function ecdhe(p: CryptoProvider, g: EcdhGroup): Promise<Uint8Array> {
  const c = await generateEcdhKeyPair(p, g);
  const sv = await generateEcdhKeyPair(p, g);
  const a = await deriveEcdh(p, g, c.privateKey, sv.publicKey);
  const b = await deriveEcdh(p, g, sv.privateKey, c.publicKey);
  if (!a.ok || !b.ok) throw new Error('bench: ECDH failed');
  return a.value;
}

/**
 * The crypto of one TLS 1.2 ECDHE_RSA mutual handshake, both sides: two
 * ECDH key pairs and derivations; ServerKeyExchange and CertificateVerify
 * signed and verified; each side checks the root's signature on the peer's
 * leaf; each side: EMS session hash + master secret, key block, both
 * Finished (6 hashes, 8 PRF calls).
 */
async function crypto12(p: CryptoProvider, s: Sample): Promise<void> {
  const cr = randomBytes(p, 32);
  const sr = randomBytes(p, 32);
  const pms = await ecdhe(p, s.group);
  const ske = serverKeyExchangeContent12(cr, sr, pms.subarray(0, 32));
  const sig = await sign(p, s.serverKey, ske);
  await verifySignature(p, s.serverKey.scheme, s.serverKey.spki, ske, sig);
  await certCheck(p, s);
  if (s.clientKey) {
    await certCheck(p, s);
    const cv = certificateVerifyContent12([s.handshake]);
    const csig = await sign(p, s.clientKey, cv);
    await verifySignature(p, s.clientKey.scheme, s.clientKey.spki, cv, csig);
  }
  const suite = cipherSuites.get(REFERENCE_PLANS.mutual.suite);
  if (!suite) throw new Error('bench: unknown suite');
  for (let side = 0; side < 2; side++) {
    const ms = await extendedMasterSecret(p, s.hash, pms, await digest(p, s.hash, s.handshake));
    await keyBlock(p, suite, ms, cr, sr);
    await finished12(p, s.hash, ms, 'client', await digest(p, s.hash, s.handshake));
    await finished12(p, s.hash, ms, 'server', await digest(p, s.hash, s.handshake));
  }
}

/**
 * The crypto of one TLS 1.3 ECDSA server-auth handshake, both sides: two
 * ECDH key pairs and derivations; CertificateVerify signed and verified; the
 * client checks the root's signature on the server leaf; each side: the key
 * schedule and both Finished (4 transcript hashes).
 */
async function crypto13(p: CryptoProvider, s: Sample): Promise<void> {
  const shared = await ecdhe(p, s.group);
  const h = s.hash;
  const th = await digest(p, h, s.handshake);
  const cv = certificateVerifyContent13('server', th);
  const sig = await sign(p, s.serverKey, cv);
  await verifySignature(p, s.serverKey.scheme, s.serverKey.spki, cv, sig);
  await certCheck(p, s);
  for (let side = 0; side < 2; side++) {
    const helloHash = await digest(p, h, s.handshake.subarray(0, 200));
    const sched = await tls13Schedule(p, {
      hash: h,
      sharedSecret: shared,
      serverHelloHash: helloHash,
      serverFinishedHash: th,
      clientFinishedHash: await digest(p, h, s.handshake),
    });
    await finished13(p, h, sched.serverHandshakeTrafficSecret, th);
    await finished13(p, h, sched.clientHandshakeTrafficSecret, await digest(p, h, s.handshake));
  }
}

export async function generationSection(seconds: number, log: (s: string) => void): Promise<Figure[]> {
  const p = nodeProvider();
  const figures: Figure[] = [];
  const cases: Array<[string, HandshakePlan, (p: CryptoProvider, s: Sample) => Promise<void>, string]> = [
    [
      'TLS 1.2 ECDHE_RSA AES_256_CBC_SHA384 mutual',
      REFERENCE_PLANS.mutual,
      crypto12,
      '2 ECDH keygen+derive, SKE+CV sign/verify, 2 cert sig checks, 8 PRF',
    ],
    [
      'TLS 1.3 ECDSA P-256 AES_128_GCM',
      tls13EcdsaPlan(),
      crypto13,
      '2 ECDH keygen+derive, CV sign/verify, 1 cert sig check, 2 key schedules',
    ],
  ];
  for (const [name, plan, cryptoOnly, what] of cases) {
    log(`generation: ${name}`);
    // Chains are built once per run (cached), as in `tlsprop run`.
    const cache = newRenderCache(p);
    const sample = await sampleOf(plan, cache, p);
    const base = await cpuRate(() => cryptoOnly(p, sample), seconds);
    const baseline = { tool: 'crypto only', value: base };
    const render = await cpuRate(() => renderHandshake(withRandoms(p, plan), cache), seconds);
    figures.push(
      withBaseline({
        section: 'generation',
        name: `${name}: render`,
        value: render,
        unit: 'hs/s',
        baseline,
        note: `engine client+server in memory, transcript built; baseline: ${what}`,
      }),
    );
    const both = await cpuRate(() => renderAndCheck(withRandoms(p, plan), cache), seconds);
    figures.push(
      withBaseline({
        section: 'generation',
        name: `${name}: render + check`,
        value: both,
        unit: 'hs/s',
        baseline,
        note: `render, then every rule (the oracles redo the crypto); baseline: ${what}`,
      }),
    );
  }
  return figures;
}
