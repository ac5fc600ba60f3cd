/**
 * The capture reader on large synthetic captures (one real connection
 * replicated): state is released as connections settle (counted through
 * `stats`, not memory figures), read-ahead decrypts several connections at
 * once yet gives the same transcripts and resumption links as a sequential
 * pass.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { type NgSection, replicateCapture, writePcapng } from './synth';
import { type CaptureTranscript, captureToTranscripts, MAX_RESUMPTION_KEYS, READ_AHEAD } from './tls';

const FIXTURES = join(__dirname, '..', 'fixtures', 'captures');
const MOSQUITTO = join(FIXTURES, 'mosquitto-t12-ecdhe-rsa-aes256-sha384-mutual');
const TESTDATA = join(__dirname, 'testdata');

async function readAll(src: Uint8Array, opts: Parameters<typeof captureToTranscripts>[1]) {
  const it = captureToTranscripts(src, opts);
  const out: CaptureTranscript[] = [];
  const heldWhenYielded: number[] = [];
  for await (const ct of it) {
    out.push(ct);
    heldWhenYielded.push(it.stats.connections);
  }
  return { out, stats: { ...it.stats }, heldWhenYielded };
}

/** A transcript without what differs between copies (ports, frame numbers, capture time, file name). */
function shape(ct: CaptureTranscript): Buffer {
  const t = ct.transcript;
  return serialize({
    records: t.records.map((r) => ({ ...r, frame: undefined })),
    messages: t.messages.map((m) => ({ ...m, frame: undefined })),
    gaps: t.gaps,
    secrets: t.secrets,
    decryption: ct.decryption,
  });
}

describe('a capture of 300 replicated mutual TLS 1.2 connections', () => {
  const copies = 300;
  const pcap = replicateCapture(new Uint8Array(readFileSync(join(MOSQUITTO, 'capture.pcap'))), copies, {
    serverPorts: [45001],
    shiftSeconds: 1,
  });
  const keylog = readFileSync(join(MOSQUITTO, 'keylog.txt'), 'utf8');

  test('every connection reads like the original; the reader holds a bounded number of connections and none at the end', async () => {
    const one = await readAll(new Uint8Array(readFileSync(join(MOSQUITTO, 'capture.pcap'))), { keylog });
    const { out, stats, heldWhenYielded } = await readAll(pcap, { keylog });
    expect(out).toHaveLength(copies);
    const want = shape(one.out[0]!);
    for (const ct of out) expect(shape(ct).equals(want)).toBe(true);
    expect(out.map((c) => c.connection)).toEqual([...Array(copies).keys()]);
    // Connections follow one another: the reassembler holds at most the one open and the next.
    expect(stats.peakTcpConnections).toBeLessThanOrEqual(2);
    // The TLS layer holds what it reads ahead (bounded), never the whole capture.
    expect(stats.peakConnections).toBeLessThanOrEqual(READ_AHEAD.connections + 2);
    expect(Math.max(...heldWhenYielded)).toBeLessThanOrEqual(READ_AHEAD.connections + 2);
    expect(stats.connections).toBe(0);
    expect(stats.tcpConnections).toBe(0);
    // A released 4-tuple is remembered for 2 MSL of capture time: copies are 1 s apart.
    expect(stats.tcpTombstones).toBeLessThanOrEqual(241);
    expect(stats.resumptionKeys).toBeLessThanOrEqual(MAX_RESUMPTION_KEYS);
  });

  test('without read-ahead, a connection is yielded before the next one is read', async () => {
    const { out, stats } = await readAll(pcap, { keylog, readAhead: { bytes: 0, connections: 0 } });
    expect(out).toHaveLength(copies);
    expect(stats.peakConnections).toBeLessThanOrEqual(2);
  });
});

describe('overlapping connections with resumption (resumption.pcap, 8 interleaved copies)', () => {
  const pcap = replicateCapture(new Uint8Array(readFileSync(join(TESTDATA, 'resumption.pcap'))), 8, {
    serverPorts: [45101, 45102],
    interleave: 5,
  });
  const keylog = readFileSync(join(TESTDATA, 'resumption.keylog'), 'utf8');

  test('reading ahead gives the transcripts and resumption links of a sequential pass', async () => {
    const ahead = await readAll(pcap, { keylog });
    const sequential = await readAll(pcap, { keylog, readAhead: { bytes: 0, connections: 0 } });
    expect(ahead.out).toHaveLength(48);
    expect(ahead.out.map((c) => c.resumes)).toEqual(sequential.out.map((c) => c.resumes));
    // Every copy's three resumptions are linked (copies share their sessions: to the first connection that issued each).
    const vias = ahead.out.filter((c) => c.resumes).map((c) => c.resumes!.via);
    expect(vias.sort()).toEqual([...Array(8).fill('psk'), ...Array(8).fill('session_id'), ...Array(8).fill('ticket')]);
    for (const [i, ct] of ahead.out.entries()) expect(serialize(ct).equals(serialize(sequential.out[i]!))).toBe(true);
  });
});

describe('a key log in a pcapng Decryption Secrets Block', () => {
  test('applies to what follows it in the file, even when reading ran ahead of the decryption before it', async () => {
    // Two copies of the mosquitto connection (the same client random), the key log between them.
    const pcap = replicateCapture(new Uint8Array(readFileSync(join(MOSQUITTO, 'capture.pcap'))), 2, { serverPorts: [45001] });
    const dv = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
    const frames: Uint8Array[] = [];
    for (let at = 24; at + 16 <= pcap.length; at += 16 + dv.getUint32(at + 8, true))
      frames.push(pcap.subarray(at + 16, at + 16 + dv.getUint32(at + 8, true)));
    const half = frames.length / 2;
    const epb = (data: Uint8Array, n: number) => ({ kind: 'epb' as const, iface: 0, data, ts: BigInt(n) * 1000n });
    const section: NgSection = {
      littleEndian: true,
      interfaces: [{ linkType: 1 }],
      blocks: [
        ...frames.slice(0, half).map(epb),
        { kind: 'dsb', secretsType: 0x544c534b, data: readFileSync(join(MOSQUITTO, 'keylog.txt')) },
        ...frames.slice(half).map((f, i) => epb(f, half + i)),
      ],
    };
    const file = writePcapng([section]);
    for (const readAhead of [undefined, { bytes: 0, connections: 0 }]) {
      const { out } = await readAll(file, readAhead ? { readAhead } : {});
      expect(out.map((c) => c.decryption.decrypted)).toEqual([0, out[1]!.decryption.protectedRecords]);
      expect(out[1]!.decryption.decrypted).toBeGreaterThan(0);
      expect(out[0]!.transcript.gaps.map((g) => g.reason).join()).toMatch(/no key-log entry for client random/);
      expect(out[0]!.transcript.secrets).toBeUndefined();
      expect(out[1]!.transcript.secrets?.keylog).toHaveLength(1);
    }
  });
});
