/**
 * TLS 1.2 negotiation: what the ServerHello (and ServerKeyExchange,
 * CertificateRequest, CertificateVerify) chose against what the
 * ClientHello offered. Plaintext hellos are enough.
 */
import { extensionBody } from '../../wire/extensions';
import { bytesEqual } from '../../wire/hex';
import { SCSV, ExtensionType as X, cipherSuites, isGrease } from '../../wire/registry';
import { bodyOf, exts, hasExt } from '../context';
import { hex4 } from '../flow';
import { declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.2'],
  role: 'server',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'negotiation',
});

export const t12NegotiationRules = [
  rule({
    id: 't12.neg.suite-offered',
    title: 'The TLS 1.2 ServerHello picks a real cipher suite the client offered.',
    rfc: ['RFC 5246 §7.4.1.3', 'RFC 8701 §3.2'],
    versions: ['1.2'],
    alerts: ['illegal_parameter'],
    needs: ['hellos'],
    check(ctx) {
      const s = ctx.sh.b.cipherSuite;
      if (s === SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV || s === SCSV.TLS_FALLBACK_SCSV || isGrease(s))
        return violation(`ServerHello selected the signalling/GREASE value ${hex4(s)}.`, {
          message: ctx.sh.m.index,
          expected: 'a real cipher suite',
          actual: hex4(s),
        });
      return ctx.ch.b.cipherSuites.includes(s)
        ? pass(`Suite ${cipherSuites.get(s)?.name ?? hex4(s)} was offered.`, { message: ctx.sh.m.index })
        : violation(`ServerHello selected ${cipherSuites.get(s)?.name ?? hex4(s)}, which the client did not offer.`, {
            message: ctx.sh.m.index,
            expected: 'one of the offered suites',
            actual: hex4(s),
          });
    },
  }),
  rule({
    id: 't12.neg.compression',
    overrides: {
      alerts:
        'RFC 5246 §7.4.1.2 ("this vector MUST contain, and all implementations MUST support, CompressionMethod.null") names no alert; illegal_parameter stays first, decode_error ("some field was out of the specified range", RFC 5246 §7.2.2) fits a compression list without null too',
    },
    title: 'ClientHello offers null compression; ServerHello picks an offered method.',
    rfc: 'RFC 5246 §7.4.1.2, §7.4.1.3',
    versions: ['1.2'],
    role: 'both',
    // RFC 5246 names no alert for a compression_methods list without null ("this vector MUST contain, and all
    // implementations MUST support, CompressionMethod.null"): a field out of its specified range (decode_error) or
    // out of range / inconsistent (illegal_parameter), by the §7.2.2 definitions
    alerts: ['illegal_parameter', 'decode_error'],
    needs: ['hellos'],
    check(ctx) {
      if (!ctx.ch.b.compressionMethods.includes(0))
        return violation('The ClientHello does not offer null compression.', {
          message: ctx.ch.m.index,
          expected: 'contains 0',
          actual: ctx.ch.b.compressionMethods.join(','),
        });
      const c = ctx.sh.b.compressionMethod;
      return ctx.ch.b.compressionMethods.includes(c)
        ? pass(`Compression method ${c} was offered.`, { message: ctx.sh.m.index })
        : violation(`Compression method ${c} was not offered.`, {
            message: ctx.sh.m.index,
            expected: ctx.ch.b.compressionMethods.join(','),
            actual: `${c}`,
          });
    },
  }),
  rule({
    id: 't12.neg.suite-fits-version',
    title: 'A TLS 1.2 ServerHello does not pick a TLS 1.3 suite.',
    rfc: ['RFC 5246 App. A.5', 'RFC 8446 App. B.4'],
    versions: ['1.2'],
    alerts: ['illegal_parameter'],
    needs: ['server-hello'],
    check(ctx) {
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
    overrides: {
      role: 'the check judges what the server sends after its ServerHello (RFC 5246 §7.4.1.3: a server that resumes "will respond with the same value as was supplied by the client"), and the client must read the echo the same way: both sides are bound',
    },
    needs: ['hellos'],
    check(ctx) {
      const S = ctx.byDir['S->C'];
      const next = S[S.findIndex((s) => s.m === ctx.sh.m) + 1];
      if (!next) return inconclusive('Nothing follows ServerHello.');
      const echo = ctx.ch.b.sessionId.length > 0 && bytesEqual(ctx.ch.b.sessionId, ctx.sh.b.sessionId);
      const short = next.sym === 'new_session_ticket' || next.sym === 'change_cipher_spec';
      if (echo && !short)
        return violation(`The session ID was echoed but ${next.sym} follows as in a full handshake.`, {
          message: next.m.index,
          expected: 'new_session_ticket or change_cipher_spec',
          actual: next.sym,
        });
      if (!echo && short && ctx.ch.b.sessionId.length > 0 && !hasExt(ctx.ch.b.extensions, X.session_ticket))
        return violation('An abbreviated handshake without echoing the session ID.', {
          message: next.m.index,
          expected: 'echoed session ID',
          actual: 'different session ID',
        });
      return pass(echo ? 'Session ID echoed, abbreviated handshake.' : 'Session ID not echoed, full handshake.', {
        message: ctx.sh.m.index,
      });
    },
  }),
  rule({
    id: 't12.neg.ticket',
    title: 'The server sends an empty SessionTicket extension only if the client sent one.',
    rfc: ['RFC 5077 §3.2', 'RFC 5077 §3.4'],
    versions: ['1.2'],
    role: 'both',
    alerts: ['unsupported_extension'],
    needs: ['hellos'],
    check(ctx) {
      const s = extensionBody(ctx.sh.b.extensions, X.session_ticket, 'session_ticket');
      if (!s) return pass('No SessionTicket in ServerHello.', { message: ctx.sh.m.index });
      if (!hasExt(exts(ctx.ch), X.session_ticket))
        return violation('SessionTicket in ServerHello without one in ClientHello.', { message: ctx.sh.m.index });
      if (s.ticket.length) return violation('The ServerHello SessionTicket is not empty.', { message: ctx.sh.m.index });
      return pass('SessionTicket answered the client.', { message: ctx.sh.m.index });
    },
  }),
  rule({
    id: 't12.neg.sigalgs-extension',
    title: 'A TLS 1.2 server never sends signature_algorithms.',
    rfc: 'RFC 5246 §7.4.1.4.1',
    versions: ['1.2'],
    alerts: ['unsupported_extension'],
    needs: ['server-hello'],
    check(ctx) {
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
    alerts: ['illegal_parameter'],
    overrides: {
      rfc: 'the check applies the default the client offers without signature_algorithms, which RFC 5246 §7.4.1.4.1 defines ("If the client does not send the signature_algorithms extension, the server MUST do the following: [...] behave as if client had sent value {sha1,rsa}")',
    },
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
    overrides: {
      alerts:
        'RFC 5246 §7.4.8 names no alert for a CertificateVerify algorithm the CertificateRequest did not list; illegal_parameter stays first, handshake_failure ("the sender was unable to negotiate an acceptable set of security parameters given the options available", RFC 5246 §7.2.2) fits it too',
    },
    title: 'The client CertificateVerify algorithm is one CertificateRequest listed.',
    rfc: 'RFC 5246 §7.4.8',
    versions: ['1.2'],
    role: 'client',
    // RFC 5246 §7.4.8 names no alert for a scheme the CertificateRequest did not list: a field inconsistent with the
    // request (illegal_parameter), or no acceptable security parameters (handshake_failure), by the §7.2.2 definitions
    alerts: ['illegal_parameter', 'handshake_failure'],
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
    rfc: ['RFC 5246 §7.4.1.4.1', 'RFC 5246 §7.4.4'],
    versions: ['1.2'],
    alerts: ['decode_error'],
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
];
