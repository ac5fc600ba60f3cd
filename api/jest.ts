/**
 * `tlsprop/jest`: properties and live fuzzing in jest, in the style of
 * @fast-check/jest.
 *
 *     import { test, fc } from 'tlsprop/jest';
 *     import { handshakePlanArb, renderHandshake, checkRendered } from 'tlsprop';
 *
 *     test.prop([handshakePlanArb({ version: '1.2' })])('conforms', async (plan, t) => {
 *       const verdicts = await t.check(await renderHandshake(plan, cache), cache);
 *       expect(verdicts.filter((v) => v.status === 'violation')).toEqual([]);
 *     });
 *
 *     test.fuzzServer('my server conforms', async () => ({ port: myServer.port }));
 *
 * - A failing property prints the seed and path that replay it (and the
 *   counterexample); `TLSPROP_SEED` and `TLSPROP_PATH` replay it.
 * - The last argument of a property, `t`, checks a rendered handshake or a
 *   transcript with every rule and records the verdicts for tlsprop's jest
 *   reporter (`tlsprop/jest-reporter`: the four reports at the end of the
 *   run); `test.fuzzServer` / `test.fuzzClient` record their conversations.
 *   Nothing is recorded when that reporter is not registered.
 * - reflect-metadata is loaded here and the timeouts are set here (a
 *   property: 5 minutes, a fuzz run: 10), not by the user.
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import type { RenderCache, RenderedHandshake } from '../generators/handshake';
import type { ClientFuzzResult } from '../fuzz/client';
import type { FuzzResult } from '../fuzz/target';
import { checkTranscript, type CheckOptions } from '../oracles/evaluate';
import type { Verdict } from '../oracles/rule';
import { recordFragment, runDir } from '../reports/collect';
import { convertClientRun, convertServerRun } from '../suite/convert';
import type { Transcript } from '../transcript/model';
import { checkRendered } from './index';
import { assertConforming, type FuzzClientOptions, type FuzzServerOptions, fuzzClient, fuzzServer } from './fuzz';

export { fc };

export const PROPERTY_TIMEOUT_MS = 5 * 60_000;
export const FUZZ_TIMEOUT_MS = 10 * 60_000;

/** jest's globals, as far as this helper uses them. */
interface JestGlobals {
  test: (name: string, fn: () => Promise<void>, timeout?: number) => void;
}

function jestTest(): JestGlobals['test'] {
  const g = globalThis as unknown as Partial<JestGlobals>;
  if (typeof g.test !== 'function') throw new Error('tlsprop/jest: test.prop runs inside a jest test file');
  return g.test;
}

/** Recording goes to tlsprop's jest reporter when it is registered (it creates the fragment folder at the start). */
function recording(): string | undefined {
  const dir = runDir();
  return existsSync(dir) ? dir : undefined;
}

/** What a property's last argument offers. */
export interface PropContext {
  /** Check a rendered handshake (or a transcript) with every rule; the verdicts are recorded for the reports. */
  check(x: RenderedHandshake | Transcript, cacheOrOpts?: RenderCache | CheckOptions): Promise<Verdict[]>;
  /** The property's name and the run's seed. */
  name: string;
  seed: number;
}

function isRendered(x: RenderedHandshake | Transcript): x is RenderedHandshake {
  return 'transcript' in x && 'plan' in x;
}

function context(name: string, seed: number, counter: { n: number }): PropContext {
  return {
    name,
    seed,
    async check(x, cacheOrOpts) {
      const r = isRendered(x)
        ? await checkRendered(x, cacheOrOpts && 'pool' in cacheOrOpts ? cacheOrOpts : undefined)
        : await checkTranscript(x, cacheOrOpts && !('pool' in cacheOrOpts) ? cacheOrOpts : {});
      const t = isRendered(x) ? x.transcript : x;
      const dir = recording();
      if (dir)
        recordFragment(dir, {
          transcripts: [
            {
              id: `${name} #${++counter.n}`,
              provenance: t.provenance,
              verdicts: r.verdicts,
              ...(isRendered(x) ? { config: x.config } : {}),
              ladder: t.messages.map((m) => `${m.dir} ${m.type}`),
            },
          ],
        });
      return r.verdicts;
    },
  };
}

type Arbs<Ts extends unknown[]> = { [K in keyof Ts]: fc.Arbitrary<Ts[K]> };

export interface PropParams<Ts extends unknown[]> extends Omit<fc.Parameters<Ts>, 'seed' | 'path'> {
  seed?: number;
  path?: string;
  /** jest's timeout for the test (default PROPERTY_TIMEOUT_MS). */
  timeout?: number;
}

function replayFrom(env: NodeJS.ProcessEnv): { seed?: number; path?: string } {
  const seed = env['TLSPROP_SEED'];
  const path = env['TLSPROP_PATH'];
  return {
    ...(seed !== undefined && seed !== '' && Number.isInteger(Number(seed)) ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  };
}

/** `test.prop(arbitraries, params)(name, (...values, t) => ...)` (see the header). */
export function prop<Ts extends unknown[]>(arbs: Arbs<Ts>, params: PropParams<Ts> = {}) {
  return (name: string, fn: (...args: [...Ts, PropContext]) => unknown): void => {
    const { timeout, ...fcParams } = params;
    jestTest()(
      name,
      async () => {
        const replay = replayFrom(process.env);
        const seed = replay.seed ?? fcParams.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
        const counter = { n: 0 };
        const ctx = context(name, seed, counter);
        const all = fc.tuple(...(arbs as unknown as fc.Arbitrary<unknown>[]));
        const property = fc.asyncProperty(all, async (values: unknown[]) => {
          await fn(...([...values, ctx] as [...Ts, PropContext]));
        });
        const run: fc.Parameters<[unknown[]]> = { ...(fcParams as fc.Parameters<[unknown[]]>), seed };
        const path = replay.path ?? fcParams.path;
        if (path !== undefined) run.path = path;
        const details = await fc.check(property, run);
        if (!details.failed) return;
        const error = details.errorInstance instanceof Error ? details.errorInstance : new Error(String(details.errorInstance));
        error.message = `property "${name}" failed after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s)
replay: seed ${details.seed}, path "${details.counterexamplePath}"  (TLSPROP_SEED=${details.seed} TLSPROP_PATH=${details.counterexamplePath} jest -t '${name}')
counterexample: ${(details.counterexample?.[0] ?? []).map((v) => fc.stringify(v)).join(', ')}
${error.message}`;
        throw error;
      },
      timeout ?? PROPERTY_TIMEOUT_MS,
    );
  };
}

function recordFuzz(r: FuzzResult | ClientFuzzResult, name: string): void {
  const dir = recording();
  if (!dir) return;
  const converted =
    'listen' in r
      ? convertClientRun(r, { name, role: 'client', address: r.command, replayArgs: '' })
      : convertServerRun(r, { name, role: 'server', address: r.target, replayArgs: `--target ${r.target}` });
  recordFragment(dir, {
    conversations: converted.conversations,
    transcripts: converted.transcripts,
    targets: [converted.target],
  });
}

/**
 * A jest test that fuzzes a TLS server: `options` (called when the test runs, e.g. after beforeAll started the
 * server) gives its port and more; the test fails with every failing conversation's ladder, seed and path.
 */
function fuzzServerTest(name: string, options: () => FuzzServerOptions | Promise<FuzzServerOptions>, timeout = FUZZ_TIMEOUT_MS) {
  jestTest()(
    name,
    async () => {
      const r = await fuzzServer(await options());
      recordFuzz(r, name);
      assertConforming(r);
    },
    timeout,
  );
}

/** The same for a TLS client (a command, or a function that connects in this process). */
function fuzzClientTest(name: string, options: () => FuzzClientOptions | Promise<FuzzClientOptions>, timeout = FUZZ_TIMEOUT_MS) {
  jestTest()(
    name,
    async () => {
      const r = await fuzzClient(await options());
      recordFuzz(r, name);
      assertConforming(r);
    },
    timeout,
  );
}

/** `test.prop`, `test.fuzzServer`, `test.fuzzClient` (and `it`, the same). */
export const test = { prop, fuzzServer: fuzzServerTest, fuzzClient: fuzzClientTest };
export const it = test;
