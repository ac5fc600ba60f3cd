/**
 * A live conversation of our client with a server, as data: our client's
 * configuration, the hooks of a mutation (declared in the mutation model:
 * what our client sends, generators/mutations/), and what a conforming
 * target must do (fuzz/judge.ts `Expectation`).
 */
import type { ClientConfig, ExternalPsk, Identity } from '../engine/config';
import type { TestPki } from '../engine/fixtures';
import type { EngineHooks } from '../engine/hooks';
import type { ClientSessionStore, StoredTicket13 } from '../engine/session';
import type { CryptoProvider } from '../crypto';
import type { ClientSends } from '../generators/mutations/model';
import { BASES, type BaseChoice, type BaseName, baseEnv } from '../generators/mutations/support';
import { NamedGroup } from '../wire/registry';
import { type MessageType, type TlsVersion, VERSION_CODE } from '../wire/vocabulary';
import type { FamilyName } from './families';
import type { AppRecord, Expectation } from './judge';
import type { BudgetOptions } from './options';

export interface Conversation {
  name: string;
  version: TlsVersion;
  suite: number;
  group: number;
  client: ClientConfig;
  /** Client hooks of the mutation (none for a valid conversation). */
  hooks?: EngineHooks;
  /** The mutation run (a mutant). */
  operator?: string;
  kind: FamilyName;
  /** The name profiles match: the mutation(s) it runs (`a+b` for combined state steps). */
  subject?: string;
  expect: Expectation;
  /**
   * Where our invalid input starts when no hook marks it (a faulty certificate: our Certificate message); a
   * mutation's hooks mark it themselves as they fire.
   */
  invalidAt?: MessageType;
  /**
   * TLS 1.3 (the keyupdate family): once the handshake is done our client sends these KeyUpdates (true:
   * update_requested), switching its write keys after each (RFC 8446 §4.6.3), then its application data, and listens.
   */
  keyUpdates?: readonly boolean[];
  /**
   * The lengths family: once the handshake is done our client sends one application data record per entry, of that
   * many bytes (TLS 1.3 `padding`: that many zero bytes of padding), before its usual data, and listens.
   */
  appRecords?: readonly AppRecord[];
  /** TLS 1.2: once the first handshake is done our client renegotiates (the renegotiation family; fuzz/exchange.ts). */
  renegotiate?: true;
  /**
   * Our client's ChangeCipherSpec waits until the peer has been silent for the quiet wait after the rest of its flight,
   * and its Finished for as long after the ChangeCipherSpec (the mutation's `holdFinished`; fuzz/exchange.ts
   * `holdFrom`).
   */
  holdFinished?: true;
  /**
   * TLS 1.3 0-RTT (the early family): a first valid connection takes a ticket from the target into a fresh session
   * store, then this conversation resumes it with this 0-RTT data, our client's hooks made for that ticket
   * (fuzz/target.ts).
   */
  zeroRtt?: {
    data: Uint8Array;
    hooks?: (ticket: StoredTicket13, provider: CryptoProvider) => EngineHooks;
    /** The ticket as our client offers it (ZeroRttLive.ticket). */
    ticket?: (t: StoredTicket13) => StoredTicket13;
    /** Our client's configuration on the resumption (ZeroRttLive.config). */
    config?: Pick<ClientConfig, 'keyShareGroups'>;
    /** The same ClientHello and 0-RTT data first sent on another connection (the original), then on this one (RFC 8446 §8). */
    replay?: true;
  };
  /**
   * Resumption (the resume family): a first valid connection takes a session from the target into a fresh session
   * store, then this conversation resumes it, our client's hooks made for that store, offering `offer` (absent: the
   * conversation's suites) (fuzz/target.ts).
   */
  resume?: {
    hooks?: (store: ClientSessionStore, provider: CryptoProvider, external?: ExternalPsk) => EngineHooks;
    offer?: readonly number[];
    /** Our client's configuration on the resuming connection (ResumeLive.config). */
    config?: Pick<ClientConfig, 'ticketSessionId'>;
  };
  /** Replay: the run's seed and this conversation's index. */
  seed: number;
  path: string;
}

export interface ClientBase {
  provider: NonNullable<ClientConfig['provider']>;
  serverName?: string;
  identity?: Identity;
  trustAnchors?: Uint8Array[];
  /** The external PSK our client offers (fuzz/options.ts IdentityOptions.psk). */
  psk?: ExternalPsk;
}

/** Groups offered besides the chosen one (a TLS 1.2 ECDSA certificate's curve must be among them), unless `onlyGroup`. */
const OFFERED_GROUPS: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

export function clientConfig(
  base: ClientBase,
  version: TlsVersion,
  suite: number,
  group: number,
  random: Uint8Array,
  compat: boolean,
  onlyGroup = false,
): ClientConfig {
  const groups = onlyGroup ? [group] : [group, ...OFFERED_GROUPS.filter((g) => g !== group)];
  const c: ClientConfig = {
    provider: base.provider,
    versions: [VERSION_CODE[version]],
    cipherSuites: [suite],
    groups,
    keyShareGroups: [group],
    random,
    middleboxCompat: compat,
  };
  if (base.serverName !== undefined) c.serverName = base.serverName;
  if (base.identity) c.identity = base.identity;
  if (base.trustAnchors) c.trustAnchors = base.trustAnchors;
  if (base.psk) c.psk = base.psk;
  return c;
}

/** The in-memory base a mutation's environment is built on for a live version (the first of its bases of that version). */
export function baseNameFor(m: Pick<ClientSends, 'bases'>, version: TlsVersion): BaseName {
  return (
    m.bases.find((b) => BASES[b].version === version) ?? (version === '1.3' ? 't13-server-auth' : 't12-ecdhe-rsa-cbc-mutual')
  );
}

/**
 * Our client's side of a mutation on the live conversation's configuration:
 * the mutation sees an environment whose client is ours (its in-memory
 * server setup is not used live). A configuration the mutation changes
 * replaces ours.
 */
export async function clientMutation(
  m: ClientSends,
  pki: TestPki,
  client: ClientConfig,
  choice: BaseChoice,
): Promise<{ client: ClientConfig; hooks: EngineHooks }> {
  const env = { ...baseEnv(pki, choice, client.provider), client };
  const change = await m.mutate(env);
  return { client: change.config ?? client, hooks: change.hooks };
}

/** What a conversation of our client is framed with: the run's budget (timeouts, seed) and our client's base. */
export interface ConversationContext {
  o: { budget: BudgetOptions };
  base: ClientBase;
}

/** A valid conversation of our client (the frame every family starts from). */
export function validConversation(
  ctx: ConversationContext,
  version: TlsVersion,
  suite: number,
  group: number,
  random: Uint8Array,
  compat: boolean,
  name: string,
  path: string,
  onlyGroup = false,
): Conversation {
  return {
    name,
    version,
    suite,
    group,
    client: clientConfig(ctx.base, version, suite, group, random, compat, onlyGroup),
    expect: { kind: 'complete' },
    kind: 'valid',
    seed: ctx.o.budget.seed,
    path,
  };
}

/** Offer only `schemes` (named in the conversation's name too). */
export function restrict(conv: Conversation, schemes: readonly number[]): Conversation {
  conv.client = { ...conv.client, signatureSchemes: [...schemes] };
  conv.name = `${conv.name} sigs=${schemes.map((x) => `0x${x.toString(16).padStart(4, '0')}`).join(',')}`;
  return conv;
}
