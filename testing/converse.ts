/**
 * A scripted conversation of our client or server with a real peer over
 * TCP on loopback, for the interop feature rows: handshake, one exchange of
 * application data, optionally a TLS 1.3 KeyUpdate (ours, with
 * update_requested) followed by a second exchange under the new keys, then
 * close_notify (OpenSSL forgets a session whose connection was not shut down
 * properly, RFC 5246 §7.2.1, so session-ID resumption needs it). Every wait
 * has a deadline; the result says which step was not reached. The records
 * are turned into a Transcript as fuzz/live does for one-shot runs.
 */
import { connect, type Socket } from 'node:net';
import type { CryptoProvider } from '../crypto';
import { TlsClient } from '../engine/client';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { TlsServer } from '../engine/server';
import { type SocketRun, SocketReader } from '../engine/socket';
import type { WireRecord } from '../engine/types';
import { AlertDescription } from '../wire/registry';
import { LOOPBACK } from './launch';
import { type LiveRun, transcriptOfRun } from '../fuzz/live';

export interface Exchange {
  /** Application data we send once this step starts. */
  send: Uint8Array;
  /** Called right after our data went out (e.g. write a line to the peer's stdin); awaited before reading on. */
  trigger?: () => void | Promise<void>;
  /** The step is done when the received text (all of it, latin1) contains this. */
  expect: string;
}

export interface ConversationScript {
  first: Exchange;
  /** After `first`: our KeyUpdate(update_requested), then this exchange; it also waits for the peer's KeyUpdate. */
  keyUpdate?: Exchange;
  /**
   * After `first` (and the KeyUpdate): a TLS 1.2 renegotiation, started by us (`us`: our client renegotiates, our
   * server sends a HelloRequest) or by the peer (`peer`: `start` makes it, e.g. a command on its stdin, or a line it
   * is given to send). It is done when the engine counts one more renegotiation or, with `refused`, when the
   * no_renegotiation warning was received (our client) or sent (our server); then `after` runs (under the new keys
   * when it was not refused).
   */
  renegotiation?: {
    by: 'us' | 'peer';
    start?: (sendData: (data: Uint8Array) => Promise<void>) => void | Promise<void>;
    refused?: boolean;
    after?: Exchange;
  };
  /**
   * After `first` (and the renegotiation): a TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2), asked for
   * by our server (`us`) or by the peer (`peer`: `start` makes it, e.g. a command on its stdin); done when the engine
   * counts one more; then `after` runs.
   */
  postHandshakeAuth?: { by: 'us' | 'peer'; start?: () => void | Promise<void>; after?: Exchange };
  /** Send close_notify at the end and give the peer a moment to answer (default true). */
  closeNotify?: boolean;
  /** Deadline of each step, in ms (default 8000). */
  stepTimeoutMs?: number;
}

export interface Conversation extends LiveRun {
  /** The first step not reached ('' when the script ran to its end). */
  failedStep:
    | ''
    | 'handshake'
    | 'first exchange'
    | 'key update exchange'
    | 'renegotiation'
    | 'renegotiation exchange'
    | 'post-handshake authentication'
    | 'post-handshake authentication exchange';
}

async function converse(
  endpoint: TlsClient | TlsServer,
  socket: Socket,
  script: ConversationScript,
): Promise<{ run: SocketRun; failedStep: Conversation['failedStep'] }> {
  const inbox = new SocketReader(socket);
  const run: SocketRun = { end: { kind: 'done', outcome: endpoint.outcome }, records: [], received: [] };
  const send = (recs: readonly WireRecord[]) => {
    for (const r of recs)
      run.records.push(r.plaintext ? { dir: 'sent', raw: r.raw, plaintext: r.plaintext } : { dir: 'sent', raw: r.raw });
    // One write per flight, as TLS stacks do (OpenSSL's s_client sends its dummy CCS and ClientHello2 in one segment too).
    if (recs.length && !socket.destroyed) socket.write(Buffer.concat(recs.map((r) => r.raw)));
  };
  const text = () => Buffer.concat(run.received.map((c) => Buffer.from(c))).toString('latin1');
  const stepMs = script.stepTimeoutMs ?? 8000;
  /** Feed what arrives to the endpoint until `done()` holds, the endpoint stops, the peer closes, or the deadline passes. */
  const pump = async (done: () => boolean, ms = stepMs): Promise<boolean> => {
    const until = Date.now() + ms;
    while (!done()) {
      if (endpoint.terminal) return false;
      const left = until - Date.now();
      if (left <= 0) return false;
      const got = await inbox.read(Math.min(left, 500));
      if (!(got instanceof Uint8Array)) {
        if (got.kind !== 'timed_out') return done();
        continue;
      }
      run.records.push({ dir: 'received', raw: got });
      const res = await endpoint.receive(got);
      run.received.push(...res.appData);
      send(res.send);
    }
    return true;
  };
  const finish = (failedStep: Conversation['failedStep']) => {
    run.end = { kind: 'done', outcome: endpoint.outcome };
    // end(), not destroy(): what we wrote last (close_notify) still goes out.
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
    return { run, failedStep };
  };
  const exchange = async (x: Exchange, also: () => boolean = () => true) => {
    send(await endpoint.sendApplicationData(x.send));
    await x.trigger?.();
    return pump(() => text().includes(x.expect) && also());
  };

  send((await endpoint.start()).send);
  if (!(await pump(() => endpoint.connected))) return finish('handshake');
  if (!(await exchange(script.first))) return finish('first exchange');
  if (script.keyUpdate) {
    const before = endpoint.keyUpdates.received;
    send(await endpoint.keyUpdate(true));
    if (!(await exchange(script.keyUpdate, () => endpoint.keyUpdates.received > before))) return finish('key update exchange');
  }
  if (script.renegotiation) {
    const before = endpoint.renegotiations;
    const r = script.renegotiation;
    if (r.by === 'us') send(endpoint instanceof TlsClient ? await endpoint.renegotiate() : await endpoint.requestRenegotiation());
    else await r.start?.(async (data) => send(await endpoint.sendApplicationData(data)));
    const refusal = (list: readonly { description: number }[]) =>
      list.some((a) => a.description === AlertDescription.no_renegotiation);
    const done = r.refused
      ? () => refusal(endpoint instanceof TlsClient ? endpoint.warningsReceived : endpoint.warningsSent)
      : () => endpoint.renegotiations > before;
    if (!(await pump(done))) return finish('renegotiation');
    if (r.after && !(await exchange(r.after))) return finish('renegotiation exchange');
  }
  if (script.postHandshakeAuth) {
    const before = endpoint.postHandshakeAuths;
    const a = script.postHandshakeAuth;
    if (a.by === 'us' && endpoint instanceof TlsServer) send(await endpoint.requestPostHandshakeAuth());
    else await a.start?.();
    if (!(await pump(() => endpoint.postHandshakeAuths > before))) return finish('post-handshake authentication');
    if (a.after && !(await exchange(a.after))) return finish('post-handshake authentication exchange');
  }
  if (script.closeNotify ?? true) {
    send(await endpoint.close());
    // The peer's close_notify (or its FIN) ends the connection; a peer that sends neither is not waited for long.
    await pump(() => inbox.ended || endpoint.terminal, 300);
  }
  return finish('');
}

async function liveOf(
  endpoint: TlsClient | TlsServer,
  role: 'client' | 'server',
  target: string,
  provider: CryptoProvider | undefined,
  r: { run: SocketRun; failedStep: Conversation['failedStep'] },
): Promise<Conversation> {
  const { transcript, keylog } = await transcriptOfRun(r.run, endpoint, role, target, provider);
  const receivedText = Buffer.concat(r.run.received.map((c) => Buffer.from(c))).toString('latin1');
  return { run: r.run, transcript, keylog, receivedText, endpoint, failedStep: r.failedStep };
}

/** Our client to 127.0.0.1:port, running the script. */
export async function clientConversation(config: ClientConfig, port: number, script: ConversationScript): Promise<Conversation> {
  const client = new TlsClient(config);
  const socket = connect({ host: LOOPBACK, port });
  const err = await new Promise<string | undefined>((resolve) => {
    socket.once('connect', () => resolve(undefined));
    socket.once('error', (e) => resolve(e.message));
  });
  const target = `${LOOPBACK}:${port}`;
  if (err !== undefined)
    return liveOf(client, 'client', target, config.provider, {
      run: { end: { kind: 'reset', error: err, outcome: client.outcome }, records: [], received: [] },
      failedStep: 'handshake',
    });
  return liveOf(client, 'client', target, config.provider, await converse(client, socket, script));
}

/** Our server on an accepted socket, running the script. */
export async function serverConversation(
  config: ServerConfig,
  socket: Socket,
  script: ConversationScript,
): Promise<Conversation> {
  const server = new TlsServer(config);
  const target = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
  return liveOf(server, 'server', target, config.provider, await converse(server, socket, script));
}
