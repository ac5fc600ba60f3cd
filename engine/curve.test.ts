import { nodeProvider } from '../crypto';
import { NamedGroup } from '../wire/registry';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import { runInMemory } from './memory';
import { CipherSuite12 as CS } from './suites';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

describe('TLS 1.2 server: an ECDSA certificate only on a curve the client listed (RFC 8422 §5.1)', () => {
  const suites = [CS.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
  const client = (groups: number[]) => ({
    provider: p,
    versions: [0x0303],
    cipherSuites: suites,
    groups,
    serverName: SERVER_NAME,
    trustAnchors: pki.anchors,
  });
  const server = () => ({
    provider: p,
    versions: [0x0303],
    identity: pki.identity('server', 'ecdsa'),
    trustAnchors: pki.anchors,
    groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1],
  });

  it('refuses the ECDSA suite when the client did not list the certificate curve', async () => {
    const run = await runInMemory(client([NamedGroup.x25519]), server());
    expect(run.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: 40 } });
  });

  it('uses it when the client lists the curve', async () => {
    const run = await runInMemory(client([NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]), server());
    expect(run.serverOutcome.kind).toBe('connected');
  });
});
