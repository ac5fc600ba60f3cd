/**
 * Transcripts rebuilt from tshark's view of the shared captures
 * (`expected.json`): every handshake message with its bytes, the
 * ChangeCipherSpec, alert and application-data entries by record type.
 */
import { TranscriptBuilder } from '../../transcript/build';
import type { Transcript } from '../../transcript/model';
import { fromHex } from '../../wire/hex';
import { type ExpectedConnection, type SharedCase, sharedCases } from './shared';

export interface CaseTranscript {
  name: string;
  connection: number;
  transcript: Transcript;
}

export function transcriptFromExpected(c: ExpectedConnection, file: string, connection: number): Transcript {
  const b = new TranscriptBuilder({ kind: 'capture', file, connection });
  for (const m of c.messages) {
    const common = { dir: m.dir, encrypted: m.encrypted, frame: m.frame };
    if (m.hex) b.addMessage({ ...common, type: 'handshake', raw: fromHex(m.hex) });
    else if (m.record_type === 'change_cipher_spec') b.addMessage({ ...common, type: 'change_cipher_spec' });
    else if (m.record_type === 'alert' || m.message?.startsWith('Alert')) b.addMessage({ ...common, type: 'alert' });
    else b.addMessage({ ...common, type: 'application_data' });
  }
  return b.finish({ client: c.client, server: c.server });
}

export function captureTranscripts(cases: SharedCase[] = sharedCases()): CaseTranscript[] {
  return cases.flatMap((c) =>
    c.expected.connections.map((conn, i) => ({
      name: c.name,
      connection: i,
      transcript: transcriptFromExpected(conn, c.capture, i),
    })),
  );
}
