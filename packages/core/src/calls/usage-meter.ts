import type { UsageV1 } from '@mediaconduit/provider';

/** Usage and cost of a group of calls. */
export interface UsageTotals {
  /** Calls made (a call's retries count once). */
  calls: number;
  /** Calls that failed in the end. */
  failures: number;
  /** Summed usage; fields no provider reported stay absent. */
  usage: UsageV1;
  /** Summed cost in US dollars of the calls whose model has pricing. */
  costUsd: number;
  /** Calls whose cost is unknown (their model publishes no pricing for what they used). */
  unpricedCalls: number;
}

/** What `registry.usage()` returns: totals for the registry, per provider and per `provider/model`. */
export interface UsageReport {
  total: UsageTotals;
  byProvider: Record<string, UsageTotals>;
  byModel: Record<string, UsageTotals>;
}

const empty = (): UsageTotals => ({ calls: 0, failures: 0, usage: {}, costUsd: 0, unpricedCalls: 0 });

function entry(map: Map<string, UsageTotals>, key: string): UsageTotals {
  let totals = map.get(key);
  if (!totals) {
    totals = empty();
    map.set(key, totals);
  }
  return totals;
}

/** The three groups one model's calls add to. */
export type MeterSlot = readonly [total: UsageTotals, provider: UsageTotals, model: UsageTotals];

/** Adds up usage and cost per registry, provider and model. */
export class UsageMeter {
  private total = empty();
  private readonly byProvider = new Map<string, UsageTotals>();
  private readonly byModel = new Map<string, UsageTotals>();

  /** The totals a model's calls add to; looked up once per model, not once per call. */
  slot(provider: string, model: string): MeterSlot {
    return [this.total, entry(this.byProvider, provider), entry(this.byModel, `${provider}/${model}`)];
  }

  /**
   * Adds one call to the slot's totals. `countTotal: false` leaves the registry's total out: a
   * model that failed inside a fallback chain made an attempt of the chain's call, which the chain
   * counts once ({@link addChainFailure}), or the model that served it counts in full.
   */
  add(slot: MeterSlot, ok: boolean, usage: UsageV1 | undefined, costUsd: number | undefined, countTotal = true): void {
    const groups = countTotal ? slot : slot.slice(1);
    for (const totals of groups) {
      totals.calls++;
      if (!ok) totals.failures++;
      if (costUsd !== undefined) totals.costUsd += costUsd;
      else if (ok) totals.unpricedCalls++;
    }
    if (!usage) return;
    let known = 0;
    for (const totals of groups) known = addKnownUsage(totals.usage, usage);
    // A provider may report fields of its own: they add up too (rarely, so on a slower path).
    let fields = 0;
    for (const _ in usage) fields++;
    if (fields > known) for (const totals of groups) addOtherUsage(totals.usage, usage);
  }

  /** A fallback chain's call that failed in the end: one call, and one failure, of the registry. */
  addChainFailure(): void {
    this.total.calls++;
    this.total.failures++;
  }

  report(): UsageReport {
    const copy = (t: UsageTotals): UsageTotals => ({ ...t, usage: { ...t.usage } });
    return {
      total: copy(this.total),
      byProvider: Object.fromEntries([...this.byProvider].map(([k, v]) => [k, copy(v)])),
      byModel: Object.fromEntries([...this.byModel].map(([k, v]) => [k, copy(v)])),
    };
  }
}

/** The fields of `UsageV1` counted in columns of their own (the others, such as `megapixels`, are summed by name). */
export const USAGE_FIELDS = ['inputTokens', 'outputTokens', 'totalTokens', 'images', 'audioSeconds', 'characters'] as const satisfies readonly (keyof UsageV1)[];
const KNOWN_USAGE: ReadonlySet<string> = new Set(USAGE_FIELDS);

/**
 * Adds the fields of `usage` that `UsageV1` names to `sum`, and returns how many it had. (Written
 * out field by field: this runs for every model call, and named fields are what the engine makes
 * fastest.)
 */
function addKnownUsage(sum: UsageV1, usage: UsageV1): number {
  let known = 0;
  if (usage.inputTokens !== undefined) {
    sum.inputTokens = (sum.inputTokens ?? 0) + usage.inputTokens;
    known++;
  }
  if (usage.outputTokens !== undefined) {
    sum.outputTokens = (sum.outputTokens ?? 0) + usage.outputTokens;
    known++;
  }
  if (usage.totalTokens !== undefined) {
    sum.totalTokens = (sum.totalTokens ?? 0) + usage.totalTokens;
    known++;
  }
  if (usage.images !== undefined) {
    sum.images = (sum.images ?? 0) + usage.images;
    known++;
  }
  if (usage.audioSeconds !== undefined) {
    sum.audioSeconds = (sum.audioSeconds ?? 0) + usage.audioSeconds;
    known++;
  }
  if (usage.characters !== undefined) {
    sum.characters = (sum.characters ?? 0) + usage.characters;
    known++;
  }
  return known;
}

/** Adds the numeric fields of `usage` that `UsageV1` does not name to `sum`. */
function addOtherUsage(sum: UsageV1, usage: UsageV1): void {
  const into = sum as Record<string, number>;
  for (const [key, value] of Object.entries(usage)) {
    if (!KNOWN_USAGE.has(key) && typeof value === 'number') into[key] = (into[key] ?? 0) + value;
  }
}
