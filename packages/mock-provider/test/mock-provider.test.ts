import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { Audio, CAPABILITIES, Embedding, Image, MediaConduitError, readWavInfo, Text, type TextStreamPartV1 } from '@mediaconduit/core';
import { createMockProvider } from '../src/index.js';

const provider = createMockProvider();
const model = <C extends (typeof CAPABILITIES)[number]>(id: string, capability: C) => provider.getModel(id, { capability });

describe('discovery', () => {
  it('lists at least two models for every capability', async () => {
    for (const capability of CAPABILITIES) {
      const models = await provider.listModels({ capability });
      expect(models.length, capability).toBeGreaterThanOrEqual(2);
      expect(models.every((m) => m.capability === capability)).toBe(true);
      expect(provider.getModelsForCapability(capability)).toEqual(models);
    }
    expect(provider.capabilities).toEqual([...CAPABILITIES]);
  });

  it('rejects unknown ids with MODEL_NOT_FOUND naming the closest ids, and wrong capabilities', async () => {
    await expect(provider.getModel('mock/haiku-2')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('closest: mock/haiku-1') });
    await expect(provider.getModel('mock/haiku-1', { capability: 'text-to-image' })).rejects.toMatchObject({ code: 'UNSUPPORTED_CAPABILITY' });
  });
});

describe('text', () => {
  it('writes a deterministic three-line haiku, with usage', async () => {
    const haiku = await model('mock/haiku-1', 'text-to-text');
    const a = await haiku.transform('Write about the sea', { seed: 7 });
    const b = await haiku.transform([{ role: 'user', content: 'Write about the sea' }], { seed: 7 });
    const c = await haiku.transform('Write about the sea', { seed: 8 });
    expect(a.text.split('\n')).toHaveLength(3);
    expect(a.text).toContain('sea');
    expect(b.text).toBe(a.text);
    expect(c.text).not.toBe(a.text);
    expect(a.metadata).toMatchObject({ provider: 'mock', model: 'mock/haiku-1', usage: { inputTokens: 4, outputTokens: expect.any(Number) }, finishReason: 'stop' });
  });

  it('streams token by token, ending with a finish part that carries usage', async () => {
    const haiku = await model('mock/haiku-1', 'text-to-text');
    const parts: TextStreamPartV1[] = [];
    for await (const part of haiku.stream('Write about the sea', { seed: 7 })) parts.push(part);
    const deltas = parts.filter((p) => p.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.map((d) => d.text).join('')).toBe((await haiku.transform('Write about the sea', { seed: 7 })).text);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop', usage: { outputTokens: deltas.length } });
  });

  it('stops a stream when its signal aborts', async () => {
    const haiku = await model('mock/haiku-1', 'text-to-text');
    const controller = new AbortController();
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const part of haiku.stream('sea', { signal: controller.signal })) {
          if (part.type === 'text-delta') seen.push(part.text);
          if (seen.length === 2) controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(seen).toHaveLength(2);
  });

  it('honours maxTokens and stop', async () => {
    const echo = await model('mock/echo-1', 'text-to-text');
    expect(await echo.transform('one two three four', { maxTokens: 2 })).toMatchObject({ text: 'one two ', metadata: { finishReason: 'length' } });
    expect((await echo.transform('one two three four', { stop: 'three' })).text).toBe('one two ');
  });
});

describe('images', () => {
  it('writes real PNG files of the requested size that an independent decoder reads', async () => {
    const gradient = await model('mock/gradient-1', 'text-to-image');
    const image = await gradient.transform('A serene mountain landscape', { width: 320, height: 200, seed: 3 });
    expect(image).toMatchObject({ mimeType: 'image/png', width: 320, height: 200 });
    const decoded = PNG.sync.read(Buffer.from(image.bytes));
    expect([decoded.width, decoded.height]).toEqual([320, 200]);
    // Not a blank picture: many distinct colours.
    const colours = new Set<number>();
    for (let i = 0; i < decoded.data.length; i += 4 * 97) colours.add(decoded.data.readUInt32BE(i));
    expect(colours.size).toBeGreaterThan(20);
  });

  it('derives the picture from prompt and seed', async () => {
    const gradient = await model('mock/gradient-1', 'text-to-image');
    const bytes = async (prompt: string, seed: number) => Buffer.from((await gradient.transform(prompt, { width: 64, height: 64, seed })).bytes);
    expect((await bytes('a', 1)).equals(await bytes('a', 1))).toBe(true);
    expect((await bytes('a', 1)).equals(await bytes('a', 2))).toBe(false);
    expect((await bytes('a', 1)).equals(await bytes('b', 1))).toBe(false);
  });

  it('returns n images and rejects bad sizes with INVALID_INPUT', async () => {
    const stripes = await model('mock/stripes-1', 'text-to-image');
    const images = await stripes.transformMany('x', { n: 3, width: 32, height: 16 });
    expect(images.map((i) => Image.isInstance(i) && i.width === 32 && i.height === 16)).toEqual([true, true, true]);
    expect(new Set(images.map((i) => Buffer.from(i.bytes).toString('base64'))).size).toBe(3);
    await expect(stripes.transform('x', { width: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('width must be') });
  });
});

describe('speech and transcription', () => {
  it('speaks 16-bit PCM WAV whose duration follows the text, at the requested sample rate', async () => {
    const voice = await model('mock/tone-voice-1', 'text-to-audio');
    const short = await voice.transform('hello');
    const long = await voice.transform('hello there, how are you today?', { sampleRate: 22_050 });
    const info = readWavInfo(long.bytes)!;
    expect(info).toMatchObject({ channels: 1, sampleRate: 22_050, bitsPerSample: 16 });
    expect(short.durationSeconds).toBeCloseTo(5 * 0.06, 2);
    expect(long.durationSeconds).toBeCloseTo(31 * 0.06, 2);
    expect(Audio.isInstance(long) && long.mimeType).toBe('audio/wav');
    await expect(voice.transform('x', { sampleRate: 4000 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('transcribes its own speech back to the same text at several sample rates', async () => {
    const transcriber = await model('mock/tone-transcriber-1', 'audio-to-text');
    const text = 'An old silent pond,\nA frog jumps into the pond: "splash!" (Silence again.) 1234';
    for (const [id, sampleRate] of [
      ['mock/tone-voice-1', 8000],
      ['mock/tone-voice-1', 16_000],
      ['mock/tone-voice-hifi', undefined],
    ] as const) {
      const voice = await model(id, 'text-to-audio');
      const audio = await voice.transform(text, sampleRate ? { sampleRate } : {});
      expect((await transcriber.transform(audio)).text).toBe(text);
      expect((await transcriber.transform({ data: audio.bytes, mimeType: 'audio/wav' })).text).toBe(text);
    }
    const normalized = await model('mock/tone-transcriber-normalized', 'audio-to-text');
    expect((await normalized.transform(await (await model('mock/tone-voice-1', 'text-to-audio')).transform(text))).text).toBe(
      'an old silent pond a frog jumps into the pond splash silence again 1234',
    );
    await expect(transcriber.transform({ data: new Uint8Array([1, 2, 3]), mimeType: 'audio/wav' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('embeddings', () => {
  it('returns deterministic unit vectors of the stated dimension', async () => {
    for (const [id, dimensions] of [
      ['mock/embed-64', 64],
      ['mock/embed-256', 256],
    ] as const) {
      const embedder = await model(id, 'text-to-embedding');
      expect(embedder.info.dimensions).toBe(dimensions);
      const [a, b, c] = await embedder.transformMany(['the cat sat', 'the cat sat', 'quarterly revenue report']);
      expect(Embedding.isInstance(a) && a.dimensions).toBe(dimensions);
      expect(Math.hypot(...a!.values)).toBeCloseTo(1, 10);
      expect(b!.values).toEqual(a!.values);
      expect(a!.cosineSimilarity(b!)).toBeCloseTo(1);
      expect(a!.cosineSimilarity(await embedder.transform('the cat sat down'))).toBeGreaterThan(a!.cosineSimilarity(c!));
    }
  });
});

describe('fault injection', () => {
  it('fails the first N calls with the configured code, then succeeds', async () => {
    const flaky = createMockProvider({ failFirst: 2, failureCode: 'RATE_LIMITED' });
    const echo = await flaky.getModel('mock/echo-1', { capability: 'text-to-text' });
    for (let i = 1; i <= 2; i++) {
      const error = await echo.transform('x').catch((e: unknown) => e);
      expect(MediaConduitError.hasCode(error, 'RATE_LIMITED')).toBe(true);
      expect(error).toMatchObject({ retryable: true, status: 429, message: expect.stringContaining(`call ${i}`) });
    }
    expect((await echo.transform('x')).text).toBe('x');
  });

  it('fails every call after N successes', async () => {
    const failing = createMockProvider({ failAfter: 1 });
    const echo = await failing.getModel('mock/echo-1', { capability: 'text-to-text' });
    expect(Text.isInstance(await echo.transform('x'))).toBe(true);
    await expect(echo.transform('x')).rejects.toMatchObject({ code: 'PROVIDER_ERROR', status: 503 });
    await expect(echo.transform('x')).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
  });

  it('fails at a seeded rate, the same way every time', async () => {
    const outcomes = async () => {
      const echo = await createMockProvider({ failureRate: 0.5, seed: 42 }).getModel('mock/echo-1', { capability: 'text-to-text' });
      const results: boolean[] = [];
      for (let i = 0; i < 40; i++)
        results.push(
          await echo.transform('x').then(
            () => true,
            () => false,
          ),
        );
      return results;
    };
    const first = await outcomes();
    expect(await outcomes()).toEqual(first);
    const failures = first.filter((ok) => !ok).length;
    expect(failures).toBeGreaterThan(8);
    expect(failures).toBeLessThan(32);
  });

  it('waits the injected latency, and aborts it', async () => {
    const slow = await createMockProvider({ latencyMs: 60_000 }).getModel('mock/echo-1', { capability: 'text-to-text' });
    const controller = new AbortController();
    const pending = slow.transform('x', { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('rejects bad options, listing every problem', () => {
    expect(() => createMockProvider({ failureRate: 2, failureCode: 'NOPE' as never, latency: 5 } as never)).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        details: { problems: [expect.stringMatching(/^latency: unknown option/), expect.stringMatching(/^failureRate/), expect.stringMatching(/^failureCode/)] },
      }),
    );
  });
});
