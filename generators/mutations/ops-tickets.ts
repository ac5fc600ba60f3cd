/**
 * The NewSessionTicket family: edge values of the tickets our server sends to
 * a client under test (tlsfuzzer's client-side ticket checks; issue #14
 * "Client targets"). What a conforming client does comes from the rules:
 *
 * - TLS 1.3, refused: an empty ticket (RFC 8446 §4.6.1 `opaque
 *   ticket<1..2^16-1>`: a length out of range, §6 decode_error); an extension
 *   repeated (RFC 8446 §4.2); a ticket before our Finished, in the handshake
 *   (RFC 8446 §4.6.1 "at any time after it receives the client Finished"; §4
 *   unexpected_message);
 * - TLS 1.3, taken (the client goes on): lifetime 0 (§4.6.1 "discarded
 *   immediately"), ticket_nonce of 0 and of 255 bytes (`ticket_nonce<0..255>`),
 *   an unknown extension (§4.6.1 "Clients MUST ignore unrecognized
 *   extensions");
 * - not here: a lifetime above 604800 seconds breaks the server's MUST NOT
 *   (t13.neg.nst-fields, shown offline by ops-wire.ts t13-nst-lifetime-8-days);
 *   RFC 8446 §4.6.1 gives the client no reaction to it ("Clients MUST NOT
 *   cache tickets for longer than 7 days, regardless of the ticket_lifetime"),
 *   so a live client is owed nothing to judge;
 * - TLS 1.2 (RFC 5077), taken: an empty ticket (§3.3, the server "sends a
 *   zero-length ticket") and a lifetime hint of 0 ("unspecified"). They fire
 *   only with a client that offers session_ticket.
 */
import { ServerSessionCache } from '../../engine/session';
import { encodeBody, type HandshakeBody } from '../../wire/handshake';
import { ExtensionType as X } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { ServerChange, ServerSends } from './model';
import { type BaseEnv, type BaseName, editRaw, onceOn } from './support';

type Nst13 = Extract<HandshakeBody, { type: 'new_session_ticket'; form: 'tls13' }>;
type Nst12 = Extract<HandshakeBody, { type: 'new_session_ticket'; form: 'tls12' }>;

const T13: readonly BaseName[] = ['t13-server-auth'];
/** An unassigned extension type (not GREASE, not in the registry). */
const UNKNOWN_EXT = 0x7f01;

const server = (m: Omit<ServerSends, 'where'>): ServerSends => ({ ...m, where: 'server-sends' });

/** Our TLS 1.3 server's first NewSessionTicket changed by `edit`. */
const nst13 =
  (edit: (b: Nst13) => void) =>
  (env: BaseEnv): ServerChange => ({
    config: env.server,
    hooks: onceOn('new_session_ticket', (raw) => [
      editRaw(raw, { version: VERSION_CODE['1.3'] }, 'new_session_ticket', (b) => {
        if (b.form === 'tls13') edit(b);
      }),
    ]),
  });

/** Our TLS 1.2 server issues an RFC 5077 ticket (to a client that offers session_ticket), its NewSessionTicket changed by `edit`. */
const nst12 =
  (edit: (b: Nst12) => void) =>
  (env: BaseEnv): ServerChange => ({
    config: { ...env.server, sessionCache: new ServerSessionCache(env.provider), sessionTickets12: true },
    hooks: onceOn('new_session_ticket', (raw) => [
      editRaw(raw, { version: VERSION_CODE['1.2'] }, 'new_session_ticket', (b) => {
        if (b.form === 'tls12') edit(b);
      }),
    ]),
  });

/** A TLS 1.3 NewSessionTicket our server puts before its Finished, in its handshake flight. */
const EARLY_TICKET: Nst13 = {
  type: 'new_session_ticket',
  form: 'tls13',
  lifetime: 7200,
  ageAdd: 0x01020304,
  nonce: Uint8Array.of(0),
  ticket: new Uint8Array(32).fill(0x5a),
  extensions: [],
};

export const TICKET_MUTATIONS: readonly ServerSends[] = [
  // ---- TLS 1.3: refused
  server({
    name: 't13-nst-empty-ticket',
    description: 'our TLS 1.3 NewSessionTicket has a zero-length ticket (RFC 8446 §4.6.1: ticket<1..2^16-1>)',
    versions: ['1.3'],
    rules: ['rec.hs-length-consistent'],
    bases: T13,
    mutate: nst13((b) => {
      b.ticket = new Uint8Array(0);
    }),
  }),
  server({
    name: 't13-nst-duplicate-extension',
    description: 'our TLS 1.3 NewSessionTicket carries early_data twice (RFC 8446 §4.2: no extension type twice in a block)',
    versions: ['1.3'],
    rules: ['ext.no-duplicates'],
    bases: T13,
    mutate: nst13((b) => {
      const e = { type: X.early_data, body: { kind: 'early_data_max' as const, maxEarlyDataSize: 0 } };
      b.extensions = [...b.extensions, e, e];
    }),
  }),
  server({
    name: 't13-nst-before-server-finished',
    description: 'our TLS 1.3 server sends a NewSessionTicket in its handshake flight, before its Finished',
    versions: ['1.3'],
    rules: ['t13.order.post-handshake', 't13.order.state-machine'],
    bases: T13,
    mutate: (env) => ({
      config: env.server,
      hooks: onceOn('finished', (raw) => [encodeBody(EARLY_TICKET), raw]),
    }),
  }),
  // ---- TLS 1.3: taken
  server({
    name: 't13-nst-lifetime-zero',
    description: 'our TLS 1.3 NewSessionTicket has ticket_lifetime 0 (RFC 8446 §4.6.1: "discarded immediately")',
    versions: ['1.3'],
    rules: ['ticket.client-accepts-valid'],
    bases: [],
    mutate: nst13((b) => {
      b.lifetime = 0;
    }),
  }),
  server({
    name: 't13-nst-nonce-empty',
    description: 'our TLS 1.3 NewSessionTicket has an empty ticket_nonce (RFC 8446 §4.6.1: ticket_nonce<0..255>)',
    versions: ['1.3'],
    rules: ['ticket.client-accepts-valid'],
    bases: [],
    mutate: nst13((b) => {
      b.nonce = new Uint8Array(0);
    }),
  }),
  server({
    name: 't13-nst-nonce-255',
    description: 'our TLS 1.3 NewSessionTicket has a 255-byte ticket_nonce (RFC 8446 §4.6.1: ticket_nonce<0..255>)',
    versions: ['1.3'],
    rules: ['ticket.client-accepts-valid'],
    bases: [],
    mutate: nst13((b) => {
      b.nonce = new Uint8Array(255).fill(0xa5);
    }),
  }),
  server({
    name: 't13-nst-unknown-extension',
    description:
      'our TLS 1.3 NewSessionTicket carries an unassigned extension (RFC 8446 §4.6.1: "Clients MUST ignore unrecognized extensions")',
    versions: ['1.3'],
    rules: ['ext.ignore-unknown'],
    bases: [],
    mutate: nst13((b) => {
      b.extensions = [...b.extensions, { type: UNKNOWN_EXT, body: { kind: 'opaque', data: Uint8Array.of(1, 2, 3) } }];
    }),
  }),
  // ---- TLS 1.2 (RFC 5077): taken
  server({
    name: 't12-nst-empty-ticket',
    description: 'our TLS 1.2 NewSessionTicket has a zero-length ticket (RFC 5077 §3.3: the server "sends a zero-length ticket")',
    versions: ['1.2'],
    rules: ['ticket.client-accepts-valid'],
    bases: [],
    mutate: nst12((b) => {
      b.ticket = new Uint8Array(0);
    }),
  }),
  server({
    name: 't12-nst-lifetime-hint-zero',
    description:
      'our TLS 1.2 NewSessionTicket has ticket_lifetime_hint 0 (RFC 5077 §3.3: "the lifetime of the ticket is unspecified")',
    versions: ['1.2'],
    rules: ['ticket.client-accepts-valid'],
    bases: [],
    mutate: nst12((b) => {
      b.lifetimeHint = 0;
    }),
  }),
];
