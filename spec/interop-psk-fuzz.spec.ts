/**
 * `tlsprop fuzz --psk` against a PSK-only server (issue #18 part 1): openssl s_server -psk HEX -psk_identity ID
 * -nocert, TLS 1.2 and TLS 1.3 alone, every applicable conversation name once (coverage first, seed 1, strictness
 * exact). The probe finds the PSK suites (TLS 1.2) and the external PSK selected (TLS 1.3); valid PSK handshakes
 * complete; the PSK mutations of generators/mutations/ops-psk.ts run (wrong binder, wrong key, unknown identity) and
 * every other mutation of our client runs over the PSK handshake. No conversation is accepted-invalid, and every
 * finding is listed below with the RFC sentence the target broke (a finding not listed fails, and so does a listed
 * one that stops showing).
 */
import type { ServerFuzzOptions } from '../fuzz/options';
import { type FuzzResult, fuzzTarget } from '../fuzz/target';
import type { ExternalPsk } from '../engine/config';
import { PSK_MUTATIONS } from '../generators/mutations/ops-psk';
import { freePort, LOOPBACK, PeerGroup, requireBinary } from '../testing/launch';
import { opensslPskServer } from '../testing/peers';
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

/** Each cell's findings: `verdict: mutation version -> alert`, with the RFC sentence. */
const KNOWN: Readonly<Record<TlsVersion, readonly { key: string; rfc: string }[]>> = {
  '1.2': [{ key: 'wrong-alert: t12-ch-version-ssl3 1.2 -> handshake_failure', rfc: D5 }],
  '1.3': [
    { key: 'wrong-alert: t13-ch-legacy-version-0300 1.3 -> handshake_failure', rfc: D5 },
    { key: 'wrong-alert: ch-compression-without-null 1.3 -> decode_error', rfc: COMPRESSION13 },
    { key: 'wrong-alert: t13-ccs-two-bytes 1.3 -> illegal_parameter', rfc: CCS13 },
    { key: 'wrong-alert: t13-external-psk-binder-wrong 1.3 -> illegal_parameter', rfc: BINDER },
    { key: 'wrong-alert: t13-external-psk-wrong-key 1.3 -> illegal_parameter', rfc: BINDER },
  ],
};

let files: PkiFiles;
const group = new PeerGroup();
beforeAll(async () => {
  requireBinary('openssl', 'openssl');
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
    // every PSK mutation of this version ran, with the verdict its rules derive
    const pskNames = PSK_MUTATIONS.filter((m) => m.needs?.psk && m.versions.includes(version)).map((m) => m.name);
    expect(pskNames.length).toBeGreaterThan(1);
    const ran = new Set(r.results.map((x) => x.conversation.subject));
    expect(pskNames.filter((n) => !ran.has(n))).toEqual([]);
    // zero accepted-invalid, and the findings are exactly the listed ones
    expect(r.results.filter((x) => x.run.verdict === 'accepted-invalid').map((x) => x.run.ladder.join('\n'))).toEqual([]);
    const keys = r.results
      .filter((x) => x.run.verdict !== 'conforming')
      .map((x) => `${x.run.verdict}: ${x.conversation.subject ?? x.run.name} ${x.conversation.version} -> ${x.alert ?? '-'}`);
    const known = KNOWN[version];
    expect([...new Set(keys.filter((k) => !known.some((f) => f.key === k)))]).toEqual([]);
    expect(known.filter((f) => !keys.includes(f.key)).map((f) => f.key)).toEqual([]);
  });
});
