/**
 * The run-level evaluator (oracles/across.ts) over in-memory connections of our engine: the healthy engine draws its
 * randoms and ephemeral keys anew (pass); the faulty server reuse-server-randomness sends its first connection's again
 * (a violation naming the party, both connections and the field); a fuzz run judges the peer's side alone.
 */
import { nodeProvider } from '../crypto';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { drawnOnce } from '../engine/faults';
import { SERVER_NAME, type TestPki, testPki } from '../engine/fixtures';
import { runInMemory } from '../engine/memory';
import { CipherSuite12 as CS12, CipherSuite13 as CS13, CipherSuiteDhe12 } from '../engine/suites';
import { NamedGroup } from '../wire/registry';
import { type TlsVersion, VERSION_CODE } from '../wire/vocabulary';
import { RunEvidence, acrossRules } from './across';
import { checkTranscript } from './evaluate';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const client = (v: TlsVersion, extra: Partial<ClientConfig> = {}): ClientConfig => ({
  provider: p,
  versions: [VERSION_CODE[v]],
  cipherSuites: v === '1.2' ? [CS12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] : [CS13.TLS_AES_128_GCM_SHA256],
  groups: [NamedGroup.x25519],
  serverName: SERVER_NAME,
  trustAnchors: pki.anchors,
  ...extra,
});
const server = (v: TlsVersion, extra: Partial<ServerConfig> = {}): ServerConfig => ({
  provider: p,
  versions: [VERSION_CODE[v]],
  identity: pki.identity('server', 'rsa'),
  groups: [NamedGroup.x25519],
  ...extra,
});

/** Connections of each version, in order, added to a run under `connection N`. */
async function run(
  n: number,
  s: (v: TlsVersion) => ServerConfig,
  c: (v: TlsVersion) => ClientConfig,
  e = new RunEvidence({}),
): Promise<RunEvidence> {
  let k = 0;
  for (const v of ['1.2', '1.3'] as const)
    for (let i = 0; i < n; i++) {
      const r = await runInMemory(c(v), s(v));
      expect(r.clientOutcome.kind).toBe('connected');
      e.addTranscript(`connection ${k++}`, r.transcript, { provider: p });
    }
  return e;
}

describe('rules decided across the connections of a run', () => {
  it('are the freshness rules, without a transcript check (the evaluator says so per transcript)', async () => {
    expect(acrossRules.map((r) => r.id)).toEqual(['hello.random-fresh', 'kex.ephemeral-fresh']);
    expect(acrossRules.map((r) => r.strength)).toEqual(['MUST', 'SHOULD']);
    const r = await runInMemory(client('1.3'), server('1.3'));
    const { verdicts } = await checkTranscript(r.transcript, { rules: acrossRules });
    expect(verdicts.map((v) => `${v.rule} ${v.status}`)).toEqual([
      'hello.random-fresh not-applicable',
      'kex.ephemeral-fresh not-applicable',
    ]);
    expect(verdicts[0]!.detail).toMatch(/across the connections of a run/);
  });

  it('the healthy engine: every random and ephemeral value fresh in each of 4 connections (pass)', async () => {
    const e = await run(
      2,
      (v) => server(v),
      (v) => client(v),
    );
    expect(e.verdicts().map((v) => `${v.rule} ${v.status}`)).toEqual(['hello.random-fresh pass', 'kex.ephemeral-fresh pass']);
  });

  it('one connection: nothing to compare (not-applicable)', async () => {
    const e = new RunEvidence();
    const r = await runInMemory(client('1.3'), server('1.3'));
    e.addTranscript('only', r.transcript, { provider: p });
    expect(e.verdicts().map((v) => v.status)).toEqual(['not-applicable', 'not-applicable']);
  });

  it('reuse-server-randomness: the server random and key share come back, named with both connections and the field', async () => {
    const drawn = drawnOnce();
    const e = await run(
      2,
      (v) => server(v, { faults: ['reuse-server-randomness'], drawnOnce: drawn }),
      (v) => client(v),
    );
    const bad = e.verdicts().filter((v) => v.status === 'violation');
    // TLS 1.2: connection 1 repeats connection 0; TLS 1.3 (connections 2, 3) repeats them too (one random, one key)
    expect(bad.map((v) => `${v.rule} ${v.connections?.join(' / ')}`)).toEqual([
      'hello.random-fresh connection 0 / connection 1',
      'hello.random-fresh connection 0 / connection 2',
      'hello.random-fresh connection 0 / connection 3',
      'kex.ephemeral-fresh connection 0 / connection 1',
      'kex.ephemeral-fresh connection 0 / connection 2',
      'kex.ephemeral-fresh connection 0 / connection 3',
    ]);
    expect(bad[0]!.detail).toBe(
      'The server sent the same ServerHello.random value in connection 1 as in connection 0 (ServerHello.random): it was not drawn anew for this connection.',
    );
    expect(bad[4]!.detail).toMatch(
      /^The server sent the same ServerHello key_share value in connection 2 as in connection 0 \(ServerKeyExchange\)/,
    );
    expect(bad.every((v) => v.message !== undefined)).toBe(true);
  });

  it('reuse-server-randomness with TLS 1.2 DHE: the ServerKeyExchange dh_Ys comes back (test-dhe-key-share-random)', async () => {
    const drawn = drawnOnce();
    const dhe = (v: TlsVersion) =>
      client(v, { cipherSuites: [CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256], groups: [NamedGroup.ffdhe2048] });
    const e = new RunEvidence({ parties: ['server'] });
    for (const n of [0, 1]) {
      const r = await runInMemory(
        dhe('1.2'),
        server('1.2', {
          faults: ['reuse-server-randomness'],
          drawnOnce: drawn,
          cipherSuites: [CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256],
        }),
      );
      expect(r.clientOutcome.kind).toBe('connected');
      e.addTranscript(`connection ${n}`, r.transcript, { provider: p });
    }
    expect(e.verdicts().map((v) => `${v.rule} ${v.status} ${v.detail.split(':')[0]}`)).toEqual([
      'hello.random-fresh violation The server sent the same ServerHello.random value in connection 1 as in connection 0 (ServerHello.random)',
      'kex.ephemeral-fresh violation The server sent the same ServerKeyExchange dh_Ys value in connection 1 as in connection 0 (ServerKeyExchange dh_Ys)',
    ]);
  });

  it('judges only the parties asked for: a client random fixed by the run is not the server target’s finding', async () => {
    const random = new Uint8Array(32).fill(7);
    const fixed = (v: TlsVersion) => client(v, { random });
    const target = await run(1, (v) => server(v), fixed, new RunEvidence({ parties: ['server'] }));
    expect(target.verdicts().map((v) => v.status)).toEqual(['pass', 'pass']);
    const both = await run(1, (v) => server(v), fixed);
    expect(both.verdicts().map((v) => `${v.rule} ${v.status} ${v.detail.slice(0, 48)}`)).toEqual([
      'hello.random-fresh violation The client sent the same ClientHello.random valu',
      'kex.ephemeral-fresh pass 4 value(s) over 2 connections of the run, none s',
    ]);
  });
});
