/**
 * Our client's external PSK under a mutation of its TLS 1.3 ClientHello (`tlsprop fuzz --psk`). The binder is an HMAC
 * over the ClientHello cut before the binders (RFC 8446 §4.2.11.2), computed by the engine before a hook changes the
 * message: a mutation of anything else in the ClientHello (a GREASE value, padding, a key share) would then also carry
 * a binder that does not validate, and the target's answer to that (RFC 8446 §4.2.11: "If this value is not present or
 * does not validate, the server MUST abort the handshake") would hide its answer to the mutation. So the binder of a
 * changed first ClientHello is computed again over the bytes as sent, unless the mutation changed the binders
 * themselves (t13-external-psk-binder-wrong).
 */
import type { CryptoProvider } from '../crypto';
import { digest } from '../crypto/hash';
import { binderKey, pskBinder } from '../crypto/tls13';
import type { ExternalPsk } from '../engine/config';
import type { EngineHooks } from '../engine/hooks';
import { decodeHandshake } from '../wire/handshake';
import { bytesEqual, concatBytes } from '../wire/hex';
import { VERSION_CODE } from '../wire/vocabulary';

/** The length of the binders list at the end of a ClientHello with one binder (absent: no single binder last). */
function bindersLength(raw: Uint8Array): number | undefined {
  try {
    const body = decodeHandshake(raw, { version: VERSION_CODE['1.3'] }).message.body;
    if (body.type !== 'client_hello') return undefined;
    const last = body.extensions?.[body.extensions.length - 1];
    if (last?.body.kind !== 'pre_shared_key_client' || last.body.binders.length !== 1) return undefined;
    return 2 + 1 + last.body.binders[0]!.length;
  } catch {
    return undefined;
  }
}

/** `raw` with its one binder computed for `psk` over the bytes before the binders. */
export async function rebind(p: CryptoProvider, raw: Uint8Array, cut: number, psk: ExternalPsk): Promise<Uint8Array> {
  const hash = psk.hash ?? 'SHA-256';
  const truncated = raw.subarray(0, raw.length - cut);
  const binder = await pskBinder(p, hash, await binderKey(p, hash, psk.key, 'external'), await digest(p, hash, truncated));
  return concatBytes([truncated, raw.subarray(raw.length - cut, raw.length - binder.length), binder]);
}

/** The hooks with the binder of a changed first ClientHello computed again (see the header). */
export function rebindingPsk(h: EngineHooks, psk: ExternalPsk, p: CryptoProvider): EngineHooks {
  const bs = h.beforeSend;
  if (!bs) return h;
  let first = true;
  return {
    ...h,
    beforeSend: async (m) => {
      const out = await bs(m);
      if (m.type !== 'client_hello' || !first) return out;
      first = false;
      const cut = bindersLength(m.raw);
      if (!out || cut === undefined) return out;
      const tail = m.raw.subarray(m.raw.length - cut);
      return Promise.all(
        out.map((raw) =>
          raw[0] === 1 && raw.length > cut && !bytesEqual(raw, m.raw) && bytesEqual(raw.subarray(raw.length - cut), tail)
            ? rebind(p, raw, cut, psk)
            : raw,
        ),
      );
    },
  };
}
