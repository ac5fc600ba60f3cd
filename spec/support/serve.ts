/** `tlsprop serve` as a child process on 127.0.0.1 for tests: started on a free port, its JSON lines read back. */
import { join } from 'node:path';
import type { ConnectionSummary } from '../../engine/serve';
import { freePort, launch, type PeerProcess } from '../../testing/launch';

const BIN = join(__dirname, '..', '..', 'bin', 'tlsprop.js');

/** `tlsprop serve --listen 127.0.0.1:PORT ...args`, once it says it listens. The caller stops it (by PID). */
export async function startServe(args: readonly string[]): Promise<{ proc: PeerProcess; port: number }> {
  const port = await freePort();
  // not `listenPort`: a probe connection would be one of the connections it serves (and prints)
  const proc = await launch({
    name: 'tlsprop serve',
    command: process.execPath,
    args: [BIN, 'serve', '--listen', `127.0.0.1:${port}`, ...args],
  });
  if (!(await proc.waitForOutput(`listening on 127.0.0.1:${port}`, 30_000))) {
    await proc.stop();
    throw new Error(`tlsprop serve did not start: ${proc.output.slice(-2000)}`);
  }
  return { proc, port };
}

/** The JSON lines it printed so far (stdout and stderr are one stream here; only the JSON lines start with "{"). */
export function summariesOf(proc: PeerProcess): ConnectionSummary[] {
  return proc.output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as ConnectionSummary);
}

/** The index-th JSON line (0-based), once printed: it comes when that connection has ended. Undefined after timeoutMs. */
export async function summaryAt(proc: PeerProcess, index: number, timeoutMs: number): Promise<ConnectionSummary | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const lines = summariesOf(proc);
    if (lines.length > index) return lines[index];
    if (Date.now() > until || proc.exit) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}
