// FLUX LoRA training on fal, against the fake fal server on a manual clock: the data checked before
// anything is uploaded, the zip (captions beside their pictures) uploaded through fal's storage,
// the job followed through the queue (position, logs, cancel), its result served as a model, and
// every fault typed.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { createHttpClient, encodePng, Image, type ImageModelV1, MediaConduitError, type TrainingJobInfoV1 } from '@mediaconduit/core';
import { unzipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFal } from '../src/index.js';
import { type FakeFalServer, startFakeFal } from '../src/testing/index.js';

let work: string;
let pictures: string;
let fake: FakeFalServer;
const quiet = { debug() {}, warn() {}, error() {} };
const T0 = Date.parse('2026-03-01T10:00:00Z');

const picture = (side: number, shade: number) => encodePng(side, side, new Uint8Array(side * side * 3).fill(shade));

/** `png` with a `tEXt` chunk of `bytes` bytes before its end: a whole PNG of about that size. */
function withTextChunk(png: Uint8Array, bytes: number): Buffer {
  const data = Buffer.concat([Buffer.from('Comment\0'), Buffer.alloc(bytes, 'a')]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const end = png.length - 12; // the IEND chunk
  return Buffer.concat([png.subarray(0, end), chunk, png.subarray(end)]);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-fal-training-'));
  pictures = join(work, 'pictures');
  await mkdir(pictures);
  for (let i = 0; i < 5; i++) await writeFile(join(pictures, `dog-${i}.png`), picture(512, 30 * i));
  await writeFile(join(pictures, 'dog-0.txt'), 'a photo of TOK dog on grass\n');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  // A queue position lasts 1 s and a training run 60 s, on a clock that moves only when told.
  fake = await startFakeFal({ clock: 'manual', timings: { queuePositionMs: 1000, trainingMs: 60_000, inferenceMs: 1 }, queueAhead: 2 });
});
afterEach(async () => {
  await fake.close();
});

const fal = (settings: Record<string, unknown> = {}) =>
  createFal({ apiKey: fake.key, baseURL: fake.origin, createHttpClient, logger: quiet, now: () => T0, trainingPollMs: 0, ...settings });

async function failure(promise: Promise<unknown>): Promise<MediaConduitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!MediaConduitError.isInstance(error)) throw new Error(`expected a MediaConduitError, got ${String(error)}`);
  return error;
}

describe('training a FLUX LoRA on fal', () => {
  it('uploads the checked pictures as a zip with their captions, and follows the job from queue to a served LoRA', async () => {
    const provider = fal();
    const warnings: string[] = [];
    const job = await provider.createTrainingJob!({ data: pictures, triggerWord: 'TOK', steps: 500, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(job.id).toMatch(/^fal-ai\/flux-lora-fast-training:[0-9a-f-]{36}$/);
    expect(job.info).toMatchObject({
      status: 'queued',
      providerStatus: 'IN_QUEUE',
      progress: { queuePosition: 2 },
      baseModel: 'fal-ai/flux/dev',
      trainingFiles: ['dog-0.png', 'dog-1.png', 'dog-2.png', 'dog-3.png', 'dog-4.png'],
      parameters: { steps: 500, triggerWord: 'TOK', isStyle: false, createMasks: true, trainer: 'fal-ai/flux-lora-fast-training' },
      createdAt: new Date(T0).toISOString(),
      // fal's price for the trainer: 0.002 USD a step in the fake.
      costUsd: 1,
    });

    // Storage: initiate with the key, then the bytes PUT to the signed URL without it.
    const initiate = fake.requests.find((r) => r.service === 'rest')!;
    expect(initiate).toMatchObject({ method: 'POST', path: '/storage/upload/initiate', query: { storage_type: 'fal-cdn-v3' } });
    expect(initiate.json).toEqual({ content_type: 'application/zip', file_name: 'training-images.zip' });
    const put = fake.requests.find((r) => r.service === 'upload')!;
    expect([put.method, put.headers['content-type'], put.headers.authorization]).toEqual(['PUT', 'application/zip', undefined]);
    const submitted = fake.jobs()[0]!;
    expect(submitted.input).toEqual({
      images_data_url: expect.stringMatching(/\/files\/.+\/training-images\.zip$/),
      steps: 500,
      create_masks: true,
      trigger_word: 'TOK',
      is_style: false,
    });
    const zip = unzipSync(fake.file(String(submitted.input.images_data_url))!.bytes);
    expect(Object.keys(zip).sort()).toEqual(['001-dog-0.png', '001-dog-0.txt', '002-dog-1.png', '003-dog-2.png', '004-dog-3.png', '005-dog-4.png']);
    expect(new TextDecoder().decode(zip['001-dog-0.txt'])).toBe('a photo of TOK dog on grass');

    // The queue, then the run with its logs as progress, then the result.
    fake.advance(1500);
    expect((await job.status()).progress).toEqual({ queuePosition: 1 });
    fake.advance(1500 + 30_000);
    const running = await job.status();
    expect(running).toMatchObject({ status: 'running', providerStatus: 'IN_PROGRESS', progress: { step: 250, totalSteps: 500, percent: 50, message: 'step 250/500' } });
    const events = await job.events();
    expect(events[0]).toMatchObject({ type: 'log', level: 'info', message: 'Starting fal-ai/flux-lora-fast-training' });
    expect(events.at(-1)).toMatchObject({ type: 'log', message: 'step 250/500', step: 250 });
    fake.advance(30_000);
    const seen: string[] = [];
    const done = await job.wait({ onProgress: (info) => seen.push(info.status) });
    expect(seen).toEqual(['completed']);
    expect(done.status).toBe('completed');
    const weights = done.artifacts!.find((a) => a.kind === 'weights')!;
    expect(weights).toMatchObject({ fileName: 'pytorch_lora_weights.safetensors', contentType: 'application/octet-stream' });
    expect(done.artifacts!.map((a) => a.kind)).toEqual(['weights', 'config']);
    expect(done.outputModel).toBe(`fal-ai/flux-lora:${weights.url}`);
    expect(await job.checkpoints()).toEqual([{ step: 500, createdAt: done.updatedAt, path: weights.url, type: 'final' }]);
    expect((await job.events()).at(-1)).toMatchObject({ type: 'job_completed', message: done.outputModel });
    expect(await provider.listTrainingJobs!()).toEqual([done]);

    // The trained model generates with the LoRA applied; the trigger word changes the picture.
    const lora = (await provider.getModel(done.outputModel!, { capability: 'text-to-image' })) as ImageModelV1;
    const withWord = await lora.transform('TOK dog in the snow', { width: 64, height: 64, seed: 1 });
    const without = await lora.transform('a dog in the snow', { width: 64, height: 64, seed: 1 });
    expect(Image.isInstance(withWord) && withWord.width).toBe(64);
    expect(Buffer.compare(withWord.toBytes(), without.toBytes())).not.toBe(0);
    expect(fake.requests.filter((r) => r.service === 'run').map((r) => r.json)).toEqual([
      expect.objectContaining({ prompt: 'TOK dog in the snow', loras: [{ path: weights.url, scale: 1 }] }),
      expect.objectContaining({ prompt: 'a dog in the snow', loras: [{ path: weights.url, scale: 1 }] }),
    ]);
    await provider.dispose();
  });

  it('follows a job from another provider instance by its id, and reads a result fal no longer holds as a job that failed and says why', async () => {
    const first = fal();
    const job = await first.createTrainingJob!({ data: pictures, triggerWord: 'TOK' });
    await first.dispose();
    const second = fal({ now: () => T0 + 5000 });
    const resumed = await second.getTrainingJob!(job.id);
    expect(resumed.info).toMatchObject({ id: job.id, status: 'queued', progress: { queuePosition: 2 }, parameters: { trainer: 'fal-ai/flux-lora-fast-training' } });
    await expect(second.getTrainingJob!('fal-ai/flux-lora-fast-training:not a uuid')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const unknown = await failure(second.getTrainingJob!('fal-ai/flux-lora-fast-training:00000000-0000-4000-8000-000000000000'));
    expect([unknown.code, unknown.message]).toEqual(['INVALID_INPUT', expect.stringMatching(/fal knows no request .* keeps requests about an hour/)]);

    // Two hours later: the status still says COMPLETED, the result is gone.
    fake.advance(2 * 3_600_000);
    const late = await failure(resumed.wait());
    expect(late.code).toBe('TRAINING_FAILED');
    expect((late.details as { job: TrainingJobInfoV1 }).job).toMatchObject({ status: 'failed', providerStatus: 'COMPLETED' });
    expect(late.message).toMatch(/fal no longer holds its result \(fal keeps results for about an hour.*the registry records the weights URL/);
    await second.dispose();
  });

  it('cancels a queued job (202), and refuses to cancel a job that ended (400) or that fal does not know (404)', async () => {
    const provider = fal();
    const job = await provider.createTrainingJob!({ data: pictures, triggerWord: 'TOK' });
    const cancelled = await job.cancel();
    expect(cancelled).toMatchObject({ status: 'cancelled', providerStatus: 'COMPLETED' });
    expect(fake.jobs()[0]).toMatchObject({ cancelled: true, errorType: 'client_cancelled' });
    await expect(job.wait()).rejects.toMatchObject({ code: 'TRAINING_FAILED', message: expect.stringMatching(/was cancelled/) });

    const other = await provider.createTrainingJob!({ data: pictures, triggerWord: 'TOK' });
    fake.advance(10 * 60_000);
    expect((await other.wait()).status).toBe('completed');
    const late = await failure(other.cancel());
    expect([late.code, late.status, late.message]).toEqual(['INVALID_INPUT', 400, expect.stringMatching(/already ended \(completed\)/)]);
    await provider.dispose();
  });

  it('maps a trainer that fails the job (422 from the run) to a failed job with fal’s words', async () => {
    const provider = fal();
    fake.addFault({ stage: 'run', endpoint: 'fal-ai/flux-lora-fast-training', errorType: 'runner_server_error', detail: 'the GPU fell over' });
    const job = await provider.createTrainingJob!({ data: pictures, triggerWord: 'TOK' });
    fake.advance(10 * 60_000);
    const failed = await failure(job.wait());
    expect(failed.code).toBe('TRAINING_FAILED');
    expect((failed.details as { job: TrainingJobInfoV1 }).job).toMatchObject({ status: 'failed', error: 'the GPU fell over (runner_server_error)' });
    await provider.dispose();
  });

  it('trains on the portrait trainer with its own field names and defaults', async () => {
    const provider = fal();
    const warnings: string[] = [];
    const job = await provider.createTrainingJob!({
      data: pictures,
      trainer: 'fal-ai/flux-lora-portrait-trainer',
      triggerWord: 'Ada Lovelace',
      learningRate: 0.0002,
      onWarning: (w) => warnings.push(w),
    });
    expect(warnings).toEqual(['only 5 image(s); 10 or more give a LoRA that generalises']);
    expect(fake.jobs()[0]!.input).toEqual({
      images_data_url: expect.any(String),
      steps: 2500,
      create_masks: false,
      trigger_phrase: 'Ada Lovelace',
      learning_rate: 0.0002,
    });
    expect(job.info.parameters).toMatchObject({ trainer: 'fal-ai/flux-lora-portrait-trainer', learningRate: 0.0002, steps: 2500 });
    expect(job.info.costUsd).toBe(6);
    await provider.dispose();
  });

  it('refuses, naming each, the parameters a trainer has no field for; checks the data before anything is sent', async () => {
    const provider = fal();
    // The third document's defaults: fal's fast trainer has none of these fields.
    const seeds = await failure(provider.createTrainingJob!({ data: pictures, learningRate: 0.0002, epochs: 100, batchSize: 1, resolution: 1024 }));
    expect(seeds.code).toBe('INVALID_INPUT');
    expect(seeds.message).toMatch(/learningRate: fal-ai\/flux-lora-fast-training has no such parameter; only fal-ai\/flux-lora-portrait-trainer takes a learning rate/);
    expect(seeds.message).toMatch(/epochs: .*pass steps/);
    expect(seeds.message).toMatch(/batchSize: /);
    expect(seeds.message).toMatch(/resolution: /);
    expect((seeds.details as { refused: string[] }).refused).toHaveLength(4);
    const typo = await failure(provider.createTrainingJob!({ data: pictures, trigger_word: 'x' } as never));
    expect(typo.message).toMatch(/trigger_word: not a training option/);
    await expect(provider.createTrainingJob!({ data: pictures, baseModel: 'fal-ai/flux/schnell' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/train LoRAs of FLUX.1 \[dev\]/),
    });
    await expect(provider.createTrainingJob!({ data: pictures, trainer: 'fal-ai/sdxl-trainer' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(provider.createTrainingJob!({ data: pictures, steps: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/steps must be/) });

    // Bad data: every file named in one error; a caption without its picture too.
    const bad = join(work, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'good.png'), picture(512, 9));
    await writeFile(join(bad, 'truncated.png'), picture(512, 10).subarray(0, 200));
    await writeFile(join(bad, 'notes.jpg'), 'not a picture');
    await writeFile(join(bad, 'orphan.txt'), 'a caption with no picture');
    const checked = await failure(provider.createTrainingJob!({ data: bad, triggerWord: 'TOK' }));
    expect(checked.code).toBe('INVALID_INPUT');
    expect(checked.message).toMatch(/truncated\.png/);
    expect(checked.message).toMatch(/notes\.jpg/);
    expect(checked.message).toMatch(/orphan\.txt: a caption with no image/);
    expect(fake.requests).toEqual([]);

    // More than one upload takes (90 MiB): five pictures of 19 MiB each (a large text chunk in each).
    const big = join(work, 'big');
    await mkdir(big, { recursive: true });
    for (let i = 0; i < 5; i++) await writeFile(join(big, `big-${i}.png`), withTextChunk(picture(512, i), 19 * 2 ** 20));
    const tooBig = await failure(provider.createTrainingJob!({ data: big }));
    expect([tooBig.code, tooBig.message]).toEqual(['INVALID_INPUT', expect.stringMatching(/come to 95\.\d MiB, over the 90 MiB of one upload .*nothing was uploaded/)]);
    expect(fake.requests).toEqual([]);

    // No key: MISSING_CONFIGURATION before anything is read or sent.
    const keyless = fal({ apiKey: undefined, env: () => undefined });
    await expect(keyless.createTrainingJob!({ data: pictures })).rejects.toMatchObject({ code: 'MISSING_CONFIGURATION', message: expect.stringMatching(/FAL_KEY/) });
    expect(fake.requests).toEqual([]);
    await provider.dispose();
  });

  it('starts no job when the upload fails halfway, and types fal’s refusals', async () => {
    const provider = fal();
    // The signed upload URL refuses the bytes, after the upload was started.
    fake.addFault({ stage: 'upload', status: 503 });
    await expect(provider.createTrainingJob!({ data: pictures })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      status: 503,
      message: expect.stringMatching(/fal training: upload/),
    });
    // (Beside the upload, only the trainer's price was read.)
    expect(fake.requests.filter((r) => r.service !== 'api').map((r) => r.service)).toEqual(['rest', 'upload']);
    // fal unreachable.
    const gone = await startFakeFal();
    const unreachable = createFal({ apiKey: gone.key, baseURL: gone.origin, createHttpClient, logger: quiet });
    await gone.close();
    await expect(unreachable.createTrainingJob!({ data: pictures })).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
    const wrongKey = fal({ apiKey: 'someone:else' });
    await expect(wrongKey.createTrainingJob!({ data: pictures })).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED', status: 401 });
    fake.addFault({ stage: 'submit', endpoint: 'fal-ai/flux-lora-fast-training', status: 429, errorType: 'rate_limited' });
    await expect(provider.createTrainingJob!({ data: pictures })).rejects.toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    fake.addFault({ stage: 'submit', endpoint: 'fal-ai/flux-lora-fast-training', status: 503, errorType: 'runner_server_error' });
    await expect(provider.createTrainingJob!({ data: pictures })).rejects.toMatchObject({ code: 'PROVIDER_ERROR', retryable: true });
    expect(fake.jobs()).toEqual([]);
    await Promise.all([provider.dispose(), unreachable.dispose(), wrongKey.dispose()]);
  });
});
