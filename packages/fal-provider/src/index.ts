import {
  type HttpClientFactoryV1,
  type ImageModelV1,
  type LoggerV1,
  MediaConduitError,
  type MediaProviderV1,
  type ModelInfoV1,
  modelWithCapability,
  type ProviderContextV1,
} from '@mediaconduit/provider';
import { FalClient } from './fal-client.js';
import { createImageModel, LORA_ENDPOINT } from './image-model.js';
import { ModelCatalog } from './model-catalog.js';
import { falStorage } from './storage.js';
import { FalTraining } from './training.js';

export { FALLBACK_MODELS } from './model-catalog.js';
export { DEFAULT_TRAINER, FAL_TRAINERS } from './training.js';

/** Settings of {@link createFal} (also the registry's `config`). */
export interface FalSettings {
  /** The key, `<key id>:<key secret>`. Default: `FAL_KEY`, else `FAL_KEY_ID` + `FAL_KEY_SECRET`. */
  apiKey?: string;
  /** One origin mounting fal's hosts as path prefixes (a proxy, or the fake). Default: `FAL_BASE_URL`, else fal's own hosts. */
  baseURL?: string;
  /** Per request. Default 120 000 ms. */
  timeoutMs?: number;
  /** How long discovered models are kept. Default 10 minutes. */
  modelsTtlMs?: number;
  /** An undici dispatcher for every request. */
  dispatcher?: object;
  /** Default time between status reads of a training job's `wait()`. Default 5000 ms. */
  trainingPollMs?: number;
}

/** The host's services {@link createFal} needs. */
export interface FalHost {
  /** The HTTP client factory (the registry passes `context.createHttpClient`; outside it, core's `createHttpClient`). */
  createHttpClient?: HttpClientFactoryV1;
  /** Reads environment variables. Default `process.env`. */
  env?: (name: string) => string | undefined;
  logger?: LoggerV1;
  now?: () => number;
}

/** The fal provider: a `MediaProviderV1` plus `dispose()` for its connection pools. */
export interface FalProvider extends MediaProviderV1 {
  dispose(): Promise<void>;
}

const KNOWN = ['apiKey', 'baseURL', 'timeoutMs', 'modelsTtlMs', 'dispatcher', 'trainingPollMs', 'env'];

const stderrLogger: LoggerV1 = {
  debug: () => {},
  warn: (message) => process.stderr.write(`mediaconduit:fal warn ${message}\n`),
  error: (message) => process.stderr.write(`mediaconduit:fal error ${message}\n`),
};

/** Whether `text` is an http(s) URL. */
const isHttpUrl = (text: string) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol);

/**
 * Creates the fal.ai provider: FLUX text-to-image models discovered from fal's platform API (by
 * category, with prices), generated synchronously, and `fal-ai/flux-lora` with LoRAs applied;
 * FLUX LoRA training on fal's trainers, followed through fal's queue. A trained LoRA is served as
 * the model `fal-ai/flux-lora:<weights URL>`. Its `storage` uploads files to fal's storage, at
 * public URLs (LoRA weights for another service, for example).
 */
export function createFal(settings: FalSettings & FalHost = {}): FalProvider {
  const { env: readEnv, logger: givenLogger, now: givenNow, createHttpClient, ...rest } = settings;
  const unknown = Object.keys(rest).filter((key) => !KNOWN.includes(key));
  if (unknown.length > 0)
    throw new MediaConduitError({ code: 'INVALID_OPTIONS', message: `fal: unknown setting ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${KNOWN.join(', ')}` });
  if (typeof createHttpClient !== 'function') {
    throw new MediaConduitError({
      code: 'MISSING_CONFIGURATION',
      message:
        "fal: createFal() needs { createHttpClient } (import it from @mediaconduit/core); or load the provider with registry.getProvider(), which passes the host's HTTP client",
    });
  }
  const env = readEnv ?? ((name: string) => process.env[name]);
  const logger = givenLogger ?? stderrLogger;
  const baseURL = rest.baseURL ?? (env('FAL_BASE_URL') || undefined);
  if (baseURL !== undefined && !isHttpUrl(baseURL)) throw new MediaConduitError({ code: 'INVALID_OPTIONS', message: 'fal: baseURL (or FAL_BASE_URL) must be an http(s) URL' });
  const key = () => {
    if (rest.apiKey) return rest.apiKey;
    const whole = env('FAL_KEY');
    if (whole) return whole;
    const id = env('FAL_KEY_ID');
    const secret = env('FAL_KEY_SECRET');
    return id && secret ? `${id}:${secret}` : undefined;
  };
  const client = new FalClient({ createHttpClient, key, baseURL, timeoutMs: rest.timeoutMs ?? 120_000, logger, dispatcher: rest.dispatcher });
  const catalog = new ModelCatalog(client, rest.modelsTtlMs ?? 10 * 60_000, givenNow ?? Date.now, (message) => logger.warn(message));
  const models = new Map<string, ImageModelV1>();
  const pollMs = rest.trainingPollMs ?? 5000;
  if (!(Number.isFinite(pollMs) && pollMs >= 0))
    throw new MediaConduitError({ code: 'INVALID_OPTIONS', message: `fal: trainingPollMs must be a number of at least 0, got ${pollMs}` });
  const training = new FalTraining(client, givenNow ?? Date.now, pollMs);

  const modelFor = async (id: string, options: Parameters<MediaProviderV1['getModel']>[1]): Promise<ImageModelV1> => {
    let model = models.get(id);
    if (model) return model;
    const trained = id.startsWith(`${LORA_ENDPOINT}:`) ? id.slice(LORA_ENDPOINT.length + 1) : undefined;
    if (trained !== undefined) {
      if (!isHttpUrl(trained))
        throw new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: `fal: "${id}" names no LoRA: expected ${LORA_ENDPOINT}:<https URL of its weights>` });
      // Priced as fal-ai/flux-lora, which serves it (unpriced when discovery cannot say).
      const base = await catalog.find(LORA_ENDPOINT, options ?? {}).catch(() => undefined);
      const info: ModelInfoV1 = {
        id,
        providerId: 'fal',
        capability: 'text-to-image',
        displayName: 'FLUX.1 [dev] with a trained LoRA',
        ...(base?.pricing ? { pricing: base.pricing } : {}),
      };
      model = createImageModel(info, client, [{ path: trained, scale: 1 }]);
    } else {
      model = createImageModel(await catalog.find(id, options ?? {}), client);
    }
    models.set(id, model);
    return model;
  };

  const provider: FalProvider = {
    specificationVersion: 'v1',
    id: 'fal',
    name: 'fal.ai',
    type: 'remote',
    capabilities: ['text-to-image'],
    async initialize(options) {
      if (!client.hasKey()) return;
      await catalog
        .list(options ?? {})
        .catch((error: unknown) => logger.warn('fal: model discovery failed; it will be retried on first use', { code: (error as MediaConduitError).code }));
    },
    async listModels(options) {
      const all = await catalog.list(options ?? {});
      return options?.capability && options.capability !== 'text-to-image' ? [] : all;
    },
    async getModel(id, options) {
      if (options?.capability && options.capability !== 'text-to-image') {
        throw new MediaConduitError({ code: 'UNSUPPORTED_CAPABILITY', message: `fal: this provider serves text-to-image models, not ${options.capability}` });
      }
      return modelWithCapability(await modelFor(id, options), options?.capability, 'fal');
    },
    getModelsForCapability: (capability) => (capability === 'text-to-image' ? catalog.cached() : []),
    async isAvailable() {
      return client.hasKey();
    },
    async getHealth(options) {
      const started = performance.now();
      const checkedAt = new Date().toISOString();
      if (!client.hasKey()) return { status: 'unavailable', message: 'no API key: set FAL_KEY', checkedAt };
      try {
        await catalog.list({ ...options, refresh: true });
        return { status: 'healthy', latencyMs: performance.now() - started, checkedAt };
      } catch (error) {
        return { status: 'unavailable', message: (error as Error).message, latencyMs: performance.now() - started, checkedAt };
      }
    },
    createTrainingJob: (options) => training.create(options),
    getTrainingJob: (id, options) => training.get(id, options),
    listTrainingJobs: () => training.list(),
    storage: falStorage(client),
    dispose: () => client.close(),
  };
  return provider;
}

/**
 * The registry's entry point: settings from `getProvider(url, { config })`. `FAL_KEY` is a secret
 * the host keeps (see the manifest): `requireEnv` hands this provider a stand-in, which goes where
 * the key would (`Authorization: Key …`), and the host puts the key there on requests to fal's
 * origins only.
 */
export default function createFromContext(context: ProviderContextV1): FalProvider {
  const { env: _overrides, ...config } = context.config as Record<string, unknown>;
  const kept = (): string | undefined => {
    try {
      return context.requireEnv('FAL_KEY');
    } catch {
      return undefined;
    }
  };
  return createFal({
    ...(config as FalSettings),
    createHttpClient: context.createHttpClient,
    env: (name) => (name === 'FAL_KEY' ? kept() : context.env(name)),
    logger: context.logger,
    ...(context.now ? { now: context.now } : {}),
  });
}
