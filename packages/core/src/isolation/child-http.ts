import { Readable } from 'node:stream';
import type { HttpClientOptionsV1, HttpClientV1, HttpRequestV1, HttpResponseV1 } from '@mediaconduit/provider';
import type { ChildToHost, WireHttpRequest } from './protocol.js';
import { encodeError, type ContractModule, decodeError, type WireError } from './wire.js';

/** One request the host is making for this process: its response stream, once the headers came. */
interface Pending {
  resolve(response: HttpResponseV1): void;
  reject(error: unknown): void;
  body?: Readable;
  operation: string;
  /** The host ended or failed it (or the provider dropped its body): no more credit or abort to send. */
  done?: boolean;
}

/**
 * The HTTP client of a provider in its own process: every request goes to the host over IPC, and
 * the host makes it with its own client, adding the secrets it keeps where the manifest allows.
 * The response body streams back. Same behaviour as the host's client: the client's own headers go
 * to its base URL's origin only, and failures are typed errors.
 */
export class ChildHttp {
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly send: (message: ChildToHost) => void,
    private readonly contract: ContractModule,
  ) {}

  /** The factory handed to the provider as `context.createHttpClient`. */
  factory = (options: HttpClientOptionsV1): HttpClientV1 => {
    const base = URL.canParse(options.baseURL) ? new URL(options.baseURL) : undefined;
    if (!base || (base.protocol !== 'http:' && base.protocol !== 'https:') || base.username || base.password) {
      throw new this.contract.MediaConduitError({ code: 'INVALID_OPTIONS', message: 'baseURL: expected an http(s) URL without credentials, such as https://api.example.com/v1' });
    }
    const basePath = base.pathname.replace(/\/+$/, '');
    const timeoutMs = options.timeoutMs ?? 60_000;
    return {
      request: (request) => this.request(base, basePath, options, timeoutMs, request),
      toError: (operation, error, signal) => {
        if (this.contract.MediaConduitError.isInstance(error)) return error;
        if (signal?.aborted) return new this.contract.MediaConduitError({ code: 'ABORTED', message: `${operation}: aborted` });
        return error;
      },
      close: async () => {},
    };
  };

  private request(base: URL, basePath: string, options: HttpClientOptionsV1, timeoutMs: number, request: HttpRequestV1): Promise<HttpResponseV1> {
    const { MediaConduitError } = this.contract;
    let url: URL;
    if (request.path.startsWith('/')) url = new URL(basePath + request.path, base.origin);
    else if (URL.canParse(request.path) && /^https?:$/.test(new URL(request.path).protocol)) url = new URL(request.path);
    else return Promise.reject(new MediaConduitError({ code: 'INVALID_INPUT', message: `${request.operation}: expected a path starting with "/" or an http(s) URL` }));
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const fixed = url.origin === base.origin ? (typeof options.headers === 'function' ? options.headers() : options.headers) : undefined;
    const headers: Record<string, string> = { ...fixed, ...request.headers };
    if (request.json !== undefined) headers['content-type'] = 'application/json';
    if (request.signal?.aborted) return Promise.reject(new MediaConduitError({ code: 'ABORTED', message: `${request.operation}: aborted` }));
    const id = this.next++;
    const wire: WireHttpRequest = {
      method: request.method,
      url: url.href,
      headers,
      timeoutMs: request.timeoutMs ?? timeoutMs,
      operation: request.operation,
      ...(request.json !== undefined ? { json: JSON.stringify(request.json) } : {}),
      ...(request.body !== undefined ? { bytes: request.body } : {}),
    };
    return (async () => {
      if (request.form) wire.form = await formEntries(request.form);
      return new Promise<HttpResponseV1>((resolve, reject) => {
        const onAbort = () => {
          this.send({ t: 'http-abort', req: id });
          this.fail(id, encodeError(new MediaConduitError({ code: 'ABORTED', message: `${request.operation}: aborted` }), this.contract));
        };
        request.signal?.addEventListener('abort', onAbort, { once: true });
        const done = () => request.signal?.removeEventListener('abort', onAbort);
        this.pending.set(id, {
          operation: request.operation,
          resolve: (response) => resolve(response),
          reject: (error) => {
            done();
            reject(error);
          },
        });
        this.send({ t: 'http', req: id, request: wire });
      });
    })();
  }

  /** The response's status and headers arrived: the request resolves, its body follows. */
  head(id: number, status: number, headers: Record<string, string | string[] | undefined>): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    const send = this.send;
    // Each read the provider makes grants the host one more chunk: the body comes at its pace. A
    // body dropped before its end stops the host's request.
    const body = new Readable({
      read() {
        if (!pending.done) send({ t: 'http-credit', req: id, n: 1 });
      },
      destroy(error, callback) {
        if (!pending.done) send({ t: 'http-abort', req: id });
        pending.done = true;
        callback(error);
      },
    });
    pending.body = body;
    pending.resolve({ status, headers, body: withBodyHelpers(body) });
  }

  /**
   * A whole response in one message. Its body is still a stream, but `json()`, `text()` and
   * `arrayBuffer()` read the bytes as they are, without streaming them (the common case).
   */
  whole(id: number, status: number, headers: Record<string, string | string[] | undefined>, bytes: Uint8Array): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    let buffer: Buffer | undefined = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    /** The bytes, once: undefined when the stream has been read (a body is read once). */
    const take = () => {
      const taken = buffer;
      buffer = undefined;
      return taken;
    };
    const body = new Readable({
      read() {
        const taken = take();
        if (taken) this.push(taken);
        this.push(null);
      },
    });
    pending.resolve({ status, headers, body: withBodyHelpers(body, take) });
  }

  data(id: number, bytes: Uint8Array): void {
    this.pending.get(id)?.body?.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  end(id: number): void {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    if (!pending) return;
    pending.done = true;
    pending.body?.push(null);
  }

  fail(id: number, error: WireError): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.done = true;
    const rebuilt = decodeError(error, this.contract);
    if (pending.body) pending.body.destroy(rebuilt);
    else pending.reject(rebuilt);
  }
}

/**
 * `body` with the helpers a response body has: `json()`, `text()` and `arrayBuffer()` read it whole.
 * `whole`, when given, hands over the bytes of a response that came in one piece (undefined once
 * the stream was read), so that the helpers need not stream them.
 */
function withBodyHelpers(body: Readable, whole?: () => Buffer | undefined): HttpResponseV1['body'] {
  const all = async () => {
    const taken = whole?.();
    if (taken) return taken;
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  return Object.assign(body, {
    async arrayBuffer() {
      const bytes = await all();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
    text: async () => (await all()).toString('utf8'),
    json: async () => JSON.parse((await all()).toString('utf8')) as unknown,
  });
}

/** A FormData's entries as data: strings, and files as their bytes, type and name. */
async function formEntries(form: FormData): Promise<NonNullable<WireHttpRequest['form']>> {
  const entries: NonNullable<WireHttpRequest['form']> = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') entries.push({ name, value });
    else entries.push({ name, bytes: new Uint8Array(await value.arrayBuffer()), type: value.type, filename: (value as File).name });
  }
  return entries;
}
