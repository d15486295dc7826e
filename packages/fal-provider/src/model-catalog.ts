import { type CallOptionsV1, MediaConduitError, type ModelInfoV1 } from '@mediaconduit/provider';
import type { FalClient } from './fal-client.js';

/**
 * The image models served when discovery cannot reach fal (offline, or the platform API down): the
 * three FLUX endpoints this provider is built for, without prices. Anything else comes only from
 * discovery.
 */
export const FALLBACK_MODELS: readonly { id: string; name: string }[] = [
  { id: 'fal-ai/flux/schnell', name: 'FLUX.1 [schnell]' },
  { id: 'fal-ai/flux/dev', name: 'FLUX.1 [dev]' },
  { id: 'fal-ai/flux-lora', name: 'FLUX.1 [dev] with LoRAs' },
];

/** Pages of `GET /v1/models` read at most (a bound, never reached by fal's catalogue of image models at 100 a page). */
const MAX_PAGES = 50;

interface ModelsPage {
  models?: { endpoint_id?: unknown; metadata?: { display_name?: unknown; status?: unknown } }[];
  next_cursor?: unknown;
  has_more?: unknown;
}

interface PricesPage {
  prices?: { endpoint_id?: unknown; unit_price?: unknown; unit?: unknown; currency?: unknown }[];
}

/**
 * fal's text-to-image models, discovered from the platform API (`GET /v1/models?category=text-to-image`,
 * page by page) and priced from `GET /v1/models/pricing`. Kept for `ttlMs`. When fal cannot be
 * reached, {@link FALLBACK_MODELS} serve, with a warning, and discovery is tried again next time.
 */
export class ModelCatalog {
  private models: ModelInfoV1[] | undefined;
  private fetchedAt = 0;
  private pending: Promise<ModelInfoV1[]> | undefined;

  constructor(
    private readonly client: FalClient,
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly warn: (message: string) => void,
  ) {}

  /** The models known now (empty before the first discovery). */
  cached(): ModelInfoV1[] {
    return this.models ?? [];
  }

  async list(options: CallOptionsV1 & { refresh?: boolean } = {}): Promise<ModelInfoV1[]> {
    if (this.models && !options.refresh && this.now() - this.fetchedAt < this.ttlMs) return this.models;
    this.pending ??= this.discover(options).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  async find(id: string, options: CallOptionsV1 = {}): Promise<ModelInfoV1> {
    const found = (await this.list(options)).find((m) => m.id === id);
    if (found) return found;
    throw new MediaConduitError({
      code: 'MODEL_NOT_FOUND',
      message: `fal: no text-to-image model "${id}"; models: ${this.cached()
        .map((m) => m.id)
        .join(', ')}`,
    });
  }

  private async discover(options: CallOptionsV1): Promise<ModelInfoV1[]> {
    let found: ModelInfoV1[];
    try {
      found = await this.search(options);
    } catch (error) {
      // Unreachable, or fal's side failing: serve the known endpoints; a refusal (a bad key) is the caller's to see.
      if (!MediaConduitError.isInstance(error) || !['CONNECTION_FAILED', 'TIMEOUT', 'PROVIDER_ERROR'].includes(error.code)) throw error;
      this.warn(`fal: model discovery failed (${error.code}); serving ${FALLBACK_MODELS.map((m) => m.id).join(', ')} until it works`);
      return FALLBACK_MODELS.map((m) => ({ id: m.id, providerId: 'fal', capability: 'text-to-image', displayName: m.name }));
    }
    this.models = found;
    this.fetchedAt = this.now();
    return found;
  }

  private async search(options: CallOptionsV1): Promise<ModelInfoV1[]> {
    const models: ModelInfoV1[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { body } = await this.client.json<ModelsPage>('api', {
        method: 'GET',
        path: '/v1/models',
        query: { category: 'text-to-image', status: 'active', limit: 100, cursor },
        signal: options.signal,
        operation: 'fal list models',
      });
      for (const entry of body.models ?? []) {
        if (typeof entry.endpoint_id !== 'string') continue;
        const meta = entry.metadata ?? {};
        models.push({
          id: entry.endpoint_id,
          providerId: 'fal',
          capability: 'text-to-image',
          ...(typeof meta.display_name === 'string' ? { displayName: meta.display_name } : {}),
          providerType: 'text-to-image',
        });
      }
      if (body.has_more !== true || typeof body.next_cursor !== 'string') break;
      cursor = body.next_cursor;
    }
    // Prices: 50 ids a request (the API's limit). A model fal prices per image gets `perImage`, per
    // megapixel `perMegapixel`; other units (seconds, …) are kept as they are, in `other`.
    for (let i = 0; i < models.length; i += 50) {
      const batch = models.slice(i, i + 50);
      const prices = await readPrices(
        this.client,
        batch.map((m) => m.id),
        'fal model prices',
        options.signal,
      );
      for (const model of batch) {
        const price = prices.get(model.id);
        if (!price) continue;
        model.pricing = price.unit === 'image' ? { perImage: price.usd } : price.unit === 'megapixels' ? { perMegapixel: price.usd } : { other: { [price.unit]: price.usd } };
      }
    }
    return models;
  }
}

/** A price as fal's platform API gives it: US dollars per `unit` (`image`, `megapixels`, `steps`, …). */
export interface FalPrice {
  usd: number;
  unit: string;
}

/** fal's prices of `ids` (at most 50), by endpoint id: `GET /v1/models/pricing`. Prices in other currencies are left out. */
export async function readPrices(client: FalClient, ids: readonly string[], operation: string, signal?: AbortSignal): Promise<Map<string, FalPrice>> {
  const { body } = await client.json<PricesPage>('api', { method: 'GET', path: '/v1/models/pricing', query: { endpoint_id: ids.join(',') }, signal, operation });
  const prices = new Map<string, FalPrice>();
  for (const price of body.prices ?? []) {
    if (typeof price.endpoint_id !== 'string' || typeof price.unit_price !== 'number' || price.currency !== 'USD' || typeof price.unit !== 'string') continue;
    prices.set(price.endpoint_id, { usd: price.unit_price, unit: price.unit });
  }
  return prices;
}
