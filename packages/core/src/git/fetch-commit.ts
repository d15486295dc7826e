import { mkdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { mcError } from '../util/errors.js';
import { runGit, type GitRunOptions } from './git-runner.js';

/** What a fetched checkout holds. */
export interface FetchedCommit {
  /** Full commit SHA. */
  commit: string;
}

/**
 * Fetches exactly `commit` (shallow) from `url` into the new folder `dest` and checks it out,
 * then removes `.git`, so nothing about the URL stays on disk (the token never was).
 * When the commit was resolved from a tag or branch (`refName`), one `git clone --depth 1 --branch`
 * does it and the result is checked to be exactly `commit`; otherwise the commit is fetched by SHA.
 *
 * @throws `GIT_FAILED` (retryable) when the ref moved to another commit meanwhile.
 */
export async function fetchCommit(url: string, commit: string, dest: string, options: GitRunOptions & { refName?: string }): Promise<FetchedCommit> {
  const parent = dirname(dest);
  await mkdir(parent, { recursive: true });
  if (options.refName) {
    await cloneRef(url, options.refName, dest, options);
  } else {
    await mkdir(dest, { recursive: true });
    const git = (operation: string, args: string[]) => runGit(operation, args, { ...options, cwd: dest });
    const shallow = ['--depth', '1', '--no-tags', '--no-recurse-submodules'];
    await git('git init', ['init', '--template=', '.']);
    await git(`fetch ${commit.slice(0, 12)} from ${url}`, ['fetch', ...shallow, '--no-write-fetch-head', '--end-of-options', url, `+${commit}:refs/mediaconduit/target`]).catch(
      (error: unknown) => {
        if (error instanceof Error && /not our ref|couldn't find remote ref|no such remote ref|unadvertised object/i.test(error.message)) {
          throw mcError('REF_NOT_FOUND', `fetch ${url}: commit ${commit} does not exist there (or is not reachable from any branch or tag); check the SHA`, { cause: error });
        }
        throw error;
      },
    );
    await git('checkout', ['checkout', '--detach', 'refs/mediaconduit/target']);
  }
  const fetched = await readHeadCommit(join(dest, '.git'));
  if (fetched !== commit) {
    throw mcError('GIT_FAILED', `fetch ${url}: expected commit ${commit} but ${options.refName ?? 'the server'} now points at ${fetched}; the ref moved while loading, try again`, {
      retryable: true,
      details: { expected: commit, fetched },
    });
  }
  await rm(`${dest}/.git`, { recursive: true, force: true });
  return { commit: fetched };
}

/**
 * Shallow-clones the tip of `refName` (a tag or branch; the default branch when undefined) into
 * the new folder `dest`, and resolves to the commit it checked out. `.git` is left for the caller.
 */
export async function cloneRef(url: string, refName: string | undefined, dest: string, options: GitRunOptions): Promise<string> {
  const args = ['clone', '--depth', '1', '--no-tags', '--no-recurse-submodules', '--template=', ...(refName ? ['--branch', refName] : []), '--end-of-options', url, basename(dest)];
  await runGit(`clone ${url}${refName ? ` at ${refName}` : ''}`, args, { ...options, cwd: dirname(dest) });
  return readHeadCommit(join(dest, '.git'));
}

/** The commit HEAD points at, read from the files of `gitDir` (saves a git process). */
export async function readHeadCommit(gitDir: string): Promise<string> {
  const head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
  if (!head.startsWith('ref: ')) return head;
  const ref = head.slice(5);
  const loose = await readFile(join(gitDir, ref), 'utf8').catch(() => undefined);
  if (loose) return loose.trim();
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  return /^([0-9a-f]{40,64}) (\S+)$/gm.exec(packed.split('\n').find((line) => line.endsWith(` ${ref}`)) ?? '')?.[1] ?? '';
}

/**
 * Expands a commit prefix that no advertised ref starts with, by fetching the remote's commit
 * history (without file contents where the server allows) into a scratch repository.
 */
export async function expandShortSha(url: string, prefix: string, scratch: string, options: GitRunOptions): Promise<string | undefined> {
  await mkdir(scratch, { recursive: true });
  const git = (operation: string, args: string[]) => runGit(operation, args, { ...options, cwd: scratch });
  await git('git init', ['init', '--bare', '--template=', '.']);
  await git(`fetch history of ${url}`, ['fetch', '--filter=tree:0', '--no-recurse-submodules', '--end-of-options', url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
  try {
    return (await git('rev-parse', ['rev-parse', '--verify', `${prefix}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}
