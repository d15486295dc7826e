// For MediaConduit's own packages (core, cli, testing): helpers that are not part of the
// provider contract. Provider bundles cannot import this path (the build refuses it).
export { mcError, abortError } from './errors/mediaconduit-error.js';
export { atomicWriteFile } from './util/atomic-write.js';
export { crc32 } from './media/png.js';
