import { statSync } from 'node:fs';
import type { Context, RegistryFlags } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { formatBytes, table } from '../io.js';

/**
 * The cache folder and lockfile the flags name, without loading anything. A `--cache-dir` that
 * names no folder is a usage error (a typo, most likely), never an empty cache that is "all intact".
 */
async function where(ctx: Context, flags: RegistryFlags, command: string) {
  const registry = await ctx.registry(flags);
  const { cacheDir } = registry.options;
  const exists = statSync(cacheDir, { throwIfNoEntry: false });
  if (exists && !exists.isDirectory()) throw new UsageError(`${cacheDir} is a file, not a cache folder`, command);
  if (!exists && flags.cacheDir !== undefined) {
    throw new UsageError(`there is no cache at ${cacheDir} (no such folder); check the --cache-dir path (mediaconduit load fills a cache)`, command);
  }
  return { ...registry.options, exists: exists !== undefined };
}

/** `mediaconduit cache ls`: every entry with its size, and whether the lockfile pins it. */
export async function cacheLsCommand(ctx: Context, flags: RegistryFlags): Promise<number> {
  const { cacheDir, lockfile } = await where(ctx, flags, 'cache ls');
  const { listCache, readLockfile } = await import('@mediaconduit/core');
  const listing = await listCache(cacheDir, lockfile === false ? undefined : readLockfile(lockfile));
  ctx.out.result(listing);
  if (listing.entries.length === 0) {
    ctx.out.line(`${cacheDir} is empty`);
    return EXIT.OK;
  }
  const rows = [
    ['KIND', 'PROVIDER', 'COMMIT', 'SIZE', 'PINNED', 'CREATED', 'FROM'],
    ...listing.entries.map((e) => [
      e.kind,
      e.provider ? `${e.provider.id}@${e.provider.version}` : '-',
      e.commit ? e.commit.slice(0, 12) : '-',
      formatBytes(e.bytes),
      e.broken ? 'broken' : e.pinned === null ? '-' : e.pinned ? 'yes' : 'no',
      e.createdAt ? e.createdAt.slice(0, 19).replace('T', ' ') : '-',
      e.url ? `${e.url}${e.subdir ? `//${e.subdir}` : ''}` : e.path.slice(cacheDir.length + 1),
    ]),
  ];
  for (const line of table(rows)) ctx.out.line(line);
  const unpinned = listing.entries.filter((e) => e.pinned === false).length;
  ctx.out.line(
    `${listing.entries.length} entries, ${formatBytes(listing.totalBytes)} in ${cacheDir}${unpinned > 0 ? `; ${unpinned} not pinned (mediaconduit cache prune removes them)` : ''}`,
  );
  return EXIT.OK;
}

/** `mediaconduit cache verify [--fix]`: recomputes every hash. */
export async function cacheVerifyCommand(ctx: Context, flags: RegistryFlags & { fix?: boolean }): Promise<number> {
  const { cacheDir, exists } = await where(ctx, flags, 'cache verify');
  if (!exists) {
    ctx.out.result({ cacheDir, checked: 0, problems: [], fixed: false, exists: false });
    ctx.out.line(`there is no cache at ${cacheDir} yet (nothing was loaded with it); nothing to verify`);
    return EXIT.OK;
  }
  const { verifyCache } = await import('@mediaconduit/core');
  ctx.progress.start('verify', `verify ${cacheDir}`);
  const { checked, problems } = await verifyCache(cacheDir, { fix: flags.fix === true });
  ctx.progress.stop();
  ctx.out.result({ cacheDir, checked, problems, fixed: flags.fix === true });
  for (const p of problems) ctx.out.line(`BROKEN ${p.path}: ${p.message}${flags.fix ? ' (deleted)' : ''}`);
  ctx.out.line(
    `checked ${checked} entries in ${cacheDir}: ${problems.length === 0 ? 'all intact' : `${problems.length} broken${flags.fix ? ', deleted' : '; run with --fix to delete them'}`}`,
  );
  return problems.length === 0 || flags.fix ? EXIT.OK : EXIT.CHECKS_FAILED;
}

/** `mediaconduit cache prune`: deletes what the lockfile does not pin. */
export async function cachePruneCommand(ctx: Context, flags: RegistryFlags): Promise<number> {
  const { cacheDir, lockfile } = await where(ctx, flags, 'cache prune');
  if (lockfile === false) throw new UsageError('cache prune keeps what the lockfile pins, so it needs one (leave out --no-lockfile)', 'cache prune');
  const { pruneCache, readLockfile } = await import('@mediaconduit/core');
  const removed = await pruneCache(cacheDir, readLockfile(lockfile));
  ctx.out.result({ cacheDir, lockfile, removed });
  ctx.out.line(`removed ${removed.length} entr${removed.length === 1 ? 'y' : 'ies'} from ${cacheDir}`);
  return EXIT.OK;
}

/** `mediaconduit cache clean`: deletes everything that can be fetched or built again; training job records stay. */
export async function cacheCleanCommand(ctx: Context, flags: RegistryFlags): Promise<number> {
  const { cacheDir } = await where(ctx, flags, 'cache clean');
  const { cleanCache } = await import('@mediaconduit/core');
  const { removed, bytes } = await cleanCache(cacheDir);
  ctx.out.result({ cacheDir, removed, bytes });
  ctx.out.line(`removed ${formatBytes(bytes)} from ${cacheDir} (checkouts, bundles, dependencies); training job records kept`);
  return EXIT.OK;
}
