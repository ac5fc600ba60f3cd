/**
 * Resumption (tlsfuzzer's test-sessionID-resumption, test-session-ticket-resumption, test-tls13-session-resumption,
 * test-resumption-with-wrong-ciphers, test-invalid-server-name-extension-resumption): a first valid connection takes a
 * session from the target (TLS 1.2 session ID or RFC 5077 ticket, TLS 1.3 ticket), then our client resumes it with a
 * ClientHello changed as each declaration says. They act on the second connection only, which exists live (the
 * resumption family, fuzz/families.ts); the transcript edits of a resumption in memory are in ops-keys.ts.
 */
import { binderKey, type CryptoProvider, digest, pskBinder } from '../../crypto';
import type { ExternalPsk } from '../../engine/config';
import type { EngineHooks } from '../../engine/hooks';
import { type ClientSessionStore, newClientSessionStore } from '../../engine/session';
import { engineSuite } from '../../engine/suites';
import { bytesEqual } from '../../wire/hex';
import { decodeHandshake, encodeHandshake, type HandshakeBody } from '../../wire/handshake';
import { ExtensionType as X } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { ClientSends, ResumeLive } from './model';

type Hello = Extract<HandshakeBody, { type: 'client_hello' }>;
type HelloExtension = NonNullable<Hello['extensions']>[number];

/**
 * Our client's first ClientHello, changed by `edit` when it resumes a session of `store` as it is when the hooks are
 * made (false from `edit`: left as it is, and the hook did not fire). `rebind`: a TLS 1.3 PSK binder is recomputed over the changed bytes, so the
 * server reads a valid offer of the ticket with the change alone.
 */
function resumingHello(
  edit: (b: Hello, store: ClientSessionStore) => boolean,
  rebind: boolean,
): (store: ClientSessionStore, P: CryptoProvider, external?: ExternalPsk) => EngineHooks {
  return (live, P, external) => {
    // what the store holds now: our client takes a TLS 1.3 ticket out of it as it offers it (used once)
    const store: ClientSessionStore = { tls13: [...live.tls13], tls12: [...live.tls12] };
    let done = false;
    return {
      async beforeSend(m) {
        if (done || m.type !== 'client_hello') return undefined;
        done = true;
        const d = decodeHandshake(m.raw, { version: VERSION_CODE['1.2'] });
        const b = d.message.body;
        if (b.type !== 'client_hello' || !resumes(b, store)) return undefined;
        const before = encodeHandshake(d.message);
        if (!edit(b, store)) return undefined;
        // the binders are over the hello cut before them: the external PSK's (not what a resumption mutation is
        // about) is computed again over a changed hello, the ticket's too with `rebind`
        const changed = !bytesEqual(cutBefore(encodeHandshake(d.message), b), cutBefore(before, b));
        await bind(b, store, P, { ticket: rebind, external: changed ? external : undefined });
        return [encodeHandshake(d.message)];
      },
    };
  };
}

/** Whether the hello offers a session of the store: a TLS 1.3 ticket, a TLS 1.2 ticket or session ID. */
function resumes(b: Hello, store: ClientSessionStore): boolean {
  const psk = pskOf(b);
  if (psk) return store.tls13.some((t) => psk.identities.some((i) => bytesEqual(i.identity, t.ticket)));
  const ticket = ticketOf(b);
  return store.tls12.some(
    (s) => (s.ticket !== undefined && ticket !== undefined && bytesEqual(s.ticket, ticket)) || sameId(s.sessionId, b.sessionId),
  );
}
const sameId = (a: Uint8Array, b: Uint8Array): boolean => a.length > 0 && bytesEqual(a, b);
const pskOf = (b: Hello) => {
  const e = b.extensions?.find((x) => x.type === X.pre_shared_key)?.body;
  return e?.kind === 'pre_shared_key_client' ? e : undefined;
};
const ticketOf = (b: Hello): Uint8Array | undefined => {
  const e = b.extensions?.find((x) => x.type === X.session_ticket)?.body;
  return e?.kind === 'session_ticket' && e.ticket.length ? e.ticket : undefined;
};
/** The TLS 1.2 session the hello offers (the newest of the store it names). */
function session12(b: Hello, store: ClientSessionStore) {
  const ticket = ticketOf(b);
  return [...store.tls12]
    .reverse()
    .find(
      (s) => (s.ticket !== undefined && ticket !== undefined && bytesEqual(s.ticket, ticket)) || sameId(s.sessionId, b.sessionId),
    );
}

/** The encoded hello cut before its binders (what they are computed over), or all of it without a PSK. */
function cutBefore(raw: Uint8Array, b: Hello): Uint8Array {
  const psk = pskOf(b);
  const cut = psk ? 2 + psk.binders.reduce((n, x) => n + 1 + x.length, 0) : 0;
  return raw.subarray(0, raw.length - cut);
}

/**
 * The binders of the ticket (`ticket`) and of the external PSK (`external`) recomputed over the hello as it is now
 * (RFC 8446 §4.2.11.2: an HMAC over the ClientHello cut before the binders; their lengths do not change).
 */
async function bind(
  b: Hello,
  store: ClientSessionStore,
  P: CryptoProvider,
  which: { ticket: boolean; external: ExternalPsk | undefined },
): Promise<void> {
  const psk = pskOf(b);
  if (!psk) return;
  const truncated = cutBefore(encodeHandshake({ body: b }), b);
  for (const [i, id] of psk.identities.entries()) {
    const ticket = which.ticket ? store.tls13.find((t) => bytesEqual(t.ticket, id.identity)) : undefined;
    const ext = which.external && bytesEqual(which.external.identity, id.identity) ? which.external : undefined;
    const key = ticket
      ? { psk: ticket.psk, hash: engineSuite(ticket.cipherSuite)?.prfHash, label: 'resumption' as const }
      : ext
        ? { psk: ext.key, hash: ext.hash ?? 'SHA-256', label: 'external' as const }
        : undefined;
    if (!key?.hash) continue;
    const th = await digest(P, key.hash, truncated);
    psk.binders[i] = await pskBinder(P, key.hash, await binderKey(P, key.hash, key.psk, key.label), th);
  }
}

const hostName = (name: string): HelloExtension => ({
  type: X.server_name,
  body: { kind: 'server_name', names: [{ nameType: 0, name: new TextEncoder().encode(name) }] },
});
/** The hello's server_name replaced (or added) with `name`. */
const withServerName =
  (name: string) =>
  (b: Hello): boolean => {
    const exts = b.extensions ?? [];
    const i = exts.findIndex((e) => e.type === X.server_name);
    // before pre_shared_key, which stays last (RFC 8446 §4.2.11)
    if (i >= 0) exts[i] = hostName(name);
    else exts.splice(pskOf(b) ? exts.length - 1 : exts.length, 0, hostName(name));
    b.extensions = exts;
    return true;
  };
const flipped = (x: Uint8Array): Uint8Array => {
  const y = Uint8Array.from(x);
  y[y.length >> 1]! ^= 0x5a;
  return y;
};

/** A resumption mutation of our client: live only (the resumption family), its `mutate` the same hooks over env's store. */
function resumption(live: ResumeLive): Pick<ClientSends, 'where' | 'mutate' | 'resumes' | 'bases'> {
  return {
    where: 'client-sends',
    bases: [],
    resumes: live,
    mutate: (env) => ({
      ...(live.config ? { config: { ...env.client, ...live.config } } : {}),
      hooks: live.hooks(env.client.sessionStore ?? newClientSessionStore(), env.provider, env.client.psk),
    }),
  };
}

export const RESUMPTION_MUTATIONS: readonly ClientSends[] = [
  {
    name: 't12-resume-without-session-suite',
    description:
      "the resuming ClientHello offers the session (its ID or ticket) but not the session's cipher suite, only another one the server accepts",
    versions: ['1.2'],
    // RFC 5246 §7.4.1.2: "If the session_id field is not empty (implying a session resumption request), this vector
    // MUST include at least the cipher_suite from that session." The server may decline (a full handshake with the
    // other suite) or abort; resuming with the suite not offered breaks t12.neg.suite-offered too
    rules: ['t12.neg.resume-consistency'],
    ...resumption({
      otherSuite: 'any',
      hooks: resumingHello((b, store) => {
        const s = session12(b, store);
        const rest = b.cipherSuites.filter((c) => c !== s?.cipherSuite);
        if (!s || !rest.length || rest.length === b.cipherSuites.length) return false;
        b.cipherSuites = rest;
        return true;
      }, false),
    }),
  },
  {
    name: 't12-resume-other-server-name',
    description: 'the resuming ClientHello names another server (server_name other.example) than the session was made for',
    versions: ['1.2'],
    // RFC 6066 §3: the server "MUST NOT accept the request to resume the session if the server_name extension contains
    // a different name. Instead, it proceeds with a full handshake"; ext.sni.resumption judges a resumption anyway
    rules: ['resume.server-falls-back'],
    ...resumption({ hooks: resumingHello(withServerName('other.example'), false) }),
  },
  {
    name: 'resume-sni-nul-in-host-name',
    description:
      "the resuming ClientHello names the server localhost\\0.example.com (a NUL inside the host_name): not a DNS name, so not the session's server",
    versions: ['1.2', '1.3'],
    // as ch-sni-nul-in-host-name (ops-hello.ts) in a hello that resumes: RFC 6066 §3 "The hostname is represented as a
    // byte string using ASCII encoding without a trailing dot" (no NUL), and the server "SHOULD take one of two
    // actions: either abort the handshake by sending a fatal-level unrecognized_name(112) alert or continue the
    // handshake" (then never resuming the session of another name)
    rules: ['ext.sni.format'],
    reactionRules: ['ext.sni.unrecognized'],
    ...resumption({ hooks: resumingHello(withServerName('localhost\0.example.com'), true) }),
  },
  {
    name: 't12-resume-ticket-empty-session-id',
    description:
      'the client offers its RFC 5077 ticket with an empty session ID (test-session-ticket-resumption): no echo to read, what follows the ServerHello tells a resumption',
    versions: ['1.2'],
    rules: ['resume.t12.ticket-empty-session-id'],
    ...resumption({
      // our client leaves the session ID out (ticketSessionId false); the hook only confirms the hello as sent: a
      // ticket of the store and an empty session ID (else it did not fire)
      config: { ticketSessionId: false },
      hooks: resumingHello(
        (b, store) => b.sessionId.length === 0 && ticketOf(b) !== undefined && session12(b, store) !== undefined,
        false,
      ),
    }),
  },
  {
    name: 't12-resume-ems-dropped',
    description: 'the client resumes an extended_master_secret session with a ClientHello without extended_master_secret',
    versions: ['1.2'],
    // RFC 7627 §5.3: "If the original session used the "extended_master_secret" extension but the new ClientHello
    // does not contain it, the server MUST abort the abbreviated handshake."
    rules: ['ext.ems.resumption'],
    ...resumption({
      hooks: resumingHello((b, store) => {
        if (!session12(b, store)?.extendedMasterSecret) return false;
        b.extensions = (b.extensions ?? []).filter((e) => e.type !== X.extended_master_secret);
        return true;
      }, false),
    }),
  },
  {
    name: 't13-resume-binder-wrong',
    description: "the resuming ClientHello's PSK binder for the target's own ticket with a byte flipped",
    versions: ['1.3'],
    // RFC 8446 §4.2.11: "Prior to accepting PSK key establishment, the server MUST validate the corresponding binder
    // value [...]. If this value is not present or does not validate, the server MUST abort the handshake."
    rules: ['t13.psk.binder'],
    ...resumption({
      hooks: resumingHello((b) => {
        const psk = pskOf(b);
        if (!psk?.binders[0]) return false;
        psk.binders[0] = flipped(psk.binders[0]);
        return true;
      }, false),
    }),
  },
  {
    name: 't13-resume-other-hash-suite',
    description:
      "the resuming ClientHello offers the ticket (its binder valid) with cipher suites of another hash than the ticket's only",
    versions: ['1.3'],
    // RFC 8446 §4.2.11: the server "MUST ensure that it selects a compatible PSK (if any) and cipher suite"; §4.6.1:
    // "Any ticket MUST only be resumed with a cipher suite that has the same KDF hash": no PSK it can select, so a full
    // handshake (t13.psk.suite-hash judges a server that resumes anyway)
    rules: ['resume.server-falls-back'],
    ...resumption({
      otherSuite: 'other-hash',
      hooks: resumingHello((b, store) => {
        const first = pskOf(b)?.identities[0];
        const ticket = first && store.tls13.find((t) => bytesEqual(t.ticket, first.identity));
        const h = ticket && engineSuite(ticket.cipherSuite)?.prfHash;
        const rest = b.cipherSuites.filter((c) => engineSuite(c)?.prfHash !== h);
        if (!h || !rest.length || rest.length === b.cipherSuites.length) return false;
        b.cipherSuites = rest;
        return true;
      }, true),
    }),
  },
  {
    name: 'resume-unknown-session',
    description:
      'the resuming ClientHello offers the session with a byte flipped in its ticket (TLS 1.3 PSK identity, TLS 1.2 SessionTicket) and session ID: a session the server does not know',
    versions: ['1.2', '1.3'],
    // RFC 5077 §3.4: "If the server cannot or does not want to honor the ticket, then it can initiate a full handshake
    // with the client."; RFC 8446 §4.2.11: the server "selects a compatible PSK (if any)"
    rules: ['resume.server-falls-back'],
    ...resumption({
      hooks: resumingHello((b) => {
        const psk = pskOf(b);
        const first = psk?.identities[0];
        if (first) {
          first.identity = flipped(first.identity);
          return true;
        }
        const exts = b.extensions ?? [];
        const i = exts.findIndex((e) => e.type === X.session_ticket);
        const ticket = ticketOf(b);
        if (ticket) exts[i] = { type: X.session_ticket, body: { kind: 'session_ticket', ticket: flipped(ticket) } };
        if (b.sessionId.length) b.sessionId = flipped(b.sessionId);
        return true;
      }, false),
    }),
  },
];
