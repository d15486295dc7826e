// The fal provider against the fake fal server: in this process through createFal(), and loaded
// from a Git repository through the registry, in this process and in a process of its own (where
// the host keeps FAL_KEY and adds it for the fake's origin only).
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createHttpClient, createProviderRegistry, Image, type ImageModelV1, MediaConduitError, readImageInfo } from '@mediaconduit/core';
import { type NpmRegistry, pinLockfileTo, startNpmRegistry } from '@mediaconduit/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFal } from '../src/index.js';
import { type FakeFalServer, startFakeFal } from '../src/testing/index.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
let fake: FakeFalServer;
const warnings: string[] = [];
const logger = { debug() {}, warn: (message: string) => void warnings.push(message), error() {} };

beforeEach(async () => {
  fake = await startFakeFal({ timings: { queuePositionMs: 1, inferenceMs: 1, trainingMs: 1 } });
  warnings.length = 0;
});
afterEach(async () => {
  await fake.close();
});

const fal = (settings: Record<string, unknown> = {}) => createFal({ apiKey: fake.key, baseURL: fake.origin, createHttpClient, logger, ...settings });

describe('the fal provider, in this process', () => {
  it('discovers its text-to-image models from the platform API, with prices', async () => {
    const provider = fal();
    await provider.initialize?.();
    const models = await provider.listModels!();
    expect(models.map((m) => m.id)).toEqual(['fal-ai/flux/schnell', 'fal-ai/flux/dev', 'fal-ai/flux-lora']);
    expect(models.find((m) => m.id === 'fal-ai/flux/dev')).toMatchObject({ capability: 'text-to-image', displayName: 'FLUX.1 [dev]', pricing: { perImage: 0.025 } });
    expect(models.find((m) => m.id === 'fal-ai/flux-lora')!.pricing).toEqual({ perMegapixel: 0.035 });
    expect(provider.getModelsForCapability('text-to-image')).toHaveLength(3);
    const search = fake.requests.find((r) => r.path === '/v1/models')!;
    expect(search.query).toMatchObject({ category: 'text-to-image', status: 'active' });
    expect(search.headers.authorization).toBe(`Key ${fake.key}`);
    await provider.dispose();
  });

  it('generates whole images of the asked size and format, downloaded without the key', async () => {
    const provider = fal();
    const model = (await provider.getModel('fal-ai/flux/schnell', { capability: 'text-to-image' })) as ImageModelV1;
    const image = await model.transform('a red fox', { width: 320, height: 240, format: 'png', seed: 7 });
    expect(Image.isInstance(image) && [image.mimeType, image.width, image.height]).toEqual(['image/png', 320, 240]);
    expect(readImageInfo(image.toBytes())).toMatchObject({ width: 320, height: 240 });
    expect(image.metadata).toMatchObject({ provider: 'fal', model: 'fal-ai/flux/schnell', seed: 7, usage: { images: 1 } });
    const sent = fake.requests.find((r) => r.service === 'run')!;
    expect(sent.json).toEqual({ prompt: 'a red fox', num_images: 1, output_format: 'png', image_size: { width: 320, height: 240 }, seed: 7 });
    const download = fake.requests.find((r) => r.service === 'files')!;
    expect(download.headers.authorization).toBeUndefined();
    const two = await model.transformMany('two owls', { n: 2 });
    expect(two.map((i) => i.mimeType)).toEqual(['image/jpeg', 'image/jpeg']);
    await provider.dispose();
  });

  it('applies LoRAs on fal-ai/flux-lora (adapters, or a trained LoRA by its weights URL), and refuses them elsewhere', async () => {
    const provider = fal();
    // A LoRA the fake holds: trained through its queue.
    const auth = { authorization: `Key ${fake.key}`, 'content-type': 'application/json' };
    const upload = (await (
      await fetch(`${fake.urls.rest}/storage/upload/initiate`, { method: 'POST', headers: auth, body: JSON.stringify({ content_type: 'application/zip', file_name: 'a.zip' }) })
    ).json()) as {
      upload_url: string;
      file_url: string;
    };
    const { zipSync } = await import('fflate');
    await fetch(upload.upload_url, { method: 'PUT', body: zipSync(Object.fromEntries([1, 2, 3, 4].map((i) => [`p${i}.png`, new Uint8Array([1])]))) });
    const trained = (await (
      await fetch(`${fake.urls.run}/fal-ai/flux-lora-fast-training`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ images_data_url: upload.file_url, trigger_word: 'TOK' }),
      })
    ).json()) as {
      diffusers_lora_file: { url: string };
    };
    const weights = trained.diffusers_lora_file.url;

    const lora = (await provider.getModel('fal-ai/flux-lora')) as ImageModelV1;
    await lora.transform('TOK at sea', { adapters: [{ path: weights, scale: 0.7 }] });
    expect(fake.requests.at(-2)!.json).toMatchObject({ loras: [{ path: weights, scale: 0.7 }] });
    const byId = (await provider.getModel(`fal-ai/flux-lora:${weights}`)) as ImageModelV1;
    expect(Image.isInstance(await byId.transform('TOK in snow'))).toBe(true);
    expect(fake.requests.at(-2)!.json).toMatchObject({ loras: [{ path: weights, scale: 1 }] });

    const schnell = (await provider.getModel('fal-ai/flux/schnell')) as ImageModelV1;
    await expect(schnell.transform('x', { adapters: [{ path: weights }] })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('fal-ai/flux-lora') });
    await expect(provider.getModel('fal-ai/flux-lora:not a url')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await provider.dispose();
  });

  it('uploads a file (a path or its bytes) to fal’s storage at a public URL, and takes a LoRA inline as a data: URI', async () => {
    const provider = fal();
    const folder = await mkdtemp(join(tmpdir(), 'fal-storage-'));
    try {
      const weights = new Uint8Array(4096).map((_, i) => (i * 7) & 255);
      await writeFile(join(folder, 'style.safetensors'), weights);
      const stored = await provider.storage!.upload(join(folder, 'style.safetensors'));
      expect(stored).toEqual({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/files\/.+\/style\.safetensors$/),
        fileName: 'style.safetensors',
        bytes: 4096,
        contentType: 'application/octet-stream',
      });
      expect(Buffer.from(fake.file(stored.url)!.bytes).equals(Buffer.from(weights))).toBe(true);
      // The key goes to fal's storage API, never with the bytes to the signed upload URL.
      const initiate = fake.requests.find((r) => r.path === '/storage/upload/initiate')!;
      expect(initiate.headers.authorization).toBe(`Key ${fake.key}`);
      expect(initiate.json).toEqual({ content_type: 'application/octet-stream', file_name: 'style.safetensors' });
      expect(fake.requests.find((r) => r.service === 'upload')!.headers.authorization).toBeUndefined();
      // Bytes, named; the type follows the name.
      const png = await provider.storage!.upload(new Uint8Array([137, 80, 78, 71]), { fileName: 'dot.png' });
      expect(png).toMatchObject({ fileName: 'dot.png', contentType: 'image/png', bytes: 4 });
      expect(fake.file(png.url)!.contentType).toBe('image/png');

      // Bad input: typed, before anything is sent.
      const sent = fake.requests.length;
      const refusal = (promise: Promise<unknown>) =>
        promise.then(
          () => undefined,
          (e: unknown) => e as MediaConduitError,
        );
      expect(await refusal(provider.storage!.upload(folder))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('is not a regular file (a folder)') });
      expect(await refusal(provider.storage!.upload(join(folder, 'gone.bin')))).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('gone.bin: no such file; nothing was uploaded'),
      });
      // A FIFO is refused as it is opened, without waiting for a writer that never comes.
      await run('mkfifo', [join(folder, 'pipe')]);
      expect(await refusal(provider.storage!.upload(join(folder, 'pipe')))).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('is not a regular file (a special file)'),
      });
      expect(await refusal(provider.storage!.upload(weights, { fileName: '../up.bin' }))).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('fileName must be a file name'),
      });
      expect(await refusal(provider.storage!.upload(42 as never))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("a file's path or its bytes") });
      const keyless = fal({ apiKey: undefined, env: () => undefined });
      expect(await refusal(keyless.storage!.upload(join(folder, 'style.safetensors')))).toMatchObject({ code: 'MISSING_CONFIGURATION' });
      expect(fake.requests.length).toBe(sent);
      await keyless.dispose();

      // fal takes a small LoRA inline, as a data: URI, where it takes one by URL.
      const inline = `data:application/octet-stream;base64,${Buffer.from(weights).toString('base64')}`;
      const lora = (await provider.getModel('fal-ai/flux-lora')) as ImageModelV1;
      expect(Image.isInstance(await lora.transform('TOK at sea', { adapters: [{ path: inline }] }))).toBe(true);
      expect(fake.requests.filter((r) => r.service === 'run').at(-1)!.json).toMatchObject({ loras: [{ path: inline, scale: 1 }] });
    } finally {
      await provider.dispose();
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('turns fal’s errors into typed ones: every field error of a 422, a bad key, an unknown model, a request error', async () => {
    const provider = fal();
    const model = (await provider.getModel('fal-ai/flux/schnell')) as ImageModelV1;
    const invalid = await model.transform('x', { steps: 40, width: 99_999, height: 100 }).catch((e: unknown) => e);
    expect(MediaConduitError.isInstance(invalid) && invalid.code).toBe('INVALID_INPUT');
    expect((invalid as MediaConduitError).details).toEqual({
      fieldErrors: [
        { loc: ['body', 'image_size', 'width'], msg: 'Input should be between 1 and 14142', type: 'less_than_equal' },
        { loc: ['body', 'num_inference_steps'], msg: 'Input should be less than or equal to 12', type: 'less_than_equal' },
      ],
    });
    expect((invalid as Error).message).toContain('image_size.width: Input should be between 1 and 14142; num_inference_steps:');
    const stranger = createFal({ apiKey: 'someone:else', baseURL: fake.origin, createHttpClient, logger });
    await expect(stranger.listModels!()).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED', status: 401 });
    await expect(provider.getModel('fal-ai/nothing')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    fake.addFault({ stage: 'run', endpoint: 'fal-ai/flux/schnell', errorType: 'runner_server_error' });
    await expect(model.transform('x')).rejects.toMatchObject({ code: 'PROVIDER_ERROR', retryable: true, providerCode: 'runner_server_error', status: 500 });
    await expect(fal({ apiKey: undefined, env: () => undefined }).listModels!()).rejects.toMatchObject({ code: 'MISSING_CONFIGURATION' });
    await provider.dispose();
  });

  it('serves its documented fallback models, with a warning, while discovery cannot reach fal', async () => {
    const closed = await startFakeFal();
    const origin = closed.origin;
    await closed.close();
    const provider = fal({ baseURL: origin });
    expect((await provider.listModels!()).map((m) => m.id)).toEqual(['fal-ai/flux/schnell', 'fal-ai/flux/dev', 'fal-ai/flux-lora']);
    expect(warnings.join('\n')).toMatch(/model discovery failed \(CONNECTION_FAILED\)/);
    await provider.dispose();
  });
});

describe('the fal provider, loaded from Git', () => {
  let work: string;
  let url: string;
  let npm: NpmRegistry;
  beforeAll(async () => {
    // Its one dependency (fflate, which zips training pictures) comes from a loopback registry.
    npm = await startNpmRegistry({ packages: [{ folder: dirname(createRequire(join(packageDir, 'package.json')).resolve('fflate/package.json')) }] });
    work = await mkdtemp(join(tmpdir(), 'mc-fal-git-'));
    const repo = join(work, 'repo');
    await cp(packageDir, join(repo, 'packages/fal-provider'), { recursive: true, filter: (source) => !/[\\/](node_modules|dist)$/.test(source) });
    // The stand-in packs fflate from its installed folder: the lockfile is pinned to its bytes.
    await pinLockfileTo(join(repo, 'packages/fal-provider/package-lock.json'), npm);
    const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo });
    await git('init', '--quiet', '--initial-branch=main');
    await git('add', '--all');
    await git('commit', '--quiet', '-m', 'fal provider');
    url = `file://${repo}//packages/fal-provider`;
  });
  afterAll(async () => {
    await npm.close();
    await rm(work, { recursive: true, force: true });
  });

  for (const isolation of ['none', 'process'] as const) {
    it(`generates through the registry with isolation '${isolation}', the host adding FAL_KEY for the fake's origin`, async () => {
      const registry = createProviderRegistry({
        cacheDir: join(work, `cache-${isolation}`),
        lockfile: false,
        env: { FAL_KEY: fake.key, FAL_BASE_URL: fake.origin },
        secretOrigins: { FAL_KEY: [fake.origin] },
        npmRegistry: npm.url,
        logger,
      });
      try {
        const provider = await registry.getProvider(url, { isolation });
        expect(registry.listProviders().map((p) => [p.id, p.isolation])).toEqual([['fal', isolation]]);
        const model = await provider.getModel('fal-ai/flux/dev', { capability: 'text-to-image' });
        const image = await model.transform('a lighthouse', { width: 256, height: 128 });
        expect(Image.isInstance(image) && [image.mimeType, image.width, image.height]).toEqual(['image/jpeg', 256, 128]);
        // Its price from fal's pricing endpoint (0.025 USD an image in the fake), counted by the runtime.
        expect(image.metadata.costUsd).toBe(0.025);
        expect(registry.usage().byModel['fal/fal-ai/flux/dev']).toMatchObject({ calls: 1, costUsd: 0.025 });
        const calls = fake.requests.filter((r) => r.service !== 'files');
        expect(calls.length).toBeGreaterThan(1);
        expect(calls.map((r) => [r.service, r.path, r.headers.authorization])).toEqual(calls.map((r) => [r.service, r.path, `Key ${fake.key}`]));
        // (The fake serves its files from the origin the operator allowed the key for, so the host adds it
        // there too; fal's CDN is another origin. The provider itself sends no key with a download: see above.)
        expect(npm.requests.some((path) => path.includes('fflate'))).toBe(true);
      } finally {
        await registry.close();
      }
    });
  }
});
