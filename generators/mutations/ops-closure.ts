/**
 * The closure family (towards servers): alerts our client sends in the
 * middle of the handshake, and truncation.
 *
 * - A TLS 1.2 warning alert of an unknown description: the connection goes
 *   on (RFC 5246 §7.2, issue #20 R7); a run of 32 of them: the server goes
 *   on, or ends the connection with a fatal alert of its choice, never hangs
 *   or crashes (RFC 5246 §7.2.2); a fatal one of an unknown
 *   description: the server closes (RFC 5246 §7.2.2).
 * - TLS 1.3: every alert but close_notify and user_canceled is an error
 *   alert whatever its level, and so is an unknown one (RFC 8446 §6): the
 *   server closes and goes no further.
 * - Truncation: our client ends its side of the TCP connection without
 *   close_notify in the middle of the ClientHello, after it, and before its
 *   Finished (RFC 5246 §7.2.1, RFC 8446 §6.1): the server cannot complete,
 *   and must stay up for the next connection (the run's liveness checks see
 *   a server that does not).
 *
 * Towards clients the same shapes are in ops-client-target.ts.
 */
import type { ClientConfig } from '../../engine/config';
import type { EngineHooks, HookFrame } from '../../engine/hooks';
import { AlertLevel, ContentType as CT } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { ClientSends, Mutation } from './model';
import type { BaseEnv } from './support';

/** An alert description no registry assigns (RFC 8446 §6: "Unknown Alert types MUST be treated as error alerts"). */
export const UNKNOWN_ALERT = 200;
/** The warning alerts of t12-warning-alert-run (CVE-2016-8610 mitigations stop after a few in a row). */
const WARNING_RUN = 32;
/** handshake_failure (RFC 5246 §7.2.2, RFC 8446 §6.2). */
const HANDSHAKE_FAILURE = 40;

type Sends = Pick<ClientSends, 'where' | 'mutate'>;
const hooks = (h: (env: BaseEnv) => EngineHooks): Sends => ({
  where: 'client-sends',
  mutate: (env) => {
    const config: ClientConfig = { ...env.client, versions: [VERSION_CODE[env.spec.version]] };
    return { config, hooks: h(env) };
  },
});

/**
 * An alert record sent right before our first message of this handshake type (TLS 1.2: in plaintext before the
 * ClientKeyExchange; TLS 1.3: under the handshake keys before the Finished).
 */
const alertBefore = (type: 'client_key_exchange' | 'finished', level: number, description: number, count = 1): EngineHooks => {
  let done = false;
  return {
    beforeSend: async (m) => {
      if (done || m.kind !== 'handshake' || m.type !== type || !m.sendRecord) return undefined;
      done = true;
      for (let i = 0; i < count; i++) await m.sendRecord(CT.alert, Uint8Array.of(level, description));
      return [m.raw];
    },
  };
};

const isHelloFrame = (f: HookFrame) => !f.protected && f.contentType === CT.handshake && f.content[0] === 1;

/** Our client sends `cut(frame)` of the first frame `pick` matches, then ends its side of the transport. */
const truncateAt = (pick: (f: HookFrame) => boolean, cut: (content: Uint8Array) => Uint8Array): EngineHooks => {
  let done = false;
  return {
    beforeFrame: (f) => {
      if (done || !pick(f)) return undefined;
      done = true;
      f.closeTransport();
      const part = cut(f.content);
      return part.length ? [{ contentType: f.contentType, fragment: part }] : [];
    },
  };
};

export const CLOSURE_MUTATIONS: readonly Mutation[] = [
  // ---- alerts in the middle of the handshake
  {
    name: 't12-unknown-warning-alert',
    description: 'a warning alert of an unassigned description (200) before our ClientKeyExchange: the handshake goes on',
    versions: ['1.2'],
    rules: ['alert.t12.warning-continues'],
    bases: [],
    ...hooks(() => alertBefore('client_key_exchange', AlertLevel.warning, UNKNOWN_ALERT)),
  },
  {
    // test-ssl-death-alert: the number of warnings a receiver takes is not an RFC rule (CVE-2016-8610 mitigations stop
    // after a few), so the server goes on or ends the connection with a fatal alert; it must not hang or crash
    name: 't12-warning-alert-run',
    description: `${WARNING_RUN} warning alerts of an unassigned description (200) in a row before our ClientKeyExchange: the server goes on, or closes with a fatal alert`,
    versions: ['1.2'],
    rules: ['alert.t12.warning-run'],
    bases: [],
    ...hooks(() => alertBefore('client_key_exchange', AlertLevel.warning, UNKNOWN_ALERT, WARNING_RUN)),
  },
  {
    name: 't12-unknown-fatal-alert',
    description: 'a fatal alert of an unassigned description (200) before our ClientKeyExchange: the server closes',
    versions: ['1.2'],
    rules: ['alert.error-received-closes'],
    bases: [],
    ...hooks(() => alertBefore('client_key_exchange', AlertLevel.fatal, UNKNOWN_ALERT)),
  },
  {
    name: 't13-warning-level-error-alert',
    description: 'handshake_failure at warning level under the handshake keys before our Finished (RFC 8446 §6: an error alert)',
    versions: ['1.3'],
    rules: ['alert.error-received-closes'],
    bases: [],
    ...hooks(() => alertBefore('finished', AlertLevel.warning, HANDSHAKE_FAILURE)),
  },
  {
    name: 't13-unknown-warning-alert',
    description: 'a warning alert of an unassigned description (200) before our Finished (RFC 8446 §6: an error alert)',
    versions: ['1.3'],
    rules: ['alert.error-received-closes'],
    bases: [],
    ...hooks(() => alertBefore('finished', AlertLevel.warning, UNKNOWN_ALERT)),
  },
  {
    name: 't13-unknown-fatal-alert',
    description: 'a fatal alert of an unassigned description (200) before our Finished',
    versions: ['1.3'],
    rules: ['alert.error-received-closes'],
    bases: [],
    ...hooks(() => alertBefore('finished', AlertLevel.fatal, UNKNOWN_ALERT)),
  },
  {
    name: 't13-plaintext-alert-before-finished',
    description:
      'a fatal handshake_failure in a plaintext record where our Finished would go, the handshake keys in use (test-tls13-finished-plaintext)',
    versions: ['1.3'],
    // an error alert, protected or not, ends the connection (RFC 8446 §6: "Upon receiving an error alert, the TLS
    // implementation SHOULD indicate an error to the application and MUST NOT allow any further data to be sent or
    // received on the connection"); read as a record of a type it cannot expect there, unexpected_message (RFC 8446
    // §5) ends it too: either way the server closes
    rules: ['alert.error-received-closes'],
    bases: [],
    ...hooks(() => {
      let done = false;
      return {
        beforeFrame: (f) => {
          if (done || !f.protected || f.contentType !== CT.handshake || f.content[0] !== 20) return undefined;
          done = true;
          return [{ contentType: CT.alert, fragment: Uint8Array.of(AlertLevel.fatal, HANDSHAKE_FAILURE), plaintext: true }];
        },
      };
    }),
  },
  // ---- truncation
  {
    name: 'truncated-mid-client-hello',
    description: 'our side of the TCP connection closed half way through the ClientHello, without close_notify',
    versions: ['1.2', '1.3'],
    rules: ['conn.transport-close'],
    bases: [],
    ...hooks(() => truncateAt(isHelloFrame, (c) => c.subarray(0, c.length >> 1))),
  },
  {
    name: 'truncated-after-client-hello',
    description: 'our side of the TCP connection closed right after the ClientHello, without close_notify',
    versions: ['1.2', '1.3'],
    rules: ['conn.transport-close'],
    bases: [],
    ...hooks(() => truncateAt(isHelloFrame, (c) => c)),
  },
  {
    name: 'truncated-after-server-flight',
    description:
      "our side of the TCP connection closed once the server's flight is in, before anything of ours follows it, without close_notify",
    versions: ['1.2', '1.3'],
    rules: ['conn.transport-close'],
    bases: [],
    // the server sends its flight without waiting for us (RFC 5246 §7.3, RFC 8446 §2), so a close after any one of
    // its messages (test-connection-abort) reaches it in the same state: waiting for our next flight
    ...hooks(() =>
      truncateAt(
        (f) => !isHelloFrame(f),
        () => new Uint8Array(0),
      ),
    ),
  },
  {
    name: 'truncated-before-finished',
    description: 'our side of the TCP connection closed instead of our Finished, without close_notify',
    versions: ['1.2', '1.3'],
    rules: ['conn.transport-close'],
    bases: [],
    ...hooks(() =>
      truncateAt(
        (f) => f.contentType === CT.handshake && f.content[0] === 20,
        () => new Uint8Array(0),
      ),
    ),
  },
];
