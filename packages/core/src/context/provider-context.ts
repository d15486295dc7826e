import type { HttpClientFactoryV1, LoggerV1, ProviderContextV1 } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import { createHttpClient } from '../http/http-client.js';
import { addKeptSecrets, isSecretVariable, KEPT_BY_HOST, keptSecrets, warnWithheld } from './kept-secrets.js';
import type { ManifestEnvVar } from '../manifest/manifest.js';

/**
 * The loader's own Git credentials. A provider never gets them from the host's environment, even
 * when its manifest declares one of these names: only a value passed on purpose in
 * `config.env` reaches it.
 */
export const LOADER_CREDENTIALS: ReadonlySet<string> = new Set(['GITHUB_TOKEN', 'GH_TOKEN', 'MEDIACONDUIT_GIT_TOKEN']);

/** Where a provider's variables come from, as the host sees them. */
export interface ProviderVariables {
  declared: readonly ManifestEnvVar[];
  /** The caller's `config.env` overrides. */
  overrides: Readonly<Record<string, string | undefined>>;
  environment: NodeJS.ProcessEnv;
}

/** The host's value of a declared variable (an override first, then the environment; never a loader credential from it). */
export function hostValue(variables: ProviderVariables, name: string): string | undefined {
  if (!variables.declared.some((v) => v.name === name)) return undefined;
  return variables.overrides[name] ?? (LOADER_CREDENTIALS.has(name) ? undefined : variables.environment[name]);
}

/**
 * What an isolated provider may see of its variables: the values of the declared ones that are not
 * secret, and whether the host has a value for each secret it keeps. Nothing else crosses.
 */
export interface IsolatedVariables {
  values: Readonly<Record<string, string>>;
  /** Kept secrets (names) the host has a value for. */
  kept: readonly string[];
}

/** The part of a provider's variables an isolated provider receives (see {@link IsolatedVariables}). */
export function isolatedVariables(variables: ProviderVariables): IsolatedVariables {
  const values: Record<string, string> = {};
  const kept: string[] = [];
  for (const variable of variables.declared) {
    const value = hostValue(variables, variable.name);
    if (!value) continue;
    if (typeof variable.secret === 'object') kept.push(variable.name);
    else if (!isSecretVariable(variable)) values[variable.name] = value;
  }
  return { values, kept };
}

/** Builds the context a provider factory receives. */
export function createProviderContext(options: {
  manifest: { id: string; name: string; version: string; env: readonly ManifestEnvVar[] };
  config: Readonly<Record<string, unknown>>;
  dispatcher: object | undefined;
  logger: LoggerV1;
  signal: AbortSignal;
  environment?: NodeJS.ProcessEnv;
  now?: (() => number) | undefined;
  dataDir?: string | undefined;
  /** Origins the host's operator allows a kept secret to go to besides the manifest's (`secretOrigins`). */
  secretOrigins?: Readonly<Record<string, readonly string[]>> | undefined;
  /**
   * For a provider in a child process: what it may see of its variables (its environment is not
   * read), and the client factory that sends its requests to the host.
   */
  isolated?: { variables: IsolatedVariables; createHttpClient: HttpClientFactoryV1 } | undefined;
}): ProviderContextV1 {
  const declared = new Map(options.manifest.env.map((v) => [v.name, v]));
  const variables: ProviderVariables = {
    declared: options.manifest.env,
    overrides: (options.config.env ?? {}) as Readonly<Record<string, string | undefined>>,
    environment: options.environment ?? process.env,
  };
  const isolated = options.isolated;
  const keptByName = new Set(options.manifest.env.filter((v) => typeof v.secret === 'object').map((v) => v.name));
  // A kept secret is never handed to the provider: env() gives nothing, requireEnv() a stand-in.
  const env = (name: string) => {
    if (keptByName.has(name)) return undefined;
    return isolated ? isolated.variables.values[name] : hostValue(variables, name);
  };
  const hasKept = (name: string) => (isolated ? isolated.variables.kept.includes(name) : Boolean(hostValue(variables, name)));
  const kept = keptSecrets(options.manifest.env, options.secretOrigins);
  const withheld = warnWithheld((message) => options.logger.warn(`${options.manifest.id}: ${message}`));
  const decorate =
    kept.length > 0 ? (origin: string, headers: Record<string, string>) => addKeptSecrets(origin, headers, kept, (name) => hostValue(variables, name), withheld) : undefined;
  return {
    specificationVersion: 'v1',
    manifest: { id: options.manifest.id, name: options.manifest.name, version: options.manifest.version },
    config: options.config,
    env,
    requireEnv(name) {
      if (keptByName.has(name) && hasKept(name)) return KEPT_BY_HOST;
      const value = env(name);
      if (value) return value;
      throw missing(options.manifest.id, name, declared.get(name), Boolean(isolated));
    },
    dispatcher: isolated ? undefined : options.dispatcher,
    createHttpClient: isolated
      ? isolated.createHttpClient
      : (clientOptions) =>
          createHttpClient({ ...clientOptions, ...(options.dispatcher && clientOptions.dispatcher === undefined ? { dispatcher: options.dispatcher } : {}) }, decorate),
    logger: options.logger,
    signal: options.signal,
    now: options.now ?? Date.now,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  };
}

function missing(id: string, name: string, variable: ManifestEnvVar | undefined, isolated: boolean) {
  if (!variable) return mcError('MISSING_CONFIGURATION', `${id}: ${name} is not declared under env in MediaConduit.provider.yml; declare it there to read it`);
  if (LOADER_CREDENTIALS.has(name)) {
    return mcError(
      'MISSING_CONFIGURATION',
      `${id}: ${name} is the loader's own Git credential, so it is never read from the environment for a provider; pass a value for the provider on purpose with { config: { env: { ${name}: … } } }`,
    );
  }
  if (isolated && isSecretVariable(variable) && typeof variable.secret !== 'object') {
    return mcError(
      'MISSING_CONFIGURATION',
      `${id}: ${name} is a secret, and a provider in its own process never receives secrets; its manifest must say where the host sends it (env: - name: ${name}, secret: { origins: [https://…], header: "Authorization: Bearer {value}" }), or load it with isolation 'none'`,
    );
  }
  return mcError(
    'MISSING_CONFIGURATION',
    `${id}: ${name} is not set (${variable.description || 'see the provider README'}); export ${name}=… or pass { config: { env: { ${name}: … } } } to getProvider`,
  );
}
