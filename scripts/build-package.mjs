// Builds the package in the current folder for publishing. esbuild bundles each public entry point
// (the package.json "exports" and "bin" targets under dist/) into ESM with code splitting, so a
// process loads a few files instead of dozens and what the code imports lazily stays in lazy
// chunks; dependencies stay external. tsc writes the .d.ts types for every module from
// tsconfig.build.json. Run by each package's "build".
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const root = process.cwd();
const src = join(root, 'src');
const pkg = createRequire(join(root, 'package.json'))('./package.json');
const name = pkg.name;

/** `./dist/a/b.js` targets of the exports map and the bin's own `../dist/x.js` import, as src/ files. */
async function entryPoints() {
  const targets = Object.values(pkg.exports ?? {}).map((target) => (typeof target === 'string' ? target : target.default));
  for (const bin of Object.values(pkg.bin ?? {})) {
    for (const match of (await readFile(join(root, bin), 'utf8')).matchAll(/import\('\.\.\/(dist\/[^']+\.js)'\)/g)) targets.push(`./${match[1]}`);
  }
  return targets.filter((target) => /^\.\/dist\/.+\.js$/.test(target)).map((target) => join(src, target.slice('./dist/'.length).replace(/\.js$/, '.ts')));
}

const started = performance.now();
const entries = await entryPoints();
await rm(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: entries, outdir: join(root, 'dist'), outbase: src, entryNames: '[dir]/[name]', chunkNames: '[name]-[hash]',
  bundle: true, splitting: true, packages: 'external', format: 'esm', platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning',
});
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root });
} catch (error) {
  process.stderr.write(`${name}: type declarations failed:\n${error.stdout || error.message}\n`);
  process.exit(1);
}
console.log(`${name}: bundled ${entries.length} entry point${entries.length === 1 ? '' : 's'} and wrote the types in ${Math.round(performance.now() - started)} ms`);
