/**
 * Conversations against a client (tlsprop plays the server), as data:
 * fast-check picks a valid handshake or a mutant of what our server sends
 * (`server-sends` declarations of the mutation model), and the version,
 * suite, group, client authentication and our server random among what the
 * client offered. `serverSide` turns a conversation into our server's
 * configuration and hooks; a mutation that makes our server pick something
 * it pretends was offered is a mutation only if the client really did not
 * offer it.
 */
import type { RuleId } from '../oracles/catalogue';
import fc from 'fast-check';
import type { ClientAuthMode, ServerConfig } from '../engine/config';
import type { TestPki } from '../engine/fixtures';
import type { EngineHooks } from '../engine/hooks';
import { engineSuite, PSK_KEX } from '../engine/suites';
import { kemGroupOf } from '../crypto/kem';
import { MUTATIONS } from '../generators/mutations/catalogue';
import { RENEGOTIATION_DECLINE } from '../oracles/rules/renegotiation';
import { alertNames, liveSide, type Mutation, reactionOf, rulesIn, type ServerSends } from '../generators/mutations/model';
import { BASES, type BaseEnv, type BaseName } from '../generators/mutations/support';
import { CertificateCompressionAlgorithm, NamedGroup, namedGroups, nameOf, PskKeyExchangeMode } from '../wire/registry';
import { type AlertName, type TlsVersion, VERSION_CODE } from '../wire/vocabulary';
import { coverageOrder } from './core';
import { type Expectation, expectationOf } from './judge';
import { suiteName } from './names';
import type { ClientFuzzOptions } from './options';
import type { ClientProfile } from './probe';
import { disabledBy, EMPTY_PROFILE } from './profile';

/** A mutant of a run: a mutation of what our server sends, in the version it runs in. */
export interface Mutant {
  name: string;
  version: TlsVersion;
  /** The rules it breaks (in that version). */
  rules: readonly RuleId[];
  /** Alerts a conforming client answers with (from the rules, oracles/reactions.ts). */
  alerts: readonly AlertName[];
  mutation: ServerSends;
}

/** What fast-check picks for one conversation (indices are taken modulo the choices of the profile). */
export interface ConvPick {
  /** null: a valid handshake; else the index of the mutant. */
  mutant: number | null;
  version: number;
  suite: number;
  group: number;
  auth: number;
  /** Seed of our server's random. */
  random: number;
}

export interface ClientConversation {
  name: string;
  version: TlsVersion;
  suite: number;
  group: number;
  clientAuth: ClientAuthMode;
  serverRandom: Uint8Array;
  mutant?: Mutant;
  expect: Expectation;
  /** TLS 1.2: once the first handshake is done our server asks for a renegotiation (HelloRequest; the mutant acts in it). */
  renegotiate?: true;
  /**
   * TLS 1.3 (a mutant declared `keyUpdate`): once the handshake is done and the client is silent, our server sends
   * these KeyUpdates (true: update_requested), then data, and listens (fuzz/exchange.ts `afterHandshake`).
   */
  keyUpdates?: readonly boolean[];
  seed: number;
  path: string;
}

function randomBytes32(seed: number): Uint8Array {
  // xorshift32: a deterministic server random per pick, never all zero
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The base a mutation runs on for a live suite (its environment decides key and kex). */
function baseFor(m: Pick<Mutation, 'bases'>, version: TlsVersion, suite: number): BaseName | undefined {
  const kex = engineSuite(suite)?.kex;
  return m.bases.find((b) => {
    const spec = BASES[b];
    if (spec.version !== version) return false;
    if (version === '1.3') return true;
    if (kex === 'RSA') return spec.kex === 'RSA';
    // (a TLS 1.2 PSK key exchange is no base's: ECDHE_PSK signs nothing, RFC 5489 §2)
    return (
      (kex === 'ECDHE_RSA' || kex === 'ECDHE_ECDSA') &&
      spec.kex === 'ECDHE' &&
      (kex === 'ECDHE_ECDSA') === (spec.serverKey === 'ecdsa')
    );
  });
}

/**
 * Whether a mutation runs with a live suite: on one of its bases when it has some (their key exchange and key
 * type), else as its needs say (a TLS 1.2 key exchange, if any).
 */
function suiteFits(m: Pick<Mutation, 'bases' | 'needs'>, version: TlsVersion, suite: number): boolean {
  if (m.bases.length) return baseFor(m, version, suite) !== undefined;
  const kex = engineSuite(suite)?.kex;
  const need = m.needs?.kex;
  if (version === '1.3' || need === undefined) return true;
  if (need === 'ECDHE') return kex === 'ECDHE_RSA' || kex === 'ECDHE_ECDSA';
  if (need === 'RSA') return kex === 'RSA';
  // our server's PSK key exchanges (RFC 4279, RFC 5489): only offered with the external PSK the client knows (`--psk`)
  if (need === 'PSK') return kex !== undefined && PSK_KEX.has(kex);
  return need === 'DHE' ? kex === 'DHE_RSA' : false;
}

/** The suites a mutation runs with in a version (with our external PSK, the profile has only PSK handshakes' suites). */
function mutantSuites(m: Pick<Mutation, 'bases' | 'needs'>, version: TlsVersion, profile: ClientProfile): number[] {
  return profile.suites[version].filter((s) => suiteFits(m, version, s));
}

/**
 * The certificate compression algorithms our server compresses with, in its order (RFC 8879 §4: it compresses its
 * Certificate with one the client's compress_certificate lists; a client that lists none gets it uncompressed).
 */
export const SERVER_CERTIFICATE_COMPRESSION: readonly number[] = [
  CertificateCompressionAlgorithm.zlib,
  CertificateCompressionAlgorithm.brotli,
];

/** The mutations of our server's sends a client can be fuzzed with (catalogue order). */
export function serverSideMutations(): ServerSends[] {
  return MUTATIONS.filter((m): m is ServerSends => m.where === 'server-sends' && liveSide(m) === 'server');
}

/**
 * The groups a mutant may use with this client (in `version`: the ML-KEM groups are TLS 1.3 only, draft-ietf-tls-ecdhe-mlkem
 * §5 and draft-ietf-tls-mlkem §4.1, so a TLS 1.2 conversation with a client that lists X25519MLKEM768 first runs with the
 * first classical group it offers).
 */
function groupsFor(m: Pick<Mutation, 'needs'> | undefined, profile: ClientProfile, version?: TlsVersion): number[] {
  const usable = version === '1.2' ? profile.groups.filter((g) => kemGroupOf(g) === undefined) : profile.groups;
  const offered = usable.length ? usable : [NamedGroup.x25519];
  const need = m?.needs?.groups;
  return need ? offered.filter((g) => need.includes(g)) : offered;
}

/** The mutants that apply to a client, before the profile and the name filter. */
function allApplicableMutants(profile: ClientProfile, only?: readonly string[]): Mutant[] {
  const has = (v: TlsVersion) => profile.versions.includes(v) && profile.suites[v].length > 0;
  const out: Mutant[] = [];
  for (const m of serverSideMutations()) {
    if (only && !only.includes(m.name)) continue;
    if (m.needs?.peerOffers13 && !profile.versions.includes('1.3')) continue;
    if (m.needs?.peerLacks12 && profile.versions.includes('1.2')) continue;
    if (m.needs?.peerLacksPskKe && (profile.psk?.modes ?? [PskKeyExchangeMode.psk_ke]).includes(PskKeyExchangeMode.psk_ke))
      continue;
    if (!groupsFor(m, profile).length) continue;
    const compress = m.needs?.peerCompressesCertificates;
    const compressing = (profile.certificateCompression ?? []).filter((a) => SERVER_CERTIFICATE_COMPRESSION.includes(a));
    if (compress && (!compressing.length || (compress === 'one' && profile.certificateCompression?.length !== 1))) continue;
    // a PSK mutation of our server's sends: the client offered our external PSK in that version (the probe)
    const pskOk = (x: TlsVersion) => !m.needs?.psk || (profile.psk?.versions.includes(x) ?? false);
    const v = m.versions.find((x) => has(x) && pskOk(x) && mutantSuites(m, x, profile).length > 0);
    if (v === undefined) continue;
    out.push({ name: m.name, version: v, rules: rulesIn(m, v), alerts: alertNames(reactionOf(m, v, [], 'client')), mutation: m });
  }
  return out;
}

/** The mutants a run has: those that apply, less what the profile switches off, in catalogue order. */
export function applicableMutants(
  profile: ClientProfile,
  o: { only?: readonly string[]; file?: ClientFuzzOptions['profile']['file'] },
): Mutant[] {
  const prof = o.file ?? EMPTY_PROFILE;
  return allApplicableMutants(profile, o.only).filter((m) => !disabledBy(prof, { names: [m.name], rules: m.rules }));
}

/** The mutants the profile switched off, with the reason. */
export function disabledMutants(
  profile: ClientProfile,
  o: { only?: readonly string[]; file?: ClientFuzzOptions['profile']['file'] },
): string[] {
  const prof = o.file ?? EMPTY_PROFILE;
  return allApplicableMutants(profile, o.only).flatMap((m) => {
    const d = disabledBy(prof, { names: [m.name], rules: m.rules });
    return d ? [`${m.name}: ${d.reason}`] : [];
  });
}

export function pickArb(mutantCount: number): fc.Arbitrary<ConvPick> {
  // shrinking goes field by field in this order: the mutant first, our server random last (small, so it shrinks in few steps)
  return fc.record({
    mutant: mutantCount ? fc.option(fc.nat({ max: mutantCount - 1 }), { freq: 3, nil: null }) : fc.constant(null),
    suite: fc.nat(63),
    group: fc.nat(7),
    auth: fc.nat(1),
    version: fc.nat(1),
    random: fc.nat(255),
  });
}

/**
 * Coverage first (as against servers, fuzz/families.ts): one pick per mutant and one valid handshake per version
 * the client offers, each at the simplest configuration (every other index 0), the mutants and the valid
 * handshakes each shuffled by the seed and taking turns (fuzz/core.ts coverageOrder). They run as fast-check
 * examples before the random picks and count towards the runs, so a seed and path replay them like any other
 * conversation.
 */
export function coveragePicks(profile: ClientProfile, mutants: readonly Mutant[], seed: number): ConvPick[] {
  const simplest = { version: 0, suite: 0, group: 0, auth: 0, random: 0 };
  const picks = mutants.map((_, i): ConvPick => ({ ...simplest, mutant: i }));
  const usable = profile.versions.filter((v) => profile.suites[v].length > 0);
  const valids = usable.map((_, version): ConvPick => ({ ...simplest, mutant: null, version }));
  return coverageOrder([picks, valids], seed);
}

/** The conversation a pick stands for (deterministic). */
export function conversationOf(
  p: ConvPick,
  profile: ClientProfile,
  mutants: readonly Mutant[],
  o: { seed: number; clientCertRequired?: boolean },
  path: string,
): ClientConversation {
  const mutant = p.mutant === null ? undefined : mutants[p.mutant % mutants.length];
  const usable = profile.versions.filter((v) => profile.suites[v].length > 0);
  const version = mutant?.version ?? usable[p.version % usable.length]!;
  let suites = profile.suites[version];
  if (mutant) suites = mutantSuites(mutant.mutation, version, profile);
  const suite = suites[p.suite % suites.length]!;
  // TLS 1.2 ECDHE_ECDSA: our certificate's curve must be one the client offers
  const groups = groupsFor(mutant?.mutation, profile, version);
  const group = groups[p.group % groups.length]!;
  const clientAuth: ClientAuthMode = o.clientCertRequired ? 'require' : p.auth === 1 ? 'request' : 'none';
  const label = `${version} ${suiteName(suite)} ${nameOf(namedGroups, group)}${clientAuth !== 'none' ? ` cert-${clientAuth}` : ''}`;
  const conv: ClientConversation = {
    name: mutant ? `${mutant.name} ${label}` : `valid ${label}`,
    version,
    suite,
    group,
    clientAuth,
    serverRandom: randomBytes32(p.random),
    expect: mutant ? expectationOf(mutant.mutation, version, 'client') : { kind: 'complete' },
    seed: o.seed,
    path,
  };
  if (mutant) conv.mutant = mutant;
  if (mutant?.mutation.keyUpdate) conv.keyUpdates = mutant.mutation.keyUpdate.updates;
  // a mutation of the renegotiation (RFC 5746): our server asks for one with a HelloRequest once the first handshake is
  // done; the client may decline it with no_renegotiation or not answer at all (RENEGOTIATION_DECLINE.client, RFC 5246
  // §7.4.1.1), and then the mutation did not fire
  if (mutant?.mutation.renegotiates && conv.expect.kind === 'reject') {
    conv.renegotiate = true;
    conv.name = `${conv.name} renegotiation`;
    conv.expect = { ...conv.expect, decline: RENEGOTIATION_DECLINE.client, silenceOk: true };
  }
  return conv;
}

/** Our server's configuration and hooks for a conversation (fresh hooks each time: mutations keep state). */
export async function serverSide(
  conv: ClientConversation,
  base: ServerConfig,
  pki: TestPki,
  profile: ClientProfile | undefined,
): Promise<{ config: ServerConfig; hooks?: EngineHooks; applicable: boolean }> {
  const config: ServerConfig = {
    ...base,
    versions: [VERSION_CODE[conv.version]],
    cipherSuites: [conv.suite],
    groups: [conv.group],
    clientAuth: conv.clientAuth,
    random: conv.serverRandom,
  };
  const m = conv.mutant?.mutation;
  if (!m) return { config, applicable: true };
  const baseName =
    baseFor(m, conv.version, conv.suite) ??
    m.bases[0] ??
    (conv.version === '1.3' ? 't13-server-auth' : 't12-ecdhe-rsa-cbc-mutual');
  const provider = config.provider;
  if (!provider) throw new Error('our server has no crypto provider');
  const env: BaseEnv = {
    spec: BASES[baseName],
    choice: {
      base: baseName,
      suiteIndex: 0,
      group: conv.group,
      compat: true,
      clientRandom: new Uint8Array(32),
      serverRandom: conv.serverRandom,
      seed: conv.seed,
    },
    pki,
    provider,
    client: {
      provider,
      versions: config.versions ?? [],
      cipherSuites: [conv.suite],
      groups: [conv.group],
      // what the client offered of RFC 8879 (the probe): the certificate compression mutations read it
      ...(profile?.certificateCompression ? { certificateCompression: profile.certificateCompression } : {}),
    },
    server: config,
  };
  const change = await m.mutate(env);
  const server = change.config ?? config;
  // a mutation that makes our server pick something it pretends was offered is a mutation only if the client really did not offer it
  const offered = profile?.offered;
  const injected = (mine: readonly number[] | undefined, was: readonly number[] | undefined, theirs: readonly number[]) =>
    (mine ?? []).filter((x) => !(was ?? []).includes(x)).some((x) => theirs.includes(x));
  let applicable = true;
  // (a version mutation answers in TLS 1.2 with whatever TLS 1.2 suite: the version is what was not offered)
  if (offered && !m.needs?.peerLacks12) {
    if (
      injected(server.cipherSuites, config.cipherSuites, offered.suites) ||
      injected(server.groups, config.groups, offered.groups)
    )
      applicable = false;
    if ((server.alpn ?? []).some((a) => offered.alpn.includes(a))) applicable = false;
  }
  return { config: server, hooks: change.hooks, applicable };
}

/** Every conversation name a client run can have (profile entries are checked against them). */
export function clientConversationNames(): string[] {
  return serverSideMutations().map((m) => m.name);
}
