/** Minimal, strict option parsing: unknown options are usage errors. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Parsed {
  flags: Set<string>;
  options: Map<string, string[]>;
  positional: string[];
}

/**
 * `flags` take no value, `options` take one (repeatable). `-` alone is a
 * positional argument (stdin).
 */
export function parseArgs(args: string[], spec: { flags?: string[]; options?: string[] }): Parsed {
  const flags = new Set<string>();
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (spec.flags?.includes(name)) {
        if (eq > 0) throw new UsageError(`--${name} takes no value`);
        flags.add(name);
      } else if (spec.options?.includes(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : args[++i];
        if (v === undefined) throw new UsageError(`--${name} needs a value`);
        options.set(name, [...(options.get(name) ?? []), v]);
      } else throw new UsageError(`unknown option ${a}`);
    } else positional.push(a);
  }
  return { flags, options, positional };
}

export function option(p: Parsed, name: string): string | undefined {
  const v = p.options.get(name);
  return v ? v[v.length - 1] : undefined;
}
