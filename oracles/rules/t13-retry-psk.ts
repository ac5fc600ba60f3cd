/**
 * TLS 1.3 HelloRetryRequest, pre-shared keys and early data: the HRR
 * group, the second ClientHello, the ServerHello after HRR, the
 * pre_shared_key extension, PSK modes and early_data.
 */
import { extensionBody } from '../../wire/extensions';
import { bytesEqual } from '../../wire/hex';
import { ExtensionType as X, isGrease, PskKeyExchangeMode } from '../../wire/registry';
import { bodyOf, exts, hasExt } from '../context';
import { hex4 } from '../flow';
import { answered, bodiesEqual, extName, isOutcome, serverExtensions } from '../hellos';
import { because } from '../alert-choices';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.3'],
  role: 'client',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'negotiation',
});

export const t13RetryPskRules = [
  rule({
    id: 't13.neg.hrr-group',
    title: 'The HRR group is supported by the client and was not already shared.',
    rfc: 'RFC 8446 §4.2.8',
    versions: ['1.3'],
    role: 'client',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.2.8',
        'Upon receipt of this extension in a HelloRetryRequest, the client MUST verify that (1) the selected_group field corresponds to a group which was provided in the "supported_groups" extension in the original ClientHello and (2) the selected_group field does not correspond to a group which was provided in the "key_share" extension in the original ClientHello. If either of these checks fails, then the client MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    needs: ['hrr', 'client-hello'],
    check(ctx) {
      const sel = extensionBody(ctx.hrr.b.extensions, X.key_share, 'key_share_hrr')?.selectedGroup;
      if (sel === undefined) return notApplicable('The HelloRetryRequest selects no group.');
      const groups = extensionBody(ctx.ch.b.extensions, X.supported_groups, 'supported_groups')?.groups ?? [];
      const shares = extensionBody(ctx.ch.b.extensions, X.key_share, 'key_share_client')?.shares.map((s) => s.group) ?? [];
      if (!groups.includes(sel))
        return violation(`HRR group ${hex4(sel)} not in supported_groups.`, {
          message: ctx.hrr.m.index,
          expected: groups.map(hex4).join(','),
          actual: hex4(sel),
        });
      if (shares.includes(sel))
        return violation(`HRR group ${hex4(sel)} already had a key share.`, {
          message: ctx.hrr.m.index,
          expected: 'a group without a share',
          actual: hex4(sel),
        });
      return pass(`HRR group ${hex4(sel)} is valid.`, { message: ctx.hrr.m.index });
    },
  }),
  rule({
    id: 't13.neg.hrr-must-change',
    title: 'A HelloRetryRequest asks for a change of the ClientHello.',
    rfc: 'RFC 8446 §4.1.4',
    versions: ['1.3'],
    role: 'client',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.1.4',
        'Clients MUST abort the handshake with an "illegal_parameter" alert if the HelloRetryRequest would not result in any change in the ClientHello.',
      ),
    ],
    needs: ['hrr'],
    check(ctx) {
      const e = exts(ctx.hrr);
      const sel = extensionBody(e, X.key_share, 'key_share_hrr')?.selectedGroup;
      const shares = ctx.ch
        ? (extensionBody(ctx.ch.b.extensions, X.key_share, 'key_share_client')?.shares.map((s) => s.group) ?? [])
        : [];
      const changes =
        (sel !== undefined && !shares.includes(sel)) ||
        hasExt(e, X.cookie) ||
        e.some((x) => x.type !== X.supported_versions && x.type !== X.key_share);
      return changes
        ? pass('The HelloRetryRequest requests a change.', { message: ctx.hrr.m.index })
        : violation('The HelloRetryRequest would not change the ClientHello.', {
            message: ctx.hrr.m.index,
            expected: 'a new key_share group or a cookie',
            actual: 'nothing to change',
          });
    },
  }),
  rule({
    id: 't13.neg.ch2-rules',
    title: 'The second ClientHello repeats the first except for the changes HRR allows.',
    rfc: 'RFC 8446 §4.1.2, §4.2.2',
    versions: ['1.3'],
    role: 'client',
    alerts: ['illegal_parameter'],
    needs: ['hrr'],
    check(ctx) {
      const { ch, ch2, hrr } = ctx;
      if (!ch || !ch2) return inconclusive('The two ClientHellos are not both decoded.');
      const i = ch2.m.index;
      if (
        ch.b.legacyVersion !== ch2.b.legacyVersion ||
        !bytesEqual(ch.b.random, ch2.b.random) ||
        !bytesEqual(ch.b.sessionId, ch2.b.sessionId)
      )
        return violation('The second ClientHello changed legacy_version, random or legacy_session_id.', { message: i });
      if (
        ch.b.cipherSuites.join() !== ch2.b.cipherSuites.join() ||
        ch.b.compressionMethods.join() !== ch2.b.compressionMethods.join()
      )
        return violation('The second ClientHello changed the cipher suites or compression methods.', { message: i });
      const e1 = exts(ch);
      const e2 = exts(ch2);
      if (hasExt(e2, X.early_data))
        return violation('The second ClientHello offers early_data.', {
          message: i,
          expected: 'no early_data',
          actual: 'early_data',
        });
      const cookie = extensionBody(hrr.b.extensions, X.cookie, 'cookie');
      const cookie2 = extensionBody(e2, X.cookie, 'cookie');
      if (cookie && (!cookie2 || !bytesEqual(cookie.cookie, cookie2.cookie)))
        return violation('The second ClientHello does not echo the HRR cookie exactly.', {
          message: i,
          expected: 'cookie from HelloRetryRequest',
          actual: cookie2 ? 'different cookie' : 'absent',
        });
      if (!cookie && cookie2) return violation('The second ClientHello has a cookie the HRR did not send.', { message: i });
      const sel = extensionBody(hrr.b.extensions, X.key_share, 'key_share_hrr')?.selectedGroup;
      const ks2 = extensionBody(e2, X.key_share, 'key_share_client');
      if (sel !== undefined && (ks2?.shares.length !== 1 || ks2.shares[0]!.group !== sel))
        return violation(`The second ClientHello does not carry exactly one share for ${hex4(sel)}.`, {
          message: i,
          expected: hex4(sel),
          actual: ks2 ? ks2.shares.map((s) => hex4(s.group)).join(',') : 'none',
        });
      const free = new Set<number>([X.key_share, X.early_data, X.cookie, X.pre_shared_key, X.padding]);
      const rest1 = e1.filter((x) => !free.has(x.type));
      const rest2 = e2.filter((x) => !free.has(x.type));
      // what changed, named exactly: an extension added or removed, then one whose body changed, then the order
      const added = rest2.filter((x) => !rest1.some((y) => y.type === x.type));
      const removed = rest1.filter((x) => !rest2.some((y) => y.type === x.type));
      if (added.length || removed.length)
        return violation(
          `The second ClientHello ${[
            added.length ? `adds ${added.map((x) => extName(x.type)).join(', ')}` : '',
            removed.length ? `removes ${removed.map((x) => extName(x.type)).join(', ')}` : '',
          ]
            .filter((x) => x)
            .join(' and ')}.`,
          {
            message: i,
            expected: rest1.map((x) => extName(x.type)).join(','),
            actual: rest2.map((x) => extName(x.type)).join(','),
          },
        );
      for (const x of rest1) {
        const y = rest2.find((z) => z.type === x.type)!;
        if (!isGrease(x.type) && !bodiesEqual(x.body, y.body))
          return violation(`The second ClientHello changed ${extName(x.type)}.`, {
            message: i,
            expected: `${extName(x.type)} as in the first ClientHello`,
            actual: `${extName(x.type)} changed`,
          });
      }
      // RFC 8446 §4.1.2: "the client MUST send the same ClientHello without modification, except as follows" (new
      // key_share, early_data removed, cookie added, pre_shared_key updated, padding changed); a new order of the
      // other extensions is a modification the list does not allow, so it is a violation, named as a reordering
      if (rest1.some((x, k) => rest2[k]!.type !== x.type))
        return violation('The second ClientHello reorders its extensions (same extensions, same contents, another order).', {
          message: i,
          expected: rest1.map((x) => extName(x.type)).join(','),
          actual: rest2.map((x) => extName(x.type)).join(','),
        });
      return pass('The second ClientHello keeps the first except for the allowed changes.', { message: i });
    },
  }),
  rule({
    id: 't13.neg.hrr-sh-consistency',
    title: 'After HRR the ServerHello keeps suite and version, and shares the HRR group.',
    rfc: 'RFC 8446 §4.1.4, §4.2.8',
    versions: ['1.3'],
    role: 'client',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.1.4',
        'Upon receiving the ServerHello, clients MUST check that the cipher suite supplied in the ServerHello is the same as that in the HelloRetryRequest and otherwise abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    needs: ['hrr', 'server-hello'],
    check(ctx) {
      const { hrr, sh } = ctx;
      if (hrr.b.cipherSuite !== sh.b.cipherSuite)
        return violation('ServerHello changed the cipher suite chosen in HRR.', {
          message: sh.m.index,
          expected: hex4(hrr.b.cipherSuite),
          actual: hex4(sh.b.cipherSuite),
        });
      const v1 = extensionBody(hrr.b.extensions, X.supported_versions, 'supported_versions_server')?.version;
      const v2 = extensionBody(sh.b.extensions, X.supported_versions, 'supported_versions_server')?.version;
      if (v1 !== v2)
        return violation('ServerHello changed the version chosen in HRR.', {
          message: sh.m.index,
          expected: `${v1}`,
          actual: `${v2}`,
        });
      const sel = extensionBody(hrr.b.extensions, X.key_share, 'key_share_hrr')?.selectedGroup;
      const g = extensionBody(sh.b.extensions, X.key_share, 'key_share_server')?.share.group;
      if (sel !== undefined && g !== undefined && sel !== g)
        return violation('ServerHello key share group differs from the HRR group.', {
          message: sh.m.index,
          expected: hex4(sel),
          actual: hex4(g),
        });
      return pass('ServerHello is consistent with the HelloRetryRequest.', { message: sh.m.index });
    },
  }),
  rule({
    id: 't13.neg.psk-ext-last',
    title: 'pre_shared_key is the last ClientHello extension.',
    rfc: ['RFC 8446 §4.2', 'RFC 8446 §4.2.11'],
    versions: ['1.3'],
    role: 'client',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.2.11',
        'Servers MUST check that it is the last extension and otherwise fail the handshake with an "illegal_parameter" alert.',
      ),
    ],
    check(ctx) {
      const out: Outcome[] = [];
      for (const ch of [ctx.ch, ctx.ch2]) {
        if (!ch) continue;
        const e = exts(ch);
        const i = e.findIndex((x) => x.type === X.pre_shared_key);
        if (i < 0) continue;
        out.push(
          i === e.length - 1
            ? pass('pre_shared_key is last.', { message: ch.m.index })
            : violation(`pre_shared_key is extension ${i + 1} of ${e.length}.`, {
                message: ch.m.index,
                expected: 'last',
                actual: `position ${i + 1}`,
              }),
        );
      }
      return out.length
        ? out
        : ctx.ch
          ? notApplicable('No pre_shared_key offered.')
          : inconclusive('The ClientHello is not decoded.');
    },
  }),
  rule({
    id: 't13.neg.psk-modes',
    title: 'A PSK offer has psk_key_exchange_modes; the server uses a listed mode and never sends the modes.',
    rfc: 'RFC 8446 §4.2.9, §9.2',
    versions: ['1.3'],
    role: 'both',
    alerts: ['missing_extension'],
    check(ctx) {
      const ch = answered(ctx);
      if (!ch) return inconclusive('The ClientHello is not decoded.');
      if (!hasExt(exts(ch), X.pre_shared_key)) return notApplicable('No PSK offered.');
      const modes = extensionBody(ch.b.extensions, X.psk_key_exchange_modes, 'psk_key_exchange_modes');
      if (!modes)
        return violation('pre_shared_key without psk_key_exchange_modes.', {
          message: ch.m.index,
          expected: 'psk_key_exchange_modes',
          actual: 'absent',
        });
      if (!ctx.sh) return inconclusive('The ServerHello is not decoded.');
      if (hasExt(exts(ctx.sh), X.psk_key_exchange_modes))
        return violation('The server sent psk_key_exchange_modes.', { message: ctx.sh.m.index });
      if (!hasExt(exts(ctx.sh), X.pre_shared_key))
        return pass('Modes offered; the server did not accept the PSK.', { message: ch.m.index });
      const dhe = hasExt(exts(ctx.sh), X.key_share);
      if (dhe && !modes.modes.includes(1)) return violation('psk_dhe_ke used but not offered.', { message: ctx.sh.m.index });
      if (!dhe && !modes.modes.includes(0)) return violation('psk_ke used but not offered.', { message: ctx.sh.m.index });
      return pass('The PSK mode used was offered.', { message: ctx.sh.m.index });
    },
  }),
  rule({
    id: 't13.neg.psk-selected-identity',
    title:
      'selected_identity indexes an offered identity; one binder per identity; a key_share when the client offered only psk_dhe_ke.',
    rfc: 'RFC 8446 §4.2.11',
    versions: ['1.3'],
    role: 'client',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.2.11',
        'Clients MUST verify that the server\'s selected_identity is within the range supplied by the client, that the server selected a cipher suite indicating a Hash associated with the PSK, and that a server "key_share" extension is present if required by the ClientHello "psk_key_exchange_modes" extension. If these values are not consistent, the client MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    check(ctx) {
      const ch = answered(ctx);
      if (!ch) return inconclusive('The ClientHello is not decoded.');
      const psk = extensionBody(ch.b.extensions, X.pre_shared_key, 'pre_shared_key_client');
      if (!psk) return notApplicable('No PSK offered.');
      if (psk.binders.length !== psk.identities.length)
        return violation('The number of binders differs from the number of identities.', {
          message: ch.m.index,
          expected: `${psk.identities.length}`,
          actual: `${psk.binders.length}`,
        });
      const sel = ctx.sh
        ? extensionBody(ctx.sh.b.extensions, X.pre_shared_key, 'pre_shared_key_server')?.selectedIdentity
        : undefined;
      if (sel === undefined) return pass('Binders match identities; no PSK selected.', { message: ch.m.index });
      if (sel >= psk.identities.length)
        return violation(`Selected identity ${sel} is out of range.`, {
          message: ctx.sh!.m.index,
          expected: `< ${psk.identities.length}`,
          actual: `${sel}`,
        });
      // "... and that a server "key_share" extension is present if required by the ClientHello "psk_key_exchange_modes"
      // extension": a client that lists psk_dhe_ke alone requires it
      const modes = extensionBody(ch.b.extensions, X.psk_key_exchange_modes, 'psk_key_exchange_modes')?.modes ?? [];
      if (modes.length && !modes.includes(PskKeyExchangeMode.psk_ke) && !hasExt(exts(ctx.sh!), X.key_share))
        return violation(
          `The server selected identity ${sel} without a key_share, while the client's psk_key_exchange_modes (${modes.join(', ')}) require one (psk_dhe_ke only).`,
          { message: ctx.sh!.m.index, expected: 'key_share', actual: 'absent' },
        );
      return pass(`Selected identity ${sel} was offered.`, { message: ctx.sh!.m.index });
    },
  }),
  rule({
    id: 't13.early.replay-once',
    title: 'A server instance accepts the 0-RTT data of one ClientHello at most once.',
    rfc: 'RFC 8446 §8',
    role: 'server',
    evidence: 'keys',
    // no alert: a replayed ClientHello is a valid message, answered with a 1-RTT handshake (RFC 8446 §4.2.10: the server
    // may "Ignore the extension and return a regular 1-RTT response")
    alerts: [],
    overrides: {
      checklist:
        'RFC 8446 §8: "The server MUST ensure that any instance of it (be it a machine, a thread, or any other entity within the relevant serving infrastructure) would accept 0-RTT for the same 0-RTT handshake at most once; this limits the number of replays to the number of server instances in the deployment." The checklist has no anti-replay rule.',
    },
    needs: ['client-hello'],
    check(ctx) {
      if (!hasExt(exts(ctx.ch!), X.early_data)) return notApplicable('No early data offered.');
      const raw = ctx.ch!.m.raw;
      const before = ctx.earlier.find((e) => e.ch && raw && e.ch.m.raw && bytesEqual(e.ch.m.raw, raw));
      if (!before) return notApplicable('No earlier connection sent this ClientHello: not a replay.');
      const accepted = (c: { steps: typeof ctx.steps }): boolean | undefined => {
        const ee = c.steps.find((s) => s.sym === 'encrypted_extensions');
        const b = ee && bodyOf(ee.m);
        return b?.type === 'encrypted_extensions' ? hasExt(b.extensions, X.early_data) : undefined;
      };
      const [first, again] = [accepted(before), accepted(ctx)];
      if (first === undefined || again === undefined)
        return inconclusive('An EncryptedExtensions is not readable: whether the server accepted the 0-RTT data is unknown.');
      if (!first || !again)
        return pass(
          `The replayed ClientHello's 0-RTT data was accepted ${first || again ? 'once' : 'neither time'} (the ${first ? 'replay' : 'original'} was answered 1-RTT).`,
          { message: ctx.ch!.m.index },
        );
      const detail =
        'The server accepted the 0-RTT data of the same ClientHello twice (early_data in both EncryptedExtensions; RFC 8446 §8: "The server MUST ensure that any instance of it ... would accept 0-RTT for the same 0-RTT handshake at most once").';
      // the breach is the server's: its EncryptedExtensions that accepted the replay's 0-RTT data
      const ee = ctx.steps.find((s) => s.sym === 'encrypted_extensions')?.m.index ?? ctx.ch!.m.index;
      if (ctx.options.oneServerInstance) return violation(detail, { message: ee });
      return {
        ...inconclusive(
          'The 0-RTT data of a replayed ClientHello was accepted twice; whether one server instance answered both is not known.',
          {
            message: ctx.ch!.m.index,
          },
        ),
        notice: { kind: 'early-data-replay-accepted', detail, message: ctx.ch!.m.index },
      };
    },
  }),
  rule({
    id: 't13.neg.early-data',
    title: 'early_data goes with a PSK, not in the second ClientHello, and is accepted only for identity 0.',
    rfc: 'RFC 8446 §4.2.10, §4.2.11',
    versions: ['1.3'],
    role: 'both',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.2.11',
        'If the server supplies an "early_data" extension, the client MUST verify that the server\'s selected_identity is 0. If any other value is returned, the client MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    needs: ['client-hello'],
    check(ctx) {
      const e = exts(ctx.ch);
      if (!hasExt(e, X.early_data)) return notApplicable('No early data offered.');
      if (!hasExt(e, X.pre_shared_key))
        return violation('early_data offered without pre_shared_key.', { message: ctx.ch.m.index });
      if (ctx.ch2 && hasExt(exts(ctx.ch2), X.early_data))
        return violation('early_data in the second ClientHello.', { message: ctx.ch2.m.index });
      const ee = serverExtensions(ctx);
      if (isOutcome(ee)) return ee;
      if (!hasExt(ee.exts, X.early_data))
        return pass('Early data offered with a PSK and not accepted.', { message: ctx.ch.m.index });
      const sel = ctx.sh
        ? extensionBody(ctx.sh.b.extensions, X.pre_shared_key, 'pre_shared_key_server')?.selectedIdentity
        : undefined;
      return sel === 0
        ? pass('Early data accepted for identity 0.', { message: ee.m.index })
        : violation('Early data accepted with a selected identity other than 0.', {
            message: ee.m.index,
            expected: '0',
            actual: `${sel}`,
          });
    },
  }),
];
