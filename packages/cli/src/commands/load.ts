import { CAPABILITIES, type ModelInfoV1, type ModelPricingV1 } from '@mediaconduit/provider';
import type { Context, RegistryFlags } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { formatMs, printable, table } from '../io.js';

/** `mediaconduit load <spec>`: loads a provider and lists its models per capability. */
export async function loadCommand(ctx: Context, specifier: string, flags: RegistryFlags): Promise<number> {
  const registry = await ctx.registry(flags);
  const started = performance.now();
  const provider = await ctx.loadProvider(registry, specifier, flags);
  const ms = performance.now() - started;
  const loaded = registry.listProviders().find((p) => p.provider === provider || p.id === provider.id);
  const models: Record<string, string[]> = {};
  for (const capability of CAPABILITIES) {
    if (!provider.capabilities.includes(capability)) continue;
    models[capability] = (await provider.listModels({ capability, signal: ctx.signal })).map((m) => m.id);
  }
  ctx.progress.stop();
  ctx.out.result({
    provider: {
      id: provider.id,
      name: provider.name,
      type: provider.type,
      version: loaded?.version,
      commit: loaded?.commit,
      specifier: loaded?.specifier,
      isolation: loaded?.isolation,
    },
    capabilities: provider.capabilities,
    models,
    loadMs: Math.round(ms),
  });
  const where = loaded?.isolation === 'process' ? ', in a process of its own' : '';
  const one = (value: string) => printable(value, { newlines: false });
  ctx.out.line(
    `${one(provider.name)} (${one(provider.id)}, ${one(provider.type)})${loaded ? ` ${loaded.version} at ${loaded.commit.slice(0, 12)}` : ''}${where}, loaded in ${formatMs(ms)}`,
  );
  for (const [capability, ids] of Object.entries(models)) ctx.out.line(`  ${capability}: ${ids.map(one).join(', ') || '(none)'}`);
  return EXIT.OK;
}

/** `mediaconduit models <spec> [--capability c]`: every model with its context length and pricing. */
export async function modelsCommand(ctx: Context, specifier: string, flags: RegistryFlags & { capability?: string }): Promise<number> {
  const capability = flags.capability as (typeof CAPABILITIES)[number] | undefined;
  if (capability !== undefined && !CAPABILITIES.includes(capability)) {
    throw new UsageError(`--capability "${capability}" is not one of ${CAPABILITIES.join(', ')}`, 'models');
  }
  const registry = await ctx.registry(flags);
  const provider = await ctx.loadProvider(registry, specifier, flags);
  const models = await provider.listModels({ ...(capability ? { capability } : {}), signal: ctx.signal });
  ctx.progress.stop();
  ctx.out.result(models);
  if (models.length === 0) {
    ctx.out.line(`${provider.id} has no ${capability ?? ''} models`.replace('  ', ' '));
    return EXIT.OK;
  }
  const rows = [['MODEL', 'CAPABILITY', 'CONTEXT', 'PRICING (USD)'], ...models.map((m) => [m.id, m.capability ?? '-', context(m), pricing(m.pricing)])];
  for (const line of table(rows)) ctx.out.line(line);
  return EXIT.OK;
}

function context(model: ModelInfoV1): string {
  if (model.contextLength) return `${model.contextLength.toLocaleString('en-US')} tokens`;
  if (model.dimensions) return `${model.dimensions} dims`;
  return '-';
}

/** Prices in the units the provider gives them. */
export function pricing(p: ModelPricingV1 | undefined): string {
  if (!p) return '-';
  const parts: string[] = [];
  const usd = (n: number) => `$${Number(n.toPrecision(4))}`;
  if (p.inputPerMillionTokens !== undefined) parts.push(`${usd(p.inputPerMillionTokens)}/M in`);
  if (p.outputPerMillionTokens !== undefined) parts.push(`${usd(p.outputPerMillionTokens)}/M out`);
  if (p.perMillionCharacters !== undefined) parts.push(`${usd(p.perMillionCharacters)}/M chars`);
  if (p.perImage !== undefined) parts.push(`${usd(p.perImage)}/image`);
  if (p.perMegapixel !== undefined) parts.push(`${usd(p.perMegapixel)}/megapixel`);
  for (const [unit, n] of Object.entries(p.other ?? {})) parts.push(`${usd(n)} ${unit}`);
  return parts.join(', ') || '-';
}
