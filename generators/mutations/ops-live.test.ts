/** Points off the curve with a valid X: the Y-flipped ECDH point from our client against our engine's server, healthy and faulty. */
import { createECDH, ECDH } from 'node:crypto';
import { nodeProvider } from '../../crypto';
import type { ClientConfig, ServerConfig } from '../../engine/config';
import { type TestPki, SERVER_NAME, testPki } from '../../engine/fixtures';
import type { EngineHooks } from '../../engine/hooks';
import { runInMemory } from '../../engine/memory';
import { CipherSuite12 } from '../../engine/suites';
import { AlertDescription, NamedGroup } from '../../wire/registry';
import { flipY, OFF_CURVE_MUTATIONS } from './ops-live';
import { baseEnv } from './support';
import { VERSION_CODE } from '../../wire/vocabulary';

/** Our client's hooks of a client-sends mutation (the environment of its first base). */
async function clientHooksOf(name: string): Promise<EngineHooks> {
  const m = OFF_CURVE_MUTATIONS.find((x) => x.name === name);
  if (m?.where !== 'client-sends') throw new Error(`${name} does not act on our client's sends`);
  const env = baseEnv(pki, {
    base: m.bases[0]!,
    suiteIndex: 0,
    group: NamedGroup.secp256r1,
    compat: false,
    clientRandom: new Uint8Array(32),
    serverRandom: new Uint8Array(32),
    seed: 1,
  });
  return (await m.mutate(env)).hooks;
}

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
    ['t12-cke-point-y-flipped', VERSION_CODE['1.2'], NamedGroup.secp256r1],
    ['t12-cke-point-y-flipped', VERSION_CODE['1.2'], NamedGroup.secp384r1],
    ['t13-keyshare-y-flipped', VERSION_CODE['1.3'], NamedGroup.secp256r1],
    ['t13-keyshare-y-flipped', VERSION_CODE['1.3'], NamedGroup.secp384r1],
  ] as const;

  it.each(cases)(
    '%s (version 0x%s, group %s): a healthy server refuses it with illegal_parameter; with accept-invalid-ecdh-point the handshake completes',
    async (name, version, group) => {
      expect(OFF_CURVE_MUTATIONS.find((m) => m.name === name)?.rules).toEqual(['ecdh.point-on-curve']);
      const client: ClientConfig = {
        provider: p,
        versions: [version],
        serverName: SERVER_NAME,
        trustAnchors: pki.anchors,
        groups: [group],
        keyShareGroups: [group],
      };
      if (version === VERSION_CODE['1.2']) client.cipherSuites = [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256];
      const server: ServerConfig = { provider: p, versions: [version], identity: pki.identity('server', 'rsa') };
      const healthy = await runInMemory(client, server, { client: await clientHooksOf(name) });
      expect(healthy.serverOutcome).toMatchObject({
        kind: 'alert_sent',
        alert: { description: AlertDescription.illegal_parameter },
      });
      const faulty = await runInMemory(
        client,
        { ...server, faults: ['accept-invalid-ecdh-point'] },
        { client: await clientHooksOf(name) },
        { appData: { client: Uint8Array.of(1), server: Uint8Array.of(2) } },
      );
      expect(faulty.serverOutcome.kind).toBe('connected');
      expect(faulty.received.client).toEqual([Uint8Array.of(2)]);
    },
  );

  it('every live-only operator names its rules and groups', () => {
    for (const op of OFF_CURVE_MUTATIONS) {
      expect(op.rules.length).toBeGreaterThan(0);
      expect(op.needs?.groups?.length).toBeGreaterThan(0);
    }
  });
});
