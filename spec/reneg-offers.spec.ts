/**
 * Renegotiations whose ClientHello changes the first one's offer (RENEGOTIATION_OFFER_MUTATIONS,
 * generators/mutations/ops-renegotiation.ts; tlsfuzzer's test-renegotiation-changed-clienthello and the renegotiation
 * probes of test-ocsp-stapling and test-sig-algs-renegotiation-resumption) against one real stack: openssl s_server
 * renegotiating at our request (-client_renegotiation), with an ALPN protocol and an OCSP response to staple, so
 * that what the renegotiating hello leaves out is something the first handshake answered. The server must negotiate
 * the renegotiation from the new hello (RFC 5246 §7.4.1.2) or decline it; the oracles judge the renegotiating
 * ServerHello and ServerKeyExchange against the hello as sent. Every finding is listed with the RFC sentence.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ladderText } from '../fuzz/judge';
import { type FuzzResult, fuzzTarget } from '../fuzz/target';
import { RENEGOTIATION_OFFER_MUTATIONS } from '../generators/mutations/ops-renegotiation';
import { freePort, LOOPBACK, PeerGroup, requireBinary } from '../testing/launch';
import { opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { extensionBody } from '../wire/extensions';
import { ExtensionType as X } from '../wire/registry';

/** A DER OCSPResponse of status tryLater(3) and no responseBytes (RFC 6960 §4.2.1): what s_server -status_file staples. */
const OCSP_TRY_LATER = Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x03);

const NAMES = RENEGOTIATION_OFFER_MUTATIONS.filter((m) => m.where === 'client-sends').map((m) => m.name);
const DROPS_SIGALGS = 't12-reneg-client-drops-sigalgs';
/** The mutations that leave an extension out of the renegotiating ClientHello, and that extension. */
const DROPPED: readonly (readonly [string, number])[] = [
  ['t12-reneg-client-drops-supported-groups', X.supported_groups],
  ['t12-reneg-client-drops-ec-point-formats', X.ec_point_formats],
  ['t12-reneg-client-drops-alpn', X.application_layer_protocol_negotiation],
  ['t12-reneg-client-drops-status-request', X.status_request],
  ['t12-reneg-client-drops-session-ticket', X.session_ticket],
];

let files: PkiFiles;
const group = new PeerGroup();
beforeAll(async () => {
  requireBinary('openssl', 'openssl');
  files = await writePki();
});
afterAll(async () => {
  await group.stopAll();
  expect(group.running()).toEqual([]);
  files?.cleanup();
});

describe('renegotiations that change the offer, against openssl s_server (strictness exact, every name once)', () => {
  it('each is negotiated from the renegotiating ClientHello', async () => {
    const port = await freePort();
    const status = join(files.dir, 'ocsp-try-later.der');
    writeFileSync(status, OCSP_TRY_LATER);
    const p = await group.launch(
      opensslServer({
        port,
        files,
        key: 'rsa',
        version: '1.2',
        extra: ['-client_renegotiation', '-alpn', 'http/1.1,h2', '-status_file', status],
      }),
    );
    let r: FuzzResult;
    try {
      r = await fuzzTarget({
        target: { host: LOOPBACK, port },
        identity: { pki: files.pki, trustAnchors: files.pki.anchors, serverName: 'localhost' },
        budget: { seed: 1, randomRuns: 0, maxShrinkRuns: 0, readTimeoutMs: 3000 },
        profile: { strictness: 'exact', only: NAMES },
      });
    } finally {
      await p.stop();
    }
    expect(r.sanity).toEqual({ first: true, last: true });
    expect(r.skipped).toEqual([]);
    const reneg = r.results.filter((x) => x.conversation.kind === 'reneg' && x.conversation.subject !== undefined);
    expect(reneg.map((x) => x.conversation.subject).sort()).toEqual([...NAMES].sort());
    // OpenSSL 3.0 negotiates each renegotiation from the new hello, and refuses the one without signature_algorithms:
    // the SHA-1 default of RFC 5246 §7.4.1.4.1 is what RFC 9155 §4 forbids in a ServerKeyExchange
    const findings = reneg.filter((x) => x.run.verdict !== 'conforming').map((x) => ladderText(x.run).join('\n'));
    expect(findings).toEqual([]);
    const outcome = Object.fromEntries(reneg.map((x) => [x.conversation.subject, x.alert ?? 'renegotiated']));
    expect(outcome).toEqual({
      ...Object.fromEntries(NAMES.map((n) => [n, 'renegotiated'])),
      [DROPS_SIGALGS]: 'handshake_failure',
    });
    // what each renegotiating ClientHello left out, the first handshake had asked for and the server had answered
    // (ALPN, status_request with a CertificateStatus, ec_point_formats, session_ticket); the renegotiation answers the
    // new hello without it
    for (const [op, ext] of DROPPED) {
      const x = reneg.find((y) => y.conversation.subject === op)!;
      const ms = x.transcript?.messages ?? [];
      const carries = (type: 'client_hello' | 'server_hello') =>
        ms
          .filter((m) => m.type === type)
          .map((m) => {
            const b = m.decoded?.body;
            return (b?.type === 'client_hello' || b?.type === 'server_hello') && (b.extensions ?? []).some((e) => e.type === ext);
          });
      const status = ms.filter((m) => m.type === 'certificate_status').length;
      expect({ op, ch: carries('client_hello'), sh: carries('server_hello') }).toEqual({
        op,
        ch: [true, false],
        // supported_groups is the client's alone (RFC 8422 §5.1: the server sends none)
        sh: ext === X.supported_groups ? [false, false] : [true, false],
      });
      if (ext === X.status_request) expect({ op, status }).toEqual({ op, status: 1 });
    }
    // the protocol each ServerHello selects (ALPN offered http/1.1 first, h2 in the renegotiation: test-alpn-negotiation),
    // and the CertificateStatus of a renegotiation that adds status_request (RFC 6066 §8: the server MAY staple)
    const alpnOf = (op: string) =>
      reneg
        .find((y) => y.conversation.subject === op)
        ?.transcript?.messages.filter((m) => m.type === 'server_hello')
        .map((m) => {
          const b = m.decoded?.body;
          const e =
            b?.type === 'server_hello'
              ? extensionBody(b.extensions, X.application_layer_protocol_negotiation, 'application_layer_protocol_negotiation')
              : undefined;
          return e?.protocols.map((p) => new TextDecoder().decode(p)).join(',') ?? '-';
        });
    // OpenSSL 3.0 selects none in the renegotiation: no finding, a server "MAY return a suitable protocol selection
    // response" (RFC 7301 §3.1), and none from the first hello (ext.alpn.selected-offered would flag http/1.1)
    expect(alpnOf('t12-reneg-client-other-alpn')).toEqual(['http/1.1', '-']);
    const added = reneg.find((y) => y.conversation.subject === 't12-reneg-client-adds-status-request');
    const statusAfter = added?.transcript?.messages
      .filter((m) => m.type === 'client_hello' || m.type === 'certificate_status')
      .map((m) => m.type);
    expect(statusAfter).toEqual(['client_hello', 'client_hello', 'certificate_status']);
    // the renegotiation that offers the connection's session ID (RFC 5246 §7.4.1.2) is resumed: an abbreviated
    // handshake, one server Certificate on the connection (the first handshake's)
    // (and without signature_algorithms too: an abbreviated handshake signs nothing, RFC 5246 §7.3)
    for (const op of ['t12-reneg-client-resumes-session', 't12-reneg-client-resumes-without-sigalgs']) {
      const own = reneg.find((y) => y.conversation.subject === op);
      const flow = own?.transcript?.messages
        .filter((m) => m.type === 'certificate' || m.type === 'client_hello')
        .map((m) => m.type);
      expect({ op, flow }).toEqual({ op, flow: ['client_hello', 'certificate', 'client_hello'] });
    }
    // another group, another scheme: the renegotiation's ServerKeyExchange takes one the new hello offers (a verdict of
    // each rule for each handshake of the connection)
    for (const op of ['t12-reneg-client-other-groups', 't12-reneg-client-other-sigalgs']) {
      const x = reneg.find((y) => y.conversation.subject === op)!;
      const judged = (rule: string) => x.verdicts?.filter((v) => v.rule === rule).map((v) => v.status) ?? [];
      expect({ op, sigalg: judged('t12.neg.ske-sigalg'), curve: judged('ext.ecc.curve-offered') }).toEqual({
        op,
        sigalg: ['pass', 'pass'],
        curve: ['pass', 'pass'],
      });
    }
  });
});
