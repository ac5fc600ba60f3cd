/**
 * Live conversations as data: our client's configuration, an optional
 * client-side mutation (a hook operator of the catalogue that changes only
 * what our client sends, so it can be used against any real server), and
 * what a conforming target must do: complete a valid handshake, or reject
 * the mutant with one of the alerts the broken rules name in the catalogue.
 * `classifyEnd` turns how a socket run ended into a conversation verdict.
 */
import type { ClientConfig, Identity } from '../engine/config';
import type { EngineHooks } from '../engine/hooks';
import type { SocketEnd } from '../engine/socket';
import type { TestPki } from '../engine/fixtures';
import { type BaseChoice, type MutationOperator, OPERATORS } from '../generators/mutations';
import { baseEnv } from '../generators/mutations/support';
import { isRuleId } from '../oracles/catalogue';
import { ruleAlerts } from '../oracles/reactions';
import type { ConversationVerdict } from '../wire/vocabulary';
import { alertDescriptions, NamedGroup, nameOf } from '../wire/registry';

export type Strictness = 'exact' | 'alert-or-close' | 'any-abort';
export const STRICTNESS: readonly Strictness[] = ['exact', 'alert-or-close', 'any-abort'];
export type LiveVersion = '1.2' | '1.3';

/**
 * Hook operators that act only on what our client sends (checked in
 * peer/fuzz.test.ts: mechanism 'hook' and client hooks). Server-side
 * operators need the server's cooperation and cannot run against a live
 * target; the key-share operators also install a server hook in memory, but
 * it only undoes the client's change for the in-memory peer, so live the
 * client's tampered bytes are what the target sees.
 */
export const LIVE_CLIENT_OPERATORS: readonly string[] = [
  't12-early-client-ccs',
  't12-missing-client-ccs',
  't12-skip-client-cv',
  't12-cv-sig-corrupt',
  't12-cv-sig-truncated',
  't12-cv-missing-message',
  't12-cv-extra-message',
  't12-cke-point-off-curve',
  't12-cke-point-identity',
  't12-cke-point-wrong-length',
  't12-client-finished-wrong',
  't13-skip-client-cv',
  't13-drop-client-certificate',
  't13-client-cv-sig-corrupt',
  't13-client-finished-wrong',
  't13-keyshare-off-curve',
  't13-keyshare-identity',
  't13-keyshare-wrong-length',
  't13-keyshare-x25519-small-order',
];

/** Live operators that change our client's Certificate / CertificateVerify: the target must ask for a client certificate. */
export const CLIENT_CERT_OPERATORS: readonly string[] = [
  't12-skip-client-cv',
  't12-cv-sig-corrupt',
  't12-cv-sig-truncated',
  't12-cv-missing-message',
  't12-cv-extra-message',
  't13-skip-client-cv',
  't13-drop-client-certificate',
  't13-client-cv-sig-corrupt',
];

/** Live operators that replace the client's ECDHE ClientKeyExchange point: a TLS 1.2 ECDHE suite is needed. */
export const ECDHE_OPERATORS: readonly string[] = [
  't12-cke-point-off-curve',
  't12-cke-point-identity',
  't12-cke-point-wrong-length',
];

export function liveOperators(): MutationOperator[] {
  return LIVE_CLIENT_OPERATORS.map((n) => {
    const op = OPERATORS.find((o) => o.name === n);
    if (!op) throw new Error(`live operator ${n} is not in the catalogue`);
    return op;
  });
}

/** What an operator needs of the target and of our client. */
export interface OperatorNeeds {
  version: LiveVersion;
  /** The target must request a client certificate (and we must have one). */
  clientCert: boolean;
  /** TLS 1.2 ECDHE key exchange. */
  ecdhe: boolean;
  group?: number;
}

export function needsOf(op: MutationOperator): OperatorNeeds {
  const n: OperatorNeeds = {
    version: op.versions[0] === '1.3' ? '1.3' : '1.2',
    clientCert: CLIENT_CERT_OPERATORS.includes(op.name),
    ecdhe: ECDHE_OPERATORS.includes(op.name),
  };
  if (op.group !== undefined) n.group = op.group;
  return n;
}

/** Alert names a conforming receiver sends when these rules are broken (oracles/reactions.ts). */
export function allowedAlerts(rules: readonly string[]): string[] {
  const out = new Set<string>();
  for (const id of rules) if (isRuleId(id)) for (const a of ruleAlerts(id)) out.add(a.alert);
  return [...out];
}

/**
 * `silenceOk`: the flow is incomplete rather than out of order (e.g. our
 * Finished withheld), so a target that just waits until our read timeout
 * is conforming too, as long as it does not complete the handshake.
 */
export type Expectation =
  | { kind: 'complete' }
  | { kind: 'reject'; rules: readonly string[]; alerts: readonly string[]; silenceOk?: boolean };

/** What a conversation exercises: a valid handshake, a catalogue operator, a state-machine step list, a client-certificate fault. */
export type ConversationKind = 'valid' | 'mutant' | 'state' | 'cert';

export interface Conversation {
  name: string;
  version: LiveVersion;
  suite: number;
  group: number;
  client: ClientConfig;
  /** Client hooks of the mutation (none for a valid conversation). */
  hooks?: EngineHooks;
  operator?: string;
  /** Default: 'mutant' with an operator, else 'valid'. */
  kind?: ConversationKind;
  /** The name profiles match: operator, state scenario(s) or certificate fault. */
  subject?: string;
  expect: Expectation;
  readTimeoutMs: number;
  totalTimeoutMs: number;
  /** Replay: the run's seed and this conversation's index. */
  seed: number;
  path: string;
}

export interface ClientBase {
  provider: NonNullable<ClientConfig['provider']>;
  serverName?: string;
  identity?: Identity;
  trustAnchors?: Uint8Array[];
}

/** Groups offered besides the chosen one (a TLS 1.2 ECDSA certificate's curve must be among them), unless `onlyGroup`. */
export const OFFERED_GROUPS: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

export function clientConfig(
  base: ClientBase,
  version: LiveVersion,
  suite: number,
  group: number,
  random: Uint8Array,
  compat: boolean,
  onlyGroup = false,
): ClientConfig {
  const groups = onlyGroup ? [group] : [group, ...OFFERED_GROUPS.filter((g) => g !== group)];
  const c: ClientConfig = {
    provider: base.provider,
    versions: [version === '1.3' ? 0x0304 : 0x0303],
    cipherSuites: [suite],
    groups,
    keyShareGroups: [group],
    random,
    middleboxCompat: compat,
  };
  if (base.serverName !== undefined) c.serverName = base.serverName;
  if (base.identity) c.identity = base.identity;
  if (base.trustAnchors) c.trustAnchors = base.trustAnchors;
  return c;
}

/** Wrap hooks so the caller can tell whether any of them changed something (a mutation that never fired proves nothing). */
export function firingHooks(h: EngineHooks): { hooks: EngineHooks; fired: () => boolean } {
  let fired = false;
  const note = <T>(r: T | undefined): T | undefined => {
    if (r !== undefined) fired = true;
    return r;
  };
  const hooks: EngineHooks = {};
  const bs = h.beforeSend;
  const bsr = h.beforeSendRecord;
  const bp = h.beforeProcess;
  if (bs) hooks.beforeSend = async (m) => note(await bs(m));
  if (bsr) hooks.beforeSendRecord = async (r) => note(await bsr(r));
  if (bp) hooks.beforeProcess = async (m) => note(await bp(m));
  return { hooks, fired: () => fired };
}

/** The client hooks of a live operator on our client configuration. */
export async function mutantHooks(
  op: MutationOperator,
  pki: TestPki,
  client: ClientConfig,
  choice: BaseChoice,
): Promise<EngineHooks> {
  const env = { ...baseEnv(pki, choice, client.provider), client };
  const p = await op.apply(env);
  const h = p.hooks?.client;
  if (!h) throw new Error(`${op.name} has no client hooks: not usable against a live server`);
  return h;
}

export interface Classification {
  verdict: ConversationVerdict;
  detail: string;
  /** Alert the target sent, by name. */
  alert?: string;
}

function alertName(d: number): string {
  return nameOf(alertDescriptions, d, 2);
}

/**
 * How the run ended, judged against the expectation. For a mutant, "accepted"
 * means the handshake completed and the target went on (answered our
 * application data): in TLS 1.3 our client is connected as soon as it has
 * sent its Finished, so only the target's answer shows that it accepted it.
 */
export function classifyEnd(expect: Expectation, end: SocketEnd, strictness: Strictness): Classification {
  const o = end.outcome;
  const received = o.kind === 'alert_received' ? alertName(o.alert.description) : undefined;
  const withAlert = (c: Classification): Classification => (received !== undefined ? { ...c, alert: received } : c);
  if (expect.kind === 'complete') {
    if (o.kind === 'connected' || (o.kind === 'closed' && o.session))
      return { verdict: 'conforming', detail: 'handshake completed' };
    if (received !== undefined)
      return withAlert({ verdict: 'wrong-alert', detail: `valid handshake rejected with alert ${received}` });
    if (o.kind === 'alert_sent')
      return { verdict: 'flagged', detail: `our client aborted with ${alertName(o.alert.description)}: ${o.reason}` };
    if (end.kind === 'timed_out')
      return { verdict: 'hung', detail: `valid handshake stalled (${o.kind}) after ${end.afterMs} ms` };
    if (end.kind === 'reset') return { verdict: 'reset', detail: `valid handshake reset: ${end.error}` };
    return { verdict: 'wrong-alert', detail: 'valid handshake: target closed without an alert' };
  }
  const want = expect.alerts;
  if (received !== undefined) {
    if (strictness === 'any-abort' || want.includes(received))
      return withAlert({ verdict: 'conforming', detail: `rejected with ${received}` });
    return withAlert({
      verdict: 'wrong-alert',
      detail: `rejected with ${received}, expected ${want.join(' or ') || '(no alert named)'}`,
    });
  }
  if (o.kind === 'alert_sent')
    return { verdict: 'flagged', detail: `our client aborted first with ${alertName(o.alert.description)}: ${o.reason}` };
  if (o.kind === 'connected' && end.kind === 'done')
    return { verdict: 'accepted-invalid', detail: 'target completed the handshake and answered application data' };
  if (end.kind === 'timed_out' && expect.silenceOk && o.kind !== 'connected')
    return { verdict: 'conforming', detail: `target waited without completing (${end.afterMs} ms)` };
  if (end.kind === 'timed_out') return { verdict: 'hung', detail: `no rejection within ${end.afterMs} ms (${o.kind})` };
  const how = end.kind === 'reset' ? `reset (${end.error})` : o.kind === 'closed' ? 'close_notify' : 'closed without an alert';
  if (strictness === 'exact')
    return end.kind === 'reset'
      ? { verdict: 'reset', detail: `connection ${how}, expected ${want.join(' or ')}` }
      : { verdict: 'wrong-alert', detail: `${how}, expected ${want.join(' or ')}` };
  return { verdict: 'conforming', detail: `rejected: ${how}` };
}
