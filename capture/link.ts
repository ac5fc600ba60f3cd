/**
 * Link, network and transport decoding: a captured frame -> a TCP segment.
 *
 * Link types: Ethernet (1, with any number of 802.1Q / 802.1ad / QinQ tags),
 * BSD NULL (0, family in either byte order), OpenBSD LOOP (108, family in
 * network order), Linux SLL (113) and SLL2 (276), raw IP (101, and 12/14
 * which some writers use for it), raw IPv4 (228) and raw IPv6 (229).
 * IPv4 with options; fragments (first or not) are reported as unsupported
 * rather than guessed. IPv6 with hop-by-hop, routing, destination-options,
 * fragment (atomic only) and AH extension headers skipped.
 *
 * Nothing here throws for a malformed frame: the result says what happened,
 * so one bad frame never stops a capture.
 */
import { DecodeError } from '../wire/errors';
import { Reader } from '../wire/reader';
import type { Packet } from './pcap';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export interface Endpoint {
  /** Dotted IPv4 or RFC 5952 IPv6 text. */
  ip: string;
  port: number;
}

export interface TcpOption {
  kind: number;
  data: Uint8Array;
}

export interface TcpSegment {
  frame: number;
  tsNs: bigint | undefined;
  src: Endpoint;
  dst: Endpoint;
  seq: number;
  ack: number;
  /** TCP_* bit mask (9th bit NS as 0x100). */
  flags: number;
  window: number;
  options: TcpOption[];
  payload: Uint8Array;
  /** Bytes of TCP payload the IP header announced but the capture does not hold (snaplen). */
  missingTail: number;
  /** Absolute file offset of payload[0]. */
  payloadOffset: number;
}

export type FrameResult =
  | { kind: 'tcp'; segment: TcpSegment }
  /** Not TCP over IP (ARP, UDP, ICMP, LLC...): nothing to do. */
  | { kind: 'other'; frame: number; detail: string }
  /** TCP data we do not decode (IP fragments, unknown link type, jumbograms). */
  | { kind: 'unsupported'; frame: number; detail: string }
  | { kind: 'malformed'; frame: number; error: DecodeError };

export function endpointKey(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

export function formatIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text form (as tshark prints it). */
export function formatIpv6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((b[i]! << 8) | b[i + 1]!);
  // IPv4-mapped ::ffff:a.b.c.d
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) return `::ffff:${formatIpv4(b.subarray(12))}`;
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const VLAN_TYPES = new Set([0x8100, 0x88a8, 0x9100, 0x9200]);
/** AF_INET6 values of Linux, NetBSD/OpenBSD, FreeBSD, Darwin. */
const AF_INET6 = new Set([10, 24, 28, 30]);
const AF_INET = 2;

class Unsupported {
  constructor(
    readonly kind: 'other' | 'unsupported',
    readonly detail: string,
  ) {}
}

/** Decode one captured frame down to TCP. */
export function decodeFrame(p: Packet): FrameResult {
  try {
    return { kind: 'tcp', segment: decodeOrThrow(p) };
  } catch (e) {
    if (e instanceof Unsupported) return { kind: e.kind, frame: p.frame, detail: e.detail };
    if (e instanceof DecodeError) return { kind: 'malformed', frame: p.frame, error: e };
    throw e;
  }
}

function decodeOrThrow(p: Packet): TcpSegment {
  const r = new Reader(p.data, p.dataOffset, `frame[${p.frame}]`);
  const net = linkLayer(p.linkType, r);
  return network(net, r, p);
}

/** Consume the link header; return 4 / 6 for the IP version that follows. */
function linkLayer(linkType: number, r: Reader): 4 | 6 {
  switch (linkType) {
    case 1: {
      r.bytes(12, 'eth.addresses');
      return etherType(r, r.u16('eth.type'));
    }
    case 0: {
      const fam = r.bytes(4, 'null.family');
      const le = fam[0]! | (fam[1]! << 8) | (fam[2]! << 16) | (fam[3]! << 24);
      const be = (fam[0]! << 24) | (fam[1]! << 16) | (fam[2]! << 8) | fam[3]!;
      // The family is in the capturing host's byte order: take whichever reading is small.
      const v = (le & 0xffff0000) === 0 ? le : be;
      return family(v);
    }
    case 108:
      return family(r.u32('loop.family'));
    case 113: {
      r.bytes(14, 'sll.header');
      return etherType(r, r.u16('sll.protocol'));
    }
    case 276: {
      const proto = r.u16('sll2.protocol');
      r.bytes(18, 'sll2.header');
      return etherType(r, proto);
    }
    case 101:
    case 12:
    case 14: {
      const v = r.peek(1)[0];
      if (v === undefined) r.fail('truncated', 'ip', 'empty raw IP frame');
      const ver = v >> 4;
      if (ver === 4 || ver === 6) return ver;
      throw new Unsupported('other', `raw IP frame with version ${ver}`);
    }
    case 228:
      return 4;
    case 229:
      return 6;
    default:
      throw new Unsupported('unsupported', `link type ${linkType} not supported`);
  }
}

function family(v: number): 4 | 6 {
  if (v === AF_INET) return 4;
  if (AF_INET6.has(v)) return 6;
  throw new Unsupported('other', `loopback address family ${v}`);
}

function etherType(r: Reader, type: number): 4 | 6 {
  let t = type;
  let tags = 0;
  while (VLAN_TYPES.has(t)) {
    if (++tags > 8) r.fail('value', 'vlan', 'more than 8 VLAN tags');
    r.u16('vlan.tci');
    t = r.u16('vlan.type');
  }
  if (t === ETH_IPV4) return 4;
  if (t === ETH_IPV6) return 6;
  throw new Unsupported('other', t <= 1500 ? '802.3 / LLC frame' : `ethertype 0x${t.toString(16).padStart(4, '0')}`);
}

function network(ver: 4 | 6, r: Reader, p: Packet): TcpSegment {
  const start = r.offset;
  let proto: number;
  let src: string;
  let dst: string;
  let body: Reader;
  let announced: number; // bytes of transport the IP header announces
  if (ver === 4) {
    const vi = r.u8('ipv4.version_ihl');
    if (vi >> 4 !== 4) r.fail('value', 'ipv4.version', `version ${vi >> 4} in an IPv4 frame`, start);
    const ihl = (vi & 15) * 4;
    if (ihl < 20) r.fail('value', 'ipv4.ihl', `header length ${ihl} < 20`, start);
    r.u8('ipv4.tos');
    const total = r.u16('ipv4.total_length');
    r.u16('ipv4.id');
    const frag = r.u16('ipv4.flags_fragment');
    r.u8('ipv4.ttl');
    proto = r.u8('ipv4.protocol');
    r.u16('ipv4.checksum');
    src = formatIpv4(r.bytes(4, 'ipv4.src'));
    dst = formatIpv4(r.bytes(4, 'ipv4.dst'));
    r.bytes(ihl - 20, 'ipv4.options');
    // total_length 0 happens with TSO on the capturing host: trust the frame.
    const t = total === 0 ? ihl + r.remaining : total;
    if (t < ihl) r.fail('length', 'ipv4.total_length', `total length ${total} < header length ${ihl}`, start + 2);
    announced = t - ihl;
    if ((frag & 0x2000) !== 0 || (frag & 0x1fff) !== 0) {
      if (proto !== 6) throw new Unsupported('other', `IPv4 fragment of protocol ${proto}`);
      throw new Unsupported(
        'unsupported',
        `IPv4 fragment (offset ${(frag & 0x1fff) * 8}${frag & 0x2000 ? ', more fragments' : ''}) not reassembled`,
      );
    }
    body = r.take(Math.min(announced, r.remaining), 'ipv4.payload');
  } else {
    const vtf = r.u32('ipv6.version_class_flow');
    if (vtf >>> 28 !== 6) r.fail('value', 'ipv6.version', `version ${vtf >>> 28} in an IPv6 frame`, start);
    const plen = r.u16('ipv6.payload_length');
    let next = r.u8('ipv6.next_header');
    r.u8('ipv6.hop_limit');
    src = formatIpv6(r.bytes(16, 'ipv6.src'));
    dst = formatIpv6(r.bytes(16, 'ipv6.dst'));
    if (plen === 0) throw new Unsupported('unsupported', 'IPv6 jumbogram or payload length 0');
    body = r.take(Math.min(plen, r.remaining), 'ipv6.payload');
    announced = plen;
    for (let n = 0; ; n++) {
      if (n > 16) body.fail('value', 'ipv6.ext', 'more than 16 extension headers');
      const before = body.offset;
      if (next === 0 || next === 43 || next === 60) {
        const nh = body.u8('ipv6.ext.next_header');
        const len = body.u8('ipv6.ext.length');
        body.bytes(len * 8 + 6, 'ipv6.ext.data');
        next = nh;
      } else if (next === 51) {
        const nh = body.u8('ipv6.ah.next_header');
        const len = body.u8('ipv6.ah.length');
        body.bytes(len * 4 + 6, 'ipv6.ah.data');
        next = nh;
      } else if (next === 44) {
        const nh = body.u8('ipv6.frag.next_header');
        body.u8('ipv6.frag.reserved');
        const off = body.u16('ipv6.frag.offset');
        body.u32('ipv6.frag.id');
        if ((off & 0xfff9) !== 0 || (off & 1) !== 0)
          throw new Unsupported(nh === 6 ? 'unsupported' : 'other', 'IPv6 fragment not reassembled');
        next = nh;
      } else {
        break;
      }
      announced -= body.offset - before;
    }
    proto = next;
  }
  if (proto !== 6) throw new Unsupported('other', `IP protocol ${proto}`);
  return tcp(body, announced, src, dst, p);
}

function tcp(r: Reader, announced: number, srcIp: string, dstIp: string, p: Packet): TcpSegment {
  const start = r.offset;
  const sport = r.u16('tcp.srcport');
  const dport = r.u16('tcp.dstport');
  const seq = r.u32('tcp.seq');
  const ack = r.u32('tcp.ack');
  const offFlags = r.u16('tcp.offset_flags');
  const hlen = (offFlags >> 12) * 4;
  if (hlen < 20) r.fail('value', 'tcp.data_offset', `header length ${hlen} < 20`, start + 12);
  const window = r.u16('tcp.window');
  r.u16('tcp.checksum');
  r.u16('tcp.urgent');
  const opts = r.take(hlen - 20, 'tcp.options');
  const options: TcpOption[] = [];
  while (!opts.atEnd) {
    const kind = opts.u8('kind');
    if (kind === 0) break;
    if (kind === 1) continue;
    const len = opts.u8('length');
    if (len < 2) opts.fail('length', 'length', `option ${kind} length ${len} < 2`);
    options.push({ kind, data: opts.bytes(len - 2, `option[${kind}]`) });
  }
  const payloadOffset = r.offset;
  const payload = r.rest();
  const want = Math.max(0, announced - hlen);
  return {
    frame: p.frame,
    tsNs: p.tsNs,
    src: { ip: srcIp, port: sport },
    dst: { ip: dstIp, port: dport },
    seq,
    ack,
    flags: offFlags & 0x1ff,
    window,
    options,
    payload,
    missingTail: Math.max(0, want - payload.length),
    payloadOffset,
  };
}
