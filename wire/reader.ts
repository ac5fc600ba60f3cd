import { DecodeError, type Finding } from './errors';

/**
 * A bounded cursor over bytes. Length-prefixed fields are read through a
 * sub-reader bounded by their prefix, so an inner parser can never run past
 * its own length, and nothing is allocated on the strength of a length field
 * alone: a length is checked against the bytes present before it is used.
 */
export class Reader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    /** Absolute offset of buf[0] in the original input, for error messages. */
    readonly base = 0,
    /** Field path of this reader, e.g. `client_hello.extensions[2]`. */
    readonly path = '',
    /** Findings are shared by a reader and all its sub-readers. */
    readonly findings: Finding[] = [],
  ) {}

  get offset(): number {
    return this.base + this.pos;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  fieldPath(field: string): string {
    if (!field) return this.path;
    if (!this.path) return field;
    return field.startsWith('[') ? `${this.path}${field}` : `${this.path}.${field}`;
  }

  fail(code: DecodeError['code'], field: string, detail: string, at = this.offset): never {
    throw new DecodeError(code, at, this.fieldPath(field), detail);
  }

  finding(code: Finding['code'], field: string, detail: string, at = this.offset): void {
    this.findings.push({ code, offset: at, path: this.fieldPath(field), detail });
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) this.fail('truncated', field, `needs ${n} byte(s), ${this.remaining} left`);
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }
  u16(field: string): number {
    this.need(2, field);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u24(field: string): number {
    this.need(3, field);
    const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!;
    this.pos += 3;
    return v;
  }
  u32(field: string): number {
    this.need(4, field);
    const v =
      ((this.buf[this.pos]! << 24) >>> 0) +
      ((this.buf[this.pos + 1]! << 16) | (this.buf[this.pos + 2]! << 8) | this.buf[this.pos + 3]!);
    this.pos += 4;
    return v;
  }
  uint(width: 1 | 2 | 3 | 4, field: string): number {
    switch (width) {
      case 1:
        return this.u8(field);
      case 2:
        return this.u16(field);
      case 3:
        return this.u24(field);
      case 4:
        return this.u32(field);
    }
  }

  /** A copy of the next n bytes. */
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** All the bytes left, copied. */
  rest(): Uint8Array {
    const out = this.buf.slice(this.pos);
    this.pos = this.buf.length;
    return out;
  }

  /** Look at the next bytes without consuming them (a view, not a copy). */
  peek(n: number): Uint8Array {
    return this.buf.subarray(this.pos, Math.min(this.buf.length, this.pos + n));
  }

  /**
   * Read a length prefix of `width` bytes and return a sub-reader over exactly
   * that many bytes. `min`/`max` are the vector bounds of the RFC's
   * presentation language (in bytes).
   */
  sub(width: 1 | 2 | 3, field: string, min = 0, max = 2 ** (8 * width) - 1): Reader {
    const at = this.offset;
    const len = this.uint(width, field);
    if (len < min || len > max) this.fail('length', field, `length ${len} outside [${min}, ${max}]`, at);
    if (len > this.remaining) this.fail('truncated', field, `length ${len} but only ${this.remaining} byte(s) follow`, at);
    const r = new Reader(this.buf.subarray(this.pos, this.pos + len), this.offset, this.fieldPath(field), this.findings);
    this.pos += len;
    return r;
  }

  /** A sub-reader over the next n bytes (a length known from elsewhere). */
  take(n: number, field: string): Reader {
    this.need(n, field);
    const r = new Reader(this.buf.subarray(this.pos, this.pos + n), this.offset, this.fieldPath(field), this.findings);
    this.pos += n;
    return r;
  }

  /** Length-prefixed opaque bytes. */
  vec(width: 1 | 2 | 3, field: string, min = 0, max = 2 ** (8 * width) - 1): Uint8Array {
    return this.sub(width, field, min, max).rest();
  }

  /** Length-prefixed list of fixed-width integers. */
  uintList(width: 1 | 2 | 3, itemWidth: 1 | 2, field: string, min = 0, max = 2 ** (8 * width) - 1): number[] {
    const r = this.sub(width, field, min, max);
    if (r.remaining % itemWidth !== 0) r.fail('length', '', `length ${r.remaining} is not a multiple of ${itemWidth}`);
    const out: number[] = [];
    let i = 0;
    while (!r.atEnd) out.push(r.uint(itemWidth, `[${i++}]`));
    return out;
  }

  /** The reader must be exhausted: throws on trailing bytes. */
  end(field = ''): void {
    if (!this.atEnd) this.fail('trailing', field, `${this.remaining} unexpected trailing byte(s)`);
  }

  /**
   * Where trailing bytes are a conformance finding rather than a parse
   * failure: record it and return the bytes so that re-encoding is exact.
   */
  trailing(field = ''): Uint8Array | undefined {
    if (this.atEnd) return undefined;
    this.finding('trailing-bytes', field, `${this.remaining} trailing byte(s) ignored by the syntax`);
    return this.rest();
  }
}
