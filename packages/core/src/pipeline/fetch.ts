import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { checkoutEntry } from '../cache/cache-dirs.js';
import { type CheckoutRecord, readCheckoutRecord } from '../cache/checkout-record.js';
import { withEntryLock } from '../cache/entry-lock.js';
import { ensureEntry } from '../cache/ensure-entry.js';
import { temporaryEntry } from '../cache/publish-entry.js';
import { knownPins, recordPin, type Pin } from '../cache/refs-cache.js';
import { discardChildrenRecord, recordChildren } from '../cache/sweep-leftovers.js';
import { cloneRef, fetchCommit } from '../git/fetch-commit.js';
import { gitTreeHash } from '../git/tree-hash.js';
import type { ProviderSource } from '../source/provider-source.js';
import { timedStep, type LoadEnvironment } from './load-environment.js';
import { gitOptions, resolvePin, type Resolution } from './resolve.js';

/** A checkout in the cache: its entry folder, the commit it holds and how it was chosen, and whether this load fetched it. */
export interface Checkout {
  path: string;
  pin: Pin;
  /** This load fetched it (and checked it while doing so); else it is reused and must be verified. */
  fetched: boolean;
}

/**
 * The fetch step: the checkout of the resolved commit, from the cache or fetched into it. With
 * `'by-clone'`, one shallow clone of the ref's name resolves and fetches it (see {@link fetchByClone}).
 * A fresh checkout is checked as it is recorded: its size limits, no link leading out of it and no
 * special file (`UNSAFE_CHECKOUT`, naming each), then its tree hash.
 */
export async function fetchCheckout(env: LoadEnvironment, source: ProviderSource, resolution: Resolution): Promise<Checkout> {
  return resolution === 'by-clone' ? fetchByClone(env, source) : fetchPinned(env, source, resolution);
}

/** Whether the checkout of `commit` is in the cache. */
export async function hasCheckout(env: LoadEnvironment, source: ProviderSource, commit: string): Promise<boolean> {
  return (await existingCheckout(checkoutEntry(env.dirs, source.url, commit))) !== undefined;
}

/** The checkout of `pin.commit`, fetched into the cache when missing. */
async function fetchPinned(env: LoadEnvironment, source: ProviderSource, pin: Pin, cloned?: string): Promise<Checkout> {
  const entry = checkoutEntry(env.dirs, source.url, pin.commit);
  let fetched = false;
  const path = await ensureEntry(env.dirs, {
    lock: `checkout:${source.url}:${pin.commit}`,
    final: entry,
    kind: 'checkout',
    waitMs: env.settings.lockWaitMs,
    signal: env.signal,
    read: () => existingCheckout(entry),
    offline: env.settings.offline ? `fetch ${source.specifier}: offline, and commit ${pin.commit} is not in the cache ${env.dirs.root}; run once online to fetch it` : undefined,
    onCached: () => env.emit({ specifier: source.specifier, phase: 'fetch', status: 'cached', detail: pin.commit }),
    create: (temporary) =>
      timedStep(env, source.specifier, 'fetch', pin.commit, async () => {
        const tree = join(temporary, 'tree');
        if (cloned) {
          // The clone that resolved the ref holds this commit: moved in, not fetched again.
          await rename(cloned, tree);
          await discardGitDir(env, join(tree, '.git'));
        } else {
          const git = gitOptions(env, source);
          await fetchCommit(git.remoteUrl, pin.commit, tree, { ...git, onSpawned: recordChildren(temporary), ...(pin.resolved ? { refName: pin.resolved } : {}) });
          await discardChildrenRecord(temporary);
        }
        await writeCheckoutRecord(env, temporary, source, pin.commit);
        fetched = true;
      }),
  });
  return { path, pin, fetched };
}

/**
 * Resolves a specifier by cloning its ref's name, and keeps that clone as the checkout: one round
 * of git on a cold cache.
 * - the default branch, and names that look like version tags (`v1`, `v1.2.0`), are cloned
 *   alone, and `ls-remote` runs only when the clone does not settle the ref (see `pinFromClone`),
 *   or fails for a reason other than a time limit or an abort (it then names what exists);
 * - other names start `ls-remote` at the same time, since they are often branches, and the clone
 *   is kept only if it holds exactly the resolved commit.
 *
 * A per-(repository, ref) lock keeps concurrent processes to one clone.
 */
async function fetchByClone(env: LoadEnvironment, source: ProviderSource): Promise<Checkout> {
  const plain = async () => fetchPinned(env, source, await resolvePin(env, source));
  return withEntryLock(
    env.dirs,
    `resolve:${source.url}@${source.ref ?? ''}`,
    async () => {
      const known = (await knownPins(env.dirs, source.url))[source.ref ?? ''];
      if (known && (await hasCheckout(env, source, known.commit))) return plain();
      const git = gitOptions(env, source);
      const temporary = await temporaryEntry(env.dirs, 'clone');
      const started = performance.now();
      const alone = source.ref === undefined || /^v\d/.test(source.ref);
      let listing: Promise<Pin> | undefined;
      if (alone) env.emit({ specifier: source.specifier, phase: 'resolve', status: 'start', detail: source.ref ?? '(default branch)' });
      else {
        listing = resolvePin(env, source);
        listing.catch(() => {});
      }
      const clone = cloneRef(git.remoteUrl, source.ref, join(temporary, 'tree'), { ...git, onSpawned: recordChildren(temporary) }).then(
        (head) => ({ head }),
        (error: unknown) => ({ error }),
      );
      try {
        const cloned = await clone;
        let pin = alone ? pinFromClone(source.ref, 'head' in cloned ? cloned.head : undefined) : undefined;
        if (pin) {
          env.emit({ specifier: source.specifier, phase: 'resolve', status: 'done', detail: source.ref ?? '(default branch)', durationMs: performance.now() - started });
          await recordPin(env.dirs, source.url, source.ref, pin);
        } else {
          if ('error' in cloned && alone && MediaConduitError.isInstance(cloned.error) && (cloned.error.code === 'TIMEOUT' || cloned.error.code === 'ABORTED')) throw cloned.error;
          pin = await (listing ?? resolvePin(env, source, started));
        }
        const holdsIt = 'head' in cloned && cloned.head.commit === pin.commit;
        return await fetchPinned(env, source, pin, holdsIt ? join(temporary, 'tree') : undefined);
      } finally {
        await clone;
        await rm(temporary, { recursive: true, force: true });
      }
    },
    env.settings.lockWaitMs,
    env.signal,
  );
}

/**
 * What a clone by name alone proves, without `ls-remote`. Without a ref, the clone checked out the
 * remote's HEAD, which is what the default branch resolves to. With a name, `git clone --branch`
 * looks for a branch of that name first and a tag second: a detached HEAD means a tag and no
 * branch of that name, which is what resolution picks too. A branch proves nothing, since
 * resolution prefers a tag of the same name, so `ls-remote` decides then.
 */
function pinFromClone(ref: string | undefined, cloned: { commit: string; branch?: string } | undefined): Pin | undefined {
  if (!cloned?.commit) return undefined;
  if (ref === undefined) return { commit: cloned.commit, resolved: cloned.branch ?? null, resolvedKind: 'branch' };
  if (cloned.branch === undefined) return { commit: cloned.commit, resolved: ref, resolvedKind: 'tag' };
  return undefined;
}

/**
 * Checks a fresh checkout while hashing it, in one walk: the size limits, then every link leads
 * to a file inside it and nothing is a device, FIFO or socket. Then writes its record with the tree
 * hash of the files as fetched.
 */
async function writeCheckoutRecord(env: LoadEnvironment, temporary: string, source: ProviderSource, commit: string): Promise<void> {
  const tree = await gitTreeHash(join(temporary, 'tree'), {
    limits: { maxBytes: env.settings.maxCheckoutBytes, maxFiles: env.settings.maxCheckoutFiles },
    label: `fetch ${source.specifier}`,
  });
  const record: CheckoutRecord = { format: 2, url: source.url, commit, tree, fetchedAt: new Date().toISOString() };
  await writeFile(join(temporary, 'record.json'), JSON.stringify(record));
}

/** The checkout entry's folder when it is complete (an entry without a record, or of an older cache without a tree hash, is not: `ensureEntry` replaces it). */
async function existingCheckout(entry: string): Promise<string | undefined> {
  return (await readCheckoutRecord(entry)) ? entry : undefined;
}

/** Moves `.git` out of a checkout (one rename) and deletes it in the background. */
async function discardGitDir(env: LoadEnvironment, gitDir: string): Promise<void> {
  const trash = await temporaryEntry(env.dirs, 'trash');
  await rename(gitDir, join(trash, '.git'));
  void rm(trash, { recursive: true, force: true }).catch(() => {});
}
