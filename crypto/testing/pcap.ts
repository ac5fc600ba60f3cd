/**
 * Test-only: the TLS records of the first TCP connection of a capture, per
 * direction in order, read with the project's capture reader.
 */
import { analyzeCapture } from '../../capture';
import { RecordStream } from '../../wire/record';

export interface TlsRecord {
  /** 'C->S' when sent by the client. */
  dir: 'C->S' | 'S->C';
  type: number;
  version: number;
  fragment: Uint8Array;
}

export async function tlsRecordsFromPcap(path: string): Promise<TlsRecord[]> {
  const { connections } = await analyzeCapture(path);
  const conn = connections[0];
  if (!conn) throw new Error(`no TCP connection in ${path}`);
  const out: TlsRecord[] = [];
  for (const [side, dir] of [
    ['client', 'C->S'],
    ['server', 'S->C'],
  ] as const) {
    const rs = new RecordStream();
    for (const chunk of conn.streams[side].chunks) {
      for (const r of rs.push(chunk.bytes)) out.push({ dir, type: r.contentType, version: r.version, fragment: r.fragment });
    }
  }
  return out;
}
