/**
 * The renegotiation rules on transcripts of our engine: each handshake of a renegotiated TLS 1.2 connection judged
 * on its own with zero violations; ext.reneg.secure, ext.reneg.legacy and ver.t13.no-13-in-renegotiation pass on
 * real renegotiations and name the side that broke RFC 5746 / RFC 8446 when a hook breaks a hello (the sender), or
 * makes the receiver read a valid one while the wire carries the broken one (the receiver that went on).
 */
import { nodeProvider } from '../../crypto';
import type { ClientConfig, RenegotiationPolicy, ServerConfig } from '../../engine/config';
import { SERVER_NAME, type TestPki, testPki } from '../../engine/fixtures';
import type { EngineHooks } from '../../engine/hooks';
import { runInMemory } from '../../engine/memory';
import { CipherSuite12 as CS } from '../../engine/suites';
import { bothHooks, readHello, sendHello, unupgradedClient } from '../../engine/renegotiation-hooks';
import { decodeHandshake, encodeBody } from '../../wire/handshake';
import { ExtensionType, SCSV } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import { checkTranscript } from '../evaluate';
import { splitHandshakes } from '../handshakes';
import type { RuleId, Verdict } from '../rule';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const V12 = VERSION_CODE['1.2'];

function configs(
  client: RenegotiationPolicy,
  server: RenegotiationPolicy,
  serverExtra: Partial<ServerConfig> = {},
): [ClientConfig, ServerConfig] {
  return [
    {
      provider: p,
      versions: [V12],
      serverName: SERVER_NAME,
      trustAnchors: pki.anchors,
      renegotiation: client,
      cipherSuites: [CS.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CS.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384],
    },
    { provider: p, identity: pki.identity('server', 'rsa'), renegotiation: server, ...serverExtra },
  ];
}

async function judge(
  policy: [RenegotiationPolicy, RenegotiationPolicy],
  hooks: { client?: EngineHooks; server?: EngineHooks },
  renegotiations: Array<'client' | 'server'>,
  serverExtra: Partial<ServerConfig> = {},
) {
  const [c, s] = configs(...policy, serverExtra);
  const r = await runInMemory(c, s, hooks, { renegotiations, appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) } });
  const res = await checkTranscript(r.transcript, { trustAnchors: pki.anchors });
  const of = (rule: RuleId) => res.verdicts.filter((v) => v.rule === rule);
  return { r, res, of, violations: res.verdicts.filter((v) => v.status === 'violation') };
}

const statuses = (vs: readonly Verdict[]) => vs.map((v) => v.status);
const show = (vs: readonly Verdict[]) => vs.map((v) => `${v.rule} ${v.status}: ${v.detail}`);

describe('renegotiated connections are judged handshake by handshake', () => {
  for (const by of ['client', 'server'] as const)
    it(`secure renegotiation by the ${by}: every handshake clean, ext.reneg.secure passes`, async () => {
      const j = await judge(['secure', 'secure'], {}, [by, by]);
      expect(show(j.violations)).toEqual([]);
      expect(j.res.handshakes).toHaveLength(3);
      expect(j.res.handshakes.map((h) => h.handshake)).toEqual([0, 1, 2]);
      expect(statuses(j.of('ext.reneg.secure'))).toEqual(['not-applicable', 'pass', 'pass', 'pass', 'pass']);
      expect(statuses(j.of('ext.reneg.initial'))).toEqual(['pass', 'not-applicable', 'not-applicable']);
      expect(statuses(j.of('ver.t13.no-13-in-renegotiation'))).toEqual(['not-applicable', 'pass', 'pass']);
      // each renegotiation's Finished are recomputed from its own key log line
      expect(statuses(j.of('t12.fin.verify-data')).every((s) => s === 'pass')).toBe(true);
      expect(j.of('t12.fin.verify-data').length).toBeGreaterThanOrEqual(3);
    });

  it('a refused renegotiation (no_renegotiation warning) leaves one handshake and the ClientHello it refused', async () => {
    const j = await judge(['secure', 'refuse'], {}, ['client']);
    expect(show(j.violations)).toEqual([]);
    expect(j.res.handshakes).toHaveLength(2);
    expect(statuses(j.of('ext.reneg.secure'))).toEqual(['not-applicable', 'pass', 'not-applicable']);
  });

  it('legacy renegotiation between an un-upgraded client and a legacy server: ext.reneg.legacy passes', async () => {
    const j = await judge(['legacy', 'legacy'], { client: unupgradedClient() }, ['client']);
    // the un-upgraded client breaks ext.reneg.initial (it signals nothing): that is the only violation
    expect(j.violations.map((v) => v.rule)).toEqual(['ext.reneg.initial']);
    expect(statuses(j.of('ext.reneg.legacy'))).toEqual(['not-applicable', 'pass']);
    expect(statuses(j.of('ext.reneg.secure'))).toEqual(['not-applicable', 'not-applicable']);
  });

  it('a HelloRequest answered with no_renegotiation on a connection without secure renegotiation: ext.reneg.legacy passes', async () => {
    // the server does not answer renegotiation_info: the client's flag stays FALSE and it refuses (RFC 5746 §4.2)
    const j = await judge(['secure', 'legacy'], { server: sendHello('server_hello', () => ({ ri: null }), 'initial') }, [
      'server',
    ]);
    expect(j.r.server.warningsReceived).toHaveLength(1);
    expect(statuses(j.of('ext.reneg.legacy'))).toEqual(['pass']);
  });
});

describe('how a renegotiated connection ended belongs to its last handshake', () => {
  it('close_notify both ways then FIN both ways: alert.close-notify passes in the last handshake, the first has no end', async () => {
    const [c, s] = configs('secure', 'secure');
    const r = await runInMemory(
      c,
      s,
      {},
      {
        renegotiations: ['server'],
        closeNotify: true,
        appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) },
      },
    );
    const n = r.transcript.records.length;
    const t = {
      ...r.transcript,
      ends: [
        { side: 'client' as const, kind: 'fin' as const, beforeRecord: n },
        { side: 'server' as const, kind: 'fin' as const, beforeRecord: n },
      ],
    };
    expect(splitHandshakes(t).map((h) => h.ends !== undefined)).toEqual([false, true]);
    const res = await checkTranscript(t, { trustAnchors: pki.anchors });
    expect(show(res.verdicts.filter((v) => v.rule === 'alert.close-notify' && v.status === 'violation'))).toEqual([]);
    expect(statuses(res.verdicts.filter((v) => v.rule === 'alert.close-notify'))).toContain('pass');
  });
});

describe('renegotiation rules name who broke RFC 5746', () => {
  const broken = (ch: Parameters<typeof sendHello>[1]) => sendHello('client_hello', ch);

  it.each([
    ['without renegotiation_info', () => ({ ri: null })],
    ['with a wrong verify_data', (ri?: Uint8Array) => ({ ri: ri!.map((b) => b ^ 0xff) })],
    [
      'with the SCSV',
      (_ri?: Uint8Array, suites?: number[]) => ({ suites: [...suites!, SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV] }),
    ],
  ])('the client renegotiates %s: ext.reneg.secure against the client; the server aborts', async (_n, change) => {
    const j = await judge(['secure', 'secure'], { client: broken(change) }, ['client']);
    const v = j.of('ext.reneg.secure').filter((x) => x.status === 'violation');
    expect(v).toHaveLength(1);
    expect(v[0]!.detail).toMatch(/^The (client|renegotiating ClientHello)/);
    expect(j.r.serverOutcome).toMatchObject({ kind: 'alert_sent' });
  });

  /** A hook that keeps the verify_data of the initial handshake's Finished messages as they pass (client's, then server's). */
  function verifyDataOf(): { hook: EngineHooks; client: () => Uint8Array; both: () => Uint8Array } {
    const seen: Uint8Array[] = [];
    const keep = (raw: Uint8Array) => void seen.push(raw.subarray(4));
    return {
      hook: {
        beforeSend(msg) {
          if (msg.type === 'finished' && !msg.handshake) keep(msg.raw);
          return undefined;
        },
        beforeProcess(msg) {
          if (msg.type === 'finished' && !msg.handshake) keep(msg.raw);
          return undefined;
        },
      },
      client: () => seen[0]!,
      both: () => new Uint8Array([...seen[0]!, ...seen[1]!]),
    };
  }

  it('the server goes on with a renegotiating ClientHello it must abort: ext.reneg.secure against the server', async () => {
    // the wire carries a ClientHello without renegotiation_info; the server is made to read it with the right one
    const vd = verifyDataOf();
    const client = broken(() => ({ ri: null }));
    const server = bothHooks(
      vd.hook,
      readHello('client_hello', () => ({ ri: vd.client() })),
    );
    const j = await judge(['secure', 'secure'], { client, server }, ['client']);
    const details = j
      .of('ext.reneg.secure')
      .filter((x) => x.status === 'violation')
      .map((x) => x.detail);
    expect(details).toEqual([
      'The client renegotiates without renegotiation_info although secure renegotiation was established.',
      'The server answers a renegotiating ClientHello it must abort (RFC 5746 §3.7) with a ServerHello.',
    ]);
  });

  it('the server answers with a wrong renegotiation_info and the client goes on: both named', async () => {
    const vd = verifyDataOf();
    const server = sendHello('server_hello', (ri) => ({ ri: ri!.subarray(0, 12) }));
    const client = bothHooks(
      vd.hook,
      readHello('server_hello', () => ({ ri: vd.both() })),
    );
    const j = await judge(['secure', 'secure'], { client, server }, ['client']);
    const details = j
      .of('ext.reneg.secure')
      .filter((x) => x.status === 'violation')
      .map((x) => x.detail);
    expect(details).toEqual([
      "The renegotiating ServerHello's renegotiation_info is not the previous client verify_data || server verify_data.",
      'The client goes on after a renegotiating ServerHello whose renegotiation_info it must reject (RFC 5746 §3.5).',
    ]);
  });

  it('a legacy server goes on with the SCSV of an upgraded client: ext.reneg.legacy against the server', async () => {
    const server = readHello('client_hello', (_ri, suites) => ({
      suites: suites!.filter((x) => x !== SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV),
    }));
    const j = await judge(['legacy', 'legacy'], { client: unupgradedClient({ renegotiation: 'as-is' }), server }, ['client']);
    expect(
      j
        .of('ext.reneg.legacy')
        .filter((x) => x.status === 'violation')
        .map((x) => x.detail),
    ).toEqual([
      'The server goes on with a legacy renegotiation whose ClientHello carries the SCSV or renegotiation_info (RFC 5746 §4.4).',
    ]);
  });

  it('a server negotiating TLS 1.3 in a renegotiation: ver.t13.no-13-in-renegotiation against the server', async () => {
    const sh13: EngineHooks = {
      beforeSend(msg) {
        if (msg.type !== 'server_hello' || !msg.handshake) return undefined;
        const b = decodeHandshake(msg.raw, { version: V12 }).message.body;
        if (b.type !== 'server_hello') return undefined;
        const sv = {
          type: ExtensionType.supported_versions,
          body: { kind: 'supported_versions_server' as const, version: VERSION_CODE['1.3'] },
        };
        return [encodeBody({ ...b, extensions: [...(b.extensions ?? []), sv] })];
      },
    };
    const j = await judge(['secure', 'secure'], { server: sh13 }, ['client']);
    expect(
      j
        .of('ver.t13.no-13-in-renegotiation')
        .filter((x) => x.status === 'violation')
        .map((x) => x.detail),
    ).toEqual(['The server answers a renegotiation of a TLS 1.2 connection with version 0x0304.']);
    expect(j.r.clientOutcome).toMatchObject({ kind: 'alert_sent' });
  });
});
