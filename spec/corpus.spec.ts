/**
 * The capture corpus (fixtures/corpus, recorded once by record.sh and
 * record-extra.sh with the real peers the tests drive: OpenSSL, GnuTLS,
 * Botan, mosquitto, Node): client certificates rejected with each alert
 * (revoked included), silently, or accepted although untrusted; server
 * certificates rejected by clients or accepted although untrusted; a
 * TLS 1.3-only client refused by TLS 1.2-only servers; SHA-1 and SHA-224
 * handshake signatures; P-521; a HelloRetryRequest; truncation; and copies
 * with one bit flipped in an encrypted Finished or application record.
 *
 * Each capture, checked with its key log and --trust as `tlsprop check`
 * does, gives exactly the verdicts written beside it (expected.json): the
 * same violations (rule, message, the party that broke it, and the RFC
 * sentence it broke), the same notices, the same rules inconclusive, and the
 * same again without the key log where expected.json gives that. tshark,
 * given the same key log, reads the same handshake messages and alerts:
 * every one it decrypts we read too (equal sequences for a capture nobody
 * edited; where a record was flipped we read past it, tshark does not).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckOutput, ConnectionOutput } from '../cli/check';
import { type Io, main } from '../cli/main';
import { isRuleId } from '../oracles/catalogue';
import type { VerdictStatus } from '../wire/vocabulary';

const CORPUS = join(__dirname, '..', 'fixtures', 'corpus');
const CASES = readdirSync(CORPUS)
  .filter((d) => existsSync(join(CORPUS, d, 'capture.pcap')))
  .sort();

interface ExpectedViolation {
  rule: string;
  message?: number;
  party?: 'client' | 'server';
  rfc: string;
  sentence: string;
  detail: string;
}
interface ExpectedConnection {
  version?: string;
  violations: ExpectedViolation[];
  notices: Array<{ kind: string; rule: string; message?: number }>;
  inconclusive: string[];
  summary: Record<VerdictStatus, number>;
}
interface Expected {
  what: string;
  recorded: string;
  tampered?: string;
  trust: string;
  keylog: boolean;
  connections: ExpectedConnection[];
  withoutKeylog?: ExpectedConnection[];
}

const expectedOf = (c: string): Expected => JSON.parse(readFileSync(join(CORPUS, c, 'expected.json'), 'utf8')) as Expected;

async function check(c: string, keylog: boolean): Promise<CheckOutput> {
  const e = expectedOf(c);
  const out: string[] = [];
  const io: Io = { out: (s) => out.push(s), err: (s) => out.push(s), readStdin: async () => '' };
  const args = ['check', join(CORPUS, c, 'capture.pcap'), '--trust', join(CORPUS, e.trust), '--json'];
  if (keylog) args.push('--keylog', join(CORPUS, c, 'keylog.txt'));
  await main(args, io);
  return JSON.parse(out.join('\n')) as CheckOutput;
}

/** What a connection's verdicts say, in the shape of expected.json. */
function shape(c: ConnectionOutput): Omit<ExpectedConnection, 'violations'> & {
  violations: Array<Pick<ExpectedViolation, 'rule' | 'message' | 'party' | 'detail'>>;
} {
  const party = (i: number | undefined) => {
    const m = i === undefined ? undefined : c.messages.find((x) => x.index === i);
    return m ? (m.dir === 'C->S' ? ('client' as const) : ('server' as const)) : undefined;
  };
  const out: ReturnType<typeof shape> = {
    violations: c.verdicts
      .filter((v) => v.status === 'violation')
      .map((v) => {
        const p = party(v.message);
        return {
          rule: v.rule,
          ...(v.message !== undefined ? { message: v.message } : {}),
          ...(p ? { party: p } : {}),
          detail: v.detail,
        };
      }),
    notices: (c.notices ?? []).map((n) => ({
      kind: n.kind,
      rule: n.rule,
      ...(n.message !== undefined ? { message: n.message } : {}),
    })),
    inconclusive: [...new Set(c.verdicts.filter((v) => v.status === 'inconclusive').map((v) => v.rule))].sort(),
    summary: c.summary,
  };
  if (c.version) out.version = c.version;
  return out;
}

const withoutWhy = (e: ExpectedConnection) => ({
  ...e,
  violations: e.violations.map(({ rule, message, party, detail }) => ({
    rule,
    ...(message !== undefined ? { message } : {}),
    ...(party ? { party } : {}),
    detail,
  })),
});

/**
 * TLSPROP_CORPUS_UPDATE: the verdicts as they are now, with each violation's RFC and sentence kept from the entry it
 * replaces (same rule and message); a violation that had none is an error, since its sentence needs a person.
 */
function rewritten(c: string, old: readonly ExpectedConnection[], now: ReturnType<typeof shape>[]): ExpectedConnection[] {
  return now.map((n, i) => ({
    ...(n.version !== undefined ? { version: n.version } : {}),
    violations: n.violations.map((v) => {
      const was = old[i]?.violations.find((o) => o.rule === v.rule && o.message === v.message);
      if (!was) throw new Error(`${c}: new violation ${v.rule} at message ${v.message}: write its RFC sentence by hand`);
      return {
        rule: v.rule,
        ...(v.message !== undefined ? { message: v.message } : {}),
        ...(v.party ? { party: v.party } : {}),
        rfc: was.rfc,
        sentence: was.sentence,
        detail: v.detail,
      };
    }),
    notices: n.notices,
    inconclusive: n.inconclusive,
    summary: n.summary,
  }));
}

describe('the capture corpus: each capture gives the verdicts written beside it', () => {
  it('has the shapes of issue #16, each with its expected verdicts', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    for (const c of CASES) {
      const e = expectedOf(c);
      expect([c, e.connections.length > 0, e.what.length > 20, e.recorded.length > 10]).toEqual([c, true, true, true]);
      // every violation is justified by the RFC sentence it breaks, and names a declared rule
      for (const v of [...e.connections, ...(e.withoutKeylog ?? [])].flatMap((x) => x.violations))
        expect([c, v.rule, isRuleId(v.rule), /^RFC \d+ (§|App\. )/.test(v.rfc), v.sentence.length >= 40]).toEqual([
          c,
          v.rule,
          true,
          true,
          true,
        ]);
    }
    const has = (p: RegExp) => CASES.some((c) => p.test(c));
    for (const p of [
      /unknown-ca/,
      /expired/,
      /revoked/,
      /bad-signature/,
      /wrong-eku/,
      /rejected-silently/,
      /accepted-untrusted/,
      /t13client/,
    ])
      expect([String(p), has(p)]).toEqual([String(p), true]);
    for (const p of [
      /sha1/,
      /sha224/,
      /p521/,
      /hrr/,
      /truncates/,
      /flipped-client-finished/,
      /flipped-server-finished/,
      /flipped-appdata/,
    ])
      expect([String(p), has(p)]).toEqual([String(p), true]);
  });

  it.each(CASES.map((c) => [c]))('%s', async (c) => {
    const e = expectedOf(c);
    const out = await check(c, e.keylog);
    if (process.env.TLSPROP_CORPUS_UPDATE) {
      // a maintainer's rewrite after a reviewed change of verdicts: git diff shows what moved
      e.connections = rewritten(c, e.connections, out.connections.map(shape));
      if (e.withoutKeylog) e.withoutKeylog = rewritten(c, e.withoutKeylog, (await check(c, false)).connections.map(shape));
      writeFileSync(join(CORPUS, c, 'expected.json'), `${JSON.stringify(e, null, 2)}\n`);
      return;
    }
    expect(out.connections.map(shape)).toEqual(e.connections.map(withoutWhy));
    if (e.withoutKeylog) expect((await check(c, false)).connections.map(shape)).toEqual(e.withoutKeylog.map(withoutWhy));
  });
});

/** Handshake message types and alert descriptions per direction, in order: `hs:11`, `alert:48`. */
type Sequence = Record<'C->S' | 'S->C', string[]>;

function tsharkSequence(c: string, clientPort: string): Sequence {
  const args = ['-r', join(CORPUS, c, 'capture.pcap'), '-Y', 'tls', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a'];
  if (existsSync(join(CORPUS, c, 'keylog.txt'))) args.push('-o', `tls.keylog_file:${join(CORPUS, c, 'keylog.txt')}`);
  args.push('-e', 'tcp.srcport', '-e', 'tls.handshake.type', '-e', 'tls.alert_message.desc');
  const seq: Sequence = { 'C->S': [], 'S->C': [] };
  for (const line of execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')) {
    if (!line) continue;
    const [port, types, alerts] = line.split('|');
    const dir = port === clientPort ? 'C->S' : 'S->C';
    // tshark lists a frame's handshake types, then its alerts: a frame with both carries the alert last (as ours do)
    for (const t of types ? types.split(',') : []) seq[dir].push(`hs:${t}`);
    for (const a of alerts ? alerts.split(',') : []) seq[dir].push(`alert:${a}`);
  }
  return seq;
}

function ourSequence(c: ConnectionOutput): Sequence {
  const seq: Sequence = { 'C->S': [], 'S->C': [] };
  for (const m of c.messages) {
    if (!m.raw) continue;
    if (m.type === 'alert') seq[m.dir].push(`alert:${Number.parseInt(m.raw.slice(2, 4), 16)}`);
    else if (!['change_cipher_spec', 'application_data'].includes(m.type))
      seq[m.dir].push(`hs:${Number.parseInt(m.raw.slice(0, 2), 16)}`);
  }
  return seq;
}

/** `a` in order within `b` (b may hold more). */
function subsequence(a: readonly string[], b: readonly string[]): boolean {
  let i = 0;
  for (const x of b) if (i < a.length && a[i] === x) i++;
  return i === a.length;
}

describe('the corpus read by tshark with the same key log', () => {
  it.each(CASES.map((c) => [c]))(
    '%s: every handshake message and alert tshark decrypts we read, in the same order',
    async (c) => {
      const e = expectedOf(c);
      const out = await check(c, e.keylog);
      expect(out.connections).toHaveLength(1);
      const conn = out.connections[0]!;
      const ours = ourSequence(conn);
      const theirs = tsharkSequence(c, conn.client!.split(':')[1]!);
      for (const d of ['C->S', 'S->C'] as const) {
        if (e.tampered) expect([d, subsequence(theirs[d], ours[d])]).toEqual([d, true]);
        else expect([d, ours[d]]).toEqual([d, theirs[d]]);
      }
    },
  );
});
