/**
 * Real data: every encrypted record of every shared capture decrypts with
 * the keys derived from the key log (TLS 1.2: master secret -> key block;
 * TLS 1.3: traffic secrets -> key/iv), and the decrypted handshake bytes are
 * exactly the messages tshark reported. Covers AES-CBC + HMAC-SHA1 MtE,
 * AES-256-CBC + HMAC-SHA384 EtM, TLS 1.2 AES-256-GCM and TLS 1.3 AES-256-GCM.
 */
import { join } from 'node:path';
import { concatBytes, toHex } from '../wire/hex';
import { cipherSuites, ContentType, ExtensionType, HandshakeType } from '../wire/registry';
import { lookupKeyLog, parseKeyLog } from './keylog';
import { createRecordProtection, RecordDirection, tls12Params, tls13Params } from './record';
import { CAPTURE_DIRS, loadCapture, SHARED } from './testing/data';
import { messagesFromHex, parseHello } from './testing/messages';
import { tlsRecordsFromPcap } from './testing/pcap';
import { PROVIDERS } from './testing/providers';
import { keyBlock } from './tls12';
import { tls13KeyLength, trafficKeys } from './tls13';

/** Handshake message types inside a run of handshake bytes. */
function typesIn(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at + 4 <= b.length; at += 4 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!)) out.push(b[at]!);
  return out;
}

describe.each(PROVIDERS)('capture records (%s)', (_name, make) => {
  const p = make();

  test.each(CAPTURE_DIRS.map((d) => [d]))('%s: every encrypted record decrypts; handshake bytes match', async (dir) => {
    const cap = loadCapture(dir);
    const conn = cap.connections[0]!;
    const hsMsgs = conn.messages.filter((m) => m.hex !== undefined);
    const [chMsg, shMsg] = messagesFromHex([hsMsgs[0]!.hex!, hsMsgs.find((m) => m.handshake_type === HandshakeType.server_hello)!.hex!]);
    const ch = parseHello(chMsg!);
    const sh = parseHello(shMsg!);
    const suite = cipherSuites.get(sh.cipherSuite!)!;
    const secrets = lookupKeyLog(parseKeyLog(cap.keylog), ch.random);
    const tls13 = suite.kex === 'TLS13';
    const records = await tlsRecordsFromPcap(join(SHARED, dir, 'capture.pcap'));

    type Dir = 'C->S' | 'S->C';
    const state = new Map<Dir, { current?: RecordDirection; handshake: Uint8Array[]; switched: boolean }>();
    for (const d of ['C->S', 'S->C'] as const) state.set(d, { handshake: [], switched: false });
    const h = suite.prfHash;
    const keys13 = async (secret: Uint8Array) => new RecordDirection(await createRecordProtection(p, tls13Params(suite, await trafficKeys(p, h, secret, tls13KeyLength(suite)))));
    let kb: Awaited<ReturnType<typeof keyBlock>> | undefined;
    if (!tls13) kb = await keyBlock(p, suite, secrets.CLIENT_RANDOM!, ch.random, sh.random);
    const etm = ch.extensions.has(ExtensionType.encrypt_then_mac) && sh.extensions.has(ExtensionType.encrypt_then_mac) && suite.mac !== 'AEAD';
    let decrypted = 0;
    for (const r of records) {
      const st = state.get(r.dir)!;
      if (r.type === ContentType.change_cipher_spec) {
        if (!tls13) st.current = new RecordDirection(await createRecordProtection(p, tls12Params(suite, kb!, r.dir === 'C->S' ? 'client' : 'server', etm)));
        continue;
      }
      if (tls13 && !st.current && r.type === ContentType.application_data) {
        st.current = await keys13(r.dir === 'C->S' ? secrets.CLIENT_HANDSHAKE_TRAFFIC_SECRET! : secrets.SERVER_HANDSHAKE_TRAFFIC_SECRET!);
      }
      if (!st.current) {
        expect(r.type).toBe(ContentType.handshake); // only the plaintext handshake goes unprotected
        continue;
      }
      const out = await st.current.open(r.type, r.version, r.fragment);
      expect({ dir: r.dir, ok: out.ok, reason: out.ok ? undefined : out.reason }).toEqual({ dir: r.dir, ok: true, reason: undefined });
      if (!out.ok) return;
      decrypted++;
      if (out.type === ContentType.handshake) {
        st.handshake.push(out.content);
        if (tls13 && !st.switched && typesIn(out.content).includes(HandshakeType.finished)) {
          st.switched = true;
          st.current = await keys13(r.dir === 'C->S' ? secrets.CLIENT_TRAFFIC_SECRET_0! : secrets.SERVER_TRAFFIC_SECRET_0!);
        }
      }
      if (out.type === ContentType.alert) expect(out.content.length).toBe(2);
    }
    expect(decrypted).toBeGreaterThanOrEqual(4);
    for (const d of ['C->S', 'S->C'] as const) {
      const expected = hsMsgs.filter((m) => m.dir === d && m.encrypted).map((m) => m.hex!).join('');
      expect(toHex(concatBytes(state.get(d)!.handshake))).toBe(expected);
    }
  });
});
