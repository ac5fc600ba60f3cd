/**
 * Typed errors for bad input. Every decoder in the project throws only
 * `DecodeError` for malformed bytes, with the absolute byte offset where the
 * problem was seen and the field path that was being read
 * (e.g. `client_hello.extensions[3].key_share`).
 */
export type DecodeErrorCode =
  | 'truncated' // fewer bytes than a length or fixed field needs
  | 'trailing' // bytes left over where a structure must end
  | 'length' // a length field out of its allowed range
  | 'value' // a field value that the syntax does not allow
  | 'limit'; // a size limit of the format (e.g. record > 2^14 + 2048)

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    /** Absolute byte offset in the input where the problem was found. */
    readonly offset: number,
    /** Dotted field path, e.g. `client_hello.extensions[3].key_share`. */
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${code} at offset ${offset} (${path || '<root>'}): ${detail}`);
  }
}

/** A syntax problem kept on a decoded value instead of being hidden or fixed. */
export interface Finding {
  code: 'duplicate-extension' | 'trailing-bytes' | 'length-mismatch' | 'empty-vector' | 'unexpected-extension' | 'bad-value';
  offset: number;
  path: string;
  detail: string;
}
