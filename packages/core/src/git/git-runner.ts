import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import { simpleGit, type SimpleGit } from 'simple-git';
import { redact } from '../util/redact.js';

/** How git is allowed to run. */
export interface GitRunOptions {
  /** Kills git after this many milliseconds. */
  timeoutMs: number;
  /** Cancels (and kills) git. */
  signal?: AbortSignal | undefined;
  /** The URL git will talk to (after rewrites), used to scope the token header. */
  remoteUrl?: string | undefined;
  /** Token for `remoteUrl`; sent only as an HTTP header through the environment. */
  token?: string | undefined;
}

const ALLOWED_PROTOCOLS = 'https:http:file:git:ssh';

/**
 * Environment for every git process: no user or system config, no prompts, no hooks, no
 * submodules, no LFS smudge, only allow-listed protocols, and (when given) the token as an
 * `http.<url>.extraHeader` passed in the environment, so it is never in argv, in a URL,
 * in `.git/config`, or in git's own messages.
 */
export function hardenedGitEnv(options: Pick<GitRunOptions, 'remoteUrl' | 'token'>): Record<string, string> {
  const config: [string, string][] = [
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    ['core.autocrlf', 'false'],
    ['core.symlinks', 'true'],
    ['submodule.recurse', 'false'],
    ['fetch.recurseSubmodules', 'false'],
    ['filter.lfs.smudge', ''],
    ['filter.lfs.process', ''],
    ['filter.lfs.required', 'false'],
    ['protocol.version', '2'],
    ['protocol.ext.allow', 'never'],
    ['advice.detachedHead', 'false'],
    ['init.defaultBranch', 'main'],
    ['credential.helper', ''],
  ];
  if (options.token && options.remoteUrl && /^https?:/.test(options.remoteUrl)) {
    const basic = Buffer.from(`x-access-token:${options.token}`).toString('base64');
    config.push([`http.${options.remoteUrl}.extraHeader`, `Authorization: Basic ${basic}`]);
    // git keeps sending the header after a redirect (to the new origin too): with a token, no
    // redirect is followed at all.
    config.push(['http.followRedirects', 'false']);
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? tmpdir(),
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GCM_INTERACTIVE: 'never',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: ALLOWED_PROTOCOLS,
    GIT_LFS_SKIP_SMUDGE: '1',
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  if (process.env.SSH_AUTH_SOCK) env.SSH_AUTH_SOCK = process.env.SSH_AUTH_SOCK;
  return env;
}

function client(cwd: string, options: GitRunOptions): SimpleGit {
  const env = hardenedGitEnv(options);
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  return simpleGit({
    baseDir: cwd,
    maxConcurrentProcesses: 4,
    abort: AbortSignal.any(signals),
    // These are our own fixed hardening values, not user input: simple-git guards the
    // variables that could weaken git, so the ones we set to strengthen it are named here.
    allowEnvironment: Object.keys(env),
    unsafe: {
      allowUnsafeConfigEnvCount: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeAskPass: true,
      allowUnsafeHooksPath: true,
      allowUnsafeFilter: true,
      allowUnsafeCredentialHelper: true,
      allowUnsafeFsMonitor: true,
      allowUnsafeProtocolOverride: true,
      allowUnsafeTemplateDir: true,
    },
  }).env(env);
}

/**
 * Runs `git <args>` in `cwd` (a temporary folder when omitted) with the hardened environment.
 * Failures become `GIT_FAILED` (or `TIMEOUT`/`ABORTED`) errors naming `operation`, with secrets redacted.
 */
export async function runGit(operation: string, args: readonly string[], options: GitRunOptions & { cwd?: string }): Promise<string> {
  let cwd = options.cwd;
  let scratch: string | undefined;
  if (!cwd) cwd = scratch = await mkdtemp(join(tmpdir(), 'mediaconduit-git-'));
  try {
    return await client(cwd, options).raw([...args]);
  } catch (error) {
    throw gitError(operation, error, options);
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

function gitError(operation: string, error: unknown, options: GitRunOptions): MediaConduitError {
  if (MediaConduitError.isInstance(error)) return error;
  const aborted = options.signal?.aborted;
  const raw = error instanceof Error ? error.message : String(error);
  const text = redact(raw, [options.token]).trim().split('\n').slice(-6).join('\n');
  if (aborted) return mcError('ABORTED', `${operation}: aborted`, { cause: options.signal?.reason });
  if (/abort/i.test(raw) && !/fatal:/.test(raw)) {
    return mcError('TIMEOUT', `${operation}: git did not finish within ${options.timeoutMs} ms and was stopped; raise the \`gitTimeoutMs\` option or check the network`, {
      retryable: true,
    });
  }
  const auth = /Authentication failed|could not read Username|401|403|terminal prompts disabled/i.test(text);
  const redirected = Boolean(options.token) && /returned error: 30[1278]/.test(text);
  const hint = redirected
    ? 'the server answered with a redirect, which is not followed while a token is in use: tokens are sent only to the host they are given for. Load the repository from the URL it redirects to (or add a rewrite to it), with a token for that host'
    : auth
      ? 'the repository needs credentials: pass a token with the `tokens` option or MEDIACONDUIT_GIT_TOKEN'
      : /not found|does not appear to be a git repository|repository .* not found/i.test(text)
        ? 'check the URL, or that the repository exists and is reachable'
        : "see git's message above";
  return mcError('GIT_FAILED', `${operation}: git failed: ${text}\n${hint}`, {
    retryable: !auth && /timed out|Could not resolve host|Connection (reset|refused)|early EOF/i.test(text),
    details: { operation },
  });
}
