import { MediaConduitError, type HttpClientFactoryV1, type LoggerV1 } from '@mediaconduit/provider';

/** Settings of {@link createTogether}. Everything is optional. */
export interface TogetherSettings {
  /** API key. Default: the provider config's `apiKey`, then `TOGETHER_API_KEY`. Read lazily, at the first call. */
  apiKey?: string;
  /** API base URL. Default: `TOGETHER_BASE_URL`, else `https://api.together.ai/v1`. */
  baseURL?: string;
  /** An undici `Dispatcher` to send requests through, instead of the provider's own keep-alive pool. */
  dispatcher?: object;
  /** How long the discovered model list stays fresh, in milliseconds. Default 10 minutes. */
  modelsTtlMs?: number;
  /** Time to wait for an answer (headers, and between body chunks), in milliseconds. Default 120 000. */
  timeoutMs?: number;
  /** Connections per origin of the provider's pool. Default 64. */
  connections?: number;
  /** Extra headers for every request (never logged). */
  headers?: Readonly<Record<string, string>>;
}

/** Settings plus what the registry passes along. */
export interface ResolvedTogetherSettings extends TogetherSettings {
  createHttpClient: HttpClientFactoryV1;
  env: (name: string) => string | undefined;
  logger: LoggerV1;
  now: () => number;
}

const KNOWN = ['apiKey', 'baseURL', 'dispatcher', 'modelsTtlMs', 'timeoutMs', 'connections', 'headers', 'env'];

/** Checks settings strictly; every problem is reported at once as `INVALID_OPTIONS`. */
export function checkTogetherSettings(settings: Readonly<Record<string, unknown>>): void {
  const problems: string[] = [];
  for (const key of Object.keys(settings)) if (!KNOWN.includes(key)) problems.push(`${key}: unknown setting; expected one of ${KNOWN.filter((k) => k !== 'env').join(', ')}`);
  const string = (key: string) =>
    settings[key] !== undefined && (typeof settings[key] !== 'string' || settings[key] === '') && problems.push(`${key}: expected a non-empty string`);
  const positive = (key: string) =>
    settings[key] !== undefined &&
    !(typeof settings[key] === 'number' && Number.isFinite(settings[key]) && (settings[key] as number) > 0) &&
    problems.push(`${key}: expected a positive number`);
  string('apiKey');
  string('baseURL');
  positive('modelsTtlMs');
  positive('timeoutMs');
  positive('connections');
  const urlProblem = typeof settings.baseURL === 'string' && settings.baseURL !== '' ? baseUrlProblem(settings.baseURL) : undefined;
  if (urlProblem) problems.push(`baseURL: ${urlProblem}`);
  if (
    settings.dispatcher !== undefined &&
    (typeof settings.dispatcher !== 'object' || settings.dispatcher === null || typeof (settings.dispatcher as { dispatch?: unknown }).dispatch !== 'function')
  )
    problems.push('dispatcher: expected an undici Dispatcher (Agent, Pool, …)');
  if (problems.length > 0) {
    throw new MediaConduitError({ code: 'INVALID_OPTIONS', message: `together: invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`, details: { problems } });
  }
}

/** Why `url` cannot be the API's base URL, or `undefined`. The URL itself is never repeated (it may hold a secret). */
export function baseUrlProblem(url: string): string | undefined {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:')
    return `expected an http(s) URL such as https://api.example.com/v1, got ${parsed ? `a "${parsed.protocol}" URL` : 'text that is not a URL'}`;
  if (parsed.username || parsed.password) return 'credentials in the URL would end up in logs; send them as headers instead';
  return undefined;
}
