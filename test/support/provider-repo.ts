import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Commits this workspace's mock and Together providers (sources, no builds) into a new Git
 * repository at `<work>/repo`; returns their specifiers, loaded through the whole Git pipeline.
 */
export async function commitProviders(work: string): Promise<{ MOCK: string; TOGETHER: string }> {
  const repo = join(work, 'repo');
  for (const name of ['mock-provider', 'together-provider'])
    await cp(join(root, 'packages', name), join(repo, 'packages', name), { recursive: true, filter: (source) => !/node_modules|[/\\]dist$/.test(source) });
  const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'providers');
  return { MOCK: `file://${repo}//packages/mock-provider`, TOGETHER: `file://${repo}//packages/together-provider` };
}
