/**
 * ML-KEM key exchange (crypto/kem): the PQ/T hybrid groups of
 * draft-ietf-tls-ecdhe-mlkem (X25519MLKEM768, SecP256r1MLKEM768,
 * SecP384r1MLKEM1024) and the pure ML-KEM groups of draft-ietf-tls-mlkem
 * (MLKEM512/768/1024): share lengths and layouts, the FIPS 203 §7.2
 * encapsulation key check, the ECDH half of a hybrid share, the server's
 * ciphertext as an encapsulation to the client's key, and the groups kept
 * out of TLS 1.2 (tlsfuzzer test-no-mlkem-in-old-tls.py).
 *
 * Sections of draft-ietf-tls-ecdhe-mlkem (-05, now RFC 10024): §3.1.1 client
 * share, §3.1.2 server share (with the receivers' checks and their alerts),
 * §3.1.3 shared secret. draft-ietf-tls-mlkem: §4.2 transmitting encapsulation
 * keys and ciphertexts.
 */
import {
  checkEncapsulationKey,
  isMontgomery,
  KEM_GROUPS,
  kemClientShareLength,
  kemCiphertextOf,
  kemEcdhPartOf,
  kemEncapsulationKeyOf,
  kemGroupOf,
  kemImplicitlyRejected,
  kemServerShareLength,
  recomputeKemEncapsulation,
  smallOrderPoints,
  validatePublicValue,
} from '../../crypto';
import { extensionBody } from '../../wire/extensions';
import { bytesEqual, toHex } from '../../wire/hex';
import { ExtensionType as X, namedGroups, nameOf } from '../../wire/registry';
import { FINISHED_DECRYPT_ERROR_13, because } from '../alert-choices';
import { bodyOf } from '../context';
import { hex4 } from '../flow';
import { ephemeral, keyInputMissing, provider, publicValues, stepsOf } from '../keyfacts';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({ versions: ['1.3'], role: 'both', strength: 'MUST', evidence: 'plaintext', group: 'crypto' });

const SERVER_CHECK =
  "For all groups, the server MUST perform the encapsulation key check described in Section 7.2 of [FIPS203] on the client's encapsulation key, and abort with an illegal_parameter alert if it fails.";
const CLIENT_CHECK =
  'For all groups, the client MUST check if the ciphertext length matches the selected group, and abort with an illegal_parameter alert if it fails.';
const ECDH_CHECK =
  'For all groups, both client and server MUST process the ECDH part as described in Section 4.2.8.2 of [RFC8446], including all validity checks, and abort with an illegal_parameter alert if it fails.';

const groupName = (code: number): string => nameOf(namedGroups, code);

export const mlkemRules = [
  rule({
    id: 'mlkem.share-length',
    title:
      'An ML-KEM key_share is as long as its group defines: the client sends the encapsulation key (with the ECDH share of a hybrid), the server the ciphertext (with its ECDH share).',
    rfc: ['draft-ietf-tls-ecdhe-mlkem §3.1.1', 'draft-ietf-tls-ecdhe-mlkem §3.1.2', 'draft-ietf-tls-mlkem §4.2'],
    alerts: [because('illegal_parameter', 'draft-ietf-tls-ecdhe-mlkem §3.1.2', `${SERVER_CHECK} ${CLIENT_CHECK}`)],
    overrides: {
      checklist:
        'Not in the RFC 8446 checklist: the ML-KEM groups are defined by draft-ietf-tls-ecdhe-mlkem §3.1.1/§3.1.2 ("The size of the client share is 1216 bytes", "The size of the server share is 1120 bytes", ...) and draft-ietf-tls-mlkem §4.2 (the FIPS 203 encapsulation key and ciphertext, "directly encoded with fixed lengths").',
    },
    check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx)) {
        const g = kemGroupOf(v.group);
        if (!g) continue;
        if (!v.where.endsWith('key_share')) continue;
        const client = v.where !== 'ServerHello key_share';
        const want = client ? kemClientShareLength(g) : kemServerShareLength(g);
        const who = client ? 'The client' : 'The server';
        out.push(
          v.value.length === want
            ? pass(`${v.where} for ${g} is ${want} bytes.`, { message: v.m.index })
            : violation(`${who} sent a ${g} ${v.where} of ${v.value.length} bytes; ${KEM_GROUPS[g].spec} defines ${want}.`, {
                message: v.m.index,
                expected: `${want}`,
                actual: `${v.value.length}`,
              }),
        );
      }
      return out.length ? out : notApplicable('No ML-KEM key share.');
    },
  }),
  rule({
    id: 'mlkem.encapsulation-key',
    title: "The client's ML-KEM encapsulation key passes the FIPS 203 §7.2 check (every coefficient below q = 3329).",
    rfc: ['draft-ietf-tls-ecdhe-mlkem §3.1.2', 'draft-ietf-tls-mlkem §4.2', 'FIPS 203 §7.2'],
    role: 'client',
    alerts: [because('illegal_parameter', 'draft-ietf-tls-ecdhe-mlkem §3.1.2', SERVER_CHECK)],
    overrides: {
      checklist:
        "Not in the RFC 8446 checklist: draft-ietf-tls-ecdhe-mlkem §3.1.2 and draft-ietf-tls-mlkem §4.2 make the server run the FIPS 203 §7.2 encapsulation key check (type and modulus) and abort with illegal_parameter; a key failing it is the client's fault.",
    },
    check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx)) {
        const g = kemGroupOf(v.group);
        if (!g || !v.where.endsWith('ClientHello key_share')) continue;
        const ek = kemEncapsulationKeyOf(g, v.value);
        if (!ek) {
          out.push(inconclusive(`${v.where} for ${g} has the wrong length (see mlkem.share-length).`, { message: v.m.index }));
          continue;
        }
        const r = checkEncapsulationKey(KEM_GROUPS[g].kem, ek);
        out.push(
          r.ok
            ? pass(`The ${KEM_GROUPS[g].kem} encapsulation key in ${v.where} passes the FIPS 203 §7.2 check.`, {
                message: v.m.index,
              })
            : violation(`The client's ${g} encapsulation key fails the FIPS 203 §7.2 modulus check: ${r.detail ?? r.reason}.`, {
                message: v.m.index,
                actual: r.detail ?? r.reason,
              }),
        );
      }
      return out.length ? out : notApplicable('No ML-KEM client key share.');
    },
  }),
  rule({
    id: 'mlkem.ecdh-part',
    title:
      'The ECDH half of a hybrid ML-KEM share is a valid public value of its curve (uncompressed point on the curve; X25519 not of small order).',
    rfc: ['draft-ietf-tls-ecdhe-mlkem §3.1.2', 'draft-ietf-tls-ecdhe-mlkem §3.1.3', 'RFC 8446 §4.2.8.2'],
    alerts: [because('illegal_parameter', 'draft-ietf-tls-ecdhe-mlkem §3.1.2', ECDH_CHECK)],
    overrides: {
      checklist:
        "Not in the RFC 8446 checklist: draft-ietf-tls-ecdhe-mlkem §3.1.2 applies RFC 8446 §4.2.8.2's validity checks to the ECDH half of a hybrid share, and §3.1.3 the all-zero X25519 check, both with illegal_parameter; ecdh.point-on-curve and ecdh.x25519-zero judge plain ECDH shares only.",
    },
    check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx)) {
        const g = kemGroupOf(v.group);
        const curve = g ? KEM_GROUPS[g].ecdh : undefined;
        if (!g || !curve || !v.where.endsWith('key_share')) continue;
        const part = kemEcdhPartOf(g, v.value, v.where === 'ServerHello key_share' ? 'server' : 'client');
        if (!part) {
          out.push(inconclusive(`${v.where} for ${g} has the wrong length (see mlkem.share-length).`, { message: v.m.index }));
          continue;
        }
        const who = v.where === 'ServerHello key_share' ? 'The server' : 'The client';
        const r = validatePublicValue(curve, part);
        if (!r.ok) {
          out.push(
            violation(`${who}'s ${g} share has an invalid ${curve} half: ${r.reason}${r.detail ? ` (${r.detail})` : ''}.`, {
              message: v.m.index,
              actual: toHex(part),
            }),
          );
          continue;
        }
        if (isMontgomery(curve) && smallOrderPoints(curve).some((p) => bytesEqual(p, part))) {
          out.push(
            violation(`${who}'s ${g} share has a small-order ${curve} half (all-zero shared secret).`, {
              message: v.m.index,
              actual: toHex(part),
            }),
          );
          continue;
        }
        out.push(pass(`The ${curve} half of ${v.where} (${g}) is a valid public value.`, { message: v.m.index }));
      }
      return out.length ? out : notApplicable('No hybrid ML-KEM key share.');
    },
  }),
  rule({
    id: 'mlkem.ciphertext-encapsulates',
    title:
      "The server's ML-KEM ciphertext is an encapsulation to the client's key: it decapsulates without implicit rejection, and the server's recorded m re-encapsulates to it.",
    rfc: ['draft-ietf-tls-ecdhe-mlkem §3.1.2', 'draft-ietf-tls-mlkem §4.2', 'FIPS 203 §6.3'],
    role: 'server',
    evidence: 'keys',
    alerts: [
      because(
        'bad_record_mac',
        'RFC 8446 §5.2',
        'If the decryption fails, the receiver MUST terminate the connection with a "bad_record_mac" alert.',
      ),
      FINISHED_DECRYPT_ERROR_13,
    ],
    overrides: {
      checklist:
        'Not in the RFC 8446 checklist: draft-ietf-tls-ecdhe-mlkem §3.1.2 has the server send "an ML-KEM ciphertext returned from encapsulation to the client\'s encapsulation key"; ML-KEM decapsulation never fails on a wrong ciphertext (FIPS 203 implicit rejection), so the client finds out at the server\'s first protected record (RFC 8446 §5.2: the keys differ) or at its Finished (§4.4.4).',
    },
    async check(ctx) {
      const e = ephemeral(ctx);
      if (!e.ok)
        return e.why.includes('not ephemeral') ? notApplicable(e.why) : keyInputMissing(ctx, e.why, `Not checked: ${e.why}.`);
      const g = kemGroupOf(e.value.group);
      if (!g) return notApplicable(`The key exchange group ${hex4(e.value.group)} is not an ML-KEM group.`);
      const sh = ctx.sh?.m.index;
      const at = sh === undefined ? {} : { message: sh };
      const ct = kemCiphertextOf(g, e.value.serverPublic);
      if (!ct) return inconclusive(`The ${g} server share has the wrong length (see mlkem.share-length).`, at);
      const out: Outcome[] = [];
      if (e.value.clientPrivate) {
        const rejected = kemImplicitlyRejected(g, e.value.clientPrivate, e.value.serverPublic);
        if (rejected === undefined) out.push(inconclusive("The client's recorded decapsulation key does not fit the group.", at));
        else
          out.push(
            rejected
              ? violation(
                  `The server's ${g} ciphertext is not an encapsulation to the client's key: decapsulation took FIPS 203's implicit rejection (K = J(z||c)).`,
                  at,
                )
              : pass(`The server's ${g} ciphertext decapsulates under the client's key (no implicit rejection).`, at),
          );
      }
      if (e.value.serverPrivate) {
        const r = await recomputeKemEncapsulation(provider(ctx), g, e.value.clientPublic, e.value.serverPrivate);
        if (!r.ok) out.push(inconclusive(`The server's encapsulation not recomputed: ${r.reason}.`, at));
        else
          out.push(
            bytesEqual(r.value.ciphertext, ct)
              ? pass(`The server's recorded m encapsulates to the ${g} ciphertext it sent.`, at)
              : violation(`The ${g} ciphertext the server sent is not the encapsulation of its recorded m to the client's key.`, {
                  ...at,
                  expected: toHex(r.value.ciphertext).slice(0, 64),
                  actual: toHex(ct).slice(0, 64),
                }),
          );
      }
      return out.length ? out : inconclusive('Not checked: no ML-KEM private key was given (a generated run records them).', at);
    },
  }),
  rule({
    id: 't12.neg.no-mlkem-group',
    title: 'A TLS 1.2 server does not select an ML-KEM group (pure or hybrid) for its ECDHE ServerKeyExchange.',
    rfc: ['draft-ietf-tls-ecdhe-mlkem §1.1', 'draft-ietf-tls-mlkem §1', 'RFC 8422 §5.4'],
    versions: ['1.2'],
    role: 'server',
    group: 'negotiation',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 5246 §7.2.2',
        'illegal_parameter: A field in the handshake was out of range or inconsistent with other fields.',
      ),
      because(
        'handshake_failure',
        'RFC 5246 §7.2.2',
        'handshake_failure: Reception of a handshake_failure alert message indicates that the sender was unable to negotiate an acceptable set of security parameters given the options available.',
      ),
    ],
    overrides: {
      checklist:
        'Not in the RFC 5246 checklist: draft-ietf-tls-ecdhe-mlkem §1.1 introduces its groups "for hybrid post-quantum key agreements in TLS 1.3" (§4: "one cannot assume a similar hybridisation is secure in other protocols"), draft-ietf-tls-mlkem §1 defines ML-KEM "for TLS 1.3 via the existing supported_groups and key_share extensions"; an RFC 8422 §5.4 ServerECDHParams names an elliptic curve and carries a DH public value, which no KEM has (tlsfuzzer test-no-mlkem-in-old-tls.py).',
    },
    needs: ['hellos'],
    check(ctx) {
      const m = stepsOf(ctx, 'server_key_exchange', 'S->C')[0];
      const ske = bodyOf(m);
      const offered = extensionBody(ctx.ch.b.extensions, X.supported_groups, 'supported_groups')?.groups ?? [];
      const kemOffered = offered.filter((c) => kemGroupOf(c) !== undefined);
      if (!m || ske?.type !== 'server_key_exchange' || ske.kex !== 'ecdhe')
        return kemOffered.length
          ? pass(`The client offered ${kemOffered.map(groupName).join(', ')}; the server selected no ECDHE group.`, {
              message: ctx.sh.m.index,
            })
          : notApplicable('No ECDHE ServerKeyExchange and no ML-KEM group offered.');
      const g = kemGroupOf(ske.namedCurve);
      if (g)
        return violation(
          `The TLS 1.2 server selected ${g} (${hex4(ske.namedCurve)}), an ML-KEM group defined for TLS 1.3 only.`,
          {
            message: m.index,
            actual: hex4(ske.namedCurve),
          },
        );
      return kemOffered.length
        ? pass(`The client offered ${kemOffered.map(groupName).join(', ')}; the server selected ${groupName(ske.namedCurve)}.`, {
            message: m.index,
          })
        : notApplicable('The client offered no ML-KEM group.');
    },
  }),
];
