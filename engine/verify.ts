/**
 * Independent re-computation of a generated transcript's key material: from
 * the raw handshake bytes, the key log and the ephemeral private keys only
 * (no engine state). Returns the problems found; empty means consistent.
 * Used by the engine tests; usable by oracles.
 */
import {
  type CryptoProvider,
  deriveEcdh,
  ecdhGroupOf,
  extendedMasterSecret,
  finished12,
  finished13,
  type HashName,
  lookupKeyLog,
  masterSecret,
  parseKeyLog,
  tls13Schedule,
  transcriptHash,
} from '../crypto';
import type { Transcript, TranscriptMessage } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import type { HandshakeBody } from '../wire/handshake';
import { bytesEqual } from '../wire/hex';
import { cipherSuites, ExtensionType } from '../wire/registry';

function bodyOf<T extends HandshakeBody['type']>(m: TranscriptMessage | undefined, type: T): Extract<HandshakeBody, { type: T }> | undefined {
  const b = m?.decoded?.body;
  return b && b.type === type ? (b as Extract<HandshakeBody, { type: T }>) : undefined;
}

export async function verifyTranscriptSecrets(p: CryptoProvider, t: Transcript): Promise<string[]> {
  const problems: string[] = [];
  const hs = t.messages.filter((m) => m.kind === 'handshake' && m.type !== 'new_session_ticket');
  const ch = bodyOf(hs[0], 'client_hello');
  const sh = bodyOf(hs[1], 'server_hello');
  if (!ch || !sh) return ['transcript does not start with ClientHello, ServerHello'];
  const suite = cipherSuites.get(sh.cipherSuite);
  if (!suite) return [`unknown suite ${sh.cipherSuite}`];
  const h: HashName = suite.prfHash;
  const secrets = lookupKeyLog(parseKeyLog((t.secrets?.keylog ?? []).join('\n')), ch.random);
  const raws = hs.map((m) => m.raw!);
  const fins = hs.flatMap((m, i) => (m.type === 'finished' ? [i] : []));
  const tls13 = extensionBody(sh.extensions, ExtensionType.supported_versions, 'supported_versions_server')?.version === 0x0304;
  if (fins.length !== 2) problems.push(`${fins.length} Finished messages`);
  const server = fins.find((i) => hs[i]!.dir === 'S->C');
  const client = fins.find((i) => hs[i]!.dir === 'C->S');
  if (server === undefined || client === undefined) return [...problems, 'missing Finished'];
  const vd = (i: number) => bodyOf(hs[i], 'finished')!.verifyData;

  if (!tls13) {
    const master = secrets.CLIENT_RANDOM;
    if (!master) return [...problems, 'no CLIENT_RANDOM key log line'];
    if (!bytesEqual(vd(client), await finished12(p, h, master, 'client', await transcriptHash(p, h, raws.slice(0, client))))) problems.push('client Finished does not verify');
    if (!bytesEqual(vd(server), await finished12(p, h, master, 'server', await transcriptHash(p, h, raws.slice(0, server))))) problems.push('server Finished does not verify');
    const skeI = hs.findIndex((m) => m.type === 'server_key_exchange');
    const ckeI = hs.findIndex((m) => m.type === 'client_key_exchange');
    const ske = bodyOf(hs[skeI], 'server_key_exchange');
    const cke = bodyOf(hs[ckeI], 'client_key_exchange');
    if (ske?.kex === 'ecdhe' && cke?.kex === 'ecdhe') {
      const g = ecdhGroupOf(ske.namedCurve);
      const eph = t.secrets?.ephemeral?.find((e) => e.group === ske.namedCurve);
      if (!g || !eph?.clientPrivate || !eph.serverPrivate) return [...problems, 'no ephemeral keys for the group'];
      const a = await deriveEcdh(p, g, eph.clientPrivate, ske.publicKey);
      const b = await deriveEcdh(p, g, eph.serverPrivate, cke.publicKey);
      if (!a.ok || !b.ok || !bytesEqual(a.value, b.value)) return [...problems, 'ECDH shared secrets differ'];
      const ems = extensionBody(sh.extensions, ExtensionType.extended_master_secret, 'empty') !== undefined;
      const m = ems ? await extendedMasterSecret(p, h, a.value, await transcriptHash(p, h, raws.slice(0, ckeI + 1))) : await masterSecret(p, h, a.value, ch.random, sh.random);
      if (!bytesEqual(m, master)) problems.push('master secret does not follow from the ECDH secret');
    }
    return problems;
  }

  const ks = extensionBody(sh.extensions, ExtensionType.key_share, 'key_share_server');
  const cks = extensionBody(ch.extensions, ExtensionType.key_share, 'key_share_client');
  const g = ks ? ecdhGroupOf(ks.share.group) : undefined;
  const eph = t.secrets?.ephemeral?.find((e) => e.group === ks?.share.group);
  const clientShare = cks?.shares.find((s) => s.group === ks?.share.group);
  if (!ks || !g || !eph?.clientPrivate || !eph.serverPrivate || !clientShare) return [...problems, 'key shares or ephemeral keys missing'];
  const a = await deriveEcdh(p, g, eph.clientPrivate, ks.share.keyExchange);
  const b = await deriveEcdh(p, g, eph.serverPrivate, clientShare.keyExchange);
  if (!a.ok || !b.ok || !bytesEqual(a.value, b.value)) return [...problems, 'ECDH shared secrets differ'];
  const s = await tls13Schedule(p, {
    hash: h,
    sharedSecret: a.value,
    serverHelloHash: await transcriptHash(p, h, raws.slice(0, 2)),
    serverFinishedHash: await transcriptHash(p, h, raws.slice(0, server + 1)),
  });
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
  if (!bytesEqual(vd(server), await finished13(p, h, s.serverHandshakeTrafficSecret, await transcriptHash(p, h, raws.slice(0, server))))) problems.push('server Finished does not verify');
  if (!bytesEqual(vd(client), await finished13(p, h, s.clientHandshakeTrafficSecret, await transcriptHash(p, h, raws.slice(0, client))))) problems.push('client Finished does not verify');
  return problems;
}
