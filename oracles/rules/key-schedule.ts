/**
 * Finished values and key schedules recomputed from the key log (and
 * from ephemeral private keys when a generated transcript carries them):
 * TLS 1.2 PRF, master secret and premaster encodings; TLS 1.3 transcript
 * hash, HKDF labels, secrets. Rules that need keys are inconclusive,
 * naming what is missing, when the transcript lacks them.
 */
import { bytesEqual, toHex } from '../../wire/hex';
import { ecdhGroupOf, finished13, nextTrafficSecret } from '../../crypto';
import type { Context } from '../context';
import { who } from '../flow';
import {
  type FinCheck,
  PSK_KEX12,
  emsNegotiated,
  ephemeral,
  finishedChecks,
  hashOf,
  keyInputMissing,
  keylog,
  prefix,
  provider,
  recomputedMaster12,
  schedule13,
  thash,
} from '../keyfacts';
import { FINISHED_DECRYPT_ERROR_13 } from '../alert-choices';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({ versions: ['1.2', '1.3'], role: 'both', strength: 'MUST', evidence: 'keys', group: 'crypto' });

const hex = (b: Uint8Array): string => toHex(b);
/** Every elliptic-curve group the crypto layer has (crypto/ecdh): P-192..P-521, brainpool, sect*, X25519, X448. */
const isEc = (g: number): boolean => ecdhGroupOf(g) !== undefined;

// ---- Finished and key schedule ---------------------------------------------

/**
 * RFC 8446 §4.6.2 / §4.4: each post-handshake authentication's Finished, recomputed from the key log: Handshake
 * Context "ClientHello ... client Finished + CertificateRequest", then its Certificate and CertificateVerify; the
 * Finished key from client_application_traffic_secret_N (the client's KeyUpdates before it counted).
 */
async function postHandshakeFinished(ctx: Context): Promise<Outcome[]> {
  const m = ctx.t.messages;
  const cfin = m.find((x) => x.type === 'finished' && x.dir === 'C->S');
  const requests = cfin ? m.filter((x) => x.type === 'certificate_request' && x.dir === 'S->C' && x.index > cfin.index) : [];
  if (!cfin || !requests.length) return [notApplicable('No post-handshake CertificateRequest.')];
  const h = hashOf(ctx);
  if (!h.ok) return [inconclusive(`Not checked: ${h.why}.`)];
  const kl = keylog(ctx);
  if (!kl.ok) return [inconclusive(`Not checked: ${kl.why}.`)];
  const secret0 = kl.value.CLIENT_TRAFFIC_SECRET_0;
  if (!secret0) return [inconclusive('Not checked: the key log has no CLIENT_TRAFFIC_SECRET_0.')];
  const base = prefix(ctx, cfin.index, true);
  if (!base.ok) return [inconclusive(`Not checked: ${base.why}.`)];
  const out: Outcome[] = [];
  for (const [i, cr] of requests.entries()) {
    const end = requests[i + 1]?.index ?? Number.POSITIVE_INFINITY;
    const answer = m.filter((x) => x.dir === 'C->S' && x.kind === 'handshake' && x.index > cr.index && x.index < end);
    const fin = answer.find((x) => x.type === 'finished');
    if (!fin) {
      out.push(notApplicable('The client did not finish this post-handshake authentication.'));
      continue;
    }
    const auth = answer.filter((x) => (x.type === 'certificate' || x.type === 'certificate_verify') && x.index < fin.index);
    const parts = [cr, ...auth];
    const body = fin.decoded?.body;
    if (parts.some((x) => !x.raw) || body?.type !== 'finished') {
      out.push(inconclusive('A post-handshake authentication message is not readable.', { message: fin.index }));
      continue;
    }
    let secret = secret0;
    const updates = m.filter((x) => x.type === 'key_update' && x.dir === 'C->S' && x.index < fin.index).length;
    for (let n = 0; n < updates; n++) secret = await nextTrafficSecret(provider(ctx), h.value, secret);
    const th = await thash(ctx, h.value, [...base.value, ...parts.map((x) => x.raw!)]);
    const expected = await finished13(provider(ctx), h.value, secret, th);
    out.push(
      bytesEqual(expected, body.verifyData)
        ? pass(
            `The post-handshake Finished matches HMAC under client_application_traffic_secret_${updates} of the handshake through the client Finished, the CertificateRequest and ${auth.length} message(s) of the answer.`,
            { message: fin.index },
          )
        : violation(
            `The post-handshake Finished differs from the value recomputed under client_application_traffic_secret_${updates} over the handshake through the client Finished, the CertificateRequest and the answer.`,
            { message: fin.index, expected: hex(expected), actual: hex(body.verifyData) },
          ),
    );
  }
  return out;
}

async function finOutcomes(ctx: Context, what: string): Promise<Outcome[]> {
  const g = await finishedChecks(ctx);
  if (!g.ok) return [keyInputMissing(ctx, g.why, `${what} not checked: ${g.why}.`)];
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
  if (!g.ok) return keyInputMissing(ctx, g.why, `${what} not checked: ${g.why}.`);
  const bad = g.value.checks.filter((c) => !bytesEqual(c.expected, c.actual));
  if (!g.value.checks.length) return inconclusive(`${what} not checked: no Finished to compare.`);
  if (bad.length === g.value.checks.length)
    return violation(`${what}: no Finished value matches the recomputation from ${g.value.from}.`, { message: bad[0]!.m.index });
  return pass(
    `${what} reproduces ${g.value.checks.length - bad.length} of ${g.value.checks.length} Finished value(s) from ${g.value.from}.`,
  );
}

async function master12(ctx: Context, when: (ctx: Context) => string | undefined, name: string): Promise<Outcome> {
  const na = when(ctx);
  if (na) return notApplicable(na);
  const r = await recomputedMaster12(ctx);
  if (!r.ok) return keyInputMissing(ctx, r.why, `${name} not checked: ${r.why}.`);
  const kl = keylog(ctx);
  if (kl.ok && kl.value.CLIENT_RANDOM) {
    return bytesEqual(kl.value.CLIENT_RANDOM, r.value.master)
      ? pass(`${name}: the master secret recomputed from the premaster equals the logged one.`)
      : violation(
          `${name}: the master secret recomputed from the premaster (${r.value.ems ? 'extended' : 'classic'} derivation) differs from the key log${ctx.kex && PSK_KEX12.has(ctx.kex) ? ' (or the PSK given for the identity is not the one the endpoints used)' : ''}.`,
          { expected: hex(r.value.master), actual: hex(kl.value.CLIENT_RANDOM) },
        );
  }
  const f = await finishedChecks(ctx);
  if (!f.ok) return keyInputMissing(ctx, f.why, `${name} not checked: ${f.why}.`);
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
  ctx.kex && ['DHE_RSA', 'DHE_DSS', 'DH_anon', 'DHE_PSK'].includes(ctx.kex)
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

export const keyScheduleRules = [
  rule({
    id: 't13.pha.finished',
    title:
      "A post-handshake authentication's Finished is the HMAC, under the finished key of the current client application traffic secret, of the handshake through the client Finished, the CertificateRequest and the answer.",
    rfc: ['RFC 8446 §4.4', 'RFC 8446 §4.4.4', 'RFC 8446 §4.6.2'],
    versions: ['1.3'],
    role: 'client',
    alerts: [FINISHED_DECRYPT_ERROR_13],
    overrides: {
      checklist:
        'the reference checklist judges the handshake Finished only; RFC 8446 §4.4: post-handshake authentication uses "Handshake Context: ClientHello ... client Finished + CertificateRequest" and "Base Key: client_application_traffic_secret_N"',
    },
    check: (ctx) => postHandshakeFinished(ctx),
  }),
  rule({
    id: 't12.fin.verify-data',
    title: 'Each TLS 1.2 Finished carries the 12-byte PRF output of the master secret, its role label and the handshake hash.',
    rfc: ['RFC 5246 §7.2.2', 'RFC 5246 §7.4.9'],
    versions: ['1.2'],
    alerts: ['decrypt_error'],
    evidence: 'keys',
    check: (ctx) => finOutcomes(ctx, 'The Finished values'),
  }),
  rule({
    id: 't12.fin.transcript-scope',
    title: 'The TLS 1.2 Finished hash covers every handshake message before it (not HelloRequest, CCS or record headers).',
    rfc: ['RFC 5077 §3.3', 'RFC 5246 §7.4.9'],
    versions: ['1.2'],
    alerts: ['decrypt_error'],
    evidence: 'keys',
    overrides: {
      rfc: 'RFC 6066 §1.1 only lists the extensions that document covers; that CertificateStatus and every other handshake message count is RFC 5246 §7.4.9 ("All of the data from all messages in this handshake (not including any HelloRequest messages) up to, but not including, this message")',
    },
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
    alerts: ['bad_record_mac', 'decrypt_error'],
    overrides: {
      alerts:
        'a wrong master secret changes the key block, so the peer\'s Finished record fails to deprotect first (bad_record_mac, RFC 5246 §7.2.2: "returned if a record is received with an incorrect MAC"); only a Finished record that still opens fails its verify_data with decrypt_error; the checklist names decrypt_error alone',
    },
    needs: ['full-handshake'],
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
    rfc: ['RFC 7627 §3', 'RFC 7627 §4'],
    versions: ['1.2'],
    evidence: 'keys',
    alerts: ['bad_record_mac', 'decrypt_error'],
    overrides: {
      alerts:
        'a wrong extended master secret changes the key block, so the peer\'s Finished record fails to deprotect first (bad_record_mac, RFC 5246 §7.2.2: "returned if a record is received with an incorrect MAC"); only a Finished record that still opens fails its verify_data with decrypt_error; the checklist names decrypt_error alone',
    },
    needs: ['full-handshake'],
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
    overrides: {
      rfc: 'for x25519/x448 the premaster is the RFC 7748 §6 function output ("The ECDH shared secret is the result of applying the ECDH scalar multiplication function ... used raw" per RFC 8422 §5.11), not an x-coordinate',
    },
    needs: ['full-handshake'],
    check: (ctx) => master12(ctx, ecdheKex, 'The ECDHE premaster'),
  }),
  rule({
    id: 't12.ks.pms-dh',
    title: 'The DHE premaster secret is Z with its leading zero bytes stripped.',
    rfc: 'RFC 5246 §8.1.2',
    versions: ['1.2'],
    evidence: 'keys',
    needs: ['full-handshake'],
    check: (ctx) => master12(ctx, dheKex, 'The DHE premaster'),
  }),
  rule({
    id: 't12.ks.pms-psk',
    title:
      'A PSK key exchange premaster is uint16 length, other_secret, uint16 length, PSK: zeros for PSK, the DH or ECDH secret for DHE_PSK and ECDHE_PSK, the 48-byte RSA premaster for RSA_PSK.',
    rfc: ['RFC 4279 §2', 'RFC 4279 §3', 'RFC 4279 §4', 'RFC 5489 §2'],
    versions: ['1.2'],
    evidence: 'keys',
    alerts: ['bad_record_mac', 'decrypt_error'],
    overrides: {
      checklist:
        'the reference checklist has no PSK key exchange rules; RFC 4279 §2 defines the premaster ("concatenate a uint16 with the value N, N zero octets, a second uint16 with the value N, and the PSK itself"), decidable with the key log and the PSK (tlsprop check --psk)',
    },
    needs: ['full-handshake'],
    check: (ctx) =>
      master12(
        ctx,
        (c) => (c.kex && PSK_KEX12.has(c.kex) ? undefined : `The key exchange is ${c.kex ?? 'unknown'}, not a PSK one.`),
        'The PSK premaster',
      ),
  }),
  rule({
    id: 'ecdh.shared-secret-encoding',
    title: 'The ECDH shared secret enters the key schedule at full field length.',
    rfc: 'RFC 8422 §5.10; RFC 8446 §7.4.2',
    versions: ['1.2', '1.3'],
    evidence: 'keys',
    needs: ['full-handshake'],
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
    id: 't13.fin.verify-data',
    title: 'Each TLS 1.3 Finished is the HMAC, under the finished key of the sender handshake secret, of the transcript hash.',
    rfc: 'RFC 8446 §4.4.4',
    versions: ['1.3'],
    alerts: [FINISHED_DECRYPT_ERROR_13],
    evidence: 'keys',
    check: (ctx) => finOutcomes(ctx, 'The Finished values'),
  }),
  rule({
    id: 't13.fin.transcript-scope',
    title:
      'The server Finished covers the handshake through its CertificateVerify; the client Finished also covers the server Finished and client authentication.',
    rfc: ['RFC 8446 §4.4', 'RFC 8446 §4.4.1', 'RFC 8446 §4.4.4'],
    versions: ['1.3'],
    alerts: [FINISHED_DECRYPT_ERROR_13],
    evidence: 'keys',
    overrides: {
      rfc: 'the Finished\'s own transcript is defined in RFC 8446 §4.4.4: "verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*, CertificateVerify*))"',
    },
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
    needs: ['hrr'],
    async check(ctx) {
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
];
