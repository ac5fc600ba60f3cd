/**
 * Command-line parsing for every command, on Node's own `util.parseArgs`
 * (strict: an unknown option is a usage error). A command is declared once
 * in the command table (cli/commands.ts): its options with their help text,
 * its positional arguments, examples; the table parses, rejects what is not
 * declared, and prints `--help` for every command. A command's code gets the
 * parsed arguments (`Parsed`) and only reads them.
 */
import { parseArgs as nodeParseArgs } from 'node:util';

/** A usage error: printed as one line with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One option of a command. */
export interface OptionSpec {
  /** Long name, without the dashes. */
  name: string;
  /** The value's placeholder (`N`, `FILE`, `HOST:PORT`); absent: a flag that takes no value. */
  value?: string;
  /** One-letter alias (`-h`). */
  short?: string;
  /** Repeatable: each occurrence is kept. */
  multiple?: boolean;
  /** One or two sentences: what it does and its default. */
  help: string;
  /** A heading the option is listed under in the help (for commands with modes, e.g. fuzz --listen). */
  section?: string;
}

/** What a command accepts as positional arguments. */
export interface PositionalSpec {
  /** Placeholder in the usage line (`FILE...`, `HEX|-`). */
  name: string;
  min: number;
  /** Default: `min` (exactly that many); Infinity for a list. */
  max?: number;
}

export interface Parsed {
  flags: Set<string>;
  options: Map<string, string[]>;
  positional: string[];
  /** The arguments as given (after the command name). */
  raw: string[];
}

/** The last value of an option. */
export function option(p: Parsed, name: string): string | undefined {
  const v = p.options.get(name);
  return v ? v[v.length - 1] : undefined;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** The closest of `names` to `given` when it is close enough to be a typo. */
export function closest(given: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const n of names) {
    const d = distance(given, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(given.length / 3)) ? best : undefined;
}

/**
 * Parse `args` against declared options: flags take no value, the others
 * exactly one (`--x V` or `--x=V`); `-` alone and everything after `--` are
 * positional. Throws a UsageError naming the closest known option for an
 * unknown one, and for a missing value.
 */
export function parseOptions(args: readonly string[], options: readonly OptionSpec[], positionals?: PositionalSpec): Parsed {
  const config: Record<string, { type: 'string' | 'boolean'; multiple: true; short?: string }> = {};
  for (const o of options) {
    config[o.name] = { type: o.value === undefined ? 'boolean' : 'string', multiple: true };
    if (o.short) config[o.name]!.short = o.short;
  }
  let parsed: ReturnType<typeof nodeParseArgs<{ options: typeof config; allowPositionals: true; strict: true; tokens: true }>>;
  try {
    parsed = nodeParseArgs({ args: [...args], options: config, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw new UsageError(parseErrorText(e, options));
  }
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option') continue;
    const spec = options.find((o) => o.name === t.name)!;
    if (spec.value === undefined) {
      if (t.value !== undefined) throw new UsageError(`--${t.name} takes no value`);
      flags.add(t.name);
    } else {
      if (t.value === undefined || (t.inlineValue !== true && t.value.startsWith('--') && t.value.length > 2))
        throw new UsageError(`--${t.name} needs a value (${spec.value})`);
      values.set(t.name, [...(values.get(t.name) ?? []), t.value]);
    }
  }
  const positional = [...parsed.positionals];
  if (positionals) {
    const max = positionals.max ?? positionals.min;
    if (positional.length > max)
      throw new UsageError(
        max === 0
          ? `unexpected argument ${JSON.stringify(positional[0])} (this command takes options only)`
          : `unexpected argument ${JSON.stringify(positional[max])} (expects ${positionals.name})`,
      );
    if (positional.length < positionals.min) throw new UsageError(`expects ${positionals.name}`);
  }
  return { flags, options: values, positional, raw: [...args] };
}

function parseErrorText(e: unknown, options: readonly OptionSpec[]): string {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string }).code;
  const m = /'(-{1,2}[^'\s]+)[^']*'/.exec(msg);
  const given = m?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = given.replace(/^-+/, '').split('=')[0]!;
    const near = closest(
      name,
      options.map((o) => o.name),
    );
    return `unknown option ${given}${near ? `; did you mean --${near}?` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = given.replace(/^-+/, '').split(/[ =]/)[0]!;
    const spec = options.find((o) => o.name === name);
    if (spec?.value === undefined) return `--${name} takes no value`;
    return `--${name} needs a value (${spec.value}); a value starting with "-" is given as --${name}=VALUE`;
  }
  return msg;
}

/**
 * The parser of commands that parse for themselves: the same strict parsing
 * with the names they accept (`flags` take no value, `options` one each).
 */
export function parseArgs(args: string[], spec: { flags?: string[]; options?: string[] }): Parsed {
  const options: OptionSpec[] = [
    ...(spec.flags ?? []).map((name) => ({ name, help: '' })),
    ...(spec.options ?? []).map((name) => ({ name, value: 'VALUE', help: '' })),
  ];
  return parseOptions(args, options);
}

/** An integer option (`--runs`, `--seed`, ...): `dflt` when absent, a usage error unless a whole number >= `min`. */
export function intOption(p: Parsed, name: string, dflt: number, min = 0): number {
  const text = option(p, name);
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name} needs a whole number >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}
