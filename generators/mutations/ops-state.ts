/**
 * State-machine mutations of our client's flight against live servers
 * (issue #7): each a step list (generators/mutations/state.ts), the rules
 * the out-of-order flow breaks, and the rules on the receiver's reaction the
 * RFC adds (e.g. a server that sees no client certificate may answer
 * certificate_required). Whether a conversation's flow is out of order or
 * only incomplete is decided by walking oracles/statemachine.ts; the
 * reaction's alerts come from the rules (oracles/reactions.ts). A
 * conversation may combine the steps of several scenarios of one version.
 */
import type { RuleId } from '../../oracles/catalogue';
import type { TlsVersion } from '../../wire/vocabulary';
import type { ClientSends, Mutation } from './model';
import { type StateStep, stateHooks } from './state';

function scenario(
  name: string,
  version: TlsVersion,
  description: string,
  steps: readonly StateStep[],
  rules: readonly RuleId[],
  o: { reactionRules?: readonly RuleId[]; completionRules?: readonly RuleId[]; clientCert?: boolean } = {},
): ClientSends {
  const m: ClientSends = {
    name,
    description,
    versions: [version],
    rules,
    bases: [],
    where: 'client-sends',
    steps,
    mutate: () => ({ hooks: stateHooks(steps) }),
  };
  if (o.reactionRules) m.reactionRules = o.reactionRules;
  if (o.completionRules) m.completionRules = o.completionRules;
  if (o.clientCert) m.needs = { clientCert: true };
  return m;
}

export const STATE_MUTATIONS: readonly Mutation[] = [
  scenario(
    't12-state-early-ccs',
    '1.2',
    'a ChangeCipherSpec right after the ClientHello, before any key exchange (CVE-2014-0224 class)',
    [{ op: 'record', content: 'change_cipher_spec', where: 'after', at: 'client_hello' }],
    ['t12.order.ccs-timing'],
  ),
  scenario(
    't12-state-fin-before-cv',
    '1.2',
    'the client CertificateVerify held back until after its Finished',
    [{ op: 'hold', msg: 'certificate_verify', after: 'finished' }],
    ['t12.order.cv-after-cke', 't12.order.ccs-timing'],
    { clientCert: true },
  ),
  scenario(
    't12-state-appdata-before-fin',
    '1.2',
    'a plaintext application data record before the client ChangeCipherSpec',
    [{ op: 'record', content: 'application_data', where: 'before', at: 'change_cipher_spec' }],
    ['t12.order.no-appdata-before-finished'],
  ),
  scenario(
    't12-state-cke-repeated',
    '1.2',
    'the ClientKeyExchange sent twice',
    [{ op: 'repeat', msg: 'client_key_exchange' }],
    ['t12.order.single-occurrence'],
  ),
  // RFC 5246 §7.4.6: "If the client does not send any certificates, the server MAY at its discretion either continue
  // the handshake without client authentication, or respond with a fatal handshake_failure alert."
  scenario(
    't12-state-cert-skipped',
    '1.2',
    'the client leaves out its Certificate although the server asked for one (its CertificateVerify still follows)',
    [{ op: 'drop', msg: 'certificate' }],
    ['t12.order.client-cert-iff-cr'],
    { reactionRules: ['cert.chain.client-empty'], clientCert: true },
  ),
  // a ClientHello in the middle of a handshake is not a renegotiation (RFC 5246 §7.2.2 limits no_renegotiation to
  // "after initial handshaking"): its reaction is the order rule's, unexpected_message
  scenario(
    't12-state-second-ch',
    '1.2',
    'a copy of the ClientHello sent again before the ClientKeyExchange',
    [{ op: 'inject', copy: 'client_hello', before: 'client_key_exchange' }],
    ['t12.order.single-occurrence'],
  ),
  // the input breaks no rule by itself (a client may take its time); a server that sends its final flight anyway
  // breaks its own duty as a sender (RFC 5246 §7.3: the server's ChangeCipherSpec and Finished follow the client's)
  scenario(
    't12-state-fin-skipped',
    '1.2',
    'the client Finished left out (the flow is incomplete: the server must not complete, silence is fine)',
    [{ op: 'drop', msg: 'finished' }],
    [],
    { completionRules: ['t12.order.full-server-final-flight'] },
  ),
  // the server that takes the Finished as it comes computes it over a transcript without the CertificateVerify:
  // RFC 8446 §4.4.4 "Recipients of Finished messages MUST verify that the contents are correct and if incorrect MUST
  // terminate the connection with a "decrypt_error" alert" (t13.fin.verify-data)
  scenario(
    't13-state-fin-before-cv',
    '1.3',
    'the client CertificateVerify held back until after its Finished',
    [{ op: 'hold', msg: 'certificate_verify', after: 'finished' }],
    ['t13.order.client-flight'],
    { reactionRules: ['t13.fin.verify-data'], clientCert: true },
  ),
  // RFC 8446 §4.4.2.4: "If the client does not send any certificates [...], the server MAY at its discretion either
  // continue the handshake without client authentication or abort the handshake with a "certificate_required" alert."
  scenario(
    't13-state-cert-skipped',
    '1.3',
    'the client leaves out its Certificate although the server asked for one (its CertificateVerify still follows)',
    [{ op: 'drop', msg: 'certificate' }],
    ['t13.order.client-cert-iff-cr'],
    { reactionRules: ['cert.chain.client-empty'], clientCert: true },
  ),
  scenario(
    't13-state-second-ch',
    '1.3',
    'a copy of the ClientHello sent again before the client Finished',
    [{ op: 'inject', copy: 'client_hello', before: 'finished' }],
    ['t13.order.client-flight'],
  ),
  // our client is connected once it has "sent" its Finished, so application data follows under traffic keys the
  // target does not have yet: RFC 8446 §5.2 "If the decryption fails, the receiver MUST terminate the connection with
  // a "bad_record_mac" alert." (rec.deprotect-failure)
  scenario(
    't13-state-fin-skipped',
    '1.3',
    'the client Finished left out; the application data that follows is under keys the server does not have yet',
    [{ op: 'drop', msg: 'finished' }],
    ['t13.order.client-flight'],
    { reactionRules: ['rec.deprotect-failure'] },
  ),
  // sealed under the client handshake traffic keys, so the target can open it and must see it is out of order
  scenario(
    't13-state-appdata-before-fin',
    '1.3',
    'application data sealed under the client handshake traffic keys before the client Finished',
    [{ op: 'sealed', content: 'application_data', before: 'finished' }],
    ['t13.order.client-flight'],
  ),
];
