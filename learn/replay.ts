/**
 * Replaying a word against the live target (`tlsprop learn --replay WORD`,
 * and each difference of a learned machine): one query through the mapper,
 * its records turned into a transcript (every record we sealed or opened
 * carries its plaintext), and saved like a fuzz failure: a pcap with a
 * synthetic TCP connection on 127.0.0.1 carrying the records exactly as
 * they crossed, the NSS key log of the connection, and the transcript JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tcpConversationPcap } from '../capture/synth';
import { TranscriptBuilder } from '../transcript/build';
import { transcriptToJson } from '../transcript/json';
import type { Transcript } from '../transcript/model';
import type { Direction } from '../wire/vocabulary';
import { type InputSymbol, isInput, type TargetRole } from './alphabet';
import { LiveSul, type QueryRun, type SulOptions } from './sul';

/** `client_hello,certificate,...` (commas or spaces) as inputs; throws on an unknown name. */
export function parseWord(text: string): InputSymbol[] {
  const names = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = names.filter((n) => !isInput(n));
  if (bad.length) throw new Error(`unknown input(s) ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
  return names as InputSymbol[];
}

/** Run one word against the target (a fresh connection / client process). */
export async function replayWord(sul: SulOptions, word: readonly InputSymbol[]): Promise<QueryRun> {
  const s = await LiveSul.start({ ...sul, listen: sul.listen ? { ...sul.listen, workers: 1 } : undefined });
  try {
    return await s.query(word);
  } finally {
    await s.close();
  }
}

function dirOf(event: 'sent' | 'received', role: TargetRole): Direction {
  // our side is the client for a server target
  const ours: Direction = role === 'server' ? 'C->S' : 'S->C';
  return event === 'sent' ? ours : ours === 'C->S' ? 'S->C' : 'C->S';
}

/** The transcript of a replay: records as they crossed, with the plaintext of those our side sealed or opened. */
export function transcriptOfRun(run: QueryRun, role: TargetRole, target: string): Transcript {
  const b = new TranscriptBuilder({ kind: 'live', target, role: role === 'server' ? 'client' : 'server' });
  for (const e of run.wire) {
    const dir = dirOf(e.dir, role);
    if (e.plaintext) b.addRecord({ dir, raw: e.raw, plaintext: e.plaintext });
    else b.addRecord({ dir, raw: e.raw });
  }
  const ends = role === 'server' ? { client: 'tlsprop', server: target } : { client: target, server: 'tlsprop' };
  return b.finish({ ...ends, secrets: { keylog: run.keylog } });
}

export interface SavedReplay {
  pcap: string;
  keylog: string;
  json: string;
}

export function saveReplay(dir: string, stem: string, run: QueryRun, role: TargetRole, target: string): SavedReplay {
  mkdirSync(dir, { recursive: true });
  const safe = stem.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 120);
  const pcap = join(dir, `${safe}.pcap`);
  const keylog = join(dir, `${safe}.keylog`);
  const json = join(dir, `${safe}.json`);
  const payloads = run.wire.map((e) => ({ dir: dirOf(e.dir, role), data: e.raw }));
  const ports =
    role === 'server'
      ? { client: run.ports.client || 50000, server: run.ports.server || 443 }
      : { client: run.ports.server || 50000, server: run.ports.client || 443 };
  writeFileSync(
    pcap,
    tcpConversationPcap(payloads, {
      client: { ip: '127.0.0.1', port: ports.client },
      server: { ip: '127.0.0.1', port: ports.server },
    }),
  );
  writeFileSync(keylog, run.keylog.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  writeFileSync(json, `${JSON.stringify(transcriptToJson(transcriptOfRun(run, role, target)), null, 2)}\n`);
  return { pcap, keylog, json };
}
