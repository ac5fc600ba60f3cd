/**
 * The built-in default target of `tlsprop run`: Node.js's own `tls` (the
 * OpenSSL inside Node), in this process on loopback, in both roles, so that
 * a fresh machine tests a real implementation with no configuration.
 *
 * - The server: `tls.createServer` with a certificate of the test PKI (for
 *   localhost and 127.0.0.1), TLS 1.2 and 1.3, Node's default suites and
 *   groups, client certificates required and validated against the test
 *   root (the mutual-TLS setting of the MQTT write-up, so the client
 *   certificate faults apply), echoing application data.
 * - The client: `tls.connect` per conversation, verifying our server's
 *   chain against the test root for `localhost`, presenting the test client
 *   certificate when asked, sending one line once connected and closing
 *   when the server answered; started by the client fuzzer through
 *   ClientTarget.launch instead of a command.
 */
import { createPrivateKey } from 'node:crypto';
import { connect as tlsConnect, createServer as tlsCreateServer, type TLSSocket } from 'node:tls';
import type { Identity } from '../engine/config';
import type { TestPki } from '../engine/fixtures';
import type { ClientCommandResult, LaunchedClient } from '../fuzz/clientcmd';
import { derToPem } from '../pki/pem';

export const NODE_SERVER_NAME = `node ${process.version} tls server`;
export const NODE_CLIENT_NAME = `node ${process.version} tls client`;

/** An identity as PEM: the chain (leaf first, without the self-signed root) and the PKCS#8 key. */
export function identityPem(id: Identity): { cert: string; key: string } {
  const chain = id.chain.length > 1 ? id.chain.slice(0, -1) : id.chain;
  const key = createPrivateKey({ key: Buffer.from(id.pkcs8), format: 'der', type: 'pkcs8' });
  return { cert: chain.map((d) => derToPem(d)).join(''), key: key.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

export interface NodeServer {
  host: string;
  port: number;
  /** Errors of failed handshakes (tlsClientError), newest last, at most 50. */
  errors: string[];
  close(): Promise<void>;
}

/** Node's tls server on 127.0.0.1, a free port (see the header). */
export async function startNodeServer(pki: TestPki): Promise<NodeServer> {
  const id = identityPem(pki.identity('server', 'rsa'));
  const errors: string[] = [];
  const sockets = new Set<TLSSocket>();
  const server = tlsCreateServer(
    {
      key: id.key,
      cert: id.cert,
      ca: pki.root.pem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
    },
    (socket) => {
      sockets.add(socket);
      socket.on('data', (d: Buffer) => socket.write(d));
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    },
  );
  server.on('tlsClientError', (e) => {
    errors.push(e.message);
    if (errors.length > 50) errors.shift();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    host: '127.0.0.1',
    port,
    errors,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Node's tls client for the client fuzzer: one `tls.connect` per conversation (see the header). */
export function nodeClientLauncher(pki: TestPki): (host: string, port: number) => LaunchedClient {
  const id = identityPem(pki.identity('client', 'rsa'));
  return (host, port) => {
    const t0 = Date.now();
    let error: string | undefined;
    let connected = false;
    let stopped = false;
    const socket = tlsConnect({
      host,
      port,
      servername: 'localhost',
      ca: pki.root.pem,
      key: id.key,
      cert: id.cert,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
    });
    socket.on('secureConnect', () => {
      connected = true;
      socket.write('tlsprop client fuzz\n');
    });
    // the server answered: this client is done (as `openssl s_client` reading one answer and quitting)
    socket.on('data', () => socket.end());
    socket.on('error', (e) => {
      error = e.message;
    });
    const done = new Promise<ClientCommandResult>((resolve) => {
      socket.once('close', () =>
        resolve({
          pid: process.pid,
          exitCode: stopped ? null : error === undefined && connected ? 0 : 1,
          signal: null,
          timedOut: false,
          stopped,
          killed: false,
          output: error ?? (connected ? 'connected' : 'closed before the handshake completed'),
          truncated: 0,
          ms: Date.now() - t0,
        }),
      );
    });
    return {
      done,
      finish: async (ms) => {
        let t: NodeJS.Timeout | undefined;
        const early = await Promise.race([
          done.then(() => true),
          new Promise<boolean>((r) => {
            t = setTimeout(() => r(false), ms);
          }),
        ]);
        clearTimeout(t);
        if (!early) {
          stopped = true;
          socket.destroy();
        }
        return done;
      },
    };
  };
}
