/**
 * Mutation operators for the crypto, certificate and resumption rules:
 * engine hooks that change what an endpoint signs or encrypts, server
 * identities with a flawed certificate, second connections that resume
 * (or reuse keys of) a first one, record edits of real ciphertext, and
 * edits of the key material a run leaves for the oracles.
 */
import type { RuleId } from '../../oracles/catalogue';
import { createHmac } from 'node:crypto';
import {
  createRecordProtection,
  generateEcdhKeyPair,
  keyBlock,
  lookupKeyLog,
  parseKeyLog,
  tls12Params,
  tls13Params,
  trafficKeys,
} from '../../crypto';
import type { CryptoProvider, EcdhGroup } from '../../crypto';
import type { ClientConfig, ServerConfig } from '../../engine/config';
import { runInMemory } from '../../engine/memory';
import { ServerSessionCache, newClientSessionStore } from '../../engine/session';
import { CipherSuite13, CipherSuiteDhe12 } from '../../engine/suites';
import { type CertSpec, KeyUsage, buildCert, buildChain, plainCertSpec } from '../../pki/chain';
import type { RecordInput } from '../../transcript/build';
import type { Transcript } from '../../transcript/model';
import type { Extension } from '../../wire/extensions';
import type { DecodeContext } from '../../wire/handshake';
import { concatBytes } from '../../wire/hex';
import { encodeRecord } from '../../wire/record';
import { NamedGroup, SignatureScheme as SS, ExtensionType as X, cipherSuites } from '../../wire/registry';
import { type HandshakeTypeName, type MessageType, VERSION_CODE } from '../../wire/vocabulary';
import { type ClientSends, clientHooks, type Mutation, type ServerSends, serverHooks } from './model';
import { KU_OLD_KEY } from './ops-keyupdate';
import {
  type BaseEnv,
  type BaseName,
  C,
  type FramedEntry,
  type Prepared,
  S,
  at,
  editRaw,
  flipLast,
  framed,
  getExt,
  hsMessage,
  onceOn,
  rebuild,
  rebuildRecords,
  entriesOf,
  recordAt,
  u16,
  versionsOf,
} from './support';

const T12_ALL: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm', 't12-rsa-kex'];
const T12_ECDHE: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm'];
const T13_ALL: readonly BaseName[] = ['t13-server-auth', 't13-mutual'];
const RSA_SERVER: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't13-server-auth'];
const V12: DecodeContext = { version: VERSION_CODE['1.2'] };
const V13: DecodeContext = { version: VERSION_CODE['1.3'] };
const APP = { client: new TextEncoder().encode('PUBLISH a/b hello'), server: new TextEncoder().encode('PUBACK') };

const same = (env: BaseEnv): Prepared => ({ client: env.client, server: env.server });
const ctxOf = (env: BaseEnv): DecodeContext => (env.spec.version === '1.3' ? V13 : V12);

function tx(
  name: string,
  description: string,
  rules: readonly RuleId[],
  bases: readonly BaseName[],
  fn: (E: FramedEntry[]) => void,
  rfn?: (R: RecordInput[]) => void,
  config?: (env: BaseEnv) => Prepared,
): Mutation {
  return {
    name,
    description,
    versions: versionsOf(bases),
    rules,
    where: 'transcript',
    bases,
    apply: (env) => ({ ...(config ? config(env) : same(env)), post: framed(fn, rfn) }),
  };
}
type SendsActs =
  | Pick<ClientSends, 'where' | 'mutate' | 'inMemory' | 'notLive'>
  | Pick<ServerSends, 'where' | 'mutate' | 'inMemory' | 'notLive'>;
/** A mutation of what one of our endpoints sends (where it acts, how, and its in-memory setup in `acts`). */
function hook(
  name: string,
  description: string,
  rules: readonly RuleId[],
  bases: readonly BaseName[],
  acts: SendsActs,
  needs?: Mutation['needs'],
): Mutation {
  return { name, description, versions: versionsOf(bases), rules, bases, ...(needs ? { needs } : {}), ...acts };
}
function config(
  name: string,
  description: string,
  rules: readonly RuleId[],
  bases: readonly BaseName[],
  apply: (env: BaseEnv) => Prepared | Promise<Prepared>,
): Mutation {
  return { name, description, versions: versionsOf(bases), rules, where: 'configuration', bases, apply };
}
/** A certificate chain our in-memory server presents (its identity replaced). */
function serverCertificate(
  name: string,
  description: string,
  rules: readonly RuleId[],
  bases: readonly BaseName[],
  apply: (env: BaseEnv) => Promise<Prepared>,
): Mutation {
  return { name, description, versions: versionsOf(bases), rules, where: 'certificate', presentedBy: 'server', bases, apply };
}
type Replace = (raw: Uint8Array, env: BaseEnv) => Uint8Array[] | Promise<Uint8Array[]>;
/** Our client replaces its first outgoing message of a type. */
const clientReplacing = (type: HandshakeTypeName, fn: Replace) => clientHooks((env) => onceOn(type, (raw) => fn(raw, env)));
/** Our server replaces its first outgoing message of a type. */
const serverReplacing = (type: HandshakeTypeName, fn: Replace) => serverHooks((env) => onceOn(type, (raw) => fn(raw, env)));
const flipBoth =
  (type: MessageType) =>
  (E: FramedEntry[]): void => {
    for (const d of [C, S]) {
      const i = at(E, type, d);
      E[i] = { ...E[i]!, raw: flipLast(E[i]!.raw!) };
    }
  };
/** Edit a handshake message of the transcript (decoded and re-encoded). */
const editMsg =
  <T extends Parameters<typeof editRaw>[2] & HandshakeTypeName>(
    type: T,
    dir: FramedEntry['dir'],
    ctx: DecodeContext,
    fn: Parameters<typeof editRaw<T>>[3],
  ) =>
  (E: FramedEntry[]): void => {
    const i = at(E, type, dir);
    E[i] = { ...E[i]!, raw: editRaw(E[i]!.raw!, ctx, type, fn) };
  };
const setChExt = (ctx: DecodeContext, fn: (x: Extension[]) => Extension[]) =>
  editMsg('client_hello', C, ctx, (b) => {
    b.extensions = fn(b.extensions ?? []);
  });

// ------------------------------------------------------------- SKE scheme

/** The ServerKeyExchange scheme bytes overwritten (the signature itself left as made). */
const skeScheme = (scheme: number) =>
  serverReplacing('server_key_exchange', (raw) => {
    const r = raw.slice();
    r.set(u16(scheme), 4 + 4 + raw[4 + 3]!);
    return [r];
  });

// ----------------------------------------------------------- secrets edits

/** The client's ephemeral private key in the run's key material replaced by another key of the group (the key log then disagrees with it). */
const otherClientKey =
  (env: BaseEnv) =>
  async (t: Transcript): Promise<Transcript> => {
    const eph = t.secrets?.ephemeral?.[0];
    if (!eph?.clientPrivate) throw new Error('the run left no client ephemeral key');
    let priv: Uint8Array;
    if (eph.group === NamedGroup.ffdhe2048 || eph.group === NamedGroup.ffdhe3072)
      priv = eph.clientPrivate.map((b, i) => (i === eph.clientPrivate!.length - 1 ? b ^ 0x02 : b));
    else {
      const name: EcdhGroup =
        eph.group === NamedGroup.x25519 ? 'x25519' : eph.group === NamedGroup.secp384r1 ? 'secp384r1' : 'secp256r1';
      priv = (await generateEcdhKeyPair(env.provider, name)).privateKey;
    }
    return { ...t, secrets: { ...t.secrets, ephemeral: [{ ...eph, clientPrivate: priv }, ...t.secrets!.ephemeral!.slice(1)] } };
  };
const secretsOp = (
  name: string,
  description: string,
  rules: readonly RuleId[],
  bases: readonly BaseName[],
  cfg: (env: BaseEnv) => Prepared = same,
): Mutation => ({
  name,
  description,
  versions: versionsOf(bases),
  rules,
  where: 'transcript',
  bases,
  apply: (env) => ({ ...cfg(env), post: otherClientKey(env) }),
});
/** TLS 1.2 DHE_RSA with ffdhe2048 on an RSA-server base: our client's side. */
const dheClient = (env: BaseEnv): ClientConfig => ({
  ...env.client,
  cipherSuites: [CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256],
  groups: [...(env.client.groups ?? []), NamedGroup.ffdhe2048],
});
/** The server's side of DHE_RSA with ffdhe2048. */
const dheServer = (env: BaseEnv): ServerConfig => ({
  ...env.server,
  cipherSuites: [CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256],
  groups: [NamedGroup.ffdhe2048, ...(env.server.groups ?? [])],
});
const dhe = (env: BaseEnv): Prepared => ({ client: dheClient(env), server: dheServer(env) });

// ------------------------------------------------------ second connections

const otherRandom = (r: Uint8Array | undefined): Uint8Array => {
  const x = Uint8Array.from(r ?? new Uint8Array(32));
  x[0]! ^= 0xa5;
  return x;
};
/**
 * A first connection (whose transcript goes to the check as the earlier
 * one), then the configurations of a second one from the same client and
 * server state: with `resume` it resumes the first session.
 */
async function twoConnections(
  env: BaseEnv,
  opts: {
    resume: boolean;
    client?: Partial<ClientConfig>;
    server?: Partial<ServerConfig>;
    second?: Partial<ClientConfig>;
    earlierPost?: (t: Transcript) => Transcript;
  },
): Promise<Prepared> {
  const store = newClientSessionStore();
  const cache = new ServerSessionCache(env.provider);
  const c1: ClientConfig = {
    ...env.client,
    ...(opts.resume ? { sessionStore: store, sessionTickets12: false } : {}),
    ...opts.client,
  };
  const s1: ServerConfig = {
    ...env.server,
    ...(opts.resume ? { sessionCache: cache, sessionTickets12: false } : {}),
    ...opts.server,
  };
  const first = await runInMemory(c1, s1, {}, { appData: APP, seed: env.choice.seed, plan: `${env.spec.name}/first` });
  if (first.clientOutcome.kind !== 'connected')
    throw new Error(`the first connection did not complete: ${first.clientOutcome.kind}`);
  const earlier = opts.earlierPost ? opts.earlierPost(first.transcript) : first.transcript;
  return { client: { ...c1, random: otherRandom(env.client.random), ...opts.second }, server: s1, check: { earlier: [earlier] } };
}
const resumed = (
  name: string,
  description: string,
  rules: readonly RuleId[],
  bases: readonly BaseName[],
  fn: (E: FramedEntry[]) => void,
  earlierPost?: (t: Transcript) => Transcript,
): Mutation => ({
  name,
  description,
  versions: versionsOf(bases),
  rules,
  where: 'transcript',
  bases,
  apply: async (env) => ({
    ...(await twoConnections(env, earlierPost ? { resume: true, earlierPost } : { resume: true })),
    post: framed(fn),
  }),
});
const requireResumed = (E: FramedEntry[]): void => {
  if (E.some((e) => e.type === 'certificate' && e.dir === S)) throw new Error('the second connection did not resume');
};

// --------------------------------------------------------------- records

const flipRecordByte =
  (pick: (R: RecordInput[]) => number) =>
  (R: RecordInput[]): void => {
    const i = pick(R);
    const raw = R[i]!.raw.slice();
    raw[raw.length - 1]! ^= 0x01;
    R[i] = { ...R[i]!, raw };
  };
const lastProtected =
  (dir: FramedEntry['dir'], contentType: number) =>
  (R: RecordInput[]): number => {
    for (let i = R.length - 1; i >= 0; i--) if (R[i]!.dir === dir && R[i]!.plaintext?.contentType === contentType) return i;
    throw new Error(`no protected ${dir} record of type ${contentType}`);
  };
const duplicateRecord =
  (pick: (R: RecordInput[]) => number) =>
  (R: RecordInput[]): void => {
    const i = pick(R);
    R.splice(i + 1, 0, { ...R[i]! });
  };

const recordsOf = (t: Transcript): RecordInput[] =>
  t.records.map((r) => (r.plaintext ? { dir: r.dir, raw: r.raw, plaintext: r.plaintext } : { dir: r.dir, raw: r.raw }));
const randomsOf = (t: Transcript): { cr: Uint8Array; sr: Uint8Array; suite: number } => {
  const ch = t.messages.find((m) => m.type === 'client_hello')!.raw!;
  const sh = t.messages.find((m) => m.type === 'server_hello' && m.dir === S)!.raw!;
  const sid = sh[4 + 2 + 32]!;
  return { cr: ch.subarray(6, 38), sr: sh.subarray(6, 38), suite: (sh[4 + 2 + 32 + 1 + sid]! << 8) | sh[4 + 2 + 32 + 2 + sid]! };
};
/** Protected client records after the keys changed (what the next sequence number is). */
const clientProtected = (t: Transcript, epoch: string): number =>
  t.records.filter((r) => r.dir === C && r.encrypted && r.epoch === epoch).length;

/** The client's first application traffic protection of a TLS 1.3 run (from its key log). */
const clientAppProtection13 = async (p: CryptoProvider, t: Transcript) => {
  const { cr, suite: id } = randomsOf(t);
  const suite = cipherSuites.get(id)!;
  const secret = lookupKeyLog(parseKeyLog(t.secrets!.keylog!.join('\n')), cr).CLIENT_TRAFFIC_SECRET_0!;
  return createRecordProtection(
    p,
    tls13Params(suite, await trafficKeys(p, suite.prfHash, secret, suite.cipher === 'AES_128_GCM' ? 16 : 32)),
  );
};

/**
 * After a client KeyUpdate, the record that follows it protected again with
 * the old client application key (at the next sequence number), as a sender
 * that announces but does not perform the update would.
 */
const keptOldKey = async (p: CryptoProvider, t: Transcript): Promise<Transcript> => {
  const R = recordsOf(t);
  const ku = R.findIndex((r) => r.dir === C && r.plaintext?.contentType === 22 && r.plaintext.fragment[0] === 24);
  const next = R.findIndex((r, i) => i > ku && r.dir === C && r.plaintext?.contentType === 23);
  if (ku < 0 || next < 0) throw new Error('no client KeyUpdate followed by data');
  const old = await clientAppProtection13(p, t);
  // sequence numbers under the first application key: every client application-epoch record before `next`
  const seq = BigInt(t.records.filter((r, i) => i < next && r.dir === C && r.encrypted && r.epoch === 'application').length);
  const content = R[next]!.plaintext!.fragment;
  const rec = await old.protect(seq, 23, VERSION_CODE['1.2'], content);
  R[next] = {
    dir: C,
    raw: encodeRecord({ contentType: rec.type, version: rec.version, fragment: rec.fragment }),
    plaintext: { contentType: 23, fragment: content },
  };
  return rebuildRecords(t, R);
};

/** A client record appended whose TLS 1.3 inner plaintext is all zeros (no content type), properly protected. */
const zeroInner = async (p: CryptoProvider, t: Transcript): Promise<Transcript> => {
  const rec = await (await clientAppProtection13(p, t)).protect(
    BigInt(clientProtected(t, 'application')),
    0,
    VERSION_CODE['1.2'],
    new Uint8Array(0),
    { padding: 8 },
  );
  const R = recordsOf(t);
  R.push({
    dir: C,
    raw: encodeRecord({ contentType: rec.type, version: rec.version, fragment: rec.fragment }),
    plaintext: { contentType: 0, fragment: new Uint8Array(0) },
  });
  return rebuildRecords(t, R);
};

/**
 * A client CBC record appended (encrypt_then_mac) whose second-to-last
 * padding byte is wrong: the IV byte above it is flipped and the MAC made
 * over the changed ciphertext, so only the padding check fails.
 */
const badPadding = async (p: CryptoProvider, t: Transcript): Promise<Transcript> => {
  const { cr, sr, suite: id } = randomsOf(t);
  const suite = cipherSuites.get(id)!;
  const master = lookupKeyLog(parseKeyLog(t.secrets!.keylog!.join('\n')), cr).CLIENT_RANDOM!;
  const kb = await keyBlock(p, suite, master, cr, sr);
  const params = tls12Params(suite, kb, 'client', true);
  if (!('macKey' in params)) throw new Error('not a CBC suite');
  const seq = BigInt(clientProtected(t, 'application'));
  const content = new TextEncoder().encode('ten bytes!');
  const rec = await (await createRecordProtection(p, params)).protect(seq, 23, VERSION_CODE['1.2'], content, {
    iv: new Uint8Array(16).fill(0x24),
  });
  const macLen = params.mac === 'SHA-384' ? 48 : params.mac === 'SHA-256' ? 32 : 20;
  const body = rec.fragment.slice(0, rec.fragment.length - macLen);
  body[14]! ^= 0x01;
  const header = concatBytes([
    new Uint8Array(new BigUint64Array([seq]).buffer).reverse(),
    Uint8Array.of(23, 3, 3),
    u16(body.length),
  ]);
  const mac = new Uint8Array(
    createHmac(params.mac.replace('-', '').toLowerCase(), params.macKey)
      .update(concatBytes([header, body]))
      .digest(),
  );
  const R = recordsOf(t);
  R.push({
    dir: C,
    raw: encodeRecord({ contentType: 23, version: VERSION_CODE['1.2'], fragment: concatBytes([body, mac]) }),
    plaintext: { contentType: 23, fragment: content },
  });
  return rebuildRecords(t, R);
};

/**
 * A client GCM record appended at its next sequence number, properly sealed, but with the nonce_explicit of the
 * client's first protected record (its Finished): a sender whose explicit nonce does not advance.
 */
const reusedNonce = async (p: CryptoProvider, t: Transcript): Promise<Transcript> => {
  const { cr, sr, suite: id } = randomsOf(t);
  const suite = cipherSuites.get(id)!;
  const master = lookupKeyLog(parseKeyLog(t.secrets!.keylog!.join('\n')), cr).CLIENT_RANDOM!;
  const params = tls12Params(suite, await keyBlock(p, suite, master, cr, sr), 'client', false);
  const first = t.records.find((r) => r.dir === C && r.encrypted);
  if (!first || 'macKey' in params) throw new Error('not a TLS 1.2 GCM connection with a protected client record');
  const content = new TextEncoder().encode('same nonce');
  const rec = await (await createRecordProtection(p, params)).protect(
    BigInt(clientProtected(t, 'application')),
    23,
    VERSION_CODE['1.2'],
    content,
    { explicitNonce: first.raw.slice(5, 13) },
  );
  const R = recordsOf(t);
  R.push({
    dir: C,
    raw: encodeRecord({ contentType: rec.type, version: rec.version, fragment: rec.fragment }),
    plaintext: { contentType: 23, fragment: content },
  });
  return rebuildRecords(t, R);
};

// ------------------------------------------------------------------- certs

const certSpec = plainCertSpec;
const rootSpec = certSpec('CN=tlsprop mutation root', {
  basicConstraints: { ca: true },
  keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
});
const leafSpec = (over: Partial<CertSpec> = {}): CertSpec =>
  certSpec('CN=localhost', {
    key: { type: 'rsa2048', index: 1 },
    serial: '10',
    keyUsage: KeyUsage.digitalSignature | KeyUsage.keyEncipherment,
    extKeyUsage: ['serverAuth'],
    san: { dns: ['localhost', 'example.test'], ips: [] },
    ...over,
  });
const SHA256_RSA = '06092a864886f70d01010b';
/** Replace hex `from` by `to` (same length) at its last (or every) occurrence. */
const patch = (der: Uint8Array, from: string, to: string, every = false): Uint8Array => {
  const h = Buffer.from(der).toString('hex');
  const out = every
    ? h.split(from).join(to)
    : `${h.slice(0, h.lastIndexOf(from))}${to}${h.slice(h.lastIndexOf(from) + from.length)}`;
  return Uint8Array.from(Buffer.from(out, 'hex'));
};
/** A server identity from an RSA leaf under a fresh root (the check trusts the root), with the leaf DER transformed by `leafDer`. */
const ownChain =
  (leaf: Partial<CertSpec>, leafDer: (d: Uint8Array) => Uint8Array = (d) => d) =>
  async (env: BaseEnv): Promise<Prepared> => {
    const [l, root] = await buildChain([leafSpec(leaf), rootSpec], env.pki.pool, env.provider);
    const client = { ...env.client, serverName: 'localhost' };
    delete client.trustAnchors;
    return {
      client,
      server: { ...env.server, identity: { chain: [leafDer(l!.der)], pkcs8: l!.key.pkcs8, spki: l!.key.spki } },
      check: { trustAnchors: [root!.der], privateKeys: [l!.key.pkcs8] },
    };
  };
/** A DER NameConstraints value with one permitted dNSName subtree. */
const permittedDns = (name: string): Uint8Array => {
  const n = new TextEncoder().encode(name);
  const subtree = Uint8Array.of(0x30, n.length + 2, 0x82, n.length, ...n);
  return Uint8Array.of(0x30, subtree.length + 2, 0xa0, subtree.length, ...subtree);
};
/** A root that permits only names under example.com, and a leaf for localhost under it. */
const constrainedIdentity = async (env: BaseEnv): Promise<Prepared> => {
  const root = await buildCert(
    {
      ...rootSpec,
      subject: 'CN=tlsprop constrained root',
      key: { type: 'rsa2048', index: 2 },
      serial: '0e',
      keyUsage: KeyUsage.keyCertSign,
      extraExtensions: [{ oid: '2.5.29.30', critical: true, value: permittedDns('example.com') }],
    },
    undefined,
    env.pki.pool,
    env.provider,
  );
  const der = root.der;
  const leaf = await buildCert(leafSpec({ san: { dns: ['localhost'], ips: [] } }), root, env.pki.pool, env.provider);
  const client = { ...env.client, serverName: 'localhost' };
  delete client.trustAnchors;
  return {
    client,
    server: { ...env.server, identity: { chain: [leaf.der], pkcs8: leaf.key.pkcs8, spki: leaf.key.spki } },
    check: { trustAnchors: [der], privateKeys: [leaf.key.pkcs8] },
  };
};
/** The server Certificate message's list replaced (its own signatures then cover what it sent). */
const serverChain = (fn: (chain: Uint8Array[], env: BaseEnv) => Uint8Array[]) =>
  serverHooks((env) =>
    onceOn('certificate', (raw) => [
      editRaw(raw, ctxOf(env), 'certificate', (b) => {
        if (b.form === 'tls12') b.certificates = fn(b.certificates, env);
        else {
          const certs = fn(
            b.entries.map((e) => e.data),
            env,
          );
          b.entries = certs.map((data) => ({ data, extensions: [] }));
        }
      }),
    ]),
  );

export const KEY_MUTATIONS: readonly Mutation[] = [
  // ---- signatures
  hook(
    't12-ske-scheme-says-pkcs1',
    'the ServerKeyExchange names rsa_pkcs1_sha256 for its RSA-PSS signature',
    ['sig.rsa-pkcs1-strict'],
    ['t12-ecdhe-rsa-cbc-mutual'],
    skeScheme(SS.rsa_pkcs1_sha256),
  ),
  hook(
    't12-ske-scheme-says-ed25519',
    'the ServerKeyExchange of an RSA key names ed25519',
    ['sig.eddsa-usage'],
    ['t12-ecdhe-rsa-cbc-mutual'],
    skeScheme(SS.ed25519),
  ),
  // ---- Finished and key schedule
  tx(
    't12-both-finished-wrong',
    'both Finished messages with their last verify_data byte flipped',
    ['t12.fin.verify-data', 't12.ks.prf'],
    T12_ALL,
    flipBoth('finished'),
  ),
  tx(
    't13-both-finished-wrong',
    'both Finished messages with their last verify_data byte flipped',
    ['t13.fin.verify-data', 't13.ks.transcript-hash', 't13.ks.hkdf-expand-label'],
    T13_ALL,
    flipBoth('finished'),
  ),
  tx(
    't13-drop-certificate-request',
    'the CertificateRequest removed from a client-authenticated handshake',
    ['t13.fin.transcript-scope'],
    ['t13-mutual'],
    (E) => void E.splice(at(E, 'certificate_request', S), 1),
  ),
  secretsOp(
    't12-ems-from-other-key',
    'the extended master secret derived from a client ECDHE key other than the one sent',
    ['t12.ks.ems', 't12.ks.pms-ecdh', 'ecdh.symmetry'],
    T12_ECDHE,
  ),
  secretsOp(
    't12-master-from-other-key',
    'without extended master secret, the master secret derived from a client ECDHE key other than the one sent',
    ['t12.ks.master-secret', 'ecdh.shared-secret-encoding'],
    T12_ECDHE,
    (env) => ({ client: { ...env.client, extendedMasterSecret: false }, server: env.server }),
  ),
  secretsOp(
    't13-schedule-from-other-key',
    'the TLS 1.3 key schedule fed from a client key share other than the one sent',
    ['t13.ks.schedule', 't13.ks.secrets'],
    T13_ALL,
  ),
  secretsOp(
    't12-dhe-from-other-key',
    'the DHE premaster derived from a client private value other than the one sent',
    ['t12.ks.pms-dh'],
    ['t12-ecdhe-rsa-cbc-mutual'],
    dhe,
  ),
  // ---- key exchange values
  hook(
    't12-dhe-client-public-one',
    'the DHE ClientKeyExchange public value is 1',
    ['dh.pubkey-range'],
    ['t12-ecdhe-rsa-cbc-mutual'],
    {
      where: 'client-sends',
      mutate: (env) => ({
        config: dheClient(env),
        hooks: onceOn('client_key_exchange', () => [hsMessage(16, Uint8Array.of(0, 1, 1))]),
      }),
      inMemory: (env) => ({ server: dheServer(env) }),
    },
    { kex: 'DHE' },
  ),
  tx(
    't12-dhe-weak-prime',
    'the DHE ServerKeyExchange offers a 521-bit prime',
    ['dh.group-strength'],
    ['t12-ecdhe-rsa-cbc-mutual'],
    (E) => {
      const i = at(E, 'server_key_exchange', S);
      const raw = E[i]!.raw!;
      const pl = (raw[4]! << 8) | raw[5]!;
      const p = Uint8Array.from(Buffer.from(((1n << 521n) - 1n).toString(16).padStart(132, '0'), 'hex'));
      E[i] = { ...E[i]!, raw: hsMessage(12, concatBytes([u16(p.length), p, raw.subarray(6 + pl)])) };
    },
    undefined,
    dhe,
  ),
  tx(
    't13-ffdhe-share-short',
    'a ClientHello ffdhe2048 key share of 255 bytes',
    ['dh.share-encoding'],
    T13_ALL,
    setChExt(V13, (x) => {
      const ks = getExt(x, X.key_share, 'key_share_client');
      if (ks) ks.shares.push({ group: NamedGroup.ffdhe2048, keyExchange: new Uint8Array(255).fill(2) });
      return x;
    }),
  ),
  tx(
    't13-sh-share-group-relabelled',
    'the ServerHello key share labelled secp256r1 though the client sent no share for it',
    ['ecdh.same-group'],
    T13_ALL,
    editMsg('server_hello', S, V13, (b) => {
      const ks = getExt(b.extensions, X.key_share, 'key_share_server');
      if (ks) ks.share.group = ks.share.group === NamedGroup.secp256r1 ? NamedGroup.secp384r1 : NamedGroup.secp256r1;
    }),
  ),
  config(
    'ecdhe-key-reused',
    'the client uses the same ephemeral key pair in two connections',
    ['ecdh.independent-shares'],
    [...T12_ECDHE, ...T13_ALL],
    async (env) => {
      const g = env.choice.group;
      const kp = await generateEcdhKeyPair(
        env.provider,
        g === NamedGroup.x25519 ? 'x25519' : g === NamedGroup.secp384r1 ? 'secp384r1' : 'secp256r1',
      );
      return twoConnections(env, { resume: false, client: { ephemeral: [kp] } });
    },
  ),
  hook(
    't12-rsa-cke-no-length',
    'the RSA ClientKeyExchange without its two-byte length prefix (SSL 3.0 style)',
    ['t12.rsa.cke-encoding'],
    ['t12-rsa-kex'],
    {
      ...clientReplacing('client_key_exchange', (raw) => [hsMessage(16, raw.subarray(6))]),
      notLive: 'a ClientKeyExchange edit not yet in the live conversation list (issue #14 key-exchange families)',
    },
    { kex: 'RSA' },
  ),
  // ---- record protection
  tx(
    't12-server-record-corrupt',
    'the last byte of the server application data record flipped on the wire',
    ['rec.integrity'],
    T12_ALL,
    () => {},
    flipRecordByte(lastProtected(S, 23)),
  ),
  tx(
    't13-server-handshake-record-corrupt',
    'the last byte of the server Certificate record flipped on the wire',
    ['rec.integrity'],
    T13_ALL,
    () => {},
    flipRecordByte((R) => recordAt(R, S, 22, 11)),
  ),
  tx(
    't13-record-replayed',
    'the client application data record sent twice (same nonce)',
    ['rec.t13.nonce-seq'],
    T13_ALL,
    () => {},
    duplicateRecord(lastProtected(C, 23)),
  ),
  tx(
    't12-record-replayed',
    'the client application data record sent twice (same sequence number)',
    ['rec.t12.seq-reset'],
    T12_ALL,
    () => {},
    duplicateRecord(lastProtected(C, 23)),
  ),
  {
    name: 't13-inner-plaintext-all-zeros',
    description: 'a client record whose inner plaintext is all zeros (no content type)',
    versions: ['1.3'],
    rules: ['rec.t13.inner-plaintext'],
    where: 'transcript',
    bases: T13_ALL,
    apply: (env) => ({ ...same(env), post: (t) => zeroInner(env.provider, t) }),
  },
  {
    name: 't12-cbc-bad-padding',
    description: 'a client CBC record (encrypt_then_mac) with one wrong padding byte and a valid MAC',
    versions: ['1.2'],
    rules: ['rec.t12.cbc-padding'],
    where: 'transcript',
    bases: ['t12-ecdhe-rsa-cbc-mutual'],
    apply: (env) => ({ ...same(env), post: (t) => badPadding(env.provider, t) }),
  },
  {
    name: 't12-gcm-nonce-reused',
    description: "a client GCM record, properly sealed at its sequence number, that repeats its Finished record's nonce_explicit",
    versions: ['1.2'],
    rules: ['rec.t12.aead-explicit-nonce-unique'],
    where: 'transcript',
    bases: ['t12-ecdhe-ecdsa-gcm'],
    apply: (env) => ({ ...same(env), post: (t) => reusedNonce(env.provider, t) }),
  },
  {
    name: 't13-keyupdate-old-key',
    description: 'the client sends KeyUpdate, then protects its next record with the old key',
    versions: ['1.3'],
    rules: ['t13.ks.key-update', 'rec.t13.keyupdate-keys'],
    where: 'transcript',
    keyUpdate: KU_OLD_KEY,
    bases: T13_ALL,
    apply: (env) => ({
      ...same(env),
      memory: { keyUpdates: [{ side: 'client', requestUpdate: false }] },
      post: (t) => keptOldKey(env.provider, t),
    }),
  },
  // ---- certificates
  serverCertificate(
    'cert-critical-unknown-extension',
    "the leaf's critical keyUsage extension relabelled as the unknown 2.5.29.99",
    ['cert.path.critical-extensions'],
    RSA_SERVER,
    ownChain({}, (d) => patch(d, '0603551d0f', '0603551d63')),
  ),
  serverCertificate(
    'cert-outer-sigalg-differs',
    "the leaf's outer signatureAlgorithm says sha384WithRSA, the inner sha256WithRSA",
    ['cert.sig-alg-fields-match'],
    RSA_SERVER,
    ownChain({}, (d) => patch(d, SHA256_RSA, '06092a864886f70d01010c')),
  ),
  serverCertificate(
    'cert-md5-signature',
    'the leaf signature algorithm relabelled md5WithRSAEncryption',
    ['cert.weak-hash'],
    RSA_SERVER,
    ownChain({}, (d) => patch(d, SHA256_RSA, '06092a864886f70d010104', true)),
  ),
  serverCertificate(
    'cert-leaf-ku-encipher-only',
    'an ECDHE server signs with a leaf whose keyUsage is keyEncipherment only',
    ['cert.leaf.key-usage'],
    RSA_SERVER,
    ownChain({ keyUsage: KeyUsage.keyEncipherment }),
  ),
  serverCertificate(
    'cert-name-constraints-violated',
    'the leaf names localhost under a root whose name constraints permit only example.com',
    ['cert.path.name-constraints'],
    RSA_SERVER,
    constrainedIdentity,
  ),
  hook(
    'cert-garbage-entry',
    'a five-byte non-certificate appended to the server chain',
    ['cert.type-x509v3'],
    [...T12_ALL, ...T13_ALL],
    serverChain((c) => [...c, Uint8Array.of(0x30, 3, 1, 2, 3)]),
  ),
  hook(
    'cert-empty-server-chain',
    'the server Certificate message lists no certificate',
    ['cert.chain.server-nonempty'],
    [...T12_ALL, ...T13_ALL],
    serverChain(() => []),
  ),
  hook(
    'cert-unrelated-second',
    "the server chain's intermediate replaced by the client's certificate, which did not issue the leaf",
    ['cert.chain.leaf-first'],
    T12_ALL,
    {
      ...serverChain((c, env) => [c[0]!, env.pki.identity('client', 'rsa').chain[0]!]),
      // RFC 8446 §4.4.2: implementations "SHOULD be prepared to handle potentially extraneous certificates and
      // arbitrary orderings from any TLS version": a client that builds its path anyway is right
      notLive: 'receivers should tolerate extraneous certificates (RFC 8446 §4.4.2)',
    },
  ),
  hook(
    'cert-ca-first',
    'the root CA certificate put in front of the server chain',
    ['cert.chain.leaf-first'],
    [...T12_ALL, ...T13_ALL],
    {
      ...serverChain((c, env) => [env.pki.anchors[0]!, ...c]),
      notLive: 'receivers should tolerate arbitrary orderings (RFC 8446 §4.4.2)',
    },
  ),
  tx(
    'cert-chain-alg-not-offered',
    'the ClientHello signature_algorithms list only rsa_pss_rsae_sha256, which does not cover the server chain',
    ['cert.sigalgs.server-chain'],
    ['t12-ecdhe-rsa-cbc-mutual'],
    setChExt(V12, (x) =>
      x.map((e) =>
        e.type === X.signature_algorithms
          ? { type: e.type, body: { kind: 'signature_algorithms' as const, schemes: [SS.rsa_pss_rsae_sha256] } }
          : e,
      ),
    ),
  ),
  tx(
    'cert-client-chain-alg-not-requested',
    'the CertificateRequest lists only rsa_pss_rsae_sha256, which does not cover the client chain',
    ['cert.sigalgs.client-chain'],
    ['t12-ecdhe-rsa-cbc-mutual'],
    editMsg('certificate_request', S, V12, (b) => {
      if (b.form === 'tls12') b.signatureAlgorithms = [SS.rsa_pss_rsae_sha256];
    }),
  ),
  tx(
    'cert-client-type-not-requested',
    'the CertificateRequest asks for ecdsa_sign only and the client sends an RSA certificate',
    ['cert.client.cert-types'],
    ['t12-ecdhe-rsa-cbc-mutual'],
    editMsg('certificate_request', S, V12, (b) => {
      if (b.form === 'tls12') b.certificateTypes = [64];
    }),
  ),
  tx(
    'cert-server-key-not-offered',
    'the ClientHello offers only ECDSA schemes and the server presents an RSA certificate',
    ['cert.server-selection'],
    ['t12-ecdhe-rsa-cbc-mutual'],
    setChExt(V12, (x) =>
      x.map((e) =>
        e.type === X.signature_algorithms
          ? { type: e.type, body: { kind: 'signature_algorithms' as const, schemes: [SS.ecdsa_secp256r1_sha256] } }
          : e,
      ),
    ),
  ),
  hook(
    'cert-t13-unsolicited-sct',
    'a signed_certificate_timestamp entry extension the client did not ask for',
    ['cert.t13.entry-extensions'],
    T13_ALL,
    serverReplacing('certificate', (raw) => [
      editRaw(raw, V13, 'certificate', (b) => {
        if (b.form === 'tls13') b.entries[0]!.extensions = [{ type: 18, body: { kind: 'opaque', data: Uint8Array.of(0, 0) } }];
      }),
    ]),
  ),
  tx(
    'cert-t13-bad-oid-filters',
    'the CertificateRequest carries a malformed oid_filters extension',
    ['cert.t13.oid-filters'],
    ['t13-mutual'],
    editMsg('certificate_request', S, V13, (b) => {
      if (b.form === 'tls13')
        b.extensions = [
          ...b.extensions,
          { type: X.oid_filters, body: { kind: 'opaque', data: Uint8Array.of(0, 6, 3, 0x55, 0x1d, 0x1e, 0, 0) } },
        ];
    }),
  ),
  // ---- resumption
  resumed(
    't12-resume-other-suite',
    'the abbreviated handshake selects another suite than the resumed session',
    ['t12.neg.resume-consistency'],
    T12_ALL,
    (E) => {
      requireResumed(E);
      editMsg('server_hello', S, V12, (b) => {
        b.cipherSuite = b.cipherSuite === 0xc02f ? 0xc030 : 0xc02f;
      })(E);
    },
  ),
  resumed(
    't12-resume-without-ems',
    'the client resumes an extended-master-secret session without offering extended_master_secret',
    ['ext.ems.resumption'],
    T12_ALL,
    (E) => {
      requireResumed(E);
      setChExt(V12, (x) => x.filter((e) => e.type !== X.extended_master_secret))(E);
    },
  ),
  resumed(
    't12-resume-other-sni',
    'the client resumes the session for another server_name',
    ['ext.sni.resumption'],
    T12_ALL,
    (E) => {
      requireResumed(E);
      setChExt(V12, (x) =>
        x.map((e) =>
          e.type === X.server_name
            ? {
                type: e.type,
                body: { kind: 'server_name' as const, names: [{ nameType: 0, name: new TextEncoder().encode('other.example') }] },
              }
            : e,
        ),
      )(E);
    },
  ),
  resumed(
    't12-resume-after-fatal',
    'a session resumed although its connection ended with a fatal alert',
    ['alert.t12.no-resume-after-fatal'],
    T12_ALL,
    requireResumed,
    (t) => {
      const E = entriesOf(t);
      E.push({ dir: S, kind: 'alert', type: 'alert', raw: Uint8Array.of(2, 80), encrypted: true });
      return rebuild(t, E);
    },
  ),
  resumed(
    't13-psk-binder-wrong',
    'the resumption ClientHello binder with its last byte flipped',
    ['t13.psk.binder', 't13.ks.resumption-psk'],
    T13_ALL,
    (E) => {
      const i = at(E, 'client_hello', C);
      if (!getExtOf(E[i]!.raw!)) throw new Error('the second connection offered no PSK');
      E[i] = { ...E[i]!, raw: flipLast(E[i]!.raw!) };
    },
  ),
  resumed(
    't13-resume-suite-other-hash',
    "the server resumes the ticket with a cipher suite of another hash than the ticket's original connection",
    ['t13.psk.suite-hash'],
    T13_ALL,
    editMsg('server_hello', S, V13, (b) => {
      if (!getExt(b.extensions, X.pre_shared_key, 'pre_shared_key_server'))
        throw new Error('the second connection did not resume');
      b.cipherSuite =
        b.cipherSuite === CipherSuite13.TLS_AES_256_GCM_SHA384
          ? CipherSuite13.TLS_AES_128_GCM_SHA256
          : CipherSuite13.TLS_AES_256_GCM_SHA384;
    }),
  ),
  {
    name: 't13-ticket-age-wrong',
    description: 'the resumption ClientHello obfuscated_ticket_age is the ticket age plus 2^31, not plus ticket_age_add',
    versions: ['1.3'],
    rules: ['t13.psk.obfuscated-age'],
    where: 'transcript',
    bases: T13_ALL,
    async apply(env) {
      const p = await twoConnections(env, { resume: true });
      const nst = p.check!.earlier![0]!.messages.find((m) => m.type === 'new_session_ticket')!.raw!;
      const ageAdd = ((nst[8]! << 24) | (nst[9]! << 16) | (nst[10]! << 8) | nst[11]!) >>> 0;
      return {
        ...p,
        post: framed(
          editMsg('client_hello', C, V13, (b) => {
            const psk = getExt(b.extensions, X.pre_shared_key, 'pre_shared_key_client');
            if (!psk) throw new Error('the second connection offered no PSK');
            // an age the client clock could give and that no ticket_age_add makes plausible
            for (const id of psk.identities)
              id.obfuscatedTicketAge = (id.obfuscatedTicketAge - ageAdd + 2 ** 32 + 0x80000000) % 2 ** 32;
          }),
        ),
      };
    },
  },
];

function getExtOf(ch: Uint8Array): boolean {
  let found = false;
  editRaw(ch, V13, 'client_hello', (b) => {
    found = !!getExt(b.extensions, X.pre_shared_key, 'pre_shared_key_client');
  });
  return found;
}
