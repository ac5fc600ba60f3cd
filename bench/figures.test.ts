import { type Figure, incomplete, withBaseline } from './figures';

const figure = (over: Partial<Figure>): Figure =>
  withBaseline({
    section: 'crypto',
    name: 'X25519 derive',
    value: 900,
    unit: 'ops/s',
    baseline: { tool: 'openssl speed', value: 24_000 },
    ...over,
  });

describe('bench figures', () => {
  it('a figure with a value and its baseline is a result', () => {
    expect(incomplete([figure({})])).toEqual([]);
  });

  it('a figure not measured, or without its baseline, is reported', () => {
    const { baseline: _none, ...noBaseline } = figure({});
    expect(
      incomplete([
        figure({ name: 'live: not measured (s_server did not start)', value: 0, note: 's_server did not start' }),
        figure({ value: Number.NaN }),
        noBaseline,
        figure({ baseline: { tool: 'openssl speed', value: 0 } }),
      ]),
    ).toEqual([
      'crypto: live: not measured (s_server did not start): not measured (s_server did not start)',
      'crypto: X25519 derive: not measured',
      'crypto: X25519 derive: no baseline',
      'crypto: X25519 derive: no baseline',
    ]);
  });
});
