/**
 * TLS extensions (RFC 8446 §4.2, RFC 5246 §7.4.1.4 and the RFCs of each
 * extension). The body of an extension depends on the message that carries
 * it (key_share in a ClientHello, ServerHello or HelloRetryRequest), so
 * decoding takes that context. A body that does not parse is kept as opaque
 * bytes with a finding: a conformance tool reports malformed extensions, it
 * does not drop them, and re-encoding still gives back the same bytes.
 */
import { DecodeError } from './errors';
import { Reader } from './reader';
import { ExtensionType, extensionTypes, nameOf } from './registry';
import type { Writer } from './writer';

/** The message an extension block belongs to. */
export type ExtContext =
  | 'client_hello'
  | 'server_hello'
  | 'hello_retry_request'
  | 'encrypted_extensions'
  | 'certificate'
  | 'certificate_request'
  | 'new_session_ticket';

export interface KeyShareEntry {
  group: number;
  keyExchange: Uint8Array;
}
export interface PskIdentity {
  identity: Uint8Array;
  obfuscatedTicketAge: number;
}
export interface ServerName {
  nameType: number;
  name: Uint8Array;
}

export type ExtensionBody =
  /** Zero-length extension_data where the syntax allows it (e.g. extended_master_secret, SNI echo). */
  | { kind: 'empty' }
  | { kind: 'server_name'; names: ServerName[] }
  | { kind: 'max_fragment_length'; value: number }
  | { kind: 'status_request'; statusType: number; responderIdList: Uint8Array; requestExtensions: Uint8Array }
  /** status_request in a TLS 1.3 CertificateEntry: a CertificateStatus. */
  | { kind: 'certificate_status'; statusType: number; response: Uint8Array }
  | { kind: 'supported_groups'; groups: number[] }
  | { kind: 'ec_point_formats'; formats: number[] }
  | { kind: 'signature_algorithms'; schemes: number[] }
  | { kind: 'application_layer_protocol_negotiation'; protocols: Uint8Array[] }
  | { kind: 'record_size_limit'; limit: number }
  | { kind: 'session_ticket'; ticket: Uint8Array }
  | { kind: 'renegotiation_info'; renegotiatedConnection: Uint8Array }
  | { kind: 'supported_versions_client'; versions: number[] }
  | { kind: 'supported_versions_server'; version: number }
  | { kind: 'key_share_client'; shares: KeyShareEntry[] }
  | { kind: 'key_share_server'; share: KeyShareEntry }
  | { kind: 'key_share_hrr'; selectedGroup: number }
  | { kind: 'psk_key_exchange_modes'; modes: number[] }
  | { kind: 'pre_shared_key_client'; identities: PskIdentity[]; binders: Uint8Array[] }
  | { kind: 'pre_shared_key_server'; selectedIdentity: number }
  | { kind: 'early_data_max'; maxEarlyDataSize: number }
  | { kind: 'cookie'; cookie: Uint8Array }
  | { kind: 'certificate_authorities'; authorities: Uint8Array[] }
  | { kind: 'padding'; data: Uint8Array }
  /** RFC 8879 §3: the algorithms the sender can decompress, in preference order. */
  | { kind: 'compress_certificate'; algorithms: number[] }
  /** Unknown extension, or a known one whose body did not parse (see the message's findings). */
  | { kind: 'opaque'; data: Uint8Array };

export interface Extension {
  type: number;
  body: ExtensionBody;
}

/** Extensions that may legitimately carry zero bytes of extension_data, by context. */
function emptyAllowed(type: number, ctx: ExtContext): boolean {
  switch (type) {
    case ExtensionType.extended_master_secret:
    case ExtensionType.encrypt_then_mac:
      return true;
    case ExtensionType.server_name:
    case ExtensionType.status_request:
      return ctx !== 'client_hello';
    case ExtensionType.session_ticket:
      return false; // represented as a session_ticket with an empty ticket
    case ExtensionType.post_handshake_auth:
    case ExtensionType.signed_certificate_timestamp:
      return ctx === 'client_hello' || ctx === 'certificate_request';
    case ExtensionType.early_data:
      return ctx === 'client_hello' || ctx === 'encrypted_extensions';
    default:
      return false;
  }
}

function decodeBody(type: number, r: Reader, ctx: ExtContext): ExtensionBody {
  if (r.remaining === 0 && emptyAllowed(type, ctx)) return { kind: 'empty' };
  switch (type) {
    case ExtensionType.server_name: {
      const list = r.sub(2, 'server_name_list', 1);
      const names: ServerName[] = [];
      while (!list.atEnd) {
        const nameType = list.u8(`[${names.length}].name_type`);
        names.push({ nameType, name: list.vec(2, `[${names.length}].host_name`, 1) });
      }
      return { kind: 'server_name', names };
    }
    case ExtensionType.max_fragment_length:
      return { kind: 'max_fragment_length', value: r.u8('max_fragment_length') };
    case ExtensionType.status_request:
      if (ctx === 'certificate') {
        return { kind: 'certificate_status', statusType: r.u8('status_type'), response: r.vec(3, 'ocsp_response', 1) };
      }
      return {
        kind: 'status_request',
        statusType: r.u8('status_type'),
        responderIdList: r.vec(2, 'responder_id_list'),
        requestExtensions: r.vec(2, 'request_extensions'),
      };
    case ExtensionType.supported_groups:
      return { kind: 'supported_groups', groups: r.uintList(2, 2, 'named_group_list', 2) };
    case ExtensionType.ec_point_formats:
      return { kind: 'ec_point_formats', formats: r.uintList(1, 1, 'ec_point_format_list', 1) };
    case ExtensionType.signature_algorithms:
    case ExtensionType.signature_algorithms_cert:
      return { kind: 'signature_algorithms', schemes: r.uintList(2, 2, 'supported_signature_algorithms', 2) };
    case ExtensionType.application_layer_protocol_negotiation: {
      const list = r.sub(2, 'protocol_name_list', 2);
      const protocols: Uint8Array[] = [];
      while (!list.atEnd) protocols.push(list.vec(1, `[${protocols.length}]`, 1));
      return { kind: 'application_layer_protocol_negotiation', protocols };
    }
    case ExtensionType.record_size_limit:
      return { kind: 'record_size_limit', limit: r.u16('record_size_limit') };
    case ExtensionType.compress_certificate:
      // RFC 8879 §3: CertificateCompressionAlgorithm algorithms<2..2^8-2>
      return { kind: 'compress_certificate', algorithms: r.uintList(1, 2, 'algorithms', 2, 254) };
    case ExtensionType.session_ticket:
      return { kind: 'session_ticket', ticket: r.rest() };
    case ExtensionType.renegotiation_info:
      return { kind: 'renegotiation_info', renegotiatedConnection: r.vec(1, 'renegotiated_connection') };
    case ExtensionType.supported_versions:
      if (ctx === 'client_hello') return { kind: 'supported_versions_client', versions: r.uintList(1, 2, 'versions', 2, 254) };
      return { kind: 'supported_versions_server', version: r.u16('selected_version') };
    case ExtensionType.key_share:
      if (ctx === 'client_hello') {
        const list = r.sub(2, 'client_shares');
        const shares: KeyShareEntry[] = [];
        while (!list.atEnd) shares.push(readShare(list, `[${shares.length}]`));
        return { kind: 'key_share_client', shares };
      }
      if (ctx === 'hello_retry_request') return { kind: 'key_share_hrr', selectedGroup: r.u16('selected_group') };
      return { kind: 'key_share_server', share: readShare(r, 'server_share') };
    case ExtensionType.psk_key_exchange_modes:
      return { kind: 'psk_key_exchange_modes', modes: r.uintList(1, 1, 'ke_modes', 1) };
    case ExtensionType.pre_shared_key: {
      if (ctx !== 'client_hello') return { kind: 'pre_shared_key_server', selectedIdentity: r.u16('selected_identity') };
      const ids = r.sub(2, 'identities', 7);
      const identities: PskIdentity[] = [];
      while (!ids.atEnd) {
        const i = identities.length;
        identities.push({
          identity: ids.vec(2, `[${i}].identity`, 1),
          obfuscatedTicketAge: ids.u32(`[${i}].obfuscated_ticket_age`),
        });
      }
      const bl = r.sub(2, 'binders', 33);
      const binders: Uint8Array[] = [];
      while (!bl.atEnd) binders.push(bl.vec(1, `[${binders.length}]`, 32));
      return { kind: 'pre_shared_key_client', identities, binders };
    }
    case ExtensionType.early_data:
      return { kind: 'early_data_max', maxEarlyDataSize: r.u32('max_early_data_size') };
    case ExtensionType.cookie:
      return { kind: 'cookie', cookie: r.vec(2, 'cookie', 1) };
    case ExtensionType.certificate_authorities: {
      const list = r.sub(2, 'authorities', 3);
      const authorities: Uint8Array[] = [];
      while (!list.atEnd) authorities.push(list.vec(2, `[${authorities.length}]`, 1));
      return { kind: 'certificate_authorities', authorities };
    }
    case ExtensionType.padding:
      return { kind: 'padding', data: r.rest() };
    default:
      return { kind: 'opaque', data: r.rest() };
  }
}

function readShare(r: Reader, field: string): KeyShareEntry {
  return { group: r.u16(`${field}.group`), keyExchange: r.vec(2, `${field}.key_exchange`, 1) };
}

/**
 * Decode an extension list (the `extensions<..>` vector, prefix included).
 * Duplicates and malformed bodies become findings on the reader.
 */
export function readExtensions(r: Reader, ctx: ExtContext, field = 'extensions'): Extension[] {
  const list = r.sub(2, field);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (!list.atEnd) {
    const i = out.length;
    const at = list.offset;
    const type = list.u16(`[${i}].extension_type`);
    const label = `[${i}].${nameOf(extensionTypes, type)}`;
    const body = list.sub(2, label);
    if (seen.has(type))
      list.finding('duplicate-extension', label, `extension ${nameOf(extensionTypes, type)} appears more than once`, at);
    seen.add(type);
    out.push({ type, body: decodeBodyLeniently(type, body, ctx) });
  }
  return out;
}

function decodeBodyLeniently(type: number, body: Reader, ctx: ExtContext): ExtensionBody {
  const snapshot = new Reader(body.peek(body.remaining), body.offset, body.path, body.findings);
  try {
    const decoded = decodeBody(type, body, ctx);
    body.end();
    return decoded;
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    body.finding('bad-value', '', `malformed ${nameOf(extensionTypes, type)} extension: ${e.message}`, e.offset);
    return { kind: 'opaque', data: snapshot.rest() };
  }
}

function writeBody(w: Writer, b: ExtensionBody): void {
  switch (b.kind) {
    case 'empty':
      return;
    case 'server_name':
      w.vec(2, (l) => {
        for (const n of b.names) l.u8(n.nameType).opaque(2, n.name);
      });
      return;
    case 'max_fragment_length':
      w.u8(b.value);
      return;
    case 'status_request':
      w.u8(b.statusType).opaque(2, b.responderIdList).opaque(2, b.requestExtensions);
      return;
    case 'certificate_status':
      w.u8(b.statusType).opaque(3, b.response);
      return;
    case 'supported_groups':
      w.uintList(2, 2, b.groups);
      return;
    case 'ec_point_formats':
      w.uintList(1, 1, b.formats);
      return;
    case 'signature_algorithms':
      w.uintList(2, 2, b.schemes);
      return;
    case 'application_layer_protocol_negotiation':
      w.vec(2, (l) => {
        for (const p of b.protocols) l.opaque(1, p);
      });
      return;
    case 'record_size_limit':
      w.u16(b.limit);
      return;
    case 'compress_certificate':
      w.uintList(1, 2, b.algorithms);
      return;
    case 'session_ticket':
      w.bytes(b.ticket);
      return;
    case 'renegotiation_info':
      w.opaque(1, b.renegotiatedConnection);
      return;
    case 'supported_versions_client':
      w.uintList(1, 2, b.versions);
      return;
    case 'supported_versions_server':
      w.u16(b.version);
      return;
    case 'key_share_client':
      w.vec(2, (l) => {
        for (const s of b.shares) l.u16(s.group).opaque(2, s.keyExchange);
      });
      return;
    case 'key_share_server':
      w.u16(b.share.group).opaque(2, b.share.keyExchange);
      return;
    case 'key_share_hrr':
      w.u16(b.selectedGroup);
      return;
    case 'psk_key_exchange_modes':
      w.uintList(1, 1, b.modes);
      return;
    case 'pre_shared_key_client':
      w.vec(2, (l) => {
        for (const id of b.identities) l.opaque(2, id.identity).u32(id.obfuscatedTicketAge);
      });
      w.vec(2, (l) => {
        for (const binder of b.binders) l.opaque(1, binder);
      });
      return;
    case 'pre_shared_key_server':
      w.u16(b.selectedIdentity);
      return;
    case 'early_data_max':
      w.u32(b.maxEarlyDataSize);
      return;
    case 'cookie':
      w.opaque(2, b.cookie);
      return;
    case 'certificate_authorities':
      w.vec(2, (l) => {
        for (const a of b.authorities) l.opaque(2, a);
      });
      return;
    case 'padding':
      w.bytes(b.data);
      return;
    case 'opaque':
      w.bytes(b.data);
      return;
  }
}

export function writeExtension(w: Writer, e: Extension): void {
  w.u16(e.type).vec(2, (b) => writeBody(b, e.body));
}

export function writeExtensions(w: Writer, exts: readonly Extension[]): void {
  w.vec(2, (l) => {
    for (const e of exts) writeExtension(l, e);
  });
}

/** The first extension of a type, if any. */
export function findExtension(exts: readonly Extension[] | undefined, type: number): Extension | undefined {
  return exts?.find((e) => e.type === type);
}

/** Typed access: the body of the first extension of `type` when it has the given kind. */
export function extensionBody<K extends ExtensionBody['kind']>(
  exts: readonly Extension[] | undefined,
  type: number,
  kind: K,
): Extract<ExtensionBody, { kind: K }> | undefined {
  const b = findExtension(exts, type)?.body;
  return b && b.kind === kind ? (b as Extract<ExtensionBody, { kind: K }>) : undefined;
}
