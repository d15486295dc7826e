import { rm } from 'node:fs/promises';
import { mcError } from '../util/errors.js';
import { temporaryEntry } from '../cache/publish-entry.js';
import { knownPins, recordPin, type Pin } from '../cache/refs-cache.js';
import { expandShortSha } from '../git/fetch-commit.js';
import type { GitRunOptions } from '../git/git-runner.js';
import { lsRemote } from '../git/ls-remote.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import type { ProviderSource } from '../source/provider-source.js';
import { applyUrlRewrites } from '../source/url-rewrites.js';
import { timedStep, type LoadEnvironment } from './load-environment.js';

/**
 * What a load fetches: a commit already known (from the lockfile, an `update`, or a full SHA),
 * or `'by-clone'` when a clone of the ref's name can resolve it in the same round of git as the
 * fetch (the default branch, or a tag or branch name), which the fetch step does.
 */
export type Resolution = Pin | 'by-clone';

/**
 * The resolve step: the lockfile first (a pinned tag must not have moved, checked only when its
 * checkout has to be fetched: a cached checkout is verified by its tree hash instead); else a full
 * SHA as it is; else, online and for a name, the clone; else `git ls-remote` and semver over tags.
 */
export async function resolve(env: LoadEnvironment, source: ProviderSource, locked: LockEntry | undefined, cached: (commit: string) => Promise<boolean>): Promise<Resolution> {
  if (locked) {
    if (!(await cached(locked.commit))) await checkTagNotMoved(env, source, locked);
    return locked;
  }
  if (!env.settings.offline && clonableName(source.ref)) return 'by-clone';
  return resolvePin(env, source);
}

/** Refs worth cloning by name while they are resolved: the default branch, or a tag/branch-like name. */
function clonableName(ref: string | undefined): boolean {
  return ref === undefined || (/^[A-Za-z0-9._/-]+$/.test(ref) && !/^[0-9a-f]{4,64}$/.test(ref) && !/^[\d.x*]+$/.test(ref));
}

/**
 * How git reaches a source: the rewritten URL, the time limit, and a token only when one was
 * given for the host that URL names. A rewrite that points `github.com` at a mirror sends the
 * mirror's token (if any), never github.com's: a token goes only where it was given.
 */
export function gitOptions(env: LoadEnvironment, source: ProviderSource): GitRunOptions & { remoteUrl: string } {
  const remoteUrl = applyUrlRewrites(source.cloneUrl, env.settings.rewrites);
  return {
    timeoutMs: env.settings.gitTimeoutMs,
    signal: env.signal,
    remoteUrl,
    token: tokenFor(remoteUrl, env.settings.tokens),
    debug: env.debug,
    onStarted: env.onGitStarted,
  };
}

/** The token configured for the host (with its port, or without) that `url` is sent to; none for other schemes. */
export function tokenFor(url: string, tokens: Readonly<Record<string, string>>): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined; // scp-style ssh or a local path: git's own credentials, never a header
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  return tokens[parsed.host.toLowerCase()] ?? tokens[parsed.hostname.toLowerCase()];
}

/**
 * Resolves a specifier's ref to a commit: over the network, or from the refs cache when offline.
 * `announcedAt`: the caller already emitted the resolve step's start then (its `done` is emitted here).
 */
export async function resolvePin(env: LoadEnvironment, source: ProviderSource, announcedAt?: number): Promise<Pin> {
  if (env.settings.offline) {
    const pin = (await knownPins(env.dirs, source.url))[source.ref ?? ''];
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
  const pin = await timedStep(
    env,
    source.specifier,
    'resolve',
    source.ref ?? '(default branch)',
    async (): Promise<Pin> => {
      // semver (for tag ranges) loads while git asks the remote.
      const resolving = import('../git/resolve-ref.js');
      resolving.catch(() => {});
      const refs = await lsRemote(git.remoteUrl, git);
      const resolved = (await resolving).resolveRef(source.specifier, source.ref, refs);
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
    },
    announcedAt,
  );
  await recordPin(env.dirs, source.url, source.ref, pin);
  return pin;
}

/** Fails with `INTEGRITY_MISMATCH` when a pinned tag now points at another commit. */
export async function checkTagNotMoved(env: LoadEnvironment, source: ProviderSource, entry: LockEntry): Promise<void> {
  if (entry.resolvedKind !== 'tag' || !entry.resolved || env.settings.offline) return;
  const git = gitOptions(env, source);
  const refs = await lsRemote(git.remoteUrl, git);
  const now = refs.tags.get(entry.resolved);
  if (now && now !== entry.commit) throw movedTagError(`load ${source.specifier}`, entry.resolved, entry.commit, now);
}

/** `INTEGRITY_MISMATCH` for a tag that now points at another commit than the lockfile pins. */
export function movedTagError(operation: string, tag: string, pinned: string, now: string) {
  return mcError(
    'INTEGRITY_MISMATCH',
    `${operation}: tag ${tag} moved: the lockfile pins commit ${pinned} but the remote now has ${now}; if the move is intended, update with { acceptMovedTags: true } (mediaconduit update --accept-moved-tags)`,
    {
      details: { expected: pinned, actual: now, tag },
    },
  );
}
