/** Escaping for XML/HTML text and attributes; drops characters XML 1.0 forbids. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing the control characters XML forbids
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(s: string): string {
  return s
    .replace(FORBIDDEN, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** HTML uses the same escaping (`&apos;` is valid HTML5). */
export const escapeHtml = escapeXml;

export function pct(n: number, d: number): string {
  return d ? `${((100 * n) / d).toFixed(1)}%` : '–';
}
