import { type ErrorCode, type HttpClientFactoryV1, type HttpClientV1, type HttpRequestV1, type HttpResponseV1, type LoggerV1, MediaConduitError } from '@mediaconduit/provider';

/** fal's hosts, by what they serve. */
export type FalHost = 'queue' | 'run' | 'rest' | 'api';

const FAL_HOSTS: Readonly<Record<FalHost, string>> = {
  queue: 'https://queue.fal.run',
  run: 'https://fal.run',
  rest: 'https://rest.fal.ai',
  api: 'https://api.fal.ai',
};

/** What {@link FalClient} needs. */
export interface FalClientSettings {
  createHttpClient: HttpClientFactoryV1;
  /** The key (`<id>:<secret>`), or the host's stand-in for the one it keeps; read at the first call. */
  key: () => string | undefined;
  /**
   * One origin that mounts each of fal's hosts as a path prefix (`/queue`, `/run`, `/rest`, `/api`):
   * a proxy, or the fake of `@mediaconduit/fal-provider/testing`. Default: fal's own hosts.
   */
  baseURL?: string | undefined;
  timeoutMs: number;
  logger: LoggerV1;
  dispatcher?: object | undefined;
}

/** The largest single upload fal's storage takes (larger files go in parts, which this provider does not do). */
export const MAX_UPLOAD_BYTES = 90 * 2 ** 20;

/** Longest part of an error body quoted in a message. */
const MAX_SERVICE_TEXT = 1024;

/** fal's HTTP API: one keep-alive pool per host, `Authorization: Key …`, typed errors, no retries. */
export class FalClient {
  private readonly clients = new Map<FalHost | 'files', HttpClientV1>();

  constructor(private readonly settings: FalClientSettings) {}

  /** The base URL of `host`. */
  base(host: FalHost): string {
    return this.settings.baseURL ? `${this.settings.baseURL.replace(/\/+$/, '')}/${host}` : FAL_HOSTS[host];
  }

  /** Fails with `MISSING_CONFIGURATION` now when there is no key. */
  requireKey(): void {
    this.key();
  }

  hasKey(): boolean {
    return Boolean(this.settings.key());
  }

  private key(): string {
    const key = this.settings.key();
    if (!key) {
      throw new MediaConduitError({
        code: 'MISSING_CONFIGURATION',
        message: 'fal: no API key. Set FAL_KEY (the "<key id>:<key secret>" from https://fal.ai/dashboard/keys), or pass { apiKey } to createFal()',
      });
    }
    return key;
  }

  private client(host: FalHost): HttpClientV1 {
    let client = this.clients.get(host);
    if (!client) {
      const key = this.key();
      client = this.settings.createHttpClient({
        baseURL: this.base(host),
        dispatcher: this.settings.dispatcher,
        timeoutMs: this.settings.timeoutMs,
        headers: { authorization: `Key ${key}`, accept: 'application/json', 'user-agent': 'MediaConduit-fal/0.1' },
      });
      this.clients.set(host, client);
    }
    return client;
  }

  /** A JSON call to `host`; a status other than 2xx is a typed error. */
  async json<T>(host: FalHost, request: HttpRequestV1): Promise<{ body: T; requestId: string | undefined }> {
    const response = await this.client(host).request(request);
    if (response.status < 200 || response.status >= 300) throw await falError(request.operation, response);
    try {
      return { body: (await response.body.json()) as T, requestId: header(response, 'x-fal-request-id') };
    } catch (error) {
      const typed = this.client(host).toError(request.operation, error, request.signal);
      throw MediaConduitError.isInstance(typed)
        ? typed
        : new MediaConduitError({ code: 'INVALID_RESPONSE', message: `${request.operation}: the answer is not JSON`, cause: error });
    }
  }

  /** A call to `host` whose answer the caller reads, whatever its status. */
  raw(host: FalHost, request: HttpRequestV1): Promise<HttpResponseV1> {
    return this.client(host).request(request);
  }

  /** The client for URLs fal hands out (CDN files, signed upload URLs): with no headers of its own, so the key never goes there. */
  private files(): HttpClientV1 {
    let files = this.clients.get('files');
    if (!files) {
      files = this.settings.createHttpClient({ baseURL: this.base('run'), dispatcher: this.settings.dispatcher, timeoutMs: this.settings.timeoutMs });
      this.clients.set('files', files);
    }
    return files;
  }

  /** The bytes at a URL fal handed out (a CDN file): sent without the key, as it is another origin. */
  async download(url: string, operation: string, signal?: AbortSignal): Promise<Uint8Array> {
    const files = this.files();
    const response = await files.request({ method: 'GET', path: url, signal, operation });
    if (response.status < 200 || response.status >= 300) throw await falError(operation, response);
    try {
      return new Uint8Array(await response.body.arrayBuffer());
    } catch (error) {
      throw files.toError(operation, error, signal);
    }
  }

  /**
   * Uploads `bytes` through fal's storage, as fal's client does: `POST /storage/upload/initiate`
   * (with the key) names the file and returns a signed upload URL and the file's URL; the bytes go
   * to the signed URL by `PUT`, without the key. Resolves to the file's URL.
   */
  async upload(bytes: Uint8Array, file: { name: string; contentType: string }, operation: string, signal?: AbortSignal): Promise<string> {
    const { body } = await this.json<{ upload_url?: unknown; file_url?: unknown }>('rest', {
      method: 'POST',
      path: '/storage/upload/initiate',
      query: { storage_type: 'fal-cdn-v3' },
      json: { content_type: file.contentType, file_name: file.name },
      signal,
      operation: `${operation}: start the upload`,
    });
    const uploadUrl = typeof body.upload_url === 'string' && /^https?:\/\//i.test(body.upload_url) ? body.upload_url : undefined;
    const fileUrl = typeof body.file_url === 'string' && /^https?:\/\//i.test(body.file_url) ? body.file_url : undefined;
    if (!uploadUrl || !fileUrl) throw new MediaConduitError({ code: 'INVALID_RESPONSE', message: `${operation}: fal's storage answered without an upload_url and a file_url` });
    const files = this.files();
    const response = await files.request({ method: 'PUT', path: uploadUrl, body: bytes, headers: { 'content-type': file.contentType }, signal, operation: `${operation}: upload` });
    if (response.status < 200 || response.status >= 300) throw await falError(`${operation}: upload`, response);
    try {
      await response.body.arrayBuffer();
    } catch (error) {
      throw files.toError(`${operation}: upload`, error, signal);
    }
    return fileUrl;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close()));
    this.clients.clear();
  }
}

function header(response: HttpResponseV1, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** One field error of a 422 `detail` array (its `input`, which may echo the prompt, is never shown). */
interface FieldError {
  loc?: unknown[];
  msg?: string;
  type?: string;
}

/**
 * fal's error answers as typed errors: 401 `AUTHENTICATION_FAILED`, 403 `INSUFFICIENT_CREDITS`
 * (an exhausted balance) or `PERMISSION_DENIED`, 404 `MODEL_NOT_FOUND`, 422 `INVALID_INPUT` with
 * every field error (`CONTENT_REFUSED` for a content policy violation), 429 `RATE_LIMITED`, request
 * errors (`X-Fal-Error-Type`) `TIMEOUT` or `PROVIDER_ERROR`, retryable where fal's client retries.
 */
export async function falError(operation: string, response: HttpResponseV1): Promise<MediaConduitError> {
  let text = '';
  try {
    text = Buffer.from(await response.body.arrayBuffer())
      .subarray(0, 64 * 1024)
      .toString('utf8');
  } catch {}
  let body: { detail?: unknown; error?: { type?: string; message?: string }; error_type?: string } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {}
  const fields = Array.isArray(body?.detail) ? (body.detail as FieldError[]) : [];
  const errorType = header(response, 'x-fal-error-type') ?? body?.error_type ?? body?.error?.type;
  const said = fields.length
    ? fields.map((f) => `${(f.loc ?? []).filter((part) => part !== 'body').join('.') || 'input'}: ${f.msg ?? f.type ?? 'invalid'}`).join('; ')
    : typeof body?.detail === 'string'
      ? body.detail
      : (body?.error?.message ?? (body ? '' : text.trim()));
  const status = response.status;
  const code: ErrorCode = fields.some((f) => f.type === 'content_policy_violation')
    ? 'CONTENT_REFUSED'
    : status === 401
      ? 'AUTHENTICATION_FAILED'
      : status === 403
        ? /balance|credit/i.test(said)
          ? 'INSUFFICIENT_CREDITS'
          : 'PERMISSION_DENIED'
        : status === 404
          ? 'MODEL_NOT_FOUND'
          : status === 422 || status === 400
            ? 'INVALID_INPUT'
            : status === 429
              ? 'RATE_LIMITED'
              : status === 504 || errorType === 'request_timeout' || errorType === 'startup_timeout'
                ? 'TIMEOUT'
                : 'PROVIDER_ERROR';
  const retryable = status === 429 || status === 502 || status === 503 || status === 504 || (status >= 500 && code === 'PROVIDER_ERROR');
  const requestId = header(response, 'x-fal-request-id');
  return new MediaConduitError({
    code,
    message: `${operation}: fal answered ${status}${said ? `: ${said.slice(0, MAX_SERVICE_TEXT)}` : ''}`,
    retryable,
    status,
    ...(errorType ? { providerCode: errorType } : {}),
    ...(requestId ? { requestId } : {}),
    details: fields.length ? { fieldErrors: fields.map((f) => ({ loc: f.loc ?? [], msg: f.msg ?? '', type: f.type ?? '' })) } : {},
  });
}
