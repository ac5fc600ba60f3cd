/**
 * Findings of the valid-transcript property (spec/valid.spec.ts): engine
 * bugs, or oracle false positives, on valid plans. Each
 * is narrow: the predicate names the exact plan dimension, and only that
 * rule's violation is tolerated there. Delete an entry once the engine (or
 * oracle) is fixed (its `it.failing` case in spec/valid.spec.ts turns red then).
 */
import type { HandshakePlan } from '../../generators/handshake';

export interface KnownFinding {
  id: string;
  rule: string;
  /** Which side is at fault and why. */
  diagnosis: string;
  applies(plan: HandshakePlan): boolean;
  /** A small plan that shows it. */
  example: HandshakePlan;
}

/*
 * Found and since fixed (entries removed):
 * - t13.order.compat-ccs: with middleboxCompat=false the engine server sent no dummy CCS although the client
 *   sent a non-empty legacy_session_id (RFC 8446 App. D.4); the server now follows the client.
 * - ext.ems.resumption: flagged a server without EMS support (it did not echo the client's EMS offer in the
 *   original handshake) for resuming that session; RFC 7627 §5.3 binds EMS servers only: now not-applicable.
 * - ext.ecc.no-ecc-ext-without-ecc: a TLS 1.2-only ClientHello with only RSA key-exchange suites carried
 *   supported_groups (EC groups) and ec_point_formats (RFC 8422 §4 MUST NOT).
 */
export const KNOWN: readonly KnownFinding[] = [];

/** The rules a plan may violate because of a known finding. */
export function knownRules(plan: HandshakePlan): Set<string> {
  return new Set(KNOWN.filter((k) => k.applies(plan)).map((k) => k.rule));
}

/**
 * Inconclusive verdicts a generated transcript (with key log, ephemeral keys,
 * certificate keys and trust anchors) may get, each for a stated reason and
 * only on the plans it names. Any other inconclusive verdict is a lost piece
 * of evidence and fails the property.
 */
export const EXPECTED_INCONCLUSIVE: readonly { rule: string; why: string; applies(plan: HandshakePlan): boolean }[] = [
  {
    rule: 'ver.downgrade-sentinel-set',
    why: 'one transcript cannot show that a TLS 1.2 server also supports TLS 1.3',
    applies: (p) => p.version === '1.2',
  },
  {
    rule: 'ext.ems.negotiation',
    why: 'the client offered EMS and the server (plan: EMS off) did not echo it, which is allowed',
    applies: (p) => p.version === '1.2' && p.ems.client && !p.ems.server,
  },
  { rule: 'cert.leaf.name', why: 'the plan sends no SNI, so the expected host is unknown', applies: (p) => p.sni === null },
  {
    rule: 'rec.hs-fragmentation',
    why: "a small client record_size_limit splits the server's last TLS 1.3 message (a NewSessionTicket) over records, and the transcript ends before the client shows it took the split message",
    applies: (p) => p.version === '1.3' && p.recordSizeLimit !== null && p.recordSizeLimit.client < 1024,
  },
  {
    rule: 'rec.hs-fragmentation',
    why: "a server record_size_limit below 2^14 splits the client's post-handshake Certificate over records, and the transcript ends (after the client's Finished, or with close_notify) before the server shows it took the split message",
    applies: (p) => p.postHandshakeAuth && p.recordSizeLimit !== null && p.recordSizeLimit.server < 1 << 14,
  },
];

export function expectedInconclusive(plan: HandshakePlan): Set<string> {
  return new Set(EXPECTED_INCONCLUSIVE.filter((e) => e.applies(plan)).map((e) => e.rule));
}
