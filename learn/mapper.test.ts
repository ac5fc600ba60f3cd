/**
 * The mappers against our engine over loopback: a valid word of each role
 * and version completes a real handshake (the engine's server takes our
 * client's flights, the engine's client takes our server's), and the
 * transcript of that run, with every record our side sealed or opened, is
 * judged by the oracles without a single violation by either side. Out of
 * order words are still built and sent (the engine rejects them as the RFC
 * requires).
 */
import { nodeProvider } from '../crypto';
import { TlsClient } from '../engine/client';
import { DEFAULT_GROUPS, DEFAULT_SCHEMES } from '../engine/config';
import { testPki, type TestPki, untrustedClientIdentity } from '../engine/fixtures';
import { runClientOverSocket } from '../engine/socket';
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import { checkTranscript } from '../oracles/evaluate';
import { type Serving, startFaultyServer } from '../engine/serve';
import type { TlsVersion } from '../wire/vocabulary';
import { VERSION_CODE } from '../wire/vocabulary';
import { alphabet, type InputSymbol } from './alphabet';
import { replayWord, transcriptOfRun } from './replay';
import type { ClientLauncher, SulOptions } from './sul';

const provider = nodeProvider();
const SUITES = [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, CipherSuite13.TLS_AES_256_GCM_SHA384];
const app = new TextEncoder().encode('ping\n');
// generous timing: the engine runs in this process, and the machine is shared
const TIMING = { floorMs: 150, capMs: 3000, factor: 4, initialMs: 400 };

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

function serverTargetSul(version: TlsVersion, port: number, identity = true): SulOptions {
  return {
    role: 'server',
    version,
    provider,
    targets: [{ host: '127.0.0.1', port }],
    timing: TIMING,
    mapper: {
      suites: SUITES,
      groups: [...DEFAULT_GROUPS],
      schemes: [...DEFAULT_SCHEMES],
      ...(identity ? { identity: pki.identity('client', 'rsa') } : {}),
      serverName: 'localhost',
      appData: app,
    },
  };
}

/** Our engine's client as a client target, started in this process once per query. */
function engineClientLauncher(version: TlsVersion, results: Array<Promise<unknown>>): ClientLauncher {
  return {
    async start(host, port) {
      const client = new TlsClient({
        provider,
        versions: [VERSION_CODE[version]],
        cipherSuites: SUITES,
        trustAnchors: pki.anchors,
        serverName: 'localhost',
      });
      results.push(runClientOverSocket(client, host, port, { readTimeoutMs: 3000, totalTimeoutMs: 8000 }).then(() => client));
      return { stop: async () => undefined, describe: () => 'engine TlsClient' };
    },
  };
}

async function noViolations(run: Awaited<ReturnType<typeof replayWord>>, role: 'server' | 'client') {
  const t = transcriptOfRun(run, role, 'engine');
  const { verdicts } = await checkTranscript(t, { trustAnchors: pki.anchors });
  return verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`);
}

describe('our client mapper against the engine server', () => {
  let server: Serving;
  afterEach(async () => {
    await server?.close();
  });

  it.each(['1.2', '1.3'] as const)('a valid mutual TLS %s word completes the handshake and conforms', async (version) => {
    server = await startFaultyServer({
      identity: pki.identity('server', 'rsa'),
      versions: [VERSION_CODE[version]],
      clientAuth: 'require',
      trustAnchors: pki.anchors,
      faults: [],
      reply: new TextEncoder().encode('pong\n'),
    });
    const word: InputSymbol[] =
      version === '1.2'
        ? [
            'client_hello',
            'certificate',
            'client_key_exchange',
            'certificate_verify',
            'change_cipher_spec',
            'finished',
            'application_data',
          ]
        : ['client_hello', 'certificate', 'certificate_verify', 'finished', 'application_data'];
    const run = await replayWord(serverTargetSul(version, server.port), word);
    const last = version === '1.2' ? run.outputs[5] : run.outputs[3];
    expect(run.outputs[0]).toMatch(/^server_hello\+/);
    expect(run.outputs[0]).toContain('certificate_request');
    expect(`${last} ${run.outputs.at(-1)}`).toContain('application_data');
    expect(run.outputs.join(' ')).not.toContain('alert');
    expect(await noViolations(run, 'server')).toEqual([]);
    expect(run.keylog.length).toBeGreaterThan(0);
  });

  it('a TLS 1.2 word without client authentication completes', async () => {
    server = await startFaultyServer({
      identity: pki.identity('server', 'ecdsa'),
      versions: [0x0303],
      faults: [],
      config: { cipherSuites: [CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] },
    });
    const sul = serverTargetSul('1.2', server.port, false);
    sul.mapper.suites = [CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    const run = await replayWord(sul, ['client_hello', 'client_key_exchange', 'change_cipher_spec', 'finished']);
    expect(run.outputs[0]).not.toContain('certificate_request');
    expect(run.outputs[3]).toMatch(/^change_cipher_spec\+finished/);
    expect(await noViolations(run, 'server')).toEqual([]);
  });

  it('certificate(untrusted): the full alphabet has it when the mapper holds a chain under an untrusted root, and the engine server refuses that chain', async () => {
    expect(alphabet('full', 'server', '1.3', true)).not.toContain('certificate(untrusted)');
    expect(alphabet('full', 'server', '1.3', true, true)).toContain('certificate(untrusted)');
    server = await startFaultyServer({
      identity: pki.identity('server', 'rsa'),
      versions: [VERSION_CODE['1.3']],
      clientAuth: 'require',
      trustAnchors: pki.anchors,
      faults: [],
    });
    const sul = serverTargetSul('1.3', server.port);
    sul.mapper.untrusted = await untrustedClientIdentity(pki);
    const run = await replayWord(sul, ['client_hello', 'certificate(untrusted)', 'certificate_verify', 'finished']);
    // RFC 8446 §4.4.2.4: the server aborts with an appropriate certificate-related alert (unknown_ca for this chain)
    expect(run.outputs.join(' ')).toMatch(/alert\((unknown_ca|bad_certificate|certificate_unknown)\)/);
  });

  it('builds out-of-order inputs too; the engine rejects them with unexpected_message', async () => {
    server = await startFaultyServer({ identity: pki.identity('server', 'rsa'), versions: [0x0303], faults: [] });
    const run = await replayWord(serverTargetSul('1.2', server.port), ['client_hello', 'finished', 'client_key_exchange']);
    expect(run.outputs).toEqual([expect.stringMatching(/^server_hello\+/), 'alert(unexpected_message)+closed', 'closed']);
  });
});

describe('our server mapper against the engine client', () => {
  it.each(['1.2', '1.3'] as const)('a valid TLS %s word completes the engine client handshake and conforms', async (version) => {
    const clients: Array<Promise<unknown>> = [];
    const sul: SulOptions = {
      role: 'client',
      version,
      provider,
      timing: TIMING,
      listen: { host: '127.0.0.1', port: 0, workers: 1, launcher: engineClientLauncher(version, clients) },
      mapper: {
        suites: SUITES,
        groups: [...DEFAULT_GROUPS],
        schemes: [...DEFAULT_SCHEMES],
        identity: pki.identity('server', 'rsa'),
        appData: app,
      },
    };
    const word: InputSymbol[] =
      version === '1.2'
        ? ['server_hello', 'certificate', 'server_key_exchange', 'server_hello_done', 'change_cipher_spec', 'finished']
        : // the engine client offers a session id (compatibility mode): our dummy CCS follows the ServerHello (RFC 8446 D.4)
          ['server_hello', 'change_cipher_spec', 'encrypted_extensions', 'certificate', 'certificate_verify', 'finished'];
    const run = await replayWord(sul, word);
    expect(run.greeting).toBe('client_hello');
    const flight = version === '1.2' ? run.outputs[3] : run.outputs[5];
    expect(flight).toContain('finished');
    expect(run.outputs.join(' ')).not.toContain('alert');
    const client = (await clients[0]) as TlsClient;
    expect(client.connected).toBe(true);
    expect(await noViolations(run, 'client')).toEqual([]);
  });
});
