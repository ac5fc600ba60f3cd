/**
 * JSON-friendly view of decoded wire values for people: bytes as hex, and
 * code points next to their IANA names (`"TLS_AES_128_GCM_SHA256"`,
 * `"0x1a1a"` for unknown ones).
 */
import { toHex } from './hex';
import {
  cipherSuiteNames,
  extensionTypes,
  namedGroups,
  nameOf,
  protocolVersions,
  type Registry,
  signatureSchemes,
} from './registry';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

const namedFields: Record<string, Registry> = {
  cipherSuites: cipherSuiteNames,
  cipherSuite: cipherSuiteNames,
  groups: namedGroups,
  group: namedGroups,
  namedCurve: namedGroups,
  selectedGroup: namedGroups,
  schemes: signatureSchemes,
  scheme: signatureSchemes,
  signatureAlgorithms: signatureSchemes,
  versions: protocolVersions,
  version: protocolVersions,
  legacyVersion: protocolVersions,
};

function named(r: Registry, v: number): string {
  return nameOf(r, v);
}

export function describe(value: unknown, key = '', parentIsExtension = false): JsonValue {
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) {
    const reg = namedFields[key];
    if (reg) return value.map((v) => (typeof v === 'number' ? named(reg, v) : describe(v)));
    return value.map((v) => describe(v, '', key === 'extensions'));
  }
  if (typeof value === 'number') {
    if (parentIsExtension && key === 'type') return named(extensionTypes, value);
    const reg = namedFields[key];
    return reg ? named(reg, value) : value;
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') {
    const out: { [k: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = describe(v, k, parentIsExtension);
    return out;
  }
  return String(value);
}
