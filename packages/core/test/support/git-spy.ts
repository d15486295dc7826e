import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Puts a `git` wrapper first on PATH that records every invocation's argv, then runs the real
 * git. Lets tests prove that no git process ran, and what git was (not) given. `uninstall()`
 * restores PATH and removes the wrapper's folder.
 */
export async function installGitSpy(): Promise<{ calls(): Promise<string[]>; reset(): Promise<void>; uninstall(): Promise<void> }> {
  const realGit = execFileSync('sh', ['-c', 'command -v git']).toString().trim();
  const dir = await mkdtemp(join(tmpdir(), 'mc-gitspy-'));
  const log = join(dir, 'calls.log');
  await writeFile(log, '');
  await writeFile(join(dir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
  await chmod(join(dir, 'git'), 0o755);
  const previousPath = process.env.PATH;
  process.env.PATH = `${dir}:${previousPath ?? ''}`;
  return {
    calls: async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean),
    reset: () => writeFile(log, ''),
    async uninstall() {
      process.env.PATH = previousPath;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
