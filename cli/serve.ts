/**
 * `tlsprop serve --listen HOST:PORT`: our engine as a standalone TLS 1.2/1.3 server, the server-side counterpart of
 * `tlsprop connect`, for people and for test suites that drive a server (tlsfuzzer, TLS-Anvil, a client under test).
 * One JSON line per connection on stdout; what it listens on and usage errors on stderr. Runs until SIGINT/SIGTERM
 * or --max-connections; exit 0, or 2 on usage errors. Loopback only unless --allow-remote.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { parseArgs as parseNodeArgs } from 'node:util';
import { ecdhGroupOf, ffdheGroupOf, kemGroupOf, nodeProvider, schemeInfo } from '../crypto';
import type { ClientAuthMode, Identity, ServerConfig } from '../engine/config';
import { DEFAULT_SUITES } from '../engine/config';
import { type Fault, FaultConfigError, FAULTS, parseFaults } from '../engine/faults';
import { testPki } from '../engine/fixtures';
import { serve, type ServeApp } from '../engine/serve';
import { ServerSessionCache } from '../engine/session';
import { engineSuite } from '../engine/suites';
import { cipherSuiteNames, cipherSuites, codeOf, namedGroups, signatureSchemes } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { UsageError } from './args';
import { readTrustAnchors } from './check';
import { isLoopback, readIdentity } from './connect';
import type { Io } from './main';
import { parsePsk } from './psk';

export const SERVE_USAGE =
  'serve --listen HOST:PORT [--version 1.2|1.3|both] [--cert C --key K | --key-type rsa|ecdsa] [--write-ca FILE] [--ca CA] [--client-auth none|request|require] [--suites LIST] [--groups LIST] [--schemes LIST] [--alpn LIST] [--tickets N] [--max-early-data N] [--psk IDENTITY:HEX] [--psk-hint TEXT] [--renegotiation refuse|secure|legacy] [--echo|--http] [--jobs N] [--max-connections N] [--timeout MS] [--keylog FILE] [--allow-remote] [--fault NAME]';

const HELP = `usage: tlsprop ${SERVE_USAGE}

Our TLS engine as a server. Each connection: the handshake, then either an
HTTP/1.0 answer (the default: read the request up to its blank line, answer
200, close with close_notify) or --echo (every record of application data is
sent back until the peer closes). A close_notify from the peer is answered with
ours. Connections are served one after another (--jobs N: N at once). One JSON
line per connection on stdout: peer, handshake completed or failed, outcome,
version, suite, group, ALPN, resumed, client certificates, the engine's state
and reason when it aborted, alerts sent and received.

  --listen HOST:PORT     where to listen; port 0 picks a free one (printed on stderr)
  --version V            1.2, 1.3 or both (default both)
  --cert C --key K       PEM chain (leaf first) and its key; without them a test identity
                         (an RSA or --key-type ecdsa leaf for localhost, 127.0.0.1 and
                         server.tlsprop.test under a generated root)
  --write-ca FILE        write the generated root (PEM) for clients to trust
  --ca CA                PEM trust anchors for client certificates (repeatable); with a
                         generated identity and --client-auth, the generated root
  --client-auth MODE     none (default), request or require a client certificate
  --suites LIST          IANA suite names in preference order (default: every suite the
                         engine implements, AEAD first)
  --groups LIST          named groups in preference order (x25519, secp256r1, secp384r1,
                         ffdhe2048, ffdhe3072)
  --schemes LIST         signature schemes in preference order (ecdsa_secp256r1_sha256, ...)
  --alpn LIST            ALPN protocols in preference order
  --tickets N            TLS 1.3 NewSessionTickets per connection (default 1); 0 also turns
                         off TLS 1.2 session tickets (session IDs are always cached)
  --max-early-data N     TLS 1.3 0-RTT: tickets carry early_data with max_early_data_size N
                         (RFC 8446 §4.6.1); the 0-RTT data of a ClientHello is accepted at most
                         once (§8); default: tickets without early_data
  --psk IDENTITY:HEX     an external pre-shared key (repeatable): TLS 1.2 PSK, DHE_PSK, RSA_PSK
                         and ECDHE_PSK suites (RFC 4279, RFC 5489) and TLS 1.3 external PSKs
                         (RFC 8446 §4.2.11); IDENTITY:HEX:sha384 binds a TLS 1.3 PSK to SHA-384
  --psk-hint TEXT        the TLS 1.2 psk_identity_hint (RFC 4279 §5.2)
  --renegotiation MODE   TLS 1.2 renegotiation (RFC 5746): refuse (default, no_renegotiation),
                         secure, or legacy (also without renegotiation_info: insecure)
  --jobs N               connections served at once (default 1)
  --max-connections N    exit after N connections
  --timeout MS           idle read timeout per connection (default 10000)
  --keylog FILE          NSS key log of every connection (for Wireshark)
  --allow-remote         listen on a non-loopback address
  --fault NAME           test only: a deliberately faulty server (engine/faults.ts):
                         ${Object.values(FAULTS)
                           .filter((f) => f.sides.includes('server'))
                           .map((f) => f.id)
                           .join(', ')}

examples:
  tlsprop serve --listen 127.0.0.1:4433 --write-ca /tmp/ca.pem
  openssl s_client -connect 127.0.0.1:4433 -CAfile /tmp/ca.pem
  tlsprop serve --listen 127.0.0.1:4433 --version 1.2 --suites TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 \\
      --cert server.crt --key server.key --ca rootCA.crt --client-auth require --keylog keys.log
  tlsprop serve --listen 127.0.0.1:0 --echo --jobs 4 --fault accept-missing-cv`;

/** HOST:PORT or [IPv6]:PORT, port 0 allowed. */
function parseListen(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new UsageError(`--listen expects HOST:PORT, got ${JSON.stringify(s)}`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--listen port out of range: ${m[2]}`);
  return { host: m[1]!, port };
}

function list(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function intOption(text: string | undefined, name: string, dflt: number, min: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} needs an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

/** Every suite the engine implements: the default list first, then the others (CCM, DHE, CBC-SHA) in registry order. */
export function engineSuites(): number[] {
  const rest = [...cipherSuites.keys()].filter((c) => engineSuite(c) !== undefined && !DEFAULT_SUITES.includes(c));
  return [...DEFAULT_SUITES, ...rest];
}

function suiteCodes(names: readonly string[]): number[] {
  return names.map((name) => {
    const code = codeOf(cipherSuiteNames, name) ?? codeOf(cipherSuiteNames, `TLS_${name}`);
    if (code === undefined)
      throw new UsageError(
        `unknown cipher suite ${JSON.stringify(name)} (IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384)`,
      );
    if (!engineSuite(code)) throw new UsageError(`cipher suite ${name} is not implemented by the engine`);
    return code;
  });
}

function groupCodes(names: readonly string[]): number[] {
  return names.map((name) => {
    const code = codeOf(namedGroups, name);
    if (code === undefined) throw new UsageError(`unknown group ${JSON.stringify(name)} (IANA name, e.g. x25519, secp256r1)`);
    if (!ecdhGroupOf(code) && !ffdheGroupOf(code) && !kemGroupOf(code))
      throw new UsageError(`group ${name} is not implemented by the engine`);
    return code;
  });
}

function schemeCodes(names: readonly string[]): number[] {
  return names.map((name) => {
    const code = codeOf(signatureSchemes, name);
    if (code === undefined)
      throw new UsageError(`unknown signature scheme ${JSON.stringify(name)} (IANA name, e.g. rsa_pss_rsae_sha256)`);
    if (!schemeInfo(code)) throw new UsageError(`signature scheme ${name} is not implemented by the engine`);
    return code;
  });
}

export async function serveCommand(args: string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(e.message);
    throw e;
  }
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  if (parsed.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`);
  if (v.listen === undefined) throw new UsageError(`--listen HOST:PORT is required\nusage: tlsprop ${SERVE_USAGE}`);
  const listen = parseListen(v.listen);
  if (!isLoopback(listen.host) && !v['allow-remote'])
    throw new UsageError(`${listen.host} is not a loopback address; give --allow-remote to listen elsewhere`);
  const host = listen.host === 'localhost' ? '127.0.0.1' : listen.host;

  const provider = nodeProvider();
  const version = v.version ?? 'both';
  if (version !== '1.2' && version !== '1.3' && version !== 'both')
    throw new UsageError(`--version must be 1.2, 1.3 or both, got ${JSON.stringify(version)}`);
  const versions = version === 'both' ? [VERSION_CODE['1.3'], VERSION_CODE['1.2']] : [VERSION_CODE[version as '1.2' | '1.3']];
  const clientAuth = v['client-auth'] ?? 'none';
  if (clientAuth !== 'none' && clientAuth !== 'request' && clientAuth !== 'require')
    throw new UsageError(`--client-auth must be none, request or require, got ${JSON.stringify(clientAuth)}`);
  if (v.echo && v.http) throw new UsageError('--echo and --http exclude each other');
  const app: ServeApp = v.echo ? { kind: 'echo' } : { kind: 'http' };

  if ((v.cert === undefined) !== (v.key === undefined)) throw new UsageError('--cert and --key go together');
  let identity: Identity;
  let generatedAnchors: Uint8Array[] | undefined;
  if (v.cert !== undefined && v.key !== undefined) {
    if (v['key-type'] !== undefined) throw new UsageError('--key-type is for the generated identity, not with --cert/--key');
    if (v['write-ca'] !== undefined) throw new UsageError('--write-ca writes the generated root: not with --cert/--key');
    identity = readIdentity(v.cert, v.key);
  } else {
    const kind = v['key-type'] ?? 'rsa';
    if (kind !== 'rsa' && kind !== 'ecdsa') throw new UsageError(`--key-type must be rsa or ecdsa, got ${JSON.stringify(kind)}`);
    const pki = await testPki();
    identity = pki.identity('server', kind);
    generatedAnchors = pki.anchors;
    if (v['write-ca'] !== undefined) writeFileSync(v['write-ca'], pki.root.pem);
  }

  const config: ServerConfig = {
    provider,
    versions,
    identity,
    clientAuth: clientAuth as ClientAuthMode,
    cipherSuites: v.suites ? suiteCodes(list(v.suites)) : engineSuites(),
  };
  const anchors = v.ca ? readTrustAnchors(v.ca) : clientAuth !== 'none' ? generatedAnchors : undefined;
  if (anchors) config.trustAnchors = anchors;
  else if (clientAuth !== 'none')
    io.err('tlsprop serve: no --ca: client certificates are parsed and their signatures checked, but not validated');
  if (v.groups) config.groups = groupCodes(list(v.groups));
  if (v.schemes) config.signatureSchemes = schemeCodes(list(v.schemes));
  if (v.alpn) config.alpn = list(v.alpn);
  if (v.psk) config.psks = v.psk.map(parsePsk);
  if (v['psk-hint'] !== undefined) config.pskIdentityHint = new TextEncoder().encode(v['psk-hint']);
  const reneg = v.renegotiation ?? 'refuse';
  if (reneg !== 'refuse' && reneg !== 'secure' && reneg !== 'legacy')
    throw new UsageError(`--renegotiation must be refuse, secure or legacy, got ${JSON.stringify(reneg)}`);
  config.renegotiation = reneg;
  const tickets = intOption(v.tickets, 'tickets', 1, 0);
  config.newSessionTickets = tickets;
  config.sessionTickets12 = tickets > 0;
  config.sessionCache = new ServerSessionCache(provider);
  if (v['max-early-data'] !== undefined) {
    if (tickets === 0) throw new UsageError('--max-early-data needs tickets: not with --tickets 0');
    config.maxEarlyDataSize = intOption(v['max-early-data'], 'max-early-data', 0, 1);
  }
  if (v.fault) {
    let faults: Fault[];
    try {
      faults = parseFaults(v.fault);
    } catch (e) {
      if (e instanceof FaultConfigError) throw new UsageError(`--fault: ${e.message}`);
      throw e;
    }
    const clientOnly = faults.filter((f) => !FAULTS[f].sides.includes('server'));
    if (clientOnly.length) throw new UsageError(`--fault: ${clientOnly.join(', ')} exist only in clients`);
    config.faults = faults;
    io.err(`tlsprop serve: faulty server (test only): ${faults.join(', ')}`);
  }
  const jobs = intOption(v.jobs, 'jobs', 1, 1);
  const timeout = intOption(v.timeout, 'timeout', 10_000, 1);
  const max = v['max-connections'] === undefined ? undefined : intOption(v['max-connections'], 'max-connections', 1, 1);
  const keylog = v.keylog;
  if (keylog !== undefined) writeFileSync(keylog, '');

  const serving = await serve({
    host,
    port: listen.port,
    config,
    app,
    jobs,
    readTimeoutMs: timeout,
    ...(max !== undefined ? { maxConnections: max } : {}),
    ...(keylog !== undefined ? { onKeyLog: (lines: string) => appendFileSync(keylog, lines) } : {}),
    onConnection: (c) => io.out(JSON.stringify(c.summary)),
  }).catch((e: unknown) => {
    throw new UsageError(`cannot listen on ${host}:${listen.port}: ${e instanceof Error ? e.message : String(e)}`);
  });
  io.err(
    `tlsprop serve: listening on ${serving.host.includes(':') ? `[${serving.host}]` : serving.host}:${serving.port} (TLS ${version === 'both' ? '1.3 and 1.2' : version}, ${app.kind}${clientAuth !== 'none' ? `, client certificates ${clientAuth === 'require' ? 'required' : 'requested'}` : ''})`,
  );
  const stop = () => void serving.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await serving.finished;
    await serving.close();
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  for (const e of serving.errors) io.err(`tlsprop serve: ${e}`);
  return 0;
}

function parse(args: string[]) {
  return parseNodeArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      listen: { type: 'string' },
      version: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      'key-type': { type: 'string' },
      'write-ca': { type: 'string' },
      ca: { type: 'string', multiple: true },
      'client-auth': { type: 'string' },
      suites: { type: 'string', multiple: true },
      groups: { type: 'string', multiple: true },
      schemes: { type: 'string', multiple: true },
      alpn: { type: 'string', multiple: true },
      tickets: { type: 'string' },
      'max-early-data': { type: 'string' },
      echo: { type: 'boolean' },
      http: { type: 'boolean' },
      jobs: { type: 'string' },
      'max-connections': { type: 'string' },
      timeout: { type: 'string' },
      keylog: { type: 'string' },
      'allow-remote': { type: 'boolean' },
      fault: { type: 'string', multiple: true },
      psk: { type: 'string', multiple: true },
      'psk-hint': { type: 'string' },
      renegotiation: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
