/** The command table: help for every command, --version, strict parsing, colours and progress. */
import { parseOptions, UsageError } from './args';
import { COMMANDS } from './commands';
import { DIFF_OPTIONS } from './diff';
import { LEARN_OPTIONS } from './learn';
import { type Io, main } from './main';
import { colourWanted, duration, fuzzProgress, Progress } from './style';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s), readStdin: async () => '' };
}

describe('tlsprop --help and --version', () => {
  it.each(COMMANDS.map((c) => c.name))(
    '%s --help and -h print the usage, every option and examples, and run nothing',
    async (name) => {
      for (const flag of ['--help', '-h']) {
        const io = capture();
        // with other arguments too: help wins, the command does not run
        expect(await main([name, '--seed', '1', flag], io)).toBe(0);
        const text = io.stdout.join('\n');
        expect(text).toMatch(new RegExp(`^usage: tlsprop ${name}`));
        const spec = COMMANDS.find((c) => c.name === name)!;
        for (const o of spec.options) expect(text).toContain(`--${o.name}`);
        expect(text).toMatch(/\nexamples:\n {2}\S/);
        expect(io.stderr).toEqual([]);
      }
    },
  );

  it('tlsprop help CMD is CMD --help; tlsprop --help lists every command', async () => {
    const a = capture();
    const b = capture();
    expect(await main(['help', 'check'], a)).toBe(0);
    expect(await main(['check', '--help'], b)).toBe(0);
    expect(a.stdout).toEqual(b.stdout);
    const all = capture();
    expect(await main(['--help'], all)).toBe(0);
    for (const c of COMMANDS) expect(all.stdout.join('\n')).toContain(`  ${c.name} `);
  });

  it('--version prints the package version', async () => {
    const io = capture();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.stdout).toEqual([`tlsprop ${require('../package.json').version}`]);
  });

  it('an unknown command or option says which known one was meant; extra positionals are rejected', async () => {
    const c = capture();
    expect(await main(['chek'], c)).toBe(2);
    expect(c.stderr.join('')).toMatch(/unknown command "chek"; did you mean check\?/);
    const o = capture();
    expect(await main(['run', '--targt', '127.0.0.1:1'], o)).toBe(2);
    expect(o.stderr.join('')).toMatch(/unknown option --targt; did you mean --target\?; usage: tlsprop run/);
    const p = capture();
    expect(await main(['run', 'extra'], p)).toBe(2);
    expect(p.stderr.join('')).toMatch(/unexpected argument "extra"/);
    const v = capture();
    expect(await main(['run', '--seed'], v)).toBe(2);
    expect(v.stderr.join('')).toMatch(/--seed/);
  });
});

describe('parseOptions', () => {
  const opts = [
    { name: 'out', value: 'DIR', help: '' },
    { name: 'json', help: '' },
    { name: 'ca', value: 'F', multiple: true, help: '' },
  ];
  it('takes --x V, --x=V, repeats, flags, - and everything after --', () => {
    const p = parseOptions(['--out', 'a', '--ca=1', '--ca', '2', '--json', '-', '--', '--x'], opts, {
      name: 'X',
      min: 0,
      max: 5,
    });
    expect(p.options.get('out')).toEqual(['a']);
    expect(p.options.get('ca')).toEqual(['1', '2']);
    expect([...p.flags]).toEqual(['json']);
    expect(p.positional).toEqual(['-', '--x']);
  });
  it('rejects a value for a flag, a missing value, and a value that looks like an option', () => {
    expect(() => parseOptions(['--json=1'], opts)).toThrow(UsageError);
    expect(() => parseOptions(['--out'], opts)).toThrow(/--out needs a value/);
    expect(() => parseOptions(['--out', '--json'], opts)).toThrow(/--out needs a value/);
  });
});

describe('colours and progress', () => {
  it('colours on a TTY unless NO_COLOR; FORCE_COLOR forces either way', () => {
    expect(colourWanted({ isTTY: true }, {})).toBe(true);
    expect(colourWanted({ isTTY: false }, {})).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourWanted({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });

  it('gives each phase, the probe included, an ETA from its rate so far', () => {
    let now = 0;
    const lines: string[] = [];
    const p = new Progress({ line: (s) => lines.push(s) }, () => now);
    const feed = fuzzProgress(p);
    feed('[probe 1/18] probe 1.3 TLS_AES_128_GCM_SHA256: conforming');
    now = 2000;
    feed('[probe 2/18] probe 1.3 TLS_AES_256_GCM_SHA384: conforming');
    feed('probe: TLS 1.3 [...]');
    now = 3000;
    feed('[1/10] valid 1.3: conforming');
    now = 4000;
    feed('[2/10] t13-drop-ee: conforming (unexpected_message)');
    expect(lines).toEqual([
      '[probe 1/18, ETA 0s] probe 1.3 TLS_AES_128_GCM_SHA256: conforming',
      '[probe 2/18, ETA 16s] probe 1.3 TLS_AES_256_GCM_SHA384: conforming',
      'probe: TLS 1.3 [...]',
      '[conversations 1/10, ETA 0s] valid 1.3: conforming',
      '[conversations 2/10, ETA 4s] t13-drop-ee: conforming (unexpected_message)',
    ]);
    expect(duration(65_000)).toBe('1m05s');
  });
});

describe('the command table and the command files', () => {
  // A command file that still reads its arguments with parseArgs (cli/args.ts) after the table parsed them: every
  // name it reads must be declared in the table, or `tlsprop CMD --that-option` is refused as unknown before the
  // command runs (a flag added on a branch beside the table is the case this catches).
  const FILES: Record<string, string> = {
    'fuzz.ts': 'fuzz',
    'fuzz-listen.ts': 'fuzz',
    'check.ts': 'check',
    'explain.ts': 'explain',
    'connect.ts': 'connect',
    'serve.ts': 'serve',
  };
  it.each(Object.entries(FILES))('every option cli/%s parses is declared for tlsprop %s', (file, command) => {
    const { readFileSync } = require('node:fs') as typeof import('node:fs');
    const { join } = require('node:path') as typeof import('node:path');
    const src = readFileSync(join(__dirname, file), 'utf8');
    const declared = new Set(COMMANDS.find((c) => c.name === command)!.options.map((o) => o.name));
    const read = new Set<string>();
    for (const call of src.matchAll(/parseArgs\(\s*\w+\s*,\s*\{([\s\S]*?)\}\s*\)/g))
      for (const name of call[1]!.matchAll(/'([a-z][a-z0-9-]*)'/g)) read.add(name[1]!);
    for (const name of src.matchAll(
      /option\(\s*p\s*,\s*'([a-z][a-z0-9-]*)'\s*\)|p\.(?:flags|options)\.(?:has|get)\('([a-z][a-z0-9-]*)'\)/g,
    ))
      read.add((name[1] ?? name[2])!);
    expect([...read].filter((n) => !declared.has(n)).sort()).toEqual([]);
  });

  // cli/learn.ts and cli/diff.ts parse the raw arguments again with node:util parseArgs (strict): a key missing from
  // the table is refused before the command runs, a key missing from the command's OPTIONS is refused by the command.
  type NodeOptions = Readonly<Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>>;
  const PARSED: Record<string, NodeOptions> = { learn: LEARN_OPTIONS, diff: DIFF_OPTIONS };
  it.each(Object.keys(PARSED))('the table entry of tlsprop %s declares exactly the options its command parses', (command) => {
    const spec = COMMANDS.find((c) => c.name === command)!;
    const own = PARSED[command]!;
    expect(spec.options.map((o) => o.name).sort()).toEqual(Object.keys(own).sort());
    // and each the same way: a flag without a value is a boolean, a repeatable option is multiple in both
    for (const o of spec.options)
      expect({ name: o.name, type: o.value === undefined ? 'boolean' : 'string', multiple: o.multiple === true }).toEqual({
        name: o.name,
        type: own[o.name]?.type,
        multiple: own[o.name]?.multiple === true,
      });
  });
});
