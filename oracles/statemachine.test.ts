import { type Direction, messageTypeOf } from '../wire/vocabulary';
import { TranscriptBuilder } from '../transcript/build';
import { TLS12, TLS13, closure, expectedNext, roleView, step, walk } from './statemachine';

const names = (e: { dir: string; type: string }[]) => e.map((x) => `${x.dir} ${x.type}`);

describe('TLS 1.2 table', () => {
  it('starts with the client hello and branches on resumption', () => {
    expect(names(expectedNext(TLS12, 'START'))).toEqual(['C->S client_hello']);
    const full = step(TLS12, 'WAIT_SH', { dir: 'S->C', type: 'server_hello' }, { resumed: false });
    expect(full.ok && [...full.states]).toEqual(['WAIT_CERT']);
    const unknown = step(TLS12, 'WAIT_SH', { dir: 'S->C', type: 'server_hello' });
    expect(unknown.ok && [...unknown.states].sort()).toEqual(['R_WAIT_NST_OR_CCS', 'WAIT_CERT']);
  });
  it('knows which server messages a key exchange allows', () => {
    expect(names(expectedNext(TLS12, 'WAIT_CERT', { certKex: true, skeRequired: true, statusAgreed: false }))).toEqual([
      'S->C certificate',
    ]);
    // RSA: no ServerKeyExchange; the status may be stapled
    expect(names(expectedNext(TLS12, 'WAIT_CS', { skeRequired: false, statusAgreed: true, anon: false }))).toEqual([
      'S->C certificate_request',
      'S->C certificate_status',
      'S->C server_hello_done',
    ]);
    expect(names(expectedNext(TLS12, 'WAIT_CS', { skeRequired: true, statusAgreed: false }))).toEqual([
      'S->C server_key_exchange',
    ]);
    // anonymous: no Certificate, no CertificateRequest
    expect(names(expectedNext(TLS12, 'WAIT_CERT', { certKex: false, skeRequired: true, anon: true }))).toEqual([
      'S->C server_key_exchange',
    ]);
    expect(names(expectedNext(TLS12, 'WAIT_CR_OR_SHD', { anon: true }))).toEqual(['S->C server_hello_done']);
  });
  it('names what was expected when a step is refused', () => {
    const r = step(TLS12, 'C_CKE_THEN_CV', { dir: 'C->S', type: 'certificate_verify' });
    expect(r).toMatchObject({ ok: false, error: 'expected one of [C->S client_key_exchange], got C->S certificate_verify' });
  });
  it('a ticket announced in ServerHello makes NewSessionTicket mandatory', () => {
    expect(names(expectedNext(TLS12, 'S_NST_OR_CCS', { ticketExt: true }))).toEqual(['S->C new_session_ticket']);
    expect(names(expectedNext(TLS12, 'S_NST_OR_CCS', { ticketExt: false }))).toEqual(['S->C change_cipher_spec']);
  });
  it('walks an abbreviated handshake and rejects a Certificate in it', () => {
    const seq = (types: string[]) =>
      types.map((t, index) => ({
        dir: (t.startsWith('C:') ? 'C->S' : 'S->C') as Direction,
        type: messageTypeOf(t.slice(2)) ?? 'encrypted_record',
        index,
      }));
    const ok = walk(
      TLS12,
      seq([
        'C:client_hello',
        'S:server_hello',
        'S:change_cipher_spec',
        'S:finished',
        'C:change_cipher_spec',
        'C:finished',
        'C:application_data',
      ]),
      { resumed: true, ticketExt: false },
    );
    expect(ok.violation).toBeUndefined();
    expect([...ok.states]).toEqual(['CONNECTED']);
    const bad = walk(TLS12, seq(['C:client_hello', 'S:server_hello', 'S:certificate']), { resumed: true });
    expect(bad.violation?.index).toBe(2);
  });
  it('has a client and a server view', () => {
    const client = roleView(TLS12, 'client');
    expect(client.find((t) => t.type === 'client_hello')?.action).toBe('send');
    expect(roleView(TLS12, 'server').find((t) => t.type === 'client_hello')?.action).toBe('recv');
  });
});

describe('TLS 1.3 table', () => {
  it('allows one HelloRetryRequest only', () => {
    const a = step(TLS13, 'WAIT_SH', { dir: 'S->C', type: 'hello_retry_request' });
    expect(a.ok && [...a.states]).toEqual(['WAIT_CH2']);
    const b = step(TLS13, 'WAIT_SH2', { dir: 'S->C', type: 'hello_retry_request' });
    expect(b.ok).toBe(false);
  });
  it('skips certificates with a PSK and requires EndOfEarlyData when early data was accepted', () => {
    expect(names(expectedNext(TLS13, 'WAIT_EE', { psk: true, earlyOffered: false }))).toEqual(['S->C encrypted_extensions']);
    const r = step(TLS13, 'WAIT_EE', { dir: 'S->C', type: 'encrypted_extensions' }, { psk: true });
    expect(r.ok && [...r.states]).toEqual(['WAIT_S_FIN']);
    expect(names(expectedNext(TLS13, 'C_FLIGHT', { earlyAccepted: true }))).toContain('C->S end_of_early_data');
    expect(names(expectedNext(TLS13, 'C_FLIGHT', { earlyAccepted: false }))).not.toContain('C->S end_of_early_data');
  });
  it('branches on the client certificate being empty', () => {
    const b = new TranscriptBuilder({ kind: 'manual' });
    b.addMessage({ dir: 'C->S', type: 'certificate', raw: Uint8Array.from([11, 0, 0, 4, 0, 0, 0, 0]) });
    const empty = b.finish().messages[0]!;
    const r = step(TLS13, 'C_CERT', { dir: 'C->S', type: 'certificate', m: empty });
    expect(r.ok && [...r.states]).toEqual(['C_FIN']);
  });
  it('post-handshake CertificateRequest only with post_handshake_auth', () => {
    expect(names(expectedNext(TLS13, 'CONNECTED', { postHandshakeAuth: false }))).not.toContain('S->C certificate_request');
    expect(names(expectedNext(TLS13, 'CONNECTED', { postHandshakeAuth: true }))).toContain('S->C certificate_request');
  });
  it('every state is reachable and every target state exists', () => {
    for (const m of [TLS12, TLS13]) {
      const states = new Set(m.transitions.flatMap((t) => [t.from, t.to]));
      const reach = new Set([m.initial]);
      let grew = true;
      while (grew) {
        grew = false;
        for (const t of m.transitions)
          if (reach.has(t.from) && !reach.has(t.to)) {
            reach.add(t.to);
            grew = true;
          }
      }
      expect([...states].filter((s) => !reach.has(s))).toEqual([]);
      expect(closure(m, [m.initial], {}).has(m.initial)).toBe(true);
    }
  });
});
