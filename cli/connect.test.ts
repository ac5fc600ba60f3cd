/**
 * `tlsprop connect`: `--fault` makes a deliberately faulty client, against our server on a loopback port with its
 * Finished tampered with.
 */
import { nodeProvider } from '../crypto';
import { type TestPki, testPki } from '../engine/fixtures';
import { CipherSuite13 } from '../engine/suites';
import { flipLast, onceOn } from '../generators/mutations/support';
import { LoopbackListener } from '../testing/launch';
import { runOurServer } from '../fuzz/live';
import { tlsprop } from '../spec/support/cli';
import { AlertDescription } from '../wire/registry';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
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
