/**
 * Record-key rules: the protected records of a transcript (as captured,
 * `records[].raw`) are opened again with keys derived here from the key
 * log, following the RFC formulas (TLS 1.2 key block; TLS 1.3 traffic keys
 * and the KeyUpdate chain). A record that does not open, or opens to other
 * bytes than the transcript says, is a violation. Transcripts without
 * records or without a key log are inconclusive.
 *
 * Decisions for the record-protection rules (RFC text read as follows):
 * - A record that does not open at its own sequence number is tried at the
 *   numbers up to 8 either side (same key) and under the neighbouring key
 *   generations; only a record that opens that way is a nonce/sequence or
 *   KeyUpdate finding. One that opens nowhere is a key finding
 *   (t12.ks.key-block / t13.ks.traffic-keys), and the following records of
 *   that direction are not followed.
 * - rec.t12.seq-reset covers every TLS 1.2 protected record (RFC 5246 §6.1:
 *   the number starts at 0 with the new state and counts each record), not
 *   only the Finished record.
 * - rec.t12.cbc-padding is a sender rule here: padding is blamed only when
 *   the MAC over the content still verifies (for MAC-then-encrypt with the
 *   padding length as sent), so a wrong key never shows as bad padding.
 *   Extra padding blocks (up to 255 bytes) are allowed.
 * - A record that opens nowhere while its key opens the other records of its
 *   direction (its neighbours) is a record-integrity finding (rec.integrity)
 *   against its sender: it is not the MAC/AEAD output the RFC defines (RFC
 *   5246 §6.2.3, RFC 8446 §5.2), or it was altered on the way; the key rules
 *   pass, and a receiver that went on after it broke rec.deprotect-failure
 *   (RFC 8446 §5.2 "If the decryption fails, the receiver MUST terminate the
 *   connection with a "bad_record_mac" alert"), which the transcript shows.
 * - rec.t13.inner-plaintext: a non-zero padding byte makes the last
 *   non-zero byte a wrong content type, so "padding must be zeros" is seen
 *   as an inner content type other than alert/handshake/application_data.
 */
import type { Context } from '../context';
import { type Opened, messageOfRecord, opened12, opened13, opensOthers, recordProperty, report } from '../record-open';
import { receiverReaction } from '../receiver';
import type { Got } from '../keyfacts';
import { because } from '../alert-choices';
import { who } from '../flow';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';
import { alertDescriptions, ContentType, nameOf } from '../../wire/registry';

const rule = declarer({ versions: ['1.2', '1.3'], role: 'both', strength: 'MUST', evidence: 'keys', group: 'crypto' });

const opened = (ctx: Context): Promise<Got<Opened[]>> => (ctx.version === '1.3' ? opened13(ctx) : opened12(ctx));

/** Records that do not open although their key opens their neighbours. */
function broken(g: Got<Opened[]>): Opened[] {
  return g.ok ? g.value.filter((o) => !o.ok && opensOthers(g.value, o)) : [];
}

const at = (o: Opened): string => `record ${o.r.index}`;

export const recordProtectionRules = [
  rule({
    id: 't12.ks.key-block',
    title: 'TLS 1.2 record keys are cut from the key-expansion PRF output in the RFC order (MAC keys, keys, IVs; client first).',
    rfc: 'RFC 5246 §6.3',
    versions: ['1.2'],
    role: 'both',
    strength: 'MUST',
    alerts: ['bad_record_mac'],
    evidence: 'keys',
    group: 'crypto',
    check: async (ctx) => report(await opened12(ctx), 'The key block'),
  }),
  rule({
    id: 't13.ks.traffic-keys',
    title: 'TLS 1.3 record key and IV are expanded from the traffic secret of the epoch ("key", "iv").',
    rfc: ['RFC 8446 §7.3'],
    versions: ['1.3'],
    role: 'both',
    strength: 'MUST',
    alerts: [
      because(
        'bad_record_mac',
        'RFC 8446 §5.2',
        'If the decryption fails, the receiver MUST terminate the connection with a "bad_record_mac" alert.',
      ),
    ],
    evidence: 'keys',
    group: 'crypto',
    overrides: {
      rfc: 'the check opens the records with keys from RFC 8446 §7.3 alone; the Finished (RFC 8446 §4.4.4) is judged by t13.fin.*',
    },
    // a record protected with the handshake key after its sender's Finished is rec.t13.app-keys-after-finished's
    check: async (ctx) => report(await opened13(ctx), 'The traffic keys', (o) => !o.afterKeyUpdate && !o.handshakeKey),
  }),
  rule({
    id: 'rec.t13.app-keys-after-finished',
    title: "Every record after a sender's Finished is protected with its application traffic key, not the handshake key.",
    rfc: ['RFC 8446 §4.4.4', 'RFC 8446 §7.2'],
    versions: ['1.3'],
    role: 'both',
    strength: 'MUST',
    alerts: [
      because(
        'bad_record_mac',
        'RFC 8446 §5.2',
        'If the decryption fails, the receiver MUST terminate the connection with a "bad_record_mac" alert.',
      ),
    ],
    evidence: 'keys',
    group: 'record',
    overrides: {
      checklist:
        'RFC 8446 §4.4.4: "Any records following a Finished message MUST be encrypted under the appropriate application traffic key as described in Section 7.2." t13.ks.traffic-keys says a record does not open; this rule says which key it was protected with instead (e.g. an alert after the server Finished sealed with the server handshake traffic key), and names the message',
    },
    async check(ctx) {
      const g = await opened13(ctx);
      if (!g.ok) return inconclusive(`Not checked: ${g.why}.`);
      const app = g.value.filter((o) => o.r.epoch === 'application');
      if (!app.length) return notApplicable('No record after a Finished.');
      const bad = app.filter((o) => o.handshakeKey);
      if (!bad.length) {
        const stuck = app.find((o) => !o.ok);
        return stuck
          ? inconclusive(
              `The ${who(stuck.r.dir)} record ${stuck.r.index} opens with neither its application key nor its handshake key.`,
            )
          : pass(`${app.length} record(s) after the Finished open with the application traffic keys.`);
      }
      return bad.map((o) => {
        const m = ctx.t.messages.find((x) => x.records?.includes(o.r.index));
        const inner = o.handshakeKey!;
        const what =
          inner.type === ContentType.alert && inner.content.length >= 2
            ? `an alert (level ${inner.content[0]}, ${nameOf(alertDescriptions, inner.content[1]!, 2)})`
            : `content type ${inner.type}`;
        return violation(
          `The ${who(o.r.dir)} record ${o.r.index} after its Finished is protected with its handshake traffic key, not its application traffic key; it holds ${what}.`,
          { ...(m ? { message: m.index } : {}), expected: 'application traffic key', actual: 'handshake traffic key' },
        );
      });
    },
  }),
  rule({
    id: 't13.ks.key-update',
    title: 'After a KeyUpdate the sender protects its records with the next application secret ("traffic upd").',
    rfc: 'RFC 8446 §7.2',
    versions: ['1.3'],
    role: 'both',
    strength: 'MUST',
    alerts: [
      because(
        'bad_record_mac',
        'RFC 8446 §5.2',
        'If the decryption fails, the receiver MUST terminate the connection with a "bad_record_mac" alert.',
      ),
    ],
    evidence: 'keys',
    group: 'crypto',
    check: async (ctx) => report(await opened13(ctx), 'KeyUpdate', (o) => o.afterKeyUpdate),
  }),
  rule({
    id: 'rec.t13.nonce-seq',
    title:
      'Each TLS 1.3 record nonce is the write IV XOR its sequence number, counted from 0 under each traffic key: a record opens only at its own position.',
    rfc: 'RFC 8446 §5.3',
    versions: ['1.3'],
    role: 'both',
    strength: 'MUST',
    alerts: [
      because(
        'bad_record_mac',
        'RFC 8446 §5.2',
        'If the decryption fails, the receiver MUST terminate the connection with a "bad_record_mac" alert.',
      ),
    ],
    evidence: 'keys',
    group: 'record',
    check: async (ctx) =>
      recordProperty(
        await opened13(ctx),
        'The record nonces',
        (o) =>
          o.otherSeq !== undefined
            ? `it is record ${o.seq} under ${o.key} but opens only with sequence number ${o.otherSeq} (replayed, reordered or a wrong counter)`
            : undefined,
        (n) => `${n} protected record(s) open with the nonce of their own sequence number (from 0 under each key).`,
      ),
  }),
  rule({
    id: 'rec.t12.seq-reset',
    title:
      'The TLS 1.2 sequence number restarts at 0 when ChangeCipherSpec activates the new keys and counts each protected record.',
    rfc: 'RFC 5246 §6.1',
    versions: ['1.2'],
    role: 'both',
    strength: 'MUST',
    alerts: ['bad_record_mac'],
    evidence: 'keys',
    group: 'record',
    check: async (ctx) =>
      recordProperty(
        await opened12(ctx),
        'The record sequence numbers',
        (o) =>
          o.otherSeq !== undefined
            ? `it is protected record ${o.seq} after ChangeCipherSpec but its MAC/AEAD input uses sequence number ${o.otherSeq}`
            : undefined,
        (n) => `${n} protected record(s) open with sequence numbers from 0 after ChangeCipherSpec.`,
      ),
  }),
  rule({
    id: 'rec.t12.cbc-padding',
    title: 'With a CBC suite every padding byte equals the padding length.',
    rfc: ['RFC 5246 §6.2.3.2', 'RFC 5246 §7.2.2'],
    versions: ['1.2'],
    role: 'both',
    strength: 'MUST',
    alerts: ['bad_record_mac'],
    evidence: 'keys',
    group: 'record',
    async check(ctx) {
      if (ctx.suiteInfo && ctx.suiteInfo.mac === 'AEAD')
        return notApplicable(`The suite ${ctx.suiteInfo.name} is AEAD: records have no padding.`);
      return recordProperty(
        await opened12(ctx),
        'The CBC padding',
        (o) => o.padding,
        (n) => `${n} CBC record(s) carry padding whose bytes all equal its length.`,
      );
    },
  }),
  rule({
    id: 'rec.t13.inner-plaintext',
    title:
      'A TLS 1.3 inner plaintext is content, a known content type and zero padding; it is not all zeros and not over 2^14+1 bytes.',
    rfc: ['RFC 8446 §5.2', 'RFC 8446 §5.4'],
    versions: ['1.3'],
    role: 'both',
    strength: 'MUST',
    alerts: [
      because(
        'unexpected_message',
        'RFC 8446 §5.4',
        'If a receiving implementation does not find a non-zero octet in the cleartext, it MUST terminate the connection with an "unexpected_message" alert.',
      ),
      'record_overflow',
    ],
    evidence: 'keys',
    group: 'record',
    check: async (ctx) =>
      recordProperty(
        await opened13(ctx),
        'The inner plaintexts',
        (o) => o.inner,
        (n) => `${n} inner plaintext(s) end in a known content type followed only by zeros.`,
      ),
  }),
  rule({
    id: 'rec.t13.keyupdate-keys',
    title: 'A KeyUpdate is protected with the old key and the sender protects every later record with the next generation key.',
    rfc: ['RFC 8446 §4.6.3', 'RFC 8446 §7.2'],
    versions: ['1.3'],
    role: 'both',
    strength: 'MUST',
    evidence: 'keys',
    group: 'record',
    async check(ctx) {
      const g = await opened13(ctx);
      if (!g.ok) return inconclusive(`The key generations not checked: ${g.why}.`);
      const wrong = g.value.filter((o) => o.wrongGen);
      if (wrong.length)
        return wrong.map((o) =>
          violation(
            o.wrongGen === 'old'
              ? `The ${who(o.r.dir)} record ${o.r.index} follows its sender's KeyUpdate but is protected with the previous key generation.`
              : `The ${who(o.r.dir)} record ${o.r.index}${o.keyUpdate ? ' (a KeyUpdate)' : ''} is protected with the next key generation ${o.keyUpdate ? 'instead of the key it updates' : 'without a KeyUpdate before it'}.`,
            { expected: o.key, actual: o.wrongGen === 'old' ? 'previous generation' : 'next generation' },
          ),
        );
      const kus = g.value.filter((o) => o.keyUpdate);
      if (!kus.length) return notApplicable('No KeyUpdate record.');
      if (g.value.some((o) => !o.ok))
        return inconclusive('A record does not open with any key generation (see t13.ks.traffic-keys and t13.ks.key-update).');
      const after = g.value.filter((o) => o.afterKeyUpdate).length;
      return pass(
        `${kus.length} KeyUpdate record(s) open with the key they update, and the ${after} record(s) after them with the next generation.`,
      );
    },
  }),

  rule({
    id: 'rec.integrity',
    title:
      'Every protected record opens with the keys of its position: a record that does not, while those keys open the records around it, was not protected as the RFC defines (or was altered).',
    rfc: ['RFC 5246 §6.2.3', 'RFC 8446 §5.2'],
    group: 'record',
    alerts: [
      because(
        'bad_record_mac',
        'RFC 8446 §5.2',
        'If the decryption fails, the receiver MUST terminate the connection with a "bad_record_mac" alert.',
        ['1.3'],
      ),
      because(
        'bad_record_mac',
        'RFC 5246 §7.2.2',
        'bad_record_mac: This alert is returned if a record is received with an incorrect MAC. This alert also MUST be returned if an alert is sent because a TLSCiphertext decrypted in an invalid way.',
        ['1.2'],
      ),
    ],
    overrides: {
      checklist:
        'not in the checklist: a record that fails to open while its key opens its neighbours breaks RFC 8446 §5.2 / RFC 5246 §6.2.3 on its own (the key rules t12.ks.key-block and t13.ks.traffic-keys judge the derivation, this rule the record, against its sender)',
    },
    async check(ctx): Promise<Outcome | Outcome[]> {
      const g = await opened(ctx);
      if (!g.ok && /no protected records/.test(g.why)) return notApplicable('No protected record.');
      if (!g.ok) return inconclusive(`The records were not opened: ${g.why}.`);
      const bad = broken(g);
      const unknown = g.value.filter((o) => !o.ok && !opensOthers(g.value, o));
      const out: Outcome[] = bad.map((o) => {
        const m = messageOfRecord(ctx, o.r);
        return violation(
          `The ${who(o.r.dir)}'s ${at(o)} does not open with ${o.key}, which opens the ${who(o.r.dir)}'s other records: it is not the protected record RFC ${ctx.version === '1.3' ? '8446 §5.2' : '5246 §6.2.3'} defines (or it was altered on the way): ${o.why}.`,
          { ...(m ? { message: m.index } : {}), expected: 'record opens', actual: o.why ?? 'failure' },
        );
      });
      for (const o of unknown)
        out.push(
          inconclusive(
            `The ${who(o.r.dir)}'s ${at(o)} does not open and its key opens no other record of that direction, so the keys may be wrong (see the key rules): ${o.why}.`,
          ),
        );
      const ok = g.value.filter((o) => o.ok).length;
      return out.length ? out : pass(`All ${ok} protected record(s) open with the keys of their position.`);
    },
  }),
  rule({
    id: 'rec.deprotect-failure',
    title: 'A record whose MAC or AEAD tag does not verify ends the connection with bad_record_mac.',
    rfc: ['RFC 5246 §6.2.3.3', 'RFC 5246 §7.2.2', 'RFC 8446 §5.2'],
    group: 'record',
    evidence: 'live',
    alerts: [
      because(
        'bad_record_mac',
        'RFC 8446 §5.2',
        'If the decryption fails, the receiver MUST terminate the connection with a "bad_record_mac" alert.',
        ['1.3'],
      ),
      because(
        'bad_record_mac',
        'RFC 5246 §7.2.2',
        'bad_record_mac: This alert is returned if a record is received with an incorrect MAC. This alert also MUST be returned if an alert is sent because a TLSCiphertext decrypted in an invalid way.',
        ['1.2'],
      ),
    ],
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    judgesReceiver: true,
    async check(ctx): Promise<Outcome | Outcome[]> {
      const g = await opened(ctx);
      if (!g.ok && /no protected records/.test(g.why)) return notApplicable('No protected record.');
      if (!g.ok) return inconclusive(`The records were not opened: ${g.why}.`);
      const bad = broken(g);
      if (!bad.length) return notApplicable('Every protected record opens (or none opens: the keys are in doubt, not a record).');
      return bad.map((o) => deprotectReaction(ctx, o));
    },
  }),
];

/** What the receiver of a record that does not open did (rec.deprotect-failure). */
function deprotectReaction(ctx: Context, o: Opened): Outcome {
  const t13 = ctx.version === '1.3';
  const m = messageOfRecord(ctx, o.r);
  if (!m) return inconclusive(`The ${who(o.r.dir)}'s ${at(o)} carries no message of the transcript.`);
  const receiver = o.r.dir === 'C->S' ? 'server' : 'client';
  // The TLS 1.3 compatibility ChangeCipherSpec (RFC 8446 App. D.4) is not the handshake going on.
  const r = receiverReaction(ctx, m, (x) =>
    x.kind === 'alert' || (t13 && x.kind === 'change_cipher_spec')
      ? undefined
      : `its ${x.type === 'encrypted_record' ? 'next record' : x.type}, message ${x.index}`,
  );
  const what = `the ${who(o.r.dir)}'s ${at(o)}, which does not open`;
  switch (r.kind) {
    case 'went-on':
      return violation(
        `The ${receiver} went on (${r.what}) after ${what}: it must terminate the connection with bad_record_mac.`,
        {
          message: r.m.index,
          expected: 'bad_record_mac',
          actual: r.what,
        },
      );
    case 'alert':
      // It did not go on. Which alert it chose is the alert rules' question: it may have aborted for another reason
      // than this record (an earlier one), and a TLS 1.2 receiver that sent none is alert.t12.must-send's.
      return pass(`The ${receiver} aborted after ${what} with ${r.alert ?? 'an alert that could not be read'}.`, {
        message: r.m.index,
      });
    case 'closed':
      // A close_notify answers as if nothing were wrong: RFC 8446 §6.2 "terminate the connection with an X alert" means
      // X if any alert is sent, and close_notify is another alert. Closing without any alert: RFC 8446 §6.2 lets a TLS
      // 1.3 receiver; a TLS 1.2 one must send the alert (RFC 5246 §7.2.2), which alert.t12.must-send judges.
      if (r.m)
        return violation(`The ${receiver} answered ${what} with close_notify (message ${r.m.index}), not bad_record_mac.`, {
          message: r.m.index,
          expected: 'bad_record_mac',
          actual: 'close_notify',
        });
      return pass(`The ${receiver} did not go on after ${what}: it closed (${r.how}).`, { message: m.index });
    case 'unknown':
      return inconclusive(`What the ${receiver} did after ${what} is not known: ${r.why}.`, { message: m.index });
  }
}
