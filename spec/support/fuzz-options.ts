/** Options of a live run with some groups changed (each group merged, not replaced): what the fuzz specs vary. */
import type { FuzzOptions } from '../../fuzz/options';

export type OptionsChange<O extends FuzzOptions<unknown>> = {
  [K in keyof O]?: Partial<NonNullable<O[K]>>;
};

export function withOptions<O extends FuzzOptions<unknown>>(o: O, change: OptionsChange<O>): O {
  const out = { ...o };
  for (const k of Object.keys(change) as (keyof O)[]) out[k] = { ...o[k], ...change[k] } as O[keyof O];
  return out;
}
