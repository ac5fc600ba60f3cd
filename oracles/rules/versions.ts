/**
 * Version negotiation: what the server selects against what the client
 * offers (legacy_version, supported_versions), SSL 3.0, the fallback SCSV
 * and the downgrade sentinels.
 */
import { extensionBody } from '../../wire/extensions';
import { bytesEqual } from '../../wire/hex';
import {
  ContentType,
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  ProtocolVersion,
  SCSV,
  ExtensionType as X,
  isGrease,
} from '../../wire/registry';
import { type AlertName, VERSION_CODE } from '../../wire/vocabulary';
import { because } from '../alert-choices';
import { hex4 } from '../flow';
import { isUnreadable } from '../context';
import { receiverReaction } from '../receiver';
import { answered, offers13, supportedVersions } from '../hellos';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const T12 = hex4(VERSION_CODE['1.2']);
const T13 = hex4(VERSION_CODE['1.3']);

const rule = declarer({
  versions: ['1.2', '1.3'],
  role: 'server',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'negotiation',
});

export const versionRules = [
  rule({
    id: 'ver.t12.server-version',
    title: 'The server never picks a version above what the client offered.',
    rfc: 'RFC 5246 §7.4.1.3, App. E.1',
    versions: ['1.2'],
    alerts: [
      because(
        'protocol_version',
        'RFC 5246 App. E.1',
        'If the version chosen by the server is not supported by the client (or not acceptable), the client MUST send a "protocol_version" alert message and close the connection.',
      ),
    ],
    needs: ['hellos'],
    check(ctx) {
      // RFC 5246 §7.4.1.3: "server_version: This field will contain the lower of that suggested by the client in the
      // client hello and the highest supported by the server." A TLS 1.2 server reads client_version (legacy_version);
      // supported_versions is RFC 8446's, judged for servers that implement TLS 1.3 by ver.t13.server-selection.
      const v = ctx.sh.b.legacyVersion;
      return v <= ctx.ch.b.legacyVersion
        ? pass(`The server version ${hex4(v)} does not exceed client_version ${hex4(ctx.ch.b.legacyVersion)}.`, {
            message: ctx.sh.m.index,
          })
        : violation('The server chose a version above client_version.', {
            message: ctx.sh.m.index,
            expected: `<= ${hex4(ctx.ch.b.legacyVersion)}`,
            actual: hex4(v),
          });
    },
  }),
  rule({
    id: 'ver.no-ssl3',
    title: 'SSL 3.0 and older are never offered or negotiated.',
    rfc: 'RFC 8446 App. D.5; RFC 7568',
    versions: ['1.2', '1.3'],
    role: 'both',
    alerts: ['protocol_version'],
    check(ctx) {
      const out: Outcome[] = [];
      for (const h of [ctx.ch, ctx.sh])
        if (h)
          out.push(
            h.b.legacyVersion <= ProtocolVersion.SSL3
              ? violation(`A hello with legacy_version ${hex4(h.b.legacyVersion)}.`, {
                  message: h.m.index,
                  expected: `>= ${hex4(ProtocolVersion.TLS1_0)}`,
                  actual: hex4(h.b.legacyVersion),
                })
              : pass('Hello version above SSL 3.0.', { message: h.m.index }),
          );
      const rec = ctx.t.records.find((r) => r.version < ProtocolVersion.SSL3);
      if (rec)
        out.push(
          violation(`Record ${rec.index} has version ${hex4(rec.version)}.`, {
            expected: `>= ${hex4(ProtocolVersion.SSL3)}`,
            actual: hex4(rec.version),
          }),
        );
      return out.length ? out : inconclusive('The hellos are not decoded.');
    },
  }),
  rule({
    id: 'ver.fallback-scsv',
    title: 'A server that supports a higher version than a fallback ClientHello offers refuses it with inappropriate_fallback.',
    rfc: 'RFC 7507 §3',
    versions: ['1.2'],
    alerts: ['inappropriate_fallback'],
    needs: ['client-hello'],
    judgesReceiver: true,
    check(ctx) {
      if (!ctx.ch.b.cipherSuites.includes(SCSV.TLS_FALLBACK_SCSV))
        return notApplicable('No TLS_FALLBACK_SCSV in the ClientHello.');
      const refused = ctx.t.messages.find((m) => m.dir === 'S->C' && m.alert?.description === 86);
      if (refused) return pass('The server refused the fallback with inappropriate_fallback.', { message: refused.index });
      if (!ctx.sh) return inconclusive('The ServerHello is not decoded.');
      const tail = ctx.sh.b.random.subarray(24);
      // The downgrade sentinel shows that the server supports a version above the one it negotiated.
      if (bytesEqual(tail, DOWNGRADE_TLS12) || bytesEqual(tail, DOWNGRADE_TLS11))
        return violation(
          'The server accepted a fallback ClientHello although its downgrade sentinel shows it supports a higher version.',
          { message: ctx.sh.m.index, expected: 'inappropriate_fallback alert', actual: 'server_hello' },
        );
      return inconclusive(
        'The server accepted the fallback; whether it supports a higher version cannot be seen in this transcript.',
        { message: ctx.sh.m.index },
      );
    },
  }),
  rule({
    id: 'ver.downgrade-sentinel-set',
    title: 'A 1.3-capable server negotiating 1.2 marks ServerHello.random; a TLS 1.3 ServerHello never does.',
    rfc: 'RFC 8446 §4.1.3',
    versions: ['1.2', '1.3'],
    needs: ['hellos'],
    check(ctx) {
      const tail = ctx.sh.b.random.subarray(24);
      const s12 = bytesEqual(tail, DOWNGRADE_TLS12);
      const s11 = bytesEqual(tail, DOWNGRADE_TLS11);
      const i = ctx.sh.m.index;
      if (ctx.version === '1.3')
        return s12 || s11
          ? violation('A TLS 1.3 ServerHello carries a downgrade sentinel.', { message: i })
          : pass('No sentinel in the TLS 1.3 ServerHello.', { message: i });
      if (s11)
        return violation('TLS 1.2 negotiated but the random ends with the TLS 1.1 sentinel.', {
          message: i,
          expected: 'DOWNGRD\\x01 or none',
          actual: 'DOWNGRD\\x00',
        });
      if (!offers13(ctx.ch.b)) return notApplicable('The client did not offer TLS 1.3.');
      return s12
        ? pass('The TLS 1.2 ServerHello carries the TLS 1.2 sentinel.', { message: i })
        : inconclusive('No sentinel: a violation only if the server supports TLS 1.3, which one transcript cannot show.', {
            message: i,
          });
    },
  }),
  rule({
    id: 'ver.t13.legacy-version-fields',
    title: `TLS 1.3 hellos keep legacy_version at ${T12}.`,
    rfc: ['RFC 8446 §4.1.2', 'RFC 8446 §4.1.3', 'RFC 8446 §4.2.1'],
    versions: ['1.3'],
    role: 'both',
    check(ctx) {
      const out: Outcome[] = [];
      for (const h of [ctx.ch, ctx.ch2, ctx.hrr, ctx.sh])
        if (h)
          out.push(
            h.b.legacyVersion === VERSION_CODE['1.2']
              ? pass(`legacy_version is ${T12}.`, { message: h.m.index })
              : violation(`legacy_version is ${hex4(h.b.legacyVersion)}.`, {
                  message: h.m.index,
                  expected: T12,
                  actual: hex4(h.b.legacyVersion),
                }),
          );
      return out.length ? out : inconclusive('The hellos are not decoded.');
    },
  }),
  rule({
    id: 'ver.t13.supported-versions-client',
    title: `A client prepared to negotiate TLS 1.3 lists ${T13} in supported_versions.`,
    rfc: ['RFC 8446 §4.2.1', 'RFC 8446 §9.2'],
    versions: ['1.3'],
    role: 'client',
    needs: ['client-hello'],
    check(ctx) {
      const ch = ctx.ch;
      if (offers13(ch.b)) return pass(`supported_versions lists ${T13}.`, { message: ch.m.index });
      // RFC 8446 §4.2.1: "Implementations of this specification MUST send this extension in the ClientHello containing
      // all versions of TLS which they are prepared to negotiate (for this specification, that means minimally 0x0304 ...)".
      // A ClientHello without 0x0304 is a violation only where the client shows itself prepared to negotiate TLS 1.3.
      const sv = supportedVersions(ch.b);
      const shown: string[] = [];
      if (!sv && ch.b.legacyVersion >= VERSION_CODE['1.3'])
        shown.push(`it asks for ${hex4(ch.b.legacyVersion)} through legacy_version, without supported_versions`);
      if (extensionBody(ch.b.extensions, X.key_share, 'key_share_client') !== undefined)
        shown.push('it sends key_share, an extension of TLS 1.3 only (RFC 8446 §4.2)');
      if (ctx.sh && ctx.previous === undefined) {
        const r = receiverReaction(ctx, ctx.sh.m, (m) =>
          (m.kind === 'handshake' || m.kind === 'application_data') && !isUnreadable(m)
            ? `${m.type}, message ${m.index}`
            : undefined,
        );
        if (r.kind === 'went-on') shown.push(`it went on with the TLS 1.3 handshake (${r.what})`);
      }
      if (shown.length)
        return violation(
          `The client is prepared to negotiate TLS 1.3 (${shown.join('; ')}) but its supported_versions does not list ${T13}.`,
          { message: ch.m.index, expected: `${T13} in supported_versions`, actual: sv ? sv.map(hex4).join(',') : 'absent' },
        );
      // Otherwise the server chose a version the client did not offer: the server's violation (ver.t13.server-selection,
      // or ver.t13.no-13-in-renegotiation in a renegotiation); the client's answer is ver.client-accepts-version's.
      return notApplicable(
        `The client did not offer TLS 1.3 and shows no sign of being prepared to negotiate it: TLS 1.3 here is the server's choice (ver.t13.server-selection), the client's answer ver.client-accepts-version's.`,
        { message: ch.m.index },
      );
    },
  }),
  rule({
    id: 'ver.t13.server-selection',
    title: 'The server selects a version from supported_versions, or at most TLS 1.2 without it.',
    rfc: ['RFC 8446 §4.2.1', 'RFC 8446 App. D.2'],
    versions: ['1.2', '1.3'],
    alerts: [
      because(
        'protocol_version',
        'RFC 8446 App. D.1',
        'If the version chosen by the server is not supported by the client (or is not acceptable), the client MUST abort the handshake with a "protocol_version" alert.',
      ),
      because(
        'illegal_parameter',
        'RFC 8446 §4.2.1',
        'If the "supported_versions" extension in the ServerHello contains a version not offered by the client or contains a version prior to TLS 1.3, the client MUST abort the handshake with an "illegal_parameter" alert.',
        ['1.3'],
      ),
    ],
    overrides: {
      alerts:
        'a TLS 1.3 ServerHello whose supported_versions selects a version the client did not offer is answered with illegal_parameter (RFC 8446 §4.2.1 "the client MUST abort the handshake with an "illegal_parameter" alert"), a legacy ServerHello with protocol_version (RFC 8446 App. D.1); the checklist names only the latter',
    },
    needs: ['hellos'],
    check(ctx) {
      const ch = answered(ctx)!;
      const sv = supportedVersions(ch.b);
      const selected = extensionBody(ctx.sh.b.extensions, X.supported_versions, 'supported_versions_server')?.version;
      const v = selected ?? ctx.sh.b.legacyVersion;
      const tail = ctx.sh.b.random.subarray(24);
      const sentinel = bytesEqual(tail, DOWNGRADE_TLS12) || bytesEqual(tail, DOWNGRADE_TLS11);
      if (sv && selected === undefined && !sentinel && v <= VERSION_CODE['1.2'])
        // RFC 8446 §4.2.1 ("servers MUST NOT use the ClientHello.legacy_version value for version negotiation and MUST
        // use only the supported_versions extension") binds servers that implement TLS 1.3; RFC 8446 §4.1.3 makes such a
        // server mark a TLS 1.2 ServerHello with the downgrade sentinel. This ServerHello has neither supported_versions
        // nor the sentinel: a TLS 1.2 server (RFC 5246), which ignores the extension (App. D.1 then binds the client:
        // ver.client-accepts-version).
        return notApplicable(
          `The ServerHello (${hex4(v)}, no supported_versions, no downgrade sentinel) is a TLS 1.2 server's, which RFC 8446 §4.2.1 does not bind; the client's answer is judged by ver.client-accepts-version.`,
          { message: ctx.sh.m.index },
        );
      if (sv)
        return sv.includes(v) && !isGrease(v)
          ? pass(`Version ${hex4(v)} was offered.`, { message: ctx.sh.m.index })
          : violation(`Version ${hex4(v)} was not in supported_versions.`, {
              message: ctx.sh.m.index,
              expected: sv.map(hex4).join(','),
              actual: hex4(v),
            });
      const max = Math.min(ch.b.legacyVersion, VERSION_CODE['1.2']);
      return v <= max
        ? pass(`Version ${hex4(v)} without supported_versions.`, { message: ctx.sh.m.index })
        : violation(`Version ${hex4(v)} chosen without supported_versions.`, {
            message: ctx.sh.m.index,
            expected: `<= ${hex4(max)}`,
            actual: hex4(v),
          });
    },
  }),
  rule({
    id: 'ver.t13.sh-supported-versions',
    overrides: {
      alerts:
        'RFC 8446 §4.2.1: "If the "supported_versions" extension in the ServerHello contains a version not offered by the client or contains a version prior to TLS 1.3, the client MUST abort the handshake with an "illegal_parameter" alert." The checklist names no alert for it',
    },
    title: `TLS 1.3 ServerHello/HRR carry supported_versions ${T13}; older ServerHellos do not.`,
    rfc: ['RFC 8446 §4.1.3', 'RFC 8446 §4.1.4', 'RFC 8446 §4.2.1'],
    versions: ['1.2', '1.3'],
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.2.1',
        'If the "supported_versions" extension in the ServerHello contains a version not offered by the client or contains a version prior to TLS 1.3, the client MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    check(ctx) {
      const out: Outcome[] = [];
      for (const h of [ctx.hrr, ctx.sh]) {
        if (!h) continue;
        const sv = extensionBody(h.b.extensions, X.supported_versions, 'supported_versions_server');
        if (ctx.version === '1.3')
          out.push(
            sv?.version === VERSION_CODE['1.3']
              ? pass(`supported_versions is ${T13}.`, { message: h.m.index })
              : violation(`TLS 1.3 hello without supported_versions ${T13}.`, { message: h.m.index }),
          );
        else
          out.push(
            sv
              ? violation('A TLS 1.2 ServerHello carries supported_versions.', {
                  message: h.m.index,
                  expected: 'absent',
                  actual: hex4(sv.version),
                })
              : pass('No supported_versions in the TLS 1.2 ServerHello.', { message: h.m.index }),
          );
      }
      return out.length ? out : inconclusive('The ServerHello is not decoded.');
    },
  }),
  rule({
    id: 'ver.t13.client-check',
    title: 'A client aborts when ServerHello selects a version it did not offer or below TLS 1.3.',
    rfc: 'RFC 8446 §4.2.1',
    versions: ['1.3'],
    role: 'client',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.2.1',
        'If the "supported_versions" extension in the ServerHello contains a version not offered by the client or contains a version prior to TLS 1.3, the client MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    needs: ['hellos'],
    judgesReceiver: true,
    check(ctx) {
      const v = extensionBody(ctx.sh.b.extensions, X.supported_versions, 'supported_versions_server')?.version;
      const sv = supportedVersions(answered(ctx)!.b) ?? [];
      if (v !== undefined && sv.includes(v) && v >= VERSION_CODE['1.3'])
        return notApplicable('The server selected a valid version, so the client check was not exercised.');
      const cont = ctx.t.messages.find((m) => m.dir === 'C->S' && m.index > ctx.sh.m.index && m.kind === 'handshake');
      return cont
        ? violation('The client continued after an invalid selected version.', {
            message: cont.index,
            expected: 'abort with illegal_parameter',
            actual: cont.type,
          })
        : pass('The client did not continue.');
    },
  }),

  rule({
    id: 'ver.client-accepts-version',
    title: 'A client aborts with protocol_version when the server picks a version it did not offer or does not accept.',
    rfc: ['RFC 5246 App. E.1', 'RFC 8446 App. D.1'],
    role: 'client',
    evidence: 'live',
    alerts: [
      because(
        'protocol_version',
        'RFC 8446 App. D.1',
        'If the version chosen by the server is not supported by the client (or is not acceptable), the client MUST abort the handshake with a "protocol_version" alert.',
      ),
    ],
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    needs: ['hellos'],
    judgesReceiver: true,
    check(ctx): Outcome {
      const ch = answered(ctx)!;
      const sv = supportedVersions(ch.b)?.filter((x) => !isGrease(x));
      const selected = extensionBody(ctx.sh.b.extensions, X.supported_versions, 'supported_versions_server')?.version;
      const v = selected ?? ctx.sh.b.legacyVersion;
      const offered = sv ? sv.includes(v) : v <= ch.b.legacyVersion;
      if (offered)
        return notApplicable(`The server picked ${hex4(v)}, a version the client offered.`, { message: ctx.sh.m.index });
      const what = `the server picked ${hex4(v)}, which the client did not offer (${sv ? `supported_versions ${sv.map(hex4).join(', ')}` : `client_version ${hex4(ch.b.legacyVersion)}`})`;
      // RFC 8446 §4.2.1 names illegal_parameter for a supported_versions selection the client did not offer.
      const allowed: AlertName[] = selected !== undefined ? ['protocol_version', 'illegal_parameter'] : ['protocol_version'];
      // A client that offers TLS 1.3 follows RFC 8446 §6.2: it SHOULD send the alert ("abort the handshake with a
      // "protocol_version" alert" means it MUST send that one if it sends any); a TLS 1.2 client MUST send it
      // (RFC 5246 App. E.1 "the client MUST send a "protocol_version" alert message and close the connection").
      const t13Client = !!sv?.includes(VERSION_CODE['1.3']);
      const r = receiverReaction(ctx, ctx.sh.m, (m) =>
        m.kind === 'handshake' || m.kind === 'change_cipher_spec' || m.kind === 'application_data'
          ? `${m.type}, message ${m.index}`
          : undefined,
      );
      switch (r.kind) {
        case 'went-on':
          return violation(`The client went on (${r.what}) although ${what}.`, {
            message: r.m.index,
            expected: 'abort with protocol_version',
            actual: r.m.type,
          });
        case 'alert':
          if (!r.alert)
            return inconclusive(`The client answered with an alert that could not be read; ${what}.`, { message: r.m.index });
          return allowed.includes(r.alert)
            ? pass(`The client aborted with ${r.alert}: ${what}.`, { message: r.m.index })
            : violation(
                `The client aborted with ${r.alert}, not protocol_version (RFC 8446 App. D.1 "the client MUST abort the handshake with a "protocol_version" alert"): ${what}.`,
                { message: r.m.index, expected: allowed.join(' or '), actual: r.alert },
              );
        case 'closed':
          return t13Client
            ? pass(
                `The client closed without an alert (${r.how}), which RFC 8446 §6.2 allows (it SHOULD send protocol_version): ${what}.`,
                {
                  message: ctx.sh.m.index,
                },
              )
            : violation(`The client closed without the protocol_version alert RFC 5246 App. E.1 requires (${r.how}): ${what}.`, {
                message: ctx.sh.m.index,
                expected: 'protocol_version',
                actual: 'no alert',
              });
        case 'unknown':
          return inconclusive(`What the client did is not known (${r.why}); ${what}.`, { message: ctx.sh.m.index });
      }
    },
  }),
  rule({
    id: 'ver.downgrade-sentinel-check',
    title: 'A TLS 1.3 client aborts with illegal_parameter when a TLS 1.2 or older ServerHello carries a downgrade sentinel.',
    rfc: 'RFC 8446 §4.1.3',
    role: 'client',
    evidence: 'live',
    alerts: [
      because(
        'illegal_parameter',
        'RFC 8446 §4.1.3',
        'TLS 1.3 clients receiving a ServerHello indicating TLS 1.2 or below MUST check that the last 8 bytes are not equal to either of these values. [...] If a match is found, the client MUST abort the handshake with an "illegal_parameter" alert.',
      ),
    ],
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    needs: ['hellos'],
    check(ctx) {
      if (ctx.version === '1.3') return notApplicable('TLS 1.3 was negotiated: no downgrade to check.');
      if (!offers13(ctx.ch.b)) return notApplicable('The client did not offer TLS 1.3.');
      const tail = ctx.sh.b.random.subarray(24);
      if (!bytesEqual(tail, DOWNGRADE_TLS12) && !bytesEqual(tail, DOWNGRADE_TLS11))
        return notApplicable('The ServerHello carries no downgrade sentinel.');
      const next = ctx.t.messages.find((m) => m.index > ctx.sh.m.index && m.dir === 'C->S');
      if (!next)
        return inconclusive('The transcript ends before the client answered the ServerHello with the downgrade sentinel.', {
          message: ctx.sh.m.index,
        });
      if (next.kind !== 'alert')
        return violation(`The client went on with ${next.type} after a ServerHello with a downgrade sentinel.`, {
          message: next.index,
          expected: 'abort with illegal_parameter',
          actual: next.type,
        });
      if (!next.alert) return inconclusive('The client answered with an alert that could not be read.', { message: next.index });
      return next.alert.description === 47
        ? pass('The client aborted with illegal_parameter on the downgrade sentinel.', { message: next.index })
        : violation(`The client aborted on the downgrade sentinel with alert ${next.alert.description}, not illegal_parameter.`, {
            message: next.index,
            expected: 'illegal_parameter',
            actual: `${next.alert.description}`,
          });
    },
  }),
  rule({
    id: 'ver.t13.0rtt-needs-13',
    title: 'A client that sent 0-RTT data fails the connection when the server answers with TLS 1.2 or older.',
    rfc: 'RFC 8446 App. D.3',
    // the handshake it judges is the TLS 1.2 one the server answered with
    versions: ['1.2'],
    role: 'client',
    // RFC 8446 App. D.3: "A client that attempts to send 0-RTT data MUST fail a connection if it receives a ServerHello
    // with TLS 1.2 or older." No alert is named: any abort, or a closure, fails the connection. A reaction duty, as
    // ver.downgrade-sentinel-check is: a valid transcript never has it (the server answering 0-RTT data with TLS 1.2 is
    // the input), so it is live, and its check judges a transcript that has it.
    evidence: 'live',
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    overrides: {
      versions:
        'RFC 8446 App. D.3 binds a TLS 1.3 client that sent 0-RTT data, but the handshake it judges negotiated TLS 1.2 (the checklist files it under 1.3, the version of the 0-RTT attempt)',
      evidence:
        "RFC 8446 App. D.3 is the client's reaction to a TLS 1.2 ServerHello after its 0-RTT data, which no valid transcript has: judged live like ver.downgrade-sentinel-check (the check reads the plaintext records of a transcript that has it)",
    },
    needs: ['hellos'],
    check(ctx) {
      if (ctx.version === '1.3') return notApplicable('TLS 1.3 was negotiated.');
      if (!ctx.ch.b.extensions?.some((e) => e.type === X.early_data))
        return notApplicable('The ClientHello did not offer early_data.');
      // 0-RTT data: a message of ours between the ClientHello and the ServerHello that is application data (protected
      // under keys a TLS 1.2 reader does not have: its record's outer type, or an encrypted record it could not read)
      const early = ctx.t.messages.find(
        (m) =>
          m.dir === 'C->S' &&
          m.index > ctx.ch.m.index &&
          m.index < ctx.sh.m.index &&
          (m.kind === 'application_data' ||
            (m.records ?? []).some((i) => ctx.t.records[i]?.contentType === ContentType.application_data)),
      );
      if (!early) return notApplicable('The client sent no 0-RTT data before the ServerHello.');
      const next = ctx.t.messages.find((m) => m.index > ctx.sh.m.index && m.dir === 'C->S');
      if (!next)
        return inconclusive('The transcript ends before the client answered the TLS 1.2 ServerHello to its 0-RTT data.', {
          message: ctx.sh.m.index,
        });
      return next.kind === 'alert'
        ? pass('The client that sent 0-RTT data aborted on the TLS 1.2 ServerHello.', { message: next.index })
        : violation(
            `The client sent 0-RTT data and went on with ${next.type} after a ${hex4(ctx.sh.b.legacyVersion)} ServerHello (RFC 8446 App. D.3: it "MUST fail a connection if it receives a ServerHello with TLS 1.2 or older").`,
            { message: next.index, expected: 'the connection failed', actual: next.type },
          );
    },
  }),
];
