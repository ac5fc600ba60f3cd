/**
 * The epoch of a client record follows the client's own sequence (RFC 8446 §2.3, §4.2.10): its 0-RTT records are
 * protected with client_early_traffic_secret until its EndOfEarlyData, whenever they reach the server. gnutls-cli 3.7
 * sends its early data so that it may arrive after the server's flight; a rebuilt transcript must still read it under
 * the early key (not the client handshake key), and the PSK's cipher suite (the server's choice when it accepts 0-RTT,
 * not the client's first offer) gives the early record keys.
 *
 * The records of an in-memory 0-RTT handshake are put in that order (ClientHello, the server's whole flight, then the
 * client's 0-RTT data) and rebuilt from the wire with the key log, as a capture would be.
 */
import { formatKeyLog, nodeProvider } from '../crypto';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { SERVER_NAME, type TestPki, testPki } from '../engine/fixtures';
import { runInMemory } from '../engine/memory';
import { newClientSessionStore, ServerSessionCache } from '../engine/session';
import { CipherSuite13 } from '../engine/suites';
import { buildContext } from '../oracles/context';
import { checkTranscript } from '../oracles/evaluate';
import { receiverReaction } from '../oracles/receiver';
import type { Transcript, TranscriptRecord } from '../transcript/model';
import { transcriptFromRecords } from './records';

const p = nodeProvider();
const enc = new TextEncoder();
const EARLY = enc.encode('early hello from the client');
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

/** A resumed 0-RTT handshake whose client offers AES-256-GCM-SHA384 first and whose server picks AES-128-GCM-SHA256. */
async function zeroRtt(earlyData: ServerConfig['earlyData']) {
  const store = newClientSessionStore();
  const cache = new ServerSessionCache(p);
  const client: ClientConfig = {
    provider: p,
    serverName: SERVER_NAME,
    trustAnchors: pki.anchors,
    versions: [0x0304],
    sessionStore: store,
    cipherSuites: [CipherSuite13.TLS_AES_256_GCM_SHA384, CipherSuite13.TLS_AES_128_GCM_SHA256],
  };
  const server: ServerConfig = {
    provider: p,
    identity: pki.identity('server', 'rsa'),
    sessionCache: cache,
    maxEarlyDataSize: 4096,
    cipherSuites: [CipherSuite13.TLS_AES_128_GCM_SHA256, CipherSuite13.TLS_AES_256_GCM_SHA384],
  };
  const app = { appData: { client: enc.encode('after'), server: enc.encode('answer') } };
  const first = await runInMemory(client, server, {}, app);
  expect(first.clientOutcome.kind).toBe('connected');
  const r = await runInMemory({ ...client, earlyData: EARLY }, { ...server, ...(earlyData ? { earlyData } : {}) }, {}, app);
  expect(r.clientOutcome).toMatchObject({ kind: 'connected', session: { resumed: true } });
  return { first: first.transcript, r };
}

/** ClientHello, then the server's first flight, then the client's records that went before it (its 0-RTT data). */
function earlyAfterServerFlight(records: readonly TranscriptRecord[]): TranscriptRecord[] {
  const firstServer = records.findIndex((x) => x.dir === 'S->C');
  let end = firstServer;
  while (records[end]?.dir === 'S->C') end++;
  expect(firstServer).toBeGreaterThan(1);
  return [records[0]!, ...records.slice(firstServer, end), ...records.slice(1, firstServer), ...records.slice(end)];
}

async function rebuilt(records: readonly TranscriptRecord[], keylog: string): Promise<Transcript> {
  return transcriptFromRecords(
    records.map((x) => ({ dir: x.dir, raw: x.raw })),
    { keylog, provenance: { kind: 'capture', file: 'reordered', connection: 0 } },
  );
}

const earlyOf = (t: Transcript) =>
  t.messages.filter((m) => m.dir === 'C->S' && m.epoch === 'early').map((m) => `${m.type}${m.encrypted ? '' : ' (plain)'}`);

async function violations(t: Transcript, first: Transcript): Promise<string[]> {
  const { verdicts } = await checkTranscript(t, { trustAnchors: pki.anchors, earlier: [first], judgeReactions: false });
  return verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`);
}

describe('0-RTT records after the server flight (the client sequence decides the epoch)', () => {
  it('accepted: the early record and EndOfEarlyData open under the early key of the PSK suite; zero violations', async () => {
    const { first, r } = await zeroRtt('accept');
    expect(r.server.earlyData).toMatchObject({ accepted: true, received: EARLY.length });
    const keylog = formatKeyLog(r.client.keylog);
    const t = await rebuilt(earlyAfterServerFlight(r.transcript.records), keylog);
    const flow = t.messages.map((m) => `${m.dir} ${m.type}`);
    expect(flow.indexOf('C->S application_data')).toBeGreaterThan(flow.indexOf('S->C finished'));
    expect(earlyOf(t)).toEqual(['application_data', 'end_of_early_data']);
    expect(new TextDecoder().decode(t.messages.find((m) => m.epoch === 'early')?.raw)).toBe(new TextDecoder().decode(EARLY));
    expect(t.gaps).toEqual([]);
    expect(await violations(t, first)).toEqual([]);
    // the record rules open the early records too (the server accepted them, so their suite is the selected one): an
    // altered 0-RTT record is the client's record-integrity fault, and the server that went on broke RFC 8446 §4.2.10
    const order = earlyAfterServerFlight(r.transcript.records);
    const at = order.findIndex((x) => x.dir === 'C->S' && x.contentType === 23);
    const bad = order[at]!.raw.slice();
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    order[at] = { ...order[at]!, raw: bad };
    const rules = (await violations(await rebuilt(order, keylog), first)).map((v) => v.split(':')[0]);
    expect(rules).toEqual(expect.arrayContaining(['rec.integrity', 'rec.deprotect-failure']));
  });

  it('rejected: the client early record is still early (skipped by the server), its handshake records open', async () => {
    const { first, r } = await zeroRtt('reject');
    expect(r.server.earlyData).toMatchObject({ accepted: false, received: 0 });
    const keylog = formatKeyLog(r.client.keylog);
    const t = await rebuilt(earlyAfterServerFlight(r.transcript.records), keylog);
    expect(earlyOf(t)).toEqual(['application_data']);
    expect(t.messages.filter((m) => m.dir === 'C->S' && m.epoch === 'handshake').map((m) => m.type)).toEqual(['finished']);
    expect(t.gaps).toEqual([]);
    expect(await violations(t, first)).toEqual([]);
  });

  it('without CLIENT_EARLY_TRAFFIC_SECRET: the early record stays unreadable as early, the rest opens, zero violations', async () => {
    const { first, r } = await zeroRtt('accept');
    const keylog = formatKeyLog(r.client.keylog.filter((e) => e.label !== 'CLIENT_EARLY_TRAFFIC_SECRET'));
    const t = await rebuilt(earlyAfterServerFlight(r.transcript.records), keylog);
    expect(earlyOf(t)).toEqual(['encrypted_record', 'encrypted_record']);
    expect(t.messages.filter((m) => m.dir === 'C->S' && m.epoch === 'handshake').map((m) => m.type)).toEqual(['finished']);
    expect(await violations(t, first)).toEqual([]);
  });

  it("the client's 0-RTT data after the server flight is no reaction to it: its Finished is (oracles/receiver.ts)", async () => {
    const { r } = await zeroRtt('accept');
    for (const keylog of [
      formatKeyLog(r.client.keylog),
      formatKeyLog(r.client.keylog.filter((e) => e.label !== 'CLIENT_EARLY_TRAFFIC_SECRET')),
    ]) {
      const t = await rebuilt(earlyAfterServerFlight(r.transcript.records), keylog);
      const ctx = buildContext(t, [], { provider: p });
      const serverFinished = t.messages.find((m) => m.dir === 'S->C' && m.type === 'finished')!;
      const wentOn = (m: Transcript['messages'][number]) =>
        m.type === 'finished' || m.kind === 'application_data' ? `${m.type} ${m.index}` : undefined;
      const reaction = receiverReaction(ctx, serverFinished, wentOn);
      const clientFinished = t.messages.find((m) => m.dir === 'C->S' && m.type === 'finished')!;
      expect(reaction).toMatchObject({ kind: 'went-on', m: { index: clientFinished.index } });
    }
  });
});
