/**
 * Chromium (Debian's chromium 156, BoringSSL) as a real TLS client of our server (the client fuzzer, issue #14): one
 * headless page load per conversation (testing/peers.ts chromiumClient: https://127.0.0.1:PORT/ only, no QUIC, no
 * background requests), our test root trusted through the NSS database of its HOME, so the server certificate is
 * validated for real. Chromium is the one client here that offers X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem, first in
 * its key_share) and compress_certificate (RFC 8879, brotli): our server selects X25519MLKEM768 in TLS 1.3 and sends its
 * Certificate compressed with brotli (valid), then the ML-KEM and certificate compression mutations of our server's
 * sends, and a handful of the client-target families at their simplest configuration (coverage first, seed 1,
 * strictness exact). What Chromium must answer comes from the rules; each finding is listed below with the RFC
 * sentence it breaks (a finding not listed fails the test, and so does a listed one that stops showing).
 *
 * Each conversation is one Chromium start (about 2.5 s), so the list is short: 13 mutants, the two valid handshakes,
 * the probe and the two sanity handshakes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClientFuzzResult, fuzzClient } from '../fuzz/client';
import { ladderText } from '../fuzz/judge';
import type { ClientFuzzOptions } from '../fuzz/options';
import { recordFragment, runDir } from '../reports/collect';
import { LOOPBACK, requireBinary } from '../testing/launch';
import { chromiumCommand, chromiumHome } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { CertificateCompressionAlgorithm, NamedGroup } from '../wire/registry';

const NAMES = [
  // ML-KEM: our X25519MLKEM768 ciphertext with a bit flipped (the client's decapsulation rejects it implicitly)
  't13-mlkem-server-ciphertext-flipped',
  // RFC 8879: our CompressedCertificate (brotli, what Chromium offers) broken three ways
  'cc-uncompressed-length-short',
  'cc-not-decompressible',
  'cc-algorithm-not-offered',
  // ordinary families of our server's sends, both versions
  'cert-garbage-entry',
  't13-server-cv-sig-corrupt',
  't13-server-finished-wrong',
  't12-ske-sig-corrupt',
  't12-server-finished-wrong',
  't12-tls11-sentinel',
  't13-hrr-for-shared-group',
  't13-sh-selects-tls12-in-extension',
  'server-closes-after-server-hello',
];

interface Finding {
  key: string;
  rfc: string;
}

/**
 * Chromium's deviations, each with the RFC sentence it breaks. (After our flipped ML-KEM ciphertext Chromium's
 * handshake keys differ from ours and its alert goes out protected under them, RFC 8446 §6: fuzz/observe.ts reads a
 * protected record too short for any handshake message as that alert, so the conversation is a rejection whose alert
 * cannot be read, not acceptance.)
 */
const KNOWN: readonly Finding[] = [
  {
    // BoringSSL answers a CompressedCertificate whose uncompressed_length is off with decode_error
    key: 'wrong-alert: cc-uncompressed-length-short 1.3 -> decode_error',
    rfc: 'RFC 8879 §4: "If the length of the resulting uncompressed certificate differs from the length specified in the uncompressed_length field, the receiving party MUST abort the connection with the "bad_certificate" alert."',
  },
  {
    // and one that is no brotli stream with decode_error too
    key: 'wrong-alert: cc-not-decompressible 1.3 -> decode_error',
    rfc: 'RFC 8879 §4: "If the received CompressedCertificate message cannot be decompressed, the connection MUST be terminated with the "bad_certificate" alert."',
  },
  {
    // Chromium validates the chain it can build from the leaf and our root; a five-byte entry after the leaf that is no
    // certificate at all is never parsed, and the handshake completes
    key: 'accepted-invalid: cert-garbage-entry 1.2 -> -',
    rfc: 'RFC 8446 §4.4.2.2 (RFC 5246 §7.4.2 for TLS 1.2 states the same duty): "The certificate type MUST be X.509v3 [RFC5280], unless explicitly negotiated otherwise (e.g., [RFC7250])."',
  },
];

const keyOf = (x: ClientFuzzResult['results'][number]): string =>
  `${x.run.verdict}: ${x.conversation.mutant?.name ?? 'valid'} ${x.conversation.version} -> ${x.alert ?? '-'}`;

let files: PkiFiles;
let home: string;
beforeAll(async () => {
  requireBinary('chromium');
  files = await writePki();
  home = chromiumHome(mkdtempSync(join(tmpdir(), 'tlsprop-chromium-home-')), files);
});
afterAll(() => {
  files?.cleanup();
  if (home) rmSync(home, { recursive: true, force: true });
});

function options(): ClientFuzzOptions {
  return {
    target: { host: LOOPBACK, port: 0, command: chromiumCommand(home), exitGraceMs: 500 },
    identity: { pki: files.pki, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors },
    budget: { seed: 1, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 3000 },
    profile: { strictness: 'exact', only: NAMES },
  };
}

describe('Chromium (BoringSSL) as a client of our server: ML-KEM, certificate compression, client-target families', () => {
  it('chromium', async () => {
    const r: ClientFuzzResult = await fuzzClient(options());
    recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
    expect(r.sanity).toEqual({ first: true, last: true });
    // the probe: X25519MLKEM768 among the groups, brotli its only compression algorithm
    expect(r.profile.groups).toContain(NamedGroup.X25519MLKEM768);
    expect(r.profile.certificateCompression).toEqual([CertificateCompressionAlgorithm.brotli]);
    // every name ran (none skipped)
    expect({ skipped: r.skipped }).toEqual({ skipped: [] });
    expect(new Set(r.results.flatMap((x) => (x.conversation.mutant ? [x.conversation.mutant.name] : [])))).toEqual(
      new Set(NAMES),
    );
    // TLS 1.3 runs over X25519MLKEM768 (the group Chromium shares first), TLS 1.2 over a classical group (the ML-KEM
    // groups are TLS 1.3 only); the valid TLS 1.3 handshake completes with our Certificate compressed (brotli)
    for (const x of r.results)
      expect([x.conversation.name, x.conversation.group === NamedGroup.X25519MLKEM768]).toEqual([
        x.conversation.name,
        x.conversation.version === '1.3',
      ]);
    const valid13 = r.results.find((x) => !x.conversation.mutant && x.conversation.version === '1.3');
    expect(valid13?.run.verdict).toBe('conforming');
    expect(valid13?.run.ladder).toContain('S->C: compressed_certificate');
    const found = r.results.filter((x) => x.run.verdict !== 'conforming');
    const unlisted = found.filter((x) => !KNOWN.some((k) => k.key === keyOf(x))).map((x) => ladderText(x.run).join('\n'));
    expect(unlisted).toEqual([]);
    const gone = KNOWN.filter((k) => !found.some((x) => keyOf(x) === k.key)).map((k) => k.key);
    expect(gone).toEqual([]);
  });
});
