/**
 * transcript/pack.ts on the transcripts of every fixture capture: packed,
 * moved as `tlsprop check` moves them to a worker (a structured clone that
 * transfers the one buffer), unpacked: the same transcript as the capture
 * reader made, decoded messages included, key for key and byte for byte.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Transcript } from '../transcript/model';
import { packTranscript, unpackTranscript } from '../transcript/pack';
import { readCaptureTranscripts } from './tls';

const ROOT = join(__dirname, '..');
const captures: Array<[string, string, string | undefined]> = [];
for (const dir of ['fixtures/captures', 'fixtures/corpus']) {
  for (const name of readdirSync(join(ROOT, dir))) {
    const pcap = join(ROOT, dir, name, 'capture.pcap');
    const keylog = join(ROOT, dir, name, 'keylog.txt');
    if (existsSync(pcap)) captures.push([`${dir}/${name}`, pcap, existsSync(keylog) ? keylog : undefined]);
  }
}
for (const name of ['resumption', 'tls13-hrr-0rtt-keyupdate'])
  captures.push([
    `capture/testdata/${name}`,
    join(__dirname, 'testdata', `${name}.pcap`),
    join(__dirname, 'testdata', `${name}.keylog`),
  ]);

/** Every key path of an object graph in order, with byte arrays as hex: equal shapes and equal bytes give equal lists. */
function walk(x: unknown, path = '', out: string[] = []): string[] {
  if (x instanceof Uint8Array) out.push(`${path}=${Buffer.from(x).toString('hex')}`);
  else if (Array.isArray(x)) for (const [i, v] of x.entries()) walk(v, `${path}[${i}]`, out);
  else if (x !== null && typeof x === 'object') for (const [k, v] of Object.entries(x)) walk(v, `${path}.${k}`, out);
  else out.push(`${path}=${typeof x}:${String(x)}`);
  return out;
}

describe('packTranscript / unpackTranscript', () => {
  it('finds the fixture captures', () => {
    expect(captures.length).toBeGreaterThan(30);
  });

  test.each(captures)('%s: the unpacked transcript is the original', async (_name, pcap, keylog) => {
    const cts = await readCaptureTranscripts(new Uint8Array(readFileSync(pcap)), {
      ...(keylog ? { keylog: readFileSync(keylog, 'utf8') } : {}),
    });
    expect(cts.length).toBeGreaterThan(0);
    for (const { transcript: t } of cts) {
      const before = walk(t);
      const packed = packTranscript(t);
      const moved = structuredClone(packed.transcript, { transfer: [packed.buffer] });
      expect(packed.buffer.byteLength).toBe(0); // transferred, not copied
      // every byte array of the moved copy is a view of one buffer
      const buffers = new Set<ArrayBufferLike>();
      const note = (v: Uint8Array | undefined) => v && buffers.add(v.buffer);
      for (const r of moved.records) {
        note(r.raw);
        note(r.plaintext?.fragment);
        for (const k of r.openedWith?.keys ?? []) note(k);
      }
      for (const m of moved.messages) note(m.raw);
      expect(buffers.size).toBe(1);
      expect(moved.messages.some((m) => m.decoded !== undefined)).toBe(false);
      const back: Transcript = unpackTranscript(moved);
      expect(walk(back)).toEqual(before);
      // the original is left as it was
      expect(walk(t)).toEqual(before);
    }
  });
});
