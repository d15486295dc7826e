// What a process needs only when it fetches, verifies or prunes: imported on first use, as one
// module, so that the build puts it in one lazy chunk and the warm path never loads it. The build
// side (manifest, install, esbuild) is a chunk of its own that a cold load imports while git runs.
export { coldLoad } from './pipeline/cold-load.js';
export { resolvePin, movedTagError } from './pipeline/resolve.js';
export { verifyCache } from './cache/verify-cache.js';
export { pruneCache } from './cache/prune-cache.js';
export { listCache, cleanCache } from './cache/list-cache.js';
