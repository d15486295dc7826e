import { redactSpecifier } from '../source/parse-specifier.js';
import { mcError } from '../util/errors.js';

/** One package to install: where it goes and what exact tarball it is. */
export interface PlannedPackage {
  /** Install path from the lockfile, e.g. `node_modules/a/node_modules/b`. */
  path: string;
  name: string;
  /** The tarball URL (http(s)); `undefined` when the lockfile left it out (npm's omit-lockfile-registry-resolved): then the registry's. */
  resolved: string | undefined;
  version: string;
  /** Subresource-integrity string from the lockfile, e.g. `sha512-…`. */
  integrity: string;
  optional: boolean;
}

interface LockPackage {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  link?: boolean;
  inBundle?: boolean;
  os?: string[];
  cpu?: string[];
}

const PATH = /^node_modules\/(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(?:\/node_modules\/(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*)*$/i;

/** Whether `list` (npm's os/cpu field, with `!` exclusions) admits `value`. */
function admits(list: readonly string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const positive = list.filter((item) => !item.startsWith('!'));
  return positive.length === 0 || positive.includes(value);
}

/** The public npm registry, whose tarball URLs npm itself rewrites to the configured registry (`replace-registry-host`). */
const NPMJS = 'https://registry.npmjs.org/';

/**
 * Where a lockfile's tarball URL is fetched from: itself when it is on `registry`'s origin; the same
 * path on `registry` when it names the public npm registry and another registry is configured (as
 * npm does); else `undefined`: not a tarball of the registry.
 */
function onRegistry(resolved: string, registry: URL): string | undefined {
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    return undefined;
  }
  if (url.origin === registry.origin) return resolved;
  if (resolved.startsWith(NPMJS)) return `${registry.href.replace(/\/?$/, '/')}${resolved.slice(NPMJS.length)}`;
  return undefined;
}

/**
 * The packages to install from a `package-lock.json` (version 2 or 3): production dependencies
 * only (no dev, no peers, nothing `@mediaconduit/*`, optional ones only for this platform).
 * Every package must be a tarball of `registry` with an `integrity`; everything else (another
 * host, a Git repository, a path, a link) is reported at once, each named, as `INSTALL_FAILED`.
 */
export function installPlan(lockText: string, platform: { platform: string; arch: string }, registry: string): PlannedPackage[] {
  const registryUrl = new URL(registry);
  let lock: { lockfileVersion?: number; packages?: Record<string, LockPackage> };
  try {
    lock = JSON.parse(lockText) as typeof lock;
  } catch (error) {
    throw mcError('INSTALL_FAILED', `install: package-lock.json is not valid JSON (${(error as Error).message}); regenerate it with "npm install --package-lock-only"`);
  }
  if (!lock || typeof lock.packages !== 'object' || lock.packages === null) {
    throw mcError(
      'INSTALL_FAILED',
      `install: package-lock.json has no "packages" (lockfileVersion ${String(lock?.lockfileVersion)}); regenerate it with npm 7 or newer: "npm install --package-lock-only"`,
    );
  }
  const plan: PlannedPackage[] = [];
  const refused: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || !entry || typeof entry !== 'object') continue;
    if (entry.dev || entry.devOptional || entry.peer || entry.inBundle) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (name.startsWith('@mediaconduit/')) continue;
    if (!PATH.test(path) || path.split('/').some((part) => part === '..' || part === '.')) {
      refused.push(`${JSON.stringify(path)}: not a node_modules path`);
      continue;
    }
    if (entry.optional && !(admits(entry.os, platform.platform) && admits(entry.cpu, platform.arch))) continue;
    const version = entry.version ?? '';
    const resolved = entry.resolved === undefined || !/^https?:\/\/[^/]+\/.+\.tgz$/i.test(entry.resolved) ? entry.resolved : onRegistry(entry.resolved, registryUrl);
    if (entry.link) refused.push(`${name}: a link to ${entry.resolved || 'a local folder'}`);
    else if (entry.resolved !== undefined && resolved === undefined)
      refused.push(
        `${name}: "${redactSpecifier(entry.resolved)}" is not a tarball of the registry ${registryUrl.origin} (git, file:, link: and URL dependencies, and other hosts, are not installed)`,
      );
    else if (resolved !== undefined && !/^https?:\/\/[^/]+\/.+\.tgz$/i.test(resolved))
      refused.push(`${name}: "${redactSpecifier(resolved)}" is not a registry tarball (git, file:, link: and URL dependencies are not installed)`);
    else if (!/^\d+\.\d+\.\d+(-[\w.]+)?(\+[\w.]+)?$/.test(version)) refused.push(`${name}: version ${JSON.stringify(entry.version)} is not a published registry version`);
    else if (!entry.integrity) refused.push(`${name}: no integrity hash in the lockfile`);
    else plan.push({ path, name, resolved, version, integrity: entry.integrity, optional: entry.optional === true });
  }
  if (refused.length > 0) {
    throw mcError(
      'INSTALL_FAILED',
      `install: only registry packages with an integrity hash are installed, and the lockfile has:\n${refused.map((line) => `  - ${line}`).join('\n')}\npublish these packages to a registry (or vendor their code into the provider) and regenerate package-lock.json`,
      { details: { refused } },
    );
  }
  return plan;
}
