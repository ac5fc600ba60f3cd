/**
 * A mutation is declared in one place: one declaration added to one file of
 * generators/mutations/ (here appended to ops-live.ts's list, as the
 * contributor guide's worked example does) is run offline by the mutant
 * machinery and offered live by the server fuzzer's conversation list, with
 * the reaction its rules name. Nothing else lists it.
 */
import { testPki } from '../engine/fixtures';
import { MUTATIONS, OFFLINE_MUTATIONS, baseChoiceArb, liveSide, mutation, runMutant } from '../generators/mutations';
import { checkTranscript } from '../oracles/evaluate';
import { CipherSuite13 } from '../engine/suites';
import { buildConversation, CFG0, conversationNames, coverageExamples } from './families';
import type { TargetProfile } from './probe';
import { planContext } from './target';
import fc from 'fast-check';

const NAME = 't13-client-finished-first-byte';

jest.mock('../generators/mutations/ops-live', () => {
  const actual = jest.requireActual<typeof import('../generators/mutations/ops-live')>('../generators/mutations/ops-live');
  const { clientHooks } = jest.requireActual<typeof import('../generators/mutations/model')>('../generators/mutations/model');
  const { onceOn } = jest.requireActual<typeof import('../generators/mutations/support')>('../generators/mutations/support');
  const added: import('../generators/mutations/model').Mutation = {
    name: 't13-client-finished-first-byte',
    description: 'first byte of the client verify_data flipped',
    versions: ['1.3'],
    rules: ['t13.fin.verify-data'],
    bases: ['t13-server-auth', 't13-mutual'],
    ...clientHooks(() =>
      onceOn('finished', (raw) => {
        const r = raw.slice();
        r[4]! ^= 0x01;
        return [r];
      }),
    ),
  };
  return { ...actual, OFF_CURVE_MUTATIONS: [...actual.OFF_CURVE_MUTATIONS, added] };
});

describe('a mutation declared in one file', () => {
  it('is in the catalogue, runs offline and trips its rule', async () => {
    const m = mutation(NAME);
    expect(MUTATIONS).toContain(m);
    expect(OFFLINE_MUTATIONS).toContain(m);
    const pki = await testPki();
    const [choice] = fc.sample(baseChoiceArb(m), { seed: 1, numRuns: 1 });
    const r = await runMutant(m, pki, choice!);
    const { verdicts } = await checkTranscript(r.transcript, r.check);
    expect(verdicts.filter((v) => v.status === 'violation').map((v) => v.rule)).toContain('t13.fin.verify-data');
  });

  it('is offered live against servers, with the reaction its rules name', async () => {
    const m = mutation(NAME);
    expect(liveSide(m)).toBe('client');
    expect(conversationNames()).toContain(NAME);
    const target: TargetProfile = {
      suites: { '1.2': [], '1.3': [CipherSuite13.TLS_AES_128_GCM_SHA256] },
      certificateRequested: false,
    };
    const ctx = planContext(
      {
        target: { host: '127.0.0.1', port: 1 },
        identity: { pki: await testPki() },
        budget: { seed: 1 },
        profile: { strictness: 'exact' },
      },
      target,
    );
    expect(coverageExamples(ctx)).toContainEqual({ kind: 'mutant', op: NAME, cfg: CFG0 });
    const conv = await buildConversation(ctx, { kind: 'mutant', op: NAME, cfg: CFG0 }, '0');
    expect(conv.hooks).toBeDefined();
    expect(conv.expect).toMatchObject({ kind: 'reject', rules: ['t13.fin.verify-data'], alerts: ['decrypt_error'] });
  });
});
