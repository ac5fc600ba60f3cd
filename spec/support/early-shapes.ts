/**
 * What the 0-RTT family's tlsfuzzer shapes must show against any server that takes early data (spec/live-early-data
 * against openssl s_server -early_data, spec/self-fuzz against our own server): the retry and the rejected 0-RTT data
 * went out as the mutations say, and the two valid shapes (0-RTT data in two records, a dummy ChangeCipherSpec between
 * them) complete.
 */
import type { FuzzResult } from '../../fuzz/target';

export function expectEarlyShapes(early: readonly FuzzResult['results'][number][]): void {
  // the server did retry (two ClientHellos), and did reject the 0-RTT data under the changed ticket (no EndOfEarlyData)
  const sent = (name: string, type: string) =>
    early.find((x) => x.conversation.subject === name)?.transcript?.messages.filter((m) => m.dir === 'C->S' && m.type === type)
      .length;
  expect(sent('t13-0rtt-after-client-hello2', 'client_hello')).toBe(2);
  expect(sent('t13-0rtt-rejected-undecryptable-in-finished', 'end_of_early_data')).toBe(0);
  // valid 0-RTT data in two records, and with a dummy ChangeCipherSpec between them (dropped, RFC 8446 §5): completes
  const shaped = early.filter((x) => / valid (fragmented|ccs-between) /.test(x.conversation.name));
  expect(
    Object.fromEntries(shaped.map((x) => [x.conversation.name.split(' ')[2], `${x.run.verdict} ${x.alert ?? '-'}`])),
  ).toEqual({
    fragmented: 'conforming -',
    'ccs-between': 'conforming -',
  });
  // each went out as two 0-RTT records (the ChangeCipherSpec between them)
  for (const x of shaped)
    expect(
      x.transcript?.messages
        .filter((m) => m.dir === 'C->S')
        .map((m) => m.type)
        .slice(0, 4),
    ).toEqual(
      x.conversation.name.includes('ccs-between')
        ? ['client_hello', 'application_data', 'change_cipher_spec', 'application_data']
        : ['client_hello', 'application_data', 'application_data', expect.anything()],
    );
}
