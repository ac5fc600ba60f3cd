/** Typed outcome of checks that can fail on peer-supplied input. */
export type Result<T, R extends string = string> = { ok: true; value: T } | { ok: false; reason: R; detail?: string };
export type Check<R extends string = string> = { ok: true } | { ok: false; reason: R; detail?: string };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}
export function fail<R extends string>(reason: R, detail?: string): { ok: false; reason: R; detail?: string } {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}
