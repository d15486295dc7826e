import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type NpmRegistry, pinLockfileTo, startNpmRegistry } from '@mediaconduit/testing';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Commits this workspace's mock and Together providers (sources, no builds) into a new Git
 * repository at `<work>/repo`; returns their specifiers, loaded through the whole Git pipeline.
 * With `fal`, the fal provider too, its lockfile pinned to that loopback registry (which serves
 * its one dependency: see {@link startFalDependencies}).
 */
export async function commitProviders(work: string, options: { fal?: NpmRegistry } = {}): Promise<{ MOCK: string; TOGETHER: string; FAL: string }> {
  const repo = join(work, 'repo');
  const names = ['mock-provider', 'together-provider', ...(options.fal ? ['fal-provider'] : [])];
  for (const name of names) await cp(join(root, 'packages', name), join(repo, 'packages', name), { recursive: true, filter: (source) => !/node_modules|[/\\]dist$/.test(source) });
  if (options.fal) await pinLockfileTo(join(repo, 'packages/fal-provider/package-lock.json'), options.fal);
  const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'providers');
  return { MOCK: `file://${repo}//packages/mock-provider`, TOGETHER: `file://${repo}//packages/together-provider`, FAL: `file://${repo}//packages/fal-provider` };
}

/** A loopback npm registry serving the fal provider's dependencies (fflate), from this workspace's install. */
export function startFalDependencies(): Promise<NpmRegistry> {
  const fflate = dirname(createRequire(join(root, 'packages/fal-provider/package.json')).resolve('fflate/package.json'));
  return startNpmRegistry({ packages: [{ folder: fflate }] });
}
