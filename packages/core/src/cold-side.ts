// What a process needs only when it fetches, verifies or prunes: imported on first use, as one
// module, so that the build puts it in one lazy chunk and the warm path never loads it. The build
// side (manifest, install, esbuild) is a chunk of its own that a cold load imports while git runs.
import { preferNodeCrypto } from './util/hash.js';
export { coldLoad } from './pipeline/cold-load.js';
export { resolvePin, movedTagError } from './pipeline/resolve.js';
export { verifyCache } from './cache/verify-cache.js';
export { pruneCache } from './cache/prune-cache.js';
export { listCache, cleanCache } from './cache/list-cache.js';

// This chunk's tree hashes load node:crypto with it, so its other hashes use node:crypto too
// rather than compile the WebAssembly engine (each chunk has its own copy of util/hash).
preferNodeCrypto();
