import { MediaConduitError, type ErrorCode } from '@mediaconduit/provider';

/** The exit codes of `mediaconduit`. Stable: scripts may match on them. */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** The operation failed with a typed error; its code is printed (`error CODE: …`). */
  FAILED: 1,
  /** The command line is wrong: unknown command or flag, missing or extra argument, bad value. */
  USAGE: 2,
  /** A check ran and found problems: `validate`, `cache verify`, a target missed by `bench`. */
  CHECKS_FAILED: 3,
  /** An unexpected internal error (a bug: please report it with the `--debug` output). */
  INTERNAL: 70,
  /** Interrupted (Ctrl-C). */
  INTERRUPTED: 130,
} as const;

const USAGE = Symbol.for('mediaconduit.cli.usage-error');

/** A mistake on the command line. Recognised by {@link isUsageError}: each lazily loaded command bundles its own copy of this class. */
export class UsageError extends Error {
  readonly [USAGE] = true;
  constructor(
    message: string,
    /** The command whose help to point at. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** True for a {@link UsageError} from any copy of this module. */
export function isUsageError(error: unknown): error is UsageError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[USAGE] === true;
}

/** What to try, per error code; the message says what failed. */
const HINTS: Partial<Record<ErrorCode, string>> = {
  INVALID_SPECIFIER: 'a specifier looks like github:owner/repo@v1.0.0, https://host/path/repo.git//dir@ref or ./local-repo (see mediaconduit load --help)',
  INVALID_OPTIONS: "check the --config key=value settings you passed (the provider's README lists them)",
  REF_NOT_FOUND: 'use a tag, branch or commit the repository has (git ls-remote --tags <url>), or leave out @ref for the default branch',
  GIT_FAILED: 'check the URL and your access (MEDIACONDUIT_GIT_TOKEN for private repositories); --debug shows each git command',
  NOT_CACHED: 'run once without --offline (or mediaconduit lock <spec>) to fill the cache',
  INVALID_MANIFEST: 'fix MediaConduit.provider.yml in the provider; mediaconduit validate <folder> checks it',
  INSTALL_FAILED: 'commit a package-lock.json whose dependencies all come from the npm registry',
  BUILD_FAILED: 'mediaconduit validate <folder> on the provider shows the build errors',
  PROVIDER_LOAD_FAILED: 'mediaconduit validate <folder|spec> runs the conformance checks on the provider',
  INCOMPATIBLE_PROVIDER: 'use a provider version made for this contract version (mediaconduit --version shows it)',
  INTEGRITY_MISMATCH: 'run mediaconduit cache verify --fix and load again; for a tag moved on purpose: mediaconduit update <spec> --accept-moved-tags',
  LOCKFILE_FROZEN: 'run without --frozen (or mediaconduit update <spec>), then commit the lockfile',
  LOCKFILE_CORRUPT: 'restore the lockfile from version control, or delete it and run mediaconduit lock <spec>…',
  LOCK_TIMEOUT: 'another process holds the cache entry: wait for it to finish, then try again',
  LIMIT_EXCEEDED: 'raise the limit the message names, if you trust the provider',
  UNSAFE_CHECKOUT: 'remove the links and special files the message names from the provider repository, commit, and load again',
  FILE_SYSTEM_ERROR: 'check free space and permissions of the folder the message names, or pass --cache-dir <dir>',
  MODEL_NOT_FOUND: 'mediaconduit models <spec> lists the models',
  UNSUPPORTED_CAPABILITY: 'mediaconduit models <spec> --capability <capability> lists the models that have it',
  MISSING_CONFIGURATION: 'export the variable the message names, or pass the setting with --config key=value',
  MISSING_API_KEY: 'set the API key the message names in the environment (for Together: TOGETHER_API_KEY)',
  AUTHENTICATION_FAILED: 'check the API key',
  PERMISSION_DENIED: 'the API key has no access to this model or resource',
  INSUFFICIENT_CREDITS: 'add credits to the provider account',
  RATE_LIMITED: 'wait a moment and try again',
  CONTENT_REFUSED: 'change the prompt',
  PROVIDER_ERROR: 'the service failed; try again later',
  INVALID_RESPONSE: 'the service answered something unexpected; try again, and report it if it persists',
  TIMEOUT: 'raise the time limit the message names, or check the network',
  CONNECTION_FAILED: 'check the network and the service address',
  ALL_FALLBACKS_FAILED: 'the message lists each model tried and why it failed',
  TRAINING_FAILED: 'mediaconduit train status <id> shows the job, its error and its last events',
};

/**
 * What a message written for applications says, in the words of the command line: API calls and
 * options become commands, flags and environment variables. (Core's messages serve both.) The
 * longer phrases come first, so that a shorter one never half-translates them.
 */
export const CLI_WORDS: readonly (readonly [RegExp, string | ((match: string, ...groups: string[]) => string)])[] = [
  [/registry\.update\(\) \(or `mediaconduit update`\)/g, '`mediaconduit update`'],
  [/update with \{ acceptMovedTags: true \} \(mediaconduit update --accept-moved-tags\)/g, 'run `mediaconduit update <spec> --accept-moved-tags`'],
  [/point `cacheDir` \(MEDIACONDUIT_CACHE_DIR\) and the lockfile at a writable place/g, 'pass --cache-dir and --lockfile naming a writable place'],
  [/point `cacheDir` \(MEDIACONDUIT_CACHE_DIR\)/g, 'pass --cache-dir (or set MEDIACONDUIT_CACHE_DIR)'],
  [/point `cacheDir` \(or the lockfile\)/g, 'pass --cache-dir (or --lockfile)'],
  [/move the cache with `cacheDir`( \(MEDIACONDUIT_CACHE_DIR\))?/g, 'move the cache with --cache-dir'],
  [/pass a token with the `tokens` option or MEDIACONDUIT_GIT_TOKEN/g, 'set MEDIACONDUIT_GIT_TOKEN (and MEDIACONDUIT_GIT_TOKEN_HOST for a host other than github.com)'],
  [/the `allowedHosts` option \(or MEDIACONDUIT_ALLOWED_HOSTS\)/g, 'MEDIACONDUIT_ALLOWED_HOSTS'],
  [/set the `npmRegistry` option or MEDIACONDUIT_NPM_REGISTRY/g, 'set MEDIACONDUIT_NPM_REGISTRY'],
  [/the `npmRegistry` option/g, 'MEDIACONDUIT_NPM_REGISTRY'],
  [/the `(git|install|build|initialize)TimeoutMs` option/g, (_match, step) => `MEDIACONDUIT_${step!.toUpperCase()}_TIMEOUT_MS`],
  [/ \((max[A-Za-z]+)\); raise the option/g, (_match, name) => `; raise it with MEDIACONDUIT_${name!.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`],
  [
    /registry\.trainingJobs\(\) lists the recorded ones \(a job started with another trainingDir is recorded there\)/g,
    '`mediaconduit train list` lists the recorded ones (a job started with another --cache-dir is recorded there)',
  ],
  [/resumeTrainingJob: /g, ''],
  [/load the provider once \(registry\.getProvider, or `mediaconduit load`\) to pin it/g, 'load the provider once (`mediaconduit load <spec>`) to pin it'],
  [/; pass \{ specifier \}/g, '; pass --spec <spec>'],
  [/; pass a value for the provider on purpose with \{ config: \{ env: \{ ([A-Z0-9_]+): … \} \} \}/g, '; pass it to the provider on purpose with --config env=\'{"$1":"…"}\''],
  [/ or pass \{ config: \{ env: \{ ([A-Z0-9_]+): … \} \} \} to getProvider/g, ''],
  [/, or pass \{ apiKey \} to createTogether\(\), or \{ config: \{ apiKey \} \} to registry\.getProvider\(\)/g, ''],
];

/** `message` in the words of the command line (see {@link CLI_WORDS}). */
export function inCliWords(message: string): string {
  let out = message;
  for (const [pattern, replacement] of CLI_WORDS) out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  return out;
}

/** A hint that fits this error better than its code's (a local folder that is no repository, a host that cannot be reached). */
function specificHint(error: MediaConduitError, pathFlags: readonly PathFlag[]): string | undefined {
  if (error.code === 'GIT_FAILED' && /is a folder inside the Git repository/.test(error.message)) return 'a specifier names the repository, then the folder in it after //';
  if (error.code === 'GIT_FAILED' && /is not a Git repository; run git init/.test(error.message))
    return 'mediaconduit validate <folder> checks a provider folder before its first commit';
  if (error.code === 'GIT_FAILED' && /does not appear to be a git repository|not a git repository/i.test(error.message))
    return 'the folder is not a Git repository: run git init in it, then git add -A && git commit -m "first version"';
  if (error.code === 'INVALID_SPECIFIER' && /there is no folder|is a file, not the folder/.test(error.message))
    return 'a relative path means the folder you run the command in; a remote provider looks like github:owner/repo@v1.0.0';
  if (error.code === 'GIT_FAILED' && /Could not resolve host|Connection refused|Failed to connect|unable to access/i.test(error.message))
    return 'the host cannot be reached: check the network; with a filled cache (mediaconduit lock fills it), --offline loads without it';
  if (error.code === 'INTEGRITY_MISMATCH' && /which the lockfile .* does not pin/.test(error.message)) {
    const specifier = typeof error.details.specifier === 'string' ? error.details.specifier : '<spec>';
    return `pin the job's provider with mediaconduit load ${specifier} (with the --lockfile and --cache-dir the job was started with), or pass --no-lockfile to follow jobs started without one`;
  }
  if (error.code === 'INVALID_INPUT' && /no recorded training job/.test(error.message))
    return 'jobs are recorded in the cache folder: pass the --cache-dir the job was started with, and mediaconduit train list --cache-dir <dir> shows them';
  if (error.code === 'FILE_SYSTEM_ERROR') {
    const path = typeof error.details.path === 'string' ? error.details.path : undefined;
    const named = path === undefined ? undefined : pathFlags.find((p) => path === p.path || path.startsWith(`${p.path}/`) || path.startsWith(`${p.path}.`));
    if (named) return `check free space and permissions where ${named.flag} points (${named.path}), or pass another ${named.flag}`;
  }
  if (error.code === 'MISSING_CONFIGURATION' || error.code === 'INVALID_OPTIONS') {
    const variable = /\b([A-Z][A-Z0-9]*_[A-Z0-9_]+) is not set\b/.exec(error.message)?.[1];
    if (variable) return `export ${variable}=… in the environment, or pass it with --config env='{"${variable}":"…"}'`;
  }
  return undefined;
}

/** A path the command line named with a flag, so that a file-system fault there names the flag. */
export interface PathFlag {
  flag: string;
  path: string;
}

/** The parts of an error as the CLI reports it. */
export interface Reported {
  exitCode: number;
  /** For stderr: one line, or an indented block for a message of several lines. */
  line: string;
  /** With `--debug`: the stack and details. */
  debugText: string | undefined;
  /** With `--json`. */
  json: { error: { code: string; message: string; hint?: string; details?: unknown } };
}

/**
 * `error CODE: message (hint: what to do)`, usage errors too. A message of several lines (every
 * problem of a check, esbuild's diagnostics) keeps them: its first line follows the code, the rest
 * are indented below it, and the hint comes last on a line of its own.
 */
export function reportError(error: unknown, pathFlags: readonly PathFlag[] = []): Reported {
  const lines = (text: string, hint?: string) => {
    const [first = '', ...rest] = text
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => line.trim() !== '');
    if (rest.length === 0) return `${first.trim()}${hint ? ` (hint: ${hint})` : ''}`;
    const indented = rest.map((line) => (line.startsWith('  ') ? line : `  ${line.trimStart()}`));
    return [first.trim(), ...indented, ...(hint ? [`  hint: ${hint}`] : [])].join('\n');
  };
  if (isUsageError(error)) {
    const help = error.command ? `mediaconduit ${error.command} --help` : 'mediaconduit --help';
    const hint = `run "${help}" for usage`;
    return {
      exitCode: EXIT.USAGE,
      line: `error USAGE: ${lines(error.message, hint)}`,
      debugText: undefined,
      json: { error: { code: 'USAGE', message: error.message, hint } },
    };
  }
  if (MediaConduitError.isInstance(error)) {
    const hint = specificHint(error, pathFlags) ?? HINTS[error.code];
    const message = inCliWords(error.message);
    const details = Object.keys(error.details).length > 0 ? error.details : undefined;
    return {
      exitCode: EXIT.FAILED,
      line: `error ${error.code}: ${lines(message, hint)}`,
      debugText: `${error.stack ?? ''}${details === undefined ? '' : `\ndetails: ${JSON.stringify(details, null, 2)}`}`,
      json: { error: { code: error.code, message, ...(hint ? { hint } : {}), ...(details === undefined ? {} : { details }) } },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    exitCode: EXIT.INTERNAL,
    line: `error INTERNAL: ${lines(message, 'this is a bug; run again with --debug and report the output')}`,
    debugText: error instanceof Error ? error.stack : undefined,
    json: { error: { code: 'INTERNAL', message } },
  };
}
