/**
 * TLS 1.2 renegotiation (RFC 5746, RFC 8446 §4.1.2): the base handshake, then a renegotiation (started by our client,
 * or asked for by our server's HelloRequest) in which one side breaks a renegotiation_info check. Each acts through
 * the engine's hooks on the renegotiation's hellos only (HookMessage.handshake), so the first handshake stays valid
 * and the renegotiation runs under its real keys; the receiving side of the base aborts, as RFC 5746 requires.
 * Live, they run in the renegotiation family (`renegotiates`): the first handshake completes, then the renegotiation.
 */
import type { EngineHooks } from '../../engine/hooks';
import { CipherSuite12 } from '../../engine/suites';
import { bothHooks, readHello, sendHello } from '../../engine/renegotiation-hooks';
import type { RuleId } from '../../oracles/catalogue';
import { type ClientHello, decodeHandshake, encodeBody, type ServerHello } from '../../wire/handshake';
import { ContentType as CT, SCSV, ExtensionType as X, cipherSuites } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { ClientSends, Mutation, ServerSends } from './model';
import type { BaseEnv, BaseName } from './support';

const T12_ALL: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm', 't12-rsa-kex'];

/**
 * Why the legacy mutation is not run live: it needs a client without RFC 5746 on the wire (in memory our client is
 * made one); a live client signals what it signals, and against an RFC 5746 client the same ServerHello breaks
 * ext.reneg.secure, not the legacy rules it declares.
 */
const LEGACY_NOT_LIVE =
  'needs a client that did not signal RFC 5746 in its initial ClientHello (made so in memory); a live client is what it is';

/**
 * A renegotiation mutation of one side: both sides allow renegotiation (legacy too, so a connection without secure
 * renegotiation goes on), `by` starts it; `ours` hooks the mutating side, `theirs` the other endpoint.
 */
function renegotiating(
  where: 'client-sends' | 'server-sends',
  by: 'client' | 'server',
  ours: () => EngineHooks,
  theirs?: () => EngineHooks,
):
  | Pick<ClientSends, 'where' | 'mutate' | 'inMemory' | 'renegotiates'>
  | Pick<ServerSends, 'where' | 'mutate' | 'inMemory' | 'renegotiates'> {
  // live: the conversation renegotiates once the first handshake is done (the renegotiation family)
  const common = { renegotiates: true as const };
  if (where === 'client-sends')
    return {
      ...common,
      where,
      mutate: (env: BaseEnv) => ({ config: { ...env.client, renegotiation: 'legacy' }, hooks: ours() }),
      inMemory: (env: BaseEnv) => ({
        server: { ...env.server, renegotiation: 'legacy' },
        memory: { renegotiations: [by] },
        ...(theirs ? { hooks: theirs() } : {}),
      }),
    };
  return {
    ...common,
    where,
    mutate: (env: BaseEnv) => ({ config: { ...env.server, renegotiation: 'legacy' }, hooks: ours() }),
    inMemory: (env: BaseEnv) => ({
      client: { ...env.client, renegotiation: 'legacy' },
      memory: { renegotiations: [by] },
      ...(theirs ? { hooks: theirs() } : {}),
    }),
  };
}

/** The renegotiating ServerHello answers with TLS 1.3 (supported_versions 0x0304). */
const serverHello13 = (): EngineHooks => ({
  beforeSend(msg) {
    if (msg.type !== 'server_hello' || !msg.handshake) return undefined;
    const b = decodeHandshake(msg.raw, { version: VERSION_CODE['1.2'] }).message.body;
    if (b.type !== 'server_hello') return undefined;
    const sv = { type: X.supported_versions, body: { kind: 'supported_versions_server' as const, version: VERSION_CODE['1.3'] } };
    return [encodeBody({ ...b, extensions: [...(b.extensions ?? []), sv] })];
  },
});

/** The engine's TLS 1.2 CBC suites (GenericBlockCipher: where encrypt-then-MAC applies, RFC 7366 §3). */
const CBC12: readonly number[] = Object.values(CipherSuite12).filter((c) => cipherSuites.get(c)?.cipher.endsWith('_CBC'));

/**
 * Drops encrypt_then_mac from the renegotiating ClientHello (its suites CBC only, as the client is configured), once
 * the initial ServerHello took it with a CBC suite: the renegotiation can then only downgrade encrypt-then-MAC to
 * MAC-then-encrypt (RFC 7366 §3.1). Without encrypt-then-MAC in the first handshake it changes nothing (does not fire).
 */
const dropEtmInRenegotiation = (): EngineHooks => {
  let etm = false;
  return {
    beforeProcess(msg) {
      if (msg.type !== 'server_hello' || msg.handshake) return undefined;
      const b = decodeHandshake(msg.raw, { version: VERSION_CODE['1.2'] }).message.body;
      if (b.type === 'server_hello')
        etm = CBC12.includes(b.cipherSuite) && (b.extensions ?? []).some((e) => e.type === X.encrypt_then_mac);
      return undefined;
    },
    beforeSend(msg) {
      if (msg.type !== 'client_hello' || !msg.handshake || !etm) return undefined;
      const b = decodeHandshake(msg.raw, { version: VERSION_CODE['1.2'] }).message.body;
      if (b.type !== 'client_hello') return undefined;
      return [encodeBody({ ...b, extensions: (b.extensions ?? []).filter((e) => e.type !== X.encrypt_then_mac) })];
    },
  };
};

/** What the first handshake settled, as our client read it: the ServerHello's suite, the ServerKeyExchange's group and scheme. */
interface Settled {
  suite?: number;
  group?: number;
  scheme?: number;
}

/**
 * Our client's renegotiating ClientHello changed by `edit`, given what the first handshake settled (tlsfuzzer's
 * test-renegotiation-changed-clienthello, the renegotiation probes of test-ocsp-stapling and
 * test-sig-algs-renegotiation-resumption). `edit` returns undefined to leave the hello as built (nothing to change:
 * the mutation does not fire). The engine still holds its configured offer, so it takes an answer built from the first
 * hello; the oracles judge the renegotiating ServerHello against the hello as sent (ext.only-if-offered,
 * ext.ecc.curve-offered, t12.neg.ske-sigalg).
 */
const changedRenegotiation = (
  edit: (b: ClientHello, first: Settled) => ClientHello | undefined,
  initial?: (b: ClientHello) => ClientHello | undefined,
): EngineHooks => {
  const first: Settled = {};
  return {
    beforeProcess(msg) {
      if (msg.handshake) return undefined;
      try {
        if (msg.type === 'server_hello') {
          const b = decodeHandshake(msg.raw, { version: VERSION_CODE['1.2'] }).message.body;
          if (b.type === 'server_hello') first.suite = b.cipherSuite;
        } else if (msg.type === 'server_key_exchange' && first.suite !== undefined) {
          const kex = cipherSuites.get(first.suite)?.kex;
          const b = decodeHandshake(msg.raw, { version: VERSION_CODE['1.2'], ...(kex ? { kex } : {}) }).message.body;
          if (b.type === 'server_key_exchange' && b.kex === 'ecdhe') first.group = b.namedCurve;
          if (b.type === 'server_key_exchange' && (b.kex === 'ecdhe' || b.kex === 'dhe') && b.signed)
            first.scheme = b.signed.scheme;
        }
      } catch {
        // a message our client cannot read is its own finding (the engine refuses it); nothing settled
      }
      return undefined;
    },
    beforeSend(msg) {
      if (msg.type !== 'client_hello' || (!msg.handshake && !initial)) return undefined;
      const b = decodeHandshake(msg.raw, { version: VERSION_CODE['1.2'] }).message.body;
      if (b.type !== 'client_hello') return undefined;
      const out = msg.handshake ? edit(b, first) : initial?.(b);
      return out ? [encodeBody(out)] : undefined;
    },
  };
};

/** The renegotiating ClientHello without the extensions of `types` (undefined when it carries none of them). */
const without =
  (...types: number[]) =>
  (b: ClientHello): ClientHello | undefined =>
    (b.extensions ?? []).some((e) => types.includes(e.type))
      ? { ...b, extensions: (b.extensions ?? []).filter((e) => !types.includes(e.type)) }
      : undefined;

/** The renegotiating ClientHello with `kind`'s list (supported_groups, signature_algorithms) without `drop`, if others remain. */
function narrowed(b: ClientHello, kind: 'supported_groups' | 'signature_algorithms', drop: number | undefined) {
  if (drop === undefined) return undefined;
  const type = kind === 'supported_groups' ? X.supported_groups : X.signature_algorithms;
  let changed = false;
  const extensions = (b.extensions ?? []).map((e) => {
    if (e.type !== type || e.body.kind !== kind) return e;
    const list =
      kind === 'supported_groups' && e.body.kind === 'supported_groups'
        ? e.body.groups
        : e.body.kind === 'signature_algorithms'
          ? e.body.schemes
          : [];
    const rest = list.filter((x) => x !== drop);
    if (rest.length === list.length || rest.length === 0) return e;
    changed = true;
    return kind === 'supported_groups'
      ? { type, body: { kind: 'supported_groups' as const, groups: rest } }
      : { type, body: { kind: 'signature_algorithms' as const, schemes: rest } };
  });
  return changed ? { ...b, extensions } : undefined;
}

/**
 * A renegotiation of valid input whose ClientHello `edit` changes (live only: valid input has no offline mutant); the
 * first handshake with our client configured by `config` (ALPN, status_request, session_ticket offered).
 */
function changedHello(
  name: string,
  description: string,
  rule: 't12.neg.renegotiation-anew' | 't12.neg.renegotiation-changed-offer' | 'resume.t12.in-renegotiation',
  edit: (b: ClientHello, first: Settled) => ClientHello | undefined,
  config: Partial<BaseEnv['client']> = {},
  initial?: (b: ClientHello) => ClientHello | undefined,
): Mutation {
  return {
    ...common(name, description, [rule]),
    bases: [],
    ...renegotiating('client-sends', 'client', () => changedRenegotiation(edit, initial)),
    mutate: (env: BaseEnv) => ({
      config: { ...env.client, renegotiation: 'legacy', ...config },
      hooks: changedRenegotiation(edit, initial),
    }),
  } as Mutation;
}

/** The hello with its ALPN offer set to `protocols` (undefined when it offers no ALPN). */
const alpnOffer =
  (...protocols: string[]) =>
  (b: ClientHello): ClientHello | undefined =>
    (b.extensions ?? []).some((e) => e.type === X.application_layer_protocol_negotiation)
      ? {
          ...b,
          extensions: (b.extensions ?? []).map((e) =>
            e.type === X.application_layer_protocol_negotiation
              ? {
                  type: e.type,
                  body: {
                    kind: 'application_layer_protocol_negotiation' as const,
                    protocols: protocols.map((p) => new TextEncoder().encode(p)),
                  },
                }
              : e,
          ),
        }
      : undefined;

/** The protocol the renegotiating ClientHello offers instead of ALPN_FIRST (test-alpn-negotiation's protocol change). */
const ALPN_OTHER = 'h2';

/** The ALPN protocol our client offers in the first handshake of the ALPN renegotiations. */
const ALPN_FIRST = 'http/1.1';

/**
 * Our server answers a renegotiation from the first hello: the renegotiating ServerHello carries the ALPN answer of
 * the first one although the renegotiating ClientHello no longer offers ALPN (RFC 5246 §7.4.1.4: "An extension type
 * MUST NOT appear in the ServerHello unless the same extension type appeared in the corresponding ClientHello").
 */
const alpnFromFirstHello = (): EngineHooks => {
  let first: NonNullable<ServerHello['extensions']>[number] | undefined;
  return {
    beforeSend(msg) {
      if (msg.type !== 'server_hello') return undefined;
      const b = decodeHandshake(msg.raw, { version: VERSION_CODE['1.2'] }).message.body;
      if (b.type !== 'server_hello') return undefined;
      const alpn = (b.extensions ?? []).find((e) => e.type === X.application_layer_protocol_negotiation);
      if (!msg.handshake) {
        first = alpn;
        return undefined;
      }
      if (alpn || !first) return undefined;
      return [encodeBody({ ...b, extensions: [...(b.extensions ?? []), first] })];
    },
  };
};

const ANSWERS_FIRST_NOT_LIVE =
  'needs a client that leaves ALPN out of its renegotiating ClientHello after offering it in the first (made so in memory); against servers the live conversation is t12-reneg-client-drops-alpn';

/** The application data our client weaves into its renegotiation (plain text a server may echo or ignore). */
const WOVEN = new TextEncoder().encode('tlsprop: application data inside the renegotiation\n');

/**
 * Application data woven into our client's renegotiation, before its ChangeCipherSpec (RFC 5246 §6.2.1: "Recipients
 * MUST receive and process interleaved application layer traffic during handshakes subsequent to the first one on a
 * connection"): a record of it under the current keys ahead of each renegotiation message after the ClientHello up to
 * the ChangeCipherSpec (tlsfuzzer's test-interleaved-application-data-in-renegotiation, test-openssl-3712). With
 * `split`, each renegotiation handshake message before the ChangeCipherSpec (the ClientHello too) goes in two records
 * with a record of application data between them (test-interleaved-application-data-and-fragmented-handshakes-in-
 * renegotiation). The Finished, after our ChangeCipherSpec, is left alone: data there is out of order.
 */
const weaveAppData = (split: boolean): EngineHooks => {
  // the message about to be framed is one of the renegotiation's, before our ChangeCipherSpec
  let splitNext = false;
  return {
    async beforeSend(msg) {
      const inReneg = (msg.handshake ?? 0) > 0 && msg.type !== 'finished';
      splitNext = split && inReneg && msg.kind === 'handshake' && msg.raw.length > 1;
      if (split || !inReneg || msg.type === 'client_hello' || !msg.sendRecord) return undefined;
      if (msg.kind !== 'handshake' && msg.kind !== 'change_cipher_spec') return undefined;
      await msg.sendRecord(CT.application_data, WOVEN);
      return [msg.raw];
    },
    beforeFrame(f) {
      if (!splitNext || f.contentType !== CT.handshake) return undefined;
      splitNext = false;
      const at = Math.ceil(f.content.length / 2);
      return [
        { contentType: CT.handshake, fragment: f.content.subarray(0, at) },
        { contentType: CT.application_data, fragment: WOVEN },
        { contentType: CT.handshake, fragment: f.content.subarray(at) },
      ];
    },
  };
};

const withoutScsv = (_ri: Uint8Array | undefined, suites?: number[]) => ({
  suites: (suites ?? []).filter((x) => x !== SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV),
});

const common = (name: string, description: string, rules: readonly RuleId[]) => ({
  name,
  description,
  versions: ['1.2'] as const,
  rules,
  bases: T12_ALL,
});

export const RENEGOTIATION_MUTATIONS: readonly Mutation[] = [
  {
    ...common('t12-reneg-client-no-ri', 'the client renegotiates a secure connection without renegotiation_info', [
      'ext.reneg.secure',
    ]),
    ...renegotiating('client-sends', 'client', () => sendHello('client_hello', () => ({ ri: null }))),
  } as Mutation,
  {
    ...common(
      't12-reneg-client-wrong-ri',
      "the renegotiating ClientHello's renegotiation_info is not the client verify_data (one bit flipped)",
      ['ext.reneg.secure'],
    ),
    ...renegotiating('client-sends', 'server', () =>
      sendHello('client_hello', (ri) => ({ ri: ri ? ri.map((b, i) => (i === 0 ? b ^ 1 : b)) : new Uint8Array(12) })),
    ),
  } as Mutation,
  {
    ...common('t12-reneg-client-scsv', 'the renegotiating ClientHello also carries TLS_EMPTY_RENEGOTIATION_INFO_SCSV', [
      'ext.reneg.secure',
    ]),
    ...renegotiating('client-sends', 'client', () =>
      sendHello('client_hello', (_ri, suites) => ({ suites: [...(suites ?? []), SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV] })),
    ),
  } as Mutation,
  {
    ...common(
      't12-reneg-server-half-ri',
      "the renegotiating ServerHello's renegotiation_info carries only the client verify_data",
      ['ext.reneg.secure'],
    ),
    ...renegotiating('server-sends', 'client', () =>
      sendHello('server_hello', (ri) => ({ ri: (ri ?? new Uint8Array(24)).subarray(0, 12) })),
    ),
  } as Mutation,
  {
    ...common(
      't12-reneg-server-tls13',
      'the server answers a renegotiation of the TLS 1.2 connection with a TLS 1.3 ServerHello',
      ['ver.t13.no-13-in-renegotiation'],
    ),
    // a renegotiating ClientHello offers TLS 1.2 only, without supported_versions (ours and OpenSSL's): the
    // ServerHello's supported_versions is then also an extension the client did not offer (RFC 5246 §7.4.1.4:
    // unsupported_extension), which the client may answer instead of protocol_version
    reactionRules: ['ext.only-if-offered'],
    ...renegotiating('server-sends', 'client', serverHello13),
  } as Mutation,
  {
    ...common(
      't12-reneg-client-drops-etm',
      'the connection negotiated encrypt-then-MAC (CBC suites only offered); the renegotiating ClientHello drops encrypt_then_mac',
      ['ext.etm.no-downgrade'],
    ),
    // tlsfuzzer's test-encrypt-then-mac-renegotiation upgrades (allowed: RFC 7366 §3.1 Table 1); the downgrade is the error
    bases: ['t12-ecdhe-rsa-cbc-mutual'],
    ...renegotiating('client-sends', 'client', dropEtmInRenegotiation),
    // the first handshake must take encrypt-then-MAC: CBC suites only, encrypt_then_mac offered
    mutate: (env: BaseEnv) => ({
      config: { ...env.client, renegotiation: 'legacy', cipherSuites: [...CBC12], encryptThenMac: true },
      hooks: dropEtmInRenegotiation(),
    }),
  } as Mutation,
  {
    ...common(
      't12-reneg-client-appdata-interleaved',
      'our client sends application data ahead of each of its renegotiation messages after the ClientHello, up to its ChangeCipherSpec',
      ['rec.t12.appdata-in-renegotiation'],
    ),
    // valid input judged live only (the peer must complete the renegotiation, or decline it)
    bases: [],
    ...renegotiating('client-sends', 'client', () => weaveAppData(false)),
  } as Mutation,
  {
    ...common(
      't12-reneg-client-fragmented-interleaved',
      'each renegotiation handshake message of our client before its ChangeCipherSpec in two records, with a record of application data between them',
      ['rec.t12.appdata-in-renegotiation', 'rec.hs-fragmentation'],
    ),
    bases: [],
    ...renegotiating('client-sends', 'client', () => weaveAppData(true)),
  } as Mutation,
  {
    ...common(
      't12-reneg-client-appdata-before-finished',
      'our client sends application data under the renegotiated keys between its ChangeCipherSpec and its Finished',
      ['t12.order.finished-first-protected'],
    ),
    ...renegotiating('client-sends', 'client', () => ({
      async beforeSend(msg) {
        if (msg.type !== 'finished' || !msg.handshake || !msg.sendRecord) return undefined;
        await msg.sendRecord(CT.application_data, WOVEN);
        return [msg.raw];
      },
    })),
  } as Mutation,
  {
    // A client without RFC 5746 on the wire (no renegotiation_info in its first ClientHello, breaking §3.4), so
    // neither side sets secure_renegotiation; the server goes on with the renegotiating ClientHello although it
    // carries the SCSV (§4.4: it must abort; it is made to read it without) and answers with a renegotiation_info
    // (§4.2: the client must abort).
    ...common(
      't12-reneg-legacy-server-ri',
      'a legacy renegotiation: the server goes on despite the SCSV of the renegotiating ClientHello and answers it with renegotiation_info',
      ['ext.reneg.initial', 'ext.reneg.legacy'],
    ),
    ...renegotiating(
      'server-sends',
      'client',
      () =>
        bothHooks(
          readHello('client_hello', withoutScsv),
          sendHello('server_hello', () => ({ ri: new Uint8Array(24) })),
        ),
      () => sendHello('client_hello', () => ({ ri: null }), 'initial'),
    ),
    notLive: LEGACY_NOT_LIVE,
  } as Mutation,
];

/**
 * Renegotiations whose ClientHello changes the first one's offer: valid input a server negotiates from anew (RFC 5246
 * §7.4.1.2) or declines (no_renegotiation, RFC 5246 §7.2.2). The renegotiation family runs them like the others; they
 * are listed apart so that a spec can run them against one stack (spec/reneg-offers.spec.ts).
 */
export const RENEGOTIATION_OFFER_MUTATIONS: readonly Mutation[] = [
  changedHello(
    't12-reneg-client-drops-supported-groups',
    'the renegotiating ClientHello leaves out supported_groups (test-renegotiation-changed-clienthello)',
    't12.neg.renegotiation-anew',
    without(X.supported_groups),
  ),
  changedHello(
    't12-reneg-client-drops-ec-point-formats',
    'the renegotiating ClientHello leaves out ec_point_formats (test-renegotiation-changed-clienthello)',
    't12.neg.renegotiation-anew',
    without(X.ec_point_formats),
  ),
  changedHello(
    't12-reneg-client-drops-alpn',
    `the first ClientHello offers ALPN ${ALPN_FIRST}, the renegotiating one leaves ALPN out (test-renegotiation-changed-clienthello)`,
    't12.neg.renegotiation-anew',
    without(X.application_layer_protocol_negotiation),
    { alpn: [ALPN_FIRST] },
  ),
  changedHello(
    't12-reneg-client-drops-status-request',
    'the first ClientHello offers status_request, the renegotiating one leaves it out (test-ocsp-stapling, test-renegotiation-changed-clienthello)',
    't12.neg.renegotiation-anew',
    without(X.status_request),
    { statusRequest: true },
  ),
  changedHello(
    't12-reneg-client-drops-session-ticket',
    'the first ClientHello offers session_ticket, the renegotiating one leaves it out (test-renegotiation-changed-clienthello)',
    't12.neg.renegotiation-anew',
    without(X.session_ticket),
    { sessionTickets12: true },
  ),
  changedHello(
    't12-reneg-client-adds-status-request',
    'the first ClientHello leaves status_request out, the renegotiating one offers it (test-ocsp-stapling)',
    't12.neg.renegotiation-anew',
    () => undefined,
    { statusRequest: true },
    without(X.status_request),
  ),
  changedHello(
    't12-reneg-client-other-alpn',
    `the first ClientHello offers ALPN ${ALPN_FIRST} alone, the renegotiating one ${ALPN_OTHER} alone (test-alpn-negotiation)`,
    't12.neg.renegotiation-anew',
    alpnOffer(ALPN_OTHER),
    { alpn: [ALPN_FIRST, ALPN_OTHER] },
    alpnOffer(ALPN_FIRST),
  ),
  changedHello(
    't12-reneg-client-resumes-session',
    "the renegotiating ClientHello offers the connection's own session ID (RFC 5246 §7.4.1.2; test-sig-algs-renegotiation-resumption)",
    'resume.t12.in-renegotiation',
    // our client offers it (renegotiationResumes); the hook confirms the hello as sent carries a session ID
    (b) => (b.sessionId.length > 0 ? b : undefined),
    { renegotiationResumes: true },
  ),
  changedHello(
    't12-reneg-client-resumes-without-sigalgs',
    "the renegotiating ClientHello offers the connection's own session ID and no signature_algorithms (test-sig-algs-renegotiation-resumption): a resumption signs nothing, a full handshake has only the SHA-1 default",
    't12.neg.renegotiation-changed-offer',
    (b) => (b.sessionId.length > 0 ? without(X.signature_algorithms, X.signature_algorithms_cert)(b) : undefined),
    { renegotiationResumes: true },
  ),
  changedHello(
    't12-reneg-client-other-groups',
    "the renegotiating ClientHello's supported_groups leaves out the group of the first ServerKeyExchange",
    't12.neg.renegotiation-changed-offer',
    (b, first) => narrowed(b, 'supported_groups', first.group),
  ),
  changedHello(
    't12-reneg-client-other-sigalgs',
    "the renegotiating ClientHello's signature_algorithms leaves out the scheme of the first ServerKeyExchange (test-sig-algs-renegotiation-resumption)",
    't12.neg.renegotiation-changed-offer',
    (b, first) => narrowed(b, 'signature_algorithms', first.scheme),
  ),
  changedHello(
    't12-reneg-client-drops-sigalgs',
    'the renegotiating ClientHello leaves out signature_algorithms (test-sig-algs-renegotiation-resumption): the SHA-1 default, which RFC 9155 forbids in a ServerKeyExchange',
    't12.neg.renegotiation-changed-offer',
    without(X.signature_algorithms, X.signature_algorithms_cert),
  ),
  {
    ...common(
      't12-reneg-server-answers-first-hello',
      'the renegotiating ServerHello answers ALPN from the first hello, which the renegotiating ClientHello left out',
      ['ext.only-if-offered'],
    ),
    bases: ['t12-ecdhe-rsa-cbc-mutual'],
    where: 'server-sends',
    renegotiates: true,
    mutate: (env: BaseEnv) => ({
      config: { ...env.server, renegotiation: 'legacy', alpn: [ALPN_FIRST] },
      hooks: alpnFromFirstHello(),
    }),
    inMemory: (env: BaseEnv) => ({
      client: { ...env.client, renegotiation: 'legacy', alpn: [ALPN_FIRST] },
      memory: { renegotiations: ['client'] },
      hooks: changedRenegotiation(without(X.application_layer_protocol_negotiation)),
    }),
    notLive: ANSWERS_FIRST_NOT_LIVE,
  } as Mutation,
];
