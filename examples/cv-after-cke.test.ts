/**
 * A property over generated mutual TLS 1.2 handshakes: the client's
 * CertificateVerify always follows its ClientKeyExchange (RFC 5246 §7.4.8,
 * rule t12.order.cv-after-cke). A failure prints the seed and path that
 * replay it.
 */
import { handshakePlanArb, newRenderCache, nodeProvider, renderHandshake } from 'tlsprop';
import { test } from 'tlsprop/jest';

// one cache for the run: each key imported once, each certificate parsed once
const cache = newRenderCache(nodeProvider());
const mutual12 = handshakePlanArb({ version: '1.2', clientAuth: ['requested-sent', 'required'], resumed: false });

test.prop([mutual12], { numRuns: 8 })(
  'a mutual TLS 1.2 client sends CertificateVerify after ClientKeyExchange',
  async (plan, t) => {
    const verdicts = await t.check(await renderHandshake(plan, cache), cache);
    // one verdict per handshake of the connection (a plan may renegotiate): each passes
    const rule = verdicts.filter((v) => v.rule === 't12.order.cv-after-cke');
    expect(rule.length).toBeGreaterThan(0);
    expect(rule.filter((v) => v.status !== 'pass')).toEqual([]);
  },
);
