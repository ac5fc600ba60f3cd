/**
 * `tlsprop check` on a capture of an X25519MLKEM768 handshake (the group OpenSSL 3.5+, BoringSSL, Go 1.24+, Chrome
 * and Firefox offer by default). No capture of one exists on this machine (no local peer has ML-KEM), so our engine
 * makes it: a TLS 1.3 handshake over X25519MLKEM768 in memory, its records written as a pcap with the key log and
 * the CA. The check decrypts it and judges it fully: the ML-KEM share rules pass, no violation, and no verdict is
 * left inconclusive for an unknown or unsupported group.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tcpConversationPcap } from '../capture/synth';
import { nodeProvider } from '../crypto';
import { SERVER_NAME, testPki } from '../engine/fixtures';
import { runInMemory } from '../engine/memory';
import { CipherSuite13 } from '../engine/suites';
import { derToPem } from '../pki/pem';
import { NamedGroup } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import type { CheckOutput } from './check';
import { type Io, main } from './main';

function io(): Io & { text: () => string } {
  const out: string[] = [];
  return { out: (s) => out.push(s), err: (s) => out.push(s), readStdin: async () => '', text: () => out.join('\n') };
}

it('a pcap of a TLS 1.3 X25519MLKEM768 handshake is decrypted and judged with no group left unknown', async () => {
  const p = nodeProvider();
  const pki = await testPki(Date.now(), p);
  const v13 = [VERSION_CODE['1.3']];
  const suites = [CipherSuite13.TLS_AES_256_GCM_SHA384];
  const groups = [NamedGroup.X25519MLKEM768, NamedGroup.x25519];
  const r = await runInMemory(
    { provider: p, versions: v13, cipherSuites: suites, groups, serverName: SERVER_NAME, trustAnchors: pki.anchors },
    { provider: p, versions: v13, cipherSuites: suites, groups, identity: pki.identity('server', 'ecdsa') },
    {},
    { appData: { client: new TextEncoder().encode('GET /'), server: new TextEncoder().encode('200') }, closeNotify: true },
  );
  expect(r.clientOutcome.kind).toBe('closed');
  const dir = mkdtempSync(join(tmpdir(), 'tlsprop-mlkem-'));
  const pcap = join(dir, 'x25519mlkem768.pcap');
  const keylog = join(dir, 'x25519mlkem768.keylog');
  const ca = join(dir, 'ca.pem');
  const payloads = r.transcript.records.map((rec) => ({ dir: rec.dir, data: rec.raw }));
  writeFileSync(pcap, tcpConversationPcap(payloads, { startMs: Date.now() }));
  writeFileSync(keylog, `${(r.transcript.secrets?.keylog ?? []).join('\n')}\n`);
  writeFileSync(ca, pki.anchors.map((d) => derToPem(d, 'CERTIFICATE')).join(''));

  const o = io();
  const code = await main(['check', pcap, '--keylog', keylog, '--trust', ca, '--json'], o);
  const out = JSON.parse(o.text()) as CheckOutput;
  const c = out.connections[0]!;
  const verdicts = c.verdicts;
  expect(verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`)).toEqual([]);
  expect(code).toBe(0);
  // decrypted: the protected flight and the application data are messages, not unreadable records
  expect(c.messages.map((m) => m.type)).toEqual(
    expect.arrayContaining(['encrypted_extensions', 'certificate', 'certificate_verify', 'finished', 'application_data']),
  );
  // the key shares are judged by the ML-KEM rules, and nothing is inconclusive for an unknown or unsupported group
  const status = (id: string) => verdicts.filter((v) => v.rule === id).map((v) => v.status);
  expect(status('mlkem.share-length')).toEqual(['pass', 'pass']); // the client's share, the server's
  expect(status('mlkem.encapsulation-key')).toEqual(['pass']);
  expect(status('mlkem.ecdh-part')).toEqual(expect.arrayContaining(['pass']));
  expect(
    verdicts
      .filter((v) => v.status === 'inconclusive' && /group|unsupported|not implemented|arithmetic/i.test(v.detail))
      .map((v) => `${v.rule}: ${v.detail}`),
  ).toEqual([]);
});
