/**
 * record_size_limit (RFC 8449): the base handshake with both sides offering and answering the extension, then one
 * side breaks what RFC 8449 says the extension carries or where it may appear. (A record over the limit needs the
 * sender's own record layer to ignore the limit: engine/record-size-limit.test.ts runs such a server, and
 * spec/mutants.spec.ts lists rec.rsl-enforced as hand-made.)
 *
 * Live against servers that answered record_size_limit in the probe (needs.serverLimitsRecords: a server without RFC
 * 8449 ignores the extension): our client offers 63, and our client sends a record one byte over the limit the server
 * announced (beforeFrame: a record of any size, protected with the keys in use).
 */
import type { EngineHooks } from '../../engine/hooks';
import { extensionBody } from '../../wire/extensions';
import { decodeHandshake, encodeBody } from '../../wire/handshake';
import { ContentType as CT, ExtensionType } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { Mutation } from './model';
import { type BaseName, onceOn } from './support';

/**
 * Our first application data record carries one byte more than the record_size_limit the server announced (read from
 * its ServerHello or EncryptedExtensions): TLS 1.2 plaintext of limit + 1 bytes; TLS 1.3 a TLSInnerPlaintext of limit
 * + 1 bytes (limit bytes of data and the content type). Without an announced limit nothing changes.
 */
const overServerLimit = (tls13: boolean): EngineHooks => {
  let limit: number | undefined;
  let done = false;
  return {
    beforeProcess: (m) => {
      if (m.type !== (tls13 ? 'encrypted_extensions' : 'server_hello')) return undefined;
      const b = decodeHandshake(m.raw, { version: VERSION_CODE[tls13 ? '1.3' : '1.2'] }).message.body;
      if (b.type === 'encrypted_extensions' || b.type === 'server_hello')
        limit = extensionBody(b.extensions, ExtensionType.record_size_limit, 'record_size_limit')?.limit;
      return undefined;
    },
    beforeFrame: (f) => {
      if (done || limit === undefined || !f.protected || f.contentType !== CT.application_data || !f.content.length)
        return undefined;
      done = true;
      return [{ contentType: CT.application_data, fragment: new Uint8Array(tls13 ? limit : limit + 1).fill(0x41) }];
    },
  };
};

const T12_ALL: readonly BaseName[] = ['t12-ecdhe-rsa-cbc-mutual', 't12-ecdhe-ecdsa-gcm', 't12-rsa-kex'];
const T13_ALL: readonly BaseName[] = ['t13-server-auth', 't13-mutual'];

export const RECORD_LIMIT_MUTATIONS: readonly Mutation[] = [
  {
    name: 'rsl-below-64',
    description: 'the client offers record_size_limit 63, below the RFC 8449 minimum of 64',
    versions: ['1.2', '1.3'],
    rules: ['ext.rsl.value'],
    where: 'configuration',
    bases: [...T12_ALL, ...T13_ALL],
    // the server does not take part in record_size_limit, so the handshake goes on and shows the offer whatever the
    // version (one that does refuses it with illegal_parameter: engine/record-size-limit.test.ts)
    apply: (env) => ({ client: { ...env.client, recordSizeLimit: 63 }, server: env.server }),
  },
  {
    name: 'rsl-client-offers-63',
    description: 'our client offers record_size_limit 63 to a server that implements RFC 8449 (below the minimum of 64)',
    versions: ['1.2', '1.3'],
    rules: ['ext.rsl.value'],
    bases: [],
    needs: { serverLimitsRecords: true },
    where: 'client-sends',
    mutate: (env) => ({
      config: { ...env.client, versions: [VERSION_CODE[env.spec.version]], recordSizeLimit: 63 },
      // the offer is in the configuration: the ClientHello that carries it, unchanged, is where the mutation fires
      hooks: { beforeSend: (m) => (m.kind === 'handshake' && m.type === 'client_hello' ? [m.raw] : undefined) },
    }),
  },
  {
    name: 'rsl-record-over-server-limit',
    description: "our client's first application data record one byte over the record_size_limit the server announced",
    versions: ['1.2', '1.3'],
    rules: ['rec.rsl-enforced'],
    bases: [],
    needs: { serverLimitsRecords: true },
    where: 'client-sends',
    mutate: (env) => ({
      config: {
        ...env.client,
        versions: [VERSION_CODE[env.spec.version]],
        recordSizeLimit: env.spec.version === '1.3' ? (1 << 14) + 1 : 1 << 14,
      },
      hooks: overServerLimit(env.spec.version === '1.3'),
    }),
  },
  {
    name: 'rsl-server-answers-mfl-too',
    description: 'offered both, the TLS 1.2 server answers max_fragment_length beside record_size_limit (RFC 8449 §5)',
    versions: ['1.2'],
    rules: ['ext.rsl.not-with-mfl'],
    where: 'server-sends',
    bases: T12_ALL,
    mutate: (env) => ({
      config: { ...env.server, recordSizeLimit: 1024, maxFragmentLength: true },
      hooks: onceOn('server_hello', (raw) => {
        const { body } = decodeHandshake(raw, { version: VERSION_CODE['1.2'] }).message;
        if (body.type !== 'server_hello') return [raw];
        const extensions = [
          ...(body.extensions ?? []),
          { type: ExtensionType.max_fragment_length, body: { kind: 'max_fragment_length' as const, value: 2 } },
        ];
        return [encodeBody({ ...body, extensions })];
      }),
    }),
    inMemory: (env) => ({ client: { ...env.client, recordSizeLimit: 1024, maxFragmentLength: 2 } }),
    notLive: 'needs a client that offers both record_size_limit and max_fragment_length: a live client brings its own offer',
  },
];
