/**
 * The mappers against OpenSSL: a valid word completes a real handshake with
 * `openssl s_server` (mutual TLS 1.2 with the reference suite, and TLS
 * 1.3) and with `openssl s_client` (our server mapper; a new s_client per
 * query), and the oracles find no violation in the transcript of either
 * side. The reference scenario's suite, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
 * is the one negotiated.
 */
import { nodeProvider } from '../crypto';
import { DEFAULT_GROUPS, DEFAULT_SCHEMES } from '../engine/config';
import { CipherSuite12, CipherSuite13 } from '../engine/suites';
import { checkTranscript } from '../oracles/evaluate';
import { ClientCommand } from '../fuzz/clientcmd';
import { freePort, PeerGroup } from '../testing/launch';
import { opensslServer } from '../testing/peers';
import { type PkiFiles, writePki } from '../testing/pki';
import type { TlsVersion } from '../wire/vocabulary';
import type { InputSymbol } from './alphabet';
import { replayWord, transcriptOfRun } from './replay';
import type { SulOptions } from './sul';

const provider = nodeProvider();
const TIMING = { floorMs: 150, capMs: 3000, factor: 4, initialMs: 400 };
let files: PkiFiles;
const peers = new PeerGroup();

beforeAll(async () => {
  files = await writePki();
});
afterAll(async () => {
  await peers.stopAll();
  files.cleanup();
});

const mapper = (identity: 'client' | 'server') => ({
  suites: [CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, CipherSuite13.TLS_AES_256_GCM_SHA384],
  groups: [...DEFAULT_GROUPS],
  schemes: [...DEFAULT_SCHEMES],
  identity: files.pki.identity(identity, 'rsa'),
  serverName: 'localhost',
  appData: new TextEncoder().encode('ping\n'),
});

async function violations(run: Awaited<ReturnType<typeof replayWord>>, role: 'server' | 'client'): Promise<string[]> {
  const { verdicts } = await checkTranscript(transcriptOfRun(run, role, 'openssl'), { trustAnchors: files.pki.anchors });
  return verdicts.filter((v) => v.status === 'violation').map((v) => `${v.rule}: ${v.detail}`);
}

describe('our client mapper against openssl s_server', () => {
  it.each(['1.2', '1.3'] as const)(
    'a valid mutual TLS %s word completes the handshake and conforms',
    async (version: TlsVersion) => {
      const port = await freePort();
      await peers.launch(
        opensslServer({ port, files, key: 'rsa', version, clientAuth: true, cipher: 'ECDHE-RSA-AES256-SHA384' }),
      );
      const sul: SulOptions = {
        role: 'server',
        version,
        provider,
        timing: TIMING,
        targets: [{ host: '127.0.0.1', port }],
        mapper: mapper('client'),
      };
      const word: InputSymbol[] =
        version === '1.2'
          ? [
              'client_hello',
              'certificate',
              'client_key_exchange',
              'certificate_verify',
              'change_cipher_spec',
              'finished',
              'application_data',
            ]
          : ['client_hello', 'certificate', 'certificate_verify', 'finished', 'application_data'];
      const run = await replayWord(sul, word);
      expect(run.outputs[0]).toContain('certificate_request');
      expect(run.outputs.join(' ')).not.toContain('alert');
      // s_server -rev answers the line: the session is up and keyed both ways
      expect(run.outputs.at(-1)).toBe('application_data');
      const t = transcriptOfRun(run, 'server', 'openssl');
      const sh = t.messages.find((m) => m.type === 'server_hello')?.decoded?.body;
      expect(sh?.type === 'server_hello' && sh.cipherSuite).toBe(
        version === '1.2' ? CipherSuite12.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 : CipherSuite13.TLS_AES_256_GCM_SHA384,
      );
      expect(await violations(run, 'server')).toEqual([]);
    },
  );
});

describe('our server mapper against openssl s_client', () => {
  it.each(['1.2', '1.3'] as const)(
    'a valid TLS %s word completes the client handshake and conforms',
    async (version: TlsVersion) => {
      const started: ClientCommand[] = [];
      const sul: SulOptions = {
        role: 'client',
        version,
        provider,
        timing: TIMING,
        mapper: mapper('server'),
        listen: {
          host: '127.0.0.1',
          port: 0,
          workers: 1,
          launcher: {
            async start(host, port) {
              const c = new ClientCommand({
                command: `openssl s_client -connect {host}:{port} -servername localhost -CAfile {ca} -verify_return_error -${version === '1.2' ? 'tls1_2' : 'tls1_3'} -quiet`,
                vars: { host, port: String(port), ca: files.ca },
                stdin: 'hello\n',
                timeoutMs: 20_000,
              });
              started.push(c);
              return { stop: () => c.stop(), describe: () => c.commandLine };
            },
          },
        },
      };
      const word: InputSymbol[] =
        version === '1.2'
          ? ['server_hello', 'certificate', 'server_key_exchange', 'server_hello_done', 'change_cipher_spec', 'finished']
          : ['server_hello', 'change_cipher_spec', 'encrypted_extensions', 'certificate', 'certificate_verify', 'finished'];
      const run = await replayWord(sul, word);
      expect(run.greeting).toBe('client_hello');
      expect(run.outputs.join(' ')).not.toContain('alert');
      expect(run.outputs.at(-1)).toMatch(version === '1.2' ? /application_data|-/ : /finished/);
      expect(run.outputs.join(' ')).toContain('finished');
      expect(await violations(run, 'client')).toEqual([]);
      for (const c of started) await c.stop();
    },
  );
});
