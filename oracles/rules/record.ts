/**
 * Record layer rules: content types, record versions, sizes, empty
 * fragments, handshake fragmentation boundaries, CCS bodies, unprotected
 * application data and the codec's length findings. Rules about records
 * need a transcript built from records (`needs: ['records']`).
 */
import type { TranscriptRecord } from '../../transcript/model';
import { extensionBody } from '../../wire/extensions';
import { MAX_CIPHERTEXT_12, MAX_CIPHERTEXT_13, MAX_PLAINTEXT } from '../../wire/record';
import { ContentType, ProtocolVersion, ExtensionType as X } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import { bytesEqual } from '../../wire/hex';
import { bodyOf, isUnreadable, unreadableWhy } from '../context';
import { hex4 } from '../flow';
import { NEEDS } from '../needs';
import { because, definitionIn } from '../alert-choices';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

/** The record versions as written in details: TLS 1.2's, TLS 1.0's. */
const T12 = hex4(VERSION_CODE['1.2']);
const T10 = hex4(ProtocolVersion.TLS1_0);

const rule = declarer({ versions: ['1.2', '1.3'], role: 'both', strength: 'MUST', evidence: 'plaintext', group: 'record' });

/** Inner content type and fragment when readable. */
function inner(r: TranscriptRecord): { type: number; fragment: Uint8Array } | undefined {
  if (r.plaintext) return { type: r.plaintext.contentType, fragment: r.plaintext.fragment };
  if (!r.encrypted) return { type: r.contentType, fragment: r.raw.subarray(5) };
  return undefined;
}

export const recordRules = [
  rule({
    id: 'rec.t12.aead-explicit-nonce-unique',
    title: 'With a TLS 1.2 GCM or CCM suite the sender never repeats a record nonce_explicit under one key.',
    rfc: ['RFC 5288 §3', 'RFC 6655 §3'],
    versions: ['1.2'],
    // a sender duty: the receiver cannot see a repeat (it would have to keep every nonce), no alert is named
    overrides: {
      checklist:
        'RFC 5288 §3: "Each value of the nonce_explicit MUST be distinct for each distinct invocation of the GCM encrypt function for any fixed key." RFC 6655 §3 says the same of CCM. The explicit nonce travels in the clear, so the rule needs records but no key log',
    },
    needs: ['records'],
    check(ctx) {
      const info = ctx.suiteInfo;
      if (!info) return inconclusive('The cipher suite is not known.');
      if (!/GCM|CCM/.test(info.cipher))
        return notApplicable(
          `The suite ${info.name} has no explicit record nonce (RFC 5288 §3 and RFC 6655 §3 are GCM's and CCM's).`,
        );
      const out: Outcome[] = [];
      let judged = 0;
      for (const dir of ['C->S', 'S->C'] as const) {
        // each ChangeCipherSpec of a side starts its next key: records are grouped by the key that protected them
        let generation = 0;
        const seen = new Map<string, number>();
        for (const r of ctx.t.records) {
          if (r.dir !== dir) continue;
          // (a renegotiation's ChangeCipherSpec is itself protected under the key it ends)
          if (r.encrypted && r.raw.length >= 5 + 8) {
            const nonce = Buffer.from(r.raw.subarray(5, 13)).toString('hex');
            const key = `${generation}:${nonce}`;
            const first = seen.get(key);
            judged++;
            if (first !== undefined) {
              const m = ctx.t.messages.find((x) => x.records?.includes(r.index));
              out.push(
                violation(
                  `The ${dir === 'C->S' ? 'client' : 'server'} record ${r.index} repeats the nonce_explicit ${nonce} of its record ${first} under the same key.`,
                  { ...(m ? { message: m.index } : {}), expected: 'a distinct nonce_explicit per record', actual: nonce },
                ),
              );
            } else seen.set(key, r.index);
          }
          if (r.contentType === ContentType.change_cipher_spec) generation++;
        }
      }
      if (out.length) return out;
      return judged
        ? pass(`${judged} protected record(s), each with its own nonce_explicit under its key.`)
        : notApplicable('No protected record.');
    },
  }),
  rule({
    id: 'rec.content-type-known',
    title: 'Only the four defined content types are sent.',
    rfc: 'RFC 5246 §6; RFC 8446 §5',
    versions: ['1.2', '1.3'],
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §5',
        'If a TLS implementation receives an unexpected record type, it MUST terminate the connection with an "unexpected_message" alert.',
        ['1.3'],
      ),
      definitionIn('unexpected_message', ['1.2']),
    ],
    check(ctx) {
      const bad =
        ctx.t.records.find((r) => r.contentType < 20 || r.contentType > 23) ??
        ctx.t.records.find((r) => r.plaintext && (r.plaintext.contentType < 20 || r.plaintext.contentType > 23));
      if (bad)
        return violation(`Record ${bad.index} has content type ${bad.plaintext?.contentType ?? bad.contentType}.`, {
          expected: '20..23',
          actual: `${bad.plaintext?.contentType ?? bad.contentType}`,
        });
      const m = ctx.t.messages.find((x) => x.type.startsWith('content_type_'));
      if (m) return violation(`Message ${m.index} has an unknown content type.`, { message: m.index, actual: m.type });
      return ctx.hasRecords
        ? pass(`All ${ctx.t.records.length} records have known content types.`)
        : pass('All messages have known content types (hand-written, no records).');
    },
  }),
  rule({
    id: 'rec.plaintext-max-len',
    title: 'A plaintext fragment carries at most 2^14 bytes.',
    rfc: 'RFC 5246 §6.2.1; RFC 8446 §5.1',
    versions: ['1.2', '1.3'],
    alerts: [
      because(
        'record_overflow',
        'RFC 8446 §5.1',
        'The length MUST NOT exceed 2^14 bytes. An endpoint that receives a record that exceeds this length MUST terminate the connection with a "record_overflow" alert.',
        ['1.3'],
      ),
      definitionIn('record_overflow', ['1.2']),
      // TLS 1.2 has a compression layer between the record and its plaintext: with the null method, a record that
      // decrypts to 2^14 + 1 .. 2^14 + 1024 bytes is a TLSCompressed fragment within its own limit (§6.2.2: 2^14 + 1024)
      // that "decompresses" past 2^14 (the registry names alert 30 decompression_failure_RESERVED: reserved in TLS 1.3)
      because(
        'decompression_failure_RESERVED',
        'RFC 5246 §6.2.2',
        'If the decompression function encounters a TLSCompressed.fragment that would decompress to a length in excess of 2^14 bytes, it MUST report a fatal decompression failure error.',
        ['1.2'],
      ),
    ],
    overrides: {
      alerts:
        'RFC 5246 §6.2.2 makes a TLS 1.2 plaintext over 2^14 (with a compressed length within 2^14 + 1024) a decompression failure; record_overflow stays first (the checklist names only it)',
    },
    needs: ['records'],
    check(ctx) {
      for (const r of ctx.t.records) {
        const i = inner(r);
        if (i && i.fragment.length > MAX_PLAINTEXT)
          return violation(`Record ${r.index} carries ${i.fragment.length} plaintext bytes.`, {
            expected: `<= ${MAX_PLAINTEXT}`,
            actual: `${i.fragment.length}`,
          });
      }
      return pass('No plaintext fragment exceeds 2^14 bytes.');
    },
  }),
  rule({
    id: 'rec.ciphertext-max-len',
    title: 'A protected record stays within 2^14+2048 (TLS 1.2) or 2^14+256 (TLS 1.3) bytes.',
    rfc: ['RFC 5246 §6.2.3', 'RFC 5246 §7.2.2', 'RFC 8446 §5.2'],
    versions: ['1.2', '1.3'],
    alerts: [
      because(
        'record_overflow',
        'RFC 8446 §5.2',
        'An endpoint that receives a record from its peer with TLSCiphertext.length larger than 2^14 + 256 octets MUST terminate the connection with a "record_overflow" alert.',
        ['1.3'],
      ),
      definitionIn('record_overflow', ['1.2']),
    ],
    needs: ['records'],
    check(ctx) {
      const max = ctx.version === '1.3' ? MAX_CIPHERTEXT_13 : MAX_CIPHERTEXT_12;
      const enc = ctx.t.records.filter((r) => r.encrypted);
      if (!enc.length) return notApplicable('No protected record.');
      const bad = enc.find((r) => r.raw.length - 5 > max);
      return bad
        ? violation(`Protected record ${bad.index} has ${bad.raw.length - 5} bytes.`, {
            expected: `<= ${max}`,
            actual: `${bad.raw.length - 5}`,
          })
        : pass(`${enc.length} protected record(s) within the limit.`);
    },
  }),
  rule({
    id: 'rec.no-empty-fragments',
    overrides: {
      alerts:
        'RFC 5246 §6.2.1 names no alert for a zero-length Handshake, Alert or ChangeCipherSpec fragment; decode_error ("A message could not be decoded because some field was out of the specified range or the length of the message was incorrect", RFC 5246 §7.2.2) fits it as well as unexpected_message',
    },
    title: 'No empty handshake or alert fragments (nor empty CCS in TLS 1.2).',
    rfc: 'RFC 5246 §6.2.1; RFC 8446 §5.1, §5.4',
    versions: ['1.2', '1.3'],
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §5.4',
        'Implementations MUST NOT send Handshake or Alert records that have a zero-length TLSInnerPlaintext.content; if such a message is received, the receiving implementation MUST terminate the connection with an "unexpected_message" alert.',
        ['1.3'],
      ),
      definitionIn('unexpected_message', ['1.2']),
      // a handshake fragment of no bytes, rejected rather than skipped, is one that "could not be decoded" (§7.2.2)
      definitionIn('decode_error', ['1.2']),
    ],
    // RFC 5246 §6.2.1 and RFC 8446 §5.1 bind the sender only ("Implementations MUST NOT send zero-length fragments of
    // Handshake, Alert, or ChangeCipherSpec content types"); only RFC 8446 §5.4 gives the receiver a duty, for a
    // protected record (an empty TLSInnerPlaintext.content). A plaintext empty handshake record may be skipped.
    ignorable: {
      rfc: 'RFC 5246 §6.2.1; RFC 8446 §5.1',
      text: 'Implementations MUST NOT send zero-length fragments of Handshake types (a duty of the sender: no receiver reaction is named for a plaintext record)',
    },
    needs: ['records'],
    check(ctx) {
      const types: number[] = [
        ContentType.handshake,
        ContentType.alert,
        ...(ctx.version === '1.2' ? [ContentType.change_cipher_spec] : []),
      ];
      for (const r of ctx.t.records) {
        const i = inner(r);
        if (i && types.includes(i.type) && i.fragment.length === 0)
          return violation(`Record ${r.index} is an empty fragment of type ${i.type}.`, {
            expected: 'non-empty',
            actual: 'empty',
          });
      }
      const unread = ctx.t.records.filter((r) => !inner(r)).length;
      return unread
        ? [
            pass('Readable records are not empty.'),
            inconclusive(`${unread} protected record(s) could not be read (${unreadableWhy(ctx)}).`),
          ]
        : pass('No empty fragments.');
    },
  }),
  rule({
    id: 'rec.t13.hs-no-interleave',
    title: 'No record of another type between the fragments of one handshake message.',
    rfc: 'RFC 8446 §5.1',
    versions: ['1.3'],
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §5',
        'If a TLS implementation receives an unexpected record type, it MUST terminate the connection with an "unexpected_message" alert.',
      ),
    ],
    evidence: 'keys',
    overrides: {
      alerts:
        'RFC 8446 §5.1 names no alert for an interleaved record, but a record of another type between the fragments of a handshake message is an unexpected record type there: RFC 8446 §5 "If a TLS implementation receives an unexpected record type, it MUST terminate the connection with an "unexpected_message" alert."',
      evidence:
        'every TLS 1.3 handshake message after ServerHello is protected (RFC 8446 §5.2), so an interleaved record is only seen with the keys; the checklist counts the plaintext hellos first, the check says inconclusive without a key log',
    },
    needs: ['records'],
    check(ctx) {
      for (const m of ctx.t.messages) {
        const rs = m.records ?? [];
        if (m.kind !== 'handshake' || rs.length < 2) continue;
        const lo = Math.min(...rs);
        const hi = Math.max(...rs);
        const between = ctx.t.records.find(
          (r) => r.dir === m.dir && r.index > lo && r.index < hi && inner(r)?.type !== ContentType.handshake,
        );
        if (between)
          return violation(`Record ${between.index} of another type sits inside the fragments of ${m.type}.`, {
            message: m.index,
          });
      }
      return ctx.evidence.keys
        ? pass('Handshake fragments are not interleaved.')
        : inconclusive(`Protected records could not be read (${unreadableWhy(ctx)}); only plaintext fragments were checked.`);
    },
  }),
  rule({
    id: 'rec.t13.hs-key-change-boundary',
    title: 'Messages before a key change end at a record boundary.',
    rfc: 'RFC 8446 §5.1',
    versions: ['1.3'],
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §5.1',
        'Implementations MUST verify that all messages immediately preceding a key change align with a record boundary; if not, then they MUST terminate the connection with an "unexpected_message" alert.',
      ),
    ],
    needs: ['records'],
    check(ctx) {
      const hs = ctx.t.messages.filter((m) => m.kind === 'handshake');
      let checked = 0;
      for (const m of hs) {
        const sym = ctx.steps.find((s) => s.m === m)?.sym;
        if (!['client_hello', 'server_hello', 'end_of_early_data', 'finished', 'key_update'].includes(sym ?? '')) continue;
        const last = m.records?.[m.records.length - 1];
        if (last === undefined) continue;
        checked++;
        const next = hs.find((x) => x.dir === m.dir && x.index > m.index && x.records?.includes(last));
        if (next)
          return violation(`${next.type} shares record ${last} with the preceding ${m.type}, which must end its record.`, {
            message: next.index,
            expected: 'a new record',
            actual: `record ${last}`,
          });
      }
      return checked
        ? pass(
            `${checked} key-change message(s) end at record boundaries${ctx.evidence.keys ? '' : ' (protected ones not read)'}.`,
          )
        : inconclusive('No key-change message with records.');
    },
  }),
  rule({
    id: 'rec.alert-format',
    title: 'An alert is exactly two bytes; a TLS 1.3 alert record holds exactly one alert.',
    rfc: 'RFC 5246 §7.2; RFC 8446 §5.1',
    versions: ['1.2', '1.3'],
    alerts: ['decode_error'],
    check(ctx) {
      const alerts = ctx.t.messages.filter((m) => m.kind === 'alert' && m.raw);
      if (!alerts.length) return notApplicable('No readable alert.');
      const bad = alerts.find((m) => m.raw!.length !== 2);
      return bad
        ? violation(`Alert message ${bad.index} has ${bad.raw!.length} bytes.`, {
            message: bad.index,
            expected: '2',
            actual: `${bad.raw!.length}`,
          })
        : pass(`${alerts.length} alert(s) well formed.`);
    },
  }),
  rule({
    id: 'rec.record-version',
    title: `TLS 1.3 records carry ${T12} (${T10} allowed on the initial ClientHello); TLS 1.2 records carry 0x03xx.`,
    rfc: 'RFC 8446 §5.1; RFC 5246 App. E.1',
    versions: ['1.2', '1.3'],
    ignorable: {
      rfc: 'RFC 8446 §5.1',
      text: 'legacy_record_version [...] This field is deprecated and MUST be ignored for all purposes.',
      versions: ['1.3'],
    },
    needs: ['records'],
    check(ctx) {
      const firstCh = ctx.steps.find((s) => s.sym === 'client_hello')?.m.records ?? [];
      for (const r of ctx.t.records) {
        // Without a ServerHello the version is what the client offered: the server's records (its refusal) are those
        // of a peer whose version is not known, judged by RFC 5246 App. E.1's {03,XX} only.
        const server13 = ctx.versionFrom !== 'client_hello' || r.dir === 'C->S';
        if (ctx.version === '1.3' && server13) {
          const ok = r.version === VERSION_CODE['1.2'] || (r.version === ProtocolVersion.TLS1_0 && firstCh.includes(r.index));
          if (!ok)
            return violation(`Record ${r.index} has version ${hex4(r.version)}.`, {
              expected: T12,
              actual: hex4(r.version),
            });
        } else if (r.version >> 8 !== 3)
          return violation(`Record ${r.index} has version ${hex4(r.version)}.`, { expected: '0x03xx', actual: hex4(r.version) });
      }
      return pass('Record versions are valid.');
    },
  }),
  rule({
    id: 'rec.t13.outer-header',
    title: `Protected TLS 1.3 records have outer type application_data and version ${T12}.`,
    rfc: 'RFC 8446 §5.2',
    versions: ['1.3'],
    needs: ['records'],
    check(ctx) {
      const enc = ctx.t.records.filter((r) => r.encrypted);
      if (!enc.length) return notApplicable('No protected record.');
      const bad = enc.find((r) => r.contentType !== ContentType.application_data || r.version !== VERSION_CODE['1.2']);
      return bad
        ? violation(`Protected record ${bad.index} has outer type ${bad.contentType}, version ${hex4(bad.version)}.`, {
            expected: `type 23, version ${T12}`,
            actual: `type ${bad.contentType}, ${hex4(bad.version)}`,
          })
        : pass(`${enc.length} protected record(s) have the right outer header.`);
    },
  }),
  rule({
    id: 'rec.t13.protected-after-hello',
    title:
      'Once TLS 1.3 protection is in use (after the ServerHello), no handshake record is sent in plaintext (outer type handshake).',
    rfc: ['RFC 8446 §5', 'RFC 8446 §5.2'],
    versions: ['1.3'],
    // RFC 8446 §5.2: "The outer opaque_type field of a TLSCiphertext record is always set to the value 23
    // (application_data)": a plaintext handshake record after the ServerHello is a record type the receiver cannot
    // expect there, not a protected record that failed to open
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §5',
        'If a TLS implementation receives an unexpected record type, it MUST terminate the connection with an "unexpected_message" alert.',
      ),
    ],
    overrides: {
      checklist:
        'not in the checklist: RFC 8446 §5.2 ("The outer opaque_type field of a TLSCiphertext record is always set to the value 23 (application_data)") read with §5 ("If a TLS implementation receives an unexpected record type, it MUST terminate the connection with an "unexpected_message" alert"); alerts sent in plaintext by a peer that aborts before its keys are in use are left out (test-tls13-finished-plaintext)',
    },
    needs: ['records', 'server-hello'],
    check(ctx) {
      // the ServerHello's last record (a ServerHello may span several plaintext records)
      const shRecords = ctx.sh.m.records ?? [];
      if (!shRecords.length) return inconclusive('The ServerHello has no record.', { message: ctx.sh.m.index });
      const from = Math.max(...shRecords);
      const after = ctx.t.records.filter((r) => r.index > from);
      // the outer type says it: a protected record's is application_data, whatever a reader later made of the bytes
      const bad = after.find((r) => r.contentType === ContentType.handshake);
      if (bad) {
        const m = ctx.t.messages.find((x) => x.records?.includes(bad.index));
        return violation(
          `The ${bad.dir === 'C->S' ? 'client' : 'server'} sent record ${bad.index}${m ? ` (${m.type})` : ''} of type ${bad.contentType} in plaintext after the ServerHello.`,
          {
            ...(m ? { message: m.index } : {}),
            expected: 'protected (outer type 23)',
            actual: `plaintext type ${bad.contentType}`,
          },
        );
      }
      return after.length
        ? pass(`${after.length} record(s) after the ServerHello: none is a plaintext handshake record.`)
        : notApplicable('No record after the ServerHello.');
    },
  }),
  rule({
    id: 'rec.t12.ccs-format',
    title: 'ChangeCipherSpec is one byte of value 1.',
    rfc: 'RFC 5246 §7.1',
    versions: ['1.2'],
    // RFC 5246 §7.1: "The message consists of a single byte of value 1." No alert is named: a record of two CCS bytes
    // is a second ChangeCipherSpec where none may come (unexpected_message, RFC 5246 §7.2.2 "An inappropriate message
    // was received"), or a message of the wrong length (decode_error, "the length of the message was incorrect").
    alerts: ['unexpected_message', 'decode_error'],
    overrides: {
      alerts:
        'RFC 5246 §7.1 names no alert; the RFC 5246 §7.2.2 definitions of unexpected_message (a second CCS) and decode_error (a CCS of the wrong length) both fit (test-ccs expects unexpected_message)',
    },
    check(ctx) {
      const ccs = ctx.t.messages.filter((m) => m.kind === 'change_cipher_spec');
      if (!ccs.length) return notApplicable('No ChangeCipherSpec.');
      const withBytes = ccs.filter((m) => m.raw);
      if (!withBytes.length) return inconclusive('The ChangeCipherSpec messages have no bytes (hand-written transcript).');
      const bad = withBytes.find((m) => m.raw!.length !== 1 || m.raw![0] !== 1);
      return bad
        ? violation(`ChangeCipherSpec ${bad.index} is not the single byte 01.`, {
            message: bad.index,
            expected: '01',
            actual: Buffer.from(bad.raw!).toString('hex') || '(empty)',
          })
        : pass('ChangeCipherSpec bodies are 01.');
    },
  }),
  rule({
    id: 'rec.t13.ccs-compat',
    title: "A TLS 1.3 CCS is an unprotected 01, sent after the first ClientHello and before the sender's Finished.",
    rfc: 'RFC 8446 §5',
    versions: ['1.3'],
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §5',
        'An implementation which receives any other change_cipher_spec value or which receives a protected change_cipher_spec record MUST abort the handshake with an "unexpected_message" alert.',
      ),
    ],
    check(ctx) {
      const ccs = ctx.t.messages.filter((m) => m.kind === 'change_cipher_spec');
      if (!ccs.length) return notApplicable('No ChangeCipherSpec.');
      const ch = ctx.steps.find((s) => s.sym === 'client_hello');
      const out: Outcome[] = [];
      for (const m of ccs) {
        if (m.raw && (m.raw.length !== 1 || m.raw[0] !== 1)) {
          out.push(
            violation(`CCS ${m.index} is not the single byte 01.`, {
              message: m.index,
              expected: '01',
              actual: Buffer.from(m.raw).toString('hex'),
            }),
          );
          continue;
        }
        if (m.encrypted && m.records?.length) {
          out.push(violation(`CCS ${m.index} was protected.`, { message: m.index }));
          continue;
        }
        if (!ch || m.index < ch.m.index) {
          out.push(violation(`CCS ${m.index} precedes the first ClientHello.`, { message: m.index }));
          continue;
        }
        const fin = ctx.steps.find((s) => s.dir === m.dir && s.sym === 'finished');
        const unread = ctx.t.messages.find(
          (x) =>
            x.dir === m.dir && x.index < m.index && (x.type === 'encrypted_record' || x.type === 'encrypted_handshake_message'),
        );
        if (fin && fin.m.index < m.index)
          out.push(
            violation(`CCS ${m.index} comes after the ${m.dir} Finished.`, {
              message: m.index,
              expected: 'before finished',
              actual: 'after',
            }),
          );
        else if (!fin && unread)
          out.push(
            inconclusive(
              `CCS ${m.index} follows protected records that could not be read, so its place relative to Finished is unknown.`,
              { message: m.index },
            ),
          );
        else out.push(pass(`CCS ${m.index} is a valid compatibility CCS.`, { message: m.index }));
      }
      return out;
    },
  }),
  rule({
    id: 'rec.t13.early-data-limit',
    title: '0-RTT data stays within the max_early_data_size of the ticket it uses; a server receiving more terminates.',
    rfc: ['RFC 8446 §4.2.10', 'RFC 8446 §4.6.1'],
    versions: ['1.3'],
    strength: 'SHOULD',
    evidence: 'keys',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §4.6.1',
        'A server receiving more than max_early_data_size bytes of 0-RTT data SHOULD terminate the connection with an "unexpected_message" alert.',
      ),
    ],
    overrides: {
      role: 'the limit binds the client that sends (RFC 8446 §4.6.1 max_early_data_size: "The maximum amount of 0-RTT data that the client is allowed to send when using this ticket, in bytes") and the server that receives (§4.6.1: "A server receiving more than max_early_data_size bytes of 0-RTT data SHOULD terminate the connection"): each verdict names the party',
      rfc: 'RFC 8446 §4.2.10 places the 0-RTT data and names the ticket that bounds it ("the PSK used to encrypt the early data MUST be the first PSK listed"); §4.6.1 defines the limit',
    },
    needs: ['client-hello'],
    check(ctx) {
      if (ctx.version !== '1.3') return notApplicable('Not TLS 1.3.');
      const offer = extensionBody(ctx.ch!.b.extensions, X.pre_shared_key, 'pre_shared_key_client');
      const sh = ctx.sh?.m.index ?? Number.POSITIVE_INFINITY;
      const cfin = ctx.t.messages.find(
        (m) => m.dir === 'C->S' && m.type === 'finished' && m.index > (ctx.sh?.m.index ?? Number.POSITIVE_INFINITY),
      );
      const early = ctx.t.messages.filter(
        (m) =>
          m.dir === 'C->S' &&
          m.kind === 'application_data' &&
          (m.epoch === 'early' || m.index < sh) &&
          (!cfin || m.index < cfin.index),
      );
      if (!early.length) return notApplicable('No 0-RTT data.');
      // opened: under the early keys, or (a transcript of messages) given as protected with its plaintext; a 0-RTT record
      // read as plaintext is ciphertext nobody opened
      const unread = early.find((m) => isUnreadable(m) || (m.epoch !== 'early' && !(m.encrypted && m.raw)));
      if (unread)
        return inconclusive(
          `0-RTT record of message ${unread.index} not opened (no CLIENT_EARLY_TRAFFIC_SECRET): its length is unknown.`,
          { message: unread.index },
        );
      const first = offer?.identities[0];
      if (!first) return notApplicable('0-RTT data without a PSK offer (t13.neg.early-data judges that).');
      // RFC 8446 §4.6.1: the ticket's early_data extension carries max_early_data_size; a ticket without one allows none
      let limit: number | undefined;
      for (const e of ctx.earlier)
        for (const st of e.steps) {
          const b = bodyOf(st.m);
          if (b?.type === 'new_session_ticket' && b.form === 'tls13' && bytesEqual(b.ticket, first.identity))
            limit = extensionBody(b.extensions, X.early_data, 'early_data_max')?.maxEarlyDataSize ?? 0;
        }
      if (limit === undefined)
        return inconclusive(
          'The NewSessionTicket of the first offered identity is not in an earlier transcript: its max_early_data_size is unknown.',
        );
      let sent = 0;
      let over: (typeof early)[number] | undefined;
      for (const m of early) {
        sent += m.raw?.length ?? 0;
        if (sent > limit && !over) over = m;
      }
      if (!over)
        return pass(`${sent} bytes of 0-RTT data, within the ticket's max_early_data_size ${limit}.`, {
          message: early[0]!.index,
        });
      const out: Outcome[] = [
        violation(
          `The client sent ${sent} bytes of 0-RTT data, over the max_early_data_size ${limit} of the ticket it offered first (RFC 8446 §4.6.1: "The maximum amount of 0-RTT data that the client is allowed to send when using this ticket").`,
          { message: over.index, expected: `at most ${limit} bytes`, actual: `${sent} bytes` },
        ),
      ];
      const later = ctx.t.messages.filter((m) => m.dir === 'S->C' && m.index > over!.index);
      const alert = later.find((m) => m.kind === 'alert');
      const went = later.find(
        (m) => (m.type === 'new_session_ticket' || m.type === 'application_data') && (!alert || m.index < alert.index),
      );
      if (went)
        out.push(
          violation(
            `The server went on (${went.type}) after receiving more than max_early_data_size bytes of 0-RTT data (RFC 8446 §4.6.1: it "SHOULD terminate the connection with an "unexpected_message" alert").`,
            { message: went.index, expected: 'unexpected_message', actual: went.type },
          ),
        );
      return out;
    },
  }),
  rule({
    id: 'rec.no-early-appdata',
    title: 'No application data before keys exist, and never unprotected in TLS 1.3.',
    rfc: 'RFC 5246 §7.3; RFC 8446 §5.1',
    versions: ['1.2', '1.3'],
    alerts: ['unexpected_message'],
    check(ctx) {
      const app = ctx.t.messages.filter((m) => m.kind === 'application_data' && m.type === 'application_data');
      if (!app.length) return notApplicable('No application data.');
      const earlyOk = ctx.version === '1.3' && !!ctx.ch && ctx.ch.b.extensions?.some((e) => e.type === X.early_data);
      const bad = app.find((m) => !m.encrypted && !(earlyOk && m.dir === 'C->S' && (!ctx.sh || m.index < ctx.sh.m.index)));
      return bad
        ? violation(`Application data ${bad.index} was sent unprotected.`, {
            message: bad.index,
            expected: 'protected',
            actual: 'plaintext',
          })
        : pass('Application data is protected.');
    },
  }),
  rule({
    id: 'rec.mfl-enforced',
    title: 'After max_fragment_length is negotiated no plaintext fragment exceeds it.',
    rfc: 'RFC 6066 §4',
    versions: ['1.2', '1.3'],
    alerts: ['record_overflow'],
    needs: ['server-hello'],
    check(ctx) {
      const ee = bodyOf(ctx.steps.find((s) => s.sym === 'encrypted_extensions')?.m);
      const v = extensionBody(
        ctx.version === '1.3' && ee?.type === 'encrypted_extensions' ? ee.extensions : ctx.sh.b.extensions,
        X.max_fragment_length,
        'max_fragment_length',
      )?.value;
      if (v === undefined) return notApplicable('No max_fragment_length negotiated.');
      const n = NEEDS.records(ctx);
      if (n) return n;
      const limit = 1 << (8 + v);
      const shRec = ctx.sh.m.records?.[0] ?? 0;
      for (const r of ctx.t.records) {
        const i = inner(r);
        if (r.index > shRec && i && i.fragment.length > limit)
          return violation(`Record ${r.index} carries ${i.fragment.length} bytes over the negotiated ${limit}.`, {
            expected: `<= ${limit}`,
            actual: `${i.fragment.length}`,
          });
      }
      return pass(`No fragment exceeds ${limit} bytes.`);
    },
  }),
  rule({
    id: 'rec.rsl-enforced',
    title: "Once record_size_limit is negotiated, no protected record exceeds its receiver's limit.",
    rfc: 'RFC 8449 §4',
    versions: ['1.2', '1.3'],
    overrides: {
      checklist:
        'the reference checklist has no record_size_limit rules; RFC 8449 §4: "an endpoint MUST NOT generate a protected record with plaintext that is larger than the RecordSizeLimit value it receives from its peer"',
    },
    alerts: [
      because(
        'record_overflow',
        'RFC 8449 §4',
        'A TLS endpoint that receives a record larger than its advertised limit MUST generate a fatal "record_overflow" alert',
      ),
    ],
    needs: ['server-hello'],
    check(ctx) {
      const ee = bodyOf(ctx.steps.find((s) => s.sym === 'encrypted_extensions')?.m);
      const serverExts =
        ctx.version === '1.3' ? (ee?.type === 'encrypted_extensions' ? ee.extensions : undefined) : ctx.sh.b.extensions;
      const s = extensionBody(serverExts, X.record_size_limit, 'record_size_limit')?.limit;
      const c = extensionBody((ctx.ch2 ?? ctx.ch)?.b.extensions, X.record_size_limit, 'record_size_limit')?.limit;
      if (s === undefined || c === undefined)
        return ctx.version === '1.3' && !ee
          ? inconclusive('The EncryptedExtensions is not readable: whether record_size_limit was negotiated is unknown.')
          : notApplicable('No record_size_limit negotiated.');
      const n = NEEDS.records(ctx);
      if (n) return n;
      // "When the "record_size_limit" extension is negotiated, an endpoint MUST NOT generate a protected record with
      // plaintext that is larger than the RecordSizeLimit value it receives from its peer. Unprotected messages are
      // not subject to this limit." TLS 1.3 counts "the complete length of TLSInnerPlaintext" (the protected fragment
      // less the AEAD tag, so it is decided without keys); TLS 1.2 the plaintext. A limit over the protocol's is not
      // enforced ("A server MUST NOT enforce this restriction").
      const tls13 = ctx.version === '1.3';
      const max = tls13 ? MAX_PLAINTEXT + 1 : MAX_PLAINTEXT;
      const limitFor = { 'C->S': Math.min(s, max), 'S->C': Math.min(c, max) } as const;
      const tag = ctx.suiteInfo?.cipher.endsWith('CCM_8') ? 8 : 16;
      const shRec = ctx.sh.m.records?.[0] ?? 0;
      let unread = 0;
      let checked = 0;
      for (const r of ctx.t.records) {
        if (r.index <= shRec || !r.encrypted || r.epoch === 'early') continue;
        const size = tls13 ? r.raw.length - 5 - tag : r.plaintext?.fragment.length;
        if (size === undefined) {
          unread++;
          continue;
        }
        checked++;
        const limit = limitFor[r.dir];
        if (size > limit)
          return violation(
            `Record ${r.index} (${r.dir}) carries ${size} bytes of ${tls13 ? 'TLSInnerPlaintext' : 'plaintext'}, over the ${r.dir === 'C->S' ? "server's" : "client's"} record_size_limit ${limit}.`,
            { expected: `<= ${limit}`, actual: `${size}` },
          );
      }
      if (unread)
        return inconclusive(`${unread} protected record(s) could not be read (no key log): their plaintext size is unknown.`);
      return pass(
        `${checked} protected record(s) within record_size_limit ${limitFor['C->S']} (to the server) and ${limitFor['S->C']} (to the client).`,
      );
    },
  }),
  rule({
    id: 'rec.hs-length-consistent',
    title: 'Handshake lengths and the length-prefixed fields consume the body exactly.',
    rfc: ['RFC 5246 §7.4', 'RFC 5246 §7.4.1.2', 'RFC 8446 §4', 'RFC 8446 §6'],
    versions: ['1.2', '1.3'],
    alerts: [
      because(
        'decode_error',
        'RFC 8446 §6',
        'Peers which receive a message which cannot be parsed according to the syntax (e.g., have a length extending beyond the message boundary or contain an out-of-range length) MUST terminate the connection with a "decode_error" alert.',
        ['1.3'],
      ),
      definitionIn('decode_error', ['1.2']),
    ],
    check(ctx) {
      const withBytes = ctx.t.messages.filter((m) => m.kind === 'handshake' && m.raw);
      if (!withBytes.length) return inconclusive('No handshake message has bytes.');
      for (const m of withBytes) {
        const f = m.findings?.find(
          (x) =>
            x.code === 'trailing-bytes' || x.code === 'length-mismatch' || x.code === 'empty-vector' || x.code === 'bad-value',
        );
        if (f)
          return violation(`${m.type}: ${f.detail} (at ${f.path || 'top'}, offset ${f.offset}).`, {
            message: m.index,
            expected: 'exact lengths',
            actual: f.code,
          });
        const declared = (m.raw![1]! << 16) | (m.raw![2]! << 8) | m.raw![3]!;
        if (declared !== m.raw!.length - 4)
          return violation(`${m.type} declares ${declared} bytes but has ${m.raw!.length - 4}.`, { message: m.index });
      }
      return pass(
        `${withBytes.length} handshake message(s) parse exactly${ctx.evidence.keys ? '' : ' (protected ones not read)'}.`,
      );
    },
  }),

  rule({
    id: 'rec.hs-fragmentation',
    title: 'Receivers reassemble a handshake message split over records and split records that carry several messages.',
    rfc: ['RFC 5246 §6.2.1', 'RFC 8446 §5.1', 'RFC 8446 App. C.3'],
    evidence: 'live',
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    needs: ['records', 'violations'],
    check(ctx) {
      const out: Outcome[] = [];
      for (const dir of ['C->S', 'S->C'] as const) {
        const hs = ctx.t.messages.filter((m) => m.dir === dir && m.kind === 'handshake' && m.records?.length);
        const shared = (m: (typeof hs)[number]) => hs.some((x) => x !== m && x.records!.some((r) => m.records!.includes(r)));
        const m = hs.find((x) => x.records!.length > 1 || shared(x));
        if (!m) continue;
        const how =
          m.records!.length > 1
            ? `split over records ${m.records!.join(', ')}`
            : `in record ${m.records![0]} with other messages`;
        const next = ctx.t.messages.find((x) => x.index > m.index && x.dir !== dir);
        const receiver = dir === 'C->S' ? 'server' : 'client';
        if (!next)
          out.push(inconclusive(`The transcript ends before the ${receiver} answered ${m.type} (${how}).`, { message: m.index }));
        else if (next.kind !== 'alert')
          out.push(pass(`The ${receiver} read ${m.type} (${how}) and went on with ${next.type}.`, { message: m.index }));
        else {
          // a decoding alert right after a well-formed message (the first phase found nothing wrong with its sender) blames the reassembly
          const sender = ctx.violations.some((v) => v.message !== undefined && ctx.t.messages[v.message]?.dir === dir);
          const decoding = next.alert && [10, 22, 50].includes(next.alert.description);
          out.push(
            decoding && !sender
              ? violation(
                  `The ${receiver} answered ${m.type} (${how}) with a decoding alert although the message is well formed.`,
                  {
                    message: next.index,
                    expected: 'the message reassembled',
                    actual: `alert ${next.alert!.description}`,
                  },
                )
              : inconclusive(`The ${receiver} answered ${m.type} (${how}) with an alert; the transcript cannot show why.`, {
                  message: next.index,
                }),
          );
        }
      }
      return out.length ? out : notApplicable('No handshake message was split over records or shared a record.');
    },
  }),
];
