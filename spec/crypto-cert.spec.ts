/**
 * Crypto and certificate oracles: the real captures with their key logs and
 * trust anchors pass (no violation), without key log the keys rules are
 * inconclusive, and each hand-made violation trips its rule.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { readCaptureTranscripts } from '../capture/tls';
import {
  binderKey,
  certificateVerifyContent13,
  createRecordProtection,
  pskBinder,
  resumptionPsk,
  tls13Schedule,
  deriveEcdh,
  dhPublicFromPrivate,
  ECDH_GROUPS,
  ecdhGroupCodes,
  generateEcdhKeyPair,
  isMontgomery,
  smallOrderPoints,
  digest,
  ffdheParams,
  importSigningKey,
  encapsulateKemShare,
  generateKemClientShare,
  lookupKeyLog,
  nextTrafficSecret,
  nodeProvider,
  parseKeyLog,
  sign,
  tls13Params,
  trafficKeys,
} from '../crypto';
import { type CertSpec, KeyUsage, buildCert, buildChain, plainCertSpec } from '../pki/chain';
import { KeyPool } from '../pki/keypool';
import { type RuleId, allRules } from '../oracles/catalogue';
import { type CheckOptions, checkTranscript, ruleStatus } from '../oracles/evaluate';
import { pemBlocks } from '../pki/pem';
import type { Transcript } from '../transcript/model';
import { concatBytes } from '../wire/hex';
import { encodeRecord } from '../wire/record';
import { ExtensionType as X, cipherSuites } from '../wire/registry';
import { testPki } from '../engine/fixtures';
import { runInMemory } from '../engine/memory';
import { captureTranscripts } from './support/capture-transcripts';
import { type Entry, at, buildFromMessages, edit, entriesOf, findCase, hrr } from './support/mutate';
import { SHARED, type SharedCase, sharedCases } from './support/shared';

const C = 'C->S' as const;
const S = 'S->C' as const;
const V12 = { version: 0x0303, kex: 'ECDHE_RSA' as const };
const V13 = { version: 0x0304 };
const CASES = { t12: 'openssl-t12', t13: 'openssl-t13' } as const;
type Base = keyof typeof CASES;

function keylogOf(c: SharedCase): string[] {
  return c.keylog
    ? readFileSync(c.keylog, 'utf8')
        .split(/\r?\n/)
        .filter((l) => l.trim())
    : [];
}
function trustOf(c: SharedCase): Uint8Array[] {
  const pki = c.meta['pki'];
  if (typeof pki !== 'string') return [];
  const f = join(SHARED, 'captures', pki, 'rootCA.crt');
  return existsSync(f) ? pemBlocks(readFileSync(f, 'utf8'), 'CERTIFICATE') : [];
}
function atOf(c: SharedCase): Date | undefined {
  const g = c.meta['generated_utc'];
  return typeof g === 'string' ? new Date(g) : undefined;
}
function optsOf(c: SharedCase): CheckOptions {
  const o: CheckOptions = { trustAnchors: trustOf(c) };
  const a = atOf(c);
  if (a) o.at = a;
  return o;
}

// (the rules decided across the connections of a run, hello.random-fresh and kex.ephemeral-fresh, have no transcript
// check for a row to violate: oracles/across.test.ts and the faulty-target spec's reuse-server-randomness prove them)
const MINE = allRules
  .filter((r) => (r.group === 'crypto' || r.group === 'certificates' || r.id === 't13.neg.cv-sigalg') && !r.across)
  .map((r) => r.id);

/** Flip the last byte of a message (the end of its signature or verify_data). */
const flipLast = (E: Entry[], type: string, dir: 'C->S' | 'S->C'): void => {
  const i = at(E, type, dir);
  const raw = Uint8Array.from(E[i]!.raw!);
  raw[raw.length - 1]! ^= 0x01;
  E[i] = { ...E[i]!, raw };
};
/** Overwrite the two scheme bytes of the ServerKeyExchange signature. */
const skeScheme = (E: Entry[], scheme: number): void => {
  const i = at(E, 'server_key_exchange', S);
  const raw = Uint8Array.from(E[i]!.raw!);
  // layout: ... scheme(2) len(2) sig(len); the signature is 256 bytes for the capture's RSA-2048 key
  const at2 = raw.length - 256 - 4;
  raw[at2] = scheme >> 8;
  raw[at2 + 1] = scheme & 0xff;
  E[i] = { ...E[i]!, raw };
};
/** Drop the last signature byte of the ServerKeyExchange (lengths fixed up). */
const skeTruncate = (E: Entry[]): void => {
  const i = at(E, 'server_key_exchange', S);
  const raw = Uint8Array.from(E[i]!.raw!.subarray(0, E[i]!.raw!.length - 1));
  const body = raw.length - 4;
  raw[1] = body >> 16;
  raw[2] = (body >> 8) & 0xff;
  raw[3] = body & 0xff;
  const l = raw.length - 255 - 2;
  raw[l] = 0;
  raw[l + 1] = 255;
  E[i] = { ...E[i]!, raw };
};
/** The client CertificateVerify signature shortened by one byte, its lengths fixed (as t12-cv-sig-truncated). */
const cvTruncate = (E: Entry[]): void => {
  const i = at(E, 'certificate_verify', C);
  const raw = Uint8Array.from(E[i]!.raw!.subarray(0, E[i]!.raw!.length - 1));
  const body = raw.length - 4;
  raw[1] = body >> 16;
  raw[2] = (body >> 8) & 0xff;
  raw[3] = body & 0xff;
  const sig = raw.length - 8;
  raw[6] = sig >> 8;
  raw[7] = sig & 0xff;
  E[i] = { ...E[i]!, raw };
};
/** A plaintext fatal alert entry. */
const alertEntry = (dir: 'C->S' | 'S->C', description: number): Entry => ({
  dir,
  kind: 'alert',
  raw: Uint8Array.of(2, description),
  encrypted: false,
});
const serverCerts = (E: Entry[], certs: Uint8Array[], v: Parameters<typeof edit>[3] = V12): void =>
  edit(E, 'certificate', S, v, (b) => {
    if (b.form === 'tls12') b.certificates = certs;
    else b.entries = certs.map((data) => ({ data, extensions: [] }));
  });
const pkiFile = (name: string, file: string): Uint8Array =>
  pemBlocks(readFileSync(join(SHARED, 'captures', 'pki', name, file), 'utf8'), 'CERTIFICATE')[0]!;
const addShare = (E: Entry[], group: number, keyExchange: Uint8Array): void =>
  edit(E, 'client_hello', C, V13, (b) => {
    const ks = b.extensions!.find((e) => e.type === X.key_share)!.body;
    if (ks.kind === 'key_share_client') ks.shares.push({ group, keyExchange });
  });

/** A premaster secret naming version 0x0301 where the ClientHello offered 0x0303. */
const PMS_VERSION_0301 = Uint8Array.of(0x03, 0x01, ...new Array(46).fill(9));

/**
 * The TLS 1.2 base made an RSA key exchange (TLS_RSA_WITH_AES_256_GCM_SHA384, a pool key's certificate, no
 * ServerKeyExchange) whose ClientKeyExchange carries `premaster` encrypted to that key; the check gets the key.
 */
async function rsaKeyExchange(E: Entry[], premaster: Uint8Array): Promise<void> {
  const key = await pool.key('rsa2048', 1);
  const [leaf] = await buildChain([leafSpec(), caSpec('CN=tlsprop test root')], pool, provider);
  edit(E, 'server_hello', S, V12, (b) => {
    b.cipherSuite = 0x009d;
  });
  E.splice(at(E, 'server_key_exchange', S), 1);
  serverCerts(E, [leaf!.der]);
  const spki = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
  const enc = new Uint8Array(publicEncrypt({ key: spki, padding: constants.RSA_PKCS1_PADDING }, premaster));
  const j = at(E, 'client_key_exchange', C);
  E[j] = { ...E[j]!, raw: hsMsg(16, concatBytes([u16(enc.length), enc])) };
  PENDING.opts = { privateKeys: [key.pkcs8] };
}

interface Row {
  rule: RuleId;
  base: Base;
  m?: (E: Entry[]) => void | Promise<void>;
  /** Extra options (key log and trust of the base case are always given). */
  o?: () => CheckOptions;
  /** Edit the finished transcript (secrets). */
  t?: (t: Transcript) => void | Promise<void>;
  /** Give the base connection as the earlier connection (edited by `om`, its ephemeral keys from PENDING.earlierEphemeral). */
  earlier?: boolean;
  om?: (E: Entry[]) => void | Promise<void>;
  /** Start from the capture file read by capture/ (records with ciphertext) instead of tshark's messages; `t` edits it. */
  pcap?: boolean;
  /** Instead of a capture, a handshake of our engine (for what no capture here has, e.g. a PSK suite); `t` edits it. */
  generated?: () => Promise<Transcript>;
}

async function fromPcap(c: SharedCase): Promise<Transcript> {
  const ts = await readCaptureTranscripts(c.capture, { keylog: readFileSync(c.keylog!, 'utf8') });
  return ts[0]!.transcript;
}
/** Flip one ciphertext byte of the nth protected record of a direction. */
/** The key log with one secret's last byte flipped (the records it protects then open with nothing). */
const wrongKeyLog = (t: Transcript, label: string): void => {
  t.secrets = {
    ...t.secrets,
    keylog: (t.secrets?.keylog ?? []).map((l) => {
      if (!l.startsWith(`${label} `)) return l;
      const last = Number.parseInt(l.slice(-2), 16) ^ 1;
      return `${l.slice(0, -2)}${last.toString(16).padStart(2, '0')}`;
    }),
  };
};
/** Append a client KeyUpdate and an application record; `right` protects the latter with the updated secret, else with the old one. */
const keyUpdate =
  (right: boolean) =>
  async (t: Transcript): Promise<void> => {
    const P = provider;
    const suite = cipherSuites.get(0x1302)!;
    const ch = t.messages.find((m) => m.type === 'client_hello')!.raw!;
    const cats0 = lookupKeyLog(parseKeyLog(t.secrets!.keylog!.join('\n')), ch.subarray(6, 38)).CLIENT_TRAFFIC_SECRET_0!;
    const prot = async (secret: Uint8Array) =>
      createRecordProtection(P, tls13Params(suite, await trafficKeys(P, 'SHA-384', secret, 32)));
    const old = await prot(cats0);
    const n = BigInt(t.records.filter((r) => r.dir === C && r.encrypted && r.epoch === 'application').length);
    const add = (rec: { type: number; version: number; fragment: Uint8Array }, inner: number, fragment: Uint8Array) =>
      t.records.push({
        index: t.records.length,
        dir: C,
        contentType: rec.type,
        version: rec.version,
        raw: encodeRecord({ contentType: rec.type, version: rec.version, fragment: rec.fragment }),
        encrypted: true,
        plaintext: { contentType: inner, fragment },
        epoch: 'application',
      });
    const ku = Uint8Array.of(24, 0, 0, 1, 0);
    add(await old.protect(n, 22, 0x0303, ku), 22, ku);
    const data = new TextEncoder().encode('after the update');
    add(
      right
        ? await (await prot(await nextTrafficSecret(P, 'SHA-384', cats0))).protect(0n, 23, 0x0303, data)
        : await old.protect(n + 1n, 23, 0x0303, data),
      23,
      data,
    );
  };

const X25519_BASE = Uint8Array.of(9, ...new Array(31).fill(0));
async function x25519Pair(seed: number): Promise<{ priv: Uint8Array; pub: Uint8Array }> {
  const priv = new Uint8Array(32).fill(seed);
  const r = await deriveEcdh(provider, 'x25519', priv, X25519_BASE);
  if (!r.ok) throw new Error(r.reason);
  return { priv, pub: r.value };
}
/** Replace the ECDHE values of a TLS 1.2 base with our own key pairs and attach their private keys. */
const eph12 =
  (mismatch = false) =>
  async (E: Entry[]) => {
    const c = await x25519Pair(3);
    const s = await x25519Pair(5);
    edit(E, 'server_key_exchange', S, V12, (b) => {
      if (b.kex === 'ecdhe') b.publicKey = s.pub;
    });
    edit(E, 'client_key_exchange', C, V12, (b) => {
      if (b.kex === 'ecdhe') b.publicKey = c.pub;
    });
    PENDING.ephemeral = [{ group: 29, clientPrivate: c.priv, serverPrivate: mismatch ? new Uint8Array(32).fill(7) : s.priv }];
  };
const eph13 = async (E: Entry[]) => {
  const c = await x25519Pair(3);
  const s = await x25519Pair(5);
  edit(E, 'client_hello', C, V13, (b) => {
    const ks = b.extensions!.find((e) => e.type === X.key_share)!.body;
    if (ks.kind === 'key_share_client') ks.shares = [{ group: 29, keyExchange: c.pub }];
  });
  edit(E, 'server_hello', S, V13, (b) => {
    const ks = b.extensions!.find((e) => e.type === X.key_share)!.body;
    if (ks.kind === 'key_share_server') ks.share = { group: 29, keyExchange: s.pub };
  });
  PENDING.ephemeral = [{ group: 29, clientPrivate: c.priv, serverPrivate: s.priv }];
};
const noEms = (E: Entry[]) => {
  edit(E, 'client_hello', C, V12, (b) => {
    b.extensions = b.extensions!.filter((e) => e.type !== X.extended_master_secret);
  });
  edit(E, 'server_hello', S, V12, (b) => {
    b.extensions = b.extensions!.filter((e) => e.type !== X.extended_master_secret);
  });
};
/** Per-row scratch for secrets and options set by `m` (rows run one at a time). */
const PENDING: {
  ephemeral?: NonNullable<Transcript['secrets']>['ephemeral'];
  earlierEphemeral?: NonNullable<Transcript['secrets']>['ephemeral'];
  opts?: CheckOptions;
} = {};

// One provider and key pool for this file's certificates (each key imported once).
const provider = nodeProvider();
const pool = new KeyPool({ provider });
const spec = plainCertSpec;
const caSpec = (subject: string, over: Partial<CertSpec> = {}): CertSpec =>
  spec(subject, { basicConstraints: { ca: true }, keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign, ...over });
const leafSpec = (over: Partial<CertSpec> = {}): CertSpec =>
  spec('CN=localhost', {
    key: { type: 'rsa2048', index: 1 },
    serial: '10',
    keyUsage: KeyUsage.digitalSignature | KeyUsage.keyEncipherment,
    extKeyUsage: ['serverAuth'],
    san: { dns: ['localhost'], ips: [] },
    ...over,
  });
/** Put a generated chain (leaf first, root last) in the server Certificate and trust its root. */
const useChain = async (E: Entry[], specs: CertSpec[]): Promise<void> => {
  const built = await buildChain(specs, pool, provider);
  serverCerts(
    E,
    built.slice(0, -1).map((c) => c.der),
  );
  PENDING.opts = { trustAnchors: [built[built.length - 1]!.der] };
};
/** Replace `from` by `to` (same length) at the last (or every) occurrence in a certificate. */
const patch = (der: Uint8Array, from: string, to: string, every = false): Uint8Array => {
  const h = Buffer.from(der).toString('hex');
  const out = every
    ? h.split(from).join(to)
    : `${h.slice(0, h.lastIndexOf(from))}${to}${h.slice(h.lastIndexOf(from) + from.length)}`;
  return Uint8Array.from(Buffer.from(out, 'hex'));
};
const SHA256_RSA = '06092a864886f70d01010b';
const u16 = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff);
const hsMsg = (type: number, body: Uint8Array): Uint8Array =>
  concatBytes([Uint8Array.of(type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff), body]);
/** Turn the TLS 1.2 base into a DHE_RSA handshake with the given p, g and public values (signature left invalid). */
const toDhe = (E: Entry[], p: Uint8Array, g: Uint8Array, ys: Uint8Array, yc: Uint8Array): void => {
  edit(E, 'server_hello', S, V12, (b) => {
    b.cipherSuite = 0x009f;
  });
  const i = at(E, 'server_key_exchange', S);
  const params = concatBytes([u16(p.length), p, u16(g.length), g, u16(ys.length), ys]);
  E[i] = { ...E[i]!, raw: hsMsg(12, concatBytes([params, Uint8Array.of(0x08, 0x04), u16(256), new Uint8Array(256).fill(1)])) };
  const j = at(E, 'client_key_exchange', C);
  E[j] = { ...E[j]!, raw: hsMsg(16, concatBytes([u16(yc.length), yc])) };
};

const ROWS: Row[] = [
  { rule: 't12.ske.signature-input', base: 't12', m: (E) => flipLast(E, 'server_key_exchange', S) },
  { rule: 't12.ske.signature-valid', base: 't12', m: (E) => flipLast(E, 'server_key_exchange', S) },
  { rule: 't12.ske.signature-encoding', base: 't12', m: skeTruncate },
  {
    rule: 't12.ske.anon-unsigned',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0xc018;
      }),
  },
  { rule: 'sig.rsa-pkcs1-strict', base: 't12', m: (E) => skeScheme(E, 0x0401) },
  { rule: 'sig.eddsa-usage', base: 't12', m: (E) => skeScheme(E, 0x0807) },
  { rule: 't12.cv.signature-input', base: 't12', m: (E) => flipLast(E, 'certificate_verify', C) },
  { rule: 't12.cv.signature-valid', base: 't12', m: (E) => flipLast(E, 'certificate_verify', C) },
  // livejudge split it from t12.ske.signature-encoding (RFC 5246 §4.7 binds each signer; §7.4.8 the CertificateVerify)
  { rule: 't12.cv.signature-encoding', base: 't12', m: cvTruncate },
  { rule: 't12.fin.verify-data', base: 't12', m: (E) => flipLast(E, 'finished', S) },
  { rule: 't12.fin.transcript-scope', base: 't12', m: (E) => void E.splice(at(E, 'certificate_request', S), 1) },
  {
    rule: 't12.ks.prf',
    base: 't12',
    m: (E) => {
      flipLast(E, 'finished', S);
      flipLast(E, 'finished', C);
    },
  },
  { rule: 't12.ks.ems', base: 't12', m: eph12() },
  {
    // an ECDHE_PSK handshake of our engine judged with another key under its identity: the premaster recomputed with it
    // does not give the logged master secret (RFC 4279 §2, RFC 5489 §2)
    rule: 't12.ks.pms-psk',
    base: 't12',
    generated: async () => {
      const pki = await testPki();
      const psk = { identity: new TextEncoder().encode('device'), key: new Uint8Array(32).fill(1) };
      const r = await runInMemory(
        { provider: nodeProvider(), versions: [0x0303], cipherSuites: [0xc037], psk, trustAnchors: pki.anchors },
        { provider: nodeProvider(), identity: pki.identity('server', 'rsa'), psks: [psk] },
      );
      return r.transcript;
    },
    t: (t) => {
      t.secrets = { ...t.secrets, psks: [{ identity: new TextEncoder().encode('device'), key: new Uint8Array(32).fill(2) }] };
    },
  },
  {
    // a TLS 1.3 post-handshake authentication of our engine whose client Finished has one bit flipped before it is
    // sent: recomputed under client_application_traffic_secret_0 it differs (RFC 8446 §4.4.4, §4.6.2)
    rule: 't13.pha.finished',
    base: 't13',
    generated: async () => {
      const pki = await testPki();
      let finished = 0;
      const beforeSend = (m: { type: string; raw: Uint8Array }): Uint8Array[] | undefined => {
        if (m.type !== 'finished' || ++finished !== 2) return undefined;
        const raw = m.raw.slice();
        raw[raw.length - 1]! ^= 1;
        return [raw];
      };
      const r = await runInMemory(
        {
          provider: nodeProvider(),
          versions: [0x0304],
          trustAnchors: pki.anchors,
          identity: pki.identity('client', 'ecdsa'),
          postHandshakeAuth: true,
        },
        { provider: nodeProvider(), versions: [0x0304], identity: pki.identity('server', 'rsa'), trustAnchors: pki.anchors },
        { client: { beforeSend } },
        { postHandshakeAuths: 1 },
      );
      return r.transcript;
    },
  },
  { rule: 't12.ks.pms-ecdh', base: 't12', m: eph12() },
  {
    rule: 't12.ks.master-secret',
    base: 't12',
    m: async (E) => {
      noEms(E);
      await eph12()(E);
    },
  },
  { rule: 'ecdh.symmetry', base: 't12', m: eph12(true) },
  { rule: 'ecdh.shared-secret-encoding', base: 't12', m: eph12() },
  {
    rule: 't12.rsa.cke-encoding',
    base: 't12',
    m: (E) => {
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0x009c;
      });
      E.splice(at(E, 'server_key_exchange', S), 1);
      const i = at(E, 'client_key_exchange', C);
      E[i] = { ...E[i]!, raw: Uint8Array.of(16, 0, 0, 3, 1, 2, 3) };
    },
  },
  { rule: 't13.cv.signed-content', base: 't13', m: (E) => flipLast(E, 'certificate_verify', S) },
  { rule: 't13.cv.signature-valid', base: 't13', m: (E) => flipLast(E, 'certificate_verify', C) },
  {
    rule: 't13.cv.rsa-pss',
    base: 't13',
    m: (E) =>
      edit(E, 'certificate_verify', S, V13, (b) => {
        if (b.type === 'certificate_verify') b.scheme = 0x0401;
      }),
  },
  {
    rule: 't13.neg.cv-sigalg',
    base: 't13',
    m: (E) =>
      edit(E, 'certificate_verify', S, V13, (b) => {
        if (b.type === 'certificate_verify') b.scheme = 0x0601;
      }),
  },
  { rule: 't13.fin.verify-data', base: 't13', m: (E) => flipLast(E, 'finished', C) },
  { rule: 't13.fin.transcript-scope', base: 't13', m: (E) => void E.splice(at(E, 'certificate_request', S), 1) },
  {
    rule: 't13.ks.transcript-hash',
    base: 't13',
    m: (E) => {
      flipLast(E, 'finished', S);
      flipLast(E, 'finished', C);
    },
  },
  {
    rule: 't13.ks.hkdf-expand-label',
    base: 't13',
    m: (E) => {
      flipLast(E, 'finished', S);
      flipLast(E, 'finished', C);
    },
  },
  {
    rule: 't13.ks.hrr-message-hash',
    base: 't13',
    m: (E) => {
      const ch = E[at(E, 'client_hello', C)]!;
      E.splice(at(E, 'server_hello', S), 0, hrr(0x1302, ch.raw!.subarray(39, 71), 29), { ...ch });
    },
  },
  { rule: 't13.ks.schedule', base: 't13', m: eph13 },
  { rule: 't13.ks.secrets', base: 't13', m: eph13 },
  { rule: 'ecdh.point-format', base: 't13', m: (E) => addShare(E, 23, new Uint8Array(64).fill(4)) },
  { rule: 'ecdh.point-on-curve', base: 't13', m: (E) => addShare(E, 23, Uint8Array.of(4, ...new Array(64).fill(1))) },
  // ML-KEM (draft-ietf-tls-ecdhe-mlkem §3.1): a second client share of X25519MLKEM768 (0x11ec) broken each way
  { rule: 'mlkem.share-length', base: 't13', m: (E) => addShare(E, 0x11ec, new Uint8Array(1215).fill(1)) },
  {
    rule: 'mlkem.encapsulation-key',
    base: 't13',
    m: (E) => addShare(E, 0x11ec, new Uint8Array(1216).fill(0xff)),
  },
  {
    rule: 'mlkem.ecdh-part',
    base: 't13',
    // an encapsulation key of zero coefficients (it passes the modulus check), then the X25519 point u = 0
    m: (E) => addShare(E, 0x11ec, new Uint8Array(1216)),
  },
  {
    rule: 'mlkem.ciphertext-encapsulates',
    base: 't13',
    // the client's share and decapsulation key are real; the server's ciphertext has a bit flipped (implicit rejection)
    m: async (E) => {
      const kp = await generateKemClientShare(provider, 'X25519MLKEM768');
      const sv = await encapsulateKemShare(provider, 'X25519MLKEM768', kp.publicKey);
      if (!sv.ok) throw new Error(sv.reason);
      const ct = sv.value.keyExchange.slice();
      ct[0]! ^= 0x01;
      PENDING.ephemeral = [{ group: 0x11ec, clientPrivate: kp.privateKey }];
      edit(E, 'client_hello', C, V13, (b) => {
        const ks = b.extensions!.find((e) => e.type === X.key_share)!.body;
        if (ks.kind === 'key_share_client') ks.shares = [{ group: 0x11ec, keyExchange: kp.publicKey }];
      });
      edit(E, 'server_hello', S, V13, (b) => {
        const ks = b.extensions!.find((e) => e.type === X.key_share)!.body;
        if (ks.kind === 'key_share_server') ks.share = { group: 0x11ec, keyExchange: ct };
      });
    },
  },
  {
    rule: 'ecdh.x25519-zero',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        const ks = b.extensions!.find((e) => e.type === X.key_share)!.body;
        if (ks.kind === 'key_share_client') ks.shares[0]!.keyExchange = new Uint8Array(32);
      }),
  },
  {
    rule: 'ecdh.same-group',
    base: 't13',
    m: (E) =>
      edit(E, 'server_hello', S, V13, (b) => {
        const ks = b.extensions!.find((e) => e.type === X.key_share)!.body;
        if (ks.kind === 'key_share_server') ks.share.group = 0x17;
      }),
  },
  {
    rule: 'ecdh.independent-shares',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        const ks = b.extensions!.find((e) => e.type === X.key_share)!.body;
        if (ks.kind === 'key_share_client') ks.shares.push({ group: 23, keyExchange: ks.shares[0]!.keyExchange });
      }),
  },
  { rule: 'dh.share-encoding', base: 't13', m: (E) => addShare(E, 256, new Uint8Array(255).fill(2)) },
  { rule: 'dh.pubkey-range', base: 't13', m: (E) => addShare(E, 256, Uint8Array.of(...new Array(255).fill(0), 1)) },
  {
    rule: 't12.ks.pms-dh',
    base: 't12',
    m: async (E) => {
      const x = new Uint8Array(32).fill(0x33);
      const y = new Uint8Array(32).fill(0x55);
      const P = provider;
      toDhe(
        E,
        ffdheParams('ffdhe2048').p,
        Uint8Array.of(2),
        await dhPublicFromPrivate(P, 'ffdhe2048', x),
        await dhPublicFromPrivate(P, 'ffdhe2048', y),
      );
      PENDING.ephemeral = [{ group: 256, serverPrivate: x, clientPrivate: y }];
    },
  },
  {
    rule: 'dh.group-strength',
    base: 't12',
    m: (E) =>
      toDhe(
        E,
        Uint8Array.from(Buffer.from(((1n << 521n) - 1n).toString(16).padStart(132, '0'), 'hex')),
        Uint8Array.of(3),
        Uint8Array.of(5),
        Uint8Array.of(7),
      ),
  },
  {
    rule: 't12.ks.pms-rsa',
    base: 't12',
    m: async (E) => {
      await rsaKeyExchange(E, PMS_VERSION_0301);
    },
  },
  {
    rule: 't13.cv.context-string',
    base: 't13',
    m: async (E) => {
      // our own server key, so the CertificateVerify can be re-signed with the client's context string
      const [leaf] = await buildChain([leafSpec(), caSpec('CN=tlsprop test root')], pool, provider);
      const key = await pool.key('rsa2048', 1);
      serverCerts(E, [leaf!.der], V13);
      const cv = at(E, 'certificate_verify', S);
      const th = await digest(
        provider,
        'SHA-384',
        concatBytes(
          E.slice(0, cv)
            .filter((e) => e.kind === 'handshake')
            .map((e) => e.raw!),
        ),
      );
      const signer = await importSigningKey(provider, 0x0804, key.pkcs8, key.spki);
      const sig = await sign(provider, signer, certificateVerifyContent13('client', th));
      edit(E, 'certificate_verify', S, V13, (b) => {
        if (b.type === 'certificate_verify') {
          b.scheme = 0x0804;
          b.signature = sig;
        }
      });
    },
  },
  {
    rule: 't13.psk.obfuscated-age',
    base: 't13',
    earlier: true,
    m: (E) => {
      const nst = E[at(E, 'new_session_ticket', S)]!.raw!;
      // NewSessionTicket: lifetime(4) age_add(4) nonce<1> ticket<2>
      const ageAdd = Buffer.from(nst.subarray(8, 12)).readUInt32BE(0);
      const nl = nst[12]!;
      const tl = (nst[13 + nl]! << 8) | nst[14 + nl]!;
      const ticket = nst.slice(15 + nl, 15 + nl + tl);
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = [
          ...b.extensions!,
          {
            type: X.pre_shared_key,
            body: {
              kind: 'pre_shared_key_client',
              identities: [{ identity: ticket, obfuscatedTicketAge: (ageAdd + 0xf0000000) % 2 ** 32 }],
              binders: [new Uint8Array(48)],
            },
          },
        ];
      });
    },
  },
  // keys that open no record: the key log carries another master secret / other traffic secrets (one flipped record whose
  // neighbours open is rec.integrity, spec/rule-violations.spec.ts)
  { rule: 't12.ks.key-block', base: 't12', pcap: true, t: async (t) => wrongKeyLog(t, 'CLIENT_RANDOM') },
  { rule: 't13.ks.traffic-keys', base: 't13', pcap: true, t: async (t) => wrongKeyLog(t, 'SERVER_HANDSHAKE_TRAFFIC_SECRET') },
  { rule: 't13.ks.key-update', base: 't13', pcap: true, t: keyUpdate(false) },
  { rule: 't13.psk.binder', base: 't13', earlier: true, om: eph13, m: (E) => offerTicket(E, new Uint8Array(48).fill(0xab)) },
  {
    rule: 't13.ks.resumption-psk',
    base: 't13',
    earlier: true,
    om: eph13,
    m: (E) => offerTicket(E, new Uint8Array(48).fill(0xab)),
  },
  { rule: 'cert.path.name-constraints', base: 't12', m: (E) => constrainedChain(E, dnsSubtree(0xa0, 'example.com')) },
  {
    rule: 'cert.t13.oid-filters',
    base: 't13',
    m: (E) =>
      edit(E, 'certificate_request', S, V13, (b) => {
        if (b.form === 'tls13')
          b.extensions = [
            ...b.extensions,
            { type: X.oid_filters, body: { kind: 'opaque', data: Uint8Array.of(0, 6, 3, 0x55, 0x1d, 0x1e, 0, 0) } },
          ];
      }),
  },
  // certificates
  {
    rule: 'cert.path.path-length',
    base: 't12',
    m: (E) =>
      useChain(E, [
        leafSpec(),
        caSpec('CN=tlsprop test intermediate', { key: { type: 'rsa2048', index: 2 }, serial: '02' }),
        caSpec('CN=tlsprop test root', { basicConstraints: { ca: true, pathLen: 0 } }),
      ]),
  },
  {
    rule: 'cert.path.keycertsign',
    base: 't12',
    m: (E) =>
      useChain(E, [
        leafSpec(),
        caSpec('CN=tlsprop test intermediate', {
          key: { type: 'rsa2048', index: 2 },
          serial: '02',
          keyUsage: KeyUsage.digitalSignature,
        }),
        caSpec('CN=tlsprop test root'),
      ]),
  },
  {
    rule: 'cert.leaf.key-usage',
    base: 't12',
    m: (E) => useChain(E, [leafSpec({ keyUsage: KeyUsage.keyEncipherment }), caSpec('CN=tlsprop test root')]),
  },
  // keyUsage (critical) turned into the unknown extension 2.5.29.99
  {
    rule: 'cert.path.critical-extensions',
    base: 't12',
    m: async (E) => {
      const [leaf, root] = await buildChain([leafSpec(), caSpec('CN=tlsprop test root')], pool, provider);
      serverCerts(E, [patch(leaf!.der, '0603551d0f', '0603551d63')]);
      PENDING.opts = { trustAnchors: [root!.der] };
    },
  },
  {
    rule: 'cert.sig-alg-fields-match',
    base: 't12',
    m: (E) => serverCerts(E, [patch(pkiFile('rsa', 'server.crt'), SHA256_RSA, '06092a864886f70d01010c')]),
  },
  {
    rule: 'cert.weak-hash',
    base: 't12',
    m: (E) => serverCerts(E, [patch(pkiFile('rsa', 'server.crt'), SHA256_RSA, '06092a864886f70d010104', true)]),
  },
  {
    rule: 'cert.path.signature',
    base: 't12',
    m: (E) => {
      const c = Uint8Array.from(pkiFile('rsa', 'server.crt'));
      c[c.length - 1]! ^= 1;
      serverCerts(E, [c]);
    },
  },
  { rule: 'cert.path.trust-anchor', base: 't12', m: (E) => serverCerts(E, [pkiFile('ecdsa', 'server.crt')]) },
  {
    rule: 'cert.path.issuer-subject',
    base: 't12',
    m: (E) => serverCerts(E, [pkiFile('rsa', 'server.crt'), pkiFile('rsa', 'client.crt')]),
  },
  {
    rule: 'cert.path.ca-flag',
    base: 't12',
    m: (E) => serverCerts(E, [pkiFile('rsa', 'server.crt'), pkiFile('rsa', 'client.crt')]),
  },
  {
    rule: 'cert.chain.leaf-first',
    base: 't12',
    m: (E) => serverCerts(E, [pkiFile('rsa', 'server.crt'), pkiFile('rsa', 'client.crt')]),
  },
  { rule: 'cert.path.validity', base: 't12', o: () => ({ at: new Date('2001-01-01T00:00:00Z') }) },
  { rule: 'cert.leaf.eku', base: 't12', m: (E) => serverCerts(E, [pkiFile('rsa', 'client.crt')]) },
  {
    rule: 'cert.leaf.name',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        const sn = b.extensions!.find((e) => e.type === X.server_name)!.body;
        if (sn.kind === 'server_name') sn.names[0]!.name = new TextEncoder().encode('other.example');
      }),
  },
  { rule: 'cert.leaf.key-type', base: 't12', m: (E) => skeScheme(E, 0x0403) },
  { rule: 'cert.type-x509v3', base: 't12', m: (E) => serverCerts(E, [Uint8Array.of(0x30, 0x03, 1, 2, 3)]) },
  { rule: 'cert.chain.server-nonempty', base: 't12', m: (E) => serverCerts(E, []) },
  {
    rule: 'cert.sigalgs.server-chain',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        const sa = b.extensions!.find((e) => e.type === X.signature_algorithms)!.body;
        if (sa.kind === 'signature_algorithms') sa.schemes = [0x0804];
      }),
  },
  {
    rule: 'cert.sigalgs.client-chain',
    base: 't12',
    m: (E) =>
      edit(E, 'certificate_request', S, V12, (b) => {
        if (b.form === 'tls12') b.signatureAlgorithms = [0x0804];
      }),
  },
  {
    rule: 'cert.client.cert-types',
    base: 't12',
    m: (E) =>
      edit(E, 'certificate_request', S, V12, (b) => {
        if (b.form === 'tls12') b.certificateTypes = [64];
      }),
  },
  {
    rule: 'cert.server-selection',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        const sa = b.extensions!.find((e) => e.type === X.signature_algorithms)!.body;
        if (sa.kind === 'signature_algorithms') sa.schemes = [0x0403];
      }),
  },
  {
    rule: 'cert.t13.entry-extensions',
    base: 't13',
    m: (E) =>
      edit(E, 'certificate', S, V13, (b) => {
        if (b.form === 'tls13') b.entries[0]!.extensions = [{ type: 18, body: { kind: 'opaque', data: Uint8Array.of(0, 0) } }];
      }),
  },
  // ---- live rules decided from a transcript: the other side's reaction
  {
    rule: 't12.rsa.no-oracle',
    base: 't12',
    m: async (E) => {
      await rsaKeyExchange(E, PMS_VERSION_0301);
      // the server answers the malformed premaster at once with another alert than the Finished failure
      E.splice(at(E, 'client_key_exchange', C) + 1, E.length, alertEntry(S, 50));
    },
  },
  // the alert the Finished failure allows (decrypt_error), but sent before the client's ChangeCipherSpec and Finished:
  // an answer to the ClientKeyExchange alone tells the bad premaster apart (RFC 5246 §7.4.7.1 MUST NOT)
  {
    rule: 't12.rsa.no-oracle',
    base: 't12',
    m: async (E) => {
      await rsaKeyExchange(E, PMS_VERSION_0301);
      E.splice(at(E, 'client_key_exchange', C) + 1, E.length, alertEntry(S, 51));
    },
  },
  // the same alert after the client's ChangeCipherSpec but before its Finished (tlsfuzzer's "with wait" probes): the
  // server cannot have found the Finished wrong yet, so it answered the premaster (RFC 5246 §7.4.7.1 MUST NOT)
  {
    rule: 't12.rsa.no-oracle',
    base: 't12',
    m: async (E) => {
      await rsaKeyExchange(E, PMS_VERSION_0301);
      E.splice(at(E, 'change_cipher_spec', C) + 1, E.length, alertEntry(S, 51));
    },
  },
  {
    rule: 'cert.chain.client-empty',
    base: 't12',
    m: (E) => {
      const i = at(E, 'certificate', C);
      E[i] = { ...E[i]!, raw: hsMsg(11, Uint8Array.of(0, 0, 0)) };
      E.splice(at(E, 'certificate_verify', C), 1);
      E.splice(at(E, 'finished', C) + 1, E.length, alertEntry(S, 46));
    },
  },
  {
    rule: 'cert.reject-alert',
    base: 't12',
    m: (E) => {
      serverCerts(E, [pkiFile('ecdsa', 'server.crt')]);
      E.splice(at(E, 'server_hello_done', S) + 1, E.length, alertEntry(C, 50));
    },
  },
];

/** A root CA carrying a (non-critical) nameConstraints extension, then a leaf under it; the root is the trust anchor. */
async function constrainedChain(E: Entry[], nameConstraintsDer: Uint8Array): Promise<void> {
  const root = await buildCert(
    caSpec('CN=tlsprop constrained root', {
      key: { type: 'rsa2048', index: 2 },
      serial: '05',
      keyUsage: KeyUsage.keyCertSign,
      extraExtensions: [{ oid: '2.5.29.30', critical: false, value: nameConstraintsDer }],
    }),
    undefined,
    pool,
    provider,
  );
  const der = root.der;
  const leaf = await buildCert(leafSpec(), root, pool, provider);
  serverCerts(E, [leaf.der]);
  PENDING.opts = { trustAnchors: [der, ...trustOf(findCase(CASES.t12)!)] };
}
const dnsSubtree = (tag: 0xa0 | 0xa1, name: string): Uint8Array => {
  const n = new TextEncoder().encode(name);
  const sub = Uint8Array.of(0x30, n.length + 2, 0x82, n.length, ...n);
  return Uint8Array.of(0x30, sub.length + 2, tag, sub.length, ...sub);
};

async function earlierOf(c: SharedCase, om?: Row['om']): Promise<Transcript> {
  const O = entriesOf(c);
  const keep = PENDING.ephemeral;
  await om?.(O);
  const o = buildFromMessages(O);
  if (om && PENDING.ephemeral) o.secrets = { ephemeral: PENDING.ephemeral };
  PENDING.ephemeral = keep;
  return o;
}
/** The first ticket the base connection issued, with its nonce. */
const ticketOf = (E: Entry[]): { ticket: Uint8Array; nonce: Uint8Array } => {
  const nst = E[at(E, 'new_session_ticket', S)]!.raw!;
  const nl = nst[12]!;
  const tl = (nst[13 + nl]! << 8) | nst[14 + nl]!;
  return { nonce: nst.slice(13, 13 + nl), ticket: nst.slice(15 + nl, 15 + nl + tl) };
};
/** Offer the base connection's ticket in the ClientHello (pre_shared_key last), with this binder. */
const offerTicket = (E: Entry[], binder: Uint8Array): void => {
  const { ticket } = ticketOf(E);
  edit(E, 'client_hello', C, V13, (b) => {
    b.extensions = [
      ...b.extensions!,
      {
        type: X.pre_shared_key,
        body: { kind: 'pre_shared_key_client', identities: [{ identity: ticket, obfuscatedTicketAge: 0 }], binders: [binder] },
      },
    ];
  });
};

async function build(row: Row): Promise<{ t: Transcript; opts: CheckOptions }> {
  if (row.generated) {
    const t = await row.generated();
    await row.t?.(t);
    return { t, opts: row.o?.() ?? {} };
  }
  const c = findCase(CASES[row.base])!;
  const E = entriesOf(c);
  delete PENDING.ephemeral;
  delete PENDING.opts;
  delete PENDING.earlierEphemeral;
  await row.m?.(E);
  const t = row.pcap ? await fromPcap(c) : buildFromMessages(E);
  t.secrets = { keylog: keylogOf(c) };
  if (PENDING.ephemeral) t.secrets.ephemeral = PENDING.ephemeral;
  await row.t?.(t);
  const opts: CheckOptions = { ...optsOf(c), ...(row.o?.() ?? {}), ...(PENDING.opts ?? {}) };
  if (row.earlier) opts.earlier = [await earlierOf(c, row.om)];
  return { t, opts };
}

describe('crypto and certificate oracles', () => {
  const caps = captureTranscripts().filter((c) => c.name.startsWith('captures/'));
  it.each(caps.map((c) => [`${c.name}#${c.connection}`, c] as const))(
    '%s with key log and trust anchors: no violation, Finished and signatures pass',
    async (_n, c) => {
      const sc = sharedCases().find((x) => x.name === c.name)!;
      const t = { ...c.transcript, secrets: { keylog: keylogOf(sc) } };
      const r = await checkTranscript(t, optsOf(sc));
      expect(r.verdicts.filter((v) => MINE.includes(v.rule) && v.status === 'violation')).toEqual([]);
      const v = r.context.version === '1.3' ? ('13' as const) : ('12' as const);
      for (const id of [`t${v}.fin.verify-data`, 'cert.path.signature', 'cert.path.trust-anchor', 'cert.leaf.name'] as const)
        expect([id, ruleStatus(r.verdicts, id)]).toEqual([id, 'pass']);
      if (v === '13')
        for (const id of ['t13.cv.signature-valid', 't13.cv.signed-content'] as const)
          expect([id, ruleStatus(r.verdicts, id)]).toEqual([id, 'pass']);
      else
        for (const id of ['t12.ske.signature-valid', 't12.cv.signature-valid'] as const)
          expect([id, ruleStatus(r.verdicts, id)]).toEqual([id, 'pass']);
    },
  );
  it.each(caps.map((c) => [`${c.name}#${c.connection}`, c] as const))(
    '%s without key log: Finished rules inconclusive, no trust anchors: trust inconclusive',
    async (_n, c) => {
      const r = await checkTranscript(c.transcript);
      expect(r.verdicts.filter((v) => MINE.includes(v.rule) && v.status === 'violation')).toEqual([]);
      const v = r.context.version === '1.3' ? ('13' as const) : ('12' as const);
      for (const id of [`t${v}.fin.verify-data`, `t${v}.fin.transcript-scope`])
        expect(r.verdicts.find((x) => x.rule === id)).toMatchObject({
          status: 'inconclusive',
          detail: expect.stringMatching(/no key log/),
        });
      expect(r.verdicts.find((x) => x.rule === 'cert.path.trust-anchor')).toMatchObject({
        status: 'inconclusive',
        detail: expect.stringMatching(/no trust anchors given/),
      });
    },
  );
  it.each(caps.map((c) => [`${c.name}`, c] as const))(
    '%s read from the pcap with its key log: records reopen with the derived keys, no violation',
    async (_n, c) => {
      const sc = sharedCases().find((x) => x.name === c.name)!;
      const t = await fromPcap(sc);
      const r = await checkTranscript(t, optsOf(sc));
      expect(r.verdicts.filter((v) => MINE.includes(v.rule) && v.status === 'violation')).toEqual([]);
      expect(ruleStatus(r.verdicts, r.context.version === '1.3' ? 't13.ks.traffic-keys' : 't12.ks.key-block')).toBe('pass');
      if (r.context.version === '1.3') expect(ruleStatus(r.verdicts, 't13.ks.key-update')).toBe('not-applicable');
    },
  );
  it('a KeyUpdate followed by records under the next application secret passes t13.ks.key-update', async () => {
    const c = findCase(CASES.t13)!;
    const t = await fromPcap(c);
    await keyUpdate(true)(t);
    const r = await checkTranscript(t, optsOf(c));
    expect(ruleStatus(r.verdicts, 't13.ks.key-update')).toBe('pass');
    expect(ruleStatus(r.verdicts, 't13.ks.traffic-keys')).toBe('pass');
  });
  it('a ticket offered with the binder of its resumption PSK passes t13.psk.binder; without the original it is inconclusive', async () => {
    const c = findCase(CASES.t13)!;
    delete PENDING.ephemeral;
    const original = await earlierOf(c, eph13);
    const eph = original.secrets!.ephemeral![0]!;
    // the binder, computed here step by step from the original connection's (EC)DHE secret
    const P = provider;
    const O = entriesOf(c);
    await eph13(O);
    const hs = O.filter((e) => e.kind === 'handshake' && e.raw![0] !== 4).map((e) => e.raw!);
    const ksh = (n: number) => digest(P, 'SHA-384', concatBytes(hs.slice(0, n)));
    const z = await deriveEcdh(P, 'x25519', eph.clientPrivate!, (await x25519Pair(5)).pub);
    if (!z.ok) throw new Error(z.reason);
    const sfin = hs.findIndex((h) => h[0] === 20);
    const sched = await tls13Schedule(P, {
      hash: 'SHA-384',
      sharedSecret: z.value,
      serverHelloHash: await ksh(2),
      serverFinishedHash: await ksh(sfin + 1),
      clientFinishedHash: await ksh(hs.length),
    });
    const psk = await resumptionPsk(P, 'SHA-384', sched.resumptionMasterSecret!, ticketOf(O).nonce);
    const E = entriesOf(c);
    offerTicket(E, new Uint8Array(48));
    const ch = E[at(E, 'client_hello', C)]!.raw!;
    const binder = await pskBinder(
      P,
      'SHA-384',
      await binderKey(P, 'SHA-384', psk, 'resumption'),
      await digest(P, 'SHA-384', ch.subarray(0, ch.length - 51)),
    );
    const E2 = entriesOf(c);
    offerTicket(E2, binder);
    const r = await checkTranscript(buildFromMessages(E2), { earlier: [original] });
    expect(ruleStatus(r.verdicts, 't13.psk.binder')).toBe('pass');
    expect(ruleStatus(r.verdicts, 't13.ks.resumption-psk')).toBe('pass');
    const alone = await checkTranscript(buildFromMessages(E2));
    expect(alone.verdicts.find((v) => v.rule === 't13.psk.binder')).toMatchObject({
      status: 'inconclusive',
      detail: expect.stringMatching(/original connection was not given/),
    });
  });
  it('name constraints that the chain meets pass, excluded names are violations', async () => {
    const c = findCase(CASES.t12)!;
    for (const [der, want] of [
      [dnsSubtree(0xa0, 'localhost'), 'pass'],
      [dnsSubtree(0xa1, 'localhost'), 'violation'],
    ] as const) {
      const E = entriesOf(c);
      delete PENDING.opts;
      await constrainedChain(E, der);
      const r = await checkTranscript(buildFromMessages(E), { ...optsOf(c), ...(PENDING.opts ?? {}) });
      expect(ruleStatus(r.verdicts, 'cert.path.name-constraints')).toBe(want);
      expect(
        r.verdicts.filter(
          (v) => v.rule.startsWith('cert.') && v.status === 'violation' && v.rule !== 'cert.path.name-constraints',
        ),
      ).toEqual([]);
      expect(ruleStatus(r.verdicts, 'cert.path.signature')).toBe('pass');
      expect(ruleStatus(r.verdicts, 'cert.path.trust-anchor')).toBe('pass');
    }
  });
  it('oid_filters the client certificate meets pass', async () => {
    const c = findCase(CASES.t13)!;
    const E = entriesOf(c);
    // extendedKeyUsage (2.5.29.37) containing clientAuth
    const values = Uint8Array.of(0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02);
    edit(E, 'certificate_request', S, V13, (b) => {
      if (b.form === 'tls13')
        b.extensions = [
          ...b.extensions,
          {
            type: X.oid_filters,
            body: { kind: 'opaque', data: Uint8Array.from([0, 18, 3, 0x55, 0x1d, 0x25, 0, 12, ...values]) },
          },
        ];
    });
    const t = buildFromMessages(E);
    t.secrets = { keylog: keylogOf(c) };
    const r = await checkTranscript(t, optsOf(c));
    expect(r.verdicts.find((v) => v.rule === 'cert.t13.oid-filters')).toMatchObject({ status: 'pass' });
  });
  it('a certificate signed with an algorithm nothing here verifies (MD2) leaves cert.path.signature inconclusive, not a violation (tlsprop rules --gaps: a platform gap); cert.weak-hash still judges it', async () => {
    const MD2_RSA = '06092a864886f70d010102';
    const { t, opts } = await build({
      rule: 'cert.path.signature',
      base: 't12',
      m: (E) => serverCerts(E, [patch(pkiFile('rsa', 'server.crt'), SHA256_RSA, MD2_RSA, true)]),
    });
    const r = await checkTranscript(t, opts);
    const sig = r.verdicts.filter((v) => v.rule === 'cert.path.signature');
    expect(sig.filter((v) => v.status === 'violation')).toEqual([]);
    expect(sig.find((v) => v.status === 'inconclusive')?.detail).toMatch(
      /certificate 0's signature cannot be verified here: .*not implemented/,
    );
    expect(ruleStatus(r.verdicts, 'cert.weak-hash')).toBe('violation');
  });
  it('every crypto/certificate rule has a violating row here', () => {
    const covered = new Set(ROWS.map((r) => r.rule));
    expect(MINE.filter((id) => !covered.has(id))).toEqual([]);
  });
  it.each(ROWS.map((r, i) => [r.rule, i] as const))('%s (row %i)', async (rule, i) => {
    const { t, opts } = await build(ROWS[i]!);
    const verdicts = (await checkTranscript(t, opts)).verdicts.filter((v) => v.rule === rule);
    expect(verdicts.map((v) => v.status)).toContain('violation');
    if (process.env['TLSPROP_SHOW_ROWS'])
      process.stdout.write(`${rule}: ${verdicts.find((v) => v.status === 'violation')!.detail}\n`);
  });
});

/**
 * No "arithmetic missing" left for a registered group (issue #16 part 7):
 * a key share on every elliptic-curve group the registry has is judged by
 * ecdh.point-on-curve / ecdh.point-format / ecdh.x25519-zero, valid values
 * pass, broken ones are violations, never inconclusive for want of curve
 * arithmetic.
 */
describe('key shares on every registered elliptic-curve group are judged', () => {
  const weierstrass = ECDH_GROUPS.filter((g) => !isMontgomery(g));
  it.each(weierstrass.map((g) => [g] as const))('%s: a valid point passes, a moved one is a violation', async (g) => {
    const c = findCase(CASES.t13)!;
    const good = (await generateEcdhKeyPair(provider, g)).publicKey;
    const bad = good.slice();
    bad[bad.length - 1]! ^= 1;
    for (const [point, status] of [
      [good, 'pass'],
      [bad, 'violation'],
    ] as const) {
      const E = entriesOf(c);
      addShare(E, ecdhGroupCodes[g], point);
      const t = buildFromMessages(E);
      t.secrets = { keylog: keylogOf(c) };
      const r = await checkTranscript(t, { ...optsOf(c), provider });
      const mine = r.verdicts.filter((v) => v.rule === 'ecdh.point-on-curve' && v.message !== undefined);
      expect(mine.map((v) => v.status)).toContain(status);
      expect(mine.every((v) => v.status !== 'inconclusive')).toBe(true);
      expect(ruleStatus(r.verdicts, 'ecdh.point-format')).toBe('pass');
    }
  });
  it('x448: a small-order share is an ecdh.x25519-zero violation when the handshake went on', async () => {
    const c = findCase(CASES.t13)!;
    const E = entriesOf(c);
    addShare(E, ecdhGroupCodes.x448, smallOrderPoints('x448')[1]!);
    const t = buildFromMessages(E);
    t.secrets = { keylog: keylogOf(c) };
    const r = await checkTranscript(t, { ...optsOf(c), provider });
    expect(r.verdicts.filter((v) => v.rule === 'ecdh.x25519-zero').map((v) => v.status)).toContain('violation');
  });
});
