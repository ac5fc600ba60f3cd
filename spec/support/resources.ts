/** Live resources of the test process, compared around a run. */

/**
 * Resources of a type there are more of than before: what a run left. One that existed before and is gone since is
 * no leak of this run (another test file's socket or server handle closing late in the same worker).
 */
export function grown(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) if (n > (before[k] ?? 0)) out[k] = n - (before[k] ?? 0);
  return out;
}
