import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A file to write: text, or `{ symlink: target }`, or `{ content, mode }`. */
export type FileSpec = string | { symlink: string } | { content: string; mode: number };

/** A real Git repository in a temporary folder, for tests and benchmarks. */
export interface TestRepo {
  /** Working tree path. */
  dir: string;
  /** `file://` URL of the repository. */
  url: string;
  /** Writes files (relative paths) and commits them; resolves to the new commit SHA. */
  commit(files: Readonly<Record<string, FileSpec>>, message?: string): Promise<string>;
  /** Creates (or with `force`, moves) a lightweight or annotated tag at HEAD. */
  tag(name: string, options?: { annotated?: boolean; force?: boolean }): Promise<void>;
  /** Creates a branch at HEAD, or switches to it. */
  branch(name: string, options?: { checkout?: boolean }): Promise<void>;
  /** Runs any git command in the repository. */
  git(...args: string[]): Promise<string>;
  /** Deletes the folder. */
  remove(): Promise<void>;
}

const IDENTITY = ['-c', 'user.name=MediaConduit Test', '-c', 'user.email=test@mediaconduit.invalid', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false'];

/** Creates an empty repository (default branch `main`) in a new temporary folder. */
export async function createTestRepo(name = 'repo'): Promise<TestRepo> {
  const dir = join(await mkdtemp(join(tmpdir(), 'mediaconduit-repo-')), name);
  await mkdir(dir, { recursive: true });
  const git = async (...args: string[]) =>
    (await run('git', [...IDENTITY, ...args], { cwd: dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } })).stdout;
  await git('init', '--quiet', '--initial-branch=main');
  return {
    dir,
    url: `file://${dir}`,
    git,
    async commit(files, message = 'update') {
      for (const [path, spec] of Object.entries(files)) {
        const full = join(dir, path);
        await mkdir(dirname(full), { recursive: true });
        await rm(full, { force: true });
        if (typeof spec === 'string') await writeFile(full, spec);
        else if ('symlink' in spec) await symlink(spec.symlink, full);
        else {
          await writeFile(full, spec.content);
          await chmod(full, spec.mode);
        }
      }
      await git('add', '--all');
      await git('commit', '--quiet', '--allow-empty', '-m', message);
      return (await git('rev-parse', 'HEAD')).trim();
    },
    async tag(name, options = {}) {
      await git('tag', ...(options.force ? ['-f'] : []), ...(options.annotated ? ['-a', '-m', name] : []), name);
    },
    async branch(name, options = {}) {
      await git(...(options.checkout ? ['checkout', '--quiet', '-B', name] : ['branch', name]));
    },
    remove: () => rm(dirname(dir), { recursive: true, force: true }),
  };
}
