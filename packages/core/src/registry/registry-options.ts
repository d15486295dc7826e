import { join, resolve } from 'node:path';
import type { LoggerV1, RetryOptionsV1 } from '@mediaconduit/provider';
import type { CallLogSink } from '../calls/call-log.js';
import { retryOptionsProblems } from '../calls/retry-policy.js';
import { mcError } from '../util/errors.js';
import { parseUrlRewrites, type UrlRewrites } from '../source/url-rewrites.js';
import { createLogger } from '../util/logger.js';
import type { LoadSettings } from '../pipeline/load-environment.js';
import type { IsolationSettings } from '../isolation/isolated-provider.js';
import { parseSecretOrigins } from '../context/kept-secrets.js';
import type { ProgressEvent } from '../pipeline/progress-event.js';

/** Options of {@link createProviderRegistry}. Every option has an environment-variable default. */
export interface ProviderRegistryOptions {
  /** Cache root. Default: `MEDIACONDUIT_CACHE_DIR`, else `./cache`. */
  cacheDir?: string;
  /** Lockfile path, or `false` for none. Default: `MEDIACONDUIT_LOCKFILE`, else `./mediaconduit.lock.json`. */
  lockfile?: string | false;
  /** Refuse any change to the lockfile (like `npm ci`). Default: `MEDIACONDUIT_FROZEN_LOCKFILE=1`. */
  frozen?: boolean;
  /** Never touch the network; fail with `NOT_CACHED` when something is missing. Default: `MEDIACONDUIT_OFFLINE=1`. */
  offline?: boolean;
  /** URL prefix rewrites (like git's `insteadOf`), merged over `MEDIACONDUIT_GIT_REWRITES`. */
  rewrites?: UrlRewrites;
  /**
   * Git tokens by host of the specifier (`{ 'github.com': '…' }`), merged over `GITHUB_TOKEN`/`GH_TOKEN`
   * (for github.com) and `MEDIACONDUIT_GIT_TOKEN` (for `MEDIACONDUIT_GIT_TOKEN_HOST`, default github.com).
   * A token is sent only as an HTTP header to that host's (possibly rewritten) URL.
   */
  tokens?: Readonly<Record<string, string>>;
  /** Kill a git process after this long. Default: `MEDIACONDUIT_GIT_TIMEOUT_MS`, else 120 000 ms. */
  gitTimeoutMs?: number;
  /** Give up installing a provider's dependencies after this long. Default: `MEDIACONDUIT_INSTALL_TIMEOUT_MS`, else 300 000 ms. */
  installTimeoutMs?: number;
  /** Give up bundling a provider after this long. Default: `MEDIACONDUIT_BUILD_TIMEOUT_MS`, else 120 000 ms. */
  buildTimeoutMs?: number;
  /** Give up importing a provider, calling its factory and awaiting `initialize()` after this long. Default: `MEDIACONDUIT_INITIALIZE_TIMEOUT_MS`, else 60 000 ms. */
  initializeTimeoutMs?: number;
  /** Refuse a checkout larger than this many bytes. Default: `MEDIACONDUIT_MAX_CHECKOUT_BYTES`, else 100 MiB. */
  maxCheckoutBytes?: number;
  /** Refuse a checkout with more files than this. Default: `MEDIACONDUIT_MAX_CHECKOUT_FILES`, else 20 000. */
  maxCheckoutFiles?: number;
  /** Refuse to install more packages than this for one provider (`LIMIT_EXCEEDED`). Default: `MEDIACONDUIT_MAX_PACKAGES`, else 1 000. */
  maxPackages?: number;
  /** Stop unpacking a dependency whose files exceed this many bytes (`LIMIT_EXCEEDED`). Default: `MEDIACONDUIT_MAX_PACKAGE_BYTES`, else 128 MiB. */
  maxPackageBytes?: number;
  /** Stop installing once one provider's dependencies exceed this many unpacked bytes (`LIMIT_EXCEEDED`). Default: `MEDIACONDUIT_MAX_INSTALL_BYTES`, else 512 MiB. */
  maxInstallBytes?: number;
  /** Wait at most this long for another process building the same entry. Default: `MEDIACONDUIT_LOCK_WAIT_MS`, else 600 000 ms. */
  lockWaitMs?: number;
  /**
   * Load only from these hosts (`['github.com', 'git.example.com']`), for applications that take
   * specifiers from their own users; local repositories are refused too. Default:
   * `MEDIACONDUIT_ALLOWED_HOSTS` (comma-separated), else any host. Link-local and cloud metadata
   * addresses are refused whatever this says.
   */
  allowedHosts?: readonly string[];
  /**
   * The npm registry providers' dependencies come from: the only origin tarballs are fetched from
   * (a lockfile entry on another host is refused; one on the public npm registry is fetched from
   * this one instead, as npm does). Default: `MEDIACONDUIT_NPM_REGISTRY`, else
   * `npm_config_registry`, else what `npm config get registry` answers outside any repository.
   */
  npmRegistry?: string;
  /** HTTP dispatcher (an undici `Dispatcher`) handed to providers. */
  dispatcher?: object;
  /** Logger for the registry and providers. Default: stderr, debug output behind `DEBUG=mediaconduit:*`. */
  logger?: LoggerV1;
  /** Called for every load step. */
  onProgress?: (event: ProgressEvent) => void;
  /** Environment to read defaults and provider variables from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Retry policy of every model call (merged over the defaults: 2 retries, 500 ms base, 20 s cap, no deadline); `false` for one attempt. */
  retry?: RetryOptionsV1 | false;
  /** Retry policies per provider id (`{ together: { maxRetries: 4 } }`), merged over `retry`; per-call `retry` options go over both. */
  retryByProvider?: Readonly<Record<string, RetryOptionsV1 | false>>;
  /** Where call records go: `memoryCallLog()`, `jsonlCallLog(path)`, `callbackCallLog(fn)`, or your own sink. Default: none. */
  callLog?: readonly CallLogSink[];
  /**
   * `false` returns models exactly as providers make them: no retries, no call log, no usage,
   * no call events (for applications with a retry layer of their own). Default `true`.
   */
  wrapModels?: boolean;
  /**
   * Where training jobs are recorded (one JSON file per job), so that another process can list
   * and follow them. Default: `MEDIACONDUIT_TRAINING_DIR`, else `<cacheDir>/state/training`.
   */
  trainingDir?: string;
  /**
   * The clock (milliseconds since the epoch) of cooldowns, warnings, and providers that simulate
   * time (`context.now`: the mock's training). Default `Date.now`; tests pass their own to move time.
   */
  now?: () => number;
  /**
   * Where providers run. `'process'`: each in a child Node process of its own, under Node's
   * permission model, without the host's environment or secrets. `'none'`: in this process.
   * Default (`'auto'`): in a process of its own for code from the network (`https:`, `ssh:`,
   * `git:`, `http:`, `github:` specifiers), in this process for `file:` repositories and folders.
   * `getProvider(spec, { isolation })` overrides it per provider. Default: `MEDIACONDUIT_ISOLATION`, else `'auto'`.
   */
  isolation?: IsolationMode | 'auto';
  /** Heap cap of a provider's own process, in MB. Default: `MEDIACONDUIT_ISOLATION_MEMORY_MB`, else 512. */
  isolationMemoryMb?: number;
  /**
   * Origins, beyond those its manifest declares, that a secret the host keeps may be sent to
   * (`{ TOGETHER_API_KEY: ['http://127.0.0.1:8080'] }`: a local fake, a proxy). The operator's
   * choice, never the provider's. Merged over `MEDIACONDUIT_SECRET_ORIGINS` (`NAME=origin,…`).
   */
  secretOrigins?: Readonly<Record<string, readonly string[]>>;
}

/** Where a provider runs: in a child process of its own, or in the host's. */
export type IsolationMode = 'process' | 'none';

/** Options with every default applied. */
export interface ResolvedRegistryOptions extends LoadSettings {
  cacheDir: string;
  lockfile: string | false;
  frozen: boolean;
  allowedHosts: readonly string[] | undefined;
  initializeTimeoutMs: number;
  dispatcher: object | undefined;
  logger: LoggerV1;
  onProgress: (event: ProgressEvent) => void;
  env: NodeJS.ProcessEnv;
  retry: RetryOptionsV1 | false | undefined;
  retryByProvider: Readonly<Record<string, RetryOptionsV1 | false>>;
  callLog: readonly CallLogSink[];
  wrapModels: boolean;
  trainingDir: string;
  now: () => number;
  isolation: IsolationMode | 'auto';
  isolationSettings: IsolationSettings;
  secretOrigins: Readonly<Record<string, readonly string[]>>;
}

const KNOWN = new Set([
  'cacheDir',
  'lockfile',
  'frozen',
  'offline',
  'rewrites',
  'tokens',
  'gitTimeoutMs',
  'installTimeoutMs',
  'buildTimeoutMs',
  'initializeTimeoutMs',
  'maxCheckoutBytes',
  'maxCheckoutFiles',
  'maxPackages',
  'maxPackageBytes',
  'maxInstallBytes',
  'lockWaitMs',
  'allowedHosts',
  'npmRegistry',
  'dispatcher',
  'logger',
  'onProgress',
  'env',
  'retry',
  'retryByProvider',
  'callLog',
  'wrapModels',
  'trainingDir',
  'now',
  'isolation',
  'isolationMemoryMb',
  'secretOrigins',
]);

/** Applies defaults and checks types; reports every problem at once as `INVALID_OPTIONS`. */
export function resolveRegistryOptions(options: ProviderRegistryOptions = {}): ResolvedRegistryOptions {
  const problems: string[] = [];
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) problems.push(`${key}: unknown option; expected one of ${[...KNOWN].join(', ')}`);
  const check = (key: keyof ProviderRegistryOptions, ok: (v: unknown) => boolean, expected: string) => {
    const value = options[key];
    if (value !== undefined && !ok(value)) problems.push(`${key}: expected ${expected}, got ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  };
  const isRecordOfStrings = (v: unknown) => typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string');
  const isPositive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  check('cacheDir', (v) => typeof v === 'string' && v !== '', 'a folder path');
  check('lockfile', (v) => v === false || (typeof v === 'string' && v !== ''), 'a file path or false');
  check('frozen', (v) => typeof v === 'boolean', 'a boolean');
  check('offline', (v) => typeof v === 'boolean', 'a boolean');
  check('rewrites', isRecordOfStrings, 'an object mapping URL prefixes to URL prefixes');
  check('tokens', isRecordOfStrings, 'an object mapping host names to tokens');
  check('gitTimeoutMs', isPositive, 'a positive number of milliseconds');
  check('installTimeoutMs', isPositive, 'a positive number of milliseconds');
  check('buildTimeoutMs', isPositive, 'a positive number of milliseconds');
  check('initializeTimeoutMs', isPositive, 'a positive number of milliseconds');
  check('maxCheckoutBytes', isPositive, 'a positive number of bytes');
  check('maxCheckoutFiles', isPositive, 'a positive number of files');
  check('maxPackages', isPositive, 'a positive number of packages');
  check('maxPackageBytes', isPositive, 'a positive number of bytes');
  check('maxInstallBytes', isPositive, 'a positive number of bytes');
  check('lockWaitMs', isPositive, 'a positive number of milliseconds');
  check(
    'allowedHosts',
    (v) => Array.isArray(v) && v.every((host) => typeof host === 'string' && /^[a-z0-9.-]+(:\d+)?$|^\[[0-9a-f:.]+\](:\d+)?$/.test(host)),
    'an array of lower-case host names',
  );
  check('npmRegistry', (v) => typeof v === 'string' && /^https?:\/\/[^/\s]+/.test(v), 'an http(s) registry URL');
  check('dispatcher', (v) => typeof v === 'object' && v !== null, 'an undici Dispatcher');
  check('onProgress', (v) => typeof v === 'function', 'a function');
  problems.push(...retryOptionsProblems(options.retry, 'retry'));
  check('retryByProvider', (v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'an object mapping provider ids to retry options');
  for (const [id, retry] of Object.entries(options.retryByProvider ?? {})) problems.push(...retryOptionsProblems(retry, `retryByProvider.${id}`));
  check('callLog', (v) => Array.isArray(v) && v.every((sink) => typeof sink?.write === 'function'), 'an array of call-log sinks (objects with write(record))');
  check('wrapModels', (v) => typeof v === 'boolean', 'a boolean');
  check('trainingDir', (v) => typeof v === 'string' && v !== '', 'a folder path');
  check('now', (v) => typeof v === 'function', 'a function returning milliseconds since the epoch');
  check('isolation', (v) => v === 'process' || v === 'none' || v === 'auto', '"process", "none" or "auto"');
  check('isolationMemoryMb', (v) => isPositive(v) && (v as number) >= 16, 'a number of MB, at least 16');
  check(
    'secretOrigins',
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      Object.values(v).every((list) => Array.isArray(list) && list.every((o) => typeof o === 'string' && URL.canParse(o) && /^https?:$/.test(new URL(o).protocol))),
    'an object mapping variable names to lists of http(s) origins',
  );
  const env = options.env ?? process.env;
  const isolationEnv = env.MEDIACONDUIT_ISOLATION;
  if (options.isolation === undefined && isolationEnv && !['process', 'none', 'auto'].includes(isolationEnv)) {
    problems.push(`MEDIACONDUIT_ISOLATION: expected "process", "none" or "auto", got ${JSON.stringify(isolationEnv)}`);
  }
  const envOrigins = parseSecretOrigins(env.MEDIACONDUIT_SECRET_ORIGINS ?? '');
  problems.push(...envOrigins.problems.map((p) => `MEDIACONDUIT_SECRET_ORIGINS: ${p}`));
  let envRewrites: Record<string, string> = {};
  try {
    envRewrites = parseUrlRewrites(env.MEDIACONDUIT_GIT_REWRITES);
  } catch (error) {
    problems.push(`MEDIACONDUIT_GIT_REWRITES: ${(error as Error).message}`);
  }
  if (problems.length > 0) {
    throw mcError('INVALID_OPTIONS', `createProviderRegistry: invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { details: { problems } });
  }
  const flag = (name: string) => env[name] === '1' || env[name] === 'true';
  const envMs = (name: string) => (env[name] && Number(env[name]) > 0 ? Number(env[name]) : undefined);
  const tokens: Record<string, string> = {};
  const githubToken = env.GITHUB_TOKEN || env.GH_TOKEN;
  if (githubToken) tokens['github.com'] = githubToken;
  if (env.MEDIACONDUIT_GIT_TOKEN) tokens[(env.MEDIACONDUIT_GIT_TOKEN_HOST || 'github.com').toLowerCase()] = env.MEDIACONDUIT_GIT_TOKEN;
  Object.assign(tokens, Object.fromEntries(Object.entries(options.tokens ?? {}).map(([host, token]) => [host.toLowerCase(), token])));
  const lockfile = options.lockfile ?? env.MEDIACONDUIT_LOCKFILE ?? join(process.cwd(), 'mediaconduit.lock.json');
  const cacheDir = resolve(options.cacheDir ?? env.MEDIACONDUIT_CACHE_DIR ?? 'cache');
  return {
    cacheDir,
    lockfile: lockfile === false || lockfile === '' ? false : resolve(lockfile),
    frozen: options.frozen ?? flag('MEDIACONDUIT_FROZEN_LOCKFILE'),
    offline: options.offline ?? flag('MEDIACONDUIT_OFFLINE'),
    rewrites: { ...envRewrites, ...options.rewrites },
    allowedHosts:
      options.allowedHosts ??
      (env.MEDIACONDUIT_ALLOWED_HOSTS
        ? env.MEDIACONDUIT_ALLOWED_HOSTS.split(',')
            .map((host) => host.trim().toLowerCase())
            .filter(Boolean)
        : undefined),
    tokens,
    npmRegistry: options.npmRegistry ?? (env.MEDIACONDUIT_NPM_REGISTRY || undefined),
    gitTimeoutMs: options.gitTimeoutMs ?? envMs('MEDIACONDUIT_GIT_TIMEOUT_MS') ?? 120_000,
    installTimeoutMs: options.installTimeoutMs ?? envMs('MEDIACONDUIT_INSTALL_TIMEOUT_MS') ?? 300_000,
    buildTimeoutMs: options.buildTimeoutMs ?? envMs('MEDIACONDUIT_BUILD_TIMEOUT_MS') ?? 120_000,
    initializeTimeoutMs: options.initializeTimeoutMs ?? envMs('MEDIACONDUIT_INITIALIZE_TIMEOUT_MS') ?? 60_000,
    maxCheckoutBytes: options.maxCheckoutBytes ?? envMs('MEDIACONDUIT_MAX_CHECKOUT_BYTES') ?? 100 * 1024 * 1024,
    maxCheckoutFiles: options.maxCheckoutFiles ?? envMs('MEDIACONDUIT_MAX_CHECKOUT_FILES') ?? 20_000,
    maxPackages: options.maxPackages ?? envMs('MEDIACONDUIT_MAX_PACKAGES') ?? 1_000,
    maxPackageBytes: options.maxPackageBytes ?? envMs('MEDIACONDUIT_MAX_PACKAGE_BYTES') ?? 128 * 1024 * 1024,
    maxInstallBytes: options.maxInstallBytes ?? envMs('MEDIACONDUIT_MAX_INSTALL_BYTES') ?? 512 * 1024 * 1024,
    lockWaitMs: options.lockWaitMs ?? envMs('MEDIACONDUIT_LOCK_WAIT_MS') ?? 600_000,
    dispatcher: options.dispatcher,
    logger: options.logger ?? createLogger('registry'),
    onProgress: options.onProgress ?? (() => {}),
    env,
    retry: options.retry,
    retryByProvider: options.retryByProvider ?? {},
    callLog: options.callLog ?? [],
    wrapModels: options.wrapModels ?? true,
    trainingDir: resolve(options.trainingDir ?? (env.MEDIACONDUIT_TRAINING_DIR || join(cacheDir, 'state', 'training'))),
    now: options.now ?? Date.now,
    isolation: options.isolation ?? ((isolationEnv as IsolationMode | 'auto' | undefined) || 'auto'),
    isolationSettings: {
      memoryMb: options.isolationMemoryMb ?? envMs('MEDIACONDUIT_ISOLATION_MEMORY_MB') ?? 512,
      heartbeatMs: envMs('MEDIACONDUIT_ISOLATION_HEARTBEAT_MS') ?? 5_000,
      restartBackoffMs: 1_000,
      restartMaxMs: 60_000,
    },
    secretOrigins: mergeOrigins(envOrigins.origins, options.secretOrigins ?? {}),
  };
}

function mergeOrigins(a: Readonly<Record<string, readonly string[]>>, b: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const source of [a, b]) for (const [name, list] of Object.entries(source)) out[name] = [...new Set([...(out[name] ?? []), ...list.map((o) => new URL(o).origin)])];
  return out;
}
