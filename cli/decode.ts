/** `tlsprop decode [--record] [--version 1.2|1.3] [--kex KEX] HEX|-` */
import { describe, type JsonValue } from '../wire/describe';
import { fromHex, toHex, bytesEqual } from '../wire/hex';
import { type DecodeContext, decodeHandshake, encodeHandshake, handshakeTypeName } from '../wire/handshake';
import {
  ContentType,
  alertDescriptions,
  alertLevels,
  contentTypes,
  type KeyExchange,
  nameOf,
  protocolVersions,
} from '../wire/registry';
import { HandshakeAssembler, decodeAlert, decodeRecords, encodeRecord } from '../wire/record';
import { VERSION_CODE } from '../wire/vocabulary';
import { option, type Parsed, UsageError } from './args';
import type { Io } from './main';

const KEX: readonly KeyExchange[] = ['RSA', 'DHE_RSA', 'DHE_DSS', 'DH_anon', 'ECDHE_RSA', 'ECDHE_ECDSA', 'ECDH_anon'];

function context(version: string | undefined, kex: string | undefined): DecodeContext {
  const ctx: DecodeContext = {};
  if (version !== undefined) {
    if (version === '1.2' || version === '1.3') ctx.version = VERSION_CODE[version];
    else throw new UsageError(`--version must be 1.2 or 1.3, not ${JSON.stringify(version)}`);
  }
  if (kex !== undefined) {
    const k = KEX.find((x) => x === kex);
    if (!k) throw new UsageError(`--kex must be one of ${KEX.join(', ')}`);
    ctx.kex = k;
  }
  return ctx;
}

function handshakeJson(raw: Uint8Array, ctx: DecodeContext, base: number): JsonValue {
  const { message, findings } = decodeHandshake(raw, ctx, base);
  const reencoded = encodeHandshake(message);
  const out: { [k: string]: JsonValue } = {
    type: handshakeTypeName(raw[0]!),
    length: raw.length - 4,
    message: describe(message.body),
    reencodedEqual: bytesEqual(reencoded, raw),
    findings: findings.map((f) => ({ ...f })),
  };
  if (message.trailing) out['trailing'] = toHex(message.trailing);
  return out;
}

export async function decodeCommand(p: Parsed, io: Io): Promise<number> {
  if (p.positional.length !== 1) throw new UsageError('expects one HEX argument, or - to read hex from stdin');
  const arg = p.positional[0]!;
  const bytes = fromHex(arg === '-' ? await io.readStdin() : arg, 'input');
  const ctx = context(option(p, 'version'), option(p, 'kex'));
  if (!p.flags.has('record')) {
    io.out(JSON.stringify(handshakeJson(bytes, ctx, 0), null, 2));
    return 0;
  }
  const { records, findings } = decodeRecords(bytes);
  const assembler = new HandshakeAssembler();
  let offset = 0;
  const out = records.map((r, i) => {
    const j: { [k: string]: JsonValue } = {
      contentType: nameOf(contentTypes, r.contentType, 2),
      version: nameOf(protocolVersions, r.version),
      length: r.fragment.length,
      offset,
      reencodedEqual: bytesEqual(encodeRecord(r), bytes.subarray(offset, offset + 5 + r.fragment.length)),
    };
    if (r.contentType === ContentType.handshake) {
      j['messages'] = assembler.push(r.fragment, i).map((m) => handshakeJson(m.raw, ctx, offset + 5));
    } else if (r.contentType === ContentType.alert && r.fragment.length === 2) {
      const a = decodeAlert(r.fragment, offset + 5);
      j['alert'] = { level: nameOf(alertLevels, a.level, 2), description: nameOf(alertDescriptions, a.description, 2) };
    } else j['fragment'] = toHex(r.fragment);
    offset += 5 + r.fragment.length;
    return j;
  });
  const result: { [k: string]: JsonValue } = { records: out, findings: findings.map((f) => ({ ...f })) };
  if (assembler.pending) result['incompleteHandshakeBytes'] = assembler.pendingBytes;
  io.out(JSON.stringify(result, null, 2));
  return 0;
}
