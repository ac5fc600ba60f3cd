/**
 * Key-exchange values: (EC)DH public values (format, curve membership,
 * small-order X25519 points, groups, freshness), finite-field DH ranges,
 * group sizes and share lengths, and the RSA premaster and its encoding.
 */
import {
  CURVES,
  decryptPremaster,
  ecdhGroupOf,
  ffdheGroupOf,
  groupLabel,
  isMontgomery,
  publicValueLength,
  smallOrderPoints,
  validateDhPublic,
  validatePublicValue,
} from '../../crypto';
import { extensionBody } from '../../wire/extensions';
import { bytesEqual, toHex } from '../../wire/hex';
import { NamedGroup as G, ExtensionType as X, namedGroups } from '../../wire/registry';
import type { Direction } from '../../wire/vocabulary';
import { type Context, bodyOf } from '../context';
import { because, definitionIn } from '../alert-choices';
import { hex4 } from '../flow';
import { type Reaction, alertReaction, reactionsIn } from '../live';
import { ephemeral, keyInputMissing, leafOf, privateKeyFor, provider, publicValues, sharedSecret, stepsOf } from '../keyfacts';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({ versions: ['1.2', '1.3'], role: 'both', strength: 'MUST', evidence: 'plaintext', group: 'crypto' });

const hex = (b: Uint8Array): string => toHex(b);

// ---- key exchange values ----------------------------------------------------

/** Public value length of every elliptic-curve group the crypto layer has (crypto/ecdh), by NamedGroup code. */
const EC_LEN: Record<number, number> = Object.fromEntries(
  [...namedGroups.keys()].flatMap((c) => {
    const g = ecdhGroupOf(c);
    return g ? [[c, publicValueLength(g)]] : [];
  }),
);
const isEc = (g: number): boolean => EC_LEN[g] !== undefined;
const isFf = (g: number): boolean => g === -1 || (g >= 256 && g <= 511);

function dhP(ctx: Context, group: number): Uint8Array | undefined {
  if (group === -1) {
    const ske = bodyOf(stepsOf(ctx, 'server_key_exchange', 'S->C')[0]);
    return ske?.type === 'server_key_exchange' && ske.kex === 'dhe' ? ske.p : undefined;
  }
  return undefined;
}
const big = (b: Uint8Array): bigint => (b.length ? BigInt(`0x${toHex(b)}`) : 0n);

/** Did the receiver of `m` carry on with the handshake (its next flight follows)? */
function continued(ctx: Context, dir: Direction, after: number): boolean {
  return ctx.t.messages.some(
    (m) =>
      m.index > after &&
      m.dir !== dir &&
      (m.type === 'finished' || m.type === 'client_key_exchange' || m.kind === 'application_data'),
  );
}

export const keyExchangeRules = [
  rule({
    id: 't12.ks.pms-rsa',
    title: 'The RSA premaster is 48 bytes starting with the version the ClientHello offered.',
    rfc: 'RFC 5246 §7.4.7.1',
    versions: ['1.2'],
    role: 'client',
    evidence: 'keys',
    needs: ['full-handshake'],
    async check(ctx) {
      if (ctx.kex !== 'RSA') return notApplicable(`The key exchange is ${ctx.kex ?? 'unknown'}, not RSA.`);
      const m = stepsOf(ctx, 'client_key_exchange', 'C->S')[0];
      const b = bodyOf(m);
      if (!m || b?.type !== 'client_key_exchange' || b.kex !== 'rsa')
        return inconclusive('The RSA ClientKeyExchange is not decoded.');
      const leaf = leafOf(ctx, 'S->C');
      if (!leaf.ok) return inconclusive(`Not checked: ${leaf.why}.`);
      const key = privateKeyFor(ctx, leaf.value.leaf.spkiDer);
      if (!key) return inconclusive("Not checked: the server's RSA private key was not given.", { message: m.index });
      const r = await decryptPremaster(provider(ctx), key, b.encryptedPreMasterSecret, ctx.ch!.b.legacyVersion);
      if (r.ok) return pass('The decrypted premaster is 48 bytes and starts with the offered version.', { message: m.index });
      return violation(`The RSA premaster is malformed: ${r.reason}${r.detail ? ` (${r.detail})` : ''}.`, {
        message: m.index,
        expected: `48 bytes starting ${hex4(ctx.ch!.b.legacyVersion)}`,
      });
    },
  }),
  rule({
    id: 't12.rsa.cke-encoding',
    title: 'The RSA ClientKeyExchange carries EncryptedPreMasterSecret with its two-byte length.',
    rfc: 'RFC 5246 §7.4.7.1',
    versions: ['1.2'],
    role: 'client',
    alerts: ['decode_error'],
    evidence: 'plaintext',
    needs: ['full-handshake'],
    check(ctx) {
      if (ctx.kex !== 'RSA') return notApplicable(`The key exchange is ${ctx.kex ?? 'unknown'}, not RSA.`);
      const m = stepsOf(ctx, 'client_key_exchange', 'C->S')[0];
      if (!m?.raw) return inconclusive('No ClientKeyExchange bytes.');
      const body = m.raw.subarray(4);
      const n = body.length >= 2 ? (body[0]! << 8) | body[1]! : -1;
      return n === body.length - 2
        ? pass(`EncryptedPreMasterSecret has its length prefix (${n} bytes).`, { message: m.index })
        : violation('The RSA ClientKeyExchange lacks a correct two-byte length prefix.', {
            message: m.index,
            expected: `${body.length - 2}`,
            actual: `${n}`,
          });
    },
  }),
  rule({
    id: 'ecdh.symmetry',
    title: 'Both sides compute the same (EC)DH secret from their private key and the peer public value.',
    rfc: ['RFC 8422 §5.10', 'RFC 8446 §7.4.2'],
    versions: ['1.2', '1.3'],
    alerts: ['bad_record_mac', 'decrypt_error'],
    evidence: 'keys',
    async check(ctx) {
      const e = ephemeral(ctx);
      if (!e.ok)
        return e.why.includes('not ephemeral') ? notApplicable(e.why) : keyInputMissing(ctx, e.why, `Not checked: ${e.why}.`);
      if (!e.value.clientPrivate || !e.value.serverPrivate)
        return inconclusive('Not checked: both ephemeral private keys are needed and the transcript does not carry them.');
      const a = await sharedSecret(ctx, e.value, 'client');
      const b = await sharedSecret(ctx, e.value, 'server');
      if (!a.ok || !b.ok)
        return violation(
          `A side's shared secret cannot be computed: ${!a.ok ? a.why : ''}${!b.ok ? (b as { why: string }).why : ''}.`,
        );
      return bytesEqual(a.value, b.value)
        ? pass(`Both sides derive the same ${a.value.length}-byte secret.`)
        : violation('The client and server shared secrets differ (a private key does not belong to its public value).', {
            expected: hex(a.value),
            actual: hex(b.value),
          });
    },
  }),
  rule({
    id: 'ecdh.point-format',
    title: 'NIST-curve points are uncompressed 0x04||X||Y of the curve size; X25519/X448 values are 32/56 bytes.',
    rfc: ['RFC 8422 §5.4', 'RFC 8422 §5.4.1', 'RFC 8446 §4.2.8.2'],
    versions: ['1.2', '1.3'],
    alerts: [
      'illegal_parameter',
      because(
        'decode_error',
        'RFC 8446 §6',
        'Peers which receive a message which cannot be parsed according to the syntax (e.g., have a length extending beyond the message boundary or contain an out-of-range length) MUST terminate the connection with a "decode_error" alert.',
      ),
    ],
    evidence: 'plaintext',
    check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx).filter((x) => isEc(x.group))) {
        const want = EC_LEN[v.group]!;
        const eg = ecdhGroupOf(v.group);
        const nist = eg !== undefined && !isMontgomery(eg);
        if (v.value.length !== want)
          out.push(
            violation(`${v.where} for group ${hex4(v.group)} is ${v.value.length} bytes.`, {
              message: v.m.index,
              expected: `${want}`,
              actual: `${v.value.length}`,
            }),
          );
        else if (nist && v.value[0] !== 4)
          out.push(
            violation(`${v.where} for group ${hex4(v.group)} is not an uncompressed point.`, {
              message: v.m.index,
              expected: '0x04',
              actual: `0x${v.value[0]!.toString(16)}`,
            }),
          );
        else out.push(pass(`${v.where} (${hex4(v.group)}) has the right format.`, { message: v.m.index }));
      }
      return out.length ? out : notApplicable('No elliptic-curve public value.');
    },
  }),
  rule({
    id: 'ecdh.point-on-curve',
    title: 'Received NIST-curve points are on the curve, not the identity, with coordinates below p.',
    rfc: ['NIST SP 800-56A §5.6.2.3', 'RFC 8422 §5.11', 'RFC 8446 §4.2.8.2'],
    versions: ['1.2', '1.3'],
    alerts: ['illegal_parameter'],
    evidence: 'plaintext',
    check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx)) {
        const g = ecdhGroupOf(v.group);
        if (!g || isMontgomery(g)) continue;
        if (v.value.length === 1 && v.value[0] === 0) {
          out.push(violation(`${v.where} is the point at infinity.`, { message: v.m.index }));
          continue;
        }
        const r = validatePublicValue(g, v.value);
        if (r.ok) out.push(pass(`${v.where} is a valid ${CURVES[g].namedCurve} point.`, { message: v.m.index }));
        else if (r.reason === 'wrong_length' || r.reason === 'not_uncompressed')
          out.push(inconclusive(`${v.where} has the wrong format (see ecdh.point-format).`, { message: v.m.index }));
        else
          out.push(
            violation(`${v.where} is not a valid ${CURVES[g].namedCurve} point: ${r.reason}.`, {
              message: v.m.index,
              actual: r.detail ?? r.reason,
            }),
          );
      }
      return out.length ? out : notApplicable('No NIST-curve public value.');
    },
  }),
  rule({
    id: 'ecdh.x25519-zero',
    title: 'An all-zero X25519/X448 shared secret (small-order peer value) ends the handshake.',
    rfc: ['RFC 7748 §6', 'RFC 8422 §5.10', 'RFC 8422 §5.11', 'RFC 8446 §7.4.2'],
    versions: ['1.2', '1.3'],
    alerts: ['illegal_parameter'],
    evidence: 'plaintext',
    async check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx).filter((x) => x.group === G.x25519 || x.group === G.x448)) {
        const mg = v.group === G.x25519 ? 'x25519' : 'x448';
        const label = groupLabel(mg);
        const bad = smallOrderPoints(mg).some((p) => bytesEqual(p, v.value));
        if (bad && continued(ctx, v.m.dir, v.m.index))
          out.push(
            violation(
              `${v.where} is a small-order ${label} point (all-zero shared secret) and the peer went on with the handshake.`,
              { message: v.m.index, actual: hex(v.value) },
            ),
          );
        else if (bad) out.push(pass(`${v.where} is a small-order point and the handshake stopped.`, { message: v.m.index }));
        else out.push(pass(`${v.where} is not a small-order ${label} point.`, { message: v.m.index }));
      }
      const e = ephemeral(ctx);
      if (e.ok && (e.value.group === G.x25519 || e.value.group === G.x448) && (e.value.clientPrivate || e.value.serverPrivate)) {
        const z = await sharedSecret(ctx, e.value, e.value.clientPrivate ? 'client' : 'server');
        if (!z.ok && z.why.includes('zero_shared_secret'))
          out.push(
            violation(
              `The ${e.value.group === G.x25519 ? 'X25519' : 'X448'} shared secret is all zeros and the handshake went on.`,
            ),
          );
      }
      return out.length ? out : notApplicable('No X25519 or X448 public value.');
    },
  }),
  rule({
    id: 'ecdh.same-group',
    title:
      'The ClientKeyExchange point fits the curve of the ServerKeyExchange; the TLS 1.3 server share uses a group the client sent a share for.',
    rfc: 'RFC 8422 §5.7; RFC 8446 §4.2.8',
    versions: ['1.2', '1.3'],
    alerts: ['illegal_parameter'],
    evidence: 'plaintext',
    check(ctx) {
      if (ctx.version === '1.3') {
        const ss = extensionBody(ctx.sh?.b.extensions, X.key_share, 'key_share_server');
        if (!ss || !ctx.sh) return notApplicable('The ServerHello has no key_share.');
        const cs = extensionBody((ctx.ch2 ?? ctx.ch)?.b.extensions, X.key_share, 'key_share_client');
        if (!cs) return inconclusive('The ClientHello key_share is not readable.');
        return cs.shares.some((s) => s.group === ss.share.group)
          ? pass(`The server share uses group ${hex4(ss.share.group)}, which the client sent.`, { message: ctx.sh.m.index })
          : violation(`The server share uses group ${hex4(ss.share.group)}, for which the client sent no share.`, {
              message: ctx.sh.m.index,
              expected: cs.shares.map((s) => hex4(s.group)).join(' '),
              actual: hex4(ss.share.group),
            });
      }
      const vs = publicValues(ctx);
      const ske = vs.find((v) => v.where === 'ServerKeyExchange');
      const cke = vs.find((v) => v.where === 'ClientKeyExchange');
      if (!ske || !cke) return notApplicable('No ECDHE ServerKeyExchange/ClientKeyExchange pair.');
      const want = EC_LEN[ske.group];
      if (want === undefined) return inconclusive(`Group ${hex4(ske.group)} is not known to this check.`);
      const g = ecdhGroupOf(ske.group);
      const ok = cke.value.length === want && (!g || isMontgomery(g) || validatePublicValue(g, cke.value).ok);
      return ok
        ? pass(`The ClientKeyExchange point fits group ${hex4(ske.group)}.`, { message: cke.m.index })
        : violation(
            `The ClientKeyExchange point (${cke.value.length} bytes) is not a point of the server's group ${hex4(ske.group)}.`,
            { message: cke.m.index, expected: `${want} bytes on ${hex4(ske.group)}`, actual: `${cke.value.length} bytes` },
          );
    },
  }),
  rule({
    id: 'ecdh.independent-shares',
    title: 'Each key share is fresh: no two shares in a ClientHello, nor shares of earlier connections, are the same value.',
    rfc: ['RFC 5246 App. F.1.1.3', 'RFC 8446 §4.2.8'],
    versions: ['1.2', '1.3'],
    role: 'client',
    evidence: 'plaintext',
    check(ctx) {
      const mine = publicValues(ctx).filter((v) => v.m.dir === 'C->S' && v.where !== 'second ClientHello key_share');
      if (!mine.length) return notApplicable('No client key-exchange value.');
      const seen = new Map<string, string>();
      for (const v of mine) {
        const k = hex(v.value);
        if (seen.has(k)) return violation(`${v.where} repeats a value already sent in ${seen.get(k)}.`, { message: v.m.index });
        seen.set(k, v.where);
      }
      for (const [i, e] of ctx.earlier.entries()) {
        // a byte-identical ClientHello is that message replayed (RFC 8446 §8, a 0-RTT replay), not a new key share
        const replayed = !!ctx.ch?.m.raw && !!e.ch?.m.raw && bytesEqual(ctx.ch.m.raw, e.ch.m.raw);
        if (replayed) continue;
        for (const v of publicValues(e).filter((x) => x.m.dir === 'C->S'))
          if (seen.has(hex(v.value)))
            return violation(`The client reuses a key-exchange value of earlier connection ${i}.`, { message: mine[0]!.m.index });
      }
      return pass(
        `${mine.length} client key-exchange value(s), all distinct${ctx.earlier.length ? ' and unused in earlier connections' : ''}.`,
      );
    },
  }),
  rule({
    id: 'dh.pubkey-range',
    title: 'Finite-field DH public values lie strictly between 1 and p-1.',
    rfc: ['RFC 7919 §3', 'RFC 7919 §4', 'RFC 7919 §5.1', 'RFC 8446 §4.2.8.1', 'RFC 8446 §6'],
    versions: ['1.2', '1.3'],
    alerts: [
      because(
        'handshake_failure',
        'RFC 7919 §3',
        'If dh_Ys is not in this range, the client MUST terminate the connection with a fatal handshake_failure(40) alert.',
        ['1.2'],
      ),
      because(
        'illegal_parameter',
        'RFC 8446 §6',
        'Peers which receive a message which is syntactically correct but semantically invalid (e.g., a DHE share of p - 1, or an invalid enum) MUST terminate the connection with an "illegal_parameter" alert.',
        ['1.3'],
      ),
      // RFC 7919 §3 names handshake_failure for the client checking dh_Ys; for a server checking dh_Yc, §5.1 ("Peers
      // MUST validate each other's public key Y (dh_Ys offered by the server or dh_Yc offered by the client) by
      // ensuring that 1 < Y < p-1") names none: a value out of range is the RFC 5246 §7.2.2 illegal_parameter
      definitionIn('illegal_parameter', ['1.2']),
    ],
    evidence: 'plaintext',
    check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx).filter((x) => isFf(x.group))) {
        let ok: boolean;
        if (v.group === -1) {
          const p = dhP(ctx, -1);
          if (!p) continue;
          const y = big(v.value);
          ok = y > 1n && y < big(p) - 1n;
        } else {
          const fg = ffdheGroupOf(v.group);
          if (!fg) {
            out.push(
              inconclusive(`${v.where}: the prime of group ${hex4(v.group)} is not known to the crypto layer.`, {
                message: v.m.index,
              }),
            );
            continue;
          }
          ok = validateDhPublic(fg, v.value).ok;
        }
        out.push(
          ok
            ? pass(`${v.where} is in range.`, { message: v.m.index })
            : violation(`${v.where} is not in (1, p-1).`, { message: v.m.index, actual: hex(v.value).slice(0, 16) }),
        );
      }
      return out.length ? out : notApplicable('No finite-field DH public value.');
    },
  }),
  rule({
    id: 'dh.group-strength',
    title: 'A client does not go on with a DHE group whose prime is under 768 bits (and should not under 1024).',
    rfc: ['RFC 5246 App. F.1.1.3', 'RFC 7919 §3.1'],
    versions: ['1.2'],
    role: 'client',
    alerts: ['insufficient_security'],
    evidence: 'plaintext',
    judgesReceiver: true,
    check(ctx) {
      const m = stepsOf(ctx, 'server_key_exchange', 'S->C')[0];
      const b = bodyOf(m);
      if (!m || b?.type !== 'server_key_exchange' || b.kex !== 'dhe') return notApplicable('No DHE ServerKeyExchange.');
      let p = b.p;
      while (p.length && p[0] === 0) p = p.subarray(1);
      const bits = p.length ? p.length * 8 - Math.clz32(p[0]!) + 24 : 0;
      const went = stepsOf(ctx, 'client_key_exchange', 'C->S')[0];
      if (bits < 1024 && went)
        return violation(`The client accepted a ${bits}-bit DH prime.`, {
          message: went.index,
          expected: '>= 1024 bits (768 at the very least)',
          actual: `${bits}`,
        });
      return pass(`DH prime of ${bits} bits${went ? '' : ' (the client did not go on)'}.`, { message: m.index });
    },
  }),
  rule({
    id: 'dh.share-encoding',
    title: 'A TLS 1.3 FFDHE key share is exactly as long as the group prime.',
    rfc: ['RFC 8446 §4.2.8.1', 'RFC 8446 §7.4.1'],
    versions: ['1.3'],
    alerts: ['illegal_parameter'],
    evidence: 'plaintext',
    check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx).filter((x) => isFf(x.group) && x.group !== -1)) {
        const want = { 256: 256, 257: 384, 258: 512, 259: 768, 260: 1024 }[v.group];
        if (want === undefined) continue;
        out.push(
          v.value.length === want
            ? pass(`${v.where} is ${want} bytes.`, { message: v.m.index })
            : violation(`${v.where} is ${v.value.length} bytes, not the ${want} bytes of the prime.`, {
                message: v.m.index,
                expected: `${want}`,
                actual: `${v.value.length}`,
              }),
        );
      }
      return out.length ? out : notApplicable('No FFDHE key share.');
    },
  }),

  rule({
    id: 't12.rsa.no-oracle',
    title:
      'A server that cannot decrypt the RSA premaster (or finds a wrong length or version) does not alert then: it goes on with a random premaster and fails at Finished.',
    rfc: 'RFC 5246 §7.4.7.1',
    versions: ['1.2'],
    role: 'server',
    evidence: 'live',
    alerts: [
      because(
        'bad_record_mac',
        'RFC 5246 §7.2.2',
        'bad_record_mac: This alert is returned if a record is received with an incorrect MAC. This alert also MUST be returned if an alert is sent because a TLSCiphertext decrypted in an invalid way.',
      ),
      because(
        'decrypt_error',
        'RFC 5246 §7.2.2',
        'decrypt_error: A handshake cryptographic operation failed, including being unable to correctly verify a signature or validate a Finished message.',
      ),
    ],
    overrides: {
      alerts:
        "RFC 5246 §7.4.7.1 has the server go on with a random premaster, so the client's Finished record is protected with keys the server does not share: it fails to deprotect first (bad_record_mac, RFC 5246 §6.2.3.3 / §7.2.2), and only a record that still opens gives decrypt_error at the Finished check; the checklist names decrypt_error alone",
    },
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome', notBefore: 'finished' },
    needs: ['violations'],
    check(ctx): Outcome {
      const r: Reaction | undefined = reactionsIn(ctx, ctx.violations, ctx.notices).find(
        (x: Reaction) => x.violator === 'client' && x.rules.some((id: string) => id === 't12.ks.pms-rsa'),
      );
      if (!r) return notApplicable('The RSA premaster decrypts to 48 bytes with the offered version (or could not be checked).');
      // RFC 5246 §7.4.7.1: "In any case, a TLS server MUST NOT generate an alert if processing an RSA-encrypted premaster
      // secret message fails, or the version number is not as expected. Instead, it MUST continue the handshake with a
      // randomly generated premaster secret." An alert that comes before the client's Finished answers the
      // ClientKeyExchange (and at most the ChangeCipherSpec) alone: the client held them back (fuzz/exchange.ts
      // holdFrom), and the server cannot have found the Finished wrong before it came
      const next = r.next;
      if (next?.kind === 'alert' && next.dir !== ctx.t.messages[r.at]?.dir) {
        const finished = ctx.t.messages.some(
          (m) =>
            m.index > r.at &&
            m.index < next.index &&
            m.dir === ctx.t.messages[r.at]?.dir &&
            (m.type === 'finished' || m.type === 'encrypted_handshake_message'),
        );
        if (!finished)
          return violation(
            `The server alerted (${r.alert ?? 'an alert'}, message ${next.index}) after the malformed RSA premaster and before the client's Finished: RFC 5246 §7.4.7.1 has it go on with a random premaster instead, so that a bad premaster cannot be told apart.`,
            { message: next.index, expected: 'no alert before the Finished', actual: r.alert ?? 'alert' },
          );
      }
      if (r.next && r.next.kind !== 'alert')
        return inconclusive('The server went on after a malformed RSA premaster; its failure, if any, comes later.', {
          message: r.next.index,
        });
      return (
        alertReaction(
          r,
          ['bad_record_mac', 'decrypt_error'],
          'RFC 5246 §7.4.7.1 (no premaster-specific alert: the handshake fails at Finished)',
        ) ?? inconclusive('The server closed without an error alert after a malformed RSA premaster.', { message: r.at })
      );
    },
  }),
];
