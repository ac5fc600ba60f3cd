/**
 * The TLS 1.2 pre-shared key key exchanges (RFC 4279: PSK, DHE_PSK, RSA_PSK; RFC 5489: ECDHE_PSK): what their
 * messages carry. Their premaster (rule t12.ks.pms-psk) needs the PSK, which no key log carries; these rules need
 * only the plaintext handshake.
 */
import type { TranscriptMessage } from '../../transcript/model';
import { bodyOf } from '../context';
import { find, firstHandshake } from '../flow';
import { PSK_KEX12 } from '../keyfacts';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.2'],
  role: 'both',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'negotiation',
});

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
function utf8(b: Uint8Array): boolean {
  try {
    fatalUtf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** The psk_identity of the ClientKeyExchange and the psk_identity_hint of the ServerKeyExchange, when sent. */
function pskFields(
  steps: ReturnType<typeof firstHandshake>['all'],
): Array<{ m: TranscriptMessage; what: string; value: Uint8Array }> {
  const out: Array<{ m: TranscriptMessage; what: string; value: Uint8Array }> = [];
  for (const s of steps) {
    const b = bodyOf(s.m);
    if (b?.type === 'server_key_exchange' && b.kex !== 'unparsed' && b.pskIdentityHint)
      out.push({ m: s.m, what: 'psk_identity_hint', value: b.pskIdentityHint });
    if (b?.type === 'client_key_exchange' && b.kex !== 'unparsed' && b.pskIdentity)
      out.push({ m: s.m, what: 'psk_identity', value: b.pskIdentity });
  }
  return out;
}

export const pskRules = [
  rule({
    id: 't12.psk.identity-utf8',
    title: 'The PSK identity and the identity hint are character strings encoded in UTF-8.',
    rfc: ['RFC 4279 §5.1', 'RFC 4279 §5.2'],
    overrides: {
      checklist:
        'the reference checklist has no PSK key exchange rules; RFC 4279 §5.1: "the PSK identity MUST be first converted to a character string, and then encoded to octets using UTF-8", §5.2: "the same applies to the PSK identity hint"',
    },
    needs: ['kex'],
    check(ctx): Outcome[] {
      if (!PSK_KEX12.has(ctx.kex!)) return [notApplicable(`The key exchange is ${ctx.kex}, not a PSK one.`)];
      const fields = pskFields(firstHandshake(ctx).all);
      if (!fields.length) {
        const cke = find(firstHandshake(ctx).C, 'client_key_exchange');
        return [
          cke
            ? inconclusive('The ClientKeyExchange is not decoded.', { message: cke.m.index })
            : notApplicable('No ClientKeyExchange.'),
        ];
      }
      return fields.map((f) =>
        utf8(f.value)
          ? pass(`The ${f.what} (${f.value.length} bytes) is valid UTF-8.`, { message: f.m.index })
          : violation(`The ${f.what} is not a UTF-8 string.`, { message: f.m.index, expected: 'UTF-8', actual: 'invalid UTF-8' }),
      );
    },
  }),
  rule({
    id: 't12.psk.no-certificate-request',
    title: 'A PSK, DHE_PSK or ECDHE_PSK server asks for no client certificate.',
    rfc: ['RFC 4279 §2', 'RFC 4279 §3', 'RFC 5489 §2'],
    role: 'server',
    alerts: ['unexpected_message'],
    overrides: {
      checklist:
        'the reference checklist has no PSK key exchange rules; RFC 4279 §2: "the Certificate and CertificateRequest payloads are omitted from the response" (§3 and RFC 5489 §2 build DHE_PSK and ECDHE_PSK on it)',
    },
    needs: ['kex', 'full-handshake'],
    check(ctx): Outcome {
      if (!['PSK', 'DHE_PSK', 'ECDHE_PSK'].includes(ctx.kex!))
        return notApplicable(`The key exchange is ${ctx.kex}, not PSK, DHE_PSK or ECDHE_PSK.`);
      const { S } = firstHandshake(ctx);
      const cr = find(S, 'certificate_request');
      if (cr)
        return violation(`The server asks for a client certificate in a ${ctx.kex} handshake.`, {
          message: cr.m.index,
          expected: 'no certificate_request',
          actual: 'certificate_request',
        });
      return find(S, 'server_hello_done')
        ? pass(`No CertificateRequest in the ${ctx.kex} server flight.`)
        : inconclusive('The server flight is not complete in the transcript.');
    },
  }),
];
