/** Client fuzzing without a network: which mutations of our server's sends run, planning and classification. */
import fc from 'fast-check';
import { testPki } from '../engine/fixtures';
import type { ServerConfig } from '../engine/config';
import { runInMemory } from '../engine/memory';
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import { mutation } from '../generators/mutations';
import { reactionOf, type ServerSends } from '../generators/mutations/model';
import { baseEnv } from '../generators/mutations/support';
import { checkTranscript } from '../oracles/evaluate';
import type { Extension } from '../wire/extensions';
import type { ClientHello } from '../wire/handshake';
import { ExtensionType, NamedGroup } from '../wire/registry';
import { type TlsVersion, VERSION_CODE } from '../wire/vocabulary';
import {
  applicableMutants,
  type ClientConversation,
  clientConversationNames,
  conversationOf,
  pickArb,
  serverSideMutations,
} from './client-families';
import { evidenceRules } from './judge';
import { type ClientProfile, profileOf } from './probe';

/** Our server's hooks of a mutation, on our server's configuration `server` (the environment of its first base otherwise). */
async function serverHooksOf(m: ServerSends, server: ServerConfig, version: TlsVersion, group: number) {
  const pki = await testPki();
  const base = m.bases.find((b) => b.startsWith(version === '1.3' ? 't13' : 't12')) ?? m.bases[0]!;
  const env = {
    ...baseEnv(pki, {
      base,
      suiteIndex: 0,
      group,
      compat: false,
      clientRandom: new Uint8Array(32),
      serverRandom: new Uint8Array(32).fill(2),
      seed: 3,
    }),
    server,
  };
  const change = await m.mutate(env);
  return { config: change.config ?? server, hooks: change.hooks };
}

describe('mutations of our server sends, against clients', () => {
  it('are the server-sends declarations whose rules name a reaction, less those declared not live', () => {
    const names = serverSideMutations().map((m) => m.name);
    expect(clientConversationNames()).toEqual(names);
    // the ones issue #7 names are among them
    for (const n of [
      't12-early-server-ccs',
      't12-server-finished-wrong',
      't12-ske-sig-corrupt',
      't12-ske-sig-truncated',
      't12-ske-signed-wrong-randoms',
      't12-suite-not-offered',
      't12-group-not-offered',
      't12-alpn-not-offered',
      't13-server-finished-wrong',
      't13-server-cv-sig-corrupt',
      't13-drop-server-cv',
      't13-suite-not-offered',
      't13-session-id-not-echoed',
      // state-machine changes of our flight and points off the curve with a valid X
      't12-drop-ske',
      't13-swap-certificate-cv',
      't12-ske-point-off-curve-valid-x',
      't13-server-share-off-curve-valid-x',
    ])
      expect(names).toContain(n);
    // no reaction named (t13-sentinel-in-tls13), declared not live (the three), client-side or offline only: not among them
    for (const n of [
      't13-sentinel-in-tls13',
      't13-cv-scheme-not-offered',
      'cert-unrelated-second',
      'ext-alpn-unoffered-protocol',
      't13-client-finished-wrong',
      't12-cv-sig-corrupt',
      't12-drop-cke',
      'cert-expired-leaf',
    ])
      expect(names).not.toContain(n);
  });

  it('state-machine changes of our flight and off-curve points, run in memory against our client, make it abort and trip their rules', async () => {
    const pki = await testPki();
    const identity = pki.identity('server', 'rsa');
    const names = [
      't12-drop-ske',
      't12-drop-server-certificate',
      't12-duplicate-server-hello',
      't12-swap-certificate-ske',
      't13-drop-ee',
      't13-swap-certificate-cv',
      't12-ske-point-off-curve-valid-x',
      't13-server-share-off-curve-valid-x',
    ];
    for (const name of names) {
      const m = mutation(name);
      if (m.where !== 'server-sends') throw new Error(`${name} does not act on our server's sends`);
      const version = m.versions[0]!;
      const v13 = version === '1.3';
      const suite = v13
        ? CipherSuite13.TLS_AES_128_GCM_SHA256
        : m.needs?.kex === 'ECDHE'
          ? CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
          : CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256;
      const versions = [VERSION_CODE[version]];
      const groups = m.needs?.groups ? [m.needs.groups[0]!] : [NamedGroup.x25519];
      const server: ServerConfig = { versions, cipherSuites: [suite], identity, groups };
      const { config, hooks } = await serverHooksOf(m, server, version, groups[0]!);
      const run = await runInMemory({ versions, cipherSuites: [suite], serverName: 'localhost', groups }, config, {
        server: hooks,
      });
      expect([m.name, run.clientOutcome.kind]).toEqual([m.name, 'alert_sent']);
      const { verdicts } = await checkTranscript(run.transcript, { trustAnchors: pki.anchors });
      const evidence = evidenceRules(m.rules, version);
      expect([m.name, verdicts.some((x) => x.status === 'violation' && evidence.includes(x.rule))]).toEqual([m.name, true]);
    }
  });

  it('the off-curve point with a valid X: a validating client aborts with illegal_parameter, an x-only one (accept-invalid-ecdh-point) completes', async () => {
    const pki = await testPki();
    const identity = pki.identity('server', 'rsa');
    const points = serverSideMutations().filter((m) => m.name.endsWith('-valid-x'));
    expect(points.map((m) => m.versions.join()).sort()).toEqual(['1.2', '1.3']);
    for (const m of points) {
      const version = m.versions[0]!;
      for (const group of m.needs?.groups ?? []) {
        const suite =
          version === '1.3' ? CipherSuite13.TLS_AES_128_GCM_SHA256 : CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
        const versions = [VERSION_CODE[version]];
        const server: ServerConfig = { versions, cipherSuites: [suite], identity, groups: [group] };
        const client = { versions, cipherSuites: [suite], serverName: 'localhost', groups: [group] };
        const healthy = await runInMemory(client, server, { server: (await serverHooksOf(m, server, version, group)).hooks });
        expect([
          m.name,
          group,
          healthy.clientOutcome.kind === 'alert_sent' ? healthy.clientOutcome.alert.description : healthy.clientOutcome.kind,
        ]).toEqual([m.name, group, 47]);
        const faulty = await runInMemory({ ...client, faults: ['accept-invalid-ecdh-point'] }, server, {
          server: (await serverHooksOf(m, server, version, group)).hooks,
        });
        expect([m.name, group, faulty.clientOutcome.kind]).toEqual([m.name, group, 'connected']);
        const { verdicts } = await checkTranscript(faulty.transcript, { trustAnchors: pki.anchors });
        expect(
          verdicts
            .filter((x) => x.rule === 'ecdh.point-on-curve' && x.status === 'violation')
            .map((x) => faulty.transcript.messages[x.message!]?.dir),
        ).toEqual(['S->C']);
      }
    }
  });
});

function clientHello(versions: number[], suites: number[], groups: number[], alpn?: string[]): ClientHello {
  const extensions: Extension[] = [
    { type: ExtensionType.supported_versions, body: { kind: 'supported_versions_client', versions } },
    { type: ExtensionType.supported_groups, body: { kind: 'supported_groups', groups } },
  ];
  if (alpn)
    extensions.push({
      type: ExtensionType.application_layer_protocol_negotiation,
      body: { kind: 'application_layer_protocol_negotiation', protocols: alpn.map((a) => new TextEncoder().encode(a)) },
    });
  return {
    type: 'client_hello',
    legacyVersion: VERSION_CODE['1.2'],
    random: new Uint8Array(32),
    sessionId: new Uint8Array(0),
    cipherSuites: suites,
    compressionMethods: [0],
    extensions,
  };
}

describe('profileOf', () => {
  it('keeps what the client offers and our engine runs with our key', async () => {
    const pki = await testPki();
    const ch = clientHello(
      [VERSION_CODE['1.3'], VERSION_CODE['1.2']],
      [0x1302, 0x1301, 0xc02b, 0xc02f, 0x009c, 0x0005],
      [NamedGroup.secp256r1, 0x0100, NamedGroup.x25519],
      ['h2'],
    );
    const rsa = profileOf(ch, pki.identity('server', 'rsa'));
    expect(rsa.versions).toEqual(['1.3', '1.2']);
    expect(rsa.suites).toEqual({ '1.3': [0x1302, 0x1301], '1.2': [0xc02f, 0x009c] });
    expect(rsa.groups).toEqual([NamedGroup.secp256r1, NamedGroup.x25519]);
    expect(rsa.offered.alpn).toEqual(['h2']);
    expect(profileOf(ch, pki.identity('server', 'ecdsa')).suites['1.2']).toEqual([0xc02b]);
    expect(
      profileOf(clientHello([VERSION_CODE['1.2']], [0xc02f], [NamedGroup.x25519]), pki.identity('server', 'rsa')).versions,
    ).toEqual(['1.2']);
  });
});

const profile: ClientProfile = {
  versions: ['1.3', '1.2'],
  suites: {
    '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256],
    '1.2': [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256],
  },
  groups: [NamedGroup.x25519, NamedGroup.secp256r1],
  offered: { suites: [], groups: [], alpn: [] },
  completed: true,
  detail: '',
};

describe('planning', () => {
  it('applicable mutants follow the profile', () => {
    const all = applicableMutants(profile, {}).map((m) => m.name);
    expect(all).toContain('t12-drop-ske');
    expect(all).toContain('t12-tls11-sentinel');
    const only12 = applicableMutants({ ...profile, versions: ['1.2'] }, {}).map((m) => m.name);
    expect(only12.some((n) => n.startsWith('t13-'))).toBe(false);
    expect(only12).not.toContain('t12-tls11-sentinel');
    const rsaKex = applicableMutants(
      { ...profile, versions: ['1.2'], suites: { '1.3': [], '1.2': [CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256] } },
      {},
    ).map((m) => m.name);
    expect(rsaKex).not.toContain('t12-drop-ske');
    expect(rsaKex).not.toContain('t12-ske-sig-corrupt');
    expect(rsaKex).toContain('t12-server-finished-wrong');
    expect(applicableMutants(profile, { only: ['t13-drop-ee'] }).map((m) => m.name)).toEqual(['t13-drop-ee']);
  });

  it('a client listing X25519MLKEM768 first: TLS 1.3 runs over it, TLS 1.2 over its first classical group (the ML-KEM groups are TLS 1.3 only)', () => {
    const pq: ClientProfile = { ...profile, groups: [NamedGroup.X25519MLKEM768, NamedGroup.x25519] };
    const valid = (version: number) =>
      conversationOf({ mutant: null, suite: 0, group: 0, auth: 0, version, random: 0 }, pq, [], { seed: 1 }, '0');
    expect([valid(0).version, valid(0).group]).toEqual(['1.3', NamedGroup.X25519MLKEM768]);
    expect([valid(1).version, valid(1).group]).toEqual(['1.2', NamedGroup.x25519]);
  });

  it('the certificate compression mutations apply to a client that offers an algorithm of ours (the probe), and not otherwise', () => {
    const cc = ['cc-uncompressed-length-short', 'cc-not-decompressible', 'cc-algorithm-not-offered', 'cc-not-offered'];
    expect(applicableMutants(profile, { only: cc })).toEqual([]);
    expect(applicableMutants({ ...profile, certificateCompression: [3] }, { only: cc })).toEqual([]);
    expect(applicableMutants({ ...profile, certificateCompression: [2] }, { only: cc }).map((m) => m.name)).toEqual(
      cc.slice(0, 3),
    );
    // two algorithms listed: none of ours is one the client did not offer
    expect(applicableMutants({ ...profile, certificateCompression: [1, 2] }, { only: cc }).map((m) => m.name)).toEqual(
      cc.slice(0, 2),
    );
  });

  it('conversations are deterministic in seed and path, mutants fix their version and suite kind, and expectations carry the catalogue alerts', () => {
    const mutants = applicableMutants(profile, {});
    const picks = fc.sample(pickArb(mutants.length), { seed: 9, numRuns: 30 });
    const convs = picks.map((p, i) => conversationOf(p, profile, mutants, { seed: 9 }, String(i)));
    const again = fc
      .sample(pickArb(mutants.length), { seed: 9, numRuns: 30 })
      .map((p, i) => conversationOf(p, profile, mutants, { seed: 9 }, String(i)));
    const sig = (cs: ClientConversation[]) => cs.map((c) => `${c.path} ${c.name} ${Buffer.from(c.serverRandom).toString('hex')}`);
    expect(sig(convs)).toEqual(sig(again));
    expect(convs.some((c) => c.expect.kind === 'complete')).toBe(true);
    for (const c of convs) {
      if (!c.mutant) continue;
      expect(c.version).toBe(c.mutant.version);
      if (c.mutant.name === 't12-drop-ske') expect(c.suite).toBe(CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
      // valid input the client must take (a NewSessionTicket edge value, an unknown extension): the rules say complete
      const mustComplete = reactionOf(c.mutant.mutation, c.version, [], 'client').mustComplete;
      expect(c.expect).toMatchObject(
        mustComplete
          ? { kind: 'complete', rules: c.mutant.rules }
          : { kind: 'reject', rules: c.mutant.rules, alerts: c.mutant.alerts },
      );
    }
    const fin = conversationOf(
      {
        mutant: mutants.findIndex((m) => m.name === 't13-server-finished-wrong'),
        suite: 0,
        group: 0,
        auth: 0,
        version: 0,
        random: 0,
      },
      profile,
      mutants,
      { seed: 1, clientCertRequired: true },
      '0',
    );
    expect(fin).toMatchObject({
      version: '1.3',
      clientAuth: 'require',
      expect: { kind: 'reject', rules: ['t13.fin.verify-data'], alerts: ['decrypt_error'] },
    });
  });
});
