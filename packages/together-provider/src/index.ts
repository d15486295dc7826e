import {
  CAPABILITIES,
  MediaConduitError,
  type CallOptionsV1,
  modelWithCapability,
  type HttpClientFactoryV1,
  type LoggerV1,
  type MediaProviderV1,
  type ModelInfoV1,
  type ModelV1,
  type ProviderContextV1,
} from '@mediaconduit/provider';
import { createChatModel } from './chat-model.js';
import { createEmbeddingModel } from './embedding-model.js';
import { createImageModel } from './image-model.js';
import { CAPABILITY_OF_TYPE, ModelCatalog } from './model-catalog.js';
import { createSpeechModel } from './speech-model.js';
import { TogetherClient } from './together-client.js';
import { TogetherTraining } from './training.js';
import { checkTogetherSettings, type ResolvedTogetherSettings, type TogetherSettings } from './together-settings.js';
import { createTranscriptionModel } from './transcription-model.js';

export type { TogetherSettings } from './together-settings.js';
export { CAPABILITY_OF_TYPE } from './model-catalog.js';
export { TOGETHER_TRAINING_DEFAULTS } from './training.js';

/** The Together provider: a `MediaProviderV1` plus `close()` for its connection pool. */
export interface TogetherProvider extends MediaProviderV1 {
  /** Closes the provider's keep-alive pool. */
  dispose(): Promise<void>;
}

/** What {@link createTogether} takes besides {@link TogetherSettings}: the host's services. */
export interface TogetherHost {
  /**
   * Makes the HTTP client (required). The registry passes `context.createHttpClient`; outside it,
   * pass `createHttpClient` from `@mediaconduit/core`.
   */
  createHttpClient?: HttpClientFactoryV1;
  /** Reads environment variables. Default `process.env`. */
  env?: (name: string) => string | undefined;
  /** Default: warnings and errors to stderr. */
  logger?: LoggerV1;
  /** Clock for the model list's freshness. Default `Date.now`. */
  now?: () => number;
}

/** Warnings and errors to stderr; no debug output. */
const stderrLogger: LoggerV1 = {
  debug: () => {},
  warn: (message, fields) => process.stderr.write(`mediaconduit:together warn ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`),
  error: (message, fields) => process.stderr.write(`mediaconduit:together error ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`),
};

/**
 * Creates the Together AI provider. Models are discovered live from `GET /models`; the API key is
 * read at the first call (setting, then provider config, then `TOGETHER_API_KEY`).
 */
export function createTogether(settings: TogetherSettings & TogetherHost = {}): TogetherProvider {
  const { env, logger, now, createHttpClient, ...rest } = settings;
  checkTogetherSettings(rest as Record<string, unknown>);
  if (typeof createHttpClient !== 'function') {
    throw new MediaConduitError({
      code: 'MISSING_CONFIGURATION',
      message:
        "together: createTogether() needs { createHttpClient } (import it from @mediaconduit/core); or load the provider with registry.getProvider(), which passes the host's HTTP client",
    });
  }
  const resolved: ResolvedTogetherSettings = { ...rest, createHttpClient, env: env ?? ((name) => process.env[name]), logger: logger ?? stderrLogger, now: now ?? Date.now };
  const client = new TogetherClient(resolved);
  const catalog = new ModelCatalog(client, resolved.modelsTtlMs ?? 10 * 60_000, resolved.now);
  const models = new Map<string, ModelV1>();
  const training = new TogetherTraining(client, async (id, options) => (await catalog.list(options)).find((m) => m.id === id)?.capability ?? 'unknown');

  /** A catalogue model, else the output model of a completed fine-tune (the live list may not name those). */
  const findModel = async (id: string, options: CallOptionsV1): Promise<ModelInfoV1> => {
    try {
      return await catalog.find(id, options);
    } catch (error) {
      if (!MediaConduitError.isInstance(error) || error.code !== 'MODEL_NOT_FOUND' || typeof id !== 'string' || !id.includes('/')) throw error;
      const trained = await training.outputModel(id, options).catch(() => undefined);
      if (!trained) throw error;
      if ('problem' in trained) throw new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: `together: ${trained.problem}` });
      return trained.info;
    }
  };

  const build = (info: ModelInfoV1): ModelV1 => {
    switch (info.capability) {
      case 'text-to-text':
        return createChatModel(info, client);
      case 'text-to-image':
        return createImageModel(info, client, resolved.logger);
      case 'text-to-audio':
        return createSpeechModel(info, client);
      case 'audio-to-text':
        return createTranscriptionModel(info, client);
      case 'text-to-embedding':
        return createEmbeddingModel(info, client, resolved.logger);
      default:
        throw new MediaConduitError({
          code: 'UNSUPPORTED_CAPABILITY',
          message: `together: model "${info.id}" is a ${info.providerType ?? 'unknown'} model, which MediaConduit does not serve; it serves ${Object.keys(CAPABILITY_OF_TYPE).join(', ')} models`,
        });
    }
  };

  const provider: TogetherProvider = {
    specificationVersion: 'v1',
    id: 'together',
    name: 'Together AI',
    type: 'remote',
    capabilities: [...CAPABILITIES],
    async initialize(options) {
      // Discover now when a key is configured, so getModelsForCapability works at once;
      // without a key (or offline) discovery waits for the first call.
      if (!client.hasKey()) return;
      await catalog
        .list(options ?? {})
        .catch((error: unknown) => resolved.logger.warn('together: model discovery failed; it will be retried on first use', { code: (error as MediaConduitError).code }));
    },
    async listModels(options) {
      const all = await catalog.list(options ?? {});
      return options?.capability ? all.filter((m) => m.capability === options.capability) : all;
    },
    async getModel(id, options) {
      const info = await findModel(id, options ?? {});
      if (options?.capability && info.capability !== options.capability) {
        throw new MediaConduitError({
          code: 'UNSUPPORTED_CAPABILITY',
          message: `together: model "${id}" is ${info.capability ?? `a ${info.providerType} model`}, not ${options.capability}`,
        });
      }
      let model = models.get(id);
      if (!model) {
        model = build(info);
        models.set(id, model);
      }
      return modelWithCapability(model, options?.capability, 'together');
    },
    getModelsForCapability: (capability) => catalog.cached().filter((m) => m.capability === capability),
    async isAvailable() {
      return client.hasKey();
    },
    async getHealth(options) {
      const started = performance.now();
      const checkedAt = new Date().toISOString();
      if (!client.hasKey()) return { status: 'unavailable', message: 'no API key: set TOGETHER_API_KEY', checkedAt };
      try {
        await catalog.list({ ...options, refresh: true });
        return { status: 'healthy', latencyMs: performance.now() - started, checkedAt };
      } catch (error) {
        return { status: 'unavailable', message: (error as Error).message, latencyMs: performance.now() - started, checkedAt };
      }
    },
    dispose: () => client.close(),
    createTrainingJob: (trainingOptions) => training.create(trainingOptions),
    listTrainingJobs: (listOptions) => training.list(listOptions),
    getTrainingJob: (id, getOptions) => training.get(id, getOptions),
    trainingFiles: training.files,
  };
  return provider;
}

/**
 * The registry's entry point: settings from `getProvider(url, { config })`. The API key is a secret
 * the host keeps (see the manifest): this provider never sees it. `requireEnv` hands it a stand-in,
 * which goes where the key would (`Authorization: Bearer …`), and the host puts the key in that
 * header on requests to Together's origins only.
 */
export default function createFromContext(context: ProviderContextV1): TogetherProvider {
  // `config.env` holds overrides of environment variables; context.env() already applies them.
  const { env: _envOverrides, ...config } = context.config as Record<string, unknown>;
  const keptKey = (): string | undefined => {
    try {
      return context.requireEnv('TOGETHER_API_KEY');
    } catch {
      return undefined;
    }
  };
  return createTogether({
    ...(config as TogetherSettings),
    createHttpClient: context.createHttpClient,
    env: (name) => (name === 'TOGETHER_API_KEY' ? keptKey() : context.env(name)),
    logger: context.logger,
  });
}
