/**
 * Our engine against a real peer over TCP on loopback: run the client or the
 * server (engine/socket), then turn what crossed the socket into a
 * Transcript. Both directions are split into records and opened with the
 * key log our endpoint wrote (capture/decrypt), so every message, Finished
 * included, is readable by the oracles.
 */
import type { Socket } from 'node:net';
import { ConnectionDecryptor, KeyStore } from '../capture/decrypt';
import { type CryptoProvider, ecdhGroupCodes, ffdheParams, formatKeyLog, KEM_GROUPS, nodeProvider } from '../crypto';
import { TlsClient } from '../engine/client';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { TlsServer } from '../engine/server';
import {
  runClientOverSocket,
  runServerOverSocket,
  type SocketEnd,
  type SocketRun,
  type SocketRunOptions,
} from '../engine/socket';
import { describeOutcome } from '../engine/types';
import { checkTranscript } from '../oracles/evaluate';
import type { Verdict } from '../oracles/rule';
import { TranscriptBuilder } from '../transcript/build';
import type { Direction, EphemeralKeys, Transcript } from '../transcript/model';
import { RecordStream } from '../wire/record';
import { alertDescriptions, alertLevels, nameOf } from '../wire/registry';

/** The address every live conversation uses unless the user allows another (--allow-remote). */
export const LOOPBACK = '127.0.0.1';

export interface LiveRun {
  run: SocketRun;
  transcript: Transcript;
  /** Key log lines (NSS format) of this connection, as our endpoint wrote them. */
  keylog: string[];
  /** Application data received, concatenated and decoded as UTF-8 (latin1-safe for tests). */
  receivedText: string;
  endpoint: TlsClient | TlsServer;
}

/** Build the transcript of a socket run (see the header). */
export async function transcriptOfRun(
  run: SocketRun,
  endpoint: TlsClient | TlsServer,
  role: 'client' | 'server',
  target: string,
  provider: CryptoProvider = nodeProvider(),
): Promise<{ transcript: Transcript; keylog: string[] }> {
  const keylog = formatKeyLog(endpoint.keylog)
    .split('\n')
    .filter((l) => l !== '');
  const keys = new KeyStore();
  keys.add(endpoint.keylog);
  const decryptor = new ConnectionDecryptor(provider, keys);
  const builder = new TranscriptBuilder({ kind: 'live', target, role });
  const streams: Record<Direction, RecordStream> = { 'C->S': new RecordStream(), 'S->C': new RecordStream() };
  for (const r of run.records) {
    const dir: Direction = (r.dir === 'sent') === (role === 'client') ? 'C->S' : 'S->C';
    for (const rec of streams[dir].push(r.raw)) {
      const opened = await decryptor.open(dir, rec.contentType, rec.version, rec.fragment);
      if (opened.kind === 'decrypted')
        builder.addRecord({
          dir,
          raw: rec.raw,
          plaintext: { contentType: opened.contentType, fragment: opened.fragment },
          epoch: opened.epoch,
        });
      else if (opened.kind === 'unreadable' && opened.epoch) builder.addRecord({ dir, raw: rec.raw, epoch: opened.epoch });
      else builder.addRecord({ dir, raw: rec.raw });
    }
  }
  const ephemeral: EphemeralKeys[] = [];
  for (const k of endpoint.ephemeral) {
    const e: EphemeralKeys = { group: ecdhGroupCodes[k.group] };
    if (role === 'client') e.clientPrivate = k.privateKey;
    else e.serverPrivate = k.privateKey;
    // a TLS 1.2 renegotiation's keys name its handshake (the oracles judge each handshake on its own)
    const h = endpoint.keyPairHandshake(k);
    if (h.index > 0 && h.clientRandom) e.clientRandom = h.clientRandom;
    ephemeral.push(e);
  }
  // TLS 1.3 ML-KEM groups (crypto/kem): our client's decapsulation key, or our server's m || ECDH private key (the
  // oracles recompute the server's encapsulation, mlkem.ciphertext-encapsulates), as in memory (engine/memory.ts)
  for (const k of endpoint.ephemeralKem) {
    const e: EphemeralKeys = { group: KEM_GROUPS[k.group].code };
    if (role === 'client') e.clientPrivate = k.privateKey;
    else e.serverPrivate = k.privateKey;
    ephemeral.push(e);
  }
  // finite-field DH (TLS 1.2 DHE_RSA, DHE_PSK): listed first, as the oracles take the first entry for an unnamed DH group
  for (const k of endpoint.ephemeralDh) {
    const e: EphemeralKeys = { group: ffdheParams(k.group).code };
    if (role === 'client') e.clientPrivate = k.privateKey;
    else e.serverPrivate = k.privateKey;
    const h = endpoint.keyPairHandshake(k);
    if (h.index > 0 && h.clientRandom) e.clientRandom = h.clientRandom;
    ephemeral.unshift(e);
  }
  const ends = role === 'client' ? { client: 'tlsprop', server: target } : { client: target, server: 'tlsprop' };
  const transcript = builder.finish({ ...ends, secrets: { keylog, ephemeral } });
  return { transcript, keylog };
}

function textOf(chunks: readonly Uint8Array[]): string {
  return Buffer.concat(chunks.map((c) => Buffer.from(c))).toString('latin1');
}

/** Our client to 127.0.0.1:port (or host:port), one handshake, optional application data. */
export async function runOurClient(
  config: ClientConfig,
  port: number,
  opts: SocketRunOptions & { host?: string } = {},
): Promise<LiveRun> {
  const { host: given, ...socketOpts } = opts;
  const host = given ?? LOOPBACK;
  const client = new TlsClient(config);
  const run = await runClientOverSocket(client, host, port, { ...socketOpts, readTimeoutMs: opts.readTimeoutMs ?? 8000 });
  const { transcript, keylog } = await transcriptOfRun(run, client, 'client', `${host}:${port}`, config.provider);
  return { run, transcript, keylog, receivedText: textOf(run.received), endpoint: client };
}

/** Our server on an accepted socket, one handshake, optional application data. */
export async function runOurServer(config: ServerConfig, socket: Socket, opts: SocketRunOptions = {}): Promise<LiveRun> {
  const server = new TlsServer(config);
  const target = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
  const run = await runServerOverSocket(server, socket, { ...opts, readTimeoutMs: opts.readTimeoutMs ?? 8000 });
  const { transcript, keylog } = await transcriptOfRun(run, server, 'server', target, config.provider);
  return { run, transcript, keylog, receivedText: textOf(run.received), endpoint: server };
}

/** `C->S: client_hello` lines of a transcript, in order (application data and alerts, by name, included). */
export function flowLines(t: Transcript): string[] {
  return t.messages.map((m) => {
    if (m.kind === 'alert' && m.alert)
      return `${m.dir}: alert ${nameOf(alertLevels, m.alert.level, 1)} ${nameOf(alertDescriptions, m.alert.description, 1)}`;
    if (m.kind === 'application_data' && m.raw) return `${m.dir}: application_data (${m.raw.length} bytes)`;
    return `${m.dir}: ${m.type}`;
  });
}

/** The handshake flow only: handshake messages and ChangeCipherSpec, as `dir type`. */
export function handshakeFlow(t: Transcript): string[] {
  return t.messages.filter((m) => m.kind === 'handshake' || m.kind === 'change_cipher_spec').map((m) => `${m.dir} ${m.type}`);
}

/** One line for a socket end: how the run ended and the endpoint's outcome. */
export function describeEnd(end: SocketEnd): string {
  switch (end.kind) {
    case 'done':
      return describeOutcome(end.outcome);
    case 'closed':
      return `peer closed the connection; ${describeOutcome(end.outcome)}`;
    case 'reset':
      return `connection reset (${end.error}); ${describeOutcome(end.outcome)}`;
    case 'timed_out':
      return `timed out after ${end.afterMs} ms; ${describeOutcome(end.outcome)}`;
  }
}

/** Run every rule over the transcript; return the violations (and the verdicts). */
export async function violationsOf(
  t: Transcript,
  trustAnchors: readonly Uint8Array[],
): Promise<{ violations: Verdict[]; verdicts: Verdict[] }> {
  const { verdicts } = await checkTranscript(t, { trustAnchors, judgeReactions: false });
  return { violations: verdicts.filter((v) => v.status === 'violation'), verdicts };
}

/** Short text of violations for test failure messages. */
export function formatVerdicts(vs: readonly Verdict[]): string {
  return vs.map((v) => `${v.rule}${v.message !== undefined ? ` @${v.message}` : ''}: ${v.detail}`).join('\n');
}
