/**
 * RFC 8446 §5: an unprotected ChangeCipherSpec (the single byte 0x01) received
 * any time after the first ClientHello was sent and before the peer's
 * Finished is dropped. Our client drops one that arrives before the
 * ServerHello when TLS 1.3 is the only version it offered; when it also
 * offered TLS 1.2 it may still negotiate 1.2, where a CCS before the
 * ServerHello is the early CCS of CVE-2014-0224, so it keeps rejecting it
 * (see TlsClient.onlyTls13Pending). A CCS of another value stays fatal.
 */
import { nodeProvider } from '../crypto';
import { encodeRecord } from '../wire/record';
import { AlertDescription } from '../wire/registry';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { runInMemory } from './memory';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

/** Server hooks: a plaintext CCS record with `fragment` right before the record carrying the ServerHello. */
function ccsBeforeServerHello(fragment: Uint8Array): EngineHooks {
  let done = false;
  return {
    beforeSendRecord: (r) => {
      if (done || r.plaintext || r.raw[0] !== 22 || r.raw[5] !== 2) return undefined;
      done = true;
      return [{ side: r.side, raw: encodeRecord({ contentType: 20, version: 0x0303, fragment }) }, r];
    },
  };
}

function configs(clientVersions: number[], serverVersions: number[]): { client: ClientConfig; server: ServerConfig } {
  return {
    client: { provider: p, versions: clientVersions, serverName: SERVER_NAME, trustAnchors: pki.anchors },
    server: { provider: p, versions: serverVersions, identity: pki.identity('server', 'rsa') },
  };
}

describe('ChangeCipherSpec before the ServerHello, at our client', () => {
  it('TLS 1.3 only offered: a dummy CCS (0x01) is dropped and the handshake completes', async () => {
    const { client, server } = configs([0x0304], [0x0304, 0x0303]);
    const r = await runInMemory(
      client,
      server,
      { server: ccsBeforeServerHello(Uint8Array.of(1)) },
      { appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) } },
    );
    expect(r.clientOutcome.kind).toBe('connected');
    expect(r.serverOutcome.kind).toBe('connected');
    const sent = r.transcript.records.filter((x) => x.dir === 'S->C').map((x) => x.raw[0]);
    expect(sent.slice(0, 2)).toEqual([20, 22]);
  });

  it('TLS 1.3 only offered: a CCS of another value is fatal (unexpected_message)', async () => {
    const { client, server } = configs([0x0304], [0x0304]);
    const r = await runInMemory(client, server, { server: ccsBeforeServerHello(Uint8Array.of(2)) });
    expect(r.clientOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.unexpected_message } });
  });

  it.each([
    ['1.3 and 1.2 offered, 1.3 would be negotiated', [0x0304, 0x0303], [0x0304, 0x0303]],
    ['1.3 and 1.2 offered, 1.2 would be negotiated', [0x0304, 0x0303], [0x0303]],
    ['1.2 only', [0x0303], [0x0303]],
  ])('TLS %s: still rejected with unexpected_message (TLS 1.2 may be negotiated)', async (_name, cv, sv) => {
    const { client, server } = configs(cv, sv);
    const r = await runInMemory(client, server, { server: ccsBeforeServerHello(Uint8Array.of(1)) });
    expect(r.clientOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.unexpected_message } });
  });
});

describe('TLS 1.2, our server waiting for the client ChangeCipherSpec', () => {
  it('a handshake record instead is unexpected_message at once, before the length its header claims has arrived', async () => {
    const { client, server } = configs([0x0303], [0x0303]);
    // drop our CCS; the record that would carry our (encrypted) Finished goes out as plaintext with a 64 KiB header length (the rest never comes)
    const hooks: EngineHooks = {
      beforeSend: (m) => (m.type === 'change_cipher_spec' ? [] : undefined),
      beforeSendRecord: (r) =>
        r.plaintext?.contentType === 22 && r.plaintext.fragment[0] === 20
          ? [
              {
                side: r.side,
                raw: encodeRecord({ contentType: 22, version: 0x0303, fragment: Uint8Array.of(0x63, 0x00, 0xff, 0x00, 0, 0) }),
              },
            ]
          : undefined,
    };
    const r = await runInMemory(client, server, { client: hooks });
    expect(r.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.unexpected_message } });
  });
});
