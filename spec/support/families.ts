/**
 * The conversation families of issue #14 (ops-hello.ts, ops-records.ts, ops-closure.ts, ops-cv.ts, ops-kex.ts,
 * ops-client-target.ts, ops-renegotiation.ts (RENEGOTIATION_MUTATIONS and RENEGOTIATION_OFFER_MUTATIONS), ops-keyupdate.ts and the mutations declared `keyUpdate`, ops-resumption.ts):
 * spec/families-stacks.spec.ts and spec/self-fuzz.spec.ts run them against real stacks and our
 * engine. Specs that pin what a run of a given size covers (the faulty target's run count, the known findings of a
 * seeded run) run the catalogue without them: `EARLIER_MUTATIONS`.
 */
import { MUTATIONS } from '../../generators/mutations';
import { CLIENT_TARGET_MUTATIONS } from '../../generators/mutations/ops-client-target';
import { CLOSURE_MUTATIONS } from '../../generators/mutations/ops-closure';
import { CV_MUTATIONS } from '../../generators/mutations/ops-cv';
import { HELLO_MUTATIONS } from '../../generators/mutations/ops-hello';
import { KEX_MUTATIONS } from '../../generators/mutations/ops-kex';
import { RECORD_CONTENT_MUTATIONS } from '../../generators/mutations/ops-record-content';
import { RECORD_LIMIT_MUTATIONS } from '../../generators/mutations/ops-record-limit';
import { RECORD_MUTATIONS } from '../../generators/mutations/ops-records';
import { RENEGOTIATION_MUTATIONS, RENEGOTIATION_OFFER_MUTATIONS } from '../../generators/mutations/ops-renegotiation';
import { RESUMPTION_MUTATIONS } from '../../generators/mutations/ops-resumption';

export const FAMILY_MUTATIONS: ReadonlySet<string> = new Set(
  [
    ...HELLO_MUTATIONS,
    ...RECORD_MUTATIONS,
    ...RECORD_CONTENT_MUTATIONS,
    ...RECORD_LIMIT_MUTATIONS,
    ...CLOSURE_MUTATIONS,
    ...CV_MUTATIONS,
    ...KEX_MUTATIONS,
    ...CLIENT_TARGET_MUTATIONS,
    ...RENEGOTIATION_MUTATIONS,
    // the renegotiations that change the offer (spec/reneg-offers.spec.ts against s_server)
    ...RENEGOTIATION_OFFER_MUTATIONS,
    // the KeyUpdate family (fuzz/families.ts keyupdate): the mutations declared live there
    ...MUTATIONS.filter((m) => m.keyUpdate !== undefined),
    ...RESUMPTION_MUTATIONS,
  ].map((m) => m.name),
);

/** Every mutation name of the catalogue but the issue #14 families. */
export const EARLIER_MUTATIONS: readonly string[] = MUTATIONS.map((m) => m.name).filter((n) => !FAMILY_MUTATIONS.has(n));
