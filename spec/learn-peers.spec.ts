/**
 * The handshake state machines of the real peers, learned with a small
 * alphabet (the inputs of a full mutual-TLS handshake, out of order too)
 * and diffed against the RFC machine: each target's machine size and
 * every difference, with a comment on what it is (a real deviation with
 * the RFC sentence it breaks, or a latitude modelled in the reference with
 * its sentence). A target that starts to differ elsewhere, or stops
 * differing, fails here.
 *
 * Peers as Debian 12 ships them: OpenSSL 3.0, GnuTLS 3.7, Botan 2.19
 * (TLS 1.2 only), mosquitto 2.0 (the reference scenario: mutual TLS 1.2,
 * ECDHE-RSA-AES256-SHA384, MQTT CONNECT as application data) and Node's
 * tls (OpenSSL 3.0 inside). Learning is bounded by queries, not time.
 */
import { nodeProvider } from '../crypto';
import { DEFAULT_GROUPS, DEFAULT_SCHEMES, DEFAULT_SUITES } from '../engine/config';
import { CipherSuite12 } from '../engine/suites';
import type { InputSymbol } from '../learn/alphabet';
import { toDot } from '../learn/mealy';
import { type LearnRun, learnAndDiff } from '../learn/run';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, type LaunchSpec, LOOPBACK, PeerGroup } from '../testing/launch';
import { botanServer, gnutlsServer, mosquittoBroker, mqttConnect, opensslServer, writeBotanPolicy } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import type { TlsVersion } from '../wire/vocabulary';

const INPUTS: Record<TlsVersion, InputSymbol[]> = {
  '1.2': [
    'client_hello',
    'certificate',
    'certificate(empty)',
    'client_key_exchange',
    'certificate_verify',
    'change_cipher_spec',
    'finished',
  ],
  '1.3': ['client_hello', 'certificate', 'certificate(empty)', 'certificate_verify', 'change_cipher_spec', 'finished'],
};
const MAX_QUERIES = 1500;
/** Server processes per target that serve one connection at a time (one parallel query each). */
const PROCESSES = 6;

type Peer = 'openssl' | 'gnutls' | 'node' | 'botan' | 'mosquitto';

interface Expected {
  peer: Peer;
  version: TlsVersion;
  states: number;
  /** `kind word -> output`, each with a comment in the table below. */
  differences: string[];
  /** Latitudes taken: `id word -> output`. */
  latitudes: string[];
}

let files: PkiFiles;
const peers = new PeerGroup();
beforeAll(async () => {
  files = await writePki();
});
afterAll(async () => {
  await peers.stopAll();
  files.cleanup();
});

/** Start the peer; its addresses (several processes for the servers that take one connection at a time). */
async function start(
  peer: Peer,
  version: TlsVersion,
): Promise<{ ports: number[]; close: () => Promise<void>; appData?: Uint8Array }> {
  if (peer === 'node') {
    // Node's tls in a process of its own (in this one, its handshakes would share the learner's event loop and
    // slow every answer the learner times)
    const port = await freePort();
    await peers.launch(nodeServerProcess(port, version));
    return { ports: Array.from({ length: 8 }, () => port), close: async () => undefined };
  }
  if (peer === 'mosquitto') {
    const port = await freePort();
    await peers.launch(mosquittoBroker({ port, files, requireCertificate: true }));
    return { ports: [port, port, port, port], close: async () => undefined, appData: mqttConnect('tlsprop-learn') };
  }
  const ports: number[] = [];
  for (let i = 0; i < PROCESSES; i++) {
    const port = await freePort();
    if (peer === 'openssl')
      await peers.launch(
        opensslServer({ port, files, key: 'rsa', version, clientAuth: true, cipher: 'ECDHE-RSA-AES256-SHA384' }),
      );
    if (peer === 'gnutls') await peers.launch(gnutlsServer({ port, files, key: 'rsa', version, clientAuth: true }));
    if (peer === 'botan') await peers.launch(botanServer({ port, files, key: 'rsa', policy: writeBotanPolicy(files.dir) }));
    ports.push(port);
  }
  return { ports, close: async () => undefined };
}

/** `node` running a tls.createServer that echoes what it receives (as testing/peers.ts nodeTlsServer, in a process). */
function nodeServerProcess(port: number, version: TlsVersion): LaunchSpec {
  const script = join(files.dir, 'node-tls-echo.js');
  writeFileSync(
    script,
    [
      "const tls = require('node:tls');",
      "const fs = require('node:fs');",
      'const [port, key, cert, ca, version] = process.argv.slice(2);',
      "const v = version === '1.2' ? 'TLSv1.2' : 'TLSv1.3';",
      'const server = tls.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert), ca: fs.readFileSync(ca),',
      "  requestCert: true, rejectUnauthorized: true, minVersion: v, maxVersion: v, ciphers: 'ALL',",
      // renegotiation off, as deployments commonly have it (with it, the machine is the handshake twice over and takes
      // minutes to learn; GnuTLS shows the renegotiated half)
      "  secureOptions: require('node:crypto').constants.SSL_OP_NO_RENEGOTIATION },",
      // a TLS error after the handshake is only emitted to the application (Node's _tls_wrap onerror): the socket is
      // destroyed here, as an application does, or the connection stays open, silent, after the fatal alert
      "  (s) => { s.on('data', (d) => s.write(d)); s.on('error', () => s.destroy()); });",
      "server.on('tlsClientError', () => {});",
      "server.listen(Number(port), '127.0.0.1');",
      '',
    ].join('\n'),
  );
  return {
    name: 'node tls server',
    command: process.execPath,
    args: [script, String(port), files.server.rsa.key, files.server.rsa.cert, files.ca, version],
    listenPort: port,
  };
}

async function learnPeer(peer: Peer, version: TlsVersion): Promise<LearnRun> {
  const s = await start(peer, version);
  try {
    return await learnAndDiff({
      target: `${peer} TLS ${version}`,
      sul: {
        role: 'server',
        version,
        provider: nodeProvider(),
        targets: s.ports.map((port) => ({ host: LOOPBACK, port })),
        mapper: {
          suites: peer === 'mosquitto' ? [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384] : [...DEFAULT_SUITES],
          groups: [...DEFAULT_GROUPS],
          schemes: [...DEFAULT_SCHEMES],
          identity: files.pki.identity('client', 'rsa'),
          serverName: 'localhost',
          appData: s.appData ?? new TextEncoder().encode('tlsprop learn\n'),
        },
      },
      inputs: INPUTS[version],
      budgetMs: 20 * 60_000,
      maxQueries: MAX_QUERIES,
      equivalence: { depth: 1, randomWalks: 40 },
      replay: false,
    });
  } finally {
    await s.close();
  }
}

const EMPTY_CERT_12 = 'empty-client-certificate client_hello,certificate(empty) -> alert(handshake_failure)+closed';
const EMPTY_CERT_13 = 'empty-client-certificate client_hello,certificate(empty) -> alert(certificate_required)+closed';
const FULL_12 = 'client_hello,certificate,client_key_exchange,certificate_verify,change_cipher_spec,finished';

const EXPECTED: Expected[] = [
  {
    peer: 'openssl',
    version: '1.2',
    states: 8,
    differences: [],
    // refuses the empty Certificate (it requires one) with handshake_failure, and renegotiation with the warning
    // no_renegotiation (the connection goes on); both latitudes of the reference, with their sentences
    latitudes: [EMPTY_CERT_12, `renegotiation-refused ${FULL_12},client_hello -> alert(warning:no_renegotiation)`],
  },
  { peer: 'openssl', version: '1.3', states: 6, differences: [], latitudes: [EMPTY_CERT_13] },
  {
    peer: 'gnutls',
    version: '1.2',
    states: 13,
    differences: [
      // It requires a client certificate and refuses an empty one with decode_error. RFC 5246 §7.4.6 lets it refuse,
      // with the alert it names: "the server MAY ... respond with a fatal handshake_failure alert". A real deviation
      // (the alert), not of the state machine.
      'wrong-alert client_hello,certificate(empty) -> alert(decode_error)+closed',
      // Where the CertificateVerify of its non-empty client Certificate is due, any other handshake message
      // (ClientHello, Certificate again, an empty one, ClientKeyExchange again, Finished) is answered with
      // decode_error. The rules broken (t12.order.cv-iff-signing-cert with t12.order.single-occurrence or
      // t12.order.ccs-before-finished) name unexpected_message: "An inappropriate message was received." (RFC 5246
      // §7.2.2). Real deviations.
      'wrong-alert client_hello,certificate,client_key_exchange,client_hello -> alert(decode_error)+closed',
      'wrong-alert client_hello,certificate,client_key_exchange,certificate -> alert(decode_error)+closed',
      'wrong-alert client_hello,certificate,client_key_exchange,certificate(empty) -> alert(decode_error)+closed',
      'wrong-alert client_hello,certificate,client_key_exchange,client_key_exchange -> alert(decode_error)+closed',
      'wrong-alert client_hello,certificate,client_key_exchange,finished -> alert(decode_error)+closed',
      // It accepts renegotiation (hence 13 states); the renegotiated handshake answers the same inputs the same way,
      // with decode_error (and a close_notify): the empty Certificate, and the messages out of order where the
      // CertificateVerify is due.
      `wrong-alert ${FULL_12},client_hello,certificate(empty) -> alert(decode_error)+alert(warning:close_notify)+closed`,
      ...['client_hello', 'certificate', 'certificate(empty)', 'client_key_exchange', 'finished'].map(
        (x) =>
          `wrong-alert ${FULL_12},client_hello,certificate,client_key_exchange,${x} -> alert(decode_error)+alert(warning:close_notify)+closed`,
      ),
    ],
    latitudes: [],
  },
  {
    peer: 'gnutls',
    version: '1.3',
    states: 6,
    differences: [
      // A ChangeCipherSpec before the first ClientHello is dropped silently. RFC 8446 §5: "If an implementation
      // detects a change_cipher_spec record received before the first ClientHello message or after the peer's
      // Finished message, it MUST be treated as an unexpected record type (though stateless servers may not be able
      // to distinguish these cases from allowed cases)." gnutls-serv keeps state: a real deviation (rec.t13.ccs-compat),
      // the TLS 1.3 form of the early-CCS class.
      'accepts-invalid change_cipher_spec -> -',
      // Out-of-order handshake messages after its flight (a second ClientHello, CertificateVerify or Finished without
      // the requested Certificate) are answered with decode_error; the rules broken name unexpected_message ("An
      // inappropriate message (e.g., the wrong handshake message, ...) was received.", RFC 8446 §6). Real deviations.
      'wrong-alert client_hello,client_hello -> alert(decode_error)+closed',
      'wrong-alert client_hello,certificate_verify -> alert(decode_error)+closed',
      'wrong-alert client_hello,finished -> alert(decode_error)+closed',
    ],
    latitudes: [EMPTY_CERT_13],
  },
  {
    peer: 'node',
    version: '1.2',
    // renegotiation off (SSL_OP_NO_RENEGOTIATION): OpenSSL's machine, as openssl s_server's
    states: 8,
    differences: [],
    latitudes: [EMPTY_CERT_12, `renegotiation-refused ${FULL_12},client_hello -> alert(warning:no_renegotiation)`],
  },
  // openssl s_server's machine (the socket destroyed on error: see nodeServerProcess)
  { peer: 'node', version: '1.3', states: 6, differences: [], latitudes: [EMPTY_CERT_13] },
  {
    peer: 'botan',
    version: '1.2',
    // botan tls_server asks for no client certificate: a client Certificate is out of order from the start
    states: 6,
    differences: [],
    latitudes: [
      'renegotiation-refused client_hello,client_key_exchange,change_cipher_spec,finished,client_hello -> alert(warning:no_renegotiation)',
    ],
  },
  {
    peer: 'mosquitto',
    version: '1.2',
    // the reference scenario's broker (OpenSSL inside): the same machine as openssl s_server
    states: 8,
    differences: [],
    latitudes: [EMPTY_CERT_12, `renegotiation-refused ${FULL_12},client_hello -> alert(warning:no_renegotiation)`],
  },
];

describe('learned state machines of real servers against the RFC machine', () => {
  it.each(EXPECTED)(
    '$peer TLS $version',
    async (e) => {
      const run = await learnPeer(e.peer, e.version);
      const got = {
        states: run.result.machine.size,
        differences: run.differences.map((d) => `${d.kind} ${d.word.join(',')} -> ${d.output}`),
        latitudes: run.diff.freedoms.map((f) => `${f.freedom.id} ${f.word.join(',')} -> ${f.output}`),
      };
      const why = `${JSON.stringify(got, null, 2)}\n${run.differences.map((d) => `${d.kind}: ${d.detail}`).join('\n')}\n${toDot(run.result.machine)}`;
      expect({ ...got, why }).toEqual({ states: e.states, differences: e.differences, latitudes: e.latitudes, why });
      expect(run.result.complete).toBe(true);
    },
    10 * 60_000,
  );
});
