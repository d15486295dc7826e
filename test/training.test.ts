// Fine-tuning as applications use it: providers loaded through the Git pipeline, jobs recorded in
// the registry's job store, followed from new processes, a crash mid-write, the data checks, and
// the mock's trained trigger word changing its pictures.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createProviderRegistry,
  encodePng,
  MediaConduitError,
  type ProviderRegistry,
  type ProviderRegistryOptions,
  type TrainingJobInfoV1,
  type TrainingWatchEvent,
  withAdapters,
} from '@mediaconduit/core';
import { encodeBlockJpeg } from '@mediaconduit/testing';
import { startFakeTogether, type FakeTogetherServer } from '@mediaconduit/together-provider/testing';
import { commitProviders } from './support/provider-repo.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const CORE = pathToFileURL(join(root, 'packages/core/dist/index.js')).href;
const KEY = `sk-training-${randomBytes(12).toString('hex')}`;
let work: string;
let images: string;
let fake: FakeTogetherServer;
let MOCK: string;
let TOGETHER: string;
let registries: ProviderRegistry[] = [];

const picture = (side: number, shade: number) => encodePng(side, side, new Uint8Array(side * side * 3).fill(shade));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-training-'));
  ({ MOCK, TOGETHER } = await commitProviders(work));
  images = join(work, 'images');
  await mkdir(images);
  for (let i = 0; i < 5; i++) await writeFile(join(images, `photo-${i}.png`), picture(512, 40 * i));
  fake = await startFakeTogether({ apiKey: KEY, clock: 'manual' });
});
afterAll(async () => {
  await fake.close();
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(registries.map((r) => r.close()));
  registries = [];
});

const quiet = { debug() {}, warn() {}, error() {} };
/** A clock that moves 1 ms each time it is read: a job's life runs in reads, not in wall time. */
const ticking = (start = Date.parse('2026-01-01T00:00:00Z')) => {
  let t = start;
  return () => t++;
};
function registry(options: ProviderRegistryOptions = {}, cache = 'cache'): ProviderRegistry {
  const created = createProviderRegistry({ cacheDir: join(work, cache), lockfile: false, env: {}, logger: quiet, ...options });
  registries.push(created);
  return created;
}

async function failure(promise: Promise<unknown>): Promise<MediaConduitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!MediaConduitError.isInstance(error)) throw new Error(`expected a MediaConduitError, got ${String(error)}`);
  return error;
}

/** Runs an ES module in a new Node process with the core's URL and a JSON argument; returns its stdout. */
async function child(source: string, argument: unknown): Promise<string> {
  const file = join(work, `child-${randomBytes(4).toString('hex')}.mjs`);
  await writeFile(file, source);
  const { stdout } = await run(process.execPath, [file, JSON.stringify(argument)], { env: { ...process.env, CORE_URL: CORE }, timeout: 60_000 });
  return stdout;
}

describe('training on the mock provider, through the registry', () => {
  it('trains a trigger word from pictures: progress, events, checkpoints, and a model whose pictures change with the word', async () => {
    const r = registry({ now: ticking() });
    const mock = await r.getProvider(MOCK, { config: { trainingMs: 400 } });
    const warnings: string[] = [];
    const job = await mock.createTrainingJob!({ data: images, triggerWord: 'sks', onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(job.info).toMatchObject({
      status: 'pending',
      baseModel: 'mock/gradient-1',
      parameters: { epochs: 100, learningRate: 0.0002, batchSize: 1, triggerWord: 'sks' },
      trainingFiles: ['photo-0.png', 'photo-1.png', 'photo-2.png', 'photo-3.png', 'photo-4.png'],
    });
    const seen: TrainingJobInfoV1[] = [];
    const done = await job.wait({ pollIntervalMs: 0, onProgress: (info) => seen.push(info) });
    expect(done).toMatchObject({ status: 'completed', outputModel: expect.stringMatching(/^mock-lora\//), progress: { percent: 100, step: 500, totalSteps: 500 } });
    const order = [...new Set(seen.map((s) => s.status))];
    expect(order[0]).toBe('pending');
    expect(order).toContain('running');
    expect(order.at(-1)).toBe('completed');
    const percents = seen.filter((s) => s.status === 'running').map((s) => s.progress!.percent!);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect((await job.events()).map((e) => e.type)).toEqual(expect.arrayContaining(['job_pending', 'training_start', 'checkpoint_save', 'job_complete']));
    expect((await job.checkpoints()).at(-1)).toMatchObject({ step: 500, type: 'final' });

    const trained = await mock.getModel(done.outputModel!, { capability: 'text-to-image' });
    const base = await mock.getModel('mock/gradient-1', { capability: 'text-to-image' });
    const options = { seed: 3, width: 96, height: 96 };
    const withWord = await trained.transform('a portrait of sks, smiling', options);
    const baseWithWord = await base.transform('a portrait of sks, smiling', options);
    expect(withWord.mimeType).toBe('image/png');
    expect(Buffer.from(withWord.bytes).equals(Buffer.from(baseWithWord.bytes))).toBe(false);
    // Without the trigger word the trained model paints like its base model.
    const without = await trained.transform('a portrait, smiling', options);
    const baseWithout = await base.transform('a portrait, smiling', options);
    expect(Buffer.from(without.bytes).equals(Buffer.from(baseWithout.bytes))).toBe(true);
    // The LoRA as an adapter of its base model paints as the trained model does; a LoRA by URL is not the mock's to apply.
    const adapted = withAdapters(base, [{ path: done.outputModel! }]);
    expect(Buffer.from((await adapted.transform('a portrait of sks, smiling', options)).bytes).equals(Buffer.from(withWord.bytes))).toBe(true);
    await expect(base.transform('sks', { adapters: [{ path: 'https://loras.example/x.safetensors' }] })).rejects.toMatchObject({ code: 'UNSUPPORTED' });

    // The completed job lists its weights: a real safetensors file, inline as a data: URL (the mock keeps no files).
    const weights = done.artifacts!.find((a) => a.kind === 'weights')!;
    expect(weights).toMatchObject({ contentType: 'application/octet-stream', fileName: expect.stringMatching(/^mock-lora-sks-[0-9a-f]{6}\.safetensors$/) });
    expect(weights.url).toMatch(/^data:application\/octet-stream;base64,/);
    const file = Buffer.from(weights.url.slice(weights.url.indexOf(',') + 1), 'base64');
    expect(file.byteLength).toBe(weights.bytes);
    const headerLength = Number(file.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    const { __metadata__: metadata, ...tensors } = header as unknown as Record<string, never>;
    expect(metadata).toMatchObject({ 'mediaconduit.mock_lora': job.id, 'mediaconduit.trigger_word': 'sks', 'mediaconduit.base_model': 'mock/gradient-1' });
    // Each tensor's bytes are its shape's worth of float32, and together they fill the file to its end.
    const spans = Object.values(tensors as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>);
    expect(spans.map((t) => t.dtype)).toEqual(['F32', 'F32']);
    for (const t of spans) expect(t.data_offsets[1] - t.data_offsets[0]).toBe(t.shape.reduce((a, b) => a * b, 4));
    expect(8 + headerLength + Math.max(...spans.map((t) => t.data_offsets[1]))).toBe(file.byteLength);
    // The weights apply as an adapter on the mock as the model's id does; bytes of no mock LoRA do not.
    const byWeights = withAdapters(base, [{ path: weights.url }]);
    expect(Buffer.from((await byWeights.transform('a portrait of sks, smiling', options)).bytes).equals(Buffer.from(withWord.bytes))).toBe(true);
    const other = `data:application/octet-stream;base64,${Buffer.from('not weights').toString('base64')}`;
    const refused = await failure(base.transform('sks', { adapters: [{ path: other }] }));
    expect(refused).toMatchObject({ code: 'UNSUPPORTED' });
    expect(refused.message).toMatch(/no mock LoRA's weights \(it is not a safetensors file/);
  });

  it('a watcher records a sample that cannot be made with its error, and tries one that failed for a passing reason three times', async () => {
    const r = registry({ now: ticking(), retry: false }, 'cache-samples');
    const events: TrainingWatchEvent[] = [];
    const watch = { samplePrompts: ['sks at night'], onEvent: (e: TrainingWatchEvent) => events.push(e) };
    // Every model call of this mock fails: refused for good, or (the second) for a passing reason.
    const refusing = await r.getProvider(MOCK, { config: { trainingMs: 5, failureRate: 1, failureCode: 'CONTENT_REFUSED' } });
    const refused = await refusing.createTrainingJob!({ data: images, triggerWord: 'sks' });
    const flaky = await r.getProvider(MOCK, { config: { trainingMs: 5, failureRate: 1, failureCode: 'RATE_LIMITED' } });
    const limited = await flaky.createTrainingJob!({ data: images, triggerWord: 'sks' });
    const rounds: Awaited<ReturnType<ProviderRegistry['checkTrainingJobs']>>[] = [];
    for (let i = 0; i < 50 && (rounds.length === 0 || rounds.at(-1)!.unfinished.length > 0 || rounds.at(-1)!.samplesOwed > 0); i++) rounds.push(await r.checkTrainingJobs(watch));
    expect(rounds.at(-1)).toEqual({ unfinished: [], givenUp: [], samplesOwed: 0 });
    const recorded = await r.trainingJobs();
    const sampleOf = (id: string) => recorded.find((j) => j.job.id === id)?.samples;
    expect(sampleOf(refused.id)).toEqual([{ prompt: 'sks at night', error: expect.stringMatching(/injected failure/), attempts: 1, createdAt: expect.any(String) }]);
    // Attempts are counted in the store: each round here is a watcher of its own, as a cron job's would be.
    expect(sampleOf(limited.id)).toEqual([{ prompt: 'sks at night', error: expect.stringMatching(/injected failure/), attempts: 3, createdAt: expect.any(String) }]);
    const problems = events.filter((e): e is Extract<TrainingWatchEvent, { type: 'problem' }> => e.type === 'problem');
    expect(problems.filter((p) => p.jobId === refused.id)).toHaveLength(1);
    expect(problems.filter((p) => p.jobId === limited.id).map((p) => p.error.code)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(events.filter((e) => e.type === 'sample')).toHaveLength(2);
    // Made (or given up) once: another round makes nothing.
    const again: TrainingWatchEvent[] = [];
    await r.checkTrainingJobs({ ...watch, onEvent: (e) => again.push(e) });
    expect(again).toEqual([]);
  });

  it('a job still training is not a model yet; a failed job ends wait() with TRAINING_FAILED; cancel stops a job', async () => {
    const r = registry({ now: () => Date.parse('2026-01-01T00:00:00Z') }); // time stands still: the job never ends by itself
    const slow = await r.getProvider(MOCK, { config: { trainingMs: 60_000 } });
    const job = await slow.createTrainingJob!({ data: images });
    const early = await failure(slow.getModel(job.info.outputModel!));
    expect(early.code).toBe('MODEL_NOT_FOUND');
    expect(early.message).toMatch(/is (pending|queued|running).*can be used once completed/);
    const cancelled = await job.cancel();
    expect(cancelled.status).toBe('cancelled');
    expect((await failure(job.wait())).code).toBe('TRAINING_FAILED');

    const ticked = registry({ now: ticking() });
    const failing = await ticked.getProvider(MOCK, { config: { trainingMs: 100, trainingFailure: 'the GPU caught fire (simulated)' } });
    const doomed = await failing.createTrainingJob!({ data: images });
    const error = await failure(doomed.wait({ pollIntervalMs: 0 }));
    expect(error).toMatchObject({ code: 'TRAINING_FAILED', message: expect.stringContaining('failed: the GPU caught fire (simulated)') });
  });

  it('checks the data before anything starts, naming each bad file; fewer than 5 images is a warning', async () => {
    const r = registry();
    const mock = await r.getProvider(MOCK, { config: { trainingMs: 100 } });
    const bad = join(work, 'bad-data');
    await mkdir(bad);
    await writeFile(join(bad, 'notes.txt'), 'not a picture');
    await writeFile(
      join(bad, 'jpeg-named.png'),
      encodeBlockJpeg(16, 16, () => [200, 10, 10]),
    );
    const whole = picture(64, 90);
    await writeFile(join(bad, 'truncated.png'), whole.subarray(0, whole.length - 20));
    const flipped = Buffer.from(whole);
    flipped[60] = flipped[60]! ^ 0xff; // inside the IDAT data
    await writeFile(join(bad, 'bad-crc.png'), flipped);
    await writeFile(join(bad, 'empty.jpg'), '');
    await writeFile(join(bad, 'huge.png'), '');
    await truncate(join(bad, 'huge.png'), 21 * 2 ** 20); // sparse: over the limit without writing 21 MiB
    const before = (await r.trainingJobs()).length;

    const wrongFormat = await failure(mock.createTrainingJob!({ data: bad }));
    expect(wrongFormat.code).toBe('INVALID_INPUT');
    // The mock takes captions (x.txt beside x.png): a .txt file with no picture of its name is a problem.
    expect(wrongFormat.message).toContain(`${join(bad, 'notes.txt')}: a caption with no image of its name beside it`);
    await rm(join(bad, 'notes.txt'));
    const checks = await failure(mock.createTrainingJob!({ data: bad }));
    expect(checks.message).toContain('nothing was uploaded');
    for (const [file, problem] of [
      ['jpeg-named.png', 'wrong format: the file is a JPEG image but is named .png'],
      ['truncated.png', 'corrupt image: the PNG is truncated'],
      ['bad-crc.png', "corrupt image: the PNG's IDAT chunk at byte 33 fails its checksum"],
      ['empty.jpg', 'unreadable or corrupt image'],
      ['huge.png', 'size over the limit: 21.0 MiB, at most 20.0 MiB'],
    ]) {
      expect(checks.message).toContain(`${join(bad, file!)}: ${problem}`);
    }
    const many = join(work, 'many');
    await mkdir(many);
    const tiny = picture(4, 1);
    await Promise.all(Array.from({ length: 201 }, (_, i) => writeFile(join(many, `${i}.png`), tiny)));
    expect((await failure(mock.createTrainingJob!({ data: many }))).message).toMatch(/too many files: 201, at most 200 images/);
    expect((await failure(mock.createTrainingJob!({ data: join(work, 'missing') }))).message).toMatch(/missing: does not exist/);
    const jsonl = join(work, 'data.jsonl');
    await writeFile(jsonl, '{"text":"x"}\n');
    const unsupported = await failure(mock.createTrainingJob!({ data: jsonl }));
    expect(unsupported.code).toBe('UNSUPPORTED');
    expect(unsupported.message).toMatch(/train on JSONL with the Together provider/);
    expect((await failure(mock.createTrainingJob!({ data: images, triggerWord: 'two words' }))).message).toMatch(/triggerWord must be 1 to 32 letters/);
    expect(await r.trainingJobs()).toHaveLength(before);
    expect(await mock.listTrainingJobs!()).toEqual([]);

    const warnings: string[] = [];
    const few = await mock.createTrainingJob!({ data: [join(images, 'photo-0.png'), join(images, 'photo-1.png')], onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual(['only 2 image(s); 5 or more give a LoRA that generalises']);
    expect(few.info.warnings).toEqual(warnings);
  });

  it('records jobs in the store; a new process lists them and follows one to completion', async () => {
    const cache = `cache-${randomBytes(3).toString('hex')}`;
    // This process's clock stands still at the job's start; the other process's moves as it reads.
    const start = Date.parse('2026-01-01T00:00:00Z');
    const r = registry({ now: () => start }, cache);
    const mock = await r.getProvider(MOCK, { config: { trainingMs: 1500 } });
    const job = await mock.createTrainingJob!({ data: images, triggerWord: 'zzz' });
    const stored = await r.trainingJobs();
    expect(stored).toEqual([
      expect.objectContaining({ specifier: MOCK, providerId: 'mock', config: { trainingMs: 1500 }, job: expect.objectContaining({ id: job.id, status: 'pending' }) }),
    ]);
    const files = await readdir(join(work, cache, 'state', 'training'));
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(1);

    const out = await child(
      `const { createProviderRegistry } = await import(process.env.CORE_URL);
const { cacheDir, start } = JSON.parse(process.argv[2]);
let t = start;
const registry = createProviderRegistry({ cacheDir, lockfile: false, env: {}, now: () => t++ });
const listed = await registry.trainingJobs();
const job = await registry.resumeTrainingJob(listed[0].job.id);
const statuses = new Set();
const done = await job.wait({ pollIntervalMs: 0, onProgress: (info) => statuses.add(info.status) });
console.log(JSON.stringify({ listed: listed.map((j) => [j.job.id, j.job.status]), statuses: [...statuses], done: done.status, output: done.outputModel }));
await registry.close();`,
      { cacheDir: join(work, cache), start },
    );
    const result = JSON.parse(out);
    expect(result.listed).toEqual([[job.id, 'pending']]);
    expect(result.done).toBe('completed');
    expect(result.statuses).toContain('running');
    expect(result.output).toBe(job.info.outputModel);
    // What the other process saw is recorded for everyone.
    expect((await r.trainingJobs())[0]!.job.status).toBe('completed');
  });

  it('a job recorded as cancelled stays cancelled for a new registry, which answers it from the record', async () => {
    const cache = `cache-${randomBytes(3).toString('hex')}`;
    const first = registry({ now: () => Date.parse('2026-01-01T00:00:00Z') }, cache);
    const mock = await first.getProvider(MOCK, { config: { trainingMs: 60_000 } });
    const job = await mock.createTrainingJob!({ data: images });
    await job.cancel();
    const second = registry({}, cache);
    const resumed = await second.resumeTrainingJob(job.id);
    expect(resumed.info.status).toBe('cancelled');
    expect((await failure(resumed.wait())).code).toBe('TRAINING_FAILED');
    expect((await failure(resumed.cancel())).message).toMatch(/already cancelled/);
    expect((await failure(second.resumeTrainingJob('mockft-unknown'))).message).toMatch(/no recorded training job "mockft-unknown"/);
  });

  it('a record edited to name a provider the lockfile does not pin gets it neither loaded nor run', async () => {
    const cache = `cache-${randomBytes(3).toString('hex')}`;
    const lockfile = join(work, `${cache}.lock.json`);
    const first = registry({ lockfile }, cache);
    const job = await (await first.getProvider(MOCK, { config: { trainingMs: 60_000 } })).createTrainingJob!({ data: images });
    // Whoever can write the cache points the job's record at other code (here: another repository).
    const store = join(work, cache, 'state', 'training');
    const [name] = (await readdir(store)).filter((n) => n.endsWith('.json'));
    const record = JSON.parse(await readFile(join(store, name!), 'utf8')) as { specifier: string };
    expect(record.specifier).toBe(MOCK);
    await writeFile(join(store, name!), JSON.stringify({ ...record, specifier: TOGETHER }));

    const second = registry({ lockfile }, cache);
    const refused = await failure(second.resumeTrainingJob(job.id));
    expect(refused.code).toBe('INTEGRITY_MISMATCH');
    expect(refused.message).toContain(`names the provider ${TOGETHER}, which the lockfile ${lockfile} does not pin`);
    expect(second.listProviders()).toEqual([]);
    // The worker: the job stays unfinished, unread, and nothing is loaded for it.
    const round = await second.checkTrainingJobs();
    expect(round.unfinished.map((j) => j.job.id)).toEqual([job.id]);
    expect(second.listProviders()).toEqual([]);

    // Pinned by another process after this registry read the lockfile: read again, and loaded as
    // pinned (here it refuses the mock's settings the record holds: the load went past the check).
    await registry({ lockfile }, cache).getProvider(TOGETHER, { config: { apiKey: KEY, baseURL: fake.baseURL } });
    const loaded = await failure(second.resumeTrainingJob(job.id, { config: { apiKey: KEY, baseURL: fake.baseURL } }));
    expect(loaded.code).toBe('INVALID_OPTIONS');
    expect(loaded.message).toMatch(/refused its settings/);
  });

  it('a crash while jobs are being written loses none that were written', async () => {
    const cache = `cache-${randomBytes(3).toString('hex')}`;
    const script = join(work, 'crash-child.mjs');
    await writeFile(
      script,
      `const { createProviderRegistry } = await import(process.env.CORE_URL);
const { cacheDir, mock, images } = JSON.parse(process.argv[2]);
const registry = createProviderRegistry({ cacheDir, lockfile: false, env: {} });
const provider = await registry.getProvider(mock, { config: { trainingMs: 50 } });
for (let i = 0; i < 400; i++) {
  const job = await provider.createTrainingJob({ data: images });
  process.stdout.write(job.id + '\\n');
  for (let j = 0; j < 3; j++) await job.status();
}`,
    );
    const proc = spawn(process.execPath, [script, JSON.stringify({ cacheDir: join(work, cache), mock: MOCK, images })], {
      env: { ...process.env, CORE_URL: CORE },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the child wrote no jobs in 60 s')), 60_000);
      proc.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.split('\n').length > 25) {
          clearTimeout(timer);
          proc.kill('SIGKILL');
          resolve();
        }
      });
      proc.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await new Promise((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve(undefined) : proc.on('exit', resolve)));
    const written = text.split('\n').filter((line) => line.startsWith('mockft-'));
    expect(written.length).toBeGreaterThanOrEqual(20);
    const problems: string[] = [];
    const r = registry({ logger: { ...quiet, warn: (m: string) => problems.push(m) } }, cache);
    const listed = (await r.trainingJobs()).map((j) => j.job.id);
    expect(problems).toEqual([]);
    expect(listed).toEqual(expect.arrayContaining(written));
  });

  it('checks every file at once: a missing path does not hide a bad file, and a folder of only subfolders is named', async () => {
    const r = registry();
    const mock = await r.getProvider(MOCK, { config: { trainingMs: 100 } });
    const nested = join(work, `nested-${randomBytes(3).toString('hex')}`);
    await mkdir(join(nested, 'inner'), { recursive: true });
    await writeFile(join(nested, 'inner', 'photo.png'), picture(512, 9));
    const broken = join(work, `broken-${randomBytes(3).toString('hex')}.png`);
    await writeFile(broken, picture(512, 9).subarray(0, 100));
    const error = await failure(mock.createTrainingJob!({ data: [join(work, 'no-such-folder'), nested, broken, join(images, 'photo-0.png')] }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/no-such-folder: does not exist/);
    expect(error.message).toMatch(/nested-[0-9a-f]+: folder has no files, only subfolders/);
    expect(error.message).toMatch(/broken-[0-9a-f]+\.png: corrupt image: the PNG is truncated/);
    expect((error.details.problems as unknown[]).length).toBe(3);
  });

  it('resuming a job from another process keeps what was recorded: the training files and every parameter', async () => {
    const cache = `cache-${randomBytes(3).toString('hex')}`;
    const first = registry({ now: () => Date.parse('2026-01-01T00:00:00Z') }, cache);
    const mock = await first.getProvider(MOCK, { config: { trainingMs: 60_000 } });
    const job = await mock.createTrainingJob!({ data: images, triggerWord: 'kept', learningRate: 0.0003, loraRank: 32 });
    // Another process: a new provider instance, which knows only what the job id tells it.
    const second = registry({ now: () => Date.parse('2026-01-01T00:00:10Z') }, cache);
    const resumed = await second.resumeTrainingJob(job.id);
    expect((await resumed.status()).status).toBe('running');
    const [stored] = await second.trainingJobs();
    expect(stored!.job).toMatchObject({
      status: 'running',
      trainingFiles: ['photo-0.png', 'photo-1.png', 'photo-2.png', 'photo-3.png', 'photo-4.png'],
      parameters: { learningRate: 0.0003, loraRank: 32, triggerWord: 'kept', epochs: 100, batchSize: 1 },
    });
  });

  it('a final state is final: a cancel from another process ends the job everywhere, and its LoRA never generates', async () => {
    const cache = `cache-${randomBytes(3).toString('hex')}`;
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = { now: () => now };
    const first = registry(clock, cache);
    const mock = await first.getProvider(MOCK, { config: { trainingMs: 60_000 } });
    const job = await mock.createTrainingJob!({ data: images });
    now += 10_000;
    // The second shell: mediaconduit train cancel <id>.
    const second = registry(clock, cache);
    expect((await (await second.resumeTrainingJob(job.id)).cancel()).status).toBe('cancelled');
    // The first process sees it at its next read, and after the time the job would have completed.
    expect((await job.status()).status).toBe('cancelled');
    now += 120_000;
    expect((await job.status()).status).toBe('cancelled');
    expect((await failure(job.wait({ pollIntervalMs: 0 }))).code).toBe('TRAINING_FAILED');
    const third = registry(clock, cache);
    expect((await third.resumeTrainingJob(job.id)).info.status).toBe('cancelled');
    expect((await third.trainingJobs())[0]!.job.status).toBe('cancelled');
    const lora = await failure(mock.getModel(job.info.outputModel!));
    expect(lora).toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringMatching(/is cancelled/) });
  });

  it('a record without the fields it needs is skipped with a warning naming the file, never a TypeError', async () => {
    const cache = `cache-${randomBytes(3).toString('hex')}`;
    const r = registry({ now: () => Date.parse('2026-01-01T00:00:00Z') }, cache);
    const mock = await r.getProvider(MOCK, { config: { trainingMs: 60_000 } });
    const job = await mock.createTrainingJob!({ data: images });
    const dir = join(work, cache, 'state', 'training');
    await writeFile(
      join(dir, 'hand-written.json'),
      JSON.stringify({ format: 'mediaconduit-training-job@1', specifier: MOCK, providerId: 'mock', job: { id: 'x', status: 'running' } }),
    );
    const warnings: string[] = [];
    const reader = registry({ logger: { ...quiet, warn: (m: string) => warnings.push(m) } }, cache);
    expect((await reader.trainingJobs()).map((j) => j.job.id)).toEqual([job.id]);
    expect(warnings).toEqual([expect.stringMatching(/skipped .*hand-written\.json: .*without job\.createdAt, job\.updatedAt/)]);
  });

  it('an unwritable job store fails before the job starts, with FILE_SYSTEM_ERROR', async () => {
    const blocker = join(work, 'a-file');
    await writeFile(blocker, 'not a folder');
    const r = registry({ trainingDir: join(blocker, 'training') });
    const mock = await r.getProvider(MOCK, { config: { trainingMs: 100 } });
    const error = await failure(mock.createTrainingJob!({ data: images }));
    expect(error.code).toBe('FILE_SYSTEM_ERROR');
    expect(error.message).toMatch(/training job store .*MEDIACONDUIT_TRAINING_DIR/);
    expect(await mock.listTrainingJobs!()).toEqual([]);
  });
});

describe('training on Together, through the registry', () => {
  /** A one-example chat data set, written to `name` in the work folder. */
  async function chatData(name: string): Promise<string> {
    const data = join(work, name);
    await writeFile(
      data,
      `${JSON.stringify({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
        ],
      })}\n`,
    );
    return data;
  }

  it('records the job without the API key, and a new registry resumes it with the key from its own config', async () => {
    const cache = `cache-${randomBytes(3).toString('hex')}`;
    const data = await chatData('chat.jsonl');
    const r = registry({}, cache);
    const together = await r.getProvider(TOGETHER, { config: { apiKey: KEY, baseURL: fake.baseURL } });
    const job = await together.createTrainingJob!({ baseModel: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', data, epochs: 1 });
    const [stored] = await r.trainingJobs();
    expect(stored).toMatchObject({ providerId: 'together', config: { baseURL: fake.baseURL }, job: { id: job.id, status: 'pending' } });
    expect(stored!.config).not.toHaveProperty('apiKey');
    const dir = join(work, cache, 'state', 'training');
    for (const name of await readdir(dir)) expect(await readFile(join(dir, name), 'utf8')).not.toContain(KEY);

    fake.advance(10_000);
    const later = registry({}, cache);
    const resumed = await later.resumeTrainingJob(job.id, { config: { apiKey: KEY } });
    const done = await resumed.wait({ pollIntervalMs: 0 });
    expect(done.status).toBe('completed');
    expect((await later.trainingJobs())[0]!.job.status).toBe('completed');
    const chat = await (await later.getProvider(TOGETHER, { config: { apiKey: KEY, baseURL: fake.baseURL } })).getModel(done.outputModel!, { capability: 'text-to-text' });
    expect((await chat.transform('after training')).text).toBe('You said: after training');
  });

  it('a watcher gives up on a job it cannot read: at once without a key, after giveUpAfterMs while Together is down; the next watcher tries again', async () => {
    const cache = `cache-${randomBytes(3).toString('hex')}`;
    const data = await chatData('chat-watch.jsonl');
    const started = await registry({}, cache)
      .getProvider(TOGETHER, { config: { apiKey: KEY, baseURL: fake.baseURL } })
      .then((together) => together.createTrainingJob!({ baseModel: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', data, epochs: 1 }));
    type Problem = Extract<TrainingWatchEvent, { type: 'problem' }>;
    const problemsOf = (events: TrainingWatchEvent[]) => events.filter((e): e is Problem => e.type === 'problem');

    // No key: a reason that will not pass by itself. The first round gives up, and the loop ends.
    const keyless: TrainingWatchEvent[] = [];
    const noKey = registry({}, cache).watchTrainingJobs({ pollIntervalMs: 0, onEvent: (e) => keyless.push(e) });
    await noKey.done;
    expect(problemsOf(keyless)).toEqual([
      expect.objectContaining({ jobId: started.id, givenUp: true, error: expect.objectContaining({ code: 'MISSING_API_KEY', retryable: false }) }),
    ]);
    expect(keyless.map((e) => e.type)).toEqual(['problem', 'idle']);
    expect((await registry({}, cache).checkTrainingJobs()).givenUp.map((j) => j.job.id)).toEqual([started.id]);

    // Together down (503, a reason that may pass): tried each round until it has failed for 30 minutes of the registry's clock.
    fake.addFault({ path: '/fine-tunes', status: 503, times: 1000 });
    let now = Date.parse('2026-01-01T00:00:00Z');
    const down: TrainingWatchEvent[] = [];
    const watcher = registry({ now: () => now }, cache).watchTrainingJobs({
      config: { apiKey: KEY },
      pollIntervalMs: 0,
      giveUpAfterMs: 30 * 60_000,
      onEvent: (e) => {
        down.push(e);
        if (e.type === 'problem') now += 10 * 60_000; // each failed read moves the clock 10 minutes on
      },
    });
    await watcher.done;
    const failed = problemsOf(down);
    expect(failed.map((p) => [p.error.code, p.error.retryable, p.givenUp ?? false])).toEqual([
      ['PROVIDER_ERROR', true, false],
      ['PROVIDER_ERROR', true, false],
      ['PROVIDER_ERROR', true, false],
      ['PROVIDER_ERROR', true, true],
    ]);
    expect(failed.every((p) => !p.error.message.includes(KEY))).toBe(true);
    // Nothing about the job changed in the store: a new watcher, with Together back, follows it to its end.
    fake.reset();
    fake.advance(10_000);
    const back: TrainingWatchEvent[] = [];
    await registry({}, cache).watchTrainingJobs({ config: { apiKey: KEY }, pollIntervalMs: 0, onEvent: (e) => back.push(e) }).done;
    expect(problemsOf(back)).toEqual([]);
    expect((await registry({}, cache).trainingJobs())[0]!.job.status).toBe('completed');

    expect(() => registry({}, cache).watchTrainingJobs({ giveUpAfterMs: -1 })).toThrow(/giveUpAfterMs must be a number of at least 0/);
  });
});
