/**
 * What the engine does with input a conforming receiver must refuse or skip: the eleven non-conformances an
 * independent server test suite found in the engine (issue #20, R1-R11), each checked in the server and, where the
 * client shares the code, in the client; and the same classes found elsewhere (the state checked before a body is
 * decoded, lengths before contents, handshake messages across a key change).
 */
import { nodeProvider, randomBytes } from '../crypto';
import { mutation, runMutant } from '../generators/mutations';
import { BASE_GROUPS } from '../generators/mutations/support';
import { checkTranscript } from '../oracles/evaluate';
import type { Extension } from '../wire/extensions';
import { type DecodeContext, decodeHandshake, encodeHandshake, type HandshakeBody } from '../wire/handshake';
import { encodeRecord } from '../wire/record';
import { AlertDescription, AlertLevel, type AlertName, ContentType, ExtensionType, NamedGroup } from '../wire/registry';
import { VERSION_CODE } from '../wire/vocabulary';
import type { ClientConfig, ServerConfig } from './config';
import { ed25519Leaves, SERVER_NAME, type TestPki, testPki } from './fixtures';
import type { EngineHooks, HookRecord } from './hooks';
import { runInMemory } from './memory';
import { TlsServer } from './server';
import { describeOutcome, type Outcome } from './types';

const p = nodeProvider();
const V12 = VERSION_CODE['1.2'];
const V13 = VERSION_CODE['1.3'];
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
const mutual = (versions: number[], key: 'rsa' | 'ecdsa' = 'ecdsa') => ({
  c: client(versions, { identity: pki.identity('client', key) }),
  s: server(versions, { clientAuth: 'require', trustAnchors: pki.anchors }),
});

/** The alert an endpoint sent, or a failure naming its outcome. */
function sent(o: Outcome): AlertName | string {
  if (o.kind !== 'alert_sent') return `no alert sent: ${describeOutcome(o)}`;
  const name = (Object.keys(AlertDescription) as AlertName[]).find((n) => AlertDescription[n] === o.alert.description);
  return name ?? `alert ${o.alert.description}`;
}

/** Hook (either side): the first outgoing handshake message of `type`, decoded with `version` (or a context), edited. */
function editMessage(type: HandshakeBody['type'], version: number | DecodeContext, fn: (b: HandshakeBody) => void): EngineHooks {
  let done = false;
  return {
    beforeSend: (m) => {
      if (done || m.type !== type) return undefined;
      done = true;
      const d = decodeHandshake(m.raw, typeof version === 'number' ? { version } : version);
      fn(d.message.body);
      return [encodeHandshake(d.message)];
    },
  };
}

/** Hook: the first outgoing handshake message of `type` replaced by other raw bytes. */
function replaceRaw(type: string, fn: (raw: Uint8Array) => Uint8Array): EngineHooks {
  let done = false;
  return {
    beforeSend: (m) => {
      if (done || m.type !== type) return undefined;
      done = true;
      return [fn(m.raw)];
    },
  };
}

function setExt(list: Extension[] | undefined, ext: Extension): Extension[] {
  const out = (list ?? []).filter((e) => e.type !== ext.type);
  out.push(ext);
  return out;
}

/** The hello's extension list with `ext` put in (replacing one of its type), pre_shared_key kept last. */
function withExt(b: HandshakeBody, ext: Extension): void {
  if (b.type !== 'client_hello' && b.type !== 'server_hello') throw new Error(`not a hello: ${b.type}`);
  const exts = setExt(b.extensions, ext);
  const psk = exts.findIndex((e) => e.type === ExtensionType.pre_shared_key);
  if (psk >= 0) exts.push(...exts.splice(psk, 1));
  b.extensions = exts;
}

const opaque = (type: number, data: Uint8Array): Extension => ({ type, body: { kind: 'opaque', data } });
const record = (type: number, fragment: Uint8Array) => encodeRecord({ contentType: type, version: V12, fragment });

describe('R1 ec_point_formats without uncompressed (RFC 8422 §5.1.2: illegal_parameter)', () => {
  const compressedOnly: Extension = { type: ExtensionType.ec_point_formats, body: { kind: 'ec_point_formats', formats: [1, 2] } };

  it('the server refuses such a TLS 1.2 ClientHello from a client that lists curves', async () => {
    const r = await runInMemory(client([V12]), server([V12]), {
      client: editMessage('client_hello', V12, (b) => withExt(b, compressedOnly)),
    });
    expect(sent(r.serverOutcome)).toBe('illegal_parameter');
    expect(r.serverOutcome.kind === 'alert_sent' && r.serverOutcome.state).toBe('WAIT_CLIENT_HELLO');
  });

  it('uncompressed among others is fine, and a TLS 1.3 handshake does not look at the extension', async () => {
    const both: Extension = { type: ExtensionType.ec_point_formats, body: { kind: 'ec_point_formats', formats: [1, 0] } };
    const ok = await runInMemory(client([V12]), server([V12]), {
      client: editMessage('client_hello', V12, (b) => withExt(b, both)),
    });
    expect([ok.clientOutcome.kind, ok.serverOutcome.kind]).toEqual(['connected', 'connected']);
    const t13 = await runInMemory(client([V13, V12]), server([V13, V12]), {
      client: editMessage('client_hello', V13, (b) => withExt(b, compressedOnly)),
    });
    expect(t13.serverOutcome.kind).toBe('connected');
  });

  it('the client refuses a ServerHello whose list lacks uncompressed', async () => {
    const r = await runInMemory(client([V12]), server([V12]), {
      server: editMessage('server_hello', V12, (b) => withExt(b, compressedOnly)),
    });
    expect(sent(r.clientOutcome)).toBe('illegal_parameter');
  });
});

describe('R2 renegotiation_info in an initial hello is empty (RFC 5746 §3.4, §3.6: handshake_failure)', () => {
  const nonEmpty: Extension = {
    type: ExtensionType.renegotiation_info,
    body: { kind: 'renegotiation_info', renegotiatedConnection: new Uint8Array(12).fill(0xab) },
  };

  it('the server aborts on a non-empty renegotiated_connection', async () => {
    const r = await runInMemory(client([V12]), server([V12]), {
      client: editMessage('client_hello', V12, (b) => withExt(b, nonEmpty)),
    });
    expect(sent(r.serverOutcome)).toBe('handshake_failure');
  });

  it('the client aborts on a non-empty renegotiated_connection in the initial ServerHello', async () => {
    const r = await runInMemory(client([V12]), server([V12]), {
      server: editMessage('server_hello', V12, (b) => withExt(b, nonEmpty)),
    });
    expect(sent(r.clientOutcome)).toBe('handshake_failure');
  });
});

describe('R3 rejected 0-RTT data is skipped (RFC 8446 §4.2.10)', () => {
  /** The ClientHello offers early_data with a PSK the server cannot resume (so it rejects the 0-RTT data). */
  const offerEarlyData = (b: HandshakeBody) => {
    withExt(b, { type: ExtensionType.early_data, body: { kind: 'empty' } });
    withExt(b, {
      type: ExtensionType.pre_shared_key,
      body: {
        kind: 'pre_shared_key_client',
        identities: [{ identity: new Uint8Array(48).fill(7), obfuscatedTicketAge: 1234 }],
        binders: [new Uint8Array(32).fill(9)],
      },
    });
  };

  /** Client hooks: early_data offered, then `records` 0-RTT records of `size` bytes right behind the ClientHello. */
  function earlyData(records: number, size: number): EngineHooks {
    let sentEarly = false;
    return {
      ...editMessage('client_hello', V13, offerEarlyData),
      beforeSendRecord: (rec: HookRecord) => {
        if (sentEarly || rec.raw[0] !== ContentType.handshake || rec.raw[5] !== 1) return undefined;
        sentEarly = true;
        const early = Array.from({ length: records }, () => ({
          side: rec.side,
          raw: record(ContentType.application_data, randomBytes(p, size)),
        }));
        return [rec, ...early];
      },
    };
  }

  it('a server that rejects the early data skips the records that do not open under the handshake keys', async () => {
    const r = await runInMemory(
      client([V13]),
      server([V13]),
      { client: earlyData(3, 200) },
      {
        appData: { client: new TextEncoder().encode('after 0-RTT') },
      },
    );
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
    expect(new TextDecoder().decode(r.received.server[0])).toBe('after 0-RTT');
  });

  it('after a HelloRetryRequest it skips the application_data records up to the second ClientHello', async () => {
    const r = await runInMemory(
      client([V13], { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] }),
      server([V13], { groups: [NamedGroup.secp256r1, NamedGroup.x25519], helloRetryForPreferredGroup: true }),
      { client: earlyData(2, 300) },
    );
    expect(r.server.sentHelloRetryRequest).toBe(true);
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
  });

  it('more than 2^14 bytes of rejected 0-RTT data is unexpected_message (RFC 8446 §4.6.1)', async () => {
    const r = await runInMemory(client([V13]), server([V13]), { client: earlyData(17, 1100) });
    expect(sent(r.serverOutcome)).toBe('unexpected_message');
  });

  it('without early_data in the ClientHello a record that does not open is still bad_record_mac', async () => {
    const garbage: EngineHooks = {
      beforeSendRecord: (rec: HookRecord) =>
        rec.raw[0] === ContentType.handshake && rec.raw[5] === 1
          ? [rec, { side: rec.side, raw: record(ContentType.application_data, randomBytes(p, 64)) }]
          : undefined,
    };
    const r = await runInMemory(client([V13]), server([V13]), { client: garbage });
    expect(sent(r.serverOutcome)).toBe('bad_record_mac');
  });
});

describe('R4 a hello with legacy_version 0x0300 or lower (RFC 8446 App. D.5: protocol_version)', () => {
  it.each([
    ['0x0300', 0x0300],
    ['0x0200', 0x0200],
  ])('the server refuses a TLS 1.3 ClientHello with legacy_version %s', async (_n, legacy) => {
    const r = await runInMemory(client([V13]), server([V13]), {
      client: editMessage('client_hello', V13, (b) => {
        if (b.type === 'client_hello') b.legacyVersion = legacy;
      }),
    });
    expect(sent(r.serverOutcome)).toBe('protocol_version');
  });

  it('the client refuses a TLS 1.3 ServerHello with legacy_version 0x0300', async () => {
    const r = await runInMemory(client([V13]), server([V13]), {
      server: editMessage('server_hello', V13, (b) => {
        if (b.type === 'server_hello') b.legacyVersion = 0x0300;
      }),
    });
    expect(sent(r.clientOutcome)).toBe('protocol_version');
  });
});

describe('R5 key shares and supported_groups (RFC 8446 §4.2.8)', () => {
  it('the server never answers with a share for a group the client did not list (it refuses the ClientHello)', async () => {
    const r = await runInMemory(
      client([V13], { groups: [NamedGroup.x25519], keyShareGroups: [NamedGroup.secp256r1] }),
      server([V13], { groups: [NamedGroup.secp256r1, NamedGroup.x25519] }),
    );
    expect(sent(r.serverOutcome)).toBe('illegal_parameter');
    expect(r.transcript.messages.filter((m) => m.dir === 'S->C' && m.kind === 'handshake')).toEqual([]);
  });

  it('the generated mutant that reaches the case (t13-keyshare-unlisted-group) shows no server violation', async () => {
    // throws when the mutation is missing
    const op = mutation('t13-keyshare-unlisted-group');
    for (const group of BASE_GROUPS) {
      const r = await runMutant(op, pki, {
        base: 't13-server-auth',
        suiteIndex: 0,
        group,
        compat: true,
        clientRandom: new Uint8Array(32).fill(1),
        serverRandom: new Uint8Array(32).fill(2),
        seed: 0,
      });
      const violated = (await checkTranscript(r.transcript, r.check)).verdicts.filter((v) => v.status === 'violation');
      expect(violated.map((v) => v.rule)).toEqual(['t13.neg.keyshare-client']);
      expect(sent(r.run.serverOutcome)).toBe('illegal_parameter');
    }
  });

  it('two shares for one group, or shares out of supported_groups order, are illegal_parameter too', async () => {
    const dup = await runInMemory(client([V13]), server([V13]), {
      client: editMessage('client_hello', V13, (b) => {
        const ks = b.type === 'client_hello' ? b.extensions?.find((e) => e.type === ExtensionType.key_share) : undefined;
        if (ks?.body.kind === 'key_share_client') ks.body.shares.push({ ...ks.body.shares[0]! });
      }),
    });
    expect(sent(dup.serverOutcome)).toBe('illegal_parameter');
    const order = await runInMemory(
      client([V13], {
        groups: [NamedGroup.x25519, NamedGroup.secp256r1],
        keyShareGroups: [NamedGroup.secp256r1, NamedGroup.x25519],
      }),
      server([V13]),
    );
    expect(sent(order.serverOutcome)).toBe('illegal_parameter');
    const fine = await runInMemory(
      client([V13], {
        groups: [NamedGroup.x25519, NamedGroup.secp256r1],
        keyShareGroups: [NamedGroup.x25519, NamedGroup.secp256r1],
      }),
      server([V13], { groups: [NamedGroup.secp256r1] }),
    );
    expect([fine.clientOutcome.kind, fine.serverOutcome.kind]).toEqual(['connected', 'connected']);
  });

  it('key_share without supported_groups is missing_extension (RFC 8446 §9.2)', async () => {
    const r = await runInMemory(client([V13]), server([V13]), {
      client: editMessage('client_hello', V13, (b) => {
        if (b.type === 'client_hello') b.extensions = b.extensions?.filter((e) => e.type !== ExtensionType.supported_groups);
      }),
    });
    expect(sent(r.serverOutcome)).toBe('missing_extension');
  });
});

describe('R6 a CertificateVerify whose signature does not parse is decrypt_error (RFC 8446 §4.4.3)', () => {
  const badDer = Uint8Array.of(0x30, 0x05, 0x02, 0x01, 0x00, 0x02, 0x00);

  it.each([
    ['TLS 1.3', V13],
    ['TLS 1.2', V12],
  ])('%s client CertificateVerify with a malformed ECDSA signature', async (_n, v) => {
    const m = mutual([v]);
    const r = await runInMemory(m.c, m.s, {
      client: editMessage('certificate_verify', v, (b) => {
        if (b.type === 'certificate_verify') b.signature = badDer;
      }),
    });
    expect(sent(r.serverOutcome)).toBe('decrypt_error');
  });

  it('TLS 1.3 client CertificateVerify with an empty Ed25519 signature', async () => {
    const ed = await ed25519Leaves(pki);
    const leaf = ed.client[0]!;
    const r = await runInMemory(
      client([V13], { identity: { chain: [leaf.der], pkcs8: leaf.key.pkcs8, spki: leaf.key.spki } }),
      server([V13], { clientAuth: 'require', trustAnchors: pki.anchors }),
      {
        client: editMessage('certificate_verify', V13, (b) => {
          if (b.type === 'certificate_verify') b.signature = new Uint8Array(0);
        }),
      },
    );
    expect(sent(r.serverOutcome)).toBe('decrypt_error');
  });

  it('the client: a malformed server CertificateVerify (1.3) or ServerKeyExchange signature (1.2)', async () => {
    const cv = await runInMemory(client([V13]), server([V13]), {
      server: editMessage('certificate_verify', V13, (b) => {
        if (b.type === 'certificate_verify') b.signature = badDer;
      }),
    });
    expect(sent(cv.clientOutcome)).toBe('decrypt_error');
    const ske = await runInMemory(client([V12]), server([V12]), {
      server: editMessage('server_key_exchange', { version: V12, kex: 'ECDHE_ECDSA' }, (b) => {
        if (b.type === 'server_key_exchange' && b.kex === 'ecdhe' && b.signed) b.signed.signature = badDer;
      }),
    });
    expect(sent(ske.clientOutcome)).toBe('decrypt_error');
  });

  it('a scheme that does not fit the key stays illegal_parameter', async () => {
    const m = mutual([V13]);
    const r = await runInMemory(m.c, m.s, {
      client: editMessage('certificate_verify', V13, (b) => {
        // the client key is ECDSA P-384; rsa_pss_rsae_sha256 cannot be its scheme
        if (b.type === 'certificate_verify') b.scheme = 0x0804;
      }),
    });
    expect(sent(r.serverOutcome)).toBe('illegal_parameter');
  });
});

describe('R7 warning alerts during a TLS 1.2 handshake (RFC 5246 §7.2)', () => {
  /** Client hook: a warning alert record sent ahead of its ClientKeyExchange. */
  const warnBeforeCke = (description: number): EngineHooks => ({
    beforeSend: async (m) => {
      if (m.type === 'client_key_exchange')
        await m.sendRecord?.(ContentType.alert, Uint8Array.of(AlertLevel.warning, description));
      return undefined;
    },
  });

  it.each([
    ['no_renegotiation', AlertDescription.no_renegotiation],
    ['unrecognized_name', AlertDescription.unrecognized_name],
    ['an unknown description (200)', 200],
  ])('the server goes on after a warning %s', async (_n, d) => {
    const r = await runInMemory(client([V12]), server([V12]), { client: warnBeforeCke(d) });
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
    expect(r.server.warningsReceived).toEqual([{ level: AlertLevel.warning, description: d }]);
  });

  it('the client goes on after a warning during the handshake', async () => {
    const hooks: EngineHooks = {
      beforeSend: async (m) => {
        if (m.type === 'server_hello_done')
          await m.sendRecord?.(ContentType.alert, Uint8Array.of(AlertLevel.warning, AlertDescription.unrecognized_name));
        return undefined;
      },
    };
    const r = await runInMemory(client([V12]), server([V12]), { server: hooks });
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
  });

  it('in TLS 1.3 a warning-level alert is an error alert (RFC 8446 §6), also after the handshake', async () => {
    /** Client hook: a warning alert sealed under the current keys ahead of the first message of `type`. */
    const warnBefore = (type: string): EngineHooks => {
      let done = false;
      return {
        beforeSend: async (m) => {
          if (!done && m.type === type) {
            done = true;
            await m.sendRecord?.(ContentType.alert, Uint8Array.of(AlertLevel.warning, AlertDescription.unrecognized_name));
          }
          return undefined;
        },
      };
    };
    const during = await runInMemory(client([V13]), server([V13]), { client: warnBefore('finished') });
    expect(during.serverOutcome).toMatchObject({ kind: 'alert_received', alert: { level: AlertLevel.warning } });
    const after = await runInMemory(
      client([V13]),
      server([V13]),
      { client: warnBefore('application_data') },
      {
        appData: { client: Uint8Array.of(1) },
      },
    );
    expect(after.serverOutcome).toMatchObject({ kind: 'alert_received', alert: { level: AlertLevel.warning } });
  });
});

describe('R8 a Finished of the wrong length is decode_error (length before content)', () => {
  const longer = (raw: Uint8Array) => {
    const out = new Uint8Array(raw.length + 1);
    out.set(raw);
    out[3] = raw[3]! + 1; // body length + 1 (short messages: the low byte is enough)
    return out;
  };
  const shorter = (raw: Uint8Array) => {
    const out = raw.slice(0, raw.length - 1);
    out[3] = raw[3]! - 1;
    return out;
  };

  it.each([
    ['TLS 1.3 one byte longer', V13, longer],
    ['TLS 1.3 one byte shorter', V13, shorter],
    ['TLS 1.2 one byte longer', V12, longer],
  ])('the server: client Finished %s', async (_n, v, f) => {
    const r = await runInMemory(client([v]), server([v]), { client: replaceRaw('finished', f) });
    expect(sent(r.serverOutcome)).toBe('decode_error');
  });

  it('the client: server Finished one byte shorter (TLS 1.3)', async () => {
    const r = await runInMemory(client([V13]), server([V13]), { server: replaceRaw('finished', shorter) });
    expect(sent(r.clientOutcome)).toBe('decode_error');
  });

  it('the right length with wrong contents stays decrypt_error', async () => {
    const flip = (raw: Uint8Array) => {
      const out = raw.slice();
      out[out.length - 1]! ^= 1;
      return out;
    };
    const r = await runInMemory(client([V13]), server([V13]), { client: replaceRaw('finished', flip) });
    expect(sent(r.serverOutcome)).toBe('decrypt_error');
  });
});

describe('R9 a plaintext record once TLS 1.3 keys are in use is unexpected_message (RFC 8446 §5, §5.2)', () => {
  /** Hook: the protected record carrying a handshake message of `type` sent as a plaintext handshake record instead. */
  const plaintextRecordOf = (msgType: number): EngineHooks => ({
    beforeSendRecord: (rec: HookRecord) => {
      const pt = rec.plaintext;
      if (!pt || pt.contentType !== ContentType.handshake || pt.fragment[0] !== msgType) return undefined;
      return [{ side: rec.side, raw: record(ContentType.handshake, pt.fragment) }];
    },
  });

  it('the server: the client Finished in a plaintext handshake record', async () => {
    const r = await runInMemory(client([V13]), server([V13]), { client: plaintextRecordOf(20) });
    expect(sent(r.serverOutcome)).toBe('unexpected_message');
  });

  it('the client: EncryptedExtensions in a plaintext handshake record', async () => {
    const r = await runInMemory(client([V13]), server([V13]), { server: plaintextRecordOf(8) });
    expect(sent(r.clientOutcome)).toBe('unexpected_message');
  });
});

describe('R10 extended_master_secret and encrypt_then_mac carry no extension_data (RFC 7627 §5.1, RFC 7366 §2)', () => {
  it.each([
    ['extended_master_secret', ExtensionType.extended_master_secret],
    ['encrypt_then_mac', ExtensionType.encrypt_then_mac],
  ])('the server: a ClientHello %s with a body is decode_error', async (_n, type) => {
    const r = await runInMemory(client([V12]), server([V12]), {
      client: editMessage('client_hello', V12, (b) => withExt(b, opaque(type, Uint8Array.of(0)))),
    });
    expect(sent(r.serverOutcome)).toBe('decode_error');
  });

  it('the client: a ServerHello extended_master_secret with a body is decode_error', async () => {
    const r = await runInMemory(client([V12]), server([V12]), {
      server: editMessage('server_hello', V12, (b) =>
        withExt(b, opaque(ExtensionType.extended_master_secret, Uint8Array.of(1, 2))),
      ),
    });
    expect(sent(r.clientOutcome)).toBe('decode_error');
  });
});

describe('R11 the state is checked before the body is decoded (RFC 8446 §4: unexpected_message)', () => {
  it.each([
    ['end_of_early_data with a body', Uint8Array.of(5, 0, 0, 2, 1, 2)],
    ['end_of_early_data', Uint8Array.of(5, 0, 0, 0)],
    ['finished', Uint8Array.of(20, 0, 0, 3, 1, 2, 3)],
    ['an unknown type (99)', Uint8Array.of(99, 0, 0, 1, 0)],
    ['a message of the wrong type whose announced body has not arrived yet', Uint8Array.of(11, 0, 0x40, 0, 1)],
  ])('a server whose first handshake message is %s', async (_n, msg) => {
    const s = new TlsServer(server([V13, V12]));
    const res = await s.receive(record(ContentType.handshake, msg));
    expect(sent(s.outcome)).toBe('unexpected_message');
    expect(res.send).toHaveLength(1);
  });

  it('the client: a CertificateRequest where the Certificate is due (TLS 1.2), whatever its body', async () => {
    const r = await runInMemory(client([V12]), server([V12]), {
      server: replaceRaw('certificate', () => Uint8Array.of(13, 0, 0, 1, 0xff)),
    });
    expect(sent(r.clientOutcome)).toBe('unexpected_message');
  });
});

describe('handshake messages do not span a key change (RFC 8446 §5.1)', () => {
  /** Hook: the plaintext ServerHello record also carries `extra` handshake bytes. */
  const trailing = (extra: Uint8Array): EngineHooks => ({
    beforeSendRecord: (rec: HookRecord) => {
      if (rec.plaintext || rec.raw[0] !== ContentType.handshake || rec.raw[5] !== 2) return undefined;
      const body = rec.raw.subarray(5);
      const joined = new Uint8Array(body.length + extra.length);
      joined.set(body);
      joined.set(extra, body.length);
      return [{ side: rec.side, raw: record(ContentType.handshake, joined) }];
    },
  });

  it('the client refuses a ServerHello record that goes on with more handshake data', async () => {
    const r = await runInMemory(client([V13]), server([V13]), { server: trailing(Uint8Array.of(8, 0, 0, 2, 0, 0)) });
    expect(sent(r.clientOutcome)).toBe('unexpected_message');
    expect(r.clientOutcome.kind === 'alert_sent' && r.clientOutcome.reason).toContain('key change');
  });

  it('the server refuses a ClientHello record that goes on with the start of another message', async () => {
    const hooks: EngineHooks = {
      beforeSendRecord: (rec: HookRecord) => {
        if (rec.raw[0] !== ContentType.handshake || rec.raw[5] !== 1) return undefined;
        const body = rec.raw.subarray(5);
        const joined = new Uint8Array(body.length + 2);
        joined.set(body);
        joined.set([20, 0], body.length);
        return [{ side: rec.side, raw: record(ContentType.handshake, joined) }];
      },
    };
    const r = await runInMemory(client([V13]), server([V13]), { client: hooks });
    expect(sent(r.serverOutcome)).toBe('unexpected_message');
  });

  it('TLS 1.2 messages may share a record (no key change on a handshake message)', async () => {
    const r = await runInMemory(client([V12]), server([V12]));
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
  });
});

describe('TLS_FALLBACK_SCSV with legacy_version 0x0304 and no supported_versions (RFC 7507 §3 with RFC 8446 §4.2.1)', () => {
  const fallback = (b: HandshakeBody) => {
    if (b.type !== 'client_hello') return;
    b.legacyVersion = V13;
    b.cipherSuites = [...b.cipherSuites, 0x5600];
  };

  it('a server that also speaks TLS 1.3 answers inappropriate_fallback (the hello can only negotiate TLS 1.2)', async () => {
    const r = await runInMemory(client([V12]), server([V13, V12]), { client: editMessage('client_hello', V12, fallback) });
    expect(sent(r.serverOutcome)).toBe('inappropriate_fallback');
  });

  it('a TLS 1.2-only server negotiates TLS 1.2', async () => {
    const r = await runInMemory(client([V12]), server([V12]), { client: editMessage('client_hello', V12, fallback) });
    expect([r.clientOutcome.kind, r.serverOutcome.kind]).toEqual(['connected', 'connected']);
  });
});

describe('TLS 1.3 extensions where RFC 8446 §4.2 does not allow them, and compression methods (§4.1.2)', () => {
  it('the client: an (offered) ALPN extension in the ServerHello is illegal_parameter', async () => {
    const alpn: Extension = {
      type: ExtensionType.application_layer_protocol_negotiation,
      body: { kind: 'application_layer_protocol_negotiation', protocols: [new TextEncoder().encode('h2')] },
    };
    const r = await runInMemory(client([V13], { alpn: ['h2'] }), server([V13], { alpn: ['h2'] }), {
      server: editMessage('server_hello', V13, (b) => withExt(b, alpn)),
    });
    expect(sent(r.clientOutcome)).toBe('illegal_parameter');
  });

  it('the client: key_share in EncryptedExtensions is illegal_parameter', async () => {
    const r = await runInMemory(client([V13]), server([V13]), {
      server: editMessage('encrypted_extensions', V13, (b) => {
        if (b.type === 'encrypted_extensions') b.extensions.push(opaque(ExtensionType.key_share, Uint8Array.of(0, 29, 0, 1, 5)));
      }),
    });
    expect(sent(r.clientOutcome)).toBe('illegal_parameter');
  });

  it('the server: a TLS 1.3 ClientHello with compression methods [0, 1] is illegal_parameter (TLS 1.2 takes it)', async () => {
    const more = (b: HandshakeBody) => {
      if (b.type === 'client_hello') b.compressionMethods = [0, 1];
    };
    const r13 = await runInMemory(client([V13]), server([V13]), { client: editMessage('client_hello', V13, more) });
    expect(sent(r13.serverOutcome)).toBe('illegal_parameter');
    const r12 = await runInMemory(client([V12]), server([V12]), { client: editMessage('client_hello', V12, more) });
    expect([r12.clientOutcome.kind, r12.serverOutcome.kind]).toEqual(['connected', 'connected']);
  });

  it('the server: oid_filters (a CertificateRequest extension) in a TLS 1.3 ClientHello is illegal_parameter', async () => {
    const r = await runInMemory(client([V13]), server([V13]), {
      client: editMessage('client_hello', V13, (b) => withExt(b, opaque(ExtensionType.oid_filters, Uint8Array.of(0, 0)))),
    });
    expect(sent(r.serverOutcome)).toBe('illegal_parameter');
  });
});
