import fc from 'fast-check';
/** Live fuzzing of servers without a network: which declarations run, expected alerts, classification, planning. */
import { testPki } from '../engine/fixtures';
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import { MUTATIONS, mutation } from '../generators/mutations';
import { alertNames, reactionOf } from '../generators/mutations/model';
import { ruleAlerts } from '../oracles/reactions';
import type { RuleId } from '../oracles/catalogue';
import { validateChain } from '../pki/validate';
import { AlertDescription, NamedGroup } from '../wire/registry';
import type { ClientProfile } from './probe';
import { applicableMutants, conversationOf, coveragePicks } from './client-families';
import { coverageOrder, DEFAULT_RANDOM_RUNS, runCount } from './core';
import {
  buildConversation,
  CFG0,
  type ConvSpec,
  conversationArb,
  conversationNames,
  coverageExamples,
  disabledBySpec,
  FAMILIES,
  type PlanContext,
} from './families';
import { firingHooks } from './judge';
import { suiteName } from './names';
import type { BudgetOptions, IdentityOptions, ProfileOptions, ServerFuzzOptions } from './options';
import type { TargetProfile } from './probe';
import { disabledBy, expectedFailureOf, ProfileError, parseProfile } from './profile';
import { planContext, planConversations } from './target';

/** Options of a run against a (not contacted) server. */
async function options(
  extra: { identity?: Partial<IdentityOptions>; budget?: Partial<BudgetOptions>; profile?: Partial<ProfileOptions> } = {},
): Promise<ServerFuzzOptions> {
  const pki = await testPki();
  const o: ServerFuzzOptions = {
    target: { host: '127.0.0.1', port: 1 },
    identity: { pki },
    budget: { seed: 42 },
    profile: { strictness: 'exact' },
  };
  return {
    target: o.target,
    identity: { ...o.identity, ...extra.identity },
    budget: { ...o.budget, ...extra.budget },
    profile: { ...o.profile, ...extra.profile },
  };
}
const mutantsOf = (ctx: PlanContext): string[] => FAMILIES.mutant.members(ctx).map((m) => m.name);

describe('which declarations run against a server', () => {
  it('mutants: the client-sends mutations of the catalogue whose rules name a reaction, filtered by what the target does', async () => {
    const o = await options({ identity: { identity: (await testPki()).identity('client', 'rsa') } });
    const tls13: TargetProfile = {
      suites: { '1.2': [], '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256] },
      certificateRequested: false,
    };
    const only13 = mutantsOf(planContext(o, tls13));
    expect(only13).toEqual(
      expect.arrayContaining([
        't13-client-finished-wrong',
        't13-keyshare-off-curve',
        't13-keyshare-identity',
        't13-keyshare-wrong-length',
        't13-keyshare-x25519-small-order',
        't13-keyshare-y-flipped',
      ]),
    );
    // each runs in TLS 1.3 and needs nothing this target lacks (no client certificate asked for, no TLS 1.2)
    for (const n of only13) {
      expect([n, mutation(n).versions.includes('1.3')]).toEqual([n, true]);
      expect([n, mutation(n).needs?.clientCert ?? false]).toEqual([n, false]);
    }
    expect(only13).not.toContain('t12-client-finished-wrong');
    const rsaOnly: TargetProfile = {
      suites: { '1.2': [CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256], '1.3': [] },
      certificateRequested: true,
    };
    const noId = await options();
    const rsa = mutantsOf(planContext(noId, rsaOnly));
    expect(rsa).toEqual(expect.arrayContaining(['t12-early-client-ccs', 't12-missing-client-ccs', 't12-client-finished-wrong']));
    // each runs in TLS 1.2 with RSA key exchange: no ECDHE or DHE need, no client certificate without an identity
    for (const n of rsa) {
      expect([n, mutation(n).versions.includes('1.2')]).toEqual([n, true]);
      expect([n, mutation(n).needs?.kex ?? 'RSA']).toEqual([n, 'RSA']);
      expect([n, mutation(n).needs?.clientCert ?? false]).toEqual([n, false]);
    }
    expect(rsa).not.toContain('t12-cke-point-identity');
    expect(mutantsOf(planContext(o, rsaOnly))).toContain('t12-skip-client-cv');
    // server-side, transcript and not-live mutations are never among them
    for (const n of [
      't13-server-finished-wrong',
      't12-ske-sig-corrupt',
      't12-drop-cke',
      't12-suite-not-offered',
      't12-rsa-cke-no-length',
    ])
      expect(conversationNames()).not.toContain(n);
  });

  it('needs come from the declarations: version, client certificate, key exchange, groups', () => {
    expect(mutation('t12-cke-point-identity')).toMatchObject({
      versions: ['1.2'],
      needs: { kex: 'ECDHE', groups: [NamedGroup.secp256r1] },
    });
    expect(mutation('t13-client-cv-sig-corrupt')).toMatchObject({ versions: ['1.3'], needs: { clientCert: true } });
    expect(mutation('t12-client-finished-wrong').needs).toBeUndefined();
  });

  it('alerts come from the rules (oracles/reactions.ts)', () => {
    expect(alertNames(reactionOf(mutation('t13-client-finished-wrong'), '1.3'))).toEqual(['decrypt_error']);
    expect(alertNames(reactionOf(mutation('t12-cke-point-identity'), '1.2'))).toEqual(['illegal_parameter', 'decode_error']);
    expect(alertNames(reactionOf(mutation('t12-cv-missing-message'), '1.2'))).toEqual(['decrypt_error']);
    // a reaction rule adds what the RFC requires of the receiver: RFC 8446 §4.1.3 for a TLS 1.3 client
    expect(alertNames(reactionOf(mutation('t12-tls11-sentinel'), '1.2'))).toEqual(['illegal_parameter']);
  });

  it('RFC-backed alternates: bad_certificate for a corrupt certificate entry, decrypt_error for a certificate signature that does not verify', () => {
    const names = (rule: RuleId) => ruleAlerts(rule).map((a) => a.alert);
    expect(names('cert.type-x509v3')).toEqual(['unsupported_certificate', 'bad_certificate', 'decode_error']);
    expect(names('cert.path.signature')).toEqual(['bad_certificate', 'decrypt_error', 'certificate_unknown']);
    // the catalogue's alert comes first; a rule without alternates is unchanged
    expect(names('cert.path.validity')).not.toContain('decrypt_error');
    for (const rule of ['cert.type-x509v3', 'cert.path.signature'] as const) {
      for (const a of ruleAlerts(rule)) {
        // a real alert name, with the RFC section and sentence it rests on
        expect([rule, a.alert in AlertDescription, a.rfc]).toEqual([rule, true, expect.stringMatching(/^RFC \d+ §/)]);
        expect(a.text.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('the mutant arm names a version only where the mutation runs in both', () => {
  it('against a TLS 1.3-only target no drawn spec says 1.2; against both versions a two-version mutation keeps its draw', async () => {
    const o = await options();
    const arm = (t: TargetProfile) => FAMILIES.mutant.arms(planContext(o, t), FAMILIES.mutant.members(planContext(o, t)))[0]!;
    const only13: TargetProfile = {
      suites: { '1.2': [], '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256] },
      certificateRequested: false,
    };
    const drawn13 = fc.sample(arm(only13).arbitrary, { seed: 3, numRuns: 60 });
    expect(drawn13.filter((s) => s.version !== undefined)).toEqual([]);
    const both: TargetProfile = {
      suites: { '1.2': [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256], '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256] },
      certificateRequested: false,
    };
    const drawn = fc.sample(arm(both).arbitrary, { seed: 3, numRuns: 200 });
    for (const s of drawn) if (s.version !== undefined) expect(mutation(s.op).versions).toContain(s.version);
    expect(drawn.some((s) => s.version === '1.2') && drawn.some((s) => s.version === '1.3')).toBe(true);
  });
});

describe('firingHooks', () => {
  it('tells whether a hook changed anything, and after how many bytes of our records', async () => {
    const w = firingHooks({ beforeSend: (m) => (m.type === 'finished' ? [m.raw] : undefined) });
    await w.hooks.beforeSend?.({ side: 'client', kind: 'handshake', type: 'client_hello', raw: new Uint8Array(4) });
    await w.hooks.beforeSendRecord?.({ side: 'client', raw: new Uint8Array(9) });
    expect(w.fired()).toBe(false);
    await w.hooks.beforeSend?.({ side: 'client', kind: 'handshake', type: 'finished', raw: new Uint8Array(4) });
    expect(w.fired()).toBe(true);
    expect(w.firedAt()).toBe(9);
  });
  it('a frame a hook sends as it was, followed by the mutation: the invalid input starts after its record', async () => {
    // empty-alert-record: our ClientHello as it was, then a zero-length alert record; a truncation: then our FIN
    const hello = Uint8Array.of(1, 0, 0, 2, 3, 3);
    const w = firingHooks({
      beforeFrame: (f) =>
        f.content[0] === 1
          ? [
              { contentType: 22, fragment: f.content },
              { contentType: 21, fragment: new Uint8Array(0) },
            ]
          : undefined,
    });
    const pieces = await w.hooks.beforeFrame?.({
      side: 'client',
      contentType: 22,
      content: hello,
      protected: false,
      closeTransport: () => {},
    });
    expect(pieces).toHaveLength(2);
    await w.hooks.beforeSendRecord?.({ side: 'client', raw: new Uint8Array(11) });
    await w.hooks.beforeSendRecord?.({ side: 'client', raw: new Uint8Array(5) });
    expect(w.fired()).toBe(true);
    expect(w.firedAt()).toBe(11);
    // a changed frame: the invalid input starts with it
    const cut = firingHooks({ beforeFrame: (f) => [{ contentType: 22, fragment: f.content.subarray(0, 3) }] });
    await cut.hooks.beforeFrame?.({
      side: 'client',
      contentType: 22,
      content: hello,
      protected: false,
      closeTransport: () => {},
    });
    await cut.hooks.beforeSendRecord?.({ side: 'client', raw: new Uint8Array(8) });
    expect(cut.firedAt()).toBe(0);
  });
  it('a frame sealed another way (FramePiece.protection) is the mutation itself, though its content is unchanged', async () => {
    const data = Uint8Array.of(0x41, 0x42);
    const w = firingHooks({
      beforeFrame: (f) => [{ contentType: 23, fragment: f.content, protection: { longestPadding: true } }],
    });
    await w.hooks.beforeSendRecord?.({ side: 'client', raw: new Uint8Array(7) });
    await w.hooks.beforeFrame?.({ side: 'client', contentType: 23, content: data, protected: true, closeTransport: () => {} });
    await w.hooks.beforeSendRecord?.({ side: 'client', raw: new Uint8Array(300) });
    expect(w.firedAt()).toBe(7);
  });
});

const TWO_VERSIONS: TargetProfile = {
  suites: {
    '1.2': [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
    '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256, CipherSuite13.TLS_AES_256_GCM_SHA384],
  },
  certificateRequested: true,
};

describe('planConversations', () => {
  it('is deterministic in the seed, paths are the fast-check run indices, every family appears, and the options filter', async () => {
    const pki = await testPki();
    const o = await options({
      identity: { identity: pki.identity('client', 'rsa') },
      budget: { runs: 40 },
    });
    const a = await planConversations(o, TWO_VERSIONS);
    const b = await planConversations(o, TWO_VERSIONS);
    const c = await planConversations({ ...o, budget: { ...o.budget, seed: 43 } }, TWO_VERSIONS);
    const sig = (cs: typeof a) => cs.map((x) => `${x.path} ${x.name} ${x.group}`);
    expect(sig(a)).toEqual(sig(b));
    expect(sig(a)).not.toEqual(sig(c));
    expect(a.map((x) => x.path)).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    // (the lengths family's conversations come after every name's: not within 40)
    expect(new Set(a.map((x) => x.kind))).toEqual(new Set(['valid', 'mutant', 'state', 'cert', 'reneg', 'keyupdate']));
    for (const x of a) {
      expect(x.client.provider).toBeDefined();
      // a mutant of valid but unusual input (a GREASEd or fragmented ClientHello) must complete, naming the live rules
      // that say so; a valid handshake (or valid renegotiation, which the peer may decline) names none
      const plain = x.kind === 'valid' || (x.kind === 'reneg' && x.operator === undefined);
      if (x.expect.kind === 'complete')
        expect(plain ? x.expect.rules : x.expect.rules?.length).toBe(plain ? undefined : x.expect.rules?.length);
      else expect(plain).toBe(false);
      if (x.expect.kind === 'complete' && !plain) expect(x.expect.rules?.length).toBeGreaterThan(0);
      if (x.kind === 'reneg') expect(x.expect.decline?.alert).toBe('no_renegotiation');
      if (x.expect.kind === 'reject') {
        expect(x.kind === 'cert' || x.hooks !== undefined).toBe(true);
        // a step list that only leaves the flow incomplete names no alert (silence is fine); everything else does
        if (!x.expect.silenceOk && !x.expect.closeOk) expect(x.expect.alerts.length).toBeGreaterThan(0);
        expect(x.subject).toBeDefined();
      }
    }
    // certificate faults run whenever the target asks for a client certificate (no option), even without our identity
    const noId = await planConversations({ ...o, identity: { pki } }, TWO_VERSIONS);
    expect(noId.filter((x) => x.kind === 'cert').length).toBeGreaterThan(0);
    expect(noId.filter((x) => x.subject === 't13-state-cert-skipped' || x.subject === 't12-skip-client-cv')).toEqual([]);
    // a target that does not ask for one: no certificate conversations
    const plain = await planConversations({ ...o, identity: { pki } }, { ...TWO_VERSIONS, certificateRequested: false });
    expect(plain.filter((x) => x.kind === 'cert')).toEqual([]);
    // --operator restricts the non-valid conversations
    const only = await planConversations({ ...o, profile: { ...o.profile, only: ['t12-state-early-ccs'] } }, TWO_VERSIONS);
    // (a valid renegotiation, valid KeyUpdates and the lengths family's records are valid conversations too: they run no
    // mutation)
    const mutated = only.filter(
      (x) =>
        x.kind !== 'valid' &&
        x.kind !== 'lengths' &&
        !((x.kind === 'reneg' || x.kind === 'keyupdate') && x.operator === undefined),
    );
    expect(new Set(mutated.map((x) => x.subject))).toEqual(new Set(['t12-state-early-ccs']));
    // a profile filters what runs, it does not reorder: the same conversations at the same paths, the ones it disables
    // named with its reason (a --path printed with a profile replays the same conversation without it)
    const file = parseProfile(JSON.stringify({ disabled: [{ rule: 't12.order.ccs-timing', reason: 'r' }] }), conversationNames());
    const withProfile = { ...o, profile: { ...o.profile, file } };
    const dis = await planConversations(withProfile, TWO_VERSIONS);
    expect(sig(dis)).toEqual(sig(a));
    const ctxP = planContext(withProfile, TWO_VERSIONS);
    const specs = [...coverageExamples(ctxP)];
    const off = specs.filter((x) => disabledBySpec(ctxP, x) !== undefined);
    expect(off.length).toBeGreaterThan(0);
    for (const x of off) expect(disabledBySpec(ctxP, x)).toBe('disabled by the profile: r');
    expect(specs.filter((x) => x.kind === 'valid').every((x) => disabledBySpec(ctxP, x) === undefined)).toBe(true);
  });

  it('a mutation that needs a bulk cipher is planned only against a target with a suite of it (needs.cipher)', async () => {
    const pki = await testPki();
    const o = await options({ identity: { identity: pki.identity('client', 'rsa') }, budget: { runs: 60 } });
    const ops = (t: TargetProfile) =>
      new Set(
        coverageExamples(planContext(o, t)).flatMap((e) =>
          e.kind === 'mutant' ? [`${e.op}${e.version ? ` ${e.version}` : ''}`] : [],
        ),
      );
    const gcm = ops(TWO_VERSIONS);
    for (const n of ['t12-cbc-padding-over-mac', 't12-cbc-longest-padding', 'chacha20-ciphertext-shorter-than-tag'])
      expect([...gcm].filter((x) => x.startsWith(n))).toEqual([]);
    const more = ops({
      ...TWO_VERSIONS,
      suites: {
        '1.2': [...TWO_VERSIONS.suites['1.2'], CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384],
        '1.3': [...TWO_VERSIONS.suites['1.3'], CipherSuite13.TLS_CHACHA20_POLY1305_SHA256],
      },
    });
    for (const n of ['t12-cbc-padding-over-mac', 't12-cbc-longest-padding', 't12-cbc-fuzzed-appdata-plaintext'])
      expect(more.has(n)).toBe(true);
    // ChaCha20-Poly1305 in TLS 1.3 only here: the mutation runs in that version
    expect(more.has('chacha20-ciphertext-shorter-than-tag')).toBe(true);
  });

  it('coverage first: each applicable name once at the simplest configuration, families taking turns, order by seed; then random', async () => {
    const pki = await testPki();
    // tickets allowing 0-RTT data: the early family runs too; sessions it resumes in both versions: the resume family
    const target: TargetProfile = { ...TWO_VERSIONS, schemes: [0x0804, 0x0401], maxEarlyData: 1024, resumes: ['1.2', '1.3'] };
    const o = await options({
      identity: { identity: pki.identity('client', 'rsa') },
      budget: { runs: 60 },
    });
    const ctx = planContext(o, target);
    const ex = coverageExamples(ctx);
    const nameOf = (e: ConvSpec) =>
      e.kind === 'mutant'
        ? `${e.op}${e.version ? ` ${e.version}` : ''}`
        : e.kind === 'state'
          ? e.scenarios.join('+')
          : e.kind === 'cert'
            ? e.fault
            : e.kind === 'reneg'
              ? (e.op ?? 'reneg valid')
              : e.kind === 'early'
                ? (e.op ?? (e.shape ? `early valid ${e.shape}` : 'early valid'))
                : e.kind === 'keyupdate'
                  ? (e.op ?? `keyupdate ${(e.updates ?? []).join(',')}`)
                  : e.kind === 'resume'
                    ? `${e.op ?? 'resume valid'} ${e.version}`
                    : e.kind === 'lengths'
                      ? `lengths ${e.version}${e.padded ? ' padded' : ''}`
                      : `valid ${e.version} #${e.cfg.suite}`;
    const names = ex.map(nameOf);
    expect(new Set(names).size).toBe(names.length);
    // every name a server run can have applies here but those that need a DHE or an RSA key exchange suite this
    // profile has not, the PSK mutations (this target knows no PSK of ours: no --psk), those that need what this
    // profile did not probe: a test root the target trusts (client keys other than ours), the CertificateRequest's
    // schemes, the schemes the target signs with in TLS 1.3, a bulk cipher it lacks; and a resumption that takes the session's suite out of
    // the hello (it needs a second TLS 1.2 suite, which this profile has not)
    const dhe = (n: string) =>
      MUTATIONS.some(
        (m) =>
          m.name === n &&
          (m.needs?.kex === 'DHE' ||
            m.needs?.kex === 'RSA' ||
            m.needs?.psk ||
            m.needs?.serverLacks13 !== undefined ||
            m.needs?.unrequestedKeyScheme ||
            // a CBC or ChaCha20-Poly1305 suite (this profile has AES-GCM only)
            m.needs?.cipher !== undefined ||
            // a server that answered record_size_limit in the probe (this profile did not probe it)
            m.needs?.serverLimitsRecords ||
            // our client certificate is RSA: a mutation with other keys only needs the test root trusted
            (m.needs?.clientKeys !== undefined && !m.needs.clientKeys.some((k) => k === 'own' || k === 'rsa')) ||
            (m.where === 'client-sends' && m.resumes?.otherSuite === 'any')),
      );
    const expected = conversationNames().filter((n) => !dhe(n));
    // a mutation that runs in both versions is covered in each
    const covered = new Set(names.map((n) => n.replace(/ 1\.[23]$/, '')));
    expect([...covered]).toEqual(
      expect.arrayContaining([
        ...expected,
        'valid 1.2 #0',
        'valid 1.3 #0',
        'valid 1.3 #1',
        'early valid',
        'early valid fragmented',
        'early valid ccs-between',
        'resume valid',
      ]),
    );
    // a resumption mutation runs in each version it has (the probe saw the target resume in both)
    expect(names).toEqual(
      expect.arrayContaining(['resume-unknown-session 1.2', 'resume-unknown-session 1.3', 'resume valid 1.2']),
    );
    expect(names).toEqual(expect.arrayContaining(['ch-grease 1.2', 'ch-grease 1.3']));
    // the lengths family: one connection per version, and the TLS 1.3 records padded to the limit, after every name's
    expect(names.slice(-3)).toEqual(['lengths 1.2', 'lengths 1.3', 'lengths 1.3 padded']);
    // tickets without early_data (or none): no 0-RTT conversation
    for (const maxEarlyData of [0, undefined]) {
      const { maxEarlyData: _m, ...rest } = target;
      const t = maxEarlyData === undefined ? rest : { ...rest, maxEarlyData };
      expect(coverageExamples(planContext(o, t)).filter((e) => e.kind === 'early')).toEqual([]);
    }
    expect(ex.slice(0, 4).map((e) => e.kind)).toEqual(['mutant', 'state', 'cert', 'valid']);
    for (const e of ex) if (e.kind !== 'valid' && !(e.kind === 'reneg' && e.op === undefined)) expect(e.cfg).toEqual(CFG0);
    // the valid renegotiation offers the restricted list too
    expect(ex.find((e) => e.kind === 'reneg' && e.op === undefined)?.cfg).toEqual({ ...CFG0, schemes: 1 });
    // the TLS 1.2 valid handshake offers a restricted signature_algorithms list (the first probed scheme)
    expect(ex.find((e) => e.kind === 'valid' && e.version === '1.2')?.cfg.schemes).toBe(1);
    expect(coverageExamples(planContext({ ...o, budget: { ...o.budget, seed: 43 } }, target)).map(nameOf)).not.toEqual(names);
    // the plan starts with them, then random conversations
    const plan = await planConversations(o, target);
    const first = Math.min(ex.length, plan.length);
    expect(plan.slice(0, first).map((c) => `${c.subject ?? c.name.replace(/ sigs=.*/, '')} ${c.version}`)).toEqual(
      ex
        .slice(0, first)
        .map((e) =>
          e.kind === 'valid'
            ? `valid ${e.version} ${suiteName(target.suites[e.version][e.cfg.suite]!)} ${e.version}`
            : e.kind === 'reneg' && e.op === undefined
              ? `renegotiation valid ${suiteName(target.suites['1.2'][e.cfg.suite]!)} 1.2`
              : e.kind === 'early' && e.op === undefined
                ? `0-RTT valid${e.shape ? ` ${e.shape}` : ''} ${suiteName(target.suites['1.3'][e.cfg.suite]!)} 1.3`
                : e.kind === 'keyupdate' && e.op === undefined
                  ? `KeyUpdate x${e.updates?.length}${e.updates?.includes(true) ? ' requested' : ''} ${suiteName(target.suites['1.3'][e.cfg.suite]!)} 1.3`
                  : e.kind === 'resume'
                    ? `${e.op ?? `resumption valid ${suiteName(target.suites[e.version][e.cfg.suite]!)}`} ${e.version}`
                    : e.kind === 'lengths'
                      ? `application data of ${e.lengths.join(',')} bytes${e.padded ? ' padded to the limit' : ''} ${suiteName(target.suites[e.version][e.cfg.suite]!)} ${e.version}`
                      : e.kind === 'mutant'
                        ? `${e.op} ${e.version ?? plan.find((c) => c.subject === e.op)?.version}`
                        : `${nameOf(e)} ${e.kind === 'cert' ? e.version : plan.find((c) => c.subject === nameOf(e))?.version}`,
        ),
    );
    expect(plan).toHaveLength(60);
    expect(plan.find((c) => c.version === '1.2' && c.kind === 'valid')?.client.signatureSchemes).toEqual([0x0804]);
    expect(await planConversations({ ...o, budget: { ...o.budget, coverFirst: false } }, target)).toHaveLength(60);
    // without a run count: every name once, then DEFAULT_RANDOM_RUNS random ones
    const noRuns = { ...o, budget: { seed: o.budget.seed } };
    expect(await planConversations(noRuns, target)).toHaveLength(ex.length + DEFAULT_RANDOM_RUNS);
    expect(await planConversations({ ...noRuns, budget: { ...noRuns.budget, coverFirst: false } }, target)).toHaveLength(
      DEFAULT_RANDOM_RUNS,
    );
  });

  it('coverageOrder: each group a seeded permutation, the groups taking turns until each runs out', () => {
    const groups = () => [['a1', 'a2', 'a3', 'a4'], ['b1', 'b2'], [], ['c1', 'c2', 'c3']];
    const x = coverageOrder(groups(), 5);
    expect(coverageOrder(groups(), 5)).toEqual(x);
    expect([...x].sort()).toEqual(groups().flat().sort());
    // turns: one of each non-empty group per round
    expect(x.slice(0, 3).map((n) => n[0])).toEqual(['a', 'b', 'c']);
    expect(x.slice(3, 6).map((n) => n[0])).toEqual(['a', 'b', 'c']);
    expect(x.slice(6).map((n) => n[0])).toEqual(['a', 'c', 'a']);
    // another seed, another order within the groups (for some seed among a few)
    expect([6, 7, 8, 9].some((s) => coverageOrder(groups(), s).join() !== x.join())).toBe(true);
    expect(runCount(7, 30)).toBe(7);
    expect(runCount(undefined, 30)).toBe(30 + DEFAULT_RANDOM_RUNS);
    expect(runCount(undefined, 30, 0)).toBe(30);
  });

  it('the conversation arbitrary fails on a target with nothing probed', async () => {
    const none: TargetProfile = { suites: { '1.2': [], '1.3': [] }, certificateRequested: false };
    const o = await options();
    expect(() => conversationArb(planContext(o, none))).toThrow(/nothing to generate/);
  });

  it('state conversations: out-of-order flows expect the alerts of their rules and reaction rules, an incomplete one also accepts silence', async () => {
    const target: TargetProfile = {
      suites: { '1.2': [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256], '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256] },
      certificateRequested: false,
    };
    const ctx = planContext(await options({ budget: { seed: 1 } }), target);
    const cfg = { suite: 0, group: 0, compat: false, random: 0, schemes: 0 };
    const early = await buildConversation(ctx, { kind: 'state', scenarios: ['t12-state-early-ccs'], cfg }, '0');
    expect(early.expect).toMatchObject({ kind: 'reject', rules: ['t12.order.ccs-timing'], alerts: ['unexpected_message'] });
    // the client Finished withheld: our input breaks nothing, the server must only not complete (no alert is due);
    // the rule it breaks by completing is the receiver's duty as a sender (a completion rule), no reaction comes from it
    const fin = await buildConversation(ctx, { kind: 'state', scenarios: ['t12-state-fin-skipped'], cfg }, '0');
    expect(fin.expect).toMatchObject({
      kind: 'reject',
      rules: [],
      completion: ['t12.order.full-server-final-flight'],
      alerts: [],
      silenceOk: true,
    });
    const both = await buildConversation(
      ctx,
      { kind: 'state', scenarios: ['t12-state-fin-skipped', 't12-state-early-ccs'], cfg },
      '0',
    );
    expect(both.expect).toMatchObject({
      kind: 'reject',
      rules: ['t12.order.ccs-timing'],
      completion: ['t12.order.full-server-final-flight'],
      alerts: ['unexpected_message'],
    });
    expect(both.expect.kind === 'reject' && both.expect.silenceOk).toBeFalsy();
    // application data under keys the server does not have yet: bad_record_mac (RFC 8446 §5.2) besides unexpected_message
    const t13 = await buildConversation(ctx, { kind: 'state', scenarios: ['t13-state-fin-skipped'], cfg }, '0');
    expect(t13.expect).toMatchObject({
      kind: 'reject',
      rules: ['t13.order.client-flight'],
      reactionRules: ['rec.deprotect-failure'],
      alerts: ['unexpected_message', 'bad_record_mac'],
    });
  });

  it('an unfinished ClientHello (test-cve-2016-6309): decode_error, or waiting for the rest, or a close', async () => {
    const target: TargetProfile = {
      suites: { '1.2': [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256], '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256] },
      certificateRequested: false,
    };
    const ctx = planContext(await options({ budget: { seed: 1 } }), target);
    const cfg = { suite: 0, group: 0, compat: false, random: 0, schemes: 0 };
    for (const version of ['1.2', '1.3'] as const) {
      const c = await buildConversation(ctx, { kind: 'mutant', op: 'ch-length-overstated', version, cfg }, '0');
      expect(c.expect).toMatchObject({
        kind: 'reject',
        rules: ['rec.hs-length-consistent'],
        alerts: ['decode_error'],
        silenceOk: true,
      });
    }
    // a plain malformed ClientHello owes its alert: no silence allowed there
    const short = await buildConversation(ctx, { kind: 'mutant', op: 'ch-header-length-short', cfg }, '0');
    expect(short.expect.kind === 'reject' && short.expect.silenceOk).toBeFalsy();
  });

  it('certificate faults: rules and alerts from their declarations (decrypt_error too for a bad signature), a leaf the test root did not sign correctly', async () => {
    const pki = await testPki();
    const faults = ['client-cert-expired', 'client-cert-wrong-key', 'client-cert-unknown-ca'];
    expect(faults.map((f) => `${f} ${mutation(f).rules.join()} ${alertNames(reactionOf(mutation(f), '1.3')).join('/')}`)).toEqual(
      [
        'client-cert-expired cert.path.validity certificate_expired/certificate_unknown',
        'client-cert-wrong-key cert.path.signature bad_certificate/decrypt_error/certificate_unknown',
        'client-cert-unknown-ca cert.path.trust-anchor unknown_ca/certificate_unknown',
      ],
    );
    for (const f of faults) {
      const m = mutation(f);
      if (m.where !== 'certificate' || m.presentedBy !== 'client') throw new Error(`${f} is no client certificate`);
      const id = await m.identity(pki);
      if (!id) throw new Error(`${f} presents no certificate`);
      expect(id.chain).toHaveLength(1);
      // our own validator rejects each for the fault's rule
      const v = await validateChain({
        chain: id.chain,
        trustAnchors: pki.anchors,
        purpose: 'client',
        at: new Date(),
        provider: pki.provider,
      });
      expect([f, v.ok, v.problems.map((x) => x.rule)]).toEqual([f, false, [...m.rules]]);
    }
  });

  it('a target that does not trust our test root may answer any faulty chain as untrusted; one that refuses clients without a certificate is held to the chain', async () => {
    const pki = await testPki();
    const o = await options({ identity: { identity: pki.identity('client', 'rsa') }, budget: { seed: 1 } });
    const spec = { kind: 'cert' as const, fault: 'client-cert-expired', version: '1.2' as const, cfg: CFG0 };
    const trusted = await buildConversation(planContext(o, { ...TWO_VERSIONS, testRootTrusted: true }), spec, '0');
    expect(trusted.expect.kind === 'reject' && trusted.expect.alerts).toEqual(['certificate_expired', 'certificate_unknown']);
    const untrusted = await buildConversation(planContext(o, { ...TWO_VERSIONS, testRootTrusted: false }), spec, '0');
    expect(untrusted.expect.kind === 'reject' && untrusted.expect.alerts).toEqual([
      'certificate_expired',
      'certificate_unknown',
      'unknown_ca',
    ]);
    // RFC 5246 §7.4.6: going on after a bad chain is allowed ("considering the client unauthenticated") unless the
    // target refuses clients without a certificate
    expect(trusted.expect.kind === 'reject' && trusted.expect.reaction?.ignoreAllowed).toBe(true);
    const required = await buildConversation(
      planContext(o, { ...TWO_VERSIONS, testRootTrusted: true, clientCertRequired: true }),
      spec,
      '0',
    );
    expect(required.expect.kind === 'reject' && required.expect.reaction?.ignoreAllowed).toBe(false);
    expect(required.expect.kind === 'reject' && required.expect.heldBecause).toMatch(/refuses a client without a certificate/);
  });
});

describe('profiles', () => {
  const names = ['t13-client-finished-wrong', 't12-state-early-ccs'];
  it('parse: entries with name and/or rule and a reason', () => {
    const p = parseProfile(
      JSON.stringify({
        target: 'x',
        expectedFailures: [{ name: 't13-client-finished-wrong', rule: 't13.fin.verify-data', reason: 'known' }],
        disabled: [{ rule: 't12.order.ccs-timing', reason: 'no' }],
      }),
      names,
    );
    expect(p).toEqual({
      target: 'x',
      expectedFailures: [{ name: 't13-client-finished-wrong', rule: 't13.fin.verify-data', reason: 'known' }],
      disabled: [{ rule: 't12.order.ccs-timing', reason: 'no' }],
    });
    expect(parseProfile('{}', names)).toEqual({ expectedFailures: [], disabled: [] });
    expect(expectedFailureOf(p, { names: ['t13-client-finished-wrong'], rules: ['t13.fin.verify-data'] })?.reason).toBe('known');
    expect(expectedFailureOf(p, { names: ['t13-client-finished-wrong'], rules: [] })).toBeUndefined();
    expect(disabledBy(p, { names: ['t12-state-early-ccs'], rules: ['t12.order.ccs-timing'] })?.reason).toBe('no');
    expect(disabledBy(p, { names: [], rules: [] })).toBeUndefined();
  });

  it.each([
    ['[]', '$: must be an object'],
    ['{"disabled": {}}', '$.disabled: must be an array'],
    ['{"disabled": [{"reason": "r"}]}', '$.disabled[0]: needs a name and/or a rule'],
    ['{"disabled": [{"name": "t12-state-early-ccs"}]}', '$.disabled[0].reason: a non-empty reason is required'],
    ['{"disabled": [{"name": "t12-state-early-ccs", "reason": "r", "why": 1}]}', '$.disabled[0].why: unknown key'],
    [
      '{"expectedFailures": [{"rule": "no.such.rule", "reason": "r"}]}',
      '$.expectedFailures[0].rule: unknown rule id "no.such.rule"',
    ],
    ['{"expectedFailures": [{"name": "nope", "reason": "r"}]}', '$.expectedFailures[0].name: unknown conversation name "nope"'],
    ['{"skip": []}', '$.skip: unknown key'],
  ])('rejects %s', (text, msg) => {
    expect(() => parseProfile(text, names)).toThrow(ProfileError);
    expect(() => parseProfile(text, names)).toThrow(msg);
  });

  it('a syntax error carries the byte offset', () => {
    try {
      parseProfile('{"target": "é", x}', names);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(ProfileError);
      // "é" is 2 bytes in UTF-8: character position 16, byte 17
      expect((e as ProfileError).offset).toBe(17);
    }
  });
});

describe('client fuzzing: coverage first', () => {
  it('one pick per applicable mutant and per offered version, simplest configuration, kinds taking turns, order by seed', () => {
    const profile: ClientProfile = {
      versions: ['1.3', '1.2'],
      suites: { '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256], '1.2': [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] },
      groups: [NamedGroup.x25519, NamedGroup.secp256r1],
      offered: { suites: [], groups: [], alpn: [] },
      completed: true,
      detail: '',
    };
    const mutants = applicableMutants(profile, {});
    const picks = coveragePicks(profile, mutants, 1);
    const convs = picks.map((p, i) => conversationOf(p, profile, mutants, { seed: 1 }, String(i)));
    const names = convs.map((c) => c.mutant?.name ?? `valid ${c.version}`);
    expect([...names].sort()).toEqual([...mutants.map((m) => m.name), 'valid 1.2', 'valid 1.3'].sort());
    for (const p of picks)
      expect({ ...p, mutant: 0, version: 0 }).toEqual({ mutant: 0, version: 0, suite: 0, group: 0, auth: 0, random: 0 });
    // a mutant, a valid handshake, then again
    const kind = (c: (typeof convs)[number]) => (c.mutant ? 'mutant' : 'valid');
    expect(convs.slice(0, 4).map(kind)).toEqual(['mutant', 'valid', 'mutant', 'valid']);
    expect(coveragePicks(profile, mutants, 2)).not.toEqual(picks);
    expect(coveragePicks(profile, mutants, 1)).toEqual(picks);
  });
});
