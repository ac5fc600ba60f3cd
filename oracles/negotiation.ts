/**
 * Negotiation consistency: what the ServerHello (and HelloRetryRequest,
 * EncryptedExtensions when readable) chose against what the ClientHello
 * offered, supported_versions, key shares, PSK, HRR, extensions and codec
 * findings. Plaintext hellos are enough for most of these rules.
 */
import type { TranscriptMessage } from '../transcript/model';
import { type Extension, type ExtensionBody, extensionBody, findExtension } from '../wire/extensions';
import type { ClientHello, ServerHello } from '../wire/handshake';
import { bytesEqual } from '../wire/hex';
import {
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  ExtensionType as X,
  SCSV,
  cipherSuites,
  extensionTypes,
  isGrease,
  nameOf,
} from '../wire/registry';
import { type Context, type Hello, bodyOf, exts, hasExt } from './context';
import { leafOf } from './keyfacts';
import { abbreviated } from './ordering';
import { type Outcome, type Rule, inconclusive, notApplicable, pass, violation, ruleDeclarer } from './rule';

const rule = ruleDeclarer({
  versions: ['1.2', '1.3'],
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
const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
const extName = (t: number): string => nameOf(extensionTypes, t);

/** Both hellos decoded, else an inconclusive outcome. */
function hellos(ctx: Context): { ch: Hello<ClientHello>; sh: Hello<ServerHello> } | Outcome {
  if (!ctx.ch) return inconclusive('The ClientHello is not in the transcript or has no bytes.');
  if (!ctx.sh) return inconclusive('The ServerHello is not in the transcript or has no bytes.');
  return { ch: ctx.ch, sh: ctx.sh };
}
const isOutcome = (x: object): x is Outcome => 'status' in x;

/** The ClientHello a ServerHello answers (the second one after HelloRetryRequest). */
const answered = (ctx: Context): Hello<ClientHello> | undefined => ctx.ch2 ?? ctx.ch;

function eeOf(ctx: Context): { m: TranscriptMessage; exts: Extension[] } | undefined {
  const s = ctx.steps.find((x) => x.sym === 'encrypted_extensions');
  const b = bodyOf(s?.m);
  return s && b?.type === 'encrypted_extensions' ? { m: s.m, exts: b.extensions } : undefined;
}

/** For TLS 1.3 rules that look into EncryptedExtensions: the EE, or why it cannot be read. */
function needEE(ctx: Context): { m: TranscriptMessage; exts: Extension[] } | Outcome {
  const ee = eeOf(ctx);
  if (ee) return ee;
  if (!ctx.evidence.keys) return inconclusive('EncryptedExtensions is encrypted and no key log was given.');
  return inconclusive('EncryptedExtensions is not in the transcript or has no bytes.');
}

function supportedVersions(ch: ClientHello): number[] | undefined {
  return extensionBody(ch.extensions, X.supported_versions, 'supported_versions_client')?.versions;
}
const offers13 = (ch: ClientHello): boolean => !!supportedVersions(ch)?.includes(0x0304);

function bodiesEqual(a: ExtensionBody, b: ExtensionBody): boolean {
  const eq = (x: unknown, y: unknown): boolean => {
    if (x instanceof Uint8Array && y instanceof Uint8Array) return bytesEqual(x, y);
    if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => eq(v, y[i]));
    if (x && y && typeof x === 'object' && typeof y === 'object') {
      const kx = Object.keys(x);
      const ky = Object.keys(y);
      return kx.length === ky.length && kx.every((k) => eq((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
    }
    return x === y;
  };
  return eq(a, b);
}

/** RFC 8446 §4.2: where each TLS 1.3 extension may appear. */
const PLACEMENT: Record<number, string[]> = {
  [X.server_name]: ['CH', 'EE'],
  [X.max_fragment_length]: ['CH', 'EE'],
  [X.status_request]: ['CH', 'CR', 'CT'],
  [X.supported_groups]: ['CH', 'EE'],
  [X.signature_algorithms]: ['CH', 'CR'],
  [X.use_srtp]: ['CH', 'EE'],
  [X.heartbeat]: ['CH', 'EE'],
  [X.application_layer_protocol_negotiation]: ['CH', 'EE'],
  [X.signed_certificate_timestamp]: ['CH', 'CR', 'CT'],
  [X.client_certificate_type]: ['CH', 'EE'],
  [X.server_certificate_type]: ['CH', 'EE'],
  [X.padding]: ['CH'],
  [X.key_share]: ['CH', 'SH', 'HRR'],
  [X.pre_shared_key]: ['CH', 'SH'],
  [X.psk_key_exchange_modes]: ['CH'],
  [X.early_data]: ['CH', 'EE', 'NST'],
  [X.cookie]: ['CH', 'HRR'],
  [X.supported_versions]: ['CH', 'SH', 'HRR'],
  [X.certificate_authorities]: ['CH', 'CR'],
  [X.oid_filters]: ['CR'],
  [X.post_handshake_auth]: ['CH'],
  [X.signature_algorithms_cert]: ['CH', 'CR'],
  [X.record_size_limit]: ['CH', 'EE'],
};

/** Extension blocks of a TLS 1.3 connection, labelled with the §4.2 message codes. */
function blocks13(ctx: Context): Array<{ where: string; m: TranscriptMessage; exts: Extension[] }> {
  const out: Array<{ where: string; m: TranscriptMessage; exts: Extension[] }> = [];
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

const readNote = (ctx: Context): string => (ctx.evidence.keys ? '' : ' (protected messages not read: no key log)');

const rules: Rule[] = [
  rule({
    id: 't12.neg.suite-offered',
    title: 'The TLS 1.2 ServerHello picks a real cipher suite the client offered.',
    rfc: 'RFC 5246 §7.4.1.3',
    versions: ['1.2'],
    alert: 'illegal_parameter',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const s = h.sh.b.cipherSuite;
      if (s === SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV || s === SCSV.TLS_FALLBACK_SCSV || isGrease(s))
        return violation(`ServerHello selected the signalling/GREASE value ${hex4(s)}.`, {
          message: h.sh.m.index,
          expected: 'a real cipher suite',
          actual: hex4(s),
        });
      return h.ch.b.cipherSuites.includes(s)
        ? pass(`Suite ${cipherSuites.get(s)?.name ?? hex4(s)} was offered.`, { message: h.sh.m.index })
        : violation(`ServerHello selected ${cipherSuites.get(s)?.name ?? hex4(s)}, which the client did not offer.`, {
            message: h.sh.m.index,
            expected: 'one of the offered suites',
            actual: hex4(s),
          });
    },
  }),
  rule({
    id: 't13.neg.suite-offered',
    title: 'The TLS 1.3 ServerHello/HelloRetryRequest picks an offered TLS 1.3 suite.',
    rfc: 'RFC 8446 §4.1.3, §4.1.4',
    versions: ['1.3'],
    alert: 'illegal_parameter',
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
    id: 't12.neg.compression',
    title: 'ClientHello offers null compression; ServerHello picks an offered method.',
    rfc: 'RFC 5246 §7.4.1.2, §7.4.1.3',
    versions: ['1.2'],
    role: 'both',
    alert: 'illegal_parameter',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      if (!h.ch.b.compressionMethods.includes(0))
        return violation('The ClientHello does not offer null compression.', {
          message: h.ch.m.index,
          expected: 'contains 0',
          actual: h.ch.b.compressionMethods.join(','),
        });
      const c = h.sh.b.compressionMethod;
      return h.ch.b.compressionMethods.includes(c)
        ? pass(`Compression method ${c} was offered.`, { message: h.sh.m.index })
        : violation(`Compression method ${c} was not offered.`, {
            message: h.sh.m.index,
            expected: h.ch.b.compressionMethods.join(','),
            actual: `${c}`,
          });
    },
  }),
  rule({
    id: 't13.neg.compression',
    title: 'TLS 1.3 hellos use only null compression.',
    rfc: 'RFC 8446 §4.1.2, §4.1.3',
    versions: ['1.3'],
    role: 'both',
    alert: 'illegal_parameter',
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
    id: 't12.neg.suite-fits-version',
    title: 'A TLS 1.2 ServerHello does not pick a TLS 1.3 suite.',
    rfc: 'RFC 5246 §7.4.1.3; RFC 8446 §4.1.3',
    versions: ['1.2'],
    alert: 'illegal_parameter',
    check(ctx) {
      if (!ctx.sh) return inconclusive('The ServerHello is not decoded.');
      const s = ctx.sh.b.cipherSuite;
      return s >> 8 === 0x13
        ? violation(`TLS 1.3 suite ${hex4(s)} in a TLS 1.2 ServerHello.`, {
            message: ctx.sh.m.index,
            expected: 'a TLS 1.2 suite',
            actual: hex4(s),
          })
        : pass('The suite fits TLS 1.2.', { message: ctx.sh.m.index });
    },
  }),
  rule({
    id: 't12.neg.resume-detection',
    title: 'Echoing the session ID means an abbreviated handshake; anything else means a full one.',
    rfc: 'RFC 5246 §7.4.1.3',
    versions: ['1.2'],
    role: 'both',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const S = ctx.byDir['S->C'];
      const next = S[S.findIndex((s) => s.m === h.sh.m) + 1];
      if (!next) return inconclusive('Nothing follows ServerHello.');
      const echo = h.ch.b.sessionId.length > 0 && bytesEqual(h.ch.b.sessionId, h.sh.b.sessionId);
      const short = next.sym === 'new_session_ticket' || next.sym === 'change_cipher_spec';
      if (echo && !short)
        return violation(`The session ID was echoed but ${next.sym} follows as in a full handshake.`, {
          message: next.m.index,
          expected: 'new_session_ticket or change_cipher_spec',
          actual: next.sym,
        });
      if (!echo && short && h.ch.b.sessionId.length > 0 && !hasExt(h.ch.b.extensions, X.session_ticket))
        return violation('An abbreviated handshake without echoing the session ID.', {
          message: next.m.index,
          expected: 'echoed session ID',
          actual: 'different session ID',
        });
      return pass(echo ? 'Session ID echoed, abbreviated handshake.' : 'Session ID not echoed, full handshake.', {
        message: h.sh.m.index,
      });
    },
  }),
  rule({
    id: 't13.neg.session-id-echo',
    title: 'ServerHello/HelloRetryRequest echo the ClientHello legacy_session_id.',
    rfc: 'RFC 8446 §4.1.3',
    versions: ['1.3'],
    alert: 'illegal_parameter',
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
    alert: 'decode_error',
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
    alert: 'illegal_parameter',
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
    rfc: 'RFC 8446 §4.2',
    versions: ['1.3'],
    role: 'both',
    alert: 'illegal_parameter',
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
    id: 't13.neg.psk-ext-last',
    title: 'pre_shared_key is the last ClientHello extension.',
    rfc: 'RFC 8446 §4.2.11',
    versions: ['1.3'],
    role: 'client',
    alert: 'illegal_parameter',
    check(ctx) {
      const out: Outcome[] = [];
      for (const ch of [ctx.ch, ctx.ch2]) {
        if (!ch) continue;
        const e = exts(ch);
        const i = e.findIndex((x) => x.type === X.pre_shared_key);
        if (i < 0) continue;
        out.push(
          i === e.length - 1
            ? pass('pre_shared_key is last.', { message: ch.m.index })
            : violation(`pre_shared_key is extension ${i + 1} of ${e.length}.`, {
                message: ch.m.index,
                expected: 'last',
                actual: `position ${i + 1}`,
              }),
        );
      }
      return out.length
        ? out
        : ctx.ch
          ? notApplicable('No pre_shared_key offered.')
          : inconclusive('The ClientHello is not decoded.');
    },
  }),
  rule({
    id: 't13.neg.mandatory-extensions',
    title:
      'A TLS 1.3 ClientHello has signature_algorithms and supported_groups (unless PSK), and supported_groups iff key_share.',
    rfc: 'RFC 8446 §9.2',
    versions: ['1.3'],
    role: 'client',
    alert: 'missing_extension',
    check(ctx) {
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
      const e = exts(ctx.ch);
      const i = ctx.ch.m.index;
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
    alert: 'missing_extension',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      if (hasExt(exts(h.sh), X.pre_shared_key)) return notApplicable('PSK handshake.');
      return hasExt(exts(answered(ctx)), X.signature_algorithms)
        ? pass('The client sent signature_algorithms.', { message: h.ch.m.index })
        : violation('The server went on with certificate authentication although the client sent no signature_algorithms.', {
            message: h.sh.m.index,
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
    alert: 'illegal_parameter',
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
    alert: 'illegal_parameter',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const ch = answered(ctx)!;
      const ks = extensionBody(h.sh.b.extensions, X.key_share, 'key_share_server');
      const modes = extensionBody(ch.b.extensions, X.psk_key_exchange_modes, 'psk_key_exchange_modes')?.modes ?? [];
      const psk = hasExt(exts(h.sh), X.pre_shared_key);
      if (!ks)
        return psk
          ? pass('PSK-only handshake without server key share.', { message: h.sh.m.index })
          : violation('ServerHello has no key_share in a non-PSK handshake.', {
              message: h.sh.m.index,
              expected: 'key_share',
              actual: 'absent',
            });
      if (psk && !modes.includes(1)) return violation('A server key share in psk_ke mode.', { message: h.sh.m.index });
      const shares = extensionBody(ch.b.extensions, X.key_share, 'key_share_client')?.shares.map((s) => s.group) ?? [];
      const groups = extensionBody(ch.b.extensions, X.supported_groups, 'supported_groups')?.groups ?? [];
      if (!groups.includes(ks.share.group))
        return violation(`Server share group ${hex4(ks.share.group)} is not in the client's supported_groups.`, {
          message: h.sh.m.index,
          expected: groups.map(hex4).join(','),
          actual: hex4(ks.share.group),
        });
      return shares.includes(ks.share.group)
        ? pass(`Server share group ${hex4(ks.share.group)} was shared by the client.`, { message: h.sh.m.index })
        : violation(`Server share group ${hex4(ks.share.group)} has no client share.`, {
            message: h.sh.m.index,
            expected: shares.map(hex4).join(','),
            actual: hex4(ks.share.group),
          });
    },
  }),
  rule({
    id: 't13.neg.hrr-group',
    title: 'The HRR group is supported by the client and was not already shared.',
    rfc: 'RFC 8446 §4.2.8',
    versions: ['1.3'],
    role: 'client',
    alert: 'illegal_parameter',
    check(ctx) {
      if (!ctx.hrr) return notApplicable('No HelloRetryRequest.');
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
      const sel = extensionBody(ctx.hrr.b.extensions, X.key_share, 'key_share_hrr')?.selectedGroup;
      if (sel === undefined) return notApplicable('The HelloRetryRequest selects no group.');
      const groups = extensionBody(ctx.ch.b.extensions, X.supported_groups, 'supported_groups')?.groups ?? [];
      const shares = extensionBody(ctx.ch.b.extensions, X.key_share, 'key_share_client')?.shares.map((s) => s.group) ?? [];
      if (!groups.includes(sel))
        return violation(`HRR group ${hex4(sel)} not in supported_groups.`, {
          message: ctx.hrr.m.index,
          expected: groups.map(hex4).join(','),
          actual: hex4(sel),
        });
      if (shares.includes(sel))
        return violation(`HRR group ${hex4(sel)} already had a key share.`, {
          message: ctx.hrr.m.index,
          expected: 'a group without a share',
          actual: hex4(sel),
        });
      return pass(`HRR group ${hex4(sel)} is valid.`, { message: ctx.hrr.m.index });
    },
  }),
  rule({
    id: 't13.neg.hrr-must-change',
    title: 'A HelloRetryRequest asks for a change of the ClientHello.',
    rfc: 'RFC 8446 §4.1.4',
    versions: ['1.3'],
    role: 'client',
    alert: 'illegal_parameter',
    check(ctx) {
      if (!ctx.hrr) return notApplicable('No HelloRetryRequest.');
      const e = exts(ctx.hrr);
      const sel = extensionBody(e, X.key_share, 'key_share_hrr')?.selectedGroup;
      const shares = ctx.ch
        ? (extensionBody(ctx.ch.b.extensions, X.key_share, 'key_share_client')?.shares.map((s) => s.group) ?? [])
        : [];
      const changes =
        (sel !== undefined && !shares.includes(sel)) ||
        hasExt(e, X.cookie) ||
        e.some((x) => x.type !== X.supported_versions && x.type !== X.key_share);
      return changes
        ? pass('The HelloRetryRequest requests a change.', { message: ctx.hrr.m.index })
        : violation('The HelloRetryRequest would not change the ClientHello.', {
            message: ctx.hrr.m.index,
            expected: 'a new key_share group or a cookie',
            actual: 'nothing to change',
          });
    },
  }),
  rule({
    id: 't13.neg.ch2-rules',
    title: 'The second ClientHello repeats the first except for the changes HRR allows.',
    rfc: 'RFC 8446 §4.1.2, §4.2.2',
    versions: ['1.3'],
    role: 'client',
    alert: 'illegal_parameter',
    check(ctx) {
      if (!ctx.hrr) return notApplicable('No HelloRetryRequest.');
      const { ch, ch2, hrr } = ctx;
      if (!ch || !ch2) return inconclusive('The two ClientHellos are not both decoded.');
      const i = ch2.m.index;
      if (
        ch.b.legacyVersion !== ch2.b.legacyVersion ||
        !bytesEqual(ch.b.random, ch2.b.random) ||
        !bytesEqual(ch.b.sessionId, ch2.b.sessionId)
      )
        return violation('The second ClientHello changed legacy_version, random or legacy_session_id.', { message: i });
      if (
        ch.b.cipherSuites.join() !== ch2.b.cipherSuites.join() ||
        ch.b.compressionMethods.join() !== ch2.b.compressionMethods.join()
      )
        return violation('The second ClientHello changed the cipher suites or compression methods.', { message: i });
      const e1 = exts(ch);
      const e2 = exts(ch2);
      if (hasExt(e2, X.early_data))
        return violation('The second ClientHello offers early_data.', {
          message: i,
          expected: 'no early_data',
          actual: 'early_data',
        });
      const cookie = extensionBody(hrr.b.extensions, X.cookie, 'cookie');
      const cookie2 = extensionBody(e2, X.cookie, 'cookie');
      if (cookie && (!cookie2 || !bytesEqual(cookie.cookie, cookie2.cookie)))
        return violation('The second ClientHello does not echo the HRR cookie exactly.', {
          message: i,
          expected: 'cookie from HelloRetryRequest',
          actual: cookie2 ? 'different cookie' : 'absent',
        });
      if (!cookie && cookie2) return violation('The second ClientHello has a cookie the HRR did not send.', { message: i });
      const sel = extensionBody(hrr.b.extensions, X.key_share, 'key_share_hrr')?.selectedGroup;
      const ks2 = extensionBody(e2, X.key_share, 'key_share_client');
      if (sel !== undefined && (ks2?.shares.length !== 1 || ks2.shares[0]!.group !== sel))
        return violation(`The second ClientHello does not carry exactly one share for ${hex4(sel)}.`, {
          message: i,
          expected: hex4(sel),
          actual: ks2 ? ks2.shares.map((s) => hex4(s.group)).join(',') : 'none',
        });
      const free = new Set<number>([X.key_share, X.early_data, X.cookie, X.pre_shared_key, X.padding]);
      const rest1 = e1.filter((x) => !free.has(x.type));
      const rest2 = e2.filter((x) => !free.has(x.type));
      if (rest1.length !== rest2.length)
        return violation('The second ClientHello adds or removes extensions.', {
          message: i,
          expected: rest1.map((x) => extName(x.type)).join(','),
          actual: rest2.map((x) => extName(x.type)).join(','),
        });
      for (let k = 0; k < rest1.length; k++) {
        if (rest1[k]!.type !== rest2[k]!.type || (!isGrease(rest1[k]!.type) && !bodiesEqual(rest1[k]!.body, rest2[k]!.body)))
          return violation(`The second ClientHello changed ${extName(rest2[k]!.type)}.`, {
            message: i,
            expected: extName(rest1[k]!.type),
            actual: extName(rest2[k]!.type),
          });
      }
      return pass('The second ClientHello keeps the first except for the allowed changes.', { message: i });
    },
  }),
  rule({
    id: 't13.neg.hrr-sh-consistency',
    title: 'After HRR the ServerHello keeps suite and version, and shares the HRR group.',
    rfc: 'RFC 8446 §4.1.4, §4.2.8',
    versions: ['1.3'],
    role: 'client',
    alert: 'illegal_parameter',
    check(ctx) {
      if (!ctx.hrr) return notApplicable('No HelloRetryRequest.');
      if (!ctx.sh) return inconclusive('The ServerHello is not decoded.');
      const { hrr, sh } = ctx;
      if (hrr.b.cipherSuite !== sh.b.cipherSuite)
        return violation('ServerHello changed the cipher suite chosen in HRR.', {
          message: sh.m.index,
          expected: hex4(hrr.b.cipherSuite),
          actual: hex4(sh.b.cipherSuite),
        });
      const v1 = extensionBody(hrr.b.extensions, X.supported_versions, 'supported_versions_server')?.version;
      const v2 = extensionBody(sh.b.extensions, X.supported_versions, 'supported_versions_server')?.version;
      if (v1 !== v2)
        return violation('ServerHello changed the version chosen in HRR.', {
          message: sh.m.index,
          expected: `${v1}`,
          actual: `${v2}`,
        });
      const sel = extensionBody(hrr.b.extensions, X.key_share, 'key_share_hrr')?.selectedGroup;
      const g = extensionBody(sh.b.extensions, X.key_share, 'key_share_server')?.share.group;
      if (sel !== undefined && g !== undefined && sel !== g)
        return violation('ServerHello key share group differs from the HRR group.', {
          message: sh.m.index,
          expected: hex4(sel),
          actual: hex4(g),
        });
      return pass('ServerHello is consistent with the HelloRetryRequest.', { message: sh.m.index });
    },
  }),
  rule({
    id: 't13.neg.psk-modes',
    title: 'A PSK offer has psk_key_exchange_modes; the server uses a listed mode and never sends the modes.',
    rfc: 'RFC 8446 §4.2.9, §9.2',
    versions: ['1.3'],
    role: 'both',
    alert: 'missing_extension',
    check(ctx) {
      const ch = answered(ctx);
      if (!ch) return inconclusive('The ClientHello is not decoded.');
      if (!hasExt(exts(ch), X.pre_shared_key)) return notApplicable('No PSK offered.');
      const modes = extensionBody(ch.b.extensions, X.psk_key_exchange_modes, 'psk_key_exchange_modes');
      if (!modes)
        return violation('pre_shared_key without psk_key_exchange_modes.', {
          message: ch.m.index,
          expected: 'psk_key_exchange_modes',
          actual: 'absent',
        });
      if (!ctx.sh) return inconclusive('The ServerHello is not decoded.');
      if (hasExt(exts(ctx.sh), X.psk_key_exchange_modes))
        return violation('The server sent psk_key_exchange_modes.', { message: ctx.sh.m.index });
      if (!hasExt(exts(ctx.sh), X.pre_shared_key))
        return pass('Modes offered; the server did not accept the PSK.', { message: ch.m.index });
      const dhe = hasExt(exts(ctx.sh), X.key_share);
      if (dhe && !modes.modes.includes(1)) return violation('psk_dhe_ke used but not offered.', { message: ctx.sh.m.index });
      if (!dhe && !modes.modes.includes(0)) return violation('psk_ke used but not offered.', { message: ctx.sh.m.index });
      return pass('The PSK mode used was offered.', { message: ctx.sh.m.index });
    },
  }),
  rule({
    id: 't13.neg.psk-selected-identity',
    title: 'selected_identity indexes an offered identity; one binder per identity.',
    rfc: 'RFC 8446 §4.2.11',
    versions: ['1.3'],
    role: 'client',
    alert: 'illegal_parameter',
    check(ctx) {
      const ch = answered(ctx);
      if (!ch) return inconclusive('The ClientHello is not decoded.');
      const psk = extensionBody(ch.b.extensions, X.pre_shared_key, 'pre_shared_key_client');
      if (!psk) return notApplicable('No PSK offered.');
      if (psk.binders.length !== psk.identities.length)
        return violation('The number of binders differs from the number of identities.', {
          message: ch.m.index,
          expected: `${psk.identities.length}`,
          actual: `${psk.binders.length}`,
        });
      const sel = ctx.sh
        ? extensionBody(ctx.sh.b.extensions, X.pre_shared_key, 'pre_shared_key_server')?.selectedIdentity
        : undefined;
      if (sel === undefined) return pass('Binders match identities; no PSK selected.', { message: ch.m.index });
      return sel < psk.identities.length
        ? pass(`Selected identity ${sel} was offered.`, { message: ctx.sh!.m.index })
        : violation(`Selected identity ${sel} is out of range.`, {
            message: ctx.sh!.m.index,
            expected: `< ${psk.identities.length}`,
            actual: `${sel}`,
          });
    },
  }),
  rule({
    id: 't13.neg.early-data',
    title: 'early_data goes with a PSK, not in the second ClientHello, and is accepted only for identity 0.',
    rfc: 'RFC 8446 §4.2.10, §4.2.11',
    versions: ['1.3'],
    role: 'both',
    alert: 'illegal_parameter',
    check(ctx) {
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
      const e = exts(ctx.ch);
      if (!hasExt(e, X.early_data)) return notApplicable('No early data offered.');
      if (!hasExt(e, X.pre_shared_key))
        return violation('early_data offered without pre_shared_key.', { message: ctx.ch.m.index });
      if (ctx.ch2 && hasExt(exts(ctx.ch2), X.early_data))
        return violation('early_data in the second ClientHello.', { message: ctx.ch2.m.index });
      const ee = needEE(ctx);
      if (isOutcome(ee)) return ee;
      if (!hasExt(ee.exts, X.early_data))
        return pass('Early data offered with a PSK and not accepted.', { message: ctx.ch.m.index });
      const sel = ctx.sh
        ? extensionBody(ctx.sh.b.extensions, X.pre_shared_key, 'pre_shared_key_server')?.selectedIdentity
        : undefined;
      return sel === 0
        ? pass('Early data accepted for identity 0.', { message: ee.m.index })
        : violation('Early data accepted with a selected identity other than 0.', {
            message: ee.m.index,
            expected: '0',
            actual: `${sel}`,
          });
    },
  }),
  rule({
    id: 't13.neg.post-handshake-auth-ext',
    title: 'post_handshake_auth is empty and sent only by clients in ClientHello.',
    rfc: 'RFC 8446 §4.2.6',
    versions: ['1.3'],
    role: 'both',
    alert: 'illegal_parameter',
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
    id: 'ver.t12.server-version',
    title: 'The server never picks a version above what the client offered.',
    rfc: 'RFC 5246 §7.4.1.3, App. E.1',
    versions: ['1.2'],
    alert: 'protocol_version',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const sv = supportedVersions(h.ch.b);
      const v = ctx.sh!.b.legacyVersion;
      if (sv)
        return sv.includes(0x0303)
          ? pass('TLS 1.2 was in supported_versions.', { message: h.sh.m.index })
          : violation('TLS 1.2 chosen but not in supported_versions.', { message: h.sh.m.index });
      return v <= h.ch.b.legacyVersion
        ? pass('The server version does not exceed client_version.', { message: h.sh.m.index })
        : violation('The server chose a version above client_version.', {
            message: h.sh.m.index,
            expected: `<= ${hex4(h.ch.b.legacyVersion)}`,
            actual: hex4(v),
          });
    },
  }),
  rule({
    id: 'ver.no-ssl3',
    title: 'SSL 3.0 and older are never offered or negotiated.',
    rfc: 'RFC 8446 App. D.5; RFC 7568',
    versions: ['1.2', '1.3'],
    role: 'both',
    alert: 'protocol_version',
    check(ctx) {
      const out: Outcome[] = [];
      for (const h of [ctx.ch, ctx.sh])
        if (h)
          out.push(
            h.b.legacyVersion <= 0x0300
              ? violation(`A hello with legacy_version ${hex4(h.b.legacyVersion)}.`, {
                  message: h.m.index,
                  expected: '>= 0x0301',
                  actual: hex4(h.b.legacyVersion),
                })
              : pass('Hello version above SSL 3.0.', { message: h.m.index }),
          );
      const rec = ctx.t.records.find((r) => r.version < 0x0300);
      if (rec)
        out.push(
          violation(`Record ${rec.index} has version ${hex4(rec.version)}.`, {
            expected: '>= 0x0300',
            actual: hex4(rec.version),
          }),
        );
      return out.length ? out : inconclusive('The hellos are not decoded.');
    },
  }),
  rule({
    id: 'ver.fallback-scsv',
    title: 'A server that supports a higher version than a fallback ClientHello offers refuses it with inappropriate_fallback.',
    rfc: 'RFC 7507 §3',
    versions: ['1.2'],
    alert: 'inappropriate_fallback',
    check(ctx) {
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
      if (!ctx.ch.b.cipherSuites.includes(SCSV.TLS_FALLBACK_SCSV))
        return notApplicable('No TLS_FALLBACK_SCSV in the ClientHello.');
      const refused = ctx.t.messages.find((m) => m.dir === 'S->C' && m.alert?.description === 86);
      if (refused) return pass('The server refused the fallback with inappropriate_fallback.', { message: refused.index });
      if (!ctx.sh) return inconclusive('The ServerHello is not decoded.');
      const tail = ctx.sh.b.random.subarray(24);
      // The downgrade sentinel shows that the server supports a version above the one it negotiated.
      if (bytesEqual(tail, DOWNGRADE_TLS12) || bytesEqual(tail, DOWNGRADE_TLS11))
        return violation(
          'The server accepted a fallback ClientHello although its downgrade sentinel shows it supports a higher version.',
          { message: ctx.sh.m.index, expected: 'inappropriate_fallback alert', actual: 'server_hello' },
        );
      return inconclusive(
        'The server accepted the fallback; whether it supports a higher version cannot be seen in this transcript.',
        { message: ctx.sh.m.index },
      );
    },
  }),
  rule({
    id: 'ver.downgrade-sentinel-set',
    title: 'A 1.3-capable server negotiating 1.2 marks ServerHello.random; a TLS 1.3 ServerHello never does.',
    rfc: 'RFC 8446 §4.1.3',
    versions: ['1.2', '1.3'],
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const tail = h.sh.b.random.subarray(24);
      const s12 = bytesEqual(tail, DOWNGRADE_TLS12);
      const s11 = bytesEqual(tail, DOWNGRADE_TLS11);
      const i = h.sh.m.index;
      if (ctx.version === '1.3')
        return s12 || s11
          ? violation('A TLS 1.3 ServerHello carries a downgrade sentinel.', { message: i })
          : pass('No sentinel in the TLS 1.3 ServerHello.', { message: i });
      if (s11)
        return violation('TLS 1.2 negotiated but the random ends with the TLS 1.1 sentinel.', {
          message: i,
          expected: 'DOWNGRD\\x01 or none',
          actual: 'DOWNGRD\\x00',
        });
      if (!offers13(h.ch.b)) return notApplicable('The client did not offer TLS 1.3.');
      return s12
        ? pass('The TLS 1.2 ServerHello carries the TLS 1.2 sentinel.', { message: i })
        : inconclusive('No sentinel: a violation only if the server supports TLS 1.3, which one transcript cannot show.', {
            message: i,
          });
    },
  }),
  rule({
    id: 'ver.t13.legacy-version-fields',
    title: 'TLS 1.3 hellos keep legacy_version at 0x0303.',
    rfc: 'RFC 8446 §4.1.2, §4.1.3',
    versions: ['1.3'],
    role: 'both',
    check(ctx) {
      const out: Outcome[] = [];
      for (const h of [ctx.ch, ctx.ch2, ctx.hrr, ctx.sh])
        if (h)
          out.push(
            h.b.legacyVersion === 0x0303
              ? pass('legacy_version is 0x0303.', { message: h.m.index })
              : violation(`legacy_version is ${hex4(h.b.legacyVersion)}.`, {
                  message: h.m.index,
                  expected: '0x0303',
                  actual: hex4(h.b.legacyVersion),
                }),
          );
      return out.length ? out : inconclusive('The hellos are not decoded.');
    },
  }),
  rule({
    id: 'ver.t13.supported-versions-client',
    title: 'A client offers TLS 1.3 only through supported_versions.',
    rfc: 'RFC 8446 §4.2.1',
    versions: ['1.3'],
    role: 'client',
    check(ctx) {
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
      return offers13(ctx.ch.b)
        ? pass('supported_versions lists 0x0304.', { message: ctx.ch.m.index })
        : violation('TLS 1.3 negotiated without 0x0304 in the ClientHello supported_versions.', {
            message: ctx.ch.m.index,
            expected: '0x0304 in supported_versions',
            actual: 'absent',
          });
    },
  }),
  rule({
    id: 'ver.t13.server-selection',
    title: 'The server selects a version from supported_versions, or at most TLS 1.2 without it.',
    rfc: 'RFC 8446 §4.2.1',
    versions: ['1.2', '1.3'],
    alert: 'protocol_version',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const ch = answered(ctx)!;
      const sv = supportedVersions(ch.b);
      const v =
        extensionBody(h.sh.b.extensions, X.supported_versions, 'supported_versions_server')?.version ?? h.sh.b.legacyVersion;
      if (sv)
        return sv.includes(v) && !isGrease(v)
          ? pass(`Version ${hex4(v)} was offered.`, { message: h.sh.m.index })
          : violation(`Version ${hex4(v)} was not in supported_versions.`, {
              message: h.sh.m.index,
              expected: sv.map(hex4).join(','),
              actual: hex4(v),
            });
      const max = Math.min(ch.b.legacyVersion, 0x0303);
      return v <= max
        ? pass(`Version ${hex4(v)} without supported_versions.`, { message: h.sh.m.index })
        : violation(`Version ${hex4(v)} chosen without supported_versions.`, {
            message: h.sh.m.index,
            expected: `<= ${hex4(max)}`,
            actual: hex4(v),
          });
    },
  }),
  rule({
    id: 'ver.t13.sh-supported-versions',
    title: 'TLS 1.3 ServerHello/HRR carry supported_versions 0x0304; older ServerHellos do not.',
    rfc: 'RFC 8446 §4.2.1',
    versions: ['1.2', '1.3'],
    check(ctx) {
      const out: Outcome[] = [];
      for (const h of [ctx.hrr, ctx.sh]) {
        if (!h) continue;
        const sv = extensionBody(h.b.extensions, X.supported_versions, 'supported_versions_server');
        if (ctx.version === '1.3')
          out.push(
            sv?.version === 0x0304
              ? pass('supported_versions is 0x0304.', { message: h.m.index })
              : violation('TLS 1.3 hello without supported_versions 0x0304.', { message: h.m.index }),
          );
        else
          out.push(
            sv
              ? violation('A TLS 1.2 ServerHello carries supported_versions.', {
                  message: h.m.index,
                  expected: 'absent',
                  actual: hex4(sv.version),
                })
              : pass('No supported_versions in the TLS 1.2 ServerHello.', { message: h.m.index }),
          );
      }
      return out.length ? out : inconclusive('The ServerHello is not decoded.');
    },
  }),
  rule({
    id: 'ver.t13.client-check',
    title: 'A client aborts when ServerHello selects a version it did not offer or below TLS 1.3.',
    rfc: 'RFC 8446 §4.2.1',
    versions: ['1.3'],
    role: 'client',
    alert: 'illegal_parameter',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const v = extensionBody(h.sh.b.extensions, X.supported_versions, 'supported_versions_server')?.version;
      const sv = supportedVersions(answered(ctx)!.b) ?? [];
      if (v !== undefined && sv.includes(v) && v >= 0x0304)
        return notApplicable('The server selected a valid version, so the client check was not exercised.');
      const cont = ctx.t.messages.find((m) => m.dir === 'C->S' && m.index > h.sh.m.index && m.kind === 'handshake');
      return cont
        ? violation('The client continued after an invalid selected version.', {
            message: cont.index,
            expected: 'abort with illegal_parameter',
            actual: cont.type,
          })
        : pass('The client did not continue.');
    },
  }),
  rule({
    id: 'ext.only-if-offered',
    title: 'Response extensions answer extensions the peer sent.',
    rfc: 'RFC 5246 §7.4.1.4; RFC 8446 §4.2; RFC 5746 §3.6',
    versions: ['1.2', '1.3'],
    role: 'both',
    alert: 'unsupported_extension',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const ch = answered(ctx)!;
      const offered = new Set(exts(ch).map((e) => e.type));
      const scsv = ch.b.cipherSuites.includes(SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
      const check = (list: Extension[], m: TranscriptMessage, what: string, extra: number[] = []): Outcome => {
        const bad = list.find((e) => !offered.has(e.type) && !extra.includes(e.type));
        return bad
          ? violation(`${what} carries ${extName(bad.type)}, which the client did not send.`, {
              message: m.index,
              expected: 'only offered extensions',
              actual: extName(bad.type),
            })
          : pass(`${what} extensions were all offered.`, { message: m.index });
      };
      const out: Outcome[] = [
        check(exts(h.sh), h.sh.m, 'ServerHello', ctx.version === '1.2' && scsv ? [X.renegotiation_info] : []),
      ];
      if (ctx.hrr && ctx.ch) out.push(check(exts(ctx.hrr), ctx.hrr.m, 'HelloRetryRequest', [X.cookie]));
      if (ctx.version === '1.3') {
        const ee = eeOf(ctx);
        if (ee) out.push(check(ee.exts, ee.m, 'EncryptedExtensions'));
        else if (!ctx.evidence.keys) out.push(inconclusive('EncryptedExtensions is encrypted and no key log was given.'));
        for (const s of ctx.steps) {
          const b = bodyOf(s.m);
          if (s.dir === 'S->C' && b?.type === 'certificate' && b.form === 'tls13')
            for (const e of b.entries) out.push(check(e.extensions, s.m, 'Server CertificateEntry'));
        }
      }
      return out;
    },
  }),
  rule({
    id: 'ext.no-duplicates',
    title: 'No extension type appears twice in one block.',
    rfc: 'RFC 5246 §7.4.1.4; RFC 8446 §4.2',
    versions: ['1.2', '1.3'],
    role: 'both',
    check(ctx) {
      const bad = ctx.t.messages.find((m) => m.findings?.some((f) => f.code === 'duplicate-extension'));
      if (bad)
        return violation(`${bad.type}: ${bad.findings!.find((f) => f.code === 'duplicate-extension')!.detail}.`, {
          message: bad.index,
          expected: 'each extension once',
          actual: 'duplicate',
        });
      const n = ctx.t.messages.filter((m) => m.decoded).length;
      if (!n) return inconclusive('No message has bytes to check.');
      return pass(`No duplicate extension in ${n} decoded message(s)${readNote(ctx)}.`);
    },
  }),
  rule({
    id: 'ext.block-well-formed',
    title: 'A ClientHello ends after compression methods or after one well-formed extensions block.',
    rfc: 'RFC 5246 §7.4.1.2; RFC 8446 §4.1.2',
    versions: ['1.2', '1.3'],
    alert: 'decode_error',
    check(ctx) {
      const chs = ctx.steps.filter((s) => s.sym === 'client_hello' && s.m.raw);
      if (!chs.length) return inconclusive('No ClientHello bytes.');
      for (const s of chs) {
        const f = s.m.findings?.find((x) => x.code !== 'duplicate-extension' && x.code !== 'unexpected-extension');
        if (f)
          return violation(`ClientHello is malformed at ${f.path || 'the top'}: ${f.detail}.`, {
            message: s.m.index,
            expected: 'well-formed extensions block',
            actual: f.code,
          });
      }
      return pass('ClientHello extension blocks are well formed.');
    },
  }),
  rule({
    id: 'ext.grease-not-selected',
    title: 'A GREASE value is never selected.',
    rfc: 'RFC 8701 §3.1, §3.2, §4.1',
    versions: ['1.2', '1.3'],
    role: 'both',
    check(ctx) {
      if (!ctx.sh) return inconclusive('The ServerHello is not decoded.');
      const sh = ctx.sh.b;
      const vals: Array<[string, number | undefined]> = [
        ['cipher suite', sh.cipherSuite],
        ['version', extensionBody(sh.extensions, X.supported_versions, 'supported_versions_server')?.version],
        ['key share group', extensionBody(sh.extensions, X.key_share, 'key_share_server')?.share.group],
        ...exts(ctx.sh).map((e): [string, number] => ['extension', e.type]),
      ];
      for (const s of ctx.steps) {
        const b = bodyOf(s.m);
        if (b?.type === 'server_key_exchange' && b.kex === 'ecdhe') vals.push(['named curve', b.namedCurve]);
        if (b?.type === 'server_key_exchange' && b.kex !== 'unparsed' && b.signed)
          vals.push(['signature scheme', b.signed.scheme]);
        if (b?.type === 'certificate_verify') vals.push(['signature scheme', b.scheme]);
      }
      const g = vals.find(([, v]) => v !== undefined && isGrease(v));
      return g
        ? violation(`GREASE ${hex4(g[1]!)} selected as ${g[0]}.`, {
            message: ctx.sh.m.index,
            expected: 'no GREASE value',
            actual: hex4(g[1]!),
          })
        : pass('No GREASE value selected.', { message: ctx.sh.m.index });
    },
  }),
  rule({
    id: 'ext.alpn.format',
    title: 'ALPN lists have no empty names and the server names exactly one protocol.',
    rfc: 'RFC 7301 §3.1',
    versions: ['1.2', '1.3'],
    role: 'both',
    alert: 'decode_error',
    check(ctx) {
      const out: Outcome[] = [];
      for (const s of ctx.steps) {
        const f = s.m.findings?.find((x) => x.path.includes('application_layer_protocol_negotiation'));
        if (f) out.push(violation(`Malformed ALPN in ${s.sym}: ${f.detail}.`, { message: s.m.index }));
      }
      const server = ctx.version === '1.3' ? eeOf(ctx) : ctx.sh ? { m: ctx.sh.m, exts: exts(ctx.sh) } : undefined;
      const a = server
        ? extensionBody(server.exts, X.application_layer_protocol_negotiation, 'application_layer_protocol_negotiation')
        : undefined;
      if (a && server)
        out.push(
          a.protocols.length === 1
            ? pass('The server names one protocol.', { message: server.m.index })
            : violation(`The server names ${a.protocols.length} protocols.`, {
                message: server.m.index,
                expected: '1',
                actual: `${a.protocols.length}`,
              }),
        );
      if (out.length) return out;
      if (ctx.ch && !hasExt(exts(ctx.ch), X.application_layer_protocol_negotiation)) return notApplicable('No ALPN offered.');
      return server
        ? pass('ALPN lists are well formed.')
        : inconclusive(`The server's ALPN answer could not be read${readNote(ctx)}.`);
    },
  }),
  rule({
    id: 'ext.alpn.selected-offered',
    title: 'The server selects an ALPN protocol the client offered.',
    rfc: 'RFC 7301 §3.2',
    versions: ['1.2', '1.3'],
    alert: 'no_application_protocol',
    check(ctx) {
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
      const offered = extensionBody(
        answered(ctx)!.b.extensions,
        X.application_layer_protocol_negotiation,
        'application_layer_protocol_negotiation',
      );
      const server =
        ctx.version === '1.3'
          ? needEE(ctx)
          : ctx.sh
            ? { m: ctx.sh.m, exts: exts(ctx.sh) }
            : inconclusive('The ServerHello is not decoded.');
      if (isOutcome(server)) return offered ? server : notApplicable('No ALPN offered.');
      const sel = extensionBody(server.exts, X.application_layer_protocol_negotiation, 'application_layer_protocol_negotiation');
      if (!sel) return offered ? pass('ALPN offered, none selected.') : notApplicable('No ALPN.');
      if (!offered) return violation('ALPN selected without an offer.', { message: server.m.index });
      const bad = sel.protocols.find((p) => !offered.protocols.some((o) => bytesEqual(o, p)));
      return bad
        ? violation(`ALPN protocol "${Buffer.from(bad).toString('latin1')}" was not offered.`, {
            message: server.m.index,
            expected: offered.protocols.map((p) => Buffer.from(p).toString('latin1')).join(','),
            actual: Buffer.from(bad).toString('latin1'),
          })
        : pass('The selected ALPN protocol was offered.', { message: server.m.index });
    },
  }),
  rule({
    id: 'ext.ems.negotiation',
    title: 'extended_master_secret is echoed, empty, exactly when the client sent it.',
    rfc: 'RFC 7627 §5.1, §5.2',
    versions: ['1.2'],
    role: 'both',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const c = findExtension(h.ch.b.extensions, X.extended_master_secret);
      const s = findExtension(h.sh.b.extensions, X.extended_master_secret);
      if (c && c.body.kind !== 'empty')
        return violation('The client extended_master_secret is not empty.', { message: h.ch.m.index });
      if (s && s.body.kind !== 'empty')
        return violation('The server extended_master_secret is not empty.', { message: h.sh.m.index });
      if (s && !c)
        return violation('The server sent extended_master_secret unasked.', {
          message: h.sh.m.index,
          expected: 'absent',
          actual: 'present',
        });
      if (c && !s)
        return inconclusive(
          'The client offered EMS and the server did not echo it; that is allowed for a server without EMS support, but EMS is then not used.',
          { message: h.sh.m.index },
        );
      return pass(c ? 'EMS offered and echoed.' : 'EMS not used on either side.', { message: h.sh.m.index });
    },
  }),
  rule({
    id: 'ext.reneg.initial',
    title: 'The initial handshake signals secure renegotiation with an empty value.',
    rfc: 'RFC 5746 §3.4, §3.6',
    versions: ['1.2'],
    role: 'both',
    alert: 'handshake_failure',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const scsv = h.ch.b.cipherSuites.includes(SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
      const c = extensionBody(h.ch.b.extensions, X.renegotiation_info, 'renegotiation_info');
      const s = extensionBody(h.sh.b.extensions, X.renegotiation_info, 'renegotiation_info');
      if (c?.renegotiatedConnection.length)
        return violation('Non-empty renegotiation_info in an initial ClientHello.', {
          message: h.ch.m.index,
          expected: 'empty',
          actual: `${c.renegotiatedConnection.length} bytes`,
        });
      if (!c && !scsv)
        return violation('The initial ClientHello has neither the SCSV nor renegotiation_info.', {
          message: h.ch.m.index,
          expected: 'SCSV or empty renegotiation_info',
          actual: 'none',
        });
      if (!s)
        return violation('The ServerHello does not return renegotiation_info.', {
          message: h.sh.m.index,
          expected: 'empty renegotiation_info',
          actual: 'absent',
        });
      if (s.renegotiatedConnection.length)
        return violation('Non-empty renegotiation_info in the initial ServerHello.', { message: h.sh.m.index });
      return pass('Secure renegotiation signalled on both sides.', { message: h.sh.m.index });
    },
  }),
  rule({
    id: 'ext.ecc.curve-offered',
    title:
      "The ServerKeyExchange curve, and with ECDSA suites the curve of the server certificate's key, are ones the client offered.",
    rfc: 'RFC 8422 §4, §5.1, §5.3',
    versions: ['1.2'],
    alert: 'illegal_parameter',
    check(ctx) {
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
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
    alert: 'illegal_parameter',
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
    alert: 'illegal_parameter',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const c = extensionBody(h.ch.b.extensions, X.ec_point_formats, 'ec_point_formats');
      const s = extensionBody(h.sh.b.extensions, X.ec_point_formats, 'ec_point_formats');
      if (c && !c.formats.includes(0))
        return violation('The client ec_point_formats lacks uncompressed.', { message: h.ch.m.index });
      if (s && !s.formats.includes(0))
        return violation('The server ec_point_formats lacks uncompressed.', { message: h.sh.m.index });
      if (s && !c) return violation('The server sent ec_point_formats unasked.', { message: h.sh.m.index });
      return c || s ? pass('ec_point_formats include uncompressed.') : notApplicable('No ec_point_formats.');
    },
  }),
  rule({
    id: 'ext.ecc.no-ecc-ext-without-ecc',
    title: 'A ClientHello without ECC suites (and without TLS 1.3) sends no ECC extensions.',
    rfc: 'RFC 8422 §4',
    versions: ['1.2'],
    role: 'client',
    check(ctx) {
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
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
    id: 'ext.status-request',
    title: 'OCSP status is returned only when requested.',
    rfc: 'RFC 6066 §8; RFC 8446 §4.4.2.1',
    versions: ['1.2', '1.3'],
    role: 'both',
    alert: 'bad_certificate_status_response',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const asked = hasExt(exts(answered(ctx)), X.status_request);
      const cs = ctx.steps.find((s) => s.sym === 'certificate_status');
      if (ctx.version === '1.2') {
        const shs = hasExt(exts(h.sh), X.status_request);
        if (shs && !asked) return violation('ServerHello status_request without a client request.', { message: h.sh.m.index });
        if (cs && !shs) return violation('CertificateStatus without status_request in ServerHello.', { message: cs.m.index });
        return pass(cs ? 'Stapled status was requested.' : 'No unrequested status.');
      }
      for (const s of ctx.steps) {
        const b = bodyOf(s.m);
        if (
          s.dir === 'S->C' &&
          b?.type === 'certificate' &&
          b.form === 'tls13' &&
          b.entries.some((e) => hasExt(e.extensions, X.status_request)) &&
          !asked
        )
          return violation('A CertificateEntry carries OCSP status the client did not request.', { message: s.m.index });
      }
      return ctx.evidence.keys
        ? pass('No unrequested OCSP status.')
        : inconclusive('The TLS 1.3 Certificate is encrypted and no key log was given.');
    },
  }),
  rule({
    id: 'ext.sni.format',
    title: 'server_name has one name per type; a host_name is an ASCII DNS name without trailing dot, not an IP literal.',
    rfc: 'RFC 6066 §3',
    versions: ['1.2', '1.3'],
    role: 'client',
    check(ctx) {
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
      const sni = extensionBody(ctx.ch.b.extensions, X.server_name, 'server_name');
      if (!sni) return notApplicable('No server_name.');
      const types = sni.names.map((n) => n.nameType);
      if (new Set(types).size !== types.length) return violation('Two names of one name_type.', { message: ctx.ch.m.index });
      for (const n of sni.names.filter((x) => x.nameType === 0)) {
        const s = Buffer.from(n.name).toString('latin1');
        if (/[^\x21-\x7e]/.test(s) || s.endsWith('.'))
          return violation(`host_name "${s}" is not an ASCII DNS name without trailing dot.`, { message: ctx.ch.m.index });
        if (/^\d+\.\d+\.\d+\.\d+$/.test(s) || s.includes(':'))
          return violation(`host_name "${s}" is an IP literal.`, { message: ctx.ch.m.index });
      }
      return pass('server_name is well formed.', { message: ctx.ch.m.index });
    },
  }),
  rule({
    id: 'ext.sni.server-ack',
    title:
      'The server acknowledges SNI with an empty server_name (ServerHello in 1.2, never on resumption; EncryptedExtensions in 1.3).',
    rfc: 'RFC 6066 §3; RFC 8446 §4.2',
    versions: ['1.2', '1.3'],
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      if (ctx.version === '1.2') {
        const s = findExtension(h.sh.b.extensions, X.server_name);
        if (!s) return pass('No server_name acknowledgement.', { message: h.sh.m.index });
        if (s.body.kind !== 'empty') return violation('The ServerHello server_name is not empty.', { message: h.sh.m.index });
        if (abbreviated(ctx) === true)
          return violation('server_name acknowledged in a resumed handshake.', { message: h.sh.m.index });
        return pass('Empty server_name acknowledgement.', { message: h.sh.m.index });
      }
      if (hasExt(exts(h.sh), X.server_name)) return violation('server_name in a TLS 1.3 ServerHello.', { message: h.sh.m.index });
      const ee = needEE(ctx);
      if (isOutcome(ee)) return ee;
      const s = findExtension(ee.exts, X.server_name);
      return s && s.body.kind !== 'empty'
        ? violation('The EncryptedExtensions server_name is not empty.', { message: ee.m.index })
        : pass('server_name acknowledgement is well formed.', { message: ee.m.index });
    },
  }),
  rule({
    id: 'ext.mfl.values',
    title: 'max_fragment_length is 1..4 and the server echoes the requested value.',
    rfc: 'RFC 6066 §4',
    versions: ['1.2', '1.3'],
    role: 'both',
    alert: 'illegal_parameter',
    check(ctx) {
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
      const c = extensionBody(answered(ctx)!.b.extensions, X.max_fragment_length, 'max_fragment_length');
      if (!c) return notApplicable('No max_fragment_length requested.');
      if (c.value < 1 || c.value > 4)
        return violation(`Requested max_fragment_length ${c.value}.`, {
          message: ctx.ch.m.index,
          expected: '1..4',
          actual: `${c.value}`,
        });
      const server =
        ctx.version === '1.3'
          ? needEE(ctx)
          : ctx.sh
            ? { m: ctx.sh.m, exts: exts(ctx.sh) }
            : inconclusive('The ServerHello is not decoded.');
      if (isOutcome(server)) return server;
      const s = extensionBody(server.exts, X.max_fragment_length, 'max_fragment_length');
      if (!s) return pass('max_fragment_length requested, not negotiated.');
      return s.value === c.value
        ? pass('max_fragment_length echoed.', { message: server.m.index })
        : violation('max_fragment_length echo differs.', {
            message: server.m.index,
            expected: `${c.value}`,
            actual: `${s.value}`,
          });
    },
  }),
  rule({
    id: 't12.neg.ticket',
    title: 'The server sends an empty SessionTicket extension only if the client sent one.',
    rfc: 'RFC 5077 §3.2',
    versions: ['1.2'],
    role: 'both',
    alert: 'unsupported_extension',
    check(ctx) {
      const h = hellos(ctx);
      if (isOutcome(h)) return h;
      const s = extensionBody(h.sh.b.extensions, X.session_ticket, 'session_ticket');
      if (!s) return pass('No SessionTicket in ServerHello.', { message: h.sh.m.index });
      if (!hasExt(exts(h.ch), X.session_ticket))
        return violation('SessionTicket in ServerHello without one in ClientHello.', { message: h.sh.m.index });
      if (s.ticket.length) return violation('The ServerHello SessionTicket is not empty.', { message: h.sh.m.index });
      return pass('SessionTicket answered the client.', { message: h.sh.m.index });
    },
  }),
  rule({
    id: 't12.neg.sigalgs-extension',
    title: 'A TLS 1.2 server never sends signature_algorithms.',
    rfc: 'RFC 5246 §7.4.1.4.1',
    versions: ['1.2'],
    alert: 'unsupported_extension',
    check(ctx) {
      if (!ctx.sh) return inconclusive('The ServerHello is not decoded.');
      return hasExt(exts(ctx.sh), X.signature_algorithms)
        ? violation('ServerHello carries signature_algorithms.', { message: ctx.sh.m.index })
        : pass('No signature_algorithms from the server.', { message: ctx.sh.m.index });
    },
  }),
  rule({
    id: 't12.neg.ske-sigalg',
    title: 'The ServerKeyExchange signature algorithm is one the client offered (or the SHA-1 default).',
    rfc: 'RFC 5246 §7.4.1.4.1, §7.4.3',
    versions: ['1.2'],
    alert: 'illegal_parameter',
    check(ctx) {
      const s = ctx.steps.find((x) => x.sym === 'server_key_exchange');
      if (!s) return notApplicable('No ServerKeyExchange.');
      const b = bodyOf(s.m);
      if (b?.type !== 'server_key_exchange' || b.kex === 'unparsed')
        return inconclusive('ServerKeyExchange is not decoded.', { message: s.m.index });
      if (!b.signed) return notApplicable('Unsigned (anonymous) ServerKeyExchange.');
      if (!ctx.ch) return inconclusive('The ClientHello is not decoded.');
      const offered = extensionBody(ctx.ch.b.extensions, X.signature_algorithms, 'signature_algorithms')?.schemes ?? [
        0x0201, 0x0202, 0x0203,
      ];
      return offered.includes(b.signed.scheme)
        ? pass(`Scheme ${hex4(b.signed.scheme)} was offered.`, { message: s.m.index })
        : violation(`Scheme ${hex4(b.signed.scheme)} was not offered.`, {
            message: s.m.index,
            expected: offered.map(hex4).join(','),
            actual: hex4(b.signed.scheme),
          });
    },
  }),
  rule({
    id: 't12.neg.cv-sigalg',
    title: 'The client CertificateVerify algorithm is one CertificateRequest listed.',
    rfc: 'RFC 5246 §7.4.8',
    versions: ['1.2'],
    role: 'client',
    alert: 'illegal_parameter',
    check(ctx) {
      const cv = ctx.steps.find((x) => x.sym === 'certificate_verify' && x.dir === 'C->S');
      if (!cv) return notApplicable('No CertificateVerify.');
      const cr = bodyOf(ctx.steps.find((x) => x.sym === 'certificate_request')?.m);
      const b = bodyOf(cv.m);
      if (cr?.type !== 'certificate_request' || cr.form !== 'tls12' || b?.type !== 'certificate_verify')
        return inconclusive('CertificateRequest or CertificateVerify is not decoded.', { message: cv.m.index });
      return cr.signatureAlgorithms.includes(b.scheme)
        ? pass(`Scheme ${hex4(b.scheme)} was requested.`, { message: cv.m.index })
        : violation(`Scheme ${hex4(b.scheme)} was not in CertificateRequest.`, {
            message: cv.m.index,
            expected: cr.signatureAlgorithms.map(hex4).join(','),
            actual: hex4(b.scheme),
          });
    },
  }),
  rule({
    id: 't12.neg.cr-fields',
    title: 'CertificateRequest lists certificate types and signature algorithms, never anonymous.',
    rfc: 'RFC 5246 §7.4.4',
    versions: ['1.2'],
    alert: 'decode_error',
    check(ctx) {
      const s = ctx.steps.find((x) => x.sym === 'certificate_request');
      if (!s) return notApplicable('No CertificateRequest.');
      const b = bodyOf(s.m);
      const f = s.m.findings?.[0];
      if (f) return violation(`CertificateRequest is malformed: ${f.detail}.`, { message: s.m.index });
      if (b?.type !== 'certificate_request' || b.form !== 'tls12')
        return inconclusive('CertificateRequest is not decoded.', { message: s.m.index });
      if (!b.signatureAlgorithms.length) return violation('Empty supported_signature_algorithms.', { message: s.m.index });
      if (b.signatureAlgorithms.some((x) => (x & 0xff) === 0))
        return violation('The anonymous signature value is listed.', { message: s.m.index });
      return pass('CertificateRequest fields are valid.', { message: s.m.index });
    },
  }),
  rule({
    id: 't12.neg.no-weak-algorithms',
    title: 'No RC4, export, NULL-cipher suite and no MD5/SHA-224/DSA signature is negotiated.',
    rfc: 'RFC 8446 §4.2.3, App. D.5; RFC 7465',
    versions: ['1.2'],
    role: 'both',
    alert: 'handshake_failure',
    check(ctx) {
      if (!ctx.sh) return inconclusive('The ServerHello is not decoded.');
      const info = cipherSuites.get(ctx.sh.b.cipherSuite);
      if (info && (info.export || info.cipher === 'RC4_128' || info.cipher === 'NULL' || info.cipher === 'EXPORT'))
        return violation(`Weak suite ${info.name} negotiated.`, { message: ctx.sh.m.index });
      const weak = (s: number): boolean => s >> 8 === 1 || s >> 8 === 3 || (s >> 8 <= 6 && (s & 0xff) === 2);
      for (const st of ctx.steps) {
        const b = bodyOf(st.m);
        const sch =
          b?.type === 'certificate_verify'
            ? b.scheme
            : b?.type === 'server_key_exchange' && b.kex !== 'unparsed'
              ? b.signed?.scheme
              : undefined;
        if (sch !== undefined && weak(sch))
          return violation(`Weak signature algorithm ${hex4(sch)} used.`, { message: st.m.index });
      }
      return pass('Negotiated algorithms are not weak (what was only offered is not judged).', { message: ctx.sh.m.index });
    },
  }),
];

export const negotiationRules: Rule[] = rules;
