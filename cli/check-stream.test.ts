/**
 * `tlsprop check` on large synthetic captures (replicated real connections):
 * the streamed `--json` document is the document of the connections checked
 * one by one, and worker threads give byte-identical output to one thread,
 * resumed sessions included (the original travels with the job).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replicateCapture } from '../capture/synth';
import { type CheckedConnection, checkFilesRendered, type Render, WORKER_THRESHOLD } from './check';
import { type Io, main } from './main';

const ROOT = join(__dirname, '..');
const MOSQUITTO = join(ROOT, 'fixtures', 'captures', 'mosquitto-t12-ecdhe-rsa-aes256-sha384-mutual');
const TESTDATA = join(ROOT, 'capture', 'testdata');
const dir = mkdtempSync(join(tmpdir(), 'tlsprop-check-stream-'));

function io(): Io & { calls: string[]; text: () => string } {
  const calls: string[] = [];
  return { calls, out: (s) => calls.push(s), err: (s) => calls.push(s), readStdin: async () => '', text: () => calls.join('\n') };
}

async function check(args: string[]): Promise<{ code: number; out: ReturnType<typeof io> }> {
  const out = io();
  const code = await main(['check', ...args], out);
  return { code, out };
}

/**
 * The copies are the same connection byte for byte: the client's ClientHello is a replay (not compared), the server's
 * random and ECDHE key come back in every copy after the first, which the run-level rules (oracles/across.ts) report,
 * naming both copies: the run fails on them alone.
 */
const ACROSS = (file: string, copies: number): string[] =>
  ['hello.random-fresh', 'kex.ephemeral-fresh'].flatMap((rule) =>
    Array.from({ length: copies - 1 }, (_, i) => `${rule} ${file}#1 (frame F) / ${file}#${i + 2} (frame F)`),
  );
/** Frame numbers (of each copy's ClientHello) as F. */
const unframed = (l: string): string => l.replace(/\(frame \d+\)/g, '(frame F)');
interface Across {
  rule: string;
  status: string;
  connections?: string[];
}
const acrossOf = (doc: { across?: Across[] }): string[] =>
  (doc.across ?? []).filter((v) => v.status === 'violation').map((v) => `${v.rule} ${v.connections?.join(' / ')}`);

interface Conn {
  source: string;
  client: string;
  messages: Array<{ frame?: number }>;
  verdicts: Array<{ rule: string; status: string; detail: string }>;
  summary: Record<string, number>;
}

/** A connection's output without what differs between copies (source, client port, frame numbers). */
const shape = (c: Conn) => ({ ...c, source: '', client: '', messages: c.messages.map((m) => ({ ...m, frame: 0 })) });

// More connections than WORKER_THRESHOLD, so that --jobs 2 does start its worker threads.
describe('check --json on 80 replicated mutual TLS 1.2 connections', () => {
  const copies = 80;
  const file = join(dir, 'mosquitto-x80.pcap');
  writeFileSync(
    file,
    replicateCapture(new Uint8Array(readFileSync(join(MOSQUITTO, 'capture.pcap'))), copies, { serverPorts: [45001] }),
  );
  const keylog = join(MOSQUITTO, 'keylog.txt');

  test('has more connections than start the worker threads', () => expect(copies).toBeGreaterThan(WORKER_THRESHOLD));

  test("is the single connection's output 80 times, written one connection per call, identical with 1 and 2 threads", async () => {
    const single = await check([join(MOSQUITTO, 'capture.pcap'), '--keylog', keylog, '--json', '--jobs', '1']);
    const one = JSON.parse(single.out.text()) as { connections: Conn[]; across?: Across[]; summary: Record<string, number> };
    const j1 = await check([file, '--keylog', keylog, '--json', '--jobs', '1']);
    const j2 = await check([file, '--keylog', keylog, '--json', '--jobs', '2']);
    expect(single.code).toBe(0);
    expect(j1.code).toBe(1);
    expect(j2.code).toBe(1);
    expect(j2.out.text()).toBe(j1.out.text());
    const doc = JSON.parse(j1.out.text()) as { connections: Conn[]; across?: Across[]; summary: Record<string, number> };
    expect(one.across).toBeUndefined();
    expect(acrossOf(doc).map(unframed)).toEqual(ACROSS(file, copies));
    expect(doc.connections).toHaveLength(copies);
    for (const [i, c] of doc.connections.entries()) {
      expect(c.source).toBe(`${file}#${i + 1}`);
      expect(shape(c)).toEqual(shape(one.connections[0]!));
    }
    for (const k of Object.keys(one.summary)) expect(doc.summary[k]).toBe(copies * one.summary[k]!);
    // Streamed: a prologue, then one call per connection (the last one with the summary).
    expect(j1.out.calls).toHaveLength(copies + 1);
    // The document is what one JSON.stringify of the whole output gives (as before streaming).
    expect(j1.out.text()).toBe(JSON.stringify(doc, null, 2));
  });

  test('text output: one call per connection and the total, identical with 1 and 2 threads', async () => {
    const j1 = await check([file, '--keylog', keylog, '--jobs', '1']);
    const j2 = await check([file, '--keylog', keylog, '--jobs', '2']);
    expect(j2.out.text()).toBe(j1.out.text());
    // one call per connection, the run-level verdicts in one, the total
    expect(j1.out.calls).toHaveLength(copies + 2);
    expect(j1.out.calls[copies]).toMatch(
      /^across connections:\n {2}VIOLATION hello\.random-fresh @1: The server sent the same ServerHello\.random value in \S+#2 \(frame \d+\) as in \S+#1 \(frame \d+\)/,
    );
    expect(j1.out.calls[copies + 1]).toMatch(/^total: 80 connection\(s\), 0 violation\(s\), \d+ inconclusive, \d+ pass/);
  });

  test('an empty capture is an empty document', async () => {
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, readFileSync(file).subarray(0, 24));
    const r = await check([empty, '--json']);
    expect(JSON.parse(r.out.text())).toEqual({
      connections: [],
      summary: { pass: 0, violation: 0, inconclusive: 0, 'not-applicable': 0 },
    });
    expect(r.out.text()).toBe(JSON.stringify(JSON.parse(r.out.text()), null, 2));
  });

  test('--jobs must be a positive whole number', async () => {
    expect((await check([file, '--jobs', '0'])).code).toBe(2);
    expect((await check([file, '--jobs', 'many'])).code).toBe(2);
  });
});

describe('resumed sessions checked on worker threads', () => {
  // 8 overlapping copies of a capture with TLS 1.2 session-ID and ticket resumption and a TLS 1.3 PSK resumption.
  const file = join(dir, 'resumption-x8.pcap');
  writeFileSync(
    file,
    replicateCapture(new Uint8Array(readFileSync(join(TESTDATA, 'resumption.pcap'))), 8, {
      serverPorts: [45101, 45102],
      interleave: 5,
    }),
  );
  const keylog = readFileSync(join(TESTDATA, 'resumption.keylog'), 'utf8');

  async function run(jobs: number, render: Render): Promise<CheckedConnection[]> {
    const out: CheckedConnection[] = [];
    const stats = await checkFilesRendered([file], { keylog, jobs, workerThreshold: 0 }, render, (c) => out.push(c));
    expect(stats.workers).toBe(jobs > 1 ? jobs : 0);
    return out;
  }

  test('get their original with the job: the same verdicts as on one thread, none missing the original', async () => {
    const one = await run(1, 'json');
    const two = await run(2, 'json');
    expect(two.map((c) => c.json)).toEqual(one.map((c) => c.json));
    const objects = await run(2, 'objects');
    expect(objects).toHaveLength(48);
    const details = objects.flatMap((c) => c.verdicts!.map((v) => v.detail));
    expect(details.filter((d) => /original connection (is not among|was not given)/.test(d))).toEqual([]);
    // The TLS 1.2 resumptions (session ID and ticket, 8 copies each) were compared with their originals.
    const compared = objects.filter((c) =>
      c.verdicts!.some((v) => v.rule === 't12.neg.resume-consistency' && v.status === 'pass'),
    );
    expect(compared).toHaveLength(16);
  });
});
