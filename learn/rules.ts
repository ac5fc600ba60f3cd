/**
 * Which rule an abstract word breaks, named by the oracles themselves: the
 * word and the target's outputs become a transcript (messages with their
 * direction, type and protection; the hellos decoded, so the rules know the
 * version and key exchange), the ordering and record rules run over it,
 * and the violations at the message in question are the answer. The
 * learner keeps no rule table of its own.
 */
import { type RuleId, transcriptRules } from '../oracles/catalogue';
import { checkTranscript } from '../oracles/evaluate';
import type { Rule } from '../oracles/rule';
import type { Transcript, TranscriptMessage } from '../transcript/model';
import type { Extension } from '../wire/extensions';
import type { HandshakeBody } from '../wire/handshake';
import { AlertDescription, AlertLevel, ExtensionType } from '../wire/registry';
import { type Direction, type StepName, type TlsVersion, VERSION_CODE } from '../wire/vocabulary';
import { INPUT_INFO, type InputSymbol, messagesOf, type Output, type TargetRole } from './alphabet';

/** The rules a word is checked against: order and record rules (the ones a message's place can break). */
const ORDER_RULES: readonly Rule[] = transcriptRules.filter((r) => r.group === 'ordering' || r.group === 'record');

/** A representative suite per version for the synthetic hellos (the rules need the key exchange). */
const SUITE: Record<TlsVersion, number> = { '1.2': 0xc028, '1.3': 0x1302 };

function hello(type: 'client_hello' | 'server_hello', version: TlsVersion): HandshakeBody {
  const v13 = version === '1.3';
  if (type === 'client_hello') {
    const extensions: Extension[] = v13
      ? [{ type: ExtensionType.supported_versions, body: { kind: 'supported_versions_client', versions: [VERSION_CODE['1.3']] } }]
      : [];
    return {
      type,
      legacyVersion: VERSION_CODE['1.2'],
      random: new Uint8Array(32),
      sessionId: new Uint8Array(0),
      cipherSuites: [SUITE[version]],
      compressionMethods: [0],
      extensions,
    };
  }
  const extensions: Extension[] = v13
    ? [{ type: ExtensionType.supported_versions, body: { kind: 'supported_versions_server', version: VERSION_CODE['1.3'] } }]
    : [];
  return {
    type,
    legacyVersion: VERSION_CODE['1.2'],
    random: Uint8Array.of(...new Array<number>(31).fill(1), 2),
    sessionId: new Uint8Array(0),
    cipherSuite: SUITE[version],
    compressionMethod: 0,
    extensions,
  };
}

export interface NamedRules {
  /** Rule ids violated at the message (specific rules first; the version's state-machine rule when nothing more specific). */
  rules: RuleId[];
  /** The oracles' sentence for the first of them. */
  detail?: string;
}

/**
 * The rules broken at step `at` of a word: by the input we sent (`by: 'input'`) or by a message of the target's
 * output at that step (`by: 'output'`).
 */
export async function rulesAt(
  version: TlsVersion,
  role: TargetRole,
  word: readonly InputSymbol[],
  outputs: readonly Output[],
  at: number,
  by: 'input' | 'output',
): Promise<NamedRules> {
  const inDir: Direction = role === 'server' ? 'C->S' : 'S->C';
  const outDir: Direction = role === 'server' ? 'S->C' : 'C->S';
  const messages: TranscriptMessage[] = [];
  const protectedDir: Record<Direction, boolean> = { 'C->S': false, 'S->C': false };
  let helloSeen = false;
  const add = (dir: Direction, type: StepName | 'alert'): TranscriptMessage => {
    const kind =
      type === 'change_cipher_spec'
        ? 'change_cipher_spec'
        : type === 'alert'
          ? 'alert'
          : type === 'application_data'
            ? 'application_data'
            : 'handshake';
    const enc = kind !== 'change_cipher_spec' && protectedDir[dir];
    const m: TranscriptMessage = {
      index: messages.length,
      dir,
      kind,
      type: type === 'hello_retry_request' ? 'server_hello' : type,
      encrypted: enc,
      epoch: enc ? 'handshake' : 'plaintext',
    };
    if (type === 'client_hello' || type === 'server_hello') {
      m.decoded = { body: hello(type, version) };
      if (type === 'server_hello') helloSeen = true;
    }
    if (type === 'change_cipher_spec') m.raw = Uint8Array.of(1);
    if (type === 'certificate') {
      // a non-empty certificate unless the input says otherwise (the emptiness matters to the order rules)
      m.decoded = {
        body:
          version === '1.2'
            ? { type: 'certificate', form: 'tls12', certificates: [Uint8Array.of(0x30)] }
            : {
                type: 'certificate',
                form: 'tls13',
                context: new Uint8Array(0),
                entries: [{ data: Uint8Array.of(0x30), extensions: [] }],
              },
      };
    }
    messages.push(m);
    // TLS 1.2: what follows a CCS of that direction is protected; TLS 1.3: everything after the ServerHello
    if (version === '1.2' && type === 'change_cipher_spec') protectedDir[dir] = true;
    if (version === '1.3' && type === 'server_hello') {
      protectedDir['C->S'] = true;
      protectedDir['S->C'] = true;
    }
    return m;
  };
  const targets: number[] = [];
  for (let i = 0; i <= at && i < word.length; i++) {
    const input = word[i]!;
    const info = INPUT_INFO[input];
    const m = add(inDir, info.alert ? 'alert' : info.message);
    if (info.alert)
      m.alert = {
        level: info.alert.fatal ? AlertLevel.fatal : AlertLevel.warning,
        description: AlertDescription[info.alert.name],
      };
    if (info.empty && m.decoded?.body.type === 'certificate') {
      const b = m.decoded.body;
      m.decoded = { body: b.form === 'tls12' ? { ...b, certificates: [] } : { ...b, entries: [] } };
    }
    if (i === at && by === 'input') {
      targets.push(m.index);
      break;
    }
    for (const t of messagesOf(outputs[i] ?? '-')) {
      const om = add(outDir, t);
      if (i === at) targets.push(om.index);
    }
  }
  // the rules learn the version from the ServerHello: give them one after the word when the target sent none
  const witness = helloSeen ? [] : [versionWitness(messages.length)];
  const violated = async (list: TranscriptMessage[]) => {
    const t: Transcript = { provenance: { kind: 'manual' }, records: [], messages: list, gaps: [] };
    const { verdicts } = await checkTranscript(t, { rules: ORDER_RULES });
    return verdicts.filter((v) => v.status === 'violation');
  };
  // what the message in question adds: the violations with it that are not there without it (a rule may place its
  // verdict on an earlier message, e.g. a non-empty Certificate "without CertificateVerify" once the Finished comes)
  const first = Math.min(...targets);
  const before = new Set((await violated(renumber([...messages.slice(0, first), ...witness]))).map((v) => v.rule));
  const after = await violated(renumber([...messages, ...witness]));
  const added = after.filter((v) => !before.has(v.rule) || (v.message !== undefined && targets.includes(v.message)));
  const specific = added.filter((v) => !v.rule.endsWith('.state-machine'));
  // nothing specific is new: a rule that already complained about an unfinished flight of the same sender now
  // complains for good (e.g. a non-empty client Certificate "without CertificateVerify" once the Finished comes)
  const sender = by === 'input' ? inDir : outDir;
  const fallback = specific.length
    ? []
    : after.filter((v) => !v.rule.endsWith('.state-machine') && v.message !== undefined && messages[v.message]?.dir === sender);
  const chosen = specific.length ? specific : fallback.length ? fallback : added;
  const rules = [...new Set(chosen.map((v) => v.rule))];
  if (!rules.length) rules.push(version === '1.2' ? 't12.order.state-machine' : 't13.order.state-machine');
  const out: NamedRules = { rules };
  if (chosen[0]) out.detail = chosen[0].detail;
  return out;

  function versionWitness(index: number): TranscriptMessage {
    return {
      index,
      dir: 'S->C',
      kind: 'handshake',
      type: 'server_hello',
      encrypted: false,
      epoch: 'plaintext',
      decoded: { body: hello('server_hello', version) },
    };
  }
}

/** Messages with their indices made consecutive again (after a cut or an appended witness). */
function renumber(list: readonly TranscriptMessage[]): TranscriptMessage[] {
  return list.map((m, index) => ({ ...m, index }));
}
