/**
 * What the negotiation rules read from the hellos: the ClientHello a
 * ServerHello answers, the offered versions, extension names, and where a
 * server's answer to an extension sits (ServerHello in TLS 1.2,
 * EncryptedExtensions in TLS 1.3).
 */
import type { TranscriptMessage } from '../transcript/model';
import { type Extension, type ExtensionBody, extensionBody } from '../wire/extensions';
import type { ClientHello } from '../wire/handshake';
import { bytesEqual } from '../wire/hex';
import { ExtensionType as X, extensionTypes, nameOf } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import { type Context, type Hello, exts } from './context';
import { encryptedExtensions, unreadableReason } from './needs';
import { type Outcome, inconclusive } from './rule';

/** The ClientHello a ServerHello answers (the second one after HelloRetryRequest). */
export const answered = (ctx: Context): Hello<ClientHello> | undefined => ctx.ch2 ?? ctx.ch;

export const extName = (t: number): string => nameOf(extensionTypes, t);

export const isOutcome = (x: object): x is Outcome => 'status' in x;

export function supportedVersions(ch: ClientHello): number[] | undefined {
  return extensionBody(ch.extensions, X.supported_versions, 'supported_versions_client')?.versions;
}
export const offers13 = (ch: ClientHello): boolean => !!supportedVersions(ch)?.includes(VERSION_CODE['1.3']);

/** ` (protected messages not read: no key log)` when some could not be read. */
export const readNote = (ctx: Context): string => (ctx.evidence.keys ? '' : ' (protected messages not read: no key log)');

/**
 * The server's extensions answering the ClientHello: ServerHello (TLS 1.2)
 * or EncryptedExtensions (TLS 1.3); an inconclusive outcome when they
 * cannot be read.
 */
export function serverExtensions(ctx: Context): { m: TranscriptMessage; exts: Extension[] } | Outcome {
  if (ctx.version === '1.3') {
    const ee = encryptedExtensions(ctx);
    if (ee) return ee;
    return unreadableReason(ctx) ?? inconclusive('EncryptedExtensions is not in the transcript or has no bytes.');
  }
  return ctx.sh ? { m: ctx.sh.m, exts: exts(ctx.sh) } : inconclusive('The ServerHello is not decoded.');
}

/** Deep equality of two decoded extension bodies (bytes compared by value). */
export function bodiesEqual(a: ExtensionBody, b: ExtensionBody): boolean {
  const eq = (x: unknown, y: unknown): boolean => {
    if (x instanceof Uint8Array && y instanceof Uint8Array) return bytesEqual(x, y);
    if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => eq(v, y[i]));
    if (x && y && typeof x === 'object' && typeof y === 'object') {
      const kx = Object.keys(x);
      const ky = Object.keys(y);
      return kx.length === ky.length && kx.every((k) => eq((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
    }
    return x === y;
  };
  return eq(a, b);
}
