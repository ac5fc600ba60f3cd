/**
 * `tlsprop fuzz --psk` against a PSK-only server (issue #18 part 1): openssl s_server -psk HEX -psk_identity ID
 * -nocert, TLS 1.2 and TLS 1.3 alone, and the mosquitto broker's psk_hint listener (the MQTT case, both versions),
 * every applicable conversation name once (coverage first, seed 1, strictness exact). The probe finds the PSK suites (TLS 1.2) and the external PSK selected (TLS 1.3); valid PSK handshakes
 * complete; the PSK mutations of generators/mutations/ops-psk.ts run (wrong binder, wrong key, unknown identity) and
 * every other mutation of our client runs over the PSK handshake. No conversation is accepted-invalid, and every
 * finding is listed below with the RFC sentence the target broke (a finding not listed fails, and so does a listed
 * one that stops showing).
 *
 * The other direction (issue #18): `tlsprop fuzz --listen --psk` against PSK clients, our server knowing their external
 * PSK: openssl s_client -psk -psk_identity (TLS 1.2 and TLS 1.3 alone), mosquitto_pub --psk --psk-identity (the MQTT
 * client: it sends CONNECT as its first application data and waits for a CONNACK that never comes, which is its going
 * on) and gnutls-cli --pskusername --pskkey. Every conversation of a version the client offers our PSK in is a PSK
 * handshake; the PSK mutations of our server's sends run (an identity the client did not offer, a psk_dhe_ke-only offer
 * answered without key_share, an unknown TLS 1.2 psk_identity_hint) with every other server-side mutation. Our own
 * client is the self-check: zero findings.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientFuzzOptions, ServerFuzzOptions } from '../fuzz/options';
import { type ClientFuzzResult, fuzzClient } from '../fuzz/client';
import { type FuzzResult, fuzzTarget } from '../fuzz/target';
import { ladderText } from '../fuzz/judge';
import { OPENSSL_CLIENT } from './support/known-deviations';
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
const KU_LENGTH =
  'RFC 8446 §6.2 decode_error: "A message could not be decoded because some field was out of the specified range or the length of the message was incorrect." (a KeyUpdate of two bytes: OpenSSL 3.0 sends illegal_parameter, as in certificate mode, spec/families-stacks.spec.ts)';
const SNI_RESUMED =
  'RFC 6066 §3: "A server that implements this extension MUST NOT accept the request to resume the session if the server_name extension contains a different name. Instead, it proceeds with a full handshake to establish a new session." (OpenSSL 3.0 resumes a TLS 1.2 session under another server_name, or one with a NUL inside: also in certificate mode, spec/families-stacks.spec.ts)';
const APPDATA_RENEG =
  'RFC 5246 §6.2.1: "Recipients MUST receive and process interleaved application layer traffic during handshakes subsequent to the first one on a connection." (OpenSSL 3.0 refuses our application data between the two records of a renegotiation handshake message with unexpected_message)';
const OPENSSL_12: readonly Finding[] = [
  { key: 'wrong-alert: t12-ch-version-ssl3 1.2 -> handshake_failure', rfc: D5 },
  // the renegotiation family (s_server -psk renegotiates): application data woven into our fragmented renegotiation
  { key: 'wrong-alert: t12-reneg-client-fragmented-interleaved 1.2 -> unexpected_message', rfc: APPDATA_RENEG },
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
  { key: 'wrong-alert: t13-keyupdate-trailing-byte 1.3 -> illegal_parameter', rfc: KU_LENGTH },
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
  requireBinary('mosquitto_pub', 'mosquitto-clients');
  requireBinary('gnutls-cli', 'gnutls-bin');
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
  const names = PSK_MUTATIONS.filter(
    (m) => m.where === 'client-sends' && m.needs?.psk && m.versions.some((v) => versions.includes(v)),
  ).map((m) => m.name);
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

// ---------------------------------------------------------------------------
// Client targets: tlsprop fuzz --listen --psk

/** The mutations of our server's sends that need our external PSK (generators/mutations/ops-psk.ts). */
const SERVER_PSK_MUTATIONS = PSK_MUTATIONS.filter((m) => m.where === 'server-sends' && m.needs?.psk);

const SELECTED_RANGE =
  'RFC 8446 §4.2.11: "Clients MUST verify that the server\'s selected_identity is within the range supplied by the client, that the server selected a cipher suite indicating a Hash associated with the PSK, and that a server "key_share" extension is present if required by the ClientHello "psk_key_exchange_modes" extension. If these values are not consistent, the client MUST abort the handshake with an "illegal_parameter" alert."';

const HRR_NO_CHANGE =
  'RFC 8446 §4.1.4: "Clients MUST abort the handshake with an "illegal_parameter" alert if the HelloRetryRequest would not result in any change in the ClientHello."';
const SESSION_ID_ECHO =
  'RFC 8446 §4.1.3: "A client which receives a legacy_session_id_echo field that does not match what it sent in the ClientHello MUST abort the handshake with an "illegal_parameter" alert."';

/** A client's findings, as `verdict: mutant version -> alert` with the RFC sentence (as for the servers above). */
const CLIENT_KNOWN: Readonly<Record<string, readonly Finding[]>> = {
  'openssl s_client': [
    // OpenSSL 3.0 answers a ServerHello that selects its psk_dhe_ke-only PSK without a key_share with missing_extension
    { key: 'wrong-alert: t13-psk-ke-without-key-share 1.3 -> missing_extension', rfc: SELECTED_RANGE },
  ],
  mosquitto_pub: [
    { key: 'wrong-alert: t13-psk-ke-without-key-share 1.3 -> missing_extension', rfc: SELECTED_RANGE },
    // a KeyUpdate of two bytes from our server: OpenSSL 3.0 answers illegal_parameter (as the servers above)
    { key: 'wrong-alert: t13-server-keyupdate-trailing-byte 1.3 -> illegal_parameter', rfc: KU_LENGTH },
  ],
  'gnutls-cli': [
    // GnuTLS 3.7.9 does not check the range: it goes on with keys of its own making (its next record, protected with
    // keys our server does not share, is "Decryption has failed" on its side), never the plaintext illegal_parameter
    { key: 'accepted-invalid: t13-psk-selected-identity-unoffered 1.3 -> -', rfc: SELECTED_RANGE },
    // as in certificate mode (spec/families-stacks.spec.ts), it answers a HelloRetryRequest for the group it already
    // shared with a second ClientHello; here our server then aborts first (decrypt_error): its transcript holds the
    // first ClientHello as the mutation changed it (key shares stripped), so the client's second binder, made over the
    // ClientHello it sent, does not verify on our side
    { key: 'flagged: t13-hrr-for-shared-group 1.3 -> -', rfc: HRR_NO_CHANGE },
    // with its external PSK it goes on after a ServerHello whose legacy_session_id_echo is not the session id it sent
    { key: 'accepted-invalid: t13-session-id-not-echoed 1.3 -> -', rfc: SESSION_ID_ECHO },
  ],
};

function clientOptions(command: string, disabled: readonly { rule: string; reason: string }[] = []): ClientFuzzOptions {
  return {
    target: { host: LOOPBACK, port: 0, command },
    identity: { pki: files.pki, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors, psk: PSK },
    budget: { seed: 1, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 3000 },
    profile: { strictness: 'exact', file: { expectedFailures: [], disabled: [...disabled] } },
  };
}

/** Zero unlisted accepted-invalid; every non-conforming result listed; every listed finding seen. */
function expectClientFindings(r: ClientFuzzResult, known: readonly Finding[]): void {
  const keyOf = (x: ClientFuzzResult['results'][number]) =>
    `${x.run.verdict}: ${x.conversation.mutant?.name ?? 'valid'} ${x.conversation.version} -> ${x.alert ?? '-'}`;
  const unlisted = r.results.filter((x) => x.run.verdict !== 'conforming' && !known.some((f) => f.key === keyOf(x)));
  expect(unlisted.map((x) => `${keyOf(x)}\n${ladderText(x.run).join('\n')}`)).toEqual([]);
  const keys = r.results.map(keyOf);
  expect(known.filter((f) => !f.racy && !keys.includes(f.key)).map((f) => f.key)).toEqual([]);
}

/** The probe saw our PSK offered in `versions`; every PSK mutation of those versions that applies ran; valid ones complete. */
function expectPskClientRun(r: ClientFuzzResult, versions: readonly TlsVersion[]): void {
  expect(r.sanity).toEqual({ first: true, last: true });
  expect(r.profile.psk?.versions).toEqual(versions);
  const psk13 = r.profile.psk?.modes.includes(0) ?? false;
  const expected = SERVER_PSK_MUTATIONS.filter(
    (m) => m.versions.some((v) => versions.includes(v)) && !(m.needs?.peerLacksPskKe && psk13),
  ).map((m) => m.name);
  expect(expected.length).toBeGreaterThan(0);
  const ran = new Set(r.results.map((x) => x.conversation.mutant?.name));
  expect(expected.filter((n) => !ran.has(n))).toEqual([]);
  const valid = r.results.filter((x) => x.conversation.expect.kind === 'complete' && !x.conversation.mutant);
  expect(new Set(valid.map((x) => x.conversation.version))).toEqual(new Set(versions));
  expect(valid.filter((x) => x.run.verdict !== 'conforming').map((x) => ladderText(x.run).join('\n'))).toEqual([]);
}

/** The OpenSSL-based clients' own ClientHello deviation, the same in every conversation (known-deviations.ts). */
const OPENSSL_DISABLED = OPENSSL_CLIENT.map((d) => ({ rule: d.rule, reason: d.reason }));

describe('tlsprop fuzz --listen --psk against PSK clients (strictness exact, every name once)', () => {
  it.each([['1.2'], ['1.3']] as const)('openssl s_client -psk -psk_identity, TLS %s', async (version) => {
    const flag = version === '1.2' ? '-tls1_2' : '-tls1_3';
    const r = await fuzzClient(
      clientOptions(`openssl s_client -connect {host}:{port} ${flag} -psk ${HEX} -psk_identity ${IDENTITY}`, OPENSSL_DISABLED),
    );
    expectPskClientRun(r, [version]);
    expectClientFindings(
      r,
      CLIENT_KNOWN['openssl s_client']!.filter((f) => f.key.includes(` ${version} `)),
    );
  });

  it('mosquitto_pub --psk --psk-identity (the MQTT client)', async () => {
    const r = await fuzzClient(
      clientOptions(
        `mosquitto_pub -h localhost -p {port} --psk ${HEX} --psk-identity ${IDENTITY} -t tlsprop/psk -m hello -q 0`,
        OPENSSL_DISABLED,
      ),
    );
    expectPskClientRun(r, ['1.3', '1.2']);
    expectClientFindings(r, CLIENT_KNOWN.mosquitto_pub!);
  });

  it('gnutls-cli --pskusername --pskkey', async () => {
    const r = await fuzzClient(
      clientOptions(
        `gnutls-cli 127.0.0.1 -p {port} --priority NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK --pskusername ${IDENTITY} --pskkey ${HEX}`,
      ),
    );
    expectPskClientRun(r, ['1.3', '1.2']);
    expectClientFindings(r, CLIENT_KNOWN['gnutls-cli']!);
  });
});
