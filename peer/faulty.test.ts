/**
 * The faulty target over real sockets on 127.0.0.1: the faulty server lets
 * our tampering client through where a healthy one refuses it, closes every
 * socket on close(); `tlsprop connect --fault` is a faulty client.
 */
import { connect } from 'node:net';
import { nodeProvider } from '../crypto';
import type { ClientConfig } from '../engine/config';
import { SERVER_NAME, type TestPki, testPki } from '../engine/fixtures';
import type { EngineHooks } from '../engine/hooks';
import { CipherSuite13 } from '../engine/suites';
import { onceOn, flipLast } from '../generators/mutations/support';
import { tlsprop } from '../spec/support/cli';
import { AlertDescription } from '../wire/registry';
import { startFaultyServer } from './faulty';
import { LoopbackListener, portAccepts } from './launch';
import { runOurClient, runOurServer } from './live';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const dropCv = (): EngineHooks => ({ beforeSend: (m) => (m.type === 'certificate_verify' ? [] : undefined) });

describe('faulty server', () => {
  it.each([
    ['1.2', 0x0303],
    ['1.3', 0x0304],
  ])(
    'TLS %s accept-missing-cv: our client without CertificateVerify completes; a healthy server refuses it',
    async (_v, version) => {
      const common = {
        identity: pki.identity('server', 'rsa'),
        versions: [version],
        clientAuth: 'require' as const,
        trustAnchors: pki.anchors,
      };
      const faulty = await startFaultyServer({ ...common, faults: ['accept-missing-cv'] });
      const healthy = await startFaultyServer({ ...common, faults: [] });
      try {
        const cfg: ClientConfig = {
          provider: p,
          versions: [version],
          serverName: SERVER_NAME,
          trustAnchors: pki.anchors,
          identity: pki.identity('client', 'rsa'),
          hooks: dropCv(),
        };
        const ok = await runOurClient(cfg, faulty.port, { appData: new TextEncoder().encode('ping\n') });
        expect(ok.run.end.outcome.kind).toBe('connected');
        expect(ok.receivedText).toBe('tlsprop faulty server\n');
        const refused = await runOurClient({ ...cfg, hooks: dropCv() }, healthy.port, {
          appData: new TextEncoder().encode('ping\n'),
        });
        expect(refused.run.end.outcome).toMatchObject({
          kind: 'alert_received',
          alert: { description: AlertDescription.unexpected_message },
        });
      } finally {
        await faulty.close();
        await healthy.close();
      }
      expect(faulty.errors).toEqual([]);
      expect(faulty.connections.map((c) => c.server.outcome.kind)).toEqual(['connected']);
      expect(healthy.connections.map((c) => c.server.outcome.kind)).toEqual(['alert_sent']);
    },
  );

  it('close() ends idle connections and stops listening', async () => {
    const s = await startFaultyServer({ identity: pki.identity('server', 'rsa'), faults: ['skip-finished-check'] });
    const sock = connect({ host: s.host, port: s.port });
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('error', () => undefined);
    await s.close();
    await closed;
    expect(await portAccepts(s.port)).toBe(false);
    expect(s.connections).toHaveLength(1);
    expect(s.connections[0]!.run.end.kind).not.toBe('done');
  });
});

describe('faulty client: tlsprop connect --fault', () => {
  /** Our server on a loopback port with its Finished tampered with; the CLI client connects to it. */
  async function againstBadFinished(args: string[]) {
    const listener = await LoopbackListener.open();
    try {
      const hooks = onceOn('finished', (raw) => [flipLast(raw)]);
      const serverRun = listener.accept(10_000).then((socket) =>
        runOurServer(
          {
            provider: p,
            versions: [0x0304],
            cipherSuites: [CipherSuite13.TLS_AES_128_GCM_SHA256],
            identity: pki.identity('server', 'rsa'),
            hooks,
          },
          socket,
          { appData: new TextEncoder().encode('pong\n') },
        ),
      );
      const cli = await tlsprop(['connect', `127.0.0.1:${listener.port}`, '--version', '1.3', '--timeout', '5000', ...args]);
      const server = await serverRun;
      return { cli, server };
    } finally {
      await listener.close();
    }
  }

  it('completes against a server with a wrong Finished only with --fault skip-finished-check', async () => {
    const faulty = await againstBadFinished(['--fault', 'skip-finished-check,accept-early-ccs']);
    expect(faulty.cli.code).toBe(0);
    expect(faulty.cli.err.join('\n')).toContain('faulty client (test only): skip-finished-check, accept-early-ccs');
    expect(faulty.server.run.end.outcome.kind).toBe('connected');
    const healthy = await againstBadFinished([]);
    expect(healthy.cli.code).toBe(1);
    expect(healthy.cli.out.join('\n')).toMatch(/handshake failed/);
    expect(healthy.server.run.end.outcome).toMatchObject({
      kind: 'alert_received',
      alert: { description: AlertDescription.decrypt_error },
    });
  });

  it('refuses unknown and server-only faults as usage errors', async () => {
    const unknown = await tlsprop(['connect', '127.0.0.1:9', '--fault', 'no-such-fault']);
    expect(unknown.code).toBe(2);
    expect(unknown.err.join('\n')).toMatch(/unknown fault/);
    const serverOnly = await tlsprop(['connect', '127.0.0.1:9', '--fault', 'accept-missing-cv']);
    expect(serverOnly.code).toBe(2);
    expect(serverOnly.err.join('\n')).toMatch(/exist only in servers/);
  });
});
