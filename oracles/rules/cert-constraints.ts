/**
 * Certificate constraints beyond the path: the TLS 1.3 oid_filters of a
 * CertificateRequest (RFC 8446 §4.2.5) and X.509 name constraints
 * (RFC 5280 §4.2.1.10).
 */
import { handshakeHidden, notOpened } from '../context';
import { childrenOf, decodeOid, readTlv } from '../../pki/der';
import { OID as PKI_OID, type ParsedCert, parseCert } from '../../pki/parse';
import { ExtensionType as X } from '../../wire/registry';
import { chainReceiverVerdict, crOf, parsedChain } from '../chains';
import { CLIENT_CHAIN_TOLERANCE } from './certificates';
import { who } from '../flow';
import { chainOf } from '../keyfacts';
import { because } from '../alert-choices';
import { type Outcome, declarer, inconclusive, notApplicable, pass, violation } from '../rule';

const rule = declarer({
  versions: ['1.2', '1.3'],
  role: 'both',
  strength: 'MUST',
  evidence: 'plaintext',
  group: 'certificates',
});

// ---- oid_filters and name constraints ----------------------------------------

interface OidFilter {
  oid: string;
  values: Uint8Array;
}

/** OIDFilterExtension (RFC 8446 §4.2.5): filters<0..2^16-1> of { oid<1..2^8-1>, values<0..2^16-1> }. The OID may come as full DER or as its content. */
function parseOidFilters(data: Uint8Array): OidFilter[] | undefined {
  if (data.length < 2 || ((data[0]! << 8) | data[1]!) !== data.length - 2) return undefined;
  const out: OidFilter[] = [];
  let at = 2;
  while (at < data.length) {
    const ol = data[at]!;
    if (at + 1 + ol + 2 > data.length) return undefined;
    let oidBytes = data.subarray(at + 1, at + 1 + ol);
    if (oidBytes[0] === 0x06 && oidBytes[1] === ol - 2) oidBytes = oidBytes.subarray(2);
    const der = Uint8Array.of(0x06, oidBytes.length, ...oidBytes);
    let oid: string;
    try {
      oid = decodeOid(der, readTlv(der, 0, 'oid'));
    } catch {
      return undefined;
    }
    at += 1 + ol;
    const vl = (data[at]! << 8) | data[at + 1]!;
    if (at + 2 + vl > data.length) return undefined;
    out.push({ oid, values: data.subarray(at + 2, at + 2 + vl) });
    at += 2 + vl;
  }
  return out;
}

/** OIDs inside a DER SEQUENCE OF OBJECT IDENTIFIER (extendedKeyUsage). */
function oidList(der: Uint8Array): string[] {
  const seq = readTlv(der, 0, 'seq');
  return childrenOf(der, seq).map((t) => decodeOid(der, t));
}

function filterMet(leaf: ParsedCert, f: OidFilter): string | undefined {
  const ext = leaf.x509.extensions.find((e) => e.type === f.oid);
  if (!ext) return `the certificate has no extension ${f.oid}`;
  if (!f.values.length) return undefined;
  const value = new Uint8Array(ext.value);
  if (f.oid === PKI_OID.extKeyUsage) {
    const want = oidList(f.values);
    const have = oidList(value);
    const lack = want.filter((o) => !have.includes(o));
    return lack.length ? `its extendedKeyUsage lacks ${lack.join(', ')}` : undefined;
  }
  if (f.oid === PKI_OID.keyUsage) {
    const w = f.values.subarray(3);
    const h = value.subarray(3);
    for (let i = 0; i < w.length; i++) if ((w[i]! & (h[i] ?? 0)) !== w[i]) return 'its keyUsage lacks bits the filter asks for';
    return undefined;
  }
  return undefined; // other OIDs: presence is what can be checked
}

interface Subtrees {
  dns: string[];
  ips: Array<{ addr: Uint8Array; mask: Uint8Array }>;
}
interface NameConstraints {
  permitted: Subtrees;
  excluded: Subtrees;
}

function parseNameConstraints(der: Uint8Array): NameConstraints {
  const out: NameConstraints = { permitted: { dns: [], ips: [] }, excluded: { dns: [], ips: [] } };
  const seq = readTlv(der, 0, 'nameConstraints');
  for (const part of childrenOf(der, seq)) {
    const into = part.tag === 0xa0 ? out.permitted : part.tag === 0xa1 ? out.excluded : undefined;
    if (!into) continue;
    for (const sub of childrenOf(der, part)) {
      const base = childrenOf(der, sub)[0];
      if (!base) continue;
      const v = der.subarray(base.contentStart, base.end);
      if (base.tag === 0x82) into.dns.push(new TextDecoder().decode(v).toLowerCase());
      else if (base.tag === 0x87 && (v.length === 8 || v.length === 32))
        into.ips.push({ addr: v.subarray(0, v.length / 2), mask: v.subarray(v.length / 2) });
    }
  }
  return out;
}

function dnsIn(name: string, base: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const b = base.replace(/^\./, '');
  return n === b || n.endsWith(`.${b}`) || (base.startsWith('.') && n.endsWith(base));
}
function ipBytes(ip: string): Uint8Array | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return Uint8Array.from(ip.split('.').map(Number));
  return undefined;
}
function ipIn(ip: Uint8Array, t: { addr: Uint8Array; mask: Uint8Array }): boolean {
  return ip.length === t.addr.length && ip.every((b, i) => (b & t.mask[i]!) === (t.addr[i]! & t.mask[i]!));
}

/** Names of certificate `c` that break the constraints, as sentences. */
function nameProblems(c: ParsedCert, nc: NameConstraints): string[] {
  const out: string[] = [];
  for (const d of c.san?.dns ?? []) {
    if (nc.excluded.dns.some((b) => dnsIn(d, b))) out.push(`dNSName ${d} is in an excluded subtree`);
    else if (nc.permitted.dns.length && !nc.permitted.dns.some((b) => dnsIn(d, b)))
      out.push(`dNSName ${d} is outside the permitted subtrees`);
  }
  for (const s of c.san?.ips ?? []) {
    const ip = ipBytes(s);
    if (!ip) continue;
    if (nc.excluded.ips.some((t) => ipIn(ip, t))) out.push(`iPAddress ${s} is in an excluded subtree`);
    else if (nc.permitted.ips.some((t) => t.addr.length === ip.length) && !nc.permitted.ips.some((t) => ipIn(ip, t)))
      out.push(`iPAddress ${s} is outside the permitted subtrees`);
  }
  return out;
}

const NAME_CONSTRAINTS = '2.5.29.30';

export const certConstraintRules = [
  rule({
    id: 'cert.t13.oid-filters',
    title:
      'A client certificate sent after a CertificateRequest with oid_filters carries every filtered extension with the listed values.',
    rfc: ['RFC 8446 §4.2.5', 'RFC 8446 §4.4.2.3'],
    versions: ['1.3'],
    role: 'client',
    alerts: [
      because(
        'unsupported_certificate',
        'RFC 8446 §4.2.5',
        'If the client ignored some of the required certificate extension OIDs and supplied a certificate that does not satisfy the request, the server MAY at its discretion either continue the connection without client authentication or abort the handshake with an "unsupported_certificate" alert.',
      ),
    ],
    evidence: 'keys',
    ignorable: {
      rfc: 'RFC 8446 §4.2.5',
      text: 'the server MAY at its discretion either continue the connection without client authentication or abort the handshake with an "unsupported_certificate" alert.',
      receiver: 'server',
    },
    check(ctx) {
      const cr = crOf(ctx);
      if (!cr)
        return handshakeHidden(ctx)
          ? inconclusive(`The CertificateRequest is encrypted and ${notOpened(ctx)}.`)
          : notApplicable('No CertificateRequest.');
      if (cr.form !== 'tls13') return notApplicable('Not a TLS 1.3 CertificateRequest.');
      const ext = cr.extensions.find((e) => e.type === X.oid_filters);
      if (!ext) return notApplicable('The CertificateRequest has no oid_filters.');
      const filters = ext.body.kind === 'opaque' ? parseOidFilters(ext.body.data) : undefined;
      if (!filters) return inconclusive('The oid_filters extension is not readable.');
      const c = chainOf(ctx, 'C->S');
      if (!c.ok)
        return c.why.startsWith('no ')
          ? notApplicable('The client sent no Certificate.')
          : inconclusive(`Not checked: ${c.why}.`);
      if (!c.value.certs.length)
        return pass('The client sent an empty Certificate (the server may go on unauthenticated or abort).', {
          message: c.value.m.index,
        });
      const p = parsedChain(ctx, c.value.certs);
      if (!p) return inconclusive('The client certificate does not parse.');
      const unmet = filters.map((f) => [f.oid, filterMet(p[0]!, f)] as const).filter(([, why]) => why);
      return unmet.length
        ? violation(`The client certificate does not satisfy oid_filters: ${unmet.map(([o, w]) => `${o}: ${w}`).join('; ')}.`, {
            message: c.value.m.index,
          })
        : pass(`The client certificate satisfies ${filters.length} oid filter(s).`, { message: c.value.m.index });
    },
  }),
  rule({
    id: 'cert.path.name-constraints',
    title:
      'Names in certificates below a CA with nameConstraints (dNSName, iPAddress subjectAltNames) fall inside its permitted and outside its excluded subtrees.',
    rfc: 'RFC 5280 §4.2.1.10, §6.1.4',
    alerts: ['bad_certificate'],
    ignorable: CLIENT_CHAIN_TOLERANCE,
    judgesReceiver: true,
    overrides: {
      rfc: 'the constraints a CA imposes reach the next certificates through RFC 5280 §6.1.4 (g) ("If a name constraints extension is included in the certificate, modify the permitted_subtrees and excluded_subtrees state variables")',
    },
    check(ctx): Outcome[] {
      const out: Outcome[] = [];
      const anchors = (ctx.options.trustAnchors ?? []).flatMap((a) => {
        try {
          return [parseCert(a, ctx.certCache)];
        } catch {
          return [];
        }
      });
      for (const dir of ['S->C', 'C->S'] as const) {
        const c = chainOf(ctx, dir);
        if (!c.ok) continue;
        const p = parsedChain(ctx, c.value.certs);
        if (!p?.length) continue;
        // CAs: the presented certificates after the leaf and the anchor that issued the last one
        const top = p[p.length - 1]!;
        const cas: Array<[number, ParsedCert]> = p.slice(1).map((x, i) => [i + 1, x] as [number, ParsedCert]);
        const anchor = anchors.find((a) => a.subject === top.issuer && a.hex !== top.hex);
        if (anchor) cas.push([p.length, anchor]);
        let constrained = 0;
        const bad: string[] = [];
        for (const [j, ca] of cas) {
          const ext = ca.x509.extensions.find((e) => e.type === NAME_CONSTRAINTS);
          if (!ext) continue;
          constrained++;
          let nc: NameConstraints;
          try {
            nc = parseNameConstraints(new Uint8Array(ext.value));
          } catch {
            bad.push(`the nameConstraints of "${ca.subject}" do not decode`);
            continue;
          }
          for (let k = 0; k < j; k++)
            if (!p[k]!.selfIssued || k === 0)
              for (const why of nameProblems(p[k]!, nc))
                bad.push(`certificate ${k} ("${p[k]!.subject}"): ${why} of "${ca.subject}"`);
        }
        const at = { message: c.value.m.index };
        if (bad.length)
          out.push(
            chainReceiverVerdict(
              ctx,
              'cert.path.name-constraints',
              { dir, m: c.value.m.index },
              `it breaks name constraints: ${bad.join('; ')}.`,
            ),
          );
        else if (constrained)
          out.push(pass(`The ${who(dir)} chain's names satisfy ${constrained} nameConstraints extension(s).`, at));
        else
          out.push(
            notApplicable(
              `No certificate of the ${who(dir)} chain${anchor ? ' or its anchor' : ''} has nameConstraints${ctx.options.trustAnchors?.length ? '' : ' (the anchor was not given)'}.`,
              at,
            ),
          );
      }
      return out.length ? out : [notApplicable('No certificate chain.')];
    },
  }),
];
