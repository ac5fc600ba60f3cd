import { analyzeCapture, looksLikeTls, reassemble, readCaptureSync, TCP_ACK, TCP_FIN, TCP_SYN } from './index';
import { ethernet, ipv4Packet, tcpSegmentBytes, writePcap } from './synth';

const frame = (from: 'c' | 's', seq: number, flags: number, payload?: Uint8Array, ack = 0) => {
  const [sport, dport, src, dst] = from === 'c' ? [40000, 8443, '10.1.1.1', '10.1.1.2'] : [8443, 40000, '10.1.1.2', '10.1.1.1'];
  return {
    data: ethernet(ipv4Packet({ src, dst, payload: tcpSegmentBytes({ sport, dport, seq, ack, flags, payload }) }), 0x0800),
  };
};

describe('capture API', () => {
  it('looksLikeTls', () => {
    expect(looksLikeTls(new Uint8Array([22, 3, 1, 0, 200, 1]))).toBe(true);
    expect(looksLikeTls(new Uint8Array([23, 3, 3]))).toBe(true);
    expect(looksLikeTls(new Uint8Array([21]))).toBe(true);
    expect(looksLikeTls(new Uint8Array([]))).toBe(false);
    expect(looksLikeTls(new TextEncoder().encode('GET / HTTP/1.1'))).toBe(false);
    expect(looksLikeTls(new Uint8Array([22, 2, 0, 0, 5]))).toBe(false);
    expect(looksLikeTls(new Uint8Array([22, 3, 5, 0, 5]))).toBe(false);
    expect(looksLikeTls(new Uint8Array([22, 3, 3, 0xff, 0xff]))).toBe(false);
  });

  it('a stream with a gap: two chunks, frameAt across them, an inconclusive reason', async () => {
    const a = new Uint8Array(100).fill(1);
    const file = writePcap(
      [
        frame('c', 999, TCP_SYN), // 1
        frame('c', 1000, TCP_ACK, a), // 2
        frame('c', 1300, TCP_ACK, a), // 3  (bytes 100-299 never captured)
        frame('c', 1400, TCP_ACK | TCP_FIN, a), // 4
      ],
      { linkType: 1 },
    );
    const r = await analyzeCapture(file);
    const c = r.connections[0]!;
    const s = c.streams.client;
    expect(s.chunks.map((k) => [k.offset, k.bytes.length])).toEqual([
      [0, 100],
      [300, 200],
    ]);
    expect([s.frameAt(0), s.frameAt(99), s.frameAt(100), s.frameAt(299), s.frameAt(300), s.frameAt(499), s.frameAt(500)]).toEqual(
      [2, 2, undefined, undefined, 3, 4, undefined],
    );
    expect(s.gaps.map((g) => [g.offset, g.length, g.afterFrame])).toEqual([[100, 200, 2]]);
    expect(c.conn.inconclusive).toEqual([
      'bytes 100-299 of the client stream are missing from the capture (after frame 2); never retransmitted',
    ]);
    expect(c.conn.roleBasis).toBe('syn');
    // reassemble() takes packets from anywhere
    const again = await reassemble(readCaptureSync(file));
    expect(again.connections[0]!.streams.client.byteCount).toBe(300);
  });

  it('without a SYN, ports >= 1024 on both sides: the first sender is the client', async () => {
    const file = writePcap(
      [frame('s', 7, TCP_ACK, new Uint8Array([23, 3, 3, 0, 0])), frame('c', 1, TCP_ACK, new Uint8Array([23, 3, 3, 0, 0]))],
      { linkType: 1 },
    );
    const c = (await analyzeCapture(file)).connections[0]!;
    expect(c.conn.roleBasis).toBe('first-sender');
    expect(c.conn.client.port).toBe(8443);
  });
});
