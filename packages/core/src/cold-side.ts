// Everything a process needs only when it builds, verifies or prunes: imported on first use, as
// one module, so that the build puts it in one lazy chunk and the warm path never loads it.
export { coldLoad } from './pipeline/cold-load.js';
export { resolvePin, movedTagError } from './pipeline/resolve-pin.js';
export { loadProviderFromFolder } from './registry/load-folder.js';
export { verifyCache } from './cache/verify-cache.js';
export { pruneCache } from './cache/prune-cache.js';
export { listCache, cleanCache } from './cache/list-cache.js';
