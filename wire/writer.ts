/**
 * Growable byte writer. Length-prefixed fields are written with `vec`, whose
 * callback writes the body: the prefix is patched afterwards, so the nesting
 * of the code follows the nesting of the RFC's structures.
 */
export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.grow(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.grow(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u24(v: number): this {
    this.grow(3);
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u32(v: number): this {
    this.grow(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  uint(width: 1 | 2 | 3 | 4, v: number): this {
    switch (width) {
      case 1:
        return this.u8(v);
      case 2:
        return this.u16(v);
      case 3:
        return this.u24(v);
      case 4:
        return this.u32(v);
    }
  }
  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Write a `width`-byte length prefix followed by what `body` writes. */
  vec(width: 1 | 2 | 3, body: (w: Writer) => void): this {
    const at = this.len;
    this.uint(width, 0);
    body(this);
    const n = this.len - at - width;
    if (n >= 2 ** (8 * width)) throw new RangeError(`vector of ${n} bytes does not fit a ${width}-byte length`);
    for (let i = 0; i < width; i++) this.buf[at + i] = (n >>> (8 * (width - 1 - i))) & 0xff;
    return this;
  }
  opaque(width: 1 | 2 | 3, b: Uint8Array): this {
    return this.vec(width, (w) => w.bytes(b));
  }
  uintList(width: 1 | 2 | 3, itemWidth: 1 | 2, items: readonly number[]): this {
    return this.vec(width, (w) => {
      for (const v of items) w.uint(itemWidth, v);
    });
  }

  get length(): number {
    return this.len;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
