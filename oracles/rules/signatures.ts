/**
 * TLS 1.2 handshake signatures (ServerKeyExchange, CertificateVerify) and
 * the signature rules of both versions, verified over the raw message
 * bytes with the sender's leaf key (keyfacts.ts).
 */
import { parseSpki, schemeInfo } from '../../crypto';
import { OID as PKI_OID } from '../../pki/parse';
import type { Direction } from '../../wire/vocabulary';
import { nameOf, signatureSchemes } from '../../wire/registry';
import { type Context, bodyOf, handshakeHidden, kexAnonymous, notOpened } from '../context';
import { hex4, who } from '../flow';
import { type Got, type SigCheck, cvSignature, leafOf, skeSignature, stepsOf } from '../keyfacts';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({ versions: ['1.2', '1.3'], role: 'both', strength: 'MUST', evidence: 'plaintext', group: 'crypto' });

// ---- signatures -------------------------------------------------------------

type SigView = 'valid' | 'input' | 'encoding' | 'pkcs1';

function sigOutcome(name: string, g: Got<SigCheck>, view: SigView): Outcome {
  if (!g.ok && g.why === 'the ServerKeyExchange carries no signature')
    return notApplicable(
      `${name} carries no signature (see t12.ske.anon-unsigned for anonymous suites; an unsigned non-anonymous one fails decoding).`,
    );
  if (!g.ok)
    return g.why.startsWith('no ') ? notApplicable(`Not checked: ${g.why}.`) : inconclusive(`${name} not checked: ${g.why}.`);
  const c = g.value;
  const at = { message: c.m.index };
  const r = c.result;
  const scheme = nameOf(signatureSchemes, c.scheme);
  const signer = `certificate "${c.leaf.subject}"`;
  if (view === 'pkcs1' && schemeInfo(c.scheme)?.kind !== 'rsa_pkcs1')
    return notApplicable(`${name} uses scheme ${scheme}, not RSA PKCS#1 v1.5.`, at);
  if (view === 'encoding') {
    if (r.ok) return pass(`${name} signature (${scheme}) is well formed and verifies.`, at);
    if (r.reason === 'bad_encoding')
      return violation(`${name} signature is not encoded as the scheme requires: ${r.detail ?? r.reason}.`, at);
    const info = schemeInfo(c.scheme);
    if (info && (info.kind === 'rsa_pkcs1' || info.kind === 'rsa_pss_rsae')) {
      try {
        const n = modulusBytes(c.leaf.spkiDer);
        if (n && c.signature.length !== n)
          return violation(`${name} RSA signature is ${c.signature.length} bytes, the modulus ${n}.`, {
            ...at,
            expected: `${n}`,
            actual: `${c.signature.length}`,
          });
      } catch {
        // fall through
      }
    }
    return inconclusive(
      `${name} signature does not verify (${r.reason}); its encoding cannot be told apart from a wrong value.`,
      at,
    );
  }
  if (r.ok) {
    if (view === 'pkcs1') return pass(`${name} PKCS#1 v1.5 signature verifies under strict verification.`, at);
    return pass(`${name} signature (${scheme}) over ${c.covers} verifies with the key of ${signer}.`, at);
  }
  if (r.reason === 'unsupported_scheme' || r.reason === 'bad_key')
    return inconclusive(`${name} signature not checked: ${r.reason}${r.detail ? ` (${r.detail})` : ''}.`, at);
  if (view === 'input') return violation(`${name} signature does not verify over the content the RFC defines (${r.reason}).`, at);
  if (view === 'pkcs1') return violation(`${name} PKCS#1 v1.5 signature fails strict verification (${r.reason}).`, at);
  return violation(
    `${name} signature (${scheme}) over ${c.covers} does not verify with the key of ${signer} (${r.reason}${r.detail ? `: ${r.detail}` : ''}).`,
    at,
  );
}

function modulusBytes(spki: Uint8Array): number | undefined {
  const info = parseSpki(spki);
  if (info.algorithm !== '2a864886f70d010101') return undefined;
  // RSAPublicKey SEQUENCE { INTEGER n, INTEGER e }
  const k = info.publicKey;
  let at = 1;
  const len = (): number => {
    const b = k[at++]!;
    if (b < 0x80) return b;
    let n = 0;
    for (let i = 0; i < (b & 0x7f); i++) n = (n << 8) | k[at++]!;
    return n;
  };
  len();
  at++;
  let n = len();
  if (k[at] === 0) n--;
  return n;
}

async function cv12(ctx: Context, view: SigView): Promise<Outcome> {
  const g = await cvSignature(ctx, 'C->S');
  return sigOutcome('The client CertificateVerify', g, view);
}

async function ske12(ctx: Context, view: SigView): Promise<Outcome> {
  return sigOutcome('The ServerKeyExchange', await skeSignature(ctx), view);
}

async function allSigs12(ctx: Context, view: SigView): Promise<Outcome[]> {
  return [
    sigOutcome('The ServerKeyExchange', await skeSignature(ctx), view),
    sigOutcome('The client CertificateVerify', await cvSignature(ctx, 'C->S'), view),
  ];
}

export const signatureRules = [
  rule({
    id: 't12.ske.signature-input',
    title:
      'The ServerKeyExchange signature is computed over both hello randoms followed by the key-exchange parameters exactly as sent.',
    rfc: 'RFC 5246 §7.4.3; RFC 8422 §5.4',
    versions: ['1.2'],
    role: 'server',
    alerts: ['decrypt_error'],
    evidence: 'plaintext',
    check: async (ctx) => sigOutcome('The ServerKeyExchange', await skeSignature(ctx), 'input'),
  }),
  rule({
    id: 't12.ske.signature-valid',
    title: "The ServerKeyExchange signature verifies with the server certificate's key under the scheme it names.",
    rfc: ['RFC 5246 §7.2.2', 'RFC 5246 §7.4.3'],
    versions: ['1.2'],
    role: 'client',
    alerts: ['decrypt_error'],
    evidence: 'plaintext',
    check: async (ctx) => sigOutcome('The ServerKeyExchange', await skeSignature(ctx), 'valid'),
  }),
  rule({
    id: 't12.ske.signature-encoding',
    title:
      'The ServerKeyExchange signature has the encoding of its scheme (RSA: modulus-sized PKCS#1 block; ECDSA: DER Ecdsa-Sig-Value; EdDSA: raw).',
    rfc: ['RFC 5246 §4.7', 'RFC 8422 §5.10', 'RFC 8422 §5.4'],
    versions: ['1.2'],
    alerts: ['decrypt_error'],
    evidence: 'plaintext',
    check: (ctx) => ske12(ctx, 'encoding'),
  }),
  // split from t12.ske.signature-encoding, which judged both signatures: a truncated client CertificateVerify was
  // reported under a ServerKeyExchange rule
  rule({
    id: 't12.cv.signature-encoding',
    title:
      'The TLS 1.2 client CertificateVerify signature has the encoding of its scheme (RSA: modulus-sized PKCS#1 block; ECDSA: DER Ecdsa-Sig-Value; EdDSA: raw).',
    rfc: ['RFC 5246 §4.7', 'RFC 5246 §7.4.8', 'RFC 8422 §5.10'],
    versions: ['1.2'],
    role: 'client',
    alerts: ['decrypt_error'],
    evidence: 'plaintext',
    overrides: {
      checklist:
        'the checklist judges both TLS 1.2 handshake signatures under t12.ske.signature-encoding; RFC 5246 §4.7 (digitally-signed encoding) binds each signer, so the client CertificateVerify (RFC 5246 §7.4.8) has its own rule and a CertificateVerify fault names it',
    },
    check: (ctx) => cv12(ctx, 'encoding'),
  }),
  rule({
    id: 't12.ske.anon-unsigned',
    title: 'An anonymous (DH_anon / ECDH_anon) ServerKeyExchange has no signature after its parameters.',
    rfc: ['RFC 5246 §7.4.3', 'RFC 8422 §2.3'],
    versions: ['1.2'],
    role: 'server',
    alerts: ['decode_error'],
    evidence: 'plaintext',
    check(ctx) {
      if (!ctx.kex || !kexAnonymous(ctx.kex))
        return notApplicable(`The key exchange ${ctx.kex ?? '(unknown)'} is not anonymous.`);
      const m = stepsOf(ctx, 'server_key_exchange', 'S->C')[0];
      if (!m) return notApplicable('No ServerKeyExchange.');
      const b = bodyOf(m);
      if (b?.type !== 'server_key_exchange') return inconclusive('The ServerKeyExchange is not decoded.', { message: m.index });
      const extra = (m.decoded?.trailing?.length ?? 0) + (b.kex !== 'unparsed' && b.signed ? 1 : 0);
      return extra
        ? violation('The anonymous ServerKeyExchange carries bytes after its parameters (a signature).', {
            message: m.index,
            expected: 'no signature',
            actual: `${m.decoded?.trailing?.length ?? 0} trailing byte(s)`,
          })
        : pass('The anonymous ServerKeyExchange ends after its parameters.', { message: m.index });
    },
  }),
  rule({
    id: 't12.cv.signature-input',
    title: 'The TLS 1.2 client CertificateVerify signs all earlier handshake messages, headers included, as sent.',
    rfc: ['RFC 5246 §7.4.1.1', 'RFC 5246 §7.4.8', 'RFC 8422 §5.8'],
    versions: ['1.2'],
    role: 'client',
    alerts: ['decrypt_error'],
    evidence: 'plaintext',
    check: (ctx) => cv12(ctx, 'input'),
  }),
  rule({
    id: 't12.cv.signature-valid',
    title: "The TLS 1.2 client CertificateVerify verifies with the client certificate's key.",
    rfc: ['RFC 5246 §7.2.2', 'RFC 5246 §7.4.8'],
    versions: ['1.2'],
    role: 'server',
    alerts: ['decrypt_error'],
    evidence: 'plaintext',
    check: (ctx) => cv12(ctx, 'valid'),
  }),
  rule({
    id: 'sig.rsa-pkcs1-strict',
    title: 'PKCS#1 v1.5 handshake signatures pass strict verification: exact DigestInfo, exact padding, nothing extra.',
    rfc: ['RFC 5246 §4.7', 'RFC 8017 §8.2.2', 'RFC 8446 §4.2.3'],
    versions: ['1.2', '1.3'],
    alerts: ['decrypt_error'],
    evidence: 'plaintext',
    overrides: {
      rfc: 'strict verification is RFC 8017 §8.2.2 step 4: compare the encoded message with the one computed from the hash, byte for byte (no lenient DigestInfo parsing)',
      alerts:
        'the check judges handshake signatures (ServerKeyExchange, CertificateVerify), which fail with decrypt_error (RFC 5246 §7.2.2: "unable to correctly verify a signature"); the checklist\'s bad_certificate is for certificate signatures, judged by cert.path.signature',
    },
    async check(ctx) {
      if (ctx.version === '1.2') return allSigs12(ctx, 'pkcs1');
      return [
        sigOutcome('The server CertificateVerify', await cvSignature(ctx, 'S->C'), 'pkcs1'),
        sigOutcome('The client CertificateVerify', await cvSignature(ctx, 'C->S'), 'pkcs1'),
      ];
    },
  }),
  rule({
    id: 'sig.eddsa-usage',
    title: 'Ed25519/Ed448 leaf keys sign only with the ed25519/ed448 schemes, and those schemes only with EdDSA keys.',
    rfc: ['RFC 8422 §5.10', 'RFC 8422 §5.9', 'RFC 8446 §4.2.3'],
    versions: ['1.2', '1.3'],
    alerts: ['illegal_parameter'],
    evidence: 'plaintext',
    check(ctx) {
      const out: Outcome[] = [];
      const ed = new Set<string>([PKI_OID.ed25519, PKI_OID.ed448]);
      const edSchemes = new Set([0x0807, 0x0808]);
      const looks: Array<[string, Direction]> = [
        ['server_key_exchange', 'S->C'],
        ['certificate_verify', 'S->C'],
        ['certificate_verify', 'C->S'],
      ];
      for (const [type, dir] of looks) {
        const m = stepsOf(ctx, type, dir)[0];
        const b = bodyOf(m);
        const scheme =
          b?.type === 'certificate_verify'
            ? b.scheme
            : b?.type === 'server_key_exchange' && b.kex !== 'unparsed'
              ? b.signed?.scheme
              : undefined;
        if (!m || scheme === undefined) continue;
        const leaf = leafOf(ctx, dir);
        if (!leaf.ok) {
          out.push(inconclusive(`Not checked: ${leaf.why}.`, { message: m.index }));
          continue;
        }
        const edKey = ed.has(leaf.value.leaf.keyAlgOid);
        const edScheme = edSchemes.has(scheme);
        if (!edKey && !edScheme)
          out.push(notApplicable(`The ${who(dir)} ${type} uses neither an EdDSA key nor an EdDSA scheme.`, { message: m.index }));
        else if (edKey !== edScheme)
          out.push(
            violation(`The ${who(dir)} ${type} uses scheme ${hex4(scheme)} with a ${edKey ? 'EdDSA' : 'non-EdDSA'} key.`, {
              message: m.index,
              actual: hex4(scheme),
            }),
          );
        else out.push(pass(`The ${who(dir)} ${type} uses an EdDSA scheme with an EdDSA key.`, { message: m.index }));
      }
      return out.length
        ? out
        : handshakeHidden(ctx)
          ? inconclusive(`The signed messages are encrypted and ${notOpened(ctx)}.`)
          : notApplicable('No signed handshake message.');
    },
  }),
];
