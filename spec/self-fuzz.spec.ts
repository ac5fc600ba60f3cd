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
import { CV_MUTATIONS } from '../generators/mutations/ops-cv';
import { DEFAULT_SCHEMES, DEFAULT_SUITES } from '../engine/config';
import { CipherSuiteDhe12 } from '../engine/suites';
import { SignatureScheme as SS } from '../wire/registry';
import { decodeHandshake } from '../wire/handshake';
import { LOOPBACK, requireBinary } from '../testing/launch';
import { type PkiFiles, writePki } from '../testing/pki';
import { recordFragment, runDir } from '../reports/collect';
import { expectEarlyShapes } from './support/early-shapes';

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
  't12-rsa-premaster-block-type-3 1.2': 'bad_record_mac',
  't12-rsa-premaster-first-byte-1 1.2': 'bad_record_mac',
  't12-rsa-premaster-zero-first-padding 1.2': 'bad_record_mac',
  't12-rsa-premaster-two-bytes 1.2': 'bad_record_mac',
  't12-rsa-premaster-4-bytes 1.2': 'bad_record_mac',
  't12-rsa-premaster-empty 1.2': 'bad_record_mac',
  't12-rsa-premaster-one-byte 1.2': 'bad_record_mac',
  't12-rsa-premaster-short-padding 1.2': 'bad_record_mac',
  't12-rsa-premaster-long-padding 1.2': 'bad_record_mac',
  't12-rsa-premaster-wrong-version 1.2': 'bad_record_mac',
  't12-rsa-ciphertext-truncated 1.2': 'bad_record_mac',
  // test-cve-2016-6309: our server waits for the rest of a ClientHello that announces 0x005555 bytes (no alert)
  'ch-length-overstated 1.2': '-',
  'ch-length-overstated 1.3': '-',
  // engine/core.ts: a plaintext handshake record once TLS 1.3 protection is in use (RFC 8446 §5.2, §5)
  't13-finished-plaintext 1.3': 'unexpected_message',
  // test-no-mlkem-in-old-tls: a classical curve, or no ECDHE suite at all (RFC 8422 §5.1)
  't12-ch-mlkem-groups-listed 1.2': '-',
  't12-ch-mlkem-groups-only 1.2': 'handshake_failure',
  // RFC 8446 App. D.2: our server does no version below TLS 1.2
  't12-ch-tls11-only-tls12-suites 1.2': 'protocol_version',
  't12-ch-tls11-only-ccm-suites 1.2': 'protocol_version',
  // ops-record-content.ts: CBC padding of any valid length is accepted (RFC 5246 §6.2.3.2); a record whose MAC does not
  // verify or that is shorter than the AEAD tag is bad_record_mac (RFC 5246 §7.2.2, RFC 8446 §5.2); an inner plaintext
  // whose last non-zero byte is an undefined content type is unexpected_message (RFC 8446 §5)
  't12-cbc-longest-padding 1.2': '-',
  't12-cbc-padding-over-mac 1.2': 'bad_record_mac',
  't12-cbc-fuzzed-appdata-plaintext 1.2': 'bad_record_mac',
  't12-cbc-fuzzed-finished-plaintext 1.2': 'bad_record_mac',
  't13-fuzzed-appdata-plaintext 1.3': 'unexpected_message',
  't13-fuzzed-finished-plaintext 1.3': 'unexpected_message',
  'chacha20-ciphertext-shorter-than-tag 1.3': 'bad_record_mac',
  // the padding sweep of test-lucky13: a padding byte that differs from the padding length is bad_record_mac (RFC 5246
  // §6.2.3.2: "The receiver MUST check this padding and MUST use the bad_record_mac alert to indicate padding errors."),
  // and so is a wrong MAC under any padding, or a padding length that leaves no room for the MAC (RFC 5246 §7.2.2)
  't12-cbc-padding-byte-wrong 1.2': 'bad_record_mac',
  't12-cbc-padding-byte-wrong-shortest 1.2': 'bad_record_mac',
  't12-cbc-padding-byte-wrong-longest 1.2': 'bad_record_mac',
  't12-cbc-mac-wrong 1.2': 'bad_record_mac',
  't12-cbc-mac-wrong-shortest-padding 1.2': 'bad_record_mac',
  't12-cbc-mac-wrong-longest-padding 1.2': 'bad_record_mac',
  't12-cbc-mac-out-of-bounds 1.2': 'bad_record_mac',
  // ops-record-limit.ts: RFC 8449 §4 ("An endpoint MUST treat receipt of a smaller value as a fatal error and generate
  // an "illegal_parameter" alert"; "A TLS endpoint that receives a record larger than its advertised limit MUST
  // generate a fatal "record_overflow" alert")
  'rsl-client-offers-63 1.2': 'illegal_parameter',
  'rsl-client-offers-63 1.3': 'illegal_parameter',
  'rsl-record-over-server-limit 1.2': 'record_overflow',
  'rsl-record-over-server-limit 1.3': 'record_overflow',
  // test-ssl-death-alert: our server takes a run of warning alerts and goes on (RFC 5246 §7.2.2: "If an alert with a
  // level of warning is sent and received, generally the connection can continue normally.")
  't12-warning-alert-run 1.2': '-',
  // ops-kex.ts: a P-256 point not in the uncompressed encoding (RFC 8422 §5.4.1, RFC 8446 §4.2.8.2)
  't12-cke-point-compressed 1.2': 'illegal_parameter',
  't12-cke-point-hybrid 1.2': 'illegal_parameter',
  't13-keyshare-point-compressed 1.3': 'illegal_parameter',
  't13-keyshare-point-hybrid 1.3': 'illegal_parameter',
};

/**
 * The DHE_RSA offers of issue #14 (test-ffdhe-negotiation, test-dhe-rsa-key-exchange-signatures) against our engine
 * serving DHE_RSA suites: what it answers each with.
 */
const DHE_PARITY: Readonly<Record<string, string>> = {
  // RFC 7919 §4 (engine/server.ts dheGroup): our server's FFDHE groups are ffdhe2048 and ffdhe3072; any other one offered
  // alone with DHE suites only, or only codepoints it cannot know, ends with insufficient_security
  't12-dhe-ffdhe2048-alone 1.2': '-',
  't12-dhe-ffdhe3072-alone 1.2': '-',
  't12-dhe-ffdhe4096-alone 1.2': 'insufficient_security',
  't12-dhe-ffdhe6144-alone 1.2': 'insufficient_security',
  't12-dhe-ffdhe8192-alone 1.2': 'insufficient_security',
  't12-dhe-ffdhe-private-use-only 1.2': 'insufficient_security',
  // one scheme at a time with DHE_RSA: our server signs with the ones its RSA key and its list share (RFC 9155 §4: never
  // SHA-1; SHA-224 is not in its list), else handshake_failure (RFC 5246 §7.4.1.2)
  't12-dhe-sigalg-rsa-pkcs1-sha1-alone 1.2': 'handshake_failure',
  't12-dhe-sigalg-rsa-pkcs1-sha224-alone 1.2': 'handshake_failure',
  't12-dhe-sigalg-rsa-pkcs1-sha256-alone 1.2': '-',
  't12-dhe-sigalg-rsa-pkcs1-sha384-alone 1.2': '-',
  't12-dhe-sigalg-rsa-pkcs1-sha512-alone 1.2': '-',
  't12-dhe-sigalg-rsa-pss-rsae-sha256-alone 1.2': '-',
  't12-dhe-sigalg-rsa-pss-rsae-sha384-alone 1.2': '-',
  't12-dhe-sigalg-rsa-pss-rsae-sha512-alone 1.2': '-',
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
        // RFC 8449: it answers a client's record_size_limit with its own (the record_size_limit mutations run)
        recordSizeLimit: 1024,
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
    expect(new Set(r.results.map((x) => x.conversation.kind))).toEqual(
      new Set(['valid', 'mutant', 'state', 'cert', 'reneg', 'keyupdate', 'lengths']),
    );
    expect(findings(r.results)).toEqual([]);
    expect(r.failures).toEqual([]);
    // the lengths family (test-lengths, test-tls13-lengths): the echo server gave every record back intact
    const lengths = r.results.filter((x) => x.conversation.kind === 'lengths');
    expect(lengths.map((x) => `${x.conversation.version} ${x.run.verdict}`).sort()).toEqual([
      '1.2 conforming',
      '1.3 conforming',
      '1.3 conforming',
    ]);
    for (const x of lengths)
      expect(x.run.detail).toMatch(/the peer echoed \d+ of the \d+ bytes of our application data records of .* intact/);
    // across the conversations (oracles/across.ts): the engine's server random and ephemeral keys are never sent twice
    expect(r.across.map((v) => `${v.rule} ${v.status}`)).toEqual(['hello.random-fresh pass', 'kex.ephemeral-fresh pass']);
    const answered = Object.fromEntries(
      r.results
        .filter((x) => x.conversation.kind === 'mutant')
        .map((x) => [`${x.conversation.subject ?? x.conversation.name} ${x.conversation.version}`, x.alert ?? '-']),
    );
    expect(Object.fromEntries(Object.keys(PARITY).map((k) => [k, answered[k]]))).toEqual(PARITY);
  });

  it('server role, DHE_RSA: each RFC 7919 group alone, private-use FFDHE codepoints only, one scheme at a time (TLS 1.2)', async () => {
    const server = await serve({
      config: {
        provider: nodeProvider(),
        identity: pki.identity('server', 'rsa'),
        clientAuth: 'require',
        trustAnchors: pki.anchors,
        cipherSuites: [...DEFAULT_SUITES, CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256],
      },
      app: { kind: 'echo' },
      jobs: Number.POSITIVE_INFINITY,
      readTimeoutMs: 5000,
      totalTimeoutMs: 30_000,
    });
    let r: FuzzResult;
    try {
      r = await fuzzTarget({
        target: { host: LOOPBACK, port: server.port },
        identity: { pki, identity: pki.identity('client', 'rsa'), trustAnchors: pki.anchors, serverName: 'localhost' },
        budget: { seed: SEED, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 3000 },
        profile: { strictness: 'exact', only: Object.keys(DHE_PARITY).map((k) => k.split(' ')[0]!) },
      });
    } finally {
      await server.close();
    }
    recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
    expect(r.profile.suites['1.2']).toContain(CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256);
    expect(findings(r.results)).toEqual([]);
    const answered = Object.fromEntries(
      r.results
        .filter((x) => x.conversation.kind === 'mutant')
        .map((x) => [`${x.conversation.subject ?? x.conversation.name} ${x.conversation.version}`, x.alert ?? '-']),
    );
    expect(answered).toEqual(DHE_PARITY);
  });

  /**
   * Ed25519 / Ed448 / RSASSA-PSS client certificates (tlsfuzzer's test-eddsa-in-certificate-verify,
   * test-tls13-eddsa-in-certificate-verify, test-tls13-eddsa, test-tls13-rsapss-signatures): the engine serve with
   * `server` as its certificate, client certificates required, its CertificateRequest listing `schemes`; our client's
   * own certificate is the test PKI's `client` one. The CertificateVerify family, the EdDSA-only offers and the valid
   * conversations with each other client key run at strictness exact.
   */
  async function fuzzKeys(
    server: 'ed25519' | 'rsa',
    client: 'ed25519' | 'rsa',
    schemes: number[] | undefined,
    only: string[],
  ): Promise<FuzzResult> {
    const s = await serve({
      config: {
        provider: nodeProvider(),
        identity: pki.identity('server', server),
        clientAuth: 'require',
        trustAnchors: pki.anchors,
        ...(schemes ? { signatureSchemes: schemes } : {}),
      },
      app: { kind: 'echo' },
      jobs: Number.POSITIVE_INFINITY,
      readTimeoutMs: 5000,
      totalTimeoutMs: 30_000,
    });
    try {
      return await fuzzTarget({
        target: { host: LOOPBACK, port: s.port },
        identity: { pki, identity: pki.identity('client', client), trustAnchors: pki.anchors, serverName: 'localhost' },
        budget: { seed: SEED, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 3000 },
        profile: { strictness: 'exact', only },
      });
    } finally {
      await s.close();
    }
  }
  /** `name [key=K] version -> alert` of each conversation (the alert the engine answered with, '-' none). */
  const answers = (r: FuzzResult): string[] =>
    r.results.map(
      (x) => `${x.conversation.name.replace(/ TLS_\w+| sigs=\S+/g, '')} ${x.conversation.version} -> ${x.alert ?? '-'}`,
    );

  it('server role, Ed25519 client certificate required (server Ed25519): the CertificateVerify family with EdDSA and RSASSA-PSS keys, zero findings', async () => {
    const cv = [
      ...CV_MUTATIONS.map((m) => m.name),
      't12-cv-sig-corrupt',
      't12-cv-sig-truncated',
      't13-client-cv-sig-corrupt',
      't13-ch-sigalgs-ecdsa-only',
    ];
    const r = await fuzzKeys('ed25519', 'ed25519', undefined, cv);
    recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
    expect(r.sanity).toEqual({ first: true, last: true });
    // the probe: the CertificateRequest lists ed25519 and ed448 in both versions; the server signs with ed25519 alone
    expect(r.profile.certificateRequest?.['1.3']?.schemes).toEqual(expect.arrayContaining([SS.ed25519, SS.ed448]));
    expect(r.profile.certificateRequest?.['1.2']?.schemes).toEqual(expect.arrayContaining([SS.ed25519, SS.ed448]));
    expect(r.profile.eddsa13).toEqual([SS.ed25519]);
    expect(r.profile.ecdsa13).toEqual([]);
    expect(r.profile.testRootTrusted).toBe(true);
    const got = answers(r);
    // valid: an Ed448 and RSASSA-PSS client certificates (rsa_pss_pss_sha256, sha384, sha512: keys with those parameters),
    // the ed25519-only offer in TLS 1.3
    for (const v of ['1.2', '1.3'])
      for (const k of ['ed448', 'rsa-pss', 'rsa-pss-sha384', 'rsa-pss-sha512'])
        expect(got).toContain(`valid ${v} key=${k} ${v} -> -`);
    expect(got).toContain('valid 1.3 1.3 -> -');
    expect(r.results.some((x) => x.conversation.name.includes('sigs=0x0807') && x.conversation.version === '1.3')).toBe(true);
    // RFC 8446 §4.4.3 / RFC 5246 §7.4.8: a bad EdDSA signature is decrypt_error, with our Ed25519 key and the Ed448 one
    for (const v of ['1.2', '1.3']) {
      expect(got).toContain(`cv-sig-empty ${v} -> decrypt_error`);
      expect(got).toContain(`cv-sig-empty key=ed448 ${v} -> decrypt_error`);
      expect(got).toContain(`cv-sig-padded key=ed448 ${v} -> decrypt_error`);
      // the scheme of the other curve, ed25519 with an RSA / ECDSA key, rsae with an id-RSASSA-PSS key: illegal_parameter
      expect(got).toContain(`cv-eddsa-other-curve key=ed25519 ${v} -> illegal_parameter`);
      expect(got).toContain(`cv-eddsa-other-curve key=ed448 ${v} -> illegal_parameter`);
      expect(got).toContain(`cv-ed25519-with-non-eddsa-key key=rsa ${v} -> illegal_parameter`);
      expect(got).toContain(`cv-ed25519-with-non-eddsa-key key=ecdsa ${v} -> illegal_parameter`);
      expect(got).toContain(`cv-rsa-pss-rsae-with-pss-key key=rsa-pss ${v} -> illegal_parameter`);
      // rsa_pss_pss_sha256 from a key whose parameters name SHA-384 (RFC 8446 §4.2.3)
      expect(got).toContain(`cv-rsa-pss-pss-sha256-with-sha384-key key=rsa-pss-sha384 ${v} -> illegal_parameter`);
    }
    expect(got).toContain('t13-client-cv-sig-truncated key=ed448 1.3 -> decrypt_error');
    // RFC 8446 §4.1.1: an ECDSA-only offer to a server with an Ed25519 certificate has no overlap
    expect(got).toContain('t13-ch-sigalgs-ecdsa-only 1.3 -> handshake_failure');
    // a flipped bit, a shortened signature (RFC 8032 §5.1.7 / §5.2.7: it does not verify)
    for (const k of ['', ' key=ed448']) {
      expect(got).toContain(`t12-cv-sig-corrupt${k} 1.2 -> decrypt_error`);
      expect(got).toContain(`t12-cv-sig-truncated${k} 1.2 -> decrypt_error`);
      expect(got).toContain(`t13-client-cv-sig-corrupt${k} 1.3 -> decrypt_error`);
    }
    expect(findings(r.results)).toEqual([]);
  });

  it('server role, CertificateRequest without EdDSA schemes (server RSA): an Ed25519 / Ed448 CertificateVerify anyway is refused, and so is an EdDSA-only offer', async () => {
    const schemes = DEFAULT_SCHEMES.filter((x) => x !== SS.ed25519 && x !== SS.ed448);
    // our own certificate is RSA (an Ed25519 one could sign nothing this CertificateRequest lists): the EdDSA keys are
    // the test PKI's, which the target trusts
    const r = await fuzzKeys('rsa', 'rsa', schemes, ['cv-eddsa-not-requested', 't13-ch-sigalgs-eddsa-only']);
    expect(r.profile.eddsa13).toEqual([]);
    // the valid conversations of the families that run whenever the target allows them (renegotiation, KeyUpdate,
    // record lengths)
    const got = answers(r).filter(
      (x) =>
        !x.startsWith('valid') &&
        !x.startsWith('renegotiation valid') &&
        !/^KeyUpdate x\d+ /.test(x) &&
        !x.startsWith('application data of '),
    );
    // RFC 5246 §7.4.8 / RFC 8446 §4.4.3: the scheme must be one the CertificateRequest listed (illegal_parameter); RFC
    // 8446 §4.1.1: no overlap, handshake_failure
    expect(got.sort()).toEqual(
      [
        'cv-eddsa-not-requested key=ed25519 1.2 -> illegal_parameter',
        'cv-eddsa-not-requested key=ed25519 1.3 -> illegal_parameter',
        'cv-eddsa-not-requested key=ed448 1.2 -> illegal_parameter',
        'cv-eddsa-not-requested key=ed448 1.3 -> illegal_parameter',
        't13-ch-sigalgs-eddsa-only 1.3 -> handshake_failure',
      ].sort(),
    );
    expect(r.skipped).toEqual([]);
    expect(findings(r.results)).toEqual([]);
  });

  it.each([
    ['1.2', 'ed25519'],
    ['1.3', 'ed448'],
    ['1.2', 'rsa-pss'],
  ] as const)(
    'client role, TLS %s, our server with an %s certificate: it signs with it, and the signature mutations are refused',
    async (version, key) => {
      const r: ClientFuzzResult = await fuzzClient({
        target: {
          host: LOOPBACK,
          port: 0,
          command: `node ${clientJs} {host} {port} --healthy --version ${version}`,
          exitGraceMs: 500,
        },
        identity: { pki: files.pki, identity: files.pki.identity('server', key), trustAnchors: files.pki.anchors },
        budget: { seed: SEED, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 2000 },
        profile: {
          strictness: 'exact',
          only: ['t12-ske-sig-corrupt', 't12-ske-sig-truncated', 't13-server-cv-sig-corrupt', 't13-server-cv-sig-truncated'],
        },
      });
      expect(r.sanity).toEqual({ first: true, last: true });
      // the ServerKeyExchange (TLS 1.2: ECDHE_ECDSA with an EdDSA key, ECDHE_RSA with an id-RSASSA-PSS key, RFC 8422
      // §5.1.1, RFC 8446 §4.2.3) or the CertificateVerify is signed with the key's scheme
      const scheme = { ed25519: SS.ed25519, ed448: SS.ed448, 'rsa-pss': SS.rsa_pss_pss_sha256 }[key];
      const signedWith = new Set(
        r.results.flatMap((x) =>
          (x.transcript?.messages ?? []).flatMap((m) => {
            if (m.dir !== 'S->C' || !m.raw || (m.type !== 'server_key_exchange' && m.type !== 'certificate_verify')) return [];
            const b = decodeHandshake(m.raw, { version: VERSION_CODE[version], kex: 'ECDHE_RSA' }).message.body;
            return b.type === 'certificate_verify'
              ? [b.scheme]
              : b.type === 'server_key_exchange' && b.kex === 'ecdhe' && b.signed
                ? [b.signed.scheme]
                : [];
          }),
        ),
      );
      expect([...signedWith]).toEqual([scheme]);
      const mutants = r.results.filter((x) => x.conversation.mutant !== undefined);
      expect(mutants.length).toBeGreaterThan(0);
      // RFC 5246 §7.4.3 / RFC 8446 §4.4.3: a signature that does not verify is decrypt_error
      for (const x of mutants)
        expect([x.conversation.mutant?.name, x.alert]).toEqual([x.conversation.mutant?.name, 'decrypt_error']);
      expect(findings(r.results)).toEqual([]);
    },
  );

  it('server role, KeyUpdate: valid KeyUpdates and each KeyUpdate mutation against the engine serve (TLS 1.3)', async () => {
    const server = await serve({
      config: { provider: nodeProvider(), identity: pki.identity('server', 'rsa') },
      app: { kind: 'echo' },
      jobs: Number.POSITIVE_INFINITY,
      readTimeoutMs: 5000,
      totalTimeoutMs: 30_000,
    });
    const names = MUTATIONS.filter((m) => m.keyUpdate !== undefined).map((m) => m.name);
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
    const ku = r.results.filter((x) => x.conversation.kind === 'keyupdate');
    expect(r.skipped).toEqual([]);
    expect(findings(r.results)).toEqual([]);
    // what our server answered each: the valid ones go on (the echo comes after our server's own KeyUpdate when we
    // asked for one: t13.neg.keyupdate-values passes), each mutation is refused with its rules' alert
    const answered = Object.fromEntries(ku.map((x) => [x.conversation.subject ?? x.conversation.name, x.alert ?? '-']));
    expect(answered).toEqual({
      'KeyUpdate x1 TLS_AES_128_GCM_SHA256': '-',
      'KeyUpdate x1 requested TLS_AES_128_GCM_SHA256': '-',
      'KeyUpdate x32 requested TLS_AES_128_GCM_SHA256': '-',
      't13-keyupdate-in-client-flight': 'unexpected_message',
      't13-keyupdate-bad-value': 'illegal_parameter',
      't13-keyupdate-old-key': 'bad_record_mac',
      't13-keyupdate-trailing-byte': 'decode_error',
      't13-keyupdate-empty': 'decode_error',
      't13-keyupdate-two-in-one-record': 'unexpected_message',
      't13-keyupdate-fragmented': '-',
    });
    for (const x of ku.filter((y) => y.conversation.keyUpdates?.includes(true) && y.conversation.subject === undefined)) {
      const v = x.verdicts?.find((y) => y.rule === 't13.neg.keyupdate-values');
      expect([x.conversation.name, v?.status]).toEqual([x.conversation.name, 'pass']);
    }
  });

  /** The renegotiations that change the first hello's offer: what the engine answers each with (RFC 5246 §7.4.1.2). */
  const CHANGED_OFFER: Readonly<Record<string, string>> = {
    't12-reneg-client-other-groups': 'complete',
    't12-reneg-client-other-sigalgs': 'complete',
    't12-reneg-client-drops-sigalgs': 'handshake_failure',
    // resumed: an abbreviated handshake signs nothing (RFC 5246 §7.3)
    't12-reneg-client-resumes-without-sigalgs': 'complete',
  };

  it.each([['secure'], ['refuse']] as const)(
    'server role, renegotiation %s: the renegotiation family (valid and each mutation) against the engine serve',
    async (renegotiation) => {
      const provider = nodeProvider();
      const server = await serve({
        // a session cache: the renegotiation that offers the connection's session can resume it
        config: {
          provider,
          identity: pki.identity('server', 'rsa'),
          renegotiation,
          sessionCache: new ServerSessionCache(provider),
        },
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
      // the valid renegotiation and each mutation ran (each renegotiated on a secure connection), but for one whose
      // input comes after the ClientHello a server that declines never gets: it did not fire, and proves nothing
      const unfired =
        renegotiation === 'refuse' ? ['t12-reneg-client-appdata-interleaved', 't12-reneg-client-appdata-before-finished'] : [];
      expect(new Set(reneg.map((x) => x.conversation.subject ?? 'valid'))).toEqual(
        new Set(['valid', ...names.filter((n) => !unfired.includes(n))]),
      );
      expect(r.skipped.map((x) => x.replace(/^\d+ renegotiation (\S+) .*: (.*)$/, '$1: $2'))).toEqual(
        unfired.map((n) => `${n}: mutation did not fire`),
      );
      // a server that renegotiates completes the valid one and those of valid input (application data woven into the
      // renegotiation, RFC 5246 §6.2.1) and refuses each other mutation with its rules' strictest alert; one that refuses
      // renegotiation declines each with the warning no_renegotiation (RFC 5246 §7.2.2)
      const completes = (x: (typeof reneg)[number]) => x.conversation.expect.kind === 'complete';
      expect(reneg.filter(completes).map((x) => x.conversation.subject ?? 'valid')).toEqual(
        expect.arrayContaining(
          ['valid', 't12-reneg-client-appdata-interleaved', 't12-reneg-client-fragmented-interleaved'].filter(
            (n) => !unfired.includes(n),
          ),
        ),
      );
      for (const x of reneg)
        if (renegotiation === 'refuse')
          expect(x.run.detail).toMatch(/declined the renegotiation with the warning no_renegotiation/);
        else if (completes(x)) expect(x.run.detail).toMatch(/handshake completed/);
        else if (CHANGED_OFFER[x.conversation.subject ?? ''] !== undefined) {
          // the engine negotiates the renegotiation from the new hello (another group, another scheme) and, given no
          // signature_algorithms, refuses the SHA-1 default RFC 9155 §4 forbids; the group and scheme it goes on with
          // are judged against the renegotiating ClientHello (a verdict for each handshake of the connection)
          const op = x.conversation.subject!;
          const judged = (rule: string) => x.verdicts?.filter((v) => v.rule === rule).map((v) => v.status) ?? [];
          expect({ op, alert: x.alert ?? 'complete' }).toEqual({ op, alert: CHANGED_OFFER[op] });
          if (x.alert === undefined && op !== 't12-reneg-client-resumes-without-sigalgs')
            expect({ op, sigalg: judged('t12.neg.ske-sigalg'), curve: judged('ext.ecc.curve-offered') }).toEqual({
              op,
              sigalg: ['pass', 'pass'],
              curve: ['pass', 'pass'],
            });
        } else {
          // the strictest alert of its rules (handshake_failure for ext.reneg.secure and ext.etm.no-downgrade,
          // unexpected_message for data between our ChangeCipherSpec and Finished)
          const e = x.conversation.expect;
          expect({ op: x.conversation.subject, alert: x.alert }).toEqual({
            op: x.conversation.subject,
            alert: e.kind === 'reject' ? e.alerts[0] : 'complete',
          });
        }
      // the renegotiation that offers the connection's session is resumed (RFC 5246 §7.4.1.2): one server Certificate
      if (renegotiation === 'secure') {
        const own = reneg.find((x) => x.conversation.subject === 't12-reneg-client-resumes-session');
        expect(own?.transcript?.messages.filter((m) => m.dir === 'S->C' && m.type === 'certificate')).toHaveLength(1);
      }
      // the woven application data is on the wire where it was meant to be: between our renegotiating ClientHello and
      // our second ChangeCipherSpec, and (split) inside the renegotiating ClientHello's two records
      if (renegotiation === 'secure')
        for (const op of ['t12-reneg-client-appdata-interleaved', 't12-reneg-client-fragmented-interleaved']) {
          const ms = reneg.find((x) => x.conversation.subject === op)?.transcript?.messages.filter((m) => m.dir === 'C->S') ?? [];
          const ch2 = ms.filter((m) => m.type === 'client_hello')[1];
          const ccs2 = ms.filter((m) => m.type === 'change_cipher_spec')[1];
          const woven = ms.filter(
            (m) => m.kind === 'application_data' && m.index > (ch2?.index ?? 0) && m.index < (ccs2?.index ?? 0),
          );
          expect({ op, woven: woven.length > 0, split: (ch2?.records?.length ?? 0) > 1 }).toEqual({
            op,
            woven: true,
            split: op === 't12-reneg-client-fragmented-interleaved',
          });
        }
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
      // after a HelloRetryRequest the server no longer skips once ClientHello2 is in, and a server that skips rejected
      // 0-RTT data stops at the first record that opens (our Finished's first part): the record that opens under no
      // key after it is bad_record_mac (RFC 8446 §4.2.10, §5.2)
      't13-0rtt-after-client-hello2': 'bad_record_mac',
      't13-0rtt-rejected-undecryptable-in-finished': 'bad_record_mac',
      't13-eoed-missing': 'bad_record_mac',
      't13-eoed-duplicated': 'bad_record_mac',
      // the replay completes, its 0-RTT data refused (RFC 8446 §8: accepted at most once)
      't13-0rtt-replay-accepted': '-',
    });
    expectEarlyShapes(early);
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
      't12-resume-ticket-empty-session-id 1.2': '-',
      't13-resume-binder-wrong 1.3': 'decrypt_error',
      't13-resume-other-hash-suite 1.3': '-',
      'resume-unknown-session 1.2': '-',
      'resume-unknown-session 1.3': '-',
    });
    // the valid resumptions were abbreviated: no server Certificate in the second connection; so was the ticket offered
    // with an empty session ID (RFC 5077 §3.4: our client read the resumption from what followed the ServerHello)
    for (const x of resumed.filter((y) => [undefined, 't12-resume-ticket-empty-session-id'].includes(y.conversation.subject)))
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
    // t12-etm-answered-with-aead: our client refuses encrypt_then_mac beside an AEAD suite (ext.etm.block-cipher-only)
    if (version === '1.2') family.push('t12-reneg-server-half-ri', 't12-reneg-server-tls13', 't12-etm-answered-with-aead');
    if (version === '1.3')
      family.push(
        't13-only-client-gets-tls12',
        't13-sh-selects-tls12-in-extension',
        't13-server-cr-without-sigalgs',
        't13-hrr-for-shared-group',
        // the KeyUpdate mutants of our server's sends (our client answers update_requested with its own KeyUpdate)
        't13-server-keyupdate-requested',
        't13-server-keyupdate-bad-value',
        't13-server-keyupdate-trailing-byte',
        't13-server-keyupdate-old-key',
      );
    expect({ missing: family.filter((n) => !ran.has(n)), skipped: r.skipped.filter((x) => x.includes('keyupdate')) }).toEqual({
      missing: [],
      skipped: [],
    });
    expect(findings(r.results)).toEqual([]);
    // across the conversations: the engine client's random and key shares are fresh in each
    expect(r.across.map((v) => `${v.rule} ${v.status}`)).toEqual(['hello.random-fresh pass', 'kex.ephemeral-fresh pass']);
    if (version === '1.3') {
      const answered = Object.fromEntries(
        r.results
          .filter((x) => x.conversation.keyUpdates !== undefined)
          .map((x) => [x.conversation.mutant?.name, x.alert ?? '-']),
      );
      expect(answered).toEqual({
        't13-server-keyupdate-requested': '-',
        't13-server-keyupdate-bad-value': 'illegal_parameter',
        't13-server-keyupdate-trailing-byte': 'decode_error',
        't13-server-keyupdate-old-key': 'bad_record_mac',
      });
      // our client answered the update_requested KeyUpdate with its own before any data of its (t13.neg.keyupdate-values)
      const requested = r.results.find((x) => x.conversation.mutant?.name === 't13-server-keyupdate-requested');
      expect(requested?.verdicts?.find((v) => v.rule === 't13.neg.keyupdate-values')?.status).toBe('pass');
    }
  });

  // `tlsprop fuzz --listen --psk`: our engine client offering the external PSK our server knows (TLS 1.3 identity; TLS
  // 1.2 PSK suites, RFC 4279 and RFC 5489); every conversation is a PSK handshake and the PSK mutants run
  it.each([['1.3'], ['1.2']] as const)(
    'client role with an external PSK: fuzzClient --psk, our engine client offering TLS %s',
    async (version) => {
      const hex = '00112233445566778899aabbccddeeff';
      const suites = version === '1.2' ? ' --suites 00a8,c037,00aa' : '';
      const r: ClientFuzzResult = await fuzzClient({
        target: {
          host: LOOPBACK,
          port: 0,
          command: `node ${clientJs} {host} {port} --healthy --version ${version} --psk self-psk:${hex}${suites}`,
          exitGraceMs: 500,
        },
        identity: {
          pki: files.pki,
          identity: files.pki.identity('server', 'rsa'),
          trustAnchors: files.pki.anchors,
          psk: { identity: new TextEncoder().encode('self-psk'), key: Uint8Array.from(Buffer.from(hex, 'hex')) },
        },
        budget: { seed: SEED, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 2000 },
        profile: { strictness: 'exact' },
      });
      recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
      expect(r.sanity).toEqual({ first: true, last: true });
      expect(r.profile.psk?.versions).toEqual([version]);
      const ran = new Set(r.results.map((x) => x.conversation.mutant?.name));
      const psk =
        version === '1.3' ? ['t13-psk-selected-identity-unoffered', 't13-psk-ke-without-key-share'] : ['t12-psk-hint-unknown'];
      expect(psk.filter((n) => !ran.has(n))).toEqual([]);
      expect(findings(r.results)).toEqual([]);
    },
  );
});
