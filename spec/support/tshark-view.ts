/**
 * Our reading of a capture next to tshark's (a case's expected.json), in the
 * shape both compare in: handshake message types per direction, and the
 * handshake messages with bytes (direction, hex, frame).
 */
import { readFileSync } from 'node:fs';
import { handshakeMessages, type Transcript } from '../../transcript/model';
import { toHex } from '../../wire/hex';
import { type ExpectedConnection, type SharedCase, snake } from './shared';

const DIRS = ['C->S', 'S->C'] as const;

export const keylogOf = (c: SharedCase): string => readFileSync(c.keylog!, 'utf8');

/** Handshake message types per direction as check-captures compares them. */
export function ourSequence(t: Transcript): Record<string, string[]> {
  const seq: Record<string, string[]> = { 'C->S': [], 'S->C': [] };
  for (const m of t.messages) if (!['change_cipher_spec', 'alert', 'application_data'].includes(m.type)) seq[m.dir]!.push(m.type);
  return seq;
}
export function tsharkSequence(c: ExpectedConnection): Record<string, string[]> {
  const seq: Record<string, string[]> = {};
  for (const d of DIRS) seq[d] = c.sequence[d].filter((x) => !x.startsWith('Alert') && x !== 'ChangeCipherSpec').map(snake);
  return seq;
}
/** tshark's handshake messages (those with bytes): dir, hex, frame. */
export function tsharkHandshakes(c: ExpectedConnection): { dir: string; hex: string; frame: number }[] {
  return c.messages.filter((m) => m.hex !== undefined).map((m) => ({ dir: m.dir, hex: m.hex!, frame: m.frame }));
}
export function ourHandshakes(t: Transcript): { dir: string; hex: string; frame: number | undefined }[] {
  return handshakeMessages(t)
    .filter((m) => m.raw !== undefined)
    .map((m) => ({ dir: m.dir, hex: toHex(m.raw!), frame: m.frame }));
}
