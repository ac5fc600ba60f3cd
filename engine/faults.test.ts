/**
 * Every named fault: with the switch off the engine rejects the bad input
 * with the RFC's alert; with it on the handshake completes (for the sending
 * fault ske-unoffered-scheme: a healthy peer rejects what the faulty one
 * sends). The bad input is built with engine hooks on the other side; the
 * oracles must then report the rules the fault declares.
 */
import { nodeProvider } from '../crypto';
import { encodeRecord } from '../wire/record';
import { AlertDescription, ExtensionType, NamedGroup, SignatureScheme as SS } from '../wire/registry';
import { encodeBody, encodeHandshake, decodeHandshake } from '../wire/handshake';
import { allRules } from '../oracles/catalogue';
import { checkTranscript } from '../oracles/evaluate';
import {
  cv12,
  cv13,
  editRaw,
  flipLast,
  getExt,
  onceOn,
  randomOfHello,
  resignSke,
  schemeOfCv,
} from '../generators/mutations/support';
import type { ClientConfig, ServerConfig } from './config';
import { engineFault, faultRules } from '../generators/mutations';
import { type Fault, FAULT_IDS, FAULTS, FaultConfigError, FaultCrash, parseFaults } from './faults';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks, HookRecord } from './hooks';
import { sendHello } from './renegotiation-hooks';
import { type MemoryRun, runInMemory } from './memory';
import { TlsClient } from './client';
import { TlsServer } from './server';
import { CipherSuite12 as CS12, CipherSuite13 as CS13 } from './suites';
import type { Outcome } from './types';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

type V = '1.2' | '1.3';
const VERSIONS: readonly V[] = ['1.2', '1.3'];
const code = (v: V) => (v === '1.2' ? 0x0303 : 0x0304);

function client(v: V, extra: Partial<ClientConfig> = {}): ClientConfig {
  return {
    provider: p,
    versions: [code(v)],
    cipherSuites: v === '1.2' ? [CS12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] : [CS13.TLS_AES_128_GCM_SHA256],
    groups: [NamedGroup.secp256r1],
    serverName: SERVER_NAME,
    trustAnchors: pki.anchors,
    ...extra,
  };
}
function server(v: V, extra: Partial<ServerConfig> = {}): ServerConfig {
  return { provider: p, versions: [code(v)], identity: pki.identity('server', 'rsa'), groups: [NamedGroup.secp256r1], ...extra };
}
/** Client authentication with an RSA client certificate, validated by the server. */
const mutual = (v: V, c: Partial<ClientConfig> = {}, s: Partial<ServerConfig> = {}) => ({
  c: client(v, { identity: pki.identity('client', 'rsa'), ...c }),
  s: server(v, { clientAuth: 'require', trustAnchors: pki.anchors, ...s }),
});

const alertOf = (o: Outcome): number | undefined => (o.kind === 'alert_sent' ? o.alert.description : undefined);
const violated = async (run: MemoryRun, at?: Date, clientAuthRequired = false): Promise<string[]> => [
  ...new Set(
    (
      await checkTranscript(run.transcript, {
        trustAnchors: pki.anchors,
        privateKeys: [pki.identity('server', 'rsa').pkcs8],
        ...(at ? { at } : {}),
        // a server configured to require client authentication cannot have gone on with an unacceptable client chain
        // considering the client unauthenticated (RFC 5246 §7.4.6, RFC 8446 §4.4.2.4): the oracles are told so
        ...(clientAuthRequired ? { clientAuthRequired } : {}),
      })
    ).verdicts
      .filter((x) => x.status === 'violation')
      .map((x) => x.rule),
  ),
];

interface Case {
  fault: Fault;
  version: V;
  /** The endpoint the fault is switched on in. */
  side: 'client' | 'server';
  c: ClientConfig;
  s: ServerConfig;
  /** Hooks of the other side that build the bad input (fresh per run: they keep state). */
  hooks: () => { client?: EngineHooks; server?: EngineHooks };
}

/** Off: the faulty side (healthy now) sends the fault's alert. On: both sides connect, and the oracles name one of the fault's rules. */
async function offAndOn(k: Case): Promise<{ off: MemoryRun; on: MemoryRun }> {
  const off = await runInMemory(k.c, k.s, k.hooks());
  const withFault = <T extends ClientConfig | ServerConfig>(cfg: T): T => ({ ...cfg, faults: [k.fault] });
  const on = await runInMemory(k.side === 'client' ? withFault(k.c) : k.c, k.side === 'server' ? withFault(k.s) : k.s, k.hooks());
  const healthy = k.side === 'client' ? off.clientOutcome : off.serverOutcome;
  expect(alertOf(healthy)).toBe(AlertDescription[engineFault(k.fault).healthyAlert!]);
  expect([on.clientOutcome.kind, on.serverOutcome.kind]).toEqual(['connected', 'connected']);
  // the oracles judge certificates at the time the faulty server validated them
  const rules = await violated(on, k.s.validationTime, k.s.clientAuth === 'require');
  expect(faultRules(k.fault, k.version).filter((r) => rules.includes(r))).not.toEqual([]);
  return { off, on };
}

/** A ChangeCipherSpec record injected before the `index`th record one side sends. */
const ccsBefore = (side: 'client' | 'server', index: number): EngineHooks => {
  let n = 0;
  return {
    beforeSendRecord: (r: HookRecord) =>
      n++ === index
        ? [{ side, raw: encodeRecord({ contentType: 20, version: 0x0303, fragment: Uint8Array.of(1) }) }, r]
        : undefined,
  };
};
const dropCv: EngineHooks = { beforeSend: (m) => (m.type === 'certificate_verify' ? [] : undefined) };

describe('fault catalogue', () => {
  it('lists every fault once, with its sides, and a declaration (doc line, rules that exist) in the mutation model', () => {
    const ids = new Set(allRules.map((r) => r.id));
    expect(Object.keys(FAULTS).sort()).toEqual([...FAULT_IDS].sort());
    for (const f of FAULT_IDS) {
      const info = engineFault(f);
      expect(info.description.length).toBeGreaterThan(20);
      expect(FAULTS[f].sides.length).toBeGreaterThan(0);
      expect(info.rules.length).toBeGreaterThan(0);
      expect(info.rules.filter((r) => !ids.has(r))).toEqual([]);
    }
  });

  it('parses names (repeated and comma lists) and refuses unknown ones and wrong sides', () => {
    expect(parseFaults(['skip-finished-check,accept-early-ccs', 'skip-finished-check'])).toEqual([
      'skip-finished-check',
      'accept-early-ccs',
    ]);
    expect(() => parseFaults(['skip-finished'])).toThrow(FaultConfigError);
    expect(() => new TlsClient({ faults: ['accept-missing-cv'] })).toThrow(/applies to the server/);
    expect(
      () => new TlsServer({ identity: pki.identity('server', 'rsa'), faults: ['skip-finished-check', 'ske-unoffered-scheme'] }),
    ).not.toThrow();
  });
});

describe.each(VERSIONS.map((v) => [v]))('TLS %s faults', (v) => {
  it('accept-missing-cv: a client Certificate without CertificateVerify', async () => {
    const m = mutual(v);
    const { on } = await offAndOn({
      fault: 'accept-missing-cv',
      version: v,
      side: 'server',
      ...m,
      hooks: () => ({ client: dropCv }),
    });
    const s = on.serverOutcome.kind === 'connected' ? on.serverOutcome.session : undefined;
    expect(s?.peerCertificates.length).toBeGreaterThan(0);
    expect(s?.clientScheme).toBeUndefined();
  });

  it('accept-cv-wrong-transcript: a CertificateVerify signed over a transcript without one message', async () => {
    const m = mutual(v);
    const id = m.c.identity!;
    const skip = v === '1.2' ? 'certificate_request' : 'encrypted_extensions';
    const hooks = () => ({
      client: onceOn('certificate_verify', async (raw, log) => {
        const msgs = log.raws.filter((_r, i) => log.types[i] !== skip);
        return [
          v === '1.2'
            ? await cv12(p, id, schemeOfCv(raw), msgs)
            : await cv13(p, id, schemeOfCv(raw), CS13.TLS_AES_128_GCM_SHA256, 'client', msgs),
        ];
      }),
    });
    await offAndOn({ fault: 'accept-cv-wrong-transcript', version: v, side: 'server', ...m, hooks });
  });

  it('accept-cv-wrong-transcript still refuses a scheme that does not fit the client key', async () => {
    const m = mutual(v, {}, { signatureSchemes: [SS.rsa_pss_rsae_sha256, SS.ecdsa_secp256r1_sha256] });
    const hooks = {
      client: onceOn('certificate_verify', (raw) => [encodeHandshake(withCvScheme(raw, SS.ecdsa_secp256r1_sha256))]),
    };
    const run = await runInMemory(m.c, { ...m.s, faults: ['accept-cv-wrong-transcript'] }, hooks);
    expect(alertOf(run.serverOutcome)).toBe(AlertDescription.illegal_parameter);
  });

  // 1.2: before the client's key exchange / right after the ServerHello. 1.3: before the ClientHello (server only: a CCS
  // a client gets before the ServerHello is inside RFC 8446 §5's drop window, so there is no early one for a client)
  it.each(v === '1.2' ? [['server' as const], ['client' as const]] : [['server' as const]])(
    'accept-early-ccs (faulty %s): a ChangeCipherSpec before any keys',
    async (side) => {
      const hooks =
        side === 'server'
          ? () => ({ client: ccsBefore('client', v === '1.2' ? 1 : 0) })
          : () => ({ server: ccsBefore('server', v === '1.2' ? 1 : 0) });
      await offAndOn({
        fault: 'accept-early-ccs',
        version: v,
        side,
        c: client(v, { middleboxCompat: false }),
        s: server(v),
        hooks,
      });
    },
  );

  it.each([['server' as const], ['client' as const]])('skip-finished-check (faulty %s): a wrong Finished', async (side) => {
    const other = side === 'server' ? 'client' : 'server';
    await offAndOn({
      fault: 'skip-finished-check',
      version: v,
      side,
      c: client(v),
      s: server(v),
      hooks: () => ({ [other]: onceOn('finished', (raw) => [flipLast(raw)]) }),
    });
  });

  it.each([['server' as const], ['client' as const]])(
    'accept-invalid-ecdh-point (faulty %s): a P-256 point with a wrong Y',
    async (side) => {
      const hooks = (): { client?: EngineHooks; server?: EngineHooks } => {
        if (side === 'server') {
          if (v === '1.2') return { client: onceOn('client_key_exchange', (raw) => [flipLast(raw)]) };
          return { client: onceOn('client_hello', (raw) => [withShare(raw, 'client_hello')]) };
        }
        if (v === '1.3') return { server: onceOn('server_hello', (raw) => [withShare(raw, 'server_hello')]) };
        return {
          server: onceOn('server_key_exchange', async (raw, log) => {
            const bad = raw.slice();
            bad[4 + 4 + raw[4 + 3]! - 1]! ^= 1; // last byte of the point: Y
            const scheme = (raw[8 + raw[7]!]! << 8) | raw[9 + raw[7]!]!;
            return [
              await resignSke(
                p,
                pki.identity('server', 'rsa'),
                bad,
                scheme,
                randomOfHello(log.find('client_hello')!),
                randomOfHello(log.find('server_hello')!),
              ),
            ];
          }),
        };
      };
      await offAndOn({
        fault: 'accept-invalid-ecdh-point',
        version: v,
        side,
        c: client(v, { keyShareGroups: [NamedGroup.secp256r1] }),
        s: server(v),
        hooks,
      });
    },
  );

  it('accept-invalid-ecdh-point: a point it cannot repair is used anyway (all-zero secret), so the handshake fails later, not at the point', async () => {
    const offCurve = Uint8Array.of(4, ...new Array<number>(64).fill(1));
    const hooks = () =>
      v === '1.2'
        ? { client: onceOn('client_key_exchange', () => [Uint8Array.of(16, 0, 0, 66, 65, ...offCurve)]) }
        : { client: onceOn('client_hello', (raw) => [withShare(raw, 'client_hello', offCurve)]) };
    const healthy = await runInMemory(client(v), server(v), hooks());
    expect(alertOf(healthy.serverOutcome)).toBe(AlertDescription.illegal_parameter);
    const faulty = await runInMemory(client(v), server(v, { faults: ['accept-invalid-ecdh-point'] }), hooks());
    // the server went past the point: its alert (if any) is not about it
    expect(alertOf(faulty.serverOutcome)).not.toBe(AlertDescription.illegal_parameter);
    expect(faulty.serverOutcome.kind === 'connected').toBe(false);
  });

  it('accept-unoffered-suite: a faulty server picks a suite the client did not offer; a healthy client refuses it, a faulty one goes on', async () => {
    const c = client(v, {
      cipherSuites: v === '1.2' ? [CS12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] : [CS13.TLS_AES_128_GCM_SHA256],
    });
    const s = server(v, {
      cipherSuites:
        v === '1.2'
          ? [CS12.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, CS12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
          : [CS13.TLS_AES_256_GCM_SHA384, CS13.TLS_AES_128_GCM_SHA256],
    });
    const healthyServer = await runInMemory(c, s);
    expect(healthyServer.clientOutcome.kind).toBe('connected');
    const faultyServer = await runInMemory(c, { ...s, faults: ['accept-unoffered-suite'] });
    expect(alertOf(faultyServer.clientOutcome)).toBe(AlertDescription[engineFault('accept-unoffered-suite').healthyAlert!]);
    expect(await violated(faultyServer)).toEqual(expect.arrayContaining([...faultRules('accept-unoffered-suite', v)]));
    const both = await runInMemory({ ...c, faults: ['accept-unoffered-suite'] }, { ...s, faults: ['accept-unoffered-suite'] });
    expect([both.clientOutcome.kind, both.serverOutcome.kind]).toEqual(['connected', 'connected']);
    expect(both.clientOutcome.kind === 'connected' && both.clientOutcome.session.cipherSuite).toBe(s.cipherSuites![0]);
  });

  it('accept-expired-client-cert: a client chain outside its validity period', async () => {
    // the server validates the client chain 60 days on; the test leaves are valid for 30
    const m = mutual(v, {}, { validationTime: new Date(Date.now() + 60 * 86_400_000) });
    await offAndOn({ fault: 'accept-expired-client-cert', version: v, side: 'server', ...m, hooks: () => ({}) });
  });

  it('accept-wrongly-signed-client-cert: a client leaf whose signature does not verify', async () => {
    const id = pki.identity('client', 'rsa');
    const m = mutual(v, { identity: { ...id, chain: [flipLast(id.chain[0]!), ...id.chain.slice(1)] } });
    await offAndOn({ fault: 'accept-wrongly-signed-client-cert', version: v, side: 'server', ...m, hooks: () => ({}) });
  });

  it('accept-expired-client-cert does not accept a wrongly signed one (each fault ignores only its own problem)', async () => {
    const id = pki.identity('client', 'rsa');
    const m = mutual(v, { identity: { ...id, chain: [flipLast(id.chain[0]!), ...id.chain.slice(1)] } });
    const run = await runInMemory(m.c, { ...m.s, faults: ['accept-expired-client-cert'] });
    expect(alertOf(run.serverOutcome)).toBe(AlertDescription.bad_certificate);
  });
});

describe('ske-unoffered-scheme (TLS 1.2 server)', () => {
  it('signs the ServerKeyExchange with a scheme the client did not offer; a healthy client refuses it', async () => {
    const c = client('1.2', { signatureSchemes: [SS.rsa_pss_rsae_sha384, SS.rsa_pkcs1_sha256] });
    const healthy = await runInMemory(c, server('1.2'));
    expect(healthy.clientOutcome.kind === 'connected' && healthy.clientOutcome.session.serverScheme).toBe(SS.rsa_pss_rsae_sha384);
    const faulty = await runInMemory(c, server('1.2', { faults: ['ske-unoffered-scheme'] }));
    expect(alertOf(faulty.clientOutcome)).toBe(AlertDescription[engineFault('ske-unoffered-scheme').healthyAlert!]);
    expect(await violated(faulty)).toEqual(expect.arrayContaining([...faultRules('ske-unoffered-scheme', '1.2')]));
  });

  it('uses the offered scheme when the client offered every scheme the key fits', async () => {
    const run = await runInMemory(client('1.2'), server('1.2', { faults: ['ske-unoffered-scheme'] }));
    expect([run.clientOutcome.kind, run.serverOutcome.kind]).toEqual(['connected', 'connected']);
  });
});

describe('TLS 1.2 client with an ECDSA certificate lists its curve in supported_groups (RFC 8422 §5.1)', () => {
  const groupsOf = (run: MemoryRun): number[] => {
    const ch = run.transcript.messages.find((m) => m.type === 'client_hello')!;
    const b = decodeHandshake(ch.raw!, {}).message.body;
    return b.type === 'client_hello'
      ? (getExt(b.extensions, ExtensionType.supported_groups, 'supported_groups')?.groups ?? [])
      : [];
  };
  const ecdsaMutual = (versions: number[], groups: number[]) =>
    runInMemory(
      {
        provider: p,
        versions,
        cipherSuites: [CS12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CS13.TLS_AES_128_GCM_SHA256],
        groups,
        serverName: SERVER_NAME,
        trustAnchors: pki.anchors,
        identity: pki.identity('client', 'ecdsa'),
      },
      { provider: p, versions, identity: pki.identity('server', 'rsa'), clientAuth: 'require', trustAnchors: pki.anchors },
    );

  it('appends the P-384 certificate curve to a list without it, and authenticates with it', async () => {
    const run = await ecdsaMutual([0x0303], [NamedGroup.x25519, NamedGroup.secp256r1]);
    expect(groupsOf(run)).toEqual([NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]);
    expect(run.serverOutcome.kind === 'connected' && run.serverOutcome.session.clientScheme).toBe(SS.ecdsa_secp384r1_sha384);
    expect(run.clientOutcome.kind === 'connected' && run.clientOutcome.session.group).toBe(NamedGroup.x25519);
  });

  it('leaves a list that has the curve, a TLS 1.3-only list and an RSA client alone', async () => {
    expect(groupsOf(await ecdsaMutual([0x0303], [NamedGroup.secp384r1, NamedGroup.x25519]))).toEqual([
      NamedGroup.secp384r1,
      NamedGroup.x25519,
    ]);
    expect(groupsOf(await ecdsaMutual([0x0304], [NamedGroup.x25519]))).toEqual([NamedGroup.x25519]);
    expect(TlsClient.groupsFor([NamedGroup.x25519], pki.identity('client', 'rsa'))).toEqual([NamedGroup.x25519]);
    expect(TlsClient.groupsFor([NamedGroup.x25519], pki.identity('server', 'ecdsa'))).toEqual([
      NamedGroup.x25519,
      NamedGroup.secp256r1,
    ]);
  });
});

/** The first key share of a ClientHello / ServerHello with its last byte (Y of a P-256 point) flipped, or replaced. */
function withShare(raw: Uint8Array, type: 'client_hello' | 'server_hello', point?: Uint8Array): Uint8Array {
  return editRaw(raw, { version: 0x0304 }, type, (b) => {
    for (const e of b.extensions ?? []) {
      if (e.body.kind === 'key_share_client')
        e.body.shares = e.body.shares.map((s) => ({ ...s, keyExchange: point ?? flipLast(s.keyExchange) }));
      if (e.body.kind === 'key_share_server')
        e.body.share = { ...e.body.share, keyExchange: point ?? flipLast(e.body.share.keyExchange) };
    }
  });
}

/** A CertificateVerify naming another scheme (signature unchanged). */
function withCvScheme(raw: Uint8Array, scheme: number) {
  const d = decodeHandshake(raw, {}).message;
  if (d.body.type === 'certificate_verify') d.body = { ...d.body, scheme };
  return d;
}

describe.each(VERSIONS.map((v) => [v]))('TLS %s faults of issue #14', (v) => {
  it('accept-any-client-cert: a client leaf whose signature does not verify, and one the server does not trust', async () => {
    const id = pki.identity('client', 'rsa');
    const m = mutual(v, { identity: { ...id, chain: [flipLast(id.chain[0]!), ...id.chain.slice(1)] } });
    const healthy = await runInMemory(m.c, m.s);
    expect(alertOf(healthy.serverOutcome)).toBe(AlertDescription.bad_certificate);
    const faulty = await runInMemory(m.c, { ...m.s, faults: ['accept-any-client-cert'] });
    expect([faulty.clientOutcome.kind, faulty.serverOutcome.kind]).toEqual(['connected', 'connected']);
    // the server requires client authentication (mutual): going on is acceptance, not "considering the client unauthenticated"
    expect(await violated(faulty, undefined, true)).toContain('cert.path.signature');
    // trusting only the server's own leaf, the client's chain has no trust anchor
    const other = { ...mutual(v).s, trustAnchors: [pki.identity('server', 'rsa').chain[0]!] };
    const untrusted = await runInMemory(mutual(v).c, other);
    expect(alertOf(untrusted.serverOutcome)).toBe(AlertDescription[engineFault('accept-any-client-cert').healthyAlert!]);
    const accepted = await runInMemory(mutual(v).c, { ...other, faults: ['accept-any-client-cert'] });
    expect(accepted.serverOutcome.kind).toBe('connected');
    // still asks for a certificate, and refuses a client without one
    const none = await runInMemory(client(v), { ...mutual(v).s, faults: ['accept-any-client-cert'] });
    expect(none.serverOutcome.kind).toBe('alert_sent');
  });

  it('silent-close-bad-signature: the server stops on a CertificateVerify that does not verify, without sending the alert', async () => {
    const m = mutual(v);
    const id = m.c.identity!;
    const hooks = () => ({
      client: onceOn('certificate_verify', async (raw, log) => [
        v === '1.2'
          ? await cv12(p, id, schemeOfCv(raw), log.raws.slice(1))
          : await cv13(p, id, schemeOfCv(raw), CS13.TLS_AES_128_GCM_SHA256, 'client', log.raws.slice(1)),
      ]),
    });
    const serverAlerts = (r: MemoryRun) => r.transcript.messages.filter((x) => x.dir === 'S->C' && x.type === 'alert');
    const healthy = await runInMemory(m.c, m.s, hooks());
    expect(alertOf(healthy.serverOutcome)).toBe(AlertDescription[engineFault('silent-close-bad-signature').healthyAlert!]);
    expect(serverAlerts(healthy)).toHaveLength(1);
    const faulty = await runInMemory(m.c, { ...m.s, faults: ['silent-close-bad-signature'] }, hooks());
    // it stopped (terminal), and nothing went out
    expect(faulty.serverOutcome.kind).toBe('alert_sent');
    expect(faulty.serverOutcome.kind === 'alert_sent' && faulty.serverOutcome.reason).toMatch(/not sent: fault/);
    expect(serverAlerts(faulty)).toEqual([]);
  });

  it('crash-on-invalid-key-share: an invalid peer ECDH value throws FaultCrash out of the engine (serve.ts stops listening)', async () => {
    const offCurve = Uint8Array.of(4, ...new Array<number>(64).fill(1));
    const hooks = () =>
      v === '1.2'
        ? { client: onceOn('client_key_exchange', () => [Uint8Array.of(16, 0, 0, 66, 65, ...offCurve)]) }
        : { client: onceOn('client_hello', (raw) => [withShare(raw, 'client_hello', offCurve)]) };
    const healthy = await runInMemory(client(v), server(v), hooks());
    expect(alertOf(healthy.serverOutcome)).toBe(AlertDescription[engineFault('crash-on-invalid-key-share').healthyAlert!]);
    await expect(runInMemory(client(v), server(v, { faults: ['crash-on-invalid-key-share'] }), hooks())).rejects.toThrow(
      FaultCrash,
    );
    // a valid handshake does not crash it
    const valid = await runInMemory(client(v), server(v, { faults: ['crash-on-invalid-key-share'] }));
    expect(valid.serverOutcome.kind).toBe('connected');
  });
});

describe('alert-handshake-keys (TLS 1.3 server)', () => {
  it('a fatal alert after its Finished is sealed with its handshake keys: the oracles name rec.t13.app-keys-after-finished', async () => {
    const m = mutual('1.3');
    const hooks = () => ({ client: onceOn('finished', (raw) => [flipLast(raw)]) });
    const healthy = await runInMemory(m.c, m.s, hooks());
    expect(alertOf(healthy.serverOutcome)).toBe(AlertDescription.decrypt_error);
    expect(await violated(healthy)).not.toContain('rec.t13.app-keys-after-finished');
    const faulty = await runInMemory(m.c, { ...m.s, faults: ['alert-handshake-keys'] }, hooks());
    expect(alertOf(faulty.serverOutcome)).toBe(AlertDescription.decrypt_error);
    // the client cannot open it with the server's application keys
    expect(alertOf(faulty.clientOutcome)).toBe(AlertDescription[engineFault('alert-handshake-keys').healthyAlert!]);
    expect(await violated(faulty)).toContain('rec.t13.app-keys-after-finished');
  });
});

describe('TLS 1.3 server faults of issue #14 (HelloRetryRequest, CCS)', () => {
  it('hrr-missing-key-share: a ClientHello without key_share is retried instead of refused with missing_extension', async () => {
    // the server asks for x25519, a group our client lists but did not share: the retry is one it accepts
    const m = mutual(
      '1.3',
      { groups: [NamedGroup.secp256r1, NamedGroup.x25519] },
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1] },
    );
    let first = true;
    // only the first ClientHello lacks key_share (the retried one has the share the HelloRetryRequest asks for)
    const hooks = () => {
      first = true;
      return {
        client: {
          beforeSend: async (msg: { type: string; raw: Uint8Array }) => {
            if (msg.type !== 'client_hello' || !first) return undefined;
            first = false;
            return [
              editRaw(msg.raw, { version: 0x0304 }, 'client_hello', (b) => {
                b.extensions = (b.extensions ?? []).filter((e) => e.type !== ExtensionType.key_share);
              }),
            ];
          },
        } as EngineHooks,
      };
    };
    const { on } = await offAndOn({ fault: 'hrr-missing-key-share', version: '1.3', side: 'server', ...m, hooks });
    expect(on.transcript.messages.filter((x) => x.dir === 'C->S' && x.type === 'client_hello')).toHaveLength(2);
  });

  it('accept-ccs-after-finished: a CCS after the client Finished is dropped instead of unexpected_message', async () => {
    const m = mutual('1.3');
    const ccs = encodeRecord({ contentType: 20, version: 0x0303, fragment: Uint8Array.of(1) });
    const hooks = () => ({
      client: {
        beforeSendRecord: (r: HookRecord) =>
          r.plaintext?.contentType === 22 && r.plaintext.fragment[0] === 20
            ? [r, { side: 'client' as const, raw: ccs }]
            : undefined,
      },
    });
    const healthy = await runInMemory(m.c, m.s, hooks());
    expect(alertOf(healthy.serverOutcome)).toBe(AlertDescription[engineFault('accept-ccs-after-finished').healthyAlert!]);
    const faulty = await runInMemory(m.c, { ...m.s, faults: ['accept-ccs-after-finished'] }, hooks());
    expect([faulty.clientOutcome.kind, faulty.serverOutcome.kind]).toEqual(['connected', 'connected']);
    expect(await violated(faulty)).toContain('rec.t13.ccs-compat');
  });
});

describe('accept-cv-unoffered-scheme (server)', () => {
  it('TLS 1.2: a CertificateVerify signed with rsa_md5, which the CertificateRequest did not list, is accepted', async () => {
    const m = mutual('1.2', {}, { signatureSchemes: [SS.rsa_pss_rsae_sha256, SS.rsa_pkcs1_sha256] });
    const id = m.c.identity!;
    const hooks = () => ({
      client: onceOn('certificate_verify', async (_raw, log) => [await cv12(p, id, SS.rsa_md5, log.raws)]),
    });
    const { on } = await offAndOn({ fault: 'accept-cv-unoffered-scheme', version: '1.2', side: 'server', ...m, hooks });
    expect(on.serverOutcome.kind === 'connected' && on.serverOutcome.session.clientScheme).toBe(SS.rsa_md5);
  });

  it('TLS 1.3: a CertificateVerify with a scheme not requested is accepted', async () => {
    const m = mutual('1.3', {}, { signatureSchemes: [SS.rsa_pss_rsae_sha256] });
    const id = m.c.identity!;
    const hooks = () => ({
      client: onceOn('certificate_verify', async (_raw, log) => [
        await cv13(p, id, SS.rsa_pss_rsae_sha384, CS13.TLS_AES_128_GCM_SHA256, 'client', log.raws),
      ]),
    });
    await offAndOn({ fault: 'accept-cv-unoffered-scheme', version: '1.3', side: 'server', ...m, hooks });
  });
});

describe.each(VERSIONS.map((v) => [v]))('null-suite-no-common (TLS %s server)', (v) => {
  it('no suite in common: a ServerHello with suite 0x0000 and a silent close instead of handshake_failure; a healthy client refuses it', async () => {
    const c = client(v, {
      cipherSuites: v === '1.2' ? [CS12.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384] : [CS13.TLS_AES_256_GCM_SHA384],
    });
    const s = server(v, {
      cipherSuites: v === '1.2' ? [CS12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] : [CS13.TLS_AES_128_GCM_SHA256],
    });
    const healthy = await runInMemory(c, s);
    expect(alertOf(healthy.serverOutcome)).toBe(AlertDescription[engineFault('null-suite-no-common').healthyAlert!]);
    const faulty = await runInMemory(c, { ...s, faults: ['null-suite-no-common'] });
    const sh = faulty.transcript.messages.find((x) => x.dir === 'S->C' && x.type === 'server_hello');
    expect(sh?.raw && decodeHandshake(sh.raw, { version: 0x0303 }).message.body).toMatchObject({ cipherSuite: 0 });
    expect(faulty.transcript.messages.filter((x) => x.dir === 'S->C' && x.type === 'alert')).toEqual([]);
    // our client refuses it: a suite it did not offer (TLS 1.2); a TLS 1.2 ServerHello to a TLS 1.3-only offer (the
    // faulty answer has no supported_versions: RFC 8446 §4.2.1 protocol_version)
    if (v === '1.2') {
      expect(alertOf(faulty.clientOutcome)).toBe(AlertDescription.illegal_parameter);
      expect(await violated(faulty)).toContain('t12.neg.suite-offered');
    } else expect(alertOf(faulty.clientOutcome)).toBe(AlertDescription.protocol_version);
  });
});

describe('accept-tls12-from-t13-only (a client that offered only TLS 1.3)', () => {
  // our server speaks TLS 1.2 only and reads the ClientHello without supported_versions and with a TLS 1.2 suite (as
  // ops-client-target.ts t13-only-client-gets-tls12 does live): its ServerHello is a legacy TLS 1.2 one
  const hooks = (): { server: EngineHooks } => ({
    server: {
      beforeProcess: (m) =>
        m.type !== 'client_hello'
          ? undefined
          : [
              editRaw(m.raw, { version: 0x0304 }, 'client_hello', (b) => {
                b.extensions = (b.extensions ?? []).filter((e) => e.type !== ExtensionType.supported_versions);
                b.cipherSuites = [CS12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ...b.cipherSuites];
              }),
            ],
    },
  });
  it('the healthy client answers protocol_version (RFC 8446 App. D.1); the faulty one goes on in TLS 1.2', async () => {
    const c = client('1.3');
    const s = server('1.2', { cipherSuites: [CS12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] });
    const healthy = await runInMemory(c, s, hooks());
    expect(alertOf(healthy.clientOutcome)).toBe(AlertDescription[engineFault('accept-tls12-from-t13-only').healthyAlert!]);
    expect(healthy.transcript.messages.filter((x) => x.dir === 'C->S').map((x) => x.type)).toEqual(['client_hello', 'alert']);
    const faulty = await runInMemory({ ...c, faults: ['accept-tls12-from-t13-only'] }, s, hooks());
    // it keys TLS 1.2 and sends its second flight (our server's view of the ClientHello differs from the client's, so
    // the Finished does not verify there: the test is that the client went on)
    expect(faulty.transcript.messages.filter((x) => x.dir === 'C->S').map((x) => x.type)).toEqual(
      expect.arrayContaining(['client_hello', 'client_key_exchange']),
    );
    expect(alertOf(faulty.clientOutcome)).toBeUndefined();
    expect(await violated(faulty)).toEqual(expect.arrayContaining(faultRules('accept-tls12-from-t13-only', '1.3')));
    // a ServerHello whose supported_versions selects TLS 1.2 stays refused (RFC 8446 §4.2.1: illegal_parameter)
    const sv12: EngineHooks = {
      beforeSend: (m) =>
        m.kind !== 'handshake' || m.type !== 'server_hello'
          ? undefined
          : [
              editRaw(m.raw, { version: 0x0304 }, 'server_hello', (b) => {
                for (const e of b.extensions ?? [])
                  if (e.type === ExtensionType.supported_versions && e.body.kind === 'supported_versions_server')
                    e.body.version = 0x0303;
              }),
            ],
    };
    const inExt = await runInMemory({ ...c, faults: ['accept-tls12-from-t13-only'] }, server('1.3'), { server: sv12 });
    expect(alertOf(inExt.clientOutcome)).toBe(AlertDescription.illegal_parameter);
  });
});

describe('accept-renegotiation-without-ri (TLS 1.2 server)', () => {
  it('a secure connection renegotiated without renegotiation_info: handshake_failure when healthy, renegotiated with the fault', async () => {
    const c = client('1.2', { renegotiation: 'legacy' });
    const s = server('1.2', { renegotiation: 'secure' });
    const noRi = { client: sendHello('client_hello', () => ({ ri: null })) };
    const healthy = await runInMemory(c, s, noRi, { renegotiations: ['client'] });
    expect(alertOf(healthy.serverOutcome)).toBe(AlertDescription[engineFault('accept-renegotiation-without-ri').healthyAlert!]);
    expect(healthy.server.renegotiations).toBe(0);
    const faulty = await runInMemory(c, { ...s, faults: ['accept-renegotiation-without-ri'] }, noRi, {
      renegotiations: ['client'],
    });
    expect(faulty.server.renegotiations).toBe(1);
    // the oracles name the fault's rule on the renegotiating ClientHello
    expect(await violated(faulty)).toEqual(expect.arrayContaining(faultRules('accept-renegotiation-without-ri', '1.2')));
    // a renegotiation with renegotiation_info goes as before
    const valid = await runInMemory(c, { ...s, faults: ['accept-renegotiation-without-ri'] }, {}, { renegotiations: ['client'] });
    expect(valid.server.renegotiations).toBe(1);
  });
});

describe('accept-etm-downgrade (TLS 1.2 server)', () => {
  it('an encrypt-then-MAC connection renegotiated without encrypt_then_mac: handshake_failure when healthy, MAC-then-encrypt with the fault', async () => {
    const cbc = [CS12.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256];
    const c = client('1.2', { renegotiation: 'legacy', cipherSuites: cbc });
    const s = server('1.2', { renegotiation: 'secure' });
    // the renegotiating ClientHello only: the first handshake takes encrypt-then-MAC
    const noEtm: EngineHooks = {
      beforeSend(msg) {
        if (msg.type !== 'client_hello' || !msg.handshake) return undefined;
        const b = decodeHandshake(msg.raw, { version: 0x0303 }).message.body;
        if (b.type !== 'client_hello') return undefined;
        return [encodeBody({ ...b, extensions: (b.extensions ?? []).filter((e) => e.type !== ExtensionType.encrypt_then_mac) })];
      },
    };
    const healthy = await runInMemory(c, s, { client: noEtm }, { renegotiations: ['client'] });
    expect(alertOf(healthy.serverOutcome)).toBe(AlertDescription[engineFault('accept-etm-downgrade').healthyAlert!]);
    expect(healthy.server.renegotiations).toBe(0);
    const faulty = await runInMemory(
      c,
      { ...s, faults: ['accept-etm-downgrade'] },
      { client: noEtm },
      { renegotiations: ['client'] },
    );
    // the faulty server answers with MAC-then-encrypt; our (healthy) client refuses the downgrade itself
    expect(alertOf(faulty.clientOutcome)).toBe(AlertDescription.handshake_failure);
    expect(await violated(faulty)).toEqual(expect.arrayContaining(faultRules('accept-etm-downgrade', '1.2')));
    // a renegotiation that keeps encrypt_then_mac goes as before
    const valid = await runInMemory(c, { ...s, faults: ['accept-etm-downgrade'] }, {}, { renegotiations: ['client'] });
    expect(valid.server.renegotiations).toBe(1);
  });
});
