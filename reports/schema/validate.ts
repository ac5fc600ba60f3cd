/**
 * A small validator for the subset of JSON Schema report-v3.schema.json
 * uses: type (string, number, integer, boolean, object, array, null, or a
 * list), properties, required, additionalProperties (boolean or schema),
 * items, enum, const, minimum, $ref to `#/$defs/<name>`. Returns the errors
 * as `<json pointer>: <problem>`, empty when valid.
 */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  $defs?: Record<string, Schema>;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

export function validate(value: unknown, schema: Schema, root: Schema = schema, at = ''): string[] {
  const errors: string[] = [];
  const here = at || '/';
  if (schema.$ref) {
    const m = /^#\/\$defs\/(.+)$/.exec(schema.$ref);
    const target = m ? root.$defs?.[m[1]!] : undefined;
    if (!target) return [`${here}: unresolvable $ref ${schema.$ref}`];
    errors.push(...validate(value, target, root, at));
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => matchesType(value, t)))
      return [...errors, `${here}: expected ${types.join('|')}, got ${typeOf(value)}`];
  }
  if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema.const))
    errors.push(`${here}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    errors.push(`${here}: ${JSON.stringify(value)} not in enum`);
  if (schema.minimum !== undefined && typeof value === 'number' && value < schema.minimum)
    errors.push(`${here}: ${value} < ${schema.minimum}`);
  if (Array.isArray(value) && schema.items) {
    for (let i = 0; i < value.length; i++) errors.push(...validate(value[i], schema.items, root, `${at}/${i}`));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in obj)) errors.push(`${at}/${k}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const p = schema.properties?.[k];
      if (p) errors.push(...validate(v, p, root, `${at}/${k}`));
      else if (schema.additionalProperties === false) errors.push(`${at}/${k}: not allowed`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validate(v, schema.additionalProperties, root, `${at}/${k}`));
    }
  }
  return errors;
}
