// Fine-tuning on Together: files, LoRA jobs through their whole lifecycle on the fake's manual
// clock, events, checkpoints, cancel, injected failures, the trained model in use, and what
// Together does not offer (image LoRA training) refused with UNSUPPORTED before any upload.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient, encodePng, Text, type TrainingJobInfoV1 } from '@mediaconduit/core';
import { createTogether } from '../src/index.js';
import { startFakeTogether, type FakeTogetherServer } from '../src/testing/index.js';
import { failure } from './failure.js';

const BASE = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
let fake: FakeTogetherServer;
let work: string;
let data: string;

beforeAll(async () => {
  fake = await startFakeTogether({ clock: 'manual', fineTunePhaseMs: 1000 });
  work = await mkdtemp(join(tmpdir(), 'mc-together-training-'));
  data = join(work, 'train.jsonl');
  const examples = [
    {
      messages: [
        { role: 'user', content: 'Say hi' },
        { role: 'assistant', content: 'Hi!' },
      ],
    },
    { prompt: 'Capital of France?', completion: 'Paris' },
    { text: 'plain text example' },
  ];
  await writeFile(data, `${examples.map((e) => JSON.stringify(e)).join('\n')}\n`);
});
afterAll(async () => {
  await fake.close();
  await rm(work, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

const quiet = { debug() {}, warn() {}, error() {} };
const together = () => createTogether({ createHttpClient, apiKey: 'test-key', baseURL: fake.baseURL, logger: quiet });

describe('Together training', () => {
  it('uploads the data, starts a LoRA job with its parameters, follows it to completion, and the trained model chats', async () => {
    const provider = together();
    const job = await provider.createTrainingJob!({ baseModel: BASE, data, epochs: 3, learningRate: 0.0002, batchSize: 4, loraRank: 16, loraAlpha: 32, suffix: 'greeter' });
    const upload = fake.requests.find((r) => r.path === '/files/upload');
    expect(upload?.form).toMatchObject({ purpose: 'fine-tune', file_name: 'train.jsonl', file_type: 'jsonl', file: { fileName: 'train.jsonl' } });
    const create = fake.requests.find((r) => r.path === '/fine-tunes' && r.method === 'POST');
    expect(create?.json).toEqual({
      training_file: expect.stringMatching(/^file-/),
      model: BASE,
      n_epochs: 3,
      learning_rate: 0.0002,
      batch_size: 4,
      suffix: 'greeter',
      training_type: { type: 'Lora', lora_r: 16, lora_alpha: 32 },
    });
    expect(job.info).toMatchObject({
      providerId: 'together',
      status: 'pending',
      providerStatus: 'pending',
      baseModel: BASE,
      parameters: { epochs: 3, loraRank: 16, loraAlpha: 32 },
    });

    const seen: TrainingJobInfoV1[] = [];
    const done = await job.wait({
      pollIntervalMs: 0,
      onProgress: (info) => {
        seen.push(info);
        fake.advance(1000); // one phase per status read
      },
    });
    expect(done.status).toBe('completed');
    expect([...new Set(seen.map((s) => s.providerStatus))]).toEqual(['pending', 'queued', 'running', 'compressing', 'uploading', 'completed']);
    const running = seen.filter((s) => s.status === 'running');
    expect(running.map((s) => s.progress?.epoch)).toEqual([0, 1, 2]);
    expect(running.map((s) => s.progress?.percent)).toEqual([0, 33, 67]);
    expect(done.progress).toMatchObject({ percent: 100, totalEpochs: 3 });

    const events = await job.events();
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['job_pending', 'training_start', 'epoch_complete', 'checkpoint_save', 'job_complete']));
    expect((await job.checkpoints()).at(-1)).toMatchObject({ step: 30, type: 'final', path: expect.stringContaining(done.outputModel!) });
    expect((await provider.listTrainingJobs!()).map((j) => j.id)).toContain(job.id);

    // The output model is not in /models; getModel finds it through the completed job.
    const trained = await provider.getModel(done.outputModel!, { capability: 'text-to-text' });
    const reply = await trained.transform('hello tuned model');
    expect(Text.isInstance(reply) && reply.text).toBe('You said: hello tuned model');
    expect(fake.requests.at(-1)?.json).toMatchObject({ model: done.outputModel });
  });

  it('a job that is still training is not a model yet, and a new handle follows a job by id', async () => {
    const provider = together();
    const job = await provider.createTrainingJob!({ baseModel: BASE, data });
    const early = await failure(provider.getModel(job.info.outputModel!));
    expect(early.code).toBe('MODEL_NOT_FOUND');
    expect(early.message).toMatch(/is pending; the model can be used once the job completed/);
    const again = await provider.getTrainingJob!(job.id);
    fake.advance(2500);
    expect((await again.status()).status).toBe('running');
  });

  it('cancels: cancel_requested, then cancelled; wait() ends with TRAINING_FAILED; a second cancel is refused', async () => {
    const provider = together();
    const job = await provider.createTrainingJob!({ baseModel: BASE, data, epochs: 5 });
    fake.advance(2500);
    const requested = await job.cancel();
    expect(requested).toMatchObject({ providerStatus: 'cancel_requested', status: 'running' });
    fake.advance(1000);
    const error = await failure(job.wait({ pollIntervalMs: 0 }));
    expect(error.code).toBe('TRAINING_FAILED');
    expect(error.message).toMatch(/was cancelled \(provider status "cancelled"\)/);
    expect((await job.events()).map((e) => e.type)).toEqual(expect.arrayContaining(['cancel_requested', 'job_stopped']));
    const twice = await failure(job.cancel());
    expect(twice).toMatchObject({ code: 'INVALID_INPUT', status: 400 });
  });

  it('a failed job ends wait() with TRAINING_FAILED and the reason from its events', async () => {
    const provider = together();
    const job = await provider.createTrainingJob!({ baseModel: BASE, data, epochs: 2 });
    fake.advance(2500);
    fake.failFineTune(job.id, 'CUDA out of memory (simulated)');
    const error = await failure(job.wait({ pollIntervalMs: 0 }));
    expect(error.code).toBe('TRAINING_FAILED');
    expect(error.message).toContain('failed: CUDA out of memory (simulated)');
    expect((error.details.job as TrainingJobInfoV1).status).toBe('failed');
  });

  it('keeps waiting through a transient error, and stops waiting on abort while the job goes on', async () => {
    const provider = together();
    const job = await provider.createTrainingJob!({ baseModel: BASE, data });
    fake.addFault({ path: '/fine-tunes/', status: 503, times: 2 });
    const controller = new AbortController();
    let reads = 0;
    const error = await failure(
      job.wait({
        pollIntervalMs: 5,
        signal: controller.signal,
        onProgress: () => {
          if (++reads === 2) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect(error.message).toMatch(/stopped waiting; the job goes on/);
    expect(fake.requests.filter((r) => r.status === 503)).toHaveLength(2);
    expect((await job.status()).status).not.toBe('cancelled');
  });

  it('lists and deletes training files', async () => {
    const provider = together();
    const file = await provider.trainingFiles!.upload(data);
    expect(file).toMatchObject({ id: expect.stringMatching(/^file-/), name: 'train.jsonl', purpose: 'fine-tune', bytes: expect.any(Number) });
    expect((await provider.trainingFiles!.list()).map((f) => f.id)).toContain(file.id);
    await provider.trainingFiles!.delete(file.id);
    expect((await provider.trainingFiles!.list()).map((f) => f.id)).not.toContain(file.id);
    expect((await failure(provider.trainingFiles!.delete(file.id))).code).toBe('PROVIDER_ERROR');
  });

  it('a job the service refuses to start leaves no uploaded file behind', async () => {
    const provider = together();
    const before = (await provider.trainingFiles!.list()).length;
    fake.addFault({ path: '/fine-tunes', status: 500 });
    expect((await failure(provider.createTrainingJob!({ baseModel: BASE, data }))).code).toBe('PROVIDER_ERROR');
    expect(fake.requests.some((r) => r.method === 'DELETE' && r.path.startsWith('/files/'))).toBe(true);
    expect(await provider.trainingFiles!.list()).toHaveLength(before);
  });

  it('refuses image LoRA training with UNSUPPORTED, saying what Together offers instead, and uploads nothing', async () => {
    const provider = together();
    const pictures = join(work, 'pictures');
    await import('node:fs/promises').then((fs) => fs.mkdir(pictures, { recursive: true }));
    for (let i = 0; i < 5; i++) await writeFile(join(pictures, `${i}.png`), encodePng(8, 8, new Uint8Array(8 * 8 * 3).fill(i * 50)));
    const fromPictures = await failure(provider.createTrainingJob!({ baseModel: BASE, data: pictures }));
    expect(fromPictures.code).toBe('UNSUPPORTED');
    expect(fromPictures.message).toMatch(/does not train image LoRAs from pictures.*adapters: \[\{ path: .*image_loras/s);
    const fluxBase = await failure(provider.createTrainingJob!({ baseModel: 'black-forest-labs/FLUX.1-schnell', data }));
    expect(fluxBase.code).toBe('UNSUPPORTED');
    expect(fluxBase.message).toMatch(/FLUX\.1-schnell" is a text-to-image model/);
    expect(fake.requests.filter((r) => r.path.startsWith('/files') || r.path.startsWith('/fine-tunes'))).toEqual([]);
  });

  it('checks the data first: invalid JSONL names the file and line, and nothing is uploaded', async () => {
    const provider = together();
    const bad = join(work, 'bad.jsonl');
    await writeFile(bad, '{"text": "fine"}\n{"messages": "not a list"}\nnot json\n');
    const error = await failure(provider.createTrainingJob!({ baseModel: BASE, data: bad }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(`${bad}: not valid JSONL: line 2 is not an example`);
    expect(error.message).toContain(`${bad}: not valid JSONL: line 3 is not JSON`);
    expect((await failure(provider.createTrainingJob!({ data }))).message).toMatch(/baseModel is required/);
    expect((await failure(provider.createTrainingJob!({ baseModel: BASE, data, triggerWord: 'sks' }))).message).toMatch(/triggerWord applies to image LoRAs/);
    expect((await failure(provider.createTrainingJob!({ baseModel: BASE, data, epochs: 0 }))).message).toMatch(/epochs must be a whole number from 1/);
    expect(fake.requests.filter((r) => r.path.startsWith('/files') || r.path.startsWith('/fine-tunes'))).toEqual([]);
  });

  it('applies image LoRAs at generation time (image_loras), which changes the picture', async () => {
    const flux = await together().getModel('black-forest-labs/FLUX.1-schnell', { capability: 'text-to-image' });
    const plain = await flux.transform('a lake', { seed: 1, width: 64, height: 64 });
    const styled = await flux.transform('a lake', { seed: 1, width: 64, height: 64, adapters: [{ path: 'https://example.invalid/lora.safetensors', scale: 0.7 }] });
    expect(fake.requests.at(-1)?.json).toMatchObject({ image_loras: [{ path: 'https://example.invalid/lora.safetensors', scale: 0.7 }] });
    expect(Buffer.from(styled.bytes).equals(Buffer.from(plain.bytes))).toBe(false);
    // Together fetches a LoRA by URL: a local file or another service's name for one is refused before any request.
    const sent = fake.requests.length;
    for (const path of ['mock-lora/mockft-1', '/home/me/lora.safetensors', 'file:///home/me/lora.safetensors']) {
      const refused = await failure(flux.transform('a lake', { adapters: [{ path }] }));
      expect(refused).toMatchObject({ code: 'INVALID_INPUT', details: { adapter: path } });
      expect(refused.message).toMatch(/is not an http\(s\) URL; Together applies a LoRA by the http\(s\) URL of its weights/);
    }
    // Weights inline (a mock LoRA's data: URL) are named, not quoted whole, with how to publish them.
    const inline = `data:application/octet-stream;base64,${'QUJD'.repeat(300)}`;
    const refused = await failure(flux.transform('a lake', { adapters: [{ path: inline }] }));
    expect(refused.message).toContain(`"data:application/octet-stream;base64,QUJDQUJDQUJDQUJDQUJDQUJ"… (${inline.length} characters) is not an http(s) URL`);
    expect(refused.message).toMatch(/publishAdapter\(job, \{ storage: falProvider \}\)/);
    expect(refused.message.length).toBeLessThan(600);
    expect(fake.requests.length).toBe(sent);
  });
});
