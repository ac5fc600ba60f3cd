/**
 * A whole learning session, as `tlsprop learn`, the specs and the bench run
 * it: a sanity handshake through the mapper first (the target must complete
 * a valid handshake with our side, or nothing learned would mean anything;
 * its transcript goes through the oracles, so a target that breaks a rule
 * in a valid handshake is said so), then learning, the diff against the RFC
 * machine, each difference replayed once (its pcap, key log and transcript
 * saved, and whether it answered the same again), and the report.
 */
import { join } from 'node:path';
import { checkTranscript } from '../oracles/evaluate';
import type { Verdict } from '../oracles/rule';
import type { TlsVersion } from '../wire/vocabulary';
import { CLOSED, type InputSymbol, messagesOf, type Output } from './alphabet';
import { diffAgainstRfc, type RfcDiff } from './diff';
import { type LearnOptions, type LearnResult, learnTarget } from './learn';
import { type ReportedDifference, writeLearnReport } from './report';
import { replayWord, saveReplay, transcriptOfRun } from './replay';
import type { QueryRun, SulOptions } from './sul';

export interface SanityResult {
  word: InputSymbol[];
  outputs: Output[];
  /** The target completed the handshake with our side. */
  completed: boolean;
  /** Server targets: the target asks for a client certificate. */
  clientAuth: boolean;
  /** Rules the target broke in that handshake, as the oracles judged its transcript. */
  flagged: Verdict[];
}

function done(outputs: readonly Output[]): boolean {
  return (
    outputs.some((o) => messagesOf(o).includes('finished')) && !outputs.some((o) => o.includes('alert(') || o.includes(CLOSED))
  );
}

/** The valid handshake of a role and version through the mapper, its transcript checked by the oracles. */
export async function sanityHandshake(sul: SulOptions, trustAnchors?: readonly Uint8Array[]): Promise<SanityResult> {
  const v: TlsVersion = sul.version;
  const identity = sul.mapper.identity !== undefined;
  let word: InputSymbol[];
  let clientAuth = false;
  if (sul.role === 'server') {
    const first = await replayWord(sul, ['client_hello']);
    clientAuth = (first.outputs[0] ?? '').includes('certificate_request');
    const cert: InputSymbol[] = !clientAuth ? [] : identity ? ['certificate'] : ['certificate(empty)'];
    const cv: InputSymbol[] = clientAuth && identity ? ['certificate_verify'] : [];
    word =
      v === '1.2'
        ? ['client_hello', ...cert, 'client_key_exchange', ...cv, 'change_cipher_spec', 'finished']
        : ['client_hello', ...cert, ...cv, 'finished'];
  } else {
    word =
      v === '1.2'
        ? ['server_hello', 'certificate', 'server_key_exchange', 'server_hello_done', 'change_cipher_spec', 'finished']
        : // a dummy CCS after the ServerHello, as a server must when the client offers a session id (RFC 8446 D.4)
          ['server_hello', 'change_cipher_spec', 'encrypted_extensions', 'certificate', 'certificate_verify', 'finished'];
  }
  const run = await replayWord(sul, word);
  const transcript = transcriptOfRun(run, sul.role, 'target');
  const { verdicts } = await checkTranscript(transcript, trustAnchors ? { trustAnchors } : {});
  const targetDir = sul.role === 'server' ? 'S->C' : 'C->S';
  const flagged = verdicts.filter(
    (x) => x.status === 'violation' && x.message !== undefined && transcript.messages[x.message]?.dir === targetDir,
  );
  return { word, outputs: run.outputs, completed: done(run.outputs), clientAuth, flagged };
}

export interface LearnRunOptions extends LearnOptions {
  /** Write learned.json, learned.dot, report.html and the replays here. */
  reportDir?: string;
  /** Replay each difference (default true; at most `maxReplays`, default 20). */
  replay?: boolean;
  maxReplays?: number;
  trustAnchors?: readonly Uint8Array[];
}

export interface LearnRun {
  sanity: SanityResult;
  result: LearnResult;
  diff: RfcDiff;
  differences: ReportedDifference[];
  files?: { json: string; dot: string; html: string };
}

export class SanityError extends Error {
  override readonly name = 'SanityError';
}

export async function learnAndDiff(o: LearnRunOptions): Promise<LearnRun> {
  const sanity = await sanityHandshake(o.sul, o.trustAnchors);
  if (!sanity.completed)
    throw new SanityError(
      `the target did not complete a valid handshake with our side: ${sanity.word.map((w, i) => `${w} / ${sanity.outputs[i]}`).join(', ')}`,
    );
  const result = await learnTarget(o);
  const diff = await diffAgainstRfc(result.machine, {
    version: result.version,
    role: result.role,
    clientAuth: sanity.clientAuth,
  });
  const differences: ReportedDifference[] = diff.differences.map((d) => ({ ...d }));
  if (o.replay ?? true) {
    for (const [i, d] of differences.slice(0, o.maxReplays ?? 20).entries()) {
      let run: QueryRun;
      try {
        run = await replayWord(o.sul, d.word);
      } catch (e) {
        o.log?.(`replay of difference ${i + 1} failed: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      const reproduced = run.outputs.join(' ; ') === d.outputs.join(' ; ');
      if (o.reportDir) {
        const saved = saveReplay(join(o.reportDir, 'replays'), `${i + 1}-${d.kind}-${d.input}`, run, result.role, result.target);
        d.replay = { ...saved, reproduced, outputs: run.outputs };
      } else d.replay = { pcap: '', keylog: '', json: '', reproduced, outputs: run.outputs };
    }
  }
  const out: LearnRun = { sanity, result, diff, differences };
  if (o.reportDir) out.files = writeLearnReport(o.reportDir, { result, diff, differences }, sanity.clientAuth);
  return out;
}
