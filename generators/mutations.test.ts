import { testPki } from '../engine/fixtures';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { FAULT_IDS } from '../engine/faults';
import { FAULT_KINDS } from '../pki/faults';
import {
  BASES,
  ENGINE_FAULTS,
  MUTATIONS,
  OFFLINE_MUTATIONS,
  basesFor,
  faultRules,
  liveSide,
  mutation,
  reactionOf,
  runBase,
  runMutant,
} from './mutations';
import { checkMutation, checkedCatalogue } from './mutations/model';
import type { RuleId } from '../oracles/catalogue';
import { checkTranscript } from '../oracles/evaluate';
import {
  MessageLog,
  at,
  editRaw,
  baseEnv,
  entriesOf,
  flipLast,
  framed,
  rebuild,
  recordAt,
  recordOf,
  suiteOfServerHello,
} from './mutations/support';
import { VERSION_CODE } from '../wire/vocabulary';

const choice = {
  base: 't12-ecdhe-rsa-cbc-mutual' as const,
  suiteIndex: 0,
  group: 0x1d,
  compat: true,
  clientRandom: new Uint8Array(32).fill(1),
  serverRandom: new Uint8Array(32).fill(2),
  seed: 5,
};

describe('the mutation model', () => {
  it('every declaration is valid: rules that exist, versions that fit its rules, bases of its versions; names unique', () => {
    expect(MUTATIONS.flatMap((m) => checkMutation(m).map((p) => `${m.name}: ${p}`))).toEqual([]);
    expect(new Set(MUTATIONS.map((m) => m.name)).size).toBe(MUTATIONS.length);
    expect(OFFLINE_MUTATIONS.length).toBeGreaterThanOrEqual(40);
    for (const m of OFFLINE_MUTATIONS) expect([m.name, basesFor(m).length > 0]).toEqual([m.name, true]);
  });

  it('a broken declaration is refused when the catalogue is built', () => {
    const base = mutation('t13-client-finished-wrong');
    const broken = [
      // a rule id no declaration has: the type refuses it, the check must too (a declaration can be built from strings)
      { ...base, rules: ['no.such.rule' as RuleId] },
      { ...base, versions: ['1.2' as const] },
      { ...base, name: 'Bad Name' },
    ];
    expect(broken.map((m) => checkMutation(m).length > 0)).toEqual([true, true, true]);
    expect(() => checkedCatalogue([base, base])).toThrow(/name used twice/);
  });

  it('covers every pki/faults chain fault and every engine fault, once each', () => {
    for (const k of FAULT_KINDS) expect([k, MUTATIONS.filter((m) => m.chainFault === k).length]).toEqual([k, 1]);
    expect(ENGINE_FAULTS.map((m) => m.fault).sort()).toEqual([...FAULT_IDS].sort());
    expect(faultRules('ske-unoffered-scheme', '1.3')).toEqual([]);
    expect(faultRules('accept-missing-cv', '1.2')).toEqual(['t12.order.cv-iff-signing-cert']);
  });

  it('mutation() throws for an unknown name', () => {
    expect(() => mutation('no-such-mutation')).toThrow(RangeError);
  });

  it("the reaction is the receiver's: a tolerance of the server applies to what our client sends, not to what our server sends", () => {
    // RFC 5246 §7.4.1.2: "A server MUST accept ClientHello messages both with and without the extensions field"
    expect(reactionOf(mutation('ch-no-extensions'), '1.2').ignoreAllowed).toBe(true);
    const asIfOurServerSent = { ...mutation('ch-no-extensions'), where: 'server-sends' as const };
    expect(reactionOf(asIfOurServerSent, '1.2').ignoreAllowed).toBe(false);
  });

  it('a 0-RTT mutation that declares how it runs live has our client as its live side', () => {
    const early = MUTATIONS.filter((m) => m.where === 'configuration' && m.zeroRtt !== undefined);
    expect(early.length).toBeGreaterThanOrEqual(5);
    expect(early.map((m) => [m.name, liveSide(m)])).toEqual(early.map((m) => [m.name, 'client']));
    // and a configuration mutation without a live declaration has none
    const offlineOnly = MUTATIONS.filter((m) => m.where === 'configuration' && m.zeroRtt === undefined);
    expect(offlineOnly.filter((m) => liveSide(m) !== undefined).map((m) => m.name)).toEqual([]);
  });

  it('a live-capable mutation acts on the side it declares only: its change reads nothing of the other side, and its hooks are ours', async () => {
    const pki = await testPki();
    const live = MUTATIONS.filter((m) => liveSide(m) !== undefined);
    expect(live.length).toBeGreaterThan(60);
    for (const m of live) {
      // a certificate is presented as declared; a 0-RTT mutation acts through its zeroRtt hooks, which are our client's
      if (m.where === 'certificate' || (m.where === 'configuration' && m.zeroRtt !== undefined)) continue;
      if (m.where !== 'client-sends' && m.where !== 'server-sends') throw new Error(`${m.name}: live but acts on ${m.where}`);
      const version = m.versions[0]!;
      const env = baseEnv(pki, {
        ...choice,
        base: m.bases.find((b) => BASES[b].version === version) ?? (version === '1.3' ? 't13-server-auth' : choice.base),
        group: m.needs?.groups?.[0] ?? choice.group,
      });
      // the other side's configuration is not there live: any read of it is a bug of the declaration
      const other = new Proxy({} as ServerConfig & ClientConfig, {
        get: (_t, k) => {
          throw new Error(`${m.name} reads the other side's configuration (${String(k)})`);
        },
      });
      // needs.psk: live, our client has the external PSK of `tlsprop fuzz --psk` (the mutation reads it)
      const client = m.needs?.psk
        ? { ...env.client, psk: { identity: new TextEncoder().encode('device'), key: new Uint8Array(32).fill(7) } }
        : env.client;
      const change = await m.mutate(m.where === 'client-sends' ? { ...env, client, server: other } : { ...env, client: other });
      const hooks = [
        change.hooks.signatureScheme,
        change.hooks.beforeSend,
        change.hooks.beforeSendRecord,
        change.hooks.beforeProcess,
        change.hooks.beforeFrame,
      ];
      expect([m.name, hooks.some((h) => typeof h === 'function')]).toEqual([m.name, true]);
      // and what a conforming peer owes is derived from its rules (a step list is judged by the state tables instead)
      if (m.where === 'client-sends' && m.steps) continue;
      // (an alert to answer with, or valid input to go on with, or a close that is the whole answer, or an RFC sentence
      // that lets the peer go on where none names an alert: the model's liveSide reads the same four)
      const judged = m.versions.some((v) => {
        const r = reactionOf(m, v);
        return r.alerts.length > 0 || r.mustComplete || r.mustClose || r.ignoreAllowed;
      });
      expect([m.name, judged]).toEqual([m.name, true]);
    }
  });
});

describe('mutation machinery', () => {
  it('a base run is deterministic in its randoms; a hook operator changes only what it says', async () => {
    const pki = await testPki();
    const base = await runBase(pki, choice);
    const mut = await runMutant(mutation('t12-client-finished-wrong'), pki, choice);
    const fin = (t: typeof base.transcript) => t.messages.find((m) => m.type === 'finished' && m.dir === 'C->S')!.raw!;
    expect(mut.transcript.messages[0]!.raw!.subarray(6, 38)).toEqual(choice.clientRandom);
    expect(fin(mut.transcript)).not.toEqual(fin(base.transcript));
    expect(base.run.serverOutcome.kind).toBe('connected');
    expect(mut.run.serverOutcome.kind).toBe('alert_sent');
  });
  it('rebuilding an unedited transcript keeps its messages and secrets', async () => {
    const pki = await testPki();
    const { transcript: t } = await runBase(pki, { ...choice, base: 't13-mutual' });
    const r = rebuild(t, entriesOf(t));
    expect(r.messages.map((m) => `${m.dir} ${m.type}`)).toEqual(t.messages.map((m) => `${m.dir} ${m.type}`));
    expect(r.secrets).toBe(t.secrets);
    const sh = t.messages.find((m) => m.type === 'server_hello')!.raw!;
    let suite = 0;
    editRaw(sh, { version: VERSION_CODE['1.3'] }, 'server_hello', (b) => {
      suite = b.cipherSuite;
    });
    expect(suiteOfServerHello(sh)).toBe(suite);
  });
  it('at() throws when the message is absent; flipLast copies', () => {
    expect(() => at([], 'finished')).toThrow(/no .*finished/);
    const a = Uint8Array.of(1, 2);
    expect(flipLast(a)).toEqual(Uint8Array.of(1, 3));
    expect(a).toEqual(Uint8Array.of(1, 2));
  });
  it('MessageLog keeps handshake messages only, in order', () => {
    const log = new MessageLog();
    log.add({ side: 'client', kind: 'handshake', type: 'client_hello', raw: Uint8Array.of(1) });
    log.add({ side: 'client', kind: 'change_cipher_spec', type: 'change_cipher_spec', raw: Uint8Array.of(1) });
    log.add({ side: 'client', kind: 'handshake', type: 'finished', raw: Uint8Array.of(20) });
    expect(log.types).toEqual(['client_hello', 'finished']);
    expect(log.find('finished')).toEqual(Uint8Array.of(20));
  });
  it('framed() without edits keeps every record byte for byte, so the rebuilt transcript is as clean as the run', async () => {
    const pki = await testPki();
    for (const base of ['t12-ecdhe-rsa-cbc-mutual', 't13-mutual'] as const) {
      const { transcript: t, check } = await runBase(pki, { ...choice, base });
      const r = framed(() => {})(t);
      expect(r.records.map((x) => x.raw)).toEqual(t.records.map((x) => x.raw));
      expect(r.messages.map((m) => `${m.dir} ${m.type} ${m.epoch}`)).toEqual(
        t.messages.map((m) => `${m.dir} ${m.type} ${m.epoch}`),
      );
      const v = (await checkTranscript(r, check)).verdicts.filter((x) => x.status === 'violation');
      expect([base, v.map((x) => x.rule)]).toEqual([base, []]);
    }
  });
  it('framed() gives an edited message a new record and leaves the others as they were', async () => {
    const pki = await testPki();
    const { transcript: t } = await runBase(pki, { ...choice, base: 't13-server-auth' });
    const r = framed((E) => {
      const i = at(E, 'finished', 'S->C');
      E[i] = { ...E[i]!, raw: flipLast(E[i]!.raw!) };
    })(t);
    const fin = r.records.findIndex((x) => x.dir === 'S->C' && x.plaintext?.fragment[0] === 20);
    expect(r.records.length).toBe(t.records.length);
    expect(r.records.flatMap((x, i) => (x.raw === t.records[i]!.raw ? [] : [i]))).toEqual([fin]);
    expect(r.records[fin]!.plaintext!.fragment).toEqual(flipLast(t.records[fin]!.plaintext!.fragment));
    expect(r.records[fin]!.raw[0]).toBe(23);
  });
  it('recordOf() frames unprotected entries as they are and protected ones with their plaintext', () => {
    const plain = recordOf(
      { dir: 'C->S', kind: 'handshake', type: 'client_hello', raw: Uint8Array.of(1, 0, 0, 0), encrypted: false },
      true,
    );
    expect(plain.raw).toEqual(Uint8Array.of(22, 3, 3, 0, 4, 1, 0, 0, 0));
    expect(plain.plaintext).toBeUndefined();
    const sealed12 = recordOf({ dir: 'S->C', kind: 'alert', type: 'alert', raw: Uint8Array.of(2, 40), encrypted: true }, false);
    expect([sealed12.raw[0], sealed12.raw.length, sealed12.plaintext]).toEqual([
      21,
      5 + 2 + 17,
      { contentType: 21, fragment: Uint8Array.of(2, 40) },
    ]);
    expect(recordOf({ dir: 'S->C', kind: 'alert', type: 'alert', raw: Uint8Array.of(2, 40), encrypted: true }, true).raw[0]).toBe(
      23,
    );
    expect(() => recordAt([plain], 'S->C', 22)).toThrow(/no S->C record/);
    expect(recordAt([{ dir: 'C->S', raw: plain.raw }], 'C->S', 22, 1)).toBe(0);
  });
});
