import { describe, expect, it } from 'vitest';
import { type Decoder, decode } from './wire.js';

describe('decode', () => {
  it('keeps a "__proto__" key from the other process as data: it sets no prototype', () => {
    const decoded = decode(JSON.parse('{"a":{"__proto__":{"polluted":"yes","then":1}}}'), {} as Decoder) as { a: Record<string, unknown> };
    expect(Object.getPrototypeOf(decoded.a)).toBe(Object.prototype);
    expect(Object.hasOwn(decoded.a, '__proto__')).toBe(true);
    expect(decoded.a.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
