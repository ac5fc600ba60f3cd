/**
 * Differential test: our validator and `openssl verify` (3.0) must agree on
 * ok / not ok for generated good chains and for each fault kind.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { PROVIDERS } from '../crypto/testing/providers';
import { chainPlanArb } from '../generators/pki';
import { FAULT_KINDS, type FaultKind, makeFault } from './faults';
import { KeyPool } from './keypool';
import { derToPem } from './pem';
import { type RenderedChain, renderPlan } from './plan';
import { validateChain } from './validate';

/**
 * Fault kinds openssl verify cannot judge, left out of the comparison:
 * - scheme-mismatch: the negotiated TLS SignatureScheme is a handshake
 *   notion; `openssl verify` has no input for it.
 */
const NOT_CHECKED_BY_OPENSSL: ReadonlySet<FaultKind> = new Set(['scheme-mismatch']);

/** X509_V_ERR_* codes `openssl verify` prints for each fault (see `openssl verify -help` / x509_vfy.h). */
const OPENSSL_ERRORS: Record<FaultKind, readonly number[]> = {
  'bad-signature': [7], // certificate signature failure
  'issuer-mismatch': [20], // unable to get local issuer certificate
  'expired-leaf': [10], // certificate has expired
  'not-yet-valid-leaf': [9], // certificate is not yet valid
  'expired-intermediate': [10],
  'ca-false-intermediate': [79], // invalid CA certificate
  'missing-basic-constraints': [79],
  'path-length-exceeded': [25], // path length constraint exceeded
  'missing-key-cert-sign': [32, 79], // key usage does not include certificate signing / invalid CA
  'wrong-eku': [26], // unsuitable certificate purpose
  'scheme-mismatch': [],
  'san-mismatch': [62], // hostname mismatch
  'untrusted-root': [19, 20], // self-signed certificate in chain / unable to get local issuer
};

interface OpensslResult {
  ok: boolean;
  output: string;
}

function opensslVerify(r: RenderedChain, dir: string): Promise<OpensslResult> {
  const [leaf, ...rest] = r.presented;
  writeFileSync(join(dir, 'leaf.pem'), derToPem(leaf!));
  writeFileSync(join(dir, 'root.pem'), r.trustAnchors.map((d) => derToPem(d)).join(''));
  const args = ['verify', '-CAfile', join(dir, 'root.pem')];
  if (rest.length > 0) {
    writeFileSync(join(dir, 'inter.pem'), rest.map((d) => derToPem(d)).join(''));
    args.push('-untrusted', join(dir, 'inter.pem'));
  }
  args.push('-attime', String(Math.floor(r.context.at.getTime() / 1000)));
  args.push('-purpose', r.context.purpose === 'server' ? 'sslserver' : 'sslclient');
  if (r.context.serverName !== undefined) args.push('-verify_hostname', r.context.serverName);
  args.push(join(dir, 'leaf.pem'));
  return new Promise((resolve) => {
    execFile('openssl', args, { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ ok: err === null, output: `${stdout}${stderr}`.trim() }),
    );
  });
}

describe.each(PROVIDERS)('differential against openssl verify (%s)', (_name, make) => {
  const provider = make();
  const pool = new KeyPool({ provider });
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tlsprop-pki-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const good = fc.sample(chainPlanArb(), {
    numRuns: Number(process.env.PKI_DIFF_RUNS ?? 8),
    seed: Number(process.env.PKI_DIFF_SEED ?? 20261125),
  });
  const kinds = FAULT_KINDS.filter((k) => !NOT_CHECKED_BY_OPENSSL.has(k));
  const bad = [...kinds.map((k) => [k, 'intermediate'] as const), ['bad-signature', 'leaf'] as const].map(
    ([k, t], i) => [k, t, good[i % good.length]!] as const,
  );

  it.each(good.map((p, i) => [i, p] as const))('good plan %i: both accept', async (_i, plan) => {
    const r = await renderPlan(plan, pool, provider);
    const ours = await validateChain({
      chain: r.presented,
      trustAnchors: r.trustAnchors,
      ...r.context,
      provider,
      cache: r.cache,
    });
    const theirs = await opensslVerify(r, dir);
    expect({ ours: ours.ok, openssl: theirs.ok, problems: ours.problems, output: theirs.output }).toMatchObject({
      ours: true,
      openssl: true,
    });
  });

  it.each(bad)('fault %s (%s): both reject', async (kind, target, plan) => {
    const r = await renderPlan(plan, pool, provider, makeFault(kind, target));
    const ours = await validateChain({
      chain: r.presented,
      trustAnchors: r.trustAnchors,
      ...r.context,
      provider,
      cache: r.cache,
    });
    const theirs = await opensslVerify(r, dir);
    expect({ ours: ours.ok, openssl: theirs.ok, output: theirs.output }).toMatchObject({ ours: false, openssl: false });
    // and openssl rejects for the same reason
    const codes = [...theirs.output.matchAll(/error (\d+) at/g)].map((m) => Number(m[1]));
    expect(codes.some((c) => OPENSSL_ERRORS[kind].includes(c))).toBe(true);
  });
});
