/**
 * The client-target family: what our server sends to a client under test
 * (`tlsprop fuzz --listen --client-cmd`), beyond the suite, group, signature
 * and flight mutations of operators.ts and the chains of ops-certs.ts:
 *
 * - TLS 1.2 selected for a client that offered only TLS 1.3 (RFC 8446
 *   App. D.1: protocol_version);
 * - a TLS 1.3 ServerHello whose supported_versions selects a version prior
 *   to TLS 1.3 (RFC 8446 §4.2.1: illegal_parameter; one the client never
 *   offered, such as 0x0305, is left out: the transcript cannot read a
 *   ServerHello of a version it does not know, so the pipeline would never
 *   count the conversation);
 * - a TLS 1.3 CertificateRequest without signature_algorithms (RFC 8446
 *   §4.3.2: it "MUST be specified"; missing_extension by the §6.2
 *   definition), our server asking for a client certificate in that
 *   conversation; one with a non-empty certificate_request_context in the
 *   handshake (RFC 8446 §4.3.2 "SHALL be zero length unless used for the
 *   post-handshake authentication exchanges" binds the server and names no
 *   client reaction: the client may refuse it, illegal_parameter, or echo it
 *   as §4.4.2 tells it to and go on, t13.neg.cert-request-context's client
 *   tolerance); one with an unassigned extension (RFC 8446 §4.3.2 "Clients
 *   MUST ignore unrecognized extensions": ext.ignore-unknown);
 * - a HelloRetryRequest for the group the client already sent a key share
 *   for (RFC 8446 §4.1.4: illegal_parameter);
 * - encrypt_then_mac answered beside an AEAD suite (RFC 7366 §3: the server "MUST NOT send an encrypt-then-MAC response
 *   extension" with a stream or AEAD suite; illegal_parameter by the RFC 5246 §7.2.2 definition);
 * - our server's side of the TCP connection closed without close_notify
 *   after its ServerHello, and after its whole first flight (RFC 8446 §6.1,
 *   RFC 5246 §7.2.1: the client must not count the handshake complete).
 */
import type { ServerConfig } from '../../engine/config';
import type { EngineHooks, HookFrame } from '../../engine/hooks';
import { DEFAULT_SUITES } from '../../engine/config';
import { CipherSuite12, engineSuite } from '../../engine/suites';
import { ContentType as CT, ExtensionType as X } from '../../wire/registry';
import { decodeHandshake, type HandshakeBody } from '../../wire/handshake';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { Mutation, ServerSends } from './model';
import { type BaseEnv, editRaw, tracked } from './support';

/** The TLS 1.2 suites our server may pick when it answers a TLS 1.3-only client in TLS 1.2 (either key type). */
const T12_SUITES: readonly number[] = [
  CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite12.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
];

/**
 * Our server speaks TLS 1.2 only and sees the client's TLS 1.3-only ClientHello without supported_versions (and with
 * a TLS 1.2 suite when it offered none), so it answers with a TLS 1.2 ServerHello: a version the client never offered.
 */
const answersInTls12 = (env: BaseEnv): { config: ServerConfig; hooks: EngineHooks } => ({
  config: { ...env.server, versions: [VERSION_CODE['1.2']], cipherSuites: [...T12_SUITES] },
  hooks: {
    beforeProcess: (m) =>
      m.type !== 'client_hello'
        ? undefined
        : [
            editRaw(m.raw, { version: VERSION_CODE['1.3'] }, 'client_hello', (b) => {
              b.extensions = (b.extensions ?? []).filter((e) => e.type !== X.supported_versions);
              if (!b.cipherSuites.some((s) => T12_SUITES.includes(s))) b.cipherSuites = [...T12_SUITES, ...b.cipherSuites];
            }),
          ],
  },
});

/** Our TLS 1.3 ServerHello's supported_versions says `version`. */
const selects =
  (version: number) =>
  (env: BaseEnv): { config: ServerConfig; hooks: EngineHooks } => ({
    config: { ...env.server, versions: [VERSION_CODE['1.3']] },
    hooks: {
      beforeSend: (m) =>
        m.kind !== 'handshake' || m.type !== 'server_hello'
          ? undefined
          : [
              editRaw(m.raw, { version: VERSION_CODE['1.3'] }, 'server_hello', (b) => {
                for (const e of b.extensions ?? [])
                  if (e.type === X.supported_versions && e.body.kind === 'supported_versions_server') e.body.version = version;
              }),
            ],
    },
  });

/** Our server ends its side of the transport right after the first frame `pick` matches (that frame still goes, nothing after it). */
const closesAfter =
  (pick: (f: HookFrame) => boolean) =>
  (env: BaseEnv): { config: ServerConfig; hooks: EngineHooks } => {
    let done = false;
    return {
      config: env.server,
      hooks: {
        // what our server would frame after the close (the rest of its flight) is dropped: the FIN follows the pick
        beforeFrame: (f) => {
          if (done) return [];
          if (!pick(f)) return undefined;
          done = true;
          f.closeTransport();
          return [{ contentType: f.contentType, fragment: f.content }];
        },
      },
    };
  };
const handshakeOf = (type: number) => (f: HookFrame) => f.contentType === CT.handshake && f.content[0] === type;

const server = (m: Omit<ServerSends, 'where'>): ServerSends => ({ ...m, where: 'server-sends' });

/** Our TLS 1.3 server asks for a client certificate with a CertificateRequest changed by `edit`. */
const crEdited =
  (edit: (b: Extract<HandshakeBody, { type: 'certificate_request' }>) => void) =>
  (env: BaseEnv): { config: ServerConfig; hooks: EngineHooks } => ({
    config: { ...env.server, versions: [VERSION_CODE['1.3']], clientAuth: 'request' },
    hooks: {
      beforeSend: (m) =>
        m.kind !== 'handshake' || m.type !== 'certificate_request'
          ? undefined
          : [editRaw(m.raw, { version: VERSION_CODE['1.3'] }, 'certificate_request', edit)],
    },
  });

/**
 * Our server selects an AEAD (or TLS 1.3) suite, never a CBC one, and answers a ClientHello that offered encrypt_then_mac
 * with the extension all the same (a client that did not offer it gets the ServerHello unchanged: nothing fires).
 */
const etmWithAead = (env: BaseEnv): { config: ServerConfig; hooks: EngineHooks } => ({
  config: {
    ...env.server,
    cipherSuites: (env.server.cipherSuites ?? DEFAULT_SUITES).filter((s) => !engineSuite(s)?.cipher.endsWith('_CBC')),
  },
  hooks: tracked((m, log) => {
    if (m.kind !== 'handshake' || m.type !== 'server_hello') return undefined;
    const ch = log.find('client_hello');
    const hello = ch ? decodeHandshake(ch, { version: VERSION_CODE['1.2'] }).message.body : undefined;
    if (hello?.type !== 'client_hello' || !(hello.extensions ?? []).some((e) => e.type === X.encrypt_then_mac)) return undefined;
    let aead = false;
    const raw = editRaw(m.raw, { version: VERSION_CODE['1.2'] }, 'server_hello', (b) => {
      aead = !engineSuite(b.cipherSuite)?.cipher.endsWith('_CBC');
      if (!(b.extensions ?? []).some((e) => e.type === X.encrypt_then_mac))
        b.extensions = [...(b.extensions ?? []), { type: X.encrypt_then_mac, body: { kind: 'empty' } }];
    });
    return aead ? [raw] : undefined;
  }),
});

export const CLIENT_TARGET_MUTATIONS: readonly Mutation[] = [
  // ---- versions
  server({
    name: 't13-only-client-gets-tls12',
    description: 'a TLS 1.2 ServerHello to a client that offered only TLS 1.3 (RFC 8446 App. D.1: protocol_version)',
    versions: ['1.3'],
    rules: ['ver.t13.server-selection'],
    reactionRules: ['ver.client-accepts-version'],
    bases: [],
    needs: { peerLacks12: true },
    mutate: answersInTls12,
  }),
  server({
    name: 't13-sh-selects-tls12-in-extension',
    description: 'our TLS 1.3 ServerHello selects TLS 1.2 in supported_versions (RFC 8446 §4.2.1: "a version prior to TLS 1.3")',
    versions: ['1.3'],
    rules: ['ver.t13.sh-supported-versions'],
    bases: [],
    mutate: selects(VERSION_CODE['1.2']),
  }),
  // ---- encrypt-then-MAC
  server({
    name: 't12-etm-answered-with-aead',
    description: 'our TLS 1.2 ServerHello answers encrypt_then_mac although it selects an AEAD suite (RFC 7366 §3)',
    versions: ['1.2'],
    rules: ['ext.etm.block-cipher-only'],
    // live: a suite of one of these bases' key exchanges (ECDHE_ECDSA, RSA) the client offered (fuzz/client-families.ts)
    bases: ['t12-ecdhe-ecdsa-gcm', 't12-rsa-kex'],
    mutate: etmWithAead,
  }),
  // ---- HelloRetryRequest
  server({
    name: 't13-hrr-for-shared-group',
    description:
      'a HelloRetryRequest for the group the client already sent a key share for (RFC 8446 §4.1.4: it results in no change)',
    versions: ['1.3'],
    rules: ['t13.neg.hrr-must-change'],
    bases: [],
    mutate: (env) => {
      const group = env.server.groups?.[0];
      let done = false;
      return {
        config: { ...env.server, versions: [VERSION_CODE['1.3']] },
        hooks: {
          // our server sees the first ClientHello without its key shares, so it asks again for its group; a client
          // that sent no share for that group makes no such conversation (the hook does not fire)
          beforeProcess: (m) => {
            if (done || m.type !== 'client_hello' || group === undefined) return undefined;
            done = true;
            let shared = false;
            const raw = editRaw(m.raw, { version: VERSION_CODE['1.3'] }, 'client_hello', (b) => {
              for (const e of b.extensions ?? [])
                if (e.body.kind === 'key_share_client') {
                  shared = e.body.shares.some((x) => x.group === group);
                  e.body.shares = [];
                }
            });
            return shared ? [raw] : undefined;
          },
        },
      };
    },
  }),
  // ---- CertificateRequest
  server({
    name: 't13-server-cr-without-sigalgs',
    description: 'our TLS 1.3 CertificateRequest has no signature_algorithms (RFC 8446 §4.3.2: it "MUST be specified")',
    versions: ['1.3'],
    rules: ['t13.neg.cr-sigalgs'],
    bases: ['t13-mutual'],
    mutate: crEdited((b) => {
      if (b.form === 'tls13') b.extensions = b.extensions.filter((e) => e.type !== X.signature_algorithms);
    }),
  }),
  server({
    name: 't13-server-cr-context-nonempty',
    description:
      'our TLS 1.3 handshake CertificateRequest has a 4-byte certificate_request_context (RFC 8446 §4.3.2: "SHALL be zero length")',
    versions: ['1.3'],
    rules: ['t13.neg.cert-request-context'],
    bases: ['t13-mutual'],
    mutate: crEdited((b) => {
      if (b.form === 'tls13') b.context = Uint8Array.of(1, 2, 3, 4);
    }),
  }),
  server({
    name: 't13-server-cr-unknown-extension',
    description:
      'our TLS 1.3 CertificateRequest carries an unassigned extension (RFC 8446 §4.3.2: "Clients MUST ignore unrecognized extensions")',
    versions: ['1.3'],
    rules: ['ext.ignore-unknown'],
    bases: [],
    mutate: crEdited((b) => {
      if (b.form === 'tls13')
        b.extensions = [...b.extensions, { type: 0x7f02, body: { kind: 'opaque', data: Uint8Array.of(9) } }];
    }),
  }),
  // ---- closure
  server({
    name: 'server-closes-after-server-hello',
    description: 'our side of the TCP connection closed right after our ServerHello, without close_notify',
    versions: ['1.2', '1.3'],
    rules: ['conn.transport-close'],
    bases: [],
    mutate: closesAfter(handshakeOf(2)),
  }),
  server({
    name: 'server-closes-before-finished',
    description: 'our side of the TCP connection closed instead of sending our Finished, without close_notify',
    versions: ['1.2', '1.3'],
    rules: ['conn.transport-close'],
    bases: [],
    mutate: (env) => {
      let done = false;
      return {
        config: env.server,
        hooks: {
          beforeFrame: (f) => {
            if (done) return [];
            if (!handshakeOf(20)(f)) return undefined;
            done = true;
            f.closeTransport();
            return [];
          },
        },
      };
    },
  }),
];
