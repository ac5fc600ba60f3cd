/**
 * Live fuzzing (`peer/fuzz.ts`) against openssl s_server (TLS 1.2 and 1.3,
 * client certificates required) and against a deliberately faulty target:
 * our engine's TLS 1.3 server with a hook that replaces whatever client
 * Finished arrives by the one it expects, i.e. a server that skips the
 * Finished check. The fuzzer must find that as accepted-invalid on
 * t13.fin.verify-data.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { digest, nodeProvider } from '../crypto';
import { finished13 } from '../crypto/tls13';
import type { EngineHooks } from '../engine/hooks';
import { runServerOverSocket } from '../engine/socket';
import { TlsServer } from '../engine/server';
import { hash13, hsMessage, suiteOfServerHello } from '../generators/mutations/support';
import { type FuzzResult, fuzzTarget, ladderText } from '../peer/fuzz';
import { freePort, LOOPBACK, PeerGroup, requireBinary } from '../peer/launch';
import { opensslServer } from '../peer/peers';
import { type PkiFiles, writePki } from '../peer/pki';
import { tlsprop } from './support/cli';
import { recordFragment, runDir } from '../reports/collect';
import { concatBytes } from '../wire/hex';

let files: PkiFiles;
const group = new PeerGroup();

beforeAll(async () => {
  requireBinary('openssl', 'openssl');
  files = await writePki();
});
afterAll(async () => {
  await group.stopAll();
  expect(group.running()).toEqual([]);
  files?.cleanup();
});

/** A TLS 1.3 engine server that never checks the client Finished (it swaps in the expected one). */
async function faultyServer(pki: PkiFiles['pki']): Promise<{ port: number; close: () => Promise<void> }> {
  const provider = nodeProvider();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const raws: Uint8Array[] = [];
    let tls: TlsServer | undefined;
    const hooks: EngineHooks = {
      beforeSend: (m) => {
        if (m.kind === 'handshake') raws.push(m.raw);
        return undefined;
      },
      beforeProcess: async (m) => {
        if (m.type !== 'finished' || !tls) {
          raws.push(m.raw);
          return undefined;
        }
        const secret = tls.keylog.find((e) => e.label === 'CLIENT_HANDSHAKE_TRAFFIC_SECRET')?.secret;
        const sh = raws[1];
        if (!secret || !sh) return undefined;
        const h = hash13(suiteOfServerHello(sh));
        const expected = hsMessage(20, await finished13(provider, h, secret, await digest(provider, h, concatBytes(raws))));
        raws.push(expected);
        return [expected];
      },
    };
    tls = new TlsServer({ provider, versions: [0x0304], identity: pki.identity('server', 'rsa'), hooks });
    void runServerOverSocket(tls, socket, { readTimeoutMs: 3000, totalTimeoutMs: 8000, appData: new TextEncoder().encode('ok\n') }).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, () => resolve()));
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}


describe('tlsprop fuzz against a live target', () => {
  it('openssl s_server (TLS 1.2 + 1.3, client certificates required): sanity ok, valid conversations conforming, mutants rejected', async () => {
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'rsa', clientAuth: true }));
    const progress: string[] = [];
    const r = await fuzzTarget({ host: LOOPBACK, port, seed: 7, count: 12, strictness: 'alert-or-close', pki: files.pki, identity: files.pki.identity('client', 'rsa'), trustAnchors: files.pki.anchors, serverName: 'localhost', onProgress: (l) => progress.push(l) });
    await server.stop();
    recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
    expect(r.sanity).toEqual({ first: true, last: true });
    expect(r.profile.suites['1.2'].length).toBeGreaterThan(0);
    expect(r.profile.suites['1.3'].length).toBeGreaterThan(0);
    expect(r.profile.certificateRequested).toBe(true);
    const valid = r.results.filter((x) => x.conversation.expect.kind === 'complete');
    const mutants = r.results.filter((x) => x.conversation.expect.kind === 'reject');
    expect(valid.length).toBeGreaterThan(0);
    expect(mutants.length).toBeGreaterThan(4);
    expect(new Set(valid.map((x) => x.conversation.version))).toEqual(new Set(['1.2', '1.3']));
    // openssl rejects every mutant (no accepted-invalid, no hang); what it sends is recorded in the report
    const bad = r.results.filter((x) => x.run.verdict !== 'conforming' && x.run.verdict !== 'wrong-alert');
    expect(bad.map((x) => ladderText(x.run).join('\n'))).toEqual([]);
    expect(r.results.filter((x) => x.run.verdict === 'accepted-invalid')).toEqual([]);
    expect(progress[0]).toMatch(/^probe: TLS 1\.3 \[TLS_AES_128_GCM_SHA256, .*\], TLS 1\.2 \[.*\], asks for a client certificate$/);
    expect(progress[1]).toBe('sanity first: conforming (handshake completed)');
    expect(progress.at(-1)).toBe('sanity last: conforming (handshake completed)');
    expect(progress.filter((l) => /^\[\d+\/12\] /.test(l))).toHaveLength(12);
  });

  it('a faulty server that skips the client Finished check: accepted-invalid on t13.fin.verify-data, valid handshakes conforming', async () => {
    const faulty = await faultyServer(files.pki);
    try {
      const r = await fuzzTarget({ host: LOOPBACK, port: faulty.port, seed: 3, count: 9, strictness: 'alert-or-close', pki: files.pki, trustAnchors: files.pki.anchors, serverName: 'localhost' });
      expect(r.sanity).toEqual({ first: true, last: true });
      expect(r.profile.suites['1.2']).toEqual([]);
      const fin = r.results.filter((x) => x.conversation.operator === 't13-client-finished-wrong');
      expect(fin.length).toBeGreaterThan(0);
      for (const x of fin) {
        expect(x.run.verdict).toBe('accepted-invalid');
        expect(x.run.rule).toBe('t13.fin.verify-data');
        expect(x.run.ladder).toContain('C->S: finished');
      }
      for (const x of r.results.filter((y) => y.conversation.expect.kind === 'complete')) expect(x.run.verdict).toBe('conforming');
    } finally {
      await faulty.close();
    }
  });

  it('finding: OpenSSL answers a TLS 1.2 ClientKeyExchange point at infinity with internal_error, not the catalogue\'s illegal_parameter', async () => {
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'rsa', version: '1.2' }));
    const base = { host: LOOPBACK, port, seed: 5, count: 3, pki: files.pki, trustAnchors: files.pki.anchors, serverName: 'localhost', operators: ['t12-cke-point-identity'] };
    const exact = await fuzzTarget({ ...base, strictness: 'exact' });
    const lax = await fuzzTarget({ ...base, strictness: 'any-abort' });
    await server.stop();
    const mutants = (r: FuzzResult) => r.results.filter((x) => x.conversation.operator === 't12-cke-point-identity');
    expect(mutants(exact).length).toBe(2);
    for (const x of mutants(exact)) {
      expect(x.alert).toBe('internal_error');
      expect(x.run.verdict).toBe('wrong-alert');
      expect(x.run.rule).toBe('ecdh.point-format');
    }
    for (const x of mutants(lax)) expect(x.run.verdict).toBe('conforming');
  });

  it('the CLI: table and exit 0 against openssl; exit 1 with the ladder against the faulty server; exit 2 on usage errors', async () => {
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'ecdsa', version: '1.3' }));
    const ok = await tlsprop(['fuzz', '--target', `127.0.0.1:${port}`, '--seed', '2', '--count', '4', '--ca', files.ca, '--servername', 'localhost']);
    await server.stop();
    expect(ok.err).toEqual([]);
    expect(ok.out.find((l) => l.startsWith('path'))).toMatch(/^path\s+verdict\s+alert\s+rule\s+time\s+conversation$/);
    expect(ok.out.at(-1)).toMatch(/^4 conversations in \d+ ms: 4 conforming; sanity first ok, last ok$/);
    expect(ok.code).toBe(0);

    const faulty = await faultyServer(files.pki);
    try {
      const bad = await tlsprop(['fuzz', '--target', `127.0.0.1:${faulty.port}`, '--seed', '3', '--count', '9', '--strictness', 'exact', '--json']);
      expect(bad.code).toBe(1);
      const j = JSON.parse(bad.out.join('\n')) as { ok: boolean; conversations: Array<{ verdict: string; rule?: string; ladder: string[] }> };
      expect(j.ok).toBe(false);
      expect(j.conversations.some((c) => c.verdict === 'accepted-invalid' && c.rule === 't13.fin.verify-data' && c.ladder.includes('C->S: finished'))).toBe(true);
      const text = await tlsprop(['fuzz', '--target', `localhost:${faulty.port}`, '--seed', '3', '--count', '9']);
      expect(text.code).toBe(1);
      expect(text.out.some((l) => /^t13-client-finished-wrong .*\[accepted-invalid t13\.fin\.verify-data\] replay: --seed 3/.test(l))).toBe(true);
    } finally {
      await faulty.close();
    }

    expect((await tlsprop(['fuzz', '--target', '192.0.2.1:443'])).code).toBe(2);
    expect((await tlsprop(['fuzz', '--target', '127.0.0.1:1', '--strictness', 'lenient'])).code).toBe(2);
    expect((await tlsprop(['fuzz'])).code).toBe(2);
  });

  it('no peer process is left running', () => {
    expect(group.running().map((p) => `${p.name} pid ${p.pid}`)).toEqual([]);
  });
});
