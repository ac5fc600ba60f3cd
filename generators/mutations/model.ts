/**
 * The mutation model: one declaration type for every way tlsprop breaks a
 * handshake, read by the offline runs (the mutant spec, `tlsprop run`) and
 * by the live fuzzers alike.
 *
 * A declaration says what the mutation is (name, description, versions),
 * the rules the mutated handshake breaks, WHERE it acts, and what it needs:
 *
 * - `client-sends`: it changes what our client sends (its configuration and
 *   engine hooks): run in memory against our server, and live against any
 *   server (`tlsprop fuzz --target`);
 * - `server-sends`: it changes what our server sends: in memory against our
 *   client, and live against any client (`tlsprop fuzz --listen`);
 * - `transcript`: it edits a finished handshake (offline only);
 * - `configuration`: a changed configuration of the in-memory endpoints
 *   (offline only);
 * - `certificate`: a certificate chain with a fault, presented by the server
 *   (offline) or by our client (live, against servers that trust the test
 *   root);
 * - `engine-fault`: a deliberate fault of the engine (the faulty target and
 *   client, engine/faults.ts): what a fuzzer must report when it meets it.
 *
 * The reaction a conforming peer owes is never declared: it is derived from
 * the rules through oracles/reactions.ts (`reactionOf`). A mutation is
 * live-capable by what it declares (`liveSide`), on the side it declares; no
 * list elsewhere names it.
 *
 * Rule ids are typed (`RuleId`, oracles/catalogue.ts): a rule no
 * declaration has does not compile, and `checkMutation` checks them again
 * when the catalogue is built (a declaration may be assembled from strings).
 */
import type { ClientConfig, ExternalPsk, Identity, ServerConfig } from '../../engine/config';
import { FAULT_IDS, type Fault } from '../../engine/faults';
import type { TestKeyKind, TestPki } from '../../engine/fixtures';
import type { EngineHooks } from '../../engine/hooks';
import type { ClientSessionStore, StoredTicket13 } from '../../engine/session';
import type { CryptoProvider } from '../../crypto';
import { allRules, isRuleId, type RuleId, ruleById } from '../../oracles/catalogue';
import { type ExpectedReaction, expectedReaction } from '../../oracles/reactions';
import type { FaultKind } from '../../pki/faults';
import { AlertDescription } from '../../wire/registry';
import {
  type AlertName,
  type HandshakeTypeName,
  type MessageType,
  otherSide,
  type Role,
  type Side,
  type TlsVersion,
} from '../../wire/vocabulary';
import type { StateStep } from './state';
import { BASES, type BaseEnv, type BaseName, type CheckInputs, type Prepared } from './support';

/** Where a mutation acts (see the header). */
export type Where = Mutation['where'];

/** TLS 1.2 key exchange a conversation must use (PSK: one of the PSK key exchanges, RFC 4279 / RFC 5489). */
export type Kex12 = 'ECDHE' | 'DHE' | 'RSA' | 'PSK';

/** What a mutation needs of a live conversation (offline: its `bases` say it all). */
export interface Needs {
  /** Key-exchange groups it works with: the conversation offers only the one chosen (offline: the base's group is one of them). */
  groups?: readonly number[];
  /** Against a server: the server asks for a client certificate, and our client has one. */
  clientCert?: boolean;
  /** TLS 1.2: the key exchange the suite must have. */
  kex?: Kex12;
  /**
   * The bulk cipher the suite must have (both versions): 'CBC' a TLS 1.2 CBC suite (its padding and MAC are what the
   * mutation edits), 'CHACHA20_POLY1305' a ChaCha20-Poly1305 suite (RFC 7905, RFC 8446 §B.4).
   */
  cipher?: 'CBC' | 'CHACHA20_POLY1305';
  /**
   * Against a server: it answered our client's record_size_limit in the probe (it implements RFC 8449, whose duties on
   * the extension bind only an endpoint that does: one that does not ignores it as any unknown extension).
   */
  serverLimitsRecords?: boolean;
  /** Against a client: the client offers TLS 1.3 (a rule that binds TLS 1.3-capable clients only). */
  peerOffers13?: boolean;
  /** Against a client: the client does not offer TLS 1.2 (a TLS 1.3-only client, to which a TLS 1.2 ServerHello is an unoffered version). */
  peerLacks12?: boolean;
  /** Against a server: the server does TLS 1.3 (a TLS 1.2 offer is then a fallback below its highest version, RFC 7507). */
  serverDoes13?: boolean;
  /**
   * Against a server: our client has an external PSK (`tlsprop fuzz --psk`) the server accepted in the probe in the
   * conversation's version; the mutation reads it from our client's configuration (`psk`). Against a client: our server
   * has one (`tlsprop fuzz --listen --psk`) the client offered in the probe in that version (its configuration's `psks`).
   */
  psk?: boolean;
  /**
   * Against a client: its psk_key_exchange_modes (RFC 8446 §4.2.9) do not list psk_ke, so a ServerHello selecting its
   * PSK must carry a key_share (psk_dhe_ke).
   */
  peerLacksPskKe?: boolean;
  /**
   * Against a server: the server authenticates with a certificate (the mutation breaks what only a certificate
   * handshake needs, e.g. the signature schemes of a TLS 1.3 CertificateVerify): not with our client's external PSK
   * offered in TLS 1.3, which the server may select instead (RFC 8446 §4.1.1), nor over a TLS 1.2 PSK suite.
   */
  certificateAuth?: boolean;
  /**
   * Against a server (with `clientCert`): the client certificate keys our client runs it with, one conversation each.
   * 'own': the run's identity (`--cert/--key`); a key kind: the run's identity when its key is of that kind, else the
   * test PKI's leaf of that kind (engine/fixtures.ts) when the target trusts the test root. Only keys that sign with a
   * scheme the target's CertificateRequest lists run (the probe's record; RFC 5246 §7.4.8, RFC 8446 §4.4.3), unless
   * `unrequestedKeyScheme`. Absent: ['own'].
   */
  clientKeys?: readonly ClientKeyChoice[];
  /**
   * Against a server: the target's CertificateRequest lists no scheme the client certificate's key signs with (the
   * probe's record), and the mutation signs our CertificateVerify with that key's scheme all the same.
   */
  unrequestedKeyScheme?: boolean;
  /**
   * Against a server: TLS 1.3, the target signed with no scheme of this kind our client offered alone (the probe's
   * eddsa13 / ecdsa13 is empty): it has no EdDSA (ECDSA) certificate.
   */
  serverLacks13?: 'eddsa' | 'ecdsa';
  /**
   * Against a client: its compress_certificate (RFC 8879) lists an algorithm our server compresses with (the probe's
   * record), so our Certificate goes out compressed; 'one': it lists exactly one algorithm, so another one is one it did
   * not offer.
   */
  peerCompressesCertificates?: 'any' | 'one';
}

/** A client certificate key a mutation runs with (Needs.clientKeys): the run's own, or a test PKI key kind. */
export type ClientKeyChoice = 'own' | TestKeyKind;
/**
 * The keys a mutation of our CertificateVerify's signature bytes runs with live (Needs.clientKeys): the run's own,
 * Ed25519 and Ed448 (tlsfuzzer's test-eddsa-in-certificate-verify, test-tls13-eddsa-in-certificate-verify).
 */
export const EDDSA_TOO: readonly ClientKeyChoice[] = ['own', 'ed25519', 'ed448'];

interface Common {
  name: string;
  description: string;
  versions: readonly TlsVersion[];
  /**
   * The rules the mutated INPUT breaks (what the side the mutation acts on sent wrong, or what the receiver must
   * check in it and refuse): offline, the oracles must report each; live, a peer that goes on accepts their breach.
   * The reaction the receiver owes is derived from these and `reactionRules` (oracles/reactions.ts), never from
   * `completionRules`.
   */
  rules: readonly RuleId[];
  /**
   * Rules about the receiver's reaction the expected reaction also rests on (live rules such as
   * ver.downgrade-sentinel-check or cert.chain.client-empty): what the peer owes, not what the handshake breaks.
   */
  reactionRules?: readonly RuleId[];
  /**
   * Rules the RECEIVER breaks only if it goes on as if nothing were wrong: duties of the receiver as a sender (e.g.
   * t12.order.full-server-final-flight: a server that sends its final flight although our client withheld its
   * Finished). Their declared alerts are what the receiver's own peer answers such a flight with (our side), so no
   * expected reaction is derived from them; live, a peer that goes on is reported under them. Each binds the
   * receiving side (its `role`), which checkMutation verifies.
   */
  completionRules?: readonly RuleId[];
  /** Rules a transcript cannot decide for this mutation: offline they must be inconclusive, never pass. */
  undecidable?: readonly RuleId[];
  /** Rules the RFC says this mutation breaks but the oracles do not report (documented false negatives). */
  oracleGaps?: readonly RuleId[];
  /** The base handshakes it runs on in memory (offline); empty: never run offline. */
  bases: readonly BaseName[];
  needs?: Needs;
  /** The pki/faults chain fault whose validator rule this mutation shows (its first rule). */
  chainFault?: FaultKind;
  /**
   * Live against TLS 1.3 servers in the KeyUpdate family (fuzz/families.ts `keyupdate`): once the handshake is done
   * our client sends these KeyUpdates (RFC 8446 §4.6.3), switching its write keys after each, then application data.
   */
  keyUpdate?: KeyUpdateLive;
}

/** How our client runs a mutation live after a TLS 1.3 handshake (see Common.keyUpdate). */
export interface KeyUpdateLive {
  /** The request_update of each KeyUpdate our client sends once connected, in order (true: update_requested). */
  updates: readonly boolean[];
  /**
   * Our client's hooks in that conversation (absent: a `client-sends` mutation's own `mutate`); they change the
   * KeyUpdates (or what goes with them) as they are sent.
   */
  hooks?(): EngineHooks;
}

/** Our client's side of a mutation: its configuration (absent: as given) and hooks. */
export interface ClientChange {
  config?: ClientConfig;
  hooks: EngineHooks;
}
/** Our server's side of a mutation: its configuration (absent: as given) and hooks. */
export interface ServerChange {
  config?: ServerConfig;
  hooks: EngineHooks;
}

/** In memory only: how the other endpoint is set up (its offer, its view of what arrived), and the check inputs. */
export interface InMemorySetup {
  client?: ClientConfig;
  server?: ServerConfig;
  /** Hooks of the other endpoint (never of the side the mutation acts on). */
  hooks?: EngineHooks;
  check?: CheckInputs;
  memory?: Prepared['memory'];
  /**
   * The other endpoint processes the original of these messages (what our side would have sent unmutated), so the
   * in-memory run goes on and the transcript shows a receiver that accepted the mutated bytes (for the rules that judge
   * the receiver's abort); live, the peer gets the mutated bytes.
   */
  processesOriginal?: readonly HandshakeTypeName[];
}

interface Sends {
  /** In memory only: the other endpoint's setup (e.g. it processes the original bytes so the run goes on). */
  inMemory?(env: BaseEnv): InMemorySetup;
  /**
   * In memory only: a transcript edit instead of running `mutate`, when the offline check needs the flow as if the
   * receiver had gone on (a dropped message followed by the rest of the handshake); live, `mutate` runs.
   */
  offline?(env: BaseEnv): Prepared | Promise<Prepared>;
  /** Why this mutation of our sends is not run against live peers (absent: it is, whenever its rules name a reaction). */
  notLive?: string;
  /**
   * It acts in a TLS 1.2 renegotiation (its hooks change the renegotiation's messages only): live, the conversation
   * renegotiates once the first handshake is done (our client starts it; our server asks for it with a HelloRequest),
   * and runs in the renegotiation family (fuzz/families.ts, fuzz/client-families.ts), not as a plain mutant.
   */
  renegotiates?: true;
}

export interface ClientSends extends Common, Sends {
  where: 'client-sends';
  mutate(env: BaseEnv): ClientChange | Promise<ClientChange>;
  /** A state-machine step list (the how, as data): conversations may combine several, judged by walking the tables. */
  steps?: readonly StateStep[];
  /**
   * It changes the ClientHello of a resumption: live, a first valid connection takes a session from the target (TLS
   * 1.2 session ID or RFC 5077 ticket, TLS 1.3 ticket) and a second one resumes it with these hooks, judged with the
   * first (the resumption family, fuzz/families.ts). `mutate` gives the same hooks over the environment's store.
   */
  resumes?: ResumeLive;
  /**
   * Live, TLS 1.2: our client's flight is split before its ChangeCipherSpec and before its Finished: each goes out only
   * once the peer has been silent for the run's quiet wait after what went before, so an answer to the rest alone (an
   * alert to our ClientKeyExchange), or to our ChangeCipherSpec, shows on the wire before our Finished (RFC 5246
   * §7.4.7.1: a server must not tell a bad RSA premaster apart before the Finished).
   */
  holdFinished?: true;
  /**
   * Live: our input leaves a handshake message unfinished (its length announces more bytes than ever come), so a peer
   * that waits for the rest is conforming, as is one that closes (fuzz/judge.ts `silenceOk`); one that goes on has
   * acted on a message it has not read, and whether it still answers afterwards is the judge's (target-crashed).
   */
  unfinished?: true;
}

/** How our client breaks a resumption live (see ClientSends.resumes). */
export interface ResumeLive {
  /**
   * Our client's hooks on the resuming connection, given the store holding the session it resumes (newest last) and
   * the external PSK our client offers beside a TLS 1.3 ticket (`--psk`), whose binder a changed hello carries again.
   */
  hooks(store: ClientSessionStore, provider: CryptoProvider, external?: ExternalPsk): EngineHooks;
  /**
   * The resuming ClientHello also offers another suite of the version the target accepted (its hooks take the
   * session's out): `any` other one, or (`other-hash`) one whose hash is not the session's.
   */
  otherSuite?: 'any' | 'other-hash';
  /** Our client's configuration on the resuming connection, beside the conversation's (e.g. ticketSessionId). */
  config?: Pick<ClientConfig, 'ticketSessionId'>;
}

export interface ServerSends extends Common, Sends {
  where: 'server-sends';
  mutate(env: BaseEnv): ServerChange | Promise<ServerChange>;
}

export interface OfflineEdit extends Common {
  where: 'transcript' | 'configuration';
  apply(env: BaseEnv): Prepared | Promise<Prepared>;
  /**
   * A TLS 1.3 0-RTT configuration our client can also run live (the early family, fuzz/families.ts): it resumes a
   * ticket a first connection to the target left, whose early_data allows 0-RTT, and sends early data as this says.
   */
  zeroRtt?: ZeroRttLive;
}

/** How our client breaks 0-RTT live, on a resumption of a ticket from the target (see OfflineEdit.zeroRtt). */
export interface ZeroRttLive {
  /** The 0-RTT data, given the ticket's max_early_data_size (absent: a short request within it). */
  data?(maxEarlyDataSize: number): Uint8Array;
  /** Our client's hooks on the resumption, given the ticket it resumes (absent: none). */
  hooks?(ticket: StoredTicket13, provider: CryptoProvider): EngineHooks;
  /** The ticket as our client offers it (absent: as the target issued it). */
  ticket?(t: StoredTicket13): StoredTicket13;
  /** Our client's configuration on the resumption, beside the conversation's (an empty key_share: a HelloRetryRequest). */
  config?: Pick<ClientConfig, 'keyShareGroups'>;
  /**
   * Where the invalid input starts when the hooks change an earlier, valid message (a ClientHello without early_data
   * is valid; the 0-RTT record after it is not): the server's flight answering that message is not going on.
   */
  invalidAt?: MessageType;
  /** The same ClientHello and 0-RTT data sent again on a second connection (RFC 8446 §8): the replay is judged. */
  replay?: true;
  /**
   * Rules about the receiver's reaction live that the in-memory run does not need: a live server reads what follows
   * under keys the record was not protected with (t13.ks.traffic-keys: bad_record_mac, RFC 8446 §5.2).
   */
  reactionRules?: readonly RuleId[];
}

/** A chain the server presents (offline: the in-memory server's identity). */
export interface ServerCertificate extends Common {
  where: 'certificate';
  presentedBy: 'server';
  apply(env: BaseEnv): Prepared | Promise<Prepared>;
}

/** A certificate our client presents to a live server that asks for one and trusts the test root. */
export interface ClientCertificate extends Common {
  where: 'certificate';
  presentedBy: 'client';
  /** Our client's identity; undefined: none, so our client answers the CertificateRequest with an empty Certificate. */
  identity(pki: TestPki, now?: number): Promise<Identity | undefined>;
}

/** A deliberate fault of the engine: what it lets through, and what a fuzzer must report on meeting it. */
export interface EngineFault extends Common {
  where: 'engine-fault';
  fault: Fault;
  /**
   * The fatal alert the healthy engine sends for what the fault lets through (one of the reaction's alerts). Absent:
   * the healthy engine sends none: the fault shows only across connections (every rule of it is decided across a run,
   * rule.ts `across`), or it refuses valid input (every rule of it expects the connection to go on, `live.expects`
   * complete).
   */
  healthyAlert?: AlertName;
}

export type Mutation = ClientSends | ServerSends | OfflineEdit | ServerCertificate | ClientCertificate | EngineFault;

// ------------------------------------------------------------------ rules

const RULE_VERSIONS: ReadonlyMap<RuleId, readonly TlsVersion[]> = new Map(allRules.map((r) => [r.id, r.versions]));
const RULE_ROLES: ReadonlyMap<RuleId, Role> = new Map(allRules.map((r) => [r.id, r.role]));

/** Who a rule binds (its declaration's role). */
function ruleRole(id: RuleId): Role | undefined {
  return RULE_ROLES.get(id);
}

/** The side whose sending the mutation changes: our client or server, the presenter of a chain; none for offline edits and faults. */
export function actingSide(m: Mutation): Side | undefined {
  if (m.where === 'client-sends') return 'client';
  if (m.where === 'server-sends') return 'server';
  if (m.where === 'certificate') return m.presentedBy;
  return undefined;
}

/** The versions a rule applies to. */
function ruleVersions(id: RuleId): readonly TlsVersion[] {
  return RULE_VERSIONS.get(id) ?? [];
}

/** The rules of a mutation that apply to a handshake of this version. */
export function rulesIn(m: Pick<Mutation, 'rules'>, version: TlsVersion): RuleId[] {
  return m.rules.filter((r) => ruleVersions(r).includes(version));
}

/** What a conforming receiver does when it meets the mutation in a handshake of this version (oracles/reactions.ts). */
export function reactionOf(
  m: Pick<Mutation, 'rules' | 'reactionRules'> & { where?: Mutation['where'] },
  version: TlsVersion,
  extra: readonly RuleId[] = [],
  receiver?: Side,
): ExpectedReaction {
  // the receiver's side only: what the input breaks and the receiver's reaction rules, never the completion rules
  const all = [...new Set([...m.rules, ...(m.reactionRules ?? []), ...extra])];
  // the receiver of what our client sends is the server, of what our server sends the client: a tolerance that only
  // one side has (e.g. "A server MUST accept ClientHello messages both with and without the extensions field") applies
  const side = receiver ?? (m.where === 'client-sends' ? 'server' : m.where === 'server-sends' ? 'client' : undefined);
  return expectedReaction(
    all.filter((r) => ruleVersions(r).includes(version)),
    version,
    side,
  );
}

/** The names of the alerts of a reaction, strictest first. */
export function alertNames(r: ExpectedReaction): AlertName[] {
  return r.alerts.map((a) => a.alert);
}

// ------------------------------------------------------------------ where it acts

/** The side a live conversation runs the mutation on (our client against servers, our server against clients), if any. */
export function liveSide(m: Mutation): Side | undefined {
  if (m.where === 'certificate') return m.presentedBy === 'client' ? 'client' : undefined;
  // a 0-RTT mutation is live through its own declaration: our client breaks the early data on a target's ticket
  if (m.where === 'configuration' && m.zeroRtt !== undefined) return 'client';
  if (m.where !== 'client-sends' && m.where !== 'server-sends') return undefined;
  if (m.notLive !== undefined) return undefined;
  // a step list is judged by walking the state tables (out of order: reject; incomplete: do not complete)
  if (m.where === 'client-sends' && m.steps) return 'client';
  // otherwise a live peer is held to a reaction only: a mutation whose rules name no alert proves nothing live, unless
  // its input is valid and the rules say the peer must go on with it (rec.hs-fragmentation, ext.ignore-unknown, ...),
  // or that it must close without answering (alert.error-received-closes, conn.transport-close), or that it may go on
  // or end the connection with an alert of its choice (alert.t12.warning-run: a hang, a crash or a silent close is the
  // finding there)
  const judged = (v: TlsVersion) => {
    const r = reactionOf(m, v);
    return r.alerts.length > 0 || r.mustComplete || r.mustClose || r.ignoreAllowed;
  };
  if (!m.versions.some(judged)) return undefined;
  return m.where === 'client-sends' ? 'client' : 'server';
}

/** Whether the mutation runs offline (in memory, on its bases). */
export function isOffline(m: Mutation): boolean {
  return m.bases.length > 0;
}

/** How the mutation is run in memory on a base, or undefined when it is not run offline. */
export function inMemory(m: Mutation): ((env: BaseEnv) => Promise<Prepared>) | undefined {
  if (!isOffline(m)) return undefined;
  switch (m.where) {
    case 'transcript':
    case 'configuration':
      return async (env) => m.apply(env);
    case 'certificate':
      return m.presentedBy === 'server' ? async (env) => m.apply(env) : undefined;
    case 'client-sends':
    case 'server-sends':
      return async (env) => {
        if (m.offline) return m.offline(env);
        const peer = m.inMemory?.(env) ?? {};
        const p: Prepared = { client: peer.client ?? env.client, server: peer.server ?? env.server };
        const originals = peer.processesOriginal ?? [];
        if (m.where === 'client-sends') {
          const c = await m.mutate(env);
          const [ours, theirs] = withOriginals(c.hooks, peer.hooks, originals);
          if (c.config) p.client = c.config;
          p.hooks = theirs ? { client: ours, server: theirs } : { client: ours };
        } else {
          const c = await m.mutate(env);
          const [ours, theirs] = withOriginals(c.hooks, peer.hooks, originals);
          if (c.config) p.server = c.config;
          p.hooks = theirs ? { server: ours, client: theirs } : { server: ours };
        }
        if (peer.check) p.check = peer.check;
        if (peer.memory) p.memory = peer.memory;
        return p;
      };
    case 'engine-fault':
      return undefined;
  }
}

/** Our hooks noting the original of each replaced message of `types`, and the peer's hooks processing those originals. */
function withOriginals(
  ours: EngineHooks,
  theirs: EngineHooks | undefined,
  types: readonly HandshakeTypeName[],
): [EngineHooks, EngineHooks | undefined] {
  const send = ours.beforeSend;
  if (!types.length || !send) return [ours, theirs];
  const originals = new Map<string, Uint8Array>();
  const process = theirs?.beforeProcess;
  return [
    {
      ...ours,
      beforeSend: async (msg) => {
        const out = await send(msg);
        if (out && types.some((t) => t === msg.type) && !originals.has(msg.type)) originals.set(msg.type, msg.raw);
        return out;
      },
    },
    {
      ...theirs,
      beforeProcess: async (msg) => {
        const original = originals.get(msg.type);
        if (original) {
          originals.delete(msg.type);
          return [original];
        }
        return process ? process(msg) : undefined;
      },
    },
  ];
}

// ------------------------------------------------------------------ validation

const TLS_VERSIONS: readonly TlsVersion[] = ['1.2', '1.3'];

/** What is wrong with a declaration (empty: nothing). Structural checks only; `spec/mutants.spec.ts` runs them. */
export function checkMutation(m: Mutation): string[] {
  const out: string[] = [];
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(m.name)) out.push(`name ${JSON.stringify(m.name)} is not lower-case-with-dashes`);
  if (m.description.trim().length < 10) out.push('no description');
  if (!m.versions.length || m.versions.some((v) => !TLS_VERSIONS.includes(v))) out.push('versions must be 1.2 and/or 1.3');
  if (new Set(m.versions).size !== m.versions.length) out.push('a version listed twice');
  const ids = [
    ...m.rules,
    ...(m.reactionRules ?? []),
    ...(m.completionRules ?? []),
    ...(m.undecidable ?? []),
    ...(m.oracleGaps ?? []),
  ];
  // the type says RuleId; a declaration built at run time (or cast) is checked all the same
  for (const r of ids) if (!isRuleId(r)) out.push(`unknown rule ${r}`);
  // an input that breaks nothing by itself (an empty client Certificate, a withheld Finished) still declares what
  // the receiver owes (reactionRules) or breaks by going on (completionRules)
  const decided = [...m.rules, ...(m.undecidable ?? []), ...(m.reactionRules ?? []), ...(m.completionRules ?? [])];
  if (!decided.length) out.push('declares no rule');
  // every rule applies to one of its versions, and every version has a rule (or an undecidable one)
  for (const r of [...m.rules, ...(m.reactionRules ?? []), ...(m.completionRules ?? [])])
    if (isRuleId(r) && !ruleVersions(r).some((v) => m.versions.includes(v)))
      out.push(`rule ${r} (${ruleVersions(r).join(', ')}) applies to none of its versions`);
  for (const v of m.versions)
    if (!decided.some((r) => isRuleId(r) && ruleVersions(r).includes(v))) out.push(`no rule of version ${v}`);
  // whose duty: a completion rule binds the receiver of the mutated input (the side that would go on)
  const actor = actingSide(m);
  if (actor)
    for (const r of m.completionRules ?? [])
      if (isRuleId(r) && ruleRole(r) !== otherSide(actor))
        out.push(`completion rule ${r} binds the ${ruleRole(r)}, not the receiver (the ${otherSide(actor)})`);
  for (const b of m.bases) if (!m.versions.includes(BASES[b].version)) out.push(`base ${b} is not of its versions`);
  if (m.versions.some((v) => m.bases.length && !m.bases.some((b) => BASES[b].version === v)))
    out.push('a version without a base to run it offline');
  if ((m.where === 'engine-fault' || (m.where === 'certificate' && m.presentedBy === 'client')) && m.bases.length)
    out.push(`${m.where} mutations do not run in memory: no bases`);
  if ((m.where === 'transcript' || m.where === 'configuration') && !m.bases.length) out.push('an offline edit needs bases');
  if (m.where === 'certificate' && m.presentedBy === 'server' && !m.bases.length) out.push('a server chain needs bases');
  if ((m.where === 'client-sends' || m.where === 'server-sends') && !m.bases.length && liveSide(m) === undefined)
    out.push('runs neither offline (no bases) nor live');
  if (m.where === 'engine-fault') {
    if (m.name !== m.fault) out.push(`an engine fault is named after its fault id ${m.fault}`);
    if (!FAULT_IDS.includes(m.fault)) out.push(`unknown engine fault ${m.fault}`);
    if (m.healthyAlert === undefined) {
      if (m.rules.some((r) => !ruleById(r).across && ruleById(r).live?.expects !== 'complete'))
        out.push('a fault without a healthy alert shows only across connections, or refuses valid input');
    } else if (!(m.healthyAlert in AlertDescription)) out.push(`unknown alert ${m.healthyAlert}`);
    else
      for (const v of m.versions)
        if (!alertNames(reactionOf(m, v)).includes(m.healthyAlert))
          out.push(
            `healthy alert ${m.healthyAlert} is not one the rules of ${v} name (${alertNames(reactionOf(m, v)).join(', ')})`,
          );
  }
  if (m.needs?.groups && !m.needs.groups.length) out.push('needs.groups is empty');
  return out;
}

/** Check a catalogue: unique names and valid declarations; throws with every problem (the catalogue is built at load). */
export function checkedCatalogue<T extends Mutation>(ms: readonly T[]): readonly T[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of ms) {
    if (seen.has(m.name)) problems.push(`${m.name}: name used twice`);
    seen.add(m.name);
    for (const p of checkMutation(m)) problems.push(`${m.name}: ${p}`);
  }
  if (problems.length) throw new Error(`mutation catalogue:\n${problems.join('\n')}`);
  return ms;
}

// ------------------------------------------------------------------ declaring

/** The `where` and `mutate` of a mutation that only hooks our client (fresh hooks per run: they keep state). */
export function clientHooks(h: (env: BaseEnv) => EngineHooks | Promise<EngineHooks>): Pick<ClientSends, 'where' | 'mutate'> {
  return { where: 'client-sends', mutate: async (env) => ({ hooks: await h(env) }) };
}

/** The `where` and `mutate` of a mutation that only hooks our server (fresh hooks per run: they keep state). */
export function serverHooks(h: (env: BaseEnv) => EngineHooks | Promise<EngineHooks>): Pick<ServerSends, 'where' | 'mutate'> {
  return { where: 'server-sends', mutate: async (env) => ({ hooks: await h(env) }) };
}
