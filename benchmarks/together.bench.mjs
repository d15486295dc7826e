// Together provider benchmark: throughput through registry, model and a fake Together server
// against raw undici at the same concurrency, and peak memory while generating four 2048×2048
// images. The fake runs in its own process; every request stays on 127.0.0.1.
// Run with `pnpm bench:together`. Exits 1 when a target is missed.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
// Re-run pinned to core 0 when taskset exists and there are at least two cores.
const { availableParallelism } = await import('node:os');
const canPin =
  availableParallelism() >= 2 &&
  (await promisify(execFile)('taskset', ['-V']).then(
    () => true,
    () => false,
  ));
if (canPin && !process.env.MEDIACONDUIT_BENCH_PINNED) {
  const { status } = (await import('node:child_process')).spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, MEDIACONDUIT_BENCH_PINNED: '1' },
  });
  process.exit(status ?? 1);
}
const PINNED = canPin;
const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const coreUrl = pathToFileURL(join(root, 'packages/core/dist/index.js')).href;
const { createProviderRegistry } = await import(coreUrl);
const { build } = await import(pathToFileURL(join(root, 'packages/core/node_modules/esbuild/lib/main.js')).href);
const { request, Agent } = await import(pathToFileURL(join(root, 'packages/core/node_modules/undici/index.js')).href);

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const work = await mkdtemp(join(tmpdir(), 'mc-together-bench-'));

// The fake, bundled and started in a child process.
const fakeScript = join(work, 'fake.mjs');
await build({ entryPoints: [join(here, 'fake-together-process.ts')], outfile: fakeScript, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
// With two or more cores, the fake gets core 1 and this process core 0 (taskset, when present),
// so that the two do not steal each other's time and the ratio measures the client, not the scheduler.
const pin = PINNED ? ['taskset', ['-c', '1', process.execPath]] : [process.execPath, []];
async function startFake(mode) {
  const child = spawn(pin[0], [...pin[1], fakeScript, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const baseURL = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));
  return {
    baseURL,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.stdin.end();
      }),
  };
}

// The provider, in a Git repository of its own, loaded through the registry.
const repo = join(work, 'repo');
await cp(join(root, 'packages/together-provider'), join(repo, 'packages/together-provider'), { recursive: true, filter: (s) => !s.includes('node_modules') });
const git = (...args) => run('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], { cwd: repo });
await git('init', '--quiet', '--initial-branch=main');
await git('add', '--all');
await git('commit', '--quiet', '-m', 'provider');
const specifier = `file://${repo}//packages/together-provider`;
const cacheDir = join(work, 'cache');

const fake = await startFake('gradient');
const registry = createProviderRegistry({ cacheDir, lockfile: false, env: {} });
const provider = await registry.getProvider(specifier, { config: { apiKey: 'bench', baseURL: fake.baseURL, connections: CONCURRENCY } });
const chat = await provider.getModel('meta-llama/Llama-3.3-70B-Instruct-Turbo', { capability: 'text-to-text' });
const dispatcher = new Agent({ connections: CONCURRENCY });
const chatBody = () => JSON.stringify({ model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', messages: [{ role: 'user', content: 'hello there' }], stream: false });
const headers = { authorization: 'Bearer bench', 'content-type': 'application/json' };
// The baseline the target names: undici's request() with the same dispatcher settings.
const raw = async () => {
  const response = await request(`${fake.baseURL}/chat/completions`, { method: 'POST', dispatcher, headers, body: chatBody() });
  const json = await response.body.json();
  if (!json.choices[0].message.content) throw new Error('empty');
};
// For information: undici's lower-level Dispatcher#request with a pre-parsed origin, which is what
// core's HTTP client calls. It shows how much of the margin over request() comes from that alone.
const { origin, pathname } = new URL(`${fake.baseURL}/chat/completions`);
const dispatch = async () => {
  const response = await dispatcher.request({ origin, path: pathname, method: 'POST', headers, body: chatBody() });
  const json = await response.body.json();
  if (!json.choices[0].message.content) throw new Error('empty');
};
const ours = async () => {
  const text = await chat.transform('hello there');
  if (!text.text) throw new Error('empty');
};
async function rps(call) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < REQUESTS) await call();
    }),
  );
  return REQUESTS / ((performance.now() - started) / 1000);
}
await rps(raw);
await rps(dispatch);
await rps(ours); // warm-up
const rawRps = [],
  dispatchRps = [],
  oursRps = [];
// Rounds of the three, rotating which runs first (a later run in a round gains a few percent);
// each ratio is the median of the per-round ratios, which cancels drift between rounds.
const ratios = [],
  dispatchRatios = [];
const sides = [
  [raw, rawRps],
  [dispatch, dispatchRps],
  [ours, oursRps],
];
for (let i = 0; i < ROUNDS; i++) {
  for (let j = 0; j < sides.length; j++) {
    const [call, out] = sides[(i + j) % sides.length];
    out.push(await rps(call));
  }
  ratios.push(oursRps[i] / rawRps[i]);
  dispatchRatios.push(oursRps[i] / dispatchRps[i]);
}
const quartile = (xs, q) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
await registry.close();
await dispatcher.close();
await fake.stop();

const noisy = await startFake('noise');
const child = async (...args) => JSON.parse((await run(process.execPath, ['--expose-gc', join(here, 'together-memory-child.mjs'), ...args], { maxBuffer: 1 << 20 })).stdout);
const oursMemory = await child('ours', coreUrl, specifier, cacheDir, noisy.baseURL);
const naiveMemory = await child('naive', noisy.baseURL);
await noisy.stop();
await rm(work, { recursive: true, force: true });

const ratio = median(ratios);
const memoryRatio = oursMemory.peakIncrease / oursMemory.decoded;
const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;
console.log(`\nTogether provider benchmark (fake server in its own process on 127.0.0.1)`);
console.log(`throughput: ${REQUESTS} chat requests at concurrency ${CONCURRENCY}, ${ROUNDS} rounds (order rotating); ratio = median of per-round ratios`);
console.log(
  `${ratio >= 0.95 ? 'PASS' : 'FAIL'}  registry → model → fake   ${median(oursRps).toFixed(0).padStart(6)} req/s   raw undici request() ${median(rawRps).toFixed(0).padStart(6)} req/s   ratio ${ratio.toFixed(3)} (interquartile ${quartile(ratios, 0.25).toFixed(3)}–${quartile(ratios, 0.75).toFixed(3)})   target ≥ 0.95`,
);
console.log(
  `info  against undici's lower-level dispatcher.request() ${median(dispatchRps).toFixed(0).padStart(6)} req/s   ratio ${median(dispatchRatios).toFixed(3)} (interquartile ${quartile(dispatchRatios, 0.25).toFixed(3)}–${quartile(dispatchRatios, 0.75).toFixed(3)})`,
);
console.log(`memory: four 2048×2048 PNG images of noise at once (decoded ${mb(oursMemory.decoded)}; raw pixels ${mb(oursMemory.pixels)})`);
console.log(
  `${memoryRatio < 3 ? 'PASS' : 'FAIL'}  peak RSS increase ${mb(oursMemory.peakIncrease)} = ${memoryRatio.toFixed(2)}× decoded bytes   (naive json()+base64: ${mb(naiveMemory.peakIncrease)} = ${(naiveMemory.peakIncrease / naiveMemory.decoded).toFixed(2)}×)   target < 3×`,
);
process.exitCode = ratio >= 0.95 && memoryRatio < 3 ? 0 : 1;
