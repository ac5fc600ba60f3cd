/**
 * The machinery of the mutation operators: base handshakes (engine
 * configurations), message tracking inside engine hooks, re-signing helpers,
 * and transcript-level edits (a finished transcript turned into an editable
 * message list and rebuilt with its secrets). The oracles never see this.
 */
import {
  type CryptoProvider,
  certificateVerifyContent12,
  certificateVerifyContent13,
  digest,
  importSigningKey,
  serverKeyExchangeContent12,
  sign,
} from '../../crypto';
import type { ClientConfig, Identity, ServerConfig } from '../../engine/config';
import { SERVER_NAME, type TestPki } from '../../engine/fixtures';
import type { EngineHooks, HookMessage } from '../../engine/hooks';
import { type MemoryOptions, type MemoryRun, runInMemory } from '../../engine/memory';
import { CipherSuite12, CipherSuite13 } from '../../engine/suites';
import { type RecordInput, TranscriptBuilder } from '../../transcript/build';
import type { Transcript } from '../../transcript/model';
import type { Extension, ExtensionBody, KeyShareEntry } from '../../wire/extensions';
import { type DecodeContext, type HandshakeBody, decodeHandshake, encodeHandshake } from '../../wire/handshake';
import { concatBytes } from '../../wire/hex';
import { encodeRecord } from '../../wire/record';
import { ContentType, NamedGroup, ExtensionType as X } from '../../wire/registry';
import {
  type Direction,
  type HandshakeTypeName,
  type MessageKind,
  type MessageType,
  messageTypeOf,
  type TlsVersion,
  VERSION_CODE,
} from '../../wire/vocabulary';

export const BASE_NAMES = [
  't12-ecdhe-rsa-cbc-mutual',
  't12-ecdhe-ecdsa-gcm',
  't12-rsa-kex',
  't13-server-auth',
  't13-mutual',
] as const;
export type BaseName = (typeof BASE_NAMES)[number];

export interface BaseSpec {
  name: BaseName;
  version: TlsVersion;
  suites: readonly number[];
  kex: 'ECDHE' | 'RSA' | 'TLS13';
  serverKey: 'rsa' | 'ecdsa';
  /** Client authentication (the client's key type). */
  clientKey?: 'rsa' | 'ecdsa';
}

export const BASES: Readonly<Record<BaseName, BaseSpec>> = {
  't12-ecdhe-rsa-cbc-mutual': {
    name: 't12-ecdhe-rsa-cbc-mutual',
    version: '1.2',
    suites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384],
    kex: 'ECDHE',
    serverKey: 'rsa',
    clientKey: 'rsa',
  },
  't12-ecdhe-ecdsa-gcm': {
    name: 't12-ecdhe-ecdsa-gcm',
    version: '1.2',
    suites: [CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384],
    kex: 'ECDHE',
    serverKey: 'ecdsa',
    clientKey: 'ecdsa',
  },
  't12-rsa-kex': {
    name: 't12-rsa-kex',
    version: '1.2',
    suites: [CipherSuite12.TLS_RSA_WITH_AES_128_GCM_SHA256, CipherSuite12.TLS_RSA_WITH_AES_256_GCM_SHA384],
    kex: 'RSA',
    serverKey: 'rsa',
  },
  't13-server-auth': {
    name: 't13-server-auth',
    version: '1.3',
    suites: [
      CipherSuite13.TLS_AES_128_GCM_SHA256,
      CipherSuite13.TLS_AES_256_GCM_SHA384,
      CipherSuite13.TLS_CHACHA20_POLY1305_SHA256,
    ],
    kex: 'TLS13',
    serverKey: 'rsa',
  },
  't13-mutual': {
    name: 't13-mutual',
    version: '1.3',
    suites: [CipherSuite13.TLS_AES_256_GCM_SHA384, CipherSuite13.TLS_AES_128_GCM_SHA256],
    kex: 'TLS13',
    serverKey: 'ecdsa',
    clientKey: 'rsa',
  },
};

/** What fast-check (or a fixed seed) picks for one base handshake. */
export interface BaseChoice {
  base: BaseName;
  suiteIndex: number;
  group: number;
  compat: boolean;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  seed: number;
}

export const BASE_GROUPS: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

/** Everything an operator gets: the chosen base, its configurations and the test PKI. */
export interface BaseEnv {
  spec: BaseSpec;
  choice: BaseChoice;
  pki: TestPki;
  provider: CryptoProvider;
  client: ClientConfig;
  server: ServerConfig;
}

export interface CheckInputs {
  trustAnchors?: Uint8Array[];
  at?: Date;
  privateKeys?: Uint8Array[];
  /** Earlier connections (oldest first) a resumed handshake is compared with. */
  earlier?: Transcript[];
  /** The provider of the run (the base's), so the check imports each key once across mutants. */
  provider?: CryptoProvider;
  /** The run and the earlier ones reached one server instance (CheckOptions.oneServerInstance). */
  oneServerInstance?: boolean;
}

/** What an operator makes of a base: the configurations and hooks to run, check inputs, and an edit of the finished transcript. */
export interface Prepared {
  client: ClientConfig;
  server: ServerConfig;
  hooks?: { client?: EngineHooks; server?: EngineHooks };
  check?: CheckInputs;
  post?: (t: Transcript) => Transcript | Promise<Transcript>;
  /** Extra steps of the in-memory run (KeyUpdates, TLS 1.2 renegotiations once connected). */
  memory?: Pick<MemoryOptions, 'keyUpdates' | 'renegotiations' | 'postHandshakeAuths'>;
}

/** The versions of some bases, in the order first seen. */
export function versionsOf(bases: readonly BaseName[]): TlsVersion[] {
  return [...new Set(bases.map((b) => BASES[b].version))];
}

/** Our client's identity in a base (a mutation of its CertificateVerify needs one). */
export function clientIdentity(env: BaseEnv): Identity {
  const id = env.client.identity;
  if (!id) throw new Error(`base ${env.spec.name} has no client certificate`);
  return id;
}

export function baseEnv(pki: TestPki, choice: BaseChoice, provider: CryptoProvider = pki.provider): BaseEnv {
  const spec = BASES[choice.base];
  const suite = spec.suites[choice.suiteIndex % spec.suites.length]!;
  const versions = spec.version === '1.3' ? [VERSION_CODE['1.3'], VERSION_CODE['1.2']] : [VERSION_CODE['1.2']];
  // TLS 1.2: an ECDSA server certificate's curve (P-256 in the test PKI) must be among the client's groups (RFC 8422 §5.1).
  const clientGroups =
    spec.version === '1.2' && spec.serverKey === 'ecdsa' && choice.group !== NamedGroup.secp256r1
      ? [choice.group, NamedGroup.secp256r1]
      : [choice.group];
  const client: ClientConfig = {
    provider,
    versions,
    cipherSuites: [suite],
    groups: clientGroups,
    serverName: SERVER_NAME,
    random: choice.clientRandom,
    middleboxCompat: choice.compat,
  };
  if (spec.clientKey) client.identity = pki.identity('client', spec.clientKey);
  const server: ServerConfig = {
    provider,
    versions: spec.version === '1.3' ? [VERSION_CODE['1.3'], VERSION_CODE['1.2']] : [VERSION_CODE['1.2']],
    cipherSuites: [suite],
    groups: [choice.group, ...BASE_GROUPS.filter((g) => g !== choice.group)],
    identity: pki.identity('server', spec.serverKey),
    clientAuth: spec.clientKey ? 'require' : 'none',
    random: choice.serverRandom,
    middleboxCompat: choice.compat,
  };
  return { spec, choice, pki, provider, client, server };
}

/** A mutation run in memory: the run, the (possibly edited) transcript the oracles judge, and the check inputs. */
export interface MutatedHandshake {
  run: MemoryRun;
  transcript: Transcript;
  check: CheckInputs;
}

const APP = { client: new TextEncoder().encode('PUBLISH a/b hello'), server: new TextEncoder().encode('PUBACK') };

export async function runPrepared(env: BaseEnv, p: Prepared, label: string): Promise<MutatedHandshake> {
  const run = await runInMemory(p.client, p.server, p.hooks ?? {}, {
    appData: APP,
    seed: env.choice.seed,
    plan: `${env.spec.name}/${label}`,
    ...(p.memory ?? {}),
  });
  const transcript = p.post ? await p.post(run.transcript) : run.transcript;
  const check: CheckInputs = {
    provider: env.provider,
    trustAnchors: env.pki.anchors,
    privateKeys: [p.server.identity.pkcs8],
    ...(p.check ?? {}),
  };
  return { run, transcript, check };
}

// ------------------------------------------------------------------ hooks

/** Every handshake message an endpoint sent or processed, in order (what its transcript hash covers). */
export class MessageLog {
  readonly raws: Uint8Array[] = [];
  /** Handshake type names, as the engine's hooks give them. */
  readonly types: string[] = [];
  add(m: HookMessage): void {
    if (m.kind !== 'handshake') return;
    this.raws.push(m.raw);
    this.types.push(m.type);
  }
  find(type: HandshakeTypeName): Uint8Array | undefined {
    const i = this.types.indexOf(type);
    return i < 0 ? undefined : this.raws[i];
  }
}

/**
 * Hooks for one side that log every handshake message and let `onSend`
 * replace an outgoing one (called with the log of what came before it).
 */
export function tracked(
  onSend: (m: HookMessage, log: MessageLog) => Promise<Uint8Array[] | undefined> | Uint8Array[] | undefined,
  onProcess?: (m: HookMessage, log: MessageLog) => Uint8Array[] | undefined,
): EngineHooks {
  const log = new MessageLog();
  return {
    beforeProcess: (m) => {
      const out = onProcess?.(m, log);
      for (const raw of out ?? [m.raw]) log.add({ ...m, raw });
      return out;
    },
    beforeSend: async (m) => {
      const out = await onSend(m, log);
      for (const raw of out ?? [m.raw]) log.add({ ...m, raw });
      return out;
    },
  };
}

/** Replace one outgoing message type (first occurrence only). */
export function onceOn(
  type: HandshakeTypeName,
  fn: (raw: Uint8Array, log: MessageLog) => Promise<Uint8Array[]> | Uint8Array[],
): EngineHooks {
  let done = false;
  return tracked((m, log) => {
    if (done || m.type !== type) return undefined;
    done = true;
    return fn(m.raw, log);
  });
}

export function flipLast(raw: Uint8Array): Uint8Array {
  const r = raw.slice();
  r[r.length - 1]! ^= 0x01;
  return r;
}

export function hsMessage(type: number, body: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff), body]);
}
export const u16 = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff);

/** scheme(2) len(2) signature: a signed CertificateVerify. */
export function certificateVerify(scheme: number, sig: Uint8Array): Uint8Array {
  return hsMessage(15, concatBytes([u16(scheme), u16(sig.length), sig]));
}

export function schemeOfCv(raw: Uint8Array): number {
  return (raw[4]! << 8) | raw[5]!;
}

/** The hash of a TLS 1.3 suite. */
export function hash13(suite: number): 'SHA-256' | 'SHA-384' {
  return suite === CipherSuite13.TLS_AES_256_GCM_SHA384 ? 'SHA-384' : 'SHA-256';
}

export function suiteOfServerHello(raw: Uint8Array): number {
  const sid = raw[4 + 2 + 32]!;
  const at = 4 + 2 + 32 + 1 + sid;
  return (raw[at]! << 8) | raw[at + 1]!;
}
export function randomOfHello(raw: Uint8Array): Uint8Array {
  return raw.subarray(6, 38);
}

export async function signWith(p: CryptoProvider, id: Identity, scheme: number, content: Uint8Array): Promise<Uint8Array> {
  return sign(p, await importSigningKey(p, scheme, id.pkcs8, id.spki), content);
}

/** A TLS 1.2 CertificateVerify over the given messages. */
export async function cv12(
  p: CryptoProvider,
  id: Identity,
  scheme: number,
  messages: readonly Uint8Array[],
): Promise<Uint8Array> {
  return certificateVerify(scheme, await signWith(p, id, scheme, certificateVerifyContent12(messages)));
}

/** A TLS 1.3 CertificateVerify over the given messages with the given context string's role. */
export async function cv13(
  p: CryptoProvider,
  id: Identity,
  scheme: number,
  suite: number,
  role: 'client' | 'server',
  messages: readonly Uint8Array[],
): Promise<Uint8Array> {
  const th = await digest(p, hash13(suite), concatBytes([...messages]));
  return certificateVerify(scheme, await signWith(p, id, scheme, certificateVerifyContent13(role, th)));
}

/** Re-sign a TLS 1.2 ServerKeyExchange (ECDHE: curve_type(1) group(2) len(1) point, then scheme(2) len(2) sig). */
export async function resignSke(
  p: CryptoProvider,
  id: Identity,
  raw: Uint8Array,
  scheme: number,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Promise<Uint8Array> {
  const params = raw.subarray(4, 4 + 4 + raw[4 + 3]!);
  const sig = await signWith(p, id, scheme, serverKeyExchangeContent12(clientRandom, serverRandom, params));
  return hsMessage(12, concatBytes([params, u16(scheme), u16(sig.length), sig]));
}

/** Decode, edit and re-encode a handshake message. */
export function editRaw<T extends HandshakeBody['type']>(
  raw: Uint8Array,
  ctx: DecodeContext,
  type: T,
  fn: (b: Extract<HandshakeBody, { type: T }>) => void,
): Uint8Array {
  const d = decodeHandshake(raw, ctx).message;
  if (d.body.type !== type) throw new Error(`expected ${type}, got ${d.body.type}`);
  fn(d.body as Extract<HandshakeBody, { type: T }>);
  return encodeHandshake(d);
}

export function setExt(list: Extension[] | undefined, type: number, body: ExtensionBody, index?: number): Extension[] {
  const out = (list ?? []).filter((e) => e.type !== type);
  out.splice(index ?? out.length, 0, { type, body });
  return out;
}
export function getExt<K extends ExtensionBody['kind']>(
  list: Extension[] | undefined,
  type: number,
  kind: K,
): Extract<ExtensionBody, { kind: K }> | undefined {
  const b = list?.find((e) => e.type === type)?.body;
  return b && b.kind === kind ? (b as Extract<ExtensionBody, { kind: K }>) : undefined;
}

// ------------------------------------------------------------- transcripts

export interface Entry {
  dir: Direction;
  kind: MessageKind;
  type: MessageType;
  raw?: Uint8Array;
  encrypted: boolean;
}

/** A transcript message's type name, checked against the vocabulary (a name we do not know is a bug, not a mutation). */
function messageType(s: string): MessageType {
  const type = messageTypeOf(s);
  if (type === undefined) throw new Error(`unknown message type ${JSON.stringify(s)}`);
  return type;
}

export function entriesOf(t: Transcript): Entry[] {
  return t.messages.map((m) => {
    const e: Entry = { dir: m.dir, kind: m.kind, type: messageType(m.type), encrypted: m.encrypted };
    if (m.raw) e.raw = m.raw;
    return e;
  });
}

/** Rebuild a transcript from (edited) messages, keeping its endpoints, provenance and secrets. */
export function rebuild(t: Transcript, E: readonly Entry[]): Transcript {
  const b = new TranscriptBuilder(t.provenance);
  for (const e of E) {
    const input: Parameters<TranscriptBuilder['addMessage']>[0] = { dir: e.dir, type: e.type, encrypted: e.encrypted };
    if (e.raw) input.raw = e.raw;
    b.addMessage(input);
  }
  const extra: Parameters<TranscriptBuilder['finish']>[0] = {};
  if (t.client) extra.client = t.client;
  if (t.server) extra.server = t.server;
  if (t.secrets) extra.secrets = t.secrets;
  return b.finish(extra);
}

/** Index of the nth entry of a type (and direction); throws when absent, so an operator that does not apply fails loudly. */
export function at(E: readonly Entry[], type: MessageType, dir?: Direction, nth = 0): number {
  let n = 0;
  for (let i = 0; i < E.length; i++) if (E[i]!.type === type && (!dir || E[i]!.dir === dir) && n++ === nth) return i;
  throw new Error(`no ${dir ?? ''} ${type} #${nth} to mutate`);
}

/** A transcript edit as a `post` step. */
export function edited(fn: (E: Entry[]) => void): (t: Transcript) => Transcript {
  return (t) => {
    const E = entriesOf(t);
    fn(E);
    return rebuild(t, E);
  };
}

export const C: Direction = 'C->S';
export const S: Direction = 'S->C';

// ------------------------------------------------------------------ records

/** A transcript entry with the record that carried it (when it was alone in one record) and the raw it had then. */
export interface FramedEntry extends Entry {
  record?: RecordInput;
  original?: Uint8Array;
}

const CONTENT: Readonly<Record<string, number>> = {
  handshake: ContentType.handshake,
  change_cipher_spec: ContentType.change_cipher_spec,
  alert: ContentType.alert,
  application_data: ContentType.application_data,
};

function framedOf(t: Transcript): FramedEntry[] {
  return t.messages.map((m) => {
    const e: FramedEntry = { dir: m.dir, kind: m.kind, type: messageType(m.type), encrypted: m.encrypted };
    if (m.raw) e.raw = m.raw;
    const only = m.records?.length === 1 ? m.records[0]! : undefined;
    const shared = only !== undefined && t.messages.some((o) => o !== m && o.records?.includes(only));
    const rec = only !== undefined && !shared ? t.records[only] : undefined;
    if (rec) {
      e.record = rec.plaintext ? { dir: rec.dir, raw: rec.raw, plaintext: rec.plaintext } : { dir: rec.dir, raw: rec.raw };
      if (m.raw) e.original = m.raw;
    }
    return e;
  });
}

/**
 * The record of an entry: the original one when the entry is unchanged, else
 * a new one (protected entries get a filler ciphertext of the right size and
 * their plaintext, as a decrypting capture reader would give them).
 */
export function recordOf(e: FramedEntry, tls13: boolean): RecordInput {
  if (e.record && e.raw === e.original) return e.record;
  const inner = CONTENT[e.kind] ?? 23;
  const fragment =
    e.raw ??
    (e.kind === 'change_cipher_spec'
      ? Uint8Array.of(1)
      : e.kind === 'alert'
        ? Uint8Array.of(1, 0)
        : new Uint8Array(16).fill(0x61));
  if (!e.encrypted) return { dir: e.dir, raw: encodeRecord({ contentType: inner, version: VERSION_CODE['1.2'], fragment }) };
  const outer = tls13 ? 23 : inner;
  return {
    dir: e.dir,
    raw: encodeRecord({
      contentType: outer,
      version: VERSION_CODE['1.2'],
      fragment: new Uint8Array(fragment.length + 17).fill(0xc5),
    }),
    plaintext: { contentType: inner, fragment },
  };
}

/** Rebuild a transcript from records, keeping its provenance, endpoints and secrets. */
export function rebuildRecords(t: Transcript, R: readonly RecordInput[]): Transcript {
  const b = new TranscriptBuilder(t.provenance);
  for (const r of R) b.addRecord(r);
  const extra: Parameters<TranscriptBuilder['finish']>[0] = {};
  if (t.client) extra.client = t.client;
  if (t.server) extra.server = t.server;
  if (t.secrets) extra.secrets = t.secrets;
  return b.finish(extra);
}

/**
 * A transcript edit that keeps the record layer: `fn` edits the messages (unchanged
 * ones keep their real records), `rfn` then edits the records.
 */
export function framed(fn: (E: FramedEntry[]) => void, rfn?: (R: RecordInput[]) => void): (t: Transcript) => Transcript {
  return (t) => {
    const tls13 = t.records.some((r) => r.contentType === 23 && r.plaintext?.contentType === 22);
    const E = framedOf(t);
    fn(E);
    const R = E.map((e) => recordOf(e, tls13));
    rfn?.(R);
    return rebuildRecords(t, R);
  };
}

/** Index of the first record of a direction whose (plaintext) content starts with handshake type `hsType`. */
export function recordAt(R: readonly RecordInput[], dir: Direction, contentType: number, first?: number): number {
  const i = R.findIndex(
    (r) =>
      r.dir === dir &&
      (r.plaintext ? r.plaintext.contentType : r.raw[0]) === contentType &&
      (first === undefined || (r.plaintext ? r.plaintext.fragment[0] : r.raw[5]) === first),
  );
  if (i < 0) throw new Error(`no ${dir} record of type ${contentType}${first === undefined ? '' : `/${first}`} to mutate`);
  return i;
}

/** Our client's first ClientHello with each of its key shares passed through `change` (TLS 1.3 key_share). */
export function firstHelloShares(change: (s: KeyShareEntry) => KeyShareEntry): EngineHooks {
  let done = false;
  return {
    beforeSend: (m) => {
      if (done || m.kind !== 'handshake' || m.type !== 'client_hello') return undefined;
      done = true;
      return [
        editRaw(m.raw, { version: VERSION_CODE['1.3'] }, 'client_hello', (b) => {
          const ks = getExt(b.extensions, X.key_share, 'key_share_client');
          if (ks) ks.shares = ks.shares.map(change);
        }),
      ];
    },
  };
}
