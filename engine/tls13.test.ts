import { nodeProvider } from '../crypto';
import { AlertDescription, NamedGroup, cipherSuites } from '../wire/registry';
import type { ClientAuthMode } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import { runInMemory } from './memory';
import { CipherSuite13 as CS } from './suites';
import { describeOutcome } from './types';
import { verifyTranscriptSecrets } from './verify';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const SUITES = Object.values(CS);
const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];
const AUTH: ClientAuthMode[] = ['none', 'require'];
const KEYS = ['rsa', 'ecdsa'] as const;

interface Case {
  suite: number;
  group: number;
  auth: ClientAuthMode;
  serverKey: 'rsa' | 'ecdsa';
  compat: boolean;
}
const cases: Case[] = [];
for (const suite of SUITES)
  for (const group of GROUPS)
    for (const auth of AUTH)
      cases.push({ suite, group, auth, serverKey: KEYS[(cases.length >> 1) % 2]!, compat: cases.length % 3 !== 0 });

function expectedSequence(auth: ClientAuthMode, compat: boolean): string[] {
  const s = ['C->S client_hello', 'S->C server_hello'];
  if (compat) s.push('S->C change_cipher_spec');
  s.push('S->C encrypted_extensions');
  if (auth !== 'none') s.push('S->C certificate_request');
  s.push('S->C certificate', 'S->C certificate_verify', 'S->C finished');
  if (compat) s.push('C->S change_cipher_spec');
  if (auth !== 'none') s.push('C->S certificate', 'C->S certificate_verify');
  s.push('C->S finished', 'S->C new_session_ticket', 'C->S application_data', 'S->C application_data');
  return s;
}

describe('TLS 1.3 in memory', () => {
  it.each(
    cases.map(
      (c) =>
        [
          `${cipherSuites.get(c.suite)!.name} group=${c.group} auth=${c.auth} server=${c.serverKey} compat=${c.compat}`,
          c,
        ] as const,
    ),
  )('%s', async (_n, c) => {
    const run = await runInMemory(
      {
        provider: p,
        versions: [0x0304, 0x0303],
        cipherSuites: [c.suite],
        groups: [c.group],
        serverName: SERVER_NAME,
        trustAnchors: pki.anchors,
        identity: pki.identity('client', c.serverKey === 'rsa' ? 'ecdsa' : 'rsa'),
        middleboxCompat: c.compat,
        alpn: ['mqtt'],
      },
      {
        provider: p,
        cipherSuites: [c.suite],
        identity: pki.identity('server', c.serverKey),
        clientAuth: c.auth,
        trustAnchors: pki.anchors,
        alpn: ['h2', 'mqtt'],
      },
      {},
      { appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) } },
    );
    const co = run.clientOutcome;
    const so = run.serverOutcome;
    if (co.kind !== 'connected' || so.kind !== 'connected')
      throw new Error(`client ${describeOutcome(co)}; server ${describeOutcome(so)}`);
    expect(co.session.version).toBe(0x0304);
    expect(co.session.group).toBe(c.group);
    expect(co.session.alpn).toBe('mqtt');
    expect(co.session.masterSecret).toEqual(so.session.masterSecret);
    expect(so.session.peerCertificates.length).toBe(c.auth === 'none' ? 0 : 1);
    expect(run.transcript.messages.map((m) => `${m.dir} ${m.type}`)).toEqual(expectedSequence(c.auth, c.compat));
    expect(run.transcript.gaps).toEqual([]);
    expect(run.transcript.messages.filter((m) => m.findings?.length)).toEqual([]);
    expect(run.client.tickets).toHaveLength(1);
    expect(run.received).toEqual({ client: [Uint8Array.of(2)], server: [Uint8Array.of(1)] });
    expect(await verifyTranscriptSecrets(p, run.transcript)).toEqual([]);
  });

  it('a client without a certificate gets certificate_required when the server requires one', async () => {
    const run = await runInMemory(
      { provider: p, trustAnchors: pki.anchors, serverName: SERVER_NAME },
      { provider: p, identity: pki.identity('server', 'ecdsa'), clientAuth: 'require' },
    );
    expect(run.serverOutcome).toMatchObject({
      kind: 'alert_sent',
      alert: { description: AlertDescription.certificate_required },
    });
    expect(run.clientOutcome).toMatchObject({
      kind: 'alert_received',
      alert: { description: AlertDescription.certificate_required },
    });
    // The alert travels encrypted under the handshake keys and is readable in the transcript.
    const last = run.transcript.messages.at(-1)!;
    expect(last).toMatchObject({ type: 'alert', encrypted: true });
  });

  it('a corrupted server CertificateVerify is answered with decrypt_error', async () => {
    const run = await runInMemory(
      { provider: p, trustAnchors: pki.anchors, serverName: SERVER_NAME },
      { provider: p, identity: pki.identity('server', 'rsa') },
      {
        server: {
          beforeSend: (m) => {
            if (m.type !== 'certificate_verify') return undefined;
            const r = m.raw.slice();
            r[r.length - 5]! ^= 0x40;
            return [r];
          },
        },
      },
    );
    expect(run.clientOutcome).toMatchObject({
      kind: 'alert_sent',
      alert: { description: AlertDescription.decrypt_error },
      state: 'WAIT_CERTIFICATE_VERIFY',
    });
  });

  it('defaults negotiate TLS 1.3; a TLS 1.2-only server leads to TLS 1.2 with the downgrade sentinel absent', async () => {
    const a = await runInMemory(
      { provider: p, trustAnchors: pki.anchors, serverName: SERVER_NAME },
      { provider: p, identity: pki.identity('server', 'ecdsa') },
    );
    expect(a.clientOutcome).toMatchObject({ kind: 'connected', session: { version: 0x0304 } });
    const b = await runInMemory(
      { provider: p, trustAnchors: pki.anchors, serverName: SERVER_NAME },
      { provider: p, versions: [0x0303], identity: pki.identity('server', 'ecdsa') },
    );
    expect(b.clientOutcome).toMatchObject({ kind: 'connected', session: { version: 0x0303 } });
  });

  it('a server that supports TLS 1.3 but is forced to 1.2 by the client sets the downgrade sentinel, which a 1.3-capable client rejects', async () => {
    // The client offers 1.3 but a hook strips supported_versions from the hello the server sees.
    const run = await runInMemory(
      { provider: p, trustAnchors: pki.anchors, serverName: SERVER_NAME },
      { provider: p, identity: pki.identity('server', 'ecdsa') },
      {
        server: {
          beforeProcess: (m) => {
            if (m.type !== 'client_hello') return undefined;
            // Replace the supported_versions extension type (43) with an unknown one (0xfafa).
            const r = m.raw.slice();
            for (let i = 4; i + 1 < r.length; i++)
              if (r[i] === 0x00 && r[i + 1] === 43 && r[i + 2] === 0x00 && r[i + 4] === r[i + 3]! - 1) {
                r[i] = 0xfa;
                r[i + 1] = 0xfa;
                break;
              }
            return [r];
          },
        },
      },
    );
    expect(run.clientOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.illegal_parameter } });
    if (run.clientOutcome.kind === 'alert_sent') expect(run.clientOutcome.reason).toMatch(/downgrade/);
  });
});
