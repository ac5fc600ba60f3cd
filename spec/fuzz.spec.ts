/**
 * Live fuzzing (`fuzz/target.ts`) against openssl s_server (TLS 1.2 and 1.3,
 * client certificates required) and against a deliberately faulty target:
 * our engine's TLS 1.3 server with a hook that replaces whatever client
 * Finished arrives by the one it expects, i.e. a server that skips the
 * Finished check. The fuzzer must find that as accepted-invalid on
 * t13.fin.verify-data, shrink it to the simplest conversation, and replay
 * it by seed and path. Also: state-machine and client-certificate
 * conversations against openssl, profiles, --save read back by tshark, and
 * no socket or child process left after a run.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { digest, nodeProvider } from '../crypto';
import { finished13 } from '../crypto/tls13';
import type { EngineHooks } from '../engine/hooks';
import { runServerOverSocket } from '../engine/socket';
import { TlsServer } from '../engine/server';
import { hash13, hsMessage, suiteOfServerHello } from '../generators/mutations/support';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { testPki } from '../engine/fixtures';
import { MUTATIONS, mutation } from '../generators/mutations';
import { ladderText } from '../fuzz/judge';
import type { ServerFuzzOptions } from '../fuzz/options';
import type { TargetProfile } from '../fuzz/probe';
import { type FuzzResult, fuzzTarget, planContext, runSpec } from '../fuzz/target';
import { withOptions } from './support/fuzz-options';
import { tsharkInstalled } from './support/tshark';
import { freePort, LOOPBACK, PeerGroup, requireBinary } from '../testing/launch';
import { opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { tlsprop } from './support/cli';
import { recordFragment, runDir } from '../reports/collect';
import { EARLIER_MUTATIONS } from './support/families';
import { concatBytes } from '../wire/hex';
import { VERSION_CODE } from '../wire/vocabulary';
import { grown } from './support/resources';

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
    tls = new TlsServer({ provider, versions: [VERSION_CODE['1.3']], identity: pki.identity('server', 'rsa'), hooks });
    void runServerOverSocket(tls, socket, {
      readTimeoutMs: 3000,
      totalTimeoutMs: 8000,
      appData: new TextEncoder().encode('ok\n'),
    }).catch(() => socket.destroy());
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

const haveTshark = tsharkInstalled();

/** Sockets, servers and child processes of this process (by resource type). */
function liveResources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (/TCP|Pipe|Process/.test(r)) out[r] = (out[r] ?? 0) + 1;
  return out;
}
const settle = () => new Promise<void>((r) => setTimeout(r, 50));

function clientAuthOptions(port: number): ServerFuzzOptions {
  return {
    target: { host: LOOPBACK, port },
    identity: {
      pki: files.pki,
      identity: files.pki.identity('client', 'rsa'),
      trustAnchors: files.pki.anchors,
      serverName: 'localhost',
    },
    budget: { seed: 7, runs: 12 },
    // the catalogue without the issue #14 families (spec/families-stacks.spec.ts lists their findings per target)
    profile: { strictness: 'alert-or-close', only: EARLIER_MUTATIONS },
  };
}
/** The state-machine mutations and the client certificate faults of the catalogue, by name. */
const STATE_SCENARIOS = MUTATIONS.filter((m) => m.where === 'client-sends' && m.steps !== undefined);
const CERT_FAULTS = MUTATIONS.filter((m) => m.where === 'certificate' && m.presentedBy === 'client').map((m) => m.name);

describe('tlsprop fuzz against a live target', () => {
  it('openssl s_server (TLS 1.2 + 1.3, client certificates required): sanity ok, valid conversations conforming, mutants rejected; no socket or process left', async () => {
    const before = liveResources();
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'rsa', clientAuth: true }));
    const progress: string[] = [];
    const r = await fuzzTarget(
      withOptions(clientAuthOptions(port), {
        // seed 8: with seed 7 the coverage order (it grew by the rsa-pss-sha384 / -sha512 client keys) puts the TLS 1.3
        // valid resumption right after the 32 KeyUpdates, and s_server then leaves its first connection without a
        // ticket (skipped: "the first connection left no session to resume"), a timing interplay, not a finding
        budget: { seed: 8, runs: 14 },
        output: { onProgress: (l) => progress.push(l) },
      }),
    );
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
    // a target that resumes our sessions (the probe) also gets the valid resumption of the resume family
    const kinds = ['valid', 'mutant', 'state', 'cert', 'reneg', 'keyupdate', ...(r.profile.resumes?.length ? ['resume'] : [])];
    expect(new Set(r.results.map((x) => x.conversation.kind))).toEqual(new Set(kinds));
    // openssl rejects every mutant (no accepted-invalid, no hang); what it sends is recorded in the report
    const bad = r.results.filter((x) => x.run.verdict !== 'conforming' && x.run.verdict !== 'wrong-alert');
    expect(bad.map((x) => ladderText(x.run).join('\n'))).toEqual([]);
    expect(r.results.filter((x) => x.run.verdict === 'accepted-invalid')).toEqual([]);
    // the probe's own handshakes come first, one "[probe i/n] name: verdict" line each (mainjob's progress lines),
    // then its summary
    const probing = progress.findIndex((l) => !/^\[probe \d+\/\d+\] \S+/.test(l));
    expect(probing).toBeGreaterThan(0);
    // each probe handshake ends with its verdict; the ticket probe with what the ticket allows (0-RTT); the resumption
    // probes (a session, then its resumption) with whether the target resumed it
    const probeLine = /^\[probe \d+\/\d+\] .+: ([a-z-]+|max_early_data_size \d+|no ticket|no resumption)$/;
    expect(progress.slice(0, probing).filter((l) => !probeLine.test(l))).toEqual([]);
    expect(progress.slice(0, probing).filter((l) => / probe ticket: /.test(l))).toHaveLength(1);
    expect(progress[probing]).toMatch(
      /^probe: TLS 1\.3 \[TLS_AES_128_GCM_SHA256, .*\], TLS 1\.2 \[.*\], asks for a client certificate \(refuses a client without one\); resumes sessions in TLS 1\.2 and TLS 1\.3$/,
    );
    expect(progress.slice(0, probing).filter((l) => / probe resumption 1\.[23]: resumed$/.test(l))).toHaveLength(2);
    expect(progress[probing + 1]).toBe('sanity first: conforming (handshake completed)');
    expect(progress.at(-1)).toBe('sanity last: conforming (handshake completed)');
    // every run is recorded (14 lines, 14 results: no mutation of these fails to fire)
    expect(progress.filter((l) => /^\[\d+\/14\] /.test(l))).toHaveLength(14);
    expect(r.results.map((x) => x.run.path)).toEqual(Array.from({ length: 14 }, (_, i) => String(i)));
    // #9: nothing of the run is left: no socket, no child process
    await settle();
    expect(group.running()).toEqual([]);
    expect(grown(before, liveResources())).toEqual({});
  });

  it('state-machine conversations (each named scenario alone) against openssl s_server: all rejected as the tables say', async () => {
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'rsa', clientAuth: true }));
    const target: TargetProfile = { suites: { '1.2': [0xc02f], '1.3': [0x1301] }, certificateRequested: true };
    const ctx = planContext(clientAuthOptions(port), target);
    const lines: string[] = [];
    for (const s of STATE_SCENARIOS) {
      const out = await runSpec(
        ctx,
        { kind: 'state', scenarios: [s.name], cfg: { suite: 0, group: 0, compat: false, random: 0, schemes: 0 } },
        '0',
      );
      expect(out.fired).toBe(true);
      lines.push(`${s.name}: ${out.result.run.verdict} ${out.result.alert ?? out.result.run.detail}`);
    }
    await server.stop();
    expect(lines).toEqual([
      't12-state-early-ccs: conforming unexpected_message',
      't12-state-fin-before-cv: conforming unexpected_message',
      't12-state-appdata-before-fin: conforming unexpected_message',
      't12-state-cke-repeated: conforming unexpected_message',
      't12-state-cert-skipped: conforming unexpected_message',
      't12-state-second-ch: conforming unexpected_message',
      't12-state-fin-skipped: conforming the peer waited without completing (1000 ms)',
      't13-state-fin-before-cv: conforming unexpected_message',
      't13-state-cert-skipped: conforming unexpected_message',
      't13-state-second-ch: conforming unexpected_message',
      't13-state-fin-skipped: conforming bad_record_mac',
      't13-state-appdata-before-fin: conforming unexpected_message',
    ]);
  });

  it('client-certificate faults against openssl s_server trusting our CA: rejected with the catalogue alert', async () => {
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'rsa', clientAuth: true }));
    const o = withOptions(clientAuthOptions(port), { profile: { strictness: 'exact' } });
    const target: TargetProfile = { suites: { '1.2': [0xc02f], '1.3': [0x1301] }, certificateRequested: true };
    const ctx = planContext(o, target);
    const lines: string[] = [];
    for (const fault of CERT_FAULTS)
      for (const version of ['1.2', '1.3'] as const) {
        const out = await runSpec(
          ctx,
          { kind: 'cert', fault, version, cfg: { suite: 0, group: 0, compat: false, random: 0, schemes: 0 } },
          '0',
        );
        lines.push(`${fault} ${version}: ${out.result.run.verdict} ${out.result.alert ?? out.result.run.detail}`);
      }
    await server.stop();
    expect(lines).toEqual([
      'client-cert-expired 1.2: conforming certificate_expired',
      'client-cert-expired 1.3: conforming certificate_expired',
      'client-cert-wrong-key 1.2: conforming decrypt_error',
      'client-cert-wrong-key 1.3: conforming decrypt_error',
      // no client certificate at all: s_server -Verify refuses it with the alert each RFC names
      'client-cert-empty 1.2: conforming handshake_failure',
      'client-cert-empty 1.3: conforming certificate_required',
      'client-cert-unknown-ca 1.2: conforming unknown_ca',
      'client-cert-unknown-ca 1.3: conforming unknown_ca',
    ]);
  });

  it('a faulty server that skips the client Finished check: accepted-invalid on t13.fin.verify-data, shrunk to the simplest conversation, replayed by seed and path', async () => {
    const faulty = await faultyServer(files.pki);
    try {
      const o: ServerFuzzOptions = {
        target: { host: LOOPBACK, port: faulty.port },
        identity: { pki: files.pki, trustAnchors: files.pki.anchors, serverName: 'localhost' },
        budget: { seed: 3, runs: 8, coverFirst: false },
        profile: { strictness: 'alert-or-close', only: ['t13-client-finished-wrong'] },
      };
      const r = await fuzzTarget(o);
      expect(r.sanity).toEqual({ first: true, last: true });
      expect(r.profile.suites['1.2']).toEqual([]);
      const fin = r.results.filter((x) => x.conversation.operator === 't13-client-finished-wrong');
      expect(fin.length).toBeGreaterThan(1);
      for (const x of fin) {
        expect(x.run.verdict).toBe('accepted-invalid');
        expect(x.run.rule).toBe('t13.fin.verify-data');
        expect(x.run.ladder).toContain('C->S: finished');
      }
      for (const x of r.results.filter((y) => y.conversation.expect.kind === 'complete'))
        expect(x.run.verdict).toBe('conforming');
      // one distinct failure, replayed and shrunk to the simplest configuration
      expect(r.failures).toHaveLength(1);
      const f = r.failures[0]!;
      expect(f.reproduced).toBe(true);
      expect(f.original.run.path).toBe(fin[0]!.run.path);
      expect(f.shrunk?.spec).toEqual({
        kind: 'mutant',
        op: 't13-client-finished-wrong',
        cfg: { suite: 0, group: 0, compat: false, random: 0, schemes: 0 },
      });
      expect(f.shrunk?.run.path).toMatch(new RegExp(`^${f.original.run.path}(:\\d+)+$`));
      expect(f.shrinkRuns).toBeGreaterThan(1);
      expect(f.shrinkRuns).toBeLessThanOrEqual(31);
      // --seed S --path P replays exactly the shrunk conversation, with the same verdict
      const again = await fuzzTarget(withOptions(o, { budget: { path: f.shrunk!.run.path! } }));
      expect(again.results).toHaveLength(1);
      expect(again.results[0]!.spec).toEqual(f.shrunk!.spec);
      expect(again.results[0]!.run.verdict).toBe('accepted-invalid');
      expect(again.results[0]!.run.path).toBe(f.shrunk!.run.path);
      // and the original by its path
      const orig = await fuzzTarget(withOptions(o, { budget: { path: f.original.run.path! } }));
      expect(orig.results[0]!.spec).toEqual(f.original.spec);
    } finally {
      await faulty.close();
    }
  });

  it("finding: OpenSSL answers a TLS 1.2 ClientKeyExchange point at infinity with internal_error, not the catalogue's illegal_parameter", async () => {
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'rsa', version: '1.2' }));
    const base: ServerFuzzOptions = {
      target: { host: LOOPBACK, port },
      identity: { pki: files.pki, trustAnchors: files.pki.anchors, serverName: 'localhost' },
      budget: { seed: 5, runs: 4, maxShrinkRuns: 2 },
      profile: { strictness: 'exact', only: ['t12-cke-point-identity'] },
    };
    const exact = await fuzzTarget(base);
    const lax = await fuzzTarget(withOptions(base, { profile: { strictness: 'any-abort' } }));
    await server.stop();
    const mutants = (r: FuzzResult) => r.results.filter((x) => x.conversation.operator === 't12-cke-point-identity');
    expect(mutants(exact).length).toBeGreaterThan(0);
    for (const x of mutants(exact)) {
      expect(x.alert).toBe('internal_error');
      expect(x.run.verdict).toBe('wrong-alert');
      expect(x.run.rule).toBe('ecdh.point-format');
    }
    for (const x of mutants(lax)) expect(x.run.verdict).toBe('conforming');
  });

  it('profiles: an expected failure does not fail the run, an unexpected pass does, a bad profile is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-profile-'));
    const write = (name: string, v: unknown) => {
      const p = join(dir, name);
      writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v));
      return p;
    };
    const faulty = await faultyServer(files.pki);
    try {
      const expectedFin = write('fin.json', {
        target: 'faulty',
        expectedFailures: [{ name: 't13-client-finished-wrong', reason: 'this server skips the Finished check' }],
      });
      const a = await tlsprop([
        'fuzz',
        '--target',
        `127.0.0.1:${faulty.port}`,
        '--seed',
        '3',
        '--runs',
        '4',
        '--operator',
        't13-client-finished-wrong',
        '--profile',
        expectedFin,
        '--json',
      ]);
      const ja = JSON.parse(a.out.join('\n')) as {
        ok: boolean;
        failures: unknown[];
        profileOutcome: { expectedFailures: { reason: string }[]; unexpectedPasses: unknown[] };
        conversations: { verdict: string }[];
      };
      expect(ja.conversations.some((c) => c.verdict === 'accepted-invalid')).toBe(true);
      expect(ja.profileOutcome.expectedFailures.length).toBeGreaterThan(0);
      expect(ja.profileOutcome.unexpectedPasses).toEqual([]);
      expect(ja.failures).toEqual([]);
      expect(ja.ok).toBe(true);
      expect(a.code).toBe(0);
      // the same profile with the rule disabled: the mutant is still drawn (a path means the same with and without the
      // profile: it filters, it does not reorder) but not run
      const off = write('off.json', { disabled: [{ rule: 't13.fin.verify-data', reason: 'known' }] });
      const b = await tlsprop([
        'fuzz',
        '--target',
        `127.0.0.1:${faulty.port}`,
        '--seed',
        '3',
        '--runs',
        '3',
        '--operator',
        't13-client-finished-wrong',
        '--profile',
        off,
      ]);
      expect(b.out).toContain('disabled by the profile: t13-client-finished-wrong: known');
      const drawn = b.out.filter((l) => l.includes('t13-client-finished-wrong TLS_'));
      expect(drawn.length).toBeGreaterThan(0);
      for (const l of drawn) expect(l).toMatch(/skipped \(disabled by the profile: known\)$/);
      expect(b.code).toBe(0);
    } finally {
      await faulty.close();
    }
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'rsa', version: '1.3' }));
    const pass = write('pass.json', { expectedFailures: [{ name: 't13-state-second-ch', reason: 'assumed broken' }] });
    const c = await tlsprop([
      'fuzz',
      '--target',
      `127.0.0.1:${port}`,
      '--seed',
      '1',
      '--runs',
      '8',
      '--operator',
      't13-state-second-ch',
      '--profile',
      pass,
      '--ca',
      files.ca,
      '--servername',
      'localhost',
    ]);
    await server.stop();
    expect(c.out.some((l) => /^unexpected pass: \d+ t13-state-second-ch .*\(profile: assumed broken\)$/.test(l))).toBe(true);
    expect(c.out.at(-1)).toMatch(/unexpected pass\(es\)$/);
    expect(c.code).toBe(1);
    const bad = async (v: unknown) => tlsprop(['fuzz', '--target', '127.0.0.1:1', '--profile', write('bad.json', v)]);
    const unknownName = await bad({ expectedFailures: [{ name: 'no-such-operator', reason: 'x' }] });
    expect(unknownName.code).toBe(2);
    expect(unknownName.err.join('\n')).toMatch(/\$\.expectedFailures\[0\]\.name: unknown conversation name "no-such-operator"/);
    expect((await bad({ disabled: [{ rule: 't13.fin.verify-data' }] })).err.join('\n')).toMatch(
      /\$\.disabled\[0\]\.reason: a non-empty reason is required/,
    );
    expect((await bad({ expected: [] })).code).toBe(2);
    const notJson = await bad('{"disabled": [] x}');
    expect(notJson.code).toBe(2);
    expect(notJson.err.join('\n')).toMatch(/profile \$ \(byte 16\): not JSON: /);
    rmSync(dir, { recursive: true, force: true });
  });

  (haveTshark ? it : it.skip)(
    '--save writes the shrunk failure as pcap + key log + transcript JSON; tshark decrypts its Finished',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tlsprop-save-'));
      const faulty = await faultyServer(files.pki);
      try {
        const r = await tlsprop([
          'fuzz',
          '--target',
          `127.0.0.1:${faulty.port}`,
          '--seed',
          '3',
          '--runs',
          '3',
          '--operator',
          't13-client-finished-wrong',
          '--save',
          dir,
          '--json',
        ]);
        expect(r.code).toBe(1);
        const j = JSON.parse(r.out.join('\n')) as {
          failures: { shrunk?: { path: string; replay: string }; saved?: { pcap: string; keylog: string; json: string } }[];
        };
        expect(j.failures).toHaveLength(1);
        const saved = j.failures[0]!.saved!;
        // coverage first: the first conversation is the operator at the simplest configuration, nothing left to shrink
        expect(j.failures[0]!.shrunk?.replay).toBe('--seed 3 --path 0');
        for (const p of [saved.pcap, saved.keylog, saved.json]) expect(existsSync(p)).toBe(true);
        expect(readFileSync(saved.keylog, 'utf8')).toMatch(/^CLIENT_HANDSHAKE_TRAFFIC_SECRET /m);
        expect(readFileSync(saved.json, 'utf8')).not.toMatch(/TRAFFIC_SECRET/);
        const finished = (keylog: boolean) =>
          execFileSync(
            'tshark',
            [
              '-r',
              saved.pcap,
              ...(keylog ? ['-o', `tls.keylog_file:${saved.keylog}`] : []),
              '-Y',
              'tls.handshake.type==20',
              '-T',
              'fields',
              '-e',
              'tls.handshake.type',
            ],
            { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
          ).trim();
        expect(finished(false)).toBe('');
        // both Finished messages (server's, then our wrong one) are readable once decrypted
        expect(finished(true).split('\n')).toHaveLength(2);
      } finally {
        await faulty.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('the CLI: table and exit 0 against openssl; exit 1 with the shrunk ladder against the faulty server; exit 2 on usage errors', async () => {
    const port = await freePort();
    const server = await group.launch(opensslServer({ port, files, key: 'ecdsa', version: '1.3' }));
    const ok = await tlsprop([
      'fuzz',
      '--target',
      `127.0.0.1:${port}`,
      // the seed orders the coverage-first conversations over the whole catalogue: this one's first four are conforming
      // against s_server (seed 2 reached t13-keyupdate-trailing-byte once the record families joined, seed 4
      // ch-compression-without-null once the ECDSA-alone and obsolete-group offers joined: OpenSSL deviations listed in
      // spec/families-stacks.spec.ts)
      '--seed',
      '6',
      '--count',
      '4',
      '--ca',
      files.ca,
      '--servername',
      'localhost',
    ]);
    await server.stop();
    expect(ok.err).toEqual([]);
    expect(ok.out.find((l) => l.startsWith('path'))).toMatch(/^path\s+verdict\s+alert\s+rule\s+time\s+conversation$/);
    expect(ok.out.at(-1)).toMatch(/^4 conversations in \d+ ms \(\d+ at a time\): 4 conforming; sanity first ok, last ok$/);
    expect(ok.code).toBe(0);

    const faulty = await faultyServer(files.pki);
    try {
      const bad = await tlsprop([
        'fuzz',
        '--target',
        `127.0.0.1:${faulty.port}`,
        '--seed',
        '2',
        '--runs',
        '12',
        '--strictness',
        'exact',
        // the live families made the catalogue four times larger: twelve random draws from all of it need not meet the
        // fault, so the run draws from the conversations the fault concerns and one it must refuse
        '--operator',
        't13-client-finished-wrong,t13-keyshare-identity',
        '--json',
      ]);
      expect(bad.code).toBe(1);
      const j = JSON.parse(bad.out.join('\n')) as {
        ok: boolean;
        seed: number;
        conversations: Array<{ verdict: string; rule?: string; ladder: string[] }>;
        failures: Array<{ path: string; shrunk?: { path: string } }>;
      };
      expect(j.ok).toBe(false);
      expect(j.seed).toBe(2);
      expect(j.conversations).toHaveLength(12);
      expect(
        j.conversations.some(
          (c) => c.verdict === 'accepted-invalid' && c.rule === 't13.fin.verify-data' && c.ladder.includes('C->S: finished'),
        ),
      ).toBe(true);
      expect(j.failures.length).toBeGreaterThan(0);
      const text = await tlsprop([
        'fuzz',
        '--target',
        `localhost:${faulty.port}`,
        '--seed',
        '3',
        '--runs',
        '8',
        '--operator',
        't13-client-finished-wrong,t13-keyshare-identity',
      ]);
      expect(text.code).toBe(1);
      // findings grouped by (verdict, rule), each with a count and one representative ladder, shrunk
      // the findings block, and any other conversation that is not conforming (named in the message when it fails)
      const at = text.out.indexOf('findings: 1 distinct (verdict, rule)');
      const others = text.out.filter(
        (l) => /^\d+\s/.test(l) && !/^\d+\s+conforming\s|^\d+ conversations in |\bt13\.fin\.verify-data\b/.test(l),
      );
      expect({ at: at >= 0, others }).toEqual({ at: true, others: [] });
      expect(text.out.slice(at + 1).find((l) => l.trim() !== '')).toMatch(
        /^accepted-invalid t13\.fin\.verify-data: \d+ conversations? — /,
      );
      expect(
        text.out.some((l) => /^representative, shrunk from \d+ \(t13-client-finished-wrong .*\) in \d+ runs:$/.test(l)),
      ).toBe(true);
      // coverage first: the operator's first conversation is already the simplest one
      expect(
        text.out.some((l) =>
          /^t13-client-finished-wrong .*\[accepted-invalid t13\.fin\.verify-data\] replay: --seed 3 --path \d+(:\d+)*$/.test(l),
        ),
      ).toBe(true);
      expect(text.out).toContain(
        '  -- conversation: mutant t13-client-finished-wrong suite#0 group#0 compat=false random#0 schemes#0',
      );
    } finally {
      await faulty.close();
    }

    expect((await tlsprop(['fuzz', '--target', '192.0.2.1:443'])).code).toBe(2);
    expect((await tlsprop(['fuzz', '--target', '127.0.0.1:1', '--strictness', 'lenient'])).code).toBe(2);
    expect((await tlsprop(['fuzz'])).code).toBe(2);
    const unknownOp = await tlsprop(['fuzz', '--target', '127.0.0.1:1', '--operator', 't13-client-finished-wrong,nope']);
    expect(unknownOp.code).toBe(2);
    expect(unknownOp.err.join('\n')).toMatch(/unknown operator "nope"; known: .*t12-state-early-ccs.*client-cert-expired/);
    expect((await tlsprop(['fuzz', '--target', '127.0.0.1:1', '--path', 'x:1'])).code).toBe(2);
    expect((await tlsprop(['fuzz', '--target', '127.0.0.1:1', '--runs', '2', '--count', '2'])).code).toBe(2);
  });

  it('--write-ca writes the test root the certificate-fault conversations chain to (PEM), in any later run too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-ca-'));
    try {
      const file = join(dir, 'ca.pem');
      const r = await tlsprop(['fuzz', '--write-ca', file]);
      expect(r.code).toBe(0);
      expect(r.err.join('\n')).toMatch(/wrote the test root \(CN=tlsprop engine root, O=tlsprop\) to .*ca\.pem/);
      const ca = new X509Certificate(readFileSync(file));
      expect(ca.ca).toBe(true);
      // a later run builds its faulty leaves afresh: they still chain to the written root (same name, same key)
      const later = await testPki(Date.now() + 60_000);
      for (const fault of ['client-cert-expired', 'client-cert-wrong-key'] as const) {
        const m = mutation(fault);
        if (m.where !== 'certificate' || m.presentedBy !== 'client') throw new Error(`${fault} is no client certificate`);
        const leaf = new X509Certificate((await m.identity(later))!.chain[0]!);
        expect(leaf.checkIssued(ca)).toBe(true);
        expect(leaf.verify(ca.publicKey)).toBe(fault === 'client-cert-expired');
      }
      expect((await tlsprop(['fuzz', '--write-ca', join(dir, 'no', 'such', 'dir', 'ca.pem')])).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no peer process is left running', () => {
    expect(group.running().map((p) => `${p.name} pid ${p.pid}`)).toEqual([]);
  });
});
