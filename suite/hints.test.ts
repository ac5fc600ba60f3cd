/**
 * The hints a run prints and writes into the reports (suite/run.ts withHints): each names what to pass or try.
 */
import type { LiveConversation, TargetInfo } from '../reports/model';
import { withHints } from './run';

const server = (over: Partial<TargetInfo> = {}): TargetInfo => ({
  name: 'my server',
  role: 'server',
  probed: { versions: ['1.3', '1.2'], suites: ['TLS_AES_128_GCM_SHA256'], certificateRequested: false },
  sanity: { first: true, last: true },
  ...over,
});

const conv = (verdict: LiveConversation['verdict'], detail: string): LiveConversation => ({
  target: '127.0.0.1:4433',
  role: 'server',
  name: 't12-cv-sig-truncated',
  verdict,
  detail,
  ladder: [],
});

describe('withHints', () => {
  it('a run that went well gets none', () => {
    expect(withHints(server(), [conv('conforming', '')], {}).hints).toBeUndefined();
  });

  it('a server that asked for a client certificate and refused ours: pass --cert/--key', () => {
    const t = server({
      probed: { versions: ['1.2'], suites: [], certificateRequested: true },
      sanity: { first: false, last: false },
    });
    const hints = withHints(t, [], {}).hints ?? [];
    expect(hints.some((h) => /asked for a client certificate.*pass --cert and --key/.test(h))).toBe(true);
    // no probe handshake completed at all: the second hint names the usual causes
    expect(hints.some((h) => /no probe handshake completed.*--servername/.test(h))).toBe(true);
  });

  it('a TLS 1.3 server that completed our side of the handshake and then refused the test certificate: the same hint', () => {
    const t = server({ probed: { versions: ['1.3'], suites: ['TLS_AES_128_GCM_SHA256'], certificateRequested: true } });
    const refused = { ...conv('wrong-alert', 'rejected with certificate_required'), alert: 'certificate_required' };
    expect(withHints(t, [refused], {}).hints).toEqual([expect.stringMatching(/pass --cert and --key/)]);
    // a certificate alert that was due (an empty client Certificate answered with certificate_required) is no refusal
    const due = {
      ...conv('conforming', 'rejected with certificate_required'),
      alert: 'certificate_required',
      expectedAlerts: ['certificate_required'],
    };
    expect(withHints(t, [due], {}).hints).toBeUndefined();
    // with our own --cert the server's refusal is a finding, not a hint
    expect(
      withHints(t, [refused], { identity: { chain: [], pkcs8: new Uint8Array(), spki: new Uint8Array() } }).hints,
    ).toBeUndefined();
  });

  it('a server that never answered application data after the handshake: try --timeout', () => {
    const hints =
      withHints(server(), [conv('hung', 'no rejection within 3000 ms (connected)'), conv('conforming', '')], {}).hints ?? [];
    expect(hints).toHaveLength(1);
    expect(hints[0]).toMatch(/did not answer application data .* in 1 conversation\(s\).*try --timeout MS/);
  });

  it('a client that did not complete a valid handshake with our server: trust the test root', () => {
    const t: TargetInfo = { name: 'my client', role: 'client', sanity: { first: false, last: false } };
    expect(withHints(t, [], {}).hints).toEqual([expect.stringMatching(/--write-ca FILE/)]);
  });
});
