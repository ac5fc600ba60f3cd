/**
 * record_size_limit (RFC 8449): the base handshake with both sides offering and answering the extension, then one
 * side breaks what RFC 8449 says the extension carries or where it may appear. (A record over the limit needs the
 * sender's own record layer to ignore the limit: engine/record-size-limit.test.ts runs such a server, and
 * spec/mutants.spec.ts lists rec.rsl-enforced as hand-made.)
 */
import { decodeHandshake, encodeBody } from '../../wire/handshake';
import { ExtensionType } from '../../wire/registry';
import { VERSION_CODE } from '../../wire/vocabulary';
import type { Mutation } from './model';
import { type BaseName, onceOn } from './support';

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
