/**
 * Real captures give no violation; each hand-made mutation of one trips the
 * rule it breaks (table-driven, at least one row per implemented rule); a
 * TLS 1.3 transcript without its encrypted part is inconclusive, not passed.
 */
import { nodeProvider } from '../crypto/provider';
import fc from 'fast-check';
import {
  type HandshakePlan,
  type RenderCache,
  handshakePlanArb,
  newRenderCache,
  normalizePlan,
  renderHandshake,
} from '../generators/handshake';
import { type RuleId, allRules } from '../oracles/catalogue';
import { type CheckOptions, checkTranscript, ruleStatus } from '../oracles/evaluate';
import type { Verdict } from '../oracles/rule';
import { TranscriptBuilder } from '../transcript/build';
import type { Transcript } from '../transcript/model';
import { encodeRecord } from '../wire/record';
import { DOWNGRADE_TLS12, ExtensionType as X } from '../wire/registry';
import { captureTranscripts } from './support/capture-transcripts';
import {
  type Entry,
  type RecordInput,
  at,
  buildFromMessages,
  buildFromRecords,
  delExt,
  drop,
  edit,
  entriesOf,
  findCase,
  hrr,
  hs,
  moveBefore,
  recordsOf,
  setExt,
  appProtection13,
  appendKeyUpdate,
  badPaddingRecord,
  pcapTranscript,
  protectedOf,
  replaceFragment,
  resealed12,
} from './support/mutate';
import { SHARED } from './support/shared';
import { pemBlocks } from '../pki/pem';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CASES = { t12: 'openssl-t12', t13: 'openssl-t13', g12: 'gnutls-server' } as const;
type Base = keyof typeof CASES;
const V12 = { version: 0x0303, kex: 'ECDHE_RSA' as const };
const V13 = { version: 0x0304 };
const C = 'C->S' as const;
const S = 'S->C' as const;
const bytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

interface Row {
  rule: RuleId;
  base: Base;
  /** Build from records instead of messages. */
  records?: boolean;
  m?: (E: Entry[]) => void;
  r?: (R: RecordInput[]) => void;
  /** Check an abbreviated handshake resuming the base connection's session (`m` edits it, `o` edits the original). */
  resume?: boolean;
  o?: (E: Entry[]) => void;
  /** Start from the capture file read with its key log (records with ciphertext) and edit it. */
  pcap?: (t: Transcript) => Promise<void>;
  /** What the violation must say (when the rule has several ways to fail). */
  detail?: RegExp;
}

/** A plaintext alert entry (level fatal). */
const alertEntry = (dir: 'C->S' | 'S->C', description: number): Entry => ({
  dir,
  kind: 'alert',
  raw: Uint8Array.of(2, description),
  encrypted: false,
});
const rec = (dir: 'C->S' | 'S->C', type: number, version: number, fragment: Uint8Array): RecordInput => ({
  dir,
  raw: encodeRecord({ contentType: type, version, fragment }),
});
const chOf = (E: Entry[]) => E[at(E, 'client_hello', C)]!;
const withHrr = (E: Entry[], group: number, ch2: (E: Entry[]) => void = () => {}, suite = 0x1302): void => {
  const sid = chOf(E).raw!.subarray(39, 39 + 32);
  const i = at(E, 'server_hello', S);
  const ch2Entry = { ...chOf(E) };
  E.splice(i, 0, hrr(suite, sid, group), ch2Entry);
  ch2(E);
};
const pskClient = {
  kind: 'pre_shared_key_client' as const,
  identities: [{ identity: Uint8Array.of(1, 2, 3), obfuscatedTicketAge: 0 }],
  binders: [new Uint8Array(32)],
};

const ROWS: Row[] = [
  // ---- record layer
  { rule: 'rec.content-type-known', base: 't12', records: true, r: (R) => R.splice(1, 0, rec(C, 25, 0x0303, Uint8Array.of(0))) },
  {
    rule: 'rec.plaintext-max-len',
    base: 't12',
    records: true,
    r: (R) => R.splice(2, 0, rec(S, 23, 0x0303, new Uint8Array(16385))),
  },
  {
    rule: 'rec.ciphertext-max-len',
    base: 't12',
    records: true,
    r: (R) => {
      const i = R.length - 3;
      R[i] = { ...R[i]!, raw: encodeRecord({ contentType: 23, version: 0x0303, fragment: new Uint8Array(16384 + 2049) }) };
    },
  },
  { rule: 'rec.no-empty-fragments', base: 't12', records: true, r: (R) => R.splice(1, 0, rec(S, 22, 0x0303, new Uint8Array(0))) },
  {
    rule: 'rec.t13.hs-no-interleave',
    base: 't13',
    records: true,
    r: (R) => {
      const i = R.findIndex((x) => x.dir === S && x.plaintext?.fragment[0] === 11);
      const f = R[i]!.plaintext!.fragment;
      const part = (b: Uint8Array): RecordInput => ({
        dir: S,
        raw: encodeRecord({ contentType: 23, version: 0x0303, fragment: new Uint8Array(b.length + 17) }),
        plaintext: { contentType: 22, fragment: b },
      });
      R.splice(
        i,
        1,
        part(f.subarray(0, 100)),
        {
          dir: S,
          raw: encodeRecord({ contentType: 23, version: 0x0303, fragment: new Uint8Array(30) }),
          plaintext: { contentType: 23, fragment: new Uint8Array(13) },
        },
        part(f.subarray(100)),
      );
    },
  },
  {
    rule: 'rec.t13.hs-key-change-boundary',
    base: 't13',
    records: true,
    r: (R) => {
      const fin = R.findIndex((x) => x.dir === S && x.plaintext?.fragment[0] === 20);
      const nst = R.findIndex((x) => x.dir === S && x.plaintext?.fragment[0] === 4);
      const merged = Buffer.concat([R[fin]!.plaintext!.fragment, R[nst]!.plaintext!.fragment]);
      R[fin] = { ...R[fin]!, plaintext: { contentType: 22, fragment: new Uint8Array(merged) } };
      R.splice(nst, 1);
    },
  },
  {
    rule: 'rec.alert-format',
    base: 't12',
    records: true,
    r: (R) => {
      const i = R.length - 1;
      R[i] = { ...R[i]!, plaintext: { contentType: 21, fragment: Uint8Array.of(1, 0, 0) } };
    },
  },
  {
    rule: 'rec.record-version',
    base: 't12',
    records: true,
    r: (R) => {
      R[1] = { ...R[1]!, raw: Uint8Array.from([...R[1]!.raw.subarray(0, 1), 2, 0, ...R[1]!.raw.subarray(3)]) };
    },
  },
  {
    rule: 'rec.t13.outer-header',
    base: 't13',
    records: true,
    r: (R) => {
      const i = R.findIndex((x) => x.plaintext);
      R[i] = { ...R[i]!, raw: Uint8Array.from([23, 3, 1, ...R[i]!.raw.subarray(3)]) };
    },
  },
  {
    rule: 'rec.t12.ccs-format',
    base: 't12',
    records: true,
    r: (R) => {
      const i = R.findIndex((x) => x.raw[0] === 20);
      R[i] = rec(R[i]!.dir, 20, 0x0303, Uint8Array.of(2));
    },
  },
  {
    rule: 'rec.t13.ccs-compat',
    base: 't13',
    records: true,
    r: (R) => R.splice(R.length - 1, 0, rec(S, 20, 0x0303, Uint8Array.of(1))),
  },
  {
    rule: 'rec.no-early-appdata',
    base: 't12',
    m: (E) => E.splice(at(E, 'change_cipher_spec', C), 0, { dir: C, kind: 'application_data', encrypted: false }),
  },
  {
    rule: 'rec.mfl-enforced',
    base: 't12',
    records: true,
    m: (E) => {
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.max_fragment_length, { kind: 'max_fragment_length', value: 1 });
      });
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = setExt(b.extensions, X.max_fragment_length, { kind: 'max_fragment_length', value: 1 });
      });
    },
  },
  {
    rule: 'rec.rsl-enforced',
    base: 't13',
    records: true,
    m: (E) => {
      // both sides sent record_size_limit 64: the base's protected records (its server Certificate) are larger (RFC 8449 §4)
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = setExt(b.extensions, X.record_size_limit, { kind: 'record_size_limit', limit: 64 });
      });
      edit(E, 'encrypted_extensions', S, V13, (b) => {
        b.extensions = setExt(b.extensions, X.record_size_limit, { kind: 'record_size_limit', limit: 64 });
      });
    },
  },
  // record protection (the capture's own records, re-protected with keys from its key log)
  {
    rule: 'rec.t13.nonce-seq',
    base: 't13',
    detail: /opens only with sequence number 1\b/,
    pcap: async (t) => {
      // the server's first two application records swapped: each opens only with the other's sequence number
      const [a, b] = protectedOf(t, S, 'application');
      [a!.raw, b!.raw] = [b!.raw, a!.raw];
      [a!.plaintext, b!.plaintext] = [b!.plaintext, a!.plaintext];
    },
  },
  {
    rule: 'rec.t12.seq-reset',
    base: 't12',
    detail: /sequence number [1-9]/,
    pcap: async (t) => {
      // the client Finished protected with the sequence number continued from the plaintext records instead of 0
      const r = protectedOf(t, C, 'application')[0]!;
      replaceFragment(r, await resealed12(t, r, t.records.filter((x) => x.dir === C && !x.encrypted).length));
    },
  },
  {
    rule: 'rec.t12.cbc-padding',
    base: 't12',
    detail: /padding bytes differ/,
    pcap: async (t) => {
      const r = protectedOf(t, S, 'application')[0]!;
      replaceFragment(r, await badPaddingRecord(t, r, 0));
    },
  },
  {
    rule: 'rec.t13.inner-plaintext',
    base: 't13',
    detail: /last non-zero byte of the inner plaintext is 1\b/,
    pcap: async (t) => {
      // padding with 0x01 instead of zeros: the last non-zero byte is no content type
      const r = protectedOf(t, S, 'application')[0]!;
      const p = r.plaintext!;
      replaceFragment(
        r,
        (await (await appProtection13(t, S)).protect(0n, 0x01, 0x0303, Uint8Array.from([...p.fragment, p.contentType]))).fragment,
      );
    },
  },
  { rule: 'rec.t13.keyupdate-keys', base: 't13', detail: /previous key generation/, pcap: (t) => appendKeyUpdate(t, false) },
  {
    rule: 'rec.hs-length-consistent',
    base: 't12',
    m: (E) => {
      E[at(E, 'server_hello_done', S)] = hs(S, '0e00000100');
    },
  },
  {
    rule: 'alert.fatal-closes',
    base: 't12',
    m: (E) => E.splice(1, 0, { dir: C, kind: 'alert', raw: Uint8Array.of(2, 40), encrypted: false }),
  },
  {
    rule: 'alert.reserved-never-sent',
    base: 't12',
    m: (E) => E.push({ dir: C, kind: 'alert', raw: Uint8Array.of(2, 21), encrypted: true }),
  },
  // ---- TLS 1.2 ordering
  { rule: 't12.order.state-machine', base: 't12', m: (E) => drop(E, 'server_key_exchange', S) },
  { rule: 't12.order.client-hello-first', base: 't12', m: (E) => drop(E, 'client_hello', C) },
  { rule: 't12.order.server-hello-reply', base: 't12', m: (E) => moveBefore(E, 'certificate', S, 'server_hello', S) },
  { rule: 't12.order.server-cert-position', base: 't12', m: (E) => moveBefore(E, 'server_key_exchange', S, 'certificate', S) },
  { rule: 't12.order.server-cert-required', base: 't12', m: (E) => drop(E, 'certificate', S) },
  {
    rule: 't12.order.cert-status-position',
    base: 't12',
    m: (E) => E.splice(at(E, 'server_key_exchange', S), 0, hs(S, '1600000501000001aa')),
  },
  { rule: 't12.order.ske-required', base: 't12', m: (E) => drop(E, 'server_key_exchange', S) },
  {
    rule: 't12.order.ske-forbidden',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0x0035;
      }),
  },
  { rule: 't12.order.ske-position', base: 't12', m: (E) => moveBefore(E, 'server_key_exchange', S, 'certificate', S) },
  { rule: 't12.order.cr-position', base: 't12', m: (E) => moveBefore(E, 'server_hello_done', S, 'certificate_request', S) },
  {
    rule: 't12.order.cr-not-anonymous',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0xc018;
      }),
  },
  { rule: 't12.order.server-hello-done', base: 't12', m: (E) => E.splice(at(E, 'server_hello_done', S), 0, hs(S, '0e000000')) },
  { rule: 't12.order.client-cert-iff-cr', base: 't12', m: (E) => drop(E, 'certificate_request', S) },
  { rule: 't12.order.cke-position', base: 't12', m: (E) => drop(E, 'client_key_exchange', C) },
  { rule: 't12.order.cv-after-cke', base: 't12', m: (E) => moveBefore(E, 'certificate_verify', C, 'client_key_exchange', C) },
  { rule: 't12.order.cv-iff-signing-cert', base: 't12', m: (E) => drop(E, 'certificate_verify', C) },
  {
    rule: 't12.order.ccs-before-finished',
    base: 't12',
    m: (E) => {
      E.splice(at(E, 'change_cipher_spec', C), 1);
      E[at(E, 'finished', C)]!.encrypted = false;
    },
  },
  { rule: 't12.order.ccs-timing', base: 't12', m: (E) => moveBefore(E, 'change_cipher_spec', S, 'certificate', C) },
  {
    rule: 't12.order.finished-first-protected',
    base: 't12',
    m: (E) => E.splice(at(E, 'finished', C), 0, { dir: C, kind: 'application_data', encrypted: true }),
  },
  {
    rule: 't12.order.full-server-final-flight',
    base: 't12',
    m: (E) => moveBefore(E, 'new_session_ticket', S, 'change_cipher_spec', C),
  },
  {
    rule: 't12.order.abbreviated-flow',
    base: 'g12',
    m: (E) => {
      const sid = E[at(E, 'server_hello', S)]!.raw!.subarray(39, 71);
      edit(E, 'client_hello', C, V12, (b) => {
        b.sessionId = Uint8Array.from(sid);
      });
    },
  },
  {
    rule: 't12.order.nst-iff-ticket-ext',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = delExt(b.extensions, X.session_ticket);
      }),
  },
  {
    rule: 't12.order.no-appdata-before-finished',
    base: 't12',
    m: (E) => E.splice(at(E, 'new_session_ticket', S), 0, { dir: C, kind: 'application_data', encrypted: true }),
  },
  { rule: 't12.order.hello-request', base: 't12', m: (E) => E.push(hs(C, '00000000', true)) },
  {
    rule: 't12.order.single-occurrence',
    base: 't12',
    m: (E) => {
      const i = at(E, 'client_key_exchange', C);
      E.splice(i, 0, { ...E[i]! });
    },
  },
  // ---- TLS 1.3 ordering
  { rule: 't13.order.state-machine', base: 't13', m: (E) => drop(E, 'encrypted_extensions', S) },
  { rule: 't13.order.client-hello-first', base: 't13', m: (E) => drop(E, 'client_hello', C) },
  { rule: 't13.order.server-first', base: 't13', m: (E) => moveBefore(E, 'encrypted_extensions', S, 'server_hello', S) },
  {
    rule: 't13.order.single-hrr',
    base: 't13',
    m: (E) => {
      withHrr(E, 0x17);
      withHrr(E, 0x18);
    },
  },
  {
    rule: 't13.order.ch2-after-hrr',
    base: 't13',
    m: (E) => {
      withHrr(E, 0x17);
      E.splice(at(E, 'client_hello', C, 1), 1);
    },
  },
  {
    rule: 't13.order.compat-ccs',
    base: 't13',
    m: (E) =>
      E.splice(
        E.findIndex((e) => e.kind === 'change_cipher_spec' && e.dir === S),
        1,
      ),
  },
  { rule: 't13.order.ee-after-sh', base: 't13', m: (E) => moveBefore(E, 'certificate_request', S, 'encrypted_extensions', S) },
  { rule: 't13.order.cr-after-ee', base: 't13', m: (E) => moveBefore(E, 'certificate', S, 'certificate_request', S) },
  {
    rule: 't13.order.no-cr-in-psk',
    base: 't13',
    m: (E) =>
      edit(E, 'server_hello', S, V13, (b) => {
        b.extensions = setExt(b.extensions, X.pre_shared_key, { kind: 'pre_shared_key_server', selectedIdentity: 0 });
      }),
  },
  { rule: 't13.order.server-auth-required', base: 't13', m: (E) => drop(E, 'certificate_verify', S) },
  {
    rule: 't13.order.no-server-cert-in-psk',
    base: 't13',
    m: (E) =>
      edit(E, 'server_hello', S, V13, (b) => {
        b.extensions = setExt(b.extensions, X.pre_shared_key, { kind: 'pre_shared_key_server', selectedIdentity: 0 });
      }),
  },
  { rule: 't13.order.cv-position', base: 't13', m: (E) => moveBefore(E, 'certificate_verify', S, 'certificate', S) },
  {
    rule: 't13.order.client-cert-iff-cr',
    base: 't13',
    m: (E) => {
      drop(E, 'certificate', C);
      drop(E, 'certificate_verify', C);
    },
  },
  { rule: 't13.order.client-cv-iff-nonempty', base: 't13', m: (E) => drop(E, 'certificate_verify', C) },
  { rule: 't13.order.eoed', base: 't13', m: (E) => E.splice(at(E, 'finished', S) + 1, 0, hs(S, '05000000', true)) },
  { rule: 't13.order.server-flight', base: 't13', m: (E) => moveBefore(E, 'certificate', S, 'certificate_request', S) },
  { rule: 't13.order.client-flight', base: 't13', m: (E) => E.splice(at(E, 'finished', C), 0, hs(C, '1800000100', true)) },
  { rule: 't13.order.no-renegotiation', base: 't13', m: (E) => E.push({ ...chOf(E), encrypted: true }) },
  { rule: 't13.order.post-handshake', base: 't13', m: (E) => moveBefore(E, 'new_session_ticket', S, 'certificate', C) },
  {
    rule: 't13.order.early-data-window',
    base: 't13',
    m: (E) => E.splice(1, 0, { dir: C, kind: 'application_data', encrypted: true }),
  },
  // ---- negotiation
  {
    rule: 't12.neg.suite-offered',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0x5600;
      }),
  },
  {
    rule: 't13.neg.suite-offered',
    base: 't13',
    m: (E) =>
      edit(E, 'server_hello', S, V13, (b) => {
        b.cipherSuite = 0xc02f;
      }),
  },
  {
    rule: 't12.neg.compression',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.compressionMethod = 1;
      }),
  },
  {
    rule: 't13.neg.compression',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.compressionMethods = [0, 1];
      }),
  },
  {
    rule: 't12.neg.suite-fits-version',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0x1302;
      }),
  },
  {
    rule: 't12.neg.resume-detection',
    base: 'g12',
    m: (E) => {
      const sid = E[at(E, 'server_hello', S)]!.raw!.subarray(39, 71);
      edit(E, 'client_hello', C, V12, (b) => {
        b.sessionId = Uint8Array.from(sid);
      });
    },
  },
  {
    rule: 't13.neg.session-id-echo',
    base: 't13',
    m: (E) =>
      edit(E, 'server_hello', S, V13, (b) => {
        b.sessionId = new Uint8Array(32).fill(7);
      }),
  },
  {
    rule: 't13.neg.session-id-client',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.sessionId = new Uint8Array(33);
      }),
  },
  {
    rule: 't13.neg.sh-extensions',
    base: 't13',
    m: (E) =>
      edit(E, 'server_hello', S, V13, (b) => {
        b.extensions = setExt(b.extensions, X.server_name, { kind: 'empty' });
      }),
  },
  {
    rule: 't13.neg.extension-placement',
    base: 't13',
    m: (E) =>
      edit(E, 'encrypted_extensions', S, V13, (b) => {
        b.extensions = setExt(b.extensions, X.supported_versions, { kind: 'supported_versions_server', version: 0x0304 });
      }),
  },
  {
    rule: 't13.neg.psk-ext-last',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = setExt(b.extensions, X.pre_shared_key, pskClient, 0);
      }),
  },
  {
    rule: 't13.neg.mandatory-extensions',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = delExt(b.extensions, X.signature_algorithms);
      }),
  },
  {
    rule: 't13.neg.sigalgs-for-cert-auth',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = delExt(b.extensions, X.signature_algorithms);
      }),
  },
  {
    rule: 't13.neg.keyshare-client',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        const ks = b.extensions!.find((e) => e.type === X.key_share)!.body;
        if (ks.kind === 'key_share_client') ks.shares.push(ks.shares[0]!);
      }),
  },
  {
    rule: 't13.neg.keyshare-server',
    base: 't13',
    m: (E) =>
      edit(E, 'server_hello', S, V13, (b) => {
        const ks = b.extensions!.find((e) => e.type === X.key_share)!.body;
        if (ks.kind === 'key_share_server') ks.share.group = 0x17;
      }),
  },
  { rule: 't13.neg.hrr-group', base: 't13', m: (E) => withHrr(E, 0x1d) },
  { rule: 't13.neg.hrr-must-change', base: 't13', m: (E) => withHrr(E, 0x1d) },
  { rule: 't13.neg.ch2-rules', base: 't13', m: (E) => withHrr(E, 0x17) },
  {
    rule: 't13.neg.hrr-sh-consistency',
    base: 't13',
    m: (E) =>
      withHrr(E, 0x17, (E2) =>
        edit(
          E2,
          'client_hello',
          C,
          V13,
          (b) => {
            b.extensions = setExt(
              b.extensions,
              X.key_share,
              { kind: 'key_share_client', shares: [{ group: 0x17, keyExchange: new Uint8Array(65).fill(4) }] },
              b.extensions!.findIndex((e) => e.type === X.key_share),
            );
          },
          1,
        ),
      ),
  },
  {
    rule: 't13.neg.psk-modes',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = setExt(delExt(b.extensions, X.psk_key_exchange_modes), X.pre_shared_key, pskClient);
      }),
  },
  {
    rule: 't13.neg.psk-selected-identity',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = setExt(b.extensions, X.pre_shared_key, {
          ...pskClient,
          binders: [new Uint8Array(32), new Uint8Array(32)],
        });
      }),
  },
  {
    rule: 't13.neg.early-data',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = setExt(b.extensions, X.early_data, { kind: 'empty' });
      }),
  },
  {
    rule: 't13.neg.post-handshake-auth-ext',
    base: 't13',
    m: (E) =>
      edit(E, 'encrypted_extensions', S, V13, (b) => {
        b.extensions = setExt(b.extensions, X.post_handshake_auth, { kind: 'opaque', data: new Uint8Array(0) });
      }),
  },
  {
    rule: 'ver.t12.server-version',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.legacyVersion = 0x0302;
      }),
  },
  {
    rule: 'ver.no-ssl3',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.legacyVersion = 0x0300;
      }),
  },
  {
    rule: 'ver.fallback-scsv',
    base: 't12',
    m: (E) => {
      edit(E, 'client_hello', C, V12, (b) => {
        b.cipherSuites.push(0x5600);
      });
      edit(E, 'server_hello', S, V12, (b) => {
        b.random = Uint8Array.from([...b.random.subarray(0, 24), ...DOWNGRADE_TLS12]);
      });
    },
  },
  {
    rule: 'ver.downgrade-sentinel-set',
    base: 't13',
    m: (E) =>
      edit(E, 'server_hello', S, V13, (b) => {
        b.random = Uint8Array.from([...b.random.subarray(0, 24), ...DOWNGRADE_TLS12]);
      }),
  },
  {
    rule: 'ver.t13.legacy-version-fields',
    base: 't13',
    m: (E) =>
      edit(E, 'server_hello', S, V13, (b) => {
        b.legacyVersion = 0x0304;
      }),
  },
  {
    rule: 'ver.t13.supported-versions-client',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = setExt(b.extensions, X.supported_versions, { kind: 'supported_versions_client', versions: [0x0303] });
      }),
  },
  {
    rule: 'ver.t13.server-selection',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = setExt(b.extensions, X.supported_versions, { kind: 'supported_versions_client', versions: [0x0303] });
      }),
  },
  {
    rule: 'ver.t13.sh-supported-versions',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = setExt(b.extensions, X.supported_versions, { kind: 'supported_versions_server', version: 0x0303 });
      }),
  },
  {
    rule: 'ver.t13.client-check',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = setExt(b.extensions, X.supported_versions, {
          kind: 'supported_versions_client',
          versions: [0x7f1c, 0x0303],
        });
      }),
  },
  {
    rule: 'ext.only-if-offered',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = setExt(b.extensions, X.application_layer_protocol_negotiation, {
          kind: 'application_layer_protocol_negotiation',
          protocols: [bytes('h2')],
        });
      }),
  },
  {
    rule: 'ext.no-duplicates',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = [...b.extensions!, b.extensions![0]!];
      }),
  },
  {
    rule: 'ext.block-well-formed',
    base: 't12',
    m: (E) => {
      const e = chOf(E);
      const raw = Uint8Array.from([...e.raw!, 0]);
      const n = raw.length - 4;
      raw.set([n >> 16, (n >> 8) & 255, n & 255], 1);
      e.raw = raw;
    },
  },
  {
    rule: 'ext.grease-not-selected',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0x0a0a;
      }),
  },
  {
    rule: 'ext.alpn.format',
    base: 't12',
    m: (E) => {
      const alpn = { kind: 'application_layer_protocol_negotiation' as const, protocols: [bytes('h2'), bytes('http/1.1')] };
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.application_layer_protocol_negotiation, alpn);
      });
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = setExt(b.extensions, X.application_layer_protocol_negotiation, alpn);
      });
    },
  },
  {
    rule: 'ext.alpn.selected-offered',
    base: 't12',
    m: (E) => {
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.application_layer_protocol_negotiation, {
          kind: 'application_layer_protocol_negotiation',
          protocols: [bytes('h2')],
        });
      });
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = setExt(b.extensions, X.application_layer_protocol_negotiation, {
          kind: 'application_layer_protocol_negotiation',
          protocols: [bytes('spdy/3')],
        });
      });
    },
  },
  {
    rule: 'ext.ems.negotiation',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = delExt(b.extensions, X.extended_master_secret);
      }),
  },
  {
    rule: 'ext.reneg.initial',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = delExt(b.extensions, X.renegotiation_info);
      }),
  },
  // ---- the TLS 1.2 PSK key exchanges (RFC 4279): the mutual capture turned into TLS_PSK_WITH_AES_128_GCM_SHA256
  {
    // the client's psk_identity is not UTF-8 (RFC 4279 §5.1)
    rule: 't12.psk.identity-utf8',
    base: 't12',
    m: (E) => {
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0x00a8;
      });
      E[at(E, 'client_key_exchange', C)] = hs(C, '1000000500' + '03fffefd');
    },
  },
  {
    // the capture's CertificateRequest, now in a PSK handshake (RFC 4279 §2: omitted)
    rule: 't12.psk.no-certificate-request',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0x00a8;
      }),
  },
  // ---- renegotiation (a second handshake appended after the first, protected under its keys)
  {
    // the renegotiating ClientHello carries the initial (empty) renegotiation_info, not the client verify_data
    rule: 'ext.reneg.secure',
    base: 't12',
    detail: /not the previous client verify_data/,
    m: (E) => {
      E.push({ ...chOf(E), encrypted: true });
      edit(
        E,
        'client_hello',
        C,
        V12,
        (b) => {
          b.extensions = setExt(b.extensions, X.renegotiation_info, {
            kind: 'renegotiation_info',
            renegotiatedConnection: new Uint8Array(12),
          });
        },
        1,
      );
    },
  },
  {
    // the server did not answer renegotiation_info initially, then answers the renegotiation with it (RFC 5746 §4.2)
    rule: 'ext.reneg.legacy',
    base: 't12',
    detail: /carries renegotiation_info although the initial one did not/,
    m: (E) => {
      const sh = { ...E[at(E, 'server_hello', S)]! };
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = delExt(b.extensions, X.renegotiation_info);
      });
      E.push({ ...chOf(E), encrypted: true }, { ...sh, encrypted: true });
    },
  },
  {
    // a renegotiation of the TLS 1.2 connection answered with a TLS 1.3 ServerHello (RFC 8446 §4.1.2)
    rule: 'ver.t13.no-13-in-renegotiation',
    base: 't12',
    m: (E) => {
      E.push({ ...chOf(E), encrypted: true }, { ...E[at(E, 'server_hello', S)]!, encrypted: true });
      edit(
        E,
        'server_hello',
        S,
        V12,
        (b) => {
          b.extensions = setExt(b.extensions, X.supported_versions, { kind: 'supported_versions_server', version: 0x0304 });
        },
        1,
      );
    },
  },
  {
    rule: 'ext.ecc.curve-offered',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.supported_groups, { kind: 'supported_groups', groups: [0x18] });
      }),
  },
  {
    // ECDHE_ECDSA with a P-256 server certificate, the client offering only x25519 (the ServerKeyExchange curve)
    rule: 'ext.ecc.curve-offered',
    base: 't12',
    detail: /certificate's ECDSA key is on curve 0x0017/,
    m: (E) => {
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.supported_groups, { kind: 'supported_groups', groups: [0x1d] });
      });
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0xc02c;
      });
      edit(E, 'certificate', S, V12, (b) => {
        if (b.form === 'tls12')
          b.certificates = [
            pemBlocks(readFileSync(join(SHARED, 'captures', 'pki', 'ecdsa', 'server.crt'), 'utf8'), 'CERTIFICATE')[0]!,
          ];
      });
    },
  },
  {
    rule: 'ext.ecc.named-curve-only',
    base: 't12',
    m: (E) => {
      const e = E[at(E, 'server_key_exchange', S)]!;
      e.raw = Uint8Array.from(e.raw!);
      e.raw[4] = 1;
    },
  },
  {
    rule: 'ext.ecc.point-formats',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.ec_point_formats, { kind: 'ec_point_formats', formats: [1] });
      }),
  },
  {
    rule: 'ext.ecc.no-ecc-ext-without-ecc',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.cipherSuites = [0x009d, 0x00ff];
      }),
  },
  {
    rule: 'ext.status-request',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = setExt(b.extensions, X.status_request, { kind: 'empty' });
      }),
  },
  {
    rule: 'ext.sni.format',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.server_name, {
          kind: 'server_name',
          names: [{ nameType: 0, name: bytes('example.com.') }],
        });
      }),
  },
  {
    rule: 'ext.sni.server-ack',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = setExt(b.extensions, X.server_name, {
          kind: 'server_name',
          names: [{ nameType: 0, name: bytes('localhost') }],
        });
      }),
  },
  {
    rule: 'ext.mfl.values',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.max_fragment_length, { kind: 'max_fragment_length', value: 5 });
      }),
  },
  {
    rule: 'ext.rsl.value',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.record_size_limit, { kind: 'record_size_limit', limit: 63 });
      }),
  },
  {
    rule: 'ext.rsl.not-with-mfl',
    base: 't12',
    m: (E) => {
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.record_size_limit, { kind: 'record_size_limit', limit: 1024 });
        b.extensions = setExt(b.extensions, X.max_fragment_length, { kind: 'max_fragment_length', value: 2 });
      });
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = setExt(b.extensions, X.record_size_limit, { kind: 'record_size_limit', limit: 1024 });
        b.extensions = setExt(b.extensions, X.max_fragment_length, { kind: 'max_fragment_length', value: 2 });
      });
    },
  },
  {
    rule: 't12.neg.ticket',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = setExt(b.extensions, X.session_ticket, { kind: 'session_ticket', ticket: Uint8Array.of(1) });
      }),
  },
  {
    rule: 't12.neg.sigalgs-extension',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.extensions = setExt(b.extensions, X.signature_algorithms, { kind: 'signature_algorithms', schemes: [0x0804] });
      }),
  },
  {
    rule: 't12.neg.ske-sigalg',
    base: 't12',
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.signature_algorithms, { kind: 'signature_algorithms', schemes: [0x0403] });
      }),
  },
  {
    rule: 't12.neg.cv-sigalg',
    base: 't12',
    m: (E) =>
      edit(E, 'certificate_request', S, V12, (b) => {
        if (b.form === 'tls12') b.signatureAlgorithms = [0x0403];
      }),
  },
  {
    rule: 't12.neg.cr-fields',
    base: 't12',
    m: (E) =>
      edit(E, 'certificate_request', S, V12, (b) => {
        if (b.form === 'tls12') b.signatureAlgorithms.push(0x0400);
      }),
  },
  {
    rule: 't13.neg.cert-request-context',
    base: 't13',
    m: (E) =>
      edit(E, 'certificate_request', S, V13, (b) => {
        if (b.form === 'tls13') b.context = Uint8Array.of(1);
      }),
  },
  {
    rule: 't13.neg.cr-sigalgs',
    base: 't13',
    m: (E) =>
      edit(E, 'certificate_request', S, V13, (b) => {
        if (b.form === 'tls13') b.extensions = delExt(b.extensions, X.signature_algorithms);
      }),
  },
  {
    rule: 't13.neg.nst-fields',
    base: 't13',
    m: (E) =>
      edit(E, 'new_session_ticket', S, V13, (b) => {
        if (b.form === 'tls13') b.lifetime = 700000;
      }),
  },
  { rule: 't13.neg.keyupdate-values', base: 't13', m: (E) => E.push(hs(C, '1800000102', true)) },
  {
    rule: 'alert.t13.error-level',
    base: 't13',
    m: (E) => E.push({ dir: S, kind: 'alert', raw: Uint8Array.of(1, 40), encrypted: true }),
  },
  {
    rule: 't12.neg.resume-consistency',
    base: 'g12',
    resume: true,
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0xc02f;
      }),
  },
  {
    rule: 'ext.ems.resumption',
    base: 'g12',
    resume: true,
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = delExt(b.extensions, X.extended_master_secret);
      }),
  },
  {
    rule: 'ext.sni.resumption',
    base: 'g12',
    resume: true,
    m: (E) =>
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(
          b.extensions,
          X.server_name,
          { kind: 'server_name', names: [{ nameType: 0, name: bytes('other.example') }] },
          0,
        );
      }),
  },
  {
    rule: 'alert.t12.no-resume-after-fatal',
    base: 'g12',
    resume: true,
    o: (E) => E.push({ dir: S, kind: 'alert', raw: Uint8Array.of(2, 80), encrypted: true }),
  },
  {
    rule: 't12.neg.no-weak-algorithms',
    base: 't12',
    m: (E) =>
      edit(E, 'server_hello', S, V12, (b) => {
        b.cipherSuite = 0x0004;
      }),
  }, // ---- live rules decided from a transcript: the other side's reaction to a violation
  {
    rule: 'alert.t12.must-send',
    base: 't12',
    m: (E) => {
      edit(E, 'server_hello', S, V12, (b) => {
        b.compressionMethod = 1;
      });
      E.splice(at(E, 'server_hello', S) + 1, E.length, alertEntry(C, 50));
    },
    detail: /client's answer .* is decode_error; RFC 5246 §7\.2\.2/,
  },
  {
    rule: 'alert.illegal-parameter',
    base: 't12',
    m: (E) => {
      edit(E, 'server_hello', S, V12, (b) => {
        b.compressionMethod = 1;
      });
      E.splice(at(E, 'server_hello', S) + 1, E.length, alertEntry(C, 50));
    },
  },
  {
    rule: 'alert.t13.named-alert',
    base: 't13',
    m: (E) => {
      edit(E, 'server_hello', S, V13, (b) => {
        b.sessionId = new Uint8Array(32).fill(7);
      });
      E.splice(at(E, 'server_hello', S) + 1, E.length, alertEntry(C, 50));
    },
    detail: /is decode_error; RFC 8446 §6\.2/,
  },
  {
    rule: 'ver.client-accepts-version',
    base: 't13',
    m: (E) =>
      edit(E, 'client_hello', C, V13, (b) => {
        b.extensions = setExt(b.extensions, X.supported_versions, { kind: 'supported_versions_client', versions: [0x0303] });
      }),
    detail: /client went on/,
  },
  {
    rule: 'ver.downgrade-sentinel-check',
    base: 't12',
    m: (E) => {
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.supported_versions, {
          kind: 'supported_versions_client',
          versions: [0x0304, 0x0303],
        });
      });
      edit(E, 'server_hello', S, V12, (b) => {
        b.random = Uint8Array.from([...b.random.subarray(0, 24), ...DOWNGRADE_TLS12]);
      });
    },
  },
  {
    rule: 'ext.ignore-unknown',
    base: 't12',
    m: (E) => {
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, 0x7a7a, { kind: 'opaque', data: new Uint8Array(0) }, 0);
      });
      E.splice(at(E, 'client_hello', C) + 1, E.length, alertEntry(S, 110));
    },
  },
  {
    rule: 'ext.sni.unrecognized',
    base: 't12',
    m: (E) => {
      edit(E, 'client_hello', C, V12, (b) => {
        b.extensions = setExt(b.extensions, X.server_name, {
          kind: 'server_name',
          names: [{ nameType: 0, name: bytes('localhost') }],
        });
      });
      E.splice(at(E, 'server_hello', S) + 1, 0, { dir: S, kind: 'alert', raw: Uint8Array.of(1, 112), encrypted: false });
    },
  },
  {
    rule: 'rec.hs-fragmentation',
    base: 't12',
    records: true,
    r: (R) => {
      const i = R.findIndex((x) => x.dir === S && x.raw[5] === 2);
      const f = R[i]!.raw.subarray(5);
      R.splice(
        i,
        R.length,
        rec(S, 22, 0x0303, f.subarray(0, 40)),
        rec(S, 22, 0x0303, f.subarray(40)),
        rec(C, 21, 0x0303, Uint8Array.of(2, 50)),
      );
    },
  },
];

function base(b: Base): Entry[] | undefined {
  const c = findCase(CASES[b]);
  return c ? entriesOf(c) : undefined;
}

/** An abbreviated handshake resuming the session of connection E (its session ID echoed). */
function resumedFrom(E: Entry[]): Entry[] {
  const sh = E[at(E, 'server_hello', S)]!;
  const sid = Uint8Array.from(sh.raw!.subarray(39, 71));
  const R: Entry[] = [
    { ...chOf(E) },
    { ...sh },
    { dir: S, kind: 'change_cipher_spec', encrypted: false },
    { ...E[at(E, 'finished', S)]! },
    { dir: C, kind: 'change_cipher_spec', encrypted: false },
    { ...E[at(E, 'finished', C)]! },
    { dir: C, kind: 'application_data', encrypted: true },
  ];
  edit(R, 'client_hello', C, V12, (b) => {
    b.sessionId = sid;
  });
  // resumed by session ID, no new ticket issued
  edit(R, 'server_hello', S, V12, (b) => {
    b.extensions = delExt(b.extensions, X.session_ticket);
  });
  return R;
}

function buildResumed(row: Omit<Row, 'rule'>): { original: Transcript; resumed: Transcript } | undefined {
  const O = base(row.base);
  if (!O) return undefined;
  const E = resumedFrom(O);
  row.o?.(O);
  row.m?.(E);
  return { original: buildFromMessages(O), resumed: buildFromMessages(E) };
}

function build(row: Pick<Row, 'base' | 'records' | 'm' | 'r'>): Transcript | undefined {
  const E = base(row.base);
  if (!E) return undefined;
  row.m?.(E);
  if (!row.records && !row.r) return buildFromMessages(E);
  const R = recordsOf(E, row.base === 't13');
  row.r?.(R);
  return buildFromRecords(R);
}

describe('real captures', () => {
  it.each(captureTranscripts().map((c) => [`${c.name}#${c.connection}`, c.transcript] as const))(
    '%s (messages) has no violation',
    async (_n, t) => {
      // the published vectors carry no capture time and an example certificate (expired, no subjectAltName): certificate rules are checked on the captures in crypto-cert.spec.ts
      const certRules = new Set(allRules.filter((r) => r.group === 'certificates').map((r) => r.id));
      const v = (await checkTranscript(t)).verdicts.filter(
        (x) => x.status === 'violation' && !(_n.startsWith('vectors/') && certRules.has(x.rule)),
      );
      expect(v).toEqual([]);
    },
  );
  it.each(Object.keys(CASES) as Base[])('%s rebuilt from records has no violation and record rules pass', async (b) => {
    const t = build({ base: b, records: true })!;
    const r = await checkTranscript(t);
    expect(r.verdicts.filter((x) => x.status === 'violation')).toEqual([]);
    for (const id of ['rec.record-version', 'rec.plaintext-max-len', 'rec.no-empty-fragments', 'rec.content-type-known'] as const)
      expect(ruleStatus(r.verdicts, id)).toBe('pass');
  });
});

describe('each implemented rule trips on a hand-made violation', () => {
  it('every declared rule has at least one violating row', async () => {
    const covered = new Set(ROWS.map((r) => r.rule));
    // crypto and certificate rules have their own table in crypto-cert.spec.ts; live rules without a
    // transcript check are decided by live conversations only (oracles/live.ts liveVerdicts)
    const here = allRules.filter(
      (r) => r.group !== 'crypto' && r.group !== 'certificates' && r.id !== 't13.neg.cv-sigalg' && r.check !== undefined,
    );
    expect(here.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });
  it.each(ROWS.map((r, i) => [r.rule, i] as const))('%s (row %i)', async (rule, i) => {
    const row = ROWS[i]!;
    const pair = row.resume ? buildResumed(row)! : undefined;
    let t = pair ? pair.resumed : build(row)!;
    if (row.pcap) {
      t = await pcapTranscript(findCase(CASES[row.base])!);
      await row.pcap(t);
    }
    const verdicts = (await checkTranscript(t, pair ? { earlier: [pair.original] } : {})).verdicts.filter((v) => v.rule === rule);
    expect(verdicts.map((v) => v.status)).toContain('violation');
    const v = verdicts.find((x) => x.status === 'violation')!;
    expect(v.detail.length).toBeGreaterThan(10);
    if (row.detail)
      expect(verdicts.filter((x) => x.status === 'violation').map((x) => x.detail)).toContainEqual(
        expect.stringMatching(row.detail),
      );
  });
});

describe('valid variants of a real TLS 1.3 handshake stay clean', () => {
  // edited transcripts no longer carry valid signatures/Finished: the crypto and certificate rules are left out here
  const signedRules = new Set(
    allRules.filter((r) => r.group === 'crypto' || r.group === 'certificates' || r.id === 't13.neg.cv-sigalg').map((r) => r.id),
  );
  const clean = async (E: Entry[]) =>
    (await checkTranscript(buildFromMessages(E))).verdicts.filter((v) => v.status === 'violation' && !signedRules.has(v.rule));
  it('with a HelloRetryRequest, a conforming second ClientHello and ServerHello', async () => {
    const E = base('t13')!;
    withHrr(E, 0x17, (E2) => {
      edit(
        E2,
        'client_hello',
        C,
        V13,
        (b) => {
          b.extensions = setExt(
            b.extensions,
            X.key_share,
            { kind: 'key_share_client', shares: [{ group: 0x17, keyExchange: new Uint8Array(65).fill(4) }] },
            b.extensions!.findIndex((e) => e.type === X.key_share),
          );
        },
        1,
      );
      edit(
        E2,
        'server_hello',
        S,
        V13,
        (b) => {
          const ks = b.extensions!.find((e) => e.type === X.key_share)!.body;
          if (ks.kind === 'key_share_server') ks.share = { group: 0x17, keyExchange: new Uint8Array(65).fill(4) };
        },
        1,
      );
    });
    // the server's dummy CCS belongs right after its first message, the HelloRetryRequest
    const ccs = E.findIndex((e) => e.kind === 'change_cipher_spec' && e.dir === S);
    const [c] = E.splice(ccs, 1);
    E.splice(at(E, 'server_hello', S) + 1, 0, c!);
    expect(await clean(E)).toEqual([]);
    const r = await checkTranscript(buildFromMessages(E));
    for (const id of [
      't13.neg.ch2-rules',
      't13.neg.hrr-sh-consistency',
      't13.neg.hrr-group',
      't13.order.single-hrr',
      't13.order.state-machine',
    ] as const)
      expect([id, ruleStatus(r.verdicts, id)]).toEqual([id, 'pass']);
  });
  it('as a PSK resumption without certificates', async () => {
    const E = base('t13')!;
    edit(E, 'client_hello', C, V13, (b) => {
      b.extensions = setExt(b.extensions, X.pre_shared_key, pskClient);
    });
    edit(E, 'server_hello', S, V13, (b) => {
      b.extensions = setExt(b.extensions, X.pre_shared_key, { kind: 'pre_shared_key_server', selectedIdentity: 0 });
    });
    for (const [t, d] of [
      ['certificate_request', S],
      ['certificate', S],
      ['certificate_verify', S],
      ['certificate', C],
      ['certificate_verify', C],
    ] as const)
      drop(E, t, d);
    expect(await clean(E)).toEqual([]);
    const r = await checkTranscript(buildFromMessages(E));
    for (const id of [
      't13.order.no-server-cert-in-psk',
      't13.neg.psk-modes',
      't13.neg.psk-ext-last',
      't13.order.state-machine',
    ] as const)
      expect([id, ruleStatus(r.verdicts, id)]).toEqual([id, 'pass']);
  });
});

describe('resumption', () => {
  it('an abbreviated handshake resuming a real session passes every rule it can decide', async () => {
    const pair = buildResumed({ base: 'g12', resume: true })!;
    const r = await checkTranscript(pair.resumed, { earlier: [pair.original] });
    expect(r.verdicts.filter((v) => v.status === 'violation')).toEqual([]);
    for (const id of [
      't12.neg.resume-consistency',
      'ext.ems.resumption',
      'ext.sni.resumption',
      't12.order.abbreviated-flow',
      't12.order.state-machine',
    ] as const)
      expect([id, ruleStatus(r.verdicts, id)]).toEqual([id, 'pass']);
    // the original connection's close_notify alerts are encrypted (tshark gives no bytes for them)
    expect(ruleStatus(r.verdicts, 'alert.t12.no-resume-after-fatal')).toBe('inconclusive');
    expect(ruleStatus(r.verdicts, 't12.order.server-cert-required')).toBe('not-applicable');
  });
  it('without the original connection the resumption rules are inconclusive', async () => {
    const pair = buildResumed({ base: 'g12', resume: true })!;
    const r = await checkTranscript(pair.resumed);
    for (const id of ['t12.neg.resume-consistency', 'ext.ems.resumption'])
      expect(r.verdicts.find((v) => v.rule === id)).toMatchObject({
        status: 'inconclusive',
        detail: expect.stringMatching(/original connection/),
      });
  });
});

describe('missing evidence is inconclusive, never a silent pass', () => {
  it('a TLS 1.3 transcript with only the plaintext hellos and a gap is inconclusive for the encrypted ordering rules', async () => {
    const E = base('t13')!;
    const b = new TranscriptBuilder({ kind: 'manual' });
    const recs = recordsOf(E, true);
    for (const r of recs) {
      const { plaintext: _drop, ...noKeys } = r;
      b.addRecord(noKeys);
    }
    const t = b.finish();
    expect(t.gaps.length).toBeGreaterThan(0);
    const r = await checkTranscript(t);
    const encrypted = allRules
      .filter((x) => x.group === 'ordering' && x.versions.includes('1.3') && x.evidence === 'keys')
      .map((x) => x.id);
    expect(encrypted.length).toBeGreaterThan(10);
    for (const id of encrypted) expect([id, ruleStatus(r.verdicts, id)]).toEqual([id, 'inconclusive']);
    expect(r.verdicts.find((v) => v.rule === 't13.order.ee-after-sh')!.detail).toMatch(/encrypted and no key log/);
    expect(ruleStatus(r.verdicts, 't13.order.server-first')).toBe('pass');
    expect(r.summary.violation).toBe(0);
  });
  it('the hellos alone (encrypted part missing entirely) are inconclusive too', async () => {
    const E = base('t13')!.slice(0, 2);
    const b = new TranscriptBuilder({ kind: 'manual' });
    for (const r of recordsOf(E, true)) b.addRecord(r);
    const t = b.finish();
    t.gaps.push({ reason: 'the capture ends after ServerHello' });
    const r = await checkTranscript(t);
    for (const id of [
      't13.order.ee-after-sh',
      't13.order.server-flight',
      't13.order.client-flight',
      't13.order.state-machine',
    ] as const)
      expect(ruleStatus(r.verdicts, id)).toBe('inconclusive');
  });
});

describe('oracle gaps closed: verdicts where the evidence allows one, not-applicable where nothing happened', () => {
  let cache: RenderCache;
  beforeAll(() => {
    cache = newRenderCache(nodeProvider());
  });
  const plan = (over: Partial<HandshakePlan>): HandshakePlan =>
    normalizePlan({
      ...(fc.sample(handshakePlanArb(), { numRuns: 1, seed: 77 })[0] as HandshakePlan),
      helloRetry: { on: false, cookie: false },
      ...over,
    });
  const judge = async (p: HandshakePlan, o: { earlier?: boolean; keys?: boolean } = {}) => {
    const r = await renderHandshake(p, cache);
    const opts: CheckOptions = { trustAnchors: r.trustAnchors, at: r.at, certCache: cache.certCache };
    if (o.keys !== false) opts.privateKeys = r.privateKeys;
    if (o.earlier !== false) opts.earlier = r.earlier.map((e) => e.transcript);
    return { r, res: await checkTranscript(r.transcript, opts) };
  };
  const status = (vs: readonly Verdict[], ids: readonly RuleId[]) => ids.map((id) => [id, ruleStatus(vs, id)]);

  it.each(['psk_dhe_ke', 'psk_ke'] as const)(
    'TLS 1.3 %s resumption: the key schedule is recomputed from the PSK of the first connection',
    async (mode) => {
      const { res } = await judge(plan({ version: '1.3', suite: 0x1301, group: 0x1d, resumption: mode }));
      expect(res.verdicts.filter((v) => v.status === 'violation')).toEqual([]);
      expect(status(res.verdicts, ['t13.ks.schedule', 't13.ks.secrets'])).toEqual([
        ['t13.ks.schedule', 'pass'],
        ['t13.ks.secrets', 'pass'],
      ]);
      expect(ruleStatus(res.verdicts, 'ecdh.symmetry')).toBe(mode === 'psk_ke' ? 'not-applicable' : 'pass');
      // the ticket was issued for the same name: ext.sni.resumption is decided
      expect(ruleStatus(res.verdicts, 'ext.sni.resumption')).toBe('pass');
    },
  );
  it('TLS 1.3 resumption under a server_name the original certificate does not cover violates ext.sni.resumption', async () => {
    const { r } = await judge(plan({ version: '1.3', suite: 0x1301, group: 0x1d, resumption: 'psk_dhe_ke', sni: 'localhost' }));
    const E: Entry[] = r.transcript.messages.map((m) => ({
      dir: m.dir,
      kind: m.kind,
      encrypted: m.encrypted,
      ...(m.raw ? { raw: m.raw } : {}),
    }));
    const rename = (name: string) => {
      const F = E.map((e) => ({ ...e }));
      edit(F, 'client_hello', C, V13, (b) => {
        b.extensions = setExt(
          b.extensions,
          X.server_name,
          { kind: 'server_name', names: [{ nameType: 0, name: bytes(name) }] },
          b.extensions!.findIndex((e) => e.type === X.server_name),
        );
      });
      return checkTranscript(buildFromMessages(F), { earlier: r.earlier.map((e) => e.transcript) });
    };
    expect((await rename('other.example')).verdicts.find((v) => v.rule === 'ext.sni.resumption')).toMatchObject({
      status: 'violation',
      detail: expect.stringMatching(/other\.example/),
    });
    // another name the original certificate is valid for: allowed (RFC 8446 §4.6.1 SHOULD, not MUST)
    expect(ruleStatus((await rename('server.tlsprop.test')).verdicts, 'ext.sni.resumption')).toBe('pass');
  });
  it('TLS 1.3 resumption without the first connection: the schedule is inconclusive and says why', async () => {
    const { res } = await judge(plan({ version: '1.3', suite: 0x1301, group: 0x1d, resumption: 'psk_dhe_ke' }), {
      earlier: false,
    });
    expect(res.verdicts.find((v) => v.rule === 't13.ks.schedule')).toMatchObject({
      status: 'inconclusive',
      detail: expect.stringMatching(/original connection was not given/),
    });
  });
  it('a full TLS 1.3 handshake: ext.sni.resumption is not-applicable', async () => {
    const { res } = await judge(plan({ version: '1.3', suite: 0x1301, group: 0x1d, resumption: 'none' }));
    expect(ruleStatus(res.verdicts, 'ext.sni.resumption')).toBe('not-applicable');
  });
  it.each(['session_id', 'ticket'] as const)(
    'an abbreviated TLS 1.2 handshake (%s): the key-exchange rules are not-applicable',
    async (mode) => {
      const { res } = await judge(plan({ version: '1.2', suite: 0x009c, resumption: mode }));
      expect(res.verdicts.filter((v) => v.status === 'violation')).toEqual([]);
      for (const id of ['t12.ks.master-secret', 't12.ks.ems', 't12.ks.pms-rsa', 't12.rsa.cke-encoding'] as const)
        expect([id, ruleStatus(res.verdicts, id)]).toEqual([id, 'not-applicable']);
      expect(ruleStatus(res.verdicts, 't12.fin.verify-data')).toBe('pass');
    },
  );
  it('TLS 1.2 RSA key exchange: the master secret is recomputed from the decrypted premaster; without the server key it is inconclusive', async () => {
    for (const ems of [true, false]) {
      const { res } = await judge(plan({ version: '1.2', suite: 0x009c, resumption: 'none', ems: { client: ems, server: ems } }));
      expect(res.verdicts.filter((v) => v.status === 'violation')).toEqual([]);
      expect([ems, ruleStatus(res.verdicts, ems ? 't12.ks.ems' : 't12.ks.master-secret')]).toEqual([ems, 'pass']);
    }
    const { res } = await judge(plan({ version: '1.2', suite: 0x009c, resumption: 'none' }), { keys: false });
    expect(res.verdicts.find((v) => v.rule === 't12.ks.pms-rsa')).toMatchObject({
      status: 'inconclusive',
      detail: expect.stringMatching(/private key was not given/),
    });
  });
  it('a TLS 1.2-only ClientHello answered by a fatal alert is judged as TLS 1.2 (no ServerHello needed)', async () => {
    const E = base('t12')!.slice(0, 1);
    E.push({ dir: S, kind: 'alert', raw: Uint8Array.of(2, 86), encrypted: false });
    const r = await checkTranscript(buildFromMessages(E));
    expect(r.context.version).toBe('1.2');
    expect(r.context.versionFrom).toBe('client_hello');
    expect(r.verdicts.filter((v) => v.status === 'violation')).toEqual([]);
  });
});
