/**
 * The TLS layer over captures that editcap and mergecap make from the real
 * ones: the key log embedded in a pcapng Decryption Secrets Block, two
 * connections in one file, a frame cut out of the server's flight.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedCases } from '../spec/support/shared';
import { keylogOf, ourHandshakes, ourSequence, tsharkHandshakes, tsharkSequence } from '../spec/support/tshark-view';
import { handshakeMessages, type Transcript } from '../transcript/model';
import { captureToTranscripts, readCaptureTranscripts } from './tls';

const CASES = sharedCases().filter((c) => c.keylog !== undefined);
const t13 = CASES.find((c) => c.name.endsWith('openssl-t13-mutual'))!;
const t12 = CASES.find((c) => c.name.endsWith('openssl-t12-ecdhe-rsa-aes256-sha384-mutual'))!;
let tmp = '';

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tlsprop-tls-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('pcapng with the key log in a Decryption Secrets Block decrypts without a key log option', async () => {
  const out = join(tmp, 'dsb.pcapng');
  execFileSync('editcap', ['--inject-secrets', `tls,${t13.keylog!}`, t13.capture, out]);
  const it = captureToTranscripts(out);
  const ts: Transcript[] = [];
  for await (const ct of it) ts.push(ct.transcript);
  expect(it.summary.keyLogRandoms).toBe(1);
  expect(ts).toHaveLength(1);
  expect(ourSequence(ts[0]!)).toEqual(tsharkSequence(t13.expected.connections[0]!));
  expect(ourHandshakes(ts[0]!)).toEqual(tsharkHandshakes(t13.expected.connections[0]!));
  expect(ts[0]!.gaps).toEqual([]);
});

test('two connections in one capture: two transcripts in capture order', async () => {
  const out = join(tmp, 'two.pcap');
  execFileSync('mergecap', ['-a', '-F', 'pcap', '-w', out, t12.capture, t13.capture]);
  const keylog = keylogOf(t12) + keylogOf(t13);
  const it = captureToTranscripts(out, { keylog, file: 'two.pcap' });
  const ts = [];
  for await (const ct of it) ts.push(ct);
  expect(ts.map((x) => x.connection)).toEqual([0, 1]);
  expect(ts.map((x) => x.transcript.provenance)).toEqual([
    { kind: 'capture', file: 'two.pcap', connection: 0 },
    { kind: 'capture', file: 'two.pcap', connection: 1 },
  ]);
  expect(ourSequence(ts[0]!.transcript)).toEqual(tsharkSequence(t12.expected.connections[0]!));
  expect(ourSequence(ts[1]!.transcript)).toEqual(tsharkSequence(t13.expected.connections[0]!));
  // The second file's frames follow the first's.
  const firstFrames = it.summary.stats.frames - ts[1]!.frames.last + ts[1]!.frames.first - 1;
  expect(ts[1]!.frames.first).toBeGreaterThan(ts[0]!.frames.last);
  expect(firstFrames).toBeGreaterThan(0);
  expect(ourHandshakes(ts[1]!.transcript).map((m) => m.hex)).toEqual(
    tsharkHandshakes(t13.expected.connections[0]!).map((m) => m.hex),
  );
  // Each transcript gets only its own key log lines.
  expect(ts[0]!.transcript.secrets?.keylog).toHaveLength(1);
  expect(ts[1]!.transcript.secrets?.keylog?.length).toBeGreaterThanOrEqual(4);
  expect(it.summary.tlsConnections).toBe(2);
  expect(it.summary.skipped).toEqual([]);
});

test('a frame cut out of the server flight: a gap, no crash, nothing guessed', async () => {
  const exp = t13.expected.connections[0]!;
  const serverFlight = exp.messages.find((m) => m.message === 'Certificate' && m.dir === 'S->C')!.frame;
  const out = join(tmp, 'cut.pcap');
  execFileSync('editcap', ['-F', 'pcap', t13.capture, out, String(serverFlight)]);
  const [ct, more] = await readCaptureTranscripts(out, { keylog: keylogOf(t13) });
  expect(more).toBeUndefined();
  const t = ct!.transcript;
  const sc = t.gaps.filter((g) => g.dir === 'S->C');
  expect(sc.length).toBeGreaterThanOrEqual(1);
  expect(sc.some((g) => /missing from the capture/.test(g.reason))).toBe(true);
  // Nothing of the server after the hole was read: no server Finished, no tickets.
  const serverTypes = handshakeMessages(t)
    .filter((m) => m.dir === 'S->C')
    .map((m) => m.type);
  expect(serverTypes).not.toContain('finished');
  expect(serverTypes).not.toContain('new_session_ticket');
  expect(handshakeMessages(t)[0]!.type).toBe('client_hello');
  // The client's protected records: unreadable, and the reason says why.
  expect(t.gaps.some((g) => g.dir === 'C->S' && /before any ServerHello was read/.test(g.reason))).toBe(true);
});
