// Transpiles src/**/*.ts (not tests) to dist/ as ESM, one file per module, so that
// `import('@mediaconduit/core')` loads only what it uses and the cold path stays lazy.
import { cp, readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');

async function sources(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const entryPoints = await sources(src);
await rm(join(root, 'dist'), { recursive: true, force: true });
await build({ entryPoints, outdir: join(root, 'dist'), outbase: src, format: 'esm', platform: 'node', target: 'node20', bundle: false, sourcemap: 'linked', logLevel: 'warning' });
// The provider template for `mediaconduit init`: a copy of the mock provider, shipped with core.
const template = join(root, 'template');
await rm(template, { recursive: true, force: true });
await cp(join(root, '../mock-provider'), template, { recursive: true, filter: (source) => !source.split(/[\\/]/).includes('node_modules') });
console.log(`@mediaconduit/core: built ${entryPoints.length} modules into ${relative(process.cwd(), join(root, 'dist')) || 'dist'}`);
