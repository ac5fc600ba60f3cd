/**
 * Live-only mutations: client-side changes that only make sense against a
 * real target (no in-memory counterpart in the generators/ catalogue), each
 * declaring the rules a target breaks by accepting it.
 *
 * The "Y flipped" point: our client's real ECDH public point on P-256/P-384
 * with the lowest bit of Y flipped. X is still a valid X coordinate, so a
 * receiver that skips the curve-equation check and works from X alone (an
 * x-only ladder) derives exactly the shared secret our client computes from
 * its untampered key: the handshake completes, and only the target's answer
 * shows it accepted a point that is not on the curve (RFC 8422 §5.11,
 * RFC 8446 §4.2.8.2). A conforming target refuses it with illegal_parameter.
 */
import type { EngineHooks } from '../engine/hooks';
import { NamedGroup } from '../wire/registry';
import type { LiveVersion } from './conversation';

export interface LiveOnlyOperator {
  name: string;
  version: LiveVersion;
  /** Rules a target breaks by accepting the mutated conversation. */
  declares: readonly string[];
  /** TLS 1.2 ECDHE key exchange is needed. */
  ecdhe: boolean;
  /** Key-exchange groups the operator works with (the conversation offers only the chosen one). */
  groups: readonly number[];
  /** Client hooks carrying out the mutation. */
  hooks(): EngineHooks;
}

/** Uncompressed point length (0x04 || X || Y) per NIST group. */
const POINT_LEN: Readonly<Record<number, number>> = { [NamedGroup.secp256r1]: 65, [NamedGroup.secp384r1]: 97 };

/** A copy of an uncompressed point with the lowest bit of Y flipped (undefined if it is not one). */
export function flipY(point: Uint8Array): Uint8Array | undefined {
  if (point[0] !== 0x04 || (point.length !== 65 && point.length !== 97)) return undefined;
  const out = point.slice();
  out[out.length - 1]! ^= 0x01;
  return out;
}

/** ClientKeyExchange (ECDHE): header(4) || point length(1) || point. */
function flipCke(raw: Uint8Array): Uint8Array | undefined {
  const n = raw[4];
  if (raw[0] !== 16 || n === undefined || raw.length !== 5 + n) return undefined;
  const p = flipY(raw.subarray(5));
  if (!p) return undefined;
  const out = raw.slice();
  out.set(p, 5);
  return out;
}

const u16 = (b: Uint8Array, at: number): number => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);

/** ClientHello: flip Y in the first NIST key share (the walk stops at anything malformed: nothing changes then). */
function flipKeyShare(raw: Uint8Array): Uint8Array | undefined {
  if (raw[0] !== 1) return undefined;
  let at = 4 + 2 + 32;
  at += 1 + (raw[at] ?? 0); // legacy_session_id
  at += 2 + u16(raw, at); // cipher_suites
  at += 1 + (raw[at] ?? 0); // legacy_compression_methods
  const extEnd = at + 2 + u16(raw, at);
  at += 2;
  if (extEnd > raw.length) return undefined;
  while (at + 4 <= extEnd) {
    const type = u16(raw, at);
    const len = u16(raw, at + 2);
    const body = at + 4;
    if (type === 51) {
      const end = body + 2 + u16(raw, body);
      for (let e = body + 2; e + 4 <= end; ) {
        const group = u16(raw, e);
        const klen = u16(raw, e + 2);
        if (POINT_LEN[group] === klen) {
          const p = flipY(raw.subarray(e + 4, e + 4 + klen));
          if (!p) return undefined;
          const out = raw.slice();
          out.set(p, e + 4);
          return out;
        }
        e += 4 + klen;
      }
      return undefined;
    }
    at = body + len;
  }
  return undefined;
}

/** A replacement list of one message, or no change. */
const one = (raw: Uint8Array | undefined): Uint8Array[] | undefined => (raw ? [raw] : undefined);

const NIST: readonly number[] = [NamedGroup.secp256r1, NamedGroup.secp384r1];

export const LIVE_ONLY_OPERATORS: readonly LiveOnlyOperator[] = [
  {
    name: 't12-cke-point-y-flipped',
    version: '1.2',
    declares: ['ecdh.point-on-curve'],
    ecdhe: true,
    groups: NIST,
    hooks: () => ({
      beforeSend: (m) => (m.kind === 'handshake' && m.type === 'client_key_exchange' ? one(flipCke(m.raw)) : undefined),
    }),
  },
  {
    name: 't13-keyshare-y-flipped',
    version: '1.3',
    declares: ['ecdh.point-on-curve'],
    ecdhe: false,
    groups: NIST,
    hooks: () => ({
      beforeSend: (m) => (m.kind === 'handshake' && m.type === 'client_hello' ? one(flipKeyShare(m.raw)) : undefined),
    }),
  },
];

export function liveOnlyOperator(name: string): LiveOnlyOperator | undefined {
  return LIVE_ONLY_OPERATORS.find((o) => o.name === name);
}
