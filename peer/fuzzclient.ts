/**
 * Live fuzzing of TLS clients: tlsprop plays the server on a loopback port
 * and runs a client command (peer/clientcmd.ts) once per conversation.
 *
 * A run: a probe (one permissive handshake: the ClientHello tells which
 * versions, suites, groups and ALPN the client offers), a sanity handshake
 * first and last, then `runs` conversations generated with fast-check from
 * the seed, every applicable mutant and offered version first at its
 * simplest configuration (coveragePicks; default run count: those, then
 * DEFAULT_RANDOM_RUNS random ones): valid handshakes (version, suite, group, client authentication our
 * server offers) and mutants that change only what our SERVER sends: the
 * server-side hook operators of the mutation catalogue, and live
 * state-machine mutations of our server's flight (dropped, duplicated,
 * reordered messages) named after the catalogue's transcript operators whose
 * rules they trip. A conforming client completes the valid handshakes and
 * aborts every mutant, with an alert the broken rules name (strictness
 * exact / alert-or-close / any-abort). Every transcript goes through the
 * oracles; a violation by a message the client sent flags the conversation.
 *
 * A failing conversation is shrunk: fast-check replays its path with the
 * run's seed and shrinks to the smallest conversation failing the same way;
 * `seed` + `path` replays it alone.
 */
import { createServer, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { type CryptoProvider, nodeProvider } from '../crypto';
import { type ClientAuthMode, type ClientConfig, DEFAULT_SUITES, type Identity, type ServerConfig } from '../engine/config';
import { keyKindOf } from '../engine/core';
import type { TestPki } from '../engine/fixtures';
import type { EngineHooks, HookMessage } from '../engine/hooks';
import { TlsServer } from '../engine/server';
import { runServerOverSocket, type SocketRun } from '../engine/socket';
import { engineSuite } from '../engine/suites';
import { BASES, type BaseName, type MutationOperator, OPERATORS } from '../generators/mutations';
import { type BaseEnv, baseEnv, editRaw, getExt, randomOfHello, resignSke } from '../generators/mutations/support';
import type { Verdict } from '../oracles/rule';
import { isRuleId } from '../oracles/catalogue';
import type { ConversationRun } from '../oracles/live';
import type { ConversationVerdict } from '../wire/vocabulary';
import type { Transcript } from '../transcript/model';
import { extensionBody } from '../wire/extensions';
import type { ClientHello } from '../wire/handshake';
import { alertDescriptions, ExtensionType, NamedGroup, namedGroups, nameOf } from '../wire/registry';
import { ClientCommand, type ClientCommandResult, describeCommandEnd } from './clientcmd';
import { allowedAlerts, type Expectation, type LiveVersion, type Strictness } from './conversation';
import {
  coverageOrder,
  disabledRules,
  failsRun,
  judgeRun,
  runCount,
  shrinkAtPath,
  type ProfileStatus,
  profileStatusOf,
  saveRun,
} from './fuzzcommon';
import { describeEnd, transcriptOfRun } from './live';
import { suiteName } from './peers';
import { disabledBy, EMPTY_PROFILE, type FuzzProfile, type Subject } from './profile';
import type { SavedFiles } from './save';

// ------------------------------------------------------------------ mutants

/**
 * Catalogue operators that change only what our server sends or how it
 * reads the ClientHello are derived from the catalogue (serverSideOperators:
 * mechanism 'hook', server hooks only, the client configuration untouched,
 * no transcript edit), so new operators join the live runs by themselves.
 * A live client is held only to a required reaction: an operator counts when
 * a rule it declares names the alert a receiver sends in the catalogue
 * (`alert` field), or when REQUIRED_REACTIONS names one. Left out on
 * purpose, with the reason:
 */
export const EXCLUDED_SERVER_OPERATORS: Readonly<Record<string, string>> = {
  // our server's edited view of the ClientHello changes its TLS 1.3 handshake keys, so the client cannot
  // decrypt the EncryptedExtensions / CertificateVerify that carry the violation: bad_record_mac is then right
  't13-alpn-not-offered': 'the violation sits in EncryptedExtensions the client cannot decrypt',
  't13-cv-scheme-not-offered': 'the violation sits in a CertificateVerify the client cannot decrypt',
  // RFC 8446 §4.4.2: implementations SHOULD be prepared to handle potentially extraneous
  // certificates and arbitrary orderings from any TLS version: a client that builds its path anyway is right
  'cert-unrelated-second': 'receivers should tolerate extraneous certificates (RFC 8446 §4.4.2)',
  'cert-ca-first': 'receivers should tolerate arbitrary orderings (RFC 8446 §4.4.2)',
};

/** Receiver reactions the RFC requires although the catalogue entry of the rule names no alert. */
export const REQUIRED_REACTIONS: Readonly<Record<string, readonly string[]>> = {
  // RFC 8446 §4.1.3: a TLS 1.3 client seeing either sentinel in a TLS 1.2 ServerHello MUST abort with illegal_parameter
  't12-tls11-sentinel': ['illegal_parameter'],
};

/** The alerts a client must answer an operator with; empty: the catalogue requires no reaction. */
export function requiredAlerts(op: Pick<MutationOperator, 'name' | 'declares'>): string[] {
  return [...(REQUIRED_REACTIONS[op.name] ?? allowedAlerts(op.declares))];
}

/** Whether an operator, applied to `env`, acts only through our server (see above). */
export async function isServerSideOperator(op: MutationOperator, pki: TestPki): Promise<boolean> {
  if (op.mechanism !== 'hook' || !op.declares.length) return false;
  const base = op.bases.find((b) => op.versions.includes(BASES[b].version)) ?? op.bases[0];
  if (!base) return false;
  const env = baseEnv(pki, {
    base,
    suiteIndex: 0,
    group: op.group ?? NamedGroup.x25519,
    compat: true,
    clientRandom: new Uint8Array(32),
    serverRandom: new Uint8Array(32),
    seed: 1,
  });
  const p = await op.apply(env);
  return (
    p.hooks?.server !== undefined && p.hooks.client === undefined && clientUntouched(env.client, p.client) && p.post === undefined
  );
}

/**
 * The operator left the client configuration alone, or changed only the
 * signature schemes it offers (to keep the scheme our server is made to use
 * out of the offer): a live client decides its own offer, and when it does
 * offer that scheme the run finds no declared rule broken and skips it.
 */
function clientUntouched(before: ClientConfig, after: ClientConfig): boolean {
  if (before === after) return true;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)] as Array<keyof ClientConfig>);
  return [...keys].every((k) => k === 'signatureSchemes' || before[k] === after[k]);
}

/** The catalogue's server-side hook operators usable against a live client, in catalogue order. */
export async function serverSideOperators(pki: TestPki): Promise<MutationOperator[]> {
  const out: MutationOperator[] = [];
  for (const op of OPERATORS)
    if (!(op.name in EXCLUDED_SERVER_OPERATORS) && requiredAlerts(op).length > 0 && (await isServerSideOperator(op, pki)))
      out.push(op);
  return out;
}

/** Operators that need a client offering TLS 1.3 (the TLS 1.1 sentinel in a 1.2 ServerHello binds 1.3-capable clients only: RFC 8446 §4.1.3). */
const NEEDS_TLS13_CLIENT: ReadonlySet<string> = new Set(['t12-tls11-sentinel']);

/**
 * State-machine mutations our server makes live with a beforeSend hook:
 * each is named after the catalogue's transcript operator of the same
 * change and trips that operator's declared rules.
 */
export interface LiveMutation {
  name: string;
  version: LiveVersion;
  /** TLS 1.2: the suite must be ECDHE (a ServerKeyExchange is sent). */
  ecdhe?: boolean;
  /** Only with these key-exchange groups (default: any the client offers). */
  groups?: readonly number[];
  /** Rules and required alerts of a mutation the catalogue has no operator for (default: the catalogue operator of the same name). */
  own?: { declares: readonly string[]; alerts: readonly string[] };
  hooks: (ctx: LiveContext) => EngineHooks;
}

/** What a live mutation may need from the run: our server's identity (to re-sign what it changes). */
export interface LiveContext {
  identity: Identity;
  provider: CryptoProvider;
}

/** beforeSend of our server: `fn` returns the replacement for a message type, or undefined. */
function onServerSend(fn: (m: HookMessage, held: Map<string, Uint8Array>) => Uint8Array[] | undefined): () => EngineHooks {
  return () => {
    const held = new Map<string, Uint8Array>();
    return { beforeSend: (m) => (m.kind === 'handshake' ? fn(m, held) : undefined) };
  };
}

const drop = (type: string) => onServerSend((m) => (m.type === type ? [] : undefined));
const twice = (type: string) => onServerSend((m) => (m.type === type ? [m.raw, m.raw] : undefined));
/** Hold `moved` back and send it right after `after`. */
const moveAfter = (moved: string, after: string) =>
  onServerSend((m, held) => {
    if (m.type === moved && !held.has(moved)) {
      held.set(moved, m.raw);
      return [];
    }
    const h = held.get(moved);
    if (m.type === after && h) {
      held.delete(moved);
      held.set('done', h);
      return [m.raw, h];
    }
    return undefined;
  });

/**
 * Our server's ECDH public value made invalid in the one way a client can
 * still complete the handshake with: the last byte of Y flipped, so the
 * point is off the curve (for one X only Y and -Y are on it) while X is
 * still our real X. A client that validates the point aborts
 * (illegal_parameter, RFC 8446 §4.2.8.2 / RFC 8422 §5.4); one that
 * computes from X alone (an x-only ladder) gets our real shared secret and
 * goes on, which the catalogue operators (identity, wrong length, X off the
 * curve: all unusable by the client) cannot show.
 */
function flipY(point: Uint8Array): Uint8Array {
  const out = point.slice();
  out[out.length - 1] ^= 0x01;
  return out;
}

/** TLS 1.3: the ServerHello key share (NIST curves only). */
const serverShareOffCurve = (): EngineHooks => ({
  beforeSend: (m) => {
    if (m.kind !== 'handshake' || m.type !== 'server_hello') return undefined;
    let changed = false;
    const raw = editRaw(m.raw, { version: 0x0304 }, 'server_hello', (b) => {
      const ks = getExt(b.extensions, ExtensionType.key_share, 'key_share_server');
      if (ks?.share.keyExchange[0] !== 4) return;
      ks.share.keyExchange = flipY(ks.share.keyExchange);
      changed = true;
    });
    return changed ? [raw] : undefined;
  },
});

/** TLS 1.2: the ServerKeyExchange point, re-signed so that only the point is wrong. */
const skePointOffCurve = (ctx: LiveContext): EngineHooks => {
  let clientRandom: Uint8Array | undefined;
  let serverRandom: Uint8Array | undefined;
  return {
    beforeProcess: (m) => {
      if (m.type === 'client_hello') clientRandom = randomOfHello(m.raw).slice();
      return undefined;
    },
    beforeSend: async (m) => {
      if (m.kind !== 'handshake') return undefined;
      if (m.type === 'server_hello') serverRandom = randomOfHello(m.raw).slice();
      if (m.type !== 'server_key_exchange' || !clientRandom || !serverRandom) return undefined;
      // header(4) curve_type(1) group(2) length(1) point, scheme(2) length(2) signature
      const len = m.raw[7]!;
      if (m.raw[4] !== 3 || m.raw[8] !== 4 || len < 3) return undefined;
      const edited = m.raw.slice();
      edited.set(flipY(m.raw.subarray(8, 8 + len)), 8);
      const scheme = (m.raw[8 + len]! << 8) | m.raw[9 + len]!;
      return [await resignSke(ctx.provider, ctx.identity, edited, scheme, clientRandom, serverRandom)];
    },
  };
};

const NIST_GROUPS: readonly number[] = [NamedGroup.secp256r1, NamedGroup.secp384r1];
const POINT_RULES = { declares: ['ecdh.point-on-curve'], alerts: ['illegal_parameter'] };

export const LIVE_MUTATIONS: readonly LiveMutation[] = [
  {
    name: 't12-ske-point-off-curve-valid-x',
    version: '1.2',
    ecdhe: true,
    groups: NIST_GROUPS,
    own: POINT_RULES,
    hooks: skePointOffCurve,
  },
  {
    name: 't13-server-share-off-curve-valid-x',
    version: '1.3',
    groups: NIST_GROUPS,
    own: POINT_RULES,
    hooks: serverShareOffCurve,
  },
  { name: 't12-drop-ske', version: '1.2', ecdhe: true, hooks: drop('server_key_exchange') },
  { name: 't12-drop-server-certificate', version: '1.2', hooks: drop('certificate') },
  { name: 't12-duplicate-server-hello', version: '1.2', hooks: twice('server_hello') },
  { name: 't12-swap-certificate-ske', version: '1.2', ecdhe: true, hooks: moveAfter('certificate', 'server_key_exchange') },
  { name: 't13-drop-ee', version: '1.3', hooks: drop('encrypted_extensions') },
  { name: 't13-swap-certificate-cv', version: '1.3', hooks: moveAfter('certificate', 'certificate_verify') },
];

function catalogueOperator(name: string): MutationOperator {
  const op = OPERATORS.find((o) => o.name === name);
  if (!op) throw new Error(`live operator ${name} is not in the mutation catalogue`);
  return op;
}

/** A mutant of a run: a catalogue hook operator or a live state-machine mutation. */
export interface Mutant {
  name: string;
  version: LiveVersion;
  declares: readonly string[];
  /** Alerts a conforming client answers with. */
  alerts: readonly string[];
  kind: 'operator' | 'live';
}

// ------------------------------------------------------------------ profile

export interface ClientProfile {
  /** Versions the client offers and our engine runs, newest first. */
  versions: LiveVersion[];
  /** Offered suites our engine runs with our server's key. */
  suites: Record<LiveVersion, number[]>;
  /** Offered groups our engine runs. */
  groups: number[];
  /** Everything offered, for deciding whether a mutant's injected choice really was not offered. */
  offered: { suites: number[]; groups: number[]; alpn: string[] };
  /** The probe handshake completed. */
  completed: boolean;
  detail: string;
}

const ENGINE_GROUPS: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

function keyFits(suite: number, key: string): boolean {
  const s = engineSuite(suite);
  if (!s) return false;
  if (s.kex === 'TLS13') return true;
  if (s.kex === 'ECDHE_ECDSA') return key === 'ec-p256' || key === 'ec-p384';
  return key === 'rsa' && s.kex !== 'DHE_RSA';
}

/** What a ClientHello offers, restricted to what our server can run with `identity`. */
export function profileOf(ch: ClientHello, identity: Identity): Omit<ClientProfile, 'completed' | 'detail'> {
  const key = keyKindOf(identity.spki);
  const sv = extensionBody(ch.extensions, ExtensionType.supported_versions, 'supported_versions_client')?.versions ?? [
    ch.legacyVersion,
  ];
  const groups = extensionBody(ch.extensions, ExtensionType.supported_groups, 'supported_groups')?.groups ?? [];
  const alpn = (
    extensionBody(ch.extensions, ExtensionType.application_layer_protocol_negotiation, 'application_layer_protocol_negotiation')
      ?.protocols ?? []
  ).map((p) => new TextDecoder().decode(p));
  const versions: LiveVersion[] = [];
  if (sv.includes(0x0304)) versions.push('1.3');
  if (sv.includes(0x0303)) versions.push('1.2');
  const usable = ch.cipherSuites.filter((s) => keyFits(s, key) && DEFAULT_SUITES.includes(s));
  return {
    versions,
    suites: {
      '1.3': usable.filter((s) => engineSuite(s)?.kex === 'TLS13'),
      '1.2': usable.filter((s) => engineSuite(s)?.kex !== 'TLS13'),
    },
    groups: groups.filter((g) => ENGINE_GROUPS.includes(g)),
    offered: { suites: ch.cipherSuites, groups, alpn },
  };
}

// ------------------------------------------------------------------ conversations

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
  version: LiveVersion;
  suite: number;
  group: number;
  clientAuth: ClientAuthMode;
  serverRandom: Uint8Array;
  mutant?: Mutant;
  expect: Expectation;
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

function isEcdhe(suite: number): boolean {
  const k = engineSuite(suite)?.kex;
  return k === 'ECDHE_RSA' || k === 'ECDHE_ECDSA';
}

/** The base of the catalogue an operator runs on for a live suite (its environment decides key and kex). */
function baseFor(op: MutationOperator, version: LiveVersion, suite: number): BaseName | undefined {
  const kex = engineSuite(suite)?.kex;
  return op.bases.find((b) => {
    const spec = BASES[b];
    if (spec.version !== version) return false;
    if (version === '1.3') return true;
    return kex === 'RSA' ? spec.kex === 'RSA' : spec.kex === 'ECDHE' && (kex === 'ECDHE_ECDSA') === (spec.serverKey === 'ecdsa');
  });
}

export interface ClientFuzzOptions {
  /** The crypto provider of the whole run (fuzzClient makes one when absent: each key imported once per run). */
  provider?: CryptoProvider;
  /** Loopback address our server listens on (port 0: a free one). */
  host: string;
  port: number;
  /** Client command, `{host}` and `{port}` substituted (peer/clientcmd.ts). */
  command: string;
  /** More placeholders for the command. */
  vars?: Readonly<Record<string, string>>;
  /** Written to the client's stdin (default: a line of text, the payload a client sends once connected). */
  stdin?: string;
  /** Our server's certificate chain and key. */
  identity: Identity;
  /** DER anchors for the client's certificate (and for the certificate rules). */
  trustAnchors?: Uint8Array[];
  /** Our server requires a client certificate in every conversation (else it sometimes requests one). */
  clientCertRequired?: boolean;
  seed: number;
  /** Conversations (default: every applicable mutant and offered version once, coveragePicks, then DEFAULT_RANDOM_RUNS random ones). */
  runs?: number;
  /** Without `runs`: random conversations after the coverage ones (default DEFAULT_RANDOM_RUNS; 0: coverage only). */
  randomRuns?: number;
  strictness: Strictness;
  /** Replay one conversation: the fast-check path a report printed (the run's conversations are skipped). */
  path?: string;
  /** For the catalogue operators' environment. */
  pki: TestPki;
  readTimeoutMs?: number;
  totalTimeoutMs?: number;
  /** How long the client may take to exit by itself once the connection is over (default 1000 ms). */
  exitGraceMs?: number;
  /** Only these mutants (names). */
  mutants?: readonly string[];
  /** Conversations run while shrinking one failure (default 20; 0: no shrinking). */
  maxShrinkRuns?: number;
  /** Expected failures and disabled mutants / rules (peer/profile.ts; names are mutant names, see clientConversationNames). */
  profile?: FuzzProfile;
  /** Write each failing (shrunk) conversation here as pcap + key log + transcript JSON (peer/save.ts). */
  save?: string;
  onProgress?: (line: string) => void;
}

/** The mutants a profile allows, in a fixed order (catalogue operators, then live mutations). */
export function applicableMutants(
  profile: ClientProfile,
  operators: readonly MutationOperator[],
  o: Partial<Pick<ClientFuzzOptions, 'mutants' | 'clientCertRequired' | 'profile'>>,
): Mutant[] {
  const all = allApplicableMutants(profile, operators, o);
  const prof = o.profile ?? EMPTY_PROFILE;
  return all.filter((m) => disabledBy(prof, { names: [m.name], rules: m.declares }) === undefined);
}

function allApplicableMutants(
  profile: ClientProfile,
  operators: readonly MutationOperator[],
  o: Partial<Pick<ClientFuzzOptions, 'mutants' | 'clientCertRequired'>>,
): Mutant[] {
  const out: Mutant[] = [];
  const has = (v: LiveVersion) => profile.versions.includes(v) && profile.suites[v].length > 0;
  for (const op of operators) {
    const v: LiveVersion = op.versions[0] === '1.3' ? '1.3' : '1.2';
    if (o.mutants && !o.mutants.includes(op.name)) continue;
    if (!has(v) || (NEEDS_TLS13_CLIENT.has(op.name) && !profile.versions.includes('1.3'))) continue;
    if (!profile.suites[v].some((s) => baseFor(op, v, s) !== undefined)) continue;
    out.push({ name: op.name, version: v, declares: op.declares, alerts: requiredAlerts(op), kind: 'operator' });
  }
  for (const m of LIVE_MUTATIONS) {
    if (o.mutants && !o.mutants.includes(m.name)) continue;
    if (!has(m.version) || (m.ecdhe && !profile.suites['1.2'].some(isEcdhe))) continue;
    if (m.groups && !profile.groups.some((g) => m.groups!.includes(g))) continue;
    const rules = m.own ?? { declares: catalogueOperator(m.name).declares, alerts: requiredAlerts(catalogueOperator(m.name)) };
    out.push({ name: m.name, version: m.version, declares: rules.declares, alerts: rules.alerts, kind: 'live' });
  }
  return out;
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
 * Coverage first (as on the server side, peer/fuzz.ts coverageExamples): one pick per mutant and one valid
 * handshake per version the client offers, each at the simplest configuration (every other index 0), the
 * catalogue operators, the live mutations and the valid handshakes each shuffled by the seed and taking turns
 * (peer/fuzzcommon.ts coverageOrder). They run as fast-check examples before the random picks and count towards
 * the runs, so a seed and path replay them like any other conversation.
 */
export function coveragePicks(profile: ClientProfile, mutants: readonly Mutant[], seed: number): ConvPick[] {
  const simplest = { version: 0, suite: 0, group: 0, auth: 0, random: 0 };
  const of = (kind: Mutant['kind']) =>
    mutants.flatMap((m, i): ConvPick[] => (m.kind === kind ? [{ ...simplest, mutant: i }] : []));
  const usable = profile.versions.filter((v) => profile.suites[v].length > 0);
  const valids = usable.map((_, version): ConvPick => ({ ...simplest, mutant: null, version }));
  return coverageOrder([of('operator'), of('live'), valids], seed);
}

/** The conversation a pick stands for (deterministic). */
export function conversationOf(
  p: ConvPick,
  profile: ClientProfile,
  mutants: readonly Mutant[],
  o: Partial<Pick<ClientFuzzOptions, 'clientCertRequired'>> & { seed: number },
  path: string,
): ClientConversation {
  const mutant = p.mutant === null ? undefined : mutants[p.mutant % mutants.length];
  const usable = profile.versions.filter((v) => profile.suites[v].length > 0);
  const version = mutant?.version ?? usable[p.version % usable.length]!;
  let suites = profile.suites[version];
  if (mutant?.kind === 'operator') {
    const op = catalogueOperator(mutant.name);
    suites = suites.filter((s) => baseFor(op, version, s) !== undefined);
  } else if (mutant && LIVE_MUTATIONS.find((m) => m.name === mutant.name)?.ecdhe) suites = suites.filter(isEcdhe);
  const suite = suites[p.suite % suites.length]!;
  // TLS 1.2 ECDHE_ECDSA: our certificate's curve must be one the client offers
  const only = mutant?.kind === 'live' ? LIVE_MUTATIONS.find((m) => m.name === mutant.name)?.groups : undefined;
  const offered = profile.groups.length ? profile.groups : [NamedGroup.x25519];
  const groups = only ? offered.filter((g) => only.includes(g)) : offered;
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
    expect: mutant ? { kind: 'reject', rules: mutant.declares, alerts: mutant.alerts } : { kind: 'complete' },
    seed: o.seed,
    path,
  };
  if (mutant) conv.mutant = mutant;
  return conv;
}

// ------------------------------------------------------------------ one conversation

const DEFAULT_STDIN = 'tlsprop client fuzz\n';
const SERVER_APP_DATA = new TextEncoder().encode('tlsprop server\n');

/** Accept exactly one connection per conversation; anything else that connects is closed. */
class OneByOne {
  private waiting: ((s: Socket) => void) | undefined;
  readonly server: Server;
  constructor() {
    this.server = createServer({ pauseOnConnect: false }, (s) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(s);
      else s.destroy();
    });
  }
  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, exclusive: true }, () => resolve());
    });
    const a = this.server.address();
    if (!a || typeof a === 'string') throw new Error('listener has no TCP address');
    return a.port;
  }
  /** The next connection, or undefined when `until` settles (the client exited) or `timeoutMs` passes first. */
  next(until: Promise<unknown>, timeoutMs: number): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const give = (s: Socket | undefined) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(s);
      };
      this.waiting = give;
      timer = setTimeout(() => give(undefined), timeoutMs);
      void until.then(() => {
        if (this.waiting === give) give(undefined);
      });
    });
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Server hooks wrapped to tell whether the mutation fired, and whether it did before the client's Finished reached us. */
function watched(h: EngineHooks): {
  hooks: EngineHooks;
  fired: () => boolean;
  firedEarly: () => boolean;
  clientFinished: () => boolean;
} {
  let fired = false;
  let early = false;
  let fin = false;
  const note = <T>(r: T | undefined): T | undefined => {
    if (r !== undefined) {
      fired = true;
      if (!fin) early = true;
    }
    return r;
  };
  const hooks: EngineHooks = {
    beforeProcess: async (m) => {
      if (m.type === 'finished') fin = true;
      return note(h.beforeProcess ? await h.beforeProcess(m) : undefined);
    },
  };
  const bs = h.beforeSend;
  const bsr = h.beforeSendRecord;
  if (bs) hooks.beforeSend = async (m) => note(await bs(m));
  if (bsr) hooks.beforeSendRecord = async (r) => note(await bsr(r));
  return { hooks, fired: () => fired, firedEarly: () => early, clientFinished: () => fin };
}

export interface ClientConversationResult {
  run: ConversationRun;
  conversation: ClientConversation;
  /** Alert the client sent, by name. */
  alert?: string;
  /** Violations of rules by messages the client sent. */
  clientViolations: string[];
  command: ClientCommandResult;
  ms: number;
  /** What the profile said about it (absent: not in the profile). */
  profile?: { status: ProfileStatus; reason: string };
  /** Files written by --save. */
  saved?: SavedFiles;
}

interface Outcome {
  result: ClientConversationResult;
  records?: { dir: 'sent' | 'received'; raw: Uint8Array }[];
  keylog?: string[];
  /** Why the conversation proves nothing: the mutation did not apply, did not fire, or broke no declared rule on the wire. */
  skip?: string;
  transcript?: Transcript;
}

function alertName(d: number): string {
  return nameOf(alertDescriptions, d, 2);
}

/** Our server's configuration and hooks for a conversation (fresh hooks each time: operators keep state). */
async function serverFor(
  o: ClientFuzzOptions,
  conv: ClientConversation,
  profile: ClientProfile | undefined,
): Promise<{ config: ServerConfig; hooks?: EngineHooks; applicable: boolean }> {
  const provider = o.provider ?? nodeProvider();
  const config: ServerConfig = {
    provider,
    versions: [conv.version === '1.3' ? 0x0304 : 0x0303],
    cipherSuites: [conv.suite],
    groups: [conv.group],
    identity: o.identity,
    clientAuth: conv.clientAuth,
    random: conv.serverRandom,
  };
  if (o.trustAnchors) config.trustAnchors = o.trustAnchors;
  const m = conv.mutant;
  if (!m) return { config, applicable: true };
  if (m.kind === 'live') {
    const lm = LIVE_MUTATIONS.find((x) => x.name === m.name);
    if (!lm) throw new Error(`no live mutation ${m.name}`);
    return { config, hooks: lm.hooks({ identity: o.identity, provider }), applicable: true };
  }
  const op = catalogueOperator(m.name);
  const base = baseFor(op, conv.version, conv.suite) ?? op.bases[0]!;
  const env: BaseEnv = {
    spec: BASES[base],
    choice: {
      base,
      suiteIndex: 0,
      group: conv.group,
      compat: true,
      clientRandom: new Uint8Array(32),
      serverRandom: conv.serverRandom,
      seed: conv.seed,
    },
    pki: o.pki,
    provider,
    client: { provider, versions: config.versions ?? [], cipherSuites: [conv.suite], groups: [conv.group] },
    server: config,
  };
  const p = await op.apply(env);
  const server = p.server;
  // an operator that makes our server pick something it pretends was offered is a mutation only if the client really did not offer it
  const offered = profile?.offered;
  const injected = (mine: readonly number[] | undefined, base: readonly number[] | undefined, theirs: readonly number[]) =>
    (mine ?? []).filter((x) => !(base ?? []).includes(x)).some((x) => theirs.includes(x));
  let applicable = true;
  if (offered) {
    if (
      injected(server.cipherSuites, config.cipherSuites, offered.suites) ||
      injected(server.groups, config.groups, offered.groups)
    )
      applicable = false;
    if ((server.alpn ?? []).some((a) => offered.alpn.includes(a))) applicable = false;
  }
  const out: { config: ServerConfig; hooks?: EngineHooks; applicable: boolean } = { config: server, applicable };
  if (p.hooks?.server) out.hooks = p.hooks.server;
  return out;
}

/**
 * The alert the client sent: as our server received it, or as the transcript
 * shows it (a client may send its alert in plaintext while our server already
 * expects protected records, so our server never read it).
 */
function clientAlertOf(run: SocketRun, t: Transcript | undefined): string | undefined {
  const o = run.end.outcome;
  if (o.kind === 'alert_received') return alertName(o.alert.description);
  const m = t?.messages.find((x) => x.dir === 'C->S' && x.kind === 'alert');
  if (m?.alert) return alertName(m.alert.description);
  if (m?.raw?.length === 2) return alertName(m.raw[1]!);
  // a plaintext alert record (type 21, 2-byte body) the transcript kept unread
  const r = t?.records.find((x) => x.dir === 'C->S' && x.contentType === 21 && x.raw.length === 7);
  return r ? alertName(r.raw[6]!) : undefined;
}

/** Judge how a conversation ended against its expectation (`received`: the client's alert, if any). */
export function classifyClientEnd(
  conv: Pick<ClientConversation, 'expect'>,
  run: Pick<SocketRun, 'end' | 'received'>,
  received: string | undefined,
  strictness: Strictness,
  w: { firedEarly(): boolean; clientFinished(): boolean } | undefined,
  clientCcs = false,
): { verdict: ConversationVerdict; detail: string; alert?: string } {
  const end = run.end;
  const o = end.outcome;
  const withAlert = (c: { verdict: ConversationVerdict; detail: string }) =>
    received !== undefined ? { ...c, alert: received } : c;
  const gotData = run.received.length > 0;
  if (conv.expect.kind === 'complete') {
    if (o.kind === 'connected' || (o.kind === 'closed' && o.session))
      return {
        verdict: 'conforming',
        detail: gotData ? 'handshake completed, client sent application data' : 'handshake completed',
      };
    if (received !== undefined)
      return withAlert({ verdict: 'wrong-alert', detail: `valid handshake rejected with alert ${received}` });
    if (o.kind === 'alert_sent')
      return { verdict: 'flagged', detail: `our server aborted with ${alertName(o.alert.description)}: ${o.reason}` };
    if (end.kind === 'timed_out')
      return { verdict: 'hung', detail: `valid handshake stalled (${o.kind}) after ${end.afterMs} ms` };
    if (end.kind === 'reset') return { verdict: 'reset', detail: `valid handshake reset: ${end.error}` };
    return { verdict: 'wrong-alert', detail: 'valid handshake: client closed without an alert' };
  }
  const want = conv.expect.alerts;
  // accepted: application data after the mutated flight, or the client's Finished after a mutation that came before it
  if (gotData)
    return withAlert({ verdict: 'accepted-invalid', detail: 'client completed the handshake and sent application data' });
  if (w?.firedEarly() && w.clientFinished())
    return withAlert({ verdict: 'accepted-invalid', detail: 'client accepted the mutated flight and sent its Finished' });
  // TLS 1.2: the client's ChangeCipherSpec ends its answer to our whole first flight (even when our server cannot read the Finished after it)
  if (w?.firedEarly() && clientCcs)
    return withAlert({
      verdict: 'accepted-invalid',
      detail: 'client accepted the mutated flight and sent its ChangeCipherSpec and Finished',
    });
  if (received !== undefined) {
    if (strictness === 'any-abort' || want.includes(received))
      return withAlert({ verdict: 'conforming', detail: `rejected with ${received}` });
    return withAlert({
      verdict: 'wrong-alert',
      detail: `rejected with ${received}, expected ${want.join(' or ') || '(no alert named)'}`,
    });
  }
  if (o.kind === 'alert_sent')
    return { verdict: 'flagged', detail: `our server aborted first with ${alertName(o.alert.description)}: ${o.reason}` };
  if (end.kind === 'timed_out') return { verdict: 'hung', detail: `no rejection within ${end.afterMs} ms (${o.kind})` };
  const how = end.kind === 'reset' ? `reset (${end.error})` : 'closed without an alert';
  if (strictness === 'exact')
    return end.kind === 'reset'
      ? { verdict: 'reset', detail: `connection ${how}, expected ${want.join(' or ')}` }
      : { verdict: 'wrong-alert', detail: `${how}, expected ${want.join(' or ')}` };
  return { verdict: 'conforming', detail: `rejected: ${how}` };
}

interface Session {
  o: ClientFuzzOptions;
  listener: OneByOne;
  port: number;
  target: string;
}

/** Run one conversation: start the client, accept its connection, play our server, stop the client. */
async function runConversation(s: Session, conv: ClientConversation, profile: ClientProfile | undefined): Promise<Outcome> {
  const { o } = s;
  const t0 = Date.now();
  const readTimeoutMs = o.readTimeoutMs ?? 3000;
  const totalTimeoutMs = o.totalTimeoutMs ?? 10_000;
  const { config, hooks, applicable } = await serverFor(o, conv, profile);
  const w = hooks ? watched(hooks) : undefined;
  const server = new TlsServer(w ? { ...config, hooks: w.hooks } : config);
  const cmd = new ClientCommand({
    command: o.command,
    vars: { host: o.host, port: String(s.port), ...(o.vars ?? {}) },
    stdin: o.stdin ?? DEFAULT_STDIN,
    timeoutMs: totalTimeoutMs + 5000,
  });
  const sock = await s.listener.next(cmd.done, totalTimeoutMs);
  const base: ConversationRun = {
    target: o.command,
    role: 'client',
    name: conv.name,
    verdict: 'hung',
    ladder: [],
    seed: conv.seed,
    path: conv.path,
  };
  if (!sock) {
    const command = await cmd.finish(0);
    const detail = `client never connected (${describeCommandEnd(command)})${command.output ? `: ${command.output.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
    return { result: { run: { ...base, detail }, conversation: conv, clientViolations: [], command, ms: Date.now() - t0 } };
  }
  const run = await runServerOverSocket(server, sock, { readTimeoutMs, totalTimeoutMs, appData: SERVER_APP_DATA });
  sock.destroy();
  const command = await cmd.finish(o.exitGraceMs ?? 1000);
  const prof = o.profile ?? EMPTY_PROFILE;
  const judged = await judgeRun(run, server, 'server', s.target, config.provider ?? nodeProvider(), {
    peer: 'C->S',
    ignoredRules: disabledRules(prof),
    ...(o.trustAnchors ? { trustAnchors: o.trustAnchors } : {}),
  });
  const { transcript, ladder, verdicts } = judged;
  const clientViolations = judged.peerViolations;
  const ccs12 =
    conv.version === '1.2' && transcript?.messages.some((m) => m.dir === 'C->S' && m.kind === 'change_cipher_spec') === true;
  const c = classifyClientEnd(conv, run, clientAlertOf(run, transcript), o.strictness, w, ccs12);
  let verdict = c.verdict;
  let detail = c.detail;
  let rule = conv.expect.kind === 'reject' ? ruleOnWire(conv.expect.rules, verdicts) : undefined;
  if (verdict === 'conforming' && clientViolations.length) {
    verdict = 'flagged';
    detail = `client's messages violate ${clientViolations[0]}`;
    rule = clientViolations[0]!.split(' ')[0];
  }
  ladder.push(`-- server: ${describeEnd(run.end)}`, `-- client command: ${describeCommandEnd(command)}`);
  const cr: ConversationRun = { ...base, verdict, detail, ladder };
  if (rule !== undefined && verdict !== 'conforming' && isRuleId(rule)) cr.rule = rule;
  const result: ClientConversationResult = { run: cr, conversation: conv, clientViolations, command, ms: Date.now() - t0 };
  if (c.alert !== undefined) result.alert = c.alert;
  const status = profileStatusOf(prof, subjectOf(conv, cr.rule), verdict);
  if (status) result.profile = status;
  let effective: string | undefined = applicable
    ? undefined
    : 'not applicable: the client itself offers what the mutation injects';
  if (conv.mutant && effective === undefined) {
    // a live reordering may be caught by the generic state-machine rule before the specific order rule decides
    const declared =
      conv.mutant.kind === 'live'
        ? [...conv.mutant.declares, `t${conv.version === '1.3' ? '13' : '12'}.order.state-machine`]
        : conv.mutant.declares;
    if (!w?.fired()) effective = 'mutation did not fire';
    else if (!verdicts.some((v) => v.status === 'violation' && declared.includes(v.rule))) {
      const seen = verdicts.filter((v) => declared.includes(v.rule)).map((v) => `${v.rule} ${v.status}`);
      const other = verdicts.filter((v) => v.status === 'violation').map((v) => v.rule);
      effective = `no declared rule broken on the wire (${seen.join(', ') || 'no verdict'}; violations: ${other.join(', ') || 'none'})`;
    }
  }
  const out: Outcome = { result, records: run.records.map((r) => ({ dir: r.dir, raw: r.raw })), keylog: judged.keylog };
  if (transcript) out.transcript = transcript;
  if (effective !== undefined) out.skip = effective;
  return out;
}

/**
 * The rule a mutant's conversation is reported under: the first declared
 * rule the oracles found broken on the wire, a specific one before the
 * generic state-machine rule (it names the check the peer skipped); the
 * first declared rule when none was seen broken.
 */
function ruleOnWire(declared: readonly string[], verdicts: readonly Verdict[]): string | undefined {
  const broken = declared.filter((r) => verdicts.some((v) => v.rule === r && v.status === 'violation'));
  return broken.find((r) => !r.endsWith('.order.state-machine')) ?? broken[0] ?? declared[0];
}

/** What a conversation is, for matching profile entries: its mutant's name and rules (and the rule it was judged on). */
function subjectOf(conv: ClientConversation, rule?: string): Subject {
  const rules = conv.expect.kind === 'reject' ? [...conv.expect.rules] : [];
  if (rule !== undefined && !rules.includes(rule)) rules.push(rule);
  return { names: conv.mutant ? [conv.mutant.name] : [], rules };
}

// ------------------------------------------------------------------ run

export interface ShrinkResult {
  /** Path of the failing conversation in the run, and of the smallest one fast-check found failing the same way. */
  from: string;
  path: string;
  /** Conversations run while shrinking. */
  runs: number;
  result: ClientConversationResult;
}

export interface ClientFuzzResult {
  listen: string;
  command: string;
  profile: ClientProfile;
  mutants: string[];
  sanity: { first: boolean; last: boolean };
  results: ClientConversationResult[];
  /** Mutants that did not apply to this client or changed nothing on the wire (they prove nothing and are not counted). */
  skipped: string[];
  shrunk: ShrinkResult[];
  /** Mutants the profile switched off, with the reason. */
  disabled: string[];
  /** Conversations the run generates (given, or one per applicable mutant and offered version plus the random ones); a replayed path is one of them. */
  runs: number;
  ms: number;
}

function fullProbeConversation(
  o: ClientFuzzOptions,
  version: LiveVersion,
  suite: number,
  group: number,
  name: string,
): ClientConversation {
  return {
    name,
    version,
    suite,
    group,
    clientAuth: o.clientCertRequired ? 'require' : 'none',
    serverRandom: randomBytes32(o.seed),
    expect: { kind: 'complete' },
    seed: o.seed,
    path: name,
  };
}

/** The probe: a permissive server (both versions, every suite our key can run); the ClientHello gives the profile. */
async function probe(s: Session): Promise<ClientProfile> {
  const { o } = s;
  const conv = fullProbeConversation(o, '1.3', 0, NamedGroup.x25519, 'probe');
  const key = keyKindOf(o.identity.spki);
  const config: ServerConfig = {
    provider: o.provider ?? nodeProvider(),
    versions: [0x0304, 0x0303],
    cipherSuites: DEFAULT_SUITES.filter((x) => keyFits(x, key)),
    identity: o.identity,
    clientAuth: conv.clientAuth,
  };
  if (o.trustAnchors) config.trustAnchors = o.trustAnchors;
  const server = new TlsServer(config);
  const cmd = new ClientCommand({
    command: o.command,
    vars: { host: o.host, port: String(s.port), ...(o.vars ?? {}) },
    stdin: o.stdin ?? DEFAULT_STDIN,
    timeoutMs: (o.totalTimeoutMs ?? 10_000) + 5000,
  });
  const sock = await s.listener.next(cmd.done, o.totalTimeoutMs ?? 10_000);
  if (!sock) {
    const r = await cmd.finish(0);
    throw new Error(
      `probe: the client never connected to ${s.target} (${describeCommandEnd(r)}): ${r.output.trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
  const run = await runServerOverSocket(server, sock, {
    readTimeoutMs: o.readTimeoutMs ?? 3000,
    totalTimeoutMs: o.totalTimeoutMs ?? 10_000,
    appData: SERVER_APP_DATA,
  });
  sock.destroy();
  const command = await cmd.finish(o.exitGraceMs ?? 1000);
  const { transcript } = await transcriptOfRun(run, server, 'server', s.target, config.provider);
  const chMsg = transcript.messages.find((m) => m.dir === 'C->S' && m.type === 'client_hello');
  const ch = chMsg?.decoded?.body;
  if (ch?.type !== 'client_hello')
    throw new Error(`probe: no readable ClientHello from the client (${describeEnd(run.end)}; ${describeCommandEnd(command)})`);
  const completed =
    run.end.outcome.kind === 'connected' || (run.end.outcome.kind === 'closed' && run.end.outcome.session !== undefined);
  return { ...profileOf(ch, o.identity), completed, detail: `${describeEnd(run.end)}; client ${describeCommandEnd(command)}` };
}

function sanityConversation(o: ClientFuzzOptions, p: ClientProfile, label: string): ClientConversation | undefined {
  const v = p.versions.find((x) => p.suites[x].length > 0);
  if (!v) return undefined;
  return fullProbeConversation(o, v, p.suites[v][0]!, p.groups[0] ?? NamedGroup.x25519, label);
}

/** Same failure: the verdict and the rule. */
function sameFailure(a: ConversationRun, b: ConversationRun): boolean {
  return a.verdict === b.verdict && a.rule === b.rule;
}

/** Every conversation name a client run can have (profile entries are checked against them). */
export async function clientConversationNames(pki: TestPki): Promise<string[]> {
  return [...(await serverSideOperators(pki)).map((op) => op.name), ...LIVE_MUTATIONS.map((m) => m.name)];
}

export async function fuzzClient(opts: ClientFuzzOptions): Promise<ClientFuzzResult> {
  const o: ClientFuzzOptions = { ...opts, provider: opts.provider ?? nodeProvider() };
  const t0 = Date.now();
  const progress = o.onProgress ?? (() => undefined);
  const listener = new OneByOne();
  const port = await listener.listen(o.host, o.port);
  const s: Session = { o, listener, port, target: o.command };
  try {
    const profile = await probe(s);
    progress(
      `probe on ${o.host}:${port}: client offers ${profile.versions.map((v) => `TLS ${v}`).join(', ') || 'no version we run'}; TLS 1.3 [${profile.suites['1.3'].map(suiteName).join(', ')}], TLS 1.2 [${profile.suites['1.2'].map(suiteName).join(', ')}]${profile.completed ? '' : `; probe did not complete: ${profile.detail}`}`,
    );
    const operators = await serverSideOperators(o.pki);
    const mutants = applicableMutants(profile, operators, o);
    const prof = o.profile ?? EMPTY_PROFILE;
    const disabled = allApplicableMutants(profile, operators, o).flatMap((m) => {
      const d = disabledBy(prof, { names: [m.name], rules: m.declares });
      return d ? [`${m.name}: ${d.reason}`] : [];
    });
    const outcomes = new Map<ClientConversationResult, Outcome>();
    const results: ClientConversationResult[] = [];
    const skipped: string[] = [];
    const shrunk: ShrinkResult[] = [];
    const sanity = async (label: string): Promise<boolean> => {
      const conv = sanityConversation(o, profile, label);
      if (!conv) return false;
      const { result } = await runConversation(s, conv, profile);
      progress(`${label}: ${result.run.verdict} (${result.run.detail ?? ''})`);
      return result.run.verdict === 'conforming';
    };
    const first = await sanity('sanity first');
    const arb = pickArb(mutants.length);
    const convOf = (p: ConvPick, path: string) =>
      conversationOf(p, profile, mutants, { seed: o.seed, clientCertRequired: o.clientCertRequired ?? false }, path);
    const examples: [ConvPick][] = coveragePicks(profile, mutants, o.seed).map((p) => [p]);
    const runs = runCount(o.runs, examples.length, o.randomRuns);
    if (first) {
      if (o.path !== undefined) {
        // replay: exactly the conversation at this path (fast-check goes on generating after a passing
        // replayed value; only the first one, the value at the path, is run)
        let replayed: ClientConversationResult | undefined;
        let first = true;
        await fc.check(
          fc.asyncProperty(arb, async (p) => {
            if (!first) return true;
            first = false;
            const out = await runConversation(s, convOf(p, o.path!), profile);
            replayed = out.result;
            outcomes.set(out.result, out);
            return true;
          }),
          { seed: o.seed, path: o.path, numRuns: 1, endOnFailure: true, examples },
        );
        if (replayed) {
          results.push(replayed);
          progress(
            `replay ${o.path} ${replayed.run.name}: ${replayed.run.verdict}${replayed.alert ? ` (${replayed.alert})` : ''}${replayed.profile ? ` [${replayed.profile.status}]` : ''}`,
          );
        }
      } else {
        // generation: the coverage examples, then random picks; the predicate only records, so every run happens
        let i = 0;
        const record = async (p: ConvPick): Promise<boolean> => {
          const conv = convOf(p, String(i));
          i++;
          const out = await runConversation(s, conv, profile);
          const { result, skip } = out;
          if (skip !== undefined) {
            skipped.push(`${conv.path} ${conv.name}: ${skip}`);
            progress(`[${i}/${runs}] ${conv.name}: skipped (${skip})`);
            return true;
          }
          results.push(result);
          outcomes.set(result, out);
          progress(
            `[${i}/${runs}] ${conv.name}: ${result.run.verdict}${result.alert ? ` (${result.alert})` : ''}${result.profile ? ` [${result.profile.status}]` : ''}`,
          );
          return true;
        };
        const d = await fc.check(fc.asyncProperty(arb, record), { seed: o.seed, numRuns: runs, examples });
        // the recording predicate only fails by throwing (a bug, not a finding): surface it
        if (d.failed)
          throw d.errorInstance instanceof Error
            ? d.errorInstance
            : new Error(`client fuzz run ${d.counterexamplePath ?? '?'} failed: ${String(d.errorInstance)}`);
        const budget = o.maxShrinkRuns ?? 20;
        const failing = results.filter(failsRun);
        const distinct = failing.filter((r, i) => failing.findIndex((x) => sameFailure(x.run, r.run)) === i).slice(0, 2);
        for (const f of budget > 0 ? distinct : []) {
          const found = await shrinkAtPath(arb, { seed: o.seed, path: f.run.path ?? '0', examples, budget }, async (p) => {
            const out = await runConversation(s, convOf(p, `shrinking ${f.run.path ?? ''}`), profile);
            return out.skip === undefined && failsRun(out.result) && sameFailure(out.result.run, f.run) ? out : undefined;
          });
          const runs = found.runs;
          const path = found.smallest?.path ?? f.run.path ?? '';
          const last = found.smallest?.result;
          // not reproduced: the failure as it was run stands for itself
          const base = last?.result ?? f;
          const smallest: ClientConversationResult = {
            ...base,
            run: { ...base.run, path },
            conversation: { ...base.conversation, path },
          };
          const kept = last ?? outcomes.get(f);
          if (kept) outcomes.set(smallest, kept);
          shrunk.push({ from: f.run.path ?? '', path, runs, result: smallest });
          progress(`shrunk ${f.run.path}: ${smallest.run.name} [${smallest.run.verdict}] path ${path} (${runs} runs)`);
        }
      }
    }
    if (o.save) {
      // each failure once: its shrunk form when there is one, else the conversation as run
      const shrunkFrom = new Set(shrunk.map((x) => x.from));
      const toSave = [...shrunk.map((x) => x.result), ...results.filter((r) => failsRun(r) && !shrunkFrom.has(r.run.path ?? ''))];
      for (const [n, r] of toSave.entries()) {
        const out = outcomes.get(r);
        if (!out?.records) continue;
        const input = {
          path: r.run.path ?? 'x',
          name: r.conversation.mutant?.name ?? r.conversation.name,
          role: 'server' as const,
          records: out.records,
          keylog: out.keylog ?? [],
          serverPort: port,
          clientPort: 40000 + (n % 20000),
        };
        r.saved = saveRun(o.save, out.transcript ? { ...input, transcript: out.transcript } : input);
        progress(`saved ${r.run.path}: ${r.saved.pcap}`);
      }
    }
    const last = first && (await sanity('sanity last'));
    return {
      listen: `${o.host}:${port}`,
      command: o.command,
      profile,
      mutants: mutants.map((m) => m.name),
      sanity: { first, last },
      results,
      skipped,
      shrunk,
      disabled,
      runs,
      ms: Date.now() - t0,
    };
  } finally {
    await listener.close();
  }
}
