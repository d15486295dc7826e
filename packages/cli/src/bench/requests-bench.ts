import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type * as Core from '@mediaconduit/core';
import { Text, type TextModelV1 } from '@mediaconduit/provider';

const exec = promisify(execFile);

/** What the request benchmark measured; throughputs in requests per second, one entry per run. */
export interface RequestFigures {
  concurrency: number;
  requests: number;
  tripleRequests: number;
  /** The images' width and height in the memory figure: 2048 (512 in a smoke run). */
  imageSize: number;
  /** Whether client and fake each had a core of their own (taskset). */
  pinned: boolean;
  /** Chat requests through registry → model → fake, against undici's request() and Dispatcher#request. */
  ours: number[];
  raw: number[];
  dispatch: number[];
  /** Per triple: the bare model, the bare model again (A/A control), and the wrapped model in a fallback chain. */
  bare: number[];
  control: number[];
  managed: number[];
  /** Four images of `imageSize`² at once: peak RSS increase and decoded bytes, ours and a naive client. */
  memory: { ours: MemoryFigures; naive: MemoryFigures; isolated: MemoryFigures };
  /** The same provider in a process of its own and in this one: chat throughput per round, and the latency of one call at a time (µs), in pairs. */
  isolation: { isolated: number[]; inProcess: number[]; isolatedUs: number[]; inProcessUs: number[]; roundTripUs: number[]; turnUs: number[] };
}

export interface MemoryFigures {
  peakIncrease: number;
  decoded: number;
  /** Of `peakIncrease`, the provider's process's share (isolated only). */
  childIncrease?: number;
}

// Child scripts; arguments come in BENCH_ARGS (JSON).
const FAKE_SCRIPT = `
const a = JSON.parse(process.env.BENCH_ARGS);
const { startFakeTogether } = await import(a.testing);
const fake = await startFakeTogether({ logResponses: false, imageDetail: a.mode });
process.stdout.write(fake.baseURL + '\\n');
setInterval(() => { fake.requests.length = 0; }, 1000).unref();
process.stdin.resume();
process.stdin.on('end', () => void fake.close().then(() => process.exit(0)));
`;

// Throughput: rounds of raw request(), Dispatcher#request and ours, rotating which runs first; then
// triples of (bare, bare again, wrapped) in all six orders, each run a fraction of a second apart,
// through one closure that switches its model so that every side runs the same compiled code.
const CLIENT_SCRIPT = `
const a = JSON.parse(process.env.BENCH_ARGS);
const core = await import(a.core);
const { request, Agent } = await import(a.undici);
const registry = core.createProviderRegistry({ cacheDir: a.cache, lockfile: false, env: {}, wrapModels: false });
const provider = await registry.getProvider(a.spec, { config: { apiKey: 'bench', baseURL: a.baseURL, connections: a.concurrency } });
const MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const chat = await provider.getModel(MODEL, { capability: 'text-to-text' });
const callLog = core.memoryCallLog();
const runtime = core.createModelRuntime({ callLog: [callLog] });
const chain = runtime.withFallback([chat, await provider.getModel('Qwen/Qwen2.5-7B-Instruct-Turbo', { capability: 'text-to-text' })]);
const dispatcher = new Agent({ connections: a.concurrency });
const headers = { authorization: 'Bearer bench', 'content-type': 'application/json' };
const body = () => JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hello there' }], stream: false });
const raw = async () => {
  const response = await request(a.baseURL + '/chat/completions', { method: 'POST', dispatcher, headers, body: body() });
  if (!(await response.body.json()).choices[0].message.content) throw new Error('empty');
};
const { origin, pathname } = new URL(a.baseURL + '/chat/completions');
const dispatch = async () => {
  const response = await dispatcher.request({ origin, path: pathname, method: 'POST', headers, body: body() });
  if (!(await response.body.json()).choices[0].message.content) throw new Error('empty');
};
let current = chat;
const ours = async () => {
  if (!(await current.transform('hello there')).text) throw new Error('empty');
};
async function rps(call, requests) {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: a.concurrency }, async () => { while (next++ < requests) await call(); }));
  return requests / ((performance.now() - started) / 1000);
}
const out = { raw: [], dispatch: [], ours: [], bare: [], control: [], managed: [] };
await rps(raw, a.requests);
await rps(dispatch, a.requests);
await rps(ours, a.requests);
const sides = [['raw', raw], ['dispatch', dispatch], ['ours', ours]];
for (let i = 0; i < a.rounds; i++) {
  for (let j = 0; j < sides.length; j++) {
    const [name, call] = sides[(i + j) % sides.length];
    out[name].push(await rps(call, a.requests));
  }
}
const ORDERS = [['bare', 'control', 'managed'], ['managed', 'bare', 'control'], ['control', 'managed', 'bare'], ['bare', 'managed', 'control'], ['control', 'bare', 'managed'], ['managed', 'control', 'bare']];
current = chain;
await rps(ours, a.requests);
for (let i = 0; i < a.triples; i++) {
  for (const side of ORDERS[i % ORDERS.length]) {
    current = side === 'managed' ? chain : chat;
    out[side].push(await rps(ours, a.tripleRequests));
  }
}
const usage = runtime.usage();
if (usage.byModel['together/' + MODEL]?.failures !== 0 || callLog.records().at(-1)?.chain !== 'fallback') throw new Error('the wrapped path did not run as intended');
await registry.close();
await runtime.close();
await dispatcher.close();
process.stdout.write(JSON.stringify(out));
`;

// Isolation: the same Together provider loaded twice, in a process of its own and in this one (the
// host keeps the key and adds it for the fake's origin); rounds of throughput alternating which
// runs first, then single calls one at a time, in pairs.
const ISOLATION_SCRIPT = `
const a = JSON.parse(process.env.BENCH_ARGS);
const core = await import(a.core);
const registry = core.createProviderRegistry({ cacheDir: a.cache, lockfile: false, env: { TOGETHER_API_KEY: 'bench' }, secretOrigins: { TOGETHER_API_KEY: [new URL(a.baseURL).origin] }, wrapModels: false });
const MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const config = { baseURL: a.baseURL, connections: a.concurrency };
const models = {
  inProcess: await (await registry.getProvider(a.spec, { isolation: 'none', config })).getModel(MODEL, { capability: 'text-to-text' }),
  isolated: await (await registry.getProvider(a.spec, { isolation: 'process', config })).getModel(MODEL, { capability: 'text-to-text' }),
};
async function rps(model, requests) {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: a.concurrency }, async () => { while (next++ < requests) if (!(await model.transform('hello there')).text) throw new Error('empty'); }));
  return requests / ((performance.now() - started) / 1000);
}
// The floor under any call to another process: a bare round trip, 1 byte each way over a socket
// pair (what the provider's channel runs on), to a Node process that echoes it.
const { spawn } = await import('node:child_process');
const echo = spawn(process.execPath, ['-e', "const s = new (require('node:net').Socket)({ fd: 3, readable: true, writable: true }); s.on('data', (b) => s.write(b));"], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
const socket = echo.stdio[3];
let answered;
socket.on('data', () => answered());
const roundTrip = () => new Promise((resolve) => { answered = resolve; socket.write(Buffer.from([1])); });
for (let i = 0; i < 200; i++) await roundTrip();
const out = { isolated: [], inProcess: [], isolatedUs: [], inProcessUs: [], roundTripUs: [], turnUs: [] };
await rps(models.inProcess, a.requests);
await rps(models.isolated, a.requests);
for (let i = 0; i < a.rounds; i++) for (const side of i % 2 ? ['isolated', 'inProcess'] : ['inProcess', 'isolated']) out[side].push(await rps(models[side], a.requests));
for (let i = 0; i < a.singles; i++) {
  for (const side of i % 2 ? ['isolated', 'inProcess'] : ['inProcess', 'isolated']) {
    const started = performance.now();
    await models[side].transform('hi');
    out[side + 'Us'].push((performance.now() - started) * 1000);
  }
  let started = performance.now();
  await roundTrip();
  out.roundTripUs.push((performance.now() - started) * 1000);
  started = performance.now();
  await new Promise((resolve) => setImmediate(resolve));
  out.turnUs.push((performance.now() - started) * 1000);
}
echo.kill();
await registry.close();
process.stdout.write(JSON.stringify(out));
`;

// Memory: one fresh process generates four images of a.size × a.size (2048, or 512 in a smoke run) at once (run with --expose-gc).
const MEMORY_SCRIPT = `
const a = JSON.parse(process.env.BENCH_ARGS);
const prompt = (i) => 'memory benchmark image ' + i;
let generate;
let childPeak = () => 0;
let childBefore = () => 0;
if (a.mode === 'isolated') {
  const core = await import(a.core);
  const { readFileSync } = await import('node:fs');
  const registry = core.createProviderRegistry({ cacheDir: a.cache, lockfile: false, env: { TOGETHER_API_KEY: 'bench' }, secretOrigins: { TOGETHER_API_KEY: [new URL(a.baseURL).origin] } });
  const provider = await registry.getProvider(a.spec, { isolation: 'process', config: { baseURL: a.baseURL } });
  const model = await provider.getModel('black-forest-labs/FLUX.1-schnell', { capability: 'text-to-image' });
  generate = async (i, size) => (await model.transform(prompt(i), { width: size, height: size, format: 'png' })).bytes;
  // The provider's process: this one's child (Linux: /proc); its peak resident set counts too.
  const kB = (pid, field) => Number((readFileSync('/proc/' + pid + '/status', 'utf8').split('\\n').find((line) => line.startsWith(field + ':')) ?? '').replace(/\\D+/g, '') || 0) * 1024;
  const children = () => readFileSync('/proc/' + process.pid + '/task/' + process.pid + '/children', 'utf8').trim().split(/\\s+/).filter(Boolean);
  childPeak = () => children().reduce((sum, pid) => sum + kB(pid, 'VmHWM'), 0);
  childBefore = () => children().reduce((sum, pid) => sum + kB(pid, 'VmRSS'), 0);
} else if (a.mode === 'ours') {
  const core = await import(a.core);
  const registry = core.createProviderRegistry({ cacheDir: a.cache, lockfile: false, env: {} });
  const provider = await registry.getProvider(a.spec, { config: { apiKey: 'bench', baseURL: a.baseURL } });
  const model = await provider.getModel('black-forest-labs/FLUX.1-schnell', { capability: 'text-to-image' });
  generate = async (i, size) => (await model.transform(prompt(i), { width: size, height: size, format: 'png' })).bytes;
} else {
  const { request, Agent } = await import(a.undici);
  const dispatcher = new Agent();
  generate = async (i, size) => {
    const response = await request(a.baseURL + '/images/generations', {
      method: 'POST',
      dispatcher,
      headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'black-forest-labs/FLUX.1-schnell', prompt: prompt(i), width: size, height: size, n: 1, response_format: 'base64', output_format: 'png' }),
    });
    return Buffer.from((await response.body.json()).data[0].b64_json, 'base64');
  };
}
if (!(await generate(0, 64)).length) throw new Error('warm-up failed');
globalThis.gc();
await new Promise((resolve) => setTimeout(resolve, 50));
globalThis.gc();
const hostBefore = process.memoryUsage.rss();
const before = hostBefore + childBefore();
const images = await Promise.all([1, 2, 3, 4].map((i) => generate(i, a.size)));
const hostPeak = process.resourceUsage().maxRSS * 1024;
const peak = hostPeak + childPeak();
process.stdout.write(JSON.stringify({ peakIncrease: peak - before, decoded: images.reduce((sum, bytes) => sum + bytes.byteLength, 0), ...(a.mode === 'isolated' ? { childIncrease: peak - before - (hostPeak - hostBefore) } : {}) }));
process.exit(0);
`;

/**
 * The request benchmark: the Together provider, loaded through the registry from a Git repository
 * of its own, against a fake Together server in its own process on 127.0.0.1. With two or more
 * cores and taskset, the client gets core 0 and the fake core 1, so that the ratio measures the
 * client, not the scheduler.
 */
export async function runRequestsBench(options: { work: string; rounds: number; coreUrl: string; togetherDir: string; smoke?: boolean }): Promise<RequestFigures> {
  const { work, coreUrl, togetherDir } = options;
  const env = (args: Record<string, unknown>) => ({ PATH: process.env.PATH ?? '', HOME: work, BENCH_ARGS: JSON.stringify(args) });
  const script = async (name: string, text: string) => {
    const file = join(work, `${name}.mjs`);
    await writeFile(file, text);
    return file;
  };
  const [fakeFile, clientFile, memoryFile, isolationFile] = await Promise.all([
    script('fake', FAKE_SCRIPT),
    script('client', CLIENT_SCRIPT),
    script('memory', MEMORY_SCRIPT),
    script('isolation', ISOLATION_SCRIPT),
  ]);
  const pinned =
    availableParallelism() >= 2 &&
    (await exec('taskset', ['-V']).then(
      () => true,
      () => false,
    ));
  const onCore = (core: number, args: string[]): [string, string[]] => (pinned ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, args]);

  // The provider in a Git repository of its own: its shipped source and manifest.
  const repo = join(work, 'together-repo');
  await mkdir(repo, { recursive: true });
  await cp(togetherDir, repo, { recursive: true, filter: (source) => !/[\\/](node_modules|dist)$|\.test\.ts$/.test(source) });
  // No user or system git configuration (signing, hooks, templates) applies to this repository.
  const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  const git = (...args: string[]) => exec('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], { cwd: repo, env: gitEnv });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'provider');
  const spec = pathToFileURL(repo).href;
  const cache = join(work, 'together-cache');
  const fromCore = createRequire(new URL(coreUrl));
  const undici = pathToFileURL(fromCore.resolve('undici')).href;
  const testing = pathToFileURL(createRequire(join(togetherDir, 'package.json')).resolve('@mediaconduit/together-provider/testing')).href;

  const startFake = async (mode: 'gradient' | 'noise') => {
    const [command, args] = onCore(1, [fakeFile]);
    const child = spawn(command, args, { env: env({ testing, mode }), stdio: ['pipe', 'pipe', 'inherit'] });
    const baseURL = await new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`bench: the fake Together server ended with code ${code}`)));
      child.stdout.once('data', (d: Buffer) => resolve(String(d).trim()));
    });
    child.removeAllListeners('exit');
    return {
      baseURL,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve(); // it ended already
          child.once('exit', () => resolve());
          child.stdin.end();
        }),
    };
  };
  const runChild = async <T>(file: string, args: Record<string, unknown>, extra: string[] = []): Promise<T> => {
    const [command, argv] = onCore(0, [...extra, file]);
    const { stdout } = await exec(command, argv, { env: env(args), maxBuffer: 16 << 20, timeout: 30 * 60_000 });
    return JSON.parse(stdout) as T;
  };

  // A smoke run sends a few hundred requests in all: it proves every side works, in seconds.
  const smoke = options.smoke === true;
  const concurrency = 32;
  const requests = smoke ? 200 : 5000;
  const tripleRequests = smoke ? 100 : 2000;
  const imageSize = smoke ? 512 : 2048;
  const fake = await startFake('gradient');
  let throughput: Pick<RequestFigures, 'ours' | 'raw' | 'dispatch' | 'bare' | 'control' | 'managed'>;
  let isolation: RequestFigures['isolation'];
  try {
    throughput = await runChild(clientFile, {
      core: coreUrl,
      undici,
      spec,
      cache,
      baseURL: fake.baseURL,
      concurrency,
      requests,
      tripleRequests,
      rounds: smoke ? 1 : Math.max(4, options.rounds * 2),
      triples: smoke ? 2 : options.rounds * 48,
    });
    isolation = await runChild(isolationFile, {
      core: coreUrl,
      spec,
      cache,
      baseURL: fake.baseURL,
      concurrency,
      requests: smoke ? 200 : 2000,
      rounds: smoke ? 2 : Math.max(6, options.rounds * 2),
      singles: smoke ? 20 : 500,
    });
  } finally {
    await fake.stop();
  }
  const noisy = await startFake('noise');
  let memory: RequestFigures['memory'];
  try {
    const memoryArgs = { core: coreUrl, undici, spec, cache, baseURL: noisy.baseURL, size: imageSize };
    memory = {
      ours: await runChild<MemoryFigures>(memoryFile, { ...memoryArgs, mode: 'ours' }, ['--expose-gc']),
      naive: await runChild<MemoryFigures>(memoryFile, { ...memoryArgs, mode: 'naive' }, ['--expose-gc']),
      isolated: await runChild<MemoryFigures>(memoryFile, { ...memoryArgs, mode: 'isolated' }, ['--expose-gc']),
    };
  } finally {
    await noisy.stop();
  }
  return { concurrency, requests, tripleRequests, imageSize, pinned, ...throughput, memory, isolation };
}

/**
 * The runtime wrapper's own cost per call, without a network or a server: microseconds per call of
 * a model that answers at once, bare and inside a fallback chain with a call log, in `runs` pairs.
 */
export async function wrapperCostPerCall(core: typeof Core, runs: number): Promise<{ wrapped: number[]; bare: number[] }> {
  const instant = (id: string): TextModelV1 => ({
    specificationVersion: 'v1',
    capability: 'text-to-text',
    id,
    info: { id, providerId: 'bench', capability: 'text-to-text' },
    transform: async (input) => new Text(`${String(input)}!`, { provider: 'bench', model: id }),
    async *stream() {},
  });
  const bare = instant('a');
  const runtime = core.createModelRuntime({ callLog: [core.memoryCallLog()] });
  const wrapped = runtime.withFallback([bare, instant('b')]);
  const perCallUs = async (model: TextModelV1) => {
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) await model.transform('hello there');
    return ((performance.now() - started) / 20_000) * 1000;
  };
  await perCallUs(wrapped);
  const out = { wrapped: [] as number[], bare: [] as number[] };
  for (let i = 0; i < runs; i++) {
    out.bare.push(await perCallUs(bare));
    out.wrapped.push(await perCallUs(wrapped));
  }
  await runtime.close();
  return out;
}
