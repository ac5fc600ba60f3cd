/**
 * TLS 1.2 renegotiation (RFC 5746) in memory: initiated by the client and by the server (HelloRequest), secure and
 * legacy, refused with the no_renegotiation warning, and each verify_data check of RFC 5746 §3.5/§3.7/§4.2/§4.4 on a
 * peer whose renegotiation_info (or SCSV) a hook changes. The second handshake runs under the first's keys, gets a
 * key log line of its own and application data flows under its keys.
 */
import { lookupKeyLog, nodeProvider, parseKeyLog } from '../crypto';
import type { Transcript } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import { decodeHandshake, encodeBody } from '../wire/handshake';
import { AlertDescription, ContentType, ExtensionType, SCSV } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import type { ClientConfig, RenegotiationPolicy, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { sendHello, unupgradedClient } from './renegotiation-hooks';
import { runInMemory } from './memory';
import { ServerSessionCache } from './session';
import { CipherSuite12 as CS } from './suites';

const p = nodeProvider();
const dec = new TextDecoder();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const V12 = VERSION_CODE['1.2'];

function configs(
  client: RenegotiationPolicy,
  server: RenegotiationPolicy,
  extra: { client?: Partial<ClientConfig>; server?: Partial<ServerConfig> } = {},
): [ClientConfig, ServerConfig] {
  return [
    {
      provider: p,
      versions: [V12],
      serverName: SERVER_NAME,
      trustAnchors: pki.anchors,
      renegotiation: client,
      cipherSuites: [CS.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384],
      ...extra.client,
    },
    { provider: p, identity: pki.identity('server', 'rsa'), renegotiation: server, ...extra.server },
  ];
}

const handshakeTypes = (t: Transcript) =>
  t.messages.filter((m) => m.kind === 'handshake' || m.kind === 'change_cipher_spec').map((m) => `${m.dir} ${m.type}`);

/** The ClientHellos and ServerHellos of a transcript, decoded. */
function hellos(t: Transcript) {
  const out = { ch: [] as Array<{ ri?: Uint8Array; scsv: boolean; encrypted: boolean }>, sh: [] as Array<{ ri?: Uint8Array }> };
  for (const m of t.messages) {
    const b = m.decoded?.body;
    if (b?.type === 'client_hello')
      out.ch.push({
        ...(() => {
          const ri = extensionBody(b.extensions, ExtensionType.renegotiation_info, 'renegotiation_info');
          return ri ? { ri: ri.renegotiatedConnection } : {};
        })(),
        scsv: b.cipherSuites.includes(SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV),
        encrypted: m.encrypted,
      });
    if (b?.type === 'server_hello') {
      const ri = extensionBody(b.extensions, ExtensionType.renegotiation_info, 'renegotiation_info');
      out.sh.push(ri ? { ri: ri.renegotiatedConnection } : {});
    }
  }
  return out;
}

const finishedOf = (t: Transcript, dir: 'C->S' | 'S->C', n: number) =>
  t.messages.filter((m) => m.type === 'finished' && m.dir === dir)[n]?.raw?.subarray(4);

describe('TLS 1.2 secure renegotiation (RFC 5746)', () => {
  for (const by of ['client', 'server'] as const)
    it(`initiated by the ${by}: a second full handshake under the first keys, new keys after it`, async () => {
      const [c, s] = configs('secure', 'secure');
      const r = await runInMemory(
        c,
        s,
        {},
        { renegotiations: [by], appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) } },
      );
      expect(r.client.connected && r.server.connected).toBe(true);
      expect(r.client.renegotiations).toBe(1);
      expect(r.server.renegotiations).toBe(1);
      expect(r.client.secureRenegotiationEstablished && r.server.secureRenegotiationEstablished).toBe(true);
      const flow = handshakeTypes(r.transcript);
      expect(flow.filter((x) => x === 'C->S client_hello')).toHaveLength(2);
      expect(flow.filter((x) => x.endsWith('finished'))).toHaveLength(4);
      if (by === 'server') expect(flow).toContain('S->C hello_request');
      else expect(flow).not.toContain('S->C hello_request');
      // the second hellos carry the first handshake's verify_data (RFC 5746 §3.5, §3.7)
      const h = hellos(r.transcript);
      expect(h.ch[1]?.encrypted).toBe(true);
      const cvd = finishedOf(r.transcript, 'C->S', 0)!;
      const svd = finishedOf(r.transcript, 'S->C', 0)!;
      expect(cvd).toHaveLength(12);
      expect(h.ch[1]?.ri).toEqual(cvd);
      expect(h.ch[1]?.scsv).toBe(false);
      expect(h.sh[1]?.ri).toEqual(new Uint8Array([...cvd, ...svd]));
      // two CLIENT_RANDOM lines: one per handshake
      const entries = parseKeyLog(r.transcript.secrets!.keylog!.join('\n'));
      const randoms = r.transcript.messages
        .filter((m) => m.type === 'client_hello')
        .map((m) => (m.decoded?.body.type === 'client_hello' ? m.decoded.body.random : new Uint8Array(0)));
      expect(randoms.map((x) => lookupKeyLog(entries, x).CLIENT_RANDOM?.length)).toEqual([48, 48]);
      // application data after the renegotiation, both ways
      expect(r.received.server.map((x) => dec.decode(x))).toContain('renegotiated 1');
      expect(r.received.client.map((x) => dec.decode(x))).toContain('renegotiated 1');
    });

  it("a renegotiating ClientHello offering this connection's session (RFC 5246 §7.4.1.2) is resumed: an abbreviated handshake under the first keys", async () => {
    const [c, s] = configs('secure', 'secure', {
      client: { renegotiationResumes: true },
      server: { sessionCache: new ServerSessionCache(p) },
    });
    const r = await runInMemory(c, s, {}, { renegotiations: ['client'], appData: { client: Uint8Array.of(1) } });
    expect(r.client.renegotiations).toBe(1);
    const flow = handshakeTypes(r.transcript);
    const second = flow.slice(flow.lastIndexOf('C->S client_hello'));
    expect(second).toEqual([
      'C->S client_hello',
      'S->C server_hello',
      'S->C change_cipher_spec',
      'S->C finished',
      'C->S change_cipher_spec',
      'C->S finished',
    ]);
    const ids = r.transcript.messages
      .filter((m) => m.type === 'client_hello' || m.type === 'server_hello')
      .map((m) =>
        m.decoded?.body.type === 'client_hello' || m.decoded?.body.type === 'server_hello' ? m.decoded.body.sessionId : undefined,
      );
    // the renegotiating hello offers the session the first ServerHello named; the second ServerHello echoes it
    expect(ids[2]).toEqual(ids[1]);
    expect(ids[3]).toEqual(ids[1]);
    expect(r.received.server.map((x) => dec.decode(x))).toContain('renegotiated 1');
  });

  it('renegotiates twice, each time with the verify_data of the handshake before', async () => {
    const [c, s] = configs('secure', 'secure');
    const r = await runInMemory(c, s, {}, { renegotiations: ['client', 'server'] });
    expect(r.client.renegotiations).toBe(2);
    const h = hellos(r.transcript);
    expect(h.ch).toHaveLength(3);
    expect(h.ch[2]?.ri).toEqual(finishedOf(r.transcript, 'C->S', 1));
    expect(h.sh[2]?.ri).toEqual(
      new Uint8Array([...finishedOf(r.transcript, 'C->S', 1)!, ...finishedOf(r.transcript, 'S->C', 1)!]),
    );
  });

  it('a hook sees which handshake a message belongs to', async () => {
    const seen: string[] = [];
    const [c, s] = configs('secure', 'secure');
    const hook: EngineHooks = {
      beforeSend(msg) {
        if (msg.kind === 'handshake') seen.push(`${msg.type}@${msg.handshake}`);
        return undefined;
      },
    };
    await runInMemory(c, s, { client: hook }, { renegotiations: ['client'] });
    expect(seen).toEqual([
      'client_hello@0',
      'client_key_exchange@0',
      'finished@0',
      'client_hello@1',
      'client_key_exchange@1',
      'finished@1',
    ]);
  });
});

describe('renegotiation refused', () => {
  it('a server that does not renegotiate answers the ClientHello with the warning no_renegotiation; the connection goes on', async () => {
    const [c, s] = configs('secure', 'refuse');
    const r = await runInMemory(c, s, {}, { renegotiations: ['client'] });
    expect(r.client.connected && r.server.connected).toBe(true);
    expect(r.client.renegotiations).toBe(0);
    expect(r.client.renegotiationInProgress).toBe(false);
    expect(r.client.warningsReceived.map((a) => a.description)).toEqual([AlertDescription.no_renegotiation]);
    // the data after the refused attempt still flows under the first handshake's keys
    expect(r.received.server.map((x) => dec.decode(x))).toContain('renegotiated 1');
    expect(r.received.client.map((x) => dec.decode(x))).toContain('renegotiated 1');
  });

  it('a client that does not renegotiate answers a HelloRequest with no_renegotiation', async () => {
    const [c, s] = configs('refuse', 'secure');
    const r = await runInMemory(c, s, {}, { renegotiations: ['server'] });
    expect(r.server.connected).toBe(true);
    expect(r.server.warningsReceived.map((a) => a.description)).toEqual([AlertDescription.no_renegotiation]);
    expect(r.server.renegotiations).toBe(0);
  });

  it('without secure renegotiation in the first handshake, a secure-only server refuses (RFC 5746 §4.4) and a legacy one renegotiates', async () => {
    const [c, s] = configs('legacy', 'secure');
    const refused = await runInMemory(c, s, { client: unupgradedClient() }, { renegotiations: ['client'] });
    expect(refused.server.secureRenegotiationEstablished).toBe(false);
    expect(refused.client.secureRenegotiationEstablished).toBe(false);
    expect(refused.client.warningsReceived.map((a) => a.description)).toEqual([AlertDescription.no_renegotiation]);
    const [c2, s2] = configs('legacy', 'legacy');
    const done = await runInMemory(c2, s2, { client: unupgradedClient() }, { renegotiations: ['client'] });
    expect(done.server.renegotiations).toBe(1);
    // neither hello of the legacy renegotiation carries renegotiation_info or the SCSV
    const h = hellos(done.transcript);
    expect(h.ch[1]).toMatchObject({ scsv: false });
    expect(h.ch[1]?.ri).toBeUndefined();
    expect(h.sh[1]?.ri).toBeUndefined();
  });

  it('renegotiate() refuses a connection without secure renegotiation unless legacy', async () => {
    const [c, s] = configs('secure', 'secure');
    const r = await runInMemory(c, s, {}, {});
    expect(r.client.secureRenegotiationEstablished).toBe(true);
    const [c2, s2] = configs('refuse', 'refuse');
    const r2 = await runInMemory(c2, s2, {}, {});
    await expect(r2.client.renegotiate()).rejects.toThrow(/refuse/);
    await expect(r2.server.requestRenegotiation()).rejects.toThrow(/refuse/);
  });
});

describe('RFC 5746 checks of the renegotiation hellos', () => {
  it.each([
    ['renegotiation_info missing (§3.7)', () => ({ ri: null })],
    ['renegotiation_info empty (§3.7)', () => ({ ri: new Uint8Array(0) })],
    ['renegotiation_info not the client verify_data (§3.7)', (ri?: Uint8Array) => ({ ri: ri!.map((b) => b ^ 1) })],
    [
      'SCSV in a secure renegotiation (§3.7)',
      (_ri?: Uint8Array, suites?: number[]) => ({ suites: [...suites!, SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV] }),
    ],
  ])('the server aborts with handshake_failure: %s', async (_name, change) => {
    const [c, s] = configs('secure', 'secure');
    const r = await runInMemory(c, s, { client: sendHello('client_hello', change) }, { renegotiations: ['client'] });
    expect(r.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.handshake_failure } });
  });

  it.each([
    ['renegotiation_info missing (§3.5)', () => ({ ri: null })],
    ['only the client verify_data (§3.5)', (ri?: Uint8Array) => ({ ri: ri!.subarray(0, 12) })],
    ['server half wrong (§3.5)', (ri?: Uint8Array) => ({ ri: ri!.map((b, i) => (i >= 12 ? b ^ 1 : b)) })],
  ])('the client aborts with handshake_failure: %s', async (_name, change) => {
    const [c, s] = configs('secure', 'secure');
    const r = await runInMemory(c, s, { server: sendHello('server_hello', change) }, { renegotiations: ['server'] });
    expect(r.clientOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.handshake_failure } });
  });

  it('legacy renegotiation: the SCSV (an upgraded client, §4.2) or renegotiation_info in the ClientHello is refused by the server (§4.4)', async () => {
    const [c, s] = configs('legacy', 'legacy');
    // the first ClientHello without renegotiation_info: the client's renegotiation then carries the SCSV (§4.2)
    const scsv = await runInMemory(
      c,
      s,
      { client: unupgradedClient({ renegotiation: 'as-is' }) },
      { renegotiations: ['client'] },
    );
    expect(hellos(scsv.transcript).ch[1]).toMatchObject({ scsv: true });
    expect(scsv.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.handshake_failure } });
    const ri = await runInMemory(c, s, { client: unupgradedClient({ renegotiation: 'ri' }) }, { renegotiations: ['client'] });
    expect(ri.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.handshake_failure } });
  });

  it('legacy renegotiation: renegotiation_info in the ServerHello is refused by the client (§4.2)', async () => {
    const [c, s] = configs('legacy', 'legacy');
    const serverRi = sendHello('server_hello', () => ({ ri: new Uint8Array(24) }));
    const r = await runInMemory(c, s, { client: unupgradedClient(), server: serverRi }, { renegotiations: ['client'] });
    expect(r.clientOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.handshake_failure } });
  });

  it('a TLS 1.3 ServerHello in a renegotiation is protocol_version (RFC 8446 §4.1.3); the server keeps TLS 1.2 (§4.1.2)', async () => {
    const [c, s] = configs('secure', 'secure', { server: { versions: [VERSION_CODE['1.3'], V12] } });
    // the renegotiating ClientHello offers TLS 1.3 too: the server must still answer TLS 1.2
    const offer13: EngineHooks = {
      beforeSend(msg) {
        if (msg.type !== 'client_hello' || !msg.handshake) return undefined;
        const b = decodeHandshake(msg.raw, {}).message.body;
        if (b.type !== 'client_hello') return undefined;
        return [
          encodeBody({
            ...b,
            extensions: [
              ...(b.extensions ?? []),
              {
                type: ExtensionType.supported_versions,
                body: { kind: 'supported_versions_client', versions: [VERSION_CODE['1.3'], V12] },
              },
            ],
          }),
        ];
      },
    };
    const r = await runInMemory(c, s, { client: offer13 }, { renegotiations: ['client'] });
    expect(r.server.renegotiations).toBe(1);
    expect(r.server.outcome).toMatchObject({ kind: 'connected', session: { version: V12 } });
    // and a server answering with supported_versions (TLS 1.3) is refused by the client
    const sh13: EngineHooks = {
      beforeSend(msg) {
        if (msg.type !== 'server_hello' || !msg.handshake) return undefined;
        const b = decodeHandshake(msg.raw, { version: V12 }).message.body;
        if (b.type !== 'server_hello') return undefined;
        return [
          encodeBody({
            ...b,
            extensions: [
              ...(b.extensions ?? []),
              {
                type: ExtensionType.supported_versions,
                body: { kind: 'supported_versions_server', version: VERSION_CODE['1.3'] },
              },
            ],
          }),
        ];
      },
    };
    const r2 = await runInMemory(c, s, { server: sh13 }, { renegotiations: ['client'] });
    expect(r2.clientOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.protocol_version } });
  });

  /** A hook that leaves encrypt_then_mac out of the `type` hellos of one handshake (0: the initial one, 1: the renegotiation). */
  const withoutEtm = (type: 'client_hello' | 'server_hello', handshake: number): EngineHooks => ({
    beforeSend(msg) {
      if (msg.type !== type || (msg.handshake ?? 0) !== handshake) return undefined;
      const b = decodeHandshake(msg.raw, { version: V12 }).message.body;
      if (b.type !== 'client_hello' && b.type !== 'server_hello') return undefined;
      return [encodeBody({ ...b, extensions: (b.extensions ?? []).filter((e) => e.type !== ExtensionType.encrypt_then_mac) })];
    },
  });
  const etmIn = (t: Transcript) =>
    t.messages
      .filter((m) => m.decoded?.body.type === 'server_hello')
      .map((m) => {
        const b = m.decoded!.body;
        return b.type === 'server_hello' && (b.extensions ?? []).some((e) => e.type === ExtensionType.encrypt_then_mac);
      });

  it('RFC 7366 §3.1: no downgrade from encrypt-then-MAC (either side refuses with handshake_failure); an upgrade goes', async () => {
    const [c, s] = configs('secure', 'secure');
    // the renegotiating ClientHello drops encrypt_then_mac (CBC suite only): the server refuses
    const noEtmCh = await runInMemory(c, s, { client: withoutEtm('client_hello', 1) }, { renegotiations: ['client'] });
    expect(noEtmCh.serverOutcome).toMatchObject({
      kind: 'alert_sent',
      alert: { description: AlertDescription.handshake_failure },
    });
    // the renegotiating ServerHello drops it although the client offered it: the client refuses
    const noEtmSh = await runInMemory(c, s, { server: withoutEtm('server_hello', 1) }, { renegotiations: ['client'] });
    expect(noEtmSh.clientOutcome).toMatchObject({
      kind: 'alert_sent',
      alert: { description: AlertDescription.handshake_failure },
    });
    // MAC-then-encrypt first, encrypt-then-MAC in the renegotiation: "Upgrade to Encrypt-then-MAC" (Table 1)
    const up = await runInMemory(c, s, { client: withoutEtm('client_hello', 0) }, { renegotiations: ['client'] });
    expect(up.server.renegotiations).toBe(1);
    expect(etmIn(up.transcript)).toEqual([false, true]);
  });

  it('RFC 5246 §6.2.1: application data woven into a renegotiation before the ChangeCipherSpec is read; between it and the Finished it is unexpected_message', async () => {
    const [c, s] = configs('secure', 'secure');
    const dataBefore = (type: string): EngineHooks => ({
      async beforeSend(msg) {
        if (msg.type !== type || !msg.handshake || !msg.sendRecord) return undefined;
        await msg.sendRecord(ContentType.application_data, new TextEncoder().encode('woven'));
        return undefined;
      },
    });
    for (const type of ['client_key_exchange', 'change_cipher_spec']) {
      const r = await runInMemory(c, s, { client: dataBefore(type) }, { renegotiations: ['client'] });
      expect({ type, renegotiations: r.server.renegotiations }).toEqual({ type, renegotiations: 1 });
    }
    const late = await runInMemory(c, s, { client: dataBefore('finished') }, { renegotiations: ['client'] });
    expect(late.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.unexpected_message } });
  });
});
