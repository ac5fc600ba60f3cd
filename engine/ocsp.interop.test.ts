/**
 * OCSP stapling (status_request, RFC 6066 §8; RFC 8446 §4.4.2.1) in both
 * roles: in memory, judged by the oracles, and our client against
 * `openssl s_server -status_file` on 127.0.0.1 (stopped by PID).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import { checkTranscript } from '../oracles/evaluate';
import { PeerGroup, freePort } from '../testing/launch';
import { runOurClient } from '../fuzz/live';
import { opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { AlertDescription } from '../wire/registry';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME } from './fixtures';
import type { EngineHooks } from './hooks';
import { runInMemory } from './memory';
import { describeOutcome } from './types';

const p = nodeProvider();
const peers = new PeerGroup();
let files: PkiFiles;
beforeAll(async () => {
  files = await writePki();
});
afterAll(async () => {
  await peers.stopAll();
  expect(peers.running()).toEqual([]);
  files.cleanup();
});

/** A well-formed OCSPResponse without response bytes: responseStatus tryLater (3) (RFC 6960 §4.2.1). */
const OCSP_TRY_LATER = Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x03);
const V = { '1.2': 0x0303, '1.3': 0x0304 } as const;
const client = (version: '1.2' | '1.3', extra: Partial<ClientConfig> = {}): ClientConfig => ({
  provider: p,
  versions: [V[version]],
  serverName: SERVER_NAME,
  trustAnchors: files.pki.anchors,
  ...extra,
});
const server = (version: '1.2' | '1.3', extra: Partial<ServerConfig> = {}): ServerConfig => ({
  provider: p,
  versions: [V[version]],
  identity: files.pki.identity('server', 'ecdsa'),
  ...extra,
});

describe('OCSP stapling in memory', () => {
  it.each(['1.2', '1.3'] as const)(
    'TLS %s: the configured response reaches the client in place, the oracles pass the status rules',
    async (version) => {
      const r = await runInMemory(client(version, { statusRequest: true }), server(version, { ocspResponse: OCSP_TRY_LATER }));
      const co = r.clientOutcome;
      if (co.kind !== 'connected') throw new Error(describeOutcome(co));
      expect(co.session.ocspResponse).toEqual(OCSP_TRY_LATER);
      const types = r.transcript.messages.filter((m) => m.kind === 'handshake').map((m) => m.type);
      if (version === '1.2')
        expect(types.slice(types.indexOf('certificate'), types.indexOf('certificate') + 3)).toEqual([
          'certificate',
          'certificate_status',
          'server_key_exchange',
        ]);
      else expect(types).not.toContain('certificate_status');
      const v = await checkTranscript(r.transcript, { trustAnchors: files.pki.anchors, at: new Date() });
      expect(v.verdicts.filter((x) => x.status === 'violation').map((x) => `${x.rule}: ${x.detail}`)).toEqual([]);
      const status = v.verdicts
        .filter((x) => x.rule === 'ext.status-request' || x.rule === 't12.order.cert-status-position')
        .map((x) => [x.rule, x.status]);
      expect(status).toContainEqual(['ext.status-request', 'pass']);
      if (version === '1.2') expect(status).toContainEqual(['t12.order.cert-status-position', 'pass']);
    },
  );

  it.each(['1.2', '1.3'] as const)('TLS %s: nothing stapled when the client did not ask', async (version) => {
    const r = await runInMemory(client(version), server(version, { ocspResponse: OCSP_TRY_LATER }));
    const co = r.clientOutcome;
    if (co.kind !== 'connected') throw new Error(describeOutcome(co));
    expect(co.session.ocspResponse).toBeUndefined();
    expect(r.transcript.messages.map((m) => m.type)).not.toContain('certificate_status');
  });

  it('TLS 1.2: a CertificateStatus the ServerHello did not agree to is unexpected_message', async () => {
    const inject: EngineHooks = {
      beforeSend: (m) =>
        m.type === 'certificate' ? [m.raw, Uint8Array.of(22, 0, 0, 9, 1, 0, 0, 5, ...OCSP_TRY_LATER)] : undefined,
    };
    const r = await runInMemory(client('1.2', { statusRequest: true }), server('1.2'), { server: inject });
    const o = r.clientOutcome;
    if (o.kind !== 'alert_sent') throw new Error(describeOutcome(o));
    expect(o.alert.description).toBe(AlertDescription.unexpected_message);
  });
});

describe('OCSP stapling against openssl s_server -status_file', () => {
  it.each(['1.2', '1.3'] as const)('TLS %s: our client receives the stapled response', async (version) => {
    const file = join(files.dir, 'ocsp.der');
    writeFileSync(file, OCSP_TRY_LATER);
    const port = await freePort();
    const srv = await peers.launch(opensslServer({ port, files, key: 'ecdsa', version, extra: ['-status_file', file] }));
    try {
      const live = await runOurClient(client(version, { statusRequest: true }), port, {
        appData: new TextEncoder().encode('ping\n'),
      });
      const o = live.run.end.outcome;
      if (o.kind !== 'connected') throw new Error(describeOutcome(o));
      expect(o.session.ocspResponse).toEqual(OCSP_TRY_LATER);
      expect(live.receivedText).toBe('gnip\n');
    } finally {
      await srv.stop();
    }
  });
});
