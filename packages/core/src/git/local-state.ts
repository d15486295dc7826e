import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProviderSource } from '../source/provider-source.js';
import { runGit } from './git-runner.js';

/** What a local repository holds now, next to what a load used: for warnings to its author. */
export interface LocalRepositoryState {
  /** The repository's folder. */
  repository: string;
  /** The commit the requested ref (the checked-out branch when none) names now; absent when git cannot say. */
  commit?: string;
  /**
   * Paths (relative to the repository) changed but not committed in the provider's folder, when the
   * working tree is on that commit: what a load from the commit does not see. At most `limit`.
   */
  uncommitted: string[];
  /** How many uncommitted paths there are in all. */
  uncommittedCount: number;
}

const FULL_COMMIT = /^[0-9a-f]{40}$/i;

/**
 * Reads, with the hardened git, where a local (`file:`) provider's ref points now and what in its
 * folder is not committed. `ignore` names paths to leave out (the cache and lockfile a command
 * wrote into the repository). Nothing for other sources, a ref that is a full commit (it cannot
 * move), a range, or when git fails: this feeds advice, never a load.
 */
export async function localRepositoryState(
  source: ProviderSource,
  options: { ignore?: readonly string[]; limit?: number; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<LocalRepositoryState | undefined> {
  if (source.kind !== 'file' || (source.ref !== undefined && (FULL_COMMIT.test(source.ref) || !/^[\w./-]+$/.test(source.ref) || source.ref.startsWith('-')))) {
    return undefined;
  }
  const repository = fileURLToPath(source.url);
  const git = (operation: string, args: string[]) =>
    runGit(operation, args, { cwd: repository, timeoutMs: options.timeoutMs ?? 10_000, ...(options.signal ? { signal: options.signal } : {}) }).catch(() => undefined);
  const [wanted, head] = await Promise.all([
    git('read the ref', ['rev-parse', '--verify', '--quiet', `${source.ref ?? 'HEAD'}^{commit}`]),
    source.ref === undefined ? undefined : git('read HEAD', ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']),
  ]);
  const commit = wanted?.trim();
  if (!commit) return undefined;
  const state: LocalRepositoryState = { repository, commit, uncommitted: [], uncommittedCount: 0 };
  // Uncommitted changes matter only when the working tree sits on the commit that was asked for.
  if (source.ref !== undefined && head?.trim() !== commit) return state;
  const status = await git('read the working tree', ['status', '--porcelain=v1', '-z', '--untracked-files=normal', '--', source.subdir || '.']);
  if (!status) return state;
  const ignored = (options.ignore ?? []).map((path) => relative(repository, path).split(sep).join('/')).filter((path) => path && !path.startsWith('..'));
  const entries = status.split('\0');
  const paths: string[] = [];
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!;
    if (entry.length < 4) continue;
    // A rename or copy is followed by its source path: skip it.
    if (entry[0] === 'R' || entry[0] === 'C') index++;
    const path = entry.slice(3).replace(/\/$/, '');
    if (ignored.some((skip) => path === skip || path.startsWith(`${skip}/`))) continue;
    paths.push(path);
  }
  state.uncommittedCount = paths.length;
  state.uncommitted = paths.slice(0, options.limit ?? 5);
  return state;
}
