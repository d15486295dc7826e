import { runGit, type GitRunOptions } from './git-runner.js';

/** The refs a remote advertises. */
export interface RemoteRefs {
  /** Commit of the default branch. */
  head?: string;
  /** Name of the default branch, when the server says. */
  headBranch?: string;
  /** Tag name → commit (annotated tags already peeled). */
  tags: Map<string, string>;
  /** Branch name → commit. */
  branches: Map<string, string>;
}

/** Lists a remote's refs with `git ls-remote`, without cloning. */
export async function lsRemote(url: string, options: GitRunOptions): Promise<RemoteRefs> {
  const out = await runGit(`ls-remote ${url}`, ['ls-remote', '--symref', '--end-of-options', url], options);
  const refs: RemoteRefs = { tags: new Map(), branches: new Map() };
  const peeled = new Map<string, string>();
  for (const line of out.split('\n')) {
    const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (symref) {
      refs.headBranch = symref[1];
      continue;
    }
    const match = /^([0-9a-f]{40,64})\t(\S+)$/.exec(line);
    if (!match) continue;
    const [, sha = '', name = ''] = match;
    if (name === 'HEAD') refs.head = sha;
    else if (name.startsWith('refs/heads/')) refs.branches.set(name.slice(11), sha);
    else if (name.startsWith('refs/tags/') && name.endsWith('^{}')) peeled.set(name.slice(10, -3), sha);
    else if (name.startsWith('refs/tags/')) refs.tags.set(name.slice(10), sha);
  }
  for (const [tag, sha] of peeled) refs.tags.set(tag, sha);
  return refs;
}
