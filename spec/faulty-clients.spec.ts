/**
 * The client fuzzer finds every client-side fault switch of engine/faults.ts
 * (issue #7): the faulty client (spec/fixtures/faulty-client.ts, our
 * engine's client with one named fault) runs as --client-cmd, the fuzzer
 * draws from every server-side mutant the client's offer allows (not only
 * the one that trips the fault), and must report accepted-invalid under one
 * of the fault's rules, shrink it to a smallest conversation of a concrete
 * shape, and replay it by seed and path with the same verdict. The same
 * client without the fault, same seed, gives no finding at all.
 */
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { type Fault, FAULTS, faultRules } from '../engine/faults';
import { type ClientFuzzOptions, type ClientFuzzResult, clientLadderText, fuzzClient } from '../peer/fuzzclient';
import { LOOPBACK, requireBinary } from '../peer/launch';
import { type PkiFiles, writePki } from '../peer/pki';
import { failsRun } from '../peer/fuzzcommon';
import type { FuzzProfile } from '../peer/profile';
import { recordFragment, runDir } from '../reports/collect';

let files: PkiFiles;
let faultyJs: string;

beforeAll(async () => {
  requireBinary('node', 'nodejs');
  files = await writePki();
  faultyJs = join(files.dir, 'faulty-client.js');
  buildSync({ entryPoints: [join(__dirname, 'fixtures', 'faulty-client.ts')], bundle: true, platform: 'node', target: 'node20', outfile: faultyJs, logLevel: 'warning' });
});
afterAll(() => files?.cleanup());

/**
 * Findings in our engine's client itself (healthy or not): it goes on after
 * a TLS 1.1 downgrade sentinel in a TLS 1.2 ServerHello (RFC 8446 §4.1.3)
 * and after an unsolicited SCT in a TLS 1.3 CertificateEntry (RFC 8446
 * §4.4.2). They are expected failures here, so that the fault under test is
 * what the run must find and the control run must be clean otherwise.
 */
const ENGINE_CLIENT_PROFILE: FuzzProfile = {
  target: 'tlsprop engine client (spec/fixtures/faulty-client.ts)',
  expectedFailures: [
    { name: 't12-tls11-sentinel', rule: 'ver.downgrade-sentinel-set', reason: 'engine client does not check the downgrade sentinels' },
    { name: 'cert-t13-unsolicited-sct', rule: 'cert.t13.entry-extensions', reason: 'engine client does not check CertificateEntry extensions against its offer' },
  ],
  disabled: [],
};

function options(command: string, seed: number, extra: Partial<ClientFuzzOptions> = {}): ClientFuzzOptions {
  return { profile: ENGINE_CLIENT_PROFILE, host: LOOPBACK, port: 0, command, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors, seed, runs: 6, strictness: 'alert-or-close', pki: files.pki, maxShrinkRuns: 4, readTimeoutMs: 2000, exitGraceMs: 500, ...extra };
}

async function run(o: ClientFuzzOptions): Promise<ClientFuzzResult> {
  const r = await fuzzClient(o);
  recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
  expect(r.sanity).toEqual({ first: true, last: true });
  return r;
}

interface Case {
  fault: Fault;
  /** Client options besides the fault (what the client offers). */
  args: string;
  seed: number;
  /** The mutant the smallest conversation must have, and the start of its ladder. */
  mutant: RegExp;
  ladderStart: readonly string[];
  /** Ladder lines the accepted conversation must show (the client went on). */
  shows: readonly string[];
}

// each seed is one where the fault's mutant comes up within the run's six conversations (drawn from all mutants)
const CASES: readonly Case[] = [
  { fault: 'skip-finished-check', args: '', seed: 37, mutant: /^t1[23]-server-finished-wrong /, ladderStart: ['C->S: client_hello', 'S->C: server_hello'], shows: ['S->C: finished', 'C->S: finished'] },
  { fault: 'accept-early-ccs', args: '--version 1.2', seed: 2, mutant: /^t12-early-server-ccs /, ladderStart: ['C->S: client_hello', 'S->C: server_hello', 'S->C: change_cipher_spec'], shows: ['C->S: client_key_exchange', 'C->S: change_cipher_spec'] },
  // TLS 1.2: the catalogue's suite operator edits our server's view of the ClientHello, so in TLS 1.3 the handshake
  // keys differ and even a client that accepts the suite cannot go on (our server reads bad_record_mac: flagged)
  { fault: 'accept-unoffered-suite', args: '--version 1.2 --suites c030', seed: 37, mutant: /^t12-suite-not-offered /, ladderStart: ['C->S: client_hello', 'S->C: server_hello', 'S->C: certificate', 'S->C: server_key_exchange'], shows: ['C->S: client_key_exchange', 'C->S: change_cipher_spec'] },
  { fault: 'accept-invalid-ecdh-point', args: '', seed: 51, mutant: /^t1[23]-(ske-point|server-share)-off-curve-valid-x /, ladderStart: ['C->S: client_hello', 'S->C: server_hello'], shows: ['C->S: finished'] },
];

describe('client fuzzing finds each client-side fault of engine/faults.ts', () => {
  it('every fault that exists in clients has a case here', () => {
    expect(CASES.map((c) => c.fault).sort()).toEqual(Object.values(FAULTS).filter((f) => f.sides.includes('client')).map((f) => f.id).sort());
  });

  for (const c of CASES) {
    it(`${c.fault}: accepted-invalid on its rule, shrunk, replayed by seed and path; without the fault no finding`, async () => {
      const cmd = `node ${faultyJs} {host} {port} ${c.args} --fault ${c.fault}`;
      const r = await run(options(cmd, c.seed));
      // drawn from every mutant the client's offer allows, not only the fault's
      expect(r.mutants.length).toBeGreaterThan(10);
      const found = r.results.filter((x) => failsRun(x) && x.run.verdict === 'accepted-invalid');
      expect(found.length).toBeGreaterThan(0);
      for (const x of found) expect([x.run.name, faultRules(c.fault, x.conversation.version)]).toContainEqual(expect.arrayContaining([x.run.rule]));
      // nothing else: the fault lets exactly this class through
      expect(r.results.filter((x) => failsRun(x) && x.run.verdict !== 'accepted-invalid').map((x) => clientLadderText(x.run).join('\n'))).toEqual([]);

      expect(r.shrunk).toHaveLength(1);
      const s = r.shrunk[0]!;
      const sr = s.result.run;
      expect([sr.verdict, faultRules(c.fault, s.result.conversation.version).includes(sr.rule ?? '')]).toEqual(['accepted-invalid', true]);
      expect(sr.name).toMatch(c.mutant);
      expect(sr.ladder.slice(0, c.ladderStart.length)).toEqual(c.ladderStart);
      for (const l of c.shows) expect(sr.ladder).toContain(l);
      expect(sr.ladder.filter((l) => l.startsWith('C->S: alert'))).toEqual([]);
      expect(s.path === s.from || s.path.startsWith(`${s.from}:`)).toBe(true);

      const again = await run(options(cmd, c.seed, { path: s.path }));
      expect(again.results.map((x) => [x.run.name, x.run.verdict, x.run.rule])).toEqual([[sr.name, sr.verdict, sr.rule]]);

      const control = await run(options(`node ${faultyJs} {host} {port} ${c.args} --healthy`, c.seed, { maxShrinkRuns: 0 }));
      expect(control.mutants).toEqual(r.mutants);
      expect(control.results.filter(failsRun).map((x) => clientLadderText(x.run).join('\n'))).toEqual([]);
      expect(control.results.length).toBe(r.results.length);
    });
  }
});
