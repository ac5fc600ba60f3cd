/**
 * State-machine learning of the deliberately faulty targets (engine/faults.ts
 * switches, our engine served on loopback): the healthy engine's learned
 * machine has no difference from the RFC machine, and the machine of each
 * state-machine fault differs from it exactly at the faulty transition,
 * naming the rule the fault lets through. Both roles: the engine's server
 * learned by our client mapper, the engine's client by our server mapper.
 *
 * Small alphabets and a bounded number of queries (no wall-clock bound):
 * the inputs of a full handshake plus the one the fault concerns. Most of a
 * learning run is waiting for answers, not work: the specs of each version
 * are a file of their own (learn-faulty-tls12.spec.ts,
 * learn-faulty-tls13.spec.ts) so that the suite runs them side by side.
 */
import { nodeProvider } from '../crypto';
import { TlsClient } from '../engine/client';
import { DEFAULT_GROUPS, DEFAULT_SCHEMES } from '../engine/config';
import type { Fault } from '../engine/faults';
import { type TestPki, testPki } from '../engine/fixtures';
import { faultRules } from '../generators/mutations';
import { runClientOverSocket } from '../engine/socket';
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import type { InputSymbol } from '../learn/alphabet';
import { diffAgainstRfc, type RfcDiff } from '../learn/diff';
import { type LearnResult, learnTarget } from '../learn/learn';
import { toDot } from '../learn/mealy';
import type { ClientLauncher, SulOptions } from '../learn/sul';
import { type Serving, startFaultyServer } from '../engine/serve';
import { VERSION_CODE, type TlsVersion } from '../wire/vocabulary';

const provider = nodeProvider();
const SUITES = [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, CipherSuite13.TLS_AES_128_GCM_SHA256];
// the engine answers within milliseconds; the windows still leave room for a loaded machine (a late answer is
// settled by a majority vote, see learn/oracle.ts)
const TIMING = { floorMs: 80, capMs: 2000, factor: 6, initialMs: 300 };
const MAX_QUERIES = 2500;

/** The inputs of a full handshake of each role and version (a fault's own input is added where it is another one). */
const SERVER_INPUTS: Record<TlsVersion, InputSymbol[]> = {
  '1.2': ['client_hello', 'certificate', 'client_key_exchange', 'certificate_verify', 'change_cipher_spec', 'finished'],
  '1.3': ['client_hello', 'certificate', 'certificate_verify', 'change_cipher_spec', 'finished'],
};
const CLIENT_INPUTS: Record<TlsVersion, InputSymbol[]> = {
  '1.2': ['server_hello', 'certificate', 'server_key_exchange', 'server_hello_done', 'change_cipher_spec', 'finished'],
  '1.3': ['server_hello', 'change_cipher_spec', 'encrypted_extensions', 'certificate', 'certificate_verify', 'finished'],
};
const WORKERS = 8;
const TIMEOUT = 10 * 60_000;

/** The alphabet of a test: a full handshake's inputs, and the fault's input when it is not one of them. */
const inputsOf = (base: readonly InputSymbol[], extra?: InputSymbol): InputSymbol[] =>
  extra && !base.includes(extra) ? [...base, extra] : [...base];

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

function mapperConfig(identity: 'client' | 'server') {
  return {
    suites: SUITES,
    groups: [...DEFAULT_GROUPS],
    schemes: [...DEFAULT_SCHEMES],
    identity: pki.identity(identity, 'rsa'),
    serverName: 'localhost',
    appData: new TextEncoder().encode('ping\n'),
  };
}

async function learnServer(version: TlsVersion, faults: Fault[], inputs: InputSymbol[]): Promise<{ r: LearnResult; d: RfcDiff }> {
  let server: Serving | undefined;
  try {
    server = await startFaultyServer({
      identity: pki.identity('server', 'rsa'),
      versions: [VERSION_CODE[version]],
      clientAuth: 'require',
      trustAnchors: pki.anchors,
      faults,
    });
    const sul: SulOptions = {
      role: 'server',
      version,
      provider,
      timing: TIMING,
      targets: Array.from({ length: WORKERS }, () => ({ host: '127.0.0.1', port: server!.port })),
      mapper: mapperConfig('client'),
    };
    const r = await learnTarget({
      target: `engine server ${faults.join(',') || 'healthy'}`,
      sul,
      inputs,
      budgetMs: 30 * 60_000,
      maxQueries: MAX_QUERIES,
      equivalence: { depth: 1, randomWalks: 30 },
    });
    return { r, d: await diffAgainstRfc(r.machine, { version, role: 'server', clientAuth: true }) };
  } finally {
    await server?.close();
  }
}

/** The engine's client, started in this process once per query (a new client per reset). */
function engineClient(version: TlsVersion, faults: Fault[]): ClientLauncher {
  return {
    async start(host, port) {
      const client = new TlsClient({
        provider,
        versions: [VERSION_CODE[version]],
        cipherSuites: SUITES,
        trustAnchors: pki.anchors,
        serverName: 'localhost',
        faults,
      });
      // like an application, the client sends its data once connected and waits for an answer (without it, the
      // engine's socket run would end the connection at once, without a close_notify)
      const done = runClientOverSocket(client, host, port, {
        appData: new TextEncoder().encode('ping\n'),
        readTimeoutMs: 5000,
        totalTimeoutMs: 20_000,
      });
      return { stop: async () => void (await done), describe: () => `engine client ${faults.join(',') || 'healthy'}` };
    },
  };
}

async function learnClient(version: TlsVersion, faults: Fault[], inputs: InputSymbol[]): Promise<{ r: LearnResult; d: RfcDiff }> {
  const sul: SulOptions = {
    role: 'client',
    version,
    provider,
    timing: TIMING,
    listen: { host: '127.0.0.1', port: 0, workers: WORKERS, launcher: engineClient(version, faults) },
    mapper: mapperConfig('server'),
  };
  const r = await learnTarget({
    target: `engine client ${faults.join(',') || 'healthy'}`,
    sul,
    inputs,
    budgetMs: 30 * 60_000,
    maxQueries: MAX_QUERIES,
    equivalence: { depth: 1, randomWalks: 30 },
  });
  return { r, d: await diffAgainstRfc(r.machine, { version, role: 'client', clientAuth: false }) };
}

function describe_(r: LearnResult, d: RfcDiff): string {
  return [
    ...d.differences.map((x) => `${x.kind} ${x.word.join(',')} -> ${x.output} [${x.rules.join(',')}]`),
    toDot(r.machine),
  ].join('\n');
}

/** The faults that change the handshake state machine, per target role and version, with the input they concern. */
const SERVER_FAULTS: Array<{ fault: Fault; version: TlsVersion; input: InputSymbol }> = [
  { fault: 'accept-early-ccs', version: '1.2', input: 'change_cipher_spec' },
  { fault: 'accept-missing-cv', version: '1.2', input: 'change_cipher_spec' },
  { fault: 'skip-finished-check', version: '1.2', input: 'finished(bad)' },
  { fault: 'accept-early-ccs', version: '1.3', input: 'change_cipher_spec' },
  { fault: 'accept-missing-cv', version: '1.3', input: 'finished' },
  { fault: 'skip-finished-check', version: '1.3', input: 'finished(bad)' },
  // a content fault, seen by the learner as a state-machine one: a CertificateVerify over other bytes is taken
  { fault: 'accept-cv-wrong-transcript', version: '1.2', input: 'certificate_verify(bad)' },
  { fault: 'accept-cv-wrong-transcript', version: '1.3', input: 'certificate_verify(bad)' },
];

const CLIENT_FAULTS: Array<{ fault: Fault; version: TlsVersion; input: InputSymbol }> = [
  { fault: 'skip-finished-check', version: '1.2', input: 'finished(bad)' },
  { fault: 'accept-early-ccs', version: '1.2', input: 'change_cipher_spec' },
];

/** The specs of one version: the healthy engine in both roles, and each fault of that version. */
export function faultySpecs(only: TlsVersion): void {
  describe('learning the engine server', () => {
    it.each([only])(
      'the healthy TLS %s server has no difference from the RFC machine',
      async (version) => {
        const { r, d } = await learnServer(version, [], inputsOf(SERVER_INPUTS[version], 'finished(bad)'));
        expect(r.complete).toBe(true);
        expect(d.differences.map((x) => `${x.kind} ${x.word.join(',')} -> ${x.output}`)).toEqual([]);
        // it is a real machine: the full handshake is in it
        expect(r.machine.size).toBeGreaterThanOrEqual(version === '1.2' ? 7 : 5);
      },
      TIMEOUT,
    );

    it.each(SERVER_FAULTS.filter((f) => f.version === only))(
      '$fault (TLS $version): the learned machine differs exactly at its transition',
      async ({ fault, version, input }) => {
        const { r, d } = await learnServer(version, [fault], inputsOf(SERVER_INPUTS[version], input));
        const why = describe_(r, d);
        expect(d.differences.length).toBeGreaterThan(0);
        for (const x of d.differences) {
          expect({ input: x.input, kind: x.kind, why }).toEqual({ input, kind: 'accepts-invalid', why });
        }
        const rules = faultRules(fault, version);
        expect(d.differences.some((x) => x.rules.some((rule) => rules.includes(rule)))).toBe(true);
      },
      TIMEOUT,
    );
  });

  describe('learning the engine client', () => {
    it.each([only])(
      'the healthy TLS %s client has no difference from the RFC machine',
      async (version) => {
        const { r, d } = await learnClient(version, [], inputsOf(CLIENT_INPUTS[version], 'finished(bad)'));
        expect(r.complete).toBe(true);
        expect(d.differences.map((x) => `${x.kind} ${x.word.join(',')} -> ${x.output}`)).toEqual([]);
      },
      TIMEOUT,
    );

    const clientFaults = CLIENT_FAULTS.filter((f) => f.version === only);
    if (clientFaults.length)
      it.each(clientFaults)(
        'client $fault (TLS $version): the learned machine differs exactly at its transition',
        async ({ fault, version, input }) => {
          const { r, d } = await learnClient(version, [fault], inputsOf(CLIENT_INPUTS[version], input));
          const why = describe_(r, d);
          expect(d.differences.length).toBeGreaterThan(0);
          for (const x of d.differences)
            expect({ input: x.input, kind: x.kind, why }).toEqual({ input, kind: 'accepts-invalid', why });
          const rules = faultRules(fault, version);
          expect(d.differences.some((x) => x.rules.some((rule) => rules.includes(rule)))).toBe(true);
        },
        TIMEOUT,
      );
  });
}
