import { MUTATIONS } from '../generators/mutations/catalogue';
import { sentText } from './convert';

describe('sentText: what our side did, for the findings', () => {
  it("names each applied mutation by the catalogue's description, in order", () => {
    const [a, b] = MUTATIONS;
    expect(sentText([a!.name])).toBe(a!.description);
    expect(sentText([a!.name, b!.name])).toBe(`${a!.description}; and ${b!.description}`);
    expect(sentText(['t12-cke-point-identity'])).toMatch(/ClientKeyExchange point at infinity/);
  });
  it('a valid handshake did nothing unusual; an unknown name is kept as it is', () => {
    expect(sentText([])).toBeUndefined();
    expect(sentText(['no-such-mutation'])).toBe('no-such-mutation');
  });
});
