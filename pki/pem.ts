/** PEM <-> DER. */

export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Every PEM block with the given label (any label when omitted), in order. */
export function pemBlocks(text: string, label?: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (label !== undefined && m[1] !== label) continue;
    out.push(new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

/** The single PEM block with that label; throws when there is none. */
export function pemToDer(text: string, label?: string): Uint8Array {
  const blocks = pemBlocks(text, label);
  if (blocks.length === 0) throw new Error(`no PEM block${label ? ` labelled ${label}` : ''} found`);
  return blocks[0]!;
}
