import { execFile } from 'node:child_process';
import { cp, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { mcError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';

/** The npm dependencies a provider declares, without `@mediaconduit/*` (bound to the host). */
export async function providerDependencies(providerDir: string): Promise<{ names: string[]; lockHash?: string }> {
  const text = await readFile(join(providerDir, 'package.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return { names: [] };
  let pkg: { dependencies?: Record<string, string> };
  try {
    pkg = JSON.parse(text) as typeof pkg;
  } catch (error) {
    throw mcError('INSTALL_FAILED', `install: package.json of the provider is not valid JSON (${(error as Error).message})`);
  }
  const names = Object.keys(pkg.dependencies ?? {}).filter((name) => !name.startsWith('@mediaconduit/'));
  if (names.length === 0) return { names };
  const lock = await readFile(join(providerDir, 'package-lock.json')).catch(() => undefined);
  if (!lock) {
    throw mcError(
      'INSTALL_FAILED',
      `install: the provider depends on ${names.join(', ')} but has no package-lock.json; run "npm install --package-lock-only --legacy-peer-deps" in the provider and commit the lockfile`,
    );
  }
  return { names, lockHash: sha256(Buffer.concat([Buffer.from(text), lock])) };
}

/**
 * Installs a provider's dependencies from its own `package-lock.json` into `dest`
 * (a copy of the provider folder) with `npm ci --ignore-scripts`: no install scripts, no shell.
 */
export async function installDependencies(providerDir: string, dest: string, options: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<void> {
  await cp(providerDir, dest, { recursive: true, filter: (source) => !source.split('/').includes('node_modules') });
  // Peer dependencies (such as @mediaconduit/core) are provided by the host, never installed.
  const args = ['ci', '--ignore-scripts', '--legacy-peer-deps', '--no-audit', '--no-fund', '--omit=dev', '--loglevel=error'];
  await new Promise<void>((resolve, reject) => {
    execFile(
      'npm',
      args,
      {
        cwd: dest,
        shell: false,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        ...(options.signal ? { signal: options.signal } : {}),
        env: { ...process.env, npm_config_ignore_scripts: 'true', npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' },
      },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const timedOut = (error as { killed?: boolean }).killed;
        reject(
          mcError(
            timedOut ? 'TIMEOUT' : 'INSTALL_FAILED',
            `install: npm ci ${timedOut ? `did not finish within ${options.timeoutMs} ms` : 'failed'}: ${String(stderr).trim().split('\n').slice(-8).join('\n') || error.message}`,
            { cause: error },
          ),
        );
      },
    );
  });
  await stat(join(dest, 'node_modules'));
}
