import { readFileSync } from 'node:fs';
import { receiverDutyRules } from '../oracles/rules/receiver-duties';
import { join } from 'node:path';
import { ecdhGroupOf, ffdheGroupOf, kemGroupOf, schemeInfo } from '../crypto';
import { allRules } from '../oracles/catalogue';
import { namedGroups, signatureSchemes } from '../wire/registry';
import { type Io, main } from './main';

function capture(): Io & { stdout: string[] } {
  const stdout: string[] = [];
  return { stdout, out: (s) => stdout.push(s), err: () => {}, readStdin: async () => '' };
}

interface Listed {
  id: string;
  implemented: boolean;
  evidence: string;
  reason?: string;
}

describe('tlsprop rules', () => {
  it('says which rules are decided across the connections of a run (json: spans; text: the state)', async () => {
    const json = capture();
    expect(await main(['rules', '--json'], json)).toBe(0);
    const listed: Array<{ id: string; spans?: string }> = JSON.parse(json.stdout.join('\n')).rules;
    expect(listed.filter((r) => r.spans === 'connections').map((r) => r.id)).toEqual([
      'hello.random-fresh',
      'kex.ephemeral-fresh',
    ]);
    const text = capture();
    expect(await main(['rules'], text)).toBe(0);
    expect(text.stdout.find((l) => l.startsWith('hello.random-fresh '))).toMatch(/across the connections of a run$/);
    expect(text.stdout.find((l) => l.startsWith('ecdh.independent-shares '))).not.toMatch(/across/);
  });

  const before: { rules: Array<{ id: string; implemented: boolean }> } = JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'rules', 'rules-main-before-13.json'), 'utf8'),
  );

  /** Declared after issues #14 and #16 beyond the checklist (each with its `overrides.checklist` reason). */
  const ADDED = [
    'rec.integrity',
    'sig.t12.cr-no-md5-sha1',
    'sig.t12.cv-md5-sha1-refused',
    'sig.t12.cv-no-md5-sha1',
    'sig.t12.sigalgs-no-md5-sha1',
    'sig.t12.ske-md5-sha1-refused',
    'sig.t12.ske-no-md5-sha1',
    // issue #14 (live verdicts): exact labels for live findings
    'alert.t13.should-send',
    'rec.t13.app-keys-after-finished',
    't12.cv.signature-encoding',
    // issue #14 (live families): the receiver duties the conversation families decide (oracles/rules/receiver-duties.ts)
    ...receiverDutyRules.map((r) => r.id),
  ];

  it('lists the rule ids listed before the declarations became the source of truth (and the ones added since), implemented', async () => {
    const io = capture();
    expect(await main(['rules', '--json'], io)).toBe(0);
    const now: { rules: Listed[]; stats: { total: number; missing: number; byEvidence: Record<string, { total: number }> } } =
      JSON.parse(io.stdout.join('\n'));
    // issue #18 declared rules the checklist lacks: the TLS 1.2 PSK key exchanges, record_size_limit (RFC 8449), the
    // post-handshake authentication Finished, what a server does with a PSK identity it does not know (live), certificate
    // compression (RFC 8879)
    const added = [
      ...ADDED,
      't12.ks.pms-psk',
      't12.psk.identity-utf8',
      't12.psk.no-certificate-request',
      'ext.rsl.value',
      'ext.rsl.not-with-mfl',
      'rec.rsl-enforced',
      't13.pha.finished',
      't13.early.replay-once',
      't12.psk.unknown-identity',
      't13.psk.unknown-identity',
      // a TLS 1.2 PSK client ignores the psk_identity_hint (RFC 4279 §5.2; live, tlsprop fuzz --listen --psk)
      't12.psk.hint-ignored',
      'ext.cc.offered',
      'ext.cc.decompress',
      // tlsfuzzer parity (issue #14): empty-by-definition extension bodies (RFC 7627 §5.1, RFC 7366 §2), TLS 1.3
      // plaintext handshake records once protection is in use (RFC 8446 §5.2)
      'ext.empty-extension-data',
      'rec.t13.protected-after-hello',
      // TLS 1.2 GCM/CCM explicit nonces (RFC 5288 §3), read from the records without keys
      'rec.t12.aead-explicit-nonce-unique',
      // no encrypt-then-MAC downgrade in a renegotiation (RFC 7366 §3.1)
      'ext.etm.no-downgrade',
      // the resumption family (issue #14): a PSK selected with a suite of another hash (RFC 8446 §4.2.11, §4.6.1)
      't13.psk.suite-hash',
      // ML-KEM key exchange (issue #14: test-tls13-mlkem, test-no-mlkem-in-old-tls; draft-ietf-tls-ecdhe-mlkem §3.1)
      'mlkem.share-length',
      'mlkem.encapsulation-key',
      'mlkem.ecdh-part',
      'mlkem.ciphertext-encapsulates',
      't12.neg.no-mlkem-group',
      // RFC 7919 §4 receiver duties (issue #14: test-ffdhe-negotiation), decided by live conversations
      't12.neg.ffdhe-group-alone',
      't12.neg.ffdhe-no-known-group',
      // encrypt_then_mac answered only with a block cipher suite (RFC 7366 §3; issue #14, test-encrypt-then-mac)
      'ext.etm.block-cipher-only',
      // freshness across the connections of a run (issue #14: test-serverhello-random, test-dhe-key-share-random, ...)
      'hello.random-fresh',
      'kex.ephemeral-fresh',
      // obsolete_reserved groups neither offered nor negotiated in TLS 1.3 (RFC 8446 §4.2.7; test-tls13-obsolete-curves)
      't13.neg.obsolete-groups',
      // ECDHE suites offered without supported_groups (RFC 8422 §4; test-ecdhe-rsa-key-exchange)
      't12.neg.ecdhe-without-groups',
    ];
    expect(now.rules.map((r) => r.id).sort()).toEqual([...before.rules.map((r) => r.id), ...added].sort());
    const was = new Set(before.rules.filter((r) => r.implemented).map((r) => r.id));
    const newly = now.rules.filter((r) => r.implemented && !was.has(r.id) && !added.includes(r.id));
    // the renegotiation rules (issue #18), decided with keys: the renegotiation is protected under the first handshake's
    const renegotiation = ['ext.reneg.legacy', 'ext.reneg.secure', 'ver.t13.no-13-in-renegotiation'];
    expect(newly.filter((r) => renegotiation.includes(r.id)).every((r) => r.evidence === 'keys')).toBe(true);
    // the 0-RTT limit (issue #18 part 2), decided with keys: the 0-RTT data is protected under the early keys
    const zeroRtt = ['rec.t13.early-data-limit'];
    expect(newly.filter((r) => zeroRtt.includes(r.id)).map((r) => r.evidence)).toEqual(['keys']);
    expect(
      newly
        .map((r) => r.id)
        .filter((id) => !renegotiation.includes(id) && !zeroRtt.includes(id))
        .sort(),
    ).toEqual([
      'alert.close-notify',
      'alert.illegal-parameter',
      'alert.t12.must-send',
      'alert.t13.named-alert',
      'cert.chain.client-empty',
      'cert.reject-alert',
      'ext.ffdhe.client-check',
      'ext.ffdhe.group-selection',
      'ext.ignore-unknown',
      'ext.sni.unrecognized',
      'rec.deprotect-failure',
      'rec.hs-fragmentation',
      't12.rsa.no-oracle',
      't13.neg.no-common-parameters',
      'ver.client-accepts-version',
      'ver.downgrade-sentinel-check',
      // RFC 8446 App. D.3: a client that sent 0-RTT data fails a connection answered with TLS 1.2 (issue #14,
      // test-tls13-0rtt-garbage), a reaction judged live
      'ver.t13.0rtt-needs-13',
    ]);
    // the 15 live catalogue rules (ver.t13.0rtt-needs-13 the 15th), alert.close-notify now that captures say how the transport ended, and the RFC 7919
    // group selection of a DHE ServerKeyExchange
    expect(
      newly
        .filter((r) => r.evidence !== 'live' && !renegotiation.includes(r.id) && !zeroRtt.includes(r.id))
        .map((r) => r.id)
        .sort(),
    ).toEqual(['alert.close-notify', 'ext.ffdhe.group-selection']);
    // nothing implemented before went missing
    expect(now.rules.filter((r) => was.has(r.id) && !r.implemented)).toEqual([]);
    expect(now.stats).toMatchObject({ total: 220, missing: 3 });
    expect(now.stats.byEvidence['live']).toMatchObject({ total: 15, missing: 0 });
  });

  it('--missing lists each checklist id without a declaration, with its reason', async () => {
    const io = capture();
    expect(await main(['rules', '--missing'], io)).toBe(0);
    const lines = io.stdout.slice(0, -1);
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/ missing: .{10,}/);
    expect(io.stdout.at(-1)).toMatch(/^3 of 220 catalogue rules missing; .* live: 0\/15 missing/);
  });

  it('--gaps lists every registered scheme, group and suite the crypto layer does not handle, with the rules it leaves inconclusive', async () => {
    const io = capture();
    expect(await main(['rules', '--gaps', '--json'], io)).toBe(0);
    const out: { gaps: Array<{ kind: string; subject: string; rules: string[] }>; stats: { total: number; arithmetic: number } } =
      JSON.parse(io.stdout.join('\n'));
    const subjects = new Set(out.gaps.map((g) => g.subject));
    for (const [code, name] of signatureSchemes)
      expect([name, subjects.has(`signature scheme ${name} (0x${code.toString(16).padStart(4, '0')})`)]).toEqual([
        name,
        !schemeInfo(code),
      ]);
    for (const [code, name] of namedGroups)
      expect([name, subjects.has(`named group ${name} (0x${code.toString(16).padStart(4, '0')})`)]).toEqual([
        name,
        !ecdhGroupOf(code) && !ffdheGroupOf(code) && !kemGroupOf(code),
      ]);
    const ids = new Set<string>(allRules.map((r) => r.id));
    for (const g of out.gaps) {
      expect(['arithmetic', 'platform']).toContain(g.kind);
      expect(g.rules.filter((r) => !ids.has(r))).toEqual([]);
    }
    expect(out.stats.total).toBe(out.gaps.length);
    // ML-KEM (pure and hybrid) is crypto/kem's (@noble/post-quantum): no group is a gap
    expect(out.gaps.filter((g) => g.subject.includes('MLKEM'))).toEqual([]);
    // issue #16 part 7: nothing the platform can do is left undone (P-521, SHA-224, DSA, Ed448, 3DES records included)
    expect(out.gaps.filter((g) => g.kind === 'arithmetic')).toEqual([]);
    expect(out.stats.arithmetic).toBe(0);
    expect([...subjects].filter((x) => /sha224|secp521r1|3DES|Ed448|dsa/i.test(x))).toEqual([]);
    const text = capture();
    await main(['rules', '--gaps'], text);
    expect(text.stdout.at(-1)).toMatch(/^\d+ gap\(s\): \d+ arithmetic .*, \d+ platform$/);
  });
});
