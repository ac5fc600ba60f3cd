/**
 * Ladder lines for readers: alerts by name. The live pipeline writes an
 * alert as `alert(2,40)` (level, description code); reports show
 * `alert fatal handshake_failure`.
 */
import { alertDescriptions, nameOf } from '../wire/registry';

export function readableLine(line: string): string {
  return line.replace(/alert\((\d+),\s*(\d+)\)/g, (_m, level: string, code: string) => {
    const lv = level === '2' ? 'fatal' : level === '1' ? 'warning' : `level ${level}`;
    return `alert ${lv} ${nameOf(alertDescriptions, Number(code), 2)}`;
  });
}

export function readableLadder(lines: readonly string[]): string[] {
  return lines.map(readableLine);
}
