import { HandshakeCursor } from './record-open';

/** A handshake message: type, 24-bit length, body. */
const msg = (type: number, body: number[]): number[] => [type, 0, body.length >> 8, body.length & 0xff, ...body];

describe('HandshakeCursor: handshake message boundaries across records (RFC 8446 §5.1)', () => {
  it('a NewSessionTicket split across records whose continuation starts with 0x18 is no KeyUpdate', () => {
    // a NewSessionTicket (type 4) of 70 bytes split after 64 bytes: the next record begins with a ticket byte 0x18
    const body = Array.from({ length: 66 }, (_, i) => (i === 60 ? 0x18 : 0x41));
    const nst = msg(4, body);
    const c = new HandshakeCursor();
    expect(c.feed(Uint8Array.from(nst.slice(0, 64)))).toBe(false);
    expect(c.atBoundary).toBe(false);
    expect(nst[64]).toBe(0x18);
    expect(c.feed(Uint8Array.from(nst.slice(64)))).toBe(false);
    expect(c.atBoundary).toBe(true);
  });
  it('a KeyUpdate is seen when it completes, alone, after other messages in the record, or with its header split', () => {
    const ku = msg(24, [0]);
    expect(new HandshakeCursor().feed(Uint8Array.from(ku))).toBe(true);
    expect(new HandshakeCursor().feed(Uint8Array.from([...msg(4, [1, 2, 3]), ...ku]))).toBe(true);
    const c = new HandshakeCursor();
    expect(c.feed(Uint8Array.from(ku.slice(0, 2)))).toBe(false);
    expect(c.feed(Uint8Array.from(ku.slice(2)))).toBe(true);
    expect(c.atBoundary).toBe(true);
  });
});
