/**
 * One TLS connection's records, in wire order, into a Transcript: every
 * record is opened by the connection's ConnectionDecryptor (decrypt.ts) and
 * added to a TranscriptBuilder. Captures (tls.ts, records cut from TCP
 * streams) and transcript JSON files that carry records (`tlsprop check
 * file.json --keylog keys.log`) both read their records through
 * `openRecord`, so a record is decrypted the same way whichever file it
 * came from.
 */
import { parseKeyLog, type KeyLogEntry } from '../crypto/keylog';
import { type CryptoProvider, defaultProvider } from '../crypto/provider';
import { type RecordInput, TranscriptBuilder } from '../transcript/build';
import type { Direction, Provenance, Transcript } from '../transcript/model';
import { ConnectionDecryptor, KeyStore } from './decrypt';

/** A record opened for the builder: its input, and what decryption made of it. */
export interface OpenedRecord {
  input: RecordInput;
  /** It was protected on the wire. */
  protected: boolean;
  /** It was protected and opened. */
  decrypted: boolean;
  /** Why a protected record could not be opened. */
  unreadable?: string;
}

/** Open one record (header included) sent in `dir` with the connection's decryptor. */
export async function openRecord(
  decryptor: ConnectionDecryptor,
  dir: Direction,
  raw: Uint8Array,
  frame?: number,
): Promise<OpenedRecord> {
  const contentType = raw[0]!;
  const version = (raw[1]! << 8) | raw[2]!;
  const res = await decryptor.open(dir, contentType, version, raw.subarray(5));
  const input: RecordInput = { dir, raw };
  if (frame !== undefined) input.frame = frame;
  if (res.kind === 'decrypted') {
    input.plaintext = { contentType: res.contentType, fragment: res.fragment };
    input.epoch = res.epoch;
    if (res.openedWith) input.openedWith = res.openedWith;
    return { input, protected: true, decrypted: true };
  }
  if (res.kind === 'plain') {
    input.epoch = 'plaintext';
    return { input, protected: false, decrypted: false };
  }
  // a record that may be client 0-RTT data is of the early epoch even unread (not of the handshake key's sequence)
  if (res.epoch) input.epoch = res.epoch;
  return { input, protected: true, decrypted: false, unreadable: res.reason };
}

/** Protected records of one direction that could not be opened for the same reason, from one frame on. */
export interface DecryptProblem {
  dir: Direction;
  frame: number | undefined;
  reason: string;
  count: number;
}

/** Note an unreadable record: consecutive ones with the same reason are counted together. */
export function noteProblem(problems: DecryptProblem[], dir: Direction, frame: number | undefined, reason: string): void {
  const last = [...problems].reverse().find((p) => p.dir === dir);
  if (last && last.reason === reason) last.count++;
  else problems.push({ dir, frame, reason, count: 1 });
}

const GENERIC_GAP = / could not be decrypted \(no key material\)$/;

/** Give the builder's generic "could not be decrypted" gaps their reason; add the other problems as gaps. */
export function applyProblems(t: Transcript, problems: readonly DecryptProblem[]): void {
  const describe = (p: DecryptProblem): string => {
    const at = p.frame !== undefined ? `from frame ${p.frame}` : 'from an unknown frame';
    return `${p.count} protected record(s) ${p.dir} ${at} could not be decrypted: ${p.reason}`;
  };
  const used = new Set<DecryptProblem>();
  for (const g of t.gaps) {
    if (!g.dir || !GENERIC_GAP.test(g.reason)) continue;
    const p = problems.find((q) => q.dir === g.dir && !used.has(q));
    if (!p) continue;
    used.add(p);
    g.reason = describe(p);
  }
  for (const p of problems) if (!used.has(p)) t.gaps.push({ dir: p.dir, reason: describe(p) });
}

export interface RecordsOptions {
  /** NSS key log text, or parsed entries. */
  keylog?: string | readonly KeyLogEntry[];
  provenance: Provenance;
  /** Carried over to the transcript as they are (secrets: key-log lines of this connection are added). */
  extra?: Partial<Pick<Transcript, 'client' | 'server' | 'capturedAt' | 'secrets' | 'ends'>>;
  provider?: CryptoProvider;
}

/**
 * A transcript from one connection's records in wire order (both directions
 * interleaved), decrypted with the key log like a capture's. Malformed key-log
 * text throws KeyLogError; a record shorter than its header throws DecodeError.
 */
export async function transcriptFromRecords(
  records: readonly { dir: Direction; raw: Uint8Array; frame?: number }[],
  opts: RecordsOptions,
): Promise<Transcript> {
  const keys = new KeyStore();
  if (typeof opts.keylog === 'string') keys.add(parseKeyLog(opts.keylog, { ignoreUnknownLabels: true }));
  else if (opts.keylog) keys.add(opts.keylog);
  const decryptor = new ConnectionDecryptor(opts.provider ?? defaultProvider(), keys);
  const builder = new TranscriptBuilder(opts.provenance, (raw, ctx) => decryptor.takeDecoded(raw, ctx));
  const problems: DecryptProblem[] = [];
  for (const r of records) {
    const o = await openRecord(decryptor, r.dir, r.raw, r.frame);
    if (o.unreadable !== undefined) noteProblem(problems, r.dir, r.frame, o.unreadable);
    try {
      builder.addRecord(o.input);
    } finally {
      decryptor.decoded.length = 0;
    }
  }
  const extra = { ...(opts.extra ?? {}) };
  const lines = decryptor.facts.clientRandoms.flatMap((cr) => keys.linesFor(cr));
  if (lines.length) {
    const have = extra.secrets?.keylog ?? [];
    extra.secrets = { ...(extra.secrets ?? {}), keylog: [...have, ...lines.filter((l) => !have.includes(l))] };
  }
  const t = builder.finish(extra);
  applyProblems(t, problems);
  return t;
}
