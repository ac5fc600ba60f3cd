/**
 * Reproducibility: the same seed gives the same plans, the same message
 * sequence and the same verdicts; where the algorithms are deterministic,
 * the same bytes.
 *
 * What is byte-reproducible for a given plan (same render cache):
 * - the ClientHello and ServerHello of a full TLS 1.2 handshake where the
 *   client offers only TLS 1.2 (the randoms come from the plan; no key
 *   share, empty session ids);
 * - every ClientHello/ServerHello field except the ones listed below.
 *
 * What differs between two renders, and why:
 * - key_share key_exchange (TLS 1.3) and the ServerKeyExchange /
 *   ClientKeyExchange ECDHE points: ephemeral keys are fresh unless the
 *   config passes `ephemeral` (renderHandshake does not);
 * - the TLS 1.2 RSA premaster (ClientKeyExchange of RSA suites: random
 *   premaster and random PKCS#1 v1.5 padding);
 * - legacy_session_id: 32 random bytes in TLS 1.3 compatibility mode and
 *   for TLS 1.2 tickets; the server's TLS 1.2 session id when it caches;
 * - tickets (TLS 1.2 session_ticket extension too), ticket_age_add, PSK identities and binders, HRR cookies
 *   (random bytes / keyed by a random ticket key);
 * - the renegotiation_info of a TLS 1.2 renegotiation's hellos: the Finished values of the handshake before;
 * - ECDSA and RSA-PSS signatures (ServerKeyExchange, CertificateVerify)
 *   are randomized; RSA PKCS#1 v1.5 is deterministic;
 * - Finished and everything after it (they hash all of the above), and
 *   CBC record IVs;
 * - certificates are byte-identical within one render cache; a fresh cache
 *   re-signs them, so ECDSA-rooted chains differ across caches.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { nodeProvider } from '../crypto/provider';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli/main';
import { testPki } from '../engine/fixtures';
import {
  type HandshakePlan,
  REFERENCE_PLANS,
  type RenderCache,
  describePlan,
  handshakePlanArb,
  messageSequence,
  newRenderCache,
  renderHandshake,
} from '../generators/handshake';
import { OFFLINE_MUTATIONS as OPERATORS, baseChoiceArb, runMutant } from '../generators/mutations';
import { BASES } from '../generators/mutations/support';
import { ruleById } from '../oracles/catalogue';
import { checkTranscript } from '../oracles/evaluate';
import type { Transcript } from '../transcript/model';
import { toHex } from '../wire/hex';

const SEED = Number(process.env['TLSPROP_REPRO_SEED'] ?? 20261125);
const PLANS = Math.max(1, Number(process.env['TLSPROP_REPRO_RUNS'] ?? 8));

/** Fields whose bytes are random by design (see the header): replaced by their length. */
const RANDOM_FIELDS: ReadonlySet<string> = new Set([
  'sessionId',
  'keyExchange',
  'identity',
  'binders',
  'cookie',
  'obfuscatedTicketAge',
  'ticket',
  'renegotiatedConnection',
]);

/** A hello message as JSON, bytes as hex, random-by-design fields masked (length kept). */
function masked(body: unknown): string {
  return JSON.stringify(body, (key, v: unknown) => {
    if (RANDOM_FIELDS.has(key)) {
      if (v instanceof Uint8Array) return `<random ${v.length} bytes>`;
      if (Array.isArray(v)) return `<random ${v.length} items>`;
      return '<random>';
    }
    return v instanceof Uint8Array ? toHex(v) : v;
  });
}

function hellos(t: Transcript): Array<{ type: string; raw: string; masked: string }> {
  return t.messages
    .filter((m) => m.type === 'client_hello' || m.type === 'server_hello')
    .map((m) => ({ type: `${m.dir} ${m.type}`, raw: m.raw ? toHex(m.raw) : '', masked: masked(m.decoded?.body) }));
}

/** Whether the plan's hellos carry no random-by-design bytes (full TLS 1.2, client offers only 1.2, no renegotiation). */
function hellosDeterministic(plan: HandshakePlan): boolean {
  return (
    plan.version === '1.2' &&
    plan.versionsOffered !== 'client-both' &&
    plan.resumption === 'none' &&
    plan.renegotiation === 'none'
  );
}

async function renderAndCheck(plan: HandshakePlan, cache: RenderCache) {
  const r = await renderHandshake(plan, cache);
  const earlier = r.earlier.map((e) => e.transcript);
  const res = await checkTranscript(r.transcript, {
    trustAnchors: r.trustAnchors,
    at: r.at,
    privateKeys: r.privateKeys,
    certCache: cache.certCache,
    earlier,
  });
  return { r, verdicts: res.verdicts.map((v) => `${v.rule} ${v.status}`) };
}

describe('reproducibility', () => {
  test('(a) the same seed samples the same plans, another seed other plans', () => {
    const a = fc.sample(handshakePlanArb(), { seed: SEED, numRuns: 20 });
    const b = fc.sample(handshakePlanArb(), { seed: SEED, numRuns: 20 });
    expect(b).toEqual(a);
    expect(fc.sample(handshakePlanArb(), { seed: SEED + 1, numRuns: 20 })).not.toEqual(a);
  });

  const plans: Array<[string, HandshakePlan]> = [
    ['reference mutual', REFERENCE_PLANS.mutual],
    ...fc
      .sample(handshakePlanArb(), { seed: SEED, numRuns: PLANS })
      .map((p, i): [string, HandshakePlan] => [`plan ${i + 1}: ${describePlan(p)}`, p]),
  ];

  test.each(plans)('(b) rendering twice gives the same messages, hellos and verdicts: %s', async (_label, plan) => {
    const cache = newRenderCache(nodeProvider());
    const one = await renderAndCheck(plan, cache);
    const two = await renderAndCheck(plan, cache);
    expect(messageSequence(two.r.transcript)).toEqual(messageSequence(one.r.transcript));
    expect(messageSequence(one.r.transcript)).toEqual(one.r.expected);
    expect(two.verdicts).toEqual(one.verdicts);
    expect(one.verdicts.some((v) => v.endsWith(' violation'))).toBe(false);
    const h1 = hellos(one.r.transcript);
    const h2 = hellos(two.r.transcript);
    expect(h2.map((h) => h.masked)).toEqual(h1.map((h) => h.masked));
    if (hellosDeterministic(plan)) expect(h2.map((h) => h.raw)).toEqual(h1.map((h) => h.raw));
    // The randoms are the plan's (HRR's random is the RFC 8446 constant; TLS 1.2 downgrade sentinel keeps the first 24 bytes).
    const ch = one.r.transcript.messages.find((m) => m.type === 'client_hello')?.decoded?.body;
    expect(ch?.type === 'client_hello' && toHex(ch.random)).toBe(toHex(plan.clientRandom));
    // Certificates come from the cache: the same bytes in both renders.
    const certs = (t: Transcript) => t.messages.filter((m) => m.type === 'certificate').map((m) => (m.raw ? toHex(m.raw) : ''));
    if (plan.resumption === 'none') expect(certs(two.r.transcript)).toEqual(certs(one.r.transcript));
  });

  test('(b) the reference mutual flow: the ClientHello and ServerHello bytes are identical across renders and caches', async () => {
    const one = await renderHandshake(REFERENCE_PLANS.mutual, newRenderCache(nodeProvider()));
    const two = await renderHandshake(REFERENCE_PLANS.mutual, newRenderCache(nodeProvider()));
    expect(hellos(two.transcript).map((h) => h.raw)).toEqual(hellos(one.transcript).map((h) => h.raw));
    // ...while the ephemeral ECDHE point is fresh each time (documented above).
    const ske = (t: Transcript) => t.messages.find((m) => m.type === 'server_key_exchange')?.raw;
    expect(toHex(ske(two.transcript) ?? new Uint8Array())).not.toBe(toHex(ske(one.transcript) ?? new Uint8Array()));
  });

  test('(c) a mutant run twice with the same choice gives the same verdicts', async () => {
    const pki = await testPki();
    for (const [k, op] of OPERATORS.entries()) {
      if (k % 8 !== 0) continue; // every 8th operator keeps the test short
      const [choice] = fc.sample(baseChoiceArb(op), { seed: SEED + k, numRuns: 1 });
      if (!choice) throw new Error('no choice sampled');
      const runs = [];
      for (let i = 0; i < 2; i++) {
        const m = await runMutant(op, pki, choice);
        const res = await checkTranscript(m.transcript, m.check);
        runs.push({ sequence: messageSequence(m.transcript), verdicts: res.verdicts.map((v) => `${v.rule} ${v.status}`) });
      }
      expect({ op: op.name, ...runs[1] }).toEqual({ op: op.name, ...runs[0] });
      // a declaration of both versions may name rules of one version each: those of the base's version trip
      for (const d of op.rules.filter((r) => ruleById(r).versions.includes(BASES[choice.base].version)))
        expect({ op: op.name, verdict: runs[0]?.verdicts.includes(`${d} violation`) }).toEqual({ op: op.name, verdict: true });
    }
  });

  test('(d) `tlsprop run --self --smoke --seed S` twice writes the same report.json apart from timestamps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-repro-'));
    const quiet = { out: () => undefined, err: () => undefined, readStdin: async () => '' };
    try {
      const reports: Array<Record<string, unknown>> = [];
      for (const name of ['a', 'b']) {
        const out = join(dir, name);
        expect(
          await main(['run', '--self', '--smoke', '--seed', String(SEED), '--count', '2', '--mutants', '1', '--out', out], quiet),
        ).toBe(0);
        reports.push(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Record<string, unknown>);
      }
      const [a = {}, b = {}] = reports;
      for (const section of ['summary', 'rules', 'mutation', 'configuration', 'stateMachines', 'counterexamples'])
        expect({ section, value: b[section] }).toEqual({ section, value: a[section] });
      const { startedAt: _a, run: runA, ...restA } = a;
      const { startedAt: _b, run: runB, ...restB } = b;
      expect(restB).toEqual(restA);
      // the run metadata differs in its duration and its --out only
      const same = (r: unknown) => {
        const { durationMs: _d, argv: _v, ...rest } = r as Record<string, unknown>;
        return rest;
      };
      expect(same(runB)).toEqual(same(runA));
      // 2 reference flows + 2 generated plans (+ the first connection of a resumed plan), and mutants.
      expect(a['summary']).toMatchObject({ transcripts: expect.any(Number), mutants: expect.any(Number) });
      expect((a['summary'] as { transcripts: number }).transcripts).toBeGreaterThanOrEqual(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000); // two whole smoke runs: a guard against a hang, not a time limit (load 10+ took over 60 s)

  test('(e) a failing property reports its seed and path, and replays to the same counterexample', () => {
    // Deliberately false: some generated plan is TLS 1.2 with client authentication.
    const property = fc.property(handshakePlanArb(), (p) => !(p.version === '1.2' && p.clientAuth === 'required'));
    const first = fc.check(property, { seed: SEED, numRuns: 200 });
    expect(first.failed).toBe(true);
    expect(first.counterexamplePath).toEqual(expect.any(String));
    const path = first.counterexamplePath ?? '';
    // The failure report prints the seed and the path to replay.
    const message = fc.defaultReportMessage(first) ?? '';
    expect(message).toContain(`seed: ${first.seed}`);
    expect(message).toContain(`path: "${path}"`);
    const replay = fc.check(property, { seed: first.seed, path });
    expect(replay.failed).toBe(true);
    expect(replay.counterexample).toEqual(first.counterexample);
    expect(replay.counterexamplePath).toBe(path);
  });
});
