import { readFileSync, statSync } from 'node:fs';
import { coveringMatrix, fullMatrix } from './matrix';
import { freePort, launch, LoopbackListener, MissingPeerError, PeerGroup, portAccepts, requireBinary, runToExit } from './launch';
import { suiteCode, suiteName } from '../fuzz/names';
import { gnutlsPriority, mqttConnect } from './peers';
import { writePki } from './pki';

describe('launcher', () => {
  it('a missing binary is a clear error naming the package', () => {
    expect(() => requireBinary('tlsprop-no-such-binary', 'some-package')).toThrow(MissingPeerError);
    expect(() => requireBinary('tlsprop-no-such-binary', 'some-package')).toThrow(/apt-get install -y some-package/);
    expect(requireBinary('sh')).toMatch(/\/sh$/);
  });

  it('stops by PID with SIGTERM, and with SIGKILL when SIGTERM is ignored', async () => {
    const group = new PeerGroup();
    const polite = await group.launch({ name: 'sleep', command: 'sleep', args: ['30'] });
    const stubborn = await group.launch({
      name: 'stubborn',
      command: 'sh',
      args: ['-c', 'trap "" TERM; echo ready; exec sleep 30'],
    });
    expect(await stubborn.waitForOutput('ready', 5000)).toBe(true);
    expect(group.running()).toHaveLength(2);
    expect(await polite.stop(1000)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await stubborn.stop(300)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(group.running()).toEqual([]);
  });

  it('waits for a server port, and fails with the output when the process exits first', async () => {
    const port = await freePort();
    await expect(
      launch({ name: 'false', command: 'sh', args: ['-c', 'echo broken config >&2; exit 3'], listenPort: port }),
    ).rejects.toThrow(/did not accept on 127\.0\.0\.1:\d+ \(exited 3\)[\s\S]*broken config/);
    const listener = await LoopbackListener.open();
    expect(await portAccepts(listener.port)).toBe(true);
    await listener.close();
    expect(await portAccepts(listener.port)).toBe(false);
  });

  it('runs a short peer to completion with stdin, killing it on timeout', async () => {
    const r = await runToExit({ name: 'cat', command: 'cat', args: [] }, 5000, 'abc');
    expect(r).toMatchObject({ exit: { code: 0 }, output: 'abc', timedOut: false });
    const t = await runToExit({ name: 'sleep', command: 'sleep', args: ['30'] }, 200);
    expect(t.timedOut).toBe(true);
  });
});

describe('pki files and peer definitions', () => {
  it('writes the test PKI as PEM, readable by peers that drop privileges', async () => {
    const files = await writePki();
    try {
      expect(readFileSync(files.ca, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(readFileSync(files.server.rsa.key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(statSync(files.dir).mode & 0o005).toBe(0o005);
      expect(statSync(files.client.ecdsa.key).mode & 0o004).toBe(0o004);
    } finally {
      files.cleanup();
    }
  });

  it('matrix rows are uniquely named; the covering subset has every suite and every group per key exchange', () => {
    const full = fullMatrix(suiteName);
    const cover = coveringMatrix(suiteName);
    expect(full).toHaveLength(104);
    expect(new Set(full.map((r) => r.name)).size).toBe(full.length);
    expect(new Set(cover.map((r) => r.name)).size).toBe(cover.length);
    expect(new Set(cover.map((r) => `${r.suite}/${r.key}/${r.mutual}`)).size).toBe(
      new Set(full.map((r) => `${r.suite}/${r.key}/${r.mutual}`)).size,
    );
    for (const kex of ['ECDHE_RSA', 'ECDHE_ECDSA', 'TLS13'])
      for (const mutual of [false, true])
        expect(new Set(cover.filter((r) => r.kex === kex && r.mutual === mutual).map((r) => r.group)).size).toBe(3);
    expect(suiteCode('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384')).toBe(0xc028);
  });

  it('MQTT CONNECT bytes and GnuTLS priorities', () => {
    expect(Buffer.from(mqttConnect('ab')).toString('hex')).toBe('100e00044d5154540402003c00026162');
    expect(gnutlsPriority('1.2', ['secp384r1', 'secp256r1'])).toBe(
      'NORMAL:+SHA256:+SHA384:-VERS-ALL:+VERS-TLS1.2:-GROUP-ALL:+GROUP-SECP384R1:+GROUP-SECP256R1',
    );
  });
});
