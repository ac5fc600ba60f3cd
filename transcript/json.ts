/**
 * The JSON form of a Transcript (format `tlsprop-transcript/1`), written by
 * `tlsprop gen` and readable by hand. Bytes are lower-case hex.
 *
 * ```json
 * {
 *   "format": "tlsprop-transcript/1",
 *   "provenance": { "kind": "manual" },
 *   "messages": [
 *     { "dir": "C->S", "type": "client_hello", "raw": "010000..." },
 *     { "dir": "S->C", "type": "server_hello" },
 *     { "dir": "C->S", "type": "change_cipher_spec" }
 *   ],
 *   "records": [ { "dir": "C->S", "raw": "160301...", "frame": 4 } ],
 *   "secrets": { "keylog": ["CLIENT_RANDOM <hex> <hex>"] }
 * }
 * ```
 *
 * Either `records` (whole records as on the wire, with an optional
 * `plaintext: { contentType, fragment }` for decrypted ones) or `messages`
 * is given. `tlsprop check` reads a file with records and a key log (its own
 * `secrets.keylog`, or `--keylog`) like a capture: the records are decrypted
 * by the capture layer (capture/records.ts) and a given `plaintext` is not
 * used. `ends` (optional) says how the transport ended: `{ side, kind: "fin"
 * | "rst", frame?, beforeRecord }`. From records, messages are rebuilt; `messages` alone is the
 * hand-written form: `dir` and `type` are required, `raw` (the handshake
 * message with its 4-byte header) and `encrypted` are optional.
 */
import { DecodeError } from '../wire/errors';
import { fromHex, toHex } from '../wire/hex';
import { TranscriptBuilder } from './build';
import { type MessageType, type Side, messageTypeOf } from '../wire/vocabulary';
import type { Direction, Provenance, Transcript, TransportEnd } from './model';

export const TRANSCRIPT_FORMAT = 'tlsprop-transcript/1';

export interface TranscriptJson {
  format: typeof TRANSCRIPT_FORMAT;
  provenance: Provenance;
  client?: string;
  server?: string;
  capturedAt?: string;
  records?: Array<{ dir: Direction; raw: string; frame?: number; plaintext?: { contentType: number; fragment: string } }>;
  messages?: Array<{ dir: Direction; type: string; raw?: string; encrypted?: boolean; frame?: number }>;
  secrets?: {
    keylog?: string[];
    ephemeral?: Array<{ group: number; clientPrivate?: string; serverPrivate?: string; clientRandom?: string }>;
    psks?: Array<{ identity: string; key: string; hash?: 'SHA-256' | 'SHA-384' }>;
  };
  /** How the transport ended (a capture's FINs and RSTs), when known. */
  ends?: Array<{ side: Side; kind: 'fin' | 'rst'; frame?: number; beforeRecord: number }>;
}

export interface ToJsonOptions {
  /** Include key-log lines and ephemeral private keys (off by default). */
  includeSecrets?: boolean;
}

export function transcriptToJson(t: Transcript, opts: ToJsonOptions = {}): TranscriptJson {
  const out: TranscriptJson = { format: TRANSCRIPT_FORMAT, provenance: t.provenance };
  if (t.client) out.client = t.client;
  if (t.server) out.server = t.server;
  if (t.capturedAt) out.capturedAt = t.capturedAt;
  if (t.records.length) {
    out.records = t.records.map((r) => {
      const j: NonNullable<TranscriptJson['records']>[number] = { dir: r.dir, raw: toHex(r.raw) };
      if (r.frame !== undefined) j.frame = r.frame;
      if (r.plaintext) j.plaintext = { contentType: r.plaintext.contentType, fragment: toHex(r.plaintext.fragment) };
      return j;
    });
  } else {
    out.messages = t.messages.map((m) => {
      const j: NonNullable<TranscriptJson['messages']>[number] = { dir: m.dir, type: m.type };
      if (m.raw) j.raw = toHex(m.raw);
      if (m.encrypted) j.encrypted = true;
      if (m.frame !== undefined) j.frame = m.frame;
      return j;
    });
  }
  if (t.ends) out.ends = t.ends.map((e) => ({ ...e }));
  if (opts.includeSecrets && t.secrets) {
    const s: NonNullable<TranscriptJson['secrets']> = {};
    if (t.secrets.keylog) s.keylog = t.secrets.keylog;
    if (t.secrets.ephemeral) {
      s.ephemeral = t.secrets.ephemeral.map((e) => {
        const j: { group: number; clientPrivate?: string; serverPrivate?: string; clientRandom?: string } = { group: e.group };
        if (e.clientPrivate) j.clientPrivate = toHex(e.clientPrivate);
        if (e.serverPrivate) j.serverPrivate = toHex(e.serverPrivate);
        if (e.clientRandom) j.clientRandom = toHex(e.clientRandom);
        return j;
      });
    }
    if (t.secrets.psks)
      s.psks = t.secrets.psks.map((k) => ({
        identity: toHex(k.identity),
        key: toHex(k.key),
        ...(k.hash ? { hash: k.hash } : {}),
      }));
    out.secrets = s;
  }
  return out;
}

function fail(path: string, detail: string): never {
  throw new DecodeError('value', 0, path, detail);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  return v as Record<string, unknown>;
}
function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'expected a string');
  return v;
}
function optStr(v: unknown, path: string): string | undefined {
  return v === undefined ? undefined : str(v, path);
}
function optNum(v: unknown, path: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(path, 'expected a non-negative integer');
  return v;
}
function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'expected an array');
  return v;
}
/** A message type: a vocabulary name, or `handshake` when the bytes give the type. */
function messageType(v: unknown, path: string, hasBytes: boolean): MessageType | 'handshake' {
  const s = str(v, path);
  if (s === 'handshake') {
    if (!hasBytes) fail(path, '"handshake" needs the message bytes (raw) to give its type');
    return s;
  }
  const t = messageTypeOf(s);
  if (!t) fail(path, `not a message type: ${JSON.stringify(s)}`);
  return t;
}
function dir(v: unknown, path: string): Direction {
  if (v !== 'C->S' && v !== 'S->C') fail(path, 'expected "C->S" or "S->C"');
  return v;
}
function hex(v: unknown, path: string): Uint8Array {
  return fromHex(str(v, path), path);
}

function provenanceOf(v: unknown, file: string | undefined): Provenance {
  if (v === undefined) return file ? { kind: 'manual', file } : { kind: 'manual' };
  const p = obj(v, 'provenance');
  const kind = str(p['kind'], 'provenance.kind');
  switch (kind) {
    case 'generated': {
      const g: Provenance = { kind: 'generated' };
      const seed = p['seed'];
      if (typeof seed === 'number') g.seed = seed;
      const path = optStr(p['path'], 'provenance.path');
      if (path !== undefined) g.path = path;
      const plan = optStr(p['plan'], 'provenance.plan');
      if (plan !== undefined) g.plan = plan;
      return g;
    }
    case 'capture':
      return {
        kind: 'capture',
        file: str(p['file'], 'provenance.file'),
        connection: optNum(p['connection'], 'provenance.connection') ?? 0,
      };
    case 'live': {
      const role = p['role'];
      if (role !== 'client' && role !== 'server') fail('provenance.role', 'expected "client" or "server"');
      return { kind: 'live', target: str(p['target'], 'provenance.target'), role };
    }
    case 'manual':
      return file ? { kind: 'manual', file } : { kind: 'manual' };
    default:
      return fail('provenance.kind', `unknown provenance kind ${JSON.stringify(kind)}`);
  }
}

/** Read a transcript from its JSON value. Bad input gives a DecodeError naming the field. */
export function transcriptFromJson(value: unknown, file?: string): Transcript {
  const root = obj(value, '');
  if (root['format'] !== undefined && root['format'] !== TRANSCRIPT_FORMAT) fail('format', `expected ${TRANSCRIPT_FORMAT}`);
  const b = new TranscriptBuilder(provenanceOf(root['provenance'], file));
  if (root['records'] !== undefined) {
    arr(root['records'], 'records').forEach((rv, i) => {
      const p = `records[${i}]`;
      const r = obj(rv, p);
      const input: Parameters<TranscriptBuilder['addRecord']>[0] = {
        dir: dir(r['dir'], `${p}.dir`),
        raw: hex(r['raw'], `${p}.raw`),
      };
      const frame = optNum(r['frame'], `${p}.frame`);
      if (frame !== undefined) input.frame = frame;
      if (r['plaintext'] !== undefined) {
        const pt = obj(r['plaintext'], `${p}.plaintext`);
        input.plaintext = {
          contentType: optNum(pt['contentType'], `${p}.plaintext.contentType`) ?? 22,
          fragment: hex(pt['fragment'], `${p}.plaintext.fragment`),
        };
      }
      b.addRecord(input);
    });
  } else {
    arr(root['messages'], 'messages').forEach((mv, i) => {
      const p = `messages[${i}]`;
      const m = obj(mv, p);
      const input: Parameters<TranscriptBuilder['addMessage']>[0] = {
        dir: dir(m['dir'], `${p}.dir`),
        type: messageType(m['type'], `${p}.type`, m['raw'] !== undefined),
      };
      if (m['raw'] !== undefined) input.raw = hex(m['raw'], `${p}.raw`);
      if (m['encrypted'] !== undefined) {
        if (typeof m['encrypted'] !== 'boolean') fail(`${p}.encrypted`, 'expected a boolean');
        input.encrypted = m['encrypted'];
      }
      const frame = optNum(m['frame'], `${p}.frame`);
      if (frame !== undefined) input.frame = frame;
      b.addMessage(input);
    });
  }
  const extra: Parameters<TranscriptBuilder['finish']>[0] = {};
  const client = optStr(root['client'], 'client');
  if (client) extra.client = client;
  const server = optStr(root['server'], 'server');
  if (server) extra.server = server;
  const capturedAt = optStr(root['capturedAt'], 'capturedAt');
  if (capturedAt !== undefined) {
    if (Number.isNaN(new Date(capturedAt).getTime())) fail('capturedAt', 'expected an ISO 8601 date');
    extra.capturedAt = capturedAt;
  }
  if (root['secrets'] !== undefined) {
    const s = obj(root['secrets'], 'secrets');
    const secrets: NonNullable<Transcript['secrets']> = {};
    if (s['keylog'] !== undefined)
      secrets.keylog = arr(s['keylog'], 'secrets.keylog').map((l, i) => str(l, `secrets.keylog[${i}]`));
    if (s['ephemeral'] !== undefined) {
      secrets.ephemeral = arr(s['ephemeral'], 'secrets.ephemeral').map((ev, i) => {
        const p = `secrets.ephemeral[${i}]`;
        const e = obj(ev, p);
        const k: NonNullable<NonNullable<Transcript['secrets']>['ephemeral']>[number] = {
          group: optNum(e['group'], `${p}.group`) ?? 0,
        };
        if (e['clientPrivate'] !== undefined) k.clientPrivate = hex(e['clientPrivate'], `${p}.clientPrivate`);
        if (e['serverPrivate'] !== undefined) k.serverPrivate = hex(e['serverPrivate'], `${p}.serverPrivate`);
        if (e['clientRandom'] !== undefined) k.clientRandom = hex(e['clientRandom'], `${p}.clientRandom`);
        return k;
      });
    }
    if (s['psks'] !== undefined) {
      secrets.psks = arr(s['psks'], 'secrets.psks').map((pv, i) => {
        const p = `secrets.psks[${i}]`;
        const e = obj(pv, p);
        const k: NonNullable<NonNullable<Transcript['secrets']>['psks']>[number] = {
          identity: hex(e['identity'], `${p}.identity`),
          key: hex(e['key'], `${p}.key`),
        };
        if (e['hash'] === 'SHA-256' || e['hash'] === 'SHA-384') k.hash = e['hash'];
        return k;
      });
    }
    extra.secrets = secrets;
  }
  if (root['ends'] !== undefined)
    extra.ends = arr(root['ends'], 'ends').map((ev, i): TransportEnd => {
      const p = `ends[${i}]`;
      const e = obj(ev, p);
      const side = e['side'];
      if (side !== 'client' && side !== 'server') fail(`${p}.side`, 'expected "client" or "server"');
      const kind = e['kind'];
      if (kind !== 'fin' && kind !== 'rst') fail(`${p}.kind`, 'expected "fin" or "rst"');
      const end: TransportEnd = { side, kind, beforeRecord: optNum(e['beforeRecord'], `${p}.beforeRecord`) ?? 0 };
      const frame = optNum(e['frame'], `${p}.frame`);
      if (frame !== undefined) end.frame = frame;
      return end;
    });
  return b.finish(extra);
}
