/**
 * tlsprop/jest as a user meets it when something fails: a failing property
 * prints the seed and path that replay it (and TLSPROP_SEED/TLSPROP_PATH do
 * replay it), and test.fuzzServer fails on a finding with the conversation's
 * ladder, seed and path. The helper registers its tests with jest's global
 * `test`; here that global is swapped for a recorder so that the registered
 * body can be run and its failure inspected.
 */
import fc from 'fast-check';
import { startNodeServer } from '../suite/node';
import { testPki } from '../engine/fixtures';
import { FUZZ_TIMEOUT_MS, PROPERTY_TIMEOUT_MS, test as tp } from './jest';

interface Registered {
  name: string;
  fn: () => Promise<void>;
  timeout?: number;
}

/** What `declare` registers with jest's global test, not run. */
function registered(declare: () => void): Registered {
  const g = globalThis as unknown as { test: unknown };
  const saved = g.test;
  let got: Registered | undefined;
  g.test = (name: string, fn: () => Promise<void>, timeout?: number) => {
    got = { name, fn, ...(timeout !== undefined ? { timeout } : {}) };
  };
  try {
    declare();
  } finally {
    g.test = saved;
  }
  if (!got) throw new Error('nothing registered');
  return got;
}

async function failure(fn: () => Promise<void>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error('expected the test body to fail');
}

describe('test.prop', () => {
  const env = { seed: process.env['TLSPROP_SEED'], path: process.env['TLSPROP_PATH'] };
  afterEach(() => {
    for (const [k, v] of [
      ['TLSPROP_SEED', env.seed],
      ['TLSPROP_PATH', env.path],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });

  it('registers the property with its own timeout', () => {
    const r = registered(() => tp.prop([fc.nat()])('p', () => {}));
    expect(r).toMatchObject({ name: 'p', timeout: PROPERTY_TIMEOUT_MS });
  });

  it('a failure prints the seed, the path and the shrunk counterexample; TLSPROP_SEED and TLSPROP_PATH replay it', async () => {
    const body = (n: number) => {
      if (n >= 500) throw new Error(`too big: ${n}`);
    };
    const r = registered(() => tp.prop([fc.integer({ min: 0, max: 10_000 })], { seed: 42, numRuns: 200 })('small', body));
    const msg = await failure(r.fn);
    const m = /replay: seed (\d+), path "([\d:]+)"/.exec(msg);
    expect(m).not.toBeNull();
    expect(m![1]).toBe('42');
    expect(msg).toContain('TLSPROP_SEED=42 TLSPROP_PATH=');
    expect(msg).toContain('counterexample: 500');
    expect(msg).toContain('too big: 500');
    // the replay: with the printed seed and path the first value tried is the counterexample
    process.env['TLSPROP_SEED'] = m![1]!;
    process.env['TLSPROP_PATH'] = m![2]!;
    const seen: number[] = [];
    const replay = registered(() =>
      tp.prop([fc.integer({ min: 0, max: 10_000 })])('small', (n: number) => {
        seen.push(n);
        body(n);
      }),
    );
    expect(await failure(replay.fn)).toContain('too big: 500');
    expect(seen[0]).toBe(500);
  });
});

describe('test.fuzzServer', () => {
  it('fails on a finding with the ladder, seed and path of the failing conversation', async () => {
    // Node.js tls (OpenSSL) answers an invalid ECDH point with internal_error where RFC 8422 §5.4 / RFC 5246 §7.2.2
    // name illegal_parameter or decode_error: a wrong-alert finding without a profile that maps it
    const pki = await testPki();
    const server = await startNodeServer(pki);
    try {
      const r = registered(() =>
        tp.fuzzServer('node tls', () => ({
          port: server.port,
          pki,
          cert: pki.identity('client', 'rsa'),
          ca: pki.anchors,
          serverName: 'localhost',
          // the valid handshakes and this one mutant, each once: whatever other families exist, the finding is there
          operators: ['t12-cke-point-identity'],
          randomRuns: 0,
          seed: 1,
        })),
      );
      expect(r.timeout).toBe(FUZZ_TIMEOUT_MS);
      const msg = await failure(r.fn);
      expect(msg).toContain('the peer did not conform');
      expect(msg).toMatch(/wrong-alert/);
      expect(msg).toMatch(/--seed 1 --path \S+/);
      expect(msg).toMatch(/client_key_exchange/);
    } finally {
      await server.close();
    }
  });
});
