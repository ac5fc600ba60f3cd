/** `--report DIR` of fuzz, check and explain: the four reports of that run. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPki } from '../engine/fixtures';
import type { CoverageReport } from '../reports/model';
import { identityPem, startNodeServer } from '../suite/node';
import { type Io, main } from './main';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s), readStdin: async () => '' };
}

const FOUR = ['report.json', 'junit.xml', 'summary.md', 'index.html'];
const read = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as CoverageReport;
const CAPTURE = 'fixtures/captures/mosquitto-t12-ecdhe-rsa-aes256-sha384-mutual';

describe('check --report and explain --report', () => {
  it('check writes the reports of the checked connections, the output unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-check-report-'));
    const plain = capture();
    const args = ['check', `${CAPTURE}/capture.pcap`, '--keylog', `${CAPTURE}/keylog.txt`];
    expect(await main(args, plain)).toBe(0);
    const io = capture();
    expect(await main([...args, '--report', dir], io)).toBe(0);
    expect(io.stdout).toEqual(plain.stdout);
    for (const f of FOUR) expect(existsSync(join(dir, f))).toBe(true);
    const r = read(dir);
    expect(r.run).toMatchObject({ command: 'check', targets: ['capture.pcap'] });
    expect(r.summary.transcripts).toBeGreaterThan(0);
    expect(r.summary.failures).toBe(0);
    // every connection is listed, and is a JUnit testcase, conforming ones too
    expect(r.checkedList).toHaveLength(1);
    expect(r.checkedList![0]).toMatchObject({ source: 'capture.pcap', connection: 1, violated: [] });
    expect(r.checkedList![0]!.verdicts.pass).toBeGreaterThan(50);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuite name="transcripts" tests="1" failures="0"/);
    expect(junit).toMatch(
      /<testcase classname="tlsprop\.transcripts\.capture-pcap" name="capture\.pcap#1 127\.0\.0\.1:\d+ -&gt; [^"]*" time="0\.000">/,
    );
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('<section id="checked"><h2>Checked (1: 0 with a violation)');
    expect(io.stderr.join('')).toMatch(/reports: .*index\.html/);
  });

  it('a violation becomes a finding with the message bytes and their fields', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-check-finding-'));
    const t = JSON.parse(readFileSync('spec/fixtures/reference-mutual.json', 'utf8')) as { messages: Array<{ type: string }> };
    // CertificateVerify before ClientKeyExchange: t12.order.cv-after-cke
    const i = t.messages.findIndex((m) => m.type === 'certificate_verify');
    const j = t.messages.findIndex((m) => m.type === 'client_key_exchange');
    [t.messages[i], t.messages[j]] = [t.messages[j]!, t.messages[i]!];
    const f = join(dir, 'swapped.json');
    writeFileSync(f, JSON.stringify(t));
    expect(await main(['check', f, '--report', join(dir, 'r')], capture())).toBe(1);
    const r = read(join(dir, 'r'));
    const finding = r.findings.find((x) => x.rule === 't12.order.cv-after-cke');
    expect(finding?.items[0]).toMatchObject({ verdict: 'violation', target: 'swapped.json' });
    expect(r.summary.failures).toBeGreaterThan(0);
    expect(r.checkedList?.[0]?.violated).toContain('t12.order.cv-after-cke');
    expect(readFileSync(join(dir, 'r', 'junit.xml'), 'utf8')).toMatch(
      /<testsuite name="transcripts" tests="1" failures="1"[\s\S]*<failure message="\d+ violation\(s\): [^"]*t12\.order\.cv-after-cke/,
    );
  });

  it('explain writes them too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-explain-report-'));
    const io = capture();
    expect(await main(['explain', `${CAPTURE}/capture.pcap`, '--keylog', `${CAPTURE}/keylog.txt`, '--report', dir], io)).toBe(0);
    expect(read(dir).run?.command).toBe('explain');
  });

  it('a file that is neither a capture nor transcript JSON is named as such', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-png-'));
    const png = join(dir, 'screenshot.png');
    writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const io = capture();
    expect(await main(['check', png], io)).toBe(2);
    expect(io.stderr.join('')).toMatch(/screenshot\.png is neither pcap, pcapng nor transcript JSON \(.*a PNG image\)/);
  });
});

describe('fuzz --report', () => {
  it('writes the reports of a run against a server (Node.js tls in this process)', async () => {
    const pki = await testPki();
    const server = await startNodeServer(pki);
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-fuzz-report-'));
    const id = identityPem(pki.identity('client', 'rsa'));
    writeFileSync(join(dir, 'client.pem'), id.cert);
    writeFileSync(join(dir, 'client.key'), id.key);
    writeFileSync(join(dir, 'ca.pem'), pki.root.pem);
    try {
      const io = capture();
      const args = [
        'fuzz',
        '--target',
        `127.0.0.1:${server.port}`,
        '--cert',
        join(dir, 'client.pem'),
        '--key',
        join(dir, 'client.key'),
      ];
      const code = await main(
        // alert-or-close: Node's server closes without an alert after refusing our expired client certificate in TLS
        // 1.2 (an RFC 5246 §7.2.2 MUST finding at the default strictness, which tlsprop run reports); this test is
        // about the report files of a passing run
        [
          ...args,
          '--ca',
          join(dir, 'ca.pem'),
          '--runs',
          '3',
          '--seed',
          '2',
          '--strictness',
          'alert-or-close',
          '--report',
          join(dir, 'r'),
        ],
        io,
      );
      expect(code).toBe(0);
      const r = read(join(dir, 'r'));
      expect(r.run).toMatchObject({ command: 'fuzz', seed: 2 });
      expect(r.targets).toMatchObject([{ name: `server 127.0.0.1:${server.port}`, role: 'server', conversations: 3 }]);
      expect(
        readFileSync(join(dir, 'r', 'junit.xml'), 'utf8').match(/<testcase classname="tlsprop\.server-127-0-0-1-\d+"/g),
      ).toHaveLength(3);
    } finally {
      await server.close();
    }
  });
});
