/** State-machine steps: the model (walk through the handshake tables) and the hooks they compile to. */
import { nodeProvider } from '../../crypto';
import { SERVER_NAME, testPki } from '../../engine/fixtures';
import { runInMemory } from '../../engine/memory';
import { AlertDescription } from '../../wire/registry';
import type { ClientSends, Mutation } from './model';
import { STATE_MUTATIONS } from './ops-state';
import { stateHooks, stateModel } from './state';
import { VERSION_CODE } from '../../wire/vocabulary';

const SCENARIOS = STATE_MUTATIONS.filter((m: Mutation): m is ClientSends => m.where === 'client-sends' && m.steps !== undefined);

describe('state-machine scenarios', () => {
  it('every named scenario is out of order (or incomplete) by the tables, for the flow it needs', () => {
    expect(SCENARIOS).toHaveLength(STATE_MUTATIONS.length);
    const lines = SCENARIOS.map((s) => {
      const m = stateModel(s.steps ?? [], { version: s.versions[0]!, clientCert: s.needs?.clientCert ?? false, ecdhe: true });
      return `${s.name}: ${m.outOfOrder ? m.outOfOrder.detail : m.incomplete ? 'incomplete' : 'CONFORMING'}`;
    });
    expect(lines).toEqual([
      't12-state-early-ccs: C->S change_cipher_spec out of order: expected one of [S->C hello_request, S->C server_hello]',
      't12-state-fin-before-cv: C->S change_cipher_spec out of order: expected one of [C->S certificate_verify]',
      't12-state-appdata-before-fin: C->S application_data out of order: expected one of [C->S change_cipher_spec]',
      't12-state-cke-repeated: C->S client_key_exchange out of order: expected one of [C->S change_cipher_spec]',
      't12-state-cert-skipped: C->S client_key_exchange out of order: expected one of [C->S certificate]',
      't12-state-second-ch: C->S client_hello out of order: expected one of [C->S client_key_exchange]',
      't12-state-fin-skipped: incomplete',
      't13-state-fin-before-cv: C->S finished out of order: expected one of [C->S certificate_verify, S->C application_data, S->C key_update]',
      't13-state-cert-skipped: C->S certificate_verify out of order: expected one of [C->S certificate, S->C application_data, S->C key_update]',
      't13-state-second-ch: C->S client_hello out of order: expected one of [C->S finished, S->C application_data, S->C key_update, S->C new_session_ticket]',
      't13-state-fin-skipped: C->S application_data out of order: expected one of [C->S finished, S->C application_data, S->C key_update, S->C new_session_ticket]',
      't13-state-appdata-before-fin: C->S application_data out of order: expected one of [C->S finished, S->C application_data, S->C key_update, S->C new_session_ticket]',
    ]);
  });

  it('no steps: the nominal flows conform and complete', () => {
    for (const version of ['1.2', '1.3'] as const)
      for (const clientCert of [false, true])
        expect(stateModel([], { version, clientCert, ecdhe: true })).toMatchObject({ incomplete: false });
  });

  it('hooks: drop, repeat, hold, inject, record', async () => {
    const hs = (type: string, b: number) => ({
      side: 'client' as const,
      kind: 'handshake' as const,
      type,
      raw: Uint8Array.of(b),
    });
    const run = async (steps: Parameters<typeof stateHooks>[0], types: string[]) => {
      const h = stateHooks(steps);
      const out: number[] = [];
      for (const [i, t] of types.entries())
        for (const r of (await h.beforeSend?.(hs(t, i))) ?? [Uint8Array.of(i)]) out.push(r[0]!);
      return out;
    };
    const flow = ['client_hello', 'certificate', 'client_key_exchange', 'certificate_verify', 'finished'];
    expect(await run([{ op: 'drop', msg: 'certificate' }], flow)).toEqual([0, 2, 3, 4]);
    expect(await run([{ op: 'repeat', msg: 'client_key_exchange' }], flow)).toEqual([0, 1, 2, 2, 3, 4]);
    expect(await run([{ op: 'hold', msg: 'certificate_verify', after: 'finished' }], flow)).toEqual([0, 1, 2, 4, 3]);
    expect(await run([{ op: 'inject', copy: 'client_hello', before: 'client_key_exchange' }], flow)).toEqual([0, 1, 0, 2, 3, 4]);
    expect(
      await run(
        [
          { op: 'drop', msg: 'certificate' },
          { op: 'repeat', msg: 'finished' },
        ],
        flow,
      ),
    ).toEqual([0, 2, 3, 4, 4]);
    const h = stateHooks([{ op: 'record', content: 'change_cipher_spec', where: 'after', at: 'client_hello' }]);
    const ch = { side: 'client' as const, raw: Uint8Array.of(22, 3, 3, 0, 4, 1, 0, 0, 0) };
    const out = await h.beforeSendRecord?.(ch);
    expect(out?.map((r) => Array.from(r.raw))).toEqual([Array.from(ch.raw), [20, 3, 3, 0, 1, 1]]);
    // once only
    expect(await h.beforeSendRecord?.(ch)).toBeUndefined();
  });

  it('sealed: TLS 1.3 application data protected under the client handshake traffic keys before the Finished; our server opens it and refuses it as out of order', async () => {
    const pki = await testPki();
    const p = nodeProvider();
    const r = await runInMemory(
      { provider: p, versions: [VERSION_CODE['1.3']], serverName: SERVER_NAME, trustAnchors: pki.anchors },
      { provider: p, versions: [VERSION_CODE['1.3']], identity: pki.identity('server', 'rsa') },
      { client: stateHooks([{ op: 'sealed', content: 'application_data', before: 'finished' }]) },
    );
    expect(r.serverOutcome).toMatchObject({ kind: 'alert_sent', alert: { description: AlertDescription.unexpected_message } });
    // the server read it (no bad_record_mac): application data in the client's handshake epoch, ahead of its Finished
    const fromClient = r.transcript.messages
      .filter((m) => m.dir === 'C->S')
      .map((m) => `${m.type}${m.encrypted ? ' (encrypted)' : ''}`);
    expect(fromClient).toEqual(['client_hello', 'change_cipher_spec', 'application_data (encrypted)', 'finished (encrypted)']);
    expect(r.serverOutcome.kind === 'alert_sent' && r.serverOutcome.reason).toMatch(/application/);
  });
});
