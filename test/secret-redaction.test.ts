// Every error passes through one redaction of every known secret (the Git tokens, the values of
// declared secret variables, config values whose names say they are secret), in its message,
// details, cause chain and stack, on every path an error takes out of the registry.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CallEvents, createProviderRegistry, MediaConduitError, type ProviderRegistry, type ProviderRegistryOptions } from '@mediaconduit/core';
import { createTestRepo, echoProviderFiles, type TestRepo } from '@mediaconduit/testing';
import { startFakeTogether, type FakeTogetherServer } from '@mediaconduit/together-provider/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commitProviders } from './support/provider-repo.js';

const secret = (label: string) => `${label}-${randomBytes(10).toString('hex')}`;
const GIT_TOKEN = secret('ghp');
const API_KEY = secret('sk-acme');
const CONFIG_KEY = secret('nested');
const TOGETHER_KEY = secret('sk-together');
const SECRETS = [GIT_TOKEN, API_KEY, CONFIG_KEY, TOGETHER_KEY];

let work: string;
let leaky: TestRepo;
let fake: FakeTogetherServer;
let TOGETHER: string;
let registries: ProviderRegistry[] = [];

/**
 * A provider that puts whatever secrets it can reach (its declared key, its config) into the
 * errors it throws, in every field an error has, at the step its config names.
 */
const LEAKY_SOURCE = `import { MediaConduitError, Text, modelWithCapability, type MediaProviderV1, type ProviderContextV1, type TextModelV1 } from '@mediaconduit/provider';
export default function create(context: ProviderContextV1): MediaProviderV1 {
  const reach = [context.env('ACME_API_KEY'), JSON.stringify(context.config), context.env('GITHUB_TOKEN')].join(' ');
  const leak = (code: 'PROVIDER_ERROR' | 'INVALID_INPUT', where: string, retryable = false) => new MediaConduitError({
    code, retryable, message: where + ' failed: ' + reach,
    details: { echoed: reach, nested: { deeper: [reach] } },
    cause: new Error('upstream said ' + reach, { cause: new Error('root cause ' + reach) }),
  });
  const at = context.config.failAt;
  if (at === 'factory') throw leak('PROVIDER_ERROR', 'factory');
  const info = { id: 'leaky-1', providerId: 'leaky', capability: 'text-to-text' as const };
  const model: TextModelV1 = {
    specificationVersion: 'v1', capability: 'text-to-text', id: 'leaky-1', info,
    async transform() { throw at === 'retry' ? leak('PROVIDER_ERROR', 'transform', true) : leak('INVALID_INPUT', 'transform'); },
    async *stream() { yield { type: 'text-delta', text: 'a' }; throw leak('PROVIDER_ERROR', 'stream'); },
  };
  return {
    specificationVersion: 'v1', id: 'leaky', name: 'Leaky', type: 'remote', capabilities: ['text-to-text'],
    async initialize() { if (at === 'initialize') throw leak('PROVIDER_ERROR', 'initialize'); },
    async listModels() { throw leak('PROVIDER_ERROR', 'listModels'); },
    async getModel(id, options) { if (at === 'getModel') throw leak('PROVIDER_ERROR', 'getModel'); return modelWithCapability(model, options?.capability, 'leaky'); },
    getModelsForCapability: () => [info],
    async isAvailable() { return true; },
    async getHealth() { throw leak('PROVIDER_ERROR', 'getHealth'); },
  };
}
`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-redaction-'));
  leaky = await createTestRepo('leaky');
  await leaky.commit({
    'MediaConduit.provider.yml': [
      'id: leaky',
      'name: Leaky',
      'version: 1.0.0',
      'type: remote',
      'capabilities: [text-to-text]',
      'contract: "^0.1.0"',
      'env:',
      '  - name: ACME_API_KEY',
      '  - name: GITHUB_TOKEN',
      '',
    ].join('\n'),
    'src/index.ts': LEAKY_SOURCE,
  });
  ({ TOGETHER } = await commitProviders(work));
  fake = await startFakeTogether({ apiKey: TOGETHER_KEY });
});
afterAll(async () => {
  await fake.close();
  await Promise.all([leaky.remove(), rm(work, { recursive: true, force: true })]);
});
afterEach(async () => {
  await Promise.all(registries.map((r) => r.close()));
  registries = [];
});

function registry(options: ProviderRegistryOptions = {}): ProviderRegistry {
  const r = createProviderRegistry({
    cacheDir: join(work, 'cache'),
    lockfile: false,
    env: { ACME_API_KEY: API_KEY, GITHUB_TOKEN: GIT_TOKEN },
    retry: { baseDelayMs: 1, maxRetries: 1 },
    ...options,
  });
  registries.push(r);
  return r;
}
const leakyConfig = (failAt?: string) => ({ failAt, auth: { clientSecret: CONFIG_KEY } });

/** Everything an error carries, as text: its fields, details, stack, and each cause's message and stack. */
function everything(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const err = e as MediaConduitError;
    parts.push(String(err.message), String(err.stack), JSON.stringify(err.details ?? {}), JSON.stringify(MediaConduitError.isInstance(err) ? err.toJSON() : {}));
  }
  return parts.join('\n');
}
function expectClean(error: unknown): void {
  expect(error).toBeDefined();
  const text = everything(error);
  for (const value of SECRETS) expect(text.includes(value), `${value} in ${text.slice(0, 400)}`).toBe(false);
  expect(text).toContain('***'); // the secret was there, and was removed
}
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('errors out of a load', () => {
  it.each(['factory', 'initialize'])('PROVIDER_LOAD_FAILED when the %s throws: no declared key, no config secret, in any field or cause', async (failAt) => {
    const error = await failure(registry().getProvider(leaky.url, { config: leakyConfig(failAt) }));
    expect(MediaConduitError.hasCode(error, 'PROVIDER_LOAD_FAILED')).toBe(true);
    expectClean(error);
  });

  it('BUILD_FAILED quoting a source line that holds the Git token', async () => {
    const repo = await createTestRepo('quotes-token');
    try {
      await repo.commit(echoProviderFiles({ id: 'quotes', extra: `const leaked = '${GIT_TOKEN}' +;` }));
      const error = await failure(registry().getProvider(repo.url));
      expect(MediaConduitError.hasCode(error, 'BUILD_FAILED')).toBe(true);
      expectClean(error);
    } finally {
      await repo.remove();
    }
  });
});

describe('errors out of a loaded provider', () => {
  it.each([
    ['listModels', (p: Awaited<ReturnType<ProviderRegistry['getProvider']>>) => p.listModels()],
    ['getHealth', (p: Awaited<ReturnType<ProviderRegistry['getProvider']>>) => p.getHealth()],
  ])('%s()', async (_, call) => {
    const provider = await registry().getProvider(leaky.url, { config: leakyConfig() });
    const error = await failure(call(provider));
    expect(MediaConduitError.hasCode(error, 'PROVIDER_ERROR')).toBe(true);
    expectClean(error);
  });

  it('getModel(), and findModels() across providers', async () => {
    const r = registry();
    const provider = await r.getProvider(leaky.url, { config: leakyConfig('getModel') });
    expectClean(await failure(provider.getModel('leaky-1')));
    expectClean(await failure(r.findModels('text-to-text')));
  });

  it.each([true, false])('a model call, with wrapModels %s: details and every cause are clean, streams included', async (wrapModels) => {
    const provider = await registry({ wrapModels }).getProvider(leaky.url, { config: leakyConfig() });
    const model = await provider.getModel('leaky-1', { capability: 'text-to-text' });
    const error = await failure(model.transform('hi'));
    expect(MediaConduitError.hasCode(error, 'INVALID_INPUT')).toBe(true);
    expectClean(error);
    const streamed = await failure(
      (async () => {
        for await (const part of model.stream('hi')) void part;
      })(),
    );
    expectClean(streamed);
  });
});

describe('errors the runtime hands to listeners and callers', () => {
  it('call:retry listeners see no secret in the error they get, nor does the caller', async () => {
    const r = registry();
    // What a listener sees at the time it is called (the error object could be cleaned later).
    const retries: string[] = [];
    r.on('call:retry', (event: CallEvents['call:retry']) => retries.push(everything(event.error)));
    const provider = await r.getProvider(leaky.url, { config: leakyConfig('retry') });
    const model = await provider.getModel('leaky-1', { capability: 'text-to-text' });
    const error = await failure(model.transform('hi'));
    expect(retries).toHaveLength(1);
    for (const value of SECRETS) expect(retries[0]!.includes(value)).toBe(false);
    expect(retries[0]).toContain('***');
    expectClean(error);
  });

  it('a service that echoes the Together key: the error holds it nowhere', async () => {
    const r = registry();
    const provider = await r.getProvider(TOGETHER, { config: { apiKey: TOGETHER_KEY, baseURL: fake.baseURL } });
    const chat = await provider.getModel('meta-llama/Llama-3.3-70B-Instruct-Turbo', { capability: 'text-to-text' });
    fake.addFault({ path: '/chat/completions', status: 500, times: 2, error: { message: `upstream refused key ${TOGETHER_KEY}` } });
    expectClean(await failure(chat.transform('hi')));
  });
});

describe("the loader's own credentials", () => {
  it('a manifest declaring GITHUB_TOKEN never receives the host’s token through context.env; a value passed on purpose does reach it', async () => {
    const r = registry();
    const provider = await r.getProvider(leaky.url, { config: leakyConfig() });
    const error = (await failure(provider.listModels())) as MediaConduitError;
    // The provider's view of GITHUB_TOKEN was empty: the value it leaked is only its key and config.
    expect(String(error.details.echoed)).toMatch(/^\*\*\* \{"auth":\{"clientSecret":"\*\*\*"\}\} $/);
    const given = await r.getProvider(leaky.url, { config: { ...leakyConfig(), env: { GITHUB_TOKEN: 'a-token-for-the-provider' } } });
    const withToken = (await failure(given.listModels())) as MediaConduitError;
    // It reached the provider (and, as the value of a secret variable, is kept out of its errors too).
    expect(String(withToken.details.echoed)).toMatch(/\} \*\*\*$/);
  });
});
