import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mcError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { within } from '../util/within.js';
import { fetchTarball } from './fetch-tarball.js';
import { installPlan } from './install-plan.js';

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
      `install: the provider depends on ${names.join(', ')} but has no package-lock.json; run "npm install --package-lock-only" in the provider and commit the lockfile`,
    );
  }
  return { names, lockHash: sha256(Buffer.concat([Buffer.from(text), lock])) };
}

/**
 * Installs a provider's dependencies into `dest/node_modules` from its committed
 * `package-lock.json`, in this process: each package is a registry tarball with an `integrity`,
 * fetched, checked against that integrity and unpacked (files and folders only) at the path the
 * lockfile gives it. Nothing of the provider's runs, and no npm configuration (the repository's
 * `.npmrc` included) and no environment variable is read. Git, `file:`, `link:` and other non-registry
 * dependencies are refused, each named, with `INSTALL_FAILED`.
 */
export async function installDependencies(
  providerDir: string,
  dest: string,
  options: {
    timeoutMs: number;
    signal?: AbortSignal | undefined;
    npmRegistry: () => Promise<string>;
    debug?: ((message: string, fields?: Readonly<Record<string, unknown>>) => void) | undefined;
  },
): Promise<void> {
  const text = await readFile(join(providerDir, 'package-lock.json'), 'utf8');
  const plan = installPlan(text, { platform: process.platform, arch: process.arch });
  // Present even when every package is an optional one for another platform: it marks the entry complete.
  await mkdir(join(dest, 'node_modules'), { recursive: true });
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const install = async () => {
    const { extract } = await import('tar');
    const queue = [...plan];
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const started = performance.now();
        const bytes = await fetchTarball(item, options.npmRegistry, controller.signal);
        if (!bytes) {
          options.debug?.(`install: skipped optional ${item.name}@${item.version} (not fetched)`);
          continue; // an optional package that could not be fetched, as npm skips it
        }
        await unpack(extract, bytes, join(dest, item.path), item.name);
        options.debug?.(`install: ${item.name}@${item.version}`, { bytes: bytes.byteLength, ms: Math.round(performance.now() - started) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
  };
  try {
    await within(
      options.timeoutMs,
      install().catch((error: unknown) => {
        throw controller.signal.aborted ? controller.signal.reason : error;
      }),
      () =>
        mcError('TIMEOUT', `install: the dependencies were not installed within ${options.timeoutMs} ms; raise the \`installTimeoutMs\` option or check the network`, {
          retryable: true,
        }),
      (error) => controller.abort(error),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Unpacks a package tarball's `package/` folder into `target`: files and folders only (no links, devices or absolute paths). */
async function unpack(extract: typeof import('tar').extract, bytes: Uint8Array, target: string, name: string): Promise<void> {
  await mkdir(target, { recursive: true });
  try {
    await pipeline(
      Readable.from([Buffer.from(bytes)]),
      extract({ cwd: target, strip: 1, strict: true, preservePaths: false, filter: (_path, entry) => 'type' in entry && (entry.type === 'File' || entry.type === 'Directory') }),
    );
  } catch (error) {
    throw mcError('INSTALL_FAILED', `install: the tarball of ${name} could not be unpacked: ${(error as Error).message}`, { cause: error });
  }
}
