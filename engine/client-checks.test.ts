/**
 * Checks the client fuzzer found missing (RFC 8446 §4.1.3 downgrade
 * sentinels, §4.4.2 CertificateEntry extensions), and how an endpoint
 * reports a plaintext alert that arrives while TLS 1.3 protected records are
 * expected (RFC 8446 §5.2).
 */
import { nodeProvider } from '../crypto';
import { decodeHandshake, encodeHandshake } from '../wire/handshake';
import { encodeRecord } from '../wire/record';
import { AlertDescription, ContentType, DOWNGRADE_TLS11, DOWNGRADE_TLS12, ExtensionType } from '../wire/registry';
import type { ClientConfig, ServerConfig } from './config';
import { SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks } from './hooks';
import { runInMemory } from './memory';
import { describeOutcome } from './types';

const p = nodeProvider();
let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

function client(versions: number[], extra: Partial<ClientConfig> = {}): ClientConfig {
  return { provider: p, versions, serverName: SERVER_NAME, trustAnchors: pki.anchors, ...extra };
}
function server(versions: number[], extra: Partial<ServerConfig> = {}): ServerConfig {
  return { provider: p, versions, identity: pki.identity('server', 'ecdsa'), ...extra };
}

/** A server random ending with `tail` (a server hook cannot change it: the server derives its keys from its own random). */
function randomEnding(tail: Uint8Array): Partial<ServerConfig> {
  const random = new Uint8Array(32).fill(0x5a);
  random.set(tail, 24);
  return { random };
}

describe('RFC 8446 §4.1.3 downgrade sentinels in a TLS 1.2 ServerHello', () => {
  it.each([
    ['DOWNGRD 00 (TLS 1.1 and below)', DOWNGRADE_TLS11],
    ['DOWNGRD 01 (TLS 1.2)', DOWNGRADE_TLS12],
  ])('a client that offered TLS 1.3 aborts with illegal_parameter on %s', async (_n, tail) => {
    const r = await runInMemory(client([0x0304, 0x0303]), server([0x0303], randomEnding(tail)));
    const o = r.clientOutcome;
    if (o.kind !== 'alert_sent') throw new Error(`client ${describeOutcome(o)}`);
    expect(o.alert.description).toBe(AlertDescription.illegal_parameter);
    expect(o.state).toBe('WAIT_SERVER_HELLO');
    expect(o.reason).toContain(tail[7] === 0 ? 'DOWNGRD 00' : 'DOWNGRD 01');
  });

  it('without a sentinel the same TLS 1.2 handshake connects, and a TLS 1.2-only client accepts DOWNGRD 00 (only 1.3 clients must check)', async () => {
    const plain = await runInMemory(client([0x0304, 0x0303]), server([0x0303]));
    expect([plain.clientOutcome.kind, plain.serverOutcome.kind]).toEqual(['connected', 'connected']);
    const only12 = await runInMemory(client([0x0303]), server([0x0303], randomEnding(DOWNGRADE_TLS11)));
    expect([only12.clientOutcome.kind, only12.serverOutcome.kind]).toEqual(['connected', 'connected']);
  });
});

/** TLS 1.3 server hook: add an extension to the first CertificateEntry (before the server hashes and signs). */
function entryExtension(type: number, data = Uint8Array.of(0, 3, 1, 2, 3)): EngineHooks {
  return {
    beforeSend: (m) => {
      if (m.type !== 'certificate') return undefined;
      const d = decodeHandshake(m.raw, { version: 0x0304 });
      const b = d.message.body;
      if (b.type !== 'certificate' || b.form !== 'tls13') throw new Error('not a TLS 1.3 Certificate');
      b.entries[0]!.extensions.push({ type, body: { kind: 'opaque', data } });
      return [encodeHandshake(d.message)];
    },
  };
}

describe('RFC 8446 §4.4.2 CertificateEntry extensions', () => {
  it('the client aborts with unsupported_extension on an unsolicited signed_certificate_timestamp', async () => {
    const r = await runInMemory(client([0x0304]), server([0x0304]), {
      server: entryExtension(ExtensionType.signed_certificate_timestamp),
    });
    const o = r.clientOutcome;
    if (o.kind !== 'alert_sent') throw new Error(`client ${describeOutcome(o)}`);
    expect(o.alert.description).toBe(AlertDescription.unsupported_extension);
    expect(o.reason).toContain('CertificateEntry 0');
  });

  it('an offered extension that does not belong in a CertificateEntry (server_name) is illegal_parameter', async () => {
    const r = await runInMemory(client([0x0304]), server([0x0304]), {
      server: entryExtension(ExtensionType.server_name, new Uint8Array(0)),
    });
    const o = r.clientOutcome;
    if (o.kind !== 'alert_sent') throw new Error(`client ${describeOutcome(o)}`);
    expect(o.alert.description).toBe(AlertDescription.illegal_parameter);
  });

  it('the server aborts with unsupported_extension on an extension in the client CertificateEntry', async () => {
    const hooks: EngineHooks = entryExtension(ExtensionType.signed_certificate_timestamp);
    const r = await runInMemory(
      client([0x0304], { identity: pki.identity('client', 'ecdsa') }),
      server([0x0304], { clientAuth: 'require', trustAnchors: pki.anchors }),
      { client: hooks },
    );
    const o = r.serverOutcome;
    if (o.kind !== 'alert_sent') throw new Error(`server ${describeOutcome(o)}`);
    expect(o.alert.description).toBe(AlertDescription.unsupported_extension);
    const ok = await runInMemory(
      client([0x0304], { identity: pki.identity('client', 'ecdsa') }),
      server([0x0304], { clientAuth: 'require', trustAnchors: pki.anchors }),
    );
    expect([ok.clientOutcome.kind, ok.serverOutcome.kind]).toEqual(['connected', 'connected']);
  });
});

describe('a plaintext alert while TLS 1.3 protected records are expected', () => {
  /** Client hook: its first protected record (the encrypted flight) replaced by a plaintext fatal alert, as OpenSSL sends when it aborts early. */
  function plaintextAlert(description: number): EngineHooks {
    return {
      beforeSendRecord: (rec) => {
        if (!rec.plaintext || rec.plaintext.contentType !== ContentType.handshake) return undefined;
        return [
          {
            side: rec.side,
            raw: encodeRecord({ contentType: ContentType.alert, version: 0x0303, fragment: Uint8Array.of(2, description) }),
          },
        ];
      },
    };
  }

  it.each([
    ['with middlebox compatibility (after the client CCS)', true],
    ['without middlebox compatibility', false],
  ])('the server reports alert_received with the description and sends nothing back, %s', async (_n, compat) => {
    const r = await runInMemory(client([0x0304], { middleboxCompat: compat }), server([0x0304]), {
      client: plaintextAlert(AlertDescription.bad_certificate),
    });
    const o = r.serverOutcome;
    if (o.kind !== 'alert_received') throw new Error(`server ${describeOutcome(o)}`);
    expect(o.alert).toEqual({ level: 2, description: AlertDescription.bad_certificate });
    expect(o.unprotected).toBe(true);
    expect(o.state).toBe('WAIT_FINISHED');
    expect(describeOutcome(o)).toBe(`received unprotected alert ${AlertDescription.bad_certificate} in WAIT_FINISHED`);
    // the server answered nothing after the client's alert
    const recs = r.transcript.records;
    expect(recs.at(-1)?.dir).toBe('C->S');
  });

  it('a protected record that does not open is still bad_record_mac', async () => {
    const hooks: EngineHooks = {
      beforeSendRecord: (rec) => {
        if (!rec.plaintext || rec.plaintext.contentType !== ContentType.handshake) return undefined;
        const raw = rec.raw.slice();
        raw[raw.length - 1]! ^= 1;
        return [{ side: rec.side, raw }];
      },
    };
    const r = await runInMemory(client([0x0304]), server([0x0304]), { client: hooks });
    const o = r.serverOutcome;
    if (o.kind !== 'alert_sent') throw new Error(`server ${describeOutcome(o)}`);
    expect(o.alert.description).toBe(AlertDescription.bad_record_mac);
  });
});

describe('server Certificate contents without trust anchors (no chain validation)', () => {
  /** TLS 1.2 server hook: the Certificate's list replaced. */
  function chain12(edit: (c: Uint8Array[]) => Uint8Array[]): EngineHooks {
    return {
      beforeSend: (m) => {
        if (m.type !== 'certificate') return undefined;
        const d = decodeHandshake(m.raw, { version: 0x0303 });
        const b = d.message.body;
        if (b.type !== 'certificate' || b.form !== 'tls12') throw new Error('not a TLS 1.2 Certificate');
        b.certificates = edit(b.certificates);
        return [encodeHandshake(d.message)];
      },
    };
  }
  const noAnchors = (): ClientConfig => ({ provider: p, versions: [0x0303], serverName: SERVER_NAME });

  it('a non-certificate entry after the leaf is bad_certificate (RFC 5246 §7.4.2: every entry is an X.509 certificate)', async () => {
    const r = await runInMemory(noAnchors(), server([0x0303]), {
      server: chain12((c) => [...c, Uint8Array.of(0x30, 3, 1, 2, 3)]),
    });
    const o = r.clientOutcome;
    if (o.kind !== 'alert_sent') throw new Error(`client ${describeOutcome(o)}`);
    expect(o.alert.description).toBe(AlertDescription.bad_certificate);
    expect(o.reason).toContain('certificate 1 of the chain'); // the chain is the leaf alone (the root is left out)
    const ok = await runInMemory(noAnchors(), server([0x0303]));
    expect(ok.clientOutcome.kind).toBe('connected');
  });

  it('an empty TLS 1.2 server Certificate is decode_error, as in TLS 1.3', async () => {
    const r = await runInMemory(noAnchors(), server([0x0303]), { server: chain12(() => []) });
    const o = r.clientOutcome;
    if (o.kind !== 'alert_sent') throw new Error(`client ${describeOutcome(o)}`);
    expect(o.alert.description).toBe(AlertDescription.decode_error);
  });
});

describe('RFC 8446 §4.2.1: the version a TLS 1.3 ServerHello selects in supported_versions', () => {
  /** TLS 1.3 server hook: the ServerHello's supported_versions says `version`. */
  const selects = (version: number): EngineHooks => ({
    beforeSend: (m) => {
      if (m.kind !== 'handshake' || m.type !== 'server_hello') return undefined;
      const d = decodeHandshake(m.raw, { version: 0x0304 });
      const b = d.message.body;
      if (b.type !== 'server_hello') throw new Error('not a ServerHello');
      for (const e of b.extensions ?? [])
        if (e.type === ExtensionType.supported_versions && e.body.kind === 'supported_versions_server') e.body.version = version;
      return [encodeHandshake(d.message)];
    },
  });
  it.each([
    ['a version prior to TLS 1.3 (0x0303)', 0x0303],
    ['a version the client did not offer (0x0305)', 0x0305],
  ])('a TLS 1.3-only client aborts with illegal_parameter (not protocol_version) on %s', async (_n, version) => {
    const r = await runInMemory(client([0x0304]), server([0x0304]), { server: selects(version) });
    const o = r.clientOutcome;
    if (o.kind !== 'alert_sent') throw new Error(`client ${describeOutcome(o)}`);
    expect(o.alert.description).toBe(AlertDescription.illegal_parameter);
  });
});
