import { UsageError } from './args';
import { parsePsk } from './psk';

describe('--psk IDENTITY:HEX', () => {
  it('reads the identity as UTF-8 text and the key as hex; a last :sha384 binds a TLS 1.3 PSK to SHA-384', () => {
    expect(parsePsk('device7:00ff10')).toEqual({
      identity: new TextEncoder().encode('device7'),
      key: Uint8Array.of(0, 0xff, 0x10),
    });
    expect(parsePsk('a:b:0102:sha384')).toEqual({
      identity: new TextEncoder().encode('a:b'),
      key: Uint8Array.of(1, 2),
      hash: 'SHA-384',
    });
    expect(parsePsk('x:0102:SHA-256').hash).toBe('SHA-256');
  });
  it.each(['nokey', ':0102', 'id:', 'id:0g', 'id:123'])('refuses %j', (s) => {
    expect(() => parsePsk(s)).toThrow(UsageError);
  });
});
