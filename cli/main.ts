/**
 * The `tlsprop` command line. Each command is a function from arguments to
 * an exit code: 0 success (no violations), 1 violations found, 2 unusable
 * input or usage error (with a one-line message, never a stack trace).
 */
import { DecodeError } from '../wire/errors';
import { decodeCommand } from './decode';
import { UsageError } from './args';
import { runCommand } from './run';
import { checkCommand } from './check';
import { CONNECT_USAGE, connectCommand } from './connect';
import { explainCommand } from './explain';
import { FUZZ_USAGE, fuzzCommand } from './fuzz';
import { FUZZ_LISTEN_USAGE } from './fuzz-listen';
import { genCommand } from './gen';
import { reportCommand } from './report';
import { rulesCommand } from './rules';
import { SERVE_USAGE, serveCommand } from './serve';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  readStdin: () => Promise<string>;
}

export const processIo: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

type Command = (args: string[], io: Io) => Promise<number>;

const commands: Record<string, { run: Command; summary: string }> = {
  report: {
    run: reportCommand,
    summary: 'report merge --out DIR REPORT.json...              merge the reports of jest shards into one',
  },
  run: { run: runCommand, summary: 'run                                                      the main job' },
  decode: {
    run: decodeCommand,
    summary: 'decode [--record] [--version 1.2|1.3] [--kex KEX] HEX|-   decode a handshake message (or records) to JSON',
  },
  rules: {
    run: rulesCommand,
    summary: 'rules [--json] [--missing]                                list the conformance rules and which are implemented',
  },
  check: {
    run: checkCommand,
    summary:
      'check FILE... [--keylog F] [--psk ID:HEX] [--trust CA.pem] [--at DATE] [--json] [--jobs N]   check captures (pcap/pcapng) and transcript files against the rules',
  },
  connect: { run: connectCommand, summary: `${CONNECT_USAGE}   one handshake with our client against a loopback peer` },
  serve: {
    run: serveCommand,
    summary: `${SERVE_USAGE}   our server for TLS clients and test suites, one JSON line per connection (serve --help)`,
  },
  fuzz: {
    run: fuzzCommand,
    summary: `${FUZZ_USAGE}   our client against a live TLS server: valid, mutant, state-machine and certificate-fault conversations, shrunk to the smallest failing one\n  ${FUZZ_LISTEN_USAGE}   our server against a TLS client run once per conversation`,
  },
  explain: {
    run: explainCommand,
    summary:
      'explain CAPTURE [--keylog F] [--psk ID:HEX] [--trust CA.pem] [--quiet]   the handshake flight by flight, with the rules checked on each message',
  },
  gen: {
    run: genCommand,
    summary:
      'gen --out DIR [--count N] [--seed S] [--version 1.2|1.3] [--mutual]   write generated handshakes as transcript JSON (with secrets), pcap and key log',
  },
};

function usage(): string {
  return ['usage: tlsprop <command> [options]', '', 'commands:', ...Object.values(commands).map((c) => `  ${c.summary}`)].join(
    '\n',
  );
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    io.err(`tlsprop: unknown command ${JSON.stringify(name)}\n${usage()}`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tlsprop ${name}: ${e.message}`);
      return 2;
    }
    if (e instanceof DecodeError) {
      io.err(`tlsprop ${name}: cannot decode input: ${e.message}`);
      return 2;
    }
    io.err(`tlsprop ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}
