/**
 * RFC 6066 §4 max_fragment_length in both roles and RFC 7507
 * TLS_FALLBACK_SCSV on the server.
 */
import { nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import type { Transcript } from '../transcript/model';
import { decodeHandshake, encodeHandshake } from '../wire/handshake';
import { AlertDescription, ExtensionType, SCSV } from '../wire/registry';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { runInMemory } from './memory';
import { describeOutcome } from './types';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const V = { '1.2': 0x0303, '1.3': 0x0304 } as const;
const client = (versions: number[], extra: Partial<ClientConfig> = {}): ClientConfig => ({
  provider: p,
  versions,
  serverName: SERVER_NAME,
  trustAnchors: pki.anchors,
  ...extra,
});
const server = (versions: number[], extra: Partial<ServerConfig> = {}): ServerConfig => ({
  provider: p,
  versions,
  identity: pki.identity('server', 'rsa'),
  trustAnchors: pki.anchors,
  ...extra,
});

/** Plaintext fragment sizes of the records after the ServerHello's record. */
function sizesAfterServerHello(t: Transcript): number[] {
  const sh = t.messages.find((m) => m.type === 'server_hello')?.records?.[0] ?? 0;
  return t.records.filter((r) => r.index > sh).map((r) => (r.plaintext ? r.plaintext.fragment.length : r.raw.length - 5));
}

describe('max_fragment_length (RFC 6066 §4)', () => {
  it.each([
    ['1.2', 1],
    ['1.3', 1],
    ['1.2', 3],
    ['1.3', 2],
  ] as const)(
    'TLS %s, code %i: echoed, every later record keeps to the limit, data of any size still arrives, the oracles pass rec.mfl-enforced',
    async (version, code) => {
      const limit = 1 << (8 + code);
      const big = new Uint8Array(3 * limit + 17).map((_, i) => i & 0xff);
      const r = await runInMemory(
        client([V[version]], { maxFragmentLength: code, identity: pki.identity('client', 'rsa') }),
        server([V[version]], { maxFragmentLength: true, clientAuth: 'require' }),
        {},
        { appData: { client: big, server: big }, closeNotify: true },
      );
      const co = r.clientOutcome;
      const so = r.serverOutcome;
      if (co.kind !== 'closed' || so.kind !== 'closed')
        throw new Error(`client ${describeOutcome(co)}; server ${describeOutcome(so)}`);
      expect([co.session?.maxFragmentLength, so.session?.maxFragmentLength]).toEqual([code, code]);
      const sizes = sizesAfterServerHello(r.transcript);
      expect(Math.max(...sizes)).toBe(limit); // the RSA certificate and the data were split at exactly the limit
      expect(Buffer.concat(r.received.server.map((x) => Buffer.from(x)))).toEqual(Buffer.from(big));
      expect(Buffer.concat(r.received.client.map((x) => Buffer.from(x)))).toEqual(Buffer.from(big));
      const v = await checkTranscript(r.transcript, { trustAnchors: pki.anchors, at: new Date() });
      expect(v.verdicts.filter((x) => x.status === 'violation').map((x) => `${x.rule}: ${x.detail}`)).toEqual([]);
      expect(
        v.verdicts.filter((x) => x.rule === 'rec.mfl-enforced' || x.rule === 'ext.mfl.values').map((x) => [x.rule, x.status]),
      ).toEqual(
        expect.arrayContaining([
          ['rec.mfl-enforced', 'pass'],
          ['ext.mfl.values', 'pass'],
        ]),
      );
    },
  );

  it('a server that does not honour it (the default) ignores the request: no echo, full-size records', async () => {
    const r = await runInMemory(
      client([0x0303], { maxFragmentLength: 1 }),
      server([0x0303]),
      {},
      { appData: { server: new Uint8Array(2000) } },
    );
    if (r.clientOutcome.kind !== 'connected') throw new Error(describeOutcome(r.clientOutcome));
    expect(r.clientOutcome.session.maxFragmentLength).toBeUndefined();
    expect(Math.max(...sizesAfterServerHello(r.transcript))).toBeGreaterThan(512);
  });

  /** Server hook: a max_fragment_length with `value` put into the ServerHello. */
  const echo = (value: number): EngineHooks => ({
    beforeSend(m) {
      if (m.type !== 'server_hello') return undefined;
      const d = decodeHandshake(m.raw, { version: 0x0303 });
      const b = d.message.body;
      if (b.type !== 'server_hello') return undefined;
      b.extensions = [
        ...(b.extensions ?? []).filter((e) => e.type !== ExtensionType.max_fragment_length),
        { type: ExtensionType.max_fragment_length, body: { kind: 'max_fragment_length', value } },
      ];
      return [encodeHandshake(d.message)];
    },
  });

  it('the client refuses an echo of another value (illegal_parameter)', async () => {
    const r = await runInMemory(client([0x0303], { maxFragmentLength: 2 }), server([0x0303], { maxFragmentLength: true }), {
      server: echo(3),
    });
    const o = r.clientOutcome;
    if (o.kind !== 'alert_sent') throw new Error(describeOutcome(o));
    expect(o.alert.description).toBe(AlertDescription.illegal_parameter);
  });

  it('after the echo a record over the limit is record_overflow (a server that echoes but does not fragment)', async () => {
    const r = await runInMemory(client([0x0303], { maxFragmentLength: 1 }), server([0x0303]), { server: echo(1) });
    const o = r.clientOutcome;
    if (o.kind !== 'alert_sent') throw new Error(describeOutcome(o));
    expect(o.alert.description).toBe(AlertDescription.record_overflow);
    expect(o.state).toBe('WAIT_CERTIFICATE');
  });

  it('the server refuses a value outside 1..4 with illegal_parameter', async () => {
    const bad: EngineHooks = {
      beforeSend(m) {
        if (m.type !== 'client_hello') return undefined;
        const d = decodeHandshake(m.raw, { version: 0x0303 });
        const b = d.message.body;
        if (b.type === 'client_hello')
          b.extensions = [
            ...(b.extensions ?? []),
            { type: ExtensionType.max_fragment_length, body: { kind: 'max_fragment_length', value: 5 } },
          ];
        return [encodeHandshake(d.message)];
      },
    };
    const r = await runInMemory(client([0x0303]), server([0x0303], { maxFragmentLength: true }), { client: bad });
    const o = r.serverOutcome;
    if (o.kind !== 'alert_sent') throw new Error(describeOutcome(o));
    expect(o.alert.description).toBe(AlertDescription.illegal_parameter);
  });
});

describe('TLS_FALLBACK_SCSV (RFC 7507) on the server', () => {
  const withScsv: EngineHooks = {
    beforeSend(m) {
      if (m.type !== 'client_hello') return undefined;
      const d = decodeHandshake(m.raw, { version: 0x0303 });
      if (d.message.body.type === 'client_hello') d.message.body.cipherSuites.push(SCSV.TLS_FALLBACK_SCSV);
      return [encodeHandshake(d.message)];
    },
  };

  it('a TLS 1.2-only ClientHello with the SCSV to a TLS 1.3 server is refused with inappropriate_fallback', async () => {
    const r = await runInMemory(client([0x0303]), server([0x0304, 0x0303]), { client: withScsv });
    const o = r.serverOutcome;
    if (o.kind !== 'alert_sent') throw new Error(describeOutcome(o));
    expect(o.alert.description).toBe(AlertDescription.inappropriate_fallback);
    expect(r.transcript.messages.filter((m) => m.dir === 'S->C').map((m) => m.type)).toEqual(['alert']);
    expect(r.clientOutcome).toMatchObject({
      kind: 'alert_received',
      alert: { description: AlertDescription.inappropriate_fallback },
    });
  });

  it.each([
    ['the server has nothing higher (TLS 1.2 only)', [0x0303], [0x0303], 0x0303],
    ['the client offers TLS 1.3 in supported_versions', [0x0304, 0x0303], [0x0304, 0x0303], 0x0304],
  ])('no refusal when %s', async (_n, cv, sv, version) => {
    const r = await runInMemory(client(cv), server(sv), { client: withScsv });
    if (r.serverOutcome.kind !== 'connected') throw new Error(describeOutcome(r.serverOutcome));
    expect(r.serverOutcome.session.version).toBe(version);
  });
});
