/**
 * Independent re-computation of a generated transcript's key material: from
 * the raw handshake bytes, the key log and the ephemeral private keys only
 * (no engine state). Returns the problems found; empty means consistent.
 * Used by the engine tests; usable by oracles.
 *
 * Covers TLS 1.2 full handshakes (ECDHE, DHE; RSA through the key log only),
 * TLS 1.2 abbreviated handshakes (the master secret must be the original
 * session's when the original is among `earlier`), and TLS 1.3 with a
 * HelloRetryRequest (message_hash) and with a resumption PSK (recomputed
 * from the original connection in `earlier`, binder included).
 */
import {
  binderKey,
  type CryptoProvider,
  deriveDh,
  deriveEcdh,
  ecdhGroupOf,
  extendedMasterSecret,
  ffdheGroupOf,
  decapsulateKemShare,
  kemGroupOf,
  recomputeKemEncapsulation,
  finished12,
  finished13,
  type HashName,
  lookupKeyLog,
  masterSecret,
  parseKeyLog,
  pskBinder,
  resumptionPsk,
  type Tls13Schedule,
  tls13Schedule,
  transcriptHash,
  transcriptWithHrr,
} from '../crypto';
import type { Transcript, TranscriptMessage } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import { type HandshakeBody, isHelloRetryRequest } from '../wire/handshake';
import { bytesEqual } from '../wire/hex';
import { cipherSuites, ExtensionType } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';

function bodyOf<T extends HandshakeBody['type']>(
  m: TranscriptMessage | undefined,
  type: T,
): Extract<HandshakeBody, { type: T }> | undefined {
  const b = m?.decoded?.body;
  return b && b.type === type ? (b as Extract<HandshakeBody, { type: T }>) : undefined;
}

export interface VerifyOptions {
  /** Earlier connections (oldest first): the originals of resumed sessions. */
  earlier?: readonly Transcript[];
}

interface Parsed {
  /** Handshake messages of the handshake proper (TLS 1.3: up to the client Finished; no post-handshake messages). */
  hs: TranscriptMessage[];
  ch: Extract<HandshakeBody, { type: 'client_hello' }>;
  /** ClientHello2 after a HelloRetryRequest. */
  ch2?: Extract<HandshakeBody, { type: 'client_hello' }>;
  hrr: boolean;
  sh: Extract<HandshakeBody, { type: 'server_hello' }>;
  shIndex: number;
  tls13: boolean;
  h: HashName;
}

function parse(t: Transcript): Parsed | string {
  const all = t.messages.filter((m) => m.kind === 'handshake');
  const ch = bodyOf(all[0], 'client_hello');
  const first = bodyOf(all[1], 'server_hello');
  const hrr = first !== undefined && isHelloRetryRequest(first);
  const shIndex = hrr ? 3 : 1;
  const sh = bodyOf(all[shIndex], 'server_hello');
  if (!ch || !sh) return 'transcript does not start with ClientHello, ServerHello';
  const suite = cipherSuites.get(sh.cipherSuite);
  if (!suite) return `unknown suite ${sh.cipherSuite}`;
  const tls13 =
    extensionBody(sh.extensions, ExtensionType.supported_versions, 'supported_versions_server')?.version === VERSION_CODE['1.3'];
  let hs: TranscriptMessage[];
  if (tls13) {
    const cfin = all.findIndex((m) => m.type === 'finished' && m.dir === 'C->S');
    hs = (cfin < 0 ? all : all.slice(0, cfin + 1)).filter((m) => m.type !== 'new_session_ticket' && m.type !== 'key_update');
  } else hs = all.filter((m) => m.type !== 'hello_request');
  const p: Parsed = { hs, ch, hrr, sh, shIndex, tls13, h: suite.prfHash };
  const ch2 = hrr ? bodyOf(all[2], 'client_hello') : undefined;
  if (ch2) p.ch2 = ch2;
  return p;
}

function secretsOf(t: Transcript, random: Uint8Array) {
  return lookupKeyLog(parseKeyLog((t.secrets?.keylog ?? []).join('\n')), random);
}

export async function verifyTranscriptSecrets(p: CryptoProvider, t: Transcript, opts: VerifyOptions = {}): Promise<string[]> {
  const parsed = parse(t);
  if (typeof parsed === 'string') return [parsed];
  const { hs, ch, sh, h } = parsed;
  const problems: string[] = [];
  const secrets = secretsOf(t, ch.random);
  const raws = hs.map((m) => m.raw!);
  const fins = hs.flatMap((m, i) => (m.type === 'finished' ? [i] : []));
  if (fins.length !== 2) problems.push(`${fins.length} Finished messages`);
  const server = fins.find((i) => hs[i]!.dir === 'S->C');
  const client = fins.find((i) => hs[i]!.dir === 'C->S');
  if (server === undefined || client === undefined) return [...problems, 'missing Finished'];
  const vd = (i: number) => bodyOf(hs[i], 'finished')!.verifyData;

  if (!parsed.tls13) {
    const master = secrets.CLIENT_RANDOM;
    if (!master) return [...problems, 'no CLIENT_RANDOM key log line'];
    const hh = h as 'SHA-256' | 'SHA-384';
    if (!bytesEqual(vd(client), await finished12(p, hh, master, 'client', await transcriptHash(p, h, raws.slice(0, client)))))
      problems.push('client Finished does not verify');
    if (!bytesEqual(vd(server), await finished12(p, hh, master, 'server', await transcriptHash(p, h, raws.slice(0, server)))))
      problems.push('server Finished does not verify');
    const skeI = hs.findIndex((m) => m.type === 'server_key_exchange');
    const ckeI = hs.findIndex((m) => m.type === 'client_key_exchange');
    const ske = bodyOf(hs[skeI], 'server_key_exchange');
    const cke = bodyOf(hs[ckeI], 'client_key_exchange');
    const ems = extensionBody(sh.extensions, ExtensionType.extended_master_secret, 'empty') !== undefined;
    if (ckeI < 0) {
      // Abbreviated handshake: the master secret is the original session's.
      const orig = original12(t, opts.earlier ?? []);
      if (orig) {
        const om = secretsOf(orig.t, orig.random).CLIENT_RANDOM;
        if (!om || !bytesEqual(om, master)) problems.push("the resumed master secret differs from the original session's");
      }
      return problems;
    }
    let premaster: Uint8Array | undefined;
    if (ske?.kex === 'ecdhe' && cke?.kex === 'ecdhe') {
      const g = ecdhGroupOf(ske.namedCurve);
      const eph = t.secrets?.ephemeral?.find((e) => e.group === ske.namedCurve);
      if (!g || !eph?.clientPrivate || !eph.serverPrivate) return [...problems, 'no ephemeral keys for the group'];
      const a = await deriveEcdh(p, g, eph.clientPrivate, ske.publicKey);
      const b = await deriveEcdh(p, g, eph.serverPrivate, cke.publicKey);
      if (!a.ok || !b.ok || !bytesEqual(a.value, b.value)) return [...problems, 'ECDH shared secrets differ'];
      premaster = a.value;
    } else if (ske?.kex === 'dhe' && cke?.kex === 'dhe') {
      const eph = t.secrets?.ephemeral?.find((e) => ffdheGroupOf(e.group) !== undefined);
      const fg = eph ? ffdheGroupOf(eph.group) : undefined;
      if (!fg || !eph?.clientPrivate || !eph.serverPrivate) return [...problems, 'no ephemeral DH keys'];
      const a = await deriveDh(p, fg, eph.clientPrivate, ske.ys, 'tls12');
      const b = await deriveDh(p, fg, eph.serverPrivate, cke.publicKey, 'tls12');
      if (!a.ok || !b.ok || !bytesEqual(a.value, b.value)) return [...problems, 'DH shared secrets differ'];
      premaster = a.value;
    }
    if (premaster) {
      const m = ems
        ? await extendedMasterSecret(p, hh, premaster, await transcriptHash(p, h, raws.slice(0, ckeI + 1)))
        : await masterSecret(p, hh, premaster, ch.random, sh.random);
      if (!bytesEqual(m, master))
        problems.push(`master secret does not follow from the ${ske?.kex === 'dhe' ? 'DH' : 'ECDH'} secret`);
    }
    return problems;
  }

  const r = await schedule13(p, t, opts.earlier ?? [], 0);
  if (typeof r === 'string') return [...problems, r];
  problems.push(...r.problems);
  const s = r.schedule;
  const expect: Array<[keyof typeof secrets, Uint8Array | undefined]> = [
    ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', s.clientHandshakeTrafficSecret],
    ['SERVER_HANDSHAKE_TRAFFIC_SECRET', s.serverHandshakeTrafficSecret],
    ['CLIENT_TRAFFIC_SECRET_0', s.clientApplicationTrafficSecret0],
    ['SERVER_TRAFFIC_SECRET_0', s.serverApplicationTrafficSecret0],
    ['EXPORTER_SECRET', s.exporterMasterSecret],
  ];
  for (const [label, v] of expect) {
    const logged = secrets[label];
    if (!logged || !v || !bytesEqual(logged, v)) problems.push(`${label} differs from the recomputed schedule`);
  }
  const th = (n: number) => hash13(p, parsed, raws.slice(0, n));
  if (!bytesEqual(vd(server), await finished13(p, h, s.serverHandshakeTrafficSecret, await th(server))))
    problems.push('server Finished does not verify');
  if (!bytesEqual(vd(client), await finished13(p, h, s.clientHandshakeTrafficSecret, await th(client))))
    problems.push('client Finished does not verify');
  return problems;
}

/** Transcript-Hash with the HelloRetryRequest substitution. */
async function hash13(p: CryptoProvider, parsed: Parsed, msgs: Uint8Array[]): Promise<Uint8Array> {
  return transcriptHash(p, parsed.h, await transcriptWithHrr(p, parsed.h, msgs, parsed.hrr));
}

/** The earlier TLS 1.2 connection whose session this transcript resumes (by session ID or ticket). */
function original12(t: Transcript, earlier: readonly Transcript[]): { t: Transcript; random: Uint8Array } | undefined {
  const parsed = parse(t);
  if (typeof parsed === 'string') return undefined;
  const ticket = extensionBody(parsed.ch.extensions, ExtensionType.session_ticket, 'session_ticket')?.ticket;
  for (const e of [...earlier].reverse()) {
    const pe = parse(e);
    if (typeof pe === 'string' || pe.tls13) continue;
    const issued = pe.hs.some((m) => {
      const b = bodyOf(m, 'new_session_ticket');
      return b?.form === 'tls12' && ticket !== undefined && ticket.length > 0 && bytesEqual(b.ticket, ticket);
    });
    if (issued || (parsed.sh.sessionId.length > 0 && bytesEqual(pe.sh.sessionId, parsed.sh.sessionId)))
      return { t: e, random: pe.ch.random };
  }
  return undefined;
}

/** TLS 1.3 schedule of a transcript, from its ephemeral keys and (for a PSK) its original among `earlier`. */
async function schedule13(
  p: CryptoProvider,
  t: Transcript,
  earlier: readonly Transcript[],
  depth: number,
): Promise<{ schedule: Tls13Schedule; problems: string[] } | string> {
  const parsed = parse(t);
  if (typeof parsed === 'string') return parsed;
  const { hs, sh, h } = parsed;
  const problems: string[] = [];
  const raws = hs.map((m) => m.raw!);
  const input: Parameters<typeof tls13Schedule>[1] = {
    hash: h,
    serverHelloHash: await hash13(p, parsed, raws.slice(0, parsed.shIndex + 1)),
  };
  const ks = extensionBody(sh.extensions, ExtensionType.key_share, 'key_share_server');
  if (ks) {
    const cks = extensionBody((parsed.ch2 ?? parsed.ch).extensions, ExtensionType.key_share, 'key_share_client');
    const g = ecdhGroupOf(ks.share.group);
    const fg = ffdheGroupOf(ks.share.group);
    const kg = kemGroupOf(ks.share.group);
    const eph = t.secrets?.ephemeral?.find((e) => e.group === ks.share.group);
    const clientShare = cks?.shares.find((s) => s.group === ks.share.group);
    if ((!g && !fg && !kg) || !eph?.clientPrivate || !eph.serverPrivate || !clientShare)
      return 'key shares or ephemeral keys missing';
    if (kg) {
      // ML-KEM: the client decapsulates the server's share; the server's m || ECDH key re-encapsulates to the same
      const a = await decapsulateKemShare(p, kg, eph.clientPrivate, ks.share.keyExchange);
      const b = await recomputeKemEncapsulation(p, kg, clientShare.keyExchange, eph.serverPrivate);
      if (!a.ok || !b.ok || !bytesEqual(a.value, b.value.sharedSecret)) return 'ML-KEM shared secrets differ';
      input.sharedSecret = a.value;
    }
    const derive = (priv: Uint8Array, peer: Uint8Array) =>
      g ? deriveEcdh(p, g, priv, peer) : deriveDh(p, fg!, priv, peer, 'tls13');
    if (!kg) {
      const a = await derive(eph.clientPrivate, ks.share.keyExchange);
      const b = await derive(eph.serverPrivate, clientShare.keyExchange);
      if (!a.ok || !b.ok || !bytesEqual(a.value, b.value)) return 'ECDH shared secrets differ';
      input.sharedSecret = a.value;
    }
  }
  const selected = extensionBody(sh.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_server');
  if (selected) {
    const chPsk = parsed.ch2 ?? parsed.ch;
    const offer = extensionBody(chPsk.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_client');
    const id = offer?.identities[selected.selectedIdentity];
    if (!offer || !id) return 'the selected PSK identity was not offered';
    if (depth > 8) return 'PSK chain too long';
    let found: { t: Transcript; nonce: Uint8Array } | undefined;
    for (const e of earlier)
      for (const m of e.messages) {
        const b = bodyOf(m, 'new_session_ticket');
        if (b?.form === 'tls13' && bytesEqual(b.ticket, id.identity)) found = { t: e, nonce: b.nonce };
      }
    if (!found) return 'the PSK was issued by no connection among the earlier ones';
    const orig = await schedule13(
      p,
      found.t,
      earlier.filter((e) => e !== found.t),
      depth + 1,
    );
    if (typeof orig === 'string') return `original connection: ${orig}`;
    const rms = orig.schedule.resumptionMasterSecret;
    if (!rms) return 'the original connection has no resumption_master_secret';
    const psk = await resumptionPsk(p, h, rms, found.nonce);
    input.psk = psk;
    // Binder over the ClientHello cut before the binders (after ClientHello1 and HRR when retried).
    const chIndex = parsed.ch2 ? 2 : 0;
    const raw = raws[chIndex]!;
    const cut = 2 + offer.binders.reduce((n, b) => n + 1 + b.length, 0);
    const msgs = [...raws.slice(0, chIndex), raw.subarray(0, raw.length - cut)];
    const binder = await pskBinder(p, h, await binderKey(p, h, psk, 'resumption'), await hash13(p, parsed, msgs));
    if (!bytesEqual(binder, offer.binders[selected.selectedIdentity] ?? new Uint8Array(0)))
      problems.push('the PSK binder does not verify');
  }
  const sfin = hs.findIndex((m) => m.type === 'finished' && m.dir === 'S->C');
  const cfin = hs.findIndex((m) => m.type === 'finished' && m.dir === 'C->S');
  if (sfin >= 0) input.serverFinishedHash = await hash13(p, parsed, raws.slice(0, sfin + 1));
  if (cfin >= 0) input.clientFinishedHash = await hash13(p, parsed, raws.slice(0, cfin + 1));
  return { schedule: await tls13Schedule(p, input), problems };
}
