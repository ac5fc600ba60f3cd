/**
 * The abstract alphabets of state-machine learning. An input is something
 * our side (the mapper, learn/mapper/) can build in any state with the keys
 * it has; an output is what the target answered, abstracted to message
 * names, alerts by name, `closed` and, for no answer at all, `-`.
 *
 * Inputs are named by the message they carry (RFC snake_case, as the
 * transcript and the state machines name messages), with a variant in
 * parentheses when one message type has several abstract forms: an empty
 * Certificate, a Finished whose verify_data is wrong, an alert by name.
 */
import type { RuleId } from '../oracles/catalogue';
import type { AlertName, Side, StepName, TlsVersion } from '../wire/vocabulary';

/** Every abstract input the mappers can build. */
export const INPUTS = [
  // our client -> a server target
  'client_hello',
  'client_hello(rsa)',
  'client_hello(no_share)',
  'client_hello(no_key_share)',
  'client_hello(no_common_suite)',
  'client_key_exchange',
  'end_of_early_data',
  // either side
  'certificate',
  'certificate(empty)',
  'certificate(untrusted)',
  'certificate_verify',
  'certificate_verify(bad)',
  'certificate_verify(unoffered_scheme)',
  'change_cipher_spec',
  'finished',
  'finished(bad)',
  'application_data',
  'application_data(empty)',
  'key_update',
  'alert(unexpected_message)',
  'alert(close_notify)',
  // our server -> a client target
  'server_hello',
  'hello_retry_request',
  'encrypted_extensions',
  'server_key_exchange',
  'certificate_request',
  'server_hello_done',
  'hello_request',
  'new_session_ticket',
] as const;

export type InputSymbol = (typeof INPUTS)[number];

export function isInput(s: string): s is InputSymbol {
  return (INPUTS as readonly string[]).includes(s);
}

/** What one input is on the wire, and what its variant breaks when it is otherwise in order. */
export interface InputInfo {
  /** The message it carries, as the state machines name it. */
  message: StepName;
  /** The side that can send it (`both`: either). */
  sender: Side | 'both';
  versions: readonly TlsVersion[];
  /** An empty Certificate (no certificate entries). */
  empty?: boolean;
  /** Alert inputs: the alert and its level. */
  alert?: { name: AlertName; fatal: boolean };
  /**
   * Rules its content breaks wherever it is sent (a Finished with wrong verify_data, a CertificateVerify that
   * does not verify): a conforming receiver rejects it even where its type is in order.
   */
  contentRules?: Readonly<Partial<Record<TlsVersion, readonly RuleId[]>>>;
  doc: string;
}

const BOTH: readonly TlsVersion[] = ['1.2', '1.3'];

export const INPUT_INFO: Readonly<Record<InputSymbol, InputInfo>> = {
  client_hello: {
    message: 'client_hello',
    sender: 'client',
    versions: BOTH,
    doc: 'ClientHello offering the configured suites, groups and schemes (TLS 1.3: one key share); in a connected TLS 1.2 session, a renegotiation ClientHello with the previous client verify_data (RFC 5746)',
  },
  'client_hello(rsa)': {
    message: 'client_hello',
    sender: 'client',
    versions: ['1.2'],
    doc: 'TLS 1.2 ClientHello offering only RSA key exchange suites',
  },
  'client_hello(no_share)': {
    message: 'client_hello',
    sender: 'client',
    versions: ['1.3'],
    doc: 'TLS 1.3 ClientHello with an empty key_share list (a server must answer with a HelloRetryRequest, RFC 8446 §4.1.1)',
  },
  'client_hello(no_key_share)': {
    message: 'client_hello',
    sender: 'client',
    versions: ['1.3'],
    contentRules: { '1.3': ['t13.neg.mandatory-extensions'] },
    doc: 'TLS 1.3 ClientHello with supported_groups and no key_share extension (RFC 8446 §9.2: "If containing a "supported_groups" extension, it MUST also contain a "key_share" extension, and vice versa"; a server aborts with missing_extension)',
  },
  'client_hello(no_common_suite)': {
    message: 'client_hello',
    sender: 'client',
    versions: BOTH,
    contentRules: { '1.2': ['t12.neg.no-common-parameters'], '1.3': ['t13.neg.no-common-parameters'] },
    doc: 'ClientHello offering only cipher suites no server implements (GREASE values, RFC 8701): a server has no suite in common and answers handshake_failure (RFC 5246 §7.4.1.3, RFC 8446 §4.1.1)',
  },
  client_key_exchange: {
    message: 'client_key_exchange',
    sender: 'client',
    versions: ['1.2'],
    doc: "ClientKeyExchange for the negotiated key exchange (ECDHE: a fresh key on the server's group; RSA: an encrypted premaster)",
  },
  end_of_early_data: { message: 'end_of_early_data', sender: 'client', versions: ['1.3'], doc: 'EndOfEarlyData' },
  certificate: { message: 'certificate', sender: 'both', versions: BOTH, doc: 'Certificate with our chain' },
  'certificate(empty)': {
    message: 'certificate',
    sender: 'both',
    versions: BOTH,
    empty: true,
    doc: 'Certificate without any certificate',
  },
  'certificate(untrusted)': {
    message: 'certificate',
    sender: 'client',
    versions: BOTH,
    contentRules: { '1.2': ['cert.path.trust-anchor'], '1.3': ['cert.path.trust-anchor'] },
    doc: "Certificate with a chain that does not lead to the target's trust anchors (the mapper's `untrusted` identity; a CertificateVerify after it signs with that chain's key)",
  },
  certificate_verify: {
    message: 'certificate_verify',
    sender: 'both',
    versions: BOTH,
    doc: 'CertificateVerify signed over the handshake messages so far',
  },
  'certificate_verify(bad)': {
    message: 'certificate_verify',
    sender: 'both',
    versions: BOTH,
    contentRules: { '1.2': ['t12.cv.signature-valid'], '1.3': ['t13.cv.signature-valid'] },
    doc: 'CertificateVerify with a well-formed signature over other bytes than the transcript',
  },
  'certificate_verify(unoffered_scheme)': {
    message: 'certificate_verify',
    sender: 'client',
    versions: BOTH,
    contentRules: { '1.2': ['t12.neg.cv-sigalg'], '1.3': ['t13.neg.cv-sigalg'] },
    doc: 'CertificateVerify over the right bytes, signed with a scheme the CertificateRequest did not list (TLS 1.3: RSASSA-PKCS1-v1_5, which RFC 8446 §4.4.3 never allows there)',
  },
  change_cipher_spec: {
    message: 'change_cipher_spec',
    sender: 'both',
    versions: BOTH,
    doc: 'ChangeCipherSpec (TLS 1.2: our write keys switch to the pending ones; TLS 1.3: the compatibility record)',
  },
  finished: {
    message: 'finished',
    sender: 'both',
    versions: BOTH,
    doc: 'Finished with verify_data over the handshake messages so far and the current secrets',
  },
  'finished(bad)': {
    message: 'finished',
    sender: 'both',
    versions: BOTH,
    contentRules: { '1.2': ['t12.fin.verify-data'], '1.3': ['t13.fin.verify-data'] },
    doc: 'Finished whose verify_data is wrong (the right one with its bits flipped)',
  },
  application_data: {
    message: 'application_data',
    sender: 'both',
    versions: BOTH,
    doc: 'one application data record (the configured payload) under the current write keys',
  },
  'application_data(empty)': {
    message: 'application_data',
    sender: 'both',
    versions: BOTH,
    doc: 'an application data record with no data',
  },
  key_update: {
    message: 'key_update',
    sender: 'both',
    versions: ['1.3'],
    doc: 'KeyUpdate (update_not_requested); our write keys move on when application keys are in use',
  },
  'alert(unexpected_message)': {
    message: 'alert',
    sender: 'both',
    versions: BOTH,
    alert: { name: 'unexpected_message', fatal: true },
    doc: 'fatal unexpected_message alert',
  },
  'alert(close_notify)': {
    message: 'alert',
    sender: 'both',
    versions: BOTH,
    alert: { name: 'close_notify', fatal: false },
    doc: 'close_notify (warning) alert',
  },
  server_hello: {
    message: 'server_hello',
    sender: 'server',
    versions: BOTH,
    doc: "ServerHello selecting a suite, group (TLS 1.3: from the client's key share) from the ClientHello",
  },
  hello_retry_request: {
    message: 'hello_retry_request',
    sender: 'server',
    versions: ['1.3'],
    doc: 'HelloRetryRequest for a group the client supports but sent no share of',
  },
  encrypted_extensions: { message: 'encrypted_extensions', sender: 'server', versions: ['1.3'], doc: 'EncryptedExtensions' },
  server_key_exchange: {
    message: 'server_key_exchange',
    sender: 'server',
    versions: ['1.2'],
    doc: 'ECDHE ServerKeyExchange signed over the randoms',
  },
  certificate_request: { message: 'certificate_request', sender: 'server', versions: BOTH, doc: 'CertificateRequest' },
  server_hello_done: { message: 'server_hello_done', sender: 'server', versions: ['1.2'], doc: 'ServerHelloDone' },
  hello_request: { message: 'hello_request', sender: 'server', versions: ['1.2'], doc: 'HelloRequest' },
  new_session_ticket: { message: 'new_session_ticket', sender: 'server', versions: BOTH, doc: 'NewSessionTicket' },
};

/** The role of the target: a `server` target is learned by our client, a `client` target by our server. */
export type TargetRole = Side;

/** Inputs our side can send to a target of this role in this version. */
export function inputsFor(role: TargetRole, version: TlsVersion): InputSymbol[] {
  const ours: Side = role === 'server' ? 'client' : 'server';
  return INPUTS.filter((i) => {
    const info = INPUT_INFO[i];
    return (info.sender === ours || info.sender === 'both') && info.versions.includes(version);
  });
}

export type AlphabetName = 'default' | 'full';

/**
 * The default alphabets: the messages of a full handshake of the version
 * (with client authentication when we have an identity), a fatal alert and
 * application data; `full` adds the variants (bad Finished and
 * CertificateVerify, other hellos, empty application data, close_notify,
 * post-handshake messages; `certificate(untrusted)` when the mapper has a
 * second chain, `withUntrusted`).
 */
export function alphabet(
  name: AlphabetName,
  role: TargetRole,
  version: TlsVersion,
  withIdentity: boolean,
  withUntrusted = false,
): InputSymbol[] {
  if (name === 'full') {
    // certificate(untrusted) needs a second chain (the mapper's `untrusted`)
    return inputsFor(role, version).filter(
      (i) =>
        (i !== 'certificate(untrusted)' || withUntrusted) &&
        (withIdentity || role === 'client' || (i !== 'certificate' && !i.startsWith('certificate_verify'))),
    );
  }
  const pick: Record<TargetRole, Record<TlsVersion, readonly InputSymbol[]>> = {
    server: {
      '1.2': [
        'client_hello',
        'certificate',
        'certificate(empty)',
        'client_key_exchange',
        'certificate_verify',
        'change_cipher_spec',
        'finished',
        'application_data',
        'alert(unexpected_message)',
      ],
      '1.3': [
        'client_hello',
        'certificate',
        'certificate(empty)',
        'certificate_verify',
        'change_cipher_spec',
        'finished',
        'application_data',
        'key_update',
        'alert(unexpected_message)',
      ],
    },
    client: {
      '1.2': [
        'server_hello',
        'certificate',
        'server_key_exchange',
        'certificate_request',
        'server_hello_done',
        'change_cipher_spec',
        'finished',
        'application_data',
        'hello_request',
      ],
      '1.3': [
        'server_hello',
        'change_cipher_spec',
        'encrypted_extensions',
        'certificate_request',
        'certificate',
        'certificate_verify',
        'finished',
        'application_data',
        'key_update',
      ],
    },
  };
  return pick[role][version].filter(
    (i) => withIdentity || role === 'client' || (i !== 'certificate' && i !== 'certificate_verify'),
  );
}

/** An alphabet file: input names, one per line or as a JSON array; `#` starts a comment. */
export function parseAlphabet(text: string, role: TargetRole, version: TlsVersion): InputSymbol[] {
  const trimmed = text.trim();
  let names: string[];
  if (trimmed.startsWith('[')) {
    const v: unknown = JSON.parse(trimmed);
    if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string'))
      throw new Error('an alphabet file in JSON is an array of input names');
    names = v;
  } else {
    names = trimmed
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== '');
  }
  const usable = inputsFor(role, version);
  const out: InputSymbol[] = [];
  for (const n of names) {
    if (!isInput(n)) throw new Error(`unknown input ${JSON.stringify(n)} (known: ${INPUTS.join(', ')})`);
    if (!usable.includes(n)) throw new Error(`input ${n} cannot be sent to a TLS ${version} ${role}`);
    if (!out.includes(n)) out.push(n);
  }
  if (!out.length) throw new Error('the alphabet is empty');
  return out;
}

// ------------------------------------------------------------------ outputs

/** One thing the target did in answer to an input. */
export type OutputToken =
  | StepName
  | `alert(${AlertName})`
  | `alert(warning:${AlertName})`
  /** A record our keys could not open. */
  | 'undecryptable'
  /**
   * TLS 1.3: the next record was protected with keys the target had retired (its handshake keys after its
   * Finished, RFC 8446 §7); the record's own token follows.
   */
  | 'retired_keys'
  /** The connection was closed (or reset). */
  | 'closed';

/** The output of one step: tokens joined by `+`, `-` when the target sent nothing and stayed open. */
export type Output = string;

export const NOTHING: Output = '-';
export const CLOSED: OutputToken = 'closed';

/**
 * The output of the tokens of one step. Application data is one symbol however the target cut it into records
 * (a greeting written in two pieces, or coalesced with the flight before it, is the same answer).
 */
export function outputOf(tokens: readonly OutputToken[]): Output {
  const kept = tokens.filter((t, i) => !(t === 'application_data' && tokens[i - 1] === 'application_data'));
  return kept.length ? kept.join('+') : NOTHING;
}

export function tokensOf(o: Output): OutputToken[] {
  return o === NOTHING ? [] : (o.split('+') as OutputToken[]);
}

/** Whether the connection ended in this output (nothing can follow it). */
export function isClosed(o: Output): boolean {
  return o === CLOSED || o.endsWith(`+${CLOSED}`);
}

/** The alerts in an output, with their level. */
export function alertsOf(o: Output): Array<{ name: string; fatal: boolean }> {
  const out: Array<{ name: string; fatal: boolean }> = [];
  for (const t of tokensOf(o)) {
    const m = /^alert\((warning:)?([a-z0-9_]+)\)$/.exec(t);
    if (m) out.push({ name: m[2]!, fatal: !m[1] });
  }
  return out;
}

/** The message names in an output (no alerts, no `closed`, no `undecryptable`, no `retired_keys`). */
export function messagesOf(o: Output): StepName[] {
  return tokensOf(o).filter(
    (t): t is StepName => !t.startsWith('alert(') && t !== CLOSED && t !== 'undecryptable' && t !== 'retired_keys',
  );
}
