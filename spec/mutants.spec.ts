/**
 * Every mutation operator, over generated base handshakes (engine
 * configurations; fast-check picks the base, suite, group, compat mode and
 * randoms), trips every rule it declares; the unmutated bases are clean;
 * every implemented transcript rule is tripped by an operator or by a named
 * hand-made row; a mutation score table is printed at the end.
 */
import fc from 'fast-check';
import { type TestPki, testPki } from '../engine/fixtures';
import { BASE_GROUPS, BASE_NAMES, OPERATORS, baseChoiceArb, runBase, runMutant } from '../generators/mutations';
import { allRules } from '../oracles/catalogue';
import { checkTranscript, ruleStatus } from '../oracles/engine';
import type { Verdict } from '../oracles/rule';
import { recordFragment, runDir } from '../reports/collect';

const RUNS = Math.max(1, Number(process.env['TLSPROP_RUNS'] ?? 2));


/** Implemented transcript rules no operator declares, with the hand-made row (spec file, rule, base capture) that trips them. */
const HAND_MADE_ONLY: Readonly<Record<string, string>> = {
  'rec.content-type-known': 'rule-violations row rec.content-type-known (t12)',
  'rec.plaintext-max-len': 'rule-violations row rec.plaintext-max-len (t12)',
  'rec.ciphertext-max-len': 'rule-violations row rec.ciphertext-max-len (t12)',
  'rec.no-empty-fragments': 'rule-violations row rec.no-empty-fragments (t12)',
  'rec.t13.hs-no-interleave': 'rule-violations row rec.t13.hs-no-interleave (t13)',
  'rec.t13.hs-key-change-boundary': 'rule-violations row rec.t13.hs-key-change-boundary (t13)',
  'rec.alert-format': 'rule-violations row rec.alert-format (t12)',
  'rec.record-version': 'rule-violations row rec.record-version (t12)',
  'rec.t13.outer-header': 'rule-violations row rec.t13.outer-header (t13)',
  'rec.t12.ccs-format': 'rule-violations row rec.t12.ccs-format (t12)',
  'rec.no-early-appdata': 'rule-violations row rec.no-early-appdata (t12)',
  'rec.mfl-enforced': 'rule-violations row rec.mfl-enforced (t12)',
  'rec.hs-length-consistent': 'rule-violations row rec.hs-length-consistent (t12)',
  'alert.fatal-closes': 'rule-violations row alert.fatal-closes (t12)',
  'alert.reserved-never-sent': 'rule-violations row alert.reserved-never-sent (t12)',
  't12.order.client-hello-first': 'rule-violations row t12.order.client-hello-first (t12)',
  't12.order.server-hello-reply': 'rule-violations row t12.order.server-hello-reply (t12)',
  't12.order.cert-status-position': 'rule-violations row t12.order.cert-status-position (t12)',
  't12.order.ske-forbidden': 'rule-violations row t12.order.ske-forbidden (t12)',
  't12.order.cr-not-anonymous': 'rule-violations row t12.order.cr-not-anonymous (t12)',
  't12.order.full-server-final-flight': 'rule-violations row t12.order.full-server-final-flight (t12)',
  't12.order.abbreviated-flow': 'rule-violations row t12.order.abbreviated-flow (g12)',
  't12.order.nst-iff-ticket-ext': 'rule-violations row t12.order.nst-iff-ticket-ext (t12)',
  't12.order.no-appdata-before-finished': 'rule-violations row t12.order.no-appdata-before-finished (t12)',
  't13.order.state-machine': 'rule-violations row t13.order.state-machine (t13)',
  't13.order.client-hello-first': 'rule-violations row t13.order.client-hello-first (t13)',
  't13.order.server-first': 'rule-violations row t13.order.server-first (t13)',
  't13.order.compat-ccs': 'rule-violations row t13.order.compat-ccs (t13)',
  't13.order.cr-after-ee': 'rule-violations row t13.order.cr-after-ee (t13)',
  't13.order.no-cr-in-psk': 'rule-violations row t13.order.no-cr-in-psk (t13)',
  't13.order.no-server-cert-in-psk': 'rule-violations row t13.order.no-server-cert-in-psk (t13)',
  't13.order.eoed': 'rule-violations row t13.order.eoed (t13)',
  't13.order.server-flight': 'rule-violations row t13.order.server-flight (t13)',
  't13.order.client-flight': 'rule-violations row t13.order.client-flight (t13)',
  't13.order.no-renegotiation': 'rule-violations row t13.order.no-renegotiation (t13)',
  't13.order.early-data-window': 'rule-violations row t13.order.early-data-window (t13)',
  't12.neg.compression': 'rule-violations row t12.neg.compression (t12)',
  't13.neg.compression': 'rule-violations row t13.neg.compression (t13)',
  't12.neg.suite-fits-version': 'rule-violations row t12.neg.suite-fits-version (t12)',
  't12.neg.resume-detection': 'rule-violations row t12.neg.resume-detection (g12)',
  't13.neg.session-id-client': 'rule-violations row t13.neg.session-id-client (t13)',
  't13.neg.sh-extensions': 'rule-violations row t13.neg.sh-extensions (t13)',
  't13.neg.extension-placement': 'rule-violations row t13.neg.extension-placement (t13)',
  't13.neg.psk-ext-last': 'rule-violations row t13.neg.psk-ext-last (t13)',
  't13.neg.mandatory-extensions': 'rule-violations row t13.neg.mandatory-extensions (t13)',
  't13.neg.sigalgs-for-cert-auth': 'rule-violations row t13.neg.sigalgs-for-cert-auth (t13)',
  't13.neg.keyshare-client': 'rule-violations row t13.neg.keyshare-client (t13)',
  't13.neg.hrr-sh-consistency': 'rule-violations row t13.neg.hrr-sh-consistency (t13)',
  't13.neg.psk-modes': 'rule-violations row t13.neg.psk-modes (t13)',
  't13.neg.psk-selected-identity': 'rule-violations row t13.neg.psk-selected-identity (t13)',
  't13.neg.early-data': 'rule-violations row t13.neg.early-data (t13)',
  't13.neg.post-handshake-auth-ext': 'rule-violations row t13.neg.post-handshake-auth-ext (t13)',
  'ver.t12.server-version': 'rule-violations row ver.t12.server-version (t12)',
  'ver.no-ssl3': 'rule-violations row ver.no-ssl3 (t12)',
  'ver.fallback-scsv': 'rule-violations row ver.fallback-scsv (t12)',
  'ver.t13.supported-versions-client': 'rule-violations row ver.t13.supported-versions-client (t13)',
  'ver.t13.server-selection': 'rule-violations row ver.t13.server-selection (t13)',
  'ver.t13.sh-supported-versions': 'rule-violations row ver.t13.sh-supported-versions (t12)',
  'ver.t13.client-check': 'rule-violations row ver.t13.client-check (t13)',
  'ext.no-duplicates': 'rule-violations row ext.no-duplicates (t12)',
  'ext.block-well-formed': 'rule-violations row ext.block-well-formed (t12)',
  'ext.grease-not-selected': 'rule-violations row ext.grease-not-selected (t12)',
  'ext.alpn.format': 'rule-violations row ext.alpn.format (t12)',
  'ext.alpn.selected-offered': 'rule-violations row ext.alpn.selected-offered (t12)',
  'ext.ems.negotiation': 'rule-violations row ext.ems.negotiation (t12)',
  'ext.reneg.initial': 'rule-violations row ext.reneg.initial (t12)',
  'ext.ecc.named-curve-only': 'rule-violations row ext.ecc.named-curve-only (t12)',
  'ext.ecc.point-formats': 'rule-violations row ext.ecc.point-formats (t12)',
  'ext.ecc.no-ecc-ext-without-ecc': 'rule-violations row ext.ecc.no-ecc-ext-without-ecc (t12)',
  'ext.status-request': 'rule-violations row ext.status-request (t12)',
  'ext.sni.format': 'rule-violations row ext.sni.format (t12)',
  'ext.sni.server-ack': 'rule-violations row ext.sni.server-ack (t12)',
  'ext.mfl.values': 'rule-violations row ext.mfl.values (t12)',
  't12.neg.ticket': 'rule-violations row t12.neg.ticket (t12)',
  't12.neg.sigalgs-extension': 'rule-violations row t12.neg.sigalgs-extension (t12)',
  't12.neg.cr-fields': 'rule-violations row t12.neg.cr-fields (t12)',
  't13.neg.cert-request-context': 'rule-violations row t13.neg.cert-request-context (t13)',
  't13.neg.cr-sigalgs': 'rule-violations row t13.neg.cr-sigalgs (t13)',
  't13.neg.nst-fields': 'rule-violations row t13.neg.nst-fields (t13)',
  't13.neg.keyupdate-values': 'rule-violations row t13.neg.keyupdate-values (t13)',
  'alert.t13.error-level': 'rule-violations row alert.t13.error-level (t13)',
  't12.neg.resume-consistency': 'rule-violations row t12.neg.resume-consistency (g12)',
  'ext.ems.resumption': 'rule-violations row ext.ems.resumption (g12)',
  'ext.sni.resumption': 'rule-violations row ext.sni.resumption (g12)',
  'alert.t12.no-resume-after-fatal': 'rule-violations row alert.t12.no-resume-after-fatal (g12)',
  't12.ske.anon-unsigned': 'crypto-cert row t12.ske.anon-unsigned (t12)',
  'sig.rsa-pkcs1-strict': 'crypto-cert row sig.rsa-pkcs1-strict (t12)',
  'sig.eddsa-usage': 'crypto-cert row sig.eddsa-usage (t12)',
  't12.fin.transcript-scope': 'crypto-cert row t12.fin.transcript-scope (t12)',
  't12.ks.prf': 'crypto-cert row t12.ks.prf (t12)',
  't12.ks.master-secret': 'crypto-cert row t12.ks.master-secret (t12)',
  't12.ks.ems': 'crypto-cert row t12.ks.ems (t12)',
  't12.ks.pms-ecdh': 'crypto-cert row t12.ks.pms-ecdh (t12)',
  't12.ks.pms-dh': 'crypto-cert row t12.ks.pms-dh (t12)',
  't12.ks.pms-rsa': 'crypto-cert row t12.ks.pms-rsa (t12)',
  't12.rsa.cke-encoding': 'crypto-cert row t12.rsa.cke-encoding (t12)',
  't13.fin.transcript-scope': 'crypto-cert row t13.fin.transcript-scope (t13)',
  't13.ks.transcript-hash': 'crypto-cert row t13.ks.transcript-hash (t13)',
  't13.ks.hkdf-expand-label': 'crypto-cert row t13.ks.hkdf-expand-label (t13)',
  't13.ks.hrr-message-hash': 'crypto-cert row t13.ks.hrr-message-hash (t13)',
  't13.ks.schedule': 'crypto-cert row t13.ks.schedule (t13)',
  't13.ks.secrets': 'crypto-cert row t13.ks.secrets (t13)',
  'ecdh.symmetry': 'crypto-cert row ecdh.symmetry (t12)',
  'ecdh.shared-secret-encoding': 'crypto-cert row ecdh.shared-secret-encoding (t12)',
  'ecdh.same-group': 'crypto-cert row ecdh.same-group (t13)',
  'ecdh.independent-shares': 'crypto-cert row ecdh.independent-shares (t13)',
  'dh.pubkey-range': 'crypto-cert row dh.pubkey-range (t13)',
  'dh.group-strength': 'crypto-cert row dh.group-strength (t12)',
  'dh.share-encoding': 'crypto-cert row dh.share-encoding (t13)',
  't13.psk.obfuscated-age': 'crypto-cert row t13.psk.obfuscated-age (t13)',
  't13.psk.binder': 'crypto-cert row t13.psk.binder (t13)',
  't13.ks.resumption-psk': 'crypto-cert row t13.ks.resumption-psk (t13)',
  't12.ks.key-block': 'crypto-cert row t12.ks.key-block (t12)',
  't13.ks.traffic-keys': 'crypto-cert row t13.ks.traffic-keys (t13)',
  't13.ks.key-update': 'crypto-cert row t13.ks.key-update (t13)',
  'cert.path.critical-extensions': 'crypto-cert row cert.path.critical-extensions (t12)',
  'cert.sig-alg-fields-match': 'crypto-cert row cert.sig-alg-fields-match (t12)',
  'cert.weak-hash': 'crypto-cert row cert.weak-hash (t12)',
  'cert.leaf.key-usage': 'crypto-cert row cert.leaf.key-usage (t12)',
  'cert.type-x509v3': 'crypto-cert row cert.type-x509v3 (t12)',
  'cert.chain.server-nonempty': 'crypto-cert row cert.chain.server-nonempty (t12)',
  'cert.chain.leaf-first': 'crypto-cert row cert.chain.leaf-first (t12)',
  'cert.sigalgs.server-chain': 'crypto-cert row cert.sigalgs.server-chain (t12)',
  'cert.sigalgs.client-chain': 'crypto-cert row cert.sigalgs.client-chain (t12)',
  'cert.client.cert-types': 'crypto-cert row cert.client.cert-types (t12)',
  'cert.t13.entry-extensions': 'crypto-cert row cert.t13.entry-extensions (t13)',
  'cert.server-selection': 'crypto-cert row cert.server-selection (t12)',
  'cert.t13.oid-filters': 'crypto-cert row cert.t13.oid-filters (t13)',
  'cert.path.name-constraints': 'crypto-cert row cert.path.name-constraints (t12)',
};


const violated = (vs: readonly Verdict[]): string[] => [...new Set(vs.filter((v) => v.status === 'violation').map((v) => v.rule))].sort();

interface Score {
  runs: number;
  caught: number;
  caughtOtherwise: number;
  missed: number;
  also: Set<string>;
}

describe('mutation operators', () => {
  let pki: TestPki;
  const scores = new Map<string, Score>();
  const mutants: { operator: string; declaredRules: string[]; seed: number; path: string; trippedRules: string[] }[] = [];
  beforeAll(async () => {
    pki = await testPki();
  });
  afterAll(() => {
    if (mutants.length) recordFragment(runDir(), { mutants });
    const rows = OPERATORS.map((op) => {
      const s = scores.get(op.name);
      const tripped = !s ? 'not run' : s.missed ? 'NO' : s.caught ? 'yes' : s.caughtOtherwise ? 'otherwise' : 'n/a';
      return [op.name, op.declares.join(',') || '(none)', tripped, s ? [...s.also].sort().join(',') : ''] as const;
    });
    const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 8));
    const total = { caught: 0, otherwise: 0, missed: 0 };
    for (const s of scores.values()) {
      total.caught += s.caught;
      total.otherwise += s.caughtOtherwise;
      total.missed += s.missed;
    }
    const lines = ['', 'mutation score (operator | declared rules | tripped | also tripped)', ...rows.map((r) => `${r[0].padEnd(w[0]!)} | ${r[1].padEnd(w[1]!)} | ${r[2].padEnd(w[2]!)} | ${r[3]}`)];
    lines.push(`mutants: ${total.caught} caught with a declared rule, ${total.otherwise} caught otherwise, ${total.missed} missed (${OPERATORS.length} operators)`, '');
    process.stdout.write(`${lines.join('\n')}\n`);
  });

  it('the catalogue has at least 40 operators, unique names, declared rules that exist', () => {
    const ids = new Set(allRules.map((r) => r.id));
    expect(OPERATORS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(OPERATORS.map((o) => o.name)).size).toBe(OPERATORS.length);
    expect(OPERATORS.flatMap((o) => [...o.declares, ...(o.undecidable ?? []), ...(o.oracleGaps ?? [])]).filter((r) => !ids.has(r))).toEqual([]);
  });

  it.each(BASE_NAMES.map((b) => [b]))('the unmutated base %s connects and shows no violation', async (base) => {
    const r = await runBase(pki, { base, suiteIndex: 0, group: BASE_GROUPS[0]!, compat: true, clientRandom: new Uint8Array(32).fill(7), serverRandom: new Uint8Array(32).fill(9), seed: 0 });
    expect([r.run.clientOutcome.kind, r.run.serverOutcome.kind]).toEqual(['connected', 'connected']);
    expect(violated((await checkTranscript(r.transcript, r.check)).verdicts)).toEqual([]);
  });

  it.each(OPERATORS.map((o) => [o.name, o] as const))('%s trips every rule it declares', async (name, op) => {
    const score: Score = { runs: 0, caught: 0, caughtOtherwise: 0, missed: 0, also: new Set() };
    scores.set(name, score);
    await fc.assert(
      fc.asyncProperty(baseChoiceArb(op), async (choice) => {
        const r = await runMutant(op, pki, choice);
        const verdicts = (await checkTranscript(r.transcript, r.check)).verdicts;
        const tripped = violated(verdicts);
        score.runs++;
        const missing = op.declares.filter((d) => !tripped.includes(d));
        if (op.declares.length && !missing.length) score.caught++;
        else if (tripped.length) score.caughtOtherwise++;
        else if (op.declares.length) score.missed++;
        for (const t of tripped) if (!op.declares.includes(t)) score.also.add(t);
        if (op.declares.length) mutants.push({ operator: name, declaredRules: [...op.declares], seed: choice.seed, path: `${choice.base}/${name}`, trippedRules: tripped });
        expect({ base: choice.base, missing }).toEqual({ base: choice.base, missing: [] });
        for (const u of op.undecidable ?? []) expect([u, ruleStatus(verdicts, u)]).toEqual([u, 'inconclusive']);
      }),
      { numRuns: RUNS },
    );
  });

  it('every implemented transcript rule is tripped by an operator or by a named hand-made row', () => {
    const byOps = new Set(OPERATORS.flatMap((o) => o.declares));
    const implemented = allRules.filter((r) => r.evidence !== 'live').map((r) => r.id);
    expect(implemented.filter((id) => !byOps.has(id) && !HAND_MADE_ONLY[id])).toEqual([]);
    // the allow-list stays tight: no entry an operator already covers, none for a rule that is gone
    expect(Object.keys(HAND_MADE_ONLY).filter((id) => byOps.has(id) || !implemented.includes(id))).toEqual([]);
  });
});
