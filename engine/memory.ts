/**
 * Run a client and a server against each other in memory: shuttle records
 * between them, feed every record (with the sender's plaintext for protected
 * ones) into a TranscriptBuilder, and attach the key log and both ephemeral
 * private keys to the Transcript.
 */
import { formatKeyLog } from '../crypto';
import { TranscriptBuilder } from '../transcript/build';
import type { Direction, EphemeralKeys, Transcript } from '../transcript/model';
import { concatBytes } from '../wire/hex';
import { ecdhGroupCodes, ffdheParams } from '../crypto';
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
    for (const r of recs) builder.addRecord(r.plaintext ? { dir, raw: r.raw, plaintext: r.plaintext } : { dir, raw: r.raw });
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
  const ephemeral: EphemeralKeys[] = [];
  const groups = new Set([...client.ephemeral, ...server.ephemeral].map((k) => k.group));
  for (const g of groups) {
    const e: EphemeralKeys = { group: ecdhGroupCodes[g] };
    const c = client.ephemeral.filter((k) => k.group === g).at(-1);
    const s = server.ephemeral.find((k) => k.group === g);
    if (c) e.clientPrivate = c.privateKey;
    if (s) e.serverPrivate = s.privateKey;
    ephemeral.push(e);
  }
  // Finite-field DH (TLS 1.2 DHE): listed first, as the oracles take the first entry for an unnamed DH group.
  for (const g of new Set([...client.ephemeralDh, ...server.ephemeralDh].map((k) => k.group))) {
    const e: EphemeralKeys = { group: ffdheParams(g).code };
    const c = client.ephemeralDh.filter((k) => k.group === g).at(-1);
    const s = server.ephemeralDh.find((k) => k.group === g);
    if (c) e.clientPrivate = c.privateKey;
    if (s) e.serverPrivate = s.privateKey;
    ephemeral.unshift(e);
  }
  const transcript = builder.finish({ client: 'memory:client', server: 'memory:server', secrets: { keylog, ephemeral } });
  return { transcript, clientOutcome: client.outcome, serverOutcome: server.outcome, client, server, received };
}
