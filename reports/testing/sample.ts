/** A hand-built RunInput for the reports' tests and the sample HTML report. */
import { definition } from '../../oracles/alert-choices';
import type { RuleId, Verdict } from '../../oracles/rule';
import type { MachineTable, RunInput, RuleInfo } from '../model';

const VERSIONS = ['1.2', '1.3'] as const;

export const SAMPLE_RULES: RuleInfo[] = [
  {
    id: 't13.order.server-first',
    title: 'ServerHello follows ClientHello',
    rfc: ['RFC 8446 §4.1.3', 'RFC 8446 App. A.1'],
    versions: ['1.3'],
    role: 'server',
    strength: 'MUST',
    alerts: [definition('unexpected_message', VERSIONS)],
    evidence: 'plaintext',
    group: 'ordering',
  },
  {
    id: 't12.neg.suite-offered',
    title: 'The server picks an offered cipher suite',
    rfc: ['RFC 5246 §7.4.1.3'],
    versions: ['1.2'],
    role: 'server',
    strength: 'MUST',
    alerts: [definition('illegal_parameter', VERSIONS)],
    evidence: 'plaintext',
    group: 'negotiation',
  },
  {
    id: 'rec.plaintext-max-len',
    title: 'Plaintext records are at most 2^14 bytes',
    rfc: ['RFC 5246 §6.2.1', 'RFC 8446 §5.1'],
    versions: ['1.2', '1.3'],
    role: 'both',
    strength: 'MUST',
    alerts: [definition('record_overflow', VERSIONS)],
    evidence: 'plaintext',
    group: 'record',
  },
  {
    id: 't13.fin.verify-data',
    title: 'Finished verify_data is right',
    rfc: ['RFC 8446 §4.4.4'],
    versions: ['1.3'],
    role: 'both',
    strength: 'MUST',
    alerts: [definition('decrypt_error', VERSIONS)],
    evidence: 'keys',
    group: 'crypto',
  },
];

export const SAMPLE_MACHINES: MachineTable[] = [
  {
    machine: 't13-client',
    initial: 'START',
    transitions: [
      { from: 'START', to: 'WAIT_SH', via: 'send client_hello' },
      { from: 'WAIT_SH', to: 'WAIT_EE', via: 'recv server_hello' },
      { from: 'WAIT_SH', to: 'WAIT_CH2', via: 'recv hello_retry_request' },
      { from: 'WAIT_CH2', to: 'WAIT_SH', via: 'send client_hello' },
      { from: 'WAIT_EE', to: 'WAIT_FIN', via: 'recv encrypted_extensions' },
      { from: 'WAIT_FIN', to: 'CONNECTED', via: 'recv finished' },
      { from: 'CONNECTED', to: 'CONNECTED', via: 'recv new_session_ticket' },
    ],
  },
  {
    machine: 't12-server',
    initial: 'START',
    transitions: [
      { from: 'START', to: 'SENT_SH', via: 'recv client_hello' },
      { from: 'SENT_SH', to: 'WAIT_CKE', via: 'send server_hello_done' },
      { from: 'WAIT_CKE', to: 'CONNECTED', via: 'recv finished' },
    ],
  },
];

const v = (rule: RuleId, status: Verdict['status'], detail = `${rule} ${status}`, extra: Partial<Verdict> = {}): Verdict => ({
  rule,
  status,
  detail,
  ...extra,
});

/** A fresh deep copy each call: tests may modify it. */
export function sampleInput(): RunInput {
  return structuredClone({
    tool: { name: 'tlsprop', version: '0.1.0' },
    startedAt: '2026-01-02T03:04:05.000Z',
    rules: SAMPLE_RULES,
    stateMachines: SAMPLE_MACHINES,
    transcripts: [
      {
        id: 't1',
        provenance: { kind: 'generated', seed: 11, path: '0:1' },
        config: {
          version: '1.3',
          cipherSuite: 'TLS_AES_128_GCM_SHA256',
          group: 'x25519',
          signatureScheme: 'ecdsa_secp256r1_sha256',
          clientAuth: 'none',
          resumption: 'none',
          helloRetry: false,
          extensions: ['supported_versions', 'key_share'],
        },
        verdicts: [
          v('t13.order.server-first', 'pass'),
          v('t12.neg.suite-offered', 'not-applicable'),
          v('rec.plaintext-max-len', 'pass'),
          v('rec.plaintext-max-len', 'pass'),
          v('t13.fin.verify-data', 'inconclusive', 'no key log'),
        ],
        transitions: [
          { machine: 't13-client', from: 'START', to: 'WAIT_SH', via: 'send client_hello' },
          { machine: 't13-client', from: 'WAIT_SH', to: 'WAIT_EE', via: 'recv server_hello' },
        ],
      },
      {
        id: 't2',
        provenance: { kind: 'generated', seed: 12, path: '3:2:1' },
        config: {
          version: '1.3',
          cipherSuite: 'TLS_AES_256_GCM_SHA384',
          group: 'secp256r1',
          signatureScheme: 'rsa_pss_rsae_sha256',
          clientAuth: 'required',
          resumption: 'psk_dhe_ke',
          helloRetry: true,
          extensions: ['supported_versions', 'key_share', 'pre_shared_key', 'key_share'],
        },
        verdicts: [
          v('t13.order.server-first', 'pass'),
          v('rec.plaintext-max-len', 'pass'),
          v('rec.plaintext-max-len', 'violation', 'Record 3 is 16385 bytes: <too & "long">', {
            message: 3,
            expected: '<= 16384',
            actual: '16385',
          }),
          v('t13.fin.verify-data', 'pass'),
        ],
        ladder: ['C->S client_hello', 'S->C server_hello', 'S->C record 16385 bytes'],
        keylog: [
          'CLIENT_HANDSHAKE_TRAFFIC_SECRET 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899',
        ],
        transitions: [
          { machine: 't13-client', from: 'START', to: 'WAIT_SH', via: 'send client_hello' },
          { machine: 't13-client', from: 'WAIT_SH', to: 'WAIT_CH2', via: 'recv hello_retry_request' },
        ],
      },
      {
        id: 't3',
        provenance: { kind: 'capture', file: 'a.pcap', connection: 0 },
        config: {
          version: '1.2',
          cipherSuite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
          group: 'x25519',
          clientAuth: 'none',
          resumption: 'ticket',
          helloRetry: false,
          extensions: ['session_ticket'],
        },
        verdicts: [
          v('t13.order.server-first', 'not-applicable'),
          v('t12.neg.suite-offered', 'pass'),
          v('rec.plaintext-max-len', 'inconclusive', 'Record 2 could not be read.'),
        ],
        transitions: [{ machine: 't12-server', from: 'START', to: 'SENT_SH', via: 'recv client_hello' }],
      },
    ],
    mutants: [
      {
        id: 'm1',
        operator: 'drop-message',
        declaredRules: ['t13.order.server-first'],
        seed: 21,
        path: '1',
        verdicts: [v('t13.order.server-first', 'violation'), v('rec.plaintext-max-len', 'pass')],
      },
      {
        id: 'm2',
        operator: 'drop-message',
        declaredRules: ['t13.order.server-first'],
        seed: 22,
        trippedRules: ['t12.neg.suite-offered'],
      },
      {
        id: 'm3',
        operator: 'swap-suite',
        declaredRules: ['t12.neg.suite-offered'],
        seed: 23,
        path: '4:4',
        verdicts: [v('t12.neg.suite-offered', 'pass')],
        transitions: [{ machine: 't12-server', from: 'START', to: 'CONNECTED', via: 'recv finished' }],
      },
      { id: 'm4', operator: 'swap-suite', declaredRules: ['t12.neg.suite-offered'], trippedRules: ['t12.neg.suite-offered'] },
    ],
    conversations: [
      {
        target: 'openssl',
        role: 'server',
        name: 'accepts-ok',
        verdict: 'conforming',
        ladder: ['C->S client_hello', 'S->C server_hello'],
      },
      {
        target: 'openssl',
        role: 'server',
        name: 'finished-before-cke <x>',
        verdict: 'accepted-invalid',
        rule: 't13.order.server-first',
        detail: 'The server answered a Finished sent before ClientKeyExchange & did not alert.',
        ladder: [
          'C->S client_hello',
          'S->C server_hello',
          'S->C server_hello_done',
          'C->S finished',
          'S->C change_cipher_spec',
          'no alert!',
        ],
        seed: 31,
        path: '7:0',
        transitions: [{ machine: 't12-server', from: 'SENT_SH', to: 'CONNECTED', via: 'recv finished' }],
      },
      { target: 'gnutls', role: 'client', name: 'hangs', verdict: 'hung', ladder: ['C->S client_hello', 'timeout after 5 s'] },
    ],
  });
}

/** The sample split in two shards (every list halved differently). */
export function sampleShards(): [RunInput, RunInput] {
  const all = sampleInput();
  const a: RunInput = {
    ...all,
    transcripts: all.transcripts.slice(0, 1),
    mutants: all.mutants.filter((_, i) => i % 2 === 0),
    conversations: all.conversations!.slice(0, 2),
  };
  const b: RunInput = {
    ...all,
    rules: all.rules.slice(2),
    transcripts: all.transcripts.slice(1),
    mutants: all.mutants.filter((_, i) => i % 2 === 1),
    conversations: all.conversations!.slice(2),
  };
  return [a, b];
}

/** The sample with what a live run adds: run metadata, targets, a finding with bytes, replay and saved files. */
export function sampleRunInput(): RunInput {
  const input = sampleInput();
  input.run = {
    command: 'run',
    argv: ['--target', '127.0.0.1:4433', '--seed', '31'],
    seed: 31,
    durationMs: 12_345,
    targets: ['openssl', 'gnutls'],
    platform: 'node v20.0.0, OpenSSL 3.0.0, linux-x64',
  };
  input.targets = [
    {
      name: 'openssl',
      role: 'server',
      address: '127.0.0.1:4433',
      probed: { versions: ['1.3', '1.2'], suites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], certificateRequested: true },
      sanity: { first: true, last: true },
      durationMs: 9000,
    },
    {
      name: 'gnutls',
      role: 'client',
      address: 'gnutls-cli -p {port} {host}',
      sanity: { first: true, last: true },
      durationMs: 3000,
    },
  ];
  const accepted = input.conversations![1]!;
  Object.assign(accepted, {
    ms: 42,
    alert: 'internal_error',
    expectedAlerts: ['unexpected_message'],
    subjects: ['finished-before-cke'],
    replay: 'tlsprop run --target 127.0.0.1:4433 --seed 31 --path 7:0',
    saved: { pcap: 'conversations/openssl/7_0.pcap', keylog: 'conversations/openssl/7_0.keylog' },
    bytes: {
      index: 3,
      dir: 'C->S',
      type: 'finished',
      hex: '1400000c0102030405060708090a0b0c',
      fields: [{ path: 'body.verifyData', value: '0102030405060708090a0b0c' }],
    },
  });
  return input;
}
