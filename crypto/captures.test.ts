/**
 * Real data: for every capture (and the Illustrated vectors in the same
 * format) recompute every Finished verify_data from the handshake message
 * bytes + key log, and verify every ServerKeyExchange and CertificateVerify
 * signature with the sender's certificate, on every provider.
 */
import { toHex } from '../wire/hex';
import { cipherSuites, HandshakeType } from '../wire/registry';
import { transcriptHash } from './hash';
import { lookupKeyLog, parseKeyLog } from './keylog';
import { certificateVerifyContent12, certificateVerifyContent13, serverKeyExchangeContent12, verifySignature } from './signature';
import { CAPTURE_DIRS, type CaptureConnection, loadCapture } from './testing/data';
import {
  messagesFromHex,
  parseCertificates,
  parseCertificateVerify,
  parseEcdheServerKeyExchange,
  parseHello,
  spkiOf,
} from './testing/messages';
import { PROVIDERS } from './testing/providers';
import { finished12 } from './tls12';
import { finished13 } from './tls13';

/** Handshake messages of the handshake proper, in transcript order, with their direction. */
function handshakeOf(c: CaptureConnection) {
  const ms = c.messages.filter((m) => m.hex !== undefined);
  const msgs = messagesFromHex(ms.map((m) => m.hex!));
  return msgs.map((m, i) => ({ ...m, dir: ms[i]!.dir }));
}

const captures = CAPTURE_DIRS.map((d) => loadCapture(d));

describe.each(PROVIDERS)('captures (%s)', (_name, make) => {
  const p = make();

  describe.each(captures.map((c) => [c.name, c] as const))('%s', (_n, cap) => {
    const entries = parseKeyLog(cap.keylog);

    test('every Finished verify_data recomputes from the messages and the key log', async () => {
      let checked = 0;
      for (const conn of cap.connections) {
        const all = handshakeOf(conn);
        const sh = parseHello(all.find((m) => m.type === HandshakeType.server_hello)!);
        const ch = parseHello(all[0]!);
        const suite = cipherSuites.get(sh.cipherSuite!)!;
        const secrets = lookupKeyLog(entries, ch.random);
        const tls13 = suite.kex === 'TLS13';
        // TLS 1.3: post-handshake messages (NewSessionTicket after the client Finished) are not in the transcript.
        const lastFin = all.map((m) => m.type).lastIndexOf(HandshakeType.finished);
        const msgs = tls13 ? all.slice(0, lastFin + 1) : all;
        for (let i = 0; i < msgs.length; i++) {
          const m = msgs[i]!;
          if (m.type !== HandshakeType.finished) continue;
          const th = await transcriptHash(
            p,
            suite.prfHash,
            msgs.slice(0, i).map((x) => x.bytes),
          );
          const sender = m.dir === 'C->S' ? 'client' : 'server';
          let expected: Uint8Array;
          if (tls13) {
            const base = secrets[sender === 'client' ? 'CLIENT_HANDSHAKE_TRAFFIC_SECRET' : 'SERVER_HANDSHAKE_TRAFFIC_SECRET']!;
            expected = await finished13(p, suite.prfHash, base, th);
          } else {
            expected = await finished12(p, suite.prfHash, secrets.CLIENT_RANDOM!, sender, th);
          }
          expect(toHex(m.body)).toBe(toHex(expected));
          checked++;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(2);
    });

    test('every ServerKeyExchange and CertificateVerify signature verifies with the sender certificate', async () => {
      let checked = 0;
      for (const conn of cap.connections) {
        const msgs = handshakeOf(conn);
        const ch = parseHello(msgs[0]!);
        const shMsg = msgs.find((m) => m.type === HandshakeType.server_hello)!;
        const sh = parseHello(shMsg);
        const tls13 = cipherSuites.get(sh.cipherSuite!)!.kex === 'TLS13';
        const certOf = (dir: string) => {
          const c = msgs.find((m) => m.type === HandshakeType.certificate && m.dir === dir);
          return c ? spkiOf(parseCertificates(c, tls13)[0]!) : undefined;
        };
        for (let i = 0; i < msgs.length; i++) {
          const m = msgs[i]!;
          if (m.type === HandshakeType.server_key_exchange) {
            const ske = parseEcdheServerKeyExchange(m);
            const content = serverKeyExchangeContent12(ch.random, sh.random, ske.params);
            expect(
              await verifySignature(p, ske.signed.scheme, certOf('S->C')!, content, ske.signed.signature, { version: 12 }),
            ).toEqual({ ok: true });
            // a one-byte change in the params breaks it
            const bad = content.slice();
            bad[bad.length - 1]! ^= 1;
            expect(
              await verifySignature(p, ske.signed.scheme, certOf('S->C')!, bad, ske.signed.signature, { version: 12 }),
            ).toMatchObject({ ok: false, reason: 'bad_signature' });
            checked++;
          } else if (m.type === HandshakeType.certificate_verify) {
            const cv = parseCertificateVerify(m);
            const before = msgs.slice(0, i).map((x) => x.bytes);
            const content = tls13
              ? certificateVerifyContent13(
                  m.dir === 'C->S' ? 'client' : 'server',
                  await transcriptHash(p, cipherSuites.get(sh.cipherSuite!)!.prfHash, before),
                )
              : certificateVerifyContent12(before);
            const spki = certOf(m.dir)!;
            expect(await verifySignature(p, cv.scheme, spki, content, cv.signature, { version: tls13 ? 13 : 12 })).toEqual({
              ok: true,
            });
            if (tls13) {
              // the other role's context string must not verify
              const wrong = certificateVerifyContent13(
                m.dir === 'C->S' ? 'server' : 'client',
                await transcriptHash(p, cipherSuites.get(sh.cipherSuite!)!.prfHash, before),
              );
              expect(await verifySignature(p, cv.scheme, spki, wrong, cv.signature)).toMatchObject({
                ok: false,
                reason: 'bad_signature',
              });
            }
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThanOrEqual(1);
    });
  });
});
