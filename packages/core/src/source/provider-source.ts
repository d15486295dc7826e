/** A parsed provider specifier: where the repository is, which folder, which ref. */
export interface ProviderSource {
  /** The specifier as the caller wrote it. */
  readonly specifier: string;
  /** `github` for GitHub forms, `git` for other hosts, `file` for local repositories. */
  readonly kind: 'github' | 'git' | 'file';
  /** Lower-case host (with port), absent for `file`. */
  readonly host?: string;
  /** Canonical repository URL: the identity used for the cache and the lockfile. */
  readonly url: string;
  /** The URL handed to git (before URL rewrites). */
  readonly cloneUrl: string;
  /** Folder of the provider inside the repository, POSIX-style, `''` for the root. */
  readonly subdir: string;
  /** Tag, branch, commit, or semver range; `undefined` for the default branch. */
  readonly ref?: string;
  /** Canonical form of the whole specifier: `url[//subdir][@ref]`. */
  readonly key: string;
}
