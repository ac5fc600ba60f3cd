/** Live fuzzing without a network: operator selection, expected alerts, classification, planning. */
import { nodeProvider } from '../crypto';
import type { SocketEnd } from '../engine/socket';
import { testPki } from '../engine/fixtures';
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import { basesFor, OPERATORS } from '../generators/mutations';
import { baseEnv } from '../generators/mutations/support';
import { NamedGroup } from '../wire/registry';
import { allowedAlerts, classifyEnd, type Expectation, firingHooks, LIVE_CLIENT_OPERATORS, liveOperators, needsOf } from './conversation';
import { applicableOperators, planConversations, type TargetProfile } from './fuzz';

const SESSION = { version: 0x0304, cipherSuite: 0x1301, extendedMasterSecret: true, encryptThenMac: false, peerCertificates: [], masterSecret: new Uint8Array(0) };
const connectedDone: SocketEnd = { kind: 'done', outcome: { kind: 'connected', session: SESSION } };
const alertEnd = (d: number): SocketEnd => ({ kind: 'closed', outcome: { kind: 'alert_received', alert: { level: 2, description: d }, state: 'WAIT' } });
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
      const env = baseEnv(pki, { base: basesFor(op)[0]!, suiteIndex: 0, group: op.group ?? NamedGroup.x25519, compat: true, clientRandom: new Uint8Array(32), serverRandom: new Uint8Array(32), seed: 1 });
      const p = await op.apply(env);
      return p.hooks?.client !== undefined && p.server === env.server && p.post === undefined;
    };
    expect(liveOperators().map((o) => o.name)).toEqual(LIVE_CLIENT_OPERATORS);
    for (const n of LIVE_CLIENT_OPERATORS) expect([n, await checkClientSide(n)]).toEqual([n, true]);
    // the check rejects server-side and transcript operators
    for (const n of ['t13-server-finished-wrong', 't12-ske-sig-corrupt', 't12-drop-cke', 't12-suite-not-offered']) expect([n, await checkClientSide(n)]).toEqual([n, false]);
  });

  it('needs: version, client certificate, ECDHE and group', () => {
    const op = (n: string) => OPERATORS.find((o) => o.name === n)!;
    expect(needsOf(op('t12-cke-point-identity'))).toEqual({ version: '1.2', clientCert: false, ecdhe: true, group: NamedGroup.secp256r1 });
    expect(needsOf(op('t13-client-cv-sig-corrupt'))).toEqual({ version: '1.3', clientCert: true, ecdhe: false });
    expect(needsOf(op('t12-client-finished-wrong'))).toEqual({ version: '1.2', clientCert: false, ecdhe: false });
  });

  it('allowed alerts come from the catalogue (all alert names in the text)', () => {
    expect(allowedAlerts(['t13.fin.verify-data'])).toEqual(['decrypt_error']);
    expect(allowedAlerts(['ecdh.point-format'])).toEqual(['illegal_parameter', 'decode_error']);
    expect(allowedAlerts(['t12.cv.signature-input', 't12.cv.signature-valid'])).toEqual(['decrypt_error']);
  });

  it('applicable operators follow the target profile and our identity', () => {
    const p: TargetProfile = { suites: { '1.2': [], '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256] }, certificateRequested: false };
    expect(applicableOperators(p, true).map((o) => o.name)).toEqual(['t13-client-finished-wrong', 't13-keyshare-off-curve', 't13-keyshare-identity', 't13-keyshare-wrong-length', 't13-keyshare-x25519-small-order']);
    const rsaOnly: TargetProfile = { suites: { '1.2': [CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256], '1.3': [] }, certificateRequested: true };
    expect(applicableOperators(rsaOnly, false).map((o) => o.name)).toEqual(['t12-early-client-ccs', 't12-missing-client-ccs', 't12-client-finished-wrong']);
    expect(applicableOperators(rsaOnly, true).map((o) => o.name)).toContain('t12-skip-client-cv');
    expect(applicableOperators(rsaOnly, true, ['t12-missing-client-ccs']).map((o) => o.name)).toEqual(['t12-missing-client-ccs']);
  });
});

describe('classifyEnd', () => {
  it('valid conversations: completed is conforming, anything else is not', () => {
    expect(classifyEnd({ kind: 'complete' }, connectedDone, 'exact').verdict).toBe('conforming');
    expect(classifyEnd({ kind: 'complete' }, alertEnd(40), 'any-abort')).toMatchObject({ verdict: 'wrong-alert', alert: 'handshake_failure' });
    expect(classifyEnd({ kind: 'complete' }, reset, 'any-abort').verdict).toBe('reset');
    expect(classifyEnd({ kind: 'complete' }, { ...hung, outcome: { kind: 'handshaking', state: 'WAIT_SH' } }, 'any-abort').verdict).toBe('hung');
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
  it('is deterministic in the seed: every third is valid, the rest mutants with paths seed:index', async () => {
    const pki = await testPki();
    const profile: TargetProfile = { suites: { '1.2': [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256], '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256, CipherSuite13.TLS_AES_256_GCM_SHA384] }, certificateRequested: true };
    const o = { host: '127.0.0.1', port: 1, seed: 42, count: 9, strictness: 'exact' as const, pki, identity: pki.identity('client', 'rsa') };
    const a = await planConversations(o, profile);
    const b = await planConversations(o, profile);
    const c = await planConversations({ ...o, seed: 43 }, profile);
    const sig = (cs: typeof a) => cs.map((x) => `${x.path} ${x.name} ${x.group}`);
    expect(sig(a)).toEqual(sig(b));
    expect(sig(a)).not.toEqual(sig(c));
    expect(a.map((x) => x.path)).toEqual(Array.from({ length: 9 }, (_, i) => `42:${i}`));
    expect(a.map((x) => x.expect.kind)).toEqual(['complete', 'reject', 'reject', 'complete', 'reject', 'reject', 'complete', 'reject', 'reject']);
    for (const x of a) {
      expect(x.client.provider).toBeDefined();
      if (x.expect.kind === 'reject') {
        expect(x.hooks).toBeDefined();
        expect(x.expect.alerts.length).toBeGreaterThan(0);
      }
    }
    expect(nodeProvider).toBeDefined();
  });
});
