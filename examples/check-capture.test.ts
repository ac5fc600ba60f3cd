/**
 * Checking a capture in a test: every connection of a Wireshark/tcpdump
 * capture (here mosquitto_pub against a mosquitto broker, mutual TLS 1.2),
 * decrypted with its key log, judged by every rule.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureToTranscripts, checkTranscript, nodeProvider } from 'tlsprop';

const DIR = join(__dirname, '..', 'fixtures', 'captures', 'mosquitto-t12-ecdhe-rsa-aes256-sha384-mutual');

test('every connection of the capture conforms', async () => {
  const provider = nodeProvider();
  const keylog = readFileSync(join(DIR, 'keylog.txt'), 'utf8');
  let connections = 0;
  for await (const c of captureToTranscripts(join(DIR, 'capture.pcap'), { keylog, provider })) {
    connections++;
    const { verdicts } = await checkTranscript(c.transcript, { provider });
    expect(verdicts.filter((v) => v.status === 'violation')).toEqual([]);
    // the encrypted Finished messages were read with the key log: nothing left undecided for want of keys
    expect(verdicts.find((v) => v.rule === 't12.fin.verify-data')?.status).toBe('pass');
  }
  expect(connections).toBe(1);
});
