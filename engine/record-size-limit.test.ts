/**
 * RFC 8449 record_size_limit in both roles and both versions: offered and answered (TLS 1.2 ServerHello, TLS 1.3
 * EncryptedExtensions), each side's protected records kept within the other's limit (TLS 1.3 counting the content
 * type byte), unprotected records not limited, a max_fragment_length beside it ignored by the server, a value below
 * 64 refused with illegal_parameter, and a record over our limit refused with record_overflow.
 */
import { formatKeyLog, nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import { TranscriptBuilder } from '../transcript/build';
import type { Direction, TranscriptRecord } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import { concatBytes } from '../wire/hex';
import { AlertDescription, ContentType, ExtensionType, HandshakeType } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { TlsClient } from './client';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { runInMemory } from './memory';
import { TlsServer } from './server';
import { CipherSuite12, CipherSuite13 } from './suites';
import type { WireRecord } from './types';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki(Date.now(), p);
});

const BIG = new Uint8Array(3000).fill(0x61);
const V = { '1.2': VERSION_CODE['1.2'], '1.3': VERSION_CODE['1.3'] } as const;
const SUITE = { '1.2': CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, '1.3': CipherSuite13.TLS_AES_128_GCM_SHA256 };

function configs(version: '1.2' | '1.3', client?: number, server?: number): { c: ClientConfig; s: ServerConfig } {
  return {
    c: {
      provider: p,
      versions: [V[version]],
      cipherSuites: [SUITE[version]],
      serverName: SERVER_NAME,
      trustAnchors: pki.anchors,
      ...(client !== undefined ? { recordSizeLimit: client } : {}),
    },
    s: {
      provider: p,
      versions: [V[version]],
      cipherSuites: [SUITE[version]],
      identity: pki.identity('server', 'rsa'),
      ...(server !== undefined ? { recordSizeLimit: server } : {}),
    },
  };
}

/** The size RFC 8449 limits of each readable protected record: TLS 1.3 TLSInnerPlaintext, TLS 1.2 plaintext. */
function limitedSizes(records: readonly TranscriptRecord[], dir: 'C->S' | 'S->C', tls13: boolean): number[] {
  return records
    .filter((r) => r.dir === dir && r.encrypted && r.plaintext)
    .map((r) => r.plaintext!.fragment.length + (tls13 ? 1 : 0));
}

describe('record_size_limit negotiated', () => {
  it.each(['1.2', '1.3'] as const)(
    "TLS %s: each side keeps its protected records within the other side's limit",
    async (version) => {
      const { c, s } = configs(version, 256, 1000);
      const r = await runInMemory(c, s, {}, { appData: { client: BIG, server: BIG } });
      expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
      expect(r.clientOutcome.kind === 'connected' && r.clientOutcome.session.recordSizeLimit).toEqual({ ours: 256, peer: 1000 });
      expect(r.serverOutcome.kind === 'connected' && r.serverOutcome.session.recordSizeLimit).toEqual({ ours: 1000, peer: 256 });
      expect(concatBytes(r.received.server)).toEqual(BIG);
      expect(concatBytes(r.received.client)).toEqual(BIG);
      const tls13 = version === '1.3';
      const toServer = limitedSizes(r.transcript.records, 'C->S', tls13);
      const toClient = limitedSizes(r.transcript.records, 'S->C', tls13);
      expect(Math.max(...toServer)).toBe(1000);
      expect(Math.max(...toClient)).toBe(256);
      // the answer is where RFC 8449 §4 puts it
      const answer = r.transcript.messages.find((m) => m.type === (tls13 ? 'encrypted_extensions' : 'server_hello'))?.decoded
        ?.body;
      const exts = answer && 'extensions' in answer ? answer.extensions : undefined;
      expect(extensionBody(exts, ExtensionType.record_size_limit, 'record_size_limit')?.limit).toBe(1000);
      const { verdicts } = await checkTranscript(r.transcript, { trustAnchors: pki.anchors });
      expect(verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`)).toEqual([]);
      for (const rule of ['ext.rsl.value', 'rec.rsl-enforced'])
        expect([rule, verdicts.filter((v) => v.rule === rule).map((v) => v.status)]).toEqual([rule, ['pass']]);
    },
  );

  it('TLS 1.3: a NewSessionTicket split over records whose second record starts with the byte 24 is not taken for a KeyUpdate', async () => {
    // a small record_size_limit splits the server's NewSessionTicket; here the split falls where the ticket_lifetime
    // 0x1818 puts the byte 24 (key_update's type) first in the second record: the oracles frame the handshake messages
    // across records (RFC 8446 §5.1), so the records after it stay under the first application traffic key
    const { c, s } = configs('1.3', 64);
    const split: EngineHooks = {
      beforeFrame: (f) =>
        f.protected && f.contentType === ContentType.handshake && f.content[0] === HandshakeType.new_session_ticket
          ? [
              { contentType: f.contentType, fragment: f.content.subarray(0, 6) },
              { contentType: f.contentType, fragment: f.content.subarray(6) },
            ]
          : undefined,
    };
    const r = await runInMemory(
      c,
      { ...s, ticketLifetime: 0x1818 },
      { server: split },
      { appData: { client: new Uint8Array(10), server: new Uint8Array(10) } },
    );
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
    const second = r.transcript.records
      .filter((x) => x.dir === 'S->C' && x.plaintext?.contentType === ContentType.handshake)
      .at(-1);
    expect(second?.plaintext?.fragment[0]).toBe(HandshakeType.key_update);
    const { verdicts } = await checkTranscript(r.transcript, { trustAnchors: pki.anchors });
    expect(verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`)).toEqual([]);
    for (const rule of ['rec.t13.keyupdate-keys', 't13.ks.key-update'])
      expect([rule, verdicts.filter((v) => v.rule === rule).map((v) => v.status)]).toEqual([rule, ['not-applicable']]);
  });

  it('TLS 1.3: a limit above 2^14+1 is not enforced beyond the protocol (records stay at most 2^14 of content)', async () => {
    const { c, s } = configs('1.3', 40000, 1 << 14);
    const r = await runInMemory(c, s, {}, { appData: { server: new Uint8Array(20000) } });
    expect(r.serverOutcome.kind === 'connected' && r.serverOutcome.session.recordSizeLimit).toEqual({
      ours: 1 << 14,
      peer: (1 << 14) + 1,
    });
    expect(Math.max(...limitedSizes(r.transcript.records, 'S->C', true))).toBe((1 << 14) + 1);
  });

  it('not negotiated unless both sides send it: records of the protocol size', async () => {
    for (const [client, server] of [
      [256, undefined],
      [undefined, 256],
    ] as const) {
      const { c, s } = configs('1.3', client, server);
      const r = await runInMemory(c, s, {}, { appData: { client: BIG, server: BIG } });
      expect(r.clientOutcome.kind === 'connected' && r.clientOutcome.session.recordSizeLimit).toBeUndefined();
      expect(Math.max(...limitedSizes(r.transcript.records, 'S->C', true))).toBe(BIG.length + 1);
    }
  });

  it('RFC 8449 §5: a server that answers record_size_limit ignores a max_fragment_length beside it', async () => {
    const { c, s } = configs('1.2', 512, 2048);
    const r = await runInMemory(
      { ...c, maxFragmentLength: 1 },
      { ...s, maxFragmentLength: true },
      {},
      { appData: { server: BIG } },
    );
    expect(r.clientOutcome.kind === 'connected' && r.clientOutcome.session).toMatchObject({
      recordSizeLimit: { ours: 512, peer: 2048 },
    });
    expect(r.clientOutcome.kind === 'connected' && r.clientOutcome.session.maxFragmentLength).toBeUndefined();
  });

  it('RFC 8449 §4: a value below 64 is illegal_parameter', async () => {
    const { c, s } = configs('1.3', 63, 1000);
    const r = await runInMemory(c, s);
    expect(r.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.illegal_parameter } });
  });
});

/** A server that ignores the client's record_size_limit once connected (a peer that breaks RFC 8449 §4). */
class IgnoringServer extends TlsServer {
  ignoreRecordLimit(): void {
    if (this.recordLimit) this.recordLimit = { ...this.recordLimit, peer: 1 << 14 };
  }
}

describe('a record over our limit', () => {
  it.each(['1.2', '1.3'] as const)(
    'TLS %s: the client answers record_overflow (RFC 8449 §4); rec.rsl-enforced names the record',
    async (version) => {
      const { c, s } = configs(version, 128, 1000);
      const client = new TlsClient(c);
      const server = new IgnoringServer(s);
      const builder = new TranscriptBuilder({ kind: 'generated' });
      const log = (dir: Direction, recs: readonly WireRecord[]) => {
        for (const r of recs) builder.addRecord(r.plaintext ? { dir, raw: r.raw, plaintext: r.plaintext } : { dir, raw: r.raw });
      };
      let toServer: WireRecord[] = (await client.start()).send;
      let toClient: WireRecord[] = (await server.start()).send;
      for (let i = 0; i < 16 && (toServer.length || toClient.length); i++) {
        if (toServer.length) {
          log('C->S', toServer);
          const res = await server.receive(concatBytes(toServer.map((x) => x.raw)));
          toServer = [];
          toClient.push(...res.send);
        }
        if (toClient.length) {
          log('S->C', toClient);
          const res = await client.receive(concatBytes(toClient.map((x) => x.raw)));
          toClient = [];
          toServer.push(...res.send);
        }
      }
      expect([client.connected, server.connected]).toEqual([true, true]);
      server.ignoreRecordLimit();
      const big = await server.sendApplicationData(new Uint8Array(500));
      log('S->C', big);
      const res = await client.receive(concatBytes(big.map((x) => x.raw)));
      expect(res.appData).toEqual([]);
      expect(client.outcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.record_overflow } });
      const keylog = formatKeyLog(client.keylog)
        .split('\n')
        .filter((l) => l !== '');
      const t = builder.finish({ client: 'memory:client', server: 'memory:server', secrets: { keylog, ephemeral: [] } });
      const { verdicts } = await checkTranscript(t, { trustAnchors: pki.anchors, judgeReactions: false });
      const v = verdicts.find((x) => x.rule === 'rec.rsl-enforced');
      expect([v?.status, v?.detail]).toEqual(['violation', expect.stringContaining("over the client's record_size_limit 128")]);
    },
  );
});
