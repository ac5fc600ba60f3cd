/**
 * The TLS 1.2 PSK key exchanges (RFC 4279, RFC 5489): the base handshake turned into a PSK one (both sides given the
 * same external PSK, a PSK suite only), then one side breaks what RFC 4279 says its messages carry.
 */
import type { ExternalPsk } from '../../engine/config';
import { CipherSuitePsk12 } from '../../engine/suites';
import { encodeBody } from '../../wire/handshake';
import type { Mutation } from './model';
import { type BaseEnv, type BaseName, type Prepared, onceOn } from './support';

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
];
