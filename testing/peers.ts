/**
 * Command lines of the real peers (OpenSSL 3.0, GnuTLS 3.7, Botan 2,
 * mosquitto 2.0, Chromium as a client) and Node's tls, all on 127.0.0.1. Servers that can only
 * listen on every interface (gnutls-serv, botan) are connected to on
 * 127.0.0.1 only. See /work/shared/reference/peers.md for the quirks.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as tlsCreateServer, type TLSSocket } from 'node:tls';
import type { TlsVersion } from '../wire/vocabulary';
import { shellQuote } from '../fuzz/clientcmd';
import { LOOPBACK, type LaunchSpec, requireBinary } from './launch';
import type { KeyKind, PemPair, PkiFiles } from './pki';

/** OpenSSL names of the suites the matrix uses (TLS 1.3 suites keep their IANA names). */
export const OPENSSL_CIPHER: Readonly<Record<string, string>> = {
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: 'ECDHE-RSA-AES256-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: 'ECDHE-ECDSA-AES256-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_256_CBC_SHA256: 'AES256-SHA256',
};

/** OpenSSL / Node group names. */
export const OPENSSL_GROUP: Readonly<Record<string, string>> = { x25519: 'X25519', secp256r1: 'P-256', secp384r1: 'P-384' };
export interface OpensslServerOptions {
  port: number;
  files: PkiFiles;
  key: KeyKind;
  /** Restrict to one version (default: both). */
  version?: TlsVersion;
  /** OpenSSL TLS 1.2 cipher string (default ALL, so RSA key exchange and CBC suites are on). */
  cipher?: string;
  /** TLS 1.3 suites (default OpenSSL's). */
  ciphersuites?: string;
  groups?: string;
  clientAuth?: boolean;
  extra?: string[];
  /** -rev, answering each line reversed (default true); false: plain mode (prints what it gets, sends its stdin). */
  echo?: boolean;
  /**
   * Plain mode without -quiet: s_server then also reads its commands from stdin (a line `r`: renegotiate, i.e. send a
   * HelloRequest; `R`: the same asking for a client certificate) and prints more.
   */
  commands?: boolean;
}

/** `openssl s_server -rev` (echoes each line reversed). */
export function opensslServer(o: OpensslServerOptions): LaunchSpec {
  const id = o.files.server[o.key];
  const args = [
    's_server',
    '-accept',
    `${LOOPBACK}:${o.port}`,
    ...(o.echo === false ? (o.commands ? [] : ['-quiet']) : ['-rev']),
    '-cert',
    id.cert,
    '-key',
    id.key,
    '-CAfile',
    o.files.ca,
    '-cipher',
    o.cipher ?? 'ALL',
    '-groups',
    o.groups ?? 'X25519:P-256:P-384',
  ];
  if (o.version) args.push(o.version === '1.2' ? '-tls1_2' : '-tls1_3');
  if (o.ciphersuites) args.push('-ciphersuites', o.ciphersuites);
  if (o.clientAuth) args.push('-Verify', '1', '-verify_return_error');
  args.push(...(o.extra ?? []));
  return { name: 'openssl s_server', command: 'openssl', package: 'openssl', args, listenPort: o.port };
}

/**
 * openssl s_server with an external PSK and no certificate (the IoT case, issue #18): `-psk HEX -psk_identity ID
 * -nocert`, one version. TLS 1.2 takes the PSK suites (plain PSK, DHE_PSK, ECDHE_PSK), TLS 1.3 the SHA-256 suites (the
 * PSK is bound to SHA-256); `-rev` echoes lines reversed.
 */
export function opensslPskServer(o: { port: number; identity: string; hex: string; version: TlsVersion }): LaunchSpec {
  const args = ['s_server', '-accept', `${LOOPBACK}:${o.port}`, '-rev', '-nocert', '-psk', o.hex, '-psk_identity', o.identity];
  args.push(...(o.version === '1.2' ? ['-tls1_2', '-cipher', 'PSK'] : ['-tls1_3']));
  return { name: 'openssl s_server -psk', command: 'openssl', package: 'openssl', args, listenPort: o.port };
}

export interface OpensslClientOptions {
  port: number;
  files: PkiFiles;
  version: TlsVersion;
  /** OpenSSL cipher name (TLS 1.2) or TLS 1.3 suite name. */
  cipher: string;
  group: string;
  /** Client certificate to send, when the server asks. */
  identity?: PemPair;
  servername?: string;
  keylog?: string;
  /** Further arguments (e.g. -sess_out FILE, -allow_no_dhe_kex). */
  extra?: string[];
  /** Without -quiet: s_client also reads its commands from stdin (a line `R`: renegotiate; `k`: KeyUpdate) and prints more. */
  commands?: boolean;
}

/** `openssl s_client -quiet` (stdin is sent, received data printed). */
export function opensslClient(o: OpensslClientOptions): LaunchSpec {
  const args = [
    's_client',
    '-connect',
    `${LOOPBACK}:${o.port}`,
    '-servername',
    o.servername ?? 'localhost',
    '-CAfile',
    o.files.ca,
    '-verify_return_error',
    ...(o.commands ? [] : ['-quiet']),
    '-groups',
    o.group,
  ];
  if (o.version === '1.2') args.push('-tls1_2', '-cipher', o.cipher);
  else args.push('-tls1_3', '-ciphersuites', o.cipher);
  if (o.identity) args.push('-cert', o.identity.cert, '-key', o.identity.key);
  if (o.keylog) args.push('-keylogfile', o.keylog);
  args.push(...(o.extra ?? []));
  return { name: 'openssl s_client', command: 'openssl', package: 'openssl', args };
}

/** GnuTLS group names of the matrix groups. */
export const GNUTLS_GROUP: Readonly<Record<string, string>> = {
  x25519: 'GROUP-X25519',
  secp256r1: 'GROUP-SECP256R1',
  secp384r1: 'GROUP-SECP384R1',
};

/**
 * Priority string: NORMAL plus the CBC suites with SHA-256/384 MACs (not in
 * GnuTLS 3.7's NORMAL), optionally one version and an ordered group list.
 */
export function gnutlsPriority(version?: TlsVersion, groups?: readonly string[]): string {
  let p = 'NORMAL:+SHA256:+SHA384';
  if (version) p += `:-VERS-ALL:+VERS-TLS${version}`;
  if (groups?.length) p += `:-GROUP-ALL:${groups.map((g) => `+${GNUTLS_GROUP[g] ?? g}`).join(':')}`;
  return p;
}

/** `gnutls-serv --echo` (listens on all interfaces; connect on 127.0.0.1 only). */
export function gnutlsServer(o: {
  port: number;
  files: PkiFiles;
  key: KeyKind;
  version?: TlsVersion;
  clientAuth?: boolean;
  priority?: string;
  extra?: string[];
}): LaunchSpec {
  const id = o.files.server[o.key];
  const args = [
    '--port',
    String(o.port),
    '--echo',
    '--x509certfile',
    id.cert,
    '--x509keyfile',
    id.key,
    '--x509cafile',
    o.files.ca,
    '--priority',
    o.priority ?? gnutlsPriority(o.version),
  ];
  if (o.clientAuth) args.push('--require-client-cert', '--verify-client-cert');
  args.push(...(o.extra ?? []));
  return { name: 'gnutls-serv', command: 'gnutls-serv', package: 'gnutls-bin', args, listenPort: o.port, startTimeoutMs: 8000 };
}

/** `gnutls-cli` to 127.0.0.1 (stdin is sent, received data printed). */
export function gnutlsClient(o: {
  port: number;
  files: PkiFiles;
  version?: TlsVersion;
  groups?: readonly string[];
  identity?: PemPair;
  priority?: string;
  extra?: string[];
}): LaunchSpec {
  const args = [
    LOOPBACK,
    '--port',
    String(o.port),
    '--x509cafile',
    o.files.ca,
    '--priority',
    o.priority ?? gnutlsPriority(o.version, o.groups),
  ];
  if (o.identity) args.push('--x509certfile', o.identity.cert, '--x509keyfile', o.identity.key);
  args.push(...(o.extra ?? []));
  return { name: 'gnutls-cli', command: 'gnutls-cli', package: 'gnutls-bin', args };
}

/**
 * `botan tls_server` (TLS 1.2 only; all interfaces). A policy file adds the
 * CBC-SHA384 suites its default policy lacks.
 */
export function botanServer(o: { port: number; files: PkiFiles; key: KeyKind; policy?: string }): LaunchSpec {
  const id = o.files.server[o.key];
  const args = ['tls_server', id.cert, id.key, `--port=${o.port}`];
  if (o.policy) args.push(`--policy=${o.policy}`);
  return { name: 'botan tls_server', command: 'botan', package: 'botan', args, listenPort: o.port, startTimeoutMs: 8000 };
}

/**
 * `botan tls_client` to `host` (default localhost, which /etc/hosts maps to
 * 127.0.0.1; Botan checks the server certificate against that name). TLS 1.2
 * only, and it has no option to send a client certificate. Stdin is sent,
 * received data printed.
 */
export function botanClient(o: { port: number; files: PkiFiles; policy?: string; host?: string }): LaunchSpec {
  const args = [
    'tls_client',
    o.host ?? 'localhost',
    `--port=${o.port}`,
    `--trusted-cas=${o.files.ca}`,
    '--skip-system-cert-store',
  ];
  if (o.policy) args.push(`--policy=${o.policy}`);
  return { name: 'botan tls_client', command: 'botan', package: 'botan', args };
}

/** Botan policy text enabling the matrix's ciphers (AEADs and CBC with SHA-256/384, ECDHE and RSA). */
export function writeBotanPolicy(dir: string, preferredGroup = 'x25519'): string {
  const path = join(dir, `botan-policy-${preferredGroup}.txt`);
  const groups = [...new Set([preferredGroup, 'x25519', 'secp256r1', 'secp384r1'])].join(' ');
  writeFileSync(
    path,
    [
      'allow_tls10=false',
      'allow_tls11=false',
      'allow_tls12=true',
      'allow_dtls10=false',
      'allow_dtls12=false',
      'ciphers=ChaCha20Poly1305 AES-256/GCM AES-128/GCM AES-256 AES-128',
      'macs=AEAD SHA-384 SHA-256',
      'signature_hashes=SHA-512 SHA-384 SHA-256',
      'signature_methods=ECDSA RSA IMPLICIT',
      'key_exchange_methods=ECDH RSA',
      `key_exchange_groups=${groups}`,
      'negotiate_encrypt_then_mac=true',
      '',
    ].join('\n'),
  );
  return path;
}

export interface MosquittoOptions {
  port: number;
  files: PkiFiles;
  /** require_certificate (mutual TLS). */
  requireCertificate: boolean;
  ciphers?: string;
  /**
   * A PSK listener instead of a certificate one (mosquitto allows not both on one listener): psk_hint and a psk_file
   * of `identity:hexkey` lines; `dhparam` a DH parameters PEM (dhparamfile) for DHE_PSK; `tlsVersion` the listener's.
   */
  psk?: { hint: string; file: string; dhparam?: string; tlsVersion?: 'tlsv1.2' | 'tlsv1.3' };
}

/** A mosquitto.conf like the shared capture's, on 127.0.0.1:port; returns the launch spec. */
export function mosquittoBroker(o: MosquittoOptions): LaunchSpec {
  const conf = join(o.files.dir, `mosquitto-${o.port}.conf`);
  const lines = [
    'per_listener_settings false',
    'allow_anonymous true',
    'persistence false',
    'log_dest stdout',
    'log_type all',
    `listener ${o.port} ${LOOPBACK}`,
  ];
  if (o.psk) {
    lines.push(`psk_hint ${o.psk.hint}`, `psk_file ${o.psk.file}`, `tls_version ${o.psk.tlsVersion ?? 'tlsv1.2'}`);
    if (o.ciphers) lines.push(`ciphers ${o.ciphers}`);
    if (o.psk.dhparam) lines.push(`dhparamfile ${o.psk.dhparam}`);
  } else {
    lines.push(
      `certfile ${o.files.server.rsa.cert}`,
      `keyfile ${o.files.server.rsa.key}`,
      'tls_version tlsv1.2',
      `ciphers ${o.ciphers ?? 'ECDHE-RSA-AES256-SHA384'}`,
      `require_certificate ${o.requireCertificate}`,
    );
    // One-way: no cafile, so no client certificate is asked for or verified.
    if (o.requireCertificate) lines.splice(6, 0, `cafile ${o.files.ca}`);
  }
  writeFileSync(conf, `${lines.join('\n')}\n`);
  return { name: 'mosquitto', command: 'mosquitto', package: 'mosquitto', args: ['-c', conf], listenPort: o.port };
}

/** OpenSSL config capping the protocol at TLS 1.2 (mosquitto 2.0 treats --tls-version as a minimum). */
export function writeMaxTls12Conf(dir: string): string {
  const path = join(dir, 'openssl-max-tls12.cnf');
  writeFileSync(
    path,
    [
      'openssl_conf = openssl_init',
      '[openssl_init]',
      'ssl_conf = ssl_sect',
      '[ssl_sect]',
      'system_default = system_default_sect',
      '[system_default_sect]',
      'MaxProtocol = TLSv1.2',
      '',
    ].join('\n'),
  );
  return path;
}

/** `mosquitto_pub` to 127.0.0.1, capped at TLS 1.2 via OPENSSL_CONF. */
export function mosquittoPub(o: {
  port: number;
  files: PkiFiles;
  identity?: PemPair;
  /** Cap at TLS 1.2 (OPENSSL_CONF); without it mosquitto_pub goes up to TLS 1.3. */
  maxTls12Conf?: string;
  message?: string;
  host?: string;
  /** TLS-PSK instead of certificates: --psk (hex) and --psk-identity, with these OpenSSL ciphers (default theirs). */
  psk?: { identity: string; keyHex: string; ciphers?: string };
}): LaunchSpec {
  // localhost as in the write-up: with -h 127.0.0.1 libmosquitto sends the IP literal as SNI (RFC 6066 §3 forbids it).
  const args = [
    '-h',
    o.host ?? 'localhost',
    '-p',
    String(o.port),
    ...(o.psk
      ? ['--psk', o.psk.keyHex, '--psk-identity', o.psk.identity, ...(o.psk.ciphers ? ['--ciphers', o.psk.ciphers] : [])]
      : ['--cafile', o.files.ca, '--ciphers', 'ECDHE-RSA-AES256-SHA384']),
    '--tls-version',
    'tlsv1.2',
    '-t',
    'tlsprop/interop',
    '-m',
    o.message ?? 'hello',
    '-q',
    '0',
    '-d',
  ];
  if (o.identity) args.push('--cert', o.identity.cert, '--key', o.identity.key);
  return {
    name: 'mosquitto_pub',
    command: 'mosquitto_pub',
    package: 'mosquitto-clients',
    args,
    ...(o.maxTls12Conf ? { env: { OPENSSL_CONF: o.maxTls12Conf } } : {}),
  };
}

/** MQTT 3.1.1 CONNECT (clean session, keep-alive 60 s) with the given client id. */
export function mqttConnect(clientId = 'tlsprop'): Uint8Array {
  const id = Buffer.from(clientId, 'utf8');
  const variable = [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c];
  const rest = [...variable, id.length >> 8, id.length & 0xff, ...id];
  if (rest.length > 127) throw new RangeError('client id too long for this minimal encoder');
  return Uint8Array.from([0x10, rest.length, ...rest]);
}

/** MQTT CONNACK, connection accepted. */
export const MQTT_CONNACK = Uint8Array.from([0x20, 0x02, 0x00, 0x00]);

// ---------------------------------------------------------------------------
// Node tls, in process.

export interface NodeTlsOptions {
  files: PkiFiles;
  key: KeyKind;
  /** Group the server prefers (it picks by its own order). */
  preferredGroup?: string;
  version?: TlsVersion;
  clientAuth?: boolean;
  /** OpenSSL cipher string (default ALL). */
  ciphers?: string;
  /** The whole group list (ecdhCurve), overriding preferredGroup. */
  groups?: string;
  /** DH parameters file (PEM) for TLS 1.2 DHE suites. */
  dhparam?: string;
  /** OpenSSL SSL_OP_* bits (crypto.constants), e.g. SSL_OP_NO_TICKET. */
  secureOptions?: number;
  /**
   * A TLS 1.2 session-ID cache (Node keeps none of its own: OpenSSL's
   * internal cache is off, sessions go through newSession/resumeSession).
   */
  sessionCache?: boolean;
  /** When a connection receives data containing this text, the server renegotiates (TLS 1.2 HelloRequest) instead of echoing it. */
  renegotiateOn?: string;
  /** An external PSK the server accepts (pskCallback) and the TLS 1.2 identity hint it sends. */
  psk?: { identity: string; key: Uint8Array; hint?: string };
}

function readPem(path: string): Buffer {
  return readFileSync(path);
}

function tlsVersion(v: TlsVersion): 'TLSv1.2' | 'TLSv1.3' {
  return v === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
}

export interface NodeTlsServer {
  port: number;
  /** NSS key-log lines the server reported. */
  keylog: string[];
  /** Errors of failed handshakes (tlsClientError). */
  errors: string[];
  close(): Promise<void>;
}

/** Node `tls.createServer` on 127.0.0.1:0 echoing what it receives. */
export async function nodeTlsServer(o: NodeTlsOptions): Promise<NodeTlsServer> {
  const id = o.files.server[o.key];
  const keylog: string[] = [];
  const errors: string[] = [];
  const sockets = new Set<TLSSocket>();
  const server = tlsCreateServer(
    {
      key: readPem(id.key),
      cert: readPem(id.cert),
      ca: readPem(o.files.ca),
      requestCert: o.clientAuth ?? false,
      rejectUnauthorized: o.clientAuth ?? false,
      minVersion: o.version ? tlsVersion(o.version) : 'TLSv1.2',
      maxVersion: o.version ? tlsVersion(o.version) : 'TLSv1.3',
      ciphers: o.ciphers ?? 'ALL',
      ecdhCurve:
        o.groups ?? [...new Set([OPENSSL_GROUP[o.preferredGroup ?? 'x25519'] ?? 'X25519', 'X25519', 'P-256', 'P-384'])].join(':'),
      ...(o.dhparam ? { dhparam: readPem(o.dhparam) } : {}),
      ...(o.secureOptions !== undefined ? { secureOptions: o.secureOptions } : {}),
      ...(o.psk
        ? {
            pskCallback: (_s: TLSSocket, identity: string) => (identity === o.psk?.identity ? Buffer.from(o.psk.key) : null),
            ...(o.psk.hint ? { pskIdentityHint: o.psk.hint } : {}),
          }
        : {}),
    },
    (socket) => {
      sockets.add(socket);
      socket.on('data', (d: Buffer) => {
        if (o.renegotiateOn && d.toString('latin1').includes(o.renegotiateOn)) socket.renegotiate({}, () => undefined);
        else socket.write(d);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    },
  );
  server.on('keylog', (line: Buffer) => keylog.push(line.toString('utf8').trim()));
  server.on('tlsClientError', (e) => errors.push(e.message));
  if (o.sessionCache) {
    const sessions = new Map<string, Buffer>();
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      sessions.set(id.toString('hex'), data);
      done();
    });
    server.on('resumeSession', (id: Buffer, done: (err: Error | null, data?: Buffer | null) => void) =>
      done(null, sessions.get(id.toString('hex')) ?? null),
    );
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    port,
    keylog,
    errors,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface NodeTlsClientResult {
  ok: boolean;
  /** Data received before close. */
  received: string;
  error?: string;
  protocol?: string | null;
  cipher?: string;
}

/** Node `tls.connect` to 127.0.0.1:port: sends `send` once connected, resolves when `expect` arrived (or on error / timeout). */
export async function nodeTlsClient(o: {
  port: number;
  files: PkiFiles;
  version: TlsVersion;
  cipher: string;
  group: string;
  identity?: PemPair;
  send: string;
  expect: string;
  timeoutMs?: number;
}): Promise<NodeTlsClientResult> {
  return new Promise<NodeTlsClientResult>((resolve) => {
    let received = '';
    let settled = false;
    const opts = {
      host: LOOPBACK,
      port: o.port,
      servername: 'localhost',
      ca: readPem(o.files.ca),
      minVersion: tlsVersion(o.version),
      maxVersion: tlsVersion(o.version),
      ecdhCurve: o.group,
      ciphers: o.cipher,
      ...(o.identity ? { key: readPem(o.identity.key), cert: readPem(o.identity.cert) } : {}),
    };
    const socket = tlsConnect(opts);
    const finish = (r: NodeTlsClientResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, received, error: `timed out after ${o.timeoutMs ?? 8000} ms` }),
      o.timeoutMs ?? 8000,
    );
    socket.on('secureConnect', () => socket.write(o.send));
    socket.on('data', (d: Buffer) => {
      received += d.toString('utf8');
      if (received.includes(o.expect)) {
        const c = socket.getCipher();
        finish({ ok: true, received, protocol: socket.getProtocol(), cipher: c.standardName ?? c.name });
      }
    });
    socket.on('error', (e) => finish({ ok: false, received, error: e.message }));
    socket.on('close', () => finish({ ok: received.includes(o.expect), received, error: 'closed' }));
  });
}

export interface NodeAnsweringClientResult {
  /** The handshake completed. */
  connected: boolean;
  /** Everything received, as text. */
  received: string;
  /** Sessions the client was given ('session' events: TLS 1.3 tickets, TLS 1.2 sessions), newest last. */
  sessions: Buffer[];
  /** Whether Node reports this connection as resumed. */
  reused: boolean;
  /** The TLS 1.2 psk_identity_hint the server gave, with a PSK. */
  pskHint?: string;
  error?: string;
}

/**
 * Node `tls.connect` to 127.0.0.1:port that answers: every `pong<N>` it
 * receives is answered with `ping<N>\n` (so a server drives the
 * conversation, KeyUpdates included). Resolves when the connection closes
 * (or after `timeoutMs`).
 */
export async function nodeAnsweringClient(o: {
  port: number;
  files: PemFilesForClient;
  version: TlsVersion;
  ciphers?: string;
  groups: string;
  identity?: PemPair;
  session?: Buffer;
  secureOptions?: number;
  timeoutMs?: number;
  /** When it receives this text, the client renegotiates (TLS 1.2), then answers `pong<N>` as before. */
  renegotiateOn?: string;
  /** An external PSK (pskCallback); the hint the server gave is kept in the result. */
  psk?: { identity: string; key: Uint8Array };
}): Promise<NodeAnsweringClientResult> {
  return new Promise<NodeAnsweringClientResult>((resolve) => {
    const r: NodeAnsweringClientResult = { connected: false, received: '', sessions: [], reused: false };
    let settled = false;
    const socket = tlsConnect({
      host: LOOPBACK,
      port: o.port,
      servername: 'localhost',
      ca: readPem(o.files.ca),
      minVersion: tlsVersion(o.version),
      maxVersion: tlsVersion(o.version),
      ecdhCurve: o.groups,
      ...(o.ciphers ? { ciphers: o.ciphers } : {}),
      ...(o.session ? { session: o.session } : {}),
      ...(o.secureOptions !== undefined ? { secureOptions: o.secureOptions } : {}),
      ...(o.identity ? { key: readPem(o.identity.key), cert: readPem(o.identity.cert) } : {}),
      ...(o.psk
        ? {
            checkServerIdentity: () => undefined,
            pskCallback: (hint: string | null) => {
              if (hint !== null) r.pskHint = hint;
              return { psk: Buffer.from(o.psk!.key), identity: o.psk!.identity };
            },
          }
        : {}),
    });
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(error === undefined ? r : { ...r, error });
    };
    const timer = setTimeout(() => finish(`timed out after ${o.timeoutMs ?? 10_000} ms`), o.timeoutMs ?? 10_000);
    socket.on('secureConnect', () => {
      r.connected = true;
      r.reused = socket.isSessionReused();
    });
    socket.on('session', (s: Buffer) => r.sessions.push(s));
    socket.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      r.received += text;
      if (o.renegotiateOn && text.includes(o.renegotiateOn)) socket.renegotiate({}, () => undefined);
      for (const m of text.matchAll(/pong(\d*)/g)) socket.write(`ping${m[1] ?? ''}\n`);
    });
    socket.on('error', (e) => finish(e.message));
    socket.on('close', () => finish());
  });
}

/** What a client needs of the PKI files: the CA. */
export interface PemFilesForClient {
  ca: string;
}

/** Chromium's switches for one page load: headless, no QUIC, no background traffic, no first-run or sync requests. */
export const CHROMIUM_CLIENT_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

/** Chromium's preferences of a fresh profile: no network prediction, so no speculative second connection to the page. */
const CHROMIUM_PREFERENCES = JSON.stringify({ net: { network_prediction_options: 2 } });

/**
 * A HOME for Chromium in which our test CA is a trusted root: Chromium on Linux trusts the roots of the NSS database at
 * $HOME/.pki/nssdb, written here with `certutil` (package libnss3-tools), so the server certificate is validated for
 * real (an untrusted root: certificate_unknown and ERR_CERT_AUTHORITY_INVALID, so certificate faults stay
 * meaningful). Under `dir` (the caller removes it), with the template of the fresh profiles `chromiumProfile` and
 * `chromiumCommand` make: network prediction off (Chromium otherwise preconnects a second socket to the page while the
 * first one handshakes, and a client fuzzer that closes it fails the page load with that socket's error).
 */
export function chromiumHome(dir: string, files: PemFilesForClient): string {
  const certutil = requireBinary('certutil', 'libnss3-tools');
  const db = join(dir, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  const run = (args: string[]) => {
    const r = spawnSync(certutil, ['-d', `sql:${db}`, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`certutil ${args[0]} failed: ${r.stderr || r.stdout}`);
  };
  run(['-N', '--empty-password']);
  run(['-A', '-t', 'C,,', '-n', 'tlsprop test root', '-i', files.ca]);
  mkdirSync(join(dir, 'profile-template', 'Default'), { recursive: true });
  writeFileSync(join(dir, 'profile-template', 'Default', 'Preferences'), CHROMIUM_PREFERENCES);
  return dir;
}

/** A fresh Chromium profile under `home` (chromiumHome), from its template. */
export function chromiumProfile(home: string): string {
  const d = mkdtempSync(join(home, 'profile.'));
  cpSync(join(home, 'profile-template'), d, { recursive: true });
  return d;
}

/**
 * Chromium (Debian's /usr/bin/chromium: BoringSSL) as a TLS client: one headless page load of
 * https://127.0.0.1:PORT/ (`--dump-dom` prints the page and exits), HOME=`home` (`chromiumHome`: our CA trusted through
 * NSS) and a fresh `profile` (`chromiumProfile`). It offers TLS 1.3 and 1.2, X25519MLKEM768 (0x11ec) first in its
 * key_share and compress_certificate with brotli (RFC 8879). The URL is loopback only: no other one is ever given,
 * and the switches turn off QUIC and background requests.
 */
export function chromiumClient(o: { port: number | '{port}'; home: string; profile: string }): LaunchSpec {
  const args = [...CHROMIUM_CLIENT_ARGS, `--user-data-dir=${o.profile}`, '--dump-dom', `https://${LOOPBACK}:${o.port}/`];
  return { name: 'chromium', command: 'chromium', package: 'chromium', args, env: { HOME: o.home } };
}

/**
 * The shell command line of `chromiumClient` for the client fuzzer (`--client-cmd`, fuzz/clientcmd.ts: `{port}` is
 * substituted per conversation): HOME set, a fresh profile copied from the template by the shell at each start.
 */
export function chromiumCommand(home: string): string {
  const spec = chromiumClient({ port: '{port}', home, profile: '"$D"' });
  const words = spec.args.map((a) => (a.startsWith('--user-data-dir=') ? a : shellQuote(a)));
  const fresh = 'D="$(mktemp -d "$HOME/profile.XXXXXX")" && cp -r "$HOME/profile-template/." "$D"';
  return `export HOME=${shellQuote(home)} && ${fresh} && exec ${shellQuote(requireBinary('chromium'))} ${words.join(' ')}`;
}
