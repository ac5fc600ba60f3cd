/**
 * The TLS layer over real captures: transcripts equal what tshark saw
 * (expected.json), with and without the key log, a corrupted record, a
 * non-TLS connection, resumption, HRR/0-RTT/KeyUpdate and synthetic
 * segmentation. What needs editcap/mergecap (a key log embedded in a pcapng
 * DSB, two connections in one file, a frame cut out) is in
 * tls-tools.interop.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedCases } from '../spec/support/shared';
import { keylogOf, ourHandshakes, ourSequence, tsharkHandshakes, tsharkSequence } from '../spec/support/tshark-view';
import { handshakeMessages, type Transcript } from '../transcript/model';
import { concatBytes, fromHex, toHex } from '../wire/hex';
import { encodeRecord } from '../wire/record';
import { ethernet, ipv4Packet, tcpSegmentBytes, writePcap } from './synth';
import { captureToTranscripts, readCaptureTranscripts } from './tls';

const CASES = sharedCases().filter((c) => c.keylog !== undefined);
const DIRS = ['C->S', 'S->C'] as const;

test('the shared cases are there', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(6);
});

describe.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  test('with the key log: message types, bytes and frames equal tshark', async () => {
    const ts = await readCaptureTranscripts(c.capture, { keylog: keylogOf(c) });
    expect(ts).toHaveLength(c.expected.connections.length);
    ts.forEach((ct, i) => {
      const exp = c.expected.connections[i]!;
      const t = ct.transcript;
      expect(ct.connection).toBe(i);
      expect(t.provenance).toEqual({ kind: 'capture', file: c.capture, connection: i });
      expect({ client: t.client, server: t.server }).toEqual({ client: exp.client, server: exp.server });
      expect(ourSequence(t)).toEqual(tsharkSequence(exp));
      expect(ourHandshakes(t)).toEqual(tsharkHandshakes(exp));
      expect(t.gaps).toEqual([]);
      expect(ct.decryption.decrypted).toBe(ct.decryption.protectedRecords);
      expect(ct.decryption.decrypted).toBeGreaterThanOrEqual(4);
      // The key log lines of this connection only, all for its client random.
      const cr = toHex((handshakeMessages(t)[0]!.decoded!.body as { random: Uint8Array }).random);
      expect(t.secrets?.keylog?.length).toBeGreaterThanOrEqual(1);
      for (const line of t.secrets!.keylog!) expect(line.split(' ')[1]).toBe(cr);
      // Records carry frames; protected ones their plaintext.
      for (const r of t.records) {
        expect(r.frame).toBeGreaterThan(0);
        if (r.encrypted) expect(r.plaintext).toBeDefined();
      }
    });
  });

  test('without the key log: plaintext part readable, the rest a gap naming the client random', async () => {
    const [ct] = await readCaptureTranscripts(c.capture);
    const t = ct!.transcript;
    const exp = c.expected.connections[0]!;
    const tls13 = handshakeMessages(t).some(
      (m) => m.decoded?.body.type === 'server_hello' && m.decoded.body.extensions?.some((e) => e.type === 43),
    );
    const hs = handshakeMessages(t);
    if (tls13) {
      expect(hs.map((m) => m.type)).toEqual(['client_hello', 'server_hello']);
    } else {
      // Everything tshark saw in plaintext, up to each side's CCS; then one encrypted Finished per side.
      const plain = exp.messages.filter((m) => m.hex !== undefined && !m.encrypted).map((m) => ({ dir: m.dir, hex: m.hex! }));
      expect(hs.filter((m) => !m.encrypted).map((m) => ({ dir: m.dir, hex: toHex(m.raw!) }))).toEqual(plain);
      for (const d of DIRS)
        expect(hs.filter((m) => m.dir === d && m.encrypted).map((m) => m.type)).toEqual(['encrypted_handshake_message']);
    }
    expect(t.gaps.length).toBeGreaterThanOrEqual(1);
    for (const g of t.gaps) expect(g.reason).toMatch(/no key-log entry for client random [0-9a-f]{12}…/);
    expect(ct!.decryption.decrypted).toBe(0);
    expect(t.secrets).toBeUndefined();
  });
});

const t12 = CASES.find((c) => c.name.endsWith('openssl-t12-ecdhe-rsa-aes256-sha384-mutual'))!;

test('a corrupted ciphertext byte: a gap naming the frame, the other records still decrypt', async () => {
  const bytes = new Uint8Array(readFileSync(t12.capture));
  const exp = t12.expected.connections[0]!;
  const fin = exp.messages.find((m) => m.dir === 'C->S' && m.encrypted && m.message === 'Finished')!;
  // Flip the last byte of the frame that carries the client's encrypted Finished (the end of that record).
  const frames = framesOf(bytes);
  const f = frames[fin.frame - 1]!;
  bytes[f.end - 1]! ^= 0x01;
  const [ct] = await readCaptureTranscripts(bytes, { keylog: keylogOf(t12) });
  const t = ct!.transcript;
  expect(t.gaps).toHaveLength(1);
  expect(t.gaps[0]!.reason).toMatch(new RegExp(`C->S from frame ${fin.frame} could not be decrypted: does not decrypt`));
  expect(ct!.decryption.decrypted).toBe(ct!.decryption.protectedRecords - 1);
  expect(handshakeMessages(t).filter((m) => m.dir === 'S->C' && m.type === 'finished')).toHaveLength(1);
});

test('a non-TLS connection is skipped and counted', async () => {
  const frame = (sport: number, dport: number, seq: number, flags: number, payload?: Uint8Array) => ({
    data: ethernet(
      ipv4Packet({
        src: sport === 80 ? '10.0.0.2' : '10.0.0.1',
        dst: sport === 80 ? '10.0.0.1' : '10.0.0.2',
        payload: tcpSegmentBytes({ sport, dport, seq, flags, ...(payload ? { payload } : {}) }),
      }),
      0x0800,
    ),
  });
  const http = new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n');
  const pcap = writePcap([frame(40000, 80, 100, 0x02), frame(80, 40000, 500, 0x12), frame(40000, 80, 101, 0x18, http)], {
    linkType: 1,
  });
  const it = captureToTranscripts(pcap);
  const got = [];
  for await (const x of it) got.push(x);
  expect(got).toEqual([]);
  expect(it.summary.tcpConnections).toBe(1);
  expect(it.summary.skipped).toEqual([
    { tcpStream: 0, client: '10.0.0.1:40000', server: '10.0.0.2:80', reason: expect.stringMatching(/^not TLS/) },
  ]);
});

const TESTDATA = join(__dirname, 'testdata');

/** Per (tcp.stream, frame): the handshake type codes in it, as `tshark -T fields -e tcp.stream -e frame.number -e tls.handshake.type` printed them. */
function byFrame(ts: { tcpStream: number; transcript: Transcript }[]): string {
  const lines: string[] = [];
  for (const ct of ts) {
    const groups = new Map<number, number[]>();
    for (const m of handshakeMessages(ct.transcript)) {
      if (m.frame === undefined || m.raw === undefined) continue;
      groups.set(m.frame, [...(groups.get(m.frame) ?? []), m.raw[0]!]);
    }
    for (const [f, types] of groups) lines.push(`${ct.tcpStream} ${f} ${types.join(',')}`);
  }
  return lines.join('|');
}

describe('resumption.pcap (TLS 1.2 session ID and ticket, TLS 1.3 PSK)', () => {
  const pcap = join(TESTDATA, 'resumption.pcap');
  const keylog = () => readFileSync(join(TESTDATA, 'resumption.keylog'), 'utf8');

  test('every connection decrypts; messages and frames equal tshark', async () => {
    const ts = await readCaptureTranscripts(pcap, { keylog: keylog() });
    expect(ts.map((t) => t.connection)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(byFrame(ts)).toBe(
      '0 4 1|0 6 2,11,12,14|0 8 16,20|0 9 20|1 21 1|1 23 2,20|1 25 20|2 38 1|2 40 2,11,12,14|2 42 16,20|2 43 4,20|3 55 1|3 57 2,20|3 59 20|4 72 1|4 74 2,8,11,15,20|4 76 20|4 78 4|4 79 4|5 90 1|5 92 2,8,20|5 94 20|5 96 4',
    );
    for (const ct of ts) {
      expect(ct.transcript.gaps).toEqual([]);
      expect(ct.decryption.decrypted).toBe(ct.decryption.protectedRecords);
    }
  });

  test('each resumption names the connection that issued the session', async () => {
    const ts = await readCaptureTranscripts(pcap, { keylog: keylog() });
    expect(ts.map((t) => t.resumes)).toEqual([
      undefined,
      { connection: 0, tcpStream: 0, via: 'session_id' },
      undefined,
      { connection: 2, tcpStream: 2, via: 'ticket' },
      undefined,
      { connection: 4, tcpStream: 4, via: 'psk' },
    ]);
  });

  test('without the key log the TLS 1.3 tickets are unreadable, so the PSK resumption is not linked', async () => {
    const ts = await readCaptureTranscripts(pcap);
    expect(ts.map((t) => t.resumes?.via)).toEqual([undefined, 'session_id', undefined, 'ticket', undefined, undefined]);
    expect(ts[5]!.notes.join('\n')).toMatch(/PSK identity .* not issued earlier in this capture/);
  });

  test('transcripts are yielded while the capture is read, not at its end', async () => {
    // Without read-ahead (by default the reader reads up to 8 MiB ahead while it decrypts; this file is smaller).
    const it = captureToTranscripts(pcap, { keylog: keylog(), readAhead: { bytes: 0, connections: 0 } });
    const seenAt: number[] = [];
    for await (const ct of it) seenAt.push(it.summary.stats.frames - ct.frames.last);
    // The first connection is yielded a few frames after its last one, long before the end.
    expect(seenAt[0]).toBeLessThan(3);
    expect(it.summary.stats.frames).toBeGreaterThan(90);
  });
});

describe('tls13-hrr-0rtt-keyupdate.pcap', () => {
  const pcap = join(TESTDATA, 'tls13-hrr-0rtt-keyupdate.pcap');
  const keylog = () => readFileSync(join(TESTDATA, 'tls13-hrr-0rtt-keyupdate.keylog'), 'utf8');

  test('HelloRetryRequest, 0-RTT and KeyUpdate connections decrypt; messages and frames equal tshark', async () => {
    const ts = await readCaptureTranscripts(pcap, { keylog: keylog() });
    expect(byFrame(ts)).toBe(
      '0 4 1|0 6 2|0 8 1|0 9 2,8,11,15,20|0 10 20|0 11 4|0 13 4|1 25 1|1 27 2,8,11,15,20|1 29 20|1 31 4|1 32 4|2 42 1|2 44 2,8,20|2 46 5,20|2 47 4|3 58 1|3 60 2,8,11,15,20|3 62 20|3 63 4|3 64 4|3 66 24',
    );
    for (const ct of ts) {
      expect(ct.transcript.gaps).toEqual([]);
      expect(ct.decryption.decrypted).toBe(ct.decryption.protectedRecords);
    }
    // The early data is the HTTP request the client sent with -early_data.
    const early = ts[2]!.transcript.messages.find((m) => m.type === 'application_data' && m.frame === 42);
    expect(new TextDecoder().decode(early!.raw)).toBe('GET / HTTP/1.0\r\n\r\n');
    expect(ts[2]!.resumes).toEqual({ connection: 1, tcpStream: 1, via: 'psk' });
    // After the KeyUpdate the client's application data still decrypts (with the next secret).
    const afterKu = ts[3]!.transcript.messages.filter((m) => m.dir === 'C->S' && m.type === 'application_data' && m.frame! > 66);
    expect(afterKu.length).toBeGreaterThanOrEqual(1);
  });

  test('without CLIENT_EARLY_TRAFFIC_SECRET the 0-RTT record is a gap, the rest decrypts', async () => {
    const text = keylog()
      .split('\n')
      .filter((l) => !l.startsWith('CLIENT_EARLY_TRAFFIC_SECRET'))
      .join('\n');
    const ts = await readCaptureTranscripts(pcap, { keylog: text });
    const ct = ts[2]!;
    // The early data and the EndOfEarlyData (also under the early key) stay unreadable.
    expect(ct.decryption.protectedRecords - ct.decryption.decrypted).toBe(2);
    expect(ct.transcript.gaps.map((g) => g.reason)).toEqual([
      expect.stringMatching(/^2 protected record\(s\) C->S from frame 42 .*no CLIENT_EARLY_TRAFFIC_SECRET/),
    ]);
    expect(handshakeMessages(ct.transcript).map((m) => `${m.dir} ${m.type}`)).toEqual([
      'C->S client_hello',
      'S->C server_hello',
      'S->C encrypted_extensions',
      'S->C finished',
      'C->S finished',
      'S->C new_session_ticket',
    ]);
  });
});

describe('synthetic segmentation', () => {
  const tls12 = sharedCases().find((c) => c.name === 'vectors/illustrated-tls12')!;
  const exp = tls12.expected.connections[0]!;
  const hexOf = (name: string) => fromHex(exp.messages.find((m) => m.message === name)!.hex!);
  const rec = (type: number, body: Uint8Array) => encodeRecord({ contentType: type, version: 0x0303, fragment: body });

  function build(frames: { from: 'c' | 's'; bytes: Uint8Array }[]): Uint8Array {
    const seq = { c: 1000, s: 5000 };
    const pkt = (from: 'c' | 's', flags: number, payload?: Uint8Array) => {
      const [src, dst, sport, dport] =
        from === 'c' ? ['10.0.0.1', '10.0.0.2', 40000, 4433] : ['10.0.0.2', '10.0.0.1', 4433, 40000];
      const seg = tcpSegmentBytes({
        sport: sport as number,
        dport: dport as number,
        seq: seq[from],
        flags,
        ...(payload ? { payload } : {}),
      });
      seq[from] += (payload?.length ?? 0) + (flags & 0x02 ? 1 : 0);
      return { data: ethernet(ipv4Packet({ src: src as string, dst: dst as string, payload: seg }), 0x0800) };
    };
    const plan = [pkt('c', 0x02), pkt('s', 0x12), ...frames.map((f) => pkt(f.from, 0x18, f.bytes))];
    return writePcap(plan, { linkType: 1 });
  }

  test("a record's frame is the frame of its last byte; a message split over records gets the last record's frame", async () => {
    const ch = rec(22, hexOf('ClientHello'));
    const cert = hexOf('Certificate');
    const certA = rec(22, cert.subarray(0, 300));
    const certB = rec(22, cert.subarray(300));
    const pcap = build([
      { from: 'c', bytes: ch.subarray(0, 20) }, // frame 3
      { from: 'c', bytes: ch.subarray(20) }, // frame 4: completes the ClientHello
      { from: 's', bytes: concatBytes([rec(22, hexOf('ServerHello')), certA]) }, // frame 5
      { from: 's', bytes: certB.subarray(0, 100) }, // frame 6
      { from: 's', bytes: concatBytes([certB.subarray(100), rec(22, hexOf('ServerKeyExchange'))]) }, // frame 7
    ]);
    const [ct] = await readCaptureTranscripts(pcap);
    const t = ct!.transcript;
    expect(t.records.map((r) => [r.dir, r.frame])).toEqual([
      ['C->S', 4],
      ['S->C', 5],
      ['S->C', 5],
      ['S->C', 7],
      ['S->C', 7],
    ]);
    expect(t.messages.map((m) => [m.type, m.frame, m.records])).toEqual([
      ['client_hello', 4, [0]],
      ['server_hello', 5, [1]],
      ['certificate', 7, [2, 3]],
      ['server_key_exchange', 7, [4]],
    ]);
    expect(toHex(t.messages[2]!.raw!)).toBe(toHex(cert));
    expect({ client: t.client, server: t.server }).toEqual({ client: '10.0.0.1:40000', server: '10.0.0.2:4433' });
    // The connection never closed: the incomplete state at the end is not an error.
    expect(t.gaps).toEqual([]);
  });

  test('bytes cut from the middle of a record: the direction stops there with a gap', async () => {
    const ch = rec(22, hexOf('ClientHello'));
    const f = (from: 'c' | 's', seq: number, flags: number, payload?: Uint8Array, ack?: number) => {
      const [src, dst, sport, dport] =
        from === 'c' ? ['10.0.0.1', '10.0.0.2', 40000, 4433] : ['10.0.0.2', '10.0.0.1', 4433, 40000];
      return {
        data: ethernet(
          ipv4Packet({
            src: src as string,
            dst: dst as string,
            payload: tcpSegmentBytes({
              sport: sport as number,
              dport: dport as number,
              seq,
              flags,
              ...(ack !== undefined ? { ack } : {}),
              ...(payload ? { payload } : {}),
            }),
          }),
          0x0800,
        ),
      };
    };
    const sh = rec(22, hexOf('ServerHello'));
    const pcap = writePcap(
      [
        f('c', 1000, 0x02),
        f('s', 5000, 0x12, undefined, 1001),
        f('c', 1001, 0x18, ch.subarray(0, 50), 5001),
        // ch[50..80) never captured
        f('c', 1001 + 80, 0x18, ch.subarray(80), 5001),
        f('s', 5001, 0x18, sh, 1001 + ch.length),
      ],
      { linkType: 1 },
    );
    const [ct] = await readCaptureTranscripts(pcap);
    const t = ct!.transcript;
    expect(t.messages.map((m) => `${m.dir} ${m.type}`)).toEqual(['S->C server_hello']);
    expect(t.gaps).toEqual([
      expect.objectContaining({
        dir: 'C->S',
        reason: expect.stringMatching(
          /^bytes 50-79 of the client stream are missing .*50 byte\(s\) of a partial record before it dropped.*not read/,
        ),
      }),
    ]);
  });
});

/** Byte ranges of the frames of a classic little-endian pcap. */
function framesOf(b: Uint8Array): { start: number; end: number }[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: { start: number; end: number }[] = [];
  for (let at = 24; at + 16 <= b.length; ) {
    const len = dv.getUint32(at + 8, true);
    out.push({ start: at + 16, end: at + 16 + len });
    at += 16 + len;
  }
  return out;
}
