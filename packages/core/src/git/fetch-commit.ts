import { mkdir, rm } from 'node:fs/promises';
import { mcError } from '../errors/mediaconduit-error.js';
import { runGit, type GitRunOptions } from './git-runner.js';

/** What a fetched checkout holds. */
export interface FetchedCommit {
  /** Full commit SHA. */
  commit: string;
  /** git's tree id of the requested folder. */
  tree: string;
}

/**
 * Fetches exactly `commit` (shallow) from `url` into the empty folder `dest` and checks it out,
 * then removes `.git`. No remote is configured, so nothing about the URL or token stays on disk.
 * Falls back to fetching `refName` when the server refuses unadvertised commits.
 */
export async function fetchCommit(url: string, commit: string, dest: string, subdir: string, options: GitRunOptions & { refName?: string }): Promise<FetchedCommit> {
  await mkdir(dest, { recursive: true });
  const git = (operation: string, args: string[]) => runGit(operation, args, { ...options, cwd: dest });
  await git('git init', ['init', '--quiet', '--template=', '.']);
  const fetchArgs = ['fetch', '--quiet', '--depth', '1', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head'];
  try {
    await git(`fetch ${commit.slice(0, 12)} from ${url}`, [...fetchArgs, '--end-of-options', url, `+${commit}:refs/mediaconduit/target`]);
  } catch (error) {
    if (!options.refName) throw error;
    const ref = options.refName;
    await git(`fetch ${ref} from ${url}`, [...fetchArgs, '--end-of-options', url, `+${ref}:refs/mediaconduit/target`]);
  }
  const fetched = (await git('rev-parse', ['rev-parse', '--verify', 'refs/mediaconduit/target^{commit}'])).trim();
  if (fetched !== commit) {
    throw mcError('GIT_FAILED', `fetch ${url}: expected commit ${commit} but the server sent ${fetched}; the ref moved while loading, try again`, { retryable: true, details: { expected: commit, fetched } });
  }
  await git('checkout', ['checkout', '--quiet', '--detach', fetched]);
  const tree = (await git('rev-parse', ['rev-parse', '--verify', `${fetched}:${subdir}`])).trim();
  await rm(`${dest}/.git`, { recursive: true, force: true });
  return { commit: fetched, tree };
}

/**
 * Expands a commit prefix that no advertised ref starts with, by fetching the remote's commit
 * history (without file contents where the server allows) into a scratch repository.
 */
export async function expandShortSha(url: string, prefix: string, scratch: string, options: GitRunOptions): Promise<string | undefined> {
  await mkdir(scratch, { recursive: true });
  const git = (operation: string, args: string[]) => runGit(operation, args, { ...options, cwd: scratch });
  await git('git init', ['init', '--quiet', '--bare', '--template=', '.']);
  await git(`fetch history of ${url}`, ['fetch', '--quiet', '--filter=tree:0', '--no-recurse-submodules', '--end-of-options', url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
  try {
    return (await git('rev-parse', ['rev-parse', '--verify', '--quiet', `${prefix}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}
