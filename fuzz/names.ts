/**
 * Names of code points as the fuzzers, `tlsprop connect` and the tests print
 * and parse them: IANA suite names, and the group names of the command line.
 */
import { cipherSuites, NamedGroup } from '../wire/registry';

export const GROUP_CODE: Readonly<Record<string, number>> = {
  x25519: NamedGroup.x25519,
  secp256r1: NamedGroup.secp256r1,
  secp384r1: NamedGroup.secp384r1,
};

/** IANA suite name of a code. */
export function suiteName(code: number): string {
  return cipherSuites.get(code)?.name ?? `0x${code.toString(16).padStart(4, '0')}`;
}

/** The suite code of an IANA name (e.g. TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384). */
export function suiteCode(name: string): number | undefined {
  for (const [code, s] of cipherSuites) if (s.name === name) return code;
  return undefined;
}
