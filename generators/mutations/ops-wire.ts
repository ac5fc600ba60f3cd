/**
 * Mutation operators for the record layer, message order, negotiation and
 * extension rules: edits of the finished transcript of a generated run that
 * keep the record layer (unchanged messages keep their real records), or
 * engine hooks where the peer must see something else than what was sent.
 * Plaintext rules only: what these break is judged on the bytes as sent, so
 * the Finished and signature rules that also trip are recorded as collateral.
 */
import type { RuleId } from '../../oracles/catalogue';
import type { RecordInput } from '../../transcript/build';
import type { Extension, ExtensionBody } from '../../wire/extensions';
import type { DecodeContext, HandshakeBody } from '../../wire/handshake';
import { ServerSessionCache, newClientSessionStore } from '../../engine/session';
import { encodeRecord } from '../../wire/record';
import { DOWNGRADE_TLS12, HRR_RANDOM, NamedGroup, ProtocolVersion, ExtensionType as X } from '../../wire/registry';
import { type HandshakeTypeName, type MessageType, VERSION_CODE } from '../../wire/vocabulary';
import type { Mutation } from './model';
import { KU_BAD_VALUE, KU_IN_CLIENT_FLIGHT } from './ops-keyupdate';
import {
  BASE_GROUPS,
  type BaseEnv,
  type BaseName,
  C,
  type FramedEntry,
  type Prepared,
  S,
  at,
  editRaw,
  framed,
  getExt,
  recordAt,
  setExt,
  versionsOf,
} from './support';

const T12_ALL: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm', 't12-rsa-kex'];
const T12_ECDHE: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm'];
const T13_ALL: readonly BaseName[] = ['t13-server-auth', 't13-mutual'];
const T13_MUTUAL: readonly BaseName[] = ['t13-mutual'];
const ALL: readonly BaseName[] = [...T12_ALL, ...T13_ALL];
const V12: DecodeContext = { version: VERSION_CODE['1.2'] };
const V13: DecodeContext = { version: VERSION_CODE['1.3'] };
/**
 * Why the ClientHello edits our client makes itself are not run against live servers yet: the live conversation
 * list stays as it was before the mutation model (the ClientHello families of issue #14 bring them in, each with the
 * reaction its rules name).
 */
const NOT_YET_LIVE = 'a ClientHello edit not yet in the live conversation list (issue #14 ClientHello families)';
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/**
 * A ClientHello offered as TLS 1.3 only: a server that refuses it sends no ServerHello, and the transcript shows the
 * version from the ClientHello alone (for rules of TLS 1.3 hellos).
 */
const offerOnly13 = (b: { extensions?: Extension[] }): void => {
  const sv = getExt(b.extensions, X.supported_versions, 'supported_versions_client');
  if (sv) sv.versions = sv.versions.filter((v) => v === VERSION_CODE['1.3']);
};

type Edit = (E: FramedEntry[]) => void;
type RecordEdit = (R: RecordInput[]) => void;

/** A transcript-level operator (message edit, then record edit). */
function tx(
  name: string,
  description: string,
  rules: readonly RuleId[],
  bases: readonly BaseName[],
  fn: Edit,
  rfn?: RecordEdit,
  config?: (env: BaseEnv) => Prepared,
): Mutation {
  return {
    name,
    description,
    versions: versionsOf(bases),
    rules,
    where: 'transcript',
    bases,
    apply: (env) => ({ ...(config ? config(env) : { client: env.client, server: env.server }), post: framed(fn, rfn) }),
  };
}
/**
 * A ClientHello edit made by the client itself (engine hook before sending):
 * its transcript hash, Finished and signatures cover the edited bytes, so
 * only the rule about the edit trips (plus whatever the server does about it).
 * Acts on our client's sends; not run live yet (see NOT_YET_LIVE).
 */
function clientHello(
  name: string,
  description: string,
  rules: readonly RuleId[],
  bases: readonly BaseName[],
  fn: Edit,
): Mutation {
  return {
    name,
    description,
    versions: versionsOf(bases),
    rules,
    bases,
    where: 'client-sends',
    notLive: NOT_YET_LIVE,
    mutate: (env) => {
      let done = false;
      const beforeSend = (m: { type: string; raw: Uint8Array }): Uint8Array[] | undefined => {
        if (done || m.type !== 'client_hello') return undefined;
        done = true;
        // the message list `edit` works on; a TLS 1.3 base adds an EncryptedExtensions marker so messages decode with TLS 1.3 rules
        const E: FramedEntry[] = [
          hs(C, 'client_hello', m.raw, false),
          ...(env.spec.version === '1.3'
            ? [{ dir: S, kind: 'handshake' as const, type: 'encrypted_extensions' as const, encrypted: true }]
            : []),
        ];
        fn(E);
        return [E[0]!.raw!];
      };
      return { hooks: { beforeSend } };
    },
  };
}
const records = (
  name: string,
  description: string,
  rules: readonly RuleId[],
  bases: readonly BaseName[],
  rfn: RecordEdit,
): Mutation => tx(name, description, rules, bases, () => {}, rfn);

/** Decode, edit and re-encode the nth message of a type (the version picks the decoding rules). */
function edit<T extends HandshakeBody['type'] & HandshakeTypeName>(
  E: FramedEntry[],
  type: T,
  dir: FramedEntry['dir'],
  fn: (b: Extract<HandshakeBody, { type: T }>) => void,
  nth = 0,
): void {
  const i = at(E, type, dir, nth);
  const e = E[i]!;
  const tls13 = E.some((x) => x.type === 'encrypted_extensions');
  E[i] = { ...e, raw: editRaw(e.raw!, tls13 ? V13 : V12, type, fn) };
}
const exts =
  (
    type: 'client_hello' | 'server_hello' | 'encrypted_extensions',
    dir: FramedEntry['dir'],
    fn: (x: Extension[]) => Extension[],
  ): Edit =>
  (E) =>
    edit(E, type, dir, (b) => {
      b.extensions = fn(b.extensions ?? []);
    });
const put =
  (type: number, body: ExtensionBody, index?: number) =>
  (x: Extension[]): Extension[] =>
    setExt(x, type, body, index);
const del =
  (type: number) =>
  (x: Extension[]): Extension[] =>
    x.filter((e) => e.type !== type);
const hs = (dir: FramedEntry['dir'], type: HandshakeTypeName, raw: Uint8Array, encrypted: boolean): FramedEntry => ({
  dir,
  kind: 'handshake',
  type,
  raw,
  encrypted,
});
const drop =
  (type: MessageType, dir: FramedEntry['dir']): Edit =>
  (E) =>
    void E.splice(at(E, type, dir), 1);
const moveBefore =
  (type: MessageType, dir: FramedEntry['dir'], before: MessageType, beforeDir: FramedEntry['dir']): Edit =>
  (E) => {
    const [m] = E.splice(at(E, type, dir), 1);
    E.splice(at(E, before, beforeDir), 0, m!);
  };
const insertBefore =
  (e: FramedEntry, before: MessageType, dir: FramedEntry['dir'], offset = 0): Edit =>
  (E) =>
    void E.splice(at(E, before, dir) + offset, 0, e);
const both =
  (...fns: Edit[]): Edit =>
  (E) => {
    for (const f of fns) f(E);
  };
const plainRecord = (dir: FramedEntry['dir'], contentType: number, fragment: Uint8Array): RecordInput => ({
  dir,
  raw: encodeRecord({ contentType, version: VERSION_CODE['1.2'], fragment }),
});
const sealed = (dir: FramedEntry['dir'], tls13: boolean, contentType: number, fragment: Uint8Array): RecordInput => ({
  dir,
  raw: encodeRecord({
    contentType: tls13 ? 23 : contentType,
    version: VERSION_CODE['1.2'],
    fragment: new Uint8Array(fragment.length + 17).fill(0x3c),
  }),
  plaintext: { contentType, fragment },
});
const isTls13 = (R: readonly RecordInput[]): boolean => R.some((r) => r.raw[0] === 23 && r.plaintext?.contentType === 22);
const lastOf = (R: readonly RecordInput[], dir: FramedEntry['dir'], contentType: number): number => {
  for (let i = R.length - 1; i >= 0; i--) if (R[i]!.dir === dir && R[i]!.plaintext?.contentType === contentType) return i;
  throw new Error(`no protected ${dir} record of type ${contentType}`);
};

const PSK_CLIENT: ExtensionBody = {
  kind: 'pre_shared_key_client',
  identities: [{ identity: Uint8Array.of(1, 2, 3), obfuscatedTicketAge: 0 }],
  binders: [new Uint8Array(32)],
};
/** The client middlebox compatibility mode forced on (the server then sends its dummy CCS). */
const compat = (env: BaseEnv): Prepared => ({ client: { ...env.client, middleboxCompat: true }, server: env.server });
/** Both sides with TLS 1.2 session tickets (the server issues a NewSessionTicket). */
const tickets12 = (env: BaseEnv): Prepared => {
  return {
    client: { ...env.client, sessionStore: newClientSessionStore(), sessionTickets12: true },
    server: { ...env.server, sessionCache: new ServerSessionCache(env.provider), sessionTickets12: true },
  };
};
function withTickets(
  name: string,
  description: string,
  rules: readonly RuleId[],
  bases: readonly BaseName[],
  fn: Edit,
): Mutation {
  return {
    name,
    description,
    versions: versionsOf(bases),
    rules,
    where: 'transcript',
    bases,
    apply: (env) => ({ ...tickets12(env), post: framed(fn) }),
  };
}

/** A HelloRetryRequest for `group` answering the first ClientHello (suite from the ServerHello). */
function hrrFor(E: FramedEntry[], group: number): FramedEntry {
  const ch = E[at(E, 'client_hello', C)]!.raw!;
  let sid = new Uint8Array(0);
  let suite = 0x1301;
  editRaw(ch, V13, 'client_hello', (b) => {
    sid = Uint8Array.from(b.sessionId);
  });
  editRaw(E[at(E, 'server_hello', S)]!.raw!, V13, 'server_hello', (b) => {
    suite = b.cipherSuite;
  });
  return hs(
    S,
    'server_hello',
    editRaw(E[at(E, 'server_hello', S)]!.raw!, V13, 'server_hello', (b) => {
      b.random = Uint8Array.from(HRR_RANDOM);
      b.sessionId = sid;
      b.cipherSuite = suite;
      b.extensions = [
        { type: X.supported_versions, body: { kind: 'supported_versions_server', version: VERSION_CODE['1.3'] } },
        { type: X.key_share, body: { kind: 'key_share_hrr', selectedGroup: group } },
      ];
    }),
    false,
  );
}
const otherGroup = (E: FramedEntry[]): number => {
  let g = 0;
  editRaw(E[at(E, 'client_hello', C)]!.raw!, V13, 'client_hello', (b) => {
    g = getExt(b.extensions, X.key_share, 'key_share_client')?.shares[0]?.group ?? 0;
  });
  return g === NamedGroup.x25519 ? NamedGroup.secp256r1 : NamedGroup.x25519;
};
/** The client offers every base group in supported_groups, a share for one. */
const allGroups = (env: BaseEnv): Prepared => ({
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

const SKE_FAKE = Uint8Array.of(12, 0, 0, 8, 3, 0, 0x1d, 1, 9, 0x08, 0x04, 0, 0);

export const WIRE_MUTATIONS: readonly Mutation[] = [
  // ---- record layer
  records(
    'rec-unknown-content-type',
    'a record of the unassigned content type 25 injected after the ClientHello',
    ['rec.content-type-known'],
    ALL,
    (R) => void R.splice(1, 0, plainRecord(C, 25, Uint8Array.of(0))),
  ),
  records(
    'rec-plaintext-overflow',
    'the last server application data record carries 2^14+1 bytes of plaintext',
    ['rec.plaintext-max-len'],
    ALL,
    (R) => {
      const i = lastOf(R, S, 23);
      R[i] = sealed(S, isTls13(R), 23, new Uint8Array(16385).fill(0x41));
    },
  ),
  records(
    'rec-ciphertext-overflow',
    'the last client application data record is 2^14+2049 bytes on the wire',
    ['rec.ciphertext-max-len'],
    ALL,
    (R) => {
      const i = lastOf(R, C, 23);
      R[i] = {
        ...R[i]!,
        raw: encodeRecord({ contentType: 23, version: VERSION_CODE['1.2'], fragment: new Uint8Array(16384 + 2049).fill(0x3c) }),
      };
    },
  ),
  records(
    'rec-empty-handshake-record',
    'an empty handshake record from the server before its first message',
    ['rec.no-empty-fragments'],
    ALL,
    (R) => void R.splice(1, 0, plainRecord(S, 22, new Uint8Array(0))),
  ),
  records(
    'rec-t13-interleaved-handshake',
    'the server Certificate split over two records with an application data record between them',
    ['rec.t13.hs-no-interleave'],
    T13_ALL,
    (R) => {
      const i = recordAt(R, S, 22, 11);
      const f = R[i]!.plaintext!.fragment;
      R.splice(
        i,
        1,
        sealed(S, true, 22, f.subarray(0, 100)),
        sealed(S, true, 23, text('between')),
        sealed(S, true, 22, f.subarray(100)),
      );
    },
  ),
  records(
    'rec-t13-finished-shares-record',
    'the server Finished and its NewSessionTicket in one record across the key change',
    ['rec.t13.hs-key-change-boundary'],
    T13_ALL,
    (R) => {
      const fin = recordAt(R, S, 22, 20);
      const nst = recordAt(R, S, 22, 4);
      const f = R[fin]!.plaintext!.fragment;
      const n = R[nst]!.plaintext!.fragment;
      const merged = new Uint8Array(f.length + n.length);
      merged.set(f);
      merged.set(n, f.length);
      R.splice(nst, 1);
      R[fin] = sealed(S, true, 22, merged);
    },
  ),
  tx(
    'rec-alert-three-bytes',
    'a protected alert of three bytes from the server at the end',
    ['rec.alert-format'],
    ALL,
    (E) => void E.push({ dir: S, kind: 'alert', type: 'alert', raw: Uint8Array.of(1, 0, 0), encrypted: true }),
  ),
  records('rec-version-0200', 'the ServerHello record header carries version 2.0', ['rec.record-version'], ALL, (R) => {
    const i = recordAt(R, S, 22, 2);
    const raw = Uint8Array.from(R[i]!.raw);
    raw[1] = 2;
    raw[2] = 0;
    R[i] = { ...R[i]!, raw };
  }),
  records(
    'rec-t13-outer-version-0301',
    'the first protected TLS 1.3 record header says 0x0301',
    ['rec.t13.outer-header'],
    T13_ALL,
    (R) => {
      const i = R.findIndex((r) => r.plaintext);
      const raw = Uint8Array.from(R[i]!.raw);
      raw[2] = 1;
      R[i] = { ...R[i]!, raw };
    },
  ),
  records('rec-ccs-value-2', 'the client ChangeCipherSpec record carries the byte 2', ['rec.t12.ccs-format'], T12_ALL, (R) => {
    const i = recordAt(R, C, 20);
    R[i] = plainRecord(C, 20, Uint8Array.of(2));
  }),
  tx(
    'rec-plaintext-appdata',
    'unprotected application data from the client before its ChangeCipherSpec',
    ['rec.no-early-appdata'],
    T12_ALL,
    insertBefore(
      { dir: C, kind: 'application_data', type: 'application_data', raw: text('early'), encrypted: false },
      'change_cipher_spec',
      C,
    ),
  ),
  tx(
    'rec-mfl-ignored',
    'max_fragment_length 2^9 negotiated in the hellos, then 700-byte records sent',
    ['rec.mfl-enforced'],
    ['t12-ecdhe-rsa-cbc-mutual', 't12-rsa-kex'],
    both(
      exts('client_hello', C, put(X.max_fragment_length, { kind: 'max_fragment_length', value: 1 })),
      exts('server_hello', S, put(X.max_fragment_length, { kind: 'max_fragment_length', value: 1 })),
    ),
  ),
  tx('rec-hs-length-mismatch', 'ServerHelloDone declares a one-byte body', ['rec.hs-length-consistent'], T12_ALL, (E) => {
    const i = at(E, 'server_hello_done', S);
    E[i] = { ...E[i]!, raw: Uint8Array.of(14, 0, 0, 1, 0) };
  }),
  tx(
    'alert-fatal-then-continue',
    'the client sends a fatal handshake_failure alert after its ClientHello and goes on',
    ['alert.fatal-closes'],
    ALL,
    insertBefore({ dir: C, kind: 'alert', type: 'alert', raw: Uint8Array.of(2, 40), encrypted: false }, 'server_hello', S),
  ),
  tx(
    'alert-reserved-sent',
    'the client sends the reserved decryption_failed alert',
    ['alert.reserved-never-sent'],
    ALL,
    (E) => void E.push({ dir: C, kind: 'alert', type: 'alert', raw: Uint8Array.of(2, 21), encrypted: true }),
  ),
  tx(
    'alert-t13-warning-error',
    'a TLS 1.3 server sends handshake_failure at warning level',
    ['alert.t13.error-level'],
    T13_ALL,
    (E) => void E.push({ dir: S, kind: 'alert', type: 'alert', raw: Uint8Array.of(1, 40), encrypted: true }),
  ),
  // ---- TLS 1.2 order
  tx('t12-drop-client-hello', 'the ClientHello removed', ['t12.order.client-hello-first'], T12_ALL, drop('client_hello', C)),
  tx(
    't12-certificate-before-server-hello',
    'the server Certificate moved before its ServerHello',
    ['t12.order.server-hello-reply'],
    T12_ALL,
    moveBefore('certificate', S, 'server_hello', S),
  ),
  tx(
    't12-unrequested-status-after-ske',
    'a CertificateStatus after the ServerKeyExchange',
    ['t12.order.cert-status-position'],
    T12_ECDHE,
    insertBefore(hs(S, 'certificate_status', Uint8Array.of(22, 0, 0, 5, 1, 0, 0, 1, 0xaa), false), 'server_hello_done', S),
  ),
  tx(
    't12-ske-in-rsa-kex',
    'a ServerKeyExchange in an RSA key exchange handshake',
    ['t12.order.ske-forbidden'],
    ['t12-rsa-kex'],
    insertBefore(hs(S, 'server_key_exchange', SKE_FAKE, false), 'server_hello_done', S),
  ),
  tx(
    't12-anon-suite-with-cr',
    'the ServerHello says TLS_ECDH_anon_WITH_AES_256_CBC_SHA while the server signs and requests a certificate',
    ['t12.order.cr-not-anonymous', 't12.ske.anon-unsigned'],
    T12_ECDHE,
    (E) =>
      edit(E, 'server_hello', S, (b) => {
        b.cipherSuite = 0xc018;
      }),
  ),
  withTickets(
    't12-nst-before-client-ccs',
    'the server NewSessionTicket moved before the client ChangeCipherSpec',
    ['t12.order.full-server-final-flight'],
    T12_ALL,
    moveBefore('new_session_ticket', S, 'change_cipher_spec', C),
  ),
  withTickets(
    't12-full-handshake-echoes-session',
    'the ClientHello offers the session ID the server then echoes, yet a full handshake follows',
    ['t12.order.abbreviated-flow', 't12.neg.resume-detection'],
    T12_ALL,
    (E) => {
      let sid = new Uint8Array(0);
      editRaw(E[at(E, 'server_hello', S)]!.raw!, V12, 'server_hello', (b) => {
        sid = Uint8Array.from(b.sessionId);
      });
      if (!sid.length) throw new Error('the server gave no session ID');
      edit(E, 'client_hello', C, (b) => {
        b.sessionId = sid;
      });
    },
  ),
  withTickets(
    't12-nst-without-ticket-ext',
    'a NewSessionTicket although the ServerHello has no session_ticket extension',
    ['t12.order.nst-iff-ticket-ext'],
    T12_ALL,
    exts('server_hello', S, del(X.session_ticket)),
  ),
  tx(
    't12-client-appdata-before-server-finished',
    'client application data before the server ChangeCipherSpec and Finished',
    ['t12.order.no-appdata-before-finished'],
    T12_ALL,
    insertBefore(
      { dir: C, kind: 'application_data', type: 'application_data', raw: text('too soon'), encrypted: true },
      'change_cipher_spec',
      S,
    ),
  ),
  // ---- TLS 1.3 order
  tx('t13-drop-client-hello', 'the ClientHello removed', ['t13.order.client-hello-first'], T13_ALL, drop('client_hello', C)),
  tx(
    't13-ee-before-server-hello',
    'EncryptedExtensions moved before the ServerHello',
    ['t13.order.server-first'],
    T13_ALL,
    moveBefore('encrypted_extensions', S, 'server_hello', S),
  ),
  tx(
    't13-drop-server-compat-ccs',
    'in middlebox compatibility mode the server leaves out its dummy ChangeCipherSpec',
    ['t13.order.compat-ccs'],
    T13_ALL,
    (E) =>
      void E.splice(
        E.findIndex((e) => e.kind === 'change_cipher_spec' && e.dir === S),
        1,
      ),
    undefined,
    compat,
  ),
  tx(
    't13-certificate-before-cr',
    'the server Certificate moved before its CertificateRequest',
    ['t13.order.cr-after-ee', 't13.order.server-flight'],
    T13_MUTUAL,
    moveBefore('certificate', S, 'certificate_request', S),
  ),
  tx(
    't13-psk-with-cr',
    'the ServerHello accepts a PSK while the server still requests and sends certificates',
    ['t13.order.no-cr-in-psk', 't13.order.no-server-cert-in-psk'],
    T13_MUTUAL,
    exts('server_hello', S, put(X.pre_shared_key, { kind: 'pre_shared_key_server', selectedIdentity: 0 })),
  ),
  tx(
    't13-psk-with-server-cert',
    'the ServerHello accepts a PSK while the server still sends its Certificate',
    ['t13.order.no-server-cert-in-psk'],
    ['t13-server-auth'],
    exts('server_hello', S, put(X.pre_shared_key, { kind: 'pre_shared_key_server', selectedIdentity: 0 })),
  ),
  tx(
    't13-server-eoed',
    'the server sends EndOfEarlyData after its Finished',
    ['t13.order.eoed'],
    T13_ALL,
    insertBefore(hs(S, 'end_of_early_data', Uint8Array.of(5, 0, 0, 0), true), 'finished', S, 1),
  ),
  {
    ...tx(
      't13-keyupdate-in-client-flight',
      'a KeyUpdate before the client Finished',
      ['t13.order.client-flight'],
      T13_ALL,
      insertBefore(hs(C, 'key_update', Uint8Array.of(24, 0, 0, 1, 0), true), 'finished', C),
    ),
    keyUpdate: KU_IN_CLIENT_FLIGHT,
  },
  tx(
    't13-renegotiation-client-hello',
    'the client sends a second ClientHello after the handshake',
    ['t13.order.no-renegotiation'],
    T13_ALL,
    (E) => void E.push(hs(C, 'client_hello', E[at(E, 'client_hello', C)]!.raw!, true)),
  ),
  tx(
    't13-appdata-before-server-hello',
    'protected application data right after the ClientHello without early_data',
    ['t13.order.early-data-window'],
    T13_ALL,
    insertBefore(
      { dir: C, kind: 'application_data', type: 'application_data', raw: text('0-rtt?'), encrypted: true },
      'server_hello',
      S,
    ),
  ),
  tx('t13-drop-server-finished', 'the server Finished removed', ['t13.order.state-machine'], T13_ALL, drop('finished', S)),
  // ---- negotiation
  tx('t12-sh-deflate', 'the ServerHello selects DEFLATE compression', ['t12.neg.compression'], T12_ALL, (E) =>
    edit(E, 'server_hello', S, (b) => {
      b.compressionMethod = 1;
    }),
  ),
  clientHello(
    't13-ch-offers-deflate',
    'the TLS 1.3 ClientHello offers DEFLATE compression',
    ['t13.neg.compression'],
    T13_ALL,
    (E) =>
      edit(E, 'client_hello', C, (b) => {
        b.compressionMethods = [0, 1];
        offerOnly13(b);
      }),
  ),
  tx(
    't12-tls13-suite-selected',
    'a TLS 1.2 ServerHello selects TLS_AES_256_GCM_SHA384',
    ['t12.neg.suite-fits-version'],
    T12_ALL,
    (E) =>
      edit(E, 'server_hello', S, (b) => {
        b.cipherSuite = 0x1302;
      }),
  ),
  tx(
    't13-client-session-id-33',
    'the TLS 1.3 ClientHello legacy_session_id is 33 bytes',
    ['t13.neg.session-id-client'],
    T13_ALL,
    (E) =>
      edit(E, 'client_hello', C, (b) => {
        b.sessionId = new Uint8Array(33).fill(5);
      }),
  ),
  tx(
    't13-sh-server-name',
    'the TLS 1.3 ServerHello carries server_name',
    ['t13.neg.sh-extensions'],
    T13_ALL,
    exts('server_hello', S, put(X.server_name, { kind: 'empty' })),
  ),
  tx(
    't13-ee-supported-versions',
    'EncryptedExtensions carries supported_versions',
    ['t13.neg.extension-placement'],
    T13_ALL,
    exts(
      'encrypted_extensions',
      S,
      put(X.supported_versions, { kind: 'supported_versions_server', version: VERSION_CODE['1.3'] }),
    ),
  ),
  tx(
    't13-psk-not-last',
    'pre_shared_key is the first ClientHello extension',
    ['t13.neg.psk-ext-last'],
    T13_ALL,
    exts('client_hello', C, put(X.pre_shared_key, PSK_CLIENT, 0)),
  ),
  tx(
    't13-ch-without-sigalgs',
    'a certificate-authenticated TLS 1.3 ClientHello without signature_algorithms',
    ['t13.neg.mandatory-extensions', 't13.neg.sigalgs-for-cert-auth'],
    T13_ALL,
    exts('client_hello', C, del(X.signature_algorithms)),
  ),
  clientHello(
    't13-duplicate-key-share-group',
    'two ClientHello key shares for the same group',
    ['t13.neg.keyshare-client'],
    T13_ALL,
    (E) =>
      edit(E, 'client_hello', C, (b) => {
        const ks = getExt(b.extensions, X.key_share, 'key_share_client');
        if (ks) ks.shares.push({ ...ks.shares[0]! });
        offerOnly13(b);
      }),
  ),
  {
    // RFC 8446 §4.2.8 from the client's side; it also reaches the server's "MUST NOT send a KeyShareEntry for any group
    // not indicated in the client's supported_groups" (t13.neg.keyshare-server), which no valid plan can: a server that
    // picks shares by its own preference alone answers this ClientHello with the unlisted group.
    name: 't13-keyshare-unlisted-group',
    description: "the client's only key share is for a group its supported_groups does not list (one the server prefers)",
    versions: ['1.3'],
    rules: ['t13.neg.keyshare-client'],
    where: 'configuration',
    bases: T13_ALL,
    apply: (env) => {
      const listed = env.choice.group;
      const unlisted = BASE_GROUPS.find((g) => g !== listed)!;
      return {
        // offered as TLS 1.3 only, so a refusal (no ServerHello) still shows the version
        client: { ...env.client, versions: [VERSION_CODE['1.3']], groups: [listed], keyShareGroups: [unlisted] },
        server: { ...env.server, groups: [unlisted, listed] },
      };
    },
  },
  tx(
    't13-hrr-group-then-other-share',
    'a HelloRetryRequest for another group, a second ClientHello with it, and a ServerHello with the first group',
    ['t13.neg.hrr-sh-consistency', 't13.ks.hrr-message-hash'],
    T13_ALL,
    (E) => {
      const g = otherGroup(E);
      const ch = E[at(E, 'client_hello', C)]!;
      const ch2 = editRaw(ch.raw!, V13, 'client_hello', (b) => {
        const ks = getExt(b.extensions, X.key_share, 'key_share_client');
        if (ks)
          ks.shares = [
            {
              group: g,
              keyExchange:
                g === NamedGroup.x25519 ? new Uint8Array(32).fill(9) : Uint8Array.of(4, ...new Array<number>(64).fill(1)),
            },
          ];
      });
      E.splice(at(E, 'server_hello', S), 0, hrrFor(E, g), {
        dir: C,
        kind: 'handshake',
        type: 'client_hello',
        raw: ch2,
        encrypted: false,
      });
    },
    undefined,
    allGroups,
  ),
  tx(
    't13-psk-without-modes',
    'a ClientHello offering a PSK without psk_key_exchange_modes',
    ['t13.neg.psk-modes'],
    T13_ALL,
    exts('client_hello', C, (x) => put(X.pre_shared_key, PSK_CLIENT)(del(X.psk_key_exchange_modes)(x))),
  ),
  tx(
    't13-psk-binder-count',
    'pre_shared_key with one identity and two binders',
    ['t13.neg.psk-selected-identity'],
    T13_ALL,
    exts(
      'client_hello',
      C,
      put(X.pre_shared_key, {
        kind: 'pre_shared_key_client',
        identities: [{ identity: Uint8Array.of(1, 2, 3), obfuscatedTicketAge: 0 }],
        binders: [new Uint8Array(32), new Uint8Array(32)],
      }),
    ),
  ),
  clientHello(
    't13-early-data-without-psk',
    'early_data offered without a PSK',
    ['t13.neg.early-data'],
    T13_ALL,
    exts('client_hello', C, put(X.early_data, { kind: 'empty' })),
  ),
  tx(
    't13-ee-post-handshake-auth',
    'the server sends post_handshake_auth in EncryptedExtensions',
    ['t13.neg.post-handshake-auth-ext'],
    T13_ALL,
    exts('encrypted_extensions', S, put(X.post_handshake_auth, { kind: 'opaque', data: new Uint8Array(0) })),
  ),
  tx(
    't12-ch-offers-tls11',
    'the ClientHello offers TLS 1.1 and the server answers TLS 1.2',
    ['ver.t12.server-version'],
    T12_ALL,
    (E) =>
      edit(E, 'client_hello', C, (b) => {
        b.legacyVersion = ProtocolVersion.TLS1_1;
      }),
  ),
  tx('t12-ch-offers-ssl3', 'the ClientHello offers SSL 3.0', ['ver.no-ssl3'], T12_ALL, (E) =>
    edit(E, 'client_hello', C, (b) => {
      b.legacyVersion = ProtocolVersion.SSL3;
    }),
  ),
  tx(
    't12-fallback-scsv-ignored',
    'a TLS 1.2 fallback ClientHello with TLS_FALLBACK_SCSV to a server that signals it can do TLS 1.3',
    ['ver.fallback-scsv'],
    T12_ALL,
    both(
      (E) =>
        edit(E, 'client_hello', C, (b) => {
          b.cipherSuites.push(0x5600);
        }),
      (E) =>
        edit(E, 'server_hello', S, (b) => {
          b.random = Uint8Array.from([...b.random.subarray(0, 24), ...DOWNGRADE_TLS12]);
        }),
    ),
  ),
  tx(
    't13-client-offers-only-tls12',
    'the ClientHello supported_versions lists only TLS 1.2, yet TLS 1.3 is negotiated',
    ['ver.t13.supported-versions-client', 'ver.t13.server-selection'],
    T13_ALL,
    exts('client_hello', C, put(X.supported_versions, { kind: 'supported_versions_client', versions: [VERSION_CODE['1.2']] })),
  ),
  tx(
    't12-sh-supported-versions',
    'a TLS 1.2 ServerHello carries supported_versions',
    ['ver.t13.sh-supported-versions'],
    T12_ALL,
    exts('server_hello', S, put(X.supported_versions, { kind: 'supported_versions_server', version: VERSION_CODE['1.2'] })),
  ),
  tx(
    't13-client-offers-draft',
    'the ClientHello offers a TLS 1.3 draft version and TLS 1.2, yet final TLS 1.3 is negotiated',
    ['ver.t13.client-check'],
    T13_ALL,
    exts(
      'client_hello',
      C,
      put(X.supported_versions, { kind: 'supported_versions_client', versions: [0x7f1c, VERSION_CODE['1.2']] }),
    ),
  ),
  // ---- extensions
  tx('ext-duplicate-in-client-hello', 'the first ClientHello extension repeated at the end', ['ext.no-duplicates'], ALL, (E) =>
    edit(E, 'client_hello', C, (b) => {
      b.extensions = [...(b.extensions ?? []), b.extensions![0]!];
    }),
  ),
  tx('ext-trailing-byte', 'one byte after the ClientHello extensions block', ['ext.block-well-formed'], ALL, (E) => {
    const e = E[at(E, 'client_hello', C)]!;
    const raw = Uint8Array.from([...e.raw!, 0]);
    const n = raw.length - 4;
    raw.set([n >> 16, (n >> 8) & 255, n & 255], 1);
    E[at(E, 'client_hello', C)] = { ...e, raw };
  }),
  tx('ext-grease-suite-selected', 'the ServerHello selects the GREASE suite 0x0a0a', ['ext.grease-not-selected'], T12_ALL, (E) =>
    edit(E, 'server_hello', S, (b) => {
      b.cipherSuite = 0x0a0a;
    }),
  ),
  tx(
    'ext-alpn-two-selected',
    'the server ALPN answer lists two protocols',
    ['ext.alpn.format'],
    T12_ALL,
    both(
      exts(
        'client_hello',
        C,
        put(X.application_layer_protocol_negotiation, {
          kind: 'application_layer_protocol_negotiation',
          protocols: [text('h2'), text('http/1.1')],
        }),
      ),
      exts(
        'server_hello',
        S,
        put(X.application_layer_protocol_negotiation, {
          kind: 'application_layer_protocol_negotiation',
          protocols: [text('h2'), text('http/1.1')],
        }),
      ),
    ),
  ),
  {
    name: 'ext-alpn-unoffered-protocol',
    description: 'the client offers h2; the server, shown spdy/3, selects spdy/3',
    versions: ['1.2', '1.3'],
    rules: ['ext.alpn.selected-offered'],
    bases: ALL,
    where: 'server-sends',
    mutate: (env) => ({
      config: { ...env.server, alpn: ['spdy/3'] },
      hooks: {
        beforeProcess: (m) =>
          m.type === 'client_hello'
            ? [
                editRaw(m.raw, env.spec.version === '1.3' ? V13 : V12, 'client_hello', (b) => {
                  b.extensions = setExt(
                    b.extensions,
                    X.application_layer_protocol_negotiation,
                    { kind: 'application_layer_protocol_negotiation', protocols: [text('spdy/3')] },
                    b.extensions?.findIndex((e) => e.type === X.application_layer_protocol_negotiation),
                  );
                }),
              ]
            : undefined,
      },
    }),
    inMemory: (env) => ({ client: { ...env.client, alpn: ['h2'] } }),
    notLive: 'needs a client that offers ALPN (h2 in memory): a live client decides its own offer',
  },
  tx(
    'ext-ems-unrequested',
    'the ServerHello answers extended_master_secret the client did not send',
    ['ext.ems.negotiation'],
    T12_ALL,
    exts('client_hello', C, del(X.extended_master_secret)),
  ),
  tx(
    'ext-reneg-info-missing',
    'the server leaves renegotiation_info out of its ServerHello although the client signalled it',
    ['ext.reneg.initial'],
    T12_ALL,
    exts('server_hello', S, del(X.renegotiation_info)),
  ),
  tx(
    'ext-ecc-explicit-curve',
    'the ServerKeyExchange curve_type says explicit_prime',
    ['ext.ecc.named-curve-only'],
    T12_ECDHE,
    (E) => {
      const i = at(E, 'server_key_exchange', S);
      const raw = Uint8Array.from(E[i]!.raw!);
      raw[4] = 1;
      E[i] = { ...E[i]!, raw };
    },
  ),
  clientHello(
    'ext-ecc-compressed-only',
    'ec_point_formats without uncompressed',
    ['ext.ecc.point-formats'],
    T12_ECDHE,
    exts('client_hello', C, put(X.ec_point_formats, { kind: 'ec_point_formats', formats: [1] })),
  ),
  tx(
    'ext-ecc-without-ecc-suites',
    'the client sends ECC extensions with only RSA suites',
    ['ext.ecc.no-ecc-ext-without-ecc'],
    ['t12-rsa-kex'],
    (E) =>
      edit(E, 'client_hello', C, (b) => {
        b.cipherSuites = [0x009d, 0x00ff];
        b.extensions = put(X.ec_point_formats, { kind: 'ec_point_formats', formats: [0] })(b.extensions ?? []);
      }),
  ),
  tx(
    'ext-status-request-unoffered',
    'the ServerHello acknowledges status_request the client did not send',
    ['ext.status-request'],
    T12_ALL,
    exts('server_hello', S, put(X.status_request, { kind: 'empty' })),
  ),
  clientHello(
    'ext-sni-trailing-dot',
    'the server_name ends with a dot',
    ['ext.sni.format'],
    ALL,
    exts('client_hello', C, put(X.server_name, { kind: 'server_name', names: [{ nameType: 0, name: text('localhost.') }] })),
  ),
  tx(
    'ext-sni-ack-with-name',
    'the ServerHello server_name acknowledgement is not empty',
    ['ext.sni.server-ack'],
    T12_ALL,
    exts('server_hello', S, put(X.server_name, { kind: 'server_name', names: [{ nameType: 0, name: text('localhost') }] })),
  ),
  clientHello(
    'ext-mfl-value-5',
    'max_fragment_length with the undefined value 5',
    ['ext.mfl.values'],
    ALL,
    exts('client_hello', C, put(X.max_fragment_length, { kind: 'max_fragment_length', value: 5 })),
  ),
  tx(
    't12-sh-ticket-ext-nonempty',
    'the ServerHello session_ticket extension is not empty',
    ['t12.neg.ticket'],
    T12_ALL,
    exts('server_hello', S, put(X.session_ticket, { kind: 'session_ticket', ticket: Uint8Array.of(1) })),
  ),
  tx(
    't12-sh-sigalgs',
    'the ServerHello carries signature_algorithms',
    ['t12.neg.sigalgs-extension'],
    T12_ALL,
    exts('server_hello', S, put(X.signature_algorithms, { kind: 'signature_algorithms', schemes: [0x0804] })),
  ),
  tx(
    't12-cr-anonymous-sigalg',
    'the CertificateRequest lists the anonymous signature algorithm',
    ['t12.neg.cr-fields'],
    T12_ECDHE,
    (E) =>
      edit(E, 'certificate_request', S, (b) => {
        if (b.form === 'tls12') b.signatureAlgorithms.push(0x0400);
      }),
  ),
  // ---- RFC 9155: MD5 and SHA-1 in TLS 1.2 signatures
  tx(
    't12-ch-offers-sha1',
    'the ClientHello signature_algorithms also offers rsa_pkcs1_sha1',
    ['sig.t12.sigalgs-no-md5-sha1'],
    T12_ALL,
    (E) =>
      edit(E, 'client_hello', C, (b) => {
        for (const x of b.extensions ?? []) if (x.body.kind === 'signature_algorithms') x.body.schemes.push(0x0201);
      }),
  ),
  tx('t12-cr-lists-sha1', 'the CertificateRequest also lists rsa_pkcs1_sha1', ['sig.t12.cr-no-md5-sha1'], T12_ECDHE, (E) =>
    edit(E, 'certificate_request', S, (b) => {
      if (b.form === 'tls12') b.signatureAlgorithms.push(0x0201);
    }),
  ),
  tx(
    't12-ske-sha1-scheme',
    'the ServerKeyExchange names a SHA-1 scheme (the hash byte of its scheme set to sha1)',
    ['sig.t12.ske-no-md5-sha1'],
    T12_ECDHE,
    (E) => {
      // ECDHE params: curve_type (1), named_curve (2), public key length (1) and key, then the scheme (2)
      const i = at(E, 'server_key_exchange', S);
      const raw = Uint8Array.from(E[i]!.raw!);
      const at8 = 8 + raw[7]!;
      raw[at8 + 1] = raw[at8 + 1] === 3 ? 3 : 1;
      raw[at8] = 2;
      E[i] = { ...E[i]!, raw };
    },
  ),
  tx(
    't12-ske-mlkem-group',
    'the ECDHE ServerKeyExchange names X25519MLKEM768 (0x11ec), a TLS 1.3-only ML-KEM group (tlsfuzzer test-no-mlkem-in-old-tls)',
    ['t12.neg.no-mlkem-group'],
    T12_ECDHE,
    (E) => {
      // ECDHE params: curve_type (1), then named_curve (2) at bytes 5-6 of the message
      const i = at(E, 'server_key_exchange', S);
      const raw = Uint8Array.from(E[i]!.raw!);
      raw[5] = 0x11;
      raw[6] = 0xec;
      E[i] = { ...E[i]!, raw };
    },
  ),
  tx(
    't12-cv-sha1-scheme',
    'the client CertificateVerify names a SHA-1 scheme (the hash byte of its scheme set to sha1)',
    ['sig.t12.cv-no-md5-sha1'],
    T12_ECDHE,
    (E) =>
      edit(E, 'certificate_verify', C, (b) => {
        b.scheme = 0x0200 | ((b.scheme & 0xff) === 3 ? 3 : 1);
      }),
  ),
  tx(
    't13-cr-context-nonempty',
    'the in-handshake CertificateRequest has a non-empty context',
    ['t13.neg.cert-request-context'],
    T13_MUTUAL,
    (E) =>
      edit(E, 'certificate_request', S, (b) => {
        if (b.form === 'tls13') b.context = Uint8Array.of(1);
      }),
  ),
  tx('t13-cr-without-sigalgs', 'the CertificateRequest has no signature_algorithms', ['t13.neg.cr-sigalgs'], T13_MUTUAL, (E) =>
    edit(E, 'certificate_request', S, (b) => {
      if (b.form === 'tls13') b.extensions = del(X.signature_algorithms)(b.extensions);
    }),
  ),
  {
    name: 't13-nst-lifetime-8-days',
    description: 'the server issues tickets with a lifetime of 700000 s (more than 7 days)',
    versions: ['1.3'],
    rules: ['t13.neg.nst-fields'],
    where: 'configuration',
    bases: T13_ALL,
    apply: (env) => ({ client: env.client, server: { ...env.server, ticketLifetime: 700000 } }),
  },
  {
    ...tx(
      't13-keyupdate-bad-value',
      'a KeyUpdate with request_update 2',
      ['t13.neg.keyupdate-values'],
      T13_ALL,
      (E) => void E.push(hs(C, 'key_update', Uint8Array.of(24, 0, 0, 1, 2), true)),
    ),
    keyUpdate: KU_BAD_VALUE,
  },
];
