/**
 * ML-KEM key shares (crypto/kem): our client's X25519MLKEM768 / SecP256r1MLKEM768 / MLKEM768 share a byte short or a
 * byte long, an encapsulation key failing the FIPS 203 §7.2 modulus check, a hybrid share whose ECDH half is of small
 * order or off the curve (draft-ietf-tls-ecdhe-mlkem §3.1.2: the server "MUST perform the encapsulation key check
 * ... and abort with an illegal_parameter alert if it fails", "both client and server MUST process the ECDH part
 * ... and abort with an illegal_parameter alert"); and our server's ciphertext with a bit flipped, which the client
 * decapsulates to the implicit-rejection key (its Finished then fails). tlsfuzzer's tls13 ML-KEM probes are of this
 * kind; its TLS 1.2 ones (test-no-mlkem-in-old-tls.py) are judged by t12.neg.no-mlkem-group and engine/mlkem.test.ts.
 */
import { x25519SmallOrderPoints } from '../../crypto';
import type { EngineHooks } from '../../engine/hooks';
import { concatBytes } from '../../wire/hex';
import { ExtensionType as X, NamedGroup } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import { type ClientSends, type Mutation, serverHooks } from './model';
import { type BaseName, editRaw, firstHelloShares, getExt } from './support';

const T13: readonly BaseName[] = ['t13-server-auth', 't13-mutual'];

/** Our client's ClientHello with the key share of `group` replaced by `edit(share)`. */
const shareEdit = (group: number, edit: (share: Uint8Array) => Uint8Array): EngineHooks =>
  firstHelloShares((s) => (s.group === group ? { ...s, keyExchange: edit(s.keyExchange) } : s));

/** A TLS 1.3 mutation of our client's share of one ML-KEM group (live: the conversation offers that group alone). */
const clientShare = (
  name: string,
  description: string,
  group: number,
  rules: ClientSends['rules'],
  edit: (share: Uint8Array) => Uint8Array,
): ClientSends => ({
  name,
  description,
  versions: ['1.3'],
  rules,
  bases: T13,
  needs: { groups: [group] },
  where: 'client-sends',
  mutate: () => ({ hooks: shareEdit(group, edit) }),
  // in memory our server processes the untampered ClientHello, so the transcript shows the share it should have refused
  inMemory: () => ({ processesOriginal: ['client_hello'] }),
});

/** The first 12-bit coefficient of an encapsulation key at `at` set to 4095 (>= q = 3329: the modulus check fails). */
const coefficientOverQ =
  (at: number) =>
  (share: Uint8Array): Uint8Array => {
    const s = share.slice();
    s[at] = 0xff;
    s[at + 1] = s[at + 1]! | 0x0f;
    return s;
  };

/** The server's ServerHello key share (an ML-KEM ciphertext first in X25519MLKEM768) with its first bit flipped. */
const serverCiphertextFlipped = (): EngineHooks => {
  let done = false;
  return {
    beforeSend: (m) => {
      if (done || m.kind !== 'handshake' || m.type !== 'server_hello') return undefined;
      done = true;
      return [
        editRaw(m.raw, { version: VERSION_CODE['1.3'] }, 'server_hello', (b) => {
          const ks = getExt(b.extensions, X.key_share, 'key_share_server');
          if (ks && ks.share.group === NamedGroup.X25519MLKEM768) {
            const v = ks.share.keyExchange.slice();
            v[0]! ^= 0x01;
            ks.share = { ...ks.share, keyExchange: v };
          }
        }),
      ];
    },
  };
};

export const MLKEM_MUTATIONS: readonly Mutation[] = [
  clientShare(
    't13-mlkem-share-truncated',
    'our X25519MLKEM768 key share one byte short (1215 bytes: the X25519 half truncated)',
    NamedGroup.X25519MLKEM768,
    ['mlkem.share-length'],
    (s) => s.subarray(0, s.length - 1),
  ),
  clientShare(
    't13-mlkem768-share-long',
    'our MLKEM768 key share one byte long (1185 bytes)',
    NamedGroup.MLKEM768,
    ['mlkem.share-length'],
    (s) => concatBytes([s, Uint8Array.of(0)]),
  ),
  clientShare(
    't13-mlkem-share-padded',
    'our X25519MLKEM768 key share one byte long (1217 bytes, test-tls13-mlkem "padded key share")',
    NamedGroup.X25519MLKEM768,
    ['mlkem.share-length'],
    (s) => concatBytes([s, Uint8Array.of(2)]),
  ),
  clientShare(
    't13-mlkem1024-p384-share-truncated',
    'our SecP384r1MLKEM1024 key share one byte short (1664 bytes: the ML-KEM-1024 key truncated)',
    NamedGroup.SecP384r1MLKEM1024,
    ['mlkem.share-length'],
    (s) => s.subarray(0, s.length - 1),
  ),
  clientShare(
    't13-mlkem-ek-modulus',
    'our X25519MLKEM768 encapsulation key with its first coefficient 4095 (>= q: FIPS 203 §7.2 modulus check fails)',
    NamedGroup.X25519MLKEM768,
    ['mlkem.encapsulation-key'],
    coefficientOverQ(0),
  ),
  clientShare(
    't13-mlkem-x25519-half-low-order',
    'our X25519MLKEM768 share with a small-order X25519 half (all-zero X25519 secret)',
    NamedGroup.X25519MLKEM768,
    ['mlkem.ecdh-part'],
    (s) => concatBytes([s.subarray(0, 1184), x25519SmallOrderPoints()[2]!]),
  ),
  clientShare(
    't13-mlkem-p256-half-off-curve',
    'our SecP256r1MLKEM768 share with the lowest bit of the P-256 point flipped (off the curve)',
    NamedGroup.SecP256r1MLKEM768,
    ['mlkem.ecdh-part'],
    (s) => {
      const out = s.slice();
      out[64]! ^= 0x01;
      return out;
    },
  ),
  {
    name: 't13-mlkem-server-ciphertext-flipped',
    description:
      "our server's X25519MLKEM768 ciphertext with its first bit flipped (the client's decapsulation rejects it implicitly)",
    versions: ['1.3'],
    rules: ['mlkem.ciphertext-encapsulates'],
    bases: T13,
    needs: { groups: [NamedGroup.X25519MLKEM768], peerOffers13: true },
    ...serverHooks(() => serverCiphertextFlipped()),
  },
];
