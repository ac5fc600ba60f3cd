/**
 * `tlsprop run`: the main job. For now it prints the built-in reference
 * flows (the MQTT-broker write-up) as ladders, decoded through the
 * Transcript model; the conformance suite replaces this as it lands.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transcriptFromJson } from '../transcript/json';
import type { Transcript } from '../transcript/model';
import { parseArgs } from './args';
import { displayName } from './explain';
import type { Io } from './main';

/** Group consecutive messages of one direction into flights: `C->S: ClientHello` lines. */
export function ladder(t: Transcript): string[] {
  const lines: string[] = [];
  let cur: { dir: string; names: string[] } | undefined;
  for (const m of t.messages) {
    const name = displayName(m.type);
    if (cur && cur.dir === m.dir) cur.names.push(name);
    else {
      if (cur) lines.push(`${cur.dir}: ${cur.names.join(', ')}`);
      cur = { dir: m.dir, names: [name] };
    }
  }
  if (cur) lines.push(`${cur.dir}: ${cur.names.join(', ')}`);
  return lines;
}

export async function runCommand(args: string[], io: Io): Promise<number> {
  parseArgs(args, {});
  for (const name of ['reference-mutual', 'reference-oneway']) {
    const file = join(__dirname, '..', 'spec', 'fixtures', `${name}.json`);
    const t = transcriptFromJson(JSON.parse(readFileSync(file, 'utf8')), file);
    io.out(`${name}:`);
    for (const l of ladder(t)) io.out(`  ${l}`);
  }
  io.out('The conformance suite (oracles, generators, live targets) is not built yet: see the open issues.');
  return 0;
}
