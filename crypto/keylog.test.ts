import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fromHex, toHex } from '../wire/hex';
import { SHARED } from './testing/data';
import { formatKeyLog, KEYLOG_LABELS, KeyLogError, keyLogEntries, lookupKeyLog, parseKeyLog } from './keylog';

const CR = 'aa'.repeat(32);

describe('NSS key log', () => {
  test('parses the shared key logs (TLS 1.2 and 1.3)', () => {
    for (const f of [
      'captures/openssl-t13-mutual',
      'captures/openssl-t12-ecdhe-rsa-aes256-sha384-mutual',
      'vectors/rfc8448-section3',
    ]) {
      const text = readFileSync(join(SHARED, f, 'keylog.txt'), 'utf8');
      const entries = parseKeyLog(text);
      expect(entries.length).toBeGreaterThan(0);
      expect(Object.keys(lookupKeyLog(entries, entries[0]!.clientRandom)).length).toBeGreaterThan(0);
    }
  });

  test('comments and blank lines are tolerated; lookup by client random', () => {
    const text = `# SSL/TLS secrets log file\n\n   \nCLIENT_RANDOM ${CR} ${'11'.repeat(48)}\r\n# another\nEXPORTER_SECRET ${'bb'.repeat(32)} ${'22'.repeat(48)}\n`;
    const entries = parseKeyLog(text);
    expect(entries.map((e) => e.label)).toEqual(['CLIENT_RANDOM', 'EXPORTER_SECRET']);
    expect(toHex(lookupKeyLog(entries, fromHex(CR)).CLIENT_RANDOM!)).toBe('11'.repeat(48));
    expect(lookupKeyLog(entries, fromHex('cc'.repeat(32)))).toEqual({});
  });

  test.each([
    [`CLIENT_RANDOM ${CR}`, 2, '3 fields'],
    [`CLIENT_RANDOM ${CR.slice(2)} ${'11'.repeat(48)}`, 2, 'client random'],
    [`CLIENT_RANDOM ${CR} ${'1'.repeat(95)}`, 2, 'hex'],
    [`CLIENT_RANDOM ${CR} ${'11'.repeat(32)}`, 2, 'length'],
    [`BOGUS_LABEL ${CR} ${'11'.repeat(32)}`, 2, 'unknown label'],
    [`CLIENT_TRAFFIC_SECRET_0 ${CR} ${'zz'.repeat(32)}`, 2, 'hex'],
  ])('bad line %#: typed error with the line number', (line, lineNo, msg) => {
    const text = `# header\n${line}\n`;
    let err: unknown;
    try {
      parseKeyLog(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KeyLogError);
    expect((err as KeyLogError).line).toBe(lineNo);
    expect((err as KeyLogError).message).toContain(msg);
  });

  test('unknown labels can be skipped on request', () => {
    expect(parseKeyLog(`FUTURE_LABEL ${CR} ${'11'.repeat(32)}\n`, { ignoreUnknownLabels: true })).toEqual([]);
  });

  test('format then parse is the identity, for every label', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.subarray([...KEYLOG_LABELS]),
        fc.constantFrom(32, 48),
        (cr, labels, n) => {
          const secrets = Object.fromEntries(
            labels.map((l, i) => [l, new Uint8Array(l === 'CLIENT_RANDOM' ? 48 : n).fill(i + 1)]),
          );
          const entries = keyLogEntries(cr, secrets);
          const text = formatKeyLog(entries);
          expect(text.split('\n').filter(Boolean).length).toBe(labels.length);
          expect(parseKeyLog(text)).toEqual(entries);
          expect(lookupKeyLog(parseKeyLog(text), cr)).toEqual(secrets);
        },
      ),
      { numRuns: 50 },
    );
  });
});
