import fc from 'fast-check';
import { concatBytes } from '../wire/hex';
import { type Endpoint, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpSegment } from './link';
import { type Connection, type Dir, type ReassemblyEvent, TIME_WAIT_NS, TcpReassembler } from './reassembly';

const C: Endpoint = { ip: '10.0.0.1', port: 40000 };
const S: Endpoint = { ip: '10.0.0.2', port: 443 };

type SegFn = (from: 'c' | 's', seq: number, flags: number, payload?: Uint8Array, ack?: number) => TcpSegment;
/** A segment factory numbering frames from 1. */
function maker(): SegFn {
  let frameNo = 0;
  return (from, seq, flags, payload = new Uint8Array(0), ack = 0) => ({
    frame: ++frameNo,
    tsNs: undefined,
    src: from === 'c' ? C : S,
    dst: from === 'c' ? S : C,
    seq: seq >>> 0,
    ack: ack >>> 0,
    flags,
    window: 1000,
    options: [],
    payload,
    missingTail: 0,
    payloadOffset: 0,
  });
}

interface Out {
  streams: Record<Dir, { offset: number; bytes: Uint8Array; frame: number }[]>;
  events: ReassemblyEvent[];
  re: TcpReassembler;
}
function run(segs: TcpSegment[], opts = {}): Out {
  const re = new TcpReassembler(opts);
  const events: ReassemblyEvent[] = [];
  for (const s of segs) events.push(...re.push(s));
  events.push(...re.finish());
  const streams: Out['streams'] = { client: [], server: [] };
  for (const e of events) if (e.type === 'data') streams[e.dir].push({ offset: e.offset, bytes: e.bytes, frame: e.frame });
  return { streams, events, re };
}
function joined(pieces: { offset: number; bytes: Uint8Array }[]): Uint8Array {
  let at = 0;
  for (const p of pieces) {
    expect(p.offset).toBe(at);
    at += p.bytes.length;
  }
  return concatBytes(pieces.map((p) => p.bytes));
}

/** Cut a stream into segments [start, end). */
const cutArb = (len: number) =>
  fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, len - 1) }), { maxLength: Math.min(40, len) }).map((cuts) => {
    const pts = [0, ...cuts.filter((c) => c < len).sort((a, b) => a - b), len];
    const out: [number, number][] = [];
    for (let i = 0; i + 1 < pts.length; i++) if (pts[i]! < pts[i + 1]!) out.push([pts[i]!, pts[i + 1]!]);
    return out;
  });

const scenario = fc
  .record({
    data: fc.uint8Array({ minLength: 1, maxLength: 3000 }),
    isn: fc.oneof(fc.integer({ min: 0xffffffff - 4000, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })),
    seed: fc.integer(),
  })
  .chain((r) =>
    fc.record({
      data: fc.constant(r.data),
      isn: fc.constant(r.isn),
      cuts: cutArb(r.data.length),
      perm: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
      dups: fc.array(fc.nat(), { maxLength: 10 }),
      overlaps: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 10 }),
    }),
  );

function shuffle<T>(xs: T[], perm: number[]): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = (perm[i % perm.length] ?? 0) % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function buildRanges(len: number, cuts: [number, number][], dups: number[], overlaps: [number, number][]): [number, number][] {
  const ranges = cuts.slice();
  for (const d of dups) ranges.push(cuts[d % cuts.length]!);
  for (const [a, b] of overlaps) {
    const s = a % len;
    const e = s + 1 + (b % (len - s));
    ranges.push([s, e]);
  }
  return ranges;
}

describe('TcpReassembler properties', () => {
  it('reassembles shuffled, duplicated, overlapping segments exactly (ISN near 2^32)', () => {
    fc.assert(
      fc.property(scenario, ({ data, isn, cuts, perm, dups, overlaps }) => {
        const seg = maker();
        const ranges = shuffle(buildRanges(data.length, cuts, dups, overlaps), perm);
        const segs = [seg('c', isn, TCP_SYN), seg('s', 7, TCP_SYN | TCP_ACK, undefined, isn + 1)];
        for (const [s, e] of ranges) segs.push(seg('c', isn + 1 + s, TCP_ACK | TCP_PSH, data.subarray(s, e)));
        const { streams, re } = run(segs);
        expect(joined(streams.client)).toEqual(data);
        const conn = re.connections[0]!;
        expect(re.connections).toHaveLength(1);
        expect(conn.gaps).toEqual([]);
        expect(conn.inconclusive).toEqual([]);
        expect(conn.anomalies).toEqual([]);
        expect(conn.client).toEqual(C);
        expect(conn.roleBasis).toBe('syn');
      }),
      { numRuns: 200 },
    );
  });

  it('without a SYN starts at the first seen sequence number', () => {
    fc.assert(
      fc.property(scenario, ({ data, isn, cuts, perm, dups }) => {
        const seg = maker();
        const first = cuts[0]!;
        const rest = shuffle(
          buildRanges(data.length, cuts.slice(1), dups, []).filter(() => cuts.length > 1),
          perm,
        );
        const segs = [seg('s', isn, TCP_ACK, data.subarray(first[0], first[1]))];
        for (const [s, e] of rest) segs.push(seg('s', isn + s, TCP_ACK, data.subarray(s, e)));
        const { streams, re } = run(segs);
        expect(joined(streams.server)).toEqual(data);
        expect(re.connections[0]!.roleBasis).toBe('port');
        expect(re.connections[0]!.server).toEqual(S);
      }),
      { numRuns: 100 },
    );
  });

  it('a dropped segment is reported as a gap at exactly its offset', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.boolean(), ({ data, isn, cuts, perm }, pick, withFin) => {
        const seg = maker();
        fc.pre(cuts.length >= 2);
        const drop = pick % cuts.length;
        const [ds, de] = cuts[drop]!;
        // A lost tail without a FIN: the last acknowledged number may be a FIN, so one byte less is certain.
        const tailOnly = !withFin && de === data.length;
        fc.pre(!tailOnly || de - ds > 1);
        const kept = shuffle(
          cuts.filter((_, i) => i !== drop),
          perm,
        );
        const segs = [seg('c', isn, TCP_SYN)];
        for (const [s, e] of kept) segs.push(seg('c', isn + 1 + s, TCP_ACK, data.subarray(s, e)));
        if (withFin) segs.push(seg('c', isn + 1 + data.length, TCP_ACK | TCP_FIN));
        // The server acknowledges everything, FIN included.
        segs.push(seg('s', 99, TCP_ACK, undefined, isn + 1 + data.length + (withFin ? 1 : 0)));
        const { streams, re } = run(segs);
        const conn = re.connections[0]!;
        const ge = tailOnly ? de - 1 : de;
        expect(conn.gaps.map((g) => [g.offset, g.length])).toEqual([[ds, ge - ds]]);
        expect(conn.inconclusive).toHaveLength(1);
        expect(conn.inconclusive[0]).toContain(`bytes ${ds}-${ge - 1} of the client stream are missing from the capture`);
        const got = streams.client;
        const before = got.filter((p) => p.offset < ds);
        const after = got.filter((p) => p.offset >= de);
        expect(concatBytes(before.map((p) => p.bytes))).toEqual(data.subarray(0, ds));
        expect(concatBytes(after.map((p) => p.bytes))).toEqual(data.subarray(de));
        expect(conn.anomalies).toHaveLength(tailOnly ? 1 : 0);
      }),
      { numRuns: 200 },
    );
  });

  it('records the frame that delivered each byte', () => {
    const seg = maker();
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5]);
    const segs = [seg('c', 100, TCP_SYN), seg('c', 104, TCP_ACK, b), seg('c', 101, TCP_ACK, a)];
    const { streams } = run(segs);
    expect(streams.client.map((p) => [p.offset, p.frame])).toEqual([
      [0, 3],
      [3, 2],
    ]);
  });
});

describe('TcpReassembler cases', () => {
  const b = (...xs: number[]) => new Uint8Array(xs);

  it('flags retransmitted bytes that differ and keeps the first copy', () => {
    const seg = maker();
    const { streams, re } = run([seg('c', 0, TCP_SYN), seg('c', 1, TCP_ACK, b(1, 2, 3)), seg('c', 2, TCP_ACK, b(9, 3, 4))]);
    expect(joined(streams.client)).toEqual(b(1, 2, 3, 4));
    expect(re.connections[0]!.anomalies.map((a) => a.detail).join()).toMatch(
      /retransmitted bytes at stream offset 1 differ from frame 2/,
    );
  });

  it('ignores TCP keep-alives', () => {
    const seg = maker();
    const { streams, re } = run([
      seg('c', 0, TCP_SYN),
      seg('c', 1, TCP_ACK, b(1, 2, 3)),
      seg('c', 3, TCP_ACK, b(0)),
      seg('c', 4, TCP_ACK, b(4)),
    ]);
    expect(joined(streams.client)).toEqual(b(1, 2, 3, 4));
    expect(re.connections[0]!.anomalies).toEqual([]);
  });

  it('flags overlapping buffered bytes that differ', () => {
    const seg = maker();
    const { streams, re } = run([
      seg('c', 0, TCP_SYN),
      seg('c', 3, TCP_ACK, b(3, 4)),
      seg('c', 2, TCP_ACK, b(2, 7, 4, 5)),
      seg('c', 1, TCP_ACK, b(1)),
    ]);
    expect(joined(streams.client)).toEqual(b(1, 2, 3, 4, 5));
    expect(re.connections[0]!.anomalies).toHaveLength(1);
  });

  it('caps buffered out-of-order data and declares the hole missing', () => {
    const seg = maker();
    const big = new Uint8Array(100).fill(7);
    const { streams, re } = run(
      [seg('c', 0, TCP_SYN), seg('c', 11, TCP_ACK, big), seg('c', 111, TCP_ACK, big), seg('c', 1, TCP_ACK, new Uint8Array(10))],
      { maxBufferedBytes: 150 },
    );
    const conn = re.connections[0]!;
    expect(conn.gaps.map((g) => [g.offset, g.length])).toEqual([[0, 10]]);
    expect(streams.client.map((p) => p.offset)).toEqual([10, 110]);
    expect(conn.inconclusive[0]).toMatch(/bytes 0-9 of the client stream/);
  });

  it('handles a SYN+ACK first (server side), FIN and RST, and port reuse', () => {
    const seg = maker();
    const segs = [
      seg('s', 500, TCP_SYN | TCP_ACK, undefined, 1001),
      seg('c', 1001, TCP_ACK, b(1, 2), 501),
      seg('s', 501, TCP_ACK | TCP_FIN, b(3), 1003),
      seg('c', 1003, TCP_RST | TCP_ACK, undefined, 503),
      seg('c', 5000, TCP_SYN),
      seg('c', 5001, TCP_ACK, b(8)),
    ];
    const { re, events } = run(segs);
    const [c1, c2] = re.connections;
    expect(c1!.roleBasis).toBe('syn-ack');
    expect(c1!.client).toEqual(C);
    expect(c1!.finFrame.server).toBe(3);
    expect(c1!.rstFrame.client).toBe(4);
    expect(c1!.bytes).toEqual({ client: 2, server: 1 });
    expect(c1!.gaps).toEqual([]);
    expect(c2!.id).toBe(2);
    expect(c2!.bytes.client).toBe(1);
    expect(events.filter((e) => e.type === 'open')).toHaveLength(2);
  });

  it('uses the first sender when ports give no hint, and drops data before the start', () => {
    const seg = maker();
    const X: Endpoint = { ip: '::1', port: 5000 };
    const Y: Endpoint = { ip: '::1', port: 6000 };
    const mk = (src: Endpoint, dst: Endpoint, seq: number, p: Uint8Array): TcpSegment => ({
      ...seg('c', seq, TCP_ACK, p),
      src,
      dst,
    });
    const { re, streams } = run([mk(Y, X, 100, b(5, 6)), mk(Y, X, 98, b(3, 4, 5))]);
    expect(re.connections[0]!.client).toEqual(Y);
    expect(re.connections[0]!.roleBasis).toBe('first-sender');
    expect(joined(streams.client)).toEqual(b(5, 6));
    expect(re.connections[0]!.anomalies[0]!.detail).toMatch(/2 byte\(s\) before the start/);
  });

  it('detects a missing tail through the peer ACK', () => {
    const seg = maker();
    const { re } = run([seg('c', 0, TCP_SYN), seg('c', 1, TCP_ACK, b(1, 2)), seg('s', 9, TCP_ACK, undefined, 11)]);
    expect(re.connections[0]!.gaps.map((g) => [g.offset, g.length])).toEqual([[2, 7]]);
  });

  it('an ACK one past the data without a FIN is an anomaly, not a gap', () => {
    const seg = maker();
    const { re } = run([seg('c', 0, TCP_SYN), seg('c', 1, TCP_ACK, b(1, 2)), seg('s', 9, TCP_ACK, undefined, 4)]);
    expect(re.connections[0]!.gaps).toEqual([]);
    expect(re.connections[0]!.anomalies[0]!.detail).toMatch(
      /acknowledged stream offset 3; the capture holds data up to 2 and no FIN/,
    );
  });
});

describe('isSettled', () => {
  test('settles once both FINs are in and every byte before them was delivered; a hole keeps it open', () => {
    const seg = maker();
    const re = new TcpReassembler();
    const d = Uint8Array.of(1, 2, 3, 4);
    const opened = re.push(seg('c', 100, TCP_SYN));
    const conn = (opened[0] as Extract<ReassemblyEvent, { type: 'open' }>).conn;
    re.push(seg('s', 500, TCP_SYN | TCP_ACK, undefined, 101));
    re.push(seg('c', 101, TCP_ACK | TCP_PSH, d, 501));
    // The client's second segment is missing; its FIN comes after the hole.
    re.push(seg('c', 109, TCP_ACK | TCP_FIN, undefined, 501));
    re.push(seg('s', 501, TCP_ACK | TCP_FIN, undefined, 101));
    expect(re.isSettled(conn)).toBe(false);
    re.push(seg('c', 105, TCP_ACK | TCP_PSH, d, 502)); // retransmission fills the hole
    expect(re.isSettled(conn)).toBe(true);
    expect(re.finish().filter((e) => e.type === 'gap')).toEqual([]);
  });

  test('a RST-ended connection settles only at finish', () => {
    const seg = maker();
    const re = new TcpReassembler();
    const conn = (re.push(seg('c', 100, TCP_SYN))[0] as Extract<ReassemblyEvent, { type: 'open' }>).conn;
    re.push(seg('s', 500, TCP_RST | TCP_ACK, undefined, 101));
    expect(re.isSettled(conn)).toBe(true);
    expect(re.push(seg('c', 101, TCP_ACK, Uint8Array.of(1, 2, 3), 501))).toEqual([
      {
        type: 'anomaly',
        conn,
        anomaly: { frame: expect.any(Number), dir: undefined, detail: expect.stringMatching(/after the connection was reset/) },
      },
    ]);
  });
});

describe('release', () => {
  /** A whole connection (SYN, data both ways, FIN both ways) from client port `port`, frames at `ts` seconds. */
  function closedConnection(re: TcpReassembler, seg: SegFn, isn = 100): Connection {
    const opened = re.push(seg('c', isn, TCP_SYN));
    const conn = (opened[0] as Extract<ReassemblyEvent, { type: 'open' }>).conn;
    re.push(seg('s', 500, TCP_SYN | TCP_ACK, undefined, isn + 1));
    re.push(seg('c', isn + 1, TCP_ACK | TCP_PSH, Uint8Array.of(1, 2, 3), 501));
    re.push(seg('s', 501, TCP_ACK | TCP_PSH, Uint8Array.of(4, 5), isn + 4));
    re.push(seg('c', isn + 4, TCP_ACK | TCP_FIN, undefined, 503));
    re.push(seg('s', 503, TCP_ACK | TCP_FIN, undefined, isn + 5));
    expect(re.isSettled(conn)).toBe(true);
    return conn;
  }

  test('a released connection is no longer held; its late segments open nothing and produce no events', () => {
    const seg = maker();
    const re = new TcpReassembler();
    const conn = closedConnection(re, seg);
    expect(re.stats).toEqual({ connections: 1, peakConnections: 1, tombstones: 0 });
    re.release(conn);
    expect(re.stats).toEqual({ connections: 0, peakConnections: 1, tombstones: 1 });
    expect(re.connections).toEqual([]);
    expect(re.push(seg('c', 105, TCP_ACK, undefined, 504))).toEqual([]); // the last ACK
    expect(re.push(seg('s', 503, TCP_ACK | TCP_FIN, undefined, 105))).toEqual([]); // a retransmitted FIN
    expect(re.push(seg('c', 101, TCP_ACK | TCP_PSH, Uint8Array.of(1, 2, 3), 501))).toEqual([]); // retransmitted data
    expect(re.push(seg('c', 100, TCP_SYN))).toEqual([]); // the same SYN again
    expect(re.finish()).toEqual([]);
    expect(re.stats.connections).toBe(0);
  });

  test('a SYN with a new ISN on a released 4-tuple opens a new connection, numbered after it', () => {
    const seg = maker();
    const re = new TcpReassembler();
    re.release(closedConnection(re, seg));
    const evs = re.push(seg('c', 9000, TCP_SYN));
    expect(evs.map((e) => e.type)).toEqual(['open']);
    expect((evs[0] as Extract<ReassemblyEvent, { type: 'open' }>).conn.id).toBe(2);
    expect(re.stats.tombstones).toBe(0);
  });

  test('after a reset, any SYN opens a new connection; other late segments are absorbed', () => {
    const seg = maker();
    const re = new TcpReassembler();
    const conn = (re.push(seg('c', 100, TCP_SYN))[0] as Extract<ReassemblyEvent, { type: 'open' }>).conn;
    re.push(seg('s', 500, TCP_RST | TCP_ACK, undefined, 101));
    re.release(conn);
    expect(re.push(seg('c', 101, TCP_ACK, Uint8Array.of(1), 501))).toEqual([]);
    expect(re.push(seg('c', 100, TCP_SYN)).map((e) => e.type)).toEqual(['open']);
  });

  test('tombstones last 2 MSL of capture time (RFC 9293), then the 4-tuple is forgotten', () => {
    let frame = 0;
    const at = (seconds: number, s: TcpSegment): TcpSegment => ({ ...s, frame: ++frame, tsNs: BigInt(seconds) * 1_000_000_000n });
    const seg = maker();
    const re = new TcpReassembler();
    const conn = closedConnection(re, (f, q, fl, p, a) => at(0, seg(f, q, fl, p, a)));
    re.release(conn);
    expect(re.push(at(239, seg('c', 105, TCP_ACK, undefined, 504)))).toEqual([]);
    // Another connection's segment 240 s after the last one of the released connection.
    const other: TcpSegment = { ...seg('c', 1, TCP_SYN), src: { ip: '10.0.0.3', port: 1234 }, tsNs: 479_000_000_001n };
    expect(re.push(other).map((e) => e.type)).toEqual(['open']);
    expect(re.stats.tombstones).toBe(0);
    expect(TIME_WAIT_NS).toBe(240_000_000_000n);
  });
});
