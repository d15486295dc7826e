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
 * does it when that name still gives exactly `commit`. Otherwise (the name moved since it was
 * resolved, or a branch of the same name hides the tag that was resolved, since git clone takes a
 * branch first) or without a name, the commit is fetched by its SHA.
 *
 * @throws `GIT_FAILED` (retryable) when the ref moved to another commit meanwhile and the one it
 * was resolved to can no longer be fetched.
 */
export async function fetchCommit(url: string, commit: string, dest: string, options: GitRunOptions & { refName?: string }): Promise<FetchedCommit> {
  const parent = dirname(dest);
  await mkdir(parent, { recursive: true });
  let moved: string | undefined;
  if (options.refName) {
    const head = await cloneRef(url, options.refName, dest, options);
    if (head.commit === commit) {
      await rm(`${dest}/.git`, { recursive: true, force: true });
      return { commit };
    }
    moved = head.commit;
    await rm(dest, { recursive: true, force: true });
  }
  await mkdir(dest, { recursive: true });
  const git = (operation: string, args: string[]) => runGit(operation, args, { ...options, cwd: dest });
  const shallow = ['--depth', '1', '--no-tags', '--no-recurse-submodules'];
  await git('git init', ['init', '--template=', '.']);
  await git(`fetch ${commit.slice(0, 12)} from ${url}`, ['fetch', ...shallow, '--no-write-fetch-head', '--end-of-options', url, `+${commit}:refs/mediaconduit/target`]).catch(
    (error: unknown) => {
      if (!(error instanceof Error && /not our ref|couldn't find remote ref|no such remote ref|unadvertised object/i.test(error.message))) throw error;
      if (moved !== undefined) {
        throw mcError('GIT_FAILED', `fetch ${url}: expected commit ${commit} but ${options.refName} now points at ${moved}; the ref moved while loading, try again`, {
          retryable: true,
          details: { expected: commit, fetched: moved },
        });
      }
      throw mcError('REF_NOT_FOUND', `fetch ${url}: commit ${commit} does not exist there (or is not reachable from any branch or tag); check the SHA`, { cause: error });
    },
  );
  await git('checkout', ['checkout', '--detach', 'refs/mediaconduit/target']);
  const fetched = await readHeadCommit(join(dest, '.git'));
  if (fetched !== commit) {
    throw mcError('GIT_FAILED', `fetch ${url}: expected commit ${commit} but the server sent ${fetched}; try again`, {
      retryable: true,
      details: { expected: commit, fetched },
    });
  }
  await rm(`${dest}/.git`, { recursive: true, force: true });
  return { commit: fetched };
}

/**
 * Shallow-clones the tip of `refName` (a branch or tag, in git's order: a branch of that name
 * first; the default branch when undefined) into the new folder `dest`, and resolves to what it
 * checked out: the commit, and the branch unless HEAD is detached (a tag, or a remote whose HEAD is
 * detached). `.git` is left for the caller.
 */
export async function cloneRef(url: string, refName: string | undefined, dest: string, options: GitRunOptions): Promise<{ commit: string; branch?: string }> {
  const args = ['clone', '--depth', '1', '--no-tags', '--no-recurse-submodules', '--template=', ...(refName ? ['--branch', refName] : []), '--end-of-options', url, basename(dest)];
  await runGit(`clone ${url}${refName ? ` at ${refName}` : ''}`, args, { ...options, cwd: dirname(dest) });
  return readHead(join(dest, '.git'));
}

/** The commit HEAD points at, read from the files of `gitDir` (saves a git process). */
export async function readHeadCommit(gitDir: string): Promise<string> {
  return (await readHead(gitDir)).commit;
}

/**
 * HEAD of `gitDir`, read from its files: the commit (`''` when the branch has none yet, as in a
 * clone of an empty repository), and the branch checked out, or none when HEAD is detached.
 */
export async function readHead(gitDir: string): Promise<{ commit: string; branch?: string }> {
  const head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
  if (!head.startsWith('ref: ')) return { commit: head };
  const ref = head.slice(5);
  const branch = ref.startsWith('refs/heads/') ? { branch: ref.slice('refs/heads/'.length) } : {};
  const loose = await readFile(join(gitDir, ref), 'utf8').catch(() => undefined);
  if (loose) return { commit: loose.trim(), ...branch };
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  return { commit: /^([0-9a-f]{40,64}) (\S+)$/gm.exec(packed.split('\n').find((line) => line.endsWith(` ${ref}`)) ?? '')?.[1] ?? '', ...branch };
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
