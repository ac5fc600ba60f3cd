import { buildCoverage } from './coverage';
import { REDACTED_KEY, REDACTED_KEYLOG, publishable, redactDeep, redactText } from './redact';
import { sampleInput } from './testing/sample';
import { toHtml } from './writers/html';
import { toJson } from './writers/json';
import { toJunit } from './writers/junit';
import { toMarkdown } from './writers/markdown';

const HEX = '1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d';
const LINES = [
  `CLIENT_RANDOM ${HEX} ${HEX}${HEX}`,
  `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${HEX} ${HEX}`,
  `SERVER_TRAFFIC_SECRET_0 ${HEX} ${HEX}`,
  `EXPORTER_SECRET ${HEX} ${HEX}`,
  `CLIENT_EARLY_TRAFFIC_SECRET ${HEX} ${HEX}`,
];
const PEM = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKj\n-----END PRIVATE KEY-----`;
const EC_PEM = `-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----`;

describe('redaction', () => {
  it('replaces every NSS key-log line, even inside a sentence', () => {
    for (const l of LINES) {
      const out = redactText(`before ${l} after`);
      expect(out).toBe(`before ${REDACTED_KEYLOG} after`);
      expect(out).not.toContain(HEX);
    }
    expect(redactText(LINES.join('\n'))).toBe(Array(LINES.length).fill(REDACTED_KEYLOG).join('\n'));
  });
  it('replaces PEM private keys, also truncated ones, and keeps certificates and ordinary text', () => {
    expect(redactText(`key:\n${PEM}\nend`)).toBe(`key:\n${REDACTED_KEY}\nend`);
    expect(redactText(EC_PEM)).toBe(REDACTED_KEY);
    expect(redactText('-----BEGIN RSA PRIVATE KEY-----\nMIIEow')).toBe(REDACTED_KEY);
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(redactText(cert)).toBe(cert);
    const plain = 'The client random 4d77a1 is short; CLIENT_RANDOM alone is fine.';
    expect(redactText(plain)).toBe(plain);
  });
  it('walks objects deeply without touching the original', () => {
    const o = { a: [{ b: LINES[0] }], n: 3, t: true };
    const r = redactDeep(o);
    expect(r).toEqual({ a: [{ b: REDACTED_KEYLOG }], n: 3, t: true });
    expect(o.a[0]!.b).toBe(LINES[0]);
  });
  it('no writer leaks secrets unless includeSecrets', () => {
    const input = sampleInput();
    const t = input.transcripts[1]!;
    t.verdicts[2]!.detail = `leaked ${LINES[1]} and ${PEM}`;
    t.keylog = [LINES[0]!];
    input.conversations![1]!.detail = `server key ${EC_PEM}`;
    input.conversations![1]!.ladder.push(`note ${LINES[3]}`);
    const report = buildCoverage(input);
    expect(publishable(report).counterexamples.every((c) => c.keylog === undefined)).toBe(true);
    for (const write of [toJson, toJunit, toMarkdown, toHtml]) {
      const out = write(report);
      expect(out).not.toContain(HEX);
      expect(out).not.toContain('MIIEvQ');
      expect(out).not.toContain('MHcCAQEEIBkg');
      const kept = write(report, { includeSecrets: true });
      if (write !== toMarkdown) expect(kept).toContain(HEX);
    }
    expect(toJson(report, { includeSecrets: true })).toContain('MIIEvQ');
    expect(toHtml(report)).toContain(REDACTED_KEYLOG);
  });
});
