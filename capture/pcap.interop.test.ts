/** pcap / pcapng readers on synthetic files, cross-checked with tshark where it helps. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DecodeError } from '../wire/errors';
import {
  type CaptureRecord,
  CaptureParser,
  fileChunks,
  type Packet,
  parseCaptureStream,
  readCapture,
  parseCaptureSync,
  readCaptureRecords,
  SECRETS_TYPE_TLS_KEYLOG,
} from './index';
import { ngBlock, ngOption, writePcap, writePcapng } from './synth';

const HAVE_TSHARK = (() => {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!HAVE_TSHARK)
  console.warn('capture/pcap.interop.test.ts: tshark not on PATH; the tshark cross-checks are SKIPPED (CI has them)');

const packets = (rs: CaptureRecord[]): Packet[] => rs.flatMap((r) => (r.type === 'packet' ? [r.packet] : []));
const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

function decodeErrorOf(f: () => unknown): DecodeError {
  try {
    f();
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

function tsharkLines(file: Uint8Array, args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'tlsprop-pcap-'));
  try {
    const f = join(dir, 'x');
    writeFileSync(f, file);
    return execFileSync('tshark', ['-r', f, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('classic pcap', () => {
  for (const le of [true, false]) {
    for (const nsec of [false, true]) {
      it(`${le ? 'little' : 'big'}-endian, ${nsec ? 'nano' : 'micro'}seconds`, () => {
        const file = writePcap(
          [
            { data: bytes(60, 1), tsNs: 1_700_000_000_123_456_789n },
            { data: bytes(10, 2), tsNs: 1_700_000_001_000_001_000n, origLen: 1500 },
          ],
          { linkType: 228, littleEndian: le, nsec },
        );
        const rs = parseCaptureSync(file);
        expect(rs[0]).toEqual({ type: 'file', format: nsec ? 'pcap-nsec' : 'pcap', littleEndian: le, offset: 0 });
        const ps = packets(rs);
        expect(ps.map((p) => [p.frame, p.linkType, p.data.length, p.origLen, p.dataOffset])).toEqual([
          [1, 228, 60, 60, 40],
          [2, 228, 10, 1500, 116],
        ]);
        expect(ps[0]!.tsNs).toBe(nsec ? 1_700_000_000_123_456_789n : 1_700_000_000_123_456_000n);
        if (HAVE_TSHARK)
          expect(tsharkLines(file, ['-T', 'fields', '-e', 'frame.number', '-e', 'frame.len', '-e', 'frame.cap_len'])).toEqual([
            '1\t60\t60',
            '2\t1500\t10',
          ]);
      });
    }
  }

  it('rejects bad magic, a short header, a record running past the file', () => {
    expect(decodeErrorOf(() => parseCaptureSync(new Uint8Array([1, 2, 3, 4, 5]))).code).toBe('value');
    expect(decodeErrorOf(() => parseCaptureSync(new Uint8Array(0))).detail).toBe('empty file');
    const file = writePcap([{ data: bytes(20, 1) }], { linkType: 1 });
    expect(decodeErrorOf(() => parseCaptureSync(file.subarray(0, 10))).code).toBe('truncated');
    const e = decodeErrorOf(() => parseCaptureSync(file.subarray(0, file.length - 1)));
    expect([e.code, e.offset]).toEqual(['truncated', 32]);
    const e2 = decodeErrorOf(() => parseCaptureSync(file.subarray(0, 30)));
    expect([e2.code, e2.offset]).toEqual(['truncated', 24]);
  });
});

const KEYLOG = 'CLIENT_RANDOM 00112233 44556677\n';

function ngSample(le1: boolean, le2: boolean): Uint8Array {
  return writePcapng([
    {
      littleEndian: le1,
      interfaces: [
        { linkType: 1, snaplen: 8 },
        { linkType: 101, tsresol: 9 },
        { linkType: 0, tsresol: 0x80 | 20 },
      ],
      blocks: [
        {
          kind: 'epb',
          iface: 0,
          data: bytes(8, 1),
          origLen: 42,
          ts: 1_700_000_000_000_001n,
          options: ngOption(1, new TextEncoder().encode('comment'), le1),
        },
        { kind: 'raw', type: 0x00000004, body: bytes(16, 0) }, // name resolution: skipped
        { kind: 'raw', type: 0x40000bad, body: bytes(5, 9) }, // custom block: a frame for Wireshark
        { kind: 'raw', type: 0x00000bbb, body: bytes(5, 9) }, // unknown: skipped
        { kind: 'dsb', secretsType: SECRETS_TYPE_TLS_KEYLOG, data: new TextEncoder().encode(KEYLOG) },
        { kind: 'epb', iface: 1, data: bytes(33, 2), ts: 1_700_000_000_123_456_789n },
        { kind: 'epb', iface: 2, data: bytes(3, 3), ts: 1_700_000_000n << 20n },
        { kind: 'spb', data: bytes(8, 4), origLen: 9 },
      ],
    },
    { littleEndian: le2, interfaces: [{ linkType: 229 }], blocks: [{ kind: 'epb', iface: 0, data: bytes(40, 5), ts: 5n }] },
  ]);
}

describe('pcapng', () => {
  for (const [le1, le2] of [
    [true, false],
    [false, true],
  ] as const) {
    it(`two sections (${le1 ? 'LE' : 'BE'} then ${le2 ? 'LE' : 'BE'}), three interfaces, SPB, DSB, unknown blocks`, () => {
      const file = ngSample(le1, le2);
      const rs = parseCaptureSync(file);
      expect(rs.filter((r) => r.type === 'file').map((r) => r.type === 'file' && r.littleEndian)).toEqual([le1, le2]);
      const ps = packets(rs);
      expect(ps.map((p) => [p.frame, p.interfaceId, p.linkType, p.data.length, p.origLen])).toEqual([
        [1, 0, 1, 8, 42],
        [3, 1, 101, 33, 33],
        [4, 2, 0, 3, 3],
        [5, 0, 1, 8, 9],
        [6, 0, 229, 40, 40],
      ]);
      expect(ps.map((p) => p.tsNs)).toEqual([
        1_700_000_000_000_001_000n,
        1_700_000_000_123_456_789n,
        1_700_000_000_000_000_000n,
        undefined,
        5000n,
      ]);
      for (const p of ps) expect(file.subarray(p.dataOffset, p.dataOffset + p.data.length)).toEqual(p.data);
      expect(
        rs.filter((r) => r.type === 'non-packet-frame').map((r) => r.type === 'non-packet-frame' && [r.frame, r.blockType]),
      ).toEqual([[2, 0x40000bad]]);
      const dsb = rs.find((r) => r.type === 'secrets');
      expect(dsb).toMatchObject({ secretsType: SECRETS_TYPE_TLS_KEYLOG, keyLog: KEYLOG, afterFrame: 2 });
      if (HAVE_TSHARK) {
        const t = tsharkLines(file, [
          '-T',
          'fields',
          '-e',
          'frame.number',
          '-e',
          'frame.interface_id',
          '-e',
          'frame.cap_len',
          '-e',
          'frame.len',
        ]);
        expect(t.filter((l) => !l.startsWith('2\t'))).toEqual(
          ps.map((p) => [p.frame, p.interfaceId, p.data.length, p.origLen].join('\t')),
        );
        expect(t).toHaveLength(6);
      }
    });
  }

  it('rejects block lengths that are short, unaligned, inconsistent or past the end', () => {
    const file = ngSample(true, true);
    const at = 28 + 4; // first block after the SHB: its length field
    const shbLen = new DataView(file.buffer).getUint32(4, true);
    const idbAt = shbLen;
    const patch = (off: number, v: number) => {
      const c = file.slice();
      new DataView(c.buffer).setUint32(off, v, true);
      return c;
    };
    expect(at).toBeGreaterThan(0);
    for (const [v, code] of [
      [8, 'length'],
      [13, 'length'],
      [0xfffffffc, 'truncated'],
      [file.length - idbAt + 4, 'truncated'],
    ] as const) {
      const e = decodeErrorOf(() => parseCaptureSync(patch(idbAt + 4, v)));
      expect([v, e.code, e.offset]).toEqual([v, code, idbAt + 4]);
    }
    // Same length in front, different at the back.
    const e = decodeErrorOf(() => parseCaptureSync(patch(idbAt + 4, 24)));
    expect(e.code).toBe('length');
    // Bad byte-order magic; EPB for an undescribed interface.
    expect(decodeErrorOf(() => parseCaptureSync(patch(8, 0x12345678))).code).toBe('value');
    const noIdb = writePcapng([{ littleEndian: true, interfaces: [], blocks: [{ kind: 'epb', iface: 0, data: bytes(4, 0) }] }]);
    expect(decodeErrorOf(() => parseCaptureSync(noIdb)).detail).toMatch(/interface 0 not described/);
    // A captured length larger than its block.
    const big = writePcapng([
      { littleEndian: false, interfaces: [{ linkType: 1 }], blocks: [{ kind: 'epb', iface: 0, data: bytes(4, 0) }] },
    ]);
    const dv = new DataView(big.buffer);
    dv.setUint32(big.length - 36 + 20, 1000, false);
    expect(decodeErrorOf(() => parseCaptureSync(big)).detail).toMatch(/captured length 1000 exceeds/);
  });

  it('an option running past its block is an error; skips well-formed ones', () => {
    const body = new Uint8Array([1, 0, 0, 0, 0, 0, 4, 0, 2, 0, 200, 0, 65, 66, 67, 68]);
    const shb = writePcapng([{ littleEndian: true, interfaces: [], blocks: [] }]);
    const file = new Uint8Array([...shb, ...ngBlock(1, body, true)]);
    expect(decodeErrorOf(() => parseCaptureSync(file)).detail).toMatch(/option length 200/);
  });

  it('streaming in any chunking gives the same records as the in-memory parse', async () => {
    const file = ngSample(false, true);
    const whole = parseCaptureSync(file);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 30 }), async (sizes) => {
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (let i = 0; at < file.length; i++) {
          const n = sizes[i % sizes.length]!;
          chunks.push(file.slice(at, at + n));
          at += n;
        }
        const got: CaptureRecord[] = [];
        for await (const r of parseCaptureStream(chunks)) got.push(r);
        expect(got).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });

  it('reads a file in 64 KiB chunks, buffering at most one chunk plus one record', async () => {
    const frames = Array.from({ length: 3000 }, (_, i) => ({ data: bytes(1000 + (i % 700), i & 255) }));
    const file = writePcap(frames, { linkType: 101 });
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-pcap-'));
    try {
      const f = join(dir, 'big.pcap');
      writeFileSync(f, file);
      const p = new CaptureParser({ totalSize: file.length });
      let n = 0;
      let maxBuffered = 0;
      for await (const chunk of fileChunks(f)) {
        expect(chunk.length).toBeLessThanOrEqual(64 * 1024);
        n += packets(p.feed(chunk)).length;
        maxBuffered = Math.max(maxBuffered, p.bufferedBytes);
      }
      p.end();
      expect(n).toBe(3000);
      expect(maxBuffered).toBeLessThan(64 * 1024 + 16 + 1700);
      let m = 0;
      let sum = 0;
      for await (const pk of readCapture(f)) {
        m++;
        sum += pk.data.length;
      }
      expect([m, sum]).toEqual([3000, frames.reduce((a, x) => a + x.data.length, 0)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a block claiming 4 GiB allocates nothing', async () => {
    const shb = writePcapng([{ littleEndian: true, interfaces: [{ linkType: 1 }], blocks: [] }]);
    const hdr = new Uint8Array(12);
    const dv = new DataView(hdr.buffer);
    dv.setUint32(0, 6, true);
    dv.setUint32(4, 0xfffffffc, true);
    const file = new Uint8Array([...shb, ...hdr]);
    // Size known: rejected at once.
    expect(decodeErrorOf(() => parseCaptureSync(file)).code).toBe('truncated');
    // Size unknown: the default cap rejects it.
    await expect(readCaptureRecords([file])[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(DecodeError);
    // Size unknown and the cap lifted: the parser waits for bytes that never come, without allocating.
    const before = process.memoryUsage().arrayBuffers;
    const p = new CaptureParser({ maxBlockBytes: 2 ** 33 });
    expect(p.feed(file).length).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) p.feed(new Uint8Array(1024));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(decodeErrorOf(() => p.end()).code).toBe('truncated');
  });
});
