/**
 * Real data: every encrypted record of every shared capture decrypts with
 * the keys derived from the key log (TLS 1.2: master secret -> key block;
 * TLS 1.3: traffic secrets -> key/iv), and the decrypted handshake bytes are
 * exactly the messages tshark reported. Covers AES-CBC + HMAC-SHA1 MtE,
 * AES-256-CBC + HMAC-SHA384 EtM, TLS 1.2 AES-256-GCM and TLS 1.3 AES-256-GCM.
 *
 * The decryption loop is the capture layer's (capture/tls.ts, decrypt.ts),
 * run here with every crypto provider.
 */
import { join } from 'node:path';
import { readCaptureTranscripts } from '../capture/tls';
import { concatBytes, toHex } from '../wire/hex';
import { CAPTURE_DIRS, loadCapture, SHARED } from './testing/data';
import { PROVIDERS } from './testing/providers';

describe.each(PROVIDERS)('capture records (%s)', (_name, make) => {
  const p = make();

  test.each(CAPTURE_DIRS.map((d) => [d]))('%s: every encrypted record decrypts; handshake bytes match', async (dir) => {
    const cap = loadCapture(dir);
    const [ct, extra] = await readCaptureTranscripts(join(SHARED, dir, 'capture.pcap'), { keylog: cap.keylog, provider: p });
    expect(extra).toBeUndefined();
    const t = ct!.transcript;
    expect(t.gaps).toEqual([]);
    expect(ct!.decryption.decrypted).toBe(ct!.decryption.protectedRecords);
    expect(ct!.decryption.decrypted).toBeGreaterThanOrEqual(4);
    for (const r of t.records) {
      if (!r.encrypted) continue;
      expect(r.plaintext).toBeDefined();
      if (r.plaintext!.contentType === 21) expect(r.plaintext!.fragment.length).toBe(2);
    }
    const hsMsgs = cap.connections[0]!.messages.filter((m) => m.hex !== undefined);
    for (const d of ['C->S', 'S->C'] as const) {
      const expected = hsMsgs
        .filter((m) => m.dir === d && m.encrypted)
        .map((m) => m.hex!)
        .join('');
      const got = t.messages
        .filter((m) => m.dir === d && m.kind === 'handshake' && m.encrypted)
        .map((m) => m.raw ?? new Uint8Array(0));
      expect(toHex(concatBytes(got))).toBe(expected);
    }
  });
});
