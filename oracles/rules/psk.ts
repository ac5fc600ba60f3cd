/**
 * The TLS 1.2 pre-shared key key exchanges (RFC 4279: PSK, DHE_PSK, RSA_PSK; RFC 5489: ECDHE_PSK): what their
 * messages carry. Their premaster (rule t12.ks.pms-psk) needs the PSK, which no key log carries; these rules need
 * only the plaintext handshake. What a server does with a PSK identity it does not know (TLS 1.2, RFC 4279 §2; TLS 1.3,
 * RFC 8446 §4.2.11 and §4.1.1) is a receiver duty live conversations decide (`tlsprop fuzz --psk`): no transcript
 * shows whether the server knew the identity.
 */
import type { TranscriptMessage } from '../../transcript/model';
import { NO_OVERLAP_ALERTS_13, because, definition } from '../alert-choices';
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
  rule({
    id: 't12.psk.hint-ignored',
    title:
      'A TLS 1.2 PSK client goes on whatever psk_identity_hint the server names (absent an application profile it ignores the hint).',
    rfc: 'RFC 4279 §5.2',
    role: 'client',
    evidence: 'live',
    group: 'negotiation',
    // RFC 4279 §5.2: "In the absence of an application profile specification specifying otherwise, servers SHOULD NOT
    // provide an identity hint and clients MUST ignore the identity hint field." A hint the client does not know is no
    // reason to abort; the handshake goes on with the client's own identity.
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: {
      checklist:
        'the reference checklist has no PSK key exchange rules; RFC 4279 §5.2: "In the absence of an application profile specification specifying otherwise, servers SHOULD NOT provide an identity hint and clients MUST ignore the identity hint field": a receiver duty decided live by the PSK mutations of tlsprop fuzz --listen --psk',
    },
  }),
  rule({
    id: 't12.psk.unknown-identity',
    title:
      'A TLS 1.2 PSK server that does not know the psk_identity aborts: unknown_psk_identity, or as if the key were wrong (decrypt_error; bad_record_mac when our Finished record fails first) to hide that it does not know it.',
    rfc: 'RFC 4279 §2',
    role: 'server',
    strength: 'MAY',
    evidence: 'live',
    group: 'negotiation',
    alerts: [
      because(
        'unknown_psk_identity',
        'RFC 4279 §2',
        'If the server does not recognize the PSK identity, it MAY respond with an "unknown_psk_identity" alert message.',
      ),
      because(
        'decrypt_error',
        'RFC 4279 §2',
        'Alternatively, if the server wishes to hide the fact that the PSK identity was not known, it MAY continue the protocol as if the PSK identity existed but the key was incorrect: that is, respond with a "decrypt_error" alert.',
      ),
      // going on "as if the key was incorrect" over a TLS 1.2 record layer: our Finished record, protected with keys the
      // server does not share, fails to deprotect before any verify_data is compared
      definition('bad_record_mac', ['1.2']),
    ],
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    overrides: {
      checklist:
        'the reference checklist has no PSK key exchange rules; RFC 4279 §2 names the two answers to an unknown psk_identity (a server that knows no key for it cannot complete the handshake), decided live by the PSK mutations of tlsprop fuzz --psk',
    },
  }),
  rule({
    id: 't13.psk.unknown-identity',
    title:
      'A TLS 1.3 server does not select an offered external PSK whose identity it does not know: it goes on with a full handshake, or aborts with handshake_failure (or insufficient_security) when nothing else is left to negotiate.',
    rfc: ['RFC 8446 §4.2.11', 'RFC 8446 §4.1.1'],
    versions: ['1.3'],
    role: 'server',
    evidence: 'live',
    group: 'negotiation',
    alerts: [
      ...NO_OVERLAP_ALERTS_13,
      // a server that takes the identity as one it knows (one key for every identity) meets a binder made with another
      // key: "If this value is not present or does not validate, the server MUST abort the handshake" (RFC 8446 §4.2.11)
      definition('decrypt_error', ['1.3']),
    ],
    ignorable: {
      rfc: 'RFC 8446 §4.1.1',
      text: 'If the server does not select a PSK, then the first three of these options are entirely orthogonal: the server independently selects a cipher suite, an (EC)DHE group and key share for key establishment, and a signature algorithm/certificate pair to authenticate itself to the client.',
      receiver: 'server',
    },
    live: { scope: { kind: 'declared' }, expects: 'either', judges: 'outcome' },
    overrides: {
      checklist:
        'the reference checklist has no external PSK rules; RFC 8446 §4.2.11: "The server MUST ensure that it selects a compatible PSK (if any) and cipher suite": a PSK whose identity the server does not know is none it can select, so it negotiates without one (§4.1.1) or finds nothing to negotiate; decided live by the PSK mutations of tlsprop fuzz --psk',
    },
  }),
];
