import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedCases } from '../spec/support/shared';
import { DecodeError } from '../wire/errors';
import { fromHex } from '../wire/hex';
import { TranscriptBuilder } from './build';
import { transcriptFromJson, transcriptToJson } from './json';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'spec', 'fixtures', name), 'utf8'));

describe('hand-written transcripts', () => {
  it('reads the reference mutual-TLS flow of the MQTT write-up, with epochs from its ChangeCipherSpecs', () => {
    const t = transcriptFromJson(fixture('reference-mutual.json'));
    expect(t.messages.map((m) => `${m.dir} ${m.type}`)).toEqual([
      'C->S client_hello',
      'S->C server_hello',
      'S->C certificate',
      'S->C server_key_exchange',
      'S->C certificate_request',
      'S->C server_hello_done',
      'C->S certificate',
      'C->S client_key_exchange',
      'C->S certificate_verify',
      'C->S change_cipher_spec',
      'C->S finished',
      'S->C change_cipher_spec',
      'S->C finished',
      'C->S application_data',
      'S->C application_data',
    ]);
    expect(t.messages.filter((m) => m.encrypted).map((m) => m.index)).toEqual([10, 12, 13, 14]);
    expect(t.messages.every((m) => m.raw === undefined)).toBe(true);
  });

  it('names the field of a bad hand-written entry', () => {
    const bad = {
      messages: [
        { dir: 'C->S', type: 'client_hello' },
        { dir: 'sideways', type: 'server_hello' },
      ],
    };
    expect(() => transcriptFromJson(bad)).toThrow(DecodeError);
    try {
      transcriptFromJson(bad);
    } catch (e) {
      expect((e as DecodeError).path).toBe('messages[1].dir');
    }
    expect(() => transcriptFromJson({ messages: [{ dir: 'C->S', type: 'client_hello', raw: '01zz' }] })).toThrow(
      /messages\[0\]\.raw/,
    );
  });
});

describe('JSON round trip', () => {
  it.each(sharedCases().map((c) => [c.name, c] as const))('%s: messages survive toJson/fromJson with their bytes', (_n, c) => {
    const conn = c.expected.connections[0]!;
    const b = new TranscriptBuilder({ kind: 'manual' });
    for (const m of conn.messages) {
      if (m.hex) b.addMessage({ dir: m.dir, type: 'handshake', raw: fromHex(m.hex), frame: m.frame });
      else if (m.record_type === 'change_cipher_spec') b.addMessage({ dir: m.dir, type: 'change_cipher_spec', frame: m.frame });
    }
    const t = b.finish({ secrets: { keylog: ['CLIENT_RANDOM 00 11'] } });
    const json = JSON.parse(JSON.stringify(transcriptToJson(t)));
    expect(json.secrets).toBeUndefined();
    const back = transcriptFromJson(json);
    expect(back.messages.map((m) => [m.dir, m.type, m.raw, m.frame, m.encrypted])).toEqual(
      t.messages.map((m) => [m.dir, m.type, m.raw, m.frame, m.encrypted]),
    );
    expect(transcriptToJson(t, { includeSecrets: true }).secrets).toEqual({ keylog: ['CLIENT_RANDOM 00 11'] });
  });
});
