/**
 * Against openssl s_server on 127.0.0.1 (TLS 1.2, client certificate
 * required): our client with an ECDSA P-384 certificate and groups
 * [x25519, secp256r1] lists secp384r1 itself and is accepted; with the curve
 * taken back out of the ClientHello (what the client sent before the fix),
 * OpenSSL refuses it with illegal_parameter.
 */
import { nodeProvider } from '../crypto';
import { PeerGroup, freePort } from '../testing/launch';
import { runOurClient } from '../fuzz/live';
import { opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import { editRaw, getExt } from '../generators/mutations/support';
import { AlertDescription, ExtensionType, NamedGroup, SignatureScheme } from '../wire/registry';
import type { ClientConfig } from './config';
import { SERVER_NAME } from './fixtures';

const p = nodeProvider();
const group = new PeerGroup();
let files: PkiFiles;
let port: number;
beforeAll(async () => {
  files = await writePki();
  port = await freePort();
  await group.launch(opensslServer({ port, files, key: 'rsa', version: '1.2', clientAuth: true }));
}, 20_000);
afterAll(async () => {
  await group.stopAll();
  expect(group.running()).toEqual([]);
  files.cleanup();
});

const config = (): ClientConfig => ({
  provider: p,
  versions: [0x0303],
  groups: [NamedGroup.x25519, NamedGroup.secp256r1],
  serverName: SERVER_NAME,
  trustAnchors: files.pki.anchors,
  identity: files.pki.identity('client', 'ecdsa'),
});
const PING = new TextEncoder().encode('ping\n');

describe('TLS 1.2 client with an ECDSA P-384 certificate against openssl s_server', () => {
  it('lists secp384r1 on its own and authenticates', async () => {
    const live = await runOurClient(config(), port, { appData: PING });
    expect(live.run.end.outcome.kind).toBe('connected');
    const s = live.run.end.outcome.kind === 'connected' ? live.run.end.outcome.session : undefined;
    expect(s?.clientScheme).toBe(SignatureScheme.ecdsa_secp384r1_sha384);
    expect(live.receivedText).toBe('gnip\n');
  });

  it('is refused when the curve is taken out of supported_groups (the old behaviour)', async () => {
    const dropCurve = (raw: Uint8Array) =>
      editRaw(raw, { version: 0x0303 }, 'client_hello', (b) => {
        const sg = getExt(b.extensions, ExtensionType.supported_groups, 'supported_groups');
        if (sg) sg.groups = sg.groups.filter((g) => g !== NamedGroup.secp384r1);
      });
    const live = await runOurClient(
      { ...config(), hooks: { beforeSend: (m) => (m.type === 'client_hello' ? [dropCurve(m.raw)] : undefined) } },
      port,
      { appData: PING },
    );
    expect(live.run.end.outcome).toMatchObject({
      kind: 'alert_received',
      alert: { description: AlertDescription.illegal_parameter },
    });
  });
});
