/**
 * The ML-KEM mutations of our client's key share (generators/mutations/ops-mlkem.ts) are live in `tlsprop fuzz`
 * against servers whose probe took their group: each one is a coverage example with the reaction its rule names
 * (illegal_parameter, draft-ietf-tls-ecdhe-mlkem §3.1.2), and none is offered to a server without the group.
 */
import { testPki } from '../engine/fixtures';
import { CipherSuite13 } from '../engine/suites';
import { MLKEM_MUTATIONS } from '../generators/mutations/ops-mlkem';
import { liveSide } from '../generators/mutations';
import { NamedGroup } from '../wire/registry';
import { buildConversation, CFG0, coverageExamples } from './families';
import type { TargetProfile } from './probe';
import { planContext } from './target';

const CLIENT_SIDE = MLKEM_MUTATIONS.filter((m) => liveSide(m) === 'client').map((m) => m.name);

async function contextFor(groups: number[]) {
  const target: TargetProfile = {
    suites: { '1.2': [], '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256] },
    certificateRequested: false,
    groups,
  };
  return planContext(
    {
      target: { host: '127.0.0.1', port: 1 },
      identity: { pki: await testPki() },
      budget: { seed: 1 },
      profile: { strictness: 'exact' },
    },
    target,
  );
}

it('every client-side ML-KEM mutation is offered to a server that took its group, expecting illegal_parameter', async () => {
  expect(CLIENT_SIDE.length).toBeGreaterThanOrEqual(7);
  const all = [NamedGroup.x25519, NamedGroup.X25519MLKEM768, NamedGroup.SecP256r1MLKEM768, NamedGroup.SecP384r1MLKEM1024];
  const ctx = await contextFor([...all, NamedGroup.MLKEM768]);
  const offered = coverageExamples(ctx).flatMap((e) => (e.kind === 'mutant' ? [e.op] : []));
  expect(CLIENT_SIDE.filter((n) => !offered.includes(n))).toEqual([]);
  for (const op of CLIENT_SIDE) {
    const conv = await buildConversation(ctx, { kind: 'mutant', op, cfg: CFG0 }, '0');
    expect([op, conv.version, conv.expect]).toMatchObject([op, '1.3', { kind: 'reject', alerts: ['illegal_parameter'] }]);
  }
});

it('none is offered to a server whose probe did not take an ML-KEM group', async () => {
  const ctx = await contextFor([NamedGroup.x25519, NamedGroup.secp256r1]);
  const offered = coverageExamples(ctx).flatMap((e) => (e.kind === 'mutant' ? [e.op] : []));
  expect(offered.filter((n) => CLIENT_SIDE.includes(n))).toEqual([]);
});
