/**
 * Link / network / TCP decoding on synthetic frames of every supported link
 * type, cross-checked with tshark (which must decode the same TCP segments
 * from the same files).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCapture, decodeFrame, formatIpv6, readCaptureSync, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from './index';
import {
  ethernet,
  type Ipv6Ext,
  type NgBlock,
  type NgSection,
  writePcapng,
  ipv4Packet,
  ipv6Packet,
  loopHeader,
  nullHeader,
  parseIpv6,
  sll,
  sll2,
  tcpSegmentBytes,
  writePcap,
} from './synth';

function onPath(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const HAVE_TSHARK = onPath('tshark');
if (!HAVE_TSHARK)
  console.warn('capture/link.interop.test.ts: tshark not on PATH; the tshark cross-checks are SKIPPED (CI has them)');

const CH = new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x06, 1, 0, 0, 2, 3, 3]);
const SH1 = new Uint8Array([0x16, 0x03, 0x03, 0x00, 0x08, 2, 0]);
const SH2 = new Uint8Array([0, 4, 3, 3, 9, 9]);

type Wrap = (ip: Uint8Array, v: 4 | 6) => Uint8Array;

/** A short TLS-looking connection: handshake, ClientHello, ServerHello in two segments, FIN. */
function flowFrames(wrap: Wrap, v: 4 | 6, ext: Ipv6Ext[] = [], ipv4Options?: Uint8Array): Uint8Array[] {
  const [cip, sip] = v === 4 ? ['192.0.2.1', '198.51.100.7'] : ['2001:db8::1', '2001:db8:0:1::77'];
  const cisn = 0xfffffff0;
  const sisn = 1000;
  const t = (from: 'c' | 's', seq: number, ack: number, flags: number, payload?: Uint8Array) => {
    const tcp = tcpSegmentBytes({
      sport: from === 'c' ? 51000 : 4433,
      dport: from === 'c' ? 4433 : 51000,
      seq,
      ack,
      flags,
      payload,
      options: flags & TCP_SYN ? new Uint8Array([2, 4, 5, 180, 1, 3, 3, 7, 4, 2]) : undefined,
    });
    const [src, dst] = from === 'c' ? [cip, sip] : [sip, cip];
    return wrap(
      v === 4 ? ipv4Packet({ src, dst, payload: tcp, options: ipv4Options }) : ipv6Packet({ src, dst, payload: tcp, ext }),
      v,
    );
  };
  return [
    t('c', cisn, 0, TCP_SYN),
    t('s', sisn, cisn + 1, TCP_SYN | TCP_ACK),
    t('c', cisn + 1, sisn + 1, TCP_ACK),
    t('c', cisn + 1, sisn + 1, TCP_ACK | TCP_PSH, CH),
    t('s', sisn + 1, cisn + 1 + CH.length, TCP_ACK, SH1),
    t('s', sisn + 1 + SH1.length, cisn + 1 + CH.length, TCP_ACK | TCP_PSH, SH2),
    t('c', cisn + 1 + CH.length, sisn + 14, TCP_ACK | TCP_FIN),
  ];
}

const ETH: Wrap = (ip, v) => ethernet(ip, v === 4 ? 0x0800 : 0x86dd);
const VARIANTS: { name: string; linkType: number; wrap: Wrap; ext?: Ipv6Ext[]; v?: 4 | 6; opts?: Uint8Array }[] = [
  { name: 'ethernet', linkType: 1, wrap: ETH },
  { name: 'ethernet 802.1Q', linkType: 1, wrap: (ip, v) => ethernet(ip, v === 4 ? 0x0800 : 0x86dd, [{ tpid: 0x8100, vid: 42 }]) },
  {
    name: 'ethernet QinQ',
    linkType: 1,
    wrap: (ip, v) =>
      ethernet(ip, v === 4 ? 0x0800 : 0x86dd, [
        { tpid: 0x88a8, vid: 7 },
        { tpid: 0x8100, vid: 42 },
      ]),
  },
  { name: 'SLL', linkType: 113, wrap: (ip, v) => sll(ip, v === 4 ? 0x0800 : 0x86dd) },
  { name: 'SLL2', linkType: 276, wrap: (ip, v) => sll2(ip, v === 4 ? 0x0800 : 0x86dd) },
  { name: 'NULL little-endian', linkType: 0, wrap: (ip, v) => nullHeader(ip, v === 4 ? 2 : 30, true) },
  { name: 'NULL big-endian', linkType: 0, wrap: (ip, v) => nullHeader(ip, v === 4 ? 2 : 24, false) },
  { name: 'LOOP', linkType: 108, wrap: (ip, v) => loopHeader(ip, v === 4 ? 2 : 24) },
  { name: 'raw IP', linkType: 101, wrap: (ip) => ip },
  { name: 'raw IPv4', linkType: 228, wrap: (ip) => ip, v: 4 },
  { name: 'raw IPv6', linkType: 229, wrap: (ip) => ip, v: 6 },
  { name: 'IPv4 options', linkType: 1, wrap: ETH, v: 4, opts: new Uint8Array([1, 1, 1, 0]) },
  {
    name: 'IPv6 extension headers',
    linkType: 1,
    wrap: ETH,
    v: 6,
    ext: [{ type: 0 }, { type: 60, body: new Uint8Array(14) }, { type: 43 }, { type: 44 }, { type: 51 }],
  },
];

describe('link and network layers', () => {
  for (const variant of VARIANTS) {
    for (const v of variant.v ? [variant.v] : ([4, 6] as const)) {
      it(`${variant.name} over IPv${v}`, async () => {
        const frames = flowFrames(variant.wrap, v, variant.ext, variant.opts);
        const file = writePcap(
          frames.map((data) => ({ data })),
          { linkType: variant.linkType },
        );
        const a = await analyzeCapture(file);
        expect(a.stats).toEqual({ frames: 7, tcp: 7, other: 0, unsupported: [], malformed: [] });
        expect(a.connections).toHaveLength(1);
        const c = a.connections[0]!;
        expect(c.conn.client.port).toBe(51000);
        expect(c.conn.inconclusive).toEqual([]);
        expect(c.conn.finFrame.client).toBe(7);
        expect(c.streams.client.chunks[0]!.bytes).toEqual(CH);
        expect(c.streams.server.chunks[0]!.bytes).toEqual(new Uint8Array([...SH1, ...SH2]));
        expect(c.streams.server.chunks[0]!.frameAt(SH1.length - 1)).toBe(5);
        expect(c.streams.server.chunks[0]!.frameAt(SH1.length)).toBe(6);
        const seg = decodeFrame(readCaptureSync(file)[0]!);
        expect(seg.kind === 'tcp' && seg.segment.options.map((o) => o.kind)).toEqual([2, 3, 4]);
      });
    }
  }

  (HAVE_TSHARK ? it : it.skip)('tshark decodes the same segments (one pcapng, one interface per variant)', () => {
    const interfaces: NgSection['interfaces'] = [];
    const blocks: NgBlock[] = [];
    const fields: string[] = [];
    for (const variant of VARIANTS) {
      for (const v of variant.v ? [variant.v] : ([4, 6] as const)) {
        const iface = interfaces.length;
        interfaces.push({ linkType: variant.linkType });
        for (const data of flowFrames(variant.wrap, v, variant.ext, variant.opts)) blocks.push({ kind: 'epb', iface, data });
      }
    }
    const file = writePcapng([{ littleEndian: false, interfaces, blocks }]);
    const ours = readCaptureSync(file).map((p) => {
      const r = decodeFrame(p);
      if (r.kind !== 'tcp') throw new Error(`frame ${p.frame}: ${r.kind}`);
      const s = r.segment;
      return [p.frame, s.src.ip, s.src.port, s.seq, s.ack, s.payload.length].join('\t');
    });
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-link-'));
    try {
      const f = join(dir, 'x.pcapng');
      writeFileSync(f, file);
      const args = [
        '-r',
        f,
        '-T',
        'fields',
        '-E',
        'occurrence=l',
        '-e',
        'frame.number',
        '-e',
        'ip.src',
        '-e',
        'ipv6.src',
        '-e',
        'tcp.srcport',
        '-e',
        'tcp.seq_raw',
        '-e',
        'tcp.ack_raw',
        '-e',
        'tcp.len',
      ];
      const tshark = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      for (const line of tshark.split('\n').filter(Boolean)) {
        const [n, v4, v6, ...rest] = line.split('\t');
        fields.push([n, v4 || v6, ...rest].join('\t'));
      }
      expect(ours).toEqual(fields);
      expect(ours.length).toBe(blocks.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('IPv4 fragments and IPv6 fragments are unsupported, not guessed; non-TCP is other', () => {
    const tcp = tcpSegmentBytes({ sport: 1, dport: 2, seq: 0, flags: TCP_ACK, payload: new Uint8Array(8) });
    const mk = (data: Uint8Array) => ({
      frame: 1,
      tsNs: 0n,
      linkType: 101,
      interfaceId: 0,
      data,
      origLen: data.length,
      dataOffset: 0,
    });
    const first = ipv4Packet({ src: '1.2.3.4', dst: '5.6.7.8', payload: tcp, flagsFrag: 0x2000 });
    const later = ipv4Packet({ src: '1.2.3.4', dst: '5.6.7.8', payload: tcp, flagsFrag: 0x0003 });
    const udp = ipv4Packet({ src: '1.2.3.4', dst: '5.6.7.8', proto: 17, payload: new Uint8Array(8) });
    const v6frag = ipv6Packet({
      src: '::1',
      dst: '::1',
      payload: tcp,
      ext: [{ type: 44, body: new Uint8Array([0, 8, 0, 0, 0, 1]) }],
    });
    expect(decodeFrame(mk(first)).kind).toBe('unsupported');
    expect(decodeFrame(mk(later))).toMatchObject({ kind: 'unsupported', detail: expect.stringContaining('offset 24') });
    expect(decodeFrame(mk(udp)).kind).toBe('other');
    expect(decodeFrame(mk(v6frag)).kind).toBe('unsupported');
    expect(decodeFrame({ ...mk(tcp), linkType: 147 }).kind).toBe('unsupported');
    expect(decodeFrame(mk(first.subarray(0, 30))).kind).toBe('unsupported');
  });

  it('truncated headers are malformed with absolute offsets; snapped payloads are reported', async () => {
    const tcp = tcpSegmentBytes({ sport: 1, dport: 443, seq: 5, flags: TCP_ACK, payload: new Uint8Array(100).fill(0x17) });
    const ip = ipv4Packet({ src: '1.2.3.4', dst: '5.6.7.8', payload: tcp });
    const file = writePcap(
      [{ data: ethernet(ip, 0x0800).subarray(0, 30) }, { data: ethernet(ip, 0x0800).subarray(0, 80), origLen: 154 }],
      { linkType: 1 },
    );
    const a = await analyzeCapture(file);
    expect(a.stats.malformed).toHaveLength(1);
    expect(a.stats.malformed[0]!.detail).toMatch(/^truncated at offset 70/);
    const c = a.connections[0]!;
    expect(c.streams.client.byteCount).toBe(80 - 54);
    expect(c.conn.anomalies[0]!.detail).toMatch(/snapped/);
  });

  it('ignores Ethernet padding after the IP packet', () => {
    const tcp = tcpSegmentBytes({ sport: 1, dport: 443, seq: 5, flags: TCP_ACK });
    const frame = new Uint8Array([
      ...ethernet(ipv4Packet({ src: '1.2.3.4', dst: '5.6.7.8', payload: tcp }), 0x0800),
      0,
      0,
      0,
      0,
      0,
      0,
    ]);
    const r = decodeFrame({ frame: 1, tsNs: 0n, linkType: 1, interfaceId: 0, data: frame, origLen: 60, dataOffset: 0 });
    expect(r.kind === 'tcp' && [r.segment.payload.length, r.segment.missingTail]).toEqual([0, 0]);
  });

  it('formats IPv6 like RFC 5952', () => {
    const f = (s: string) => formatIpv6(new Uint8Array(parseIpv6(s)));
    expect(f('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(f('::1')).toBe('::1');
    expect(f('::')).toBe('::');
    expect(f('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(f('fe80::')).toBe('fe80::');
    expect(f('::ffff:0a00:0001')).toBe('::ffff:10.0.0.1');
  });
});
