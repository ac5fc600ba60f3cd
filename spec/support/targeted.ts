/**
 * Small valid transcripts built for the meta-test (spec/meta.spec.ts) for
 * rules that no ordinary generated handshake or capture exercises: real
 * in-memory handshakes of the engine, configured or steered with hooks
 * (an endpoint's hook changes a message before the endpoint hashes and
 * signs it, so both sides stay consistent), and one refused ClientHello.
 * Each is complete and zero-violation; none is a partial transcript made
 * to pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ClientConfig, type ServerConfig, identityOf } from '../../engine/config';
import { SERVER_NAME } from '../../engine/fixtures';
import type { EngineHooks } from '../../engine/hooks';
import { runInMemory } from '../../engine/memory';
import { ServerSessionCache, newClientSessionStore } from '../../engine/session';
import { generateEcdhKeyPair, nodeProvider } from '../../crypto';
import type { CheckOptions } from '../../oracles/evaluate';
import { type BuiltCert, type CertSpec, KeyUsage, buildCert } from '../../pki/chain';
import { KeyPool } from '../../pki/keypool';
import { pemBlocks } from '../../pki/pem';
import type { Transcript } from '../../transcript/model';
import type { Extension, ExtensionBody } from '../../wire/extensions';
import { type HandshakeBody, decodeHandshake, encodeHandshake } from '../../wire/handshake';
import { NamedGroup, ExtensionType as X, SCSV } from '../../wire/registry';
import { CipherSuite12, CipherSuite13 } from '../../engine/suites';
import { SHARED, type SharedCase } from './shared';

export interface Targeted {
  name: string;
  t: Transcript;
  opts: CheckOptions;
}

/** Check options of a shared case (trust anchors of its PKI, capture time) and its key log lines. */
export function captureOptions(c: SharedCase): { opts: CheckOptions; keylog: string[] } {
  const keylog = c.keylog
    ? readFileSync(c.keylog, 'utf8')
        .split(/\r?\n/)
        .filter((l) => l.trim())
    : [];
  const opts: CheckOptions = {};
  const pki = c.meta['pki'];
  if (typeof pki === 'string') {
    const f = join(SHARED, 'captures', pki, 'rootCA.crt');
    if (existsSync(f)) opts.trustAnchors = pemBlocks(readFileSync(f, 'utf8'), 'CERTIFICATE');
  }
  const g = c.meta['generated_utc'];
  if (typeof g === 'string') opts.at = new Date(g);
  return { opts, keylog };
}

const DAY = 86_400_000;
/** Validation time of every targeted run (certificates are valid around it). */
const AT = new Date(Date.UTC(2026, 0, 15));

function spec(subject: string, key: CertSpec['key'], serial: string, ca: boolean): CertSpec {
  return {
    subject,
    key,
    serial,
    notBefore: new Date(AT.getTime() - DAY),
    notAfter: new Date(AT.getTime() + 30 * DAY),
    basicConstraints: ca ? { ca: true } : { ca: false },
    keyUsage: ca
      ? KeyUsage.keyCertSign | KeyUsage.cRLSign
      : KeyUsage.digitalSignature | (key.type === 'rsa2048' ? KeyUsage.keyEncipherment : 0),
    extKeyUsage: ca ? null : ['serverAuth', 'clientAuth'],
    san: ca ? null : { dns: [SERVER_NAME], ips: [] },
  };
}

interface Pki {
  root: BuiltCert;
  server: BuiltCert;
  client: BuiltCert;
}

/** A root, and server and client leaves under it; `nameConstraints` (DER of the extension value) goes into the root. */
async function pki(pool: KeyPool, nameConstraints?: Uint8Array): Promise<Pki> {
  const provider = pool.provider;
  const rootSpec = spec('CN=tlsprop targeted root', { type: 'ecdsa-p256', index: 2 }, '01', true);
  const root = await buildCert(
    nameConstraints ? { ...rootSpec, extraExtensions: [{ oid: '2.5.29.30', critical: true, value: nameConstraints }] } : rootSpec,
    undefined,
    pool,
    provider,
  );
  const server = await buildCert(
    spec('CN=tlsprop targeted server', { type: 'rsa2048', index: 0 }, '10', false),
    root,
    pool,
    provider,
  );
  const client = await buildCert(
    spec('CN=tlsprop targeted client', { type: 'ecdsa-p256', index: 0 }, '20', false),
    root,
    pool,
    provider,
  );
  return { root, server, client };
}

function configs(
  p: Pki,
  version: '1.2' | '1.3',
  clientAuth: ServerConfig['clientAuth'] = 'none',
  withClientIdentity = true,
): { client: ClientConfig; server: ServerConfig } {
  const versions = [version === '1.3' ? 0x0304 : 0x0303];
  const suites =
    version === '1.3' ? [CipherSuite13.TLS_AES_128_GCM_SHA256] : [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256];
  const client: ClientConfig = {
    versions,
    cipherSuites: suites,
    serverName: SERVER_NAME,
    trustAnchors: [p.root.der],
    validationTime: AT,
  };
  if (withClientIdentity) client.identity = identityOf([p.client, p.root]);
  const server: ServerConfig = {
    versions,
    cipherSuites: suites,
    identity: identityOf([p.server, p.root]),
    trustAnchors: [p.root.der],
    validationTime: AT,
    clientAuth,
  };
  return { client, server };
}

const optsOf = (p: Pki): CheckOptions => ({
  trustAnchors: [p.root.der],
  at: AT,
  privateKeys: [p.server.key.pkcs8, p.client.key.pkcs8],
});

/** A hook that re-encodes one handshake message after `edit` changed its decoded body. */
function editHook(type: string, edit: (b: HandshakeBody) => void, version = 0x0303): EngineHooks {
  return {
    beforeSend(msg) {
      if (msg.kind !== 'handshake' || msg.type !== type) return undefined;
      const m = decodeHandshake(msg.raw, { version });
      edit(m.message.body);
      return [encodeHandshake(m.message)];
    },
  };
}
const addExt = (list: Extension[] | undefined, type: number, body: ExtensionBody): Extension[] => [
  ...(list ?? []),
  { type, body },
];

async function run(
  name: string,
  p: Pki,
  cfg: { client: ClientConfig; server: ServerConfig },
  hooks: Parameters<typeof runInMemory>[2] = {},
  mem: Parameters<typeof runInMemory>[3] = {},
): Promise<Targeted> {
  const r = await runInMemory(cfg.client, cfg.server, hooks, { plan: `targeted: ${name}`, ...mem });
  if (process.env['TLSPROP_DEBUG_TARGETED'])
    process.stdout.write(`${name}: client ${JSON.stringify(r.clientOutcome)} server ${JSON.stringify(r.serverOutcome)}\n`);
  return { name: `targeted: ${name}`, t: { ...r.transcript, capturedAt: AT.toISOString() }, opts: optsOf(p) };
}

/** The targeted transcripts, each named after what it shows. */
export async function targetedTranscripts(): Promise<Targeted[]> {
  const pool = new KeyPool({ provider: nodeProvider() });
  const p = await pki(pool);
  const out: Targeted[] = [];
  // TLS 1.3 KeyUpdate, answered (update_requested), each followed by data under the new keys
  out.push(
    await run(
      'TLS 1.3 KeyUpdate both ways',
      p,
      configs(p, '1.3'),
      {},
      {
        appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) },
        keyUpdates: [
          { side: 'client', requestUpdate: true },
          { side: 'server', requestUpdate: false },
        ],
      },
    ),
  );
  // certificate compression (RFC 8879): the client offers zlib and brotli, the server compresses its Certificate
  for (const algorithm of [1, 2]) {
    const c = configs(p, '1.3');
    out.push(
      await run(`TLS 1.3 certificate compression, algorithm ${algorithm}`, p, {
        client: { ...c.client, certificateCompression: [2, 1] },
        server: { ...c.server, certificateCompression: [algorithm] },
      }),
    );
  }
  // ML-KEM (crypto/kem): TLS 1.3 over the hybrid X25519MLKEM768, and a TLS 1.2 client offering it beside x25519 (the
  // server picks x25519: the ML-KEM groups are TLS 1.3 only, tlsfuzzer test-no-mlkem-in-old-tls.py)
  for (const [version, groups] of [
    ['1.3', [NamedGroup.X25519MLKEM768]],
    ['1.2', [NamedGroup.X25519MLKEM768, NamedGroup.x25519]],
  ] as const) {
    const c = configs(p, version);
    out.push(
      await run(`TLS ${version} with X25519MLKEM768 offered`, p, {
        client: { ...c.client, groups: [...groups] },
        server: { ...c.server, groups: [...groups] },
      }),
    );
  }
  // a required client certificate that the client does not have: the server ends with a fatal alert
  out.push(await run('TLS 1.3 client certificate required and missing', p, configs(p, '1.3', 'require', false)));
  // max_fragment_length offered by the client and ignored by the server (it may: RFC 6066 §4; the hook adds it, so the client does not know it offered it)
  out.push(
    await run('TLS 1.2 max_fragment_length offered, not taken up', p, configs(p, '1.2'), {
      client: editHook('client_hello', (b) => {
        if (b.type === 'client_hello')
          b.extensions = addExt(b.extensions, X.max_fragment_length, { kind: 'max_fragment_length', value: 4 });
      }),
    }),
  );
  // max_fragment_length negotiated (2^9 bytes), with the RSA certificate and data larger than that split into records that keep to it
  for (const version of ['1.2', '1.3'] as const) {
    const c = configs(p, version, 'require');
    const data = new Uint8Array(1500).map((_, i) => i & 0xff);
    out.push(
      await run(
        `TLS ${version} max_fragment_length 2^9 negotiated and kept to`,
        p,
        { client: { ...c.client, maxFragmentLength: 1 }, server: { ...c.server, maxFragmentLength: true } },
        {},
        { appData: { client: data, server: data }, closeNotify: true },
      ),
    );
  }
  // OCSP stapling (RFC 6066 §8, RFC 8446 §4.4.2.1): a well-formed OCSPResponse (tryLater, no response bytes) stapled on request
  for (const version of ['1.2', '1.3'] as const) {
    const c = configs(p, version);
    out.push(
      await run(`TLS ${version} OCSP response stapled on request`, p, {
        client: { ...c.client, statusRequest: true },
        server: { ...c.server, ocspResponse: Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x03) },
      }),
    );
  }
  // TLS 1.3 with an FFDHE group
  out.push(
    await run('TLS 1.3 ffdhe2048 key share', p, {
      client: { ...configs(p, '1.3').client, groups: [NamedGroup.ffdhe2048] },
      server: { ...configs(p, '1.3').server, groups: [NamedGroup.ffdhe2048] },
    }),
  );
  // a TLS 1.2 server asking for renegotiation after the handshake (HelloRequest, not hashed); the client may ignore it
  out.push(
    await run(
      'TLS 1.2 HelloRequest after the handshake',
      p,
      configs(p, '1.2'),
      {
        server: {
          beforeSend(msg) {
            return msg.kind === 'handshake' && msg.type === 'finished' ? [msg.raw, Uint8Array.of(0, 0, 0, 0)] : undefined;
          },
        },
      },
      { appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) } },
    ),
  );
  // name constraints in the root that the server leaf meets
  const dns = new TextEncoder().encode('tlsprop.test');
  const sub = Uint8Array.of(0x30, dns.length + 2, 0x82, dns.length, ...dns);
  const pc = await pki(pool, Uint8Array.of(0x30, sub.length + 2, 0xa0, sub.length, ...sub));
  out.push(await run('TLS 1.2 chain under a name-constrained root', pc, configs(pc, '1.2')));
  // oid_filters in the TLS 1.3 CertificateRequest (extendedKeyUsage containing clientAuth), met by the client certificate
  const eku = Uint8Array.of(0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02);
  const filter = Uint8Array.from([0, 3 + 2 + eku.length + 1, 3, 0x55, 0x1d, 0x25, 0, eku.length, ...eku]);
  out.push(
    await run('TLS 1.3 oid_filters met by the client certificate', p, configs(p, '1.3', 'require'), {
      server: editHook(
        'certificate_request',
        (b) => {
          if (b.type === 'certificate_request' && b.form === 'tls13')
            b.extensions = addExt(b.extensions, X.oid_filters, { kind: 'opaque', data: filter });
        },
        0x0304,
      ),
    }),
  );
  out.push(await refusedFallback(p));
  out.push(await earlyData(p, false));
  out.push(await earlyData(p, true));
  out.push(await earlyDataReplay(p));
  return out;
}

/**
 * TLS 1.3 0-RTT (RFC 8446 §2.3, §4.2.10): a first connection whose ticket allows 4096 bytes of early data, then a
 * resumption that sends 0-RTT data, accepted (EndOfEarlyData follows the server Finished) or declined by the server
 * (skipped by trial decryption, no EndOfEarlyData).
 */
async function earlyData(p: Pki, accept: boolean): Promise<Targeted> {
  const cfg = configs(p, '1.3');
  const now = () => AT.getTime();
  cfg.client.sessionStore = newClientSessionStore();
  cfg.client.now = now;
  cfg.client.pskModes = [1];
  cfg.server.sessionCache = new ServerSessionCache(nodeProvider(), { now });
  cfg.server.pskModes = [1];
  cfg.server.maxEarlyDataSize = 4096;
  const first = await runInMemory(
    { ...cfg.client, random: new Uint8Array(32).fill(accept ? 0x13 : 0x11) },
    { ...cfg.server, random: new Uint8Array(32).fill(0x22) },
    {},
    { plan: `targeted: early data ${accept ? 'accepted' : 'declined'} (first connection)` },
  );
  cfg.client.earlyData = new TextEncoder().encode('0-RTT request');
  if (!accept) cfg.server.earlyData = 'reject';
  const r = await run(
    `TLS 1.3 resumption with 0-RTT data, ${accept ? 'accepted' : 'declined'}`,
    p,
    cfg,
    {},
    {
      appData: { client: new TextEncoder().encode('1-RTT request'), server: new TextEncoder().encode('answer') },
    },
  );
  return { ...r, opts: { ...r.opts, earlier: [first.transcript] } };
}

/**
 * RFC 8446 §8: the same ClientHello with 0-RTT data sent twice to one engine server (its ClientHello recording on): the
 * original's early data is accepted, the replay's is not (answered 1-RTT).
 */
async function earlyDataReplay(p: Pki): Promise<Targeted> {
  const cfg = configs(p, '1.3');
  const now = () => AT.getTime();
  const store = newClientSessionStore();
  cfg.client.sessionStore = store;
  cfg.client.now = now;
  cfg.client.middleboxCompat = false;
  cfg.server.sessionCache = new ServerSessionCache(nodeProvider(), { now });
  cfg.server.maxEarlyDataSize = 4096;
  const first = await runInMemory(
    { ...cfg.client, random: new Uint8Array(32).fill(0x15) },
    { ...cfg.server, random: new Uint8Array(32).fill(0x22) },
    {},
    { plan: 'targeted: early data replay (ticket)' },
  );
  const key = await generateEcdhKeyPair(nodeProvider(), 'x25519');
  const again = (): ClientConfig => ({
    ...cfg.client,
    random: new Uint8Array(32).fill(0x16),
    sessionStore: { tls13: [...store.tls13], tls12: [] },
    keyShareGroups: [NamedGroup.x25519],
    ephemeral: [key],
    earlyData: new TextEncoder().encode('0-RTT request'),
  });
  const original = await runInMemory(again(), cfg.server, {}, { plan: 'targeted: early data replay (original)' });
  const r = await run('TLS 1.3 0-RTT ClientHello replayed to one server, early data accepted once', p, {
    client: again(),
    server: cfg.server,
  });
  return { ...r, opts: { ...r.opts, earlier: [first.transcript, original.transcript], oneServerInstance: true } };
}

/**
 * RFC 7507: a TLS 1.2-only ClientHello with TLS_FALLBACK_SCSV (a client
 * retrying after a failed TLS 1.3 attempt; the engine client's hook adds the
 * SCSV) to an engine server that supports TLS 1.3, which refuses it with a
 * fatal inappropriate_fallback alert.
 */
async function refusedFallback(p: Pki): Promise<Targeted> {
  const cfg = configs(p, '1.2');
  const hooks: EngineHooks = {
    beforeSend(msg) {
      if (msg.type !== 'client_hello') return undefined;
      const m = decodeHandshake(msg.raw, { version: 0x0303 });
      if (m.message.body.type === 'client_hello') m.message.body.cipherSuites.push(SCSV.TLS_FALLBACK_SCSV);
      return [encodeHandshake(m.message)];
    },
  };
  const r = await run(
    'TLS_FALLBACK_SCSV refused with inappropriate_fallback',
    p,
    {
      client: cfg.client,
      server: {
        ...cfg.server,
        versions: [0x0304, 0x0303],
        cipherSuites: [CipherSuite13.TLS_AES_128_GCM_SHA256, ...(cfg.server.cipherSuites ?? [])],
      },
    },
    { client: hooks },
  );
  const refused = r.t.messages.filter((m) => m.dir === 'S->C').map((m) => (m.kind === 'alert' ? m.alert?.description : m.type));
  if (refused.join() !== '86')
    throw new Error(`the engine server did not refuse the fallback with inappropriate_fallback alone: ${refused.join()}`);
  return r;
}
