import { liveVerdicts } from './live';
import { alertAllowed, expectedReaction, ruleAlerts, ruleAlertsIn } from './reactions';

const statusOf = (vs: ReturnType<typeof liveVerdicts>, rule: string) => vs.filter((v) => v.rule === rule).map((v) => v.status);

describe('liveVerdicts: a conversation verdict decides the live rules', () => {
  it('TLS 1.2: closing without the alert breaks alert.t12.must-send; the right alert keeps it', () => {
    const silent = liveVerdicts({ verdict: 'no-alert', rules: ['t12.cv.signature-valid'], version: '1.2' });
    expect(statusOf(silent, 'alert.t12.must-send')).toEqual(['violation']);
    expect(statusOf(silent, 'alert.t13.named-alert')).toEqual([]);
    const right = liveVerdicts({
      verdict: 'conforming',
      alert: 'decrypt_error',
      rules: ['t12.cv.signature-valid'],
      version: '1.2',
    });
    expect(statusOf(right, 'alert.t12.must-send')).toEqual(['pass']);
    const wrong = liveVerdicts({
      verdict: 'wrong-alert',
      alert: 'handshake_failure',
      rules: ['t12.cv.signature-valid'],
      version: '1.2',
    });
    expect(statusOf(wrong, 'alert.t12.must-send')).toEqual(['violation']);
    expect(wrong.find((v) => v.rule === 'alert.t12.must-send')!.detail).toMatch(/handshake_failure; the RFC names decrypt_error/);
  });
  it('t12.rsa.no-oracle (notBefore finished): decrypt_error after our Finished keeps it, the same alert before breaks it', () => {
    const rules = ['t12.ks.pms-rsa', 't12.rsa.no-oracle'] as const;
    const after = liveVerdicts({ verdict: 'conforming', alert: 'decrypt_error', rules: [...rules], version: '1.2' });
    expect(statusOf(after, 't12.rsa.no-oracle')).toEqual(['pass']);
    const before = liveVerdicts({
      verdict: 'wrong-alert',
      alert: 'decrypt_error',
      rules: [...rules],
      version: '1.2',
      beforeFinished: true,
    });
    expect(statusOf(before, 't12.rsa.no-oracle')).toEqual(['violation']);
    expect(before.find((v) => v.rule === 't12.rsa.no-oracle')!.detail).toMatch(/before our Finished/);
  });
  it('TLS 1.3: silence is allowed, a wrong alert breaks alert.t13.named-alert', () => {
    const silent = liveVerdicts({ verdict: 'conforming', rules: ['t13.fin.verify-data'], version: '1.3' });
    expect(statusOf(silent, 'alert.t13.named-alert')).toEqual(['pass']);
    const wrong = liveVerdicts({ verdict: 'wrong-alert', alert: 'decode_error', rules: ['t13.fin.verify-data'], version: '1.3' });
    expect(statusOf(wrong, 'alert.t13.named-alert')).toEqual(['violation']);
  });
  it('a rule that names illegal_parameter brings in alert.illegal-parameter; a certificate fault cert.reject-alert', () => {
    const ip = liveVerdicts({
      verdict: 'conforming',
      alert: 'illegal_parameter',
      rules: ['t13.neg.session-id-echo'],
      version: '1.3',
    });
    expect(statusOf(ip, 'alert.illegal-parameter')).toEqual(['pass']);
    expect(statusOf(ip, 'cert.reject-alert')).toEqual([]);
    const cert = liveVerdicts({ verdict: 'wrong-alert', alert: 'decode_error', rules: ['cert.path.signature'], version: '1.2' });
    expect(statusOf(cert, 'cert.reject-alert')).toEqual(['violation']);
    const ok = liveVerdicts({ verdict: 'conforming', alert: 'unknown_ca', rules: ['cert.path.trust-anchor'], version: '1.3' });
    expect(statusOf(ok, 'cert.reject-alert')).toEqual(['pass']);
  });
  it('declared live rules: accepting what must be rejected, rejecting what must be accepted, either way where the RFC allows both', () => {
    expect(
      statusOf(
        liveVerdicts({ verdict: 'accepted-invalid', rules: ['ver.downgrade-sentinel-check'], version: '1.2' }),
        'ver.downgrade-sentinel-check',
      ),
    ).toEqual(['violation']);
    // the general alert rules do not judge a peer that went on: the rule it did not enforce does
    expect(
      statusOf(
        liveVerdicts({ verdict: 'accepted-invalid', rules: ['ver.downgrade-sentinel-check'], version: '1.2' }),
        'alert.t12.must-send',
      ),
    ).toEqual([]);
    expect(
      statusOf(
        liveVerdicts({ verdict: 'wrong-alert', alert: 'decode_error', rules: ['ext.ignore-unknown'], version: '1.3' }),
        'ext.ignore-unknown',
      ),
    ).toEqual(['violation']);
    expect(
      statusOf(liveVerdicts({ verdict: 'conforming', rules: ['ext.ignore-unknown'], version: '1.3' }), 'ext.ignore-unknown'),
    ).toEqual(['pass']);
    const either = (verdict: 'conforming' | 'wrong-alert', alert?: 'certificate_required' | 'bad_certificate') =>
      statusOf(
        liveVerdicts({ verdict, rules: ['cert.chain.client-empty'], version: '1.3', ...(alert ? { alert } : {}) }),
        'cert.chain.client-empty',
      );
    expect(either('conforming')).toEqual(['pass']);
    expect(either('conforming', 'certificate_required')).toEqual(['pass']);
    expect(either('wrong-alert', 'bad_certificate')).toEqual(['violation']);
  });
  it('a conversation that hung decides nothing for sure; one our side aborted first decides nothing', () => {
    expect(
      statusOf(liveVerdicts({ verdict: 'hung', rules: ['t12.cv.signature-valid'], version: '1.2' }), 'alert.t12.must-send'),
    ).toEqual(['inconclusive']);
    expect(liveVerdicts({ verdict: 'flagged', rules: ['t12.cv.signature-valid'], version: '1.2' })).toEqual([]);
    expect(liveVerdicts({ verdict: 'conforming', rules: [], version: '1.2' })).toEqual([]);
  });
});
describe('reactions: what a conforming receiver does, from the declarations', () => {
  it('alerts strictest first, each with an RFC sentence; alternatives where the alert definitions allow them', () => {
    expect(ruleAlerts('cert.type-x509v3').map((a) => a.alert)).toEqual([
      'unsupported_certificate',
      'bad_certificate',
      'decode_error',
    ]);
    expect(ruleAlerts('cert.path.signature').map((a) => a.alert)).toEqual([
      'bad_certificate',
      'decrypt_error',
      'certificate_unknown',
    ]);
    for (const a of ruleAlerts('cert.path.signature')) expect(a.rfc).toMatch(/^RFC \d+ §/);
  });
  it('version-specific alternatives apply only in their version', () => {
    expect(ruleAlertsIn('cert.chain.client-empty', '1.2').map((a) => a.alert)).toEqual(['handshake_failure']);
    expect(ruleAlertsIn('cert.chain.client-empty', '1.3').map((a) => a.alert)).toEqual(['certificate_required']);
    expect(ruleAlertsIn('dh.pubkey-range', '1.2')[0]!.alert).toBe('handshake_failure');
    expect(ruleAlertsIn('dh.pubkey-range', '1.3')[0]!.alert).toBe('illegal_parameter');
  });
  it('silence: TLS 1.2 MUST send, TLS 1.3 SHOULD; ignoring is conforming only where every broken rule allows it', () => {
    expect(expectedReaction(['t12.neg.compression'], '1.2')).toMatchObject({
      silenceAllowed: false,
      alertStrength: 'MUST',
      ignoreAllowed: false,
    });
    expect(expectedReaction(['t13.neg.compression'], '1.3')).toMatchObject({ silenceAllowed: true, alertStrength: 'SHOULD' });
    expect(expectedReaction(['rec.record-version'], '1.3')).toMatchObject({ ignoreAllowed: true });
    expect(expectedReaction(['rec.record-version', 't13.neg.compression'], '1.3').ignoreAllowed).toBe(false);
    expect(alertAllowed('illegal_parameter', ['t13.neg.compression'], '1.3')).toBe(true);
    expect(alertAllowed('decode_error', ['t13.neg.compression'], '1.3')).toBe(false);
  });
});
