/**
 * A transcript made by TranscriptBuilder, packed to cross to another thread
 * cheaply (`tlsprop check` hands each connection to a worker thread):
 *
 * - every byte array of its records and messages (the record bytes, the
 *   plaintext fragments, the message bytes, the keys a record was opened
 *   with) becomes a view into one ArrayBuffer, which the message transfers
 *   instead of copying it; views that shared a buffer still share one
 *   (each source buffer's used range is copied once);
 * - the decoded handshake messages are left out (a tree of objects and
 *   byte views that a structured clone would walk on both ends): the
 *   receiving thread decodes them again from the message bytes with the
 *   builder's own contexts (`redecodeMessages`), which gives the same tree.
 *
 * The transcript given is not changed (the sending thread still reads it);
 * the packed copy shares nothing with it.
 */
import { redecodeMessages } from './build';
import type { RecordOpener, Transcript, TranscriptMessage, TranscriptRecord } from './model';

export interface PackedTranscript {
  /** The transcript without `decoded`, its byte arrays views into `buffer`. */
  transcript: Transcript;
  /** The one buffer to transfer (postMessage's transfer list). */
  buffer: ArrayBuffer;
}

/** Pack a transcript made by TranscriptBuilder (see the header). */
export function packTranscript(t: Transcript): PackedTranscript {
  const views: Uint8Array[] = [];
  for (const r of t.records) {
    views.push(r.raw);
    if (r.plaintext) views.push(r.plaintext.fragment);
    if (r.openedWith) for (const k of r.openedWith.keys) views.push(k);
  }
  for (const m of t.messages) if (m.raw) views.push(m.raw);
  // Per source buffer, the range its views use, copied once.
  const ranges = new Map<ArrayBufferLike, { lo: number; hi: number; at: number }>();
  for (const v of views) {
    const r = ranges.get(v.buffer);
    const end = v.byteOffset + v.byteLength;
    if (!r) ranges.set(v.buffer, { lo: v.byteOffset, hi: end, at: 0 });
    else {
      if (v.byteOffset < r.lo) r.lo = v.byteOffset;
      if (end > r.hi) r.hi = end;
    }
  }
  let size = 0;
  for (const r of ranges.values()) {
    r.at = size;
    size += r.hi - r.lo;
  }
  const buffer = new ArrayBuffer(size);
  const all = new Uint8Array(buffer);
  for (const [src, r] of ranges) all.set(new Uint8Array(src, r.lo, r.hi - r.lo), r.at);
  const view = (v: Uint8Array): Uint8Array => {
    const r = ranges.get(v.buffer)!;
    return new Uint8Array(buffer, r.at + v.byteOffset - r.lo, v.byteLength);
  };
  const keys = new Map<readonly Uint8Array[], Uint8Array[]>();
  const records = t.records.map((r): TranscriptRecord => {
    const p: TranscriptRecord = { ...r, raw: view(r.raw) };
    if (r.plaintext) p.plaintext = { contentType: r.plaintext.contentType, fragment: view(r.plaintext.fragment) };
    if (r.openedWith) {
      let k = keys.get(r.openedWith.keys);
      if (!k) {
        k = r.openedWith.keys.map(view);
        keys.set(r.openedWith.keys, k);
      }
      const o: RecordOpener = { ...r.openedWith, keys: k };
      p.openedWith = o;
    }
    return p;
  });
  // `decoded: undefined` keeps the key where it was (redecodeMessages fills it in), so the objects keep their shape.
  const messages = t.messages.map((m): TranscriptMessage => {
    const p: TranscriptMessage = m.decoded ? { ...m, decoded: undefined } : { ...m };
    if (m.raw) p.raw = view(m.raw);
    return p;
  });
  return { transcript: { ...t, records, messages }, buffer };
}

/** The transcript of `packTranscript`, received on another thread: its handshake messages decoded again. */
export function unpackTranscript(t: Transcript): Transcript {
  redecodeMessages(t.messages);
  return t;
}
