/**
 * Run a client and a server against each other in memory: shuttle records
 * between them, feed every record (with the sender's plaintext for protected
 * ones) into a TranscriptBuilder, and attach the key log and both ephemeral
 * private keys to the Transcript.
 */
import { formatKeyLog } from '../crypto';
import { TranscriptBuilder } from '../transcript/build';
import type { Direction, EphemeralKeys, PresharedKey, Transcript, TranscriptSecrets } from '../transcript/model';
import { concatBytes } from '../wire/hex';
import { type EcdhGroup, ecdhGroupCodes, type FfdheGroup, ffdheParams, KEM_GROUPS, type KemGroupName } from '../crypto';
import { TlsClient } from './client';
import type { ClientConfig, ServerConfig } from './config';
import type { EngineHooks } from './hooks';
import { TlsServer } from './server';
import type { Outcome, WireRecord } from './types';

export interface MemoryOptions {
  /** Application data each side sends once both are connected (client first). */
  appData?: { client?: Uint8Array; server?: Uint8Array };
  /** Send close_notify from the client, then the server, at the end. */
  closeNotify?: boolean;
  /**
   * TLS 1.3 KeyUpdates once connected (after appData), in order; each is followed by
   * one application data record from its sender (`data`, default 0x6b 0x75) so the new keys are used.
   */
  keyUpdates?: Array<{ side: 'client' | 'server'; requestUpdate: boolean; data?: Uint8Array }>;
  /**
   * TLS 1.2 renegotiations once connected (after appData and the KeyUpdates), in order: started by the client
   * (TlsClient.renegotiate) or asked for by the server (a HelloRequest); each is followed by one application data record
   * from each side (`renegotiated <n>`), under the new keys. The configurations' `renegotiation` policy decides whether
   * they happen.
   */
  renegotiations?: Array<'client' | 'server'>;
  /**
   * TLS 1.3 post-handshake client authentications once connected (after the renegotiations): the server asks
   * (TlsServer.requestPostHandshakeAuth, the client must have offered post_handshake_auth) this many times.
   */
  postHandshakeAuths?: number;
  /** Give up after this many deliveries (default 64). */
  maxRounds?: number;
  /** Provenance details for the transcript. */
  seed?: number;
  plan?: string;
}

export interface MemoryRun {
  transcript: Transcript;
  clientOutcome: Outcome;
  serverOutcome: Outcome;
  client: TlsClient;
  server: TlsServer;
  /** Application data each side received. */
  received: { client: Uint8Array[]; server: Uint8Array[] };
}

export async function runInMemory(
  clientCfg: ClientConfig,
  serverCfg: ServerConfig,
  hooks: { client?: EngineHooks; server?: EngineHooks } = {},
  opts: MemoryOptions = {},
): Promise<MemoryRun> {
  const client = new TlsClient(hooks.client ? { ...clientCfg, hooks: hooks.client } : clientCfg);
  const server = new TlsServer(hooks.server ? { ...serverCfg, hooks: hooks.server } : serverCfg);
  const provenance: { kind: 'generated'; seed?: number; plan?: string } = { kind: 'generated' };
  if (opts.seed !== undefined) provenance.seed = opts.seed;
  if (opts.plan !== undefined) provenance.plan = opts.plan;
  const builder = new TranscriptBuilder(provenance);
  const received = { client: [] as Uint8Array[], server: [] as Uint8Array[] };

  const record = (dir: Direction, recs: readonly WireRecord[]) => {
    for (const r of recs)
      builder.addRecord(
        r.plaintext ? { dir, raw: r.raw, plaintext: r.plaintext, ...(r.epoch ? { epoch: r.epoch } : {}) } : { dir, raw: r.raw },
      );
  };
  /** Deliver records until both directions are quiet. */
  const pump = async (toServer: WireRecord[], toClient: WireRecord[]) => {
    let rounds = 0;
    const max = opts.maxRounds ?? 64;
    while ((toServer.length || toClient.length) && rounds++ < max) {
      if (toServer.length) {
        record('C->S', toServer);
        const bytes = concatBytes(toServer.map((r) => r.raw));
        toServer = [];
        if (!server.terminal) {
          const res = await server.receive(bytes);
          received.server.push(...res.appData);
          toClient.push(...res.send);
        }
      }
      if (toClient.length) {
        record('S->C', toClient);
        const bytes = concatBytes(toClient.map((r) => r.raw));
        toClient = [];
        if (!client.terminal) {
          const res = await client.receive(bytes);
          received.client.push(...res.appData);
          toServer.push(...res.send);
        }
      }
    }
  };

  await pump((await client.start()).send, (await server.start()).send);
  if (client.connected && server.connected) {
    if (opts.appData?.client) await pump(await client.sendApplicationData(opts.appData.client), []);
    if (opts.appData?.server && server.connected) await pump([], await server.sendApplicationData(opts.appData.server));
    for (const ku of opts.keyUpdates ?? []) {
      const ep = ku.side === 'client' ? client : server;
      if (!ep.connected) break;
      const recs = await ep.keyUpdate(ku.requestUpdate);
      recs.push(...(await ep.sendApplicationData(ku.data ?? Uint8Array.of(0x6b, 0x75))));
      if (ku.side === 'client') await pump(recs, []);
      else await pump([], recs);
    }
    for (const [i, by] of (opts.renegotiations ?? []).entries()) {
      if (!client.connected || !server.connected) break;
      if (by === 'client') await pump(await client.renegotiate(), []);
      else await pump([], await server.requestRenegotiation());
      const data = new TextEncoder().encode(`renegotiated ${i + 1}`);
      if (client.connected) await pump(await client.sendApplicationData(data), []);
      if (server.connected) await pump([], await server.sendApplicationData(data));
    }
    for (let i = 0; i < (opts.postHandshakeAuths ?? 0) && client.connected && server.connected; i++)
      await pump([], await server.requestPostHandshakeAuth());
    if (opts.closeNotify) {
      // Each side answers the other's close_notify with its own (RFC 5246 §7.2.1).
      const open = (e: TlsClient | TlsServer) => e.outcome.kind === 'connected' || e.outcome.kind === 'closed';
      if (open(client)) await pump(await client.close(), []);
      if (open(server)) await pump([], await server.close());
    }
  }

  const keylog = formatKeyLog(client.keylog.length ? client.keylog : server.keylog)
    .split('\n')
    .filter((l) => l !== '');
  // One entry per group and handshake (a TLS 1.2 renegotiation makes new keys; its entries name the handshake's
  // client random): the client's last key pair of the group, the server's first.
  const ephemeral: EphemeralKeys[] = [];
  type Pair = { group: string; privateKey: Uint8Array };
  const handshakeOf = (kp: Pair) => {
    const ep =
      client.ephemeral.some((k) => k === kp) ||
      client.ephemeralDh.some((k) => k === kp) ||
      client.ephemeralKem.some((k) => k === kp)
        ? client
        : server;
    return ep.keyPairHandshake(kp as Parameters<TlsClient['keyPairHandshake']>[0]);
  };
  const entries = (ck: readonly Pair[], sk: readonly Pair[], code: (group: string) => number): EphemeralKeys[] => {
    const out: EphemeralKeys[] = [];
    const keyOf = (k: Pair) => `${handshakeOf(k).index}/${k.group}`;
    for (const key of new Set([...ck, ...sk].map(keyOf))) {
      const c = ck.filter((k) => keyOf(k) === key).at(-1);
      const sv = sk.find((k) => keyOf(k) === key);
      const any = (c ?? sv) as Pair;
      const e: EphemeralKeys = { group: code(any.group) };
      if (c) e.clientPrivate = c.privateKey;
      if (sv) e.serverPrivate = sv.privateKey;
      const h = handshakeOf(any);
      if (h.index > 0 && h.clientRandom) e.clientRandom = h.clientRandom;
      out.push(e);
    }
    return out;
  };
  ephemeral.push(...entries(client.ephemeral, server.ephemeral, (g) => ecdhGroupCodes[g as EcdhGroup]));
  // TLS 1.3 ML-KEM groups (crypto/kem): the client's decapsulation key, the server's m || ECDH private key
  ephemeral.push(...entries(client.ephemeralKem, server.ephemeralKem, (g) => KEM_GROUPS[g as KemGroupName].code));
  // Finite-field DH (TLS 1.2 DHE): listed first, as the oracles take the first entry for an unnamed DH group.
  ephemeral.unshift(...entries(client.ephemeralDh, server.ephemeralDh, (g) => ffdheParams(g as FfdheGroup).code));
  // the external PSKs both sides were given (a PSK is in no key log): the oracles recompute the PSK key schedules
  const psks: PresharedKey[] = [];
  for (const k of [...(clientCfg.psk ? [clientCfg.psk] : []), ...(serverCfg.psks ?? [])])
    if (!psks.some((x) => x.identity.join() === k.identity.join()))
      psks.push(k.hash ? { ...k } : { identity: k.identity, key: k.key });
  const secrets: TranscriptSecrets = { keylog, ephemeral };
  if (psks.length) secrets.psks = psks;
  const transcript = builder.finish({ client: 'memory:client', server: 'memory:server', secrets });
  return { transcript, clientOutcome: client.outcome, serverOutcome: server.outcome, client, server, received };
}
