/**
 * Hooks that change the hellos around a TLS 1.2 renegotiation (RFC 5746): the renegotiation_info (or the SCSV) one
 * side sends in the initial handshake or in a renegotiation (HookMessage.handshake tells them apart), or (as
 * beforeProcess) what the other side reads, so a receiver can be made to go on with a hello it must reject. For the
 * mutations and live conversations that break renegotiation, and for tests. A hook decodes and re-encodes the hello
 * it changes; the endpoint's transcript hashes what was sent.
 */
import { extensionBody } from '../wire/extensions';
import { decodeHandshake, encodeBody } from '../wire/handshake';
import { ExtensionType, SCSV } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import type { EngineHooks, HookMessage } from './hooks';

/** What to put in place of a hello's renegotiation_info (null: leave it out) and cipher suites. */
export type HelloChange = (ri: Uint8Array | undefined, suites?: number[]) => { ri?: Uint8Array | null; suites?: number[] };

/** The hello (ClientHello or ServerHello) `raw` with `change` applied; undefined for another message. */
export function rewriteHello(raw: Uint8Array, change: HelloChange): Uint8Array | undefined {
  const b = decodeHandshake(raw, { version: VERSION_CODE['1.2'] }).message.body;
  if (b.type !== 'client_hello' && b.type !== 'server_hello') return undefined;
  const cur = extensionBody(b.extensions, ExtensionType.renegotiation_info, 'renegotiation_info')?.renegotiatedConnection;
  const r = change(cur, b.type === 'client_hello' ? b.cipherSuites : undefined);
  let exts = (b.extensions ?? []).filter((e) => e.type !== ExtensionType.renegotiation_info);
  if (r.ri !== null) {
    const ri = r.ri ?? cur;
    if (ri)
      exts = [
        ...exts,
        { type: ExtensionType.renegotiation_info, body: { kind: 'renegotiation_info', renegotiatedConnection: ri } },
      ];
  }
  if (b.type === 'client_hello') return encodeBody({ ...b, extensions: exts, cipherSuites: r.suites ?? b.cipherSuites });
  return encodeBody({ ...b, extensions: exts });
}

const applies = (msg: HookMessage, type: 'client_hello' | 'server_hello', which: 'initial' | 'renegotiation' | 'all') =>
  msg.type === type && (which === 'all' || (which === 'initial') === !msg.handshake);

/** A hook that rewrites the hellos of `type` a side sends (in the initial handshake, the renegotiations or all). */
export function sendHello(
  type: 'client_hello' | 'server_hello',
  change: HelloChange,
  which: 'initial' | 'renegotiation' | 'all' = 'renegotiation',
): EngineHooks {
  return {
    beforeSend(msg) {
      if (!applies(msg, type, which)) return undefined;
      const out = rewriteHello(msg.raw, change);
      return out ? [out] : undefined;
    },
  };
}

/** A hook that rewrites the hellos of `type` a side receives, before it reads them (the wire keeps what was sent). */
export function readHello(
  type: 'client_hello' | 'server_hello',
  change: HelloChange,
  which: 'initial' | 'renegotiation' | 'all' = 'renegotiation',
): EngineHooks {
  return {
    beforeProcess(msg) {
      if (!applies(msg, type, which)) return undefined;
      const out = rewriteHello(msg.raw, change);
      return out ? [out] : undefined;
    },
  };
}

/** Both hooks' methods in one (each must leave the other's messages alone). */
export function bothHooks(a: EngineHooks, b: EngineHooks): EngineHooks {
  return {
    beforeSend: async (msg) => (await a.beforeSend?.(msg)) ?? b.beforeSend?.(msg),
    beforeProcess: async (msg) => (await a.beforeProcess?.(msg)) ?? b.beforeProcess?.(msg),
  };
}

/**
 * A client without RFC 5746 as the legacy sections see it: no renegotiation_info and no SCSV in any ClientHello.
 * With `renegotiation: 'as-is'` the renegotiating ClientHello is left as our client builds it; with `ri` it gets a
 * renegotiation_info of 12 zero bytes.
 */
export function unupgradedClient(o: { renegotiation?: 'strip' | 'as-is' | 'ri' } = {}): EngineHooks {
  const strip: HelloChange = (_ri, suites) => ({
    ri: null,
    suites: suites!.filter((x) => x !== SCSV.TLS_EMPTY_RENEGOTIATION_INFO_SCSV),
  });
  const mode = o.renegotiation ?? 'strip';
  const initial = sendHello('client_hello', strip, 'initial');
  if (mode === 'as-is') return initial;
  return bothHooks(initial, sendHello('client_hello', mode === 'ri' ? () => ({ ri: new Uint8Array(12) }) : strip));
}
