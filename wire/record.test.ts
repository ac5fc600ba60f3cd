import fc from 'fast-check';
import { contextFreeMessage } from '../generators/wire';
import { DecodeError } from './errors';
import { encodeBody } from './handshake';
import { concatBytes } from './hex';
import {
  HandshakeAssembler,
  MAX_PLAINTEXT,
  RecordStream,
  decodeAlert,
  decodeChangeCipherSpec,
  decodeRecords,
  encodeRecord,
  fragmentHandshake,
} from './record';

const runs = { numRuns: Number(process.env['TLSPROP_CODEC_RUNS'] ?? 200) };

describe('handshake framing across records', () => {
  it('reassembles any split of any message sequence, and names the records of each message', () => {
    fc.assert(
      fc.property(
        fc.array(contextFreeMessage, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 64 }),
        (bodies, size) => {
          const msgs = bodies.map(encodeBody);
          const records = fragmentHandshake(msgs, size);
          const a = new HandshakeAssembler();
          const out = records.flatMap((r, i) => a.push(r.fragment, i));
          expect(out.map((m) => m.raw)).toEqual(msgs);
          expect(a.pending).toBe(false);
          // Records named by each message cover exactly its byte range.
          let at = 0;
          for (const m of out) {
            const first = Math.floor(at / size);
            const last = Math.floor((at + m.raw.length - 1) / size);
            expect(m.records).toEqual(Array.from({ length: last - first + 1 }, (_, k) => first + k));
            at += m.raw.length;
          }
        },
      ),
      runs,
    );
  });

  it('coalesces several messages in one record', () => {
    const msgs = [encodeBody({ type: 'server_hello_done' }), encodeBody({ type: 'finished', verifyData: new Uint8Array(12) })];
    const [rec] = fragmentHandshake(msgs, MAX_PLAINTEXT);
    expect(new HandshakeAssembler().push(rec!.fragment, 0).map((m) => m.raw)).toEqual(msgs);
  });

  it('refuses a message longer than its limit without waiting for (or allocating) its bytes', () => {
    const a = new HandshakeAssembler(1000);
    expect(() => a.push(Uint8Array.of(11, 0xff, 0xff, 0xff), 0)).toThrow(DecodeError);
  });
});

describe('records', () => {
  const record = fc.record({
    contentType: fc.integer({ min: 0, max: 255 }),
    version: fc.integer({ min: 0, max: 0xffff }),
    fragment: fc.uint8Array({ maxLength: 300 }),
  });

  it('decode(encode(records)) gives back the records, and a stream split anywhere gives the same', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), (recs, cuts) => {
        const bytes = concatBytes(recs.map(encodeRecord));
        expect(decodeRecords(bytes).records).toEqual(recs);
        const s = new RecordStream();
        const points = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].sort((x, y) => x - y);
        const got = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          got.push(...s.push(bytes.subarray(prev, p)));
          prev = p;
        }
        expect(got.map(({ contentType, version, fragment }) => ({ contentType, version, fragment }))).toEqual(recs);
        expect(s.buffered).toBe(0);
      }),
      runs,
    );
  });

  it('shows the header of a record still waiting for its body', () => {
    const s = new RecordStream();
    expect(s.push(Uint8Array.of(23, 3, 3, 0x48))).toEqual([]);
    expect(s.pendingHeader()).toBeUndefined();
    s.push(Uint8Array.of(0x01, 0xaa));
    expect(s.pendingHeader()).toEqual({ contentType: 23, version: 0x0303, length: 0x4801, offset: 0 });
  });

  it('keeps an oversized record and reports it', () => {
    const big = encodeRecord({ contentType: 23, version: 0x0303, fragment: new Uint8Array(MAX_PLAINTEXT + 2049) });
    const { records, findings } = decodeRecords(big);
    expect(records).toHaveLength(1);
    expect(findings.map((f) => [f.code, f.offset])).toEqual([['length-mismatch', 3]]);
  });

  it('a truncated record is a DecodeError at the length field', () => {
    expect(() => decodeRecords(Uint8Array.of(22, 3, 3, 0, 10, 1))).toThrow(DecodeError);
  });

  it('alerts and ChangeCipherSpec have exact sizes', () => {
    expect(decodeAlert(Uint8Array.of(2, 40))).toEqual({ level: 2, description: 40 });
    expect(() => decodeAlert(Uint8Array.of(2))).toThrow(DecodeError);
    expect(() => decodeAlert(Uint8Array.of(2, 40, 0))).toThrow(DecodeError);
    expect(decodeChangeCipherSpec(Uint8Array.of(1))).toEqual({ value: 1 });
    expect(() => decodeChangeCipherSpec(Uint8Array.of(2))).toThrow(DecodeError);
  });
});
