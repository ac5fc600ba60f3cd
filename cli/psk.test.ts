import { UsageError } from './args';
import { type Io, main } from './main';
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

describe('fuzz --psk and run --psk', () => {
  const capture = (): Io & { stdout: string[]; stderr: string[] } => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s), readStdin: async () => '' };
  };
  it('a malformed key is a usage error before anything is sent', async () => {
    const io = capture();
    expect(await main(['fuzz', '--target', '127.0.0.1:9', '--psk', 'device7:0g'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--psk expects IDENTITY:HEX/);
  });
  it('run takes it for a server target only', async () => {
    const io = capture();
    expect(await main(['run', '--client-cmd', 'true', '--psk', 'device7:00ff'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--psk is for --target/);
  });
  it('is declared once per command and shown in --help', async () => {
    for (const cmd of ['fuzz', 'run']) {
      const io = capture();
      expect(await main([cmd, '--help'], io)).toBe(0);
      expect(io.stdout.join('\n')).toMatch(/--psk IDENTITY:HEX/);
    }
  });
});
