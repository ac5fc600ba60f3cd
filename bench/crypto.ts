/**
 * Crypto section: our layer's signature and key-agreement rates on every
 * provider, each next to `openssl speed` for the same operation measured in
 * the same run (just before and just after the node provider's figure; the
 * mean is the baseline, so a load change during the run shows up in both).
 *
 * Rates are per second of CPU time, ours (user time of this process,
 * thread-pool work included) as openssl speed's (its default divisor is CPU
 * user time, not wall-clock): on a machine shared with other jobs the wall
 * clock measures the other jobs, CPU time measures the code.
 *
 * What is compared:
 * - sign / verify: one call of our `sign` / `verifySignature` (a TLS
 *   SignatureScheme over 200 bytes, key from the provider's store) against
 *   `openssl speed rsa2048|ecdsap256|ecdsap384` (which signs and verifies a
 *   digest with a context set up once);
 * - derive: our `deriveEcdh` (our own point validation included) against
 *   `openssl speed ecdhp256|ecdhx25519`, which derives with the peer key set
 *   once. Two figures: the same peer value every call (as openssl speed),
 *   and a fresh peer value every call (a TLS handshake: the peer's key share
 *   is new, so its import is part of the cost). The fresh figure also has a
 *   fair baseline: bench/ecdh-handshake.c, OpenSSL doing per call what
 *   libssl does per handshake (the encoded point made into a key, a derive
 *   context, EVP_PKEY_derive_set_peer, which validates the peer, and the
 *   derivation), built with `cc -lcrypto` when a compiler and the OpenSSL
 *   headers are there (without them that figure is left out, with a log line).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deriveEcdh, type EcdhGroup, generateEcdhKeyPair } from '../crypto/ecdh';
import { type CryptoProvider, nodeProvider, nodeSubtleProvider, peculiarProvider } from '../crypto/provider';
import { generateSigningKey, sign, verifySignature } from '../crypto/signature';
import { SignatureScheme } from '../wire/registry';
import { type Figure, withBaseline } from './harness';

type SpeedAlg = 'rsa2048' | 'ecdsap256' | 'ecdsap384' | 'ecdhp256' | 'ecdhx25519';

/** `openssl speed -mr` for one algorithm: [sign, verify] per second, or [ops] for ECDH. Empty when openssl is missing. */
function opensslSpeed(alg: SpeedAlg, seconds: number): number[] {
  let out: string;
  try {
    out = execFileSync('openssl', ['speed', '-mr', '-seconds', String(seconds), alg], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 120_000,
    });
  } catch {
    return [];
  }
  for (const line of out.split('\n')) {
    const f = line.split(':');
    // +F2 RSA, +F4 ECDSA: sign/s verify/s; +F5 ECDH: ops/s
    if ((f[0] === '+F2' || f[0] === '+F4') && f.length >= 5) return [Number(f[3]), Number(f[4])];
    if (f[0] === '+F5' && f.length >= 4) return [Number(f[3])];
  }
  return [];
}

type HandshakeGroup = 'P-256' | 'X25519';

/** bench/ecdh-handshake.c built into bench/out (once per section), or undefined (no compiler, no headers). */
function ecdhHandshakeBinary(log: (s: string) => void): string | undefined {
  let built: string | undefined;
  const outDir = join(__dirname, 'out');
  mkdirSync(outDir, { recursive: true });
  const bin = join(outDir, 'ecdh-handshake');
  try {
    execFileSync('cc', ['-O2', '-o', bin, join(__dirname, 'ecdh-handshake.c'), '-lcrypto'], { stdio: 'ignore', timeout: 60_000 });
    if (existsSync(bin)) built = bin;
  } catch {
    built = undefined;
  }
  if (!built) log('crypto: cannot build bench/ecdh-handshake.c (cc, OpenSSL headers): the handshake-derive baseline is left out');
  return built;
}

/** OpenSSL deriving as a handshake does (fresh peer value: import, validated set_peer, derive), per CPU-second of user time. */
function opensslHandshakeDerive(bin: string, group: HandshakeGroup, seconds: number): number | undefined {
  try {
    const out = execFileSync(bin, [group, 'fresh', String(seconds)], { encoding: 'utf8', timeout: 120_000 });
    const v = Number(out.trim());
    return v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Operations per CPU-second of `op` (user time, like openssl speed), run
 * sequentially for about `seconds` of CPU time (at most 5x that of wall
 * clock) after a short warm-up.
 */
export async function cpuRate(op: () => Promise<unknown>, seconds: number): Promise<number> {
  const warm = performance.now() + Math.min(200, seconds * 100);
  while (performance.now() < warm) await op();
  const start = process.cpuUsage();
  const wallStop = performance.now() + 5000 * seconds;
  let n = 0;
  let used = 0;
  while (used < seconds * 1e6 && performance.now() < wallStop) {
    for (let i = 0; i < 16; i++) await op();
    n += 16;
    used = process.cpuUsage(start).user;
  }
  return n / (used / 1e6);
}

/** Our figure on every provider, with the openssl baseline measured around the node provider's. */
async function withOpenssl(
  alg: SpeedAlg,
  seconds: number,
  providers: ReadonlyArray<readonly [string, CryptoProvider]>,
  figures: (
    p: CryptoProvider,
  ) => Promise<Array<{ name: string; value: number; opensslIndex: number | 'handshake'; note?: string }>>,
  handshake?: { bin: string; group: HandshakeGroup },
): Promise<Figure[]> {
  const speedSeconds = Math.max(1, Math.round(seconds));
  const hs = () => (handshake ? opensslHandshakeDerive(handshake.bin, handshake.group, speedSeconds) : undefined);
  const before = opensslSpeed(alg, speedSeconds);
  const hsBefore = hs();
  const measured: Array<[string, Awaited<ReturnType<typeof figures>>]> = [];
  for (const [name, p] of providers) measured.push([name, await figures(p)]);
  const after = opensslSpeed(alg, speedSeconds);
  const hsAfter = hs();
  const out: Figure[] = [];
  for (const [name, rows] of measured)
    for (const r of rows) {
      const i = r.opensslIndex;
      const b = (i === 'handshake' ? [hsBefore, hsAfter] : [before[i], after[i]]).filter(
        (x): x is number => x !== undefined && x > 0,
      );
      const tool =
        i === 'handshake'
          ? `bench/ecdh-handshake.c ${handshake?.group} fresh (OpenSSL as libssl derives)`
          : `openssl speed ${alg}`;
      const baseline = b.length ? { tool, value: b.reduce((x, y) => x + y, 0) / b.length } : undefined;
      out.push(
        withBaseline({
          section: `crypto (${name})`,
          name: r.name,
          value: r.value,
          unit: 'ops/s',
          ...(baseline ? { baseline } : {}),
          ...(r.note ? { note: r.note } : {}),
        }),
      );
    }
  return out;
}

export async function cryptoSection(seconds: number, log: (s: string) => void): Promise<Figure[]> {
  const content = new Uint8Array(200).fill(7);
  const providers: Array<readonly [string, CryptoProvider]> = [
    ['node', nodeProvider()],
    ['node-subtle', nodeSubtleProvider()],
    ['peculiar', peculiarProvider()],
  ];
  const figures: Figure[] = [];
  const S = SignatureScheme;
  for (const [alg, label, schemes] of [
    [
      'rsa2048',
      'RSA-2048',
      [
        ['rsa_pkcs1_sha256', S.rsa_pkcs1_sha256],
        ['rsa_pss_rsae_sha256', S.rsa_pss_rsae_sha256],
      ],
    ],
    ['ecdsap256', 'ECDSA P-256', [['ecdsa_secp256r1_sha256', S.ecdsa_secp256r1_sha256]]],
    ['ecdsap384', 'ECDSA P-384', [['ecdsa_secp384r1_sha384', S.ecdsa_secp384r1_sha384]]],
  ] as const) {
    log(`crypto: ${label} sign/verify`);
    figures.push(
      ...(await withOpenssl(alg, seconds, providers, async (p) => {
        const rows = [];
        for (const [sname, scheme] of schemes) {
          const key = await generateSigningKey(p, scheme);
          const sig = await sign(p, key, content);
          rows.push({
            name: `${label} sign (${sname})`,
            value: await cpuRate(() => sign(p, key, content), seconds),
            opensslIndex: 0,
          });
          rows.push({
            name: `${label} verify (${sname})`,
            value: await cpuRate(async () => {
              const r = await verifySignature(p, scheme, key.spki, content, sig);
              if (!r.ok) throw new Error(`bench: ${sname} does not verify (${r.reason})`);
            }, seconds),
            opensslIndex: 1,
          });
        }
        return rows;
      })),
    );
  }
  const bin = ecdhHandshakeBinary(log);
  for (const [alg, label, group, hsGroup] of [
    ['ecdhp256', 'ECDH P-256', 'secp256r1', 'P-256'],
    ['ecdhx25519', 'X25519', 'x25519', 'X25519'],
  ] as const) {
    log(`crypto: ${label} derive`);
    const handshake = bin ? { bin, group: hsGroup } : undefined;
    figures.push(
      ...(await withOpenssl(
        alg,
        seconds,
        providers,
        async (p) => {
          const a = await generateEcdhKeyPair(p, group);
          const b = await generateEcdhKeyPair(p, group);
          const same = await cpuRate(() => derive(p, group, a.privateKey, b.publicKey), seconds);
          // Fresh peer values, made beforehand by another provider (their generation is not measured); more than the key store
          // holds (512), so none is a hit.
          const maker = nodeProvider();
          const peers = await Promise.all(Array.from({ length: 1024 }, () => generateEcdhKeyPair(maker, group)));
          let i = 0;
          const fresh = await cpuRate(() => derive(p, group, a.privateKey, peers[i++ % peers.length]!.publicKey), seconds);
          return [
            {
              name: `${label} derive (same peer value, as openssl speed)`,
              value: same,
              opensslIndex: 0,
              note: 'includes our point validation; openssl speed derives with the peer key set once',
            },
            {
              name: `${label} derive (fresh peer value each call)`,
              value: fresh,
              opensslIndex: 0,
              note: 'a TLS key share: the peer value is new, its import is part of the cost; baseline excludes it',
            },
            ...(handshake
              ? [
                  {
                    name: `${label} derive (fresh peer value, against OpenSSL deriving as a handshake does)`,
                    value: fresh,
                    opensslIndex: 'handshake' as const,
                    note: 'both sides import and validate a new peer value per call (libssl: set1_encoded_public_key, derive_set_peer)',
                  },
                ]
              : []),
          ];
        },
        handshake,
      )),
    );
  }
  return figures;
}

async function derive(p: CryptoProvider, g: EcdhGroup, priv: Uint8Array, pub: Uint8Array): Promise<void> {
  const r = await deriveEcdh(p, g, priv, pub);
  if (!r.ok) throw new Error(`bench: ${g} derive failed (${r.reason})`);
}
