import type { MediaProviderV1 } from '@mediaconduit/provider';
import { boundProxy } from '../util/bound-proxy.js';
import { memberNames } from '../util/member-names.js';
import { redact, redactError } from '../util/redact.js';
import { isSecretVariable, secretConfigEntries } from '../context/kept-secrets.js';
import type { ManifestEnvVar } from '../manifest/manifest.js';

/** Where one loaded provider instance's secrets are: its declared variables and its config. */
interface SecretSource {
  declared: readonly Pick<ManifestEnvVar, 'name' | 'secret'>[];
  config: Readonly<Record<string, unknown>>;
}

/**
 * Every secret a registry knows of, and the one redaction every error and record passes through.
 * Known secrets: the Git tokens; the value of every declared variable that is secret (by
 * declaration, or by a name such as `*_API_KEY`), from the config's `env` or the environment; and
 * every config value, at any depth, whose key says it is secret. Values are read only when
 * something is redacted, never on a load.
 */
export class Secrets {
  private readonly sources = new Map<string, SecretSource>();

  constructor(
    private readonly tokens: Readonly<Record<string, string>>,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Knows the secrets of the instance `key` from now on (before it is imported: its load errors are redacted too). */
  add(key: string, source: SecretSource): void {
    this.sources.set(key, source);
  }

  delete(key: string): void {
    this.sources.delete(key);
  }

  *values(): Iterable<string> {
    yield* Object.values(this.tokens);
    for (const { declared, config } of this.sources.values()) {
      const overrides = (config.env ?? {}) as Readonly<Record<string, unknown>>;
      for (const variable of declared) {
        if (!isSecretVariable(variable)) continue;
        const value = overrides[variable.name] ?? this.env[variable.name];
        if (typeof value === 'string') yield value;
      }
      for (const entry of secretConfigEntries(config)) yield entry.value;
    }
  }

  /** `text` without any known secret or `Bearer` value. */
  redact = (text: string): string => redact(text, this.values(), { bearer: true });

  /** `error` (message, stack, details, cause chain) without any known secret, in place. */
  redactError = <T>(error: T): T => redactError(error, this.redact);
}

/**
 * `provider` with every error its methods throw or reject with passed through `redactError`:
 * `listModels`, `getModel`, `isAvailable`, `getHealth`, training and the rest. Models it hands out
 * are guarded by `guardModel` (the runtime's wrapped models redact on their own).
 */
export function guardProvider(provider: MediaProviderV1, redactError: <T>(error: T) => T, guardModel?: (model: unknown) => unknown): MediaProviderV1 {
  const overrides: Record<string, unknown> = {};
  for (const name of memberNames(provider)) {
    const member = (provider as unknown as Record<string, unknown>)[name];
    if (typeof member !== 'function') continue;
    const guarded = guardFunction(member.bind(provider) as (...args: unknown[]) => unknown, redactError);
    overrides[name] = name === 'getModel' && guardModel ? (...args: unknown[]) => (guarded(...args) as Promise<unknown>).then(guardModel) : guarded;
  }
  return boundProxy(provider, overrides);
}

/** A model (handed out without the runtime's wrapper) whose calls' errors are redacted, streams included. */
export function guardModel(model: unknown, redactError: <T>(error: T) => T): unknown {
  if (typeof model !== 'object' || model === null) return model;
  const overrides: Record<string, unknown> = {};
  for (const name of ['transform', 'transformMany'] as const) {
    const member = (model as Record<string, unknown>)[name];
    if (typeof member === 'function') overrides[name] = guardFunction(member.bind(model) as (...args: unknown[]) => unknown, redactError);
  }
  const stream = (model as Record<string, unknown>).stream;
  if (typeof stream === 'function') {
    overrides.stream = async function* (...args: unknown[]) {
      try {
        yield* (stream as (...a: unknown[]) => AsyncIterable<unknown>).apply(model, args);
      } catch (error) {
        throw redactError(error);
      }
    };
  }
  return boundProxy(model as object, overrides);
}

function guardFunction(fn: (...args: unknown[]) => unknown, redactError: <T>(error: T) => T): (...args: unknown[]) => unknown {
  return (...args) => {
    let result: unknown;
    try {
      result = fn(...args);
    } catch (error) {
      throw redactError(error);
    }
    return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(redactError(error))) : result;
  };
}
