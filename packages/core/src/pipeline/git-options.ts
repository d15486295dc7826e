import type { GitRunOptions } from '../git/git-runner.js';
import type { ProviderSource } from '../source/provider-source.js';
import { applyUrlRewrites } from '../source/url-rewrites.js';
import type { LoadEnvironment } from './load-environment.js';

/** How git reaches a source: the rewritten URL, the time limit, and the token for its host. */
export function gitOptions(env: LoadEnvironment, source: ProviderSource): GitRunOptions & { remoteUrl: string } {
  const remoteUrl = applyUrlRewrites(source.cloneUrl, env.settings.rewrites);
  return {
    timeoutMs: env.settings.gitTimeoutMs,
    signal: env.signal,
    remoteUrl,
    token: source.host ? env.settings.tokens[source.host] : undefined,
    debug: env.debug,
    onStarted: env.onGitStarted,
  };
}
