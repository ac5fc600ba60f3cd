/**
 * The TLS 1.2 PSK key exchanges (RFC 4279, RFC 5489): the base handshake turned into a PSK one (both sides given the
 * same external PSK, a PSK suite only), then one side breaks what RFC 4279 says its messages carry.
 *
 * Live against a server that knows our client's external PSK (`tlsprop fuzz --psk IDENTITY:HEX`, needs.psk): our
 * client offers the PSK with a wrong binder, under an identity the server does not know, or with a wrong key (TLS 1.2
 * PSK suites and TLS 1.3 external PSKs). Live against a client that offers the external PSK our server knows
 * (`tlsprop fuzz --listen --psk IDENTITY:HEX`): our server selects an identity the client did not offer, answers a
 * psk_dhe_ke-only offer without a key_share, or names a psk_identity_hint the client has never heard of (TLS 1.2).
 */
import type { ClientConfig, ExternalPsk } from '../../engine/config';
import { CipherSuitePsk12 } from '../../engine/suites';
import { extensionBody } from '../../wire/extensions';
import { decodeHandshake, encodeBody } from '../../wire/handshake';
import { ExtensionType } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { ClientChange, Mutation, ServerChange } from './model';
import { type BaseEnv, type BaseName, editRaw, flipLast, type Prepared, onceOn, setExt, tracked } from './support';

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

const TLS13 = { version: VERSION_CODE['1.3'] };

/** Whether a TLS 1.3 ServerHello selected a PSK (its pre_shared_key extension). */
function selectsPsk(raw: Uint8Array): boolean {
  const b = decodeHandshake(raw, TLS13).message.body;
  return (
    b.type === 'server_hello' && extensionBody(b.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_server') !== undefined
  );
}

/**
 * Our server's ServerHello that selected the client's PSK, changed by `edit` (given the client's offered identities);
 * a ServerHello that selected none is left alone (the mutation did not fire).
 */
function pskServerHello(
  edit: (sh: Extract<ReturnType<typeof decodeHandshake>['message']['body'], { type: 'server_hello' }>, offered: number) => void,
): ServerChange {
  let done = false;
  return {
    hooks: tracked((m, log) => {
      if (done || m.type !== 'server_hello' || !selectsPsk(m.raw)) return undefined;
      const ch = log.find('client_hello');
      const chBody = ch ? decodeHandshake(ch, TLS13).message.body : undefined;
      const offered =
        chBody?.type === 'client_hello'
          ? (extensionBody(chBody.extensions, ExtensionType.pre_shared_key, 'pre_shared_key_client')?.identities.length ?? 0)
          : 0;
      done = true;
      return [editRaw(m.raw, TLS13, 'server_hello', (sh) => edit(sh, offered))];
    }),
  };
}

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
  {
    name: 't13-psk-selected-identity-unoffered',
    description: "our server's ServerHello selects the PSK identity one past the last the client offered",
    versions: ['1.3'],
    rules: ['t13.neg.psk-selected-identity'],
    where: 'server-sends',
    bases: [],
    needs: { psk: true },
    mutate: () =>
      pskServerHello((sh, offered) => {
        sh.extensions = setExt(sh.extensions, ExtensionType.pre_shared_key, {
          kind: 'pre_shared_key_server',
          selectedIdentity: offered,
        });
      }),
  },
  {
    name: 't13-psk-ke-without-key-share',
    description:
      'our server selects the PSK of a client that offered only psk_dhe_ke with a ServerHello without key_share (psk_ke)',
    versions: ['1.3'],
    rules: ['t13.neg.psk-selected-identity'],
    where: 'server-sends',
    bases: [],
    needs: { psk: true, peerLacksPskKe: true },
    mutate: () =>
      pskServerHello((sh) => {
        sh.extensions = (sh.extensions ?? []).filter((e) => e.type !== ExtensionType.key_share);
      }),
  },
  {
    name: 't12-psk-hint-unknown',
    description: 'our server names, in its ServerKeyExchange, a psk_identity_hint the client has never heard of',
    versions: ['1.2'],
    rules: ['t12.psk.hint-ignored'],
    where: 'server-sends',
    bases: [],
    needs: { psk: true, kex: 'PSK' },
    // the hint shows in the ServerKeyExchange, handed on as our server wrote it with the changed configuration
    mutate: (env) => ({
      config: { ...env.server, pskIdentityHint: new TextEncoder().encode('tlsprop-hint-the-client-does-not-know') },
      hooks: onceOn('server_key_exchange', (raw) => [raw]),
    }),
  },
];
