/**
 * What the breadth interop specs share (spec/interop-breadth.spec.ts, spec/interop-psk.spec.ts, ...): a matrix of
 * feature rows by peer columns, each cell a test or a skipped test naming why the peer cannot run it, and the
 * judgement every cell makes of a conversation: the script ran to its end, the transcript is fully readable and has
 * zero oracle violations.
 */
import type { SessionInfo } from '../../engine/types';
import { checkTranscript } from '../../oracles/evaluate';
import type { Verdict } from '../../oracles/rule';
import type { Conversation } from '../../testing/converse';
import type { PeerProcess } from '../../testing/launch';
import { describeEnd, formatVerdicts, handshakeFlow } from '../../fuzz/live';
import type { PresharedKey } from '../../transcript/model';
import { TlsClient } from '../../engine/client';
import { REAL_PEER_DEVIATIONS } from './known-deviations';

/** Register the cells of one column: a test per feature, a skipped one naming the reason where unsupported. */
export function cells<F extends string>(
  features: readonly F[],
  unsupported: Partial<Record<F, string>> | undefined,
  run: (f: F) => Promise<void>,
  timeoutMs = 30_000,
): void {
  for (const f of features) {
    const why = unsupported?.[f];
    if (why !== undefined) it.skip(`${f}: unsupported (${why})`, () => undefined);
    else it(f, () => run(f), timeoutMs);
  }
}

/** Once the peer printed `seen`, write `write` to its stdin. */
export const waitAnd = (p: PeerProcess, seen: string, write: string) => async () =>
  void ((await p.waitForOutput(seen, 5000)) && p.write(write));

export interface CleanOptions {
  anchors: readonly Uint8Array[];
  /** External PSKs the judgement is given (the PSK key schedules need them). */
  psks?: readonly PresharedKey[];
  /** PKCS#8 keys of certificates (an RSA key exchange's premaster needs the server's). */
  privateKeys?: readonly Uint8Array[];
  /** The peer may end the connection with an alert after the feature (the session then comes from before it). */
  peerMayAbort?: boolean;
}

/**
 * The conversation ran to its end, the transcript is fully readable and has zero violations; returns the session
 * (undefined only when `peerMayAbort` let an alert of the peer end it) and the verdicts.
 */
export async function expectClean(
  c: Conversation,
  peerOutput: string,
  o: CleanOptions,
): Promise<{ session: SessionInfo | undefined; verdicts: Verdict[] }> {
  const where = () =>
    `${describeEnd(c.run.end)}\nflow: ${handshakeFlow(c.transcript).join(', ')}\nreceived: ${JSON.stringify(c.receivedText.slice(-300))}\npeer: ${peerOutput.slice(-1500)}`;
  if (c.failedStep !== '') throw new Error(`${c.failedStep} not reached: ${where()}`);
  const out = c.endpoint.outcome;
  const session = out.kind === 'connected' || out.kind === 'closed' ? out.session : undefined;
  if (!session && !(o.peerMayAbort && out.kind === 'alert_received')) throw new Error(`no session: ${where()}`);
  const { verdicts } = await checkTranscript(c.transcript, {
    trustAnchors: o.anchors,
    judgeReactions: false,
    ...(o.psks ? { psks: o.psks } : {}),
    ...(o.privateKeys ? { privateKeys: o.privateKeys } : {}),
  });
  // a real peer's own deviations (spec/support/known-deviations.ts, each with its RFC sentence) in its own messages
  const ours = c.endpoint instanceof TlsClient ? 'C->S' : 'S->C';
  const excused = (v: Verdict): boolean =>
    v.message !== undefined &&
    c.transcript.messages[v.message]?.dir !== ours &&
    REAL_PEER_DEVIATIONS.some((d) => d.rule === v.rule);
  const violations = verdicts.filter((v) => v.status === 'violation' && !excused(v));
  if (violations.length) throw new Error(`violations:\n${formatVerdicts(violations)}\n${where()}`);
  expect(c.transcript.gaps).toEqual([]);
  return { session, verdicts };
}
