/** `bin/tlsprop.js` as an installed command: a node process of its own, started the way a shell starts it. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(__dirname, '..', 'bin', 'tlsprop.js');

describe('bin/tlsprop.js', () => {
  it('runs as an installed command from a shell', () => {
    const out = execFileSync(process.execPath, [BIN, 'decode', '0e000000'], { encoding: 'utf8' });
    expect(JSON.parse(out).reencodedEqual).toBe(true);
  });

  it('exits 2 with a usage line for an unknown command', () => {
    let status: number | null = null;
    let stderr = '';
    try {
      execFileSync(process.execPath, [BIN, 'frobnicate'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      ({ status, stderr } = e as { status: number | null; stderr: string });
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/frobnicate/);
  });
});
