/**
 * Crypto rules: handshake signatures (ServerKeyExchange, CertificateVerify)
 * verified over the raw message bytes with the sender's leaf key, Finished
 * values and key schedules recomputed from the key log (and from ephemeral
 * private keys when a generated transcript carries them), and the
 * key-exchange public values. Rules that need keys are inconclusive, naming
 * what is missing, when the transcript lacks them.
 */
import {
  CURVES,
  binderKey,
  decryptPremaster,
  digest,
  ecdhGroupOf,
  ffdheGroupOf,
  parseSpki,
  pskBinder,
  schemeInfo,
  transcriptWithHrr,
  validateDhPublic,
  validatePublicValue,
  x25519SmallOrderPoints,
} from '../crypto';
import { OID as PKI_OID } from '../pki/parse';
import { keyMismatch } from '../pki/validate';
import type { Direction } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import { bytesEqual, concatBytes, toHex } from '../wire/hex';
import { NamedGroup as G, ExtensionType as X, nameOf, signatureSchemes } from '../wire/registry';
import { type Context, bodyOf, kexAnonymous, memo } from './context';
import { abbreviated } from './ordering';
import {
  type FinCheck,
  type Got,
  type SigCheck,
  cvSignature,
  emsNegotiated,
  ephemeral,
  finishedChecks,
  hashOf,
  hex4,
  keylog,
  leafOf,
  privateKeyFor,
  provider,
  publicValues,
  recomputedMaster12,
  schedule13,
  sharedSecret,
  skeSignature,
  stepsOf,
  ticketIssuer,
  ticketPsk,
} from './keyfacts';
import { type Outcome, type Rule, inconclusive, notApplicable, pass, violation, ruleDeclarer } from './rule';

const rule = ruleDeclarer({ versions: ['1.2', '1.3'], role: 'both', strength: 'MUST', evidence: 'keys', group: 'crypto' });

const who = (dir: Direction): string => (dir === 'S->C' ? 'server' : 'client');
const hex = (b: Uint8Array): string => toHex(b);

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

async function allSigs12(ctx: Context, view: SigView): Promise<Outcome[]> {
  return [
    sigOutcome('The ServerKeyExchange', await skeSignature(ctx), view),
    sigOutcome('The client CertificateVerify', await cvSignature(ctx, 'C->S'), view),
  ];
}

async function cv13(ctx: Context, dir: Direction, kind: 'content' | 'context' | 'valid'): Promise<Outcome> {
  const g = await cvSignature(ctx, dir);
  const name = `The ${who(dir)} CertificateVerify`;
  if (!g.ok)
    return g.why.startsWith('no ')
      ? notApplicable(`No ${who(dir)} CertificateVerify.`)
      : inconclusive(`${name} not checked: ${g.why}.`);
  const c = g.value;
  const at = { message: c.m.index };
  const scheme = nameOf(signatureSchemes, c.scheme);
  if (c.result.ok) {
    return pass(
      kind === 'context'
        ? `${name} verifies with the "${who(dir)}" context string.`
        : `${name} (${scheme}) over 64 spaces, the context string, 0x00 and ${c.covers} verifies with the key of certificate "${c.leaf.subject}".`,
      at,
    );
  }
  if (c.result.reason === 'unsupported_scheme' || c.result.reason === 'bad_key')
    return inconclusive(`${name} not checked: ${c.result.reason}.`, at);
  if (kind === 'context')
    return c.otherRole
      ? violation(`${name} was made with the other role's context string.`, {
          ...at,
          expected: `TLS 1.3, ${who(dir)} CertificateVerify`,
          actual: `TLS 1.3, ${dir === 'S->C' ? 'client' : 'server'} CertificateVerify`,
        })
      : inconclusive(`${name} verifies with neither context string (reported under t13.cv.signed-content).`, at);
  if (kind === 'content' && c.otherRole)
    return inconclusive(`${name} verifies only with the other role's context string (reported under t13.cv.context-string).`, at);
  return violation(
    `${name} (${scheme}) over 64 spaces, the context string, 0x00 and ${c.covers} does not verify with the key of certificate "${c.leaf.subject}" (${c.result.reason}).`,
    at,
  );
}

async function bothCv13(ctx: Context, kind: 'content' | 'context' | 'valid'): Promise<Outcome[]> {
  return [await cv13(ctx, 'S->C', kind), await cv13(ctx, 'C->S', kind)];
}

// ---- Finished and key schedule ---------------------------------------------

async function finOutcomes(ctx: Context, what: string): Promise<Outcome[]> {
  const g = await finishedChecks(ctx);
  if (!g.ok) return [inconclusive(`${what} not checked: ${g.why}.`)];
  return g.value.checks.map((c: FinCheck) =>
    bytesEqual(c.expected, c.actual)
      ? pass(`The ${who(c.dir)} Finished matches the value recomputed from ${g.value.from}.`, { message: c.m.index })
      : violation(
          `The ${who(c.dir)} Finished verify_data differs from the value recomputed from ${g.value.from} over the handshake messages before it.`,
          { message: c.m.index, expected: hex(c.expected), actual: hex(c.actual) },
        ),
  );
}

/** Both Finished wrong at once points at the PRF/HKDF or hash itself rather than one side's transcript. */
async function allFinishedWrong(ctx: Context, what: string): Promise<Outcome> {
  const g = await finishedChecks(ctx);
  if (!g.ok) return inconclusive(`${what} not checked: ${g.why}.`);
  const bad = g.value.checks.filter((c) => !bytesEqual(c.expected, c.actual));
  if (!g.value.checks.length) return inconclusive(`${what} not checked: no Finished to compare.`);
  if (bad.length === g.value.checks.length)
    return violation(`${what}: no Finished value matches the recomputation from ${g.value.from}.`, { message: bad[0]!.m.index });
  return pass(
    `${what} reproduces ${g.value.checks.length - bad.length} of ${g.value.checks.length} Finished value(s) from ${g.value.from}.`,
  );
}

const ABBREVIATED = "Abbreviated handshake: no key exchange took place; the master secret is the resumed session's.";

async function master12(ctx: Context, when: (ctx: Context) => string | undefined, name: string): Promise<Outcome> {
  const na = when(ctx);
  if (na) return notApplicable(na);
  if (abbreviated(ctx) === true) return notApplicable(ABBREVIATED);
  const r = await recomputedMaster12(ctx);
  if (!r.ok) return inconclusive(`${name} not checked: ${r.why}.`);
  const kl = keylog(ctx);
  if (kl.ok && kl.value.CLIENT_RANDOM) {
    return bytesEqual(kl.value.CLIENT_RANDOM, r.value.master)
      ? pass(`${name}: the master secret recomputed from the premaster equals the logged one.`)
      : violation(
          `${name}: the master secret recomputed from the premaster (${r.value.ems ? 'extended' : 'classic'} derivation) differs from the key log.`,
          { expected: hex(r.value.master), actual: hex(kl.value.CLIENT_RANDOM) },
        );
  }
  const f = await finishedChecks(ctx);
  if (!f.ok) return inconclusive(`${name} not checked: ${f.why}.`);
  const bad = f.value.checks.find((c) => !bytesEqual(c.expected, c.actual));
  return bad
    ? violation(`${name}: the Finished values do not follow from the recomputed master secret.`, { message: bad.m.index })
    : pass(`${name}: the recomputed master secret reproduces the Finished values.`);
}

const ecdheKex = (ctx: Context): string | undefined =>
  ctx.kex && ['ECDHE_RSA', 'ECDHE_ECDSA', 'ECDH_anon', 'ECDHE_PSK'].includes(ctx.kex)
    ? undefined
    : `The key exchange is ${ctx.kex ?? 'unknown'}, not ECDHE.`;
const dheKex = (ctx: Context): string | undefined =>
  ctx.kex && ['DHE_RSA', 'DHE_DSS', 'DH_anon'].includes(ctx.kex)
    ? undefined
    : `The key exchange is ${ctx.kex ?? 'unknown'}, not DHE.`;

async function schedule13Outcome(ctx: Context, name: string): Promise<Outcome> {
  const s = await schedule13(ctx);
  if (!s.ok) return inconclusive(`${name} not checked: ${s.why}.`);
  const kl = keylog(ctx);
  if (!kl.ok) {
    const f = await finishedChecks(ctx);
    if (!f.ok) return inconclusive(`${name} not checked: ${kl.why}.`);
    const bad = f.value.checks.find((c) => !bytesEqual(c.expected, c.actual));
    return bad
      ? violation(`${name}: the recomputed handshake secrets do not reproduce the Finished values.`, { message: bad.m.index })
      : pass(`${name}: the recomputed schedule reproduces the Finished values.`);
  }
  const pairs: Array<[string, Uint8Array | undefined, Uint8Array | undefined]> = [
    ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', s.value.clientHandshakeTrafficSecret, kl.value.CLIENT_HANDSHAKE_TRAFFIC_SECRET],
    ['SERVER_HANDSHAKE_TRAFFIC_SECRET', s.value.serverHandshakeTrafficSecret, kl.value.SERVER_HANDSHAKE_TRAFFIC_SECRET],
    ['CLIENT_TRAFFIC_SECRET_0', s.value.clientApplicationTrafficSecret0, kl.value.CLIENT_TRAFFIC_SECRET_0],
    ['SERVER_TRAFFIC_SECRET_0', s.value.serverApplicationTrafficSecret0, kl.value.SERVER_TRAFFIC_SECRET_0],
    ['EXPORTER_SECRET', s.value.exporterMasterSecret, kl.value.EXPORTER_SECRET],
  ];
  const compared = pairs.filter(([, a, b]) => a && b);
  if (!compared.length) return inconclusive(`${name} not checked: the key log has none of the secrets recomputed.`);
  const bad = compared.find(([, a, b]) => !bytesEqual(a!, b!));
  if (bad)
    return violation(`${name}: the recomputed ${bad[0]} differs from the key log.`, {
      expected: hex(bad[1]!),
      actual: hex(bad[2]!),
    });
  return pass(`${name}: ${compared.length} secret(s) recomputed from the (EC)DHE secret equal the key log.`);
}

// ---- key exchange values ----------------------------------------------------

const EC_LEN: Record<number, number> = { [G.secp256r1]: 65, [G.secp384r1]: 97, [G.secp521r1]: 133, [G.x25519]: 32, [G.x448]: 56 };
const isEc = (g: number): boolean => EC_LEN[g] !== undefined;
const isFf = (g: number): boolean => g === -1 || (g >= 256 && g <= 511);

function dhP(ctx: Context, group: number): Uint8Array | undefined {
  if (group === -1) {
    const ske = bodyOf(stepsOf(ctx, 'server_key_exchange', 'S->C')[0]);
    return ske?.type === 'server_key_exchange' && ske.kex === 'dhe' ? ske.p : undefined;
  }
  return undefined;
}
const big = (b: Uint8Array): bigint => (b.length ? BigInt(`0x${toHex(b)}`) : 0n);

/** Did the receiver of `m` carry on with the handshake (its next flight follows)? */
function continued(ctx: Context, dir: Direction, after: number): boolean {
  return ctx.t.messages.some(
    (m) =>
      m.index > after &&
      m.dir !== dir &&
      (m.type === 'finished' || m.type === 'client_key_exchange' || m.kind === 'application_data'),
  );
}

const baseCryptoRules: Rule[] = [
  rule({
    id: 't12.ske.signature-input',
    title:
      'The ServerKeyExchange signature is computed over both hello randoms followed by the key-exchange parameters exactly as sent.',
    rfc: 'RFC 5246 §7.4.3; RFC 8422 §5.4',
    versions: ['1.2'],
    role: 'server',
    alert: 'decrypt_error',
    evidence: 'plaintext',
    check: async (ctx) => sigOutcome('The ServerKeyExchange', await skeSignature(ctx), 'input'),
  }),
  rule({
    id: 't12.ske.signature-valid',
    title: "The ServerKeyExchange signature verifies with the server certificate's key under the scheme it names.",
    rfc: 'RFC 5246 §7.4.3',
    versions: ['1.2'],
    role: 'client',
    alert: 'decrypt_error',
    evidence: 'plaintext',
    check: async (ctx) => sigOutcome('The ServerKeyExchange', await skeSignature(ctx), 'valid'),
  }),
  rule({
    id: 't12.ske.signature-encoding',
    title:
      'Handshake signatures have the encoding of their scheme (RSA: modulus-sized PKCS#1 block; ECDSA: DER Ecdsa-Sig-Value; EdDSA: raw).',
    rfc: 'RFC 5246 §4.7, §7.4.3; RFC 8422 §5.4, §5.10',
    versions: ['1.2'],
    alert: 'decrypt_error',
    evidence: 'plaintext',
    check: (ctx) => allSigs12(ctx, 'encoding'),
  }),
  rule({
    id: 't12.ske.anon-unsigned',
    title: 'An anonymous (DH_anon / ECDH_anon) ServerKeyExchange has no signature after its parameters.',
    rfc: 'RFC 5246 §7.4.3; RFC 8422 §5.4',
    versions: ['1.2'],
    role: 'server',
    alert: 'decode_error',
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
    rfc: 'RFC 5246 §7.4.8',
    versions: ['1.2'],
    role: 'client',
    alert: 'decrypt_error',
    evidence: 'plaintext',
    check: (ctx) => cv12(ctx, 'input'),
  }),
  rule({
    id: 't12.cv.signature-valid',
    title: "The TLS 1.2 client CertificateVerify verifies with the client certificate's key.",
    rfc: 'RFC 5246 §7.4.8',
    versions: ['1.2'],
    role: 'server',
    alert: 'decrypt_error',
    evidence: 'plaintext',
    check: (ctx) => cv12(ctx, 'valid'),
  }),
  rule({
    id: 'sig.rsa-pkcs1-strict',
    title: 'PKCS#1 v1.5 handshake signatures pass strict verification: exact DigestInfo, exact padding, nothing extra.',
    rfc: 'RFC 8017 §8.2.2; RFC 5246 §4.7',
    versions: ['1.2', '1.3'],
    alert: 'decrypt_error',
    evidence: 'plaintext',
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
    rfc: 'RFC 8422 §5.10; RFC 8446 §4.2.3',
    versions: ['1.2', '1.3'],
    alert: 'illegal_parameter',
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
        : ctx.unreadable.length
          ? inconclusive('The signed messages are encrypted and no key log was given.')
          : notApplicable('No signed handshake message.');
    },
  }),
  rule({
    id: 't13.cv.signed-content',
    title:
      'The TLS 1.3 CertificateVerify signs 64 spaces, the context string, a zero byte and the transcript hash through Certificate.',
    rfc: 'RFC 8446 §4.4.3',
    versions: ['1.3'],
    alert: 'decrypt_error',
    evidence: 'keys',
    check: (ctx) => bothCv13(ctx, 'content'),
  }),
  rule({
    id: 't13.cv.context-string',
    title: 'Server and client CertificateVerify use their own role-specific context strings.',
    rfc: 'RFC 8446 §4.4.3',
    versions: ['1.3'],
    alert: 'decrypt_error',
    evidence: 'keys',
    check: (ctx) => bothCv13(ctx, 'context'),
  }),
  rule({
    id: 't13.cv.signature-valid',
    title: 'A TLS 1.3 CertificateVerify verifies with the key of the leaf in the Certificate before it.',
    rfc: 'RFC 8446 §4.4.3',
    versions: ['1.3'],
    alert: 'decrypt_error',
    evidence: 'keys',
    check: (ctx) => bothCv13(ctx, 'valid'),
  }),
  rule({
    id: 't13.cv.rsa-pss',
    title: 'RSA keys sign TLS 1.3 CertificateVerify with RSASSA-PSS only; PKCS#1 v1.5 and SHA-1 schemes are excluded.',
    rfc: 'RFC 8446 §4.4.3, §4.2.3',
    versions: ['1.3'],
    alert: 'illegal_parameter',
    evidence: 'keys',
    check(ctx) {
      const out: Outcome[] = [];
      for (const dir of ['S->C', 'C->S'] as const) {
        const m = stepsOf(ctx, 'certificate_verify', dir)[0];
        const b = bodyOf(m);
        if (!m || b?.type !== 'certificate_verify') continue;
        const s = b.scheme;
        const sha1 = s === 0x0201 || s === 0x0203;
        const pkcs1 = (s & 0xff) === 0x01 && s >> 8 >= 1 && s >> 8 <= 6;
        if (sha1 || pkcs1)
          out.push(
            violation(`The ${who(dir)} CertificateVerify uses ${sha1 ? 'a SHA-1' : 'a PKCS#1 v1.5'} scheme ${hex4(s)}.`, {
              message: m.index,
              expected: 'rsa_pss_* (or a non-RSA scheme)',
              actual: hex4(s),
            }),
          );
        else if (s >= 0x0804 && s <= 0x080b && s !== 0x0807 && s !== 0x0808)
          out.push(pass(`The ${who(dir)} CertificateVerify uses RSASSA-PSS (${hex4(s)}).`, { message: m.index }));
        else out.push(notApplicable(`The ${who(dir)} CertificateVerify uses non-RSA scheme ${hex4(s)}.`, { message: m.index }));
      }
      if (out.length) return out;
      return ctx.unreadable.length
        ? inconclusive('The CertificateVerify messages are encrypted and no key log was given.')
        : notApplicable('No CertificateVerify.');
    },
  }),
  rule({
    id: 't13.neg.cv-sigalg',
    title:
      'The CertificateVerify scheme was offered by the peer, fits the leaf key, and is neither PKCS#1 v1.5 with RSA nor SHA-1.',
    rfc: 'RFC 8446 §4.4.3, §4.2.3',
    versions: ['1.3'],
    alert: 'illegal_parameter',
    evidence: 'keys',
    group: 'negotiation',
    check(ctx) {
      const out: Outcome[] = [];
      for (const dir of ['S->C', 'C->S'] as const) {
        const m = stepsOf(ctx, 'certificate_verify', dir)[0];
        const b = bodyOf(m);
        if (!m || b?.type !== 'certificate_verify') continue;
        let offered: number[] | undefined;
        if (dir === 'S->C')
          offered = extensionBody((ctx.ch2 ?? ctx.ch)?.b.extensions, X.signature_algorithms, 'signature_algorithms')?.schemes;
        else {
          const cr = bodyOf(stepsOf(ctx, 'certificate_request', 'S->C')[0]);
          offered =
            cr?.type === 'certificate_request' && cr.form === 'tls13'
              ? extensionBody(cr.extensions, X.signature_algorithms, 'signature_algorithms')?.schemes
              : undefined;
        }
        const at = { message: m.index };
        if (!offered) {
          out.push(inconclusive(`The ${who(dir)} CertificateVerify: the peer's signature_algorithms are not readable.`, at));
          continue;
        }
        if (!offered.includes(b.scheme)) {
          out.push(
            violation(`The ${who(dir)} CertificateVerify uses ${hex4(b.scheme)}, which the peer did not offer.`, {
              ...at,
              expected: offered.map(hex4).join(' '),
              actual: hex4(b.scheme),
            }),
          );
          continue;
        }
        const s = b.scheme;
        if (s === 0x0201 || s === 0x0203 || ((s & 0xff) === 0x01 && s >> 8 <= 6)) {
          out.push(
            violation(`The ${who(dir)} CertificateVerify uses ${hex4(s)} (PKCS#1 v1.5 or SHA-1), not allowed in TLS 1.3.`, {
              ...at,
              actual: hex4(s),
            }),
          );
          continue;
        }
        const leaf = leafOf(ctx, dir);
        if (!leaf.ok) {
          out.push(inconclusive(`The ${who(dir)} CertificateVerify: ${leaf.why}.`, at));
          continue;
        }
        const why = keyMismatch(leaf.value.leaf, s, false);
        out.push(
          why
            ? violation(`The ${who(dir)} CertificateVerify: ${why}`, { ...at, actual: hex4(s) })
            : pass(`The ${who(dir)} CertificateVerify scheme ${hex4(s)} was offered and fits the leaf key.`, at),
        );
      }
      if (out.length) return out;
      return ctx.unreadable.length
        ? inconclusive('The CertificateVerify messages are encrypted and no key log was given.')
        : notApplicable('No CertificateVerify.');
    },
  }),
  // ---- Finished and key schedules
  rule({
    id: 't12.fin.verify-data',
    title: 'Each TLS 1.2 Finished carries the 12-byte PRF output of the master secret, its role label and the handshake hash.',
    rfc: 'RFC 5246 §7.4.9',
    versions: ['1.2'],
    alert: 'decrypt_error',
    evidence: 'keys',
    check: (ctx) => finOutcomes(ctx, 'The Finished values'),
  }),
  rule({
    id: 't12.fin.transcript-scope',
    title: 'The TLS 1.2 Finished hash covers every handshake message before it (not HelloRequest, CCS or record headers).',
    rfc: 'RFC 5246 §7.4.9',
    versions: ['1.2'],
    alert: 'decrypt_error',
    evidence: 'keys',
    check: (ctx) => finOutcomes(ctx, 'The Finished transcript'),
  }),
  rule({
    id: 't12.ks.prf',
    title: 'The TLS 1.2 PRF is P_hash with the suite hash over label||seed.',
    rfc: 'RFC 5246 §5',
    versions: ['1.2'],
    evidence: 'keys',
    check: (ctx) => allFinishedWrong(ctx, 'The PRF'),
  }),
  rule({
    id: 't12.ks.master-secret',
    title: 'Without extended master secret, the master secret is the PRF of the premaster over both randoms.',
    rfc: 'RFC 5246 §8.1',
    versions: ['1.2'],
    evidence: 'keys',
    check: (ctx) =>
      master12(
        ctx,
        (c) => (emsNegotiated(c) ? 'Extended master secret was negotiated (see t12.ks.ems).' : undefined),
        'The master secret',
      ),
  }),
  rule({
    id: 't12.ks.ems',
    title:
      'With extended master secret, the master secret is the PRF of the premaster over the session hash through ClientKeyExchange.',
    rfc: 'RFC 7627 §4',
    versions: ['1.2'],
    evidence: 'keys',
    check: (ctx) =>
      master12(
        ctx,
        (c) => (emsNegotiated(c) ? undefined : 'Extended master secret was not negotiated.'),
        'The extended master secret',
      ),
  }),
  rule({
    id: 't12.ks.pms-ecdh',
    title: 'The ECDHE premaster secret is the full-length x-coordinate of the shared point.',
    rfc: 'RFC 8422 §5.10; RFC 7748 §6',
    versions: ['1.2'],
    evidence: 'keys',
    check: (ctx) => master12(ctx, ecdheKex, 'The ECDHE premaster'),
  }),
  rule({
    id: 't12.ks.pms-dh',
    title: 'The DHE premaster secret is Z with its leading zero bytes stripped.',
    rfc: 'RFC 5246 §8.1.2',
    versions: ['1.2'],
    evidence: 'keys',
    check: (ctx) => master12(ctx, dheKex, 'The DHE premaster'),
  }),
  rule({
    id: 't12.ks.pms-rsa',
    title: 'The RSA premaster is 48 bytes starting with the version the ClientHello offered.',
    rfc: 'RFC 5246 §7.4.7.1',
    versions: ['1.2'],
    role: 'client',
    evidence: 'keys',
    async check(ctx) {
      if (ctx.kex !== 'RSA') return notApplicable(`The key exchange is ${ctx.kex ?? 'unknown'}, not RSA.`);
      if (abbreviated(ctx) === true) return notApplicable(ABBREVIATED);
      const m = stepsOf(ctx, 'client_key_exchange', 'C->S')[0];
      const b = bodyOf(m);
      if (!m || b?.type !== 'client_key_exchange' || b.kex !== 'rsa')
        return inconclusive('The RSA ClientKeyExchange is not decoded.');
      const leaf = leafOf(ctx, 'S->C');
      if (!leaf.ok) return inconclusive(`Not checked: ${leaf.why}.`);
      const key = privateKeyFor(ctx, leaf.value.leaf.spkiDer);
      if (!key) return inconclusive("Not checked: the server's RSA private key was not given.", { message: m.index });
      const r = await decryptPremaster(provider(), key, b.encryptedPreMasterSecret, ctx.ch!.b.legacyVersion);
      if (r.ok) return pass('The decrypted premaster is 48 bytes and starts with the offered version.', { message: m.index });
      return violation(`The RSA premaster is malformed: ${r.reason}${r.detail ? ` (${r.detail})` : ''}.`, {
        message: m.index,
        expected: `48 bytes starting ${hex4(ctx.ch!.b.legacyVersion)}`,
      });
    },
  }),
  rule({
    id: 't12.rsa.cke-encoding',
    title: 'The RSA ClientKeyExchange carries EncryptedPreMasterSecret with its two-byte length.',
    rfc: 'RFC 5246 §7.4.7.1',
    versions: ['1.2'],
    role: 'client',
    alert: 'decode_error',
    evidence: 'plaintext',
    check(ctx) {
      if (ctx.kex !== 'RSA') return notApplicable(`The key exchange is ${ctx.kex ?? 'unknown'}, not RSA.`);
      if (abbreviated(ctx) === true) return notApplicable(ABBREVIATED);
      const m = stepsOf(ctx, 'client_key_exchange', 'C->S')[0];
      if (!m?.raw) return inconclusive('No ClientKeyExchange bytes.');
      const body = m.raw.subarray(4);
      const n = body.length >= 2 ? (body[0]! << 8) | body[1]! : -1;
      return n === body.length - 2
        ? pass(`EncryptedPreMasterSecret has its length prefix (${n} bytes).`, { message: m.index })
        : violation('The RSA ClientKeyExchange lacks a correct two-byte length prefix.', {
            message: m.index,
            expected: `${body.length - 2}`,
            actual: `${n}`,
          });
    },
  }),
  rule({
    id: 't13.fin.verify-data',
    title: 'Each TLS 1.3 Finished is the HMAC, under the finished key of the sender handshake secret, of the transcript hash.',
    rfc: 'RFC 8446 §4.4.4',
    versions: ['1.3'],
    alert: 'decrypt_error',
    evidence: 'keys',
    check: (ctx) => finOutcomes(ctx, 'The Finished values'),
  }),
  rule({
    id: 't13.fin.transcript-scope',
    title:
      'The server Finished covers the handshake through its CertificateVerify; the client Finished also covers the server Finished and client authentication.',
    rfc: 'RFC 8446 §4.4.4',
    versions: ['1.3'],
    alert: 'decrypt_error',
    evidence: 'keys',
    check: (ctx) => finOutcomes(ctx, 'The Finished transcript'),
  }),
  rule({
    id: 't13.ks.transcript-hash',
    title: 'Transcript-Hash is the suite hash of the handshake messages with headers, in order, without record framing.',
    rfc: 'RFC 8446 §4.4.1',
    versions: ['1.3'],
    evidence: 'keys',
    check: (ctx) => allFinishedWrong(ctx, 'The transcript hash'),
  }),
  rule({
    id: 't13.ks.hkdf-expand-label',
    title: 'HKDF-Expand-Label and Derive-Secret serialise length, "tls13 " label and context as RFC 8446 defines.',
    rfc: 'RFC 8446 §7.1',
    versions: ['1.3'],
    evidence: 'keys',
    check: (ctx) => allFinishedWrong(ctx, 'HKDF-Expand-Label (finished keys)'),
  }),
  rule({
    id: 't13.ks.hrr-message-hash',
    title: 'After a HelloRetryRequest the first ClientHello enters the transcript as a message_hash message.',
    rfc: 'RFC 8446 §4.4.1',
    versions: ['1.3'],
    evidence: 'keys',
    async check(ctx) {
      if (!ctx.hrr) return notApplicable('No HelloRetryRequest.');
      return finOutcomes(ctx, 'The transcript with message_hash');
    },
  }),
  rule({
    id: 't13.ks.schedule',
    title: 'Early, handshake and master secrets chain through HKDF-Extract and "derived" with zero inputs where absent.',
    rfc: 'RFC 8446 §7.1',
    versions: ['1.3'],
    evidence: 'keys',
    check: (ctx) => schedule13Outcome(ctx, 'The key schedule'),
  }),
  rule({
    id: 't13.ks.secrets',
    title: 'Each traffic/exporter secret is derived over the transcript up to its defined point.',
    rfc: 'RFC 8446 §7.1',
    versions: ['1.3'],
    evidence: 'keys',
    check: (ctx) => schedule13Outcome(ctx, 'The derived secrets'),
  }),
  rule({
    id: 'ecdh.symmetry',
    title: 'Both sides compute the same (EC)DH secret from their private key and the peer public value.',
    rfc: 'RFC 8422 §5.10; RFC 8446 §7.4',
    versions: ['1.2', '1.3'],
    alert: 'decrypt_error',
    evidence: 'keys',
    async check(ctx) {
      const e = ephemeral(ctx);
      if (!e.ok) return e.why.includes('not ephemeral') ? notApplicable(e.why) : inconclusive(`Not checked: ${e.why}.`);
      if (!e.value.clientPrivate || !e.value.serverPrivate)
        return inconclusive('Not checked: both ephemeral private keys are needed and the transcript does not carry them.');
      const a = await sharedSecret(ctx, e.value, 'client');
      const b = await sharedSecret(ctx, e.value, 'server');
      if (!a.ok || !b.ok)
        return violation(
          `A side's shared secret cannot be computed: ${!a.ok ? a.why : ''}${!b.ok ? (b as { why: string }).why : ''}.`,
        );
      return bytesEqual(a.value, b.value)
        ? pass(`Both sides derive the same ${a.value.length}-byte secret.`)
        : violation('The client and server shared secrets differ (a private key does not belong to its public value).', {
            expected: hex(a.value),
            actual: hex(b.value),
          });
    },
  }),
  rule({
    id: 'ecdh.shared-secret-encoding',
    title: 'The ECDH shared secret enters the key schedule at full field length.',
    rfc: 'RFC 8422 §5.10; RFC 8446 §7.4.2',
    versions: ['1.2', '1.3'],
    evidence: 'keys',
    async check(ctx) {
      const e = ephemeral(ctx);
      if (e.ok && !isEc(e.value.group)) return notApplicable('The key exchange is not ECDH.');
      if (!e.ok && ctx.version === '1.3' && e.why.includes('not ephemeral')) return notApplicable(e.why);
      return ctx.version === '1.2'
        ? master12(ctx, ecdheKex, 'The ECDH shared secret')
        : schedule13Outcome(ctx, 'The ECDH shared secret');
    },
  }),
  rule({
    id: 'ecdh.point-format',
    title: 'NIST-curve points are uncompressed 0x04||X||Y of the curve size; X25519/X448 values are 32/56 bytes.',
    rfc: 'RFC 8446 §4.2.8.2; RFC 8422 §5.4',
    versions: ['1.2', '1.3'],
    alert: 'illegal_parameter',
    evidence: 'plaintext',
    check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx).filter((x) => isEc(x.group))) {
        const want = EC_LEN[v.group]!;
        const nist = v.group !== G.x25519 && v.group !== G.x448;
        if (v.value.length !== want)
          out.push(
            violation(`${v.where} for group ${hex4(v.group)} is ${v.value.length} bytes.`, {
              message: v.m.index,
              expected: `${want}`,
              actual: `${v.value.length}`,
            }),
          );
        else if (nist && v.value[0] !== 4)
          out.push(
            violation(`${v.where} for group ${hex4(v.group)} is not an uncompressed point.`, {
              message: v.m.index,
              expected: '0x04',
              actual: `0x${v.value[0]!.toString(16)}`,
            }),
          );
        else out.push(pass(`${v.where} (${hex4(v.group)}) has the right format.`, { message: v.m.index }));
      }
      return out.length ? out : notApplicable('No elliptic-curve public value.');
    },
  }),
  rule({
    id: 'ecdh.point-on-curve',
    title: 'Received NIST-curve points are on the curve, not the identity, with coordinates below p.',
    rfc: 'RFC 8446 §4.2.8.2; RFC 8422 §5.4',
    versions: ['1.2', '1.3'],
    alert: 'illegal_parameter',
    evidence: 'plaintext',
    check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx).filter(
        (x) => x.group === G.secp256r1 || x.group === G.secp384r1 || x.group === G.secp521r1,
      )) {
        const g = ecdhGroupOf(v.group);
        if (g !== 'secp256r1' && g !== 'secp384r1') {
          out.push(inconclusive(`${v.where}: no curve arithmetic for group ${hex4(v.group)}.`, { message: v.m.index }));
          continue;
        }
        if (v.value.length === 1 && v.value[0] === 0) {
          out.push(violation(`${v.where} is the point at infinity.`, { message: v.m.index }));
          continue;
        }
        const r = validatePublicValue(g, v.value);
        if (r.ok) out.push(pass(`${v.where} is a valid ${CURVES[g].namedCurve} point.`, { message: v.m.index }));
        else if (r.reason === 'wrong_length' || r.reason === 'not_uncompressed')
          out.push(inconclusive(`${v.where} has the wrong format (see ecdh.point-format).`, { message: v.m.index }));
        else
          out.push(
            violation(`${v.where} is not a valid ${CURVES[g].namedCurve} point: ${r.reason}.`, {
              message: v.m.index,
              actual: r.detail ?? r.reason,
            }),
          );
      }
      return out.length ? out : notApplicable('No NIST-curve public value.');
    },
  }),
  rule({
    id: 'ecdh.x25519-zero',
    title: 'An all-zero X25519/X448 shared secret (small-order peer value) ends the handshake.',
    rfc: 'RFC 8446 §7.4.2; RFC 7748 §6.1',
    versions: ['1.2', '1.3'],
    alert: 'illegal_parameter',
    evidence: 'plaintext',
    async check(ctx) {
      const out: Outcome[] = [];
      const small = x25519SmallOrderPoints();
      for (const v of publicValues(ctx).filter((x) => x.group === G.x25519)) {
        const bad = small.some((p) => bytesEqual(p, v.value));
        if (bad && continued(ctx, v.m.dir, v.m.index))
          out.push(
            violation(
              `${v.where} is a small-order X25519 point (all-zero shared secret) and the peer went on with the handshake.`,
              { message: v.m.index, actual: hex(v.value) },
            ),
          );
        else if (bad) out.push(pass(`${v.where} is a small-order point and the handshake stopped.`, { message: v.m.index }));
        else out.push(pass(`${v.where} is not a small-order X25519 point.`, { message: v.m.index }));
      }
      const e = ephemeral(ctx);
      if (e.ok && e.value.group === G.x25519 && (e.value.clientPrivate || e.value.serverPrivate)) {
        const z = await sharedSecret(ctx, e.value, e.value.clientPrivate ? 'client' : 'server');
        if (!z.ok && z.why.includes('zero_shared_secret'))
          out.push(violation('The X25519 shared secret is all zeros and the handshake went on.'));
      }
      return out.length ? out : notApplicable('No X25519 public value.');
    },
  }),
  rule({
    id: 'ecdh.same-group',
    title:
      'The ClientKeyExchange point fits the curve of the ServerKeyExchange; the TLS 1.3 server share uses a group the client sent a share for.',
    rfc: 'RFC 8422 §5.7; RFC 8446 §4.2.8',
    versions: ['1.2', '1.3'],
    alert: 'illegal_parameter',
    evidence: 'plaintext',
    check(ctx) {
      if (ctx.version === '1.3') {
        const ss = extensionBody(ctx.sh?.b.extensions, X.key_share, 'key_share_server');
        if (!ss || !ctx.sh) return notApplicable('The ServerHello has no key_share.');
        const cs = extensionBody((ctx.ch2 ?? ctx.ch)?.b.extensions, X.key_share, 'key_share_client');
        if (!cs) return inconclusive('The ClientHello key_share is not readable.');
        return cs.shares.some((s) => s.group === ss.share.group)
          ? pass(`The server share uses group ${hex4(ss.share.group)}, which the client sent.`, { message: ctx.sh.m.index })
          : violation(`The server share uses group ${hex4(ss.share.group)}, for which the client sent no share.`, {
              message: ctx.sh.m.index,
              expected: cs.shares.map((s) => hex4(s.group)).join(' '),
              actual: hex4(ss.share.group),
            });
      }
      const vs = publicValues(ctx);
      const ske = vs.find((v) => v.where === 'ServerKeyExchange');
      const cke = vs.find((v) => v.where === 'ClientKeyExchange');
      if (!ske || !cke) return notApplicable('No ECDHE ServerKeyExchange/ClientKeyExchange pair.');
      const want = EC_LEN[ske.group];
      if (want === undefined) return inconclusive(`Group ${hex4(ske.group)} is not known to this check.`);
      const g = ecdhGroupOf(ske.group);
      const ok = cke.value.length === want && (!g || g === 'x25519' || validatePublicValue(g, cke.value).ok);
      return ok
        ? pass(`The ClientKeyExchange point fits group ${hex4(ske.group)}.`, { message: cke.m.index })
        : violation(
            `The ClientKeyExchange point (${cke.value.length} bytes) is not a point of the server's group ${hex4(ske.group)}.`,
            { message: cke.m.index, expected: `${want} bytes on ${hex4(ske.group)}`, actual: `${cke.value.length} bytes` },
          );
    },
  }),
  rule({
    id: 'ecdh.independent-shares',
    title: 'Each key share is fresh: no two shares in a ClientHello, nor shares of earlier connections, are the same value.',
    rfc: 'RFC 8446 §4.2.8; RFC 8422 §5.10',
    versions: ['1.2', '1.3'],
    role: 'client',
    evidence: 'plaintext',
    check(ctx) {
      const mine = publicValues(ctx).filter((v) => v.m.dir === 'C->S' && v.where !== 'second ClientHello key_share');
      if (!mine.length) return notApplicable('No client key-exchange value.');
      const seen = new Map<string, string>();
      for (const v of mine) {
        const k = hex(v.value);
        if (seen.has(k)) return violation(`${v.where} repeats a value already sent in ${seen.get(k)}.`, { message: v.m.index });
        seen.set(k, v.where);
      }
      for (const [i, e] of ctx.earlier.entries()) {
        for (const v of publicValues(e).filter((x) => x.m.dir === 'C->S'))
          if (seen.has(hex(v.value)))
            return violation(`The client reuses a key-exchange value of earlier connection ${i}.`, { message: mine[0]!.m.index });
      }
      return pass(
        `${mine.length} client key-exchange value(s), all distinct${ctx.earlier.length ? ' and unused in earlier connections' : ''}.`,
      );
    },
  }),
  rule({
    id: 'dh.pubkey-range',
    title: 'Finite-field DH public values lie strictly between 1 and p-1.',
    rfc: 'RFC 7919 §5.1; RFC 8446 §4.2.8.1',
    versions: ['1.2', '1.3'],
    alert: 'illegal_parameter',
    evidence: 'plaintext',
    check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx).filter((x) => isFf(x.group))) {
        let ok: boolean;
        if (v.group === -1) {
          const p = dhP(ctx, -1);
          if (!p) continue;
          const y = big(v.value);
          ok = y > 1n && y < big(p) - 1n;
        } else {
          const fg = ffdheGroupOf(v.group);
          if (!fg) {
            out.push(
              inconclusive(`${v.where}: the prime of group ${hex4(v.group)} is not known to the crypto layer.`, {
                message: v.m.index,
              }),
            );
            continue;
          }
          ok = validateDhPublic(fg, v.value).ok;
        }
        out.push(
          ok
            ? pass(`${v.where} is in range.`, { message: v.m.index })
            : violation(`${v.where} is not in (1, p-1).`, { message: v.m.index, actual: hex(v.value).slice(0, 16) }),
        );
      }
      return out.length ? out : notApplicable('No finite-field DH public value.');
    },
  }),
  rule({
    id: 'dh.group-strength',
    title: 'A client does not go on with a DHE group whose prime is under 768 bits (and should not under 1024).',
    rfc: 'RFC 7919 §3; RFC 5246 §F.1.1.3',
    versions: ['1.2'],
    role: 'client',
    alert: 'insufficient_security',
    evidence: 'plaintext',
    check(ctx) {
      const m = stepsOf(ctx, 'server_key_exchange', 'S->C')[0];
      const b = bodyOf(m);
      if (!m || b?.type !== 'server_key_exchange' || b.kex !== 'dhe') return notApplicable('No DHE ServerKeyExchange.');
      let p = b.p;
      while (p.length && p[0] === 0) p = p.subarray(1);
      const bits = p.length ? p.length * 8 - Math.clz32(p[0]!) + 24 : 0;
      const went = stepsOf(ctx, 'client_key_exchange', 'C->S')[0];
      if (bits < 1024 && went)
        return violation(`The client accepted a ${bits}-bit DH prime.`, {
          message: went.index,
          expected: '>= 1024 bits (768 at the very least)',
          actual: `${bits}`,
        });
      return pass(`DH prime of ${bits} bits${went ? '' : ' (the client did not go on)'}.`, { message: m.index });
    },
  }),
  rule({
    id: 'dh.share-encoding',
    title: 'A TLS 1.3 FFDHE key share is exactly as long as the group prime.',
    rfc: 'RFC 8446 §4.2.8.1',
    versions: ['1.3'],
    alert: 'illegal_parameter',
    evidence: 'plaintext',
    check(ctx) {
      const out: Outcome[] = [];
      for (const v of publicValues(ctx).filter((x) => isFf(x.group) && x.group !== -1)) {
        const want = { 256: 256, 257: 384, 258: 512, 259: 768, 260: 1024 }[v.group];
        if (want === undefined) continue;
        out.push(
          v.value.length === want
            ? pass(`${v.where} is ${want} bytes.`, { message: v.m.index })
            : violation(`${v.where} is ${v.value.length} bytes, not the ${want} bytes of the prime.`, {
                message: v.m.index,
                expected: `${want}`,
                actual: `${v.value.length}`,
              }),
        );
      }
      return out.length ? out : notApplicable('No FFDHE key share.');
    },
  }),
  rule({
    id: 't13.psk.obfuscated-age',
    title: 'A resumption identity carries the ticket age plus ticket_age_add (mod 2^32), so it deobfuscates to a plausible age.',
    rfc: 'RFC 8446 §4.2.11.1',
    versions: ['1.3'],
    role: 'client',
    evidence: 'keys',
    check(ctx) {
      const psk = extensionBody(ctx.ch?.b.extensions, X.pre_shared_key, 'pre_shared_key_client');
      if (!psk || !ctx.ch) return notApplicable('The ClientHello offers no PSK.');
      const out: Outcome[] = [];
      for (const id of psk.identities) {
        let found = false;
        for (const e of ctx.earlier) {
          for (const s of e.steps) {
            const b = bodyOf(s.m);
            if (b?.type !== 'new_session_ticket' || b.form !== 'tls13' || !bytesEqual(b.ticket, id.identity)) continue;
            found = true;
            const age = (id.obfuscatedTicketAge - b.ageAdd + 2 ** 32) % 2 ** 32;
            out.push(
              age <= b.lifetime * 1000 + 10000
                ? pass(`The identity deobfuscates to an age of ${age} ms (lifetime ${b.lifetime} s).`, {
                    message: ctx.ch.m.index,
                  })
                : violation(
                    `The identity deobfuscates to an age of ${age} ms, beyond the ticket lifetime of ${b.lifetime} s: ticket_age_add was not applied.`,
                    { message: ctx.ch.m.index, expected: `<= ${b.lifetime * 1000} ms`, actual: `${age} ms` },
                  ),
            );
          }
        }
        if (!found)
          out.push(
            inconclusive(
              `No earlier connection's readable NewSessionTicket issued identity ${hex(id.identity).slice(0, 16)}.. (external PSK or original not given).`,
              { message: ctx.ch.m.index },
            ),
          );
      }
      return out;
    },
  }),
];

// ---- PSK binders (resumption) -----------------------------------------------

interface BinderCheck {
  index: number;
  ok: boolean | undefined;
  detail: string;
  expected?: Uint8Array;
  actual?: Uint8Array;
}

/** Each offered binder recomputed from the PSK of the earlier connection that issued the ticket. */
function binderChecks(ctx: Context): Promise<Got<{ m: number; checks: BinderCheck[] }>> {
  return memo(ctx, 'binders', async () => {
    type R = { m: number; checks: BinderCheck[] };
    const ch = ctx.ch2 ?? ctx.ch;
    const psk = extensionBody(ch?.b.extensions, X.pre_shared_key, 'pre_shared_key_client');
    if (!ch || !psk) return { ok: false, why: 'no ' } as Got<R>;
    const exts = ch.b.extensions ?? [];
    if (exts[exts.length - 1]?.type !== X.pre_shared_key || !ch.m.raw)
      return {
        ok: false,
        why: 'pre_shared_key is not the last ClientHello extension, so the truncated ClientHello is not defined',
      } as Got<R>;
    const bindersLen = 2 + psk.binders.reduce((n, b) => n + 1 + b.length, 0);
    const truncated = ch.m.raw.subarray(0, ch.m.raw.length - bindersLen);
    const checks: BinderCheck[] = [];
    for (const [i, id] of psk.identities.entries()) {
      const issuer = ticketIssuer(ctx, id.identity);
      const pskValue = await ticketPsk(ctx, id.identity);
      if (!issuer || !pskValue.ok) {
        checks.push({ index: i, ok: undefined, detail: `identity ${i}: ${pskValue.ok ? 'no issuer' : pskValue.why}` });
        continue;
      }
      const h = hashOf(issuer.e);
      if (!h.ok) {
        checks.push({ index: i, ok: undefined, detail: `identity ${i}: ${h.why}` });
        continue;
      }
      const P = provider();
      const bk = await binderKey(P, h.value, pskValue.value, 'resumption');
      const msgs: Uint8Array[] = [];
      if (ctx.ch2 && ctx.hrr && ctx.ch?.m.raw && ctx.hrr.m.raw) msgs.push(ctx.ch.m.raw, ctx.hrr.m.raw);
      msgs.push(truncated);
      const th = await digest(P, h.value, concatBytes(msgs.length > 1 ? await transcriptWithHrr(P, h.value, msgs, true) : msgs));
      const expected = await pskBinder(P, h.value, bk, th);
      const actual = psk.binders[i];
      if (!actual) checks.push({ index: i, ok: false, detail: `identity ${i} has no binder` });
      else checks.push({ index: i, ok: bytesEqual(expected, actual), detail: `identity ${i}`, expected, actual });
    }
    return { ok: true, value: { m: ch.m.index, checks } } as Got<R>;
  });
}

async function binderOutcomes(ctx: Context, what: string): Promise<Outcome[]> {
  const g = await binderChecks(ctx);
  if (!g.ok)
    return [g.why === 'no ' ? notApplicable('The ClientHello offers no PSK.') : inconclusive(`${what} not checked: ${g.why}.`)];
  return g.value.checks.map((c) =>
    c.ok === undefined
      ? inconclusive(`${what} not checked for ${c.detail}.`, { message: g.value.m })
      : c.ok
        ? pass(
            `${what}: the binder of ${c.detail} matches the one recomputed from the original connection's resumption secret.`,
            { message: g.value.m },
          )
        : violation(
            `${what}: the binder of ${c.detail} differs from the one recomputed from the ticket's PSK over the truncated ClientHello.`,
            {
              message: g.value.m,
              expected: c.expected ? hex(c.expected) : 'a binder',
              actual: c.actual ? hex(c.actual) : 'none',
            },
          ),
  );
}

const pskRules: Rule[] = [
  rule({
    id: 't13.psk.binder',
    title:
      'Each PSK binder is the HMAC, under the binder finished key, of the transcript hash of the ClientHello cut before the binders.',
    rfc: 'RFC 8446 §4.2.11.2',
    versions: ['1.3'],
    alert: 'decrypt_error',
    evidence: 'keys',
    check: (ctx) => binderOutcomes(ctx, 'The PSK binder'),
  }),
  rule({
    id: 't13.ks.resumption-psk',
    title: 'A ticket PSK is expanded from the resumption master secret with the ticket nonce ("resumption").',
    rfc: 'RFC 8446 §4.6.1',
    versions: ['1.3'],
    evidence: 'keys',
    check: (ctx) => binderOutcomes(ctx, 'The resumption PSK (seen through its binder)'),
  }),
];

export const cryptoRules: readonly Rule[] = [...baseCryptoRules, ...pskRules];
