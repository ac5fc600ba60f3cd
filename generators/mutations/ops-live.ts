/**
 * ECDH points off the curve whose X is still valid, from either side: our
 * real public point on P-256/P-384 with the lowest bit of Y flipped. X is a
 * valid X coordinate, so a receiver that skips the curve-equation check and
 * works from X alone (an x-only ladder) derives exactly the shared secret
 * we compute from our untampered key: the handshake completes, and only the
 * receiver's answer shows it accepted a point that is not on the curve
 * (RFC 8422 §5.11, RFC 8446 §4.2.8.2). A conforming receiver refuses it with
 * illegal_parameter. The other point mutations (identity, wrong length, X off
 * the curve) leave the receiver nothing to go on with; these show whether it
 * checked at all.
 */
import type { EngineHooks } from '../../engine/hooks';
import { ExtensionType, NamedGroup } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import { type Mutation, serverHooks } from './model';
import { type BaseName, editRaw, getExt, randomOfHello, resignSke } from './support';

/** Uncompressed point length (0x04 || X || Y) per NIST group. */
const POINT_LEN: Readonly<Record<number, number>> = { [NamedGroup.secp256r1]: 65, [NamedGroup.secp384r1]: 97 };
const NIST: readonly number[] = [NamedGroup.secp256r1, NamedGroup.secp384r1];
const T12_ECDHE: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm'];
const T13_ALL: readonly BaseName[] = ['t13-server-auth', 't13-mutual'];

/** A copy of an uncompressed NIST point with the lowest bit of Y flipped (undefined if it is not one). */
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
    if (type === ExtensionType.key_share) {
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

/** TLS 1.3: our server's ServerHello key share (NIST groups only) with Y flipped. */
const serverShareOffCurve = (): EngineHooks => ({
  beforeSend: (m) => {
    if (m.kind !== 'handshake' || m.type !== 'server_hello') return undefined;
    let changed = false;
    const raw = editRaw(m.raw, { version: VERSION_CODE['1.3'] }, 'server_hello', (b) => {
      const ks = getExt(b.extensions, ExtensionType.key_share, 'key_share_server');
      const flipped = ks ? flipY(ks.share.keyExchange) : undefined;
      if (!ks || !flipped) return;
      ks.share.keyExchange = flipped;
      changed = true;
    });
    return changed ? [raw] : undefined;
  },
});

/** TLS 1.2: our server's ServerKeyExchange point with Y flipped, re-signed so that only the point is wrong. */
const skePointOffCurve = serverHooks((env) => {
  let clientRandom: Uint8Array | undefined;
  let serverRandom: Uint8Array | undefined;
  const hooks: EngineHooks = {
    beforeProcess: (m) => {
      if (m.type === 'client_hello') clientRandom = randomOfHello(m.raw).slice();
      return undefined;
    },
    beforeSend: async (m) => {
      if (m.kind !== 'handshake') return undefined;
      if (m.type === 'server_hello') serverRandom = randomOfHello(m.raw).slice();
      if (m.type !== 'server_key_exchange' || !clientRandom || !serverRandom) return undefined;
      // header(4) curve_type(1) group(2) length(1) point, scheme(2) length(2) signature
      const len = m.raw[7]!;
      const flipped = m.raw[4] === 3 ? flipY(m.raw.subarray(8, 8 + len)) : undefined;
      if (!flipped) return undefined;
      const edited = m.raw.slice();
      edited.set(flipped, 8);
      const scheme = (m.raw[8 + len]! << 8) | m.raw[9 + len]!;
      return [await resignSke(env.provider, env.server.identity, edited, scheme, clientRandom, serverRandom)];
    },
  };
  return hooks;
});

export const OFF_CURVE_MUTATIONS: readonly Mutation[] = [
  {
    name: 't12-cke-point-y-flipped',
    description: "our client's ECDHE ClientKeyExchange point with the lowest bit of Y flipped (X valid, off the curve)",
    versions: ['1.2'],
    rules: ['ecdh.point-on-curve'],
    bases: T12_ECDHE,
    needs: { kex: 'ECDHE', groups: NIST },
    where: 'client-sends',
    mutate: () => ({
      hooks: {
        beforeSend: (m) => (m.kind === 'handshake' && m.type === 'client_key_exchange' ? one(flipCke(m.raw)) : undefined),
      },
    }),
  },
  {
    name: 't13-keyshare-y-flipped',
    description: "our client's first NIST key share with the lowest bit of Y flipped (X valid, off the curve)",
    versions: ['1.3'],
    rules: ['ecdh.point-on-curve'],
    bases: T13_ALL,
    needs: { groups: NIST },
    where: 'client-sends',
    mutate: () => ({
      hooks: {
        beforeSend: (m) => (m.kind === 'handshake' && m.type === 'client_hello' ? one(flipKeyShare(m.raw)) : undefined),
      },
    }),
    // in memory our server processes the untampered ClientHello, so the handshake goes on and the transcript shows the
    // point the server should have refused (the rule judges the key share as sent)
    inMemory: () => ({ processesOriginal: ['client_hello'] }),
  },
  {
    name: 't12-ske-point-off-curve-valid-x',
    description: "our server's ServerKeyExchange point with the lowest bit of Y flipped, re-signed (X valid, off the curve)",
    versions: ['1.2'],
    rules: ['ecdh.point-on-curve'],
    bases: T12_ECDHE,
    needs: { kex: 'ECDHE', groups: NIST },
    ...skePointOffCurve,
  },
  {
    name: 't13-server-share-off-curve-valid-x',
    description: "our server's ServerHello key share with the lowest bit of Y flipped (X valid, off the curve)",
    versions: ['1.3'],
    rules: ['ecdh.point-on-curve'],
    bases: T13_ALL,
    needs: { groups: NIST },
    ...serverHooks(serverShareOffCurve),
  },
];
