/**
 * Named faults: switches that turn the engine into a deliberately faulty
 * target, for testing the fuzzer and the oracles (never for anything else).
 * Each fault is one known class of implementation bug and lives at the one
 * place in the engine where the check it breaks is made (`Endpoint.faulty`).
 * What each does, the rules a fuzzer must report when it finds it and the
 * alert the healthy engine sends instead are declared in the mutation model
 * (generators/mutations/ops-faults.ts); here only the ids and the sides.
 *
 * The set is closed: a fault is a string literal id, so configurations and
 * CLI options are checked against FAULTS.
 */
import type { DhKeyPair, EcdhKeyPair } from '../crypto';
import type { Side } from './hooks';

export const FAULT_IDS = [
  'accept-missing-cv',
  'accept-cv-wrong-transcript',
  'accept-early-ccs',
  'skip-finished-check',
  'accept-unoffered-suite',
  'accept-invalid-ecdh-point',
  'accept-expired-client-cert',
  'accept-wrongly-signed-client-cert',
  'ske-unoffered-scheme',
  'accept-any-client-cert',
  'silent-close-bad-signature',
  'crash-on-invalid-key-share',
  'alert-handshake-keys',
  'hrr-missing-key-share',
  'accept-ccs-after-finished',
  'accept-cv-unoffered-scheme',
  'null-suite-no-common',
  'accept-tls12-from-t13-only',
  'accept-renegotiation-without-ri',
  'ignore-key-update-request',
  'accept-etm-downgrade',
  'resume-unoffered-suite',
  'reuse-server-randomness',
  'record-limit-off-by-one',
  'alert-on-bad-premaster',
] as const;

export type Fault = (typeof FAULT_IDS)[number];
export interface FaultInfo {
  id: Fault;
  /** The endpoints the fault can be switched on in. */
  sides: readonly Side[];
}

export const FAULTS: Readonly<Record<Fault, FaultInfo>> = {
  'accept-missing-cv': {
    id: 'accept-missing-cv',
    sides: ['server'],
  },
  'accept-cv-wrong-transcript': {
    id: 'accept-cv-wrong-transcript',
    sides: ['server'],
  },
  'accept-early-ccs': {
    id: 'accept-early-ccs',
    sides: ['client', 'server'],
  },
  'skip-finished-check': {
    id: 'skip-finished-check',
    sides: ['client', 'server'],
  },
  'accept-unoffered-suite': {
    id: 'accept-unoffered-suite',
    sides: ['client', 'server'],
  },
  'accept-invalid-ecdh-point': {
    id: 'accept-invalid-ecdh-point',
    sides: ['client', 'server'],
  },
  'accept-expired-client-cert': {
    id: 'accept-expired-client-cert',
    sides: ['server'],
  },
  'accept-wrongly-signed-client-cert': {
    id: 'accept-wrongly-signed-client-cert',
    sides: ['server'],
  },
  'ske-unoffered-scheme': {
    id: 'ske-unoffered-scheme',
    sides: ['server'],
  },
  'accept-any-client-cert': {
    id: 'accept-any-client-cert',
    sides: ['server'],
  },
  'silent-close-bad-signature': {
    id: 'silent-close-bad-signature',
    sides: ['server'],
  },
  'crash-on-invalid-key-share': {
    id: 'crash-on-invalid-key-share',
    sides: ['server'],
  },
  'alert-handshake-keys': {
    id: 'alert-handshake-keys',
    sides: ['server'],
  },
  'hrr-missing-key-share': {
    id: 'hrr-missing-key-share',
    sides: ['server'],
  },
  'accept-ccs-after-finished': {
    id: 'accept-ccs-after-finished',
    sides: ['server'],
  },
  'accept-cv-unoffered-scheme': {
    id: 'accept-cv-unoffered-scheme',
    sides: ['server'],
  },
  'null-suite-no-common': {
    id: 'null-suite-no-common',
    sides: ['server'],
  },
  'accept-tls12-from-t13-only': {
    id: 'accept-tls12-from-t13-only',
    sides: ['client'],
  },
  'accept-etm-downgrade': {
    id: 'accept-etm-downgrade',
    sides: ['server'],
  },
  'accept-renegotiation-without-ri': {
    id: 'accept-renegotiation-without-ri',
    sides: ['server'],
  },
  'ignore-key-update-request': {
    id: 'ignore-key-update-request',
    sides: ['server'],
  },
  'resume-unoffered-suite': {
    id: 'resume-unoffered-suite',
    sides: ['server'],
  },
  'reuse-server-randomness': {
    id: 'reuse-server-randomness',
    sides: ['server'],
  },
  'alert-on-bad-premaster': {
    id: 'alert-on-bad-premaster',
    sides: ['server'],
  },
  'record-limit-off-by-one': {
    id: 'record-limit-off-by-one',
    sides: ['server'],
  },
};

/**
 * Fault crash-on-invalid-key-share: thrown where the engine meets an invalid peer ECDH value; the serving loop
 * (engine/serve.ts) stops listening and drops every connection, as a server process that died would.
 */
export class FaultCrash extends Error {
  override readonly name = 'FaultCrash';
}

/** A fault name that is not one of FAULT_IDS, or a fault switched on in an endpoint it does not apply to. */
export class FaultConfigError extends Error {
  override readonly name = 'FaultConfigError';
  constructor(
    readonly fault: string,
    readonly reason: string,
  ) {
    super(`fault ${JSON.stringify(fault)}: ${reason}`);
  }
}

export function isFault(s: string): s is Fault {
  return (FAULT_IDS as readonly string[]).includes(s);
}

/** Fault names from text (repeated options, each possibly a comma list); throws FaultConfigError on an unknown name. */
export function parseFaults(items: readonly string[]): Fault[] {
  const out: Fault[] = [];
  for (const name of items
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    if (!isFault(name)) throw new FaultConfigError(name, `unknown fault (known: ${FAULT_IDS.join(', ')})`);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** The faults switched on in one endpoint, checked against the side they apply to. */
export function faultSet(faults: readonly string[] | undefined, side: Side): ReadonlySet<Fault> {
  const set = new Set<Fault>();
  for (const f of faults ?? []) {
    if (!isFault(f)) throw new FaultConfigError(f, 'unknown fault');
    if (!FAULTS[f].sides.includes(side))
      throw new FaultConfigError(f, `applies to the ${FAULTS[f].sides.join(' and ')}, not the ${side}`);
    set.add(f);
  }
  return set;
}

/**
 * What the first connection of a faulty target with `reuse-server-randomness` drew: its hello random and its ephemeral
 * key pairs, which every later connection of that target sends again. One per target (engine/serve.ts
 * startFaultyServer makes it, ServerConfig.drawnOnce carries it): no global state.
 */
export interface DrawnOnce {
  random?: Uint8Array;
  ecdh: EcdhKeyPair[];
  dh: DhKeyPair[];
}

export function drawnOnce(): DrawnOnce {
  return { ecdh: [], dh: [] };
}
