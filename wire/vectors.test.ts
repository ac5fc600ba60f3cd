import { SHARED, sharedCases, snake, vectorFiles } from '../spec/support/shared';
import { TranscriptBuilder } from '../transcript/build';
import { encodeHandshake } from './handshake';
import { fromHex } from './hex';

/**
 * Every handshake message of the published vectors and of the real
 * captures (tshark's decrypted bytes) decodes without findings and
 * re-encodes to exactly the same bytes, decoded in the context the
 * handshake itself negotiates.
 */
function checkSequence(messages: Array<{ dir: 'C->S' | 'S->C'; hex: string; name: string }>): number {
  const b = new TranscriptBuilder({ kind: 'manual' });
  for (const m of messages) b.addMessage({ dir: m.dir, type: 'handshake', raw: fromHex(m.hex) });
  const t = b.finish();
  expect(t.messages.map((m) => m.type)).toEqual(messages.map((m) => m.name));
  for (const m of t.messages) {
    expect({ type: m.type, findings: m.findings ?? [] }).toEqual({ type: m.type, findings: [] });
    expect(m.decoded).toBeDefined();
    expect(encodeHandshake(m.decoded!)).toEqual(m.raw);
    const body = m.decoded!.body;
    // Key-exchange messages are parsed with the suite the ServerHello chose.
    if (body.type === 'server_key_exchange' || body.type === 'client_key_exchange') expect(body.kex).not.toBe('unparsed');
  }
  return t.messages.length;
}

describe(`shared data in ${SHARED}`, () => {
  it.each(vectorFiles().map((v) => [v.name, v] as const))('vectors %s: every message round-trips byte-exactly', (_n, v) => {
    const n = checkSequence(v.data.handshake_messages.map((m) => ({ dir: m.dir, hex: m.hex, name: snake(m.message) })));
    expect(n).toBeGreaterThan(4);
  });

  it.each(sharedCases().map((c) => [c.name, c] as const))(
    'capture %s: every message tshark saw round-trips byte-exactly',
    (_n, c) => {
      for (const conn of c.expected.connections) {
        const msgs = conn.messages
          .filter((m) => m.hex && m.message)
          .map((m) => ({ dir: m.dir, hex: m.hex!, name: snake(m.message!) }));
        expect(checkSequence(msgs)).toBeGreaterThan(4);
      }
    },
  );

  it('finds the shared data', () => {
    expect(vectorFiles().length).toBeGreaterThanOrEqual(3);
    expect(sharedCases().length).toBeGreaterThanOrEqual(6);
  });
});
