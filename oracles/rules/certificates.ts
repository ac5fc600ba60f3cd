/**
 * Certificate path rules: each presented chain validated once
 * (chains.ts) against the caller's trust anchors at the validation time,
 * for its role, the SNI host name and the negotiated signature scheme.
 * Without trust anchors the trust-anchor rule is inconclusive and the
 * signature of the top certificate cannot be checked; the structural
 * checks still run.
 */
import { chainReceiverVerdict, chains, parsedChain, sniOf, validated } from '../chains';
import { sigAlgOfAlgorithmIdentifier } from '../../crypto/signature';
import { who } from '../flow';
import { because } from '../alert-choices';
import {
  type Outcome,
  type RuleId,
  type RuleInput,
  type Tolerance,
  declarer,
  inconclusive,
  notApplicable,
  pass,
  violation,
} from '../rule';
import { receiverOf } from '../../wire/vocabulary';

/**
 * A server given a client chain it finds unacceptable may go on without client authentication, in both versions
 * (RFC 5246 §7.4.6 ends the sentence "or send a fatal alert", RFC 8446 §4.4.2.4 "or abort the handshake"). Whether
 * it really considered the client unauthenticated is not on the wire; the live fuzzer asks the target once without
 * a client certificate (fuzz/probe.ts) and holds a server that refuses that to the chain rules.
 */

const rule = declarer({
  versions: ['1.2', '1.3'],
  role: 'both',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'certificates',
});

/**
 * A rule decided by the problems validateChain reports under its id.
 * `policy`: the problem is a receiver's acceptance of a certificate its
 * policy may not check (validity); judged only when trust anchors are given.
 */
function pkiRule<const Id extends string>(
  d: Omit<RuleInput<Id, []>, 'check'> & { needsAnchor?: boolean; policy?: boolean; what: string; sender?: true },
) {
  const { sender, ...decl } = d;
  return rule({
    ...decl,
    ...(sender ? {} : { judgesReceiver: true as const }),
    async check(ctx): Promise<Outcome[]> {
      const out: Outcome[] = [];
      for (const c of await chains(ctx)) {
        if (!c.ok) {
          if (c.why.startsWith('no ')) out.push(notApplicable(`No ${who(c.dir)} certificate chain.`));
          else out.push(inconclusive(`The ${who(c.dir)} chain was not checked: ${c.why}.`));
          continue;
        }
        if (!c.value.certs.length) {
          out.push(
            notApplicable(`The ${who(c.dir)} Certificate is empty (see cert.chain.server-nonempty).`, { message: c.value.m }),
          );
          continue;
        }
        let probs = c.value.v.problems.filter((p) => p.rule === d.id);
        const noAnchors = !ctx.options.trustAnchors?.length;
        if (d.id === 'cert.path.signature') {
          // A signature made with an algorithm the crypto layer has none for (e.g. MD2; tlsprop rules --gaps) is not
          // checked, not a bad signature.
          const unverified = probs.flatMap((p) => {
            const der = c.value.certs[p.index];
            const parsed = der && parsedChain(ctx, [der])?.[0];
            const alg = parsed && sigAlgOfAlgorithmIdentifier(parsed.sigAlgOidHex, parsed.sigAlgParamsDer);
            return alg && 'unsupported' in alg ? [{ p, why: alg.unsupported }] : [];
          });
          for (const { p, why } of unverified)
            out.push(
              inconclusive(
                `${who(c.dir)} chain: certificate ${p.index}'s signature cannot be verified here: ${why} (tlsprop rules --gaps).`,
                { message: c.value.m },
              ),
            );
          probs = probs.filter((p) => !unverified.some((u) => u.p === p));
          if (unverified.length && !probs.length) continue;
        }
        if (d.id === 'cert.path.trust-anchor' && noAnchors) {
          out.push(
            inconclusive(`The ${who(c.dir)} chain's trust was not checked: no trust anchors given.`, { message: c.value.m }),
          );
          continue;
        }
        const when =
          d.id === 'cert.path.validity' && !ctx.options.at && ctx.t.capturedAt === undefined
            ? ' (no capture time given: checked at the current time)'
            : '';
        if (probs.length && d.policy && noAnchors) {
          // Whether the peer was meant to validate at all (it may verify nothing, like verify_none) is unknown.
          for (const p of probs)
            out.push(
              inconclusive(
                `${who(c.dir)} chain: ${p.message}${when}; without trust anchors (--trust) the receiver's validation policy is unknown, so accepting it is not judged.`,
                { message: c.value.m },
              ),
            );
        } else if (probs.length && sender) {
          for (const p of probs) out.push(violation(`${who(c.dir)} chain: ${p.message}${when}`, { message: c.value.m }));
        } else if (probs.length) {
          // RFC 8446 §4.4.2.4: "Any endpoint receiving any certificate which it would need to validate using any signature
          // algorithm using an MD5 hash MUST abort [...]. SHA-1 is deprecated, and it is RECOMMENDED that any endpoint
          // receiving any certificate which it would need to validate using any signature algorithm using a SHA-1 hash
          // abort the handshake": only MD5 binds the receiver; going on after SHA-1 is judged as allowed.
          const must = d.id === 'cert.weak-hash' ? probs.filter((p) => !/\(SHA-1\)/.test(p.message)) : probs;
          const why = `${probs.map((p) => p.message).join(' ')}${when}`;
          const v = chainReceiverVerdict(ctx, d.id as RuleId, c.value, why);
          if (!must.length && v.status === 'violation') {
            const o = pass(
              `The ${receiverOf(c.dir)} went on after a certificate signed with SHA-1, which RFC 8446 §4.4.2.4 only RECOMMENDS refusing: ${why}`,
              { message: c.value.m },
            );
            if (v.notice) o.notice = v.notice;
            out.push(o);
          } else out.push(v);
        } else if (d.needsAnchor && noAnchors && !c.value.v.anchor)
          out.push(
            pass(
              `The ${who(c.dir)} chain: ${d.what} holds for the ${c.value.certs.length} presented certificate(s); the top one's issuer is not known (no trust anchors given).`,
              { message: c.value.m },
            ),
          );
        else
          out.push(
            pass(`The ${who(c.dir)} chain: ${d.what}${d.id === 'cert.path.validity' ? ` (checked ${c.value.atNote})` : ''}.`, {
              message: c.value.m,
            }),
          );
      }
      return out;
    },
  });
}

/**
 * A server given a client chain it finds unacceptable may go on with the
 * client unauthenticated, in both versions: the tolerance of the
 * receiver-judged certificate rules (read through oracles/reactions.ts).
 */
export const CLIENT_CHAIN_TOLERANCE: Tolerance = {
  rfc: 'RFC 5246 §7.4.6; RFC 8446 §4.4.2.4',
  text: 'Also, if some aspect of the certificate chain was unacceptable (e.g., it was not signed by a known, trusted CA), the server MAY at its discretion either continue the handshake (considering the client unauthenticated) or send a fatal alert [RFC 5246 §7.4.6; RFC 8446 §4.4.2.4 ends "or abort the handshake"].',
  receiver: 'server',
  voidWhenClientAuthRequired: true,
};

export const certificatePathRules = [
  pkiRule({
    id: 'cert.path.signature',
    title: "Each certificate's signature verifies with its issuer's key.",
    rfc: 'RFC 5280 §6.1.3',
    alerts: ['bad_certificate', 'decrypt_error', 'certificate_unknown'],
    what: 'every signature verifies with its issuer key',
    ignorable: CLIENT_CHAIN_TOLERANCE,
    overrides: {
      alerts:
        'a certificate signature that does not verify is also "a handshake (not record layer) cryptographic operation failed, including being unable to correctly verify a signature" (RFC 8446 §6.2 decrypt_error); bad_certificate ("contained signatures that did not verify correctly") stays first; "certificate_unknown: Some other (unspecified) issue arose in processing the certificate, rendering it unacceptable." (RFC 5246 §7.2.2, RFC 8446 §6.2) permits it for any certificate a receiver refuses',
    },
    needsAnchor: true,
  }),
  pkiRule({
    id: 'cert.path.issuer-subject',
    title: 'Issuer names chain to the subject names of the signing certificates.',
    rfc: 'RFC 5280 §6.1.3',
    alerts: ['bad_certificate', 'unknown_ca'],
    what: 'issuer names match the signing subjects',
    ignorable: CLIENT_CHAIN_TOLERANCE,
    needsAnchor: true,
  }),
  pkiRule({
    id: 'cert.path.validity',
    title: 'Every path certificate is inside its validity period at validation time.',
    rfc: 'RFC 5280 §6.1.3',
    alerts: ['certificate_expired', 'certificate_unknown'],
    policy: true,
    what: 'every certificate is within its validity',
    overrides: {
      alerts:
        'certificate_expired ("A certificate has expired or is not currently valid", RFC 5246 §7.2.2) stays first; "certificate_unknown: Some other (unspecified) issue arose in processing the certificate, rendering it unacceptable." (RFC 5246 §7.2.2, RFC 8446 §6.2) permits it for any certificate a receiver refuses',
    },
    ignorable: CLIENT_CHAIN_TOLERANCE,
  }),
  pkiRule({
    id: 'cert.path.ca-flag',
    title: 'Intermediates carry basicConstraints cA=TRUE.',
    rfc: 'RFC 5280 §4.2.1.9, §6.1.4',
    alerts: ['bad_certificate', 'unknown_ca'],
    what: 'every intermediate is a CA',
    ignorable: CLIENT_CHAIN_TOLERANCE,
  }),
  pkiRule({
    id: 'cert.path.path-length',
    title: 'No CA has more intermediates under it than its pathLenConstraint.',
    rfc: 'RFC 5280 §4.2.1.9, §6.1.4',
    alerts: ['bad_certificate'],
    what: 'pathLenConstraints hold',
    ignorable: CLIENT_CHAIN_TOLERANCE,
    overrides: {
      rfc: 'pathLenConstraint is defined in RFC 5280 §4.2.1.9 ("gives the maximum number of non-self-issued intermediate certificates that may follow this certificate in a valid certification path"); §6.1.4 (l), (m) applies it',
    },
  }),
  pkiRule({
    id: 'cert.path.keycertsign',
    title: 'Issuing certificates with keyUsage have keyCertSign; non-CAs never assert it.',
    rfc: ['RFC 5280 §4.2.1.3', 'RFC 5280 §4.2.1.9', 'RFC 5280 §6.1.4'],
    alerts: ['bad_certificate'],
    what: 'keyCertSign is used correctly',
    ignorable: CLIENT_CHAIN_TOLERANCE,
    overrides: {
      rfc: 'the keyCertSign bit is defined in RFC 5280 §4.2.1.3 ("The keyCertSign bit is asserted when the subject public key is used for verifying signatures on public key certificates")',
    },
  }),
  pkiRule({
    id: 'cert.path.critical-extensions',
    title: 'No certificate has a critical extension the validator does not process.',
    rfc: ['RFC 5280 §4.2', 'RFC 5280 §6.1.4', 'RFC 5280 §6.1.5'],
    alerts: ['unsupported_certificate', 'bad_certificate'],
    what: 'no unprocessed critical extension',
    ignorable: CLIENT_CHAIN_TOLERANCE,
  }),
  pkiRule({
    id: 'cert.path.trust-anchor',
    title: 'The path ends at a configured trust anchor.',
    rfc: ['RFC 5246 §7.2.2', 'RFC 5280 §6.1.1', 'RFC 5280 §6.2'],
    alerts: ['unknown_ca', 'certificate_unknown'],
    what: 'the path ends at a trust anchor',
    overrides: {
      alerts:
        'unknown_ca ("the CA certificate could not be located or couldn\'t be matched with a known, trusted CA", RFC 5246 §7.2.2) stays first; "certificate_unknown: Some other (unspecified) issue arose in processing the certificate, rendering it unacceptable." (RFC 5246 §7.2.2, RFC 8446 §6.2) permits it for any certificate a receiver refuses',
    },
    ignorable: CLIENT_CHAIN_TOLERANCE,
  }),
  pkiRule({
    id: 'cert.sig-alg-fields-match',
    title: 'The outer signatureAlgorithm equals the signature field inside tbsCertificate.',
    rfc: 'RFC 5280 §4.1.1.2',
    alerts: ['bad_certificate'],
    what: 'signature algorithm fields agree',
    ignorable: CLIENT_CHAIN_TOLERANCE,
  }),
  pkiRule({
    id: 'cert.weak-hash',
    title: 'No certificate needing validation is signed with MD5 (or SHA-1, which should be refused too).',
    rfc: ['RFC 8446 §4.2.3', 'RFC 8446 §4.4.2.4'],
    alerts: [
      because(
        'bad_certificate',
        'RFC 8446 §4.4.2.4',
        'Any endpoint receiving any certificate which it would need to validate using any signature algorithm using an MD5 hash MUST abort the handshake with a "bad_certificate" alert. SHA-1 is deprecated, and it is RECOMMENDED that any endpoint receiving any certificate which it would need to validate using any signature algorithm using a SHA-1 hash abort the handshake with a "bad_certificate" alert.',
      ),
    ],
    what: 'no weak-hash signatures',
  }),
  pkiRule({
    id: 'cert.leaf.key-usage',
    title: 'A leaf keyUsage extension allows the way TLS uses the key.',
    rfc: ['RFC 5246 §7.4.2', 'RFC 5246 §7.4.6', 'RFC 5280 §4.2.1.3', 'RFC 8446 §4.4.2.2'],
    alerts: ['unsupported_certificate'],
    what: 'the leaf keyUsage fits its TLS use',
    // RFC 5246 §7.4.2 / §7.4.6 and RFC 8446 §4.4.2.2 bind the sender: it picks a certificate fit for the negotiated use.
    sender: true,
    ignorable: CLIENT_CHAIN_TOLERANCE,
  }),
  pkiRule({
    id: 'cert.leaf.key-type',
    title: 'The leaf key type (and curve in TLS 1.3) fits the negotiated signature scheme.',
    rfc: ['RFC 5246 §7.4.2', 'RFC 8422 §5.3', 'RFC 8446 §4.2.3', 'RFC 8446 §4.4.2.2'],
    alerts: [
      because(
        'unsupported_certificate',
        'RFC 8446 §4.4.2.2',
        'If the client cannot construct an acceptable chain using the provided certificates and decides to abort the handshake, then it MUST abort the handshake with an appropriate certificate-related alert (by default, "unsupported_certificate"; see Section 6.2 for more information).',
      ),
      'illegal_parameter',
    ],
    what: 'the leaf key fits the negotiated scheme',
    sender: true,
  }),
  pkiRule({
    id: 'cert.leaf.eku',
    title: 'A leaf extendedKeyUsage names serverAuth for servers and clientAuth for clients.',
    rfc: 'RFC 5280 §4.2.1.12',
    strength: 'SHOULD',
    alerts: ['unsupported_certificate'],
    what: 'the leaf extendedKeyUsage fits its role',
    ignorable: CLIENT_CHAIN_TOLERANCE,
  }),
  rule({
    id: 'cert.leaf.name',
    title: 'The server leaf names the host from server_name in its subjectAltName.',
    rfc: ['RFC 6125 §6'],
    role: 'client',
    alerts: ['bad_certificate', 'certificate_unknown'],
    judgesReceiver: true,
    async check(ctx): Promise<Outcome> {
      const c = await validated(ctx, 'S->C');
      if (!c.ok)
        return c.why.startsWith('no ') ? notApplicable('No server certificate chain.') : inconclusive(`Not checked: ${c.why}.`);
      const sni = sniOf(ctx);
      if (sni === undefined)
        return inconclusive('The client sent no server_name, so the expected host is unknown.', { message: c.value.m });
      const p = c.value.v.problems.find((x) => x.rule === 'cert.leaf.name');
      if (p && !ctx.options.trustAnchors?.length) {
        return inconclusive(
          `${p.message} Without trust anchors (--trust) the client's validation policy is unknown (it may check no name), so accepting it is not judged.`,
          { message: c.value.m, expected: sni },
        );
      }
      return p
        ? chainReceiverVerdict(ctx, 'cert.leaf.name', c.value, p.message)
        : pass(`The server certificate names "${sni}".`, { message: c.value.m });
    },
  }),
];
