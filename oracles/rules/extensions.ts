/**
 * Extensions across versions: answers only to offers, duplicates, the
 * ClientHello extensions block, GREASE, ALPN, extended master secret,
 * secure renegotiation, OCSP status, SNI, max_fragment_length and record_size_limit.
 */
import type { TranscriptMessage } from '../../transcript/model';
import { type Extension, extensionBody, findExtension } from '../../wire/extensions';
import { bytesEqual } from '../../wire/hex';
import {
  SCSV,
  ExtensionType as X,
  cipherSuites,
  extensionTypes,
  isGrease,
  namedGroups,
  protocolVersions,
  signatureSchemes,
} from '../../wire/registry';
import type { ClientHello } from '../../wire/handshake';
import { type Direction, VERSION_CODE } from '../../wire/vocabulary';
import { bodyOf, exts, hasExt, notOpened } from '../context';
import { abbreviated, hex4 } from '../flow';
import { answered, extName, isOutcome, readNote, serverExtensions, supportedVersions } from '../hellos';
import { encryptedExtensions } from '../needs';
import { because, definition, definitionIn } from '../alert-choices';
import { type Given, type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

/** Code points of a ClientHello no registry names (GREASE included), as `suite 0x0a0a`. */
function unknownValues(ch: ClientHello): string[] {
  const out: string[] = [];
  const unknown = (v: number, known: { has(v: number): boolean }) => isGrease(v) || !known.has(v);
  for (const s of ch.cipherSuites)
    if (unknown(s, cipherSuites) && s !== SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV && s !== SCSV.TLS_FALLBACK_SCSV)
      out.push(`suite ${hex4(s)}`);
  for (const e of ch.extensions ?? []) if (unknown(e.type, extensionTypes)) out.push(`extension ${hex4(e.type)}`);
  for (const g of extensionBody(ch.extensions, X.supported_groups, 'supported_groups')?.groups ?? [])
    if (unknown(g, namedGroups)) out.push(`group ${hex4(g)}`);
  for (const v of extensionBody(ch.extensions, X.supported_versions, 'supported_versions_client')?.versions ?? [])
    if (unknown(v, protocolVersions)) out.push(`version ${hex4(v)}`);
  for (const s of extensionBody(ch.extensions, X.signature_algorithms, 'signature_algorithms')?.schemes ?? [])
    if (unknown(s, signatureSchemes)) out.push(`scheme ${hex4(s)}`);
  return out;
}

/**
 * Whether the receiver of the message at `at` went on (it ignored the
 * unknown values), or answered it with a decoding alert although the
 * first phase found nothing else wrong with that sender's messages.
 */
function receiverIgnored(ctx: Given<['violations']>, at: number, dir: Direction, what: string): Outcome {
  const receiver = dir === 'C->S' ? 'server' : 'client';
  const next = ctx.t.messages.find((m) => m.index > at && m.dir !== dir);
  if (!next) return inconclusive(`The transcript ends before the ${receiver} answered ${what}.`, { message: at });
  if (next.kind !== 'alert')
    return pass(`The ${receiver} ignored ${what} and went on with ${next.type}.`, { message: next.index });
  const senderBroke = ctx.violations.some((v) => v.message !== undefined && ctx.t.messages[v.message]?.dir === dir);
  const rejects = next.alert && [47, 50, 110].includes(next.alert.description);
  return rejects && !senderBroke
    ? violation(`The ${receiver} rejected ${what} (alert ${next.alert!.description}) instead of ignoring it.`, {
        message: next.index,
        expected: 'the unknown values ignored',
        actual: `alert ${next.alert!.description}`,
      })
    : inconclusive(
        `The ${receiver} answered ${what} with an alert; the transcript cannot show that the unknown values caused it.`,
        {
          message: next.index,
        },
      );
}

const rule = declarer({
  versions: ['1.2', '1.3'],
  role: 'server',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'negotiation',
});

export const extensionRules = [
  rule({
    id: 'ext.only-if-offered',
    title: 'Response extensions answer extensions the peer sent.',
    rfc: ['RFC 5246 §7.4.1.4', 'RFC 5746 §3.6', 'RFC 8446 §4.2', 'RFC 8446 §4.4.2'],
    versions: ['1.2', '1.3'],
    role: 'both',
    alerts: [
      because(
        'unsupported_extension',
        'RFC 8446 §4.2',
        'Implementations MUST NOT send extension responses if the remote endpoint did not send the corresponding extension requests, with the exception of the "cookie" extension in the HelloRetryRequest. Upon receiving such an extension, an endpoint MUST abort the handshake with an "unsupported_extension" alert.',
        ['1.3'],
      ),
      definitionIn('unsupported_extension', ['1.2']),
    ],
    needs: ['hellos'],
    check(ctx) {
      const ch = answered(ctx)!;
      const offered = new Set(exts(ch).map((e) => e.type));
      const scsv = ch.b.cipherSuites.includes(SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
      const check = (list: Extension[], m: TranscriptMessage, what: string, extra: number[] = []): Outcome => {
        const bad = list.find((e) => !offered.has(e.type) && !extra.includes(e.type));
        return bad
          ? violation(`${what} carries ${extName(bad.type)}, which the client did not send.`, {
              message: m.index,
              expected: 'only offered extensions',
              actual: extName(bad.type),
            })
          : pass(`${what} extensions were all offered.`, { message: m.index });
      };
      const out: Outcome[] = [
        check(exts(ctx.sh), ctx.sh.m, 'ServerHello', ctx.version === '1.2' && scsv ? [X.renegotiation_info] : []),
      ];
      if (ctx.hrr && ctx.ch) out.push(check(exts(ctx.hrr), ctx.hrr.m, 'HelloRetryRequest', [X.cookie]));
      if (ctx.version === '1.3') {
        const ee = encryptedExtensions(ctx);
        if (ee) out.push(check(ee.exts, ee.m, 'EncryptedExtensions'));
        else if (!ctx.evidence.keys) out.push(inconclusive(`EncryptedExtensions is encrypted and ${notOpened(ctx)}.`));
        for (const s of ctx.steps) {
          const b = bodyOf(s.m);
          if (s.dir === 'S->C' && b?.type === 'certificate' && b.form === 'tls13')
            for (const e of b.entries) out.push(check(e.extensions, s.m, 'Server CertificateEntry'));
        }
      }
      return out;
    },
  }),
  rule({
    id: 'ext.no-duplicates',
    title: 'No extension type appears twice in one block.',
    rfc: 'RFC 5246 §7.4.1.4; RFC 8446 §4.2',
    versions: ['1.2', '1.3'],
    role: 'both',
    // RFC 5246 §7.4.1.4 / RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type in a given
    // extension block." Neither names the alert: a block with a repeated type conforms to the vector syntax but is
    // inconsistent (illegal_parameter, RFC 8446 §6.2: "errors which conform to the formal protocol syntax but are
    // otherwise incorrect"); a receiver that reads the MUST NOT as part of the block's format answers decode_error.
    alerts: ['illegal_parameter', 'decode_error'],
    overrides: {
      alerts:
        'RFC 5246 §7.4.1.4 and RFC 8446 §4.2 name no alert; the RFC 8446 §6.2 definitions of illegal_parameter and decode_error both cover a repeated extension (the checklist leaves it blank)',
    },
    check(ctx) {
      const bad = ctx.t.messages.find((m) => m.findings?.some((f) => f.code === 'duplicate-extension'));
      if (bad)
        return violation(`${bad.type}: ${bad.findings!.find((f) => f.code === 'duplicate-extension')!.detail}.`, {
          message: bad.index,
          expected: 'each extension once',
          actual: 'duplicate',
        });
      const n = ctx.t.messages.filter((m) => m.decoded).length;
      if (!n) return inconclusive('No message has bytes to check.');
      return pass(`No duplicate extension in ${n} decoded message(s)${readNote(ctx)}.`);
    },
  }),
  rule({
    id: 'ext.block-well-formed',
    title: 'A ClientHello ends after compression methods or after one well-formed extensions block.',
    rfc: 'RFC 5246 §7.4.1.2; RFC 8446 §4.1.2',
    versions: ['1.2', '1.3'],
    alerts: [
      because(
        'decode_error',
        'RFC 8446 §4.1.2',
        'If negotiating a version of TLS prior to 1.3, a server MUST check that the message either contains no data after legacy_compression_methods or that it contains a valid extensions block with no data following. If not, then it MUST abort the handshake with a "decode_error" alert.',
        ['1.2'],
      ),
      definitionIn('decode_error', ['1.3']),
    ],
    check(ctx) {
      const chs = ctx.steps.filter((s) => s.sym === 'client_hello' && s.m.raw);
      if (!chs.length) return inconclusive('No ClientHello bytes.');
      for (const s of chs) {
        const f = s.m.findings?.find((x) => x.code !== 'duplicate-extension' && x.code !== 'unexpected-extension');
        if (f)
          return violation(`ClientHello is malformed at ${f.path || 'the top'}: ${f.detail}.`, {
            message: s.m.index,
            expected: 'well-formed extensions block',
            actual: f.code,
          });
      }
      return pass('ClientHello extension blocks are well formed.');
    },
  }),
  rule({
    id: 'ext.grease-not-selected',
    title: 'A GREASE value is never selected.',
    rfc: 'RFC 8701 §3.1, §3.2, §4.1',
    versions: ['1.2', '1.3'],
    role: 'both',
    needs: ['server-hello'],
    check(ctx) {
      const sh = ctx.sh.b;
      const vals: Array<[string, number | undefined]> = [
        ['cipher suite', sh.cipherSuite],
        ['version', extensionBody(sh.extensions, X.supported_versions, 'supported_versions_server')?.version],
        ['key share group', extensionBody(sh.extensions, X.key_share, 'key_share_server')?.share.group],
        ...exts(ctx.sh).map((e): [string, number] => ['extension', e.type]),
      ];
      for (const s of ctx.steps) {
        const b = bodyOf(s.m);
        if (b?.type === 'server_key_exchange' && b.kex === 'ecdhe') vals.push(['named curve', b.namedCurve]);
        if (b?.type === 'server_key_exchange' && b.kex !== 'unparsed' && b.signed)
          vals.push(['signature scheme', b.signed.scheme]);
        if (b?.type === 'certificate_verify') vals.push(['signature scheme', b.scheme]);
      }
      const g = vals.find(([, v]) => v !== undefined && isGrease(v));
      return g
        ? violation(`GREASE ${hex4(g[1]!)} selected as ${g[0]}.`, {
            message: ctx.sh.m.index,
            expected: 'no GREASE value',
            actual: hex4(g[1]!),
          })
        : pass('No GREASE value selected.', { message: ctx.sh.m.index });
    },
  }),
  rule({
    id: 'ext.alpn.format',
    title: 'ALPN lists have no empty names and the server names exactly one protocol.',
    rfc: 'RFC 7301 §3.1',
    versions: ['1.2', '1.3'],
    role: 'both',
    alerts: ['decode_error'],
    check(ctx) {
      const out: Outcome[] = [];
      for (const s of ctx.steps) {
        const f = s.m.findings?.find((x) => x.path.includes('application_layer_protocol_negotiation'));
        if (f) out.push(violation(`Malformed ALPN in ${s.sym}: ${f.detail}.`, { message: s.m.index }));
      }
      const server = ctx.version === '1.3' ? encryptedExtensions(ctx) : ctx.sh ? { m: ctx.sh.m, exts: exts(ctx.sh) } : undefined;
      const a = server
        ? extensionBody(server.exts, X.application_layer_protocol_negotiation, 'application_layer_protocol_negotiation')
        : undefined;
      if (a && server)
        out.push(
          a.protocols.length === 1
            ? pass('The server names one protocol.', { message: server.m.index })
            : violation(`The server names ${a.protocols.length} protocols.`, {
                message: server.m.index,
                expected: '1',
                actual: `${a.protocols.length}`,
              }),
        );
      if (out.length) return out;
      if (ctx.ch && !hasExt(exts(ctx.ch), X.application_layer_protocol_negotiation)) return notApplicable('No ALPN offered.');
      return server
        ? pass('ALPN lists are well formed.')
        : inconclusive(`The server's ALPN answer could not be read${readNote(ctx)}.`);
    },
  }),
  rule({
    id: 'ext.alpn.selected-offered',
    title: 'The server selects an ALPN protocol the client offered.',
    rfc: 'RFC 7301 §3.2',
    versions: ['1.2', '1.3'],
    alerts: ['no_application_protocol'],
    // a server that does not do ALPN (or none of the offered protocols) may leave the extension unanswered: only a
    // server that "supports no protocols that the client advertises" owes no_application_protocol, and the judge
    // cannot see what the server supports
    ignorable: {
      rfc: 'RFC 7301 §3.1',
      text: 'Servers that receive a ClientHello containing the "application_layer_protocol_negotiation" extension MAY return a suitable protocol selection response to the client.',
      receiver: 'server',
    },
    needs: ['client-hello'],
    check(ctx) {
      const offered = extensionBody(
        answered(ctx)!.b.extensions,
        X.application_layer_protocol_negotiation,
        'application_layer_protocol_negotiation',
      );
      const server = serverExtensions(ctx);
      if (isOutcome(server)) return offered ? server : notApplicable('No ALPN offered.');
      const sel = extensionBody(server.exts, X.application_layer_protocol_negotiation, 'application_layer_protocol_negotiation');
      if (!sel) return offered ? pass('ALPN offered, none selected.') : notApplicable('No ALPN.');
      if (!offered) return violation('ALPN selected without an offer.', { message: server.m.index });
      const bad = sel.protocols.find((p) => !offered.protocols.some((o) => bytesEqual(o, p)));
      return bad
        ? violation(`ALPN protocol "${Buffer.from(bad).toString('latin1')}" was not offered.`, {
            message: server.m.index,
            expected: offered.protocols.map((p) => Buffer.from(p).toString('latin1')).join(','),
            actual: Buffer.from(bad).toString('latin1'),
          })
        : pass('The selected ALPN protocol was offered.', { message: server.m.index });
    },
  }),
  rule({
    id: 'ext.ems.negotiation',
    title: 'extended_master_secret is echoed, empty, exactly when the client sent it.',
    rfc: 'RFC 7627 §5.1, §5.2',
    versions: ['1.2'],
    role: 'both',
    needs: ['hellos'],
    check(ctx) {
      const c = findExtension(ctx.ch.b.extensions, X.extended_master_secret);
      const s = findExtension(ctx.sh.b.extensions, X.extended_master_secret);
      if (c && c.body.kind !== 'empty')
        return violation('The client extended_master_secret is not empty.', { message: ctx.ch.m.index });
      if (s && s.body.kind !== 'empty')
        return violation('The server extended_master_secret is not empty.', { message: ctx.sh.m.index });
      if (s && !c)
        return violation('The server sent extended_master_secret unasked.', {
          message: ctx.sh.m.index,
          expected: 'absent',
          actual: 'present',
        });
      if (c && !s)
        return inconclusive(
          'The client offered EMS and the server did not echo it; that is allowed for a server without EMS support, but EMS is then not used.',
          { message: ctx.sh.m.index },
        );
      return pass(c ? 'EMS offered and echoed.' : 'EMS not used on either side.', { message: ctx.sh.m.index });
    },
  }),
  rule({
    id: 'ext.etm.block-cipher-only',
    title:
      'A server answers encrypt_then_mac only when it selects a block cipher (CBC) suite, never with an AEAD or stream suite.',
    rfc: 'RFC 7366 §3',
    versions: ['1.2'],
    role: 'server',
    // RFC 7366 §3 names no alert and no duty of the client that receives such an answer. A client that refuses it
    // sends illegal_parameter (a ServerHello field "inconsistent with other fields", RFC 5246 §7.2.2); a client that
    // goes on with the AEAD or stream suite, where encrypt-then-MAC does not apply, breaks no sentence: the violation
    // is the server's alone, so going on is conforming too (OpenSSL, GnuTLS, mosquitto and Node clients do).
    alerts: [definitionIn('illegal_parameter', ['1.2'])],
    ignorable: {
      rfc: 'RFC 7366 §3',
      text: 'If a server receives an encrypt-then-MAC request extension from a client and then selects a stream or Authenticated Encryption with Associated Data (AEAD) ciphersuite, it MUST NOT send an encrypt-then-MAC response extension back to the client.',
      receiver: 'client',
    },
    overrides: {
      checklist:
        'not in the checklist: RFC 7366 §3 ("If a server receives an encrypt-then-MAC request extension from a client and then selects a stream or Authenticated Encryption with Associated Data (AEAD) ciphersuite, it MUST NOT send an encrypt-then-MAC response extension back to the client.")',
    },
    needs: ['hellos'],
    check(ctx) {
      if (!findExtension(exts(ctx.sh), X.encrypt_then_mac))
        return notApplicable('The ServerHello does not answer encrypt_then_mac.');
      const info = ctx.suiteInfo;
      if (!info)
        return inconclusive(
          `The selected suite ${hex4(ctx.sh.b.cipherSuite)} is unknown: whether it is a block cipher suite is unknown.`,
        );
      return info.cipher.endsWith('_CBC')
        ? pass(`encrypt_then_mac answered with the block cipher suite ${info.name}.`, { message: ctx.sh.m.index })
        : violation(
            `The server answered encrypt_then_mac although it selected ${info.name}, ${info.mac === 'AEAD' ? 'an AEAD' : 'a stream or null'} suite (RFC 7366 §3).`,
            { message: ctx.sh.m.index, expected: 'no encrypt_then_mac', actual: 'encrypt_then_mac' },
          );
    },
  }),
  rule({
    id: 'ext.empty-extension-data',
    title: 'extended_master_secret and encrypt_then_mac carry empty extension_data, from either side.',
    rfc: ['RFC 7627 §5.1', 'RFC 7366 §2'],
    versions: ['1.2'],
    role: 'both',
    // neither RFC names the alert: a body where the syntax has none is a length out of its specified range (decode_error),
    // which RFC 5246's illegal_parameter ("A field in the handshake was out of range") covers too
    alerts: [definitionIn('decode_error', ['1.2']), definitionIn('illegal_parameter', ['1.2'])],
    overrides: {
      checklist:
        'not in the checklist: RFC 7627 §5.1 ("The "extension_data" field of this extension is empty. Thus, the entire encoding of the extension is 00 17 00 00 (in hexadecimal.)") and RFC 7366 §2 ("The "extension_data" field of this extension SHALL be empty.")',
    },
    needs: ['client-hello'],
    check(ctx) {
      const hellos = [
        { who: 'client', m: ctx.ch.m, e: exts(ctx.ch) },
        ...(ctx.sh ? [{ who: 'server', m: ctx.sh.m, e: exts(ctx.sh) }] : []),
      ];
      for (const h of hellos)
        for (const t of [X.extended_master_secret, X.encrypt_then_mac]) {
          const e = findExtension(h.e, t);
          if (e && e.body.kind !== 'empty')
            return violation(`The ${h.who} sent ${extName(t)} with extension_data, which is empty by definition.`, {
              message: h.m.index,
              expected: 'empty extension_data',
              actual: e.body.kind === 'opaque' ? `${e.body.data.length} byte(s)` : e.body.kind,
            });
        }
      const any = hellos.some((h) => findExtension(h.e, X.extended_master_secret) || findExtension(h.e, X.encrypt_then_mac));
      return any
        ? pass('extended_master_secret and encrypt_then_mac are empty where sent.', { message: ctx.ch.m.index })
        : notApplicable('Neither hello carries extended_master_secret or encrypt_then_mac.');
    },
  }),
  rule({
    id: 'ext.reneg.initial',
    title: 'The initial handshake signals secure renegotiation with an empty value.',
    rfc: 'RFC 5746 §3.4, §3.6',
    versions: ['1.2'],
    role: 'both',
    alerts: ['handshake_failure'],
    needs: ['hellos'],
    check(ctx) {
      if (ctx.previous)
        return notApplicable('A renegotiation (see ext.reneg.secure and ext.reneg.legacy), not the initial handshake.');
      // RFC 5746 §1 / §3: the extension secures renegotiation in TLS 1.2 and earlier; a ClientHello whose
      // supported_versions offers nothing below TLS 1.3 (RFC 8446 §4.2.1) starts no such handshake.
      const offered = supportedVersions(ctx.ch.b)?.filter((v) => !isGrease(v));
      if (offered && !offered.some((v) => v <= VERSION_CODE['1.2']))
        return notApplicable(
          `The ClientHello offers only ${offered.map(hex4).join(', ')} (supported_versions): RFC 5746 concerns TLS 1.2 and earlier handshakes.`,
          { message: ctx.ch.m.index },
        );
      const scsv = ctx.ch.b.cipherSuites.includes(SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
      const c = extensionBody(ctx.ch.b.extensions, X.renegotiation_info, 'renegotiation_info');
      const s = extensionBody(ctx.sh.b.extensions, X.renegotiation_info, 'renegotiation_info');
      if (c?.renegotiatedConnection.length)
        return violation('Non-empty renegotiation_info in an initial ClientHello.', {
          message: ctx.ch.m.index,
          expected: 'empty',
          actual: `${c.renegotiatedConnection.length} bytes`,
        });
      if (!c && !scsv)
        return violation('The initial ClientHello has neither the SCSV nor renegotiation_info.', {
          message: ctx.ch.m.index,
          expected: 'SCSV or empty renegotiation_info',
          actual: 'none',
        });
      if (!s)
        return violation('The ServerHello does not return renegotiation_info.', {
          message: ctx.sh.m.index,
          expected: 'empty renegotiation_info',
          actual: 'absent',
        });
      if (s.renegotiatedConnection.length)
        return violation('Non-empty renegotiation_info in the initial ServerHello.', { message: ctx.sh.m.index });
      return pass('Secure renegotiation signalled on both sides.', { message: ctx.sh.m.index });
    },
  }),
  rule({
    id: 'ext.status-request',
    title: 'OCSP status is returned only when requested.',
    rfc: 'RFC 6066 §8; RFC 8446 §4.4.2.1',
    versions: ['1.2', '1.3'],
    role: 'both',
    alerts: ['bad_certificate_status_response'],
    needs: ['hellos'],
    check(ctx) {
      const asked = hasExt(exts(answered(ctx)), X.status_request);
      const cs = ctx.steps.find((s) => s.sym === 'certificate_status');
      if (ctx.version === '1.2') {
        const shs = hasExt(exts(ctx.sh), X.status_request);
        if (shs && !asked) return violation('ServerHello status_request without a client request.', { message: ctx.sh.m.index });
        if (cs && !shs) return violation('CertificateStatus without status_request in ServerHello.', { message: cs.m.index });
        return pass(cs ? 'Stapled status was requested.' : 'No unrequested status.');
      }
      for (const s of ctx.steps) {
        const b = bodyOf(s.m);
        if (
          s.dir === 'S->C' &&
          b?.type === 'certificate' &&
          b.form === 'tls13' &&
          b.entries.some((e) => hasExt(e.extensions, X.status_request)) &&
          !asked
        )
          return violation('A CertificateEntry carries OCSP status the client did not request.', { message: s.m.index });
      }
      return ctx.evidence.keys
        ? pass('No unrequested OCSP status.')
        : inconclusive(`The TLS 1.3 Certificate is encrypted and ${notOpened(ctx)}.`);
    },
  }),
  rule({
    id: 'ext.sni.format',
    title: 'server_name has one name per type; a host_name is an ASCII DNS name without trailing dot, not an IP literal.',
    rfc: 'RFC 6066 §3',
    versions: ['1.2', '1.3'],
    role: 'client',
    // RFC 6066 §3 names no alert for a list that breaks it ("The ServerNameList MUST NOT contain more than one name of
    // the same name_type"; a host_name is "represented as a byte string using ASCII encoding without a trailing
    // dot"): the syntax is kept and a field is wrong, which is illegal_parameter by definition (RFC 8446 §6.2: "errors
    // which conform to the formal protocol syntax but are otherwise incorrect"; RFC 5246 §7.2.2 names decode_error's
    // "out of the specified range" too). A name that is not a host name is also one the server does not recognise
    // (ext.sni.unrecognized, which a mutation names in reactionRules)
    alerts: [definition('illegal_parameter', ['1.2', '1.3']), definitionIn('decode_error', ['1.2'])],
    overrides: {
      alerts:
        'RFC 6066 §3 names no alert for a malformed ServerNameList; illegal_parameter (RFC 8446 §6.2, RFC 5246 §7.2.2) and, in TLS 1.2, decode_error (RFC 5246 §7.2.2: "some field was out of the specified range") by definition',
    },
    // the server has no duty to refuse: it "MAY use the information contained in the extension"
    ignorable: {
      rfc: 'RFC 6066 §3',
      text: 'A server that receives a client hello containing the "server_name" extension MAY use the information contained in the extension to guide its selection of an appropriate certificate to return to the client, and/or other aspects of security policy.',
      receiver: 'server',
    },
    needs: ['client-hello'],
    check(ctx) {
      const sni = extensionBody(ctx.ch.b.extensions, X.server_name, 'server_name');
      if (!sni) return notApplicable('No server_name.');
      const types = sni.names.map((n) => n.nameType);
      if (new Set(types).size !== types.length) return violation('Two names of one name_type.', { message: ctx.ch.m.index });
      for (const n of sni.names.filter((x) => x.nameType === 0)) {
        const s = Buffer.from(n.name).toString('latin1');
        if (/[^\x21-\x7e]/.test(s) || s.endsWith('.'))
          return violation(`host_name "${s}" is not an ASCII DNS name without trailing dot.`, { message: ctx.ch.m.index });
        if (/^\d+\.\d+\.\d+\.\d+$/.test(s) || s.includes(':'))
          return violation(`host_name "${s}" is an IP literal.`, { message: ctx.ch.m.index });
      }
      return pass('server_name is well formed.', { message: ctx.ch.m.index });
    },
  }),
  rule({
    id: 'ext.sni.server-ack',
    title:
      'The server acknowledges SNI with an empty server_name (ServerHello in 1.2, never on resumption; EncryptedExtensions in 1.3).',
    rfc: 'RFC 6066 §3; RFC 8446 §4.2',
    versions: ['1.2', '1.3'],
    needs: ['hellos'],
    check(ctx) {
      if (ctx.version === '1.2') {
        const s = findExtension(ctx.sh.b.extensions, X.server_name);
        if (!s) return pass('No server_name acknowledgement.', { message: ctx.sh.m.index });
        if (s.body.kind !== 'empty') return violation('The ServerHello server_name is not empty.', { message: ctx.sh.m.index });
        if (abbreviated(ctx) === true)
          return violation('server_name acknowledged in a resumed handshake.', { message: ctx.sh.m.index });
        return pass('Empty server_name acknowledgement.', { message: ctx.sh.m.index });
      }
      if (hasExt(exts(ctx.sh), X.server_name))
        return violation('server_name in a TLS 1.3 ServerHello.', { message: ctx.sh.m.index });
      const ee = serverExtensions(ctx);
      if (isOutcome(ee)) return ee;
      const s = findExtension(ee.exts, X.server_name);
      return s && s.body.kind !== 'empty'
        ? violation('The EncryptedExtensions server_name is not empty.', { message: ee.m.index })
        : pass('server_name acknowledgement is well formed.', { message: ee.m.index });
    },
  }),
  rule({
    id: 'ext.mfl.values',
    title: 'max_fragment_length is 1..4 and the server echoes the requested value.',
    rfc: 'RFC 6066 §4',
    versions: ['1.2', '1.3'],
    role: 'both',
    alerts: ['illegal_parameter'],
    needs: ['client-hello'],
    check(ctx) {
      const c = extensionBody(answered(ctx)!.b.extensions, X.max_fragment_length, 'max_fragment_length');
      if (!c) return notApplicable('No max_fragment_length requested.');
      if (c.value < 1 || c.value > 4)
        return violation(`Requested max_fragment_length ${c.value}.`, {
          message: ctx.ch.m.index,
          expected: '1..4',
          actual: `${c.value}`,
        });
      const server = serverExtensions(ctx);
      if (isOutcome(server)) return server;
      const s = extensionBody(server.exts, X.max_fragment_length, 'max_fragment_length');
      if (!s) return pass('max_fragment_length requested, not negotiated.');
      return s.value === c.value
        ? pass('max_fragment_length echoed.', { message: server.m.index })
        : violation('max_fragment_length echo differs.', {
            message: server.m.index,
            expected: `${c.value}`,
            actual: `${s.value}`,
          });
    },
  }),

  rule({
    id: 'ext.rsl.value',
    title: "record_size_limit values are at least 64, and the server's at most the negotiated version's record size.",
    rfc: 'RFC 8449 §4',
    versions: ['1.2', '1.3'],
    role: 'both',
    overrides: {
      checklist:
        'the reference checklist has no record_size_limit rules; RFC 8449 §4: "Endpoints MUST NOT send a "record_size_limit" extension with a value smaller than 64", "an endpoint MUST NOT send a value higher than the protocol-defined maximum record size"',
    },
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8449 §4',
        'Endpoints MUST NOT send a "record_size_limit" extension with a value smaller than 64. An endpoint MUST treat receipt of a smaller value as a fatal error and generate an "illegal_parameter" alert.',
      ),
    ],
    needs: ['client-hello'],
    check(ctx) {
      const c = extensionBody(answered(ctx)!.b.extensions, X.record_size_limit, 'record_size_limit');
      if (!c) return notApplicable('No record_size_limit offered.');
      if (c.limit < 64)
        return violation(`The client's record_size_limit is ${c.limit}, below 64.`, {
          message: answered(ctx)!.m.index,
          expected: '>= 64',
          actual: `${c.limit}`,
        });
      const server = serverExtensions(ctx);
      if (isOutcome(server)) return server;
      const s = extensionBody(server.exts, X.record_size_limit, 'record_size_limit');
      if (!s) return pass(`record_size_limit ${c.limit} offered, not answered.`);
      // "an endpoint MUST NOT send a value higher than the protocol-defined maximum record size unless explicitly
      // allowed by such a future version or extension": 2^14 for TLS 1.2, 2^14+1 for TLS 1.3 (the server knows the
      // version; the client may not, and "A server MUST NOT enforce this restriction" on it)
      const max = ctx.version === '1.3' ? (1 << 14) + 1 : 1 << 14;
      if (s.limit < 64 || s.limit > max)
        return violation(`The server's record_size_limit is ${s.limit}, outside 64..${max}.`, {
          message: server.m.index,
          expected: `64..${max}`,
          actual: `${s.limit}`,
        });
      return pass(`record_size_limit ${c.limit} (client) and ${s.limit} (server).`, { message: server.m.index });
    },
  }),
  rule({
    id: 'ext.rsl.not-with-mfl',
    title: 'A server that answers record_size_limit does not also answer max_fragment_length.',
    rfc: 'RFC 8449 §5',
    versions: ['1.2', '1.3'],
    role: 'server',
    overrides: {
      checklist:
        'the reference checklist has no record_size_limit rules; RFC 8449 §5: "A server that supports the "record_size_limit" extension MUST ignore a "max_fragment_length" that appears in a ClientHello if both extensions appear"',
    },
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8449 §5',
        'A client MUST treat receipt of both "max_fragment_length" and "record_size_limit" as a fatal error, and it SHOULD generate an "illegal_parameter" alert.',
      ),
    ],
    needs: ['client-hello'],
    check(ctx) {
      const offered = answered(ctx)!.b.extensions;
      if (!hasExt(offered, X.record_size_limit) || !hasExt(offered, X.max_fragment_length))
        return notApplicable('The client did not offer both record_size_limit and max_fragment_length.');
      const server = serverExtensions(ctx);
      if (isOutcome(server)) return server;
      const both = hasExt(server.exts, X.record_size_limit) && hasExt(server.exts, X.max_fragment_length);
      // "A server that supports the "record_size_limit" extension MUST ignore a "max_fragment_length" that appears in
      // a ClientHello if both extensions appear."
      return both
        ? violation('The server answered both record_size_limit and max_fragment_length.', { message: server.m.index })
        : pass('The server answered at most one of record_size_limit and max_fragment_length.', { message: server.m.index });
    },
  }),

  rule({
    id: 'ext.ignore-unknown',
    title:
      'Servers ignore unknown suites, extensions, groups, schemes and versions in ClientHello (GREASE included); TLS 1.3 clients ignore unknown CertificateRequest and NewSessionTicket extensions.',
    rfc: ['RFC 5246 §7.4.1.2', 'RFC 8446 §4.1.2', 'RFC 8446 §9.3', 'RFC 8701 §3.2', 'RFC 8701 §4.2'],
    role: 'both',
    evidence: 'live',
    ignorable: {
      rfc: 'RFC 8446 §9.3',
      text: 'A server receiving a ClientHello MUST correctly ignore all unrecognized cipher suites, extensions, and other parameters.',
    },
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    needs: ['client-hello', 'violations'],
    check(ctx) {
      const out: Outcome[] = [];
      const chs = [ctx.ch, ctx.ch2].filter((h) => h !== undefined);
      for (const ch of chs) {
        const unknown = unknownValues(ch.b);
        if (!unknown.length) continue;
        out.push(receiverIgnored(ctx, ch.m.index, 'C->S', `the ClientHello's ${unknown.slice(0, 3).join(', ')}`));
      }
      for (const s of ctx.steps) {
        const b = bodyOf(s.m);
        const list =
          (b?.type === 'certificate_request' || b?.type === 'new_session_ticket') && b.form === 'tls13' ? b.extensions : [];
        const unknown = list.filter((e) => isGrease(e.type) || !extensionTypes.has(e.type)).map((e) => hex4(e.type));
        if (unknown.length)
          out.push(
            receiverIgnored(ctx, s.m.index, 'S->C', `the ${s.sym}'s unknown extension(s) ${unknown.slice(0, 3).join(', ')}`),
          );
      }
      return out.length ? out : notApplicable('No value unknown to the registries (GREASE or unassigned) was sent.');
    },
  }),
  rule({
    id: 'ext.sni.unrecognized',
    title: 'A server that does not recognise the SNI name continues, or aborts with a fatal (never a warning) unrecognized_name.',
    rfc: 'RFC 6066 §3',
    strength: 'SHOULD',
    evidence: 'live',
    alerts: ['unrecognized_name'],
    ignorable: {
      rfc: 'RFC 6066 §3',
      text: 'If the server understood the ClientHello extension but does not recognize the server name, the server SHOULD take one of two actions: either abort the handshake by sending a fatal-level unrecognized_name(112) alert or continue the handshake.',
      receiver: 'server',
    },
    live: { scope: { kind: 'declared' }, expects: 'either', judges: 'outcome' },
    needs: ['client-hello'],
    check(ctx) {
      if (!hasExt(exts(ctx.ch), X.server_name)) return notApplicable('No server_name in the ClientHello.');
      const un = ctx.t.messages.find((m) => m.dir === 'S->C' && m.alert?.description === 112);
      if (!un) return notApplicable('The server sent no unrecognized_name alert.');
      return un.alert!.level === 2
        ? pass('The server refused the name with a fatal unrecognized_name.', { message: un.index })
        : violation('The server sent unrecognized_name as a warning, which RFC 6066 §3 does not recommend.', {
            message: un.index,
            expected: 'fatal unrecognized_name, or continue',
            actual: 'warning unrecognized_name',
          });
    },
  }),
];
