/**
 * The client fuzzer finds every client-side fault switch of engine/faults.ts
 * (issue #7): the faulty client (spec/fixtures/faulty-client.ts, our
 * engine's client with one named fault) runs as --client-cmd, the fuzzer
 * runs every mutant the client's offer allows (not only the one that trips
 * the fault) once at its simplest configuration (coverage first, seed 1, no
 * random conversations after them), and must report accepted-invalid under
 * one of the fault's rules, shrink it to a smallest conversation of a
 * concrete shape, and replay it by seed and path with the same verdict. The
 * same client without the fault, same seed and runs, gives no finding at all
 * (one control per client offer, shared by the faults tested with it).
 */
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { type Fault, FAULTS } from '../engine/faults';
import { type ClientFuzzResult, fuzzClient } from '../fuzz/client';
import type { ClientFuzzOptions } from '../fuzz/options';
import { faultRules } from '../generators/mutations';
import { LOOPBACK, requireBinary } from '../testing/launch';
import { type PkiFiles, writePki } from '../testing/pki';
import { failsRun, ladderText } from '../fuzz/judge';
import type { FuzzProfile } from '../fuzz/profile';
import { recordFragment, runDir } from '../reports/collect';

let files: PkiFiles;
let faultyJs: string;

beforeAll(async () => {
  requireBinary('node', 'nodejs');
  files = await writePki();
  faultyJs = join(files.dir, 'faulty-client.js');
  buildSync({
    entryPoints: [join(__dirname, 'fixtures', 'faulty-client.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: faultyJs,
    logLevel: 'warning',
  });
});
afterAll(() => files?.cleanup());

/**
 * The healthy engine client has no expected failures: the two findings this
 * profile once listed (a TLS 1.1 downgrade sentinel in a TLS 1.2 ServerHello,
 * RFC 8446 §4.1.3; an unsolicited SCT in a TLS 1.3 CertificateEntry, RFC 8446
 * §4.4.2) are fixed in engine/client.ts, so the fault under test is what the
 * run must find and the control run must be clean.
 */
const ENGINE_CLIENT_PROFILE: FuzzProfile = {
  target: 'tlsprop engine client (spec/fixtures/faulty-client.ts)',
  expectedFailures: [],
  disabled: [],
};

const SEED = 1;

function options(command: string, extra: { path?: string; maxShrinkRuns?: number } = {}): ClientFuzzOptions {
  // coverage only: every applicable mutant and offered version once, in the seed's order, whatever the seed; those run
  // at the simplest configuration already, so the shrink budget is the replay of the failing path (fast-check's first step)
  return {
    target: { host: LOOPBACK, port: 0, command, exitGraceMs: 500 },
    identity: { pki: files.pki, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors },
    budget: {
      seed: SEED,
      randomRuns: 0,
      maxShrinkRuns: extra.maxShrinkRuns ?? 1,
      readTimeoutMs: 2000,
      ...(extra.path !== undefined ? { path: extra.path } : {}),
    },
    profile: { strictness: 'alert-or-close', file: ENGINE_CLIENT_PROFILE },
  };
}

async function run(o: ClientFuzzOptions): Promise<ClientFuzzResult> {
  const r = await fuzzClient(o);
  recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
  expect(r.sanity).toEqual({ first: true, last: true });
  return r;
}

interface Case {
  fault: Fault;
  /** The mutant the smallest conversation must have, and the start of its ladder. */
  mutant: RegExp;
  ladderStart: readonly string[];
  /** Ladder lines the accepted conversation must show (the client went on). */
  shows: readonly string[];
}

/** Client offers (options of the faulty client besides the fault) and the faults tested with each. */
const OFFERS: readonly { args: string; cases: readonly Case[] }[] = [
  {
    args: '--version 1.3',
    cases: [
      {
        fault: 'skip-finished-check',
        mutant: /^t13-server-finished-wrong /,
        ladderStart: ['C->S: client_hello', 'S->C: server_hello'],
        shows: ['S->C: finished', 'C->S: finished'],
      },
      {
        fault: 'accept-invalid-ecdh-point',
        mutant: /^t13-server-share-off-curve-valid-x /,
        ladderStart: ['C->S: client_hello', 'S->C: server_hello'],
        shows: ['C->S: finished'],
      },
      {
        // a client that offered only TLS 1.3 goes on with a TLS 1.2 ServerHello (RFC 8446 App. D.1: protocol_version)
        fault: 'accept-tls12-from-t13-only',
        mutant: /^t13-only-client-gets-tls12 /,
        ladderStart: ['C->S: client_hello', 'S->C: server_hello', 'S->C: certificate', 'S->C: server_key_exchange'],
        shows: ['C->S: client_key_exchange', 'C->S: change_cipher_spec'],
      },
    ],
  },
  {
    // TLS 1.2: the catalogue's suite operator edits our server's view of the ClientHello, so in TLS 1.3 the handshake
    // keys differ and even a client that accepts the suite cannot go on (our server reads bad_record_mac: flagged)
    args: '--version 1.2 --suites c030',
    cases: [
      {
        fault: 'accept-early-ccs',
        mutant: /^t12-early-server-ccs /,
        ladderStart: ['C->S: client_hello', 'S->C: server_hello', 'S->C: change_cipher_spec'],
        shows: ['C->S: client_key_exchange', 'C->S: change_cipher_spec'],
      },
      {
        fault: 'accept-unoffered-suite',
        mutant: /^t12-suite-not-offered /,
        ladderStart: ['C->S: client_hello', 'S->C: server_hello', 'S->C: certificate', 'S->C: server_key_exchange'],
        shows: ['C->S: client_key_exchange', 'C->S: change_cipher_spec'],
      },
    ],
  },
];

describe('client fuzzing finds each client-side fault of engine/faults.ts', () => {
  it('every fault that exists in clients has a case here', () => {
    expect(OFFERS.flatMap((g) => g.cases.map((c) => c.fault)).sort()).toEqual(
      Object.values(FAULTS)
        .filter((f) => f.sides.includes('client'))
        .map((f) => f.id)
        .sort(),
    );
  });

  describe.each(OFFERS)('client offer "$args"', ({ args, cases }) => {
    let control: ClientFuzzResult;
    beforeAll(async () => {
      control = await fuzzClient(options(`node ${faultyJs} {host} {port} ${args} --healthy`, { maxShrinkRuns: 0 }));
      recordFragment(runDir(), { conversations: control.results.map((x) => x.run) });
    }, 120_000);

    it('control: the healthy client, same seed and runs, gives no finding; the run covered every mutant once', () => {
      expect(control.sanity).toEqual({ first: true, last: true });
      expect(control.results.filter(failsRun).map((x) => ladderText(x.run).join('\n'))).toEqual([]);
      // drawn from every mutant the client's offer allows, not only the faults', each once, plus a valid handshake
      expect(control.mutants.length).toBeGreaterThan(10);
      expect(control.runs).toBe(control.mutants.length + 1);
      const names = [
        ...control.results.map((x) => x.run.name),
        ...control.skipped.map((l) => l.split(' ').slice(1).join(' ')),
      ].map((n) => n.split(' ')[0]!);
      expect(names.sort()).toEqual([...control.mutants, 'valid'].sort());
    });

    for (const c of cases) {
      it(`${c.fault}: accepted-invalid on its rule, shrunk, replayed by seed and path`, async () => {
        const cmd = `node ${faultyJs} {host} {port} ${args} --fault ${c.fault}`;
        const r = await run(options(cmd));
        expect(r.mutants).toEqual(control.mutants);
        expect(r.runs).toBe(control.runs);
        expect(r.results.length).toBe(control.results.length);
        const found = r.results.filter((x) => failsRun(x) && x.run.verdict === 'accepted-invalid');
        expect(found.length).toBeGreaterThan(0);
        for (const x of found)
          expect([x.run.name, faultRules(c.fault, x.conversation.version)]).toContainEqual(expect.arrayContaining([x.run.rule]));
        // nothing else: the fault lets exactly this class through
        expect(
          r.results.filter((x) => failsRun(x) && x.run.verdict !== 'accepted-invalid').map((x) => ladderText(x.run).join('\n')),
        ).toEqual([]);

        expect(r.shrunk).toHaveLength(1);
        const s = r.shrunk[0]!;
        const sr = s.result.run;
        expect([sr.verdict, faultRules(c.fault, s.result.conversation.version).includes(sr.rule ?? '')]).toEqual([
          'accepted-invalid',
          true,
        ]);
        expect(sr.name).toMatch(c.mutant);
        expect(sr.ladder.slice(0, c.ladderStart.length)).toEqual(c.ladderStart);
        for (const l of c.shows) expect(sr.ladder).toContain(l);
        expect(sr.ladder.filter((l) => l.startsWith('C->S: alert'))).toEqual([]);
        expect(s.path === s.from || s.path.startsWith(`${s.from}:`)).toBe(true);

        const again = await run(options(cmd, { path: s.path }));
        expect(again.results.map((x) => [x.run.name, x.run.verdict, x.run.rule])).toEqual([[sr.name, sr.verdict, sr.rule]]);
      }, 120_000);
    }
  });
});
