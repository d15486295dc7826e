import type { Readable } from 'node:stream';

/** Options of {@link ProviderContextV1.createHttpClient}. */
export interface HttpClientOptionsV1 {
  /** Base URL that relative request paths are joined to, e.g. `https://api.together.ai/v1`. */
  baseURL: string;
  /** Headers sent with every request to the base URL's origin (a function is called per request, e.g. to read a key lazily). */
  headers?: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>);
  /** An undici `Dispatcher` to use instead of the client's own keep-alive pool (it is not closed by `close()`). */
  dispatcher?: object | undefined;
  /** Connections per origin of the client's own pool. Default 64. */
  connections?: number;
  /** Time to wait for response headers, and between body chunks, in milliseconds. Default 60 000. */
  timeoutMs?: number;
}

/** One HTTP request. */
export interface HttpRequestV1 {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /**
   * A path joined to the base URL (`/models`), or an absolute http(s) URL. The client's own
   * headers (an API key, say) are sent only to the base URL's origin.
   */
  path: string;
  query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** A JSON body (sets `content-type: application/json`). */
  json?: unknown;
  /** A multipart body. */
  form?: FormData;
  /** Raw bytes as the body (an upload); give its `content-type` in `headers`. */
  body?: Uint8Array;
  headers?: Readonly<Record<string, string>>;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
  /** For messages: what the request does, e.g. `together chat meta-llama/…`. */
  operation: string;
}

/** A response whose body has not been read yet. */
export interface HttpResponseV1 {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body stream; also has `json()`, `text()` and `arrayBuffer()`. */
  body: Readable & { json(): Promise<unknown>; text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer> };
}

/**
 * The host's HTTP client, one keep-alive pool per client. Network failures reject with typed
 * `MediaConduitError`s (`TIMEOUT`, `CONNECTION_FAILED`, `ABORTED`); it never retries and never
 * changes the process's global dispatcher.
 */
export interface HttpClientV1 {
  /** Sends a request; resolves when the headers have arrived, whatever the status. */
  request(request: HttpRequestV1): Promise<HttpResponseV1>;
  /**
   * Maps an error thrown while reading a response body (a reset, a timeout, an abort) to a typed
   * `MediaConduitError` for `operation`; returns any other error unchanged.
   */
  toError(operation: string, error: unknown, signal?: AbortSignal, timeoutMs?: number): unknown;
  /** Closes the client's own pool (not a dispatcher passed in). */
  close(): Promise<void>;
}

/** Makes an {@link HttpClientV1}; a bad base URL throws `INVALID_OPTIONS` (the URL itself is never echoed). */
export type HttpClientFactoryV1 = (options: HttpClientOptionsV1) => HttpClientV1;
