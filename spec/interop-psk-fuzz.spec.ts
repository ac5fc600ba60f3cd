/**
 * `tlsprop fuzz --psk` against a PSK-only server (issue #18 part 1): openssl s_server -psk HEX -psk_identity ID
 * -nocert, TLS 1.2 and TLS 1.3 alone, and the mosquitto broker's psk_hint listener (the MQTT case, both versions),
 * every applicable conversation name once (coverage first, seed 1, strictness exact). The probe finds the PSK suites (TLS 1.2) and the external PSK selected (TLS 1.3); valid PSK handshakes
 * complete; the PSK mutations of generators/mutations/ops-psk.ts run (wrong binder, wrong key, unknown identity) and
 * every other mutation of our client runs over the PSK handshake. No conversation is accepted-invalid, and every
 * finding is listed below with the RFC sentence the target broke (a finding not listed fails, and so does a listed
 * one that stops showing).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerFuzzOptions } from '../fuzz/options';
import { type FuzzResult, fuzzTarget } from '../fuzz/target';
import type { ExternalPsk } from '../engine/config';
import { PSK_MUTATIONS } from '../generators/mutations/ops-psk';
import { freePort, LOOPBACK, PeerGroup, requireBinary } from '../testing/launch';
import { mosquittoBroker, opensslPskServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import type { TlsVersion } from '../wire/vocabulary';

const IDENTITY = 'tlsprop-device-7';
const HEX = '0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778';
const PSK: ExternalPsk = { identity: new TextEncoder().encode(IDENTITY), key: Uint8Array.from(Buffer.from(HEX, 'hex')) };

const D5 =
  'RFC 8446 App. D.5: "Any endpoint receiving a Hello message with ClientHello.legacy_version or ServerHello.legacy_version set to 0x0300 MUST abort the handshake with a "protocol_version" alert."';
const CCS13 =
  'RFC 8446 §5: "An implementation which receives any other change_cipher_spec value or which receives a protected change_cipher_spec record MUST abort the handshake with an "unexpected_message" alert."';
const COMPRESSION13 =
  'RFC 8446 §4.1.2: "If a TLS 1.3 ClientHello is received with any other value in this field, the server MUST abort the handshake with an "illegal_parameter" alert."';
// OpenSSL 3.0's tls_psk_do_binder answers a binder that does not verify with SSL_AD_ILLEGAL_PARAMETER
const BINDER =
  'RFC 8446 §6.2: "decrypt_error: A handshake (not record layer) cryptographic operation failed, including being unable to correctly verify a signature or validate a Finished message or a PSK binder." (OpenSSL 3.0 sends illegal_parameter)';

const SHOULD_ALERT13 =
  'RFC 8446 §6.2: "Whenever an implementation encounters a fatal error condition, it SHOULD send an appropriate fatal alert and MUST close the connection without sending or receiving any additional data." (the broker closes its socket with our data unread: the close may come before or instead of its alert)';

/**
 * Each cell's findings: `verdict: mutation version -> alert`, with the RFC sentence. `racy`: the target's answer races
 * our write (the broker closes its socket with unread data of ours in it), so it may show as another verdict or not.
 */
interface Finding {
  key: string;
  rfc: string;
  racy?: boolean;
}
const ETM_BODY =
  'RFC 7366 §2: "The "extension_data" field of this extension SHALL be empty." (OpenSSL 3.0 takes a body: also in certificate mode, spec/families-stacks.spec.ts)';
const SIGALGS_SYNTAX =
  'RFC 8446 §4.2.3 (supported_signature_algorithms<2..2^16-2>, a list of 2-byte SignatureSchemes) with §6: "Peers which receive a message which cannot be parsed according to the syntax [...] MUST terminate the connection with a "decode_error" alert." (with a PSK-only configuration OpenSSL 3.0 does not parse the extension it does not use; in certificate mode it refuses it)';
const SNI_TWO_NAMES =
  'RFC 6066 §3: "The ServerNameList MUST NOT contain more than one name of the same name_type." The list keeps the syntax, so RFC 8446 §6.2 illegal_parameter, not decode_error (as in certificate mode, spec/families-stacks.spec.ts)';
const SNI_RESUMED =
  'RFC 6066 §3: "A server that implements this extension MUST NOT accept the request to resume the session if the server_name extension contains a different name. Instead, it proceeds with a full handshake to establish a new session." (OpenSSL 3.0 resumes a TLS 1.2 session under another server_name, or one with a NUL inside: also in certificate mode, spec/families-stacks.spec.ts)';
const OPENSSL_12: readonly Finding[] = [
  { key: 'wrong-alert: t12-ch-version-ssl3 1.2 -> handshake_failure', rfc: D5 },
  { key: 'accepted-invalid: ch-etm-with-body 1.2 -> -', rfc: ETM_BODY },
  // the resumption family (the server resumes TLS 1.2 PSK sessions)
  { key: 'flagged: t12-resume-other-server-name 1.2 -> -', rfc: SNI_RESUMED },
  { key: 'flagged: resume-sni-nul-in-host-name 1.2 -> -', rfc: SNI_RESUMED },
];
const OPENSSL_13: readonly Finding[] = [
  { key: 'wrong-alert: t13-ch-legacy-version-0300 1.3 -> handshake_failure', rfc: D5 },
  { key: 'wrong-alert: ch-compression-without-null 1.3 -> decode_error', rfc: COMPRESSION13 },
  { key: 'wrong-alert: t13-ccs-two-bytes 1.3 -> illegal_parameter', rfc: CCS13 },
  { key: 'wrong-alert: t13-external-psk-binder-wrong 1.3 -> illegal_parameter', rfc: BINDER },
  { key: 'wrong-alert: t13-external-psk-wrong-key 1.3 -> illegal_parameter', rfc: BINDER },
  // the resumption family: the server's own ticket offered with a binder that does not validate
  { key: 'wrong-alert: t13-resume-binder-wrong 1.3 -> illegal_parameter', rfc: BINDER },
  { key: 'accepted-invalid: ch-sigalgs-odd-length 1.3 -> -', rfc: SIGALGS_SYNTAX },
  { key: 'wrong-alert: ch-sni-two-host-names 1.3 -> decode_error', rfc: SNI_TWO_NAMES },
];
const KNOWN: Readonly<Record<TlsVersion, readonly Finding[]>> = { '1.2': OPENSSL_12, '1.3': OPENSSL_13 };
/** The broker (its OpenSSL 3.0: the same findings, each of which may come as a reset or a silent close instead). */
const MOSQUITTO: readonly Finding[] = [
  ...[...OPENSSL_12, ...OPENSSL_13].map((f) => ({ ...f, racy: true })),
  { key: 'no-alert: t13-ccs-after-finished 1.3 -> -', rfc: SHOULD_ALERT13, racy: true },
  // a record of an unknown content type after the handshake: the broker drops the connection as for the CCS above
  { key: 'no-alert: unknown-content-type 1.3 -> -', rfc: SHOULD_ALERT13, racy: true },
  { key: 'no-alert: heartbeat-record 1.3 -> -', rfc: SHOULD_ALERT13, racy: true },
];

let files: PkiFiles;
const group = new PeerGroup();
beforeAll(async () => {
  requireBinary('openssl', 'openssl');
  requireBinary('mosquitto', 'mosquitto');
  files = await writePki(undefined, 'tlsprop-psk-fuzz-');
});
afterAll(async () => {
  await group.stopAll();
  expect(group.running()).toEqual([]);
  files?.cleanup();
});

function options(port: number): ServerFuzzOptions {
  return {
    target: { host: LOOPBACK, port },
    identity: { pki: files.pki, psk: PSK },
    budget: { seed: 1, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 3000, jobs: 1 },
    profile: { strictness: 'exact' },
  };
}

/** No accepted-invalid but the listed ones; every finding listed; every listed one that is not racy seen. */
function expectFindings(r: FuzzResult, known: readonly Finding[], resetsRacy: boolean): void {
  const keyOf = (x: FuzzResult['results'][number]) =>
    `${x.run.verdict}: ${x.conversation.subject ?? x.run.name} ${x.conversation.version} -> ${x.alert ?? '-'}`;
  expect(
    r.results
      .filter((x) => x.run.verdict === 'accepted-invalid' && !known.some((f) => f.key === keyOf(x)))
      .map((x) => x.run.ladder.join('\n')),
  ).toEqual([]);
  const keys = r.results
    .filter((x) => x.run.verdict !== 'conforming')
    .filter((x) => !(resetsRacy && x.run.verdict === 'reset'))
    .map((x) => `${x.run.verdict}: ${x.conversation.subject ?? x.run.name} ${x.conversation.version} -> ${x.alert ?? '-'}`);
  expect([...new Set(keys.filter((k) => !known.some((f) => f.key === k)))]).toEqual([]);
  expect(known.filter((f) => !f.racy && !keys.includes(f.key)).map((f) => f.key)).toEqual([]);
}

/** Every PSK mutation of the versions the target took our PSK in ran. */
function expectPskMutationsRan(r: FuzzResult, versions: readonly TlsVersion[]): void {
  const names = PSK_MUTATIONS.filter((m) => m.needs?.psk && m.versions.some((v) => versions.includes(v))).map((m) => m.name);
  expect(names.length).toBeGreaterThan(1);
  const ran = new Set(r.results.map((x) => x.conversation.subject));
  expect(names.filter((n) => !ran.has(n))).toEqual([]);
}

describe('tlsprop fuzz --psk against openssl s_server -psk -nocert (strictness exact, every name once)', () => {
  it.each([['1.2'], ['1.3']] as const)('TLS %s', async (version) => {
    const port = await freePort();
    const p = await group.launch(opensslPskServer({ port, identity: IDENTITY, hex: HEX, version }));
    let r: FuzzResult;
    try {
      r = await fuzzTarget(options(port));
    } finally {
      await p.stop();
    }
    // the probe: the target does this version only, with our PSK (no certificate suite completes)
    expect(r.profile.psk).toEqual([version]);
    expect(r.profile.suites[version === '1.2' ? '1.3' : '1.2']).toEqual([]);
    expect(r.sanity).toEqual({ first: true, last: true });
    // valid PSK handshakes completed
    const valid = r.results.filter((x) => x.conversation.kind === 'valid');
    expect(valid.length).toBeGreaterThan(0);
    expect(valid.filter((x) => x.run.verdict !== 'conforming').map((x) => x.run.name)).toEqual([]);
    // every PSK mutation of this version ran (its verdict is judged with the others below)
    expectPskMutationsRan(r, [version]);
    // zero accepted-invalid, and the findings are exactly the listed ones
    expectFindings(r, KNOWN[version], false);
  });
});

describe("tlsprop fuzz --psk against the mosquitto broker's psk_hint listener (the MQTT case)", () => {
  it('TLS 1.2 PSK suites and TLS 1.3 external PSK', async () => {
    const port = await freePort();
    const file = join(files.dir, `mosquitto-psk-${port}.txt`);
    writeFileSync(file, `${IDENTITY}:${HEX}\n`);
    const p = await group.launch(
      mosquittoBroker({ port, files, requireCertificate: false, psk: { hint: 'tlsprop-hint', file } }),
    );
    let r: FuzzResult;
    try {
      r = await fuzzTarget(options(port));
    } finally {
      await p.stop();
    }
    expect(r.profile.psk?.sort()).toEqual(['1.2', '1.3']);
    expect(r.sanity).toEqual({ first: true, last: true });
    expectPskMutationsRan(r, ['1.2', '1.3']);
    expectFindings(r, MOSQUITTO, true);
  });
});
