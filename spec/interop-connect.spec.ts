/** `tlsprop connect` against openssl s_server on 127.0.0.1. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tlsprop } from './support/cli';
import { parseKeyLog } from '../crypto';
import { freePort, PeerGroup, requireBinary } from '../testing/launch';
import { opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';

let files: PkiFiles;
const group = new PeerGroup();

beforeAll(async () => {
  requireBinary('openssl', 'openssl');
  files = await writePki();
});
afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

describe('tlsprop connect', () => {
  it('mutual TLS 1.2 with the reference suite: flow printed, echo received, key log written, exit 0', async () => {
    const port = await freePort();
    const server = await group.launch(
      opensslServer({ port, files, key: 'rsa', version: '1.2', cipher: 'ECDHE-RSA-AES256-SHA384', clientAuth: true }),
    );
    const keylog = join(files.dir, 'connect.keylog');
    const r = await tlsprop([
      'connect',
      `127.0.0.1:${port}`,
      '--version',
      '1.2',
      '--suite',
      'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
      '--group',
      'P-256',
      '--cert',
      files.client.rsa.cert,
      '--key',
      files.client.rsa.key,
      '--ca',
      files.ca,
      '--servername',
      'localhost',
      '--keylog',
      keylog,
      '--timeout',
      '8000',
      '--data',
      'abc',
    ]);
    await server.stop();
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.slice(0, 11)).toEqual([
      'C->S: client_hello',
      'S->C: server_hello',
      'S->C: certificate',
      'S->C: server_key_exchange',
      'S->C: certificate_request',
      'S->C: server_hello_done',
      'C->S: certificate',
      'C->S: client_key_exchange',
      'C->S: certificate_verify',
      'C->S: change_cipher_spec',
      'C->S: finished',
    ]);
    expect(r.out).toContain('handshake completed: TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 group 0x0017');
    expect(r.out).toContain('received "cba\\n"');
    expect(parseKeyLog(readFileSync(keylog, 'utf8')).map((e) => e.label)).toEqual(['CLIENT_RANDOM']);
  });

  it('TLS 1.3 one-way: exit 0', async () => {
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'ecdsa', version: '1.3' }));
    const r = await tlsprop([
      'connect',
      `localhost:${port}`,
      '--version',
      '1.3',
      '--ca',
      files.ca,
      '--servername',
      'server.tlsprop.test',
    ]);
    await server.stop();
    expect(r.code).toBe(0);
    expect(r.out).toContain('S->C: encrypted_extensions');
    expect(r.out.some((l) => l.startsWith('handshake completed: TLS 1.3'))).toBe(true);
  });

  it('a failed handshake exits 1 with the outcome (alert received)', async () => {
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'rsa', version: '1.2' }));
    const r = await tlsprop(['connect', `127.0.0.1:${port}`, '--version', '1.3', '--timeout', '5000']);
    await server.stop();
    expect(r.code).toBe(1);
    expect(r.out.at(-1)).toMatch(/^handshake failed: received alert 70/);
  });

  it('a closed port exits 1 (reset); a silent peer exits 1 (timed out)', async () => {
    const closed = await tlsprop(['connect', `127.0.0.1:${await freePort()}`]);
    expect(closed.code).toBe(1);
    expect(closed.out.at(-1)).toMatch(/^handshake failed: connection reset/);
    const net = await import('node:net');
    const conns: import('node:net').Socket[] = [];
    const silent = net.createServer((s) => {
      conns.push(s);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const a = silent.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    const timed = await tlsprop(['connect', `127.0.0.1:${port}`, '--timeout', '300']);
    for (const c of conns) c.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
    expect(timed.code).toBe(1);
    expect(timed.out.at(-1)).toMatch(/^handshake failed: timed out after 300 ms/);
  });

  it.each([
    [['connect'], /usage/],
    [['connect', 'nohostport'], /HOST:PORT/],
    [['connect', '192.0.2.1:443'], /not a loopback address/],
    [['connect', '127.0.0.1:443', '--version', '1.1'], /--version/],
    [['connect', '127.0.0.1:443', '--suite', 'TLS_NOPE'], /unknown cipher suite/],
    [['connect', '127.0.0.1:443', '--group', 'ffdhe9'], /unknown group/],
    [['connect', '127.0.0.1:443', '--cert', 'x.pem'], /--cert and --key/],
    [['connect', '127.0.0.1:443', '--timeout', 'soon'], /--timeout/],
  ])('usage error %j exits 2', async (args, message) => {
    const r = await tlsprop(args);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(message);
  });

  it('leaves no child process running', async () => {
    await group.stopAll();
    expect(group.running()).toEqual([]);
  });
});
