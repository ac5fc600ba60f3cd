/**
 * Historical TLS implementation bugs as named regressions: each is a
 * mutation of a real in-memory handshake (or, for the triple handshake, a
 * resumption built at transcript level from one) and must be reported with
 * the rule that names the flaw.
 */
import { type TestPki, testPki } from '../engine/fixtures';
import { type BaseChoice, type BaseName, mutation, runBase, runMutant } from '../generators/mutations';
import { C, type Entry, S, at, editRaw, entriesOf, rebuild } from '../generators/mutations/support';
import type { RuleId } from '../oracles/catalogue';
import { checkTranscript, ruleStatus } from '../oracles/evaluate';
import type { Transcript } from '../transcript/model';
import { ExtensionType as X } from '../wire/registry';

const choice = (base: BaseName, seed = 1): BaseChoice => ({
  base,
  suiteIndex: 0,
  group: 0x1d,
  compat: true,
  clientRandom: new Uint8Array(32).fill(seed),
  serverRandom: new Uint8Array(32).fill(seed + 1),
  seed,
});

interface Bug {
  name: string;
  operator: string;
  base: BaseName;
  rules: RuleId[];
}

const BUGS: Bug[] = [
  {
    name: 'CVE-2014-0224 (OpenSSL early CCS) towards the server: ChangeCipherSpec before the client key exchange flight',
    operator: 't12-early-client-ccs',
    base: 't12-ecdhe-rsa-cbc-mutual',
    rules: ['t12.order.ccs-timing'],
  },
  {
    name: 'CVE-2014-0224 towards the client: CCS injected right after ServerHello of a full handshake',
    operator: 't12-early-server-ccs',
    base: 't12-ecdhe-rsa-cbc-mutual',
    rules: ['t12.order.state-machine', 't12.order.ccs-timing'],
  },
  {
    name: 'SKIP-TLS (CVE-2014-3572): ServerKeyExchange skipped in an ECDHE handshake',
    operator: 't12-drop-ske',
    base: 't12-ecdhe-ecdsa-gcm',
    rules: ['t12.order.ske-required'],
  },
  {
    name: 'CVE-2015-0205 style: client Certificate without CertificateVerify',
    operator: 't12-skip-client-cv',
    base: 't12-ecdhe-rsa-cbc-mutual',
    rules: ['t12.order.cv-iff-signing-cert'],
  },
  {
    name: 'CVE-2015-0205 style in TLS 1.3: client Certificate without CertificateVerify',
    operator: 't13-skip-client-cv',
    base: 't13-mutual',
    rules: ['t13.order.client-cv-iff-nonempty'],
  },
  {
    name: 'FREAK (CVE-2015-0204): an export RSA suite the client never offered is selected',
    operator: 't12-export-suite-selected',
    base: 't12-rsa-kex',
    rules: ['t12.neg.suite-offered', 't12.neg.no-weak-algorithms'],
  },
  {
    name: 'FREAK family: an unoffered suite is accepted',
    operator: 't12-suite-not-offered',
    base: 't12-ecdhe-rsa-cbc-mutual',
    rules: ['t12.neg.suite-offered'],
  },
  {
    name: 'POODLE (CVE-2014-3566) precondition: SSL 3.0 offered',
    operator: 't12-ch-offers-ssl3',
    base: 't12-ecdhe-ecdsa-gcm',
    rules: ['ver.no-ssl3'],
  },
  {
    name: 'POODLE-TLS / Lucky13 class (CVE-2014-8730): CBC padding bytes not all equal to the padding length',
    operator: 't12-cbc-bad-padding',
    base: 't12-ecdhe-rsa-cbc-mutual',
    rules: ['rec.t12.cbc-padding'],
  },
  {
    name: 'Renegotiation attack (CVE-2009-3555): the server does not answer renegotiation_info',
    operator: 'ext-reneg-info-missing',
    base: 't12-rsa-kex',
    rules: ['ext.reneg.initial'],
  },
  {
    name: 'Logjam (CVE-2015-4000) class: a DHE group far below 2048 bits',
    operator: 't12-dhe-weak-prime',
    base: 't12-ecdhe-rsa-cbc-mutual',
    rules: ['dh.group-strength'],
  },
  {
    name: 'DH small subgroup (CVE-2016-0701 class): a DHE public value of 1',
    operator: 't12-dhe-client-public-one',
    base: 't12-ecdhe-rsa-cbc-mutual',
    rules: ['dh.pubkey-range'],
  },
  {
    name: 'Triple handshake (2014): a resumption without extended master secret of a session that had it',
    operator: 't12-resume-without-ems',
    base: 't12-ecdhe-ecdsa-gcm',
    rules: ['ext.ems.resumption'],
  },
];

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

describe('historical bugs', () => {
  it.each(BUGS.map((b) => [b.name, b] as const))('%s', async (_n, bug) => {
    const r = await runMutant(mutation(bug.operator), pki, choice(bug.base));
    const verdicts = (await checkTranscript(r.transcript, r.check)).verdicts;
    for (const rule of bug.rules) expect([rule, ruleStatus(verdicts, rule)]).toEqual([rule, 'violation']);
  });

  it('the same flows without the bug are clean', async () => {
    for (const base of new Set(BUGS.map((b) => b.base))) {
      const r = await runBase(pki, choice(base));
      const verdicts = (await checkTranscript(r.transcript, r.check)).verdicts;
      for (const rule of BUGS.filter((b) => b.base === base).flatMap((b) => b.rules))
        expect([base, rule, ruleStatus(verdicts, rule)]).not.toEqual([base, rule, 'violation']);
    }
  });
});

/**
 * Triple handshake (Bhargavan et al. 2014): a session resumed without the
 * extended master secret. The operator row above resumes for real in the
 * engine; here the abbreviated handshake is built from one full handshake
 * (its ClientHello with the ServerHello's session ID, the ServerHello, then
 * CCS + Finished each way), so the same pair can be checked with and
 * without EMS.
 */
function sessionOf(t: Transcript): { original: Transcript; sid: Uint8Array } {
  const E = entriesOf(t);
  const i = at(E, 'server_hello', S);
  let sid = new Uint8Array(0);
  const raw = editRaw(E[i]!.raw!, { version: 0x0303 }, 'server_hello', (b) => {
    if (!b.sessionId.length) b.sessionId = new Uint8Array(32).fill(0x5a);
    sid = Uint8Array.from(b.sessionId);
  });
  E[i] = { ...E[i]!, raw };
  return { original: rebuild(t, E), sid };
}

function resumption(original: Transcript, sid: Uint8Array, dropEms: boolean): Transcript {
  const O = entriesOf(original);
  const strip = (exts: { type: number }[] | undefined) =>
    dropEms ? (exts ?? []).filter((e) => e.type !== X.extended_master_secret) : exts;
  const ch = { ...O[at(O, 'client_hello', C)]! };
  ch.raw = editRaw(ch.raw!, { version: 0x0303 }, 'client_hello', (b) => {
    b.sessionId = sid;
    b.extensions = strip(b.extensions) as typeof b.extensions;
  });
  const sh = { ...O[at(O, 'server_hello', S)]! };
  sh.raw = editRaw(sh.raw!, { version: 0x0303 }, 'server_hello', (b) => {
    b.extensions = strip(b.extensions) as typeof b.extensions;
  });
  const ccs = (dir: Entry['dir']): Entry => ({
    dir,
    kind: 'change_cipher_spec',
    type: 'change_cipher_spec',
    raw: Uint8Array.of(1),
    encrypted: false,
  });
  const R: Entry[] = [ch, sh, ccs(S), { ...O[at(O, 'finished', S)]! }, ccs(C), { ...O[at(O, 'finished', C)]! }];
  const { secrets: _keys, ...noKeys } = original;
  return rebuild({ ...noKeys, provenance: { kind: 'manual', file: 'historical:triple-handshake' } }, R);
}

describe('triple handshake: resumption without extended master secret', () => {
  it('a session that used EMS resumed without it is reported (ext.ems.resumption); resumed with it, it passes', async () => {
    const r = await runBase(pki, choice('t12-ecdhe-rsa-cbc-mutual', 3));
    const { original, sid } = sessionOf(r.transcript);
    const bad = (await checkTranscript(resumption(original, sid, true), { earlier: [original] })).verdicts;
    expect(ruleStatus(bad, 'ext.ems.resumption')).toBe('violation');
    expect(ruleStatus(bad, 't12.order.abbreviated-flow')).toBe('pass');
    const good = (await checkTranscript(resumption(original, sid, false), { earlier: [original] })).verdicts;
    expect(ruleStatus(good, 'ext.ems.resumption')).toBe('pass');
    expect(good.filter((v) => v.status === 'violation' && v.rule.startsWith('t12.order')).map((v) => v.rule)).toEqual([]);
  });
});
