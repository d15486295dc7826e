import { MediaConduitError, type HttpClientV1 as HttpClient, type HttpRequestV1 as HttpRequest, type HttpResponseV1 as HttpResponse } from '@mediaconduit/provider';
import { serviceMessage, togetherError } from './together-errors.js';
import { baseUrlProblem, type ResolvedTogetherSettings } from './together-settings.js';

/** The response's `x-request-id`, when it has one. */
export function requestIdOf(response: HttpResponse): string | undefined {
  const requestId = response.headers['x-request-id'];
  return typeof requestId === 'string' ? requestId : undefined;
}

const DEFAULT_BASE_URL = 'https://api.together.ai/v1';

/** The Together HTTP API: auth, JSON, typed errors. One keep-alive pool per provider; no retries. */
export class TogetherClient {
  private readonly http: HttpClient;
  private fixedHeaders: Readonly<Record<string, string>> | undefined;
  readonly baseURL: string;
  readonly timeoutMs: number;

  constructor(private readonly settings: ResolvedTogetherSettings) {
    // The setting was checked with the others; the environment's value is checked here.
    const fromEnv = settings.baseURL === undefined ? settings.env('TOGETHER_BASE_URL') || undefined : undefined;
    const problem = fromEnv === undefined ? undefined : baseUrlProblem(fromEnv);
    if (problem) throw new MediaConduitError({ code: 'INVALID_OPTIONS', message: `together: TOGETHER_BASE_URL: ${problem}` });
    this.baseURL = settings.baseURL ?? fromEnv ?? DEFAULT_BASE_URL;
    this.timeoutMs = settings.timeoutMs ?? 120_000;
    this.http = settings.createHttpClient({
      baseURL: this.baseURL,
      dispatcher: settings.dispatcher,
      connections: settings.connections ?? 64,
      timeoutMs: this.timeoutMs,
      // Built once, at the first call that has a key (the key is read lazily, then kept).
      headers: () => (this.fixedHeaders ??= { ...settings.headers, authorization: `Bearer ${this.apiKey()}`, 'user-agent': 'MediaConduit-Together/0.1' }),
    });
  }

  /** Whether a key is configured (without throwing). */
  hasKey(): boolean {
    return Boolean(this.settings.apiKey ?? this.settings.env('TOGETHER_API_KEY'));
  }

  /** The API key: setting, then config, then `TOGETHER_API_KEY`; `MISSING_API_KEY` says how to set one. */
  apiKey(): string {
    const key = this.settings.apiKey ?? this.settings.env('TOGETHER_API_KEY');
    if (!key) {
      throw new MediaConduitError({
        code: 'MISSING_API_KEY',
        message:
          'together: no API key. Set TOGETHER_API_KEY in the environment, or pass { apiKey } to createTogether(), or { config: { apiKey } } to registry.getProvider(). Keys are at https://api.together.ai/settings/api-keys',
      });
    }
    return key;
  }

  /** Sends a request; any status other than 2xx becomes a typed error. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    if (!this.fixedHeaders) this.apiKey();
    const response = await this.http.request(request);
    if (response.status >= 200 && response.status < 300) return response;
    const error = await togetherError(request.operation, response);
    // A service or proxy that echoes the key in its error text must not put it in ours.
    const key = this.settings.apiKey ?? this.settings.env('TOGETHER_API_KEY');
    if (key && error.message.includes(key)) {
      error.message = error.message.split(key).join('***');
      error.stack = error.stack?.split(key).join('***');
    }
    throw error;
  }

  /**
   * Sends a request and parses its JSON answer. A 2xx answer that is an error envelope
   * (`{"error": …}`) fails with the service's own message.
   */
  async json<T>(request: HttpRequest): Promise<{ body: T; requestId: string | undefined }> {
    const response = await this.send(request);
    let body: T;
    try {
      body = (await response.body.json()) as T;
    } catch (error) {
      throw this.bodyError(request, error);
    }
    const envelope = (body as { error?: unknown } | null)?.error;
    if (envelope !== undefined && envelope !== null && typeof body === 'object' && !('choices' in (body as object)) && !('data' in (body as object))) {
      const message = serviceMessage('', body as never, response.status);
      throw new MediaConduitError({
        code: 'PROVIDER_ERROR',
        status: response.status,
        message: `${request.operation}: Together answered ${response.status} with an error: ${message}`,
        ...(typeof envelope === 'object' && envelope !== null && typeof (envelope as { code?: unknown }).code === 'string'
          ? { providerCode: (envelope as { code: string }).code }
          : {}),
        ...(requestIdOf(response) ? { requestId: requestIdOf(response)! } : {}),
      });
    }
    return { body, requestId: requestIdOf(response) };
  }

  /** Reads a whole binary answer. */
  async bytes(request: HttpRequest): Promise<{ bytes: Uint8Array; contentType: string; requestId: string | undefined }> {
    const response = await this.send(request);
    try {
      const bytes = new Uint8Array(await response.body.arrayBuffer());
      return { bytes, contentType: String(response.headers['content-type'] ?? 'application/octet-stream'), requestId: requestIdOf(response) };
    } catch (error) {
      throw this.bodyError(request, error);
    }
  }

  /** An error while reading a body: network-level, or an answer that is not the JSON promised. */
  bodyError(request: HttpRequest, error: unknown): unknown {
    const mapped = this.http.toError(request.operation, error, request.signal, request.timeoutMs ?? this.timeoutMs);
    if (mapped !== error || MediaConduitError.isInstance(error)) return mapped;
    return invalidResponse(request.operation, `the answer could not be read: ${(error as Error).message}`, error);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

/** The service answered 2xx with something that is not what the API promises: the service's fault, not the caller's. */
export function invalidResponse(operation: string, what: string, cause?: unknown): MediaConduitError {
  return new MediaConduitError({
    code: 'INVALID_RESPONSE',
    message: `${operation}: Together's answer is malformed: ${what}; this is a fault of the service (or of a proxy in between), not of the request`,
    ...(cause === undefined ? {} : { cause }),
    // Retrying may help, but the call may have been billed: the runtime retries it only when told to (retryInvalidResponse).
    retryable: true,
  });
}
