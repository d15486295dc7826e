import { rm } from 'node:fs/promises';
import { mcError } from '../util/errors.js';
import { temporaryEntry } from '../cache/publish-entry.js';
import { expandShortSha } from '../git/fetch-commit.js';
import { lsRemote } from '../git/ls-remote.js';
import type { LockEntry } from '../lockfile/lockfile.js';
import type { ProviderSource } from '../source/provider-source.js';
import { gitOptions } from './git-options.js';
import { timedStep, type LoadEnvironment } from './load-environment.js';
import { knownPins, recordPin, type Pin } from './refs-cache.js';

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
