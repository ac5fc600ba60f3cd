/**
 * TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2) in both roles, in memory: the client offers
 * post_handshake_auth, the server sends a CertificateRequest with a fresh context after the handshake, the client
 * answers Certificate / CertificateVerify / Finished under its application keys (also after a KeyUpdate and a
 * HelloRetryRequest), the server verifies them; an empty Certificate, a client that did not offer the extension
 * (unexpected_message), a context mismatch (illegal_parameter). The transcripts are judged by the oracles.
 */
import { nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import { TranscriptBuilder } from '../transcript/build';
import type { Direction, Transcript } from '../transcript/model';
import { formatKeyLog } from '../crypto';
import { concatBytes } from '../wire/hex';
import { decodeHandshake, encodeBody } from '../wire/handshake';
import { AlertDescription, NamedGroup } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { TlsClient } from './client';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { TlsServer } from './server';
import type { WireRecord } from './types';

const p = nodeProvider();
const enc = new TextEncoder();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki(Date.now(), p);
});

const V13 = [VERSION_CODE['1.3']];

/** Two endpoints in memory, their records kept for a transcript. */
class Pair {
  readonly builder = new TranscriptBuilder({ kind: 'generated' });
  constructor(
    readonly client: TlsClient,
    readonly server: TlsServer,
  ) {}
  private log(dir: Direction, recs: readonly WireRecord[]) {
    for (const r of recs) this.builder.addRecord(r.plaintext ? { dir, raw: r.raw, plaintext: r.plaintext } : { dir, raw: r.raw });
  }
  async pump(toServer: WireRecord[], toClient: WireRecord[]): Promise<void> {
    for (let i = 0; i < 32 && (toServer.length || toClient.length); i++) {
      if (toServer.length) {
        this.log('C->S', toServer);
        const bytes = concatBytes(toServer.map((r) => r.raw));
        toServer = [];
        if (!this.server.terminal) toClient.push(...(await this.server.receive(bytes)).send);
      }
      if (toClient.length) {
        this.log('S->C', toClient);
        const bytes = concatBytes(toClient.map((r) => r.raw));
        toClient = [];
        if (!this.client.terminal) toServer.push(...(await this.client.receive(bytes)).send);
      }
    }
  }
  transcript(): Transcript {
    const keylog = formatKeyLog(this.client.keylog)
      .split('\n')
      .filter((l) => l !== '');
    return this.builder.finish({ client: 'memory:client', server: 'memory:server', secrets: { keylog, ephemeral: [] } });
  }
}

async function connect(c: Partial<ClientConfig>, s: Partial<ServerConfig>, hooks: EngineHooks = {}): Promise<Pair> {
  const client = new TlsClient({
    provider: p,
    versions: V13,
    serverName: SERVER_NAME,
    trustAnchors: pki.anchors,
    identity: pki.identity('client', 'ecdsa'),
    postHandshakeAuth: true,
    hooks,
    ...c,
  });
  const server = new TlsServer({
    provider: p,
    versions: V13,
    identity: pki.identity('server', 'rsa'),
    trustAnchors: pki.anchors,
    ...s,
  });
  const pair = new Pair(client, server);
  await pair.pump((await client.start()).send, (await server.start()).send);
  expect([client.connected, server.connected]).toEqual([true, true]);
  return pair;
}

async function judged(pair: Pair): Promise<string[]> {
  return (await verdictsOf(pair)).filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`);
}

async function verdictsOf(pair: Pair) {
  return (await checkTranscript(pair.transcript(), { trustAnchors: pki.anchors, judgeReactions: false })).verdicts;
}

describe('post-handshake client authentication', () => {
  it('the server asks after the handshake, the client authenticates under its application keys, data flows on', async () => {
    const pair = await connect({}, {});
    const { client, server } = pair;
    // no certificate asked for in the handshake
    expect(pair.transcript().messages.filter((m) => m.type === 'certificate' && m.dir === 'C->S')).toEqual([]);
    await pair.pump([], await server.requestPostHandshakeAuth());
    expect([client.postHandshakeAuths, server.postHandshakeAuths]).toEqual([1, 1]);
    expect(server.outcome.kind === 'connected' && server.outcome.session.peerCertificates).toEqual(
      pki.identity('client', 'ecdsa').chain,
    );
    await pair.pump(await client.sendApplicationData(enc.encode('after')), await server.sendApplicationData(enc.encode('too')));
    expect([client.connected, server.connected]).toEqual([true, true]);
    const t = pair.transcript();
    const after = t.messages.filter((m) => m.encrypted && m.kind === 'handshake').map((m) => `${m.dir} ${m.type}`);
    expect(after.slice(-4)).toEqual(['S->C certificate_request', 'C->S certificate', 'C->S certificate_verify', 'C->S finished']);
    expect(await judged(pair)).toEqual([]);
  });

  it('twice, after a KeyUpdate, and after a HelloRetryRequest (the context starts with message_hash)', async () => {
    const pair = await connect(
      { groups: [NamedGroup.secp256r1, NamedGroup.x25519], keyShareGroups: [NamedGroup.secp256r1] },
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1], helloRetryForPreferredGroup: true },
    );
    const { client, server } = pair;
    expect(pair.transcript().messages.filter((m) => m.type === 'client_hello')).toHaveLength(2);
    await pair.pump([], await server.requestPostHandshakeAuth());
    await pair.pump(await client.keyUpdate(true), []);
    await pair.pump([], await server.requestPostHandshakeAuth());
    expect([client.postHandshakeAuths, server.postHandshakeAuths]).toEqual([2, 2]);
    expect([client.connected, server.connected]).toEqual([true, true]);
    // both Finished recomputed by the oracles, the second under client_application_traffic_secret_1
    const fins = (await verdictsOf(pair)).filter((v) => v.rule === 't13.pha.finished');
    expect(fins.map((v) => v.status)).toEqual(['pass', 'pass']);
    expect(fins[1]?.detail).toContain('client_application_traffic_secret_1');
    expect(await judged(pair)).toEqual([]);
  });

  it('a client without a certificate answers an empty Certificate and a Finished (no CertificateVerify)', async () => {
    const pair = await connect({ identity: undefined }, {});
    await pair.pump([], await pair.server.requestPostHandshakeAuth());
    expect([pair.client.postHandshakeAuths, pair.server.postHandshakeAuths]).toEqual([1, 1]);
    expect(pair.server.connected).toBe(true);
    const types = pair
      .transcript()
      .messages.filter((m) => m.dir === 'C->S' && m.kind === 'handshake')
      .map((m) => m.type);
    expect(types.slice(-2)).toEqual(['certificate', 'finished']);
    expect(await judged(pair)).toEqual([]);
  });

  it('a client that did not offer post_handshake_auth answers an unsolicited CertificateRequest with unexpected_message', async () => {
    const pair = await connect({ postHandshakeAuth: false }, {});
    await expect(pair.server.requestPostHandshakeAuth()).rejects.toThrow(/did not offer post_handshake_auth/);
    await pair.pump([], await pair.server.requestPostHandshakeAuth({ unsolicited: true }));
    expect(pair.client.outcome).toMatchObject({
      kind: 'alert_sent',
      alert: { description: AlertDescription.unexpected_message },
    });
    expect(await judged(pair)).toContain(
      't13.order.post-handshake: Post-handshake CertificateRequest although the client did not offer post_handshake_auth.',
    );
  });

  it('a Certificate whose context differs from the request is illegal_parameter', async () => {
    let pha = false;
    const hooks: EngineHooks = {
      beforeSend: (m) => {
        if (m.type !== 'certificate' || pha) return undefined;
        pha = true;
        const { body } = decodeHandshake(m.raw, { version: VERSION_CODE['1.3'] }).message;
        return body.type === 'certificate' && body.form === 'tls13'
          ? [encodeBody({ ...body, context: Uint8Array.of(1, 2, 3) })]
          : undefined;
      },
    };
    const pair = await connect({}, {}, hooks);
    await pair.pump([], await pair.server.requestPostHandshakeAuth());
    expect(pair.server.outcome).toMatchObject({
      kind: 'alert_sent',
      alert: { description: AlertDescription.illegal_parameter },
    });
  });
});
