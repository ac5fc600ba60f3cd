/**
 * The `tlsprop` command line. The command table (cli/commands.ts) declares
 * every command; this dispatcher answers `--version` and `--help` (also
 * `tlsprop CMD --help`/`-h` and `tlsprop help CMD`, which never run the
 * command), parses the command's arguments with the table, and loads and
 * runs the command. Exit codes: 0 success (no violations), 1 violations or
 * failures found, 2 unusable input or usage error (one line, the command's
 * usage, never a stack trace).
 */
import { toolInfo } from '../reports/version';
import { closest, type Parsed, parseOptions, UsageError } from './args';
import { COMMANDS, commandHelp, commandNamed, mainHelp } from './commands';
import { colourWanted, type Paint, painter } from './style';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  readStdin: () => Promise<string>;
  /** stderr is a terminal: progress is redrawn in place (default false). */
  tty?: boolean;
  /** Colours on stdout/stderr (default false). */
  paint?: Paint;
  /** Raw write to stderr, for redrawn progress lines (default: err). */
  errRaw?: (s: string) => void;
}

export const processIo: Io = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  tty: process.stderr.isTTY === true,
  paint: painter(colourWanted(process.stderr)),
  errRaw: (s) => process.stderr.write(s),
};

const HELP = new Set(['--help', '-h']);

/** The arguments before `--` ask for help. */
function asksHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (HELP.has(a)) return true;
  }
  return false;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  const version = toolInfo().version;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`tlsprop ${version}`);
    return 0;
  }
  if (!name || HELP.has(name) || name === 'help') {
    const about = name === 'help' && rest[0] ? commandNamed(rest[0]) : undefined;
    if (name === 'help' && rest[0] && !about) {
      io.err(`tlsprop: unknown command ${JSON.stringify(rest[0])}`);
      return 2;
    }
    io.out(about ? commandHelp(about) : mainHelp(version));
    return name ? 0 : 2;
  }
  const cmd = commandNamed(name);
  if (!cmd) {
    const near = closest(
      name,
      COMMANDS.map((c) => c.name),
    );
    io.err(`tlsprop: unknown command ${JSON.stringify(name)}${near ? `; did you mean ${near}?` : ''}\n\n${mainHelp(version)}`);
    return 2;
  }
  if (asksHelp(rest)) {
    io.out(commandHelp(cmd));
    return 0;
  }
  // one line, as scripts and CI logs read a usage error: what is wrong, then the usage
  const usage = `usage: tlsprop ${cmd.usage} (tlsprop ${name} --help for more)`;
  try {
    let p: Parsed;
    try {
      p = parseOptions(rest, cmd.options, cmd.positionals);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`${e.message}; ${usage}`);
      throw e;
    }
    return await cmd.load()(p, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tlsprop ${name}: ${e.message}`);
      return 2;
    }
    // an unusable input the codec rejected (wire/errors DecodeError), without loading the codec here
    if (e instanceof Error && e.name === 'DecodeError') {
      io.err(`tlsprop ${name}: cannot decode input: ${e.message}`);
      return 2;
    }
    io.err(`tlsprop ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}
