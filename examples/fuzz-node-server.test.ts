/**
 * A jest spec that fuzzes a TLS server of yours, here a Node.js tls.Server
 * with client certificates required, and fails on any finding (printing each
 * failing conversation's ladder with the seed and path that replay it).
 *
 * A profile records what the server is known to do differently, with the
 * reason: OpenSSL (inside Node) answers an invalid ECDH point in the
 * ClientKeyExchange with internal_error, where RFC 8422 §5.4 / RFC 5246
 * §7.2.2 name illegal_parameter (or decode_error), and a KeyUpdate with a
 * trailing byte and a PSK binder that does not validate with
 * illegal_parameter, where RFC 8446 §6.2 names decode_error and
 * decrypt_error; each alert map accepts that answer for its rule only, so
 * anything else still fails the test. And it
 * resumes a TLS 1.2 session under another server_name (the resumption family),
 * which RFC 6066 §3 forbids, refuses application data woven into a
 * renegotiation, which RFC 5246 §6.2.1 requires it to process, and
 * renegotiates a downgrade from encrypt-then-MAC, which RFC 7366 §3.1
 * forbids: expected failures, each with its reason.
 */
import { createServer, type Server } from 'node:tls';
import { type FuzzProfile, identityPem, testPki, type TestPki } from 'tlsprop';
import { test } from 'tlsprop/jest';

let pki: TestPki;
let server: Server;
let port: number;

beforeAll(async () => {
  // your server: here one with the test PKI's certificate, requiring a client certificate under the test root
  pki = await testPki();
  const { cert, key } = identityPem(pki.identity('server', 'rsa'));
  server = createServer({ cert, key, ca: pki.root.pem, requestCert: true, rejectUnauthorized: true }, (s) => s.pipe(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const profile: FuzzProfile = {
  target: 'Node.js tls (OpenSSL 3)',
  expectedFailures: [
    {
      rule: 'ext.sni.resumption',
      reason:
        'OpenSSL resumes a TLS 1.2 session under another server_name (RFC 6066 §3: the server "MUST NOT accept the request to resume the session if the server_name extension contains a different name")',
    },
    {
      rule: 'ext.etm.no-downgrade',
      reason:
        'OpenSSL renegotiates a connection that negotiated encrypt-then-MAC with a CBC suite and no encrypt_then_mac (RFC 7366 §3.1: "implementations MUST NOT renegotiate a downgrade from encrypt-then-MAC to MAC-then-encrypt")',
    },
    {
      rule: 'rec.t12.appdata-in-renegotiation',
      reason:
        'OpenSSL refuses application data woven into a renegotiation after its ServerHello with unexpected_message (RFC 5246 §6.2.1: "Recipients MUST receive and process interleaved application layer traffic during handshakes subsequent to the first one on a connection")',
    },
  ],
  disabled: [],
  alertMaps: [
    {
      rule: 'ecdh.point-format',
      alertMap: { illegal_parameter: ['internal_error'] },
      reason: 'OpenSSL answers an invalid point with internal_error',
    },
    {
      rule: 'rec.hs-length-consistent',
      alertMap: { decode_error: ['illegal_parameter'] },
      reason:
        'OpenSSL answers a KeyUpdate with a trailing byte with illegal_parameter (RFC 8446 §6.2: decode_error is for a message whose length "was incorrect")',
    },
    {
      rule: 't13.psk.binder',
      alertMap: { decrypt_error: ['illegal_parameter'] },
      reason:
        'OpenSSL answers a PSK binder that does not validate with illegal_parameter (RFC 8446 §6.2: decrypt_error is for being "unable to correctly [...] validate [...] a PSK binder")',
    },
  ],
};

test.fuzzServer('my tls.Server conforms', () => ({
  port,
  pki,
  // our client's certificate (the server trusts the test root it chains to), and the server's chain checked against it
  cert: pki.identity('client', 'rsa'),
  ca: pki.anchors,
  serverName: 'localhost',
  runs: 12,
  seed: 1,
  profile,
}));
