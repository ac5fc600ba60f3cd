/**
 * The library: `import { ... } from 'tlsprop'`.
 *
 * - Generate: `handshakePlanArb` (fast-check arbitrary of handshake plans:
 *   versions, suites, groups, key types, client auth, HelloRetryRequest,
 *   resumption), `chainPlanArb`/`faultyPlanArb` + `renderChain`
 *   (certificate chains, valid or with one fault), `renderHandshake` (a plan
 *   run by our engine in memory, as a real transcript).
 * - Judge: `checkTranscript` (every rule), `checkRendered` (a rendered
 *   handshake with its trust anchors, time and keys), the rule catalogue
 *   (`allRules`, `ruleById`, `catalogueStatus`).
 * - Captures: `captureToTranscripts` (pcap/pcapng, with a key log).
 * - Live: `fuzzServer` / `fuzzClient` (the live fuzzers with defaults),
 *   `runSuite` (the conformance suite of `tlsprop run`), `startNodeServer`.
 * - Reports: `buildCoverage`, `renderReports`, the writers, `applyBaseline`.
 *
 * @peculiar/x509 needs reflect-metadata loaded before it: this module loads
 * it, so users never do.
 */
import 'reflect-metadata';
import { nodeProvider } from '../crypto/provider';
import { checkTranscript, type CheckOptions, type CheckResult } from '../oracles/evaluate';
import type { RenderCache, RenderedHandshake } from '../generators/handshake';

export type { CryptoProvider } from '../crypto/provider';
export { nodeProvider } from '../crypto/provider';
export { formatKeyLog, parseKeyLog } from '../crypto/keylog';

// generate
export {
  describePlan,
  type HandshakePlan,
  handshakePlanArb,
  newRenderCache,
  type PlanArbOptions,
  REFERENCE_PLANS,
  type RenderCache,
  type RenderedHandshake,
  renderHandshake,
} from '../generators/handshake';
export { chainPlanArb, faultArb, faultyPlanArb, leafPlanArb, renderChain } from '../generators/pki';
export { testPki, type TestPki } from '../engine/fixtures';

// judge
export { type CheckOptions, type CheckResult, checkTranscript, ruleStatus } from '../oracles/evaluate';
export { allRules, catalogueStatus, isRuleId, type RuleId, ruleById } from '../oracles/catalogue';
export type { Rule, Verdict, VerdictCounts } from '../oracles/rule';
export { expectedReaction } from '../oracles/reactions';
export { liveVerdicts } from '../oracles/live';

// transcripts and captures
export type { Transcript, TranscriptMessage } from '../transcript/model';
export { transcriptFromJson, transcriptToJson } from '../transcript/json';
export { captureToTranscripts, type CaptureTranscript, type CaptureTranscriptOptions } from '../capture/tls';

// live
export { fuzzClient as fuzzClientRaw, type ClientFuzzResult } from '../fuzz/client';
export { fuzzTarget, type FuzzResult } from '../fuzz/target';
export type { ClientFuzzOptions, ServerFuzzOptions } from '../fuzz/options';
export { type FuzzProfile, parseProfile } from '../fuzz/profile';
export { failsRun, ladderText } from '../fuzz/judge';
export { runSuite, type SuiteOptions, type SuiteResult, type SuiteTarget } from '../suite/run';
export { identityPem, type NodeServer, nodeClientLauncher, startNodeServer } from '../suite/node';
export { convertClientRun, convertServerRun } from '../suite/convert';
export { type FuzzClientOptions, type FuzzServerOptions, assertConforming, fuzzClient, fuzzServer, findingsText } from './fuzz';

// reports
export { buildCoverage, mergeReports } from '../reports/coverage';
export { applyBaseline, failureKeys } from '../reports/baseline';
export { FORMATS, type Format, readReportFile, renderReports } from '../reports/render';
export { toHtml } from '../reports/writers/html';
export { toJunit } from '../reports/writers/junit';
export { toMarkdown } from '../reports/writers/markdown';
export { parseReport, toJson } from '../reports/writers/json';
export type { CoverageReport, Finding, FindingItem, RunInput, TargetSummary } from '../reports/model';
export { recordFragment, runDir } from '../reports/collect';

/**
 * Check a rendered handshake with what judging it needs (its root as trust
 * anchor, its time, its keys, and the earlier connection a resumed one
 * resumes); one cache per run keeps each key imported and each certificate
 * parsed once.
 */
export async function checkRendered(
  r: RenderedHandshake,
  cache?: RenderCache,
  opts: Omit<CheckOptions, 'trustAnchors' | 'at' | 'privateKeys' | 'earlier'> = {},
): Promise<CheckResult> {
  return checkTranscript(r.transcript, {
    provider: cache?.provider ?? nodeProvider(),
    ...(cache ? { certCache: cache.certCache } : {}),
    ...opts,
    trustAnchors: r.trustAnchors,
    at: r.at,
    privateKeys: r.privateKeys,
    earlier: r.earlier.map((e) => e.transcript),
  });
}
