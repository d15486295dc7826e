import { execFile, spawn } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Context } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { formatMs } from '../io.js';
import { createBenchFixture, findPackage, type BenchFixture } from './bench-fixture.js';
import { runRequestsBench, wrapperCostPerCall } from './requests-bench.js';

const exec = promisify(execFile);

/** Flags of `bench`. */
export interface BenchFlags {
  rounds: string;
  /** A run small enough to end in seconds: every figure once, no target judged (for tests and a first look). */
  smoke?: boolean;
  out?: string;
  only?: 'load' | 'concurrency' | 'requests';
}

/** One figure of the report: our samples, and the baseline's from the same rounds. */
export interface BenchRow {
  group: 'load' | 'baseline' | 'concurrency' | 'requests';
  name: string;
  unit: 'ms' | 'µs' | 'req/s' | 'MB';
  median: number;
  min: number;
  max: number;
  runs: number;
  baseline?: { name: string; median: number; min: number; max: number };
  /** Ours ÷ baseline (below 1: faster than the baseline). */
  ratio?: number;
  target?: string;
  /** Whether the target holds; absent when the row has none. */
  ok?: boolean;
  note?: string;
}

/** The whole report, as the JSON file holds it. */
export interface BenchReport {
  time: string;
  rounds: number;
  /** A `--smoke` run: figures from tiny samples, no target judged. */
  smoke?: true;
  machine: { cores: number; cpu: string; memoryGiB: number; os: string; node: string; git: string; npm: string; esbuild: string; tsx: string | null };
  rows: BenchRow[];
  missed: string[];
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const stats = (xs: readonly number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

/** Runs a process to its end; resolves to its wall time (ms) and stdout. Fails loudly when it fails. */
async function timed(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      if (code === 0) resolvePromise({ ms, stdout: Buffer.concat(out).toString('utf8') });
      else
        reject(new Error(`bench: ${command} ${args.slice(0, 3).join(' ')} … ended with ${signal ?? `code ${code}`}: ${Buffer.concat(err).toString('utf8').trim().slice(0, 600)}`));
    });
  });
}

// Scripts of the child processes; arguments come in BENCH_ARGS (JSON).
const LOAD_SCRIPT = `
const a = JSON.parse(process.env.BENCH_ARGS);
const t0 = performance.now();
const core = await import(a.core);
const t1 = performance.now();
const counts = { fetch: 0, install: 0, build: 0 };
let installMs;
const registry = core.createProviderRegistry({ cacheDir: a.cache, lockfile: a.lock, env: { MEDIACONDUIT_GIT_REWRITES: a.rewrites, MEDIACONDUIT_NPM_REGISTRY: a.npm }, onProgress: (e) => {
  if (e.status !== 'done' || !(e.phase in counts)) return;
  counts[e.phase]++;
  if (e.phase === 'install') installMs = e.durationMs;
} });
const provider = await registry.getProvider(a.spec, { isolation: a.isolation });
const t2 = performance.now();
if (provider.id !== 'bench-small') throw new Error('wrong provider');
await registry.close();
// With a.again: the same warm load by a second registry, its code now compiled (the bundle module stays cached).
let againMs;
if (a.again) {
  const t3 = performance.now();
  const second = core.createProviderRegistry({ cacheDir: a.cache, lockfile: a.lock, env: { MEDIACONDUIT_GIT_REWRITES: a.rewrites, MEDIACONDUIT_NPM_REGISTRY: a.npm } });
  await second.getProvider(a.spec, { isolation: a.isolation });
  againMs = performance.now() - t3;
  await second.close();
}
process.stdout.write(JSON.stringify({ coreMs: t1 - t0, loadMs: t2 - t1, readyAt: t2, counts, installMs, againMs }));
`;
const BARE_SCRIPT = `
const a = JSON.parse(process.env.BENCH_ARGS);
const t0 = performance.now();
const core = await import(a.core);
const t1 = performance.now();
globalThis[Symbol.for('mediaconduit.provider.v1')] = await import(a.contract);
const module = await import(a.bundle);
const provider = await module.default({});
const t2 = performance.now();
if (provider.id !== 'bench-small') throw new Error('wrong provider');
process.stdout.write(JSON.stringify({ coreMs: t1 - t0, loadMs: t2 - t1, readyAt: t2 }));
`;
// Each script reads the clock before it touches process.stdout: Node creates that stream on first
// use (about 3 ms here), which is no part of what the row measures.
const CRYPTO_SCRIPT = `
const a = JSON.parse(process.env.BENCH_ARGS);
await import(a.core);
const t0 = performance.now();
process.getBuiltinModule('node:crypto').createHash('sha256').update('').digest('hex');
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms }));
`;
const NET_SCRIPT = `
process.getBuiltinModule('node:net');
`;
const FS_SCRIPT = `
const t0 = performance.now();
await import('node:fs/promises');
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms }));
`;
const IMPORT_SCRIPT = `
const module = await import(process.env.BENCH_MODULE);
const provider = await module.default({});
if (provider.id !== 'bench-small') throw new Error('wrong provider');
`;

/** `mediaconduit bench`: the load benchmark, every figure beside a baseline measured in the same run, on loopback only. */
export async function benchCommand(ctx: Context, flags: BenchFlags): Promise<number> {
  const smoke = flags.smoke === true;
  const rounds = smoke ? 1 : Number(flags.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) throw new UsageError(`--rounds "${flags.rounds}" must be a whole number from 1 to 100`, 'bench');
  const coreUrl = import.meta.resolve('@mediaconduit/core');
  const contractUrl = import.meta.resolve('@mediaconduit/provider');
  const fromCore = createRequire(new URL(coreUrl));
  const esbuildDir = dirname(fromCore.resolve('esbuild/package.json'));
  const esbuildBin = join(esbuildDir, 'bin/esbuild');
  const tsx = findTsx(ctx.io.cwd);
  const core = (await import('@mediaconduit/core')) as typeof import('@mediaconduit/core');
  // esbuild comes with core; its API for the in-process baseline, typed here as far as used.
  const { build } = (await import(pathToFileURL(fromCore.resolve('esbuild')).href)) as { build(options: Record<string, unknown>): Promise<unknown> };
  const machine = await describeMachine(esbuildBin, tsx);
  const rows: BenchRow[] = [];
  const step = (label: string) => ctx.progress.start('bench', `bench: ${label}`);
  const fixture = await createBenchFixture();
  const npmEnv = await isolatedNpm(fixture);
  const childEnv = (args: Record<string, unknown>) => ({ PATH: process.env.PATH ?? '', HOME: fixture.work, BENCH_ARGS: JSON.stringify(args) });
  // Child scripts run from files, as applications start (`node app.mjs`): with `node -e`, the first
  // import of a file would also pay the ES module loader's start-up, which an entry file has done.
  const scriptFiles = new Map<string, string>();
  const scriptFile = async (script: string) => {
    let file = scriptFiles.get(script);
    if (!file) {
      file = join(fixture.work, `child-${scriptFiles.size}.mjs`);
      await writeFile(file, script);
      scriptFiles.set(script, file);
    }
    return file;
  };
  const node = async (script: string, args: Record<string, unknown>, extra: string[] = []) =>
    timed(process.execPath, [...extra, await scriptFile(script)], { env: childEnv(args) });
  // Loads run in this process's pipeline ('none') unless a row measures isolation: the load rows measure the pipeline itself.
  const loadChild = async (spec: string, cache: string, lock: string | false, again = false, isolation: 'none' | 'process' = 'none') => {
    const { ms, stdout } = await node(LOAD_SCRIPT, { core: coreUrl, spec, cache, lock, rewrites: fixture.rewritesEnv, npm: fixture.npm.url, again, isolation });
    return {
      ms,
      ...(JSON.parse(stdout) as { coreMs: number; loadMs: number; readyAt: number; counts: Record<string, number>; installMs?: number; againMs?: number }),
    };
  };
  /** Medians of ours and the baseline's, and their ratio, as a row's `check` and `note` read them. */
  type Figures = { median: number; baseline: number; ratio: number };
  const row = (
    r: Omit<BenchRow, 'median' | 'min' | 'max' | 'runs' | 'baseline' | 'ratio' | 'ok' | 'note'> & {
      samples: number[];
      base?: { name: string; samples: number[] };
      /**
       * The runs were made in pairs a moment apart (sample i beside base sample i): the ratio is the
       * median of the pairs' ratios, which cancels the machine's drift between pairs.
       */
      paired?: boolean;
      /** Whether the target holds. */
      check?: (f: Figures) => boolean;
      /** The check counts events rather than time: judged in a smoke run too. */
      countsOnly?: boolean;
      note?: string | ((f: Figures) => string);
    },
  ): void => {
    const { samples, base, paired, check, countsOnly, note, ...rest } = r;
    const own = stats(samples);
    const baseline = base ? { name: base.name, ...stats(base.samples) } : undefined;
    let ratio = Number.NaN;
    if (base && baseline) ratio = paired ? median(samples.map((x, i) => x / base.samples[i]!)) : own.median / baseline.median;
    const figures = { median: own.median, baseline: baseline?.median ?? Number.NaN, ratio };
    const given = typeof note === 'function' ? note(figures) : note;
    const text = paired ? [given, 'ratio: median of paired runs'].filter(Boolean).join('; ') : given;
    rows.push({
      ...rest,
      ...own,
      runs: samples.length,
      ...(baseline ? { baseline, ratio: figures.ratio } : {}),
      // A smoke run's samples are too small to judge a target by.
      ...(check && (!smoke || countsOnly) ? { ok: check(figures) } : {}),
      ...(text ? { note: text } : {}),
    });
  };
  /** A row for a group that could not run here, saying why and what to install. */
  const skipped = (group: BenchRow['group'], name: string, unit: BenchRow['unit'], why: string): void => {
    rows.push({ group, name, unit, median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 0, note: `skipped: ${why}` });
  };

  try {
    // 1. Hand-run baselines, each step its own process as a user would type them.
    // With dependencies, `npm ci` installs them between the clone and the bundle.
    const handRun = async (remote: string, install = false) => {
      const dir = join(await fixture.runDir('hand'), 'repo');
      const clone = await timed('git', ['clone', '--quiet', '--depth', '1', '--branch', 'v1.0.0', remote, dir], {
        env: { PATH: process.env.PATH ?? '', HOME: fixture.work, GIT_TERMINAL_PROMPT: '0' },
      });
      const installed = install ? (await timed('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, env: npmEnv })).ms : 0;
      const bundle = join(dir, 'bundle.mjs');
      const bundled = await timed(esbuildBin, [
        join(dir, 'src/index.ts'),
        '--bundle',
        '--format=esm',
        '--platform=node',
        '--target=node20',
        `--outfile=${bundle}`,
        '--external:@mediaconduit/provider',
        '--log-level=warning',
      ]);
      const imported = await timed(process.execPath, [await scriptFile(IMPORT_SCRIPT)], {
        env: { PATH: process.env.PATH ?? '', BENCH_MODULE: pathToFileURL(bundle).href },
      });
      return clone.ms + installed + bundled.ms + imported.ms;
    };
    // The original design's pipeline: clone, npm install, then the TypeScript source under tsx.
    const original = async (remote: string) => {
      if (!tsx) return undefined;
      const dir = join(await fixture.runDir('original'), 'repo');
      const clone = await timed('git', ['clone', '--quiet', '--depth', '1', '--branch', 'v1.0.0', remote, dir], {
        env: { PATH: process.env.PATH ?? '', HOME: fixture.work, GIT_TERMINAL_PROMPT: '0' },
      });
      const install = await timed('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, env: npmEnv });
      const load = await timed(process.execPath, ['--import', tsx.loader, await scriptFile(IMPORT_SCRIPT)], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: fixture.work, BENCH_MODULE: pathToFileURL(join(dir, 'src/index.ts')).href },
      });
      return { total: clone.ms + install.ms + load.ms, installMs: install.ms, dir };
    };

    if (!flags.only || flags.only === 'load') {
      // Cold, new process: an empty cache, from process start to exit; beside the hand-run pipeline.
      step('cold loads in new processes');
      const coldPlain: number[] = [];
      const coldDep: number[] = [];
      const coldIsolated: number[] = [];
      const handPlain: number[] = [];
      const handDep: number[] = [];
      const origPlain: number[] = [];
      const origDep: number[] = [];
      const ourInstall: number[] = [];
      const npmInstall: number[] = [];
      const npmCi: number[] = [];
      let warmCache = '';
      let warmLock = '';
      for (let i = -1; i < rounds; i++) {
        // Round -1 warms the machine's file cache and npm's own cache; it is not counted.
        const keep = i >= 0;
        const dir = await fixture.runDir('cold');
        const plain = await loadChild(fixture.specs.plain, join(dir, 'cache'), join(dir, 'lock.json'));
        const isolated = await loadChild(fixture.specs.plain, join(dir, 'cache-isolated'), false, false, 'process');
        const hp = await handRun(fixture.remotes.plain);
        const dep = await loadChild(fixture.specs.withDep, join(dir, 'cache-dep'), false);
        const hd = await handRun(fixture.remotes.withDep, true);
        const op = await original(fixture.remotes.plain);
        const od = await original(fixture.remotes.withDep);
        if (i === 0) {
          warmCache = join(dir, 'cache');
          warmLock = join(dir, 'lock.json');
        }
        if (!keep) continue;
        coldPlain.push(plain.ms);
        coldIsolated.push(isolated.ms);
        coldDep.push(dep.ms);
        handPlain.push(hp);
        handDep.push(hd);
        if (dep.installMs !== undefined) ourInstall.push(dep.installMs);
        if (op) origPlain.push(op.total);
        if (od) {
          origDep.push(od.total);
          npmInstall.push(od.installMs);
          await rm(join(od.dir, 'node_modules'), { recursive: true, force: true });
          npmCi.push((await timed('npm', ['ci', '--no-audit', '--no-fund'], { cwd: od.dir, env: npmEnv })).ms);
        }
      }
      row({
        group: 'load',
        name: 'cold, new process (no dependencies)',
        unit: 'ms',
        samples: coldPlain,
        base: { name: 'hand-run git clone --depth 1 + esbuild + node import', samples: handPlain },
        paired: true,
        target: '≤ 1.3× the hand-run pipeline',
        check: (f) => f.ratio <= 1.3,
      });
      row({
        group: 'load',
        name: 'cold, new process, in a process of its own (no dependencies)',
        unit: 'ms',
        samples: coldIsolated,
        base: { name: 'cold, new process, in the host process', samples: coldPlain },
        paired: true,
        target: '≤ 1.3× in-process',
        check: (f) => f.ratio <= 1.3,
      });
      row({
        group: 'load',
        name: 'cold, new process (one small dependency)',
        unit: 'ms',
        samples: coldDep,
        base: { name: 'hand-run git clone + npm ci + esbuild + node import', samples: handDep },
      });
      row({
        group: 'load',
        name: 'cold, new process: with the dependency vs without',
        unit: 'ms',
        samples: coldDep,
        base: { name: 'cold, new process, same provider without it', samples: coldPlain },
        paired: true,
        target: '≤ 1.5×',
        check: (f) => f.ratio <= 1.5,
      });
      if (origPlain.length > 0) {
        const faster = (f: Figures) => `${(1 / f.ratio).toFixed(1)}× faster`;
        row({
          group: 'baseline',
          name: 'vs the original design (no dependencies)',
          unit: 'ms',
          samples: coldPlain,
          base: { name: 'git clone + npm install + tsx', samples: origPlain },
          target: '≥ 4× faster',
          check: (f) => 1 / f.ratio >= 4,
          note: faster,
        });
        row({
          group: 'baseline',
          name: 'vs the original design (one small dependency)',
          unit: 'ms',
          samples: coldDep,
          base: { name: 'git clone + npm install + tsx', samples: origDep },
          target: '≥ 3× faster',
          check: (f) => 1 / f.ratio >= 3,
          note: faster,
        });
        row({ group: 'baseline', name: 'install step (in process) vs npm ci', unit: 'ms', samples: ourInstall, base: { name: 'npm ci alone', samples: npmCi } });
        row({ group: 'baseline', name: 'install step (in process) vs npm install', unit: 'ms', samples: ourInstall, base: { name: 'npm install alone', samples: npmInstall } });
      } else {
        skipped('baseline', 'vs the original design', 'ms', 'tsx is not installed here (npm install --save-dev tsx, then run again)');
      }

      // Cold, warm process: this process has loaded before; a fresh cache each round.
      step('cold loads in this process');
      const inProcess = async () => {
        const dir = await fixture.runDir('cold-in');
        const registry = core.createProviderRegistry({ cacheDir: join(dir, 'cache'), lockfile: false, rewrites: fixture.rewrites, npmRegistry: fixture.npm.url, env: {} });
        const started = performance.now();
        await registry.getProvider(fixture.specs.plain, { isolation: 'none' });
        const ms = performance.now() - started;
        await registry.close();
        return ms;
      };
      const inProcessBaseline = async () => {
        const dir = join(await fixture.runDir('cold-in-base'), 'repo');
        const started = performance.now();
        await exec('git', ['clone', '--quiet', '--depth', '1', '--branch', 'v1.0.0', fixture.remotes.plain, dir], {
          env: { PATH: process.env.PATH ?? '', GIT_TERMINAL_PROMPT: '0' },
        });
        const outfile = join(dir, 'bundle.mjs');
        await build({
          entryPoints: [join(dir, 'src/index.ts')],
          bundle: true,
          format: 'esm',
          platform: 'node',
          target: 'node20',
          outfile,
          external: ['@mediaconduit/provider'],
          logLevel: 'silent',
        });
        await (await import(pathToFileURL(outfile).href)).default({});
        return performance.now() - started;
      };
      await inProcess();
      await inProcessBaseline();
      const warmProcess: number[] = [];
      const warmProcessBase: number[] = [];
      for (let i = 0; i < rounds; i++) {
        warmProcess.push(await inProcess());
        warmProcessBase.push(await inProcessBaseline());
      }
      row({
        group: 'load',
        name: 'cold, warm process',
        unit: 'ms',
        samples: warmProcess,
        base: { name: 'git clone --depth 1 + esbuild API + import(), in this process', samples: warmProcessBase },
      });

      // Warm-disk: a new process with the cache and lockfile present, beside a bare import() of the cached bundle.
      step('warm loads in new processes');
      const entry = Object.values(core.readLockfile(warmLock).providers)[0]!;
      const bundleDir = join(warmCache, 'bundles', entry.bundle.key);
      const bundleFile = (await readdir(bundleDir)).find((f) => f.endsWith('.mjs'))!;
      const bundleUrl = pathToFileURL(join(bundleDir, bundleFile)).href;
      const warm: number[] = [];
      const bare: number[] = [];
      const warmReady: number[] = [];
      const bareReady: number[] = [];
      const warmIsolatedReady: number[] = [];
      const warmIsolatedBudget: number[] = [];
      const nodeStart: number[] = [];
      const netStart: number[] = [];
      const netStartCapped: number[] = [];
      const coreImport: number[] = [];
      const fsImport: number[] = [];
      const compiled: number[] = [];
      const cryptoLoad: number[] = [];
      for (let i = -1; i < rounds * 2; i++) {
        const w = await loadChild(fixture.specs.plain, warmCache, warmLock, true);
        const wi = await loadChild(fixture.specs.plain, warmCache, warmLock, false, 'process');
        const start = await node('', {});
        // A start that loads node:net, as a provider's process does for its channel, without and with
        // the heap cap that process gets (the registry's default, 512 MB).
        const net = await node(NET_SCRIPT, {});
        const netCapped = await node(NET_SCRIPT, {}, ['--max-old-space-size=512']);
        const b = JSON.parse((await node(BARE_SCRIPT, { core: coreUrl, contract: contractUrl, bundle: bundleUrl })).stdout) as { loadMs: number; readyAt: number };
        if (i < 0) continue;
        warm.push(w.loadMs);
        warmIsolatedReady.push(wi.readyAt);
        warmIsolatedBudget.push(w.readyAt + start.ms + 10);
        nodeStart.push(start.ms);
        netStart.push(net.ms);
        netStartCapped.push(netCapped.ms);
        bare.push(b.loadMs);
        warmReady.push(w.readyAt);
        bareReady.push(b.readyAt);
        coreImport.push(w.coreMs);
        compiled.push(w.againMs!);
        fsImport.push((JSON.parse((await node(FS_SCRIPT, {})).stdout) as { ms: number }).ms);
        cryptoLoad.push((JSON.parse((await node(CRYPTO_SCRIPT, { core: coreUrl })).stdout) as { ms: number }).ms);
      }
      row({
        group: 'load',
        name: 'warm-disk, new process (getProvider)',
        unit: 'ms',
        samples: warm,
        base: { name: 'bare import() of the cached bundle', samples: bare },
        note: (f) => `+${(f.median - f.baseline).toFixed(2)} ms: registry, lockfile, record, the hash check (a WebAssembly SHA-256), factory and initialize()`,
      });
      row({
        group: 'load',
        name: 'warm-disk, new process: ready, from process start',
        unit: 'ms',
        samples: warmReady,
        base: { name: 'bare import, from process start', samples: bareReady },
        paired: true,
        target: '≤ 1.2× the bare import',
        check: (f) => f.ratio <= 1.2,
      });
      row({
        group: 'load',
        name: 'warm-disk, new process: ready, from process start, in a process of its own',
        unit: 'ms',
        samples: warmIsolatedReady,
        base: { name: 'the in-process figure + a bare `node` start + 10 ms, same round', samples: warmIsolatedBudget },
        paired: true,
        target: '≤ in-process + node start + 10 ms',
        check: (f) => f.ratio <= 1,
        note: () => `a bare node start measured ${median(nodeStart).toFixed(0)} ms; what the heap cap a provider's process must have adds to its start: next row`,
      });
      // What the isolated row's budget leaves out: a provider's process must have a heap cap, and any
      // V8 flag that differs from its default makes V8 refuse the code cache Node ships for its
      // built-in modules, so every built-in loaded after start-up (node:net for the channel, the ES
      // module loader) is compiled from source.
      row({
        group: 'load',
        name: 'a `node` start that loads node:net (as a provider’s process does), with its heap cap (--max-old-space-size=512)',
        unit: 'ms',
        samples: netStartCapped,
        base: { name: 'the same start without the cap', samples: netStart },
        paired: true,
        note: (f) =>
          `+${(f.median - f.baseline).toFixed(1)} ms: with any V8 flag set, the built-in modules loaded after start-up are compiled without the code cache Node ships for them; the budget above counts a start without the cap`,
      });
      // Where the warm-disk gap goes, and what it no longer pays: node:crypto, which the hash check
      // used before its WebAssembly SHA-256; and V8 compiling the warm path's functions on their
      // first call (Node 20 keeps no compile cache for ES modules).
      row({
        group: 'load',
        name: 'warm-disk, avoided: loading node:crypto for the bundle hash check',
        unit: 'ms',
        samples: cryptoLoad,
        note: 'a new process after importing core; the warm path hashes with a WebAssembly SHA-256 instead (about 1.5 ms on first use)',
      });
      row({
        group: 'load',
        name: 'warm-disk, the same load with its code compiled (a second registry, same process)',
        unit: 'ms',
        samples: compiled,
        note: 'lockfile, record, bundle hash, factory and initialize(); the bundle module stays cached',
      });
      row({
        group: 'load',
        name: "import('@mediaconduit/core'), new process",
        unit: 'ms',
        samples: coreImport,
        base: { name: "import('node:fs/promises')", samples: fsImport },
        target: '≤ 10 ms',
        check: (f) => f.median <= 10,
      });

      // Warm-memory: a repeated getProvider in the same process.
      step('warm loads in memory');
      const registry = core.createProviderRegistry({
        cacheDir: warmCache,
        lockfile: warmLock,
        rewrites: fixture.rewrites,
        npmRegistry: fixture.npm.url,
        env: {},
        isolation: 'none',
      });
      await registry.getProvider(fixture.specs.plain);
      const perCall: number[] = [];
      const noop: number[] = [];
      const settled = Promise.resolve(1);
      for (let batch = 0; batch < 200; batch++) {
        let t = process.hrtime.bigint();
        for (let i = 0; i < 1000; i++) await registry.getProvider(fixture.specs.plain);
        perCall.push(Number(process.hrtime.bigint() - t) / 1e6);
        t = process.hrtime.bigint();
        for (let i = 0; i < 1000; i++) await settled;
        noop.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      await registry.close();
      // Per 1000 calls in ms is per call in µs.
      row({
        group: 'load',
        name: 'warm-memory, repeated getProvider',
        unit: 'µs',
        samples: perCall,
        base: { name: 'awaiting a settled promise', samples: noop },
        target: '≤ 2 µs',
        check: (f) => f.median <= 2,
      });
    }

    if (!flags.only || flags.only === 'concurrency') {
      // N loads at once in one process: separate registries sharing one cache.
      step('concurrent loads');
      const N = 8;
      const M = 4;
      const inOne: number[] = [];
      const inOneCounts: Record<string, number>[] = [];
      const inMany: number[] = [];
      const inManyCounts: Record<string, number>[] = [];
      const single: number[] = [];
      for (let i = 0; i < (smoke ? 1 : Math.max(3, Math.ceil(rounds / 2))); i++) {
        const dir = await fixture.runDir('concurrent');
        const counts: Record<string, number> = { fetch: 0, install: 0, build: 0 };
        const onProgress = (e: { phase: string; status: string }) => {
          if (e.status === 'done' && e.phase in counts) counts[e.phase]!++;
        };
        const registries = Array.from({ length: N }, () =>
          core.createProviderRegistry({ cacheDir: join(dir, 'cache'), lockfile: false, rewrites: fixture.rewrites, npmRegistry: fixture.npm.url, env: {}, onProgress }),
        );
        let started = performance.now();
        await Promise.all(registries.map((r, k) => r.getProvider(k % 2 ? fixture.specs.withDep : fixture.specs.plain, { isolation: 'none' })));
        inOne.push(performance.now() - started);
        inOneCounts.push(counts);
        for (const r of registries) await r.close();
        // M processes at once on one empty cache.
        const shared = join(await fixture.runDir('processes'), 'cache');
        started = performance.now();
        const children = await Promise.all(Array.from({ length: M }, (_, k) => loadChild(k % 2 ? fixture.specs.withDep : fixture.specs.plain, shared, false)));
        inMany.push(performance.now() - started);
        const sum: Record<string, number> = { fetch: 0, install: 0, build: 0 };
        for (const child of children) for (const [k, v] of Object.entries(child.counts)) sum[k] = (sum[k] ?? 0) + v;
        inManyCounts.push(sum);
        single.push((await loadChild(fixture.specs.withDep, join(await fixture.runDir('single'), 'cache'), false)).ms);
      }
      const describeCounts = (all: Record<string, number>[]) => {
        const last = all.at(-1)!;
        const same = all.every((c) => JSON.stringify(c) === JSON.stringify(last));
        const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
        return `${n(last.fetch!, 'clone')}, ${n(last.install!, 'install')}, ${n(last.build!, 'build')}${same ? ' in every round' : ` (last round; rounds differ: ${all.map((c) => `${c.fetch}/${c.install}/${c.build}`).join(' ')})`}`;
      };
      const once = (all: Record<string, number>[]) => () => all.every((c) => c.fetch === 2 && c.install === 1 && c.build === 2);
      row({
        group: 'concurrency',
        name: `${N} loads at once, one process (2 providers, ${N} registries, one cache)`,
        unit: 'ms',
        samples: inOne,
        base: { name: 'one cold load with the dependency, new process', samples: single },
        target: 'one clone, install and build per provider',
        check: once(inOneCounts),
        countsOnly: true,
        note: describeCounts(inOneCounts),
      });
      row({
        group: 'concurrency',
        name: `${M} processes loading cold at once (2 providers, one cache)`,
        unit: 'ms',
        samples: inMany,
        base: { name: 'one cold load with the dependency, new process', samples: single },
        target: 'one clone, install and build per provider',
        check: once(inManyCounts),
        countsOnly: true,
        note: describeCounts(inManyCounts),
      });
    }

    if (!flags.only || flags.only === 'requests') {
      // It ships its source and manifest, which the bench commits to a repository of its own.
      const togetherDir = findPackage('@mediaconduit/together-provider', ctx.io.cwd);
      if (!togetherDir) {
        skipped(
          'requests',
          'requests through the Together provider',
          'req/s',
          '@mediaconduit/together-provider is not installed here (npm install @mediaconduit/together-provider, then run again)',
        );
      } else {
        step('requests against a fake Together server');
        const r = await runRequestsBench({ work: fixture.work, rounds, coreUrl, togetherDir, smoke });
        const setting = `${r.concurrency} at once${r.pinned ? '; client and fake on a core each' : ''}`;
        row({
          group: 'requests',
          name: `chat requests: registry → Together provider → fake server (${setting})`,
          unit: 'req/s',
          samples: r.ours,
          base: { name: 'raw undici request(), same server and pool size', samples: r.raw },
          paired: true,
          target: '≥ 0.95× raw undici',
          check: (f) => f.ratio >= 0.95,
        });
        row({
          group: 'requests',
          name: 'chat requests: the same, against undici’s lower-level Dispatcher#request()',
          unit: 'req/s',
          samples: r.ours,
          base: { name: 'Dispatcher#request() with a parsed origin (what core’s HTTP client calls)', samples: r.dispatch },
          paired: true,
        });
        row({
          group: 'requests',
          name: 'chat requests: the model wrapped by the runtime (retries, call log, usage, a fallback chain)',
          unit: 'req/s',
          samples: r.managed,
          base: { name: 'the bare model, runs alternating with it', samples: r.bare },
          paired: true,
          target: '≥ 0.97× the bare model',
          check: (f) => f.ratio >= 0.97,
        });
        row({
          group: 'requests',
          name: 'chat requests: A/A control, the bare model against itself',
          unit: 'req/s',
          samples: r.control,
          base: { name: 'the bare model', samples: r.bare },
          paired: true,
          note: 'how finely this machine resolves the ratios above: its distance from 1.00×',
        });
        const { wrapped: wrappedUs, bare: bareUs } = await wrapperCostPerCall(core, 10 * rounds);
        const perRequestUs = 1e6 / median(r.bare);
        row({
          group: 'requests',
          name: 'the wrapper’s own cost per call, in this process (a model that answers at once)',
          unit: 'µs',
          samples: wrappedUs,
          base: { name: 'the bare model', samples: bareUs },
          paired: true,
          note: (f) =>
            `+${(f.median - f.baseline).toFixed(2)} µs a call, ${(((f.median - f.baseline) / perRequestUs) * 100).toFixed(1)} % of a chat request's ${perRequestUs.toFixed(0)} µs above`,
        });
        row({
          group: 'requests',
          name: `chat requests: the Together provider in a process of its own (${r.concurrency} at once; the host adds the key)`,
          unit: 'req/s',
          samples: r.isolation.isolated,
          base: { name: 'the same provider in the host process, rounds alternating', samples: r.isolation.inProcess },
          paired: true,
          target: '≥ 0.9× in-process',
          check: (f) => f.ratio >= 0.9,
        });
        const added = median(r.isolation.isolatedUs.map((us, i) => us - r.isolation.inProcessUs[i]!));
        const floor = 2 * median(r.isolation.roundTripUs);
        row({
          group: 'requests',
          name: 'one chat call at a time, in a process of its own',
          unit: 'µs',
          samples: r.isolation.isolatedUs,
          base: { name: 'the same call in the host process, calls alternating', samples: r.isolation.inProcessUs },
          paired: true,
          target: '≤ 50 µs added',
          check: () => added <= 50,
          note: `+${added.toFixed(0)} µs a call (median of the pairs' differences); the floor of two bare round trips (row below): ${floor.toFixed(0)} µs`,
        });
        row({
          group: 'requests',
          name: 'a bare round trip to another Node process: 1 byte each way over a socket pair, echoed',
          unit: 'µs',
          samples: r.isolation.roundTripUs,
          base: { name: 'an event-loop turn in this process (setImmediate)', samples: r.isolation.turnUs },
          paired: true,
          note: `the least any call to another process adds. An isolated call makes two (the call; its HTTP request through the host, which adds the key): at least ${floor.toFixed(0)} µs`,
        });
        const mb = (bytes: number) => bytes / 2 ** 20;
        row({
          group: 'requests',
          name: `peak memory, four ${r.imageSize}×${r.imageSize} PNG images at once (RSS increase)`,
          unit: 'MB',
          samples: [mb(r.memory.ours.peakIncrease)],
          base: { name: 'undici + body.json() + base64 decode', samples: [mb(r.memory.naive.peakIncrease)] },
          target: '< 3× the decoded image bytes',
          check: () => r.memory.ours.peakIncrease / r.memory.ours.decoded < 3,
          note: `${(r.memory.ours.peakIncrease / r.memory.ours.decoded).toFixed(2)}× the ${mb(r.memory.ours.decoded).toFixed(1)} MB decoded; the naive client ${(r.memory.naive.peakIncrease / r.memory.naive.decoded).toFixed(2)}×`,
        });
        row({
          group: 'requests',
          name: `peak memory, four ${r.imageSize}×${r.imageSize} PNG images at once through a provider in a process of its own (RSS increase, both processes)`,
          unit: 'MB',
          samples: [mb(r.memory.isolated.peakIncrease)],
          base: { name: 'the same provider in the host process', samples: [mb(r.memory.ours.peakIncrease)] },
          target: '≤ 2× the decoded image bytes',
          check: () => r.memory.isolated.peakIncrease / r.memory.isolated.decoded <= 2,
          note: `${(r.memory.isolated.peakIncrease / r.memory.isolated.decoded).toFixed(2)}× the ${mb(r.memory.isolated.decoded).toFixed(1)} MB decoded${
            r.memory.isolated.childIncrease !== undefined
              ? ` (the host ${((r.memory.isolated.peakIncrease - r.memory.isolated.childIncrease) / r.memory.isolated.decoded).toFixed(2)}×, the provider's process ${(r.memory.isolated.childIncrease / r.memory.isolated.decoded).toFixed(2)}×; the provider's process holds the four images whole before they cross and the host holds them whole after, so the two add up to at least 2×)`
              : ''
          }`,
        });
      }
    }
  } finally {
    ctx.progress.stop();
    await fixture.close();
  }

  const report: BenchReport = {
    time: new Date().toISOString(),
    rounds,
    ...(smoke ? { smoke: true as const } : {}),
    machine,
    rows,
    missed: rows.filter((r) => r.ok === false).map((r) => `${r.name}: ${r.target}`),
  };
  const markdown = toMarkdown(report);
  if (flags.out) {
    const out = resolve(ctx.io.cwd, flags.out);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, markdown);
    await writeFile(`${out.replace(/\.md$/, '')}.json`, `${JSON.stringify(report, null, 2)}\n`);
  }
  ctx.out.result(report);
  ctx.out.line(markdown);
  return report.missed.length === 0 ? EXIT.OK : EXIT.CHECKS_FAILED;
}

/** tsx's loader, for the original design's pipeline: from the current project, else beside this package. */
function findTsx(cwd: string): { loader: string; version: string } | undefined {
  const dir = findPackage('tsx', cwd);
  if (!dir) return undefined;
  const require = createRequire(join(dir, 'package.json'));
  return { loader: pathToFileURL(require.resolve('tsx')).href, version: (require('./package.json') as { version: string }).version };
}

async function isolatedNpm(fixture: BenchFixture): Promise<NodeJS.ProcessEnv> {
  await writeFile(join(fixture.work, 'npmrc'), '');
  return {
    PATH: process.env.PATH ?? '',
    HOME: fixture.work,
    npm_config_registry: fixture.npm.url,
    npm_config_cache: join(fixture.work, 'npm-cache'),
    npm_config_userconfig: join(fixture.work, 'npmrc'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'error',
  };
}

async function describeMachine(esbuildBin: string, tsx: ReturnType<typeof findTsx>): Promise<BenchReport['machine']> {
  const version = async (command: string, args: string[]) =>
    (await exec(command, args).then(
      (r) => r.stdout.trim(),
      () => 'unavailable',
    )) as string;
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.versions.node,
    git: (await version('git', ['--version'])).replace(/^git version /, ''),
    npm: await version('npm', ['--version']),
    esbuild: await version(esbuildBin, ['--version']),
    tsx: tsx?.version ?? null,
  };
}

function toMarkdown(report: BenchReport): string {
  const m = report.machine;
  const fmt = (value: number, unit: BenchRow['unit']) => {
    if (Number.isNaN(value)) return '-';
    if (unit === 'µs') return `${value.toFixed(3)} µs`;
    if (unit === 'req/s') return `${Math.round(value)} req/s`;
    if (unit === 'MB') return `${value.toFixed(1)} MB`;
    return formatMs(value).replace(/^(\d+) ms$/, '$1 ms');
  };
  const lines = [
    '# MediaConduit benchmarks',
    '',
    `\`mediaconduit bench ${report.smoke ? '--smoke' : `--rounds ${report.rounds}`}\`, ${report.time.slice(0, 16).replace('T', ' ')} UTC.${report.smoke ? ' A smoke run: every figure from a tiny sample, and no target judged; run without --smoke for figures to trust.' : ''} Every figure is the median of its runs, with the baseline measured in the same run, alternating with ours; everything on loopback (a Git HTTP server, an npm registry stand-in and a fake Together server on 127.0.0.1).`,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}, git ${m.git}, npm ${m.npm}, esbuild ${m.esbuild}, tsx ${m.tsx ?? 'not installed'}.`,
    '',
    '| Measure | Median | Min–max | Baseline | Baseline median | Ratio | Target | Result |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.rows) {
    const ms = (v: number) => fmt(v, r.unit);
    lines.push(
      `| ${r.name} | ${ms(r.median)} | ${r.runs > 0 ? `${ms(r.min)}–${ms(r.max)}` : '-'} | ${r.baseline?.name ?? '-'} | ${r.baseline ? ms(r.baseline.median) : '-'} | ${r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}×`} | ${r.target ?? '-'} | ${r.ok === undefined ? (r.note ?? '') : `${r.ok ? 'met' : '**missed**'}${r.note ? ` (${r.note})` : ''}`} |`,
    );
  }
  lines.push('');
  lines.push(report.missed.length === 0 ? 'Every target is met.' : `Targets missed: ${report.missed.join('; ')}.`);
  return `${lines.join('\n')}\n`;
}
