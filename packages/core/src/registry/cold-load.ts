import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import semver from 'semver';
import { bundleProvider } from '../build/bundle-provider.js';
import { installDependencies, providerDependencies } from '../build/install-dependencies.js';
import { bundleEntry, checkoutEntry, refsFile } from '../cache/cache-dirs.js';
import { withEntryLock } from '../cache/entry-lock.js';
import { publishEntry, temporaryEntry } from '../cache/publish-entry.js';
import { mcError } from '../errors/mediaconduit-error.js';
import { cloneRef, expandShortSha, fetchCommit } from '../git/fetch-commit.js';
import type { GitRunOptions } from '../git/git-runner.js';
import { lsRemote } from '../git/ls-remote.js';
import { resolveRef } from '../git/resolve-ref.js';
import { gitTreeHash } from '../git/tree-hash.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import { readManifest } from '../manifest/read-manifest.js';
import type { ProviderSource } from '../source/provider-source.js';
import { applyUrlRewrites } from '../source/url-rewrites.js';
import { atomicWriteFile } from '../util/atomic-write.js';
import { sha256 } from '../util/hash.js';
import { CORE_VERSION } from '../version.js';
import { bundleKey, readBundleRecord, type BundleRecord } from './bundle-record.js';
import type { LoadEnvironment } from './load-environment.js';

/** A commit to load, and how it was chosen. */
export interface Pin {
  commit: string;
  resolved: string | null;
  resolvedKind: LockEntry['resolvedKind'];
}

/** A built provider ready to import. */
export interface Located {
  record: BundleRecord;
  bundlePath: string;
}

function gitOptions(env: LoadEnvironment, source: ProviderSource): GitRunOptions & { remoteUrl: string } {
  const remoteUrl = applyUrlRewrites(source.cloneUrl, env.options.rewrites);
  return { timeoutMs: env.options.gitTimeoutMs, signal: env.signal, remoteUrl, token: source.host ? env.options.tokens[source.host] : undefined };
}

async function timed<T>(env: LoadEnvironment, specifier: string, phase: 'resolve' | 'fetch' | 'install' | 'build', detail: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  env.emit({ specifier, phase, status: 'start', detail });
  const result = await work();
  env.emit({ specifier, phase, status: 'done', detail, durationMs: performance.now() - started });
  return result;
}

/** The last resolutions of a repository's refs, by ref (`''` for the default branch). */
async function knownPins(env: LoadEnvironment, url: string): Promise<Record<string, Pin>> {
  return JSON.parse(await readFile(refsFile(env.dirs, url), 'utf8').catch(() => '{}')) as Record<string, Pin>;
}

/** Writes a checkout's record beside its files (its presence marks the entry complete). */
function writeCheckoutRecord(temporary: string, source: ProviderSource, commit: string): Promise<void> {
  return writeFile(join(temporary, 'record.json'), JSON.stringify({ url: source.url, commit, fetchedAt: new Date().toISOString() }));
}

/** Resolves a specifier's ref to a commit: over the network, or from the refs cache when offline. */
export async function resolvePin(env: LoadEnvironment, source: ProviderSource): Promise<Pin> {
  const refKey = source.ref ?? '';
  if (env.options.offline) {
    const pin = (await knownPins(env, source.url))[refKey];
    if (!pin) throw mcError('NOT_CACHED', `resolve ${source.specifier}: offline, and this ref was never resolved on this machine; load it once online or pin it in the lockfile`);
    env.emit({ specifier: source.specifier, phase: 'resolve', status: 'cached', detail: pin.commit });
    return pin;
  }
  if (source.ref !== undefined && /^[0-9a-f]{40}$/.test(source.ref)) {
    // A full commit SHA is already resolved: no network round trip. The fetch proves it exists.
    env.emit({ specifier: source.specifier, phase: 'resolve', status: 'cached', detail: source.ref });
    return { commit: source.ref, resolved: null, resolvedKind: 'commit' };
  }
  const git = gitOptions(env, source);
  const pin = await timed(env, source.specifier, 'resolve', source.ref ?? '(default branch)', async () => {
    const refs = await lsRemote(git.remoteUrl, git);
    const resolved = resolveRef(source.specifier, source.ref, refs);
    let commit = resolved.commit;
    if (resolved.needsExpansion) {
      const scratch = await temporaryEntry(env.dirs, 'expand');
      try {
        const full = await expandShortSha(git.remoteUrl, resolved.commit, scratch, git);
        if (!full) throw mcError('REF_NOT_FOUND', `resolve ${source.specifier}: no tag, branch or commit matches "${source.ref}"`);
        commit = full;
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    }
    const kind: Pin['resolvedKind'] = resolved.kind === 'tag' || resolved.kind === 'range' ? 'tag' : resolved.kind === 'commit' ? 'commit' : 'branch';
    return { commit, resolved: resolved.name ?? null, resolvedKind: kind };
  });
  // Re-read before writing: another process may have recorded other refs meanwhile.
  await atomicWriteFile(refsFile(env.dirs, source.url), JSON.stringify({ ...(await knownPins(env, source.url)), [refKey]: pin }));
  return pin;
}

/** Fails with `INTEGRITY_MISMATCH` when a pinned tag now points at another commit. */
export async function checkTagNotMoved(env: LoadEnvironment, source: ProviderSource, entry: LockEntry): Promise<void> {
  if (entry.resolvedKind !== 'tag' || !entry.resolved || env.options.offline) return;
  const git = gitOptions(env, source);
  const refs = await lsRemote(git.remoteUrl, git);
  const now = refs.tags.get(entry.resolved);
  if (now && now !== entry.commit) throw movedTagError(`load ${source.specifier}`, entry.resolved, entry.commit, now);
}

/** `INTEGRITY_MISMATCH` for a tag that now points at another commit than the lockfile pins. */
export function movedTagError(operation: string, tag: string, pinned: string, now: string) {
  return mcError('INTEGRITY_MISMATCH', `${operation}: tag ${tag} moved: the lockfile pins commit ${pinned} but the remote now has ${now}; if the move is intended, update with { acceptMovedTags: true } (mediaconduit update --accept-moved-tags)`, {
    details: { expected: pinned, actual: now, tag },
  });
}

/** Moves `.git` out of a checkout (one rename) and deletes it in the background. */
async function discardGitDir(env: LoadEnvironment, gitDir: string): Promise<void> {
  const trash = await temporaryEntry(env.dirs, 'trash');
  await rename(gitDir, join(trash, '.git'));
  void rm(trash, { recursive: true, force: true }).catch(() => {});
}

const checkoutExists = (env: LoadEnvironment, source: ProviderSource, commit: string) =>
  stat(join(checkoutEntry(env.dirs, source.url, commit), 'record.json')).then(() => true, () => false);

/** Refs worth cloning by name while `ls-remote` runs: the default branch, or a tag/branch-like name. */
function clonableName(ref: string | undefined): boolean {
  return ref === undefined || (/^[A-Za-z0-9._/-]+$/.test(ref) && !/^[0-9a-f]{4,64}$/.test(ref) && !/^[\d.x*]+$/.test(ref));
}

/**
 * Resolves a specifier with `ls-remote` and makes sure its commit is checked out. On a cold cache
 * with a tag or branch name, the shallow clone of that name starts at the same time as `ls-remote`
 * and is kept only if it holds exactly the resolved commit, so a cold load costs about one round
 * of git instead of two. A per-(repository, ref) lock keeps concurrent processes to one clone.
 */
export async function resolveAndFetch(env: LoadEnvironment, source: ProviderSource): Promise<{ pin: Pin; checkout: string }> {
  const plain = async () => {
    const pin = await resolvePin(env, source);
    return { pin, checkout: await ensureCheckout(env, source, pin) };
  };
  if (env.options.offline || !clonableName(source.ref)) return plain();
  return withEntryLock(env.dirs, `resolve:${source.url}@${source.ref ?? ''}`, async () => {
    const known = (await knownPins(env, source.url))[source.ref ?? ''];
    if (known && (await checkoutExists(env, source, known.commit))) return plain();
    const git = gitOptions(env, source);
    const temporary = await temporaryEntry(env.dirs, 'checkout');
    const started = performance.now();
    const clone = cloneRef(git.remoteUrl, source.ref, join(temporary, 'tree'), git).then((commit) => commit, () => undefined);
    try {
      const pin = await resolvePin(env, source);
      const cloned = await clone;
      if (cloned !== pin.commit || (await checkoutExists(env, source, pin.commit))) {
        return { pin, checkout: await ensureCheckout(env, source, pin) };
      }
      env.emit({ specifier: source.specifier, phase: 'fetch', status: 'start', detail: pin.commit });
      await discardGitDir(env, join(temporary, 'tree', '.git'));
      await writeCheckoutRecord(temporary, source, pin.commit);
      const checkout = checkoutEntry(env.dirs, source.url, pin.commit);
      await publishEntry(temporary, checkout);
      env.emit({ specifier: source.specifier, phase: 'fetch', status: 'done', detail: pin.commit, durationMs: performance.now() - started });
      return { pin, checkout };
    } finally {
      await clone;
      await rm(temporary, { recursive: true, force: true });
    }
  }, env.options.lockWaitMs);
}

/** The checkout of `commit`, fetched into the cache when missing. Returns the entry folder. */
async function ensureCheckout(env: LoadEnvironment, source: ProviderSource, pin: Pin): Promise<string> {
  const entry = checkoutEntry(env.dirs, source.url, pin.commit);
  const exists = () => stat(join(entry, 'record.json')).then(() => true, () => false);
  if (await exists()) {
    env.emit({ specifier: source.specifier, phase: 'fetch', status: 'cached', detail: pin.commit });
    return entry;
  }
  if (env.options.offline) throw mcError('NOT_CACHED', `fetch ${source.specifier}: offline, and commit ${pin.commit} is not in the cache ${env.dirs.root}; run once online to fetch it`);
  return withEntryLock(env.dirs, `checkout:${source.url}:${pin.commit}`, async () => {
    if (await exists()) {
      env.emit({ specifier: source.specifier, phase: 'fetch', status: 'cached', detail: pin.commit });
      return entry;
    }
    const git = gitOptions(env, source);
    const temporary = await temporaryEntry(env.dirs, 'checkout');
    try {
      await timed(env, source.specifier, 'fetch', pin.commit, async () => {
        await fetchCommit(git.remoteUrl, pin.commit, join(temporary, 'tree'), { ...git, ...(pin.resolved ? { refName: pin.resolved } : {}) });
        await writeCheckoutRecord(temporary, source, pin.commit);
      });
      await publishEntry(temporary, entry);
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
    return entry;
  }, env.options.lockWaitMs);
}

/** Installs the provider's npm dependencies into a cache entry keyed by its lockfile; `undefined` when it has none. */
async function ensureDependencies(env: LoadEnvironment, source: ProviderSource, providerDir: string): Promise<string | undefined> {
  const deps = await providerDependencies(providerDir);
  if (!deps.lockHash) return undefined;
  const entry = join(env.dirs.deps, deps.lockHash.slice(0, 32));
  const exists = () => stat(join(entry, 'node_modules')).then(() => true, () => false);
  if (await exists()) {
    env.emit({ specifier: source.specifier, phase: 'install', status: 'cached', detail: deps.names.join(', ') });
    return entry;
  }
  if (env.options.offline) throw mcError('NOT_CACHED', `install ${source.specifier}: offline, and its dependencies (${deps.names.join(', ')}) are not in the cache; run once online`);
  return withEntryLock(env.dirs, `deps:${deps.lockHash}`, async () => {
    if (await exists()) return entry;
    const temporary = await temporaryEntry(env.dirs, 'deps');
    try {
      await timed(env, source.specifier, 'install', deps.names.join(', '), () =>
        installDependencies(providerDir, temporary, { timeoutMs: env.options.installTimeoutMs, signal: env.signal }));
      await publishEntry(temporary, entry);
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
    return entry;
  }, env.options.lockWaitMs);
}

/**
 * Loads a provider the slow way: resolve (unless pinned), fetch, verify, read the manifest,
 * install, build, and record the result in the lockfile.
 */
export async function coldLoad(env: LoadEnvironment, source: ProviderSource, locked: LockEntry | undefined, options: { writeLock?: boolean; pin?: Pin } = {}): Promise<Located & { entry: LockEntry; persisted: Promise<void> }> {
  const label = source.specifier;
  if (!locked && !options.pin) await env.lock.assertMayAdd(source.key);
  let pin: Pin;
  let checkout: string;
  if (options.pin || locked) {
    pin = (options.pin ?? locked)!;
    if (locked && !(await checkoutExists(env, source, pin.commit))) await checkTagNotMoved(env, source, locked);
    checkout = await ensureCheckout(env, source, pin);
  } else {
    ({ pin, checkout } = await resolveAndFetch(env, source));
  }
  const checkoutDir = join(checkout, 'tree');
  const providerDir = source.subdir ? join(checkoutDir, source.subdir) : checkoutDir;
  if (!(await stat(providerDir).then((s) => s.isDirectory(), () => false))) {
    throw mcError('INVALID_MANIFEST', `load ${label}: folder "${source.subdir}" does not exist at commit ${pin.commit.slice(0, 12)}; check the subfolder in the specifier`);
  }
  // Hash the files while the bundle is built; the integrity check still runs before anything is imported.
  const treePromise = gitTreeHash(providerDir);
  treePromise.catch(() => {});
  const key = bundleKey(source.url, pin.commit, source.subdir, env.coreExports);
  const located = await ensureBundle(env, source, { pin, key, checkoutDir, providerDir, tree: treePromise });
  const tree = await treePromise;
  if (locked && locked.commit === pin.commit && tree !== locked.tree) {
    throw mcError('INTEGRITY_MISMATCH', `load ${label}: the cached checkout of ${pin.commit.slice(0, 12)} was modified: the lockfile expects tree ${locked.tree} but the files hash to ${tree}; delete ${checkout} to fetch it again`, {
      details: { expected: locked.tree, actual: tree, path: checkout },
    });
  }
  if (located.record.tree !== tree) {
    throw mcError('INTEGRITY_MISMATCH', `load ${label}: the cached bundle was built from tree ${located.record.tree} but the checkout hashes to ${tree}; delete ${checkout} and ${dirname(located.bundlePath)} to rebuild`, {
      details: { expected: located.record.tree, actual: tree },
    });
  }
  const entry: LockEntry = {
    url: source.url, subdir: source.subdir, ref: source.ref ?? null, resolved: pin.resolved, resolvedKind: pin.resolvedKind,
    commit: pin.commit, tree, bundle: { key, sha256: located.record.sha256 }, provider: { id: located.record.manifest.id, version: located.record.manifest.version },
  };
  // The lockfile is written while the caller imports the bundle; the caller awaits `persisted`.
  const persisted = options.writeLock === false ? Promise.resolve() : env.lock.set(source.key, entry, env.dirs, { derivedOnly: locked?.commit === entry.commit });
  persisted.catch(() => {});
  return { ...located, entry, persisted };
}

async function ensureBundle(env: LoadEnvironment, source: ProviderSource, at: { pin: Pin; key: string; checkoutDir: string; providerDir: string; tree: Promise<string> }): Promise<Located> {
  const label = source.specifier;
  const entryDir = bundleEntry(env.dirs, at.key);
  const cached = await readBundleRecord(entryDir);
  if (cached) {
    env.emit({ specifier: label, phase: 'build', status: 'cached', detail: cached.bundleFile });
    return { record: cached, bundlePath: join(entryDir, cached.bundleFile) };
  }
  // Read the manifest while the lock is being taken; its errors surface inside the lock.
  const manifestRead = readManifest(at.providerDir, label);
  manifestRead.catch(() => {});
  return withEntryLock(env.dirs, `bundle:${at.key}`, async () => {
    const again = await readBundleRecord(entryDir);
    if (again) {
      env.emit({ specifier: label, phase: 'build', status: 'cached', detail: again.bundleFile });
      return { record: again, bundlePath: join(entryDir, again.bundleFile) };
    }
    const manifest = await manifestRead;
    if (!semver.satisfies(CORE_VERSION, manifest.core, { includePrerelease: true })) {
      throw mcError('INCOMPATIBLE_PROVIDER', `load ${label}: provider ${manifest.id}@${manifest.version} needs @mediaconduit/core ${manifest.core}, but this is ${CORE_VERSION}; pin an older provider version or upgrade core`, {
        details: { required: manifest.core, actual: CORE_VERSION },
      });
    }
    const dependenciesDir = await ensureDependencies(env, source, at.providerDir);
    const temporary = await temporaryEntry(env.dirs, 'bundle');
    try {
      const record = await timed(env, label, 'build', manifest.entry, async () => {
        const { code, inputs } = await bundleProvider({ checkoutDir: at.checkoutDir, providerDir: at.providerDir, entry: manifest.entry, dependenciesDir, coreExports: env.coreExports, label });
        const hash = sha256(code);
        const bundleFile = `provider-${hash.slice(0, 16)}.mjs`;
        const built: BundleRecord = {
          format: 1, key: at.key, url: source.url, commit: at.pin.commit, subdir: source.subdir, tree: await at.tree, bundleFile, sha256: hash,
          manifest, inputs, core: CORE_VERSION, builtAt: new Date().toISOString(),
        };
        await writeFile(join(temporary, bundleFile), code);
        await writeFile(join(temporary, 'record.json'), JSON.stringify(built, null, 2));
        return built;
      });
      const final = (await publishEntry(temporary, entryDir)) ? record : ((await readBundleRecord(entryDir)) ?? record);
      return { record: final, bundlePath: join(entryDir, final.bundleFile) };
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
  }, env.options.lockWaitMs);
}

