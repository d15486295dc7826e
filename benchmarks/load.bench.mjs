// Load benchmark for @mediaconduit/core: cold, warm and in-memory loads, and the cost of importing core.
// Every figure is printed beside a baseline measured in the same run, on loopback only.
// Run with `pnpm bench` (builds core first). Exits 1 when a target is missed.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const coreUrl = import.meta.resolve('@mediaconduit/core');
const contractUrl = import.meta.resolve('@mediaconduit/provider');
const { createProviderRegistry } = await import(coreUrl);
const { createTestRepo, startGitHttpServer, startNpmRegistry } = await import('@mediaconduit/testing');
const { build } = await import('esbuild');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ms) => `${ms.toFixed(ms < 1 ? 4 : 1)} ms`;
const results = [];
const report = (name, value, baseline, target, ok) => {
  results.push({ name, value, baseline, target, ok });
};

// A small provider in a bare repository served by a real Git HTTP server on 127.0.0.1.
const work = await mkdtemp(join(tmpdir(), 'mc-bench-'));
const fixture = join(here, 'fixtures/small-provider');
const files = {};
for (const entry of await readdir(fixture, { recursive: true, withFileTypes: true })) {
  if (entry.isFile()) {
    const path = join(entry.parentPath, entry.name);
    files[relative(fixture, path)] = await readFile(path, 'utf8');
  }
}
const repo = await createTestRepo('small');
await repo.commit(files);
await repo.tag('v1.0.0');
await run('git', ['clone', '--quiet', '--bare', repo.dir, join(work, 'srv/acme/small.git')]);

// The same provider with one small npm dependency, served by a loopback registry.
const depDir = join(work, 'tiny-dep');
await mkdir(depDir, { recursive: true });
await writeFile(join(depDir, 'package.json'), JSON.stringify({ name: 'tiny-dep', version: '1.0.0', type: 'module', main: 'index.js' }));
await writeFile(join(depDir, 'index.js'), "export const shout = (s) => s.toUpperCase() + '!';\n");
const npm = await startNpmRegistry({ packages: [{ folder: depDir }] });
const tarballUrl = `${npm.url}/tiny-dep/-/tiny-dep-1.0.0.tgz`;
const integrity = `sha512-${createHash('sha512')
  .update(Buffer.from(await (await fetch(tarballUrl)).arrayBuffer()))
  .digest('base64')}`;
const withDep = await createTestRepo('small-deps');
await withDep.commit({
  ...files,
  'src/index.ts': `import { shout } from 'tiny-dep';\nexport const SHOUT = shout('hi');\n${files['src/index.ts']}`,
  'package.json': JSON.stringify({ name: 'bench-small', version: '1.0.0', type: 'module', dependencies: { 'tiny-dep': '^1.0.0' } }),
  'package-lock.json': JSON.stringify({
    lockfileVersion: 3,
    packages: { '': { dependencies: { 'tiny-dep': '^1.0.0' } }, 'node_modules/tiny-dep': { version: '1.0.0', resolved: tarballUrl, integrity } },
  }),
});
await withDep.tag('v1.0.0');
await run('git', ['clone', '--quiet', '--bare', withDep.dir, join(work, 'srv/acme/small-deps.git')]);
const server = await startGitHttpServer(join(work, 'srv'));
const remote = `${server.baseUrl}acme/small.git`;
const spec = 'github:acme/small@v1.0.0';
const rewrites = { 'https://github.com/': server.baseUrl };

// 1. Cold load vs. git clone --depth 1 + esbuild bundle + import(), alternated, fresh folders each round.
async function baselineCold(i) {
  const dir = join(work, `baseline-${i}`);
  const t0 = performance.now();
  await run('git', ['clone', '--quiet', '--depth', '1', '--branch', 'v1.0.0', remote, dir], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  const out = join(dir, 'bundle.mjs');
  await build({
    entryPoints: [join(dir, 'src/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: out,
    external: ['@mediaconduit/provider'],
    logLevel: 'silent',
  });
  await import(coreUrl);
  await import(pathToFileURL(out).href).catch(() => {}); // the bare bundle cannot resolve the contract from a temporary folder; its import cost is still paid
  return performance.now() - t0;
}
async function ours(i) {
  const registry = createProviderRegistry({ cacheDir: join(work, `cold-${i}`), lockfile: join(work, `cold-${i}.lock.json`), rewrites, env: {} });
  const t0 = performance.now();
  await registry.getProvider(spec);
  const ms = performance.now() - t0;
  await registry.close();
  return ms;
}
await baselineCold('warmup');
await ours('warmup');
const cold = [],
  base = [];
for (let i = 0; i < ROUNDS; i++) {
  base.push(await baselineCold(i));
  cold.push(await ours(i));
}
const coldRatio = median(cold) / median(base);
report('cold load (loopback git server)', median(cold), median(base), '≤ 1.5× clone+bundle+import', coldRatio <= 1.5);

// 1b. Cold load of the provider with one small npm dependency vs. the same provider without it.
async function oursWith(specifier, i) {
  const registry = createProviderRegistry({ cacheDir: join(work, `dep-${i}`), lockfile: false, rewrites, env: {} });
  const t0 = performance.now();
  await registry.getProvider(specifier);
  const ms = performance.now() - t0;
  await registry.close();
  return ms;
}
await oursWith('github:acme/small-deps@v1.0.0', 'warmup');
const coldWithDep = [],
  coldWithout = [];
for (let i = 0; i < ROUNDS; i++) {
  coldWithout.push(await oursWith(spec, `without-${i}`));
  coldWithDep.push(await oursWith('github:acme/small-deps@v1.0.0', `with-${i}`));
}
report(
  'cold load with one small npm dependency',
  median(coldWithDep),
  median(coldWithout),
  '≤ 1.5× the same provider without it',
  median(coldWithDep) / median(coldWithout) <= 1.5,
);

// 2. Warm load in a fresh process vs. a bare import() of the cached bundle in a fresh process.
const warmCache = join(work, 'cold-0'),
  warmLock = join(work, 'cold-0.lock.json');
const lock = JSON.parse(await readFile(warmLock, 'utf8'));
const entry = Object.values(lock.providers)[0];
const bundleDir = join(warmCache, 'bundles', entry.bundle.key);
const bundleFile = (await readdir(bundleDir)).find((f) => f.endsWith('.mjs'));
const child = async (...args) => JSON.parse((await run(process.execPath, [join(here, 'bench-child.mjs'), ...args])).stdout);
const warm = [],
  bare = [],
  warmTotal = [],
  bareTotal = [];
for (let i = 0; i < ROUNDS * 2; i++) {
  const w = await child('warm', coreUrl, spec, warmCache, warmLock);
  const b = await child('bare', coreUrl, join(bundleDir, bundleFile), contractUrl);
  warm.push(w.ms);
  bare.push(b.ms);
  warmTotal.push(w.ms + w.coreMs);
  bareTotal.push(b.ms + b.coreMs);
}
const warmOver = median(warm) - median(bare);
report('warm load, fresh process (getProvider)', median(warm), median(bare), '≤ bare import() + 5 ms', warmOver <= 5);
// For information: what a starting process pays in all, importing core included. The warm load
// checks the bundle's SHA-256 before it runs, so it loads node:crypto (3-5 ms), which importing
// core no longer does.
report('info: import core + warm load, fresh process', median(warmTotal), median(bareTotal), '(no target)', true);

// 3. Repeated in-memory getProvider.
const registry = createProviderRegistry({ cacheDir: warmCache, lockfile: warmLock, env: {} });
await registry.getProvider(spec);
const samples = [];
for (let batch = 0; batch < 200; batch++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) await registry.getProvider(spec);
  samples.push(Number(process.hrtime.bigint() - t0) / 1e6 / 1000);
}
const noop = [];
const resolved = Promise.resolve(1);
for (let batch = 0; batch < 200; batch++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) await resolved;
  noop.push(Number(process.hrtime.bigint() - t0) / 1e6 / 1000);
}
report('repeated in-memory getProvider (per call)', median(samples), median(noop), '≤ 0.002 ms median', median(samples) <= 0.002);

// 4. import('@mediaconduit/core') alone, fresh processes.
const coreTimes = [];
for (let i = 0; i < ROUNDS * 2; i++) coreTimes.push((await child('core', coreUrl)).ms);
const nodeFs = [];
for (let i = 0; i < ROUNDS * 2; i++) nodeFs.push((await child('core', 'node:fs/promises')).ms);
report("import('@mediaconduit/core')", median(coreTimes), median(nodeFs), '≤ 10 ms', median(coreTimes) <= 10);

await registry.close();
await server.close();
await npm.close();
await repo.remove();
await withDep.remove();
await rm(work, { recursive: true, force: true });

console.log(`\nMediaConduit load benchmark — median of ${ROUNDS} rounds (warm/import: ${ROUNDS * 2} fresh processes each)`);
console.log('baselines: cold = git clone --depth 1 + esbuild bundle + import(); cold with a dependency = the same provider without it;');
console.log('           warm = bare import() of the cached bundle;');
console.log('           in-memory = awaiting an already-resolved promise; core import = import("node:fs/promises")\n');
for (const r of results) {
  const ratio = r.baseline > 0 ? `${(r.value / r.baseline).toFixed(2)}×` : '-';
  console.log(
    `${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(44)} ${fmt(r.value).padStart(12)}   baseline ${fmt(r.baseline).padStart(12)}   ratio ${ratio.padStart(6)}   target ${r.target}`,
  );
}
console.log(`\nwarm load is ${warmOver.toFixed(2)} ms over the bare import (target ≤ 5 ms); it includes loading node:crypto for the bundle's hash check`);
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
