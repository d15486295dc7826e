/** The module's bytes, compiled from packages/core/src/util/sha256.wat with wabt. */
export function compileSha256Wasm(): Promise<Buffer>;
/** The TypeScript file that ships `bytes` (packages/core/src/util/sha256-wasm.ts). */
export function sha256WasmSource(bytes: Buffer): string;
