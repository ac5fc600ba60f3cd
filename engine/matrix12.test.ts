import { nodeProvider } from '../crypto';
import { NamedGroup, cipherSuites } from '../wire/registry';
import type { ClientAuthMode } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import { runInMemory } from './memory';
import { CipherSuite12 as CS } from './suites';
import { describeOutcome } from './types';
import { verifyTranscriptSecrets } from './verify';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const SUITES = Object.values(CS);
const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];
const AUTH: ClientAuthMode[] = ['none', 'require', 'request'];

interface Case {
  suite: number;
  group: number;
  auth: ClientAuthMode;
  clientKey: 'rsa' | 'ecdsa';
  ems: boolean;
  etm: boolean;
}

// Every TLS 1.2 suite twice, rotating group, client auth, client key type, EMS and EtM.
const cases: Case[] = SUITES.flatMap((suite, i) =>
  [0, 1].map((j) => ({
    suite,
    group: GROUPS[(i + j) % 3]!,
    auth: AUTH[(i + 2 * j) % 3]!,
    clientKey: (i + j) % 2 === 0 ? ('rsa' as const) : ('ecdsa' as const),
    ems: j === 0,
    etm: (i + j) % 2 === 1,
  })),
);

describe('TLS 1.2 matrix', () => {
  it.each(
    cases.map(
      (c) =>
        [
          `${cipherSuites.get(c.suite)!.name} group=${c.group} auth=${c.auth}/${c.clientKey} ems=${c.ems} etm=${c.etm}`,
          c,
        ] as const,
    ),
  )('%s', async (_name, c) => {
    const info = cipherSuites.get(c.suite)!;
    const serverKey = info.kex === 'ECDHE_ECDSA' ? 'ecdsa' : 'rsa';
    const run = await runInMemory(
      // An ECDSA server certificate's curve (P-256 here) must be among the client's groups (RFC 8422 §5.1).
      {
        provider: p,
        versions: [0x0303],
        cipherSuites: [c.suite],
        groups: serverKey === 'ecdsa' && c.group !== NamedGroup.secp256r1 ? [c.group, NamedGroup.secp256r1] : [c.group],
        serverName: SERVER_NAME,
        trustAnchors: pki.anchors,
        identity: pki.identity('client', c.clientKey),
        extendedMasterSecret: c.ems,
        encryptThenMac: c.etm,
      },
      {
        provider: p,
        versions: [0x0303],
        cipherSuites: [c.suite],
        groups: [c.group, ...[NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1].filter((g) => g !== c.group)],
        identity: pki.identity('server', serverKey),
        clientAuth: c.auth,
        trustAnchors: pki.anchors,
      },
      {},
      { appData: { client: Uint8Array.of(1, 2, 3), server: Uint8Array.of(4, 5) }, closeNotify: true },
    );
    const co = run.clientOutcome;
    const so = run.serverOutcome;
    if (co.kind !== 'closed' || so.kind !== 'closed')
      throw new Error(`client ${describeOutcome(co)}; server ${describeOutcome(so)}`);
    expect(co.session!.cipherSuite).toBe(c.suite);
    expect(co.session!.masterSecret).toEqual(so.session!.masterSecret);
    expect(co.session!.extendedMasterSecret).toBe(c.ems);
    const cbc = info.cipher.endsWith('CBC');
    expect(co.session!.encryptThenMac).toBe(c.etm && cbc);
    if (info.kex !== 'RSA') expect(co.session!.group).toBe(c.group);
    const types = run.transcript.messages.map((m) => `${m.dir} ${m.type}`);
    expect(types.includes('S->C server_key_exchange')).toBe(info.kex !== 'RSA');
    expect(types.includes('C->S certificate_verify')).toBe(c.auth !== 'none');
    expect(so.session!.peerCertificates.length).toBe(c.auth === 'none' ? 0 : 1);
    expect(run.received).toEqual({ client: [Uint8Array.of(4, 5)], server: [Uint8Array.of(1, 2, 3)] });
    expect(types.slice(-2)).toEqual(['C->S alert', 'S->C alert']);
    expect(run.transcript.gaps).toEqual([]);
    expect(await verifyTranscriptSecrets(p, run.transcript)).toEqual([]);
  });
});
