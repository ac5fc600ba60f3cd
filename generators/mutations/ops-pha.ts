/**
 * TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2): the base handshake with the client offering
 * post_handshake_auth and our server asking once after it; then the client breaks its answer.
 */
import { decodeHandshake, encodeBody } from '../../wire/handshake';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { Mutation } from './model';
import { type BaseName, flipLast } from './support';

/** The TLS 1.3 base without client authentication in the handshake (the server asks only afterwards). */
const T13: readonly BaseName[] = ['t13-server-auth'];
const NOT_LIVE = 'needs a live server that sends a post-handshake CertificateRequest on its own; the live fuzzer drives none yet';

/** A hook on the client's post-handshake message of `type` (the second Finished, or the Certificate after the handshake). */
function afterHandshake(type: 'finished' | 'certificate', edit: (raw: Uint8Array) => Uint8Array) {
  let finished = 0;
  let done = false;
  return {
    beforeSend: (m: { type: string; raw: Uint8Array }): Uint8Array[] | undefined => {
      if (m.type === 'finished') finished++;
      // the handshake's own client Finished comes first: the post-handshake messages follow it
      const post = type === 'finished' ? finished === 2 : finished === 1;
      if (done || m.type !== type || !post) return undefined;
      done = true;
      return [edit(m.raw)];
    },
  };
}

export const PHA_MUTATIONS: readonly Mutation[] = [
  {
    name: 'pha-finished-wrong',
    description: "the client's post-handshake Finished is not the HMAC under its application traffic secret",
    versions: ['1.3'],
    rules: ['t13.pha.finished'],
    where: 'client-sends',
    bases: T13,
    mutate: (env) => ({ config: { ...env.client, postHandshakeAuth: true }, hooks: afterHandshake('finished', flipLast) }),
    inMemory: () => ({ memory: { postHandshakeAuths: 1 } }),
    notLive: NOT_LIVE,
  },
  {
    name: 'pha-certificate-context-mismatch',
    description: "the client's post-handshake Certificate does not echo the CertificateRequest's context",
    versions: ['1.3'],
    rules: ['t13.neg.cert-request-context'],
    where: 'client-sends',
    bases: T13,
    mutate: (env) => ({
      config: { ...env.client, postHandshakeAuth: true },
      hooks: afterHandshake('certificate', (raw) => {
        const { body } = decodeHandshake(raw, { version: VERSION_CODE['1.3'] }).message;
        return body.type === 'certificate' && body.form === 'tls13' ? encodeBody({ ...body, context: Uint8Array.of(7) }) : raw;
      }),
    }),
    inMemory: () => ({ memory: { postHandshakeAuths: 1 } }),
    notLive: NOT_LIVE,
  },
];
