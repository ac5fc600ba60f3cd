/**
 * The reference scenario end to end: a mosquitto 2.0 broker configured like
 * the shared capture (tls_version tlsv1.2, ciphers ECDHE-RSA-AES256-SHA384,
 * require_certificate true) with our test PKI, and our client completing
 * TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 and an MQTT CONNECT /
 * CONNACK; the flow is exactly the write-up's, with zero violations. Then
 * the one-way variant, and our server with mosquitto_pub (capped at TLS 1.2
 * through OPENSSL_CONF) as the client, mutual and one-way. And the IoT case: a
 * mosquitto PSK listener (psk_hint, psk_file; TLS 1.2 PSK, ECDHE_PSK, DHE_PSK
 * and TLS 1.3) with our client, and mosquitto_pub --psk with our server, each
 * judged with the PSK given so its key schedule is decided.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeProvider } from '../crypto';
import type { TlsClient } from '../engine/client';
import type { ClientConfig } from '../engine/config';
import { SERVER_NAME } from '../engine/fixtures';
import { CipherSuite12, CipherSuite13, CipherSuitePsk12 } from '../engine/suites';
import { checkTranscript } from '../oracles/evaluate';
import { freePort, LoopbackListener, PeerGroup, type PeerProcess, requireBinary } from '../testing/launch';
import { describeEnd, formatVerdicts, handshakeFlow, type LiveRun, runOurClient, runOurServer, violationsOf } from '../fuzz/live';
import { MQTT_CONNACK, mosquittoBroker, mosquittoPub, mqttConnect, writeMaxTls12Conf } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';

const provider = nodeProvider();
const REF_SUITE = CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384;

/** The write-up's flow (meta.json expected_flow), NewSessionTicket optional. */
function expectedFlow(mutual: boolean, ticket: boolean): string[] {
  return [
    'C->S client_hello',
    'S->C server_hello',
    'S->C certificate',
    'S->C server_key_exchange',
    ...(mutual ? ['S->C certificate_request'] : []),
    'S->C server_hello_done',
    ...(mutual ? ['C->S certificate'] : []),
    'C->S client_key_exchange',
    ...(mutual ? ['C->S certificate_verify'] : []),
    'C->S change_cipher_spec',
    'C->S finished',
    ...(ticket ? ['S->C new_session_ticket'] : []),
    'S->C change_cipher_spec',
    'S->C finished',
  ];
}

let files: PkiFiles;
const group = new PeerGroup();

beforeAll(async () => {
  requireBinary('mosquitto', 'mosquitto');
  requireBinary('mosquitto_pub', 'mosquitto-clients');
  files = await writePki();
});

afterAll(async () => {
  await group.stopAll();
  files?.cleanup();
});

async function expectReferenceRun(live: LiveRun, mutual: boolean, peerOutput: string): Promise<void> {
  const where = `${describeEnd(live.run.end)}\npeer: ${peerOutput.slice(-1500)}\nflow: ${handshakeFlow(live.transcript).join(', ')}`;
  const o = live.run.end.outcome;
  // mosquitto_pub may publish, disconnect and send close_notify before our server reads again: closed after the handshake counts.
  const session = o.kind === 'connected' ? o.session : o.kind === 'closed' ? o.session : undefined;
  if (!session) throw new Error(`handshake did not complete: ${where}`);
  expect(session).toMatchObject({ version: 0x0303, cipherSuite: REF_SUITE });
  const flow = handshakeFlow(live.transcript);
  expect(flow).toEqual(expectedFlow(mutual, flow.includes('S->C new_session_ticket')));
  const { violations } = await violationsOf(live.transcript, files.pki.anchors);
  expect(formatVerdicts(violations)).toBe('');
}

describe('our client vs mosquitto broker (TLS 1.2, ECDHE-RSA-AES256-SHA384)', () => {
  it.each([
    ['mutual (require_certificate true)', true],
    ['one-way (require_certificate false, no cafile)', false],
  ] as const)('%s: handshake, MQTT CONNECT -> CONNACK, flow as written up, zero violations', async (_n, mutual) => {
    const port = await freePort();
    const broker = await group.launch(mosquittoBroker({ port, files, requireCertificate: mutual }));
    try {
      const config: ClientConfig = {
        provider,
        versions: [0x0303],
        cipherSuites: [REF_SUITE],
        serverName: SERVER_NAME,
        trustAnchors: files.pki.anchors,
      };
      if (mutual) config.identity = files.pki.identity('client', 'rsa');
      const live = await runOurClient(config, port, { appData: mqttConnect('tlsprop-interop'), readTimeoutMs: 8000 });
      await expectReferenceRun(live, mutual, broker.output);
      expect([...(live.run.received[0] ?? [])]).toEqual([...MQTT_CONNACK]);
    } finally {
      await broker.stop();
    }
  });
});

describe('our server vs mosquitto_pub (capped at TLS 1.2 via OPENSSL_CONF)', () => {
  it.each([
    ['mutual', true],
    ['one-way', false],
  ] as const)('%s: accepts the MQTT CONNECT and answers CONNACK', async (_n, mutual) => {
    const listener = await LoopbackListener.open();
    let pub: PeerProcess | undefined;
    try {
      const maxTls12Conf = writeMaxTls12Conf(files.dir);
      pub = await group.launch(
        mosquittoPub({ port: listener.port, files, maxTls12Conf, ...(mutual ? { identity: files.client.rsa } : {}) }),
      );
      const socket = await listener.accept();
      // CONNACK goes out once the handshake is done; mosquitto_pub's CONNECT is the reply we wait for.
      const live = await runOurServer(
        {
          provider,
          identity: files.pki.identity('server', 'rsa'),
          clientAuth: mutual ? 'require' : 'none',
          trustAnchors: files.pki.anchors,
          cipherSuites: [REF_SUITE],
        },
        socket,
        { appData: MQTT_CONNACK, readTimeoutMs: 8000 },
      );
      await expectReferenceRun(live, mutual, pub.output);
      const connect = live.run.received[0] ?? new Uint8Array(0);
      expect(connect[0]).toBe(0x10);
      expect(Buffer.from(connect).includes(Buffer.from('MQTT'))).toBe(true);
      expect(await pub.waitForOutput('received CONNACK', 5000)).toBe(true);
    } finally {
      await pub?.stop();
      await listener.close();
    }
  });
});

// ------------------------------------------------------------------- TLS-PSK (the IoT case)

const PSK_IDENTITY = 'mqtt-device-7';
const PSK_HEX = '6d7174742d7073b42d6b65792d31323334353637383930';
const PSK = { identity: new TextEncoder().encode(PSK_IDENTITY), key: Uint8Array.from(Buffer.from(PSK_HEX, 'hex')) };
const BROKER_HINT = 'tlsprop-broker';

/** The run completed, exchanged MQTT both ways, authenticated with the PSK and has zero violations (the PSK given). */
async function expectPskRun(live: LiveRun, version: number, suite: number | undefined, peerOutput: string): Promise<void> {
  const where = `${describeEnd(live.run.end)}\npeer: ${peerOutput.slice(-1500)}\nflow: ${handshakeFlow(live.transcript).join(', ')}`;
  const o = live.run.end.outcome;
  const session = o.kind === 'connected' ? o.session : o.kind === 'closed' ? o.session : undefined;
  if (!session) throw new Error(`handshake did not complete: ${where}`);
  expect(session).toMatchObject({ version, pskIdentity: PSK.identity, ...(suite !== undefined ? { cipherSuite: suite } : {}) });
  // a PSK handshake has no certificate (RSA_PSK aside): none in this flow
  expect(handshakeFlow(live.transcript)).not.toContain('S->C certificate');
  const { verdicts } = await checkTranscript(live.transcript, {
    trustAnchors: files.pki.anchors,
    judgeReactions: false,
    psks: [PSK],
  });
  expect(formatVerdicts(verdicts.filter((v) => v.status === 'violation'))).toBe('');
  // with the PSK given, the PSK key schedule is decided
  const decided = version === 0x0304 ? ['t13.psk.binder', 't13.ks.schedule'] : ['t12.ks.pms-psk'];
  for (const rule of decided)
    expect([rule, verdicts.filter((v) => v.rule === rule).map((v) => v.status)]).toEqual([rule, ['pass']]);
}

describe('our client vs a mosquitto PSK listener (psk_hint, psk_file)', () => {
  it.skip('TLS 1.2 DHE_PSK: unsupported (the PSK listener of mosquitto 2.0.11 sends the RFC 3526 2048-bit MODP group whatever dhparamfile says, not an RFC 7919 group; our engine runs TLS 1.2 DHE only with RFC 7919 groups)', () =>
    undefined);
  it.each([
    ['TLS 1.2 PSK', 0x0303, CipherSuitePsk12.TLS_PSK_WITH_AES_128_GCM_SHA256],
    ['TLS 1.2 ECDHE_PSK', 0x0303, CipherSuitePsk12.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256],
    ['TLS 1.3 external PSK (psk_dhe_ke)', 0x0304, undefined],
  ] as const)('%s: MQTT CONNECT -> CONNACK, the identity hint seen, zero violations', async (_n, version, suite) => {
    const port = await freePort();
    const pskFile = join(files.dir, `mosquitto-psk-${port}.txt`);
    writeFileSync(pskFile, `${PSK_IDENTITY}:${PSK_HEX}\n`);
    const broker = await group.launch(
      mosquittoBroker({
        port,
        files,
        requireCertificate: false,
        psk: {
          hint: BROKER_HINT,
          file: pskFile,
          tlsVersion: version === 0x0304 ? 'tlsv1.3' : 'tlsv1.2',
        },
      }),
    );
    try {
      const config: ClientConfig = {
        provider,
        versions: [version],
        psk: PSK,
        serverName: SERVER_NAME,
        ...(suite !== undefined ? { cipherSuites: [suite] } : {}),
      };
      const live = await runOurClient(config, port, { appData: mqttConnect('tlsprop-psk'), readTimeoutMs: 8000 });
      await expectPskRun(live, version, suite, broker.output);
      expect([...(live.run.received[0] ?? [])]).toEqual([...MQTT_CONNACK]);
      if (version === 0x0303) {
        const client = live.endpoint as TlsClient;
        expect(new TextDecoder().decode(client.pskIdentityHint)).toBe(BROKER_HINT);
      }
    } finally {
      await broker.stop();
    }
  });
});

describe('our server vs mosquitto_pub --psk', () => {
  it.skip('TLS 1.3 psk_ke: unsupported (mosquitto 2.0.11 has no setting for OpenSSL SSL_OP_ALLOW_NO_DHE_KEX: its PSK listener and mosquitto_pub use psk_dhe_ke only)', () =>
    undefined);
  it.each([
    ['TLS 1.2 (capped through OPENSSL_CONF)', 0x0303],
    ['TLS 1.3', 0x0304],
  ] as const)('%s: PSK handshake, the CONNECT accepted and answered CONNACK', async (_n, version) => {
    const listener = await LoopbackListener.open();
    let pub: PeerProcess | undefined;
    try {
      pub = await group.launch(
        mosquittoPub({
          port: listener.port,
          files,
          psk: { identity: PSK_IDENTITY, keyHex: PSK_HEX },
          ...(version === 0x0303 ? { maxTls12Conf: writeMaxTls12Conf(files.dir) } : {}),
        }),
      );
      const socket = await listener.accept();
      const live = await runOurServer(
        {
          provider,
          identity: files.pki.identity('server', 'rsa'),
          psks: [PSK],
          pskIdentityHint: new TextEncoder().encode(BROKER_HINT),
          versions: [version],
          // a PSK-only broker: mosquitto_pub --psk offers certificate suites too
          cipherSuites: [...Object.values(CipherSuite13), ...Object.values(CipherSuitePsk12)],
        },
        socket,
        { appData: MQTT_CONNACK, readTimeoutMs: 8000 },
      );
      await expectPskRun(live, version, undefined, pub.output);
      const connect = live.run.received[0] ?? new Uint8Array(0);
      expect(connect[0]).toBe(0x10);
      expect(await pub.waitForOutput('received CONNACK', 5000)).toBe(true);
    } finally {
      await pub?.stop();
      await listener.close();
    }
  });
});

describe('a real peer bug the rules catch', () => {
  it('mosquitto_pub -h 127.0.0.1 sends the IP literal as server_name: ext.sni.format is a violation', async () => {
    const listener = await LoopbackListener.open();
    let pub: PeerProcess | undefined;
    try {
      pub = await group.launch(
        mosquittoPub({ port: listener.port, files, maxTls12Conf: writeMaxTls12Conf(files.dir), host: '127.0.0.1' }),
      );
      const socket = await listener.accept();
      const live = await runOurServer(
        { provider, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors, cipherSuites: [REF_SUITE] },
        socket,
        { appData: MQTT_CONNACK, readTimeoutMs: 8000 },
      );
      const { violations } = await violationsOf(live.transcript, files.pki.anchors);
      expect(violations.map((v) => v.rule)).toEqual(['ext.sni.format']);
    } finally {
      await pub?.stop();
      await listener.close();
    }
  });
});

describe('cleanup', () => {
  it('leaves no child process running', async () => {
    await group.stopAll();
    expect(group.running().map((p) => `${p.name} pid ${p.pid}`)).toEqual([]);
  });
});
