/**
 * Mutations of the handshake core (order, signatures, key exchange,
 * Finished, negotiation, HelloRetryRequest), declared in the mutation model
 * (model.ts). Each acts through engine hooks of one endpoint during a real
 * in-memory run (the rest of the handshake stays cryptographically real;
 * live-capable on that side), through a changed configuration, or on the
 * finished transcript, and declares exactly the rules a conforming oracle
 * must report for it. The whole catalogue is gathered in catalogue.ts.
 */
import { generateEcdhKeyPair, x25519SmallOrderPoints } from '../../crypto';
import type { EngineHooks } from '../../engine/hooks';
import { CipherSuite12, CipherSuite13 } from '../../engine/suites';
import { encodeRecord } from '../../wire/record';
import {
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  HRR_RANDOM,
  NamedGroup,
  ContentType,
  SignatureScheme as SS,
  ExtensionType as X,
} from '../../wire/registry';
import type { Extension } from '../../wire/extensions';
import { encodeHandshake } from '../../wire/handshake';
import { concatBytes } from '../../wire/hex';
import { type HandshakeTypeName, type MessageType, VERSION_CODE } from '../../wire/vocabulary';
import { type ClientSends, clientHooks, EDDSA_TOO, type Mutation, serverHooks } from './model';
import {
  type BaseEnv,
  type BaseName,
  C,
  type Entry,
  type MessageLog,
  tracked,
  type Prepared,
  S,
  at,
  certificateVerify,
  clientIdentity,
  cv12,
  cv13,
  edited,
  editRaw,
  flipLast,
  getExt,
  hsMessage,
  onceOn,
  randomOfHello,
  resignSke,
  schemeOfCv,
  setExt,
  suiteOfServerHello,
  u16,
} from './support';

const T12_ALL: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm', 't12-rsa-kex'];
const T12_ECDHE: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm'];
const T12_MUTUAL = T12_ECDHE;
const T13_ALL: readonly BaseName[] = ['t13-server-auth', 't13-mutual'];
const T13_MUTUAL: readonly BaseName[] = ['t13-mutual'];
const V12 = { version: VERSION_CODE['1.2'] };
const V13 = { version: VERSION_CODE['1.3'] };

const same = (env: BaseEnv): Prepared => ({ client: env.client, server: env.server });
const post = (env: BaseEnv, fn: (E: Entry[]) => void): Prepared => ({ ...same(env), post: edited(fn) });

type Edit = (E: Entry[]) => void;
const drop =
  (type: MessageType, dir?: Entry['dir']): Edit =>
  (E) =>
    void E.splice(at(E, type, dir), 1);
const duplicate =
  (type: MessageType, dir?: Entry['dir']): Edit =>
  (E) => {
    const i = at(E, type, dir);
    E.splice(i, 0, { ...E[i]! });
  };
const moveBefore =
  (type: MessageType, dir: Entry['dir'], before: MessageType, beforeDir: Entry['dir']): Edit =>
  (E) => {
    const [m] = E.splice(at(E, type, dir), 1);
    E.splice(at(E, before, beforeDir), 0, m!);
  };
const insertBefore =
  (e: Entry, before: MessageType, dir: Entry['dir']): Edit =>
  (E) =>
    void E.splice(at(E, before, dir), 0, e);

/** Server-side view of the ClientHello changed (the client's bytes, as recorded, stay as sent). */
const serverSees = (fn: (raw: Uint8Array) => Uint8Array): EngineHooks => ({
  beforeProcess: (m) => (m.type === 'client_hello' ? [fn(m.raw)] : undefined),
});
const chEdit =
  (version: number, fn: (exts: Extension[], b: { cipherSuites: number[] }) => Extension[]) =>
  (raw: Uint8Array): Uint8Array =>
    editRaw(raw, { version }, 'client_hello', (b) => {
      b.extensions = fn(b.extensions ?? [], b);
    });

/** A ChangeCipherSpec record (RFC 5246 §7.1: one byte, 1). */
const CCS_RECORD = (): Uint8Array =>
  encodeRecord({ contentType: ContentType.change_cipher_spec, version: VERSION_CODE['1.2'], fragment: Uint8Array.of(1) });

/** Our server leaves out a handshake message of its flight (live: a state-machine mutation towards any client). */
const serverDrops = (type: HandshakeTypeName) =>
  serverHooks(() => ({ beforeSend: (m) => (m.kind === 'handshake' && m.type === type ? [] : undefined) }));
/** Our server sends a handshake message twice in a row. */
const serverTwice = (type: HandshakeTypeName) =>
  serverHooks(() => ({ beforeSend: (m) => (m.kind === 'handshake' && m.type === type ? [m.raw, m.raw] : undefined) }));
/** Our server holds `moved` back and sends it right after `after`. */
const serverMovesAfter = (moved: HandshakeTypeName, after: HandshakeTypeName) =>
  serverHooks(() => {
    let held: Uint8Array | undefined;
    let done = false;
    return {
      beforeSend: (m) => {
        if (m.kind !== 'handshake' || done) return undefined;
        if (m.type === moved && !held) {
          held = m.raw;
          return [];
        }
        if (m.type === after && held) {
          done = true;
          return [m.raw, held];
        }
        return undefined;
      },
    };
  });

type Replace = (raw: Uint8Array, env: BaseEnv, log: MessageLog) => Promise<Uint8Array[]> | Uint8Array[];
/** Our client replaces its first outgoing message of a type. */
const clientReplaces = (type: HandshakeTypeName, fn: Replace) =>
  clientHooks((env) => onceOn(type, (raw, log) => fn(raw, env, log)));
/** Our server replaces its first outgoing message of a type. */
const serverReplaces = (type: HandshakeTypeName, fn: Replace) =>
  serverHooks((env) => onceOn(type, (raw, log) => fn(raw, env, log)));

// ------------------------------------------------------------------ points

const P256_OFF_CURVE = Uint8Array.of(4, ...new Array<number>(64).fill(1));
const P256_WRONG_LENGTH = Uint8Array.of(4, ...new Array<number>(63).fill(1));
const IDENTITY = Uint8Array.of(0);
const X25519_SMALL = (): Uint8Array => x25519SmallOrderPoints()[2]!;

/** Our client's ECDHE ClientKeyExchange carries `point` (live: against any server with a TLS 1.2 ECDHE suite). */
const ckePoint = (point: Uint8Array) =>
  clientReplaces('client_key_exchange', () => [hsMessage(16, Uint8Array.of(point.length, ...point))]);
const withShare = (point: Uint8Array) =>
  chEdit(VERSION_CODE['1.3'], (exts) => {
    const ks = getExt(exts, X.key_share, 'key_share_client');
    if (ks) ks.shares = ks.shares.map((s) => ({ ...s, keyExchange: point }));
    return exts;
  });
/**
 * Our client's ClientHello key shares all carry `point`. In memory the server
 * processes the original ClientHello, so the transcript shows a server that
 * went on after an invalid value (for the rules judging the receiver's
 * abort); live, the target sees the tampered bytes.
 */
const keySharePoint = (point: Uint8Array): Pick<ClientSends, 'where' | 'mutate' | 'inMemory'> => ({
  ...clientReplaces('client_hello', (raw) => [withShare(point)(raw)]),
  inMemory: () => ({ processesOriginal: ['client_hello'] }),
});

// --------------------------------------------------------------------- HRR

/** A HelloRetryRequest answering the transcript's first ClientHello (suite from its ServerHello). */
function hrrEntry(E: Entry[], group: number): Entry {
  const ch = E[at(E, 'client_hello', C)]!.raw!;
  const sh = E[at(E, 'server_hello', S)]!.raw!;
  const sid = ch.subarray(39, 39 + ch[38]!);
  const body = {
    type: 'server_hello' as const,
    legacyVersion: VERSION_CODE['1.2'],
    random: HRR_RANDOM,
    sessionId: Uint8Array.from(sid),
    cipherSuite: suiteOfServerHello(sh),
    compressionMethod: 0,
    extensions: [
      { type: X.supported_versions, body: { kind: 'supported_versions_server' as const, version: VERSION_CODE['1.3'] } },
      { type: X.key_share, body: { kind: 'key_share_hrr' as const, selectedGroup: group } },
    ],
  };
  return { dir: S, kind: 'handshake', type: 'server_hello', raw: encodeHandshake({ body }), encrypted: false };
}
const offeredGroup = (E: Entry[]): number => {
  let g = 0;
  editRaw(E[at(E, 'client_hello', C)]!.raw!, V13, 'client_hello', (b) => {
    g = getExt(b.extensions, X.key_share, 'key_share_client')?.shares[0]?.group ?? 0;
  });
  return g;
};
/** Another supported group than the key share's (the CH offers only one group; the HRR asks for one of BASE groups it did list if any). */
const otherGroup = (g: number): number => (g === NamedGroup.x25519 ? NamedGroup.secp256r1 : NamedGroup.x25519);
/** Insert HRR + a second ClientHello (`ch2` edits it) before the ServerHello. */
const withHrr = (E: Entry[], group: number, ch2: (raw: Uint8Array) => Uint8Array | undefined): void => {
  const i = at(E, 'server_hello', S);
  const ch = E[at(E, 'client_hello', C)]!;
  const h = hrrEntry(E, group);
  const second = ch2(ch.raw!);
  E.splice(i, 0, h, ...(second ? [{ ...ch, raw: second }] : []));
};
/** The client's groups widened (all base groups in supported_groups), so a retry has a group to ask for. */
const allGroupsClient = (env: BaseEnv): Prepared => ({
  client: {
    ...env.client,
    groups: [
      env.choice.group,
      ...[NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1].filter((g) => g !== env.choice.group),
    ],
    keyShareGroups: [env.choice.group],
  },
  server: env.server,
});
const ch2WithShare =
  (group: number) =>
  (raw: Uint8Array): Uint8Array =>
    chEdit(VERSION_CODE['1.3'], (exts) => {
      const ks = getExt(exts, X.key_share, 'key_share_client');
      if (ks)
        ks.shares = [
          {
            group,
            keyExchange:
              group === NamedGroup.x25519
                ? new Uint8Array(32).fill(9)
                : Uint8Array.of(4, ...new Array<number>(group === NamedGroup.secp384r1 ? 96 : 64).fill(1)),
          },
        ];
      return exts;
    })(raw);

// --------------------------------------------------------------- operators

const SENTINEL =
  (tail: Uint8Array) =>
  (raw: Uint8Array): Uint8Array[] => {
    const r = raw.slice();
    r.set(tail, 6 + 24);
    return [r];
  };
/** Server hooks that end the ServerHello random with `tail` and sign a TLS 1.2 ServerKeyExchange over the random as sent. */
const randomTail = (env: BaseEnv, tail: Uint8Array, sees?: (raw: Uint8Array) => Uint8Array): EngineHooks =>
  tracked(
    (m, log) => {
      if (m.type === 'server_hello') return SENTINEL(tail)(m.raw);
      if (m.type !== 'server_key_exchange') return undefined;
      const pl = 4 + m.raw[4 + 3]!;
      return resignSke(
        env.provider,
        env.server.identity,
        m.raw,
        (m.raw[4 + pl]! << 8) | m.raw[4 + pl + 1]!,
        randomOfHello(log.find('client_hello')!),
        randomOfHello(log.find('server_hello')!),
      ).then((r) => [r]);
    },
    sees ? (m) => (m.type === 'client_hello' ? [sees(m.raw)] : undefined) : undefined,
  );

export const CORE_MUTATIONS: readonly Mutation[] = [
  // ---- TLS 1.2 message order (transcript level)
  {
    name: 't12-drop-ske',
    description: 'ServerKeyExchange dropped from an ECDHE handshake',
    versions: ['1.2'],
    rules: ['t12.order.ske-required'],
    ...serverDrops('server_key_exchange'),
    bases: T12_ECDHE,
    needs: { kex: 'ECDHE' },
    // offline, the transcript goes on as if the receiver had accepted it (the later rules are judged too)
    offline: (env) => post(env, drop('server_key_exchange', S)),
  },
  {
    name: 't12-drop-server-certificate',
    description: 'server Certificate dropped',
    versions: ['1.2'],
    rules: ['t12.order.server-cert-required'],
    ...serverDrops('certificate'),
    bases: T12_ALL,
    // offline, the transcript goes on as if the receiver had accepted it (the later rules are judged too)
    offline: (env) => post(env, drop('certificate', S)),
  },
  {
    name: 't12-drop-cke',
    description: 'ClientKeyExchange dropped',
    versions: ['1.2'],
    rules: ['t12.order.cke-position'],
    where: 'transcript',
    bases: T12_ALL,
    apply: (env) => post(env, drop('client_key_exchange', C)),
  },
  {
    name: 't12-duplicate-cke',
    description: 'ClientKeyExchange sent twice',
    versions: ['1.2'],
    rules: ['t12.order.single-occurrence'],
    where: 'transcript',
    bases: T12_ALL,
    apply: (env) => post(env, duplicate('client_key_exchange', C)),
  },
  {
    name: 't12-duplicate-server-hello',
    description: 'ServerHello sent twice',
    versions: ['1.2'],
    rules: ['t12.order.single-occurrence'],
    ...serverTwice('server_hello'),
    bases: T12_ALL,
    // offline, the transcript goes on as if the receiver had accepted it (the later rules are judged too)
    offline: (env) => post(env, duplicate('server_hello', S)),
  },
  {
    name: 't12-swap-certificate-ske',
    description: 'ServerKeyExchange moved before the server Certificate',
    versions: ['1.2'],
    rules: ['t12.order.server-cert-position', 't12.order.ske-position'],
    ...serverMovesAfter('certificate', 'server_key_exchange'),
    bases: T12_ECDHE,
    needs: { kex: 'ECDHE' },
    // offline, the transcript goes on as if the receiver had accepted it (the later rules are judged too)
    offline: (env) => post(env, moveBefore('server_key_exchange', S, 'certificate', S)),
  },
  {
    name: 't12-cv-before-cke',
    description: 'CertificateVerify moved before ClientKeyExchange',
    versions: ['1.2'],
    rules: ['t12.order.cv-after-cke'],
    where: 'transcript',
    bases: T12_MUTUAL,
    apply: (env) => post(env, moveBefore('certificate_verify', C, 'client_key_exchange', C)),
  },
  {
    name: 't12-cr-after-shd',
    description: 'CertificateRequest moved after ServerHelloDone',
    versions: ['1.2'],
    rules: ['t12.order.cr-position'],
    where: 'transcript',
    bases: T12_MUTUAL,
    apply: (env) => post(env, moveBefore('server_hello_done', S, 'certificate_request', S)),
  },
  {
    name: 't12-inject-second-shd',
    description: 'a second ServerHelloDone injected',
    versions: ['1.2'],
    rules: ['t12.order.server-hello-done'],
    where: 'transcript',
    bases: T12_ALL,
    apply: (env) =>
      post(
        env,
        insertBefore(
          { dir: S, kind: 'handshake', type: 'server_hello_done', raw: Uint8Array.of(14, 0, 0, 0), encrypted: false },
          'server_hello_done',
          S,
        ),
      ),
  },
  {
    name: 't12-inject-client-hello-request',
    description: 'the client sends a HelloRequest after the handshake',
    versions: ['1.2'],
    rules: ['t12.order.hello-request'],
    where: 'transcript',
    bases: T12_ALL,
    apply: (env) =>
      post(
        env,
        (E) => void E.push({ dir: C, kind: 'handshake', type: 'hello_request', raw: Uint8Array.of(0, 0, 0, 0), encrypted: true }),
      ),
  },
  {
    name: 't12-appdata-before-finished',
    description: 'protected application data injected before the client Finished',
    versions: ['1.2'],
    rules: ['t12.order.finished-first-protected'],
    where: 'transcript',
    bases: T12_ALL,
    apply: (env) =>
      post(
        env,
        insertBefore(
          { dir: C, kind: 'application_data', type: 'application_data', raw: Uint8Array.of(1, 2, 3), encrypted: true },
          'finished',
          C,
        ),
      ),
  },
  {
    name: 't12-drop-certificate-request',
    description: 'CertificateRequest dropped, the client still sends its certificate',
    versions: ['1.2'],
    rules: ['t12.order.client-cert-iff-cr', 't12.fin.transcript-scope'],
    where: 'transcript',
    bases: T12_MUTUAL,
    apply: (env) => post(env, drop('certificate_request', S)),
  },
  // ---- TLS 1.2 CCS and skipped messages (hooks)
  {
    name: 't12-early-server-ccs',
    description:
      'a ChangeCipherSpec record injected right after the ServerHello record of a full handshake (CVE-2014-0224, towards the client)',
    versions: ['1.2'],
    rules: ['t12.order.state-machine', 't12.order.ccs-timing'],
    bases: T12_ALL,
    ...serverHooks(() => {
      let done = false;
      return {
        beforeSendRecord: (r) => {
          if (done || r.plaintext) return undefined;
          done = true;
          return [r, { side: 'server', raw: CCS_RECORD() }];
        },
      };
    }),
  },
  {
    name: 't12-early-client-ccs',
    description: 'the client sends ChangeCipherSpec before its key exchange flight (CVE-2014-0224, towards the server)',
    versions: ['1.2'],
    rules: ['t12.order.ccs-timing'],
    bases: T12_ALL,
    ...clientHooks(() => {
      let n = 0;
      return { beforeSendRecord: (r) => (n++ === 1 ? [{ side: 'client', raw: CCS_RECORD() }, r] : undefined) };
    }),
  },
  {
    name: 't12-missing-client-ccs',
    description: 'the client ChangeCipherSpec is not sent (its Finished is still protected)',
    versions: ['1.2'],
    rules: ['t12.order.ccs-before-finished'],
    bases: T12_ALL,
    ...clientHooks(() => ({ beforeSend: (m) => (m.kind === 'change_cipher_spec' ? [] : undefined) })),
  },
  {
    name: 't12-skip-client-cv',
    description: 'client Certificate sent but CertificateVerify skipped (CVE-2015-0205 style)',
    versions: ['1.2'],
    rules: ['t12.order.cv-iff-signing-cert'],
    bases: T12_MUTUAL,
    needs: { clientCert: true },
    ...clientReplaces('certificate_verify', () => []),
  },
  // ---- TLS 1.2 signatures
  {
    name: 't12-ske-sig-corrupt',
    description: 'last ServerKeyExchange signature byte flipped',
    versions: ['1.2'],
    rules: ['t12.ske.signature-valid'],
    bases: T12_ECDHE,
    ...serverReplaces('server_key_exchange', (raw) => [flipLast(raw)]),
  },
  {
    name: 't12-ske-sig-truncated',
    description: 'ServerKeyExchange signature shortened by one byte (lengths fixed up)',
    versions: ['1.2'],
    rules: ['t12.ske.signature-encoding', 't12.ske.signature-valid'],
    bases: T12_ECDHE,
    ...serverReplaces('server_key_exchange', (raw) => {
      const pl = 4 + raw[4 + 3]!;
      const sigLen = (raw[4 + pl + 2]! << 8) | raw[4 + pl + 3]!;
      const sig = raw.subarray(4 + pl + 4, 4 + pl + 4 + sigLen - 1);
      return [hsMessage(12, concatBytes([raw.subarray(4, 4 + pl), raw.subarray(4 + pl, 4 + pl + 2), u16(sig.length), sig]))];
    }),
  },
  {
    name: 't12-ske-signed-wrong-randoms',
    description: 'ServerKeyExchange signed with client and server randoms swapped',
    versions: ['1.2'],
    rules: ['t12.ske.signature-input', 't12.ske.signature-valid'],
    bases: T12_ECDHE,
    ...serverReplaces('server_key_exchange', async (raw, env, log) => {
      const cr = randomOfHello(log.find('client_hello')!);
      const sr = randomOfHello(log.find('server_hello')!);
      const pl = 4 + raw[4 + 3]!;
      return [await resignSke(env.provider, env.server.identity, raw, (raw[4 + pl]! << 8) | raw[4 + pl + 1]!, sr, cr)];
    }),
  },
  {
    name: 't12-cv-sig-corrupt',
    description: 'last client CertificateVerify signature byte flipped',
    versions: ['1.2'],
    rules: ['t12.cv.signature-valid'],
    bases: T12_MUTUAL,
    needs: { clientCert: true, clientKeys: EDDSA_TOO },
    ...clientReplaces('certificate_verify', (raw) => [flipLast(raw)]),
  },
  {
    name: 't12-cv-sig-truncated',
    description: 'client CertificateVerify signature shortened by one byte',
    versions: ['1.2'],
    rules: ['t12.cv.signature-encoding', 't12.cv.signature-valid'],
    bases: T12_MUTUAL,
    needs: { clientCert: true, clientKeys: EDDSA_TOO },
    ...clientReplaces('certificate_verify', (raw) => [certificateVerify(schemeOfCv(raw), raw.subarray(8, raw.length - 1))]),
  },
  {
    name: 't12-cv-missing-message',
    description: 'client CertificateVerify signed over the handshake without the CertificateRequest',
    versions: ['1.2'],
    rules: ['t12.cv.signature-input', 't12.cv.signature-valid'],
    bases: T12_MUTUAL,
    needs: { clientCert: true },
    ...clientReplaces('certificate_verify', async (raw, env, log) => [
      await cv12(
        env.provider,
        clientIdentity(env),
        schemeOfCv(raw),
        log.raws.filter((_r, i) => log.types[i] !== 'certificate_request'),
      ),
    ]),
  },
  {
    name: 't12-cv-extra-message',
    description: 'client CertificateVerify signed over the handshake with the ServerHelloDone twice',
    versions: ['1.2'],
    rules: ['t12.cv.signature-input', 't12.cv.signature-valid'],
    bases: T12_MUTUAL,
    needs: { clientCert: true },
    ...clientReplaces('certificate_verify', async (raw, env, log) => [
      await cv12(env.provider, clientIdentity(env), schemeOfCv(raw), [...log.raws, log.find('server_hello_done')!]),
    ]),
  },
  {
    name: 't12-ske-scheme-not-offered',
    description:
      'the server signs ServerKeyExchange with rsa_pkcs1_sha256, which the client did not offer (the server saw a ClientHello offering it)',
    versions: ['1.2'],
    rules: ['t12.neg.ske-sigalg'],
    bases: ['t12-ecdhe-rsa-cbc-mutual'],
    ...serverHooks(() =>
      serverSees(
        chEdit(VERSION_CODE['1.2'], (exts) =>
          setExt(exts, X.signature_algorithms, { kind: 'signature_algorithms', schemes: [SS.rsa_pkcs1_sha256] }),
        ),
      ),
    ),
    // in memory our client does not offer the scheme; live, the client's own offer decides (the run skips one that offers it)
    inMemory: (env) => ({
      client: { ...env.client, signatureSchemes: [SS.rsa_pss_rsae_sha256, SS.ecdsa_secp256r1_sha256, SS.ecdsa_secp384r1_sha384] },
    }),
  },
  {
    name: 't12-cv-scheme-not-offered',
    description: 'the client signs CertificateVerify with rsa_pkcs1_sha256, not in the CertificateRequest',
    versions: ['1.2'],
    rules: ['t12.neg.cv-sigalg'],
    bases: ['t12-ecdhe-rsa-cbc-mutual'],
    ...clientReplaces('certificate_verify', async (_raw, env, log) => [
      await cv12(env.provider, clientIdentity(env), SS.rsa_pkcs1_sha256, log.raws),
    ]),
    // in memory our server does not request the scheme
    inMemory: (env) => ({
      server: { ...env.server, signatureSchemes: [SS.rsa_pss_rsae_sha256, SS.ecdsa_secp256r1_sha256, SS.ecdsa_secp384r1_sha384] },
    }),
    notLive:
      "whether rsa_pkcs1_sha256 was requested is up to the target's CertificateRequest, which is not known before the conversation",
  },
  {
    name: 't12-ske-scheme-key-mismatch',
    description: 'ServerKeyExchange names an ECDSA scheme for an RSA certificate key (pki/faults scheme-mismatch)',
    versions: ['1.2'],
    rules: ['cert.leaf.key-type', 't12.ske.signature-valid'],
    chainFault: 'scheme-mismatch',
    bases: ['t12-ecdhe-rsa-cbc-mutual'],
    ...serverReplaces('server_key_exchange', (raw) => {
      const r = raw.slice();
      const pl = 4 + raw[4 + 3]!;
      r.set(u16(SS.ecdsa_secp256r1_sha256), 4 + pl);
      return [r];
    }),
  },
  // ---- TLS 1.2 key exchange values
  {
    name: 't12-cke-point-off-curve',
    description: 'P-256 ClientKeyExchange point not on the curve',
    versions: ['1.2'],
    rules: ['ecdh.point-on-curve'],
    bases: T12_ECDHE,
    needs: { groups: [NamedGroup.secp256r1], kex: 'ECDHE' },
    ...ckePoint(P256_OFF_CURVE),
  },
  {
    name: 't12-cke-point-identity',
    description: 'ClientKeyExchange point at infinity (one zero byte)',
    versions: ['1.2'],
    rules: ['ecdh.point-format'],
    bases: T12_ECDHE,
    needs: { groups: [NamedGroup.secp256r1], kex: 'ECDHE' },
    ...ckePoint(IDENTITY),
  },
  {
    name: 't12-cke-point-wrong-length',
    description: 'P-256 ClientKeyExchange point one byte short',
    versions: ['1.2'],
    rules: ['ecdh.point-format'],
    bases: T12_ECDHE,
    needs: { groups: [NamedGroup.secp256r1], kex: 'ECDHE' },
    ...ckePoint(P256_WRONG_LENGTH),
  },
  {
    name: 't12-cke-x25519-small-order',
    description: 'X25519 ClientKeyExchange value of small order, and the server goes on (all-zero shared secret not rejected)',
    versions: ['1.2'],
    rules: ['ecdh.x25519-zero'],
    where: 'transcript',
    bases: T12_ECDHE,
    needs: { groups: [NamedGroup.x25519] },
    apply: (env) =>
      post(env, (E) => {
        const i = at(E, 'client_key_exchange', C);
        E[i] = { ...E[i]!, raw: hsMessage(16, Uint8Array.of(32, ...X25519_SMALL())) };
      }),
  },
  // ---- TLS 1.2 Finished
  {
    name: 't12-client-finished-wrong',
    description: 'last byte of the client verify_data flipped',
    versions: ['1.2'],
    rules: ['t12.fin.verify-data'],
    bases: T12_ALL,
    ...clientReplaces('finished', (raw) => [flipLast(raw)]),
  },
  {
    name: 't12-server-finished-wrong',
    description: 'last byte of the server verify_data flipped',
    versions: ['1.2'],
    rules: ['t12.fin.verify-data'],
    bases: T12_ALL,
    ...serverReplaces('finished', (raw) => [flipLast(raw)]),
  },
  // ---- TLS 1.2 negotiation
  {
    name: 't12-suite-not-offered',
    description: 'the server selects a suite the client did not offer (it saw a ClientHello offering it)',
    versions: ['1.2'],
    rules: ['t12.neg.suite-offered'],
    bases: ['t12-ecdhe-rsa-cbc-mutual'],
    where: 'server-sends',
    mutate: (env) => ({
      config: { ...env.server, cipherSuites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256] },
      hooks: serverSees(
        chEdit(VERSION_CODE['1.2'], (exts, b) => {
          b.cipherSuites = [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ...b.cipherSuites];
          return exts;
        }),
      ),
    }),
  },
  {
    name: 't12-export-suite-selected',
    description: 'ServerHello selects TLS_RSA_EXPORT_WITH_RC4_40_MD5, never offered (FREAK style)',
    versions: ['1.2'],
    rules: ['t12.neg.suite-offered', 't12.neg.no-weak-algorithms'],
    where: 'transcript',
    bases: T12_ALL,
    apply: (env) =>
      post(env, (E) => {
        const i = at(E, 'server_hello', S);
        E[i] = {
          ...E[i]!,
          raw: editRaw(E[i]!.raw!, V12, 'server_hello', (b) => {
            b.cipherSuite = 0x0003;
          }),
        };
      }),
  },
  {
    // only the RSA-client base: a client with an ECDSA certificate lists its certificate's curve (secp384r1) itself
    name: 't12-group-not-offered',
    description: 'ServerKeyExchange uses secp384r1, which the client did not offer',
    versions: ['1.2'],
    rules: ['ext.ecc.curve-offered'],
    bases: ['t12-ecdhe-rsa-cbc-mutual'],
    needs: { groups: [NamedGroup.x25519] },
    where: 'server-sends',
    mutate: (env) => ({
      config: { ...env.server, groups: [NamedGroup.secp384r1] },
      hooks: serverSees(
        chEdit(VERSION_CODE['1.2'], (exts) =>
          setExt(exts, X.supported_groups, {
            kind: 'supported_groups',
            groups: [NamedGroup.secp384r1, NamedGroup.x25519, NamedGroup.secp256r1],
          }),
        ),
      ),
    }),
  },
  {
    name: 't12-alpn-not-offered',
    description: 'ServerHello carries ALPN the client never sent',
    versions: ['1.2'],
    rules: ['ext.only-if-offered'],
    bases: T12_ALL,
    where: 'server-sends',
    mutate: (env) => ({
      config: { ...env.server, alpn: ['h2'] },
      hooks: serverSees(
        chEdit(VERSION_CODE['1.2'], (exts) =>
          setExt(exts, X.application_layer_protocol_negotiation, {
            kind: 'application_layer_protocol_negotiation',
            protocols: [new TextEncoder().encode('h2')],
          }),
        ),
      ),
    }),
  },
  {
    name: 't12-tls11-sentinel',
    description: 'a TLS 1.2 ServerHello random ends with the TLS 1.1 downgrade sentinel',
    versions: ['1.2'],
    rules: ['ver.downgrade-sentinel-set'],
    // RFC 8446 §4.1.3: "TLS 1.3 clients receiving a ServerHello indicating TLS 1.2 or below MUST check that the last 8
    // bytes are not equal to either of these values [...] If a match is found, the client MUST abort the handshake
    // with an "illegal_parameter" alert." A TLS 1.2-only client is not bound (it does not know the sentinel).
    reactionRules: ['ver.downgrade-sentinel-check'],
    bases: T12_ALL,
    needs: { peerOffers13: true },
    ...serverHooks((env) => randomTail(env, DOWNGRADE_TLS11)),
  },
  {
    name: 't12-downgrade-without-sentinel',
    description: 'a 1.3-capable server, shown a ClientHello without supported_versions, answers TLS 1.2 without the sentinel',
    versions: ['1.2'],
    rules: [],
    undecidable: ['ver.downgrade-sentinel-set'],
    bases: ['t12-ecdhe-rsa-cbc-mutual'],
    where: 'server-sends',
    mutate: (env) => {
      const strip = chEdit(VERSION_CODE['1.2'], (exts) =>
        exts.filter((e) => e.type !== X.supported_versions && e.type !== X.key_share),
      );
      return {
        config: { ...env.server, versions: [VERSION_CODE['1.3'], VERSION_CODE['1.2']] },
        hooks: randomTail(env, new Uint8Array(8).fill(0x55), strip),
      };
    },
    // in memory our client offers TLS 1.3 too (the server's view of its ClientHello is stripped of it)
    inMemory: (env) => ({
      client: {
        ...env.client,
        versions: [VERSION_CODE['1.3'], VERSION_CODE['1.2']],
        cipherSuites: [CipherSuite13.TLS_AES_128_GCM_SHA256, ...(env.client.cipherSuites ?? [])],
      },
    }),
  },
  // ---- TLS 1.3 order
  {
    name: 't13-drop-ee',
    description: 'EncryptedExtensions dropped',
    versions: ['1.3'],
    rules: ['t13.order.ee-after-sh'],
    ...serverDrops('encrypted_extensions'),
    bases: T13_ALL,
    // offline, the transcript goes on as if the receiver had accepted it (the later rules are judged too)
    offline: (env) => post(env, drop('encrypted_extensions', S)),
  },
  {
    name: 't13-drop-server-cv',
    description: 'the server skips its CertificateVerify',
    versions: ['1.3'],
    rules: ['t13.order.server-auth-required'],
    bases: T13_ALL,
    ...serverReplaces('certificate_verify', () => []),
  },
  {
    name: 't13-swap-certificate-cv',
    description: 'server CertificateVerify moved before its Certificate',
    versions: ['1.3'],
    rules: ['t13.order.cv-position'],
    ...serverMovesAfter('certificate', 'certificate_verify'),
    bases: T13_ALL,
    // offline, the transcript goes on as if the receiver had accepted it (the later rules are judged too)
    offline: (env) => post(env, moveBefore('certificate_verify', S, 'certificate', S)),
  },
  {
    name: 't13-skip-client-cv',
    description: 'client Certificate (non-empty) sent but CertificateVerify skipped',
    versions: ['1.3'],
    rules: ['t13.order.client-cv-iff-nonempty'],
    bases: T13_MUTUAL,
    needs: { clientCert: true },
    ...clientReplaces('certificate_verify', () => []),
  },
  {
    name: 't13-drop-client-certificate',
    description: 'the client answers a CertificateRequest with neither Certificate nor CertificateVerify',
    versions: ['1.3'],
    rules: ['t13.order.client-cert-iff-cr'],
    bases: T13_MUTUAL,
    needs: { clientCert: true },
    ...clientHooks(() => ({
      beforeSend: (m) => (m.type === 'certificate' || m.type === 'certificate_verify' ? [] : undefined),
    })),
  },
  {
    name: 't13-ccs-after-handshake',
    description: 'a ChangeCipherSpec sent after the server Finished',
    versions: ['1.3'],
    rules: ['rec.t13.ccs-compat'],
    where: 'transcript',
    bases: T13_ALL,
    apply: (env) =>
      post(
        env,
        insertBefore(
          { dir: S, kind: 'change_cipher_spec', type: 'change_cipher_spec', raw: Uint8Array.of(1), encrypted: false },
          'new_session_ticket',
          S,
        ),
      ),
  },
  {
    name: 't13-nst-before-client-finished',
    description:
      'NewSessionTicket moved before the client Finished of a client-authenticated handshake (without client auth RFC 8446 §4.6.1 allows it)',
    versions: ['1.3'],
    rules: ['t13.order.post-handshake'],
    where: 'transcript',
    bases: T13_MUTUAL,
    apply: (env) => post(env, moveBefore('new_session_ticket', S, 'finished', C)),
  },
  // ---- TLS 1.3 signatures
  {
    name: 't13-server-cv-sig-corrupt',
    description: 'last server CertificateVerify signature byte flipped',
    versions: ['1.3'],
    rules: ['t13.cv.signature-valid'],
    bases: T13_ALL,
    ...serverReplaces('certificate_verify', (raw) => [flipLast(raw)]),
  },
  {
    name: 't13-client-cv-sig-corrupt',
    description: 'last client CertificateVerify signature byte flipped',
    versions: ['1.3'],
    rules: ['t13.cv.signature-valid'],
    bases: T13_MUTUAL,
    needs: { clientCert: true, clientKeys: EDDSA_TOO },
    ...clientReplaces('certificate_verify', (raw) => [flipLast(raw)]),
  },
  {
    name: 't13-server-cv-sig-truncated',
    description: 'server CertificateVerify signature shortened by one byte',
    versions: ['1.3'],
    rules: ['t13.cv.signature-valid'],
    bases: T13_ALL,
    ...serverReplaces('certificate_verify', (raw) => [certificateVerify(schemeOfCv(raw), raw.subarray(8, raw.length - 1))]),
  },
  {
    name: 't13-cv-client-context',
    description: 'server CertificateVerify signed with the client context string',
    versions: ['1.3'],
    rules: ['t13.cv.context-string', 't13.cv.signature-valid'],
    bases: T13_ALL,
    ...serverReplaces('certificate_verify', async (raw, env, log) => [
      await cv13(
        env.provider,
        env.server.identity,
        schemeOfCv(raw),
        suiteOfServerHello(log.find('server_hello')!),
        'client',
        log.raws,
      ),
    ]),
  },
  {
    name: 't13-cv-missing-message',
    description: 'server CertificateVerify signed over the transcript without EncryptedExtensions',
    versions: ['1.3'],
    rules: ['t13.cv.signed-content', 't13.cv.signature-valid'],
    bases: T13_ALL,
    ...serverReplaces('certificate_verify', async (raw, env, log) => [
      await cv13(
        env.provider,
        env.server.identity,
        schemeOfCv(raw),
        suiteOfServerHello(log.find('server_hello')!),
        'server',
        log.raws.filter((_r, i) => log.types[i] !== 'encrypted_extensions'),
      ),
    ]),
  },
  {
    name: 't13-cv-extra-message',
    description: 'server CertificateVerify signed over the transcript with the Certificate twice',
    versions: ['1.3'],
    rules: ['t13.cv.signed-content', 't13.cv.signature-valid'],
    bases: T13_ALL,
    ...serverReplaces('certificate_verify', async (raw, env, log) => [
      await cv13(env.provider, env.server.identity, schemeOfCv(raw), suiteOfServerHello(log.find('server_hello')!), 'server', [
        ...log.raws,
        log.find('certificate')!,
      ]),
    ]),
  },
  {
    name: 't13-cv-scheme-not-offered',
    description:
      'the server signs CertificateVerify with rsa_pss_rsae_sha512, which the client did not offer (it saw a ClientHello offering it)',
    versions: ['1.3'],
    rules: ['t13.neg.cv-sigalg'],
    bases: ['t13-server-auth'],
    ...serverHooks(() =>
      serverSees(
        chEdit(VERSION_CODE['1.3'], (exts) =>
          setExt(exts, X.signature_algorithms, { kind: 'signature_algorithms', schemes: [SS.rsa_pss_rsae_sha512] }),
        ),
      ),
    ),
    inMemory: (env) => ({ client: { ...env.client, signatureSchemes: [SS.rsa_pss_rsae_sha256, SS.ecdsa_secp256r1_sha256] } }),
    // our server's edited view of the ClientHello changes its TLS 1.3 handshake keys: the client cannot decrypt the
    // CertificateVerify that carries the violation, and bad_record_mac is then its right answer
    notLive: 'the violation sits in a CertificateVerify the client cannot decrypt',
  },
  {
    name: 't13-cv-rsa-pkcs1',
    description: 'server CertificateVerify (RSA key) signed with rsa_pkcs1_sha256',
    versions: ['1.3'],
    rules: ['t13.cv.rsa-pss', 't13.neg.cv-sigalg'],
    bases: ['t13-server-auth'],
    ...serverReplaces('certificate_verify', async (_raw, env, log) => [
      await cv13(
        env.provider,
        env.server.identity,
        SS.rsa_pkcs1_sha256,
        suiteOfServerHello(log.find('server_hello')!),
        'server',
        log.raws,
      ),
    ]),
  },
  // ---- TLS 1.3 Finished
  {
    name: 't13-client-finished-wrong',
    description: 'last byte of the client verify_data flipped',
    versions: ['1.3'],
    rules: ['t13.fin.verify-data'],
    bases: T13_ALL,
    ...clientReplaces('finished', (raw) => [flipLast(raw)]),
  },
  {
    name: 't13-server-finished-wrong',
    description: 'last byte of the server verify_data flipped',
    versions: ['1.3'],
    rules: ['t13.fin.verify-data'],
    bases: T13_ALL,
    ...serverReplaces('finished', (raw) => [flipLast(raw)]),
  },
  // ---- TLS 1.3 negotiation
  {
    name: 't13-suite-not-offered',
    description: 'the server selects TLS_CHACHA20_POLY1305_SHA256, which the client did not offer',
    versions: ['1.3'],
    rules: ['t13.neg.suite-offered'],
    bases: ['t13-mutual'],
    where: 'server-sends',
    mutate: (env) => ({
      config: { ...env.server, cipherSuites: [CipherSuite13.TLS_CHACHA20_POLY1305_SHA256] },
      hooks: serverSees(
        chEdit(VERSION_CODE['1.3'], (exts, b) => {
          b.cipherSuites = [CipherSuite13.TLS_CHACHA20_POLY1305_SHA256, ...b.cipherSuites];
          return exts;
        }),
      ),
    }),
  },
  {
    name: 't13-group-not-offered',
    description: 'the server answers with a secp256r1 key share the client never sent',
    versions: ['1.3'],
    rules: ['t13.neg.keyshare-server'],
    bases: T13_ALL,
    needs: { groups: [NamedGroup.x25519] },
    where: 'server-sends',
    mutate: async (env) => {
      const kp = await generateEcdhKeyPair(env.provider, 'secp256r1');
      const h = serverSees(
        chEdit(VERSION_CODE['1.3'], (exts) => {
          const ks = getExt(exts, X.key_share, 'key_share_client');
          if (ks) ks.shares = [{ group: NamedGroup.secp256r1, keyExchange: kp.publicKey }, ...ks.shares];
          return setExt(
            exts,
            X.supported_groups,
            { kind: 'supported_groups', groups: [NamedGroup.secp256r1, NamedGroup.x25519] },
            exts.findIndex((e) => e.type === X.supported_groups),
          );
        }),
      );
      return { config: { ...env.server, groups: [NamedGroup.secp256r1] }, hooks: h };
    },
  },
  {
    name: 't13-alpn-not-offered',
    description: 'EncryptedExtensions carries ALPN the client never sent',
    versions: ['1.3'],
    rules: ['ext.only-if-offered'],
    bases: T13_ALL,
    where: 'server-sends',
    mutate: (env) => ({
      config: { ...env.server, alpn: ['h2'] },
      hooks: serverSees(
        chEdit(VERSION_CODE['1.3'], (exts) =>
          setExt(
            exts,
            X.application_layer_protocol_negotiation,
            { kind: 'application_layer_protocol_negotiation', protocols: [new TextEncoder().encode('h2')] },
            0,
          ),
        ),
      ),
    }),
    // as t13-cv-scheme-not-offered: the edited ClientHello view changes the handshake keys
    notLive: 'the violation sits in EncryptedExtensions the client cannot decrypt',
  },
  {
    name: 't13-keyshare-off-curve',
    description: 'P-256 key share not on the curve',
    versions: ['1.3'],
    rules: ['ecdh.point-on-curve'],
    bases: T13_ALL,
    needs: { groups: [NamedGroup.secp256r1] },
    ...keySharePoint(P256_OFF_CURVE),
  },
  {
    name: 't13-keyshare-identity',
    description: 'P-256 key share is the point at infinity (one zero byte)',
    versions: ['1.3'],
    rules: ['ecdh.point-format'],
    bases: T13_ALL,
    needs: { groups: [NamedGroup.secp256r1] },
    ...keySharePoint(IDENTITY),
  },
  {
    name: 't13-keyshare-wrong-length',
    description: 'P-256 key share one byte short',
    versions: ['1.3'],
    rules: ['ecdh.point-format'],
    bases: T13_ALL,
    needs: { groups: [NamedGroup.secp256r1] },
    ...keySharePoint(P256_WRONG_LENGTH),
  },
  {
    name: 't13-keyshare-x25519-small-order',
    description: 'X25519 key share of small order, and the server goes on',
    versions: ['1.3'],
    rules: ['ecdh.x25519-zero'],
    bases: T13_ALL,
    needs: { groups: [NamedGroup.x25519] },
    ...keySharePoint(X25519_SMALL()),
  },
  {
    name: 't13-sentinel-in-tls13',
    description: 'a TLS 1.3 ServerHello random ends with the TLS 1.2 downgrade sentinel',
    versions: ['1.3'],
    rules: ['ver.downgrade-sentinel-set'],
    bases: T13_ALL,
    ...serverReplaces('server_hello', SENTINEL(DOWNGRADE_TLS12)),
  },
  {
    name: 't13-sh-legacy-version-0304',
    description: 'TLS 1.3 ServerHello legacy_version {3, 4} (TLS 1.3) instead of {3, 3}',
    versions: ['1.3'],
    rules: ['ver.t13.legacy-version-fields'],
    bases: T13_ALL,
    ...serverReplaces('server_hello', (raw) => {
      const r = raw.slice();
      r[4] = 3;
      r[5] = 4;
      return [r];
    }),
  },
  {
    name: 't13-session-id-not-echoed',
    description: 'TLS 1.3 ServerHello legacy_session_id_echo changed',
    versions: ['1.3'],
    rules: ['t13.neg.session-id-echo'],
    bases: T13_ALL,
    ...serverReplaces('server_hello', (raw) => [
      editRaw(raw, V13, 'server_hello', (b) => {
        b.sessionId = b.sessionId.length ? b.sessionId.map((x) => x ^ 0xff) : new Uint8Array(32).fill(0x42);
      }),
    ]),
  },
  // ---- HelloRetryRequest misuse (transcript level: the engine has no HRR)
  {
    name: 't13-hrr-same-group',
    description: 'HelloRetryRequest asks for the group the client already sent a share for',
    versions: ['1.3'],
    rules: ['t13.neg.hrr-must-change'],
    where: 'transcript',
    bases: T13_ALL,
    apply: (env) => ({ ...allGroupsClient(env), post: edited((E) => withHrr(E, offeredGroup(E), (raw) => raw)) }),
  },
  {
    name: 't13-double-hrr',
    description: 'two HelloRetryRequests',
    versions: ['1.3'],
    rules: ['t13.order.single-hrr'],
    where: 'transcript',
    bases: T13_ALL,
    apply: (env) => ({
      ...allGroupsClient(env),
      post: edited((E) => {
        const g = otherGroup(offeredGroup(E));
        withHrr(E, g, ch2WithShare(g));
        withHrr(E, g, ch2WithShare(g));
      }),
    }),
  },
  {
    name: 't13-hrr-without-ch2',
    description: 'HelloRetryRequest followed directly by a ServerHello, no second ClientHello',
    versions: ['1.3'],
    rules: ['t13.order.ch2-after-hrr'],
    where: 'transcript',
    bases: T13_ALL,
    apply: (env) => ({ ...allGroupsClient(env), post: edited((E) => withHrr(E, otherGroup(offeredGroup(E)), () => undefined)) }),
  },
  {
    name: 't13-hrr-ch2-unchanged',
    description: 'the second ClientHello repeats the first after a HelloRetryRequest for another group',
    versions: ['1.3'],
    rules: ['t13.neg.ch2-rules'],
    where: 'transcript',
    bases: T13_ALL,
    apply: (env) => ({ ...allGroupsClient(env), post: edited((E) => withHrr(E, otherGroup(offeredGroup(E)), (raw) => raw)) }),
  },
  {
    name: 't13-hrr-group-not-offered',
    description: 'HelloRetryRequest selects ffdhe2048, not in supported_groups',
    versions: ['1.3'],
    rules: ['t13.neg.hrr-group'],
    where: 'transcript',
    bases: T13_ALL,
    apply: (env) => post(env, (E) => withHrr(E, NamedGroup.ffdhe2048, ch2WithShare(NamedGroup.ffdhe2048))),
  },
];
