/**
 * `--save DIR`: a conversation written out so Wireshark / tshark open and
 * decrypt it: a classic pcap with a synthetic TCP connection on 127.0.0.1
 * (capture/synth.ts) carrying the records exactly as they crossed the
 * socket, the NSS key log our client wrote, and the transcript as JSON
 * (without secrets: those are in the key log file only).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tcpConversationPcap } from '../capture/synth';
import { transcriptToJson } from '../transcript/json';
import type { Transcript } from '../transcript/model';
import type { Side } from '../wire/vocabulary';

export interface SavedFiles {
  pcap: string;
  keylog: string;
  json?: string;
  /** The client command's output (stdout and stderr), against a client. */
  output?: string;
}

export interface SaveInput {
  /** Records in the order they crossed the socket, from our client's side. */
  records: readonly { dir: 'sent' | 'received'; raw: Uint8Array }[];
  keylog: readonly string[];
  transcript?: Transcript;
  serverPort: number;
  /** Client port in the synthetic capture (any; distinct per file helps when merging). */
  clientPort: number;
}

/** A file-name stem from a conversation path and name. */
export function stemOf(path: string, name: string): string {
  return `${path}-${name}`.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 120);
}

export function saveConversation(dir: string, stem: string, x: SaveInput): SavedFiles {
  mkdirSync(dir, { recursive: true });
  const pcap = join(dir, `${stem}.pcap`);
  const keylog = join(dir, `${stem}.keylog`);
  const payloads = x.records.map((r) => ({ dir: r.dir === 'sent' ? ('C->S' as const) : ('S->C' as const), data: r.raw }));
  writeFileSync(
    pcap,
    tcpConversationPcap(payloads, {
      client: { ip: '127.0.0.1', port: x.clientPort },
      server: { ip: '127.0.0.1', port: x.serverPort },
    }),
  );
  writeFileSync(keylog, x.keylog.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  const out: SavedFiles = { pcap, keylog };
  if (x.transcript) {
    out.json = join(dir, `${stem}.json`);
    writeFileSync(out.json, `${JSON.stringify(transcriptToJson(x.transcript), null, 2)}\n`);
  }
  return out;
}

/**
 * `--save`: one conversation as pcap + key log + transcript JSON. `records`
 * are as our endpoint saw them (`sent` by us); the capture is written from
 * the client's side whichever role we played.
 */
export function saveRun(
  dir: string,
  x: {
    path: string;
    name: string;
    role: Side;
    records: readonly { dir: 'sent' | 'received'; raw: Uint8Array }[];
    keylog: readonly string[];
    transcript?: Transcript;
    serverPort: number;
    clientPort: number;
    /** The peer command's output (a client under test): written beside the capture. */
    peerOutput?: string;
  },
): SavedFiles {
  const records =
    x.role === 'client'
      ? x.records
      : x.records.map((r) => ({ dir: r.dir === 'sent' ? ('received' as const) : ('sent' as const), raw: r.raw }));
  const input = { records, keylog: x.keylog, serverPort: x.serverPort, clientPort: x.clientPort };
  const stem = stemOf(x.path, x.name);
  const out = saveConversation(dir, stem, x.transcript ? { ...input, transcript: x.transcript } : input);
  if (x.peerOutput !== undefined) {
    out.output = join(dir, `${stem}.client-output.txt`);
    writeFileSync(out.output, x.peerOutput);
  }
  return out;
}
