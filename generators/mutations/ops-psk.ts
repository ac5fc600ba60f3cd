/**
 * The TLS 1.2 PSK key exchanges (RFC 4279, RFC 5489): the base handshake turned into a PSK one (both sides given the
 * same external PSK, a PSK suite only), then one side breaks what RFC 4279 says its messages carry.
 *
 * Live against a server that knows our client's external PSK (`tlsprop fuzz --psk IDENTITY:HEX`, needs.psk): our
 * client offers the PSK with a wrong binder, under an identity the server does not know, or with a wrong key (TLS 1.2
 * PSK suites and TLS 1.3 external PSKs).
 */
import type { ClientConfig, ExternalPsk } from '../../engine/config';
import { CipherSuitePsk12 } from '../../engine/suites';
import { encodeBody } from '../../wire/handshake';
import type { ClientChange, Mutation } from './model';
import { type BaseEnv, type BaseName, flipLast, type Prepared, onceOn } from './support';

const T12_ALL: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm', 't12-rsa-kex'];

/** Both sides on TLS_PSK_WITH_AES_128_GCM_SHA256 with `psk` (the server's client-certificate request dropped). */
function pskHandshake(env: BaseEnv, psk: ExternalPsk): Prepared {
  const suites = [CipherSuitePsk12.TLS_PSK_WITH_AES_128_GCM_SHA256];
  return {
    client: { ...env.client, cipherSuites: suites, psk },
    server: { ...env.server, cipherSuites: suites, psks: [psk], clientAuth: 'none' },
  };
}

const DEVICE: ExternalPsk = { identity: new TextEncoder().encode('device-42'), key: new Uint8Array(32).fill(0x42) };

/** Our client's external PSK (live: `--psk`, needs.psk makes sure there is one). */
function ourPsk(client: ClientConfig): ExternalPsk {
  if (!client.psk) throw new Error("a PSK mutation runs only with our client's external PSK (tlsprop fuzz --psk)");
  return client.psk;
}

/**
 * Our client with its PSK changed, the message where the change first shows marked (the hook hands it on unchanged, so
 * the fuzzer knows where our invalid input starts).
 */
function changedPsk(
  env: BaseEnv,
  change: (p: ExternalPsk) => ExternalPsk,
  shows: 'client_hello' | 'client_key_exchange' | 'finished',
): ClientChange {
  return { config: { ...env.client, psk: change(ourPsk(env.client)) }, hooks: onceOn(shows, (raw) => [raw]) };
}

/** The key with every bit of its first byte flipped. */
const wrongKey = (p: ExternalPsk): ExternalPsk => {
  const key = p.key.slice();
  key[0] = key[0]! ^ 0xff;
  return { ...p, key };
};
/**
 * An identity the server does not know, with a key that is not the server's either: a server that answers every
 * identity with its one key (openssl s_server's PSK callback only warns "client identity not what we expected") is
 * then told apart from one that accepted the unknown identity, and RFC 4279 §2's leave "to hide the fact that the PSK
 * identity was not known" (go on as if the key were wrong) has a wrong key to meet.
 */
const unknownIdentity = (p: ExternalPsk): ExternalPsk => ({
  ...wrongKey(p),
  identity: new Uint8Array([...p.identity, ...new TextEncoder().encode('-unknown-to-the-server')]),
});

export const PSK_MUTATIONS: readonly Mutation[] = [
  {
    name: 't12-psk-identity-not-utf8',
    description: 'the client names its PSK with an identity that is not UTF-8 (the server knows it under those bytes)',
    versions: ['1.2'],
    rules: ['t12.psk.identity-utf8'],
    where: 'configuration',
    bases: T12_ALL,
    apply: (env) => pskHandshake(env, { identity: Uint8Array.of(0xff, 0xfe, 0xfd), key: DEVICE.key }),
  },
  {
    name: 't12-psk-certificate-request',
    description: 'a PSK server asks for a client certificate (CertificateRequest before ServerHelloDone)',
    versions: ['1.2'],
    rules: ['t12.psk.no-certificate-request'],
    where: 'server-sends',
    bases: T12_ALL,
    mutate: (env) => ({
      config: pskHandshake(env, DEVICE).server,
      hooks: onceOn('server_hello_done', (raw) => [
        encodeBody({
          type: 'certificate_request',
          form: 'tls12',
          certificateTypes: [1, 64],
          signatureAlgorithms: [0x0804, 0x0403],
          certificateAuthorities: [],
        }),
        raw,
      ]),
    }),
    inMemory: (env) => ({ client: pskHandshake(env, DEVICE).client }),
    notLive: 'needs a client that offers a PSK suite with the PSK our server knows: a live client brings its own',
  },
  {
    name: 't13-external-psk-binder-wrong',
    description: 'our client offers the external PSK the server knows with the last byte of its binder flipped',
    versions: ['1.3'],
    rules: ['t13.psk.binder'],
    where: 'client-sends',
    bases: [],
    needs: { psk: true },
    // the binder is the last field of the ClientHello (pre_shared_key is the last extension, binders its last part)
    mutate: (env) => {
      ourPsk(env.client);
      return { hooks: onceOn('client_hello', (raw) => [flipLast(raw)]) };
    },
  },
  {
    name: 't13-external-psk-wrong-key',
    description: 'our client offers the identity the server knows, its binder computed with another key',
    versions: ['1.3'],
    rules: ['t13.psk.binder'],
    where: 'client-sends',
    bases: [],
    needs: { psk: true },
    mutate: (env) => changedPsk(env, wrongKey, 'client_hello'),
  },
  {
    name: 't13-external-psk-unknown-identity',
    description: 'our client offers an external PSK under an identity the server does not know (and a key that is not its)',
    versions: ['1.3'],
    rules: [],
    reactionRules: ['t13.psk.unknown-identity'],
    where: 'client-sends',
    bases: [],
    needs: { psk: true },
    mutate: (env) => changedPsk(env, unknownIdentity, 'client_hello'),
  },
  {
    name: 't12-psk-unknown-identity',
    description:
      'our client names, in its ClientKeyExchange, a psk_identity the server does not know (and mixes in a key not its)',
    versions: ['1.2'],
    rules: [],
    reactionRules: ['t12.psk.unknown-identity'],
    where: 'client-sends',
    bases: [],
    needs: { psk: true, kex: 'PSK' },
    mutate: (env) => changedPsk(env, unknownIdentity, 'client_key_exchange'),
  },
  {
    name: 't12-psk-wrong-key',
    description: 'our client names the psk_identity the server knows but mixes another key into its premaster',
    versions: ['1.2'],
    rules: ['t12.ks.pms-psk'],
    where: 'client-sends',
    bases: [],
    needs: { psk: true, kex: 'PSK' },
    // the premaster shows first in our Finished, protected under keys the server does not share
    mutate: (env) => changedPsk(env, wrongKey, 'finished'),
  },
];
