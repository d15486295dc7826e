// Builds the package in the current folder for publishing. esbuild bundles each public entry point
// (the package.json "exports" and "bin" targets under dist/) into one ESM file, so that importing
// a package reads one file instead of dozens. What the code imports lazily stays lazy: every
// relative `import('./x.js')` becomes an entry of its own, bundled separately and imported at run
// time (the small helpers both sides use are copied into each; they hold no state that matters).
// Dependencies stay external, except those package.json lists under "mediaconduit": { "inline":
// [...] }: those are bundled in, tree-shaken, because loading them as packages costs more than
// the work they do (zod alone takes 50–80 ms to import in Node 20, and a cold load pays it on
// every new process); their licences are written to dist/THIRD-PARTY-LICENSES.md. An inlined
// package belongs in devDependencies. Node's built-in modules are read with process.getBuiltinModule()
// instead of an ESM import: an import builds a facade that reads every export once, and reading
// node:fs's lazy ReadStream getter alone loads all of node:stream (1.5–3 ms of every import of a
// package). tsc writes the .d.ts types for every module from tsconfig.build.json.
// A build is skipped when nothing it reads changed since the last one (dist/.build-stamp.json holds a
// hash of its inputs and the list of what it wrote): a second `pnpm build` or `pnpm demo` takes
// seconds. MEDIACONDUIT_FORCE_BUILD=1 builds anyway.
// Run by each package's "build".
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

/**
 * Files run as processes of their own (`"mediaconduit": { "processEntries": ["src/…/x.ts"] }`), built
 * to `dist/…/x.cjs` (CommonJS) with the workspace's `@mediaconduit/*` packages inlined too: such a
 * process may be started with permission to read nothing but its own file, so it must not resolve
 * a package.
 */
const processEntries = new Set((pkg.mediaconduit?.processEntries ?? []).map((file) => join(root, file)));

const started = performance.now();
const STAMP = join(root, 'dist', '.build-stamp.json');
const workspace = resolve(import.meta.dirname, '..');

/**
 * What the build reads: the package's sources, manifest, bin and build configuration, the shared
 * TypeScript configuration, this script, and the workspace lockfile (the versions of esbuild,
 * TypeScript and the inlined packages). Their hash names the build.
 */
async function inputsHash() {
  const files = [];
  const walk = async (dir) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  await walk(src);
  await walk(join(root, 'bin'));
  files.push(join(root, 'package.json'), join(root, 'tsconfig.build.json'));
  for (const shared of ['tsconfig.build.base.json', 'tsconfig.base.json', 'pnpm-lock.yaml', 'scripts/build-package.mjs']) files.push(join(workspace, shared));
  const hash = createHash('sha256').update(`node ${process.versions.node}\n`);
  for (const file of files.sort()) {
    const bytes = await readFile(file).catch(() => undefined);
    hash.update(`${relative(workspace, file)}\0${bytes === undefined ? 'absent' : createHash('sha256').update(bytes).digest('hex')}\n`);
  }
  return hash.digest('hex');
}

const inputs = await inputsHash();
if (process.env.MEDIACONDUIT_FORCE_BUILD !== '1') {
  const stamp = await readFile(STAMP, 'utf8').then(JSON.parse, () => undefined);
  const present = async (file) => (await stat(join(root, 'dist', file)).catch(() => undefined))?.isFile() === true;
  if (stamp?.inputs === inputs && Array.isArray(stamp.files) && (await Promise.all(stamp.files.map(present))).every(Boolean)) {
    console.log(`${name}: up to date (nothing it builds from changed; MEDIACONDUIT_FORCE_BUILD=1 builds anyway)`);
    process.exit(0);
  }
}
const entries = await entryPoints();
await rm(join(root, 'dist'), { recursive: true, force: true });
/**
 * `import { x } from 'node:fs'` → `const x = process.getBuiltinModule('node:fs').x` (see the top).
 * Each export is a pure expression, so esbuild drops those a bundle does not use and no getter
 * of the builtin is read unless the code uses its export.
 */
const builtinsWithoutFacades = {
  name: 'builtins-without-facades',
  setup(b) {
    // Static imports only; an import() of a builtin stays as it is.
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'import-statement' ? { path: args.path, namespace: 'node-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => {
      const id = JSON.stringify(args.path);
      const names = Object.keys(process.getBuiltinModule(args.path)).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
      const lines = [
        `const builtin = /* @__PURE__ */ process.getBuiltinModule(${id});`,
        'const pick = (name) => builtin[name];',
        'export default builtin;',
        ...names.map((name) => `export const ${name} = /* @__PURE__ */ pick(${JSON.stringify(name)});`),
      ];
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};
const inline = new Set(pkg.mediaconduit?.inline ?? []);
const packageName = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
/** Every bare import stays external unless its package is listed to be inlined (and, for a process entry, the workspace's own packages). */
const dependencies = (processEntry) => ({
  name: 'dependencies-stay-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = packageName(args.path);
      if (inline.has(name) || (processEntry && name.startsWith('@mediaconduit/') && args.kind !== 'dynamic-import')) return undefined;
      return { path: args.path, external: true };
    });
  },
});
/** Folders of the inlined packages whose files went into some output (from esbuild's metafiles). */
const inlinedFolders = new Set();
const outputOf = (source) => join(root, 'dist', relative(src, source).replace(/\.ts$/, processEntries.has(source) ? '.cjs' : '.js'));
const queue = [...entries, ...processEntries];
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
  const result = await build({
    entryPoints: [entry],
    outfile: outputOf(entry),
    bundle: true,
    metafile: true,
    // A process entry is CommonJS: Node starts such an entry without its ES module loader (loaded
    // later, if the process imports a module), a few milliseconds less in a process that must start
    // fast while its heap cap keeps Node's code cache off (see process-start.ts).
    format: processEntries.has(entry) ? 'cjs' : 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [lazy, builtinsWithoutFacades, dependencies(processEntries.has(entry))],
  });
  for (const input of Object.keys(result.metafile.inputs)) {
    const at = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (at) inlinedFolders.add(resolve(root, at[1]));
  }
}
if (inlinedFolders.size > 0) await writeLicences([...inlinedFolders].sort());

/** dist/THIRD-PARTY-LICENSES.md: name, version and licence text of every inlined package. */
async function writeLicences(folders) {
  const sections = [];
  for (const folder of folders) {
    const meta = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8'));
    const licenceFile = (await readdir(folder)).find((file) => /^(licen[cs]e|copying)(\.|$)/i.test(file));
    if (!licenceFile) throw new Error(`${name}: inlined package ${meta.name} has no licence file to ship`);
    sections.push(`## ${meta.name} ${meta.version} (${meta.license})\n\n\`\`\`\n${(await readFile(join(folder, licenceFile), 'utf8')).trim()}\n\`\`\`\n`);
  }
  const intro = `# Third-party licences\n\nThese packages are bundled into ${name}'s dist/ files.\n\n`;
  await writeFile(join(root, 'dist', 'THIRD-PARTY-LICENSES.md'), intro + sections.join('\n'));
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root });
} catch (error) {
  process.stderr.write(`${name}: type declarations failed:\n${error.stdout || error.message}\n`);
  process.exit(1);
}
// Written last: a build that failed half-way leaves no stamp, so the next one starts over.
const written = (await readdir(join(root, 'dist'), { recursive: true, withFileTypes: true }))
  .filter((e) => e.isFile())
  .map((e) => relative(join(root, 'dist'), join(e.parentPath, e.name)));
await writeFile(STAMP, `${JSON.stringify({ inputs, files: written.sort() }, null, 2)}\n`);
console.log(`${name}: bundled ${built.size} entry point${built.size === 1 ? '' : 's'} and wrote the types in ${Math.round(performance.now() - started)} ms`);
