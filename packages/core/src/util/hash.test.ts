import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { compileSha256Wasm, sha256WasmSource } from '../../../../scripts/sha256-wasm.mjs';
import { SHA256_WASM } from './sha256-wasm.js';
import { hashName, sha256 } from './hash.js';
import { readFileSync } from 'node:fs';

const reference = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/** Deterministic bytes (a linear congruential generator), so that a failure can be replayed. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('sha256', () => {
  it("gives FIPS 180-4's test vectors", () => {
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(sha256('a'.repeat(1_000_000))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('agrees with node:crypto on every length across the padding boundaries, and on large and UTF-8 inputs', () => {
    for (let length = 0; length <= 1100; length++) expect(sha256(bytes(length, length)), `length ${length}`).toBe(reference(bytes(length, length)));
    for (const length of [65_535, 65_536, 65_537, 1_000_003, 4 * 1024 * 1024 + 7]) expect(sha256(bytes(length, 7)), `length ${length}`).toBe(reference(bytes(length, 7)));
    // After a large input the engine's memory is larger: a small input right after is still right.
    expect(sha256(bytes(3, 1))).toBe(reference(bytes(3, 1)));
    const text = 'snowman ☃, emoji 🙂, and NUL \0';
    expect(sha256(text)).toBe(reference(text));
    expect(hashName(text, 12)).toBe(reference(text).slice(0, 12));
  });

  it('hands inputs over 8 MiB to node:crypto, with the same result', () => {
    const large = bytes(8 * 1024 * 1024 + 1, 3);
    expect(sha256(large)).toBe(reference(large));
  });

  it('falls back to node:crypto where WebAssembly is unavailable (node --jitless)', async () => {
    const global = globalThis as unknown as Record<string, unknown>;
    const saved = global.WebAssembly;
    vi.resetModules();
    Reflect.deleteProperty(global, 'WebAssembly');
    try {
      const fresh = await import('./hash.js');
      expect(fresh.sha256('abc')).toBe(reference('abc'));
      expect(fresh.sha256(bytes(5000, 2))).toBe(reference(bytes(5000, 2)));
    } finally {
      global.WebAssembly = saved;
    }
  });

  it('uses node:crypto and never compiles the engine once told that node:crypto is loaded anyway (the cold side)', async () => {
    vi.resetModules();
    // Node's types declare the WebAssembly namespace without its constructors.
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;
    const compile = vi.spyOn(wasm, 'Module');
    try {
      const fresh = await import('./hash.js');
      fresh.preferNodeCrypto();
      expect(fresh.sha256('abc')).toBe(reference('abc'));
      expect(fresh.sha256(bytes(5000, 4))).toBe(reference(bytes(5000, 4)));
      expect(compile).not.toHaveBeenCalled();
      // Told after the engine was compiled, it keeps the engine: the choice only saves a compile.
      vi.resetModules();
      const other = await import('./hash.js');
      expect(other.sha256('abc')).toBe(reference('abc'));
      other.preferNodeCrypto();
      expect(other.sha256(bytes(70, 5))).toBe(reference(bytes(70, 5)));
      expect(compile).toHaveBeenCalledTimes(1);
    } finally {
      compile.mockRestore();
    }
  });

  it('ships exactly the module that sha256.wat compiles to', async () => {
    const compiled = await compileSha256Wasm();
    expect(Buffer.from(SHA256_WASM, 'base64').equals(compiled)).toBe(true);
    expect(readFileSync(new URL('./sha256-wasm.ts', import.meta.url), 'utf8')).toBe(sha256WasmSource(compiled));
  });
});
