/**
 * The fuzzers against peers that misbehave on purpose (issue #9 item 2): every
 * conversation ends within its timeout with a clear verdict, the run goes on
 * with the next one and reports all `runs` conversations, and nothing is left
 * behind (no socket, timer or child process; checked at the end).
 *
 * (a) fuzzTarget (our client) against a loopback TCP server written here: its
 *     first connection (the sanity handshake) is served by our engine's TLS 1.3
 *     server, every later one misbehaves, in rotation: resets on the ClientHello, stalls
 *     forever, trickles one byte per 100 ms, sends garbage, sends an oversized
 *     record, closes after reading the ClientHello.
 * (b) fuzzClient (our server, valid handshakes) with a client command (spec/fixtures/
 *     misbehaving-client.sh) that behaves for the probe and the sanity
 *     handshakes and otherwise, in rotation: never connects (sleeps), connects
 *     and stalls, ignores SIGTERM (shell and client), sends garbage.
 * (c) fuzzClient whose conversation throws (a broken mutation hook of our
 *     server): the client command it started is stopped at once, not left
 *     running with its timer until its own timeout.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHook, executionAsyncId } from 'node:async_hooks';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServerOverSocket } from '../engine/socket';
import { TlsServer } from '../engine/server';
import { nodeProvider } from '../crypto';
import { type ClientConversationResult, fuzzClient } from '../fuzz/client';
import type { ServerFuzzOptions } from '../fuzz/options';
import type { TargetProfile } from '../fuzz/probe';
import { fuzzTarget } from '../fuzz/target';
import { startFaultyServer } from '../engine/serve';
import { LOOPBACK } from '../testing/launch';
import { type PkiFiles, writePki } from '../testing/pki';
import type { ConversationVerdict } from '../wire/vocabulary';
import { recordFragment, runDir } from '../reports/collect';
import { encodeRecord } from '../wire/record';
import { encodeBody, type HandshakeBody } from '../wire/handshake';
import { VERSION_CODE } from '../wire/vocabulary';

/** (c): mutations whose hook throws (one of our server's sends, one of our client's), added in one place (ops-live.ts). */
const BROKEN = 't13-broken-server-hook';
const BROKEN_CLIENT = 't13-broken-client-hook';
jest.mock('../generators/mutations/ops-live', () => {
  const actual = jest.requireActual<typeof import('../generators/mutations/ops-live')>('../generators/mutations/ops-live');
  const { clientHooks, serverHooks } =
    jest.requireActual<typeof import('../generators/mutations/model')>('../generators/mutations/model');
  const broken: import('../generators/mutations/model').Mutation = {
    name: 't13-broken-server-hook',
    description: 'a mutation whose hook throws when our server builds its ServerHello (a bug, not a finding)',
    versions: ['1.3'],
    rules: ['t13.neg.session-id-echo'],
    bases: [],
    ...serverHooks(() => ({
      beforeSend: (m) => {
        if (m.type === 'server_hello') throw new Error('broken mutation hook');
        return undefined;
      },
    })),
  };
  const brokenClient: import('../generators/mutations/model').Mutation = {
    name: 't13-broken-client-hook',
    description: 'a mutation whose hook throws when our client has read the ServerHello (a bug, not a finding)',
    versions: ['1.3'],
    rules: ['t13.fin.verify-data'],
    bases: [],
    ...clientHooks(() => ({
      beforeProcess: (m) => {
        if (m.type === 'server_hello') throw new Error('broken mutation hook');
        return undefined;
      },
    })),
  };
  return { ...actual, OFF_CURVE_MUTATIONS: [...actual.OFF_CURVE_MUTATIONS, broken, brokenClient] };
});

let files: PkiFiles;
/** Per conversation: path, misbehaviour, verdict (written to out/fuzz-misbehaving.md after the runs). */
const table: string[] = [];
beforeAll(async () => {
  files = await writePki();
});
afterAll(() => {
  files?.cleanup();
  if (table.length) {
    mkdirSync('out', { recursive: true });
    writeFileSync(
      join('out', 'fuzz-misbehaving.md'),
      `| fuzzer | path | misbehaviour | conversation | verdict | detail |\n|---|---|---|---|---|---|\n${table.join('\n')}\n`,
    );
  }
});

const READ_MS = 400;
const TOTAL_MS = 1200;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * What a run leaves behind: the sockets, servers, pipes, child processes and timers created from here on (by the
 * test body and everything it calls, followed through the async resources each one creates) that are still alive
 * when `left` is called. Counting the process's active resources instead would also count the test runner's own:
 * running a spec file in band, jest's status reporter re-arms a 100 ms timer every second
 * (@jest/reporters Status._debouncedEmit) in the same process, which reads as `{ Timeout: 1 }` one check in ten.
 */
function track(): { left(): Promise<Record<string, number>> } {
  const ours = new Set<number>([executionAsyncId()]);
  const alive = new Map<number, string>();
  let recording = true;
  const hook = createHook({
    init(id, type, trigger) {
      if (!recording || !ours.has(trigger)) return;
      ours.add(id);
      if (/^(TCPWRAP|TCPSERVERWRAP|PIPEWRAP|PIPESERVERWRAP|PROCESSWRAP|Timeout)$/.test(type)) alive.set(id, type);
    },
    destroy(id) {
      alive.delete(id);
    },
  }).enable();
  return {
    async left() {
      // resources closed a moment ago are destroyed on the next turns of the event loop
      recording = false;
      await sleep(50);
      hook.disable();
      const out: Record<string, number> = {};
      for (const t of alive.values()) out[t] = (out[t] ?? 0) + 1;
      return out;
    },
  };
}

// ---------------------------------------------------------------- (a) servers

const MISBEHAVIOURS = ['resets', 'stalls', 'trickles', 'garbage', 'oversized', 'closes-after-client-hello'] as const;
type Misbehaviour = (typeof MISBEHAVIOURS)[number];

const SERVER_HELLO = encodeRecord({
  contentType: 22,
  version: VERSION_CODE['1.2'],
  fragment: encodeBody({
    type: 'server_hello',
    legacyVersion: VERSION_CODE['1.2'],
    random: new Uint8Array(32).fill(9),
    sessionId: new Uint8Array(0),
    cipherSuite: 0x1301,
    compressionMethod: 0,
    extensions: [],
  } satisfies HandshakeBody),
});

/**
 * What each misbehaviour may end in, whatever the conversation expected: a valid handshake gets the failure verdict
 * (reset, hung, flagged: our client aborted, wrong-alert: closed without an alert), a mutant expecting a rejection may
 * count a reset, a close or (when silence is allowed) a stall as conforming under alert-or-close.
 */
const ALLOWED: Readonly<Record<Misbehaviour, readonly ConversationVerdict[]>> = {
  resets: ['reset', 'conforming'],
  stalls: ['hung', 'conforming'],
  trickles: ['hung', 'conforming'],
  garbage: ['flagged'],
  oversized: ['flagged'],
  'closes-after-client-hello': ['wrong-alert', 'conforming', 'reset'],
};

interface MisbehavingServer {
  port: number;
  /** Behaviour of each accepted connection, in order ('good' for the first). */
  log: (Misbehaviour | 'good')[];
  /** Connections still open on the server side: their connection numbers and behaviours. */
  open(): string[];
  close(): Promise<void>;
}

async function misbehavingServer(pki: PkiFiles['pki']): Promise<MisbehavingServer> {
  const sockets = new Map<Socket, string>();
  const log: (Misbehaviour | 'good')[] = [];
  const server: Server = createServer((s) => {
    const n = log.length;
    const mode = n === 0 ? 'good' : MISBEHAVIOURS[(n - 1) % MISBEHAVIOURS.length]!;
    log.push(mode);
    sockets.set(s, `${n} ${mode}`);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    const onFirstData = (f: () => void) => s.once('data', f);
    switch (mode) {
      case 'good': {
        const tls = new TlsServer({
          provider: nodeProvider(),
          versions: [VERSION_CODE['1.3']],
          identity: pki.identity('server', 'rsa'),
        });
        void runServerOverSocket(tls, s, {
          readTimeoutMs: 2000,
          totalTimeoutMs: 4000,
          appData: new TextEncoder().encode('ok\n'),
        }).finally(() => s.destroy());
        break;
      }
      case 'resets':
        // mid-handshake: as soon as the ClientHello arrives (so a ClientHello mutant has fired)
        onFirstData(() => s.resetAndDestroy());
        break;
      case 'stalls':
        // reads (and drops) what arrives, so that it sees the client's close; never answers
        s.resume();
        break;
      case 'trickles': {
        s.resume();
        let i = 0;
        const t = setInterval(() => {
          if (s.destroyed || i >= SERVER_HELLO.length) return clearInterval(t);
          s.write(SERVER_HELLO.subarray(i, i + 1));
          i++;
        }, 100);
        s.on('close', () => clearInterval(t));
        break;
      }
      case 'garbage':
        onFirstData(() => s.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
        break;
      case 'oversized':
        // a handshake record claiming 2^14 + 2049 bytes (RFC 8446 §5.1: at most 2^14), all of them sent
        onFirstData(() => s.write(Buffer.concat([Buffer.from([22, 3, 3, 0x48, 0x01]), Buffer.alloc(0x4801, 1)])));
        break;
      case 'closes-after-client-hello':
        onFirstData(() => s.end());
        break;
    }
  });
  await new Promise<void>((r) => server.listen(0, LOOPBACK, () => r()));
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : 0,
    log,
    open: () => [...sockets.values()],
    close: async () => {
      for (const s of sockets.keys()) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('fuzzTarget against a server that misbehaves on every connection after the first', () => {
  it('every conversation ends with a clear verdict, all runs are reported, the run notices the target at the end, nothing is left open', async () => {
    const run = track();
    const srv = await misbehavingServer(files.pki);
    const runs = 18;
    const progress: string[] = [];
    // what the target accepts is given (a probe would meet the misbehaviours): TLS 1.3, our engine server's suite
    const knownTarget: TargetProfile = { suites: { '1.2': [], '1.3': [0x1301] }, certificateRequested: false };
    const o: ServerFuzzOptions = {
      target: { host: LOOPBACK, port: srv.port, known: knownTarget },
      identity: { pki: files.pki, trustAnchors: files.pki.anchors, serverName: 'localhost' },
      budget: { seed: 9, runs, readTimeoutMs: READ_MS, totalTimeoutMs: TOTAL_MS, maxShrinkRuns: 0 },
      profile: {
        strictness: 'alert-or-close',
        // mutants of the ClientHello only: they fire before the target says anything, so every conversation (these and
        // valid handshakes) is judged; a mutant of a later message would be skipped (mutation did not fire) here
        only: [
          't13-keyshare-off-curve',
          't13-keyshare-y-flipped',
          't13-keyshare-identity',
          't13-keyshare-wrong-length',
          't13-keyshare-x25519-small-order',
        ],
      },
      output: { onProgress: (l) => progress.push(l) },
    };
    let r: Awaited<ReturnType<typeof fuzzTarget>>;
    try {
      r = await fuzzTarget(o);
      await sleep(100);
      // every connection the fuzzer opened was closed by the fuzzer (the server kept its side open until then)
      expect(srv.open()).toEqual([]);
    } finally {
      await srv.close();
    }
    recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
    // the sanity handshake met the good server; the last one meets a misbehaviour and says so
    expect(srv.log[0]).toBe('good');
    expect(r.sanity).toEqual({ first: true, last: false });
    expect(progress[1]).toBe('sanity first: conforming (handshake completed)');
    expect(progress.at(-1)).toMatch(/^sanity last: (reset|hung|flagged|wrong-alert) \(.+\)$/);
    // all runs reported, in order, a verdict each
    const lines = progress.filter((l) => /^\[\d+\/\d+\] /.test(l));
    expect(lines).toHaveLength(runs);
    for (const [i, l] of lines.entries())
      expect(l).toMatch(new RegExp(`^\\[${i + 1}/${runs}\\] .+: (conforming|accepted-invalid|wrong-alert|hung|reset|flagged)`));
    expect(r.skipped).toEqual([]);
    expect(r.results.map((x) => x.run.path)).toEqual(Array.from({ length: runs }, (_, i) => String(i)));
    // (the valid conversations of the families that run whenever the target allows them: KeyUpdate, record lengths)
    expect(new Set(r.results.map((x) => x.conversation.kind))).toEqual(new Set(['valid', 'mutant', 'keyupdate', 'lengths']));
    // each conversation's verdict is one a misbehaviour allows, with its detail. Which connection a conversation met
    // is not its path any more: after a conversation that ended without an answer the run checks that the target is
    // still there (fuzz/health.ts: a TCP connection and a sanity handshake), and those connections take their turn in
    // the server's rotation too; each misbehaviour still meets several conversations
    const allowed = new Set(Object.values(ALLOWED).flat());
    for (const x of r.results)
      table.push(`| fuzzTarget | ${x.run.path} | - | ${x.conversation.name} | ${x.run.verdict} | ${x.run.detail ?? ''} |`);
    const bad = r.results.filter((x) => !allowed.has(x.run.verdict) || !x.run.detail);
    expect(bad.map((x) => `${x.run.path}: ${x.run.verdict} ${x.run.detail ?? ''}`)).toEqual([]);
    // the target answered the health checks in some way: it is not taken for dead, the run went on to the end
    expect(r.results.filter((x) => x.run.verdict.startsWith('target-'))).toEqual([]);
    expect(r.stopped).toBeUndefined();
    for (const m of MISBEHAVIOURS) expect(srv.log.filter((x) => x === m).length).toBeGreaterThanOrEqual(3);
    // nothing left: no socket, server, timer or process of the run
    expect(await run.left()).toEqual({});
  });
});

// ---------------------------------------------------------------- (b) clients

const CLIENT_MODES = ['sleep', 'stall', 'deaf', 'garbage'] as const;
const CLIENT_TOTAL_MS = 3000;

/** Processes (pid, pgid, state) that are not zombies, from ps. */
function processTable(): { pid: number; pgid: number; stat: string }[] {
  return execFileSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && !f[2]!.startsWith('Z'))
    .map(([pid, pgid, stat]) => ({ pid: Number(pid), pgid: Number(pgid), stat: stat! }));
}

describe('fuzzClient with a client command that misbehaves on every conversation after the sanity one', () => {
  it('every conversation ends with a clear verdict, the run goes on, no child process or socket is left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-misbehaving-client-'));
    const state = join(dir, 'state');
    const runs = 8;
    const run = track();
    const progress: string[] = [];
    try {
      // invocations 0 (probe) and 1 (sanity first) behave, so do those from 2 + runs on (sanity last): shrinking is off
      const command = `sh ${join(__dirname, 'fixtures', 'misbehaving-client.sh')} {host} {port} ${files.ca} ${state} 2 ${2 + runs}`;
      const r = await fuzzClient({
        target: { host: LOOPBACK, port: 0, command, exitGraceMs: 200 },
        identity: { pki: files.pki, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors },
        // the whole conversation includes starting the client (a node process: slow on a loaded machine)
        budget: { seed: 3, runs, readTimeoutMs: READ_MS, totalTimeoutMs: CLIENT_TOTAL_MS, maxShrinkRuns: 0 },
        // valid handshakes only: a mutant against a client that never gets as far as the mutated message is skipped
        // (mutation did not fire), which proves nothing here; a valid handshake gets a verdict from every misbehaviour
        profile: { strictness: 'alert-or-close', only: [] },
        output: { onProgress: (l) => progress.push(l) },
      });
      recordFragment(runDir(), { conversations: r.results.map((x) => x.run) });
      expect(progress.filter((l) => l.startsWith('sanity'))).toEqual([
        'sanity first: conforming (handshake completed, the peer sent application data)',
        'sanity last: conforming (handshake completed, the peer sent application data)',
      ]);
      expect(r.sanity).toEqual({ first: true, last: true });
      const modes = readFileSync(`${state}.modes`, 'utf8').trim().split('\n');
      expect(modes).toEqual(Array.from({ length: runs }, (_, i) => CLIENT_MODES[i % CLIENT_MODES.length]));
      expect(Number(readFileSync(`${state}.count`, 'utf8'))).toBe(runs + 3);
      // all runs reported in order, each with a verdict or the reason it proves nothing
      const lines = progress.filter((l) => /^\[\d+\/\d+\] /.test(l));
      expect(lines).toHaveLength(runs);
      for (const [i, l] of lines.entries())
        expect(l).toMatch(
          new RegExp(`^\\[${i + 1}/${runs}\\] .+: (conforming|accepted-invalid|wrong-alert|hung|reset|flagged|skipped \\(.+\\))`),
        );
      expect(r.mutants).toEqual([]);
      expect(r.skipped).toEqual([]);
      expect(r.results).toHaveLength(runs);
      const modeOf = (x: ClientConversationResult) => CLIENT_MODES[Number(x.run.path) % CLIENT_MODES.length]!;
      for (const x of r.results)
        table.push(
          `| fuzzClient | ${x.run.path} | ${modeOf(x)} | ${x.conversation.name} | ${x.run.verdict} | ${(x.run.detail ?? '').replace(/\|/g, '/')} |`,
        );
      for (const sk of r.skipped)
        table.push(
          `| fuzzClient | ${sk.split(' ')[0]} | ${CLIENT_MODES[Number(sk.split(' ')[0]) % CLIENT_MODES.length]} | ${sk.split(' ').slice(1).join(' ')} | skipped | |`,
        );
      for (const x of r.results) {
        const mode = modeOf(x);
        const where = `${x.run.path} ${mode}: ${x.run.verdict} ${x.run.detail ?? ''}`;
        // the command never outlives its conversation: stopped by us (all but the garbage one, which we close on)
        if (mode === 'sleep') expect(where).toMatch(/: hung client never connected/);
        if (mode === 'stall' || mode === 'deaf') expect(where).toMatch(/: hung /);
        if (mode === 'garbage') expect(where).toMatch(/: flagged our endpoint aborted/);
        if (mode !== 'garbage') expect(x.command.stopped).toBe(true);
        // the deaf one ignores SIGTERM: only SIGKILL ended it
        if (mode === 'deaf') expect(x.command.killed).toBe(true);
        if (mode === 'sleep' || mode === 'stall') expect(x.command.killed).toBe(false);
      }
      expect(r.results.map(modeOf)).toEqual(Array.from({ length: runs }, (_, i) => CLIENT_MODES[i % CLIENT_MODES.length]));
      // no process of any invocation is left: not the shells (process group leaders) nor the clients they started
      await sleep(50);
      const shells = readFileSync(`${state}.pids`, 'utf8').trim().split('\n').map(Number);
      const clients = readFileSync(`${state}.clients`, 'utf8').trim().split('\n').map(Number);
      expect(shells).toHaveLength(runs + 3);
      // stall, deaf and garbage clients: one node process each
      expect(clients).toHaveLength((runs / CLIENT_MODES.length) * 3);
      // nothing of any group is running (zombies of init do not count: what the killed shells started is reparented to
      // init, which may not reap it here); the group leaders, the fuzzer's own children, are gone entirely
      const leaders = r.results.map((x) => x.command.pid);
      expect(leaders).toHaveLength(runs);
      // (the script's $$ is the shell under the command's `sh -c`, so it is not the group leader)
      const left = processTable().filter((p) => leaders.includes(p.pgid) || shells.includes(p.pid) || clients.includes(p.pid));
      expect(left).toEqual([]);
      const alive = leaders.flatMap((pid) => {
        try {
          process.kill(pid, 0);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ESRCH') return [];
        }
        let stat = '?';
        try {
          stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        } catch {
          // gone meanwhile
        }
        return [`${pid}: ${stat}`];
      });
      expect(alive).toEqual([]);
      expect(await run.left()).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- (c) a conversation that throws

describe('fuzzClient whose conversation throws', () => {
  it('fails with the error and stops the client command it started: no process, socket or timer outlives the run', async () => {
    const run = track();
    const client = `node ${join(__dirname, 'fixtures', 'node-tls-client.js')} {host} {port} ${files.ca}`;
    // a budget far longer than the test's: a conversation that left its client running until the command's own timeout
    // (total + 5 s) would hold the run (and the listener, waiting for that client's connection) past it
    await expect(
      fuzzClient({
        target: { host: LOOPBACK, port: 0, command: client, exitGraceMs: 200 },
        identity: { pki: files.pki, identity: files.pki.identity('server', 'rsa'), trustAnchors: files.pki.anchors },
        budget: { seed: 1, runs: 1, readTimeoutMs: 5000, totalTimeoutMs: 600_000, maxShrinkRuns: 0 },
        profile: { strictness: 'alert-or-close', only: [BROKEN] },
      }),
    ).rejects.toThrow(/broken mutation hook/);
    expect(await run.left()).toEqual({});
  }, 60_000);
});

describe('fuzzTarget whose conversation throws', () => {
  it('fails with the error and closes the connection it opened: no socket or timer outlives the run', async () => {
    const run = track();
    // our engine's healthy server, every connection served
    const srv = await startFaultyServer({
      identity: files.pki.identity('server', 'rsa'),
      versions: [VERSION_CODE['1.3']],
      faults: [],
    });
    try {
      await expect(
        fuzzTarget({
          target: {
            host: LOOPBACK,
            port: srv.port,
            known: { suites: { '1.2': [], '1.3': [0x1301] }, certificateRequested: false },
          },
          identity: { pki: files.pki, trustAnchors: files.pki.anchors, serverName: 'localhost' },
          budget: { seed: 1, runs: 1, readTimeoutMs: READ_MS, totalTimeoutMs: TOTAL_MS, maxShrinkRuns: 0 },
          profile: { strictness: 'alert-or-close', only: [BROKEN_CLIENT] },
        }),
      ).rejects.toThrow(/broken mutation hook/);
    } finally {
      await srv.close();
    }
    expect(await run.left()).toEqual({});
  });
});
