import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  const before: { rules: Array<{ id: string; implemented: boolean }> } = JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'rules', 'rules-main-before-13.json'), 'utf8'),
  );

  it('lists the rule ids listed before the declarations became the source of truth, the 14 live ones now implemented', async () => {
    const io = capture();
    expect(await main(['rules', '--json'], io)).toBe(0);
    const now: { rules: Listed[]; stats: { total: number; missing: number; byEvidence: Record<string, { total: number }> } } =
      JSON.parse(io.stdout.join('\n'));
    // issue #18 declared rules the checklist lacks: the TLS 1.2 PSK key exchanges, record_size_limit (RFC 8449), the
    // post-handshake authentication Finished
    const added = [
      't12.ks.pms-psk',
      't12.psk.identity-utf8',
      't12.psk.no-certificate-request',
      'ext.rsl.value',
      'ext.rsl.not-with-mfl',
      'rec.rsl-enforced',
      't13.pha.finished',
    ];
    expect(now.rules.map((r) => r.id).sort()).toEqual([...before.rules.map((r) => r.id), ...added].sort());
    const was = new Set(before.rules.filter((r) => r.implemented).map((r) => r.id));
    const newly = now.rules.filter((r) => r.implemented && !was.has(r.id) && !added.includes(r.id));
    // the renegotiation rules (issue #18), decided with keys: the renegotiation is protected under the first handshake's
    const renegotiation = ['ext.reneg.legacy', 'ext.reneg.secure', 'ver.t13.no-13-in-renegotiation'];
    expect(newly.filter((r) => renegotiation.includes(r.id)).every((r) => r.evidence === 'keys')).toBe(true);
    expect(
      newly
        .map((r) => r.id)
        .filter((id) => !renegotiation.includes(id))
        .sort(),
    ).toEqual([
      'alert.illegal-parameter',
      'alert.t12.must-send',
      'alert.t13.named-alert',
      'cert.chain.client-empty',
      'cert.reject-alert',
      'ext.ffdhe.client-check',
      'ext.ignore-unknown',
      'ext.sni.unrecognized',
      'rec.deprotect-failure',
      'rec.hs-fragmentation',
      't12.rsa.no-oracle',
      't13.neg.no-common-parameters',
      'ver.client-accepts-version',
      'ver.downgrade-sentinel-check',
    ]);
    expect(newly.filter((r) => !renegotiation.includes(r.id)).every((r) => r.evidence === 'live')).toBe(true);
    // nothing implemented before went missing
    expect(now.rules.filter((r) => was.has(r.id) && !r.implemented)).toEqual([]);
    expect(now.stats).toMatchObject({ total: 220, missing: 7 });
    expect(now.stats.byEvidence['live']).toMatchObject({ total: 14, missing: 0 });
  });

  it('--missing lists each checklist id without a declaration, with its reason', async () => {
    const io = capture();
    expect(await main(['rules', '--missing'], io)).toBe(0);
    const lines = io.stdout.slice(0, -1);
    expect(lines).toHaveLength(7);
    for (const l of lines) expect(l).toMatch(/ missing: .{10,}/);
    expect(io.stdout.at(-1)).toMatch(/^7 of 220 catalogue rules missing; .* live: 0\/14 missing/);
  });
});
