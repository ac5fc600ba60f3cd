import { receiverDutyRules } from './rules/receiver-duties';
import { TranscriptBuilder } from '../transcript/build';
import { allRules, catalogueStatus, isRuleId, ruleById, transcriptRules } from './catalogue';
import { checkTranscript, ruleStatus } from './evaluate';
import { type Notice, type Outcome, type Rule, type Verdict, inconclusive, pass } from './rule';

function tls12Flow() {
  const b = new TranscriptBuilder({ kind: 'manual' });
  for (const [dir, type] of [
    ['C->S', 'client_hello'],
    ['S->C', 'server_hello'],
    ['S->C', 'server_hello_done'],
  ] as const)
    b.addMessage({ dir, type });
  return b.finish();
}

/** A real declaration (its id, versions, needs) with another check, to test the evaluator. */
const withCheck = (base: Rule, check: Rule['check'], over: Partial<Rule> = {}): Rule => ({ ...base, needs: [], ...over, check });
const t12 = ruleById('t12.order.client-hello-first');
const t13 = ruleById('t13.order.client-hello-first');

describe('evaluator', () => {
  it('turns a throwing rule into an inconclusive verdict naming the error', async () => {
    const boom = withCheck(t12, () => {
      throw new Error('kaput');
    });
    const r = await checkTranscript(tls12Flow(), { rules: [boom] });
    expect(r.verdicts).toEqual([
      { rule: 't12.order.client-hello-first', status: 'inconclusive', detail: 'The rule failed with an error: kaput.' },
    ]);
  });
  it('marks rules of the other version not-applicable and an unknown version inconclusive', async () => {
    const only13 = withCheck(t13, () => pass('never'));
    expect((await checkTranscript(tls12Flow(), { rules: [only13] })).verdicts[0]!.status).toBe('not-applicable');
    const b = new TranscriptBuilder({ kind: 'manual' });
    b.addMessage({ dir: 'C->S', type: 'client_hello' });
    expect((await checkTranscript(b.finish(), { rules: [only13] })).verdicts[0]!.status).toBe('inconclusive');
  });
  it('an empty verdict list is inconclusive, and the summary counts statuses', async () => {
    const none = withCheck(t12, () => []);
    const ok = withCheck(ruleById('t12.order.server-hello-reply'), () => pass('fine'));
    const r = await checkTranscript(tls12Flow(), { rules: [none, ok] });
    expect(r.summary).toEqual({ pass: 1, violation: 0, inconclusive: 1, 'not-applicable': 0 });
  });
  it('awaits async rules and turns a rejected promise into an inconclusive verdict', async () => {
    const later = withCheck(t12, async () => pass('later'));
    const reject = withCheck(ruleById('t12.order.server-hello-reply'), async () => {
      throw new Error('nope');
    });
    const r = await checkTranscript(tls12Flow(), { rules: [later, reject] });
    expect(r.verdicts).toEqual([
      { rule: 't12.order.client-hello-first', status: 'pass', detail: 'later' },
      { rule: 't12.order.server-hello-reply', status: 'inconclusive', detail: 'The rule failed with an error: nope.' },
    ]);
  });
  it('a missing need gives the verdict before the check runs: inconclusive without evidence, not-applicable when nothing happened', async () => {
    let ran = 0;
    const check = () => {
      ran++;
      return pass('ran');
    };
    const t = tls12Flow();
    const verdicts = (
      await checkTranscript(t, {
        rules: [
          withCheck(t12, check, { needs: ['records'] }),
          withCheck(t12, check, { needs: ['hellos'] }),
          withCheck(t12, check, { needs: ['hrr'] }),
          withCheck(t12, check, { needs: ['kex'] }),
        ],
      })
    ).verdicts;
    expect(ran).toBe(0);
    expect(verdicts.map((v) => v.status)).toEqual(['inconclusive', 'inconclusive', 'not-applicable', 'inconclusive']);
    expect(verdicts[0]!.detail).toMatch(/messages only, no records/);
    expect(verdicts[1]!.detail).toMatch(/ClientHello is not in the transcript/);
    expect(verdicts[2]!.detail).toBe('No HelloRetryRequest.');
  });
  it('runs the reaction rules after the others, with their violations', async () => {
    const found = withCheck(t12, () => ({ status: 'violation', detail: 'broken', message: 0 }));
    let seen: unknown;
    const reaction = withCheck(
      ruleById('alert.fatal-closes'),
      (ctx) => {
        seen = (ctx as { violations?: unknown }).violations;
        return inconclusive('looked');
      },
      { needs: ['violations'] },
    );
    const r = await checkTranscript(tls12Flow(), { rules: [reaction, found] });
    expect(seen).toEqual([{ rule: 't12.order.client-hello-first', status: 'violation', detail: 'broken', message: 0 }]);
    // verdicts stay in the order of the rules given
    expect(r.verdicts.map((v) => v.rule)).toEqual(['alert.fatal-closes', 't12.order.client-hello-first']);
    const off = await checkTranscript(tls12Flow(), { rules: [reaction, found], judgeReactions: false });
    expect(off.verdicts.map((v) => v.rule)).toEqual(['t12.order.client-hello-first']);
  });
  it('the reaction rules see the violations and notices in the order the awaited checks completed', async () => {
    // As when every check was an awaited async call: a check that answers at once completes two ticks on, one whose
    // promise is already settled completes with it (rule order between them), one that waits longer completes later.
    const v = (detail: string): Outcome => ({ status: 'violation', detail });
    const settled = withCheck(t12, async () => v('settled'));
    const atOnce = withCheck(ruleById('t12.order.server-hello-reply'), () => v('at once'));
    const later = withCheck(ruleById('t12.order.single-occurrence'), async () => {
      await new Promise((r) => setImmediate(r));
      return v('later');
    });
    const noticed = withCheck(ruleById('t12.order.state-machine'), () => ({
      ...pass('fine'),
      notice: { kind: 'chain-would-not-validate', detail: 'noted' },
    }));
    let seen: string[] = [];
    const reaction = withCheck(
      ruleById('alert.fatal-closes'),
      (ctx) => {
        const c = ctx as { violations?: readonly Verdict[]; notices?: readonly Notice[] };
        seen = [...(c.violations ?? []).map((x) => x.detail), ...(c.notices ?? []).map((n) => n.rule)];
        return inconclusive('looked');
      },
      { needs: ['violations'] },
    );
    await checkTranscript(tls12Flow(), { rules: [later, atOnce, settled, noticed, reaction] });
    expect(seen).toEqual(['at once', 'settled', 'later', 't12.order.state-machine']);
    await checkTranscript(tls12Flow(), { rules: [settled, later, atOnce, reaction] });
    expect(seen).toEqual(['settled', 'at once', 'later']);
  });
  it('is deterministic', async () => {
    expect(JSON.stringify((await checkTranscript(tls12Flow())).verdicts)).toBe(
      JSON.stringify((await checkTranscript(tls12Flow())).verdicts),
    );
  });
  it('ruleStatus is the worst verdict of a rule', async () => {
    const vs = (await checkTranscript(tls12Flow())).verdicts;
    expect(ruleStatus(vs, 't12.order.client-hello-first')).toBe('pass');
    expect(ruleStatus([], 't12.order.client-hello-first')).toBeUndefined();
  });
});

describe('catalogue', () => {
  it('rule ids are unique, validated by isRuleId, and every transcript rule has a check', () => {
    const ids = allRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every(isRuleId)).toBe(true);
    expect(isRuleId('t12.order.nope')).toBe(false);
    expect(transcriptRules.every((r) => typeof r.check === 'function')).toBe(true);
    // only live rules and the rules decided across the connections of a run (oracles/across.ts) lack a transcript check
    expect(allRules.filter((r) => !r.check && r.evidence !== 'live' && !r.across).map((r) => r.id)).toEqual([]);
    expect(allRules.filter((r) => r.across && r.check).map((r) => r.id)).toEqual([]);
  });
  it('each declaration has every field once, with structured alerts and RFC references of one section each', () => {
    for (const r of allRules) {
      expect([r.id, r.title.length > 10, r.rfc.length > 0, r.versions.length > 0]).toEqual([r.id, true, true, true]);
      // the ML-KEM groups rest on IETF drafts (draft-ietf-tls-ecdhe-mlkem, draft-ietf-tls-mlkem) and FIPS 203
      for (const ref of r.rfc)
        expect([r.id, ref]).toEqual([
          r.id,
          expect.stringMatching(/^(RFC \d+|NIST SP [\w-]+|FIPS \d+|draft-ietf-tls-[a-z0-9-]+)( (§|App\. )\S.*)?$/),
        ]);
      for (const a of r.alerts) {
        expect([r.id, a.rfc]).toEqual([r.id, expect.stringMatching(/^(RFC \d+|draft-ietf-tls-[a-z0-9-]+) (§|App\. )/)]);
        expect([r.id, a.text.length > 20]).toEqual([r.id, true]);
      }
      if (r.evidence === 'live') expect([r.id, r.live !== undefined]).toEqual([r.id, true]);
    }
  });
  it('every missing rule has a reason, and the status list keeps declared rules first', () => {
    const st = catalogueStatus();
    expect(st.filter((s) => !s.implemented && !s.reason)).toEqual([]);
    expect(st.slice(0, allRules.length).map((s) => s.id)).toEqual(allRules.map((r) => r.id));
    // extras in any order: each branch that adds a rule the checklist lacks appends it here
    expect(
      st
        .filter((s) => s.extra)
        .map((s) => s.id)
        .sort(),
    ).toEqual(
      [
        't12.order.state-machine',
        't13.order.state-machine',
        // freshness across the connections of a run (oracles/rules/freshness.ts)
        'hello.random-fresh',
        'kex.ephemeral-fresh',
        'mlkem.share-length',
        'mlkem.encapsulation-key',
        'mlkem.ecdh-part',
        'mlkem.ciphertext-encapsulates',
        't12.neg.no-mlkem-group',
        // RFC 7919 §4 receiver duties (test-ffdhe-negotiation)
        't12.neg.ffdhe-group-alone',
        't12.neg.ffdhe-no-known-group',
        'sig.t12.sigalgs-no-md5-sha1',
        'sig.t12.cr-no-md5-sha1',
        'sig.t12.ske-no-md5-sha1',
        'sig.t12.cv-no-md5-sha1',
        'sig.t12.ske-md5-sha1-refused',
        'sig.t12.cv-md5-sha1-refused',
        'rec.integrity',
        'alert.t13.should-send',
        't12.cv.signature-encoding',
        'rec.t13.app-keys-after-finished',
        't12.psk.identity-utf8',
        't12.psk.no-certificate-request',
        't12.psk.unknown-identity',
        't13.psk.unknown-identity',
        // the client's duty to ignore a psk_identity_hint (RFC 4279 §5.2), decided by tlsprop fuzz --listen --psk
        't12.psk.hint-ignored',
        'ext.cc.offered',
        'ext.cc.decompress',
        't12.ks.pms-psk',
        // record_size_limit (breadth, RFC 8449)
        'ext.rsl.not-with-mfl',
        'ext.rsl.value',
        'rec.rsl-enforced',
        // post-handshake authentication (breadth, RFC 8446 §4.6.2)
        't13.pha.finished',
        // obsolete_reserved groups in TLS 1.3 (RFC 8446 §4.2.7; test-tls13-obsolete-curves)
        't13.neg.obsolete-groups',
        // ECDHE suites offered without supported_groups (RFC 8422 §4; test-ecdhe-rsa-key-exchange)
        't12.neg.ecdhe-without-groups',
        // 0-RTT anti-replay (RFC 8446 §8)
        't13.early.replay-once',
        // empty-by-definition extension bodies (tlsfuzzer parity, RFC 7627 §5.1, RFC 7366 §2)
        'ext.empty-extension-data',
        // no encrypt-then-MAC downgrade in a renegotiation (tlsfuzzer parity, RFC 7366 §3.1)
        'ext.etm.no-downgrade',
        // encrypt_then_mac answered only with a block cipher suite (tlsfuzzer parity, RFC 7366 §3)
        'ext.etm.block-cipher-only',
        // TLS 1.3 records in plaintext once protection is in use (tlsfuzzer parity, RFC 8446 §5, §5.2)
        'rec.t13.protected-after-hello',
        // TLS 1.2 GCM/CCM explicit nonces never repeat under one key (tlsfuzzer parity, RFC 5288 §3, RFC 6655 §3)
        'rec.t12.aead-explicit-nonce-unique',
        // a PSK selected with a suite of another hash (the resumption family, RFC 8446 §4.2.11, §4.6.1)
        't13.psk.suite-hash',
        // the receiver duties the live conversation families decide (oracles/rules/receiver-duties.ts)
        ...receiverDutyRules.map((r) => r.id),
      ].sort(),
    );
  });
});
