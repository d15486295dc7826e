// Builds the package in the current folder for publishing: src/**/*.ts (not tests) are
// transpiled one file per module to dist/ as ESM by esbuild (so imports stay lazy), and tsc
// writes the .d.ts types beside them from tsconfig.build.json. Run by each package's "build".
import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const root = process.cwd();
const src = join(root, 'src');
const name = createRequire(join(root, 'package.json'))('./package.json').name;

async function sources(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const started = performance.now();
const entryPoints = await sources(src);
await rm(join(root, 'dist'), { recursive: true, force: true });
await build({ entryPoints, outdir: join(root, 'dist'), outbase: src, format: 'esm', platform: 'node', target: 'node20', bundle: false, sourcemap: 'linked', logLevel: 'warning' });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root });
} catch (error) {
  process.stderr.write(`${name}: type declarations failed:\n${error.stdout || error.message}\n`);
  process.exit(1);
}
console.log(`${name}: built ${entryPoints.length} modules and their types in ${Math.round(performance.now() - started)} ms`);
