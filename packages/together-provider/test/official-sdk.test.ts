// The fake Together server is held faithful by the official TypeScript SDK (`together-ai`): its
// upload flow (a presigned URL), files and fine-tunes go through the fake as they would go
// through Together.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeTogether, type FakeTogetherServer } from '../src/testing/index.js';

const KEY = 'sk-official-sdk-test-key';
let fake: FakeTogetherServer;
let work: string;
let client: InstanceType<typeof import('together-ai').default>;
type TogetherClass = typeof import('together-ai').default;

const nodeFetch = globalThis.fetch;

beforeAll(async () => {
  // The SDK's upload helper hands fetch a file stream without `duplex: 'half'`, which Node's fetch
  // requires for a streamed body (a bug of the SDK on Node, with any server): added here, and only that.
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    nodeFetch(input, init?.body && typeof (init.body as { pipe?: unknown }).pipe === 'function' ? ({ ...init, duplex: 'half' } as RequestInit) : init)) as typeof fetch;
  fake = await startFakeTogether({ apiKey: KEY, clock: 'manual' });
  work = await mkdtemp(join(tmpdir(), 'mc-sdk-'));
  // The SDK's upload helper reads its base URL from the environment when it is imported.
  process.env.TOGETHER_API_BASE_URL = fake.baseURL;
  // Its CommonJS build: the ESM one reaches Node's fs and path through require(), which ESM lacks.
  const Together = (createRequire(import.meta.url)('together-ai') as { default: TogetherClass }).default;
  client = new Together({ apiKey: KEY, baseURL: fake.baseURL, maxRetries: 0 });
});
afterAll(async () => {
  globalThis.fetch = nodeFetch;
  delete process.env.TOGETHER_API_BASE_URL;
  await fake.close();
  await rm(work, { recursive: true, force: true });
});

describe('the official together-ai SDK against the fake', () => {
  it('uploads a JSONL file through the presigned-URL flow, then lists, reads and deletes it', async () => {
    const path = join(work, 'train.jsonl');
    await writeFile(
      path,
      `${JSON.stringify({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
      })}\n`,
    );
    const uploaded = await client.files.upload(path, 'fine-tune');
    expect(uploaded).toMatchObject({ id: expect.stringMatching(/^file-/), filename: 'train.jsonl', purpose: 'fine-tune', bytes: expect.any(Number) });
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(
      expect.arrayContaining(['POST /files 302', `PUT /_uploads/${uploaded.id} 200`, `GET /files/${uploaded.id} 200`]),
    );
    expect((await client.files.list()).data.map((f) => f.id)).toContain(uploaded.id);
    expect(await (await client.files.content(uploaded.id)).text()).toContain('"hello"');
    expect(await client.files.delete(uploaded.id)).toMatchObject({ id: uploaded.id, deleted: true });
  });

  it('starts a LoRA fine-tune on the base model of the docs, follows it, reads its events and cancels it', async () => {
    const path = join(work, 'tune.jsonl');
    await writeFile(path, `${JSON.stringify({ text: 'a line of training text' })}\n`);
    const file = await client.files.upload(path, 'fine-tune');
    // As the API description's own example writes it.
    const job = await client.fineTuning.create({ model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference', training_file: file.id });
    expect(job).toMatchObject({ id: expect.stringMatching(/^ft-/), status: 'pending', model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference' });
    expect(await client.fineTuning.retrieve(job.id)).toMatchObject({ id: job.id });
    expect((await client.fineTuning.listEvents(job.id)).data?.length).toBeGreaterThan(0);
    expect((await client.fineTuning.list()).data?.map((j) => j.id)).toContain(job.id);
    expect(await client.fineTuning.cancel(job.id)).toMatchObject({ id: job.id });
    expect(await client.fineTuning.modelLimits({ model_name: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference' })).toMatchObject({
      model_name: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference',
      lora_training: expect.objectContaining({ max_rank: expect.any(Number) }),
    });
  });

  it('a route the fake does not simulate answers 501, which the SDK reports as an error', async () => {
    const error = await client.fineTuning.delete('ft-anything').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 501 });
    expect(String((error as Error).message)).toMatch(/not simulated by this fake/);
  });
});
