import { MediaConduitError, type HttpClientOptionsV1, type HttpClientV1, type HttpRequestV1, type HttpResponseV1 } from '@mediaconduit/provider';
import { abortError, mcError } from '../util/errors.js';

type Undici = typeof import('undici');
let undiciModule: Promise<Undici> | undefined;
let undiciLoaded: Undici | undefined;
/** undici is loaded on the first request, so importing core stays fast. */
const loadUndici = () => (undiciModule ??= import('undici').then((module) => (undiciLoaded = module)));

/** undici's `Dispatcher#request` in callback form; it works with any object that has `dispatch()`. */
type DispatchRequest = (
  this: object,
  options: object,
  callback: (error: Error | null, data: { statusCode: number; headers: HttpResponseV1['headers']; body: unknown }) => void,
) => void;

/** A request whose body is given as it is sent (the host forwarding an isolated provider's request): internal, not part of the contract. */
export type RawBodyRequest = HttpRequestV1 & { rawBody?: string | Uint8Array };

/** Changes a request's headers for its origin, last: how the host adds the secrets it keeps (see `addKeptSecrets`). */
export type HeaderDecorator = (origin: string, headers: Record<string, string>) => Record<string, string>;

/**
 * Creates an {@link HttpClientV1} (what `context.createHttpClient` gives providers). The base URL
 * must be an http(s) URL without credentials (else `INVALID_OPTIONS`). `decorate`, when given, sees
 * every request's origin and headers last.
 */
export function createHttpClient(options: HttpClientOptionsV1, decorate?: HeaderDecorator): HttpClientV1 {
  const problem = httpBaseUrlProblem(options.baseURL);
  if (problem) throw mcError('INVALID_OPTIONS', `baseURL: ${problem}`);
  const base = new URL(options.baseURL);
  // Parsed once: requests to the base URL are dispatched as (origin, path) with no URL parsing.
  const origin = base.origin;
  const basePath = base.pathname.replace(/\/+$/, '');
  const timeout = options.timeoutMs ?? 60_000;
  let own: object | undefined;
  let jsonHeadersFor: unknown;
  let jsonHeaders: Record<string, string> = {};
  // The client's own pool carries the default timeouts; requests set them only when they differ.
  const dispatcherFor = (undici: Undici) => {
    if (options.dispatcher) return options.dispatcher;
    own ??= new undici.Agent({ connections: options.connections ?? 64, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, headersTimeout: timeout, bodyTimeout: timeout });
    return own;
  };

  function send(undici: Undici, request: HttpRequestV1): Promise<HttpResponseV1> {
    return new Promise((resolve, reject) => {
      try {
        // A path is joined to the base URL; an absolute URL (an image to download, say) is parsed.
        // The client's own headers (the API key among them) go only to the base URL's origin.
        let target = origin;
        let path: string;
        let sameOrigin = true;
        if (request.path.startsWith('/')) {
          path = basePath + request.path;
        } else {
          // (The URL is not echoed: a signed download URL carries its credentials in the query.)
          const url = httpUrl(request.path);
          if (!url) throw mcError('INVALID_INPUT', `${request.operation}: expected a path starting with "/" or an http(s) URL`);
          target = url.origin;
          path = url.pathname + url.search;
          sameOrigin = target === origin;
        }
        if (request.query) {
          const search = new URLSearchParams();
          for (const [key, value] of Object.entries(request.query)) if (value !== undefined) search.set(key, String(value));
          const text = search.toString();
          if (text) path += `${path.includes('?') ? '&' : '?'}${text}`;
        }
        const fixed = sameOrigin ? (typeof options.headers === 'function' ? options.headers() : options.headers) : undefined;
        let headers: Record<string, string>;
        if (sameOrigin && request.headers === undefined && request.json !== undefined) {
          // The common case (a JSON call with the client's headers) reuses one header object.
          if (jsonHeadersFor !== fixed) {
            jsonHeadersFor = fixed;
            jsonHeaders = { ...fixed, 'content-type': 'application/json' };
          }
          headers = jsonHeaders;
        } else {
          headers = Object.assign({}, fixed, request.headers);
          if (request.json !== undefined) headers['content-type'] = 'application/json';
        }
        if (decorate) headers = decorate(target, headers);
        const dispatchOptions: Record<string, unknown> = {
          origin: target,
          path,
          method: request.method,
          headers,
          body:
            request.json !== undefined
              ? JSON.stringify(request.json)
              : request.form
                ? toUndiciForm(undici, request.form)
                : (request.body ?? (request as RawBodyRequest).rawBody ?? null),
          signal: request.signal,
        };
        const perRequestTimeout = request.timeoutMs ?? (options.dispatcher ? timeout : undefined);
        if (perRequestTimeout !== undefined) dispatchOptions.headersTimeout = dispatchOptions.bodyTimeout = perRequestTimeout;
        (undici.Dispatcher.prototype.request as unknown as DispatchRequest).call(dispatcherFor(undici), dispatchOptions, (error, data) => {
          if (error) reject(httpError(request.operation, error, request.signal, request.timeoutMs ?? timeout));
          else resolve({ status: data.statusCode, headers: data.headers, body: data.body as HttpResponseV1['body'] });
        });
      } catch (error) {
        reject(httpError(request.operation, error, request.signal, request.timeoutMs ?? timeout));
      }
    });
  }

  return {
    toError: (operation, error, signal, timeoutMs) => httpError(operation, error, signal, timeoutMs ?? timeout),
    // The hot path has no await and no URL parsing: this runs once per model call.
    request: (request) => (undiciLoaded ? send(undiciLoaded, request) : loadUndici().then((undici) => send(undici, request))),
    async close() {
      const agent = own as { close(): Promise<void> } | undefined;
      own = undefined;
      await agent?.close();
    },
  };
}

/**
 * What is wrong with `url` as an API base URL, or undefined when it is a usable http(s) URL. The
 * URL itself is not repeated: it may carry credentials, which are refused for that reason.
 */
export function httpBaseUrlProblem(url: string): string | undefined {
  const parsed = httpUrl(url);
  if (!parsed) return `expected an http(s) URL such as https://api.example.com/v1, got ${URL.canParse(url) ? `a "${new URL(url).protocol}" URL` : 'text that is not a URL'}`;
  if (parsed.username || parsed.password) return 'credentials in the URL would end up in logs; send them as headers instead';
  return undefined;
}

/** `text` parsed as a URL when it is an http(s) one. */
function httpUrl(text: string): URL | undefined {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  return url?.protocol === 'http:' || url?.protocol === 'https:' ? url : undefined;
}

/**
 * Copies a FormData into undici's own class: undici 7 cannot read the body of Node 20's global
 * FormData (their Blob handling differs), but takes Node's Blob and File values as they are.
 */
function toUndiciForm(undici: Undici, form: FormData): InstanceType<Undici['FormData']> {
  const out = new undici.FormData();
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') out.append(name, value);
    else out.append(name, value as never, (value as File).name);
  }
  return out;
}

/**
 * Turns a network-level failure (while sending, or while reading a body) into a typed error:
 * `ABORTED`, `TIMEOUT` or `CONNECTION_FAILED` (both retryable). Other errors pass through.
 */
export function httpError(operation: string, error: unknown, signal: AbortSignal | undefined, timeoutMs: number): unknown {
  if (MediaConduitError.isInstance(error)) return error;
  if (signal?.aborted) return abortError(operation, signal);
  const code = (error as { code?: string })?.code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (/TIMEOUT/.test(code))
    return mcError('TIMEOUT', `${operation}: no answer within ${timeoutMs} ms (${code}); raise the timeout or try again`, { cause: error, retryable: true });
  if (
    /UND_ERR_(SOCKET|CLOSED|DESTROYED|ABORTED)|ECONN|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|UND_ERR_RES_CONTENT_LENGTH/.test(code) ||
    /other side closed|socket hang up|terminated/i.test(message)
  ) {
    return mcError('CONNECTION_FAILED', `${operation}: the connection failed (${code || message}); check the base URL and the network, or try again`, {
      cause: error,
      retryable: true,
    });
  }
  return error;
}
