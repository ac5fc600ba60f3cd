/** Live fuzzing without a network: operator selection, expected alerts, classification, planning. */
import type { SocketEnd } from '../engine/socket';
import { testPki } from '../engine/fixtures';
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import { basesFor, OPERATORS } from '../generators/mutations';
import { baseEnv } from '../generators/mutations/support';
import { AlertDescription, NamedGroup } from '../wire/registry';
import { ruleAlerts } from '../oracles/reactions';
import { coverageOrder, DEFAULT_RANDOM_RUNS, runCount } from './fuzzcommon';
import { applicableMutants, type ClientProfile, conversationOf, coveragePicks, serverSideOperators } from './fuzzclient';
import {
  allowedAlerts,
  classifyEnd,
  type Expectation,
  firingHooks,
  LIVE_CLIENT_OPERATORS,
  liveOperators,
  needsOf,
} from './conversation';
import { validateChain } from '../pki/validate';
import { CERT_FAULT_RULES, CERT_FAULTS, certFaultAlerts, faultyClientIdentity } from './certfaults';
import {
  applicableOperators,
  buildConversation,
  CFG0,
  conversationArb,
  conversationNames,
  coverageExamples,
  planConversations,
  type TargetProfile,
} from './fuzz';
import { suiteName } from './peers';
import { disabledBy, expectedFailureOf, ProfileError, parseProfile } from './profile';

const SESSION = {
  version: 0x0304,
  cipherSuite: 0x1301,
  extendedMasterSecret: true,
  encryptThenMac: false,
  peerCertificates: [],
  masterSecret: new Uint8Array(0),
};
const connectedDone: SocketEnd = { kind: 'done', outcome: { kind: 'connected', session: SESSION } };
const alertEnd = (d: number): SocketEnd => ({
  kind: 'closed',
  outcome: { kind: 'alert_received', alert: { level: 2, description: d }, state: 'WAIT' },
});
const closedPlain: SocketEnd = { kind: 'closed', outcome: { kind: 'handshaking', state: 'WAIT_SH' } };
const reset: SocketEnd = { kind: 'reset', error: 'ECONNRESET', outcome: { kind: 'handshaking', state: 'WAIT_SH' } };
const hung: SocketEnd = { kind: 'timed_out', afterMs: 3000, overall: false, outcome: { kind: 'connected', session: SESSION } };
const reject: Expectation = { kind: 'reject', rules: ['t13.fin.verify-data'], alerts: ['decrypt_error'] };

describe('live client-side operators', () => {
  it('are hook operators whose apply gives client hooks and leaves the server configuration alone', async () => {
    const pki = await testPki();
    const checkClientSide = async (name: string): Promise<boolean> => {
      const op = OPERATORS.find((o) => o.name === name)!;
      if (op.mechanism !== 'hook') return false;
      const env = baseEnv(pki, {
        base: basesFor(op)[0]!,
        suiteIndex: 0,
        group: op.group ?? NamedGroup.x25519,
        compat: true,
        clientRandom: new Uint8Array(32),
        serverRandom: new Uint8Array(32),
        seed: 1,
      });
      const p = await op.apply(env);
      return p.hooks?.client !== undefined && p.server === env.server && p.post === undefined;
    };
    expect(liveOperators().map((o) => o.name)).toEqual(LIVE_CLIENT_OPERATORS);
    for (const n of LIVE_CLIENT_OPERATORS) expect([n, await checkClientSide(n)]).toEqual([n, true]);
    // the check rejects server-side and transcript operators
    for (const n of ['t13-server-finished-wrong', 't12-ske-sig-corrupt', 't12-drop-cke', 't12-suite-not-offered'])
      expect([n, await checkClientSide(n)]).toEqual([n, false]);
  });

  it('needs: version, client certificate, ECDHE and group', () => {
    const op = (n: string) => OPERATORS.find((o) => o.name === n)!;
    expect(needsOf(op('t12-cke-point-identity'))).toEqual({
      version: '1.2',
      clientCert: false,
      ecdhe: true,
      group: NamedGroup.secp256r1,
    });
    expect(needsOf(op('t13-client-cv-sig-corrupt'))).toEqual({ version: '1.3', clientCert: true, ecdhe: false });
    expect(needsOf(op('t12-client-finished-wrong'))).toEqual({ version: '1.2', clientCert: false, ecdhe: false });
  });

  it('allowed alerts come from the catalogue (all alert names in the text)', () => {
    expect(allowedAlerts(['t13.fin.verify-data'])).toEqual(['decrypt_error']);
    expect(allowedAlerts(['ecdh.point-format'])).toEqual(['illegal_parameter', 'decode_error']);
    expect(allowedAlerts(['t12.cv.signature-input', 't12.cv.signature-valid'])).toEqual(['decrypt_error']);
  });

  it('RFC-backed alternates: bad_certificate for a corrupt certificate entry, decrypt_error for a certificate signature that does not verify', () => {
    expect(allowedAlerts(['cert.type-x509v3'])).toEqual(['unsupported_certificate', 'bad_certificate', 'decode_error']);
    expect(allowedAlerts(['cert.path.signature'])).toEqual(['bad_certificate', 'decrypt_error']);
    // the catalogue's alert comes first; a rule without alternates is unchanged
    expect(allowedAlerts(['cert.path.validity'])).not.toContain('decrypt_error');
    for (const rule of ['cert.type-x509v3', 'cert.path.signature'] as const) {
      for (const a of ruleAlerts(rule)) {
        // a real alert name, with the RFC section and sentence it rests on
        expect([rule, a.alert in AlertDescription, a.rfc]).toEqual([rule, true, expect.stringMatching(/^RFC \d+ §/)]);
        expect(a.text.length).toBeGreaterThan(0);
      }
    }
  });

  it('applicable operators follow the target profile and our identity', () => {
    const p: TargetProfile = {
      suites: { '1.2': [], '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256] },
      certificateRequested: false,
    };
    expect(applicableOperators(p, true).map((o) => o.name)).toEqual([
      't13-client-finished-wrong',
      't13-keyshare-off-curve',
      't13-keyshare-identity',
      't13-keyshare-wrong-length',
      't13-keyshare-x25519-small-order',
    ]);
    const rsaOnly: TargetProfile = {
      suites: { '1.2': [CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256], '1.3': [] },
      certificateRequested: true,
    };
    expect(applicableOperators(rsaOnly, false).map((o) => o.name)).toEqual([
      't12-early-client-ccs',
      't12-missing-client-ccs',
      't12-client-finished-wrong',
    ]);
    expect(applicableOperators(rsaOnly, true).map((o) => o.name)).toContain('t12-skip-client-cv');
    expect(applicableOperators(rsaOnly, true, ['t12-missing-client-ccs']).map((o) => o.name)).toEqual(['t12-missing-client-ccs']);
  });
});

describe('classifyEnd', () => {
  it('valid conversations: completed is conforming, anything else is not', () => {
    expect(classifyEnd({ kind: 'complete' }, connectedDone, 'exact').verdict).toBe('conforming');
    expect(classifyEnd({ kind: 'complete' }, alertEnd(40), 'any-abort')).toMatchObject({
      verdict: 'wrong-alert',
      alert: 'handshake_failure',
    });
    expect(classifyEnd({ kind: 'complete' }, reset, 'any-abort').verdict).toBe('reset');
    expect(
      classifyEnd({ kind: 'complete' }, { ...hung, outcome: { kind: 'handshaking', state: 'WAIT_SH' } }, 'any-abort').verdict,
    ).toBe('hung');
  });

  it('mutants: accepted, right alert, wrong alert, close, reset, hang under each strictness', () => {
    expect(classifyEnd(reject, connectedDone, 'any-abort').verdict).toBe('accepted-invalid');
    expect(classifyEnd(reject, alertEnd(51), 'exact')).toMatchObject({ verdict: 'conforming', alert: 'decrypt_error' });
    expect(classifyEnd(reject, alertEnd(80), 'exact')).toMatchObject({ verdict: 'wrong-alert', alert: 'internal_error' });
    expect(classifyEnd(reject, alertEnd(80), 'alert-or-close').verdict).toBe('wrong-alert');
    expect(classifyEnd(reject, alertEnd(80), 'any-abort').verdict).toBe('conforming');
    expect(classifyEnd(reject, closedPlain, 'exact').verdict).toBe('wrong-alert');
    expect(classifyEnd(reject, closedPlain, 'alert-or-close').verdict).toBe('conforming');
    expect(classifyEnd(reject, reset, 'exact').verdict).toBe('reset');
    expect(classifyEnd(reject, reset, 'alert-or-close').verdict).toBe('conforming');
    expect(classifyEnd(reject, hung, 'any-abort').verdict).toBe('hung');
  });
});

describe('firingHooks', () => {
  it('tells whether a hook changed anything', async () => {
    const w = firingHooks({ beforeSend: (m) => (m.type === 'finished' ? [m.raw] : undefined) });
    await w.hooks.beforeSend?.({ side: 'client', kind: 'handshake', type: 'client_hello', raw: new Uint8Array(4) });
    expect(w.fired()).toBe(false);
    await w.hooks.beforeSend?.({ side: 'client', kind: 'handshake', type: 'finished', raw: new Uint8Array(4) });
    expect(w.fired()).toBe(true);
  });
});

describe('planConversations', () => {
  it('is deterministic in the seed, paths are the fast-check run indices, every kind appears, and the options filter', async () => {
    const pki = await testPki();
    const profile: TargetProfile = {
      suites: {
        '1.2': [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
        '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256, CipherSuite13.TLS_AES_256_GCM_SHA384],
      },
      certificateRequested: true,
    };
    const o = {
      host: '127.0.0.1',
      port: 1,
      seed: 42,
      runs: 40,
      strictness: 'exact' as const,
      pki,
      identity: pki.identity('client', 'rsa'),
      certFaults: true,
    };
    const a = await planConversations(o, profile);
    const b = await planConversations(o, profile);
    const c = await planConversations({ ...o, seed: 43 }, profile);
    const sig = (cs: typeof a) => cs.map((x) => `${x.path} ${x.name} ${x.group}`);
    expect(sig(a)).toEqual(sig(b));
    expect(sig(a)).not.toEqual(sig(c));
    expect(a.map((x) => x.path)).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    expect(new Set(a.map((x) => x.kind))).toEqual(new Set(['valid', 'mutant', 'state', 'cert']));
    for (const x of a) {
      expect(x.client.provider).toBeDefined();
      expect(x.expect.kind === 'complete').toBe(x.kind === 'valid');
      if (x.expect.kind === 'reject') {
        expect(x.kind === 'cert' || x.hooks !== undefined).toBe(true);
        expect(x.expect.alerts.length).toBeGreaterThan(0);
        expect(x.subject).toBeDefined();
      }
    }
    // `count` is the old name of `runs`
    expect((await planConversations({ ...o, runs: undefined, count: 5 }, profile)).length).toBe(5);
    // without certFaults and identity: no certificate conversations, none needing a client certificate
    const plain = await planConversations({ ...o, certFaults: false, identity: undefined }, profile);
    expect(plain.filter((x) => x.kind === 'cert')).toEqual([]);
    expect(plain.filter((x) => x.subject === 't13-state-cert-skipped' || x.subject === 't12-skip-client-cv')).toEqual([]);
    // --operator restricts the non-valid conversations
    const only = await planConversations({ ...o, operators: ['t12-state-early-ccs'] }, profile);
    expect(new Set(only.filter((x) => x.kind !== 'valid').map((x) => x.subject))).toEqual(new Set(['t12-state-early-ccs']));
    // a profile's disabled rule removes what declares it
    const prof = parseProfile(JSON.stringify({ disabled: [{ rule: 't12.order.ccs-timing', reason: 'r' }] }), conversationNames());
    const dis = await planConversations({ ...o, profile: prof }, profile);
    expect(dis.filter((x) => x.expect.kind === 'reject' && x.expect.rules.includes('t12.order.ccs-timing'))).toEqual([]);
  });

  it('coverage first: each applicable name once at the simplest configuration, kinds taking turns, order by seed; then random', async () => {
    const pki = await testPki();
    const profile: TargetProfile = {
      suites: {
        '1.2': [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
        '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256, CipherSuite13.TLS_AES_256_GCM_SHA384],
      },
      certificateRequested: true,
      schemes: [0x0804, 0x0401],
    };
    const o = {
      host: '127.0.0.1',
      port: 1,
      seed: 42,
      runs: 60,
      strictness: 'exact' as const,
      pki,
      identity: pki.identity('client', 'rsa'),
      certFaults: true,
    };
    const ex = coverageExamples(o, profile);
    const nameOf = (e: (typeof ex)[number]) =>
      e.kind === 'mutant'
        ? e.op
        : e.kind === 'state'
          ? e.scenarios.join('+')
          : e.kind === 'cert'
            ? e.fault
            : `valid ${e.version} #${e.cfg.suite}`;
    const names = ex.map(nameOf);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining([...conversationNames(), 'valid 1.2 #0', 'valid 1.3 #0', 'valid 1.3 #1']));
    expect(ex.slice(0, 4).map((e) => e.kind)).toEqual(['mutant', 'state', 'cert', 'valid']);
    for (const e of ex) if (e.kind !== 'valid') expect(e.cfg).toEqual(CFG0);
    // the TLS 1.2 valid handshake offers a restricted signature_algorithms list (the first probed scheme)
    expect(ex.find((e) => e.kind === 'valid' && e.version === '1.2')?.cfg.schemes).toBe(1);
    expect(coverageExamples({ ...o, seed: 43 }, profile).map(nameOf)).not.toEqual(names);
    // the plan starts with them, then random conversations
    const plan = await planConversations(o, profile);
    expect(plan.slice(0, ex.length).map((c) => c.subject ?? c.name.replace(/ sigs=.*/, ''))).toEqual(
      ex.map((e) =>
        e.kind === 'valid' ? `valid ${e.version} ${suiteName(profile.suites[e.version][e.cfg.suite]!)}` : nameOf(e),
      ),
    );
    expect(plan).toHaveLength(60);
    expect(plan.find((c) => c.version === '1.2' && c.kind === 'valid')?.client.signatureSchemes).toEqual([0x0804]);
    expect(await planConversations({ ...o, coverFirst: false }, profile)).toHaveLength(60);
    // without a run count: every name once, then DEFAULT_RANDOM_RUNS random ones
    expect(await planConversations({ ...o, runs: undefined }, profile)).toHaveLength(ex.length + DEFAULT_RANDOM_RUNS);
    expect(await planConversations({ ...o, runs: undefined, coverFirst: false }, profile)).toHaveLength(DEFAULT_RANDOM_RUNS);
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
    const pki = await testPki();
    const none: TargetProfile = { suites: { '1.2': [], '1.3': [] }, certificateRequested: false };
    expect(() => conversationArb({ host: '', port: 1, seed: 1, strictness: 'exact', pki }, none)).toThrow(/nothing to generate/);
  });

  it('state conversations: out-of-order flows expect unexpected_message (plus the scenario alerts), an incomplete one also accepts silence', async () => {
    const pki = await testPki();
    const profile: TargetProfile = {
      suites: { '1.2': [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256], '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256] },
      certificateRequested: false,
    };
    const o = { host: '', port: 1, seed: 1, strictness: 'exact' as const, pki };
    const cfg = { suite: 0, group: 0, compat: false, random: 0, schemes: 0 };
    const early = await buildConversation(o, profile, { kind: 'state', scenarios: ['t12-state-early-ccs'], cfg }, '0');
    expect(early.expect).toEqual({ kind: 'reject', rules: ['t12.order.ccs-timing'], alerts: ['unexpected_message'] });
    const fin = await buildConversation(o, profile, { kind: 'state', scenarios: ['t12-state-fin-skipped'], cfg }, '0');
    expect(fin.expect).toEqual({
      kind: 'reject',
      rules: ['t12.order.full-server-final-flight'],
      alerts: ['unexpected_message'],
      silenceOk: true,
    });
    expect(fin.readTimeoutMs).toBe(1000);
    const both = await buildConversation(
      o,
      profile,
      { kind: 'state', scenarios: ['t12-state-fin-skipped', 't12-state-early-ccs'], cfg },
      '0',
    );
    expect(both.expect).toMatchObject({ kind: 'reject', rules: ['t12.order.full-server-final-flight', 't12.order.ccs-timing'] });
    expect(both.expect.kind === 'reject' && both.expect.silenceOk).toBeFalsy();
    const t13 = await buildConversation(o, profile, { kind: 'state', scenarios: ['t13-state-fin-skipped'], cfg }, '0');
    expect(t13.expect).toEqual({
      kind: 'reject',
      rules: ['t13.order.client-flight'],
      alerts: ['unexpected_message', 'bad_record_mac', 'decrypt_error'],
    });
  });

  it('certificate faults: alerts from the catalogue (decrypt_error too for a bad signature), a leaf the test root did not sign correctly', async () => {
    const pki = await testPki();
    expect(CERT_FAULTS.map((f) => `${f} ${CERT_FAULT_RULES[f]} ${certFaultAlerts(f).join('/')}`)).toEqual([
      'client-cert-expired cert.path.validity certificate_expired',
      'client-cert-wrong-key cert.path.signature bad_certificate/decrypt_error',
      'client-cert-unknown-ca cert.path.trust-anchor unknown_ca',
    ]);
    const anchors = pki.anchors;
    for (const f of CERT_FAULTS) {
      const id = await faultyClientIdentity(pki, f);
      expect(id.chain).toHaveLength(1);
      // our own validator rejects each for the fault's rule
      const v = await validateChain({
        chain: id.chain,
        trustAnchors: anchors,
        purpose: 'client',
        at: new Date(),
        provider: pki.provider,
      });
      expect([f, v.ok, v.problems.map((x) => x.rule)]).toEqual([f, false, [CERT_FAULT_RULES[f]]]);
    }
  });
});

describe('classifyEnd: silenceOk', () => {
  it('a target that just waits is conforming for an incomplete flow, not for an out-of-order one; completing is never', () => {
    const waiting: SocketEnd = {
      kind: 'timed_out',
      afterMs: 1000,
      overall: false,
      outcome: { kind: 'handshaking', state: 'WAIT_CCS' },
    };
    expect(classifyEnd({ ...reject, silenceOk: true }, waiting, 'exact')).toMatchObject({ verdict: 'conforming' });
    expect(classifyEnd(reject, waiting, 'exact').verdict).toBe('hung');
    expect(classifyEnd({ ...reject, silenceOk: true }, hung, 'exact').verdict).toBe('hung');
    expect(classifyEnd({ ...reject, silenceOk: true }, connectedDone, 'exact').verdict).toBe('accepted-invalid');
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
  it('one pick per applicable mutant and per offered version, simplest configuration, kinds taking turns, order by seed', async () => {
    const pki = await testPki();
    const profile: ClientProfile = {
      versions: ['1.3', '1.2'],
      suites: { '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256], '1.2': [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] },
      groups: [NamedGroup.x25519, NamedGroup.secp256r1],
      offered: { suites: [], groups: [], alpn: [] },
      completed: true,
      detail: '',
    };
    const mutants = applicableMutants(profile, await serverSideOperators(pki), {});
    const picks = coveragePicks(profile, mutants, 1);
    const convs = picks.map((p, i) => conversationOf(p, profile, mutants, { seed: 1 }, String(i)));
    const names = convs.map((c) => c.mutant?.name ?? `valid ${c.version}`);
    expect([...names].sort()).toEqual([...mutants.map((m) => m.name), 'valid 1.2', 'valid 1.3'].sort());
    for (const p of picks)
      expect({ ...p, mutant: 0, version: 0 }).toEqual({ mutant: 0, version: 0, suite: 0, group: 0, auth: 0, random: 0 });
    // catalogue operator, live mutation, valid handshake, then again
    const kind = (c: (typeof convs)[number]) => c.mutant?.kind ?? 'valid';
    expect(convs.slice(0, 6).map(kind)).toEqual(['operator', 'live', 'valid', 'operator', 'live', 'valid']);
    expect(coveragePicks(profile, mutants, 2)).not.toEqual(picks);
    expect(coveragePicks(profile, mutants, 1)).toEqual(picks);
  });
});
