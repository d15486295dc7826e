import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { checkoutEntry } from '../cache/cache-dirs.js';
import { type CheckoutRecord, readCheckoutRecord } from '../cache/checkout-record.js';
import { withEntryLock } from '../cache/entry-lock.js';
import { ensureEntry } from '../cache/ensure-entry.js';
import { publishEntry, temporaryEntry } from '../cache/publish-entry.js';
import { cloneRef, fetchCommit } from '../git/fetch-commit.js';
import { gitTreeHash } from '../git/tree-hash.js';
import { checkCheckoutSize } from '../cache/check-checkout-size.js';
import type { ProviderSource } from '../source/provider-source.js';
import { gitOptions } from './git-options.js';
import { timedStep, type LoadEnvironment } from './load-environment.js';
import { knownPins, recordPin, type Pin } from './refs-cache.js';
import { resolvePin } from './resolve-pin.js';

/** A checkout: its entry folder, and whether this load fetched it (else it is reused and must be verified). */
export interface Checkout {
  path: string;
  fetched: boolean;
}

/** Checks a fresh checkout against the size limits, then writes its record with the tree hash of the files as fetched. */
async function writeCheckoutRecord(env: LoadEnvironment, temporary: string, source: ProviderSource, commit: string): Promise<void> {
  await checkCheckoutSize(join(temporary, 'tree'), { maxBytes: env.settings.maxCheckoutBytes, maxFiles: env.settings.maxCheckoutFiles }, source.specifier);
  const record: CheckoutRecord = { format: 2, url: source.url, commit, tree: await gitTreeHash(join(temporary, 'tree')), fetchedAt: new Date().toISOString() };
  await writeFile(join(temporary, 'record.json'), JSON.stringify(record));
}

/**
 * The checkout entry's folder when it is complete. An entry of an older cache (its record has no
 * tree hash, so it cannot be verified) is moved away and fetched again.
 */
async function existingCheckout(env: LoadEnvironment, entry: string): Promise<string | undefined> {
  if (await readCheckoutRecord(entry)) return entry;
  if (
    !(await stat(join(entry, 'record.json')).then(
      () => true,
      () => false,
    ))
  )
    return undefined;
  const trash = await temporaryEntry(env.dirs, 'trash');
  await rename(entry, join(trash, 'old')).catch(() => {});
  await rm(trash, { recursive: true, force: true });
  return undefined;
}

/** Moves `.git` out of a checkout (one rename) and deletes it in the background. */
async function discardGitDir(env: LoadEnvironment, gitDir: string): Promise<void> {
  const trash = await temporaryEntry(env.dirs, 'trash');
  await rename(gitDir, join(trash, '.git'));
  void rm(trash, { recursive: true, force: true }).catch(() => {});
}

/** The checkout of `pin.commit`, fetched into the cache when missing. */
export async function ensureCheckout(env: LoadEnvironment, source: ProviderSource, pin: Pin): Promise<Checkout> {
  const entry = checkoutEntry(env.dirs, source.url, pin.commit);
  let fetched = false;
  const path = await ensureEntry(env.dirs, {
    lock: `checkout:${source.url}:${pin.commit}`,
    final: entry,
    kind: 'checkout',
    waitMs: env.settings.lockWaitMs,
    read: () => existingCheckout(env, entry),
    offline: env.settings.offline ? `fetch ${source.specifier}: offline, and commit ${pin.commit} is not in the cache ${env.dirs.root}; run once online to fetch it` : undefined,
    onCached: () => env.emit({ specifier: source.specifier, phase: 'fetch', status: 'cached', detail: pin.commit }),
    create: (temporary) =>
      timedStep(env, source.specifier, 'fetch', pin.commit, async () => {
        const git = gitOptions(env, source);
        await fetchCommit(git.remoteUrl, pin.commit, join(temporary, 'tree'), { ...git, ...(pin.resolved ? { refName: pin.resolved } : {}) });
        await writeCheckoutRecord(env, temporary, source, pin.commit);
        fetched = true;
      }),
  });
  return { path, fetched };
}

/** Refs worth cloning by name while they are resolved: the default branch, or a tag/branch-like name. */
function clonableName(ref: string | undefined): boolean {
  return ref === undefined || (/^[A-Za-z0-9._/-]+$/.test(ref) && !/^[0-9a-f]{4,64}$/.test(ref) && !/^[\d.x*]+$/.test(ref));
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
 * Resolves a specifier and makes sure its commit is checked out. On a cold cache with a tag or
 * branch name, or none, a shallow clone of that name does both in one round of git:
 * - the default branch, and names that look like version tags (`v1`, `v1.2.0`), are cloned
 *   alone, and `ls-remote` runs only when the clone does not settle the ref (see `pinFromClone`),
 *   or fails for a reason other than a time limit or an abort (it then names what exists);
 * - other names start `ls-remote` at the same time, since they are often branches, and the clone
 *   is kept only if it holds exactly the resolved commit.
 *
 * A per-(repository, ref) lock keeps concurrent processes to one clone.
 */
export async function resolveAndFetch(env: LoadEnvironment, source: ProviderSource): Promise<{ pin: Pin; checkout: Checkout }> {
  const plain = async () => {
    const pin = await resolvePin(env, source);
    return { pin, checkout: await ensureCheckout(env, source, pin) };
  };
  if (env.settings.offline || !clonableName(source.ref)) return plain();
  return withEntryLock(
    env.dirs,
    `resolve:${source.url}@${source.ref ?? ''}`,
    async () => {
      const known = (await knownPins(env.dirs, source.url))[source.ref ?? ''];
      if (known && (await existingCheckout(env, checkoutEntry(env.dirs, source.url, known.commit)))) return plain();
      const git = gitOptions(env, source);
      const temporary = await temporaryEntry(env.dirs, 'checkout');
      const started = performance.now();
      const alone = source.ref === undefined || /^v\d/.test(source.ref);
      let listing: Promise<Pin> | undefined;
      if (alone) env.emit({ specifier: source.specifier, phase: 'resolve', status: 'start', detail: source.ref ?? '(default branch)' });
      else {
        listing = resolvePin(env, source);
        listing.catch(() => {});
      }
      const clone = cloneRef(git.remoteUrl, source.ref, join(temporary, 'tree'), git).then(
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
        const checkout = checkoutEntry(env.dirs, source.url, pin.commit);
        if (!('head' in cloned) || cloned.head.commit !== pin.commit || (await existingCheckout(env, checkout))) return { pin, checkout: await ensureCheckout(env, source, pin) };
        env.emit({ specifier: source.specifier, phase: 'fetch', status: 'start', detail: pin.commit });
        await discardGitDir(env, join(temporary, 'tree', '.git'));
        await writeCheckoutRecord(env, temporary, source, pin.commit);
        await publishEntry(temporary, checkout);
        env.emit({ specifier: source.specifier, phase: 'fetch', status: 'done', detail: pin.commit, durationMs: performance.now() - started });
        return { pin, checkout: { path: checkout, fetched: true } };
      } finally {
        await clone;
        await rm(temporary, { recursive: true, force: true });
      }
    },
    env.settings.lockWaitMs,
  );
}

/** Whether the checkout of `commit` is in the cache. */
export async function hasCheckout(env: LoadEnvironment, source: ProviderSource, commit: string): Promise<boolean> {
  return (await existingCheckout(env, checkoutEntry(env.dirs, source.url, commit))) !== undefined;
}
