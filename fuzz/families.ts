/**
 * Conversations against a server, by family. A family turns what the probe
 * found and the mutation declarations it runs into conversation specs
 * (data fast-check generates and shrinks) and a spec into a conversation:
 *
 * - valid: a valid handshake over what the probe found (version, suite,
 *   group, a restricted TLS 1.2 signature_algorithms offer);
 * - mutant: one mutation of what our client sends (`client-sends`);
 * - state: one to three state-machine step lists of one version, combined,
 *   judged by walking oracles/statemachine.ts;
 * - cert: our client presents a faulty certificate (`certificate` presented
 *   by the client) to a server that asks for one;
 * - reneg: a TLS 1.2 handshake, then our client renegotiates (RFC 5746):
 *   validly, or with one mutation of its renegotiating ClientHello
 *   (`client-sends` declared `renegotiates`), judged under the first
 *   handshake's keys;
 * - early: TLS 1.3 0-RTT on a fresh ticket from the target, valid or with one
 *   0-RTT mutation (`configuration` declared `zeroRtt`);
 * - keyupdate: TLS 1.3, once the handshake is done our client sends
 *   KeyUpdates and data under the keys they move to: valid ones, or one
 *   KeyUpdate mutation (any mutation declared `keyUpdate`).
 * - resume: a fresh session from the target (TLS 1.2 session ID or ticket,
 *   TLS 1.3 ticket), resumed validly or with one mutation of the resuming
 *   ClientHello (`client-sends` declared `resumes`), judged with the first.
 * - lengths: once the handshake is done our client sends application data
 *   records of boundary lengths (and a few drawn from the seed; TLS 1.3 also
 *   padded up to the TLSInnerPlaintext limit): valid, so the target goes on
 *   (and an echoing target echoes them intact).
 *
 * Which mutation runs in which family follows from its declaration; a
 * family is one entry of FAMILIES. The first conversations of a run are one
 * per applicable name at the simplest configuration (coverage first), the
 * families taking turns; random ones follow.
 */
import { kemGroupOf } from '../crypto';
import fc from 'fast-check';
import { DEFAULT_SCHEMES, type Identity } from '../engine/config';
import { pickScheme } from '../engine/core';
import { MORE_KEY_KINDS, type MoreKeyKind, type TestKeyKind, testKeyKindOf } from '../engine/fixtures';
import { engineSuite, PSK_KEX } from '../engine/suites';
import { MUTATIONS } from '../generators/mutations/catalogue';
import {
  type ClientCertificate,
  type ClientKeyChoice,
  type ClientSends,
  type Kex12,
  type KeyUpdateLive,
  liveSide,
  type Mutation,
  type OfflineEdit,
  type ResumeLive,
  type ZeroRttLive,
} from '../generators/mutations/model';
import { EARLY_SHAPES, type EarlyShape, earlyDataShaped } from '../generators/mutations/ops-early';
import { stateHooks, stateModel } from '../generators/mutations/state';
import { RENEGOTIATION_DECLINE } from '../oracles/rules/renegotiation';
import type { TlsVersion } from '../wire/vocabulary';
import { baseNameFor, type ClientBase, type Conversation, clientMutation, restrict, validConversation } from './conversation';
import { coverageOrder } from './core';
import { type AppRecord, type Expectation, expectationOf } from './judge';
import { suiteName } from './names';
import type { ServerFuzzOptions } from './options';
import { EDDSA, GROUPS, offerOnly, restrictedSchemes, type TargetProfile } from './probe';
import { disabledBy, EMPTY_PROFILE } from './profile';

/** The configuration part of a generated conversation: indices that shrink towards the simplest choice. */
export interface ConvConfig {
  /** Index into the suites the target accepts for the version. */
  suite: number;
  /** Index into the groups (x25519, secp256r1, secp384r1, or the probed ones). */
  group: number;
  /** TLS 1.3 middlebox compatibility mode. */
  compat: boolean;
  /** Seed of the client random. */
  random: number;
  /** TLS 1.2 signature_algorithms: 0 offers every scheme; k > 0 only the target's (k-1)-th probed scheme (see restrictedSchemes). */
  schemes: number;
}

/** A generated conversation, as data (what fast-check shrinks): one variant per family. */
export type ConvSpec =
  /**
   * `key`: our client certificate is the test PKI's leaf of that kind (or ours, when of that kind); `sigs13`: TLS 1.3,
   * our signature_algorithms offers that EdDSA scheme alone (the target signed with it in the probe).
   */
  | { kind: 'valid'; version: TlsVersion; cfg: ConvConfig; key?: MoreKeyKind; sigs13?: number }
  /**
   * `version`: the version to run it in (absent, or one it cannot run in against this target: the first it can).
   * `key`: the client certificate key it runs with (Needs.clientKeys; absent, or one it cannot run with: the first it can).
   */
  | { kind: 'mutant'; op: string; version?: TlsVersion; key?: ClientKeyChoice; cfg: ConvConfig }
  | { kind: 'state'; scenarios: string[]; cfg: ConvConfig }
  | { kind: 'cert'; fault: string; version: TlsVersion; cfg: ConvConfig }
  /** `op`: the renegotiation mutation (absent: a valid renegotiation). */
  | { kind: 'reneg'; op?: string; cfg: ConvConfig }
  /** `op`: the 0-RTT mutation (absent: valid 0-RTT data, in one record or in the valid `shape`). */
  | { kind: 'early'; op?: string; shape?: EarlyShape; cfg: ConvConfig }
  /** `op`: the KeyUpdate mutation (absent: valid KeyUpdates, `updates` their request_update: true update_requested). */
  | { kind: 'keyupdate'; op?: string; updates?: boolean[]; cfg: ConvConfig }
  /** `op`: the mutation of the resuming ClientHello (absent: a valid resumption). */
  | { kind: 'resume'; version: TlsVersion; op?: string; cfg: ConvConfig }
  /** Application data records of these content lengths after the handshake; `padded` (TLS 1.3): each padded to the limit. */
  | { kind: 'lengths'; version: TlsVersion; lengths: number[]; padded?: true; cfg: ConvConfig };

/** The family a conversation belongs to: a valid handshake, a mutant, state-machine steps, a certificate fault. */
export type FamilyName = ConvSpec['kind'];

const cfgArb: fc.Arbitrary<ConvConfig> = fc.record({
  suite: fc.nat(7),
  group: fc.nat(2),
  compat: fc.boolean(),
  random: fc.nat(255),
  schemes: fc.nat(6),
});
/** The simplest configuration (what every configuration shrinks towards). */
export const CFG0: ConvConfig = { suite: 0, group: 0, compat: false, random: 0, schemes: 0 };

/** What a family sees: the run's options and what the probe found. */
export interface PlanContext {
  o: ServerFuzzOptions;
  target: TargetProfile;
  /** Our client's provider, name and credentials. */
  base: ClientBase;
}

export interface Family<S extends ConvSpec = ConvSpec> {
  kind: S['kind'];
  /** The mutations this family runs that apply to the target (before the profile and --operator filter). */
  members(ctx: PlanContext): Mutation[];
  /** One spec per member (or per version for valid handshakes) at the simplest configuration. */
  coverage(ctx: PlanContext, members: readonly Mutation[]): S[];
  /** The arms of the conversation arbitrary (none when nothing applies). */
  arms(ctx: PlanContext, members: readonly Mutation[]): { weight: number; arbitrary: fc.Arbitrary<S> }[];
  build(spec: S, ctx: PlanContext, path: string): Promise<Conversation>;
  /** The spec in one line, without its configuration (printed with a counterexample). */
  text(spec: S): string;
}

// ------------------------------------------------------------------ building blocks

/** The versions the target does, TLS 1.2 first. */
export function versionsOf(target: TargetProfile): TlsVersion[] {
  return (['1.2', '1.3'] as const).filter((v) => target.suites[v].length);
}

function kexOf(suite: number): Kex12 | undefined {
  const k = engineSuite(suite)?.kex;
  if (k !== undefined && PSK_KEX.has(k)) return 'PSK';
  return k === 'ECDHE_RSA' || k === 'ECDHE_ECDSA' ? 'ECDHE' : k === 'RSA' ? 'RSA' : k === 'DHE_RSA' ? 'DHE' : undefined;
}

/** The target's suites of a version that fit a mutation's key-exchange need. */
function suitesFor(m: Pick<Mutation, 'needs'>, v: TlsVersion, target: TargetProfile): number[] {
  const kex = m.needs?.kex;
  const cert = m.needs?.certificateAuth === true;
  const cipher = m.needs?.cipher;
  const bulk = (s: number) => engineSuite(s)?.cipher;
  const cipherOk = (s: number) =>
    cipher === undefined || (cipher === 'CBC' ? (bulk(s)?.endsWith('_CBC') ?? false) : bulk(s) === cipher);
  return target.suites[v].filter(
    (s) => cipherOk(s) && (v === '1.3' || ((kex === undefined || kexOf(s) === kex) && !(cert && kexOf(s) === 'PSK'))),
  );
}

/** The groups a mutation may use against the target (all probed or assumed ones without a need). */
function groupsFor(m: Pick<Mutation, 'needs'>, target: TargetProfile): readonly number[] {
  const offered = target.groups?.length ? target.groups : GROUPS;
  const need = m.needs?.groups;
  return need ? need.filter((g) => !target.groups || target.groups.includes(g)) : offered;
}

/**
 * Our client's identity for a client certificate key choice: 'own' the run's; a kind, the run's when its key is of that
 * kind, else the test PKI's leaf of that kind when the target trusts the test root (the probe); else none.
 */
function keyIdentity(choice: ClientKeyChoice, ctx: PlanContext): Identity | undefined {
  const own = ctx.base.identity;
  if (choice === 'own') return own;
  if (own && testKeyKindOf(own.spki) === choice) return own;
  return ctx.target.testRootTrusted ? ctx.o.identity.pki.identity('client', choice) : undefined;
}

/**
 * The client certificate keys a mutation runs with in a version against the target (Needs.clientKeys, without two
 * choices of one identity): those our client has an identity for whose key signs with a scheme the target's
 * CertificateRequest lists (RFC 5246 §7.4.8, RFC 8446 §4.4.3: our CertificateVerify must use one; not probed: any),
 * or, `unrequestedKeyScheme`, with none it lists.
 */
function clientKeysFor(m: Pick<Mutation, 'needs'>, ctx: PlanContext, v: TlsVersion): ClientKeyChoice[] {
  if (!ctx.target.certificateRequested) return [];
  const listed = ctx.target.certificateRequest?.[v]?.schemes;
  const out: ClientKeyChoice[] = [];
  const seen = new Set<Identity>();
  for (const c of m.needs?.clientKeys ?? ['own']) {
    const id = keyIdentity(c, ctx);
    if (!id || seen.has(id)) continue;
    const fits = listed === undefined || pickScheme(DEFAULT_SCHEMES, listed, id.spki, v === '1.3') !== undefined;
    if (m.needs?.unrequestedKeyScheme ? listed !== undefined && !fits : fits) {
      seen.add(id);
      out.push(c);
    }
  }
  return out;
}

/** The client certificate key a spec names, if the mutation runs with it in that version, else the first it runs with. */
function keyOf(m: Mutation, ctx: PlanContext, v: TlsVersion, named: ClientKeyChoice | undefined): ClientKeyChoice | undefined {
  if (!m.needs?.clientCert) return undefined;
  const keys = clientKeysFor(m, ctx, v);
  return named !== undefined && keys.includes(named) ? named : keys[0];
}

/** A plan context whose client base has the identity of a key choice (unchanged without one). */
function withKey(ctx: PlanContext, key: ClientKeyChoice | undefined): PlanContext {
  const identity = key === undefined ? undefined : keyIdentity(key, ctx);
  return identity ? { ...ctx, base: { ...ctx.base, identity } } : ctx;
}

/** The versions of a mutation the target can run it in, given what it needs. */
function liveVersions(m: Mutation, ctx: PlanContext): TlsVersion[] {
  if (m.needs?.clientCert && !ctx.target.certificateRequested) return [];
  // RFC 8446 §4.4.3 / §4.1.1: a server without a certificate of that kind (the probe: it signed with none of its schemes)
  const lacks = m.needs?.serverLacks13;
  const signed = lacks === 'eddsa' ? ctx.target.eddsa13 : lacks === 'ecdsa' ? ctx.target.ecdsa13 : undefined;
  if (lacks !== undefined && !(signed !== undefined && signed.length === 0)) return [];
  if (m.needs?.serverDoes13 && !ctx.target.suites['1.3'].length) return [];
  if (m.needs?.serverLimitsRecords && !ctx.target.recordSizeLimit) return [];
  if (!groupsFor(m, ctx.target).length) return [];
  // a PSK mutation: our client's external PSK, accepted by the target in that version (the probe)
  const pskOk = (v: TlsVersion) =>
    (!m.needs?.psk || (ctx.target.psk?.includes(v) ?? false)) &&
    // our client offers its external PSK in every TLS 1.3 conversation: the server need not authenticate with a certificate
    !(m.needs?.certificateAuth && v === '1.3' && ctx.base.psk !== undefined);
  return m.versions.filter(
    (v) => pskOk(v) && suitesFor(m, v, ctx.target).length > 0 && (!m.needs?.clientCert || clientKeysFor(m, ctx, v).length > 0),
  );
}

/** The first version of a mutation the target can run it in, given what it needs. */
function liveVersion(m: Mutation, ctx: PlanContext): TlsVersion | undefined {
  return liveVersions(m, ctx)[0];
}

function randomOf(n: number): Uint8Array {
  const r = new Uint8Array(32);
  let x = (n * 2654435761 + 1) >>> 0;
  for (let i = 0; i < 32; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    r[i] = x >>> 24;
  }
  return r;
}

/** A conversation of a spec's configuration: the frame, with the TLS 1.2 restricted signature_algorithms offer. */
function framed(
  ctx: PlanContext,
  cfg: ConvConfig,
  version: TlsVersion,
  suites: readonly number[],
  groups: readonly number[],
  label: string,
  path: string,
  onlyGroup = false,
): Conversation {
  const suite = suites[cfg.suite % suites.length]!;
  // the ML-KEM groups are TLS 1.3 only (draft-ietf-tls-ecdhe-mlkem §1.1, draft-ietf-tls-mlkem §1)
  const usable = version === '1.2' ? groups.filter((g) => kemGroupOf(g) === undefined) : groups;
  const group = usable.length ? usable[cfg.group % usable.length]! : groups[cfg.group % groups.length]!;
  const c = validConversation(
    ctx,
    version,
    suite,
    group,
    randomOf(cfg.random),
    cfg.compat,
    `${label} ${suiteName(suite)}`,
    path,
    onlyGroup,
  );
  // a restricted signature_algorithms offer (TLS 1.2 only: there the ServerKeyExchange is signed with one of them)
  const probed = ctx.target.schemes ?? [];
  if (version !== '1.2' || cfg.schemes === 0 || !probed.length) return c;
  const requested = ctx.target.certificateRequest?.['1.2']?.schemes;
  return restrict(
    c,
    restrictedSchemes(probed[(cfg.schemes - 1) % probed.length]!, c.client.identity, ctx.target.chainSchemes, requested),
  );
}

const RANDOM0 = new Uint8Array(32).fill(7);

// ------------------------------------------------------------------ families

const valid: Family<Extract<ConvSpec, { kind: 'valid' }>> = {
  kind: 'valid',
  members: () => [],
  // one per probed suite, the TLS 1.2 ones with a restricted signature_algorithms offer
  coverage: (ctx) => [
    ...versionsOf(ctx.target).flatMap((v) =>
      ctx.target.suites[v].map((_, i) => ({
        kind: 'valid' as const,
        version: v,
        cfg: { ...CFG0, suite: i, schemes: v === '1.2' && ctx.target.schemes?.length ? i + 1 : 0 },
      })),
    ),
    // our client certificate with each other key the target's CertificateRequest lets it sign with: an Ed25519 or Ed448
    // CertificateVerify (RFC 8422 §5.x, RFC 8446 §4.2.3), rsa_pss_pss_* with an id-RSASSA-PSS key
    ...versionsOf(ctx.target).flatMap((v) =>
      MORE_KEY_KINDS.filter((k) => otherKey(ctx, v, k)).map((key) => ({
        kind: 'valid' as const,
        version: v,
        cfg: { ...CFG0 },
        key,
      })),
    ),
    // TLS 1.3, our signature_algorithms offering one EdDSA scheme alone to a server that signs with it (test-tls13-eddsa)
    ...(ctx.target.suites['1.3'].length
      ? (ctx.target.eddsa13 ?? [])
          .filter((sc) => eddsaIdentity(ctx, sc) !== null)
          .map((sc) => ({ kind: 'valid' as const, version: '1.3' as const, cfg: { ...CFG0 }, sigs13: sc }))
      : []),
  ],
  arms: (ctx) => {
    const versions = versionsOf(ctx.target);
    return versions.length
      ? [
          {
            weight: 2,
            arbitrary: fc.record({ kind: fc.constant('valid' as const), version: fc.constantFrom(...versions), cfg: cfgArb }),
          },
        ]
      : [];
  },
  text: (spec) =>
    `valid ${spec.version}${spec.key ? ` key=${spec.key}` : ''}${spec.sigs13 !== undefined ? ` sigs13=0x${spec.sigs13.toString(16)}` : ''}`,
  build: async (spec, ctx, path) => {
    const groups = ctx.target.groups?.length ? ctx.target.groups : GROUPS;
    const suites = ctx.target.suites[spec.version];
    if (spec.sigs13 !== undefined && spec.version === '1.3') {
      const id = eddsaIdentity(ctx, spec.sigs13);
      if (id === null) throw new Error(`no client certificate signs with 0x${spec.sigs13.toString(16)} for this target`);
      const c = framed(
        id ? { ...ctx, base: { ...ctx.base, identity: id } } : ctx,
        CFG0,
        '1.3',
        suites,
        groups,
        'valid 1.3',
        path,
      );
      return offerOnly(c, [spec.sigs13]);
    }
    const key = spec.key !== undefined && otherKey(ctx, spec.version, spec.key) ? spec.key : undefined;
    const label = `valid ${spec.version}${key ? ` key=${key}` : ''}`;
    return framed(withKey(ctx, key), spec.cfg, spec.version, suites, groups, label, path);
  },
};

/** Whether our client runs a valid conversation with the test PKI's `key` leaf in `v`: another key than ours, one it can sign with. */
function otherKey(ctx: PlanContext, v: TlsVersion, key: TestKeyKind): boolean {
  const own = ctx.base.identity;
  if (own && testKeyKindOf(own.spki) === key) return false;
  return clientKeysFor({ needs: { clientCert: true, clientKeys: [key] } }, ctx, v).length > 0;
}

/**
 * The client certificate a TLS 1.3 conversation offering `scheme` alone uses: none is needed (undefined) when the
 * target asks for none; else our EdDSA identity of that scheme, which our CertificateVerify can sign with; null: none.
 */
function eddsaIdentity(ctx: PlanContext, scheme: number): Identity | undefined | null {
  if (!ctx.target.certificateRequested) return undefined;
  const kind: TestKeyKind = scheme === EDDSA[0] ? 'ed25519' : 'ed448';
  return clientKeysFor({ needs: { clientCert: true, clientKeys: [kind] } }, ctx, '1.3').length ? keyIdentity(kind, ctx)! : null;
}

const isMutant = (m: Mutation): m is ClientSends =>
  m.where === 'client-sends' &&
  !m.steps &&
  !m.renegotiates &&
  m.keyUpdate === undefined &&
  !m.resumes &&
  liveSide(m) === 'client';
const isReneg = (m: Mutation): m is ClientSends =>
  m.where === 'client-sends' && m.renegotiates === true && liveSide(m) === 'client';
const isState = (m: Mutation): m is ClientSends => m.where === 'client-sends' && m.steps !== undefined;
const isCertFault = (m: Mutation): m is ClientCertificate => m.where === 'certificate' && m.presentedBy === 'client';

const mutant: Family<Extract<ConvSpec, { kind: 'mutant' }>> = {
  kind: 'mutant',
  members: (ctx) => MUTATIONS.filter((m) => isMutant(m) && liveVersion(m, ctx) !== undefined),
  // one per mutation and version it runs in against this target (both versions where it applies)
  // (and per client certificate key it runs with: the run's own unnamed, a test PKI key named)
  coverage: (ctx, members) =>
    members.flatMap((m) => {
      const versions = liveVersions(m, ctx);
      return versions.flatMap((version) => {
        const v = versions.length > 1 ? { version } : {};
        const keys: (ClientKeyChoice | undefined)[] = m.needs?.clientCert ? clientKeysFor(m, ctx, version) : [undefined];
        return keys.map((key) => ({
          kind: 'mutant' as const,
          op: m.name,
          ...v,
          ...(key !== undefined && key !== 'own' ? { key } : {}),
          cfg: { ...CFG0 },
        }));
      });
    }),
  arms: (ctx, members) =>
    members.length
      ? [
          {
            weight: 3,
            // the drawn version names the conversation only where the mutation runs in both against this target (as
            // in coverage): a version it cannot run in is not what runs, and no spec, shrunk or saved, says it is
            arbitrary: fc
              .record({
                kind: fc.constant('mutant' as const),
                op: fc.constantFrom(...members.map((m) => m.name)),
                version: fc.constantFrom<TlsVersion>('1.2', '1.3'),
                key: fc.constantFrom<ClientKeyChoice>('own', 'rsa', 'ecdsa', 'ed25519', 'ed448', 'rsa-pss'),
                cfg: cfgArb,
              })
              .map((s) => {
                const m = members.find((x) => x.name === s.op);
                const versions = m ? liveVersions(m, ctx) : [];
                const { version, key, ...rest } = s;
                const v = versions.length > 1 && versions.includes(version) ? version : versions[0];
                // the drawn key names the conversation only where the mutation runs with it (as in coverage)
                const k = m && v ? keyOf(m, ctx, v, key) : undefined;
                const out: Extract<ConvSpec, { kind: 'mutant' }> = { ...rest };
                if (versions.length > 1 && versions.includes(version)) out.version = version;
                if (k !== undefined && k !== 'own' && k === key) out.key = k;
                return out;
              }),
          },
        ]
      : [],
  text: (spec) => `mutant ${spec.op}${spec.version ? ` ${spec.version}` : ''}${spec.key ? ` key=${spec.key}` : ''}`,
  build: async (spec, ctx, path) => {
    const m = MUTATIONS.find((x): x is ClientSends => x.name === spec.op && isMutant(x));
    const versions = m ? liveVersions(m, ctx) : [];
    const version = spec.version !== undefined && versions.includes(spec.version) ? spec.version : versions[0];
    if (!m || !version) throw new Error(`${spec.op} is no mutation our client can run against this target`);
    const groups = groupsFor(m, ctx.target);
    const key = keyOf(m, ctx, version, spec.key);
    const conv = framed(
      withKey(ctx, key),
      spec.cfg,
      version,
      suitesFor(m, version, ctx.target),
      groups,
      key !== undefined && key !== 'own' ? `${m.name} key=${key}` : m.name,
      path,
      m.needs?.groups !== undefined,
    );
    const mutated = await clientMutation(m, ctx.o.identity.pki, conv.client, {
      base: baseNameFor(m, version),
      suiteIndex: 0,
      group: conv.group,
      compat: conv.client.middleboxCompat ?? false,
      clientRandom: conv.client.random ?? RANDOM0,
      serverRandom: RANDOM0,
      seed: ctx.o.budget.seed,
    });
    const expect = expectationOf(m, version, 'server');
    return {
      ...conv,
      client: mutated.client,
      hooks: mutated.hooks,
      operator: m.name,
      kind: 'mutant',
      subject: m.name,
      // an unfinished message: waiting for its rest is right too (as for the state family's incomplete flows)
      expect: m.unfinished && expect.kind === 'reject' ? { ...expect, silenceOk: true } : expect,
      ...(m.holdFinished ? { holdFinished: true as const } : {}),
    };
  },
};

const state: Family<Extract<ConvSpec, { kind: 'state' }>> = {
  kind: 'state',
  members: (ctx) => MUTATIONS.filter((m) => isState(m) && liveVersion(m, ctx) !== undefined),
  coverage: (_ctx, members) => members.map((m) => ({ kind: 'state' as const, scenarios: [m.name], cfg: { ...CFG0 } })),
  // one to three steps of one version; shrinking drops steps first
  arms: (_ctx, members) =>
    (['1.2', '1.3'] as const).flatMap((v) => {
      const names = members.filter((m) => m.versions.includes(v)).map((m) => m.name);
      return names.length
        ? [
            {
              weight: 1,
              arbitrary: fc.record({
                kind: fc.constant('state' as const),
                scenarios: fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: Math.min(3, names.length) }),
                cfg: cfgArb,
              }),
            },
          ]
        : [];
    }),
  text: (spec) => `state ${spec.scenarios.join('+')}`,
  build: async (spec, ctx, path) => {
    const scen = spec.scenarios.map((n) => {
      const m = MUTATIONS.find((x): x is ClientSends => x.name === n && isState(x));
      if (!m) throw new Error(`no state-machine mutation ${n}`);
      return m;
    });
    const version = scen[0]!.versions[0]!;
    const steps = scen.flatMap((s) => s.steps ?? []);
    const name = spec.scenarios.join('+');
    const groups = ctx.target.groups?.length ? ctx.target.groups : GROUPS;
    const conv = framed(ctx, spec.cfg, version, ctx.target.suites[version], groups, name, path);
    conv.kind = 'state';
    conv.subject = name;
    conv.hooks = stateHooks(steps);
    const model = stateModel(steps, {
      version,
      clientCert: ctx.target.certificateRequested && ctx.o.identity.identity !== undefined,
      ecdhe: kexOf(conv.suite) === 'ECDHE',
    });
    // the rules of every scenario combined: what the input breaks, the receiver's reaction rules, and what the
    // target breaks if it goes on (the expectation is derived from the receiver's side only: model.ts)
    const combined = {
      rules: [...new Set(scen.flatMap((s) => s.rules))],
      reactionRules: [...new Set(scen.flatMap((s) => s.reactionRules ?? []))],
      completionRules: [...new Set(scen.flatMap((s) => s.completionRules ?? []))],
    };
    const expect = expectationOf(combined, version, 'server');
    // out of order: the target must reject; only incomplete (e.g. our Finished withheld): waiting is right too;
    // neither (the steps leave a valid flow): it must complete
    if (model.outOfOrder) conv.expect = expect;
    else if (model.incomplete && expect.kind === 'reject') conv.expect = { ...expect, silenceOk: true };
    return conv;
  },
};

/**
 * RFC 5246 §7.4.6 / RFC 8446 §4.4.2.4 let a server go on after an unacceptable client chain "considering the client
 * unauthenticated". A target that refused our handshake without a client certificate (the probe) does not accept
 * unauthenticated clients, so going on after a bad chain means it accepted the chain: the leave does not apply.
 */
export function heldToChain(e: Expectation, target: TargetProfile): Expectation {
  if (e.kind !== 'reject' || !e.reaction?.ignoreAllowed || target.clientCertRequired !== true) return e;
  // only the leave to go on "considering the client unauthenticated" is void (the tolerances that say so)
  if (!e.reaction.ignoreBecause.every((t) => t.voidWhenClientAuthRequired)) return e;
  return {
    ...e,
    reaction: { ...e.reaction, ignoreAllowed: false, ignoreBecause: [] },
    heldBecause:
      'it refuses a client without a certificate, so it did not go on "considering the client unauthenticated" (RFC 5246 §7.4.6, RFC 8446 §4.4.2.4): it accepted the chain',
  };
}

/**
 * A target that does not trust our test root (the probe) meets every faulty chain as an untrusted one too: RFC 5280
 * §6 fixes no order among the checks, so the trust-anchor rule's alerts ("unknown_ca: A valid certificate chain or
 * partial chain was received, but the certificate was not accepted because the CA certificate could not be located or
 * couldn't be matched with a known, trusted CA", RFC 5246 §7.2.2) answer it as well as the fault's own.
 */
function untrustedToo(m: ClientCertificate, target: TargetProfile): ClientCertificate {
  if (target.testRootTrusted !== false || m.rules.length === 0 || m.rules.includes('cert.path.trust-anchor')) return m;
  return { ...m, reactionRules: [...(m.reactionRules ?? []), 'cert.path.trust-anchor'] };
}

const cert: Family<Extract<ConvSpec, { kind: 'cert' }>> = {
  kind: 'cert',
  members: (ctx) =>
    ctx.target.certificateRequested
      ? MUTATIONS.filter((m) => isCertFault(m) && m.versions.some((v) => ctx.target.suites[v].length))
      : [],
  coverage: (ctx, members) => {
    const versions = versionsOf(ctx.target);
    return versions.length
      ? members.map((m, i) => ({
          kind: 'cert' as const,
          fault: m.name,
          version: versions[i % versions.length]!,
          cfg: { ...CFG0 },
        }))
      : [];
  },
  arms: (ctx, members) => {
    const versions = versionsOf(ctx.target);
    return members.length && versions.length
      ? [
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constant('cert' as const),
              fault: fc.constantFrom(...members.map((m) => m.name)),
              version: fc.constantFrom(...versions),
              cfg: cfgArb,
            }),
          },
        ]
      : [];
  },
  text: (spec) => `cert ${spec.fault} ${spec.version}`,
  build: async (spec, ctx, path) => {
    const m = MUTATIONS.find((x): x is ClientCertificate => x.name === spec.fault && isCertFault(x));
    if (!m) throw new Error(`no client certificate fault ${spec.fault}`);
    const groups = ctx.target.groups?.length ? ctx.target.groups : GROUPS;
    // the fault's identity replaces ours; none at all: our client answers the CertificateRequest with an empty Certificate
    const identity = await m.identity(ctx.o.identity.pki);
    const { identity: _ours, ...rest } = ctx.base;
    const faulty = { ...ctx, base: identity ? { ...rest, identity } : rest };
    const conv = framed(
      faulty,
      spec.cfg,
      spec.version,
      ctx.target.suites[spec.version],
      groups,
      `${spec.fault} ${spec.version}`,
      path,
    );
    return {
      ...conv,
      kind: 'cert',
      subject: spec.fault,
      expect: heldToChain(expectationOf(untrustedToo(m, ctx.target), spec.version, 'server'), ctx.target),
      invalidAt: 'certificate',
    };
  },
};

/**
 * TLS 1.2 renegotiation (RFC 5746; tlsfuzzer's test-renegotiation-disabled, test-openssl-3712): a valid handshake, then
 * our client renegotiates under its keys (fuzz/exchange.ts `renegotiate`), validly or with a mutation of its
 * renegotiating ClientHello. A server that does not renegotiate declines with the warning no_renegotiation and goes
 * on (RENEGOTIATION_DECLINE.server, RFC 5246 §7.2.2): conforming for both. A valid renegotiation must otherwise
 * complete; a mutated one is refused as its rules' alerts say (ext.reneg.secure: handshake_failure, RFC 5746 §3.7).
 * Our client renegotiates even without secure renegotiation (`legacy`: RFC 5746 §4.2 lets a client do so with the
 * SCSV); a mutation is judged only on a connection that established it (target.ts), as its rules presume.
 */
const reneg: Family<Extract<ConvSpec, { kind: 'reneg' }>> = {
  kind: 'reneg',
  members: (ctx) => (ctx.target.suites['1.2'].length ? MUTATIONS.filter(isReneg) : []),
  coverage: (ctx, members) =>
    ctx.target.suites['1.2'].length
      ? [
          // the valid renegotiation with the first handshake's restricted signature_algorithms offer (as `valid 1.2 #0`)
          { kind: 'reneg' as const, cfg: { ...CFG0, schemes: ctx.target.schemes?.length ? 1 : 0 } },
          ...members.map((m) => ({ kind: 'reneg' as const, op: m.name, cfg: { ...CFG0 } })),
        ]
      : [],
  arms: (ctx, members) =>
    ctx.target.suites['1.2'].length
      ? [
          {
            weight: 1,
            arbitrary: fc
              .record({
                kind: fc.constant('reneg' as const),
                op: fc.constantFrom('', ...members.map((m) => m.name)),
                cfg: cfgArb,
              })
              .map((s) => (s.op === '' ? { kind: s.kind, cfg: s.cfg } : s)),
          },
        ]
      : [],
  text: (spec) => `reneg ${spec.op ?? 'valid'}`,
  build: async (spec, ctx, path) => {
    const groups = ctx.target.groups?.length ? ctx.target.groups : GROUPS;
    const label = `renegotiation ${spec.op ?? 'valid'}`;
    const conv = framed(ctx, spec.cfg, '1.2', ctx.target.suites['1.2'], groups, label, path);
    const frame: Conversation = {
      ...conv,
      client: { ...conv.client, renegotiation: 'legacy' },
      kind: 'reneg',
      renegotiate: true,
      expect: { kind: 'complete', decline: RENEGOTIATION_DECLINE.server },
    };
    if (spec.op === undefined) return frame;
    const m = MUTATIONS.find((x): x is ClientSends => x.name === spec.op && isReneg(x));
    if (!m) throw new Error(`${spec.op} is no renegotiation mutation our client can run`);
    const mutated = await clientMutation(m, ctx.o.identity.pki, frame.client, {
      base: baseNameFor(m, '1.2'),
      suiteIndex: 0,
      group: conv.group,
      compat: false,
      clientRandom: conv.client.random ?? RANDOM0,
      serverRandom: RANDOM0,
      seed: ctx.o.budget.seed,
    });
    return {
      ...frame,
      client: mutated.client,
      hooks: mutated.hooks,
      operator: m.name,
      subject: m.name,
      expect: { ...expectationOf(m, '1.2', 'server'), decline: RENEGOTIATION_DECLINE.server },
    };
  },
};

const isEarly = (m: Mutation): m is OfflineEdit & { zeroRtt: ZeroRttLive } =>
  m.where === 'configuration' && m.zeroRtt !== undefined;
/** The 0-RTT request of a valid conversation (within any max_early_data_size a ticket allowing 0-RTT has: 1 or more). */
const EARLY_REQUEST = new TextEncoder().encode('0');
/** The 0-RTT request of a valid shape (two records: up to 5 bytes within max_early_data_size, at least 2). */
const EARLY_SHAPED_REQUEST = new TextEncoder().encode('0-RTT');
/** The valid shapes run against a target whose tickets allow at least 2 bytes of 0-RTT data (one per record). */
const shapesFor = (ctx: PlanContext): readonly EarlyShape[] => ((ctx.target.maxEarlyData ?? 0) >= 2 ? EARLY_SHAPES : []);

/**
 * TLS 1.3 0-RTT (RFC 8446 §2.3, §4.2.10), against a target whose tickets allow early data (the probe's maxEarlyData):
 * each conversation first takes a fresh ticket in a valid connection (fuzz/target.ts), then resumes it with 0-RTT
 * data: validly (the server accepts or rejects it, both conforming: §4.2.10 "the server may ... Ignore the extension"
 * or accept it), or broken as a 0-RTT mutation declares it live (`zeroRtt`, generators/mutations/ops-early.ts): past
 * max_early_data_size, without the early_data extension, EndOfEarlyData missing or duplicated, or the same ClientHello
 * and 0-RTT data replayed on a second connection. The reaction is its rules' alerts (and those of its live reaction
 * rules); a replay must complete, and the oracles judge whether the 0-RTT data was accepted twice.
 */
const early: Family<Extract<ConvSpec, { kind: 'early' }>> = {
  kind: 'early',
  members: (ctx) => (ctx.target.maxEarlyData && ctx.target.suites['1.3'].length ? MUTATIONS.filter(isEarly) : []),
  coverage: (ctx, members) =>
    ctx.target.maxEarlyData && ctx.target.suites['1.3'].length
      ? [
          { kind: 'early' as const, cfg: { ...CFG0 } },
          ...shapesFor(ctx).map((shape) => ({ kind: 'early' as const, shape, cfg: { ...CFG0 } })),
          ...members.map((m) => ({ kind: 'early' as const, op: m.name, cfg: { ...CFG0 } })),
        ]
      : [],
  arms: (ctx, members) =>
    ctx.target.maxEarlyData && ctx.target.suites['1.3'].length
      ? [
          {
            weight: 1,
            arbitrary: fc
              .record({
                kind: fc.constant('early' as const),
                op: fc.constantFrom('', ...members.map((m) => m.name)),
                cfg: cfgArb,
              })
              .map((s) => (s.op === '' ? { kind: s.kind, cfg: s.cfg } : s)),
          },
        ]
      : [],
  text: (spec) => `early ${spec.op ?? (spec.shape ? `valid ${spec.shape}` : 'valid')}`,
  build: async (spec, ctx, path) => {
    const groups = ctx.target.groups?.length ? ctx.target.groups : GROUPS;
    const label = `0-RTT ${spec.op ?? (spec.shape ? `valid ${spec.shape}` : 'valid')}`;
    const conv = framed(ctx, spec.cfg, '1.3', ctx.target.suites['1.3'], groups, label, path);
    const frame: Conversation = { ...conv, kind: 'early', zeroRtt: { data: EARLY_REQUEST } };
    if (spec.op === undefined && spec.shape !== undefined) {
      const shape = spec.shape;
      const data = EARLY_SHAPED_REQUEST.subarray(0, Math.min(EARLY_SHAPED_REQUEST.length, ctx.target.maxEarlyData ?? 0));
      return {
        ...frame,
        zeroRtt: { data, hooks: () => earlyDataShaped(shape) },
        // RFC 8446 §5: the dummy ChangeCipherSpec between them is dropped
        ...(shape === 'ccs-between' ? { expect: { kind: 'complete' as const, rules: ['rec.t13.ccs-dropped' as const] } } : {}),
      };
    }
    if (spec.op === undefined) return frame;
    const m = MUTATIONS.find((x): x is OfflineEdit & { zeroRtt: ZeroRttLive } => x.name === spec.op && isEarly(x));
    if (!m) throw new Error(`${spec.op} is no 0-RTT mutation our client can run`);
    const live = m.zeroRtt;
    // a replay: a valid ClientHello again, answered with a handshake (RFC 8446 §4.2.10: the server may "Ignore the
    // extension and return a regular 1-RTT response"); whether it accepted the 0-RTT data twice is the rule's check
    // over both connections (t13.early.replay-once, one server instance), which flags the target
    if (live.replay)
      return {
        ...frame,
        zeroRtt: { data: EARLY_REQUEST, replay: true },
        operator: m.name,
        subject: m.name,
        expect: { kind: 'complete', rules: [...m.rules] },
      };
    const reactionRules = [...(m.reactionRules ?? []), ...(live.reactionRules ?? [])];
    return {
      ...frame,
      zeroRtt: {
        data: live.data?.(ctx.target.maxEarlyData ?? 0) ?? EARLY_REQUEST,
        ...(live.hooks ? { hooks: live.hooks } : {}),
        ...(live.config ? { config: live.config } : {}),
        ...(live.ticket ? { ticket: live.ticket } : {}),
      },
      ...(live.invalidAt !== undefined ? { invalidAt: live.invalidAt } : {}),
      operator: m.name,
      subject: m.name,
      expect: expectationOf({ rules: m.rules, reactionRules }, '1.3', 'server'),
    };
  },
};

/** A KeyUpdate mutation of what our client sends (a `server-sends` one runs against clients, fuzz/client-families.ts). */
const isKeyUpdate = (m: Mutation): m is Mutation & { keyUpdate: KeyUpdateLive } =>
  m.keyUpdate !== undefined && m.where !== 'server-sends' && m.versions.includes('1.3');
/** KeyUpdates in a row (tlsfuzzer's test-tls13-keyupdate sends 32 update_requested ones before its data). */
const MANY_KEY_UPDATES = 32;

/**
 * TLS 1.3 KeyUpdate (RFC 8446 §4.6.3; tlsfuzzer's test-tls13-keyupdate): once the handshake is done our client sends
 * KeyUpdates, switching its write keys after each, then application data, and listens. Valid ones (update_not_requested,
 * update_requested, many in a row) must leave the server reading us: an alert is a rejected valid input; a server that
 * answers our data must first answer update_requested with its own KeyUpdate (t13.neg.keyupdate-values, judged by the
 * oracles over the transcript; a server that sends nothing shows neither). A KeyUpdate mutation (declared `keyUpdate`:
 * its own KeyUpdates and hooks) is refused as its rules' alerts say.
 */
const keyupdate: Family<Extract<ConvSpec, { kind: 'keyupdate' }>> = {
  kind: 'keyupdate',
  members: (ctx) => (ctx.target.suites['1.3'].length ? MUTATIONS.filter(isKeyUpdate) : []),
  coverage: (ctx, members) =>
    ctx.target.suites['1.3'].length
      ? [
          { kind: 'keyupdate' as const, updates: [false], cfg: { ...CFG0 } },
          { kind: 'keyupdate' as const, updates: [true], cfg: { ...CFG0 } },
          { kind: 'keyupdate' as const, updates: new Array<boolean>(MANY_KEY_UPDATES).fill(true), cfg: { ...CFG0 } },
          ...members.map((m) => ({ kind: 'keyupdate' as const, op: m.name, cfg: { ...CFG0 } })),
        ]
      : [],
  arms: (ctx, members) =>
    ctx.target.suites['1.3'].length
      ? [
          {
            weight: 1,
            arbitrary: fc
              .record({
                kind: fc.constant('keyupdate' as const),
                op: fc.constantFrom('', ...members.map((m) => m.name)),
                updates: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
                cfg: cfgArb,
              })
              .map((s) =>
                s.op === '' ? { kind: s.kind, updates: s.updates, cfg: s.cfg } : { kind: s.kind, op: s.op, cfg: s.cfg },
              ),
          },
        ]
      : [],
  text: (spec) => `keyupdate ${spec.op ?? (spec.updates ?? []).map((u) => (u ? 'requested' : 'not-requested')).join(',')}`,
  build: async (spec, ctx, path) => {
    const groups = ctx.target.groups?.length ? ctx.target.groups : GROUPS;
    const updates = spec.updates ?? [false];
    const label = spec.op ?? `KeyUpdate x${updates.length}${updates.some((u) => u) ? ' requested' : ''}`;
    const conv = framed(ctx, spec.cfg, '1.3', ctx.target.suites['1.3'], groups, label, path);
    if (spec.op === undefined)
      return { ...conv, kind: 'keyupdate', keyUpdates: updates, expect: { kind: 'complete', rules: ['t13.ku.update-accepted'] } };
    const m = MUTATIONS.find((x): x is Mutation & { keyUpdate: KeyUpdateLive } => x.name === spec.op && isKeyUpdate(x));
    if (!m) throw new Error(`${spec.op} is no KeyUpdate mutation our client can run`);
    const hooks =
      m.keyUpdate.hooks?.() ??
      (m.where === 'client-sends'
        ? (
            await clientMutation(m, ctx.o.identity.pki, conv.client, {
              base: baseNameFor(m, '1.3'),
              suiteIndex: 0,
              group: conv.group,
              compat: conv.client.middleboxCompat ?? false,
              clientRandom: conv.client.random ?? RANDOM0,
              serverRandom: RANDOM0,
              seed: ctx.o.budget.seed,
            })
          ).hooks
        : undefined);
    if (!hooks) throw new Error(`${m.name} declares no hooks for its KeyUpdate conversation`);
    return {
      ...conv,
      kind: 'keyupdate',
      keyUpdates: m.keyUpdate.updates,
      hooks,
      operator: m.name,
      subject: m.name,
      expect: expectationOf(m, '1.3', 'server'),
    };
  },
};

const isResume = (m: Mutation): m is ClientSends & { resumes: ResumeLive } =>
  m.where === 'client-sends' && m.resumes !== undefined && liveSide(m) === 'client';

/** The versions in which the target resumed a session of ours (the probe), TLS 1.2 first. */
const resumable = (ctx: PlanContext): TlsVersion[] =>
  versionsOf(ctx.target).filter((v) => ctx.target.resumes?.includes(v) ?? false);
/** The versions a resumption mutation runs in against the target: resumed there, with a second suite if it needs one. */
const resumeVersions = (m: ClientSends & { resumes: ResumeLive }, ctx: PlanContext): TlsVersion[] =>
  resumable(ctx).filter(
    (v) =>
      m.versions.includes(v) &&
      (m.resumes.otherSuite === undefined || otherSuite(ctx.target.suites[v], ctx.target.suites[v][0]!, m.resumes) !== undefined),
  );
/** The second suite a resumption offers besides the session's (`suite`): another one, or one of another hash. */
function otherSuite(suites: readonly number[], suite: number, live: ResumeLive): number | undefined {
  const h = engineSuite(suite)?.prfHash;
  return suites.find((x) => x !== suite && (live.otherSuite !== 'other-hash' || engineSuite(x)?.prfHash !== h));
}

/**
 * Resumption (RFC 5246 §7.3, RFC 5077 §3, RFC 8446 §2.2; tlsfuzzer's sessionID-, session-ticket- and tls13-session-
 * resumption scripts), in each version the target resumed a session of ours in the probe: each conversation first takes
 * a fresh session in a valid connection (fuzz/target.ts), then resumes it, validly (the server resumes, or declines
 * with a full handshake: both conforming, RFC 5246 §7.4.1.3, RFC 5077 §3.4) or with a mutation of the resuming
 * ClientHello (`resumes`, generators/mutations/ops-resumption.ts). The reaction is its rules'; the oracles judge the
 * second connection with the first (a resumption under another name, suite or EMS status flags the target).
 */
const resume: Family<Extract<ConvSpec, { kind: 'resume' }>> = {
  kind: 'resume',
  members: (ctx) => MUTATIONS.filter(isResume).filter((m) => resumeVersions(m, ctx).length > 0),
  coverage: (ctx, members) => [
    ...resumable(ctx).map((version) => ({ kind: 'resume' as const, version, cfg: { ...CFG0 } })),
    ...members
      .filter(isResume)
      .flatMap((m) =>
        resumeVersions(m, ctx).map((version) => ({ kind: 'resume' as const, version, op: m.name, cfg: { ...CFG0 } })),
      ),
  ],
  arms: (ctx, members) => {
    const versions = resumable(ctx);
    if (!versions.length) return [];
    const names = members.map((m) => m.name);
    return [
      {
        weight: 1,
        arbitrary: fc
          .record({
            kind: fc.constant('resume' as const),
            version: fc.constantFrom(...versions),
            op: fc.constantFrom('', ...names),
            cfg: cfgArb,
          })
          .map(({ op, ...s }) => {
            const m = MUTATIONS.find((x) => x.name === op);
            // a mutation of another version than the one drawn: the valid resumption of that version
            return m && isResume(m) && resumeVersions(m, ctx).includes(s.version) ? { ...s, op } : s;
          }),
      },
    ];
  },
  text: (spec) => `resume ${spec.version} ${spec.op ?? 'valid'}`,
  build: async (spec, ctx, path) => {
    const groups = ctx.target.groups?.length ? ctx.target.groups : GROUPS;
    const suites = ctx.target.suites[spec.version];
    const conv = framed(ctx, spec.cfg, spec.version, suites, groups, `resumption ${spec.op ?? 'valid'}`, path);
    const frame: Conversation = { ...conv, kind: 'resume', resume: {}, expect: { kind: 'complete' } };
    if (spec.op === undefined) return frame;
    const m = MUTATIONS.find((x): x is ClientSends & { resumes: ResumeLive } => x.name === spec.op && isResume(x));
    if (!m) throw new Error(`${spec.op} is no resumption mutation our client can run`);
    // the suite the hooks take out of the resuming hello is the session's (the first connection's): another one stays
    const other = m.resumes.otherSuite ? otherSuite(suites, conv.suite, m.resumes) : undefined;
    return {
      ...frame,
      resume: {
        hooks: m.resumes.hooks,
        ...(other !== undefined ? { offer: [conv.suite, other] } : {}),
        ...(m.resumes.config ? { config: m.resumes.config } : {}),
      },
      operator: m.name,
      subject: m.name,
      expect: expectationOf(m, spec.version, 'server'),
    };
  },
};

/** 2^14: the largest TLSPlaintext fragment (RFC 5246 §6.2.1, RFC 8446 §5.1). */
const MAX_FRAGMENT = 1 << 14;
/** The boundary lengths of tlsfuzzer's test-lengths / test-tls13-lengths: 1, around 16 and 256, the largest two. */
const BOUNDARY_LENGTHS: readonly number[] = [1, 15, 16, 17, 255, 256, 257, MAX_FRAGMENT - 1, MAX_FRAGMENT];
/** TLS 1.3 contents padded to the limit: TLSInnerPlaintext (content, type byte, padding) of exactly 2^14 + 1 bytes (RFC 8446 §5.4). */
const PADDED_LENGTHS: readonly number[] = [0, 1, 255, MAX_FRAGMENT - 1];
/** Lengths drawn from the run's seed besides the boundaries (a few per run, different per seed). */
const DRAWN_LENGTHS = 2;

/** `n` lengths in 1..2^14 from the seed (a linear congruential sequence: the same seed, the same lengths). */
function drawnLengths(seed: number, salt: number, n: number): number[] {
  let x = (seed * 2654435761 + salt * 40503 + 0x6d2b79f5) >>> 0;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return 1 + (x % MAX_FRAGMENT);
  });
}

/** The records of a lengths spec: TLS 1.3 padded ones fill their TLSInnerPlaintext to 2^14 + 1 bytes. */
export function lengthRecords(spec: Extract<ConvSpec, { kind: 'lengths' }>): AppRecord[] {
  return spec.lengths.map((length) =>
    spec.padded && spec.version === '1.3' ? { length, padding: MAX_FRAGMENT - length } : { length },
  );
}

/** The lengths family's conversations for a seed and the versions a target does (TLS 1.2 first). */
export function lengthsCoverage(seed: number, versions: readonly TlsVersion[]): Extract<ConvSpec, { kind: 'lengths' }>[] {
  const padded = { kind: 'lengths' as const, version: '1.3' as const, lengths: [...PADDED_LENGTHS], padded: true as const };
  return [
    ...versions.map((version, i) => ({
      kind: 'lengths' as const,
      version,
      lengths: [...BOUNDARY_LENGTHS, ...drawnLengths(seed, i, DRAWN_LENGTHS)],
      cfg: { ...CFG0 },
    })),
    ...(versions.includes('1.3') ? [{ ...padded, cfg: { ...CFG0 } }] : []),
  ];
}

/**
 * Record lengths (RFC 5246 §6.2.1, RFC 8446 §5.1, §5.4; tlsfuzzer's test-lengths, test-tls13-lengths,
 * test-cve-2016-7054): once the handshake is done our client sends application data records of the boundary lengths
 * (1, 15/16/17, 255/256/257, 2^14 - 1, 2^14) and DRAWN_LENGTHS more from the seed, one connection per version; in TLS
 * 1.3 one more whose records are padded to the TLSInnerPlaintext limit of 2^14 + 1 bytes. All valid: the target must
 * neither alert nor close after them, and an echoing target echoes them intact (rec.appdata-up-to-limit, judged in
 * fuzz/judge.ts); a finding names the lengths, and the ladder each record. No mutation: the family adds coverage
 * conversations only (the conversation arbitrary, and so every path of the other families, is unchanged).
 */
const lengths: Family<Extract<ConvSpec, { kind: 'lengths' }>> = {
  kind: 'lengths',
  members: () => [],
  coverage: (ctx) => lengthsCoverage(ctx.o.budget.seed, versionsOf(ctx.target)),
  arms: () => [],
  text: (spec) => `lengths ${spec.version} ${spec.lengths.join(',')}${spec.padded ? ' padded' : ''}`,
  build: async (spec, ctx, path) => {
    const groups = ctx.target.groups?.length ? ctx.target.groups : GROUPS;
    const records = lengthRecords(spec);
    const label = `application data of ${spec.lengths.join(',')} bytes${spec.padded ? ' padded to the limit' : ''}`;
    const conv = framed(ctx, spec.cfg, spec.version, ctx.target.suites[spec.version], groups, label, path);
    return {
      ...conv,
      kind: 'lengths',
      appRecords: records,
      expect: { kind: 'complete', rules: ['rec.appdata-up-to-limit'], appRecords: records },
    };
  },
};

/** The spec of a family. */
type SpecOf<K extends FamilyName> = Extract<ConvSpec, { kind: K }>;

/** Every family, by name: a new family is one entry here (and its spec variant in ConvSpec). */
export const FAMILIES: { readonly [K in FamilyName]: Family<SpecOf<K>> } = {
  valid,
  mutant,
  state,
  cert,
  reneg,
  early,
  keyupdate,
  resume,
  lengths,
};

/** The families in the order of the arbitrary's arms (the order fast-check paths depend on). */
const ARMS_ORDER: readonly FamilyName[] = [
  'valid',
  'mutant',
  'state',
  'cert',
  'reneg',
  'early',
  'keyupdate',
  'resume',
  'lengths',
];
/** The families' turns in the coverage-first conversations. */
const COVERAGE_TURNS: readonly FamilyName[] = ['mutant', 'state', 'cert', 'valid', 'reneg', 'early', 'keyupdate', 'resume'];
/**
 * Families whose coverage conversations come after every other's, in this order, not taking turns: the lengths
 * family's carry the largest records and test no name, so a run shorter than the names spends its conversations on
 * names first (and the paths of the conversations before them are what they were without them).
 */
const COVERAGE_LAST: readonly FamilyName[] = ['lengths'];

/** A family's view that does not depend on its spec type (members, coverage and arms as plain specs). */
interface AnyFamily {
  members(ctx: PlanContext): Mutation[];
  coverage(ctx: PlanContext, members: readonly Mutation[]): ConvSpec[];
  arms(ctx: PlanContext, members: readonly Mutation[]): { weight: number; arbitrary: fc.Arbitrary<ConvSpec> }[];
}
const family = (k: FamilyName): AnyFamily => FAMILIES[k];

function buildOf<K extends FamilyName>(spec: SpecOf<K> & { kind: K }, ctx: PlanContext, path: string): Promise<Conversation> {
  const f: Family<SpecOf<K>> = FAMILIES[spec.kind];
  return f.build(spec, ctx, path);
}
function textOf<K extends FamilyName>(spec: SpecOf<K> & { kind: K }): string {
  const f: Family<SpecOf<K>> = FAMILIES[spec.kind];
  return f.text(spec);
}

// ------------------------------------------------------------------ the plan

/**
 * The members of each family that are generated: applicable, among --operator's names. The profile does not
 * change them: it filters what runs (`disabledBySpec`), so a path means the same conversation with the profile
 * and without it.
 */
function running(ctx: PlanContext): Map<FamilyName, Mutation[]> {
  const only = ctx.o.profile.only;
  const out = new Map<FamilyName, Mutation[]>();
  for (const k of ARMS_ORDER)
    out.set(
      k,
      family(k)
        .members(ctx)
        .filter((m) => !only || only.includes(m.name)),
    );
  return out;
}

/** The rules a mutation is about, for matching profile entries: what its input breaks, the reaction and completion rules. */
function subjectRules(m: Mutation): string[] {
  return [...m.rules, ...(m.reactionRules ?? []), ...(m.completionRules ?? [])];
}

/** The names a spec runs (its mutation, certificate fault or state steps; none for a valid handshake). */
function namesOf(spec: ConvSpec): string[] {
  switch (spec.kind) {
    case 'valid':
      return [];
    case 'mutant':
      return [spec.op];
    case 'state':
      return spec.scenarios;
    case 'cert':
      return [spec.fault];
    case 'reneg':
    case 'early':
    case 'keyupdate':
    case 'resume':
      return spec.op === undefined ? [] : [spec.op];
    case 'lengths':
      return [];
  }
}

/** Why the profile switches this generated conversation off (`disabled by the profile: reason`), or undefined. */
export function disabledBySpec(ctx: PlanContext, spec: ConvSpec): string | undefined {
  const prof = ctx.o.profile.file ?? EMPTY_PROFILE;
  if (!prof.disabled.length) return undefined;
  for (const n of namesOf(spec)) {
    const m = MUTATIONS.find((x) => x.name === n);
    const d = m ? disabledBy(prof, { names: [n], rules: subjectRules(m) }) : undefined;
    if (d) return `disabled by the profile: ${d.reason}`;
  }
  return undefined;
}

/** Names the profile switched off (for the report), with the reason. */
export function disabledNames(ctx: PlanContext): string[] {
  const prof = ctx.o.profile.file ?? EMPTY_PROFILE;
  if (!prof.disabled.length) return [];
  const only = ctx.o.profile.only;
  const out: string[] = [];
  for (const k of ARMS_ORDER)
    for (const m of family(k).members(ctx)) {
      if (only && !only.includes(m.name)) continue;
      const d = disabledBy(prof, { names: [m.name], rules: subjectRules(m) });
      if (d) out.push(`${m.name}: ${d.reason}`);
    }
  return out;
}

/** The conversation arbitrary over what the target accepts. */
export function conversationArb(ctx: PlanContext): fc.Arbitrary<ConvSpec> {
  const members = running(ctx);
  const arms = ARMS_ORDER.flatMap((k) => family(k).arms(ctx, members.get(k) ?? []));
  if (!arms.length) throw new Error('the target accepts neither TLS 1.2 nor TLS 1.3 with the probed suites: nothing to generate');
  return fc.oneof(...arms);
}

/**
 * Coverage first: one conversation per applicable name (each mutant, state scenario and certificate fault alone,
 * and a valid handshake per probed suite, the TLS 1.2 ones with a restricted signature_algorithms offer), at the
 * simplest configuration, each family in an order shuffled by the seed, the families taking turns. fast-check runs
 * these examples before the random conversations (they count towards `runs`), so a run of at least as many
 * conversations as names tries every name once, and a seed and path still replay any of them.
 */
export function coverageExamples(ctx: PlanContext): ConvSpec[] {
  if (ctx.o.budget.coverFirst === false) return [];
  const members = running(ctx);
  return [
    ...coverageOrder(
      COVERAGE_TURNS.map((k) => family(k).coverage(ctx, members.get(k) ?? [])),
      ctx.o.budget.seed,
    ),
    ...COVERAGE_LAST.flatMap((k) => family(k).coverage(ctx, members.get(k) ?? [])),
  ];
}

/** Turn a generated spec into a conversation (deterministic). */
export function buildConversation(ctx: PlanContext, spec: ConvSpec, path: string): Promise<Conversation> {
  return buildOf(spec, ctx, path);
}

/** Describe a spec in one line (printed with a counterexample). */
export function specText(s: ConvSpec): string {
  const c = `suite#${s.cfg.suite} group#${s.cfg.group} compat=${s.cfg.compat} random#${s.cfg.random} schemes#${s.cfg.schemes}`;
  return `${textOf(s)} ${c}`;
}

/** Every name a conversation against a server can run (profiles and --operator are checked against it). */
export function conversationNames(): string[] {
  return MUTATIONS.filter(
    (m) => isMutant(m) || isState(m) || isCertFault(m) || isReneg(m) || isEarly(m) || isKeyUpdate(m) || isResume(m),
  ).map((m) => m.name);
}
