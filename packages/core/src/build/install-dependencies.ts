import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mcError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { readCapped } from '../util/read-capped.js';
import { fetchTarball } from './fetch-tarball.js';
import { installPlan } from './install-plan.js';

/** Largest `package.json` and `package-lock.json` of a provider that are read. */
const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;
const MAX_LOCKFILE_BYTES = 64 * 1024 * 1024;

/** How many packages, and how many unpacked bytes, an install may bring in. */
export interface InstallLimits {
  /** Packages in the plan. */
  maxPackages: number;
  /** Unpacked bytes of one package's tarball. */
  maxPackageBytes: number;
  /** Unpacked bytes of every package together. */
  maxInstallBytes: number;
}

/** What a provider's `package.json` asks for. */
export interface ProviderDependencies {
  /** Its dependencies, without `@mediaconduit/*` (bound to the host). */
  names: string[];
  /** Hash of `package.json` and `package-lock.json`: the key of the installed entry. Absent without dependencies. */
  lockHash?: string;
  /** The lockfile's text, when there are dependencies. */
  lockText?: string;
}

/**
 * The npm dependencies a provider declares, read with a size cap and without following links.
 * Every dependency must be a registry version or range: one named by a URL, a Git repository, a
 * path or a link is refused, each named, with `INSTALL_FAILED` (its lockfile entry would name a
 * tarball somewhere else than the registry).
 */
export async function providerDependencies(providerDir: string, label: string): Promise<ProviderDependencies> {
  const read = (file: string, maxBytes: number) => readCapped(join(providerDir, file), { maxBytes, code: 'INSTALL_FAILED', what: `install ${label}: ${file}` });
  const text = (await read('package.json', MAX_PACKAGE_JSON_BYTES))?.toString('utf8');
  if (text === undefined) return { names: [] };
  let pkg: { dependencies?: Record<string, unknown> };
  try {
    pkg = JSON.parse(text) as typeof pkg;
  } catch (error) {
    throw mcError('INSTALL_FAILED', `install ${label}: package.json of the provider is not valid JSON (${(error as Error).message})`);
  }
  const declared = Object.entries(typeof pkg?.dependencies === 'object' && pkg.dependencies !== null ? pkg.dependencies : {}).filter(
    ([name]) => !name.startsWith('@mediaconduit/'),
  );
  const refused = declared.filter(([, spec]) => !registrySpec(spec)).map(([name, spec]) => `${name}: ${JSON.stringify(spec)}`);
  if (refused.length > 0) {
    throw mcError(
      'INSTALL_FAILED',
      `install ${label}: package.json names dependencies that are not registry versions:\n${refused.map((line) => `  - ${line}`).join('\n')}\nonly versions and ranges from the npm registry are installed (no URLs, Git repositories, paths or links); publish these packages to a registry, or vendor their code into the provider`,
      { details: { refused } },
    );
  }
  const names = declared.map(([name]) => name);
  if (names.length === 0) return { names };
  const lock = await read('package-lock.json', MAX_LOCKFILE_BYTES);
  if (!lock) {
    throw mcError(
      'INSTALL_FAILED',
      `install ${label}: the provider depends on ${names.join(', ')} but has no package-lock.json; run "npm install --package-lock-only" in the provider and commit the lockfile`,
    );
  }
  return { names, lockHash: sha256(Buffer.concat([Buffer.from(text), lock])), lockText: lock.toString('utf8') };
}

/**
 * Whether a `dependencies` value names registry versions: a semver version, range or dist-tag, or
 * an `npm:` alias of one. Anything with a scheme, a slash (`user/repo`, a path) or a file is not.
 */
function registrySpec(spec: unknown): boolean {
  if (typeof spec !== 'string') return false;
  const value = spec.startsWith('npm:') ? spec.slice(spec.lastIndexOf('@') > 4 ? spec.lastIndexOf('@') + 1 : spec.length) : spec;
  return !/[:/\\]|^\.|\.tgz$/i.test(value.trim()) && !/^(file|link|git|github|gitlab|bitbucket|gist|https?|workspace|portal|patch)[:+]/i.test(spec);
}

/**
 * Installs a provider's dependencies into `dest/node_modules` from its committed
 * `package-lock.json`, in this process: each package is a tarball of the configured registry with
 * an `integrity`, fetched, checked against that integrity and unpacked (files and folders only) at
 * the path the lockfile gives it, within the limits. Nothing of the provider's runs, and no npm
 * configuration (the repository's `.npmrc` included) and no environment variable is read. Git,
 * `file:`, `link:` and other non-registry dependencies are refused, each named, with
 * `INSTALL_FAILED`. Stops (every fetch and unpack) when `signal` aborts.
 */
export async function installDependencies(
  lockText: string,
  dest: string,
  options: {
    signal: AbortSignal;
    /** The registry's URL: the only origin tarballs are fetched from. */
    registry: string;
    limits: InstallLimits;
    label: string;
    debug?: ((message: string, fields?: Readonly<Record<string, unknown>>) => void) | undefined;
  },
): Promise<void> {
  const plan = installPlan(lockText, { platform: process.platform, arch: process.arch }, options.registry);
  const { limits, label } = options;
  if (plan.length > limits.maxPackages) {
    throw mcError(
      'LIMIT_EXCEEDED',
      `install ${label}: the lockfile lists ${plan.length} packages to install; the limit is ${limits.maxPackages} (maxPackages); raise the option if you trust this provider`,
      { details: { limit: 'maxPackages', value: limits.maxPackages, actual: plan.length } },
    );
  }
  // Present even when every package is an optional one for another platform: it marks the entry complete.
  await mkdir(join(dest, 'node_modules'), { recursive: true });
  const { extract } = await import('tar');
  const total = { bytes: 0 };
  const queue = [...plan];
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      if (options.signal.aborted) throw options.signal.reason;
      const started = performance.now();
      const bytes = await fetchTarball(item, options.registry, options.signal);
      if (!bytes) {
        options.debug?.(`install: skipped optional ${item.name}@${item.version} (not fetched)`);
        continue; // an optional package that could not be fetched, as npm skips it
      }
      await unpack(extract, bytes, join(dest, item.path), item.name, { limits, total, label, signal: options.signal });
      options.debug?.(`install: ${item.name}@${item.version}`, { bytes: bytes.byteLength, ms: Math.round(performance.now() - started) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
}

/**
 * Unpacks a package tarball's `package/` folder into `target`: files and folders only (no links,
 * devices or absolute paths), counting the unpacked bytes against the limits as they come.
 */
async function unpack(
  extract: typeof import('tar').extract,
  bytes: Uint8Array,
  target: string,
  name: string,
  context: { limits: InstallLimits; total: { bytes: number }; label: string; signal: AbortSignal },
): Promise<void> {
  await mkdir(target, { recursive: true });
  const { limits, total, label } = context;
  let own = 0;
  let overLimit: Error | undefined;
  const unpacking = extract({
    cwd: target,
    strip: 1,
    strict: true,
    preservePaths: false,
    filter: (_path, entry) => {
      if (!('type' in entry) || (entry.type !== 'File' && entry.type !== 'Directory')) return false;
      own += entry.size ?? 0;
      total.bytes += entry.size ?? 0;
      if (own > limits.maxPackageBytes) overLimit ??= limitError(label, name, 'maxPackageBytes', limits.maxPackageBytes, `${name} unpacks to more than`);
      else if (total.bytes > limits.maxInstallBytes) overLimit ??= limitError(label, name, 'maxInstallBytes', limits.maxInstallBytes, 'the dependencies unpack to more than');
      if (overLimit) unpacking.abort(overLimit); // stops before this entry is written
      return !overLimit;
    },
  });
  try {
    await pipeline(Readable.from([Buffer.from(bytes)]), unpacking, { signal: context.signal });
  } catch (error) {
    if (overLimit) throw overLimit;
    if (context.signal.aborted) throw context.signal.reason;
    throw mcError('INSTALL_FAILED', `install ${label}: the tarball of ${name} could not be unpacked: ${(error as Error).message}`, { cause: error });
  }
}

function limitError(label: string, name: string, limit: keyof InstallLimits, value: number, what: string) {
  return mcError('LIMIT_EXCEEDED', `install ${label}: ${what} ${value} bytes (${limit}); raise the option if you trust this provider`, {
    details: { limit, value, package: name },
  });
}
