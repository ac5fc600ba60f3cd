/**
 * The data the tests read, vendored under fixtures/ (see fixtures/README.md):
 * real captures with key logs and tshark's view of them, and published
 * byte-level vectors. A missing folder is an error, never zero cases.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The vendored data (see fixtures/README.md). */
export const SHARED = resolve(__dirname, '..', '..', 'fixtures');

export interface ExpectedMessage {
  frame: number;
  dir: 'C->S' | 'S->C';
  record_type: string;
  encrypted: boolean;
  decrypted?: boolean;
  message?: string;
  handshake_type?: number;
  hex?: string;
}
export interface ExpectedConnection {
  client: string;
  server: string;
  sequence: Record<'C->S' | 'S->C', string[]>;
  messages: ExpectedMessage[];
}

/** A case folder: a capture, its key log and what tshark saw. */
export interface SharedCase {
  name: string;
  dir: string;
  capture: string;
  keylog?: string;
  expected: { connections: ExpectedConnection[] };
  meta: Record<string, unknown>;
}

export function sharedCases(): SharedCase[] {
  const out: SharedCase[] = [];
  for (const root of ['captures', 'vectors']) {
    const base = join(SHARED, root);
    if (!existsSync(base)) throw new Error(`test data missing: ${base} (fixtures/ is part of the repository)`);
    for (const name of readdirSync(base).sort()) {
      const dir = join(base, name);
      const exp = join(dir, 'expected.json');
      if (!existsSync(exp)) continue;
      const c: SharedCase = {
        name: `${root}/${name}`,
        dir,
        capture: join(dir, 'capture.pcap'),
        expected: JSON.parse(readFileSync(exp, 'utf8')),
        meta: existsSync(join(dir, 'meta.json')) ? JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) : {},
      };
      if (existsSync(join(dir, 'keylog.txt'))) c.keylog = join(dir, 'keylog.txt');
      out.push(c);
    }
  }
  return out;
}

export interface VectorFile {
  name: string;
  dir: string;
  data: { handshake_messages: Array<{ dir: 'C->S' | 'S->C'; message: string; hex: string }>; [k: string]: unknown };
}

export function vectorFiles(): VectorFile[] {
  const base = join(SHARED, 'vectors');
  if (!existsSync(base)) throw new Error(`test data missing: ${base} (fixtures/ is part of the repository)`);
  return readdirSync(base)
    .sort()
    .filter((n) => existsSync(join(base, n, 'vectors.json')))
    .map((name) => ({ name, dir: join(base, name), data: JSON.parse(readFileSync(join(base, name, 'vectors.json'), 'utf8')) }));
}

/** TLS handshake message names as tshark prints them -> RFC snake_case. */
export function snake(name: string): string {
  return name.replace(/(?<!^)(?=[A-Z])/g, '_').toLowerCase();
}
