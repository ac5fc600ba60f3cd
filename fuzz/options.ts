/**
 * The options of a live run, split by concern: who is tested (target),
 * with which credentials (identity), how much is run (budget), what is run
 * and how it is judged (profile), and where results go (output). Both
 * fuzzers take the same groups; only the target differs.
 */
import type { ExternalPsk, Identity } from '../engine/config';
import type { TestPki } from '../engine/fixtures';
import type { Strictness } from '../wire/vocabulary';
import type { LaunchedClient } from './clientcmd';
import type { FuzzProfile } from './profile';
import type { TargetProfile } from './probe';

/** A TLS server at host:port (tlsprop plays the client). */
export interface ServerTarget {
  host: string;
  port: number;
  /** What the server accepts, from an earlier run's probe (e.g. to replay a path without probing again); default: probe. */
  known?: TargetProfile;
  /**
   * Brings the server back after it died in a conversation (fuzz/health.ts): a shell command (`--restart-cmd`,
   * started detached) or a function; without it the run waits a little for the target to come back by itself,
   * then stops cleanly.
   */
  restart?: string | (() => Promise<void>);
  /** How long to wait for the target to come back after it died (default 10 s; 30 s with `restart`). */
  recoverMs?: number;
}

/** A TLS client command (tlsprop plays the server on host:port, 0: a free port). */
export interface ClientTarget {
  /** Loopback address our server listens on. */
  host: string;
  port: number;
  /** Run through /bin/sh once per conversation, `{host}` and `{port}` substituted (fuzz/clientcmd.ts). */
  command: string;
  /** More placeholders for the command. */
  vars?: Readonly<Record<string, string>>;
  /** Written to the client's stdin (default: a line of text, the payload a client sends once connected). */
  stdin?: string;
  /** How long the client may take to exit by itself once the connection is over (default 1000 ms). */
  exitGraceMs?: number;
  /**
   * A client in this process instead of a command (`command` is then only its name in reports): started once per
   * conversation to connect to our server at host:port.
   */
  launch?: (host: string, port: number) => LaunchedClient;
}

/** Our side's credentials. */
export interface IdentityOptions {
  /** The test PKI: the environment of the mutations, and the CA of the client-certificate faults. */
  pki: TestPki;
  /** Our certificate and key: our client's against servers that ask for one; our server's against clients (required there). */
  identity?: Identity;
  /** DER trust anchors: the peer's chain is validated with them, and the certificate rules use them. */
  trustAnchors?: Uint8Array[];
  /** Against a server: the SNI our client sends. */
  serverName?: string;
  /**
   * An external pre-shared key the target knows (`--psk IDENTITY:HEX`). Against a server: our client offers it in every
   * conversation (TLS 1.3 external PSK, RFC 8446 §4.2.11) and the probe tries the TLS 1.2 PSK suites with it (RFC 4279,
   * RFC 5489), so a PSK-only target (no certificate) is probed and fuzzed; the PSK mutations break it. Against a client:
   * our server knows it, so a client that offers it (TLS 1.3 identity, TLS 1.2 PSK suites) gets a PSK handshake in
   * every conversation of that version, and the PSK mutations of our server's sends break it.
   */
  psk?: ExternalPsk;
  /** Against a client with `psk`: the psk_identity_hint our server sends in TLS 1.2 (RFC 4279 §5.2; default `tlsprop`). */
  pskHint?: Uint8Array;
}

/** How much is run. */
export interface BudgetOptions {
  seed: number;
  /** Conversations generated (default: one per applicable name first, then `randomRuns` random ones). */
  runs?: number;
  /** Without `runs`: random conversations after the coverage ones (default DEFAULT_RANDOM_RUNS; 0: coverage only). */
  randomRuns?: number;
  /** Run one conversation per applicable name first (default true). */
  coverFirst?: boolean;
  /** Replay exactly the conversation at this fast-check path (as printed for a failure) instead of generating. */
  path?: string;
  /** Live conversations spent on shrinking one failure (default: 30 against servers, 20 against clients; 0 against a client: none). */
  maxShrinkRuns?: number;
  /** The ceiling of each wait for an owed answer (the waits adapt below it, fuzz/timing.ts); default 3000 ms. */
  readTimeoutMs?: number;
  /** The deadline of one conversation; default 10000 ms. */
  totalTimeoutMs?: number;
  /**
   * Against a server: conversations run at once when the target serves connections concurrently (checked, else
   * one after another); default: the cores of the machine. Verdicts and seed/path replays do not depend on it.
   */
  jobs?: number;
}

/** What is run and how it is judged. */
export interface ProfileOptions {
  strictness: Strictness;
  /** The per-target profile (`--profile FILE.json`): expected failures, disabled names and rules. */
  file?: FuzzProfile;
  /** Only these mutation names (valid handshakes stay). */
  only?: readonly string[];
  /** Against a client: our server requires a client certificate in every conversation (else it sometimes requests one). */
  clientCertRequired?: boolean;
}

/** Where results go. */
export interface OutputOptions {
  /** Write each failing (shrunk) conversation here as pcap + key log + transcript JSON. */
  save?: string;
  onProgress?: (line: string) => void;
}

export interface FuzzOptions<T> {
  target: T;
  identity: IdentityOptions;
  budget: BudgetOptions;
  profile: ProfileOptions;
  output?: OutputOptions;
}

/** `tlsprop fuzz --target`: our client against a server. */
export type ServerFuzzOptions = FuzzOptions<ServerTarget>;
/** `tlsprop fuzz --listen --client-cmd`: our server against a client. */
export type ClientFuzzOptions = FuzzOptions<ClientTarget> & { identity: IdentityOptions & { identity: Identity } };
