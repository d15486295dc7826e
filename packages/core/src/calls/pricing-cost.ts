import type { ModelPricingV1, UsageV1 } from '@mediaconduit/provider';

/**
 * What `usage` cost under `pricing`, in US dollars: tokens at the per-million-token prices,
 * images at the per-image price (or their megapixels at the per-megapixel price), characters at
 * the per-million-character price. `undefined` when
 * the pricing covers none of what was used (no price is ever guessed).
 */
export function costOf(usage: UsageV1 | undefined, pricing: ModelPricingV1 | undefined): number | undefined {
  if (!usage || !pricing) return undefined;
  // (Written out rather than with a helper: this runs once per model call.)
  let cost: number | undefined;
  if (usage.inputTokens !== undefined && pricing.inputPerMillionTokens !== undefined) cost = (cost ?? 0) + (usage.inputTokens * pricing.inputPerMillionTokens) / 1e6;
  if (usage.outputTokens !== undefined && pricing.outputPerMillionTokens !== undefined) cost = (cost ?? 0) + (usage.outputTokens * pricing.outputPerMillionTokens) / 1e6;
  if (usage.images !== undefined && pricing.perImage !== undefined) cost = (cost ?? 0) + usage.images * pricing.perImage;
  if (usage.characters !== undefined && pricing.perMillionCharacters !== undefined) cost = (cost ?? 0) + (usage.characters * pricing.perMillionCharacters) / 1e6;
  if (usage.megapixels !== undefined && pricing.perMegapixel !== undefined) cost = (cost ?? 0) + usage.megapixels * pricing.perMegapixel;
  return cost;
}
