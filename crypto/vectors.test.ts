/**
 * Known answers: every secret, key, IV and Finished value of the shared
 * byte-level vectors, recomputed from their inputs (ephemeral private keys
 * -> shared secret -> schedule -> Finished), on every provider.
 */
import { fromHex, toHex } from '../wire/hex';
import { cipherSuiteNames, cipherSuites, codeOf, ContentType, ExtensionType } from '../wire/registry';
import { deriveEcdh } from './ecdh';
import { type HashName, transcriptHash } from './hash';
import { createRecordProtection, tls13Params } from './record';
import { loadVectors, type VectorsFile } from './testing/data';
import { finishedVerifyData, messagesFromHex, parseHello } from './testing/messages';
import { PROVIDERS } from './testing/providers';
import { extendedMasterSecret, finished12, keyBlock, masterSecret } from './tls12';
import { finished13, tls13KeyLength, tls13Schedule, trafficKeys } from './tls13';
import type { CryptoProvider } from './provider';

function suiteOf(v: VectorsFile) {
  const s = cipherSuites.get(codeOf(cipherSuiteNames, v.cipher_suite)!);
  if (!s) throw new Error(v.cipher_suite);
  return s;
}

async function sharedSecret(p: CryptoProvider, v: VectorsFile): Promise<Uint8Array> {
  const a = await deriveEcdh(p, 'x25519', fromHex(v.client_ephemeral_x25519_private), fromHex(v.server_ephemeral_x25519_public));
  const b = await deriveEcdh(p, 'x25519', fromHex(v.server_ephemeral_x25519_private), fromHex(v.client_ephemeral_x25519_public));
  if (!a.ok || !b.ok) throw new Error('x25519 failed');
  expect(a.value).toEqual(b.value);
  return a.value;
}

/** Compare every expected value; a key we did not compute fails the test. */
function expectAll(expected: Record<string, string>, computed: Record<string, Uint8Array | undefined>): void {
  for (const [name, hex] of Object.entries(expected)) {
    const c = computed[name];
    expect({ name, value: c === undefined ? 'NOT COMPUTED' : toHex(c) }).toEqual({ name, value: hex });
  }
}

async function tls13Computed(p: CryptoProvider, v: VectorsFile): Promise<Record<string, Uint8Array | undefined>> {
  const suite = suiteOf(v);
  const h: HashName = suite.prfHash;
  const msgs = messagesFromHex(v.handshake_messages.map((m) => m.hex));
  const idx = (name: string, dir: string) => v.handshake_messages.findIndex((m) => m.message === name && m.dir === dir);
  const upTo = async (i: number) =>
    transcriptHash(
      p,
      h,
      msgs.slice(0, i + 1).map((m) => m.bytes),
    );
  const sfin = idx('Finished', 'S->C');
  const cfin = idx('Finished', 'C->S');
  const shared = await sharedSecret(p, v);
  const thSH = await upTo(idx('ServerHello', 'S->C'));
  const thSF = await upTo(sfin);
  const thCF = await upTo(cfin);
  const s = await tls13Schedule(p, {
    hash: h,
    sharedSecret: shared,
    clientHelloHash: await upTo(0),
    serverHelloHash: thSH,
    serverFinishedHash: thSF,
    clientFinishedHash: thCF,
  });
  // step by step, each from the last (as the engine derives it, crypto/tls13.ts `from`): the secrets of the whole
  // schedule; a `from` of other inputs (another shared secret) is not reused
  const base = { hash: h, sharedSecret: shared, serverHelloHash: thSH };
  const atSh = await tls13Schedule(p, base);
  const atSf = await tls13Schedule(p, { ...base, serverFinishedHash: thSF }, { input: base, schedule: atSh });
  const atCf = await tls13Schedule(
    p,
    { ...base, serverFinishedHash: thSF, clientFinishedHash: thCF },
    { input: { ...base, serverFinishedHash: thSF }, schedule: atSf },
  );
  const { clientEarlyTrafficSecret: _c, earlyExporterMasterSecret: _e, ...whole } = s;
  expect(atCf).toEqual(whole);
  const other = { ...base, sharedSecret: new Uint8Array(shared.length).fill(1) };
  const fromOther = await tls13Schedule(
    p,
    { ...base, serverFinishedHash: thSF },
    { input: other, schedule: await tls13Schedule(p, other) },
  );
  expect(fromOther).toEqual(atSf);
  const serverVerify = await finished13(p, h, s.serverHandshakeTrafficSecret, await upTo(sfin - 1));
  const clientVerify = await finished13(p, h, s.clientHandshakeTrafficSecret, await upTo(cfin - 1));
  // the Finished messages in the data carry the same values
  expect(finishedVerifyData(msgs[sfin]!)).toEqual(serverVerify);
  expect(finishedVerifyData(msgs[cfin]!)).toEqual(clientVerify);
  const kl = tls13KeyLength(suite);
  const k = {
    sh: await trafficKeys(p, h, s.serverHandshakeTrafficSecret, kl),
    ch: await trafficKeys(p, h, s.clientHandshakeTrafficSecret, kl),
    sa: await trafficKeys(p, h, s.serverApplicationTrafficSecret0!, kl),
    ca: await trafficKeys(p, h, s.clientApplicationTrafficSecret0!, kl),
  };
  const c: Record<string, Uint8Array | undefined> = {
    x25519_shared_secret: shared,
    early_secret: s.earlySecret,
    derived_for_handshake: s.derivedForHandshake,
    handshake_secret: s.handshakeSecret,
    'transcript_hash_ClientHello..ServerHello': thSH,
    client_handshake_traffic_secret: s.clientHandshakeTrafficSecret,
    server_handshake_traffic_secret: s.serverHandshakeTrafficSecret,
    derived_for_master: s.derivedForMaster,
    master_secret: s.masterSecret,
    'transcript_hash_ClientHello..server_Finished': thSF,
    client_application_traffic_secret_0: s.clientApplicationTrafficSecret0,
    server_application_traffic_secret_0: s.serverApplicationTrafficSecret0,
    exporter_master_secret: s.exporterMasterSecret,
    server_finished_key: s.serverFinishedKey,
    client_finished_key: s.clientFinishedKey,
    server_finished_verify_data: serverVerify,
    client_finished_verify_data: clientVerify,
    'transcript_hash_ClientHello..client_Finished': thCF,
    resumption_master_secret: s.resumptionMasterSecret,
    server_handshake_write_iv: k.sh.iv,
    client_handshake_write_iv: k.ch.iv,
    server_application_write_iv: k.sa.iv,
    client_application_write_iv: k.ca.iv,
  };
  const tag = suite.cipher.toLowerCase().replace(/_/g, '');
  c[`server_handshake_write_key_${tag}`] = k.sh.key;
  c[`client_handshake_write_key_${tag}`] = k.ch.key;
  c[`server_application_write_key_${tag}`] = k.sa.key;
  c[`client_application_write_key_${tag}`] = k.ca.key;
  return c;
}

describe.each(PROVIDERS)('published vectors (%s)', (_name, make) => {
  const p = make();

  test('RFC 8448 §3: every computed secret, key, IV and Finished', async () => {
    const v = loadVectors('rfc8448-section3');
    expectAll(v.secrets_computed, await tls13Computed(p, v));
  });

  test('Illustrated TLS 1.3: every computed secret, IV and Finished', async () => {
    const v = loadVectors('illustrated-tls13');
    expectAll(v.secrets_computed, await tls13Computed(p, v));
  });

  test('RFC 8448 §3: the wire records decrypt (and re-encrypt) with the derived keys', async () => {
    const v = loadVectors('rfc8448-section3');
    const suite = suiteOf(v);
    const c = await tls13Computed(p, v);
    const keys = (w: 'server' | 'client', e: 'handshake' | 'application') => ({
      key: c[`${w}_${e}_write_key_aes128gcm`]!,
      iv: c[`${w}_${e}_write_iv`]!,
    });
    const prot = async (w: 'server' | 'client', e: 'handshake' | 'application') =>
      createRecordProtection(p, tls13Params(suite, keys(w, e)));
    const rec = (name: string) => {
      const b = fromHex(v.records![name]!);
      return { type: b[0]!, version: (b[1]! << 8) | b[2]!, fragment: b.subarray(5), bytes: b };
    };
    const msgs = v.handshake_messages;
    const serverHs = await prot('server', 'handshake');
    const r = rec('Record_ServerHandshakeMessages');
    const out = await serverHs.unprotect(0n, r.type, r.version, r.fragment);
    const flight = msgs
      .filter((m) => m.dir === 'S->C' && m.message !== 'ServerHello')
      .map((m) => m.hex)
      .join('');
    expect(out).toEqual({ ok: true, type: ContentType.handshake, content: fromHex(flight) });
    const again = await serverHs.protect(0n, ContentType.handshake, 0x0303, fromHex(flight));
    expect(toHex(again.fragment)).toBe(toHex(r.fragment));
    const cf = rec('Record_ClientFinished');
    expect(await (await prot('client', 'handshake')).unprotect(0n, cf.type, cf.version, cf.fragment)).toEqual({
      ok: true,
      type: 22,
      content: fromHex(msgs.at(-1)!.hex),
    });
    const clientApp = await prot('client', 'application');
    const serverApp = await prot('server', 'application');
    const nst = rec('Record_NewSessionTicket');
    const nstOut = await serverApp.unprotect(0n, nst.type, nst.version, nst.fragment);
    expect(nstOut.ok && nstOut.type === 22 && nstOut.content[0] === 4).toBe(true);
    const ca = rec('Record_Client_AppData');
    expect(await clientApp.unprotect(0n, ca.type, ca.version, ca.fragment)).toEqual({
      ok: true,
      type: 23,
      content: fromHex(v.application_data_plaintext!.client!),
    });
    const sa = rec('Record_Server_AppData');
    expect(await serverApp.unprotect(1n, sa.type, sa.version, sa.fragment)).toEqual({
      ok: true,
      type: 23,
      content: fromHex(v.application_data_plaintext!.server!),
    });
    const cc = rec('Record_Client_CloseNotify');
    expect(await clientApp.unprotect(1n, cc.type, cc.version, cc.fragment)).toEqual({
      ok: true,
      type: 21,
      content: fromHex('0100'),
    });
    const sc = rec('Record_Server_CloseNotify');
    expect(await serverApp.unprotect(2n, sc.type, sc.version, sc.fragment)).toEqual({
      ok: true,
      type: 21,
      content: fromHex('0100'),
    });
    // the wrong sequence number fails authentication
    expect(await serverApp.unprotect(1n, sc.type, sc.version, sc.fragment)).toMatchObject({
      ok: false,
      reason: 'bad_record_mac',
    });
  });

  test('Illustrated TLS 1.2: pre-master, master secret, key block and both Finished', async () => {
    const v = loadVectors('illustrated-tls12');
    const suite = suiteOf(v);
    const h = suite.prfHash;
    const msgs = messagesFromHex(v.handshake_messages.map((m) => m.hex));
    const ch = parseHello(msgs[0]!);
    const sh = parseHello(msgs[1]!);
    expect(toHex(ch.random)).toBe(v.client_random);
    expect(toHex(sh.random)).toBe(v.server_random);
    const pm = await sharedSecret(p, v);
    const cke = v.handshake_messages.findIndex((m) => m.message === 'ClientKeyExchange');
    const ems =
      ch.extensions.has(ExtensionType.extended_master_secret) && sh.extensions.has(ExtensionType.extended_master_secret);
    const ms = ems
      ? await extendedMasterSecret(
          p,
          h,
          pm,
          await transcriptHash(
            p,
            h,
            msgs.slice(0, cke + 1).map((m) => m.bytes),
          ),
        )
      : await masterSecret(p, h, pm, ch.random, sh.random);
    const kb = await keyBlock(p, suite, ms, ch.random, sh.random);
    const cfin = v.handshake_messages.findIndex((m) => m.message === 'Finished' && m.dir === 'C->S');
    const sfin = v.handshake_messages.findIndex((m) => m.message === 'Finished' && m.dir === 'S->C');
    expect(cfin).toBeLessThan(sfin);
    const clientVerify = await finished12(
      p,
      h,
      ms,
      'client',
      await transcriptHash(
        p,
        h,
        msgs.slice(0, cfin).map((m) => m.bytes),
      ),
    );
    const serverVerify = await finished12(
      p,
      h,
      ms,
      'server',
      await transcriptHash(
        p,
        h,
        msgs.slice(0, cfin + 1).map((m) => m.bytes),
      ),
    );
    expect(finishedVerifyData(msgs[cfin]!)).toEqual(clientVerify);
    expect(finishedVerifyData(msgs[sfin]!)).toEqual(serverVerify);
    expectAll(v.secrets_computed, {
      'pre_master_secret (X25519 shared secret)': pm,
      master_secret: ms,
      client_write_MAC_key: kb.clientMacKey,
      server_write_MAC_key: kb.serverMacKey,
      client_write_key: kb.clientKey,
      server_write_key: kb.serverKey,
      client_finished_verify_data: clientVerify,
      server_finished_verify_data: serverVerify,
    });
  });
});
