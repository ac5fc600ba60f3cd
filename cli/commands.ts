/**
 * The command table: every `tlsprop` command declared once (name, summary,
 * usage, description, options with their help text, positional arguments,
 * examples). cli/main.ts parses each command's arguments with it (strict:
 * what is not declared is a usage error), prints `--help` for every command
 * from it, and loads a command's code only when that command runs, so that
 * `tlsprop --version` or `tlsprop run --help` load nothing else.
 *
 * This file imports no command: each `load` requires its module lazily.
 */
import type { OptionSpec, Parsed, PositionalSpec } from './args';
import type { Io } from './main';

export type CommandFn = (p: Parsed, io: Io) => Promise<number>;

export interface CommandSpec {
  name: string;
  /** One line for `tlsprop --help`. */
  summary: string;
  /** What follows `tlsprop NAME` in the usage line. */
  usage: string;
  /** A paragraph or two for `tlsprop NAME --help`. */
  description: string;
  options: readonly OptionSpec[];
  positionals: PositionalSpec;
  examples: readonly string[];
  /** The command's code, loaded when it runs. */
  load(): CommandFn;
}

const REPORT: OptionSpec = {
  name: 'report',
  value: 'DIR',
  help: 'write report.json, junit.xml, summary.md and index.html of this run into DIR',
};
const INCLUDE_SECRETS: OptionSpec = {
  name: 'include-secrets',
  help: 'keep key logs of counterexamples in the reports (off: the reports are safe to publish)',
};
const TRUST: OptionSpec = {
  name: 'trust',
  value: 'CA.pem',
  multiple: true,
  help: 'trust anchors for certificate validation (repeatable); without it validity is inconclusive',
};
const PSK: OptionSpec = {
  name: 'psk',
  value: 'IDENTITY:HEX',
  multiple: true,
  help: 'an external pre-shared key (TLS 1.2 PSK suites, TLS 1.3 external PSK), repeatable',
};
const KEYLOG: OptionSpec = { name: 'keylog', value: 'FILE', help: 'NSS key log that decrypts the capture' };
const AT: OptionSpec = { name: 'at', value: 'DATE', help: 'judge certificates at this ISO date (default: the capture time)' };
const SEED: OptionSpec = {
  name: 'seed',
  value: 'N',
  help: 'seed of the generated conversations (printed by every run; replays it)',
};
const PATH: OptionSpec = {
  name: 'path',
  value: 'P',
  help: 'replay exactly the conversation at this path (as printed for a failure, with its --seed)',
};
const PROFILE: OptionSpec = {
  name: 'profile',
  value: 'FILE.json',
  help: 'what the target is known to fail or must not be run, with reasons (see `tlsprop profile --help`)',
};
const STRICTNESS: OptionSpec = {
  name: 'strictness',
  value: 'LEVEL',
  help: 'exact (default: the alert the RFC names, a silent close is a no-alert finding), alert-or-close, any-abort',
};
const TIMEOUT: OptionSpec = {
  name: 'timeout',
  value: 'MS',
  help: 'read timeout per conversation (default 3000); raise it for a slow peer or one that never answers application data',
};
const OPERATOR: OptionSpec = {
  name: 'operator',
  value: 'NAME[,NAME]',
  multiple: true,
  help: 'only these mutation names (valid handshakes stay)',
};
const CERT: OptionSpec = {
  name: 'cert',
  value: 'FILE.pem',
  help: 'our certificate chain (PEM, leaf first): the client certificate against a server, our server certificate against a client',
};
const KEY: OptionSpec = { name: 'key', value: 'FILE.pem', help: 'the private key of --cert (PEM)' };
const CA: OptionSpec = {
  name: 'ca',
  value: 'FILE.pem',
  multiple: true,
  help: "trust anchors for the peer's certificate chain (repeatable)",
};
const ALLOW_REMOTE: OptionSpec = { name: 'allow-remote', help: 'allow a peer address off loopback (only test what you own)' };
const JSON_OUT: OptionSpec = { name: 'json', help: 'print the result as JSON on stdout (progress goes to stderr)' };
const MAX_SHRINK: OptionSpec = { name: 'max-shrink', value: 'N', help: 'live conversations spent shrinking each failure' };
const SAVE: OptionSpec = {
  name: 'save',
  value: 'DIR',
  help: 'write each failing (shrunk) conversation as pcap + key log + transcript JSON',
};
const WRITE_CA: OptionSpec = {
  name: 'write-ca',
  value: 'FILE',
  help: 'write the test root (PEM) that our test certificates chain to, for the peer to trust',
};

const lazy =
  <M>(load: () => M, pick: (m: M) => CommandFn): (() => CommandFn) =>
  () =>
    pick(load());

/** A command whose code parses its own arguments (it gets them as given). */
const raw =
  (f: (args: string[], io: Io) => Promise<number>): CommandFn =>
  (p, io) =>
    f(p.raw, io);

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'run',
    summary: 'the conformance suite against your TLS implementation (default: Node.js tls, both roles) with reports',
    usage: 'run [--target HOST:PORT | --client-cmd CMD [--listen HOST:PORT] | --self] [options]',
    description: `Runs every applicable live conversation against the target: valid handshakes over what the probe
finds (versions, suites, groups, signature schemes), mutants of what our side sends, state-machine
scenarios and certificate faults. Every message the target sends is checked by every rule. Writes
report.json, junit.xml, summary.md and index.html to --out (default out/) and prints a summary.

Targets: --target HOST:PORT is a TLS server (tlsprop plays the client); --client-cmd CMD is a TLS
client command run once per conversation ({host} and {port} substituted; tlsprop plays the server on
--listen, default 127.0.0.1:0). With no target, the built-in default: Node.js's own tls server and
client (OpenSSL inside Node), started in this process on loopback, both roles. --self runs the
self-test of our own engine and oracles in memory (generated handshakes and every offline mutant).

Exit 0: every conversation conforming or expected by the profile; 1: failures (with --baseline: only
new failures count); 2: usage error or unusable input.`,
    options: [
      {
        name: 'target',
        value: 'HOST:PORT',
        help: 'a TLS server to test (loopback only unless --allow-remote)',
        section: 'target',
      },
      {
        name: 'client-cmd',
        value: 'CMD',
        help: 'a TLS client command to test, run through /bin/sh once per conversation',
        section: 'target',
      },
      {
        name: 'listen',
        value: 'HOST:PORT',
        help: 'where our server listens for --client-cmd (default 127.0.0.1:0)',
        section: 'target',
      },
      { name: 'self', help: 'the self-test of our own engine and oracles (no live peer)', section: 'target' },
      {
        name: 'role',
        value: 'server|client',
        help: 'the default Node.js target: only its server or only its client',
        section: 'target',
      },
      {
        name: 'name',
        value: 'LABEL',
        help: 'what the reports call the target (default: from the address or the command)',
        section: 'target',
      },
      { ...CERT, section: 'identity' },
      { ...KEY, section: 'identity' },
      { ...CA, section: 'identity' },
      { name: 'servername', value: 'NAME', help: 'SNI our client sends to --target', section: 'identity' },
      {
        ...PSK,
        multiple: false,
        help: 'an external pre-shared key --target knows (TLS 1.2 PSK suites, TLS 1.3 external PSK): a PSK-only server is probed and fuzzed',
        section: 'identity',
      },
      {
        name: 'cert-faults',
        help: 'also present faulty client certificates (the server must trust the test root: --write-ca)',
        section: 'identity',
      },
      { ...WRITE_CA, section: 'identity' },
      { name: 'smoke', help: 'the quick tier: a dozen conversations per role', section: 'size' },
      { name: 'full', help: 'the thorough tier: every applicable name, then 200 random conversations per role', section: 'size' },
      { ...SEED, section: 'size' },
      { ...PATH, section: 'size' },
      { name: 'runs', value: 'N', help: 'conversations per role (overrides the tier)', section: 'size' },
      {
        name: 'jobs',
        value: 'N',
        help: 'campaigns run at once (the roles of the default target run side by side; default 2)',
        section: 'size',
      },
      { ...TIMEOUT, section: 'size' },
      { ...OPERATOR, section: 'size' },
      { name: 'count', value: 'N', help: '--self: generated handshakes (default 40, --smoke 4)', section: 'size' },
      { name: 'mutants', value: 'M', help: '--self: mutants per operator (default 2, --smoke 1)', section: 'size' },
      { ...PROFILE, section: 'judging' },
      {
        name: 'baseline',
        value: 'REPORT.json',
        help: 'compare with an earlier report: new, fixed and unchanged failures; only new ones fail the run',
        section: 'judging',
      },
      { ...STRICTNESS, section: 'judging' },
      { name: 'out', value: 'DIR', help: 'where the reports and saved conversations go (default out/)', section: 'output' },
      { ...REPORT, help: 'the same as --out', section: 'output' },
      { ...INCLUDE_SECRETS, section: 'output' },
      { ...ALLOW_REMOTE, section: 'output' },
    ],
    positionals: { name: '', min: 0 },
    examples: [
      'tlsprop run                                        # Node.js tls, both roles, reports in out/',
      'tlsprop run --target 127.0.0.1:8883 --cert client.pem --key client.key --ca ca.pem',
      "tlsprop run --client-cmd 'openssl s_client -connect {host}:{port} -CAfile ca.pem' --write-ca ca.pem",
      'tlsprop run --target 127.0.0.1:4433 --baseline old/report.json --out new/',
      'tlsprop run --target 127.0.0.1:4433 --seed 7 --path 12      # replay one conversation',
      'tlsprop run --self --smoke                          # our engine and oracles, in memory',
    ],
    load: lazy(
      () => require('./run') as typeof import('./run'),
      (m) => m.runCommand,
    ),
  },
  {
    name: 'fuzz',
    summary: 'fuzz one live TLS server (--target) or client (--listen --client-cmd), shrinking each failure',
    usage: 'fuzz --target HOST:PORT [options] | fuzz --listen HOST:PORT --client-cmd CMD [options]',
    description: `Our client against a live TLS server (--target), or our server against a TLS client command run
once per conversation (--listen + --client-cmd). A probe and a sanity handshake first; then every
applicable conversation name once (coverage first), then random ones from --seed; each failure is
shrunk to the smallest conversation that fails the same way and printed as a ladder with the
--seed/--path that replays it. Exit 0 when every conversation conforms (or is expected by the
profile), 1 otherwise, 2 on usage errors.`,
    options: [
      { name: 'target', value: 'HOST:PORT', help: 'the TLS server to fuzz', section: 'server targets' },
      { ...CERT, section: 'server targets' },
      { ...KEY, section: 'server targets' },
      { ...CA, section: 'server targets' },
      { name: 'servername', value: 'NAME', help: 'SNI our client sends', section: 'server targets' },
      { name: 'cert-faults', help: 'present faulty client certificates too', section: 'server targets' },
      {
        ...PSK,
        multiple: false,
        help: 'an external pre-shared key the target knows. Server targets: offered in every conversation (TLS 1.3), the TLS 1.2 PSK suites probed with it. Client targets: our server knows it (TLS 1.3 external PSK, TLS 1.2 PSK suites) and takes it whenever the client offers it. The PSK mutations run in the versions it is taken in',
        section: 'both',
      },
      {
        name: 'psk-hint',
        value: 'TEXT',
        help: 'with --psk against a client: the psk_identity_hint our server names in TLS 1.2 (default tlsprop)',
        section: 'client targets',
      },
      { name: 'count', value: 'N', help: 'the same as --runs', section: 'server targets' },
      {
        name: 'jobs',
        value: 'N',
        help: 'conversations at once against a server that serves connections at once (default: measured)',
        section: 'server targets',
      },
      {
        name: 'restart-cmd',
        value: 'CMD',
        help: 'a command that restarts the target after it died, so the run goes on (the death is a finding)',
        section: 'server targets',
      },
      { name: 'listen', value: 'HOST:PORT', help: 'where our server listens (port 0: a free one)', section: 'client targets' },
      { name: 'client-cmd', value: 'CMD', help: 'the client command ({host}, {port} substituted)', section: 'client targets' },
      {
        name: 'client-cert-required',
        help: 'our server requires a client certificate in every conversation',
        section: 'client targets',
      },
      { ...WRITE_CA, section: 'both' },
      { ...SEED, section: 'both' },
      {
        name: 'runs',
        value: 'N',
        help: 'conversations at most (default: every applicable name once, then 20 random)',
        section: 'both',
      },
      { ...PATH, section: 'both' },
      { ...OPERATOR, section: 'both' },
      { ...PROFILE, section: 'both' },
      { ...SAVE, section: 'both' },
      { ...STRICTNESS, section: 'both' },
      { ...TIMEOUT, section: 'both' },
      { ...MAX_SHRINK, section: 'both' },
      { ...ALLOW_REMOTE, section: 'both' },
      { ...JSON_OUT, section: 'both' },
      { ...REPORT, section: 'both' },
    ],
    positionals: { name: '', min: 0 },
    examples: [
      'tlsprop fuzz --target 127.0.0.1:4433 --runs 30 --seed 1 --ca ca.pem --cert client.pem --key client.key',
      'tlsprop fuzz --target 127.0.0.1:4433 --seed 1 --path 17        # replay one failure',
      "tlsprop fuzz --listen 127.0.0.1:0 --write-ca /tmp/ca.pem --client-cmd 'openssl s_client -connect {host}:{port} -CAfile /tmp/ca.pem'",
      "tlsprop fuzz --listen 127.0.0.1:0 --psk device7:00112233445566778899aabbccddeeff --client-cmd 'openssl s_client -connect {host}:{port} -psk 00112233445566778899aabbccddeeff -psk_identity device7'",
      'tlsprop fuzz --target 127.0.0.1:4433 --report out/fuzz',
    ],
    load: lazy(
      () => require('./fuzz') as typeof import('./fuzz'),
      (m) => raw(m.fuzzCommand),
    ),
  },
  {
    name: 'check',
    summary: 'check captures (pcap/pcapng, with a key log) and transcript JSON files against every rule',
    usage: 'check FILE... [options]',
    description: `Reads pcap or pcapng captures (TLS on any port; records decrypted with --keylog or a key log
embedded in a pcapng) and transcript JSON files, and prints per connection the messages and every
violation and inconclusive verdict. Exit 0 without violations, 1 with violations, 2 on unusable input.`,
    options: [
      KEYLOG,
      TRUST,
      AT,
      { name: 'json', help: 'print connections[].messages[] and verdicts[] as JSON (streamed)' },
      { name: 'jobs', value: 'N', help: 'worker threads for large captures (default: one per core)' },
      PSK,
      REPORT,
    ],
    positionals: { name: 'FILE...', min: 1, max: Number.POSITIVE_INFINITY },
    examples: [
      'tlsprop check capture.pcap --keylog keylog.txt --trust rootCA.crt',
      'tlsprop check capture.pcapng --json > verdicts.json',
      'tlsprop check capture.pcap --keylog keylog.txt --report out/check',
    ],
    load: lazy(
      () => require('./check') as typeof import('./check'),
      (m) => raw(m.checkCommand),
    ),
  },
  {
    name: 'explain',
    summary: 'tell a captured handshake flight by flight, with the rules checked on each message',
    usage: 'explain CAPTURE [options]',
    description: `The handshake told flight by flight (C->S: Certificate, ClientKeyExchange, ...), each message with
the frame that completed it and, under it, the rules checked on it.`,
    options: [KEYLOG, PSK, TRUST, AT, { name: 'quiet', help: 'list only violations and inconclusive verdicts' }, REPORT],
    positionals: { name: 'CAPTURE', min: 1 },
    examples: ['tlsprop explain capture.pcap --keylog keylog.txt', 'tlsprop explain capture.pcap --quiet --report out/explain'],
    load: lazy(
      () => require('./explain') as typeof import('./explain'),
      (m) => raw(m.explainCommand),
    ),
  },
  {
    name: 'profile',
    summary: "write a profile of a report's failures (expected failures, with a reason to fill in)",
    usage: 'profile --from REPORT.json [--target-name LABEL]',
    description: `Prints a profile (JSON) that lists the failures of a report as expected failures, each with a
reason placeholder to replace: pass it to run or fuzz with --profile to accept today's failures.

A profile holds, each with a reason: "expectedFailures" and "disabled" entries matching conversations
by "name" and/or "rule" (glob patterns: * and ?), and alert maps, BoGo ErrorMap style: "alertMap":
{"illegal_parameter": ["decode_error"]} accepts decode_error where the RFC names illegal_parameter,
globally, or per rule in "alertMaps": [{"rule": "ecdh.*", "alertMap": {...}, "reason": "..."}].`,
    options: [
      { name: 'from', value: 'REPORT.json', help: 'the report whose failures become expected failures' },
      { name: 'target-name', value: 'LABEL', help: 'only the failures of this target (default: all)' },
    ],
    positionals: { name: '', min: 0 },
    examples: [
      'tlsprop profile --from out/report.json > profile.json',
      'tlsprop run --target 127.0.0.1:4433 --profile profile.json',
    ],
    load: lazy(
      () => require('./profile') as typeof import('./profile'),
      (m) => m.profileCommand,
    ),
  },
  {
    name: 'report',
    summary: 'merge reports (jest shards, several runs) into one',
    usage: 'report merge --out DIR REPORT.json...',
    description: 'Combines report.json files into one, written as report.json, junit.xml, summary.md and index.html.',
    options: [{ name: 'out', value: 'DIR', help: 'where the merged reports go' }, INCLUDE_SECRETS],
    positionals: { name: 'merge REPORT.json...', min: 2, max: Number.POSITIVE_INFINITY },
    examples: ['tlsprop report merge --out out/report out/report/report.shard-*.json'],
    load: lazy(
      () => require('./report') as typeof import('./report'),
      (m) => m.reportCommand,
    ),
  },
  {
    name: 'rules',
    summary: 'list the conformance rules, with their RFC sections and whether each is implemented',
    usage: 'rules [--json] [--missing | --gaps]',
    description: 'Every rule with its group, versions, evidence, and whether it is implemented.',
    options: [
      { name: 'json', help: 'machine-readable' },
      { name: 'missing', help: 'only the rules not implemented, with the reason' },
      {
        name: 'gaps',
        help: 'the registered schemes, groups, suites and certificate algorithms the rules cannot check, with the rules left inconclusive',
      },
    ],
    positionals: { name: '', min: 0 },
    examples: ['tlsprop rules', 'tlsprop rules --missing', 'tlsprop rules --gaps', 'tlsprop rules --json | jq ".rules | length"'],
    load: lazy(
      () => require('./rules') as typeof import('./rules'),
      (m) => m.rulesCommand,
    ),
  },
  {
    name: 'gen',
    summary: 'write generated handshakes as transcript JSON (with secrets), pcap and key log',
    usage: 'gen --out DIR [--count N] [--seed S] [--version 1.2|1.3] [--mutual]',
    description: `Generates N valid TLS handshakes (default 5) from the property generator's
plan space (suites, groups, key types, signature schemes, client auth, EMS,
EtM, SNI, ALPN, middlebox compatibility, HelloRetryRequest, resumption) and writes, for each, into DIR:

  NAME.json    the transcript (tlsprop-transcript/1), INCLUDING its secrets
               (key log lines and ephemeral private keys): you asked for
               generated traffic, so nothing in it is anyone's real secret
               (a resumed handshake: NAME.first.json is the full one before)
  NAME.pcap    a classic pcap (Ethernet) of a synthetic TCP connection
               127.0.0.1:5xxxx -> 127.0.0.1:443, SYN to FIN, with the TLS
               records exactly as the engine sent them (a resumed handshake:
               the first connection, then the resumed one)
  NAME.keylog  the NSS key log: wireshark -o tls.keylog_file:NAME.keylog
  NAME.ca.pem  the root that issued both certificates (for check --trust)

--seed S makes the run reproducible (same plans, same message sequences;
signatures and ephemeral keys are fresh). --version restricts the version,
--mutual keeps only plans where the client sends a certificate.
Then e.g.: tlsprop check DIR/NAME.pcap --keylog DIR/NAME.keylog --trust DIR/NAME.ca.pem`,
    options: [
      { name: 'out', value: 'DIR', help: 'where the files go (required)' },
      { name: 'count', value: 'N', help: 'handshakes (default 5, at most 10000)' },
      SEED,
      { name: 'version', value: '1.2|1.3', help: 'only this version' },
      { name: 'mutual', help: 'only handshakes where the client sends a certificate' },
    ],
    positionals: { name: '', min: 0 },
    examples: [
      'tlsprop gen --out gen/ --count 5 --seed 1 --mutual',
      'tlsprop check gen/hs-1-tls12.pcap --keylog gen/hs-1-tls12.keylog --trust gen/hs-1-tls12.ca.pem',
    ],
    load: lazy(
      () => require('./gen') as typeof import('./gen'),
      (m) => m.genCommand,
    ),
  },
  {
    name: 'decode',
    summary: 'decode one handshake message (or records with --record) from hex to JSON',
    usage: 'decode [--record] [--version 1.2|1.3] [--kex KEX] HEX|-',
    description: `Prints the message with code points named, "reencodedEqual" when encoding the decoded form gives
back the same bytes, and "findings": syntax problems with their byte offset and field path.`,
    options: [
      { name: 'record', help: 'the input is TLS records, not one handshake message' },
      { name: 'version', value: '1.2|1.3', help: 'the version, for messages whose form depends on it' },
      { name: 'kex', value: 'KEX', help: 'the key exchange (ECDHE_RSA, DHE_RSA, RSA, ...) for key exchange messages' },
    ],
    positionals: { name: 'HEX|-', min: 1 },
    examples: ['tlsprop decode 0e000000', 'xxd -p hello.bin | tlsprop decode -', 'tlsprop decode --record 160303000401000000...'],
    load: lazy(
      () => require('./decode') as typeof import('./decode'),
      (m) => m.decodeCommand,
    ),
  },
  {
    name: 'connect',
    summary: 'one handshake with our client against a loopback peer, the flow printed',
    usage: 'connect HOST:PORT [options]',
    description: 'One handshake, one line of application data, the flow printed as C->S / S->C lines.',
    options: [
      { name: 'version', value: '1.2|1.3', help: 'only this version' },
      { name: 'suite', value: 'NAME', multiple: true, help: 'IANA suite names (repeatable or a comma list)' },
      { name: 'group', value: 'NAME', multiple: true, help: 'groups (x25519, secp256r1, secp384r1)' },
      CERT,
      KEY,
      CA,
      { name: 'servername', value: 'NAME', help: 'SNI (default: the host when it is a name)' },
      { name: 'keylog', value: 'FILE', help: 'write the NSS key log' },
      { name: 'timeout', value: 'MS', help: 'read timeout (default 5000)' },
      { name: 'data', value: 'TEXT', help: 'the line of application data to send' },
      PSK,
      { name: 'fault', value: 'NAME', multiple: true, help: 'test only: a deliberately faulty client (engine/faults.ts)' },
      ALLOW_REMOTE,
    ],
    positionals: { name: 'HOST:PORT', min: 1 },
    examples: ['tlsprop connect 127.0.0.1:4433 --version 1.2 --cert client.pem --key client.key --ca ca.pem --keylog keys.log'],
    load: lazy(
      () => require('./connect') as typeof import('./connect'),
      (m) => raw(m.connectCommand),
    ),
  },
  {
    name: 'serve',
    summary: 'our TLS 1.2/1.3 server for TLS clients and test suites, one JSON line per connection',
    usage: 'serve --listen HOST:PORT [options]',
    description: `Our TLS engine as a server. Each connection: the handshake, then an HTTP/1.0 answer (default) or
--echo. One JSON line per connection on stdout; runs until SIGINT/SIGTERM or --max-connections.`,
    options: [
      { name: 'listen', value: 'HOST:PORT', help: 'where to listen; port 0 picks a free one (printed on stderr)' },
      { name: 'version', value: '1.2|1.3|both', help: 'versions (default both)' },
      CERT,
      KEY,
      { name: 'key-type', value: 'rsa|ecdsa', help: 'the generated identity without --cert/--key (default rsa)' },
      { ...WRITE_CA, help: 'write the generated root (PEM) for clients to trust' },
      { name: 'ca', value: 'FILE.pem', multiple: true, help: 'trust anchors for client certificates' },
      { name: 'client-auth', value: 'MODE', help: 'none (default), request or require a client certificate' },
      { name: 'suites', value: 'LIST', multiple: true, help: 'IANA suite names in preference order' },
      { name: 'groups', value: 'LIST', multiple: true, help: 'named groups in preference order' },
      { name: 'schemes', value: 'LIST', multiple: true, help: 'signature schemes in preference order' },
      { name: 'alpn', value: 'LIST', multiple: true, help: 'ALPN protocols in preference order' },
      { name: 'tickets', value: 'N', help: 'TLS 1.3 tickets per connection (default 1; 0 also turns off TLS 1.2 tickets)' },
      {
        name: 'max-early-data',
        value: 'N',
        help: 'TLS 1.3 0-RTT: tickets allow N bytes of early data (max_early_data_size, RFC 8446 §4.6.1), accepted once each',
      },
      { name: 'echo', help: 'send back every record of application data until the peer closes' },
      { name: 'http', help: 'answer an HTTP/1.0 request (the default)' },
      { name: 'jobs', value: 'N', help: 'connections served at once (default 1)' },
      { name: 'max-connections', value: 'N', help: 'exit after N connections' },
      { name: 'timeout', value: 'MS', help: 'idle read timeout per connection (default 10000)' },
      { name: 'keylog', value: 'FILE', help: 'NSS key log of every connection' },
      PSK,
      { name: 'psk-hint', value: 'TEXT', help: 'the psk_identity_hint of the TLS 1.2 PSK key exchanges' },
      {
        name: 'renegotiation',
        value: 'refuse|secure|legacy',
        help: 'TLS 1.2 renegotiation (RFC 5746): refuse with no_renegotiation (default), secure only, or also legacy',
      },
      ALLOW_REMOTE,
      { name: 'fault', value: 'NAME', multiple: true, help: 'test only: a deliberately faulty server (engine/faults.ts)' },
    ],
    positionals: { name: '', min: 0 },
    examples: [
      'tlsprop serve --listen 127.0.0.1:4433 --write-ca /tmp/ca.pem',
      'openssl s_client -connect 127.0.0.1:4433 -CAfile /tmp/ca.pem',
      'tlsprop serve --listen 127.0.0.1:4433 --version 1.2 --suites TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 --cert server.crt --key server.key --ca rootCA.crt --client-auth require',
      'tlsprop serve --listen 127.0.0.1:0 --echo --jobs 4',
    ],
    load: lazy(
      () => require('./serve') as typeof import('./serve'),
      (m) => raw(m.serveCommand),
    ),
  },
  {
    name: 'learn',
    summary: 'learn the handshake state machine of a TLS server or client and diff it against the RFC machine',
    usage: 'learn (--target HOST:PORT | --listen HOST:PORT --client-cmd CMD) [options] | learn --compare A.json B.json',
    description: `Learns the Mealy machine of the target's handshake (L* with a prefix-tree cache, majority votes on
non-determinism, random walks as the equivalence oracle) over an abstract alphabet that our stateful
mapper turns into real messages (our client for --target, our server for --client-cmd). The learned
machine is compared with the RFC machine of the version (the latitudes the RFC leaves are not
differences); each difference is replayed and saved as pcap + key log + transcript, and the run writes
report.html with both drawings, learned.json and learned.dot to --report. --compare diffs two learned
machines. Exit 0: no difference from the RFC machine; 1: differences; 2: usage error.`,
    options: [
      {
        name: 'target',
        value: 'HOST:PORT',
        multiple: true,
        help: 'the TLS server to learn (repeatable: one process each)',
        section: 'target',
      },
      { name: 'listen', value: 'HOST:PORT', help: 'where our server listens for --client-cmd', section: 'target' },
      {
        name: 'client-cmd',
        value: 'CMD',
        help: 'the client command ({host}, {port} substituted), one per query',
        section: 'target',
      },
      { name: 'workers', value: 'N', help: 'client commands run at once', section: 'target' },
      { ...WRITE_CA, section: 'target' },
      { name: 'version', value: '1.2|1.3', help: 'the version whose machine is learned', section: 'handshake' },
      { ...CERT, section: 'handshake' },
      { ...KEY, section: 'handshake' },
      { ...CA, section: 'handshake' },
      { name: 'suites', value: 'NAME,...', help: 'IANA suite names our side offers', section: 'handshake' },
      { name: 'groups', value: 'NAME,...', help: 'named groups our side offers', section: 'handshake' },
      { name: 'servername', value: 'NAME', help: 'SNI our client sends', section: 'handshake' },
      { name: 'app-data', value: 'TEXT', help: 'the application data an ApplicationData input sends', section: 'handshake' },
      {
        name: 'alphabet',
        value: 'default|full|FILE',
        help: 'the abstract inputs (default: the handshake messages of the version)',
        section: 'learning',
      },
      {
        name: 'budget',
        value: 'MINUTES',
        help: 'stop learning after this long (the hypothesis so far is reported)',
        section: 'learning',
      },
      { name: 'max-queries', value: 'N', help: 'stop after this many membership queries', section: 'learning' },
      {
        name: 'depth',
        value: 'K',
        help: 'equivalence oracle: the walks extend each state cover by up to K inputs',
        section: 'learning',
      },
      { name: 'walks', value: 'N', help: 'equivalence oracle: random walks per round', section: 'learning' },
      { ...SEED, section: 'learning' },
      {
        name: 'silence-floor',
        value: 'MS',
        help: 'the shortest wait that reads as silence (default: measured)',
        section: 'learning',
      },
      { name: 'no-replay', help: 'do not replay and save each difference', section: 'output' },
      { name: 'replay', value: 'WORD', help: 'replay one input word (as printed) and save it', section: 'output' },
      { name: 'compare', help: 'diff two learned.json files (positional arguments)', section: 'output' },
      { ...REPORT, section: 'output' },
      { ...JSON_OUT, section: 'output' },
      { ...ALLOW_REMOTE, section: 'output' },
    ],
    positionals: { name: 'A.json B.json', min: 0, max: 2 },
    examples: [
      'tlsprop learn --target 127.0.0.1:4433 --version 1.2 --cert c.pem --key c.key --ca ca.pem --report out/learn',
      "tlsprop learn --listen 127.0.0.1:0 --write-ca /tmp/ca.pem --client-cmd 'openssl s_client -connect {host}:{port} -CAfile /tmp/ca.pem'",
      'tlsprop learn --compare out/a/learned.json out/b/learned.json',
    ],
    load: lazy(
      () => require('./learn') as typeof import('./learn'),
      (m) => raw(m.learnCommand),
    ),
  },
  {
    name: 'diff',
    summary: 'differential testing: the same seeded conversations against several implementations, their disagreements',
    usage:
      'diff --target [NAME=]HOST:PORT --target [NAME=]HOST:PORT [...] [options] | diff --listen HOST:PORT --client-cmd CMD --client-cmd CMD [...]',
    description: `Runs the fuzzer's seeded conversations (over what every target accepts) against two or more servers
(--target, each optionally named) or client commands (--client-cmd, our server on --listen) and lists
each conversation where the implementations answer differently: one accepts what another rejects, or
they reject with different alerts, with the RFC sentence that decides who is right. Exit 0: no
disagreement; 1: disagreements; 2: usage error.`,
    options: [
      {
        name: 'target',
        value: '[NAME=]HOST:PORT',
        multiple: true,
        help: 'a server to compare (two or more)',
        section: 'targets',
      },
      { name: 'listen', value: 'HOST:PORT', help: 'where our server listens for the client commands', section: 'targets' },
      { name: 'client-cmd', value: 'CMD', multiple: true, help: 'a client command to compare (two or more)', section: 'targets' },
      { ...WRITE_CA, section: 'targets' },
      { ...SEED, section: 'run' },
      { name: 'runs', value: 'N', help: 'conversations (default: every applicable name once)', section: 'run' },
      { ...CERT, section: 'run' },
      { ...KEY, section: 'run' },
      { ...CA, section: 'run' },
      { ...OPERATOR, section: 'run' },
      { name: 'servername', value: 'NAME', help: 'SNI our client sends', section: 'run' },
      { ...TIMEOUT, section: 'run' },
      { ...JSON_OUT, section: 'output' },
      { name: 'out', value: 'FILE', help: 'write the disagreements as JSON to FILE', section: 'output' },
      { ...ALLOW_REMOTE, section: 'output' },
    ],
    positionals: { name: '', min: 0 },
    examples: [
      'tlsprop diff --target openssl=127.0.0.1:4433 --target gnutls=127.0.0.1:4434 --seed 1',
      "tlsprop diff --listen 127.0.0.1:0 --write-ca /tmp/ca.pem --client-cmd 'openssl s_client -connect {host}:{port} -CAfile /tmp/ca.pem' --client-cmd 'gnutls-cli --x509cafile /tmp/ca.pem -p {port} {host}'",
    ],
    load: lazy(
      () => require('./diff') as typeof import('./diff'),
      (m) => raw(m.diffCommand),
    ),
  },
];

export function commandNamed(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The `--help` text of a command. */
export function commandHelp(c: CommandSpec): string {
  const opt = (o: OptionSpec) =>
    `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.value ? ` ${o.value}` : ''}${o.multiple ? ' (repeatable)' : ''}`;
  const all = [...c.options, { name: 'help', short: 'h', help: 'this help' }];
  const width = Math.min(34, Math.max(...all.map((o) => opt(o).length)) + 2);
  const sections = [...new Set(all.map((o) => o.section ?? ''))];
  const lines: string[] = [`usage: tlsprop ${c.usage}`, '', c.summary, '', c.description, ''];
  for (const s of sections) {
    lines.push(s ? `${s}:` : 'options:');
    for (const o of all.filter((x) => (x.section ?? '') === s)) {
      const head = opt(o);
      if (head.length + 2 > width) lines.push(`  ${head}`, `  ${' '.repeat(width)}${o.help}`);
      else lines.push(`  ${head.padEnd(width)}${o.help}`);
    }
    lines.push('');
  }
  lines.push('examples:', ...c.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/** `tlsprop --help`. */
export function mainHelp(version: string): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `tlsprop ${version}: property-based conformance testing of TLS 1.2 and 1.3 handshakes`,
    '',
    'usage: tlsprop <command> [options]      tlsprop <command> --help      tlsprop --version',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    '',
    'examples:',
    '  tlsprop run                                   # test Node.js tls (both roles), reports in out/',
    '  tlsprop run --target 127.0.0.1:4433           # test your TLS server',
    '  tlsprop check capture.pcap --keylog keys.log  # check a capture',
  ].join('\n');
}
