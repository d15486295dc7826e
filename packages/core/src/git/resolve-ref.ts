import { mcError } from '../util/errors.js';
import rcompare from 'semver/functions/rcompare.js';
import valid from 'semver/functions/valid.js';
import maxSatisfying from 'semver/ranges/max-satisfying.js';
import validRange from 'semver/ranges/valid.js';
import type { RemoteRefs } from './ls-remote.js';

/** What a ref resolved to. */
export interface ResolvedRef {
  /** Full commit SHA, or a SHA prefix that still has to be expanded by fetching (`needsExpansion`). */
  commit: string;
  /** How the ref matched. */
  kind: 'default-branch' | 'tag' | 'branch' | 'range' | 'commit';
  /** The tag or branch name that matched, when one did. */
  name?: string;
  /** True when `commit` is a short SHA that no advertised ref starts with. */
  needsExpansion?: boolean;
}

const FULL_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const SHORT_SHA = /^[0-9a-f]{4,39}$/;

/** Tag names that are semver versions, with and without a leading `v`, mapped to their version. */
function versionTags(refs: RemoteRefs): { tag: string; version: string }[] {
  const out: { tag: string; version: string }[] = [];
  for (const tag of refs.tags.keys()) {
    const version = valid(tag.startsWith('v') ? tag.slice(1) : tag);
    if (version) out.push({ tag, version });
  }
  return out;
}

/**
 * Resolves `ref` against a remote's advertised refs. Order: default branch (no ref), full SHA,
 * exact tag, exact branch, semver range over tags, unique SHA prefix of an advertised ref,
 * other SHA prefixes (to expand by fetching). Never falls back to the default branch.
 *
 * @throws `REF_NOT_FOUND` listing the tags and branches that exist.
 */
export function resolveRef(label: string, ref: string | undefined, refs: RemoteRefs): ResolvedRef {
  if (ref === undefined) {
    const commit = refs.head ?? (refs.headBranch ? refs.branches.get(refs.headBranch) : undefined);
    if (!commit) throw notFound(label, 'the repository has no default branch (is it empty?)', refs);
    return { commit, kind: 'default-branch', ...(refs.headBranch ? { name: refs.headBranch } : {}) };
  }
  if (FULL_SHA.test(ref)) return { commit: ref, kind: 'commit' };
  const tag = refs.tags.get(ref);
  if (tag) return { commit: tag, kind: 'tag', name: ref };
  const branch = refs.branches.get(ref);
  if (branch) return { commit: branch, kind: 'branch', name: ref };

  const range = validRange(ref);
  if (range) {
    const candidates = versionTags(refs);
    const best = maxSatisfying(
      candidates.map((c) => c.version),
      range,
    );
    const match = best ? candidates.filter((c) => c.version === best).sort((a, b) => b.tag.length - a.tag.length)[0] : undefined;
    if (match) return { commit: refs.tags.get(match.tag)!, kind: 'range', name: match.tag };
    if (!SHORT_SHA.test(ref)) throw notFound(label, `no tag satisfies the semver range "${ref}"`, refs);
  }
  if (SHORT_SHA.test(ref)) {
    const tips = new Set([...refs.tags.values(), ...refs.branches.values()].filter((sha) => sha.startsWith(ref)));
    if (tips.size > 1) throw notFound(label, `the commit prefix "${ref}" is ambiguous`, refs);
    const [only] = tips;
    if (only) return { commit: only, kind: 'commit' };
    return { commit: ref, kind: 'commit', needsExpansion: true };
  }
  throw notFound(label, `no tag or branch is named "${ref}"`, refs);
}

/** Builds the `REF_NOT_FOUND` error listing what exists (newest versions first). */
export function notFound(label: string, reason: string, refs: RemoteRefs) {
  const versions = versionTags(refs)
    .sort((a, b) => rcompare(a.version, b.version) || a.tag.localeCompare(b.tag))
    .map((v) => v.tag);
  const tags = [...versions, ...[...refs.tags.keys()].filter((t) => !versions.includes(t)).sort()];
  const branches = [...refs.branches.keys()].sort();
  const list = (items: string[]) => (items.length === 0 ? 'none' : items.slice(0, 15).join(', ') + (items.length > 15 ? `, … ${items.length - 15} more` : ''));
  return mcError('REF_NOT_FOUND', `resolve ${label}: ${reason} (tags: ${list(tags)}; branches: ${list(branches)})`, {
    details: { tags, branches },
  });
}
