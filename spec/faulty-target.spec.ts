/**
 * Issue #7: the fuzzer must find every fault switch of the deliberately
 * faulty target (server side), name the rule, and shrink to a minimal
 * conversation. For each server-side fault of engine/faults.ts the faulty
 * server (engine/serve.ts, startFaultyServer) runs with exactly that fault on 127.0.0.1 (client
 * certificates required, trusting the test root), and fuzzTarget runs
 * unrestricted (every applicable operator, state scenario and certificate
 * fault) with one seed and RUNS conversations, at the default strictness.
 * Asserted per fault:
 *   - a finding that names one of the fault's rules: accepted-invalid (the
 *     target went on after what it must refuse), flagged (the oracles name the
 *     target's own message or record: ske-unoffered-scheme, alert-handshake-keys),
 *     no-alert (silent-close-bad-signature: a MUST finding in TLS 1.2) or
 *     target-crashed (crash-on-invalid-key-share: the target stops listening;
 *     the run confirms the culprit alone and restarts the target on its port);
 *   - its shrunk counterexample has the concrete minimal shape: fast-check
 *     shrinks the configuration indices towards 0 (suite, group, client
 *     random, restricted signature_algorithms offer) and a state-step list
 *     to a single step, keeping the same verdict and rule;
 *   - replaying seed + the shrunk path gives the same verdict and rule.
 * The control: the same engine server without faults gives no finding at
 * all for the same seed and run count.
 *
 * RUNS covers every applicable name once (the fuzzer runs one conversation
 * per name first, in a seed-shuffled order: fuzz/families.ts coverageExamples);
 * the test below checks that count against the probe.
 */
import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_SCHEMES } from '../engine/config';
import { FAULT_IDS, type Fault, FAULTS } from '../engine/faults';
import { type TestPki, testPki } from '../engine/fixtures';
import type { FailureReport } from '../fuzz/core';
import { CFG0, type ConvSpec, coverageExamples, lengthsCoverage } from '../fuzz/families';
import { DEFAULT_STRICTNESS, ladderText } from '../fuzz/judge';
import type { ServerFuzzOptions } from '../fuzz/options';
import { type ConversationResult, type FuzzResult, fuzzTarget, planContext } from '../fuzz/target';
import { faultRules } from '../generators/mutations';
import { MUTATIONS } from '../generators/mutations/catalogue';
import { startFaultyServer } from '../engine/serve';
import { ServerSessionCache } from '../engine/session';
import { nodeProvider } from '../crypto';
import { type OptionsChange, withOptions } from './support/fuzz-options';
import { LOOPBACK } from '../testing/launch';
import { EARLIER_MUTATIONS } from './support/families';

const SEED = 1;
// (the valid conversations with each test-PKI client key count: rsa-pss-sha384 and rsa-pss-sha512 added four; the
// lengths family three)
const RUNS = 66;

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

function options(port: number): ServerFuzzOptions {
  return {
    target: { host: LOOPBACK, port },
    identity: { pki, identity: pki.identity('client', 'rsa'), trustAnchors: pki.anchors, serverName: 'localhost' },
    budget: { seed: SEED, runs: RUNS, maxShrinkRuns: 10 },
    // the catalogue without the issue #14 families (spec/families-stacks.spec.ts, spec/self-fuzz.spec.ts run those): RUNS covers it
    profile: { strictness: DEFAULT_STRICTNESS, only: EARLIER_MUTATIONS },
  };
}

/** Fuzz our engine's server with these faults (none: the control); the server is stopped before returning. */
async function fuzzFaulty(
  faults: readonly Fault[],
  extra: OptionsChange<ServerFuzzOptions> = {},
): Promise<{ r: FuzzResult; errors: readonly string[] }> {
  const start = (port?: number) =>
    startFaultyServer({
      identity: pki.identity('server', 'rsa'),
      clientAuth: 'require',
      trustAnchors: pki.anchors,
      faults,
      // it renegotiates (RFC 5746 secure renegotiation), so the renegotiation family's mutations reach its checks; a
      // resumption fault's target keeps sessions (the others do not, so the control and their runs are as before)
      config: {
        renegotiation: 'secure',
        ...(faults.includes('resume-unoffered-suite') ? { sessionCache: new ServerSessionCache(nodeProvider()) } : {}),
      },
      // a fault that shows only in what the server sends after reading our input runs on a server that answers data
      ...(faults.some((f) => ECHOING.includes(f)) ? { app: { kind: 'echo' as const } } : {}),
      ...(port !== undefined ? { port } : {}),
    });
  const servers = [await start()];
  const port = servers[0]!.port;
  // a target that died (crash-on-invalid-key-share) is started again on its port, as --restart-cmd would
  const restart = async () => {
    servers.push(await start(port));
  };
  try {
    const r = await fuzzTarget(withOptions(withOptions(options(port), { target: { restart } }), extra));
    return { r, errors: servers.flatMap((x) => x.errors) };
  } finally {
    for (const x of servers) await x.close();
  }
}

/**
 * Faults the greeting server cannot show: it sends nothing after reading our data, so nothing of its own follows our
 * KeyUpdate (ignore-key-update-request: RFC 8446 §4.6.3 binds the KeyUpdate to "its next Application Data record").
 */
const ECHOING: readonly Fault[] = ['ignore-key-update-request'];

/**
 * The faults that exist in servers (a client-only fault, spec/faulty-clients.spec.ts, has no server to be found in)
 * and show in a conversation (reuse-server-randomness shows only across conversations: its own test below).
 */
type ServerFault = Exclude<Fault, 'accept-tls12-from-t13-only' | 'reuse-server-randomness'>;
const ALL_SERVER_FAULTS = FAULT_IDS.filter(
  (f): f is ServerFault => FAULTS[f].sides.includes('server') && f !== 'reuse-server-randomness',
);

/** The rules of a fault in either version. */
const rulesOf = (f: Fault): string[] => [...faultRules(f, '1.2'), ...faultRules(f, '1.3')];

/**
 * Each fault: the verdict of its findings, and one concrete minimal counterexample that must be among the shrunk
 * ones (the coverage-first runs try every name at the simplest configuration, so with this seed it is found as such).
 */
type Verdict = 'accepted-invalid' | 'flagged' | 'no-alert' | 'target-crashed' | 'wrong-alert';
const mutants = (...ops: string[]): ConvSpec[] => ops.map((op) => ({ kind: 'mutant', op, cfg: CFG0 }));
const certs = (...faults: string[]): ConvSpec[] =>
  faults.flatMap((fault) => (['1.2', '1.3'] as const).map((version) => ({ kind: 'cert' as const, fault, version, cfg: CFG0 })));
/** Every invalid ECDH value our client sends (findings are grouped by verdict and rule: any of them may stand for its group). */
const ECDH = mutants(
  't12-cke-point-y-flipped',
  't12-cke-point-off-curve',
  't12-cke-point-identity',
  't12-cke-point-wrong-length',
  't13-keyshare-y-flipped',
  't13-keyshare-off-curve',
  't13-keyshare-identity',
  't13-keyshare-wrong-length',
  't13-keyshare-x25519-small-order',
);

const EXPECTED: Record<ServerFault, { verdict: Verdict; rule: string; shrunk: ConvSpec; or?: ConvSpec[]; needs?: string }> = {
  'accept-missing-cv': {
    verdict: 'accepted-invalid',
    rule: 't12.order.cv-iff-signing-cert',
    shrunk: { kind: 'mutant', op: 't12-skip-client-cv', cfg: CFG0 },
  },
  // either version's corrupted signature (a flipped bit can also make an RSA signature malformed, e.g. not below the
  // modulus: the fault only waves through well-formed signatures that do not verify, so one of them may be refused)
  'accept-cv-wrong-transcript': {
    verdict: 'accepted-invalid',
    rule: 't12.cv.signature-valid',
    shrunk: { kind: 'mutant', op: 't12-cv-sig-corrupt', cfg: CFG0 },
    or: [{ kind: 'mutant', op: 't13-client-cv-sig-corrupt', cfg: CFG0 }],
  },
  'accept-early-ccs': {
    verdict: 'accepted-invalid',
    rule: 't12.order.ccs-timing',
    shrunk: { kind: 'state', scenarios: ['t12-state-early-ccs'], cfg: CFG0 },
  },
  'skip-finished-check': {
    verdict: 'accepted-invalid',
    rule: 't13.fin.verify-data',
    shrunk: { kind: 'mutant', op: 't13-client-finished-wrong', cfg: CFG0 },
  },
  // the faulty server picks its own first suite whatever we offer: offering that one (suite#0) alone is no fault, suite#1 is the simplest that shows it
  'accept-unoffered-suite': {
    verdict: 'flagged',
    rule: 't12.neg.suite-offered',
    shrunk: { kind: 'valid', version: '1.2', cfg: { ...CFG0, suite: 1 } },
  },
  // group#0 of P-256/P-384: P-256; findings are grouped by (verdict, rule): the first of each group stands for it
  'accept-invalid-ecdh-point': {
    verdict: 'accepted-invalid',
    rule: 'ecdh.point-on-curve',
    shrunk: { kind: 'mutant', op: 't12-cke-point-y-flipped', cfg: CFG0 },
    or: ECDH,
  },
  'accept-expired-client-cert': {
    verdict: 'accepted-invalid',
    rule: 'cert.path.validity',
    shrunk: { kind: 'cert', fault: 'client-cert-expired', version: '1.2', cfg: CFG0 },
  },
  // tried in TLS 1.3 first; the version shrinks to 1.2
  'accept-wrongly-signed-client-cert': {
    verdict: 'accepted-invalid',
    rule: 'cert.path.signature',
    shrunk: { kind: 'cert', fault: 'client-cert-wrong-key', version: '1.2', cfg: CFG0 },
  },
  // schemes#1: our client offers only the target's first probed scheme (plus its chain's), so there is an unoffered one to pick
  'ske-unoffered-scheme': {
    verdict: 'flagged',
    rule: 't12.neg.ske-sigalg',
    shrunk: { kind: 'valid', version: '1.2', cfg: { ...CFG0, schemes: 1 } },
    // the valid renegotiation's first handshake makes the same offer (findings are grouped by verdict and rule)
    or: [{ kind: 'reneg', cfg: { ...CFG0, schemes: 1 } }],
  },
  // the target refuses a client without a certificate (the probe), so going on after a bad chain is accepting it
  'accept-any-client-cert': {
    verdict: 'accepted-invalid',
    rule: 'cert.path.trust-anchor',
    shrunk: { kind: 'cert', fault: 'client-cert-unknown-ca', version: '1.2', cfg: CFG0 },
    or: certs('client-cert-unknown-ca', 'client-cert-expired', 'client-cert-wrong-key'),
  },
  // every CertificateVerify that does not verify: a silent close, a MUST finding in 1.2, a SHOULD finding in 1.3
  'silent-close-bad-signature': {
    verdict: 'no-alert',
    rule: 'alert.t12.must-send',
    shrunk: { kind: 'mutant', op: 't12-cv-sig-corrupt', cfg: CFG0 },
    or: mutants('t12-cv-missing-message', 't12-cv-extra-message', 't12-cv-sig-truncated', 't13-client-cv-sig-corrupt'),
  },
  // the target dies of an invalid ECDH value: found, confirmed alone, brought back by the restart, named by its rule
  'crash-on-invalid-key-share': {
    verdict: 'target-crashed',
    rule: 'ecdh.point-on-curve',
    shrunk: { kind: 'mutant', op: 't13-keyshare-off-curve', cfg: CFG0 },
    or: ECDH,
  },
  // a HelloRetryRequest after our invalid ClientHello is going on (fuzz/observe.ts), not refusing
  'hrr-missing-key-share': {
    verdict: 'accepted-invalid',
    rule: 't13.neg.mandatory-extensions',
    shrunk: { kind: 'mutant', op: 't13-ch-keyshare-omitted', cfg: CFG0 },
    needs: 't13-ch-keyshare-omitted',
  },
  'accept-ccs-after-finished': {
    verdict: 'accepted-invalid',
    rule: 'rec.t13.ccs-compat',
    shrunk: { kind: 'mutant', op: 't13-ccs-after-finished', cfg: CFG0 },
    needs: 't13-ccs-after-finished',
  },
  'accept-cv-unoffered-scheme': {
    verdict: 'accepted-invalid',
    rule: 't12.neg.cv-sigalg',
    shrunk: { kind: 'mutant', op: 'cv-md5', cfg: CFG0 },
    // a mutation of both versions runs once in each (coverage names the version): findings are grouped by (verdict,
    // rule), so the TLS 1.2 and 1.3 rules each have one
    or: (['1.2', '1.3'] as const).flatMap((version) =>
      ['cv-scheme-not-requested', 'cv-sha1'].map((op): ConvSpec => ({ kind: 'mutant', op, version, cfg: CFG0 })),
    ),
    needs: 'cv-md5',
  },
  // its ServerHello after our ClientHello without a common suite is going on (fuzz/observe.ts). On merge with the
  // live families, whose ClientHello family names t12.neg.no-common-parameters for this duty, the fault's rules take
  // that id in place of t12.neg.no-common-suite (one rule per duty)
  'null-suite-no-common': {
    verdict: 'accepted-invalid',
    rule: 't12.neg.no-common-parameters',
    shrunk: { kind: 'mutant', op: 'ch-only-unknown-suites', version: '1.2', cfg: CFG0 },
    or: [{ kind: 'mutant', op: 'ch-only-unknown-suites', version: '1.3', cfg: CFG0 }],
    needs: 'ch-only-unknown-suites',
  },
  // the renegotiation family (the target renegotiates: renegotiation secure) renegotiates without renegotiation_info
  'accept-renegotiation-without-ri': {
    verdict: 'accepted-invalid',
    rule: 'ext.reneg.secure',
    shrunk: { kind: 'reneg', op: 't12-reneg-client-no-ri', cfg: CFG0 },
  },
  // the KeyUpdate family's valid update_requested conversations: the faulty server echoes our data under its old keys
  // without a KeyUpdate of its own first (RFC 8446 §4.6.3), which t13.neg.keyupdate-values flags on its data; the
  // coverage-first conversations are not shrunk further (the one update, 32 in a row, or the fragmented one)
  'ignore-key-update-request': {
    verdict: 'flagged',
    rule: 't13.neg.keyupdate-values',
    shrunk: { kind: 'keyupdate', updates: [true], cfg: CFG0 },
    or: [
      { kind: 'keyupdate', updates: new Array<boolean>(32).fill(true), cfg: CFG0 },
      { kind: 'keyupdate', op: 't13-keyupdate-fragmented', cfg: CFG0 },
    ],
  },
  // the renegotiation family: a connection with encrypt-then-MAC renegotiated without encrypt_then_mac (CBC suites only);
  // the target's MAC-then-encrypt ServerHello is its own violation, which our client refuses (RFC 7366 §3.1 binds it too)
  'accept-etm-downgrade': {
    verdict: 'flagged',
    rule: 'ext.etm.no-downgrade',
    shrunk: { kind: 'reneg', op: 't12-reneg-client-drops-etm', cfg: CFG0 },
  },
  // the resumption family (this fault's target keeps sessions: fuzzFaulty) offers the session without its suite: the
  // target resumes it with that suite, which its ServerHello then selects unoffered (RFC 5246 §7.4.1.3)
  'resume-unoffered-suite': {
    verdict: 'flagged',
    rule: 't12.neg.suite-offered',
    shrunk: { kind: 'resume', version: '1.2', op: 't12-resume-without-session-suite', cfg: CFG0 },
  },
  // the lengths family's 2^14-byte records (no shorter conversation has one: not shrunk further), in either version
  'record-limit-off-by-one': {
    verdict: 'wrong-alert',
    rule: 'rec.appdata-up-to-limit',
    shrunk: lengthsCoverage(SEED, ['1.2', '1.3'])[0]!,
    or: lengthsCoverage(SEED, ['1.2', '1.3']).slice(1),
  },
  // each RSA premaster fault, our flight split before its ChangeCipherSpec: the target's decrypt_error (an alert the
  // Finished failure allows) answers the ClientKeyExchange alone, before our Finished (RFC 5246 §7.4.7.1)
  'alert-on-bad-premaster': {
    verdict: 'wrong-alert',
    rule: 't12.rsa.no-oracle',
    shrunk: { kind: 'mutant', op: 't12-rsa-premaster-block-type-1', cfg: CFG0 },
    or: mutants(
      't12-rsa-premaster-no-separator',
      't12-rsa-premaster-early-separator',
      't12-rsa-premaster-47-bytes',
      't12-rsa-premaster-49-bytes',
      't12-rsa-premaster-zeros',
      't12-rsa-premaster-block-type-3',
      't12-rsa-premaster-first-byte-1',
      't12-rsa-premaster-zero-first-padding',
      't12-rsa-premaster-two-bytes',
      't12-rsa-premaster-4-bytes',
      't12-rsa-premaster-empty',
      't12-rsa-premaster-one-byte',
      't12-rsa-premaster-short-padding',
      't12-rsa-premaster-long-padding',
      't12-rsa-premaster-wrong-version',
    ),
  },
  // any TLS 1.3 conversation where the server aborts after its Finished shows it
  'alert-handshake-keys': {
    verdict: 'flagged',
    rule: 'rec.t13.app-keys-after-finished',
    shrunk: { kind: 'mutant', op: 't13-client-finished-wrong', cfg: CFG0 },
    or: [
      ...mutants('t13-client-cv-sig-corrupt', 't13-skip-client-cv', 't13-drop-client-certificate'),
      ...certs('client-cert-unknown-ca', 'client-cert-wrong-key', 'client-cert-expired', 'client-cert-empty'),
      ...[
        't13-state-fin-before-cv',
        't13-state-cert-skipped',
        't13-state-second-ch',
        't13-state-fin-skipped',
        't13-state-appdata-before-fin',
      ].map((n): ConvSpec => ({ kind: 'state', scenarios: [n], cfg: CFG0 })),
    ],
  },
};

/**
 * The shapes, and each mutant one again with every other client certificate key its mutation runs with
 * (Needs.clientKeys: the signature-bytes mutations run with the test PKI's Ed25519 and Ed448 keys too). A key is part of
 * what the conversation tests, not a configuration index: a coverage conversation keeps it when it is shrunk, and the
 * coverage order (seed-shuffled) decides which key's conversation stands for a (verdict, rule) group.
 */
function withClientKeys(shapes: readonly ConvSpec[]): ConvSpec[] {
  return shapes.flatMap((x) => {
    if (x.kind !== 'mutant') return [x];
    const keys = MUTATIONS.find((m) => m.name === x.op)?.needs?.clientKeys ?? [];
    return [x, ...keys.filter((k) => k !== 'own').map((key): ConvSpec => ({ ...x, key }))];
  });
}

/**
 * A fault whose conversations come from the issue #14 families (livefam landed them: no longer awaited): its run
 * takes them in besides the earlier catalogue, each once more in the coverage-first runs.
 */
const familyRun = (f: ServerFault): { profile?: { only: string[] }; budget?: { runs: number } } => {
  const specs = [EXPECTED[f].shrunk, ...(EXPECTED[f].or ?? [])];
  const ops = specs
    .flatMap((x) =>
      x.kind === 'mutant' ? [x.op] : (x.kind === 'reneg' || x.kind === 'resume') && x.op !== undefined ? [x.op] : [],
    )
    .filter((n) => !EARLIER_MUTATIONS.includes(n));
  // the resumption family also runs a valid resumption per version the target resumes in
  const valid = specs.some((x) => x.kind === 'resume') ? 2 : 0;
  return ops.length ? { profile: { only: [...EARLIER_MUTATIONS, ...ops] }, budget: { runs: RUNS + ops.length + valid } } : {};
};

const awaits = (f: ServerFault): boolean => {
  const n = EXPECTED[f].needs;
  return n !== undefined && !MUTATIONS.some((m) => m.name === n);
};
const SERVER_FAULTS = ALL_SERVER_FAULTS.filter((f) => !awaits(f));
const AWAITING = ALL_SERVER_FAULTS.filter(awaits);

/** Shrinking only ever simplifies: state steps never grow, configuration indices never rise. */
function notLarger(shrunk: ConvSpec, original: ConvSpec): boolean {
  const c = shrunk.cfg;
  const o = original.cfg;
  const steps = (s: ConvSpec) => (s.kind === 'state' ? s.scenarios.length : 1);
  return (
    steps(shrunk) <= steps(original) &&
    c.suite <= o.suite &&
    c.group <= o.group &&
    c.random <= o.random &&
    c.schemes <= o.schemes &&
    (!c.compat || o.compat)
  );
}

function describeFailures(r: FuzzResult): string[] {
  return r.failures.map(
    (f) =>
      `${f.original.run.path} ${f.original.run.verdict} ${f.original.run.rule ?? '-'} ${f.original.conversation.name} -> ${f.shrunk ? `${f.shrunk.run.path} ${f.shrunk.conversation.name}` : '(not shrunk)'}`,
  );
}

describe('the fuzzer finds every server-side fault of the faulty target', () => {
  it('the run count covers every applicable conversation name once (coverage first)', async () => {
    const { r } = await fuzzFaulty([], { budget: { runs: 1 } });
    const names = coverageExamples(planContext(options(0), r.profile)).map((e) =>
      e.kind === 'mutant'
        ? `${e.op}${e.version ? ` ${e.version}` : ''}${e.key ? ` key=${e.key}` : ''}`
        : e.kind === 'state'
          ? e.scenarios.join('+')
          : e.kind === 'cert'
            ? e.fault
            : e.kind === 'reneg'
              ? (e.op ?? 'reneg valid')
              : e.kind === 'early'
                ? (e.op ?? 'early valid')
                : e.kind === 'keyupdate'
                  ? (e.op ?? `keyupdate ${(e.updates ?? []).join(',')}`)
                  : e.kind === 'resume'
                    ? (e.op ?? `resume ${e.version} valid`)
                    : e.kind === 'lengths'
                      ? `lengths ${e.version} ${e.lengths.join(',')}${e.padded ? ' padded' : ''}`
                      : `valid ${e.version} suite#${e.cfg.suite}${e.key ? ` key=${e.key}` : ''}${e.sigs13 ? ` sigs13=${e.sigs13}` : ''}`,
    );
    expect(names.length).toBeLessThanOrEqual(RUNS);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        't12-cke-point-y-flipped',
        't13-keyshare-y-flipped',
        't12-state-early-ccs',
        't13-state-appdata-before-fin',
        'client-cert-expired',
        'valid 1.2 suite#0',
        // the signature-bytes mutations with the test PKI's EdDSA client certificates too, and a valid conversation with
        // each other client key the CertificateRequest lets our client sign with
        't12-cv-sig-corrupt key=ed25519',
        't13-client-cv-sig-corrupt key=ed448',
        'valid 1.3 suite#0 key=ed25519',
        'valid 1.2 suite#0 key=rsa-pss',
        'valid 1.3 suite#0 key=rsa-pss-sha384',
        'valid 1.2 suite#0 key=rsa-pss-sha512',
      ]),
    );
    expect(r.profile.certificateRequest?.['1.2']?.schemes).toEqual(expect.arrayContaining([0x0807, 0x0808, 0x0809]));
    expect(r.profile.eddsa13).toEqual([]);
    // the probe saw what the faults need: TLS 1.2 and 1.3, the NIST groups, a CertificateRequest, schemes to restrict to
    expect(r.profile.certificateRequested).toBe(true);
    expect(r.profile.groups).toEqual(expect.arrayContaining([23, 24]));
    // an RSA server key: the RSA schemes of the probe list, in probe order (PSS and PKCS#1, SHA-256 and SHA-384); the test root signs with ECDSA P-256
    expect(r.profile.schemes).toEqual([0x0804, 0x0401, 0x0805, 0x0501]);
    expect(r.profile.chainSchemes).toEqual([0x0403]);
  });

  // a fault whose input comes from a conversation family not in the catalogue yet (the live families work: a
  // ClientHello without key_share, a CCS after our Finished, an MD5 CertificateVerify) waits for it, listed as a
  // todo, never passed
  for (const f of AWAITING) it.todo(`${f}: needs the family of ${EXPECTED[f].needs} in the mutation catalogue`);

  it.each(SERVER_FAULTS)(
    '%s: found, named, shrunk to the minimal conversation, replayed by seed and path',
    async (fault) => {
      const { r, errors } = await fuzzFaulty([fault], familyRun(fault));
      expect(errors).toEqual([]);
      expect(r.sanity).toEqual({ first: true, last: true });
      const want = EXPECTED[fault];
      const rules = rulesOf(fault);
      expect(rules).toContain(want.rule);
      const found = r.failures.filter(
        (f): f is FailureReport<ConversationResult> & { shrunk: ConversationResult } =>
          f.original.run.verdict === want.verdict && rules.includes(f.original.run.rule ?? '') && f.shrunk !== undefined,
      );
      expect({ fault, found: found.length > 0, failures: describeFailures(r) }).toMatchObject({ found: true });
      for (const f of found) {
        expect(f.reproduced).toBe(true);
        // same failure (verdict and rule), never larger than the original
        expect({ verdict: f.shrunk.run.verdict, rule: f.shrunk.run.rule }).toEqual({
          verdict: f.original.run.verdict,
          rule: f.original.run.rule,
        });
        expect(notLarger(f.shrunk.spec!, f.original.spec!)).toBe(true);
        if (f.shrunk.spec?.kind === 'state') expect(f.shrunk.spec.scenarios).toHaveLength(1);
      }
      // the concrete minimal counterexample
      const shapes = withClientKeys([want.shrunk, ...(want.or ?? [])]);
      const first = found.find((f) => shapes.some((x) => isDeepStrictEqual(f.shrunk.spec, x)));
      expect({
        fault,
        found: first !== undefined,
        failures: describeFailures(r),
        cv: r.results
          .filter((x) => x.conversation.subject?.includes('cv'))
          .map((x) => `${x.run.path} ${x.run.verdict} ${x.run.rule ?? '-'} ${x.conversation.name}: ${x.run.detail ?? ''}`),
      }).toMatchObject({ fault, found: true });
      if (!first) return;
      expect(rules).toContain(first.shrunk.run.rule);
      if (isDeepStrictEqual(first.shrunk.spec, want.shrunk)) expect(first.shrunk.run.rule).toBe(want.rule);
      if (want.verdict === 'flagged')
        expect(first.shrunk.targetViolations.some((v) => v.startsWith(`${want.rule} @`))).toBe(true);
      // replay: seed + shrunk path (the known target profile saves the probe) gives the same verdict and rule
      const fam = familyRun(fault);
      const replay = await fuzzFaulty([fault], {
        ...fam,
        budget: { ...fam.budget, path: first.shrunk.run.path! },
        target: { known: r.profile },
      });
      expect(replay.r.results).toHaveLength(1);
      expect(replay.r.results[0]!.spec).toEqual(first.shrunk.spec);
      expect({ verdict: replay.r.results[0]!.run.verdict, rule: replay.r.results[0]!.run.rule }).toEqual({
        verdict: want.verdict,
        rule: first.shrunk.run.rule,
      });
    },
    60_000,
  );

  it('accept-cv-unoffered-scheme, a CertificateRequest without EdDSA schemes: an Ed25519 / Ed448 CertificateVerify under a scheme it did not list is accepted, and found', async () => {
    const schemes = DEFAULT_SCHEMES.filter((x) => x !== 0x0807 && x !== 0x0808);
    const server = await startFaultyServer({
      identity: pki.identity('server', 'rsa'),
      clientAuth: 'require',
      trustAnchors: pki.anchors,
      faults: ['accept-cv-unoffered-scheme'],
      config: { signatureSchemes: schemes },
    });
    let r: FuzzResult;
    try {
      r = await fuzzTarget(
        withOptions(options(server.port), {
          budget: { runs: 12, maxShrinkRuns: 0 },
          profile: { only: ['cv-eddsa-not-requested'] },
        }),
      );
    } finally {
      await server.close();
    }
    // RFC 5246 §7.4.8 / RFC 8446 §4.4.3: the scheme must be one the CertificateRequest listed
    const found = r.results
      .filter((x) => x.conversation.subject === 'cv-eddsa-not-requested')
      .map((x) => `${x.conversation.name.replace(/ TLS_\w+.*$/, '')} ${x.conversation.version}: ${x.run.verdict} ${x.run.rule}`);
    expect(found.sort()).toEqual(
      [
        'cv-eddsa-not-requested key=ed25519 1.2: accepted-invalid t12.neg.cv-sigalg',
        'cv-eddsa-not-requested key=ed25519 1.3: accepted-invalid t13.neg.cv-sigalg',
        'cv-eddsa-not-requested key=ed448 1.2: accepted-invalid t12.neg.cv-sigalg',
        'cv-eddsa-not-requested key=ed448 1.3: accepted-invalid t13.neg.cv-sigalg',
      ].sort(),
    );
  }, 60_000);

  it('control: the same engine server without faults gives no finding for the same seed and runs', async () => {
    const { r, errors } = await fuzzFaulty([]);
    expect(errors).toEqual([]);
    expect(r.sanity).toEqual({ first: true, last: true });
    expect(r.results).toHaveLength(RUNS);
    expect(r.skipped).toEqual([]);
    expect(r.results.filter((x) => x.run.verdict !== 'conforming').map((x) => ladderText(x.run).join('\n'))).toEqual([]);
    expect(r.failures).toEqual([]);
    // across the conversations: the healthy server draws every random and ephemeral key anew
    expect(r.across.map((v) => `${v.rule} ${v.status}`)).toEqual(['hello.random-fresh pass', 'kex.ephemeral-fresh pass']);
  }, 60_000);

  // no conversation of its own shows it: the run-level rules (oracles/across.ts) find it across the conversations,
  // naming the party, the field and both conversations; the run fails (cli/fuzz.ts fuzzOk)
  it('reuse-server-randomness: found across conversations at the default strictness, naming both conversations', async () => {
    const { r, errors } = await fuzzFaulty(['reuse-server-randomness'], { budget: { runs: 6, maxShrinkRuns: 0 } });
    expect(errors).toEqual([]);
    expect(r.failures).toEqual([]);
    const bad = r.across.filter((v) => v.status === 'violation');
    const rules = new Set(rulesOf('reuse-server-randomness'));
    expect([...new Set(bad.map((v) => v.rule))].sort()).toEqual([...rules].sort());
    const random = bad.find((v) => v.rule === 'hello.random-fresh')!;
    expect(random.detail).toMatch(
      /^The server sent the same ServerHello\.random value in conversation \d+ \(.+\) as in conversation \d+ /,
    );
    expect(random.connections).toHaveLength(2);
    expect(random.connections![0]).not.toBe(random.connections![1]);
    expect(bad.find((v) => v.rule === 'kex.ephemeral-fresh')!.detail).toMatch(
      /^The server sent the same (ServerKeyExchange|ServerHello key_share) value/,
    );
    expect(random.message).toBeGreaterThan(0);
  }, 60_000);
});
