/**
 * Learn section: the handshake state machine of `openssl s_server` learned
 * with the default alphabet (mutual TLS 1.2 with the reference suite
 * ECDHE-RSA-AES256-SHA384, and TLS 1.3), each against several s_server
 * processes at once (s_server serves one connection at a time; each process
 * is one parallel query). The figure is membership queries per second next
 * to `openssl s_time -new` connections per second against the same server
 * in the same run (every query is at least one new connection, so s_time's
 * rate is the ceiling); states, membership and equivalence queries and the
 * wall time (the issue's target: under 5 minutes) are printed below the
 * table, beside StateLearner's published setup.
 *
 * StateLearner (de Ruiter & Poll, "Protocol State Fuzzing of TLS
 * Implementations", USENIX Security 2015) is the anchor. What its public
 * material says, as read with the search tool: its example OpenSSL server
 * configuration (jderuiter/statelearner examples/openssl/server.properties)
 * waits `timeout = 100` ms for each answer and checks hypotheses with
 * `eqtest = modifiedwmethod`, `max_depth = 3`, with L*; the models of that
 * study (automata.cs.ru.nl BenchmarkTLS) have, e.g., 7 states for GnuTLS
 * 3.3.12 server with the 8-input regular alphabet and 9 states with the
 * 12-input full one. Its learning times were not found in the material
 * searched, so no time of theirs is printed.
 */
import { nodeProvider } from '../crypto';
import { DEFAULT_GROUPS, DEFAULT_SCHEMES } from '../engine/config';
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import { alphabet } from '../learn/alphabet';
import { type LearnRun, learnAndDiff } from '../learn/run';
import { freePort, launch, LOOPBACK, MissingPeerError, type PeerProcess } from '../testing/launch';
import { opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import type { TlsVersion } from '../wire/vocabulary';
import { type Figure, withBaseline } from './figures';
import { sTime } from './live';

/** s_server processes learned in parallel (one query each at a time). */
const PROCESSES = 6;
const BUDGET_MS = 5 * 60_000;

export const STATELEARNER_ANCHOR =
  'StateLearner (de Ruiter & Poll, USENIX Security 2015; examples/openssl/server.properties): 100 ms answer timeout, modified W-method depth 3, L*; RP15 models (automata.cs.ru.nl BenchmarkTLS): GnuTLS 3.3.12 server 7 states with 8 inputs, 9 states with 12 inputs';

interface Case {
  version: TlsVersion;
  label: string;
  suites: number[];
  sTime: string[];
}

const CASES: readonly Case[] = [
  {
    version: '1.2',
    label: 'TLS 1.2 mutual ECDHE_RSA_WITH_AES_256_CBC_SHA384',
    suites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384],
    sTime: ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-SHA384'],
  },
  {
    version: '1.3',
    label: 'TLS 1.3 mutual AES_256_GCM_SHA384',
    suites: [CipherSuite13.TLS_AES_256_GCM_SHA384],
    sTime: ['-tls1_3', '-ciphersuites', 'TLS_AES_256_GCM_SHA384'],
  },
];

export interface LearnBench {
  figures: Figure[];
  /** Printed below the table: one line per learned target, and the anchor. */
  lines: string[];
}

function line(c: Case, run: LearnRun): string {
  const s = run.result.stats;
  return `learn ${c.label}: ${s.states} states, ${s.membershipQueries} membership queries (${s.symbols} inputs), ${s.equivalenceQueries} equivalence queries (${s.equivalenceTests} test words), ${s.wallSeconds.toFixed(1)} s wall (${s.wallSeconds < 300 ? 'under' : 'OVER'} the 5 min target), ${s.queriesPerSecond.toFixed(1)} queries/s over ${s.workers} s_server processes, silence ${s.silenceMs} ms, ${run.differences.length} difference(s) from the RFC machine, ${run.result.complete ? 'complete' : 'stopped by the budget'}${run.result.deterministic ? '' : `, ${run.result.nondeterminism.length} non-determinism event(s)`}`;
}

export async function learnSection(seconds: number, log: (s: string) => void): Promise<LearnBench> {
  const figures: Figure[] = [];
  const lines: string[] = [];
  let files: PkiFiles | undefined;
  try {
    files = await writePki(undefined, 'tlsprop-bench-learn-');
    for (const c of CASES) {
      const name = `${c.label} membership queries vs openssl s_server`;
      const servers: PeerProcess[] = [];
      try {
        const ports: number[] = [];
        for (let i = 0; i < PROCESSES; i++) {
          const port = await freePort();
          servers.push(
            await launch(
              opensslServer({
                port,
                files,
                key: 'rsa',
                version: c.version,
                clientAuth: true,
                ...(c.version === '1.2' ? { cipher: 'ECDHE-RSA-AES256-SHA384' } : { ciphersuites: 'TLS_AES_256_GCM_SHA384' }),
              }),
            ),
          );
          ports.push(port);
        }
        // the smoke run (BENCH_SECONDS < 1) learns a smaller alphabet: the full handshake's inputs only
        const full = alphabet('default', 'server', c.version, true);
        const inputs = seconds < 1 ? full.filter((i) => i !== 'application_data' && !i.startsWith('alert(')) : full;
        log(`learn: ${c.label}, ${inputs.length} inputs, ${PROCESSES} s_server processes`);
        const run = await learnAndDiff({
          target: `openssl s_server ${c.label}`,
          sul: {
            role: 'server',
            version: c.version,
            provider: nodeProvider(),
            targets: ports.map((port) => ({ host: LOOPBACK, port })),
            mapper: {
              suites: c.suites,
              groups: [...DEFAULT_GROUPS],
              schemes: [...DEFAULT_SCHEMES],
              identity: files.pki.identity('client', 'rsa'),
              serverName: 'localhost',
              appData: new TextEncoder().encode('tlsprop bench\n'),
            },
          },
          inputs,
          budgetMs: BUDGET_MS,
          replay: false,
          log: (l) => log(`learn: ${l}`),
        });
        lines.push(line(c, run));
        const rate = await sTime(ports[0]!, c.sTime, files, Math.max(1, Math.round(seconds * 2)), [
          '-cert',
          files.client.rsa.cert,
          '-key',
          files.client.rsa.key,
        ]);
        const note = `${run.result.stats.states} states, ${run.result.stats.membershipQueries} membership queries, ${run.result.stats.equivalenceQueries} equivalence queries, ${run.result.stats.wallSeconds.toFixed(1)} s wall; baseline: openssl s_time -new with the client certificate, same server, same run`;
        figures.push(
          'value' in rate
            ? withBaseline({
                section: 'learn',
                name,
                value: run.result.stats.queriesPerSecond,
                unit: 'queries/s',
                baseline: { tool: 'openssl s_time -new', value: rate.value },
                note,
              })
            : {
                section: 'learn',
                name: `${name} (no baseline: ${rate.error})`,
                value: run.result.stats.queriesPerSecond,
                unit: 'queries/s',
                note,
              },
        );
      } catch (e) {
        const why =
          e instanceof MissingPeerError
            ? 'openssl not installed'
            : e instanceof Error
              ? (e.message.split('\n')[0] ?? '')
              : String(e);
        figures.push({ section: 'learn', name: `${name}: not measured (${why})`, value: 0, unit: 'queries/s', note: why });
      } finally {
        for (const s of servers) await s.stop();
      }
    }
  } finally {
    files?.cleanup();
  }
  lines.push(`anchor: ${STATELEARNER_ANCHOR}`);
  return { figures, lines };
}
