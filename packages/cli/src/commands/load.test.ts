import { describe, expect, it } from 'vitest';
import { pricing } from './load.js';

describe('pricing', () => {
  it('shows every unit a provider prices in', () => {
    expect(pricing(undefined)).toBe('-');
    expect(pricing({ inputPerMillionTokens: 0.88, outputPerMillionTokens: 0.88 })).toBe('$0.88/M in, $0.88/M out');
    expect(pricing({ perImage: 0.025 })).toBe('$0.025/image');
    expect(pricing({ perMegapixel: 0.035 })).toBe('$0.035/megapixel');
    expect(pricing({ perMillionCharacters: 15, other: { seconds: 0.0001 } })).toBe('$15/M chars, $0.0001 seconds');
  });
});
