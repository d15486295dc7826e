import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { Agent, getGlobalDispatcher } from 'undici';
import { Audio, createHttpClient, Embedding, Image, type MediaConduitError, readWavInfo, Text, type TextStreamPartV1 } from '@mediaconduit/core';
import { createTogether } from '../src/index.js';
import { startFakeTogether, type FakeTogetherServer } from '../src/testing/index.js';
import { failure } from './failure.js';

let fake: FakeTogetherServer;
beforeAll(async () => {
  fake = await startFakeTogether();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const warnings: string[] = [];
const logger = {
  debug() {},
  warn: (m: string) => {
    warnings.push(m);
  },
  error() {},
};
const together = (extra: Parameters<typeof createTogether>[0] = {}) => createTogether({ createHttpClient, apiKey: 'test-key', baseURL: fake.baseURL, logger, ...extra });
const CHAT = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';

describe('settings and the API key', () => {
  it('reads the key lazily and says how to set one', async () => {
    const provider = createTogether({ createHttpClient, baseURL: fake.baseURL, env: () => undefined });
    expect(await provider.isAvailable()).toBe(false);
    const error = await failure(provider.listModels());
    expect(error.code).toBe('MISSING_API_KEY');
    expect(error.message).toMatch(/Set TOGETHER_API_KEY .* \{ apiKey \} to createTogether\(\)/);
    expect(fake.requests).toHaveLength(0);
  });

  it('takes the key from the setting first, then TOGETHER_API_KEY, and the base URL from TOGETHER_BASE_URL', async () => {
    const fromEnv = createTogether({ createHttpClient, env: (name) => ({ TOGETHER_API_KEY: 'env-key', TOGETHER_BASE_URL: fake.baseURL })[name] });
    expect((await fromEnv.listModels()).length).toBeGreaterThan(5);
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer ***');
    const strict = await startFakeTogether({ apiKey: 'the-setting' });
    const both = createTogether({ createHttpClient, apiKey: 'the-setting', baseURL: strict.baseURL, env: () => 'env-key' });
    expect((await both.listModels()).length).toBeGreaterThan(5);
    await strict.close();
  });

  it('rejects bad settings, listing every problem', () => {
    expect(() => createTogether({ createHttpClient, baseURL: 'ftp://x', timeoutMs: -1, apiKey: '', retries: 3 } as never)).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        details: {
          problems: [
            expect.stringMatching(/^retries: unknown setting/),
            expect.stringMatching(/^apiKey/),
            expect.stringMatching(/^timeoutMs/),
            expect.stringMatching(/^baseURL: expected an http/),
          ],
        },
      }),
    );
  });

  it('refuses a base URL with credentials, and a bad TOGETHER_BASE_URL, without repeating them', () => {
    const error = (make: () => unknown) => {
      try {
        make();
      } catch (e) {
        return e as MediaConduitError;
      }
      throw new Error('expected an error');
    };
    const inSetting = error(() => createTogether({ createHttpClient, apiKey: 'k', baseURL: 'https://me:s3cret-pass@proxy.example.invalid/v1' }));
    expect(inSetting).toMatchObject({ code: 'INVALID_OPTIONS', details: { problems: [expect.stringMatching(/^baseURL: credentials in the URL/)] } });
    const inEnv = error(() =>
      createTogether({ createHttpClient, apiKey: 'k', env: (name) => (name === 'TOGETHER_BASE_URL' ? 'ftp://me:s3cret-pass@proxy.example.invalid' : undefined) }),
    );
    expect(inEnv).toMatchObject({ code: 'INVALID_OPTIONS', message: 'together: TOGETHER_BASE_URL: expected an http(s) URL such as https://api.example.com/v1, got a "ftp:" URL' });
    for (const e of [inSetting, inEnv]) expect(JSON.stringify({ message: e.message, details: e.details })).not.toContain('s3cret');
  });

  it('treats an empty TOGETHER_BASE_URL as unset', async () => {
    let origin = '';
    const recording = {
      dispatch: (options: { origin: unknown }) => {
        origin = String(options.origin);
        throw new Error('recorded, not sent');
      },
    };
    const provider = createTogether({ createHttpClient, apiKey: 'k', dispatcher: recording, env: (name) => (name === 'TOGETHER_BASE_URL' ? '' : undefined) });
    await expect(provider.listModels()).rejects.toThrow('recorded, not sent');
    expect(origin).toBe('https://api.together.ai');
  });

  it('keeps one keep-alive pool per provider and never touches the global dispatcher', async () => {
    const before = getGlobalDispatcher();
    const provider = together();
    for (let i = 0; i < 10; i++) await provider.listModels({ refresh: true });
    // Connections are reused (keep-alive), not opened per request.
    expect(new Set(fake.requests.map((r) => r.remotePort)).size).toBeLessThanOrEqual(2);
    expect(getGlobalDispatcher()).toBe(before);
    await provider.dispose();
  });

  it('sends every request through a configured undici dispatcher', async () => {
    let dispatched = 0;
    class Counting extends Agent {
      override dispatch(...args: Parameters<Agent['dispatch']>) {
        dispatched++;
        return super.dispatch(...args);
      }
    }
    const agent = new Counting();
    const provider = together({ dispatcher: agent });
    await provider.listModels();
    expect(dispatched).toBe(1);
    await agent.close();
  });
});

describe('live discovery', () => {
  it('maps model types to capabilities, keeps context length and pricing, and lists unserved types', async () => {
    const models = await together().listModels();
    const byId = Object.fromEntries(models.map((m) => [m.id, m]));
    expect(byId[CHAT]).toMatchObject({
      capability: 'text-to-text',
      providerType: 'chat',
      contextLength: 131072,
      pricing: { inputPerMillionTokens: 0.88, outputPerMillionTokens: 0.88 },
    });
    expect(byId['meta-llama/Meta-Llama-3-8B']?.capability).toBe('text-to-text');
    expect(byId['Qwen/Qwen2.5-Coder-32B-Instruct']?.capability).toBe('text-to-text');
    expect(byId['black-forest-labs/FLUX.1-schnell']).toMatchObject({ capability: 'text-to-image', pricing: { perImage: 0.0027 } });
    expect(byId['cartesia/sonic']?.capability).toBe('text-to-audio');
    expect(byId['openai/whisper-large-v3']?.capability).toBe('audio-to-text');
    expect(byId['BAAI/bge-base-en-v1.5']?.capability).toBe('text-to-embedding');
    expect(byId['Salesforce/Llama-Rank-V1']).toMatchObject({ capability: undefined, providerType: 'rerank' });
    const error = await failure(together().getModel('Salesforce/Llama-Rank-V1'));
    expect(error).toMatchObject({ code: 'UNSUPPORTED_CAPABILITY', message: expect.stringContaining('is a rerank model') });
  });

  it('dispatches on the discovered type, never on id substrings', async () => {
    const custom = await startFakeTogether({
      models: [
        {
          id: 'acme/whisper-image-chat',
          type: 'embedding',
          display_name: 'x',
          organization: 'acme',
          context_length: 0,
          pricing: { hourly: 0, input: 0, output: 0, base: 0, finetune: 0 },
          dimensions: 8,
        },
      ],
    });
    const model = await createTogether({ createHttpClient, apiKey: 'k', baseURL: custom.baseURL }).getModel('acme/whisper-image-chat');
    expect(model.capability).toBe('text-to-embedding');
    await custom.close();
  });

  it('caches the list for its time-to-live, and refreshes on demand', async () => {
    let now = 0;
    const provider = together({ now: () => now, modelsTtlMs: 1000 });
    await provider.listModels();
    await provider.listModels({ capability: 'text-to-image' });
    await Promise.all([provider.getModel(CHAT), provider.getModel('BAAI/bge-base-en-v1.5')]);
    expect(fake.requests.filter((r) => r.path === '/models')).toHaveLength(1);
    now = 1500;
    await provider.listModels();
    await provider.listModels({ refresh: true });
    expect(fake.requests.filter((r) => r.path === '/models')).toHaveLength(3);
  });

  it('discovers in initialize() when a key is set, so the synchronous list works', async () => {
    const provider = together();
    expect(provider.getModelsForCapability('text-to-image')).toEqual([]);
    await provider.initialize!();
    expect(provider.getModelsForCapability('text-to-image').map((m) => m.id)).toContain('black-forest-labs/FLUX.1-schnell');
  });

  it('answers an unknown id with MODEL_NOT_FOUND naming the closest ids', async () => {
    const error = await failure(together().getModel('black-forest-labs/FLUX.1-schnel'));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.details.closest).toEqual(expect.arrayContaining(['black-forest-labs/FLUX.1-schnell']));
  });
});

describe('text', () => {
  it('sends prompts and options in the API shape, and records usage', async () => {
    const chat = await together().getModel(CHAT, { capability: 'text-to-text' });
    const text = await chat.transform('hello there', {
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 50,
      stop: 'END',
      seed: 7,
    });
    expect(Text.isInstance(text) && text.text).toBe('You said: hello there');
    expect(text.metadata).toMatchObject({
      provider: 'together',
      model: CHAT,
      finishReason: 'stop',
      usage: { inputTokens: 5, outputTokens: 4, totalTokens: 9 },
      requestId: expect.stringMatching(/-FAK$/),
    });
    expect(fake.requests.at(-1)?.json).toEqual({
      model: CHAT,
      stream: false,
      messages: [{ role: 'user', content: 'hello there' }],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 50,
      stop: ['END'],
      seed: 7,
    });
    // The fake does not simulate structured output: it says so (501), never answers as if it had.
    const refused = await failure(chat.transform('hello there', { responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' } } }));
    expect(fake.requests.at(-1)?.json).toMatchObject({ response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' } } } });
    expect(refused).toMatchObject({
      code: 'PROVIDER_ERROR',
      status: 501,
      retryable: false,
      message: expect.stringContaining('response_format is valid for POST /chat/completions but not simulated'),
    });
    const short = await chat.transform(
      [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'one two three' },
      ],
      { maxTokens: 2 },
    );
    expect(short).toMatchObject({ text: 'You said: ', metadata: { finishReason: 'length' } });
  });

  it('streams deltas, takes usage from the last chunk and ends on [DONE]', async () => {
    const chat = await together().getModel(CHAT, { capability: 'text-to-text' });
    const parts: TextStreamPartV1[] = [];
    for await (const part of chat.stream({ messages: [{ role: 'user', content: 'stream this please' }] })) parts.push(part);
    const text = parts.flatMap((p) => (p.type === 'text-delta' ? [p.text] : [])).join('');
    expect(text).toBe('You said: stream this please');
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', usage: { inputTokens: 6, outputTokens: 5, totalTokens: 11 } });
    expect(fake.requests.at(-1)?.events?.at(-1)).toBe('[DONE]');
  });

  it('turns a mid-stream error event into a typed error', async () => {
    fake.addFault({ path: '/chat/completions', streamError: { message: 'engine crashed', code: 'engine_error' } });
    const chat = await together().getModel(CHAT, { capability: 'text-to-text' });
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const p of chat.stream('a b c d e f')) if (p.type === 'text-delta') seen.push(p.text);
      })(),
    );
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', providerCode: 'engine_error', message: expect.stringContaining('engine crashed'), details: { afterFirstByte: true } });
    expect(seen.length).toBe(2);
  });

  it('reports a stream cut before [DONE]', async () => {
    fake.addFault({ path: '/chat/completions', truncateStream: true });
    const chat = await together().getModel(CHAT, { capability: 'text-to-text' });
    const error = await failure(
      (async () => {
        for await (const _ of chat.stream('a b c d e f')) {
          /* read */
        }
      })(),
    );
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringContaining('ended before [DONE]') });
  });

  it('stops a stream when its signal aborts', async () => {
    const chat = await together().getModel(CHAT, { capability: 'text-to-text' });
    const controller = new AbortController();
    let deltas = 0;
    const error = await failure(
      (async () => {
        for await (const part of chat.stream('one two three four five six seven eight', { signal: controller.signal })) {
          if (part.type === 'text-delta' && ++deltas === 2) controller.abort();
        }
      })(),
    );
    expect(error.code).toBe('ABORTED');
    expect(deltas).toBe(2);
  });
});

describe('images', () => {
  it('asks for base64 and returns real JPEGs with the size read from the bytes', async () => {
    const flux = await together().getModel('black-forest-labs/FLUX.1-schnell', { capability: 'text-to-image' });
    const image = await flux.transform('A serene mountain landscape', { width: 512, height: 320, steps: 4, seed: 11, negativePrompt: 'fog' });
    expect(image).toMatchObject({ mimeType: 'image/jpeg', width: 512, height: 320 });
    const decoded = jpeg.decode(Buffer.from(image.bytes));
    expect([decoded.width, decoded.height]).toEqual([512, 320]);
    expect(fake.requests.at(-1)?.json).toEqual({
      model: 'black-forest-labs/FLUX.1-schnell',
      prompt: 'A serene mountain landscape',
      n: 1,
      response_format: 'base64',
      output_format: 'jpeg',
      width: 512,
      height: 320,
      steps: 4,
      seed: 11,
      negative_prompt: 'fog',
    });
  });

  it('returns PNG when asked, and several images for n > 1', async () => {
    const flux = await together().getModel('black-forest-labs/FLUX.1-schnell', { capability: 'text-to-image' });
    const images = await flux.transformMany('tiles', { n: 3, width: 64, height: 64, format: 'png' });
    expect(images.map((i) => Image.isInstance(i) && i.mimeType)).toEqual(['image/png', 'image/png', 'image/png']);
    expect(PNG.sync.read(Buffer.from(images[0]!.bytes)).width).toBe(64);
    expect(new Set(images.map((i) => Buffer.from(i.bytes).toString('base64'))).size).toBe(3);
  });

  it('downloads images answered by URL', async () => {
    const byUrl = await startFakeTogether({ imageUrls: true });
    const flux = await createTogether({ createHttpClient, apiKey: 'k', baseURL: byUrl.baseURL }).getModel('black-forest-labs/FLUX.1-dev', { capability: 'text-to-image' });
    const image = await flux.transform('lake', { width: 128, height: 96 });
    expect([image.mimeType, image.width, image.height]).toEqual(['image/jpeg', 128, 96]);
    expect(byUrl.requests.map((r) => r.path)).toEqual(['/models', '/images/generations', expect.stringMatching(/^\/_images\//)]);
    await byUrl.close();
  });

  it('downloads images from another host without sending the API key there', async () => {
    // A CDN stand-in on another port: it records what it is sent and forwards to the fake.
    const cdnSeen: Record<string, unknown>[] = [];
    let fakeOrigin = '';
    const cdn = createServer((req, res) => {
      cdnSeen.push({ ...req.headers });
      void fetch(`${fakeOrigin}${req.url}`).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' }).end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
    const byUrl = await startFakeTogether({ imageUrls: `http://127.0.0.1:${(cdn.address() as AddressInfo).port}` });
    fakeOrigin = new URL(byUrl.baseURL).origin;
    const flux = await createTogether({ createHttpClient, apiKey: 'the-secret-key', baseURL: byUrl.baseURL, headers: { 'x-org': 'private' } }).getModel(
      'black-forest-labs/FLUX.1-dev',
      { capability: 'text-to-image' },
    );
    const images = await flux.transformMany('lake', { width: 128, height: 96, n: 2 });
    expect(images.map((i) => [i.mimeType, i.width, i.height])).toEqual([
      ['image/jpeg', 128, 96],
      ['image/jpeg', 128, 96],
    ]);
    expect(byUrl.requests.find((r) => r.path === '/images/generations')?.headers.authorization).toBe('Bearer ***'); // sent (the fake's log masks keys)
    expect(cdnSeen).toHaveLength(2);
    for (const headers of cdnSeen) {
      expect(headers).not.toHaveProperty('authorization');
      expect(headers).not.toHaveProperty('x-org');
    }
    await byUrl.close();
    await new Promise((resolve) => cdn.close(resolve));
  });

  it('gives a safety refusal (422) its own code', async () => {
    const flux = await together().getModel('black-forest-labs/FLUX.1-schnell', { capability: 'text-to-image' });
    const error = await failure(flux.transform('something nsfw'));
    expect(error).toMatchObject({ code: 'CONTENT_REFUSED', status: 422, providerCode: 'nsfw_content', retryable: false });
  });
});

describe('speech, voices and transcription', () => {
  it('speaks WAV, MP3 and raw PCM with the right MIME types, choosing a listed voice by default', async () => {
    const sonic = await together().getModel('cartesia/sonic', { capability: 'text-to-audio' });
    expect(await sonic.listVoices!()).toEqual([
      { id: 'laidback woman', name: 'laidback woman' },
      { id: 'helpful woman', name: 'helpful woman' },
      { id: 'friendly sidekick', name: 'friendly sidekick' },
    ]);
    const wav = await sonic.transform('Hello from Together', { sampleRate: 22050 });
    expect(wav).toMatchObject({ mimeType: 'audio/wav', sampleRate: 22050 });
    expect(readWavInfo(wav.bytes)?.durationSeconds).toBeCloseTo(19 * 0.05, 2);
    expect(fake.requests.at(-1)?.json).toMatchObject({ model: 'cartesia/sonic', voice: 'laidback woman', response_format: 'wav', sample_rate: 22050 });
    const mp3 = await sonic.transform('Hello', { format: 'mp3', voice: 'helpful woman' });
    expect([mp3.mimeType, mp3.bytes[0], mp3.bytes[1]]).toEqual(['audio/mpeg', 0xff, 0xfb]);
    const raw = await sonic.transform('Hello', { format: 'raw', sampleRate: 16000 });
    expect(raw).toMatchObject({ mimeType: 'audio/L16', sampleRate: 16000, durationSeconds: 0.25 });
    expect(fake.requests.filter((r) => r.path === '/voices')).toHaveLength(1);
  });

  it("transcribes over multipart, round-tripping the fake's own speech", async () => {
    const provider = together();
    const speech = await (await provider.getModel('hexgrad/Kokoro-82M', { capability: 'text-to-audio' })).transform('The quick brown fox');
    const whisper = await provider.getModel('openai/whisper-large-v3', { capability: 'audio-to-text' });
    const text = await whisper.transform(speech, { language: 'en', prompt: 'animals' });
    expect(Text.isInstance(text) && text.text).toBe('The quick brown fox');
    expect(fake.requests.at(-1)?.form).toEqual({
      file: { fileName: 'audio.wav', type: 'audio/wav', size: speech.bytes.byteLength },
      model: 'openai/whisper-large-v3',
      response_format: 'json',
      language: 'en',
      prompt: 'animals',
    });
    expect(Audio.isInstance(speech)).toBe(true);
  });
});

describe('embeddings', () => {
  it('returns vectors in input order and warns about an unsupported option', async () => {
    warnings.length = 0;
    const bge = await together().getModel('BAAI/bge-base-en-v1.5', { capability: 'text-to-embedding' });
    const [a, b] = await bge.transformMany(['first text', 'second text'], { dimensions: 64 });
    expect(Embedding.isInstance(a) && a.dimensions).toBe(768);
    expect(a!.input).toBe('first text');
    expect(a!.cosineSimilarity(b!)).toBeLessThan(0.99);
    expect(warnings).toEqual([expect.stringContaining('dimensions option is not supported')]);
    expect((await bge.transform('first text')).values).toEqual(a!.values);
  });
});

describe('errors', () => {
  it.each([
    [400, 'INVALID_INPUT', false, undefined],
    [400, 'MODEL_NOT_FOUND', false, 'model_not_available'],
    [401, 'AUTHENTICATION_FAILED', false, 'invalid_api_key'],
    [402, 'INSUFFICIENT_CREDITS', false, 'credit_limit'],
    [403, 'PERMISSION_DENIED', false, undefined],
    [404, 'MODEL_NOT_FOUND', false, 'model_not_found'],
    [422, 'INVALID_INPUT', false, undefined],
    [500, 'PROVIDER_ERROR', true, undefined],
    [503, 'PROVIDER_ERROR', true, undefined],
  ])('%i becomes %s with status, provider code, body message and request id', async (status, code, retryable, providerCode) => {
    fake.addFault({
      path: '/chat/completions',
      status,
      error: { message: `boom ${status}`, ...(providerCode ? { code: providerCode } : {}) },
      headers: { 'x-request-id': 'req-123' },
    });
    const chat = await together().getModel(CHAT, { capability: 'text-to-text' });
    const error = await failure(chat.transform('hi'));
    expect(error).toMatchObject({ code, status, retryable, requestId: 'req-123', message: expect.stringContaining(`boom ${status}`) });
    if (providerCode) expect(error.providerCode).toBe(providerCode);
    expect(fake.requests.filter((r) => r.path === '/chat/completions')).toHaveLength(1); // the client never retries
  });

  it('parses rate-limit headers on 429', async () => {
    fake.addFault({
      path: '/embeddings',
      status: 429,
      error: { message: 'Request was rejected due to request rate limiting.', type: 'credit_limit' },
      headers: { 'retry-after-ms': '1500', 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2', 'x-tokenlimit-remaining': '12' },
    });
    const bge = await together().getModel('BAAI/bge-base-en-v1.5', { capability: 'text-to-embedding' });
    const error = await failure(bge.transform('x'));
    expect(error).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
      retryable: true,
      retryAfterMs: 1500,
      providerCode: 'credit_limit',
      details: { ratelimitLimit: 10, ratelimitRemaining: 0, ratelimitReset: 2, tokenlimitRemaining: 12 },
    });
    fake.addFault({ path: '/embeddings', status: 429, headers: { 'retry-after': '3' } });
    expect((await failure(bge.transform('x'))).retryAfterMs).toBe(3000);
  });

  it('lets x-should-retry override retryable', async () => {
    fake.addFault({ path: '/chat/completions', status: 503, headers: { 'x-should-retry': 'false' } });
    const chat = await together().getModel(CHAT, { capability: 'text-to-text' });
    expect((await failure(chat.transform('hi'))).retryable).toBe(false);
  });

  it('turns a slow answer into TIMEOUT and a reset connection into CONNECTION_FAILED', async () => {
    const chat = await together({ timeoutMs: 200 }).getModel(CHAT, { capability: 'text-to-text' });
    fake.addFault({ path: '/chat/completions', latencyMs: 1000 });
    expect(await failure(chat.transform('hi'))).toMatchObject({ code: 'TIMEOUT', retryable: true });
    fake.addFault({ path: '/chat/completions', reset: true });
    expect(await failure(chat.transform('hi'))).toMatchObject({ code: 'CONNECTION_FAILED', retryable: true });
  });

  it('succeeds after scripted failures, one request per call', async () => {
    fake.addFault({ path: '/chat/completions', status: 503, times: 2 });
    const chat = await together().getModel(CHAT, { capability: 'text-to-text' });
    expect((await failure(chat.transform('a'))).code).toBe('PROVIDER_ERROR');
    expect((await failure(chat.transform('a'))).code).toBe('PROVIDER_ERROR');
    expect((await chat.transform('a')).text).toBe('You said: a');
    expect(fake.requests.filter((r) => r.path === '/chat/completions').map((r) => r.status)).toEqual([503, 503, 200]);
  });
});
