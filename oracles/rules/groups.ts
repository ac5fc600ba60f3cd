/**
 * TLS 1.2 elliptic-curve and finite-field group negotiation (RFC 8422,
 * RFC 7919): the curve of ServerKeyExchange and of an ECDSA server
 * certificate, named curves, point formats, ECC extensions without ECC
 * suites, the finite-field group of a DHE ServerKeyExchange.
 */
import { ffdheGroupOf, ffdheParams } from '../../crypto';
import { extensionBody } from '../../wire/extensions';
import { bytesEqual } from '../../wire/hex';
import { ExtensionType as X, cipherSuites, isGrease } from '../../wire/registry';
import { bodyOf, exts, hasExt } from '../context';
import { hex4 } from '../flow';
import { offers13 } from '../hellos';
import { because } from '../alert-choices';
import { leafOf } from '../keyfacts';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.2'],
  role: 'server',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'negotiation',
});

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
/** Named-curve OIDs of certificate keys and their TLS group (RFC 8422 §5.1.1). */
const CURVE_GROUP: Record<string, number> = {
  '1.2.840.10045.3.1.7': 0x17,
  '1.3.132.0.34': 0x18,
  '1.3.132.0.35': 0x19,
  '1.3.36.3.3.2.8.1.1.7': 0x1a,
  '1.3.36.3.3.2.8.1.1.11': 0x1b,
  '1.3.36.3.3.2.8.1.1.13': 0x1c,
};

/** The RFC 7919 groups this tool knows (crypto/ffdhe). */
const FFDHE_CODES: readonly number[] = Array.from({ length: 0x100 }, (_, i) => 0x0100 + i).filter(
  (c) => ffdheGroupOf(c) !== undefined,
);
/** A DH integer without its leading zero bytes (dh_p and dh_g are opaque<1..2^16-1>, RFC 5246 §7.4.3). */
const stripZeros = (b: Uint8Array): Uint8Array => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};

/** RFC 7919 §3: what a client that offered FFDHE groups may do with a ServerKeyExchange group it did not offer. */
const FFDHE_CLIENT_TEXT =
  'If none of the offered groups match, the server is not compatible with this document. The client MAY decide to continue the connection if the selected group is acceptable under local policy, or it MAY decide to terminate the connection with a fatal insufficient_security(71) alert.';
const FFDHE_CLIENT_ALERT = because('insufficient_security', 'RFC 7919 §3', FFDHE_CLIENT_TEXT);
const FFDHE_CLIENT_MAY = { rfc: 'RFC 7919 §3', text: FFDHE_CLIENT_TEXT, receiver: 'client' } as const;

/**
 * RFC 7919 §4: what a server that implements RFC 7919 does when none of the FFDHE groups a client offers is acceptable
 * and no other offered suite is either.
 */
const FFDHE_SERVER_ABORT = because(
  'insufficient_security',
  'RFC 7919 §4',
  "If the extension is present with FFDHE groups, none of the client's offered groups are acceptable by the server, and none of the client's proposed non-FFDHE cipher suites are acceptable to the server, the server MUST end the connection with a fatal TLS alert of type insufficient_security(71).",
);

export const groupRules = [
  rule({
    id: 'ext.ecc.curve-offered',
    title:
      "The ServerKeyExchange curve, and with ECDSA suites the curve of the server certificate's key, are ones the client offered.",
    rfc: 'RFC 8422 §4, §5.1, §5.3',
    versions: ['1.2'],
    alerts: ['illegal_parameter'],
    needs: ['client-hello'],
    check(ctx) {
      const groups = extensionBody(ctx.ch.b.extensions, X.supported_groups, 'supported_groups')?.groups;
      const out: Outcome[] = [];
      const ske = ctx.steps.map((s) => ({ s, b: bodyOf(s.m) })).find((x) => x.b?.type === 'server_key_exchange');
      if (groups && ske?.b?.type === 'server_key_exchange' && ske.b.kex === 'ecdhe') {
        out.push(
          groups.includes(ske.b.namedCurve)
            ? pass(`Curve ${hex4(ske.b.namedCurve)} was offered.`, { message: ske.s.m.index })
            : violation(`Curve ${hex4(ske.b.namedCurve)} was not offered.`, {
                message: ske.s.m.index,
                expected: groups.map(hex4).join(','),
                actual: hex4(ske.b.namedCurve),
              }),
        );
      }
      // RFC 8422 §5.3: with ECDHE_ECDSA / ECDH_ECDSA the certificate's ECDSA key must be on a curve the client supports.
      // Decision: checked under this catalogue id (its statement covers the certificate curve); no supported_groups = any curve (RFC 8422 §4);
      // an ECDSA key on a curve we cannot map to a TLS group is inconclusive.
      if (groups && (ctx.kex === 'ECDHE_ECDSA' || ctx.kex === 'ECDH_ECDSA')) {
        const leaf = leafOf(ctx, 'S->C');
        if (!leaf.ok)
          out.push(
            leaf.why.startsWith('no ')
              ? notApplicable(`The certificate curve: ${leaf.why}.`)
              : inconclusive(`The certificate curve not checked: ${leaf.why}.`),
          );
        else if (leaf.value.leaf.keyAlgOid === EC_PUBLIC_KEY) {
          const oid = leaf.value.leaf.keyCurveOid ?? '';
          const g = CURVE_GROUP[oid];
          const at = { message: leaf.value.m.index };
          if (g === undefined)
            out.push(
              inconclusive(
                `The server certificate's ECDSA key is on curve ${oid || '(unknown)'}, which is not mapped to a TLS group here.`,
                at,
              ),
            );
          else
            out.push(
              groups.includes(g)
                ? pass(`The server certificate's ECDSA key is on curve ${hex4(g)}, which the client offered.`, at)
                : violation(
                    `The server certificate's ECDSA key is on curve ${hex4(g)}, which the client did not offer in supported_groups.`,
                    { ...at, expected: groups.map(hex4).join(','), actual: hex4(g) },
                  ),
            );
        }
      }
      if (out.length) return out;
      if (!groups) return notApplicable('The client sent no supported_groups, so any curve is allowed.');
      return notApplicable('No ECDHE ServerKeyExchange and no ECDSA server certificate.');
    },
  }),
  rule({
    id: 'ext.ecc.named-curve-only',
    title: 'ECDHE parameters use named curves only.',
    rfc: 'RFC 8422 §5.4',
    versions: ['1.2'],
    alerts: ['illegal_parameter'],
    check(ctx) {
      const s = ctx.steps.find((x) => x.sym === 'server_key_exchange');
      if (!s) return notApplicable('No ServerKeyExchange.');
      if (!ctx.kex?.startsWith('ECDH')) return notApplicable('Not an ECDHE suite.');
      const f = s.m.findings?.find((x) => x.path.includes('curve_type'));
      if (f)
        return violation(`ServerKeyExchange curve_type is not named_curve: ${f.detail}.`, {
          message: s.m.index,
          expected: 'named_curve (3)',
          actual: 'other',
        });
      const b = bodyOf(s.m);
      return b?.type === 'server_key_exchange' && b.kex === 'ecdhe'
        ? pass('named_curve parameters.', { message: s.m.index })
        : inconclusive('ServerKeyExchange is not decoded.', { message: s.m.index });
    },
  }),
  rule({
    id: 'ext.ecc.point-formats',
    title: 'ec_point_formats lists include uncompressed, and the server sends one only in answer.',
    rfc: 'RFC 8422 §5.1.2, §5.2',
    versions: ['1.2'],
    role: 'both',
    alerts: ['illegal_parameter'],
    needs: ['client-hello'],
    check(ctx) {
      // the client's list is judged on the ClientHello alone (a server that refuses it sends no ServerHello)
      const c = extensionBody(ctx.ch.b.extensions, X.ec_point_formats, 'ec_point_formats');
      if (c && !c.formats.includes(0))
        return violation('The client ec_point_formats lacks uncompressed.', { message: ctx.ch.m.index });
      if (!ctx.sh) return inconclusive('The ServerHello is not in the transcript or could not be decoded.');
      const s = extensionBody(ctx.sh.b.extensions, X.ec_point_formats, 'ec_point_formats');
      if (s && !s.formats.includes(0))
        return violation('The server ec_point_formats lacks uncompressed.', { message: ctx.sh.m.index });
      if (s && !c) return violation('The server sent ec_point_formats unasked.', { message: ctx.sh.m.index });
      return c || s ? pass('ec_point_formats include uncompressed.') : notApplicable('No ec_point_formats.');
    },
  }),
  rule({
    id: 'ext.ecc.no-ecc-ext-without-ecc',
    title: 'A ClientHello without ECC suites (and without TLS 1.3) sends no ECC extensions.',
    rfc: 'RFC 8422 §4',
    versions: ['1.2'],
    role: 'client',
    needs: ['client-hello'],
    check(ctx) {
      if (offers13(ctx.ch.b)) return notApplicable('The ClientHello offers TLS 1.3, which needs supported_groups.');
      const unknown = ctx.ch.b.cipherSuites.filter((s) => !cipherSuites.has(s) && !isGrease(s));
      const ecc = ctx.ch.b.cipherSuites.some(
        (s) => cipherSuites.get(s)?.kex.startsWith('ECDH') || cipherSuites.get(s)?.kex === 'ECDHE_PSK',
      );
      if (!ecc && unknown.length)
        return inconclusive(
          `The ClientHello offers suites this tool does not know (${unknown.slice(0, 3).map(hex4).join(', ')}), so whether one is an ECC suite is unknown.`,
          { message: ctx.ch.m.index },
        );
      if (ecc) return notApplicable('ECC suites are offered.');
      const groups = extensionBody(ctx.ch.b.extensions, X.supported_groups, 'supported_groups')?.groups ?? [];
      const ecGroups = groups.filter((g) => g < 0x0100 && !isGrease(g));
      if (ecGroups.length || hasExt(exts(ctx.ch), X.ec_point_formats))
        return violation('ECC extensions without any ECC cipher suite.', { message: ctx.ch.m.index });
      return pass('No ECC extensions without ECC suites.', { message: ctx.ch.m.index });
    },
  }),

  rule({
    id: 'ext.ffdhe.group-selection',
    title:
      'A server that selects a finite-field DHE suite after a ClientHello listing FFDHE groups uses one of the listed groups in its ServerKeyExchange.',
    rfc: 'RFC 7919 §4',
    needs: ['client-hello'],
    // The receiver's duty (RFC 7919 §3) is a MAY either way: ext.ffdhe.client-check judges it.
    alerts: [FFDHE_CLIENT_ALERT],
    ignorable: FFDHE_CLIENT_MAY,
    check(ctx) {
      const ske = ctx.steps.map((s) => ({ m: s.m, b: bodyOf(s.m) })).find((x) => x.b?.type === 'server_key_exchange');
      if (ske?.b?.type !== 'server_key_exchange' || ske.b.kex !== 'dhe')
        return notApplicable('No finite-field DHE ServerKeyExchange.');
      const listed = extensionBody(ctx.ch.b.extensions, X.supported_groups, 'supported_groups')?.groups ?? [];
      // RFC 7919 §4: FFDHE codepoints are 256-511 ("any codepoint between 256 and 511, inclusive, even if unknown to
      // the server"); without one "the server knows that the client is not compatible with this document" and "MAY
      // select an FFDHE cipher suite and offer an FFDHE group of its choice".
      const offered = listed.filter((g) => g >= 0x0100 && g <= 0x01ff);
      if (!offered.length)
        return notApplicable('The ClientHello lists no FFDHE group: RFC 7919 §4 lets the server send a group of its choice.');
      const at = { message: ske.m.index };
      const p = stripZeros(ske.b.p);
      const g = stripZeros(ske.b.g);
      // the RFC 7919 group whose prime is this dh_p (generator 2, RFC 7919 App. A)
      const known = FFDHE_CODES.find((c) => bytesEqual(stripZeros(ffdheParams(ffdheGroupOf(c)!).p), p));
      const isTwo = g.length === 1 && g[0] === 2;
      if (known !== undefined && isTwo && offered.includes(known))
        return pass(`The ServerKeyExchange uses ${hex4(known)}, which the client listed.`, at);
      const unknownOffered = offered.filter((c) => ffdheGroupOf(c) === undefined);
      if (known === undefined && unknownOffered.length)
        return inconclusive(
          `The ServerKeyExchange's ${p.length * 8}-bit prime is no RFC 7919 group; the client also listed FFDHE codepoints this tool does not know (${unknownOffered.map(hex4).join(', ')}), which may name it.`,
          at,
        );
      // RFC 7919 §4: "A compatible TLS server that receives the Supported Groups extension with FFDHE codepoints in it
      // and that selects an FFDHE cipher suite MUST select one of the client's offered groups."
      return violation(
        known === undefined
          ? `The server selected a DHE suite with its own ${p.length * 8}-bit prime, none of the FFDHE groups the client listed.`
          : !isTwo
            ? `The ServerKeyExchange has the prime of ${hex4(known)} with a generator other than 2 (RFC 7919 App. A).`
            : `The ServerKeyExchange uses ${hex4(known)}, which the client did not list.`,
        { ...at, expected: offered.map(hex4).join(','), actual: known === undefined ? `${p.length * 8}-bit prime` : hex4(known) },
      );
    },
  }),

  rule({
    id: 't12.neg.ecdhe-without-groups',
    title:
      'Offered ECDHE suites in a TLS 1.2 ClientHello without supported_groups and ec_point_formats, a server completes with a curve of its choice (or another offered suite), or, finding no acceptable choice, aborts with handshake_failure.',
    rfc: ['RFC 8422 §4', 'RFC 5246 §7.4.1.2'],
    evidence: 'live',
    // what a completing server chose is judged by the transcript rules: ext.ecc.named-curve-only, ecdh.point-format,
    // ecdh.point-on-curve (ext.ecc.curve-offered is not applicable: no list was sent, any curve is allowed)
    alerts: [
      because(
        'handshake_failure',
        'RFC 5246 §7.4.1.2',
        'The server will select a cipher suite or, if no acceptable choices are presented, return a handshake failure alert and close the connection.',
      ),
    ],
    ignorable: {
      rfc: 'RFC 8422 §4',
      text: 'A client that proposes ECC cipher suites may choose not to include these extensions. In this case, the server is free to choose any one of the elliptic curves or point formats listed in Section 5.',
      receiver: 'server',
    },
    live: { scope: { kind: 'declared' }, expects: 'either', judges: 'outcome' },
    overrides: {
      checklist:
        'receiver duty (RFC 8422 §4) exercised by a live conversation offering ECDHE suites without supported_groups and ec_point_formats (tlsfuzzer test-ecdhe-rsa-key-exchange.py "ECDHE w/o extension")',
    },
  }),
  rule({
    id: 't12.neg.ffdhe-group-alone',
    title:
      'Offered DHE suites only and one RFC 7919 group, a TLS 1.2 server completes with that group or, finding it not acceptable, aborts with insufficient_security.',
    rfc: 'RFC 7919 §4',
    evidence: 'live',
    // RFC 7919 §4: "A compatible TLS server that receives the Supported Groups extension with FFDHE codepoints in it and
    // that selects an FFDHE cipher suite MUST select one of the client's offered groups" (ext.ffdhe.group-selection judges
    // the ServerKeyExchange of a conversation that completes); the abort is the §4 sentence below
    alerts: [FFDHE_SERVER_ABORT],
    ignorable: {
      rfc: 'RFC 7919 §4',
      text: "A compatible TLS server that receives the Supported Groups extension with FFDHE codepoints in it and that selects an FFDHE cipher suite MUST select one of the client's offered groups.",
      receiver: 'server',
    },
    live: { scope: { kind: 'declared' }, expects: 'either', judges: 'outcome' },
    overrides: {
      checklist:
        'receiver duty (RFC 7919 §4) of ext.ffdhe.group-selection exercised by live conversations offering each RFC 7919 group alone with DHE suites only (tlsfuzzer test-ffdhe-negotiation.py): the server either completes with that group or ends the connection with insufficient_security',
    },
  }),
  rule({
    id: 't12.neg.ffdhe-no-known-group',
    title:
      'Offered DHE suites only and FFDHE groups it does not know, a TLS 1.2 server selects no DHE suite: it aborts with insufficient_security.',
    rfc: 'RFC 7919 §4',
    evidence: 'live',
    alerts: [FFDHE_SERVER_ABORT],
    // RFC 7919 §4: "If none of the client-proposed FFDHE groups are known and acceptable to the server, then the server
    // MUST NOT select an FFDHE cipher suite." With only FFDHE suites offered, no other suite is left to select
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    overrides: {
      checklist:
        'receiver duty (RFC 7919 §4) of ext.ffdhe.group-selection exercised by a live conversation offering only FFDHE codepoints the server cannot know (the private-use range, RFC 7919 §5) with DHE suites only (tlsfuzzer test-ffdhe-negotiation.py)',
    },
  }),

  rule({
    id: 'ext.ffdhe.client-check',
    title:
      'A client that offered FFDHE groups checks the ServerKeyExchange group and accepts another one only by local policy, or aborts with insufficient_security.',
    rfc: ['RFC 7919 §3', 'RFC 7919 §3.1'],
    role: 'client',
    strength: 'SHOULD',
    evidence: 'live',
    alerts: [FFDHE_CLIENT_ALERT],
    ignorable: FFDHE_CLIENT_MAY,
    live: { scope: { kind: 'declared' }, expects: 'either', judges: 'outcome' },
  }),
];
