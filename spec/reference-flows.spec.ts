/**
 * The hand-written reference flows (the MQTT broker write-up): both are in
 * order, and the two classic misorderings are named by their rule.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTranscript } from '../oracles/evaluate';
import { type TranscriptJson, transcriptFromJson } from '../transcript/json';

function load(name: string): TranscriptJson {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8'));
}
async function ordering(j: TranscriptJson) {
  return (await checkTranscript(transcriptFromJson(j))).verdicts.filter((v) => v.rule.includes('.order.'));
}
const violations = async (j: TranscriptJson) => (await ordering(j)).filter((v) => v.status === 'violation');

describe('reference flows', () => {
  it.each(['reference-mutual', 'reference-oneway'])('%s has no ordering violation and its walk passes', async (name) => {
    const v = await ordering(load(name));
    expect(v.filter((x) => x.status === 'violation')).toEqual([]);
    expect(v.find((x) => x.rule === 't12.order.state-machine')?.status).toBe('pass');
  });

  it('mutual flow with CertificateVerify moved before ClientKeyExchange trips t12.order.cv-after-cke', async () => {
    const j = load('reference-mutual');
    const msgs = j.messages!;
    const cv = msgs.findIndex((m) => m.type === 'certificate_verify');
    const cke = msgs.findIndex((m) => m.type === 'client_key_exchange');
    const [moved] = msgs.splice(cv, 1);
    msgs.splice(cke, 0, moved!);
    const bad = await violations(j);
    const named = bad.find((v) => v.rule === 't12.order.cv-after-cke');
    expect(named).toMatchObject({
      status: 'violation',
      message: cke,
      expected: 'C->S client_key_exchange before it',
      actual: 'C->S certificate',
    });
    expect(bad.find((v) => v.rule === 't12.order.state-machine')?.detail).toMatch(
      /expected one of \[C->S client_key_exchange\], got C->S certificate_verify/,
    );
  });

  it('one-way flow with a client Certificate added trips t12.order.client-cert-iff-cr', async () => {
    const j = load('reference-oneway');
    const msgs = j.messages!;
    const cke = msgs.findIndex((m) => m.type === 'client_key_exchange');
    msgs.splice(cke, 0, { dir: 'C->S', type: 'certificate' });
    const bad = await violations(j);
    expect(bad.find((v) => v.rule === 't12.order.client-cert-iff-cr')).toMatchObject({
      message: cke,
      actual: 'C->S certificate',
    });
    expect(bad.some((v) => v.rule === 't12.order.state-machine')).toBe(true);
  });
});
