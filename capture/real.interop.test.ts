/**
 * Real captures, cross-checked with tshark: per-direction byte totals, the
 * frame in which each TLS record completes, and the same streams after
 * converting the file with editcap / mergecap (pcapng, nanosecond pcap,
 * other link types, several interfaces, an injected key log).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  analyzeCapture,
  type CaptureAnalysis,
  type Dir,
  looksLikeTls,
  readCapture,
  type StreamResult,
  TCP_ACK,
  TCP_SYN,
} from './index';
import { ethernet, ipv4Packet, tcpSegmentBytes, writePcap } from './synth';

const FIXTURES = join(__dirname, '..', 'fixtures');
const FILES = [
  'captures/gnutls-server-openssl-client-t12-mutual/capture.pcap',
  'captures/mosquitto-t12-ecdhe-rsa-aes256-sha384-mutual/capture.pcap',
  'captures/openssl-t12-ecdhe-rsa-aes256-sha384-mutual/capture.pcap',
  'captures/openssl-t13-mutual/capture.pcap',
  'vectors/illustrated-tls12/capture.pcap',
  'vectors/illustrated-tls13/capture.pcap',
].map((f) => join(FIXTURES, f));

function onPath(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const HAVE_TSHARK = onPath('tshark') && onPath('editcap') && onPath('mergecap');
if (!HAVE_TSHARK)
  console.warn(
    'capture/real.interop.test.ts: tshark/editcap/mergecap not on PATH; the tshark cross-checks are SKIPPED (CI has them)',
  );
const itT = HAVE_TSHARK ? it : it.skip;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/**
 * One tshark pass: per direction, the TCP payload bytes and the list of
 * [frame, record length] for the TLS records tshark dissects in each frame.
 */
function tsharkView(file: string, serverPort: number): { bytes: Record<Dir, number>; records: Record<Dir, [number, number][]> } {
  const bytes = { client: 0, server: 0 };
  const records: Record<Dir, [number, number][]> = { client: [], server: [] };
  const text = run('tshark', [
    '-r',
    file,
    '-T',
    'fields',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
    '-e',
    'tcp.srcport',
    '-e',
    'frame.number',
    '-e',
    'tcp.len',
    '-e',
    'tls.record.length',
  ]);
  for (const line of text.split('\n').filter(Boolean)) {
    const [sport, frame, len, lens] = line.split('\t');
    const dir: Dir = Number(sport) === serverPort ? 'server' : 'client';
    bytes[dir] += Number(len);
    if (lens) for (const l of lens.split(',')) records[dir].push([Number(frame), Number(l)]);
  }
  return { bytes, records };
}

/** Walk TLS record headers of a contiguous stream; [frame completing the record, length]. */
function ourRecords(s: StreamResult): [number, number][] {
  expect(s.gaps).toEqual([]);
  expect(s.chunks.length).toBeLessThanOrEqual(1);
  const out: [number, number][] = [];
  const c = s.chunks[0];
  if (!c) return out;
  let at = 0;
  while (at + 5 <= c.bytes.length) {
    expect(looksLikeTls(c.bytes.subarray(at, at + 5))).toBe(true);
    const len = (c.bytes[at + 3]! << 8) | c.bytes[at + 4]!;
    if (at + 5 + len > c.bytes.length) break;
    out.push([c.frameAt(c.offset + at + 5 + len - 1)!, len]);
    at += 5 + len;
  }
  expect(at).toBe(c.bytes.length);
  return out;
}

/** A comparable digest of an analysis: per connection, per direction, bytes and frame spans. */
function digest(a: CaptureAnalysis): unknown {
  return a.connections.map((c) => ({
    client: c.conn.client.port,
    server: c.conn.server.port,
    inconclusive: c.conn.inconclusive,
    client_stream: c.streams.client.chunks.map((k) => ({
      offset: k.offset,
      hex: Buffer.from(k.bytes).toString('hex'),
      spans: k.spans,
    })),
    server_stream: c.streams.server.chunks.map((k) => ({
      offset: k.offset,
      hex: Buffer.from(k.bytes).toString('hex'),
      spans: k.spans,
    })),
  }));
}

describe('real captures vs tshark', () => {
  for (const f of FILES) {
    const name = f.split('/').slice(-2)[0];
    itT(`${name}: byte totals and record frames match tshark`, async () => {
      const a = await analyzeCapture(f);
      expect(a.stats.malformed).toEqual([]);
      expect(a.stats.unsupported).toEqual([]);
      expect(a.connections).toHaveLength(1);
      const c = a.connections[0]!;
      expect(c.conn.roleBasis).toBe('syn');
      expect(c.conn.inconclusive).toEqual([]);
      expect(c.conn.anomalies).toEqual([]);
      for (const d of ['client', 'server'] as const) expect(looksLikeTls(c.streams[d].chunks[0]!.bytes)).toBe(true);
      // The ClientHello comes from the client.
      expect(c.streams.client.chunks[0]!.bytes[5]).toBe(1);
      const sp = c.conn.server.port;
      const t = tsharkView(f, sp);
      expect({ client: c.streams.client.byteCount, server: c.streams.server.byteCount }).toEqual(t.bytes);
      // tshark shows a record in the frame holding its last byte (for these captures also the frame of its header).
      expect({ client: ourRecords(c.streams.client), server: ourRecords(c.streams.server) }).toEqual(t.records);
      expect(t.records.client.length + t.records.server.length).toBeGreaterThan(8);
    });
  }

  itT('timestamps match tshark (pcap, nanosecond pcap, pcapng)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-cap-'));
    try {
      const src = FILES[3]!;
      const ns = join(dir, 'ns.pcap');
      const ng = join(dir, 'c.pcapng');
      run('editcap', ['-F', 'nsecpcap', src, ns]);
      run('editcap', ['-F', 'pcapng', src, ng]);
      for (const f of [src, ns, ng]) {
        const want = run('tshark', ['-r', f, '-T', 'fields', '-e', 'frame.time_epoch']).split('\n').filter(Boolean);
        const got: string[] = [];
        for await (const p of readCapture(f)) {
          const t = p.tsNs!;
          got.push(`${t / 1_000_000_000n}.${(t % 1_000_000_000n).toString().padStart(9, '0')}`);
        }
        expect(got).toEqual(want);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  itT('editcap conversions give the same streams', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-cap-'));
    try {
      const eth = FILES[0]!;
      const lo6 = FILES[4]!; // NULL/loopback, IPv6
      const cases: [string, string, string[]][] = [
        [eth, 'a.pcapng', ['-F', 'pcapng']],
        [eth, 'b.pcap', ['-F', 'nsecpcap']],
        [eth, 'c.pcap', ['-F', 'pcap', '-C', '14', '-T', 'rawip']],
        [eth, 'd.pcapng', ['-F', 'pcapng', '-C', '14', '-T', 'rawip4']],
        [lo6, 'e.pcap', ['-F', 'pcap', '-C', '4', '-T', 'rawip6']],
        [lo6, 'f.pcapng', ['-F', 'pcapng', '-C', '4', '-T', 'rawip']],
        [lo6, 'g.pcap', ['-F', 'modpcap']],
      ];
      for (const [src, out, args] of cases) {
        const dst = join(dir, out);
        run('editcap', [...args, src, dst]);
        const want = digest(await analyzeCapture(src));
        const got = await analyzeCapture(dst);
        expect([out, digest(got)]).toEqual([out, want]);
        // and from memory, and in tiny chunks
        expect(digest(await analyzeCapture(new Uint8Array(readFileSync(dst))))).toEqual(want);
        const bytes = new Uint8Array(readFileSync(dst));
        const chunks = Array.from({ length: Math.ceil(bytes.length / 97) }, (_, i) => bytes.subarray(i * 97, i * 97 + 97));
        expect(digest(await analyzeCapture(chunks))).toEqual(want);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  itT('mergecap: two interfaces with different link types, several connections in capture order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-cap-'));
    try {
      const raw = join(dir, 'raw.pcap');
      const merged = join(dir, 'm.pcapng');
      run('editcap', ['-F', 'pcap', '-C', '14', '-T', 'rawip', FILES[1]!, raw]);
      run('mergecap', ['-a', '-F', 'pcapng', '-w', merged, FILES[4]!, raw, FILES[3]!]);
      const linkTypes = new Set<number>();
      for await (const p of readCapture(merged)) linkTypes.add(p.linkType);
      expect([...linkTypes].sort((x, y) => x - y)).toEqual([0, 1, 101]);
      const got = digest(await analyzeCapture(merged)) as unknown[];
      const parts = [FILES[4]!, FILES[1]!, FILES[3]!].map(async (f) => digest(await analyzeCapture(f)) as unknown[]);
      const want = (await Promise.all(parts)).flat();
      // Frame numbers shift by the packets of the files before; compare bytes only.
      const bytesOnly = (d: unknown[]) => JSON.stringify(d, (k, v) => (k === 'spans' ? undefined : v));
      expect(bytesOnly(got)).toEqual(bytesOnly(want));
      // tshark agrees on the per-direction totals of each connection.
      const a = await analyzeCapture(merged);
      const text = run('tshark', ['-r', merged, '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcp.srcport', '-e', 'tcp.len']);
      const totals = new Map<string, number>();
      for (const line of text.split('\n').filter(Boolean)) {
        const [stream, sport, len] = line.split('\t');
        const k = `${stream}:${sport}`;
        totals.set(k, (totals.get(k) ?? 0) + Number(len));
      }
      a.connections.forEach((c, i) => {
        expect(c.streams.client.byteCount).toBe(totals.get(`${i}:${c.conn.client.port}`));
        expect(c.streams.server.byteCount).toBe(totals.get(`${i}:${c.conn.server.port}`));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  itT('a segment deleted with editcap is a gap at the offset tshark gives it; duplicated frames change nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-cap-'));
    try {
      const src = FILES[1]!;
      const rows = run('tshark', [
        '-r',
        src,
        '-T',
        'fields',
        '-e',
        'frame.number',
        '-e',
        'tcp.srcport',
        '-e',
        'tcp.seq',
        '-e',
        'tcp.len',
        '-e',
        'tcp.ack',
      ])
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t').map(Number) as [number, number, number, number, number]);
      const orig = await analyzeCapture(src);
      const sp = orig.connections[0]!.conn.server.port;
      let checked = 0;
      for (const [frame, sport, seq, len] of rows.filter((r) => r[3] > 0)) {
        const out = join(dir, `drop${frame}.pcap`);
        run('editcap', [src, out, String(frame)]);
        const a = await analyzeCapture(out);
        const c = a.connections[0]!;
        const dirn: Dir = sport === sp ? 'server' : 'client';
        // Detectable only if a later packet shows it: a later sequence number of the sender or an ACK of the peer.
        const later = rows.filter((r) => r[0] > frame);
        const seen = later.some((r) => (r[1] === sport && r[2] > seq) || (r[1] !== sport && r[4] >= seq + len));
        if (!seen) {
          expect(c.conn.gaps).toEqual([]);
          continue;
        }
        expect([frame, c.conn.gaps.map((g) => [g.dir, g.offset, g.length])]).toEqual([frame, [[dirn, seq - 1, len]]]);
        expect(c.conn.inconclusive[0]).toContain(
          `bytes ${seq - 1}-${seq + len - 2} of the ${dirn} stream are missing from the capture`,
        );
        expect(c.conn.anomalies.length).toBeLessThanOrEqual(1);
        expect(c.streams[dirn].byteCount).toBe(orig.connections[0]!.streams[dirn].byteCount - len);
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(6);
      const dup = join(dir, 'dup.pcap');
      run('mergecap', ['-F', 'pcap', '-w', dup, src, src]);
      const d = await analyzeCapture(dup);
      expect(d.stats.frames).toBe(2 * orig.stats.frames);
      expect(d.connections[0]!.conn.anomalies).toEqual([]);
      const bytesOnly = (x: CaptureAnalysis) => JSON.stringify(digest(x), (k, v) => (k === 'spans' ? undefined : v));
      expect(bytesOnly(d)).toEqual(bytesOnly(orig));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  itT('records split over many small segments (with duplicates) complete in the same frames as in tshark', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-cap-'));
    try {
      const orig = (await analyzeCapture(FILES[3]!)).connections[0]!;
      const streams = { client: orig.streams.client.chunks[0]!.bytes, server: orig.streams.server.chunks[0]!.bytes };
      for (const seed of [1, 7, 42]) {
        let x = seed;
        const rnd = (n: number) => {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          return (x >>> 8) % n;
        };
        const cisn = 0xffffff00 + seed;
        const sisn = 0x7fffffff;
        const eth = (from: Dir, seq: number, ack: number, flags: number, payload?: Uint8Array) => {
          const [sport, dport, src, dst] =
            from === 'client' ? [50000, 443, '10.0.0.1', '10.0.0.2'] : [443, 50000, '10.0.0.2', '10.0.0.1'];
          return {
            data: ethernet(
              ipv4Packet({ src, dst, payload: tcpSegmentBytes({ sport, dport, seq, ack, flags, payload }) }),
              0x0800,
            ),
          };
        };
        const frames = [eth('client', cisn, 0, TCP_SYN), eth('server', sisn, cisn + 1, TCP_SYN | TCP_ACK)];
        const pos = { client: 0, server: 0 };
        while (pos.client < streams.client.length || pos.server < streams.server.length) {
          const d: Dir =
            pos.client >= streams.client.length
              ? 'server'
              : pos.server >= streams.server.length
                ? 'client'
                : rnd(2)
                  ? 'client'
                  : 'server';
          const n = 1 + rnd(400);
          const bytes = streams[d].subarray(pos[d], pos[d] + n);
          const seq = (d === 'client' ? cisn : sisn) + 1 + pos[d];
          const ack = (d === 'client' ? sisn : cisn) + 1 + pos[d === 'client' ? 'server' : 'client'];
          frames.push(eth(d, seq, ack, TCP_ACK, bytes));
          if (rnd(5) === 0) frames.push(eth(d, seq, ack, TCP_ACK, bytes)); // retransmission
          pos[d] += bytes.length;
        }
        const f = join(dir, `split${seed}.pcap`);
        writeFileSync(f, writePcap(frames, { linkType: 1 }));
        const c = (await analyzeCapture(f)).connections[0]!;
        expect(c.conn.anomalies).toEqual([]);
        const t = tsharkView(f, 443);
        const ours = { client: ourRecords(c.streams.client), server: ourRecords(c.streams.server) };
        expect(ours).toEqual(t.records);
        // Records do span frames here: the header frame differs from the completing frame for some.
        const k = c.streams.server.chunks[0]!;
        expect(k.spans.length).toBeGreaterThan(10);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  itT('editcap --inject-secrets: the DSB key log comes out verbatim', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-cap-'));
    try {
      const keylog = join(FIXTURES, 'captures/openssl-t13-mutual/keylog.txt');
      const out = join(dir, 's.pcapng');
      run('editcap', ['--inject-secrets', `tls,${keylog}`, FILES[3]!, out]);
      const a = await analyzeCapture(out);
      expect(a.keyLogs).toHaveLength(1);
      expect(a.keyLogs[0]!.trim()).toBe(readFileSync(keylog, 'utf8').trim());
      expect(a.secrets[0]!.afterFrame).toBe(0);
      expect(digest(a)).toEqual(digest(await analyzeCapture(FILES[3]!)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
