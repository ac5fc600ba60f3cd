/**
 * TLS 1.3 negotiation: the suite, compression and session ID echo of the
 * hellos, which extensions may appear where (RFC 8446 §4.2), the mandatory
 * extensions and the key shares.
 */
import type { TranscriptMessage } from '../../transcript/model';
import { type Extension, extensionBody, findExtension } from '../../wire/extensions';
import type { ServerHello } from '../../wire/handshake';
import { bytesEqual } from '../../wire/hex';
import { EXTENSION_PLACEMENT, type ExtensionPlace } from '../../wire/placement';
import { ExtensionType as X, cipherSuites, isGrease, isObsoleteGroup } from '../../wire/registry';
import { type Context, type Hello, bodyOf, exts, hasExt } from '../context';
import { NO_OVERLAP_ALERTS_13, because, definition } from '../alert-choices';
import { hex4 } from '../flow';
import { answered, extName, offers13, readNote } from '../hellos';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.3'],
  role: 'server',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'negotiation',
});

/** RFC 8446 §4.2: where each TLS 1.3 extension may appear (declared once, in wire/placement.ts). */
const PLACEMENT = EXTENSION_PLACEMENT;

/** Extension blocks of a TLS 1.3 connection, labelled with the §4.2 message codes. */
function blocks13(ctx: Context): Array<{ where: ExtensionPlace; m: TranscriptMessage; exts: Extension[] }> {
  const out: Array<{ where: ExtensionPlace; m: TranscriptMessage; exts: Extension[] }> = [];
  for (const s of ctx.steps) {
    const b = bodyOf(s.m);
    if (!b) continue;
    if (b.type === 'client_hello') out.push({ where: 'CH', m: s.m, exts: b.extensions ?? [] });
    else if (b.type === 'server_hello')
      out.push({ where: s.sym === 'hello_retry_request' ? 'HRR' : 'SH', m: s.m, exts: b.extensions ?? [] });
    else if (b.type === 'encrypted_extensions') out.push({ where: 'EE', m: s.m, exts: b.extensions });
    else if (b.type === 'certificate_request' && b.form === 'tls13') out.push({ where: 'CR', m: s.m, exts: b.extensions });
    else if (b.type === 'new_session_ticket' && b.form === 'tls13') out.push({ where: 'NST', m: s.m, exts: b.extensions });
    else if (b.type === 'certificate' && b.form === 'tls13')
      for (const e of b.entries) out.push({ where: 'CT', m: s.m, exts: e.extensions });
  }
  return out;
}

export const t13NegotiationRules = [
  rule({
    id: 't13.neg.suite-offered',
    title: 'The TLS 1.3 ServerHello/HelloRetryRequest picks an offered TLS 1.3 suite.',
    rfc: 'RFC 8446 §4.1.3, §4.1.4',
    versions: ['1.3'],
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.1.3',
        'A client which receives a cipher suite that was not offered MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    check(ctx) {
      const out: Outcome[] = [];
      for (const [sh, ch] of [
        [ctx.hrr, ctx.ch],
        [ctx.sh, answered(ctx)],
      ] as const) {
        if (!sh) continue;
        if (!ch) return inconclusive('The ClientHello is not decoded.');
        const s = sh.b.cipherSuite;
        const is13 = cipherSuites.get(s)?.kex === 'TLS13' || (s >> 8 === 0x13 && !isGrease(s));
        if (!ch.b.cipherSuites.includes(s))
          out.push(
            violation(`${hex4(s)} was not offered.`, { message: sh.m.index, expected: 'an offered suite', actual: hex4(s) }),
          );
        else if (!is13)
          out.push(
            violation(`${hex4(s)} is not a TLS 1.3 suite.`, {
              message: sh.m.index,
              expected: 'a TLS 1.3 suite',
              actual: hex4(s),
            }),
          );
        else out.push(pass(`${cipherSuites.get(s)?.name ?? hex4(s)} was offered.`, { message: sh.m.index }));
      }
      return out.length ? out : inconclusive('The ServerHello is not decoded.');
    },
  }),
  rule({
    id: 't13.neg.compression',
    title: 'TLS 1.3 hellos use only null compression.',
    rfc: 'RFC 8446 §4.1.2, §4.1.3',
    versions: ['1.3'],
    role: 'both',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.1.2',
        'If a TLS 1.3 ClientHello is received with any other value in this field, the server MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    check(ctx) {
      const out: Outcome[] = [];
      for (const ch of [ctx.ch, ctx.ch2]) {
        if (!ch) continue;
        const c = ch.b.compressionMethods;
        out.push(
          c.length === 1 && c[0] === 0
            ? pass('ClientHello compression is [null].', { message: ch.m.index })
            : violation('ClientHello compression is not exactly [null].', {
                message: ch.m.index,
                expected: '[0]',
                actual: `[${c.join(',')}]`,
              }),
        );
      }
      for (const sh of [ctx.hrr, ctx.sh]) {
        if (!sh) continue;
        out.push(
          sh.b.compressionMethod === 0
            ? pass('Server compression is null.', { message: sh.m.index })
            : violation('Server compression is not null.', {
                message: sh.m.index,
                expected: '0',
                actual: `${sh.b.compressionMethod}`,
              }),
        );
      }
      return out.length ? out : inconclusive('The hellos are not decoded.');
    },
  }),
  rule({
    id: 't13.neg.session-id-echo',
    title: 'ServerHello/HelloRetryRequest echo the ClientHello legacy_session_id.',
    rfc: 'RFC 8446 §4.1.3',
    versions: ['1.3'],
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.1.3',
        'A client which receives a legacy_session_id_echo field that does not match what it sent in the ClientHello MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    check(ctx) {
      const out: Outcome[] = [];
      for (const [sh, ch] of [
        [ctx.hrr, ctx.ch],
        [ctx.sh, answered(ctx)],
      ] as const) {
        if (!sh || !ch) continue;
        out.push(
          bytesEqual(sh.b.sessionId, ch.b.sessionId)
            ? pass('legacy_session_id echoed.', { message: sh.m.index })
            : violation('legacy_session_id_echo differs from the ClientHello legacy_session_id.', {
                message: sh.m.index,
                expected: Buffer.from(ch.b.sessionId).toString('hex') || '(empty)',
                actual: Buffer.from(sh.b.sessionId).toString('hex') || '(empty)',
              }),
        );
      }
      return out.length ? out : inconclusive('The hellos are not decoded.');
    },
  }),
  rule({
    id: 't13.neg.session-id-client',
    title: 'The ClientHello legacy_session_id is at most 32 bytes.',
    rfc: 'RFC 8446 §4.1.2',
    versions: ['1.3'],
    role: 'client',
    alerts: ['decode_error'],
    check(ctx) {
      const ch = ctx.steps.find((s) => s.sym === 'client_hello');
      if (!ch) return inconclusive('No ClientHello.');
      const f = ch.m.findings?.find((x) => x.path.includes('legacy_session_id'));
      if (f) return violation(`The legacy_session_id does not parse: ${f.detail}.`, { message: ch.m.index });
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
      return ctx.ch.b.sessionId.length <= 32
        ? pass(`legacy_session_id has ${ctx.ch.b.sessionId.length} bytes.`, { message: ctx.ch.m.index })
        : violation('legacy_session_id is longer than 32 bytes.', { message: ctx.ch.m.index });
    },
  }),
  rule({
    id: 't13.neg.sh-extensions',
    title:
      'A TLS 1.3 ServerHello carries only supported_versions, key_share, pre_shared_key; an HRR only supported_versions, key_share, cookie.',
    rfc: 'RFC 8446 §4.1.3, §4.1.4, §4.2',
    versions: ['1.3'],
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.2',
        'If an implementation receives an extension which it recognizes and which is not specified for the message in which it appears, it MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    check(ctx) {
      const out: Outcome[] = [];
      const spec: Array<[Hello<ServerHello> | undefined, number[], string]> = [
        [ctx.sh, [X.supported_versions, X.key_share, X.pre_shared_key], 'ServerHello'],
        [ctx.hrr, [X.supported_versions, X.key_share, X.cookie], 'HelloRetryRequest'],
      ];
      for (const [h, ok, what] of spec) {
        if (!h) continue;
        const bad = exts(h).find((e) => !ok.includes(e.type));
        out.push(
          bad
            ? violation(`${what} carries ${extName(bad.type)}.`, {
                message: h.m.index,
                expected: ok.map(extName).join(', '),
                actual: extName(bad.type),
              })
            : pass(`${what} extensions are allowed ones.`, { message: h.m.index }),
        );
      }
      return out.length ? out : inconclusive('The ServerHello is not decoded.');
    },
  }),
  rule({
    id: 't13.neg.extension-placement',
    title: 'Each TLS 1.3 extension appears only in the messages RFC 8446 §4.2 allows.',
    rfc: ['RFC 8446 §4.2', 'RFC 8446 §4.3.1'],
    versions: ['1.3'],
    role: 'both',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.2',
        'If an implementation receives an extension which it recognizes and which is not specified for the message in which it appears, it MUST abort the handshake with an "illegal_parameter" alert.',
      ),
      because(
        'illegal_parameter',
        'RFC 8446 §4.3.1',
        'The client MUST check EncryptedExtensions for the presence of any forbidden extensions and if any are found MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    check(ctx) {
      const bl = blocks13(ctx);
      if (!bl.length) return inconclusive('No decoded message with extensions.');
      for (const b of bl) {
        const bad = b.exts.find((e) => PLACEMENT[e.type] && !PLACEMENT[e.type]!.includes(b.where));
        if (bad)
          return violation(`${extName(bad.type)} appears in ${b.where}, where it is not allowed.`, {
            message: b.m.index,
            expected: `only in ${PLACEMENT[bad.type]!.join(', ')}`,
            actual: b.where,
          });
      }
      const o = pass(`Extensions are placed correctly in ${bl.length} block(s)${readNote(ctx)}.`);
      return ctx.evidence.keys
        ? o
        : [o, inconclusive('The encrypted messages (EncryptedExtensions, Certificate, CertificateRequest) could not be read.')];
    },
  }),
  rule({
    id: 't13.neg.mandatory-extensions',
    title:
      'A TLS 1.3 ClientHello has signature_algorithms and supported_groups (unless PSK), and supported_groups iff key_share.',
    rfc: 'RFC 8446 §9.2',
    versions: ['1.3'],
    role: 'client',
    alerts: ['missing_extension'],
    needs: ['client-hello'],
    check(ctx) {
      const e = exts(ctx.ch);
      const i = ctx.ch.m.index;
      // a handshake is TLS 1.3 here by its ServerHello alone when the ClientHello did not offer it (a TLS 1.2
      // renegotiation answered with a TLS 1.3 ServerHello: ver.t13.no-13-in-renegotiation judges that); §9.2 binds a
      // TLS 1.3 ClientHello only
      if (!offers13(ctx.ch.b)) return notApplicable('The ClientHello does not offer TLS 1.3.', { message: i });
      const psk = hasExt(e, X.pre_shared_key);
      if (!psk)
        for (const need of [X.signature_algorithms, X.supported_groups])
          if (!hasExt(e, need))
            return violation(`ClientHello lacks ${extName(need)}.`, { message: i, expected: extName(need), actual: 'absent' });
      if (hasExt(e, X.supported_groups) !== hasExt(e, X.key_share))
        return violation('ClientHello has only one of supported_groups and key_share.', {
          message: i,
          expected: 'both or neither',
          actual: hasExt(e, X.key_share) ? 'key_share only' : 'supported_groups only',
        });
      return pass('Mandatory extensions present.', { message: i });
    },
  }),
  rule({
    id: 't13.neg.sigalgs-for-cert-auth',
    title: 'A server authenticating with a certificate requires the client signature_algorithms.',
    rfc: 'RFC 8446 §4.2.3',
    versions: ['1.3'],
    alerts: [
      because(
        'missing_extension',
        'RFC 8446 §4.2.3',
        'If a server is authenticating via a certificate and the client has not sent a "signature_algorithms" extension, then the server MUST abort the handshake with a "missing_extension" alert (see Section 9.2).',
      ),
    ],
    needs: ['hellos', 'first-handshake'],
    judgesReceiver: true,
    check(ctx) {
      return hasExt(exts(answered(ctx)), X.signature_algorithms)
        ? pass('The client sent signature_algorithms.', { message: ctx.ch.m.index })
        : violation('The server went on with certificate authentication although the client sent no signature_algorithms.', {
            message: ctx.sh.m.index,
            expected: 'abort with missing_extension',
            actual: 'server_hello',
          });
    },
  }),
  rule({
    id: 't13.neg.keyshare-client',
    title: 'Client key shares are for supported_groups, in their order, without repeats.',
    rfc: 'RFC 8446 §4.2.8',
    versions: ['1.3'],
    role: 'client',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.2.8',
        'Clients MUST NOT offer multiple KeyShareEntry values for the same group. Clients MUST NOT offer any KeyShareEntry values for groups not listed in the client\'s "supported_groups" extension. Servers MAY check for violations of these rules and abort the handshake with an "illegal_parameter" alert if one is violated.',
      ),
    ],
    ignorable: {
      rfc: 'RFC 8446 §4.2.8',
      text: 'Servers MAY check for violations of these rules and abort the handshake with an "illegal_parameter" alert if one is violated.',
    },
    check(ctx) {
      const out: Outcome[] = [];
      for (const ch of [ctx.ch, ctx.ch2]) {
        if (!ch) continue;
        const ks = extensionBody(ch.b.extensions, X.key_share, 'key_share_client');
        if (!ks) continue;
        const groups = extensionBody(ch.b.extensions, X.supported_groups, 'supported_groups')?.groups ?? [];
        const g = ks.shares.map((s) => s.group);
        const pos = g.map((x) => groups.indexOf(x));
        if (new Set(g).size !== g.length) out.push(violation('A group has two key shares.', { message: ch.m.index }));
        else if (pos.some((p) => p < 0))
          out.push(violation(`Key share for ${hex4(g[pos.indexOf(-1)]!)} not in supported_groups.`, { message: ch.m.index }));
        else if (pos.some((p, i) => i > 0 && p < pos[i - 1]!))
          out.push(violation('Key shares are not in supported_groups order.', { message: ch.m.index }));
        else out.push(pass('Key shares match supported_groups.', { message: ch.m.index }));
      }
      return out.length ? out : ctx.ch ? notApplicable('No key_share.') : inconclusive('The ClientHello is not decoded.');
    },
  }),
  rule({
    id: 't13.neg.keyshare-server',
    title: 'The server key share is for a group the client sent a share for; none in psk_ke mode.',
    rfc: 'RFC 8446 §4.2.8, §4.2.9',
    versions: ['1.3'],
    alerts: ['illegal_parameter'],
    needs: ['hellos'],
    check(ctx) {
      const ch = answered(ctx)!;
      const ks = extensionBody(ctx.sh.b.extensions, X.key_share, 'key_share_server');
      const modes = extensionBody(ch.b.extensions, X.psk_key_exchange_modes, 'psk_key_exchange_modes')?.modes ?? [];
      const psk = hasExt(exts(ctx.sh), X.pre_shared_key);
      if (!ks)
        return psk
          ? pass('PSK-only handshake without server key share.', { message: ctx.sh.m.index })
          : violation('ServerHello has no key_share in a non-PSK handshake.', {
              message: ctx.sh.m.index,
              expected: 'key_share',
              actual: 'absent',
            });
      if (psk && !modes.includes(1)) return violation('A server key share in psk_ke mode.', { message: ctx.sh.m.index });
      const shares = extensionBody(ch.b.extensions, X.key_share, 'key_share_client')?.shares.map((s) => s.group) ?? [];
      const groups = extensionBody(ch.b.extensions, X.supported_groups, 'supported_groups')?.groups ?? [];
      if (!groups.includes(ks.share.group))
        return violation(`Server share group ${hex4(ks.share.group)} is not in the client's supported_groups.`, {
          message: ctx.sh.m.index,
          expected: groups.map(hex4).join(','),
          actual: hex4(ks.share.group),
        });
      return shares.includes(ks.share.group)
        ? pass(`Server share group ${hex4(ks.share.group)} was shared by the client.`, { message: ctx.sh.m.index })
        : violation(`Server share group ${hex4(ks.share.group)} has no client share.`, {
            message: ctx.sh.m.index,
            expected: shares.map(hex4).join(','),
            actual: hex4(ks.share.group),
          });
    },
  }),
  rule({
    id: 't13.neg.post-handshake-auth-ext',
    title: 'post_handshake_auth is empty and sent only by clients in ClientHello.',
    rfc: 'RFC 8446 §4.2.6',
    versions: ['1.3'],
    role: 'both',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.2',
        'If an implementation receives an extension which it recognizes and which is not specified for the message in which it appears, it MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    check(ctx) {
      const bl = blocks13(ctx);
      for (const b of bl) {
        const e = findExtension(b.exts, X.post_handshake_auth);
        if (!e) continue;
        if (b.where !== 'CH')
          return violation(`post_handshake_auth in ${b.where}.`, {
            message: b.m.index,
            expected: 'only in ClientHello',
            actual: b.where,
          });
        if (e.body.kind !== 'empty') return violation('post_handshake_auth is not empty.', { message: b.m.index });
      }
      return bl.length ? pass(`post_handshake_auth is used correctly${readNote(ctx)}.`) : inconclusive('No decoded hello.');
    },
  }),

  rule({
    id: 't13.neg.obsolete-groups',
    title:
      'A TLS 1.3 ClientHello lists no obsolete_reserved group in supported_groups or key_share; a TLS 1.3 server selects none.',
    rfc: 'RFC 8446 §4.2.7',
    role: 'both',
    alerts: [
      // RFC 8446 §4.2.7 names no alert for the client's breach; the server cannot negotiate the group (§4.1.1: no
      // overlap when nothing else is listed), and the field is inconsistent with the version offered (§6.2)
      definition('illegal_parameter', ['1.3']),
      ...NO_OVERLAP_ALERTS_13,
    ],
    // a server that does not negotiate the group keeps the sentence: it goes on with another listed group
    ignorable: {
      rfc: 'RFC 8446 §4.2.7',
      text: 'Values within "obsolete_reserved" ranges are used in previous versions of TLS and MUST NOT be offered or negotiated by TLS 1.3 implementations. [A server given them keeps this by negotiating another group; no sentence asks it to abort.]',
      receiver: 'server',
    },
    overrides: {
      checklist:
        'RFC 8446 §4.2.7: "Values within "obsolete_reserved" ranges are used in previous versions of TLS and MUST NOT be offered or negotiated by TLS 1.3 implementations." (test-tls13-obsolete-curves)',
    },
    check(ctx) {
      const out: Outcome[] = [];
      for (const ch of [ctx.ch, ctx.ch2]) {
        if (!ch || !offers13(ch.b)) continue;
        const groups = extensionBody(ch.b.extensions, X.supported_groups, 'supported_groups')?.groups ?? [];
        const shares = (extensionBody(ch.b.extensions, X.key_share, 'key_share_client')?.shares ?? []).map((s) => s.group);
        const bad = [...new Set([...groups, ...shares].filter(isObsoleteGroup))];
        out.push(
          bad.length
            ? violation(
                `The client offers TLS 1.3 and lists the obsolete_reserved group(s) ${bad.map(hex4).join(', ')}, which RFC 8446 §4.2.7 forbids a TLS 1.3 implementation to offer.`,
                { message: ch.m.index, actual: bad.map(hex4).join(' ') },
              )
            : pass('The ClientHello lists no obsolete_reserved group.', { message: ch.m.index }),
        );
      }
      if (ctx.version === '1.3')
        for (const sh of [ctx.hrr, ctx.sh]) {
          if (!sh) continue;
          const ks = extensionBody(sh.b.extensions, X.key_share, sh === ctx.hrr ? 'key_share_hrr' : 'key_share_server');
          const g =
            ks?.kind === 'key_share_hrr' ? ks.selectedGroup : ks?.kind === 'key_share_server' ? ks.share.group : undefined;
          if (g === undefined) continue;
          out.push(
            isObsoleteGroup(g)
              ? violation(`The server selects the obsolete_reserved group ${hex4(g)} in TLS 1.3 (RFC 8446 §4.2.7).`, {
                  message: sh.m.index,
                  actual: hex4(g),
                })
              : pass(`The server selects ${hex4(g)}, not an obsolete_reserved group.`, { message: sh.m.index }),
          );
        }
      return out.length ? out : ctx.ch ? notApplicable('No TLS 1.3 hello.') : inconclusive('The ClientHello is not decoded.');
    },
  }),
  rule({
    id: 't13.neg.no-common-parameters',
    title: 'A server that shares no group or other required parameter with the client aborts the handshake.',
    rfc: 'RFC 8446 §4.1.1',
    evidence: 'live',
    alerts: [...NO_OVERLAP_ALERTS_13],
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
  }),
];
