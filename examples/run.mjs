// Runs a TypeScript example on plain Node: esbuild compiles it next to itself (packages stay
// external, so @mediaconduit/core is the built workspace package), then it is imported.
// Usage: node examples/run.mjs examples/quickstart.ts [args…]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const [entry, ...args] = process.argv.slice(2);
if (!entry?.endsWith('.ts')) {
  console.error('usage: node examples/run.mjs <example.ts> [args…]');
  process.exit(2);
}
const outfile = resolve(entry.replace(/\.ts$/, '.run.mjs'));
await build({ entryPoints: [entry], outfile, bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
process.argv = [process.argv[0], outfile, ...args];
await import(pathToFileURL(outfile).href);
