import type { HttpClientFactoryV1 } from './http-client-v1.js';
import type { LoggerV1 } from './logger-v1.js';

/** What the registry hands a provider's factory. */
export interface ProviderContextV1 {
  /** Always `v1`. */
  readonly specificationVersion: 'v1';
  /** The provider's manifest id and version. */
  readonly manifest: { readonly id: string; readonly name: string; readonly version: string };
  /** Settings the caller passed to `getProvider(specifier, { config })`, such as `apiKey` or `baseURL`. */
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * An environment variable the manifest declares under `env`, or a value the caller passed in
   * `config.env`. Variables the manifest does not declare are not readable here.
   */
  env(name: string): string | undefined;
  /** Like {@link env}, but throws `MISSING_CONFIGURATION` naming the variable and how to set it. */
  requireEnv(name: string): string;
  /**
   * The HTTP dispatcher (an undici `Dispatcher`) the host wants remote providers to use, when it set one.
   * Providers keep their own pool otherwise; they never replace the global dispatcher.
   */
  readonly dispatcher: object | undefined;
  /**
   * Makes an HTTP client owned by the host (undici, one keep-alive pool each, the host's
   * dispatcher by default). Remote providers send their requests through it, so that a host can
   * later broker them; the client's own headers go to its base URL's origin only.
   */
  readonly createHttpClient: HttpClientFactoryV1;
  /** Scoped logger. */
  readonly logger: LoggerV1;
  /** Aborted when the registry is closed; long-lived work should stop then. */
  readonly signal: AbortSignal;
  /**
   * The host's clock, in milliseconds since the epoch (`Date.now` unless the host injects one, as
   * tests do). Providers that simulate time (the mock's training) read it instead of `Date.now()`.
   */
  readonly now?: () => number;
  /**
   * A folder of the provider's own that every process of the host sees (under the registry's
   * cache), for state a simulated or local service keeps between processes. Absent when the host
   * offers none.
   */
  readonly dataDir?: string;
}
