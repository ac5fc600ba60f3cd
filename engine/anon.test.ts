/**
 * TLS 1.2 anonymous key exchanges (DH_anon with the RFC 7919 groups, ECDH_anon), both roles in memory: no server
 * Certificate, an unsigned ServerKeyExchange, no CertificateRequest even when the server is set to ask for client
 * certificates (RFC 5246 §7.4.4), data both ways, and the oracles pass t12.ske.anon-unsigned with zero violations.
 * Never offered unless configured.
 */
import { nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import { cipherSuites, NamedGroup } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { DEFAULT_SUITES } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import { runInMemory } from './memory';
import { ANON_KEX, CipherSuiteAnon12, engineSuite } from './suites';

const p = nodeProvider();
const enc = new TextEncoder();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki(Date.now(), p);
});

const SUITES = Object.values(CipherSuiteAnon12).map((code) => [cipherSuites.get(code)!.name, code] as const);

describe('anonymous TLS 1.2 suites, our client against our server', () => {
  it('are implemented, and never offered by default', () => {
    expect(SUITES.filter(([, code]) => engineSuite(code) === undefined)).toEqual([]);
    expect(DEFAULT_SUITES.filter((c) => ANON_KEX.has(engineSuite(c)?.kex ?? ''))).toEqual([]);
  });

  it.each(SUITES)('%s: no certificate, unsigned parameters, data both ways, zero violations', async (_n, code) => {
    const version = [VERSION_CODE['1.2']];
    const r = await runInMemory(
      { provider: p, versions: version, cipherSuites: [code], serverName: SERVER_NAME, trustAnchors: pki.anchors },
      {
        provider: p,
        versions: version,
        cipherSuites: [code],
        identity: pki.identity('server', 'rsa'),
        groups: [NamedGroup.x25519, NamedGroup.ffdhe2048],
        // asked to request client certificates: an anonymous server must not (RFC 5246 §7.4.4)
        clientAuth: 'request',
        trustAnchors: pki.anchors,
      },
      {},
      { appData: { client: enc.encode('to server'), server: enc.encode('to client') } },
    );
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
    expect(r.clientOutcome.kind === 'connected' && r.clientOutcome.session).toMatchObject({
      cipherSuite: code,
      peerCertificates: [],
    });
    const types = r.transcript.messages.map((m) => m.type);
    expect(types).not.toContain('certificate');
    expect(types).not.toContain('certificate_request');
    const ske = r.transcript.messages.find((m) => m.type === 'server_key_exchange')?.decoded?.body;
    expect(ske?.type === 'server_key_exchange' && 'signed' in ske ? ske.signed : undefined).toBeUndefined();
    const { verdicts } = await checkTranscript(r.transcript, { trustAnchors: pki.anchors });
    expect(verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`)).toEqual([]);
    expect(verdicts.filter((v) => v.rule === 't12.ske.anon-unsigned').map((v) => v.status)).toEqual(['pass']);
  });
});
