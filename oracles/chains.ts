/**
 * The certificate chains of a transcript, for the certificate rules: each
 * presented chain validated once with pki/validate against the caller's
 * trust anchors at the validation time (CheckOptions.at, else the capture
 * time, else now: the detail says which), for its role, the SNI host name
 * and the negotiated signature scheme; the parsed chains; the
 * CertificateRequest; the signature-algorithm checks of the chains.
 */
import { type ParsedCert, parseCert } from '../pki/parse';
import { type ChainValidation, validateChain } from '../pki/validate';
import { extensionBody } from '../wire/extensions';
import { ExtensionType as X } from '../wire/registry';
import { type Direction, receiverOf, senderOf } from '../wire/vocabulary';
import { type Context, bodyOf, memo } from './context';
import { hex4, who } from './flow';
import { type Got, chainOf, stepsOf } from './keyfacts';
import { expectedReaction } from './reactions';
import { goesOnAfterChain, receiverReaction } from './receiver';
import { type Outcome, type RuleId, inconclusive, notApplicable, pass, violation } from './rule';

export interface Validated {
  dir: Direction;
  m: number;
  v: ChainValidation;
  certs: Uint8Array[];
  atNote: string;
}

/** The negotiated scheme the leaf signs with (CertificateVerify, else ServerKeyExchange). */
function schemeOf(ctx: Context, dir: Direction): number | undefined {
  const cv = bodyOf(stepsOf(ctx, 'certificate_verify', dir)[0]);
  if (cv?.type === 'certificate_verify') return cv.scheme;
  if (dir === 'S->C') {
    const ske = bodyOf(stepsOf(ctx, 'server_key_exchange', 'S->C')[0]);
    if (ske?.type === 'server_key_exchange' && ske.kex !== 'unparsed') return ske.signed?.scheme;
  }
  return undefined;
}

export function sniOf(ctx: Context): string | undefined {
  const sn = extensionBody(ctx.ch?.b.extensions, X.server_name, 'server_name');
  const n = sn?.names.find((x) => x.nameType === 0);
  return n ? new TextDecoder().decode(n.name) : undefined;
}

export function validated(ctx: Context, dir: Direction): Promise<Got<Validated>> {
  return memo(ctx, `chain ${dir}`, async (): Promise<Got<Validated>> => {
    const c = chainOf(ctx, dir);
    if (!c.ok) return c;
    const captured = ctx.t.capturedAt !== undefined ? new Date(ctx.t.capturedAt) : undefined;
    const at = ctx.options.at ?? captured ?? new Date();
    const atNote = ctx.options.at
      ? `at the given validation time ${at.toISOString()}`
      : captured
        ? `at the handshake's capture time ${at.toISOString()}`
        : `at the current time ${at.toISOString()} (no capture time given)`;
    const input: Parameters<typeof validateChain>[0] = {
      chain: c.value.certs,
      trustAnchors: ctx.options.trustAnchors ?? [],
      at,
      purpose: dir === 'S->C' ? 'server' : 'client',
      provider: ctx.provider,
      cache: ctx.certCache,
      tls12: ctx.version === '1.2',
    };
    const sni = sniOf(ctx);
    if (dir === 'S->C' && sni !== undefined) input.serverName = sni;
    const scheme = schemeOf(ctx, dir);
    if (scheme !== undefined) input.scheme = scheme;
    if (ctx.version === '1.2' && dir === 'S->C') {
      if (ctx.kex === 'RSA') input.leafKeyUse = 'keyEncipherment';
      else if (ctx.kex && ['ECDH_RSA', 'ECDH_ECDSA', 'DH_RSA', 'DH_DSS'].includes(ctx.kex)) input.leafKeyUse = 'keyAgreement';
    }
    return { ok: true, value: { dir, m: c.value.m.index, v: await validateChain(input), certs: c.value.certs, atNote } };
  });
}

export async function chains(ctx: Context): Promise<Array<Got<Validated> & { dir: Direction }>> {
  return [
    { ...(await validated(ctx, 'S->C')), dir: 'S->C' as const },
    { ...(await validated(ctx, 'C->S')), dir: 'C->S' as const },
  ];
}

const SIG_OID_SCHEMES: Record<string, number[]> = {
  '1.2.840.113549.1.1.5': [0x0201],
  '1.2.840.113549.1.1.14': [0x0301],
  '1.2.840.10045.4.3.1': [0x0303],
  '1.2.840.113549.1.1.11': [0x0401],
  '1.2.840.113549.1.1.12': [0x0501],
  '1.2.840.113549.1.1.13': [0x0601],
  '1.2.840.113549.1.1.10': [0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b],
  '1.2.840.10045.4.1': [0x0203],
  '1.2.840.10045.4.3.2': [0x0403],
  '1.2.840.10045.4.3.3': [0x0503],
  '1.2.840.10045.4.3.4': [0x0603],
  '1.3.101.112': [0x0807],
  '1.3.101.113': [0x0808],
};

export function parsedChain(ctx: Context, certs: Uint8Array[]): ParsedCert[] | undefined {
  try {
    return certs.map((d) => parseCert(d, ctx.certCache));
  } catch {
    return undefined;
  }
}

export async function sigalgsCheck(ctx: Context, dir: Direction, offered: number[] | undefined, from: string): Promise<Outcome> {
  const c = chainOf(ctx, dir);
  if (!c.ok)
    return c.why.startsWith('no ') ? notApplicable(`No ${who(dir)} certificate chain.`) : inconclusive(`Not checked: ${c.why}.`);
  if (!offered) return inconclusive(`The ${from} list is not readable.`, { message: c.value.m.index });
  const parsed = parsedChain(ctx, c.value.certs);
  if (!parsed) return inconclusive('A certificate does not parse (see cert.type-x509v3).', { message: c.value.m.index });
  const anchors = (ctx.options.trustAnchors ?? []).map((a) => parseCert(a, ctx.certCache).hex);
  for (const [i, cert] of parsed.entries()) {
    if (cert.selfIssued || anchors.includes(cert.hex)) continue;
    const schemes = SIG_OID_SCHEMES[cert.sigAlgOid];
    if (!schemes)
      return inconclusive(`Certificate ${i} is signed with ${cert.sigAlgOid}, which has no TLS scheme mapping here.`, {
        message: c.value.m.index,
      });
    if (!schemes.some((s) => offered.includes(s)))
      return violation(`${who(dir)} certificate ${i} is signed with ${cert.sigAlgOid}, which the ${from} list does not allow.`, {
        message: c.value.m.index,
        expected: offered.map(hex4).join(' '),
        actual: schemes.map(hex4).join('/'),
      });
  }
  return pass(`Every ${who(dir)} certificate signature uses an algorithm of the ${from} list.`, { message: c.value.m.index });
}

export function crOf(ctx: Context) {
  const b = bodyOf(stepsOf(ctx, 'certificate_request', 'S->C')[0]);
  return b?.type === 'certificate_request' ? b : undefined;
}

/**
 * The verdict of a certificate rule on a presented chain that breaks it
 * (`why`: what is wrong): the conformance question is whether its receiver
 * accepted it, not what the sender presented (a peer may present any chain
 * it was given). Violation when the receiver went on (goesOnAfterChain)
 * and the RFC does not let it (the rule's declared tolerance, through
 * oracles/reactions.ts: a server may continue with the client considered
 * unauthenticated); pass when it aborted with an alert (which alert is the
 * alert rules' question) or closed; inconclusive when the transcript ends
 * first. The finding itself goes with it as a `chain-would-not-validate`
 * notice, so it is still shown.
 */
export function chainReceiverVerdict(ctx: Context, rule: RuleId, c: Pick<Validated, 'dir' | 'm'>, why: string): Outcome {
  const sender = senderOf(c.dir);
  const receiver = receiverOf(c.dir);
  const chainMsg = ctx.t.messages[c.m]!;
  const against = ctx.options.trustAnchors?.length ? ' against the trust anchors given' : '';
  const notice = {
    kind: 'chain-would-not-validate' as const,
    message: c.m,
    detail: `The ${sender}'s certificate chain (message ${c.m}) would not validate${against}: ${why}`,
  };
  const chain = `the ${sender}'s chain (message ${c.m})`;
  const r = receiverReaction(ctx, chainMsg, goesOnAfterChain(ctx, receiver));
  const out = ((): Outcome => {
    switch (r.kind) {
      case 'went-on': {
        const e = expectedReaction([rule], ctx.version!, receiver, {
          clientAuthRequired: ctx.options.clientAuthRequired === true,
        });
        if (e.ignoreAllowed) {
          const t = e.ignoreBecause[0]!;
          return pass(`The ${receiver} went on (${r.what}) after ${chain}, which ${t.rfc} allows: "${t.text}"`, {
            message: r.m.index,
          });
        }
        const alerts = e.alerts.map((a) => a.alert);
        return violation(`The ${receiver} went on (${r.what}) after ${chain}, which it must reject: ${why}`, {
          message: r.m.index,
          expected: alerts.length ? `abort with ${alerts.join(' or ')}` : 'abort',
          actual: r.what,
        });
      }
      case 'alert':
        return pass(
          `The ${receiver} rejected ${chain} with ${r.alert ?? (r.code !== undefined ? `alert ${r.code}` : 'an alert that could not be read')} (message ${r.m.index}).`,
          { message: r.m.index },
        );
      case 'closed':
        return pass(`The ${receiver} did not go on after ${chain}: it closed (${r.how}).`, { message: r.m?.index ?? c.m });
      case 'unknown':
        return inconclusive(`Whether the ${receiver} accepted ${chain}, which it must reject (${why}), is not known: ${r.why}.`, {
          message: c.m,
        });
    }
  })();
  out.notice = notice;
  return out;
}
