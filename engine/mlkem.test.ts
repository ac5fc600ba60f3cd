/**
 * ML-KEM key exchange, our engine against itself (no peer on this machine has ML-KEM: OpenSSL 3.0, GnuTLS 3.7 and
 * Botan 2.19 predate it). TLS 1.3 with every ML-KEM group of crypto/kem in both roles, its shares on the wire at the
 * drafts' lengths, the transcript's key schedule recomputed from the recorded keys (engine/verify.ts) and judged by
 * the oracles with zero violations and nothing inconclusive for an unknown group; a HelloRetryRequest to the hybrid;
 * and TLS 1.2, where a server never selects an ML-KEM group (tlsfuzzer test-no-mlkem-in-old-tls.py's probes).
 */
import { KEM_GROUP_NAMES, KEM_GROUPS, kemClientShareLength, kemServerShareLength, nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import type { Transcript } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import { AlertDescription, ExtensionType, NamedGroup } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import { runInMemory } from './memory';
import { CipherSuite12, CipherSuite13 } from './suites';
import { describeOutcome } from './types';
import { verifyTranscriptSecrets } from './verify';

const p = nodeProvider();
const enc = new TextEncoder();
let pki: TestPki;

beforeAll(async () => {
  pki = await testPki(Date.now(), p);
});

function configs(version: '1.2' | '1.3', clientGroups: number[], serverGroups: number[]): [ClientConfig, ServerConfig] {
  const suites =
    version === '1.3' ? [CipherSuite13.TLS_AES_128_GCM_SHA256] : [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256];
  return [
    {
      provider: p,
      versions: [VERSION_CODE[version]],
      cipherSuites: suites,
      groups: clientGroups,
      serverName: SERVER_NAME,
      trustAnchors: pki.anchors,
    },
    {
      provider: p,
      versions: [VERSION_CODE[version]],
      cipherSuites: suites,
      groups: serverGroups,
      identity: pki.identity('server', 'rsa'),
    },
  ];
}

async function judged(t: Transcript): Promise<void> {
  const { verdicts } = await checkTranscript(t, { trustAnchors: pki.anchors, at: new Date() });
  expect(verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`)).toEqual([]);
  expect(
    verdicts
      .filter((v) => v.status === 'inconclusive' && /unsupported|not implemented|unknown group|cannot verify/i.test(v.detail))
      .map((v) => `${v.rule}: ${v.detail}`),
  ).toEqual([]);
  // the shared secret was derived from the recorded keys on both sides (ecdh.symmetry covers the KEM groups too)
  expect(verdicts.filter((v) => v.rule === 'ecdh.symmetry').map((v) => v.status)).toEqual(['pass']);
}

describe('TLS 1.3 with each ML-KEM group, engine against engine', () => {
  it.each(KEM_GROUP_NAMES)('%s: handshake, data both ways, shares at the draft lengths, zero violations', async (g) => {
    const code = KEM_GROUPS[g].code;
    const [client, server] = configs('1.3', [code, NamedGroup.x25519], [code, NamedGroup.x25519]);
    const r = await runInMemory(client, server, {}, { appData: { client: enc.encode('ping'), server: enc.encode('pong') } });
    if (r.clientOutcome.kind !== 'connected') throw new Error(`client: ${describeOutcome(r.clientOutcome)}`);
    if (r.serverOutcome.kind !== 'connected') throw new Error(`server: ${describeOutcome(r.serverOutcome)}`);
    expect(r.clientOutcome.session.group).toBe(code);
    expect(new TextDecoder().decode(r.received.server[0])).toBe('ping');
    expect(new TextDecoder().decode(r.received.client[0])).toBe('pong');
    const ch = r.transcript.messages.find((m) => m.type === 'client_hello')!;
    const sh = r.transcript.messages.find((m) => m.type === 'server_hello')!;
    const chb = ch.decoded?.body;
    const shb = sh.decoded?.body;
    const cks =
      chb?.type === 'client_hello' ? extensionBody(chb.extensions, ExtensionType.key_share, 'key_share_client') : undefined;
    const sks =
      shb?.type === 'server_hello' ? extensionBody(shb.extensions, ExtensionType.key_share, 'key_share_server') : undefined;
    expect(cks?.shares.find((s) => s.group === code)?.keyExchange.length).toBe(kemClientShareLength(g));
    expect(sks?.share.group).toBe(code);
    expect(sks?.share.keyExchange.length).toBe(kemServerShareLength(g));
    // engine/verify recomputes the handshake from the recorded keys: decapsulation and re-encapsulation agree
    expect(await verifyTranscriptSecrets(p, r.transcript)).toEqual([]);
    await judged(r.transcript);
  });

  it('a client whose first share is X25519 is asked by HelloRetryRequest for the preferred X25519MLKEM768', async () => {
    const [client, server] = configs('1.3', [NamedGroup.x25519, NamedGroup.X25519MLKEM768], [NamedGroup.X25519MLKEM768]);
    const r = await runInMemory(client, server);
    if (r.clientOutcome.kind !== 'connected') throw new Error(`client: ${describeOutcome(r.clientOutcome)}`);
    expect(r.clientOutcome.session.group).toBe(NamedGroup.X25519MLKEM768);
    expect(r.transcript.messages.filter((m) => m.type === 'client_hello')).toHaveLength(2);
    await judged(r.transcript);
  });
});

describe('TLS 1.2: ML-KEM groups are TLS 1.3 only (tlsfuzzer test-no-mlkem-in-old-tls.py)', () => {
  it('normal groups with X25519MLKEM768: the server selects a classical curve', async () => {
    const [client, server] = configs(
      '1.2',
      [NamedGroup.X25519MLKEM768, NamedGroup.secp256r1, NamedGroup.x25519],
      [NamedGroup.X25519MLKEM768, NamedGroup.x25519],
    );
    const r = await runInMemory(client, server);
    if (r.clientOutcome.kind !== 'connected') throw new Error(`client: ${describeOutcome(r.clientOutcome)}`);
    expect(r.clientOutcome.session.group).toBe(NamedGroup.x25519);
    const { verdicts } = await checkTranscript(r.transcript, { trustAnchors: pki.anchors, at: new Date() });
    expect(verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`)).toEqual([]);
    expect(verdicts.find((v) => v.rule === 't12.neg.no-mlkem-group')?.status).toBe('pass');
  });

  it.each(KEM_GROUP_NAMES)('only %s offered with ECDHE suites: handshake_failure', async (g) => {
    const code = KEM_GROUPS[g].code;
    const [client, server] = configs('1.2', [code], [code, NamedGroup.x25519]);
    const r = await runInMemory(client, server);
    expect(r.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.handshake_failure } });
  });
});
