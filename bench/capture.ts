/**
 * Capture section: `tlsprop check` (read, reassemble, decrypt, run every
 * rule) on captures of growing size, next to tshark dissecting and
 * decrypting the same file in the same run; and peak memory at two sizes,
 * to show that it does not grow with the capture.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatBytes } from '../wire/hex';
import type { Figure } from './harness';

const SHARED = join(__dirname, '..', 'fixtures');
const CASE = join(SHARED, 'captures', 'mosquitto-t12-ecdhe-rsa-aes256-sha384-mutual');

/**
 * `copies` back-to-back copies of a classic little-endian Ethernet/IPv4
 * pcap's one connection, each with its own client port and later
 * timestamps, so that every copy is a connection of its own.
 */
export function replicate(pcap: Uint8Array, copies: number): Uint8Array {
  const dv = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  if (dv.getUint32(0, true) !== 0xa1b2c3d4 || dv.getUint32(20, true) !== 1)
    throw new Error('expects a little-endian microsecond Ethernet pcap');
  const records: Uint8Array[] = [];
  for (let at = 24; at + 16 <= pcap.length; ) {
    const incl = dv.getUint32(at + 8, true);
    records.push(pcap.slice(at, at + 16 + incl));
    at += 16 + incl;
  }
  const firstTcp = records[0]!;
  const ihl = (firstTcp[16 + 14]! & 0x0f) * 4;
  const clientPort = (firstTcp[16 + 14 + ihl]! << 8) | firstTcp[16 + 14 + ihl + 1]!;
  const out: Uint8Array[] = [pcap.slice(0, 24)];
  for (let i = 0; i < copies; i++) {
    const port = 20000 + i;
    for (const r of records) {
      const c = r.slice();
      const v = new DataView(c.buffer);
      v.setUint32(0, v.getUint32(0, true) + i, true);
      const tcp = 16 + 14 + (c[16 + 14]! & 0x0f) * 4;
      for (const off of [tcp, tcp + 2]) if (v.getUint16(off) === clientPort) v.setUint16(off, port);
      out.push(c);
    }
  }
  return concatBytes(out);
}

interface Run {
  ms: number;
  maxRssMiB: number;
}

function runCheck(file: string, keylog: string): Run & { connections: number } {
  const script = `
    const t0 = performance.now();
    require('esbuild-register/dist/node').register({ target: 'node20' });
    require('reflect-metadata');
    const { checkFiles, checkOptionsFrom } = require('./cli/check.ts');
    const { parseArgs } = require('./cli/args.ts');
    let n = 0;
    const opts = checkOptionsFrom(parseArgs(['--keylog', ${JSON.stringify(keylog)}], { options: ['keylog'] }));
    checkFiles([${JSON.stringify(file)}], opts, () => { n++; }).then(() => {
      process.stdout.write(JSON.stringify({ ms: performance.now() - t0, maxRssMiB: process.resourceUsage().maxRSS / 1024, connections: n }));
    });`;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: join(__dirname, '..'),
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out);
}

function runTshark(file: string, keylog: string): number | undefined {
  const t0 = performance.now();
  const r = spawnSync(
    'tshark',
    [
      '-n',
      '-r',
      file,
      '-o',
      `tls.keylog_file:${keylog}`,
      '-Y',
      'tls.handshake',
      '-T',
      'fields',
      '-e',
      'frame.number',
      '-e',
      'tls.handshake.type',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  if (r.error || r.status !== 0) return undefined;
  return performance.now() - t0;
}

/**
 * Captures of 20, 200 and 1000 connections; below BENCH_SECONDS=1 (a smoke
 * run, as in CI) 20 and 100, so that the section still runs end to end, fast.
 */
export const captureSizes = (seconds: number): number[] => (seconds >= 1 ? [20, 200, 1000] : [20, 100]);

export async function captureSection(seconds: number, log: (s: string) => void): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tlsprop-bench-'));
  const pcap = new Uint8Array(readFileSync(join(CASE, 'capture.pcap')));
  const keylog = join(CASE, 'keylog.txt');
  const figures: Figure[] = [];
  const mem: Array<{ n: number; run: Run }> = [];
  for (const n of captureSizes(seconds)) {
    const file = join(dir, `mosquitto-x${n}.pcap`);
    writeFileSync(file, replicate(pcap, n));
    log(`capture: ${n} connections (${(readFileSync(file).length / 1024).toFixed(0)} KiB)`);
    const ours = runCheck(file, keylog);
    if (ours.connections !== n) throw new Error(`expected ${n} connections, checked ${ours.connections}`);
    const tshark = runTshark(file, keylog);
    const rate = n / (ours.ms / 1000);
    const f: Figure = {
      section: 'capture',
      name: `check ${n} mutual TLS 1.2 connections (decrypt + every rule)`,
      value: rate,
      unit: 'conn/s',
    };
    if (tshark !== undefined) {
      f.baseline = { tool: 'tshark -Y tls.handshake (decrypting)', value: n / (tshark / 1000) };
      f.ratio = rate / f.baseline.value;
    }
    figures.push(f);
    mem.push({ n, run: ours });
  }
  const small = mem[0]!;
  const big = mem[mem.length - 1]!;
  figures.push({
    section: 'capture',
    name: `peak RSS at ${small.n} vs ${big.n} connections`,
    value: big.run.maxRssMiB,
    unit: 'MiB',
    baseline: { tool: `tlsprop at ${small.n} connections`, value: small.run.maxRssMiB },
    ratio: big.run.maxRssMiB / small.run.maxRssMiB,
    note: 'memory should not grow with the capture: ratio near 1',
  });
  return figures;
}
