import { MediaConduitError, type ErrorCode, type HttpResponseV1 as HttpResponse } from '@mediaconduit/provider';

const header = (response: HttpResponse, name: string): string | undefined => {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** How long the API asked us to wait: `retry-after-ms`, then `retry-after` (seconds or a date), then `x-ratelimit-reset`. */
export function retryAfterMs(response: HttpResponse, now = Date.now()): number | undefined {
  const ms = Number(header(response, 'retry-after-ms'));
  if (header(response, 'retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const after = header(response, 'retry-after');
  if (after !== undefined) {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = Number(header(response, 'x-ratelimit-reset'));
  return header(response, 'x-ratelimit-reset') !== undefined && Number.isFinite(reset) ? reset * 1000 : undefined;
}

/** The `x-ratelimit-*` and `x-tokenlimit-*` headers, as numbers. */
export function rateLimits(response: HttpResponse): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of [
    'x-ratelimit-limit',
    'x-ratelimit-remaining',
    'x-ratelimit-reset',
    'x-tokenlimit-limit',
    'x-tokenlimit-remaining',
    'x-ratelimit-limit-dynamic',
    'x-ratelimit-remaining-dynamic',
  ]) {
    const value = Number(header(response, name));
    if (header(response, name) !== undefined && Number.isFinite(value)) out[name.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return out;
}

/** Longest part of an error body quoted in a message: a 4 MB error text is cut to this. */
export const MAX_SERVICE_TEXT = 1024;
/** Longest error body read at all. */
const MAX_ERROR_BODY = 64 * 1024;

/** An error body as Together (or a proxy in front of it) sends it. */
interface ErrorBody {
  id?: string;
  error?: { message?: string; type?: string; code?: string | null } | string;
  message?: string;
  /** FastAPI-style validation errors; their `input` may quote the request (the prompt), and is never shown. */
  detail?: { msg?: string; loc?: unknown[] }[] | string;
}

/**
 * What the service says went wrong, bounded to {@link MAX_SERVICE_TEXT}: its `error.message` (or
 * `message`), the `msg` of each FastAPI-style `detail` (never their `input`, which echoes the
 * request), a plain-text body's start; a JSON body that says nothing readable is not quoted at all.
 */
export function serviceMessage(text: string, body: ErrorBody | undefined, status: number): string {
  const error = body?.error;
  const fromDetail = Array.isArray(body?.detail)
    ? body.detail
        .map((d) => [Array.isArray(d?.loc) ? d.loc.join('.') : undefined, typeof d?.msg === 'string' ? d.msg : undefined].filter(Boolean).join(': '))
        .filter(Boolean)
        .join('; ')
    : typeof body?.detail === 'string'
      ? body.detail
      : undefined;
  const message = (typeof error === 'string' ? error : error?.message) ?? body?.message ?? fromDetail ?? (body === undefined ? text.trim().slice(0, MAX_SERVICE_TEXT) : undefined);
  const said = typeof message === 'string' && message !== '' ? message : `HTTP ${status}`;
  return said.length > MAX_SERVICE_TEXT ? `${said.slice(0, MAX_SERVICE_TEXT)} … (${said.length - MAX_SERVICE_TEXT} more characters cut)` : said;
}

/** Reads at most {@link MAX_ERROR_BODY} of an error body (a proxy may answer with megabytes). */
async function boundedText(response: HttpResponse): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array | string>) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
      chunks.push(buffer);
      size += buffer.length;
      if (size >= MAX_ERROR_BODY) break;
    }
  } catch {
    // what arrived is enough to say what went wrong
  } finally {
    if (size >= MAX_ERROR_BODY) response.body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8');
}

/**
 * Maps a non-2xx Together response to a typed error carrying the status, the provider's error code,
 * the message from the body (bounded, and never the request it may quote), the request id and
 * whether a retry may help. Never retries itself.
 */
export async function togetherError(operation: string, response: HttpResponse): Promise<MediaConduitError> {
  const text = await boundedText(response);
  let body: ErrorBody | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    body = typeof parsed === 'object' && parsed !== null ? (parsed as ErrorBody) : {};
  } catch {
    // Not JSON, or JSON cut off at the bound (a huge message): its message's start, else the text's.
    const cut = /^\s*\{[\s\S]*?"message"\s*:\s*"((?:[^"\\]|\\.)*)/.exec(text)?.[1];
    if (cut !== undefined) body = { error: { message: cut.replace(/\\(["\\/])/g, '$1') } };
  }
  const status = response.status;
  const providerMessage = serviceMessage(text, body, status);
  const error = typeof body?.error === 'object' ? body.error : undefined;
  const providerCode = error?.code ?? error?.type ?? undefined;
  const requestId = header(response, 'x-request-id') ?? body?.id;
  const wait = retryAfterMs(response);
  const modelProblem = /model_not_(found|available)|dedicated_endpoint/.test(providerCode ?? '');
  // A 422 is a refusal only when the body says so (the image safety checker); otherwise it is a
  // request the API could not process, which is the caller's to fix.
  const refused = status === 422 && isRefusal(providerCode, error?.type, providerMessage);
  const [code, retryable, hint]: [ErrorCode, boolean, string] =
    status === 400
      ? [modelProblem ? 'MODEL_NOT_FOUND' : 'INVALID_INPUT', false, modelProblem ? 'pick a serverless model from listModels()' : 'check the options you passed']
      : status === 401
        ? ['AUTHENTICATION_FAILED', false, 'check TOGETHER_API_KEY (or the apiKey setting)']
        : status === 402
          ? ['INSUFFICIENT_CREDITS', false, 'add credits or raise the spending limit in your Together account']
          : status === 403
            ? ['PERMISSION_DENIED', false, 'the key may lack access, or prompt plus max_tokens exceed the context length']
            : status === 404
              ? [modelProblem || /model/i.test(providerMessage) ? 'MODEL_NOT_FOUND' : 'PROVIDER_ERROR', false, 'check the model id against listModels()']
              : status === 408
                ? ['TIMEOUT', true, 'try again']
                : status === 409
                  ? ['PROVIDER_ERROR', true, 'try again']
                  : refused
                    ? ['CONTENT_REFUSED', false, 'the safety checker refused the prompt; change the prompt']
                    : status === 422
                      ? ['INVALID_INPUT', false, 'the request could not be processed; check the input']
                      : status === 429
                        ? ['RATE_LIMITED', true, wait !== undefined ? `retry after ${Math.ceil(wait / 1000)} s` : 'slow down and retry']
                        : status === 501
                          ? ['PROVIDER_ERROR', false, 'the service does not implement this request; leave out the option it names']
                          : status >= 500
                            ? ['PROVIDER_ERROR', true, 'Together had a server error; try again']
                            : ['PROVIDER_ERROR', false, 'unexpected status'];
  const shouldRetry = header(response, 'x-should-retry');
  return new MediaConduitError({
    code,
    status,
    providerCode,
    message: `${operation}: ${status} ${providerMessage} (${hint})`,
    retryable: shouldRetry === 'true' ? true : shouldRetry === 'false' ? false : retryable,
    ...(requestId === undefined ? {} : { requestId }),
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
    details: { ...rateLimits(response), ...(error?.type ? { type: error.type } : {}) },
  });
}

/** Whether an error body says the content was refused (rather than the request being malformed). */
function isRefusal(code: string | undefined, type: string | undefined, message: string): boolean {
  return /nsfw|safety|content_policy|moderation|flagged/i.test(`${code ?? ''} ${type ?? ''}`) || /\bnsfw\b|safety checker|flagged|content polic/i.test(message);
}
