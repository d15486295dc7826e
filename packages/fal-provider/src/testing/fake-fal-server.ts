import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodePng } from '@mediaconduit/provider';
import { encodeBlockJpeg } from '@mediaconduit/testing';
import { unzipSync } from 'fflate';
import { ENDPOINTS, type EndpointSpec, FAKE_FAL_MODELS, type FakeFalModel, type FalFieldError, pixelsOf, validateInput } from './fake-endpoints.js';

/** fal's hosts, and the path under the fake's origin that stands for each. */
export const FAL_HOSTS = {
  queue: 'https://queue.fal.run',
  run: 'https://fal.run',
  rest: 'https://rest.fal.ai',
  api: 'https://api.fal.ai',
} as const;

type Service = keyof typeof FAL_HOSTS | 'upload' | 'files';

/** A scripted failure. Faults are matched in the order added; each applies `times` times (default 1). */
export interface FakeFalFault {
  /** Only requests to this endpoint id (full, e.g. `fal-ai/flux/dev`). Default: any. */
  endpoint?: string;
  /**
   * `submit`: the submit (or run) answers `status` with `detail` at once. `run`: the request is
   * accepted, then completes with `error`/`error_type`, and its result answers the error.
   * `upload`: a storage upload's `PUT` answers `status` (the file is not stored).
   */
  stage: 'submit' | 'run' | 'upload';
  times?: number;
  /** Default: 422 for a `detail` array, else by `errorType` (fal's table), else 500. */
  status?: number;
  /** A request error type (`runner_server_error`, `request_timeout`, …): sent as `X-Fal-Error-Type` and `error_type`. */
  errorType?: string;
  /** The body's `detail`: a message, or a 422 array. */
  detail?: string | FalFieldError[];
}

/** One request the fake received. */
export interface FakeFalRequest {
  method: string;
  /** Which of fal's services it was for (`upload` and `files`: the fake's own storage URLs). */
  service: Service;
  /** Path within the service, e.g. `/fal-ai/flux/requests/<id>/status`. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased names. */
  headers: Record<string, string>;
  json?: unknown;
  status: number;
  /** Input fields the endpoint does not know (fal ignores them). */
  ignored?: string[];
}

/** Options of {@link startFakeFal}. */
export interface FakeFalOptions {
  /** The only key accepted (`Authorization: Key <key>`). Default `fake-key-id:fake-key-secret`. */
  key?: string;
  /** `real` (default) follows the wall clock; `manual` stands still until {@link FakeFalServer.advance}. */
  clock?: 'real' | 'manual';
  /**
   * Simulated times, in ms: per queue position, an image request's run, a training run, and how long a
   * result is kept after its request ended (then the result is a 404, its status still read).
   * Defaults 100, 200, 2000 and an hour.
   */
  timings?: { queuePositionMs?: number; inferenceMs?: number; trainingMs?: number; resultRetentionMs?: number };
  /** Requests ahead of each new one when it is submitted (its first `queue_position`). Default 0. */
  queueAhead?: number;
  faults?: FakeFalFault[];
}

/** A queued request as the fake keeps it. */
export interface FakeFalJob {
  requestId: string;
  endpoint: string;
  input: Record<string, unknown>;
  status: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';
  cancelled: boolean;
  /** The error it completed with, if any. */
  error?: string | undefined;
  errorType?: string | undefined;
}

export interface FakeFalServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** The fake's stand-in for each of fal's hosts (base URLs without a trailing slash). */
  urls: { queue: string; run: string; rest: string; api: string };
  key: string;
  requests: FakeFalRequest[];
  /** A URL on one of fal's hosts, pointed at the fake (any other URL unchanged). */
  rewrite(url: string): string;
  /** `fetch` with fal's hosts pointed at the fake: for `@fal-ai/client`'s `fetch` option. */
  fetch: typeof fetch;
  /** The queued requests, oldest first. */
  jobs(): FakeFalJob[];
  /** Moves the manual clock on (and lets status streams see the change). */
  advance(ms: number): void;
  addFault(fault: FakeFalFault): void;
  /** Bytes the fake stores at a file URL it handed out (uploads, images, LoRA weights). */
  file(url: string): { bytes: Uint8Array; contentType: string; name: string } | undefined;
  close(): Promise<void>;
}

/** fal's request errors: type → HTTP status (its documented table). */
const ERROR_STATUS: Readonly<Record<string, number>> = {
  request_timeout: 504,
  startup_timeout: 504,
  runner_scheduling_failure: 503,
  runner_connection_timeout: 503,
  runner_disconnected: 503,
  runner_connection_refused: 503,
  runner_connection_error: 503,
  runner_incomplete_response: 502,
  runner_server_error: 500,
  internal_error: 500,
  client_disconnected: 499,
  client_cancelled: 499,
  bad_request: 400,
};

const IMAGE_NAME = /\.(png|jpe?g|webp)$/i;
const MAX_BODY = 64 << 20;

/** Answers the request being handled (and records its status). */
type Answer = (status: number, body: unknown, extra?: Record<string, string>) => void;

interface Outcome {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** For COMPLETED's `error`/`error_type`. */
  error?: string;
  errorType?: string;
}

interface Job {
  id: string;
  endpoint: string;
  app: string;
  spec: EndpointSpec;
  input: Record<string, unknown>;
  queueEndAt: number;
  runEndAt: number;
  positionMs: number;
  cancelled: boolean;
  /** A failure decided at submit (a fault, an unusable zip): reported when the run ends. */
  failure?: Outcome | undefined;
  outcome?: Outcome | undefined;
  startedAt: number;
}

/**
 * Starts a strict fake of fal.ai on 127.0.0.1: the queue (submit, status with logs, status
 * stream, result, cancel), synchronous runs, storage (initiate, then PUT to the URL it hands out,
 * then GET of the file), the two FLUX LoRA trainers (they open the uploaded zip and count its
 * images), the FLUX generation endpoints (real PNG or JPEG bytes of the asked size), and the
 * platform API's model search and prices. Each fal host is a path prefix of one origin
 * (`urls`); point a client at it with `rewrite` or `fetch`.
 */
export async function startFakeFal(options: FakeFalOptions = {}): Promise<FakeFalServer> {
  const key = options.key ?? 'fake-key-id:fake-key-secret';
  const timings = { queuePositionMs: 100, inferenceMs: 200, trainingMs: 2000, resultRetentionMs: 3_600_000, ...options.timings };
  const faults = [...(options.faults ?? [])].map((fault) => ({ ...fault, left: fault.times ?? 1 }));
  let manualNow = 0;
  const now = () => (options.clock === 'manual' ? manualNow : Date.now());
  const requests: FakeFalRequest[] = [];
  const jobs = new Map<string, Job>();
  const files = new Map<string, { bytes: Uint8Array; contentType: string; name: string }>();
  const uploads = new Map<string, { token: string; name: string; contentType: string }>();
  const streams = new Set<() => void>();
  let origin = '';

  const storeFile = (name: string, contentType: string, bytes: Uint8Array) => {
    const token = randomUUID();
    files.set(token, { bytes, contentType, name });
    return `${origin}/files/${token}/${encodeURIComponent(name)}`;
  };
  const fileAt = (url: string) => {
    const match = url.startsWith(`${origin}/files/`) ? /^\/files\/([^/]+)\//.exec(url.slice(origin.length)) : null;
    return match ? files.get(match[1]!) : undefined;
  };

  const takeFault = (endpoint: string, stage: FakeFalFault['stage']) => {
    const fault = faults.find((f) => f.left > 0 && f.stage === stage && (!f.endpoint || f.endpoint === endpoint));
    if (fault) fault.left--;
    return fault;
  };
  const faultOutcome = (fault: FakeFalFault): Outcome => {
    if (Array.isArray(fault.detail)) return { status: fault.status ?? 422, body: { detail: fault.detail }, error: 'Unprocessable Entity', errorType: undefined };
    const errorType = fault.errorType ?? 'internal_error';
    const detail = fault.detail ?? `fake fault: ${errorType}`;
    return {
      status: fault.status ?? ERROR_STATUS[errorType] ?? 500,
      body: { detail, error_type: errorType },
      headers: { 'x-fal-error-type': errorType },
      error: detail,
      errorType,
    };
  };

  const stateOf = (job: Job): 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' => {
    if (job.cancelled) return 'COMPLETED';
    const t = now();
    return t < job.queueEndAt ? 'IN_QUEUE' : t < job.runEndAt ? 'IN_PROGRESS' : 'COMPLETED';
  };
  const logsOf = (job: Job) => {
    const t = now();
    if (t < job.queueEndAt) return [];
    const at = (ms: number) => new Date(ms).toISOString();
    const logs = [{ message: `Starting ${job.endpoint}`, level: 'INFO', source: 'USER', timestamp: at(job.queueEndAt) }];
    if (job.spec.kind === 'training' && !job.failure) {
      const steps = typeof job.input.steps === 'number' ? job.input.steps : (job.spec.defaultSteps ?? 1000);
      const span = job.runEndAt - job.queueEndAt;
      for (let tenth = 1; tenth <= 10; tenth++) {
        const when = job.queueEndAt + (span * tenth) / 10;
        if (when > Math.min(t, job.runEndAt) || job.cancelled) break;
        logs.push({ message: `step ${Math.round((steps * tenth) / 10)}/${steps}`, level: 'INFO', source: 'USER', timestamp: at(when) });
      }
    }
    return logs;
  };
  const outcomeOf = (job: Job): Outcome => {
    if (job.cancelled)
      return {
        status: 499,
        body: { detail: 'Request cancelled', error_type: 'client_cancelled' },
        headers: { 'x-fal-error-type': 'client_cancelled' },
        error: 'Request cancelled',
        errorType: 'client_cancelled',
      };
    job.outcome ??= job.failure ?? run(job.endpoint, job.spec, job.input);
    return job.outcome;
  };
  const urlsOf = (job: Job) => {
    const base = `${origin}/queue/${job.app}/requests/${job.id}`;
    return { request_id: job.id, response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  };
  const statusBody = (job: Job, withLogs: boolean) => {
    const status = stateOf(job);
    if (status === 'IN_QUEUE') {
      return { status, ...urlsOf(job), queue_position: Math.max(0, Math.ceil((job.queueEndAt - now()) / job.positionMs) - 1) };
    }
    const body: Record<string, unknown> = { status, ...urlsOf(job), logs: withLogs ? logsOf(job) : [] };
    if (status === 'COMPLETED') {
      const outcome = outcomeOf(job);
      if (outcome.error !== undefined) {
        body.error = outcome.error;
        if (outcome.errorType) body.error_type = outcome.errorType;
      }
      body.metrics = { inference_time: job.cancelled ? null : (job.runEndAt - job.queueEndAt) / 1000 };
    }
    return body;
  };

  /** What an endpoint answers for `input` (its output, or its error), run now. */
  function run(endpoint: string, spec: EndpointSpec, input: Record<string, unknown>): Outcome {
    if (spec.kind === 'training') return train(endpoint, spec, input);
    const [width, height] = pixelsOf(input.image_size);
    const count = typeof input.num_images === 'number' ? input.num_images : 1;
    const format = input.output_format === 'png' ? 'png' : 'jpeg';
    const seed = typeof input.seed === 'number' ? input.seed : 42;
    const loras = (Array.isArray(input.loras) ? input.loras : []) as { path: string; scale?: number }[];
    // fal downloads a LoRA from a public URL (here: the fake's own files) or takes it inline, as a data: URI.
    const missing = loras.flatMap((lora, i): FalFieldError[] =>
      fileAt(lora.path) || /^data:[^,]*,./s.test(String(lora.path))
        ? []
        : [{ loc: ['body', 'loras', i, 'path'], msg: `Failed to download the file from ${lora.path}`, type: 'file_download_error' }],
    );
    if (missing.length > 0) return { status: 422, body: { detail: missing }, error: 'Unprocessable Entity' };
    const images = Array.from({ length: count }, (_, i) => {
      const bytes = paint(`${input.prompt}|${loras.map((l) => `${l.path}@${l.scale ?? 1}`).join(',')}`, seed + i, width, height, format);
      const contentType = format === 'png' ? 'image/png' : 'image/jpeg';
      const name = `${randomUUID()}.${format === 'png' ? 'png' : 'jpg'}`;
      const url = input.sync_mode === true ? `data:${contentType};base64,${Buffer.from(bytes).toString('base64')}` : storeFile(name, contentType, bytes);
      return { url, width, height, content_type: contentType, file_name: name, file_size: bytes.byteLength };
    });
    return {
      status: 200,
      body: { images, timings: { inference: timings.inferenceMs / 1000 }, seed, has_nsfw_concepts: images.map(() => false), prompt: input.prompt },
    };
  }

  /** A training run: opens the uploaded zip, counts its images, and "trains" a small real safetensors file. */
  function train(endpoint: string, spec: EndpointSpec, input: Record<string, unknown>): Outcome {
    const failure = trainingFailure(spec, input);
    if (failure) return failure;
    const trigger = String(input.trigger_word ?? input.trigger_phrase ?? '');
    const steps = typeof input.steps === 'number' ? input.steps : (spec.defaultSteps ?? 1000);
    const weights = safetensors({ trigger_word: trigger, steps: String(steps), endpoint });
    const config = new TextEncoder().encode(JSON.stringify({ trigger_word: trigger, steps, base_model: 'flux-dev' }));
    const file = (name: string, contentType: string, bytes: Uint8Array) => ({
      url: storeFile(name, contentType, bytes),
      content_type: contentType,
      file_name: name,
      file_size: bytes.byteLength,
    });
    return {
      status: 200,
      body: {
        diffusers_lora_file: file('pytorch_lora_weights.safetensors', 'application/octet-stream', weights),
        config_file: file('config.json', 'application/json', config),
      },
    };
  }

  function archiveProblem(spec: EndpointSpec, url: string): FalFieldError | undefined {
    const loc = ['body', 'images_data_url'];
    const stored = fileAt(url);
    if (!stored) return { loc, msg: `Failed to download the file from ${url}`, type: 'file_download_error' };
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(stored.bytes);
    } catch {
      return { loc, msg: 'The archive could not be opened as a zip file', type: 'invalid_archive' };
    }
    const images = Object.keys(entries).filter((name) => IMAGE_NAME.test(name) && !/_mask\.[^.]+$/i.test(name));
    const least = spec.minImages ?? 1;
    if (images.length < least) return { loc, msg: `The archive holds ${images.length} images; at least ${least} are needed`, type: 'archive_file_count_below_minimum' };
    return undefined;
  }

  // --- HTTP -------------------------------------------------------------------------------------

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { detail: `fake fal server error: ${String(error)}` });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const [, first = '', ...rest] = url.pathname.split('/');
    const service = first as Service;
    const path = `/${rest.join('/')}`;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    const entry: FakeFalRequest = { method: req.method ?? 'GET', service, path, query: Object.fromEntries(url.searchParams), headers, status: 0 };
    requests.push(entry);
    const raw = await readBody(req);
    const answer = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      entry.status = status;
      send(res, status, body, extra);
    };
    if (raw === undefined) return answer(413, { detail: 'Request body too large' });
    let json: unknown;
    if (raw.length > 0 && /json/i.test(headers['content-type'] ?? '')) {
      try {
        json = JSON.parse(raw.toString('utf8'));
        entry.json = json;
      } catch {
        return answer(422, { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
      }
    }
    // The storage URLs the fake hands out carry no key, as fal's signed URLs do not.
    if (service === 'upload') return storagePut(path.slice(1), raw, headers, answer);
    if (service === 'files') return storageGet(path, res, entry);
    if (!(service in FAL_HOSTS)) return answer(404, { detail: 'Not Found' });

    const auth = headers.authorization;
    const authProblem =
      auth === undefined || auth === ''
        ? 'Missing authorization header'
        : !/^Key \S+$/.test(auth) || !auth.slice(4).includes(':')
          ? "Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'."
          : auth.slice(4) !== key
            ? 'No user found for Key ID and Secret'
            : undefined;
    if (service === 'api') {
      // The platform API: model search needs no key (a wrong one is still refused); prices do.
      const searching = req.method === 'GET' && path === '/v1/models';
      if (authProblem && !(searching && (auth === undefined || auth === ''))) return answer(401, { error: { type: 'authorization_error', message: authProblem } });
      return platform(req.method ?? 'GET', path, url.searchParams, answer);
    }
    if (authProblem) return answer(401, { detail: authProblem });
    if (service === 'rest') return storageInitiate(req.method ?? 'GET', path, json, answer);
    if (service === 'run') return runNow(req.method ?? 'GET', path, json, entry, answer);
    return queue(req.method ?? 'GET', path, url.searchParams, json, entry, res, answer);
  }

  function queue(method: string, path: string, query: URLSearchParams, json: unknown, entry: FakeFalRequest, res: ServerResponse, answer: Answer) {
    const requestPath = /^\/([^/]+\/[^/]+)\/requests\/([^/]+)(\/status(\/stream)?|\/cancel|\/response)?$/.exec(path);
    if (requestPath) {
      const [, app, id, tail] = requestPath;
      const job = jobs.get(id!);
      // Status, result and cancel name only owner/app (the full endpoint path is accepted too).
      if (!job || !(job.app === app || job.endpoint.startsWith(`${app}/`)))
        return answer(404, tail === '/cancel' ? { status: 'NOT_FOUND' } : { detail: `Request ${id} not found` });
      if (tail === '/cancel') {
        if (method !== 'PUT') return answer(405, { detail: 'Method Not Allowed' });
        if (stateOf(job) === 'COMPLETED') return answer(400, { status: 'ALREADY_COMPLETED' });
        job.cancelled = true;
        for (const notify of streams) notify();
        return answer(202, { status: 'CANCELLATION_REQUESTED' });
      }
      if (method !== 'GET') return answer(405, { detail: 'Method Not Allowed' });
      const withLogs = ['1', 'true'].includes(query.get('logs') ?? '0');
      if (tail === '/status/stream') return statusStream(job, withLogs, entry, res);
      if (tail === '/status') {
        const body = statusBody(job, withLogs);
        return answer(body.status === 'COMPLETED' ? 200 : 202, body, { 'x-fal-request-id': job.id });
      }
      if (stateOf(job) !== 'COMPLETED') return answer(400, { detail: 'Request is still in progress' }, { 'x-fal-request-id': job.id });
      // fal keeps a result for a while (about an hour) after the request ended; then it is gone, though its status is still read.
      if (!job.cancelled && now() >= job.runEndAt + timings.resultRetentionMs) return answer(404, { detail: `Request ${job.id} not found` }, { 'x-fal-request-id': job.id });
      const outcome = outcomeOf(job);
      return answer(outcome.status, outcome.body, { 'x-fal-request-id': job.id, ...outcome.headers });
    }
    // Submit: POST to the full endpoint id.
    const accepted = accept(method, path, json, entry, answer);
    if (!accepted) return;
    const { endpoint, spec } = accepted;
    const submitFault = takeFault(endpoint, 'submit');
    if (submitFault) {
      const outcome = faultOutcome(submitFault);
      return answer(outcome.status, outcome.body, outcome.headers);
    }
    const input = json as Record<string, unknown>;
    const t = now();
    const ahead = options.queueAhead ?? 0;
    const queueEndAt = t + (ahead + 1) * timings.queuePositionMs;
    const runFault = takeFault(endpoint, 'run');
    const failure = runFault ? faultOutcome(runFault) : spec.kind === 'training' ? trainingFailure(spec, input) : undefined;
    const job: Job = {
      id: randomUUID(),
      endpoint,
      app: endpoint.split('/').slice(0, 2).join('/'),
      spec,
      input,
      queueEndAt,
      // A request that fails ends as soon as it leaves the queue.
      runEndAt: failure ? queueEndAt : queueEndAt + (spec.kind === 'training' ? timings.trainingMs : timings.inferenceMs),
      positionMs: timings.queuePositionMs,
      cancelled: false,
      failure,
      startedAt: t,
    };
    jobs.set(job.id, job);
    answer(200, { status: 'IN_QUEUE', ...urlsOf(job), queue_position: ahead }, { 'x-fal-request-id': job.id });
  }

  /** What a trainer fails with for this input (an archive it cannot use), if anything. */
  function trainingFailure(spec: EndpointSpec, input: Record<string, unknown>): Outcome | undefined {
    const problem = archiveProblem(spec, String(input.images_data_url));
    return problem ? { status: 422, body: { detail: [problem] }, error: problem.msg } : undefined;
  }

  /** A submit or a run: a POST to a known endpoint with valid input (else answered here, and undefined). */
  function accept(method: string, path: string, json: unknown, entry: FakeFalRequest, answer: Answer): { endpoint: string; spec: EndpointSpec } | undefined {
    const endpoint = path.slice(1);
    const spec = ENDPOINTS[endpoint];
    if (method !== 'POST') answer(405, { detail: 'Method Not Allowed' });
    else if (!spec) answer(404, { detail: `Application '${endpoint}' not found` });
    else {
      const { errors, ignored } = validateInput(spec, json ?? {});
      if (ignored.length > 0) entry.ignored = ignored;
      if (errors.length === 0) return { endpoint, spec };
      answer(422, { detail: errors });
    }
    return undefined;
  }

  function runNow(method: string, path: string, json: unknown, entry: FakeFalRequest, answer: Answer) {
    const accepted = accept(method, path, json, entry, answer);
    if (!accepted) return;
    const { endpoint, spec } = accepted;
    const fault = takeFault(endpoint, 'submit') ?? takeFault(endpoint, 'run');
    const outcome = fault ? faultOutcome(fault) : run(endpoint, spec, json as Record<string, unknown>);
    answer(outcome.status, outcome.body, { 'x-fal-request-id': randomUUID(), ...outcome.headers });
  }

  /** `GET …/status/stream`: a status event now and at each change, closed after COMPLETED. */
  function statusStream(job: Job, withLogs: boolean, entry: FakeFalRequest, res: ServerResponse): void {
    entry.status = 200;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-fal-request-id': job.id });
    let last = '';
    const notify = () => {
      const body = statusBody(job, withLogs);
      const text = JSON.stringify(body);
      if (text !== last) {
        last = text;
        res.write(`data: ${text}\n\n`);
      }
      if (body.status === 'COMPLETED') finish();
    };
    // On the real clock, the fake looks for changes every 20 ms while someone listens.
    const timer = options.clock === 'manual' ? undefined : setInterval(notify, 20);
    const finish = () => {
      clearInterval(timer);
      streams.delete(notify);
      res.end();
    };
    streams.add(notify);
    res.once('close', finish);
    notify();
  }

  function storageInitiate(method: string, path: string, json: unknown, answer: Answer) {
    if (path === '/storage/upload/initiate-multipart') return answer(413, { detail: 'The fake takes single uploads only (up to 90 MiB)' });
    if (path !== '/storage/upload/initiate') return answer(404, { detail: 'Not Found' });
    if (method !== 'POST') return answer(405, { detail: 'Method Not Allowed' });
    const body = (json ?? {}) as { content_type?: unknown; file_name?: unknown };
    const problems: FalFieldError[] = [];
    if (typeof body.content_type !== 'string' || body.content_type === '') problems.push({ loc: ['body', 'content_type'], msg: 'Field required', type: 'missing' });
    if (typeof body.file_name !== 'string' || body.file_name === '') problems.push({ loc: ['body', 'file_name'], msg: 'Field required', type: 'missing' });
    if (problems.length > 0) return answer(422, { detail: problems });
    const token = randomUUID();
    const uploadToken = randomUUID();
    const name = String(body.file_name);
    uploads.set(uploadToken, { token, name, contentType: String(body.content_type) });
    answer(200, { upload_url: `${origin}/upload/${uploadToken}`, file_url: `${origin}/files/${token}/${encodeURIComponent(name)}` });
  }

  function storagePut(uploadToken: string, raw: Buffer, headers: Record<string, string>, answer: Answer) {
    const upload = uploads.get(uploadToken);
    if (!upload) return answer(404, { detail: 'Upload URL not found or expired' });
    const fault = takeFault('', 'upload');
    if (fault) return answer(fault.status ?? 500, { detail: typeof fault.detail === 'string' ? fault.detail : 'fake fault: the upload failed' });
    files.set(upload.token, { bytes: new Uint8Array(raw), contentType: headers['content-type'] || upload.contentType, name: upload.name });
    answer(200, {});
  }

  function storageGet(path: string, res: ServerResponse, entry: FakeFalRequest) {
    const stored = files.get(path.split('/')[1] ?? '');
    if (!stored) {
      entry.status = 404;
      return send(res, 404, { detail: 'File not found' });
    }
    entry.status = 200;
    res.writeHead(200, { 'content-type': stored.contentType, 'content-length': String(stored.bytes.byteLength) });
    res.end(stored.bytes);
  }

  function platform(method: string, path: string, query: URLSearchParams, answer: Answer) {
    if (method !== 'GET') return answer(405, { error: { type: 'validation_error', message: 'Method Not Allowed' } });
    if (path === '/v1/models') {
      const limit = query.has('limit') ? Number(query.get('limit')) : 20;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) return answer(400, { error: { type: 'validation_error', message: 'limit must be an integer from 1 to 100' } });
      const cursor = query.get('cursor');
      const offset = cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8')) : 0;
      if (!Number.isInteger(offset) || offset < 0) return answer(400, { error: { type: 'validation_error', message: 'invalid cursor' } });
      const ids = query.getAll('endpoint_id').flatMap((v) => v.split(','));
      const q = query.get('q')?.toLowerCase();
      const found = FAKE_FAL_MODELS.filter(
        (m) =>
          (!query.get('category') || m.category === query.get('category')) &&
          (!query.get('status') || m.status === query.get('status')) &&
          (ids.length === 0 || ids.includes(m.endpointId)) &&
          (!q || `${m.endpointId} ${m.displayName} ${m.description}`.toLowerCase().includes(q)),
      );
      const page = found.slice(offset, offset + limit);
      const more = offset + limit < found.length;
      return answer(200, { models: page.map(modelEntry), next_cursor: more ? Buffer.from(String(offset + limit)).toString('base64url') : null, has_more: more });
    }
    if (path === '/v1/models/pricing') {
      const ids = query
        .getAll('endpoint_id')
        .flatMap((v) => v.split(','))
        .filter(Boolean);
      if (ids.length < 1 || ids.length > 50) return answer(400, { error: { type: 'validation_error', message: 'give 1 to 50 endpoint_id values' } });
      const unknown = ids.filter((id) => !FAKE_FAL_MODELS.some((m) => m.endpointId === id));
      if (unknown.length > 0) return answer(404, { error: { type: 'not_found', message: `unknown endpoint_id: ${unknown.join(', ')}` } });
      const prices = ids.map((id) => {
        const model = FAKE_FAL_MODELS.find((m) => m.endpointId === id)!;
        return { endpoint_id: id, unit_price: model.unitPrice, unit: model.unit, currency: 'USD' };
      });
      return answer(200, { prices, next_cursor: null, has_more: false });
    }
    answer(404, { error: { type: 'not_found', message: 'Not Found' } });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const urls = { queue: `${origin}/queue`, run: `${origin}/run`, rest: `${origin}/rest`, api: `${origin}/api` };
  const rewrite = (url: string) => {
    for (const [service, host] of Object.entries(FAL_HOSTS)) {
      if (url === host || url.startsWith(`${host}/`)) return urls[service as keyof typeof urls] + url.slice(host.length);
    }
    return url;
  };
  const fakeFetch = ((input: string | URL | Request, init?: RequestInit) => {
    if (input instanceof Request) return fetch(new Request(rewrite(input.url), input), init);
    return fetch(rewrite(String(input)), init);
  }) as typeof fetch;

  return {
    origin,
    urls,
    key,
    requests,
    rewrite,
    fetch: fakeFetch,
    jobs: () =>
      [...jobs.values()].map((job) => {
        const status = stateOf(job);
        const outcome = status === 'COMPLETED' ? outcomeOf(job) : undefined;
        return { requestId: job.id, endpoint: job.endpoint, input: job.input, status, cancelled: job.cancelled, error: outcome?.error, errorType: outcome?.errorType };
      }),
    advance(ms) {
      if (options.clock !== 'manual') throw new Error('advance() moves the manual clock: start the fake with { clock: "manual" }');
      manualNow += ms;
      for (const notify of streams) notify();
    },
    addFault(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    file: (url) => fileAt(url),
    close: () =>
      new Promise<void>((resolve) => {
        for (const notify of [...streams]) notify();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...extra });
  res.end(text);
}

/** The request body, or undefined when it is over {@link MAX_BODY}. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function modelEntry(model: FakeFalModel) {
  return {
    endpoint_id: model.endpointId,
    metadata: {
      display_name: model.displayName,
      category: model.category,
      description: model.description,
      status: model.status,
      tags: [],
      updated_at: '2026-01-15T12:00:00Z',
      is_favorited: false,
      thumbnail_url: '',
      model_url: `https://fal.run/${model.endpointId}`,
      date: '2025-01-01T00:00:00Z',
      highlighted: false,
      pinned: false,
      kind: model.kind,
      ...(model.inferenceEndpointIds ? { inference_endpoint_ids: model.inferenceEndpointIds } : {}),
      ...(model.trainingEndpointIds ? { training_endpoint_ids: model.trainingEndpointIds } : {}),
    },
  };
}

/** A picture whose colours follow the prompt (and LoRAs) and seed: real bytes, the asked size. */
function paint(text: string, seed: number, width: number, height: number, format: 'png' | 'jpeg'): Uint8Array {
  const digest = createHash('sha256').update(`${text}#${seed}`).digest();
  const from = [digest[0]!, digest[1]!, digest[2]!];
  const to = [digest[3]!, digest[4]!, digest[5]!];
  const mix = (t: number) => [0, 1, 2].map((c) => Math.round(from[c]! + (to[c]! - from[c]!) * t)) as [number, number, number];
  if (format === 'jpeg') return encodeBlockJpeg(width, height, (bx, by) => mix(((bx * 8) / width + (by * 8) / height) / 2));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgb.set(mix((x / width + y / height) / 2), (y * width + x) * 3);
  return encodePng(width, height, rgb);
}

/** A small, well-formed safetensors file (an 8-byte header length, the JSON header, the data). */
function safetensors(metadata: Record<string, string>): Uint8Array {
  const data = new Float32Array([0.01, -0.02, 0.03, -0.04]);
  const header = Buffer.from(JSON.stringify({ __metadata__: metadata, 'lora_unet.down.weight': { dtype: 'F32', shape: [1, 4], data_offsets: [0, data.byteLength] } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return new Uint8Array(Buffer.concat([length, header, Buffer.from(data.buffer)]));
}
