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

  add(slot: MeterSlot, ok: boolean, usage: UsageV1 | undefined, costUsd: number | undefined): void {
    for (const totals of slot) {
      totals.calls++;
      if (!ok) totals.failures++;
      if (usage) {
        const sum = totals.usage as Record<string, number>;
        for (const key in usage) {
          const value = usage[key as keyof UsageV1];
          if (value !== undefined) sum[key] = (sum[key] ?? 0) + value;
        }
      }
      if (costUsd !== undefined) totals.costUsd += costUsd;
      else if (ok) totals.unpricedCalls++;
    }
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
