/** node:zlib, loaded on first use: it loads node:stream, and importing the contract should stay cheap. */
export const zlib = (): typeof import('node:zlib') => process.getBuiltinModule('node:zlib');
