/**
 * `--psk IDENTITY:HEX[:sha384]` of connect, serve, check and fuzz: an external pre-shared key (TLS 1.2 PSK suites,
 * RFC 4279 / RFC 5489; TLS 1.3 external PSK, RFC 8446 §4.2.11). The identity is text (sent as its UTF-8 bytes, RFC
 * 4279 §5.1), the key hex (as `openssl s_client -psk` and `mosquitto_pub --psk` take it); the optional last part binds a
 * TLS 1.3 PSK to SHA-384 (RFC 8446 §4.2.11: SHA-256 otherwise).
 */
import type { ExternalPsk } from '../engine/config';
import { UsageError } from './args';

export function parsePsk(s: string): ExternalPsk {
  let rest = s;
  let hash: ExternalPsk['hash'];
  const tail = /:(sha256|sha384|SHA-256|SHA-384)$/.exec(rest);
  if (tail) {
    hash = tail[1]!.toLowerCase().replace('-', '') === 'sha384' ? 'SHA-384' : 'SHA-256';
    rest = rest.slice(0, -tail[0].length);
  }
  const at = rest.lastIndexOf(':');
  const id = at > 0 ? rest.slice(0, at) : '';
  const hex = at > 0 ? rest.slice(at + 1) : '';
  if (!id || !/^([0-9a-fA-F]{2})+$/.test(hex))
    throw new UsageError(`--psk expects IDENTITY:HEX (e.g. device7:00112233445566778899aabbccddeeff), got ${JSON.stringify(s)}`);
  const psk: ExternalPsk = { identity: new TextEncoder().encode(id), key: Uint8Array.from(Buffer.from(hex, 'hex')) };
  if (hash) psk.hash = hash;
  return psk;
}
