import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MediaConduitError } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
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
  /** Receives one line per git command (arguments, duration, outcome), for `DEBUG=mediaconduit:*`. */
  debug?: ((message: string, fields?: Readonly<Record<string, unknown>>) => void) | undefined;
  /** Called once git runs (after the spawn): work for this thread can go on while git waits on the network. */
  onStarted?: (() => void) | undefined;
  /**
   * Called with git's pid (also its process group: git runs in a group of its own) right after
   * the spawn, so that what git writes into can name who writes there: a host killed with
   * `kill -9` cannot end its git, and the next process's sweep ends it instead.
   */
  onSpawned?: ((pid: number) => void) | undefined;
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

/**
 * Runs `git <args>` in `cwd` (a temporary folder when omitted) with the hardened environment:
 * an argument array, no shell, and its own process group, so that when the time limit or the
 * signal ends it, everything git started (`git-remote-http` and the like) ends with it. The limit
 * is a plain timer held while git runs, so the garbage collector cannot drop it. Failures become
 * `GIT_FAILED` (or `TIMEOUT`/`ABORTED`) errors naming `operation`, with secrets redacted.
 */
export async function runGit(operation: string, args: readonly string[], options: GitRunOptions & { cwd?: string }): Promise<string> {
  let cwd = options.cwd;
  let scratch: string | undefined;
  if (!cwd) cwd = scratch = await mkdtemp(join(tmpdir(), 'mediaconduit-git-'));
  const started = performance.now();
  const command = () => redact(`git ${args.join(' ')}`, [options.token]);
  try {
    const out = await spawnGit(args, cwd, options);
    options.debug?.(`${operation}: ${command()}`, { ms: Math.round(performance.now() - started) });
    return out;
  } catch (error) {
    const typed = gitError(operation, error, options);
    options.debug?.(`${operation}: ${command()} failed`, { ms: Math.round(performance.now() - started), code: typed.code });
    throw typed;
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

/** Why git was stopped, when it was. */
type Stopped = 'timeout' | 'abort' | undefined;

function spawnGit(args: readonly string[], cwd: string, options: GitRunOptions): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    if (options.signal?.aborted) return reject(new GitStopped('abort', ''));
    const child = spawn('git', [...args], { cwd, env: hardenedGitEnv(options), stdio: ['ignore', 'pipe', 'pipe'], detached: true, shell: false });
    if (child.pid !== undefined) options.onSpawned?.(child.pid);
    options.onStarted?.();
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stopped: Stopped;
    const stop = (why: Exclude<Stopped, undefined>) => {
      stopped ??= why;
      // The whole group: git and whatever it started. (A negative pid names the process group.)
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    const onAbort = () => stop('abort');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let failedToStart: Error | undefined;
    child.on('error', (error) => {
      failedToStart = error;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const errText = Buffer.concat(stderr).toString('utf8');
      if (stopped) return reject(new GitStopped(stopped, errText));
      if (failedToStart) return reject(failedToStart);
      if (code === 0) return resolve(Buffer.concat(stdout).toString('utf8'));
      reject(new Error(errText.trim() || `git exited with code ${code}`));
    });
  });
}

/** git ended by the time limit or the caller's signal. */
class GitStopped extends Error {
  constructor(
    readonly why: 'timeout' | 'abort',
    stderr: string,
  ) {
    super(`git was stopped (${why})${stderr ? `: ${stderr}` : ''}`);
  }
}

function gitError(operation: string, error: unknown, options: GitRunOptions): MediaConduitError {
  if (MediaConduitError.isInstance(error)) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const text = redact(raw, [options.token]).trim().split('\n').slice(-6).join('\n');
  if (error instanceof GitStopped && error.why === 'abort') return mcError('ABORTED', `${operation}: aborted`, { cause: options.signal?.reason });
  if ((error as NodeJS.ErrnoException).code === 'ENOENT')
    return mcError('GIT_FAILED', `${operation}: git is not installed (or not on PATH); install git and try again`, { details: { operation } });
  if (error instanceof GitStopped) {
    return mcError('TIMEOUT', `${operation}: git did not finish within ${options.timeoutMs} ms and was stopped; raise the \`gitTimeoutMs\` option or check the network`, {
      retryable: true,
    });
  }
  const local = localRepositoryProblem(options.remoteUrl);
  if (local && /does not appear to be a git repository|not a git repository|Could not read from remote/i.test(text)) {
    return mcError(local.missing ? 'INVALID_SPECIFIER' : 'GIT_FAILED', `${operation}: ${local.message}`, { details: { operation, path: local.path } });
  }
  const auth = /Authentication failed|could not read Username|401|403|terminal prompts disabled/i.test(text);
  const redirected = Boolean(options.token) && /returned error: 30[1278]/.test(text);
  const hint = redirected
    ? 'the server answered with a redirect, which is not followed while a token is in use: tokens are sent only to the host they are given for. Load the repository from the URL it redirects to (or add a rewrite to it), with a token for that host'
    : auth
      ? `the repository needs credentials: pass a token with the \`tokens\` option or MEDIACONDUIT_GIT_TOKEN, given for ${hostOf(options.remoteUrl)} (the host git talks to, after rewrites: a token is sent only to the host it is given for)`
      : /not found|does not appear to be a git repository|repository .* not found/i.test(text)
        ? 'check the URL, or that the repository exists and is reachable'
        : "see git's message above";
  return mcError('GIT_FAILED', `${operation}: git failed: ${text}\n${hint}`, {
    retryable: !auth && /timed out|Could not resolve host|Connection (reset|refused)|early EOF/i.test(text),
    details: { operation },
  });
}

/** Why git could not read a local repository (`file:` URL): no such folder, or a folder that is no repository. */
function localRepositoryProblem(url: string | undefined): { missing: boolean; path: string; message: string } | undefined {
  if (!url?.startsWith('file:')) return undefined;
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch {
    return undefined;
  }
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return { missing: true, path, message: `there is no folder ${path}; check the path (a local provider is the folder of a Git repository)` };
  if (!stat.isDirectory()) return { missing: true, path, message: `${path} is a file, not the folder of a Git repository` };
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    if (statSync(join(dir, '.git'), { throwIfNoEntry: false })) {
      const inside = relative(dir, path).split(sep).join('/');
      return { missing: false, path, message: `${path} is a folder inside the Git repository ${dir}; load it as ${dir}//${inside} (the repository, then the folder)` };
    }
  }
  return {
    missing: false,
    path,
    message: `${path} is not a Git repository; run git init in it, then git add -A && git commit -m "first version" (a provider loads from a commit)`,
  };
}

/** The host (with its port) of a URL git talks to, for messages; the URL itself when it has none. */
function hostOf(url: string | undefined): string {
  if (!url) return "the repository's host";
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}
