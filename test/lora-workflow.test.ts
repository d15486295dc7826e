// One image-LoRA workflow across services, as an application runs it: the fal provider loaded
// from Git into a process of its own trains a FLUX LoRA on the fake fal server; the job is
// recorded, and a watcher in another registry follows it round by round (the fake's clock moves
// only when told), records each change, and makes sample images; the LoRA is then served by
// Together's FLUX through its weights URL, with fal as the fallback.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createProviderRegistry,
  encodePng,
  Image,
  type ImageModelV1,
  type ProviderRegistry,
  type ProviderRegistryOptions,
  publishAdapter,
  readImageInfo,
  type TrainingWatchEvent,
  withAdapters,
} from '@mediaconduit/core';
import { type FakeFalServer, startFakeFal } from '@mediaconduit/fal-provider/testing';
import { unzipSync } from 'fflate';
import type { NpmRegistry } from '@mediaconduit/testing';
import { type FakeTogetherServer, startFakeTogether } from '@mediaconduit/together-provider/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commitProviders, startFalDependencies } from './support/provider-repo.js';

const TOGETHER_KEY = 'sk-lora-workflow-together-key';
let work: string;
let pictures: string;
let FAL: string;
let TOGETHER: string;
let MOCK: string;
let npm: NpmRegistry;
let fal: FakeFalServer;
let together: FakeTogetherServer;
let registries: ProviderRegistry[] = [];
const quiet = { debug() {}, warn() {}, error() {} };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-lora-workflow-'));
  npm = await startFalDependencies();
  ({ FAL, TOGETHER, MOCK } = await commitProviders(work, { fal: npm }));
  pictures = join(work, 'pictures');
  await mkdir(pictures);
  for (let i = 0; i < 6; i++) await writeFile(join(pictures, `cat-${i}.png`), encodePng(512, 512, new Uint8Array(512 * 512 * 3).fill(20 + 30 * i)));
  await writeFile(join(pictures, 'cat-0.txt'), 'a photo of TOK cat asleep');
  fal = await startFakeFal({ clock: 'manual', timings: { queuePositionMs: 1000, trainingMs: 60_000, inferenceMs: 1 } });
  together = await startFakeTogether({ apiKey: TOGETHER_KEY });
});
afterAll(async () => {
  await Promise.all([fal.close(), together.close(), npm.close()]);
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(registries.map((r) => r.close()));
  registries = [];
});

/** A registry as an application makes one: providers from Git in processes of their own, the hosts keeping both keys. */
function registry(options: ProviderRegistryOptions = {}): ProviderRegistry {
  const created = createProviderRegistry({
    cacheDir: join(work, 'cache'),
    trainingDir: join(work, 'training'),
    lockfile: false,
    isolation: 'process',
    npmRegistry: npm.url,
    retry: false,
    env: { FAL_KEY: fal.key, FAL_BASE_URL: fal.origin, TOGETHER_API_KEY: TOGETHER_KEY, TOGETHER_BASE_URL: together.baseURL },
    secretOrigins: { FAL_KEY: [fal.origin], TOGETHER_API_KEY: [new URL(together.baseURL).origin] },
    logger: quiet,
    ...options,
  });
  registries.push(created);
  return created;
}

describe('an image LoRA trained on fal and served on Together and fal', () => {
  it('is trained, recorded, watched with samples from another registry, and served through a cross-service chain', async () => {
    const app = registry();
    const provider = await app.getProvider(FAL);
    const job = await provider.createTrainingJob!({ data: pictures, triggerWord: 'TOK', steps: 200 });
    expect((await app.trainingJobs()).map((j) => [j.specifier, j.job.id, j.job.status])).toEqual([[FAL, job.id, 'queued']]);
    // The pictures and the caption crossed into the provider's process, and up to the fake as one zip.
    expect(fal.jobs()[0]!.input).toMatchObject({ trigger_word: 'TOK', steps: 200, is_style: false, create_masks: true });

    // A worker in another registry (as another process would be) follows the job round by round.
    const worker = registry();
    const events: TrainingWatchEvent[] = [];
    const watch = { samplePrompts: ['{trigger} cat on a windowsill', 'a cat on a windowsill'], onEvent: (e: TrainingWatchEvent) => events.push(e) };
    const changes = () => events.flatMap((e) => (e.type === 'change' ? [`${e.previous ?? 'new'}→${e.job.job.status}`] : []));
    expect((await worker.checkTrainingJobs(watch)).unfinished.map((j) => j.job.id)).toEqual([job.id]);
    expect(changes()).toEqual(['new→queued']);
    fal.advance(1000 + 30_000);
    await worker.checkTrainingJobs(watch);
    expect(changes()).toEqual(['new→queued', 'queued→running']);
    const running = (await worker.trainingJobs())[0]!.job;
    expect(running.progress).toMatchObject({ step: 100, totalSteps: 200, percent: 50 });
    fal.advance(30_000);
    const last = await worker.checkTrainingJobs(watch);
    expect(last).toEqual({ unfinished: [], givenUp: [], samplesOwed: 0 });
    expect(changes()).toEqual(['new→queued', 'queued→running', 'running→completed']);

    // The record holds the weights URL (fal keeps results about an hour) and the samples' paths.
    const [record] = await worker.trainingJobs();
    const weights = record!.job.artifacts!.find((a) => a.kind === 'weights')!;
    expect(record!.job).toMatchObject({ status: 'completed', outputModel: `fal-ai/flux-lora:${weights.url}`, trainingFiles: expect.arrayContaining(['cat-0.png']) });
    expect(record!.samples!.map((s) => s.prompt)).toEqual(['TOK cat on a windowsill', 'a cat on a windowsill']);
    for (const sample of record!.samples!) {
      expect(sample.path).toContain(join(work, 'training', 'files'));
      expect(readImageInfo(await readFile(sample.path!))).toMatchObject({ mimeType: 'image/jpeg' });
    }
    expect(events.filter((e) => e.type === 'sample')).toHaveLength(2);
    const sampleCalls = fal.requests.filter((r) => r.service === 'run').map((r) => r.json as { prompt: string; loras: unknown });
    expect(sampleCalls).toEqual([
      expect.objectContaining({ prompt: 'TOK cat on a windowsill', loras: [{ path: weights.url, scale: 1 }] }),
      expect.objectContaining({ prompt: 'a cat on a windowsill', loras: [{ path: weights.url, scale: 1 }] }),
    ]);
    // Another round, after a restart of the worker: nothing left to do, nothing done twice.
    const restarted = registry();
    const again: TrainingWatchEvent[] = [];
    expect(await restarted.checkTrainingJobs({ ...watch, onEvent: (e) => again.push(e) })).toEqual({ unfinished: [], givenUp: [], samplesOwed: 0 });
    expect(again).toEqual([]);

    // Hours later fal has dropped the result; the job is answered from its record.
    fal.advance(3 * 3_600_000);
    const resumed = await restarted.resumeTrainingJob(job.id);
    expect((await resumed.wait()).outputModel).toBe(record!.job.outputModel);

    // Served on Together's FLUX by its weights URL first, and on fal second.
    const onTogether = withAdapters((await (await app.getProvider(TOGETHER)).getModel('black-forest-labs/FLUX.1-dev', { capability: 'text-to-image' })) as ImageModelV1, [
      { path: weights.url },
    ]);
    const onFal = (await provider.getModel(record!.job.outputModel!, { capability: 'text-to-image' })) as ImageModelV1;
    const chain = app.withFallback([onTogether, onFal], { name: 'tok-cat' });
    const first = await chain.transform('TOK cat wearing a hat', { width: 256, height: 256 });
    expect(Image.isInstance(first) && first.metadata.provider).toBe('together');
    expect(together.requests.at(-1)!.json).toMatchObject({ model: 'black-forest-labs/FLUX.1-dev', image_loras: [{ path: weights.url, scale: 1 }] });
    together.addFault({ path: '/images/generations', status: 503 });
    const second = await chain.transform('TOK cat wearing a hat', { width: 256, height: 256 });
    expect(second.metadata.provider).toBe('fal');
    // fal prices fal-ai/flux-lora by the megapixel (0.035 USD in the fake): 256 × 256 is 0.065536 MP.
    expect(second.metadata.costUsd).toBeCloseTo(0.065536 * 0.035, 10);
    // Each call counted once, through the chain, by the model that served it.
    expect(app.usage().byModel['together/black-forest-labs/FLUX.1-dev']).toMatchObject({ calls: 2, failures: 1, costUsd: 0.025 });
    expect(fal.requests.filter((r) => r.service === 'run').at(-1)!.json).toMatchObject({ prompt: 'TOK cat wearing a hat', loras: [{ path: weights.url, scale: 1 }] });
    // Neither key crossed into a provider's process, nor into the job store.
    const stored = JSON.stringify(await app.trainingJobs());
    expect(stored).not.toContain(fal.key);
    expect(stored).not.toContain(TOGETHER_KEY);
  });

  it('a LoRA trained on the mock is published through fal’s storage and served on Together’s FLUX by its weights URL, with the mock as the fallback', async () => {
    const app = registry();
    const mock = await app.getProvider(MOCK, { config: { trainingMs: 0 } });
    const done = await (await mock.createTrainingJob!({ data: pictures, triggerWord: 'TOK' })).wait();
    const weights = done.artifacts!.find((a) => a.kind === 'weights')!;
    expect(weights.url).toMatch(/^data:application\/octet-stream;base64,/);

    // Together downloads LoRAs by http(s) URL only: the inline weights are refused before a request, with the fix.
    const flux = (await (await app.getProvider(TOGETHER)).getModel('black-forest-labs/FLUX.1-dev', { capability: 'text-to-image' })) as ImageModelV1;
    const sent = together.requests.length;
    await expect(flux.transform('TOK cat', { adapters: [{ path: weights.url }] })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('publishAdapter'),
    });
    expect(together.requests.length).toBe(sent);
    // Without storage, publishing says what to pass.
    await expect(publishAdapter(done)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });

    // Published through fal's storage (from fal's process, the bytes crossing from this one): the file at the URL is the weights, whole.
    const falProvider = await app.getProvider(FAL);
    const adapter = await publishAdapter(done, { storage: falProvider, scale: 0.9 });
    expect(adapter.path).toMatch(new RegExp(`^${fal.origin}/files/.+/mock-lora-TOK-[0-9a-f]{6}\\.safetensors$`));
    const file = fal.file(adapter.path)!;
    expect(Buffer.from(file.bytes).equals(Buffer.from(weights.url.slice(weights.url.indexOf(',') + 1), 'base64'))).toBe(true);
    expect(file.contentType).toBe('application/octet-stream');
    // Weights kept in a file of this machine are copied into fal's process for the upload, and named as they were.
    const kept = join(work, 'kept-lora.safetensors');
    await writeFile(kept, file.bytes);
    const fromFile = await publishAdapter(kept, { storage: falProvider });
    expect(fromFile.path).toMatch(/\/kept-lora\.safetensors$/);
    expect(Buffer.from(fal.file(fromFile.path)!.bytes).equals(Buffer.from(file.bytes))).toBe(true);

    // Served on Together first, by that URL; on the mock second, by the same weights.
    const onMock = withAdapters((await mock.getModel('mock/gradient-1', { capability: 'text-to-image' })) as ImageModelV1, [{ path: weights.url }]);
    const chain = app.withFallback([withAdapters(flux, [adapter]), onMock], { name: 'mock-tok' });
    const first = await chain.transform('TOK cat wearing a hat', { width: 256, height: 256 });
    expect(first.metadata.provider).toBe('together');
    expect(together.requests.at(-1)!.json).toMatchObject({ image_loras: [{ path: adapter.path, scale: 0.9 }] });
    together.addFault({ path: '/images/generations', status: 503 });
    const second = await chain.transform('TOK cat wearing a hat', { width: 256, height: 256, seed: 5 });
    expect(second.metadata.provider).toBe('mock');
    const trained = (await mock.getModel(done.outputModel!, { capability: 'text-to-image' })) as ImageModelV1;
    const direct = await trained.transform('TOK cat wearing a hat', { width: 256, height: 256, seed: 5 });
    expect(Buffer.from(second.toBytes()).equals(Buffer.from(direct.toBytes()))).toBe(true);
  });

  it('takes pictures named one by one with their captions into the provider’s process, and cancels the job from another registry', async () => {
    const app = registry();
    const provider = await app.getProvider(FAL);
    const files = [0, 1, 2, 3, 4].map((i) => join(pictures, `cat-${i}.png`));
    const job = await provider.createTrainingJob!({ data: files, triggerWord: 'TOK' });
    const zip = unzipSync(fal.file(String(fal.jobs().find((j) => j.requestId === job.id.split(':')[1])!.input.images_data_url))!.bytes);
    expect(Object.keys(zip).sort()).toEqual(['001-cat-0.png', '001-cat-0.txt', '002-cat-1.png', '003-cat-2.png', '004-cat-3.png', '005-cat-4.png']);
    expect(new TextDecoder().decode(zip['001-cat-0.txt'])).toBe('a photo of TOK cat asleep');
    const elsewhere = registry();
    const cancelled = await (await elsewhere.resumeTrainingJob(job.id)).cancel();
    expect(cancelled).toMatchObject({ status: 'cancelled', providerStatus: 'COMPLETED' });
    expect((await app.trainingJobs()).find((j) => j.job.id === job.id)?.job.status).toBe('cancelled');
    await expect((await app.resumeTrainingJob(job.id)).wait()).rejects.toMatchObject({ code: 'TRAINING_FAILED' });
  });

  it('runs the watcher as a loop that ends by itself when every job has ended, and records no job whose upload failed', async () => {
    const app = registry();
    const provider = await app.getProvider(FAL);
    fal.addFault({ stage: 'upload', status: 500 });
    await expect(provider.createTrainingJob!({ data: pictures, triggerWord: 'TOK' })).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    const before = (await app.trainingJobs()).length;
    const job = await provider.createTrainingJob!({ data: pictures, triggerWord: 'TOK', steps: 100 });
    expect((await app.trainingJobs()).length).toBe(before + 1);
    // The loop reads every 1 ms; each time it sees the job, the test moves fal's clock on by a phase.
    const statuses: string[] = [];
    const watcher = app.watchTrainingJobs({ pollIntervalMs: 1 });
    watcher.on('change', (event: Extract<TrainingWatchEvent, { type: 'change' }>) => {
      if (event.job.job.id !== job.id) return;
      statuses.push(event.job.job.status);
      fal.advance(31_000);
    });
    const idle = new Promise<void>((resolve) => watcher.once('idle', () => resolve()));
    await watcher.done;
    await idle;
    expect(statuses[0]).toBe('queued');
    expect(statuses.at(-1)).toBe('completed');
    // For ever: `idle` once when the last job ends, not every round; a new job is followed; the watcher ends with the registry.
    const forever = app.watchTrainingJobs({ forever: true, pollIntervalMs: 1 });
    const seen: string[] = [];
    let next: string | undefined;
    const secondIdle = new Promise<void>((resolve) =>
      forever.on('event', (event: TrainingWatchEvent) => {
        if (event.type === 'idle') {
          seen.push('idle');
          if (seen.filter((e) => e === 'idle').length === 2) resolve();
          else void provider.createTrainingJob!({ data: pictures, triggerWord: 'TOK', steps: 100 }).then((j) => (next = j.id));
        } else if (event.type === 'change' && event.job.job.id !== job.id) {
          seen.push(event.job.job.status);
          fal.advance(31_000);
        }
      }),
    );
    await secondIdle;
    await app.close();
    await forever.done;
    expect(seen[0]).toBe('idle');
    expect(seen.at(-2)).toBe('completed');
    expect(seen.at(-1)).toBe('idle');
    expect(seen.filter((e) => e === 'idle')).toHaveLength(2);
    expect((await registry().trainingJobs()).find((j) => j.job.id === next)?.job.status).toBe('completed');
  });
});
