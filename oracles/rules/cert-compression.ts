/**
 * Certificate compression (RFC 8879): a CompressedCertificate replaces a TLS 1.3 Certificate (oracles/context.ts
 * `bodyOf` hands the certificate rules the Certificate inside it; the transcript hash takes it as sent). These rules
 * judge the compression itself: that it was asked for, with an algorithm the receiver listed, only in TLS 1.3; and that
 * it gives back exactly uncompressed_length bytes of a Certificate message.
 */
import type { TranscriptMessage } from '../../transcript/model';
import { decompressCertificate } from '../../wire/compress';
import { extensionBody } from '../../wire/extensions';
import type { HandshakeBody } from '../../wire/handshake';
import { ExtensionType } from '../../wire/registry';
import { because, definition } from '../alert-choices';
import { bodyOf, certificateOfCompressed, type Context } from '../context';
import { declarer, inconclusive, notApplicable, type Outcome, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.3'],
  role: 'both',
  strength: 'MUST',
  evidence: 'keys',
  group: 'negotiation',
});

type Compressed = Extract<HandshakeBody, { type: 'compressed_certificate' }>;

/** Each CompressedCertificate of the transcript with its decoded body. */
function compressedOf(ctx: Context): { m: TranscriptMessage; b: Compressed }[] {
  const out: { m: TranscriptMessage; b: Compressed }[] = [];
  for (const m of ctx.t.messages) {
    const b = m.decoded?.body;
    if (b?.type === 'compressed_certificate') out.push({ m, b });
  }
  return out;
}

/**
 * The algorithms the receiver of `m` offered (RFC 8879 §3): the ClientHello's compress_certificate for the server's
 * Certificate, the last CertificateRequest's for the client's; undefined when the receiver sent no such extension.
 */
function offeredTo(ctx: Context, m: TranscriptMessage): number[] | undefined {
  if (m.dir === 'S->C')
    return extensionBody(ctx.ch?.b.extensions, ExtensionType.compress_certificate, 'compress_certificate')?.algorithms;
  const cr = [...ctx.t.messages].reverse().find((x) => x.index < m.index && x.dir === 'S->C' && x.type === 'certificate_request');
  const b = bodyOf(cr);
  return b?.type === 'certificate_request' && b.form === 'tls13'
    ? extensionBody(b.extensions, ExtensionType.compress_certificate, 'compress_certificate')?.algorithms
    : undefined;
}

const NONE = 'No CompressedCertificate in the transcript.';

export const certCompressionRules = [
  rule({
    id: 'ext.cc.offered',
    title:
      'A CompressedCertificate is sent only in TLS 1.3, to a peer that offered compress_certificate, with one of the algorithms it listed.',
    rfc: ['RFC 8879 §3', 'RFC 8879 §4', 'RFC 8879 §5'],
    versions: ['1.2', '1.3'],
    // RFC 8879 names no alert here: illegal_parameter for an algorithm not listed (RFC 8446 §6.2: "A field in the
    // handshake was incorrect or inconsistent with other fields"); a CompressedCertificate the receiver never asked for
    // (no extension, or TLS 1.2) is a message it cannot expect: unexpected_message
    alerts: [definition('illegal_parameter', ['1.3']), definition('unexpected_message', ['1.2', '1.3'])],
    overrides: {
      checklist:
        'the reference checklist has no certificate compression rules; RFC 8879 §4: "The algorithm MUST be one of the algorithms listed in the peer\'s compress_certificate extension"; §5: "This extension is only supported with TLS 1.3 and newer; if TLS 1.2 or earlier is negotiated, the peers MUST ignore this extension."',
    },
    check(ctx): Outcome[] {
      const cs = compressedOf(ctx);
      if (!cs.length) return [notApplicable(NONE)];
      return cs.map(({ m, b }) => {
        const who = m.dir === 'S->C' ? 'server' : 'client';
        if (ctx.version === '1.2') return violation(`The ${who} sends a CompressedCertificate in TLS 1.2.`, { message: m.index });
        const offered = offeredTo(ctx, m);
        if (offered === undefined)
          return m.dir === 'S->C' && !ctx.ch
            ? inconclusive('The ClientHello is not in the transcript.', { message: m.index })
            : violation(`The ${who} sends a CompressedCertificate, but its peer sent no compress_certificate.`, {
                message: m.index,
              });
        return offered.includes(b.algorithm)
          ? pass(`The ${who} compressed with algorithm ${b.algorithm}, which its peer listed.`, { message: m.index })
          : violation(`The ${who} compressed with algorithm ${b.algorithm}, which its peer did not list.`, {
              message: m.index,
              expected: `one of ${offered.join(', ')}`,
              actual: String(b.algorithm),
            });
      });
    },
  }),
  rule({
    id: 'ext.cc.decompress',
    title:
      'The compressed_certificate_message decompresses to exactly uncompressed_length bytes, and they are a Certificate message.',
    rfc: 'RFC 8879 §4',
    alerts: [
      because(
        'bad_certificate',
        'RFC 8879 §4',
        'If the received CompressedCertificate message cannot be decompressed, the connection MUST be terminated with the "bad_certificate" alert.',
      ),
    ],
    overrides: {
      checklist:
        'the reference checklist has no certificate compression rules; RFC 8879 §4: "If the length of the resulting uncompressed certificate differs from the length specified in the uncompressed_length field, the receiving party MUST abort the connection with the "bad_certificate" alert."',
    },
    check(ctx): Outcome[] {
      const cs = compressedOf(ctx);
      if (!cs.length) return [notApplicable(NONE)];
      return cs.map(({ m, b }) => {
        const r = decompressCertificate(b.algorithm, b.compressed, b.uncompressedLength);
        if (!r.ok)
          return /not one this build/.test(r.why)
            ? inconclusive(`The CompressedCertificate cannot be opened here: ${r.why}.`, { message: m.index })
            : violation(`The CompressedCertificate is broken: ${r.why}.`, { message: m.index });
        return certificateOfCompressed(b)
          ? pass(`The CompressedCertificate gives back the ${b.uncompressedLength} bytes of a Certificate.`, { message: m.index })
          : violation('The CompressedCertificate decompresses to bytes that are no TLS 1.3 Certificate message.', {
              message: m.index,
            });
      });
    },
  }),
];
