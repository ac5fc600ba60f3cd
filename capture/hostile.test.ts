/**
 * Hostile input: random bytes, truncations and bit flips of real captures
 * (pcap and pcapng) give only DecodeError or packets + anomalies; never
 * another exception, never a hang.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { DecodeError } from '../wire/errors';
import { analyzeCapture, decodeFrame, parseCaptureSync, readCaptureSync, TcpReassembler, type TcpSegment } from './index';
import { writePcapng } from './synth';

const FIXTURES = join(__dirname, '..', 'fixtures');
const REAL = new Uint8Array(readFileSync(join(FIXTURES, 'captures/openssl-t13-mutual/capture.pcap')));
const REAL6 = new Uint8Array(readFileSync(join(FIXTURES, 'vectors/illustrated-tls12/capture.pcap')));
const NG = writePcapng([
  {
    littleEndian: false,
    interfaces: [{ linkType: 1, tsresol: 9 }, { linkType: 0 }],
    blocks: [
      { kind: 'dsb', secretsType: 0x544c534b, data: new TextEncoder().encode('CLIENT_RANDOM aa bb\n') },
      ...readCaptureSync(REAL).map((p) => ({ kind: 'epb' as const, iface: 0, data: p.data, ts: p.tsNs })),
      ...readCaptureSync(REAL6).map((p) => ({ kind: 'epb' as const, iface: 1, data: p.data })),
    ],
  },
]);

/** Parse + decode + reassemble; only DecodeError may escape. Returns the number of packets or the error. */
async function survive(bytes: Uint8Array): Promise<number | DecodeError> {
  try {
    const a = await analyzeCapture(bytes);
    return a.stats.frames;
  } catch (e) {
    if (e instanceof DecodeError) {
      expect(e.offset).toBeGreaterThanOrEqual(0);
      expect(e.offset).toBeLessThanOrEqual(bytes.length);
      return e;
    }
    throw e;
  }
}

describe('hostile captures', () => {
  it('the pcapng built from the real captures is sane', async () => {
    const a = await analyzeCapture(NG);
    expect(a.connections).toHaveLength(2);
    expect(a.connections.every((c) => c.conn.inconclusive.length === 0)).toBe(true);
    expect(a.keyLogs).toEqual(['CLIENT_RANDOM aa bb\n']);
  });

  it('random bytes (with and without a valid magic)', async () => {
    const magics = [
      [],
      [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0],
      [0xa1, 0xb2, 0x3c, 0x4d],
      [0x0a, 0x0d, 0x0d, 0x0a],
      [0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d, 0, 1],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 600 }), async (m, rest) => {
        await survive(new Uint8Array([...m, ...rest]));
      }),
      { numRuns: 500 },
    );
  });

  it('every truncation of a real pcap and of a pcapng', async () => {
    for (const file of [REAL, NG]) {
      let errors = 0;
      for (let n = 0; n < file.length; n += 3) {
        const r = await survive(file.subarray(0, n));
        if (r instanceof DecodeError) errors++;
      }
      expect(errors).toBeGreaterThan(0);
    }
  });

  it('bit flips of a real pcap and of a pcapng', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }),
        async (ng, flips) => {
          const file = (ng ? NG : REAL).slice();
          for (const [at, bit] of flips) file[at % file.length]! ^= 1 << bit;
          await survive(file);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodeFrame never throws on random frames of any link type', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999),
        fc.uint8Array({ maxLength: 120 }),
        (linkType, data) => {
          const r = decodeFrame({ frame: 1, tsNs: 0n, linkType, interfaceId: 0, data, origLen: data.length, dataOffset: 0 });
          expect(['tcp', 'other', 'unsupported', 'malformed']).toContain(r.kind);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('the reassembler survives arbitrary segments and keeps its streams consistent', () => {
    const ends = [
      { ip: '1.1.1.1', port: 1 },
      { ip: '2.2.2.2', port: 443 },
      { ip: '2.2.2.2', port: 444 },
    ];
    const segArb = fc.record({
      s: fc.integer({ min: 0, max: 2 }),
      d: fc.integer({ min: 0, max: 2 }),
      seq: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.nat({ max: 0xffffffff })),
      ack: fc.integer({ min: 0, max: 60 }),
      flags: fc.integer({ min: 0, max: 0x1ff }),
      payload: fc.uint8Array({ maxLength: 30 }),
    });
    fc.assert(
      fc.property(fc.array(segArb, { maxLength: 60 }), fc.integer({ min: 1, max: 100 }), (specs, cap) => {
        const re = new TcpReassembler({ maxBufferedBytes: cap, historyBytes: 50 });
        const next = new Map<string, number>();
        const check = (evs: ReturnType<TcpReassembler['push']>) => {
          for (const e of evs) {
            const k = `${e.type !== 'open' ? e.conn.id : 0}/${e.type === 'data' ? e.dir : e.type === 'gap' ? e.gap.dir : ''}`;
            if (e.type === 'data') {
              expect(e.offset).toBe(next.get(k) ?? e.offset);
              expect(e.offset).toBeGreaterThanOrEqual(0);
              next.set(k, e.offset + e.bytes.length);
            } else if (e.type === 'gap') {
              expect(e.gap.length).toBeGreaterThan(0);
              expect(e.gap.offset).toBe(next.get(k) ?? e.gap.offset);
              next.set(k, e.gap.offset + e.gap.length);
            }
          }
        };
        specs.forEach((sp, i) => {
          const seg: TcpSegment = {
            frame: i + 1,
            tsNs: undefined,
            src: ends[sp.s]!,
            dst: ends[sp.d === sp.s ? (sp.d + 1) % 3 : sp.d]!,
            seq: sp.seq,
            ack: sp.ack,
            flags: sp.flags,
            window: 0,
            options: [],
            payload: sp.payload,
            missingTail: 0,
            payloadOffset: 0,
          };
          check(re.push(seg));
        });
        check(re.finish());
      }),
      { numRuns: 500 },
    );
  });

  it('parseCaptureSync on the real pcap equals the pcap in the file', () => {
    expect(parseCaptureSync(REAL).filter((r) => r.type === 'packet')).toHaveLength(20);
  });
});
