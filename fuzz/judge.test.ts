/**
 * The verdict of a live conversation from what the peer did on the wire (fuzz/observe.ts, fuzz/judge.ts), on
 * hand-made transcripts: each message its own record, in the order they crossed the socket.
 */
import { concatBytes } from '../wire/hex';
import type { SocketEnd } from '../engine/socket';
import { mutation } from '../generators/mutations';
import type { RuleId } from '../oracles/catalogue';
import { RENEGOTIATION_DECLINE } from '../oracles/rules/renegotiation';
import type { Verdict } from '../oracles/rule';
import type { Epoch, Transcript, TranscriptMessage, TranscriptRecord } from '../transcript/model';
import type { Direction, MessageKind, MessageType, TlsVersion } from '../wire/vocabulary';
import { appRecordData, classify, type Expectation, expectationOf, judgeConversation } from './judge';
import { type InvalidFrom, observe } from './observe';
import { heldToChain } from './families';
import type { TargetProfile } from './probe';

const C: Direction = 'C->S';
const S: Direction = 'S->C';

interface Step {
  dir: Direction;
  type: MessageType;
  kind?: MessageKind;
  epoch?: Epoch;
  /** Alert: level and description. */
  alert?: [number, number];
  /** Bytes of the record on the wire (default 10). */
  bytes?: number;
}

/** A transcript of these messages, one record each. */
function transcript(steps: readonly Step[]): Transcript {
  const records: TranscriptRecord[] = [];
  const messages: TranscriptMessage[] = [];
  for (const [i, s] of steps.entries()) {
    const epoch = s.epoch ?? 'plaintext';
    const kind: MessageKind =
      s.kind ?? (s.type === 'alert' ? 'alert' : s.type === 'application_data' ? 'application_data' : 'handshake');
    records.push({
      index: i,
      dir: s.dir,
      contentType: kind === 'alert' ? 21 : kind === 'handshake' && epoch === 'plaintext' ? 22 : 23,
      version: 0x0303,
      raw: new Uint8Array(s.bytes ?? 10),
      encrypted: epoch !== 'plaintext',
      epoch,
    });
    const m: TranscriptMessage = {
      index: i,
      dir: s.dir,
      kind,
      type: s.type,
      encrypted: epoch !== 'plaintext',
      epoch,
      records: [i],
    };
    if (s.alert) m.alert = { level: s.alert[0], description: s.alert[1] };
    if (kind === 'application_data') m.raw = new Uint8Array(3);
    messages.push(m);
  }
  return { provenance: { kind: 'live', target: 't', role: 'server' }, records, messages, gaps: [] };
}

const SESSION = {
  version: 0x0303,
  cipherSuite: 0xc02f,
  extendedMasterSecret: true,
  encryptThenMac: false,
  peerCertificates: [],
  masterSecret: new Uint8Array(0),
};
const closedAfterSession: SocketEnd = { kind: 'closed', outcome: { kind: 'closed', session: SESSION } };
const closedHandshaking: SocketEnd = { kind: 'closed', outcome: { kind: 'handshaking', state: 'WAIT' } };
const timedOut: SocketEnd = { kind: 'timed_out', afterMs: 250, overall: false, outcome: { kind: 'handshaking', state: 'WAIT' } };
const alertEnd = (d: number): SocketEnd => ({
  kind: 'closed',
  outcome: { kind: 'alert_received', alert: { level: 2, description: d }, state: 'WAIT' },
});

const TLS12_FULL_CLIENT: Step[] = [
  { dir: C, type: 'client_hello' },
  { dir: S, type: 'server_hello' },
  { dir: S, type: 'certificate' },
  { dir: S, type: 'server_key_exchange' },
  { dir: S, type: 'certificate_request' },
  { dir: S, type: 'server_hello_done' },
  { dir: C, type: 'certificate' },
  { dir: C, type: 'client_key_exchange' },
  { dir: C, type: 'certificate_verify' },
  { dir: C, type: 'change_cipher_spec', kind: 'change_cipher_spec' },
  { dir: C, type: 'finished', epoch: 'application' },
];

const REQUIRES_CERT: TargetProfile = {
  suites: { '1.2': [0xc02f], '1.3': [0x1301] },
  certificateRequested: true,
  clientCertRequired: true,
};

const certFault = (version: TlsVersion, name = 'client-cert-expired'): Expectation =>
  expectationOf(mutation(name), version, 'server');

/** Judge a transcript of our client (C->S) against a server, with our invalid input at `from`. */
function judgeClient(
  steps: readonly Step[],
  expect: Expectation,
  end: SocketEnd,
  from: InvalidFrom | undefined,
  version: TlsVersion = '1.2',
  peer: Verdict[] = [],
) {
  const t = transcript(steps);
  return judgeConversation(expect, { transcript: t, verdicts: peer, peer }, { version, ours: C, from, end }, 'exact');
}

describe('a TLS 1.3 server answers our ClientHello with its whole first flight before it reads what follows', () => {
  const first: Step[] = [
    { dir: C, type: 'client_hello', bytes: 200 },
    // our invalid record right after the ClientHello (e.g. an unknown content type)
    { dir: C, type: 'application_data', bytes: 8 },
    { dir: S, type: 'server_hello' },
    { dir: S, type: 'encrypted_extensions', epoch: 'handshake' },
    { dir: S, type: 'certificate', epoch: 'handshake' },
    { dir: S, type: 'certificate_verify', epoch: 'handshake' },
    { dir: S, type: 'finished', epoch: 'handshake' },
  ];
  const expect13 = (): Expectation => expectationOf(mutation('t13-client-finished-wrong'), '1.3', 'server');
  it('its Finished followed by its error alert: the alert decides (no acceptance)', () => {
    const j = judgeClient(
      [...first, { dir: S, type: 'alert', epoch: 'handshake', alert: [2, 10] }],
      expect13(),
      alertEnd(10),
      { bytes: 200 },
      '1.3',
    );
    expect(j.verdict).not.toBe('accepted-invalid');
    expect(j.alert).toBe('unexpected_message');
  });
  it('its first flight and then a ticket, no alert: it went on', () => {
    const j = judgeClient(
      [...first, { dir: C, type: 'finished', epoch: 'handshake' }, { dir: S, type: 'new_session_ticket', epoch: 'application' }],
      expect13(),
      closedAfterSession,
      { bytes: 200 },
      '1.3',
    );
    expect(j.verdict).toBe('accepted-invalid');
  });
});

describe('TLS 1.2 RSA premaster (t12.rsa.no-oracle, notBefore finished): an alert before our Finished answered the premaster', () => {
  const upToCcs: Step[] = [
    { dir: C, type: 'client_hello' },
    { dir: S, type: 'server_hello' },
    { dir: S, type: 'certificate' },
    { dir: S, type: 'server_hello_done' },
    { dir: C, type: 'client_key_exchange' },
    { dir: C, type: 'change_cipher_spec', kind: 'change_cipher_spec' },
  ];
  const badRecordMac: Step = { dir: S, type: 'alert', alert: [2, 20] };
  const expectRsa = (): Expectation => expectationOf(mutation('t12-rsa-premaster-block-type-1'), '1.2', 'server');
  it('the alert after our ChangeCipherSpec, our Finished held back: wrong-alert (RFC 5246 §7.4.7.1)', () => {
    const j = judgeClient([...upToCcs, badRecordMac], expectRsa(), alertEnd(20), { message: 'client_key_exchange' });
    expect(j.verdict).toBe('wrong-alert');
    expect(j.rule).toBe('t12.rsa.no-oracle');
  });
  it('the same alert after our Finished: the Finished failure, conforming', () => {
    const j = judgeClient(
      [...upToCcs, { dir: C, type: 'finished', epoch: 'application' }, badRecordMac],
      expectRsa(),
      alertEnd(20),
      { message: 'client_key_exchange' },
    );
    expect(j.verdict).toBe('conforming');
  });
});

describe('TLS 1.2: the server answers our Finished before it reads an invalid record we sent after it', () => {
  const flight: Step[] = [...TLS12_FULL_CLIENT, { dir: C, type: 'change_cipher_spec', kind: 'change_cipher_spec' }];
  const answer: Step[] = [
    { dir: S, type: 'change_cipher_spec', kind: 'change_cipher_spec' },
    { dir: S, type: 'finished', epoch: 'application' },
  ];
  // our records before the extra ChangeCipherSpec: ClientHello, Certificate, ClientKeyExchange, CertificateVerify,
  // ChangeCipherSpec, Finished (10 bytes each)
  const from = { bytes: 60 };
  it('its ChangeCipherSpec and Finished, then its error alert: the alert decides', () => {
    const j = judgeClient(
      [...flight, ...answer, { dir: S, type: 'alert', epoch: 'application', alert: [2, 10] }],
      expectationOf(mutation('t12-early-client-ccs'), '1.2', 'server'),
      alertEnd(10),
      from,
    );
    expect(j.verdict).toBe('conforming');
    expect(j.alert).toBe('unexpected_message');
  });
  it('its ChangeCipherSpec and Finished, then a close without an alert: no acceptance shown, a silent close', () => {
    // its CCS and Finished answer our Finished (RFC 5246 §7.3), which came before the extra ChangeCipherSpec: nothing
    // of the peer answers what came after it (no data), so the close without the alert RFC 5246 §7.2.2 asks for is
    // the finding, not acceptance
    const j = judgeClient(
      flight.concat(answer),
      expectationOf(mutation('t12-early-client-ccs'), '1.2', 'server'),
      closedAfterSession,
      from,
    );
    expect(j.verdict).toBe('no-alert');
  });
});

describe('a completed handshake is accepted, whatever happens after (issue #14 item 1)', () => {
  it('a server that sent its Finished and echoed our data after our invalid certificate, then closed with close_notify, accepted it', () => {
    const steps: Step[] = [
      ...TLS12_FULL_CLIENT,
      { dir: S, type: 'change_cipher_spec', kind: 'change_cipher_spec' },
      { dir: S, type: 'finished', epoch: 'application' },
      { dir: C, type: 'application_data', epoch: 'application' },
      { dir: S, type: 'application_data', epoch: 'application' },
      { dir: S, type: 'alert', epoch: 'application', alert: [1, 0] },
    ];
    // the probe found that the target refuses a client without a certificate
    const held = heldToChain(certFault('1.2'), REQUIRES_CERT);
    const j = judgeClient(steps, held, closedAfterSession, { message: 'certificate' });
    expect(j.verdict).toBe('accepted-invalid');
    expect(j.rule).toBe('cert.path.validity');
    expect(j.detail).toMatch(/its ChangeCipherSpec.*then closed with close_notify.*refuses a client without a certificate/);
    // a target that also goes on without any client certificate may have gone on "considering the client
    // unauthenticated" (RFC 5246 §7.4.6): nothing on the wire says otherwise
    for (const target of [
      { ...REQUIRES_CERT, clientCertRequired: false },
      { ...REQUIRES_CERT, clientCertRequired: undefined },
    ]) {
      const { clientCertRequired, ...rest } = target;
      const open = judgeClient(
        steps,
        heldToChain(certFault('1.2'), clientCertRequired === undefined ? rest : target),
        closedAfterSession,
        { message: 'certificate' },
      );
      expect(open.verdict).toBe('conforming');
      expect(open.detail).toMatch(/RFC 5246 §7\.4\.6/);
    }
  });

  it('the server that only closed with close_notify, without its Finished, did not accept: a silent rejection (no-alert)', () => {
    const steps: Step[] = [...TLS12_FULL_CLIENT, { dir: S, type: 'alert', alert: [1, 0] }];
    const j = judgeClient(steps, certFault('1.2'), closedHandshaking, { message: 'certificate' });
    expect(j.verdict).toBe('no-alert');
    expect(j.rule).toBe('alert.t12.must-send');
  });

  it('the Finished a TLS 1.3 server sent before our invalid flight is no acceptance; its ticket after it is', () => {
    const first: Step[] = [
      { dir: C, type: 'client_hello' },
      { dir: S, type: 'server_hello' },
      { dir: S, type: 'encrypted_extensions', epoch: 'handshake' },
      { dir: S, type: 'certificate_request', epoch: 'handshake' },
      { dir: S, type: 'certificate', epoch: 'handshake' },
      { dir: S, type: 'certificate_verify', epoch: 'handshake' },
      { dir: S, type: 'finished', epoch: 'handshake' },
      { dir: C, type: 'certificate', epoch: 'handshake' },
      { dir: C, type: 'certificate_verify', epoch: 'handshake' },
      { dir: C, type: 'finished', epoch: 'handshake' },
    ];
    const refused = judgeClient(
      [...first, { dir: S, type: 'alert', epoch: 'handshake', alert: [2, 45] }],
      certFault('1.3'),
      alertEnd(45),
      { message: 'certificate' },
    );
    expect(refused.verdict).toBe('conforming');
    const accepted = judgeClient(
      [...first, { dir: S, type: 'new_session_ticket', epoch: 'application' }],
      expectationOf(mutation('client-cert-expired'), '1.3', 'server'),
      closedAfterSession,
      { message: 'certificate' },
      '1.3',
    );
    // TLS 1.3 lets a server go on without client authentication after an unacceptable chain (RFC 8446 §4.4.2.4)
    expect(accepted.verdict).toBe('conforming');
    expect(accepted.detail).toMatch(/RFC 8446 §4\.4\.2\.4/);
    // unless the target refuses clients without a certificate: then its ticket shows it accepted the chain
    const held = judgeClient(
      [...first, { dir: S, type: 'new_session_ticket', epoch: 'application' }],
      heldToChain(expectationOf(mutation('client-cert-expired'), '1.3', 'server'), REQUIRES_CERT),
      closedAfterSession,
      { message: 'certificate' },
      '1.3',
    );
    expect(held.verdict).toBe('accepted-invalid');
    expect(held.rule).toBe('cert.path.validity');
    const fin = judgeClient(
      [
        ...first.slice(0, 7),
        { dir: C, type: 'finished', epoch: 'handshake' },
        { dir: S, type: 'new_session_ticket', epoch: 'application' },
      ],
      expectationOf(mutation('t13-client-finished-wrong'), '1.3', 'server'),
      closedAfterSession,
      { bytes: 10 },
      '1.3',
    );
    expect(fin.verdict).toBe('accepted-invalid');
    expect(fin.rule).toBe('t13.fin.verify-data');
  });
});

describe('a peer that went on after an invalid key share accepted it (item 2)', () => {
  it('its protected flight after its ServerHello, which we cannot open, is acceptance, not "flagged"', () => {
    const steps: Step[] = [
      { dir: C, type: 'client_hello' },
      { dir: S, type: 'server_hello' },
      { dir: S, type: 'encrypted_record', kind: 'application_data', epoch: 'handshake' },
      { dir: C, type: 'alert', alert: [2, 20] },
    ];
    const end: SocketEnd = {
      kind: 'done',
      outcome: { kind: 'alert_sent', alert: { level: 2, description: 20 }, reason: 'bad record', state: 'WAIT_EE' },
    };
    const j = judgeClient(steps, expectationOf(mutation('t13-keyshare-y-flipped'), '1.3', 'server'), end, { bytes: 0 }, '1.3');
    expect(j.verdict).toBe('accepted-invalid');
    expect(j.rule).toBe('ecdh.point-on-curve');
  });

  it('a ServerHello answered by its own alert at once is a rejection, not acceptance', () => {
    const steps: Step[] = [
      { dir: C, type: 'client_hello' },
      { dir: S, type: 'server_hello' },
      { dir: S, type: 'alert', alert: [2, 47] },
    ];
    const j = judgeClient(
      steps,
      expectationOf(mutation('t13-keyshare-y-flipped'), '1.3', 'server'),
      alertEnd(47),
      { bytes: 0 },
      '1.3',
    );
    expect(j.verdict).toBe('conforming');
  });
});

describe('acceptance that shows in a ServerHello or a ticket', () => {
  it('a ServerHello (or HelloRetryRequest) after a ClientHello the server must refuse is acceptance, unless its own alert follows', () => {
    const none = expectationOf(mutation('t13-keyshare-y-flipped'), '1.3', 'server');
    const went = judgeClient(
      [
        { dir: C, type: 'client_hello' },
        { dir: S, type: 'server_hello' },
      ],
      none,
      closedHandshaking,
      { bytes: 0 },
      '1.3',
    );
    expect(went).toMatchObject({ verdict: 'accepted-invalid' });
    expect(went.detail).toMatch(/its ServerHello/);
  });
  it("a ticket answers our valid Finished; the peer's alert about what came after it decides", () => {
    const steps: Step[] = [
      { dir: C, type: 'client_hello' },
      { dir: S, type: 'server_hello' },
      { dir: S, type: 'finished', epoch: 'handshake' },
      { dir: C, type: 'finished', epoch: 'handshake' },
      { dir: C, type: 'change_cipher_spec', kind: 'change_cipher_spec' },
      { dir: S, type: 'new_session_ticket', epoch: 'application' },
      { dir: S, type: 'alert', epoch: 'application', alert: [2, 10] },
    ];
    const ccs = expectationOf(mutation('t13-ccs-after-handshake'), '1.3', 'server');
    const j = judgeClient(steps, ccs, alertEnd(10), { bytes: 20 }, '1.3');
    expect(j).toMatchObject({ verdict: 'conforming', alert: 'unexpected_message' });
    // the ticket answers our Finished, sent before the ChangeCipherSpec: alone it shows nothing about the latter
    const silent = judgeClient(steps.slice(0, 6), ccs, closedAfterSession, { bytes: 20 }, '1.3');
    expect(silent.verdict).not.toBe('accepted-invalid');
    expect(silent.observation.wentOn).toBeUndefined();
    // data answering our data sent after the ChangeCipherSpec: the peer read past it and went on
    const went = judgeClient(
      [
        ...steps.slice(0, 6),
        { dir: C, type: 'application_data', epoch: 'application' },
        { dir: S, type: 'application_data', epoch: 'application' },
      ],
      ccs,
      closedAfterSession,
      { bytes: 20 },
      '1.3',
    );
    expect(went.verdict).toBe('accepted-invalid');
  });
});

describe('a peer answering what came before our pipelined invalid record has not gone on', () => {
  // test-tls13-empty-alert: our ClientHello, then at once a zero-length alert record; the server's flight answers the
  // ClientHello and may be on its way before the server reads the alert record
  const flight: Step[] = [
    { dir: C, type: 'client_hello' },
    { dir: C, type: 'alert', bytes: 5 },
    { dir: S, type: 'server_hello' },
    { dir: S, type: 'encrypted_extensions', epoch: 'handshake' },
    { dir: S, type: 'certificate', epoch: 'handshake' },
    { dir: S, type: 'certificate_verify', epoch: 'handshake' },
    { dir: S, type: 'finished', epoch: 'handshake' },
  ];
  const empty = expectationOf(mutation('empty-alert-record'), '1.3', 'server');
  it("the server's Finished answering our ClientHello, then its alert for the empty record: conforming", () => {
    const steps: Step[] = [...flight, { dir: S, type: 'alert', epoch: 'handshake', alert: [2, 10] }];
    const j = judgeClient(steps, empty, alertEnd(10), { bytes: 10 }, '1.3');
    expect(j.observation.wentOn).toBeUndefined();
    expect(j).toMatchObject({ verdict: 'conforming', alert: 'unexpected_message' });
  });
  it('the same flight, then data answering ours sent after the invalid record: accepted-invalid', () => {
    const steps: Step[] = [
      ...flight,
      { dir: C, type: 'finished', epoch: 'handshake' },
      { dir: C, type: 'application_data', epoch: 'application' },
      { dir: S, type: 'application_data', epoch: 'application' },
    ];
    const j = judgeClient(steps, empty, closedAfterSession, { bytes: 10 }, '1.3');
    expect(j.verdict).toBe('accepted-invalid');
    expect(j.detail).toMatch(/application data/);
  });
  it('a record of an unknown content type after our ClientHello, kept as data, is no message the flight answers', () => {
    const t = transcript([...flight, { dir: S, type: 'alert', epoch: 'handshake', alert: [2, 10] }]);
    // test-no-heartbeat: content type 24, which the transcript keeps as data of ours
    t.messages[1] = { ...t.messages[1]!, kind: 'application_data', type: 'application_data', raw: new Uint8Array(3) };
    t.records[1] = { ...t.records[1]!, contentType: 24 };
    const heartbeat = expectationOf(mutation('heartbeat-record'), '1.3', 'server');
    const j = judgeConversation(
      heartbeat,
      { transcript: t, verdicts: [], peer: [] },
      { version: '1.3', ours: C, from: { bytes: 10 }, end: alertEnd(10) },
      'exact',
    );
    expect(j.observation.wentOn).toBeUndefined();
    expect(j).toMatchObject({ verdict: 'conforming', alert: 'unexpected_message' });
  });
  it('a second ticket after our invalid data record answers our Finished, not the record', () => {
    const steps: Step[] = [
      ...flight,
      { dir: C, type: 'finished', epoch: 'handshake' },
      { dir: S, type: 'new_session_ticket', epoch: 'application' },
      { dir: C, type: 'application_data', epoch: 'application' },
      { dir: S, type: 'new_session_ticket', epoch: 'application' },
    ];
    const overflow = expectationOf(mutation('t13-ciphertext-overflow'), '1.3', 'server');
    const j = judgeClient(steps.slice(0, 1).concat(steps.slice(2)), overflow, closedAfterSession, { bytes: 20 }, '1.3');
    expect(j.observation.wentOn).toBeUndefined();
  });
  it("valid input, the peer's flight, then our abort for its message: flagged, not a silent close", () => {
    const steps: Step[] = [flight[0]!, ...flight.slice(2)];
    const sent: SocketEnd = {
      kind: 'closed',
      outcome: { kind: 'alert_sent', alert: { level: 2, description: 109 }, reason: 'no signature_algorithms', state: 'WAIT' },
    };
    const legacy = expectationOf(mutation('t13-ch-legacy-version-0301'), '1.3', 'server');
    expect(legacy.kind).toBe('complete');
    const j = judgeClient(steps, legacy, sent, { bytes: 0 }, '1.3');
    expect(j.verdict).toBe('flagged');
    expect(j.detail).toMatch(/missing_extension/);
  });
  it('a TLS 1.2 ChangeCipherSpec after ours pipelined after our Finished answers the Finished', () => {
    const steps: Step[] = [
      ...TLS12_FULL_CLIENT,
      { dir: C, type: 'change_cipher_spec', kind: 'change_cipher_spec', epoch: 'application' },
      { dir: S, type: 'change_cipher_spec', kind: 'change_cipher_spec' },
      { dir: S, type: 'finished', epoch: 'application' },
      { dir: S, type: 'alert', epoch: 'application', alert: [2, 10] },
    ];
    const twice = expectationOf(mutation('t12-ccs-after-finished'), '1.2', 'server');
    const j = judgeClient(steps, twice, alertEnd(10), { bytes: 110 });
    expect(j).toMatchObject({ verdict: 'conforming', alert: 'unexpected_message' });
  });
  it('our invalid input inside a message the peer answers: its answer counts', () => {
    // our ClientHello in two records, the invalid input in its second: the ServerHello needs it
    const t = transcript([
      { dir: C, type: 'client_hello' },
      { dir: C, type: 'client_hello' },
      { dir: S, type: 'server_hello' },
      { dir: S, type: 'finished', epoch: 'handshake' },
    ]);
    t.messages = [{ ...t.messages[0]!, records: [0, 1] }, ...t.messages.slice(2)];
    const flipped = expectationOf(mutation('t13-keyshare-y-flipped'), '1.3', 'server');
    const j = judgeConversation(
      flipped,
      { transcript: t, verdicts: [], peer: [] },
      { version: '1.3', ours: C, from: { bytes: 10 }, end: closedHandshaking },
      'exact',
    );
    expect(j.verdict).toBe('accepted-invalid');
    expect(j.detail).toMatch(/its Finished/);
  });
});

describe("flagged names the target's own violation (item 3)", () => {
  it('a record the peer protected with the wrong keys explains the unreadable alert: flagged under that rule', () => {
    const steps: Step[] = [
      { dir: C, type: 'client_hello' },
      { dir: S, type: 'server_hello' },
      { dir: S, type: 'finished', epoch: 'handshake' },
      { dir: C, type: 'finished', epoch: 'handshake' },
      { dir: S, type: 'encrypted_record', kind: 'application_data', epoch: 'application' },
    ];
    const own: Verdict = {
      rule: 'rec.t13.app-keys-after-finished' as RuleId,
      status: 'violation',
      message: 4,
      detail: 'record 4 after the server Finished opens with the server handshake traffic key',
    };
    const j = judgeClient(
      steps,
      expectationOf(mutation('t13-client-finished-wrong'), '1.3', 'server'),
      { kind: 'closed', outcome: { kind: 'connected', session: SESSION } },
      { bytes: 20 },
      '1.3',
      [own],
    );
    expect(j.verdict).toBe('flagged');
    expect(j.rule).toBe(own.rule);
  });
});

describe('a silent close where the RFC demands an alert (item 4)', () => {
  const reject = expectationOf(mutation('t12-cv-sig-corrupt'), '1.2', 'server');
  const steps: Step[] = [...TLS12_FULL_CLIENT];
  it('TLS 1.2: no-alert under alert.t12.must-send (MUST), a failure by default, kept out by alert-or-close', () => {
    const obs = observe(transcript(steps), {
      version: '1.2',
      ours: C,
      from: { message: 'certificate_verify' },
      end: closedHandshaking,
    });
    const c = classify(reject, obs, 'exact');
    expect(c).toMatchObject({ verdict: 'no-alert', rule: 'alert.t12.must-send' });
    expect(c.detail).toMatch(/MUST finding: RFC 5246 §7\.2\.2/);
    expect(classify(reject, obs, 'alert-or-close').verdict).toBe('conforming');
  });
  it('TLS 1.3: no-alert under alert.t13.should-send, said to be a SHOULD finding', () => {
    const r13 = expectationOf(mutation('t13-client-finished-wrong'), '1.3', 'server');
    const obs = observe(transcript([{ dir: C, type: 'client_hello' }]), {
      version: '1.3',
      ours: C,
      from: { bytes: 0 },
      end: closedHandshaking,
    });
    expect(classify(r13, obs, 'exact')).toMatchObject({ verdict: 'no-alert', rule: 'alert.t13.should-send' });
    expect(classify(r13, obs, 'exact').detail).toMatch(/SHOULD finding: RFC 8446 §6\.2/);
  });
  it('an incomplete flow may wait or close; a timeout elsewhere is hung', () => {
    const obs = observe(transcript(steps), { version: '1.2', ours: C, from: { message: 'finished' }, end: timedOut });
    expect(classify({ ...reject, silenceOk: true } as Expectation, obs, 'exact').verdict).toBe('conforming');
    expect(classify(reject, obs, 'exact').verdict).toBe('hung');
  });
});

describe('alerts the RFC allows are not wrong-alerts (item 5)', () => {
  const t = (d: number) =>
    observe(transcript([...TLS12_FULL_CLIENT.slice(0, 7), { dir: S, type: 'alert', alert: [2, d] }]), {
      version: '1.2',
      ours: C,
      from: { message: 'certificate' },
      end: alertEnd(d),
    });
  it.each([
    ['client-cert-expired', 45, 'certificate_expired'],
    ['client-cert-expired', 46, 'certificate_unknown'],
    ['client-cert-unknown-ca', 48, 'unknown_ca'],
    ['client-cert-unknown-ca', 46, 'certificate_unknown'],
    ['client-cert-wrong-key', 42, 'bad_certificate'],
    ['client-cert-wrong-key', 51, 'decrypt_error'],
    ['client-cert-wrong-key', 46, 'certificate_unknown'],
  ])('%s answered with %s (%s) is conforming', (name, code) => {
    expect(classify(certFault('1.2', name), t(code), 'exact').verdict).toBe('conforming');
  });
  it('an alert the text does not permit is a wrong alert (access_denied: "A valid certificate was received")', () => {
    expect(classify(certFault('1.2'), t(80), 'exact')).toMatchObject({ verdict: 'wrong-alert', alert: 'internal_error' });
    expect(classify(certFault('1.2'), t(49), 'exact')).toMatchObject({ verdict: 'wrong-alert', alert: 'access_denied' });
    expect(classify(certFault('1.2', 'client-cert-unknown-ca'), t(42), 'exact').verdict).toBe('wrong-alert');
  });
});

describe('a post-handshake input of our server (a broken TLS 1.3 NewSessionTicket)', () => {
  const reject = expectationOf(mutation('t13-nst-empty-ticket'), '1.3', 'client');
  const hs: Step[] = [
    { dir: C, type: 'client_hello' },
    { dir: S, type: 'server_hello' },
    { dir: S, type: 'finished', epoch: 'handshake' },
    { dir: C, type: 'finished', epoch: 'handshake' },
  ];
  const nst: Step = { dir: S, type: 'new_session_ticket', epoch: 'application' };
  const data: Step = { dir: C, type: 'application_data', epoch: 'application' };
  const connected: SocketEnd = { kind: 'done', outcome: { kind: 'connected', session: SESSION } };
  // bytes of ours before the ticket: two records of 10 bytes
  const run = (steps: Step[], end: SocketEnd = connected) =>
    observe(transcript(steps), { version: '1.3', ours: S, from: { bytes: 20 }, end });
  it("the client's data may have crossed our ticket: its decode_error after the data decides (conforming)", () => {
    const obs = run([...hs, nst, data, { dir: C, type: 'alert', epoch: 'application', alert: [2, 50] }], alertEnd(50));
    expect(obs).toMatchObject({ alert: 'decode_error' });
    expect(obs.wentOn).toBeUndefined();
    expect(classify(reject, obs, 'exact').verdict).toBe('conforming');
  });
  it('data and no alert after it: accepted-invalid', () => {
    const obs = run([...hs, nst, data]);
    expect(obs.wentOn).toMatch(/application data/);
    expect(classify(reject, obs, 'exact').verdict).toBe('accepted-invalid');
  });
  it('a client that closed before our ticket went out, or at once after data that may have crossed it, shows nothing about it', () => {
    const close: Step = { dir: C, type: 'alert', epoch: 'application', alert: [1, 0] };
    expect(run([...hs, data, close, nst]).closedBefore).toBe(true);
    const crossed = run([...hs, nst, data, close]);
    expect([crossed.closedBefore, crossed.wentOn]).toEqual([true, undefined]);
    expect(run([...hs, nst, data]).closedBefore).toBeUndefined();
  });
});

describe('a TLS 1.2 renegotiation (RFC 5746): completed, declined with no_renegotiation, or refused', () => {
  const connected: SocketEnd = { kind: 'done', outcome: { kind: 'connected', session: SESSION } };
  const stalled: SocketEnd = {
    kind: 'timed_out',
    afterMs: 250,
    overall: false,
    outcome: { kind: 'connected', session: SESSION },
  };
  const first: Step[] = [
    ...TLS12_FULL_CLIENT,
    { dir: S, type: 'change_cipher_spec', kind: 'change_cipher_spec' },
    { dir: S, type: 'finished', epoch: 'application' },
  ];
  const renegotiating: Step = { dir: C, type: 'client_hello', epoch: 'application' };
  const decline: Step = { dir: S, type: 'alert', epoch: 'application', alert: [1, 100] };
  const accepted: Step[] = [
    { dir: S, type: 'server_hello', epoch: 'application' },
    { dir: S, type: 'certificate', epoch: 'application' },
    { dir: S, type: 'server_hello_done', epoch: 'application' },
    { dir: C, type: 'client_key_exchange', epoch: 'application' },
    { dir: C, type: 'change_cipher_spec', kind: 'change_cipher_spec', epoch: 'application' },
    { dir: C, type: 'finished', epoch: 'application' },
    { dir: S, type: 'change_cipher_spec', kind: 'change_cipher_spec', epoch: 'application' },
  ];
  const valid: Expectation = { kind: 'complete', decline: RENEGOTIATION_DECLINE.server };
  const reneg = (
    steps: readonly Step[],
    expect: Expectation,
    end: SocketEnd,
    from: InvalidFrom | undefined,
    renegotiated: boolean,
  ) =>
    judgeConversation(
      expect,
      { transcript: transcript(steps), verdicts: [], peer: [] },
      { version: '1.2', ours: C, from, end, renegotiated },
      'exact',
    );
  // our invalid input: the renegotiating ClientHello, after the 6 records (10 bytes each) we sent in the first handshake
  const atRenegotiation: InvalidFrom = { bytes: 60 };
  it('a valid renegotiation: completed, or declined with the warning (RFC 5246 §7.2.2); a stall is hung', () => {
    expect(reneg([...first, renegotiating, ...accepted], valid, connected, undefined, true).verdict).toBe('conforming');
    const declined = reneg([...first, renegotiating, decline], valid, connected, undefined, false);
    expect(declined).toMatchObject({ verdict: 'conforming' });
    expect(declined.detail).toMatch(/declined the renegotiation with the warning no_renegotiation \(RFC 5246 §7\.2\.2/);
    // the first handshake completed, the renegotiation did not: no completed handshake to judge by
    expect(reneg([...first, renegotiating], valid, stalled, undefined, false).verdict).toBe('hung');
    // without the leave to decline, a declined handshake is no completed one
    expect(reneg([...first, renegotiating, decline], { kind: 'complete' }, connected, undefined, false).verdict).not.toBe(
      'conforming',
    );
  });
  it('a renegotiation without renegotiation_info: refused with handshake_failure or declined; going on accepts it', () => {
    const e = { ...expectationOf(mutation('t12-reneg-client-no-ri'), '1.2', 'server'), decline: RENEGOTIATION_DECLINE.server };
    expect(e).toMatchObject({ kind: 'reject', alerts: ['handshake_failure', 'illegal_parameter'] });
    const fatal = (d: number): Step => ({ dir: S, type: 'alert', epoch: 'application', alert: [2, d] });
    expect(reneg([...first, renegotiating, fatal(40)], e, alertEnd(40), atRenegotiation, false).verdict).toBe('conforming');
    expect(reneg([...first, renegotiating, fatal(10)], e, alertEnd(10), atRenegotiation, false).verdict).toBe('wrong-alert');
    expect(reneg([...first, renegotiating, decline], e, connected, atRenegotiation, false).verdict).toBe('conforming');
    const went = reneg([...first, renegotiating, ...accepted], e, connected, atRenegotiation, true);
    expect(went).toMatchObject({ verdict: 'accepted-invalid', rule: 'ext.reneg.secure' });
    expect(went.detail).toMatch(/its ChangeCipherSpec/);
  });
  it("the server's application data during the renegotiation (under the previous keys) is not going on", () => {
    const e = { ...expectationOf(mutation('t12-reneg-client-no-ri'), '1.2', 'server'), decline: RENEGOTIATION_DECLINE.server };
    const data: Step = { dir: S, type: 'application_data', epoch: 'application' };
    const fatal: Step = { dir: S, type: 'alert', epoch: 'application', alert: [2, 40] };
    expect(reneg([...first, renegotiating, data, fatal], e, alertEnd(40), atRenegotiation, false).verdict).toBe('conforming');
    // the same data after an invalid input of the first handshake is going on
    const plain = expectationOf(mutation('t12-cv-sig-corrupt'), '1.2', 'server');
    expect(judgeClient([...TLS12_FULL_CLIENT, data], plain, closedAfterSession, { message: 'certificate_verify' }).verdict).toBe(
      'accepted-invalid',
    );
  });
});

describe('the lengths family: valid application data records after the handshake (rec.appdata-up-to-limit)', () => {
  const records = [{ length: 1 }, { length: 16 }, { length: 16384 }];
  const expect13: Expectation = { kind: 'complete', rules: ['rec.appdata-up-to-limit'], appRecords: records };
  const sent = (): Uint8Array => concatBytes(appRecordData(records));
  const steps = (after: Step[]): Step[] => [
    ...TLS12_FULL_CLIENT,
    { dir: S, type: 'change_cipher_spec', kind: 'change_cipher_spec' },
    { dir: S, type: 'finished', epoch: 'application' },
    { dir: C, type: 'application_data', epoch: 'application' },
    { dir: C, type: 'application_data', epoch: 'application' },
    { dir: C, type: 'application_data', epoch: 'application' },
    ...after,
  ];
  const judge = (after: Step[], end: SocketEnd, received?: Uint8Array) =>
    judgeConversation(
      expect13,
      { transcript: transcript(steps(after)), verdicts: [], peer: [] },
      { version: '1.2', ours: C, from: undefined, end, ...(received ? { received } : {}) },
      'exact',
    );
  const done: SocketEnd = { kind: 'done', outcome: { kind: 'closed', session: SESSION } };

  it('an echo of every byte: conforming, and said', () => {
    const j = judge([{ dir: S, type: 'application_data', epoch: 'application' }], done, sent());
    expect(j.verdict).toBe('conforming');
    expect(j.detail).toMatch(/echoed 16401 of the 16401 bytes of our application data records of 1, 16, 16384 bytes intact/);
  });

  it('an echo that differs names the record and its length', () => {
    const bad = sent();
    bad[1 + 16 + 100] = bad[1 + 16 + 100]! ^ 1;
    const j = judge([{ dir: S, type: 'application_data', epoch: 'application' }], done, bad);
    expect({ verdict: j.verdict, rule: j.rule }).toEqual({ verdict: 'flagged', rule: 'rec.appdata-up-to-limit' });
    expect(j.detail).toBe(
      "the peer's echo differs from our application data records of 1, 16, 16384 bytes at byte 117: byte 100 of our record #3 of 16384 bytes",
    );
  });

  it('data that is no echo (a greeting): not compared', () => {
    const j = judge([{ dir: S, type: 'application_data', epoch: 'application' }], done, new TextEncoder().encode('hello\n'));
    expect(j.verdict).toBe('conforming');
  });

  it('an alert after the records: wrong-alert naming the lengths', () => {
    const j = judge([{ dir: S, type: 'alert', epoch: 'application', alert: [2, 22] }], alertEnd(22));
    expect({ verdict: j.verdict, rule: j.rule }).toEqual({ verdict: 'wrong-alert', rule: 'rec.appdata-up-to-limit' });
    expect(j.detail).toMatch(/record_overflow \(after our application data records of 1, 16, 16384 bytes\)$/);
  });

  it('a bare close after the records: wrong-alert; a close_notify is an orderly closure (RFC 8446 §6.1)', () => {
    const bare = judge([], closedAfterSession);
    expect({ verdict: bare.verdict, rule: bare.rule }).toEqual({ verdict: 'wrong-alert', rule: 'rec.appdata-up-to-limit' });
    expect(bare.detail).toMatch(
      /^the peer closed the connection without an alert after our application data records of 1, 16, 16384 bytes/,
    );
    expect(judge([{ dir: S, type: 'alert', epoch: 'application', alert: [1, 0] }], closedAfterSession).verdict).toBe(
      'conforming',
    );
    // a reset is a reset (as for any valid conversation), under the same rule
    const reset = judge([], { kind: 'reset', error: 'ECONNRESET', outcome: { kind: 'closed', session: SESSION } });
    expect({ verdict: reset.verdict, rule: reset.rule }).toEqual({ verdict: 'reset', rule: 'rec.appdata-up-to-limit' });
  });
});

describe('a client that aborts after our invalid ServerHello encrypts its alert under keys we do not share', () => {
  // our server's ML-KEM ciphertext flipped: the client decapsulates another secret (FIPS 203 implicit rejection), so
  // its handshake keys differ from ours; RFC 8446 §6: its alert is protected under them
  const judgeServerSide = (clientRecordBytes: number, op = 't13-mlkem-server-ciphertext-flipped') => {
    const steps: Step[] = [
      { dir: C, type: 'client_hello', bytes: 300 },
      { dir: S, type: 'server_hello', bytes: 1200 },
      { dir: S, type: 'encrypted_record', kind: 'application_data', epoch: 'handshake', bytes: 900 },
      { dir: C, type: 'change_cipher_spec', kind: 'change_cipher_spec', bytes: 6 },
      { dir: C, type: 'encrypted_record', kind: 'application_data', epoch: 'handshake', bytes: clientRecordBytes },
    ];
    const t = transcript(steps);
    const expect = expectationOf(mutation(op), '1.3', 'client');
    return judgeConversation(
      expect,
      { transcript: t, verdicts: [], peer: [] },
      { version: '1.3', ours: S, from: { message: 'server_hello' }, end: closedHandshaking },
      'exact',
    );
  };

  it('a record of 5 + 2 + 1 + 16 bytes holds an alert and nothing else: a rejection whose alert cannot be read', () => {
    const j = judgeServerSide(5 + 2 + 1 + 16);
    expect(j.verdict).toBe('conforming');
    expect(j.detail).toMatch(/alert protected under keys derived from our invalid input/);
  });

  it('the same record after a ServerHello the client must refuse as it reads it is acceptance: it derived keys from it', () => {
    // RFC 8446 §4.2.11: a selected_identity out of range is refused with illegal_parameter at the ServerHello, before any
    // key is derived from it; an alert protected under keys of its making shows the client went past it
    const j = judgeServerSide(5 + 2 + 1 + 16, 't13-psk-selected-identity-unoffered');
    expect(j.verdict).toBe('accepted-invalid');
    expect(j.detail).toMatch(/too short for any handshake message/);
  });

  it('a record that can hold its Finished (4 + 32 bytes) is the client going on: acceptance', () => {
    const j = judgeServerSide(5 + 4 + 32 + 1 + 16);
    expect(j.verdict).toBe('accepted-invalid');
  });
});
