/**
 * The tool's name and version, as every report and `tlsprop --version` give
 * them: read once from the package.json of the tlsprop package this file
 * belongs to (the sources' folder in a checkout, the installed package's
 * root above dist/), never a second copy of the number.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: { name: string; version: string } | undefined;

export function toolInfo(): { name: string; version: string } {
  if (cached) return cached;
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tlsprop' && pkg.version) {
        cached = { name: 'tlsprop', version: pkg.version };
        return cached;
      }
    } catch {
      // not here: one folder up
    }
    dir = dirname(dir);
  }
  cached = { name: 'tlsprop', version: '0.0.0' };
  return cached;
}
