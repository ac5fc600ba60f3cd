/**
 * The repository's TypeScript sources as the checks in tools/ read them:
 * the file list, and each file's imports and environment-variable reads,
 * taken from swc's syntax tree (the parser jest already uses), never from a
 * regular expression over the text.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseSync } from '@swc/core';

export const ROOT = resolve(__dirname, '..');

/** Folders that hold no source of ours (dependencies, outputs, data). */
const SKIP = new Set(['node_modules', 'out', 'coverage', '.git']);

/** Repository-relative path with forward slashes. */
export function rel(abs: string, root = ROOT): string {
  return relative(root, abs).split(sep).join('/');
}

/** Every source file (`.ts`, or the extensions given) under `root`, repository-relative, sorted; `bench/out` and `fixtures/` are data and left out. */
export function sourceFiles(root = ROOT, extensions: readonly string[] = ['.ts']): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const r = rel(abs, root);
      if (SKIP.has(name) || r === 'bench/out' || r === 'fixtures') continue;
      if (statSync(abs).isDirectory()) walk(abs);
      else if (extensions.some((e) => name.endsWith(e))) out.push(r);
    }
  };
  walk(root);
  return out;
}

/** One import, re-export, require() or import() of a module. */
export interface ImportRef {
  /** The specifier as written (`./launch`, `node:child_process`). */
  specifier: string;
  /** The repository-relative file it resolves to, for a relative specifier that resolves. */
  resolved?: string;
  /** The names taken from it; `*` for a namespace, a re-export of everything, require() or import(). */
  names: string[];
  /** `import type`: erased at compile time, it can start nothing. */
  typeOnly: boolean;
}

// The part of swc's tree the walk reads: every node has a `type`; everything else is looked up by name.
type Node = { type: string; [key: string]: unknown };
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && typeof (v as Node)['type'] === 'string';
const str = (v: unknown): string | undefined => (isNode(v) && v.type === 'StringLiteral' ? (v['value'] as string) : undefined);
const ident = (v: unknown): string | undefined => (isNode(v) && v.type === 'Identifier' ? (v['value'] as string) : undefined);

/** Calls `visit` on every node of the tree, depth first. */
function walkTree(root: unknown, visit: (n: Node) => void): void {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (typeof v === 'object' && v !== null) {
      if (isNode(v)) visit(v);
      for (const [k, child] of Object.entries(v)) if (k !== 'span' && typeof child === 'object') stack.push(child);
    }
  }
}

const trees = new Map<string, unknown>();
function tree(abs: string): unknown {
  let t = trees.get(abs);
  if (t === undefined) {
    t = parseSync(readFileSync(abs, 'utf8'), { syntax: 'typescript', decorators: true, target: 'es2022' });
    trees.set(abs, t);
  }
  return t;
}

/** The file a relative specifier names, as Node and tsc resolve it (`.ts`, `.js`, `index`). */
function resolveFrom(fromAbs: string, specifier: string, root: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(fromAbs), specifier);
  for (const c of [base, `${base}.ts`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js')])
    if (existsSync(c) && statSync(c).isFile()) return rel(c, root);
  return undefined;
}

/** The imports of one file (repository-relative path). */
export function importsOf(file: string, root = ROOT): ImportRef[] {
  const abs = join(root, file);
  const out: ImportRef[] = [];
  const add = (specifier: string, names: string[], typeOnly: boolean) => {
    const resolved = resolveFrom(abs, specifier, root);
    out.push(resolved === undefined ? { specifier, names, typeOnly } : { specifier, resolved, names, typeOnly });
  };
  walkTree(tree(abs), (n) => {
    if (n.type === 'ImportDeclaration') {
      const spec = str(n['source'])!;
      const specifiers = (n['specifiers'] as Node[]) ?? [];
      const valueSpecs = specifiers.filter((s) => !(s['isTypeOnly'] as boolean));
      const typeOnly = (n['typeOnly'] as boolean) || (specifiers.length > 0 && valueSpecs.length === 0);
      const names = (typeOnly ? specifiers : valueSpecs).map((s) =>
        s.type === 'ImportSpecifier'
          ? (ident(s['imported']) ?? str(s['imported']) ?? ident(s['local'])!)
          : s.type === 'ImportDefaultSpecifier'
            ? 'default'
            : '*',
      );
      add(spec, specifiers.length ? names : ['*'], typeOnly);
    } else if (n.type === 'ExportAllDeclaration') {
      add(str(n['source'])!, ['*'], n['typeOnly'] as boolean);
    } else if (n.type === 'ExportNamedDeclaration' && n['source']) {
      const specifiers = (n['specifiers'] as Node[]) ?? [];
      add(
        str(n['source'])!,
        specifiers.map((s) => ident(s['orig']) ?? '*'),
        n['typeOnly'] as boolean,
      );
    } else if (n.type === 'CallExpression') {
      const callee = n['callee'];
      const isRequire = ident(callee) === 'require';
      const isImport = isNode(callee) && callee.type === 'Import';
      const first = (n['arguments'] as Array<{ expression: unknown }>)[0];
      const spec = first ? str(first.expression) : undefined;
      if ((isRequire || isImport) && spec !== undefined) add(spec, ['*'], false);
    }
  });
  return out;
}

/**
 * Names of the environment variables a file reads: `process.env.NAME`,
 * `process.env['NAME']`, and any `TLSPROP_*` name spelt out (a variable read
 * through an `env` object passed in, as reports/collect.ts does).
 */
export function envReadsOf(file: string, root = ROOT): string[] {
  const names = new Set<string>();
  const isProcessEnv = (v: unknown): boolean =>
    isNode(v) && v.type === 'MemberExpression' && ident(v['object']) === 'process' && ident(v['property']) === 'env';
  walkTree(tree(join(root, file)), (n) => {
    if (n.type === 'MemberExpression' && isProcessEnv(n['object'])) {
      const p = n['property'];
      const name = ident(p) ?? (isNode(p) && p.type === 'Computed' ? str(p['expression']) : undefined);
      if (name !== undefined) names.add(name);
    }
    const literal = str(n) ?? (n.type === 'Identifier' ? ident(n) : undefined);
    if (literal !== undefined && /^TLSPROP_[A-Z0-9_]+$/.test(literal)) names.add(literal);
  });
  return [...names].sort();
}

/** The string literals and template-literal parts of a file: the paths and names it spells out. */
export function stringsOf(file: string, root = ROOT): string[] {
  const out: string[] = [];
  walkTree(tree(join(root, file)), (n) => {
    const s = str(n);
    if (s !== undefined) out.push(s);
    else if (n.type === 'TemplateElement') out.push(String(n['cooked'] ?? n['raw']));
  });
  return out;
}
