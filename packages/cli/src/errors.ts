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
  INVALID_OPTIONS: 'check the option values (mediaconduit <command> --help lists them)',
  REF_NOT_FOUND: 'use a tag, branch or commit the repository has (git ls-remote --tags <url>), or leave out @ref for the default branch',
  GIT_FAILED: 'check the URL and your access (MEDIACONDUIT_GIT_TOKEN for private repositories); DEBUG=mediaconduit:* shows each git command',
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
  MISSING_CONFIGURATION: 'set what the message names, with --config key=value or in the environment',
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

/** The parts of an error as the CLI reports it. */
export interface Reported {
  exitCode: number;
  /** One line for stderr. */
  line: string;
  /** With `--debug`: the stack and details. */
  debugText: string | undefined;
  /** With `--json`. */
  json: { error: { code: string; message: string; hint?: string; details?: unknown } };
}

/** One line per error: `error CODE: message (hint: what to do)`. */
export function reportError(error: unknown): Reported {
  const oneLine = (text: string) =>
    text
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)
      .join(' | ');
  if (isUsageError(error)) {
    const help = error.command ? `mediaconduit ${error.command} --help` : 'mediaconduit --help';
    const hint = `run "${help}" for usage`;
    return {
      exitCode: EXIT.USAGE,
      line: `mediaconduit: ${oneLine(error.message)} (${hint})`,
      debugText: undefined,
      json: { error: { code: 'USAGE', message: error.message, hint } },
    };
  }
  if (MediaConduitError.isInstance(error)) {
    const hint = HINTS[error.code];
    const details = Object.keys(error.details).length > 0 ? error.details : undefined;
    return {
      exitCode: EXIT.FAILED,
      line: `error ${error.code}: ${oneLine(error.message)}${hint ? ` (hint: ${hint})` : ''}`,
      debugText: `${error.stack ?? ''}${details === undefined ? '' : `\ndetails: ${JSON.stringify(details, null, 2)}`}`,
      json: { error: { code: error.code, message: error.message, ...(hint ? { hint } : {}), ...(details === undefined ? {} : { details }) } },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    exitCode: EXIT.INTERNAL,
    line: `mediaconduit: internal error: ${oneLine(message)} (this is a bug; run again with --debug and report the output)`,
    debugText: error instanceof Error ? error.stack : undefined,
    json: { error: { code: 'INTERNAL', message } },
  };
}
