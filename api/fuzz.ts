/**
 * The live fuzzers with defaults, for library users: `fuzzServer` (our
 * client against a TLS server) and `fuzzClient` (our server against a TLS
 * client, run once per conversation: a shell command, or a function that
 * connects in this process), with the test PKI, a seed and the RFC's
 * strictness filled in; `assertConforming` throws with every failing
 * conversation's ladder and the seed and path that replay it.
 */
import { readFileSync } from 'node:fs';
import type { Identity } from '../engine/config';
import { testPki, type TestPki } from '../engine/fixtures';
import { type ClientFuzzResult, fuzzClient as runClientFuzz } from '../fuzz/client';
import type { LaunchedClient } from '../fuzz/clientcmd';
import { failsRun, ladderText } from '../fuzz/judge';
import type { ClientFuzzOptions, ServerFuzzOptions } from '../fuzz/options';
import type { FuzzProfile } from '../fuzz/profile';
import { type FuzzResult, fuzzTarget } from '../fuzz/target';
import { pemBlocks } from '../pki/pem';
import type { Strictness } from '../wire/vocabulary';
import { createPrivateKey, createPublicKey } from 'node:crypto';

interface Common {
  /** Default: a fixed seed (1), so a run replays; pass Date.now() for variety. */
  seed?: number;
  /** Conversations (default: every applicable name once, then 20 random). */
  runs?: number;
  /** Without `runs`: random conversations after the coverage ones (default 20; 0: every applicable name once only). */
  randomRuns?: number;
  /** Only these mutation names (valid handshakes stay), as `--operator`. */
  operators?: readonly string[];
  /** Replay one conversation (with its seed). */
  path?: string;
  strictness?: Strictness;
  profile?: FuzzProfile;
  readTimeoutMs?: number;
  /** Live conversations spent shrinking each failure. */
  maxShrinkRuns?: number;
  /** Write failing conversations here (pcap + key log + transcript JSON). */
  save?: string;
  onProgress?: (line: string) => void;
  /** The test PKI (default: a fresh one); its root is what the test certificates chain to. */
  pki?: TestPki;
}

export interface FuzzServerOptions extends Common {
  host?: string;
  port: number;
  /** Our client certificate: PEM files, or an engine Identity (default: none, or the test one if the server asks). */
  cert?: { certFile: string; keyFile: string } | Identity;
  /** PEM files (or DER) of the anchors for the server's chain. */
  ca?: string[] | Uint8Array[];
  serverName?: string;
  /** Also present faulty client certificates (the server must trust `pki.root`). */
  certFaults?: boolean;
}

export interface FuzzClientOptions extends Common {
  /** A shell command run once per conversation (`{host}`, `{port}` substituted)... */
  command?: string;
  /** ...or a client in this process, started once per conversation. */
  launch?: (host: string, port: number) => LaunchedClient;
  /** What reports call the client (default: the command). */
  name?: string;
  host?: string;
  port?: number;
  /** Our server's identity (default: the test PKI's server certificate for localhost and 127.0.0.1). */
  identity?: Identity;
  /** Anchors for the client's certificate (default: the test root). */
  trustAnchors?: Uint8Array[];
  clientCertRequired?: boolean;
}

function identityFrom(c: NonNullable<FuzzServerOptions['cert']>): Identity {
  if ('chain' in c) return c;
  const chain = pemBlocks(readFileSync(c.certFile, 'utf8'), 'CERTIFICATE');
  const key = createPrivateKey(readFileSync(c.keyFile, 'utf8'));
  return {
    chain,
    pkcs8: new Uint8Array(key.export({ type: 'pkcs8', format: 'der' })),
    spki: new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' })),
  };
}

function anchorsFrom(ca: FuzzServerOptions['ca']): Uint8Array[] | undefined {
  if (!ca) return undefined;
  return ca.flatMap((x) => (typeof x === 'string' ? pemBlocks(readFileSync(x, 'utf8'), 'CERTIFICATE') : [x]));
}

function budget(o: Common): ServerFuzzOptions['budget'] {
  return {
    seed: o.seed ?? 1,
    ...(o.runs !== undefined ? { runs: o.runs } : {}),
    ...(o.randomRuns !== undefined ? { randomRuns: o.randomRuns } : {}),
    ...(o.path !== undefined ? { path: o.path } : {}),
    ...(o.readTimeoutMs !== undefined ? { readTimeoutMs: o.readTimeoutMs } : {}),
    ...(o.maxShrinkRuns !== undefined ? { maxShrinkRuns: o.maxShrinkRuns } : {}),
  };
}

function output(o: Common): ServerFuzzOptions['output'] {
  return { ...(o.save !== undefined ? { save: o.save } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) };
}

/** Fuzz a TLS server (see the header). */
export async function fuzzServer(o: FuzzServerOptions): Promise<FuzzResult> {
  const pki = o.pki ?? (await testPki());
  const identity: ServerFuzzOptions['identity'] = { pki };
  if (o.cert) identity.identity = identityFrom(o.cert);
  const anchors = anchorsFrom(o.ca);
  if (anchors) identity.trustAnchors = anchors;
  if (o.serverName !== undefined) identity.serverName = o.serverName;
  return fuzzTarget({
    target: { host: o.host ?? '127.0.0.1', port: o.port },
    identity,
    budget: budget(o),
    profile: {
      strictness: o.strictness ?? 'alert-or-close',
      ...(o.profile ? { file: o.profile } : {}),
      ...(o.certFaults ? { certFaults: true } : {}),
      ...(o.operators ? { only: [...o.operators] } : {}),
    },
    output: output(o),
  });
}

/** Fuzz a TLS client (see the header). */
export async function fuzzClient(o: FuzzClientOptions): Promise<ClientFuzzResult> {
  if ((o.command === undefined) === (o.launch === undefined)) throw new Error('fuzzClient: give a command or a launch function');
  const pki = o.pki ?? (await testPki());
  const target: ClientFuzzOptions['target'] = {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    command: o.command ?? o.name ?? 'client in this process',
  };
  if (o.launch) target.launch = o.launch;
  return runClientFuzz({
    target,
    identity: { pki, identity: o.identity ?? pki.identity('server', 'rsa'), trustAnchors: o.trustAnchors ?? pki.anchors },
    budget: budget(o),
    profile: {
      strictness: o.strictness ?? 'alert-or-close',
      ...(o.profile ? { file: o.profile } : {}),
      ...(o.clientCertRequired ? { clientCertRequired: true } : {}),
      ...(o.operators ? { only: [...o.operators] } : {}),
    },
    output: output(o),
  });
}

/** Every failing conversation of a run, with its ladder and replay options, as text (empty when none failed). */
export function findingsText(r: FuzzResult | ClientFuzzResult): string {
  const failing = r.results.filter(failsRun);
  const lines: string[] = [];
  if (!r.sanity.first || !r.sanity.last)
    lines.push(`sanity handshake failed (first ${r.sanity.first ? 'ok' : 'FAILED'}, last ${r.sanity.last ? 'ok' : 'FAILED'})`);
  for (const x of failing) lines.push(...ladderText(x.run), '');
  return lines.join('\n');
}

/** Throw an Error listing every failing conversation (ladder, seed and path) unless the run conformed. */
export function assertConforming(r: FuzzResult | ClientFuzzResult): void {
  const text = findingsText(r);
  if (text) throw new Error(`the peer did not conform:\n${text}`);
}
