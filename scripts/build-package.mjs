// Builds the package in the current folder for publishing. esbuild bundles each public entry point
// (the package.json "exports" and "bin" targets under dist/) into one ESM file, so that importing
// a package reads one file instead of dozens. What the code imports lazily stays lazy: every
// relative `import('./x.js')` becomes an entry of its own, bundled separately and imported at run
// time (the small helpers both sides use are copied into each; they hold no state that matters).
// Dependencies stay external. tsc writes the .d.ts types for every module from tsconfig.build.json.
// Run by each package's "build".
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
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
const outputOf = (source) => join(root, 'dist', relative(src, source).replace(/\.ts$/, '.js'));
const queue = [...entries];
const built = new Set();
while (queue.length > 0) {
  const entry = queue.shift();
  if (built.has(entry)) continue;
  built.add(entry);
  const lazy = {
    name: 'lazy-imports-stay-lazy',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const target = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        queue.push(target);
        let path = relative(dirname(outputOf(entry)), outputOf(target));
        if (!path.startsWith('.')) path = `./${path}`;
        return { path, external: true };
      });
    },
  };
  await build({
    entryPoints: [entry],
    outfile: outputOf(entry),
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [lazy],
  });
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root });
} catch (error) {
  process.stderr.write(`${name}: type declarations failed:\n${error.stdout || error.message}\n`);
  process.exit(1);
}
console.log(`${name}: bundled ${built.size} entry point${built.size === 1 ? '' : 's'} and wrote the types in ${Math.round(performance.now() - started)} ms`);
