/**
 * The record layer and ChangeCipherSpec family (what our client sends,
 * towards servers), tlsfuzzer's record-layer, CCS and fragmentation scripts
 * as declarations:
 *
 * - ChangeCipherSpec where it does not belong: after the TLS 1.3 Finished,
 *   before the first ClientHello, inside a fragmented handshake message,
 *   twice, protected, of two bytes (RFC 8446 §5, RFC 5246 §7.1, §7.4);
 *   and where TLS 1.3 tells the receiver to drop it (a second dummy CCS);
 * - zero-length records: handshake and alert (forbidden), application data
 *   (allowed once it may flow), RFC 5246 §6.2.1, RFC 8446 §5.1;
 * - oversized records: 2^14 + 1 bytes of plaintext, TLS 1.3 ciphertext over
 *   2^14 + 256, TLS 1.2 ciphertext over 2^14 + 2048 (record_overflow);
 * - unknown content types, in plaintext and inside TLS 1.3 protection, and
 *   an all-zero TLS 1.3 inner plaintext;
 * - record-layer versions a receiver must ignore (RFC 5246 App. E.1,
 *   RFC 8446 §5.1);
 * - handshake messages fragmented and coalesced: every legal way (the
 *   receiver reassembles) and the illegal ones (another record type between
 *   the fragments of a TLS 1.3 handshake message, RFC 8446 §5.1).
 *
 * The record framing goes through the engine's beforeFrame hook (records of
 * any size, type and version, split or coalesced, protected with the keys in
 * use) and beforeSend's sendRecord (a record sealed under the current keys).
 */
import type { ClientConfig } from '../../engine/config';
import type { EngineHooks, FramePiece, HookFrame } from '../../engine/hooks';
import { concatBytes } from '../../wire/hex';
import { ContentType as CT, ExtensionType as X } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import { chunks } from './bytes';
import type { ClientSends, Mutation } from './model';
import type { BaseEnv, BaseName } from './support';
import { editRaw } from './support';

const T12: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm', 't12-rsa-kex'];
const T13: readonly BaseName[] = ['t13-server-auth', 't13-mutual'];
const MAX = 1 << 14;
const CCS_BYTE = Uint8Array.of(1);

type Sends = Pick<ClientSends, 'where' | 'mutate'>;
/** Our client offers the base's version only (a refused conversation still shows its version), with these hooks. */
const hooks = (h: (env: BaseEnv) => EngineHooks, config?: (c: ClientConfig) => ClientConfig): Sends => ({
  where: 'client-sends',
  mutate: (env) => {
    const c: ClientConfig = { ...env.client, versions: [VERSION_CODE[env.spec.version]] };
    return { config: config ? config(c) : c, hooks: h(env) };
  },
});
/** TLS 1.3 middlebox compatibility mode on: the client sends its dummy ChangeCipherSpec (RFC 8446 App. D.4). */
const compat = (c: ClientConfig): ClientConfig => ({ ...c, middleboxCompat: true });

const isHelloFrame = (f: HookFrame) => !f.protected && f.contentType === CT.handshake && f.content[0] === 1;
const piece = (contentType: number, fragment: Uint8Array, extra: Partial<FramePiece> = {}): FramePiece => ({
  contentType,
  fragment,
  ...extra,
});
const ccs = (): FramePiece => piece(CT.change_cipher_spec, CCS_BYTE, { plaintext: true });

/** Our client's frames of one kind replaced (each time `pick` matches, or only the first time with `once`). */
const onFrame = (pick: (f: HookFrame) => boolean, replace: (f: HookFrame) => FramePiece[], once = true): EngineHooks => {
  let done = false;
  return {
    beforeFrame: (f) => {
      if ((once && done) || !pick(f)) return undefined;
      done = true;
      return replace(f);
    },
  };
};
/** A handshake message of this type about to be framed (plaintext or protected). */
const handshakeFrame = (type: number) => (f: HookFrame) => f.contentType === CT.handshake && f.content[0] === type;
/** Our application data (protected, once connected). */
const appDataFrame = (f: HookFrame) => f.protected && f.contentType === CT.application_data && f.content.length > 0;

/** A record sealed under the write keys in use, queued before our Finished (TLS 1.3: the handshake keys). */
const beforeFinished = (contentType: number, fragment: Uint8Array): EngineHooks => {
  let done = false;
  return {
    beforeSend: async (m) => {
      if (done || m.kind !== 'handshake' || m.type !== 'finished' || !m.sendRecord) return undefined;
      done = true;
      await m.sendRecord(contentType, fragment);
      return [m.raw];
    },
  };
};

/** The ClientHello grown by a padding extension (RFC 7685) to exactly `size` bytes, header included. */
const helloOfSize = (raw: Uint8Array, size: number): Uint8Array =>
  editRaw(raw, { version: VERSION_CODE['1.3'] }, 'client_hello', (b) => {
    const exts = b.extensions ?? [];
    const at = exts.findIndex((e) => e.type === X.pre_shared_key);
    // the padding extension's 4-byte header comes on top of its data
    const grow = size - raw.length - 4;
    if (grow < 0) throw new Error(`ClientHello of ${raw.length} bytes is already over ${size}`);
    exts.splice(at < 0 ? exts.length : at, 0, { type: X.padding, body: { kind: 'opaque', data: new Uint8Array(grow) } });
    b.extensions = exts;
  });

/** Hooks replacing our ClientHello by one of `size` bytes sent in a single record (not split at 2^14). */
const helloInOneRecordOf = (size: number): EngineHooks => {
  let grown: Uint8Array | undefined;
  return {
    beforeSend: (m) => {
      if (grown || m.kind !== 'handshake' || m.type !== 'client_hello') return undefined;
      grown = helloOfSize(m.raw, size);
      return [grown];
    },
    beforeFrame: (f) => (grown && isHelloFrame(f) && f.content.length === size ? [piece(CT.handshake, f.content)] : undefined),
  };
};

/** Our application data replaced by `length` bytes in one record (TLS 1.3: `padding` zero bytes in the inner plaintext). */
const oversizedAppData = (length: number, padding = 0): EngineHooks =>
  onFrame(appDataFrame, () => [piece(CT.application_data, new Uint8Array(length).fill(0x41), padding ? { padding } : {})]);

/** Every plaintext (or every protected) handshake message of our client after the ClientHello in records of `size` bytes. */
const splitMessages = (protectedOnes: boolean, size: number): EngineHooks => ({
  beforeFrame: (f) =>
    f.contentType === CT.handshake && f.protected === protectedOnes && !isHelloFrame(f)
      ? chunks(f.content, size).map((c) => piece(CT.handshake, c))
      : undefined,
});

/** The handshake messages of our client's second flight (from `first` up to `last`, same protection) in one record. */
const coalesced = (first: number, last: number): EngineHooks => {
  let held: Uint8Array[] = [];
  return {
    beforeFrame: (f) => {
      if (f.contentType !== CT.handshake || isHelloFrame(f)) return undefined;
      const type = f.content[0];
      if (!held.length && type !== first) return undefined;
      held.push(f.content);
      if (type !== last) return [];
      const all = concatBytes(held);
      held = [];
      return [piece(CT.handshake, all)];
    },
  };
};

/** The ClientHello split after `at` bytes with `between` records in between (RFC 8446 §5.1: none allowed). */
const helloSplitAround = (at: number, between: () => FramePiece[]): EngineHooks =>
  onFrame(isHelloFrame, (f) => [
    piece(CT.handshake, f.content.subarray(0, at)),
    ...between(),
    piece(CT.handshake, f.content.subarray(at)),
  ]);

export const RECORD_MUTATIONS: readonly Mutation[] = [
  // ---- ChangeCipherSpec
  {
    name: 't13-ccs-after-finished',
    description: 'a ChangeCipherSpec record right after our TLS 1.3 Finished (RFC 8446 §5: unexpected_message)',
    versions: ['1.3'],
    rules: ['rec.t13.ccs-compat'],
    bases: T13,
    ...hooks(() => onFrame(handshakeFrame(20), (f) => [piece(CT.handshake, f.content), ccs()])),
  },
  {
    name: 'ccs-before-client-hello',
    description: 'a ChangeCipherSpec record before the first ClientHello (CVE-2014-0224 style; RFC 8446 §5)',
    versions: ['1.2', '1.3'],
    rules: ['t12.order.ccs-timing', 'rec.t13.ccs-compat'],
    bases: [],
    ...hooks(() => onFrame(isHelloFrame, (f) => [ccs(), piece(CT.handshake, f.content)])),
  },
  {
    name: 'ccs-inside-client-hello',
    description: 'the ClientHello split in two records with a ChangeCipherSpec between them (test-cve-2004-0079)',
    versions: ['1.2', '1.3'],
    rules: ['t12.order.ccs-timing', 'rec.t13.hs-no-interleave'],
    bases: [],
    ...hooks(() => helloSplitAround(2, () => [ccs()])),
  },
  {
    name: 't12-ccs-inside-cke',
    description:
      'the ClientKeyExchange split in two records with a ChangeCipherSpec between them (test-interleaved-CKE-with-CCS)',
    versions: ['1.2'],
    rules: ['t12.order.ccs-timing'],
    bases: T12,
    ...hooks(() =>
      onFrame(handshakeFrame(16), (f) => [
        piece(CT.handshake, f.content.subarray(0, 2)),
        ccs(),
        piece(CT.handshake, f.content.subarray(2)),
      ]),
    ),
  },
  {
    name: 't12-ccs-twice',
    description: 'a second ChangeCipherSpec, under the new keys, right before our Finished (test-message-duplication)',
    versions: ['1.2'],
    rules: ['t12.order.single-occurrence', 't12.order.finished-first-protected'],
    bases: T12,
    ...hooks(() => beforeFinished(CT.change_cipher_spec, CCS_BYTE)),
  },
  {
    name: 't12-ccs-after-finished',
    description: 'a ChangeCipherSpec, under the new keys, right after our Finished',
    versions: ['1.2'],
    rules: ['t12.order.single-occurrence'],
    bases: T12,
    ...hooks(() => onFrame(handshakeFrame(20), (f) => [piece(CT.handshake, f.content), piece(CT.change_cipher_spec, CCS_BYTE)])),
  },
  {
    name: 't12-ccs-two-bytes',
    description: 'our ChangeCipherSpec record carries two bytes 01 01 (test-ccs)',
    versions: ['1.2'],
    rules: ['rec.t12.ccs-format'],
    bases: T12,
    ...hooks(() =>
      onFrame(
        (f) => f.contentType === CT.change_cipher_spec,
        () => [piece(CT.change_cipher_spec, Uint8Array.of(1, 1), { plaintext: true })],
      ),
    ),
  },
  {
    name: 't13-ccs-two-bytes',
    description: 'the TLS 1.3 dummy ChangeCipherSpec carries two bytes 01 01 (RFC 8446 §5: unexpected_message)',
    versions: ['1.3'],
    rules: ['rec.t13.ccs-compat'],
    bases: T13,
    ...hooks(
      () =>
        onFrame(
          (f) => f.contentType === CT.change_cipher_spec,
          () => [piece(CT.change_cipher_spec, Uint8Array.of(1, 1), { plaintext: true })],
        ),
      compat,
    ),
  },
  {
    name: 't13-ccs-protected',
    description: 'a ChangeCipherSpec sealed under the handshake keys before our Finished (RFC 8446 §5: unexpected_message)',
    versions: ['1.3'],
    rules: ['rec.t13.ccs-compat'],
    bases: T13,
    ...hooks(() => beforeFinished(CT.change_cipher_spec, CCS_BYTE)),
  },
  {
    name: 't13-finished-plaintext',
    description:
      'our TLS 1.3 Finished in a plaintext handshake record although the handshake keys are in use (test-tls13-finished-plaintext)',
    versions: ['1.3'],
    rules: ['rec.t13.protected-after-hello'],
    bases: T13,
    ...hooks(() =>
      onFrame(
        (f) => f.protected && handshakeFrame(20)(f),
        (f) => [piece(CT.handshake, f.content, { plaintext: true })],
      ),
    ),
  },
  {
    name: 't13-ccs-ten-after-client-hello',
    description: 'ten dummy ChangeCipherSpec records after the ClientHello (test-cve-2020-25648): each is dropped (RFC 8446 §5)',
    versions: ['1.3'],
    rules: ['rec.t13.ccs-dropped'],
    bases: [],
    ...hooks(() => onFrame(isHelloFrame, (f) => [piece(CT.handshake, f.content), ...Array.from({ length: 10 }, ccs)])),
  },
  {
    name: 't13-ccs-twice-before-finished',
    description: 'the dummy ChangeCipherSpec sent twice before our second flight: each is dropped (RFC 8446 §5)',
    versions: ['1.3'],
    rules: ['rec.t13.ccs-dropped'],
    bases: [],
    ...hooks(
      () =>
        onFrame(
          (f) => f.contentType === CT.change_cipher_spec,
          () => [ccs(), ccs()],
        ),
      compat,
    ),
  },
  // ---- zero-length records
  {
    name: 'empty-handshake-record-first',
    description: 'a zero-length handshake record before the ClientHello (RFC 5246 §6.2.1, RFC 8446 §5.1)',
    versions: ['1.2', '1.3'],
    rules: ['rec.no-empty-fragments'],
    bases: [],
    ...hooks(() => onFrame(isHelloFrame, (f) => [piece(CT.handshake, new Uint8Array(0)), piece(CT.handshake, f.content)])),
  },
  {
    name: 'empty-handshake-record-inside-hello',
    description: 'the ClientHello split in two records with a zero-length handshake record between them',
    versions: ['1.2', '1.3'],
    rules: ['rec.no-empty-fragments'],
    bases: [],
    ...hooks(() => helloSplitAround(5, () => [piece(CT.handshake, new Uint8Array(0))])),
  },
  {
    name: 'empty-alert-record',
    description: 'a zero-length alert record after the ClientHello (test-tls13-empty-alert)',
    versions: ['1.2', '1.3'],
    rules: ['rec.no-empty-fragments', 'rec.alert-format'],
    bases: [],
    ...hooks(() => onFrame(isHelloFrame, (f) => [piece(CT.handshake, f.content), piece(CT.alert, new Uint8Array(0))])),
  },
  {
    name: 'zero-length-appdata',
    description: 'a zero-length application data record before our application data (test-zero-length-data)',
    versions: ['1.2', '1.3'],
    rules: ['rec.zero-length-appdata'],
    bases: [],
    ...hooks(() =>
      onFrame(appDataFrame, (f) => [piece(CT.application_data, new Uint8Array(0)), piece(CT.application_data, f.content)]),
    ),
  },
  {
    name: 't13-zero-length-appdata-before-finished',
    description:
      'a zero-length application data record under the handshake keys before our Finished (test-tls13-zero-length-data)',
    versions: ['1.3'],
    rules: ['t13.order.state-machine'],
    bases: T13,
    ...hooks(() => beforeFinished(CT.application_data, new Uint8Array(0))),
  },
  {
    name: 'appdata-inside-client-hello',
    description: 'the ClientHello split in two records with a zero-length application data record between them',
    versions: ['1.2', '1.3'],
    rules: ['rec.no-early-appdata', 'rec.t13.hs-no-interleave'],
    bases: [],
    ...hooks(() => helloSplitAround(3, () => [piece(CT.application_data, new Uint8Array(0))])),
  },
  // ---- sizes
  {
    name: 'client-hello-record-overflow',
    description: 'a ClientHello of 2^14 + 1 bytes in a single record (RFC 8446 §5.1: record_overflow)',
    versions: ['1.2', '1.3'],
    rules: ['rec.plaintext-max-len'],
    bases: [],
    ...hooks(() => helloInOneRecordOf(MAX + 1)),
  },
  {
    name: 'appdata-plaintext-overflow',
    description: 'application data of 2^14 + 1 bytes in one protected record (record_overflow)',
    versions: ['1.2', '1.3'],
    rules: ['rec.plaintext-max-len'],
    bases: [],
    ...hooks(() => oversizedAppData(MAX + 1)),
  },
  {
    name: 't13-ciphertext-overflow',
    description: 'a TLS 1.3 record of 2^14 + 257 bytes of ciphertext (2^14 bytes of data, 240 of padding; RFC 8446 §5.2)',
    versions: ['1.3'],
    rules: ['rec.ciphertext-max-len'],
    bases: [],
    ...hooks(() => oversizedAppData(MAX, 240)),
  },
  {
    name: 't12-ciphertext-overflow',
    description: 'a TLS 1.2 record of more than 2^14 + 2048 bytes (2^14 + 2048 bytes of data; RFC 5246 §6.2.3)',
    versions: ['1.2'],
    rules: ['rec.ciphertext-max-len'],
    bases: [],
    ...hooks(() => oversizedAppData(MAX + 2048)),
  },
  // ---- content types
  {
    name: 'unknown-content-type',
    description: 'a plaintext record of the unassigned content type 42 after the ClientHello (test-invalid-content-type)',
    versions: ['1.2', '1.3'],
    rules: ['rec.content-type-known'],
    bases: [],
    ...hooks(() => onFrame(isHelloFrame, (f) => [piece(CT.handshake, f.content), piece(42, Uint8Array.of(1, 2, 3))])),
  },
  {
    name: 'heartbeat-record',
    description: 'a heartbeat record (content type 24) although heartbeat was never negotiated (test-no-heartbeat)',
    versions: ['1.2', '1.3'],
    rules: ['rec.content-type-known'],
    bases: [],
    ...hooks(() =>
      onFrame(isHelloFrame, (f) => [piece(CT.handshake, f.content), piece(24, Uint8Array.of(1, 0, 16, ...new Uint8Array(32)))]),
    ),
  },
  {
    name: 't13-unknown-inner-content-type',
    description: 'a record sealed under the handshake keys with inner content type 42, before our Finished',
    versions: ['1.3'],
    rules: ['rec.content-type-known'],
    bases: T13,
    ...hooks(() => beforeFinished(42, Uint8Array.of(1, 2, 3))),
  },
  {
    name: 't13-inner-plaintext-zeros',
    description: 'a record sealed under the handshake keys whose inner plaintext is all zeros (test-tls13-zero-content-type)',
    versions: ['1.3'],
    rules: ['rec.t13.inner-plaintext'],
    bases: T13,
    ...hooks(() =>
      onFrame(handshakeFrame(20), (f) => [piece(0, new Uint8Array(0), { padding: 8 }), piece(CT.handshake, f.content)]),
    ),
  },
  // ---- record versions
  ...([0x0300, 0x0301, 0x03ff] as const).map(
    (v): ClientSends => ({
      name: `client-hello-record-version-${v.toString(16).padStart(4, '0')}`,
      description: `the ClientHello record carries version 0x${v.toString(16).padStart(4, '0')} (RFC 5246 App. E.1: any {03,xx} accepted)`,
      versions: ['1.2', '1.3'],
      rules: ['rec.version-ignored'],
      bases: [],
      ...hooks(() => onFrame(isHelloFrame, (f) => [piece(CT.handshake, f.content, { version: v })])),
    }),
  ),
  {
    name: 't13-records-version-0301',
    description: 'every TLS 1.3 record of ours after the ClientHello carries version 0x0301 (RFC 8446 §5.1: ignored)',
    versions: ['1.3'],
    rules: ['rec.version-ignored'],
    bases: [],
    ...hooks(() => ({
      beforeFrame: (f) => (isHelloFrame(f) ? undefined : [piece(f.contentType, f.content, { version: 0x0301 })]),
    })),
  },
  // ---- fragmentation and coalescing
  {
    name: 'client-hello-header-apart',
    description: 'the ClientHello handshake header (4 bytes) in a record of its own, the body in the next',
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-fragmentation'],
    bases: [],
    ...hooks(() =>
      onFrame(isHelloFrame, (f) => [piece(CT.handshake, f.content.subarray(0, 4)), piece(CT.handshake, f.content.subarray(4))]),
    ),
  },
  {
    name: 't12-flight-one-byte-records',
    description: 'our second TLS 1.2 flight (Certificate, ClientKeyExchange, CertificateVerify) in records of one byte each',
    versions: ['1.2'],
    rules: ['rec.hs-fragmentation'],
    bases: [],
    ...hooks(() => splitMessages(false, 1)),
  },
  {
    name: 't12-flight-coalesced',
    description: 'our Certificate, ClientKeyExchange and CertificateVerify in a single record (RFC 5246 §6.2.1)',
    versions: ['1.2'],
    rules: ['rec.hs-fragmentation'],
    bases: [],
    needs: { clientCert: true },
    ...hooks(() => coalesced(11, 15)),
  },
  {
    name: 'finished-split',
    description: 'our Finished split over two protected records',
    versions: ['1.2', '1.3'],
    rules: ['rec.hs-fragmentation'],
    bases: [],
    ...hooks(() =>
      onFrame(handshakeFrame(20), (f) => [
        piece(CT.handshake, f.content.subarray(0, 3)),
        piece(CT.handshake, f.content.subarray(3)),
      ]),
    ),
  },
  {
    name: 't13-flight-one-byte-records',
    description: 'our protected TLS 1.3 flight (Certificate, CertificateVerify, Finished) in records of one byte each',
    versions: ['1.3'],
    rules: ['rec.hs-fragmentation'],
    bases: [],
    ...hooks(() => splitMessages(true, 1)),
  },
  {
    name: 't13-flight-coalesced',
    description: 'our Certificate, CertificateVerify and Finished in a single protected record (RFC 8446 §5.1)',
    versions: ['1.3'],
    rules: ['rec.hs-fragmentation'],
    bases: [],
    needs: { clientCert: true },
    ...hooks(() => coalesced(11, 20)),
  },
];
