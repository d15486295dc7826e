import { SHA256_WASM } from './sha256-wasm.js';

/** The compiled SHA-256 of `sha256.wat`: its memory, and the function that digests padded blocks. */
interface Sha256Engine {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  digest(pointer: number, blocks: number): void;
}

/** The parts of the WebAssembly API used here (Node's types declare the namespace without them). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

/** Where the padded message starts in the engine's memory (below it: the constants, the digest, the schedule). */
const MESSAGE = 1024;
/** Where the engine leaves the digest. */
const DIGEST = 256;
/** Inputs up to this size are hashed by the WebAssembly engine, larger ones by node:crypto (the engine's memory stays as large as its largest input). */
const ENGINE_MAX = 8 * 1024 * 1024;
/** The engine once compiled; `false` where WebAssembly is unavailable (`node --jitless`), or once node:crypto is loaded anyway (see {@link preferNodeCrypto}). */
let engine: Sha256Engine | false | undefined;

function compileEngine(): Sha256Engine | false {
  const wasm = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!wasm) return false;
  try {
    return new wasm.Instance(new wasm.Module(Buffer.from(SHA256_WASM, 'base64'))).exports as Sha256Engine;
  } catch {
    return false;
  }
}

/**
 * Hex SHA-256 of `data` (a string is hashed as UTF-8). Inputs up to 8 MiB (every bundle a warm load checks) go through a small
 * WebAssembly module (`sha256.wat`, compiled on first use in about 1.5 ms), because a new process
 * pays 4–8 ms for node:crypto (its modules, OpenSSL's set-up and the garbage collection they
 * cause) and the warm load's budget is a few milliseconds. Larger inputs, and runtimes without
 * WebAssembly, use node:crypto. The two agree on every input: a test compares them over thousands.
 */
export function sha256(data: string | Uint8Array): string {
  return digest(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('hex');
}

/** The digest as a Buffer: a view of the engine's memory (valid until the next hash), or node:crypto's. */
function digest(bytes: Uint8Array): Buffer {
  if (bytes.byteLength <= ENGINE_MAX) engine ??= compileEngine();
  if (!engine || bytes.byteLength > ENGINE_MAX) return process.getBuiltinModule('node:crypto').createHash('sha256').update(bytes).digest();
  const { memory } = engine;
  const length = bytes.byteLength;
  const blocks = Math.ceil((length + 9) / 64);
  const end = MESSAGE + blocks * 64;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65_536));
  // FIPS 180-4 padding: the message, a 1 bit, zeros, and its length in bits as 64 bits big-endian.
  const view = new Uint8Array(memory.buffer);
  view.set(bytes, MESSAGE);
  view.fill(0, MESSAGE + length, end);
  view[MESSAGE + length] = 0x80;
  const words = new DataView(memory.buffer);
  words.setUint32(end - 8, Math.floor(length / 0x2000_0000));
  words.setUint32(end - 4, (length * 8) >>> 0);
  engine.digest(MESSAGE, blocks);
  return Buffer.from(memory.buffer, DIGEST, 32);
}

/**
 * From now on, hashes that have not needed the engine yet use node:crypto: called by the modules
 * that load node:crypto anyway (the cold side's tree hashes), so a cold load does not also compile
 * the engine (about 1.5 ms).
 */
export function preferNodeCrypto(): void {
  engine ??= false;
}

/** A short, filesystem-safe name derived from `text` (never the raw text itself). */
export function hashName(text: string, length = 16): string {
  return sha256(text).slice(0, length);
}
