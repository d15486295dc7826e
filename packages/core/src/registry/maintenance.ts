import type { LockEntry } from '../lockfile/lockfile.js';
import type { LoadEnvironment } from '../pipeline/load-environment.js';
import type { ProgressEvent } from '../pipeline/progress-event.js';
import { redactSpecifier } from '../source/parse-specifier.js';
import { mcError } from '../util/errors.js';
import { fileSystemError } from '../util/file-system-error.js';
import type { RegistryCore } from './registry-core.js';

/** What `update` changed. */
export interface UpdateResult {
  specifier: string;
  before: LockEntry | undefined;
  after: LockEntry;
  changed: boolean;
}

/** What `prepare` did. */
export interface PrepareResult {
  specifier: string;
  entry: LockEntry;
  /** The lockfile had no entry for it before. */
  added: boolean;
  /** Steps that had to run (the others were served from the cache). */
  ran: ProgressEvent['phase'][];
}

/**
 * Re-resolves `specifier` over the network, fetches and builds the new commit if it moved, rewrites
 * its lockfile entry (the only way a pin moves), and drops the loaded instance.
 */
export async function update(core: RegistryCore, specifier: string, options: { acceptMovedTags?: boolean } = {}): Promise<UpdateResult> {
  try {
    const source = core.parse(specifier);
    if (core.options.offline) throw mcError('NOT_CACHED', `update ${specifier}: updating needs the network, but the registry is offline`);
    const { coldLoad, resolvePin, movedTagError } = await import('../cold-side.js');
    const before = await core.lock.get(source.key);
    const pin = await resolvePin(core.env, source);
    if (before?.resolvedKind === 'tag' && before.resolved !== null && pin.resolved === before.resolved && pin.commit !== before.commit && !options.acceptMovedTags) {
      throw movedTagError(`update ${specifier}`, before.resolved, before.commit, pin.commit);
    }
    const { entry } = await coldLoad(core.env, source, undefined, { pin });
    // Where it runs is recorded with the pin, not part of it: an entry written before isolation existed is unchanged.
    const { isolation: _where, ...pinned } = before ?? ({} as Partial<LockEntry>);
    const changed = !before || JSON.stringify(pinned) !== JSON.stringify(entry);
    if (changed) {
      if (core.options.frozen)
        throw mcError(
          'LOCKFILE_FROZEN',
          `update ${specifier}: the lockfile is frozen; ${before ? `commit ${before.commit} would become ${entry.commit}` : 'the entry would be added'}`,
        );
      await core.record(source, entry, false);
      await core.forget(source);
    }
    return { specifier, before, after: entry, changed };
  } catch (error) {
    throw core.secrets.redactError(fileSystemError(`update ${redactSpecifier(specifier)}`, error));
  }
}

/**
 * Makes `specifier` ready to load without running any of its code: pins it (through its lockfile
 * entry when there is one, which it never moves), fetches, installs and builds it, and records the
 * entry. What `mediaconduit lock` runs.
 */
export async function prepare(core: RegistryCore, specifier: string): Promise<PrepareResult> {
  try {
    const source = core.parse(specifier);
    const ran = new Set<ProgressEvent['phase']>();
    const env: LoadEnvironment = {
      ...core.env,
      emit: (event) => {
        if (event.status === 'done') ran.add(event.phase);
        core.env.emit(event);
      },
    };
    const locked = await core.lock.get(source.key);
    const located = (locked && core.warm(source, locked, env)) || (await core.cold(source, locked, env));
    if (located.toRecord) await core.record(source, located.toRecord.entry, located.toRecord.derivedOnly);
    return { specifier, entry: located.toRecord?.entry ?? (locked as LockEntry), added: !locked, ran: [...ran] };
  } catch (error) {
    throw core.secrets.redactError(fileSystemError(`prepare ${redactSpecifier(specifier)}`, error));
  }
}
