import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { mcError } from '../util/errors.js';

let asked: Promise<string> | undefined;

/**
 * The registry to fetch a dependency from when the provider's lockfile does not name its tarball
 * URL (npm's `omit-lockfile-registry-resolved`): `configured` (the `npmRegistry` option or
 * `MEDIACONDUIT_NPM_REGISTRY`), else `npm_config_registry`, else the host's npm default, asked once
 * with `npm config get registry` in a neutral folder, so that no repository's `.npmrc` is read.
 */
export function npmRegistryUrl(configured: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  if (configured) return Promise.resolve(configured);
  if (env.npm_config_registry) return Promise.resolve(env.npm_config_registry);
  asked ??= new Promise<string>((resolve, reject) => {
    execFile(
      'npm',
      ['config', 'get', 'registry'],
      { cwd: tmpdir(), timeout: 15_000, killSignal: 'SIGKILL', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() } },
      (error, stdout) => {
        const url = String(stdout).trim();
        if (!error && /^https?:\/\//.test(url)) return resolve(url);
        asked = undefined;
        reject(
          mcError(
            'INSTALL_FAILED',
            'install: the provider lockfile leaves out tarball URLs and no npm registry is known; set the `npmRegistry` option or MEDIACONDUIT_NPM_REGISTRY',
            {
              cause: error ?? undefined,
            },
          ),
        );
      },
    );
  });
  return asked;
}
