/** Providers every crypto test is parametrised over (fresh objects per call). */
import { type CryptoProvider, nodeProvider, nodeSubtleProvider, peculiarProvider } from '../provider';

export const PROVIDERS: ReadonlyArray<readonly [string, () => CryptoProvider]> = [
  ['node', nodeProvider],
  ['node-subtle', nodeSubtleProvider],
  ['peculiar', peculiarProvider],
];
