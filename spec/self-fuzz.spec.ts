/**
 * The self-fuzz (issue #20 part 3, issue #14): every conversation family runs
 * against our own healthy engine, in both roles and both TLS versions, at
 * strictness exact, and must give zero findings. A finding here is an
 * engine bug (the engine broke or refused what the RFC says) or an oracle bug
 * (the declaration expects what the RFC does not say): either is fixed where
 * it is, never marked as expected.
 *
 * - Server role: `fuzzTarget` against the engine's server as `tlsprop serve
 *   --echo --client-auth require` runs it (engine/serve.ts; client certificates
 *   required and validated against the test root, so the CertificateVerify
 *   and client certificate families apply), every applicable name once at
 *   its simplest configuration (coverage first, no random conversations).
 * - Client role: `fuzzClient` with our engine's client as the client command
 *   (spec/fixtures/faulty-client.ts --healthy, the same client as `tlsprop
 *   connect`), once offering TLS 1.3 and once TLS 1.2, every applicable
 *   server-side mutant once.
 */
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { type TestPki, testPki } from '../engine/fixtures';
import { nodeProvider } from '../crypto';
import { serve } from '../engine/serve';
import { ServerSessionCache } from '../engine/session';
import { VERSION_CODE } from '../wire/vocabulary';
import { type ClientFuzzResult, fuzzClient } from '../fuzz/client';
import { ladderText } from '../fuzz/judge';
import type { ConversationRun } from '../oracles/live';
import type { ServerFuzzOptions } from '../fuzz/options';
import { type FuzzResult, fuzzTarget } from '../fuzz/target';
import { liveSide, MUTATIONS } from '../generators/mutations';
import { LOOPBACK, requireBinary } from '../testing/launch';
import { type PkiFiles, writePki } from '../testing/pki';
import { recordFragment, runDir } from '../reports/collect';

const SEED = 1;

/**
 * The mutations that close "partly" rows of docs/tlsfuzzer-parity.md (issue #14): each must run against our engine in
 * every version it declares and be answered with the alert its rules name (engine/core.ts: a handshake message that
 * does not decode, or an empty-by-definition extension with a body, is decode_error), or complete where the RFC lets
 * the server go on ('-').
 */
const PARITY: Readonly<Record<string, string>> = {
  'ch-ems-with-body 1.2': 'decode_error',
  'ch-etm-with-body 1.2': 'decode_error',
  'ch-sigalgs-empty 1.2': 'decode_error',
  'ch-sigalgs-empty 1.3': 'decode_error',
  'ch-sigalgs-odd-length 1.2': 'decode_error',
  'ch-sigalgs-odd-length 1.3': 'decode_error',
  'ch-sni-empty-list 1.2': 'decode_error',
  'ch-sni-empty-list 1.3': 'decode_error',
  // RFC 6066 §3: the server "MAY use the information contained in the extension": ours uses the first host name, or
  // goes on without recognising the name
  'ch-sni-two-host-names 1.2': '-',
  'ch-sni-two-host-names 1.3': '-',
  'ch-sni-nul-in-host-name 1.2': '-',
  'ch-sni-nul-in-host-name 1.3': '-',
  // our server has no ALPN protocol configured: it leaves ALPN unanswered (RFC 7301 §3.1 "MAY return")
  'ch-alpn-unknown-only 1.2': '-',
  'ch-alpn-unknown-only 1.3': '-',
  'ch-alpn-empty-name 1.2': 'decode_error',
  'ch-alpn-empty-name 1.3': 'decode_error',
  'ch-alpn-empty-list 1.2': 'decode_error',
  'ch-alpn-empty-list 1.3': 'decode_error',
  'ch-alpn-list-length-plus-one 1.2': 'decode_error',
  'ch-alpn-list-length-plus-one 1.3': 'decode_error',
  'ch-alpn-list-length-minus-one 1.2': 'decode_error',
  'ch-alpn-list-length-minus-one 1.3': 'decode_error',
  'client-cert-list-length-plus-one 1.2': 'decode_error',
  'client-cert-list-length-plus-one 1.3': 'decode_error',
  'client-cert-list-length-minus-one 1.2': 'decode_error',
  'client-cert-list-length-minus-one 1.3': 'decode_error',
  'client-cert-entry-length-plus-one 1.2': 'decode_error',
  'client-cert-entry-length-plus-one 1.3': 'decode_error',
  'client-cert-entry-length-minus-one 1.2': 'decode_error',
  'client-cert-entry-length-minus-one 1.3': 'decode_error',
  // our server answers a transport closed mid-handshake with unexpected_message before it closes (closing is all the
  // RFC asks: RFC 8446 §6.1, RFC 5246 §7.2.1)
  'truncated-after-server-flight 1.2': 'unexpected_message',
  'truncated-after-server-flight 1.3': 'unexpected_message',
  // engine/core.ts: a plaintext alert once TLS 1.3 keys are in use is taken as the alert; nothing is sent back
  't13-plaintext-alert-before-finished 1.3': '-',
  // RFC 5246 §7.4.7.1: our server goes on with a random premaster, so our client's Finished record does not open
  't12-rsa-premaster-zeros 1.2': 'bad_record_mac',
  't12-rsa-premaster-block-type-1 1.2': 'bad_record_mac',
  't12-rsa-ciphertext-modulus 1.2': 'bad_record_mac',
  't12-rsa-premaster-no-separator 1.2': 'bad_record_mac',
  't12-rsa-premaster-early-separator 1.2': 'bad_record_mac',
  't12-rsa-premaster-47-bytes 1.2': 'bad_record_mac',
  't12-rsa-premaster-49-bytes 1.2': 'bad_record_mac',
  't12-rsa-ciphertext-truncated 1.2': 'bad_record_mac',
  // engine/core.ts: a plaintext handshake record once TLS 1.3 protection is in use (RFC 8446 §5.2, §5)
  't13-finished-plaintext 1.3': 'unexpected_message',
};

let pki: TestPki;
let files: PkiFiles;
let clientJs: string;

beforeAll(async () => {
  requireBinary('node', 'nodejs');
  pki = await testPki();
  files = await writePki();
  clientJs = join(files.dir, 'engine-client.js');
  buildSync({
    entryPoints: [join(__dirname, 'fixtures', 'faulty-client.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: clientJs,
    logLevel: 'warning',
  });
});
afterAll(() => files?.cleanup());

/** Every failing conversation as its ladder (empty: zero findings). */
function findings(results: readonly { run: ConversationRun }[]): string[] {
  return results.filter((x) => x.run.verdict !== 'conforming').map((x) => ladderText(x.run).join('\n'));
}

describe('self-fuzz: every family against our own engine, strictness exact, zero findings', () => {
  it('server role: fuzzTarget against the engine serve (TLS 1.3 + 1.2, client certificates required)', async () => {
    // `tlsprop serve --echo --client-auth require`: the engine's server answering each record of data with the same
    // data (an answer comes only after ours, so a conversation whose data must be refused is judged by what follows it)
    const server = await serve({
      config: {
        provider: nodeProvider(),
        identity: pki.identity('server', 'rsa'),
        clientAuth: 'require',
        trustAnchors: pki.anchors,
      },
      app: { kind: 'echo' },
      jobs: Number.POSITIVE_INFINITY,
      readTimeoutMs: 5000,
      totalTimeoutMs: 30_000,
    });
    let r: FuzzResult;
    try {
      const o: ServerFuzzOptions = {
        target: { host: LOOPBACK, port: server.port },
        identity: { pki, identity: pki.identity('client', 'rsa'), trustAnchors: pki.anchors, serverName: 'localhost' },
        budget: { seed: SEED, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 3000 },
        profile: { strictness: 'exact' },
      };
      r = await fuzzTarget(o);
    } finally {
      await server.close();
    }
    recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
    expect(r.sanity).toEqual({ first: true, last: true });
    expect(r.profile.suites['1.2'].length).toBeGreaterThan(0);
    expect(r.profile.suites['1.3'].length).toBeGreaterThan(0);
    expect(new Set(r.results.map((x) => x.conversation.version))).toEqual(new Set(['1.2', '1.3']));
    expect(new Set(r.results.map((x) => x.conversation.kind))).toEqual(new Set(['valid', 'mutant', 'state', 'cert', 'reneg']));
    expect(findings(r.results)).toEqual([]);
    expect(r.failures).toEqual([]);
    const answered = Object.fromEntries(
      r.results
        .filter((x) => x.conversation.kind === 'mutant')
        .map((x) => [`${x.conversation.subject ?? x.conversation.name} ${x.conversation.version}`, x.alert ?? '-']),
    );
    expect(Object.fromEntries(Object.keys(PARITY).map((k) => [k, answered[k]]))).toEqual(PARITY);
  });

  it.each([['secure'], ['refuse']] as const)(
    'server role, renegotiation %s: the renegotiation family (valid and each mutation) against the engine serve',
    async (renegotiation) => {
      const server = await serve({
        config: { provider: nodeProvider(), identity: pki.identity('server', 'rsa'), renegotiation },
        app: { kind: 'echo' },
        jobs: Number.POSITIVE_INFINITY,
        readTimeoutMs: 5000,
        totalTimeoutMs: 30_000,
      });
      const names = MUTATIONS.filter((m) => m.where === 'client-sends' && m.renegotiates && liveSide(m) === 'client').map(
        (m) => m.name,
      );
      let r: FuzzResult;
      try {
        r = await fuzzTarget({
          target: { host: LOOPBACK, port: server.port },
          identity: { pki, trustAnchors: pki.anchors, serverName: 'localhost' },
          budget: { seed: SEED, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 3000 },
          profile: { strictness: 'exact', only: names },
        });
      } finally {
        await server.close();
      }
      const reneg = r.results.filter((x) => x.conversation.kind === 'reneg');
      // the valid renegotiation and each mutation ran (none skipped: each renegotiated on a secure connection)
      expect(new Set(reneg.map((x) => x.conversation.subject ?? 'valid'))).toEqual(new Set(['valid', ...names]));
      expect(r.skipped).toEqual([]);
      // a server that renegotiates completes the valid one and refuses each mutation with handshake_failure; one that
      // refuses renegotiation declines each with the warning no_renegotiation (RFC 5246 §7.2.2)
      const valid = reneg.find((x) => x.conversation.subject === undefined)!;
      expect(valid.run.detail).toMatch(renegotiation === 'secure' ? /handshake completed/ : /declined the renegotiation/);
      for (const x of reneg.filter((y) => y.conversation.subject !== undefined))
        if (renegotiation === 'secure') expect(x.alert).toBe('handshake_failure');
        else expect(x.run.detail).toMatch(/declined the renegotiation with the warning no_renegotiation/);
      expect(findings(r.results)).toEqual([]);
    },
  );

  /**
   * `tlsprop serve --echo --max-early-data 1024` (tickets allow 1024 bytes of 0-RTT data; `antiReplay: false` makes a
   * test target that accepts a replay), fuzzed with the `only` names at strictness exact.
   */
  async function fuzzEarlyServe(only: string[], antiReplay = true): Promise<FuzzResult> {
    const provider = nodeProvider();
    const server = await serve({
      config: {
        provider,
        identity: pki.identity('server', 'rsa'),
        versions: [VERSION_CODE['1.3']],
        maxEarlyDataSize: 1024,
        ...(antiReplay ? {} : { antiReplay: false }),
        sessionCache: new ServerSessionCache(provider),
      },
      app: { kind: 'echo' },
      jobs: Number.POSITIVE_INFINITY,
      readTimeoutMs: 5000,
      totalTimeoutMs: 30_000,
    });
    try {
      return await fuzzTarget({
        target: { host: LOOPBACK, port: server.port },
        identity: { pki, trustAnchors: pki.anchors, serverName: 'localhost' },
        budget: { seed: SEED, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 3000 },
        profile: { strictness: 'exact', only },
      });
    } finally {
      await server.close();
    }
  }

  it('server role, 0-RTT: the early family (valid and each 0-RTT mutation) against the engine serve --max-early-data', async () => {
    const names = MUTATIONS.filter((m) => m.where === 'configuration' && m.zeroRtt !== undefined).map((m) => m.name);
    const r = await fuzzEarlyServe(names);
    expect(r.profile.maxEarlyData).toBe(1024);
    const early = r.results.filter((x) => x.conversation.kind === 'early');
    expect(new Set(early.map((x) => x.conversation.subject ?? 'valid'))).toEqual(new Set(['valid', ...names]));
    expect(r.skipped).toEqual([]);
    const answered = Object.fromEntries(early.map((x) => [x.conversation.subject ?? 'valid', x.alert ?? '-']));
    // valid 0-RTT completes; past max_early_data_size: unexpected_message (RFC 8446 §4.6.1); a record under keys it
    // was not protected with: bad_record_mac (RFC 8446 §5.2)
    expect(answered).toEqual({
      valid: '-',
      't13-0rtt-over-max-early-data-size': 'unexpected_message',
      't13-0rtt-without-early-data-extension': 'bad_record_mac',
      't13-eoed-missing': 'bad_record_mac',
      't13-eoed-duplicated': 'bad_record_mac',
      // the replay completes, its 0-RTT data refused (RFC 8446 §8: accepted at most once)
      't13-0rtt-replay-accepted': '-',
    });
    expect(findings(r.results)).toEqual([]);
  });

  it('server role, 0-RTT without anti-replay (antiReplay false, a test target): the replay is flagged under t13.early.replay-once', async () => {
    const r = await fuzzEarlyServe(['t13-0rtt-replay-accepted'], false);
    const replay = r.results.find((x) => x.conversation.subject === 't13-0rtt-replay-accepted');
    // RFC 8446 §8: "The server MUST ensure that any instance of it ... would accept 0-RTT for the same 0-RTT handshake
    // at most once"
    expect(replay?.run).toMatchObject({ verdict: 'flagged', rule: 't13.early.replay-once' });
  });

  it('server role, resumption: the resume family (valid and each mutation of the resuming ClientHello) against the engine serve with a session cache', async () => {
    const provider = nodeProvider();
    const server = await serve({
      config: { provider, identity: pki.identity('server', 'rsa'), sessionCache: new ServerSessionCache(provider) },
      app: { kind: 'echo' },
      jobs: Number.POSITIVE_INFINITY,
      readTimeoutMs: 5000,
      totalTimeoutMs: 30_000,
    });
    const names = MUTATIONS.filter((m) => m.where === 'client-sends' && m.resumes && liveSide(m) === 'client').map((m) => m.name);
    let r: FuzzResult;
    try {
      r = await fuzzTarget({
        target: { host: LOOPBACK, port: server.port },
        identity: { pki, trustAnchors: pki.anchors, serverName: 'localhost' },
        budget: { seed: SEED, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 3000 },
        profile: { strictness: 'exact', only: names },
      });
    } finally {
      await server.close();
    }
    // the probe saw it resume in both versions (TLS 1.2: its session ID and ticket; TLS 1.3: its ticket)
    expect(r.profile.resumes).toEqual(['1.2', '1.3']);
    const resumed = r.results.filter((x) => x.conversation.kind === 'resume');
    const key = (x: (typeof resumed)[number]) => `${x.conversation.subject ?? 'valid'} ${x.conversation.version}`;
    expect(r.skipped).toEqual([]);
    // a valid resumption completes (abbreviated); a session offered without its suite (TLS 1.3: without one of its
    // hash), under another name or with a ticket it cannot open: a full handshake (RFC 5246 §7.4.1.3, RFC 8446
    // §4.2.11, RFC 6066 §3, RFC 5077 §3.4); an EMS session without
    // EMS: handshake_failure (RFC 7627 §5.3); a binder that does not verify: decrypt_error (RFC 8446 §4.2.11)
    expect(Object.fromEntries(resumed.map((x) => [key(x), x.alert ?? '-']))).toEqual({
      'valid 1.2': '-',
      'valid 1.3': '-',
      't12-resume-without-session-suite 1.2': '-',
      't12-resume-other-server-name 1.2': '-',
      'resume-sni-nul-in-host-name 1.2': '-',
      'resume-sni-nul-in-host-name 1.3': '-',
      't12-resume-ems-dropped 1.2': 'handshake_failure',
      't13-resume-binder-wrong 1.3': 'decrypt_error',
      't13-resume-other-hash-suite 1.3': '-',
      'resume-unknown-session 1.2': '-',
      'resume-unknown-session 1.3': '-',
    });
    // the valid resumptions were abbreviated: no server Certificate in the second connection
    for (const x of resumed.filter((y) => y.conversation.subject === undefined))
      expect(x.transcript?.messages.some((m) => m.dir === 'S->C' && m.type === 'certificate')).toBe(false);
    expect(findings(r.results)).toEqual([]);
  });

  it.each([['1.3'], ['1.2']])('client role: fuzzClient with our engine client offering TLS %s', async (version) => {
    const r: ClientFuzzResult = await fuzzClient({
      target: {
        host: LOOPBACK,
        port: 0,
        // TLS 1.2: it renegotiates when our server asks (the renegotiation mutants then fire)
        command: `node ${clientJs} {host} {port} --healthy --version ${version}${version === '1.2' ? ' --renegotiation secure' : ''}`,
        exitGraceMs: 500,
      },
      identity: { pki: files.pki, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors },
      budget: { seed: SEED, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 2000 },
      profile: { strictness: 'exact' },
    });
    recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
    expect(r.sanity).toEqual({ first: true, last: true });
    expect(new Set(r.results.map((x) => x.conversation.version))).toEqual(new Set([version]));
    expect(r.results.filter((x) => x.conversation.expect.kind === 'reject').length).toBeGreaterThan(10);
    // the client-target family ran (a conversation that proves nothing is skipped, not counted)
    const ran = new Set(r.results.map((x) => x.conversation.mutant?.name));
    const family = ['server-closes-after-server-hello', 'server-closes-before-finished'];
    if (version === '1.2') family.push('t12-reneg-server-half-ri', 't12-reneg-server-tls13');
    if (version === '1.3')
      family.push(
        't13-only-client-gets-tls12',
        't13-sh-selects-tls12-in-extension',
        't13-server-cr-without-sigalgs',
        't13-hrr-for-shared-group',
      );
    expect(family.filter((n) => !ran.has(n))).toEqual([]);
    expect(findings(r.results)).toEqual([]);
  });
});
