// The workspace's own providers in a process of their own: the mock (text, images, audio,
// embeddings, training with its files) and Together against its fake server, its key kept by the host.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Audio,
  createProviderRegistry,
  Embedding,
  encodePng,
  Image,
  MediaConduitError,
  memoryCallLog,
  Text,
  type ProviderRegistry,
  type ProviderRegistryOptions,
} from '@mediaconduit/core';
import { checkPng, checkWav, sineWav } from '@mediaconduit/testing';
import { startFakeTogether, type FakeTogetherServer } from '@mediaconduit/together-provider/testing';
import { commitProviders } from './support/provider-repo.js';

const KEY = `sk-isolated-${randomBytes(12).toString('hex')}`;
let work: string;
let images: string;
let fake: FakeTogetherServer;
let MOCK: string;
let TOGETHER: string;
let registries: ProviderRegistry[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-isolated-providers-'));
  ({ MOCK, TOGETHER } = await commitProviders(work));
  images = join(work, 'images');
  await mkdir(images);
  for (let i = 0; i < 5; i++) await writeFile(join(images, `photo-${i}.png`), encodePng(256, 256, new Uint8Array(256 * 256 * 3).fill(40 * i)));
  fake = await startFakeTogether({ apiKey: KEY });
});
afterAll(async () => {
  await fake.close();
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(registries.map((r) => r.close()));
  registries = [];
});

function registry(options: ProviderRegistryOptions = {}): ProviderRegistry {
  const created = createProviderRegistry({ cacheDir: join(work, 'cache'), lockfile: false, env: {}, logger: { debug() {}, warn() {}, error() {} }, ...options });
  registries.push(created);
  return created;
}

describe('the mock provider in a process of its own', () => {
  it('answers with the host’s own asset classes: text, a whole PNG, a WAV, embeddings, and a stream', async () => {
    const mock = await registry().getProvider(MOCK, { isolation: 'process' });
    expect(registry().listProviders()).toEqual([]);
    const text = await (await mock.getModel('mock/echo-1', { capability: 'text-to-text' })).transform('hello');
    expect(text).toBeInstanceOf(Text);
    const image = await (await mock.getModel('mock/gradient-1', { capability: 'text-to-image' })).transform('a red circle', { width: 64, height: 48, seed: 1 });
    expect(image).toBeInstanceOf(Image);
    expect(checkPng(image.bytes)).toBeUndefined();
    expect([image.width, image.height]).toEqual([64, 48]);
    expect(image.metadata.provider).toBe('mock');
    const [speech] = await mock.listModels({ capability: 'text-to-audio' });
    const audio = await (await mock.getModel(speech!.id, { capability: 'text-to-audio' })).transform('hello there');
    expect(audio).toBeInstanceOf(Audio);
    expect(checkWav(audio.bytes)).toBeUndefined();
    expect(audio.durationSeconds).toBeGreaterThan(0);
    const [embedder] = await mock.listModels({ capability: 'text-to-embedding' });
    const embeddings = await (await mock.getModel(embedder!.id, { capability: 'text-to-embedding' })).transformMany(['cat', 'dog']);
    expect(embeddings.map((e) => [e instanceof Embedding, e.values.length > 0])).toEqual([
      [true, true],
      [true, true],
    ]);
    // Audio crosses the other way too: the transcription model reads bytes the host sends.
    const [listener] = await mock.listModels({ capability: 'audio-to-text' });
    expect(await (await mock.getModel(listener!.id, { capability: 'audio-to-text' })).transform(audio)).toBeInstanceOf(Text);
    const parts: string[] = [];
    for await (const part of (await mock.getModel('mock/echo-1', { capability: 'text-to-text' })).stream('one two three')) if (part.type === 'text-delta') parts.push(part.text);
    expect(parts.join('')).toContain('one two three');
    expect(mock.getModelsForCapability('text-to-image').map((m) => m.id)).toContain('mock/gradient-1');
  });

  it('trains from pictures on the host’s disk (copied into its scratch folder), follows the job, and generates with the result', async () => {
    const mock = await registry().getProvider(MOCK, { isolation: 'process', config: { trainingMs: 200 } });
    const job = await mock.createTrainingJob!({ data: images, triggerWord: 'sks' });
    expect(job.info.trainingFiles).toEqual(['photo-0.png', 'photo-1.png', 'photo-2.png', 'photo-3.png', 'photo-4.png']);
    // The copies are gone once the job was created: the scratch folder does not fill up with pictures.
    expect(await readdir(join(work, 'cache', 'state', 'providers', 'mock', 'inputs'))).toEqual([]);
    // Bad data: each problem names the caller's own path (not the copy in the scratch folder); a missing path is said missing.
    const broken = join(work, 'broken.png');
    await writeFile(broken, 'not a picture');
    const missing = join(work, 'no-such-folder');
    const error = await mock.createTrainingJob!({ data: [missing, broken, join(images, 'photo-0.png')] }).then(
      () => undefined,
      (e: unknown) => e as MediaConduitError,
    );
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
    if (!error) throw new Error('expected the job to be refused');
    expect(error.message).toContain(`${missing}: does not exist`);
    expect(error.message).toContain(`${broken}: unreadable or corrupt image`);
    expect(JSON.stringify([error.message, error.details, error.stack])).not.toContain(join('state', 'providers'));
    const statuses = new Set<string>();
    const done = await job.wait({ pollIntervalMs: 20, onProgress: (info) => statuses.add(info.status) });
    expect(done.status).toBe('completed');
    expect(job.info.status).toBe('completed'); // the handle's data follows the job, as in-process
    expect([...statuses].at(-1)).toBe('completed');
    expect((await job.events()).map((e) => e.type)).toContain('job_complete');
    const trained = await mock.getModel(done.outputModel!, { capability: 'text-to-image' });
    const portrait = await trained.transform('a portrait of sks', { width: 32, height: 32 });
    expect(checkPng(portrait.bytes)).toBeUndefined();
    expect(portrait.width).toBe(32);
  });
});

describe('the runtime wraps an isolated model as an in-process one', () => {
  it('retries, logs each attempt and the call with its usage, and falls back to the next model', async () => {
    const log = memoryCallLog();
    const r = registry({ callLog: [log], retry: { baseDelayMs: 5 } });
    const mock = await r.getProvider(MOCK, { isolation: 'process', config: { failFirst: 2, failureCode: 'RATE_LIMITED' } });
    const haiku = await mock.getModel('mock/haiku-1', { capability: 'text-to-text' });
    const text = await haiku.transform('the sea at night');
    expect(text.text.split('\n')).toHaveLength(3);
    expect(log.records().map((rec) => [rec.kind, rec.attempt, rec.status, rec.errorCode ?? null])).toEqual([
      ['attempt', 1, 'error', 'RATE_LIMITED'],
      ['attempt', 2, 'error', 'RATE_LIMITED'],
      ['call', 3, 'ok', null],
    ]);
    expect(log.records().at(-1)?.usage).toEqual(text.metadata.usage);
    expect(JSON.stringify(log.records())).not.toContain('the sea at night');
    expect(r.usage().total.calls).toBe(1);
    const broken = await r.getProvider(MOCK, { isolation: 'process', config: { failFirst: 99, failureCode: 'PROVIDER_ERROR' } });
    const chain = r.withFallback([await broken.getModel('mock/echo-1', { capability: 'text-to-text' }), await mock.getModel('mock/echo-1', { capability: 'text-to-text' })], {
      retry: false,
    });
    expect((await chain.transform('fall back')).text).toContain('fall back');
    expect(log.records().some((rec) => rec.kind === 'fallback')).toBe(true);
  });
});

describe('Together in a process of its own', () => {
  const origins = () => ({ TOGETHER_API_KEY: [new URL(fake.baseURL).origin] });

  it('chats, streams and paints against the fake server, with the key added by the host', async () => {
    const together = await registry({ env: { TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: fake.baseURL }, secretOrigins: origins() }).getProvider(TOGETHER, {
      isolation: 'process',
    });
    const chat = await together.getModel('meta-llama/Llama-3.3-70B-Instruct-Turbo', { capability: 'text-to-text' });
    expect((await chat.transform('Say hi')).text.length).toBeGreaterThan(0);
    let streamed = '';
    for await (const part of chat.stream('Count to three')) if (part.type === 'text-delta') streamed += part.text;
    expect(streamed.length).toBeGreaterThan(0);
    const flux = await together.getModel('black-forest-labs/FLUX.1-schnell', { capability: 'text-to-image' });
    const picture = await flux.transform('a lighthouse', { width: 256, height: 256, format: 'png' });
    expect(picture).toBeInstanceOf(Image);
    expect(checkPng(picture.bytes)).toBeUndefined();
    expect([picture.width, picture.height]).toEqual([256, 256]);
  });

  it('transcribes (a multipart upload through the host) and starts a fine-tuning job from a file on the host’s disk', async () => {
    const together = await registry({ env: { TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: fake.baseURL }, secretOrigins: origins() }).getProvider(TOGETHER, {
      isolation: 'process',
    });
    const [listener] = await together.listModels({ capability: 'audio-to-text' });
    const transcript = await (await together.getModel(listener!.id, { capability: 'audio-to-text' })).transform({ data: sineWav(1), mimeType: 'audio/wav', fileName: 'tone.wav' });
    expect(transcript).toBeInstanceOf(Text);
    const data = join(work, 'chat.jsonl');
    await writeFile(
      data,
      `${JSON.stringify({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
        ],
      })}\n`,
    );
    const job = await together.createTrainingJob!({ baseModel: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', data, epochs: 1 });
    expect(job.info.trainingFiles).toEqual([expect.stringMatching(/^file-/)]); // uploaded by the host's broker, from the copy in the child's scratch folder
    expect((await job.status()).id).toBe(job.id);
    expect(fake.requests.some((r) => r.path === '/files/upload')).toBe(true);
    expect(fake.requests.some((r) => r.path === '/audio/transcriptions')).toBe(true);
  });

  it('does not send the key to an origin the operator has not allowed, and says how to allow it', async () => {
    const warnings: string[] = [];
    const together = await registry({
      env: { TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: fake.baseURL },
      logger: { debug() {}, warn: (m) => warnings.push(m), error() {} },
    }).getProvider(TOGETHER, { isolation: 'process' });
    const chat = await together.getModel('meta-llama/Llama-3.3-70B-Instruct-Turbo', { capability: 'text-to-text' }).catch((e: unknown) => e);
    const error = MediaConduitError.isInstance(chat)
      ? chat
      : await (chat as { transform(t: string, o: object): Promise<unknown> }).transform('hi', { retry: false }).catch((e: unknown) => e);
    expect(MediaConduitError.hasCode(error, 'AUTHENTICATION_FAILED')).toBe(true);
    expect(warnings.join('\n')).toMatch(/TOGETHER_API_KEY was not sent to http:\/\/127\.0\.0\.1:\d+.*MEDIACONDUIT_SECRET_ORIGINS=TOGETHER_API_KEY=http/);
    expect(warnings.join('\n')).not.toContain(KEY);
  });
});
