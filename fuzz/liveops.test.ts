/** Live-only operators: the Y-flipped ECDH point (valid X, off the curve) against our engine's server, healthy and faulty. */
import { createECDH, ECDH } from 'node:crypto';
import { nodeProvider } from '../crypto';
import type { ClientConfig, ServerConfig } from '../engine/config';
import { type TestPki, SERVER_NAME, testPki } from '../engine/fixtures';
import { runInMemory } from '../engine/memory';
import { CipherSuite12 } from '../engine/suites';
import { AlertDescription, NamedGroup } from '../wire/registry';
import { flipY, LIVE_ONLY_OPERATORS, liveOnlyOperator } from './liveops';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const onCurve = (point: Uint8Array, curve: string): boolean => {
  try {
    ECDH.convertKey(point, curve, undefined, undefined, 'compressed');
    return true;
  } catch {
    return false;
  }
};

describe('flipY', () => {
  it.each([
    ['prime256v1', 65],
    ['secp384r1', 97],
  ])('%s: same X, Y one bit off, no longer on the curve', (curve, len) => {
    const e = createECDH(curve);
    const point = new Uint8Array(e.generateKeys());
    expect(point.length).toBe(len);
    const f = flipY(point)!;
    expect(f.subarray(0, 1 + (len - 1) / 2)).toEqual(point.subarray(0, 1 + (len - 1) / 2));
    expect(f.filter((b, i) => b !== point[i])).toHaveLength(1);
    expect(onCurve(point, curve)).toBe(true);
    expect(onCurve(f, curve)).toBe(false);
  });

  it('leaves anything but an uncompressed NIST point alone', () => {
    expect(flipY(new Uint8Array(32))).toBeUndefined();
    expect(flipY(Uint8Array.of(0x02, ...new Uint8Array(32)))).toBeUndefined();
  });
});

describe('Y-flipped key exchange against our server', () => {
  const cases = [
    ['t12-cke-point-y-flipped', 0x0303, NamedGroup.secp256r1],
    ['t12-cke-point-y-flipped', 0x0303, NamedGroup.secp384r1],
    ['t13-keyshare-y-flipped', 0x0304, NamedGroup.secp256r1],
    ['t13-keyshare-y-flipped', 0x0304, NamedGroup.secp384r1],
  ] as const;

  it.each(cases)(
    '%s (version 0x%s, group %s): a healthy server refuses it with illegal_parameter; with accept-invalid-ecdh-point the handshake completes',
    async (name, version, group) => {
      const op = liveOnlyOperator(name)!;
      expect(op.declares).toEqual(['ecdh.point-on-curve']);
      const client: ClientConfig = {
        provider: p,
        versions: [version],
        serverName: SERVER_NAME,
        trustAnchors: pki.anchors,
        groups: [group],
        keyShareGroups: [group],
      };
      if (version === 0x0303) client.cipherSuites = [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256];
      const server: ServerConfig = { provider: p, versions: [version], identity: pki.identity('server', 'rsa') };
      const healthy = await runInMemory(client, server, { client: op.hooks() });
      expect(healthy.serverOutcome).toMatchObject({
        kind: 'alert_sent',
        alert: { description: AlertDescription.illegal_parameter },
      });
      const faulty = await runInMemory(
        client,
        { ...server, faults: ['accept-invalid-ecdh-point'] },
        { client: op.hooks() },
        { appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) } },
      );
      expect(faulty.serverOutcome.kind).toBe('connected');
      expect(faulty.received.client).toEqual([Uint8Array.of(2)]);
    },
  );

  it('every live-only operator names its rules and groups', () => {
    for (const op of LIVE_ONLY_OPERATORS) {
      expect(op.declares.length).toBeGreaterThan(0);
      expect(op.groups.length).toBeGreaterThan(0);
    }
  });
});
