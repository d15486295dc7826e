import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FileStorageV1, FileUploadOptionsV1, MediaConduitError, TrainingJobInfoV1 } from '@mediaconduit/provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishAdapter } from './publish-adapter.js';

/** A storage that keeps what it is given, at made-up public URLs. */
function keepingStorage(url = (name: string) => `https://files.example/${name}`) {
  const uploads: { file: string | Uint8Array; options: FileUploadOptionsV1 | undefined }[] = [];
  const storage: FileStorageV1 = {
    async upload(file, options) {
      uploads.push({ file, options });
      const fileName = options?.fileName ?? (typeof file === 'string' ? file.split('/').at(-1)! : 'file.bin');
      return { url: url(fileName), fileName, bytes: typeof file === 'string' ? 0 : file.byteLength, contentType: options?.contentType ?? 'application/octet-stream' };
    },
  };
  return { storage, uploads };
}

const job = (fields: Partial<TrainingJobInfoV1>): TrainingJobInfoV1 => ({
  id: 'job-1',
  providerId: 'mock',
  status: 'completed',
  providerStatus: 'completed',
  baseModel: 'mock/gradient-1',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  trainingFiles: [],
  parameters: {},
  ...fields,
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as MediaConduitError,
  );

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'publish-adapter-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('publishAdapter', () => {
  it('uses weights already at an http(s) URL as they are, uploading nothing', async () => {
    const { storage, uploads } = keepingStorage();
    const weights = { kind: 'weights', url: 'https://cdn.example/lora.safetensors' };
    expect(await publishAdapter(job({ artifacts: [{ kind: 'config', url: 'https://cdn.example/c.json' }, weights] }), { storage })).toEqual({ path: weights.url, scale: 1 });
    expect(await publishAdapter(weights, { scale: 0.6 })).toEqual({ path: weights.url, scale: 0.6 });
    expect(await publishAdapter(weights.url)).toEqual({ path: weights.url, scale: 1 });
    expect(uploads).toEqual([]);
  });

  it('uploads inline weights (a data: URL) through the storage, with their name and type', async () => {
    const { storage, uploads } = keepingStorage();
    const bytes = Buffer.from('safetensors bytes');
    const artifact = { kind: 'weights', url: `data:application/octet-stream;base64,${bytes.toString('base64')}`, fileName: 'mock-lora-sks.safetensors' };
    expect(await publishAdapter(job({ artifacts: [artifact] }), { storage: { id: 'fal', storage }, scale: 0.8 })).toEqual({
      path: 'https://files.example/mock-lora-sks.safetensors',
      scale: 0.8,
    });
    expect(uploads).toHaveLength(1);
    expect(Buffer.from(uploads[0]!.file as Uint8Array).equals(bytes)).toBe(true);
    expect(uploads[0]!.options).toEqual({ fileName: 'mock-lora-sks.safetensors', contentType: 'application/octet-stream' });
    // Percent-encoded data, without a name: a name is made up, the type comes from the URL.
    await publishAdapter('data:text/plain,hello%20there', { storage });
    expect(Buffer.from(uploads[1]!.file as Uint8Array).toString()).toBe('hello there');
    expect(uploads[1]!.options).toEqual({ fileName: 'lora.safetensors', contentType: 'text/plain' });
  });

  it('uploads weights in a file on this machine, by path or file: URL', async () => {
    const { storage, uploads } = keepingStorage();
    const path = join(folder, 'local lora.safetensors');
    await writeFile(path, 'weights');
    expect((await publishAdapter(path, { storage })).path).toBe('https://files.example/local lora.safetensors');
    await publishAdapter(pathToFileURL(path).href, { storage });
    expect(uploads.map((u) => u.file)).toEqual([path, path]);
  });

  it('never reads a file of this machine that a job or artifact names: a provider could name any', async () => {
    const { storage, uploads } = keepingStorage();
    const secret = join(folder, 'credentials');
    await writeFile(secret, 'token=hunter2');
    for (const url of [secret, pathToFileURL(secret).href]) {
      const refused = await failure(publishAdapter(job({ artifacts: [{ kind: 'weights', url }] }), { storage }));
      expect(refused).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('files named by a provider are not read from this machine') });
      expect((await failure(publishAdapter({ kind: 'weights', url }, { storage })))?.code).toBe('INVALID_INPUT');
    }
    expect(uploads).toEqual([]);
  });

  it('says what is missing: a job not completed, no weights, no storage, a storage that gives no URL', async () => {
    const inline = { kind: 'weights', url: 'data:application/octet-stream;base64,AAAA' };
    expect(await failure(publishAdapter(job({ status: 'running', artifacts: [inline] })))).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('job job-1 of mock is running; a LoRA can be published once its job completed'),
    });
    expect(await failure(publishAdapter(job({ providerId: 'together', outputModel: 'me/llama-ft' })))).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('lists no weights artifact; its model me/llama-ft is used by its id, on together'),
    });
    expect(await failure(publishAdapter(inline))).toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringMatching(/inline \(a data: URL\), which a service cannot download; pass \{ storage \}/),
    });
    expect(await failure(publishAdapter(inline, { storage: { id: 'together' } }))).toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining('the provider "together" offers no storage'),
    });
    expect(await failure(publishAdapter('s3://bucket/lora.safetensors', { storage: keepingStorage().storage }))).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('is neither an http(s) URL, a data: URL nor a file on this machine'),
    });
    expect(await failure(publishAdapter(inline, { storage: keepingStorage(() => 'ftp://files.example/x').storage }))).toMatchObject({ code: 'INVALID_RESPONSE' });
    expect(await failure(publishAdapter(inline, { scale: Number.NaN }))).toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(await failure(publishAdapter('data:application/octet-stream;base64,', { storage: keepingStorage().storage }))).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('holds no bytes'),
    });
  });
});
