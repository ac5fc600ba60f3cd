/**
 * Decoders under attack: every reader of untrusted input is fed random
 * bytes and mutations of real data (bit flips, truncation, length fields set
 * to 0 / max / off by one, duplicated blocks). Only typed errors may escape,
 * and each input is handled quickly (the slowest is reported, never
 * asserted). TLSPROP_FUZZ_RUNS sets the count per decoder (default 200).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { TcpReassembler, decodeFrame, parseCaptureSync } from '../capture';
import { KeyLogError, parseKeyLog } from '../crypto/keylog';
import { TranscriptBuilder } from '../transcript/build';
import { transcriptFromJson } from '../transcript/json';
import { DecodeError } from '../wire/errors';
import { decodeHandshake, encodeHandshake } from '../wire/handshake';
import { fromHex } from '../wire/hex';
import { RecordStream, decodeRecords } from '../wire/record';
import { sharedCases, snake } from './support/shared';

const RUNS = Number(process.env['TLSPROP_FUZZ_RUNS'] ?? 200);

/** One way of damaging bytes; applied by fast-check so failures shrink and replay. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('length' as const),
    at: fc.nat(),
    width: fc.integer({ min: 1, max: 4 }),
    value: fc.constantFrom('zero', 'max', 'plus1', 'minus1'),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(src: Uint8Array, m: Mutation): Uint8Array {
  if (src.length === 0) return src;
  const at = m.at % src.length;
  switch (m.kind) {
    case 'flip': {
      const out = src.slice();
      out[at] = out[at]! ^ (1 << m.bit);
      return out;
    }
    case 'truncate':
      return src.slice(0, at);
    case 'length': {
      const out = src.slice();
      const w = Math.min(m.width, out.length - at);
      let v = 0;
      for (let i = 0; i < w; i++) v = v * 256 + out[at + i]!;
      const max = 256 ** w - 1;
      const nv =
        m.value === 'zero' ? 0 : m.value === 'max' ? max : m.value === 'plus1' ? Math.min(max, v + 1) : Math.max(0, v - 1);
      for (let i = w - 1, x = nv; i >= 0; i--, x = Math.floor(x / 256)) out[at + i] = x & 0xff;
      return out;
    }
    case 'duplicate': {
      const block = src.slice(at, at + m.len);
      const out = new Uint8Array(src.length + block.length);
      out.set(src.subarray(0, at + block.length));
      out.set(block, at + block.length);
      out.set(src.subarray(at + block.length), at + 2 * block.length);
      return out;
    }
  }
}

/** Slowest input per decoder, for the report printed at the end. */
const slowest = new Map<string, { ms: number; bytes: number; runs: number }>();

function timed(name: string, size: number, fn: () => void): void {
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  const s = slowest.get(name) ?? { ms: 0, bytes: 0, runs: 0 };
  s.runs++;
  if (ms > s.ms) {
    s.ms = ms;
    s.bytes = size;
  }
  slowest.set(name, s);
}

/** Run `fn`; anything thrown must be one of the typed errors. */
function onlyTyped(fn: () => void, ...types: Array<new (...a: never[]) => Error>): void {
  try {
    fn();
  } catch (e) {
    if (!types.some((t) => e instanceof t)) throw e;
  }
}

const cases = sharedCases();
const realMessages: Uint8Array[] = cases.flatMap((c) =>
  c.expected.connections.flatMap((conn) => conn.messages.filter((m) => m.hex).map((m) => fromHex(m.hex!))),
);
const realCaptures: Uint8Array[] = cases.map((c) => new Uint8Array(readFileSync(c.capture)));

afterAll(() => {
  const lines = [...slowest].map(
    ([n, s]) => `  ${n.padEnd(28)} ${String(s.runs).padStart(6)} inputs, slowest ${s.ms.toFixed(2)} ms (${s.bytes} bytes)`,
  );
  process.stdout.write(`hostile-input fuzzing (TLSPROP_FUZZ_RUNS=${RUNS}):\n${lines.join('\n')}\n`);
});

describe('decoders under attack', () => {
  it('finds real data to mutate', () => {
    expect(realMessages.length).toBeGreaterThan(40);
    expect(realCaptures.length).toBeGreaterThanOrEqual(6);
  });

  it('handshake decoder: mutated real messages decode exactly or fail with a DecodeError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...realMessages),
        mutation,
        fc.constantFrom<0x0303 | 0x0304 | undefined>(0x0303, 0x0304, undefined),
        (msg, m, version) => {
          const bytes = mutate(msg, m);
          timed('handshake messages', bytes.length, () =>
            onlyTyped(() => {
              const ctx = version === undefined ? {} : { version, kex: 'ECDHE_RSA' as const };
              expect(encodeHandshake(decodeHandshake(bytes, ctx).message)).toEqual(bytes);
            }, DecodeError),
          );
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('record layer and handshake framing: random and mutated record streams', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.constantFrom(...realCaptures).map((c) => c.subarray(24, 24 + 2000)),
        ),
        mutation,
        (src, m) => {
          const bytes = mutate(src, m);
          timed('records + transcript builder', bytes.length, () => {
            onlyTyped(() => decodeRecords(bytes), DecodeError);
            const rs = new RecordStream();
            const b = new TranscriptBuilder({ kind: 'manual' });
            onlyTyped(() => {
              for (const r of rs.push(bytes)) b.addRecord({ dir: r.offset % 2 ? 'C->S' : 'S->C', raw: r.raw });
              b.finish();
            }, DecodeError);
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('capture readers, frame decoding and TCP reassembly: mutated real captures', () => {
    fc.assert(
      fc.property(fc.constantFrom(...realCaptures), fc.array(mutation, { minLength: 1, maxLength: 3 }), (src, ms) => {
        const bytes = ms.reduce(mutate, src);
        timed('pcap + link + TCP', bytes.length, () =>
          onlyTyped(() => {
            const tcp = new TcpReassembler();
            for (const rec of parseCaptureSync(bytes)) {
              if (rec.type !== 'packet') continue;
              const f = decodeFrame(rec.packet);
              if (f.kind === 'tcp') tcp.push(f.segment);
            }
            tcp.finish();
          }, DecodeError),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('key-log reader: random and mutated text gives entries or a KeyLogError', () => {
    const real = cases.filter((c) => c.keylog).map((c) => readFileSync(c.keylog!, 'utf8'));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom(...real)), mutation, (text, m) => {
        const bytes = mutate(new TextEncoder().encode(text), m);
        const s = new TextDecoder().decode(bytes);
        timed('key log', bytes.length, () => onlyTyped(() => parseKeyLog(s), KeyLogError));
      }),
      { numRuns: RUNS },
    );
  });

  it('transcript JSON reader: arbitrary JSON values and damaged transcripts give a transcript or a DecodeError', () => {
    const conn = cases[0]!.expected.connections[0]!;
    const good = {
      messages: conn.messages.filter((m) => m.hex).map((m) => ({ dir: m.dir, type: snake(m.message!), raw: m.hex })),
    };
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.constant(good)), mutation, (value, m) => {
        const text = JSON.stringify(value);
        const damaged = new TextDecoder().decode(mutate(new TextEncoder().encode(text), m));
        let parsed: unknown;
        try {
          parsed = JSON.parse(damaged);
        } catch {
          parsed = value;
        }
        timed('transcript JSON', damaged.length, () => onlyTyped(() => transcriptFromJson(parsed), DecodeError));
      }),
      { numRuns: RUNS },
    );
  });
});
