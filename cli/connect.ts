/**
 * `tlsprop connect HOST:PORT`: one handshake with our client, one line of
 * application data, the flow printed as `C->S:` / `S->C:` lines. Exit 0 when
 * the handshake completed, 1 when it failed (with how: alert received or
 * sent, closed, reset, timed out), 2 on usage errors. Only loopback targets
 * unless --allow-remote is given.
 *
 * Test-only and left out of the usage line: `--fault NAME` (repeatable, or a
 * comma list) switches on client-side faults of engine/faults.ts, making this
 * a deliberately faulty client (e.g. as a fuzzer's `--client-cmd`):
 * skip-finished-check, accept-early-ccs, accept-unoffered-suite,
 * accept-invalid-ecdh-point. A fault that only exists in servers is a usage error.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { formatKeyLog, nodeProvider } from '../crypto';
import { type ClientConfig, DEFAULT_SUITES, type Identity } from '../engine/config';
import { CipherSuitePsk12 } from '../engine/suites';
import { type Fault, FaultConfigError, FAULTS, parseFaults } from '../engine/faults';
import { describeEnd, flowLines, runOurClient } from '../fuzz/live';
import { GROUP_CODE, suiteCode, suiteName } from '../fuzz/names';
import { pemBlocks } from '../pki/pem';
import { NamedGroup } from '../wire/registry';
import { option, parseArgs, UsageError } from './args';
import { readTrustAnchors } from './check';
import type { Io } from './main';
import { parsePsk } from './psk';
import { VERSION_CODE } from '../wire/vocabulary';

export const CONNECT_USAGE =
  'connect HOST:PORT [--version 1.2|1.3] [--suite NAME] [--group NAME] [--cert C --key K] [--ca CA] [--servername N] [--psk IDENTITY:HEX] [--keylog FILE] [--timeout MS] [--data TEXT] [--allow-remote]';

const GROUP_ALIASES: Readonly<Record<string, number>> = {
  ...GROUP_CODE,
  X25519: NamedGroup.x25519,
  'P-256': NamedGroup.secp256r1,
  prime256v1: NamedGroup.secp256r1,
  'P-384': NamedGroup.secp384r1,
};

/** HOST:PORT or [IPv6]:PORT. */
export function parseTarget(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new UsageError(`expects HOST:PORT, got ${JSON.stringify(s)}`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`port out of range: ${m[2]}`);
  return { host: m[1]!, port };
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

/** Certificate chain (PEM, leaf first) and private key (PEM, any type Node reads) as an engine Identity. */
export function readIdentity(certFile: string, keyFile: string): Identity {
  const chain = pemBlocks(readText(certFile), 'CERTIFICATE');
  if (!chain.length) throw new UsageError(`${certFile} holds no PEM CERTIFICATE`);
  try {
    const key = createPrivateKey(readText(keyFile));
    const pkcs8 = new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }));
    const spki = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
    return { chain, pkcs8, spki };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${keyFile} is not a usable private key: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export async function connectCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(args, {
    flags: ['allow-remote'],
    options: ['version', 'suite', 'group', 'cert', 'key', 'ca', 'servername', 'keylog', 'timeout', 'data', 'fault', 'psk'],
  });
  if (p.positional.length !== 1) throw new UsageError(`usage: tlsprop ${CONNECT_USAGE}`);
  const target = parseTarget(p.positional[0]!);
  if (!isLoopback(target.host) && !p.flags.has('allow-remote'))
    throw new UsageError(`${target.host} is not a loopback address; give --allow-remote to connect elsewhere`);
  const host = target.host === 'localhost' ? '127.0.0.1' : target.host;

  const config: ClientConfig = { provider: nodeProvider() };
  const version = option(p, 'version');
  if (version !== undefined) {
    if (version !== '1.2' && version !== '1.3')
      throw new UsageError(`--version must be 1.2 or 1.3, got ${JSON.stringify(version)}`);
    config.versions = [VERSION_CODE[version === '1.2' ? '1.2' : '1.3']];
  }
  const suites = p.options.get('suite');
  if (suites) {
    config.cipherSuites = suites
      .flatMap((s) => s.split(','))
      .map((name) => {
        const code = suiteCode(name) ?? suiteCode(`TLS_${name}`);
        if (code === undefined)
          throw new UsageError(
            `unknown cipher suite ${JSON.stringify(name)} (IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384)`,
          );
        return code;
      });
  }
  const groups = p.options.get('group');
  if (groups) {
    const codes = groups
      .flatMap((g) => g.split(','))
      .map((g) => {
        const code = GROUP_ALIASES[g];
        if (code === undefined) throw new UsageError(`unknown group ${JSON.stringify(g)} (x25519, secp256r1, secp384r1)`);
        return code;
      });
    config.groups = codes;
    config.keyShareGroups = codes.slice(0, 1);
  }
  // --psk: an external PSK; without --suite the TLS 1.2 PSK suites follow the certificate ones (RFC 4279, RFC 5489)
  const psk = option(p, 'psk');
  if (psk !== undefined) {
    config.psk = parsePsk(psk);
    if (!suites) config.cipherSuites = [...DEFAULT_SUITES, ...Object.values(CipherSuitePsk12)];
  }
  const cert = option(p, 'cert');
  const key = option(p, 'key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together');
  if (cert !== undefined && key !== undefined) config.identity = readIdentity(cert, key);
  const ca = p.options.get('ca');
  if (ca) config.trustAnchors = readTrustAnchors(ca);
  const servername = option(p, 'servername') ?? (isIP(host) ? undefined : target.host);
  if (servername !== undefined) config.serverName = servername;
  const timeoutText = option(p, 'timeout') ?? '5000';
  const timeout = Number(timeoutText);
  if (!Number.isInteger(timeout) || timeout <= 0)
    throw new UsageError(`--timeout needs a positive number of ms, got ${JSON.stringify(timeoutText)}`);
  const data = option(p, 'data') ?? 'hello from tlsprop';
  const faultNames = p.options.get('fault');
  if (faultNames) {
    let faults: Fault[];
    try {
      faults = parseFaults(faultNames);
    } catch (e) {
      if (e instanceof FaultConfigError) throw new UsageError(`--fault: ${e.message}`);
      throw e;
    }
    const serverOnly = faults.filter((f) => !FAULTS[f].sides.includes('client'));
    if (serverOnly.length)
      throw new UsageError(
        `--fault: ${serverOnly.join(', ')} exist only in servers (client faults: ${Object.values(FAULTS)
          .filter((f) => f.sides.includes('client'))
          .map((f) => f.id)
          .join(', ')})`,
      );
    config.faults = faults;
    io.err(`faulty client (test only): ${faults.join(', ')}`);
  }

  const live = await runOurClient(config, target.port, {
    host,
    appData: new TextEncoder().encode(`${data}\n`),
    readTimeoutMs: timeout,
  });
  for (const l of flowLines(live.transcript)) io.out(l);
  const keylogFile = option(p, 'keylog');
  if (keylogFile !== undefined) writeFileSync(keylogFile, formatKeyLog(live.endpoint.keylog));

  const o = live.run.end.outcome;
  const session = o.kind === 'connected' ? o.session : o.kind === 'closed' ? o.session : undefined;
  if (!session) {
    io.out(`handshake failed: ${describeEnd(live.run.end)}`);
    return 1;
  }
  io.out(
    `handshake completed: TLS ${session.version === VERSION_CODE['1.3'] ? '1.3' : '1.2'} ${suiteName(session.cipherSuite)}${session.group !== undefined ? ` group 0x${session.group.toString(16).padStart(4, '0')}` : ''}${session.pskIdentity ? ` psk ${JSON.stringify(new TextDecoder().decode(session.pskIdentity))}` : ''}`,
  );
  io.out(
    live.run.received.length
      ? `received ${JSON.stringify(live.receivedText)}`
      : `no application data received (${describeEnd(live.run.end)})`,
  );
  return 0;
}
