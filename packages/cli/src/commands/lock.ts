import type { LockEntry, ProviderRegistry } from '@mediaconduit/core';
import type { Context, RegistryFlags } from '../context.js';
import { EXIT, UsageError } from '../errors.js';

const short = (entry: LockEntry) => `${entry.commit.slice(0, 12)}${entry.resolved ? ` (${entry.resolved})` : ''}`;

/** The specifiers a command works on: the ones given, else every one the lockfile pins. */
async function targets(ctx: Context, registry: ProviderRegistry, given: readonly string[], command: string): Promise<string[]> {
  if (given.length > 0) return given.map((s) => ctx.spec(s));
  const path = registry.options.lockfile;
  if (path === false) throw new UsageError(`${command} without specifiers works on the lockfile's entries, and --no-lockfile leaves none`, command);
  const { readLockfile } = await import('@mediaconduit/core');
  const keys = Object.keys(readLockfile(path).providers);
  if (keys.length === 0) throw new UsageError(`the lockfile ${path} pins no provider yet; name one: mediaconduit ${command} <spec>`, command);
  return keys;
}

/**
 * `mediaconduit lock [spec…]`: pins each provider (new entries only; existing pins never move)
 * and fills the cache with everything a load needs, running none of the providers' code.
 * Without specifiers: every provider the lockfile pins, for an offline or CI machine.
 */
export async function lockCommand(ctx: Context, given: readonly string[], flags: RegistryFlags): Promise<number> {
  const registry = await ctx.registry(flags);
  const specifiers = await targets(ctx, registry, given, 'lock');
  const results = [];
  for (const specifier of specifiers) {
    const result = await registry.prepare(specifier);
    results.push(result);
    ctx.progress.stop();
    const did = result.ran.length > 0 ? `; ran ${result.ran.join(', ')}` : '; all cached';
    ctx.out.line(`${specifier}: ${result.added ? 'pinned' : 'kept'} ${short(result.entry)} ${result.entry.provider.id}@${result.entry.provider.version}${did}`);
  }
  ctx.out.result({ lockfile: registry.options.lockfile, providers: results });
  return EXIT.OK;
}

/** `mediaconduit update [spec…]`: re-resolves providers over the network and moves their pins. */
export async function updateCommand(ctx: Context, given: readonly string[], flags: RegistryFlags & { acceptMovedTags?: boolean }): Promise<number> {
  const registry = await ctx.registry(flags);
  const specifiers = await targets(ctx, registry, given, 'update');
  const results = [];
  for (const specifier of specifiers) {
    const result = await registry.update(specifier, { acceptMovedTags: flags.acceptMovedTags === true });
    results.push(result);
    ctx.progress.stop();
    ctx.out.line(`${specifier}: ${result.changed ? `${result.before ? short(result.before) : 'new'} → ${short(result.after)}` : `unchanged at ${short(result.after)}`}`);
  }
  ctx.out.result({ lockfile: registry.options.lockfile, updates: results });
  return EXIT.OK;
}
