import { closestMatches, MediaConduitError, type Capability, type CallOptionsV1, type ModelInfoV1 } from '@mediaconduit/provider';
import { invalidResponse, type TogetherClient } from './together-client.js';

/** Capability of each Together model type; other types are listed but not served. */
export const CAPABILITY_OF_TYPE: Readonly<Record<string, Capability>> = {
  chat: 'text-to-text',
  language: 'text-to-text',
  code: 'text-to-text',
  image: 'text-to-image',
  audio: 'text-to-audio',
  transcribe: 'audio-to-text',
  embedding: 'text-to-embedding',
};

/** What `/models` returns per model; only the fields read are listed (the rest is ignored). */
interface RawModel {
  id?: unknown;
  type?: unknown;
  display_name?: unknown;
  organization?: unknown;
  context_length?: unknown;
  pricing?: { input?: unknown; output?: unknown; base?: unknown; hourly?: unknown; finetune?: unknown };
}

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** Lenient reading of one `/models` entry; entries without an id are skipped. */
export function toModelInfo(raw: RawModel): ModelInfoV1 | undefined {
  const id = str(raw.id);
  if (!id) return undefined;
  const type = str(raw.type);
  const info: ModelInfoV1 = { id, providerId: 'together', capability: type ? CAPABILITY_OF_TYPE[type] : undefined };
  if (type) info.providerType = type;
  const displayName = str(raw.display_name),
    organization = str(raw.organization),
    context = num(raw.context_length);
  if (displayName) info.displayName = displayName;
  if (organization) info.organization = organization;
  if (context) info.contextLength = context;
  if (raw.pricing && typeof raw.pricing === 'object') {
    const input = num(raw.pricing.input),
      output = num(raw.pricing.output),
      base = num(raw.pricing.base);
    // Units differ by type: tokens for text models, characters for speech (`cartesia/sonic`'s
    // input 65 is $65 per million characters), per image for images. Transcription's unit is not
    // documented, so its prices stay under `other`, where no cost is computed from them.
    const byTokens = type !== 'audio' && type !== 'transcribe' && type !== 'image';
    const mapped = new Set(byTokens ? ['input', 'output'] : type === 'audio' ? ['input'] : []);
    const other = Object.fromEntries(Object.entries(raw.pricing).filter(([k, v]) => !mapped.has(k) && num(v) !== undefined)) as Record<string, number>;
    info.pricing = {
      ...(byTokens && input !== undefined ? { inputPerMillionTokens: input } : {}),
      ...(byTokens && output !== undefined ? { outputPerMillionTokens: output } : {}),
      ...(type === 'audio' && input !== undefined ? { perMillionCharacters: input } : {}),
      ...(type === 'image' && base ? { perImage: base } : {}),
      ...(Object.keys(other).length ? { other } : {}),
    };
  }
  return info;
}

/** The live model list from `GET /models`, cached for a time-to-live; concurrent refreshes share one request. */
export class ModelCatalog {
  private models: ModelInfoV1[] | undefined;
  private fetchedAt = 0;
  private pending: Promise<ModelInfoV1[]> | undefined;

  constructor(
    private readonly client: TogetherClient,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Known models, refreshed when stale or when `refresh` is set. */
  async list(options: CallOptionsV1 & { refresh?: boolean } = {}): Promise<ModelInfoV1[]> {
    if (this.models && !options.refresh && this.now() - this.fetchedAt < this.ttlMs) return this.models;
    this.pending ??= this.client
      .json<unknown>({ method: 'GET', path: '/models', signal: options.signal, operation: 'together list models' })
      .then(({ body }) => {
        const rows = Array.isArray(body) ? body : Array.isArray((body as { data?: unknown }).data) ? (body as { data: unknown[] }).data : undefined;
        if (!rows) throw invalidResponse('together list models', 'it is not a list of models');
        this.models = rows.map((row) => toModelInfo(row as RawModel)).filter((m): m is ModelInfoV1 => m !== undefined);
        this.fetchedAt = this.now();
        return this.models;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** The cached list, without a request (empty before the first discovery). */
  cached(): ModelInfoV1[] {
    return this.models ?? [];
  }

  /** One model by id; `MODEL_NOT_FOUND` names the closest ids. */
  async find(id: string, options: CallOptionsV1 = {}): Promise<ModelInfoV1> {
    const before = this.fetchedAt;
    let models = await this.list(options);
    let found = models.find((m) => m.id === id);
    if (!found && before !== 0 && this.fetchedAt === before) {
      models = await this.list({ ...options, refresh: true }); // served from the cache: the model may be new
      found = models.find((m) => m.id === id);
    }
    if (!found) {
      const closest = closestMatches(
        id,
        models.map((m) => m.id),
      );
      throw new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: `together: no model "${id}"; closest: ${closest.join(', ')}`, details: { closest } });
    }
    return found;
  }
}
