/**
 * TLS 1.2 renegotiation (RFC 5746, RFC 8446 §4.1.2/§4.1.3): the hellos of a
 * renegotiation against the handshake before it. The evaluator judges each
 * handshake of a connection on its own (oracles/handshakes.ts); these rules
 * read the renegotiating hellos (protected under the previous handshake's
 * keys, so a key log is needed) and the previous handshake's Finished
 * (client_verify_data, server_verify_data, RFC 5746 §3.1).
 *
 * Which section applies follows RFC 5746's secure_renegotiation flag as
 * each side sets it in the initial handshake: the client's is TRUE when the
 * initial ServerHello carried renegotiation_info (§3.4), the server's when
 * the initial ClientHello carried it or the SCSV (§3.6). A conforming
 * initial handshake sets both alike (ext.reneg.initial).
 */
import type { TranscriptMessage } from '../../transcript/model';
import { extensionBody } from '../../wire/extensions';
import type { ClientHello, ServerHello } from '../../wire/handshake';
import { bytesEqual, concatBytes } from '../../wire/hex';
import { AlertDescription, AlertLevel, SCSV, ExtensionType as X, cipherSuites } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import { because, definitionIn } from '../alert-choices';
import { selectedVersion } from '../../transcript/build';
import { type Context, type Hello, isUnreadableStep } from '../context';
import { hex4 } from '../flow';
import { NEEDS } from '../needs';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.2'],
  role: 'both',
  strength: 'MUST',
  evidence: 'keys',
  group: 'negotiation',
});

/**
 * RFC 5746 §3.5, §3.7, §4.2 and §4.4 say "MUST abort the handshake" and name no alert; handshake_failure is the alert
 * §3.4 and §3.6 name for the same extension.
 */
const HANDSHAKE_FAILURE_5746 = because(
  'handshake_failure',
  'RFC 5746 §3.4, §3.6',
  'MUST abort the handshake (by sending a fatal handshake_failure alert).',
);

/**
 * A peer that does not renegotiate may decline a renegotiation, valid or not, and go on with the connection: what each
 * side's decline rests on. The live renegotiation families (fuzz/) take a decline as a refusal of the new handshake
 * (conforming both for a valid renegotiation and for one that breaks ext.reneg.secure, which the peer then did not go
 * on with); a fatal alert to a valid renegotiation is no decline (the connection does not go on).
 * - server (our client renegotiates): RFC 5246 §7.2.2, the warning no_renegotiation;
 * - client (our server sends a HelloRequest): RFC 5246 §7.4.1.1, the warning or no answer at all; RFC 5746 §4.2
 *   requires the warning from a client that refuses a renegotiation of a connection without secure renegotiation.
 */
export const RENEGOTIATION_DECLINE = {
  server: because(
    'no_renegotiation',
    'RFC 5246 §7.2.2',
    'no_renegotiation: Sent by the client in response to a hello request or by the server in response to a client hello after initial handshaking. Either of these would normally lead to renegotiation; when that is not appropriate, the recipient should respond with this alert. [...] This message is always a warning.',
  ),
  client: because(
    'no_renegotiation',
    'RFC 5246 §7.4.1.1',
    'This message MAY be ignored by the client if it does not wish to renegotiate a session, or the client may, if it wishes, respond with a no_renegotiation alert.',
  ),
} as const;

/** The connection's first handshake. */
function initialOf(ctx: Context): Context {
  let c = ctx;
  while (c.previous) c = c.previous;
  return c;
}

const riOf = (h: Hello<ClientHello | ServerHello> | undefined) =>
  extensionBody(h?.b.extensions, X.renegotiation_info, 'renegotiation_info')?.renegotiatedConnection;
const scsvIn = (ch: ClientHello) => ch.cipherSuites.includes(SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);

/** Each side's RFC 5746 secure_renegotiation flag as the initial handshake set it; undefined when its hellos are not read. */
function flags(ctx: Context): { client: boolean; server: boolean } | undefined {
  const init = initialOf(ctx);
  if (!init.ch || !init.sh) return undefined;
  return { client: riOf(init.sh) !== undefined, server: riOf(init.ch) !== undefined || scsvIn(init.ch.b) };
}

/** The verify_data of the previous handshake's Finished (RFC 5746 §3.1), or why they cannot be read. */
function savedVerifyData(prev: Context): { client: Uint8Array; server: Uint8Array } | Outcome {
  const fin = (dir: 'C->S' | 'S->C') =>
    prev.steps.filter((s) => s.dir === dir && (s.sym === 'finished' || isUnreadableStep(s))).at(-1);
  const c = fin('C->S');
  const s = fin('S->C');
  if (!c || !s) return inconclusive('The handshake before the renegotiation has no Finished in each direction.');
  if (isUnreadableStep(c) || isUnreadableStep(s) || !c.m.raw || !s.m.raw)
    return inconclusive('The Finished messages of the handshake before are encrypted and no key log was given.');
  return { client: c.m.raw.subarray(4), server: s.m.raw.subarray(4) };
}

/** The renegotiating hellos, or why they cannot be judged. */
function hellos(ctx: Context): { ch: Hello<ClientHello>; sh?: Hello<ServerHello> } | Outcome {
  if (!ctx.ch) {
    const u = ctx.steps.find(isUnreadableStep);
    return inconclusive(
      u
        ? 'The renegotiating ClientHello is protected under the previous keys and no key log was given.'
        : 'The renegotiating ClientHello is not decoded.',
      u ? { message: u.m.index } : {},
    );
  }
  return ctx.sh ? { ch: ctx.ch, sh: ctx.sh } : { ch: ctx.ch };
}

/** Whether the sender of `after`'s direction went on with the handshake after message `m` (sent a handshake message). */
function wentOn(ctx: Context, m: TranscriptMessage, dir: 'C->S' | 'S->C'): TranscriptMessage | undefined {
  return ctx.steps.find((s) => s.dir === dir && s.m.index > m.index && s.sym !== 'change_cipher_spec')?.m;
}

const hexShort = (b: Uint8Array) => `${b.length} bytes`;

/** A TLS 1.2 block-cipher suite (GenericBlockCipher: where RFC 7366 encrypt-then-MAC applies); unknown codes are not. */
const isCbcSuite = (code: number) => cipherSuites.get(code)?.cipher.endsWith('_CBC') === true;
const etmIn = (h: Hello<ClientHello | ServerHello>) => h.b.extensions?.some((e) => e.type === X.encrypt_then_mac) === true;

/**
 * RFC 7366 §3.1: whether a handshake before `ctx` on the connection negotiated encrypt-then-MAC (a CBC suite with
 * encrypt_then_mac in the ServerHello), or why it is unknown. The state outlives handshakes with AEAD suites: "if a
 * session were in the encrypt-then-MAC state and a rehandshake selected a GenericAEADCiphers ciphersuite and a
 * subsequent rehandshake then selected a MAC-then-encrypt ciphersuite, this would be an error".
 */
function etmBefore(ctx: Context): boolean | Outcome {
  for (let c = ctx.previous; c; c = c.previous) {
    if (!c.sh) return inconclusive('A ServerHello of a handshake before the renegotiation is not decoded.');
    if (isCbcSuite(c.sh.b.cipherSuite) && etmIn(c.sh)) return true;
  }
  return false;
}

export const renegotiationRules = [
  rule({
    id: 'ext.reneg.secure',
    title:
      'A secure renegotiation binds to the connection: the ClientHello carries the previous client verify_data and no SCSV, the ServerHello client verify_data || server verify_data.',
    rfc: 'RFC 5746 §3.5, §3.7',
    overrides: {
      alerts:
        'RFC 5746 §3.5 and §3.7 say "MUST abort the handshake" and name no alert: handshake_failure, the alert §3.4 / §3.6 name for the same extension, or illegal_parameter, whose RFC 5246 §7.2.2 definition fits a renegotiated_connection field inconsistent with the saved verify_data (OpenSSL clients send it)',
    },
    alerts: [HANDSHAKE_FAILURE_5746, definitionIn('illegal_parameter', ['1.2'])],
    needs: ['renegotiation'],
    check(ctx): Outcome[] {
      const f = flags(ctx);
      if (!f)
        return [inconclusive("The initial handshake's hellos are not decoded: the secure_renegotiation flags are unknown.")];
      if (!f.client && !f.server)
        return [notApplicable('The initial handshake did not establish secure renegotiation (see ext.reneg.legacy).')];
      const h = hellos(ctx);
      if ('status' in h) return [h];
      const saved = savedVerifyData(ctx.previous!);
      if ('status' in saved) return [saved];
      const out: Outcome[] = [];
      // RFC 5746 §3.5: "The client MUST include the "renegotiation_info" extension in the ClientHello, containing the
      // saved client_verify_data. The SCSV MUST NOT be included."
      if (f.client) {
        const ri = riOf(h.ch);
        if (ri === undefined)
          out.push(
            violation('The client renegotiates without renegotiation_info although secure renegotiation was established.', {
              message: h.ch.m.index,
              expected: `renegotiation_info = client_verify_data (${hexShort(saved.client)})`,
              actual: 'absent',
            }),
          );
        else if (!bytesEqual(ri, saved.client))
          out.push(
            violation("The renegotiating ClientHello's renegotiation_info is not the previous client verify_data.", {
              message: h.ch.m.index,
              expected: `client_verify_data (${hexShort(saved.client)})`,
              actual: hexShort(ri),
            }),
          );
        else if (scsvIn(h.ch.b))
          out.push(
            violation('The renegotiating ClientHello carries TLS_EMPTY_RENEGOTIATION_INFO_SCSV.', {
              message: h.ch.m.index,
              expected: 'no SCSV',
              actual: 'SCSV',
            }),
          );
        else
          out.push(
            pass('The renegotiating ClientHello carries the previous client verify_data and no SCSV.', { message: h.ch.m.index }),
          );
      }
      if (!h.sh) {
        out.push(notApplicable('No ServerHello answers the renegotiating ClientHello.'));
        return out;
      }
      // RFC 5746 §3.7: "The server MUST verify that the value of the "renegotiated_connection" field is equal to the
      // saved client_verify_data value; if it is not, the server MUST abort the handshake." (also the SCSV and a
      // missing extension). "The server MUST include a "renegotiation_info" extension containing the saved
      // client_verify_data and server_verify_data in the ServerHello."
      if (f.server) {
        const ri = riOf(h.ch);
        const chBad = ri === undefined || !bytesEqual(ri, saved.client) || scsvIn(h.ch.b);
        if (chBad)
          out.push(
            violation('The server answers a renegotiating ClientHello it must abort (RFC 5746 §3.7) with a ServerHello.', {
              message: h.sh.m.index,
              expected: 'handshake_failure',
              actual: 'ServerHello',
            }),
          );
        const sri = riOf(h.sh);
        const expected = concatBytes([saved.client, saved.server]);
        if (sri === undefined || !bytesEqual(sri, expected))
          out.push(
            violation(
              "The renegotiating ServerHello's renegotiation_info is not the previous client verify_data || server verify_data.",
              {
                message: h.sh.m.index,
                expected: `client_verify_data || server_verify_data (${hexShort(expected)})`,
                actual: sri === undefined ? 'absent' : hexShort(sri),
              },
            ),
          );
        else if (!chBad)
          out.push(
            pass('The renegotiating ServerHello carries client verify_data || server verify_data.', { message: h.sh.m.index }),
          );
      }
      // RFC 5746 §3.5: "When a ServerHello is received, the client MUST verify that the "renegotiation_info" extension
      // is present ... the first half ... equal to the saved client_verify_data value, and the second half ... equal to
      // the saved server_verify_data value. If they are not, the client MUST abort the handshake."
      if (f.client) {
        const sri = riOf(h.sh);
        const expected = concatBytes([saved.client, saved.server]);
        const next = sri === undefined || !bytesEqual(sri, expected) ? wentOn(ctx, h.sh.m, 'C->S') : undefined;
        if (next)
          out.push(
            violation(
              'The client goes on after a renegotiating ServerHello whose renegotiation_info it must reject (RFC 5746 §3.5).',
              {
                message: next.index,
                expected: 'handshake_failure',
                actual: next.type,
              },
            ),
          );
      }
      return out;
    },
  }),
  rule({
    id: 'ext.reneg.legacy',
    title:
      'Without secure renegotiation: an upgraded client signals it when renegotiating and rejects renegotiation_info from the server; a server rejects either signal from a client that sent none; a refusing client answers HelloRequest with no_renegotiation.',
    rfc: 'RFC 5746 §4.2, §4.4',
    alerts: [HANDSHAKE_FAILURE_5746],
    needs: ['client-hello'],
    check(ctx): Outcome[] {
      const f = flags(ctx);
      if (!f)
        return [inconclusive("The initial handshake's hellos are not decoded: the secure_renegotiation flags are unknown.")];
      if (f.client && f.server)
        return [notApplicable('The initial handshake established secure renegotiation (see ext.reneg.secure).')];
      const out: Outcome[] = [];
      // RFC 5746 §4.2: "It is RECOMMENDED that clients refuse this renegotiation request. Clients that do so MUST respond
      // to such requests with a "no_renegotiation" alert". Judged where the HelloRequest is: the client's next record
      // is its ClientHello (a renegotiation, the next handshake) or that warning.
      const hr = ctx.steps.find((s) => s.sym === 'hello_request' && s.dir === 'S->C');
      if (hr && !f.client) {
        const reply = ctx.t.messages.find(
          (m) => m.dir === 'C->S' && m.index > hr.m.index && (m.kind === 'alert' || m.kind === 'handshake'),
        );
        const renegotiated = reply === undefined && ctx.next !== undefined;
        if (
          reply?.kind === 'alert' &&
          reply.alert?.description === AlertDescription.no_renegotiation &&
          reply.alert.level === AlertLevel.warning
        )
          out.push(pass('The client declines the HelloRequest with the warning no_renegotiation.', { message: reply.index }));
        else if (reply?.kind === 'alert')
          out.push(
            violation(
              'The client answers a HelloRequest on a connection without secure renegotiation with another alert than the warning no_renegotiation.',
              {
                message: reply.index,
                expected: 'warning no_renegotiation',
                actual: reply.alert ? `level ${reply.alert.level} description ${reply.alert.description}` : 'unreadable alert',
              },
            ),
          );
        else if (renegotiated) out.push(pass('The client answers the HelloRequest by renegotiating.', { message: hr.m.index }));
        else if (!reply)
          out.push(
            inconclusive(
              'No answer of the client to the HelloRequest is in the transcript (RFC 5746 §4.2 does not let it ignore one).',
              {
                message: hr.m.index,
              },
            ),
          );
      }
      if (!ctx.previous) {
        if (out.length) return out;
        const n = NEEDS.renegotiation(ctx);
        return [n ?? notApplicable('No renegotiation.')];
      }
      const h = hellos(ctx);
      if ('status' in h) return [...out, h];
      const init = initialOf(ctx);
      const clientSignalled = riOf(init.ch) !== undefined || scsvIn(init.ch!.b);
      const chSignal = riOf(h.ch) !== undefined || scsvIn(h.ch.b);
      if (!f.client && clientSignalled) {
        // RFC 5746 §4.2 (the client's flag is FALSE, the server did not answer): "Clients that choose to renegotiate
        // MUST provide either the TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV or "renegotiation_info" in their ClientHello."
        out.push(
          chSignal
            ? pass('The upgraded client signals RFC 5746 in its legacy renegotiation ClientHello.', { message: h.ch.m.index })
            : violation('The client renegotiates without the SCSV or renegotiation_info (RFC 5746 §4.2).', {
                message: h.ch.m.index,
                expected: 'SCSV or renegotiation_info',
                actual: 'neither',
              }),
        );
      }
      if (!f.server && h.sh && chSignal) {
        // RFC 5746 §4.4: "the server MUST verify that it does not contain the TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV.
        // If the SCSV is present, the server MUST abort the handshake. The server MUST verify that the
        // "renegotiation_info" extension is not present; if it is, the server MUST abort the handshake."
        out.push(
          violation(
            'The server goes on with a legacy renegotiation whose ClientHello carries the SCSV or renegotiation_info (RFC 5746 §4.4).',
            {
              message: h.sh.m.index,
              expected: 'handshake_failure',
              actual: 'ServerHello',
            },
          ),
        );
      }
      if (h.sh) {
        const sri = riOf(h.sh);
        if (sri !== undefined) {
          // RFC 5746 §4.2: "When the ServerHello is received, the client MUST verify that it does not contain the
          // "renegotiation_info" extension. If it does, the client MUST abort the handshake."
          out.push(
            violation('The renegotiating ServerHello carries renegotiation_info although the initial one did not.', {
              message: h.sh.m.index,
              expected: 'no renegotiation_info',
              actual: hexShort(sri),
            }),
          );
          const next = wentOn(ctx, h.sh.m, 'C->S');
          if (next)
            out.push(
              violation('The client goes on after a legacy renegotiation ServerHello with renegotiation_info (RFC 5746 §4.2).', {
                message: next.index,
                expected: 'handshake_failure',
                actual: next.type,
              }),
            );
        } else if (!out.some((o) => o.status === 'violation'))
          out.push(pass('The legacy renegotiation ServerHello carries no renegotiation_info.', { message: h.sh.m.index }));
      }
      return out.length ? out : [notApplicable('No ServerHello answers the renegotiating ClientHello.')];
    },
  }),
  rule({
    id: 'ext.etm.no-downgrade',
    title:
      'A renegotiation of a connection that negotiated encrypt-then-MAC does not end in MAC-then-encrypt: no CBC suite without encrypt_then_mac, neither offered alone nor selected.',
    rfc: 'RFC 7366 §3.1',
    overrides: {
      checklist:
        'not in the checklist: RFC 7366 §3.1 ("As the above table points out, implementations MUST NOT renegotiate a downgrade from encrypt-then-MAC to MAC-then-encrypt.")',
    },
    // RFC 7366 §3.1 says "Error" (Table 1) and names no alert: handshake_failure, whose RFC 5246 §7.2.2 definition
    // ("unable to negotiate an acceptable set of security parameters given the options available") is a refused downgrade
    alerts: [definitionIn('handshake_failure', ['1.2'])],
    needs: ['renegotiation'],
    check(ctx): Outcome[] {
      const before = etmBefore(ctx);
      if (typeof before !== 'boolean') return [before];
      if (!before)
        return [
          notApplicable('No handshake before this renegotiation negotiated encrypt-then-MAC (RFC 7366 §3.1 allows an upgrade).'),
        ];
      const h = hellos(ctx);
      if ('status' in h) return [h];
      const out: Outcome[] = [];
      // RFC 7366 §3.1: "implementations MUST NOT renegotiate a downgrade from encrypt-then-MAC to MAC-then-encrypt". A
      // client whose renegotiating ClientHello offers CBC suites only and no encrypt_then_mac asks for nothing else.
      const offered = h.ch.b.cipherSuites.filter((x) => x !== SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
      if (!etmIn(h.ch) && offered.length > 0 && offered.every(isCbcSuite))
        out.push(
          violation(
            'The client renegotiates a connection that negotiated encrypt-then-MAC offering only CBC suites and no encrypt_then_mac: a downgrade to MAC-then-encrypt (RFC 7366 §3.1).',
            {
              message: h.ch.m.index,
              expected: 'encrypt_then_mac, or a suite without MAC-then-encrypt',
              actual: 'CBC suites only',
            },
          ),
        );
      if (!h.sh) return out.length ? out : [notApplicable('No ServerHello answers the renegotiating ClientHello.')];
      const suite = h.sh.b.cipherSuite;
      if (!isCbcSuite(suite) || etmIn(h.sh)) {
        out.push(
          pass(`The renegotiation keeps encrypt-then-MAC or selects a suite outside MAC-then-encrypt (${hex4(suite)}).`, {
            message: h.sh.m.index,
          }),
        );
        return out;
      }
      out.push(
        violation(
          `The server renegotiates a downgrade from encrypt-then-MAC to MAC-then-encrypt: CBC suite ${hex4(suite)} without encrypt_then_mac (RFC 7366 §3.1).`,
          { message: h.sh.m.index, expected: 'encrypt_then_mac, or handshake_failure', actual: 'MAC-then-encrypt' },
        ),
      );
      const next = wentOn(ctx, h.sh.m, 'C->S');
      if (next)
        out.push(
          violation(
            'The client goes on with a renegotiation that downgrades encrypt-then-MAC to MAC-then-encrypt (RFC 7366 §3.1).',
            {
              message: next.index,
              expected: 'handshake_failure',
              actual: next.type,
            },
          ),
        );
      return out;
    },
  }),
  rule({
    id: 'ver.t13.no-13-in-renegotiation',
    title: 'A renegotiation keeps the TLS 1.2 of the connection; a renegotiating client given TLS 1.3 aborts.',
    rfc: 'RFC 8446 §4.1.2, §4.1.3',
    versions: ['1.2', '1.3'],
    alerts: [
      because(
        'protocol_version',
        'RFC 8446 §4.1.3',
        'A legacy TLS client performing renegotiation with TLS 1.2 or prior and which receives a TLS 1.3 ServerHello during renegotiation MUST abort the handshake with a "protocol_version" alert.',
      ),
    ],
    needs: ['renegotiation'],
    check(ctx): Outcome[] {
      const h = hellos(ctx);
      if ('status' in h) return [h];
      const hrr = ctx.hrr;
      const sh = h.sh ?? hrr;
      if (!sh) return [notApplicable('No ServerHello answers the renegotiating ClientHello.')];
      const v = selectedVersion(sh.b.legacyVersion, sh.b.extensions);
      if (v === VERSION_CODE['1.2'] && !hrr) return [pass('The renegotiation keeps TLS 1.2.', { message: sh.m.index })];
      // RFC 8446 §4.1.2: "If a server established a TLS connection with a previous version of TLS and receives a TLS 1.3
      // ClientHello in a renegotiation, it MUST retain the previous protocol version. In particular, it MUST NOT
      // negotiate TLS 1.3."
      const out: Outcome[] = [
        violation(`The server answers a renegotiation of a TLS 1.2 connection with version ${hex4(v)}.`, {
          message: sh.m.index,
          expected: hex4(VERSION_CODE['1.2']),
          actual: hrr ? 'HelloRetryRequest' : hex4(v),
        }),
      ];
      const next = wentOn(ctx, sh.m, 'C->S');
      if (next && v === VERSION_CODE['1.3'])
        out.push(
          violation('The client goes on after a TLS 1.3 ServerHello in a renegotiation (RFC 8446 §4.1.3).', {
            message: next.index,
            expected: 'protocol_version',
            actual: next.type,
          }),
        );
      return out;
    },
  }),
];
