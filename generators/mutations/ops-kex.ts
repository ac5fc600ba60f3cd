/**
 * The key exchange family (our client's values, towards servers): finite
 * field DH public values out of range — 0, 1 (ops-keys.ts), p - 1, p, and
 * one longer than p — in a TLS 1.2 DHE ClientKeyExchange and in a TLS 1.3
 * FFDHE key share, a TLS 1.3 FFDHE share a byte short; X25519 values of low
 * order and of the wrong length in both versions (tlsfuzzer's
 * dhe-rsa-key-exchange-with-bad-messages, tls13-ffdhe-groups, x25519,
 * tls13-crfg-curves).
 *
 * Small subgroups: the RFC 7919 groups are safe primes, so the only small
 * subgroup is {1, p - 1} (order 2); 1 and p - 1 are the small-subgroup
 * values (RFC 7919 §5.1: "This check ensures that the remote peer is
 * properly behaved and isn't forcing the local system into a small
 * subgroup"). NIST curves have cofactor 1; X25519's low-order points are
 * the small-subgroup inputs there (RFC 7748 §6.1).
 */
import { constants, type KeyObject, publicEncrypt, X509Certificate } from 'node:crypto';
import { ffdheParams, x25519SmallOrderPoints } from '../../crypto';
import type { ClientConfig } from '../../engine/config';
import type { EngineHooks } from '../../engine/hooks';
import { CipherSuiteDhe12 } from '../../engine/suites';
import { decodeHandshake } from '../../wire/handshake';
import { concatBytes } from '../../wire/hex';
import { ExtensionType as X, NamedGroup } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { ClientSends, Mutation, ServerSends } from './model';
import { type BaseEnv, type BaseName, editRaw, firstHelloShares, getExt, hsMessage, onceOn, tracked, u16 } from './support';

const T12: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual'];
const T13: readonly BaseName[] = ['t13-server-auth', 't13-mutual'];
const P2048 = ffdheParams('ffdhe2048').p;

const big = (b: Uint8Array): bigint => (b.length ? BigInt(`0x${Buffer.from(b).toString('hex')}`) : 0n);
/** A big-endian value in exactly `len` bytes. */
const bytes = (n: bigint, len: number): Uint8Array => Uint8Array.from(Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex'));

/** What replaces the public value, given the group prime p. */
type Value = (p: Uint8Array) => Uint8Array;
const ZERO: Value = () => Uint8Array.of(0);
const P_MINUS_ONE: Value = (p) => bytes(big(p) - 1n, p.length);
const P: Value = (p) => p.slice();
/** 2^(8 len(p)): one byte longer than p, larger than it. */
const OVERSIZE: Value = (p) => concatBytes([Uint8Array.of(1), new Uint8Array(p.length)]);

/** The dh_p of a TLS 1.2 DHE ServerKeyExchange (header(4) p<1..2^16-1> ...). */
function skeP(raw: Uint8Array): Uint8Array {
  const n = (raw[4]! << 8) | raw[5]!;
  return raw.subarray(6, 6 + n);
}

/** Our DHE ClientKeyExchange carries `value(p)` (p from the server's ServerKeyExchange). */
const dheCke = (value: Value): EngineHooks => {
  let p: Uint8Array | undefined;
  let done = false;
  return tracked(
    (m) => {
      if (done || m.kind !== 'handshake' || m.type !== 'client_key_exchange' || !p) return undefined;
      done = true;
      const y = value(p);
      return [hsMessage(16, concatBytes([u16(y.length), y]))];
    },
    (m) => {
      if (m.type === 'server_key_exchange') p = skeP(m.raw).slice();
      return undefined;
    },
  );
};

/** Our client offers DHE_RSA with ffdhe2048 (in memory; live the conversation's suite is a probed DHE one). */
const dheClient = (env: BaseEnv): ClientConfig => ({
  ...env.client,
  versions: [VERSION_CODE['1.2']],
  cipherSuites: env.client.cipherSuites?.some(
    (s) =>
      s === CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 || s === CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
  )
    ? env.client.cipherSuites
    : [CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256],
  groups: [...(env.client.groups ?? []).filter((g) => g !== NamedGroup.ffdhe2048), NamedGroup.ffdhe2048],
});

/** Every key share of the first ClientHello carries `value`. */
const shareValue = (value: Uint8Array): EngineHooks => firstHelloShares((s) => ({ ...s, keyExchange: value }));

/** The first ClientKeyExchange we send carries `value(ours)` as its ECDH value (opaque point<1..2^8-1>; RFC 8422 §5.7). */
const ckeValue = (value: (ours: Uint8Array) => Uint8Array): EngineHooks =>
  onceOn('client_key_exchange', (raw) => {
    const v = value(raw.subarray(5));
    return [hsMessage(16, Uint8Array.of(v.length, ...v))];
  });

/** Our client's one-version offer, with hooks. */
const hooks = (
  h: (env: BaseEnv) => EngineHooks,
  config?: (env: BaseEnv) => ClientConfig,
): Pick<ClientSends, 'where' | 'mutate'> => ({
  where: 'client-sends',
  mutate: (env) => ({
    config: config ? config(env) : { ...env.client, versions: [VERSION_CODE[env.spec.version]] },
    hooks: h(env),
  }),
});

/** The RSA public key of the server's certificate and its modulus. */
interface RsaKey {
  key: KeyObject;
  n: Uint8Array;
}
/**
 * Our RSA ClientKeyExchange replaced by `make(key)`, an EncryptedPreMasterSecret made for the key of the leaf
 * certificate the server sent; our client goes on with the premaster it chose, so its Finished cannot open at a server
 * that (as RFC 5246 §7.4.7.1 has it) goes on with a random premaster.
 */
const rsaCke = (make: (k: RsaKey) => Uint8Array): EngineHooks => {
  let key: RsaKey | undefined;
  let done = false;
  return tracked(
    (m) => {
      if (done || m.kind !== 'handshake' || m.type !== 'client_key_exchange' || !key) return undefined;
      done = true;
      const enc = make(key);
      return [hsMessage(16, concatBytes([u16(enc.length), enc]))];
    },
    (m) => {
      if (key || m.kind !== 'handshake' || m.type !== 'certificate') return undefined;
      const b = decodeHandshake(m.raw, { version: VERSION_CODE['1.2'] }).message.body;
      const leaf = b.type === 'certificate' && b.form === 'tls12' ? b.certificates[0] : undefined;
      const k = leaf ? new X509Certificate(Buffer.from(leaf)).publicKey : undefined;
      const jwk = k?.asymmetricKeyType === 'rsa' ? k.export({ format: 'jwk' }) : undefined;
      if (k && jwk?.n) key = { key: k, n: Uint8Array.from(Buffer.from(jwk.n, 'base64url')) };
      return undefined;
    },
  );
};
/** `data` encrypted with PKCS#1 v1.5 padding (RFC 8017 §7.2.1), as a well-formed premaster is. */
const pkcs1 = (k: RsaKey, data: Uint8Array): Uint8Array =>
  new Uint8Array(publicEncrypt({ key: k.key, padding: constants.RSA_PKCS1_PADDING }, data));
/** A raw RSA block `block` (as long as the modulus) encrypted without padding. */
const raw = (k: RsaKey, block: Uint8Array): Uint8Array =>
  new Uint8Array(publicEncrypt({ key: k.key, padding: constants.RSA_NO_PADDING }, block));
/** A 48-byte premaster of version 0x0303 in a block of block type 1 (signature padding, 0xff) instead of 2. */
const blockType1 = (k: RsaKey): Uint8Array => {
  const pms = Uint8Array.of(3, 3, ...new Array<number>(46).fill(0x5a));
  return raw(
    k,
    concatBytes([Uint8Array.of(0, 1), new Uint8Array(k.n.length - 3 - pms.length).fill(0xff), Uint8Array.of(0), pms]),
  );
};

/** A PKCS#1 type 2 block of `pad` (nonzero padding) then `rest` (separator and premaster, or none), as long as the modulus. */
const block2 = (k: RsaKey, rest: Uint8Array, pad: (n: number) => Uint8Array = (n) => new Uint8Array(n).fill(0x5b)): Uint8Array =>
  raw(k, concatBytes([Uint8Array.of(0, 2), pad(k.n.length - 2 - rest.length), rest]));
const PMS = Uint8Array.of(3, 3, ...new Array<number>(46).fill(0x5a));

/**
 * `secret`: whether the fault shows only once the block is decrypted (padding, separator, premaster length or version):
 * our ChangeCipherSpec then waits for the server's answer to the ClientKeyExchange alone, and our Finished for its
 * answer to the ChangeCipherSpec, neither of which may be an alert (t12.rsa.no-oracle). A ciphertext not of the modulus' length, or not below the modulus, fails a check anyone
 * can make without the key (RFC 8017 §7.2.2 step 1, RSADP's range check in §5.1.2): an early answer to it tells nothing
 * of a plaintext, so that flight is not split (OpenSSL 3.0, GnuTLS and Node alert at once there).
 */
const rsa = (name: string, description: string, make: (k: RsaKey) => Uint8Array, secret = true): ClientSends => ({
  name,
  description,
  versions: ['1.2'],
  rules: ['t12.ks.pms-rsa'],
  // RFC 5246 §7.4.7.1: the server goes on with a random premaster and the handshake fails at our Finished
  reactionRules: ['t12.rsa.no-oracle'],
  bases: ['t12-rsa-kex'],
  needs: { kex: 'RSA' },
  // live, the server's answer to the ClientKeyExchange alone is seen before our Finished (t12.rsa.no-oracle)
  ...(secret ? { holdFinished: true as const } : {}),
  ...hooks(() => rsaCke(make)),
});

const dhe = (name: string, description: string, value: Value): ClientSends => ({
  name,
  description,
  versions: ['1.2'],
  rules: ['dh.pubkey-range'],
  bases: T12,
  needs: { kex: 'DHE' },
  ...hooks(() => dheCke(value), dheClient),
  inMemory: (env) => ({
    server: {
      ...env.server,
      cipherSuites: [CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256],
      groups: [NamedGroup.ffdhe2048, ...(env.server.groups ?? [])],
    },
  }),
});

/** A TLS 1.3 FFDHE key share (ffdhe2048) whose value is `value(p)`, padded to the length of p where it is shorter. */
const ffdhe = (
  name: string,
  description: string,
  value: Value,
  rules: ClientSends['rules'] = ['dh.pubkey-range'],
): ClientSends => ({
  name,
  description,
  versions: ['1.3'],
  rules,
  bases: T13,
  needs: { groups: [NamedGroup.ffdhe2048] },
  ...hooks(
    () => {
      const v = value(P2048);
      return shareValue(v.length < P2048.length ? concatBytes([new Uint8Array(P2048.length - v.length), v]) : v);
    },
    (env) => onlyGroup(env, NamedGroup.ffdhe2048),
  ),
  // in memory our client offers ffdhe2048 alone (live: the conversation's only group, from needs.groups)
  inMemory: (env) => ({ server: { ...env.server, groups: [NamedGroup.ffdhe2048, ...(env.server.groups ?? [])] } }),
});

const LOW_ORDER = (): Uint8Array => x25519SmallOrderPoints()[2]!;
/** Our client offers (and shares) one group (live the conversation already does: needs.groups). */
const onlyGroup = (env: BaseEnv, group: number): ClientConfig => ({
  ...env.client,
  versions: [VERSION_CODE[env.spec.version]],
  groups: [group],
  keyShareGroups: [group],
});
const x25519Only = (env: BaseEnv) => onlyGroup(env, NamedGroup.x25519);
const p256Only = (env: BaseEnv) => onlyGroup(env, NamedGroup.secp256r1);

/**
 * An uncompressed NIST point 0x04||X||Y in another X9.62 encoding: compressed 0x02/0x03||X, hybrid 0x06/0x07||X||Y (the
 * low bit of the prefix is Y's parity). RFC 8422 §5.1.2 deprecates the compressed formats (hybrid is not in it at all),
 * and RFC 8446 §4.2.8.2 allows UncompressedPointRepresentation only. Anything else is returned unchanged.
 */
export function encodePoint(point: Uint8Array, form: 'compressed' | 'hybrid'): Uint8Array {
  if (point[0] !== 4 || point.length % 2 !== 1) return point;
  const n = (point.length - 1) / 2;
  const odd = point[point.length - 1]! & 1;
  return form === 'compressed'
    ? Uint8Array.of(2 | odd, ...point.subarray(1, 1 + n))
    : Uint8Array.of(6 | odd, ...point.subarray(1));
}

/**
 * Our server answers a ClientHello that lists ffdhe2048 alone with a DHE suite over ffdhe3072 (RFC 7919 §4: it "MUST
 * select one of the client's offered groups"). The healthy engine picks only a listed group, so the server processes
 * the ClientHello with ffdhe3072 in the place of the client's FFDHE groups; its ServerKeyExchange is then well formed
 * and correctly signed, only its group is one the client never listed.
 */
const DHE_UNOFFERED_GROUP: ServerSends = {
  name: 't12-ske-dhe-unoffered-group',
  description: "our server's DHE ServerKeyExchange uses ffdhe3072 although the client listed only ffdhe2048",
  versions: ['1.2'],
  rules: ['ext.ffdhe.group-selection'],
  bases: T12,
  where: 'server-sends',
  mutate: (env) => ({
    config: {
      ...env.server,
      cipherSuites: [CipherSuiteDhe12.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256],
      groups: [NamedGroup.ffdhe3072],
    },
    hooks: {
      beforeProcess: (m) => {
        if (m.kind !== 'handshake' || m.type !== 'client_hello') return undefined;
        return [
          editRaw(m.raw, { version: VERSION_CODE['1.2'] }, 'client_hello', (b) => {
            const sg = getExt(b.extensions, X.supported_groups, 'supported_groups');
            if (sg) sg.groups = [...sg.groups.filter((g) => g < 0x0100 || g > 0x01ff), NamedGroup.ffdhe3072];
          }),
        ];
      },
    },
  }),
  inMemory: (env) => ({
    client: { ...dheClient(env), groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.ffdhe2048] },
  }),
  notLive:
    "our server acts on a ClientHello rewritten as it processes it, so the two transcript hashes differ and the Finished fails whatever the client does; the client's own duty (ext.ffdhe.client-check) is a MAY either way",
};

export const KEX_MUTATIONS: readonly Mutation[] = [
  // ---- TLS 1.2 DHE ClientKeyExchange (t12-dhe-client-public-one is in ops-keys.ts)
  dhe('t12-dhe-client-public-zero', 'the DHE ClientKeyExchange public value is 0', ZERO),
  dhe('t12-dhe-client-public-p-minus-one', 'the DHE ClientKeyExchange public value is p - 1 (the order-2 subgroup)', P_MINUS_ONE),
  dhe('t12-dhe-client-public-p', 'the DHE ClientKeyExchange public value is p', P),
  dhe(
    't12-dhe-client-public-oversize',
    'the DHE ClientKeyExchange public value is 2^(8 len(p)), one byte longer than p',
    OVERSIZE,
  ),
  DHE_UNOFFERED_GROUP,
  // ---- TLS 1.3 FFDHE key shares
  ffdhe('t13-ffdhe-share-zero', 'the ffdhe2048 key share is 0 (left-padded to the length of p)', ZERO),
  ffdhe('t13-ffdhe-share-one', 'the ffdhe2048 key share is 1 (left-padded to the length of p)', () => Uint8Array.of(1)),
  ffdhe('t13-ffdhe-share-p-minus-one', 'the ffdhe2048 key share is p - 1 (RFC 8446 §6: "a DHE share of p - 1")', P_MINUS_ONE),
  ffdhe('t13-ffdhe-share-p', 'the ffdhe2048 key share is p', P),
  ffdhe('t13-ffdhe-share-long', 'the ffdhe2048 key share is one byte longer than p (RFC 8446 §4.2.8.1)', OVERSIZE, [
    'dh.share-encoding',
    'dh.pubkey-range',
  ]),
  // ---- X25519
  {
    name: 't12-cke-x25519-low-order',
    description: 'an X25519 ClientKeyExchange value of low order: the shared secret is all zeros (RFC 8422 §5.11)',
    versions: ['1.2'],
    rules: ['ecdh.x25519-zero'],
    // live only: offline the transcript op t12-cke-x25519-small-order shows a server that went on
    bases: [],
    needs: { kex: 'ECDHE', groups: [NamedGroup.x25519] },
    ...hooks(() => ckeValue(() => LOW_ORDER()), x25519Only),
  },
  {
    name: 't12-cke-x25519-short',
    description: 'an X25519 ClientKeyExchange value of 31 bytes (test-x25519)',
    versions: ['1.2'],
    rules: ['ecdh.point-format'],
    bases: T12,
    needs: { kex: 'ECDHE', groups: [NamedGroup.x25519] },
    ...hooks(() => ckeValue((ours) => ours.subarray(0, 31)), x25519Only),
  },
  {
    name: 't13-keyshare-x25519-short',
    description: 'an X25519 key share of 31 bytes (test-tls13-crfg-curves)',
    versions: ['1.3'],
    rules: ['ecdh.point-format'],
    bases: T13,
    needs: { groups: [NamedGroup.x25519] },
    ...hooks(() => shareValue(new Uint8Array(31).fill(0x09)), x25519Only),
    inMemory: () => ({ processesOriginal: ['client_hello'] }),
  },
  // ---- NIST point encodings other than uncompressed (test-point-extension): our own key, compressed or hybrid
  ...(['compressed', 'hybrid'] as const).flatMap((form): ClientSends[] => [
    {
      name: `t12-cke-point-${form}`,
      description: `our P-256 ClientKeyExchange point in the ${form} encoding (0x0${form === 'compressed' ? '2/3' : '6/7'}), of our own key`,
      versions: ['1.2'],
      rules: ['ecdh.point-format'],
      bases: T12,
      needs: { kex: 'ECDHE', groups: [NamedGroup.secp256r1] },
      ...hooks(() => ckeValue((ours) => encodePoint(ours, form)), p256Only),
    },
    {
      name: `t13-keyshare-point-${form}`,
      description: `our P-256 key share in the ${form} encoding (0x0${form === 'compressed' ? '2/3' : '6/7'}), of our own key`,
      versions: ['1.3'],
      rules: ['ecdh.point-format'],
      bases: T13,
      needs: { groups: [NamedGroup.secp256r1] },
      ...hooks(() => firstHelloShares((s) => ({ ...s, keyExchange: encodePoint(s.keyExchange, form) })), p256Only),
      inMemory: () => ({ processesOriginal: ['client_hello'] }),
    },
  ]),
  // ---- RSA key exchange (test-invalid-rsa-key-exchange-messages, test-bleichenbacher-workaround)
  rsa('t12-rsa-premaster-zeros', 'our RSA premaster is 48 zero bytes (version 0x0000), properly encrypted', (k) =>
    pkcs1(k, new Uint8Array(48)),
  ),
  rsa('t12-rsa-premaster-block-type-1', 'our RSA premaster encrypted in a PKCS#1 block of type 1 instead of 2', blockType1),
  rsa('t12-rsa-premaster-no-separator', 'our RSA block of type 2 has no zero byte after its padding', (k) =>
    block2(k, Uint8Array.of(...PMS.map((x) => x || 1))),
  ),
  rsa('t12-rsa-premaster-early-separator', 'our RSA block of type 2 has a zero byte fourth in its padding (under 8 bytes)', (k) =>
    block2(k, concatBytes([Uint8Array.of(0), PMS]), (n) => Uint8Array.from({ length: n }, (_, i) => (i === 3 ? 0 : 0x5b))),
  ),
  rsa('t12-rsa-premaster-47-bytes', 'our RSA premaster is 47 bytes (version 0x0303), properly encrypted', (k) =>
    pkcs1(k, PMS.subarray(0, 47)),
  ),
  rsa('t12-rsa-premaster-49-bytes', 'our RSA premaster is 49 bytes (version 0x0303), properly encrypted', (k) =>
    pkcs1(k, concatBytes([PMS, Uint8Array.of(0x5a)])),
  ),
  rsa('t12-rsa-premaster-block-type-3', 'our RSA premaster in a PKCS#1 block of type 3 (no such type) instead of 2', (k) =>
    raw(k, concatBytes([Uint8Array.of(0, 3), new Uint8Array(k.n.length - 3 - PMS.length).fill(0x5b), Uint8Array.of(0), PMS])),
  ),
  rsa('t12-rsa-premaster-first-byte-1', 'our RSA block starts with 1 instead of the zero byte of RFC 8017 §7.2.1', (k) =>
    raw(k, concatBytes([Uint8Array.of(1, 2), new Uint8Array(k.n.length - 3 - PMS.length).fill(0x5b), Uint8Array.of(0), PMS])),
  ),
  rsa('t12-rsa-premaster-zero-first-padding', 'our RSA block of type 2 has a zero as its first padding byte (no padding)', (k) =>
    block2(k, concatBytes([Uint8Array.of(0), PMS]), (n) => Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 0 : 0x5b))),
  ),
  rsa('t12-rsa-premaster-two-bytes', 'our RSA premaster is two bytes, the version alone (0x0303), properly encrypted', (k) =>
    pkcs1(k, PMS.subarray(0, 2)),
  ),
  rsa('t12-rsa-premaster-4-bytes', 'our RSA premaster is four bytes (version 0x0303), properly encrypted', (k) =>
    pkcs1(k, PMS.subarray(0, 4)),
  ),
  // the script's "no encrypted value": the only zero after the padding is the block's last byte, so the message is empty
  rsa('t12-rsa-premaster-empty', 'our RSA block of type 2 ends with its zero separator: the premaster is zero bytes', (k) =>
    block2(k, Uint8Array.of(0)),
  ),
  rsa('t12-rsa-premaster-one-byte', 'our RSA block of type 2 carries a one-byte premaster after its separator', (k) =>
    block2(k, Uint8Array.of(0, 3)),
  ),
  // the script's "too short PKCS padding": the type-2 block moved one byte to the right (00 00 02, its padding one
  // byte shorter), so the decrypted block starts with two zero bytes and has block type 0
  rsa('t12-rsa-premaster-short-padding', 'our RSA block starts 00 00 02: the type-2 block shifted one byte right', (k) =>
    raw(k, concatBytes([Uint8Array.of(0, 0, 2), new Uint8Array(k.n.length - 4 - PMS.length).fill(0x5b), Uint8Array.of(0), PMS])),
  ),
  // the script's "too long PKCS padding": the leading zero byte replaced by 2 (02 02, as if the type-2 header had moved
  // one byte to the left and the padding grown by one)
  rsa('t12-rsa-premaster-long-padding', 'our RSA block starts 02 02: the type-2 block shifted one byte left', (k) =>
    raw(k, concatBytes([Uint8Array.of(2, 2), new Uint8Array(k.n.length - 3 - PMS.length).fill(0x5b), Uint8Array.of(0), PMS])),
  ),
  // RFC 5246 §7.4.7.1: a wrong version is no reason to alert ("or the version number is not as expected"); the server
  // goes on with a premaster that starts with the offered version, which our client did not use: the Finished fails
  rsa(
    't12-rsa-premaster-wrong-version',
    'the RSA premaster starts with {3, 1} (TLS 1.0) instead of the offered {3, 3} (TLS 1.2), properly encrypted',
    (k) => pkcs1(k, Uint8Array.of(3, 1, ...PMS.subarray(2))),
  ),
  rsa(
    't12-rsa-ciphertext-truncated',
    'our EncryptedPreMasterSecret one byte short of the modulus (its length follows)',
    (k) => pkcs1(k, PMS).subarray(1),
    false,
  ),
  rsa(
    't12-rsa-ciphertext-modulus',
    'our EncryptedPreMasterSecret is the server modulus itself (out of range)',
    (k) => k.n.slice(k.n[0] === 0 ? 1 : 0),
    false,
  ),
];
