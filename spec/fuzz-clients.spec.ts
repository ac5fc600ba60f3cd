/**
 * Live fuzzing of TLS clients (issue #7, fuzz/client.ts): tlsprop plays
 * the server on 127.0.0.1 and runs each real client as its client command,
 * once per conversation: openssl s_client (TLS 1.3 + 1.2, and TLS 1.2 with a
 * client certificate our server requires), gnutls-cli, a Node tls.connect
 * client, mosquitto_pub (our server plays the broker's TLS) and a
 * deliberately faulty client (our engine's client with the test-only fault
 * skip-finished-check). Real clients must complete every valid handshake and
 * reject every mutant with an alert the broken rules name (strictness
 * exact); the faulty client must come out as accepted-invalid on the
 * Finished rule, shrunk to a smallest conversation that replays by seed and
 * path through the CLI. `--profile` marks the GnuTLS finding as expected
 * (exit 0; the same expected failure passing against OpenSSL fails the run)
 * and `--save` writes a failure that tshark decrypts. Afterwards no socket
 * and no child process is left. The faulty-client switches each have their
 * own test in spec/faulty-clients.spec.ts.
 */
import { buildSync } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzListenCommand } from '../cli/fuzz-listen';
import { UsageError } from '../cli/args';
import type { Io } from '../cli/main';
import { type ClientFuzzResult, fuzzClient } from '../fuzz/client';
import { ladderText } from '../fuzz/judge';
import type { ClientFuzzOptions } from '../fuzz/options';
import type { Strictness } from '../wire/vocabulary';
import { LOOPBACK, requireBinary } from '../testing/launch';
import { type PkiFiles, writePki } from '../testing/pki';
import { recordFragment, runDir } from '../reports/collect';
import { OPENSSL_CLIENT } from './support/known-deviations';
import { tsharkInstalled } from './support/tshark';
import { grown } from './support/resources';

let files: PkiFiles;
/** The faulty client, bundled once (node starts it in ~0.2 s instead of compiling the engine each time). */
let faultyJs: string;

beforeAll(async () => {
  for (const b of ['openssl', 'gnutls-cli', 'mosquitto_pub'])
    requireBinary(b, b === 'gnutls-cli' ? 'gnutls-bin' : b === 'mosquitto_pub' ? 'mosquitto-clients' : b);
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

/** Sockets, servers and child processes of this process (by resource type). */
function liveResources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (/TCP|Pipe|Process/.test(r)) out[r] = (out[r] ?? 0) + 1;
  return out;
}
/** Running processes whose parent is this process. */
function childProcesses(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === process.pid && f[0] !== 'Z') out.push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  return out;
}

const settle = () => new Promise<void>((r) => setTimeout(r, 50));

/**
 * The mutants the exact-strictness runs draw from, pinned so that operators
 * added to the catalogue later do not change what these seeds sample (they
 * run in the any-abort test below until their expected alerts are settled).
 */
const PINNED: readonly string[] = [
  't12-early-server-ccs',
  't12-ske-sig-corrupt',
  't12-ske-sig-truncated',
  't12-ske-signed-wrong-randoms',
  't12-ske-scheme-key-mismatch',
  't12-server-finished-wrong',
  't12-suite-not-offered',
  't12-group-not-offered',
  't12-alpn-not-offered',
  't13-drop-server-cv',
  't13-server-cv-sig-corrupt',
  't13-server-cv-sig-truncated',
  't13-cv-client-context',
  't13-cv-missing-message',
  't13-cv-extra-message',
  't13-cv-rsa-pkcs1',
  't13-server-finished-wrong',
  't13-suite-not-offered',
  't13-group-not-offered',
  't13-session-id-not-echoed',
  // state-machine changes of our flight, and points off the curve with a valid X
  't12-ske-point-off-curve-valid-x',
  't13-server-share-off-curve-valid-x',
  't12-drop-ske',
  't12-drop-server-certificate',
  't12-duplicate-server-hello',
  't12-swap-certificate-ske',
  't13-drop-ee',
  't13-swap-certificate-cv',
];

/** What the runs below vary (`mutants: undefined`: every applicable mutant). */
interface Extra {
  runs?: number;
  seed?: number;
  path?: string;
  maxShrinkRuns?: number;
  strictness?: Strictness;
  mutants?: readonly string[] | undefined;
  clientCertRequired?: boolean;
}

function options(command: string, extra: Extra = {}): ClientFuzzOptions {
  const mutants = 'mutants' in extra ? extra.mutants : PINNED;
  const o: ClientFuzzOptions = {
    target: { host: LOOPBACK, port: 0, command },
    identity: { pki: files.pki, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors },
    budget: { seed: extra.seed ?? 11, runs: extra.runs ?? 10 },
    profile: {
      strictness: extra.strictness ?? 'exact',
      // the OpenSSL-based clients' own ClientHello deviation, the same in every conversation (known-deviations.ts)
      file: { expectedFailures: [], disabled: OPENSSL_CLIENT.map((d) => ({ rule: d.rule, reason: d.reason })) },
    },
  };
  if (extra.path !== undefined) o.budget.path = extra.path;
  if (extra.maxShrinkRuns !== undefined) o.budget.maxShrinkRuns = extra.maxShrinkRuns;
  if (mutants !== undefined) o.profile.only = mutants;
  if (extra.clientCertRequired) o.profile.clientCertRequired = true;
  return o;
}

/** Run, record the conversations in the report, and check what every run must show. */
async function fuzz(o: ClientFuzzOptions): Promise<{ r: ClientFuzzResult; progress: string[] }> {
  const before = liveResources();
  const kids = childProcesses();
  const progress: string[] = [];
  const r = await fuzzClient({ ...o, output: { ...o.output, onProgress: (l) => progress.push(l) } });
  recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
  expect(r.sanity).toEqual({ first: true, last: true });
  expect(progress.filter((l) => /^\[\d+\/\d+\] /.test(l))).toHaveLength(o.budget.path === undefined ? (o.budget.runs ?? -1) : 0);
  await settle();
  expect(grown(before, liveResources())).toEqual({});
  // no client command (nor anything it started) outlives its conversation
  expect(childProcesses()).toEqual(kids);
  return { r, progress };
}

/** Real clients: no failing conversation at all (a genuine finding would be asserted here by name). */
function expectAllConforming(r: ClientFuzzResult): void {
  expect(r.results.filter((x) => x.run.verdict !== 'conforming').map((x) => ladderText(x.run).join('\n'))).toEqual([]);
  expect(r.results.some((x) => x.conversation.expect.kind === 'complete')).toBe(true);
  expect(r.results.filter((x) => x.conversation.expect.kind === 'reject').length).toBeGreaterThan(2);
}

describe('tlsprop fuzz --listen: real clients as --client-cmd', () => {
  it('openssl s_client (TLS 1.3 + 1.2): valid handshakes completed, every server-side mutant rejected with a catalogue alert', async () => {
    const { r, progress } = await fuzz(
      options(`openssl s_client -connect {host}:{port} -servername localhost -CAfile ${files.ca} -verify_return_error`, {
        runs: 14,
      }),
    );
    expect(r.profile.versions).toEqual(['1.3', '1.2']);
    expect(progress[0]).toMatch(/^probe on 127\.0\.0\.1:\d+: client offers TLS 1\.3, TLS 1\.2; /);
    expect(new Set(r.results.map((x) => x.conversation.version))).toEqual(new Set(['1.2', '1.3']));
    expectAllConforming(r);
    // every mutant conversation that counted was rejected with an alert its rules name (any alert where the catalogue names none)
    for (const x of r.results) {
      const e = x.conversation.expect;
      if (e.kind === 'reject')
        expect([x.run.name, e.alerts.length === 0 || e.alerts.some((a) => a === x.alert)]).toEqual([x.run.name, true]);
    }
  });

  it('openssl s_client against every server-side mutant of the catalogue (new ones included): none accepted, none hung (any-abort)', async () => {
    const { r } = await fuzz(
      options(`openssl s_client -connect {host}:{port} -servername localhost -CAfile ${files.ca} -verify_return_error`, {
        runs: 16,
        seed: 12,
        strictness: 'any-abort',
        maxShrinkRuns: 0,
        mutants: undefined,
      }),
    );
    expect(r.mutants.length).toBeGreaterThanOrEqual(PINNED.length);
    // OpenSSL 3.0 goes on after encrypt_then_mac answered beside an AEAD suite: conforming, RFC 7366 §3 binds only the
    // server (ext.etm.block-cipher-only's tolerance for the client)
    expectAllConforming(r);
  });

  it('openssl s_client offering fewer suites, groups and signature schemes: the negotiation mutants apply and are rejected', async () => {
    const cmd = `openssl s_client -connect {host}:{port} -servername localhost -CAfile ${files.ca} -verify_return_error -ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384 -cipher ECDHE-RSA-AES256-GCM-SHA384:AES256-GCM-SHA384 -groups X25519 -sigalgs RSA-PSS+SHA256:RSA-PSS+SHA384`;
    const mutants = [
      't12-suite-not-offered',
      't12-group-not-offered',
      't13-suite-not-offered',
      't13-group-not-offered',
      't12-alpn-not-offered',
      't13-session-id-not-echoed',
      't12-ske-scheme-not-offered',
    ];
    const { r } = await fuzz(options(cmd, { runs: 10, seed: 3, mutants, maxShrinkRuns: 0 }));
    expect([...r.mutants].sort()).toEqual([...mutants].sort());
    expect(r.skipped).toEqual([]);
    expect(r.results.filter((x) => x.conversation.mutant).length).toBeGreaterThan(3);
    // Finding (minor): OpenSSL 3.0 answers a ServerKeyExchange signed with a scheme it did not offer
    // (rsa_pkcs1_sha256) with handshake_failure; the catalogue names illegal_parameter for
    // t12.neg.ske-sigalg (RFC 5246 §7.4.3 names no alert). Only that deviation is allowed here.
    const scheme = r.results.filter((x) => x.conversation.mutant?.name === 't12-ske-scheme-not-offered');
    expect(scheme.length).toBeGreaterThan(0);
    for (const x of scheme)
      expect([x.run.verdict, x.alert, x.run.rule]).toEqual(['wrong-alert', 'handshake_failure', 't12.neg.ske-sigalg']);
    expectAllConforming({ ...r, results: r.results.filter((x) => !scheme.includes(x)) });
  });

  it('openssl s_client -tls1_3 -ign_eof: the NewSessionTicket and CertificateRequest families, each answered as its rules say', async () => {
    // -ign_eof: s_client keeps reading after its stdin ends, so it reads the ticket that follows the handshake (without
    // it, it sends its data and close_notify at once and the post-handshake conversations prove nothing: skipped)
    const refused: Record<string, string> = {
      't13-nst-empty-ticket': 'decode_error',
      't13-nst-before-server-finished': 'unexpected_message',
      // RFC 8446 §4.2 names no alert for a repeated extension; illegal_parameter is the first the rule allows
      't13-nst-duplicate-extension': 'illegal_parameter',
      // (t13-server-cr-without-sigalgs is left out: against s_client its conversation is skipped, the transcript
      // decides neither way, "t13.neg.cr-sigalgs inconclusive")
    };
    const taken = [
      't13-nst-lifetime-zero',
      't13-nst-nonce-empty',
      't13-nst-nonce-255',
      't13-nst-unknown-extension',
      't13-server-cr-unknown-extension',
      // RFC 8446 §4.3.2 names no client reaction to a non-empty handshake context: OpenSSL echoes it and goes on
      't13-server-cr-context-nonempty',
    ];
    const mutants = [...Object.keys(refused), ...taken];
    const cmd = `openssl s_client -connect {host}:{port} -servername localhost -CAfile ${files.ca} -verify_return_error -tls1_3 -ign_eof`;
    const { r } = await fuzz(options(cmd, { runs: mutants.length + 1, seed: 4, mutants, maxShrinkRuns: 0 }));
    expect([...r.mutants].sort()).toEqual([...mutants].sort());
    expect(r.skipped).toEqual([]);
    expectAllConforming(r);
    const seen = Object.fromEntries(
      r.results.flatMap((x) => (x.conversation.mutant ? [[x.conversation.mutant.name, x.alert ?? '-']] : [])),
    );
    expect(seen).toEqual({ ...refused, ...Object.fromEntries(taken.map((n) => [n, '-'])) });
  });

  it('openssl s_client -tls1_2 with a client certificate our server requires', async () => {
    const id = files.client.rsa;
    const { r } = await fuzz(
      options(
        `openssl s_client -connect {host}:{port} -servername localhost -CAfile ${files.ca} -verify_return_error -tls1_2 -cert ${id.cert} -key ${id.key}`,
        { runs: 10, seed: 5, clientCertRequired: true },
      ),
    );
    expect(r.profile.versions).toEqual(['1.2']);
    expect(r.mutants.every((m) => m.startsWith('t12-') || m.startsWith('cert-'))).toBe(true);
    expect(r.results.every((x) => x.conversation.clientAuth === 'require')).toBe(true);
    expectAllConforming(r);
    // the client's Certificate and CertificateVerify went through the oracles (our server required and checked them)
    expect(
      r.results.some((x) => x.conversation.expect.kind === 'complete' && x.run.ladder.includes('C->S: certificate_verify')),
    ).toBe(true);
  });

  it('gnutls-cli: conforming except one finding, the TLS 1.1 downgrade sentinel in a TLS 1.2 ServerHello is accepted', async () => {
    const cmd = `gnutls-cli 127.0.0.1 --port {port} --x509cafile ${files.ca} --priority NORMAL:+SHA256:+SHA384`;
    const { r } = await fuzz(options(cmd, { runs: 8, seed: 7, maxShrinkRuns: 0 }));
    expect(r.profile.versions).toEqual(['1.3', '1.2']);
    // the finding (below) is the only failure this run may show
    const other = r.results.filter((x) => x.run.verdict !== 'conforming' && x.conversation.mutant?.name !== 't12-tls11-sentinel');
    expect(other.map((x) => ladderText(x.run).join('\n'))).toEqual([]);

    // Finding: GnuTLS 3.7.9 offers TLS 1.3, is answered with a TLS 1.2 ServerHello whose random ends with
    // 44 4F 57 4E 47 52 44 00 (the TLS 1.1 sentinel) and goes on (Certificate, ClientKeyExchange, CCS, Finished).
    // RFC 8446 §4.1.3: a TLS 1.3 client receiving a ServerHello for TLS 1.2 or below MUST check the last 8 bytes
    // against either sentinel and abort with illegal_parameter. OpenSSL 3.0 and Node reject it (next tests).
    const { r: f } = await fuzz(options(cmd, { runs: 3, seed: 1, mutants: ['t12-tls11-sentinel'], maxShrinkRuns: 0 }));
    const found = f.results.filter((x) => x.conversation.mutant?.name === 't12-tls11-sentinel');
    expect(found.length).toBeGreaterThan(0);
    for (const x of found) {
      expect([x.run.verdict, x.run.rule, x.run.detail]).toEqual([
        'accepted-invalid',
        'ver.downgrade-sentinel-set',
        'the peer went on after our invalid input: it sent its ChangeCipherSpec',
      ]);
      expect(x.run.ladder.slice(0, 2)).toEqual(['C->S: client_hello', 'S->C: server_hello']);
      expect(x.run.ladder).toContain('C->S: change_cipher_spec');
      expect(x.run.ladder).not.toContainEqual(expect.stringMatching(/^C->S: alert/));
    }
  });

  it('openssl s_client and Node reject the TLS 1.1 sentinel in a TLS 1.2 ServerHello with illegal_parameter', async () => {
    for (const cmd of [
      `openssl s_client -connect {host}:{port} -servername localhost -CAfile ${files.ca}`,
      `node ${join(__dirname, 'fixtures', 'node-tls-client.js')} {host} {port} ${files.ca}`,
    ]) {
      const { r } = await fuzz(options(cmd, { runs: 3, seed: 1, mutants: ['t12-tls11-sentinel'], maxShrinkRuns: 0 }));
      const m = r.results.filter((x) => x.conversation.mutant);
      expect(m.length).toBeGreaterThan(0);
      expect(m.map((x) => [x.run.verdict, x.alert])).toEqual(m.map(() => ['conforming', 'illegal_parameter']));
    }
  });

  it('a Node tls.connect client', async () => {
    const { r } = await fuzz(
      options(`node ${join(__dirname, 'fixtures', 'node-tls-client.js')} {host} {port} ${files.ca}`, { runs: 8, seed: 8 }),
    );
    expectAllConforming(r);
    expect(
      r.results.some(
        (x) =>
          x.conversation.expect.kind === 'complete' && x.run.detail === 'handshake completed, the peer sent application data',
      ),
    ).toBe(true);
  });

  it('mosquitto_pub: the handshake completes and MQTT CONNECT arrives as application data', async () => {
    const { r } = await fuzz(
      options(`mosquitto_pub -h localhost -p {port} --cafile ${files.ca} -t tlsprop/fuzz -m hello -q 0`, { runs: 8, seed: 9 }),
    );
    expectAllConforming(r);
    expect(
      r.results
        .filter((x) => x.conversation.expect.kind === 'complete')
        .every((x) => x.run.detail === 'handshake completed, the peer sent application data'),
    ).toBe(true);
  });
});

function capture(): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s) => out.push(s), err: (s) => err.push(s), readStdin: async () => '' }, out, err };
}

describe('tlsprop fuzz --listen: a faulty client and the command line', () => {
  it('a client that skips the server Finished check: accepted-invalid on the Finished rule, shrunk, replayed by seed and path', async () => {
    const cmd = `node ${faultyJs} {host} {port}`;
    const mutants = [
      't12-ske-sig-corrupt',
      't12-server-finished-wrong',
      't13-server-cv-sig-corrupt',
      't13-server-finished-wrong',
    ];
    const { r } = await fuzz(options(cmd, { runs: 6, seed: 5, mutants, maxShrinkRuns: 2, strictness: 'alert-or-close' }));
    const found = r.results.filter((x) => x.run.verdict === 'accepted-invalid');
    expect(found.length).toBeGreaterThan(0);
    for (const x of found)
      expect([x.conversation.mutant?.name, x.run.rule]).toContainEqual(
        x.conversation.version === '1.3' ? 't13.fin.verify-data' : 't12.fin.verify-data',
      );
    expect(new Set(found.map((x) => x.conversation.mutant?.name))).toEqual(
      new Set(found.map((x) => `t${x.conversation.version === '1.3' ? '13' : '12'}-server-finished-wrong`)),
    );
    // everything else (valid handshakes, signature mutants: the fault is only in the Finished check) is conforming
    expect(r.results.filter((x) => x.run.verdict !== 'conforming' && x.run.verdict !== 'accepted-invalid')).toEqual([]);
    // shrunk: per distinct failure (coverage first runs both versions' Finished mutant), the smallest conversation
    // failing the same way, with a path that extends the original one
    expect(r.shrunk.map((x) => x.result.run.rule).sort()).toEqual([...new Set(found.map((x) => x.run.rule))].sort());
    const s = r.shrunk[0]!;
    expect(s.result.run.verdict).toBe('accepted-invalid');
    expect(s.result.conversation.mutant?.name).toMatch(/^t1[23]-server-finished-wrong$/);
    expect(s.path === s.from || s.path.startsWith(`${s.from}:`)).toBe(true);
    expect(s.runs).toBeGreaterThan(0);
    expect(s.runs).toBeLessThanOrEqual(2);

    // replay through the CLI: exactly that conversation, same verdict, ladder printed, exit 1
    const c = capture();
    const kids = childProcesses();
    const code = await fuzzListenCommand(
      [
        '--listen',
        '127.0.0.1:0',
        '--client-cmd',
        cmd,
        '--seed',
        '5',
        '--path',
        s.path,
        '--operator',
        mutants.join(','),
        '--strictness',
        'alert-or-close',
      ],
      c.io,
    );
    expect(code).toBe(1);
    expect(c.out).toContainEqual(
      expect.stringMatching(
        new RegExp(`^replay ${s.path} ${s.result.run.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: accepted-invalid$`),
      ),
    );
    expect(c.out).toContainEqual(expect.stringMatching(/\[accepted-invalid t1[23]\.fin\.verify-data\] replay: --seed 5 --path /));
    expect(c.out).toContain('  S->C: finished');
    expect(c.out.at(-1)).toMatch(/^1 conversations in \d+ ms: 1 accepted-invalid; sanity first ok, last ok$/);
    await settle();
    expect(childProcesses()).toEqual(kids);
  });

  it('the same client without the fault passes the same run', async () => {
    const mutants = [
      't12-ske-sig-corrupt',
      't12-server-finished-wrong',
      't13-server-cv-sig-corrupt',
      't13-server-finished-wrong',
    ];
    const { r } = await fuzz(
      options(`node ${faultyJs} {host} {port} --healthy`, { runs: 6, seed: 5, mutants, strictness: 'alert-or-close' }),
    );
    expectAllConforming(r);
  });

  it('--json, with the default test PKI whose root --write-ca writes for the client', async () => {
    const caOut = join(files.dir, 'fuzz-root.crt');
    const c = capture();
    const kids = childProcesses();
    const code = await fuzzListenCommand(
      [
        '--listen',
        '127.0.0.1:0',
        '--client-cmd',
        `openssl s_client -connect {host}:{port} -servername localhost -CAfile ${caOut} -verify_return_error -tls1_3`,
        '--runs',
        '4',
        '--seed',
        '2',
        '--strictness',
        'exact',
        '--operator',
        't13-server-finished-wrong,t13-drop-ee',
        '--write-ca',
        caOut,
        '--json',
      ],
      c.io,
    );
    const j = JSON.parse(c.out.join('\n')) as {
      ok: boolean;
      sanity: unknown;
      profile: { versions: string[] };
      conversations: Array<{ verdict: string; path: string; role: string }>;
    };
    expect([code, j.ok, j.sanity]).toEqual([0, true, { first: true, last: true }]);
    expect(j.profile.versions).toEqual(['1.3']);
    expect(j.conversations.map((x) => [x.role, x.verdict])).toEqual(j.conversations.map(() => ['client', 'conforming']));
    expect(j.conversations.length).toBeGreaterThan(0);
    // progress went to stderr
    expect(c.err[0]).toMatch(/^fuzzing client "openssl s_client .*" from 127\.0\.0\.1:0 seed 2 runs 4 strictness exact$/);
    await settle();
    expect(childProcesses()).toEqual(kids);
  });

  it('--profile: the GnuTLS downgrade-sentinel finding marked as expected makes the gnutls-cli run exit 0; an expected failure that passes fails the run', async () => {
    const caOut = join(files.dir, 'fuzz-root-profile.crt');
    const profile = join(files.dir, 'gnutls-profile.json');
    writeFileSync(
      profile,
      JSON.stringify({
        target: 'gnutls-cli 3.7',
        expectedFailures: [
          {
            name: 't12-tls11-sentinel',
            rule: 'ver.downgrade-sentinel-set',
            reason: 'GnuTLS 3.7.9 goes on after the TLS 1.1 sentinel (RFC 8446 §4.1.3)',
          },
        ],
        disabled: OPENSSL_CLIENT.map((d) => ({ rule: d.rule, reason: d.reason })),
      }),
    );
    const args = (cmd: string) => [
      '--listen',
      '127.0.0.1:0',
      '--client-cmd',
      cmd,
      '--runs',
      '3',
      '--seed',
      '1',
      '--operator',
      't12-tls11-sentinel',
      '--profile',
      profile,
      '--write-ca',
      caOut,
      '--max-shrink',
      '0',
      '--json',
    ];
    const kids = childProcesses();
    const c = capture();
    const code = await fuzzListenCommand(
      args(`gnutls-cli 127.0.0.1 --port {port} --x509cafile ${caOut} --priority NORMAL:+SHA256:+SHA384`),
      c.io,
    );
    type J = {
      ok: boolean;
      conversations: Array<{ verdict: string; rule?: string; profile?: { status: string } }>;
      profileOutcome: { expectedFailures: unknown[]; unexpectedPasses: unknown[] };
    };
    const j = JSON.parse(c.out.join('\n')) as J;
    const mutants = j.conversations.filter((x) => x.profile);
    expect(mutants.length).toBeGreaterThan(0);
    expect(mutants.map((x) => [x.verdict, x.rule, x.profile?.status])).toEqual(
      mutants.map(() => ['accepted-invalid', 'ver.downgrade-sentinel-set', 'expected-failure']),
    );
    expect([code, j.ok, j.profileOutcome.unexpectedPasses]).toEqual([0, true, []]);
    // OpenSSL rejects the sentinel: the same profile's expected failure passes, which fails the run
    const o = capture();
    const code2 = await fuzzListenCommand(
      args(`openssl s_client -connect {host}:{port} -servername localhost -CAfile ${caOut}`),
      o.io,
    );
    const k = JSON.parse(o.out.join('\n')) as J;
    expect([code2, k.ok, k.profileOutcome.unexpectedPasses.length > 0]).toEqual([1, false, true]);
    // a profile naming a mutant that does not exist is a usage error
    writeFileSync(profile, JSON.stringify({ expectedFailures: [{ name: 'no-such-mutant', reason: 'x' }] }));
    await expect(fuzzListenCommand(args('true'), capture().io)).rejects.toThrow(/unknown conversation name "no-such-mutant"/);
    await settle();
    expect(childProcesses()).toEqual(kids);
  });

  (tsharkInstalled() ? it : it.skip)(
    '--save writes the shrunk failure as pcap + key log + transcript JSON; tshark decrypts both Finished messages',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tlsprop-client-save-'));
      try {
        const c = capture();
        const code = await fuzzListenCommand(
          [
            '--listen',
            '127.0.0.1:0',
            '--client-cmd',
            `node ${faultyJs} {host} {port}`,
            '--seed',
            '5',
            '--runs',
            '3',
            '--operator',
            't13-server-finished-wrong',
            '--max-shrink',
            '2',
            '--save',
            dir,
            '--json',
          ],
          c.io,
        );
        expect(code).toBe(1);
        const j = JSON.parse(c.out.join('\n')) as {
          shrunk: Array<{
            replay: string;
            conversation: { verdict: string };
            saved?: { pcap: string; keylog: string; json: string };
          }>;
        };
        expect(j.shrunk).toHaveLength(1);
        const s = j.shrunk[0]!;
        expect([s.conversation.verdict, s.replay]).toEqual([
          'accepted-invalid',
          expect.stringMatching(/^--seed 5 --path \d+(:\d+)*$/),
        ]);
        const saved = s.saved!;
        for (const p of [saved.pcap, saved.keylog, saved.json]) expect(existsSync(p)).toBe(true);
        expect(readFileSync(saved.keylog, 'utf8')).toMatch(/^SERVER_HANDSHAKE_TRAFFIC_SECRET /m);
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
              'ip.src',
              '-e',
              'tcp.srcport',
            ],
            { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
          ).trim();
        expect(finished(false)).toBe('');
        // our wrong server Finished, then the faulty client's Finished, both readable once decrypted
        const lines = finished(true).split('\n');
        expect(lines).toHaveLength(2);
        expect(lines[0]).not.toBe(lines[1]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('usage errors (listen address, client command, strictness, path) and a client that never connects', async () => {
    const c = capture();
    await expect(fuzzListenCommand(['--listen', '10.1.2.3:4433', '--client-cmd', 'true'], c.io)).rejects.toThrow(
      /not a loopback address; give --allow-remote/,
    );
    await expect(fuzzListenCommand(['--listen', '127.0.0.1:4433'], c.io)).rejects.toThrow(UsageError);
    await expect(fuzzListenCommand(['--client-cmd', 'true'], c.io)).rejects.toThrow(/--listen is required/);
    await expect(
      fuzzListenCommand(['--listen', '127.0.0.1:4433', '--client-cmd', 'true', '--strictness', 'lax'], c.io),
    ).rejects.toThrow(/--strictness must be one of/);
    await expect(fuzzListenCommand(['--listen', '127.0.0.1:4433', '--client-cmd', 'true', '--path', 'x'], c.io)).rejects.toThrow(
      /--path expects/,
    );
    await expect(
      fuzzListenCommand(['--listen', '127.0.0.1:4433', '--client-cmd', 'true', '--cert', 'a.pem'], c.io),
    ).rejects.toThrow(/--cert and --key go together/);
    // a client command that never connects: the probe says so, with the command's exit and output
    const kids = childProcesses();
    await expect(fuzzListenCommand(['--listen', '127.0.0.1:0', '--client-cmd', 'echo no route; exit 3'], c.io)).rejects.toThrow(
      /^probe: the client never connected to .* \(exit 3 after \d+ ms\): no route$/,
    );
    await settle();
    expect(childProcesses()).toEqual(kids);
  });
});
