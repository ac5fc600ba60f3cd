/**
 * Builders for synthetic captures: link/IP/TCP frames and pcap / pcapng
 * files. Used by the tests (and usable to write generated handshakes out as
 * captures that Wireshark opens). Checksums are left 0 (Wireshark does not
 * check them by default).
 */
import { concatBytes } from '../wire/hex';

export interface TcpSpec {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  /** Raw option bytes (padded to a multiple of 4 here). */
  options?: Uint8Array;
  payload?: Uint8Array;
}

function be16(v: number): number[] {
  return [(v >>> 8) & 255, v & 255];
}
function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}
function cat(parts: (Uint8Array | number[])[]): Uint8Array {
  return concatBytes(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p))));
}

export function tcpSegmentBytes(t: TcpSpec): Uint8Array {
  const opts = t.options ?? new Uint8Array(0);
  const padded = cat([opts, new Array((4 - (opts.length % 4)) % 4).fill(0)]);
  const hlen = 20 + padded.length;
  return cat([
    be16(t.sport),
    be16(t.dport),
    be32(t.seq >>> 0),
    be32((t.ack ?? 0) >>> 0),
    [((hlen / 4) << 4) | ((t.flags >> 8) & 1), t.flags & 255],
    be16(t.window ?? 65535),
    [0, 0, 0, 0],
    padded,
    t.payload ?? [],
  ]);
}

export function parseIpv4(s: string): number[] {
  return s.split('.').map(Number);
}

export function parseIpv6(s: string): number[] {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const hw = head ? head.split(':').filter((x) => x !== '') : [];
  const tw = tail ? tail.split(':').filter((x) => x !== '') : [];
  const words = [...hw, ...new Array(tail === undefined ? 0 : 8 - hw.length - tw.length).fill('0'), ...tw].map((x) =>
    Number.parseInt(x, 16),
  );
  return words.flatMap((w) => be16(w));
}

export function ipv4Packet(o: {
  src: string;
  dst: string;
  proto?: number;
  payload: Uint8Array;
  id?: number;
  flagsFrag?: number;
  options?: Uint8Array;
  totalLength?: number;
}): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const ihl = 20 + opts.length;
  const total = o.totalLength ?? ihl + o.payload.length;
  return cat([
    [0x40 | (ihl / 4), 0],
    be16(total),
    be16(o.id ?? 1),
    be16(o.flagsFrag ?? 0x4000),
    [64, o.proto ?? 6, 0, 0],
    parseIpv4(o.src),
    parseIpv4(o.dst),
    opts,
    o.payload,
  ]);
}

export interface Ipv6Ext {
  /** Extension header type: 0 hop-by-hop, 43 routing, 60 destination options, 44 fragment, 51 AH. */
  type: number;
  /** Body after the next-header/length bytes (sized by the builder). */
  body?: Uint8Array;
}

export function ipv6Packet(o: { src: string; dst: string; next?: number; payload: Uint8Array; ext?: Ipv6Ext[] }): Uint8Array {
  const exts = o.ext ?? [];
  const parts: Uint8Array[] = [];
  for (let i = 0; i < exts.length; i++) {
    const e = exts[i]!;
    const nh = i + 1 < exts.length ? exts[i + 1]!.type : (o.next ?? 6);
    if (e.type === 44) {
      parts.push(cat([[nh, 0], e.body ?? [0, 0, 0, 0, 0, 0]]));
    } else if (e.type === 51) {
      const body = e.body ?? new Uint8Array(10);
      const total = 2 + body.length; // multiple of 4
      parts.push(cat([[nh, total / 4 - 2], body]));
    } else {
      const body = e.body ?? new Uint8Array(6);
      const total = 2 + body.length; // multiple of 8
      parts.push(cat([[nh, total / 8 - 1], body]));
    }
  }
  const rest = cat([...parts, o.payload]);
  return cat([[0x60, 0, 0, 0], be16(rest.length), [exts[0]?.type ?? o.next ?? 6, 64], parseIpv6(o.src), parseIpv6(o.dst), rest]);
}

export function ethernet(ip: Uint8Array, etherType: number, vlans: { tpid: number; vid: number }[] = []): Uint8Array {
  const tags = vlans.flatMap((v) => [...be16(v.tpid), ...be16(v.vid)]);
  return cat([[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], tags, be16(etherType), ip]);
}

export function sll(ip: Uint8Array, protocol: number): Uint8Array {
  return cat([be16(0), be16(772), be16(6), [0, 0, 0, 0, 0, 0, 0, 0], be16(protocol), ip]);
}

export function sll2(ip: Uint8Array, protocol: number): Uint8Array {
  return cat([be16(protocol), [0, 0], be32(1), be16(772), [0, 6], [0, 0, 0, 0, 0, 0, 0, 0], ip]);
}

/** BSD NULL header: the family in the writer's byte order. */
export function nullHeader(ip: Uint8Array, family: number, littleEndian: boolean): Uint8Array {
  const f = be32(family);
  return cat([littleEndian ? f.reverse() : f, ip]);
}

export function loopHeader(ip: Uint8Array, family: number): Uint8Array {
  return cat([be32(family), ip]);
}

export interface FramePlan {
  data: Uint8Array;
  tsNs?: bigint;
  origLen?: number;
}

function dv(n: number): [Uint8Array, DataView] {
  const b = new Uint8Array(n);
  return [b, new DataView(b.buffer)];
}

export function writePcap(
  frames: FramePlan[],
  o: { linkType: number; littleEndian?: boolean; nsec?: boolean; snaplen?: number },
): Uint8Array {
  const le = o.littleEndian ?? true;
  const [h, hv] = dv(24);
  hv.setUint32(0, o.nsec ? 0xa1b23c4d : 0xa1b2c3d4, le);
  hv.setUint16(4, 2, le);
  hv.setUint16(6, 4, le);
  hv.setUint32(16, o.snaplen ?? 262144, le);
  hv.setUint32(20, o.linkType, le);
  const parts: Uint8Array[] = [h];
  frames.forEach((f, i) => {
    const ts = f.tsNs ?? BigInt(i) * 1_000_000n;
    const [r, rv] = dv(16);
    rv.setUint32(0, Number(ts / 1_000_000_000n), le);
    const frac = ts % 1_000_000_000n;
    rv.setUint32(4, Number(o.nsec ? frac : frac / 1000n), le);
    rv.setUint32(8, f.data.length, le);
    rv.setUint32(12, f.origLen ?? f.data.length, le);
    parts.push(r, f.data);
  });
  return cat(parts);
}

export type NgBlock =
  | { kind: 'epb'; iface: number; data: Uint8Array; ts?: bigint; origLen?: number; options?: Uint8Array }
  | { kind: 'spb'; data: Uint8Array; origLen?: number }
  | { kind: 'dsb'; secretsType: number; data: Uint8Array }
  | { kind: 'raw'; type: number; body: Uint8Array };

export interface NgSection {
  littleEndian: boolean;
  /** if_tsresol byte (default: none, i.e. microseconds). */
  interfaces: { linkType: number; tsresol?: number; snaplen?: number }[];
  blocks: NgBlock[];
}

function pad4(b: Uint8Array): Uint8Array {
  return cat([b, new Array((4 - (b.length % 4)) % 4).fill(0)]);
}

export function ngBlock(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const b = pad4(body);
  const [out, v] = dv(12 + b.length);
  v.setUint32(0, type, le);
  v.setUint32(4, out.length, le);
  out.set(b, 8);
  v.setUint32(out.length - 4, out.length, le);
  return out;
}

/** One option (code, value) padded, in the given byte order. */
export function ngOption(code: number, value: Uint8Array, le: boolean): Uint8Array {
  const [h, v] = dv(4);
  v.setUint16(0, code, le);
  v.setUint16(2, value.length, le);
  return cat([h, pad4(value)]);
}

export function writePcapng(sections: NgSection[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const s of sections) {
    const le = s.littleEndian;
    const [shb, sv] = dv(16);
    sv.setUint32(0, 0x1a2b3c4d, le);
    sv.setUint16(4, 1, le);
    sv.setUint16(6, 0, le);
    sv.setBigInt64(8, -1n, le);
    parts.push(
      ngBlock(
        0x0a0d0d0a,
        cat([shb, ngOption(4, new TextEncoder().encode('tlsprop synth'), le), ngOption(0, new Uint8Array(0), le)]),
        le,
      ),
    );
    for (const i of s.interfaces) {
      const [idb, iv] = dv(8);
      iv.setUint16(0, i.linkType, le);
      iv.setUint32(4, i.snaplen ?? 262144, le);
      const opts = [ngOption(2, new TextEncoder().encode('synth0'), le)];
      if (i.tsresol !== undefined) opts.push(ngOption(9, new Uint8Array([i.tsresol]), le));
      opts.push(ngOption(0, new Uint8Array(0), le));
      parts.push(ngBlock(1, cat([idb, ...opts]), le));
    }
    s.blocks.forEach((b, n) => {
      if (b.kind === 'epb') {
        const ts = b.ts ?? BigInt(n) * 1000n;
        const [h, v] = dv(20);
        v.setUint32(0, b.iface, le);
        v.setUint32(4, Number(ts >> 32n), le);
        v.setUint32(8, Number(ts & 0xffffffffn), le);
        v.setUint32(12, b.data.length, le);
        v.setUint32(16, b.origLen ?? b.data.length, le);
        parts.push(ngBlock(6, cat([h, pad4(b.data), b.options ?? []]), le));
      } else if (b.kind === 'spb') {
        const [h, v] = dv(4);
        v.setUint32(0, b.origLen ?? b.data.length, le);
        parts.push(ngBlock(3, cat([h, b.data]), le));
      } else if (b.kind === 'dsb') {
        const [h, v] = dv(8);
        v.setUint32(0, b.secretsType, le);
        v.setUint32(4, b.data.length, le);
        parts.push(ngBlock(10, cat([h, b.data]), le));
      } else {
        parts.push(ngBlock(b.type, b.body, le));
      }
    });
  }
  return cat(parts);
}

/** Options of `tcpConversationPcap`. */
export interface TcpConversationOptions {
  client?: { ip: string; port: number };
  server?: { ip: string; port: number };
  /** Time of the SYN (default 0); later frames follow 1 ms apart. */
  startMs?: number;
  /** Largest TCP payload per segment (default 1448). */
  mss?: number;
  /** End with FIN/ACK both ways (default true); false leaves the connection open, as a capture cut before it closed. */
  close?: boolean;
}

/**
 * A whole IPv4 TCP connection as a classic pcap (Ethernet link type): the
 * three-way handshake, each run of same-direction payloads (e.g. TLS
 * records as an endpoint sent them) as PSH/ACK segments of at most `mss`
 * bytes with consistent sequence and acknowledgement numbers, then (unless
 * `close` is false) FIN/ACK both ways and a last ACK. Wireshark and tshark read it as real traffic.
 */
export function tcpConversationPcap(
  payloads: readonly { dir: 'C->S' | 'S->C'; data: Uint8Array }[],
  o: TcpConversationOptions = {},
): Uint8Array {
  return writePcap(tcpConversationFrames(payloads, o), { linkType: 1 });
}

/** The Ethernet frames of `tcpConversationPcap` (to put several connections in one file: concatenate, then `writePcap` with link type 1). */
export function tcpConversationFrames(
  payloads: readonly { dir: 'C->S' | 'S->C'; data: Uint8Array }[],
  o: TcpConversationOptions = {},
): FramePlan[] {
  const c = o.client ?? { ip: '127.0.0.1', port: 50000 };
  const s = o.server ?? { ip: '127.0.0.1', port: 443 };
  const mss = o.mss ?? 1448;
  const SYN = 0x02;
  const FIN = 0x01;
  const PSH = 0x08;
  const ACK = 0x10;
  const seq = { 'C->S': 0x1000_0000, 'S->C': 0x2000_0000 };
  const frames: FramePlan[] = [];
  const startNs = BigInt(Math.round((o.startMs ?? 0) * 1000)) * 1000n;
  let ipId = 1;
  const send = (dir: 'C->S' | 'S->C', flags: number, payload?: Uint8Array) => {
    const [from, to] = dir === 'C->S' ? [c, s] : [s, c];
    const back = dir === 'C->S' ? 'S->C' : 'C->S';
    const tcp: TcpSpec = { sport: from.port, dport: to.port, seq: seq[dir], flags, window: 65535 };
    if (flags & ACK) tcp.ack = seq[back];
    if (flags & SYN) tcp.options = Uint8Array.of(2, 4, (mss + 12) >> 8, (mss + 12) & 255);
    if (payload) tcp.payload = payload;
    const ip = ipv4Packet({ src: from.ip, dst: to.ip, payload: tcpSegmentBytes(tcp), id: ipId++ });
    frames.push({ data: ethernet(ip, 0x0800), tsNs: startNs + BigInt(frames.length) * 1_000_000n });
    seq[dir] = (seq[dir] + (payload?.length ?? 0) + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
  };
  send('C->S', SYN);
  send('S->C', SYN | ACK);
  send('C->S', ACK);
  for (let i = 0; i < payloads.length; ) {
    const dir = payloads[i]!.dir;
    const run: Uint8Array[] = [];
    while (i < payloads.length && payloads[i]!.dir === dir) run.push(payloads[i++]!.data);
    const bytes = concatBytes(run);
    for (let off = 0; off < bytes.length; off += mss) send(dir, PSH | ACK, bytes.subarray(off, off + mss));
  }
  if (o.close ?? true) {
    send('C->S', FIN | ACK);
    send('S->C', FIN | ACK);
    send('C->S', ACK);
  }
  return frames;
}

/**
 * `copies` copies of the TCP connections of a classic little-endian
 * Ethernet/IPv4 pcap (microsecond or nanosecond), each copy's client ports
 * renumbered (ports in `serverPorts` are kept) so that every copy is a
 * connection of its own; copy i is `shiftSeconds * i` later. `interleave`
 * k > 0 merges the copies instead of appending them: copy i starts k
 * frames after copy i-1, so that connections overlap in the capture.
 * For large synthetic captures (tests and the bench).
 */
export function replicateCapture(
  pcap: Uint8Array,
  copies: number,
  opts: { serverPorts: readonly number[]; shiftSeconds?: number; interleave?: number },
): Uint8Array {
  const dv = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const magic = dv.getUint32(0, true);
  if ((magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) || dv.getUint32(20, true) !== 1)
    throw new Error('replicateCapture expects a little-endian Ethernet pcap');
  const records: Uint8Array[] = [];
  for (let at = 24; at + 16 <= pcap.length; ) {
    const incl = dv.getUint32(at + 8, true);
    records.push(pcap.subarray(at, at + 16 + incl));
    at += 16 + incl;
  }
  const servers = new Set(opts.serverPorts);
  const clientPorts = new Map<number, number>();
  const tcpAt = (r: Uint8Array): number | undefined => {
    if (r.length < 16 + 14 + 20 || r[16 + 12] !== 0x08 || r[16 + 13] !== 0x00 || r[16 + 14 + 9] !== 6) return undefined;
    return 16 + 14 + (r[16 + 14]! & 0x0f) * 4;
  };
  for (const r of records) {
    const t = tcpAt(r);
    if (t === undefined) continue;
    for (const off of [t, t + 2]) {
      const p = (r[off]! << 8) | r[off + 1]!;
      if (!servers.has(p) && !clientPorts.has(p)) clientPorts.set(p, clientPorts.size);
    }
  }
  const portCount = Math.max(1, clientPorts.size);
  if (copies * portCount > 64000) throw new Error(`${copies} copies of ${portCount} client port(s) do not fit in the port range`);
  const copy = (i: number): Uint8Array[] =>
    records.map((r) => {
      const c = r.slice();
      const v = new DataView(c.buffer);
      v.setUint32(0, v.getUint32(0, true) + (opts.shiftSeconds ?? 0) * i, true);
      const t = tcpAt(c);
      if (t !== undefined)
        for (const off of [t, t + 2]) {
          const j = clientPorts.get(v.getUint16(off));
          if (j !== undefined) v.setUint16(off, 1024 + i * portCount + j);
        }
      return c;
    });
  const out: Uint8Array[] = [pcap.subarray(0, 24)];
  const k = opts.interleave ?? 0;
  if (k <= 0) for (let i = 0; i < copies; i++) out.push(...copy(i));
  else {
    const all = Array.from({ length: copies }, (_, i) => copy(i));
    for (let step = 0; step < records.length + k * (copies - 1); step++)
      for (let i = 0; i < copies; i++) {
        const j = step - i * k;
        if (j >= 0 && j < records.length) out.push(all[i]![j]!);
      }
  }
  return concatBytes(out);
}
