// Retries, fallback chains, the call log, usage and cost, through the registry as applications
// use it: the mock and Together providers loaded through the Git pipeline, Together against the
// fake server on 127.0.0.1 with injected faults.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  callbackCallLog,
  createProviderRegistry,
  jsonlCallLog,
  type MediaConduitError,
  memoryCallLog,
  type CallEvents,
  type CallRecord,
  type LayeredModelConfig,
  type ProviderRegistry,
  type ProviderRegistryOptions,
} from '@mediaconduit/core';
import { startFakeTogether, type FakeTogetherServer } from '@mediaconduit/together-provider/testing';
import { commitProviders } from './support/provider-repo.js';

const KEY = `sk-dependable-${randomBytes(12).toString('hex')}`;
const LLAMA = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const FLUX = 'black-forest-labs/FLUX.1-schnell';
let work: string;
let fake: FakeTogetherServer;
let MOCK: string;
let TOGETHER: string;
let registries: ProviderRegistry[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-dependable-'));
  ({ MOCK, TOGETHER } = await commitProviders(work));
  fake = await startFakeTogether({ apiKey: KEY });
});
afterAll(async () => {
  await fake.close();
  await rm(work, { recursive: true, force: true });
});
beforeEach(() => fake.reset());
afterEach(async () => {
  await Promise.all(registries.map((r) => r.close()));
  registries = [];
});

/**
 * Where this file's providers run: in the host process here; `dependable-calls.isolated.test.ts`
 * runs every test again with each provider in a process of its own. There the Together key is the
 * host's (an isolated provider takes no secret in its config), sent to the fake's origin.
 */
const ISOLATION: 'none' | 'process' = (globalThis as { mediaconduitTestIsolation?: 'process' }).mediaconduitTestIsolation ?? 'none';
const hostKey = (env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv => (ISOLATION === 'process' ? { TOGETHER_API_KEY: KEY, ...env } : (env ?? {}));

const FAST: ProviderRegistryOptions['retry'] = { baseDelayMs: 5 };
function registry(options: ProviderRegistryOptions = {}): ProviderRegistry {
  const created = createProviderRegistry({
    cacheDir: join(work, 'cache'),
    lockfile: false,
    retry: FAST,
    isolation: ISOLATION,
    ...options,
    env: hostKey(options.env),
    secretOrigins: { TOGETHER_API_KEY: [new URL(fake.baseURL).origin], ...options.secretOrigins },
  });
  registries.push(created);
  return created;
}
const togetherConfig = (extra: Record<string, unknown> = {}) => ({ ...(ISOLATION === 'none' ? { apiKey: KEY } : {}), baseURL: fake.baseURL, ...extra });
const together = (r: ProviderRegistry, extra: Record<string, unknown> = {}) => r.getProvider(TOGETHER, { config: togetherConfig(extra) });
const served = (path: string) => fake.requests.filter((r) => r.path === path).length;
const elapsed = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  const result = await work().then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );
  return { ...result, ms: performance.now() - started };
};

describe('retries', () => {
  it('retries retryable failures with backoff until one succeeds, and logs every attempt and the call', async () => {
    const log = memoryCallLog();
    const r = registry({ callLog: [log] });
    const retries: CallEvents['call:retry'][] = [];
    r.on('call:retry', (event) => retries.push(event));
    const mock = await r.getProvider(MOCK, { config: { failFirst: 2, failureCode: 'RATE_LIMITED' } });
    const haiku = await mock.getModel('mock/haiku-1', { capability: 'text-to-text' });
    const text = await haiku.transform('the sea at night');
    expect(text.text.split('\n')).toHaveLength(3);
    expect(retries.map((e) => [e.attempt, e.error.code])).toEqual([
      [1, 'RATE_LIMITED'],
      [2, 'RATE_LIMITED'],
    ]);
    const records = log.records();
    expect(records.map((rec) => [rec.kind, rec.attempt, rec.status, rec.errorCode ?? null, rec.httpStatus ?? null])).toEqual([
      ['attempt', 1, 'error', 'RATE_LIMITED', 429],
      ['attempt', 2, 'error', 'RATE_LIMITED', 429],
      ['call', 3, 'ok', null, null],
    ]);
    const call = records.at(-1)!;
    expect(call).toMatchObject({ provider: 'mock', model: 'mock/haiku-1', capability: 'text-to-text', operation: 'transform', input: { promptChars: 16 } });
    expect(call.output?.textChars).toBe(text.text.length);
    expect(call.usage).toEqual(text.metadata.usage);
    expect(new Set(records.map((rec) => rec.callId)).size).toBe(1);
    expect(Date.parse(call.time)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('fails at once on a failure no retry can fix', async () => {
    const log = memoryCallLog();
    const mock = await registry({ callLog: [log] }).getProvider(MOCK, { config: { failFirst: 1, failureCode: 'INVALID_INPUT' } });
    const model = await mock.getModel('mock/gradient-1', { capability: 'text-to-image' });
    await expect(model.transform('a lake')).rejects.toMatchObject({ code: 'INVALID_INPUT', status: 400 });
    expect(log.records().map((rec) => [rec.kind, rec.attempt, rec.errorCode])).toEqual([['call', 1, 'INVALID_INPUT']]);
  });

  it('takes its policy from the registry, then the provider, then the call', async () => {
    const log = memoryCallLog();
    const r = registry({ callLog: [log], retry: { maxRetries: 0, baseDelayMs: 1 }, retryByProvider: { mock: { maxRetries: 1 } } });
    const attempts = async (failFirst: number, retry?: false | { maxRetries: number }) => {
      log.clear();
      const mock = await r.getProvider(MOCK, { config: { failFirst, failureCode: 'PROVIDER_ERROR', seed: failFirst * 10 + (retry ? retry.maxRetries : 9) } });
      const model = await mock.getModel('mock/embed-64', { capability: 'text-to-embedding' });
      await model.transform('x', retry === undefined ? {} : { retry }).catch(() => {});
      return log.records().find((rec) => rec.kind === 'call')!.attempt;
    };
    expect(await attempts(10)).toBe(2); // the provider's policy: 1 retry
    expect(await attempts(11, { maxRetries: 3 })).toBe(4); // the call's
    expect(await attempts(12, false)).toBe(1);
  });

  it('ends the whole call at its deadline with TIMEOUT', async () => {
    // The answer would take ten minutes, far past the test's own limit: only the deadline ends the call.
    const mock = await registry().getProvider(MOCK, { config: { latencyMs: 600_000 } });
    const model = await mock.getModel('mock/haiku-1', { capability: 'text-to-text' });
    const { error } = await elapsed(() => model.transform('slow', { retry: { deadlineMs: 100 } }));
    expect(error).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('deadline of 100 ms') });
  });

  it('honours retry-after: waits the stated time, then succeeds (429 from Together)', async () => {
    const log = memoryCallLog();
    const llama = await (await together(registry({ callLog: [log] }))).getModel(LLAMA, { capability: 'text-to-text' });
    fake.addFault({ path: '/chat/completions', status: 429, headers: { 'retry-after': '1' } });
    const { value, ms } = await elapsed(() => llama.transform('after the wait'));
    expect((value as { text: string }).text).toBe('You said: after the wait');
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(served('/chat/completions')).toBe(2);
    expect(log.records().filter((rec) => rec.kind === 'attempt')[0]).toMatchObject({ status: 'error', errorCode: 'RATE_LIMITED', httpStatus: 429 });
  });

  it('returns when aborted during a backoff wait, without waiting it out', async () => {
    // The service asks for a wait longer than the test's own limit: only the abort ends it.
    const r = registry({ retry: { maxDelayMs: 600_000 } });
    const retried: CallEvents['call:retry'][] = [];
    const controller = new AbortController();
    r.on('call:retry', (event) => {
      retried.push(event);
      controller.abort(); // during the wait that follows
    });
    const llama = await (await together(r)).getModel(LLAMA, { capability: 'text-to-text' });
    fake.addFault({ path: '/chat/completions', status: 429, headers: { 'retry-after': '300' } });
    const { error } = await elapsed(() => llama.transform('never', { signal: controller.signal }));
    expect(retried.map((e) => e.delayMs)).toEqual([300_000]);
    expect(error).toMatchObject({ code: 'ABORTED' });
    expect(served('/chat/completions')).toBe(1);
  });

  it('a slow answer is a typed TIMEOUT', async () => {
    // The answer would come after the test's own limit: only the provider's timeout ends the call.
    const llama = await (await together(registry(), { timeoutMs: 150 })).getModel(LLAMA, { capability: 'text-to-text' });
    fake.addFault({ path: '/chat/completions', latencyMs: 120_000 });
    const { error } = await elapsed(() => llama.transform('slow', { retry: false }));
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true });
  });

  it('retries a stream that fails before its first part, never after it, and never truncates silently', async () => {
    const log = memoryCallLog();
    const llama = await (await together(registry({ callLog: [log] }))).getModel(LLAMA, { capability: 'text-to-text' });
    fake.addFault({ path: '/chat/completions', reset: true });
    let text = '';
    for await (const part of llama.stream('one two three four five')) if (part.type === 'text-delta') text += part.text;
    expect(text).toBe('You said: one two three four five');
    expect(served('/chat/completions')).toBe(2);

    fake.reset();
    fake.addFault({ path: '/chat/completions', truncateStream: true });
    const parts: string[] = [];
    const failure = await (async () => {
      for await (const part of llama.stream('one two three four five')) if (part.type === 'text-delta') parts.push(part.text);
    })().catch((error: unknown) => error);
    expect(parts.length).toBeGreaterThan(0); // parts arrived before the failure …
    expect(failure).toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringContaining('incomplete') }); // … and the end is an error, not a short answer
    expect(served('/chat/completions')).toBe(1); // no retry after the first part
    expect(log.records().at(-1)).toMatchObject({ kind: 'call', operation: 'stream', status: 'error', errorCode: 'CONNECTION_FAILED' });
  });
});

describe('fallback chains', () => {
  const mockRef = (model: string, config?: Record<string, unknown>) => ({ provider: MOCK, model, ...(config ? { config } : {}) });
  const togetherRef = (model: string) => ({ provider: TOGETHER, model, config: togetherConfig() });

  it('moves on from a failing model for every capability (streams before their first part)', async () => {
    const r = registry({ retry: false });
    const chains = {
      text: r.withFallback([togetherRef(LLAMA), mockRef('mock/haiku-1')], { capability: 'text-to-text', cooldown: false }),
      image: r.withFallback([togetherRef(FLUX), mockRef('mock/gradient-1')], { capability: 'text-to-image', cooldown: false }),
      speech: r.withFallback([togetherRef('cartesia/sonic'), mockRef('mock/tone-voice-1')], { capability: 'text-to-audio', cooldown: false }),
      transcription: r.withFallback([togetherRef('openai/whisper-large-v3'), mockRef('mock/tone-transcriber-1')], { capability: 'audio-to-text', cooldown: false }),
      embedding: r.withFallback([togetherRef('togethercomputer/m2-bert-80M-8k-retrieval'), mockRef('mock/embed-64')], { capability: 'text-to-embedding', cooldown: false }),
    };
    await together(r); // loaded (and its models discovered) before the faults
    fake.addFault({ status: 503, times: 1000 });
    expect((await chains.text.transform('hello')).metadata.provider).toBe('mock');
    const parts = [];
    for await (const part of chains.text.stream('hello')) parts.push(part);
    expect(parts.at(-1)).toMatchObject({ type: 'finish' });
    expect((await chains.image.transform('a lake', { width: 64, height: 64 })).metadata.provider).toBe('mock');
    const speech = await chains.speech.transform('fallback speech');
    expect(speech.metadata.provider).toBe('mock');
    expect((await chains.transcription.transform(speech)).text).toBe('fallback speech');
    expect((await chains.embedding.transformMany(['a', 'b'])).map((e) => e.metadata.provider)).toEqual(['mock', 'mock']);
    expect(served('/chat/completions')).toBe(2);
  });

  it('falls back after 503 three times, and ALL_FALLBACKS_FAILED lists each attempt', async () => {
    const log = memoryCallLog();
    const r = registry({ callLog: [log] });
    const fallbacks: CallEvents['call:fallback'][] = [];
    r.on('call:fallback', (event) => fallbacks.push(event));
    const image = r.withFallback([togetherRef(FLUX), mockRef('mock/gradient-1')], { capability: 'text-to-image', retry: { maxRetries: 2 } });
    fake.addFault({ path: '/images/generations', status: 503, times: 3, headers: { 'retry-after-ms': '10' } });
    const picture = await image.transform('a lake', { width: 64, height: 64 });
    expect(picture.metadata.provider).toBe('mock');
    expect(served('/images/generations')).toBe(3);
    expect(fallbacks).toEqual([
      expect.objectContaining({ from: { provider: 'together', model: FLUX }, to: expect.objectContaining({ model: 'mock/gradient-1' }), skipped: false }),
    ]);
    expect(log.records().at(-1)).toMatchObject({ kind: 'fallback', status: 'ok', provider: 'mock', steps: [{ outcome: 'PROVIDER_ERROR' }, { outcome: 'ok' }] });

    const broken = r.withFallback([togetherRef(FLUX), mockRef('mock/gradient-1', { failFirst: 100, failureCode: 'PROVIDER_ERROR' })], {
      capability: 'text-to-image',
      retry: false,
      cooldown: false,
    });
    fake.addFault({ path: '/images/generations', status: 503, times: 1 });
    const error = (await broken.transform('a lake').catch((e: unknown) => e)) as MediaConduitError;
    expect(error).toMatchObject({ code: 'ALL_FALLBACKS_FAILED' });
    expect(error.details.attempts).toEqual([
      { provider: 'together', model: FLUX, outcome: 'PROVIDER_ERROR', latencyMs: expect.any(Number) },
      { provider: 'mock', model: 'mock/gradient-1', outcome: 'PROVIDER_ERROR', latencyMs: expect.any(Number) },
    ]);
    expect(error.message).toMatch(/together black-forest-labs\/FLUX.1-schnell: PROVIDER_ERROR after \d+ ms\n {2}- mock mock\/gradient-1: PROVIDER_ERROR after \d+ ms/);
  });

  it('a safety refusal is not retried and, by default, not passed on; passing it on is an option', async () => {
    const r = registry();
    const strict = r.withFallback([togetherRef(FLUX), mockRef('mock/gradient-1')], { capability: 'text-to-image' });
    await expect(strict.transform('nsfw prompt')).rejects.toMatchObject({ code: 'CONTENT_REFUSED', status: 422 });
    expect(served('/images/generations')).toBe(1);
    const lenient = r.withFallback([togetherRef(FLUX), mockRef('mock/gradient-1')], { capability: 'text-to-image', fallbackOn: ['CONTENT_REFUSED', 'PROVIDER_ERROR'] });
    expect((await lenient.transform('nsfw prompt', { width: 64, height: 64 })).metadata.provider).toBe('mock');
  });

  it('cools a failed model down, then lets one probe call try it again', async () => {
    // Time moves only when the test moves it: the registry's clock is injected.
    let now = Date.parse('2026-01-01T00:00:00Z');
    const r = registry({ retry: false, now: () => now });
    const text = r.withFallback([togetherRef(LLAMA), mockRef('mock/echo-1')], { capability: 'text-to-text', cooldown: { cooldownMs: 30_000 } });
    await together(r);
    fake.addFault({ path: '/chat/completions', status: 503 });
    expect((await text.transform('one')).metadata.provider).toBe('mock');
    now += 29_999;
    expect((await text.transform('two')).metadata.provider).toBe('mock'); // skipped while cooling down
    expect(served('/chat/completions')).toBe(1);
    now += 1;
    expect((await text.transform('three')).text).toBe('You said: three'); // the probe succeeds
    expect((await text.transform('four')).text).toBe('You said: four');
    expect(served('/chat/completions')).toBe(3);
  });

  it('runs the configuration layers of the image-agent report', async () => {
    const config: LayeredModelConfig<'text-to-image'> = {
      capability: 'text-to-image',
      name: 'hero image',
      environments: {
        development: { chain: [mockRef('mock/gradient-1')] },
        staging: { chain: [togetherRef(FLUX)] },
        production: { chain: [togetherRef(FLUX), mockRef('mock/gradient-1')], retry: { maxRetries: 2, baseDelayMs: 1000 } },
      },
    };
    const r = registry({ env: { MEDIACONDUIT_ENV: 'production' } });
    const retries: number[] = [];
    r.on('call:retry', (event) => retries.push(event.delayMs));
    const development = await r.modelFromConfig(config, { environment: 'development' }).transform('dev', { width: 64, height: 64 });
    expect([development.metadata.provider, served('/images/generations')]).toEqual(['mock', 0]);
    const staging = await r.modelFromConfig(config, { environment: 'staging' }).transform('staging', { width: 64, height: 64 });
    expect([staging.metadata.provider, served('/images/generations')]).toEqual(['together', 1]);
    fake.addFault({ path: '/images/generations', status: 503, times: 3 });
    const production = await r.modelFromConfig(config).transform('prod', { width: 64, height: 64 }); // MEDIACONDUIT_ENV
    expect(production.metadata.provider).toBe('mock');
    expect(served('/images/generations')).toBe(4); // 1 + 3 attempts (2 retries)
    expect(retries).toHaveLength(2);
    expect(retries[0]).toBeLessThanOrEqual(1000); // full jitter under base · 2^0
    expect(retries[1]).toBeLessThanOrEqual(2000); // … and base · 2^1
    expect(() => r.modelFromConfig(config, { environment: 'qa' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining('no layer for environment "qa"') }),
    );
  });
});

describe('honest failures', () => {
  const image = async () => (await together(registry({ retry: false }))).getModel(FLUX, { capability: 'text-to-image' });

  it('a 422 that is not a refusal is INVALID_INPUT, not CONTENT_REFUSED', async () => {
    const model = await image();
    fake.addFault({
      path: '/images/generations',
      status: 422,
      error: { message: 'width: Input should be a multiple of 16', type: 'invalid_request_error', code: 'validation_error' },
    });
    await expect(model.transform('a lake')).rejects.toMatchObject({ code: 'INVALID_INPUT', status: 422 });
  });

  it('an answer whose payload is not an image, or whose url is not a URL, is INVALID_RESPONSE', async () => {
    const model = await image();
    fake.addFault({ path: '/images/generations', status: 200, body: { id: 'x', data: [{ index: 0, b64_json: Buffer.from('<html>oops</html>').toString('base64') }] } });
    await expect(model.transform('a lake')).rejects.toMatchObject({ code: 'INVALID_RESPONSE', message: expect.stringContaining('not a PNG, JPEG, WebP or GIF') });
    fake.addFault({ path: '/images/generations', status: 200, body: { id: 'x', data: [{ index: 0, url: 'not a url' }] } });
    await expect(model.transform('a lake')).rejects.toMatchObject({ code: 'INVALID_RESPONSE', message: expect.stringContaining('not an http(s) URL') });
    fake.addFault({ path: '/images/generations', status: 200, body: 'not json at all' });
    await expect(model.transform('a lake')).rejects.toMatchObject({ code: 'INVALID_RESPONSE' });
  });
});

describe('usage, cost, events and the call log', () => {
  it('reports usage and cost per call and per registry, provider and model', async () => {
    const r = registry();
    const t = await together(r);
    const chat = await (await t.getModel(LLAMA, { capability: 'text-to-text' })).transform('count my tokens');
    const usage = chat.metadata.usage!;
    expect(chat.metadata.costUsd).toBeCloseTo(((usage.inputTokens! + usage.outputTokens!) * 0.88) / 1e6, 12);
    const picture = await (await t.getModel(FLUX, { capability: 'text-to-image' })).transform('a lake', { width: 128, height: 64 });
    expect(picture.metadata.costUsd).toBeCloseTo(0.0027, 12);
    const speech = await (await t.getModel('cartesia/sonic', { capability: 'text-to-audio' })).transform('eleven char');
    expect(speech.metadata.costUsd).toBeCloseTo((11 * 65) / 1e6, 12);
    await (await (await r.getProvider(MOCK)).getModel('mock/haiku-1', { capability: 'text-to-text' })).transform('free');

    const report = r.usage();
    expect(report.byModel[`together/${LLAMA}`]).toMatchObject({ calls: 1, failures: 0, usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } });
    expect(report.byModel[`together/${FLUX}`]).toMatchObject({ calls: 1, usage: { images: 1 } });
    expect(report.byModel['together/cartesia/sonic']!.usage).toMatchObject({ characters: 11, audioSeconds: speech.durationSeconds });
    expect(report.byProvider.together).toMatchObject({ calls: 3, unpricedCalls: 0 });
    expect(report.byProvider.together!.costUsd).toBeCloseTo(chat.metadata.costUsd! + picture.metadata.costUsd! + speech.metadata.costUsd!, 12);
    expect(report.byProvider.mock).toMatchObject({ calls: 1, costUsd: 0, unpricedCalls: 1 });
    expect(report.total.calls).toBe(4);
  });

  it('emits start, end, retry and fallback events; unsubscribing stops them', async () => {
    const r = registry();
    const seen: string[] = [];
    const off = ['call:start', 'call:end', 'call:retry', 'call:fallback'].map((name) => r.on(name as keyof CallEvents, () => seen.push(name)));
    const mock = await r.getProvider(MOCK, { config: { failFirst: 1, failureCode: 'TIMEOUT' } });
    await (await mock.getModel('mock/haiku-1', { capability: 'text-to-text' })).transform('x');
    expect(seen).toEqual(['call:start', 'call:retry', 'call:end']);
    for (const unsubscribe of off) unsubscribe();
    await (await mock.getModel('mock/haiku-1', { capability: 'text-to-text' })).transform('y');
    expect(seen).toHaveLength(3);
  });

  it('wrapModels: false returns the providers’ own models: no retries, no records, no usage', async () => {
    const log = memoryCallLog();
    const r = registry({ wrapModels: false, callLog: [log] });
    const mock = await r.getProvider(MOCK, { config: { failFirst: 1, failureCode: 'RATE_LIMITED', seed: 99 } });
    await expect((await mock.getModel('mock/haiku-1', { capability: 'text-to-text' })).transform('x')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect([log.records().length, r.usage().total.calls]).toEqual([0, 0]);
  });

  it('never writes the API key or the Authorization value to a sink, an error message or the cache', async () => {
    const memory = memoryCallLog();
    const jsonl = join(work, 'logs/calls.jsonl');
    const seen: CallRecord[] = [];
    const r = registry({
      callLog: [memory, jsonlCallLog(jsonl), callbackCallLog((record) => seen.push(record))],
      cacheDir: join(work, 'secret-cache'),
      lockfile: join(work, 'secret.lock.json'),
    });
    const t = await together(r);
    const llama = await t.getModel(LLAMA, { capability: 'text-to-text' });
    const errors: unknown[] = [];
    // A service that echoes the key and the header in its error text (a proxy's debug page, say).
    fake.addFault({ path: '/chat/completions', status: 500, times: 3, error: { message: `upstream rejected Authorization: Bearer ${KEY} (key ${KEY})` } });
    await llama.transform('a').catch((e: unknown) => errors.push(e));
    fake.addFault({ path: '/chat/completions', status: 401, error: { message: `bad key ${KEY}` } });
    await llama.transform('b').catch((e: unknown) => errors.push(e));
    const chain = r.withFallback([llama, await (await r.getProvider(MOCK)).getModel('mock/echo-1', { capability: 'text-to-text' })], {
      capability: 'text-to-text',
      fallbackOn: ['AUTHENTICATION_FAILED'],
    });
    fake.addFault({ path: '/chat/completions', status: 401, error: { message: `bad key ${KEY}` } });
    await chain.transform('c');
    await llama.transform('d');
    expect(errors).toHaveLength(2);
    await r.close();

    const files: string[] = [];
    for (const dir of [join(work, 'secret-cache')]) {
      for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
    }
    const haystacks = [
      JSON.stringify(memory.records()),
      JSON.stringify(seen),
      await readFile(jsonl, 'utf8'),
      await readFile(join(work, 'secret.lock.json'), 'utf8'),
      ...errors.map((e) => `${(e as Error).message}\n${(e as Error).stack}\n${JSON.stringify(e)}`),
      ...(await Promise.all(files.map((f) => readFile(f, 'latin1')))),
    ];
    expect(memory.records().some((rec) => rec.errorCode === 'PROVIDER_ERROR')).toBe(true); // the failures were logged …
    expect(haystacks.join('\n')).toContain('***'); // … with the secret removed
    for (const text of haystacks) {
      expect(text.includes(KEY)).toBe(false);
      expect(text.includes(`Bearer ${KEY}`)).toBe(false);
    }
  });
});

it('a chain of models of different capabilities, or of nothing, is refused', async () => {
  const r = registry();
  const mock = await r.getProvider(MOCK);
  const text = await mock.getModel('mock/haiku-1', { capability: 'text-to-text' });
  const image = await mock.getModel('mock/gradient-1', { capability: 'text-to-image' });
  expect(() => r.withFallback([])).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  expect(() => r.withFallback([{ provider: MOCK, model: 'mock/haiku-1' }])).toThrow(/pass \{ capability \}/);
  expect(() => r.withFallback([text, image] as never)).toThrow(/mock\/gradient-1 is a text-to-image model, but the chain serves text-to-text/);
});

describe('what the outside campaign found in calls', () => {
  const mockRef = (model: string, config?: Record<string, unknown>) => ({ provider: MOCK, model, ...(config ? { config } : {}) });
  const togetherRef = (model: string, extra: Record<string, unknown> = {}) => ({ provider: TOGETHER, model, config: togetherConfig(extra) });

  it('a cut-off image is INVALID_RESPONSE, not retried by default (it may have been billed), and neither counted nor priced', async () => {
    const r = registry();
    const flux = await (await together(r)).getModel(FLUX, { capability: 'text-to-image' });
    fake.addFault({ path: '/images/generations', truncateImageTo: 200, times: 2 });
    const error = (await flux.transform('a lake', { width: 64, height: 64 }).catch((e: unknown) => e)) as MediaConduitError;
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE' });
    expect(error.message).toMatch(/image 0 is not a whole image: corrupt image: the JPEG is truncated/);
    expect(served('/images/generations')).toBe(1);
    expect(r.usage().total).toMatchObject({ calls: 1, failures: 1, costUsd: 0, usage: {} });
    // Retrying it is a choice the caller can make.
    expect((await flux.transform('a lake', { width: 64, height: 64, retry: { retryInvalidResponse: true } })).mimeType).toBe('image/jpeg');
    expect(served('/images/generations')).toBe(3);
  });

  it("a service's 4 MB error text is cut to about 1 KB in the error and in every record", async () => {
    const log = memoryCallLog();
    const llama = await (await together(registry({ callLog: [log] }))).getModel(LLAMA, { capability: 'text-to-text' });
    fake.addFault({ path: '/chat/completions', status: 500, times: 3, error: { message: 'x'.repeat(4 * 1024 * 1024) } });
    const error = (await llama.transform('hi').catch((e: unknown) => e)) as MediaConduitError;
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message.length).toBeLessThan(2048);
    expect(error.message).toMatch(/more characters cut/);
    expect(String(error.stack).length).toBeLessThan(8192);
    const records = log.records();
    expect(records.map((rec) => rec.kind)).toEqual(['attempt', 'attempt', 'call']);
    for (const record of records) expect(record.errorMessage!.length).toBeLessThanOrEqual(1024);
  });

  it('a stream event that is not JSON ends the stream with INVALID_RESPONSE, never a shorter answer', async () => {
    const llama = await (await together(registry())).getModel(LLAMA, { capability: 'text-to-text' });
    fake.addFault({ path: '/chat/completions', malformedEvent: true });
    const parts: string[] = [];
    const failure = await (async () => {
      for await (const part of llama.stream('one two three four five')) if (part.type === 'text-delta') parts.push(part.text);
    })().catch((error: unknown) => error);
    expect(parts.length).toBeGreaterThan(0);
    expect(failure).toMatchObject({ code: 'INVALID_RESPONSE', message: expect.stringContaining('a stream event is not JSON') });
  });

  it('a failure at one endpoint never cools down the same model at another: cooldowns belong to the provider instance', async () => {
    const dead = await startFakeTogether({ apiKey: KEY });
    try {
      const r = registry({ retry: false, secretOrigins: { TOGETHER_API_KEY: [new URL(fake.baseURL).origin, new URL(dead.baseURL).origin] } });
      const broken = r.withFallback([togetherRef(LLAMA, { baseURL: dead.baseURL }), mockRef('mock/echo-1')], { capability: 'text-to-text' });
      const healthy = r.withFallback([togetherRef(LLAMA), mockRef('mock/echo-1')], { capability: 'text-to-text' });
      dead.addFault({ path: '/chat/completions', status: 503, times: 100 });
      expect((await broken.transform('one')).metadata.provider).toBe('mock');
      expect((await broken.transform('two')).metadata.provider).toBe('mock'); // that endpoint cools down …
      expect(dead.requests.filter((q) => q.path === '/chat/completions')).toHaveLength(1);
      expect((await healthy.transform('three')).text).toBe('You said: three'); // … the healthy one does not
    } finally {
      await dead.close();
    }
  });

  it('no prompt reaches the call log, even from an error body that quotes the input (a FastAPI-style 422)', async () => {
    const log = memoryCallLog();
    const jsonl = join(work, `prompt-${randomBytes(4).toString('hex')}.jsonl`);
    const r = registry({ callLog: [log, jsonlCallLog(jsonl)] });
    const llama = await (await together(r)).getModel(LLAMA, { capability: 'text-to-text' });
    const prompt = 'my very private medical question about the rash on my left elbow';
    fake.addFault({
      path: '/chat/completions',
      status: 422,
      body: { detail: [{ type: 'string_too_long', loc: ['body', 'messages', 0, 'content'], msg: 'String should have at most 10 characters', input: prompt }] },
    });
    await expect(llama.transform(prompt)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    fake.addFault({ path: '/chat/completions', status: 500, body: `upstream said: could not answer "${prompt}"` });
    await expect(llama.transform(prompt, { retry: false })).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    await r.close();
    const text = `${JSON.stringify(log.records())}\n${await readFile(jsonl, 'utf8')}`;
    expect(text).toContain('String should have at most 10 characters');
    expect(text).not.toContain('rash on my left elbow');
    expect(text).not.toContain(prompt.slice(0, 40));
  });

  it("a chain's deadline bounds the whole chain: past it, the chain ends with TIMEOUT instead of moving on", async () => {
    const r = registry();
    // The first model would answer after the test's own limit; the second at once.
    const chain = r.withFallback([mockRef('mock/echo-1', { latencyMs: 600_000 }), mockRef('mock/haiku-1')], { capability: 'text-to-text', retry: { deadlineMs: 150 } });
    const error = (await chain.transform('hello').catch((e: unknown) => e)) as MediaConduitError;
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(r.usage().byModel['mock/mock/haiku-1']).toBeUndefined(); // never called
    expect(r.usage().total).toMatchObject({ calls: 1, failures: 1 });
  });

  it('a 200 whose body is {"error": …} reports the service\'s own message', async () => {
    const llama = await (await together(registry())).getModel(LLAMA, { capability: 'text-to-text' });
    fake.addFault({ path: '/chat/completions', status: 200, body: { error: { message: 'the model is overloaded, try later', type: 'server_error' } } });
    await expect(llama.transform('hi', { retry: false })).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      status: 200,
      message: expect.stringContaining('Together answered 200 with an error: the model is overloaded, try later'),
    });
  });

  it('a chain call counts once in the usage total, with each model’s attempts kept apart', async () => {
    const r = registry({ retry: false });
    const chain = r.withFallback([mockRef('mock/echo-1', { failFirst: 100, failureCode: 'PROVIDER_ERROR' }), mockRef('mock/haiku-1')], { capability: 'text-to-text' });
    await chain.transform('hello');
    const usage = r.usage();
    expect(usage.total).toMatchObject({ calls: 1, failures: 0 });
    expect(usage.byModel['mock/mock/echo-1']).toMatchObject({ calls: 1, failures: 1 });
    expect(usage.byModel['mock/mock/haiku-1']).toMatchObject({ calls: 1, failures: 0 });
    expect(usage.byProvider.mock).toMatchObject({ calls: 2, failures: 1 });
  });

  it('no stampede: N concurrent calls against a dead endpoint make at most N + 2 requests beyond the first wave', async () => {
    const N = 20;
    const r = registry({ retry: { maxRetries: 2, baseDelayMs: 1 } });
    const chain = r.withFallback([togetherRef(LLAMA), mockRef('mock/echo-1')], { capability: 'text-to-text' });
    await together(r);
    fake.addFault({ path: '/chat/completions', status: 503, times: 10_000 });
    const answers = await Promise.all(Array.from({ length: N }, (_, i) => chain.transform(`call ${i}`)));
    expect(answers.every((a) => a.metadata.provider === 'mock')).toBe(true);
    expect(served('/chat/completions')).toBeLessThanOrEqual(N + N + 2);
  });

  it('a model skipped for a missing key is visible: one warning per model and cooldown window, the fallback record, and the result', async () => {
    const warnings: string[] = [];
    const log = memoryCallLog();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const r = registry({
      callLog: [log],
      now: () => now,
      logger: { debug() {}, error() {}, warn: (message) => warnings.push(message) },
      env: { TOGETHER_API_KEY: undefined }, // no key in the config, nor with the host
    });
    const chain = r.withFallback([{ provider: TOGETHER, model: LLAMA, config: { baseURL: fake.baseURL } }, mockRef('mock/echo-1')], {
      capability: 'text-to-text',
      cooldown: false,
    });
    const first = await chain.transform('one');
    await chain.transform('two');
    expect(first.metadata.provider).toBe('mock');
    expect(first.metadata.fallback).toEqual({
      chain: 'fallback',
      steps: [
        { provider: TOGETHER, model: LLAMA, outcome: 'MISSING_API_KEY' },
        { provider: 'mock', model: 'mock/echo-1', outcome: 'ok' },
      ],
    });
    expect(warnings.filter((w) => w.includes('is not configured'))).toHaveLength(1);
    expect(log.records().filter((rec) => rec.kind === 'fallback')[0]).toMatchObject({ steps: [{ outcome: 'MISSING_API_KEY' }, { outcome: 'ok' }] });
    now += 30_000;
    await chain.transform('three');
    expect(warnings.filter((w) => w.includes('is not configured'))).toHaveLength(2);
  });
});

it('runs its providers where this file says (in the host, or each in a process of its own)', async () => {
  const r = registry();
  await r.getProvider(MOCK);
  expect(r.listProviders().map((p) => p.isolation)).toEqual([ISOLATION]);
});
