/**
 * A TLS 1.2 HelloRequest to an endpoint that does not renegotiate (RFC 5246 §7.4.1.1) and a renegotiating
 * ClientHello (§7.2.2 no_renegotiation), and the answer to the peer's close_notify (RFC 5246 §7.2.1, RFC 8446 §6.1).
 */
import { nodeProvider } from '../crypto';
import { encodeBody } from '../wire/handshake';
import { AlertDescription, AlertLevel, ContentType } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { TlsClient } from './client';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { runInMemory } from './memory';
import { TlsServer } from './server';
import type { WireRecord } from './types';

const p = nodeProvider();
const V12 = VERSION_CODE['1.2'];
const V13 = VERSION_CODE['1.3'];
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

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
  ...extra,
});
const HELLO_REQUEST = encodeBody({ type: 'hello_request' });
const bytes = (recs: readonly WireRecord[]) => Buffer.concat(recs.map((r) => r.raw));

/** Server hook: a HelloRequest record (under the keys in use) ahead of the first message of `type`. */
function helloRequestBefore(type: string): EngineHooks {
  let done = false;
  return {
    beforeSend: async (m) => {
      if (!done && m.type === type) {
        done = true;
        await m.sendRecord?.(ContentType.handshake, HELLO_REQUEST);
      }
      return undefined;
    },
  };
}

describe('HelloRequest (RFC 5246 §7.4.1.1)', () => {
  it('after the handshake our client answers with the warning no_renegotiation and stays connected', async () => {
    const r = await runInMemory(
      client([V12]),
      server([V12]),
      { server: helloRequestBefore('application_data') },
      { appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) } },
    );
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
    expect(r.server.warningsReceived).toEqual([{ level: AlertLevel.warning, description: AlertDescription.no_renegotiation }]);
    expect(r.received.client.map((d) => [...d])).toEqual([[2]]);
    // the connection goes on
    const more = await r.client.sendApplicationData(Uint8Array.of(3));
    expect((await r.server.receive(bytes(more))).appData.map((d) => [...d])).toEqual([[3]]);
  });

  it("with helloRequest: 'ignore' it is dropped without an answer", async () => {
    const r = await runInMemory(
      client([V12], { helloRequest: 'ignore' }),
      server([V12]),
      { server: helloRequestBefore('application_data') },
      { appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) } },
    );
    expect(r.clientOutcome.kind).toBe('connected');
    expect(r.server.warningsReceived).toEqual([]);
  });

  it('during the handshake it is ignored, and not hashed into the Finished', async () => {
    const r = await runInMemory(client([V12]), server([V12]), { server: helloRequestBefore('certificate') });
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
    expect(r.server.warningsReceived).toEqual([]);
  });

  it('a TLS 1.3 client refuses it (no such message in TLS 1.3)', async () => {
    const r = await runInMemory(client([V13]), server([V13]), { server: helloRequestBefore('certificate') });
    expect(r.clientOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.unexpected_message } });
  });

  it('a TLS 1.2 server answers a renegotiating ClientHello with no_renegotiation (RFC 5246 §7.2.2) and stays connected', async () => {
    // a second client's ClientHello, sent on the established connection under the client's keys
    const again = new TlsClient(client([V12]));
    const ch = (await again.start()).send[0]!.raw.subarray(5);
    const hooks: EngineHooks = {
      beforeSend: async (m) => {
        if (m.kind === 'application_data') await m.sendRecord?.(ContentType.handshake, ch);
        return undefined;
      },
    };
    const c = new TlsClient({ ...client([V12]), hooks });
    const s = new TlsServer(server([V12]));
    let toServer = (await c.start()).send;
    while (!c.connected || !s.connected) {
      const res = await s.receive(bytes(toServer));
      toServer = (await c.receive(bytes(res.send))).send;
      if (c.terminal || s.terminal) throw new Error('handshake failed');
    }
    const res = await s.receive(bytes(await c.sendApplicationData(Uint8Array.of(9))));
    expect(s.connected).toBe(true);
    expect(res.appData.map((d) => [...d])).toEqual([[9]]);
    const back = await c.receive(bytes(res.send));
    expect(c.warningsReceived).toEqual([{ level: AlertLevel.warning, description: AlertDescription.no_renegotiation }]);
    expect(back.outcome.kind).toBe('connected');
  });
});

describe("the peer's close_notify is answered (RFC 5246 §7.2.1, RFC 8446 §6.1)", () => {
  it.each([
    ['TLS 1.2', V12],
    ['TLS 1.3', V13],
  ])('%s: our client answers the server close_notify once, and close() adds nothing', async (_n, v) => {
    const r = await runInMemory(client([v]), server([v]));
    const res = await r.client.receive(bytes(await r.server.close()));
    expect(res.outcome.kind).toBe('closed');
    const alerts = res.send.filter((x) => x.plaintext?.contentType === ContentType.alert);
    expect(alerts.map((x) => [...x.plaintext!.fragment])).toEqual([[AlertLevel.warning, AlertDescription.close_notify]]);
    expect(await r.client.close()).toEqual([]);
    // the server takes the answer as the end of the connection and sends nothing more
    const end = await r.server.receive(bytes(res.send));
    expect(end.send).toEqual([]);
    expect(r.server.outcome.kind).toBe('closed');
  });

  it('no close_notify after a fatal alert either way', async () => {
    const r = await runInMemory(client([V13]), server([V12]));
    expect(r.clientOutcome.kind).toBe('alert_received');
    expect(await r.client.close()).toEqual([]);
    expect(await r.server.close()).toEqual([]);
  });

  it('TLS 1.3 with halfClose: the endpoint still sends after the peer closed, then answers with close()', async () => {
    const r = await runInMemory(client([V13]), server([V13], { halfClose: true }));
    const res = await r.server.receive(bytes(await r.client.close()));
    expect(res.send).toEqual([]);
    expect(r.server.halfOpen).toBe(true);
    const data = await r.server.sendApplicationData(Uint8Array.of(4, 2));
    const got = await r.client.receive(bytes([...data, ...(await r.server.close())]));
    expect(got.appData.map((d) => [...d])).toEqual([[4, 2]]);
    expect(r.server.halfOpen).toBe(false);
    expect(r.client.outcome.kind).toBe('closed');
  });

  it('TLS 1.2 ignores halfClose: the answer is immediate (RFC 5246 §7.2.1)', async () => {
    const r = await runInMemory(client([V12]), server([V12], { halfClose: true }));
    const res = await r.server.receive(bytes(await r.client.close()));
    expect(res.send).toHaveLength(1);
    expect(r.server.halfOpen).toBe(false);
  });
});
