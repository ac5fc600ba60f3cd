/**
 * Data a target sends unasked once its handshake is done (a greeting: an
 * MQTT broker's, `openssl s_server` without -rev), later than the silence
 * window: the mapper reads it as the answer of the input that completed the
 * handshake (learn/sul.ts, the unasked-data window measured by the first
 * query that gets there), not as the answer of whichever input comes next.
 * The engine's server greets 500 ms after its Finished, well past the
 * silence window (80 ms floor, 300 ms at the start): no answer with the
 * greeting is ever contradicted (without the unasked-data window some
 * queries had it on the next input), the learned machine has the greeting
 * on the Finished, and it has no difference from the RFC machine.
 */
import { nodeProvider } from '../crypto';
import { DEFAULT_GROUPS, DEFAULT_SCHEMES } from '../engine/config';
import { testPki, type TestPki } from '../engine/fixtures';
import { type Serving, startFaultyServer } from '../engine/serve';
import { CipherSuite12 } from '../engine/suites';
import { VERSION_CODE } from '../wire/vocabulary';
import { messagesOf, type InputSymbol } from './alphabet';
import { diffAgainstRfc } from './diff';
import { learnTarget } from './learn';
import { run, toDot } from './mealy';

const provider = nodeProvider();
const GREETING_DELAY_MS = 500;
const TIMING = { floorMs: 80, capMs: 2000, factor: 6, initialMs: 300 };
const INPUTS: InputSymbol[] = ['client_hello', 'client_key_exchange', 'change_cipher_spec', 'finished', 'application_data'];

let pki: TestPki;
let server: Serving | undefined;
beforeAll(async () => {
  pki = await testPki();
});
afterAll(async () => {
  await server?.close();
});

it(
  'a greeting later than the silence window is the answer of the input that completed the handshake',
  async () => {
    expect(GREETING_DELAY_MS).toBeGreaterThan(Math.max(TIMING.initialMs, TIMING.floorMs));
    server = await startFaultyServer({
      identity: pki.identity('server', 'rsa'),
      versions: [VERSION_CODE['1.2']],
      faults: [],
      app: { kind: 'greet', text: new TextEncoder().encode('hello from a slow greeter\n'), delayMs: GREETING_DELAY_MS },
    });
    const port = server.port;
    const r = await learnTarget({
      target: 'engine server greeting late',
      sul: {
        role: 'server',
        version: '1.2',
        provider,
        timing: TIMING,
        targets: Array.from({ length: 6 }, () => ({ host: '127.0.0.1', port })),
        mapper: {
          suites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
          groups: [...DEFAULT_GROUPS],
          schemes: [...DEFAULT_SCHEMES],
          serverName: 'localhost',
          appData: new TextEncoder().encode('ping\n'),
        },
      },
      inputs: INPUTS,
      budgetMs: 30 * 60_000,
      maxQueries: 1500,
      equivalence: { depth: 1, randomWalks: 30 },
    });
    const d = await diffAgainstRfc(r.machine, { version: '1.2', role: 'server', clientAuth: false });
    const why = `${r.nondeterminism.map((e) => `${e.word.join(',')}: ${e.answers.map((a) => a.outputs.at(-1)).join(' / ')}`).join('\n')}\n${toDot(r.machine)}`;
    // no answer with the greeting was ever contradicted (other timing events of a loaded machine, e.g. a first answer
    // that missed its window, are settled by the majority and are not what this is about)
    const greetingRaces = r.nondeterminism.filter((e) =>
      e.answers.some((a) => a.outputs.some((o) => o.includes('application_data'))),
    );
    expect({ greetingRaces: greetingRaces.length, why }).toEqual({ greetingRaces: 0, why });
    expect(r.complete).toBe(true);
    expect(d.differences.map((x) => `${x.kind} ${x.word.join(',')} -> ${x.output}`)).toEqual([]);
    // the greeting was seen, on our Finished (with the server's CCS and Finished), and nowhere else
    const handshake: InputSymbol[] = ['client_hello', 'client_key_exchange', 'change_cipher_spec', 'finished'];
    const outs = run(r.machine, handshake).outputs;
    expect(outs.at(-1)).toBe('change_cipher_spec+finished+application_data');
    const after = run(r.machine, [...handshake, 'application_data']).outputs.at(-1)!;
    expect(messagesOf(after)).not.toContain('application_data');
  },
  10 * 60_000,
);
